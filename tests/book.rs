//! The book's examples are run, so the documentation cannot drift from what
//! runsheet does: every example in `book/src/examples/` runs with the exit code
//! its table gives and appears verbatim in its chapter, and the transcript-format
//! chapter's example transcript is what runsheet writes today.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn examples() -> PathBuf {
    repo().join("book/src/examples")
}

/// Rows of the first Markdown table under `heading` in `text`.
fn table(text: &str, heading: &str) -> Vec<Vec<String>> {
    let section = text
        .split(heading)
        .nth(1)
        .unwrap_or_else(|| panic!("no `{heading}` section"));
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

fn runsheet(dir: &Path, args: &[&str], state: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("runsheet"));
    cmd.args(args)
        .current_dir(dir)
        .env("RUNSHEET_STATE_DIR", state)
        .env("HOME", state)
        .env("USER", "alice")
        .env("NO_COLOR", "1")
        .env_remove("XDG_STATE_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .stdin(Stdio::null());
    cmd
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create the copy");
    for entry in fs::read_dir(from).expect("read the examples").flatten() {
        if entry.path().is_file() {
            fs::copy(entry.path(), to.join(entry.file_name())).expect("copy an example");
        }
    }
}

fn has(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn every_example_runs_with_the_exit_code_the_book_gives() {
    let readme = fs::read_to_string(examples().join("README.md")).expect("examples/README.md");
    let rows = table(&readme, "## Runs");
    assert!(
        rows.len() >= 5,
        "the examples table lists the runs: {rows:?}"
    );
    let mut failures = Vec::new();
    for row in rows {
        let [file, args, exit] = &row[..] else {
            panic!("a row of three cells: {row:?}");
        };
        let example = fs::read_to_string(examples().join(file)).unwrap_or_default();
        if example.contains("sqlite3") && !has("sqlite3") && std::env::var("CI").is_err() {
            eprintln!("skipping `{args} {file}`: sqlite3 is not installed here (CI installs it)");
            continue;
        }
        let tmp = tempfile::tempdir().expect("a temp dir");
        let dir = tmp.path().join("examples");
        copy_dir(&examples(), &dir);
        let state = tmp.path().join("state");
        fs::create_dir_all(&state).expect("state dir");
        let mut words: Vec<&str> = args.split_whitespace().collect();
        words.push(file);
        let out = runsheet(&dir, &words, &state)
            .output()
            .expect("run the example");
        let code = out.status.code().unwrap_or(-1).to_string();
        if &code != exit {
            failures.push(format!(
                "`runsheet {}` exited {code}, the book says {exit}\n{}",
                words.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_example_file_is_shown_verbatim_in_its_chapter() {
    let readme = fs::read_to_string(examples().join("README.md")).expect("examples/README.md");
    for row in table(&readme, "## Where each file is shown") {
        let [file, chapter] = &row[..] else {
            panic!("a row of two cells: {row:?}");
        };
        let text = fs::read_to_string(examples().join(file)).expect("the example file");
        let page = fs::read_to_string(repo().join("book/src").join(chapter)).expect("the chapter");
        assert!(
            page.contains(&text),
            "{chapter} does not show {file} as it is"
        );
    }
}

/// Times, ids, digests, durations and who ran it change from run to run.
fn mask(text: &str) -> String {
    let patterns = [
        (r"\d{8}T\d{6}Z-[0-9a-f]{4}", "RUN-ID"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TIME"),
        (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", "TIME"),
        (r"\d\d:\d\d:\d\dZ", "TIME"),
        (r"sha256=[0-9a-f]{64}", "sha256=SHA"),
        (r"operator=[^ ]+", "operator=WHO"),
        (r"alice@[^ ]+", "WHO"),
        (r" ms=\d+", ""),
        (r"\d+\.\d+s\b", "DURATION"),
    ];
    let mut out = text.to_string();
    for (pattern, with) in patterns {
        out = regex::Regex::new(pattern)
            .expect("a valid pattern")
            .replace_all(&out, with)
            .into_owned();
    }
    out
}

/// The text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`, fence lines removed.
fn marked_block(page: &str, name: &str) -> String {
    let start = page
        .find(&format!("<!-- {name}:begin -->"))
        .unwrap_or_else(|| panic!("no {name}"));
    let end = page
        .find(&format!("<!-- {name}:end -->"))
        .unwrap_or_else(|| panic!("no end of {name}"));
    let block = &page[start..end];
    let lines: Vec<&str> = block.lines().skip(1).collect();
    let body = &lines[1..lines.len() - 1];
    body.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn the_transcript_format_example_is_what_runsheet_writes() {
    let page =
        fs::read_to_string(repo().join("book/src/transcript-format.md")).expect("the chapter");
    let runbook =
        fs::read_to_string(repo().join("runbooks/restart-worker.md")).expect("the runbook");
    assert_eq!(
        marked_block(&page, "example-runbook"),
        runbook,
        "the chapter shows the runbook as it is"
    );

    let tmp = tempfile::tempdir().expect("a temp dir");
    let out = tmp.path().join("restart-worker.run.md");
    let state = tmp.path().join("state");
    fs::create_dir_all(&state).expect("state dir");
    let status = runsheet(
        &repo(),
        &[
            "run",
            "--yes",
            "runbooks/restart-worker.md",
            "-o",
            out.to_str().expect("utf-8 path"),
        ],
        &state,
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .status()
    .expect("run the example");
    assert_eq!(status.code(), Some(3), "the chapter says it exits 3");
    let written = fs::read_to_string(&out).expect("the transcript");
    assert_eq!(
        mask(&marked_block(&page, "example-transcript")),
        mask(&written),
        "the chapter's example transcript is not what runsheet writes now"
    );
}
