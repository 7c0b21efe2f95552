//! What changed between two runs, step pair by step pair, ranked: status,
//! attempts, new or gone, answers, commands, outputs, durations, notes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use similar::{Algorithm, DiffOp, capture_diff_slices, group_diff_ops, udiff::UnifiedHunkHeader};

use super::Options;
use super::align::{Pair, align};
use super::model::{Category, Change, Comparison, Side, State, StepDiff, StepRef};
use crate::record::{Kind, Reason, RunRecord, Status, StepRecord};

/// Compares the run `old` (read from `old_path`) with `new`.
pub fn compare(
    (old_path, old): (&Path, &RunRecord),
    (new_path, new): (&Path, &RunRecord),
    options: &Options,
) -> Comparison {
    let options = &Options {
        times_in_commands: old.run.template.is_some() && new.run.template.is_some(),
        ..options.clone()
    };
    let old_parents = parents(old);
    let new_parents = parents(new);
    let pairs = align(&old.steps, &new.steps);
    let steps: Vec<StepDiff> = pairs
        .iter()
        .map(
            |&Pair {
                 old: o,
                 new: n,
                 moved,
             }| {
                let o = o.map(|i| (&old.steps[i], &old_parents));
                let n = n.map(|i| (&new.steps[i], &new_parents));
                let moved = moved.map(|m| {
                    let label = |s: &StepRecord, parents| step_ref((s, parents)).label();
                    Change::Moved {
                        old_place: m.old_place,
                        new_place: m.new_place,
                        old_after: m.old_after.map(|i| label(&old.steps[i], &old_parents)),
                        new_after: m.new_after.map(|i| label(&new.steps[i], &new_parents)),
                    }
                });
                step_diff(o, n, moved, options)
            },
        )
        .collect();
    // A step that differs counts once, as a person counts steps (a block
    // inside an item counts as the item, so a failed task and its failed
    // block are one step), and under each kind of entry listed for it.
    let units = units(&pairs, old, new);
    let mut kinds: BTreeMap<usize, BTreeSet<Category>> = BTreeMap::new();
    for (unit, c) in units
        .iter()
        .zip(&steps)
        .filter_map(|(u, s)| Some((*u, s.category?)))
    {
        kinds.entry(unit).or_default().insert(c);
    }
    let mut counts = BTreeMap::new();
    for c in kinds.values().flatten() {
        *counts.entry(*c).or_default() += 1;
    }
    Comparison {
        warnings: super::warnings::warnings(old_path, &old.run, new_path, &new.run)
            .into_iter()
            .chain(super::warnings::sections(old, new))
            .collect(),
        old: side(old_path, old),
        new: side(new_path, new),
        changed: kinds.len(),
        counts,
        steps,
    }
}

/// For each pair, the pair of the step a person counts it as: a block or
/// field inside an item counts as the item. Looked up in the new run when
/// the pair has a step there, else in the old one, since step ids are only
/// unique within a run.
fn units(pairs: &[Pair], old: &RunRecord, new: &RunRecord) -> Vec<usize> {
    let mut old_at: HashMap<&str, usize> = HashMap::new();
    let mut new_at: HashMap<&str, usize> = HashMap::new();
    for (at, p) in pairs.iter().enumerate() {
        if let Some(o) = p.old {
            old_at.insert(old.steps[o].id.as_str(), at);
        }
        if let Some(n) = p.new {
            new_at.insert(new.steps[n].id.as_str(), at);
        }
    }
    pairs
        .iter()
        .enumerate()
        .map(|(at, p)| {
            let (step, by_id) = match (p.new, p.old) {
                (Some(n), _) => (&new.steps[n], &new_at),
                (None, Some(o)) => (&old.steps[o], &old_at),
                (None, None) => return at,
            };
            step.counts_as
                .as_deref()
                .and_then(|id| by_id.get(id))
                .copied()
                .unwrap_or(at)
        })
        .collect()
}

fn side(path: &Path, record: &RunRecord) -> Side {
    Side {
        path: path.display().to_string(),
        run: record.run.clone(),
        tally: record.counts.tally(),
        // Known to whoever read the transcript: see `cmd::diff`.
        intact: true,
    }
}

/// Each step's id → the text of the task it belongs to.
fn parents(record: &RunRecord) -> HashMap<&str, &str> {
    let texts: HashMap<&str, &StepRecord> =
        record.steps.iter().map(|s| (s.id.as_str(), s)).collect();
    record
        .steps
        .iter()
        .filter_map(|s| {
            let parent = texts.get(s.parent.as_deref()?)?;
            (parent.kind == Kind::Task).then_some((s.id.as_str(), parent.text.as_str()))
        })
        .collect()
}

