//! The path a run took through its document: which steps it set out to do,
//! and which it left off on purpose — contingency sections nobody called
//! for, options not chosen, everything outside the one section of `--only`.

use std::collections::HashMap;
use std::ops::Range;

use super::{Outcome, Reason};
use crate::doc::Runbook;
use crate::doc::sections::OptionForm;

/// The id under which what became of section `index` is recorded: `§3` for
/// the third heading. No step's id starts with `§`.
pub fn section_id(index: usize) -> String {
    format!("§{}", index + 1)
}

/// Whether section `index` was recorded with `reason`.
fn section_has(outcomes: &HashMap<String, Outcome>, index: usize, reason: Reason) -> bool {
    outcomes
        .get(&section_id(index))
        .is_some_and(|o| o.has(reason))
}

/// Which steps of a run are off its path.
#[derive(Debug, Clone)]
pub struct Scope {
    off: Vec<bool>,
}

impl Scope {
    /// The path a run of `book` that recorded `outcomes` took.
    pub fn of(book: &Runbook, outcomes: &HashMap<String, Outcome>) -> Scope {
        let sections = 0..book.sections.len();
        let only: Vec<Range<usize>> = sections
            .clone()
            .filter(|&s| section_has(outcomes, s, Reason::Only))
            .map(|s| book.sections[s].steps.clone())
            .collect();
        let entered: Vec<Range<usize>> = sections
            .filter(|&s| {
                section_has(outcomes, s, Reason::Entered) || section_has(outcomes, s, Reason::Only)
            })
            .map(|s| book.sections[s].steps.clone())
            .collect();
        let mut not_chosen: Vec<Range<usize>> = Vec::new();
        for group in &book.groups {
            for option in &group.options {
                let left = match option.form {
                    OptionForm::Section(s) => section_has(outcomes, s, Reason::NotChosen),
                    OptionForm::Item(step) => outcomes
                        .get(&book.steps[step].id())
                        .is_some_and(|o| o.has(Reason::NotChosen)),
                };
                if left {
                    not_chosen.push(option.steps.clone());
                }
            }
        }
        let off = (0..book.steps.len())
            .map(|i| {
                let outside_only = !only.is_empty() && !only.iter().any(|r| r.contains(&i));
                // A contingency section counts as entered when it, or a
                // section inside it, was: running a sub-section alone counts.
                let not_called_for = book.contingency_of(i).is_some_and(|c| {
                    let c = &book.sections[c].steps;
                    !entered
                        .iter()
                        .any(|e| e.contains(&i) && c.start <= e.start && e.end <= c.end)
                });
                outside_only || not_called_for || not_chosen.iter().any(|r| r.contains(&i))
            })
            .collect();
        Scope { off }
    }

    /// Whether the run left step `index` off its path on purpose.
    pub fn off_path(&self, index: usize) -> bool {
        self.off.get(index).copied().unwrap_or(false)
    }
}
