//! Runs every runbook of a corpus unattended, inside a sandbox of fake tools.
//!
//! The corpus is the directory `RUNSHEET_CORPUS` names (CI points it at the shared
//! corpus of other teams' real checklists; a relative path is taken from the crate's
//! directory). When the variable is set, that directory must hold documents: a
//! missing or empty one fails the tests rather than letting them pass on nothing.
//! Without it, the corpus is `tests/corpus/`, checklists written for this suite that
//! use every construct runsheet recognises (`in_tree_corpus_covers_every_construct`
//! keeps them doing so).
//!
//! Each `*.md` in the corpus (`README.md` excepted) must `plan` cleanly, `run --yes
//! --keep-going` to a transcript without a usage error, a panic or a hang, `strip`
//! back to its source byte for byte, and its transcript must `plan` cleanly too. A
//! document dropped into that directory is tested too, with the answers in
//! `NAME.answers.yaml` beside it when there is one. Its mojibake must be found
//! and repaired, and a document without any must be left alone.
//!
//! The documents call production tools (`kubectl delete`, `rm -rf`, `git push`,
//! `npm publish`), so nothing they call may be real:
//!
//! * `PATH` is `bin/` then `real/`. `bin/` links every name in
//!   `tests/fixtures/sandbox/tools.txt` to the `fake` script, which logs the call to
//!   `$SANDBOX_LOG`, prints one line and succeeds; `real/` links the filters and
//!   read-only utilities of `real.txt` from the system. Any other command is not
//!   found.
//! * `HOME`, `TMPDIR`, `RUNSHEET_STATE_DIR` and the working directory live in a
//!   fresh temp dir, and the environment is otherwise empty.
//! * What bash does itself cannot be faked (`echo … >> /var/log/dr.log` is a line
//!   real runbooks have), so a test running as root runs runsheet as `nobody`.
//! * Processes still carrying the sandbox's `SANDBOX_LOG` once a command is over are
//!   killed and reported: a run must not leave its session behind.
//!
//! `RUNSHEET_CORPUS_ONLY=text` runs only the documents whose file name contains
//! `text`; `RUNSHEET_CORPUS_KEEP=1` keeps every sandbox and prints where it is.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::os::unix::fs::{PermissionsExt, lchown, symlink};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::Test;

/// A whole unattended run of one document, fakes included.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
/// `plan` and `strip` read one file; they have no business taking long.
const QUICK_TIMEOUT: Duration = Duration::from_secs(30);
/// How long after its timeout a command's leftovers are killed, so that a
/// descendant holding the output pipes cannot hang the test.
const WATCHDOG_GRACE: Duration = Duration::from_secs(10);
/// Run exit codes the corpus may end with: all done, a step failed or was refused,
/// steps not confirmed. Never 2 (usage or document error) and never a signal.
const RUN_CODES: [i32; 3] = [0, 1, 3];
/// How much of a failing command's stderr goes into the report.
const STDERR_LINES: usize = 12;
/// How much of a stray process's command line goes into the report.
const CMDLINE_CHARS: usize = 100;

#[test]
fn corpus_documents_run_in_the_sandbox_and_strip_back() {
    let documents = corpus_documents();
    let queue = Mutex::new(documents.clone());
    let results = Mutex::new(BTreeMap::new());
    let workers = thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    // Taken in its own statement: the lock must not be held while the
                    // document runs.
                    let next = queue.lock().expect("queue lock").pop();
                    let Some(document) = next else { break };
                    let report = check_document(&document);
                    eprintln!("{}", report.summary_line());
                    results
                        .lock()
                        .expect("results lock")
                        .insert(report.name.clone(), report);
                }
            });
        }
    });
    let results = results.into_inner().expect("results lock");
    let failed: Vec<&DocumentReport> = results
        .values()
        .filter(|r| !r.problems.is_empty())
        .collect();
    if !failed.is_empty() {
        let mut message = format!(
            "{} of {} corpus documents failed:\n",
            failed.len(),
            results.len()
        );
        for report in failed {
            let _ = writeln!(message, "\n{}", report.name);
            for problem in &report.problems {
                let _ = writeln!(message, "  - {}", problem.replace('\n', "\n    "));
            }
        }
        panic!("{message}");
    }
    // Shown with `--nocapture`: which corpus ran, and how much of it.
    eprintln!(
        "corpus: {} documents from {} ran and stripped back",
        results.len(),
        corpus_dir().display()
    );
}

