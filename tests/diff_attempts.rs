//! `runsheet diff` of runs whose steps took more than one attempt: a block
//! that failed and was retried (by its `retries=`, or by `resume`) differs
//! from a clean run, with how its earlier attempts ended, in every format;
//! a run that was only carried on by `resume` does not.

use crate::common::{RUN, Sandbox, Test, unindent};

/// A deploy whose second block fails until its `PASS_AT`-th try (the first,
/// unset), exiting `CODE` (1, unset), and is run up to three times.
const RETRIED: &str = "
    # Deploy

    - [ ] Prepare
      ```bash {name=prep}
      echo prepared
      ```
    - [ ] Bring the service up
      ```bash {name=up retries=2}
      n=$(( $(cat tries 2>/dev/null || echo 0) + 1 )); echo \"$n\" > tries
      if [ \"$n\" -lt \"${PASS_AT:-1}\" ]; then echo \"not up yet (try $n)\"; (exit \"${CODE:-1}\"); fi
      echo up
      ```
    - [ ] Finish
      ```bash {name=finish}
      echo finished
      ```
    ";

/// Runs `RETRIED` with `env` into `out`, the tries counted afresh.
fn run_retried(sandbox: Sandbox, out: &str, env: &[(&str, &str)]) -> Sandbox {
    if sandbox.exists("tries") {
        std::fs::remove_file(sandbox.path("tries")).expect("remove the count of tries");
    }
    let mut test = sandbox
        .test()
        .args(["run", "--yes", "runbook.md", "-o", out]);
    for (k, v) in env {
        test = test.env(k, v);
    }
    test.run().sandbox
}

/// `clean.md` (up at the first try), `retried.md` and `again.md` (up at the
/// third, after two tries that exit 1) and `exit2.md` (the same, exiting 2).
fn four_runs() -> Sandbox {
    let sandbox = Test::new()
        .runbook(unindent(RETRIED))
        .args(["run", "--yes", "runbook.md", "-o", "clean.md"])
        .run()
        .sandbox;
    let sandbox = run_retried(sandbox, "retried.md", &[("PASS_AT", "3")]);
    assert_eq!(sandbox.read("tries"), "3\n", "the block ran three times");
    let sandbox = run_retried(sandbox, "again.md", &[("PASS_AT", "3")]);
    run_retried(sandbox, "exit2.md", &[("PASS_AT", "3"), ("CODE", "2")])
}

const UP: &str = "Deploy › Bring the service up › `up`";

#[test]
fn a_block_retried_by_its_fence_differs_from_a_clean_run_in_every_format() {
    let sandbox = four_runs();
    let out = sandbox
        .test()
        .args(["diff", "clean.md", "retried.md"])
        .status(1)
        .run();
    let text = &out.stdout;
    assert!(
        text.starts_with("1 step differs: 1 attempts\n"),
        "the output is the same, only the attempts differ:\n{text}"
    );
    assert!(
        text.contains(&format!("\nattempts {UP} (line 8)\n")),
        "{text}"
    );
    assert!(
        text.contains(
            "\n    attempts: 1 → 3 (earlier in the new run: failed (exit 1), failed (exit 1))\n"
        ),
        "{text}"
    );
    assert!(!text.contains("output differs"), "{text}");
    // The task the block is in failed with it before it was retried, as
    // when a run stops at the failure and is resumed.
    assert!(
        text.contains(
            "attempts Deploy › Bring the service up (line 7)\n    attempts: 1 → 2 (earlier in the new run: failed)\n"
        ),
        "{text}"
    );

    // The other way round, the earlier attempts are the old run's.
    let out = out
        .then()
        .args(["diff", "retried.md", "clean.md"])
        .status(1)
        .run();
    assert!(
        out.stdout
            .contains("attempts: 3 → 1 (earlier in the old run: failed (exit 1), failed (exit 1))"),
        "{}",
        out.stdout
    );

    let md = out
        .then()
        .args(["diff", "--format", "markdown", "clean.md", "retried.md"])
        .status(1)
        .run();
    let text = &md.stdout;
    assert!(
        text.starts_with("### runsheet diff: 1 step differs: 1 attempts\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "| 🔂 attempts | {UP} | attempts: 1 → 3 (earlier in the new run: failed (exit 1), failed (exit 1)) |"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "- attempts: 1 → 3 (earlier in the new run: failed (exit 1), failed (exit 1))\n"
        ),
        "{text}"
    );

    let json = md
        .then()
        .args(["diff", "--format", "json", "clean.md", "retried.md"])
        .status(1)
        .run();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["equivalent"], false);
    assert_eq!(doc["verdict"], "1 step differs: 1 attempts");
    assert_eq!(doc["changed"], 1);
    assert_eq!(doc["counts"], serde_json::json!({"attempts": 1}));
    let steps = doc["steps"].as_array().expect("steps");
    let up = steps
        .iter()
        .find(|s| s["new"]["id"] == "up")
        .expect("the up step");
    assert_eq!(up["category"], "attempts");
    assert_eq!(
        up["changes"],
        serde_json::json!([{
            "change": "attempts",
            "old": 1,
            "new": 3,
            "old_earlier": [],
            "new_earlier": [
                {"status": "failed", "exit": 1},
                {"status": "failed", "exit": 1}
            ]
        }])
    );
}

