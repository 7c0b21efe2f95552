//! A fleet block's two runs compared host by host: a host that fails now, is
//! unreachable now, took other attempts, printed something else, or joined
//! or left the block.

use serde::Serialize;

use super::Options;
use super::compare::unified;
use super::model::{Change, shorten};
use crate::record::{HostRecord, HostStatus, Reason, StepRecord};

/// Where a block ended up on one host, as far as a comparison cares.
#[derive(Debug, Clone, Serialize)]
pub struct HostState {
    pub status: HostStatus,
    /// The exit code of a block that failed there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<i32>,
    /// The reason that tells this failure apart (timeout, interrupted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// What ssh said for a host that was lost or not reached, or why it was
    /// not run: shown, not compared (it holds ports and times).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl PartialEq for HostState {
    fn eq(&self, other: &HostState) -> bool {
        (self.status, self.exit, self.reason) == (other.status, other.exit, other.reason)
    }
}

impl HostState {
    fn of(h: &HostRecord) -> HostState {
        HostState {
            status: h.status,
            exit: h.exit.filter(|_| h.status == HostStatus::Failed),
            reason: [Reason::Timeout, Reason::Interrupted, Reason::Refused]
                .into_iter()
                .find(|r| h.status == HostStatus::Failed && h.reasons.contains(r)),
            note: h.note.clone(),
        }
    }
}

/// The hosts of two runs of a fleet block, paired by name: in the new run's
/// inventory order, then the hosts only the old run had.
fn pairs<'a>(
    old: &'a [HostRecord],
    new: &'a [HostRecord],
) -> Vec<(&'a str, Option<&'a HostRecord>, Option<&'a HostRecord>)> {
    let find = |hosts: &'a [HostRecord], name: &str| hosts.iter().find(|h| h.host == name);
    let mut pairs: Vec<_> = new
        .iter()
        .map(|n| (n.host.as_str(), find(old, &n.host), Some(n)))
        .collect();
    pairs.extend(
        old.iter()
            .filter(|o| find(new, &o.host).is_none())
            .map(|o| (o.host.as_str(), Some(o), None)),
    );
    pairs
}

/// What changed on each host of a fleet block between the runs `o` and `n`
/// of it, host by host in inventory order.
pub fn changes(o: &StepRecord, n: &StepRecord, options: &Options) -> Vec<Change> {
    let (old_tries, new_tries) = (tries(o), tries(n));
    if o.hosts.is_empty() && n.hosts.is_empty() && old_tries.is_empty() && new_tries.is_empty() {
        return Vec::new();
    }
    let tried = |all: &[HostTries<'_>], host: &str| {
        all.iter()
            .find(|t| t.host == host)
            .map_or((0, Vec::new()), |t| (t.count, t.earlier.clone()))
    };
    let attempts = |host: &str| {
        let ((old, old_earlier), (new, new_earlier)) =
            (tried(&old_tries, host), tried(&new_tries, host));
        (old_earlier != new_earlier).then(|| Change::HostAttempts {
            host: host.to_string(),
            old,
            new,
            old_earlier,
            new_earlier,
        })
    };
    let mut changes = Vec::new();
    let paired = pairs(&o.hosts, &n.hosts);
    for &(host, old, new) in &paired {
        let (old_state, new_state) = (old.map(HostState::of), new.map(HostState::of));
        if old_state != new_state {
            changes.push(Change::Host {
                host: host.to_string(),
                old: old_state,
                new: new_state,
            });
        }
        changes.extend(attempts(host));
        // A host that did not run the block on one side printed nothing
        // there: its status says all.
        let (Some(old), Some(new)) = (old.filter(|h| ran(h)), new.filter(|h| ran(h))) else {
            continue;
        };
        if old.output != new.output {
            let mask = &options.mask;
            let (old_masked, new_masked) = (mask.output(&old.output), mask.output(&new.output));
            if old_masked != new_masked {
                changes.push(Change::HostOutput {
                    host: host.to_string(),
                    diff: unified(&old_masked, &new_masked, &old.output, &new.output),
                });
            }
        }
    }
    // A host only an earlier attempt had (the block was skipped after it).
    let mut others: Vec<&str> = Vec::new();
    for t in new_tries.iter().chain(&old_tries) {
        if !paired.iter().any(|(h, ..)| *h == t.host) && !others.contains(&t.host) {
            others.push(t.host);
        }
    }
    changes.extend(others.into_iter().filter_map(attempts));
    changes
}

