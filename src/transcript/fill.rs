//! Answers written into the transcript: a blank filled or a choice marked in
//! place with a `fill` mark beside it, or, inside a plain fence, in place as
//! plain text with the record in one region after the fence.

use std::fmt::Write as _;

use super::marker;
use super::write::{Edit, before_region, escape_inline, outcome_attrs};
use crate::doc::fields::{self, BOXES};
use crate::doc::model::{Fence, Field, FieldForm};
use crate::doc::question::question;
use crate::doc::{Step, StepKind};
use crate::record::{ANSWERED_IN_FILE, Outcome, Reason, Status};

/// Whether an outcome carries an answer to write in: a value given, and the
/// step done, or failed because of the value (a negative pick, a missed target).
fn answered(outcome: &Outcome) -> bool {
    outcome.value.is_some() && matches!(outcome.status, Status::Done | Status::Failed)
}

/// What a failed answer's mark says after it.
fn failure_words(outcome: &Outcome) -> String {
    let why = outcome
        .note
        .as_deref()
        .unwrap_or(if outcome.has(Reason::OffTarget) {
            "misses its target"
        } else {
            "a negative answer"
        });
    format!(" ❌ {}", escape_inline(why))
}

/// What an answer's mark says after it when the answers file gave the
/// answer, as a task's note says it: nothing for one typed at the prompt.
fn origin_words(outcome: &Outcome) -> String {
    if outcome.has(Reason::AnswersFile) {
        format!(" — note: {ANSWERED_IN_FILE}")
    } else {
        String::new()
    }
}

/// A blank filled in or a choice marked, in place; or a "not answered" note beside it.
pub(super) fn field_edit(text: &str, field: &Field, outcome: &Outcome) -> Edit {
    let original = &text[field.span.clone()];
    let mut attrs = outcome_attrs(outcome);
    let (replacement, visible) = match &outcome.value {
        Some(value) if answered(outcome) => {
            let mut visible = if outcome.status == Status::Failed {
                failure_words(outcome)
            } else {
                String::new()
            };
            visible.push_str(&origin_words(outcome));
            (filled(text, field, value), visible)
        }
        _ => {
            let word = match outcome.status {
                Status::Skipped => "⏭️ skipped",
                _ => "⚠️ not answered",
            };
            (original.to_string(), format!(" {word}"))
        }
    };
    if let Some(value) = &outcome.value {
        attrs.push(("value", value.clone()));
    }
    if let Some(note) = &outcome.note {
        attrs.push(("note", note.clone()));
    }
    let changed = replacement != original;
    if changed {
        attrs.push(("n", replacement.len().to_string()));
        attrs.push(("was", original.to_string()));
    }
    let tries = super::attempts::inline_attrs(&outcome.earlier);
    attrs.extend(tries.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let mut out = if changed { replacement } else { String::new() };
    out.push_str(&marker::open("fill", &attrs));
    out.push_str(&visible);
    out.push_str(&super::attempts::inline_label(&outcome.earlier));
    out.push_str(&marker::close("fill"));
    Edit {
        at: if changed {
            field.span.start
        } else {
            field.span.end
        },
        len: if changed { field.span.len() } else { 0 },
        text: out,
    }
}

/// The boxes of a ballot with the one at index `pick` marked.
fn marked_ballot(text: &str, field: &Field, boxes: &[usize], pick: Option<usize>) -> String {
    let mut out = String::new();
    let mut at = field.span.start;
    for (n, &b) in boxes.iter().enumerate() {
        let Some((empty, marked, _)) = BOXES[1..].iter().find(|(e, _, _)| text[b..].starts_with(e))
        else {
            continue;
        };
        out.push_str(&text[at..b]);
        out.push_str(if Some(n) == pick { marked } else { empty });
        at = b + empty.len();
    }
    out.push_str(&text[at..field.span.end]);
    out
}

/// The text that replaces a field once answered.
fn filled(text: &str, field: &Field, value: &str) -> String {
    let pick = field.options.iter().position(|o| o == value);
    match &field.form {
        FieldForm::Ballot(boxes) => {
            // A lone box is marked for `yes`, left as it is for `no`.
            let pick = if boxes.len() == 1 {
                (value == "yes").then_some(0)
            } else {
                pick
            };
            marked_ballot(text, field, boxes, pick)
        }
        FieldForm::CodeSpan | FieldForm::Prose if !field.options.is_empty() => {
            let marked: Vec<String> = field
                .options
                .iter()
                .map(|o| {
                    let mark = if o == value { '☒' } else { '☐' };
                    format!("{mark} {o}")
                })
                .collect();
            code_span(&marked.join(" / "), field.in_cell)
        }
        FieldForm::CodeSpan => {
            // `___ hours`: the value goes where the underscores were, the unit stays.
            let code = text[field.span.clone()].trim_matches('`');
            let inner = code
                .strip_prefix(' ')
                .and_then(|c| c.strip_suffix(' '))
                .unwrap_or(code);
            match fields::code_blank(inner) {
                Some(blank) => {
                    let after = &inner[blank.end..];
                    let before = &inner[..blank.start];
                    let value = value.trim();
                    let unit = after.trim();
                    let value = if !unit.is_empty()
                        && value.to_lowercase().ends_with(&unit.to_lowercase())
                    {
                        value[..value.len() - unit.len()].trim_end()
                    } else {
                        value
                    };
                    code_span(&format!("{before}{value}{after}"), field.in_cell)
                }
                None => code_span(value, field.in_cell),
            }
        }
        FieldForm::Prose => code_span(value, field.in_cell),
        FieldForm::After => format!(" {}", code_span(value, field.in_cell)),
    }
}

/// `value` as a code span, with a backtick run longer than any inside it;
/// `in_cell`: in a table cell, where a `|` is escaped so as not to end the
/// cell (GitHub takes the backslash away there; anywhere else a code span
/// would show it).
fn code_span(value: &str, in_cell: bool) -> String {
    let value: String = value
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let longest = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') {
        " "
    } else {
        ""
    };
    // A `|` would end a table cell even inside a code span.
    let value = if in_cell {
        value.replace('|', "\\|")
    } else {
        value
    };
    format!("{ticks}{pad}{value}{pad}{ticks}")
}

