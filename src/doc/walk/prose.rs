//! The walk's fields in prose: blanks and choices in runs of text and in code
//! spans, each labelled by the words beside it in the block around it
//! (paragraph, heading, table row, list item).

use std::ops::Range;

use super::Walker;
use super::labels::{cap, own_labels, tidy_capped};
use crate::doc::fields::{self, ballot_at};
use crate::doc::model::{Field, FieldForm, StepKind, Task, narrow};
use crate::doc::target;
use crate::doc::tidy::tidy;

/// A block whose text labels the fields found in it (paragraph, heading, table
/// row, list item).
#[derive(Default)]
pub(super) struct Label {
    pub(super) text: String,
    /// Where each piece of `text` came from: its offset in the source and in `text`.
    marks: Vec<(usize, usize)>,
    /// Fields found in it: step index and source span.
    fields: Vec<(usize, Range<usize>)>,
    /// A table row's cells, as ranges of `text`; and where the open one starts.
    cells: Vec<Range<usize>>,
    cell_open: Option<usize>,
}

impl Label {
    /// Empties it for another block, keeping what it has allocated.
    fn clear(&mut self) {
        self.text.clear();
        self.marks.clear();
        self.fields.clear();
        self.cells.clear();
        self.cell_open = None;
    }

    /// Adds `text`, which the source has at `at`.
    fn push(&mut self, at: usize, text: &str) {
        self.marks.push((at, self.text.len()));
        self.text.push_str(text);
    }

    /// Where source offset `at` falls in `text`.
    fn position(&self, at: usize) -> usize {
        let k = self.marks.partition_point(|m| m.0 <= at);
        let Some(&(source, own)) = k.checked_sub(1).map(|p| &self.marks[p]) else {
            return 0;
        };
        let next = self.marks.get(k).map_or(self.text.len(), |m| m.1);
        let mut pos = own
            .saturating_add(at.saturating_sub(source))
            .min(next)
            .min(self.text.len());
        while !self.text.is_char_boundary(pos) {
            pos -= 1;
        }
        pos
    }
}

/// Where in a block's inline text an HTML comment, a declaration or a stray
/// backtick has been left open, read once from the block's start.
#[derive(Default)]
pub(super) struct Scan {
    from: usize,
    to: usize,
    comment: bool,
    declaration: bool,
    backtick: bool,
}

impl Scan {
    /// A block's inline text starts at `at`: nothing is open.
    pub(super) fn reset(&mut self, at: usize) {
        *self = Scan {
            from: at,
            to: at,
            ..Scan::default()
        };
    }
}

/// Which header cells name a target (`Target`, `Threshold`, `Goal`, `SLA`).
fn is_target_header(header: &str) -> bool {
    let h = header.to_lowercase();
    ["target", "threshold", "goal", "sla"]
        .iter()
        .any(|w| h.contains(w))
}

