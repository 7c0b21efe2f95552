//! The transcript: the source with runsheet's annotations at the parser's spans.
//!
//! Every annotation sits between `<!--rs:KIND ...-->` and `<!--/rs:KIND-->`, so
//! `read` can take them out again and give back the source byte for byte.

mod attempts;
mod attrs;
mod fill;
mod hosts;
pub mod journal;
mod layout;
pub mod marker;
mod parsed;
mod pieces;
pub mod read;
mod rekey;
mod section;
mod splice;
mod summary;
pub mod write;

use std::collections::HashMap;
use std::path::Path;

use crate::config::Config;
use crate::doc::{Depth, Runbook};
use crate::error::{Error, Result};
use crate::linemap::LineMap;
use crate::record::{Outcome, RunInfo, RunRecord};
use crate::source::Source;
pub use crate::source::sha256;

pub use pieces::Rendered;
pub use read::{Transcript, read, read_written};
pub use rekey::{Unplaced, Why, rekey};
pub use splice::{Span, Spliced};
pub use write::render;

/// Version of the transcript format, recorded in the run marker.
pub const FORMAT_VERSION: u32 = 1;

/// The run record of the transcript at `path` whose text is `text`: the one
/// way from a transcript to what its run did. `config` gives the fence
/// languages runsheet.toml adds, so the steps are the ones the run walked.
pub fn record(path: &Path, text: &str, config: &Config) -> Result<(Source, RunRecord)> {
    let run = run_of(path, text, config)?;
    let record = RunRecord::of_outcomes(run.info, &run.book, run.outcomes);
    Ok((run.source, record))
}

/// What `record` makes a run record of: the transcript read back and the
/// runbook its run walked. A report made a step at a time
/// (`record::Unfolded`) starts from here.
pub struct Run {
    /// The runbook, markers taken out.
    pub source: Source,
    /// Its steps, as the run walked them.
    pub book: Runbook,
    pub info: RunInfo,
    pub outcomes: HashMap<String, Outcome>,
    /// Whether the text read back is the runbook the run recorded (its
    /// sha256): false for a transcript edited, cut short or converted since
    /// its run wrote it, whose record may miss or alter what the run did.
    pub intact: bool,
}

/// The run the transcript at `path` (text `text`) records, before it is
/// made a record (see `record`).
pub fn run_of(path: &Path, text: &str, config: &Config) -> Result<Run> {
    // The runbook the transcript names, where it is and as the run began
    // with it, is parsed on a second core while this one reads the markers;
    // it is used if the markers give back the same text. Otherwise what
    // the parser builds on first use is built there meanwhile.
    let (read, early) = std::thread::scope(|s| {
        let early = s.spawn(|| match unchanged_runbook(text) {
            Some(source) => Some(parse(source, config)),
            None => {
                crate::doc::warm_up(Depth::Steps);
                None
            }
        });
        let read = read(path, text);
        (read, early.join().ok().flatten())
    });
    let read = read?;
    let Some(info) = read.info else {
        return Err(Error::Transcript {
            path: path.into(),
            message: "this is not a runsheet transcript (it has no run summary)".into(),
        });
    };
    // The runbook read early has the recorded sha256: the same text does.
    let (source, book, intact) = match early {
        // A template's rendering is numbered by the template's lines.
        Some((source, book))
            if source.path.as_os_str() == info.source.as_str()
                && source.text == read.source
                && info.template.is_none() =>
        {
            (source, book, true)
        }
        _ => {
            let intact = sha256(&read.source) == info.sha256;
            let (source, book) = parse(
                runbook_source(Path::new(&info.source), read.source, &info),
                config,
            );
            (source, book, intact)
        }
    };
    Ok(Run {
        source,
        book,
        info,
        outcomes: read.outcomes,
        intact,
    })
}

/// The runbook a transcript holds (`text`, its markers taken out), named
/// `named`, as the run summary `info` says it: its lines are the
/// template's when the run was rendered from one (the summary's `lines`).
pub fn runbook_source(named: &Path, text: String, info: &RunInfo) -> Source {
    let source = Source::from_text(named, text);
    let lines = info
        .template
        .as_ref()
        .and_then(|t| t.lines.as_deref())
        .and_then(|lines| LineMap::decode(lines, source.line_count()));
    source.with_origin(lines)
}

