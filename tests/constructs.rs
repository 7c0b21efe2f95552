//! The constructs real checklists use, end to end: blanks, choices, loose
//! checkboxes, placeholders in commands, expected output, other languages,
//! fence attributes, answers files and mojibake.

use regex::Regex;

use crate::common::{
    OUT, RUN, RUNBOOK, Sandbox, TASK, Test, line_with, require_tool, run, sandbox, unindent,
};

const VALUE: &str =
    "Value (`now` for the current UTC time, empty to skip) · [q]uit / [b]ack / [g]o to";
const PICK2: &str = "Pick 1-2 (or type the option; empty to skip) · [q]uit / [b]ack / [g]o to";
const VERIFY: &str = "Does the output match? [y]es / [n]o";

/// The result marker line of the block with id `id`.
fn out_line(transcript: &str, id: &str) -> String {
    line_with(transcript, &format!("<!--rs:out id={id} "))
}

/// `|` characters not escaped with a backslash: what splits a table row.
fn unescaped_pipes(line: &str) -> usize {
    let bytes = line.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
        .count()
}

/// A UTC timestamp as runsheet writes it (RFC 3339, seconds, `Z`).
fn timestamp() -> Regex {
    Regex::new(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ").expect("a valid regex")
}

/// Asserts that `strip` of the transcript gives back `source` byte for byte.
fn strips_back(sandbox: Sandbox, source: &[u8]) -> Sandbox {
    let out = Test::in_sandbox(sandbox).args(["strip", OUT]).run();
    assert!(
        out.stdout_bytes == source,
        "strip did not give back the source:\n--- source:\n{}\n--- strip:\n{}",
        String::from_utf8_lossy(source),
        out.stdout
    );
    out.sandbox
}

// --- Blanks -------------------------------------------------------------

const BLANKS: &str = r#"
    # Window

    Operator: ____ (name)

    Started at [START TIME] by the on-call.

    | Check | Value |
    |---|---|
    | Version | ____ |

    Ticket: `____`
    "#;

#[test]
fn blanks_are_filled_in_place_as_typed_and_strip_back() {
    let source = unindent(BLANKS);
    let sandbox = sandbox(BLANKS);
    let mut pty = run(&sandbox);
    pty.expect("Operator: ____ (name)");
    pty.answer(VALUE, "Alice Ops");
    pty.expect("Started at [START TIME]");
    pty.answer(VALUE, "now");
    pty.expect("Version · Value: ____");
    pty.answer(VALUE, "v2.3.4");
    pty.expect("Ticket: `____`");
    pty.answer(VALUE, "CHG-1234");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");

    let transcript = sandbox.transcript();
    let operator = line_with(&transcript, "Operator:");
    assert!(
        operator.starts_with("Operator: `Alice Ops`<!--rs:fill ") && operator.ends_with(" (name)"),
        "{operator}"
    );
    let started = line_with(&transcript, "Started at");
    let stamp = Regex::new(r"^Started at `20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ`<!--rs:fill ")
        .expect("a valid regex");
    assert!(stamp.is_match(&started), "no UTC time in place: {started}");
    assert!(started.ends_with(" by the on-call."), "{started}");
    let row = line_with(&transcript, "| Version |");
    assert!(row.starts_with("| Version | `v2.3.4`<!--rs:fill "), "{row}");
    assert_eq!(
        unescaped_pipes(&row),
        unescaped_pipes("| Version | ____ |"),
        "the row no longer has its cells: {row}"
    );
    let ticket = line_with(&transcript, "Ticket:");
    assert!(
        ticket.starts_with("Ticket: `CHG-1234`<!--rs:fill "),
        "{ticket}"
    );
    assert!(!transcript.contains("not answered"), "{transcript}");

    strips_back(sandbox, source.as_bytes());
}

#[test]
fn a_pipe_typed_into_a_table_blank_keeps_the_row_whole() {
    let source = unindent(BLANKS);
    let sandbox = sandbox(BLANKS);
    let mut pty = run(&sandbox);
    pty.answer(VALUE, "");
    pty.answer(VALUE, "");
    pty.expect("Version · Value: ____");
    pty.answer(VALUE, "a | b");
    pty.answer(VALUE, "");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    let row = line_with(&transcript, "| Version |");
    assert!(row.starts_with("| Version | `a \\| b`"), "{row}");
    assert_eq!(
        unescaped_pipes(&row),
        unescaped_pipes("| Version | ____ |"),
        "a `|` in the value split the cell: {row}"
    );
    strips_back(sandbox, source.as_bytes());
}

#[test]
fn blanks_stay_as_written_in_an_unattended_run() {
    let source = unindent(BLANKS);
    let out = Test::new()
        .runbook(&source)
        .run_yes()
        .arg("-v")
        .status(3)
        .stderr_contains("not answered (unattended)")
        .run();
    assert_eq!(
        out.stderr.matches("not answered (unattended)").count(),
        4,
        "{}",
        out.stderr
    );
    let transcript = out.transcript();
    for (line, blank) in [
        ("Operator:", "Operator: ____<!--rs:fill "),
        ("Started at", "Started at [START TIME]<!--rs:fill "),
        ("| Version |", "| Version | ____<!--rs:fill "),
        ("Ticket:", "Ticket: `____`<!--rs:fill "),
    ] {
        let line = line_with(&transcript, line);
        assert!(line.starts_with(blank), "{line}");
        assert!(line.contains("⚠️ not answered"), "{line}");
        assert!(!timestamp().is_match(&line[..blank.len()]), "{line}");
    }
    assert_eq!(transcript.matches("status=done").count(), 0, "{transcript}");
    strips_back(out.sandbox, source.as_bytes());
}

// --- Choices ------------------------------------------------------------

const CHOICES: &str = r#"
    # Go or no-go

    Backups verified: `Yes / No`

    Decision: `GO / NO-GO`

    Change board: ☐ GO  ☐ NO-GO

    Smoke test: ☐ ✅ Yes  ☐ ❌ No

    | Check | Done |
    |---|---|
    | Pager tested | ☐ |
    "#;

/// The prompt after an answer on the failing side of a choice.
const ANSWER_FAILED: &str = "[c]ontinue / [b]ack / [a]bort / [g]o to";

#[test]
fn choices_are_picked_by_number_or_by_name_and_marked_in_place() {
    let source = unindent(CHOICES);
    let sandbox = sandbox(CHOICES);
    let mut pty = run(&sandbox);
    pty.expect("1) Yes");
    pty.expect("2) No");
    pty.answer(PICK2, "1");
    pty.expect("2) NO-GO");
    pty.answer(PICK2, "no-go");
    // NO-GO is the failing side: said, and asked what next.
    pty.expect("Decision: NO-GO: the step is recorded as failed.");
    pty.answer(ANSWER_FAILED, "c");
    pty.expect("Change board");
    pty.answer(PICK2, "GO");
    pty.expect("2) ❌ No");
    pty.answer(PICK2, "2");
    pty.answer(ANSWER_FAILED, "c");
    // A lone box that is all its table row holds is a box to tick.
    pty.expect("Pager tested · Done");
    pty.answer(TASK, "d");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "two answers failed their steps: {screen}");

    let transcript = sandbox.transcript();
    let wants = [
        (
            "Backups verified:",
            "Backups verified: `☒ Yes / ☐ No`<!--rs:fill ",
        ),
        ("Decision:", "Decision: `☐ GO / ☒ NO-GO`<!--rs:fill "),
        ("Change board:", "Change board: ☒ GO  ☐ NO-GO<!--rs:fill "),
        ("Smoke test:", "Smoke test: ☐ ✅ Yes  ☒ ❌ No<!--rs:fill "),
        ("| Pager tested |", "| Pager tested | ☒ <!--rs:task "),
    ];
    for (line, want) in wants {
        let line = line_with(&transcript, line);
        assert!(line.starts_with(want), "want {want:?}, got:\n{line}");
    }
    assert_eq!(transcript.matches("status=done").count(), 3, "{transcript}");
    assert_eq!(
        transcript.matches("status=failed").count(),
        2,
        "{transcript}"
    );
    assert_eq!(
        transcript.matches("how=negative,ignored").count(),
        2,
        "{transcript}"
    );
    strips_back(sandbox, source.as_bytes());
}

