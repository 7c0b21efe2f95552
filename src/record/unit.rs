//! What a person counts as one step: the unit behind `[n/N]`, the closing
//! counts, the transcript's summary, `plan` and the reports.
//!
//! One step is what the operator is asked, or what runs as one unit:
//! - a checklist item, with the blocks, blanks and choices inside it;
//! - a block, blank or choice that is not inside such an item;
//! - an item that holds other items is a heading for them, not a step;
//! - a placeholder is filled as part of its block, and counts with it.

use super::Status;
use crate::doc::{Runbook, StepKind};

/// For every step of a runbook, the step it is counted as.
#[derive(Debug, Clone, Default)]
pub struct Units {
    /// By step index: the index of the step it counts as; `NONE` for an
    /// item that heads others. 32 bits, as the member starts: a large
    /// runbook's plan holds one of each for every step.
    of: Vec<u32>,
    /// The steps counted as each step (itself excluded), all in one list in
    /// step order: those of step `i` are `members[member_starts[i]..member_starts[i + 1]]`.
    /// One list rather than one per step: most steps have none, and a
    /// list each cost an allocation for every step that has some.
    members: Vec<usize>,
    member_starts: Vec<u32>,
}

/// The unit of a heading item, which has none.
const NONE: u32 = u32::MAX;

/// `unit`, as `Units` keeps it: no document has anywhere near `NONE` steps
/// (the text of one so large could not be read), and none of them is `NONE`.
fn compact(unit: Option<usize>) -> u32 {
    unit.and_then(|u| u32::try_from(u).ok()).unwrap_or(NONE)
}

/// `compact`, undone.
fn expand(unit: u32) -> Option<usize> {
    (unit != NONE).then_some(unit as usize)
}

impl Units {
    /// The units of `book`.
    pub fn of(book: &Runbook) -> Units {
        let n = book.steps.len();
        let mut of: Vec<u32> = vec![NONE; n];
        for step in &book.steps {
            let heads_items = step
                .children
                .iter()
                .any(|&c| book.steps.get(c).is_some_and(|s| s.task().is_some()));
            of[step.at()] = compact(match &step.kind {
                StepKind::Task(_) if heads_items => None,
                StepKind::Task(_) => Some(step.at()),
                // Parents come before their children in document order.
                StepKind::Placeholder(_) => step
                    .parent()
                    .and_then(|p| of.get(p).copied().and_then(expand))
                    .or(Some(step.at())),
                StepKind::Command(_) | StepKind::Blank(_) | StepKind::Choice(_) => {
                    let mut at = step.parent();
                    let mut unit = Some(step.at());
                    while let Some(p) = at {
                        if book.steps[p].task().is_some() {
                            // Inside an item: it is the step, unless it
                            // heads other items (then this stands alone).
                            if let Some(u) = expand(of[p]) {
                                unit = Some(u);
                            }
                            break;
                        }
                        at = book.steps[p].parent();
                    }
                    unit
                }
            });
        }
        // Counted first, so that each step's members get their place in
        // the list; each start then serves as the cursor its members are
        // written at, which leaves it at the next step's start.
        let member_of = |(i, &u): (usize, &u32)| expand(u).filter(|&u| u != i);
        let mut member_starts: Vec<u32> = vec![0; n + 1];
        for u in of.iter().enumerate().filter_map(member_of) {
            member_starts[u + 1] += 1;
        }
        for i in 0..n {
            member_starts[i + 1] += member_starts[i];
        }
        let mut members = vec![0; member_starts[n] as usize];
        for (i, u) in of.iter().enumerate() {
            if let Some(u) = member_of((i, u)) {
                members[member_starts[u] as usize] = i;
                member_starts[u] += 1;
            }
        }
        member_starts.copy_within(0..n, 1);
        member_starts[0] = 0;
        Units {
            of,
            members,
            member_starts,
        }
    }

    /// The step that step `index` is counted as; `None` for a heading item.
    pub fn unit(&self, index: usize) -> Option<usize> {
        self.of.get(index).copied().and_then(expand)
    }

    /// Whether step `index` is a step as a person counts them.
    pub fn counted(&self, index: usize) -> bool {
        self.unit(index) == Some(index)
    }

    /// The steps counted as step `index`, itself excluded.
    pub fn members(&self, index: usize) -> &[usize] {
        match (
            self.member_starts.get(index),
            self.member_starts.get(index + 1),
        ) {
            (Some(&start), Some(&end)) => &self.members[start as usize..end as usize],
            _ => &[],
        }
    }

