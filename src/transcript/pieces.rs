//! The transcript kept rendered between saves, as pieces: each step's
//! annotations are rendered again only when its outcome changes, so saving
//! after a step costs that step (and the summary), not the whole runbook.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::summary::{self, FOOTNOTE_NAMES, Facts};
use super::write::{Edit, step_edits};
use crate::doc::model::Fence;
use crate::doc::{Runbook, Step, StepKind};
use crate::record::{Outcome, RunInfo, Status, Tally};
use crate::source::Source;

/// What renders a group of edits together: the summary, a step, the region
/// after a fence that records the steps inside it, the section lines.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Unit {
    Summary,
    Step(usize),
    /// A fence, by its step with the lowest index.
    Fence(usize),
    Sections,
}

/// Where an edit goes, and its place among edits at the same offset: the
/// summary first, then the steps' in document order, then the fences'
/// (ordered by their first step recorded), then the sections'. The order
/// `render` has always applied them in.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    at: usize,
    len: usize,
    class: u8,
    index: usize,
    nth: usize,
}

impl Key {
    /// The key of `edit`, the `nth` of the unit of `class` and `index`.
    fn of(edit: &Edit, class: u8, index: usize, nth: usize) -> Key {
        Key {
            at: edit.at,
            len: edit.len,
            class,
            index,
            nth,
        }
    }
}

/// The keys of a unit's edits: most units make one, and a list for each
/// would be an allocation for each step.
#[derive(Clone, Default)]
enum Keys {
    #[default]
    None,
    One(Key),
    More(Vec<Key>),
}

impl Keys {
    fn of(keys: Vec<Key>) -> Keys {
        match keys.as_slice() {
            [] => Keys::None,
            [one] => Keys::One(*one),
            _ => Keys::More(keys),
        }
    }

    fn into_vec(self) -> Vec<Key> {
        match self {
            Keys::None => Vec::new(),
            Keys::One(key) => vec![key],
            Keys::More(keys) => keys,
        }
    }
}

/// A transcript as pieces: the source, and the edits each unit makes to it.
#[derive(Clone, Default)]
pub struct Rendered {
    edits: BTreeMap<Key, String>,
    /// The keys each step's unit holds in `edits`, by step, to take out
    /// when it changes; the other units' in `keys`.
    step_keys: Vec<Keys>,
    keys: HashMap<Unit, Vec<Key>>,
    /// What the edits add, for the text's capacity.
    added: usize,
    /// Each step's id, by index: made once, not at every look-up.
    ids: Vec<String>,
    /// The first step of each id, and the next step of the same id after
    /// each (an id names more than one step when a runbook gives two blocks
    /// one name): no list a step for the one step most ids name. Made at
    /// the second update (see `steps_named`), and kept.
    by_id: HashMap<String, usize>,
    same_id: Vec<Option<usize>>,
    indexed: bool,
    /// Whether `update` was called before.
    updated: bool,
    /// The steps inside each fence, by the fence's first step.
    members: HashMap<usize, Vec<usize>>,
    /// The fence unit each step inside a fence belongs to.
    fence_of: HashMap<usize, usize>,
    /// What the summary says, kept up to date as the steps are.
    tally: Tally,
    /// The steps that failed themselves.
    failed: BTreeSet<usize>,
    /// The footnote each task's label points to, and how many point to each.
    footnote_of: HashMap<usize, usize>,
    footnotes: [usize; 3],
    literal: Vec<usize>,
    /// The source's line ending, found once.
    eol: &'static str,
}

impl Rendered {
    /// Renders every step `outcomes` records.
    pub fn new(source: &Source, book: &Runbook, outcomes: &HashMap<String, Outcome>) -> Rendered {
        let mut r = Rendered {
            ids: book.steps.iter().map(Step::id).collect(),
            step_keys: vec![Keys::None; book.steps.len()],
            eol: source.line_ending(),
            ..Rendered::default()
        };
        let mut fences: HashMap<usize, usize> = HashMap::new();
        for step in &book.steps {
            if let Some(fence) = in_fence(step) {
                let first = *fences.entry(fence.insert_at as usize).or_insert(step.at());
                r.members.entry(first).or_default().push(step.at());
                r.fence_of.insert(step.at(), first);
            }
        }
        r.tally = Tally::new(book, outcomes);
        r.literal = summary::literal_markers(&source.text);
        let recorded: Vec<usize> = book
            .steps
            .iter()
            .filter(|s| outcomes.contains_key(&r.ids[s.at()]))
            .map(Step::at)
            .collect();
        let mut units: Vec<Unit> = Vec::new();
        let mut seen = HashSet::new();
        for &index in &recorded {
            r.note(book, outcomes, index);
            let unit = r.unit_of(index);
            if seen.insert(unit) {
                units.push(unit);
            }
        }
        // Every unit's edits at once, the map built from them in one go
        // rather than an edit at a time.
        let mut all: Vec<(Key, String)> = Vec::with_capacity(units.len());
        for unit in units {
            let (class, index, edits) = r.edits_of(source, book, outcomes, unit);
            let mut keys = Vec::with_capacity(edits.len());
            for (nth, edit) in edits.into_iter().enumerate() {
                let key = Key::of(&edit, class, index, nth);
                r.added += edit.text.len();
                all.push((key, edit.text));
                keys.push(key);
            }
            r.hold(unit, keys);
        }
        r.edits = all.into_iter().collect();
        r
    }

