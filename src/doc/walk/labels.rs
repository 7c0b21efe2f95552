//! Each field's own label: the words beside it on its line, not the whole
//! paragraph (`Date: ____  Operator: ____` asks for `Date: ____`, then
//! `Operator: ____`).

use std::ops::Range;

use crate::doc::tidy::{is_tidy, tidy};

/// The longest label shown, in characters: a field in a very long line is
/// asked with the words nearest to it.
const MOST: usize = 160;

/// Where a gap between two fields on one line splits: where the label of
/// the field before ends, and where the label of the field after begins. A
/// label is the words before a colon (`Operator:`), back to the last mark
/// that ends a clause, which belongs to neither; without a colon, the whole
/// gap goes with the field after (`from ____ to ____`).
fn split(gap: &str) -> (usize, usize) {
    let Some(colon) = gap.rfind([':', '：']) else {
        return (0, 0);
    };
    let head = &gap[..colon];
    let mark = head
        .rfind(['|', ';', ',', '(', ')', ']', '·', '.', '!', '?', '—', '–'])
        .map(|i| {
            let c = head[i..].chars().next().unwrap_or(' ');
            let after = i + c.len_utf8();
            // A closing bracket ends the clause before: it stays with it.
            if matches!(c, ')' | ']') {
                (after, after)
            } else {
                (i, after)
            }
        });
    let gap_mark = ["  ", " / ", " - ", " – "]
        .iter()
        .filter_map(|sep| head.rfind(sep).map(|i| (i, i + sep.len())))
        .max();
    match (mark, gap_mark) {
        (Some(m), Some(g)) => {
            if g.0 > m.0 {
                g
            } else {
                m
            }
        }
        (Some(m), None) => m,
        (None, Some(g)) => g,
        (None, None) => (0, 0),
    }
}

/// `label` without what a split left hanging at its ends: separators, an
/// opening bracket at the end, a closing one with no opening one before it.
fn trim(label: &str) -> &str {
    let mut label =
        label.trim_matches(|c: char| c.is_whitespace() || matches!(c, '|' | '·' | ',' | ';'));
    loop {
        let before = label.len();
        label = label
            .trim_end_matches(['(', '[', ' '])
            .trim_start_matches([')', ']', ' ']);
        if label.ends_with(')') && !label.contains('(') {
            label = &label[..label.len() - 1];
        }
        if label.len() == before {
            return label;
        }
    }
}

/// The label of each field in `text` (a block's text, lines split by
/// `\n`), for fields at `fields` (byte ranges in `text`, in order).
pub(in crate::doc) fn own_labels(text: &str, fields: &[Range<usize>]) -> Vec<String> {
    // Most blocks hold no field: their lines need not be found.
    if fields.is_empty() {
        return Vec::new();
    }
    let breaks: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
    // The line holding `at`: its start and end (before its `\n`).
    let line = |at: usize| {
        let k = breaks.partition_point(|&b| b < at);
        let start = k.checked_sub(1).map_or(0, |p| breaks[p] + 1);
        (start, breaks.get(k).copied().unwrap_or(text.len()))
    };
    let mut out = Vec::with_capacity(fields.len());
    // The line above, as a label, for the line that starts at the offset given.
    let mut above: Option<(usize, String)> = None;
    for (k, field) in fields.iter().enumerate() {
        let (line_start, line_end) = line(field.start);
        let start = match k.checked_sub(1).map(|p| &fields[p]) {
            Some(prev) if prev.end >= line_start && prev.end <= field.start => {
                prev.end + split(&text[prev.end..field.start]).1
            }
            _ => line_start,
        };
        let end = match fields.get(k + 1) {
            Some(next) if next.start <= line_end && next.start >= field.end => {
                field.end + split(&text[field.end..next.start]).0
            }
            _ => line_end.max(field.end),
        };
        let mut label = tidy(trim(&text[start..end]));
        // A field with no words of its own on its line (a blank line to
        // write on): the line above says what it is for.
        let own = text[start..field.start]
            .chars()
            .chain(text[field.end..end].chars())
            .any(char::is_alphabetic);
        if !own && line_start > 0 {
            if above.as_ref().is_none_or(|(at, _)| *at != line_start) {
                let (above_start, above_end) = line(line_start - 1);
                let words = cap(&tidy(&text[above_start..above_end]), "");
                above = Some((line_start, words));
            }
            let words = above.as_ref().map_or("", |(_, w)| w.as_str());
            label = format!("{words} {label}").trim().to_string();
        }
        out.push(cap(&label, &text[field.clone()]));
    }
    out
}

/// `cap(&tidy(text), "")`, without a copy when `text` is tidy and short,
/// as most are.
pub(in crate::doc) fn tidy_capped(text: &str) -> std::borrow::Cow<'_, str> {
    if is_tidy(text) && text.len() <= MOST {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(cap(&tidy(text), ""))
    }
}

/// `label` cut to about `MOST` characters around `field`, which it holds
/// (from the start when `field` is empty).
pub(in crate::doc) fn cap(label: &str, field: &str) -> String {
    if label.chars().count() <= MOST {
        return label.to_string();
    }
    // Around the field; with none, from the start.
    let field = field.trim();
    let at = if field.is_empty() {
        0
    } else {
        label.find(field).unwrap_or(0)
    };
    let mut start = at.saturating_sub(MOST / 2);
    while !label.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + MOST).min(label.len());
    while !label.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(label[start..end].trim());
    if end < label.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str, fields: &[&str]) -> Vec<String> {
        let mut at = 0;
        let ranges: Vec<Range<usize>> = fields
            .iter()
            .map(|f| {
                let start = at + text[at..].find(f).expect("field in text");
                at = start + f.len();
                start..at
            })
            .collect();
        own_labels(text, &ranges)
    }

    #[test]
    fn each_field_gets_the_words_beside_it() {
        assert_eq!(
            labels("Date: `____` Operator: `____`", &["`____`", "`____`"]),
            ["Date: `____`", "Operator: `____`"]
        );
        assert_eq!(
            labels("Date: ____ (UTC) Operator: ____ (name)", &["____", "____"]),
            ["Date: ____ (UTC)", "Operator: ____ (name)"]
        );
        assert_eq!(
            labels("Started at [START TIME] by the on-call.", &["[START TIME]"]),
            ["Started at [START TIME] by the on-call."]
        );
        assert_eq!(
            labels("from ____ to ____", &["____", "____"]),
            ["from ____", "to ____"]
        );
        assert_eq!(
            labels("QA Lead: ____ (Date: __/__/____)", &["____", "__/__/____"]),
            ["QA Lead: ____", "Date: __/__/____"]
        );
        assert_eq!(
            labels("Owner: ____\nReviewer: ____", &["____", "____"]),
            ["Owner: ____", "Reviewer: ____"]
        );
        assert_eq!(
            labels("Reason for change:\n________", &["________"]),
            ["Reason for change: ________"]
        );
    }

    #[test]
    fn a_label_in_a_huge_line_is_cut_near_its_field() {
        let text = format!(
            "{} Owner: ____ {}",
            "word ".repeat(10_000),
            "tail ".repeat(10_000)
        );
        let got = labels(&text, &["____"]);
        assert!(got[0].chars().count() <= MOST + 2, "{}", got[0].len());
        assert!(got[0].contains("Owner: ____"), "{}", got[0]);
    }
}
