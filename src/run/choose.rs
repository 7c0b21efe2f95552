//! Alternatives in a run: where the runbook offers options, one is taken —
//! chosen by the operator when the run reaches them, or ahead of the run
//! (`--choose`, the answers file) — and the others are recorded once as not
//! chosen.

use std::collections::HashMap;

use super::{Flow, PathSettings, Run};
use crate::doc::Runbook;
use crate::doc::sections::{OptionForm, pick};
use crate::error::{Error, Result};
use crate::operator::{Operator, View};
use crate::record::{Outcome, Reason, Status, section_id};

/// What a group's decision means for the walk.
enum Decision {
    /// The option taken (or `None`: nobody could choose, every option runs
    /// as written — only for options that run no commands).
    Taken(Option<usize>),
    /// Nobody may choose and an option runs commands: the run stops.
    Stop,
}

impl Run<'_> {
    /// Whether step `index` lies in an option not taken; the group is
    /// decided first when this is where the walk reaches it.
    pub(super) fn skip_not_chosen(&mut self, index: usize) -> Result<Option<Flow>> {
        for (g, o) in self.book.alternatives_of(index) {
            match self.decision(g, index)? {
                Decision::Taken(Some(taken)) if taken != o => return Ok(Some(Flow::Continue)),
                Decision::Taken(_) => {}
                Decision::Stop => return Ok(Some(Flow::Stop)),
            }
        }
        Ok(None)
    }

    /// The option of group `g` the run takes, reached at step `index`.
    fn decision(&mut self, g: usize, index: usize) -> Result<Decision> {
        if let Some(&taken) = self.path.decided.get(&g) {
            return Ok(Decision::Taken(taken));
        }
        if let Some(taken) = self.recorded_choice(g) {
            self.path.decided.insert(g, Some(taken));
            return Ok(Decision::Taken(Some(taken)));
        }
        let labels = self.book.groups[g].labels();
        let (taken, how) = match self.settings.path.chosen.get(&g) {
            Some((taken, how)) => (Some(*taken), how.clone()),
            None => {
                self.before_prompt()?;
                let step = self.book.steps[index].clone();
                let view = self.view(&step, "");
                let how = if self.settings.attended() {
                    format!("chosen by {}", self.recorder.info().operator)
                } else {
                    "chosen in the answers file".to_string()
                };
                (self.operator.choose(&view, &labels)?, how)
            }
        };
        match taken {
            Some(taken) => {
                self.record_choice(g, taken, how)?;
                self.path.decided.insert(g, Some(taken));
                Ok(Decision::Taken(Some(taken)))
            }
            None if self.book.groups[g].runs_commands(&self.book) => {
                let at = self.recorder.source().display_path();
                self.operator.say(&format!(
                    "{at}:{}: the runbook offers alternatives here ({}); nobody chose one, so the run stops. \
                     Choose with --choose, or `choose:` in the answers file",
                    self.book.groups[g].line,
                    labels.join(" | ")
                ));
                Ok(Decision::Stop)
            }
            None => {
                self.path.decided.insert(g, None);
                Ok(Decision::Taken(None))
            }
        }
    }

    /// The option of group `g` an earlier part of the run took (resume).
    fn recorded_choice(&self, g: usize) -> Option<usize> {
        let options = &self.book.groups[g].options;
        if let Some(taken) = options.iter().position(|o| match o.form {
            OptionForm::Section(s) => self.section_has(s, Reason::Chosen),
            OptionForm::Item(_) => false,
        }) {
            return Some(taken);
        }
        let left: Vec<usize> = (0..options.len())
            .filter(|&o| !self.not_chosen(options[o].steps.start))
            .collect();
        match left.as_slice() {
            [taken] if left.len() < options.len() => Some(*taken),
            _ => None,
        }
    }

    /// Records that group `g` takes option `taken` (`how`: who chose it).
    fn record_choice(&mut self, g: usize, taken: usize, how: String) -> Result<()> {
        let group = self.book.groups[g].clone();
        let label = &group.options[taken].label;
        self.operator.say(&format!("Option taken: {label} ({how})"));
        for (n, option) in group.options.iter().enumerate() {
            match (option.form, n == taken) {
                (OptionForm::Section(s), true) => {
                    self.record_section(s, Status::Done, Reason::Chosen, Some(how.clone()))?;
                }
                (OptionForm::Section(s), false) => {
                    let why = format!("\"{label}\" was chosen");
                    self.record_section(s, Status::Skipped, Reason::NotChosen, Some(why))?;
                }
                (OptionForm::Item(_), true) => {}
                (OptionForm::Item(t), false) => {
                    let o = Outcome::new(self.book.steps[t].id(), Status::Skipped)
                        .because(Reason::NotChosen);
                    self.record(o, false)?;
                }
            }
        }
        Ok(())
    }
}