#[test]
fn sandbox_fakes_shadow_destructive_tools() {
    let sandbox = Sandbox::new();
    let keep = sandbox.precious_file();
    let script = r#"rm -rf "$HOME/precious"
kubectl delete ns prod
sleep 600
mkdir "$HOME/created"
command -v rm"#;
    let bash = sandbox.root().join("real/bash");
    let outcome = sandbox.run(
        &bash,
        &[OsStr::new("-c"), OsStr::new(script)],
        QUICK_TIMEOUT,
    );
    assert_eq!(
        outcome.code(),
        Some(0),
        "bash in the sandbox: {}",
        outcome.describe()
    );
    assert!(
        outcome.elapsed < Duration::from_secs(10),
        "the fake sleep is not instant: {}",
        outcome.describe()
    );
    assert!(keep.is_file(), "the fake rm removed a real file");
    assert!(
        !sandbox.home().join("created").exists(),
        "mkdir ran for real"
    );
    let stdout = outcome.stdout();
    let stdout = String::from_utf8_lossy(&stdout);
    let fake_rm = sandbox.root().join("bin/rm");
    assert!(
        stdout.contains(&*fake_rm.to_string_lossy()),
        "rm is not the fake: {stdout}"
    );
    let log = sandbox.log();
    let home = sandbox.home();
    for call in [
        format!("rm -rf {}/precious", home.display()),
        "kubectl delete ns prod".into(),
        "sleep 600".into(),
    ] {
        assert!(
            log.lines().any(|line| line == call),
            "{call:?} not logged; the log holds:\n{log}"
        );
    }
}

#[test]
fn sandbox_holds_under_runsheet() {
    let sandbox = Sandbox::new();
    let keep = sandbox.precious_file();
    let runbook = sandbox.add_file(
        "proof.md",
        b"# Sandbox proof\n\n```bash {danger=false}\nrm -rf \"$HOME/precious\"\nkubectl delete ns prod\n```\n",
    );
    let transcript = sandbox.root().join("proof.transcript.md");
    let run = sandbox.runsheet(
        &[
            os("run"),
            os("--yes"),
            runbook.into(),
            os("-o"),
            transcript.into(),
        ],
        RUN_TIMEOUT,
    );
    assert!(keep.is_file(), "a runbook's rm -rf reached a real file");
    let log = sandbox.log();
    let home = sandbox.home();
    for call in [
        format!("rm -rf {}/precious", home.display()),
        "kubectl delete ns prod".into(),
    ] {
        assert!(
            log.lines().any(|line| line == call),
            "{call:?} did not reach the fake; run: {}\nthe log holds:\n{log}",
            run.describe()
        );
    }
    assert_eq!(run.code(), Some(0), "run: {}", run.describe());
    assert!(run.strays.is_empty(), "left running: {:?}", run.strays);
}

#[test]
fn sandbox_lists_keep_writers_fake() {
    let tools = fixture_list("tools.txt");
    let real = fixture_list("real.txt");
    for name in [
        "rm", "mv", "cp", "ln", "chmod", "chown", "mkdir", "touch", "find", "xargs", "sleep",
        "tail", "kill",
    ] {
        assert!(
            tools.iter().any(|t| t == name),
            "{name} must be a fake in tools.txt"
        );
        assert!(
            !real.iter().any(|r| r == name),
            "{name} must not be linked from the real system"
        );
    }
    assert!(
        real.iter().any(|r| r == "bash"),
        "runsheet needs a real bash on PATH"
    );
}

/// What `plan` says of a document that looks misdecoded.
const MOJIBAKE_WARNING: &str = "look like UTF-8 that was read as";

/// Characters checklists use (dashes, quotes, bullets, arrows, ticks), each with
/// what it becomes when its UTF-8 is read as Mac Roman or as Windows-1252.
/// Computed here, not taken from runsheet, so the tests below judge its
/// detector by another measure.
fn mojibake_signatures() -> Vec<(String, &'static str)> {
    let originals = [
        "–", "—", "‘", "’", "“", "”", "•", "…", "→", "✅", "❌", "⚠", "·", "é",
    ];
    let mut signatures = Vec::new();
    for encoding in [encoding_rs::MACINTOSH, encoding_rs::WINDOWS_1252] {
        for original in originals {
            let (misread, _) = encoding.decode_without_bom_handling(original.as_bytes());
            signatures.push((misread.into_owned(), original));
        }
    }
    signatures
}

/// The signatures found in `text`.
fn mojibake_in(text: &str) -> Vec<(String, &'static str)> {
    mojibake_signatures()
        .into_iter()
        .filter(|(misread, _)| text.contains(misread.as_str()))
        .collect()
}

/// A document's file name and bytes.
type Document = (String, Vec<u8>);

/// The corpus documents, split by whether they carry mojibake.
fn corpus_by_mojibake() -> (Vec<Document>, Vec<Document>) {
    let mut mangled = Vec::new();
    let mut genuine = Vec::new();
    for path in documents_in(&corpus_dir()) {
        let name = path
            .file_name()
            .expect("a document has a file name")
            .to_string_lossy()
            .into_owned();
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        if mojibake_in(&String::from_utf8_lossy(&bytes)).is_empty() {
            genuine.push((name, bytes));
        } else {
            mangled.push((name, bytes));
        }
    }
    (mangled, genuine)
}

