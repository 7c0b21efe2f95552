//! The history as one self-contained HTML page, through the page template.

use std::fmt::Write as _;

use serde::Serialize;

use super::table::{headline, when};
use super::{History, Row, short_duration};
use crate::error::{Error, Result};
use crate::record::Status;

/// The page template: HTML, CSS, SVG and the few lines of script that
/// reveal a run, all in one file with no reference outside it.
const TEMPLATE: &str = include_str!("page.html");

/// Most columns the heat map draws; past that, neighbouring runs share one.
const MAX_COLUMNS: usize = 60;
/// The run chart's drawing area, in SVG units.
const CHART_W: f64 = 960.0;
const CHART_H: f64 = 220.0;
const CHART_LEFT: f64 = 64.0;
const CHART_TOP: f64 = 12.0;
/// One heat map row's height, the room a column has (between these, wider
/// with fewer runs), and the room for the step labels on their left.
const CELL: f64 = 16.0;
const COLUMN_MIN: f64 = 14.0;
const COLUMN_MAX: f64 = 40.0;
const HEAT_W: f64 = 900.0;
const LABEL_W: f64 = 300.0;

/// The page of `h`: one file, nothing fetched, secrets as the transcripts
/// masked them.
pub fn html(h: &History) -> Result<String> {
    let page = Page {
        title: format!("History of {}", h.runbook),
        headline: headline(h),
        narrowed: h.narrowed(),
        runbook: &h.runbook,
        first: h.runs.first().map(|r| when(&r.started)).unwrap_or_default(),
        last: h.runs.last().map(|r| when(&r.started)).unwrap_or_default(),
        count: h.runs.len(),
        versions: h.versions.len(),
        chart: run_chart(h),
        heat: heat_map(h),
        runs: h
            .runs
            .iter()
            .enumerate()
            .map(|(i, r)| RunLine {
                n: i + 1,
                when: when(&r.started),
                who: &r.operator,
                env: r.env.as_deref().unwrap_or(""),
                result: r.result,
                took: short_duration(r.duration_ms),
                tally: r.counts.tally(),
                retried: r.retried_text().unwrap_or_default(),
                transcript: &r.transcript,
            })
            .collect(),
        trends: h.rows.iter().map(trend_line).collect(),
        people: &h.people,
        answered: h
            .rows
            .iter()
            .filter_map(super::table::answered_differently)
            .collect(),
        retried: h.rows.iter().filter_map(super::table::retried).collect(),
        data: data(h)?,
    };
    crate::template::page("history.html", TEMPLATE, &page)
}

#[derive(Serialize)]
struct Page<'a> {
    title: String,
    headline: String,
    /// What `--step` left out, when it was given.
    narrowed: Option<String>,
    runbook: &'a str,
    first: String,
    last: String,
    count: usize,
    versions: usize,
    chart: Chart,
    heat: Heat,
    runs: Vec<RunLine<'a>>,
    trends: Vec<TrendLine>,
    people: &'a [super::Person],
    /// The steps whose answers came from the answers file in some runs and
    /// were typed in others, each with the runs.
    answered: Vec<String>,
    /// The steps that took more than one attempt in some run, each with
    /// the runs and how the earlier attempts ended.
    retried: Vec<String>,
    /// The runs' step lists, answers and failed outputs as JSON, for the
    /// script to show one when its row is clicked (`<` escaped, so it
    /// cannot close the script element).
    data: String,
}

#[derive(Serialize)]
struct RunLine<'a> {
    n: usize,
    when: String,
    who: &'a str,
    env: &'a str,
    result: &'static str,
    took: String,
    tally: String,
    /// `1 step retried (+2 attempts)`, empty when none was.
    retried: String,
    transcript: &'a str,
}

#[derive(Serialize)]
struct TrendLine {
    label: String,
    p50: String,
    p90: String,
    slowest: String,
    failed: usize,
    passed_over: usize,
    /// Runs in which it took more than one attempt.
    retried: usize,
    flag: bool,
}

fn trend_line(row: &Row) -> TrendLine {
    let t = &row.trend;
    let ms = |v: Option<u64>| v.map_or_else(|| "–".to_string(), short_duration);
    TrendLine {
        label: row.label.clone(),
        p50: ms(t.p50_ms),
        p90: ms(t.p90_ms),
        slowest: t.slowest.map_or_else(
            || "–".into(),
            |s| format!("{} (#{})", short_duration(s.ms), s.run + 1),
        ),
        failed: t.failed,
        passed_over: t.skipped + t.not_confirmed,
        retried: t.retried,
        flag: t.fails_repeatedly() || t.passed_over_repeatedly(),
    }
}

