//! A render's errors as compiler-style diagnostics: file:line:column in the
//! file the author wrote (front matter included), a caret, and a hint.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use minijinja::ErrorKind;

use super::engine::{FILTERS, OUTSIDE};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::Source;

/// The files of one render, to point into.
pub struct Files<'a> {
    /// The runbook, as read from disk.
    pub main: &'a Source,
    /// The template name the runbook was rendered under.
    pub main_name: String,
    /// Bytes taken out of the runbook before rendering.
    pub cut: Option<Range<usize>>,
    /// Included files, by name, and the folder they are relative to.
    pub included: BTreeMap<String, String>,
    pub dir: std::path::PathBuf,
    /// Variable names the render had, for "did you mean".
    pub names: Vec<String>,
    /// Names that have a stand-in in this render (see `every_unset`): set,
    /// for finding which name in an expression is not, but never suggested.
    pub standing: Vec<String>,
    /// Where a variable may be set, for the hint: `envs/prod.toml`.
    pub env_file: Option<String>,
}

impl Files<'_> {
    /// A diagnostic at byte `offset` of template `name` (as rendered).
    pub fn at(
        &self,
        name: &str,
        offset: usize,
        message: String,
        hint: Option<String>,
    ) -> Diagnostic {
        self.at_severity(Severity::Error, name, offset, message, hint)
    }

    /// `at` with a severity.
    pub fn at_severity(
        &self,
        severity: Severity,
        name: &str,
        offset: usize,
        message: String,
        hint: Option<String>,
    ) -> Diagnostic {
        if name == self.main_name {
            let offset = match &self.cut {
                Some(cut) if offset >= cut.start => offset + cut.len(),
                _ => offset,
            };
            return self.main.diagnostic(severity, offset, message, hint);
        }
        let text = self.included.get(name).cloned().unwrap_or_default();
        let path = self.dir.join(name);
        Source::from_text(&path, text).diagnostic(severity, offset, message, hint)
    }

    /// The text of template `name` (as rendered).
    fn text(&self, name: &str) -> String {
        if name == self.main_name {
            let mut text = self.main.text.clone();
            if let Some(cut) = &self.cut {
                text.replace_range(cut.clone(), "");
            }
            return text;
        }
        self.included.get(name).cloned().unwrap_or_default()
    }
}