#[test]
fn corpus_mojibake_is_found_and_repaired() {
    let (mangled, _) = corpus_by_mojibake();
    for (name, bytes) in &mangled {
        let found = mojibake_in(&String::from_utf8_lossy(bytes));
        let out = Test::new()
            .file(name, bytes)
            .args(["plan", name])
            .stdout_contains(MOJIBAKE_WARNING)
            .run();
        let out = out
            .then()
            .args(["repair", name, "-o", "repaired.md"])
            .stderr_contains("repaired")
            .run();
        let repaired = out.read("repaired.md");
        let left = mojibake_in(&repaired);
        assert!(left.is_empty(), "{name}: repair left {left:?}");
        for (misread, original) in &found {
            assert!(
                repaired.contains(original),
                "{name}: `{misread}` was not repaired to `{original}`"
            );
        }
        assert_eq!(
            &out.read_bytes(name),
            bytes,
            "{name}: repair -o changed the file"
        );
        let replan = out.then().args(["plan", "repaired.md"]).run();
        assert!(
            !replan.stdout.contains(MOJIBAKE_WARNING),
            "{name}: plan still warns once repaired:\n{}",
            replan.stdout
        );
    }
    eprintln!(
        "mojibake: {} corpus documents found and repaired",
        mangled.len()
    );
}

#[test]
fn corpus_genuine_documents_are_left_alone() {
    let (_, genuine) = corpus_by_mojibake();
    assert!(
        !genuine.is_empty(),
        "the corpus has no document without mojibake"
    );
    for (name, bytes) in &genuine {
        let out = Test::new().file(name, bytes).args(["plan", name]).run();
        assert!(
            !out.stdout.contains(MOJIBAKE_WARNING),
            "{name}: plan warns of mojibake in a document without any:\n{}",
            out.stdout
        );
        let out = out
            .then()
            .args(["repair", name])
            .stderr_contains("no mojibake found")
            .run();
        assert_eq!(&out.read_bytes(name), bytes, "{name}: repair changed it");
    }
}

/// The steps of a `plan --format json`, children included, in document order.
fn plan_steps(plan: &serde_json::Value) -> Vec<&serde_json::Value> {
    fn walk<'a>(steps: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
        for step in steps.as_array().into_iter().flatten() {
            out.push(step);
            walk(&step["children"], out);
        }
    }
    let mut out = Vec::new();
    walk(&plan["steps"], &mut out);
    out
}

/// The line ranges (1-based, fence lines included) of the `markdown`/`md`
/// fences of `text`, however they are indented or quoted.
fn markdown_fences(text: &str) -> Vec<(usize, usize)> {
    let mut fences = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let bare = line.trim_start_matches([' ', '>']);
        match &open {
            None => {
                let fence: String = bare.chars().take_while(|&c| c == '`' || c == '~').collect();
                let lang = bare[fence.len()..].split_whitespace().next().unwrap_or("");
                if fence.len() >= 3 && matches!(lang, "markdown" | "md") {
                    open = Some((i + 1, fence));
                }
            }
            Some((start, fence)) => {
                if bare.trim_end() == fence.as_str() {
                    fences.push((*start, i + 1));
                    open = None;
                }
            }
        }
    }
    fences
}