/// The chart of each run's total duration: one mark a run, in time order.
#[derive(Serialize)]
struct Chart {
    width: f64,
    height: f64,
    line: String,
    marks: Vec<Mark>,
    ticks: Vec<Tick>,
    labels: Vec<Tick>,
    desc: String,
}

#[derive(Serialize)]
struct Mark {
    n: usize,
    x: f64,
    y: f64,
    failed: bool,
    title: String,
}

#[derive(Serialize)]
struct Tick {
    at: f64,
    text: String,
}

fn run_chart(h: &History) -> Chart {
    let n = h.runs.len();
    let max = h
        .runs
        .iter()
        .map(|r| r.duration_ms)
        .max()
        .unwrap_or(0)
        .max(1);
    let step = if n > 1 { CHART_W / (n - 1) as f64 } else { 0.0 };
    let x = |i: usize| {
        round(
            CHART_LEFT
                + if n > 1 {
                    i as f64 * step
                } else {
                    CHART_W / 2.0
                },
        )
    };
    let y = |ms: u64| round(CHART_TOP + CHART_H - ms as f64 / max as f64 * CHART_H);
    let marks: Vec<Mark> = h
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| Mark {
            n: i + 1,
            x: x(i),
            y: y(r.duration_ms),
            failed: r.counts.failed > 0,
            title: format!(
                "#{} {} · {} · {} · {}",
                i + 1,
                when(&r.started),
                short_duration(r.duration_ms),
                r.result,
                r.operator
            ),
        })
        .collect();
    let line = marks
        .iter()
        .map(|m| format!("{},{}", m.x, m.y))
        .collect::<Vec<_>>()
        .join(" ");
    let ticks = (0..=4)
        .map(|k| {
            let ms = max * k / 4;
            Tick {
                at: y(ms),
                text: short_duration(ms),
            }
        })
        .collect();
    let every = n.div_ceil(6).max(1);
    let labels = (0..n)
        .filter(|i| i % every == 0 || *i == n - 1)
        .map(|i| Tick {
            at: x(i),
            text: format!("#{}", i + 1),
        })
        .collect();
    let slowest = h.runs.iter().enumerate().max_by_key(|(_, r)| r.duration_ms);
    let desc = match slowest {
        Some((i, r)) => format!(
            "{n} runs in time order; the longest, #{}, took {}; {} failed.",
            i + 1,
            short_duration(r.duration_ms),
            h.runs.iter().filter(|r| r.counts.failed > 0).count()
        ),
        None => "No runs.".into(),
    };
    Chart {
        width: CHART_LEFT + CHART_W + 24.0,
        height: CHART_TOP + CHART_H + 36.0,
        line,
        marks,
        ticks,
        labels,
        desc,
    }
}

/// Each step's durations across the runs: a row a step, a column a run (or
/// a few neighbouring runs), shaded by how it compares with the step's
/// median, failures in red.
#[derive(Serialize)]
struct Heat {
    width: f64,
    height: f64,
    cell: f64,
    column: f64,
    label_w: f64,
    /// Runs a column stands for.
    per_column: usize,
    columns: Vec<Tick>,
    rows: Vec<HeatRow>,
    desc: String,
}

#[derive(Serialize)]
struct HeatRow {
    y: f64,
    label: String,
    full: String,
    cells: Vec<HeatCell>,
}

#[derive(Serialize)]
struct HeatCell {
    x: f64,
    /// `l0`..`l4` (faster to much slower than the median), `fail`, `skip`,
    /// `none` (not reached or not timed).
    class: &'static str,
    title: String,
}

fn heat_map(h: &History) -> Heat {
    let n = h.runs.len();
    let per = n.div_ceil(MAX_COLUMNS).max(1);
    let columns = n.div_ceil(per);
    let col_w = (HEAT_W / columns.max(1) as f64).clamp(COLUMN_MIN, COLUMN_MAX);
    let rows = h
        .rows
        .iter()
        .enumerate()
        .map(|(r, row)| HeatRow {
            y: round(24.0 + r as f64 * CELL),
            label: shorten(&row.label, 44),
            full: row.label.clone(),
            cells: (0..columns)
                .filter_map(|c| heat_cell(row, c, per, col_w))
                .collect(),
        })
        .collect();
    let every = columns.div_ceil(10).max(1);
    Heat {
        width: LABEL_W + columns as f64 * col_w + 8.0,
        height: 24.0 + h.rows.len() as f64 * CELL + 4.0,
        cell: CELL - 2.0,
        column: col_w - 2.0,
        label_w: LABEL_W,
        per_column: per,
        columns: (0..columns)
            .filter(|c| c % every == 0)
            .map(|c| Tick {
                at: round(LABEL_W + c as f64 * col_w),
                text: format!("#{}", c * per + 1),
            })
            .collect(),
        rows,
        desc: format!(
            "{} by {}{}; shade: time against the step's median; red: failed.",
            crate::screen::plural(h.rows.len(), "step"),
            crate::screen::plural(n, "run"),
            if per > 1 {
                format!(", {per} neighbouring runs a column (the slowest of them shown)")
            } else {
                String::new()
            }
        ),
    }
}

