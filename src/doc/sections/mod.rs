//! Sections: the part of the document each heading starts; which of them are
//! contingency sections, run only when something goes wrong (a rollback, an
//! emergency procedure, troubleshooting), and which are the main path; and
//! the alternatives a document offers, of which a run does one.

mod alternatives;
mod words;

use std::ops::Range;

use serde::{Deserialize, Serialize};

pub use alternatives::{Alternative, Group, OptionForm, pick};
pub use words::Contingency;

use super::model::{FenceText, Link, Runbook, Span, Span32, narrow, to32, widen};
use crate::source::Source;

/// A heading and the part of the document it starts.
#[derive(Debug, Clone)]
pub struct Section {
    /// The heading's text.
    pub title: String,
    /// 1 to 6. This and the other small fields keep a section small: a
    /// large runbook has a heading every dozen lines.
    pub level: u8,
    pub line: usize,
    /// The heading's bytes.
    pub heading: Span,
    /// Where the section ends: at the next heading of its level or above.
    /// 32 bits, as a source's offsets are (see its line table).
    pub end: u32,
    /// The section it is in; read as `usize` through `parent()`.
    pub parent: Option<Link>,
    /// Its steps, those of its sub-sections included.
    pub steps: Range<usize>,
    /// The contingency its heading's words name.
    pub named: Option<Contingency>,
    /// What a `<!-- runsheet: ... -->` comment right under the heading says.
    pub comment: Option<Said>,
    /// A contingency section of this kind, or (`None`) on the main path.
    pub contingency: Option<Contingency>,
    /// Why it is one, or why its words do not make it one.
    pub because: Because,
    /// Where a transcript records what became of the section.
    pub mark: Mark,
}

/// What the author said a section is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    Contingency,
    Main,
}

/// Why a section is a contingency section or on the main path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Because {
    /// Its heading's words (or, for the main path, no words that say otherwise).
    Heading,
    /// A `<!-- runsheet: contingency -->` or `<!-- runsheet: main -->` comment.
    Comment,
    /// A pattern in runsheet.toml's `[contingency]`.
    Config,
    /// Its words name a contingency, but the document exists to carry it
    /// out: its title says so, or it has no other steps.
    Purpose,
}

/// Where a line about a section goes in a transcript: the start of the line
/// after its heading, and what each inserted line starts with there.
#[derive(Debug, Clone, Default)]
pub struct Mark {
    /// 32 bits, as a source's offsets are; read as `usize` through `at()`.
    pub at: u32,
    /// The container prefix of the heading's line (`> ` in a quote).
    pub prefix: FenceText,
    /// The heading ends the document without a line ending: one goes first.
    pub eol_first: bool,
}

impl Section {
    /// The section it is in.
    pub fn parent(&self) -> Option<usize> {
        self.parent.map(Link::get)
    }

    /// Where the section ends.
    pub fn end(&self) -> usize {
        self.end as usize
    }
}

impl Mark {
    /// Where a line about the section goes.
    pub fn at(&self) -> usize {
        self.at as usize
    }
}

/// `[contingency]` in runsheet.toml: heading patterns that say outright which
/// sections are contingency sections and which the main path.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionRules {
    /// Headings of contingency sections: case-insensitive, `*` matches any text.
    #[serde(default)]
    pub sections: Vec<String>,
    /// Headings on the main path, whatever their words say.
    #[serde(default)]
    pub main: Vec<String>,
}

impl SectionRules {
    /// Adds the patterns of `other` (a file read later wins nothing: any match counts).
    pub fn extend(&mut self, other: SectionRules) {
        self.sections.extend(other.sections);
        self.main.extend(other.main);
    }

    /// What the patterns say of a heading; `main` wins where both match.
    fn says(&self, title: &str) -> Option<Said> {
        let matches = |p: &String| glob(&p.trim().to_lowercase(), &title.trim().to_lowercase());
        if self.main.iter().any(matches) {
            Some(Said::Main)
        } else if self.sections.iter().any(matches) {
            Some(Said::Contingency)
        } else {
            None
        }
    }
}

/// `*`-only glob matching of a whole text.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    if parts.len() == 1 {
        return pattern == text;
    }
    if text.len() < first.len() + last.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// A heading found by the walk, before the sections are worked out: small,
/// as the list of them is held beside the sections made from it.
struct Found {
    level: u8,
    title: String,
    heading: Span32,
    comment: Option<Said>,
}

/// Collects the headings of a walk, and what the comments under them say.
#[derive(Default)]
pub(in crate::doc) struct Headings {
    found: Vec<Found>,
}