#[test]
fn an_unattended_run_never_picks_a_choice() {
    let source = unindent(CHOICES);
    let out = Test::new()
        .runbook(&source)
        .run_yes()
        .arg("-v")
        .status(3)
        .run();
    assert_eq!(
        out.stderr.matches("not answered (unattended)").count(),
        4,
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.matches("not confirmed (unattended)").count(),
        1,
        "the row's lone box is a task: {}",
        out.stderr
    );
    let transcript = out.transcript();
    assert!(
        !transcript.contains('☒'),
        "something was picked:\n{transcript}"
    );
    assert!(!transcript.contains("value="), "{transcript}");
    assert!(!transcript.contains("status=done"), "{transcript}");
    assert_eq!(
        transcript.matches("⚠️ not answered").count(),
        4,
        "{transcript}"
    );
    assert!(
        line_with(&transcript, "Decision:").starts_with("Decision: `GO / NO-GO`<!--rs:fill "),
        "{transcript}"
    );
    strips_back(out.sandbox, source.as_bytes());
}

// --- Checkboxes outside task lists ----------------------------------------

#[test]
fn heading_and_plain_fence_checkboxes_are_asked_and_ticked_in_place() {
    let doc = r#"
        ### [ ] Announce the freeze

        ### [ ] Freeze deploys

        ```
        [ ] Page the on-call
        - [ ] Post in the ops channel
        - [ ] Update the status page
        ```
        "#;
    let source = unindent(doc);
    let sandbox = sandbox(doc);
    let mut pty = run(&sandbox);
    // A heading task with nothing under it is asked; one that owns steps is
    // done when they are.
    pty.expect("Announce the freeze");
    pty.answer(TASK, "d");
    pty.expect("Page the on-call");
    pty.answer(TASK, "d");
    pty.expect("Post in the ops channel");
    pty.answer(TASK, "d");
    pty.expect("Update the status page");
    pty.answer(TASK, "n");
    pty.answer("Note", "status page is down, too");
    pty.answer(TASK, "s");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");

    let transcript = sandbox.transcript();
    let heading = line_with(&transcript, "Announce the freeze");
    assert!(heading.starts_with("### [x] "), "{heading}");
    assert!(heading.contains("status=done"), "{heading}");
    let owner = line_with(&transcript, "Freeze deploys");
    assert!(
        owner.starts_with("### [ ] "),
        "one of its steps was skipped: {owner}"
    );
    assert!(owner.contains("status=skipped"), "{owner}");
    assert!(
        transcript.contains(
            "```\n[x] Page the on-call\n- [x] Post in the ops channel\n- [ ] Update the status page\n```\n<!--rs:boxes "
        ),
        "the boxes are not ticked in place, with the record after the fence:\n{transcript}"
    );
    let record = line_with(&transcript, "<!--rs:boxes ");
    assert!(
        record.contains("note-s5=status%20page%20is%20down,%20too")
            && record.contains("· Update the status page: status page is down, too"),
        "the note on the skipped box is not recorded: {record}"
    );
    assert!(
        transcript.contains("☑ 2 of 3 items in the block above checked"),
        "{transcript}"
    );
    assert!(record.contains("status=done,done,skipped"), "{record}");
    strips_back(sandbox, source.as_bytes());
}

// --- Placeholders in commands ---------------------------------------------

const SECRET: &str = "s3cr3t-value-xyz";

const TOKEN_AND_TAG: &str = r#"
    ```bash
    echo "token=<api-token>" && echo "tag=<release-tag>"
    ```
    "#;

