//! Fenced blocks: where each sits (its container's prefix, whether it is
//! closed, where output goes under it), and the command a runnable one
//! becomes (`form` reads the steps a shown one holds).

use std::sync::Arc;

use super::attrs::{AttrError, Attrs, parse_info};
use super::form;
use super::hints::comment_hint;
use super::model::{Command, Fence, FenceText, Path, Runbook, Step, StepKind};
use super::parse::Depth;
use super::placeholders::{Placeholder, placeholders};
use super::walk::labels::tidy_capped;
use crate::diagnostic::Severity;
use crate::exec::runner::{self, Language, Runner, Runners};
use crate::source::Source;

/// Where a fence sits: under which headings and task, after what text.
#[derive(Clone, Copy)]
pub(super) struct Place<'a> {
    pub path: &'a Path,
    pub parent: Option<usize>,
    /// The text of the block before the fence, as read (not yet tidied):
    /// what a form in it is for.
    pub context: &'a str,
    /// Whether the block is looked at by the destructive-command guard.
    pub depth: Depth,
}

/// Info strings read lately, with their language and attributes: a
/// document's blocks mostly repeat a few (`bash`, `bash {timeout=30s}`), and
/// their commands share one copy of the attributes rather than each holding
/// its own.
#[derive(Default)]
pub(super) struct Infos(Vec<(String, Arc<String>, Arc<Attrs>)>);

impl Infos {
    /// How many info strings are remembered.
    const KEPT: usize = 8;

    /// `parse_info`, shared with an earlier block whose info string was the same.
    fn parse(&mut self, info: &str) -> Result<(Arc<String>, Arc<Attrs>), AttrError> {
        if let Some((_, lang, attrs)) = self.0.iter().find(|(seen, _, _)| seen == info) {
            return Ok((Arc::clone(lang), Arc::clone(attrs)));
        }
        let (lang, attrs) = parse_info(info)?;
        let lang = Arc::new(lang);
        let attrs = Arc::new(attrs);
        if self.0.len() == Self::KEPT {
            self.0.remove(0);
        }
        self.0
            .push((info.to_string(), Arc::clone(&lang), Arc::clone(&attrs)));
        Ok((lang, attrs))
    }
}

/// A fenced block being read.
pub(super) struct OpenFence {
    pub start: usize,
    pub info: String,
    pub code: String,
}

/// Where a fence ends, and what its lines look like.
struct Geometry {
    fence: Fence,
    /// Length of the opening marker (```` ``` ````, `~~~~`).
    marker_len: usize,
    /// Where the block's last line (the closing fence, if closed) starts.
    last_line_start: usize,
}

/// The geometry of the fence opened by `open` whose block (as the parser
/// gives its range) ends at `end`.
fn geometry(source: &Source, open: &OpenFence, end: usize) -> Geometry {
    let text = &source.text;
    let line_start = source.parser_line_start(open.start);
    let opener = &text[open.start..];
    let fence_char = opener.as_bytes()[0];
    let marker_len = opener.bytes().take_while(|&b| b == fence_char).count();
    let marker = FenceText::new(&opener[..marker_len]);
    let opener_prefix = &text[line_start..open.start];
    // Mostly the indentation of a list item: spaces that stay spaces, taken
    // as they are rather than made again.
    const SPACES: &str = "                ";
    let spaces = opener_prefix
        .bytes()
        .all(|b| b.is_ascii() && b != b'>' && b != b'\t');
    let prefix = match SPACES.get(..opener_prefix.len()) {
        Some(run) if spaces => FenceText::new(run),
        _ => FenceText::new(&continuation_prefix(opener_prefix)),
    };
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
    // Looked at only for a block that ends the text.
    let content_last = || {
        open.code
            .trim_end_matches(['\n', '\r'])
            .lines()
            .last()
            .unwrap_or("")
    };
    let ends_with_newline = text[..end].ends_with('\n');
    let closed = last_line_start > line_start
        && !ends_with_newline
        && without_container(last_line, &prefix).is_some_and(looks_like_fence)
        && !(end == text.len()
            && !open.code.is_empty()
            && content_last().trim() == last_line.trim());
    let (insert_at, at_eof_without_newline) = if closed {
        match text[end..].find('\n') {
            Some(i) => (end + i + 1, false),
            None => (text.len(), true),
        }
    } else {
        (end, !text[..end].ends_with('\n'))
    };
    Geometry {
        fence: Fence {
            // A source's offsets fit in 32 bits (see its line table).
            insert_at: u32::try_from(insert_at).unwrap_or(u32::MAX),
            closed,
            marker,
            prefix,
            at_eof_without_newline,
        },
        marker_len,
        last_line_start,
    }
}

