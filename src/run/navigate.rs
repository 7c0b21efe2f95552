//! Where the walk goes besides straight on: `--from STEP` (steps before it
//! passed over), `resume --retry-skipped`, and `[b]ack` and `[g]o to` at a
//! prompt (the step gone to runs again, in the same shell session, or a
//! blank or choice is asked again; its earlier attempts and answers stay on
//! record).

use std::sync::Arc;

use super::{Flow, Recorder, Run};
use crate::doc::{Runbook, Step, StepKind};
use crate::error::Result;
use crate::operator::{Part, Target};
use crate::record::{Outcome, Reason, Status, Units};

/// What `[g]o to` lists: the steps as a person counts them (an item with
/// what is inside it is one), as `deploy.md:88 Deploy › Migrate`, each
/// numbered as it is counted; under a task that holds more than one block,
/// blank or choice, each of them in document order, numbered `7.1`, `7.2`,
/// so that one block can be run again alone, or one answer given again,
/// without the rest of the task.
pub(super) fn step_list(book: &Runbook, units: &Units, file: &str) -> Arc<[Target]> {
    let file = file.rsplit('/').next().unwrap_or(file);
    // A part listed under its task reads without the headings the task shows.
    let reads = |s: &Step, part: bool| {
        let text = crate::doc::first_line(s);
        let heading = s.heading_path();
        let at = if heading.is_empty() || part || s.command().is_some() && s.parent().is_some() {
            text
        } else {
            format!("{heading} › {text}")
        };
        format!("{file}:{} {at}", s.line())
    };
    let mut list = Vec::new();
    for (n, i) in units.steps().enumerate() {
        let step = &book.steps[i];
        list.push(Target {
            index: step.at(),
            number: (n + 1).to_string(),
            text: reads(step, false),
            part: None,
        });
        let parts: Vec<(&Step, Part)> = units
            .members(i)
            .iter()
            .map(|&m| &book.steps[m])
            .filter_map(|m| part_of(m).map(|p| (m, p)))
            .collect();
        if step.task().is_some() && parts.len() > 1 {
            list.extend(parts.iter().enumerate().map(|(k, (s, p))| Target {
                index: s.at(),
                number: format!("{}.{}", n + 1, k + 1),
                text: reads(s, true),
                part: Some(*p),
            }));
        }
    }
    list.into()
}

/// What part of a task `[g]o to` may go to step `s` is: a block, a blank
/// or a choice (a placeholder is filled with its block, not alone).
fn part_of(s: &Step) -> Option<Part> {
    match s.kind {
        StepKind::Command(_) => Some(Part::Block),
        StepKind::Blank(_) => Some(Part::Blank),
        StepKind::Choice(_) => Some(Part::Choice),
        StepKind::Task(_) | StepKind::Placeholder(_) => None,
    }
}

/// The steps an earlier part of a run walked, in the order it answered them
/// (by the time each ended, then document order): where `[b]ack` goes after
/// `resume`, as the steps walked since are where it goes in a run. Steps it
/// left off its path, or recorded as not needed or not chosen, were not walked.
pub(super) fn walked_before(book: &Runbook, recorder: &Recorder) -> Vec<usize> {
    let scope = recorder.scope(book);
    let mut walked: Vec<(&str, usize)> = book
        .steps
        .iter()
        .filter(|s| {
            (s.children.is_empty() || s.command().is_some())
                && s.placeholder().is_none()
                && !scope.off_path(s.at())
        })
        .filter_map(|s| {
            let o = recorder.outcome(&s.id())?;
            let passed = o.has(Reason::NotChosen) || o.has(Reason::NotNeeded);
            (!passed).then_some((o.at.as_str(), s.at()))
        })
        .collect();
    walked.sort();
    walked.into_iter().map(|(_, i)| i).collect()
}

