//! The usual shape of a `runsheet:` section — `template`, `dotenv` and
//! `vars` of plain words, numbers, quoted strings and lists of them, in
//! block style — read without the YAML parser, which takes far longer and
//! several times the section's size in memory for a long host list. Any
//! line outside that shape gives `None`, and the YAML parser reads the
//! section: what this reads is exactly what the parser would.

use serde_json::{Map, Value};

/// What a section of the usual shape says.
#[derive(Debug, Default, PartialEq)]
pub struct Plain {
    pub template: Option<bool>,
    pub vars: Option<Map<String, Value>>,
    pub dotenv: Option<bool>,
}

/// `snippet` (from the `runsheet:` line up to the next top-level line), when
/// it has the usual shape.
pub fn read(snippet: &str) -> Option<Plain> {
    let mut lines = Lines::new(snippet.strip_prefix("runsheet:\n")?);
    let mut plain = Plain::default();
    let (indent, _) = lines.peek()?;
    if indent == 0 {
        return None;
    }
    while let Some((at, line)) = lines.next() {
        if at != indent {
            return None;
        }
        let (key, value) = line.split_once(':')?;
        match (key, value) {
            ("template", value) if plain.template.is_none() => {
                plain.template = Some(boolean(value.strip_prefix(' ')?)?);
            }
            ("dotenv", value) if plain.dotenv.is_none() => {
                plain.dotenv = Some(boolean(value.strip_prefix(' ')?)?);
            }
            ("vars", "") if plain.vars.is_none() => plain.vars = Some(vars(&mut lines, indent)?),
            _ => return None,
        }
    }
    lines.done().then_some(plain)
}

/// The lines of a snippet, each with its indentation; `None` (the end) at
/// anything this does not read: a blank line, a tab, a carriage return,
/// a comment, trailing spaces.
struct Lines<'s> {
    rest: &'s str,
    peeked: Option<Option<(usize, &'s str)>>,
}

impl<'s> Lines<'s> {
    fn new(text: &'s str) -> Self {
        Lines {
            rest: text,
            peeked: None,
        }
    }

    fn peek(&mut self) -> Option<(usize, &'s str)> {
        if self.peeked.is_none() {
            self.peeked = Some(self.read());
        }
        self.peeked.flatten()
    }

    fn next(&mut self) -> Option<(usize, &'s str)> {
        self.peeked.take().unwrap_or_else(|| self.read())
    }

    /// Whether every line was read: the snippet ended, not a line this
    /// does not read.
    fn done(&self) -> bool {
        self.rest.is_empty() && self.peeked.flatten().is_none()
    }

    fn read(&mut self) -> Option<(usize, &'s str)> {
        let end = memchr::memchr(b'\n', self.rest.as_bytes())?;
        let line = &self.rest[..end];
        let body = line.trim_start_matches(' ');
        if body.is_empty()
            || body.ends_with(' ')
            || body.starts_with('#')
            || body.bytes().any(|b| b == b'\t' || b == b'\r')
        {
            return None;
        }
        self.rest = &self.rest[end + 1..];
        Some((line.len() - body.len(), body))
    }
}

/// The `vars:` mapping under a key at `parent` indentation.
fn vars(lines: &mut Lines<'_>, parent: usize) -> Option<Map<String, Value>> {
    let mut map = Map::new();
    nested(lines, parent, |lines, indent, line| {
        let (name, value) = line.split_once(':')?;
        if !name_like(name) || map.contains_key(name) {
            return None;
        }
        let value = match value.strip_prefix(' ') {
            Some(value) => scalar(value)?,
            None if value.is_empty() => list(lines, indent)?,
            None => return None,
        };
        map.insert(name.to_string(), value);
        Some(())
    })?;
    Some(map)
}

