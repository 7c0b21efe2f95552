//! Where an answer came from, across runs: `diff` shows a blank or a
//! placeholder typed in one run and taken from the answers file in the
//! other, and `history` lets the runs be told apart by it, in each format.

use crate::common::{RUN, RUNBOOK, Sandbox, Test, sandbox};

const VALUE: &str =
    "Value (`now` for the current UTC time, empty to skip) · [q]uit / [b]ack / [g]o to";

/// A blank (`s1`) and a command (`s2`) with two placeholders.
const RELEASE: &str = r"
    # Release

    Release manager: ____

    ```bash {name=tag}
    echo tagging <release-tag> on <host>
    ```
    ";

/// The same answers both ways: typed into `typed.md`, from the answers
/// file into `file.md` (all of them) and `partly.md` (the blank and
/// `<host>`; `<release-tag>` typed).
fn three_runs() -> Sandbox {
    let sandbox = sandbox(RELEASE);
    sandbox.write("runs/.keep", "");
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", "runs/1-typed.md"], &[]);
    pty.answer(VALUE, "Alice");
    pty.answer(RUN, "r");
    pty.answer("Value for <release-tag>", "v1.2.3");
    pty.answer("Value for <host>", "web-1");
    pty.expect("With its placeholders filled in, it runs as:");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");

    sandbox.write(
        "all.yaml",
        "Release manager: Alice\nrelease-tag: v1.2.3\nhost: web-1\n",
    );
    let out = Test::in_sandbox(sandbox)
        .args([
            "run",
            "--yes",
            "--answers",
            "all.yaml",
            RUNBOOK,
            "-o",
            "runs/2-file.md",
        ])
        .run();
    let sandbox = out.sandbox;

    sandbox.write("some.yaml", "Release manager: Alice\nhost: web-1\n");
    let mut pty = sandbox.pty(
        &[
            "run",
            "--answers",
            "some.yaml",
            RUNBOOK,
            "-o",
            "runs/3-partly.md",
        ],
        &[],
    );
    pty.answer(RUN, "r");
    pty.answer("Value for <release-tag>", "v1.2.3");
    pty.expect("With its placeholders filled in, it runs as:");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    sandbox
}