/// Where a line of the block from `start` to `end` (its opening line left
/// out) opens a fence of the block's own kind with a language (```` ```bash ````
/// in a block opened with three backticks). No block holds such a line: it
/// cannot close the block, so the fence that should have closed it before
/// is missing, and the prose after it runs as commands until some later
/// fence closes the block. Indented as a fence could be only: one indented
/// further is a block's own text (a here-document, say).
fn opener_inside(text: &str, start: usize, end: usize, fence: &Fence) -> Option<usize> {
    let mark = fence.marker.as_bytes()[0];
    let body = start + text[start..end].find('\n')? + 1;
    let mut at = body;
    for line in text[body..end].split_inclusive('\n') {
        let here = at;
        at += line.len();
        let inside = line.strip_prefix(fence.prefix.as_str()).unwrap_or(line);
        let spaces = inside.bytes().take_while(|&b| b == b' ').count();
        if spaces > 3 {
            continue;
        }
        let rest = &inside[spaces..];
        let run = rest.bytes().take_while(|&b| b == mark).count();
        if run < fence.marker.len() {
            continue;
        }
        let word = rest[run..]
            .trim_start()
            .split(|c: char| c.is_whitespace() || c == '{')
            .next()
            .unwrap_or("");
        if !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '_' | '.'))
        {
            return Some(here + (line.len() - rest.len()));
        }
    }
    None
}

