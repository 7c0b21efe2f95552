//! A comparison shown: on a terminal (colour optional), as JSON, or (in
//! `markdown`) as a pull-request comment. The verdict always comes first.

use std::fmt::Write as _;

use serde::Serialize;

use super::markdown;
use super::model::{Change, Comparison, Side, State, StepDiff};
use crate::record::{Origin, Status};

/// How a comparison is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

/// The version of the JSON a comparison is written as.
pub const SCHEMA: &str = "runsheet-diff/1";

/// Writes `comparison` in `format`; `stat` keeps only the verdict and one
/// line a changed step.
pub fn render(comparison: &Comparison, format: Format, stat: bool, paint: Paint) -> String {
    match format {
        Format::Text if stat => stat_text(comparison, paint),
        Format::Text => text(comparison, paint),
        Format::Markdown => markdown::render(comparison, stat),
        Format::Json => json(comparison),
    }
}

/// Terminal colours, or none: SGR codes written here rather than through a
/// styling crate, since these six are all the diff needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(self, t: &str) -> String {
        self.wrap("1", t)
    }
    fn dim(self, t: &str) -> String {
        self.wrap("2", t)
    }
    fn red(self, t: &str) -> String {
        self.wrap("31", t)
    }
    fn green(self, t: &str) -> String {
        self.wrap("32", t)
    }
    fn yellow(self, t: &str) -> String {
        self.wrap("33", t)
    }
    fn cyan(self, t: &str) -> String {
        self.wrap("36", t)
    }
}

#[derive(Serialize)]
struct Json<'a> {
    schema: &'static str,
    verdict: String,
    equivalent: bool,
    #[serde(flatten)]
    comparison: &'a Comparison,
}

fn json(comparison: &Comparison) -> String {
    let doc = Json {
        schema: SCHEMA,
        verdict: comparison.verdict(),
        equivalent: comparison.equivalent(),
        comparison,
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("a comparison serialises");
    out.push('\n');
    out
}

/// `--- path · runbook · start · operator · state · tally`.
pub(super) fn side_line(side: &Side) -> String {
    let run = &side.run;
    let mut parts = vec![side.path.clone()];
    if !run.source.is_empty() {
        parts.push(format!("`{}`", run.source));
    }
    if let Some(env) = &run.env {
        parts.push(format!("env {env}"));
    }
    parts.push(run.started.replace('T', " "));
    parts.push(run.operator.clone());
    parts.push(run.state.word().to_string());
    parts.push(side.tally.clone());
    parts.retain(|p| !p.is_empty());
    parts.join(" · ")
}

fn text(c: &Comparison, paint: Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint.bold(&c.verdict()));
    let _ = writeln!(out, "{}", paint.dim(&format!("--- {}", side_line(&c.old))));
    let _ = writeln!(out, "{}", paint.dim(&format!("+++ {}", side_line(&c.new))));
    for w in &c.warnings {
        let _ = writeln!(out, "{} {w}", paint.yellow("warning:"));
    }
    for step in c.changed() {
        out.push('\n');
        let _ = writeln!(out, "{}", heading_line(step, paint));
        for change in &step.changes {
            change_lines(&mut out, change, paint);
        }
    }
    out
}

fn stat_text(c: &Comparison, paint: Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint.bold(&c.verdict()));
    for step in c.changed() {
        let kinds: Vec<&str> = step.changes.iter().map(|ch| ch.category().word()).collect();
        let _ = writeln!(
            out,
            "{}  {}",
            heading_line(step, paint),
            paint.dim(&format!("({})", kinds.join(", ")))
        );
    }
    out
}

/// `failed   Deploy › Migrate (line 12)`.
fn heading_line(step: &StepDiff, paint: Paint) -> String {
    let category = step.category.map_or("", |c| c.word());
    let padded = format!("{category:<8}");
    let coloured = match category {
        "failed" | "gone" => paint.red(&padded),
        "new" => paint.green(&padded),
        _ => paint.yellow(&padded),
    };
    let s = step.step();
    format!(
        "{coloured} {} {}",
        paint.bold(&s.label()),
        paint.dim(&where_(step))
    )
}

/// `(line 12)`, or `(line 12 → 14)` when the step moved.
pub(super) fn where_(step: &StepDiff) -> String {
    match (&step.old, &step.new) {
        (Some(o), Some(n)) if o.line != n.line => format!("(line {} → {})", o.line, n.line),
        (_, Some(s)) | (Some(s), None) => format!("(line {})", s.line),
        (None, None) => String::new(),
    }
}

/// `done`, `failed (exit 1)`, `skipped (declined)`, `not reached`.
pub fn describe(state: &State) -> String {
    let mut out = match state.status {
        Some(Status::NotConfirmed) => "not confirmed".to_string(),
        Some(s) => s.word().to_string(),
        None if state.off_path => "off the run's path".to_string(),
        None => "not reached".to_string(),
    };
    let mut why = Vec::new();
    if let Some(exit) = state.exit {
        why.push(format!("exit {exit}"));
    }
    if let Some(r) = state.reason {
        why.push(r.word().to_string());
    }
    if !why.is_empty() {
        let _ = write!(out, " ({})", why.join(", "));
    }
    out
}

