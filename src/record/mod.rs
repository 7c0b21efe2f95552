//! The typed run record: a run and every step's record, as a transcript holds
//! them. Everything that reads runs (resume, strip, reports, diff, history)
//! reads this.

mod counts;
mod heading;
mod host;
mod outcome;
mod scope;
mod started;
mod unfold;
mod unit;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use started::started;

pub use counts::{Counts, Tally, UNFINISHED, UNREACHABLE};
pub use host::{HostOutcome, HostRecord, HostStatus, summary as hosts_summary};
pub use outcome::{Mode, Origin, Outcome, Reason, RunState, Status, UnknownWord, clock, now};
pub use scope::{Scope, section_id};
pub use unfold::{StepRecords, Unfolded};
pub use unit::{Places, Units, status as unit_status};

use crate::doc::sections::OptionForm;
use crate::doc::{Contingency, Runbook, Step, StepKind};

/// Facts about the run: the summary at the top of its transcript.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunInfo {
    pub id: String,
    /// The runbook's path as given when the run began.
    pub source: String,
    /// sha256 of the runbook's text when the run began.
    pub sha256: String,
    /// `user@host` of whoever ran it.
    pub operator: String,
    pub started: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    /// When the run was last resumed, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<String>,
    pub state: RunState,
    pub mode: Mode,
    /// The environment a templated runbook was rendered for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// The variables it was rendered with, secrets masked.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    /// The template the runbook was rendered from, for a templated run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateInfo>,
}

impl RunInfo {
    /// From the run's start to its end, in milliseconds; `None` while it has
    /// not finished. The summary's times are whole seconds.
    pub fn wall_ms(&self) -> Option<u64> {
        let (start, end) = (
            self.started.parse::<jiff::Timestamp>().ok()?,
            self.finished.as_deref()?.parse::<jiff::Timestamp>().ok()?,
        );
        u64::try_from(end.duration_since(start).as_millis()).ok()
    }
}

/// What a templated run was rendered from: enough for `resume` to render it
/// again and to refuse when a file changed, and for `strip --template`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TemplateInfo {
    /// The template's path as given.
    pub path: String,
    /// sha256 of the template's text.
    pub sha256: String,
    /// The environment file read for `--env`, and its sha256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_sha256: Option<String>,
    /// What `now()` gave when the run began (UTC, RFC 3339).
    pub rendered: String,
    /// The random key of `secrets`' digests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
    /// Each secret input's keyed digest (sha256 of the key, its name and
    /// value), by name: `resume` refuses another value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<(String, String)>,
    /// Which line of the template each line of the rendered runbook came
    /// from, as `LineMap::encode` writes it: the lines of a transcript's
    /// steps read back. Reports give those lines, not this.
    #[serde(skip)]
    pub lines: Option<String>,
}

/// What kind of step a record is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Task,
    Command,
    Blank,
    Choice,
    Placeholder,
}

impl Kind {
    /// The kind of `step`.
    pub fn of(step: &Step) -> Kind {
        match step.kind {
            StepKind::Task(_) => Kind::Task,
            StepKind::Command(_) => Kind::Command,
            StepKind::Blank(_) => Kind::Blank,
            StepKind::Choice(_) => Kind::Choice,
            StepKind::Placeholder(_) => Kind::Placeholder,
        }
    }
}

/// One try at a step: what ran, when, how it ended and what it printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// UTC start time, RFC 3339 (the end less the duration).
    pub started: String,
    /// UTC end time, RFC 3339.
    pub finished: String,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<i32>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
    /// The command as it ran, when it differs from the runbook's (edited, or
    /// placeholders filled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ran: Option<String>,
    /// How this attempt ended; the step's status is its last attempt's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Why it ended so (`timeout`, `interrupted`, `ignored`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
    /// The answer this attempt gave, for a blank or choice answered more
    /// than once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Its note, for a step done by hand or answered more than once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// A fleet block's attempt before its last: its part on each host, in
    /// inventory order, a host it did not run again holding its part from
    /// before. The last attempt's are the step's `hosts`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<HostRecord>,
}

