//! Blocks that do not end by themselves (`tail -f`, `kubectl get pods -w`,
//! `watch …`): at a terminal the operator is told to stop them with Ctrl-C,
//! and that stop is their end, not a failure; unattended, with nobody to
//! stop them, they run only for as long as a timeout says, else not at all.

use std::time::Duration;

use crate::common::{OUT, RUN, RUNBOOK, Test, run, sandbox};

const RUNBOOK_TEXT: &str = "\
- [ ] Follow the log
  ```bash
  tail -f app.log
  ```

- [ ] Then this
  ```bash
  echo after-the-follow
  ```
";

/// The `out` marker line of the block that follows the log.
fn follow_marker(transcript: &str) -> String {
    transcript
        .lines()
        .find(|l| l.contains("<!--rs:out ") && l.contains("id=s2 "))
        .unwrap_or_else(|| panic!("no record of the block:\n{transcript}"))
        .to_string()
}

#[test]
fn unattended_a_block_that_does_not_end_is_not_run_and_the_run_goes_on() {
    let out = Test::new()
        .runbook(RUNBOOK_TEXT)
        .file("app.log", "started\n")
        .args(["run", "--yes", RUNBOOK, "-o", OUT])
        .status(3)
        .run();
    assert!(
        out.stderr.contains(
            "runbook.md:2: not run: `tail -f app.log` does not end by itself, and nobody is here to stop it; \
             give the block a timeout"
        ),
        "{}",
        out.stderr
    );
    // Not run: nothing of the log printed; the next block ran.
    assert!(!out.stdout.contains("started"), "{}", out.stdout);
    assert!(out.stdout.contains("after-the-follow"), "{}", out.stdout);
    let transcript = out.transcript();
    let marker = follow_marker(&transcript);
    assert!(
        marker.contains("status=not-confirmed") && marker.contains("how=endless"),
        "{marker}"
    );
    assert!(
        marker.ends_with(
            "⚠️ not run (unattended): it does not end by itself, and nobody was there to stop it"
        ),
        "{marker}"
    );
    let report = out.then().args(["report", OUT]).run();
    let doc: serde_json::Value = serde_json::from_str(&report.stdout).expect("JSON");
    let step = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "s2")
        .expect("the block's record")
        .clone();
    assert_eq!(step["status"], "not-confirmed", "{step}");
}

#[test]
fn unattended_with_a_timeout_it_is_followed_for_that_long_and_is_done() {
    let out = Test::new()
        .runbook(RUNBOOK_TEXT.replace("```bash\n  tail", "```bash {timeout=1s}\n  tail"))
        .file("app.log", "started\n")
        .run_yes()
        .run();
    assert!(out.stdout.contains("started"), "{}", out.stdout);
    assert!(out.stdout.contains("after-the-follow"), "{}", out.stdout);
    let marker = follow_marker(&out.transcript());
    assert!(
        marker.contains("status=done") && marker.contains("how=endless"),
        "{marker}"
    );
    assert!(marker.contains("✅ stopped after 1."), "{marker}");
    assert!(marker.contains("(it does not end by itself)"), "{marker}");
}

#[test]
fn unattended_a_block_that_ends_is_still_timed_out_as_a_failure() {
    // The same timeout on a block that ends by itself, only slowly: a failure.
    Test::new()
        .runbook("```bash {timeout=1s}\nsleep 5 && tail -n 1 app.log\n```\n")
        .file("app.log", "started\n")
        .run_yes()
        .status(1)
        .stderr_contains("timed out")
        .run();
}

#[test]
fn at_a_terminal_ctrl_c_ends_it_as_done_and_the_run_goes_on() {
    let sandbox = sandbox(RUNBOOK_TEXT);
    sandbox.write("app.log", "started\n");
    let mut pty = run(&sandbox);
    pty.expect(
        "This block does not end by itself (`tail -f app.log`): press Ctrl-C when you have seen \
         enough, and it is recorded as done.",
    );
    pty.answer(RUN, "r");
    pty.expect("started");
    std::thread::sleep(Duration::from_millis(300));
    pty.send("\x03");
    // No failure prompt: the next block is asked about.
    pty.expect("✓ Follow the log");
    pty.answer(RUN, "r");
    pty.expect("after-the-follow");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("interrupted"), "{screen}");
    let marker = follow_marker(&sandbox.transcript());
    assert!(
        marker.contains("status=done")
            && marker.contains("exit=130")
            && marker.contains("how=endless"),
        "{marker}"
    );
}
