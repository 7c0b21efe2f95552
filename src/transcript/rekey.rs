//! The records of a transcript whose checklist was edited since its run
//! began, given to the steps they were written beside.
//!
//! A step's id is its place in the document (`s3`, `§2`) unless it is
//! named, so a step added, removed or moved renumbers the ones after it.
//! Where a record's marker sits says which step it is: an `out` region
//! right after its block's fence, a task's mark after its box, a field's
//! at the field, a section's under its heading.

use std::collections::{HashMap, HashSet};

use super::read::{Beside, Place};
use super::splice::Span;
use crate::doc::{Runbook, Step, StepKind};
use crate::record::{Outcome, clock, section_id};

/// Gives each record of `outcomes`, read from a transcript at `places`
/// (`spans` say where runsheet's text is in it), the id of the step of
/// `book` it sits beside; `source` is the checklist as it reads now.
/// A record that sits beside no step of its kind, that stands in more
/// than one place, or that shares its step with another record, is
/// dropped: returns one line naming each, in the transcript's order.
/// `transcript` is the text read, for the lines the records were on.
pub fn rekey(
    book: &Runbook,
    source: &str,
    transcript: &str,
    outcomes: &mut HashMap<String, Outcome>,
    places: &[Place],
    spans: &[Span],
) -> Vec<String> {
    let anchors = anchors(book, source);
    // Where each record now belongs, by its old id; `None`: nowhere.
    let mut target: HashMap<&str, (Option<&str>, &Place)> = HashMap::with_capacity(places.len());
    let mut doubled: HashSet<&str> = HashSet::new();
    for place in places {
        let at = to_source(spans, place.at);
        let now = anchors.get(&(place.beside, at)).map(String::as_str);
        match target.get(place.id.as_str()) {
            None => {
                target.insert(&place.id, (now, place));
            }
            // The same name at two steps (a runbook may name two blocks
            // alike) is one record, as it always was.
            Some((was, _)) if now.is_some() && *was == now => {}
            Some(_) => {
                doubled.insert(&place.id);
            }
        }
    }
    // How many records each step would take.
    let mut takers: HashMap<&str, usize> = HashMap::with_capacity(target.len());
    for (old, (now, _)) in &target {
        if let Some(now) = now
            && !doubled.contains(old)
        {
            *takers.entry(now).or_default() += 1;
        }
    }
    let mut kept = HashMap::with_capacity(outcomes.len());
    let mut dropped: Vec<(usize, String)> = Vec::new();
    let lines = Lines::of(transcript);
    for (old, mut outcome) in outcomes.drain() {
        let Some(&(now, place)) = target.get(old.as_str()) else {
            dropped.push((
                usize::MAX,
                format!(
                    "{}: recorded after the transcript was last saved (the run was cut off), \
                     so which step of the edited checklist it belongs to cannot be told",
                    named(&outcome)
                ),
            ));
            continue;
        };
        let why = match now {
            _ if doubled.contains(old.as_str()) => {
                "its marker stands in more than one place".to_string()
            }
            None => format!("it sits beside no {} now", beside_word(place.beside)),
            Some(now) if takers[now] > 1 => {
                let others: Vec<String> = target
                    .iter()
                    .filter(|(o, (n, _))| **o != old && *n == Some(now) && !doubled.contains(*o))
                    .map(|(o, _)| format!("`{o}`"))
                    .collect();
                format!(
                    "another record ({}) sits beside the same step",
                    others.join(", ")
                )
            }
            Some(now) => {
                if outcome.id != now {
                    outcome.id = now.to_string();
                    for earlier in &mut outcome.earlier {
                        earlier.id = now.to_string();
                    }
                }
                kept.insert(now.to_string(), outcome);
                continue;
            }
        };
        dropped.push((
            place.at,
            format!(
                "{} on line {} of the transcript: {why}",
                named(&outcome),
                lines.at(place.at)
            ),
        ));
    }
    *outcomes = kept;
    dropped.sort();
    dropped.into_iter().map(|(_, line)| line).collect()
}

/// A record as the operator is told of it: its id, status and time.
fn named(o: &Outcome) -> String {
    let mut what = format!("`{}` ({}", o.id, o.status);
    if !o.at.is_empty() {
        what.push_str(&format!(" {}", clock(&o.at)));
    }
    if let Some(exit) = o.exit {
        what.push_str(&format!(", exit {exit}"));
    }
    what.push(')');
    what
}

/// The kind of step a marker of `beside` records.
fn beside_word(beside: Beside) -> &'static str {
    match beside {
        Beside::Block => "block",
        Beside::Heading => "heading",
        Beside::Task => "task",
        Beside::Filled | Beside::Field => "blank or choice",
        Beside::InFence => "box or blank in a fence",
    }
}