impl Walker<'_> {
    /// Opens a label for a block that starts: one emptied before, when there is one.
    pub(super) fn open_label(&mut self) {
        let label = self.spare_labels.pop().unwrap_or_default();
        self.labels.push(label);
    }

    pub(super) fn label_text(&mut self, at: usize, text: &str) {
        if let Some(label) = self.labels.last_mut() {
            label.push(at, text);
        }
    }

    pub(super) fn cell_start(&mut self) {
        if let Some(label) = self.labels.last_mut() {
            label.cell_open = Some(label.text.len());
        }
    }

    pub(super) fn cell_end(&mut self) {
        if let Some(label) = self.labels.last_mut() {
            let start = label.cell_open.take().unwrap_or(label.text.len());
            label.cells.push(start..label.text.len());
            label.text.push_str(" | ");
        }
    }

    /// Closes the innermost label: each field in it gets its own label.
    /// `head`: a table's header row, whose cells name the columns.
    pub(super) fn pop_label(&mut self, head: bool) {
        let Some(label) = self.labels.pop() else {
            return;
        };
        if head {
            self.table_headers = label
                .cells
                .iter()
                .map(|c| tidy(&label.text[c.clone()]))
                .collect();
        }
        let label = self.as_written(label);
        let spans: Vec<Range<usize>> = label
            .fields
            .iter()
            .map(|(_, s)| label.position(s.start)..label.position(s.end))
            .collect();
        let mut label = label;
        if label.cells.is_empty() {
            let own = own_labels(&label.text, &spans);
            for ((index, _), text) in label.fields.iter().zip(own) {
                self.label_field(*index, text, None);
            }
            // Kept as read: tidied only if a fence after it needs it.
            self.last_label.clear();
            self.last_label.push_str(&label.text);
        } else {
            self.label_row(&label, &spans);
        }
        // An item's text also labels what the item's paragraph holds.
        if let Some(outer) = self.labels.last_mut()
            && outer.text.is_empty()
        {
            let at = label.marks.first().map_or(0, |m| m.0);
            outer.push(at, &tidy_capped(&label.text));
        }
        label.clear();
        self.spare_labels.push(label);
    }

    /// `label` with each field shown as the document writes it: what Markdown
    /// makes of `__/__/____` (emphasis) is not what the operator should read.
    /// Escapes are taken out (`\_\_` reads `__`).
    fn as_written(&self, label: Label) -> Label {
        if label.fields.is_empty() {
            return label;
        }
        let mut out = Label {
            cells: Vec::new(),
            ..Label::default()
        };
        let mut at = 0;
        // How far the text moved so far, to move the cells with it.
        let mut moved: Vec<(usize, isize)> = Vec::new();
        for (index, span) in &label.fields {
            let (from, to) = (label.position(span.start), label.position(span.end));
            if from < at || to < from {
                out.fields.push((*index, span.clone()));
                continue;
            }
            copy(&label, at..from, &mut out);
            let shown = unescape(&self.source.text[span.clone()]);
            moved.push((to, shown.len() as isize - (to - from) as isize));
            out.push(span.start, &shown);
            out.marks.push((span.end, out.text.len()));
            out.fields.push((*index, span.clone()));
            at = to;
        }
        copy(&label, at..label.text.len(), &mut out);
        let shift = |p: usize| -> usize {
            let d: isize = moved
                .iter()
                .filter(|(end, _)| *end <= p)
                .map(|(_, d)| d)
                .sum();
            (p as isize + d).max(0) as usize
        };
        out.cells = label
            .cells
            .iter()
            .map(|c| shift(c.start)..shift(c.end).min(out.text.len()))
            .collect();
        out
    }

    /// Labels in a table row: the row's first cell and the column's header
    /// name a field in another cell (`Unit Tests · Result: ☐ Pass ☐ Fail`).
    fn label_row(&mut self, label: &Label, spans: &[Range<usize>]) {
        let cell_of = |at: usize| {
            label
                .cells
                .iter()
                .position(|c| at <= c.end)
                .unwrap_or(label.cells.len().saturating_sub(1))
        };
        // The row's name: its first cell, unless that is a field itself.
        let first = label
            .cells
            .first()
            .map(|c| tidy(&label.text[c.clone()]))
            .filter(|f| f.chars().any(char::is_alphabetic))
            .unwrap_or_default();
        let target = self
            .table_headers
            .iter()
            .position(|h| is_target_header(h))
            .and_then(|t| Some((t, target::parse(&label.text[label.cells.get(t)?.clone()])?)));
        let lone_box = label.fields.len() == 1;
        for (n, (index, _)) in label.fields.iter().enumerate() {
            let c = cell_of(spans[n].start);
            let cell = label.cells[c].clone();
            let inside: Vec<Range<usize>> = spans
                .iter()
                .filter(|s| cell.contains(&s.start) || s.start == cell.end)
                .map(|s| s.start - cell.start..s.end.min(cell.end) - cell.start)
                .collect();
            let k = inside
                .iter()
                .position(|s| s.start == spans[n].start - cell.start)
                .unwrap_or(0);
            let own = own_labels(&label.text[cell.clone()], &inside)
                .swap_remove(k.min(inside.len().saturating_sub(1)));
            let header = self.table_headers.get(c).filter(|h| !h.is_empty());
            let name = match (c, first.is_empty(), header) {
                (0, true, Some(h)) => h.clone(),
                (0, _, _) => String::new(),
                (_, false, Some(h)) => format!("{first} · {h}"),
                (_, false, None) => first.clone(),
                (_, true, Some(h)) => h.clone(),
                (_, true, None) => String::new(),
            };
            let task_name = if name.is_empty() {
                super::items::row_text(&label.text)
            } else {
                name.clone()
            };
            if lone_box && self.becomes_row_task(*index, &task_name) {
                continue;
            }
            let text = if name.is_empty() {
                own
            } else {
                cap(&format!("{name}: {own}"), &own)
            };
            let target = target
                .as_ref()
                .filter(|(t, _)| *t != c)
                .map(|(_, t)| t.clone());
            self.label_field(*index, text, target);
        }
    }

    /// A lone `☐` that is the only field of its table row is a box to tick:
    /// the step becomes a task named `name`. Whether it did.
    fn becomes_row_task(&mut self, index: usize, name: &str) -> bool {
        let step = &mut self.book.steps[index];
        let StepKind::Choice(field) = &step.kind else {
            return false;
        };
        let FieldForm::Ballot(boxes) = &field.form else {
            return false;
        };
        if boxes.len() != 1 || field.options != ["yes", "no"] || !step.children.is_empty() {
            return false;
        }
        let at = boxes[0];
        let Some((len, _)) = ballot_at(&self.source.text[at..]) else {
            return false;
        };
        step.kind = StepKind::Task(Task {
            checked: false,
            marker: narrow(at..at + len),
            in_fence: None,
        });
        step.span = narrow(at..at + len);
        step.text = name.to_string();
        true
    }

    /// Gives field `index` its label, and the target it states or its row does.
    fn label_field(&mut self, index: usize, text: String, row_target: Option<target::Target>) {
        let step = &mut self.book.steps[index];
        if let StepKind::Blank(field) = &mut step.kind {
            field.target = target::in_text(&text).or(row_target);
        }
        step.text = text;
    }

    pub(super) fn add_field(&mut self, mut kind: StepKind, span: Range<usize>) {
        if let StepKind::Blank(field) | StepKind::Choice(field) = &mut kind {
            field.in_cell = self.in_cell;
        }
        let parent = self.enclosing_task();
        let index = self.push(kind, span.clone(), parent);
        match self.labels.last_mut() {
            Some(label) => label.fields.push((index, span)),
            None => {
                self.book.steps[index].text = self
                    .source
                    .line_text(self.book.steps[index].line())
                    .trim()
                    .to_string()
            }
        }
    }

    /// Blanks, slots and ballots in the run of text just read.
    pub(super) fn flush_run(&mut self) {
        let Some(run) = self.run.take() else {
            return;
        };
        let source = self.source;
        let text = &source.text[run.clone()];
        let mut found: Vec<(StepKind, Range<usize>)> = Vec::new();
        let blanks = fields::blanks(text);
        // A heading is a title: square brackets there are its words.
        let slots = if self.heading.is_some() || !text.contains('[') {
            Vec::new()
        } else {
            let line_start = source.line_start(run.start);
            let before = &source.text[line_start.max(self.scan.from).min(run.start)..run.start];
            // The rest of the line after the run, a little of it: enough to
            // tell whether a bracket ends it.
            let rest = &source.text[run.end..];
            let mut end = rest.len().min(256);
            while !rest.is_char_boundary(end) {
                end -= 1;
            }
            let end = rest[..end].find(['\n', '\r']).unwrap_or(end);
            let around = fields::Around {
                before,
                after: &rest[..end],
                cell: self.in_cell,
            };
            fields::slots(text, around)
        };
        let mut stops: Vec<usize> = blanks.iter().map(|b| b.start).collect();
        stops.extend(slots.iter().map(|s| s.span.start));
        stops.sort_unstable();
        for blank in &blanks {
            let span = run.start + blank.start..run.start + blank.end;
            let mut field = Field::new(span.clone(), FieldForm::Prose, Vec::new());
            field.unit = unit_after(&source.text[span.end..]);
            found.push((StepKind::Blank(Box::new(field)), span));
        }
        for slot in slots {
            let span = run.start + slot.span.start..run.start + slot.span.end;
            if blanks
                .iter()
                .any(|b| b.start < slot.span.end && slot.span.start < b.end)
            {
                continue;
            }
            let field = Field::new(span.clone(), FieldForm::Prose, slot.options);
            found.push(if field.options.is_empty() {
                (StepKind::Blank(Box::new(field)), span)
            } else {
                (StepKind::Choice(Box::new(field)), span)
            });
        }
        for ballot in fields::ballots(text, &stops) {
            let span = run.start + ballot.span.start..run.start + ballot.span.end;
            let boxes = ballot.boxes.iter().map(|b| run.start + b).collect();
            let options = if ballot.options.len() == 1 {
                // A lone box: checked or not.
                vec!["yes".to_string(), "no".to_string()]
            } else {
                ballot.options
            };
            let field = Field::new(span.clone(), FieldForm::Ballot(boxes), options);
            found.push((StepKind::Choice(Box::new(field)), span));
        }
        found.sort_by_key(|f| f.1.start);
        for (kind, span) in found {
            if self.inside_open_comment(span.start) {
                // A marker here would close the document's own `<!--`.
                continue;
            }
            self.add_field(kind, span);
        }
    }

    /// Whether an HTML comment opened earlier in the same block's inline text
    /// (where inline HTML may span lines, lazily continued items included)
    /// is still open at `at`.
    ///
    /// The same for a backtick that opens no code span the parser saw: text
    /// runsheet puts after it (a code span of its own, a marker) could pair
    /// with it and swallow what lies between.
    pub(super) fn inside_open_comment(&mut self, at: usize) -> bool {
        let text = self.source.text.as_bytes();
        let scan = &mut self.scan;
        if at < scan.from {
            scan.reset(at);
        }
        // Read on from a little before where the last look stopped: a `<!--`
        // cut by it is read whole now. Reading a piece twice changes nothing.
        let mut i = scan.to.saturating_sub(3).max(scan.from);
        while i < at {
            // Only these bytes start anything looked for here: the others
            // are passed over with one comparison each.
            if !matches!(text[i], b'<' | b'-' | b'>' | b'`') {
                i += 1;
                continue;
            }
            let rest = &text[i..at];
            if rest.starts_with(b"<!--") {
                scan.comment = true;
            } else if rest.starts_with(b"-->") {
                scan.comment = false;
            }
            // `<!DOCTYPE`, `<![CDATA[`, `<?php`: ended by the next `>`, which a
            // marker would bring.
            if (rest.starts_with(b"<!") && !rest.starts_with(b"<!--")) || rest.starts_with(b"<?") {
                scan.declaration = true;
            } else if rest[0] == b'>' {
                scan.declaration = false;
            }
            if rest[0] == b'`' && !(i > 0 && text[i - 1] == b'\\') {
                let k = self.code_spans.partition_point(|r| r.start <= i);
                let in_span = k > 0 && self.code_spans[k - 1].contains(&i);
                scan.backtick |= !in_span;
            }
            i += 1;
        }
        scan.to = scan.to.max(at);
        scan.comment || scan.declaration || scan.backtick
    }

    pub(super) fn code_span(&mut self, code: &str, range: Range<usize>) {
        if self.inside_open_comment(range.start) {
            return;
        }
        if let Some(blank) = fields::code_blank(code) {
            let mut field = Field::new(range.clone(), FieldForm::CodeSpan, Vec::new());
            field.unit = unit_after(&code[blank.end..]);
            self.add_field(StepKind::Blank(Box::new(field)), range);
        } else if let Some(options) = fields::code_choice(code) {
            let field = Field::new(range.clone(), FieldForm::CodeSpan, options);
            self.add_field(StepKind::Choice(Box::new(field)), range);
        }
    }

    /// `_**RELEASE DATE**_` (or `**_..._**`) at `range`: a fill-in its author
    /// marked with both kinds of emphasis. Its text is then not read again
    /// for other fields. Whether it is one.
    pub(super) fn emphasised_fill_in(&mut self, range: Range<usize>) -> bool {
        let text = &self.source.text[range.clone()];
        let inner = text
            .strip_prefix("_**")
            .and_then(|t| t.strip_suffix("**_"))
            .or_else(|| text.strip_prefix("**_").and_then(|t| t.strip_suffix("_**")));
        let Some(inner) = inner else {
            return false;
        };
        let plain = inner.chars().count() >= 2
            && inner.len() <= 80
            && inner.chars().next().is_some_and(char::is_alphabetic)
            && !inner.contains(['*', '_', '`', '[', ']', '<', '\n', '\r', '\\']);
        if !plain || self.inside_open_comment(range.start) {
            return false;
        }
        self.flush_run();
        let field = Field::new(range.clone(), FieldForm::Prose, Vec::new());
        self.add_field(StepKind::Blank(Box::new(field)), range.clone());
        self.fill_in_until = Some(range.end);
        true
    }
}

