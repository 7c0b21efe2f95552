//! Rendering a transcript: the source plus sorted, non-overlapping edits at spans.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::fill;
use super::marker;
use super::pieces::Rendered;
use crate::doc::fields::BOXES;
use crate::doc::model::Fence;
use crate::doc::{Command, Runbook, Step, StepKind};
use crate::record::{ANSWERED_IN_FILE, CWD_GONE, Origin, Outcome, Reason, RunInfo, Status, clock};
use crate::source::Source;

/// One change to the source: replace `len` bytes at `at` with `text`.
pub(super) struct Edit {
    pub(super) at: usize,
    pub(super) len: usize,
    pub(super) text: String,
}

/// Whether a command is among the steps `step` owns, at any depth.
pub(super) fn owns_commands(book: &Runbook, step: &Step) -> bool {
    let mut stack: Vec<usize> = step.children.to_vec();
    while let Some(c) = stack.pop() {
        if book.steps[c].command().is_some() {
            return true;
        }
        stack.extend(&book.steps[c].children);
    }
    false
}

/// The transcript text for `source` with `outcomes` recorded into it.
pub fn render(
    source: &Source,
    book: &Runbook,
    outcomes: &HashMap<String, Outcome>,
    info: &RunInfo,
) -> String {
    Rendered::new(source, book, outcomes).text(source, book, outcomes, info)
}

/// The edits that record `outcome` at `step`, a step outside any fence.
pub(super) fn step_edits(
    text: &str,
    book: &Runbook,
    step: &Step,
    outcome: &Outcome,
    eol: &str,
    edits: &mut Vec<Edit>,
) {
    match &step.kind {
        StepKind::Task(_) => task_edits(text, book, step, outcome, edits),
        StepKind::Command(command) => edits.push(command_edit(command, outcome, eol)),
        StepKind::Blank(field) | StepKind::Choice(field) => {
            edits.push(fill::field_edit(text, field, outcome));
        }
        // What a placeholder was filled with shows in the command as it ran.
        StepKind::Placeholder(_) => {}
    }
}

