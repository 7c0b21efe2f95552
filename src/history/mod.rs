//! Many runs of one runbook side by side: steps aligned across runs, with trends.

mod build;
mod page;
mod stats;
mod table;

use std::collections::HashSet;

use serde::Serialize;

pub use build::{Loaded, build, group};
pub use page::html;
pub use stats::{Person, Trend};
pub use table::{Format, render};

use crate::diff::State;
use crate::record::{Counts, Kind, Mode, Origin, RunState, Status};

/// The runs of one runbook, in time order, and its steps aligned across them.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The runbook's path as the runs recorded it.
    pub runbook: String,
    /// The runbook's versions (sha256) the runs were made from, oldest first.
    pub versions: Vec<String>,
    pub runs: Vec<Run>,
    /// One row a step, in the order of the latest run that has it.
    pub rows: Vec<Row>,
    /// Who ran it, most runs first.
    pub people: Vec<Person>,
    /// The pattern `--step` kept the rows by: each run's failures and
    /// retried steps are then of those rows alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

impl History {
    /// Only the rows whose label contains `pattern`, in any case (`--step`):
    /// each run's failures and retried steps then those of these rows alone.
    pub fn keep_steps(&mut self, pattern: &str) {
        let lower = pattern.to_lowercase();
        self.rows
            .retain(|r| r.label.to_lowercase().contains(&lower));
        self.step = Some(pattern.to_string());
        for (i, run) in self.runs.iter_mut().enumerate() {
            let shown: HashSet<&str> = self
                .rows
                .iter()
                .filter_map(|r| r.cells.get(i)?.as_ref())
                .map(|c| c.id.as_str())
                .collect();
            run.failures.retain(|f| shown.contains(f.id.as_str()));
        }
        self.count_retries();
    }

    /// What `--step` left out, said once where the runs are listed: `None`
    /// when the history has every step.
    pub fn narrowed(&self) -> Option<String> {
        self.step.as_ref().map(|pattern| {
            format!(
                "Only the steps whose label contains \"{pattern}\": a run's failures and \
                 retried steps are of these steps; its result and counts are the whole run's."
            )
        })
    }

    /// Each run's steps that took more than one attempt, and the attempts
    /// they made before their last, among the rows shown: a task shown
    /// through its blocks counts through them, once.
    fn count_retries(&mut self) {
        for (i, run) in self.runs.iter_mut().enumerate() {
            let earlier = self
                .rows
                .iter()
                .filter_map(|r| r.cells.get(i)?.as_ref())
                .filter(|c| c.retried())
                .map(|c| c.earlier.len());
            (run.retried, run.extra_attempts) =
                earlier.fold((0, 0), |(steps, extra), n| (steps + 1, extra + n));
        }
    }
}

/// One run: its summary and what stood out in it.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The transcript it was read from.
    pub transcript: String,
    pub id: String,
    pub started: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    pub operator: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    pub sha256: String,
    pub state: RunState,
    pub mode: Mode,
    /// From its start to its end, else the steps' durations added up.
    pub duration_ms: u64,
    pub counts: Counts,
    /// `passed`, `failed`, `not confirmed`, `interrupted`...: the run in a
    /// word; `edited` when its transcript is not the record the run wrote.
    pub result: &'static str,
    /// Whether its transcript is the record the run wrote (its sha256).
    pub intact: bool,
    /// Answers given to blanks and choices, by step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Answer>,
    /// The steps that failed, with the end of what they printed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
    /// Its steps that took more than one attempt (retried by `retries=`,
    /// at the failure prompt, or by `resume`), as `diff` counts attempts:
    /// of the steps the history shows (`--step` narrows them).
    pub retried: usize,
    /// The attempts those steps made before their last.
    pub extra_attempts: usize,
}

impl Run {
    /// `1 step retried (+2 attempts)`; `None` when no step was.
    pub fn retried_text(&self) -> Option<String> {
        (self.retried > 0).then(|| {
            format!(
                "{} retried (+{})",
                crate::screen::plural(self.retried, "step"),
                crate::screen::plural(self.extra_attempts, "attempt")
            )
        })
    }
}

/// An answer a run recorded: a blank's, a choice's, or a placeholder's value.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub step: String,
    /// The placeholder of the command `step` it filled (`<release-tag>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    pub answer: String,
    /// Typed at the prompt, or given by the answers file.
    pub from: Origin,
}

