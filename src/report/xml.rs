//! The JUnit report's test cases written straight into a buffer: values made
//! fit for XML and escaped in one pass, byte for byte as quick-xml's writer
//! writes them (its tests below hold the two together). Ten thousand steps
//! are ten thousand elements: built one at a time as events, each attribute
//! copied, escaped into a string of its own and copied again, they cost a
//! report more than reading its transcript back.

/// How one byte is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Byte {
    /// As it is.
    Plain,
    /// As an entity, in text and in attribute values.
    Escaped,
    /// A tab or a line feed: as an entity in attribute values only (XML
    /// reads them as spaces there).
    Space,
    /// A control character XML 1.0 cannot hold: the replacement character.
    Control,
    /// The first byte of U+FFFE and U+FFFF (which XML cannot hold either),
    /// and of other characters, which stay.
    Ef,
}

/// Every byte's kind, by value.
const BYTES: [Byte; 256] = {
    let mut kinds = [Byte::Plain; 256];
    let mut b = 0;
    while b < 0x20 {
        kinds[b] = Byte::Control;
        b += 1;
    }
    kinds[b'\t' as usize] = Byte::Space;
    kinds[b'\n' as usize] = Byte::Space;
    kinds[b'\r' as usize] = Byte::Escaped;
    kinds[b'<' as usize] = Byte::Escaped;
    kinds[b'>' as usize] = Byte::Escaped;
    kinds[b'&' as usize] = Byte::Escaped;
    kinds[b'\'' as usize] = Byte::Escaped;
    kinds[b'"' as usize] = Byte::Escaped;
    kinds[0xEF] = Byte::Ef;
    kinds
};

/// What stands for a character XML cannot hold.
const REPLACEMENT: &[u8] = "\u{fffd}".as_bytes();

/// `value` as an attribute value (between double quotes) onto `out`.
pub(super) fn attr(out: &mut Vec<u8>, value: &str) {
    escape(out, value, true);
}

/// `value` as element text onto `out`.
pub(super) fn text(out: &mut Vec<u8>, value: &str) {
    escape(out, value, false);
}

/// `value` onto `out` with what XML cannot hold replaced and markup
/// characters escaped (tabs and line feeds too in an attribute value); runs
/// of bytes that need neither are copied at once.
fn escape(out: &mut Vec<u8>, value: &str, attribute: bool) {
    let bytes = value.as_bytes();
    let mut from = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let with: &[u8] = match BYTES[usize::from(b)] {
            Byte::Plain => {
                i += 1;
                continue;
            }
            Byte::Space if !attribute => {
                i += 1;
                continue;
            }
            Byte::Ef => {
                // U+FFFE and U+FFFF are EF BF BE and EF BF BF.
                if bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF))
                {
                    out.extend_from_slice(&bytes[from..i]);
                    out.extend_from_slice(REPLACEMENT);
                    i += 3;
                    from = i;
                } else {
                    i += 1;
                }
                continue;
            }
            Byte::Control => REPLACEMENT,
            Byte::Escaped | Byte::Space => entity(b),
        };
        out.extend_from_slice(&bytes[from..i]);
        out.extend_from_slice(with);
        i += 1;
        from = i;
    }
    out.extend_from_slice(&bytes[from..]);
}

/// The entity quick-xml writes for `b`.
fn entity(b: u8) -> &'static [u8] {
    match b {
        b'<' => b"&lt;",
        b'>' => b"&gt;",
        b'&' => b"&amp;",
        b'\'' => b"&apos;",
        b'"' => b"&quot;",
        b'\t' => b"&#9;",
        b'\n' => b"&#10;",
        _ => b"&#13;",
    }
}

/// ` name="value"`, the value escaped, onto `out`.
pub(super) fn attribute(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    attr(out, value);
    out.push(b'"');
}

/// `n` in decimal onto `out`, without the formatter (a few times a step).
pub(super) fn number(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Milliseconds as JUnit's seconds (`2.005`) onto `out`.
pub(super) fn seconds(out: &mut Vec<u8>, ms: u64) {
    number(out, ms / 1000);
    let ms = ms % 1000;
    out.extend_from_slice(&[
        b'.',
        b'0' + (ms / 100) as u8,
        b'0' + (ms / 10 % 10) as u8,
        b'0' + (ms % 10) as u8,
    ]);
}

#[cfg(test)]
mod tests {
    use quick_xml::Writer;
    use quick_xml::events::BytesText;

    use super::*;

    /// What quick-xml's writer makes of `value` as an attribute value and
    /// as text, after the report's replacement of what XML cannot hold.
    fn theirs(value: &str) -> (String, String) {
        let fit = super::super::junit::xml(value);
        let mut w = Writer::new(Vec::new());
        w.create_element("e")
            .with_attribute(("a", fit.as_ref()))
            .write_text_content(BytesText::new(&fit))
            .unwrap();
        let all = String::from_utf8(w.into_inner()).unwrap();
        let rest = all.strip_prefix("<e a=\"").unwrap();
        let (attribute, rest) = rest.split_once("\">").unwrap();
        let text = rest.strip_suffix("</e>").unwrap();
        (attribute.to_string(), text.to_string())
    }

    fn ours(value: &str) -> (String, String) {
        let (mut a, mut t) = (Vec::new(), Vec::new());
        attr(&mut a, value);
        text(&mut t, value);
        (String::from_utf8(a).unwrap(), String::from_utf8(t).unwrap())
    }

    #[test]
    fn values_are_escaped_as_quick_xml_escapes_them() {
        let mut values: Vec<String> = [
            "",
            "plain",
            "printf 'step 1 at %(%H:%M:%S)T\\n' -1",
            "a <b> & \"c\"\nd\r\ne\tf",
            "a\u{1b}[31mb\u{0}c\u{7f}",
            "ﬁ\u{fffe}x\u{ffff}y\u{fffd}\u{ef}",
            "Steps › Section 1 · ½ € 😀",
            "\u{fffe}",
            "&&&<<<>>>'''\"\"\"",
        ]
        .map(String::from)
        .to_vec();
        // Every byte that is a character on its own, alone and among others.
        for b in 0u8..0x80 {
            let c = char::from(b);
            values.push(c.to_string());
            values.push(format!("x{c}y{c}{c}z"));
        }
        for c in [
            '\u{fffe}', '\u{ffff}', '\u{fffd}', '\u{fb01}', '\u{efff}', '\u{f000}',
        ] {
            values.push(format!("{c}a{c}"));
        }
        for value in &values {
            assert_eq!(ours(value), theirs(value), "{value:?}");
        }
    }

    #[test]
    fn numbers_and_seconds_are_written_as_the_formatter_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
            let mut out = Vec::new();
            number(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
        for ms in [0, 5, 10, 999, 1_000, 2_005, 61_234, 123_456_789] {
            let mut out = Vec::new();
            seconds(&mut out, ms);
            let want = format!("{}.{:03}", ms / 1000, ms % 1000);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }
}
