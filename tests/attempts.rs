//! Every attempt of a step stays on record (retried, edited, skipped after a
//! failure, run again on resume), and the labels say honestly what changed a
//! command: the operator's edit, or a placeholder's value.

use crate::common::{OUT, RUN, RUNBOOK, Test, run, sandbox};

const FAILED: &str = "The block failed (exit 1). [r]etry / [e]dit / [i]gnore / [s]kip / [a]bort / [q]uit / [b]ack / [g]o to";

/// The lines of the `out` region in `transcript` (opening to closing marker).
fn region(transcript: &str) -> Vec<String> {
    transcript
        .lines()
        .skip_while(|l| !l.contains("<!--rs:out "))
        .take_while(|l| !l.contains("<!--/rs:out-->"))
        .map(str::to_string)
        .collect()
}

/// The `at=` of a marker line.
fn at(line: &str) -> &str {
    let from = line.find(" at=").expect("an at= attribute") + 4;
    &line[from..from + 20]
}

/// The steps of `runsheet report OUT`.
fn report_steps(sandbox: crate::common::Sandbox) -> Vec<serde_json::Value> {
    let out = Test::in_sandbox(sandbox).args(["report", OUT]).run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    doc["steps"].as_array().expect("steps").clone()
}

#[test]
fn a_failed_attempt_retried_stays_in_the_transcript_folded_under_the_new_one() {
    let source = "```bash\ntest -f ready && echo ready-now || { echo not-yet; false; }\n```\n";
    let sandbox = sandbox(source);
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.expect_prompt(FAILED);
    sandbox.write("ready", "");
    pty.reply(FAILED, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    let lines = region(&transcript);
    // Newest first: the attempt that counts heads the region, with its output.
    assert!(lines[0].contains("status=done"), "{transcript}");
    assert!(lines[2].contains("ready-now"), "{transcript}");
    // Then the older one, folded.
    assert!(
        lines[4].contains("<details><summary>1 earlier attempt</summary>"),
        "{transcript}"
    );
    assert!(
        lines[5].contains("<!--rs:try id=s1 status=failed"),
        "{transcript}"
    );
    assert!(lines[5].contains("attempt 1 · ❌ exit 1"), "{transcript}");
    assert!(lines[7].contains("not-yet"), "{transcript}");
    assert!(at(&lines[5]) <= at(&lines[0]), "{transcript}");
    // The source comes back byte for byte.
    let out = Test::in_sandbox(sandbox).args(["strip", OUT]).run();
    assert_eq!(out.stdout, source);
    // The run record lists both attempts, oldest first.
    let steps = report_steps(out.sandbox);
    let attempts = steps[0]["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2, "{steps:?}");
    assert_eq!(attempts[0]["status"], "failed");
    assert_eq!(attempts[0]["exit"], 1);
    assert_eq!(attempts[0]["output"], "not-yet\n");
    assert_eq!(attempts[1]["status"], "done");
    assert_eq!(steps[0]["status"], "done");
}

#[test]
fn edit_at_the_failure_prompt_shows_the_edited_block_and_asks_before_running_it() {
    let source = "```bash\necho old-value; false\n```\n";
    let sandbox = sandbox(source);
    let editor = sandbox.write_script(
        "editor.sh",
        "#!/bin/sh\nsed -i 's/old-value; false/new-value/' \"$1\"\n",
    );
    let mut pty = sandbox.pty(
        &["run", RUNBOOK, "-o", OUT],
        &[("EDITOR", editor.to_str().unwrap())],
    );
    pty.answer(RUN, "r");
    pty.answer(FAILED, "e");
    // The edited block is shown, and nothing runs until the operator says so.
    pty.expect("echo new-value");
    pty.expect_prompt(RUN);
    // Only the failed attempt has run so far.
    assert_eq!(sandbox.outputs(), vec!["old-value\n".to_string()]);
    pty.reply(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    let lines = region(&transcript);
    assert!(lines[0].contains("status=done") && lines[0].contains("how=edited"));
    assert!(
        lines[0].contains("· edited by the operator · it ran as:"),
        "{transcript}"
    );
    assert!(!lines[0].contains("filled"), "{transcript}");
    assert!(
        transcript.contains("```bash {rs=ran}\necho new-value\n```\n"),
        "{transcript}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("rs:try") && l.contains("status=failed")),
        "the failed attempt is gone:\n{transcript}"
    );
    let out = Test::in_sandbox(sandbox).args(["strip", OUT]).run();
    assert_eq!(out.stdout, source);
}

#[test]
fn the_failure_prompt_skips_the_step_keeping_its_failed_attempt() {
    let sandbox = sandbox("```bash\nfalse\n```\n\n```bash\ntouch after\n```\n");
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.answer(FAILED, "s");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "a deliberately skipped step is settled:\n{screen}");
    assert!(sandbox.exists("after"));
    let transcript = sandbox.transcript();
    let lines = region(&transcript);
    assert!(lines[0].contains("id=s1 status=skipped"), "{transcript}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("rs:try") && l.contains("status=failed")),
        "{transcript}"
    );
}

#[test]
fn quit_at_the_failure_prompt_and_resume_keep_every_attempt_in_order() {
    let source = "```bash\ntest -f ready\n```\n";
    let sandbox = sandbox(source);
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.answer(FAILED, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    assert!(sandbox.transcript().contains("state=interrupted"));
    // The next morning, unattended: it fails again, then passes.
    let out = Test::in_sandbox(sandbox)
        .args(["resume", "--yes", OUT])
        .status(1)
        .run();
    out.write("ready", "");
    let out = out.then().args(["resume", "--yes", OUT]).run();
    let transcript = out.transcript();
    let lines = region(&transcript);
    assert!(lines[0].contains("status=done"), "{transcript}");
    let tries: Vec<&String> = lines.iter().filter(|l| l.contains("rs:try")).collect();
    assert_eq!(tries.len(), 2, "{transcript}");
    assert!(tries[0].contains("attempt 2 ·") && tries[1].contains("attempt 1 ·"));
    // Newest first, so the times go backwards down the region.
    assert!(at(&lines[0]) >= at(tries[0]) && at(tries[0]) >= at(tries[1]));
    let out = out.then().args(["strip", OUT]).run();
    assert_eq!(out.stdout, source);
}

#[test]
fn retries_of_the_fence_keep_each_failed_try() {
    let out = Test::new()
        .runbook("```bash {retries=2}\necho try >> tries; test \"$(wc -l < tries)\" -ge 3\n```\n")
        .run_yes()
        .run();
    let transcript = out.transcript();
    let lines = region(&transcript);
    assert!(lines[0].contains("status=done"), "{transcript}");
    assert!(
        transcript.contains("2 earlier attempts"),
        "the automatic retries are not kept:\n{transcript}"
    );
}

/// A retry starts in the directory the first attempt started in: the usual
/// `cd build && make` finds build again rather than build/build.
#[test]
fn a_retry_starts_where_the_first_attempt_started() {
    let out = Test::new()
        .file("build/.keep", "")
        .runbook(
            "```bash {retries=2}\ncd build && test -f ready || { touch ready; false; }\n```\n\n\
             ```bash\necho \"now in ${PWD##*/}\"\n```\n",
        )
        .run_yes()
        .stderr_contains("Retrying (1 of 2)")
        .stderr_contains(", where the first attempt started")
        .stderr_lacks("Retrying (2 of 2)")
        .stderr_lacks("No such file or directory")
        .run();
    let transcript = out.transcript();
    assert!(transcript.contains("1 earlier attempt"), "{transcript}");
    assert!(transcript.contains("now in build"), "{transcript}");
}

/// A block that moves up and removes the directory it started in is not
/// tried again one directory higher: its retry finds the directory gone,
/// says so, and does nothing else.
#[test]
fn a_retry_whose_first_directory_is_gone_runs_nowhere_else() {
    let out = Test::new()
        .file("a/b/c/.keep", "")
        .runbook(
            "```bash\nroot=$PWD; cd a/b/c\n```\n\n\
             ```bash {retries=1}\ncd .. && echo \"$PWD\" >> \"$root/log\" && rm c/.keep && rmdir c && false\n```\n",
        )
        .run_yes()
        .status(1)
        .stderr_contains("Retrying (1 of 1)")
        .stdout_contains("/a/b/c: No such file or directory")
        .run();
    let log = std::fs::read_to_string(out.sandbox.path("log")).expect("the log");
    assert_eq!(log.lines().count(), 1, "the retry ran elsewhere: {log}");
    assert!(log.trim_end().ends_with("/a/b"), "{log}");
}

/// The attempts of step `id` in `runsheet report OUT`: how each ended, oldest first.
fn attempt_statuses(steps: &[serde_json::Value], id: &str) -> Vec<String> {
    let step = steps
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {steps:?}"));
    step["attempts"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| t["status"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A task whose block fails until its third try, by the fence's `retries=`,
/// the operator's retry at the failure prompt, or `resume`.
const TASK_WITH_BLOCK: &str = "# Deploy\n\n- [ ] Bring the service up\n  ```bash {name=up RETRIES}\n  echo try >> tries; test \"$(wc -l < tries)\" -ge 3\n  ```\n";

#[test]
fn a_task_keeps_the_failure_of_its_block_retried_by_the_fence_as_by_resume() {
    // By the fence: the run never stops.
    let out = Test::new()
        .runbook(TASK_WITH_BLOCK.replace("RETRIES", "retries=2"))
        .run_yes()
        .run();
    let transcript = out.transcript();
    let task = transcript
        .lines()
        .find(|l| l.contains("<!--rs:task id=s1 "))
        .expect("the task's line");
    assert!(task.contains("status=done"), "{transcript}");
    assert!(
        task.contains("1 earlier attempt: ❌ failed"),
        "the task does not keep its block's failure:\n{transcript}"
    );
    let by_fence = report_steps(out.sandbox);
    assert_eq!(attempt_statuses(&by_fence, "s1"), ["failed", "done"]);
    assert_eq!(
        attempt_statuses(&by_fence, "up"),
        ["failed", "failed", "done"]
    );

    // By resume, twice: the task's record is the same.
    let out = Test::new()
        .runbook(TASK_WITH_BLOCK.replace("RETRIES", ""))
        .run_yes()
        .status(1)
        .run();
    let out = out.then().args(["resume", "--yes", OUT]).status(1).run();
    let out = out.then().args(["resume", "--yes", OUT]).run();
    let by_resume = report_steps(out.sandbox);
    assert_eq!(attempt_statuses(&by_resume, "s1"), ["failed", "done"]);
    assert_eq!(
        attempt_statuses(&by_resume, "up"),
        ["failed", "failed", "done"]
    );
}

#[test]
fn a_task_keeps_the_failure_of_its_block_retried_at_the_failure_prompt() {
    let sandbox = sandbox(&TASK_WITH_BLOCK.replace("RETRIES", ""));
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.answer(FAILED, "r");
    pty.answer(FAILED, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("tries"), "try\ntry\ntry\n");
    let steps = report_steps(sandbox);
    assert_eq!(attempt_statuses(&steps, "s1"), ["failed", "done"]);
    assert_eq!(attempt_statuses(&steps, "up"), ["failed", "failed", "done"]);
}

/// Skipped at the failure prompt, the block keeps its failure as an
/// earlier attempt, and so does its task: as when the run is quit there,
/// resumed and the block skipped then.
#[test]
fn a_task_keeps_the_failure_of_its_block_skipped_at_the_failure_prompt() {
    let sandbox = sandbox(&TASK_WITH_BLOCK.replace("RETRIES", ""));
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.answer(FAILED, "s");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("tries"), "try\n");
    let steps = report_steps(sandbox);
    assert_eq!(attempt_statuses(&steps, "s1"), ["failed", "skipped"]);
    assert_eq!(attempt_statuses(&steps, "up"), ["failed", "skipped"]);
}

#[test]
fn a_filled_placeholder_is_shown_before_it_runs_and_labelled_as_a_fill_not_an_edit() {
    let source = "```bash\necho \"tag=<release-tag>\"\n```\n";
    let sandbox = sandbox(source);
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.answer("Value for <release-tag>", "v1.4.0");
    // What will run, values filled in, is shown and asked about first.
    pty.expect("With its placeholders filled in, it runs as:");
    pty.expect("echo \"tag=v1.4.0\"");
    pty.expect_prompt(RUN);
    assert_eq!(sandbox.outputs().len(), 0);
    pty.reply(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    let lines = region(&transcript);
    assert!(
        lines[0]
            .contains("· filled: <code>&lt;release-tag></code> = <code>v1.4.0</code> · it ran as:"),
        "{transcript}"
    );
    assert!(!lines[0].contains("edited"), "{transcript}");
    assert!(lines[0].contains(" fills="), "{transcript}");
    let out = Test::in_sandbox(sandbox).args(["strip", OUT]).run();
    assert_eq!(out.stdout, source);
    // The report gives the command as it ran.
    let steps = report_steps(out.sandbox);
    assert_eq!(steps[0]["attempts"][0]["ran"], "echo \"tag=v1.4.0\"\n");
}

#[test]
fn the_first_line_of_a_block_is_not_shown_twice() {
    let sandbox = sandbox("# Deploy\n\n```bash\necho   spaced    out\n```\n");
    let mut pty = run(&sandbox);
    pty.expect_prompt(RUN);
    let screen = pty.screen();
    assert_eq!(
        screen.matches("spaced").count(),
        1,
        "the first line is printed twice:\n{screen}"
    );
    pty.reply(RUN, "s");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
}

#[test]
fn a_resumed_run_is_in_its_transcript_before_its_first_block_runs() {
    let block =
        format!("```bash\ntest -f ready && grep -o 'state=[a-z]*' {OUT} | head -n1 > seen\n```\n");
    let out = Test::new().runbook(block).run_yes().status(1).run();
    out.write("ready", "");
    let out = out.then().args(["resume", "--yes", OUT]).run();
    // The transcript the block read was saved for the resumed run first.
    let seen = out.read("seen");
    assert_eq!(seen.trim(), "state=running", "{seen}");
    assert!(out.transcript().contains("state=complete"));
}

/// The line resume, back and go to print before a block offered again.
fn last_time_line(screen: &str) -> &str {
    screen
        .lines()
        .find(|l| l.starts_with("Last time ("))
        .unwrap_or_else(|| panic!("no `Last time` line:\n{screen}"))
}

#[test]
fn resume_says_what_a_block_did_last_time_before_it_runs_it_again() {
    let out = Test::new()
        .runbook("```bash\necho starting\necho \"halfway with $TOKEN\"\nfalse\n```\n")
        .env("TOKEN", "s3cr3t-value-42")
        .args(["run", "--yes", "--secret", "TOKEN", RUNBOOK, "-o", OUT])
        .status(1)
        .run();
    assert!(!out.stderr.contains("Last time"), "{}", out.stderr);
    let out = out
        .then()
        .env("TOKEN", "s3cr3t-value-42")
        .args(["resume", "--yes", "--secret", "TOKEN", OUT])
        .status(1)
        .run();
    let said = last_time_line(&out.stderr);
    assert!(
        said.contains("): exit 1 after ")
            && said.ends_with("the last line it printed: halfway with •••"),
        "{said}"
    );
    // When the block failed, in the transcript's time.
    let transcript = out.transcript();
    let first = region(&transcript)
        .into_iter()
        .find(|l| l.contains("rs:try"))
        .expect("the first attempt kept");
    assert!(
        said.contains(&at(&first).replacen('T', " ", 1)),
        "{said}\n{first}"
    );
    // Said under the block's heading, and the block ran again.
    let heading = out.stderr.find("echo starting").expect("the block shown");
    assert!(
        heading < out.stderr.find("Last time (").unwrap(),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout.matches("starting").count(), 1, "{}", out.stdout);
    assert!(!out.stderr.contains("s3cr3t-value-42"), "{}", out.stderr);
}

#[test]
fn at_a_terminal_resume_says_it_before_asking_and_back_says_it_of_a_done_block() {
    let sandbox = sandbox(
        "- [ ] One\n  ```bash\n  echo one-done\n  ```\n\n- [ ] Two\n  ```bash\n  echo \"two was here\"; false\n  ```\n",
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.answer(RUN, "r");
    pty.answer(FAILED, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    assert!(!screen.contains("Last time"), "{screen}");

    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.expect("Last time (");
    pty.expect("): exit 1 after ");
    pty.expect("; the last line it printed: two was here\n");
    pty.expect_prompt(RUN);
    // Back to the block that passed: it says so too.
    pty.reply(RUN, "b");
    pty.expect("Last time (");
    pty.expect("): done after ");
    pty.expect("; the last line it printed: one-done\n");
    pty.answer(RUN, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
}
