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
pub(super) use super::layout::by_layout;
use super::marker::{self, Marker};
use super::parsed::by_parser;
use super::sha256;
pub use super::splice::Span;
use crate::doc::fields::BOXES;
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
    /// What runsheet put in, where: the map from the source back to the
    /// transcript that a save patches instead of rendering everything again.
    pub spans: Vec<Span>,
    /// Where each record was read, by its id: what tells, once the
    /// checklist was edited, which step it was written beside (see `rekey`).
    pub places: Vec<Place>,
    /// Records whose id was read again further on (a record copied with
    /// its block), each with the byte it was read at: `outcomes` holds the
    /// last one read of each id, these the ones before it.
    pub repeats: Vec<(usize, Outcome)>,
}

/// What kind of marker a record was read from, and so what kind of step
/// it was written beside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Beside {
    /// An `out` region, right after a block's closing fence.
    Block,
    /// A `sec` region, under a heading.
    Heading,
    /// A task's mark, after its box.
    Task,
    /// A field's mark after the value that replaced it: at the field's start.
    Filled,
    /// A field's mark after the field left as it was: at its end.
    Field,
    /// A box or field inside a plain fence, recorded in the region after
    /// the fence: at the box or field.
    InFence,
}

/// Where the record `id` was read: `at` is a byte of the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub id: String,
    pub beside: Beside,
    pub at: usize,
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
    let mut converted = String::new();
    let text = line_feeds(original, &mut converted);
    let parsed = by_parser(path, original, text);
    if matches!(&parsed, Ok(t) if t.gives_back_the_source()) {
        return parsed;
    }
    match by_layout(path, original, text) {
        Some(t) if t.gives_back_the_source() => Ok(t),
        _ => parsed,
    }
}

/// Reads `original`, a transcript that is byte for byte the text a save of
/// its run wrote (the run's state says so): by the layout runsheet writes,
/// without the Markdown parser, if that gives back the document the run
/// began with; as `read` reads it otherwise. On such a text the two
/// readings find the same: what runsheet wrote is laid out as it writes it,
/// and marker-like text of the runbook's own is listed in the run summary.
pub fn read_written(path: &Path, original: &str) -> Result<Transcript> {
    let mut converted = String::new();
    let text = line_feeds(original, &mut converted);
    match by_layout(path, original, text) {
        Some(t) if t.gives_back_the_source() => Ok(t),
        _ => read(path, original),
    }
}