/// How often a fleet block was tried on one host, and how each try there
/// before the last ended, oldest first.
#[derive(Debug, Clone, PartialEq)]
struct HostTries<'a> {
    host: &'a str,
    count: usize,
    earlier: Vec<HostState>,
}

/// Each host's tries at the fleet block `s`: its last attempt's hosts
/// first, in inventory order, then any host only an earlier attempt had.
/// A host an attempt did not run again (done there, or lost or unreachable
/// before a retry by `retries=`) keeps its part from before, the same in
/// both: that is one try. A host the block did not run on (it left the run
/// before, the rollout stopped before it) was not tried.
fn tries(s: &StepRecord) -> Vec<HostTries<'_>> {
    let before = s.attempts.split_last().map_or(&[][..], |(_, b)| b);
    let lists: Vec<&[HostRecord]> = before
        .iter()
        .map(|a| a.hosts.as_slice())
        .chain([s.hosts.as_slice()])
        .collect();
    let mut names: Vec<&str> = s.hosts.iter().map(|h| h.host.as_str()).collect();
    for h in lists.iter().flat_map(|l| l.iter()) {
        if !names.contains(&h.host.as_str()) {
            names.push(&h.host);
        }
    }
    names
        .into_iter()
        .map(|host| {
            let parts: Vec<&HostRecord> = lists
                .iter()
                .filter_map(|l| l.iter().find(|h| h.host == host))
                .collect();
            // A failed host is always run again: two like parts are two tries.
            let mut each: Vec<&HostRecord> = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                let kept_after = parts
                    .get(i + 1)
                    .is_some_and(|next| part.status != HostStatus::Failed && next == part);
                if !kept_after && !matches!(part.status, HostStatus::Skipped | HostStatus::Stopped)
                {
                    each.push(part);
                }
            }
            let earlier = each.split_last().map_or_else(Vec::new, |(_, b)| {
                b.iter().map(|h| HostState::of(h)).collect()
            });
            HostTries {
                host,
                count: each.len(),
                earlier,
            }
        })
        .filter(|t| t.count > 0)
        .collect()
}

/// Whether the block ran on the host (and may have printed something).
fn ran(h: &HostRecord) -> bool {
    matches!(
        h.status,
        HostStatus::Done | HostStatus::Failed | HostStatus::Lost
    ) && !h.reasons.contains(&Reason::Refused)
}

/// `done`, `failed (exit 1)`, `unreachable (ssh: connect to host …)`.
pub fn describe(state: &HostState) -> String {
    let mut why = Vec::new();
    if let Some(exit) = state.exit {
        why.push(format!("exit {exit}"));
    }
    if let Some(r) = state.reason {
        why.push(r.word().to_string());
    }
    if state.status != HostStatus::Done
        && let Some(note) = &state.note
    {
        why.push(shorten(&note.replace(['\n', '\r'], " "), 80));
    }
    if why.is_empty() {
        state.status.word().to_string()
    } else {
        format!("{} ({})", state.status.word(), why.join(", "))
    }
}

/// `host web-2: attempts: 1 → 2 (earlier in the new run: failed (exit 1))`.
pub fn attempts(
    host: &str,
    old: usize,
    new: usize,
    old_earlier: &[HostState],
    new_earlier: &[HostState],
) -> String {
    let each = |states: &[HostState]| states.iter().map(describe).collect::<Vec<_>>();
    format!(
        "host {host}: {}",
        super::render::attempts_line(old, new, &each(old_earlier), &each(new_earlier))
    )
}

