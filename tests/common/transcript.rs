//! Comparing transcripts: masking what changes from run to run, and showing
//! where two texts differ.

use std::fmt::Write as _;
use std::sync::OnceLock;

use regex::Regex;

/// How many lines of a diff a failure shows.
const DIFF_LINES: usize = 80;

/// What changes from one run of the same runbook to the next, and what it is
/// replaced with: run ids, times, dates, durations, who ran it on which host,
/// `mktemp` names and `sha256sum` lines of files that embed a time.
fn masks() -> &'static [(Regex, &'static str)] {
    static MASKS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    MASKS.get_or_init(|| {
        [
            (r"\d{8}T\d{6}Z-[0-9a-f]{4}", "[RUN-ID]"),
            (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]"),
            (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", "[TIME]"),
            (r"\d\d:\d\d:\d\dZ", "[TIME]"),
            (r"\b\d{4}-\d\d-\d\d\b", "[DATE]"),
            (r"operator=[^ ]+", "operator=[WHO]"),
            (
                r"(?m)^((?:> \*\*)?runsheet(?:\*\*)? · `[^`]*` · (?:env `[^`]*` · )?)[^ ]+",
                "${1}[WHO]",
            ),
            (r" ms=\d+", ""),
            (r"\b\d+\.\d+s\b", "[DURATION]"),
            (r"\btmp\.[A-Za-z0-9]{10}\b", "tmp.[RANDOM]"),
            (r"(?m)^(\s*)[0-9a-f]{64}  ", "${1}[SHA256]  "),
        ]
        .into_iter()
        .map(|(pattern, with)| (Regex::new(pattern).expect("a valid mask"), with))
        .collect()
    })
}

/// `text` with everything that changes from run to run masked.
pub fn mask(text: &str) -> String {
    let mut out = text.to_owned();
    for (pattern, with) in masks() {
        out = pattern.replace_all(&out, *with).into_owned();
    }
    out
}

/// A unified diff of `expected` and `actual`, cut after `DIFF_LINES` lines,
/// or `None` when they are the same.
pub fn diff(
    expected: &str,
    actual: &str,
    expected_name: &str,
    actual_name: &str,
) -> Option<String> {
    if expected == actual {
        return None;
    }
    let text_diff = similar::TextDiff::from_lines(expected, actual);
    let unified = text_diff
        .unified_diff()
        .context_radius(3)
        .header(expected_name, actual_name)
        .to_string();
    let lines: Vec<&str> = unified.lines().collect();
    let mut shown = lines[..lines.len().min(DIFF_LINES)].join("\n");
    if lines.len() > DIFF_LINES {
        let _ = write!(
            shown,
            "\n… ({} more lines of diff)",
            lines.len() - DIFF_LINES
        );
    }
    if shown.is_empty() {
        // Same lines, different line endings or a missing final newline.
        shown = format!("they differ only in line endings:\n{expected:?}\n{actual:?}");
    }
    Some(shown)
}

/// Compares two (possibly huge) byte strings without printing them whole:
/// the first differing byte and what is around it.
pub fn assert_same_bytes(got: &[u8], want: &[u8], what: &str) {
    if got == want {
        return;
    }
    let at = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    let line = want[..at.min(want.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    let around = |b: &[u8]| {
        String::from_utf8_lossy(&b[at.saturating_sub(40).min(b.len())..(at + 40).min(b.len())])
            .into_owned()
    };
    panic!(
        "{what} is not the source byte for byte: {} bytes for {}, first difference at byte {at} (line {line})\n got: {:?}\nwant: {:?}",
        got.len(),
        want.len(),
        around(got),
        around(want)
    );
}
