//! Any document, every step given an outcome, rendered into a transcript:
//! reading the transcript back must give the document byte for byte and the
//! same outcomes.
//!
//! The document is taken as `run` takes it: a transcript is stripped first.
//!
//! Input: the document, then optionally a NUL byte and "knob" bytes that pick
//! each step's status, exit code, output, note and value. A document holds no
//! NUL (runsheet refuses such files as binary), so the seeds are plain
//! Markdown files and the fuzzer is free to grow the knobs.

use std::collections::HashMap;
use std::path::Path;

use runsheet::doc::{StepKind, parse};
use runsheet::exec::capture;
use runsheet::record::{Mode, Outcome, Reason, RunInfo, RunState, Status, section_id};
use runsheet::source::Source;
use runsheet::transcript::{read, render, sha256};

const STATUSES: [Status; 4] = [
    Status::Done,
    Status::Failed,
    Status::Skipped,
    Status::NotConfirmed,
];

/// Outputs a block might print; index 7 is the document itself (`cat runbook.md`).
const OUTPUTS: [&str; 7] = [
    "",
    "hi\n",
    "no newline at end",
    "line one\n\n```\n<!--rs:out id=s1 status=done-->\n<!--/rs:out-->\n",
    "~~~\n````text {rs=output}\n- [ ] not a step\n    indented\n> quoted\n",
    "<!--/rs:task--> <!--rs:fill id=s2 status=done n=3 was=___--> ] [x]\n\n\n",
    "  leading spaces\n\ttab\n`` ` ``\n-->\n",
];

const NOTES: [&str; 4] = [
    "ok",
    "checked by hand --> ok | `x` *y*\nsecond line",
    "100% done, key=value \"quoted\" <b>",
    "-- - -",
];

const VALUES: [&str; 6] = [
    "Yes",
    "GO",
    "a|b `c` --> d\ne",
    "2026-11-21T05:11:02Z",
    "``",
    "[x] <!--rs:task-->",
];

const HOWS: [&[Reason]; 5] = [
    &[],
    &[Reason::Auto],
    &[Reason::Timeout],
    &[Reason::Interrupted, Reason::Ignored],
    &[Reason::Restarted, Reason::NotVerified],
];

/// Picks fields from the knob bytes; the document itself is the last resort
/// for text, so outputs and answers can hold whatever the document holds.
struct Knobs<'a> {
    bytes: &'a [u8],
    doc: &'a str,
}

