//! Quoted strings in the text of a template tag: where one ends, so that a
//! scan of the tag passes over what is inside (a `%}` or an `env` in a
//! string is text).

/// When a string opens at `at` (a `"` or a `'`), where it ends: just after
/// its closing quote, a backslash escaping the character after it; `end`
/// when it is not closed before `end`. `None` when no string opens there.
pub(super) fn string_end(bytes: &[u8], at: usize, end: usize) -> Option<usize> {
    string(bytes, at, end).map(|(after, _)| after)
}

/// When a string opens at `at`, where it ends (as `string_end` says) and
/// whether its closing quote was found.
pub(super) fn string(bytes: &[u8], at: usize, end: usize) -> Option<(usize, bool)> {
    let quote = *bytes.get(at).filter(|&&b| b == b'"' || b == b'\'')?;
    let mut i = at + 1;
    while i < end {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return Some((i + 1, true)),
            _ => i += 1,
        }
    }
    Some((end, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_ends_after_its_own_closing_quote() {
        let cases: [(&str, Option<&str>); 9] = [
            (r#""prod" %}"#, Some(r#""prod""#)),
            ("'prod' %}", Some("'prod'")),
            // The other quote, and an escaped one, do not close it.
            (r#""it's" %}"#, Some(r#""it's""#)),
            (r#"'say "hi"' %}"#, Some(r#"'say "hi"'"#)),
            (r#""a\"b" %}"#, Some(r#""a\"b""#)),
            (r"'a\\' %}", Some(r"'a\\'")),
            // Not closed: to the end.
            (r#""never %}"#, Some(r#""never %}"#)),
            (r#""ends in \"#, Some(r#""ends in \"#)),
            // No string opens there.
            ("env %}", None),
        ];
        for (text, want) in cases {
            let got = string_end(text.as_bytes(), 0, text.len()).map(|e| &text[..e]);
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn a_string_ends_at_the_end_given_at_the_latest() {
        let text = r#"x "abc" y"#;
        assert_eq!(string_end(text.as_bytes(), 2, 7), Some(7));
        assert_eq!(string_end(text.as_bytes(), 2, 5), Some(5));
        assert_eq!(string_end(text.as_bytes(), 0, text.len()), None);
        assert_eq!(string_end(text.as_bytes(), text.len(), text.len()), None);
    }
}
