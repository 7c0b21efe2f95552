//! Saving a transcript by patching the one last written: the steps recorded
//! since and the summary are rendered and put in place of what they were,
//! and every other byte is kept as it stands, so that a resumed run's saves
//! cost what changed, not the whole runbook.
//!
//! Only a transcript runsheet wrote itself is patched (the run's state
//! holds its sha256, see `Recorder`): rendering it in full gives the same
//! bytes for every step that did not change. Whatever this cannot place
//! for certain (a step inside a fence, a section, an edit whose old text is
//! not where the reading puts it) is left to a full render: `patch` says so.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::summary::{self, FOOTNOTE_NAMES, Facts};
use super::write::{Edit, step_edits};
use crate::doc::{Runbook, Step, StepKind};
use crate::record::{Outcome, RunInfo, Status, Tally};
use crate::source::Source;

/// Bytes `s_at..s_at + s_len` of the source stand as bytes `t_from..t_to`
/// of the transcript: something runsheet wrote there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub s_at: usize,
    pub s_len: usize,
    pub t_from: usize,
    pub t_to: usize,
}

impl Span {
    pub fn new(s_at: usize, s_len: usize, t_from: usize, t_to: usize) -> Span {
        Span {
            s_at,
            s_len,
            t_from,
            t_to,
        }
    }

    fn s_end(&self) -> usize {
        self.s_at + self.s_len
    }
}

/// The transcript as last written, where runsheet's text sits in it, and
/// what its summary says.
pub struct Spliced {
    text: String,
    /// In the order of the text (and so of the source).
    spans: Vec<Span>,
    tally: Tally,
    /// The steps that failed themselves.
    failed: BTreeSet<usize>,
    /// The footnote each task's label points to, and how many point to each.
    footnote_of: HashMap<usize, usize>,
    footnotes: [usize; 3],
    literal: Vec<usize>,
}

/// One piece of the text put in place of another: bytes `t_from..t_to` of
/// the text, which are spans `first..end`, become `text`, recording source
/// bytes `s_at..s_at + s_len`.
struct Replace {
    t_from: usize,
    t_to: usize,
    first: usize,
    end: usize,
    s_at: usize,
    s_len: usize,
    text: String,
    /// Whether `text` is runsheet's (else the source's own, given back).
    span: bool,
}

impl Spliced {
    /// `text`, a transcript of `source` with `outcomes` recorded, read back
    /// with `spans`.
    pub fn new(
        text: String,
        spans: Vec<Span>,
        source: &Source,
        book: &Runbook,
        outcomes: &HashMap<String, Outcome>,
    ) -> Spliced {
        let mut s = Spliced {
            text,
            spans,
            tally: Tally::new(book, outcomes),
            failed: BTreeSet::new(),
            footnote_of: HashMap::new(),
            footnotes: [0; 3],
            literal: summary::literal_markers(&source.text),
        };
        let mut id = String::new();
        for step in &book.steps {
            id.clear();
            step.id_onto(&mut id);
            if let Some(o) = outcomes.get(&id) {
                s.note(book, step, Some(o));
            }
        }
        s
    }