#[test]
fn placeholders_are_asked_and_the_secret_stays_off_screen_and_out_of_the_transcript() {
    let sandbox = sandbox(TOKEN_AND_TAG);
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    let hidden = "Value for <api-token> (hidden)";
    pty.expect_prompt(hidden);
    pty.send(&format!("{SECRET}\r"));
    pty.expect(&format!("{hidden}: [hidden]\n"));
    pty.answer("Value for <release-tag>", "v1.2.3");
    pty.expect("With its placeholders filled in, it runs as:");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(
        !screen.contains(SECRET),
        "the secret is on the terminal:\n{screen}"
    );
    assert!(screen.contains("token=•••"), "{screen}");
    let transcript = sandbox.transcript();
    assert!(
        !transcript.contains(SECRET),
        "the secret is in the transcript:\n{transcript}"
    );
    assert!(
        transcript.contains("```bash {rs=ran}\necho \"token=•••\" && echo \"tag=v1.2.3\"\n```\n"),
        "what ran is not shown, redacted:\n{transcript}"
    );
    assert_eq!(
        sandbox.outputs(),
        vec!["token=•••\ntag=v1.2.3\n".to_string()],
        "{transcript}"
    );
    assert_eq!(
        sandbox.read(RUNBOOK),
        unindent(TOKEN_AND_TAG),
        "the runbook was changed"
    );
    strips_back(sandbox, unindent(TOKEN_AND_TAG).as_bytes());
}

#[test]
fn a_secret_from_an_answers_file_is_masked_in_live_output() {
    let out = Test::new()
        .runbook(unindent(TOKEN_AND_TAG))
        .run_answered(format!("api-token: {SECRET}\nrelease-tag: v7\n"))
        .stderr_lacks(SECRET)
        .stdout_contains("token=•••")
        .run();
    assert!(!out.stdout.contains(SECRET), "{}", out.stdout);
    assert!(!out.transcript().contains(SECRET), "{}", out.transcript());
    assert_eq!(out.outputs(), vec!["token=•••\ntag=v7\n".to_string()]);
}

#[test]
fn redirections_and_heredocs_are_not_placeholders() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            ```bash
            printf 'b\na\n' > input.txt
            sort < input.txt > sorted.txt 2>&1
            cat <<EOF > page.html
            <release-tag> <b>bold</b>
            EOF
            cat sorted.txt page.html
            ```
            "#,
        ))
        .run_yes()
        .stderr_lacks("no value for")
        .run();
    assert_eq!(
        out.outputs(),
        vec!["a\nb\n<release-tag> <b>bold</b>\n".to_string()],
        "{}",
        out.transcript()
    );
    let plan = out.then().args(["plan", "--format", "json", RUNBOOK]).run();
    assert!(!plan.stdout.contains("placeholder"), "{}", plan.stdout);
}

#[test]
fn an_unattended_run_without_a_value_fails_the_step_naming_the_placeholder() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            ```bash
            echo "tag=<release-tag>"
            ```

            ```bash
            touch after
            ```
            "#,
        ))
        .run_yes()
        .status(1)
        .stderr_contains("no value for <release-tag>")
        .run();
    let transcript = out.transcript();
    let line = out_line(&transcript, "s1");
    assert!(line.contains("status=failed"), "{line}");
    assert!(line.contains("a placeholder has no value"), "{line}");
    assert!(!out.exists("after"), "the run went on");
}

// --- Example values a comment says to replace ------------------------------

/// An example value the comment says to replace, the same text elsewhere in
/// the block (left as written), and a comment that only explains.
const EXAMPLE_VALUE: &str = r#"
    # Fail over DNS

    ```bash
    export HOSTED_ZONE_ID="Z1234567890ABC"  # Replace with actual hosted zone ID
    RETRIES=3  # seconds between retries
    # Replace with your monitoring tool query
    echo "zone=$HOSTED_ZONE_ID retries=$RETRIES" "doc=Z1234567890ABC"
    ```
    "#;

#[test]
fn plan_lists_an_example_value_to_replace_as_a_placeholder_named_by_its_variable() {
    let out = Test::new()
        .runbook(unindent(EXAMPLE_VALUE))
        .args(["plan", "--format", "json", RUNBOOK])
        .run();
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan prints JSON");
    let children = plan["steps"][0]["children"]
        .as_array()
        .expect("the command has children");
    let found: Vec<(&str, &str, u64)> = children
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or_default(),
                c["name"].as_str().unwrap_or_default(),
                c["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("placeholder", "HOSTED_ZONE_ID", 4)],
        "{}",
        out.stdout
    );
}

#[test]
fn an_example_value_to_replace_is_not_run_unattended_without_a_value() {
    let out = Test::new()
        .runbook(unindent(EXAMPLE_VALUE))
        .run_yes()
        .status(1)
        .stderr_contains("no value for HOSTED_ZONE_ID")
        .run();
    let line = out_line(&out.transcript(), "s1");
    assert!(line.contains("status=failed"), "{line}");
    assert!(line.contains("a placeholder has no value"), "{line}");
    assert!(out.outputs().iter().all(|o| !o.contains("zone=")), "it ran");
}

#[test]
fn an_answers_file_fills_an_example_value_by_its_variable_on_its_line_only() {
    let out = Test::new()
        .runbook(unindent(EXAMPLE_VALUE))
        .run_answered("HOSTED_ZONE_ID: Z9REALZONE\n")
        .run();
    assert_eq!(
        out.outputs(),
        vec!["zone=Z9REALZONE retries=3 doc=Z1234567890ABC\n".to_string()],
        "{}",
        out.transcript()
    );
    let transcript = out.transcript();
    let line = out_line(&transcript, "s1");
    assert!(
        line.contains(
            "filled from the answers file: <code>HOSTED_ZONE_ID</code> = <code>Z9REALZONE</code>"
        ),
        "{line}"
    );
    assert!(
        transcript.contains(
            "```bash {rs=ran}\nexport HOSTED_ZONE_ID=\"Z9REALZONE\"  # Replace with actual hosted zone ID\n"
        ),
        "{transcript}"
    );
    strips_back(out.sandbox, unindent(EXAMPLE_VALUE).as_bytes());
}

