//! Reading a transcript back: its markers give the recorded outcomes, and
//! taking them out gives the source byte for byte.
//!
//! There are two readings. The first finds the markers through the Markdown
//! parser, so that marker-like text the document itself holds (in a code block,
//! say) stays document text. But what runsheet inserts can change how the
//! parser reads the text around it: a code span it writes may pair with a stray
//! backtick, or a region it adds may end a list early. So when that reading
//! does not give back the document the run began with (its sha256 is in the run
//! summary), the second reading finds each region by its layout alone, from
//! its closing marker back, and is taken if it gives the document back.

use std::collections::HashMap;
use std::path::Path;

use super::attrs::{check_version, outcome, reasons, run_info};
use super::marker::{self, Marker};
use super::sha256;
use crate::doc::fields::BOXES;
use crate::doc::markdown::{self, CodeBlockKind, Event, Tag, TagEnd};
use crate::error::{Error, Result};
use crate::record::{Outcome, RunInfo, Status};

/// What a transcript holds.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    /// The source document, markers taken out.
    pub source: String,
    /// The run summary, if the text is a transcript at all.
    pub info: Option<RunInfo>,
    pub outcomes: HashMap<String, Outcome>,
    /// Markers found outside code, in a text with no run summary: a damaged
    /// transcript rather than a document.
    pub stray_markers: bool,
}

impl Transcript {
    /// Whether the text read back is the document the run began with.
    fn gives_back_the_source(&self) -> bool {
        self.info
            .as_ref()
            .is_some_and(|i| !i.sha256.is_empty() && sha256(&self.source) == i.sha256)
    }
}

/// Reads `text` (a transcript, or a plain document, which reads as itself).
pub fn read(path: &Path, original: &str) -> Result<Transcript> {
    // Bare carriage returns read as line feeds, as the document parser reads
    // them; same length, so offsets hold for the original text.
    let converted;
    let text: &str = if !original.contains('\n') && original.contains('\r') {
        converted = original.replace('\r', "\n");
        &converted
    } else {
        original
    };
    let parsed = by_parser(path, original, text);
    if matches!(&parsed, Ok(t) if t.gives_back_the_source()) {
        return parsed;
    }
    match by_layout(path, original, text) {
        Some(t) if t.gives_back_the_source() => Ok(t),
        _ => parsed,
    }
}

/// The error for a transcript whose markers do not add up, at byte `at` of `text`.
fn damaged(path: &Path, text: &str, at: usize, message: String) -> Error {
    let at = at.min(text.len());
    let line = text.as_bytes()[..at]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    Error::Damaged {
        path: path.into(),
        line,
        message: format!(
            "{message}; the transcript's runsheet markers are damaged (was it edited by hand?)"
        ),
    }
}

/// Bytes `from..to` to replace with the text runsheet took out.
type Removal = (usize, usize, String);

/// What a reading has found so far.
struct Reading<'a> {
    path: &'a Path,
    /// The text with bare carriage returns read as line feeds.
    text: &'a str,
    removals: Vec<Removal>,
    info: Option<RunInfo>,
    outcomes: HashMap<String, Outcome>,
}

/// One marked region: its opening marker, where it starts (what runsheet
/// put before the marker line included), and the code blocks inside it.
struct Region {
    marker: Marker,
    start: usize,
    output: Option<String>,
    ran: Option<String>,
    /// A fleet block's host lines, each with the output under it.
    hosts: Vec<(Marker, Option<String>)>,
}

impl<'a> Reading<'a> {
    fn new(path: &'a Path, text: &'a str) -> Self {
        Reading {
            path,
            text,
            removals: Vec::new(),
            info: None,
            outcomes: HashMap::new(),
        }
    }

    /// The error for damaged markers at byte `at`.
    fn damaged(&self, at: usize, message: String) -> Error {
        damaged(self.path, self.text, at, message)
    }

    /// Where a region whose opening marker is at `at` starts: the start of the
    /// marker's line, less what runsheet wrote before it (`pre`).
    fn region_start(&self, marker: &Marker, at: usize) -> Result<usize> {
        let pre: usize = marker.get("pre").and_then(|p| p.parse().ok()).unwrap_or(0);
        let line_start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
        line_start
            .checked_sub(pre)
            .ok_or_else(|| self.damaged(at, "a marker's `pre` runs past the start".into()))
    }