/// A step and the parent texts of its run.
type Of<'a> = (&'a StepRecord, &'a HashMap<&'a str, &'a str>);

fn step_ref((s, parents): Of) -> StepRef {
    StepRef {
        id: s.id.clone(),
        kind: s.kind,
        line: s.line,
        heading: s.heading.to_vec(),
        text: s.text.clone(),
        name: s.name.clone(),
        task: parents.get(s.id.as_str()).map(|p| (*p).to_string()),
        status: s.status,
        duration_ms: s.attempts.last().map(|a| a.duration_ms),
    }
}

/// What changed between `old` and `new`: `moved` is where a paired step
/// moved, placed after a change of status or of its attempts.
fn step_diff(
    old: Option<Of>,
    new: Option<Of>,
    moved: Option<Change>,
    options: &Options,
) -> StepDiff {
    let changes = match (old, new) {
        (Some((o, _)), Some((n, _))) => {
            let mut changes = changes(o, n, options);
            if let Some(moved) = moved {
                let at = changes
                    .iter()
                    .take_while(|c| matches!(c, Change::Status { .. } | Change::Attempts { .. }))
                    .count();
                changes.insert(at, moved);
            }
            changes
        }
        (None, Some(_)) => vec![Change::New],
        (Some(_), None) => vec![Change::Gone],
        (None, None) => Vec::new(),
    };
    StepDiff {
        old: old.map(step_ref),
        new: new.map(step_ref),
        category: changes.iter().map(Change::category).min(),
        changes,
    }
}

/// The reasons that tell one failure or skip from another.
pub(super) const TELLING: &[Reason] = &[
    Reason::Refused,
    Reason::Timeout,
    Reason::Interrupted,
    Reason::Unfilled,
    Reason::Declined,
    Reason::Attribute,
    Reason::Mismatch,
    Reason::Expect,
    Reason::UnexpectedExit,
];

fn state(s: &StepRecord) -> State {
    let settled_differently = matches!(s.status, Some(Status::Failed | Status::Skipped));
    State {
        status: s.status,
        exit: s
            .attempts
            .last()
            .and_then(|a| a.exit)
            .filter(|_| s.status == Some(Status::Failed)),
        reason: TELLING
            .iter()
            .copied()
            .find(|r| settled_differently && s.reasons.contains(r)),
        off_path: s.off_path && s.status.is_none(),
    }
}

fn changes(o: &StepRecord, n: &StepRecord, options: &Options) -> Vec<Change> {
    let mask = &options.mask;
    let mut changes = Vec::new();
    let (old_state, new_state) = (state(o), state(n));
    if old_state != new_state {
        changes.push(Change::Status {
            old: old_state,
            new: new_state,
        });
    }
    changes.extend(super::attempts::change(o, n));
    // A block's text is its command, compared below as it ran.
    if o.kind != Kind::Command
        && n.kind != Kind::Command
        && o.text != n.text
        && mask.value(&o.text) != mask.value(&n.text)
    {
        changes.push(Change::Reworded {
            old: o.text.clone(),
            new: n.text.clone(),
        });
    }
    let masked = |v: &Option<String>| v.as_deref().map(|v| mask.value(v).into_owned());
    if masked(&o.answer) != masked(&n.answer) {
        changes.push(Change::Answer {
            old: o.answer.clone(),
            new: n.answer.clone(),
        });
    }
    changes.extend(origins(o, n));
    let command = |s: &StepRecord| -> Option<String> {
        s.attempts
            .last()
            .and_then(|a| a.ran.clone())
            .or_else(|| s.code.clone())
    };
    let same =
        |a: &str, b: &str| a == b || (options.times_in_commands && mask.value(a) == mask.value(b));
    if let (Some(old_cmd), Some(new_cmd)) = (command(o), command(n))
        && !same(&old_cmd, &new_cmd)
    {
        changes.push(Change::Command {
            diff: unified(&old_cmd, &new_cmd, &old_cmd, &new_cmd),
            old: old_cmd,
            new: new_cmd,
        });
    }
    fn output(s: &StepRecord) -> &str {
        s.attempts.last().map_or("", |a| a.output.as_str())
    }
    let (old_out, new_out) = (output(o), output(n));
    if old_out != new_out {
        let (old_masked, new_masked) = (mask.output(old_out), mask.output(new_out));
        if old_masked != new_masked {
            changes.push(Change::Output {
                diff: unified(&old_masked, &new_masked, old_out, new_out),
            });
        }
    }
    if let (Some(a), Some(b)) = (o.attempts.last(), n.attempts.last())
        && options.slower(a.duration_ms, b.duration_ms)
    {
        changes.push(Change::Slower {
            old_ms: a.duration_ms,
            new_ms: b.duration_ms,
        });
    }
    if masked(&o.note) != masked(&n.note) {
        changes.push(Change::Note {
            old: o.note.clone(),
            new: n.note.clone(),
        });
    }
    changes.extend(super::hosts::changes(o, n, options));
    changes
}

