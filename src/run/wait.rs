//! Steps done by hand that take time ("Monitor for 5 minutes"): counted down
//! for the operator, who may finish early or wait longer; waited out by an
//! unattended run only when the runbook (`wait=`) or `--honour-waits` says
//! so — never a silent sleep.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{Flow, Run};
use crate::doc::Step;
use crate::doc::waits::Wait;
use crate::error::Result;
use crate::record::{Outcome, Reason, Status};

/// How often an unattended wait looks at the signals and says how long is left.
const POLL: Duration = Duration::from_millis(100);
/// How often an unattended wait says how long is left.
const REPORT: Duration = Duration::from_secs(60);

impl Run<'_> {
    /// Counts a timed step down for the operator: how long they waited.
    pub(super) fn count_down(&mut self, step: &Step, wait: Wait) -> Result<Option<Duration>> {
        self.before_prompt()?;
        let view = self.view(step, "");
        self.operator.wait(&view, wait.duration)
    }

    /// Whether an unattended run waits out `wait`.
    pub(super) fn waits_unattended(&self, wait: &Wait) -> bool {
        wait.attribute || self.settings.path.honour_waits
    }

    /// Waits out a timed step with nobody there, saying so as it goes, and
    /// records it: done when waiting was the step, not confirmed when
    /// someone should have watched something meanwhile.
    pub(super) fn wait_unattended(&mut self, step: &Step, wait: Wait) -> Result<Flow> {
        self.started()?;
        let why = if wait.attribute {
            "wait="
        } else {
            "--honour-waits"
        };
        let length = crate::transcript::write::duration(millis(wait.duration));
        self.operator.say(&format!(
            "{} — waiting {length} ({why})",
            crate::operator::progress_with_text(&self.view(step, ""))
        ));
        let start = Instant::now();
        let mut reported = start;
        while start.elapsed() < wait.duration {
            if self.signals.terminating() || self.signals.interrupt.swap(false, Ordering::SeqCst) {
                let mut o =
                    Outcome::new(step.id(), Status::NotConfirmed).because(Reason::Interrupted);
                o.ms = millis(start.elapsed());
                self.record(o, true)?;
                return Ok(Flow::Interrupted);
            }
            if reported.elapsed() >= REPORT {
                reported = Instant::now();
                let left = wait.duration.saturating_sub(start.elapsed());
                self.operator.say(&format!(
                    "  {} left",
                    crate::transcript::write::duration(millis(left))
                ));
            }
            std::thread::sleep(POLL.min(wait.duration.saturating_sub(start.elapsed())));
        }
        let status = if wait.watch {
            Status::NotConfirmed
        } else {
            Status::Done
        };
        let mut o = Outcome::new(step.id(), status).because(Reason::Waited);
        o.ms = millis(start.elapsed());
        if wait.watch {
            o.note = Some("waited it out unattended; nobody watched".into());
        }
        self.record(o, false)?;
        Ok(Flow::Continue)
    }
}

/// A duration in whole milliseconds.
pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
