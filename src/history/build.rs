//! Runs grouped by runbook, put in time order, their steps aligned run after run.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::stats::{people, trend};
use super::{Answer, AnswerFrom, Cell, Failure, History, Row, Run};
use crate::diff::align;
use crate::record::{Kind, Origin, RunRecord, RunState, Status, StepRecord};

/// A transcript read: where it is and its run.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: String,
    pub record: RunRecord,
    /// Whether the transcript is the record its run wrote (its sha256).
    pub intact: bool,
}

/// How much of a failed step's output a history keeps: its end, where the
/// error usually is.
const OUTPUT_TAIL: usize = 2_000;

/// The runs grouped by the runbook they recorded (its path as given), groups
/// in order of their paths, runs in time order.
pub fn group(runs: Vec<Loaded>) -> Vec<(String, Vec<Loaded>)> {
    let mut groups: BTreeMap<String, Vec<Loaded>> = BTreeMap::new();
    for run in runs {
        groups
            .entry(run.record.run.source.clone())
            .or_default()
            .push(run);
    }
    let mut groups: Vec<(String, Vec<Loaded>)> = groups.into_iter().collect();
    for (_, runs) in &mut groups {
        runs.sort_by_cached_key(|r| (started(&r.record), r.path.clone()));
    }
    groups
}

/// When a run started, for ordering: parsed, so that offsets compare right.
fn started(record: &RunRecord) -> (Option<jiff::Timestamp>, String) {
    (record.run.started.parse().ok(), record.run.started.clone())
}

/// The history of `runbook` from its runs, in time order.
pub fn build(runbook: &str, runs: Vec<Loaded>) -> History {
    let n = runs.len();
    let mut summaries = Vec::with_capacity(n);
    let mut versions: Vec<String> = Vec::new();
    // Each row's step as the latest run that has it shows it, and its cells.
    // A task shown through its steps has a row too, with no label, so that
    // its steps pair only with the steps of the task it paired with; it is
    // left out at the end.
    let mut reps: Vec<StepRecord> = Vec::new();
    let mut cells: Vec<Vec<Option<Cell>>> = Vec::new();
    let mut labels: Vec<Option<String>> = Vec::new();
    for (at, loaded) in runs.into_iter().enumerate() {
        let Loaded {
            path,
            record,
            intact,
        } = loaded;
        if !versions.contains(&record.run.sha256) {
            versions.push(record.run.sha256.clone());
        }
        let (steps, step_labels) = rows_of(&record);
        let by_id: HashMap<&str, &str> = steps
            .iter()
            .zip(&step_labels)
            .filter_map(|(s, l)| Some((s.id.as_str(), l.as_deref()?)))
            .collect();
        summaries.push(summary(path, &record, intact, &by_id));
        if reps.is_empty() {
            // The first run: nothing to pair with.
            for (step, label) in steps.into_iter().zip(step_labels) {
                let mut row = vec![None; n];
                row[at] = Some(cell(&step));
                cells.push(row);
                labels.push(label);
                reps.push(light(step, at));
            }
            continue;
        }
        let pairs = align::align(&reps, &steps);
        let mut old_reps: Vec<Option<StepRecord>> = reps.drain(..).map(Some).collect();
        let mut old_cells: Vec<Option<Vec<Option<Cell>>>> = cells.drain(..).map(Some).collect();
        let mut old_labels: Vec<Option<Option<String>>> = labels.drain(..).map(Some).collect();
        let mut new_steps: Vec<Option<StepRecord>> = steps.into_iter().map(Some).collect();
        let mut new_labels: Vec<Option<Option<String>>> =
            step_labels.into_iter().map(Some).collect();
        // The rows kept from earlier runs name their task by its id then:
        // where that task paired with a step of this run, by the new id.
        let mut renamed: HashMap<String, String> = HashMap::new();
        for pair in pairs {
            let (mut row, old_rep, old_label) = match pair.old {
                Some(o) => (
                    old_cells[o].take().unwrap_or_else(|| vec![None; n]),
                    old_reps[o].take(),
                    old_labels[o].take(),
                ),
                None => (vec![None; n], None, None),
            };
            let (rep, label) = match pair.new.and_then(|i| Some((new_steps[i].take()?, i))) {
                Some((step, i)) => {
                    row[at] = Some(cell(&step));
                    let rep = light(step, at);
                    if let Some(old) = &old_rep {
                        renamed.insert(old.id.clone(), rep.id.clone());
                    }
                    (rep, new_labels[i].take())
                }
                None => match old_rep {
                    Some(rep) => (rep, old_label),
                    None => continue,
                },
            };
            reps.push(rep);
            cells.push(row);
            labels.push(label.flatten());
        }
        for rep in &mut reps {
            for id in [&mut rep.parent, &mut rep.counts_as].into_iter().flatten() {
                if let Some(new_id) = renamed.get(id.as_str()) {
                    id.clone_from(new_id);
                }
            }
        }
    }
    let rows = reps
        .into_iter()
        .zip(cells)
        .zip(labels)
        .filter(|((_, cells), _)| cells.iter().flatten().any(|c| !c.off_path))
        .filter_map(|((step, cells), label)| Some(((step, cells), label?)))
        .map(|((step, cells), label)| {
            let trend = trend(&cells);
            Row {
                label,
                kind: step.kind,
                name: step.name,
                cells,
                trend,
            }
        })
        .collect();
    let mut history = History {
        runbook: runbook.to_string(),
        versions,
        people: people(&summaries),
        runs: summaries,
        rows,
        step: None,
    };
    history.count_retries();
    history
}