#[test]
fn an_example_value_to_replace_is_asked_showing_the_example_and_the_comment() {
    let sandbox = sandbox(EXAMPLE_VALUE);
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.expect(
        "HOSTED_ZONE_ID is set to an example value, Z1234567890ABC, and the runbook says: Replace with actual hosted zone ID",
    );
    pty.answer("Value for HOSTED_ZONE_ID", "ZTYPED42");
    pty.expect("With its placeholders filled in, it runs as:");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(
        sandbox.outputs(),
        vec!["zone=ZTYPED42 retries=3 doc=Z1234567890ABC\n".to_string()]
    );
    let line = out_line(&sandbox.transcript(), "s1");
    assert!(
        line.contains("filled: <code>HOSTED_ZONE_ID</code> = <code>ZTYPED42</code>"),
        "{line}"
    );
    strips_back(sandbox, unindent(EXAMPLE_VALUE).as_bytes());
}

#[test]
fn an_example_secret_to_replace_is_asked_hidden_and_masked() {
    let runbook = r#"
        ```bash
        DB_PASSWORD=example-pass-123  # CHANGEME
        echo "pass=$DB_PASSWORD"
        ```
        "#;
    let sandbox = sandbox(runbook);
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.expect("DB_PASSWORD is set to an example value, •••, and the runbook says: CHANGEME");
    let hidden = "Value for DB_PASSWORD (hidden)";
    pty.expect_prompt(hidden);
    pty.send(&format!("{SECRET}\r"));
    pty.expect("With its placeholders filled in, it runs as:");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains(SECRET), "{screen}");
    assert!(!screen.contains("example-pass-123,"), "{screen}");
    let transcript = sandbox.transcript();
    assert!(!transcript.contains(SECRET), "{transcript}");
    assert_eq!(sandbox.outputs(), vec!["pass=•••\n".to_string()]);
    strips_back(sandbox, unindent(runbook).as_bytes());
}

// --- Expected output --------------------------------------------------------

const EXPECTED: &str = r#"
    ```bash
    echo hello-world
    ```

    **Expected**: hello-world

    ```bash
    echo actual-output
    # Expected: something else
    ```
    "#;

#[test]
fn the_operator_confirms_or_rejects_the_expected_output() {
    let sandbox = sandbox(EXPECTED);
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.expect("Expected: hello-world");
    pty.answer(VERIFY, "y");
    pty.answer(RUN, "r");
    pty.expect("Expected: something else");
    pty.answer(VERIFY, "n");
    pty.answer(
        "The step failed: you said its output was not what was expected. [r]etry / [e]dit / [i]gnore / [s]kip / [a]bort / [q]uit / [b]ack / [g]o to",
        "a",
    );
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    let transcript = sandbox.transcript();
    let confirmed = out_line(&transcript, "s1");
    assert!(
        confirmed.contains("status=done")
            && confirmed.contains("the operator confirmed the expected output"),
        "{confirmed}"
    );
    let rejected = out_line(&transcript, "s2");
    assert!(
        rejected.contains("status=failed")
            && rejected.contains("the operator said the output did not match"),
        "{rejected}"
    );
}

#[test]
fn expected_output_is_not_verified_in_an_unattended_run() {
    let out = Test::new()
        .runbook(unindent(EXPECTED))
        .run_yes()
        .status(3)
        .run();
    let transcript = out.transcript();
    for id in ["s1", "s2"] {
        let line = out_line(&transcript, id);
        assert!(
            line.contains("status=done")
                && line.contains("expected output not verified (unattended)"),
            "{line}"
        );
    }
    assert!(
        transcript.contains("2 outputs not verified"),
        "{transcript}"
    );
}

#[test]
fn expect_attributes_check_the_output_and_exit_code() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            ```bash {name=sub-pass expect="hello world"}
            echo "say hello world"
            ```

            ```bash {name=re-pass expect=/^v[0-9]+$/}
            echo v12
            ```

            ```bash {name=exit-pass expect_exit=3}
            sh -c 'exit 3'
            ```

            ```bash {name=sub-fail expect="absent"}
            echo present
            ```

            ```bash {name=re-fail expect=/^v[0-9]+$/}
            echo version 12
            ```

            ```bash {name=exit-fail expect_exit=3}
            true
            ```
            "#,
        ))
        .args(["run", "--yes", "--keep-going", RUNBOOK, "-o", OUT])
        .status(1)
        .run();
    let transcript = out.transcript();
    for id in ["sub-pass", "re-pass", "exit-pass"] {
        let line = out_line(&transcript, id);
        assert!(line.contains("status=done"), "{line}");
    }
    for id in ["sub-fail", "re-fail"] {
        let line = out_line(&transcript, id);
        assert!(
            line.contains("status=failed") && line.contains("the output did not match `expect`"),
            "{line}"
        );
    }
    let line = out_line(&transcript, "exit-fail");
    assert!(
        line.contains("status=failed") && line.contains("exit=0"),
        "{line}"
    );
}

// --- Other languages ------------------------------------------------------

#[test]
#[ignore = "needs python3, which a developer machine may lack; CI runs it with --ignored"]
fn python_blocks_run() {
    require_tool("python3");
    let out = Test::new()
        .runbook(unindent(
            r#"
            ```python
            import sys
            print("py", 6 * 7, sys.version_info[0])
            ```
            "#,
        ))
        .run_yes()
        .run();
    assert_eq!(
        out.outputs(),
        vec!["py 42 3\n".to_string()],
        "{}",
        out.transcript()
    );
}

