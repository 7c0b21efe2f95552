//! Answers that decide what happens next: a choice answered on its failing
//! side, or a number that misses the target the document states, fails the
//! task that owns it, and the run treats it like a failed command. And the
//! limits that keep a document from driving runsheet too deep or too wide.

use crate::common::{OUT, RUNBOOK, TASK, Test, line_with, run, sandbox, unindent};
use crate::fields::{plan_steps, strips_back};

const PICK2: &str = "Pick 1-2 (or type the option; empty to skip) · [q]uit / [b]ack / [g]o to";
const PICK2_AGAIN: &str =
    "Pick 1-2 (or type the option; empty keeps the pick before) · [q]uit / [b]ack / [g]o to";

/// The blank's prompt when it is asked again, with a value from before.
const VALUE_AGAIN: &str = "Value (`now` for the current UTC time, empty keeps the value before) · \
                           [q]uit / [b]ack / [g]o to";
const VALUE: &str =
    "Value (`now` for the current UTC time, empty to skip) · [q]uit / [b]ack / [g]o to";
const ANSWER_FAILED: &str = "[c]ontinue / [b]ack / [a]bort / [g]o to";

const SMOKE: &str = r#"
    # Deploy

    - [ ] Smoke tests
      - All smoke tests passed: `Yes / No`
    - [ ] Deploy
      ```bash
      touch deployed
      ```
    "#;

#[test]
fn a_negative_answer_fails_its_task_and_stops_an_unattended_run() {
    let source = unindent(SMOKE);
    let out = Test::new()
        .runbook(&source)
        .run_answered("All smoke tests passed: \"No\"\n")
        .status(1)
        .stderr_contains(
            "runbook.md:4: All smoke tests passed: No: the step is recorded as failed.",
        )
        .run();
    assert!(!out.exists("deployed"), "the run went on after a No");
    let transcript = out.transcript();
    let task = line_with(&transcript, "Smoke tests");
    assert!(
        task.starts_with("- [ ] <!--rs:task id=s1 status=failed "),
        "{task}"
    );
    assert!(task.contains("how=negative"), "{task}");
    assert!(
        task.contains("❌ failed") && task.contains("note: All smoke tests passed: No"),
        "the answer is the reason: {task}"
    );
    let choice = line_with(&transcript, "- All smoke tests passed:");
    assert!(
        choice.contains("`☐ Yes / ☒ No`<!--rs:fill id=s2 status=failed"),
        "{choice}"
    );
    assert!(
        // The task with its choice is one step, failed once.
        transcript.contains("0 done · 0 skipped · 1 failed · 1 not reached"),
        "{transcript}"
    );
    strips_back(out.sandbox, &source);
}