    /// The text as last patched.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Patches the text for the steps of `changed` (ids), whose outcomes
    /// were `old` (by id; `None`: not recorded) and are now in `outcomes`,
    /// and for the summary `info`. `false` when it cannot be done for
    /// certain: the text is then as it was, and only a full render will do.
    pub fn patch(
        &mut self,
        source: &Source,
        book: &Runbook,
        old: &HashMap<String, Option<Outcome>>,
        outcomes: &HashMap<String, Outcome>,
        changed: &[String],
        info: &RunInfo,
    ) -> bool {
        // What became of a section shows at its heading: rendered in full.
        if changed.iter().any(|id| id.starts_with('§')) {
            return false;
        }
        let wanted: HashSet<&str> = changed.iter().map(String::as_str).collect();
        let mut steps = Vec::new();
        if !wanted.is_empty() {
            let mut id = String::new();
            for step in &book.steps {
                id.clear();
                step.id_onto(&mut id);
                if wanted.contains(id.as_str()) {
                    steps.push((step.at(), id.clone()));
                }
            }
        }
        let text = &source.text;
        let eol = source.line_ending();
        let mut reps = Vec::new();
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for (index, id) in &steps {
            let step = &book.steps[*index];
            // A fence's region records all the steps inside it together.
            if in_fence(step) {
                return false;
            }
            before.clear();
            after.clear();
            let was = match old.get(id) {
                Some(was) => was.as_ref(),
                None => outcomes.get(id),
            };
            let now = outcomes.get(id);
            if was == now {
                continue;
            }
            if let Some(o) = was {
                step_edits(text, book, step, o, eol, &mut before);
            }
            if let Some(o) = now {
                step_edits(text, book, step, o, eol, &mut after);
            }
            // Each edit in place of the one at the same place, if any was;
            // one no longer made gives its place back to the source.
            let mut gone: Vec<Option<&Edit>> = before.iter().map(Some).collect();
            for edit in after.drain(..) {
                let was = gone
                    .iter_mut()
                    .find(|b| b.is_some_and(|b| (b.at, b.len) == (edit.at, edit.len)))
                    .and_then(Option::take);
                let r = match was {
                    Some(b) => self.replacement(b, edit),
                    None => self.insertion(edit),
                };
                let Some(r) = r else {
                    return false;
                };
                reps.push(r);
            }
            for b in gone.into_iter().flatten() {
                let back = Edit {
                    at: b.at,
                    len: b.len,
                    text: text[b.at..b.at + b.len].to_string(),
                };
                let Some(mut r) = self.replacement(b, back) else {
                    return false;
                };
                r.span = false;
                reps.push(r);
            }
        }
        let Some(r) = self.summary(source, book, outcomes, info, &steps, eol) else {
            return false;
        };
        reps.push(r);
        reps.sort_by_key(|r| (r.t_from, r.first));
        let apart = reps
            .windows(2)
            .all(|w| w[0].t_to <= w[1].t_from && w[0].end <= w[1].first && w[0].t_from < w[1].t_to);
        if !apart {
            return false;
        }
        self.apply(reps);
        true
    }

    /// Brings what the summary says up to date with the steps `steps`, and
    /// the summary put in place of the one the text holds.
    fn summary(
        &mut self,
        source: &Source,
        book: &Runbook,
        outcomes: &HashMap<String, Outcome>,
        info: &RunInfo,
        steps: &[(usize, String)],
        eol: &str,
    ) -> Option<Replace> {
        let at = book.summary_at;
        let (first, t) = self.place(at)?;
        let span = *self.spans.get(first)?;
        if span.t_from != t || span.s_at != at || span.s_len != 0 {
            return None;
        }
        let old = &self.text[span.t_from..span.t_to];
        let close = format!("{}{eol}", super::marker::close("run"));
        if !old
            .trim_start_matches(['\r', '\n'])
            .starts_with("<!--rs:run ")
            || !old.ends_with(&close)
        {
            return None;
        }
        let indices: Vec<usize> = steps.iter().map(|(i, _)| *i).collect();
        self.tally.update(book, outcomes, &indices, false);
        for (index, id) in steps {
            self.note(book, &book.steps[*index], outcomes.get(id));
        }
        let failed = self
            .failed
            .iter()
            .filter_map(|&i| {
                let step = &book.steps[i];
                outcomes.get(&step.id()).map(|o| (step, o))
            })
            .collect();
        let facts = Facts {
            counts: self.tally.counts(),
            failed,
            footnotes: self.footnotes.map(|n| n > 0),
            literal: &self.literal,
        };
        let edit = summary::edit_with(source, book, info, eol, &facts);
        Some(Replace {
            t_from: span.t_from,
            t_to: span.t_to,
            first,
            end: first + 1,
            s_at: at,
            s_len: 0,
            text: edit.text,
            span: true,
        })
    }

    /// Where source offset `at` stands in the text, before anything
    /// runsheet put at that offset: the first span at or after it, and
    /// the text offset. `None` if a span runs across it.
    fn place(&self, at: usize) -> Option<(usize, usize)> {
        let first = self.spans.partition_point(|s| s.s_at < at);
        let t = match first.checked_sub(1).map(|i| self.spans[i]) {
            Some(prev) if prev.s_end() > at => return None,
            Some(prev) => prev.t_to + (at - prev.s_end()),
            None => at,
        };
        Some((first, t))
    }