/// The steps of a run a history pairs, and the labels of those it shows. A
/// task whose steps are its commands is shown through them (labelled with
/// its text), so that a step is one row, not two: it has no label.
fn rows_of(record: &RunRecord) -> (Vec<StepRecord>, Vec<Option<String>>) {
    let parents: HashSet<&str> = record
        .steps
        .iter()
        .filter_map(|s| s.parent.as_deref())
        .collect();
    let texts: HashMap<&str, &str> = record
        .steps
        .iter()
        .map(|s| (s.id.as_str(), s.text.as_str()))
        .collect();
    let mut steps = Vec::new();
    let mut labels = Vec::new();
    for s in &record.steps {
        if s.kind == Kind::Placeholder {
            continue;
        }
        if s.kind == Kind::Task && parents.contains(s.id.as_str()) {
            labels.push(None);
        } else {
            let task = s.parent.as_deref().and_then(|p| texts.get(p)).copied();
            labels.push(Some(label(s, task)));
        }
        steps.push(s.clone());
    }
    (steps, labels)
}

/// `Heading › task › block`: the last heading, the task a block belongs to
/// and the block by its name (else its first line).
fn label(s: &StepRecord, task: Option<&str>) -> String {
    let mut parts: Vec<String> = s.heading.last().cloned().into_iter().collect();
    parts.extend(task.map(str::to_string));
    match (s.kind, &s.name) {
        (Kind::Command, Some(name)) => parts.push(format!("`{name}`")),
        (Kind::Command, None) if task.is_none() => parts.push(format!("`{}`", s.text)),
        (Kind::Command, None) => {}
        _ => parts.push(s.text.clone()),
    }
    parts.retain(|p| !p.is_empty());
    parts.join(" › ")
}

/// A step kept only to pair the next run's steps with: what `align` reads.
/// Its id, and the ids it names, are made those of run `at`, since step ids
/// repeat from run to run and the rows kept hold steps of many runs.
fn light(mut step: StepRecord, at: usize) -> StepRecord {
    for id in [
        Some(&mut step.id),
        step.parent.as_mut(),
        step.counts_as.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        *id = format!("{at}\u{1f}{id}");
    }
    step.attempts = Vec::new();
    step.hosts = Vec::new();
    step.code = None;
    step
}

