//! The run record as JUnit XML: one test case a step, so CI systems show a
//! runbook run as they show tests. quick-xml writes and escapes the suite;
//! the test cases, ten thousand for a long run, are written by `report::xml`.

use std::borrow::{Borrow, Cow};
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, Event};

use crate::record::{
    HostRecord, HostStatus, Kind, Reason, RunInfo, RunRecord, RunState, Status, StepRecord,
    Unfolded,
};

/// How many of a failed step's last output lines its `failure` holds.
const LAST_LINES: usize = 20;

/// How one step is reported.
enum Verdict {
    Passed,
    Failure { kind: &'static str, message: String },
    Error { kind: &'static str, message: String },
    Skipped { message: String },
}

/// `record` as a JUnit XML document: one `testsuite` for the run, one
/// `testcase` a block, blank or choice, and one a task with nothing inside
/// it (for a block run on a fleet, one a host). A task whose blocks and
/// fields are test cases is not one more, nor is a task that heads others:
/// a failure counts once. Placeholders count with their command.
pub fn junit(record: &RunRecord) -> String {
    let mut out = Vec::new();
    write_junit(record, &mut out).expect("writing XML to memory cannot fail");
    String::from_utf8(out).expect("the XML written is UTF-8")
}

/// `junit`, written to `out` as it is made. The record is the one its run
/// made, so intact.
pub fn write_junit(record: &RunRecord, out: impl Write) -> std::io::Result<()> {
    let has_parts: HashSet<&str> = record
        .steps
        .iter()
        .filter_map(|s| s.counts_as.as_deref().filter(|&u| u != s.id))
        .collect();
    write_suite(&record.run, true, &has_parts, record.steps.iter(), out)
}

/// `write_junit` of the record `unfolded` makes: each step's record made,
/// written and dropped in turn, so that they are never all held at once.
/// `intact`: the transcript read is the one its run wrote (its sha256).
pub fn write_junit_unfolded(
    unfolded: Unfolded,
    intact: bool,
    out: impl Write,
) -> std::io::Result<()> {
    let Unfolded { run, steps, .. } = unfolded;
    let parts = steps.with_parts();
    let has_parts: HashSet<&str> = parts.iter().map(String::as_str).collect();
    write_suite(&run, intact, &has_parts, steps, out)
}

/// The suite of the run `run` whose steps are `steps` (in document order),
/// `has_parts` the ids of the tasks whose parts are test cases of their own.
/// A run that has not ended, and a transcript that is not `intact`, are
/// each an `error` case ahead of the steps: neither reads as a pass.
fn write_suite<S: Borrow<StepRecord>>(
    run: &RunInfo,
    intact: bool,
    has_parts: &HashSet<&str>,
    steps: impl Iterator<Item = S>,
    out: impl Write,
) -> std::io::Result<()> {
    let suite_name = if run.source.is_empty() {
        "runbook".to_string()
    } else {
        run.source.clone()
    };
    let file_name = Path::new(&run.source)
        .file_name()
        .map_or_else(|| suite_name.clone(), |n| n.to_string_lossy().into_owned());
    // The runbook's path, as every case's `file` attribute holds it.
    let mut source = Vec::new();
    super::xml::attr(&mut source, &run.source);
    // The suite's counts come before its test cases: the cases are written
    // first, apart (as they sit in the document, two elements in), then put
    // in place.
    let mut cases = Vec::new();
    let mut tally = Tally::default();
    for (kind, name, message) in run_errors(run, intact) {
        tally.tests += 1;
        tally.errors += 1;
        run_case(&mut cases, &file_name, &source, [name, kind, message]);
    }
    for step in steps {
        let step = step.borrow();
        tally.steps_ms += step.attempts.last().map_or(0, |a| a.duration_ms);
        if step.kind == Kind::Placeholder
            || step.counts_as.is_none()
            || has_parts.contains(step.id.as_str())
        {
            continue;
        }
        self::cases(step, |c| {
            tally.count(&c.verdict);
            case(&mut cases, &c, &file_name, &source);
        });
    }
    let [tests, failures, errors, skipped] =
        [tally.tests, tally.failures, tally.errors, tally.skipped].map(|n| n.to_string());
    let time = seconds(run_ms(run, tally.steps_ms));
    let host = run.operator.split_once('@').map_or("", |(_, h)| h);

    let mut w = Writer::new_with_indent(out, b' ', 2);
    (|| -> std::io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("testsuites")
            .with_attributes([
                ("name", "runsheet"),
                ("tests", tests.as_str()),
                ("failures", failures.as_str()),
                ("errors", errors.as_str()),
                ("skipped", skipped.as_str()),
                ("time", time.as_str()),
            ])
            .write_inner_content(|w| {
                w.create_element("testsuite")
                    .with_attributes([
                        ("name", xml(&suite_name).as_ref()),
                        ("id", xml(&run.id).as_ref()),
                        ("timestamp", xml(&run.started).as_ref()),
                        ("hostname", xml(host).as_ref()),
                        ("tests", tests.as_str()),
                        ("failures", failures.as_str()),
                        ("errors", errors.as_str()),
                        ("skipped", skipped.as_str()),
                        ("time", time.as_str()),
                    ])
                    .write_inner_content(|w| {
                        properties(w, run)?;
                        // After the properties, the writer is where the
                        // cases were written as if from: a line to break.
                        w.get_mut().write_all(&cases)
                    })?;
                Ok(())
            })?;
        Ok(())
    })()?;
    w.into_inner().write_all(b"\n")
}

/// The suite's counts, and its steps' time together.
#[derive(Default)]
struct Tally {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    steps_ms: u64,
}

impl Tally {
    fn count(&mut self, verdict: &Verdict) {
        self.tests += 1;
        match verdict {
            Verdict::Passed => {}
            Verdict::Failure { .. } => self.failures += 1,
            Verdict::Error { .. } => self.errors += 1,
            Verdict::Skipped { .. } => self.skipped += 1,
        }
    }
}

/// The run's facts an auditor asks for, as suite properties.
fn properties<W: Write>(w: &mut Writer<W>, run: &RunInfo) -> std::io::Result<()> {
    let mut props: Vec<(String, String)> = vec![
        ("runsheet.run".into(), run.id.clone()),
        ("runsheet.source".into(), run.source.clone()),
        ("runsheet.sha256".into(), run.sha256.clone()),
        ("runsheet.operator".into(), run.operator.clone()),
        ("runsheet.mode".into(), run.mode.word().into()),
        ("runsheet.state".into(), run.state.word().into()),
        ("runsheet.started".into(), run.started.clone()),
    ];
    if let Some(f) = &run.finished {
        props.push(("runsheet.finished".into(), f.clone()));
    }
    if let Some(t) = &run.template {
        props.push(("runsheet.template".into(), t.path.clone()));
    }
    if let Some(env) = &run.env {
        props.push(("runsheet.env".into(), env.clone()));
    }
    for (k, v) in &run.vars {
        props.push((format!("runsheet.var.{k}"), v.clone()));
    }
    w.create_element("properties").write_inner_content(|w| {
        for (name, value) in &props {
            w.create_element("property")
                .with_attributes([("name", xml(name).as_ref()), ("value", xml(value).as_ref())])
                .write_empty()?;
        }
        Ok(())
    })?;
    Ok(())
}

/// One `testcase`: a step, or a fleet block on one host.
struct Case<'a> {
    step: &'a StepRecord,
    /// The host, for a fleet block.
    host: Option<&'a str>,
    ms: u64,
    output: &'a str,
    verdict: Verdict,
}