/// The steps of `source`, as a run with `config` walks them: only the
/// steps, since a record reads nothing else of them (not what the guard
/// or the checks of a document find).
fn parse(source: Source, config: &Config) -> (Source, Runbook) {
    let mut book = crate::doc::parse_to(&source, &config.runners, Depth::Steps);
    crate::doc::configure(&mut book, &config.contingency);
    (source, book)
}

/// The runbook the first run summary in `text` names, read from where that
/// names it, if it is the text the run began with (its sha256 is the one
/// the summary records) and no longer than the transcript that holds it.
pub fn unchanged_runbook(text: &str) -> Option<Source> {
    let at = text.find("<!--rs:run ")?;
    let m = marker::parse_open(&text[at..])?;
    let (name, sha) = (m.get("source")?, m.get("sha256")?);
    // Looked at before it is opened: a pipe or a device is not read.
    let meta = std::fs::metadata(name).ok()?;
    if !meta.is_file() || meta.len() > text.len() as u64 {
        return None;
    }
    let runbook = std::fs::read_to_string(name).ok()?;
    (sha256(&runbook) == sha).then(|| Source::from_text(Path::new(name), runbook))
}

/// Whether `text`, whose sha256 is `digest`, is byte for byte the
/// transcript a save of the run its first run summary names last wrote:
/// the sha256 that save noted in the run's state.
pub fn stamped(text: &str, digest: &str) -> bool {
    let Some(m) = text
        .find("<!--rs:run ")
        .and_then(|at| marker::parse_open(&text[at..]))
    else {
        return false;
    };
    let Some(stamp) = m.get("id").and_then(crate::state::stamp_of) else {
        return false;
    };
    std::fs::read_to_string(stamp).is_ok_and(|s| !s.is_empty() && s == digest)
}

