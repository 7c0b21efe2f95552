//! A history written out: terminal table, Markdown, JSON or CSV.

use std::fmt::Write as _;

use super::{History, Row, Run, short_duration};
use crate::error::{Error, Result};

/// How a history is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table `width` columns wide: older runs give way first.
    Table {
        width: usize,
    },
    Markdown,
    Json,
    Csv,
}

/// The histories (one a runbook) in `format`.
pub fn render(histories: &[History], format: Format) -> Result<String> {
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(histories)
                .map_err(|e| Error::usage(format!("cannot write the history as JSON: {e}")))?;
            text.push('\n');
            Ok(text)
        }
        Format::Csv => csv(histories),
        Format::Markdown => Ok(join(histories, markdown)),
        Format::Table { width } => Ok(join(histories, |h| table(h, width))),
    }
}

fn join(histories: &[History], one: impl Fn(&History) -> String) -> String {
    histories.iter().map(one).collect::<Vec<_>>().join("\n")
}

/// `2026-11-29 19:27` from an RFC 3339 time; the text itself otherwise.
pub fn when(started: &str) -> String {
    match started.get(..16) {
        Some(t) if t.as_bytes().get(10) == Some(&b'T') => t.replacen('T', " ", 1),
        _ => started.to_string(),
    }
}

/// `deploy.md · 12 runs · 2026-11-01 → 2026-11-29 · 2 versions`.
pub fn headline(h: &History) -> String {
    let (first, last) = (
        h.runs.first().map(|r| when(&r.started)),
        h.runs.last().map(|r| when(&r.started)),
    );
    let runs = if h.runs.len() == 1 { "run" } else { "runs" };
    let mut line = format!("{} · {} {runs}", h.runbook, h.runs.len());
    if let (Some(first), Some(last)) = (first, last) {
        let _ = write!(
            line,
            " · {} → {}",
            &first[..first.len().min(10)],
            &last[..last.len().min(10)]
        );
    }
    if h.versions.len() > 1 {
        let _ = write!(line, " · {} versions of the runbook", h.versions.len());
    }
    line
}

/// `✓ 1.2s`, and `×3` after it when the step took three attempts.
fn cell_text(row: &Row, run: usize) -> String {
    let Some(c) = &row.cells[run] else {
        return String::new();
    };
    let mut text = match c.ms {
        Some(ms) if !c.off_path => format!("{} {}", c.glyph(), short_duration(ms)),
        _ => c.glyph().to_string(),
    };
    if c.retried() {
        let _ = write!(text, " ×{}", c.attempts);
    }
    text
}

/// Whether a step of `h` took more than one attempt in some run: only then
/// do the tables have a `retried` column.
fn any_retried(h: &History) -> bool {
    h.rows.iter().any(|r| r.trend.retried > 0)
}

/// The trend columns' heads: `retried` only when `retried`.
fn trend_heads(retried: bool) -> &'static [&'static str] {
    if retried {
        &TREND_HEADS
    } else {
        &TREND_HEADS[..4]
    }
}

/// The trend columns of a row: p50, p90, slowest (and in which run),
/// failures, and the runs it was retried in when `retried`.
fn trend_texts(row: &Row, retried: bool) -> Vec<String> {
    let t = &row.trend;
    let ms = |v: Option<u64>| v.map_or_else(|| "-".to_string(), short_duration);
    let count = |n: usize| {
        if n == 0 {
            "-".to_string()
        } else {
            n.to_string()
        }
    };
    let mut texts = vec![
        ms(t.p50_ms),
        ms(t.p90_ms),
        t.slowest.map_or_else(
            || "-".into(),
            |s| format!("{} #{}", short_duration(s.ms), s.run + 1),
        ),
        count(t.failed),
    ];
    if retried {
        texts.push(count(t.retried));
    }
    texts
}

const TREND_HEADS: [&str; 5] = ["p50", "p90", "slowest", "failed", "retried"];

fn width_of(text: &str) -> usize {
    text.chars().count()
}

fn fit(text: &str, width: usize) -> String {
    let n = width_of(text);
    if n <= width {
        return format!("{text}{}", " ".repeat(width - n));
    }
    let cut: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{cut}…")
}

fn right(text: &str, width: usize) -> String {
    format!("{}{text}", " ".repeat(width.saturating_sub(width_of(text))))
}

