//! Counts of steps by where they ended up, and the exit code a run's counts mean.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::unit::{self, Units};
use super::{HostStatus, Outcome, Reason, Scope, Status, done_before};
use crate::doc::Runbook;
use crate::doc::sections::OptionForm;

/// Whether the failures among `steps` (one step as a person counts it, and
/// what is inside it) are all blocks of a fleet that failed on no host: they
/// did not run everywhere (hosts unreachable, or gone from the run earlier).
fn only_partly<'o>(steps: &[usize], outcome: &dyn Fn(usize) -> Option<&'o Outcome>) -> bool {
    let failures: Vec<&Outcome> = steps
        .iter()
        .filter_map(|&i| outcome(i))
        .filter(|o| o.status == Status::Failed)
        .collect();
    !failures.is_empty()
        && failures.iter().all(|o| {
            !o.hosts.is_empty()
                && !o
                    .hosts
                    .iter()
                    .any(|h| matches!(h.status, HostStatus::Failed | HostStatus::Lost))
        })
}

/// The exit code of a run that finished with some hosts unreachable and no
/// failure on the hosts that were reached.
pub const UNREACHABLE: i32 = 4;

/// The exit code a report gives a run that has not ended: its transcript
/// still says `running`. `run` and `resume` never end with it.
pub const UNFINISHED: i32 = 6;

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
    /// Blocks of a fleet done on some hosts and not run on the others: hosts
    /// that were unreachable, or had left the run at an earlier step.
    #[serde(default)]
    pub partly: usize,
    /// Hosts ssh could not reach at some step.
    #[serde(default)]
    pub unreachable: usize,
}

impl Counts {
    /// Tallies the steps of `book`, as a person counts them (see `Units`):
    /// an item with the blocks and fields inside it is one step, an item
    /// that heads others is none (already-ticked items count as done).
    /// Steps the run left off its path on purpose (contingency sections not
    /// needed, options not chosen) are not counted at all.
    pub fn of(book: &Runbook, outcomes: &HashMap<String, Outcome>) -> Counts {
        let ids: Vec<String> = book.steps.iter().map(|s| s.id()).collect();
        super::shape(book, outcomes, &ids).2
    }

    /// `of`, with the units and the run's path worked out already and
    /// `outcome` giving each step's outcome by index: counted in one pass,
    /// without keeping each step's share as a `Tally` does.
    pub(super) fn of_steps<'o>(
        book: &Runbook,
        units: &Units,
        scope: &Scope,
        outcome: &dyn Fn(usize) -> Option<&'o Outcome>,
    ) -> Counts {
        let mut total = Counts::default();
        let mut hosts: HashSet<String> = HashSet::new();
        for index in units.steps() {
            let share = share(book, units, scope, outcome, index);
            total = total.plus(&share.counts);
            hosts.extend(share.unreachable);
        }
        Counts {
            unreachable: hosts.len(),
            ..total
        }
    }

    /// Nothing failed and nothing waits for a person: the state a run may be
    /// forgotten in (its shell state removed).
    pub fn all_settled(&self) -> bool {
        self.failed == 0
            && self.not_confirmed == 0
            && self.pending == 0
            && self.partly == 0
            && self.unreachable == 0
    }

    /// The exit code of a run that ended with these counts: 130 interrupted,
    /// 1 a step failed or was refused, 4 some hosts were unreachable (and
    /// nothing failed on those that were not), 3 steps not confirmed, not
    /// answered, not verified or not reached, 0 every step done or skipped.
    pub fn exit_code(&self, interrupted: bool) -> i32 {
        if interrupted {
            130
        } else if self.failed > 0 {
            1
        } else if self.unreachable > 0 {
            UNREACHABLE
        } else if self.not_confirmed > 0
            || self.pending > 0
            || self.unverified > 0
            || self.partly > 0
        {
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
            let _ = write!(
                tally,
                " · {} not verified",
                crate::screen::plural(self.unverified, "output")
            );
        }
        if self.pending > 0 {
            let _ = write!(tally, " · {} not reached", self.pending);
        }
        if self.partly > 0 {
            let _ = write!(tally, " · {} not run on every host", self.partly);
        }
        if self.unreachable > 0 {
            let s = if self.unreachable == 1 { "" } else { "s" };
            let _ = write!(tally, " · {} host{s} unreachable", self.unreachable);
        }
        tally
    }
}

/// What one step, as a person counts it, adds to the counts.
#[derive(Default)]
struct Share {
    counts: Counts,
    /// Hosts ssh could not reach at this step.
    unreachable: Vec<String>,
}

/// The counts of a run kept up to date as its steps are recorded: a step
/// recorded changes the share of the one step it counts as, not the whole
/// tally (unless it changes the run's path: then all is counted again).
#[derive(Clone, Default)]
pub struct Tally {
    units: Units,
    /// The outcome ids of the steps, by index.
    ids: Vec<String>,
    /// Option items: their records change the run's path.
    options: Vec<bool>,
    /// The run's path, as of the last recount.
    scope: Scope,
    /// By counted step: what it adds.
    shares: Vec<Counts>,
    unreachable: Vec<Vec<String>>,
    total: Counts,
    /// Unreachable hosts, with how many steps name each.
    hosts: HashMap<String, usize>,
}

impl Tally {
    /// The tally of `book` with `outcomes` recorded.
    pub fn new(book: &Runbook, outcomes: &HashMap<String, Outcome>) -> Tally {
        let n = book.steps.len();
        let mut options = vec![false; n];
        for option in book.groups.iter().flat_map(|g| &g.options) {
            if let OptionForm::Item(step) = option.form {
                options[step] = true;
            }
        }
        let mut tally = Tally {
            units: Units::of(book),
            ids: book.steps.iter().map(|s| s.id()).collect(),
            options,
            ..Tally::default()
        };
        tally.recount(book, outcomes);
        tally
    }

