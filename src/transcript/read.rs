//! Reading a transcript back: its markers, found through the parser, give the
//! recorded outcomes, and taking them out gives the source byte for byte.

use std::collections::HashMap;
use std::path::Path;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use super::marker::{self, Marker};
use super::{Outcome, RunInfo, Status};
use crate::doc::parse::options;
use crate::error::{Error, Result};

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

/// Bytes `from..to` to replace with the text runsheet took out.
type Removal = (usize, usize, String);

/// One marked region being read.
struct Open {
    marker: Marker,
    start: usize,
    output: Option<String>,
    ran: Option<String>,
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
    let damaged = |message: String| Error::Transcript {
        path: path.into(),
        message: format!(
            "{message}; the transcript's runsheet markers are damaged (was it edited by hand?)"
        ),
    };
    let mut removals: Vec<Removal> = Vec::new();
    let mut info = None;
    let mut outcomes = HashMap::new();
    let mut open: Option<Open> = None;
    let mut inline: Option<(Marker, usize)> = None;
    let mut code: Option<(String, String)> = None;

    // Parse as the document parser does: after a byte-order mark.
    let base = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = &text[base..];
    for (event, range) in Parser::new_ext(body, options(body)).into_offset_iter() {
        let range = range.start + base..range.end + base;
        match event {
            Event::Html(html) if marker::is_open(&html) && open.is_none() => {
                let m = marker::parse_open(&html)
                    .ok_or_else(|| damaged(format!("unreadable marker at byte {}", range.start)))?;
                let pre: usize = m.get("pre").and_then(|p| p.parse().ok()).unwrap_or(0);
                let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
                let start = line_start
                    .checked_sub(pre)
                    .ok_or_else(|| damaged("a marker's `pre` runs past the start".into()))?;
                open = Some(Open {
                    marker: m,
                    start,
                    output: None,
                    ran: None,
                });
            }
            Event::Html(html) if marker::is_close(&html) => {
                let kind = marker::parse_close(&html).unwrap_or("");
                let Some(o) = open.take() else {
                    return Err(damaged(format!(
                        "a closing `{kind}` marker with no opening one at byte {}",
                        range.start
                    )));
                };
                if o.marker.kind != kind {
                    return Err(damaged(format!(
                        "`{}` region closed as `{kind}`",
                        o.marker.kind
                    )));
                }
                let end = text[range.start..]
                    .find('\n')
                    .map_or(text.len(), |i| range.start + i + 1);
                removals.push((o.start, end, String::new()));
                match kind {
                    "run" => info = Some(run_info(&o.marker)),
                    "boxes" => {
                        let region_line = o.start
                            + o.marker
                                .get("pre")
                                .and_then(|p| p.parse::<usize>().ok())
                                .unwrap_or(0);
                        let list = |k: &str| -> Vec<String> {
                            o.marker
                                .get(k)
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
                                .and_then(|s| Status::from_word(s))
                                .ok_or_else(|| {
                                    damaged(format!("a checkbox record for `{id}` has no status"))
                                })?;
                            let mut outcome = Outcome::new(id.clone(), status);
                            outcome.at = ats.get(n).cloned().unwrap_or_default();
                            if ticks.get(n).map(String::as_str) == Some("1") {
                                let at = back
                                    .get(n)
                                    .and_then(|b| b.parse::<usize>().ok())
                                    .and_then(|b| region_line.checked_sub(b))
                                    .filter(|&a| text.get(a..a + 3) == Some("[x]"))
                                    .ok_or_else(|| damaged(format!("the box of `{id}` is no longer `[x]` where it was ticked")))?;
                                removals.push((at, at + 3, "[ ]".into()));
                            }
                            outcomes.insert(id.clone(), outcome);
                        }
                    }
                    "out" => {
                        let mut outcome = outcome(&o.marker).ok_or_else(|| {
                            damaged("an output marker without id or status".into())
                        })?;
                        outcome.output = o.output.unwrap_or_default();
                        outcome.note = o.marker.get("note").map(str::to_string);
                        outcome.ran = o.ran;
                        outcomes.insert(outcome.id.clone(), outcome);
                    }
                    _ => {}
                }
            }
            Event::InlineHtml(html) if marker::is_open(&html) => {
                let m = marker::parse_open(&html)
                    .ok_or_else(|| damaged(format!("unreadable marker at byte {}", range.start)))?;
                inline = Some((m, range.start));
            }
            Event::InlineHtml(html) if marker::is_close(&html) => {
                let Some((m, start)) = inline.take() else {
                    return Err(damaged(format!(
                        "a closing marker with no opening one at byte {}",
                        range.start
                    )));
                };
                let spaced = m.get("sp") == Some("1");
                let from = if spaced { start - 1 } else { start };
                if m.get("tick") == Some("1") {
                    let at = start
                        .checked_sub(4)
                        .filter(|&a| text.get(a..a + 3) == Some("[x]"))
                        .ok_or_else(|| damaged("a ticked box is no longer `[x]`".into()))?;
                    removals.push((at, at + 3, "[ ]".into()));
                }
                // A fill replaced `n` bytes before its marker; `was` is what stood there.
                let n: usize = m.get("n").and_then(|n| n.parse().ok()).unwrap_or(0);
                let from = from
                    .checked_sub(n)
                    .filter(|&f| text.is_char_boundary(f))
                    .ok_or_else(|| damaged("a filled value runs past the start".into()))?;
                removals.push((
                    from,
                    range.end,
                    m.get("was").unwrap_or_default().to_string(),
                ));
                if let Some(mut o) = outcome(&m) {
                    o.note = m.get("note").map(str::to_string);
                    o.value = m.get("value").map(str::to_string);
                    outcomes.insert(o.id.clone(), o);
                }
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
                        o.output = Some(body);
                    } else if info.contains("{rs=ran}") {
                        o.ran = Some(body);
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(o) = open {
        return Err(damaged(format!(
            "the `{}` region that starts at byte {} is never closed",
            o.marker.kind, o.start
        )));
    }
    let found_markers = !removals.is_empty();
    removals.sort_by_key(|r| r.0);
    let mut source = String::with_capacity(text.len());
    let mut at = 0;
    for (from, to, with) in removals {
        if from < at {
            return Err(damaged("overlapping markers".into()));
        }
        source.push_str(&original[at..from]);
        source.push_str(&with);
        at = to;
    }
    source.push_str(&original[at..]);
    if info.is_none() {
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
        info,
        outcomes,
        stray_markers: false,
    })
}

fn run_info(m: &Marker) -> RunInfo {
    let get = |k: &str| m.get(k).unwrap_or_default().to_string();
    RunInfo {
        id: get("id"),
        source: get("source"),
        sha256: get("sha256"),
        operator: get("operator"),
        started: get("started"),
        finished: m.get("finished").map(str::to_string),
        state: get("state"),
        mode: get("mode"),
    }
}

fn outcome(m: &Marker) -> Option<Outcome> {
    Some(Outcome {
        id: m.get("id")?.to_string(),
        status: Status::from_word(m.get("status")?)?,
        at: m.get("at").unwrap_or_default().to_string(),
        exit: m.get("exit").and_then(|e| e.parse().ok()),
        ms: m.get("ms").and_then(|e| e.parse().ok()).unwrap_or(0),
        how: m
            .get("how")
            .map(|h| h.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        output: String::new(),
        ran: None,
        note: None,
        value: None,
    })
}
