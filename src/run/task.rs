//! Task steps: a task that owns steps is ticked when they succeed; a task
//! with nothing to run is a question for the operator.

use super::{Flow, Run};
use crate::doc::Step;
use crate::error::Result;
use crate::operator::{ANSWERED_IN_FILE, FailureChoice, TaskChoice};
use crate::record::{Outcome, Reason, Status};

impl Run<'_> {
    /// A task that owns commands or sub-tasks: ticked when they all succeed.
    pub(super) fn parent_task(&mut self, step: &Step) -> Result<Flow> {
        if crate::screen::verbosity() > crate::screen::Verbosity::Quiet {
            // An item that heads others is not a step: no number of its own.
            let line = if self.units.counted(step.at()) {
                crate::operator::progress_with_text(&self.view(step, ""))
            } else if step.heading.is_empty() {
                step.text.clone()
            } else {
                format!("{} · {}", step.heading_path(), step.text)
            };
            self.operator.say(&format!("\n{line}"));
        }
        let flow = self.walk(&step.children)?;
        if let Flow::Goto(_) = flow {
            // Going elsewhere: the task is settled when the walk comes back.
            return Ok(flow);
        }
        if flow != Flow::Continue {
            // Stopped inside: the task failed if a step of it did; else it waits.
            if self.status_of_children(step).contains(&Status::Failed) {
                let outcome = self.answered_against(step, Outcome::new(step.id(), Status::Failed));
                self.record_task(outcome, true)?;
            }
            return Ok(flow);
        }
        let statuses = self.status_of_children(step);
        let status = [Status::Failed, Status::NotConfirmed, Status::Skipped]
            .into_iter()
            .find(|s| statuses.contains(s))
            .unwrap_or(Status::Done);
        let mut outcome = Outcome::new(step.id(), status);
        if status == Status::Done && !self.settings.attended() {
            outcome.add(Reason::Auto);
        }
        let outcome = self.answered_against(step, outcome);
        self.record_task(outcome, false)?;
        Ok(Flow::Continue)
    }

    /// Before a block that failed inside a task is tried again (by its
    /// `retries=`, or the operator's retry or edit) or skipped at the
    /// failure prompt: each task it is in failed with it, as it does when
    /// the run stops there and is resumed, so the task keeps that failure
    /// as an earlier attempt, as the block does, however the block came to
    /// be retried or skipped.
    pub(super) fn fail_tasks_above(&mut self, step: &Step) -> Result<()> {
        let mut at = step.parent();
        while let Some(p) = at {
            let task = &self.book.steps[p];
            at = task.parent();
            if task.task().is_some() {
                let outcome = self.answered_against(task, Outcome::new(task.id(), Status::Failed));
                self.record_task(outcome, false)?;
            }
        }
        Ok(())
    }

    /// Records what became of a task that owns steps; a failure that stood
    /// on resume (see `failure_stands`) is the one on record, not another
    /// attempt.
    fn record_task(&mut self, outcome: Outcome, urgent: bool) -> Result<()> {
        let same = outcome.status == Status::Failed
            && self.recorder.outcome(&outcome.id).is_some_and(|was| {
                was.status == Status::Failed
                    && was.reasons == outcome.reasons
                    && was.note == outcome.note
            });
        if same {
            return Ok(());
        }
        self.record(outcome, urgent)
    }

    /// `outcome` of task `step`, with the answers that failed it: a choice
    /// answered on its failing side, a value that missed its target. Their
    /// reasons are the task's, and what they were is its note.
    fn answered_against(&self, step: &Step, mut outcome: Outcome) -> Outcome {
        let mut why: Vec<String> = Vec::new();
        for &c in &step.children {
            let Some(o) = self.recorder.outcome(&self.book.steps[c].id()) else {
                continue;
            };
            if o.status != Status::Failed {
                continue;
            }
            for reason in [Reason::Negative, Reason::OffTarget] {
                if o.has(reason) {
                    outcome.add(reason);
                    why.extend(o.note.clone());
                }
            }
        }
        if !why.is_empty() {
            outcome.note = Some(why.join("; "));
        }
        outcome
    }

    /// Where each child of `step` ended up; a child never reached is not
    /// confirmed. A child left off the run's path (a contingency section
    /// nobody called for, an option not taken) has no say.
    fn status_of_children(&self, step: &Step) -> Vec<Status> {
        step.children
            .iter()
            .filter(|&&c| !self.left_off(c))
            .map(|&c| {
                let child = &self.book.steps[c];
                if child.task().is_some_and(|t| t.checked) {
                    Status::Done
                } else {
                    self.recorder
                        .outcome(&child.id())
                        .map_or(Status::NotConfirmed, |o| o.status)
                }
            })
            .collect()
    }

    /// A task (or a `manual` block) done by hand: the operator says how it went.
    pub(super) fn manual_task(&mut self, step: &Step) -> Result<Flow> {
        // A step that takes time: counted down first, or waited out unattended.
        let mut waited = None;
        if let Some(&wait) = step.wait.as_deref() {
            if self.settings.attended() {
                waited = self.count_down(step, wait)?;
            } else if self.waits_unattended(&wait) {
                return self.wait_unattended(step, wait);
            }
        }
        let (choice, note) = loop {
            self.before_prompt()?;
            let view = self.view(step, "");
            match self.operator.task(&view)? {
                (TaskChoice::Contingency(k), _) => match self.start_asked(k, step)? {
                    Flow::Continue => {}
                    flow => return Ok(flow),
                },
                answer => break answer,
            }
        };
        let status = match choice {
            TaskChoice::Done => Status::Done,
            TaskChoice::Skip => Status::Skipped,
            TaskChoice::Failed => Status::Failed,
            TaskChoice::NotConfirmed => Status::NotConfirmed,
            // A contingency section was asked for and run above.
            TaskChoice::Quit | TaskChoice::Contingency(_) => return Ok(Flow::Interrupted),
            TaskChoice::Back => return Ok(self.back(step.at())),
            TaskChoice::GoTo(target) => return Ok(self.go(step.at(), target)),
        };
        if status == Status::NotConfirmed
            && let Some(flow) = self.failure_stands(step)?
        {
            return Ok(flow);
        }
        let mut outcome = Outcome::new(step.id(), status);
        // The answers file's answers come with this note; the reason says
        // so where programs look.
        if note.as_deref() == Some(ANSWERED_IN_FILE) {
            outcome.add(Reason::AnswersFile);
        }
        outcome.note = note.map(|n| self.secrets.redact(&n));
        if let Some(waited) = waited {
            outcome.add(Reason::Waited);
            outcome.ms = super::wait::millis(waited);
        }
        self.record(outcome, status == Status::Failed)?;
        if status == Status::Failed {
            if !self.settings.attended() {
                return self.after_unattended_failure(step, "");
            }
            return self.setback(step, &format!("\"{}\" failed", step.text));
        }
        Ok(Flow::Continue)
    }

    /// Unattended, with no new answer for a step whose last answer failed
    /// it (a NO-GO, a task answered failed, a value off its target), as on
    /// resume: that answer stands, and the run goes where the run that gave
    /// it went (stops, unless the operator chose to go on or `--keep-going`
    /// says so). `None` when the step has no such failure on record.
    pub(super) fn failure_stands(&mut self, step: &Step) -> Result<Option<Flow>> {
        if self.settings.attended() {
            return Ok(None);
        }
        let Some(was) = self
            .recorder
            .outcome(&step.id())
            .filter(|o| o.status == Status::Failed)
            .cloned()
        else {
            return Ok(None);
        };
        // An answer that failed the step says what it was; a task answered
        // `failed` has no more to say than that.
        let why = match &was.note {
            Some(note) if was.has(Reason::Negative) || was.has(Reason::OffTarget) => note.clone(),
            _ => format!("\"{}\" failed", step.text),
        };
        let place = self.place(step);
        self.operator.say(&format!(
            "{place}: {why}, as answered before, and no new answer: the step stays failed."
        ));
        self.note_failure(&was);
        if was.has(Reason::Ignored) {
            return Ok(Some(Flow::Continue));
        }
        self.after_unattended_failure(step, "").map(Some)
    }

    /// After a step failed with nobody to ask: go on under `--keep-going`, else stop.
    pub(super) fn after_unattended_failure(&mut self, step: &Step, script: &str) -> Result<Flow> {
        let view = self.view(step, script);
        Ok(match self.operator.failed(&view, "The step failed.")? {
            FailureChoice::Ignore => Flow::Continue,
            _ => Flow::Stop,
        })
    }
}