/// The options `--choose` takes, by group. Each value names one option of
/// one or more groups (its label, or a piece of it); one naming none, or
/// two options of one group, is an error.
pub fn choices(book: &Runbook, wanted: &[String]) -> Result<HashMap<usize, (usize, String)>> {
    let mut chosen: HashMap<usize, (usize, String)> = HashMap::new();
    for w in wanted {
        let mut any = false;
        for (g, group) in book.groups.iter().enumerate() {
            let labels = group.labels();
            let Some(o) = pick(&labels, w) else { continue };
            any = true;
            if let Some((other, _)) = chosen.get(&g).filter(|(other, _)| *other != o) {
                return Err(Error::usage(format!(
                    "--choose {w:?} and an earlier --choose both decide the alternatives on line {}: \
                     \"{}\" or \"{}\"; choose one",
                    group.line, labels[*other], labels[o]
                )));
            }
            chosen.insert(g, (o, "chosen with --choose".to_string()));
        }
        if !any {
            let offered: Vec<String> = book.groups.iter().flat_map(|g| g.labels()).collect();
            return Err(Error::usage(if offered.is_empty() {
                format!("--choose {w:?}: the runbook offers no alternatives to choose from")
            } else {
                format!(
                    "--choose {w:?} names no option of the runbook; the options are: {}",
                    offered.join(" | ")
                )
            }));
        }
    }
    Ok(chosen)
}

/// The option of group `g` that a record (`outcome` of a step or section
/// id) says was taken, as `Run::recorded_choice` reads it: the section
/// marked chosen, or the one option left when the others are marked not
/// chosen.
fn decided_in<'o>(
    book: &Runbook,
    g: usize,
    outcome: impl Fn(&str) -> Option<&'o Outcome>,
) -> Option<usize> {
    let options = &book.groups[g].options;
    let has = |o: usize, reason: Reason| match options[o].form {
        OptionForm::Section(s) => outcome(&section_id(s)).is_some_and(|x| x.has(reason)),
        OptionForm::Item(t) => outcome(&book.steps[t].id()).is_some_and(|x| x.has(reason)),
    };
    if let Some(taken) = (0..options.len())
        .find(|&o| matches!(options[o].form, OptionForm::Section(_)) && has(o, Reason::Chosen))
    {
        return Some(taken);
    }
    let left: Vec<usize> = (0..options.len())
        .filter(|&o| !has(o, Reason::NotChosen))
        .collect();
    match left.as_slice() {
        [taken] if left.len() < options.len() => Some(*taken),
        _ => None,
    }
}

/// Before an unattended run: each group of alternatives on its path whose
/// options run commands must have its option chosen ahead, by `--choose`
/// or by the answers file (asked through `operator`) — unless `recorded`,
/// the outcomes of the run being resumed, says which was taken already.
/// An error names the groups left, before anything runs.
pub fn choose_ahead(
    book: &Runbook,
    path: &mut PathSettings,
    recorded: &HashMap<String, Outcome>,
    operator: &mut dyn Operator,
) -> Result<()> {
    let mut left = Vec::new();
    for (g, group) in book.groups.iter().enumerate() {
        if let Some((asked, _)) = path.chosen.get(&g)
            && let Some(taken) = decided_in(book, g, |id| recorded.get(id))
            && taken != *asked
        {
            // What was done stands: say so rather than drop the choice unsaid.
            let labels = group.labels();
            operator.say(&format!(
                "line {}: the run already took \"{}\"; it goes on with that, not with \"{}\" as chosen now",
                group.line, labels[taken], labels[*asked]
            ));
        }
        if path.chosen.contains_key(&g) || !group.runs_commands(book) || !on_path(book, path, g) {
            continue;
        }
        if decided_in(book, g, |id| recorded.get(id)).is_some() {
            // Decided in the part of the run that went before: the walk
            // keeps that choice, whatever `--choose` says now.
            continue;
        }
        let labels = group.labels();
        let first = group
            .options
            .iter()
            .map(|o| o.steps.start)
            .min()
            .unwrap_or(0);
        let Some(step) = book.steps.get(first) else {
            continue;
        };
        let units = crate::record::Units::of(book);
        let (position, total) = units.place(first, |_| false);
        let view = View {
            position,
            total,
            part: false,
            step,
            script: "",
            contingency: Default::default(),
            steps: Default::default(),
            here: first,
            before: None,
        };
        match operator.choose(&view, &labels)? {
            Some(o) => {
                path.chosen
                    .insert(g, (o, "chosen in the answers file".to_string()));
            }
            None => left.push(format!("line {}: {}", group.line, labels.join(" | "))),
        }
    }
    if left.is_empty() {
        return Ok(());
    }
    Err(Error::usage(format!(
        "the runbook offers alternatives that run commands, and an unattended run does one of each, \
         not all: choose with --choose \"OPTION\" (or `choose:` in the answers file); nothing was run.\n  {}",
        left.join("\n  ")
    )))
}

/// Whether group `g` lies on the path an unattended run with `path` takes:
/// the main path, or the section of `--only` / `--on-failure`.
fn on_path(book: &Runbook, path: &PathSettings, g: usize) -> bool {
    let Some(first) = book.groups[g]
        .options
        .iter()
        .find(|o| !o.steps.is_empty())
        .map(|o| o.steps.start)
    else {
        return false;
    };
    let within = |s: usize| book.sections[s].steps.contains(&first);
    match path.only {
        Some(s) => within(s),
        None => book.contingency_of(first).is_none() || path.on_failure.is_some_and(within),
    }
}
