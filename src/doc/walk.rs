//! The walk over the parser's events: headings, list items, tasks and fenced
//! blocks become steps, each under the task and headings it sits in.

mod prose;

use std::ops::Range;

use super::fence::{self, OpenFence};
use super::fields;
use super::hints::prose_hint;
use super::markdown::{CodeBlockKind, Event, Tag, TagEnd};
use super::model::{Path, Placeholder, Runbook, Step, StepKind, Task};
use super::sections::Headings;
use super::tidy::{is_tidy, tidy};
use crate::diagnostic::Severity;
use crate::exec::runner::Runners;
use crate::source::Source;
use prose::Label;

/// A heading being read.
struct OpenHeading {
    level: usize,
    range: Range<usize>,
    text: String,
    /// `### [ ] Heading`: the task this heading is.
    task: Option<usize>,
}

/// A list item being read, and the task it is if it has a checkbox.
struct OpenItem {
    task: Option<usize>,
    /// Still reading the item's first line of text into the task's description.
    collecting: bool,
}

/// The state of one pass over the parser's events.
pub(super) struct Walker<'s> {
    source: &'s Source,
    runners: &'s Runners,
    /// Where the Markdown starts: after a byte-order mark.
    base: usize,
    book: Runbook,
    headings: Vec<(usize, String)>,
    /// The headings above the current position, shared by the steps under them.
    path: Path,
    /// `### [ ] Heading` tasks still open, with their levels: they own the
    /// steps under them.
    heading_tasks: Vec<(usize, usize)>,
    heading: Option<OpenHeading>,
    items: Vec<OpenItem>,
    fence: Option<OpenFence>,
    paragraph_start: Option<usize>,
    /// Source range of consecutive text events, scanned for blanks and ballots.
    run: Option<Range<usize>>,
    labels: Vec<Label>,
    /// The command just read, until another step or heading: a paragraph right
    /// after it may say what its output should be.
    last_command: Option<usize>,
    /// Code spans seen so far, in order: a backtick outside them is stray.
    code_spans: Vec<Range<usize>>,
    /// Text read since `last_command`.
    after_command: String,
    in_metadata: bool,
    in_indented_code: bool,
    /// Every heading, for working out the sections once the walk is over.
    sections: Headings,
}

