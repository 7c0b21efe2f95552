//! Interactive runs through a real pseudo-terminal, typed like an operator.

use std::time::{Duration, Instant};

use crate::common::{OUT, RUN, RUNBOOK, TASK, Test, line_with, run, sandbox};

const FAILED: &str = "The block failed (exit 1). [r]etry / [e]dit / [i]gnore / [s]kip / [a]bort / [q]uit / [b]ack / [g]o to";

#[test]
fn whole_words_answer_as_their_letters_do_and_a_wrong_answer_names_the_letters() {
    let sandbox = sandbox(
        r#"
        # Deploy

        ```bash
        touch ran-file
        ```

        ```bash
        touch skipped-file
        ```

        - [ ] Tell the channel
        "#,
    );
    let mut pty = run(&sandbox);
    // `y` is what many tools take for yes; here it is refused, and the
    // refusal says which letters there are.
    pty.expect_prompt(RUN);
    pty.send("y\r");
    pty.expect("type one of the letters in brackets (r, s, e, q, b, g), then Enter");
    pty.answer(RUN, "Run");
    pty.answer(RUN, " skip ");
    pty.answer(TASK, "DONE");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(sandbox.exists("ran-file"), "`Run` did not run the block");
    assert!(!sandbox.exists("skipped-file"), "` skip ` ran the block");
    let transcript = sandbox.transcript();
    assert!(
        line_with(&transcript, "Tell the channel").starts_with("- [x] "),
        "`DONE` did not tick the task: {transcript}"
    );
    assert_eq!(
        transcript.matches("status=skipped").count(),
        1,
        "{transcript}"
    );
}

#[test]
fn operator_runs_one_block_and_skips_another() {
    let sandbox = sandbox(
        r#"
        # Deploy

        ```bash
        touch ran-file
        echo ran-output
        ```

        ```bash
        touch skipped-file
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    // A letter that is not offered is refused, and the question asked again.
    pty.expect_prompt(RUN);
    pty.send("x\r");
    pty.expect("type one of the letters in brackets");
    pty.answer(RUN, "r");
    pty.expect("ran-output");
    pty.answer(RUN, "s");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(sandbox.exists("ran-file"));
    assert!(!sandbox.exists("skipped-file"), "the skipped block ran");
    assert_eq!(sandbox.outputs(), vec!["ran-output\n".to_string()]);
    let transcript = sandbox.transcript();
    assert_eq!(
        transcript.matches("status=skipped").count(),
        1,
        "{transcript}"
    );
    assert!(
        transcript.contains("touch skipped-file\n```\n<!--rs:out id=s2 status=skipped"),
        "the skipped block is not marked skipped:\n{transcript}"
    );
    assert!(sandbox.transcript().contains("mode=interactive"));
}

#[test]
fn operator_answers_manual_tasks_done_failed_and_with_a_note() {
    let sandbox = sandbox(
        r#"
        - [ ] Check the dashboard
        - [ ] Tell the team
        - [ ] Warm the cache
        "#,
    );
    let mut pty = run(&sandbox);
    pty.expect("Check the dashboard");
    pty.answer(TASK, "d");
    pty.expect("Tell the team");
    pty.answer(TASK, "n");
    pty.answer("Note", "told them in the channel");
    pty.answer(TASK, "d");
    pty.expect("Warm the cache");
    pty.answer(TASK, "f");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "a task marked failed: {screen}");
    let transcript = sandbox.transcript();
    let done = line_with(&transcript, "Check the dashboard");
    assert!(
        done.starts_with("- [x] ") && done.contains("status=done"),
        "{done}"
    );
    let noted = line_with(&transcript, "Tell the team");
    assert!(noted.starts_with("- [x] "), "{noted}");
    assert!(noted.contains("note: told them in the channel"), "{noted}");
    let failed = line_with(&transcript, "Warm the cache");
    assert!(
        failed.starts_with("- [ ] ") && failed.contains("status=failed"),
        "{failed}"
    );
    assert!(failed.contains("failed"), "{failed}");
}

