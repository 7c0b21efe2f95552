//! Whole-transcript snapshots: each example runbook (`runbooks/*.md`, and the
//! runs of the book's examples that settle unattended) runs through the real
//! binary in a sandbox, and its transcript, with what changes from run to run
//! masked, must be the one stored under `tests/snapshots/` at the same path
//! (`tests/snapshots/runbooks/demo.md`). A second run of the same file with
//! other options adds its long options to the name
//! (`tests/snapshots/book/src/examples/nightly.keep-going.md`).
//!
//! When a change to a transcript is intended, `RUNSHEET_BLESS=1 cargo test
//! --release snapshot` rewrites the stored ones; review them with `git diff`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use regex::Regex;

use crate::book::{examples, needs_sqlite3, repo, table};
use crate::common::{Sandbox, Test, diff, mask, require_tool};

/// Where the transcript of a case is written, in the sandbox's working directory.
const TRANSCRIPT: &str = "transcript.md";

/// `runbooks/README.md`: each example runbook has a task nobody can confirm
/// unattended, so an unattended run of it ends 3.
const RUNBOOK_EXIT: i32 = 3;

/// Example runbooks whose blocks run on remote hosts, so not here.
const NEEDS_HOSTS: [&str; 1] = ["fleet-demo.md"];

/// Output that depends on the machine or the year, per example: the disk use
/// `df` reports, and the year `date` prints.
const MACHINE_MASKS: [(&str, &str, &str); 2] = [
    ("incident.md", r"(?m)^\d{1,3}%$", "[DISK USE]"),
    ("incident.md", r"(?m)^20[2-9]\d$", "[YEAR]"),
];

/// One unattended run and where its expected transcript is kept.
struct Case {
    /// The directory copied into the sandbox's working directory.
    dir: PathBuf,
    /// The runbook, relative to `dir` (and to the working directory).
    runbook: String,
    /// The arguments before the runbook (`run --yes ...`).
    args: Vec<String>,
    exit: i32,
    /// The expected transcript, relative to `tests/snapshots/`.
    snapshot: String,
    needs_sqlite3: bool,
}

fn snapshots() -> PathBuf {
    repo().join("tests/snapshots")
}

/// `runbooks/*.md` but the README, and the rows of the book examples' `## Runs`
/// table that run (`run ...`) and end with a transcript (not exit 2).
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let runbooks = repo().join("runbooks");
    let mut names: Vec<String> = fs::read_dir(&runbooks)
        .expect("the runbooks directory")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md") && n != "README.md")
        // Its blocks run on remote hosts: `fleet.rs` runs it against sshd.
        .filter(|n| !NEEDS_HOSTS.contains(&n.as_str()))
        .collect();
    names.sort();
    for name in names {
        cases.push(Case {
            dir: runbooks.clone(),
            runbook: format!("runbooks/{name}"),
            args: vec!["run".into(), "--yes".into()],
            exit: RUNBOOK_EXIT,
            snapshot: format!("runbooks/{name}"),
            needs_sqlite3: false,
        });
    }
    let readme = fs::read_to_string(examples().join("README.md")).expect("examples/README.md");
    for row in table(&readme, "## Runs") {
        let [file, args, exit] = &row[..] else {
            panic!("a row of three cells: {row:?}");
        };
        let exit: i32 = exit.parse().expect("an exit status");
        let args: Vec<String> = args.split_whitespace().map(str::to_owned).collect();
        if args.first().map(String::as_str) != Some("run") || exit == 2 {
            continue;
        }
        let example = fs::read_to_string(examples().join(file)).expect("the example");
        cases.push(Case {
            dir: examples(),
            runbook: file.clone(),
            snapshot: format!("book/src/examples/{}", snapshot_name(file, &args)),
            args,
            exit,
            needs_sqlite3: needs_sqlite3(&example),
        });
    }
    let mut seen = BTreeSet::new();
    for case in &cases {
        assert!(
            seen.insert(case.snapshot.clone()),
            "two runs would share the snapshot {}",
            case.snapshot
        );
    }
    cases
}

/// `nightly.md` run with `--yes --keep-going` is `nightly.keep-going.md`: the
/// long options other than `--yes` go into the name, and the value of those
/// that name what the run takes: the environment a template is rendered for
/// (`templated.env-prod.md`), the option chosen, the section run alone or
/// after a failure (`canary.choose-canary.on-failure-rollback.md`), and what
/// tells an answers file from the others beside the runbook
/// (`decisions.answers-go.md`).
fn snapshot_name(file: &str, args: &[String]) -> String {
    let stem = file.strip_suffix(".md").unwrap_or(file);
    let mut name = stem.to_owned();
    for (i, arg) in args.iter().enumerate() {
        if let Some(option) = arg.strip_prefix("--")
            && option != "yes"
        {
            name.push('.');
            name.push_str(option);
            if matches!(option, "env" | "choose" | "only" | "on-failure")
                && let Some(value) = args.get(i + 1)
            {
                name.push('-');
                name.push_str(value);
            }
            // Answers files beside one runbook tell its runs apart:
            // `decisions.go.answers.yaml` is `decisions.answers-go.md`.
            if option == "answers"
                && let Some(part) = args
                    .get(i + 1)
                    .and_then(|f| f.strip_prefix(&format!("{stem}.")))
                    .and_then(|f| f.split(".answers").next())
                    .filter(|p| !p.is_empty() && *p != "answers.yaml")
            {
                name.push('-');
                name.push_str(part);
            }
        }
    }
    name + ".md"
}

