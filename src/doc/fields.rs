//! Fields inside text a parser span gave: blanks (`____`, `__/__/____`,
//! `[START TIME]`, `[name of the on-call]`, `` `___ hours` ``) and choices
//! (`Yes / No` code spans, `☐ GO ☐ NO-GO` ballots, `[Open | Closed]`).

use std::ops::Range;

pub use super::placeholders::{Placeholder, placeholders};

/// The empty ballot box, and the one a pick is marked with.
pub const BALLOT: char = '☐';
pub const BALLOT_MARKED: char = '☒';

/// Each kind of box a document may hold, as written empty and as marked,
/// with the word the transcript records it by. The last is `☐` as it reads
/// after UTF-8 was decoded as Mac Roman and saved again: marked the same way
/// (`☒` through the same misreading), so the file keeps one encoding.
pub const BOXES: [(&str, &str, &str); 3] =
    [("[ ]", "[x]", "1"), ("☐", "☒", "b"), ("‚òê", "‚òí", "m")];

/// The empty ballot box at the start of `text`, if there is one: its length
/// and the box it becomes when marked.
pub fn ballot_at(text: &str) -> Option<(usize, &'static str)> {
    BOXES[1..]
        .iter()
        .find(|(empty, _, _)| text.starts_with(empty))
        .map(|(empty, marked, _)| (empty.len(), *marked))
}

/// Blanks in a run of prose (source text of consecutive text events): byte ranges.
pub fn blanks(text: &str) -> Vec<Range<usize>> {
    // Every blank holds an underscore or starts with a bracket.
    if memchr::memchr2(b'_', b'[', text.as_bytes()).is_none() {
        return Vec::new();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if let Some(end) = underscore_blank(text, i) {
            out.push(i..end);
            i = end;
            continue;
        }
        if bytes[i] == b'['
            && let Some(len) = bracketed_caps(&text[i..])
        {
            let after = bytes.get(i + len).copied();
            let before = i.checked_sub(1).map(|b| bytes[b]);
            let link = matches!(after, Some(b'(' | b'[' | b':'));
            let nested = before == Some(b']') || before == Some(b'!');
            if !link && !nested {
                out.push(i..i + len);
                i += len;
                continue;
            }
        }
        // Past the underscores looked at, so a long run is read once.
        i = underscores(text, i).0.max(i + 1);
        while i < bytes.len() && !text.is_char_boundary(i) {
            i += 1;
        }
    }
    out
}

/// The underscores from `at`, escaped (`\_`) or not: where they end, how
/// many there are, and whether any was escaped. An escaped run may be split
/// by emphasis a Markdown editor wrote into it (`\_**\_`).
fn underscores(text: &str, at: usize) -> (usize, usize, bool) {
    let bytes = text.as_bytes();
    let (mut j, mut count, mut escaped) = (at, 0, false);
    loop {
        match (bytes.get(j), bytes.get(j + 1)) {
            (Some(b'_'), _) => {
                count += 1;
                j += 1;
            }
            (Some(b'\\'), Some(b'_')) => {
                count += 1;
                escaped = true;
                j += 2;
            }
            (Some(b'*'), _) if escaped => {
                let stars = bytes[j..].iter().take_while(|&&b| b == b'*').count();
                if bytes.get(j + stars..j + stars + 2) == Some(b"\\_") {
                    j += stars;
                } else {
                    break;
                }
            }
            _ => break,
        }
    }
    (j, count, escaped)
}

/// A blank made of underscores starting at `at`: `____`, `\_\_`, or runs of
/// two or more joined by `/`, `:`, `.`, `-` or ` - ` (`__/__/____`,
/// `__:__ - __:__`). Where it ends.
fn underscore_blank(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if !matches!(bytes.get(at), Some(b'_' | b'\\')) {
        return None;
    }
    // `snake_case`, `a__b`: underscores inside a word are no blank.
    if at > 0 && bytes[at - 1].is_ascii_alphanumeric() {
        return None;
    }
    let (end, count, escaped) = underscores(text, at);
    if count == 0 {
        return None;
    }
    let (mut end, mut total, mut runs) = (end, count, 1);
    loop {
        let sep = [" - ", "/", ":", ".", "-"]
            .iter()
            .find(|s| text[end..].starts_with(*s))
            .map_or(0, |s| s.len());
        if sep == 0 || count < 2 {
            break;
        }
        let (next_end, next, _) = underscores(text, end + sep);
        if next < 2 {
            break;
        }
        end = next_end;
        total += next;
        runs += 1;
    }
    let word_after = bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric());
    let blank = (count >= 3 && runs == 1) || (escaped && count >= 2) || (runs > 1 && total >= 4);
    (blank && !word_after).then_some(end)
}