impl Attempt {
    /// The attempt `o` records (its earlier attempts aside), its texts moved
    /// in rather than copied.
    fn of(o: Outcome) -> Attempt {
        Attempt {
            started: started(&o.at, o.ms),
            finished: o.at,
            duration_ms: o.ms,
            exit: o.exit,
            output: as_written(o.output),
            ran: o.ran.map(as_written),
            status: Some(o.status),
            reasons: o.reasons,
            answer: None,
            note: None,
            hosts: o.hosts.iter().map(HostRecord::of).collect(),
        }
    }

    /// The attempt `o` records at a step done by hand or answered (a task,
    /// a blank, a choice): with its answer and note.
    fn answered(mut o: Outcome) -> Attempt {
        let (answer, note) = (o.value.take(), o.note.take());
        Attempt {
            answer,
            note,
            ..Attempt::of(o)
        }
    }
}

/// One step of the run and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The stable id: the `name=` attribute, else `s{n}`.
    pub id: String,
    pub kind: Kind,
    /// Line of the runbook the step is on.
    pub line: usize,
    /// Headings above the step, outermost first: shared with the runbook's
    /// steps under the same heading, not copied for each.
    #[serde(with = "heading")]
    pub heading: Arc<[String]>,
    pub text: String,
    /// A command's code as the runbook has it (container prefixes removed);
    /// what ran, when it differs, is in its attempts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The fence's `name=` attribute, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The id of the step this one belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The id of the step this entry is counted as, when a person counts
    /// steps: its own for a step, its item's for a block or field inside
    /// an item; `None` for an item that heads others (counted as none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts_as: Option<String>,
    /// Where it ended up; `None` when the run never reached it.
    pub status: Option<Status>,
    /// Already ticked `[x]` in the runbook (or inside an item that was).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub done_before: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
    /// The answer to a blank or choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who confirmed it: the operator who typed `yes` for a guarded block, or
    /// ticked a manual task at the terminal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// What the section it is in is for, when that is not the main path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_role: Option<SectionRole>,
    /// The heading of that section: the outermost contingency section the
    /// step is in, else the option it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// In a contingency section: its kind (`rollback`, `emergency`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contingency: Option<Contingency>,
    /// The option of a group of alternatives the step belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    /// Left off the run's path on purpose: in a contingency section nobody
    /// called for, an option not chosen, or outside the section of `--only`.
    /// Not a step the run failed to reach.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub off_path: bool,
    /// A block run on hosts of a fleet: its last attempt on each host, in
    /// inventory order (diff and reports align these by `host`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<HostRecord>,
    /// The placeholders filled in a command before its last attempt ran,
    /// in the order they were filled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fills: Vec<Fill>,
}

/// A placeholder filled in a command: its value, and where that came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    /// The token as the runbook has it: `<release-tag>`.
    pub placeholder: String,
    /// The value as the transcript shows it (a secret's as `•••`).
    pub value: String,
    pub from: Origin,
}

impl StepRecord {
    /// Where the answer of a blank or choice came from, when it has one.
    pub fn answer_origin(&self) -> Option<Origin> {
        if !matches!(self.kind, Kind::Blank | Kind::Choice) || self.answer.is_none() {
            return None;
        }
        Some(if self.reasons.contains(&Reason::AnswersFile) {
            Origin::AnswersFile
        } else {
            Origin::Prompt
        })
    }
}

/// What a section is for, when a run treats it apart from the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SectionRole {
    /// On the main path (recorded when a run was limited to it with `--only`).
    Main,
    /// Run only when called for: a rollback, an emergency procedure, ...
    Contingency,
    /// One option of a group of alternatives.
    Alternative,
}

/// What became of a section a run treated apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SectionState {
    /// A contingency section passed over: nothing called for it.
    NotNeeded,
    /// A contingency section the run went into, for `because`.
    Entered,
    /// The one section the run was limited to (`--only`).
    Only,
    /// The option of its group the run took.
    Chosen,
    /// An option of a group the run did not take.
    NotChosen,
}

