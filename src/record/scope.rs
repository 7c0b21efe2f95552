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
#[derive(Debug, Clone, Default)]
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;
    use crate::doc::parse;
    use crate::record::{Counts, RunInfo, RunRecord, SectionRole, SectionState, Status};
    use crate::source::Source;

    const DOC: &str = "# Deploy\n- [ ] ship\n## Option 1\n- [ ] green\n## Option 2\n- [ ] rolling\n## Rollback\n- [ ] undo\n### Check\n- [ ] check\n";

    fn book() -> crate::doc::Runbook {
        parse(&Source::from_text(Path::new("d.md"), DOC.to_string()))
    }

    fn outcome(id: &str, status: Status, reason: Option<Reason>) -> (String, Outcome) {
        let mut o = Outcome::new(id.into(), status);
        o.reasons.extend(reason);
        (id.to_string(), o)
    }

    #[test]
    fn the_path_leaves_out_what_nobody_called_for() {
        let book = book();
        assert_eq!(book.sections[3].title, "Rollback");
        let mut outcomes: HashMap<String, Outcome> = [
            outcome("s1", Status::Done, None),
            outcome("§2", Status::Done, Some(Reason::Chosen)),
            outcome("§3", Status::Skipped, Some(Reason::NotChosen)),
            outcome("s2", Status::Done, None),
            outcome("§4", Status::Skipped, Some(Reason::NotNeeded)),
        ]
        .into();
        let scope = Scope::of(&book, &outcomes);
        let off: Vec<bool> = (0..book.steps.len()).map(|i| scope.off_path(i)).collect();
        assert_eq!(off, [false, false, true, true, true]);
        let counts = Counts::of(&book, &outcomes);
        assert_eq!((counts.done, counts.skipped, counts.pending), (2, 0, 0));
        assert_eq!(
            counts.exit_code(false),
            0,
            "the rollback not needed changes nothing"
        );

        // The rollback gone into: its steps are on the path, done or not.
        let mut entered = Outcome::new(section_id(3), Status::Done).because(Reason::Entered);
        entered.value = Some("ship failed (exit 1) at d.md:2".into());
        outcomes.insert(section_id(3), entered);
        outcomes.insert("s4".into(), Outcome::new("s4".into(), Status::Done));
        let counts = Counts::of(&book, &outcomes);
        assert_eq!((counts.done, counts.pending), (3, 1));
        let record = RunRecord::new(RunInfo::default(), &book, &outcomes);
        let rollback: Vec<_> = record.contingency_entered().collect();
        assert_eq!(rollback.len(), 1);
        assert_eq!(rollback[0].title, "Rollback");
        assert_eq!(
            rollback[0].because.as_deref(),
            Some("ship failed (exit 1) at d.md:2")
        );
        let undo = record.step("s4").unwrap();
        assert_eq!(undo.section_role, Some(SectionRole::Contingency));
        assert_eq!(undo.contingency, Some(crate::doc::Contingency::Rollback));
        assert!(!undo.off_path);
        let rolling = record.step("s3").unwrap();
        assert_eq!(
            (rolling.section_role, rolling.off_path),
            (Some(SectionRole::Alternative), true)
        );
        let states: Vec<(String, SectionState)> = record
            .sections
            .iter()
            .map(|s| (s.title.clone(), s.state))
            .collect();
        assert_eq!(
            states,
            [
                ("Option 1".to_string(), SectionState::Chosen),
                ("Option 2".to_string(), SectionState::NotChosen),
                ("Rollback".to_string(), SectionState::Entered),
            ]
        );
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["sections"][2]["state"], "entered");
        assert_eq!(json["steps"][3]["section_role"], "contingency");
    }

    #[test]
    fn a_run_limited_to_one_section_counts_only_it() {
        let book = book();
        // `--only Check`: a sub-section of the rollback, run on its own.
        let outcomes: HashMap<String, Outcome> = [
            outcome("§5", Status::Done, Some(Reason::Only)),
            outcome("s5", Status::Done, None),
        ]
        .into();
        let scope = Scope::of(&book, &outcomes);
        let off: Vec<bool> = (0..book.steps.len()).map(|i| scope.off_path(i)).collect();
        assert_eq!(off, [true, true, true, true, false]);
        let counts = Counts::of(&book, &outcomes);
        assert_eq!(
            (counts.done, counts.pending, counts.exit_code(false)),
            (1, 0, 0)
        );
    }
}
