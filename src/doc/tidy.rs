//! Step texts on one line: runs of whitespace as single spaces.

/// Whitespace runs as single spaces, none at the ends.
pub(super) fn tidy(text: &str) -> String {
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
pub(super) fn is_tidy(text: &str) -> bool {
    let space = |b: &u8| b.is_ascii_whitespace() || *b == 0x0b;
    let bytes = text.as_bytes();
    if bytes.first().is_some_and(space) || bytes.last().is_some_and(space) {
        return false;
    }
    // One pass over the bytes (every step's text is looked at): whitespace
    // other than a space is a byte from tab (9) to carriage return (13);
    // two spaces in a row are a run.
    let mut after_space = false;
    for &b in bytes {
        if !b.is_ascii() || (9..=13).contains(&b) || (b == b' ' && after_space) {
            return false;
        }
        after_space = b == b' ';
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

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
            ("one  two", "one two"),
            ("one\ttwo", "one two"),
            ("a b c", "a b c"),
        ] {
            assert_eq!(tidy(text), want, "{text:?}");
            assert_eq!(is_tidy(text), text == want, "{text:?}");
        }
    }
}