/// Where a record of each step and section of `book` would be written, as
/// the transcript writes it: the kind of marker and its byte in `source`.
fn anchors(book: &Runbook, source: &str) -> HashMap<(Beside, usize), String> {
    let mut found = HashMap::with_capacity(book.steps.len() + book.sections.len());
    for step in &book.steps {
        for anchor in step_anchors(source, step).into_iter().flatten() {
            found.insert(anchor, step.id());
        }
    }
    for (i, section) in book.sections.iter().enumerate() {
        found.insert((Beside::Heading, section.mark.at()), section_id(i));
    }
    found
}

/// Where `step`'s record would be written (see `write::step_edits` and
/// `fill::fence_region_edits`); a field's mark goes at its start when its
/// value replaced it and at its end when it did not.
fn step_anchors(source: &str, step: &Step) -> [Option<(Beside, usize)>; 2] {
    match &step.kind {
        StepKind::Command(command) => [
            Some((Beside::Block, command.fence.insert_at as usize)),
            None,
        ],
        StepKind::Task(task) if task.in_fence.is_some() => {
            [Some((Beside::InFence, task.marker().start)), None]
        }
        StepKind::Task(task) => {
            let after = task.marker().end;
            let spaced = matches!(source.as_bytes().get(after), Some(b' ' | b'\t'));
            [Some((Beside::Task, after + usize::from(spaced))), None]
        }
        StepKind::Blank(field) | StepKind::Choice(field) if field.in_fence.is_some() => {
            [Some((Beside::InFence, field.span.start)), None]
        }
        StepKind::Blank(field) | StepKind::Choice(field) => [
            Some((Beside::Filled, field.span.start)),
            Some((Beside::Field, field.span.end)),
        ],
        StepKind::Placeholder(_) => [None, None],
    }
}

/// Byte `at` of the transcript as a byte of its source: inside something
/// runsheet wrote, where that stands in the source. `spans` are in order.
fn to_source(spans: &[Span], at: usize) -> usize {
    let before = spans.partition_point(|s| s.t_from <= at);
    match before.checked_sub(1).map(|i| spans[i]) {
        None => at,
        Some(s) if at < s.t_to => s.s_at,
        // Saturating: a box's place never found is `usize::MAX`, and a
        // value shorter than what it replaced moves the source ahead.
        Some(s) => (s.s_at + s.s_len).saturating_add(at - s.t_to),
    }
}

