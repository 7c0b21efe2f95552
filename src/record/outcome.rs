//! What happened to one step, and to the run: statuses, the reasons behind
//! them, run state and mode, as enums that serialise to the transcript's words.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a step ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Done,
    Failed,
    Skipped,
    /// Nobody confirmed it: a manual task in an unattended run.
    NotConfirmed,
}

/// Writes an enum as the word the transcript uses, and reads it back.
macro_rules! words {
    ($ty:ident { $($variant:ident => $word:literal,)* }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant,)*];

            /// The word used in markers, the journal and reports.
            pub fn word(self) -> &'static str {
                match self {
                    $($ty::$variant => $word,)*
                }
            }
        }

        impl FromStr for $ty {
            type Err = UnknownWord;

            fn from_str(word: &str) -> Result<Self, UnknownWord> {
                match word {
                    $($word => Ok($ty::$variant),)*
                    _ => Err(UnknownWord {
                        what: stringify!($ty),
                        word: word.to_string(),
                    }),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.word())
            }
        }
    };
}

/// A word in a transcript that names no known status, reason, state or mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    pub what: &'static str,
    pub word: String,
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a {} runsheet writes", self.word, self.what)
    }
}

words!(Status {
    Done => "done",
    Failed => "failed",
    Skipped => "skipped",
    NotConfirmed => "not-confirmed",
});

impl Status {
    /// Done or deliberately skipped: `resume` does not come back to it.
    pub fn is_settled(self) -> bool {
        matches!(self, Status::Done | Status::Skipped)
    }
}

/// How a step got its status, when that matters. Several can hold at once
/// (a block that timed out and was then ignored by the operator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Ticked because its steps succeeded, in an unattended run.
    Auto,
    /// Skipped because its fence says `skip`.
    Attribute,
    Timeout,
    Interrupted,
    /// The shell ended (the block's `exit`, or killed before the block); a new
    /// session went on from the last snapshot.
    Restarted,
    /// Failed, and the operator chose to go on.
    Ignored,
    /// Not run: a placeholder had no value.
    Unfilled,
    /// Not run: it needed a person's confirmation and nobody was there.
    Refused,
    /// Not run: the operator did not confirm it.
    Declined,
    /// Run after the operator typed `yes`.
    Confirmed,
    /// Destructive, run because of `--allow-destructive`.
    AllowedDestructive,
    /// The output matched the example in a `$ `-prompt block.
    ExampleMatches,
    ExampleDiffers,
    /// An `Expected` hint nobody checked (unattended).
    NotVerified,
    /// The operator said the output matched the `Expected` hint.
    Verified,
    /// The operator said the output did not match the `Expected` hint.
    Mismatch,
    /// The output did not contain what `expect=` asks for.
    Expect,
    /// Not the exit code `expect_exit=` asks for.
    UnexpectedExit,
    /// A contingency section the run did not need: passed over.
    NotNeeded,
    /// A contingency section the run went into, for the reason in `value`.
    Entered,
    /// The one section the run was limited to (`--only`).
    Only,
    /// The option of a group of alternatives that the run took.
    Chosen,
    /// An option the run did not take, another of its group being chosen.
    NotChosen,
    /// A step done by hand that takes time was waited out; `ms` says how long.
    Waited,
    /// A choice answered on its negative side (`No`, `NO-GO`, `Rollback`);
    /// on a task, that one of its choices was.
    Negative,
    /// A number typed into a blank misses the target the document states;
    /// on a task, that one of its blanks did.
    OffTarget,
    /// The operator edited the block before it ran (placeholders filled in
    /// are not an edit: see `Outcome::fills`).
    Edited,
    /// Answered ahead of time in the answers file, not by a person at a
    /// prompt: a blank, a choice, a task or a `manual` block.
    AnswersFile,
    /// The block took the shell's working directory away (removed, moved
    /// or replaced it): the shell is still in it for the next block.
    CwdGone,
    /// The block does not end by itself (`kubectl get pods -w`, `tail -f`):
    /// done when the operator stopped it with Ctrl-C or its timeout did;
    /// not confirmed when nobody was there to stop it and it had no
    /// timeout, so it was not run.
    Endless,
}

words!(Reason {
    Auto => "auto",
    Attribute => "attribute",
    Timeout => "timeout",
    Interrupted => "interrupted",
    Restarted => "restarted",
    Ignored => "ignored",
    Unfilled => "unfilled",
    Refused => "refused",
    Declined => "declined",
    Confirmed => "confirmed",
    AllowedDestructive => "allowed-destructive",
    ExampleMatches => "example-matches",
    ExampleDiffers => "example-differs",
    NotVerified => "not-verified",
    Verified => "verified",
    Mismatch => "mismatch",
    Expect => "expect",
    UnexpectedExit => "unexpected-exit",
    NotNeeded => "not-needed",
    Entered => "entered",
    Only => "only",
    Chosen => "chosen",
    NotChosen => "not-chosen",
    Waited => "waited",
    Negative => "negative",
    OffTarget => "off-target",
    Edited => "edited",
    AnswersFile => "answers-file",
    CwdGone => "cwd-gone",
    Endless => "endless",
});

