//! Contingency sections in a run: passed over on the main path (marked once,
//! at their heading), gone into when something goes wrong and the operator
//! or `--on-failure` calls for one, run on their own with `--only`; and
//! where the walk goes after one.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Flow, Run};
use crate::doc::{Contingency, Step, StepKind};
use crate::error::Result;
use crate::operator::Setback;
use crate::record::{Outcome, Reason, Status, section_id};

/// What the command line asked of a run's path, resolved against its runbook.
#[derive(Debug, Clone, Default)]
pub struct PathSettings {
    /// `--only`: the one section (an index into `Runbook::sections`) to run.
    pub only: Option<usize>,
    /// `--on-failure`: the contingency section an unattended run goes into
    /// after a step failed, before it ends.
    pub on_failure: Option<usize>,
    /// Options taken ahead of the run (`--choose`): group → (option, how).
    pub chosen: HashMap<usize, (usize, String)>,
    /// `--honour-waits`: an unattended run waits out steps that take time.
    pub honour_waits: bool,
    /// `--from`: the step (an index into `Runbook::steps`) the run starts at.
    pub from: Option<usize>,
    /// `resume --retry-skipped`: the steps the operator skipped are offered again.
    pub retry_skipped: bool,
    /// `--only STEP...`: the steps (indices) a run is limited to, with the
    /// steps inside them.
    pub only_steps: Vec<usize>,
}

/// Where a run is in its document's shape.
#[derive(Debug, Default)]
pub(super) struct PathState {
    /// Sections run apart from the main path right now: contingency
    /// sections gone into, the section of `--only`. Innermost last.
    active: Vec<usize>,
    /// The last step that failed, in words: what a contingency section
    /// gone into next was started by.
    last_failure: Option<String>,
    /// The contingency sections the operator may start from here...
    offered: Vec<usize>,
    /// ...and how prompts list them (`rollback: H) ROLLBACK PLAN`).
    pub labels: Arc<[String]>,
    /// The groups of alternatives decided so far: the option taken, or
    /// `None` when nobody could choose (every option then runs as written).
    pub decided: HashMap<usize, Option<usize>>,
}