    /// Makes `by_id` and `same_id`.
    fn index_ids(&mut self) {
        self.by_id.reserve(self.ids.len());
        self.same_id = vec![None; self.ids.len()];
        for (index, id) in self.ids.iter().enumerate() {
            match self.by_id.get(id) {
                Some(&first) => {
                    let mut last = first;
                    while let Some(next) = self.same_id[last] {
                        last = next;
                    }
                    self.same_id[last] = Some(index);
                }
                None => {
                    self.by_id.insert(id.clone(), index);
                }
            }
        }
        self.indexed = true;
    }

    /// The steps `id` names, in the runbook's order, onto `out`. Through
    /// the index once it is made; before, by going through the ids, which
    /// costs less than making the index for the few ids of a first update
    /// (all a resumed run that ends at once makes).
    fn steps_named(&self, id: &str, out: &mut Vec<usize>) {
        if self.indexed {
            let mut step = self.by_id.get(id).copied();
            while let Some(index) = step {
                out.push(index);
                step = self.same_id[index];
            }
        } else {
            out.extend((0..self.ids.len()).filter(|&i| self.ids[i] == id));
        }
    }

    /// Brings what the summary says of step `index` up to date.
    fn note(&mut self, book: &Runbook, outcomes: &HashMap<String, Outcome>, index: usize) {
        let step = &book.steps[index];
        let outcome = outcomes.get(&self.ids[index]);
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

    /// Renders again the steps whose outcomes changed: those of `ids`.
    pub fn update<'a>(
        &mut self,
        source: &Source,
        book: &Runbook,
        outcomes: &HashMap<String, Outcome>,
        ids: impl IntoIterator<Item = &'a str>,
    ) {
        /// Ids a first update finds without the index.
        const FEW: usize = 4;
        let ids: Vec<&str> = ids.into_iter().collect();
        if !self.indexed && (self.updated || ids.len() > FEW) {
            self.index_ids();
        }
        self.updated = true;
        let mut units: Vec<Unit> = Vec::new();
        let mut seen = HashSet::new();
        let mut steps: Vec<usize> = Vec::new();
        let mut sections = false;
        let mut named = Vec::new();
        for id in ids {
            sections |= id.starts_with('§');
            named.clear();
            self.steps_named(id, &mut named);
            for &index in &named {
                steps.push(index);
                let unit = self.unit_of(index);
                if seen.insert(unit) {
                    units.push(unit);
                }
            }
        }
        steps.sort_unstable();
        steps.dedup();
        self.tally.update(book, outcomes, &steps, sections);
        for &index in &steps {
            self.note(book, outcomes, index);
        }
        for unit in units {
            self.refresh(source, book, outcomes, unit);
        }
    }

    /// The transcript text, with the summary and section lines as of now.
    pub fn text(
        &mut self,
        source: &Source,
        book: &Runbook,
        outcomes: &HashMap<String, Outcome>,
        info: &RunInfo,
    ) -> String {
        let eol = source.line_ending();
        let failed = self
            .failed
            .iter()
            .filter_map(|&i| outcomes.get(&self.ids[i]).map(|o| (&book.steps[i], o)))
            .collect();
        let facts = Facts {
            counts: self.tally.counts(),
            failed,
            footnotes: self.footnotes.map(|n| n > 0),
            literal: &self.literal,
        };
        let summary = summary::edit_with(source, book, info, eol, &facts);
        self.put(Unit::Summary, vec![summary]);
        let sections = super::section::marks(book, outcomes, eol)
            .into_iter()
            .map(|(at, text)| Edit { at, len: 0, text })
            .collect();
        self.put(Unit::Sections, sections);
        let text = &source.text;
        let mut out = String::with_capacity(text.len() + self.added);
        let mut at = 0;
        for (key, edit) in &self.edits {
            // Steps never overlap; should two ever, the first one wins rather
            // than the text being cut backwards.
            if key.at < at {
                continue;
            }
            out.push_str(&text[at..key.at]);
            out.push_str(edit);
            at = key.at + key.len;
        }
        out.push_str(&text[at..]);
        out
    }

    fn unit_of(&self, index: usize) -> Unit {
        match self.fence_of.get(&index) {
            Some(&first) => Unit::Fence(first),
            None => Unit::Step(index),
        }
    }

    /// Renders `unit` again from `outcomes`.
    fn refresh(
        &mut self,
        source: &Source,
        book: &Runbook,
        outcomes: &HashMap<String, Outcome>,
        unit: Unit,
    ) {
        let (class, index, edits) = self.edits_of(source, book, outcomes, unit);
        self.put_ordered(unit, class, index, edits);
    }

