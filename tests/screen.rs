//! What the operator sees while a run goes: a result line after each step,
//! the status line while a block runs, colours, and the closing summary.

use std::time::Duration;

use crate::common::{OUT, RUN, RUNBOOK, Test, sandbox};

const TWO_STEPS: &str = r#"# Deploy

## Migrate

- [ ] Migrate the database
  ```bash
  echo migrated
  ```
- [ ] Check the schema
  ```bash
  echo checking; false
  ```
- [ ] Look at the dashboard
"#;

#[test]
fn an_unattended_run_says_how_each_step_ended_and_names_the_failure_at_its_line() {
    let out = Test::new()
        .runbook(TWO_STEPS)
        .run_yes()
        .arg("--keep-going")
        .status(1)
        .stderr_contains("✓ Migrate the database · ")
        .stderr_contains("✗ Check the schema · exit 1 · ")
        .run();
    let tail = out
        .stderr
        .split("1 step failed:")
        .nth(1)
        .unwrap_or_else(|| panic!("no closing list of failed steps:\n{}", out.stderr));
    assert!(
        tail.starts_with(&format!("\n  {RUNBOOK}:10  Check the schema · exit 1\n")),
        "{}",
        out.stderr
    );
    assert!(
        tail.contains(&format!("1 step not confirmed or not answered (nobody at a terminal to do them):\n  {RUNBOOK}:13  Look at the dashboard\n")),
        "{}",
        out.stderr
    );
    // The list comes before the counts.
    let counts = tail.find(" done · ").expect("the counts");
    assert!(tail.find("Look at the dashboard").unwrap() < counts);
    assert!(
        !out.stderr.contains('\x1b'),
        "colour under NO_COLOR:\n{}",
        out.stderr
    );
}

#[test]
fn colour_is_asked_for_or_forced_and_never_under_no_color() {
    let red_cross = "\x1b[31m✗\x1b[0m Check the schema";
    Test::new()
        .runbook(TWO_STEPS)
        .run_yes()
        .args(["--color", "always"])
        .status(1)
        .stderr_contains(red_cross)
        .stderr_contains("\x1b[32m✓\x1b[0m Migrate the database")
        .run();
    Test::new()
        .runbook(TWO_STEPS)
        .run_yes()
        .env("NO_COLOR", "")
        .env("CLICOLOR_FORCE", "1")
        .status(1)
        .stderr_contains(red_cross)
        .run();
    Test::new()
        .runbook(TWO_STEPS)
        .run_yes()
        .env("CLICOLOR_FORCE", "1")
        .status(1)
        .stderr_lacks("\x1b[")
        .run();
    Test::new()
        .runbook(TWO_STEPS)
        .run_yes()
        .env("NO_COLOR", "")
        .args(["--color", "never"])
        .status(1)
        .stderr_lacks("\x1b[")
        .run();
}

#[test]
fn a_large_unattended_run_sums_up_the_steps_nobody_confirmed_once() {
    let mut runbook = String::from("# Checks\n\n```bash\necho start\n```\n\n");
    for n in 1..=12 {
        runbook.push_str(&format!("- [ ] Look at dashboard {n}\n"));
    }
    let out = Test::new().runbook(&runbook).run_yes().status(3).run();
    assert_eq!(
        out.stderr.matches("Look at dashboard").count(),
        5,
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("12 steps not confirmed or not answered")
            && out.stderr.contains("  … and 7 more\n"),
        "{}",
        out.stderr
    );
    // `-v` names each as it comes.
    let out = out
        .then()
        .args(["run", "--yes", RUNBOOK, "-o", "v.md", "-v"])
        .status(3)
        .run();
    assert!(
        out.stderr
            .contains("Look at dashboard 12 — not confirmed (unattended)"),
        "{}",
        out.stderr
    );
}

#[test]
fn quiet_leaves_failures_and_the_summary() {
    let out = Test::new()
        .runbook(TWO_STEPS)
        .run_yes()
        .arg("-q")
        .status(1)
        .stderr_lacks("✓ Migrate")
        .stderr_lacks("[1/")
        .stderr_contains("✗ Check the schema · exit 1")
        .run();
    assert!(out.stderr.contains("1 step failed:"), "{}", out.stderr);
}