    /// A region that ends at byte `end` (after its closing marker's line).
    fn region(&mut self, region: Region, end: usize) -> Result<()> {
        let Region {
            marker: m,
            start,
            output,
            ran,
            hosts,
        } = region;
        self.removals.push((start, end, String::new()));
        match m.kind.as_str() {
            "run" => {
                check_version(self.path, &m)?;
                self.info = Some(run_info(&m).map_err(|e| self.damaged(start, e))?);
            }
            "boxes" => self.boxes(&m, start)?,
            "sec" => {
                let mut outcome = outcome(&m)
                    .map_err(|e| self.damaged(start, e))?
                    .ok_or_else(|| {
                        self.damaged(start, "a section marker without id or status".into())
                    })?;
                outcome.value = m.get("value").map(str::to_string);
                self.outcomes.insert(outcome.id.clone(), outcome);
            }
            "out" => {
                let mut outcome = outcome(&m)
                    .map_err(|e| self.damaged(start, e))?
                    .ok_or_else(|| {
                        self.damaged(start, "an output marker without id or status".into())
                    })?;
                outcome.output = output.unwrap_or_default();
                outcome.note = m.get("note").map(str::to_string);
                outcome.ran = ran;
                for (h, out) in hosts {
                    outcome
                        .hosts
                        .push(super::hosts::read(&h, out).map_err(|e| self.damaged(start, e))?);
                }
                self.outcomes.insert(outcome.id.clone(), outcome);
            }
            _ => {}
        }
        Ok(())
    }

    /// The checkboxes a `boxes` region records, ticked in the fence above it.
    fn boxes(&mut self, m: &Marker, start: usize) -> Result<()> {
        let region_line = start
            + m.get("pre")
                .and_then(|p| p.parse::<usize>().ok())
                .unwrap_or(0);
        let list = |k: &str| -> Vec<String> {
            m.get(k)
                .unwrap_or_default()
                .split(',')
                .map(str::to_string)
                .collect()
        };
        let (ids, statuses, ats, back, ticks) = (
            list("ids"),
            list("status"),
            list("at"),
            list("back"),
            list("tick"),
        );
        for (n, id) in ids.iter().enumerate() {
            let status = statuses
                .get(n)
                .and_then(|s| s.parse::<Status>().ok())
                .ok_or_else(|| {
                    self.damaged(start, format!("a checkbox record for `{id}` has no status"))
                })?;
            let mut outcome = Outcome::new(id.clone(), status);
            outcome.at = ats.get(n).cloned().unwrap_or_default();
            outcome.note = m.get(&format!("note-{id}")).map(str::to_string);
            outcome.value = m.get(&format!("value-{id}")).map(str::to_string);
            outcome.reasons = reasons(id, m.get(&format!("how-{id}")))
                .map_err(|e| self.damaged(region_line, e))?;
            // Where the box or field is: `back` bytes before the region's line.
            let at = back
                .get(n)
                .and_then(|b| b.parse::<usize>().ok())
                .and_then(|b| region_line.checked_sub(b));
            let tick = ticks.get(n).map(String::as_str).unwrap_or("0");
            if let Some((empty, marked, _)) = BOXES.iter().find(|(_, _, code)| *code == tick) {
                let at = at
                    .filter(|&a| self.text.get(a..a + marked.len()) == Some(*marked))
                    .ok_or_else(|| {
                        self.damaged(
                            region_line,
                            format!(
                                "the box of `{id}` is no longer `{marked}` where it was ticked"
                            ),
                        )
                    })?;
                self.removals.push((at, at + marked.len(), (*empty).into()));
            }
            if let Some(n) = m
                .get(&format!("n-{id}"))
                .and_then(|n| n.parse::<usize>().ok())
            {
                let at = at
                    .filter(|&a| self.text.is_char_boundary(a) && self.text.is_char_boundary(a + n))
                    .filter(|&a| a + n <= self.text.len())
                    .ok_or_else(|| {
                        self.damaged(
                            region_line,
                            format!("the value of `{id}` is no longer where it was filled in"),
                        )
                    })?;
                let was = m.get(&format!("was-{id}")).unwrap_or_default();
                self.removals.push((at, at + n, was.to_string()));
            }
            self.outcomes.insert(id.clone(), outcome);
        }
        Ok(())
    }

