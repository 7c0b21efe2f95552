//! Block tags on a line of their own: such a line leaves nothing behind, and
//! a tag that shares its line with other text leaves that line as it is.
//!
//! minijinja's `trim_blocks` and `lstrip_blocks` act on every block tag, so
//! `echo apply{% if dry_run %} --dry-run{% endif %}` lost its line break and
//! the next command was joined to it. They are off; instead, before the
//! template is compiled, the whitespace of each line made only of block tags
//! and comments — its indentation, what is between its tags, and its line
//! break — is moved inside a tag of that line, where the engine ignores it.
//! Nothing is added or taken away, so every offset after the line, and every
//! line and column an error points at, stays where the author wrote it.

use std::borrow::Cow;
use std::ops::Range;

use super::strings::string_end;

/// A block tag or comment of a line.
struct Tag {
    /// `{%` or `{#`, with the whitespace marker after it (`{%-`).
    open: Range<usize>,
    /// `%}` or `#}`, with the whitespace marker before it (`-%}`).
    close: Range<usize>,
    /// Written `{%+`: its indentation is kept.
    keep_before: bool,
    /// Written `+%}`: its line break is kept.
    keep_after: bool,
}

/// `text` with the whitespace of every line made only of block tags and
/// comments moved inside them; borrowed when there is none.
pub fn rewrite(text: &str) -> Cow<'_, str> {
    let moves = moves(text);
    if moves.is_empty() {
        return text.into();
    }
    let mut bytes = text.as_bytes().to_vec();
    for (start, mid, end) in moves {
        bytes[start..end].rotate_left(mid - start);
    }
    String::from_utf8(bytes)
        .expect("only ASCII whitespace and tag delimiters were moved")
        .into()
}

/// A place where `start..mid` and `mid..end` change places.
type Move = (usize, usize, usize);

/// The moves that put the whitespace of each line of only tags inside them.
fn moves(text: &str) -> Vec<Move> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut line = Line::default();
    let mut at = 0;
    while let Some(rel) = memchr::memchr2(b'{', b'\n', &bytes[at..]) {
        let next = at + rel;
        line.text(&bytes[at..next]);
        if bytes[next] == b'\n' {
            line.end(next + 1, &mut found);
            at = next + 1;
            continue;
        }
        let Some(tag) = tag(text, next) else {
            // `{` alone, or a tag that never closes: the engine says so.
            match bytes.get(next + 1) {
                Some(b'{' | b'%' | b'#') => return found,
                _ => {
                    line.has_text = true;
                    at = next + 1;
                    continue;
                }
            }
        };
        match tag {
            Found::Value(end) => {
                line.has_text = true;
                at = end;
            }
            Found::Block(tag) => {
                at = tag.close.end;
                line.tags.push(tag);
            }
            Found::Raw(raw, content, endraw) => {
                line.tags.push(raw);
                // What is between `{% raw %}` and `{% endraw %}` is text.
                let mut from = content.start;
                for nl in memchr::memchr_iter(b'\n', &bytes[content.clone()]) {
                    let nl = content.start + nl;
                    line.text(&bytes[from..nl]);
                    line.end(nl + 1, &mut found);
                    from = nl + 1;
                }
                line.text(&bytes[from..content.end]);
                at = endraw.close.end;
                line.tags.push(endraw);
            }
        }
    }
    line.text(&bytes[at..]);
    line.end(bytes.len(), &mut found);
    found
}

/// The line being read.
#[derive(Default)]
struct Line {
    start: usize,
    /// Something other than whitespace, block tags and comments is on it.
    has_text: bool,
    tags: Vec<Tag>,
}

impl Line {
    /// Text outside tags, on this line.
    fn text(&mut self, text: &[u8]) {
        if !self.has_text && text.iter().any(|&b| !matches!(b, b' ' | b'\t' | b'\r')) {
            self.has_text = true;
        }
    }

    /// The line ends before `end` (after its line break, or at the end of
    /// the text): when it held only tags, its whitespace goes into them.
    fn end(&mut self, end: usize, found: &mut Vec<Move>) {
        if !self.has_text
            && let (Some(first), Some(last)) = (self.tags.first(), self.tags.last())
        {
            if first.open.start > self.start && !first.keep_before {
                found.push((self.start, first.open.start, first.open.end));
            }
            for pair in self.tags.windows(2) {
                let (tag, next) = (&pair[0], &pair[1]);
                if next.open.start > tag.close.end && !tag.keep_after {
                    found.push((tag.close.start, tag.close.end, next.open.start));
                }
            }
            if end > last.close.end && !last.keep_after {
                found.push((last.close.start, last.close.end, end));
            }
        }
        *self = Line {
            start: end,
            ..Line::default()
        };
    }
}

/// What starts with a `{`.
enum Found {
    /// `{{ … }}`, ending where given: text, as far as lines go.
    Value(usize),
    /// `{% … %}` or `{# … #}`.
    Block(Tag),
    /// `{% raw %}`, what it holds, and its `{% endraw %}`.
    Raw(Tag, Range<usize>, Tag),
}

