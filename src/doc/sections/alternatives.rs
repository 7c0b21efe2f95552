//! Alternatives: sibling sections named as options (`Option 1` / `Option 2`,
//! `Option A`, `Method 1`, `Alternative:`) and list items joined by a
//! trailing `OR`. A run does one of each group, not all of them.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use crate::doc::model::{Runbook, Step};

/// Options a document offers, of which a run does one.
#[derive(Debug, Clone)]
pub struct Group {
    /// 1-based line of its first option.
    pub line: usize,
    pub options: Vec<Alternative>,
}

/// One option of a group.
#[derive(Debug, Clone)]
pub struct Alternative {
    /// The heading, or the item's text without its `OR`.
    pub label: String,
    pub line: usize,
    /// The steps doing it takes (an item's own step and those under it).
    pub steps: Range<usize>,
    pub form: OptionForm,
}

/// How an option is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionForm {
    /// A section (by index into `Runbook::sections`).
    Section(usize),
    /// A `- [ ]` item (by step index) ending in `OR`, or the one after it.
    Item(usize),
}

impl Group {
    /// Whether doing some option runs a command: a run with nobody to
    /// choose cannot go on past such a group.
    pub fn runs_commands(&self, book: &Runbook) -> bool {
        self.options.iter().any(|o| {
            book.steps[o.steps.clone()]
                .iter()
                .any(|s| s.command().is_some())
        })
    }

    /// The options' labels, as a run shows them.
    pub fn labels(&self) -> Vec<String> {
        self.options.iter().map(|o| o.label.clone()).collect()
    }
}