    /// An inline mark (a task's or a field's) whose opening marker starts at
    /// `start` and whose closing marker ends at `end`. Returns the first byte
    /// it accounts for.
    fn inline(&mut self, m: &Marker, start: usize, end: usize) -> Result<usize> {
        let spaced = m.get("sp") == Some("1");
        let from = if spaced {
            start
                .checked_sub(1)
                .ok_or_else(|| self.damaged(start, "a task mark runs past the start".into()))?
        } else {
            start
        };
        let mut first = from;
        let tick = m.get("tick").unwrap_or("0");
        if let Some((empty, marked, _)) = BOXES.iter().find(|(_, _, code)| *code == tick) {
            // The box, then the space after it, then the mark.
            let at = start
                .checked_sub(1 + marked.len())
                .filter(|&a| self.text.get(a..a + marked.len()) == Some(*marked))
                .ok_or_else(|| {
                    self.damaged(start, format!("a ticked box is no longer `{marked}`"))
                })?;
            self.removals.push((at, at + marked.len(), (*empty).into()));
            first = first.min(at);
        }
        // A fill replaced `n` bytes before its marker; `was` is what stood there.
        let n: usize = m.get("n").and_then(|n| n.parse().ok()).unwrap_or(0);
        let from = from
            .checked_sub(n)
            .filter(|&f| self.text.is_char_boundary(f))
            .ok_or_else(|| self.damaged(start, "a filled value runs past the start".into()))?;
        self.removals
            .push((from, end, m.get("was").unwrap_or_default().to_string()));
        if let Some(mut o) = outcome(m).map_err(|e| self.damaged(start, e))? {
            o.note = m.get("note").map(str::to_string);
            o.value = m.get("value").map(str::to_string);
            self.outcomes.insert(o.id.clone(), o);
        }
        Ok(first.min(from))
    }

    /// Adds what `other` found.
    fn take(&mut self, mut other: Reading) {
        self.removals.append(&mut other.removals);
        self.outcomes.extend(other.outcomes);
        if other.info.is_some() {
            self.info = other.info;
        }
    }

    /// The source: `original` with every removal undone.
    fn finish(mut self, original: &str) -> Result<Transcript> {
        let found_markers = !self.removals.is_empty();
        self.removals.sort_by_key(|r| r.0);
        let mut source = String::with_capacity(original.len());
        let mut at = 0;
        for (from, to, with) in std::mem::take(&mut self.removals) {
            if from < at {
                return Err(self.damaged(from, "overlapping markers".into()));
            }
            source.push_str(&original[at..from]);
            source.push_str(&with);
            at = to;
        }
        source.push_str(&original[at..]);
        if self.info.is_none() {
            // Markers but no run summary: not a transcript runsheet wrote. The
            // document is what it is; nothing is taken out of it.
            return Ok(Transcript {
                source: original.to_string(),
                info: None,
                outcomes: HashMap::new(),
                stray_markers: found_markers,
            });
        }
        Ok(Transcript {
            source,
            info: self.info,
            outcomes: self.outcomes,
            stray_markers: false,
        })
    }
}

