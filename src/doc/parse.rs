//! Markdown to `Runbook`: the only place that knows pulldown-cmark.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::attrs::parse_info;
use super::model::{Command, Fence, Runbook, Runner, Step, StepKind, Task};
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
    if text.starts_with("---\n") || text.starts_with("---\r\n") {
        base | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
    } else {
        base
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

fn language(lang: &str) -> Language {
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

/// Parses a document into its steps. Pure: never fails; problems become diagnostics.
pub fn parse(source: &Source) -> Runbook {
    let base = source.body_offset();
    let body = &source.text[base..];
    let mut book = Runbook {
        summary_at: base,
        ..Runbook::default()
    };
    let mut headings: Vec<(usize, String)> = Vec::new();
    let mut heading: Option<OpenHeading> = None;
    let mut items: Vec<OpenItem> = Vec::new();
    let mut fence: Option<OpenFence> = None;
    let mut paragraph_start: Option<usize> = None;

    for (event, range) in Parser::new_ext(body, options(body)).into_offset_iter() {
        let range = range.start + base..range.end + base;
        match event {
            Event::Start(Tag::MetadataBlock(_)) => {}
            Event::End(TagEnd::MetadataBlock(_)) if range.start == base => {
                book.summary_at = next_line(&source.text, range.end);
            }
            Event::Start(Tag::Heading { level, .. }) => {
                stop_collecting(&mut items);
                heading = Some(OpenHeading {
                    level: level as usize,
                    text: String::new(),
                });
                checkbox_outside_list(source, &mut book, range.start, true);
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(h) = heading.take() {
                    headings.retain(|(level, _)| *level < h.level);
                    headings.push((h.level, h.text.trim().to_string()));
                }
            }
            Event::Start(Tag::Item) => items.push(OpenItem {
                task: None,
                collecting: false,
            }),
            Event::End(TagEnd::Item) => {
                items.pop();
            }
            Event::TaskListMarker(checked) => {
                let index = book.steps.len();
                let parent = items.iter().rev().skip(1).find_map(|i| i.task);
                book.steps.push(Step {
                    index,
                    kind: StepKind::Task(Task {
                        checked,
                        marker: range.clone(),
                    }),
                    span: range.clone(),
                    line: source.position(range.start).0,
                    heading: heading_path(&headings),
                    text: String::new(),
                    parent,
                    children: Vec::new(),
                });
                if let Some(p) = parent {
                    book.steps[p].children.push(index);
                }
                if let Some(item) = items.last_mut() {
                    item.task = Some(index);
                    item.collecting = true;
                }
            }
            Event::Start(Tag::Paragraph) => {
                paragraph_start = Some(range.start);
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(start) = paragraph_start.take()
                    && !items.last().is_some_and(|i| i.collecting)
                {
                    checkbox_outside_list(source, &mut book, start, false);
                }
                stop_collecting(&mut items);
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                stop_collecting(&mut items);
                if let CodeBlockKind::Fenced(info) = kind {
                    fence = Some(OpenFence {
                        start: range.start,
                        info: info.to_string(),
                        code: String::new(),
                    });
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(open) = fence.take() {
                    close_fence(source, &mut book, &headings, &items, open, range.end);
                }
            }
            Event::Start(Tag::List(_) | Tag::BlockQuote(_) | Tag::Table(_) | Tag::HtmlBlock) => {
                stop_collecting(&mut items)
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some(open) = fence.as_mut() {
                    open.code.push_str(&text);
                } else if let Some(h) = heading.as_mut() {
                    h.text.push_str(&text);
                } else {
                    collect(&mut book, &items, &text);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(h) = heading.as_mut() {
                    h.text.push(' ');
                } else {
                    collect(&mut book, &items, " ");
                }
            }
            _ => {}
        }
    }
    for step in &mut book.steps {
        step.text = tidy(&step.text);
    }
    if book.steps.is_empty() {
        book.diagnostics.push(source.diagnostic(
            Severity::Warning,
            base,
            "this document has no steps: no `- [ ]` items and no runnable fenced blocks",
            Some("runsheet runs ```bash blocks and asks about `- [ ]` items".into()),
        ));
    }
    book
}

fn heading_path(headings: &[(usize, String)]) -> Vec<String> {
    headings.iter().map(|(_, t)| t.clone()).collect()
}

fn stop_collecting(items: &mut [OpenItem]) {
    if let Some(item) = items.last_mut() {
        item.collecting = false;
    }
}

fn collect(book: &mut Runbook, items: &[OpenItem], text: &str) {
    if let Some(OpenItem {
        task: Some(index),
        collecting: true,
    }) = items.last()
    {
        book.steps[*index].text.push_str(text);
    }
}

fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn next_line(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// `[ ] item` in a paragraph or `### [ ] Heading`: a checkbox that is no task item.
fn checkbox_outside_list(source: &Source, book: &mut Runbook, start: usize, in_heading: bool) {
    let text = &source.text[start..];
    let text = if in_heading {
        text.trim_start_matches('#').trim_start()
    } else {
        text
    };
    if ["[ ]", "[x]", "[X]"].iter().any(|b| text.starts_with(b)) {
        let at = source.text.len() - text.len();
        book.diagnostics.push(source.diagnostic(
            Severity::Warning,
            at,
            "this checkbox is not in a list item, so it is not a step",
            Some("write it as a task list item: `- [ ] ...`".into()),
        ));
    }
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
    book: &mut Runbook,
    headings: &[(usize, String)],
    items: &[OpenItem],
    open: OpenFence,
    end: usize,
) {
    let text = &source.text;
    let line_start = source.line_start(open.start);
    let opener = &text[open.start..];
    let fence_char = opener.as_bytes()[0];
    let marker_len = opener.bytes().take_while(|&b| b == fence_char).count();
    let marker = opener[..marker_len].to_string();
    let prefix: String = text[line_start..open.start]
        .chars()
        .map(|c| if c == '>' || c == '\t' { c } else { ' ' })
        .collect();
    // A closed fence's range ends at its closing line (without the line ending);
    // an unclosed one runs to the end of its container, line ending included.
    let last_line_start = source.line_start(end.saturating_sub(1).max(open.start));
    let last_line = text[last_line_start..end].trim_end_matches(['\n', '\r']);
    let closed = last_line_start > line_start
        && without_container(last_line, &prefix).is_some_and(|rest| {
            let indent = rest.len() - rest.trim_start_matches(' ').len();
            let rest = rest.trim_start_matches(' ').trim_end();
            indent <= 3 && rest.len() >= marker_len && rest.bytes().all(|b| b == fence_char)
        });
    let (insert_at, at_eof_without_newline) = if closed {
        match text[end..].find('\n') {
            Some(i) => (end + i + 1, false),
            None => (text.len(), true),
        }
    } else {
        (end, !text[..end].ends_with('\n'))
    };

    let (line, column) = source.position(open.start);
    let (lang, attrs) = match parse_info(&open.info) {
        Ok(parsed) => parsed,
        Err(e) => {
            let info_at = open.start + marker_len + e.offset;
            book.diagnostics
                .push(source.diagnostic(Severity::Error, info_at, e.message, e.hint));
            return;
        }
    };
    let runner = match (&attrs.runner, language(&lang)) {
        (Some(program), _) => Runner::Program(program.clone()),
        (None, Language::Run(runner)) => runner,
        (None, Language::Shown) => return,
        (None, Language::NoRunner) => {
            book.diagnostics.push(source.diagnostic(
                Severity::Warning,
                open.start + marker_len,
                format!("runsheet has no runner for `{lang}` blocks; this one is shown, not run"),
                Some(format!("set one with {{runner=...}} on the fence, e.g. ```{lang} {{runner=\"psql -f\"}}")),
            ));
            return;
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
    let _ = column;
    let index = book.steps.len();
    let parent = items.iter().rev().find_map(|i| i.task);
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
            code: open.code,
            fence: Fence {
                insert_at,
                closed,
                marker,
                prefix,
                at_eof_without_newline,
            },
        })),
        span: open.start..end,
        line,
        heading: heading_path(headings),
        text: first_line,
        parent,
        children: Vec::new(),
    });
    if let Some(p) = parent {
        book.steps[p].children.push(index);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn parse_str(text: &str) -> Runbook {
        parse(&Source::from_text(Path::new("t.md"), text.to_string()))
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
        assert_eq!(book.steps[1].heading, vec!["Deploy", "DB"]);
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
        let book = parse_str("```\n[ ] x\n```\n```json\n{}\n```\n```sql\nselect 1;\n```\n");
        assert!(book.steps.is_empty());
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
    fn loose_checkboxes_warn() {
        let book = parse_str("[ ] not a list\n\n### [ ] Heading box\n");
        assert_eq!(
            book.diagnostics
                .iter()
                .filter(|d| d.message.contains("not in a list item"))
                .count(),
            2
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