#[test]
fn console_blocks_run_their_prompt_lines_and_compare_the_example() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            ```console
            $ echo hi
            hi
            $ echo there
            there
            ```

            ```console
            $ echo actual
            expected-but-different
            touch not-run
            ```
            "#,
        ))
        .run_yes()
        .run();
    assert_eq!(
        out.outputs(),
        vec!["hi\nthere\n".to_string(), "actual\n".to_string()]
    );
    let transcript = out.transcript();
    assert!(
        out_line(&transcript, "s1").contains("output matches the example in the block"),
        "{transcript}"
    );
    assert!(
        out_line(&transcript, "s2").contains("output differs from the example in the block"),
        "{transcript}"
    );
    assert!(!out.exists("not-run"), "an example line ran");
}

const SQL: &str = r#"
    ```sql
    select 42;
    ```
    "#;

#[test]
fn runsheet_toml_gives_a_language_its_runner() {
    let out = Test::new()
        .runbook(unindent(SQL))
        .args(["plan", RUNBOOK])
        .stdout_contains("no runner for `sql`")
        .run();
    let out = out
        .then()
        .file("runsheet.toml", "[runners]\nsql = \"cat {file}\"\n")
        .run_yes()
        .run();
    assert_eq!(out.outputs(), vec!["select 42;\n".to_string()]);
    let plan = out.then().args(["plan", RUNBOOK]).run();
    assert!(!plan.stdout.contains("no runner"), "{}", plan.stdout);
}

#[test]
fn a_bad_runsheet_toml_is_an_error_at_its_line_and_column() {
    let out = Test::new()
        .runbook(unindent(SQL))
        .file("runsheet.toml", "[runners]\nsql = 1\n")
        .run_yes()
        .status(2)
        .stderr_contains("runsheet.toml:2:7")
        .run();
    assert!(!out.exists(OUT), "a transcript was written");
    out.then()
        .args(["plan", RUNBOOK])
        .status(1)
        .stderr_contains("runsheet.toml:2:7")
        .run();
}

#[test]
fn data_and_plain_fences_never_run() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            ```
            touch made-by-plain
            ```

            ```text
            touch made-by-text
            ```

            ```yaml
            touch: made-by-yaml
            ```

            ```json
            {"touch": "made-by-json"}
            ```

            ```markdown
            touch made-by-markdown
            ```

            ```bash
            echo ran
            ls
            ```
            "#,
        ))
        .run_yes()
        .run();
    assert_eq!(out.outputs(), vec![format!("ran\n{OUT}\n{RUNBOOK}\n")]);
    for name in ["plain", "text", "yaml", "json", "markdown"] {
        assert!(
            !out.exists(&format!("made-by-{name}")),
            "the {name} fence ran"
        );
    }
}

// --- Fence attributes ---------------------------------------------------------

#[test]
fn an_unknown_attribute_is_a_plan_error_with_a_hint() {
    Test::new()
        .runbook("# Deploy\n\n```bash {retires=2}\necho x\n```\n")
        .args(["plan", RUNBOOK])
        .status(1)
        .stdout_contains("unknown attribute `retires`")
        .stdout_contains("--> runbook.md:3:10")
        .stdout_contains("hint: did you mean `retries`?")
        .run();
}

#[test]
fn skip_attribute_never_runs_the_block() {
    let out = Test::new()
        .runbook("```bash {skip}\ntouch skipped-file\n```\n")
        .run_yes()
        .run();
    assert!(!out.exists("skipped-file"), "the block ran");
    let line = out_line(&out.transcript(), "s1");
    assert!(line.contains("status=skipped"), "{line}");
}

const MANUAL: &str = "```bash {manual}\ntouch by-hand\n```\n";

#[test]
fn manual_block_is_asked_about_not_run() {
    let sandbox = sandbox(MANUAL);
    let mut pty = run(&sandbox);
    pty.expect("touch by-hand");
    pty.answer(TASK, "d");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(!sandbox.exists("by-hand"), "a manual block ran");
    let line = out_line(&sandbox.transcript(), "s1");
    assert!(line.contains("status=done"), "{line}");
}

#[test]
fn manual_block_is_not_confirmed_unattended() {
    let out = Test::new().runbook(MANUAL).run_yes().status(3).run();
    assert!(!out.exists("by-hand"), "a manual block ran");
    let line = out_line(&out.transcript(), "s1");
    assert!(line.contains("status=not-confirmed"), "{line}");
}

#[test]
fn confirm_block_is_refused_unattended() {
    let out = Test::new()
        .runbook("```bash {confirm}\ntouch confirmed\n```\n\n```bash\ntouch after\n```\n")
        .run_yes()
        .status(1)
        .stderr_contains("refused")
        .run();
    assert!(!out.exists("confirmed"), "a confirm block ran unattended");
    assert!(!out.exists("after"), "the run went on");
    let line = out_line(&out.transcript(), "s1");
    assert!(
        line.contains("status=failed") && line.contains("refused"),
        "{line}"
    );
}

#[test]
fn cwd_attribute_holds_for_its_block_only() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            ```bash
            mkdir -p sub
            ```

            ```bash {cwd=sub}
            pwd
            ```

            ```bash
            pwd
            ```
            "#,
        ))
        .run_yes()
        .run();
    let work = out.work().canonicalize().unwrap();
    assert_eq!(
        out.outputs(),
        vec![
            format!("{}/sub\n", work.display()),
            format!("{}\n", work.display())
        ]
    );
}

#[test]
fn retries_attribute_runs_a_failing_block_again() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            ```bash {retries=2}
            echo try >> attempts
            [ "$(wc -l < attempts)" -ge 3 ]
            ```
            "#,
        ))
        .run_yes()
        .run();
    assert_eq!(out.read("attempts"), "try\ntry\ntry\n");
    let line = out_line(&out.transcript(), "s1");
    assert!(line.contains("status=done"), "{line}");
}

