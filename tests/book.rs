//! The book's examples are run, so the documentation cannot drift from what
//! runsheet does: every example in `book/src/examples/` runs with the exit code
//! its table gives and appears verbatim in its chapter, and the transcript-format
//! chapter's example transcript is what runsheet writes today.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::{mask, require_tool};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn examples() -> PathBuf {
    repo().join("book/src/examples")
}

/// Rows of the first Markdown table under `heading` in `text`.
pub fn table(text: &str, heading: &str) -> Vec<Vec<String>> {
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
        } else if entry.path().is_dir() {
            // Environment files of the templated examples live in envs/.
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        }
    }
}

/// Whether an example needs `sqlite3`: `runsheet.toml` here gives `sql` blocks
/// to it.
pub fn needs_sqlite3(example: &str) -> bool {
    example.contains("```sql")
}

/// The rows of the examples' `## Runs` table (file, command args, exit) whose
/// example does or does not need `sqlite3`.
fn runs(sqlite3: bool) -> Vec<[String; 3]> {
    let readme = fs::read_to_string(examples().join("README.md")).expect("examples/README.md");
    table(&readme, "## Runs")
        .into_iter()
        .map(|row| {
            <[String; 3]>::try_from(row)
                .unwrap_or_else(|row| panic!("a row of three cells: {row:?}"))
        })
        .filter(|[file, _, _]| {
            let example = fs::read_to_string(examples().join(file))
                .unwrap_or_else(|e| panic!("examples/{file}: {e}"));
            needs_sqlite3(&example) == sqlite3
        })
        .collect()
}

/// Runs each row in a fresh copy of the examples directory; the failures.
fn check_runs(rows: &[[String; 3]]) {
    let mut failures = Vec::new();
    for [file, args, exit] in rows {
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
fn every_example_runs_with_the_exit_code_the_book_gives() {
    let rows = runs(false);
    assert!(
        rows.len() >= 5,
        "the examples table lists the runs: {rows:?}"
    );
    check_runs(&rows);
}

#[test]
#[ignore = "needs sqlite3, which a developer machine may lack; CI installs it and runs this with --ignored"]
fn sql_examples_run_with_the_exit_code_the_book_gives() {
    require_tool("sqlite3");
    let rows = runs(true);
    assert!(!rows.is_empty(), "no example in the table needs sqlite3");
    check_runs(&rows);
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

/// `mask`, and the source's digest too: the chapter's example may show the
/// runbook as it was when the chapter was written.
fn mask_with_digest(text: &str) -> String {
    regex::Regex::new(r"sha256=[0-9a-f]{64}")
        .expect("a valid pattern")
        .replace_all(&mask(text), "sha256=[SHA256]")
        .into_owned()
}

/// The text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`, fence lines removed.
pub fn marked_block(page: &str, name: &str) -> String {
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
        mask_with_digest(&marked_block(&page, "example-transcript")),
        mask_with_digest(&written),
        "the chapter's example transcript is not what runsheet writes now"
    );
}

#[test]
fn the_templates_chapter_shows_the_error_runsheet_gives() {
    let page = fs::read_to_string(repo().join("book/src/templates.md")).expect("the chapter");
    let tmp = tempfile::tempdir().expect("a temp dir");
    let state = tmp.path().join("state");
    fs::create_dir_all(&state).expect("state dir");
    let out = runsheet(&examples(), &["render", "templated.typo.md"], &state)
        .output()
        .expect("render the example");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        marked_block(&page, "template-error"),
        String::from_utf8_lossy(&out.stderr),
        "the chapter's error is not what runsheet prints now"
    );
    assert_eq!(
        marked_block(&page, "templated"),
        fs::read_to_string(examples().join("templated.md")).expect("the example")
    );
}

#[test]
fn the_templates_chapter_shows_the_template_lines_plan_gives() {
    let page = fs::read_to_string(repo().join("book/src/templates.md")).expect("the chapter");
    let tmp = tempfile::tempdir().expect("a temp dir");
    let state = tmp.path().join("state");
    fs::create_dir_all(&state).expect("state dir");
    let out = runsheet(
        &examples(),
        &["plan", "templated.md", "--env", "prod"],
        &state,
    )
    .output()
    .expect("plan the example");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        marked_block(&page, "template-plan"),
        String::from_utf8_lossy(&out.stdout),
        "the chapter's plan is not what runsheet prints now"
    );
}