/// Where an answer or a placeholder's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Typed at the prompt, by the operator.
    Prompt,
    /// Given ahead of time in the answers file.
    AnswersFile,
}

words!(Origin {
    Prompt => "prompt",
    AnswersFile => "answers-file",
});

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    #[default]
    Running,
    /// Walked to the end.
    Complete,
    /// A failure stopped it.
    Stopped,
    /// The operator quit, or a signal stopped it.
    Interrupted,
}

words!(RunState {
    Running => "running",
    Complete => "complete",
    Stopped => "stopped",
    Interrupted => "interrupted",
});

/// Who answered the run's questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// A person at a terminal.
    #[default]
    Interactive,
    /// Nobody: `--yes`.
    Unattended,
}

words!(Mode {
    Interactive => "interactive",
    Unattended => "unattended",
});

/// What happened to one step, as the run records it in the journal and the
/// transcript: its last attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub id: String,
    pub status: Status,
    /// UTC time the step ended, RFC 3339.
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<i32>,
    #[serde(default)]
    pub ms: u64,
    /// How it got its status, when that matters.
    #[serde(
        rename = "how",
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "known_reasons"
    )]
    pub reasons: Vec<Reason>,
    /// Captured output, cleaned and with secrets masked.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
    /// The command as it ran, when it differs from the runbook's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ran: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The answer to a blank or choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The placeholders filled in the command before it ran, each with its
    /// value as shown (a secret's as `•••`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fills: Vec<(String, String)>,
    /// The tokens of `fills` whose values the answers file gave, when it
    /// gave some of them and the operator typed the others; when it gave
    /// them all, the reason `answers-file` says so instead (see
    /// `Outcome::fill_origin`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fills_from_file: Vec<String>,
    /// The host the step ran on, when it did not run here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// A block run on hosts of a fleet: what it did on each, in inventory order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<super::HostOutcome>,
    /// The step's earlier attempts (failed, edited, interrupted, skipped,
    /// answered before it was gone back to), newest first: the audit record
    /// keeps them all. Each holds no earlier attempts of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<Outcome>,
}

/// Reasons from a journal line, each read as a word; a word this version does
/// not know (written by a newer one) is dropped rather than losing the line.
pub(super) fn known_reasons<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<Reason>, D::Error> {
    let words = Vec::<String>::deserialize(d)?;
    Ok(words.iter().filter_map(|w| w.parse().ok()).collect())
}

impl Outcome {
    /// A new outcome stamped now.
    pub fn new(id: String, status: Status) -> Outcome {
        Outcome::stamped(id, status, now())
    }

    /// An outcome stamped `at`: one read back, whose time is recorded
    /// (reading a transcript need not ask the clock once a step).
    pub fn stamped(id: String, status: Status, at: String) -> Outcome {
        Outcome {
            id,
            status,
            at,
            exit: None,
            ms: 0,
            reasons: Vec::new(),
            output: String::new(),
            ran: None,
            note: None,
            value: None,
            fills: Vec::new(),
            fills_from_file: Vec::new(),
            host: None,
            hosts: Vec::new(),
            earlier: Vec::new(),
        }
    }

    /// This outcome as the newest attempt of a step whose outcome so far was
    /// `previous`: that one, and everything before it, become earlier attempts.
    pub fn after(mut self, mut previous: Outcome) -> Outcome {
        let mut earlier = std::mem::take(&mut previous.earlier);
        earlier.insert(0, previous);
        self.earlier = earlier;
        self
    }

    /// Every attempt, oldest first, this one last.
    pub fn attempts(&self) -> impl Iterator<Item = &Outcome> {
        self.earlier.iter().rev().chain(std::iter::once(self))
    }

    /// Whether `reason` is among the reasons recorded.
    pub fn has(&self, reason: Reason) -> bool {
        self.reasons.contains(&reason)
    }

    /// Adds `reason` once.
    pub fn add(&mut self, reason: Reason) {
        if !self.has(reason) {
            self.reasons.push(reason);
        }
    }

    /// Ran on hosts of a fleet, and nothing went wrong on any of them in
    /// this block: the hosts it did not run on left the run at an earlier step.
    pub fn only_hosts_left_before(&self) -> bool {
        !self.hosts.is_empty() && !self.hosts.iter().any(|h| h.status.is_failure())
    }

    /// Records the placeholders filled in a command before it ran, each as
    /// `(token, value as shown, whether the answers file gave it)`, in the
    /// order they were filled: `answers-file` when the file gave every
    /// value, the tokens it gave when it gave only some.
    pub fn set_fills(&mut self, fills: &[(String, String, bool)]) {
        self.fills = fills
            .iter()
            .map(|(token, value, _)| (token.clone(), value.clone()))
            .collect();
        let from_file: Vec<String> = fills
            .iter()
            .filter(|(_, _, f)| *f)
            .map(|(token, _, _)| token.clone())
            .collect();
        self.reasons.retain(|r| *r != Reason::AnswersFile);
        self.fills_from_file.clear();
        if from_file.is_empty() {
            return;
        }
        if from_file.len() == fills.len() {
            self.add(Reason::AnswersFile);
        } else {
            self.fills_from_file = from_file;
        }
    }