/// The step a fenced block becomes, added to `book` under `parent`: a
/// command if its language runs (its index returned; the command takes
/// `open`'s code), tasks for the boxes of a plain-text block, else nothing
/// (a warning if code has no runner). A command comes with the placeholders
/// its script holds.
pub(super) fn close(
    source: &Source,
    runners: &Runners,
    book: &mut Runbook,
    place: &Place,
    open: &mut OpenFence,
    end: usize,
    infos: &mut Infos,
) -> Option<(usize, Vec<Placeholder>)> {
    let Place {
        path,
        parent,
        context,
        depth,
    } = *place;
    let text = &source.text;
    let Geometry {
        fence,
        marker_len,
        last_line_start,
    } = geometry(source, open, end);
    let (lang, attrs) = match infos.parse(&open.info) {
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
    let runner = match runner::resolve(&lang, attrs.runner.as_deref(), runners) {
        Language::Run(runner) => runner,
        shown => {
            if shown == Language::NoRunner {
                book.diagnostics.push(source.diagnostic(
                    Severity::Warning,
                    open.start + marker_len,
                    format!(
                        "runsheet has no runner for `{lang}` blocks; this one is shown, not run"
                    ),
                    Some(format!(
                        "set one in runsheet.toml ([runners] {lang} = \"...\"), or with {{runner=...}} on the fence"
                    )),
                ));
            }
            // A fence of four or more marks wraps an example of Markdown;
            // `markdown` and diffs show it: their boxes are not steps.
            let example =
                marker_len > 3 || matches!(lang.as_str(), "markdown" | "md" | "diff" | "patch");
            if !example {
                let body_start = text[open.start..]
                    .find('\n')
                    .map_or(end, |i| open.start + i + 1);
                let body_end = if fence.closed { last_line_start } else { end };
                let body = body_start..body_end.max(body_start);
                let form = runner::is_plain_text(&lang);
                let context = tidy_capped(context);
                let what = form::Form {
                    fence: &fence,
                    plain: form,
                    context: &context,
                };
                form::steps(source, book, path, parent, body, &what);
            }
            return None;
        }
    };
    if (&*lang == "console" || &*lang == "shell-session")
        && !open.code.lines().any(|l| l.trim_start().starts_with("$ "))
    {
        // No prompt lines: commands written without them, or output shown.
        let commands = reads_as_commands(&open.code);
        let (what, hint) = if commands {
            (
                "so all of it runs as a script",
                "put `$ ` before each command, or mark the block `bash`",
            )
        } else {
            (
                "and reads as output, so it is shown, not run",
                "put `$ ` before each command in it, or mark the block `text` if it is only output",
            )
        };
        book.diagnostics.push(source.diagnostic(
            Severity::Warning,
            open.start + marker_len,
            format!("this `{lang}` block has no `$ ` lines {what}"),
            Some(hint.into()),
        ));
        if !commands {
            return None;
        }
    }
    if !fence.closed {
        book.diagnostics.push(source.diagnostic(
            Severity::Warning,
            open.start,
            "this fence is never closed, so it runs to the end of its container",
            Some(format!("close it with a line of {}", fence.marker)),
        ));
    }
    if let Some(at) = opener_inside(text, open.start, end, &fence) {
        let line = text[at..].lines().next().unwrap_or("").trim();
        book.diagnostics.push(source.diagnostic(
            Severity::Error,
            at,
            format!(
                "this line opens a `{}` block inside the block that starts on line {}: \
                 the fence that closes that block is probably missing above it, and the text \
                 between would run as commands",
                line.trim_start_matches(fence.marker.as_bytes()[0] as char),
                source.line_of(open.start)
            ),
            Some(format!(
                "close the block above with a line of {} before this one; to show a fence \
                 inside a block, open the outer block with a longer fence ({}{})",
                fence.marker,
                fence.marker.as_str(),
                &fence.marker[..1]
            )),
        ));
    }
    let mut attrs = attrs;
    // Nothing in it would run: a task that owns it is not done by it, nor
    // is a step its comments name. An empty block on its own claims nothing.
    if !attrs.skip
        && !attrs.manual
        && holds_no_command(&open.code, runner == Runner::Shell)
        && (parent.is_some() || !open.code.trim().is_empty())
    {
        book.diagnostics.push(source.diagnostic(
            Severity::Warning,
            open.start + marker_len,
            "this block holds no command, only comments or nothing, so it is not run: the operator is asked to do it by hand".to_string(),
            Some("put the commands in it, or mark it {manual} if it is done by hand".into()),
        ));
        std::sync::Arc::make_mut(&mut attrs).manual = true;
    }
    let name = super::name::command_text(&open.code);
    let mut command = Command {
        lang,
        runner,
        attrs,
        code: std::mem::take(&mut open.code).into_boxed_str(),
        rare: None,
        fence,
    };
    command.set_hint(comment_hint(&command.code));
    // The script as it runs is made once, for the guard and the placeholders.
    let script = command.script_text();
    let destructive = if depth == Depth::Full {
        crate::guard::assess(command.attrs.danger, &script)
    } else {
        Vec::new()
    };
    let found = placeholders(&script, command.runner == Runner::Shell);
    drop(script);
    command.set_destructive(destructive);
    let step = Step::new(
        StepKind::Command(Box::new(command)),
        open.start..end,
        source.line_of(open.start),
        path.clone(),
        name,
    );
    Some((book.push(step, parent), found))
}

/// Whether a block's code holds nothing to run: blank lines, and in a
/// shell block (`comments`) lines that are comments.
fn holds_no_command(code: &str, comments: bool) -> bool {
    code.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || (comments && l.starts_with('#'))
    })
}

