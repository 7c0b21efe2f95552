//! The run summary at the top of a transcript: the run marker with its
//! machine data, then for people the verdict first (`✅ complete`, `❌ failed
//! at Migrate (deploy.md:88)`), a resumed note, the failed steps as links,
//! who ran what when, the counts, and the footnotes the short task labels
//! point to. Each on a line of its own.

#[cfg(test)]
use std::collections::HashMap;
use std::fmt::Write as _;

use super::marker;
use super::write::{Edit, escape_inline};
use crate::doc::{Runbook, Step, StepKind};
use crate::record::{Counts, Outcome, Reason, RunInfo, RunState, Status, clock};
use crate::source::Source;

/// Footnote of a task ticked because its commands succeeded, unattended.
pub const AUTO_COMMANDS: &str = "rs-auto";
/// Footnote of a task ticked because all its steps were answered, unattended.
pub const AUTO_ANSWERED: &str = "rs-answered";
/// Footnote of a manual task nobody could confirm.
pub const UNATTENDED: &str = "rs-unattended";

/// What each footnote says, by name.
const FOOTNOTES: [(&str, &str); 3] = [
    (
        AUTO_COMMANDS,
        "ticked by runsheet in an unattended run because the commands in it succeeded; nobody confirmed the task itself.",
    ),
    (
        AUTO_ANSWERED,
        "ticked by runsheet in an unattended run because all its steps were answered; nobody confirmed the task itself.",
    ),
    (
        UNATTENDED,
        "not confirmed: an unattended run, with nobody there to do this by hand or to say it was done.",
    ),
];

/// The anchor a failed step's annotation carries, for the summary's links.
pub fn anchor(id: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("rs-{id}")
}

/// What the summary says of the steps, from what they recorded.
pub(super) struct Facts<'a> {
    pub counts: Counts,
    /// The steps that failed themselves, in document order.
    pub failed: Vec<(&'a Step, &'a Outcome)>,
    /// Whether a task's label points to each of `FOOTNOTES`.
    pub footnotes: [bool; 3],
    /// Marker-like text the runbook itself holds: see `literal_markers`.
    pub literal: &'a [usize],
}

/// The footnotes, as `Facts::footnotes` lists them.
pub(super) const FOOTNOTE_NAMES: [&str; 3] = [AUTO_COMMANDS, AUTO_ANSWERED, UNATTENDED];

/// The summary, its facts worked out from `outcomes`.
#[cfg(test)]
pub fn edit(
    source: &Source,
    book: &Runbook,
    outcomes: &HashMap<String, Outcome>,
    info: &RunInfo,
    eol: &str,
) -> Edit {
    let literal = literal_markers(&source.text);
    let facts = Facts {
        counts: Counts::of(book, outcomes),
        failed: failed_steps(book, outcomes),
        footnotes: FOOTNOTE_NAMES.map(|name| uses(book, outcomes, name)),
        literal: &literal,
    };
    edit_with(source, book, info, eol, &facts)
}

/// Whether a failed record of `step` is a failure of its own, not one of a
/// step inside it: what the summary lists as failed.
pub(super) fn fails_itself(step: &Step) -> bool {
    step.children.is_empty() || step.command().is_some()
}

/// The footnote the label of `step` points to, if it is a task written
/// beside its own text (not in a fence).
pub(super) fn task_footnote(book: &Runbook, step: &Step, o: &Outcome) -> Option<&'static str> {
    if step.task().is_some_and(|t| t.in_fence.is_none()) {
        footnote(book, step, o)
    } else {
        None
    }
}