impl Run<'_> {
    /// Before the step of `--from` is reached: a step that is not the one
    /// the run starts at, nor holds it, is passed over. A new run records it
    /// (and the steps inside it) as skipped; a resumed one leaves it as it
    /// was. `None` once the walk is there (or past it, the step lying off
    /// the path).
    pub(super) fn before_from(&mut self, index: usize) -> Result<Option<Flow>> {
        let Some((from, record)) = self.from else {
            return Ok(None);
        };
        if index >= from {
            self.from = None;
            return Ok(None);
        }
        if self.holds(index, from) {
            return Ok(None);
        }
        if record {
            let line = self.book.steps[from].line;
            self.pass_over(
                index,
                format!("not run: the run started at line {line} (--from)"),
            )?;
        }
        Ok(Some(Flow::Continue))
    }

    /// `--only STEP...`: a step that is not one of them, inside one, nor
    /// holds one, is recorded as skipped (with the steps inside it).
    pub(super) fn outside_only(&mut self, index: usize) -> Result<Option<Flow>> {
        let only = &self.settings.path.only_steps;
        if only.is_empty()
            || only
                .iter()
                .any(|&o| o == index || self.holds(o, index) || self.holds(index, o))
        {
            return Ok(None);
        }
        self.pass_over(
            index,
            "not run: the run was limited to other steps (--only)".into(),
        )?;
        Ok(Some(Flow::Continue))
    }

    /// Records step `index`, and the steps inside it, as skipped with
    /// `note`, but for what is settled already.
    fn pass_over(&mut self, index: usize, note: String) -> Result<()> {
        let mut inside = vec![index];
        while let Some(i) = inside.pop() {
            let step = &self.book.steps[i];
            inside.extend(&step.children);
            if step.placeholder().is_some() || self.recorder.settled(&self.book, step) {
                continue;
            }
            let mut o = Outcome::new(step.id(), Status::Skipped);
            o.note = Some(note.clone());
            self.record(o, false)?;
        }
        Ok(())
    }

    /// Whether step `index` is to be walked even though it is settled: it is
    /// the step of `--from` or gone to (or holds it, or is inside it: going
    /// to a task runs what is in it again), or `--retry-skipped` offers it.
    pub(super) fn again(&self, index: usize) -> bool {
        for target in [self.settings.path.from, self.revisit]
            .into_iter()
            .flatten()
        {
            if index == target || self.holds(index, target) || self.holds(target, index) {
                return true;
            }
        }
        self.settings.path.retry_skipped
            && self
                .recorder
                .outcome(&self.book.steps[index].id())
                .is_some_and(|o| {
                    o.status == Status::Skipped
                        && ![Reason::Attribute, Reason::NotChosen, Reason::NotNeeded]
                            .iter()
                            .any(|r| o.has(*r))
                })
    }

    /// Where in `indices` (steps being walked) the walk goes on for a `[g]o
    /// to` or `[b]ack` to `target`: the step itself or the one that holds
    /// it. `None`: not among them (the walk above them handles it).
    pub(super) fn go_to(&mut self, indices: &[usize], target: usize) -> Option<usize> {
        let at = indices
            .iter()
            .position(|&i| i == target || self.holds(i, target))?;
        // Steps before it inside the one that holds it are passed over, as
        // they are; the step itself runs again even if it was done.
        self.from = Some((target, false));
        self.revisit = Some(target);
        Some(at)
    }

    /// `[g]o to` step `target`, asked at step `current`. A run limited to a
    /// section (`--section`, `--only SECTION`) or to steps (`--only STEP`)
    /// does not leave them: its record counts only what is inside, so a
    /// step outside is refused, with what to do instead, and `current` is
    /// asked again.
    pub(super) fn go(&mut self, current: usize, target: usize) -> Flow {
        let limit = self.limited_to(target);
        let Some(limit) = limit else {
            return Flow::Goto(target);
        };
        let step = &self.book.steps[target];
        let file = self.recorder.source().display_path();
        self.operator.say(&format!(
            "{file}:{} is outside {limit}: this run does not go there. To run it, start \
             another run: runsheet run {file} --from {file}:{}",
            step.line, step.line
        ));
        Flow::Goto(current)
    }

    /// What the run is limited to, in words, when step `index` lies outside it.
    fn limited_to(&self, index: usize) -> Option<String> {
        let section =
            self.settings.path.only.or_else(|| {
                (0..self.book.sections.len()).find(|&s| self.section_has(s, Reason::Only))
            });
        if let Some(s) = section {
            let section = &self.book.sections[s];
            return (!section.steps.contains(&index))
                .then(|| format!("the section this run is limited to (\"{}\")", section.title));
        }
        let only = &self.settings.path.only_steps;
        let inside = only
            .iter()
            .any(|&o| o == index || self.holds(o, index) || self.holds(index, o));
        (!only.is_empty() && !inside).then(|| "the steps this run is limited to (--only)".into())
    }

    /// `[b]ack` from step `current`: to the step walked before it (the same
    /// one again when there is none).
    pub(super) fn back(&mut self, current: usize) -> Flow {
        while self.history.last() == Some(&current) {
            self.history.pop();
        }
        match self.history.pop() {
            Some(previous) => Flow::Goto(previous),
            None => {
                self.operator
                    .say("This is the first step: there is nothing to go back to.");
                Flow::Goto(current)
            }
        }
    }

    /// Whether step `outer` holds step `inner`, at any depth.
    fn holds(&self, outer: usize, inner: usize) -> bool {
        let mut at = self.book.steps[inner].parent();
        while let Some(p) = at {
            if p == outer {
                return true;
            }
            at = self.book.steps[p].parent();
        }
        false
    }
}
