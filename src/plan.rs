//! `plan`: the steps runsheet finds in a document, as text for people or JSON.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::doc::model::PlanStep;
use crate::doc::sections::{Because, OptionForm};
use crate::doc::{Contingency, Runbook};
use crate::record::Units;
use crate::screen::plural;

#[derive(Serialize)]
struct PlanJson<'a> {
    /// How many steps, as a person counts them (an item with the blocks and
    /// fields inside it is one; an item that heads others is none).
    step_count: usize,
    steps: Vec<PlanStep>,
    /// Sections run only when called for: skipped on the main path.
    contingency: Vec<ContingencyJson>,
    /// Groups of options, of which a run does one.
    alternatives: Vec<GroupJson>,
    diagnostics: &'a [Diagnostic],
}

#[derive(Serialize)]
struct ContingencyJson {
    title: String,
    heading: String,
    line: usize,
    kind: Contingency,
    because: Because,
    /// How many steps it holds.
    steps: usize,
}

#[derive(Serialize)]
struct GroupJson {
    line: usize,
    /// Whether some option runs commands: an unattended run needs `--choose`.
    runs_commands: bool,
    options: Vec<OptionJson>,
}

#[derive(Serialize)]
struct OptionJson {
    label: String,
    line: usize,
    steps: usize,
}

/// The plan as JSON: `{"steps": [...], "contingency": [...], "alternatives": [...], "diagnostics": [...]}`.
pub fn json(book: &Runbook) -> String {
    let units = Units::of(book);
    let contingency = book
        .contingency_sections()
        .into_iter()
        .map(|i| {
            let s = &book.sections[i];
            ContingencyJson {
                title: s.title.clone(),
                heading: book.path_of(i),
                line: s.line,
                kind: s.contingency.unwrap_or(Contingency::Marked),
                because: s.because,
                steps: counted(&units, &s.steps),
            }
        })
        .collect();
    let alternatives = book
        .groups
        .iter()
        .map(|g| GroupJson {
            line: g.line,
            runs_commands: g.runs_commands(book),
            options: g
                .options
                .iter()
                .map(|o| OptionJson {
                    label: o.label.clone(),
                    line: o.line,
                    steps: counted(&units, &o.steps),
                })
                .collect(),
        })
        .collect();
    serde_json::to_string_pretty(&PlanJson {
        step_count: units.steps().count(),
        steps: book.plan_tree(),
        contingency,
        alternatives,
        diagnostics: &book.diagnostics,
    })
    .expect("plans always serialize")
        + "\n"
}

/// The plan as text: one line per step, indented by nesting, grouped by heading.
pub fn text(name: &str, book: &Runbook) -> String {
    let mut out = String::new();
    let _ = write_text(&mut out, name, book);
    out
}

/// `text`, written to `out` as it is made: a large plan is not held whole.
pub fn write_text(out: &mut impl std::fmt::Write, name: &str, book: &Runbook) -> std::fmt::Result {
    let units = Units::of(book);
    writeln!(out, "{name}: {}", headline(book, &units))?;
    out.write_str(&overview(book, &units))?;
    let mut opening = openings(book);
    let mut heading: Option<&crate::doc::model::Path> = None;
    for step in &book.steps {
        // Most documents open no such section: no lookup per step then.
        let opened = if opening.is_empty() {
            Vec::new()
        } else {
            opening.remove(&step.at()).unwrap_or_default()
        };
        for (path, tag) in &opened {
            writeln!(out, "\n§ {path}  [{tag}]")?;
        }
        // Steps share their heading path: compare it (the same path, mostly,
        // so no text need be compared), build its text only when it changes.
        let same =
            heading.is_some_and(|h| std::sync::Arc::ptr_eq(h, &step.heading) || *h == step.heading);
        if !same && !step.heading.is_empty() {
            let path = step.heading_path();
            if opened.last().map(|(p, _)| p.as_str()) != Some(path.as_str()) {
                writeln!(out, "\n§ {path}")?;
            }
        }
        heading = Some(&step.heading);
        let mut depth = 0;
        let mut p = step.parent();
        while let Some(i) = p {
            depth += 1;
            p = book.steps[i].parent();
        }
        // The indentation and the kind's column are written as spaces
        // rather than padded: a padded format writes its padding a
        // character at a time, on every line.
        line_number(out, step.line())?;
        spaces(out, 2 + 2 * depth)?;
        let kind = step.kind_name();
        out.write_str(kind)?;
        spaces(out, 8usize.saturating_sub(kind.len()) + 1)?;
        match (&step.kind, step.task()) {
            (_, Some(t)) => {
                out.write_str(if t.checked { "[x] " } else { "[ ] " })?;
                out.write_str(&step.text)?;
            }
            (crate::doc::StepKind::Command(c), _) => {
                let mut flags: Vec<&str> = Vec::new();
                if c.attrs.skip {
                    flags.push("skip");
                }
                if c.attrs.manual {
                    flags.push("manual");
                }
                if c.attrs.confirm {
                    flags.push("confirm");
                }
                let on = c.attrs.on.as_ref().map(|hosts| format!("on {hosts}"));
                if let Some(on) = &on {
                    flags.push(on);
                }
                let danger;
                if !c.destructive().is_empty() {
                    danger = format!("destructive: {}", c.destructive().join(", "));
                    flags.push(&danger);
                }
                out.write_str(&c.lang)?;
                out.write_str("$ ")?;
                out.write_str(&step.text)?;
                if !flags.is_empty() {
                    write!(out, " ({})", flags.join(", "))?;
                }
            }
            _ => out.write_str(&step.text)?,
        }
        if let Some(wait) = step.wait.as_deref() {
            write!(
                out,
                " (takes {})",
                crate::transcript::write::duration(
                    u64::try_from(wait.duration.as_millis()).unwrap_or(u64::MAX)
                )
            )?;
        }
        for (g, o) in book.alternatives_of(step.at()) {
            if book.groups[g].options[o].form == OptionForm::Item(step.at()) {
                write!(
                    out,
                    "  [option {} of {}]",
                    o + 1,
                    book.groups[g].options.len()
                )?;
            }
        }
        out.write_char('\n')?;
    }
    for d in &book.diagnostics {
        writeln!(out, "\n{d}")?;
    }
    Ok(())
}