/// A section a run treated apart from the main path, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionRecord {
    /// `§n`: the n-th heading of the runbook.
    pub id: String,
    pub title: String,
    /// The headings down to it, itself included.
    pub heading: Vec<String>,
    pub line: usize,
    pub role: SectionRole,
    /// For a contingency section: its kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contingency: Option<Contingency>,
    pub state: SectionState,
    /// What started it ("Migrate failed (exit 1) at deploy.md:312"), or who
    /// chose an option and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub because: Option<String>,
    /// UTC time it was recorded, RFC 3339.
    pub at: String,
}

/// A whole run: its summary, counts and every step in document order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run: RunInfo,
    pub counts: Counts,
    pub steps: Vec<StepRecord>,
    /// The sections the run treated apart (contingency sections passed over
    /// or entered, options chosen or not, the section of `--only`), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<SectionRecord>,
}

/// The note a task or `manual` block answered in the answers file carries
/// (with the reason `answers-file`, which blanks and choices carry alone).
pub const ANSWERED_IN_FILE: &str = "answered in the answers file";

/// The note a guarded block's outcome carries once someone typed `yes`.
pub const CONFIRMED_BY: &str = "confirmed by ";

/// What the status line of a block (or a host's line) adds when the block
/// took the shell's working directory away (`cwd-gone`); its output ends
/// in a `[runsheet: ...]` line that names the directory.
pub const CWD_GONE: &str = "it took away the shell's working directory";

impl RunRecord {
    /// From the run's start to its end, in milliseconds; `None` while it has
    /// not finished. The summary's times are whole seconds.
    pub fn wall_ms(&self) -> Option<u64> {
        self.run.wall_ms()
    }

    /// Its steps' last attempts' durations together, in milliseconds.
    pub fn steps_ms(&self) -> u64 {
        self.steps
            .iter()
            .filter_map(|s| s.attempts.last())
            .map(|a| a.duration_ms)
            .sum()
    }

    /// The record of a run of `book` that left `outcomes`.
    pub fn new(run: RunInfo, book: &Runbook, outcomes: &HashMap<String, Outcome>) -> RunRecord {
        let ids = ids(book);
        let (units, scope, counts) = shape(book, outcomes, &ids);
        RunRecord {
            counts,
            steps: steps(&run, book, &units, &scope, &ids, |id| {
                outcomes.get(id).cloned()
            }),
            sections: section_records(book, outcomes),
            run,
        }
    }

    /// `new`, taking the outcomes: what they hold (outputs above all) moves
    /// into the record instead of being copied.
    pub fn of_outcomes(
        run: RunInfo,
        book: &Runbook,
        outcomes: HashMap<String, Outcome>,
    ) -> RunRecord {
        let Unfolded {
            run,
            counts,
            sections,
            steps,
        } = Unfolded::new(run, book, outcomes);
        RunRecord {
            run,
            counts,
            steps: steps.collect(),
            sections,
        }
    }

    /// The step with id `id`.
    pub fn step(&self, id: &str) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The contingency sections the run went into (a rollback that ran), in order.
    pub fn contingency_entered(&self) -> impl Iterator<Item = &SectionRecord> {
        self.sections.iter().filter(|s| {
            s.role == SectionRole::Contingency
                && matches!(s.state, SectionState::Entered | SectionState::Only)
        })
    }
}

/// Every step's id, by index: made once for a record, not once for each
/// use of it.
fn ids(book: &Runbook) -> Vec<String> {
    book.steps.iter().map(Step::id).collect()
}

/// What a record's steps are counted as, the run's path and its counts,
/// each worked out once and each step's outcome looked up once for them.
fn shape(
    book: &Runbook,
    outcomes: &HashMap<String, Outcome>,
    ids: &[String],
) -> (Units, Scope, Counts) {
    let units = Units::of(book);
    let scope = Scope::of(book, outcomes);
    let found: Vec<Option<&Outcome>> = ids.iter().map(|id| outcomes.get(id)).collect();
    let counts = Counts::of_steps(book, &units, &scope, &|i| found[i]);
    (units, scope, counts)
}