/// The in-tree corpus is what `cargo test` runs on a fresh clone, so it must
/// keep using every construct runsheet recognises; this names the one a change
/// to `tests/corpus/` left out.
#[test]
fn in_tree_corpus_covers_every_construct() {
    let mut seen: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut note = |what: &'static str, name: &str| {
        seen.entry(what).or_default().push(name.to_owned());
    };
    for path in documents_in(&in_tree_corpus()) {
        let name = path
            .file_name()
            .expect("a document has a file name")
            .to_string_lossy()
            .into_owned();
        let bytes = fs::read(&path).expect("a corpus document");
        let text = String::from_utf8_lossy(&bytes);
        let out = Test::new()
            .file(&name, &bytes)
            .args(["plan", "--format", "json", &name])
            .run();
        let plan: serde_json::Value =
            serde_json::from_str(&out.stdout).expect("plan --format json is JSON");
        let steps = plan_steps(&plan);
        let human = out.then().args(["plan", &name]).run();

        if bytes.starts_with(b"\xef\xbb\xbf---") {
            note("a BOM and front matter", &name);
        }
        if bytes.windows(2).any(|w| w == b"\r\n") {
            note("CRLF line endings", &name);
        }
        if human.stdout.contains(MOJIBAKE_WARNING) && !mojibake_in(&text).is_empty() {
            note("mojibake", &name);
        }
        if human.stdout.contains("never closed") {
            note("an unclosed fence at the end", &name);
        }
        for section in plan["contingency"].as_array().into_iter().flatten() {
            match section["because"].as_str() {
                Some("comment") => note("`<!-- runsheet: contingency -->` comments", &name),
                _ => note("contingency sections", &name),
            }
        }
        if plan["alternatives"]
            .as_array()
            .is_some_and(|groups| !groups.is_empty())
        {
            if text.contains("\n### Option ") {
                note("option sections", &name);
            }
            if text.contains(" OR\n") {
                note("items joined by OR", &name);
            }
        }
        for (pattern, what) in [
            ("\n- [ ] ", "`- [ ]` tasks"),
            ("\n* [ ] ", "`* [ ]` tasks"),
            ("\n+ [ ] ", "`+ [ ]` tasks"),
            ("\n1. [ ] ", "`1. [ ]` tasks"),
            ("\n### [ ] ", "heading tasks"),
            ("\n~~~", "tilde fences"),
            ("\n  ````", "longer fences"),
            ("\n> ```", "fences in blockquotes"),
            ("\n  ```bash", "fences in list items"),
            ("[START TIME]", "`[START TIME]` blanks"),
            ("`____`", "code-span blanks"),
            ("\\_\\_\\_", "escaped-underscore blanks"),
            ("`GO / NO-GO`", "`GO / NO-GO` choices"),
            ("☐ Yes ☐ No", "`☐ Yes ☐ No` choices"),
            ("**Expected**:", "`**Expected**:` hints"),
            ("# Expected:", "`# Expected:` hints"),
        ] {
            if text.contains(pattern) {
                note(what, &name);
            }
        }
        for step in &steps {
            let kind = step["kind"].as_str().unwrap_or("");
            match kind {
                "task" => note("tasks", &name),
                "command" => note("commands", &name),
                "blank" => note("blanks", &name),
                "choice" => note("choices", &name),
                "placeholder" => note("placeholders", &name),
                _ => {}
            }
            if kind == "task" && step["checked"] == true {
                note("already-ticked tasks", &name);
            }
            if kind == "task" && step["wait"].is_number() {
                note("steps that take time", &name);
            }
            if kind == "task"
                && step["children"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c["kind"] == "task"))
            {
                note("nested tasks", &name);
            }
            if kind == "placeholder" && step["secret"] == true {
                note("secret placeholders", &name);
            }
            if kind == "placeholder" && step["text"].as_str().is_some_and(|t| t.starts_with('<')) {
                note("`<angle>` placeholders", &name);
            }
            // A blank in a table is on a line of the table's cells.
            let line = step["line"].as_u64().map_or(0, |l| l as usize);
            if kind == "blank"
                && text
                    .lines()
                    .nth(line.saturating_sub(1))
                    .is_some_and(|l| l.trim_start().starts_with('|'))
            {
                note("blanks in tables", &name);
            }
            if kind == "command" {
                let lang = step["lang"].as_str().unwrap_or("");
                if matches!(lang, "bash" | "sh" | "console" | "python") {
                    note(
                        match lang {
                            "bash" => "bash blocks",
                            "sh" => "sh blocks",
                            "console" => "console blocks",
                            _ => "python blocks",
                        },
                        &name,
                    );
                }
                if step["text"].as_str().is_some_and(|t| t.starts_with("$ ")) {
                    note("`$ ` prompt lines", &name);
                }
                if step["destructive"]
                    .as_array()
                    .is_some_and(|d| !d.is_empty())
                {
                    note("destructive commands", &name);
                }
                for (attr, value) in step["attrs"].as_object().into_iter().flatten() {
                    let what = match (attr.as_str(), value) {
                        ("name", _) => "name=",
                        ("timeout", _) => "timeout=",
                        ("skip", _) => "skip",
                        ("manual", _) => "manual",
                        ("confirm", _) => "confirm",
                        ("expect", _) => "expect=",
                        ("expect_exit", _) => "expect_exit=",
                        ("retries", _) => "retries=",
                        ("on_fail", _) => "on_fail=",
                        ("cwd", _) => "cwd=",
                        ("runner", _) => "runner=",
                        ("wait", _) => "wait=",
                        ("danger", serde_json::Value::Bool(false)) => "danger=false",
                        ("danger", _) => "danger=true",
                        _ => continue,
                    };
                    note(what, &name);
                }
            }
        }
        // A `markdown` fence shows a checklist; nothing in it is a step.
        for (start, end) in markdown_fences(&text) {
            let inside: Vec<&str> = steps
                .iter()
                .filter(|s| {
                    s["line"]
                        .as_u64()
                        .is_some_and(|l| (start as u64..=end as u64).contains(&l))
                })
                .filter_map(|s| s["text"].as_str())
                .collect();
            assert!(
                inside.is_empty(),
                "{name}: the markdown fence at lines {start}-{end} gave steps {inside:?}"
            );
            note("markdown example fences", &name);
        }
    }
    let wanted = [
        "tasks",
        "`- [ ]` tasks",
        "`* [ ]` tasks",
        "`+ [ ]` tasks",
        "`1. [ ]` tasks",
        "heading tasks",
        "already-ticked tasks",
        "nested tasks",
        "commands",
        "bash blocks",
        "sh blocks",
        "console blocks",
        "python blocks",
        "`$ ` prompt lines",
        "fences in list items",
        "fences in blockquotes",
        "tilde fences",
        "longer fences",
        "an unclosed fence at the end",
        "CRLF line endings",
        "a BOM and front matter",
        "blanks",
        "blanks in tables",
        "`[START TIME]` blanks",
        "code-span blanks",
        "escaped-underscore blanks",
        "choices",
        "`GO / NO-GO` choices",
        "`☐ Yes ☐ No` choices",
        "placeholders",
        "`<angle>` placeholders",
        "secret placeholders",
        "`**Expected**:` hints",
        "`# Expected:` hints",
        "name=",
        "timeout=",
        "skip",
        "manual",
        "confirm",
        "expect=",
        "expect_exit=",
        "retries=",
        "on_fail=",
        "cwd=",
        "runner=",
        "danger=false",
        "danger=true",
        "destructive commands",
        "mojibake",
        "markdown example fences",
        "contingency sections",
        "`<!-- runsheet: contingency -->` comments",
        "option sections",
        "items joined by OR",
        "steps that take time",
        "wait=",
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| !seen.contains_key(w))
        .collect();
    assert!(
        missing.is_empty(),
        "no document in tests/corpus/ has: {}",
        missing.join(", ")
    );
}