/// The cell of column `col` (`per` runs) of `row`; `None` where none of
/// its runs had the step.
fn heat_cell(row: &Row, col: usize, per: usize, col_w: f64) -> Option<HeatCell> {
    let from = col * per;
    let to = (from + per).min(row.cells.len());
    let cells: Vec<_> = row.cells[from..to].iter().flatten().collect();
    if cells.is_empty() {
        return None;
    }
    let failed = cells
        .iter()
        .filter(|c| c.status == Some(Status::Failed))
        .count();
    let passed_over = cells
        .iter()
        .filter(|c| matches!(c.status, Some(Status::Skipped | Status::NotConfirmed)))
        .count();
    let ms = cells.iter().filter_map(|c| c.ms).max();
    let retried: Vec<&super::Cell> = cells.iter().copied().filter(|c| c.retried()).collect();
    let median = row.trend.p50_ms.unwrap_or(0).max(1);
    let class = if failed > 0 {
        "fail"
    } else if let Some(ms) = ms {
        let ratio = ms as f64 / median as f64;
        match ratio {
            r if r < 0.8 => "l0",
            r if r < 1.25 => "l1",
            r if r < 2.0 => "l2",
            r if r < 4.0 => "l3",
            _ => "l4",
        }
    } else if passed_over > 0 {
        "skip"
    } else {
        "none"
    };
    let runs = if to - from == 1 {
        format!("#{}", from + 1)
    } else {
        format!("#{}–#{}", from + 1, to)
    };
    let mut title = format!("{runs} · {}", shorten(&row.label, 60));
    if let Some(ms) = ms {
        let _ = write!(title, " · {}", short_duration(ms));
    }
    if failed > 0 && to - from > 1 {
        let _ = write!(title, " · failed in {failed}");
    } else if failed > 0 {
        title.push_str(" · failed");
    } else if passed_over > 0 {
        title.push_str(" · skipped or not confirmed");
    }
    match retried.as_slice() {
        [] => {}
        [one] if to - from == 1 => {
            let _ = write!(title, " · {} attempts", one.attempts);
        }
        some => {
            let _ = write!(title, " · retried in {}", some.len());
        }
    }
    Some(HeatCell {
        x: round(LABEL_W + col as f64 * col_w),
        class,
        title,
    })
}

/// What the script shows for each run: every step's status and time, the
/// answers, the failed outputs.
#[derive(Serialize)]
struct Data<'a> {
    steps: Vec<&'a str>,
    runs: Vec<RunData<'a>>,
}

#[derive(Serialize)]
struct RunData<'a> {
    /// One letter a step: d done, f failed, s skipped, n not confirmed,
    /// p not reached, o off the path, - not in this run's runbook.
    s: String,
    /// Milliseconds a step, 0 where not timed.
    ms: Vec<u64>,
    /// The steps (by index) that took more than one attempt, each with how
    /// many and how the earlier ones ended.
    t: Vec<(usize, String)>,
    answers: &'a [super::Answer],
    failures: &'a [super::Failure],
}

fn data(h: &History) -> Result<String> {
    let runs = h
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| RunData {
            s: h.rows
                .iter()
                .map(|row| match &row.cells[i] {
                    None => '-',
                    Some(c) if c.off_path => 'o',
                    Some(c) => match c.status {
                        Some(Status::Done) => 'd',
                        Some(Status::Failed) => 'f',
                        Some(Status::Skipped) => 's',
                        Some(Status::NotConfirmed) => 'n',
                        None => 'p',
                    },
                })
                .collect(),
            ms: h
                .rows
                .iter()
                .map(|row| row.cells[i].as_ref().and_then(|c| c.ms).unwrap_or(0))
                .collect(),
            t: h.rows
                .iter()
                .enumerate()
                .filter_map(|(s, row)| Some((s, row.cells[i].as_ref()?.attempts_text()?)))
                .collect(),
            answers: &r.answers,
            failures: &r.failures,
        })
        .collect();
    let data = Data {
        steps: h.rows.iter().map(|r| r.label.as_str()).collect(),
        runs,
    };
    let json = serde_json::to_string(&data).map_err(|e| Error::Page(e.to_string()))?;
    Ok(json.replace('<', "\\u003c"))
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// To a tenth: enough for a chart, and a smaller page.
fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}
