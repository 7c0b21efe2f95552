//! The walk over the parser's events: headings, list items, tasks and fenced
//! blocks become steps, each under the task and headings it sits in.

mod items;
pub(super) mod labels;
mod prose;

use std::ops::Range;

use super::decide;
use super::fence::{self, Infos, OpenFence};
use super::hints::prose_hint;
use super::markdown::{CodeBlockKind, Event, Tag, TagEnd};
use super::model::{Path, Placeholder, Runbook, Step, StepKind, Task, narrow};
use super::parse::Depth;
use super::sections::Headings;
use super::tidy::{is_tidy, tidy};
use crate::diagnostic::Severity;
use crate::exec::runner::Runners;
use crate::source::Source;
use items::OpenItem;
use prose::{Label, Scan};

/// How deep tasks may nest: deeper lists are an error, so that nothing that
/// follows the tree (the run, `plan --format json`, the transcript) can be
/// driven deeper by a document, and the JSON of the deepest plan stays
/// within what common JSON readers take (serde_json stops at 128 levels).
pub const MAX_DEPTH: usize = 50;

/// A heading being read.
struct OpenHeading {
    level: usize,
    range: Range<usize>,
    text: String,
    /// `### [ ] Heading`: the task this heading is.
    task: Option<usize>,
}

/// The state of one pass over the parser's events.
pub(super) struct Walker<'s> {
    source: &'s Source,
    runners: &'s Runners,
    /// Where the Markdown starts: after a byte-order mark.
    base: usize,
    depth: Depth,
    book: Runbook,
    /// The headings above the current position: their levels and their
    /// texts as the path shows them.
    headings: Vec<(usize, String)>,
    /// The headings above the current position, shared by the steps under them.
    path: Path,
    /// `path` is behind `headings`: a heading began at a shallower level
    /// and its text is still being read. Made again only if a step comes
    /// before the heading ends, since its end makes it anyway.
    path_stale: bool,
    /// `### [ ] Heading` tasks still open, with their levels: they own the
    /// steps under them.
    heading_tasks: Vec<(usize, usize)>,
    heading: Option<OpenHeading>,
    items: Vec<OpenItem>,
    /// Open lists: whether each is a form of empty labelled lines (`- Ticket:`).
    lists: Vec<bool>,
    fence: Option<OpenFence>,
    /// The info string of the last block, kept for the next to be read into.
    spare_info: String,
    /// Info strings of the blocks read lately, whose commands share attributes.
    infos: Infos,
    paragraph_start: Option<usize>,
    /// Source range of consecutive text events, scanned for blanks and ballots.
    run: Option<Range<usize>>,
    labels: Vec<Label>,
    /// Labels emptied after their block, for the next blocks to reuse.
    spare_labels: Vec<Label>,
    /// What is open in the inline text of the block being read.
    scan: Scan,
    /// The header cells of the table being read.
    table_headers: Vec<String>,
    in_cell: bool,
    /// Inside an emphasised fill-in (`_**DATE**_`) that ends here.
    fill_in_until: Option<usize>,
    /// The command just read, until another step or heading: a paragraph right
    /// after it may say what its output should be.
    last_command: Option<usize>,
    /// Code spans seen so far, in order: a backtick outside them is stray.
    code_spans: Vec<Range<usize>>,
    /// Text read since `last_command`.
    after_command: String,
    /// The code span being read, with its backticks.
    code_text: String,
    in_metadata: bool,
    in_indented_code: bool,
    /// Every heading, for working out the sections once the walk is over.
    sections: Headings,
    /// Tasks nest deeper than `MAX_DEPTH` (said once).
    too_deep: bool,
    /// The text of the last block read, as read: what a form in a fence
    /// after it is for.
    last_label: String,
}

