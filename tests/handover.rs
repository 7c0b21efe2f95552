//! A run started at a terminal and carried on by someone (or something)
//! else: what the first part decided stays decided.

use crate::common::{OUT, RUN, sandbox};

/// Two ways to move the traffic, of which a run does one, then a check.
const SWITCH: &str = "
    # Switch traffic

    ## Move the traffic

    ### Option A: Flip the load balancer

    ```bash
    echo flip >> calls.log
    ```

    ### Option B: Change DNS

    ```bash
    echo dns >> calls.log
    ```

    ## Check

    ```bash
    echo check >> calls.log
    ```
";

#[test]
fn an_unattended_resume_keeps_the_option_the_operator_chose() {
    let sandbox = sandbox(SWITCH);
    let mut pty = crate::common::run(&sandbox);
    pty.expect("2) Option B: Change DNS");
    pty.answer("Which one? (1-2, q to quit)", "2");
    pty.answer(RUN, "r");
    // Handed over before the check: the operator quits here.
    pty.answer(RUN, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    assert_eq!(sandbox.read("calls.log"), "dns\n");

    // No --choose: the choice is in the transcript already.
    let out = sandbox
        .test()
        .args(["resume", "--yes", OUT])
        .stderr_lacks("choose with --choose")
        .run();
    assert_eq!(
        out.read("calls.log"),
        "dns\ncheck\n",
        "the check ran, and neither option ran again"
    );
    let transcript = out.transcript();
    assert!(
        transcript.contains("\"Option B: Change DNS\" was chosen"),
        "{transcript}"
    );
}

#[test]
fn a_choice_given_again_on_resume_does_not_undo_what_was_taken_and_says_so() {
    let sandbox = sandbox(SWITCH);
    let mut pty = crate::common::run(&sandbox);
    pty.answer("Which one? (1-2, q to quit)", "2");
    pty.answer(RUN, "r");
    pty.answer(RUN, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");

    let out = sandbox
        .test()
        .args(["resume", "--yes", "--choose", "Option A", OUT])
        .stderr_contains(
            "the run already took \"Option B: Change DNS\"; it goes on with that, not with \"Option A",
        )
        .run();
    assert_eq!(out.read("calls.log"), "dns\ncheck\n", "an option ran again");
}

#[test]
fn an_unattended_resume_still_needs_a_choice_nobody_made_yet() {
    let sandbox = sandbox(&format!(
        "
    # Prepare

    - [ ] Freeze deploys
{SWITCH}"
    ));
    let mut pty = crate::common::run(&sandbox);
    pty.answer(crate::common::TASK, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");

    let out = sandbox
        .test()
        .args(["resume", "--yes", OUT])
        .status(2)
        .stderr_contains("choose with --choose")
        .run();
    assert!(!out.exists("calls.log"), "nothing ran");
}
