//! Markdown to `Runbook`: the only place that knows pulldown-cmark.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::attrs::parse_info;
use super::fields;
use super::model::{
    Command, Fence, Field, FieldForm, Path, Placeholder, Runbook, Runner, Step, StepKind, Task,
};
use super::mojibake;
use crate::diagnostic::Severity;
use crate::source::Source;

/// The parser options runsheet reads `text` with, everywhere. Front matter is
/// only front matter at the very start: elsewhere `---` is a thematic break.
pub fn options(text: &str) -> Options {
    let base = Options::ENABLE_TASKLISTS
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !(text.starts_with("---\n") || text.starts_with("---\r\n")) {
        return base;
    }
    // With the option on, the parser also takes `---` blocks further down for
    // metadata; keep it only when the document really opens with front matter.
    let with = base | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    match Parser::new_ext(text, with).next() {
        Some(Event::Start(Tag::MetadataBlock(_))) => with,
        _ => base,
    }
}

/// How a fence language is treated.
enum Language {
    Run(Runner),
    /// Data or output being shown: never run, nothing to say.
    Shown,
    /// Code runsheet has no runner for: shown, with a warning.
    NoRunner,
}

fn language(lang: &str, runners: &Runners) -> Language {
    if let Some(command) = runners.get(lang) {
        return Language::Run(Runner::Program(command.clone()));
    }
    match lang {
        "bash" | "sh" | "shell" | "console" | "shell-session" | "shellsession" => {
            Language::Run(Runner::Shell)
        }
        "zsh" => Language::Run(Runner::Program("zsh".into())),
        "python" | "python3" | "py" => Language::Run(Runner::Program("python3".into())),
        "node" | "js" | "javascript" => Language::Run(Runner::Program("node".into())),
        "ruby" | "rb" => Language::Run(Runner::Program("ruby".into())),
        "perl" => Language::Run(Runner::Program("perl".into())),
        "" | "text" | "txt" | "plaintext" | "plain" | "output" | "log" | "json" | "jsonc"
        | "yaml" | "yml" | "toml" | "ini" | "conf" | "cfg" | "env" | "properties" | "xml"
        | "html" | "css" | "markdown" | "md" | "diff" | "patch" | "csv" | "tsv" | "mermaid"
        | "dot" | "graphql" | "http" | "nginx" | "dockerfile" | "gitignore" | "csharp"
        | "proto" => Language::Shown,
        _ => Language::NoRunner,
    }
}

/// A heading being read.
struct OpenHeading {
    level: usize,
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

struct OpenFence {
    start: usize,
    info: String,
    code: String,
}

/// A block whose text labels the fields found in it (paragraph, heading, table
/// row, list item).
#[derive(Default)]
struct Label {
    text: String,
    fields: Vec<usize>,
}

/// The state of one pass over the parser's events.
struct Walker<'s> {
    source: &'s Source,
    runners: &'s Runners,
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
    run: Option<std::ops::Range<usize>>,
    labels: Vec<Label>,
    /// The command just read, until another step or heading: a paragraph right
    /// after it may say what its output should be.
    last_command: Option<usize>,
    /// Code spans seen so far, in order: a backtick outside them is stray.
    code_spans: Vec<std::ops::Range<usize>>,
    /// Text read since `last_command`.
    after_command: String,
    in_metadata: bool,
    in_indented_code: bool,
}

/// Fence languages with a configured command (`runsheet.toml`'s `[runners]`).
pub type Runners = std::collections::BTreeMap<String, String>;

/// Parses a document into its steps with the built-in runners.
pub fn parse(source: &Source) -> Runbook {
    parse_with(source, &Runners::new())
}

/// Documents at least this long are parsed in pieces (see `parse_pieces`).
const PIECES_FROM: usize = 1 << 20;
/// The least size of a piece.
const PIECE: usize = 256 << 10;

/// Parses a document into its steps. Pure: never fails; problems become diagnostics.
pub fn parse_with(original: &Source, runners: &Runners) -> Runbook {
    let piece = (original.text.len() >= PIECES_FROM).then_some(PIECE);
    parse_pieces(original, runners, piece)
}