/// Where a text's lines start, made only when a record is dropped.
struct Lines<'a> {
    text: &'a str,
    starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> Lines<'a> {
    fn of(text: &'a str) -> Self {
        Lines {
            text,
            starts: std::cell::OnceCell::new(),
        }
    }

    /// The 1-based line of byte `at`.
    fn at(&self, at: usize) -> usize {
        let starts = self.starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        starts.partition_point(|&s| s <= at).max(1)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;
    use crate::doc::parse;
    use crate::record::{Outcome, Reason, RunInfo, RunState, Status};
    use crate::source::Source;
    use crate::transcript::{read, render};

    /// A runbook with a record of every kind: a section, a task with a
    /// block, blanks left and filled, a choice, and boxes in a fence.
    const BOOK: &str = "# Deploy\n\n## Steps\n\n- [ ] Check the queue\n  ```bash\n  echo one\n  ```\n- [ ] Ticket: ____ and `Yes / No`\n- [ ] Start: [START TIME]\n\n```text\n[ ] paged\n[ ] Owner: ____\n```\n\n```bash\necho two\n```\n";

    /// `text` run to a transcript with every step (and the first section)
    /// recorded, each record saying which step it was written for.
    fn transcript(text: &str) -> String {
        let source = Source::from_text(Path::new("t.md"), text.to_string());
        let book = parse(&source);
        let mut outcomes = HashMap::new();
        for step in book.steps.iter().filter(|s| s.placeholder().is_none()) {
            let mut o = Outcome::new(step.id(), Status::Done);
            o.note = Some(format!("for {}", step.text));
            if step.kind_name() == "blank" && step.at() % 2 == 0 {
                o.value = Some("v".into());
            }
            if step.command().is_some() {
                o.exit = Some(0);
                o.output = format!("{}\n", step.text);
            }
            outcomes.insert(step.id(), o);
        }
        let mut sec = Outcome::new(section_id(1), Status::Done);
        sec.reasons.push(Reason::Only);
        sec.value = Some("for Steps".into());
        outcomes.insert(sec.id.clone(), sec);
        let info = RunInfo {
            id: "r".into(),
            source: "t.md".into(),
            sha256: crate::source::sha256(&source.text),
            state: RunState::Stopped,
            ..RunInfo::default()
        };
        render(&source, &book, &outcomes, &info)
    }

    /// `text`, a transcript, read and its records given to the steps of
    /// its source: the notes each step's record holds, and what was dropped.
    fn rekeyed(text: &str) -> (Vec<(String, String)>, Vec<String>) {
        let mut t = read(Path::new("t.md"), text).unwrap();
        let source = Source::from_text(Path::new("t.md"), t.source.clone());
        let book = parse(&source);
        let dropped = rekey(
            &book,
            &source.text,
            text,
            &mut t.outcomes,
            &t.places,
            &t.spans,
        );
        let notes = t
            .outcomes
            .iter()
            .map(|(id, o)| {
                assert_eq!(&o.id, id);
                let said = o.note.clone().or(o.value.clone()).unwrap_or_default();
                let step = match id.strip_prefix('§') {
                    Some(n) => format!(
                        "for {}",
                        book.sections[n.parse::<usize>().unwrap() - 1].title
                    ),
                    None => format!(
                        "for {}",
                        book.steps.iter().find(|s| s.id() == *id).unwrap().text
                    ),
                };
                (said, step)
            })
            .map(|(said, step)| (step, said))
            .collect();
        (notes, dropped)
    }

    #[test]
    fn an_unedited_transcript_keeps_every_record_where_it_is() {
        let text = transcript(BOOK);
        let before = read(Path::new("t.md"), &text).unwrap().outcomes;
        let (notes, dropped) = rekeyed(&text);
        assert!(dropped.is_empty(), "{dropped:?}");
        assert_eq!(notes.len(), before.len());
        for (step, said) in &notes {
            assert_eq!(step, said);
        }
    }

    #[test]
    fn records_follow_their_steps_when_one_is_added_above_and_others_swapped() {
        let text = transcript(BOOK);
        // Under the section's line, which stays under its heading.
        let under = "<!--/rs:sec-->\n";
        let added = text.replacen(
            under,
            &format!("{under}\n- [ ] New task\n\n```bash\necho zero\n```\n"),
            1,
        );
        let (notes, dropped) = rekeyed(&added);
        assert!(dropped.is_empty(), "{dropped:?}");
        for (step, said) in &notes {
            assert_eq!(step, said);
        }
        assert_eq!(
            notes.len(),
            read(Path::new("t.md"), &text).unwrap().outcomes.len()
        );
        assert!(
            !notes
                .iter()
                .any(|(s, _)| s == "for New task" || s == "for echo zero")
        );
        // The last block moved above the fence of boxes, its record with it.
        let (fence_at, block_at) = (
            added.find("```text\n").unwrap(),
            added.rfind("```bash\necho two").unwrap(),
        );
        let mut swapped = added[..fence_at].to_string();
        swapped.push_str(&added[block_at..]);
        swapped.push('\n');
        swapped.push_str(&added[fence_at..block_at]);
        let (notes, dropped) = rekeyed(&swapped);
        assert!(dropped.is_empty(), "{dropped:?}");
        assert!(
            notes
                .iter()
                .any(|(s, said)| s == "for echo two" && said == s)
        );
        for (step, said) in &notes {
            assert_eq!(step, said);
        }
    }

    #[test]
    fn a_record_whose_step_is_gone_is_dropped_and_named() {
        let text = transcript(BOOK);
        // The block's fence taken out, its output left behind.
        let gone = text.replacen("```bash\necho two\n```\n", "", 1);
        assert_ne!(gone, text);
        let (notes, dropped) = rekeyed(&gone);
        let book = parse(&Source::from_text(Path::new("t.md"), BOOK.to_string()));
        let id = book
            .steps
            .iter()
            .find(|s| s.text == "echo two")
            .unwrap()
            .id();
        assert_eq!(dropped.len(), 1, "{dropped:?}");
        assert!(
            dropped[0].starts_with(&format!("`{id}` (done")),
            "{dropped:?}"
        );
        assert!(
            dropped[0].contains("it sits beside no block now"),
            "{dropped:?}"
        );
        for (step, said) in &notes {
            assert_eq!(step, said);
        }
    }

    #[test]
    fn a_byte_of_the_transcript_is_found_in_the_source() {
        // Bytes 10..20 of the transcript stand for 12 bytes at 5 of the
        // source (a short value filled where a long blank was).
        let spans = [Span::new(5, 12, 10, 20)];
        assert_eq!(to_source(&spans, 3), 3);
        assert_eq!(to_source(&spans, 10), 5);
        assert_eq!(to_source(&spans, 19), 5);
        assert_eq!(to_source(&spans, 20), 17);
        assert_eq!(to_source(&spans, 25), 22);
        // A place never found stays past the end of any source.
        assert!(to_source(&spans, usize::MAX) > u32::MAX as usize);
    }
}