/// The record of every step of `book`, each with the outcome `outcome` gives
/// for its id (`ids`, by index).
fn steps(
    run: &RunInfo,
    book: &Runbook,
    units: &Units,
    scope: &Scope,
    ids: &[String],
    mut outcome: impl FnMut(&str) -> Option<Outcome>,
) -> Vec<StepRecord> {
    book.steps
        .iter()
        .map(|step| {
            let o = outcome(&ids[step.at()]);
            record_of_step(run, book, units, scope, ids, step, o)
        })
        .collect()
}

/// The record of `step`, whose outcome is `o`.
fn record_of_step(
    run: &RunInfo,
    book: &Runbook,
    units: &Units,
    scope: &Scope,
    ids: &[String],
    step: &Step,
    o: Option<Outcome>,
) -> StepRecord {
    let mut record = step_record(run, book, step, ids, o);
    record.counts_as = units.unit(step.at()).map(|u| ids[u].clone());
    place(book, step.at(), &mut record);
    record.off_path = scope.off_path(step.at());
    record
}

/// Where in the document's shape step `index` sits.
fn place(book: &Runbook, index: usize, record: &mut StepRecord) {
    let option = book
        .alternatives_of(index)
        .last()
        .map(|&(g, o)| book.groups[g].options[o].label.clone());
    if let Some(c) = book.contingency_of(index) {
        let section = &book.sections[c];
        record.section_role = Some(SectionRole::Contingency);
        record.section = Some(section.title.clone());
        record.contingency = section.contingency;
    } else if let Some(label) = &option {
        record.section_role = Some(SectionRole::Alternative);
        record.section = Some(label.clone());
    }
    record.option = option;
}

/// The records of the sections a run treated apart, in document order.
fn section_records(book: &Runbook, outcomes: &HashMap<String, Outcome>) -> Vec<SectionRecord> {
    let options: HashMap<usize, ()> = book
        .groups
        .iter()
        .flat_map(|g| g.options.iter())
        .filter_map(|o| match o.form {
            OptionForm::Section(s) => Some((s, ())),
            OptionForm::Item(_) => None,
        })
        .collect();
    (0..book.sections.len())
        .filter_map(|i| {
            let o = outcomes.get(&section_id(i))?;
            let section = &book.sections[i];
            let state = [
                (Reason::Only, SectionState::Only),
                (Reason::Entered, SectionState::Entered),
                (Reason::NotNeeded, SectionState::NotNeeded),
                (Reason::NotChosen, SectionState::NotChosen),
                (Reason::Chosen, SectionState::Chosen),
            ]
            .into_iter()
            .find(|(r, _)| o.has(*r))?
            .1;
            let role = if section.contingency.is_some() {
                SectionRole::Contingency
            } else if options.contains_key(&i) {
                SectionRole::Alternative
            } else {
                SectionRole::Main
            };
            let heading = book.path_of(i).split(" › ").map(str::to_string).collect();
            Some(SectionRecord {
                id: section_id(i),
                title: section.title.clone(),
                heading,
                line: section.line,
                role,
                contingency: section.contingency,
                state,
                because: o.value.clone(),
                at: o.at.clone(),
            })
        })
        .collect()
}

