//! What a heading's words say a section is for: a rollback, an emergency, a
//! troubleshooting guide... or nothing in particular (the main path).

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// What a contingency section is for: what went wrong, or what it undoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Contingency {
    /// Rollback, roll back, back out, revert, downgrade.
    Rollback,
    /// Abort, aborting.
    Abort,
    Emergency,
    /// Troubleshooting, common issues, failure modes.
    Troubleshooting,
    /// Recovery, disaster recovery.
    Recovery,
    /// "If the migration fails", "in case of …", "when things go wrong".
    Failure,
    /// Said outright (`<!-- runsheet: contingency -->`, runsheet.toml) of a
    /// heading whose words name none of the above.
    Marked,
}

impl Contingency {
    /// Every kind, in the order headings are tested for them.
    pub const ALL: [Contingency; 7] = [
        Contingency::Rollback,
        Contingency::Abort,
        Contingency::Emergency,
        Contingency::Troubleshooting,
        Contingency::Recovery,
        Contingency::Failure,
        Contingency::Marked,
    ];

    /// The word `plan`, reports and `--on-failure` use.
    pub fn word(self) -> &'static str {
        match self {
            Contingency::Rollback => "rollback",
            Contingency::Abort => "abort",
            Contingency::Emergency => "emergency",
            Contingency::Troubleshooting => "troubleshooting",
            Contingency::Recovery => "recovery",
            Contingency::Failure => "failure",
            Contingency::Marked => "marked",
        }
    }

    /// What the end of a failed run says it is for: "to roll back".
    pub fn purpose(self) -> &'static str {
        match self {
            Contingency::Rollback => "to roll back",
            Contingency::Abort => "to abort",
            Contingency::Emergency => "in an emergency",
            Contingency::Troubleshooting => "to troubleshoot",
            Contingency::Recovery => "to recover",
            Contingency::Failure => "after a failure",
            Contingency::Marked => "if it is needed",
        }
    }
}

impl std::fmt::Display for Contingency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// Words that, right after a rollback (abort, recovery...) word, make the
/// heading about getting ready for one, on the main path: "Rollback
/// readiness", "Keep BLUE warm for the rollback window", "revert option".
const PREPARATION_NOUNS: &[&str] = &[
    "readiness",
    "ready",
    "window",
    "windows",
    "test",
    "tests",
    "testing",
    "tested",
    "prep",
    "preparation",
    "preparations",
    "check",
    "checks",
    "option",
    "capability",
    "support",
    "drill",
    "drills",
    "rehearsal",
    "contact",
    "contacts",
    "number",
    "numbers",
    "point",
    "time",
    "objective",
    "objectives",
    "rto",
    "rpo",
];

/// First words that make a heading about preparing, checking or practising
/// what it names, on the main path: "Verify the rollback plan", "Test
/// disaster recovery", "Adding a security revert option".
const PREPARATION_VERBS: &[&str] = &[
    "prepare",
    "preparing",
    "verify",
    "verifying",
    "validate",
    "validating",
    "test",
    "testing",
    "review",
    "reviewing",
    "document",
    "documenting",
    "keep",
    "keeping",
    "add",
    "adding",
    "create",
    "creating",
    "write",
    "writing",
    "practice",
    "practise",
    "practicing",
    "rehearse",
    "rehearsing",
    "confirm",
    "ensure",
    "check",
    "checking",
    "plan",
    "planning",
    "define",
    "defining",
    "update",
    "updating",
    "backup",
];

/// Words of a title that name forward work: a "Deploy and rollback guide"
/// is a deploy guide with a rollback section, not a rollback runbook.
const FORWARD_WORK: &[&str] = &[
    "deploy",
    "deployment",
    "deployments",
    "deploying",
    "release",
    "releases",
    "releasing",
    "upgrade",
    "upgrading",
    "migration",
    "migrations",
    "migrate",
    "install",
    "installation",
    "rollout",
    "launch",
    "setup",
    "maintenance",
    "onboarding",
    "build",
    "provisioning",
];

