//! Counts of steps by where they ended up, and the exit code a run's counts mean.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{Outcome, Reason, Scope, Status, done_before};
use crate::doc::Runbook;

/// Counts of steps by where they ended up, for the summary and the exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub done: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Not confirmed (manual tasks) or not answered (blanks, choices).
    pub not_confirmed: usize,
    /// Not reached.
    pub pending: usize,
    /// Done, but an `Expected` hint beside it was checked by nobody.
    pub unverified: usize,
}

impl Counts {
    /// Tallies the steps of `book` (already-ticked tasks count as done).
    /// Steps the run left off its path on purpose (contingency sections not
    /// needed, options not chosen) are not counted at all.
    pub fn of(book: &Runbook, outcomes: &HashMap<String, Outcome>) -> Counts {
        let mut c = Counts::default();
        let scope = Scope::of(book, outcomes);
        for step in &book.steps {
            // A placeholder is filled as part of its command, counted with it.
            if step.placeholder().is_some() || scope.off_path(step.index) {
                continue;
            }
            let outcome = outcomes.get(&step.id());
            match outcome.map(|o| o.status) {
                Some(Status::Done) => c.done += 1,
                Some(Status::Skipped) => c.skipped += 1,
                Some(Status::Failed) => c.failed += 1,
                Some(Status::NotConfirmed) => c.not_confirmed += 1,
                None if done_before(book, step) => c.done += 1,
                None => c.pending += 1,
            }
            if outcome.is_some_and(|o| o.has(Reason::NotVerified)) {
                c.unverified += 1;
            }
        }
        c
    }

    /// Nothing failed and nothing waits for a person: the state a run may be
    /// forgotten in (its shell state removed).
    pub fn all_settled(&self) -> bool {
        self.failed == 0 && self.not_confirmed == 0 && self.pending == 0
    }

    /// The exit code of a run that ended with these counts: 130 interrupted,
    /// 1 a step failed or was refused, 3 steps not confirmed, not answered,
    /// not verified or not reached, 0 every step done or skipped.
    pub fn exit_code(&self, interrupted: bool) -> i32 {
        if interrupted {
            130
        } else if self.failed > 0 {
            1
        } else if self.not_confirmed > 0 || self.pending > 0 || self.unverified > 0 {
            3
        } else {
            0
        }
    }

    /// `41 done · 3 skipped · 1 failed · 2 not confirmed or not answered`.
    pub fn tally(&self) -> String {
        let mut tally = format!(
            "{} done · {} skipped · {} failed",
            self.done, self.skipped, self.failed
        );
        if self.not_confirmed > 0 {
            let _ = write!(
                tally,
                " · {} not confirmed or not answered",
                self.not_confirmed
            );
        }
        if self.unverified > 0 {
            let _ = write!(tally, " · {} outputs not verified", self.unverified);
        }
        if self.pending > 0 {
            let _ = write!(tally, " · {} not reached", self.pending);
        }
        tally
    }
}

#[cfg(test)]
mod tests {
    use super::Counts;

    #[test]
    fn exit_codes_mean_one_thing_each() {
        let c = |failed, not_confirmed, pending, unverified| Counts {
            failed,
            not_confirmed,
            pending,
            unverified,
            ..Counts::default()
        };
        assert_eq!(c(0, 0, 0, 0).exit_code(false), 0);
        assert_eq!(c(1, 1, 0, 0).exit_code(false), 1);
        assert_eq!(c(0, 1, 0, 0).exit_code(false), 3);
        assert_eq!(c(0, 0, 1, 0).exit_code(false), 3);
        assert_eq!(c(0, 0, 0, 1).exit_code(false), 3);
        assert_eq!(c(1, 0, 0, 0).exit_code(true), 130);
    }
}
