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
    // Every step's text is looked at: eight bytes at a time, as one word.
    // Whitespace other than a space is a byte from tab (9) to carriage
    // return (13); two spaces in a row are a run.
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut chunks = bytes.chunks_exact(8);
    // Whether the byte before the chunk is a space.
    let mut after_space = false;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("a chunk of eight bytes"));
        if word & HI != 0 {
            return false;
        }
        // Each byte is below 128 now, so adding 119 (or 114) to it sets its
        // top bit exactly when it is 9 (or 14) or more, with no carry out.
        let from_tab = word.wrapping_add(119 * LO) & HI;
        let past_return = word.wrapping_add(114 * LO) & HI;
        if from_tab & !past_return != 0 {
            return false;
        }
        // The top bit of each byte that is a space, of no other.
        let other = word ^ (0x20 * LO);
        let spaces = !(((other & LOW7) + LOW7) | other | LOW7);
        // A space after a space, in the chunk or at its start.
        if spaces & ((spaces << 8) | u64::from(after_space) << 7) != 0 {
            return false;
        }
        after_space = spaces >> 63 != 0;
    }
    for &b in chunks.remainder() {
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

    /// The byte-at-a-time reading the eight-bytes-at-a-time one replaced.
    fn is_tidy_bytewise(text: &str) -> bool {
        let bytes = text.as_bytes();
        let space = |b: &u8| b.is_ascii_whitespace() || *b == 0x0b;
        if bytes.first().is_some_and(space) || bytes.last().is_some_and(space) {
            return false;
        }
        let mut after_space = false;
        for &b in bytes {
            if !b.is_ascii() || (9..=13).contains(&b) || (b == b' ' && after_space) {
                return false;
            }
            after_space = b == b' ';
        }
        true
    }

    /// Every byte next to the bounds of what is untidy, at every place in
    /// and between the chunks, is read as the byte-at-a-time reading reads
    /// it, alone and after a space.
    #[test]
    fn is_tidy_reads_as_the_byte_at_a_time_reading() {
        let odd = [
            "\t", "\n", "\u{0b}", "\u{0c}", "\r", "\u{8}", "\u{e}", "\u{1f}", "!", " ", "\u{7f}",
            "\u{80}", "é", "\u{a0}", "\u{2003}", "~", "\u{0}",
        ];
        for len in [1, 2, 7, 8, 9, 15, 16, 17, 24, 33] {
            let base: String = (0..len)
                .map(|i| if i % 3 == 2 { ' ' } else { 'a' })
                .collect();
            assert_eq!(is_tidy(&base), is_tidy_bytewise(&base), "{base:?}");
            for at in 0..len {
                for put in odd {
                    for before in ["", " "] {
                        let mut text: String = base.chars().take(at).collect();
                        let cut = text.len().saturating_sub(before.len());
                        text.truncate(cut);
                        text.push_str(before);
                        text.push_str(put);
                        text.extend(base.chars().skip(at + 1));
                        assert_eq!(is_tidy(&text), is_tidy_bytewise(&text), "{text:?}");
                    }
                }
            }
        }
        for text in [
            "a       b",
            "abcdefg  hijklmn",
            "abcdefgh hijklmno",
            "a b c d e f g h i j",
        ] {
            assert_eq!(is_tidy(text), is_tidy_bytewise(text), "{text:?}");
        }
    }
}