/// `[START TIME]`, `[SHA]`: the length of a bracketed run of capitals at the
/// start of `text`, if there is one.
pub(super) fn bracketed_caps(text: &str) -> Option<usize> {
    let inner_end = text[1..].find(']')? + 1;
    let inner = &text[1..inner_end];
    let ok = inner.len() >= 2
        && inner.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && inner
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && inner.chars().all(|c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, ' ' | '_' | '-' | '/')
        })
        && inner.chars().filter(|c| c.is_ascii_uppercase()).count() >= 2
        && !is_char_class(inner);
    ok.then_some(inner_end + 1)
}

/// `A-Z`, `0-9A-F`: a character class, not a field.
fn is_char_class(inner: &str) -> bool {
    let b = inner.as_bytes();
    b.len() >= 3 && b.chunks(3).all(|c| c.len() == 3 && c[1] == b'-')
}

/// A field in square brackets that is not all capitals: free text to write
/// (`[name of the on-call]`), or options to pick from (`[Open | Closed]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub span: Range<usize>,
    /// The options of `[A | B | C]`; empty for free text.
    pub options: Vec<String>,
}

/// Words a bracketed text opens with when it tells what to write there.
const FILL_IN: &[&str] = &[
    "fill",
    "to be ",
    "tbd",
    "tbc",
    "enter ",
    "insert ",
    "add ",
    "describe",
    "name of",
    "your ",
    "link to",
    "paste ",
    "expected ",
    "write ",
];

/// Where a run of prose sits: the text of its line before it and after it
/// (the start of it), and whether the run is a table cell's text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Around<'a> {
    pub before: &'a str,
    pub after: &'a str,
    pub cell: bool,
}

/// Bracketed slots in a run of prose, which sits as `around` says. A bracket is free text to write when a label ends just
/// before it (`**Owner**: [name]`), when it stands alone on its line or in
/// its table cell, or when its words say so (`[fill in after the deploy]`);
/// options (`[✅ Continue | ⏸ Hold | ❌ Stop]`) are a choice wherever they are.
/// Links, footnotes, `[x]` and capitals (see `blanks`) are not slots.
pub fn slots(text: &str, around: Around) -> Vec<Slot> {
    let before = around.before;
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (at, _) in text.match_indices('[') {
        let prev = at.checked_sub(1).map(|p| bytes[p]);
        if prev.is_some_and(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b']' | b'!' | b'/' | b'=' | b'$' | b'\\')
        }) {
            continue;
        }
        let Some(close) = text[at + 1..].find([']', '[', '\n']) else {
            continue;
        };
        let end = at + 1 + close;
        if bytes[end] != b']' || bracketed_caps(&text[at..]).is_some() {
            continue;
        }
        if matches!(bytes.get(end + 1), Some(b'(' | b'[' | b':')) {
            continue;
        }
        let inner = text[at + 1..end].trim();
        if let Some(options) = bracket_options(inner) {
            out.push(Slot {
                span: at..end + 1,
                options,
            });
            continue;
        }
        let words_ok = inner.chars().count() >= 2
            && inner.len() <= 80
            && inner.chars().next().is_some_and(char::is_alphabetic)
            && inner.chars().any(char::is_lowercase)
            && inner
                .chars()
                .all(|c| c.is_alphanumeric() || " -_/.,'()&#@+?%<>".contains(c));
        if !words_ok {
            continue;
        }
        let labelled = ends_with_label(&text[..at], before);
        let alone = stands_alone(text, at, end + 1, around);
        let lower = inner.to_lowercase();
        let says_so = FILL_IN.iter().any(|w| lower.starts_with(w));
        if labelled || alone || says_so {
            out.push(Slot {
                span: at..end + 1,
                options: Vec::new(),
            });
        }
    }
    out
}