/// The words of a title with any leading numbering or lettering taken off
/// (`H) `, `4.3 `, `Step 2: `, `Part 4 — `, `📖 Section 6: `), lower-cased.
pub fn words(title: &str) -> Vec<String> {
    static NUMBERING: OnceLock<Regex> = OnceLock::new();
    let numbering = NUMBERING.get_or_init(|| {
        Regex::new(
            r"(?ix)^(?:
                (?:step|section|part|phase|stage|appendix|chapter)\s+(?:[0-9]+(?:\.[0-9]+)*|[ivx]+|[a-z])\b\s*[):.\-–—]?\s*
              | [0-9]+(?:\.[0-9]+)*\s*[):.\-–—]?\s+
              | [0-9]+(?:\.[0-9]+)*\s*[):.\-–—]\s*
              | [a-z]\s*[).:]\s+
            )",
        )
        .expect("a valid pattern")
    });
    let mut rest = title.trim_start_matches(|c: char| !c.is_alphanumeric());
    // Every numbering holds a character: an empty rest needs no search.
    while let Some(m) = (!rest.is_empty()).then(|| numbering.find(rest)).flatten() {
        if m.end() == 0 {
            break;
        }
        rest = rest[m.end()..].trim_start_matches(|c: char| !c.is_alphanumeric());
    }
    rest.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The phrases that name each kind, as runs of words.
fn phrases(kind: Contingency) -> &'static [&'static [&'static str]] {
    match kind {
        Contingency::Rollback => &[
            &["rollback"],
            &["rollbacks"],
            &["roll", "back"],
            &["rolling", "back"],
            &["rolled", "back"],
            &["backout"],
            &["back", "out"],
            &["backing", "out"],
            &["revert"],
            &["reverting"],
            &["downgrade"],
            &["downgrading"],
        ],
        Contingency::Abort => &[&["abort"], &["aborting"]],
        Contingency::Emergency => &[&["emergency"], &["emergencies"]],
        Contingency::Troubleshooting => &[
            &["troubleshooting"],
            &["troubleshoot"],
            &["common", "issues"],
            &["known", "issues"],
            &["common", "problems"],
            &["common", "errors"],
            &["common", "failures"],
            &["failure", "modes"],
        ],
        Contingency::Recovery => &[&["recovery"], &["recover"], &["recovering"]],
        Contingency::Failure | Contingency::Marked => &[],
    }
}

/// Where `phrase` first occurs in `words`: (start, end).
fn find(words: &[String], phrase: &[&str]) -> Option<(usize, usize)> {
    (0..words.len())
        .find(|&i| {
            phrase.len() <= words.len() - i && phrase.iter().zip(&words[i..]).all(|(p, w)| *p == w)
        })
        .map(|i| (i, i + phrase.len()))
}

/// Whether the heading says something goes wrong: "If the migration
/// fails", "When things go wrong", "In case of …", "On failure".
fn says_failure(words: &[String]) -> bool {
    let has = |w: &str| words.iter().any(|x| x == w);
    let conditional = words
        .iter()
        .position(|w| w == "if" || w == "when" || w == "should");
    if let Some(at) = conditional {
        let after = &words[at + 1..];
        let failing = ["fail", "fails", "failed", "failing", "breaks", "broken"];
        if after.iter().any(|w| failing.contains(&w.as_str()))
            || find(after, &["goes", "wrong"]).is_some()
            || find(after, &["go", "wrong"]).is_some()
            || find(after, &["went", "wrong"]).is_some()
        {
            return true;
        }
    }
    find(words, &["in", "case", "of"]).is_some() || ((has("on") || has("upon")) && has("failure"))
}