impl Run<'_> {
    /// The walk of the whole run: the section of `--only` (or the one a
    /// resumed run was limited to), else a contingency section a resumed
    /// run was inside, then the main path; and, after a failure, the
    /// section of `--on-failure`, or a word on the sections there are.
    pub(super) fn walk_path(&mut self) -> Result<Flow> {
        self.offer_from_here();
        let only = match self.settings.path.only {
            Some(s) => {
                if !self.section_has(s, Reason::Only) {
                    let why = "run on its own with --only".to_string();
                    self.record_section(s, Status::Done, Reason::Only, Some(why))?;
                }
                Some(s)
            }
            None => (0..self.book.sections.len()).find(|&s| self.section_has(s, Reason::Only)),
        };
        let flow = match only {
            Some(s) => self.walk_section(s)?,
            None => self.walk_main()?,
        };
        if flow != Flow::Stop {
            return Ok(flow);
        }
        if !self.settings.attended()
            && let Some(c) = self.settings.path.on_failure
            && !self.path.active.contains(&c)
            && !self.section_has(c, Reason::Entered)
        {
            let because = self
                .path
                .last_failure
                .clone()
                .unwrap_or_else(|| "a step failed".into());
            self.enter(c, because)?;
            return Ok(Flow::Stop);
        }
        if !self.entered_any() {
            self.name_the_way_back();
        }
        Ok(flow)
    }

    /// The main path, after whatever contingency section a resumed run was in.
    fn walk_main(&mut self) -> Result<Flow> {
        for c in self.book.contingency_sections() {
            if self.section_has(c, Reason::Entered) && self.unfinished(c) {
                let title = self.book.sections[c].title.clone();
                self.operator.say(&format!(
                    "\nContinuing inside \"{title}\", where the run was."
                ));
                let flow = self.run_section(c)?;
                if flow != Flow::Continue {
                    return Ok(flow);
                }
            }
        }
        let roots: Vec<usize> = self.book.roots().collect();
        self.walk(&roots)
    }

    /// Walks section `s` alone, as part of the run's path.
    fn walk_section(&mut self, s: usize) -> Result<Flow> {
        self.path.active.push(s);
        self.offer_from_here();
        let roots = self.roots_in(s);
        let walked = self.walk(&roots);
        self.path.active.pop();
        self.offer_from_here();
        walked
    }

    /// Runs contingency section `c`; then the operator says whether the run
    /// returns to where it was (`Continue`) or stops there.
    fn run_section(&mut self, c: usize) -> Result<Flow> {
        let flow = self.walk_section(c)?;
        if flow != Flow::Continue {
            return Ok(flow);
        }
        self.before_prompt()?;
        let title = self.book.sections[c].title.clone();
        Ok(if self.operator.after_contingency(&title)? {
            self.operator.say("Back where the run was.");
            Flow::Continue
        } else {
            Flow::Stop
        })
    }

    /// Goes into contingency section `c` now, started by `because`.
    pub(super) fn enter(&mut self, c: usize, because: String) -> Result<Flow> {
        let section = &self.book.sections[c];
        let kind = section.contingency.unwrap_or(Contingency::Marked);
        self.operator.say(&format!(
            "\n▶ {kind}: \"{}\" (line {}), started because: {because}",
            section.title, section.line
        ));
        self.record_section(c, Status::Done, Reason::Entered, Some(because))?;
        self.run_section(c)
    }

    /// The operator picked the `k`-th contingency section offered, `because`.
    pub(super) fn start_offered(&mut self, k: usize, because: String) -> Result<Flow> {
        let Some(&c) = self.path.offered.get(k) else {
            return Ok(Flow::Continue);
        };
        self.enter(c, because)
    }

    /// The operator asked for the `k`-th contingency section at the prompt
    /// of `step`, with nothing gone wrong there.
    pub(super) fn start_asked(&mut self, k: usize, step: &Step) -> Result<Flow> {
        let because = format!(
            "the operator called for it at \"{}\" ({})",
            step.text,
            self.place(step)
        );
        self.start_offered(k, because)
    }

    /// The operator picked the `k`-th contingency section after a step failed.
    pub(super) fn start_after_failure(&mut self, k: usize, step: &Step) -> Result<Flow> {
        let because = self
            .path
            .last_failure
            .clone()
            .unwrap_or_else(|| format!("a step failed at {}", self.place(step)));
        self.start_offered(k, because)
    }

    /// Something went wrong at `step` that is not a failed command (`what`:
    /// "Smoke test failed", "Decision: NO-GO"): the operator may go on,
    /// stop, go to another step, or start a contingency section. Asked
    /// only when there is one.
    pub(super) fn setback(&mut self, step: &Step, what: &str) -> Result<Flow> {
        if !self.settings.attended() || self.path.offered.is_empty() {
            return Ok(Flow::Continue);
        }
        loop {
            self.before_prompt()?;
            let view = self.view(step, "");
            match self.operator.setback(&view, what)? {
                Setback::GoOn => return Ok(Flow::Continue),
                Setback::Stop => return Ok(Flow::Stop),
                Setback::GoTo(target) => return Ok(self.go(step.at(), target)),
                Setback::Contingency(k) => {
                    match self.start_offered(k, format!("{what} at {}", self.place(step)))? {
                        Flow::Continue => {}
                        flow => return Ok(flow),
                    }
                }
            }
        }
    }

    /// Whether step `index` is off the path here: in a contingency section
    /// nobody called for (marked once as not needed), or in an option not
    /// taken. `Some(flow)` skips it.
    pub(super) fn skip_off_path(&mut self, index: usize) -> Result<Option<Flow>> {
        if let Some(c) = self.book.contingency_of(index)
            && !self.active_at(index, c)
        {
            if self.recorder.outcome(&section_id(c)).is_none() {
                self.record_section(c, Status::Skipped, Reason::NotNeeded, None)?;
            }
            return Ok(Some(Flow::Continue));
        }
        self.skip_not_chosen(index)
    }

    /// Whether step `index` was left off the run's path: its parent task
    /// does not wait for it. Unlike the walk, a contingency section gone
    /// into earlier counts as on the path.
    pub(super) fn left_off(&self, index: usize) -> bool {
        let called_for = |c: usize| {
            self.active_at(index, c)
                || self.section_has(c, Reason::Entered)
                || self.section_has(c, Reason::Only)
        };
        self.book
            .contingency_of(index)
            .is_some_and(|c| !called_for(c))
            || self.not_chosen(index)
    }

    /// Remembers a failure, for the contingency section gone into next.
    pub(super) fn note_failure(&mut self, outcome: &Outcome) {
        if outcome.status != Status::Failed || outcome.id.starts_with('§') {
            return;
        }
        let Some(step) = self.step_of(&outcome.id) else {
            return;
        };
        if !step.children.is_empty() {
            // A task fails with the step inside it that failed: that one says how.
            return;
        }
        // A command is described by the task it belongs to, if any.
        let mut what = step;
        while !matches!(what.kind, StepKind::Task(_))
            && let Some(p) = what.parent()
        {
            what = &self.book.steps[p];
        }
        let mut name: String = what.text.chars().take(80).collect();
        if name.is_empty() {
            name = step.id();
        }
        let value = outcome.value.as_deref().unwrap_or("");
        let how = if outcome.has(Reason::Negative) {
            format!("was answered {value}")
        } else if outcome.has(Reason::OffTarget) {
            format!("missed its target ({value})")
        } else if outcome.has(Reason::Timeout) {
            "timed out".to_string()
        } else if outcome.has(Reason::Refused) {
            "was refused".to_string()
        } else if outcome.has(Reason::Unfilled) {
            "could not run (a placeholder has no value)".to_string()
        } else if let Some(exit) = outcome.exit {
            format!("failed (exit {exit})")
        } else {
            "failed".to_string()
        };
        self.path.last_failure = Some(format!("{name} {how} at {}", self.place(step)));
    }

    /// `deploy.md:312`: where a step is.
    pub(super) fn place(&self, step: &Step) -> String {
        format!("{}:{}", self.recorder.source().display_path(), step.line)
    }

    /// Whether a section being run now holds step `index` and lies within
    /// contingency section `c` (`c` itself, or one of its sub-sections).
    fn active_at(&self, index: usize, c: usize) -> bool {
        let within = &self.book.sections[c].steps;
        self.path.active.iter().any(|&a| {
            let a = &self.book.sections[a].steps;
            a.contains(&index) && within.start <= a.start && a.end <= within.end
        })
    }

    /// Whether section `s` was recorded with `reason`.
    pub(super) fn section_has(&self, s: usize, reason: Reason) -> bool {
        self.recorder
            .outcome(&section_id(s))
            .is_some_and(|o| o.has(reason))
    }

    fn entered_any(&self) -> bool {
        (0..self.book.sections.len()).any(|s| self.section_has(s, Reason::Entered))
    }

    /// Records what became of section `s`; at once, for a section gone into.
    pub(super) fn record_section(
        &mut self,
        s: usize,
        status: Status,
        reason: Reason,
        value: Option<String>,
    ) -> Result<()> {
        let mut o = Outcome::new(section_id(s), status).because(reason);
        o.value = value.map(|v| self.secrets.redact(&v));
        let urgent = matches!(reason, Reason::Entered | Reason::Only);
        self.record(o, urgent)
    }

    /// The steps of section `s` to walk: those whose parent is outside it.
    fn roots_in(&self, s: usize) -> Vec<usize> {
        let range = self.book.sections[s].steps.clone();
        range
            .clone()
            .filter(|&i| {
                self.book.steps[i]
                    .parent()
                    .is_none_or(|p| !range.contains(&p))
            })
            .collect()
    }

    /// Whether contingency section `c` holds a step on the path not yet settled.
    fn unfinished(&self, c: usize) -> bool {
        self.book.sections[c].steps.clone().any(|i| {
            let step = &self.book.steps[i];
            !self.recorder.settled(&self.book, step) && !self.not_chosen(i)
        })
    }

    /// Whether step `index` is in an option recorded as not chosen.
    pub(super) fn not_chosen(&self, index: usize) -> bool {
        self.book.alternatives_of(index).into_iter().any(|(g, o)| {
            match self.book.groups[g].options[o].form {
                crate::doc::sections::OptionForm::Section(s) => {
                    self.section_has(s, Reason::NotChosen)
                }
                crate::doc::sections::OptionForm::Item(t) => self
                    .recorder
                    .outcome(&self.book.steps[t].id())
                    .is_some_and(|o| o.has(Reason::NotChosen)),
            }
        })
    }

    /// Works out which contingency sections prompts offer from here: all of
    /// them but those being run.
    fn offer_from_here(&mut self) {
        let active = &self.path.active;
        let offered: Vec<usize> = self
            .book
            .contingency_sections()
            .into_iter()
            .filter(|c| !active.contains(c))
            .collect();
        self.path.labels = offered
            .iter()
            .map(|&c| {
                let s = &self.book.sections[c];
                format!(
                    "{}: {}",
                    s.contingency.unwrap_or(Contingency::Marked),
                    s.title
                )
            })
            .collect();
        self.path.offered = offered;
    }

    /// After a failure that went into no contingency section: the ones the
    /// operator may want, and how to run each on its own.
    fn name_the_way_back(&mut self) {
        let sections = self.book.contingency_sections();
        if sections.is_empty() {
            return;
        }
        let path = self.recorder.source().display_path();
        let mut lines = vec!["\nThis runbook has contingency sections for this:".to_string()];
        for c in sections.into_iter().take(6) {
            let s = &self.book.sections[c];
            let kind = s.contingency.unwrap_or(Contingency::Marked);
            lines.push(format!(
                "  {}: runsheet run {} --only {}",
                kind.purpose(),
                shell_quote(&path),
                shell_quote(&s.title)
            ));
        }
        self.operator.say(&lines.join("\n"));
    }
}

/// `text` as one shell word: as it is when it is plain, else in quotes.
fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        text.to_string()
    } else if !text.contains(['"', '\\', '$', '`', '!']) {
        format!("\"{text}\"")
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn section_names_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("deploy.md"), "deploy.md");
        assert_eq!(shell_quote("H) ROLLBACK PLAN"), "\"H) ROLLBACK PLAN\"");
        assert_eq!(shell_quote("it's $HOME"), "'it'\\''s $HOME'");
    }
}