    /// Where the value `fills` holds for `token` came from. A command
    /// marked `answers-file` without a list of tokens had every value from
    /// the answers file (transcripts written before the list say so of
    /// each, as their status lines did).
    pub fn fill_origin(&self, token: &str) -> Origin {
        let from_file = if self.fills_from_file.is_empty() {
            self.has(Reason::AnswersFile)
        } else {
            self.fills_from_file.iter().any(|t| t == token)
        };
        if from_file {
            Origin::AnswersFile
        } else {
            Origin::Prompt
        }
    }

    /// With `reason` added.
    pub fn because(mut self, reason: Reason) -> Outcome {
        self.add(reason);
        self
    }
}

/// The current UTC time, to the second, RFC 3339.
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// `05:11:02Z` from an RFC 3339 time, for the parts people read.
pub fn clock(at: &str) -> &str {
    at.split_once('T').map_or(at, |(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_match_serde() {
        for &r in Reason::ALL {
            assert_eq!(r.word().parse::<Reason>(), Ok(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.word())
            );
        }
        for &s in Status::ALL {
            assert_eq!(s.word().parse::<Status>(), Ok(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.word())
            );
        }
        for &s in RunState::ALL {
            assert_eq!(s.word().parse::<RunState>(), Ok(s));
        }
        for &m in Mode::ALL {
            assert_eq!(m.word().parse::<Mode>(), Ok(m));
        }
        assert!("finished".parse::<RunState>().is_err());
        for &o in Origin::ALL {
            assert_eq!(o.word().parse::<Origin>(), Ok(o));
            assert_eq!(
                serde_json::to_string(&o).unwrap(),
                format!("\"{}\"", o.word())
            );
        }
    }

    #[test]
    fn each_placeholder_value_keeps_where_it_came_from() {
        let fill = |t: &str, v: &str, f: bool| (t.to_string(), v.to_string(), f);
        let mut o = Outcome::new("s2".into(), Status::Done);
        // Some from the file, some typed: only those are the file's.
        o.set_fills(&[fill("<host>", "web-1", true), fill("<port>", "8080", false)]);
        assert!(!o.has(Reason::AnswersFile));
        assert_eq!(o.fills_from_file, ["<host>"]);
        assert_eq!(o.fill_origin("<host>"), Origin::AnswersFile);
        assert_eq!(o.fill_origin("<port>"), Origin::Prompt);
        // All from the file: the reason says it of each.
        o.set_fills(&[fill("<host>", "web-1", true), fill("<port>", "8080", true)]);
        assert!(o.has(Reason::AnswersFile));
        assert!(o.fills_from_file.is_empty());
        assert_eq!(o.fill_origin("<port>"), Origin::AnswersFile);
        // All typed.
        o.set_fills(&[fill("<host>", "web-1", false)]);
        assert!(!o.has(Reason::AnswersFile));
        assert_eq!(o.fill_origin("<host>"), Origin::Prompt);
        // A journal line of an earlier version has no list: read as before.
        let line = r#"{"id":"s2","status":"done","at":"2026-11-21T05:11:01Z","how":["answers-file"],"fills":[["<host>","web-1"],["<port>","8080"]]}"#;
        let old: Outcome = serde_json::from_str(line).unwrap();
        assert_eq!(old.fill_origin("<port>"), Origin::AnswersFile);
        let back = serde_json::to_string(&old).unwrap();
        assert!(!back.contains("fills_from_file"), "{back}");
    }

    #[test]
    fn journal_lines_of_earlier_versions_still_read() {
        let line = r#"{"id":"s2","status":"failed","at":"2026-11-21T05:11:01Z","exit":1,"ms":20,"how":["timeout","from-the-future"],"output":"x\n"}"#;
        let o: Outcome = serde_json::from_str(line).unwrap();
        assert_eq!(o.reasons, vec![Reason::Timeout]);
        assert_eq!(o.host, None);
        let back = serde_json::to_string(&o).unwrap();
        assert!(back.contains(r#""how":["timeout"]"#), "{back}");
    }

    #[test]
    fn a_new_attempt_keeps_the_ones_before_it_newest_first() {
        let first = Outcome::new("s1".into(), Status::Failed);
        let mut second = Outcome::new("s1".into(), Status::Skipped);
        second.at = "2026-11-21T05:11:02Z".into();
        let second = second.after(first.clone());
        let third = Outcome::new("s1".into(), Status::Done).after(second.clone());
        let statuses: Vec<Status> = third.earlier.iter().map(|o| o.status).collect();
        assert_eq!(statuses, [Status::Skipped, Status::Failed]);
        assert!(third.earlier.iter().all(|o| o.earlier.is_empty()));
        let order: Vec<Status> = third.attempts().map(|o| o.status).collect();
        assert_eq!(order, [Status::Failed, Status::Skipped, Status::Done]);
        // The journal keeps the whole history on each line.
        let line = serde_json::to_string(&third).unwrap();
        let back: Outcome = serde_json::from_str(&line).unwrap();
        assert_eq!(back, third);
    }
}