/// Where the answers of a step pair came from, where that differs: a
/// blank's or choice's answer, each placeholder filled in both runs.
fn origins(o: &StepRecord, n: &StepRecord) -> Vec<Change> {
    let mut changes = Vec::new();
    if let (Some(old), Some(new)) = (o.answer_origin(), n.answer_origin())
        && old != new
    {
        changes.push(Change::Origin {
            placeholder: None,
            old,
            new,
        });
    }
    for fill in &n.fills {
        if let Some(before) = o.fills.iter().find(|f| f.placeholder == fill.placeholder)
            && before.from != fill.from
        {
            changes.push(Change::Origin {
                placeholder: Some(fill.placeholder.clone()),
                old: before.from,
                new: fill.from,
            });
        }
    }
    changes
}

/// A unified diff (three lines of context) of the lines of `old` and `new`
/// as compared, showing the lines of `old_shown` and `new_shown` where they
/// have as many lines (the texts before masking).
pub(super) fn unified(old: &str, new: &str, old_shown: &str, new_shown: &str) -> String {
    let split = |t: &str| -> Vec<String> { t.lines().map(str::to_string).collect() };
    let (old_lines, new_lines) = (split(old), split(new));
    let shown = |compared: &Vec<String>, raw: &str| {
        let raw = split(raw);
        if raw.len() == compared.len() {
            raw
        } else {
            compared.clone()
        }
    };
    let (old_show, new_show) = (shown(&old_lines, old_shown), shown(&new_lines, new_shown));
    let ops = capture_diff_slices(Algorithm::Myers, &old_lines, &new_lines);
    let mut out = String::new();
    for group in group_diff_ops(ops, 3) {
        let _ = writeln!(out, "{}", UnifiedHunkHeader::new(&group));
        for op in &group {
            let (_, olds, news) = op.as_tag_tuple();
            match op {
                DiffOp::Equal { .. } => {
                    for n in news {
                        let _ = writeln!(out, " {}", new_show[n]);
                    }
                }
                _ => {
                    for o in olds {
                        let _ = writeln!(out, "-{}", old_show[o]);
                    }
                    for n in news {
                        let _ = writeln!(out, "+{}", new_show[n]);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::Category;
    use crate::record::{Attempt, Counts, Fill, Origin, RunInfo};

    fn step(id: &str, kind: Kind, status: Status) -> StepRecord {
        StepRecord {
            id: id.into(),
            kind,
            line: 3,
            heading: ["Deploy".to_string()].into(),
            text: format!("step {id}"),
            code: (kind == Kind::Command).then(|| "./migrate\n".to_string()),
            name: None,
            parent: None,
            counts_as: None,
            status: Some(status),
            done_before: false,
            reasons: Vec::new(),
            attempts: Vec::new(),
            hosts: Vec::new(),
            answer: None,
            note: None,
            confirmed_by: None,
            host: None,
            section_role: None,
            section: None,
            contingency: None,
            option: None,
            off_path: false,
            fills: Vec::new(),
        }
    }

    fn ran(mut s: StepRecord, ms: u64, exit: i32, output: &str) -> StepRecord {
        s.attempts.push(Attempt {
            started: "2026-11-21T05:11:00Z".into(),
            finished: "2026-11-21T05:11:02Z".into(),
            duration_ms: ms,
            exit: Some(exit),
            output: output.into(),
            ran: None,
            status: None,
            reasons: Vec::new(),
            answer: None,
            note: None,
            hosts: Vec::new(),
        });
        s
    }

    fn record(steps: Vec<StepRecord>) -> RunRecord {
        RunRecord {
            run: RunInfo {
                source: "deploy.md".into(),
                sha256: "ab".into(),
                ..RunInfo::default()
            },
            counts: Counts::default(),
            steps,
            sections: Vec::new(),
        }
    }

    fn changes_of(old: StepRecord, new: StepRecord) -> Vec<Change> {
        changes(&old, &new, &Options::plain())
    }

    #[test]
    fn a_task_that_reads_otherwise_is_reworded_and_a_block_is_its_command() {
        let with_text = |kind: Kind, text: &str| {
            let mut s = step("s1", kind, Status::Done);
            s.text = text.into();
            s
        };
        assert_eq!(
            changes_of(
                with_text(Kind::Task, "Tell #ops"),
                with_text(Kind::Task, "Tell #ops and #support")
            ),
            vec![Change::Reworded {
                old: "Tell #ops".into(),
                new: "Tell #ops and #support".into()
            }]
        );
        // Only the dates differ: the same step, as `--ignore` and the
        // output's masks would have it.
        assert_eq!(
            changes_of(
                with_text(Kind::Blank, "Freeze from 2026-11-21: ____"),
                with_text(Kind::Blank, "Freeze from 2026-11-28: ____")
            ),
            vec![]
        );
        // A block's text is compared as its command, which is the same here.
        assert_eq!(
            changes_of(
                with_text(Kind::Command, "./migrate"),
                with_text(Kind::Command, "./migrate --all")
            ),
            vec![]
        );
    }

    #[test]
    fn a_blank_filled_with_now_is_not_a_change_but_another_answer_is() {
        let answered = |v: &str| {
            let mut s = step("s1", Kind::Blank, Status::Done);
            s.answer = Some(v.into());
            s
        };
        assert_eq!(
            changes_of(
                answered("2026-11-21T05:12:44Z"),
                answered("2026-11-28T05:40:01Z")
            ),
            vec![]
        );
        assert_eq!(
            changes_of(answered("4 s"), answered("45 s")),
            vec![Change::Answer {
                old: Some("4 s".into()),
                new: Some("45 s".into())
            }]
        );
    }

    #[test]
    fn where_an_answer_came_from_is_a_change_even_when_the_answer_is_the_same() {
        let answered = |from_file: bool| {
            let mut s = step("s1", Kind::Blank, Status::Done);
            s.answer = Some("Alice".into());
            if from_file {
                s.reasons.push(Reason::AnswersFile);
            }
            s
        };
        let got = changes_of(answered(false), answered(true));
        assert_eq!(
            got,
            vec![Change::Origin {
                placeholder: None,
                old: Origin::Prompt,
                new: Origin::AnswersFile,
            }]
        );
        assert_eq!(got[0].category(), Category::Answer);
        assert_eq!(changes_of(answered(true), answered(true)), vec![]);
        // Each placeholder on its own: only the one whose origin changed.
        let filled = |host: Origin, port: Origin| {
            let mut s = step("s2", Kind::Command, Status::Done);
            s.fills = vec![
                Fill {
                    placeholder: "<host>".into(),
                    value: "web-1".into(),
                    from: host,
                },
                Fill {
                    placeholder: "<port>".into(),
                    value: "8080".into(),
                    from: port,
                },
            ];
            s
        };
        assert_eq!(
            changes_of(
                filled(Origin::AnswersFile, Origin::Prompt),
                filled(Origin::AnswersFile, Origin::AnswersFile)
            ),
            vec![Change::Origin {
                placeholder: Some("<port>".into()),
                old: Origin::Prompt,
                new: Origin::AnswersFile,
            }]
        );
    }

    #[test]
    fn slower_takes_the_factor_and_a_second_more() {
        let cmd = |ms| ran(step("s1", Kind::Command, Status::Done), ms, 0, "");
        assert_eq!(changes_of(cmd(100), cmd(900)), vec![], "not a second more");
        assert_eq!(changes_of(cmd(5_000), cmd(9_000)), vec![], "not twice");
        assert_eq!(
            changes_of(cmd(400), cmd(2_000)),
            vec![Change::Slower {
                old_ms: 400,
                new_ms: 2_000
            }]
        );
        assert_eq!(
            changes_of(cmd(3_000), cmd(100)),
            vec![],
            "faster is no change"
        );
    }

    #[test]
    fn a_refusal_is_another_failure_than_an_exit_code() {
        let failed = ran(step("s1", Kind::Command, Status::Failed), 10, 1, "");
        let mut refused = step("s1", Kind::Command, Status::Failed);
        refused.reasons.push(Reason::Refused);
        let got = changes_of(failed, refused);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].category(), Category::Failed);
        let Change::Status { old, new } = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!((old.exit, old.reason), (Some(1), None));
        assert_eq!((new.exit, new.reason), (None, Some(Reason::Refused)));
    }

    #[test]
    fn edited_commands_and_outputs_show_as_unified_diffs() {
        let old = ran(
            step("s1", Kind::Command, Status::Done),
            10,
            0,
            "a\nb 05:11:02\nc\n",
        );
        let mut new = ran(
            step("s1", Kind::Command, Status::Done),
            10,
            0,
            "a\nb 06:00:00\nC\n",
        );
        new.attempts[0].ran = Some("./migrate --dry-run\n".into());
        let got = changes_of(old, new);
        assert_eq!(
            got,
            vec![
                Change::Command {
                    old: "./migrate\n".into(),
                    new: "./migrate --dry-run\n".into(),
                    diff: "@@ -1 +1 @@\n-./migrate\n+./migrate --dry-run\n".into(),
                },
                Change::Output {
                    diff: "@@ -1,3 +1,3 @@\n a\n b 06:00:00\n-c\n+C\n".into()
                },
            ]
        );
    }

    /// `s` tried again after each of `earlier`: (status, exit) of each,
    /// oldest first.
    fn after(mut s: StepRecord, earlier: &[(Status, i32)]) -> StepRecord {
        let last = s.attempts.pop();
        for &(status, exit) in earlier {
            s = ran(s, 10, exit, "");
            s.attempts.last_mut().expect("just pushed").status = Some(status);
        }
        s.attempts.extend(last);
        s
    }

    #[test]
    fn a_retry_is_listed_after_the_status_and_before_a_move() {
        let mut other = step("s3", Kind::Task, Status::Done);
        other.text = "Page the on-call".into();
        let old = record(vec![
            step("s1", Kind::Task, Status::Done),
            other,
            ran(step("s2", Kind::Command, Status::Done), 10, 0, ""),
        ]);
        // The block moved from last to first.
        let mut new = old.clone();
        new.steps.rotate_right(1);
        new.steps[0] = after(new.steps[0].clone(), &[(Status::Failed, 1)]);
        new.steps[0].status = Some(Status::Failed);
        new.steps[0].attempts[1].exit = Some(3);
        let c = compare(
            (Path::new("a"), &old),
            (Path::new("b"), &new),
            &Options::plain(),
        );
        let s2 = c
            .steps
            .iter()
            .find(|s| s.step().id == "s2")
            .expect("s2 paired");
        let kinds: Vec<Category> = s2.changes.iter().map(Change::category).collect();
        assert_eq!(
            kinds,
            vec![Category::Failed, Category::Attempts, Category::Moved],
            "{s2:#?}"
        );
        // Counted, as every entry is, under the first kind of its changes.
        assert_eq!(c.verdict(), "1 step differs: 1 failed");
    }

    #[test]
    fn environments_and_variables_that_differ_are_named() {
        let mut old = record(vec![step("s1", Kind::Task, Status::Done)]);
        let mut new = old.clone();
        old.run.env = Some("staging".into());
        new.run.env = Some("prod".into());
        old.run.vars = [("replicas", "2"), ("region", "eu")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        new.run.vars = [("replicas", "6"), ("region", "eu"), ("canary", "yes")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let c = compare(
            (Path::new("a"), &old),
            (Path::new("b"), &new),
            &Options::plain(),
        );
        assert_eq!(
            c.warnings,
            vec![
                "the runs were rendered for different environments: `staging` → `prod`".to_string(),
                "the runs used different variables: `canary` (unset) → `yes`, `replicas` `2` → `6`"
                    .to_string(),
            ]
        );
        assert!(c.equivalent(), "{c:#?}");
        assert_eq!(c.verdict(), "equivalent");
    }

    #[test]
    fn new_and_gone_steps_count_once_each() {
        let old = record(vec![
            step("s1", Kind::Task, Status::Done),
            step("s2", Kind::Task, Status::Done),
        ]);
        let mut new = record(vec![step("s1", Kind::Task, Status::Failed)]);
        let mut other = step("s9", Kind::Task, Status::Done);
        // Unlike `step s2` (a step only reworded a little pairs with it).
        other.text = "Page the on-call".into();
        new.steps.push(other);
        let c = compare(
            (Path::new("a"), &old),
            (Path::new("b"), &new),
            &Options::plain(),
        );
        assert_eq!(c.verdict(), "3 steps differ: 1 failed, 1 new, 1 gone");
        let order: Vec<Option<Category>> = c.changed().iter().map(|s| s.category).collect();
        assert_eq!(
            order,
            vec![
                Some(Category::Failed),
                Some(Category::New),
                Some(Category::Gone)
            ]
        );
    }
}