/// The tag that starts at `open` (a `{`), as the engine reads it; `None`
/// when it is no tag, or never closes.
fn tag(text: &str, open: usize) -> Option<Found> {
    let bytes = text.as_bytes();
    let kind = *bytes.get(open + 1)?;
    let marker = bytes.get(open + 2).copied();
    let open_end = open + 2 + usize::from(matches!(marker, Some(b'-' | b'+')));
    let keep_before = marker == Some(b'+');
    match kind {
        b'{' => Some(Found::Value(close(text, open_end, b"}}")?)),
        b'#' => {
            // A comment ends at the first `#}`, whatever it holds.
            let end = open_end + memchr::memmem::find(&bytes[open_end..], b"#}")? + 2;
            let close_start = match bytes[end - 3] {
                b'-' | b'+' if end - 3 >= open_end => end - 3,
                _ => end - 2,
            };
            Some(Found::Block(Tag {
                open: open..open_end,
                close: close_start..end,
                keep_before,
                keep_after: bytes[end - 3] == b'+' && end - 3 >= open_end,
            }))
        }
        b'%' => {
            let end = close(text, open_end, b"%}")?;
            let block = block(bytes, open..open_end, end, keep_before);
            if named(&text[open_end..block.close.start], "raw") {
                let (content_end, endraw) = endraw(text, end)?;
                return Some(Found::Raw(block, end..content_end, endraw));
            }
            Some(Found::Block(block))
        }
        _ => None,
    }
}

/// A block tag whose delimiters are `open` and the `%}` ending at `end`.
fn block(bytes: &[u8], open: Range<usize>, end: usize, keep_before: bool) -> Tag {
    let before = bytes[end - 3];
    let marked = matches!(before, b'-' | b'+') && end - 3 >= open.end;
    Tag {
        close: if marked { end - 3..end } else { end - 2..end },
        open,
        keep_before,
        keep_after: marked && before == b'+',
    }
}

/// Whether the inside of a block tag is the bare word `name` (`raw`).
fn named(inside: &str, name: &str) -> bool {
    inside.trim_ascii() == name
}

/// Where the `{% endraw %}` after `from` begins, and the tag itself: the
/// first `{%` that is one, as the engine finds it.
fn endraw(text: &str, from: usize) -> Option<(usize, Tag)> {
    let bytes = text.as_bytes();
    let mut at = from;
    loop {
        let open = at + memchr::memmem::find(&bytes[at..], b"{%")?;
        let marker = bytes.get(open + 2).copied();
        let open_end = open + 2 + usize::from(matches!(marker, Some(b'-' | b'+')));
        let rest = text[open_end..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        if let Some(after) = rest.strip_prefix("endraw") {
            let after = after.trim_start_matches(|c: char| c.is_ascii_whitespace());
            let after = after.strip_prefix(['-', '+']).unwrap_or(after);
            if after.starts_with("%}") {
                let end = text.len() - after.len() + 2;
                return Some((
                    open,
                    block(bytes, open..open_end, end, marker == Some(b'+')),
                ));
            }
        }
        at = open + 2;
    }
}

/// The end of the tag whose inside starts at `from`: just after the first
/// `delimiter` outside strings and brackets.
fn close(text: &str, from: usize, delimiter: &[u8; 2]) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = from;
    while i < bytes.len() {
        if depth == 0 && bytes[i..].starts_with(delimiter) {
            return Some(i + 2);
        }
        if let Some(end) = string_end(bytes, i, bytes.len()) {
            i = end;
            continue;
        }
        match bytes[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lines_of_tags_give_their_whitespace_to_them() {
        let cases = [
            // Alone on its line: the indentation and line break go inside.
            ("{% if a %}\nx\n", "{% if a \n%}x\n"),
            ("  {% if a %}  \nx\n", "{%   if a   \n%}x\n"),
            ("x\n{% endif %}", "x\n{% endif %}"),
            ("{# note #}\r\nx", "{# note \r\n#}x"),
            ("{%- if a -%}\n", "{%- if a \n-%}"),
            ("{% if a %} {% if b %}\n", "{% if a  %}{% if b \n%}"),
            // With other text on the line: left as it is.
            (
                "echo a{% if b %} c{% endif %}\n",
                "echo a{% if b %} c{% endif %}\n",
            ),
            (
                "  {% filter upper %}x{% endfilter %}\n",
                "  {% filter upper %}x{% endfilter %}\n",
            ),
            ("{% if a %}{{ b }}\n", "{% if a %}{{ b }}\n"),
            // Explicit `+` keeps what it says.
            ("  {%+ if a +%}\n", "  {%+ if a +%}\n"),
            // Strings and brackets in a tag.
            ("{% set x = \"%}\" %}\ny", "{% set x = \"%}\" \n%}y"),
            (
                "{% set x = {\"a\": {\"b\": 1}} %}\ny",
                "{% set x = {\"a\": {\"b\": 1}} \n%}y",
            ),
            // What a raw block holds is text; its own tags alone on their
            // lines go as any other.
            (
                "{% raw %}\n{% if %}\n  {% endraw %}\n",
                "{% raw \n%}{% if %}\n{%   endraw \n%}",
            ),
            (
                "a{% raw %}{% if %}\n{% endraw %}b\n",
                "a{% raw %}{% if %}\n{% endraw %}b\n",
            ),
            // A tag that never closes is left to the engine.
            ("{% if a %}\n{# open\n", "{% if a \n%}{# open\n"),
        ];
        for (text, want) in cases {
            assert_eq!(rewrite(text), want, "{text:?}");
        }
    }
}