/// What happened to one document: its problems, empty when it passed.
struct DocumentReport {
    name: String,
    run: String,
    problems: Vec<String>,
}

impl DocumentReport {
    fn summary_line(&self) -> String {
        let verdict = if self.problems.is_empty() {
            "ok"
        } else {
            "FAILED"
        };
        format!("corpus {verdict:6} {} ({})", self.name, self.run)
    }
}

/// Plans, runs, strips and re-plans one document in a sandbox of its own.
fn check_document(document: &Path) -> DocumentReport {
    let name = document
        .file_name()
        .expect("a document has a file name")
        .to_string_lossy()
        .into_owned();
    let mut report = DocumentReport {
        name: name.clone(),
        run: "not run".into(),
        problems: Vec::new(),
    };
    let source = match fs::read(document) {
        Ok(source) => source,
        Err(e) => {
            report
                .problems
                .push(format!("cannot read {}: {e}", document.display()));
            return report;
        }
    };
    let sandbox = Sandbox::new();
    let runbook = sandbox.add_file(&name, &source);
    let stem = Path::new(&name)
        .file_stem()
        .expect("a document has a stem")
        .to_string_lossy()
        .into_owned();
    let transcript = sandbox.root().join(format!("{stem}.transcript.md"));
    // `NAME.answers.yaml` beside a document answers its blanks, choices,
    // placeholders and tasks, so that filled-in values strip back too.
    let answers_name = format!("{stem}.answers.yaml");
    let answers = match fs::read(document.with_file_name(&answers_name)) {
        Ok(bytes) => Some(sandbox.add_file(&answers_name, &bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => {
            report
                .problems
                .push(format!("cannot read {answers_name}: {e}"));
            return report;
        }
    };
    check_document_in(
        &sandbox,
        &source,
        &runbook,
        answers.as_deref(),
        &transcript,
        &mut report,
    );
    if std::env::var_os("RUNSHEET_CORPUS_KEEP").is_some() {
        let kept = sandbox.keep();
        let _ = write!(report.run, ", sandbox kept at {}", kept.display());
    }
    report
}

fn check_document_in(
    sandbox: &Sandbox,
    source: &[u8],
    runbook: &Path,
    answers: Option<&Path>,
    transcript: &Path,
    report: &mut DocumentReport,
) {
    let problems = &mut report.problems;

    let plan = sandbox.runsheet(&[os("plan"), runbook.into()], QUICK_TIMEOUT);
    expect_code(problems, "plan", &plan, &[0]);

    // Where the document offers alternatives that run commands, an
    // unattended run does one of each: the first, as a person might.
    let json = sandbox.runsheet(
        &[os("plan"), os("--format"), os("json"), runbook.into()],
        QUICK_TIMEOUT,
    );
    let mut args = vec![os("run"), os("--yes"), os("--keep-going")];
    if let Some(answers) = answers {
        args.extend([os("--answers"), answers.into()]);
    }
    for label in first_options(&json.stdout()) {
        args.push(os("--choose"));
        args.push(label.into());
    }
    args.extend([runbook.into(), os("-o"), transcript.into()]);
    let run = sandbox.runsheet(&args, RUN_TIMEOUT);
    report.run = format!(
        "run{} {}",
        if answers.is_some() {
            " with answers"
        } else {
            ""
        },
        run.status_text()
    );
    expect_code(problems, "run --yes --keep-going", &run, &RUN_CODES);
    if fs::read(runbook).ok().as_deref() != Some(source) {
        problems.push("run changed the runbook itself".into());
    }

    let written = match fs::read(transcript) {
        Ok(written) => written,
        Err(e) => {
            problems.push(format!(
                "run wrote no transcript at {}: {e}",
                transcript.display()
            ));
            return;
        }
    };
    if written == source {
        problems.push("the transcript is the source unchanged".into());
    }
    if !contains(&written, b"<!--rs:run") {
        problems.push("the transcript has no `<!--rs:run` summary marker".into());
    }

    let strip = sandbox.runsheet(&[os("strip"), transcript.into()], QUICK_TIMEOUT);
    expect_code(problems, "strip", &strip, &[0]);
    let stripped = strip.stdout();
    if stripped != source {
        problems.push(format!(
            "strip does not give back the source ({} bytes, strip printed {}); {}",
            source.len(),
            stripped.len(),
            first_difference(source, &stripped)
        ));
    }

    let replan = sandbox.runsheet(&[os("plan"), transcript.into()], QUICK_TIMEOUT);
    expect_code(problems, "plan on the transcript", &replan, &[0]);
}

/// The first option of each group of alternatives that runs commands, from
/// `plan --format json`.
fn first_options(plan: &[u8]) -> Vec<String> {
    let Ok(plan) = serde_json::from_slice::<serde_json::Value>(plan) else {
        return Vec::new();
    };
    plan["alternatives"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["runs_commands"] == true)
        .filter_map(|g| g["options"][0]["label"].as_str().map(str::to_string))
        .collect()
}

/// Records a problem unless the command ended with one of `codes`, printed no panic
/// and left nothing running.
fn expect_code(problems: &mut Vec<String>, what: &str, outcome: &Outcome, codes: &[i32]) {
    if !outcome.code().is_some_and(|code| codes.contains(&code)) {
        problems.push(format!("{what}: {}", outcome.describe()));
    } else if String::from_utf8_lossy(&outcome.stderr()).contains("panicked") {
        problems.push(format!("{what}: panicked; {}", outcome.describe()));
    }
    if !outcome.strays.is_empty() {
        problems.push(format!(
            "{what}: left running after it exited (killed): {}",
            outcome.strays.join("; ")
        ));
    }
}

/// The in-tree corpus, run when `RUNSHEET_CORPUS` is not set.
fn in_tree_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// The corpus directory: `RUNSHEET_CORPUS` (relative to the crate) when set,
/// else the in-tree one.
pub(crate) fn corpus_dir() -> PathBuf {
    match std::env::var_os("RUNSHEET_CORPUS") {
        None => in_tree_corpus(),
        Some(dir) => {
            assert!(
                !dir.is_empty(),
                "RUNSHEET_CORPUS is set but empty: point it at a directory of Markdown runbooks, or unset it to test tests/corpus/"
            );
            Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)
        }
    }
}

/// The `*.md` files of `dir` but `README.md`, smallest first.
pub(crate) fn documents_in(dir: &Path) -> Vec<PathBuf> {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "cannot read the corpus at {} ({e}); RUNSHEET_CORPUS must name a directory of Markdown runbooks, or be unset to test tests/corpus/",
            dir.display()
        )
    });
    let mut documents: Vec<(u64, PathBuf)> = entries
        .map(|entry| entry.expect("a corpus directory entry").path())
        .filter(|path| path.extension() == Some(OsStr::new("md")))
        .filter(|path| path.file_name() != Some(OsStr::new("README.md")))
        .map(|path| (fs::metadata(&path).map_or(0, |m| m.len()), path))
        .collect();
    assert!(
        !documents.is_empty(),
        "the corpus at {} holds no *.md documents; RUNSHEET_CORPUS must name a directory of Markdown runbooks, or be unset to test tests/corpus/",
        dir.display()
    );
    documents.sort();
    documents.into_iter().map(|(_, path)| path).collect()
}

