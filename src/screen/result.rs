//! The line that says how a step ended (`✓ Migrate · 41.2 s`), and the
//! closing summary that names the steps that failed.

use super::{Verbosity, green, red, verbosity, yellow};
use crate::doc::{Runbook, Step, StepKind};
use crate::record::{
    Outcome, Reason, RunRecord, SectionRecord, SectionState, Status, StepRecord, unit_status,
};

/// How many steps not confirmed the closing summary names.
const NAMED: usize = 5;

/// How many characters of how a step failed the closing summary gives.
const HOW: usize = 48;

/// What the operator calls `step`: the task a command belongs to, else its
/// own text, cut to one short line.
pub fn title(book: &Runbook, step: &Step) -> String {
    let mut what = step;
    while !matches!(what.kind, StepKind::Task(_))
        && let Some(p) = what.parent()
    {
        what = &book.steps[p];
    }
    let text = if what.text.trim().is_empty() {
        &step.text
    } else {
        &what.text
    };
    short(text)
}

fn short(text: &str) -> String {
    cut(text.trim(), 80)
}

/// `0.4 s`, `41.2 s`, `3 min 05 s`, `1 h 02 min`.
pub fn duration(ms: u64) -> String {
    let secs = ms / 1000;
    if secs < 60 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if secs < 3600 {
        format!("{} min {:02} s", secs / 60, secs % 60)
    } else {
        format!("{} h {:02} min", secs / 3600, (secs % 3600) / 60)
    }
}

/// What a block's last attempt did, said before it is offered again (by
/// `resume`, `[b]ack` or `[g]o to`), so that nobody runs a block that was
/// cut short halfway without knowing it: `Last time (2026-12-02 00:20:47Z):
/// interrupted after 2.0 s; the last line it printed: step 3`. `None` for a
/// step with nothing on record that ran or was passed over.
pub fn last_time(outcome: &Outcome) -> Option<String> {
    let ran = |how: String| match outcome.exit {
        Some(_) if outcome.hosts.is_empty() => format!("{how} after {}", duration(outcome.ms)),
        _ => how,
    };
    let how = match outcome.status {
        Status::Done if outcome.exit.is_some() || !outcome.hosts.is_empty() => ran("done".into()),
        Status::Failed => ran(failure(outcome)),
        Status::Skipped => "skipped".into(),
        Status::Done | Status::NotConfirmed => return None,
    };
    let when = outcome.at.replacen('T', " ", 1);
    let mut line = format!("Last time ({when}): {how}");
    if let Some(last) = outcome
        .output
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
    {
        line.push_str("; the last line it printed: ");
        line.push_str(&cut(last, 72));
    }
    Some(line)
}

/// The line that gives how `step` ended, coloured; `None` when there is
/// nothing to say: a heading task (its steps said it), a step not confirmed
/// in an unattended run (the closing summary counts those; `-v` names each
/// as it comes), or anything but a failure under `-q`.
pub fn result_line(
    book: &Runbook,
    step: &Step,
    outcome: &Outcome,
    attended: bool,
) -> Option<String> {
    if !step.children.is_empty() {
        return None;
    }
    let name = title(book, step);
    let timed = |parts: &mut Vec<String>| {
        if (matches!(step.kind, StepKind::Command(_)) && outcome.hosts.is_empty()) || outcome.ms > 0
        {
            parts.push(duration(outcome.ms));
        }
    };
    let quiet = verbosity() == Verbosity::Quiet;
    Some(match outcome.status {
        Status::Done if quiet => return None,
        Status::Done => {
            let mut parts = vec![format!("{} {name}", green("✓"))];
            timed(&mut parts);
            parts.join(" · ")
        }
        Status::Failed => {
            let mut parts = vec![format!("{} {name}", red("✗"))];
            parts.push(failure(outcome));
            if outcome.exit.is_some() {
                timed(&mut parts);
            }
            parts.join(" · ")
        }
        Status::Skipped if quiet => return None,
        Status::Skipped => format!("{} {name} · skipped", yellow("–")),
        // Unattended, the closing summary says it once for all of them.
        Status::NotConfirmed if !attended || quiet => return None,
        Status::NotConfirmed => format!("{} {name} · not confirmed", yellow("⚠")),
    })
}

/// How a step failed, in a few words: `exit 1`, `timed out`, `refused`.
fn failure(outcome: &Outcome) -> String {
    failure_words(
        &outcome.reasons,
        outcome.exit,
        outcome.value.as_deref(),
        !outcome.hosts.is_empty(),
    )
    .unwrap_or_else(|| "failed".into())
}