impl Knobs<'_> {
    fn byte(&self, n: usize) -> u8 {
        if self.bytes.is_empty() {
            // No knobs: vary by position, as the unit tests do.
            (n.wrapping_mul(37) % 251) as u8
        } else {
            self.bytes[n % self.bytes.len()]
        }
    }

    /// A slice of the document, on character boundaries.
    fn excerpt(&self, a: u8, b: u8) -> &str {
        let len = self.doc.len();
        if len == 0 {
            return "";
        }
        let mut from = usize::from(a) * len / 256;
        let mut to = (from + usize::from(b) * 8).min(len);
        while !self.doc.is_char_boundary(from) {
            from -= 1;
        }
        while !self.doc.is_char_boundary(to) {
            to += 1;
        }
        &self.doc[from..to]
    }

    /// What became of section `n`, if anything: passed over, entered (and
    /// why), run alone, an option chosen or not.
    fn section(&self, n: usize) -> Option<Outcome> {
        let a = self.byte(7 * n + 5);
        let b = self.byte(7 * n + 6);
        let (status, reason) = match a % 6 {
            0 => return None,
            1 => (Status::Skipped, Reason::NotNeeded),
            2 => (Status::Done, Reason::Entered),
            3 => (Status::Done, Reason::Only),
            4 => (Status::Done, Reason::Chosen),
            _ => (Status::Skipped, Reason::NotChosen),
        };
        let mut o = Outcome::new(section_id(n), status).because(reason);
        if a & 0x40 != 0 {
            o.at = "2026-11-21T05:11:02Z".into();
        }
        if a & 0x80 != 0 {
            o.value = Some(match b & 3 {
                0 => NOTES[usize::from(b >> 2) % NOTES.len()].to_string(),
                _ => self.excerpt(b, a).to_string(),
            });
        }
        Some(o)
    }

    fn outcome(&self, id: String, kind: &StepKind, n: usize) -> Outcome {
        let a = self.byte(3 * n);
        let b = self.byte(3 * n + 1);
        let c = self.byte(3 * n + 2);
        let mut o = Outcome::new(id, STATUSES[usize::from(a & 3)]);
        if a & 4 != 0 {
            o.at = "2026-11-21T05:11:02Z".into();
        }
        match kind {
            StepKind::Command(_) => {
                o.exit = match (a >> 3) & 7 {
                    0 => None,
                    1 => Some(-1),
                    2 => Some(i32::MAX),
                    3 => Some(255),
                    k => Some(i32::from(k) - 4),
                };
                o.ms = u64::from(b) * u64::from(c) * 97;
                o.reasons = HOWS[usize::from(c) % HOWS.len()].to_vec();
                let raw = match usize::from(b >> 4) {
                    k if k < OUTPUTS.len() => OUTPUTS[k].to_string(),
                    _ => self.excerpt(b, c).to_string(),
                };
                // What a block prints reaches the transcript cleaned.
                o.output = capture::clean(raw.as_bytes());
                if a & 0x40 != 0 {
                    // As an editor saves it: whole lines.
                    let mut ran = capture::clean(self.excerpt(c, b).as_bytes());
                    if c & 1 == 0 || ran.trim().is_empty() {
                        ran = "echo edited".into();
                    }
                    if !ran.ends_with('\n') {
                        ran.push('\n');
                    }
                    o.ran = Some(ran);
                }
                if c & 0x30 != 0 {
                    o.fills = vec![("<tag>".into(), self.excerpt(a, c).to_string())];
                }
                // Earlier attempts, newest first, with the document's text in
                // what they printed and ran.
                for k in 0..usize::from((c >> 6) & 3) {
                    let mut before = Outcome::new(o.id.clone(), STATUSES[(k + usize::from(b)) % 4]);
                    before.exit = Some(i32::from(b) - 3);
                    before.ms = u64::from(c);
                    before.reasons = HOWS[(usize::from(a) + k) % HOWS.len()].to_vec();
                    before.output = capture::clean(self.excerpt(c, a).as_bytes());
                    if k == 1 {
                        before.ran = Some("echo <try> `x` -->\n".into());
                    }
                    o.earlier.push(before);
                }
            }
            _ => {
                if a & 0x40 != 0 {
                    o.note = Some(match b & 7 {
                        k if usize::from(k) < NOTES.len() => NOTES[usize::from(k)].to_string(),
                        _ => self.excerpt(b, c).to_string(),
                    });
                }
                if a & 0x80 != 0 {
                    o.value = Some(match c & 7 {
                        k if usize::from(k) < VALUES.len() => VALUES[usize::from(k)].to_string(),
                        _ => self.excerpt(c, b).to_string(),
                    });
                }
            }
        }
        o
    }
}