#[test]
fn on_fail_continue_goes_on_unattended() {
    let out = Test::new()
        .runbook("```bash {on_fail=continue}\nfalse\n```\n\n```bash\ntouch after\n```\n")
        .run_yes()
        .status(1)
        .run();
    assert!(out.exists("after"), "the run stopped at the failure");
    let transcript = out.transcript();
    assert!(
        out_line(&transcript, "s1").contains("status=failed"),
        "{transcript}"
    );
    assert!(
        out_line(&transcript, "s2").contains("status=done"),
        "{transcript}"
    );
}

// --- Answers files ----------------------------------------------------------

const ANSWERED: &str = r#"
    # Deploy

    ```bash
    touch marker
    ```

    ## Prepare

    - [ ] Announce the window
    - [ ] Check the dashboard

    Start time: ____

    Decision: `GO / NO-GO`

    ```bash
    echo "tag=<release-tag>"
    ```

    ## Verify

    - [ ] Check the dashboard
    - [ ] Confirm the smoke tests
    "#;

/// `run --yes --answers FILE` of `ANSWERED` with `answers` in `file`.
fn answered(file: &str, answers: &str) -> Test {
    Test::new()
        .runbook(unindent(ANSWERED))
        .file(file, answers)
        .args(["run", "--yes", "--answers", file, RUNBOOK, "-o", OUT])
}

/// The line number of the first line of `ANSWERED` with `text`, after `after`.
fn answered_line(text: &str, after: usize) -> usize {
    unindent(ANSWERED)
        .lines()
        .enumerate()
        .skip(after)
        .find(|(_, l)| l.contains(text))
        .map(|(n, _)| n + 1)
        .unwrap_or_else(|| panic!("no {text:?} in the runbook"))
}

#[test]
fn a_yaml_answers_file_answers_every_kind_of_prompt() {
    let out = answered(
        "answers.yaml",
        &unindent(
            r#"
            ANNOUNCE the: done
            "Deploy › Prepare › Check the dashboard": done
            "deploy / verify / check the dashboard": skip
            start time: now
            Decision: go
            release-tag: v9.9.9
            smoke: done
            "#,
        ),
    )
    .run();
    let transcript = out.transcript();
    let announce = line_with(&transcript, "Announce the window");
    assert!(announce.starts_with("- [x] "), "{announce}");
    let mut dashboards = transcript
        .lines()
        .filter(|l| l.contains("Check the dashboard"));
    let prepare = dashboards.next().unwrap_or_default();
    let verify = dashboards.next().unwrap_or_default();
    assert!(
        prepare.starts_with("- [x] ") && prepare.contains("status=done"),
        "{transcript}"
    );
    assert!(
        verify.starts_with("- [ ] ") && verify.contains("status=skipped"),
        "{transcript}"
    );
    let start = line_with(&transcript, "Start time:");
    let stamp =
        Regex::new(r"^Start time: `20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ`<!--").expect("a valid regex");
    assert!(stamp.is_match(&start), "{start}");
    assert!(
        line_with(&transcript, "Decision:").starts_with("Decision: `☒ GO / ☐ NO-GO`<!--"),
        "{transcript}"
    );
    assert!(
        line_with(&transcript, "Confirm the smoke tests").starts_with("- [x] "),
        "{transcript}"
    );
    assert!(
        out.outputs().contains(&"tag=v9.9.9\n".to_string()),
        "{transcript}"
    );
}

#[test]
fn a_json_answers_file_can_fail_a_task() {
    let out = answered(
        "answers.json",
        r#"{
            "Announce the window": "skip",
            "Deploy > Prepare > Check the dashboard": "done",
            "Deploy > Verify > Check the dashboard": "done",
            "Start time": "14:05 UTC",
            "Decision": "GO",
            "release-tag": "v1",
            "Confirm the smoke": "fail"
        }"#,
    )
    .status(1)
    .run();
    let transcript = out.transcript();
    assert!(
        line_with(&transcript, "Announce the window").contains("status=skipped"),
        "{transcript}"
    );
    assert!(
        line_with(&transcript, "Start time:").starts_with("Start time: `14:05 UTC`<!--"),
        "{transcript}"
    );
    assert!(
        line_with(&transcript, "Decision:").starts_with("Decision: `☒ GO / ☐ NO-GO`<!--"),
        "{transcript}"
    );
    let smoke = line_with(&transcript, "Confirm the smoke tests");
    assert!(
        smoke.starts_with("- [ ] ") && smoke.contains("status=failed"),
        "{smoke}"
    );
}

#[test]
fn an_answers_key_names_a_manual_block_by_its_name() {
    let out = Test::new()
        .runbook("```bash {name=restart manual}\ntouch restarted\n```\n")
        .run_answered("restart: done\n")
        .run();
    assert!(!out.exists("restarted"), "a manual block ran");
    let line = out_line(&out.transcript(), "restart");
    assert!(line.contains("status=done"), "{line}");
}

/// Runs `ANSWERED` with `answers` and expects it refused before anything ran.
fn refused_answers(answers: &str, message: &str) -> String {
    let out = answered("answers.yaml", answers)
        .status(2)
        .stderr_contains(message)
        .run();
    assert!(!out.exists("marker"), "a block ran before the error");
    assert!(!out.exists(OUT), "a transcript was written");
    out.stderr
}

#[test]
fn an_answers_key_naming_no_step_is_an_error_before_anything_runs() {
    refused_answers(
        "Announce the window: done\nRoll back the database: done\n",
        "`Roll back the database` names no step",
    );
}

#[test]
fn an_answer_that_is_not_an_option_is_an_error_listing_the_options() {
    let stderr = refused_answers("Decision: MAYBE\n", "is not an option of the choice");
    assert!(stderr.contains("GO, NO-GO"), "{stderr}");
}

#[test]
fn an_ambiguous_answers_key_is_an_error_naming_the_lines() {
    let first = answered_line("Check the dashboard", 0);
    let second = answered_line("Check the dashboard", first);
    refused_answers(
        "Check the dashboard: done\n",
        &format!("matches several steps (lines {first}, {second})"),
    );
}