/// The corpus documents, smallest first (workers pop from the end, so the slowest
/// start early), narrowed by `RUNSHEET_CORPUS_ONLY`.
fn corpus_documents() -> Vec<PathBuf> {
    let dir = corpus_dir();
    let only = std::env::var("RUNSHEET_CORPUS_ONLY").ok();
    let documents: Vec<PathBuf> = documents_in(&dir)
        .into_iter()
        .filter(|path| {
            only.as_deref()
                .is_none_or(|only| path.to_string_lossy().contains(only))
        })
        .collect();
    assert!(
        !documents.is_empty(),
        "no corpus documents in {} match RUNSHEET_CORPUS_ONLY={only:?}",
        dir.display()
    );
    documents
}

/// A temp dir laid out as a closed little machine: fake tools, a home, a temp dir, a
/// state dir, a working directory and the fakes' call log.
struct Sandbox {
    dir: tempfile::TempDir,
    user: Option<User>,
    /// The runsheet binary the sandbox runs.
    runsheet: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("runsheet-sandbox-")
            .tempdir()
            .expect("create the sandbox dir");
        let root = dir.path();
        for sub in ["bin", "real", "tools", "home", "tmp", "state", "work"] {
            fs::create_dir(root.join(sub)).expect("create a sandbox subdir");
        }
        let fake = root.join("tools/fake");
        fs::copy(fixture("fake"), &fake).expect("copy the fake tool");
        fs::set_permissions(&fake, fs::Permissions::from_mode(0o755))
            .expect("make the fake executable");
        for name in fixture_list("tools.txt") {
            symlink(&fake, root.join("bin").join(name)).expect("link a fake tool");
        }
        for (name, path) in real_tools() {
            symlink(path, root.join("real").join(name)).expect("link a real utility");
        }
        fs::set_permissions(root.join("state"), fs::Permissions::from_mode(0o700))
            .expect("make the state dir private");
        fs::write(root.join("log"), "").expect("create the call log");
        let user = unprivileged_user();
        let built = assert_cmd::cargo::cargo_bin!("runsheet");
        let mut sandbox = Sandbox {
            dir,
            user,
            runsheet: built.to_path_buf(),
        };
        sandbox.hand_over(sandbox.root());
        if user.is_some() {
            // The unprivileged user may be unable to reach the build directory
            // (a checkout under a private home, or in a `mktemp -d`), so it gets
            // the binary inside the sandbox: linked, or copied across file
            // systems. Added after the hand-over, it stays root's, read-only.
            let inside = sandbox.root().join("tools/runsheet");
            if fs::hard_link(built, &inside).is_err() {
                fs::copy(built, &inside).expect("copy runsheet into the sandbox");
            }
            sandbox.runsheet = inside;
        }
        sandbox
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    /// Every call the fakes received, one line each.
    fn log(&self) -> String {
        fs::read_to_string(self.root().join("log")).unwrap_or_default()
    }

