//! A history's figures: each step's p50, p90, slowest run and failures; who ran it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Cell, Run};
use crate::record::Status;

/// A step's figures across the runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trend {
    /// Runs that timed it.
    pub timed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p90_ms: Option<u64>,
    /// The run (index into the runs) where it took longest, and how long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slowest: Option<Slowest>,
    pub failed: usize,
    pub skipped: usize,
    pub not_confirmed: usize,
    /// Runs in which it took more than one attempt.
    pub retried: usize,
}

/// The run where a step took longest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Slowest {
    pub run: usize,
    pub ms: u64,
}

impl Trend {
    /// Failed in more than one run: a step worth a look.
    pub fn fails_repeatedly(&self) -> bool {
        self.failed > 1
    }

    /// Skipped or left unconfirmed in more than one run: a step people
    /// pass over, which the runbook may not need, or which needs a person.
    pub fn passed_over_repeatedly(&self) -> bool {
        self.skipped + self.not_confirmed > 1
    }
}

/// The figures of one row.
pub fn trend(cells: &[Option<Cell>]) -> Trend {
    let mut t = Trend::default();
    let mut times = Vec::new();
    for (run, c) in cells.iter().enumerate() {
        let Some(c) = c.as_ref().filter(|c| !c.off_path) else {
            continue;
        };
        t.retried += usize::from(c.retried());
        match c.status {
            Some(Status::Failed) => t.failed += 1,
            Some(Status::Skipped) => t.skipped += 1,
            Some(Status::NotConfirmed) => t.not_confirmed += 1,
            _ => {}
        }
        if let Some(ms) = c.ms {
            times.push(ms);
            if t.slowest.is_none_or(|s| ms >= s.ms) {
                t.slowest = Some(Slowest { run, ms });
            }
        }
    }
    times.sort_unstable();
    t.timed = times.len();
    t.p50_ms = percentile(&times, 50);
    t.p90_ms = percentile(&times, 90);
    t
}

/// The nearest-rank percentile of sorted `times`.
fn percentile(times: &[u64], p: usize) -> Option<u64> {
    if times.is_empty() {
        return None;
    }
    let rank = (p * times.len()).div_ceil(100).max(1);
    Some(times[rank - 1])
}

/// Someone who ran the runbook, and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub operator: String,
    pub runs: usize,
    /// Of those, runs that failed.
    pub failed: usize,
    /// The start of their latest run.
    pub last: String,
}

/// Who ran the runs, most runs first.
pub fn people(runs: &[Run]) -> Vec<Person> {
    let mut by: BTreeMap<&str, Person> = BTreeMap::new();
    for r in runs {
        let p = by.entry(r.operator.as_str()).or_insert_with(|| Person {
            operator: r.operator.clone(),
            runs: 0,
            failed: 0,
            last: String::new(),
        });
        p.runs += 1;
        p.failed += usize::from(r.counts.failed > 0);
        p.last.clone_from(&r.started);
    }
    let mut people: Vec<Person> = by.into_values().collect();
    people.sort_by(|a, b| b.runs.cmp(&a.runs).then(a.operator.cmp(&b.operator)));
    people
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(status: Status, ms: Option<u64>) -> Option<Cell> {
        Some(Cell {
            status: Some(status),
            off_path: false,
            ms,
            answer_from: None,
            attempts: 1,
            earlier: Vec::new(),
            id: String::new(),
        })
    }

    #[test]
    fn median_p90_slowest_and_counts() {
        let mut cells: Vec<Option<Cell>> =
            (1..=10).map(|s| c(Status::Done, Some(s * 100))).collect();
        cells[3] = c(Status::Failed, Some(5_000));
        cells[5] = c(Status::Failed, Some(50));
        cells.push(None);
        cells.push(c(Status::Skipped, None));
        let t = trend(&cells);
        assert_eq!(t.timed, 10);
        // 50 100 200 300 500 700 800 900 1000 5000
        assert_eq!(t.p50_ms, Some(500));
        assert_eq!(t.p90_ms, Some(1_000));
        assert_eq!(t.slowest, Some(Slowest { run: 3, ms: 5_000 }));
        assert_eq!((t.failed, t.skipped), (2, 1));
        assert!(t.fails_repeatedly());
        assert!(!t.passed_over_repeatedly());
    }

    #[test]
    fn off_path_cells_count_for_nothing() {
        let off = Some(Cell {
            status: Some(Status::Skipped),
            off_path: true,
            ms: None,
            answer_from: None,
            attempts: 0,
            earlier: Vec::new(),
            id: String::new(),
        });
        assert_eq!(trend(&[off.clone(), off]), Trend::default());
        assert_eq!(percentile(&[7], 90), Some(7));
    }
}