/// `original` with bare carriage returns read as line feeds, as the
/// document parser reads them (same length, so offsets hold for the
/// original text); `converted` keeps the copy if one is made.
fn line_feeds<'a>(original: &'a str, converted: &'a mut String) -> &'a str {
    if !original.contains('\n') && original.contains('\r') {
        *converted = original.replace('\r', "\n");
        converted
    } else {
        original
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
pub(super) struct Reading<'a> {
    pub(super) path: &'a Path,
    /// The text with bare carriage returns read as line feeds.
    pub(super) text: &'a str,
    pub(super) removals: Vec<Removal>,
    info: Option<RunInfo>,
    outcomes: HashMap<String, Outcome>,
    places: Vec<Place>,
    repeats: Vec<(usize, Outcome)>,
}

/// One marked region: its opening marker, where it starts (what runsheet
/// put before the marker line included), and the code blocks inside it.
pub(super) struct Region {
    pub(super) marker: Marker,
    pub(super) start: usize,
    pub(super) output: Option<String>,
    pub(super) ran: Option<String>,
    /// A fleet block's host lines, each with the output under it.
    pub(super) hosts: Vec<(Marker, Option<String>)>,
    /// A block's earlier attempts, newest first, each with what ran and what
    /// it printed.
    pub(super) tries: Vec<Try>,
}

/// An earlier attempt's line: its marker, what ran, what it printed, and a
/// fleet block's host lines with the output under each.
pub(super) type Try = (
    Marker,
    Option<String>,
    Option<String>,
    Vec<(Marker, Option<String>)>,
);

impl Region {
    /// A region opened by `marker` at `start`, nothing inside it found yet.
    pub(super) fn new(marker: Marker, start: usize) -> Region {
        Region {
            marker,
            start,
            output: None,
            ran: None,
            hosts: Vec::new(),
            tries: Vec::new(),
        }
    }
}

impl<'a> Reading<'a> {
    pub(super) fn new(path: &'a Path, text: &'a str) -> Self {
        Reading {
            path,
            text,
            removals: Vec::new(),
            info: None,
            outcomes: HashMap::new(),
            places: Vec::new(),
            repeats: Vec::new(),
        }
    }

    /// Takes in the record `outcome`, read at byte `at` beside a step of
    /// the kind `beside` says. A record of the same id read before is kept
    /// among the repeats, with where it was read.
    fn record(&mut self, outcome: Outcome, beside: Beside, at: usize) {
        self.places.push(Place {
            id: outcome.id.clone(),
            beside,
            at,
        });
        if let Some(before) = self.outcomes.insert(outcome.id.clone(), outcome) {
            let was = self.last_place_before(&before.id, self.places.len() - 1);
            self.repeats.push((was, before));
        }
    }

    /// Where the last of the first `n` places of the record `id` is: the
    /// place of the record `outcomes` holds for it, as places and records
    /// go in together.
    fn last_place_before(&self, id: &str, n: usize) -> usize {
        self.places[..n]
            .iter()
            .rev()
            .find(|p| p.id == id)
            .map_or(usize::MAX, |p| p.at)
    }

    /// A reading of the whole of `text`, with room for about one outcome and
    /// one removal a closing marker: made up front rather than grown (and
    /// rehashed) over ten thousand steps.
    pub(super) fn whole(path: &'a Path, text: &'a str) -> Self {
        Reading::sized(path, text, marker::closing_markers(text))
    }

    /// A reading of `text` with room for `regions` outcomes and removals.
    pub(super) fn sized(path: &'a Path, text: &'a str, regions: usize) -> Self {
        let mut r = Reading::new(path, text);
        r.removals.reserve(regions);
        r.outcomes.reserve(regions);
        r.places.reserve(regions);
        r
    }

    /// The error for damaged markers at byte `at`.
    pub(super) fn damaged(&self, at: usize, message: String) -> Error {
        damaged(self.path, self.text, at, message)
    }

    /// Where a region whose opening marker is at `at` starts: the start of the
    /// marker's line, less what runsheet wrote before it (`pre`).
    pub(super) fn region_start(&self, marker: &Marker, at: usize) -> Result<usize> {
        let pre: usize = marker.get("pre").and_then(|p| p.parse().ok()).unwrap_or(0);
        let line_start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
        line_start
            .checked_sub(pre)
            .ok_or_else(|| self.damaged(at, "a marker's `pre` runs past the start".into()))
    }

    /// A region that ends at byte `end` (after its closing marker's line).
    pub(super) fn region(&mut self, region: Region, end: usize) -> Result<()> {
        let Region {
            marker: m,
            start,
            output,
            ran,
            hosts,
            tries,
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
                self.record(outcome, Beside::Heading, start);
            }
            "out" => {
                let mut outcome = outcome(&m)
                    .map_err(|e| self.damaged(start, e))?
                    .ok_or_else(|| {
                        self.damaged(start, "an output marker without id or status".into())
                    })?;
                outcome.output = output.unwrap_or_default();
                outcome.note = m.get("note").map(str::to_string);
                (outcome.fills, outcome.fills_from_file) = super::attrs::fills(&m);
                outcome.ran = ran;
                for (h, out) in hosts {
                    outcome
                        .hosts
                        .push(super::hosts::read(&h, out).map_err(|e| self.damaged(start, e))?);
                }
                for (m, ran, out, hosts) in tries {
                    outcome.earlier.push(
                        super::attempts::read(&m, ran, out, hosts)
                            .map_err(|e| self.damaged(start, e))?,
                    );
                }
                self.record(outcome, Beside::Block, start);
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
            let at = ats.get(n).cloned().unwrap_or_default();
            let mut outcome = Outcome::stamped(id.clone(), status, at);
            outcome.note = m.get(&format!("note-{id}")).map(str::to_string);
            outcome.value = m.get(&format!("value-{id}")).map(str::to_string);
            outcome.reasons = reasons(m.get(&format!("how-{id}")));
            outcome.earlier =
                super::attempts::read_held(id, m).map_err(|e| self.damaged(region_line, e))?;
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
            // A place no step has: a record that cannot be placed.
            self.record(outcome, Beside::InFence, at.unwrap_or(usize::MAX));
        }
        Ok(())
    }

    /// An inline mark (a task's or a field's) whose opening marker starts at
    /// `start` and whose closing marker ends at `end`. Returns the first byte
    /// it accounts for.
    pub(super) fn inline(&mut self, m: &Marker, start: usize, end: usize) -> Result<usize> {
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
            o.earlier =
                super::attempts::read_inline(&o.id, m).map_err(|e| self.damaged(start, e))?;
            let beside = match (m.kind.as_str(), n) {
                ("task", _) => Beside::Task,
                (_, 0) => Beside::Field,
                _ => Beside::Filled,
            };
            self.record(o, beside, from);
        }
        Ok(first.min(from))
    }

    /// Adds what `other` found.
    pub(super) fn take(&mut self, mut other: Reading) {
        self.removals.append(&mut other.removals);
        let mine = self.places.len();
        self.places.append(&mut other.places);
        self.repeats.append(&mut other.repeats);
        for (id, outcome) in other.outcomes {
            if let Some(before) = self.outcomes.insert(id, outcome) {
                let was = self.last_place_before(&before.id, mine);
                self.repeats.push((was, before));
            }
        }
        if other.info.is_some() {
            self.info = other.info;
        }
    }

    /// The source: `original` with every removal undone.
    pub(super) fn finish(mut self, original: &str) -> Result<Transcript> {
        let found_markers = !self.removals.is_empty();
        self.removals.sort_by_key(|r| r.0);
        let mut source = String::with_capacity(original.len());
        let mut spans = Vec::with_capacity(self.removals.len());
        let mut at = 0;
        for (from, to, with) in std::mem::take(&mut self.removals) {
            if from < at {
                return Err(self.damaged(from, "overlapping markers".into()));
            }
            source.push_str(&original[at..from]);
            spans.push(Span::new(source.len(), with.len(), from, to));
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
                spans: Vec::new(),
                places: Vec::new(),
                repeats: Vec::new(),
            });
        }
        Ok(Transcript {
            source,
            info: self.info,
            outcomes: self.outcomes,
            stray_markers: false,
            spans,
            places: self.places,
            repeats: self.repeats,
        })
    }
}
