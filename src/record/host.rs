//! What one block did on each host of a fleet: per-host statuses, as the
//! journal and the transcript keep them, and as the run record gives them.

use serde::{Deserialize, Serialize};

use super::outcome::{Reason, UnknownWord};

/// Where a block ended up on one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostStatus {
    Done,
    /// It ran and failed (exit code, `expect`, timeout).
    Failed,
    /// The connection dropped while the block ran: it may have finished there.
    Lost,
    /// ssh could not reach the host before the block started.
    Unreachable,
    /// Not run: the host left the run at an earlier step.
    Skipped,
    /// Not run: the rollout stopped before the host's batch (`serial`, `max_fail`).
    Stopped,
}

impl HostStatus {
    /// Every value, in declaration order.
    pub const ALL: &'static [HostStatus] = &[
        HostStatus::Done,
        HostStatus::Failed,
        HostStatus::Lost,
        HostStatus::Unreachable,
        HostStatus::Skipped,
        HostStatus::Stopped,
    ];

    /// The word used in markers, the journal and reports.
    pub fn word(self) -> &'static str {
        match self {
            HostStatus::Done => "done",
            HostStatus::Failed => "failed",
            HostStatus::Lost => "lost",
            HostStatus::Unreachable => "unreachable",
            HostStatus::Skipped => "skipped",
            HostStatus::Stopped => "stopped",
        }
    }

    /// Something went wrong on the host in this block (not an earlier one).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            HostStatus::Failed | HostStatus::Lost | HostStatus::Unreachable
        )
    }
}

impl std::str::FromStr for HostStatus {
    type Err = UnknownWord;

    fn from_str(word: &str) -> Result<Self, UnknownWord> {
        HostStatus::ALL
            .iter()
            .copied()
            .find(|s| s.word() == word)
            .ok_or_else(|| UnknownWord {
                what: "HostStatus",
                word: word.to_string(),
            })
    }
}

impl std::fmt::Display for HostStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// What a block did on one host, as the journal and transcript store it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostOutcome {
    pub host: String,
    pub status: HostStatus,
    /// UTC time the block ended there, RFC 3339.
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<i32>,
    #[serde(default)]
    pub ms: u64,
    #[serde(
        rename = "how",
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "super::outcome::known_reasons"
    )]
    pub reasons: Vec<Reason>,
    /// Captured output, cleaned and with secrets masked.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
    /// Why it did not run, or what ssh said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl HostOutcome {
    /// A new host outcome stamped now.
    pub fn new(host: &str, status: HostStatus) -> HostOutcome {
        HostOutcome {
            host: host.to_string(),
            status,
            at: super::now(),
            exit: None,
            ms: 0,
            reasons: Vec::new(),
            output: String::new(),
            note: None,
        }
    }

    /// Whether `reason` is among the reasons recorded.
    pub fn has(&self, reason: Reason) -> bool {
        self.reasons.contains(&reason)
    }
}

/// One host's part of a step, in the run record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostRecord {
    pub host: String,
    pub status: HostStatus,
    /// UTC start time, RFC 3339 (the end less the duration).
    pub started: String,
    /// UTC end time, RFC 3339.
    pub finished: String,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl HostRecord {
    /// The record of `o`.
    pub fn of(o: &HostOutcome) -> HostRecord {
        HostRecord {
            host: o.host.clone(),
            status: o.status,
            started: super::started(&o.at, o.ms),
            finished: o.at.clone(),
            duration_ms: o.ms,
            exit: o.exit,
            reasons: o.reasons.clone(),
            output: o.output.clone(),
            note: o.note.clone(),
        }
    }
}

/// `3 hosts: 2 ✓ 1 ✗`, and what the ✗ were when not plain failures.
pub fn summary(hosts: &[HostOutcome]) -> String {
    let done = hosts
        .iter()
        .filter(|h| h.status == HostStatus::Done)
        .count();
    let not = hosts.len() - done;
    let mut line = format!(
        "{} host{}: {done} ✓ {not} ✗",
        hosts.len(),
        if hosts.len() == 1 { "" } else { "s" }
    );
    for status in [
        HostStatus::Lost,
        HostStatus::Unreachable,
        HostStatus::Skipped,
        HostStatus::Stopped,
    ] {
        let n = hosts.iter().filter(|h| h.status == status).count();
        if n > 0 {
            line.push_str(&format!(" · {n} {}", status.word()));
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_match_serde() {
        for &s in HostStatus::ALL {
            assert_eq!(s.word().parse::<HostStatus>(), Ok(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.word())
            );
        }
        assert!("gone".parse::<HostStatus>().is_err());
    }

    #[test]
    fn the_summary_counts_hosts() {
        let mut hosts = vec![
            HostOutcome::new("web-1", HostStatus::Done),
            HostOutcome::new("web-2", HostStatus::Done),
            HostOutcome::new("web-3", HostStatus::Failed),
        ];
        assert_eq!(summary(&hosts), "3 hosts: 2 ✓ 1 ✗");
        hosts.push(HostOutcome::new("web-4", HostStatus::Unreachable));
        assert_eq!(summary(&hosts), "4 hosts: 2 ✓ 2 ✗ · 1 unreachable");
        assert_eq!(summary(&hosts[..1]), "1 host: 1 ✓ 0 ✗");
    }
}
