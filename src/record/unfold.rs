//! A run's record made one step at a time, for a report written as it is
//! made: ten thousand step records need never be held at once.

use std::collections::{HashMap, HashSet};

use super::{
    Counts, Outcome, RunInfo, Scope, SectionRecord, StepRecord, Units, ids, record_of_step,
    section_records, shape,
};
use crate::doc::Runbook;

/// A run's record whose steps are made as they are taken: the run, its
/// counts and its sections are made at once, each step's record when
/// `steps` gives it. Collected, the steps are `RunRecord::of_outcomes`'s.
pub struct Unfolded<'b> {
    pub run: RunInfo,
    pub counts: Counts,
    pub sections: Vec<SectionRecord>,
    pub steps: StepRecords<'b>,
}

impl<'b> Unfolded<'b> {
    /// The record of a run of `book` that left `outcomes`, taking them:
    /// what they hold (outputs above all) moves into the step records.
    pub fn new(run: RunInfo, book: &'b Runbook, outcomes: HashMap<String, Outcome>) -> Self {
        let ids = ids(book);
        let (units, scope, counts) = shape(book, &outcomes, &ids);
        let sections = section_records(book, &outcomes);
        // A name given to two blocks (an error `plan` reports) names one
        // outcome that both steps show.
        let mut names = HashSet::new();
        let shared = book
            .steps
            .iter()
            .filter_map(|s| s.command().and_then(|c| c.attrs.name.as_deref()))
            .filter(|&name| !names.insert(name))
            .collect();
        Unfolded {
            steps: StepRecords {
                // Each step's record reads who ran it and how.
                run: run.clone(),
                book,
                units,
                scope,
                ids,
                shared,
                outcomes,
                next: 0,
            },
            run,
            counts,
            sections,
        }
    }
}

/// Every step's record, in document order, each made when it is taken.
pub struct StepRecords<'b> {
    run: RunInfo,
    book: &'b Runbook,
    units: Units,
    scope: Scope,
    ids: Vec<String>,
    shared: HashSet<&'b str>,
    outcomes: HashMap<String, Outcome>,
    /// The index of the step to give next.
    next: usize,
}

impl StepRecords<'_> {
    /// The ids of the steps others are counted as (an item whose blocks and
    /// fields are steps of their own): what each record's `counts_as`
    /// says, known before any record is made.
    pub fn with_parts(&self) -> HashSet<String> {
        (0..self.ids.len())
            .filter_map(|i| self.units.unit(i).filter(|&u| self.ids[u] != self.ids[i]))
            .map(|u| self.ids[u].clone())
            .collect()
    }
}

impl Iterator for StepRecords<'_> {
    type Item = StepRecord;

    fn next(&mut self) -> Option<StepRecord> {
        let step = self.book.steps.get(self.next)?;
        self.next += 1;
        let id = self.ids[step.at()].as_str();
        let o = if self.shared.contains(id) {
            self.outcomes.get(id).cloned()
        } else {
            self.outcomes.remove(id)
        };
        Some(record_of_step(
            &self.run,
            self.book,
            &self.units,
            &self.scope,
            &self.ids,
            step,
            o,
        ))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.book.steps.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for StepRecords<'_> {}