/// The test cases of `step`, each given to `each`: one, or for a block run
/// on a fleet one a host, so a CI system shows which hosts failed.
fn cases<'a>(step: &'a StepRecord, mut each: impl FnMut(Case<'a>)) {
    if step.hosts.is_empty() {
        each(Case {
            step,
            host: None,
            ms: step.attempts.last().map_or(0, |a| a.duration_ms),
            output: step.attempts.last().map_or("", |a| a.output.as_str()),
            verdict: verdict(step),
        });
    }
    for h in &step.hosts {
        each(Case {
            step,
            host: Some(&h.host),
            ms: h.duration_ms,
            output: &h.output,
            verdict: host_verdict(h),
        });
    }
}

/// How a fleet block is reported on one host.
fn host_verdict(h: &HostRecord) -> Verdict {
    let on = |what: String| match &h.note {
        Some(note) => format!("{what} on {}: {note}", h.host),
        None => format!("{what} on {}", h.host),
    };
    match h.status {
        HostStatus::Done => Verdict::Passed,
        HostStatus::Failed => {
            let (kind, what) = if h.reasons.contains(&Reason::Timeout) {
                ("timeout", "timed out".to_string())
            } else if h.reasons.contains(&Reason::Interrupted) {
                ("interrupted", "interrupted".to_string())
            } else if h.reasons.contains(&Reason::Refused) {
                ("refused", "refused".to_string())
            } else if let Some(code) = h.exit {
                ("exit", format!("exit {code}"))
            } else {
                ("failed", "failed".to_string())
            };
            Verdict::Failure {
                kind,
                message: on(what),
            }
        }
        HostStatus::Lost => Verdict::Error {
            kind: "lost",
            message: on("connection lost while the block ran (it may have finished)".into()),
        },
        HostStatus::Unreachable => Verdict::Error {
            kind: "unreachable",
            message: on("unreachable".into()),
        },
        HostStatus::Skipped | HostStatus::Stopped => Verdict::Skipped {
            message: on(format!("not run ({})", h.status.word())),
        },
    }
}