impl<'s> Walker<'s> {
    /// A walk over `source`, whose Markdown starts at `base`.
    pub(super) fn new(source: &'s Source, runners: &'s Runners, base: usize) -> Walker<'s> {
        Walker {
            source,
            runners,
            base,
            book: Runbook {
                summary_at: base,
                ..Runbook::default()
            },
            headings: Vec::new(),
            path: Path::default(),
            heading_tasks: Vec::new(),
            heading: None,
            items: Vec::new(),
            fence: None,
            paragraph_start: None,
            run: None,
            labels: Vec::new(),
            last_command: None,
            code_spans: Vec::new(),
            after_command: String::new(),
            in_metadata: false,
            in_indented_code: false,
            sections: Headings::default(),
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

impl Walker<'_> {
    /// Reads one event; `range` is its byte range in the source.
    pub(super) fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        if !matches!(event, Event::Text(_)) {
            self.flush_run();
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
                self.headings.retain(|(l, _)| *l < level);
                self.heading_tasks.retain(|(l, _)| *l < level);
                self.path = heading_path(&self.headings);
                let task = self.heading_checkbox(range.start);
                self.heading = Some(OpenHeading {
                    level,
                    range: range.clone(),
                    text: String::new(),
                    task,
                });
                self.labels.push(Label::default());
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
                    self.sections.heading(h.level, text.clone(), h.range);
                    self.headings.push((h.level, text));
                    self.heading_tasks.retain(|(level, _)| *level < h.level);
                    if let Some(t) = h.task {
                        self.heading_tasks.push((h.level, t));
                    }
                    self.path = heading_path(&self.headings);
                }
                self.pop_label();
            }
            Event::Start(Tag::Item) => {
                self.items.push(OpenItem {
                    task: None,
                    collecting: false,
                });
                self.labels.push(Label::default());
            }
            Event::End(TagEnd::Item) => {
                // In a tight list an `Expected:` line after a block has no paragraph.
                self.take_hint();
                self.items.pop();
                self.pop_label();
            }
            Event::TaskListMarker(checked) => {
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
                let index = self.push(
                    StepKind::Task(Task {
                        checked,
                        marker: marker.clone(),
                        in_fence: None,
                    }),
                    marker,
                    parent,
                );
                if let Some(item) = self.items.last_mut() {
                    item.task = Some(index);
                    item.collecting = true;
                }
            }
            Event::Start(Tag::Paragraph) => {
                self.paragraph_start = Some(range.start);
                self.labels.push(Label::default());
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(start) = self.paragraph_start.take()
                    && !self.items.last().is_some_and(|i| i.collecting)
                {
                    self.checkbox_outside_list(start);
                }
                self.take_hint();
                self.stop_collecting();
                self.pop_label();
            }
            Event::Start(Tag::TableRow | Tag::TableHead) => self.labels.push(Label::default()),
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => self.pop_label(),
            Event::End(TagEnd::TableCell) => self.label_text(" | "),
            Event::Start(Tag::CodeBlock(kind)) => {
                self.stop_collecting();
                match kind {
                    CodeBlockKind::Fenced(info) => {
                        self.fence = Some(OpenFence {
                            start: range.start,
                            info: info.to_string(),
                            code: String::new(),
                        });
                    }
                    // Indented code is code: no fields in it.
                    CodeBlockKind::Indented => self.in_indented_code = true,
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                self.in_indented_code = false;
                if let Some(open) = self.fence.take() {
                    self.close_fence(open, range.end);
                }
            }
            Event::Start(Tag::List(_) | Tag::BlockQuote(_) | Tag::Table(_) | Tag::HtmlBlock) => {
                self.stop_collecting()
            }
            Event::Text(text) => {
                if let Some(open) = self.fence.as_mut() {
                    open.code.push_str(&text);
                    return;
                }
                self.text(&text);
                // A backslash escape (`\_`) comes as its character alone: the
                // backslash before it belongs to the run too.
                let bytes = self.source.text.as_bytes();
                let escaped =
                    range.start > 0 && bytes[range.start - 1] == b'\\' && range.len() == 1;
                let start = if escaped {
                    range.start - 1
                } else {
                    range.start
                };
                self.run = match self.run.take() {
                    Some(run) if run.end == start || run.end == range.start => {
                        Some(run.start..range.end)
                    }
                    Some(run) => {
                        self.run = Some(run);
                        self.flush_run();
                        Some(start..range.end)
                    }
                    None => Some(start..range.end),
                };
            }
            Event::Code(code) => {
                self.text(&format!("`{code}`"));
                self.code_spans.push(range.clone());
                self.code_span(&code, range);
            }
            Event::SoftBreak | Event::HardBreak => self.text(" "),
            Event::Html(html) => self.sections.html(self.source, &html, range.start),
            _ => {}
        }
    }

    fn push(&mut self, kind: StepKind, span: Range<usize>, parent: Option<usize>) -> usize {
        self.last_command = None;
        let line = self.source.line_of(span.start);
        let step = Step::new(kind, span, line, self.path.clone(), String::new());
        self.book.push(step, parent)
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
            && let Some(hint) = prose_hint(&tidy(&text))
            && let StepKind::Command(c) = &mut self.book.steps[index].kind
            && c.hint.is_none()
        {
            c.hint = Some(hint);
        }
    }

    fn text(&mut self, text: &str) {
        if self.last_command.is_some() {
            self.after_command.push_str(text);
        }
        if let Some(h) = self.heading.as_mut() {
            h.text.push_str(text);
        } else if let Some(OpenItem {
            task: Some(index),
            collecting: true,
        }) = self.items.last()
        {
            self.book.steps[*index].text.push_str(text);
        }
        if let Some(label) = self.labels.last_mut() {
            label.text.push_str(text);
        }
    }

    fn stop_collecting(&mut self) {
        if let Some(item) = self.items.last_mut() {
            item.collecting = false;
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
                marker: at..at + 3,
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

    fn close_fence(&mut self, open: OpenFence, end: usize) {
        let parent = self.enclosing_task();
        let Some(index) = fence::close(
            self.source,
            self.runners,
            &mut self.book,
            &self.path,
            parent,
            open,
            end,
        ) else {
            return;
        };
        self.last_command = Some(index);
        self.after_command.clear();
        let command = &self.book.steps[index];
        let script = command.command().map(|c| c.script()).unwrap_or_default();
        let (span, heading) = (command.span.clone(), command.heading.clone());
        let first_code_line = command.line + 1;
        for p in fields::placeholders(&script) {
            let kind = StepKind::Placeholder(Placeholder {
                token: p.token.clone(),
                name: p.name,
                secret: p.secret,
            });
            let line = first_code_line + p.line;
            let step = Step::new(kind, span.clone(), line, heading.clone(), p.token);
            self.book.push(step, Some(index));
        }
    }
}

fn heading_path(headings: &[(usize, String)]) -> Path {
    headings
        .iter()
        .map(|(_, t)| t.clone())
        .collect::<Vec<_>>()
        .into()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::doc::model::{Runbook, Step};
    use crate::doc::parse;
    use crate::source::Source;

    fn parse_str(text: &str) -> Runbook {
        parse(&Source::from_text(Path::new("t.md"), text.to_string()))
    }

    #[test]
    fn a_task_marker_is_the_box_whatever_whitespace_comes_before_it() {
        for text in [
            "- \t[ ] a\n",
            "- a\n  - \t[ ] b\n",
            "-\t[x] c\n",
            "* \t\t[ ] d\n",
            "1. \t[ ] e\n",
            "> - \t[ ] f\n",
        ] {
            let book = parse_str(text);
            let task = book.steps.iter().rev().find_map(Step::task).expect(text);
            assert!(
                matches!(&text[task.marker.clone()], "[ ]" | "[x]"),
                "{text:?}: marker {:?} is {:?}",
                task.marker,
                &text[task.marker.clone()]
            );
        }
    }

    #[test]
    fn tasks_own_their_commands_and_subtasks() {
        let book = parse_str(
            "# Deploy\n## DB\n- [ ] Migrate\n  ```bash\n  make migrate\n  ```\n  - [ ] Check tables\n- [x] Done before\n\n```sh\necho top\n```\n",
        );
        let kinds: Vec<_> = book
            .steps
            .iter()
            .map(|s| (s.kind_name(), s.text.as_str(), s.parent))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("task", "Migrate", None),
                ("command", "make migrate", Some(0)),
                ("task", "Check tables", Some(0)),
                ("task", "Done before", None),
                ("command", "echo top", None),
            ]
        );
        assert_eq!(book.steps[0].children, vec![1, 2]);
        assert_eq!(&*book.steps[1].heading, ["Deploy", "DB"]);
        assert_eq!(book.steps[1].line, 4);
        assert!(book.steps[3].task().unwrap().checked);
        assert!(book.diagnostics.is_empty());
    }

    #[test]
    fn summary_goes_after_bom_and_front_matter() {
        let book = parse_str("\u{feff}---\nname: x\n---\n- [ ] a\n");
        assert_eq!(book.summary_at, "\u{feff}---\nname: x\n---\n".len());
        assert_eq!(book.steps[0].text, "a");
    }

    #[test]
    fn loose_checkboxes_warn_and_heading_checkboxes_are_tasks() {
        let book = parse_str("[ ] not a list\n\n### [ ] Heading box\n\n```bash\necho under\n```\n");
        let loose = book
            .diagnostics
            .iter()
            .filter(|d| d.message.contains("not in a list item"));
        assert_eq!(loose.count(), 1);
        assert_eq!(book.steps[0].kind_name(), "task");
        assert_eq!(book.steps[0].text, "Heading box");
        assert_eq!(&*book.steps[1].heading, ["Heading box"]);
        assert_eq!(
            book.steps[1].parent,
            Some(0),
            "a heading task owns the steps under it"
        );
        let book = parse_str("# Deploy\n## Prepare\n### Notes\n## [ ] Ship\n```bash\nx\n```\n");
        assert_eq!(
            &*book.steps[0].heading,
            ["Deploy"],
            "a heading task sits under its parents"
        );
        assert_eq!(&*book.steps[1].heading, ["Deploy", "Ship"]);
    }

    #[test]
    fn blanks_choices_and_placeholders_are_steps() {
        let text = "- [ ] Record start: ________ (UTC)\n- [ ] Decision: `GO / NO-GO`\n- X: ******\\_\\_\\_\\_******\n\n| Check | Result |\n|---|---|\n| CAB | ☐ Yes ☐ No |\n\n```bash\ncurl -H \"Bearer <api-token>\" x\n```\n**Expected**: `200 OK`\n";
        let book = parse_str(text);
        let kinds: Vec<_> = book
            .steps
            .iter()
            .map(|s| (s.kind_name(), s.parent))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("task", None),
                ("blank", Some(0)),
                ("task", None),
                ("choice", Some(2)),
                ("blank", None),
                ("choice", None),
                ("command", None),
                ("placeholder", Some(6)),
            ]
        );
        assert_eq!(&text[book.steps[4].span.clone()], "\\_\\_\\_\\_");
        assert_eq!(book.steps[1].text, "Record start: ________ (UTC)");
        assert_eq!(book.steps[5].text, "CAB | ☐ Yes ☐ No");
        assert_eq!(book.steps[5].field().unwrap().options, vec!["Yes", "No"]);
        assert_eq!(
            book.steps[6].command().unwrap().hint.as_deref(),
            Some("`200 OK`")
        );
        assert!(book.steps[7].placeholder().unwrap().secret);
        let tight =
            parse_str("- [ ] Check\n  ```bash\n  curl x\n  ```\n  **Expected**: 200\n- [ ] Next\n");
        assert_eq!(
            tight.steps[1].command().unwrap().hint.as_deref(),
            Some("200")
        );
    }
}