/// The `fills` attribute: `token=value` pairs, as `vars` writes them.
pub(super) fn fills_attr(o: &Outcome) -> Option<String> {
    (!o.fills.is_empty()).then(|| pairs(o.fills.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
}

/// A [list](marker::LISTS) of `name=value` pairs, each side encoded on its own.
pub(super) fn pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let pairs: Vec<String> = pairs
        .map(|(k, v)| format!("{}={}", marker::item(k), marker::item(v)))
        .collect();
    pairs.join(",")
}

/// The `fills-from-file` attribute: the tokens of `fills` whose values the
/// answers file gave, when it gave some but not all (`how=answers-file`
/// says it gave all), each encoded as `fills` encodes it.
pub(super) fn fills_from_file_attr(o: &Outcome) -> Option<String> {
    let tokens: Vec<String> = o.fills_from_file.iter().map(|t| marker::item(t)).collect();
    (!tokens.is_empty()).then(|| tokens.join(","))
}

fn task_edits(text: &str, book: &Runbook, step: &Step, outcome: &Outcome, edits: &mut Vec<Edit>) {
    let StepKind::Task(task) = &step.kind else {
        return;
    };
    let after = task.marker().end;
    let spaced = matches!(text.as_bytes().get(after), Some(b' ' | b'\t'));
    let at = if spaced { after + 1 } else { after };
    // `[ ]` becomes `[x]`, `☐` becomes `☒`; the mark says which it was.
    let tick = (outcome.status == Status::Done && !task.checked)
        .then(|| BOXES.iter().find(|(e, _, _)| text[task.marker()] == **e))
        .flatten();
    if let Some((_, marked, _)) = tick {
        edits.push(Edit {
            at: task.marker().start,
            len: task.marker.len(),
            text: (*marked).into(),
        });
    }
    let mut attrs = outcome_attrs(outcome);
    if let Some((_, _, code)) = tick {
        attrs.push(("tick", (*code).into()));
    }
    if !spaced {
        attrs.push(("sp", "1".into()));
    }
    if let Some(note) = &outcome.note {
        attrs.push(("note", note.clone()));
    }
    let tries = super::attempts::inline_attrs(&outcome.earlier);
    attrs.extend(tries.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let time = clock(&outcome.at);
    // Short, so the task's own text stays in sight: what needs explaining
    // is in a footnote of the summary (and in `how`).
    let mut label = match outcome.status {
        Status::Done => format!("✅ {time}"),
        Status::Skipped if outcome.has(Reason::NotChosen) => {
            "⏭️ option not chosen in this run".into()
        }
        Status::Skipped => format!("⏭️ skipped {time}"),
        Status::Failed => format!(
            "<a id=\"{}\"></a>❌ failed {time}",
            super::summary::anchor(&step.id())
        ),
        Status::NotConfirmed => "⚠️ not confirmed".into(),
    };
    if let Some(name) = super::summary::footnote(book, step, outcome) {
        let _ = write!(label, "[^{name}]");
    }
    if outcome.has(Reason::Waited) {
        let _ = write!(label, " · waited {}", duration(outcome.ms));
    }
    if let Some(note) = &outcome.note {
        let _ = write!(label, " — note: {}", escape_inline(note));
    }
    label.push_str(&super::attempts::inline_label(&outcome.earlier));
    let rest_of_line = text[at..].split(['\n', '\r']).next().unwrap_or("");
    if !rest_of_line.trim().is_empty() {
        label.push_str(" · ");
    }
    edits.push(Edit {
        at,
        len: 0,
        text: format!(
            "{}{}{label}{}",
            if spaced { "" } else { " " },
            marker::open("task", &attrs),
            marker::close("task")
        ),
    });
}

/// What a region after `fence` must start with: a line ending if the document
/// ends without one, and a closing fence if the block was never closed (else
/// the block would swallow the region). Its length goes in the marker's `pre`.
pub(super) fn before_region(fence: &Fence, eol: &str) -> String {
    let mut pre = String::new();
    if fence.at_eof_without_newline {
        pre.push_str(eol);
    }
    if !fence.closed {
        let _ = write!(pre, "{}{}{eol}", fence.prefix, fence.marker);
    }
    pre
}

pub(super) fn outcome_attrs(outcome: &Outcome) -> Vec<(&'static str, String)> {
    let mut attrs = vec![
        ("id", outcome.id.clone()),
        ("status", outcome.status.word().to_string()),
        ("at", outcome.at.clone()),
    ];
    if let Some(exit) = outcome.exit {
        attrs.push(("exit", exit.to_string()));
    }
    if outcome.ms > 0 {
        attrs.push(("ms", outcome.ms.to_string()));
    }
    if !outcome.reasons.is_empty() {
        let words: Vec<&str> = outcome.reasons.iter().map(|r| r.word()).collect();
        attrs.push(("how", words.join(",")));
    }
    attrs
}

/// `outcome_attrs`, each written as `marker::open` writes it onto `out`.
fn outcome_attrs_onto(out: &mut String, outcome: &Outcome) {
    marker::attr_onto(out, "id", &outcome.id);
    marker::attr_onto(out, "status", outcome.status.word());
    marker::attr_onto(out, "at", &outcome.at);
    if let Some(exit) = outcome.exit {
        marker::attr_onto(out, "exit", itoa::Buffer::new().format(exit));
    }
    if outcome.ms > 0 {
        marker::attr_onto(out, "ms", itoa::Buffer::new().format(outcome.ms));
    }
    if !outcome.reasons.is_empty() {
        let words: Vec<&str> = outcome.reasons.iter().map(|r| r.word()).collect();
        marker::attr_onto(out, "how", &words.join(","));
    }
}

fn command_edit(command: &Command, outcome: &Outcome, eol: &str) -> Edit {
    let fence = &command.fence;
    let prefix = fence.prefix.as_str();
    let pre = before_region(fence, eol);
    // Sized for what follows, most of it the output: grown in steps, a
    // long output would be copied over and over.
    let body = outcome.output.len() + outcome.ran.as_ref().map_or(0, String::len);
    let mut out = String::with_capacity(pre.len() + 256 + body + body / 8 * prefix.len());
    out.push_str(&pre);
    out.push_str(prefix);
    // The opening marker, written in place: what `marker::open` makes of
    // `outcome_attrs` and the attributes below, without a string for each
    // (this is made for every block at a resumed run's first save).
    out.push_str(marker::OPEN);
    out.push_str("out");
    outcome_attrs_onto(&mut out, outcome);
    if let Some(note) = &outcome.note {
        marker::attr_onto(&mut out, "note", note);
    }
    if let Some(fills) = fills_attr(outcome) {
        marker::attr_onto(&mut out, "fills", &fills);
    }
    if let Some(tokens) = fills_from_file_attr(outcome) {
        marker::attr_onto(&mut out, "fills-from-file", &tokens);
    }
    if !pre.is_empty() {
        marker::attr_onto(&mut out, "pre", itoa::Buffer::new().format(pre.len()));
    }
    out.push_str("-->");
    if outcome.status == Status::Failed {
        // What the summary's list of failed steps links to.
        let _ = write!(
            out,
            "<a id=\"{}\"></a>",
            super::summary::anchor(&outcome.id)
        );
    }
    if outcome.hosts.is_empty() {
        status_line_onto(&mut out, outcome);
    } else {
        out.push_str(&super::hosts::status_line(outcome));
    }
    out.push_str(eol);
    let lang = if command.lang.is_empty() {
        "bash"
    } else {
        &*command.lang
    };
    if let Some(ran) = &outcome.ran {
        fenced(&mut out, prefix, &format!("{lang} {{rs=ran}}"), ran, eol);
    }
    if !outcome.output.is_empty() {
        fenced(&mut out, prefix, "text {rs=output}", &outcome.output, eol);
    }
    super::hosts::render(&mut out, prefix, eol, &outcome.hosts);
    super::attempts::render(&mut out, prefix, eol, lang, &outcome.earlier);
    for piece in [prefix, marker::CLOSE, "out-->", eol] {
        out.push_str(piece);
    }
    Edit {
        at: fence.insert_at as usize,
        len: 0,
        text: out,
    }
}

/// The reasons the status line explains, in the order it lists them.
const EXPLAINED: [Reason; 12] = [
    Reason::AllowedDestructive,
    Reason::ExampleMatches,
    Reason::ExampleDiffers,
    Reason::NotVerified,
    Reason::Verified,
    Reason::Mismatch,
    Reason::Expect,
    Reason::UnexpectedExit,
    Reason::Ignored,
    Reason::Restarted,
    Reason::CwdGone,
    Reason::AnswersFile,
];

/// What the status line adds for each reason that needs saying.
fn reason_note(reason: Reason) -> Option<&'static str> {
    Some(match reason {
        Reason::AllowedDestructive => "destructive, allowed by --allow-destructive",
        Reason::ExampleMatches => "output matches the example in the block",
        Reason::ExampleDiffers => "output differs from the example in the block",
        Reason::NotVerified => "expected output not verified (unattended)",
        Reason::Verified => "the operator confirmed the expected output",
        Reason::Mismatch => "the operator said the output did not match what was expected",
        Reason::Expect => "the output did not match `expect`",
        Reason::UnexpectedExit => "not the exit code `expect_exit` asks for",
        Reason::Ignored => "failure ignored by the operator",
        Reason::Restarted => "the shell ended; a new session went on from the last saved state",
        Reason::CwdGone => CWD_GONE,
        // A `manual` block the answers file said was done (or not).
        Reason::AnswersFile => ANSWERED_IN_FILE,
        Reason::Auto
        | Reason::Attribute
        | Reason::Timeout
        | Reason::Interrupted
        | Reason::Unfilled
        | Reason::Refused
        | Reason::Declined
        | Reason::Confirmed
        | Reason::NotNeeded
        | Reason::Entered
        | Reason::Only
        | Reason::Chosen
        | Reason::NotChosen
        | Reason::Waited
        | Reason::Endless
        | Reason::Edited => return None,
        Reason::Negative | Reason::OffTarget => return None,
    })
}

pub(super) fn status_line(o: &Outcome) -> String {
    let mut line = String::new();
    status_line_onto(&mut line, o);
    line
}

/// `status_line`, written onto the end of `line`.
fn status_line_onto(line: &mut String, o: &Outcome) {
    let time = clock(&o.at);
    let exit = o.exit.unwrap_or(0);
    // Written in place: this is made for every block at every full render.
    let _ = match o.status {
        _ if o.has(Reason::Unfilled) => {
            write!(line, "⛔ not run {time}: a placeholder has no value")
        }
        _ if o.has(Reason::Refused) => write!(
            line,
            "⛔ refused {time}: {} Nobody was there to confirm it",
            o.note
                .as_deref()
                .unwrap_or("it needs a person's confirmation.")
        ),
        _ if o.has(Reason::Declined) => {
            write!(line, "⏭️ not run {time}: the operator did not confirm it")
        }
        Status::Skipped => write!(line, "⏭️ skipped {time}"),
        Status::NotConfirmed if o.has(Reason::Endless) => write!(
            line,
            "⚠️ not run (unattended): it does not end by itself, and nobody was there to stop it"
        ),
        Status::NotConfirmed => write!(line, "⚠️ not run (unattended)"),
        Status::Done if o.has(Reason::Endless) => {
            line.push_str("✅ stopped after ");
            duration_onto(line, o.ms);
            write!(line, " (it does not end by itself) · {time}")
        }
        _ if o.has(Reason::Timeout) => {
            line.push_str("⏱️ timed out after ");
            duration_onto(line, o.ms);
            write!(line, " · {time}")
        }
        _ if o.has(Reason::Interrupted) => {
            line.push_str("⚠️ interrupted after ");
            duration_onto(line, o.ms);
            write!(line, " · {time}")
        }
        Status::Done if o.exit.is_none() => write!(line, "✅ done by hand {time}"),
        Status::Done => {
            let _ = write!(line, "✅ exit {exit} · ");
            duration_onto(line, o.ms);
            write!(line, " · {time}")
        }
        Status::Failed => {
            let _ = write!(line, "❌ exit {exit} · ");
            duration_onto(line, o.ms);
            write!(line, " · {time}")
        }
    };
    if o.has(Reason::Confirmed) {
        let _ = write!(line, " · {}", o.note.as_deref().unwrap_or("confirmed"));
    }
    // In a fixed order, whatever order the reasons were recorded in.
    // Values the answers file gave are said with the fills, below.
    for reason in EXPLAINED {
        if reason == Reason::AnswersFile && !o.fills.is_empty() {
            continue;
        }
        if let Some(note) = reason_note(reason).filter(|_| o.has(reason)) {
            line.push_str(" · ");
            line.push_str(note);
        }
    }
    // How what ran came to differ from the runbook: the operator's edit is
    // one thing, a placeholder's value another.
    if o.has(Reason::Edited) {
        line.push_str(" · edited by the operator");
    }
    // Typed values first, then the answers file's: each value is said to
    // come from where it came from, and no typed one is called the file's.
    for (origin, said) in [
        (Origin::Prompt, "filled"),
        (Origin::AnswersFile, "filled from the answers file"),
    ] {
        let fills: Vec<String> = o
            .fills
            .iter()
            .filter(|(token, _)| o.fill_origin(token) == origin)
            .map(|(token, value)| format!("{} = {}", code(token), code(value)))
            .collect();
        if !fills.is_empty() {
            let _ = write!(line, " · {said}: {}", fills.join(", "));
        }
    }
    if o.ran.is_some() {
        if !o.has(Reason::Edited) && o.fills.is_empty() {
            // Written before edits and fills were told apart.
            line.push_str(" · changed before it ran");
        }
        line.push_str(" · it ran as:");
    }
}

/// `text` as code in the HTML of a status line, `<` and `&` escaped.
fn code(text: &str) -> String {
    // One line: a line break would end the status line's HTML.
    let text = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace(['\n', '\r'], " ");
    format!("<code>{text}</code>")
}

pub(super) fn fenced(out: &mut String, prefix: &str, info: &str, body: &str, eol: &str) {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    // Most fences are short: taken from a run of backticks, not made.
    const TICKS: &str = "````````````````";
    let made;
    let fence = match TICKS.get(..longest.max(2) + 1) {
        Some(ticks) => ticks,
        None => {
            made = "`".repeat(longest.max(2) + 1);
            made.as_str()
        }
    };
    // Pushed piece by piece: every output of a run goes through here at
    // every save of its transcript, and the formatter costs more than this.
    for piece in [prefix, fence, info, eol] {
        out.push_str(piece);
    }
    for line in body.strip_suffix('\n').unwrap_or(body).split('\n') {
        if line.is_empty() {
            out.push_str(prefix.trim_end());
        } else {
            out.push_str(prefix);
            out.push_str(line);
        }
        out.push_str(eol);
    }
    for piece in [prefix, fence, eol] {
        out.push_str(piece);
    }
}

/// Backslash-escapes Markdown punctuation in text placed inline.
pub fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii_punctuation()
                && c != '.'
                && c != ','
                && c != '@'
                && c != ':'
                && c != '/'
                && c != '\''
                && c != '-' =>
            {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `0.02s`, `12.3s`, `4m 05s`.
pub fn duration(ms: u64) -> String {
    let mut out = String::new();
    duration_onto(&mut out, ms);
    out
}

/// `duration`, written onto the end of `out`.
fn duration_onto(out: &mut String, ms: u64) {
    let _ = if ms < 10_000 {
        write!(out, "{:.2}s", ms as f64 / 1000.0)
    } else if ms < 60_000 {
        write!(out, "{:.1}s", ms as f64 / 1000.0)
    } else {
        write!(out, "{}m {:02}s", ms / 60_000, (ms / 1000) % 60)
    };
}