/// `mask`, and what else changes between two runs of the health check: how
/// many times slower, process ids, digests, times of day, JUnit's seconds.
fn mask_runs(text: &str) -> String {
    let patterns = [
        (r"\(\d+(\.\d+)?×\)", "(FACTOR×)"),
        (r"pid \d+", "pid PID"),
        (r"[0-9a-f]{64}", "SHA"),
        (r#"hostname="[^"]*""#, r#"hostname="HOST""#),
        (r#"time="[0-9.]+""#, r#"time="SECONDS""#),
        (r"\b\d\d:\d\d:\d\d\b", "TIME"),
    ];
    let mut out = mask(text);
    for (pattern, with) in patterns {
        out = regex::Regex::new(pattern)
            .expect("a valid pattern")
            .replace_all(&out, with)
            .into_owned();
    }
    out
}

/// Every key of every object in `value`.
fn keys(value: &serde_json::Value, into: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                into.insert(k.clone());
                keys(v, into);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, into)),
        _ => {}
    }
}

/// The diff chapter's examples are two real runs of `runbooks/health-check.md`,
/// the second slower and failing, compared as the chapter shows; its JSON
/// schemas name every field runsheet writes; its CI recipes are valid YAML.
#[test]
fn the_diff_chapter_shows_what_runsheet_prints() {
    let page =
        fs::read_to_string(repo().join("book/src/diff-and-reports.md")).expect("the chapter");
    let tmp = tempfile::tempdir().expect("a temp dir");
    let dir = tmp.path().join("repo");
    fs::create_dir_all(dir.join("runbooks")).expect("runbooks dir");
    fs::copy(
        repo().join("runbooks/health-check.md"),
        dir.join("runbooks/health-check.md"),
    )
    .expect("copy the runbook");
    let state = tmp.path().join("state");
    fs::create_dir_all(&state).expect("state dir");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = runsheet(&dir, args, &state);
        cmd.env_remove("CACHE_WARM_SECONDS").env_remove("API_DOWN");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("runsheet runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let monday = [
        "run",
        "--yes",
        "runbooks/health-check.md",
        "-o",
        "monday.run.md",
    ];
    assert_eq!(run(&monday, &[]).0, Some(3), "the chapter says it exits 3");
    let tuesday = [
        "run",
        "--yes",
        "--keep-going",
        "runbooks/health-check.md",
        "-o",
        "tuesday.run.md",
    ];
    let bad_night = [("CACHE_WARM_SECONDS", "2"), ("API_DOWN", "1")];
    assert_eq!(
        run(&tuesday, &bad_night).0,
        Some(1),
        "the chapter says it exits 1"
    );

    let two = ["monday.run.md", "tuesday.run.md"];
    for (block, args, exit) in [
        ("diff-text", vec!["diff"], 1),
        ("diff-stat", vec!["diff", "--stat"], 1),
        ("diff-markdown", vec!["diff", "--format", "markdown"], 1),
    ] {
        let args: Vec<&str> = args.into_iter().chain(two).collect();
        let (code, stdout) = run(&args, &[]);
        assert_eq!(code, Some(exit), "runsheet {args:?}");
        assert_eq!(
            mask_runs(&marked_block(&page, block)),
            mask_runs(&stdout),
            "the chapter's `{block}` is not what `runsheet {}` prints now",
            args.join(" ")
        );
    }
    let (code, junit) = run(&["report", "--format", "junit", "tuesday.run.md"], &[]);
    assert_eq!(code, Some(0));
    assert_eq!(
        mask_runs(&marked_block(&page, "junit-example")),
        mask_runs(&junit),
        "the chapter's JUnit example is not what runsheet writes now"
    );

    let mut fields = std::collections::BTreeSet::new();
    for args in [
        vec!["report", "tuesday.run.md"],
        vec![
            "diff",
            "--format",
            "json",
            "monday.run.md",
            "tuesday.run.md",
        ],
    ] {
        let (_, json) = run(&args, &[]);
        let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        keys(&value, &mut fields);
    }
    let undocumented: Vec<&String> = fields
        .iter()
        .filter(|k| !page.contains(&format!("`{k}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "fields the chapter's schemas do not name: {undocumented:?}"
    );

    let github: serde_norway::Value = serde_norway::from_str(&marked_block(&page, "ci-github"))
        .expect("the GitHub workflow is YAML");
    let steps = &github["jobs"]["health-check"]["steps"];
    assert!(
        steps.as_sequence().is_some_and(|s| s.len() >= 5),
        "{github:?}"
    );
    let gitlab: serde_norway::Value =
        serde_norway::from_str(&marked_block(&page, "ci-gitlab")).expect("the GitLab job is YAML");
    let job = &gitlab["health-check"];
    assert_eq!(job["allow_failure"]["exit_codes"], 3);
    assert_eq!(job["artifacts"]["reports"]["junit"], "runsheet.xml");
    let script = format!("{:?}", job["script"]);
    assert!(script.contains("--junit runsheet.xml"), "{script}");
}