/// `host web-2: done → failed (exit 1)`, `host web-4: new to the block
/// (done)`, `host web-3: no longer in the block (was done)`.
pub fn summary(host: &str, old: Option<&HostState>, new: Option<&HostState>) -> String {
    match (old, new) {
        (Some(o), Some(n)) => format!("host {host}: {} → {}", describe(o), describe(n)),
        (None, Some(n)) => format!("host {host}: new to the block ({})", describe(n)),
        (Some(o), None) => format!("host {host}: no longer in the block (was {})", describe(o)),
        (None, None) => format!("host {host}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::Category;
    use crate::record::{Kind, Status};

    fn host(name: &str, status: HostStatus, output: &str) -> HostRecord {
        HostRecord {
            host: name.into(),
            status,
            started: "2026-11-21T05:11:00Z".into(),
            finished: "2026-11-21T05:11:01Z".into(),
            duration_ms: 120,
            exit: match status {
                HostStatus::Done => Some(0),
                HostStatus::Failed => Some(1),
                _ => None,
            },
            reasons: Vec::new(),
            output: output.into(),
            note: (status == HostStatus::Unreachable)
                .then(|| "ssh: connect to host 127.0.0.1 port 40022: Connection refused".into()),
        }
    }

    fn block(hosts: Vec<HostRecord>) -> StepRecord {
        let failed = hosts.iter().any(|h| h.status.is_failure());
        StepRecord {
            id: "restart".into(),
            kind: Kind::Command,
            line: 5,
            heading: ["Deploy".to_string()].into(),
            text: "systemctl restart app".into(),
            code: Some("systemctl restart app\n".into()),
            name: Some("restart".into()),
            parent: None,
            counts_as: None,
            status: Some(if failed { Status::Failed } else { Status::Done }),
            done_before: false,
            reasons: Vec::new(),
            attempts: Vec::new(),
            hosts,
            answer: None,
            note: None,
            confirmed_by: None,
            host: None,
            section_role: None,
            section: None,
            contingency: None,
            option: None,
            off_path: false,
            fills: Vec::new(),
        }
    }

    /// `hosts` as the block's last attempt, after an attempt for each of
    /// `before` (oldest first), each with its parts on the hosts.
    fn retried(before: Vec<Vec<HostRecord>>, hosts: Vec<HostRecord>) -> StepRecord {
        let mut s = block(hosts);
        let attempt = |hosts: Vec<HostRecord>| crate::record::Attempt {
            started: "2026-11-21T05:11:00Z".into(),
            finished: "2026-11-21T05:11:01Z".into(),
            duration_ms: 120,
            exit: Some(i32::from(hosts.iter().any(|h| h.status.is_failure()))),
            output: String::new(),
            ran: None,
            status: Some(if hosts.iter().any(|h| h.status.is_failure()) {
                Status::Failed
            } else {
                Status::Done
            }),
            reasons: Vec::new(),
            answer: None,
            note: None,
            hosts,
        };
        let last = attempt(Vec::new());
        s.attempts = before.into_iter().map(attempt).chain([last]).collect();
        s
    }

    fn words(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| match c {
                Change::Host { host, old, new } => summary(host, old.as_ref(), new.as_ref()),
                Change::HostAttempts {
                    host,
                    old,
                    new,
                    old_earlier,
                    new_earlier,
                } => attempts(host, *old, *new, old_earlier, new_earlier),
                Change::HostOutput { host, diff } => format!("host {host} output:\n{diff}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn each_host_is_compared_with_itself() {
        let old = block(vec![
            host("web-1", HostStatus::Done, "pid 4242 up\n"),
            host("web-2", HostStatus::Done, "v1\n"),
            host("web-3", HostStatus::Done, "ok\n"),
            host("web-4", HostStatus::Done, "ok\n"),
        ]);
        let new = block(vec![
            host("web-1", HostStatus::Done, "pid 977 up\n"),
            host("web-2", HostStatus::Done, "v2\n"),
            host("web-3", HostStatus::Unreachable, ""),
            host("web-4", HostStatus::Failed, "boom\n"),
            host("web-5", HostStatus::Done, "ok\n"),
        ]);
        let got = changes(&old, &new, &Options::plain());
        assert_eq!(
            words(&got),
            [
                "host web-2 output:\n@@ -1 +1 @@\n-v1\n+v2\n",
                "host web-3: done → unreachable (ssh: connect to host 127.0.0.1 port 40022: Connection refused)",
                "host web-4: done → failed (exit 1)",
                "host web-4 output:\n@@ -1 +1 @@\n-ok\n+boom\n",
                "host web-5: new to the block (done)",
            ]
        );
        let categories: Vec<Category> = got.iter().map(Change::category).collect();
        assert_eq!(
            categories,
            [
                Category::Output,
                Category::Failed,
                Category::Failed,
                Category::Output,
                Category::Hosts
            ]
        );
    }

    #[test]
    fn hosts_gone_recovered_or_noted_differently() {
        let mut unreachable = host("web-2", HostStatus::Unreachable, "");
        let old = block(vec![
            host("web-1", HostStatus::Failed, "boom\n"),
            unreachable.clone(),
        ]);
        // Another port in what ssh said is not a change.
        unreachable.note = Some("ssh: connect to host 127.0.0.1 port 40023: refused".into());
        let new = block(vec![unreachable]);
        let got = changes(&old, &new, &Options::plain());
        assert_eq!(
            words(&got),
            ["host web-1: no longer in the block (was failed (exit 1))"]
        );
        assert_eq!(got[0].category(), Category::Hosts);

        let recovered = block(vec![host("web-1", HostStatus::Done, "boom\n")]);
        let got = changes(&old, &recovered, &Options::plain());
        assert_eq!(got[0].category(), Category::Status, "{got:?}");
        assert!(changes(&block(vec![]), &block(vec![]), &Options::plain()).is_empty());
    }

    #[test]
    fn a_retry_is_told_on_the_host_that_needed_it() {
        let web1 = host("web-1", HostStatus::Done, "ok\n");
        let web2 = host("web-2", HostStatus::Done, "ok\n");
        let mut web2_failed = host("web-2", HostStatus::Failed, "boom\n");
        web2_failed.finished = "2026-11-21T05:10:59Z".into();
        let once = block(vec![web1.clone(), web2.clone()]);
        // web-1 was done at the first attempt and kept; web-2 ran again.
        let web2_again = retried(
            vec![vec![web1.clone(), web2_failed.clone()]],
            vec![web1.clone(), web2.clone()],
        );
        let got = changes(&once, &web2_again, &Options::plain());
        assert_eq!(
            words(&got),
            ["host web-2: attempts: 1 → 2 (earlier in the new run: failed (exit 1))"]
        );
        assert_eq!(got[0].category(), Category::Attempts);
        assert!(changes(&web2_again, &web2_again, &Options::plain()).is_empty());

        // As many attempts in each run, on other hosts.
        let mut web1_failed = web2_failed.clone();
        web1_failed.host = "web-1".into();
        let web1_again = retried(
            vec![vec![web1_failed, web2.clone()]],
            vec![web1.clone(), web2.clone()],
        );
        assert_eq!(
            words(&changes(&web1_again, &web2_again, &Options::plain())),
            [
                "host web-1: attempts: 2 → 1 (earlier in the old run: failed (exit 1))",
                "host web-2: attempts: 1 → 2 (earlier in the new run: failed (exit 1))",
            ]
        );

        // A failed host is run again even when its two parts read alike.
        let twice = retried(
            vec![vec![web1.clone(), web2_failed.clone()]],
            vec![web1.clone(), web2_failed.clone()],
        );
        assert_eq!(
            tries(&twice)
                .iter()
                .map(|t| (t.host, t.count))
                .collect::<Vec<_>>(),
            [("web-1", 1), ("web-2", 2)]
        );
        // A host that left the run before was not tried.
        let mut left = host("web-2", HostStatus::Skipped, "");
        left.exit = None;
        let skipped = retried(vec![vec![web1.clone(), left.clone()]], vec![web1, left]);
        assert_eq!(
            tries(&skipped)
                .iter()
                .map(|t| (t.host, t.count))
                .collect::<Vec<_>>(),
            [("web-1", 1)]
        );
    }
}
