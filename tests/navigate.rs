//! Starting part-way and going back: `run --from`, `resume --from`,
//! `resume --retry-skipped`.

use crate::common::{OUT, RUN, RUNBOOK, TASK, Test, run, sandbox, unindent};

const THREE: &str = r#"
    # Deploy

    - [ ] Build
      ```bash {name=build}
      echo build >> ran
      ```

    ## Migrate

    - [ ] Apply the migration
      ```bash
      echo migrate >> ran
      ```

    ```bash {name=smoke}
    echo smoke >> ran
    ```
    "#;

/// `run --yes --from STEP`, the runbook `THREE`.
fn run_from(step: &str) -> crate::common::Output {
    Test::new()
        .runbook(unindent(THREE))
        .args(["run", "--yes", "--from", step, RUNBOOK, "-o", OUT])
        .run()
}

#[test]
fn run_from_a_name_starts_there_and_records_the_steps_before_as_skipped() {
    let out = run_from("smoke");
    assert_eq!(out.read("ran"), "smoke\n");
    let transcript = out.transcript();
    assert!(
        transcript.contains("<!--rs:out id=build status=skipped")
            && transcript.contains("the run started at line 15"),
        "{transcript}"
    );
    assert!(transcript.contains("**✅ complete**"), "{transcript}");
}

#[test]
fn run_from_a_line_a_heading_or_text() {
    // Line 11 is the migration's fence; `runbook.md:10` its task.
    assert_eq!(run_from("11").read("ran"), "migrate\nsmoke\n");
    assert_eq!(run_from("runbook.md:10").read("ran"), "migrate\nsmoke\n");
    assert_eq!(run_from("Deploy › Migrate").read("ran"), "migrate\nsmoke\n");
    assert_eq!(run_from("apply the").read("ran"), "migrate\nsmoke\n");
}

#[test]
fn an_ambiguous_from_lists_the_candidates_and_runs_nothing() {
    let out = Test::new()
        .runbook(unindent(THREE))
        .args(["run", "--yes", "--from", "echo", RUNBOOK, "-o", OUT])
        .status(2)
        .stderr_contains("--from: `echo` could be any of 3 steps")
        .stderr_contains("runbook.md:4  build")
        .stderr_contains("runbook.md:15  smoke")
        .run();
    assert!(!out.exists("ran"), "a step ran");
    Test::in_sandbox(out.sandbox)
        .args(["run", "--yes", "--from", "99", RUNBOOK, "-o", OUT])
        .status(2)
        .stderr_contains("no step is on line 99")
        .run();
}

#[test]
fn resume_from_goes_back_to_a_done_step_and_keeps_its_first_attempt() {
    let out = Test::new().runbook(unindent(THREE)).run_yes().run();
    assert_eq!(out.read("ran"), "build\nmigrate\nsmoke\n");
    let out = out
        .then()
        .args(["resume", "--yes", "--from", "smoke", OUT])
        .run();
    assert_eq!(out.read("ran"), "build\nmigrate\nsmoke\nsmoke\n");
    let transcript = out.transcript();
    assert!(
        transcript.contains("<!--rs:try id=smoke status=done"),
        "the first run of the step is gone:\n{transcript}"
    );
    assert!(transcript.contains("↻ resumed "), "{transcript}");
    // Going back to a task runs what is in it again.
    let out = out
        .then()
        .args(["resume", "--yes", "--from", "Build", OUT])
        .run();
    assert_eq!(out.read("ran"), "build\nmigrate\nsmoke\nsmoke\nbuild\n");
}

#[test]
fn resume_retry_skipped_offers_a_skipped_block_again() {
    let sandbox = sandbox("```bash\necho one >> ran\n```\n\n```bash\necho two >> ran\n```\n");
    let mut pty = run(&sandbox);
    pty.answer(RUN, "s");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("ran"), "two\n");
    // Without the flag there is nothing to resume.
    let out = Test::in_sandbox(sandbox)
        .args(["resume", "--yes", OUT])
        .stderr_contains("already finished")
        .run();
    let out = out
        .then()
        .args(["resume", "--yes", "--retry-skipped", OUT])
        .run();
    assert_eq!(out.read("ran"), "two\none\n");
    let transcript = out.transcript();
    assert!(
        transcript.contains("<!--rs:out id=s1 status=done")
            && transcript.contains("<!--rs:try id=s1 status=skipped"),
        "{transcript}"
    );
}

