//! List items in the walk: `- [ ]` and `- ☐` tasks, and the empty labelled
//! lines of a form (`- Ticket:`) that are values to fill in.

use std::ops::Range;

use super::Walker;
use super::labels::cap;
use crate::doc::fields::{BOXES, ballot_at};
use crate::doc::markdown::{Event, Tag};
use crate::doc::model::{Field, FieldForm, StepKind, Task, narrow};
use crate::doc::tidy::tidy;

/// How much of a list is looked at to tell whether it is a form.
const FORM_BYTES: usize = 8 << 10;

/// A list item being read, and the task it is if it has a checkbox.
pub(super) struct OpenItem {
    pub(super) task: Option<usize>,
    /// Still reading the item's first line of text into the task's description.
    pub(super) collecting: bool,
    /// None of its text read yet: a `☐` first makes it a task.
    fresh: bool,
    /// A block inside it (a list, a fence, a quote, a table, a second paragraph).
    nested: bool,
    paragraphs: usize,
    /// Steps in the book when it began: those after are its fields.
    steps_before: usize,
    /// Where the text read in it so far ends.
    text_end: usize,
}

impl OpenItem {
    /// Notes what `event` (at `range`) says about the item it is read in.
    pub(super) fn see(&mut self, event: &Event<'_>, range: &Range<usize>) {
        match event {
            Event::Start(
                Tag::List(_)
                | Tag::CodeBlock(_)
                | Tag::BlockQuote(_)
                | Tag::Table(_)
                | Tag::HtmlBlock
                | Tag::Heading { .. },
            ) => self.nested = true,
            Event::Start(Tag::Paragraph) => {
                self.paragraphs += 1;
                self.nested |= self.paragraphs > 1;
            }
            Event::Text(_) => self.text_end = range.end,
            Event::Code(_) | Event::InlineHtml(_) => {
                self.text_end = range.end;
                self.fresh = false;
            }
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Link { .. } | Tag::Image { .. }) => {
                self.fresh = false;
            }
            _ => {}
        }
    }
}

/// Whether the lines of a list (its source, `text`) make a form: two or
/// more at its own indentation are a label and nothing after it (`- Ticket:`).
fn is_form(text: &str) -> bool {
    let mut end = text.len().min(FORM_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    // Every label ends in a colon: most lists have none.
    if memchr::memchr(b':', text.as_bytes()).is_none() {
        return false;
    }
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '\t']).len();
    let first = indent(text);
    let mut count = 0;
    for line in text.lines() {
        if indent(line) != first {
            continue;
        }
        let rest = line.trim_start();
        let rest = rest
            .strip_prefix(['-', '*', '+'])
            .or_else(|| {
                let digits =
                    rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                (digits > 0)
                    .then(|| rest[digits..].strip_prefix(['.', ')']))
                    .flatten()
            })
            .unwrap_or("");
        if !rest.starts_with([' ', '\t']) {
            continue;
        }
        if empty_label(rest) {
            count += 1;
            if count >= 2 {
                return true;
            }
        }
    }
    false
}

/// `Ticket:`, `**Owner:**`, `**Owner**:`: a short label with nothing after its colon.
fn empty_label(text: &str) -> bool {
    let t = text.trim().trim_end_matches(['*', '_']).trim_end();
    let Some(label) = t.strip_suffix(':') else {
        return false;
    };
    let words = label.trim_matches(['*', '_', ' ']);
    !words.is_empty()
        && words.chars().count() <= 60
        && words.chars().next().is_some_and(char::is_alphanumeric)
        && !words.contains([':', '[', ']', '`', '|', '☐'])
}

