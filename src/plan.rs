//! `plan`: the steps runsheet finds in a document, as text for people or JSON.

use std::fmt::Write as _;

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::doc::Runbook;
use crate::doc::model::PlanStep;

#[derive(Serialize)]
struct PlanJson<'a> {
    steps: Vec<PlanStep>,
    diagnostics: &'a [Diagnostic],
}

/// The plan as JSON: `{"steps": [...], "diagnostics": [...]}`.
pub fn json(book: &Runbook) -> String {
    serde_json::to_string_pretty(&PlanJson {
        steps: book.plan_tree(),
        diagnostics: &book.diagnostics,
    })
    .expect("plans always serialize")
        + "\n"
}

/// The plan as text: one line per step, indented by nesting, grouped by heading.
pub fn text(name: &str, book: &Runbook) -> String {
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    for step in &book.steps {
        match kinds.iter_mut().find(|(k, _)| *k == step.kind_name()) {
            Some((_, n)) => *n += 1,
            None => kinds.push((step.kind_name(), 1)),
        }
    }
    let tally: Vec<String> = kinds
        .iter()
        .map(|(k, n)| format!("{n} {k}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    let mut out = format!(
        "{name}: {} steps ({})\n",
        book.steps.len(),
        tally.join(", ")
    );
    let mut heading = String::new();
    for step in &book.steps {
        let path = step.heading_path();
        if path != heading && !path.is_empty() {
            let _ = writeln!(out, "\n§ {path}");
        }
        heading = path;
        let mut depth = 0;
        let mut p = step.parent;
        while let Some(i) = p {
            depth += 1;
            p = book.steps[i].parent;
        }
        let indent = "  ".repeat(depth);
        let what = match (&step.kind, step.task()) {
            (_, Some(t)) if t.checked => format!("[x] {}", step.text),
            (_, Some(_)) => format!("[ ] {}", step.text),
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
                let danger = format!("destructive: {}", c.destructive.join(", "));
                if !c.destructive.is_empty() {
                    flags.push(&danger);
                }
                let flags = if flags.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", flags.join(", "))
                };
                format!(
                    "{}$ {}{flags}",
                    if c.lang.is_empty() { "" } else { &c.lang },
                    step.text
                )
            }
            _ => step.text.clone(),
        };
        let _ = writeln!(
            out,
            "{:>5}  {indent}{:<8} {what}",
            step.line,
            step.kind_name()
        );
    }
    for d in &book.diagnostics {
        let _ = writeln!(out, "\n{d}");
    }
    out
}