impl<'s> Walker<'s> {
    /// A walk over `source`, whose Markdown starts at `base`, working out
    /// as much as `depth` says.
    pub(super) fn new(
        source: &'s Source,
        runners: &'s Runners,
        base: usize,
        depth: Depth,
    ) -> Walker<'s> {
        Walker {
            source,
            runners,
            base,
            depth,
            book: Runbook {
                summary_at: base,
                ..Runbook::default()
            },
            headings: Vec::new(),
            path: Path::default(),
            path_stale: false,
            heading_tasks: Vec::new(),
            heading: None,
            items: Vec::new(),
            lists: Vec::new(),
            fence: None,
            spare_info: String::new(),
            infos: Infos::default(),
            paragraph_start: None,
            run: None,
            labels: Vec::new(),
            spare_labels: Vec::new(),
            scan: Scan::default(),
            table_headers: Vec::new(),
            in_cell: false,
            fill_in_until: None,
            last_command: None,
            code_spans: Vec::new(),
            after_command: String::new(),
            code_text: String::new(),
            in_metadata: false,
            in_indented_code: false,
            sections: Headings::default(),
            too_deep: false,
            last_label: String::new(),
        }
    }

    /// The steps read, their texts on one line.
    pub(super) fn finish(mut self) -> Runbook {
        self.flush_run();
        let mut book = self.book;
        for step in &mut book.steps {
            if !is_tidy(&step.text) {
                step.text = tidy(&step.text);
            }
        }
        self.sections.finish(self.source, &mut book);
        super::waits::find(self.source, &mut book);
        book
    }
}

/// Whether `event` starts or ends a block: the inline text read before it is
/// over, and nothing left open in it reaches past.
fn is_block(event: &Event<'_>) -> bool {
    match event {
        Event::Start(tag) => !matches!(
            tag,
            Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Link { .. }
                | Tag::Image { .. }
                | Tag::Superscript
                | Tag::Subscript
        ),
        Event::End(tag) => !matches!(
            tag,
            TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image
                | TagEnd::Superscript
                | TagEnd::Subscript
        ),
        _ => false,
    }
}