#[test]
fn keep_going_goes_on_past_a_negative_answer_and_still_exits_1() {
    let source = unindent(SMOKE);
    let out = Test::new()
        .runbook(&source)
        .file("answers.yaml", "All smoke tests passed: \"No\"\n")
        .args([
            "run",
            "--yes",
            "--keep-going",
            "--answers",
            "answers.yaml",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .status(1)
        .run();
    assert!(out.exists("deployed"), "--keep-going goes on");
    assert!(out.transcript().contains("1 done · 0 skipped · 1 failed"));
}

#[test]
fn a_positive_answer_ticks_the_task() {
    let out = Test::new()
        .runbook(unindent(SMOKE))
        .run_answered("All smoke tests passed: \"Yes\"\n")
        .run();
    assert!(out.exists("deployed"));
    assert!(line_with(&out.transcript(), "Smoke tests").starts_with("- [x] "));
}

#[test]
fn no_go_on_a_ballot_outside_any_task_stops_the_run() {
    let doc = "**Decision:** ☐ GO  ☐ NO-GO\n\n```bash\ntouch deployed\n```\n";
    let out = Test::new()
        .runbook(doc)
        .run_answered("Decision: NO-GO\n")
        .status(1)
        .run();
    assert!(!out.exists("deployed"));
    let decision = line_with(&out.transcript(), "Decision");
    assert!(
        decision.starts_with("**Decision:** ☐ GO  ☒ NO-GO<!--rs:fill id=s1 status=failed"),
        "{decision}"
    );
    assert!(decision.contains("how=negative"), "{decision}");
    assert!(decision.contains("❌ Decision: NO-GO"), "{decision}");
}

#[test]
fn the_operator_can_go_back_and_answer_again() {
    let sandbox = sandbox(SMOKE);
    let mut pty = run(&sandbox);
    pty.expect("All smoke tests passed");
    pty.answer(PICK2, "no");
    pty.expect("All smoke tests passed: No: the step is recorded as failed.");
    pty.answer(ANSWER_FAILED, "b");
    pty.expect("  Before: No\n");
    pty.answer(PICK2_AGAIN, "yes");
    pty.answer(
        "Run this block? [r]un / [s]kip / [e]dit / [q]uit / [b]ack / [g]o to",
        "r",
    );
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(sandbox.exists("deployed"));
    let transcript = sandbox.transcript();
    assert!(
        line_with(&transcript, "Smoke tests").starts_with("- [x] "),
        "{transcript}"
    );
    // The step is done now; the No answered first stays on record as an
    // earlier attempt, not as the step's status.
    let choice = line_with(&transcript, "- All smoke tests passed:");
    assert!(choice.contains("status=done"), "{choice}");
    assert!(choice.contains("try1-value=No"), "{choice}");
    assert!(!transcript.contains(" status=failed"), "{transcript}");
}

#[test]
fn the_operator_can_abort_after_a_negative_answer() {
    let sandbox = sandbox(SMOKE);
    let mut pty = run(&sandbox);
    pty.answer(PICK2, "no");
    pty.answer(ANSWER_FAILED, "a");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    assert!(!sandbox.exists("deployed"));
    assert!(sandbox.transcript().contains("state=stopped"));
}

#[test]
fn the_operator_can_continue_with_the_task_failed() {
    let sandbox = sandbox(SMOKE);
    let mut pty = run(&sandbox);
    pty.answer(PICK2, "no");
    pty.answer(ANSWER_FAILED, "c");
    pty.answer(
        "Run this block? [r]un / [s]kip / [e]dit / [q]uit / [b]ack / [g]o to",
        "r",
    );
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "a failed answer fails the run: {screen}");
    assert!(sandbox.exists("deployed"));
    let transcript = sandbox.transcript();
    assert!(
        line_with(&transcript, "- All smoke tests passed:").contains("how=negative,ignored"),
        "{transcript}"
    );
}

const LATENCY: &str = r#"
    - [ ] Check the latency
      - Latency p95: `______ ms` (target: < 500ms)
    "#;

#[test]
fn a_value_that_misses_its_target_fails_the_task() {
    let source = unindent(LATENCY);
    let out = Test::new()
        .runbook(&source)
        .run_answered("Latency: 750\n")
        .status(1)
        .stderr_contains("Latency p95: 750 misses the target < 500ms")
        .run();
    let transcript = out.transcript();
    let value = line_with(&transcript, "- Latency p95:");
    assert!(
        value.contains("`750 ms`<!--rs:fill id=s2 status=failed"),
        "{value}"
    );
    assert!(value.contains("how=off-target"), "{value}");
    let task = line_with(&transcript, "Check the latency");
    assert!(
        task.contains("status=failed") && task.contains("how=off-target"),
        "{task}"
    );
    strips_back(out.sandbox, &source);
    Test::new()
        .runbook(&source)
        .run_answered("Latency: 0.42s\n")
        .run();
}

#[test]
fn a_missed_target_is_said_and_asked_about() {
    let sandbox = sandbox(LATENCY);
    let mut pty = run(&sandbox);
    pty.expect("Latency p95");
    pty.answer(VALUE, "750");
    pty.expect("Latency p95: 750 misses the target < 500ms: the step is recorded as failed.");
    pty.answer(ANSWER_FAILED, "b");
    pty.expect("  Before: 750\n");
    pty.answer(VALUE_AGAIN, "420");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(line_with(&sandbox.transcript(), "Check the latency").starts_with("- [x] "));
}

#[test]
fn a_tables_target_column_is_the_target_of_its_row() {
    let doc = unindent(
        r#"
        | Metric | Target | Actual |
        |---|---|---|
        | Error rate | < 0.5% | ____ |
        | Uptime | > 99% | ____ |
        "#,
    );
    let out = Test::new()
        .runbook(&doc)
        .args(["plan", "--format", "json", RUNBOOK])
        .run();
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan JSON");
    assert_eq!(plan["steps"][0]["target"], "< 0.5%");
    assert_eq!(plan["steps"][0]["text"], "Error rate · Actual: ____");
    out.then()
        .file("answers.yaml", "Error rate: 0.9%\nUptime: 99.5\n")
        .args([
            "run",
            "--yes",
            "--keep-going",
            "--answers",
            "answers.yaml",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .status(1)
        .stderr_contains("Error rate · Actual: 0.9% misses the target < 0.5%")
        .stderr_contains("✓ Uptime")
        .stderr_lacks("Uptime · Actual: 99.5 misses")
        .stderr_lacks("✗ Uptime")
        .run();
}

#[test]
fn runsheet_toml_and_the_document_name_more_failing_answers() {
    let doc = "Rollback: ☐ Not needed ☐ Executed\n";
    // Neither option is a failing word on its own.
    Test::new()
        .runbook(doc)
        .run_answered("Rollback: Executed\n")
        .run();
    let out = Test::new()
        .runbook(doc)
        .file("runsheet.toml", "[choices]\nfail = [\"Executed\"]\n")
        .run_answered("Rollback: Executed\n")
        .status(1)
        .run();
    assert!(out.transcript().contains("how=negative"));
    // The document's own word wins over the built-in ones.
    let doc = "<!-- runsheet: choice-pass=No choice-fail=\"Needs attention\" -->\n\n\
               Any open incidents: `Yes / No`\n\nHealth: `Stable / Needs attention`\n";
    let out = Test::new()
        .runbook(doc)
        .args(["plan", "--format", "json", RUNBOOK])
        .run();
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan JSON");
    assert_eq!(plan["steps"][0]["fail"], serde_json::json!(["Yes"]));
    assert_eq!(
        plan["steps"][1]["fail"],
        serde_json::json!(["Needs attention"])
    );
    Test::new()
        .runbook("<!-- runsheet: choice-fial=No -->\n\nOk: `Yes / No`\n")
        .args(["plan", RUNBOOK])
        .status(1)
        .stdout_contains("`choice-fial` is not a setting runsheet knows")
        .run();
}

#[test]
fn a_document_nested_too_deep_is_an_error_at_its_line() {
    // Each level one task deeper: 1,200 levels, about 1.4 MB.
    let doc: String = (0..1200)
        .map(|i| format!("{}- [ ] level {i}\n", "  ".repeat(i)))
        .collect();
    let out = Test::new()
        .runbook(&doc)
        .args(["plan", RUNBOOK])
        .status(1)
        .stdout_contains("error: tasks nest more than 50 deep here")
        .stdout_contains("--> runbook.md:51:")
        .stdout_contains("flatten the list")
        .run();
    let out = out
        .then()
        .args(["plan", "--format", "json", RUNBOOK])
        .status(1)
        .run();
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan JSON");
    assert_eq!(plan["diagnostics"][0]["line"], 51);
    let mut depth = 0;
    let mut step = &plan["steps"][0];
    while let Some(child) = step["children"].get(0) {
        depth += 1;
        step = child;
    }
    assert_eq!(depth, 49, "the tree stops at the limit");
    out.then()
        .run_yes()
        .status(2)
        .stderr_contains("tasks nest more than 50 deep here")
        .run();
}

#[test]
fn a_document_just_within_the_depth_limit_runs() {
    let doc: String = (0..50)
        .map(|i| format!("{}- [ ] level {i}\n", "  ".repeat(i)))
        .collect();
    let out = Test::new().runbook(&doc).run_yes().status(3).run();
    assert_eq!(out.transcript().matches("<!--rs:task ").count(), 50);
}

#[test]
fn plan_output_grows_with_the_document_not_faster() {
    // 20,000 blanks on one line, under a long heading: each blank is asked
    // with the words nearest to it, and the path is kept to a few words.
    let heading = "word ".repeat(4_000);
    let blanks = vec!["________"; 20_000].join(" ");
    let doc = format!("# {heading}\n\n- [ ] {blanks}\n");
    let text = Test::new().runbook(&doc).args(["plan", RUNBOOK]).run();
    assert!(
        text.stdout.len() <= 8 * doc.len(),
        "plan printed {} bytes for a document of {}",
        text.stdout.len(),
        doc.len()
    );
    let json = text
        .then()
        .args(["plan", "--format", "json", RUNBOOK])
        .run();
    assert!(
        json.stdout.len() <= 40 * doc.len(),
        "plan --format json printed {} bytes for a document of {}",
        json.stdout.len(),
        doc.len()
    );
    let (steps, _) = plan_steps(json.sandbox);
    assert_eq!(steps.len(), 20_001);
}

#[test]
fn a_box_task_is_asked_done_in_a_table() {
    let doc = "| Check | Done |\n|---|---|\n| Pager tested | ☐ |\n";
    let sandbox = sandbox(doc);
    let mut pty = run(&sandbox);
    pty.expect("Pager tested · Done");
    pty.answer(TASK, "d");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    strips_back(sandbox, doc);
}

const WITH_ROLLBACK: &str = r#"
    # Release

    - [ ] Smoke tests
      - All smoke tests passed: `Yes / No`
    - [ ] Publish
      ```bash
      touch published
      ```

    ## Rollback

    ```bash
    touch rolled-back
    ```
    "#;

#[test]
fn a_negative_answer_offers_the_contingency_sections() {
    let sandbox = sandbox(WITH_ROLLBACK);
    let mut pty = run(&sandbox);
    pty.answer(PICK2, "no");
    pty.answer(
        "All smoke tests passed: No: the step is recorded as failed. \
         [c]ontinue / [b]ack / [a]bort / [g]o to · [1] rollback: Rollback",
        "1",
    );
    pty.answer(
        "Run this block? [r]un / [s]kip / [e]dit / [q]uit / [b]ack / [g]o to",
        "r",
    );
    pty.answer(
        "\"Rollback\" is done. [s]top the run / [r]eturn to where it was",
        "s",
    );
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    assert!(sandbox.exists("rolled-back") && !sandbox.exists("published"));
    let transcript = sandbox.transcript();
    assert!(
        transcript.contains("started because: Smoke tests was answered No at runbook.md:4"),
        "{transcript}"
    );
}

#[test]
fn unattended_a_negative_answer_goes_into_the_on_failure_section() {
    let out = Test::new()
        .runbook(unindent(WITH_ROLLBACK))
        .file("answers.yaml", "All smoke tests passed: \"No\"\n")
        .args([
            "run",
            "--yes",
            "--answers",
            "answers.yaml",
            "--on-failure",
            "rollback",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .status(1)
        .run();
    assert!(out.exists("rolled-back") && !out.exists("published"));
    assert!(
        out.transcript()
            .contains("started because: Smoke tests was answered No at runbook.md:4")
    );
}

const CAB: &str = r#"
    # Release 9.1

    - [ ] CAB decision: `GO / NO-GO`
    - [ ] Ship it
      ```bash
      touch shipped
      ```
    "#;

/// The report of the transcript as `runsheet report` gives it.
fn report(sandbox: crate::common::Sandbox) -> serde_json::Value {
    let out = Test::in_sandbox(sandbox).args(["report", OUT]).run();
    serde_json::from_str(&out.stdout).expect("JSON")
}

/// The step `id` of a report.
fn step<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == id)
        .expect("the step is in the report")
}

#[test]
fn resume_unattended_without_a_new_answer_keeps_the_no_go_and_stops_there() {
    let out = Test::new()
        .runbook(unindent(CAB))
        .run_answered("CAB decision: NO-GO\n")
        .status(1)
        .run();
    let out = out
        .then()
        .args(["resume", "--yes", OUT])
        .status(1)
        .stderr_contains(
            "CAB decision: NO-GO, as answered before, and no new answer: the step stays failed.",
        )
        .run();
    assert!(
        !out.exists("shipped"),
        "the resumed run shipped after a NO-GO"
    );
    let transcript = out.transcript();
    assert!(
        transcript.contains("0 done · 0 skipped · 1 failed · 1 not reached"),
        "{transcript}"
    );
    let choice = line_with(&transcript, "CAB decision");
    assert!(
        choice.contains("`☐ GO / ☒ NO-GO`<!--rs:fill id=s2 status=failed")
            && choice.contains("value=NO-GO"),
        "{choice}"
    );
    assert!(!choice.contains("not answered"), "{choice}");
    // Nothing new was answered: no second attempt.
    assert!(!choice.contains("tries="), "{choice}");
    let report = report(out.sandbox);
    assert_eq!(report["counts"]["failed"], 1, "{report}");
    assert_eq!(step(&report, "s2")["status"], "failed");
    assert_eq!(step(&report, "s2")["answer"], "NO-GO");
}

#[test]
fn resume_unattended_with_a_new_answer_keeps_the_no_go_as_an_earlier_attempt() {
    let source = unindent(CAB);
    let out = Test::new()
        .runbook(&source)
        .run_answered("CAB decision: NO-GO\n")
        .status(1)
        .run();
    let out = out
        .then()
        .file("go.yaml", "CAB decision: GO\n")
        .args(["resume", "--yes", "--answers", "go.yaml", OUT])
        .run();
    assert!(out.exists("shipped"));
    let transcript = out.transcript();
    let choice = line_with(&transcript, "CAB decision");
    assert!(choice.contains("`☒ GO / ☐ NO-GO`"), "{choice}");
    assert!(
        choice.contains("status=done") && choice.contains("try1-value=NO-GO"),
        "{choice}"
    );
    assert!(
        choice.contains("1 earlier attempt: ❌ NO-GO"),
        "the NO-GO is not shown: {choice}"
    );
    strips_back(out.sandbox, &source);
    let out = Test::new()
        .runbook(&source)
        .run_answered("CAB decision: NO-GO\n")
        .status(1)
        .run();
    let out = out
        .then()
        .file("go.yaml", "CAB decision: GO\n")
        .args(["resume", "--yes", "--answers", "go.yaml", OUT])
        .run();
    let report = report(out.sandbox);
    let attempts = step(&report, "s2")["attempts"]
        .as_array()
        .expect("attempts")
        .clone();
    assert_eq!(attempts.len(), 2, "{report}");
    assert_eq!(
        (&attempts[0]["answer"], &attempts[0]["status"]),
        (&"NO-GO".into(), &"failed".into())
    );
    assert_eq!(
        (&attempts[1]["answer"], &attempts[1]["status"]),
        (&"GO".into(), &"done".into())
    );
    // The task the choice failed keeps its failure as an attempt too.
    let task = step(&report, "s1")["attempts"]
        .as_array()
        .expect("attempts")
        .clone();
    assert_eq!(task[0]["status"], "failed", "{report}");
    assert_eq!(task[0]["note"], "CAB decision: NO-GO", "{report}");
}

#[test]
fn resume_at_a_terminal_asks_a_no_go_again_and_keeps_it() {
    let sandbox = sandbox(CAB);
    let mut pty = run(&sandbox);
    pty.answer(PICK2, "2");
    pty.answer(ANSWER_FAILED, "a");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.expect("  Before: NO-GO\n");
    pty.answer(PICK2_AGAIN, "1");
    pty.answer(crate::common::RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(sandbox.exists("shipped"));
    let transcript = sandbox.transcript();
    let choice = line_with(&transcript, "CAB decision");
    assert!(
        choice.contains("☒ GO") && choice.contains("try1-value=NO-GO"),
        "{choice}"
    );
    assert!(choice.contains("1 earlier attempt: ❌ NO-GO"), "{choice}");
    let report = report(sandbox);
    let attempts = step(&report, "s2")["attempts"]
        .as_array()
        .expect("attempts")
        .clone();
    assert_eq!(attempts[0]["answer"], "NO-GO", "{report}");
    assert_eq!(attempts[1]["answer"], "GO", "{report}");
}

const CHECKED_BY_HAND: &str = r#"
    - [ ] Check the dashboards
    - [ ] Ship it
      ```bash
      touch shipped
      ```
    "#;

#[test]
fn a_manual_task_answered_failed_stays_failed_unattended_and_is_kept_when_done_later() {
    let out = Test::new()
        .runbook(unindent(CHECKED_BY_HAND))
        .run_answered("Check the dashboards: fail\n")
        .status(1)
        .run();
    let out = out
        .then()
        .args(["resume", "--yes", OUT])
        .status(1)
        .stderr_contains("the step stays failed")
        .run();
    assert!(
        !out.exists("shipped"),
        "the resumed run went past a failed task"
    );
    let transcript = out.transcript();
    let task = line_with(&transcript, "Check the dashboards");
    assert!(task.contains("status=failed"), "{task}");
    assert!(!task.contains("tries="), "{task}");
    // At a terminal it is asked again; the failure stays as an attempt.
    let sandbox = out.sandbox;
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.answer(TASK, "d");
    pty.answer(crate::common::RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    let task = line_with(&transcript, "Check the dashboards");
    assert!(task.starts_with("- [x] "), "{task}");
    assert!(
        task.contains("tries=1 try1-status=failed")
            && task.contains("1 earlier attempt: ❌ failed"),
        "{task}"
    );
    let report = report(sandbox);
    let attempts = step(&report, "s1")["attempts"]
        .as_array()
        .expect("attempts")
        .clone();
    let statuses: Vec<&str> = attempts
        .iter()
        .filter_map(|a| a["status"].as_str())
        .collect();
    assert_eq!(statuses, ["failed", "done"], "{report}");
}

#[test]
fn a_value_off_its_target_answered_again_on_resume_is_kept() {
    let sandbox = sandbox(LATENCY);
    let mut pty = run(&sandbox);
    pty.answer(VALUE, "640");
    pty.answer(ANSWER_FAILED, "a");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    // Unattended with no new value, it stays failed.
    let out = Test::in_sandbox(sandbox)
        .args(["resume", "--yes", OUT])
        .status(1)
        .stderr_contains("640 misses the target < 500ms, as answered before")
        .run();
    let sandbox = out.sandbox;
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.expect("  Before: 640\n");
    pty.answer(VALUE_AGAIN, "300");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    let value = line_with(&transcript, "- Latency p95:");
    assert!(
        value.contains("`300 ms`<!--rs:fill id=s2 status=done"),
        "{value}"
    );
    assert!(
        value.contains("try1-value=640") && value.contains("try1-how=off-target"),
        "{value}"
    );
    assert!(value.contains("1 earlier attempt: ❌ 640"), "{value}");
    let report = report(sandbox);
    let attempts = step(&report, "s2")["attempts"]
        .as_array()
        .expect("attempts")
        .clone();
    assert_eq!(attempts[0]["answer"], "640", "{report}");
    assert_eq!(attempts[0]["reasons"][0], "off-target", "{report}");
    assert_eq!(attempts[1]["answer"], "300", "{report}");
}