/// Checks one input; panics on a round trip that is not exact.
pub fn check(input: &[u8]) {
    let (doc, knobs) = match input.iter().position(|&b| b == 0) {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => (input, &[][..]),
    };
    let Ok(raw) = std::str::from_utf8(doc) else {
        return;
    };
    let path = Path::new("fuzz.md");
    // What `run` does first: a transcript given as the runbook is run as the
    // source it was made from; a document with damaged markers is refused.
    let doc = match read(path, raw) {
        Err(_) => return,
        Ok(t) if t.info.is_some() => t.source,
        // Markers without a run summary: `run` refuses such a document.
        Ok(t) if t.stray_markers => return,
        Ok(t) if t.source != raw || !t.outcomes.is_empty() => return,
        Ok(_) => raw.to_string(),
    };
    let doc = doc.as_str();
    let source = Source::from_text(path, doc.to_string());
    let book = parse(&source);
    let knobs = Knobs { bytes: knobs, doc };
    let mut outcomes: HashMap<String, Outcome> = book
        .steps
        .iter()
        .filter(|s| s.placeholder().is_none())
        .enumerate()
        .map(|(n, s)| (s.id(), knobs.outcome(s.id(), &s.kind, n)))
        .collect();
    // Lines about whole sections, under their headings.
    let sections: Vec<Outcome> = (0..book.sections.len())
        .filter_map(|n| knobs.section(n))
        .collect();
    for o in &sections {
        outcomes.insert(o.id.clone(), o.clone());
    }
    let info = RunInfo {
        id: "fuzz".into(),
        source: "fuzz.md".into(),
        // As `run` records it: what the run began with.
        sha256: sha256(doc),
        state: RunState::Complete,
        mode: Mode::Unattended,
        ..RunInfo::default()
    };
    let rendered = render(&source, &book, &outcomes, &info);
    // For triage: `RUNSHEET_FUZZ_DUMP=dir` keeps the document and transcript.
    if let Some(dir) = std::env::var_os("RUNSHEET_FUZZ_DUMP") {
        let dir = Path::new(&dir);
        let _ = std::fs::write(dir.join("document.md"), doc);
        let _ = std::fs::write(dir.join("transcript.md"), &rendered);
    }
    let back = match read(Path::new("fuzz.run.md"), &rendered) {
        Ok(back) => back,
        Err(e) => panic!(
            "the transcript does not read back: {e}\n{}",
            show(doc, &rendered)
        ),
    };
    assert!(
        back.source == doc,
        "strip is not byte-exact; stripped: {:?}\n{}",
        clip(&back.source),
        show(doc, &rendered)
    );
    assert_eq!(
        back.info.as_ref().map(|i| i.id.as_str()),
        Some("fuzz"),
        "run summary lost\n{}",
        show(doc, &rendered)
    );
    for want in &sections {
        let got = back.outcomes.get(&want.id);
        assert_eq!(
            got.map(|o| (o.status, &o.reasons, &o.value)),
            Some((want.status, &want.reasons, &want.value)),
            "section {} came back different\n{}",
            want.id,
            show(doc, &rendered)
        );
    }
    for step in &book.steps {
        let id = step.id();
        let Some(want) = outcomes.get(&id) else {
            continue;
        };
        let Some(got) = back.outcomes.get(&id) else {
            panic!("outcome of {id} lost\n{}", show(doc, &rendered));
        };
        assert_eq!(
            (got.status, got.exit, &got.reasons),
            (want.status, want.exit, &want.reasons),
            "{id} came back different\n{}",
            show(doc, &rendered)
        );
        match &step.kind {
            StepKind::Command(_) => {
                assert_eq!(
                    (got.output.trim_end(), &got.ran, &got.fills),
                    (want.output.trim_end(), &want.ran, &want.fills),
                    "{id}: output or edited command came back different\n{}",
                    show(doc, &rendered)
                );
                let attempts = |o: &Outcome| -> Vec<(Status, Option<i32>, String, Option<String>)> {
                    o.earlier
                        .iter()
                        .map(|e| {
                            (
                                e.status,
                                e.exit,
                                e.output.trim_end().to_string(),
                                e.ran.clone(),
                            )
                        })
                        .collect()
                };
                assert_eq!(
                    attempts(got),
                    attempts(want),
                    "{id}: earlier attempts came back different\n{}",
                    show(doc, &rendered)
                );
            }
            StepKind::Task(_) => assert_eq!(
                got.note,
                want.note,
                "{id}: note came back different\n{}",
                show(doc, &rendered)
            ),
            StepKind::Blank(_) | StepKind::Choice(_) => assert_eq!(
                got.value,
                want.value,
                "{id}: answer came back different\n{}",
                show(doc, &rendered)
            ),
            StepKind::Placeholder(_) => {}
        }
    }
}

/// The start of a long text, for failure messages people can read.
fn clip(text: &str) -> &str {
    let mut end = text.len().min(3000);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn show(doc: &str, rendered: &str) -> String {
    format!(
        "--- document ({} bytes):\n{:?}\n--- transcript ({} bytes):\n{}",
        doc.len(),
        clip(doc),
        rendered.len(),
        clip(rendered)
    )
}