#[test]
fn the_answers_template_once_filled_in_answers_the_whole_run() {
    let doc = unindent(
        r#"
        # Deploy

        - [ ] Announce the window
        - [ ] Check the dashboard

        Start time: ____

        Decision: `GO / NO-GO`

        | Check | Done |
        |---|---|
        | Pager tested | ☐ |

        ```bash
        echo "tag=<release-tag>" "key=<api-key>"
        ```
        "#,
    );
    let out = Test::new()
        .runbook(&doc)
        .args(["plan", "--answers-template", RUNBOOK])
        .run();
    let template = out.stdout.clone();
    for key in [
        "\"Announce the window\"",
        "\"Start time: ____\"",
        "\"release-tag\"",
        "\"api-key\"",
    ] {
        assert!(template.contains(key), "{key} missing:\n{template}");
    }
    // Fill it in as a person would: uncomment each entry, value from its hint.
    let mut filled = String::new();
    let mut hint = "";
    for line in template.lines() {
        if let Some(entry) = line.strip_prefix("# \"") {
            let value = if hint.starts_with("done | skip") {
                "done".to_string()
            } else if hint.contains(" | ") {
                hint.split(" | ").next().unwrap_or_default().to_string()
            } else if hint.contains("now =") {
                "now".to_string()
            } else if hint.starts_with("secret") {
                "hunter2-secret".to_string()
            } else {
                "v1.0.0".to_string()
            };
            filled.push_str(&format!("\"{} {value}\n", entry.trim_end()));
        } else if let Some((_, h)) = line.split_once(": ") {
            hint = h;
        }
    }
    let out = out.then().run_answered(&filled).run();
    let transcript = out.transcript();
    assert!(
        !transcript.contains("not answered"),
        "{filled}\n{transcript}"
    );
    assert!(
        out.outputs().contains(&"tag=v1.0.0 key=•••\n".to_string()),
        "{transcript}"
    );
}

// --- Mojibake -----------------------------------------------------------------

/// "✅ Deploy — done", its UTF-8 bytes read as Mac Roman and saved again.
const MANGLED: &str = "# Release\n\n- [ ] ‚úÖ Deploy ‚Äî done\n";
const REPAIRED: &str = "# Release\n\n- [ ] ✅ Deploy — done\n";

#[test]
fn plan_warns_about_mojibake_and_shows_the_repaired_text() {
    let out = Test::new()
        .runbook(MANGLED)
        .args(["plan", RUNBOOK])
        .stdout_contains("2 places look like UTF-8 that was read as Mac Roman")
        .stdout_contains("`‚úÖ` for `✅`")
        .run();
    let step = line_with(&out.stdout, "[ ] ");
    assert!(step.ends_with("[ ] ✅ Deploy — done"), "{}", out.stdout);
}

#[test]
fn repair_writes_the_original_text() {
    let out = Test::new()
        .runbook(MANGLED)
        .args(["repair", RUNBOOK, "-o", "fixed.md"])
        .run();
    assert_eq!(out.read("fixed.md"), REPAIRED);
    assert_eq!(out.read(RUNBOOK), MANGLED, "the runbook was changed");
}

#[test]
fn a_run_keeps_the_mangled_bytes_and_strips_back() {
    let out = Test::new().runbook(MANGLED).run_yes().status(3).run();
    let transcript = out.transcript();
    let task = line_with(&transcript, "Deploy");
    assert!(
        task.starts_with("- [ ] ") && task.ends_with("‚úÖ Deploy ‚Äî done"),
        "{task}"
    );
    assert!(!transcript.contains("✅ Deploy"), "{transcript}");
    strips_back(out.sandbox, MANGLED.as_bytes());
}

// --- Sessions in shell blocks ------------------------------------------------

#[test]
fn a_prompt_line_in_a_here_document_leaves_a_bash_block_a_script() {
    let runbook = unindent(
        r#"
        # Notes

        ```bash
        cat > NOTES.txt <<'EOF2'
        If the disk fills up, an admin may run:
        $ rm -rf victim
        EOF2
        echo "notes written"
        ```

        ```bash
        printf '%s\n' "first
        $ rm -rf victim
        last" > quoted.txt
        ```
        "#,
    );
    let plan = Test::new().runbook(&runbook).args(["plan", RUNBOOK]).run();
    assert!(!plan.stdout.contains("destructive"), "{}", plan.stdout);
    let t = Test::new().runbook(&runbook);
    t.sandbox().write("victim/keep", "x");
    let out = t
        .args(["run", "--yes", "--allow-destructive", RUNBOOK, "-o", OUT])
        .run();
    assert!(out.outputs().iter().any(|o| o.contains("notes written")));
    assert!(out.exists("victim/keep"), "the here-document's line ran");
    assert!(out.read("NOTES.txt").contains("$ rm -rf victim"));
    assert_eq!(out.read("quoted.txt"), "first\n$ rm -rf victim\nlast\n");
}

#[test]
fn a_bash_block_that_starts_with_a_prompt_is_a_session() {
    let out = Test::new()
        .runbook("# S\n\n```bash\n# show it\n$ echo hi > said.txt\nhi\n```\n")
        .run_yes()
        .run();
    assert_eq!(out.read("said.txt"), "hi\n");
}

#[test]
fn continuation_prompts_in_a_session_belong_to_their_command() {
    let out = Test::new()
        .runbook(unindent(
            r"
            # S

            ```shell-session
            $ echo one && \
            > echo two
            one
            two
            $ cat <<EOF > file
            > hello
            > EOF
            $ cat file > copy
            $ for i in 1 2; do
            > echo n$i
            > done > loop
            ```
            ",
        ))
        .run_yes()
        .stderr_lacks("command not found")
        .run();
    assert!(!out.exists("echo"), "a `> ` line was run as a redirection");
    assert_eq!(out.read("file"), "hello\n");
    assert_eq!(
        out.read("copy"),
        "hello\n",
        "the here-document took in the next command"
    );
    assert_eq!(out.read("loop"), "n1\nn2\n");
}