#[test]
fn runs_retried_alike_are_equivalent_and_other_exit_codes_differ() {
    let sandbox = four_runs();
    let out = sandbox
        .test()
        .args(["diff", "retried.md", "again.md"])
        .run();
    assert!(out.stdout.starts_with("equivalent\n"), "{}", out.stdout);

    let out = out
        .then()
        .args(["diff", "retried.md", "exit2.md"])
        .status(1)
        .run();
    let text = &out.stdout;
    assert!(text.starts_with("1 step differs: 1 attempts\n"), "{text}");
    assert!(
        text.contains(
            "attempts: 3 → 3 (earlier in the old run: failed (exit 1), failed (exit 1); in the new run: failed (exit 2), failed (exit 2))"
        ),
        "{text}"
    );
}

/// A deploy whose second block fails until a file `ready` exists.
const WAITS: &str = "
    # Deploy

    - [ ] Prepare
      ```bash {name=prep}
      echo prepared
      ```
    - [ ] Bring the service up
      ```bash {name=up}
      echo try >> tries
      test -e ready || { echo 'not ready'; false; }
      echo up
      ```
    - [ ] Finish
      ```bash {name=finish}
      echo finished
      ```
    ";

/// `clean.md`: a run of `WAITS` with `ready` there from the start.
fn clean_run() -> Sandbox {
    let sandbox = Test::new()
        .runbook(unindent(WAITS))
        .file("ready", "")
        .args(["run", "--yes", "runbook.md", "-o", "clean.md"])
        .run()
        .sandbox;
    std::fs::remove_file(sandbox.path("tries")).expect("remove the count of tries");
    sandbox
}

#[test]
fn a_failed_step_run_again_by_resume_is_a_retry() {
    let sandbox = clean_run();
    std::fs::remove_file(sandbox.path("ready")).expect("remove ready");
    let out = sandbox
        .test()
        .args(["run", "--yes", "runbook.md", "-o", "resumed.md"])
        .status(1)
        .run();
    out.write("ready", "");
    let out = out.then().args(["resume", "--yes", "resumed.md"]).run();
    assert_eq!(out.read("tries"), "try\ntry\n", "the block ran twice");
    let out = out
        .then()
        .args(["diff", "clean.md", "resumed.md"])
        .status(1)
        .run();
    let text = &out.stdout;
    // The task and its block are one step that differs.
    assert!(text.starts_with("1 step differs: 1 attempts\n"), "{text}");
    assert!(
        text.contains(
            "attempts Deploy › Bring the service up (line 7)\n    attempts: 1 → 2 (earlier in the new run: failed)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "attempts {UP} (line 8)\n    attempts: 1 → 2 (earlier in the new run: failed (exit 1))\n"
        )),
        "{text}"
    );
}

#[test]
fn a_run_quit_at_a_prompt_and_resumed_is_no_retry() {
    let sandbox = clean_run();
    let mut pty = sandbox.pty(&["run", "runbook.md", "-o", "went-on.md"], &[]);
    pty.answer(RUN, "r");
    pty.answer(RUN, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    assert!(!sandbox.exists("tries"), "quit before the block ran");
    let out = sandbox.test().args(["resume", "--yes", "went-on.md"]).run();
    assert_eq!(out.read("tries"), "try\n", "the block ran once");
    let out = out.then().args(["diff", "clean.md", "went-on.md"]).run();
    assert!(out.stdout.starts_with("equivalent\n"), "{}", out.stdout);
}

#[test]
fn a_step_left_for_a_person_and_settled_on_resume_is_no_retry() {
    let runbook = "# Deploy\n\n- [ ] Tell the on-call\n\nRelease tag: ________\n";
    let answers = "Tell the on-call: done\nRelease tag: v1.4.0\n";
    let out = Test::new()
        .runbook(runbook)
        .file("answers.yaml", answers)
        .args(["run", "--yes", "--answers", "answers.yaml"])
        .args(["runbook.md", "-o", "clean.md"])
        .run();
    // Nobody there to confirm or answer: exit 3, then settled on resume.
    let out = out
        .then()
        .args(["run", "--yes", "runbook.md", "-o", "later.md"])
        .status(3)
        .run();
    let out = out
        .then()
        .args(["resume", "--yes", "--answers", "answers.yaml", "later.md"])
        .run();
    assert!(
        out.read("later.md")
            .contains("1 earlier attempt: ⚠️ not confirmed"),
        "{}",
        out.read("later.md")
    );
    let out = out.then().args(["diff", "clean.md", "later.md"]).run();
    assert!(out.stdout.starts_with("equivalent\n"), "{}", out.stdout);
}
