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
    let mut heading: Option<&[String]> = None;
    for step in &book.steps {
        // Steps share their heading path: compare it, build its text only when it changes.
        if heading != Some(&step.heading[..]) && !step.heading.is_empty() {
            let _ = writeln!(out, "\n§ {}", step.heading_path());
        }
        heading = Some(&step.heading[..]);
        let mut depth = 0;
        let mut p = step.parent;
        while let Some(i) = p {
            depth += 1;
            p = book.steps[i].parent;
        }
        let _ = write!(
            out,
            "{:>5}  {:indent$}{:<8} ",
            step.line,
            "",
            step.kind_name(),
            indent = 2 * depth
        );
        match (&step.kind, step.task()) {
            (_, Some(t)) if t.checked => {
                let _ = write!(out, "[x] {}", step.text);
            }
            (_, Some(_)) => {
                let _ = write!(out, "[ ] {}", step.text);
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
                let danger;
                if !c.destructive.is_empty() {
                    danger = format!("destructive: {}", c.destructive.join(", "));
                    flags.push(&danger);
                }
                let _ = write!(out, "{}$ {}", c.lang, step.text);
                if !flags.is_empty() {
                    let _ = write!(out, " ({})", flags.join(", "));
                }
            }
            _ => out.push_str(&step.text),
        }
        out.push('\n');
    }
    for d in &book.diagnostics {
        let _ = writeln!(out, "\n{d}");
    }
    out
}