/// `n` right-aligned in five columns, as `{:>5}` writes it, without the
/// formatting machinery: it is on every line of the plan.
fn line_number(out: &mut impl std::fmt::Write, n: usize) -> std::fmt::Result {
    let mut buf = itoa::Buffer::new();
    let digits = buf.format(n);
    out.write_str(&"     "[digits.len().min(5)..])?;
    out.write_str(digits)
}

/// `n` spaces into `out`.
fn spaces(out: &mut impl std::fmt::Write, mut n: usize) -> std::fmt::Result {
    const SPACES: &str = "                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        out.write_str(&SPACES[..k])?;
        n -= k;
    }
    Ok(())
}

/// How many of the steps in `range` are steps as a person counts them.
fn counted(units: &Units, range: &std::ops::Range<usize>) -> usize {
    range.clone().filter(|&i| units.counted(i)).count()
}

/// `5 steps (2 tasks, 2 commands, 1 blank; inside them 1 command, 1
/// placeholder; 1 task heading others)`: the steps as a person counts them,
/// by kind, then what is inside them.
fn headline(book: &Runbook, units: &Units) -> String {
    /// Steps by kind, the kinds in the order they first come.
    #[derive(Default)]
    struct Tally(Vec<(&'static str, usize)>);
    impl Tally {
        fn add(&mut self, kind: &'static str) {
            match self.0.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, n)) => *n += 1,
                None => self.0.push((kind, 1)),
            }
        }
        fn words(&self) -> String {
            let words: Vec<String> = self.0.iter().map(|(k, n)| plural(*n, k)).collect();
            words.join(", ")
        }
    }
    // One pass over the steps: a long runbook's steps are read once.
    let (mut counted, mut inside, mut headings) = (Tally::default(), Tally::default(), 0);
    for (i, step) in book.steps.iter().enumerate() {
        match units.unit(i) {
            Some(u) if u == i => counted.add(step.kind_name()),
            Some(_) => inside.add(step.kind_name()),
            None => headings += 1,
        }
    }
    let n: usize = counted.0.iter().map(|(_, n)| n).sum();
    let mut parts = vec![counted.words()];
    let inside = inside.words();
    if !inside.is_empty() {
        parts.push(format!("inside them {inside}"));
    }
    if headings > 0 {
        parts.push(format!("{} heading others", plural(headings, "task")));
    }
    parts.retain(|p| !p.is_empty());
    if parts.is_empty() {
        plural(n, "step")
    } else {
        format!("{} ({})", plural(n, "step"), parts.join("; "))
    }
}

/// What the text plan says first about the document's shape: its
/// contingency sections and the alternatives it offers.
fn overview(book: &Runbook, units: &Units) -> String {
    let mut out = String::new();
    let contingency = book.contingency_sections();
    if !contingency.is_empty() {
        out.push_str("contingency sections, skipped on the main path (run one with --only or --on-failure):\n");
        for i in contingency {
            let s = &book.sections[i];
            let kind = s.contingency.unwrap_or(Contingency::Marked);
            let _ = writeln!(
                out,
                "  line {:>4}  {kind:<15} {} ({})",
                s.line,
                s.title,
                plural(counted(units, &s.steps), "step"),
            );
        }
    }
    if !book.groups.is_empty() {
        out.push_str("alternatives, of which a run does one (choose with --choose):\n");
        for g in &book.groups {
            let _ = writeln!(out, "  line {:>4}  {}", g.line, g.labels().join(" | "));
        }
    }
    out
}

/// The sections a run treats apart (contingency sections, options), by the
/// step they start at, outermost first, with what to say of each.
fn openings(book: &Runbook) -> HashMap<usize, Vec<(String, String)>> {
    let mut found: Vec<(usize, usize, String)> = Vec::new();
    for i in book.contingency_sections() {
        let s = &book.sections[i];
        if !s.steps.is_empty() {
            let kind = s.contingency.unwrap_or(Contingency::Marked);
            found.push((s.steps.start, i, format!("contingency: {kind}")));
        }
    }
    for g in &book.groups {
        for (n, o) in g.options.iter().enumerate() {
            if let OptionForm::Section(i) = o.form
                && !o.steps.is_empty()
            {
                let tag = format!("option {} of {}", n + 1, g.options.len());
                found.push((o.steps.start, i, tag));
            }
        }
    }
    found.sort_by_key(|&(at, i, _)| (at, i));
    let mut by_step: HashMap<usize, Vec<(String, String)>> = HashMap::new();
    for (at, i, tag) in found {
        by_step.entry(at).or_default().push((book.path_of(i), tag));
    }
    by_step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_are_written_as_a_padded_format_writes_them() {
        for n in [
            0,
            7,
            42,
            999,
            12_345,
            99_999,
            100_000,
            123_456_789,
            usize::MAX,
        ] {
            let mut out = String::new();
            line_number(&mut out, n).unwrap();
            assert_eq!(out, format!("{n:>5}"), "{n}");
        }
    }
}