/// What makes the run itself an error: `(type, test case name, message)`.
fn run_errors(run: &RunInfo, intact: bool) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut errors = Vec::new();
    if run.state == RunState::Running {
        errors.push((
            "unfinished",
            "the run",
            "the run has not ended: its transcript says `running` (copied while the run went on, \
             or the runsheet running it was killed); its steps so far are not how it ended",
        ));
    }
    if !intact {
        errors.push((
            "edited",
            "the transcript",
            "the transcript is not the record its run wrote: what is left once runsheet's markers \
             are taken out is not the runbook the run recorded (its sha256 differs), so steps may \
             be missing or altered",
        ));
    }
    errors
}

/// One `testcase` for the run as a whole, named `name`, an `error` of
/// type `kind`; written as `case` writes a step's.
fn run_case(out: &mut Vec<u8>, file_name: &str, source: &[u8], [name, kind, message]: [&str; 3]) {
    use super::xml::{attr, attribute};
    out.extend_from_slice(b"\n    <testcase classname=\"");
    attr(out, file_name);
    out.extend_from_slice(b"\" name=\"");
    attr(out, name);
    out.extend_from_slice(b"\" time=\"0.000\" file=\"");
    out.extend_from_slice(source);
    out.extend_from_slice(b"\">\n      <error");
    attribute(out, "message", message);
    attribute(out, "type", kind);
    out.extend_from_slice(b"/>\n    </testcase>");
}

/// One `testcase` element onto `out`, as quick-xml's indenting writer
/// writes it two elements in; `source` is the runbook's path as an
/// attribute value holds it.
fn case(out: &mut Vec<u8>, c: &Case, file_name: &str, source: &[u8]) {
    use super::xml::{attr, attribute, number, seconds, text};
    let (step, verdict, output) = (c.step, &c.verdict, c.output);
    out.extend_from_slice(b"\n    <testcase classname=\"");
    if step.heading.is_empty() {
        attr(out, file_name);
    } else {
        // Escaped part by part: what the separator holds needs none.
        for (n, part) in step.heading.iter().enumerate() {
            if n > 0 {
                out.extend_from_slice(" › ".as_bytes());
            }
            attr(out, part);
        }
    }
    out.extend_from_slice(b"\" name=\"");
    attr(
        out,
        if step.text.trim().is_empty() {
            step.id.as_str()
        } else {
            step.text.as_str()
        },
    );
    if let Some(host) = c.host {
        out.extend_from_slice(b" [");
        attr(out, host);
        out.push(b']');
    }
    out.extend_from_slice(b"\" time=\"");
    seconds(out, c.ms);
    out.extend_from_slice(b"\" file=\"");
    out.extend_from_slice(source);
    out.extend_from_slice(b"\" line=\"");
    number(out, step.line as u64);
    out.push(b'"');
    if matches!(verdict, Verdict::Passed) && output.is_empty() {
        out.extend_from_slice(b"/>");
        return;
    }
    out.push(b'>');
    match verdict {
        Verdict::Passed => {}
        Verdict::Failure { kind, message } | Verdict::Error { kind, message } => {
            let tag: &[u8] = if matches!(verdict, Verdict::Error { .. }) {
                b"error"
            } else {
                b"failure"
            };
            out.extend_from_slice(b"\n      <");
            out.extend_from_slice(tag);
            attribute(out, "message", message);
            attribute(out, "type", kind);
            if output.is_empty() {
                out.extend_from_slice(b"/>");
            } else {
                out.push(b'>');
                text(out, &last_lines(output));
                out.extend_from_slice(b"</");
                out.extend_from_slice(tag);
                out.push(b'>');
            }
        }
        Verdict::Skipped { message } => {
            out.extend_from_slice(b"\n      <skipped");
            attribute(out, "message", message);
            out.extend_from_slice(b"/>");
        }
    }
    if !output.is_empty() {
        out.extend_from_slice(b"\n      <system-out>");
        text(out, output);
        out.extend_from_slice(b"</system-out>");
    }
    out.extend_from_slice(b"\n    </testcase>");
}

