//! One letter, one meaning: at the prompts after a task answered failed and
//! after an answer on the failing side, `c` goes on, `b` answers again and
//! `g` goes to another step, as everywhere else; the older whole words
//! (`go on`, `go back`) are still taken.

use crate::common::{OUT, RUN, RUNBOOK, Sandbox, TASK, line_with, run, sandbox, unindent};

/// Three tasks and a rollback plan: a task answered failed asks what next.
const RELEASE: &str = r#"
    # Release

    - [ ] Tell the team
    - [ ] Check the dashboard
    - [ ] Publish
      ```bash
      touch published
      ```

    ## Rollback

    ```bash
    touch rolled-back
    ```
    "#;

/// The task and run prompts where there are contingency sections.
fn with_contingency(prompt: &str) -> String {
    format!("{prompt} / [c]ontingency")
}

/// What a task answered failed asks.
fn what_next(task: &str) -> String {
    format!("\"{task}\" failed. What next? [c]ontinue / [s]top / [g]o to · [1] rollback: Rollback")
}

fn release() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write(RUNBOOK, unindent(RELEASE));
    sandbox
}

#[test]
fn after_a_task_answered_failed_c_goes_on_and_so_do_the_words_go_on() {
    let sandbox = release();
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[]);
    let task = with_contingency(TASK);
    pty.expect("Tell the team");
    pty.answer(&task, "f");
    pty.answer(&what_next("Tell the team"), "c");
    pty.expect("Check the dashboard");
    pty.answer(&task, "f");
    pty.answer(&what_next("Check the dashboard"), "go on");
    pty.answer(&with_contingency(RUN), "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "two tasks failed: {screen}");
    assert!(sandbox.exists("published"), "the run did not go on");
    assert!(!sandbox.exists("rolled-back"), "the rollback ran");
    let transcript = sandbox.transcript();
    for failed in ["Tell the team", "Check the dashboard"] {
        let line = line_with(&transcript, failed);
        assert!(line.contains("status=failed"), "{line}");
    }
    assert!(line_with(&transcript, "Publish").starts_with("- [x] "));
}

#[test]
fn after_a_task_answered_failed_g_lists_the_steps_to_go_to() {
    let sandbox = release();
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[]);
    let task = with_contingency(TASK);
    pty.expect("Tell the team");
    pty.answer(&task, "d");
    pty.expect("Check the dashboard");
    pty.answer(&task, "f");
    pty.answer(&what_next("Check the dashboard"), "g");
    pty.expect("Steps of this runbook:");
    pty.expect("[1] runbook.md:3 Release › Tell the team");
    pty.expect("[2] runbook.md:4 Release › Check the dashboard  ← here");
    pty.answer("Go to which step? (1-4, empty to stay)", "2");
    // Asked again, it is done this time; the run goes on from there.
    pty.expect("Check the dashboard");
    pty.answer(&task, "d");
    pty.answer(&with_contingency(RUN), "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(sandbox.exists("published"));
    assert!(!sandbox.exists("rolled-back"), "the rollback ran");
    let transcript = sandbox.transcript();
    let check = line_with(&transcript, "Check the dashboard");
    assert!(check.starts_with("- [x] "), "{transcript}");
}

/// A choice that fails its task when answered `No`.
const SMOKE: &str = r#"
    # Deploy

    - [ ] Smoke tests
      - All smoke tests passed: `Yes / No`
    - [ ] Deploy
      ```bash
      touch deployed
      ```
    "#;

const PICK2: &str = "Pick 1-2 (or type the option; empty to skip) · [q]uit / [b]ack / [g]o to";
const PICK2_AGAIN: &str =
    "Pick 1-2 (or type the option; empty keeps the pick before) · [q]uit / [b]ack / [g]o to";
const ANSWER_FAILED: &str = "All smoke tests passed: No: the step is recorded as failed. \
                             [c]ontinue / [b]ack / [a]bort / [g]o to";

#[test]
fn after_an_answer_on_the_failing_side_b_answers_again() {
    let sandbox = sandbox(SMOKE);
    let mut pty = run(&sandbox);
    pty.answer(PICK2, "2");
    pty.answer(ANSWER_FAILED, "b");
    // The same choice, asked again, with the pick before.
    pty.expect("All smoke tests passed");
    pty.expect("  Before: No\n");
    pty.answer(PICK2_AGAIN, "1");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(sandbox.exists("deployed"));
    let choice = line_with(&sandbox.transcript(), "- All smoke tests passed:");
    assert!(
        choice.contains("status=done") && choice.contains("try1-value=No"),
        "{choice}"
    );
}

#[test]
fn after_an_answer_on_the_failing_side_g_lists_the_steps_and_go_back_still_answers_again() {
    let sandbox = sandbox(SMOKE);
    let mut pty = run(&sandbox);
    pty.answer(PICK2, "no");
    pty.answer(ANSWER_FAILED, "g");
    pty.expect("Steps of this runbook:");
    pty.expect("[2] runbook.md:5 Deploy › Deploy");
    // Staying puts the question again.
    pty.answer("Go to which step? (1-2, empty to stay)", "");
    pty.answer(ANSWER_FAILED, "go back");
    pty.expect("All smoke tests passed");
    pty.answer(PICK2_AGAIN, "yes");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(sandbox.exists("deployed"));
}

#[test]
fn after_an_answer_on_the_failing_side_g_goes_to_the_step_picked() {
    let sandbox = sandbox(SMOKE);
    let mut pty = run(&sandbox);
    pty.answer(PICK2, "no");
    pty.answer(ANSWER_FAILED, "g");
    pty.answer("Go to which step? (1-2, empty to stay)", "2");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "the No still fails the run: {screen}");
    assert!(sandbox.exists("deployed"));
    let transcript = sandbox.transcript();
    let choice = line_with(&transcript, "- All smoke tests passed:");
    assert!(
        choice.contains("status=failed") && !choice.contains("ignored"),
        "{choice}"
    );
}
