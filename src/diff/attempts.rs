//! How often a step was tried and how its earlier tries ended, compared:
//! a block that failed and was retried in one run and not the other.

use super::compare::TELLING;
use super::model::{Change, State};
use crate::record::{Attempt, Status, StepRecord};

/// The change in how `o` and `n` were tried, if their earlier attempts
/// differ (in number, or in how they ended).
pub(super) fn change(o: &StepRecord, n: &StepRecord) -> Option<Change> {
    let ((old, old_earlier), (new, new_earlier)) = (tries(o), tries(n));
    (old_earlier != new_earlier).then_some(Change::Attempts {
        old,
        new,
        old_earlier,
        new_earlier,
    })
}

/// How an attempt before a step's last one ended, as `state` says of the step.
fn attempt_state(a: &Attempt) -> State {
    let settled_differently = matches!(a.status, Some(Status::Failed | Status::Skipped));
    State {
        status: a.status,
        exit: a.exit.filter(|_| a.status == Some(Status::Failed)),
        reason: TELLING
            .iter()
            .copied()
            .find(|r| settled_differently && a.reasons.contains(r)),
        off_path: false,
    }
}

/// How many times a step was tried, and how each try before the last
/// ended, oldest first. A try that only waited for a person (a manual task
/// not confirmed, a blank not answered, in a run without one) and was
/// settled when the run was resumed is the run carried on, not a retry.
/// `history` counts retries by this too.
pub fn tries(s: &StepRecord) -> (usize, Vec<State>) {
    let earlier: Vec<State> = match s.attempts.split_last() {
        Some((_, before)) => before
            .iter()
            .filter(|a| a.status != Some(Status::NotConfirmed))
            .map(attempt_state)
            .collect(),
        None => Vec::new(),
    };
    let last = usize::from(s.status.is_some() || !s.attempts.is_empty());
    (earlier.len() + last, earlier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::Category;
    use crate::record::Kind;

    fn step(kind: Kind, status: Status) -> StepRecord {
        let text = r#"{"id": "s1", "kind": "task", "line": 3, "heading": ["Deploy"], "text": "step", "status": "done"}"#;
        let mut s: StepRecord = serde_json::from_str(text).expect("a step record");
        s.kind = kind;
        s.status = Some(status);
        s
    }

    fn attempt(status: Status, exit: Option<i32>) -> Attempt {
        Attempt {
            started: "2026-11-21T05:11:00Z".into(),
            finished: "2026-11-21T05:11:02Z".into(),
            duration_ms: 10,
            exit,
            output: String::new(),
            ran: None,
            status: Some(status),
            reasons: Vec::new(),
            answer: None,
            note: None,
            hosts: Vec::new(),
        }
    }

    /// A block done at its last attempt, after attempts that failed with
    /// each of `exits`.
    fn block(exits: &[i32]) -> StepRecord {
        let mut s = step(Kind::Command, Status::Done);
        s.attempts = exits
            .iter()
            .map(|e| attempt(Status::Failed, Some(*e)))
            .chain([attempt(Status::Done, Some(0))])
            .collect();
        s
    }

    fn failed(exit: i32) -> State {
        State {
            status: Some(Status::Failed),
            exit: Some(exit),
            reason: None,
            off_path: false,
        }
    }

    #[test]
    fn a_block_retried_in_one_run_shows_how_its_earlier_attempts_ended() {
        let got = change(&block(&[]), &block(&[1, 1]));
        assert_eq!(
            got,
            Some(Change::Attempts {
                old: 1,
                new: 3,
                old_earlier: vec![],
                new_earlier: vec![failed(1), failed(1)],
            })
        );
        assert_eq!(got.map(|c| c.category()), Some(Category::Attempts));
        assert_eq!(change(&block(&[1, 1]), &block(&[1, 1])), None);
        // As many attempts, ended otherwise.
        assert_eq!(
            change(&block(&[1, 1]), &block(&[1, 2])),
            Some(Change::Attempts {
                old: 3,
                new: 3,
                old_earlier: vec![failed(1), failed(1)],
                new_earlier: vec![failed(1), failed(2)],
            })
        );
        // Not reached in one run: no attempt there, none earlier.
        let mut unreached = step(Kind::Command, Status::Done);
        unreached.status = None;
        assert_eq!(change(&unreached, &block(&[])), None);
        assert!(matches!(
            change(&unreached, &block(&[1])),
            Some(Change::Attempts { old: 0, new: 2, .. })
        ));
    }

    #[test]
    fn a_step_that_only_waited_for_a_person_was_not_retried() {
        let task = || step(Kind::Task, Status::Done);
        let mut waited = task();
        waited.attempts = vec![
            attempt(Status::NotConfirmed, None),
            attempt(Status::Done, None),
        ];
        assert_eq!(change(&task(), &waited), None);
        // A task that failed first was retried, and was tried twice.
        waited.attempts[0].status = Some(Status::Failed);
        assert!(matches!(
            change(&task(), &waited),
            Some(Change::Attempts { old: 1, new: 2, .. })
        ));
    }
}