#[test]
fn failed_block_retried_after_the_cause_is_fixed() {
    let sandbox = sandbox(
        r#"
        ```bash
        test -f ready
        echo ready-now
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.expect_prompt(FAILED);
    sandbox.write("ready", "");
    pty.reply(FAILED, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.outputs(), vec!["ready-now\n".to_string()]);
    let transcript = sandbox.transcript();
    // The step is done; the failed attempt stays on record, folded.
    assert!(
        transcript.contains("<!--rs:out id=s1 status=done")
            && transcript.contains("<!--rs:try id=s1 status=failed"),
        "{transcript}"
    );
}

const FAILS_THEN_MARKS: &str = r#"
    ```bash
    false
    ```

    ```bash
    touch after
    ```
"#;

#[test]
fn failed_block_ignored_lets_the_run_go_on_and_exit_1() {
    let sandbox = sandbox(FAILS_THEN_MARKS);
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.answer(FAILED, "i");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    assert!(sandbox.exists("after"), "the run did not go on");
    let transcript = sandbox.transcript();
    assert!(transcript.contains("failure ignored"), "{transcript}");
}

#[test]
fn failed_block_aborted_stops_the_run() {
    let sandbox = sandbox(FAILS_THEN_MARKS);
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.answer(FAILED, "a");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    assert!(!sandbox.exists("after"), "a block after the abort ran");
    assert!(
        !screen.contains("touch after"),
        "asked about a later block:\n{screen}"
    );
    let transcript = sandbox.transcript();
    assert!(transcript.contains("state=stopped"), "{transcript}");
}

#[test]
fn edit_changes_the_command_for_this_run_only() {
    let source = "```bash\necho old-value\n```\n";
    let sandbox = sandbox(source);
    let editor = sandbox.write_script("editor.sh", "#!/bin/sh\nsed -i 's/old/new/' \"$1\"\n");
    let mut pty = sandbox.pty(
        &["run", RUNBOOK, "-o", OUT],
        &[("EDITOR", editor.to_str().unwrap())],
    );
    pty.answer(RUN, "e");
    pty.expect("echo new-value");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    assert!(
        transcript.contains("```bash {rs=ran}\necho new-value\n```\n"),
        "the edited command is not shown:\n{transcript}"
    );
    assert_eq!(sandbox.outputs(), vec!["new-value\n".to_string()]);
    assert_eq!(sandbox.read(RUNBOOK), source, "the runbook was changed");
    let out = Test::in_sandbox(sandbox).args(["strip", OUT]).run();
    assert_eq!(out.stdout, source);
}

#[test]
fn quit_saves_what_was_done_and_resume_goes_on() {
    let sandbox = sandbox(
        r#"
        ```bash
        echo one >> counter
        ```

        ```bash
        echo two >> counter
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.answer(RUN, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    assert_eq!(sandbox.read("counter"), "one\n");
    let transcript = sandbox.transcript();
    assert!(transcript.contains("state=interrupted"), "{transcript}");
    assert_eq!(transcript.matches("status=done").count(), 1, "{transcript}");

    let out = Test::in_sandbox(sandbox)
        .args(["resume", "--yes", OUT])
        .run();
    assert_eq!(out.read("counter"), "one\ntwo\n");
    assert!(
        out.transcript().contains("state=complete"),
        "{}",
        out.transcript()
    );
}

#[test]
fn ctrl_c_stops_a_long_block_and_offers_the_failure_prompt() {
    let sandbox = sandbox(
        r#"
        ```bash
        echo before-sleep
        sleep 30
        echo after-sleep
        ```

        ```bash
        touch later
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.expect("before-sleep");
    std::thread::sleep(Duration::from_millis(300));
    let pressed = Instant::now();
    pty.send("\x03");
    let options = "[r]etry / [e]dit / [i]gnore / [s]kip / [a]bort / [q]uit / [b]ack / [g]o to";
    pty.expect_prompt_within(options, Duration::from_secs(10));
    assert!(
        pressed.elapsed() < Duration::from_secs(10),
        "took {:?}",
        pressed.elapsed()
    );
    pty.reply(options, "a");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    let (_, after_output) = screen.rsplit_once("before-sleep").unwrap();
    assert!(
        !after_output.contains("after-sleep"),
        "the rest of the block ran:\n{screen}"
    );
    assert!(!sandbox.exists("later"), "a later block ran");
    let transcript = sandbox.transcript();
    assert!(transcript.contains("interrupted"), "{transcript}");
    assert_eq!(
        sandbox.outputs(),
        vec!["before-sleep\n".to_string()],
        "{transcript}"
    );
}

/// An operator who waits at a prompt longer than a `TMOUT` (hardened hosts
/// export one) finds the session as it was: the background job started
/// before is still there.
#[test]
fn a_tmout_does_not_end_the_session_while_the_operator_waits() {
    let sandbox = sandbox(
        r#"
        ```bash
        sleep 300 & BG=$!
        TMOUT=1
        ```

        ```bash
        kill -0 "$BG" && echo job-still-running; kill "$BG"
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.expect_prompt(RUN);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    pty.reply(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(
        sandbox.outputs(),
        vec!["job-still-running\n".to_string()],
        "{}",
        sandbox.transcript()
    );
    assert!(
        !sandbox
            .transcript()
            .contains("the shell ended; a new session went on"),
        "{}",
        sandbox.transcript()
    );
}

/// A session killed from outside while the operator is at a prompt: the next
/// block runs in a new session with the saved state, and the transcript says
/// the shell ended; nothing claims the block ran in the old one.
#[test]
fn a_session_killed_while_the_operator_waits_is_started_again_for_the_next_block() {
    let sandbox = sandbox(
        r#"
        ```bash
        KEEP=kept
        (sleep 0.3; kill -9 $$) &
        ```

        ```bash
        echo "ran with $KEEP"
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.expect_prompt(RUN);
    std::thread::sleep(std::time::Duration::from_millis(1000));
    pty.reply(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    assert_eq!(
        sandbox.outputs(),
        vec!["ran with kept\n".to_string()],
        "{transcript}"
    );
    assert!(
        transcript.contains("the shell ended; a new session went on"),
        "{transcript}"
    );
}

/// The connection drops (the terminal's other side closes) while runsheet
/// waits at `prompt`, reached by typing `keys` (prompt, answer) first: the
/// run is saved as interrupted and ends with 130, as on SIGHUP, not with a
/// panic on the terminal that is gone.
fn dropped_at(runbook: &str, keys: &[(&str, &str)], prompt: &str) -> crate::common::Sandbox {
    let sandbox = sandbox(runbook);
    let mut pty = sandbox.droppable_pty(&["run", RUNBOOK, "-o", OUT]);
    for (asked, answer) in keys {
        pty.expect_prompt(asked);
        pty.send(&format!("{answer}\r"));
    }
    pty.expect_prompt(prompt);
    let screen = pty.screen();
    let code = pty.hang_up();
    assert_eq!(code, 130, "{screen}");
    let transcript = sandbox.transcript();
    assert!(
        transcript.contains("state=interrupted"),
        "the transcript does not say the run was interrupted:\n{transcript}"
    );
    sandbox
}

#[test]
fn a_connection_dropped_at_a_task_prompt_saves_the_run_as_interrupted() {
    let sandbox = dropped_at(
        r#"
        # Deploy

        ```bash
        echo before-the-drop
        ```

        - [ ] Tell #ops
        "#,
        &[(RUN, "r")],
        TASK,
    );
    assert_eq!(sandbox.outputs(), vec!["before-the-drop\n".to_string()]);
}

#[test]
fn a_connection_dropped_at_a_note_or_a_hidden_prompt_saves_the_run_as_interrupted() {
    dropped_at("- [ ] Tell #ops\n", &[(TASK, "n")], "Note");
    let sandbox = dropped_at(
        "```bash\necho \"<db-password>\" > ran\n```\n",
        &[(RUN, "r")],
        "Value for <db-password> (hidden)",
    );
    assert!(!sandbox.exists("ran"), "the block ran without its value");
}

/// Ctrl-C or Ctrl-D at the hidden prompt of a secret placeholder ends the
/// run as at any other prompt: saved as interrupted, exit 130.
#[test]
fn ctrl_c_or_ctrl_d_at_a_hidden_prompt_saves_and_exits_130() {
    const HIDDEN: &str = "Value for <db-password> (hidden)";
    for key in ["\x03", "\x04"] {
        let sandbox = sandbox("```bash\necho \"<db-password>\" > ran\n```\n");
        let mut pty = run(&sandbox);
        pty.answer(RUN, "r");
        pty.expect_prompt(HIDDEN);
        pty.send(key);
        let (code, screen) = pty.wait();
        assert_eq!(code, 130, "{key:?}: {screen}");
        assert!(!sandbox.exists("ran"), "{key:?}: the block ran");
        let transcript = sandbox.transcript();
        assert!(
            transcript.contains("state=interrupted"),
            "{key:?}: {transcript}"
        );
    }
}

/// Enter alone asks again, Backspace takes a character back, and the value
/// typed (never shown) fills the placeholder.
#[test]
fn the_hidden_prompt_asks_again_on_empty_and_takes_backspace() {
    const HIDDEN: &str = "Value for <db-password> (hidden)";
    let sandbox = sandbox("```bash\necho \"<db-password>\" > ran\n```\n");
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.expect_prompt(HIDDEN);
    pty.send("\r");
    pty.expect_prompt(HIDDEN);
    pty.send("hunter22\x7f\r");
    pty.expect(&format!("{HIDDEN}: [hidden]\n"));
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("ran"), "hunter2\n");
    assert!(!screen.contains("hunter2"), "{screen}");
}

/// The closing summary says how each step failed in the words of its own
/// line: not `exit 0` for a block whose output failed its check.
#[test]
fn the_closing_summary_gives_why_an_output_check_failed() {
    let sandbox = sandbox(
        r#"
        # Checks

        ```bash {expect=healthy}
        echo sick
        ```

        ```bash
        echo actual-output
        # Expected: something else
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.answer(
        "The step failed: its output does not contain what `expect` asks for. [r]etry / [e]dit / [i]gnore / [s]kip / [a]bort / [q]uit / [b]ack / [g]o to",
        "i",
    );
    pty.answer(RUN, "r");
    pty.answer("Does the output match? [y]es / [n]o", "n");
    pty.answer(
        "The step failed: you said its output was not what was expected. [r]etry / [e]dit / [i]gnore / [s]kip / [a]bort / [q]uit / [b]ack / [g]o to",
        "i",
    );
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    let summary = screen
        .split("2 steps failed:")
        .nth(1)
        .unwrap_or_else(|| panic!("no summary:\n{screen}"));
    assert!(!summary.contains("exit 0"), "{summary}");
    assert!(
        line_with(summary, "runbook.md:3").ends_with("· output lacks what `expect` asks for"),
        "{summary}"
    );
    assert!(
        line_with(summary, "runbook.md:7").ends_with("· output not as expected"),
        "{summary}"
    );
}

const VALUE: &str =
    "Value (`now` for the current UTC time, empty to skip) · [q]uit / [b]ack / [g]o to";

/// Ctrl-D on nothing typed ends the run at every prompt, as Ctrl-C does and
/// as the end of input ends a shell: saved as interrupted, exit 130, and
/// nothing after the prompt done.
#[test]
fn ctrl_d_on_nothing_typed_at_any_prompt_saves_and_exits_130() {
    for (runbook, prompt) in [
        ("```bash\ntouch ran\n```\n", RUN),
        ("- [ ] Tell #ops\n\n```bash\ntouch ran\n```\n", TASK),
        ("Build number: ____\n\n```bash\ntouch ran\n```\n", VALUE),
        (
            "CAB decision: ☐ GO ☐ NO-GO\n\n```bash\ntouch ran\n```\n",
            "Pick 1-2",
        ),
    ] {
        let sandbox = sandbox(runbook);
        let mut pty = run(&sandbox);
        pty.expect(prompt);
        pty.expect(": ");
        std::thread::sleep(Duration::from_millis(50));
        pty.send("\x04");
        let (code, screen) = pty.wait();
        assert_eq!(code, 130, "{prompt}: {screen}");
        assert!(!sandbox.exists("ran"), "{prompt}: a later block ran");
        let transcript = sandbox.transcript();
        assert!(
            transcript.contains("state=interrupted"),
            "{prompt}: {transcript}"
        );
    }
}

/// The line at a prompt edits as a shell's does: arrows, Home and End,
/// Delete, Ctrl-D on a character, Ctrl-W and Ctrl-U; what ends up typed is
/// what is recorded.
#[test]
fn the_line_at_a_prompt_edits_like_a_shell_line() {
    let sandbox = sandbox("Build number: ____\n\nRelease owner: ____\n");
    let mut pty = run(&sandbox);
    pty.expect_prompt(VALUE);
    // `helo`, back one, `l`; to the start, Delete, `H`; to the end, `!`.
    pty.send("helo\x1b[Dl\x1b[H\x1b[3~H\x1b[F!\r");
    pty.expect(&format!("{VALUE}: Hello!\n"));
    pty.expect_prompt(VALUE);
    // A word and all before the cursor taken back; Ctrl-D on a character
    // deletes it rather than ending the run.
    pty.send("wrong words\x17\x15Sam\x01\x04s\r");
    pty.expect(&format!("{VALUE}: sam\n"));
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    assert!(
        line_with(&transcript, "Build number").contains("`Hello!`"),
        "{transcript}"
    );
    assert!(
        line_with(&transcript, "Release owner").contains("`sam`"),
        "{transcript}"
    );
}

/// Keys pressed while a block runs (an impatient `r` and Enter) do not
/// answer the next prompt: it waits for what is typed once it is shown.
#[test]
fn keys_typed_while_a_block_runs_do_not_answer_the_next_prompt() {
    let sandbox = sandbox(
        r#"
        ```bash
        sleep 1
        echo first-done
        ```

        ```bash
        touch second-ran
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    std::thread::sleep(Duration::from_millis(200));
    pty.send("r\r");
    pty.expect("first-done");
    pty.expect_prompt(RUN);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !sandbox.exists("second-ran"),
        "keys typed during the first block ran the second"
    );
    pty.reply(RUN, "s");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(!sandbox.exists("second-ran"), "{screen}");
}

/// A stop signal while runsheet waits at a prompt ends it there; the
/// terminal is given back as the prompt found it, echoing what is typed,
/// not left in the raw mode the prompt reads keys in.
#[test]
fn a_stop_signal_at_a_prompt_gives_the_terminal_back_as_it_was() {
    for prompt in [RUN, "Value for <db-password> (hidden)"] {
        let sandbox = sandbox("```bash\necho \"<db-password>\" > ran\n```\n");
        let mut pty = run(&sandbox);
        pty.echo_like_a_terminal();
        if prompt != RUN {
            pty.answer(RUN, "r");
        }
        pty.expect_prompt(prompt);
        assert!(!pty.echoes(), "{prompt}: the prompt reads keys in raw mode");
        rustix::process::kill_process(
            rustix::process::Pid::from_raw(pty.pid() as i32).expect("a pid"),
            rustix::process::Signal::TERM,
        )
        .expect("send SIGTERM");
        let (code, screen) = pty.wait_here();
        assert_eq!(code, 130, "{prompt}: {screen}");
        assert!(
            screen.contains("stopped by a signal at a prompt"),
            "{screen}"
        );
        assert!(pty.echoes(), "{prompt}: the terminal was left raw");
        assert!(!sandbox.exists("ran"), "{prompt}: the block ran");
    }
}