/// The terminal table: as many of the latest runs as fit in `width`.
fn table(h: &History, width: usize) -> String {
    let heads = trend_heads(any_retried(h));
    let trends: Vec<Vec<String>> = h
        .rows
        .iter()
        .map(|r| trend_texts(r, heads.len() > 4))
        .collect();
    let trend_w: Vec<usize> = (0..heads.len())
        .map(|i| {
            trends
                .iter()
                .map(|t| width_of(&t[i]))
                .chain([heads[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    // Each trend column and the `  │` before them.
    let trend_total: usize = trend_w.iter().map(|w| w + 2).sum::<usize>() + 3;
    let label_w = h
        .rows
        .iter()
        .map(|r| width_of(&r.label))
        .max()
        .unwrap_or(4)
        .clamp(4, 48);
    let run_w: Vec<usize> = (0..h.runs.len())
        .map(|r| {
            h.rows
                .iter()
                .map(|row| width_of(&cell_text(row, r)))
                .chain([format!("#{}", r + 1).len()])
                .max()
                .unwrap_or(1)
        })
        .collect();
    // The newest runs that fit; at least one, with the label cut to make room.
    let mut room = width.saturating_sub(label_w.min(32) + trend_total);
    let mut shown = 0;
    for w in run_w.iter().rev() {
        if w + 2 > room && shown > 0 {
            break;
        }
        room = room.saturating_sub(w + 2);
        shown += 1;
    }
    let first = h.runs.len() - shown;
    let used: usize = run_w[first..].iter().map(|w| w + 2).sum::<usize>() + trend_total;
    let label_w = label_w.min(width.saturating_sub(used).max(12));

    let mut out = headline(h);
    out.push('\n');
    if let Some(narrowed) = h.narrowed() {
        let _ = writeln!(out, "{narrowed}");
    }
    if first > 0 {
        let _ = writeln!(
            out,
            "({first} older {} not shown; --format markdown, json or csv shows all)",
            if first == 1 { "run" } else { "runs" }
        );
    }
    let mut line = fit("step", label_w);
    for (r, w) in run_w.iter().enumerate().skip(first) {
        let _ = write!(line, "  {}", right(&format!("#{}", r + 1), *w));
    }
    line.push_str("  │");
    for (head, w) in heads.iter().zip(&trend_w) {
        let _ = write!(line, "  {}", right(head, *w));
    }
    out.push_str(line.trim_end());
    out.push('\n');
    for (row, trend) in h.rows.iter().zip(&trends) {
        let mut line = fit(&row.label, label_w);
        for (r, w) in run_w.iter().enumerate().skip(first) {
            let _ = write!(line, "  {}", fit(&cell_text(row, r), *w));
        }
        line.push_str("  │");
        for (t, w) in trend.iter().zip(&trend_w) {
            let _ = write!(line, "  {}", right(t, *w));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
    for (i, run) in h.runs.iter().enumerate().skip(first) {
        let _ = writeln!(out, "#{:<3} {}", i + 1, run_line(run));
    }
    glance(h, &mut out, "", str::to_string);
    out
}

/// `2026-11-29 19:27 · alice@ops · prod · failed · 1 step retried (+2
/// attempts) · 1m05s · deploy.run.md`.
fn run_line(run: &Run) -> String {
    let mut parts = vec![when(&run.started), run.operator.clone()];
    parts.extend(run.env.clone());
    parts.push(run.result.to_string());
    parts.extend(run.retried_text());
    parts.push(short_duration(run.duration_ms));
    parts.push(run.transcript.clone());
    parts.join(" · ")
}

/// What stands out: steps failing or passed over in more than one run, who
/// ran it; each item written through `text` (Markdown's escaping, for one).
fn glance(h: &History, out: &mut String, bullet: &str, text: fn(&str) -> String) {
    let failing: Vec<String> = h
        .rows
        .iter()
        .filter(|r| r.trend.fails_repeatedly())
        .map(|r| format!("{} ({} runs)", r.label, r.trend.failed))
        .collect();
    let passed_over: Vec<String> = h
        .rows
        .iter()
        .filter(|r| r.trend.passed_over_repeatedly())
        .map(|r| {
            format!(
                "{} ({} skipped, {} not confirmed)",
                r.label, r.trend.skipped, r.trend.not_confirmed
            )
        })
        .collect();
    out.push('\n');
    let mut list = |title: &str, items: &[String]| {
        if items.is_empty() {
            return;
        }
        let _ = writeln!(out, "{title}:");
        for item in items {
            let _ = writeln!(out, "  {bullet}{}", text(item));
        }
    };
    let answered: Vec<String> = h.rows.iter().filter_map(answered_differently).collect();
    let retried: Vec<String> = h.rows.iter().filter_map(retried).collect();
    list("Failed in more than one run", &failing);
    list("Took more than one attempt", &retried);
    list(
        "Skipped or not confirmed in more than one run",
        &passed_over,
    );
    let people: Vec<String> = h
        .people
        .iter()
        .map(|p| {
            let runs = if p.runs == 1 { "run" } else { "runs" };
            format!(
                "{}: {} {runs}, {} failed, last {}",
                p.operator,
                p.runs,
                p.failed,
                when(&p.last)
            )
        })
        .collect();
    list(
        "Answered from the answers file in some runs and typed in others",
        &answered,
    );
    list("Who ran it", &people);
}

/// `Release › Release manager (typed in #1, from the answers file in #2, #3)`:
/// a step whose answers did not come from the same place in every run.
pub fn answered_differently(row: &Row) -> Option<String> {
    let groups = row.answered_differently()?;
    let parts: Vec<String> = groups
        .iter()
        .map(|(from, runs)| {
            let runs: Vec<String> = runs.iter().map(|r| format!("#{}", r + 1)).collect();
            format!("{} in {}", from.said(), runs.join(", "))
        })
        .collect();
    Some(format!("{} ({})", row.label, parts.join("; ")))
}

/// `Deploy › `up` (#2: 3 attempts (earlier: failed (exit 1), failed (exit
/// 1)); #4: ...)`: a step that took more than one attempt in some run, with
/// how its earlier attempts ended in each.
pub fn retried(row: &Row) -> Option<String> {
    let runs: Vec<String> = row
        .cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some(format!("#{}: {}", i + 1, c.as_ref()?.attempts_text()?)))
        .collect();
    (!runs.is_empty()).then(|| format!("{} ({})", row.label, runs.join("; ")))
}

/// Text from a transcript in a Markdown table cell: one line, no `|` to
/// end the cell, no raw HTML (an operator named `x<img onerror=...>`), as
/// `diff --format markdown` writes it.
fn md(text: &str) -> String {
    crate::diff::markdown::cell(text)
}

fn markdown(h: &History) -> String {
    let mut out = format!("## {}\n\n", md(&headline(h)));
    if let Some(narrowed) = h.narrowed() {
        let _ = writeln!(out, "{}\n", crate::diff::markdown::inline(&narrowed));
    }
    let heads = trend_heads(any_retried(h));
    let mut head = "| step |".to_string();
    let mut rule = "|---|".to_string();
    for i in 0..h.runs.len() {
        let _ = write!(head, " #{} |", i + 1);
        rule.push_str("---|");
    }
    for t in heads {
        let _ = write!(head, " {t} |");
        rule.push_str("--:|");
    }
    let _ = writeln!(out, "{head}\n{rule}");
    for row in &h.rows {
        let _ = write!(out, "| {} |", md(&row.label));
        for r in 0..h.runs.len() {
            let _ = write!(out, " {} |", cell_text(row, r));
        }
        for t in trend_texts(row, heads.len() > 4) {
            let _ = write!(out, " {t} |");
        }
        out.push('\n');
    }
    out.push_str("\n| run | when | who | env | result | took | transcript |\n|--:|---|---|---|---|--:|---|\n");
    for (i, run) in h.runs.iter().enumerate() {
        let _ = writeln!(
            out,
            "| #{} | {} | {} | {} | {} | {} | `{}` |",
            i + 1,
            md(&when(&run.started)),
            md(&run.operator),
            md(run.env.as_deref().unwrap_or("")),
            run.retried_text().map_or_else(
                || run.result.to_string(),
                |r| format!("{}, {r}", run.result)
            ),
            short_duration(run.duration_ms),
            md(&run.transcript)
        );
    }
    glance(h, &mut out, "- ", crate::diff::markdown::inline);
    out
}

/// A CSV cell a spreadsheet shows as text: one that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return is a formula to Excel and Sheets
/// (`=HYPERLINK(...)` in a heading, `+cmd|...` as the operator), so it gets
/// a `'` in front, as OWASP advises. Quoting is the CSV writer's, after.
fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// One line a step of a run: the shape spreadsheets and dataframes pivot.
fn csv(histories: &[History]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| Error::usage(format!("cannot write the history as CSV: {e}"));
    w.write_record([
        "runbook",
        "run",
        "started",
        "operator",
        "env",
        "transcript",
        "step",
        "kind",
        "status",
        "duration_ms",
        "answer_from",
        "attempts",
        "earlier",
    ])
    .map_err(failed)?;
    for h in histories {
        for (i, run) in h.runs.iter().enumerate() {
            for row in &h.rows {
                let Some(c) = &row.cells[i] else { continue };
                let status = match (c.off_path, c.status) {
                    (true, _) => "off-path",
                    (_, Some(s)) => s.word(),
                    (_, None) => "not-reached",
                };
                let kind = serde_json::to_value(row.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let record = [
                    h.runbook.as_str(),
                    &run.id,
                    &run.started,
                    &run.operator,
                    run.env.as_deref().unwrap_or(""),
                    &run.transcript,
                    &row.label,
                    &kind,
                    status,
                    &c.ms.map(|m| m.to_string()).unwrap_or_default(),
                    c.answer_from.map_or("", super::AnswerFrom::word),
                    &c.attempts.to_string(),
                    &earlier(c),
                ];
                let cells = record.map(inert);
                w.write_record(cells.iter().map(|c| c.as_bytes()))
                    .map_err(failed)?;
            }
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::usage(format!("cannot write the history as CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::usage(format!("the CSV is not UTF-8: {e}")))
}

/// How a cell's earlier attempts ended, `; ` between them: one CSV cell.
fn earlier(c: &super::Cell) -> String {
    let each: Vec<String> = c.earlier.iter().map(crate::diff::describe).collect();
    each.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_text() {
        for cell in ["=1+1", "+cmd|x", "-2", "@SUM(1)", "\tx", "\rx"] {
            assert_eq!(inert(cell), format!("'{cell}"));
        }
        for cell in ["", "alice@ops", "Deploy › `api`", "1200", "'quoted"] {
            assert_eq!(inert(cell), cell);
        }
    }
}