/// The runbook path the first run summary in `text` names, found without
/// reading the transcript: where to look for the runbook's runsheet.toml.
pub fn recorded_source(text: &str) -> Option<String> {
    let at = text.find("<!--rs:run ")?;
    let m = marker::parse_open(&text[at..])?;
    m.get("source").map(str::to_string)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;
    use crate::doc::parse;
    use crate::record::{Mode, Outcome, RunInfo, RunState, Status};

    pub(super) fn outcome_for(id: String, command: bool, n: usize) -> Outcome {
        let mut o = Outcome::new(
            id,
            [
                Status::Done,
                Status::Failed,
                Status::Skipped,
                Status::NotConfirmed,
            ][n % 4],
        );
        if command {
            o.exit = Some(n as i32 % 3);
            o.ms = 20 * n as u64;
            o.output = match n % 3 {
                0 => String::new(),
                1 => "line one\n\n```\n<!--rs:out id=s1 status=done-->\n<!--/rs:out-->\n".into(),
                _ => "no newline at end".into(),
            };
            if n % 5 == 1 {
                o.ran = Some("echo edited\n".into());
            }
            // Placeholders, some typed and some from the answers file.
            let fill = |t: &str, v: &str, f: bool| (t.to_string(), v.to_string(), f);
            o.set_fills(&[
                fill("<host,a>", "web-1, --> 2", n.is_multiple_of(2)),
                fill("<port>", "8080", n.is_multiple_of(3)),
            ]);
            if n % 4 == 1 {
                // An earlier attempt that printed something marker-like.
                let mut before = Outcome::new(o.id.clone(), Status::Failed);
                before.exit = Some(2);
                before.output =
                    "<!--rs:try id=x status=done-->\n```\n<!--rs:earlier-end--></details>\n".into();
                before.ran = Some("echo first <try>\n".into());
                before.set_fills(&[
                    ("<host,a>".into(), "web-0".into(), false),
                    ("<port>".into(), "80".into(), true),
                ]);
                o = o.after(before);
            }
        } else if n % 2 == 1 {
            o.note = Some("checked by hand --> ok | `x` *y*\nsecond line".into());
        }
        if !command && n % 3 != 2 {
            o.value = Some(["Yes", "GO", "a|b `c` --> d\ne"][n % 3].into());
        }
        o
    }

    /// A made-up outcome for every step but placeholders (filled with their command).
    pub(super) fn outcomes_for(book: &crate::doc::Runbook) -> HashMap<String, Outcome> {
        book.steps
            .iter()
            .filter(|s| s.placeholder().is_none())
            .enumerate()
            .map(|(n, s)| (s.id(), outcome_for(s.id(), s.command().is_some(), n)))
            .collect()
    }

    /// Renders every step of `text` with a made-up outcome, then reads it back.
    fn round_trip(text: &str) {
        let source = Source::from_text(Path::new("t.md"), text.to_string());
        let book = parse(&source);
        let outcomes = outcomes_for(&book);
        let info = RunInfo {
            id: "r1".into(),
            source: "t.md".into(),
            state: RunState::Complete,
            ..RunInfo::default()
        };
        let rendered = render(&source, &book, &outcomes, &info);
        pieces_match(&source, &book, &outcomes, &info, &rendered);
        assert!(
            reads_the_same_by_layout(&source, &book, &outcomes),
            "{text:?}"
        );
        assert_ne!(rendered, text);
        let back = read(Path::new("t.md"), &rendered).unwrap();
        assert_eq!(
            back.source, text,
            "strip is not byte-exact for:\n{rendered}"
        );
        assert_eq!(back.info.unwrap().id, "r1");
        for (id, o) in &outcomes {
            let got = &back.outcomes[id];
            assert_eq!(
                (got.status, got.exit, &got.note, &got.ran),
                (o.status, o.exit, &o.note, &o.ran),
                "{id}"
            );
            assert_eq!(
                (&got.fills, &got.fills_from_file, &got.reasons),
                (&o.fills, &o.fills_from_file, &o.reasons),
                "{id}"
            );
            assert_eq!(got.output.trim_end(), o.output.trim_end(), "{id}");
            assert_eq!(got.earlier.len(), o.earlier.len(), "{id}");
            for (g, e) in got.earlier.iter().zip(&o.earlier) {
                assert_eq!(
                    (g.status, g.exit, &g.ran, &g.fills, &g.fills_from_file),
                    (e.status, e.exit, &e.ran, &e.fills, &e.fills_from_file),
                    "{id}"
                );
            }
        }
        // The re-parsed transcript still has the same steps where they were.
        let again = parse(&Source::from_text(Path::new("t.md"), back.source));
        assert_eq!(again.steps.len(), book.steps.len());
    }

    #[test]
    fn round_trips_are_byte_exact() {
        for text in [
            "# Deploy\n\n- [ ] First\n  ```bash\n  echo hi\n  ```\n- [ ] Manual\n- [x] Done\n",
            "\u{feff}---\ntitle: t\n---\n- [ ]\n- [ ]\ttabbed\n",
            "a\r\n\r\n- [ ] crlf\r\n  ```sh\r\n  ls\r\n  ```\r\n",
            "> - [ ] quoted\n>   ```bash\n>   q\n>   ```\n\ntext after\n",
            "1. [ ] numbered\n   ```bash\n   x\n   ```\n   more text\n2. [ ] two\n",
            "~~~~bash\nunclosed at eof without newline",
            "```bash\nclosed at eof without newline\n```",
            "- [ ] item\n  > ```sh\n  > unclosed in a quote\n\nafter\n",
            "---\nonly: front matter\n---",
            "",
            "no steps at all\n",
            "\t- [ ] tab-indented\n\n```bash\necho `date`\n```\n",
            "Checks:\n\n```\n[ ] one, with a comma\n[ ] two\n[x] three\n```\n",
        ] {
            round_trip(text);
        }
    }

    /// Awkward pieces of documents, stitched together by the tests.
    pub(super) const FRAGMENTS: &[&str] = &[
        "# Heading\n",
        "- [ ] task\n",
        "- [ ]\n",
        "* [x] done already\n",
        "  ```bash\n  echo nested\n  ```\n",
        "```sh\nls\n```\n",
        "> ```bash\n> quoted\n> ```\n",
        "> - [ ] quoted task\n>   ```bash\n>   q\n>   ```\n",
        "1. [ ] numbered\n   ~~~bash\n   tilde\n   ~~~\n",
        "\n",
        "text with `code` and <b>html</b>\n",
        "<!-- a comment -->\n",
        "| a | b |\n|---|---|\n| ____ | x |\n",
        "\t- [ ] tabbed\n",
        "```bash\n$ echo prompt\noutput\n```\n",
        "````markdown\n- [ ] example\n```bash\nx\n```\n````\n",
        "```text\nplain\n```\n",
        "    indented code\n",
        "Decision: `GO / NO-GO` and ☐ Yes ☐ No\n",
        "| CAB | ☐ |\n|---|---|\n| x | `____` |\n",
        "- [ ] start: ________ [START TIME] ******\\_\\_******\n",
        "### [ ] heading task\n",
        "```\n[ ] plain box\n- [x] done box\n### [ ] head box\n```\n",
        "> ```text\n> 1. [ ] quoted box\n",
        "```\n[ ]\n",
        // Found by fuzzing: text that only looks like a marker, and a
        // blank after a comment opener on an earlier line of the item.
        "<!--rs:\n",
        "- ]<!--\na___\n",
        "text <!--rs:out id=s1--> more\n",
        "`___ ___\n",
        ">* ```bash",
        " ```\n[ ]\n    ```",
        "Use <!t ___ here\n",
        "\u{feff}   ```sh\n",
        "    [HA] ____\n",
        "---\r\n---\nname: x\n- [ ] `A / B`\n---\n",
        "```\n[ ] a\n```\n[ ] Title\n---\n",
        "---\n",
        "```bash\nunclosed\n",
    ];

    /// Documents stitched from awkward fragments, with every step given an
    /// outcome: stripping the transcript must give the document back exactly.
    #[test]
    fn random_documents_round_trip() {
        let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
        let mut next = move || rng.u64(..);
        let mut laid = 0;
        for _ in 0..2000 {
            let n = 1 + next() % 8;
            let mut text = String::new();
            if next() % 5 == 0 {
                text.push('\u{feff}');
            }
            for _ in 0..n {
                text.push_str(FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize]);
            }
            if next() % 3 == 0 {
                text = text.replace('\n', "\r\n");
            }
            if next() % 4 == 0 {
                text.pop();
            }
            laid += usize::from(round_trip_lenient(&text));
        }
        // All but a few awkward ones (1,989 of 2,000 when this was written)
        // are read by their layout, and so compared with the parser's reading.
        assert!(laid > 1900, "{laid} read by their layout");
    }

    /// Whether the transcript read back by its layout too.
    fn round_trip_lenient(text: &str) -> bool {
        let source = Source::from_text(Path::new("t.md"), text.to_string());
        let book = parse(&source);
        let outcomes = outcomes_for(&book);
        let info = RunInfo {
            id: "r".into(),
            ..RunInfo::default()
        };
        let rendered = render(&source, &book, &outcomes, &info);
        pieces_match(&source, &book, &outcomes, &info, &rendered);
        let laid = reads_the_same_by_layout(&source, &book, &outcomes);
        let back = read(Path::new("t.md"), &rendered)
            .unwrap_or_else(|e| panic!("{e}\n{text:?}\n{rendered}"));
        assert_eq!(
            back.source, text,
            "not byte-exact for {text:?}:\n{rendered}"
        );
        assert_eq!(
            back.outcomes.len(),
            outcomes.len(),
            "outcomes lost for {text:?}:\n{rendered}"
        );
        for (id, o) in &outcomes {
            assert_eq!(
                back.outcomes[id].earlier.len(),
                o.earlier.len(),
                "earlier attempts of {id} lost for {text:?}:\n{rendered}"
            );
        }
        laid
    }

    /// A transcript as a run writes it (its summary records the document's
    /// sha256) reads by its layout as `read` reads it: the same document,
    /// summary, outcomes and spans. Whether the layout gave the document
    /// back (else `read_written` is `read`).
    fn reads_the_same_by_layout(
        source: &Source,
        book: &crate::doc::Runbook,
        outcomes: &HashMap<String, Outcome>,
    ) -> bool {
        let info = RunInfo {
            id: "r".into(),
            source: "t.md".into(),
            sha256: sha256(&source.text),
            state: RunState::Stopped,
            ..RunInfo::default()
        };
        let text = render(source, book, outcomes, &info);
        let path = Path::new("t.md");
        let (parsed, laid) = match (read(path, &text), read_written(path, &text)) {
            (Ok(p), Ok(l)) => (p, l),
            (p, l) => {
                assert_eq!(
                    p.err().map(|e| e.to_string()),
                    l.err().map(|e| e.to_string())
                );
                return false;
            }
        };
        let what = || format!("{:?}:\n{text}", source.text);
        assert_eq!(laid.source, parsed.source, "{}", what());
        assert_eq!(laid.info, parsed.info, "{}", what());
        assert_eq!(laid.outcomes, parsed.outcomes, "{}", what());
        assert_eq!(laid.spans, parsed.spans, "{}", what());
        assert_eq!(laid.stray_markers, parsed.stray_markers, "{}", what());
        read::by_layout(path, &text, &text).is_some_and(|t| t.source == source.text)
    }

    /// The transcript kept as pieces, its steps recorded a few at a time in
    /// an order of their own and some recorded again, reads as it does
    /// rendered in one go at every save.
    pub(super) fn pieces_match(
        source: &Source,
        book: &crate::doc::Runbook,
        outcomes: &HashMap<String, Outcome>,
        info: &RunInfo,
        rendered: &str,
    ) {
        let at_once = |o: &HashMap<String, Outcome>| pieces::render_at_once(source, book, o, info);
        assert_eq!(rendered, at_once(outcomes), "for {:?}", source.text);
        let mut ids: Vec<&String> = outcomes.keys().collect();
        ids.sort();
        ids.reverse();
        let mut now: HashMap<String, Outcome> = HashMap::new();
        let mut kept = Rendered::new(source, book, &now);
        for batch in ids.chunks(2) {
            for id in batch {
                // First recorded as something else, then as it ends.
                let mut first = outcomes[*id].clone();
                first.status = Status::Skipped;
                first.note = None;
                now.insert((*id).clone(), first);
            }
            kept.update(source, book, &now, batch.iter().map(|id| id.as_str()));
            assert_eq!(kept.text(source, book, &now, info), at_once(&now));
            for id in batch {
                now.insert((*id).clone(), outcomes[*id].clone());
            }
            kept.update(source, book, &now, batch.iter().map(|id| id.as_str()));
            assert_eq!(kept.text(source, book, &now, info), at_once(&now));
        }
        assert_eq!(kept.text(source, book, &now, info), rendered);
        // Every step at once, as a first update: more ids than are found
        // without the index.
        let mut all = Rendered::new(source, book, &HashMap::new());
        all.update(source, book, outcomes, ids.iter().map(|id| id.as_str()));
        assert_eq!(all.text(source, book, outcomes, info), rendered);
    }

    /// The record is the same whether the runbook a transcript names is
    /// there as the run began with it (and parsed while the markers are
    /// read), changed since, or gone.
    #[test]
    fn the_record_is_the_same_whatever_became_of_the_runbook() {
        let dir = tempfile::tempdir().unwrap();
        let runbook = dir.path().join("r.md");
        let text = "# Deploy\n\n- [ ] Check\n\n```bash\necho hi\n```\n\n- [ ] Go: `Yes / No`\n";
        let source = Source::from_text(&runbook, text.to_string());
        let book = parse(&source);
        let outcomes = outcomes_for(&book);
        let info = RunInfo {
            id: "r1".into(),
            source: runbook.to_string_lossy().into_owned(),
            sha256: sha256(text),
            state: RunState::Complete,
            ..RunInfo::default()
        };
        let transcript = render(&source, &book, &outcomes, &info);
        let config = Config::default();
        let of = |t: &str| record(Path::new("t.md"), t, &config).unwrap();
        let gone = of(&transcript);
        assert!(unchanged_runbook(&transcript).is_none());
        std::fs::write(&runbook, text).unwrap();
        assert!(unchanged_runbook(&transcript).is_some());
        let there = of(&transcript);
        assert_eq!(there.1, gone.1);
        assert_eq!(there.0.text, gone.0.text);
        assert_eq!(there.0.path, gone.0.path);
        std::fs::write(&runbook, format!("{text}- [ ] Added later\n")).unwrap();
        assert!(unchanged_runbook(&transcript).is_none());
        assert_eq!(of(&transcript).1, gone.1);
        // A runbook with the recorded sha256 that the markers do not give
        // back (the transcript was edited by hand) is not what is read.
        std::fs::write(&runbook, text).unwrap();
        let edited = transcript.replace("echo hi", "echo ho");
        let (source, record) = of(&edited);
        assert!(source.text.contains("echo ho"));
        assert!(
            record
                .steps
                .iter()
                .any(|s| s.code.as_deref() == Some("echo ho\n"))
        );
    }

    #[test]
    fn a_templated_run_keeps_its_environment_variables_and_template() {
        let source = Source::from_text(Path::new("d.md"), "- [ ] Deploy web-1\n".into());
        let book = parse(&source);
        let info = RunInfo {
            id: "r".into(),
            source: "d.md".into(),
            env: Some("prod".into()),
            vars: [
                ("hosts".to_string(), "[\"a,b\",\"c\"]".to_string()),
                ("token".to_string(), "•••".to_string()),
                ("odd".to_string(), "x=y --> z".to_string()),
            ]
            .into(),
            template: Some(crate::record::TemplateInfo {
                path: "d.md".into(),
                sha256: "ab".into(),
                env_file: Some("envs/prod.toml".into()),
                env_sha256: Some("cd".into()),
                rendered: "2026-11-21T05:10:03Z".into(),
                secret_key: Some("k1".into()),
                secrets: vec![
                    ("token".into(), "ef".into()),
                    ("env.DB_PASSWORD".into(), "01".into()),
                ],
                lines: Some("7-8,10*3,12-18".into()),
            }),
            ..RunInfo::default()
        };
        let out = render(&source, &book, &HashMap::new(), &info);
        assert!(out.contains("· env `prod` ·"), "{out}");
        let back = read(Path::new("t.md"), &out).unwrap();
        assert_eq!(back.info.unwrap(), info);
    }

    #[test]
    fn rendered_transcript_reads_as_a_checklist() {
        let source = Source::from_text(
            Path::new("d.md"),
            "- [ ] Deploy\n  ```bash\n  echo hi\n  ```\n".into(),
        );
        let book = parse(&source);
        let mut outcomes = HashMap::new();
        let mut task = Outcome::new("s1".into(), Status::Done);
        task.at = "2026-11-21T05:11:02Z".into();
        let mut cmd = Outcome::new("s2".into(), Status::Done);
        cmd.at = "2026-11-21T05:11:01Z".into();
        cmd.exit = Some(0);
        cmd.ms = 20;
        cmd.output = "hi\n".into();
        outcomes.insert("s1".into(), task);
        outcomes.insert("s2".into(), cmd);
        let info = RunInfo {
            id: "r".into(),
            source: "d.md".into(),
            operator: "alice@ops".into(),
            started: "2026-11-21T05:11:00Z".into(),
            finished: Some("2026-11-21T05:11:03Z".into()),
            state: RunState::Complete,
            mode: Mode::Interactive,
            sha256: "ab".into(),
            ..RunInfo::default()
        };
        let out = render(&source, &book, &outcomes, &info);
        let body: Vec<&str> = out
            .lines()
            .skip_while(|l| *l != "<!--/rs:run-->")
            .skip(1)
            .collect();
        assert_eq!(
            body,
            vec![
                "- [x] <!--rs:task id=s1 status=done at=2026-11-21T05:11:02Z tick=1-->✅ 05:11:02Z · <!--/rs:task-->Deploy",
                "  ```bash",
                "  echo hi",
                "  ```",
                "  <!--rs:out id=s2 status=done at=2026-11-21T05:11:01Z exit=0 ms=20-->✅ exit 0 · 0.02s · 05:11:01Z",
                "  ```text {rs=output}",
                "  hi",
                "  ```",
                "  <!--/rs:out-->",
            ]
        );
        assert!(out.starts_with("<!--rs:run v=1 id=r"), "{out}");
        // The verdict first, then who ran it when, then the counts: one a line.
        let summary: Vec<&str> = out.lines().skip(1).take(3).collect();
        assert_eq!(
            summary,
            vec![
                "**✅ complete**\\",
                "runsheet · `d.md` · alice@ops · 2026-11-21 05:11:00Z → 05:11:03Z · interactive · complete\\",
                "1 done · 0 skipped · 0 failed",
            ]
        );
        assert_eq!(out.lines().nth(4), Some("<!--/rs:run-->"));
    }

    #[test]
    fn the_summary_gives_the_verdict_and_links_the_failed_steps() {
        let source = Source::from_text(
            Path::new("deploy.md"),
            "- [ ] Migrate\n  ```bash\n  ./migrate\n  ```\n- [ ] Announce\n".into(),
        );
        let book = parse(&source);
        let mut cmd = Outcome::new("s2".into(), Status::Failed);
        cmd.exit = Some(1);
        let outcomes = HashMap::from([
            ("s1".to_string(), Outcome::new("s1".into(), Status::Failed)),
            ("s2".to_string(), cmd),
        ]);
        let info = RunInfo {
            id: "r".into(),
            source: "ops/deploy.md".into(),
            state: RunState::Stopped,
            resumed: Some("2026-11-21T06:40:10Z".into()),
            ..RunInfo::default()
        };
        let out = render(&source, &book, &outcomes, &info);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[1], "**❌ failed at Migrate (deploy.md:2)**\\",
            "{out}"
        );
        assert!(
            lines[2].starts_with("↻ resumed 2026-11-21 06:40:10Z"),
            "{out}"
        );
        assert_eq!(
            lines[3], "Failed: [Migrate](#rs-s2) (deploy.md:2)\\",
            "{out}"
        );
        assert!(out.contains("<a id=\"rs-s2\"></a>❌ exit 1"), "{out}");
        assert!(lines[0].contains(" resumed=2026-11-21T06:40:10Z"), "{out}");
        let back = read(Path::new("deploy.md"), &out).unwrap();
        assert_eq!(back.source, source.text);
        assert_eq!(back.info.unwrap().resumed, info.resumed);

        // Complete, with a manual step nobody confirmed: a warning, and a
        // short label whose explanation is a footnote.
        let outcomes = HashMap::from([
            ("s2".to_string(), Outcome::new("s2".into(), Status::Done)),
            (
                "s1".to_string(),
                Outcome::new("s1".into(), Status::Done).because(crate::record::Reason::Auto),
            ),
            (
                "s3".to_string(),
                Outcome::new("s3".into(), Status::NotConfirmed),
            ),
        ]);
        let info = RunInfo {
            state: RunState::Complete,
            ..info
        };
        let out = render(&source, &book, &outcomes, &info);
        assert!(
            out.contains("**⚠️ complete, 1 step not confirmed or not answered**"),
            "{out}"
        );
        assert!(
            out.contains("⚠️ not confirmed[^rs-unattended] · <!--/rs:task-->Announce"),
            "{out}"
        );
        assert!(out.contains("\n[^rs-unattended]: not confirmed"), "{out}");
        assert!(out.contains("[^rs-auto] · <!--/rs:task-->Migrate"), "{out}");
        let back = read(Path::new("deploy.md"), &out).unwrap();
        assert_eq!(back.source, source.text);
    }
}