    /// `after` in place of `before`, the edit it was: found among the
    /// spans at its offset by its text, which must be there once.
    fn replacement(&self, before: &Edit, after: Edit) -> Option<Replace> {
        let (first, t) = self.place(before.at)?;
        let end_s = before.at + before.len;
        let mut found = None;
        let mut k = first;
        while let Some(span) = self.spans.get(k).filter(|s| s.s_at == before.at) {
            let t_end = span.t_from + before.text.len();
            if (k > first || span.t_from == t)
                && self.text.get(span.t_from..t_end) == Some(before.text.as_str())
            {
                // The spans it covers, to the one that ends where it does.
                let mut j = k;
                while j < self.spans.len() && self.spans[j].t_to < t_end {
                    j += 1;
                }
                let last = self.spans.get(j)?;
                if last.t_to == t_end && last.s_end() == end_s {
                    if found.is_some() {
                        return None;
                    }
                    found = Some((k, j + 1, span.t_from, t_end));
                }
            }
            k += 1;
        }
        let (first, end, t_from, t_to) = found?;
        Some(Replace {
            t_from,
            t_to,
            first,
            end,
            s_at: after.at,
            s_len: after.len,
            text: after.text,
            span: true,
        })
    }

    /// `edit` where nothing runsheet wrote is: at an offset no span holds
    /// (else which goes first is not known here).
    fn insertion(&self, edit: Edit) -> Option<Replace> {
        let (first, t) = self.place(edit.at)?;
        let end_s = edit.at + edit.len;
        if let Some(next) = self.spans.get(first)
            && (next.s_at < end_s || next.s_at == edit.at)
        {
            return None;
        }
        Some(Replace {
            t_from: t,
            t_to: t + edit.len,
            first,
            end: first,
            s_at: edit.at,
            s_len: edit.len,
            text: edit.text,
            span: true,
        })
    }

    /// The text with `reps` (in order, apart) put in.
    fn apply(&mut self, reps: Vec<Replace>) {
        let grown: usize = reps.iter().map(|r| r.text.len()).sum();
        let mut text = String::with_capacity(self.text.len() + grown);
        let mut spans = Vec::with_capacity(self.spans.len() + reps.len());
        let (mut t, mut k) = (0, 0);
        for r in reps {
            let shift = text.len() as isize - t as isize;
            spans.extend(self.spans[k..r.first].iter().map(|s| moved(s, shift)));
            text.push_str(&self.text[t..r.t_from]);
            let from = text.len();
            text.push_str(&r.text);
            if r.span {
                spans.push(Span::new(r.s_at, r.s_len, from, text.len()));
            }
            (t, k) = (r.t_to, r.end);
        }
        let shift = text.len() as isize - t as isize;
        spans.extend(self.spans[k..].iter().map(|s| moved(s, shift)));
        text.push_str(&self.text[t..]);
        self.text = text;
        self.spans = spans;
    }

    /// Brings what the summary says of `step` up to date: `outcome` now.
    fn note(&mut self, book: &Runbook, step: &Step, outcome: Option<&Outcome>) {
        let index = step.at();
        if outcome.is_some_and(|o| o.status == Status::Failed) && summary::fails_itself(step) {
            self.failed.insert(index);
        } else {
            self.failed.remove(&index);
        }
        if let Some(old) = self.footnote_of.remove(&index) {
            self.footnotes[old] -= 1;
        }
        let name = outcome.and_then(|o| summary::task_footnote(book, step, o));
        if let Some(k) = name.and_then(|n| FOOTNOTE_NAMES.iter().position(|f| *f == n)) {
            self.footnotes[k] += 1;
            self.footnote_of.insert(index, k);
        }
    }
}

/// `span` moved by `shift` bytes in the text.
fn moved(span: &Span, shift: isize) -> Span {
    let by = |t: usize| t.checked_add_signed(shift).unwrap_or(t);
    Span::new(span.s_at, span.s_len, by(span.t_from), by(span.t_to))
}