impl Walker<'_> {
    pub(super) fn start_item(&mut self) {
        self.items.push(OpenItem {
            task: None,
            collecting: false,
            fresh: true,
            nested: false,
            paragraphs: 0,
            steps_before: self.book.steps.len(),
            text_end: 0,
        });
        self.open_label();
    }

    pub(super) fn start_list(&mut self, range: Range<usize>) {
        let text = &self.source.text[range];
        self.lists.push(is_form(text));
    }

    /// An item ends. In a form, one that is only a label (`- Ticket:`) is a
    /// blank, to be filled in after the label.
    pub(super) fn end_item(&mut self) {
        let form = self.lists.last().copied().unwrap_or(false);
        if let Some(item) = self.items.last()
            && form
            && item.task.is_none()
            && !item.nested
            && item.text_end > 0
            && self.book.steps.len() == item.steps_before
            && self.labels.last().is_some_and(|l| empty_label(&l.text))
        {
            let text = &self.source.text;
            let line_end = text[item.text_end..]
                .find(['\n', '\r'])
                .map_or(text.len(), |i| item.text_end + i);
            let at = item.text_end + text[item.text_end..line_end].trim_end().len();
            let field = Field::new(at..at, FieldForm::After, Vec::new());
            self.add_field(StepKind::Blank(Box::new(field)), at..at);
        }
        self.items.pop();
        self.pop_label(false);
    }

    pub(super) fn task_list_marker(&mut self, checked: bool, range: Range<usize>) {
        // The range may start at the whitespace before the box
        // (`- \t[ ]`); the marker is the box itself.
        let marker = self.source.text[range.clone()]
            .find('[')
            .map_or(range.clone(), |i| {
                range.start + i..(range.start + i + 3).min(range.end)
            });
        let parent = self
            .items
            .iter()
            .rev()
            .skip(1)
            .find_map(|i| i.task)
            .or_else(|| self.heading_task());
        if !self.within_depth(parent, marker.start) {
            return;
        }
        let index = self.push(
            StepKind::Task(Task {
                checked,
                marker: narrow(marker.clone()),
                in_fence: None,
            }),
            marker,
            parent,
        );
        if let Some(item) = self.items.last_mut() {
            item.task = Some(index);
            item.collecting = true;
            item.fresh = false;
        }
    }

    /// `- ☐ Backend`: an item whose text starts with one lone box is a task,
    /// ticked by marking the box. Returns how many bytes of `text` (at
    /// `range`) the box took, or 0.
    pub(super) fn box_task(&mut self, text: &str, range: Range<usize>) -> usize {
        let Some(item) = self.items.last_mut() else {
            return 0;
        };
        let fresh = std::mem::replace(&mut item.fresh, false);
        if !fresh || item.task.is_some() || self.fence.is_some() {
            return 0;
        }
        let Some((len, _)) = ballot_at(text) else {
            return 0;
        };
        let after = &text[len..];
        if !(after.is_empty() || after.starts_with([' ', '\t'])) {
            return 0;
        }
        // `- ☐ GO ☐ NO-GO` is a choice: the box must be alone on its line.
        let source = &self.source.text;
        let line_end = source[range.start..]
            .find(['\n', '\r'])
            .map_or(source.len(), |i| range.start + i);
        let rest = &source[range.start + len..line_end];
        if BOXES[1..].iter().any(|(empty, _, _)| rest.contains(empty)) {
            return 0;
        }
        let parent = self.enclosing_task();
        let marker = range.start..range.start + len;
        if !self.within_depth(parent, marker.start) {
            return 0;
        }
        let task = Task {
            checked: false,
            marker: narrow(marker.clone()),
            in_fence: None,
        };
        let index = self.push(StepKind::Task(task), marker, parent);
        if let Some(item) = self.items.last_mut() {
            item.task = Some(index);
            item.collecting = true;
        }
        len + usize::from(!after.is_empty())
    }
}

/// The label of a task made from a lone box in a table row: the row's text.
pub(super) fn row_text(text: &str) -> String {
    cap(&tidy(text.trim_matches([' ', '|'])), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_lists_of_empty_labels() {
        assert!(is_form("- Ticket:\n- Owner:\n- Date: 2026\n"));
        assert!(is_form("  - **Ticket:**\n  - **Owner**:\n"));
        assert!(!is_form("- Ticket:\n- Owner: Alice\n"));
        assert!(!is_form("- Prerequisites:\n  - a:\n  - b:\n- Steps\n"));
        assert!(empty_label("**Owner**:"));
        assert!(!empty_label("See https://x:"));
        assert!(!empty_label("Note: this"));
    }
}
