//! The walk's fields in prose: blanks and choices in runs of text and in code
//! spans, each named by the block around it (paragraph, heading, table row,
//! list item).

use std::ops::Range;

use super::Walker;
use crate::doc::fields;
use crate::doc::model::{Field, FieldForm, StepKind};
use crate::doc::tidy::tidy;

/// A block whose text labels the fields found in it (paragraph, heading, table
/// row, list item).
#[derive(Default)]
pub(super) struct Label {
    pub(super) text: String,
    fields: Vec<usize>,
}

impl Walker<'_> {
    pub(super) fn label_text(&mut self, text: &str) {
        if let Some(label) = self.labels.last_mut() {
            label.text.push_str(text);
        }
    }

    pub(super) fn pop_label(&mut self) {
        let Some(label) = self.labels.pop() else {
            return;
        };
        let text = tidy(label.text.trim_matches([' ', '|']));
        for index in label.fields {
            self.book.steps[index].text = text.clone();
        }
        // An item's text also labels what the item's paragraph holds.
        if let Some(outer) = self.labels.last_mut()
            && outer.text.is_empty()
        {
            outer.text = text;
        }
    }

    pub(super) fn add_field(&mut self, kind: StepKind, span: Range<usize>) {
        let parent = self.enclosing_task();
        let index = self.push(kind, span, parent);
        match self.labels.last_mut() {
            Some(label) => label.fields.push(index),
            None => {
                self.book.steps[index].text = self
                    .source
                    .line_text(self.book.steps[index].line)
                    .trim()
                    .to_string()
            }
        }
    }

    /// Blanks and ballots in the run of text just read.
    pub(super) fn flush_run(&mut self) {
        let Some(run) = self.run.take() else {
            return;
        };
        let text = &self.source.text[run.clone()];
        let mut found: Vec<(usize, StepKind, Range<usize>)> = Vec::new();
        for blank in fields::blanks(text) {
            let span = run.start + blank.start..run.start + blank.end;
            found.push((
                span.start,
                StepKind::Blank(Field {
                    span: span.clone(),
                    form: FieldForm::Prose,
                    options: Vec::new(),
                }),
                span,
            ));
        }
        for ballot in fields::ballots(text) {
            let span = run.start + ballot.span.start..run.start + ballot.span.end;
            let boxes = ballot.boxes.iter().map(|b| run.start + b).collect();
            let options = if ballot.options.len() == 1 {
                // A lone box: checked or not.
                vec!["yes".to_string(), "no".to_string()]
            } else {
                ballot.options
            };
            found.push((
                span.start,
                StepKind::Choice(Field {
                    span: span.clone(),
                    form: FieldForm::Ballot(boxes),
                    options,
                }),
                span,
            ));
        }
        found.sort_by_key(|f| f.0);
        for (_, kind, span) in found {
            if self.inside_open_comment(span.start) {
                // A marker here would close the document's own `<!--`.
                continue;
            }
            self.add_field(kind, span);
        }
    }

    /// Whether an HTML comment opened earlier in the same run of non-blank
    /// lines (where inline HTML may span lines, lazily continued items and
    /// table headers included) is still open at `at`.
    ///
    /// The same for a backtick that opens no code span the parser saw: text
    /// runsheet puts after it (a code span of its own, a marker) could pair
    /// with it and swallow what lies between.
    pub(super) fn inside_open_comment(&self, at: usize) -> bool {
        let text = &self.source.text;
        let mut start = self.source.line_start(at);
        // Bounded, so a huge paragraph cannot make this quadratic.
        for _ in 0..1000 {
            if start == 0 {
                break;
            }
            let previous = self.source.line_start(start - 1);
            if text[previous..start].trim().is_empty() {
                break;
            }
            start = previous;
        }
        let before = &text[start..at];
        let open_comment = match (before.rfind("<!--"), before.rfind("-->")) {
            (Some(open), Some(close)) => open > close,
            (Some(_), None) => true,
            _ => false,
        };
        // `<!DOCTYPE`, `<![CDATA[`, `<?php`: ended by the next `>`, which a
        // marker would bring.
        let open_declaration = ["<!", "<?"].iter().any(|opener| {
            before
                .rfind(opener)
                .is_some_and(|at| !before[at..].contains('>') && !before[at..].starts_with("<!--"))
        });
        let bytes = text.as_bytes();
        let stray_backtick = before.match_indices('`').any(|(i, _)| {
            let p = start + i;
            let escaped = p > 0 && bytes[p - 1] == b'\\';
            let in_span = {
                let k = self.code_spans.partition_point(|r| r.start <= p);
                k > 0 && self.code_spans[k - 1].contains(&p)
            };
            !escaped && !in_span
        });
        open_comment || open_declaration || stray_backtick
    }

    pub(super) fn code_span(&mut self, code: &str, range: Range<usize>) {
        if self.inside_open_comment(range.start) {
            return;
        }
        if code.len() >= 3 && code.trim().chars().all(|c| c == '_') && code.trim().len() >= 3 {
            self.add_field(
                StepKind::Blank(Field {
                    span: range.clone(),
                    form: FieldForm::CodeSpan,
                    options: Vec::new(),
                }),
                range,
            );
        } else if let Some(options) = fields::code_choice(code) {
            self.add_field(
                StepKind::Choice(Field {
                    span: range.clone(),
                    form: FieldForm::CodeSpan,
                    options,
                }),
                range,
            );
        }
    }
}