/// A value as it is written inside a fence: on the line it fills (no line
/// breaks), and unable to close the fence (its fence character replaced).
fn fence_value(value: &str, fence: &Fence) -> String {
    let fence_char = fence.marker.chars().next().unwrap_or('`');
    value
        .chars()
        .map(|c| match c {
            '\n' | '\r' => ' ',
            c if c == fence_char => {
                if c == '`' {
                    '\''
                } else {
                    '-'
                }
            }
            c => c,
        })
        .collect()
}

/// One step held in a fence, with what its outcome writes there.
struct Held<'a> {
    step: &'a Step,
    outcome: &'a Outcome,
    /// The bytes it changes in the fence, and what they become.
    span: std::ops::Range<usize>,
    with: Option<String>,
    /// The box code (`BOXES`) of a ticked box.
    tick: Option<&'static str>,
}

/// The steps inside one fence (boxes ticked in place, fields filled in
/// place), recorded in one region right after it, which says how far back
/// each one is.
pub(super) fn fence_region_edits(
    text: &str,
    fence: &Fence,
    steps: &[(&Step, &Outcome)],
    eol: &str,
    edits: &mut Vec<Edit>,
) {
    let mut held: Vec<Held> = Vec::new();
    for &(step, outcome) in steps {
        match &step.kind {
            StepKind::Task(task) => {
                let tick = (outcome.status == Status::Done && !task.checked)
                    .then(|| BOXES.iter().find(|(e, _, _)| text[task.marker()] == **e))
                    .flatten();
                held.push(Held {
                    step,
                    outcome,
                    span: task.marker(),
                    with: tick.map(|(_, marked, _)| (*marked).to_string()),
                    tick: tick.map(|(_, _, code)| *code),
                });
            }
            StepKind::Blank(field) | StepKind::Choice(field) => {
                let with = match &outcome.value {
                    Some(value) if answered(outcome) => Some(match &field.form {
                        FieldForm::Ballot(_) => filled(text, field, value),
                        _ => fence_value(value, fence),
                    }),
                    _ => None,
                };
                held.push(Held {
                    step,
                    outcome,
                    span: field.span.clone(),
                    with: with.filter(|w| *w != text[field.span.clone()]),
                    tick: None,
                });
            }
            _ => {}
        }
    }
    held.sort_by_key(|h| h.span.start);
    let prefix = fence.prefix.as_str();
    let pre = before_region(fence, eol);
    // How much longer the fence gets from each step on: a step's distance
    // back from the region grows by what the steps after it (and it) add.
    let mut grows = vec![0isize; held.len() + 1];
    for (k, h) in held.iter().enumerate().rev() {
        let delta = h
            .with
            .as_ref()
            .map_or(0, |w| w.len() as isize - h.span.len() as isize);
        grows[k] = grows[k + 1] + delta;
    }
    let region_line = fence.insert_at as usize + pre.len();
    let mut lists: [Vec<String>; 5] = Default::default();
    let mut attrs: Vec<(String, String)> = Vec::new();
    let (mut boxes, mut ticked, mut fields, mut filled_in) = (0, 0, 0, 0);
    let mut shown = String::new();
    for (k, h) in held.iter().enumerate() {
        let id = &h.outcome.id;
        if let Some(with) = &h.with {
            edits.push(Edit {
                at: h.span.start,
                len: h.span.len(),
                text: with.clone(),
            });
        }
        let back = (region_line - h.span.start) as isize + grows[k];
        lists[0].push(id.clone());
        lists[1].push(h.outcome.status.word().into());
        lists[2].push(h.outcome.at.clone());
        lists[3].push(back.to_string());
        lists[4].push(h.tick.unwrap_or("0").into());
        if !h.outcome.reasons.is_empty() {
            let words: Vec<&str> = h.outcome.reasons.iter().map(|r| r.word()).collect();
            attrs.push((format!("how-{id}"), words.join(",")));
        }
        if let Some(note) = &h.outcome.note {
            attrs.push((format!("note-{id}"), note.clone()));
            let _ = write!(
                shown,
                " · {}: {}",
                escape_inline(&h.step.text),
                escape_inline(note)
            );
        }
        // A field the answers file filled in has no note that says so (a
        // box it ticked does): named by what it asks, as its text holds the
        // blank it no longer is.
        if h.outcome.has(Reason::AnswersFile) && h.outcome.note.as_deref() != Some(ANSWERED_IN_FILE)
        {
            let _ = write!(
                shown,
                " · {}: {ANSWERED_IN_FILE}",
                escape_inline(&question(text, h.step))
            );
        }
        for (k, v) in super::attempts::inline_attrs(&h.outcome.earlier) {
            attrs.push((format!("{k}-{id}"), v));
        }
        if !h.outcome.earlier.is_empty() {
            let _ = write!(
                shown,
                " · {}:{}",
                escape_inline(&h.step.text),
                super::attempts::inline_label(&h.outcome.earlier).trim_start_matches(" ·")
            );
        }
        if h.step.task().is_some() {
            boxes += 1;
            ticked += usize::from(h.outcome.status == Status::Done);
            continue;
        }
        fields += 1;
        if let Some(value) = &h.outcome.value {
            attrs.push((format!("value-{id}"), value.clone()));
        }
        if let Some(with) = &h.with {
            attrs.push((format!("n-{id}"), with.len().to_string()));
            attrs.push((format!("was-{id}"), text[h.span.clone()].to_string()));
        }
        if answered(h.outcome) {
            filled_in += 1;
        }
    }
    let [ids, statuses, ats, back, ticks] = lists;
    let mut all: Vec<(&str, String)> = vec![
        ("ids", ids.join(",")),
        ("status", statuses.join(",")),
        ("at", ats.join(",")),
        ("back", back.join(",")),
        ("tick", ticks.join(",")),
    ];
    if !pre.is_empty() {
        all.push(("pre", pre.len().to_string()));
    }
    all.extend(attrs.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let mut said = Vec::new();
    if boxes > 0 {
        said.push(format!(
            "{ticked} of {boxes} items in the block above checked"
        ));
    }
    if fields > 0 {
        let where_ = if boxes > 0 { "" } else { " in the block above" };
        said.push(format!("{filled_in} of {fields} fields{where_} filled in"));
    }
    let mut out = pre;
    let _ = write!(
        out,
        "{prefix}{}☑ {}{shown}{eol}{prefix}{}{eol}",
        marker::open("boxes", &all),
        said.join(" · "),
        marker::close("boxes")
    );
    edits.push(Edit {
        at: fence.insert_at as usize,
        len: 0,
        text: out,
    });
}
