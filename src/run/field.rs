//! Field steps: a blank to fill in or a choice to make, and what an answer
//! decides: a choice answered on its failing side (`No`, `NO-GO`) or a number
//! that misses the target the document states fails, like a failed command.

use super::{Flow, Run};
use crate::doc::{Step, StepKind};
use crate::error::Result;
use crate::operator::{AnswerChoice, Before, Reply};
use crate::record::{Outcome, Reason, Status, now};

impl Run<'_> {
    /// A blank or a choice, answered by the operator (or the answers file).
    pub(super) fn field(&mut self, step: &Step) -> Result<Flow> {
        loop {
            self.before_prompt()?;
            let mut view = self.view(step, "");
            view.before = self.before(step);
            let reply = match &step.kind {
                StepKind::Choice(field) => match self.operator.choice(&view, &field.options)? {
                    Reply::Value(i) => field.options.get(i).cloned().into(),
                    Reply::FromFile(i) => field
                        .options
                        .get(i)
                        .cloned()
                        .map_or(Reply::Leave, Reply::FromFile),
                    Reply::Leave => Reply::Leave,
                    Reply::Quit => Reply::Quit,
                    Reply::Back => Reply::Back,
                    Reply::GoTo(i) => Reply::GoTo(i),
                },
                _ => self.operator.blank(&view)?,
            };
            // Who gave the answer goes on record: the answers file, or
            // whoever typed it at the prompt.
            let (value, from_file) = match reply {
                Reply::Value(value) => (value, false),
                Reply::FromFile(value) => (value, true),
                Reply::Quit => return Ok(Flow::Interrupted),
                Reply::Back => return Ok(self.back(step.at())),
                Reply::GoTo(target) => return Ok(self.go(step.at(), target)),
                Reply::Leave => {
                    if let Some(flow) = self.failure_stands(step)? {
                        return Ok(flow);
                    }
                    let status = if self.settings.attended() {
                        Status::Skipped
                    } else {
                        Status::NotConfirmed
                    };
                    self.record(Outcome::new(step.id(), status), false)?;
                    return Ok(Flow::Continue);
                }
            };
            let value = if value.trim().eq_ignore_ascii_case("now") {
                now()
            } else {
                value
            };
            let mut outcome = Outcome::new(step.id(), Status::Done);
            let verdict = self.judge(step, &value);
            // A secret typed into a blank (a token pasted where the runbook
            // asks for one) is masked in what is kept, as everywhere else:
            // the transcript and the journal never hold it.
            outcome.value = Some(self.secrets.redact(&value));
            // Why it failed, when it did, comes first among its reasons.
            if let Some((reason, _)) = &verdict {
                outcome.status = Status::Failed;
                outcome.add(*reason);
            }
            if from_file {
                outcome.add(Reason::AnswersFile);
            }
            let Some((_, why)) = verdict else {
                self.record(outcome, false)?;
                return Ok(Flow::Continue);
            };
            outcome.note = Some(why.clone());
            self.record(outcome.clone(), true)?;
            let view = self.view(step, "");
            let said = format!("{why}: the step is recorded as failed.");
            if !self.settings.attended() {
                let place = self.place(step);
                self.operator.say(&format!("{place}: {said}"));
            }
            let mut choice = self.operator.answer_failed(&view, &said)?;
            // A contingency section, then back to this question (or stop).
            while let AnswerChoice::Contingency(k) = choice {
                match self.start_after_failure(k, step)? {
                    Flow::Continue => {
                        self.before_prompt()?;
                        let view = self.view(step, "");
                        choice = self.operator.answer_failed(&view, &said)?;
                    }
                    flow => return Ok(flow),
                }
            }
            match choice {
                AnswerChoice::Back | AnswerChoice::Contingency(_) => {}
                AnswerChoice::Continue => {
                    if self.settings.attended() {
                        outcome.add(Reason::Ignored);
                        self.amend(outcome, false)?;
                    }
                    return Ok(Flow::Continue);
                }
                AnswerChoice::Abort => return Ok(Flow::Stop),
                AnswerChoice::GoTo(target) => return Ok(self.go(step.at(), target)),
            }
        }
    }

    /// The value blank or choice `step` was given before, when it has one on record
    /// (the run went back to it, or it missed its target): offered to keep,
    /// shown with its secrets masked.
    fn before(&self, step: &Step) -> Option<Before> {
        let value = self.recorder.outcome(&step.id())?.value.clone()?;
        let shown = self.secrets.redact(&value);
        Some(Before { value, shown })
    }

    /// What `value` decides for `step`: nothing, or the reason it fails and
    /// the words that say so (`Smoke tests passed: No`).
    fn judge(&self, step: &Step, value: &str) -> Option<(Reason, String)> {
        let field = step.field()?;
        let question = self.question(step);
        match &step.kind {
            StepKind::Choice(_) => {
                let pick = field.options.iter().position(|o| o == value)?;
                field
                    .fail
                    .contains(&pick)
                    .then(|| (Reason::Negative, format!("{question}: {value}")))
            }
            _ => {
                let target = field.target.as_ref()?;
                (target.met_by(value, field.unit.as_deref()) == Some(false)).then(|| {
                    (
                        Reason::OffTarget,
                        format!("{question}: {value} misses the target {target}"),
                    )
                })
            }
        }
    }

    /// What a field asks, in a few words: its label without the field itself
    /// and the colon before it (`Smoke tests passed`).
    pub(super) fn question(&self, step: &Step) -> String {
        crate::doc::question::question(&self.recorder.source().text, step)
    }
}
