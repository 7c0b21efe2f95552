//! The records of a transcript whose checklist was edited since its run
//! began, given to the steps they were written beside.
//!
//! A step's id is its place in the document (`s3`, `§2`) unless it is
//! named, so a step added, removed or moved renumbers the ones after it.
//! Where a record's marker sits says which step it is: an `out` region
//! right after its block's fence, a task's mark after its box, a field's
//! at the field, a section's under its heading.

use std::collections::HashMap;

use super::read::{Beside, Place};
use super::splice::Span;
use crate::doc::{Runbook, Step, StepKind};
use crate::record::{Outcome, clock, section_id};

/// A record not given to the step it sits beside, as the operator is told
/// of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaced {
    pub why: Why,
    /// The line of the transcript it stands on; 0: none known.
    pub line: usize,
    /// What to say: the record, where it stands, and why it is not taken.
    pub text: String,
}

/// Why a record was not given to a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// It belongs to no step now: dropped.
    Dropped,
    /// A copy of a record that stays with the step it was written for:
    /// the step the copy sits beside has not run.
    Copy,
    /// It stands beside more than one step and nothing tells which one it
    /// was written for: given to none of them.
    Unsure,
}

/// Gives each record of `outcomes`, read from a transcript at `places`
/// (`spans` say where runsheet's text is in it; `repeats` are records of
/// an id read again further on), the id of the step of `book` it sits
/// beside; `source` is the checklist as it reads now.
///
/// A record that stands in more than one place (copied with its block) is
/// given to the step where the order of the other records says it was
/// written: the one place where no record of a step before it in the
/// checklist comes after it and none of a step after it comes before. The
/// other places are copies, and their steps have not run. If no one place
/// is so, the record is given to none.
///
/// A record that sits beside no step of its kind, or that shares its step
/// with another record, is dropped. Returns one line for each record not
/// given to a step, in the transcript's order. `transcript` is the text
/// read, for the lines the records were on.
pub fn rekey(
    book: &Runbook,
    source: &str,
    transcript: &str,
    outcomes: &mut HashMap<String, Outcome>,
    places: &[Place],
    spans: &[Span],
    repeats: &[(usize, Outcome)],
) -> Vec<Unplaced> {
    let anchors = anchors(book, source);
    // Where each record now belongs, by its old id; `None`: nowhere.
    let mut target: HashMap<&str, (Option<&str>, &Place)> = HashMap::with_capacity(places.len());
    // Every place of the records read in more than one, in order.
    let mut doubled: HashMap<&str, Vec<(Option<&str>, &Place)>> = HashMap::new();
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
            Some(&first) => {
                doubled
                    .entry(&place.id)
                    .or_insert_with(|| vec![first])
                    .push((now, place));
            }
        }
    }
    let lines = Lines::of(transcript);
    let mut unplaced: Vec<(usize, Unplaced)> = Vec::new();
    // The records read in one place, each with its step's number then:
    // the order the run wrote them in, against which a copy stands out.
    let settled: Vec<(usize, usize)> = target
        .iter()
        .filter(|(old, (now, _))| now.is_some() && !doubled.contains_key(*old))
        .filter_map(|(old, (_, place))| Some((place.at, number(old)?)))
        .collect();
    // Where a record stands twice, the place it was written in; the
    // record read there, if not the one `outcomes` holds.
    let mut taken: HashMap<&str, Option<Outcome>> = HashMap::new();
    let mut repeats: Vec<(usize, Outcome)> = repeats.to_vec();
    for (old, places) in &doubled {
        let Some(outcome) = outcomes.get(*old) else {
            continue;
        };
        let beside: Vec<&(Option<&str>, &Place)> =
            places.iter().filter(|(now, _)| now.is_some()).collect();
        let original = match beside.as_slice() {
            [one] => Some(**one),
            _ => number(old).and_then(|n| {
                let mut in_order = beside
                    .iter()
                    .filter(|(_, p)| out_of_order(&settled, p.at, n) == 0);
                match (in_order.next(), in_order.next()) {
                    (Some(one), None) => Some(**one),
                    _ => None,
                }
            }),
        };
        if beside.is_empty() {
            // Dropped below, as beside no step.
            target.insert(old, places[0]);
            taken.insert(old, None);
            continue;
        }
        let Some(original) = original else {
            // Nothing tells: the record goes to none of its places.
            target.remove(*old);
            let at: Vec<String> = beside
                .iter()
                .map(|(_, p)| lines.at(p.at).to_string())
                .collect();
            unplaced.push((
                places[0].1.at,
                Unplaced {
                    why: Why::Unsure,
                    line: lines.at(beside[0].1.at),
                    text: format!(
                        "the record {} stands after {} {}s (lines {}) and nothing in the \
                         transcript tells which one it was written for, so it is taken as \
                         the record of none of them: each of them runs when reached",
                        named(outcome),
                        beside.len(),
                        beside_word(places[0].1.beside),
                        and_list(&at)
                    ),
                },
            ));
            continue;
        };
        target.insert(old, original);
        let own = repeats
            .iter()
            .position(|(at, o)| *at == original.1.at && o.id == *old)
            .map(|i| repeats.swap_remove(i).1);
        taken.insert(old, own);
        for &(now, place) in places {
            if place.at == original.1.at {
                continue;
            }
            let what = beside_word(place.beside);
            let text = format!(
                "this {} is a copy of the record {}, which stays with the {what} it was \
                 written for (line {}); {}",
                marker_word(place.beside),
                named(outcome),
                lines.at(original.1.at),
                if now.is_some() {
                    format!(
                        "it is not taken as a record of the {what} it follows, which has not \
                         run and runs when reached"
                    )
                } else {
                    format!("it sits beside no {what} and is taken as no record")
                }
            );
            unplaced.push((
                place.at,
                Unplaced {
                    why: Why::Copy,
                    line: lines.at(place.at),
                    text,
                },
            ));
        }
    }
    // How many records each step would take.
    let mut takers: HashMap<&str, usize> = HashMap::with_capacity(target.len());
    for (now, _) in target.values() {
        if let Some(now) = now {
            *takers.entry(now).or_default() += 1;
        }
    }
    let mut kept = HashMap::with_capacity(outcomes.len());
    for (old, mut outcome) in outcomes.drain() {
        if doubled.contains_key(old.as_str()) && !taken.contains_key(old.as_str()) {
            // Said above: stands in several places, given to none.
            continue;
        }
        let Some(&(now, place)) = target.get(old.as_str()) else {
            unplaced.push((
                usize::MAX,
                dropped(format!(
                    "{}: recorded after the transcript was last saved (the run was cut off),                      so which step of the edited checklist it belongs to cannot be told",
                    named(&outcome)
                )),
            ));
            continue;
        };
        if let Some(Some(own)) = taken.get_mut(old.as_str()).map(Option::take) {
            outcome = own;
        }
        let why = match now {
            None => format!("it sits beside no {} now", beside_word(place.beside)),
            Some(now) if takers[now] > 1 => {
                let others: Vec<String> = target
                    .iter()
                    .filter(|(o, (n, _))| **o != old && *n == Some(now))
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
        unplaced.push((
            place.at,
            dropped(format!(
                "{} on line {} of the transcript: {why}",
                named(&outcome),
                lines.at(place.at)
            )),
        ));
    }
    *outcomes = kept;
    unplaced.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.text.cmp(&b.1.text)));
    unplaced.into_iter().map(|(_, u)| u).collect()
}

