//! Field steps: a blank to fill in or a choice to make.

use super::{Flow, Run};
use crate::doc::{Step, StepKind};
use crate::error::Result;
use crate::record::{Outcome, Status, now};

impl Run<'_> {
    /// A blank or a choice, answered by the operator (or the answers file).
    pub(super) fn field(&mut self, step: &Step) -> Result<Flow> {
        self.before_prompt()?;
        let view = self.view(step, "");
        let answer = match &step.kind {
            StepKind::Choice(field) => self
                .operator
                .choice(&view, &field.options)?
                .and_then(|i| field.options.get(i).cloned()),
            _ => self.operator.blank(&view)?,
        };
        let outcome = match answer {
            Some(value) => {
                let mut o = Outcome::new(step.id(), Status::Done);
                o.value = Some(if value.trim().eq_ignore_ascii_case("now") {
                    now()
                } else {
                    value
                });
                o
            }
            None if self.settings.attended() => Outcome::new(step.id(), Status::Skipped),
            None => Outcome::new(step.id(), Status::NotConfirmed),
        };
        let negative = matches!(step.kind, StepKind::Choice(_))
            && outcome
                .value
                .as_deref()
                .is_some_and(super::contingency::negative);
        let what = format!(
            "{}: {}",
            step.text,
            outcome.value.clone().unwrap_or_default()
        );
        self.record(outcome, false)?;
        if negative {
            // A NO-GO: the operator may want a contingency section now.
            return self.setback(step, &what);
        }
        Ok(Flow::Continue)
    }
}