    /// The edits `unit` makes from `outcomes`, with the class and index
    /// that place them among edits at the same offset.
    fn edits_of(
        &self,
        source: &Source,
        book: &Runbook,
        outcomes: &HashMap<String, Outcome>,
        unit: Unit,
    ) -> (u8, usize, Vec<Edit>) {
        let text = &source.text;
        let eol = self.eol;
        let mut edits = Vec::new();
        match unit {
            Unit::Step(index) => {
                if let Some(outcome) = outcomes.get(&self.ids[index]) {
                    step_edits(text, book, &book.steps[index], outcome, eol, &mut edits);
                }
            }
            Unit::Fence(first) => {
                let held: Vec<(&Step, &Outcome)> = self.members[&first]
                    .iter()
                    .filter_map(|&i| outcomes.get(&self.ids[i]).map(|o| (&book.steps[i], o)))
                    .collect();
                if let Some(fence) = held.first().and_then(|(s, _)| in_fence(s)) {
                    super::fill::fence_region_edits(text, fence, &held, eol, &mut edits);
                }
                // Placed by its first step recorded, as fences always were.
                let order = held.first().map_or(first, |(s, _)| s.at());
                return (2, order, edits);
            }
            Unit::Summary | Unit::Sections => {}
        }
        let (class, index) = place(unit);
        (class, index, edits)
    }

    fn put(&mut self, unit: Unit, edits: Vec<Edit>) {
        let (class, index) = place(unit);
        self.put_ordered(unit, class, index, edits);
    }

    /// Replaces what `unit` holds with `edits`, in their order.
    fn put_ordered(&mut self, unit: Unit, class: u8, index: usize, edits: Vec<Edit>) {
        for key in self.release(unit) {
            if let Some(text) = self.edits.remove(&key) {
                self.added -= text.len();
            }
        }
        let mut keys = Vec::with_capacity(edits.len());
        for (nth, edit) in edits.into_iter().enumerate() {
            let key = Key::of(&edit, class, index, nth);
            self.added += edit.text.len();
            self.edits.insert(key, edit.text);
            keys.push(key);
        }
        self.hold(unit, keys);
    }

    /// The keys `unit` held, no longer held.
    fn release(&mut self, unit: Unit) -> Vec<Key> {
        match unit {
            Unit::Step(i) => std::mem::take(&mut self.step_keys[i]).into_vec(),
            _ => self.keys.remove(&unit).unwrap_or_default(),
        }
    }

    /// Notes that `unit` holds `keys` (none: nothing to note).
    fn hold(&mut self, unit: Unit, keys: Vec<Key>) {
        if keys.is_empty() {
            return;
        }
        match unit {
            Unit::Step(i) => self.step_keys[i] = Keys::of(keys),
            _ => {
                self.keys.insert(unit, keys);
            }
        }
    }
}

/// The class and index that order `unit`'s edits among those at the same
/// offset.
fn place(unit: Unit) -> (u8, usize) {
    match unit {
        Unit::Summary => (0, 0),
        Unit::Step(i) => (1, i),
        Unit::Fence(i) => (2, i),
        Unit::Sections => (3, 0),
    }
}

/// The plain fence a task or field sits in, if any: recorded after it.
fn in_fence(step: &Step) -> Option<&Fence> {
    match &step.kind {
        StepKind::Task(t) => t.in_fence.as_deref(),
        StepKind::Blank(f) | StepKind::Choice(f) => f.in_fence.as_deref(),
        _ => None,
    }
}

/// The transcript rendered in one go, the way it was before it was kept as
/// pieces: what the pieces must give, byte for byte.
#[cfg(test)]
pub(super) fn render_at_once(
    source: &Source,
    book: &Runbook,
    outcomes: &HashMap<String, Outcome>,
    info: &RunInfo,
) -> String {
    let eol = source.line_ending();
    let text = &source.text;
    let mut edits = vec![super::summary::edit(source, book, outcomes, info, eol)];
    let mut fences: Vec<(&Fence, Vec<(&Step, &Outcome)>)> = Vec::new();
    for step in &book.steps {
        let Some(outcome) = outcomes.get(&step.id()) else {
            continue;
        };
        if let Some(fence) = in_fence(step) {
            match fences
                .iter_mut()
                .find(|(f, _)| f.insert_at == fence.insert_at)
            {
                Some((_, held)) => held.push((step, outcome)),
                None => fences.push((fence, vec![(step, outcome)])),
            }
            continue;
        }
        step_edits(text, book, step, outcome, eol, &mut edits);
    }
    for (fence, held) in fences {
        super::fill::fence_region_edits(text, fence, &held, eol, &mut edits);
    }
    for (at, text) in super::section::marks(book, outcomes, eol) {
        edits.push(Edit { at, len: 0, text });
    }
    edits.sort_by_key(|e| (e.at, e.len));
    let mut out = String::new();
    let mut at = 0;
    for edit in edits {
        if edit.at < at {
            continue;
        }
        out.push_str(&text[at..edit.at]);
        out.push_str(&edit.text);
        at = edit.at + edit.len;
    }
    out.push_str(&text[at..]);
    out
}