/// The contingency a section heading's words name, if any. A heading about
/// getting ready for one ("Rollback readiness", "Test the rollback") names none.
pub fn heading_kind(title: &str) -> Option<Contingency> {
    let words = words(title);
    if words.is_empty() {
        return None;
    }
    for kind in Contingency::ALL {
        if kind == Contingency::Failure {
            if says_failure(&words) {
                return Some(kind);
            }
            continue;
        }
        for phrase in phrases(kind) {
            let Some((start, end)) = find(&words, phrase) else {
                continue;
            };
            let prepares = words
                .get(end)
                .is_some_and(|w| PREPARATION_NOUNS.contains(&w.as_str()))
                || (start > 0 && PREPARATION_VERBS.contains(&words[0].as_str()));
            if prepares {
                // The heading is about getting ready: not this kind, nor a
                // weaker one further down the list.
                return None;
            }
            return Some(kind);
        }
    }
    None
}

/// Verbs that, opening a numbered heading, may name a step of the work
/// itself: "2. Downgrade the log level", "4. Recover disk space".
const WORK_VERBS: &[&str] = &["downgrade", "revert", "recover", "abort"];

/// Words after such a verb that make the heading about a contingency after
/// all: what it undoes is the run's own work ("Revert the deployment"), it
/// names a procedure ("Abort criteria"), or it says something went wrong.
const UNDOES: &[&str] = &[
    "plan",
    "plans",
    "procedure",
    "procedures",
    "process",
    "steps",
    "instructions",
    "criteria",
    "strategy",
    "guide",
    "checklist",
    "options",
    "if",
    "when",
    "case",
    "after",
    "deploy",
    "deployment",
    "deployments",
    "release",
    "releases",
    "rollout",
    "change",
    "changes",
    "upgrade",
    "update",
    "migration",
    "migrations",
    "version",
    "previous",
    "prior",
    "hotfix",
    "patch",
    "commit",
    "build",
    "everything",
    "all",
    "it",
    "failed",
    "failure",
    "broken",
    "incident",
    "outage",
    "emergency",
    "disaster",
    "service",
    "services",
    "system",
    "database",
    "data",
];

/// Whether a heading numbers a step (`2. Downgrade the log level to INFO`,
/// `Step 4: Recover disk space`) whose words, though they name a
/// contingency, say what the step does to something that is not the run's
/// own work: in a numbered sequence of steps, it is a step like the others.
pub fn numbered_work(title: &str) -> bool {
    if !numbered(title) {
        return false;
    }
    let words = words(title);
    let Some((verb, object)) = words.split_first() else {
        return false;
    };
    WORK_VERBS.contains(&verb.as_str())
        && !object.is_empty()
        && !object.iter().any(|w| UNDOES.contains(&w.as_str()))
}

/// Whether a heading is numbered (`3.`, `Step 3:`, `4.2`).
pub fn numbered(title: &str) -> bool {
    let lead = title
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    let lead = lead
        .strip_prefix("step")
        .map_or(lead.as_str(), str::trim_start);
    lead.starts_with(|c: char| c.is_ascii_digit())
}