/// "did you mean" for `word` among `candidates`.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, c)| *score > 0.8 && *c != word)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The diagnostic for a render that failed with `error`, and the name of
/// the variable it lacked when what failed is a variable that is not set
/// (`replicas`, not `cfg.replicas` of a `cfg` that is).
pub fn diagnostic(error: &minijinja::Error, files: &Files<'_>) -> (Diagnostic, Option<String>) {
    // Errors in included files come wrapped, one layer per include.
    let mut chain: Vec<&minijinja::Error> = vec![error];
    let mut cause = std::error::Error::source(error);
    while let Some(c) = cause {
        match c.downcast_ref::<minijinja::Error>() {
            Some(e) => chain.push(e),
            None => break,
        }
        cause = c.source();
    }
    // An include that comes back to a file already being included.
    let includes: Vec<&str> = chain
        .iter()
        .filter(|e| e.kind() == ErrorKind::BadInclude)
        .filter_map(|e| e.name())
        .collect();
    for (i, name) in includes.iter().enumerate() {
        if includes[..i].contains(name) {
            let mut cycle: Vec<&str> =
                includes[includes[..i].iter().position(|n| n == name).unwrap_or(0)..=i].to_vec();
            cycle.dedup();
            let first = chain
                .iter()
                .find(|e| e.name() == Some(name))
                .copied()
                .unwrap_or(error);
            let at = first.range().map_or(0, |r| r.start);
            let shown = files.at(
                first.name().unwrap_or(&files.main_name),
                at,
                format!("an include cycle: {}", cycle.join(" → ")),
                Some("a file may not include itself, directly or through others".into()),
            );
            return (shown, None);
        }
    }
    let inner = chain
        .iter()
        .rev()
        .find(|e| e.name().is_some() && e.range().is_some())
        .copied()
        .unwrap_or(error);
    let name = inner.name().unwrap_or(&files.main_name);
    let mut range = inner.range().unwrap_or(0..0);
    let text = files.text(name);
    let mut expr = text.get(range.clone()).unwrap_or("").trim().to_string();
    let detail = inner.detail().unwrap_or("").to_string();
    if inner.kind() == ErrorKind::UndefinedError
        && let Some(operand) = filtered(&text, &range)
    {
        // The span is the filter an undefined value went through
        // (`env.TOKEN | upper`): the value is what is undefined.
        expr = text[operand.clone()].to_string();
        range = operand;
    }
    // `{{ replicas + 1 }}` with `replicas` not set: minijinja calls it an
    // operation on undefined; it is the variable that is missing.
    let operand = inner.kind() == ErrorKind::InvalidOperation && detail.contains("undefined");
    let mut not_set = inner.kind() == ErrorKind::UndefinedError;
    if (not_set || operand)
        && let Some((at, word)) = culprit(&expr, files, operand)
    {
        not_set = true;
        // The span covers a whole statement (`if replicas == 3`): point at
        // the name that is not defined.
        let lead = text
            .get(range.clone())
            .map_or(0, |t| t.len() - t.trim_start().len());
        range.start += lead + at;
        expr = word;
    }
    if inner.kind() == ErrorKind::SyntaxError
        && text
            .get(range.start..)
            .is_none_or(|rest| rest.trim().is_empty())
        && let Some((open, what)) = unclosed(&text)
    {
        // The lexer reached the end of the file looking for what closes
        // something: the place to show is where that opened.
        let (message, hint) = match what {
            Unclosed::Comment => (
                "`{#` opens a template comment that is never closed with `#}`",
                "text that only looks like one, such as bash's `${#arr[@]}` or `${#name}`, can go \
                 inside {% raw %}...{% endraw %}",
            ),
            Unclosed::Raw => (
                "`{% raw %}` is never closed with `{% endraw %}`",
                "everything after it up to `{% endraw %}` is kept as written; add it where the \
                 text to keep ends",
            ),
            Unclosed::Tag => (
                "this tag is never closed (`}}` or `%}`)",
                "close it where it ends; text that only looks like a tag can go inside \
                 {% raw %}...{% endraw %}",
            ),
            Unclosed::Quote => (
                "this quote opens a string inside a tag that is never closed",
                "add the closing quote; a quote that is meant as a character goes inside \
                 another kind of quotes (\"it's\")",
            ),
        };
        let shown = files.at(
            name,
            open,
            format!("template syntax error: {message}"),
            Some(hint.into()),
        );
        return (shown, None);
    }
    let mut missing = None;
    let (message, mut hint) = match inner.kind() {
        _ if not_set => {
            let (message, hint, root) = undefined(&expr, &detail, files);
            missing = root;
            (message, hint)
        }
        ErrorKind::UnknownFilter => {
            let filter = detail
                .strip_prefix("filter ")
                .and_then(|d| d.strip_suffix(" is unknown"))
                .unwrap_or(&expr)
                .to_string();
            (
                format!("unknown filter `{filter}`"),
                did_you_mean(&filter, FILTERS.iter().copied())
                    .map(|f| format!("did you mean `{f}`?")),
            )
        }
        ErrorKind::UnknownFunction => (
            format!("unknown function: {detail}"),
            Some(
                "the functions runsheet adds are now() and the Jinja built-ins (range, dict...)"
                    .into(),
            ),
        ),
        ErrorKind::SyntaxError => (
            format!("template syntax error: {detail}"),
            Some(
                "template tags are {{ value }}, {% if ... %}...{% endif %} and {# comment #}; \
                  text that only looks like one can go inside {% raw %}...{% endraw %}"
                    .into(),
            ),
        ),
        ErrorKind::TemplateNotFound => {
            let missing = detail
                .rsplit('\'')
                .nth(1)
                .unwrap_or(detail.as_str())
                .to_string();
            (
                format!("there is no file `{missing}` to include"),
                Some(format!(
                    "includes are read relative to the runbook's folder ({})",
                    display_dir(&files.dir)
                )),
            )
        }
        _ if detail.contains(OUTSIDE) => (
            format!("this includes a file {OUTSIDE}"),
            Some("includes may only read files in the runbook's folder and below".into()),
        ),
        _ if detail.contains("recursion limit") => (
            "the template calls itself without end (recursion limit)".into(),
            None,
        ),
        kind => (
            if detail.is_empty() {
                format!("{kind}")
            } else {
                detail.clone()
            },
            None,
        ),
    };
    if inner.kind() == ErrorKind::UndefinedError && in_dollar_tag(&text, range.start) {
        // `${{ secrets.TOKEN }}`: a CI system's expression, not a value.
        hint = Some(
            "`${{ ... }}` is GitHub Actions' syntax (and other CI systems'), not a value of this \
             template: put it inside {% raw %}...{% endraw %} to keep it as written"
                .into(),
        );
    }
    (files.at(name, range.start, message, hint), missing)
}