/// Whether `step` is a task or field inside a plain fence: recorded after it.
fn in_fence(step: &Step) -> bool {
    match &step.kind {
        StepKind::Task(t) => t.in_fence.is_some(),
        StepKind::Blank(f) | StepKind::Choice(f) => f.in_fence.is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;
    use crate::doc::parse;
    use crate::record::RunState;
    use crate::transcript::tests::{FRAGMENTS, outcome_for};
    use crate::transcript::{read, render};

    /// Some steps of `book` recorded, others recorded again or for the
    /// first time: what a resumed run does to the transcript it starts from.
    struct Case {
        source: Source,
        book: Runbook,
        next: Box<dyn FnMut() -> u64>,
    }

    impl Case {
        fn new(text: &str, seed: u64) -> Case {
            let source = Source::from_text(Path::new("t.md"), text.to_string());
            let book = parse(&source);
            let mut rng = fastrand::Rng::with_seed(seed);
            Case {
                source,
                book,
                next: Box::new(move || rng.u64(..)),
            }
        }

        /// A made-up outcome for a few of the steps, onto `outcomes`; what
        /// each had before goes into `was`.
        fn record_some(
            &mut self,
            outcomes: &mut HashMap<String, Outcome>,
            was: &mut HashMap<String, Option<Outcome>>,
        ) {
            for step in &self.book.steps {
                if step.placeholder().is_some() || !(self.next)().is_multiple_of(3) {
                    continue;
                }
                let n = (self.next)() as usize % 12;
                let o = outcome_for(step.id(), step.command().is_some(), n);
                was.entry(step.id())
                    .or_insert_with(|| outcomes.get(&step.id()).cloned());
                outcomes.insert(step.id(), o);
            }
        }

        fn info(state: RunState) -> RunInfo {
            RunInfo {
                id: "r".into(),
                source: "t.md".into(),
                state,
                ..RunInfo::default()
            }
        }

        /// Renders a first part of a run, reads it back as `resume` does,
        /// and patches it twice: each patch must give what rendering it all
        /// gives. Whether both patches were made (else a render would be).
        fn run(&mut self) -> bool {
            let (source, book) = (&self.source.clone(), &self.book.clone());
            let mut outcomes = HashMap::new();
            self.record_some(&mut outcomes, &mut HashMap::new());
            let first = render(source, book, &outcomes, &Case::info(RunState::Stopped));
            let back = read(Path::new("t.md"), &first).expect("the transcript reads");
            let info = back.info.clone().expect("a run summary");
            // What `resume` counts on: the steps that did not change render
            // as they stand.
            assert_eq!(
                render(source, book, &back.outcomes, &info),
                first,
                "not stable for {:?}",
                source.text
            );
            let mut outcomes = back.outcomes.clone();
            let mut spliced = Spliced::new(first, back.spans, source, book, &outcomes);
            for state in [RunState::Running, RunState::Complete] {
                let mut was = HashMap::new();
                self.record_some(&mut outcomes, &mut was);
                let changed: Vec<String> = was.keys().cloned().collect();
                let info = RunInfo {
                    state,
                    resumed: Some("2026-01-01T00:00:00Z".into()),
                    ..info.clone()
                };
                if !spliced.patch(source, book, &was, &outcomes, &changed, &info) {
                    return false;
                }
                assert_eq!(
                    spliced.text(),
                    render(source, book, &outcomes, &info),
                    "patched for {:?}",
                    source.text
                );
            }
            true
        }
    }

    #[test]
    fn a_patched_transcript_is_the_one_rendered_in_full() {
        let mut rng = fastrand::Rng::with_seed(7);
        let (mut cases, mut patched) = (0, 0);
        for seed in 0..3000 {
            let n = 1 + rng.usize(..8);
            let mut text = String::new();
            for _ in 0..n {
                text.push_str(FRAGMENTS[rng.usize(..FRAGMENTS.len())]);
            }
            if rng.u8(..3) == 0 {
                text = text.replace('\n', "\r\n");
            }
            cases += 1;
            if Case::new(&text, seed).run() {
                patched += 1;
            }
        }
        // Most are patched, not left to a full render.
        assert!(patched * 2 > cases, "{patched} of {cases} patched");
    }

    #[test]
    fn a_long_run_resumed_is_patched() {
        let mut text = String::from("# Long\n\n");
        for i in 0..200 {
            text.push_str(&format!("```bash\necho {i}\n```\n\n- [ ] Check {i}\n\n"));
        }
        for seed in 0..20 {
            assert!(Case::new(&text, seed).run(), "seed {seed}");
        }
    }
}