/// Whether a block without prompt lines reads as commands: its first line
/// that is no comment starts with a command's name (lower case: `node`,
/// `./deploy.sh`, `sudo`) or a variable set for it (`FOO=1 make`), not with
/// the words or marks output starts with (`error[E0277]:`, `Compiling`).
fn reads_as_commands(code: &str) -> bool {
    let Some(line) = code
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return false;
    };
    let word = line.split_whitespace().next().unwrap_or("");
    let name = word.split_once('=').map_or(word, |(name, _)| name);
    let assignment = word.contains('=')
        && !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let command = word
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '.' || c == '/' || c == '~')
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '~'));
    assignment || command
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
pub(super) fn without_container<'l>(line: &'l str, prefix: &str) -> Option<&'l str> {
    let mut rest = line;
    for c in prefix.chars() {
        match c {
            '>' => rest = rest.trim_start_matches([' ', '\t']).strip_prefix('>')?,
            _ => rest = rest.strip_prefix([' ', '\t']).unwrap_or(rest),
        }
    }
    Some(rest)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::doc::parse;

    fn parse_str(text: &str) -> Runbook {
        parse(&Source::from_text(Path::new("t.md"), text.to_string()))
    }

    #[test]
    fn fence_geometry_in_containers() {
        let text = "> - ```bash\n>   q\n>   ```\n";
        let book = parse_str(text);
        let c = book.steps[0].command().unwrap();
        assert_eq!(c.fence.prefix, ">   ");
        assert!(c.fence.closed);
        assert_eq!(c.fence.insert_at as usize, text.len());
        assert_eq!(&*c.code, "q\n");
    }

    #[test]
    fn blocks_with_the_same_info_string_share_their_attributes() {
        let book = parse_str(
            "```bash {timeout=30s}\na\n```\n```bash\nb\n```\n\
             ```bash {timeout=30s}\nc\n```\n```bash {timeout=5s}\nd\n```\n\
             ```bash {timeout=}\ne\n```\n```bash {timeout=}\nf\n```\n",
        );
        let c: Vec<_> = book.steps.iter().filter_map(|s| s.command()).collect();
        assert_eq!(
            c.len(),
            4,
            "the two blocks with a bad attribute are not steps"
        );
        assert!(Arc::ptr_eq(&c[0].attrs, &c[2].attrs));
        assert!(!Arc::ptr_eq(&c[0].attrs, &c[1].attrs));
        assert_eq!(c[3].attrs.timeout, Some(std::time::Duration::from_secs(5)));
        assert_eq!(c[2].attrs.timeout, Some(std::time::Duration::from_secs(30)));
        assert_eq!(&*c[2].lang, "bash");
        // A bad info string is an error at every block that has it.
        let errors = book
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error);
        assert_eq!(errors.count(), 2, "{:?}", book.diagnostics);
    }

    #[test]
    fn fence_text_is_shared_for_runs_and_made_otherwise() {
        for text in ["", "```", "~~~~", "    ", "\t\t", "> ", " >", "`~"] {
            let made = FenceText::new(text);
            assert_eq!(made, text);
            assert_eq!(made.as_str(), text);
            assert_eq!(format!("{made}"), text);
        }
    }

    #[test]
    fn a_lone_carriage_return_ends_the_line_before_a_fence() {
        let book = parse_str("text\r```bash\nls\n```\n");
        let c = book.steps[0].command().unwrap();
        assert_eq!(c.fence.prefix, "");
        assert!(c.fence.closed);
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
    fn boxes_in_a_plain_fence_belong_to_the_task_around_it() {
        let text = "- [ ] Outer\n  ```\n  [ ] inner\n  - [x] done\n  ```\n";
        let book = parse_str(text);
        let found: Vec<_> = book
            .steps
            .iter()
            .map(|s| {
                (
                    s.text.as_str(),
                    s.parent(),
                    s.task().unwrap().in_fence.is_some(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("Outer", None, false),
                ("inner", Some(0), true),
                ("done", Some(0), true)
            ]
        );
        assert_eq!(book.steps[0].children[..], [1, 2]);
        assert_eq!(&text[book.steps[2].span()], "[x]");
    }

    #[test]
    fn danger_decides_what_the_guard_says() {
        let book = parse_str(
            "```bash\nrm -rf /tmp/x\n```\n```bash {danger=false}\nrm -rf dist\n```\n```bash {danger=true}\nls\n```\n",
        );
        let found: Vec<_> = book
            .steps
            .iter()
            .map(|s| s.command().unwrap().destructive().to_vec())
            .collect();
        assert_eq!(
            found,
            [
                vec!["rm -r".to_string()],
                vec![],
                vec!["marked danger".to_string()]
            ]
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
    fn prompt_lines_are_what_runs() {
        let book = parse_str("```bash\n$ echo a \\\n  b\nout a b\n$ ls\n```\n");
        assert_eq!(
            book.steps[0].command().unwrap().script(),
            "echo a \\\n  b\nls\n"
        );
    }
}
