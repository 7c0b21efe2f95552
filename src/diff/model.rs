//! What a comparison of two runs is made of: categories, changes, the step
//! pairs, and the comparison with its verdict.

use std::collections::BTreeMap;

use serde::Serialize;

use super::hosts::HostState;
use crate::record::{Kind, Origin, Reason, RunInfo, Status};

/// What kind of change a step shows, most important first: a step is
/// counted under the first that applies to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// It failed this time, and did not before.
    Failed,
    /// Any other change of status (done → skipped, failed → done, not reached).
    Status,
    /// It took another number of attempts, or its earlier attempts ended
    /// otherwise (failed and retried this time, not before), as a whole or
    /// on one host of a fleet.
    Attempts,
    New,
    Gone,
    /// It stands elsewhere among the steps beside it: out of order, or in
    /// another section.
    Moved,
    /// Its text in the checklist reads otherwise (a task, a blank or a
    /// choice; a block's change is its command's).
    Reworded,
    /// A fleet block ran on hosts it did not run on before, or no longer on
    /// some.
    Hosts,
    Answer,
    Command,
    Output,
    Slower,
    Note,
}

impl Category {
    /// The word the verdict and the reports use.
    pub fn word(self) -> &'static str {
        match self {
            Category::Failed => "failed",
            Category::Status => "status",
            Category::Attempts => "attempts",
            Category::New => "new",
            Category::Gone => "gone",
            Category::Moved => "moved",
            Category::Reworded => "reworded",
            Category::Hosts => "hosts",
            Category::Answer => "answer",
            Category::Command => "command",
            Category::Output => "output",
            Category::Slower => "slower",
            Category::Note => "note",
        }
    }
}

/// Where a step ended up, as far as a comparison cares: its status, and for
/// a failure the exit code and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct State {
    /// `None`: the run never reached it.
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<i32>,
    /// The reason that tells this status apart (refused, timeout, declined ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Left off the run's path on purpose (a contingency section nobody
    /// called for, an option not chosen), rather than not reached.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub off_path: bool,
}

/// One change of one step pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Change {
    Status {
        old: State,
        new: State,
    },
    /// It was tried another number of times, or its tries before the last
    /// ended otherwise: how many attempts each run made, and how each
    /// attempt before the last ended, oldest first.
    Attempts {
        old: usize,
        new: usize,
        old_earlier: Vec<State>,
        new_earlier: Vec<State>,
    },
    /// In the new run only.
    New,
    /// In the old run only.
    Gone,
    /// The step stands elsewhere: its place among the steps beside it
    /// (the runbook's top-level steps, or its task's), counted from 1, and
    /// the step before it there (`None`: it is first).
    Moved {
        old_place: usize,
        new_place: usize,
        old_after: Option<String>,
        new_after: Option<String>,
    },
    /// The step's text reads otherwise: what the operator was asked to do
    /// or answer changed between the runs.
    Reworded {
        old: String,
        new: String,
    },
    Answer {
        old: Option<String>,
        new: Option<String>,
    },
    /// Where an answer came from: typed at the prompt in one run, given by
    /// the answers file in the other (the answer itself the same or not).
    /// `placeholder`: which of a command's placeholders; `None` for a blank
    /// or choice.
    Origin {
        #[serde(skip_serializing_if = "Option::is_none")]
        placeholder: Option<String>,
        old: Origin,
        new: Origin,
    },
    /// The command as it ran (edited, placeholders filled) or as the runbook
    /// has it, when that differs.
    Command {
        old: String,
        new: String,
        diff: String,
    },
    /// The output differs once noise is masked: a unified diff.
    Output {
        diff: String,
    },
    Slower {
        old_ms: u64,
        new_ms: u64,
    },
    Note {
        old: Option<String>,
        new: Option<String>,
    },
    /// A fleet block ended otherwise on one host; `None` on the side whose
    /// run of the block did not have the host.
    Host {
        host: String,
        old: Option<HostState>,
        new: Option<HostState>,
    },
    /// A fleet block was tried another number of times on one host, or its
    /// tries there before the last ended otherwise: how many each run made
    /// there (0 where it did not run there), and how each before the last
    /// ended, oldest first.
    HostAttempts {
        host: String,
        old: usize,
        new: usize,
        old_earlier: Vec<HostState>,
        new_earlier: Vec<HostState>,
    },
    /// What a fleet block printed on one host differs, once noise is masked.
    HostOutput {
        host: String,
        diff: String,
    },
}