    /// The counts as they stand.
    pub fn counts(&self) -> Counts {
        Counts {
            unreachable: self.hosts.len(),
            ..self.total
        }
    }

    /// Counts again after steps `changed` (by index) were recorded, and
    /// sections if `sections`: what became of a section, or of an option
    /// item, changes which steps are on the run's path.
    pub fn update(
        &mut self,
        book: &Runbook,
        outcomes: &HashMap<String, Outcome>,
        changed: &[usize],
        sections: bool,
    ) {
        if sections || changed.iter().any(|&i| self.options[i]) {
            return self.recount(book, outcomes);
        }
        let mut units: Vec<usize> = changed.iter().filter_map(|&i| self.units.unit(i)).collect();
        units.sort_unstable();
        units.dedup();
        for unit in units {
            let share = self.share(book, outcomes, &self.scope, unit);
            self.take_out(unit);
            self.put_in(unit, share);
        }
    }

    fn recount(&mut self, book: &Runbook, outcomes: &HashMap<String, Outcome>) {
        let n = book.steps.len();
        self.shares = vec![Counts::default(); n];
        self.unreachable = vec![Vec::new(); n];
        self.total = Counts::default();
        self.hosts.clear();
        self.scope = Scope::of(book, outcomes);
        let counted: Vec<usize> = self.units.steps().collect();
        for index in counted {
            let share = self.share(book, outcomes, &self.scope, index);
            self.put_in(index, share);
        }
    }

    fn take_out(&mut self, index: usize) {
        let old = std::mem::take(&mut self.shares[index]);
        self.total = self.total.minus(&old);
        for host in std::mem::take(&mut self.unreachable[index]) {
            if let Some(n) = self.hosts.get_mut(&host) {
                *n -= 1;
                if *n == 0 {
                    self.hosts.remove(&host);
                }
            }
        }
    }

    fn put_in(&mut self, index: usize, share: Share) {
        self.total = self.total.plus(&share.counts);
        self.shares[index] = share.counts;
        for host in &share.unreachable {
            *self.hosts.entry(host.clone()).or_default() += 1;
        }
        self.unreachable[index] = share.unreachable;
    }

    /// What counted step `index` adds.
    fn share(
        &self,
        book: &Runbook,
        outcomes: &HashMap<String, Outcome>,
        scope: &Scope,
        index: usize,
    ) -> Share {
        share(
            book,
            &self.units,
            scope,
            &|i| outcomes.get(&self.ids[i]),
            index,
        )
    }
}

/// What counted step `index` adds, `outcome` giving each step's outcome by
/// index.
fn share<'o>(
    book: &Runbook,
    units: &Units,
    scope: &Scope,
    outcome: &dyn Fn(usize) -> Option<&'o Outcome>,
    index: usize,
) -> Share {
    let mut share = Share::default();
    if scope.off_path(index) {
        return share;
    }
    let c = &mut share.counts;
    let step = &book.steps[index];
    let members = units.members(index);
    let all = || std::iter::once(index).chain(members.iter().copied());
    for h in all().filter_map(outcome).flat_map(|o| &o.hosts) {
        if h.status == HostStatus::Unreachable && !share.unreachable.contains(&h.host) {
            share.unreachable.push(h.host.clone());
        }
    }
    let status = unit::status(
        outcome(index).map(|o| o.status),
        members.iter().map(|&i| outcome(i).map(|o| o.status)),
    );
    // A task with steps inside it failed because one of them did.
    let only_partly = || {
        if step.task().is_some() && !members.is_empty() {
            only_partly(members, outcome)
        } else {
            only_partly(&all().collect::<Vec<_>>(), outcome)
        }
    };
    match status {
        Some(Status::Done) => c.done += 1,
        Some(Status::Failed) if only_partly() => c.partly += 1,
        Some(Status::Skipped) => c.skipped += 1,
        Some(Status::Failed) => c.failed += 1,
        Some(Status::NotConfirmed) => c.not_confirmed += 1,
        None if done_before(book, step) => c.done += 1,
        None => c.pending += 1,
    }
    if all().any(|i| outcome(i).is_some_and(|o| o.has(Reason::NotVerified))) {
        c.unverified += 1;
    }
    share
}

impl Counts {
    fn plus(&self, o: &Counts) -> Counts {
        Counts {
            done: self.done + o.done,
            skipped: self.skipped + o.skipped,
            failed: self.failed + o.failed,
            not_confirmed: self.not_confirmed + o.not_confirmed,
            pending: self.pending + o.pending,
            unverified: self.unverified + o.unverified,
            partly: self.partly + o.partly,
            unreachable: 0,
        }
    }

    fn minus(&self, o: &Counts) -> Counts {
        Counts {
            done: self.done - o.done,
            skipped: self.skipped - o.skipped,
            failed: self.failed - o.failed,
            not_confirmed: self.not_confirmed - o.not_confirmed,
            pending: self.pending - o.pending,
            unverified: self.unverified - o.unverified,
            partly: self.partly - o.partly,
            unreachable: 0,
        }
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
        let hosts = |failed, unreachable, partly| Counts {
            failed,
            unreachable,
            partly,
            ..Counts::default()
        };
        assert_eq!(hosts(0, 1, 2).exit_code(false), 4);
        assert_eq!(hosts(1, 1, 2).exit_code(false), 1);
        assert_eq!(hosts(0, 0, 1).exit_code(false), 3);
        assert_eq!(hosts(0, 1, 0).exit_code(true), 130);
    }
}