/// Whether `at` is inside a `{{ … }}` written right after a `$`.
fn in_dollar_tag(text: &str, at: usize) -> bool {
    let Some(before) = text.get(..at) else {
        return false;
    };
    before
        .rfind("{{")
        .is_some_and(|open| !before[open..].contains("}}") && before[..open].ends_with('$'))
}

/// What a template leaves open at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unclosed {
    Comment,
    Raw,
    Tag,
    Quote,
}

/// What the template leaves open at its end, and where it opens, read as
/// the template lexer reads it: a comment, a raw block, a tag, or a string
/// inside a tag.
fn unclosed(text: &str) -> Option<(usize, Unclosed)> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(open) = memchr::memchr(b'{', &bytes[from..]).map(|i| from + i) {
        match bytes.get(open + 1) {
            Some(b'#') => match text[open + 2..].find("#}") {
                Some(end) => from = open + 2 + end + 2,
                None => return Some((open, Unclosed::Comment)),
            },
            Some(b'{' | b'%') => {
                let close: &[u8] = if bytes[open + 1] == b'{' {
                    b"}}"
                } else {
                    b"%}"
                };
                let inner = tag_inside(&text[open + 2..]);
                let raw = bytes[open + 1] == b'%'
                    && inner.starts_with("raw")
                    && !inner[3..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
                let mut i = open + 2;
                loop {
                    if let Some((after, closed)) = super::strings::string(bytes, i, bytes.len()) {
                        if !closed {
                            return Some((i, Unclosed::Quote));
                        }
                        i = after;
                        continue;
                    }
                    if i >= bytes.len() {
                        return Some((open, Unclosed::Tag));
                    }
                    if bytes[i..].starts_with(close) {
                        break;
                    }
                    i += 1;
                }
                from = i + 2;
                if raw {
                    match endraw(text, from) {
                        Some(end) => from = end,
                        None => return Some((open, Unclosed::Raw)),
                    }
                }
            }
            _ => from = open + 1,
        }
    }
    None
}

/// What a tag holds after its opening `{%` or `{{`: one whitespace-control
/// sign (`-` or `+`) and the spaces after it taken off, as the lexer does.
fn tag_inside(after_open: &str) -> &str {
    after_open
        .strip_prefix(['-', '+'])
        .unwrap_or(after_open)
        .trim_start()
}

/// Where the `{% endraw %}` tag after `from` ends.
fn endraw(text: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(open) = text[at..].find("{%").map(|i| at + i) {
        let inner = tag_inside(&text[open + 2..]);
        if let Some(rest) = inner.strip_prefix("endraw") {
            let rest = rest.trim_start();
            let close = rest.strip_prefix(['-', '+']).unwrap_or(rest);
            if close.starts_with("%}") {
                return Some(text.len() - close.len() + 2);
            }
        }
        at = open + 2;
    }
    None
}

fn display_dir(dir: &Path) -> String {
    let shown = dir.display().to_string();
    if shown.is_empty() { ".".into() } else { shown }
}

/// Words of a tag's statements and tests, never a variable.
const KEYWORDS: &[&str] = &[
    "if",
    "elif",
    "else",
    "for",
    "in",
    "not",
    "and",
    "or",
    "is",
    "set",
    "with",
    "true",
    "false",
    "none",
    "True",
    "False",
    "None",
    "loop",
    "recursive",
    "defined",
    "undefined",
];

/// In a statement's text (`if replicas == 3`), the first name it reads that
/// no variable gives: its offset and the name (`env.X` as a whole). None
/// when the text is one expression already, or every name is known.
fn culprit(expr: &str, files: &Files<'_>, anywhere: bool) -> Option<(usize, String)> {
    let first: String = expr
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if !anywhere && !KEYWORDS.contains(&first.as_str()) {
        return None;
    }
    let bytes = expr.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            i += if b == b'\\' { 2 } else { 1 };
            if b == q {
                quote = None;
            }
            continue;
        }
        if b == b'"' || b == b'\'' {
            quote = Some(b);
            i += 1;
            continue;
        }
        if !(b.is_ascii_alphabetic() || b == b'_') || (i > 0 && word(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let end = bytes[i..]
            .iter()
            .position(|&b| !word(b))
            .map_or(bytes.len(), |n| i + n);
        let name = &expr[i..end];
        let before = expr[..i].trim_end();
        let after = expr[end..].trim_start();
        let attribute = before.ends_with('.');
        let filter_or_test =
            before.ends_with('|') || before.ends_with(" is") || before.ends_with(" is not");
        let called = after.starts_with('(');
        if !(attribute || filter_or_test || called || KEYWORDS.contains(&name)) {
            if name == "env" {
                if after.starts_with('.') || after.starts_with('[') {
                    let tail: String = after
                        .chars()
                        .take_while(|c| {
                            c.is_ascii_alphanumeric()
                                || matches!(c, '_' | '.' | '[' | ']' | '"' | '\'')
                        })
                        .collect();
                    return Some((i, format!("env{tail}")));
                }
                if !files.names.iter().any(|n| n == "environment") {
                    return Some((i, super::envname::ALIAS.to_string()));
                }
            } else if !files.names.iter().chain(&files.standing).any(|n| n == name)
                && !bound(files, name)
            {
                return Some((i, name.to_string()));
            }
        }
        i = end;
    }
    None
}