/// The part `range` of `label`'s text into `out`, with its marks.
fn copy(label: &Label, range: Range<usize>, out: &mut Label) {
    if range.is_empty() {
        return;
    }
    let delta = out.text.len() as isize - range.start as isize;
    let first = label.marks.partition_point(|m| m.1 < range.start);
    // The mark the range starts inside, moved to where the range starts.
    if let Some(&(source, own)) = first.checked_sub(1).map(|p| &label.marks[p])
        && label.marks.get(first).is_none_or(|m| m.1 > range.start)
    {
        out.marks
            .push((source + (range.start - own), out.text.len()));
    }
    for &(source, own) in &label.marks[first..] {
        if own >= range.end {
            break;
        }
        out.marks.push((source, (own as isize + delta) as usize));
    }
    out.text.push_str(&label.text[range]);
}

/// Source text as a reader sees it: backslash escapes taken out, on one line.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_punctuation) => {}
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The unit written right after a blank (`____ minutes`, `___%`), if any.
fn unit_after(text: &str) -> Option<String> {
    let t = text.strip_prefix(' ').unwrap_or(text);
    let unit: String = t
        .chars()
        .take_while(|c| c.is_alphabetic() || *c == '%')
        .take(12)
        .collect();
    (!unit.is_empty()).then_some(unit)
}