fn cell(step: &StepRecord) -> Cell {
    let (attempts, earlier) = crate::diff::tries(step);
    Cell {
        status: step.status,
        off_path: step.off_path,
        ms: step.attempts.last().map(|a| a.duration_ms),
        answer_from: answer_from(step),
        attempts,
        earlier,
        id: step.id.clone(),
    }
}

/// Where the answer of a blank or choice, or the values of a command's
/// placeholders, came from.
fn answer_from(step: &StepRecord) -> Option<AnswerFrom> {
    let one = |o: Origin| match o {
        Origin::Prompt => AnswerFrom::Prompt,
        Origin::AnswersFile => AnswerFrom::AnswersFile,
    };
    if let Some(o) = step.answer_origin() {
        return Some(one(o));
    }
    let first = step.fills.first()?.from;
    Some(if step.fills.iter().all(|f| f.from == first) {
        one(first)
    } else {
        AnswerFrom::Both
    })
}

/// The summary of one run; `intact`: its transcript is the record the run
/// wrote.
fn summary(
    transcript: String,
    record: &RunRecord,
    intact: bool,
    by_id: &HashMap<&str, &str>,
) -> Run {
    let (steps_ms, wall) = (record.steps_ms(), record.wall_ms());
    let name = |s: &StepRecord| {
        by_id
            .get(s.id.as_str())
            .map_or_else(|| s.text.clone(), |l| (*l).to_string())
    };
    let mut answers = Vec::new();
    for s in &record.steps {
        if let (Some(answer), Some(from)) = (&s.answer, s.answer_origin()) {
            answers.push(Answer {
                step: name(s),
                placeholder: None,
                answer: answer.clone(),
                from,
            });
        }
        answers.extend(s.fills.iter().map(|f| Answer {
            step: name(s),
            placeholder: Some(f.placeholder.clone()),
            answer: f.value.clone(),
            from: f.from,
        }));
    }
    let failures = record
        .steps
        .iter()
        .filter(|s| s.status == Some(Status::Failed) && by_id.contains_key(s.id.as_str()))
        .map(|s| {
            let last = s.attempts.last();
            Failure {
                step: name(s),
                id: s.id.clone(),
                exit: last.and_then(|a| a.exit),
                output: last.map_or_else(String::new, |a| tail(&a.output, OUTPUT_TAIL)),
            }
        })
        .collect();
    let c = record.counts;
    let result = match record.run.state {
        // Steps may be missing or altered: what it says is not the run.
        _ if !intact => "edited",
        RunState::Interrupted => "interrupted",
        RunState::Running => "unfinished",
        _ if c.failed > 0 => "failed",
        _ if c.unreachable > 0 => "unreachable",
        _ if c.not_confirmed > 0 || c.pending > 0 || c.unverified > 0 || c.partly > 0 => {
            "not confirmed"
        }
        _ => "passed",
    };
    Run {
        transcript,
        id: record.run.id.clone(),
        started: record.run.started.clone(),
        finished: record.run.finished.clone(),
        operator: record.run.operator.clone(),
        env: record.run.env.clone(),
        sha256: record.run.sha256.clone(),
        state: record.run.state,
        mode: record.run.mode,
        // The summary's times are to the second: they tell a run's length
        // only when it is longer than its steps by more than that.
        duration_ms: wall.filter(|&w| w > steps_ms + 1_000).unwrap_or(steps_ms),
        counts: c,
        result,
        intact,
        answers,
        failures,
        // Counted from the rows, once they are made: see `count_retries`.
        retried: 0,
        extra_attempts: 0,
    }
}

/// The last `max` bytes of `text` or so, cut at a line.
fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut at = text.len() - max;
    while !text.is_char_boundary(at) {
        at += 1;
    }
    let from = text[at..].find('\n').map_or(at, |i| at + i + 1);
    format!("…\n{}", &text[from..])
}