#[test]
fn back_runs_the_previous_block_again_in_the_same_shell_session() {
    let sandbox = sandbox(
        r#"
        ```bash
        COUNT=$((COUNT + 1)); echo "count=$COUNT"
        ```

        ```bash
        echo "second sees $COUNT"
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.expect("count=1");
    pty.answer(RUN, "b");
    // The first block is asked about again, and runs in the same session.
    pty.answer(RUN, "r");
    pty.expect("count=2");
    pty.answer(RUN, "r");
    pty.expect("second sees 2");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    assert!(
        transcript.contains("<!--rs:out id=s1 status=done")
            && transcript.contains("<!--rs:try id=s1 status=done"),
        "the first run of the block is not kept:\n{transcript}"
    );
    assert_eq!(transcript.matches("<!--rs:try ").count(), 1, "{transcript}");
}

#[test]
fn go_to_lists_the_steps_and_jumps_back_to_one() {
    let sandbox = sandbox(
        r#"
        # Deploy

        ```bash
        echo one >> ran
        ```

        - [ ] Tell the team

        ```bash
        echo three >> ran
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.answer(crate::common::TASK, "d");
    pty.answer(RUN, "g");
    pty.expect("[2] runbook.md:7 Deploy › Tell the team");
    pty.answer("Go to which step? (1-3, empty to stay)", "1");
    pty.answer(RUN, "r");
    // The task done before is not asked again; the block the operator left is.
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("ran"), "one\none\nthree\n");
    // The task done before is not asked again.
    assert_eq!(screen.matches("[2/3] Deploy").count(), 1, "{screen}");
}

#[test]
fn only_steps_runs_those_steps_and_records_the_others_as_skipped() {
    let out = Test::new()
        .runbook(unindent(THREE))
        .args([
            "run", "--yes", "--only", "build", "--only", "smoke", RUNBOOK, "-o", OUT,
        ])
        .run();
    assert_eq!(out.read("ran"), "build\nsmoke\n");
    let transcript = out.transcript();
    assert!(
        transcript.contains("limited to other steps"),
        "{transcript}"
    );
    assert!(transcript.contains("**✅ complete**"), "{transcript}");
    // One name that is a section's still runs the section, as does --section.
    let out = out
        .then()
        .args([
            "run",
            "--yes",
            "--section",
            "Migrate",
            RUNBOOK,
            "-o",
            "b.md",
        ])
        .run();
    assert_eq!(out.read("ran"), "build\nsmoke\nmigrate\nsmoke\n");
    out.then()
        .args(["run", "--yes", "--only", "nowhere", RUNBOOK, "-o", "c.md"])
        .status(2)
        .stderr_contains("--only: no section is called `nowhere`")
        .stderr_contains("nor is it a step")
        .run();
}

/// The prompt for a blank.
const BLANK: &str =
    "Value (`now` for the current UTC time, empty to skip) · [q]uit / [b]ack / [g]o to";
/// The prompt for a blank asked again, with a value from before.
const BLANK_AGAIN: &str = "Value (`now` for the current UTC time, empty keeps the value before) · \
                           [q]uit / [b]ack / [g]o to";
/// The prompt for a choice of two.
const CHOICE: &str = "Pick 1-2 (or type the option; empty to skip) · [q]uit / [b]ack / [g]o to";
const CHOICE_AGAIN: &str =
    "Pick 1-2 (or type the option; empty keeps the pick before) · [q]uit / [b]ack / [g]o to";

#[test]
fn back_and_go_to_work_at_a_blank_and_a_choice_too() {
    let sandbox = sandbox(
        r#"
        # Deploy

        ```bash
        echo one >> ran
        ```

        Started at: ____

        Result: `PASS / FAIL`
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    // `b` at a blank could be its value: asked which, then back it goes.
    pty.answer(BLANK, "b");
    pty.answer("`b`: back, or is it the value? [b]ack / [v]alue", "b");
    pty.answer(RUN, "r");
    pty.answer(BLANK, "b");
    pty.answer("`b`: back, or is it the value? [b]ack / [v]alue", "v");
    // At a choice, `g` lists the steps to go to.
    pty.answer(CHOICE, "g");
    pty.expect("[2] runbook.md:7 Deploy › Started at: ____");
    pty.answer("Go to which step? (1-3, empty to stay)", "1");
    pty.answer(RUN, "r");
    // The blank answered before is not asked again; the choice left is.
    pty.answer(CHOICE, "b");
    pty.answer(RUN, "r");
    pty.answer(CHOICE, "1");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("ran"), "one\none\none\none\n");
    let report = Test::in_sandbox(sandbox).args(["report", OUT]).run();
    let json: serde_json::Value = serde_json::from_str(&report.stdout).expect("the report");
    assert_eq!(json["steps"][1]["answer"], "b", "{}", report.stdout);
    assert_eq!(json["steps"][2]["answer"], "PASS", "{}", report.stdout);
}