/// When `range` of `text` is a filter's name (`{{ env.TOKEN | upper }}`),
/// where the value it filters is: from the tag's start to the first `|`,
/// trimmed.
fn filtered(text: &str, range: &std::ops::Range<usize>) -> Option<std::ops::Range<usize>> {
    let before = text.get(..range.start)?.trim_end();
    let pipe = before.strip_suffix('|')?.len();
    let open = before[..pipe]
        .rfind("{{")
        .or_else(|| before[..pipe].rfind("{%"))?
        + 2;
    let tag = &text[open..pipe];
    if tag.contains("}}") || tag.contains("%}") {
        return None;
    }
    let operand = tag.split('|').next().unwrap_or("");
    let start = open + operand.len()
        - operand
            .trim_start_matches(['-', '+', ' ', '\t', '\n'])
            .len();
    let end = open + operand.trim_end().len();
    (start < end).then_some(start..end)
}

/// Whether a tag of the runbook binds `name` itself: a loop variable, a
/// `set`, a macro's parameter.
fn bound(files: &Files<'_>, name: &str) -> bool {
    let text = files.text(&files.main_name);
    [
        format!("for {name} "),
        format!("for {name},"),
        format!(", {name} in "),
        format!("set {name} "),
        format!("set {name}="),
        format!("({name}"),
        format!(", {name})"),
        format!(", {name},"),
    ]
    .iter()
    .any(|p| text.contains(p.as_str()))
}

/// The message and hint for an undefined `expr` (`replicas`, `cfg.x`,
/// `env.HOME`), and the variable's name when it is one that is not set.
fn undefined(
    expr: &str,
    detail: &str,
    files: &Files<'_>,
) -> (String, Option<String>, Option<String>) {
    // minijinja names the expression: "`cfg.replica` is undefined".
    let expr = detail
        .strip_prefix('`')
        .and_then(|d| d.split_once("` is undefined"))
        .map_or(expr, |(e, _)| e);
    let root: String = expr
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if root == super::envname::ALIAS || expr == "env" {
        return (
            "`env` alone is the name of the environment, and none was chosen".into(),
            Some(
                "give --env NAME (`runsheet envs FILE` lists them), or set `environment` in the \
                 front matter's vars"
                    .into(),
            ),
            None,
        );
    }
    if root == "env" {
        let var = expr
            .trim_start_matches("env")
            .trim_start_matches(['.', '[', '"', '\''])
            .trim_end_matches([']', '"', '\''])
            .to_string();
        return (
            format!("the environment variable `{var}` is not set"),
            Some(format!(
                "export {var}=... before running, or put it in a .env file beside the runbook (runsheet: {{dotenv: true}})"
            )),
            None,
        );
    }
    let known = files.names.contains(&root);
    if !known || root == expr {
        let mut hint = did_you_mean(&root, files.names.iter().map(String::as_str))
            .map(|n| format!("did you mean `{n}`? "))
            .unwrap_or_default();
        match &files.env_file {
            Some(file) => hint.push_str(&format!("set it in {file} or with --var {root}=...")),
            None => hint.push_str(&format!(
                "set it under `runsheet: {{vars: ...}}` in the front matter, in an environment file (--env), or with --var {root}=..."
            )),
        }
        return (
            format!("undefined variable `{root}`"),
            Some(hint),
            (!root.is_empty()).then_some(root),
        );
    }
    (
        format!("`{expr}` is undefined: `{root}` has no such key or item"),
        Some(format!("check the keys of `{root}` in the variables")),
        None,
    )
}