impl Change {
    /// The category this change falls in.
    pub fn category(&self) -> Category {
        match self {
            Change::Status { new, .. } if new.status == Some(Status::Failed) => Category::Failed,
            Change::Status { .. } => Category::Status,
            Change::Attempts { .. } | Change::HostAttempts { .. } => Category::Attempts,
            Change::New => Category::New,
            Change::Gone => Category::Gone,
            Change::Moved { .. } => Category::Moved,
            Change::Reworded { .. } => Category::Reworded,
            Change::Answer { .. } | Change::Origin { .. } => Category::Answer,
            Change::Command { .. } => Category::Command,
            Change::Output { .. } => Category::Output,
            Change::Slower { .. } => Category::Slower,
            Change::Note { .. } => Category::Note,
            Change::Host { new: Some(n), .. } if n.status.is_failure() => Category::Failed,
            Change::Host {
                old: Some(_),
                new: Some(_),
                ..
            } => Category::Status,
            Change::Host { .. } => Category::Hosts,
            Change::HostOutput { .. } => Category::Output,
        }
    }
}

/// A step as the comparison shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRef {
    pub id: String,
    pub kind: Kind,
    pub line: usize,
    pub heading: Vec<String>,
    pub text: String,
    /// The block's `name=`, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The text of the task it belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    pub status: Option<Status>,
    /// How long its last attempt ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl StepRef {
    /// `Heading › Sub-heading › Parent task › text`; a command by its name,
    /// else its first line, as code.
    pub fn label(&self) -> String {
        let own = match (self.kind, &self.name) {
            (Kind::Command, Some(name)) => format!("`{name}`"),
            (Kind::Command, None) => format!("`{}`", shorten(&self.text, 60)),
            _ => self.text.clone(),
        };
        let mut parts: Vec<&str> = self.heading.iter().map(String::as_str).collect();
        parts.extend(self.task.as_deref());
        parts.push(&own);
        parts.retain(|p| !p.is_empty());
        parts.join(" › ")
    }
}

/// `text` cut to `max` characters, with `…` where it was cut.
pub(super) fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// One aligned pair of steps and what changed between them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepDiff {
    pub old: Option<StepRef>,
    pub new: Option<StepRef>,
    /// The most important change, `None` when the two are equivalent.
    pub category: Option<Category>,
    pub changes: Vec<Change>,
}

impl StepDiff {
    /// The new step, else the old one.
    pub fn step(&self) -> &StepRef {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .expect("a pair has a step on one side at least")
    }
}

/// One side of a comparison: which file, and its run's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    pub path: String,
    pub run: RunInfo,
    /// `41 done · 3 skipped · 1 failed`.
    pub tally: String,
    /// Whether the transcript is the record its run wrote (its sha256):
    /// false when it was edited, cut short or converted since.
    pub intact: bool,
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub old: Side,
    pub new: Side,
    /// How many steps differ.
    pub changed: usize,
    /// Steps that differ by the kinds of their entries: a step whose task
    /// changed status and whose block printed otherwise counts under both.
    pub counts: BTreeMap<Category, usize>,
    /// What the reader should know before trusting the pairing.
    pub warnings: Vec<String>,
    /// Every aligned pair, in the order of the new run.
    pub steps: Vec<StepDiff>,
}

impl Comparison {
    /// No step differs.
    pub fn equivalent(&self) -> bool {
        self.changed == 0
    }

    /// `equivalent`, or `3 steps differ: 1 failed, 1 slower, 1 output`.
    pub fn verdict(&self) -> String {
        let changed = self.changed;
        if changed == 0 {
            return "equivalent".into();
        }
        let parts: Vec<String> = self
            .counts
            .iter()
            .map(|(c, n)| format!("{n} {}", c.word()))
            .collect();
        let steps = if changed == 1 {
            "step differs"
        } else {
            "steps differ"
        };
        format!("{changed} {steps}: {}", parts.join(", "))
    }

    /// The changed steps, most important first, then in run order.
    pub fn changed(&self) -> Vec<&StepDiff> {
        let mut changed: Vec<&StepDiff> =
            self.steps.iter().filter(|s| s.category.is_some()).collect();
        changed.sort_by_key(|s| s.category);
        changed
    }
}
