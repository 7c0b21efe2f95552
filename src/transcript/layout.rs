//! The second reading of a transcript: each region found from its closing
//! marker back, by the layout runsheet writes, whatever the Markdown around it
//! makes of it (see `read` for when it is used).

use std::path::Path;

use super::marker::{self, Marker};
use super::read::{Reading, Region, Transcript};

/// The second reading: each region found from its closing marker back, by the
/// layout runsheet writes, whatever the Markdown around it makes of it.
/// `None` when the text does not hold a run summary read this way.
pub(super) fn by_layout(path: &Path, original: &str, text: &str) -> Option<Transcript> {
    let mut r = Reading::whole(path, text);
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
        // A mark that does not add up leaves `r` as it was: it records its
        // outcome only once all else is read, after its removals.
        let removals = r.removals.len();
        let first = r.inline(&m, open_at, close_end);
        if first.is_err() {
            r.removals.truncate(removals);
        }
        return first.ok();
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
            Region::new(marker, open_at)
        }
        "boxes" | "sec" => {
            let above = line_before(text, line_start)?;
            let (open_at, marker) = opening(above, line_start)?;
            (open_at == above + prefix.len()).then_some(Region::new(marker, open_at))?
        }
        _ => out_region(text, prefix, eol, line_start)?,
    };
    let start = r.region_start(&region.marker, region.start).ok()?;
    region.start = start;
    if region.marker.kind == "boxes" {
        // Tried apart: its records go in one at a time.
        let mut trial = Reading::new(r.path, text);
        trial.region(region, end).ok()?;
        r.take(trial);
    } else {
        // Any other region records its summary or outcome only once all
        // else is read, after its removal: undone, it leaves `r` as it was.
        let removals = r.removals.len();
        if r.region(region, end).is_err() {
            r.removals.truncate(removals);
            return None;
        }
    }
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
    let mut tries = Vec::new();
    let mut line_start = close_line;
    loop {
        let above = line_before(text, line_start)?;
        let line = text[above..line_start].strip_suffix(eol)?;
        let rest = line.strip_prefix(prefix)?;
        if super::attempts::is_fold(rest) {
            line_start = above;
            continue;
        }
        if rest.starts_with(super::attempts::TRY) {
            // An earlier attempt: what ran, what it printed and its host
            // lines are below it.
            let mut its_hosts = std::mem::take(&mut hosts);
            its_hosts.reverse();
            tries.push((
                super::attempts::marker(rest)?,
                ran.take(),
                output.take(),
                its_hosts,
            ));
            line_start = above;
            continue;
        }
        if rest.starts_with(super::hosts::HOST) {
            // A fleet block's host line: the output below it is that host's.
            hosts.push((super::hosts::marker(rest)?, output.take()));
            line_start = above;
            continue;
        }
        if rest.starts_with(marker::OPEN) {
            hosts.reverse();
            tries.reverse();
            let mut region = Region::new(
                marker::parse_open(rest).filter(|m| m.kind == "out")?,
                above + prefix.len(),
            );
            (region.output, region.ran, region.hosts, region.tries) = (output, ran, hosts, tries);
            return Some(region);
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