/// A block list of scalars under a key at `parent` indentation.
fn list(lines: &mut Lines<'_>, parent: usize) -> Option<Value> {
    let mut items = Vec::new();
    nested(lines, parent, |_, _, line| {
        items.push(scalar(line.strip_prefix("- ")?)?);
        Some(())
    })?;
    // The list is kept as long as the runbook: without the room its
    // growth left (up to as much again, for a list of thousands of hosts).
    items.shrink_to_fit();
    Some(Value::Array(items))
}

/// The lines nested under a key at `parent` indentation, all at the first
/// one's, each given to `each` with the lines (what is nested under it is
/// its to read) and that indentation. `None` when nothing is nested, a
/// line is deeper than the first, `each` refuses one, or the reading
/// stopped at a line this does not read.
fn nested<'s>(
    lines: &mut Lines<'s>,
    parent: usize,
    mut each: impl FnMut(&mut Lines<'s>, usize, &'s str) -> Option<()>,
) -> Option<()> {
    let (indent, _) = lines.peek()?;
    if indent <= parent {
        return None;
    }
    while let Some((at, line)) = lines.peek() {
        if at < indent {
            // Back to the keys above; anything not at their level is
            // refused there.
            break;
        }
        lines.next();
        if at != indent {
            return None;
        }
        each(lines, indent, line)?;
    }
    // A line that stopped the reading, rather than the snippet's end, is
    // read again by the caller only when it is at the section's level.
    (lines.done() || lines.peek().is_some()).then_some(())
}