/// The first reading: markers are the HTML the Markdown parser finds.
fn by_parser(path: &Path, original: &str, text: &str) -> Result<Transcript> {
    let mut r = Reading::new(path, text);
    let mut open: Option<Region> = None;
    let mut inline: Option<(Marker, usize)> = None;
    let mut code: Option<(String, String)> = None;

    // Parse as the document parser does: after a byte-order mark.
    let base = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = &text[base..];
    for (event, range) in markdown::events(body) {
        let range = range.start + base..range.end + base;
        match event {
            Event::Html(html) if marker::is_open(&html) && open.is_none() => {
                let m = marker::parse_open(&html)
                    .ok_or_else(|| r.damaged(range.start, "an unreadable marker".into()))?;
                let start = r.region_start(&m, range.start)?;
                open = Some(Region {
                    marker: m,
                    start,
                    output: None,
                    ran: None,
                    hosts: Vec::new(),
                });
            }
            Event::Html(html) if html.starts_with(super::hosts::HOST) => {
                if let (Some(o), Some(m)) = (open.as_mut(), super::hosts::marker(&html)) {
                    o.hosts.push((m, None));
                }
            }
            Event::Html(html) if marker::is_close(&html) => {
                let kind = marker::parse_close(&html).unwrap_or("");
                let Some(o) = open.take() else {
                    return Err(r.damaged(
                        range.start,
                        format!("a closing `{kind}` marker with no opening one"),
                    ));
                };
                if o.marker.kind != kind {
                    return Err(r.damaged(
                        range.start,
                        format!(
                            "a region opened as `{}` is closed as `{kind}`",
                            o.marker.kind
                        ),
                    ));
                }
                let end = text[range.start..]
                    .find('\n')
                    .map_or(text.len(), |i| range.start + i + 1);
                r.region(o, end)?;
            }
            Event::InlineHtml(html) if marker::is_open(&html) => {
                let m = marker::parse_open(&html)
                    .ok_or_else(|| r.damaged(range.start, "an unreadable marker".into()))?;
                inline = Some((m, range.start));
            }
            Event::InlineHtml(html) if marker::is_close(&html) => {
                let Some((m, start)) = inline.take() else {
                    return Err(
                        r.damaged(range.start, "a closing marker with no opening one".into())
                    );
                };
                r.inline(&m, start, range.end)?;
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) if open.is_some() => {
                code = Some((info.to_string(), String::new()));
            }
            Event::Text(t) if code.is_some() => {
                if let Some((_, body)) = code.as_mut() {
                    body.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let (Some((info, body)), Some(o)) = (code.take(), open.as_mut()) {
                    if info.contains("{rs=output}") {
                        match o.hosts.last_mut() {
                            Some((_, out)) => *out = Some(body),
                            None => o.output = Some(body),
                        }
                    } else if info.contains("{rs=ran}") {
                        o.ran = Some(body);
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(o) = open {
        return Err(r.damaged(
            o.start,
            format!(
                "the `{}` region that starts here is never closed",
                o.marker.kind
            ),
        ));
    }
    r.finish(original)
}

/// The second reading: each region found from its closing marker back, by the
/// layout runsheet writes, whatever the Markdown around it makes of it.
/// `None` when the text does not hold a run summary read this way.
pub(super) fn by_layout(path: &Path, original: &str, text: &str) -> Option<Transcript> {
    let mut r = Reading::new(path, text);
    // Marker-like text of the runbook's own, by its offset in the runbook
    // (`lit`), and the runbook's length (`len`): from the run summary.
    let summary = literal_summary(text);
    // Everything from `limit` on is accounted for, and `inserted` is how many
    // bytes longer what runsheet wrote there made it.
    let mut limit = text.len();
    let mut search = text.len();
    // (A filled value can be shorter than the blank it replaced: signed.)
    let mut inserted = 0isize;
    while let Some(at) = text[..search].rfind(marker::CLOSE) {
        search = at;
        if let Some((literal, len)) = &summary {
            // Where `at` is in the runbook, if this is the runbook's text.
            let before = text.len() as isize - *len as isize - inserted;
            let in_runbook = usize::try_from(at as isize - before).ok();
            if in_runbook.is_some_and(|o| literal.binary_search(&o).is_ok()) {
                continue;
            }
        }
        let removals = r.removals.len();
        if let Some(start) = layout_region(&mut r, at) {
            limit = start.min(limit);
            search = search.min(limit);
            inserted += r.removals[removals..]
                .iter()
                .map(|(from, to, with)| (to - from) as isize - with.len() as isize)
                .sum::<isize>();
        }
    }
    let t = r.finish(original).ok()?;
    t.info.is_some().then_some(t)
}

/// The run summary's record of marker-like text in the runbook: the offsets
/// (`lit`) and the runbook's length (`len`), if it has one.
fn literal_summary(text: &str) -> Option<(Vec<usize>, usize)> {
    let m = text
        .match_indices(marker::OPEN)
        .filter_map(|(at, _)| marker::parse_open(&text[at..]))
        .find(|m| m.kind == "run" && m.get("sha256").is_some())?;
    let len: usize = m.get("len")?.parse().ok()?;
    let literal = m
        .get("lit")?
        .split(',')
        .map(|o| o.parse().ok())
        .collect::<Option<Vec<usize>>>()?;
    (len <= text.len()).then_some((literal, len))
}

/// The region (or inline mark) whose closing marker is at `at`: recorded in
/// `r`, and where it starts returned. `None` (nothing recorded) if what is
/// there is not laid out as runsheet writes it.
fn layout_region(r: &mut Reading, at: usize) -> Option<usize> {
    let text = r.text;
    let kind = marker::parse_close(&text[at..]).filter(|k| marker::KINDS.contains(k))?;
    let close_end = at + marker::CLOSE.len() + kind.len() + "-->".len();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let opening = |from: usize, to: usize| -> Option<(usize, Marker)> {
        let open_at = from + text[from..to].rfind(marker::OPEN)?;
        let m = marker::parse_open(&text[open_at..to]).filter(|m| m.kind == kind)?;
        Some((open_at, m))
    };
    if matches!(kind, "task" | "fill") {
        let (open_at, m) = opening(line_start, at)?;
        // Tried apart, so that a mark that does not add up leaves `r` as it was.
        let mut trial = Reading::new(r.path, text);
        let first = trial.inline(&m, open_at, close_end).ok()?;
        r.take(trial);
        return Some(first);
    }
    // A region: its closing marker alone on its line, after the prefix the
    // region's lines share (a list's indent, a quote's `> `).
    let prefix = &text[line_start..at];
    let rest = &text[close_end..];
    // The line ending runsheet wrote the region's lines with.
    let eol = if rest.starts_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let end = if rest.is_empty() {
        text.len()
    } else if rest.starts_with(eol) {
        close_end + eol.len()
    } else {
        return None;
    };
    let mut region = match kind {
        "run" => {
            let (open_at, marker) = opening(0, line_start)?;
            Region {
                marker,
                start: open_at,
                output: None,
                ran: None,
                hosts: Vec::new(),
            }
        }
        "boxes" | "sec" => {
            let above = line_before(text, line_start)?;
            let (open_at, marker) = opening(above, line_start)?;
            (open_at == above + prefix.len()).then_some(Region {
                marker,
                start: open_at,
                output: None,
                ran: None,
                hosts: Vec::new(),
            })?
        }
        _ => out_region(text, prefix, eol, line_start)?,
    };
    let start = r.region_start(&region.marker, region.start).ok()?;
    region.start = start;
    let mut trial = Reading::new(r.path, text);
    trial.region(region, end).ok()?;
    r.take(trial);
    Some(start)
}

/// The start of the line before the one that starts at `line_start`.
fn line_before(text: &str, line_start: usize) -> Option<usize> {
    let before = line_start.checked_sub(1)?;
    Some(text[..before].rfind('\n').map_or(0, |i| i + 1))
}

/// An output region whose closing line starts at `close_line`: code blocks
/// (what ran, what it printed) back up to the line with the opening marker.
/// The region's `start` is the opening marker's offset. Its lines end in
/// `eol`; the text inside its blocks had lines ending in `\n`.
fn out_region(text: &str, prefix: &str, eol: &str, close_line: usize) -> Option<Region> {
    let (mut output, mut ran) = (None, None);
    let mut hosts = Vec::new();
    let mut line_start = close_line;
    loop {
        let above = line_before(text, line_start)?;
        let line = text[above..line_start].strip_suffix(eol)?;
        let rest = line.strip_prefix(prefix)?;
        if rest.starts_with(super::hosts::HOST) {
            // A fleet block's host line: the output below it is that host's.
            hosts.push((super::hosts::marker(rest)?, output.take()));
            line_start = above;
            continue;
        }
        if rest.starts_with(marker::OPEN) {
            hosts.reverse();
            return Some(Region {
                marker: marker::parse_open(rest).filter(|m| m.kind == "out")?,
                start: above + prefix.len(),
                output,
                ran,
                hosts,
            });
        }
        // The closing fence of a code block: a run of backticks, and nothing
        // inside the block holds a run that long.
        if rest.len() < 3 || !rest.bytes().all(|b| b == b'`') {
            return None;
        }
        let fence = rest;
        let mut body_end = above;
        let mut lines: Vec<&str> = Vec::new();
        let (info, open_line) = loop {
            let up = line_before(text, body_end)?;
            let bare = text[up..body_end].strip_suffix(eol)?;
            if let Some(info) = bare
                .strip_prefix(prefix)
                .and_then(|l| l.strip_prefix(fence))
                .filter(|i| !i.starts_with('`'))
            {
                break (info, up);
            }
            let content = bare
                .strip_prefix(prefix)
                .or_else(|| (bare == prefix.trim_end()).then_some(""))?;
            lines.push("\n");
            lines.push(content);
            body_end = up;
        };
        lines.reverse();
        let body = lines.concat();
        if info.contains("{rs=output}") {
            output = Some(body);
        } else if info.contains("{rs=ran}") {
            ran = Some(body);
        } else {
            return None;
        }
        line_start = open_line;
    }
}
