//! The steps a shown fence holds: `[ ] item` and `☐ item` lines are tasks,
//! and a plain-text fence used as a form has fields (`Signed off by: ____`,
//! `Risk: ☐ Low ☐ Medium ☐ High`, `Date: [DATE AND TIME]`).

use std::ops::Range;

use super::fence::without_container;
use super::fields::{self, ballot_at};
use super::model::{Fence, Field, FieldForm, Path, Runbook, Step, StepKind, Task, narrow};
use super::target;
use super::tidy::tidy;
use super::walk::labels::own_labels;
use crate::source::Source;

/// A shown fence whose steps are read.
pub(super) struct Form<'a> {
    pub fence: &'a Fence,
    /// Plain text, used as a form: it has fields too.
    pub plain: bool,
    /// The text of the block before the fence (`**Reason for change**:`):
    /// what a field with no words of its own is for.
    pub context: &'a str,
}

/// The tasks (and, in a plain fence, the fields) of the fence body `body`,
/// added under `parent` in the order they come.
pub(super) fn steps(
    source: &Source,
    book: &mut Runbook,
    path: &Path,
    parent: Option<usize>,
    body: Range<usize>,
    form: &Form,
) {
    let fence = form.fence;
    let mut at = body.start;
    // The last line with words: what a line that is only a blank is for.
    let mut above = String::new();
    for line in source.text[body.clone()].split_inclusive('\n') {
        let line_start = at;
        at += line.len();
        let bare = line.trim_end_matches(['\n', '\r']);
        let Some(rest) = without_container(bare, &fence.prefix) else {
            continue;
        };
        let content_at = line_start + (bare.len() - rest.len());
        let task = checkbox(rest);
        if let Some((offset, len, checked, after)) = task {
            let box_at = content_at + offset;
            let kind = StepKind::Task(Task {
                checked,
                marker: narrow(box_at..box_at + len),
                in_fence: Some(Box::new(fence.clone())),
            });
            let step = Step::new(
                kind,
                box_at..box_at + len,
                source.line_of(box_at),
                path.clone(),
                tidy(after),
            );
            book.push(step, parent);
        }
        if form.plain {
            let skip = task.map_or(0, |(offset, len, _, _)| offset + len);
            let line = Line {
                at: content_at,
                text: rest,
                skip,
            };
            let context = if above.is_empty() {
                form.context
            } else {
                above.as_str()
            };
            line_fields(source, book, path, parent, &line, form.fence, context);
            if rest.chars().any(char::is_alphabetic) {
                above = super::walk::labels::cap(&tidy(rest), "");
            }
        }
    }
}

/// A box that starts a line of a fence (after indentation, `#` marks and a
/// list marker): its offset, length, whether it is ticked, and the text after.
fn checkbox(line: &str) -> Option<(usize, usize, bool, &str)> {
    let content = line.trim_start_matches([' ', '\t']);
    let content = content.trim_start_matches('#').trim_start_matches(' ');
    let content = strip_list_marker(content);
    let (len, checked) = if content.starts_with("[ ]") {
        (3, false)
    } else if content.starts_with("[x]") || content.starts_with("[X]") {
        (3, true)
    } else {
        let (len, _) = ballot_at(content)?;
        // `☐ Low ☐ High` is a choice, not a task.
        if fields::ballots(content, &[])
            .first()
            .is_some_and(|b| b.boxes.len() > 1)
        {
            return None;
        }
        (len, false)
    };
    let after = &content[len..];
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    Some((line.len() - content.len(), len, checked, after))
}

/// One line of a fence: where its content starts in the source, the
/// content, and how much of it a box at its start took.
struct Line<'a> {
    at: usize,
    text: &'a str,
    skip: usize,
}