#[test]
fn go_to_a_step_outside_the_section_of_the_run_is_refused_and_asked_again() {
    let sandbox = sandbox(THREE);
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT, "--section", "Migrate"], &[]);
    pty.answer(RUN, "g");
    pty.expect("[1] runbook.md:3 Deploy › Build");
    pty.answer("Go to which step? (1-3, empty to stay)", "1");
    pty.expect(
        "runbook.md:3 is outside the section this run is limited to (\"Migrate\"): this run does \
         not go there. To run it, start another run: runsheet run runbook.md --from runbook.md:3",
    );
    // Asked again where it was; the run goes on inside its section.
    pty.answer(RUN, "r");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("ran"), "migrate\nsmoke\n");
    assert!(screen.contains("2 done · 0 skipped · 0 failed"), "{screen}");
}

/// `q` at a blank could be its value: asked which, and quitting saves and
/// stops as at any other prompt (exit 130), for `resume` to ask it again.
#[test]
fn q_at_a_blank_asks_whether_to_quit_and_quits() {
    let sandbox = sandbox(
        r#"
        Operator: ________

        ```bash
        echo one >> ran
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(BLANK, "q");
    pty.answer("`q`: quit, or is it the value? [q]uit / [v]alue", "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    assert!(!sandbox.exists("ran"), "the block after the blank ran");
    let transcript = sandbox.transcript();
    assert!(transcript.contains("state=interrupted"), "{transcript}");
    assert!(!transcript.contains("`q`"), "{transcript}");
    // `resume` asks the blank again; this time `q` is its value.
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.answer(BLANK, "q");
    pty.answer("`q`: quit, or is it the value? [q]uit / [v]alue", "v");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("ran"), "one\n");
    assert!(
        sandbox.transcript().contains("Operator: `q`"),
        "{}",
        sandbox.transcript()
    );
}

/// `q` at a choice quits; when an option is `q` itself, a lone `q` could be
/// either, so it is asked which, as at a blank: the operator can quit with
/// it, or pick the option.
#[test]
fn q_at_a_choice_quits_and_asks_which_when_an_option_is_q() {
    let sandbox = sandbox(
        r#"
        Decision: `GO / NO-GO`

        Queue: `p / q`

        ```bash
        echo one >> ran
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(CHOICE, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    assert!(!screen.contains("or is it the option"), "{screen}");
    let transcript = sandbox.transcript();
    assert!(transcript.contains("state=interrupted"), "{transcript}");
    assert!(!transcript.contains("rs:fill id=s1"), "{transcript}");
    // At the choice with an option `q`, `q` asks which was meant; quitting
    // saves what was answered and stops, for `resume` to ask it again.
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.answer(CHOICE, "1");
    pty.answer(CHOICE, "q");
    pty.answer("`q`: quit, or is it the option? [q]uit / [o]ption", "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    assert!(!sandbox.exists("ran"), "the block after the choice ran");
    let transcript = sandbox.transcript();
    assert!(transcript.contains("state=interrupted"), "{transcript}");
    assert!(
        transcript.contains("Decision: `☒ GO / ☐ NO-GO`"),
        "{transcript}"
    );
    assert!(transcript.contains("Queue: `p / q`"), "{transcript}");
    // This time `q` is the option.
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.answer(CHOICE, "Q");
    pty.answer("`Q`: quit, or is it the option? [q]uit / [o]ption", "o");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    assert!(transcript.contains("Queue: `☐ p / ☒ q`"), "{transcript}");
    assert_eq!(sandbox.read("ran"), "one\n");
}

/// `[g]o to` marks the step being asked about, a block inside a task
/// included (the list numbers the task), in a run and after `resume`.
#[test]
fn go_to_marks_the_step_asked_about() {
    let sandbox = sandbox(THREE);
    let mut pty = run(&sandbox);
    pty.answer(RUN, "g");
    pty.expect("[1] runbook.md:3 Deploy › Build  ← here\n");
    pty.expect("[2] runbook.md:10 Deploy › Migrate › Apply the migration\n");
    pty.answer("Go to which step? (1-3, empty to stay)", "");
    pty.answer(RUN, "r");
    pty.answer(RUN, "g");
    pty.expect("[1] runbook.md:3 Deploy › Build\n");
    pty.expect("[2] runbook.md:10 Deploy › Migrate › Apply the migration  ← here\n");
    pty.answer("Go to which step? (1-3, empty to stay)", "");
    pty.answer(RUN, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.answer(RUN, "r");
    pty.answer(RUN, "g");
    pty.expect("[2] runbook.md:10 Deploy › Migrate › Apply the migration\n");
    pty.expect("[3] runbook.md:15 Deploy › Migrate › echo smoke >> ran  ← here\n");
    pty.answer("Go to which step? (1-3, empty to stay)", "");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("ran"), "build\nmigrate\nsmoke\n");
}

/// After `resume`, `[b]ack` goes to the step answered last before the run
/// stopped, at a block's prompt and at a choice's.
#[test]
fn back_after_resume_goes_to_the_step_before() {
    let sandbox = sandbox(
        r#"
        ```bash
        echo one >> ran
        ```

        ```bash
        echo two >> ran
        ```

        Result: `PASS / FAIL`
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.answer(RUN, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.expect("[2/3]");
    pty.answer(RUN, "b");
    pty.expect("[1/3]");
    pty.answer(RUN, "r");
    pty.expect("[2/3]");
    pty.answer(RUN, "r");
    pty.answer(CHOICE, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    assert!(!screen.contains("nothing to go back to"), "{screen}");
    // Resumed at the choice, back goes to the second block.
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.answer(CHOICE, "b");
    pty.expect("[2/3]");
    pty.answer(RUN, "r");
    pty.answer(CHOICE, "1");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("nothing to go back to"), "{screen}");
    assert_eq!(sandbox.read("ran"), "one\none\ntwo\ntwo\n");
}

/// A task that holds several blocks is one step, and `[g]o to` lists its
/// blocks under it (`1.2`), so that one block can run again alone: the
/// blocks before and after it, done already, are left as they are.
#[test]
fn go_to_a_block_of_a_task_runs_that_block_again_alone() {
    let sandbox = sandbox(
        r#"
        # Release

        - [ ] Package it
          ```bash
          echo one >> ran
          ```
          ```bash
          echo two >> ran
          ```
          ```bash
          echo three >> ran
          ```
        - [ ] Announce it
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    // At a block of the task, that block is where the run is.
    pty.answer(RUN, "g");
    pty.expect("    [1] runbook.md:3 Release › Package it\n");
    pty.expect("      [1.1] runbook.md:4 echo one >> ran\n");
    pty.expect("      [1.2] runbook.md:7 echo two >> ran  ← here\n");
    pty.expect("      [1.3] runbook.md:10 echo three >> ran\n");
    pty.expect("    [2] runbook.md:13 Release › Announce it\n");
    pty.answer("Go to which step? (1-2, a block as 1.1, empty to stay)", "");
    pty.answer(RUN, "r");
    pty.answer(RUN, "r");
    pty.answer(TASK, "g");
    pty.expect("    [2] runbook.md:13 Release › Announce it  ← here\n");
    // A number not listed is refused and asked again.
    let pick = "Go to which step? (1-2, a block as 1.1, empty to stay)";
    pty.expect_prompt(pick);
    pty.send("2.1\r");
    pty.expect("a block's number as listed");
    pty.answer(pick, "1.2");
    pty.expect("│ echo two >> ran");
    pty.answer(RUN, "r");
    // The third block, done, is not run again: on to the step after.
    pty.answer(TASK, "d");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("ran"), "one\ntwo\nthree\ntwo\n");
    let transcript = sandbox.transcript();
    assert!(transcript.contains("- [x] "), "{transcript}");
    // Only the second block ran twice: its earlier attempt is kept under it.
    let at = |text: &str| transcript.find(text).expect(text);
    let (one, two, three) = (
        at("echo one >> ran"),
        at("echo two >> ran"),
        at("echo three >> ran"),
    );
    let earlier = "<summary>1 earlier attempt</summary>";
    assert!(!transcript[one..two].contains(earlier), "{transcript}");
    assert!(transcript[two..three].contains(earlier), "{transcript}");
    assert!(!transcript[three..].contains(earlier), "{transcript}");
}

/// A task that holds a blank, a block and a choice: the release checklist
/// item the go-to tests below correct.
const TAG: &str = r#"
    # Release

    - [ ] Tag the release
      Version tagged: ____
      ```bash
      echo tag >> ran
      ```
      Smoke tests passed: `Yes / No`
    - [ ] Announce it
    "#;

/// What `[g]o to` asks when the list holds blanks and choices of a task.
const PICK_PART: &str = "Go to which step? (1-2, a block, blank or choice as 1.1, empty to stay)";

/// A wrong value typed into the blank of an earlier task is corrected by
/// going to the blank alone (`1.1`): it is asked again, the block beside it
/// is not run again, and the transcript keeps the earlier value as an
/// earlier answer.
#[test]
fn go_to_a_blank_of_an_earlier_task_asks_it_again_and_keeps_the_old_answer() {
    let sandbox = sandbox(TAG);
    let mut pty = run(&sandbox);
    // At the blank, the blank itself is where the run is.
    pty.answer(BLANK, "g");
    pty.answer("`g`: go to, or is it the value? [g]o to / [v]alue", "g");
    pty.expect("      [1.1] runbook.md:4 Version tagged: ____  ← here\n");
    pty.answer(PICK_PART, "");
    pty.answer(BLANK, "1.2.3");
    pty.answer(RUN, "r");
    pty.answer(CHOICE, "1");
    pty.answer(TASK, "g");
    // The task's blank, block and choice are listed under it, in document order.
    pty.expect("    [1] runbook.md:3 Release › Tag the release Version tagged: ____\n");
    pty.expect("      [1.1] runbook.md:4 Version tagged: ____\n");
    pty.expect("      [1.2] runbook.md:5 echo tag >> ran\n");
    pty.expect("      [1.3] runbook.md:8 Smoke tests passed: `Yes / No`\n");
    pty.expect("    [2] runbook.md:9 Release › Announce it  ← here\n");
    pty.expect_prompt(PICK_PART);
    pty.send("1.4\r");
    pty.expect("the number of a block, blank or choice as listed");
    pty.answer(PICK_PART, "1.1");
    pty.expect("  Before: 1.2.3\n");
    pty.answer(BLANK_AGAIN, "1.2.4");
    // The block and the choice, done, are left as they are: on to the step after.
    pty.answer(TASK, "d");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("ran"), "tag\n");
    let transcript = sandbox.transcript();
    let blank = crate::common::line_with(&transcript, "Version tagged:");
    assert!(
        blank.contains("1.2.4") && blank.contains("1 earlier attempt: ✅ 1.2.3"),
        "{transcript}"
    );
    assert!(transcript.contains("- [x] "), "{transcript}");
    // Read back, the record holds the new value and the old one before it.
    let report = Test::in_sandbox(sandbox).args(["report", OUT]).run();
    let json: serde_json::Value = serde_json::from_str(&report.stdout).expect("the report");
    let steps = json["steps"].as_array().expect("steps");
    let field = steps
        .iter()
        .find(|s| s["kind"] == "blank")
        .expect("the blank");
    assert_eq!(field["answer"], "1.2.4", "{}", report.stdout);
    let answers: Vec<&serde_json::Value> = field["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| &a["answer"])
        .collect();
    assert_eq!(answers, ["1.2.3", "1.2.4"], "{}", report.stdout);
}

/// A choice answered on its failing side is changed by going to it alone
/// (`1.3`): the new answer settles the task, which is ticked, and the run
/// ends clean; the transcript keeps the first answer as an earlier one.
#[test]
fn go_to_a_choice_of_an_earlier_task_changes_the_answer() {
    let sandbox = sandbox(TAG);
    let mut pty = run(&sandbox);
    pty.answer(BLANK, "1.2.3");
    pty.answer(RUN, "r");
    pty.answer(CHOICE, "2");
    pty.answer("[c]ontinue / [b]ack / [a]bort / [g]o to", "c");
    pty.answer(TASK, "g");
    pty.answer(PICK_PART, "1.3");
    pty.expect("1) Yes");
    pty.answer(CHOICE_AGAIN, "1");
    pty.answer(TASK, "d");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("ran"), "tag\n");
    let transcript = sandbox.transcript();
    let choice = crate::common::line_with(&transcript, "Smoke tests passed: `");
    assert!(
        choice.contains("`☒ Yes / ☐ No`") && choice.contains("1 earlier attempt: ❌ No"),
        "{transcript}"
    );
    // The blank beside it is left as it was.
    let blank = crate::common::line_with(&transcript, "Version tagged:");
    assert!(
        blank.contains("1.2.3") && !blank.contains("earlier attempt"),
        "{transcript}"
    );
    // The task failed with the first answer and is ticked with the new one.
    assert!(transcript.contains("- [x] "), "{transcript}");
    assert!(
        transcript.contains("2 done · 0 skipped · 0 failed"),
        "{transcript}"
    );
}