/// The summary with `facts`, inserted where the runbook's text begins.
pub(super) fn edit_with(
    source: &Source,
    book: &Runbook,
    info: &RunInfo,
    eol: &str,
    facts: &Facts,
) -> Edit {
    let at = book.summary_at;
    let pre = if at > 0 && !source.text[..at].ends_with('\n') {
        eol
    } else {
        ""
    };
    let mut attrs = vec![
        ("v", super::FORMAT_VERSION.to_string()),
        ("id", info.id.clone()),
        ("source", info.source.clone()),
        ("sha256", info.sha256.clone()),
        ("operator", info.operator.clone()),
        ("started", info.started.clone()),
        ("state", info.state.word().to_string()),
        ("mode", info.mode.word().to_string()),
    ];
    if let Some(env) = &info.env {
        attrs.push(("env", env.clone()));
    }
    if !info.vars.is_empty() {
        // `name=value` pairs, comma-separated, each side encoded on its own
        // so a comma in a value cannot split it.
        let vars = info.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        attrs.push(("vars", super::write::pairs(vars)));
    }
    if let Some(t) = &info.template {
        attrs.push(("template", t.path.clone()));
        attrs.push(("template_sha256", t.sha256.clone()));
        if let Some(f) = &t.env_file {
            attrs.push(("env_file", f.clone()));
        }
        if let Some(sha) = &t.env_sha256 {
            attrs.push(("env_sha256", sha.clone()));
        }
        attrs.push(("rendered", t.rendered.clone()));
        if let Some(lines) = &t.lines {
            attrs.push(("lines", lines.clone()));
        }
        if let Some(key) = &t.secret_key {
            attrs.push(("secret_key", key.clone()));
        }
        if !t.secrets.is_empty() {
            let digests = t.secrets.iter().map(|(k, d)| (k.as_str(), d.as_str()));
            attrs.push(("secret_sha256", super::write::pairs(digests)));
        }
    }
    if let Some(f) = &info.finished {
        attrs.push(("finished", f.clone()));
    }
    if let Some(r) = &info.resumed {
        attrs.push(("resumed", r.clone()));
    }
    if !pre.is_empty() {
        attrs.push(("pre", pre.len().to_string()));
    }
    // Marker-like text the runbook itself holds, by offset, with the runbook's
    // length: reading by layout tells it from what runsheet wrote.
    let literal = facts.literal;
    if !literal.is_empty() {
        let offsets: Vec<String> = literal.iter().map(usize::to_string).collect();
        attrs.push(("lit", offsets.join(",")));
        attrs.push(("len", source.text.len().to_string()));
    }
    let mut lines = Vec::new();
    let failed = &facts.failed;
    let file = info.source.rsplit('/').next().unwrap_or(&info.source);
    let place = |s: &Step| format!("{}:{}", text(file), s.line);
    let c = facts.counts;
    lines.push(format!("**{}**", verdict(book, info, &c, failed, &place)));
    if let Some(r) = &info.resumed {
        lines.push(format!(
            "↻ resumed {}, going on from where the run had stopped",
            r.replace('T', " ")
        ));
    }
    if !failed.is_empty() {
        let links: Vec<String> = failed
            .iter()
            .map(|(s, _)| {
                format!(
                    "[{}](#{}) ({})",
                    text(&name(book, s)),
                    anchor(&s.id()),
                    place(s)
                )
            })
            .collect();
        lines.push(format!("Failed: {}", links.join(", ")));
    }
    let when = match &info.finished {
        Some(f) => format!("{} → {}", info.started.replace('T', " "), clock(f)),
        None => format!("started {}", info.started.replace('T', " ")),
    };
    let env = info
        .env
        .as_ref()
        .map(|e| format!("env `{}` · ", e.replace('`', "")))
        .unwrap_or_default();
    lines.push(format!(
        "runsheet · `{}` · {env}{} · {when} · {} · {}",
        file.replace('`', ""),
        text(&info.operator),
        info.mode,
        info.state,
    ));
    lines.push(if book.steps.is_empty() {
        "this document has no steps".into()
    } else {
        c.tally()
    });
    let mut body = String::new();
    // A backslash at the end of a line breaks it: one fact a line.
    let _ = write!(body, "{}{eol}", lines.join(&format!("\\{eol}")));
    for ((name, says), used) in FOOTNOTES.iter().zip(facts.footnotes) {
        if used {
            let _ = write!(body, "{eol}[^{name}]: {says}{eol}");
        }
    }
    let mut out = String::from(pre);
    let _ = write!(
        out,
        "{}{eol}{body}{}{eol}",
        marker::open("run", &attrs),
        marker::close("run"),
    );
    Edit {
        at,
        len: 0,
        text: out,
    }
}

/// Text for the summary's Markdown: escaped, and never a marker.
fn text(s: &str) -> String {
    escape_inline(s).replace("\\<", "&lt;")
}