fn step_record(
    run: &RunInfo,
    book: &Runbook,
    step: &Step,
    ids: &[String],
    outcome: Option<Outcome>,
) -> StepRecord {
    let before = done_before(book, step);
    let mut record = StepRecord {
        id: ids[step.at()].clone(),
        kind: Kind::of(step),
        line: step.line(),
        heading: step.heading.clone(),
        text: step.text.clone(),
        // As the transcript shows it: a template's secrets stay masked.
        code: step
            .command()
            .map(|c| c.shown().unwrap_or(&*c.code).to_string()),
        name: step.command().and_then(|c| c.attrs.name.clone()),
        parent: step.parent().map(|p| ids[p].clone()),
        counts_as: None,
        status: outcome
            .as_ref()
            .map(|o| o.status)
            .or(before.then_some(Status::Done)),
        done_before: before,
        reasons: Vec::new(),
        attempts: Vec::new(),
        answer: None,
        note: None,
        confirmed_by: None,
        host: None,
        section_role: None,
        section: None,
        contingency: None,
        option: None,
        off_path: false,
        hosts: Vec::new(),
        fills: Vec::new(),
    };
    let Some(mut o) = outcome else {
        return record;
    };
    record.reasons = o.reasons.clone();
    record.fills = o
        .fills
        .iter()
        .map(|(token, value)| Fill {
            placeholder: token.clone(),
            value: value.clone(),
            from: o.fill_origin(token),
        })
        .collect();
    // A step answered again on resume (a NO-GO, a task that failed, a
    // value off its target) keeps every answer as an attempt, oldest first.
    if step.command().is_none() && !o.earlier.is_empty() {
        let mut all = std::mem::take(&mut o.earlier);
        all.reverse();
        all.push(o.clone());
        record.attempts = all.into_iter().map(Attempt::answered).collect();
    }
    record.answer = o.value.take();
    record.host = o.host.take();
    record.hosts = o.hosts.iter().map(HostRecord::of).collect();
    record.confirmed_by = confirmed_by(run, step, &o);
    record.note = match o.note.take() {
        Some(n) if o.has(Reason::Confirmed) && n.starts_with(CONFIRMED_BY) => None,
        n => n,
    };
    // Every attempt of a block, oldest first; a step tried once has one
    // when there is something to time or show. (The record is the same
    // whether made during the run or read from its transcript.)
    let timed = o.exit.is_some() || o.ms > 0 || !o.output.is_empty() || o.ran.is_some();
    if step.command().is_some() && !o.earlier.is_empty() {
        // Oldest first: the earlier ones are kept newest first.
        let mut all = std::mem::take(&mut o.earlier);
        all.reverse();
        all.push(o);
        record.attempts = all.into_iter().map(Attempt::of).collect();
    } else if timed && record.attempts.is_empty() {
        record.attempts = vec![Attempt::of(o)];
    }
    // The last attempt's hosts are the step's, said once.
    if let Some(last) = record.attempts.last_mut() {
        last.hosts = Vec::new();
    }
    record
}

/// Text as a transcript's fenced block holds it: a block's last line always
/// ends, so a record made during a run reads as the one made from its
/// transcript.
fn as_written(mut text: String) -> String {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Who confirmed a step, when the record says a person did.
fn confirmed_by(run: &RunInfo, step: &Step, o: &Outcome) -> Option<String> {
    if o.has(Reason::Confirmed) {
        return o
            .note
            .as_deref()
            .and_then(|n| n.strip_prefix(CONFIRMED_BY))
            .map(str::to_string)
            .or_else(|| Some(run.operator.clone()));
    }
    let by_hand = step.children.is_empty()
        && (step.task().is_some() || step.command().is_some_and(|c| c.attrs.manual));
    // Transcripts written before `how=answers-file` have the note alone.
    let answered_ahead = o.has(Reason::AnswersFile) || o.note.as_deref() == Some(ANSWERED_IN_FILE);
    (by_hand && o.status == Status::Done && run.mode == Mode::Interactive && !answered_ahead)
        .then(|| run.operator.clone())
}

/// Ticked `[x]` in the source, or inside an item that was: done before the run.
pub fn done_before(book: &Runbook, step: &Step) -> bool {
    let mut at = Some(step.at());
    while let Some(i) = at {
        if book.steps[i].task().is_some_and(|t| t.checked) {
            return true;
        }
        at = book.steps[i].parent();
    }
    false
}

/// Done or deliberately skipped, ticked before the run, or a placeholder
/// (filled as part of its command): nothing left to do for `resume`.
pub fn settled(book: &Runbook, step: &Step, outcomes: &HashMap<String, Outcome>) -> bool {
    step.placeholder().is_some()
        || done_before(book, step)
        || outcomes
            .get(&step.id())
            .is_some_and(|o| o.status.is_settled())
}

#[cfg(test)]
mod tests;
