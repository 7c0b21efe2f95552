//! Steps counted as a person counts them: an item with the blocks and fields
//! inside it is one step, an item that heads others is none, a block or field
//! on its own is one. `[n/N]`, the closing counts, the transcript's summary,
//! `plan` and the reports all count the same way.

use std::fs;

use crate::common::{OUT, RUN, RUNBOOK, TASK, Test, sandbox};

/// The demo, as the repository holds it.
fn demo() -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks/demo.md"))
        .expect("runbooks/demo.md")
}

/// Every `[n/N]` on `screen`, in order.
fn places(screen: &str) -> Vec<(usize, usize)> {
    screen
        .lines()
        .filter_map(|l| {
            let rest = l.trim_start().strip_prefix('[')?;
            let (place, _) = rest.split_once(']')?;
            let (n, total) = place.split_once('/')?;
            Some((n.parse().ok()?, total.parse().ok()?))
        })
        .collect()
}

/// The demo's steps: its eleven items, each with at most one block. The
/// rollback section (one item) is off the main path.
const DEMO_STEPS: usize = 11;
const DEMO_MAIN_PATH: usize = DEMO_STEPS - 1;

#[test]
fn the_demo_counts_each_item_with_its_block_as_one_step() {
    let out = Test::new()
        .runbook(demo())
        .run_yes()
        .status(3)
        .stderr_contains("8 done · 0 skipped · 0 failed · 2 not confirmed or not answered")
        .run();
    let places = places(&out.stderr);
    // One line a step, numbered 1, 2, 3, then 6 (4 and 5 are the two
    // ways to announce, asked of nobody), up to 10 of 10.
    let numbers: Vec<usize> = places.iter().map(|p| p.0).collect();
    assert_eq!(numbers, [1, 2, 3, 6, 7, 8, 9, 10], "{}", out.stderr);
    assert!(
        places.iter().all(|p| p.1 == DEMO_MAIN_PATH),
        "{}",
        out.stderr
    );
    let plan = Test::new().runbook(demo()).args(["plan", RUNBOOK]).run();
    assert!(
        plan.stdout.starts_with(&format!(
            "{RUNBOOK}: {DEMO_STEPS} steps (11 tasks; inside them 9 commands)\n"
        )),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("5. Roll back (1 step)"),
        "{}",
        plan.stdout
    );
    let json = Test::new()
        .runbook(demo())
        .args(["plan", RUNBOOK, "--format", "json"])
        .run();
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("plan JSON");
    assert_eq!(json["step_count"], DEMO_STEPS);
}

const FAILING: &str = r#"# Deploy

- [ ] Migrate the database
  ```bash
  echo migrating; false
  ```
- [ ] Check the schema
  ```bash
  echo checking; false
  ```
- [ ] Tell the team
"#;

#[test]
fn a_failing_item_with_its_block_counts_as_one_failure_everywhere() {
    let out = Test::new()
        .runbook(FAILING)
        .run_yes()
        .arg("--keep-going")
        .status(1)
        .stderr_contains("0 done · 0 skipped · 2 failed · 1 not confirmed or not answered")
        .stderr_contains("✗ 2 steps failed:")
        .run();
    // Two steps ran (the manual one says nothing unattended), of three.
    assert_eq!(places(&out.stderr), [(1, 3), (2, 3)], "{}", out.stderr);
    let transcript = out.read(OUT);
    assert!(
        transcript.contains("0 done · 0 skipped · 2 failed · 1 not confirmed or not answered"),
        "{transcript}"
    );
    let report = out.then().args(["report", OUT]).run();
    let json: serde_json::Value = serde_json::from_str(&report.stdout).expect("report JSON");
    assert_eq!(json["counts"]["failed"], 2, "{}", report.stdout);
    // The per-block detail stays: each block is there, counted as its item.
    assert_eq!(json["steps"][1]["kind"], "command");
    assert_eq!(json["steps"][1]["counts_as"], "s1");
    assert_eq!(json["steps"][1]["status"], "failed");
    let junit = report
        .then()
        .args(["report", "--format", "junit", OUT])
        .run();
    assert!(
        junit.stdout.contains(r#"tests="3" failures="2""#),
        "{}",
        junit.stdout
    );
}

#[test]
fn at_a_terminal_an_item_and_its_block_show_one_number() {
    let sandbox = sandbox(
        r#"
        # Deploy

        - [ ] Migrate the database
          ```bash
          echo migrated
          ```
        - [ ] Parent
          - [ ] Child
        "#,
    );
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[]);
    pty.answer(RUN, "r");
    pty.answer(TASK, "d");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    // The item and its block: 1 of 2; the child: 2 of 2. The item that
    // heads the child has no number.
    let shown = places(&screen);
    assert!(
        shown.contains(&(1, 2)) && shown.contains(&(2, 2)),
        "{screen}"
    );
    assert!(shown.iter().all(|p| p.1 == 2), "{screen}");
    assert!(screen.contains("Deploy · Parent"), "{screen}");
    assert!(screen.contains("2 done · 0 skipped · 0 failed"), "{screen}");
}