/// `✅ complete`, `❌ failed at Migrate (deploy.md:88)`, `❌ went on to the end
/// with 2 steps failed, the last at Smoke test (deploy.md:97)`, `⚠️ complete, 3
/// steps not confirmed or not answered`, ...
fn verdict(
    book: &Runbook,
    info: &RunInfo,
    c: &Counts,
    failed: &[(&Step, &Outcome)],
    place: &dyn Fn(&Step) -> String,
) -> String {
    // The failure the run stopped at: the latest one.
    let last = failed
        .iter()
        .max_by(|a, b| a.1.at.cmp(&b.1.at))
        .map(|(s, _)| *s);
    match (info.state, last) {
        (RunState::Running, _) => "⏳ running".into(),
        (RunState::Interrupted, _) => "⏸️ interrupted: `runsheet resume` goes on from here".into(),
        // Failures passed over (`--keep-going`, ignored at the prompt): the
        // run did not stop at any of them.
        (RunState::Complete, Some(step)) => format!(
            "❌ went on to the end with {} failed, the last at {} ({})",
            steps(failed.len()),
            text(&name(book, step)),
            place(step)
        ),
        (_, Some(step)) => format!("❌ failed at {} ({})", text(&name(book, step)), place(step)),
        (RunState::Stopped, None) => "⛔ stopped".into(),
        (RunState::Complete, None) => {
            let mut left = Vec::new();
            if c.not_confirmed > 0 {
                left.push(format!(
                    "{} not confirmed or not answered",
                    steps(c.not_confirmed)
                ));
            }
            if c.unverified > 0 {
                left.push(format!(
                    "{} not verified",
                    crate::screen::plural(c.unverified, "output")
                ));
            }
            if c.pending > 0 {
                left.push(format!("{} not reached", steps(c.pending)));
            }
            if c.partly > 0 {
                left.push(format!("{} not run on every host", steps(c.partly)));
            }
            if c.unreachable > 0 {
                left.push(format!("{} unreachable", hosts(c.unreachable)));
            }
            if left.is_empty() {
                "✅ complete".into()
            } else {
                format!("⚠️ complete, {}", left.join(", "))
            }
        }
    }
}

fn steps(n: usize) -> String {
    format!("{n} step{}", if n == 1 { "" } else { "s" })
}

fn hosts(n: usize) -> String {
    format!("{n} host{}", if n == 1 { "" } else { "s" })
}

/// At most 60 characters of `text`, on one line.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let mut out: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// What to call a failed step: the task it belongs to, else its own text.
fn name(book: &Runbook, step: &Step) -> String {
    let mut what = step;
    while !matches!(what.kind, StepKind::Task(_))
        && let Some(p) = what.parent()
    {
        what = &book.steps[p];
    }
    let name = if what.text.trim().is_empty() {
        step
    } else {
        what
    };
    short(&name.text)
}

/// The steps that failed themselves, not because a step inside them did,
/// in document order, each with its outcome.
#[cfg(test)]
fn failed_steps<'b>(
    book: &'b Runbook,
    outcomes: &'b HashMap<String, Outcome>,
) -> Vec<(&'b Step, &'b Outcome)> {
    book.steps
        .iter()
        .filter(|s| fails_itself(s))
        .filter_map(|s| outcomes.get(&s.id()).map(|o| (s, o)))
        .filter(|(_, o)| o.status == Status::Failed)
        .collect()
}

/// Whether a task annotation of this transcript points to footnote `name`.
#[cfg(test)]
fn uses(book: &Runbook, outcomes: &HashMap<String, Outcome>, name: &str) -> bool {
    book.steps.iter().any(|s| {
        outcomes
            .get(&s.id())
            .is_some_and(|o| task_footnote(book, s, o) == Some(name))
    })
}

/// The footnote a task's short label points to, if any.
pub fn footnote(book: &Runbook, step: &Step, o: &Outcome) -> Option<&'static str> {
    match o.status {
        Status::Done if o.has(Reason::Auto) => Some(if super::write::owns_commands(book, step) {
            AUTO_COMMANDS
        } else {
            AUTO_ANSWERED
        }),
        Status::NotConfirmed => Some(UNATTENDED),
        _ => None,
    }
}

/// Offsets of every `<!--rs:` and `<!--/rs:` in `text`, in order.
pub(super) fn literal_markers(text: &str) -> Vec<usize> {
    let mut found: Vec<usize> = text
        .match_indices(marker::OPEN)
        .chain(text.match_indices(marker::CLOSE))
        .map(|(at, _)| at)
        .collect();
    found.sort_unstable();
    found
}
