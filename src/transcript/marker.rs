//! Marker comments: `<!--rs:KIND key=value ...-->`, and their values escaped so
//! that nothing inside can end the comment or break a line.

use std::ops::Range;

/// Prefix of every opening marker.
pub const OPEN: &str = "<!--rs:";
/// Prefix of every closing marker.
pub const CLOSE: &str = "<!--/rs:";

/// How many closing markers `text` holds, found by a vectorised search: a
/// reading sizes what it collects by it.
pub fn closing_markers(text: &str) -> usize {
    memchr::memmem::find_iter(text.as_bytes(), CLOSE).count()
}

/// Builds an opening marker.
pub fn open(kind: &str, attrs: &[(&str, String)]) -> String {
    // Sized up front: a transcript holds a marker for every step.
    let size = attrs
        .iter()
        .map(|(k, v)| k.len() + v.len() + 2)
        .sum::<usize>();
    let mut out = String::with_capacity(OPEN.len() + kind.len() + size + 3);
    out.push_str(OPEN);
    out.push_str(kind);
    for (key, value) in attrs {
        attr_onto(&mut out, key, value);
    }
    out.push_str("-->");
    out
}

/// ` key=value`, the value encoded, onto the end of an opening marker being
/// written: what `open` writes for each attribute. The value of a
/// [list](LISTS) is written as it is: its items are encoded already.
pub fn attr_onto(out: &mut String, key: &str, value: &str) {
    out.push(' ');
    out.push_str(key);
    out.push('=');
    if LISTS.contains(&key) {
        out.push_str(value);
    } else {
        encode_into(out, value);
    }
}

/// Attributes that hold a list, comma-separated, of items or `name=value`
/// pairs, each item (each side of a pair) encoded on its own, `,` too (see
/// [`item`]): the list is written with nothing encoded again, and read by
/// splitting what is written before anything is decoded, so that a `,` or
/// `=` inside an item stays inside it. (A transcript written before
/// lists were written so encoded each list again as a whole; reading
/// tells the two apart: see `attrs::pairs`.)
pub const LISTS: &[&str] = &["vars", "secret_sha256", "fills", "fills-from-file"];

/// One item of a [list](LISTS), or one side of a `name=value` pair in
/// one: encoded, commas too.
pub fn item(text: &str) -> String {
    encode(text).replace(',', "%2C")
}

/// Builds a closing marker.
pub fn close(kind: &str) -> String {
    format!("{CLOSE}{kind}-->")
}

/// Percent-encodes what could end a comment, split a value or break a line.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    encode_into(&mut out, value);
    out
}

/// `encode`, onto the end of `out`.
fn encode_into(out: &mut String, value: &str) {
    // Most values (ids, times, numbers) have nothing to encode: copied whole.
    let plain = !value.bytes().any(|b| {
        matches!(
            b,
            b'%' | b' ' | b'"' | b'<' | b'>' | b'\n' | b'\r' | b'\t' | b'=' | b'|' | b'`'
        )
    }) && !value.contains("--")
        && !value.ends_with('-');
    if plain {
        out.push_str(value);
    } else {
        encode_each(out, value);
    }
}

/// `encode_into`, a character at a time.
fn encode_each(out: &mut String, value: &str) {
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        // `--` may not appear in a comment for older Markdown renderers, nor may
        // the text end in `-`: encode a `-` that another `-` or the end follows.
        let dash_needs_it = c == '-' && matches!(chars.peek(), None | Some('-'));
        match c {
            '-' if !dash_needs_it => out.push(c),
            // `|` too: a marker in a table cell must not end the cell; and a
            // backtick, which could pair with a stray one in the document.
            '%' | ' ' | '"' | '<' | '>' | '-' | '\n' | '\r' | '\t' | '=' | '|' | '`' => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            _ => out.push(c),
        }
    }
}