    /// `$HOME/precious/keep`, which no runbook in the sandbox can remove.
    fn precious_file(&self) -> PathBuf {
        let dir = self.home().join("precious");
        fs::create_dir(&dir).expect("create $HOME/precious");
        let keep = dir.join("keep");
        fs::write(&keep, "keep me\n").expect("create $HOME/precious/keep");
        self.hand_over(&dir);
        keep
    }

    /// Writes a file at the top of the sandbox.
    fn add_file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.root().join(name);
        fs::write(&path, bytes).expect("write into the sandbox");
        self.hand_over(&path);
        path
    }

    /// Gives `path` and everything under it to the unprivileged user, if there is one.
    fn hand_over(&self, path: &Path) {
        let Some(user) = self.user else { return };
        lchown(path, Some(user.uid), Some(user.gid)).expect("chown into the sandbox");
        if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
            for entry in fs::read_dir(path).expect("read a sandbox dir") {
                self.hand_over(&entry.expect("a sandbox dir entry").path());
            }
        }
    }

    fn env(&self) -> Vec<(&'static str, OsString)> {
        let root = self.root();
        let path = std::env::join_paths([root.join("bin"), root.join("real")])
            .expect("a PATH from temp dirs");
        vec![
            ("PATH", path),
            ("HOME", root.join("home").into()),
            ("TMPDIR", root.join("tmp").into()),
            ("RUNSHEET_STATE_DIR", root.join("state").into()),
            ("SANDBOX_LOG", root.join("log").into()),
            ("LANG", "C.UTF-8".into()),
        ]
    }

    /// `$SANDBOX_LOG` as it appears in the environment of every process the sandbox starts.
    fn marker(&self) -> Vec<u8> {
        let mut marker = b"SANDBOX_LOG=".to_vec();
        marker.extend_from_slice(self.root().join("log").as_os_str().as_encoded_bytes());
        marker
    }

    fn runsheet(&self, args: &[OsString], timeout: Duration) -> Outcome {
        self.run(&self.runsheet, args, timeout)
    }

    /// Runs `program` in the sandbox with nothing on stdin, kills it after `timeout`,
    /// and kills and reports whatever it left running.
    fn run(&self, program: &Path, args: &[impl AsRef<OsStr>], timeout: Duration) -> Outcome {
        let mut std_command = std::process::Command::new(program);
        std_command
            .args(args)
            .env_clear()
            .envs(self.env())
            .current_dir(self.root().join("work"));
        if let Some(user) = self.user {
            std_command.uid(user.uid).gid(user.gid);
        }
        let mut command = assert_cmd::Command::from_std(std_command);
        command.timeout(timeout);
        let marker = self.marker();
        let watchdog = Watchdog::start(marker.clone(), timeout + WATCHDOG_GRACE);
        let started = Instant::now();
        let output = command.output();
        let elapsed = started.elapsed();
        drop(watchdog);
        Outcome {
            output,
            elapsed,
            timeout,
            strays: reap(&marker),
        }
    }

    fn keep(self) -> PathBuf {
        self.dir.keep()
    }
}

/// What one command in the sandbox did.
struct Outcome {
    output: io::Result<Output>,
    elapsed: Duration,
    timeout: Duration,
    /// Processes it left running, killed since.
    strays: Vec<String>,
}

impl Outcome {
    fn code(&self) -> Option<i32> {
        self.output.as_ref().ok().and_then(|o| o.status.code())
    }

    fn stdout(&self) -> Vec<u8> {
        self.output
            .as_ref()
            .map(|o| o.stdout.clone())
            .unwrap_or_default()
    }

    fn stderr(&self) -> Vec<u8> {
        self.output
            .as_ref()
            .map(|o| o.stderr.clone())
            .unwrap_or_default()
    }

    fn status_text(&self) -> String {
        let secs = self.elapsed.as_secs_f64();
        match &self.output {
            Err(e) => format!("could not start ({e})"),
            Ok(o) => match (o.status.code(), o.status.signal()) {
                (Some(code), _) => format!("exited {code} after {secs:.1}s"),
                (None, Some(9)) if self.elapsed >= self.timeout => {
                    format!("timed out after {}s and was killed", self.timeout.as_secs())
                }
                (None, Some(signal)) => format!("killed by signal {signal} after {secs:.1}s"),
                (None, None) => format!("ended with {} after {secs:.1}s", o.status),
            },
        }
    }