/// Whether the line before a slot (`text` after the rest of it, `before`)
/// ends with a label: `Owner:`, `**Owner:**`, `**Owner**:`.
fn ends_with_label(text: &str, before: &str) -> bool {
    let trim = |t: &str| t.trim_end_matches([' ', '\t', '*', '_']).len();
    let in_text = trim(text);
    let last = if in_text > 0 {
        text[..in_text].chars().next_back()
    } else {
        before[..trim(before)].chars().next_back()
    };
    matches!(last, Some(':' | '：'))
}

/// Whether `text[from..to]` is all its line holds (list and quote markers
/// aside), or all its table cell does (`cell`: `text` is a cell's).
fn stands_alone(text: &str, from: usize, to: usize, around: Around) -> bool {
    let before = around.before;
    let lead_chars = |c: char| matches!(c, ' ' | '\t' | '|' | '-' | '*' | '+' | '>');
    let lead = text[..from].trim_end_matches(lead_chars);
    let line_start = if lead.is_empty() {
        before.trim_end_matches(lead_chars).is_empty()
            || before.trim_end_matches(lead_chars).ends_with(['\n', '\r'])
    } else {
        lead.ends_with(['\n', '\r'])
    };
    let space = [' ', '\t', '*', '_'];
    let mut after = text[to..].trim_start_matches(space);
    if after.is_empty() {
        // The run ends here: what comes next on the line is the source's.
        after = around.after.trim_start_matches(space);
    }
    let line_end = after.is_empty() || after.starts_with(['\n', '\r']);
    (line_start && line_end)
        || (around.cell
            && text[..from].trim().is_empty()
            && after.trim_start().starts_with(['|', '\n', '\r']) | after.trim().is_empty())
}

/// The options of `Open | Ongoing | Closed` (or ` / `): two or more short
/// ones, each a word or a few (an emoji before it allowed).
fn bracket_options(inner: &str) -> Option<Vec<String>> {
    let sep = if inner.contains('|') { "|" } else { " / " };
    let options: Vec<String> = inner.split(sep).map(|o| o.trim().to_string()).collect();
    let plausible = |o: &String| {
        let words = o.trim_start_matches(|c: char| !c.is_alphanumeric()).trim();
        !words.is_empty()
            && o.chars().count() <= 30
            && words.chars().next().is_some_and(char::is_alphanumeric)
            && words
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '\''))
    };
    (options.len() >= 2 && options.iter().all(plausible)).then_some(options)
}

/// The options of a code span like `Yes / No` or `GO / NO-GO`.
pub fn code_choice(code: &str) -> Option<Vec<String>> {
    if !code.contains(" / ") {
        return None;
    }
    let options: Vec<String> = code.split(" / ").map(|o| o.trim().to_string()).collect();
    let plausible = |o: &String| {
        !o.is_empty()
            && o.len() <= 30
            && o.chars().next().is_some_and(char::is_alphanumeric)
            && o.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '\''))
    };
    (options.len() >= 2 && options.iter().all(plausible)).then_some(options)
}

/// Where the blank is inside a code span that is a blank: `` `____` ``, and
/// one with a unit or sign beside it (`` `___ hours` ``, `` `____%` ``,
/// `` `$____` ``, `` `__/__/____` ``). The range is within `code`.
pub fn code_blank(code: &str) -> Option<Range<usize>> {
    let found = blanks(code);
    let [blank] = &found[..] else {
        return None;
    };
    if code[blank.clone()].starts_with('[') {
        return None;
    }
    let rest = format!("{}{}", &code[..blank.start], &code[blank.end..]);
    let rest = rest.trim();
    let short = rest.chars().count() <= 16
        && rest.split_whitespace().count() <= 2
        && !rest.contains(['`', '(', ')', '=', '_', '\\']);
    short.then(|| blank.clone())
}