/// A name as a plain key: letters, digits and `_`, not starting with a digit.
fn name_like(name: &str) -> bool {
    name.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn boolean(value: &str) -> Option<bool> {
    match value {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A scalar that reads one way only: a word that cannot be a number, a
/// boolean or null; a decimal integer; a quoted string without escapes.
fn scalar(text: &str) -> Option<Value> {
    let bytes = text.as_bytes();
    match *bytes.first()? {
        b'"' | b'\'' => {
            let quote = bytes[0];
            let inner = text[1..].strip_suffix(quote as char)?;
            if inner.bytes().any(|b| b == quote || b == b'\\' || b < b' ')
                || inner.chars().any(char::is_control)
            {
                return None;
            }
            Some(Value::String(inner.to_string()))
        }
        b'-' | b'0'..=b'9' => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            // At most 18 digits: any such number fits in an i64.
            if digits.is_empty()
                || digits.len() > 18
                || (digits.len() > 1 && digits.starts_with('0'))
                || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let n: i64 = text.parse().ok()?;
            Some(if n < 0 {
                Value::from(n)
            } else {
                Value::from(n.unsigned_abs())
            })
        }
        b if b.is_ascii_alphabetic() => {
            let word = bytes
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'));
            // Words YAML or a float parser could read as something else,
            // in any case.
            let special = ["true", "false", "null", "yes", "no", "on", "off", "y", "n"]
                .iter()
                .any(|w| text.eq_ignore_ascii_case(w))
                || bytes.get(..3).is_some_and(|p| {
                    p.eq_ignore_ascii_case(b"inf") || p.eq_ignore_ascii_case(b"nan")
                });
            (word && !special).then(|| Value::String(text.to_string()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the YAML parser reads from `snippet`, in the same terms.
    fn parsed(snippet: &str) -> Option<Plain> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Section {
            template: Option<bool>,
            vars: Option<Map<String, Value>>,
            dotenv: Option<bool>,
        }
        #[derive(serde::Deserialize)]
        struct Wrapper {
            runsheet: Option<Section>,
        }
        let w: Wrapper = serde_norway::from_str(snippet).ok()?;
        let s = w.runsheet?;
        Some(Plain {
            template: s.template,
            vars: s.vars,
            dotenv: s.dotenv,
        })
    }

    #[test]
    fn the_usual_shape_is_read_as_the_yaml_parser_reads_it() {
        let mut snippet = String::from(
            "runsheet:\n  template: true\n  vars:\n    service: web\n    version: \"1.4.2\"\n    \
             n: 3\n    neg: -12\n    quoted: 'a b: c # d'\n    hosts:\n      - host-00001\n      - \"h 2\"\n      - 7\n  dotenv: false\n",
        );
        let plain = read(&snippet).expect("the usual shape");
        assert_eq!(Some(&plain), parsed(&snippet).as_ref());
        assert_eq!(plain.vars.as_ref().map(Map::len), Some(6));
        for i in 0..1000 {
            snippet.push_str(&format!("      - host-{i:05}\n"));
        }
        snippet = snippet.replace("  dotenv: false\n", "") + "  dotenv: true\n";
        let plain = read(&snippet).expect("a long list");
        assert_eq!(Some(&plain), parsed(&snippet).as_ref());
    }

    /// Every scalar and layout the shortcut might get wrong: it either
    /// reads what the YAML parser reads, or leaves the section to it.
    #[test]
    fn anything_else_is_left_to_the_yaml_parser() {
        let scalars = [
            "web",
            "1.4.2",
            "\"1.4.2\"",
            "'x'",
            "12",
            "-3",
            "0",
            "-0",
            "007",
            "0x1F",
            "0o17",
            "1e3",
            "1_000",
            "+5",
            "true",
            "True",
            "TRUE",
            "false",
            "yes",
            "No",
            "on",
            "off",
            "y",
            "n",
            "null",
            "Null",
            "~",
            "",
            "inf",
            "Infinity",
            "nan",
            "NaN",
            ".inf",
            ".nan",
            "a b",
            "a: b",
            "a #b",
            "a#b",
            "[a, b]",
            "{a: b}",
            "&x a",
            "*x",
            "!!str 1",
            "|",
            ">",
            "\"a\\nb\"",
            "'it''s'",
            "\"\"",
            "''",
            "\"a\"b\"",
            "-",
            "- a",
            "é",
            "a.b/c-d_e",
            "999999999999999999",
            "9999999999999999999",
            "-999999999999999999",
            "1.",
            "ab:",
            "\"\t\"",
            "@x",
            "`x`",
            "%x",
            "a\"",
            "x'",
        ];
        let layouts = [
            "runsheet:\n  vars:\n    k: S\n",
            "runsheet:\n  vars:\n    k:\n      - S\n      - S\n",
            "runsheet:\n  vars:\n    k:\n    - S\n",
            "runsheet:\n  template: S\n",
            "runsheet:\n  dotenv: S\n",
            "runsheet:\n  vars:\n    k: S\n    k: S\n",
            "runsheet:\n  vars:\n    k: S\n   j: S\n",
            "runsheet:\n  vars:\n    k: S\n      j: S\n",
            "runsheet:\n  vars:\n    k: S\n  other: S\n",
            "runsheet:\n  vars:\n    k: S\n\n    j: S\n",
            "runsheet:\n  vars:\n    k: S\n    # c\n    j: S\n",
            "runsheet:\n  vars:\n    k: S \n",
            "runsheet:\n  vars:\n    k: S\r\n",
            "runsheet:\n\tvars:\n    k: S\n",
            "runsheet:\n  vars:\n    1k: S\n",
            "runsheet:\n  vars:\n    \"k\": S\n",
            "runsheet:\n  vars:\n  k: S\n",
            "runsheet:\n  vars: {k: S}\n",
            "runsheet:\n  vars:\n    k:\n      - S\n    j: S\n  template: true\n",
            "runsheet:\n  vars:\n    k:\n      - S\n     - S\n",
            "runsheet:\n  vars:\n    k:\n      -S\n",
            "runsheet: {template: true}\n",
            "runsheet:\n",
            "runsheet:\n  vars:\n",
            "runsheet:\n  vars:\n    k: S",
        ];
        let mut read_here = 0;
        for layout in layouts {
            for s in scalars {
                let snippet = layout.replace('S', s);
                if let Some(plain) = read(&snippet) {
                    read_here += 1;
                    assert_eq!(Some(plain), parsed(&snippet), "{snippet:?}");
                }
            }
        }
        assert!(read_here >= 30, "the shortcut read only {read_here}");
    }
}