/// Blanks and ballots in one line of a plain fence. Capitals in brackets
/// count only after a label (`Commit: [SHA]`): alone they are more often a
/// log's `[INFO]` than a field.
fn line_fields(
    source: &Source,
    book: &mut Runbook,
    path: &Path,
    parent: Option<usize>,
    line: &Line,
    fence: &Fence,
    context: &str,
) {
    let text = &line.text[line.skip..];
    let base = line.at + line.skip;
    let mut found: Vec<(Range<usize>, FieldForm, Vec<String>)> = fields::blanks(text)
        .into_iter()
        .filter(|b| !text[b.clone()].starts_with('[') || text[..b.start].trim_end().ends_with(':'))
        .map(|b| (b, FieldForm::Prose, Vec::new()))
        .collect();
    let stops: Vec<usize> = found.iter().map(|f| f.0.start).collect();
    for ballot in fields::ballots(text, &stops) {
        let options = if ballot.options.len() == 1 {
            vec!["yes".to_string(), "no".to_string()]
        } else {
            ballot.options
        };
        found.push((
            ballot.span,
            FieldForm::Ballot(ballot.boxes.iter().map(|b| base + b).collect()),
            options,
        ));
    }
    if found.is_empty() {
        return;
    }
    found.sort_by_key(|f| f.0.start);
    let spans: Vec<Range<usize>> = found.iter().map(|f| f.0.clone()).collect();
    let labels = own_labels(text, &spans);
    for ((span, written, options), label) in found.into_iter().zip(labels) {
        let span = base + span.start..base + span.end;
        let label = if label.chars().any(char::is_alphabetic) || context.is_empty() {
            label
        } else {
            format!("{context} {label}")
        };
        let choice = !options.is_empty();
        let mut field = Field::new(span.clone(), written, options);
        field.in_fence = Some(Box::new(fence.clone()));
        let kind = if choice {
            StepKind::Choice(Box::new(field))
        } else {
            field.target = target::in_text(&label);
            StepKind::Blank(Box::new(field))
        };
        let step = Step::new(
            kind,
            span.clone(),
            source.line_of(span.start),
            path.clone(),
            label,
        );
        book.push(step, parent);
    }
}

fn strip_list_marker(text: &str) -> &str {
    if let Some(rest) = text
        .strip_prefix(['-', '*', '+'])
        .filter(|r| r.starts_with(' '))
    {
        return rest.trim_start_matches(' ');
    }
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0
        && let Some(rest) = text[digits..]
            .strip_prefix(['.', ')'])
            .filter(|r| r.starts_with(' '))
    {
        return rest.trim_start_matches(' ');
    }
    text
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::doc::model::Runbook;
    use crate::doc::parse;
    use crate::source::Source;

    fn parse_str(text: &str) -> Runbook {
        parse(&Source::from_text(Path::new("t.md"), text.to_string()))
    }

    fn found(book: &Runbook) -> Vec<(&'static str, String)> {
        book.steps
            .iter()
            .map(|s| (s.kind_name(), s.text.clone()))
            .collect()
    }

    #[test]
    fn a_plain_fence_used_as_a_form() {
        let book = parse_str(
            "```\nDate: __/__/____\nSigned off by: ____\nRisk: ☐ Low ☐ Medium ☐ High\n\
             Commit: [SHA]\n[INFO] server started\n- ☐ Backups checked\n[ ] Paged the on-call\n```\n",
        );
        assert_eq!(
            found(&book),
            [
                ("blank", "Date: __/__/____".to_string()),
                ("blank", "Signed off by: ____".to_string()),
                ("choice", "Risk: ☐ Low ☐ Medium ☐ High".to_string()),
                ("blank", "Commit: [SHA]".to_string()),
                ("task", "Backups checked".to_string()),
                ("task", "Paged the on-call".to_string()),
            ]
        );
        assert!(
            book.steps
                .iter()
                .all(|s| s.field().is_none_or(|f| f.in_fence.is_some()))
        );
    }

    #[test]
    fn boxes_in_other_shown_fences_but_not_in_examples() {
        let book = parse_str(
            "```yaml\n- [ ] rotate the key\n```\n```powershell\n# - [ ] restart the service\n```\n\
             ```markdown\n- [ ] example\n```\n````\n- [ ] example in four backticks\n```bash\nls\n```\n````\n\
             ```bash\necho \"[ ] not a task\"\n```\n```yaml\nowner: ____\n```\n",
        );
        let tasks: Vec<String> = book
            .steps
            .iter()
            .filter(|s| s.task().is_some())
            .map(|s| s.text.clone())
            .collect();
        assert_eq!(tasks, ["rotate the key", "restart the service"]);
        assert!(
            book.steps.iter().all(|s| s.field().is_none()),
            "no fields in data"
        );
    }
}
