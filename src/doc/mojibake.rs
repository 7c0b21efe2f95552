//! Mojibake: finding and undoing UTF-8 text that was once decoded as Mac Roman or Windows-1252.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use encoding_rs::{Encoding, MACINTOSH, WINDOWS_1252};
use serde::Serialize;

/// Which wrong decoding produced the mojibake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Misdecoding {
    #[serde(rename = "mac-roman")]
    MacRoman,
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl Misdecoding {
    fn encoding(self) -> &'static Encoding {
        match self {
            Misdecoding::MacRoman => MACINTOSH,
            Misdecoding::Windows1252 => WINDOWS_1252,
        }
    }
}

impl fmt::Display for Misdecoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Misdecoding::MacRoman => "Mac Roman",
            Misdecoding::Windows1252 => "Windows-1252",
        })
    }
}

/// What `detect` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mojibake {
    /// The wrong decoding the text went through.
    pub kind: Misdecoding,
    /// How many runs `repair` would change.
    pub count: usize,
    /// The first run, as found and as repaired.
    pub example: (String, String),
    /// Byte offset of the first run in the text.
    pub first_offset: usize,
}

/// Finds mojibake in `text`, if there is any.
#[must_use]
pub fn detect(text: &str) -> Option<Mojibake> {
    let (kind, fixes) = plan(text)?;
    let first = fixes.first()?;
    Some(Mojibake {
        kind,
        count: fixes.len(),
        example: (text[first.span.clone()].to_owned(), first.text.clone()),
        first_offset: first.span.start,
    })
}

/// The author's original text: each mojibake run re-encoded with the wrong encoding and decoded
/// as UTF-8; everything else untouched.
#[must_use]
pub fn repair(text: &str) -> String {
    repair_str(text).into_owned()
}

/// Repair of a short piece of text (for display in prompts); same rules.
#[must_use]
pub fn repair_str(text: &str) -> Cow<'_, str> {
    let Some((_, fixes)) = plan(text) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for fix in &fixes {
        out.push_str(&text[at..fix.span.start]);
        out.push_str(&fix.text);
        at = fix.span.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// One run to replace.
struct Fix {
    span: Range<usize>,
    text: String,
    /// Whether genuine text could hardly have produced this run (see `is_strong`).
    strong: bool,
}

/// The misdecoding that explains more runs, with its fixes in text order.
fn plan(text: &str) -> Option<(Misdecoding, Vec<Fix>)> {
    if text.is_ascii() {
        return None;
    }
    let mac = fixes(text, Misdecoding::MacRoman);
    let win = fixes(text, Misdecoding::Windows1252);
    // Ties go to Mac Roman: it is the one seen in the documents we have.
    let best = if win.len() > mac.len() {
        (Misdecoding::Windows1252, win)
    } else {
        (Misdecoding::MacRoman, mac)
    };
    (!best.1.is_empty()).then_some(best)
}

/// Every run that `kind` explains, or none at all when none of them is strong evidence.
fn fixes(text: &str, kind: Misdecoding) -> Vec<Fix> {
    let encoding = kind.encoding();
    let found: Vec<Fix> = runs(text)
        .filter_map(|span| {
            let fixed = unmangle(&text[span.clone()], encoding)?;
            let strong = is_strong(&fixed);
            Some(Fix {
                span,
                text: fixed,
                strong,
            })
        })
        .collect();
    // A lone weak run ("l’été" gives "’é", which happens to re-encode to valid UTF-8) is far
    // more likely genuine text than mojibake, so weak runs count only beside a strong one.
    if found.iter().any(|fix| fix.strong) {
        found
    } else {
        Vec::new()
    }
}

/// Maximal runs of non-ASCII characters. Every byte of a multi-byte UTF-8 sequence is 0x80 or
/// above, and both encodings map each of those bytes to a non-ASCII character, so a misdecoded
/// sequence never straddles an ASCII character.
fn runs(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + bytes[at..].iter().position(|b| !b.is_ascii())?;
        let end = bytes[start..]
            .iter()
            .position(u8::is_ascii)
            .map_or(bytes.len(), |len| start + len);
        at = end;
        // Both ends sit next to ASCII bytes (or the ends of the text), so they are char boundaries.
        Some(start..end)
    })
}

/// The run re-encoded with the wrong encoding and read as UTF-8, if that gives different,
/// valid, non-ASCII text. `encoding_rs` maps the five bytes Windows-1252 leaves undefined to C1
/// controls in both directions, so its own mojibake round-trips; where another decoder dropped
/// or replaced those bytes the run does not re-encode to valid UTF-8 and is left alone.
fn unmangle(run: &str, encoding: &'static Encoding) -> Option<String> {
    let (bytes, _, unmappable) = encoding.encode(run);
    if unmappable {
        return None;
    }
    let fixed = std::str::from_utf8(&bytes).ok()?;
    (fixed != run && !fixed.is_ascii()).then(|| fixed.to_owned())
}