/// Undoes `encode`.
pub fn decode(value: &str) -> String {
    // Most values (ids, times, statuses) have nothing encoded.
    if !value.contains('%') {
        return value.to_string();
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(Ok(b)) = value.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The kinds of region and mark runsheet writes.
pub const KINDS: &[&str] = &["run", "out", "task", "fill", "boxes", "sec"];

/// Whether `html` is an opening marker runsheet writes: a known kind, closed
/// as a comment. Anything else that merely starts like one is document text.
pub fn is_open(html: &str) -> bool {
    html.strip_prefix(OPEN).is_some_and(|rest| {
        let kind_end = rest.find([' ', '-']).unwrap_or(rest.len());
        KINDS.contains(&&rest[..kind_end]) && rest.contains("-->")
    })
}

/// Whether `html` is a closing marker of a known kind.
pub fn is_close(html: &str) -> bool {
    parse_close(html).is_some_and(|kind| KINDS.contains(&kind))
}

/// A parsed opening marker.
#[derive(Debug, Clone)]
pub struct Marker {
    pub kind: String,
    /// What the marker holds after its kind, as written: keys and values
    /// with nothing encoded are read from here, not copied one by one (a
    /// transcript holds several markers a step, each with several values).
    words: String,
    /// Each `key=value` word, in the order written.
    attrs: Vec<Attr>,
}

/// One attribute of a marker: where in `words` its key and its value are,
/// and the value decoded when it has something encoded.
#[derive(Debug, Clone)]
struct Attr {
    key: Range<usize>,
    value: Range<usize>,
    decoded: Option<String>,
}

impl Marker {
    /// A decoded attribute; of a key written twice, the last value.
    pub fn get(&self, key: &str) -> Option<&str> {
        let attr = self.attr(key)?;
        Some(match &attr.decoded {
            Some(v) => v.as_str(),
            None => &self.words[attr.value.clone()],
        })
    }

    /// An attribute as it is written, nothing decoded: what a [list](LISTS)
    /// is read from.
    pub fn written(&self, key: &str) -> Option<&str> {
        self.attr(key).map(|a| &self.words[a.value.clone()])
    }

    /// Of a key written twice, the last.
    fn attr(&self, key: &str) -> Option<&Attr> {
        self.attrs
            .iter()
            .rev()
            .find(|a| &self.words[a.key.clone()] == key)
    }
}

/// Markers are equal when their kinds are and each key has the same value.
impl PartialEq for Marker {
    fn eq(&self, other: &Marker) -> bool {
        let keys = |m: &Marker| -> std::collections::BTreeSet<String> {
            m.attrs
                .iter()
                .map(|a| m.words[a.key.clone()].to_string())
                .collect()
        };
        let ours = keys(self);
        self.kind == other.kind
            && ours == keys(other)
            && ours.iter().all(|k| self.get(k) == other.get(k))
    }
}

/// Parses text that starts with an opening marker; `None` if it is not one.
pub fn parse_open(text: &str) -> Option<Marker> {
    let rest = text.strip_prefix(OPEN)?;
    let end = memchr::memmem::find(rest.as_bytes(), b"-->")?;
    let body = &rest[..end];
    let (kind, words) = body.split_once(' ').unwrap_or((body, ""));
    // One pass over the bytes for the spaces between words, each word's
    // first `=` and whether its value has anything encoded.
    let bytes = words.as_bytes();
    let mut attrs = Vec::new();
    let (mut from, mut eq, mut encoded) = (0, None, false);
    for at in 0..=bytes.len() {
        match bytes.get(at).copied().unwrap_or(b' ') {
            b' ' => {
                if let Some(eq) = eq {
                    attrs.push(Attr {
                        key: from..eq,
                        value: eq + 1..at,
                        decoded: encoded.then(|| decode(&words[eq + 1..at])),
                    });
                }
                (from, eq, encoded) = (at + 1, None, false);
            }
            b'=' if eq.is_none() => eq = Some(at),
            b'%' if eq.is_some() => encoded = true,
            _ => {}
        }
    }
    Some(Marker {
        kind: kind.to_string(),
        words: words.to_string(),
        attrs,
    })
}

/// The kind named by a closing marker at the start of `text`.
pub fn parse_close(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(CLOSE)?;
    Some(&rest[..rest.find("-->")?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_nothing_to_encode_are_copied_as_they_are() {
        for value in [
            "",
            "s12",
            "2026-11-30T07:18:39Z",
            "a-b",
            "-a",
            "a-",
            "-",
            "--",
            "a--b",
            "a---",
            "é-é",
            "x y",
            "100%",
            "a=b",
            "a|b",
            "`",
            "\"",
            "<>",
            "a\tb",
            "\r\n",
            "ok-",
            "ok-go",
        ] {
            let mut each = String::new();
            encode_each(&mut each, value);
            assert_eq!(encode(value), each, "{value:?}");
        }
    }

    /// Read as a map of decoded values would read it: a word without `=`
    /// is no attribute, a value may hold `=`, and of a key written twice
    /// the last value counts.
    #[test]
    fn attributes_read_as_a_map_of_them_reads_them() {
        let map = |text: &str| -> std::collections::BTreeMap<String, String> {
            let rest = text.strip_prefix(OPEN).unwrap();
            let body = &rest[..rest.find("-->").unwrap()];
            body.split(' ')
                .skip(1)
                .filter_map(|w| w.split_once('='))
                .map(|(k, v)| (k.to_string(), decode(v)))
                .collect()
        };
        for text in [
            "<!--rs:out-->",
            "<!--rs:out -->",
            "<!--rs:out id=s1 status=done at=2026-11-30T15:30:57Z exit=0 ms=13-->",
            "<!--rs:task id=s2  status=done note=a%20b%2D-%3E bare k= =v a=b=c-->",
            "<!--rs:boxes ids=s1,s2 note-s1=x%25 note-s1=y %=%25 trailing -->",
            "<!--rs:sec id=§1 value=%E2%80%BA%20x status=skipped how=not-needed-->x-->",
        ] {
            let m = parse_open(text).unwrap();
            let want = map(text);
            for (k, v) in &want {
                assert_eq!(m.get(k), Some(v.as_str()), "{text}: {k}");
            }
            let keys: std::collections::BTreeSet<&str> =
                m.attrs.iter().map(|a| &m.words[a.key.clone()]).collect();
            assert_eq!(keys.len(), want.len(), "{text}");
            assert_eq!(m.get("missing"), None);
        }
        assert_eq!(parse_open("<!--rs:out id=s1"), None);
        assert_eq!(parse_open("<!--rs:out id=s1-->").unwrap().kind, "out");
    }

    #[test]
    fn values_round_trip_and_cannot_end_the_comment() {
        let tricky = "a --> b\n\"c\" 100% é=x\t";
        let m = open("task", &[("note", tricky.into()), ("id", "s1".into())]);
        assert_eq!(m.matches("-->").count(), 1);
        assert_eq!(
            m.matches("--").count(),
            2,
            "only the comment delimiters: {m}"
        );
        assert_eq!(encode("2026-11-21"), "2026-11-21");
        assert_eq!(encode("a--b-"), "a%2D-b%2D");
        assert!(!m.contains('\n'));
        let parsed = parse_open(&m).unwrap();
        assert_eq!(parsed.kind, "task");
        assert_eq!(parsed.get("note"), Some(tricky));
        assert_eq!(parse_close("<!--/rs:task-->x"), Some("task"));
        assert_eq!(decode("50%"), "50%");
    }
}