/// A run of ballot boxes in prose: `☐ Approved ☐ Pending`, or a lone `☐`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ballot {
    /// From the first box to the end of the last option.
    pub span: Range<usize>,
    /// Where each box is (its byte offset), in order.
    pub boxes: Vec<usize>,
    /// The text after each box; empty for a lone box.
    pub options: Vec<String>,
}

/// Ballot runs in a run of prose. An option also ends where a field in
/// `stops` (byte offsets, in order) begins: it is not part of the option.
pub fn ballots(text: &str, stops: &[usize]) -> Vec<Ballot> {
    // Every box starts with the byte 0xE2 in UTF-8 (`☐` and `‚òê` alike):
    // text without it, as most is, holds none.
    if !text.as_bytes().contains(&0xE2) {
        return Vec::new();
    }
    let mut boxes: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    while let Some(rel) = text[at..].find(['☐', '‚']) {
        let i = at + rel;
        match ballot_at(&text[i..]) {
            Some((len, _)) => {
                boxes.push((i, len));
                at = i + len;
            }
            None => at = i + text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    let mut out: Vec<Ballot> = Vec::new();
    for (n, &(at, len)) in boxes.iter().enumerate() {
        let option_start = at + len;
        let stop = stops[stops.partition_point(|&s| s < option_start)..]
            .first()
            .copied()
            .unwrap_or(text.len());
        let limit = boxes.get(n + 1).map_or(text.len(), |b| b.0).min(stop);
        let raw = &text[option_start..limit];
        // An option ends at a line end, a `|`, an opening parenthesis or a wide gap.
        let end = raw
            .find(['\n', '\r', '|', '('])
            .into_iter()
            .chain(
                raw.trim_start()
                    .find("  ")
                    .map(|g| g + raw.len() - raw.trim_start().len()),
            )
            .min()
            .unwrap_or(raw.len());
        let option = raw[..end].trim().to_string();
        let option_end = option_start + raw[..end].trim_end().len();
        let joins = out.last().is_some_and(|b: &Ballot| {
            let gap = &text[b.span.end..at];
            gap.chars().all(|c| c == ' ' || c == '\t')
        });
        if joins {
            let b = out.last_mut().expect("checked above");
            b.boxes.push(at);
            b.options.push(option);
            b.span.end = option_end.max(at + len);
        } else {
            out.push(Ballot {
                span: at..option_end.max(at + len),
                boxes: vec![at],
                options: vec![option],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, ranges: &[Range<usize>]) -> Vec<String> {
        ranges.iter().map(|r| text[r.clone()].to_string()).collect()
    }

    #[test]
    fn blanks_in_prose() {
        let t =
            "Start: ________ (UTC) by [OPERATOR NAME], sha [SHA] \\_\\_ [link](x) [ ] [A-Z] [x]";
        assert_eq!(
            texts(t, &blanks(t)),
            vec!["________", "[OPERATOR NAME]", "[SHA]", "\\_\\_"]
        );
        assert!(blanks("snake_case __init__ a__b __main__.py").is_empty());
        assert!(blanks("[TODO]: http://x").is_empty());
    }

    #[test]
    fn dates_times_and_escaped_runs_split_by_emphasis_are_one_blank() {
        for (t, want) in [
            ("Date: __/__/____", vec!["__/__/____"]),
            ("Time: __:__ - __:__", vec!["__:__ - __:__"]),
            ("Total: \\_**\\_  ", vec!["\\_**\\_"]),
            ("X: ******\\_\\_\\_\\_******", vec!["\\_\\_\\_\\_"]),
            ("Amount: $____.__", vec!["____.__"]),
            (
                "a: \\_\\_\\_\\_ b: \\_\\_\\_\\_",
                vec!["\\_\\_\\_\\_", "\\_\\_\\_\\_"],
            ),
        ] {
            assert_eq!(texts(t, &blanks(t)), want, "{t}");
        }
    }

    #[test]
    fn bracketed_slots_are_free_text_or_options() {
        let found = |t: &str, before: &str| -> Vec<(String, Vec<String>)> {
            slots(
                t,
                Around {
                    before,
                    ..Around::default()
                },
            )
            .into_iter()
            .map(|s| (t[s.span].to_string(), s.options))
            .collect()
        };
        let free = |s: &str| vec![(s.to_string(), Vec::new())];
        assert_eq!(
            found(": [name of the on-call]", "**Owner**"),
            free("[name of the on-call]")
        );
        assert_eq!(found(" [Open]", "**Verdict:**"), free("[Open]"));
        assert_eq!(found("[expected result]", ""), free("[expected result]"));
        let cell = Around {
            before: "| Owner |",
            after: " |",
            cell: true,
        };
        assert_eq!(slots(" [name] ", cell).len(), 1);
        assert!(slots(" [name] and more", cell).is_empty());
        // What follows the run on its line counts: `[added]` is a tag here.
        let item = Around {
            before: "- ",
            after: "`FoldAdd` to the API\n",
            cell: false,
        };
        assert!(slots("[added] ", item).is_empty());
        assert_eq!(
            found("Notes [fill in after the deploy] here", ""),
            free("[fill in after the deploy]")
        );
        assert_eq!(
            found("Next: [✅ Continue | ⏸ Hold | ❌ Stop]", "")[0].1,
            ["✅ Continue", "⏸ Hold", "❌ Stop"]
        );
        assert_eq!(
            found("Status [Open | Ongoing | Closed] today", "")[0].1,
            ["Open", "Ongoing", "Closed"]
        );
        for (t, before) in [
            ("See [the docs](https://x) and [ref][] and [note]: x", ""),
            ("- [Optional] step two", ""),
            ("https://github.com/[org]/repo", "Go to: "),
            ("[x] and [ ] and [A-Z]", ""),
            ("[START TIME]", "Started: "),
        ] {
            assert!(found(t, before).is_empty(), "{t}: {:?}", found(t, before));
        }
    }

    #[test]
    fn code_span_blanks_may_carry_a_unit() {
        for (code, want) in [
            ("____", Some("____")),
            ("___ hours", Some("___")),
            ("_____ GB", Some("_____")),
            ("____%", Some("____")),
            ("______ ms", Some("______")),
            ("$____", Some("____")),
            ("__/__/____", Some("__/__/____")),
            ("__init__", None),
            ("MAX___SIZE", None),
            ("fn(___)", None),
            ("____ and ____", None),
            ("[START TIME]", None),
        ] {
            assert_eq!(code_blank(code).map(|r| &code[r]), want, "{code}");
        }
    }

    #[test]
    fn choices_in_code_spans() {
        assert_eq!(code_choice("Yes / No").unwrap(), vec!["Yes", "No"]);
        assert_eq!(
            code_choice("STABLE / NEEDS ATTENTION / ROLLBACK REQUIRED")
                .unwrap()
                .len(),
            3
        );
        assert!(code_choice("src/main.rs").is_none());
        assert!(code_choice("a / $(rm -rf x)").is_none());
    }

    #[test]
    fn ballot_runs() {
        let t = "☐ GO  ☐ NO-GO";
        let b = ballots(t, &[]);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].options, vec!["GO", "NO-GO"]);
        assert_eq!(&t[b[0].span.clone()], t);
        let t = "| ☐ Yes ☐ No (Hold if not complete) | ☐ |";
        let b = ballots(t, &[]);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].options, vec!["Yes", "No"]);
        assert_eq!(b[1].options, vec![""]);
        let b = ballots("☐ ✅ Yes  ☐ ❌ No", &[]);
        assert_eq!(b[0].options, vec!["✅ Yes", "❌ No"]);
        // Read through the wrong encoding, the boxes are still boxes.
        let t = "‚òê GO  ‚òê NO-GO (if NO-GO, reschedule)";
        let b = ballots(t, &[]);
        assert_eq!(b[0].options, vec!["GO", "NO-GO"]);
        assert_eq!(b[0].boxes, vec![0, 12]);
        // An option stops where a blank begins.
        let t = "☐ QA Lead: ______";
        let b = ballots(t, &[t.find('_').unwrap()]);
        assert_eq!(b[0].options, vec!["QA Lead:"]);
        assert_eq!(&t[b[0].span.clone()], "☐ QA Lead:");
    }
}