impl Headings {
    /// A heading at `heading`, whose text is `title`.
    pub fn heading(&mut self, level: usize, title: String, heading: Span) {
        self.found.push(Found {
            level: u8::try_from(level).unwrap_or(u8::MAX),
            title,
            heading: narrow(heading),
            comment: None,
        });
    }

    /// An HTML block at `at`: `<!-- runsheet: contingency -->` (or `main`)
    /// with nothing but blank lines between it and the last heading says
    /// what that heading's section is.
    pub fn html(&mut self, source: &Source, html: &str, at: usize) {
        let Some(last) = self.found.last_mut() else {
            return;
        };
        let Some(said) = directive(html) else {
            return;
        };
        let between = source
            .text
            .get(last.heading.end as usize..at)
            .unwrap_or("x");
        if between
            .chars()
            .all(|c| c.is_whitespace() || c == '>' || c == '#')
        {
            last.comment = Some(said);
        }
    }

    /// Works out the sections of `book` from the headings found.
    pub fn finish(self, source: &Source, book: &mut Runbook) {
        let mut sections: Vec<Section> = Vec::with_capacity(self.found.len());
        // The sections still open at each point, innermost last.
        let mut open: Vec<usize> = Vec::new();
        for (i, found) in self.found.into_iter().enumerate() {
            while open
                .last()
                .is_some_and(|&o| sections[o].level >= found.level)
            {
                open.pop();
            }
            let heading = widen(&found.heading);
            sections.push(Section {
                mark: mark(source, &heading),
                line: source.line_of(heading.start),
                named: words::heading_kind(&found.title),
                title: found.title,
                level: found.level,
                heading,
                end: to32(source.text.len()),
                parent: open.last().copied().map(Link::new),
                steps: 0..0,
                comment: found.comment,
                contingency: None,
                because: Because::Heading,
            });
            open.push(i);
        }
        main_sequence_steps(&mut sections);
        // A section ends where the next heading of its level or above starts.
        let mut open: Vec<usize> = Vec::new();
        for i in 0..sections.len() {
            while let Some(&o) = open.last() {
                if sections[o].level < sections[i].level {
                    break;
                }
                sections[o].end = to32(sections[i].heading.start);
                open.pop();
            }
            open.push(i);
        }
        assign_steps(book, &mut sections);
        book.sections = sections;
        book.purpose = document_purpose(source, book);
        resolve(book, &SectionRules::default());
        book.groups = alternatives::recognise(book);
        // Only as long as the last step in an option: a step past it is in
        // none, and most documents offer no alternatives at all.
        let len = book
            .groups
            .iter()
            .flat_map(|g| &g.options)
            .map(|o| o.steps.end)
            .max()
            .unwrap_or(0);
        book.options_at = vec![Vec::new(); len];
        for (g, group) in book.groups.iter().enumerate() {
            for (o, option) in group.options.iter().enumerate() {
                for at in option.steps.clone() {
                    book.options_at[at].push((g, o));
                }
            }
        }
    }
}

/// What a `<!-- runsheet: ... -->` comment says, if it is one.
fn directive(html: &str) -> Option<Said> {
    let inner = html
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    let word = inner.strip_prefix("runsheet:")?.trim().to_lowercase();
    match word.split_whitespace().next()? {
        "contingency" => Some(Said::Contingency),
        "main" => Some(Said::Main),
        _ => None,
    }
}

/// Where a transcript's line about the section under `heading` goes.
fn mark(source: &Source, heading: &Span) -> Mark {
    let text = &source.text;
    let last = heading.end.saturating_sub(1).max(heading.start);
    let at = source.next_line_start(last);
    let line_start = source.parser_line_start(heading.start);
    let prefix: String = text[line_start..heading.start]
        .chars()
        .map(|c| {
            if c == '>' || c.is_whitespace() {
                c
            } else {
                ' '
            }
        })
        .collect();
    let eol_first = at == text.len() && !text.ends_with(['\n', '\r']);
    Mark {
        at: to32(at),
        prefix: FenceText::new(&prefix),
        eol_first,
    }
}

/// Takes as work the numbered sections whose headings name a contingency as
/// a verb done to something else ("2. Downgrade the log level to INFO") in
/// a sequence of numbered sections of which one at least is plain work.
fn main_sequence_steps(sections: &mut [Section]) {
    let candidates: Vec<usize> = (0..sections.len())
        .filter(|&i| sections[i].named.is_some() && words::numbered_work(&sections[i].title))
        .collect();
    for i in candidates {
        let (level, parent) = (sections[i].level, sections[i].parent);
        let in_sequence = sections.iter().enumerate().any(|(j, s)| {
            j != i
                && s.level == level
                && s.parent == parent
                && s.named.is_none()
                && words::numbered(&s.title)
        });
        if in_sequence {
            sections[i].named = None;
        }
    }
}