/// The one option among `labels` that `wanted` names: its whole label
/// (case aside), else the one label holding it. `None` when it names none
/// or several.
pub fn pick(labels: &[String], wanted: &str) -> Option<usize> {
    let wanted = wanted.trim().to_lowercase();
    if wanted.is_empty() {
        return None;
    }
    let lower: Vec<String> = labels.iter().map(|l| l.trim().to_lowercase()).collect();
    if let Some(exact) = lower.iter().position(|l| *l == wanted) {
        return Some(exact);
    }
    let mut holding = lower
        .iter()
        .enumerate()
        .filter(|(_, l)| contains_words(l, &wanted));
    match (holding.next(), holding.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

/// Whether `text` holds `piece` starting and ending at word boundaries:
/// "option 1" is in "option 1: blue/green", not in "option 12".
fn contains_words(text: &str, piece: &str) -> bool {
    text.match_indices(piece).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + piece.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// `Option 1`, `OPTION A`, `Method 2`, `Plan B`: a heading (`bare`) that is an option.
fn numbered_option(title: &str) -> bool {
    static OPTION: OnceLock<Regex> = OnceLock::new();
    OPTION
        .get_or_init(|| {
            Regex::new(
                r"^(?i:option|method|approach|alternative|variant|choice|plan|strategy)\s*#?\s*(?:[0-9]+|[A-Z]|[IVX]+)\b",
            )
            .expect("a valid pattern")
        })
        .is_match(title)
}

/// `Alternative: …`, `Alternatively, …`, `Alternative approach`: an option
/// besides the section before it (`title` is `bare`).
fn other_way(title: &str) -> bool {
    static OTHER: OnceLock<Regex> = OnceLock::new();
    OTHER
        .get_or_init(|| {
            Regex::new(
                r"^(?i)alternative(?:ly)?(?:\s*[:,—–-]|\s+(?:approach|method|option|way|path)\b)",
            )
            .expect("a valid pattern")
        })
        .is_match(title)
}

/// Whether `title` (`bare`) may be an option for `numbered_option` or
/// `other_way`, by its first two bytes: each pattern's words open with one
/// of these pairs, and only ASCII letters are in them, whose other cases
/// are ASCII too, but for `s` (`ſ`, U+017F) and `k` (`K`, U+212A): a title
/// opening with a byte beyond ASCII is left to the patterns. Asked of every
/// heading, most of which are no options.
fn may_name_option(title: &str) -> bool {
    const OPENINGS: [&[u8; 2]; 8] = [b"op", b"me", b"ap", b"al", b"va", b"ch", b"pl", b"st"];
    match title.as_bytes() {
        [a, b, ..] if a.is_ascii() && b.is_ascii() => {
            OPENINGS.contains(&&[a.to_ascii_lowercase(), b.to_ascii_lowercase()])
        }
        // Too short for either pattern's words, unless a byte is beyond ASCII.
        bytes => !bytes.is_ascii(),
    }
}

/// The title without leading symbols and numbering (`1. `, `E) `).
fn bare(title: &str) -> &str {
    let title = title.trim_start_matches(|c: char| !c.is_alphanumeric());
    &title[numbering_len(title)..]
}

/// How long the numbering that `title` opens with is, its spaces after it
/// included: digits and dots, perhaps with a `)`, `.` or `:` (`1. `, `2.3) `), or a
/// letter with a `)` or `.` (`E) `), then white space; 0 when there is none.
/// Read by hand rather than by a pattern: it is asked of every heading.
fn numbering_len(title: &str) -> usize {
    let bytes = title.as_bytes();
    let digits_from = |at: usize| {
        at + bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mark = if bytes.first().is_some_and(u8::is_ascii_digit) {
        let mut at = digits_from(0);
        while bytes.get(at) == Some(&b'.') && bytes.get(at + 1).is_some_and(u8::is_ascii_digit) {
            at = digits_from(at + 1);
        }
        // A mark is taken only with white space after it, and without it
        // the white space would have to start where the mark is: either
        // way, one after the digits is part of the numbering.
        at + usize::from(matches!(bytes.get(at), Some(b')' | b'.' | b':')))
    } else if bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && matches!(bytes.get(1), Some(b')' | b'.'))
    {
        2
    } else {
        return 0;
    };
    let rest = &title[mark..];
    let spaces = rest.len() - rest.trim_start().len();
    if spaces == 0 { 0 } else { mark + spaces }
}

/// The groups of sibling sections named as options.
fn section_groups(book: &Runbook) -> Vec<Group> {
    let sections = &book.sections;
    let mut groups: Vec<Group> = Vec::new();
    // The section seen last under each parent: the previous sibling.
    let mut previous_sibling: HashMap<Option<usize>, usize> = HashMap::new();
    // The group each option section is in.
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    let option = |at: usize| Alternative {
        label: sections[at].title.clone(),
        line: sections[at].line,
        steps: sections[at].steps.clone(),
        form: OptionForm::Section(at),
    };
    for (i, s) in sections.iter().enumerate() {
        let previous = previous_sibling
            .insert(s.parent(), i)
            .filter(|&p| sections[p].level == s.level);
        let title = bare(&s.title);
        if !may_name_option(title) {
            continue;
        }
        let other = other_way(title);
        if !other && !numbered_option(title) {
            continue;
        }
        let g = match previous.and_then(|p| group_of.get(&p).copied()) {
            Some(g) => {
                groups[g].options.push(option(i));
                g
            }
            None => {
                let mut options = Vec::new();
                if other && let Some(p) = previous {
                    options.push(option(p));
                }
                options.push(option(i));
                groups.push(Group {
                    line: options[0].line,
                    options,
                });
                groups.len() - 1
            }
        };
        group_of.insert(i, g);
    }
    groups.retain(|g| g.options.len() > 1);
    groups
}

/// The last step under `index` (itself if it owns none).
fn last_under(book: &Runbook, index: usize) -> usize {
    let mut at = index;
    while let Some(&c) = book.steps[at].children.last() {
        at = c;
    }
    at
}

/// `text` without a trailing `OR` word, if it ends in one.
fn before_or(text: &str) -> Option<&str> {
    let trimmed = text.trim_end_matches(|c: char| c.is_whitespace() || "*_:,".contains(c));
    // Most texts end in another word: no need to find where it starts.
    if !trimmed.ends_with(['r', 'R']) {
        return None;
    }
    let word_start = trimmed
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_alphanumeric())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let (rest, word) = trimmed.split_at(word_start);
    (word.eq_ignore_ascii_case("or") && !rest.trim().is_empty())
        .then(|| rest.trim_end_matches(|c: char| c.is_whitespace() || c == ','))
}

/// Groups of `- [ ]` items joined by a trailing `OR`.
fn item_groups(book: &Runbook) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut index = 0;
    while index < book.steps.len() {
        let step = &book.steps[index];
        if !is_item(step) || before_or(&step.text).is_none() {
            index += 1;
            continue;
        }
        let mut options = Vec::new();
        let mut at = index;
        loop {
            let here = &book.steps[at];
            let end = last_under(book, at) + 1;
            let label = before_or(&here.text).unwrap_or(&here.text).to_string();
            options.push(Alternative {
                label,
                line: here.line(),
                steps: at..end,
                form: OptionForm::Item(at),
            });
            let joined = before_or(&here.text).is_some();
            let next = book
                .steps
                .get(end)
                .filter(|n| is_item(n) && n.parent == here.parent && n.heading == here.heading);
            match next {
                Some(n) if joined => at = n.at(),
                _ => break,
            }
        }
        index = options.last().map_or(index + 1, |o| o.steps.end);
        if options.len() > 1 {
            groups.push(Group {
                line: options[0].line,
                options,
            });
        }
    }
    groups
}

/// A list item task (not a box inside a plain fence, not a heading task).
fn is_item(step: &Step) -> bool {
    step.task().is_some_and(|t| t.in_fence.is_none())
}

/// Every group of alternatives in `book`, in document order.
pub(super) fn recognise(book: &Runbook) -> Vec<Group> {
    let mut groups = section_groups(book);
    groups.extend(item_groups(book));
    groups.sort_by_key(|g| (g.options[0].steps.start, g.line));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_headings_and_trailing_ors() {
        for title in [
            "OPTION 1: BLUE/GREEN BACKEND DEPLOY",
            "Option A: Quick Rollback (Kubernetes)",
            "Method 2",
            "Plan B",
            "3. Option 2 — by hand",
        ] {
            assert!(numbered_option(bare(title)), "{title}");
        }
        for title in [
            "Options",
            "Plan a rollback",
            "Optional steps",
            "Strategy Selection",
        ] {
            assert!(!numbered_option(bare(title)), "{title}");
        }
        assert!(other_way("Alternative: deploy with kubectl"));
        assert!(other_way("Alternative approach"));
        assert!(!other_way("Alternatives considered"));
        assert_eq!(
            before_or("Docker image tag: `backend:mvp` OR"),
            Some("Docker image tag: `backend:mvp`")
        );
        assert_eq!(
            before_or("**Restart the pod** or"),
            Some("**Restart the pod**")
        );
        assert_eq!(before_or("Resume rollout OR deploy next batch:"), None);
        assert_eq!(before_or("OR"), None);
        assert_eq!(before_or("Changelog reviewed ☐"), None);
        assert_eq!(before_or("Rouge ☐ or"), Some("Rouge ☐"));
    }

    /// What either pattern takes for an option passes `may_name_option`:
    /// each word in each case, and a word opening with `ſ`, which the
    /// patterns read as an `s`.
    #[test]
    fn may_name_option_passes_every_option_the_patterns_find() {
        let words = [
            "option",
            "method",
            "approach",
            "alternative",
            "variant",
            "choice",
            "plan",
            "strategy",
            "alternatively",
        ];
        let mut titles = vec![
            "\u{17f}trategy 2".to_string(),
            "\u{17f}TRATEGY B".to_string(),
        ];
        for word in words {
            let upper = word.to_uppercase();
            let capital = format!("{}{}", &upper[..1], &word[1..]);
            for w in [word.to_string(), upper, capital] {
                for after in [
                    " 1",
                    " #2",
                    "#B",
                    " IV",
                    ": x",
                    ", then",
                    " approach",
                    "—x",
                    " x",
                ] {
                    titles.push(format!("{w}{after}"));
                }
            }
        }
        let mut found = 0;
        for title in &titles {
            if numbered_option(title) || other_way(title) {
                found += 1;
                assert!(may_name_option(title), "{title:?}");
            }
        }
        assert!(found > 50, "{found}");
        assert!(numbered_option("\u{17f}trategy 2"));
        for title in ["Section 1", "Deploy", "a", "", "Options"] {
            assert!(!numbered_option(title) && !other_way(title), "{title}");
        }
        assert!(!may_name_option("Section 1"));
        assert!(!may_name_option("Deploy"));
    }

    #[test]
    fn numbering_is_read_as_the_pattern_it_replaced_reads_it() {
        let pattern = Regex::new(r"^(?:[0-9]+(?:\.[0-9]+)*[).:]?\s+|[A-Za-z][).]\s+)").unwrap();
        for title in [
            "1. Deploy",
            "1 Deploy",
            "1.2.3) x",
            "1.2.x y",
            "1.2. y",
            "12: a",
            "1.",
            "1. ",
            "1.)  x",
            "1.2",
            "1..2 x",
            "1:x",
            "E) Rollback",
            "e. x",
            "E)x",
            "E x",
            "ab) x",
            "Section 1",
            "1\u{a0}x",
            "1.\u{2003}\u{2003}x",
            "1\u{85}x",
            "",
            "7",
            "A)",
            "A) ",
            "9)\tx",
            "١. x",
        ] {
            let expected = pattern.find(title).map_or(0, |m| m.end());
            assert_eq!(numbering_len(title), expected, "{title:?}");
        }
    }
}