fn verdict(step: &StepRecord) -> Verdict {
    let has = |r: Reason| step.reasons.contains(&r);
    let exit = step.attempts.last().and_then(|a| a.exit);
    let with_note = |text: String| match &step.note {
        Some(note) => format!("{text}: {note}"),
        None => text,
    };
    match step.status {
        Some(Status::Done) => Verdict::Passed,
        None if step.off_path => Verdict::Skipped {
            message: match (&step.option, &step.section, step.contingency) {
                (Some(option), _, _) => {
                    format!("off the run's path: the option `{option}` was not taken")
                }
                (None, Some(section), Some(_)) => {
                    format!(
                        "off the run's path: the contingency section `{section}` was not called for"
                    )
                }
                _ => "off the run's path: outside the section the run was limited to".into(),
            },
        },
        None => Verdict::Skipped {
            message: "not reached".into(),
        },
        Some(Status::Failed) if has(Reason::Refused) => Verdict::Error {
            kind: "refused",
            message: with_note("refused: it needs a person's confirmation".into()),
        },
        Some(Status::Failed) => {
            let (kind, what) = if has(Reason::Timeout) {
                ("timeout", "timed out".to_string())
            } else if has(Reason::Interrupted) {
                ("interrupted", "interrupted".to_string())
            } else if has(Reason::Unfilled) {
                (
                    "unfilled",
                    "not run: a placeholder has no value".to_string(),
                )
            } else if has(Reason::Mismatch) {
                (
                    "mismatch",
                    "the output did not match what was expected".to_string(),
                )
            } else if has(Reason::Expect) {
                ("expect", "the output did not match `expect`".to_string())
            } else if let Some(code) = exit {
                ("exit", format!("exit {code}"))
            } else {
                ("failed", "failed".to_string())
            };
            Verdict::Failure {
                kind,
                message: with_note(what),
            }
        }
        Some(Status::Skipped) => {
            let why = if has(Reason::Declined) {
                "skipped: not confirmed when asked"
            } else if has(Reason::Attribute) {
                "skipped: its fence says `skip`"
            } else {
                "skipped"
            };
            Verdict::Skipped {
                message: with_note(why.into()),
            }
        }
        Some(Status::NotConfirmed) => Verdict::Skipped {
            message: match step.kind {
                Kind::Blank | Kind::Choice => "not answered (unattended run)".into(),
                _ => "not confirmed (unattended run)".into(),
            },
        },
    }
}

/// The last lines of a failed step's output.
fn last_lines(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    let from = lines.len().saturating_sub(LAST_LINES);
    let mut out = lines[from..].join("\n");
    if from > 0 {
        out = format!("[… {from} lines before]\n{out}");
    }
    out
}

/// How long the run took: from its start to its end, never less than its
/// steps' sum (the summary's times are whole seconds, so a run within one
/// second would otherwise take no time while its test cases do).
fn run_ms(run: &RunInfo, steps_ms: u64) -> u64 {
    run.wall_ms().map_or(steps_ms, |wall| wall.max(steps_ms))
}

/// Milliseconds as JUnit's seconds.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// `text` with what XML 1.0 cannot hold at all (control characters other
/// than tab and line ends, U+FFFE, U+FFFF) replaced; escaping `<`, `&` and
/// quotes is quick-xml's.
pub(super) fn xml(text: &str) -> Cow<'_, str> {
    let bad = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}')
    };
    // Those are ASCII control bytes, or start with the byte 0xEF: text
    // with neither (nearly all) is looked at byte by byte, not char by char.
    let maybe_bad = text
        .bytes()
        .any(|b| (b < b' ' && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF);
    if maybe_bad && text.contains(bad) {
        Cow::Owned(text.replace(bad, "\u{fffd}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_xml_cannot_hold_is_replaced_and_times_are_seconds() {
        assert_eq!(xml("a\u{1b}[31mb\tc"), "a\u{fffd}[31mb\tc");
        // U+FFFE and U+FFFF start with the byte 0xEF, as other characters
        // do (U+FB01 `ﬁ`): those stay, and text without any is not copied.
        assert_eq!(xml("ﬁ\u{fffe}x\u{ffff}"), "ﬁ\u{fffd}x\u{fffd}");
        assert!(matches!(xml("ﬁne\r\n½"), Cow::Borrowed("ﬁne\r\n½")));
        assert_eq!(seconds(2_005), "2.005");
        assert_eq!(seconds(0), "0.000");
        let many: String = (1..=25).map(|n| format!("line {n}\n")).collect();
        let last = last_lines(&many);
        assert!(last.starts_with("[… 5 lines before]\nline 6\n"), "{last}");
        assert!(last.ends_with("line 25"), "{last}");
    }
}
