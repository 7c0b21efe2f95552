//! A blank or choice asked again — gone back to with `[b]ack` or `[g]o to` —
//! shows the value (or pick) it was given before (masked where it holds a secret), and Enter on
//! nothing typed keeps it; the transcript records the value that ends up
//! chosen, the earlier answer kept as an earlier attempt.

use crate::common::{OUT, RUN, Test, line_with, run, sandbox};

const BLANK: &str =
    "Value (`now` for the current UTC time, empty to skip) · [q]uit / [b]ack / [g]o to";
/// The blank's prompt when it has a value from before.
const AGAIN: &str = "Value (`now` for the current UTC time, empty keeps the value before) · \
                     [q]uit / [b]ack / [g]o to";

const TAG: &str = r#"
    # Release

    Version tagged: ____

    ```bash
    echo tag >> ran
    ```
    "#;

/// The answers the report holds for the blank, oldest first.
fn answers(out: crate::common::Sandbox) -> Vec<String> {
    answers_of(out, "blank")
}

/// The answers the report holds for the first step of `kind`, oldest first.
fn answers_of(out: crate::common::Sandbox, kind: &str) -> Vec<String> {
    let report = Test::in_sandbox(out).args(["report", OUT]).run();
    let json: serde_json::Value = serde_json::from_str(&report.stdout).expect("the report");
    let steps = json["steps"].as_array().expect("steps");
    let blank = steps.iter().find(|s| s["kind"] == kind).expect("the step");
    blank["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["answer"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn back_to_a_blank_shows_the_value_before_and_enter_keeps_it() {
    let sandbox = sandbox(TAG);
    let mut pty = run(&sandbox);
    pty.answer(BLANK, "1.2.3");
    pty.answer(RUN, "b");
    pty.expect("  Before: 1.2.3\n");
    pty.answer(AGAIN, "");
    pty.expect("  Kept: 1.2.3\n");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    let blank = line_with(&transcript, "Version tagged:");
    assert!(
        blank.starts_with("Version tagged: `1.2.3`<!--rs:fill")
            && blank.contains("1 earlier attempt: ✅ 1.2.3"),
        "{transcript}"
    );
    assert_eq!(answers(sandbox), ["1.2.3", "1.2.3"]);
}

#[test]
fn go_to_a_blank_shows_the_value_before_and_a_new_one_replaces_it() {
    let sandbox = sandbox(TAG);
    let mut pty = run(&sandbox);
    pty.answer(BLANK, "1.2.3");
    pty.answer(RUN, "g");
    pty.answer("Go to which step? (1-2, empty to stay)", "1");
    pty.expect("  Before: 1.2.3\n");
    pty.answer(AGAIN, "1.2.4");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("Kept:"), "{screen}");
    let transcript = sandbox.transcript();
    let blank = line_with(&transcript, "Version tagged:");
    assert!(
        blank.starts_with("Version tagged: `1.2.4`<!--rs:fill")
            && blank.contains("1 earlier attempt: ✅ 1.2.3"),
        "{transcript}"
    );
    assert_eq!(answers(sandbox), ["1.2.3", "1.2.4"]);
}

#[test]
fn a_secret_typed_into_a_blank_is_masked_on_screen_and_in_the_transcript() {
    let token = format!("ghp_{}", "a1B2c3D4e5".repeat(4).get(..36).unwrap_or(""));
    let sandbox = sandbox(
        r#"
        # Access

        Token issued: ____

        ```bash
        echo issued >> ran
        ```
        "#,
    );
    let mut pty = run(&sandbox);
    pty.answer(BLANK, &token);
    pty.answer(RUN, "b");
    pty.expect("  Before: ");
    pty.answer(AGAIN, "");
    pty.expect("  Kept: ");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    // Echoed as it was typed; offered again, it is not shown.
    let again = screen.split_once("  Before: ").map_or("", |(_, a)| a);
    assert!(again.starts_with("•••\n"), "{screen}");
    assert!(again.contains("  Kept: •••\n"), "{screen}");
    assert!(!again.contains(&token[..12]), "{screen}");
    // What is kept is its mask: the token is in no file of the run.
    let transcript = sandbox.transcript();
    assert!(!transcript.contains(&token[..12]), "{transcript}");
    // Nor the run's journal and state, under the state directory.
    let mut dirs = vec![sandbox.state_root()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap_or_default();
                let text = String::from_utf8_lossy(&bytes);
                assert!(
                    !text.contains(&token[..12]),
                    "{} holds the token",
                    path.display()
                );
            }
        }
    }
    assert_eq!(answers(sandbox), ["•••", "•••"]);
}

#[test]
fn back_to_a_choice_shows_the_pick_before_and_enter_keeps_it() {
    let sandbox = sandbox(
        r#"
        # Release

        CAB decision: ☐ GO ☐ NO-GO

        ```bash
        echo shipped >> ran
        ```
        "#,
    );
    let pick = "Pick 1-2 (or type the option; empty to skip) · [q]uit / [b]ack / [g]o to";
    let again =
        "Pick 1-2 (or type the option; empty keeps the pick before) · [q]uit / [b]ack / [g]o to";
    let mut pty = run(&sandbox);
    pty.answer(pick, "1");
    pty.answer(RUN, "b");
    pty.expect("  Before: GO\n");
    pty.answer(again, "");
    pty.expect("  Kept: GO\n");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("ran"), "shipped\n");
    let choice = line_with(&sandbox.transcript(), "CAB decision");
    assert!(choice.contains("☒ GO"), "{choice}");
    assert_eq!(answers_of(sandbox, "choice"), ["GO", "GO"]);
}