/// Copies the files of `from` into `to`, and its folders (a template's
/// `envs/`) with theirs.
fn copy_files(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create the copy");
    for entry in fs::read_dir(from).expect("read a directory").flatten() {
        if entry.path().is_file() {
            fs::copy(entry.path(), to.join(entry.file_name())).expect("copy a file");
        } else if entry.path().is_dir() {
            copy_files(&entry.path(), &to.join(entry.file_name()));
        }
    }
}

/// Runs `case` and gives its transcript, masked.
fn transcript_of(case: &Case) -> String {
    let sandbox = Sandbox::new();
    let into = match case.runbook.rsplit_once('/') {
        Some((dir, _)) => sandbox.path(dir),
        None => sandbox.work(),
    };
    copy_files(&case.dir, &into);
    let tmp = sandbox.root().join("tmp");
    fs::create_dir(&tmp).expect("the sandbox's TMPDIR");
    let out = Test::in_sandbox(sandbox)
        .args(&case.args)
        .args([case.runbook.as_str(), "-o", TRANSCRIPT])
        .env("TMPDIR", &tmp)
        .status(case.exit)
        .run();
    let mut text = out.read(TRANSCRIPT);
    // The sandbox, as given and as the system resolves it.
    for root in [
        out.root().to_path_buf(),
        out.root().canonicalize().expect("the sandbox"),
    ] {
        text = text.replace(&*root.to_string_lossy(), "[SANDBOX]");
    }
    let mut text = mask(&text);
    for (file, pattern, with) in MACHINE_MASKS {
        if case.runbook.ends_with(file) {
            text = Regex::new(pattern)
                .expect("a valid mask")
                .replace_all(&text, with)
                .into_owned();
        }
    }
    text
}

/// Runs every case, and compares (or, with `RUNSHEET_BLESS=1`, rewrites) its
/// snapshot.
fn check(cases: &[Case]) {
    let bless = std::env::var_os("RUNSHEET_BLESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for case in cases {
        let actual = transcript_of(case);
        let path = snapshots().join(&case.snapshot);
        if bless {
            fs::create_dir_all(path.parent().expect("a snapshot has a directory"))
                .expect("create the snapshot directory");
            fs::write(&path, &actual).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            eprintln!("blessed tests/snapshots/{}", case.snapshot);
            continue;
        }
        let what = format!(
            "runsheet {} {} (tests/snapshots/{})",
            case.args.join(" "),
            case.runbook,
            case.snapshot
        );
        match fs::read_to_string(&path) {
            Err(e) => failures.push(format!(
                "{what}: no snapshot ({e}); RUNSHEET_BLESS=1 cargo test --release snapshot writes it"
            )),
            Ok(expected) => {
                if let Some(shown) = diff(&expected, &actual, "expected", "actual") {
                    failures.push(format!("{what}: the transcript differs\n{shown}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nIf the change is intended: RUNSHEET_BLESS=1 cargo test --release snapshot, then review `git diff tests/snapshots`.",
        failures.join("\n\n")
    );
}

#[test]
fn example_transcripts_match_their_snapshots() {
    let cases: Vec<Case> = cases().into_iter().filter(|c| !c.needs_sqlite3).collect();
    assert!(
        cases.iter().any(|c| c.runbook == "runbooks/demo.md"),
        "the demo runbook has a snapshot"
    );
    check(&cases);
}

#[test]
#[ignore = "needs sqlite3, which a developer machine may lack; CI installs it and runs this with --ignored"]
fn sql_example_transcripts_match_their_snapshots() {
    require_tool("sqlite3");
    let cases: Vec<Case> = cases().into_iter().filter(|c| c.needs_sqlite3).collect();
    assert!(!cases.is_empty(), "no example needs sqlite3");
    check(&cases);
}

/// Every stored snapshot belongs to a case: a renamed or removed runbook
/// takes its snapshot with it.
#[test]
fn every_snapshot_has_its_runbook() {
    let expected: BTreeSet<String> = cases().into_iter().map(|c| c.snapshot).collect();
    let mut stored = BTreeSet::new();
    let mut dirs = vec![snapshots()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("read tests/snapshots").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path
                    .strip_prefix(snapshots())
                    .expect("under tests/snapshots");
                stored.insert(rel.to_string_lossy().into_owned());
            }
        }
    }
    let orphans: Vec<&String> = stored.difference(&expected).collect();
    assert!(
        orphans.is_empty(),
        "snapshots without a runbook run (remove them): {orphans:?}"
    );
}