impl Walker<'_> {
    /// Reads one event; `range` is its byte range in the source.
    pub(super) fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        // Emphasis inside a run (`\_**\_`, written by an editor) does not end it.
        let inline_mark = matches!(
            event,
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough)
                | Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough)
        );
        if !matches!(event, Event::Text(_)) && !inline_mark {
            self.flush_run();
        }
        if is_block(&event) {
            let at = if matches!(event, Event::End(_)) {
                range.end
            } else {
                range.start
            };
            self.scan.reset(at);
            self.fill_in_until = None;
        }
        if let Some(item) = self.items.last_mut() {
            item.see(&event, &range);
        }
        match event {
            Event::Start(Tag::MetadataBlock(_)) => self.in_metadata = true,
            Event::End(TagEnd::MetadataBlock(_)) => {
                self.in_metadata = false;
                if range.start == self.base {
                    self.book.summary_at = self.source.next_line_start(range.end);
                }
            }
            // Front matter is data, not prose: no fields in it.
            Event::Text(_) if self.in_metadata || self.in_indented_code => {}
            Event::Start(Tag::Heading { level, .. }) => {
                self.last_command = None;
                self.stop_collecting();
                // A heading ends the sections at its level and below: what it
                // starts (a heading task included) sits under the rest.
                let level = level as usize;
                let kept = self.headings.iter().filter(|(l, _)| *l < level).count();
                self.headings.truncate(kept);
                self.heading_tasks.retain(|(l, _)| *l < level);
                if self.path.len() != self.headings.len() {
                    self.path_stale = true;
                }
                let task = self.heading_checkbox(range.start);
                self.heading = Some(OpenHeading {
                    level,
                    range: range.clone(),
                    text: String::new(),
                    task,
                });
                self.open_label();
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(h) = self.heading.take() {
                    let text = tidy(&h.text);
                    let text = match h.task {
                        Some(t) => {
                            let rest = text.get(3..).unwrap_or("").trim().to_string();
                            self.book.steps[t].text = rest.clone();
                            rest
                        }
                        None => text,
                    };
                    self.headings.retain(|(level, _)| *level < h.level);
                    self.headings
                        .push((h.level, labels::tidy_capped(&text).into_owned()));
                    self.sections.heading(h.level, text, h.range);
                    self.heading_tasks.retain(|(level, _)| *level < h.level);
                    if let Some(t) = h.task {
                        self.heading_tasks.push((h.level, t));
                    }
                    self.path = heading_path(&self.headings);
                    self.path_stale = false;
                }
                self.pop_label(false);
            }
            Event::Start(Tag::Item) => self.start_item(),
            Event::End(TagEnd::Item) => {
                // In a tight list an `Expected:` line after a block has no paragraph.
                self.take_hint();
                self.end_item();
            }
            Event::Start(Tag::List(_)) => {
                self.stop_collecting();
                self.start_list(range);
            }
            Event::End(TagEnd::List(_)) => {
                self.lists.pop();
            }
            Event::TaskListMarker(checked) => self.task_list_marker(checked, range),
            Event::Start(Tag::Paragraph) => {
                self.paragraph_start = Some(range.start);
                self.open_label();
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(start) = self.paragraph_start.take()
                    && !self.items.last().is_some_and(|i| i.collecting)
                {
                    self.checkbox_outside_list(start);
                }
                self.take_hint();
                self.stop_collecting();
                self.pop_label(false);
            }
            Event::Start(Tag::Table(_)) => {
                self.stop_collecting();
                self.table_headers.clear();
            }
            Event::Start(Tag::TableRow | Tag::TableHead) => self.open_label(),
            Event::End(TagEnd::TableRow) => self.pop_label(false),
            Event::End(TagEnd::TableHead) => self.pop_label(true),
            Event::Start(Tag::TableCell) => {
                self.in_cell = true;
                self.cell_start();
            }
            Event::End(TagEnd::TableCell) => {
                self.in_cell = false;
                self.cell_end();
            }
            Event::Start(Tag::Emphasis | Tag::Strong)
                if self.fill_in_until.is_none_or(|end| range.start >= end) =>
            {
                self.emphasised_fill_in(range);
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                self.stop_collecting();
                match kind {
                    CodeBlockKind::Fenced(info) => {
                        // Into the buffer of the block before: most
                        // info strings are a word or two.
                        let mut copy = std::mem::take(&mut self.spare_info);
                        copy.clear();
                        copy.push_str(&info);
                        self.fence = Some(OpenFence {
                            start: range.start,
                            info: copy,
                            code: String::new(),
                        });
                    }
                    // Indented code is code: no fields in it.
                    CodeBlockKind::Indented => self.in_indented_code = true,
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                self.in_indented_code = false;
                if let Some(mut open) = self.fence.take() {
                    self.close_fence(&mut open, range.end);
                    self.spare_info = open.info;
                }
            }
            Event::Start(Tag::BlockQuote(_) | Tag::HtmlBlock) => self.stop_collecting(),
            Event::Html(html) => {
                self.sections.html(self.source, &html, range.start);
                self.directive(&html, range.start);
            }
            Event::InlineHtml(html) => self.directive(&html, range.start),
            Event::Text(text) => {
                if let Some(open) = self.fence.as_mut() {
                    open.code.push_str(&text);
                    return;
                }
                let skip = self.box_task(&text, range.clone());
                let text = &text[skip..];
                let range = range.start + skip..range.end;
                self.text(range.start, text);
                if self.fill_in_until.is_some_and(|end| range.start < end) {
                    // Read as one fill-in already.
                    return;
                }
                // A backslash escape (`\_`) comes as its character alone, or
                // with the text after it: the backslash belongs to the run too.
                let bytes = self.source.text.as_bytes();
                let escaped = range.start > 0
                    && bytes[range.start - 1] == b'\\'
                    && text.starts_with(|c: char| c.is_ascii_punctuation());
                let start = if escaped {
                    range.start - 1
                } else {
                    range.start
                };
                let joins = |run: &Range<usize>| {
                    run.end == start
                        || run.end == range.start
                        || (run.end < start
                            && bytes[run.end..start]
                                .iter()
                                .all(|b| matches!(b, b'*' | b'_' | b'~')))
                };
                self.run = match self.run.take() {
                    Some(run) if joins(&run) => Some(run.start..range.end),
                    Some(run) => {
                        self.run = Some(run);
                        self.flush_run();
                        Some(start..range.end)
                    }
                    None => Some(start..range.end),
                };
            }
            Event::Code(code) => {
                // Built in a buffer kept from span to span.
                let mut shown = std::mem::take(&mut self.code_text);
                shown.clear();
                shown.push('`');
                shown.push_str(&code);
                shown.push('`');
                self.text(range.start, &shown);
                self.code_text = shown;
                self.code_spans.push(range.clone());
                self.code_span(&code, range);
            }
            Event::SoftBreak | Event::HardBreak => {
                self.inline_text(" ");
                self.label_text(range.start, "\n");
            }
            _ => {}
        }
    }

    fn push(&mut self, kind: StepKind, span: Range<usize>, parent: Option<usize>) -> usize {
        self.last_command = None;
        let line = self.source.line_of(span.start);
        self.refresh_path();
        let step = Step::new(kind, span, line, self.path.clone(), String::new());
        self.book.push(step, parent)
    }

    /// Makes `path` again if it is behind the headings.
    fn refresh_path(&mut self) {
        if self.path_stale {
            self.path = heading_path(&self.headings);
            self.path_stale = false;
        }
    }

    /// How many tasks deep a step under `parent` is.
    fn depth(&self, parent: Option<usize>) -> usize {
        let mut depth = 0;
        let mut at = parent;
        while let Some(p) = at {
            depth += 1;
            at = self.book.steps[p].parent();
        }
        depth
    }

    /// Whether a task under `parent` at `at` may be added: tasks nested
    /// deeper than `MAX_DEPTH` are an error (said once), and not steps.
    fn within_depth(&mut self, parent: Option<usize>, at: usize) -> bool {
        if self.depth(parent) < MAX_DEPTH {
            return true;
        }
        if !self.too_deep {
            self.too_deep = true;
            self.book.diagnostics.push(self.source.diagnostic(
                Severity::Error,
                at,
                format!("tasks nest more than {MAX_DEPTH} deep here"),
                Some(format!(
                    "runsheet follows at most {MAX_DEPTH} levels of tasks inside tasks; \
                     flatten the list, or split the document"
                )),
            ));
        }
        false
    }

    /// The innermost task the current position is inside.
    fn enclosing_task(&self) -> Option<usize> {
        self.items
            .iter()
            .rev()
            .find_map(|i| i.task)
            .or_else(|| self.heading_task())
    }

    /// The innermost `### [ ] Heading` task above the current position.
    fn heading_task(&self) -> Option<usize> {
        self.heading_tasks.last().map(|&(_, t)| t)
    }

    /// The text read since the last command, if it says what the output
    /// should be, becomes that command's hint.
    fn take_hint(&mut self) {
        let text = std::mem::take(&mut self.after_command);
        if let Some(index) = self.last_command.take()
            && let Some(hint) = if is_tidy(&text) {
                prose_hint(&text)
            } else {
                prose_hint(&tidy(&text))
            }
            && let StepKind::Command(c) = &mut self.book.steps[index].kind
            && c.hint().is_none()
        {
            c.set_hint(Some(hint));
        }
    }

    /// Text read at source offset `at`: into the step texts being collected
    /// and the label of the block it is in.
    fn text(&mut self, at: usize, text: &str) {
        self.inline_text(text);
        self.label_text(at, text);
    }

    fn inline_text(&mut self, text: &str) {
        if self.last_command.is_some() {
            self.after_command.push_str(text);
        }
        if let Some(h) = self.heading.as_mut() {
            h.text.push_str(text);
        } else if let Some(OpenItem {
            task: Some(index),
            collecting: true,
            ..
        }) = self.items.last()
        {
            self.book.steps[*index].text.push_str(text);
        }
    }

    fn stop_collecting(&mut self) {
        if let Some(item) = self.items.last_mut() {
            item.collecting = false;
        }
    }

    /// `<!-- runsheet: choice-pass=... choice-fail=... -->`: option words
    /// this document sets for its choices.
    fn directive(&mut self, html: &str, at: usize) {
        let Some(settings) = decide::directive(html) else {
            return;
        };
        for (key, value) in settings {
            match key.as_str() {
                "choice-pass" => self
                    .book
                    .choice_words
                    .pass
                    .extend(decide::word_list(&value)),
                "choice-fail" => self
                    .book
                    .choice_words
                    .fail
                    .extend(decide::word_list(&value)),
                // Other settings are other parts' business; a misspelt choice one is ours.
                other if other.starts_with("choice") => {
                    self.book.diagnostics.push(self.source.diagnostic(
                        Severity::Error,
                        at,
                        format!("`{other}` is not a setting runsheet knows"),
                        Some("the choice settings are `choice-pass=` and `choice-fail=`".into()),
                    ));
                }
                _ => {}
            }
        }
    }

    /// `### [ ] Heading`: a heading that is a task.
    fn heading_checkbox(&mut self, start: usize) -> Option<usize> {
        let line = &self.source.text[start..];
        let hashes = line.len() - line.trim_start_matches('#').len();
        let after = &line[hashes..];
        let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
        let at = start + hashes + spaces;
        let rest = &self.source.text[at..];
        let checked = if rest.starts_with("[ ] ") {
            false
        } else if rest.starts_with("[x] ") || rest.starts_with("[X] ") {
            true
        } else {
            return None;
        };
        Some(self.push(
            StepKind::Task(Task {
                checked,
                marker: narrow(at..at + 3),
                in_fence: None,
            }),
            at..at + 3,
            None,
        ))
    }

    /// `[ ] item` in a paragraph: a checkbox that is no task item.
    fn checkbox_outside_list(&mut self, start: usize) {
        let text = &self.source.text[start..];
        if ["[ ]", "[x]", "[X]"].iter().any(|b| text.starts_with(b)) {
            self.book.diagnostics.push(self.source.diagnostic(
                Severity::Warning,
                start,
                "this checkbox is not in a list item, so it is not a step",
                Some("write it as a task list item: `- [ ] ...`".into()),
            ));
        }
    }

    fn close_fence(&mut self, open: &mut OpenFence, end: usize) {
        let parent = self.enclosing_task();
        self.refresh_path();
        let place = fence::Place {
            path: &self.path,
            parent,
            context: &self.last_label,
            depth: self.depth,
        };
        let Some((index, found)) = fence::close(
            self.source,
            self.runners,
            &mut self.book,
            &place,
            open,
            end,
            &mut self.infos,
        ) else {
            return;
        };
        self.last_command = Some(index);
        self.after_command.clear();
        if found.is_empty() {
            return;
        }
        let command = &self.book.steps[index];
        let (span, heading) = (command.span(), command.heading.clone());
        let first_code_line = command.line() + 1;
        for p in found {
            let kind = StepKind::Placeholder(Box::new(Placeholder {
                token: p.token.clone(),
                name: p.name,
                secret: p.secret,
                example: p.example,
            }));
            let line = first_code_line + p.line;
            let step = Step::new(kind, span.clone(), line, heading.clone(), p.token);
            self.book.push(step, Some(index));
        }
    }
}

/// The path of headings; each is kept to a few words, since every step
/// under it carries the path (`plan --format json` prints it for each).
fn heading_path(headings: &[(usize, String)]) -> Path {
    // Straight into the shared slice: its length is known, so no `Vec` first.
    headings.iter().map(|(_, t)| t.clone()).collect()
}

#[cfg(test)]
mod tests;