/// Whether a repaired run is convincing on its own. Genuine text comes out as valid UTF-8 in
/// practice only where one punctuation mark or capital touches one accented letter or symbol
/// (`’é`, `«é`, `É”`), and that always reads as a single character from U+0180 to U+07FF.
/// Latin-1 and Latin Extended-A letters (leads `√ ¬ ƒ ≈` or `Â Ã Ä Å`), longer runs, and three-
/// and four-byte sequences are not produced that way.
fn is_strong(fixed: &str) -> bool {
    let mut chars = fixed.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => !('\u{180}'..='\u{7FF}').contains(&c),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mangle(s: &str, kind: Misdecoding) -> String {
        mangle_bytes(s.as_bytes(), kind)
    }

    fn mangle_bytes(bytes: &[u8], kind: Misdecoding) -> String {
        kind.encoding()
            .decode_without_bom_handling(bytes)
            .0
            .into_owned()
    }

    const KINDS: [Misdecoding; 2] = [Misdecoding::MacRoman, Misdecoding::Windows1252];

    #[test]
    fn genuine_text_is_left_alone() {
        let genuine = [
            "",
            "plain ASCII, nothing to see",
            "café",
            "é",
            "—",
            "a — b – c",
            "✅ done",
            "日本語",
            "Größe",
            "naïve résumé",
            "√2",
            "x ≥ √y",
            "¬p ∧ q",
            "±5 °C",
            "Ω and π",
            "© 2024 ®",
            "🚀 launch",
            "⚠️ careful",
            "“quoted” and ‘single’",
            "l’été",
            "d’école, l’équipe",
            "«élan»",
            "« déjà »",
            "“Él dijo”",
            "CAFÉ”",
            "Привет, мир",
            "Ελληνικά",
            "São Paulo",
            "İstanbul",
            "ﬁne ligature",
            "\u{a0}non-breaking\u{a0}",
            "مرحبا",
        ];
        for s in genuine {
            assert_eq!(detect(s), None, "{s:?}");
            assert_eq!(repair(s), s, "{s:?}");
            assert!(matches!(repair_str(s), Cow::Borrowed(_)), "{s:?}");
        }
    }

    #[test]
    fn mangled_text_round_trips() {
        let originals = [
            "café",
            "— dash",
            "✅ done",
            "Größe",
            "日本語",
            "naïve résumé",
            "🚀 launch",
            "⚠️ careful",
            "Привет, мир",
            "и ✅",
            "60–90 minutes",
            "coverage ≥87%",
            "“quoted”",
            "a → b",
            "☐ GO  ☐ NO-GO",
            "São Paulo",
            "Ελληνικά",
            "x ± y",
            "İstanbul",
            "Ángel, Ýmir, Ðóra",
            "line one\n- ✅ item — note\n",
        ];
        for s in originals {
            for kind in KINDS {
                let mangled = mangle(s, kind);
                assert_ne!(mangled, s);
                assert_eq!(repair(&mangled), s, "{kind}: {mangled:?}");
                let found = detect(&mangled).unwrap_or_else(|| panic!("{kind}: {mangled:?}"));
                assert_eq!(found.kind, kind, "{mangled:?}");
                assert!(found.count > 0);
                assert_eq!(
                    mangled[found.first_offset..].find(&found.example.0),
                    Some(0)
                );
            }
        }
    }

    #[test]
    fn detect_reports_the_first_run() {
        use Misdecoding::{MacRoman as Mac, Windows1252 as Win};
        // (text, kind, count, first run as found, repaired, its offset)
        let cases = [
            ("Done ‚úÖ and ‚Äî", Mac, 2, "‚úÖ", "✅", 5),
            ("# \u{F8FF}üöÄ Go", Mac, 1, "\u{F8FF}üöÄ", "🚀", 2),
            ("ok âœ… â€” fine", Win, 2, "âœ…", "✅", 3),
            ("caf√©", Mac, 1, "√©", "é", 3),
            ("cafÃ©", Win, 1, "Ã©", "é", 3),
        ];
        for (text, kind, count, found, fixed, offset) in cases {
            let want = Mojibake {
                kind,
                count,
                example: (found.to_owned(), fixed.to_owned()),
                first_offset: offset,
            };
            assert_eq!(detect(text), Some(want), "{text:?}");
        }
    }

    #[test]
    fn weak_runs_need_company() {
        // "и" misread as Mac Roman is "–∏": alone it is indistinguishable from punctuation
        // next to a letter, beside a surely misdecoded run it is repaired.
        assert_eq!(repair("–∏"), "–∏");
        assert_eq!(repair("–∏ ‚úÖ"), "и ✅");
        assert_eq!(detect("–∏ ‚úÖ").map(|m| m.count), Some(2));
    }

    #[test]
    fn genuine_text_beside_mojibake_survives() {
        // A run that cannot be re-encoded, or that gives invalid UTF-8, is kept as it is.
        assert_eq!(repair("日本 ‚úÖ é √2"), "日本 ✅ é √2");
        assert_eq!(repair("✅ ‚úÖ"), "✅ ✅");
    }

    #[test]
    fn repair_never_panics() {
        let odd = [
            "",
            "\u{301}",
            "a\u{301}\u{301}",
            "‚",
            "‚Ä",
            "√",
            "Ã",
            "â€",
            "\u{FFFD}",
            "\u{FFFD}\u{FFFD}‚Äî",
            "\u{F8FF}",
            "\u{F8FF}\u{F8FF}\u{F8FF}",
            "\u{81}\u{8d}\u{8f}\u{90}\u{9d}",
            "Ã\u{81}",
            "\0\u{7f}\u{80}",
            "ÿÿÿÿ",
            "\u{10FFFF}",
            "‚‚‚‚‚‚",
        ];
        for s in odd {
            let _ = detect(s);
            let _ = repair(s);
        }
        // Every pair and triple of high bytes, misread both ways.
        for kind in KINDS {
            for a in 0x80..=0xFFu8 {
                for b in 0x80..=0xFFu8 {
                    let pair = mangle_bytes(&[a, b], kind);
                    let _ = detect(&pair);
                    let _ = repair(&pair);
                    let triple = mangle_bytes(&[0xE2, a, b], kind);
                    let _ = repair(&format!("x{triple}y"));
                }
            }
        }
    }
}