// --- Negative options ---------------------------------------------------------

#[test]
fn options_that_negate_fail_their_step() {
    let options = [
        "Not ready",
        "Not healthy",
        "Not safe",
        "Not passed",
        "Not verified",
        "Do not proceed",
        "Don't proceed",
        "Not Go",
        "Deny",
        "Unsafe",
        "Unstable",
        "Degraded",
        "Error",
    ];
    let mut runbook = String::from("# Gates\n\n");
    for (i, option) in options.iter().enumerate() {
        runbook.push_str(&format!("- [ ] Gate {i}: `Go / {option}`\n"));
    }
    runbook.push_str("- [ ] Deployed: `Yes / No`\n- [ ] Logs: `No errors / Errors`\n");
    let out = Test::new()
        .runbook(&runbook)
        .args(["plan", "--format", "json", RUNBOOK])
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let mut fails = Vec::new();
    for task in doc["steps"].as_array().expect("steps") {
        for child in task["children"].as_array().expect("children") {
            if child["kind"] == "choice" {
                fails.push(child["fail"].clone());
            }
        }
    }
    let mut expected: Vec<serde_json::Value> =
        options.iter().map(|o| serde_json::json!([o])).collect();
    expected.push(serde_json::json!(["No"]));
    expected.push(serde_json::json!(["Errors"]));
    assert_eq!(fails, expected);
}

// --- Numbered work that names a contingency -----------------------------------

const MAINTENANCE: &str = r"
    # Weekly maintenance

    ## 1. Check the disks

    ```bash
    echo one >> did
    ```

    ## 2. Downgrade the log level to INFO

    ```bash
    echo two >> did
    ```

    ## 3. Revert last week's temporary firewall rule

    ```bash
    echo three >> did
    ```

    ## 4. Recover disk space on /var

    ```bash
    echo four >> did
    ```

    ## 5. Abort stuck jobs

    ```bash
    echo five >> did
    ```

    ## Rollback

    ```bash
    echo rollback >> did
    ```
    ";

#[test]
fn numbered_steps_of_the_main_sequence_run() {
    let plan = Test::new()
        .runbook(unindent(MAINTENANCE))
        .args(["plan", RUNBOOK])
        .run();
    let listed: Vec<&str> = plan
        .stdout
        .lines()
        .filter(|l| l.contains("[contingency"))
        .collect();
    assert_eq!(listed.len(), 1, "{}", plan.stdout);
    assert!(
        listed[0].ends_with("Rollback  [contingency: rollback]"),
        "{}",
        plan.stdout
    );
    let out = Test::new()
        .runbook(unindent(MAINTENANCE))
        .run_yes()
        .stderr_contains("[5/5]")
        .stderr_contains("5 done")
        .run();
    assert_eq!(out.read("did"), "one\ntwo\nthree\nfour\nfive\n");
}

// --- Blocks with nothing to run -----------------------------------------------

const COMMENTS_ONLY: &str = r"
    # Ops

    - [ ] Restart the payment workers

      ```bash
      # TODO: add the real restart command here
      ```
    ";

#[test]
fn a_block_of_comments_does_not_do_its_task() {
    Test::new()
        .runbook(unindent(COMMENTS_ONLY))
        .args(["plan", RUNBOOK])
        .stdout_contains("(manual)")
        .stdout_contains("holds no command")
        .run();
    let out = Test::new()
        .runbook(unindent(COMMENTS_ONLY))
        .run_yes()
        .status(3)
        .stderr_contains("1 not confirmed")
        .run();
    let task = line_with(&out.transcript(), "Restart the payment workers");
    assert!(task.starts_with("- [ ] "), "{task}");
}

/// A choice and a blank, after a block that must not run when the answers
/// file is refused.
const TWICE: &str = "```bash\ntouch marker\n```\n\nDecision: `GO / NO-GO`\n\nOperator: ________\n";

/// `run --yes --answers FILE` of `TWICE`, refused with `message`.
fn refused_twice(file: &str, answers: &str, message: &str) {
    let out = Test::new()
        .runbook(TWICE)
        .file(file, answers)
        .args(["run", "--yes", "--answers", file, RUNBOOK, "-o", OUT])
        .status(2)
        .stderr_contains(message)
        .run();
    assert!(!out.exists("marker"), "a block ran before the error");
    assert!(!out.exists(OUT), "a transcript was written");
}

/// Two keys for one step: the file does not say which it means, so neither
/// is taken; both are named, with their lines.
#[test]
fn two_answers_keys_for_one_step_are_an_error_naming_both() {
    refused_twice(
        "answers.yaml",
        "Decision: GO\nDecision: NO-GO\n",
        "error: answers.yaml: the key `Decision` is given more than once (lines 1, 2); keep one of them",
    );
    refused_twice(
        "answers.json",
        "{\n  \"Decision\": \"NO-GO\",\n  \"Decision\": \"GO\"\n}\n",
        "the key `Decision` is given more than once (lines 2, 3); keep one of them",
    );
    // On one line, JSON gives no line to tell them apart.
    refused_twice(
        "answers.json",
        "{\"Decision\":\"NO-GO\",\"Decision\":\"GO\"}\n",
        "the key `Decision` is given more than once; keep one of them",
    );
    refused_twice(
        "answers.yaml",
        "Decision: GO\ns2: NO-GO\n",
        "`Decision` (line 1) and `s2` (line 2) both answer the choice on line 5; keep one of them",
    );
    refused_twice(
        "answers.yaml",
        "operator: x\nOPERATOR: y\n",
        "`OPERATOR` (line 2) and `operator` (line 1) both answer the blank on line 7; keep one of them",
    );
    refused_twice(
        "answers.json",
        "{\"operator\": \"x\", \"OPERATOR\": \"y\"}",
        "`OPERATOR` and `operator` (line 1) both answer the blank on line 7; keep one of them",
    );
}