/// The words of `failure` for a step with `reasons`, the `exit` status of
/// its last attempt, the `value` answered, run on hosts or not; `None` when
/// nothing says more than that it failed. The step's line and the closing
/// summary both say these.
fn failure_words(
    reasons: &[Reason],
    exit: Option<i32>,
    value: Option<&str>,
    on_hosts: bool,
) -> Option<String> {
    let has = |r| reasons.contains(&r);
    Some(if has(Reason::Timeout) {
        "timed out".into()
    } else if has(Reason::Interrupted) {
        "interrupted".into()
    } else if has(Reason::Refused) {
        "refused".into()
    } else if has(Reason::Unfilled) {
        "no value for a placeholder".into()
    } else if has(Reason::Mismatch) {
        "output not as expected".into()
    } else if has(Reason::Expect) {
        "output lacks what `expect` asks for".into()
    } else if has(Reason::Negative) || has(Reason::OffTarget) {
        match value {
            Some(v) => format!("answered {v}"),
            None => "answered on the failing side".into(),
        }
    } else if on_hosts {
        "failed on some hosts".into()
    } else {
        format!("exit {}", exit?)
    })
}

/// Cuts `text` to `max` characters, an ellipsis last when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// The closing lines of a run before its counts: the steps that failed or
/// were refused, each at its `runbook:line`, and the steps nobody confirmed
/// (a count and the first few).
pub fn summary(record: &RunRecord) -> Vec<String> {
    let source = &record.run.source;
    // Steps as a person counts them: an item stands for the blocks and
    // fields inside it, an item that heads others is not named.
    let counted = |s: &&StepRecord| !s.off_path && s.counts_as.as_deref() == Some(s.id.as_str());
    let status = |s: &StepRecord| {
        let inside = record
            .steps
            .iter()
            .filter(|m| m.id != s.id && m.counts_as.as_deref() == Some(s.id.as_str()))
            .map(|m| m.status);
        unit_status(s.status, inside)
    };
    let name = |s: &StepRecord| short(&s.text);
    let mut lines = Vec::new();
    let failed: Vec<&StepRecord> = record
        .steps
        .iter()
        .filter(counted)
        .filter(|s| status(s) == Some(Status::Failed))
        .collect();
    if !failed.is_empty() {
        let s = if failed.len() == 1 { "" } else { "s" };
        lines.push(red(&format!("✗ {} step{s} failed:", failed.len())));
        for step in &failed {
            // How it failed is the block's inside an item: the first that failed.
            let failing = record
                .steps
                .iter()
                .filter(|m| m.counts_as.as_deref() == Some(step.id.as_str()))
                .find(|m| m.status == Some(Status::Failed) && m.id != step.id)
                .unwrap_or(step);
            // The words of the step's own line, an answer cut short.
            let how = failure_words(
                &failing.reasons,
                failing.attempts.last().and_then(|a| a.exit),
                failing.answer.as_deref(),
                !failing.hosts.is_empty(),
            )
            .map(|words| format!(" · {}", cut(&words, HOW)))
            .unwrap_or_default();
            lines.push(format!("  {source}:{}  {}{how}", failing.line, name(step)));
        }
    }
    let unconfirmed: Vec<&StepRecord> = record
        .steps
        .iter()
        .filter(counted)
        .filter(|s| status(s) == Some(Status::NotConfirmed))
        .collect();
    if !unconfirmed.is_empty() {
        let n = unconfirmed.len();
        let s = if n == 1 { "" } else { "s" };
        lines.push(yellow(&format!(
            "⚠ {n} step{s} not confirmed or not answered (nobody at a terminal to do them):"
        )));
        for step in unconfirmed.iter().take(NAMED) {
            lines.push(format!("  {source}:{}  {}", step.line, name(step)));
        }
        if n > NAMED {
            lines.push(format!("  … and {} more", n - NAMED));
        }
    }
    // Sections the run passed over are said, not only written in the
    // transcript: a heading read as contingency that was the work itself
    // shows here.
    let passed: Vec<&SectionRecord> = record
        .sections
        .iter()
        .filter(|s| s.state == SectionState::NotNeeded)
        .collect();
    if !passed.is_empty() {
        let n = passed.len();
        let s = if n == 1 { "" } else { "s" };
        lines.push(format!(
            "⏭ {n} contingency section{s} passed over (nothing called for {}):",
            if n == 1 { "it" } else { "them" }
        ));
        for section in passed.iter().take(NAMED) {
            lines.push(format!(
                "  {source}:{}  {}",
                section.line,
                short(&section.title)
            ));
        }
        if n > NAMED {
            lines.push(format!("  … and {} more", n - NAMED));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration(0), "0.0 s");
        assert_eq!(duration(41_234), "41.2 s");
        assert_eq!(duration(185_000), "3 min 05 s");
        assert_eq!(duration(3_720_000), "1 h 02 min");
    }
}