/// The `changes` of the step `id` in `runsheet diff --format json`.
fn changes_of(diff: &serde_json::Value, id: &str) -> Vec<serde_json::Value> {
    diff["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["new"]["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {diff}"))["changes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn diff_shows_an_answer_typed_in_one_run_and_taken_from_the_answers_file_in_the_other() {
    let sandbox = three_runs();
    // The same values, from elsewhere: a difference, and what it is.
    let out = Test::in_sandbox(sandbox)
        .args(["diff", "runs/1-typed.md", "runs/2-file.md"])
        .status(1)
        .run();
    let text = &out.stdout;
    assert!(text.starts_with("2 steps differ: 2 answer\n"), "{text}");
    assert!(
        text.contains("Release manager: ____ (line 3)\n    answer came from: typed at the prompt → the answers file\n"),
        "{text}"
    );
    assert!(
        text.contains("    <release-tag> came from: typed at the prompt → the answers file\n")
            && text.contains("    <host> came from: typed at the prompt → the answers file\n"),
        "{text}"
    );
    assert!(!text.contains("command: what ran differs"), "{text}");

    // Only what changed place: `<host>` came from the file in both.
    let out = out
        .then()
        .args([
            "diff",
            "--format",
            "json",
            "runs/2-file.md",
            "runs/3-partly.md",
        ])
        .status(1)
        .run();
    let diff: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(diff["verdict"], "1 step differs: 1 answer", "{diff}");
    assert_eq!(changes_of(&diff, "s1"), Vec::<serde_json::Value>::new());
    assert_eq!(
        changes_of(&diff, "tag"),
        [serde_json::json!({
            "change": "origin",
            "placeholder": "<release-tag>",
            "old": "answers-file",
            "new": "prompt",
        })]
    );

    let out = out
        .then()
        .args([
            "diff",
            "--format",
            "markdown",
            "runs/1-typed.md",
            "runs/3-partly.md",
        ])
        .status(1)
        .run();
    assert!(
        out.stdout.contains(
            "| ✏️ answer | Release › Release manager: ____ | answer came from: typed at the prompt → the answers file |\n\
             | ✏️ answer | Release › `tag` | &lt;host&gt; came from: typed at the prompt → the answers file |\n"
        ),
        "{}",
        out.stdout
    );

    // A run against itself: nothing differs.
    out.then()
        .args(["diff", "runs/2-file.md", "runs/2-file.md"])
        .stdout_contains("equivalent")
        .run();
}

#[test]
fn history_tells_runs_apart_by_where_their_answers_came_from() {
    let sandbox = three_runs();
    let out = Test::in_sandbox(sandbox)
        .args(["history", "--format", "json", "runs"])
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let h = &doc[0];
    // In time order: typed, file, partly.
    let transcripts: Vec<&str> = h["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["transcript"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        transcripts,
        ["runs/1-typed.md", "runs/2-file.md", "runs/3-partly.md"]
    );
    let answers = |run: usize| -> Vec<(String, String, String)> {
        h["runs"][run]["answers"]
            .as_array()
            .expect("answers")
            .iter()
            .map(|a| {
                let s = |k: &str| a[k].as_str().unwrap_or("-").to_string();
                (s("placeholder"), s("answer"), s("from"))
            })
            .collect()
    };
    let a = |p: &str, v: &str, f: &str| (p.to_string(), v.to_string(), f.to_string());
    assert_eq!(
        answers(0),
        [
            a("-", "Alice", "prompt"),
            a("<release-tag>", "v1.2.3", "prompt"),
            a("<host>", "web-1", "prompt")
        ]
    );
    assert_eq!(
        answers(2),
        [
            a("-", "Alice", "answers-file"),
            a("<release-tag>", "v1.2.3", "prompt"),
            a("<host>", "web-1", "answers-file")
        ]
    );
    let rows = h["rows"].as_array().expect("rows");
    let tag = rows
        .iter()
        .find(|r| r["name"] == "tag")
        .expect("the tag row");
    let from: Vec<&str> = tag["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|c| c["answer_from"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(from, ["prompt", "answers-file", "both"]);

    let out = out
        .then()
        .args(["history", "--format", "csv", "runs"])
        .run();
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let head = reader.headers().expect("a header").clone();
    let column = |name: &str| head.iter().position(|h| h == name);
    let (step, from) = (column("step"), column("answer_from"));
    assert!(step.is_some() && from.is_some(), "{}", out.stdout);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("CSV")).collect();
    let blank: Vec<&str> = rows
        .iter()
        .filter(|r| {
            step.and_then(|i| r.get(i))
                .is_some_and(|s| s.contains("Release manager"))
        })
        .filter_map(|r| r.get(from?))
        .collect();
    assert_eq!(
        blank,
        ["prompt", "answers-file", "answers-file"],
        "{}",
        out.stdout
    );

    let out = out
        .then()
        .args(["history", "runs"])
        .env("COLUMNS", "200")
        .run();
    assert!(
        out.stdout.contains(
            "Answered from the answers file in some runs and typed in others:\n  \
             Release › Release manager: ____ (typed in #1; from the answers file in #2, #3)\n  \
             Release › `tag` (typed in #1; from the answers file in #2; partly from the answers file in #3)\n"
        ),
        "{}",
        out.stdout
    );
    let out = out
        .then()
        .args(["history", "--format", "markdown", "runs"])
        .run();
    assert!(
        out.stdout
            .contains("  - Release › `tag` (typed in #1; from the answers file in #2; partly from the answers file in #3)\n"),
        "{}",
        out.stdout
    );

    let out = out
        .then()
        .args(["history", "--html", "page.html", "runs"])
        .run();
    let page = out.read("page.html");
    assert!(
        page.contains("<h3>Answered from the answers file in some runs and typed in others</h3>"),
        "{page}"
    );
    assert!(
        page.contains(
            "\"placeholder\":\"\\u003crelease-tag>\",\"answer\":\"v1.2.3\",\"from\":\"prompt\""
        ),
        "{page}"
    );
}