    /// `(n, N)` for step `index`: the number of the step it is counted as
    /// among the counted steps on the run's path (`off_path` says which are
    /// not), and how many those are. A heading item gets the number of the
    /// first step after it.
    pub fn place(&self, index: usize, off_path: impl Fn(usize) -> bool) -> (usize, usize) {
        let unit = self.unit(index).unwrap_or(index);
        let mut before = 0;
        let mut total = 0;
        for i in self.steps().filter(|&i| !off_path(i)) {
            total += 1;
            if i < unit {
                before += 1;
            }
        }
        ((before + 1).min(total.max(1)), total)
    }

    /// `place` for every step at once, for a path that stays the same
    /// while many steps are placed: each then costs no walk over the steps.
    pub fn places(&self, off_path: impl Fn(usize) -> bool) -> Places {
        let mut before = Vec::with_capacity(self.of.len() + 1);
        let mut total = 0;
        for i in 0..self.of.len() {
            before.push(total);
            if self.counted(i) && !off_path(i) {
                total += 1;
            }
        }
        before.push(total);
        Places {
            unit: self.of.clone(),
            before,
            total,
        }
    }

    /// The counted steps, in document order.
    pub fn steps(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.of.len()).filter(|&i| self.counted(i))
    }
}

/// Every step's `(n, N)` on one path: see `Units::places`.
#[derive(Debug, Clone, Default)]
pub struct Places {
    unit: Vec<u32>,
    /// By step index: how many counted steps on the path come before it.
    before: Vec<usize>,
    total: usize,
}

impl Places {
    /// What `Units::place` gives for step `index`.
    pub fn place(&self, index: usize) -> (usize, usize) {
        let unit = self
            .unit
            .get(index)
            .copied()
            .and_then(expand)
            .unwrap_or(index);
        let before = self.before.get(unit).copied().unwrap_or(self.total);
        ((before + 1).min(self.total.max(1)), self.total)
    }
}

/// Where a step as a person counts it ended up: its own record's status
/// (a task's status follows from what is inside it), else failed when
/// something inside it failed, else not known yet.
pub fn status(
    own: Option<Status>,
    members: impl IntoIterator<Item = Option<Status>>,
) -> Option<Status> {
    own.or_else(|| {
        members
            .into_iter()
            .any(|s| s == Some(Status::Failed))
            .then_some(Status::Failed)
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::Units;
    use crate::doc::parse;
    use crate::source::Source;

    #[test]
    fn an_item_with_its_blocks_is_one_step_and_an_item_of_items_a_heading() {
        let text = "# T\n\n- [ ] Parent\n  ```bash\n  echo direct\n  ```\n  - [ ] Child one\n    ```bash\n    echo <release-tag>\n    ```\n  - [ ] Child two\n    Result: `PASS / FAIL`\n\n```bash\necho loose\n```\n\nStarted at: ____\n";
        let book = parse(&Source::from_text(Path::new("t.md"), text.into()));
        let kinds: Vec<&str> = book.steps.iter().map(|s| s.kind_name()).collect();
        assert_eq!(
            kinds,
            [
                "task",
                "command",
                "task",
                "command",
                "placeholder",
                "task",
                "choice",
                "command",
                "blank"
            ]
        );
        let units = Units::of(&book);
        let of: Vec<Option<usize>> = (0..book.steps.len()).map(|i| units.unit(i)).collect();
        assert_eq!(
            of,
            [
                None,
                Some(1),
                Some(2),
                Some(2),
                Some(2),
                Some(5),
                Some(5),
                Some(7),
                Some(8)
            ]
        );
        assert_eq!(units.steps().collect::<Vec<_>>(), [1, 2, 5, 7, 8]);
        assert_eq!(units.members(2), [3, 4]);
        // The block inside "Child one" is step 2 of 5, as the item is; the
        // heading item shows the number of the first step after it.
        assert_eq!(units.place(3, |_| false), (2, 5));
        assert_eq!(units.place(0, |_| false), (1, 5));
        assert_eq!(units.place(8, |i| i == 7), (4, 4));
        for off in [7, 3, 0, usize::MAX] {
            let places = units.places(|i| i == off);
            for i in 0..=units.of.len() {
                assert_eq!(
                    places.place(i),
                    units.place(i, |j| j == off),
                    "{i}, {off} off"
                );
            }
        }
    }
}
