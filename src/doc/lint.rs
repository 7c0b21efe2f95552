//! Checks over the whole document once its steps are read: names used twice,
//! secrets written into it, mojibake, no steps at all.

use std::collections::HashMap;

use super::model::{Runbook, StepKind};
use super::mojibake;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::Source;

/// Adds what the whole document gives to say to `book`'s diagnostics (and
/// shows mojibake repaired in its steps). `base` is where its Markdown starts;
/// `secrets` what `crate::secrets::literal_secrets` finds in its text (a scan
/// of the whole text, which a large document has made while it is walked).
pub(super) fn check(
    source: &Source,
    book: &mut Runbook,
    base: usize,
    secrets: Vec<(usize, String)>,
) {
    check_names(source, book);
    literal_secrets(source, book, secrets);
    mojibake(source, book);
    cap_findings(source, book);
    if book.steps.is_empty() {
        book.diagnostics.push(source.diagnostic(
            Severity::Warning,
            base,
            "this document has no steps: no `- [ ]` items, blanks, choices or runnable fenced blocks",
            Some("runsheet runs ```bash blocks and asks about `- [ ]` items".into()),
        ));
    }
}

/// What of `check` changes the steps themselves: mojibake shown repaired.
pub(super) fn repair(source: &Source, book: &mut Runbook) {
    mojibake(source, book);
}

/// The most findings shown: a document that gives many more (a generated
/// line of thousands of secrets) says how many were left out.
const MOST_FINDINGS: usize = 200;

fn cap_findings(source: &Source, book: &mut Runbook) {
    if book.diagnostics.len() <= MOST_FINDINGS {
        return;
    }
    let rest = book.diagnostics.split_off(MOST_FINDINGS);
    let severity = rest
        .iter()
        .map(|d| d.severity)
        .max_by_key(|s| *s == Severity::Error)
        .unwrap_or(Severity::Warning);
    let message = format!(
        "{} more findings like the ones above are not shown",
        rest.len()
    );
    // At the first one not shown: its place, as it was found.
    book.diagnostics.push(match rest.into_iter().next() {
        Some(first) => Diagnostic {
            severity,
            message,
            hint: None,
            ..first
        },
        None => source.diagnostic(severity, 0, message, None),
    });
}

/// Two blocks with the same `name=` would share one record: an error.
fn check_names(source: &Source, book: &mut Runbook) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for step in &book.steps {
        let Some(name) = step.command().and_then(|c| c.attrs.name.clone()) else {
            continue;
        };
        if let Some(first) = seen.insert(name.clone(), step.line()) {
            book.diagnostics.push(source.diagnostic(
                Severity::Error,
                step.span().start,
                format!("`name={name}` is already the name of the block on line {first}"),
                Some("give each block its own name: transcripts and answers files find steps by it".into()),
            ));
        }
    }
}

/// A secret in the runbook's own bytes, which no transcript of it can hide.
fn literal_secrets(source: &Source, book: &mut Runbook, secrets: Vec<(usize, String)>) {
    for (at, what) in secrets.into_iter().take(MOST_FINDINGS + 1) {
        book.diagnostics.push(
            source.diagnostic(
                Severity::Warning,
                at,
                format!("a secret is written in the runbook itself ({what})"),
                Some(
                    "a transcript keeps the runbook's bytes, so runsheet cannot hide it there: \
                 read it from the environment or a placeholder (`<api-token>`) instead"
                        .into(),
                ),
            ),
        );
    }
}

/// UTF-8 that was read as another encoding and saved again: steps show what
/// the author wrote (the transcript keeps the bytes), and a warning says so.
fn mojibake(source: &Source, book: &mut Runbook) {
    let Some(found) = mojibake::detect(&source.text) else {
        return;
    };
    for step in &mut book.steps {
        step.text = mojibake::repair_str(&step.text).into_owned();
        if let StepKind::Choice(field) = &mut step.kind {
            for option in &mut field.options {
                *option = mojibake::repair_str(option).into_owned();
            }
        }
        step.heading = step
            .heading
            .iter()
            .map(|h| mojibake::repair_str(h).into_owned())
            .collect::<Vec<_>>()
            .into();
    }
    book.diagnostics.push(source.diagnostic(
        Severity::Warning,
        found.first_offset,
        format!(
            "{} places look like UTF-8 that was read as {} and saved again (`{}` for `{}`)",
            found.count, found.kind, found.example.0, found.example.1
        ),
        Some(format!(
            "prompts show the repaired text; `runsheet repair {}` writes it back to the file",
            source.display_path()
        )),
    ));
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::diagnostic::Severity;
    use crate::doc::parse;
    use crate::source::Source;

    fn messages(text: &str) -> Vec<(Severity, usize, String)> {
        let book = parse(&Source::from_text(Path::new("t.md"), text.to_string()));
        book.diagnostics
            .into_iter()
            .map(|d| (d.severity, d.line, d.message))
            .collect()
    }

    #[test]
    fn a_name_used_twice_is_an_error_at_the_second() {
        let found = messages("```bash {name=a}\nx\n```\n\n```bash {name=a}\ny\n```\n");
        assert_eq!(
            found,
            [(
                Severity::Error,
                5,
                "`name=a` is already the name of the block on line 1".to_string()
            )]
        );
    }

    #[test]
    fn secrets_in_the_text_and_empty_documents_warn() {
        let found = messages("Set it:\n\n```bash\nexport API_TOKEN=s3cr3tvalue99\n```\n");
        assert!(
            found.iter().any(|(s, line, m)| *s == Severity::Warning
                && *line == 4
                && m.contains("API_TOKEN=")),
            "{found:?}"
        );
        let found = messages("# Just prose\n\nNothing to do.\n");
        assert_eq!(found.len(), 1);
        assert!(found[0].2.contains("no steps"), "{found:?}");
    }
}
