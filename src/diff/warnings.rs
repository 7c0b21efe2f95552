//! What the reader of a comparison should know before its steps: runs of
//! another runbook or of an edited one, other environments or variables,
//! and sections (a rollback, an option) one run went into and the other not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::doc::Contingency;
use crate::record::{RunInfo, RunRecord, SectionRecord, SectionState};

/// The sections the two runs treated differently: a contingency section
/// that ran in one of them only (`the rollback section ... ran in the new
/// run`), another option taken.
pub fn sections(old: &RunRecord, new: &RunRecord) -> Vec<String> {
    let by_heading = |r: &RunRecord| -> BTreeMap<Vec<String>, SectionRecord> {
        r.sections
            .iter()
            .map(|s| (s.heading.clone(), s.clone()))
            .collect()
    };
    let (old, new) = (by_heading(old), by_heading(new));
    let headings: BTreeSet<&Vec<String>> = old.keys().chain(new.keys()).collect();
    headings
        .into_iter()
        .filter_map(|h| {
            let (o, n) = (old.get(h), new.get(h));
            let (o_state, n_state) = (o.map(state), n.map(state));
            if o_state == n_state {
                return None;
            }
            let ran = |s: Option<&SectionRecord>| s.is_some_and(|s| s.state == SectionState::Entered);
            let section = o.or(n).expect("a heading of one of the runs");
            let title = &section.title;
            if ran(o) != ran(n) {
                let (which, other, by) = if ran(n) { ("new", "old", n) } else { ("old", "new", o) };
                let kind = match section.contingency {
                    Some(Contingency::Failure | Contingency::Marked) | None => "contingency",
                    Some(c) => c.word(),
                };
                let because = by
                    .and_then(|s| s.because.as_deref())
                    .map_or_else(String::new, |b| format!(" (started by: {b})"));
                return Some(format!(
                    "the {kind} section `{title}` ran in the {which} run, not in the {other} one{because}"
                ));
            }
            Some(format!(
                "the section `{title}` was {} in the old run and {} in the new one",
                o_state.as_deref().unwrap_or("on the main path"),
                n_state.as_deref().unwrap_or("on the main path")
            ))
        })
        .collect()
}

/// `not needed`, `chosen (chosen with --choose)`.
fn state(s: &SectionRecord) -> String {
    let state = serde_json::to_value(s.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
        .replace('-', " ");
    match &s.because {
        Some(b) => format!("{state} ({b})"),
        None => state,
    }
}

/// The warning for runs of one runbook whose texts differ. A templated
/// runbook rendered from the same template for other variables was not
/// edited: it says so, and the variables are listed after it.
fn edited(old: &RunInfo, new: &RunInfo) -> String {
    let paired = "steps are paired by name, heading and text";
    match (&old.template, &new.template) {
        (Some(o), Some(n)) if o.sha256 == n.sha256 => format!(
            "the template `{}` is the same in both runs, but what it rendered differs (another environment, other variables or dates): {paired}",
            n.path
        ),
        (Some(_), Some(n)) => format!(
            "the template `{}` was edited between the two runs (its sha256 differs): {paired}",
            n.path
        ),
        _ => format!(
            "the runbook `{}` was edited between the two runs (its sha256 differs): {paired}",
            new.source
        ),
    }
}

/// What the reader should know about the two runs as a whole.
pub fn warnings(old_path: &Path, old: &RunInfo, new_path: &Path, new: &RunInfo) -> Vec<String> {
    let mut warnings = Vec::new();
    let name = |source: &str| {
        Path::new(source)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
    };
    if name(&old.source) != name(&new.source) {
        warnings.push(format!(
            "these are runs of two different runbooks (`{}` in {}, `{}` in {}): steps are paired by their text",
            old.source,
            old_path.display(),
            new.source,
            new_path.display()
        ));
    } else if old.sha256 != new.sha256 {
        warnings.push(edited(old, new));
    }
    if old.env != new.env {
        let env = |e: &Option<String>| {
            e.as_deref()
                .map_or_else(|| "no environment".to_string(), |e| format!("`{e}`"))
        };
        warnings.push(format!(
            "the runs were rendered for different environments: {} → {}",
            env(&old.env),
            env(&new.env)
        ));
    }
    let differing: Vec<String> = old
        .vars
        .keys()
        .chain(new.vars.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| old.vars.get(*k) != new.vars.get(*k))
        .map(|k| {
            let v = |vars: &BTreeMap<String, String>| {
                vars.get(k)
                    .map_or_else(|| "(unset)".to_string(), |v| format!("`{v}`"))
            };
            format!("`{k}` {} → {}", v(&old.vars), v(&new.vars))
        })
        .collect();
    if !differing.is_empty() {
        warnings.push(format!(
            "the runs used different variables: {}",
            differing.join(", ")
        ));
    }
    warnings
}