/// Where a step's answers came from in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnswerFrom {
    /// Typed at the prompt.
    Prompt,
    /// Given by the answers file.
    AnswersFile,
    /// A command's placeholders: some typed, some from the answers file.
    Both,
}

impl AnswerFrom {
    /// The word JSON and CSV use.
    pub fn word(self) -> &'static str {
        match self {
            AnswerFrom::Prompt => "prompt",
            AnswerFrom::AnswersFile => "answers-file",
            AnswerFrom::Both => "both",
        }
    }

    /// In a sentence: `typed`, `from the answers file`.
    pub fn said(self) -> &'static str {
        match self {
            AnswerFrom::Prompt => "typed",
            AnswerFrom::AnswersFile => "from the answers file",
            AnswerFrom::Both => "partly from the answers file",
        }
    }
}

/// A step that failed in a run.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub step: String,
    /// The step's id in its run, to tell it among the rows (`--step`).
    #[serde(skip)]
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<i32>,
    /// The end of its output (secrets masked, as the transcript has it).
    pub output: String,
}

/// A step across the runs.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `Heading › task or command`, as a reader finds it in the runbook.
    pub label: String,
    pub kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// One cell a run, `None` where the run's runbook had no such step.
    pub cells: Vec<Option<Cell>>,
    pub trend: Trend,
}

impl Row {
    /// The runs (by index) grouped by where the step's answers came from,
    /// when that was not the same in every run that answered it.
    pub fn answered_differently(&self) -> Option<Vec<(AnswerFrom, Vec<usize>)>> {
        let mut groups: Vec<(AnswerFrom, Vec<usize>)> = Vec::new();
        for (run, from) in self
            .cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((i, c.as_ref()?.answer_from?)))
        {
            match groups.iter_mut().find(|(f, _)| *f == from) {
                Some((_, runs)) => runs.push(run),
                None => groups.push((from, vec![run])),
            }
        }
        (groups.len() > 1).then_some(groups)
    }
}

/// What became of a step in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// `None`: the run never reached it.
    pub status: Option<Status>,
    /// Left off the run's path on purpose (a contingency section not needed).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub off_path: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ms: Option<u64>,
    /// Where its answer (a blank's, a choice's) or its placeholders' values
    /// came from; `None` when it had none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_from: Option<AnswerFrom>,
    /// How many times it was tried (0: not reached), as `diff` counts
    /// attempts: a run that only waited for a person and was resumed is
    /// one attempt.
    pub attempts: usize,
    /// How each attempt before the last ended, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<State>,
    /// The step's id in this run, to tell its failure (`--step`).
    #[serde(skip)]
    pub id: String,
}

impl Cell {
    /// Tried more than once.
    pub fn retried(&self) -> bool {
        !self.earlier.is_empty()
    }

    /// `3 attempts (earlier: failed (exit 1), failed (exit 1))`; `None`
    /// when it was tried once or not at all.
    pub fn attempts_text(&self) -> Option<String> {
        self.retried().then(|| {
            let each: Vec<String> = self.earlier.iter().map(crate::diff::describe).collect();
            format!("{} attempts (earlier: {})", self.attempts, each.join(", "))
        })
    }

    /// The glyph a table shows for it.
    pub fn glyph(&self) -> &'static str {
        match (self.off_path, self.status) {
            (true, _) => "–",
            (_, Some(Status::Done)) => "✓",
            (_, Some(Status::Failed)) => "✗",
            (_, Some(Status::Skipped)) => "↷",
            (_, Some(Status::NotConfirmed)) => "?",
            (_, None) => "·",
        }
    }
}

/// `850ms`, `1.2s`, `3m05s`, `1h02m`: short enough for a table cell.
pub fn short_duration(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        60_000..3_600_000 => format!("{}m{:02}s", ms / 60_000, ms / 1000 % 60),
        _ => format!("{}h{:02}m", ms / 3_600_000, ms / 60_000 % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_stay_short() {
        assert_eq!(short_duration(850), "850ms");
        assert_eq!(short_duration(1_250), "1.2s");
        assert_eq!(short_duration(185_000), "3m05s");
        assert_eq!(short_duration(3_720_000), "1h02m");
    }
}