/// Tells every step the innermost section it is in, and every section the
/// range of steps in it.
fn assign_steps(book: &mut Runbook, sections: &mut [Section]) {
    // How many headings start at or before the step before: the steps come
    // in document order, so this one's count is mostly that or one more.
    let mut hint = 0;
    for step in &mut book.steps {
        let at = step.span().start;
        // The last heading before the step, then out to the section holding it.
        let before = headings_up_to(sections, at, hint);
        hint = before;
        let mut inner = before.checked_sub(1);
        while let Some(s) = inner.filter(|&s| sections[s].end() <= at) {
            inner = sections[s].parent();
        }
        // A document has far fewer than 2^32 headings.
        step.section = inner.map(Link::new);
        let mut up = inner;
        while let Some(s) = up {
            let range = &mut sections[s].steps;
            if range.start >= range.end {
                *range = step.at()..step.at() + 1;
            } else {
                range.start = range.start.min(step.at());
                range.end = range.end.max(step.at() + 1);
            }
            up = sections[s].parent();
        }
    }
    // A section with no steps sits where the next step after its heading would be.
    for s in sections.iter_mut() {
        if s.steps.is_empty() {
            let first = book
                .steps
                .partition_point(|step| step.span().start < s.heading.start);
            s.steps = first..first;
        }
    }
}

/// How many of `sections` (in document order) have their heading start at
/// or before `at`: `hint` or one more when that is the count, else found by
/// a binary search.
fn headings_up_to(sections: &[Section], at: usize, hint: usize) -> usize {
    let starts_by = |i: usize| sections[i].heading.start <= at;
    for count in [hint, hint + 1] {
        if count <= sections.len()
            && (count == 0 || starts_by(count - 1))
            && (count == sections.len() || !starts_by(count))
        {
            return count;
        }
    }
    sections.partition_point(|s| s.heading.start <= at)
}

/// The document's title: its first heading, when no other heading is at
/// its level or above.
fn title_section(sections: &[Section]) -> Option<usize> {
    let first = sections.first()?;
    sections[1..]
        .iter()
        .all(|s| s.level > first.level)
        .then_some(0)
}

/// The kinds of contingency the document exists to carry out, as its
/// title (or, without a title, its file name) says.
fn document_purpose(source: &Source, book: &Runbook) -> Vec<Contingency> {
    match title_section(&book.sections) {
        Some(t) => words::title_purpose(&book.sections[t].title),
        None => {
            let stem = source
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().replace(['_', '-', '.'], " "))
                .unwrap_or_default();
            words::title_purpose(&stem)
        }
    }
}

/// Decides which sections are contingency sections: what the author said
/// (a comment, then runsheet.toml), else the heading's words unless the
/// document exists to do what they name.
fn resolve(book: &mut Runbook, rules: &SectionRules) {
    let title = title_section(&book.sections);
    for (i, s) in book.sections.iter_mut().enumerate() {
        let (contingency, because) = match (s.comment, rules.says(&s.title)) {
            (Some(Said::Contingency), _) => (
                Some(s.named.unwrap_or(Contingency::Marked)),
                Because::Comment,
            ),
            (Some(Said::Main), _) => (None, Because::Comment),
            (None, Some(Said::Contingency)) => (
                Some(s.named.unwrap_or(Contingency::Marked)),
                Because::Config,
            ),
            (None, Some(Said::Main)) => (None, Because::Config),
            // The title names the whole document: never a section to skip.
            (None, None) if Some(i) == title && s.named.is_some() => (None, Because::Purpose),
            (None, None) => match s.named {
                Some(kind) if book.purpose.contains(&kind) => (None, Because::Purpose),
                named => (named, Because::Heading),
            },
        };
        s.contingency = contingency;
        s.because = because;
    }
    // Nothing to do outside the contingency sections its words found: they
    // are what the document is for (a ROLLBACK.md under a plain title).
    let has_main_work = book.steps.iter().any(|step| {
        book.contingency_of(step.at()).is_none()
            && match &step.kind {
                super::StepKind::Task(t) => !t.checked,
                super::StepKind::Placeholder(_) => false,
                _ => true,
            }
    });
    if !has_main_work {
        for s in &mut book.sections {
            if s.contingency.is_some() && s.because == Because::Heading {
                s.contingency = None;
                s.because = Because::Purpose;
            }
        }
    }
}