#[test]
fn bash_messages_on_screen_point_at_the_runbook() {
    let out = Test::new()
        .runbook("# Fix\n\n```bash\necho ok\nno-such-command-here\n```\n")
        .run_yes()
        .status(1)
        .run();
    assert!(
        out.stdout.contains(&format!(
            "{RUNBOOK}:5: no-such-command-here: command not found"
        )),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("block-"), "{}", out.stdout);
}

#[test]
fn a_resumed_run_says_it_goes_on_in_the_directory_its_shell_was_in() {
    let runbook =
        "# Go\n\n```bash\nmkdir -p deeper && cd deeper\n```\n\n```bash\ntest -e ../ready\n```\n";
    let out = Test::new().runbook(runbook).run_yes().status(1).run();
    out.write("ready", "");
    let work = out.work();
    let out = out.then().args(["resume", "--yes", OUT]).run();
    let said = format!(
        "Commands run in {} (where the run's shell was, restored)",
        work.join("deeper").display()
    );
    assert!(out.stderr.contains(&said), "{}", out.stderr);
}

#[test]
fn the_status_line_shows_while_a_quiet_block_runs_and_leaves_no_trace() {
    let sandbox = sandbox(
        r#"
        # Deploy

        - [ ] Migrate
          ```bash
          echo before
          sleep 3
          echo after
          ```
        "#,
    );
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[]);
    pty.echo_like_a_terminal();
    pty.answer(RUN, "r");
    pty.expect("before");
    // Shown once the block has been quiet a second, with its elapsed time.
    pty.expect_within("0:02", Duration::from_secs(10));
    let rows = pty.rows();
    let status = rows
        .iter()
        .find(|r| r.contains("0:02"))
        .unwrap_or_else(|| panic!("no status line on the screen:\n{}", rows.join("\n")));
    assert!(
        status.starts_with("[1/1] Deploy › Migrate  ")
            && status.contains(['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']),
        "{status}"
    );
    let before = rows
        .iter()
        .position(|r| r == "before")
        .expect("the block's line");
    assert_eq!(
        rows.iter().position(|r| r == status).unwrap(),
        before + 1,
        "{}",
        rows.join("\n")
    );
    pty.expect("✓ Migrate · ");
    let (code, _) = pty.wait_here();
    assert_eq!(code, 0);
    // Afterwards: the block's lines intact, the result below them, no status left.
    let rows = pty.rows();
    let before = rows.iter().position(|r| r == "before").expect("before");
    assert_eq!(rows[before + 1], "after", "{}", rows.join("\n"));
    assert!(
        rows[before + 2].starts_with("✓ Migrate · 3."),
        "{}",
        rows.join("\n")
    );
    assert!(
        !rows.iter().any(|r| r.contains("0:0")),
        "the status line was left on the screen:\n{}",
        rows.join("\n")
    );
}

#[test]
fn the_status_line_never_cuts_into_a_line_the_block_is_writing() {
    let sandbox = sandbox(
        r#"
        # Deploy

        ```bash
        printf 'waiting for the lock...'
        sleep 2.5
        echo ' got it'
        ```
        "#,
    );
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[]);
    pty.echo_like_a_terminal();
    pty.answer(RUN, "r");
    pty.expect("✓ ");
    let (code, _) = pty.wait_here();
    assert_eq!(code, 0);
    let rows = pty.rows();
    assert!(
        rows.iter().any(|r| r == "waiting for the lock... got it"),
        "{}",
        rows.join("\n")
    );
    let raw = String::from_utf8_lossy(pty.raw()).into_owned();
    assert!(
        !raw.contains("0:01"),
        "a status line was drawn mid-line: {raw:?}"
    );
}

#[test]
fn without_a_terminal_a_long_block_says_it_is_still_running() {
    Test::new()
        .runbook("# Wait\n\n- [ ] Migrate\n  ```bash\n  sleep 2.5\n  ```\n")
        .run_yes()
        .env("RUNSHEET_STILL_RUNNING", "1")
        .stderr_contains("still running: [1/1] Wait › Migrate · 0:01")
        .stderr_contains("still running: [1/1] Wait › Migrate · 0:02")
        .run();
}

#[test]
fn ctrl_c_at_a_prompt_leaves_the_prompt_line_alone() {
    let sandbox = sandbox("# Deploy\n\n```bash\necho hi\n```\n");
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[]);
    pty.expect_prompt(RUN);
    pty.send("\x03");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    let prompt = screen
        .lines()
        .find(|l| l.contains(RUN))
        .expect("the prompt");
    assert_eq!(prompt.trim_end(), format!("{RUN}:"), "{screen}");
}