/// A record dropped, as said.
fn dropped(text: String) -> Unplaced {
    Unplaced {
        why: Why::Dropped,
        line: 0,
        text,
    }
}

/// The number of the step a record was written for, from its id: `s3`
/// is the third step then. A named step's or a section's has none.
fn number(id: &str) -> Option<usize> {
    id.strip_prefix('s')?.parse().ok()
}

/// How many of the `settled` records (where each was read, and its step's
/// number) stand on the wrong side of a record of step `n` read at byte
/// `at`: written for a step after it but read before it, or the other way.
fn out_of_order(settled: &[(usize, usize)], at: usize, n: usize) -> usize {
    settled
        .iter()
        .filter(|&&(s_at, s_n)| (s_at < at && s_n > n) || (s_at > at && s_n < n))
        .count()
}

/// `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
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

/// What a marker of `beside` is called where it stands.
fn marker_word(beside: Beside) -> &'static str {
    match beside {
        Beside::Block => "output annotation",
        Beside::Heading => "section's record",
        Beside::Task => "task's mark",
        Beside::Filled | Beside::Field => "field's mark",
        Beside::InFence => "record of boxes",
    }
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
            &t.repeats,
        );
        let dropped: Vec<String> = dropped.into_iter().map(|u| u.text).collect();
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