/// `parse_with`, with the Markdown parser run on pieces of at least `piece`
/// bytes rather than on the whole document (`None`). The parser holds a tree of
/// all it is given, about six times the text, so a large runbook is cut into
/// pieces before ATX headings at the margin: a heading there ends every block
/// but a fenced code block, an HTML block or front matter, so a cut where none
/// of those runs to the end of the piece reads the same as the whole; the cut
/// moves on where one does. Documents with link or footnote definitions, which
/// reach across the whole document, are parsed whole.
pub fn parse_pieces(original: &Source, runners: &Runners, piece: Option<usize>) -> Runbook {
    let converted = original.for_parser();
    let source: &Source = &converted;
    let base = source.body_offset();
    let body = &source.text[base..];
    let mut w = Walker {
        source,
        runners,
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
    };
    let options = options(body);
    // With front matter, the parser may take a later `---` block for
    // metadata too, which a cut could split: such documents are read whole.
    let metadata = options.contains(Options::ENABLE_YAML_STYLE_METADATA_BLOCKS);
    match piece {
        Some(piece) if !metadata && !has_definitions(body) => {
            pieces(body, options, piece, |at, events| {
                for (event, range) in events.drain(..) {
                    w.event(event, range.start + base + at..range.end + base + at, base);
                }
            });
        }
        _ => {
            for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
                w.event(event, range.start + base..range.end + base, base);
            }
        }
    }
    w.flush_run();
    let mut book = w.book;
    for step in &mut book.steps {
        if !is_tidy(&step.text) {
            step.text = tidy(&step.text);
        }
    }
    check_names(source, &mut book);

    for (at, what) in crate::secrets::literal_secrets(&source.text) {
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
    if let Some(found) = mojibake::detect(&source.text) {
        // Show people what the author wrote; the transcript keeps the bytes.
        for step in &mut book.steps {
            step.text = mojibake::repair_str(&step.text).into_owned();
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
    if book.steps.is_empty() {
        book.diagnostics.push(source.diagnostic(
            Severity::Warning,
            base,
            "this document has no steps: no `- [ ]` items, blanks, choices or runnable fenced blocks",
            Some("runsheet runs ```bash blocks and asks about `- [ ]` items".into()),
        ));
    }
    book
}

impl Walker<'_> {
    fn event(&mut self, event: Event<'_>, range: std::ops::Range<usize>, base: usize) {
        if !matches!(event, Event::Text(_)) {
            self.flush_run();
        }
        match event {
            Event::Start(Tag::MetadataBlock(_)) => self.in_metadata = true,
            Event::End(TagEnd::MetadataBlock(_)) => {
                self.in_metadata = false;
                if range.start == base {
                    self.book.summary_at = next_line(&self.source.text, range.end);
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
            _ => {}
        }
    }

    fn push(
        &mut self,
        kind: StepKind,
        span: std::ops::Range<usize>,
        parent: Option<usize>,
    ) -> usize {
        self.last_command = None;
        let index = self.book.steps.len();
        self.book.steps.push(Step {
            index,
            kind,
            line: self.source.line_of(span.start),
            span,
            heading: self.path.clone(),
            text: String::new(),
            parent,
            children: Vec::new(),
        });
        if let Some(p) = parent {
            self.book.steps[p].children.push(index);
        }
        index
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

    fn label_text(&mut self, text: &str) {
        if let Some(label) = self.labels.last_mut() {
            label.text.push_str(text);
        }
    }

    fn pop_label(&mut self) {
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

    fn add_field(&mut self, kind: StepKind, span: std::ops::Range<usize>) {
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
    fn flush_run(&mut self) {
        let Some(run) = self.run.take() else {
            return;
        };
        let text = &self.source.text[run.clone()];
        let mut found: Vec<(usize, StepKind, std::ops::Range<usize>)> = Vec::new();
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
    fn inside_open_comment(&self, at: usize) -> bool {
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

    fn code_span(&mut self, code: &str, range: std::ops::Range<usize>) {
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
        if let Some(index) = close_fence(
            self.source,
            self.runners,
            &mut self.book,
            &self.path,
            parent,
            open,
            end,
        ) {
            self.last_command = Some(index);
            self.after_command.clear();
            let step = &self.book.steps[index];
            let script = step.command().map(|c| c.script()).unwrap_or_default();
            let first_code_line = step.line + 1;
            for p in fields::placeholders(&script) {
                let line = first_code_line + p.line;
                let child = self.book.steps.len();
                let heading = self.book.steps[index].heading.clone();
                self.book.steps.push(Step {
                    index: child,
                    kind: StepKind::Placeholder(Placeholder {
                        token: p.token.clone(),
                        name: p.name,
                        secret: p.secret,
                    }),
                    span: self.book.steps[index].span.clone(),
                    line,
                    heading,
                    text: p.token,
                    parent: Some(index),
                    children: Vec::new(),
                });
                self.book.steps[index].children.push(child);
            }
        }
    }
}

/// Two blocks with the same `name=` would share one record: an error.
fn check_names(source: &Source, book: &mut Runbook) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for step in &book.steps {
        let Some(name) = step.command().and_then(|c| c.attrs.name.clone()) else {
            continue;
        };
        if let Some(first) = seen.insert(name.clone(), step.line) {
            book.diagnostics.push(source.diagnostic(
                Severity::Error,
                step.span.start,
                format!("`name={name}` is already the name of the block on line {first}"),
                Some("give each block its own name: transcripts and answers files find steps by it".into()),
            ));
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

/// Events of one piece, with ranges within the piece.
type PieceEvents<'a> = Vec<(Event<'a>, std::ops::Range<usize>)>;

/// Gives `feed` the document's events piece by piece, with the offset each
/// piece starts at: the start, or an ATX heading at the margin.
fn pieces<'a>(
    body: &'a str,
    options: Options,
    piece: usize,
    mut feed: impl FnMut(usize, &mut PieceEvents<'a>),
) {
    let cuts = heading_lines(body);
    let mut start = 0;
    // One buffer for every piece: a piece's events are fed, then dropped.
    let mut events: PieceEvents<'a> = Vec::new();
    while start < body.len() {
        // Where a cut is not safe, try one twice as far on: the work stays
        // in proportion to the document however few cuts are safe.
        let mut step = piece.max(1);
        loop {
            let end = cuts
                .iter()
                .copied()
                .find(|&c| c >= start + step)
                .unwrap_or(body.len());
            let text = &body[start..end];
            events.clear();
            events.extend(Parser::new_ext(text, options).into_offset_iter());
            if end == body.len() || cut_is_safe(&events, text.len()) {
                feed(start, &mut events);
                start = end;
                break;
            }
            step = step.saturating_mul(2);
        }
    }
}

/// Starts of lines that open an ATX heading at the margin (`# `, `######`).
fn heading_lines(body: &str) -> Vec<usize> {
    let bytes = body.as_bytes();
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let hashes = bytes[at..].iter().take_while(|&&b| b == b'#').count();
        if (1..=6).contains(&hashes)
            && matches!(
                bytes.get(at + hashes),
                None | Some(b' ' | b'\t' | b'\r' | b'\n')
            )
            && at > 0
        {
            cuts.push(at);
        }
        match bytes[at..].iter().position(|&b| b == b'\n') {
            Some(i) => at += i + 1,
            None => break,
        }
    }
    cuts
}

/// Whether a heading right after a piece that gave `events` starts a new block
/// in the whole document too: no code block, HTML block or front matter runs
/// to the end of the piece (such a block would take the heading in).
fn cut_is_safe(events: &[(Event<'_>, std::ops::Range<usize>)], len: usize) -> bool {
    !events.iter().any(|(event, range)| {
        range.end >= len
            && matches!(
                event,
                Event::Start(Tag::CodeBlock(_) | Tag::HtmlBlock | Tag::MetadataBlock(_))
                    | Event::Html(_)
            )
    })
}

/// Whether the text may define link references or footnotes (`[x]: ...`,
/// in any container), which apply across the whole document.
fn has_definitions(body: &str) -> bool {
    body.contains("]:")
}

/// Whitespace runs as single spaces, none at the ends.
fn tidy(text: &str) -> String {
    if is_tidy(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Whether `tidy` would leave `text` as it is, as most texts are: ASCII, and
/// no whitespace but single spaces between words.
fn is_tidy(text: &str) -> bool {
    let space = |b: &u8| b.is_ascii_whitespace() || *b == 0x0b;
    let bytes = text.as_bytes();
    text.is_ascii()
        && !bytes.first().is_some_and(space)
        && !bytes.last().is_some_and(space)
        && !bytes
            .windows(2)
            .any(|w| space(&w[0]) && (w[0] != b' ' || space(&w[1])))
}

fn next_line(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// `# Expected: 200 OK`, `# Should output: ...` inside a block.
fn comment_hint(code: &str) -> Option<String> {
    code.lines().find_map(|line| {
        let t = line.trim_start().strip_prefix('#')?.trim_start();
        let lower = t.to_ascii_lowercase();
        [
            "expected output:",
            "expected:",
            "should output:",
            "should show:",
            "should print:",
            "should return:",
        ]
        .iter()
        .find(|p| lower.starts_with(*p))
        .map(|p| t[p.len()..].trim().to_string())
        .filter(|h| !h.is_empty())
    })
}

/// `**Expected**: ...` (or `Expected output:`) as the paragraph right after a block.
fn prose_hint(text: &str) -> Option<String> {
    let t = text.trim_start_matches(['*', '_', ' ']);
    let lower = t.to_ascii_lowercase();
    for p in [
        "expected output",
        "expected result",
        "expected",
        "should output",
        "should show",
    ] {
        if let Some(rest) = lower.strip_prefix(p) {
            let rest_at = t.len() - rest.len();
            let rest = t[rest_at..].trim_start_matches(['*', '_', ' ']);
            if let Some(hint) = rest.strip_prefix(':') {
                let hint = hint.trim_start_matches(['*', '_', ' ']).trim();
                return (!hint.is_empty()).then(|| hint.to_string());
            }
        }
    }
    None
}

/// `[ ] item`, `- [ ] item`, `### [ ] Heading` lines inside a plain fence: tasks.
fn fence_checkboxes(
    source: &Source,
    book: &mut Runbook,
    path: &Path,
    parent: Option<usize>,
    body: std::ops::Range<usize>,
    fence: &Fence,
) {
    let mut at = body.start;
    for line in source.text[body.clone()].split_inclusive('\n') {
        let line_start = at;
        at += line.len();
        let Some(rest) = without_container(line.trim_end_matches(['\n', '\r']), &fence.prefix)
        else {
            continue;
        };
        let content = rest.trim_start_matches([' ', '\t']);
        let content = content.trim_start_matches('#').trim_start_matches(' ');
        let content = strip_list_marker(content);
        let checked = if content.starts_with("[ ]") {
            false
        } else if content.starts_with("[x]") || content.starts_with("[X]") {
            true
        } else {
            continue;
        };
        let after = &content[3..];
        if !(after.is_empty() || after.starts_with([' ', '\t'])) {
            continue;
        }
        let line_text = line.trim_end_matches(['\n', '\r']);
        let box_at = line_start + (line_text.len() - content.len());
        let index = book.steps.len();
        book.steps.push(Step {
            index,
            kind: StepKind::Task(Task {
                checked,
                marker: box_at..box_at + 3,
                in_fence: Some(Box::new(fence.clone())),
            }),
            span: box_at..box_at + 3,
            line: source.line_of(box_at),
            heading: path.clone(),
            text: tidy(after),
            parent,
            children: Vec::new(),
        });
        if let Some(p) = parent {
            book.steps[p].children.push(index);
        }
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

/// What starts each continuation line of a block whose first line begins
/// with `opener` (`> - `, `1. `, tabs): quote markers kept, list markers
/// turned to spaces, and a space after a `>` that had none (`>*`), since a
/// parser takes one space after `>` as part of the quote marker.
fn continuation_prefix(opener: &str) -> String {
    let mut out = String::with_capacity(opener.len() + 2);
    let mut chars = opener.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '>' => {
                out.push('>');
                if !matches!(chars.peek(), Some(' ' | '\t')) {
                    out.push(' ');
                }
            }
            '\t' => out.push('\t'),
            // A byte-order mark is no indentation.
            '\u{feff}' => {}
            _ => out.push(' '),
        }
    }
    out
}

/// `line` with the container prefix of its block taken off: each `>` of the
/// prefix must be there (spaces around it are optional); `None` if one is missing.
fn without_container<'l>(line: &'l str, prefix: &str) -> Option<&'l str> {
    let mut rest = line;
    for c in prefix.chars() {
        match c {
            '>' => rest = rest.trim_start_matches([' ', '\t']).strip_prefix('>')?,
            _ => rest = rest.strip_prefix([' ', '\t']).unwrap_or(rest),
        }
    }
    Some(rest)
}

fn close_fence(
    source: &Source,
    runners: &Runners,
    book: &mut Runbook,
    path: &Path,
    parent: Option<usize>,
    open: OpenFence,
    end: usize,
) -> Option<usize> {
    let text = &source.text;
    // A lone carriage return ends a line for the Markdown parser too.
    let line_start = text[..open.start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let opener = &text[open.start..];
    let fence_char = opener.as_bytes()[0];
    let marker_len = opener.bytes().take_while(|&b| b == fence_char).count();
    let marker = opener[..marker_len].to_string();
    let prefix = continuation_prefix(&text[line_start..open.start]);
    // A closed fence's range ends at its closing line (without the line ending);
    // an unclosed one runs to the end of its container, line ending included.
    let last_line_start = source.line_start(end.saturating_sub(1).max(open.start));
    let last_line = text[last_line_start..end].trim_end_matches(['\n', '\r']);
    // Where both could be (the range ends at the end of a text without a final
    // line ending), the block's content tells: an unclosed fence's last line is
    // its content's last line.
    let looks_like_fence = |line: &str| {
        let rest = line.trim();
        rest.len() >= marker_len && rest.bytes().all(|b| b == fence_char)
    };
    let content_last = open
        .code
        .trim_end_matches(['\n', '\r'])
        .lines()
        .last()
        .unwrap_or("");
    let ends_with_newline = text[..end].ends_with('\n');
    let closed = last_line_start > line_start
        && !ends_with_newline
        && without_container(last_line, &prefix).is_some_and(looks_like_fence)
        && !(end == text.len() && !open.code.is_empty() && content_last.trim() == last_line.trim());
    let (insert_at, at_eof_without_newline) = if closed {
        match text[end..].find('\n') {
            Some(i) => (end + i + 1, false),
            None => (text.len(), true),
        }
    } else {
        (end, !text[..end].ends_with('\n'))
    };

    let line = source.line_of(open.start);
    let (lang, attrs) = match parse_info(&open.info) {
        Ok(parsed) => parsed,
        Err(e) => {
            // The parser gives the info string with escapes and entities
            // decoded: its offsets match the source only when nothing was.
            let raw = text[open.start + marker_len..].lines().next().unwrap_or("");
            let info_at = if raw.starts_with(&open.info) {
                open.start + marker_len + e.offset
            } else {
                open.start + marker_len
            };
            book.diagnostics
                .push(source.diagnostic(Severity::Error, info_at, e.message, e.hint));
            return None;
        }
    };
    let fence = Fence {
        insert_at,
        closed,
        marker: marker.clone(),
        prefix: prefix.clone(),
        at_eof_without_newline,
    };
    let runner = match (&attrs.runner, language(&lang, runners)) {
        (Some(program), _) => Runner::Program(program.clone()),
        (None, Language::Run(runner)) => runner,
        (None, Language::Shown) => {
            if matches!(lang.as_str(), "" | "text" | "txt" | "plaintext" | "plain") {
                let body_start = text[open.start..]
                    .find('\n')
                    .map_or(end, |i| open.start + i + 1);
                let body_end = if closed { last_line_start } else { end };
                fence_checkboxes(
                    source,
                    book,
                    path,
                    parent,
                    body_start..body_end.max(body_start),
                    &fence,
                );
            }
            return None;
        }
        (None, Language::NoRunner) => {
            book.diagnostics.push(source.diagnostic(
                Severity::Warning,
                open.start + marker_len,
                format!("runsheet has no runner for `{lang}` blocks; this one is shown, not run"),
                Some(format!(
                    "set one in runsheet.toml ([runners] {lang} = \"...\"), or with {{runner=...}} on the fence"
                )),
            ));
            return None;
        }
    };
    if !closed {
        book.diagnostics.push(source.diagnostic(
            Severity::Warning,
            open.start,
            "this fence is never closed, so it runs to the end of its container",
            Some(format!("close it with a line of {marker}")),
        ));
    }
    let index = book.steps.len();
    let first_line = open
        .code
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .or_else(|| open.code.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("")
        .to_string();
    book.steps.push(Step {
        index,
        kind: StepKind::Command(Box::new(Command {
            lang,
            runner,
            attrs,
            hint: comment_hint(&open.code),
            destructive: Vec::new(),
            code: open.code,
            fence,
        })),
        span: open.start..end,
        line,
        heading: path.clone(),
        text: first_line,
        parent,
        children: Vec::new(),
    });
    if let Some(p) = parent {
        book.steps[p].children.push(index);
    }
    if let StepKind::Command(c) = &mut book.steps[index].kind {
        c.destructive = match c.attrs.danger {
            Some(false) => Vec::new(),
            Some(true) => vec!["marked danger".into()],
            None => crate::guard::destructive(&c.script()),
        };
    }
    Some(index)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

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
    fn a_document_reads_the_same_in_pieces_as_whole() {
        for text in [
            "# A\n- [ ] one\n  ```bash\n  echo 1\n  ```\n# B\n- [ ] two\n",
            "# A\n```bash\nunclosed\n# not a heading\n```\n# B\n- [ ] b\n",
            "# A\n<div>\n# inside html\n</div>\n\n# B\n- [ ] b\n",
            "# A\n- item\n  ```sh\n  in the item\n# B ends it\n- [ ] b\n",
            "> - [ ] quoted\n# B\n> lazy? no\n",
            "# A\n<!--\n# in a comment\n-->\n# B\n- [ ] b: `____`\n",
            "# A\n[ref]\n# B\n[ref]: https://example.com\n- [ ] b\n",
            "---\ntitle: t\n---\n# A\n---\n# inside?\n---\n- [ ] a\n",
            "# A\r\n- [ ] crlf\r\n#B not a heading\r\n# C\r\n- [ ] c\r\n",
            "Para\n# A\n    indented\n# B\n| a | b |\n|---|---|\n| ____ | x |\n# C\n",
        ] {
            let source = Source::from_text(Path::new("t.md"), text.to_string());
            let runners = Runners::new();
            assert_eq!(
                format!("{:?}", parse_pieces(&source, &runners, None)),
                format!("{:?}", parse_pieces(&source, &runners, Some(1))),
                "{text:?}"
            );
        }
        let cuts = heading_lines("# A\ntext\n## B\n#C\n####### D\n###\n");
        assert_eq!(cuts, [9, 27]);
    }

    #[test]
    fn tidy_collapses_every_kind_of_whitespace_and_keeps_tidy_text() {
        for (text, want) in [
            ("Deploy the app", "Deploy the app"),
            ("  Deploy\tthe  app\n", "Deploy the app"),
            ("a\u{0b}b", "a b"),
            ("a\u{a0}b é", "a b é"),
            ("a \r\nb", "a b"),
            ("", ""),
            (" ", ""),
        ] {
            assert_eq!(tidy(text), want, "{text:?}");
            assert_eq!(is_tidy(text), text == want, "{text:?}");
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
    fn fence_geometry_in_containers() {
        let text = "> - ```bash\n>   q\n>   ```\n";
        let book = parse_str(text);
        let c = book.steps[0].command().unwrap();
        assert_eq!(c.fence.prefix, ">   ");
        assert!(c.fence.closed);
        assert_eq!(c.fence.insert_at, text.len());
        assert_eq!(c.code, "q\n");
    }

    #[test]
    fn unclosed_fence_is_a_warning_and_known() {
        let book = parse_str("~~~~bash\nunclosed");
        let c = book.steps[0].command().unwrap();
        assert!(!c.fence.closed);
        assert!(c.fence.at_eof_without_newline);
        assert_eq!(c.fence.marker, "~~~~");
        assert!(book.diagnostics[0].message.contains("never closed"));
    }

    #[test]
    fn shown_languages_are_not_steps_and_unknown_ones_warn() {
        let book = parse_str(
            "```\necho plain\n```\n```json\n{\"a\": \"[ ] no\"}\n```\n```markdown\n- [ ] example\n```\n```sql\nselect 1;\n```\n```\n[ ] boxed\n```\n",
        );
        let kinds: Vec<_> = book
            .steps
            .iter()
            .map(|s| (s.kind_name(), s.text.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![("task", "boxed")],
            "only the plain fence's box is a step"
        );
        let messages: Vec<_> = book
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert!(
            messages.iter().any(|m| m.contains("no runner for `sql`")),
            "{messages:?}"
        );
    }

    #[test]
    fn bad_attribute_is_an_error_at_its_column() {
        let book = parse_str("text\n\n```bash {nmae=x}\nls\n```\n");
        assert!(book.has_errors());
        let d = &book.diagnostics[0];
        assert_eq!((d.line, d.column), (3, 10));
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

    #[test]
    fn prompt_lines_are_what_runs() {
        let book = parse_str("```bash\n$ echo a \\\n  b\nout a b\n$ ls\n```\n");
        assert_eq!(
            book.steps[0].command().unwrap().script(),
            "echo a \\\n  b\nls\n"
        );
    }
}