/// The kinds of contingency a document whose title is `title` exists to
/// carry out, and so runs on its main path: a "Rollback runbook" rolls
/// back, a "DR runbook" recovers, an incident playbook handles the
/// emergency. Empty for a title that names forward work too ("Deploy and
/// rollback guide") or none of these.
pub fn title_purpose(title: &str) -> Vec<Contingency> {
    let words = words(title);
    if words.iter().any(|w| FORWARD_WORK.contains(&w.as_str())) {
        return Vec::new();
    }
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    // An incident playbook, or an emergency runbook: what it does about it.
    if has(&[
        "incident",
        "incidents",
        "outage",
        "outages",
        "ransomware",
        "breach",
        "compromise",
        "compromised",
        "irp",
        "emergency",
        "emergencies",
    ]) {
        return vec![
            Contingency::Emergency,
            Contingency::Recovery,
            Contingency::Rollback,
        ];
    }
    if has(&["dr", "disaster", "failover", "recovery", "recover"]) {
        return vec![Contingency::Recovery, Contingency::Emergency];
    }
    match heading_kind(title) {
        Some(kind) => vec![kind],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_comes_off_and_words_are_lower_case() {
        assert_eq!(
            words("H) ROLLBACK PLAN (ZERO-DOWNTIME)")[..2],
            ["rollback", "plan"]
        );
        assert_eq!(words("📖 Section 6: Troubleshooting"), ["troubleshooting"]);
        assert_eq!(words("4.3 Recovery Decision")[0], "recovery");
        assert_eq!(
            words("Part 4 — Eradicate & Recover"),
            ["eradicate", "recover"]
        );
        assert_eq!(words("Step 5: Keep BLUE Warm")[0], "keep");
        assert_eq!(words("1. Assess Situation (2 min)")[0], "assess");
        assert_eq!(words("A quick rollback")[0], "a", "an article is a word");
    }

    #[test]
    fn headings_name_their_kind() {
        for (title, kind) in [
            ("Rollback Plan", Some(Contingency::Rollback)),
            (
                "H) ROLLBACK PLAN (ZERO-DOWNTIME)",
                Some(Contingency::Rollback),
            ),
            ("When to Rollback", Some(Contingency::Rollback)),
            ("How to roll back", Some(Contingency::Rollback)),
            ("Back out the change", Some(Contingency::Rollback)),
            ("Quick Rollback", Some(Contingency::Rollback)),
            ("Downgrading", Some(Contingency::Rollback)),
            ("Issues & Rollback Procedures", Some(Contingency::Rollback)),
            ("Abort criteria", Some(Contingency::Abort)),
            ("🚨 Emergency Procedures", Some(Contingency::Emergency)),
            ("In case of emergency", Some(Contingency::Emergency)),
            ("Troubleshooting", Some(Contingency::Troubleshooting)),
            (
                "J) COMMON FAILURE MODES & REMEDIATION",
                Some(Contingency::Troubleshooting),
            ),
            ("Disaster recovery", Some(Contingency::Recovery)),
            ("If the migration fails", Some(Contingency::Failure)),
            ("When things go wrong", Some(Contingency::Failure)),
            ("In case of a failed canary", Some(Contingency::Failure)),
            ("On failure", Some(Contingency::Failure)),
            // Getting ready, or something else altogether: the main path.
            ("3. Backup & Rollback Readiness", None),
            ("Step 5: Keep BLUE Warm for Rollback Window", None),
            ("Adding a security revert option", None),
            ("Test the rollback", None),
            ("Rollback testing", None),
            ("Emergency Contact", None),
            ("OPTION 2: ROLLING UPDATE BACKEND DEPLOY", None),
            ("If using Alembic", None),
            ("When to Execute Manual Failover", None),
            ("Deploy", None),
            ("", None),
        ] {
            assert_eq!(heading_kind(title), kind, "{title:?}");
        }
    }

    #[test]
    fn numbered_steps_that_do_other_work() {
        for title in [
            "2. Downgrade the log level to INFO",
            "3. Revert last week's temporary firewall rule",
            "4. Recover disk space on /var",
            "5. Abort stuck jobs",
            "Step 6: Recover orphaned volumes",
        ] {
            assert!(numbered_work(title), "{title:?}");
        }
        for title in [
            "Downgrade the log level to INFO",
            "4. Rollback",
            "4. Roll back the release",
            "5. Revert the deployment",
            "6. Abort criteria",
            "7. Recover if the migration fails",
            "8. Recovery",
            "9. Revert to the previous version",
        ] {
            assert!(!numbered_work(title), "{title:?}");
        }
    }

    #[test]
    fn titles_name_the_purpose_of_a_document() {
        assert_eq!(title_purpose("Rollback Runbook"), [Contingency::Rollback]);
        assert!(
            title_purpose("SecureBase DR Runbook: Operational Procedures")
                .contains(&Contingency::Recovery)
        );
        assert!(
            title_purpose("IRP-Ransomware: Ransomware in AWS Environments")
                .contains(&Contingency::Recovery)
        );
        assert!(title_purpose("Production Deployment Checklist").is_empty());
        assert!(
            title_purpose("Deploy and rollback guide").is_empty(),
            "forward work with a rollback section"
        );
        assert!(title_purpose("Database Maintenance Runbook").is_empty());
    }
}