/// Applies runsheet.toml's `[contingency]` patterns to a parsed document.
pub fn configure(book: &mut Runbook, rules: &SectionRules) {
    if rules.sections.is_empty() && rules.main.is_empty() {
        return;
    }
    resolve(book, rules);
}

impl Runbook {
    /// The outermost contingency section step `index` is in, if any.
    pub fn contingency_of(&self, index: usize) -> Option<usize> {
        let mut at = self.steps.get(index)?.section.map(Link::get);
        let mut found = None;
        while let Some(s) = at {
            if self.sections[s].contingency.is_some() {
                found = Some(s);
            }
            at = self.sections[s].parent();
        }
        found
    }

    /// The outermost contingency section that is section `s` or holds it.
    pub fn contingency_of_section(&self, s: usize) -> Option<usize> {
        let mut at = Some(s);
        let mut found = None;
        while let Some(i) = at {
            if self.sections[i].contingency.is_some() {
                found = Some(i);
            }
            at = self.sections[i].parent();
        }
        found
    }

    /// The contingency sections not inside another, in document order.
    pub fn contingency_sections(&self) -> Vec<usize> {
        (0..self.sections.len())
            .filter(|&i| {
                self.sections[i].contingency.is_some() && {
                    let mut at = self.sections[i].parent();
                    loop {
                        match at {
                            None => break true,
                            Some(p) if self.sections[p].contingency.is_some() => break false,
                            Some(p) => at = self.sections[p].parent(),
                        }
                    }
                }
            })
            .collect()
    }

    /// The groups and options step `index` is part of, outermost first.
    pub fn alternatives_of(&self, index: usize) -> Vec<(usize, usize)> {
        self.options_at.get(index).cloned().unwrap_or_default()
    }

    /// The section `query` names: its heading text (or a heading path
    /// `A › B`), a contingency kind (`rollback`: the first rollback section),
    /// or a piece of one heading's text. An error says why not, and lists
    /// the sections there are.
    pub fn find_section(&self, query: &str) -> Result<usize, String> {
        let q = normalise(query);
        if q.is_empty() {
            return Err("no section named: give a heading's text".into());
        }
        let exact: Vec<usize> = (0..self.sections.len())
            .filter(|&i| {
                normalise(&self.sections[i].title) == q || normalise(&self.path_of(i)) == q
            })
            .collect();
        if let [one] = exact.as_slice() {
            return Ok(*one);
        }
        if let Some(kind) = Contingency::ALL.iter().find(|k| k.word() == q)
            && let Some(&first) = self
                .contingency_sections()
                .iter()
                .find(|&&i| self.sections[i].contingency == Some(*kind))
        {
            return Ok(first);
        }
        let within: Vec<usize> = if exact.len() > 1 {
            exact
        } else {
            (0..self.sections.len())
                .filter(|&i| normalise(&self.sections[i].title).contains(&q))
                .collect()
        };
        match within.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!(
                "no section is called `{query}`; the sections are: {}",
                self.listing(0..self.sections.len())
            )),
            many => Err(format!(
                "`{query}` names several sections: {}; give more of the heading, or its path (`A › B`)",
                self.listing(many.iter().copied())
            )),
        }
    }

    /// `A › B › C`: the headings down to section `index`.
    pub fn path_of(&self, index: usize) -> String {
        let mut titles = Vec::new();
        let mut at = Some(index);
        while let Some(s) = at {
            titles.push(self.sections[s].title.as_str());
            at = self.sections[s].parent();
        }
        titles.reverse();
        titles.join(" › ")
    }

    fn listing(&self, indices: impl Iterator<Item = usize>) -> String {
        let mut names: Vec<String> = indices
            .map(|i| {
                let s = &self.sections[i];
                match s.contingency {
                    Some(kind) => format!("\"{}\" (line {}, {kind})", s.title, s.line),
                    None => format!("\"{}\" (line {})", s.title, s.line),
                }
            })
            .collect();
        if names.len() > 12 {
            let more = names.len() - 12;
            names.truncate(12);
            names.push(format!("and {more} more"));
        }
        names.join(", ")
    }
}

/// Lower case, runs of spaces as one, `>` read as `›`.
pub(crate) fn normalise(text: &str) -> String {
    text.split(['›', '>'])
        .map(|p| {
            p.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .collect::<Vec<_>>()
        .join(" › ")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests;