    /// The status and the first lines of stderr.
    fn describe(&self) -> String {
        let mut text = self.status_text();
        let stderr = self.stderr();
        let stderr = String::from_utf8_lossy(&stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        if !lines.is_empty() {
            text.push_str("; stderr:");
            for line in lines.iter().take(STDERR_LINES) {
                text.push_str("\n  | ");
                text.push_str(line);
            }
            if lines.len() > STDERR_LINES {
                let _ = write!(text, "\n  | ({} more lines)", lines.len() - STDERR_LINES);
            }
        }
        text
    }
}

/// Kills the sandbox's processes if a command outlives its timeout by
/// `WATCHDOG_GRACE`: a descendant holding runsheet's output pipes would otherwise
/// keep the test waiting for ever. Dropping it calls it off.
struct Watchdog {
    cancel: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Watchdog {
    fn start(marker: Vec<u8>, after: Duration) -> Watchdog {
        let (cancel, cancelled) = mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = cancelled.recv_timeout(after) {
                for (pid, _) in sandbox_processes(&marker) {
                    kill(pid);
                }
            }
        });
        Watchdog {
            cancel: Some(cancel),
            thread: Some(thread),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.cancel.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Kills what a finished command left running in the sandbox and says what it was.
/// A process on its way out gets a moment first.
fn reap(marker: &[u8]) -> Vec<String> {
    if sandbox_processes(marker).is_empty() {
        return Vec::new();
    }
    thread::sleep(Duration::from_millis(500));
    sandbox_processes(marker)
        .into_iter()
        .map(|(pid, command)| {
            kill(pid);
            format!("pid {pid}: {command}")
        })
        .collect()
}

/// Live processes whose environment holds `marker` (the sandbox's `SANDBOX_LOG`),
/// with their command lines. Empty where there is no `/proc`.
fn sandbox_processes(marker: &[u8]) -> Vec<(i32, String)> {
    let me = std::process::id();
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if u32::try_from(pid) == Ok(me) {
            continue;
        }
        let Ok(environ) = fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ.split(|&b| b == 0).any(|var| var == marker) {
            let cmdline = fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline);
            let mut words = cmdline
                .split(|c: char| c == '\0' || c.is_whitespace())
                .filter(|w| !w.is_empty());
            let mut shown = words.next().unwrap_or("?").to_owned();
            for word in words {
                if shown.len() > CMDLINE_CHARS {
                    shown.push_str(" …");
                    break;
                }
                shown.push(' ');
                shown.push_str(word);
            }
            found.push((pid, shown));
        }
    }
    found
}

fn kill(pid: i32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

#[derive(Clone, Copy)]
struct User {
    uid: u32,
    gid: u32,
}

/// `nobody`, when the test runs as root: the sandbox cannot fake bash's own
/// redirections, but it can make `>> /var/log/...` fail.
fn unprivileged_user() -> Option<User> {
    if !rustix::process::geteuid().is_root() {
        return None;
    }
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let from_passwd = passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        match fields.as_slice() {
            ["nobody", _, uid, gid, ..] => Some(User {
                uid: uid.parse().ok()?,
                gid: gid.parse().ok()?,
            }),
            _ => None,
        }
    });
    Some(from_passwd.unwrap_or(User {
        uid: 65534,
        gid: 65534,
    }))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sandbox")
        .join(name)
}

/// The names in a fixture list: one a line, `#` comments and blank lines skipped.
fn fixture_list(name: &str) -> Vec<String> {
    let path = fixture(name);
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The utilities of `real.txt` found on the test's own PATH, found once.
fn real_tools() -> &'static [(String, PathBuf)] {
    static TOOLS: OnceLock<Vec<(String, PathBuf)>> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let tools: Vec<(String, PathBuf)> = fixture_list("real.txt")
            .into_iter()
            .filter_map(|name| which(&name).map(|path| (name, path)))
            .collect();
        assert!(
            tools.iter().any(|(name, _)| name == "bash"),
            "no bash on PATH for the sandbox"
        );
        tools
    })
}

/// The first executable file called `name` on PATH, like which(1). Linked, not
/// resolved: a multi-call binary needs the name it was called by.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|candidate| {
            fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

fn os(s: &str) -> OsString {
    s.into()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Where two texts first differ, by line, with both lines shown escaped.
fn first_difference(expected: &[u8], actual: &[u8]) -> String {
    let show = |line: Option<&[u8]>| match line {
        None => "<end of file>".to_owned(),
        Some(line) => format!("{:?}", String::from_utf8_lossy(line)),
    };
    let mut expected_lines = expected.split_inclusive(|&b| b == b'\n');
    let mut actual_lines = actual.split_inclusive(|&b| b == b'\n');
    let mut number = 1;
    loop {
        match (expected_lines.next(), actual_lines.next()) {
            (None, None) => return "no line differs".into(),
            (Some(e), Some(a)) if e == a => number += 1,
            (e, a) => {
                return format!(
                    "first difference at line {number}:\n  source: {}\n  strip:  {}",
                    show(e),
                    show(a)
                );
            }
        }
    }
}