/// `0.02s`, `1m 05s`.
pub(super) fn duration(ms: u64) -> String {
    if ms < 60_000 {
        format!("{:.2}s", ms as f64 / 1000.0)
    } else {
        format!("{}m {:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// `0.50s → 3.10s (6.2×)`.
pub(super) fn durations(old_ms: u64, new_ms: u64) -> String {
    let factor = if old_ms == 0 {
        String::new()
    } else {
        format!(" ({:.1}×)", new_ms as f64 / old_ms as f64)
    };
    format!("{} → {}{factor}", duration(old_ms), duration(new_ms))
}

/// A value in a sentence: `` `GO` ``, or `(none)`.
pub(super) fn value(v: Option<&str>) -> String {
    v.map_or_else(
        || "(none)".into(),
        |v| format!("`{}`", v.replace('\n', "⏎")),
    )
}

/// Where an answer came from, in a sentence.
pub(super) fn origin(origin: Origin) -> &'static str {
    match origin {
        Origin::Prompt => "typed at the prompt",
        Origin::AnswersFile => "the answers file",
    }
}

/// The one-line summary of a change, without its diff.
pub(super) fn summary(change: &Change) -> String {
    match change {
        Change::Status { old, new } => format!("status: {} → {}", describe(old), describe(new)),
        Change::Attempts {
            old,
            new,
            old_earlier,
            new_earlier,
        } => attempts(*old, *new, old_earlier, new_earlier),
        Change::New => "new: only in the new run".into(),
        Change::Gone => "gone: only in the old run".into(),
        Change::Moved {
            old_place,
            new_place,
            old_after,
            new_after,
        } => {
            let after =
                |a: &Option<String>| a.as_ref().map_or("first".into(), |a| format!("after {a}"));
            format!(
                "moved: was step {old_place}, {}; now step {new_place}, {}",
                after(old_after),
                after(new_after)
            )
        }
        Change::Reworded { old, new } => {
            format!("reworded: {} → {}", value(Some(old)), value(Some(new)))
        }
        Change::Answer { old, new } => format!(
            "answer: {} → {}",
            value(old.as_deref()),
            value(new.as_deref())
        ),
        Change::Origin {
            placeholder,
            old,
            new,
        } => format!(
            "{}: {} → {}",
            // Bare: a code span would show `<` escaped for Markdown as `&lt;`.
            placeholder.as_deref().map_or_else(
                || "answer came from".to_string(),
                |p| format!("{p} came from")
            ),
            origin(*old),
            origin(*new)
        ),
        Change::Command { .. } => "command: what ran differs".into(),
        Change::Output { .. } => "output differs".into(),
        Change::Slower { old_ms, new_ms } => format!("slower: {}", durations(*old_ms, *new_ms)),
        Change::Note { old, new } => format!(
            "note: {} → {}",
            value(old.as_deref()),
            value(new.as_deref())
        ),
        Change::Host { host, old, new } => super::hosts::summary(host, old.as_ref(), new.as_ref()),
        Change::HostOutput { host, .. } => format!("host {host}: output differs"),
        Change::HostAttempts {
            host,
            old,
            new,
            old_earlier,
            new_earlier,
        } => super::hosts::attempts(host, *old, *new, old_earlier, new_earlier),
    }
}

/// `attempts: 1 → 3 (earlier in the new run: failed (exit 1), failed (exit 1))`.
fn attempts(old: usize, new: usize, old_earlier: &[State], new_earlier: &[State]) -> String {
    let each = |states: &[State]| states.iter().map(describe).collect::<Vec<_>>();
    attempts_line(old, new, &each(old_earlier), &each(new_earlier))
}

/// `attempts: 1 → 3 (earlier in the new run: ...)`, from how each earlier
/// attempt ended, in words.
pub(super) fn attempts_line(
    old: usize,
    new: usize,
    old_earlier: &[String],
    new_earlier: &[String],
) -> String {
    let list = |each: &[String]| each.join(", ");
    let earlier = match (old_earlier.is_empty(), new_earlier.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!(" (earlier in the old run: {})", list(old_earlier)),
        (true, false) => format!(" (earlier in the new run: {})", list(new_earlier)),
        (false, false) => format!(
            " (earlier in the old run: {}; in the new run: {})",
            list(old_earlier),
            list(new_earlier)
        ),
    };
    format!("attempts: {old} → {new}{earlier}")
}

/// The unified diff a change shows under its summary, if any.
pub(super) fn diff_of(change: &Change) -> Option<&str> {
    match change {
        Change::Command { diff, .. }
        | Change::Output { diff }
        | Change::HostOutput { diff, .. } => Some(diff),
        _ => None,
    }
}

fn change_lines(out: &mut String, change: &Change, paint: Paint) {
    let _ = writeln!(out, "    {}", summary(change));
    let Some(diff) = diff_of(change) else {
        return;
    };
    for line in diff.lines() {
        let shown = match line.as_bytes().first() {
            Some(b'-') => paint.red(line),
            Some(b'+') => paint.green(line),
            Some(b'@') => paint.cyan(line),
            _ => line.to_string(),
        };
        let _ = writeln!(out, "      {shown}");
    }
}
