//! Every kind of fill-in field real checklists use, end to end: `plan` finds
//! it, an answered run fills it, the transcript shows it filled, and `strip`
//! gives the document back byte for byte. And what must not become a step.

use regex::Regex;

use crate::common::{OUT, RUNBOOK, Sandbox, TASK, Test, line_with, run, sandbox, unindent};

const VALUE: &str =
    "Value (`now` for the current UTC time, empty to skip) · [q]uit / [b]ack / [g]o to";

/// What a reader sees after a blank or choice the answers file answered.
pub const FROM_FILE: &str = " — note: answered in the answers file";

/// The steps `plan --format json` finds in the runbook of `sandbox`: kind,
/// line and text, depth first.
pub fn plan_steps(sandbox: Sandbox) -> (Vec<(String, usize, String)>, Sandbox) {
    let out = Test::in_sandbox(sandbox)
        .args(["plan", "--format", "json", RUNBOOK])
        .run();
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan JSON");
    let mut found = Vec::new();
    let mut stack: Vec<&serde_json::Value> = plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .rev()
        .collect();
    while let Some(step) = stack.pop() {
        found.push((
            step["kind"].as_str().unwrap_or_default().to_string(),
            step["line"].as_u64().unwrap_or_default() as usize,
            step["text"].as_str().unwrap_or_default().to_string(),
        ));
        if let Some(children) = step["children"].as_array() {
            stack.extend(children.iter().rev());
        }
    }
    (found, out.sandbox)
}

/// The kinds and lines of `steps`.
fn kinds(steps: &[(String, usize, String)]) -> Vec<(&str, usize)> {
    steps.iter().map(|(k, l, _)| (k.as_str(), *l)).collect()
}

/// `strip` of the transcript gives back `source` byte for byte.
pub fn strips_back(sandbox: Sandbox, source: &str) -> Sandbox {
    let out = Test::in_sandbox(sandbox).args(["strip", OUT]).run();
    assert!(
        out.stdout_bytes == source.as_bytes(),
        "strip did not give back the source:\n--- source:\n{source}\n--- strip:\n{}",
        out.stdout
    );
    out.sandbox
}

/// `doc` planned, run unattended with `answers` (going on past failures),
/// and stripped back: the plan's steps and the transcript.
fn answered(doc: &str, answers: &str, status: i32) -> (Vec<(String, usize, String)>, String) {
    let doc = unindent(doc);
    let (steps, sandbox) = plan_steps(sandbox(&doc));
    let out = Test::in_sandbox(sandbox)
        .file("answers.yaml", unindent(answers))
        .args([
            "run",
            "--yes",
            "--keep-going",
            "--answers",
            "answers.yaml",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .status(status)
        .run();
    let transcript = out.transcript();
    strips_back(out.sandbox, &doc);
    (steps, transcript)
}

/// `line` with runsheet's marks taken out: what a reader sees.
pub fn visible(line: &str) -> String {
    Regex::new(r"<!--.*?-->")
        .expect("a valid pattern")
        .replace_all(line, "")
        .into_owned()
}

#[test]
fn fields_after_a_fenced_block_in_the_same_item() {
    let (steps, transcript) = answered(
        r#"
        - [ ] Restart cache
          ```bash
          echo restarted
          ```
          - Cache healthy: `Yes / No`
          - Restarted at: `_____`
        "#,
        "Cache healthy: Yes\nRestarted at: 05:12 UTC\n",
        0,
    );
    assert_eq!(
        kinds(&steps),
        [("task", 1), ("command", 2), ("choice", 5), ("blank", 6)]
    );
    assert!(line_with(&transcript, "Restart cache").starts_with("- [x] "));
    assert_eq!(
        visible(&line_with(&transcript, "Cache healthy")),
        format!("  - Cache healthy: `☒ Yes / ☐ No`{FROM_FILE}")
    );
    assert_eq!(
        visible(&line_with(&transcript, "Restarted at")),
        format!("  - Restarted at: `05:12 UTC`{FROM_FILE}")
    );
}

#[test]
fn blanks_with_a_unit_or_sign_keep_it() {
    let (steps, transcript) = answered(
        r#"
        - Backup size: `_____ GB`
        - Estimated downtime: `___ hours`
        - Error rate: `____%`
        - Latency p95: `______ ms`
        - Budget: `$____`
        "#,
        "Backup size: 42\nEstimated downtime: 2 hours\nError rate: 0.1\nLatency: 120\nBudget: 300\n",
        0,
    );
    assert_eq!(steps.iter().filter(|s| s.0 == "blank").count(), 5);
    for want in [
        "- Backup size: `42 GB`",
        "- Estimated downtime: `2 hours`",
        "- Error rate: `0.1%`",
        "- Latency p95: `120 ms`",
        "- Budget: `$300`",
    ] {
        let label = want.split(':').next().unwrap_or_default();
        assert_eq!(
            visible(&line_with(&transcript, label)),
            format!("{want}{FROM_FILE}")
        );
    }
}

#[test]
fn a_plain_fence_used_as_a_form_is_filled_in_place() {
    let (steps, transcript) = answered(
        r#"
        **Sign-off**

        ```
        Signed off by: ____
        Risk: ☐ Low ☐ Medium ☐ High
        When: [DATE AND TIME]
        Reason for the change:
        ________________________
        ```
        "#,
        "Signed off by: Alice\nRisk: Low\nWhen: Saturday 06:00\nReason for the change: new TLS certificate\n",
        0,
    );
    assert_eq!(
        kinds(&steps),
        [("blank", 4), ("choice", 5), ("blank", 6), ("blank", 8)]
    );
    assert_eq!(
        steps[3].2,
        "Reason for the change: ________________________"
    );
    for want in [
        "Signed off by: Alice\n",
        "Risk: ☒ Low ☐ Medium ☐ High\n",
        "When: Saturday 06:00\n",
        "Reason for the change:\nnew TLS certificate\n```\n<!--rs:boxes ",
        "☑ 4 of 4 fields in the block above filled in · Signed off by: answered in the answers file · Risk: answered in the answers file · When: answered in the answers file · Reason for the change: answered in the answers file\n",
    ] {
        assert!(transcript.contains(want), "no {want:?} in:\n{transcript}");
    }
}

#[test]
fn bracketed_slots_in_prose_are_blanks() {
    let (steps, transcript) = answered(
        r#"
        **Owner**: [name of the on-call]

        Result: [expected result]

        Notes go here [fill in after the deploy]

        **Verdict**: [Open]

        See [the runbook](https://example.com) and [the other one][ref].

        [ref]: https://example.com/other
        "#,
        "Owner: Alice\nResult: 200 OK\nNotes: all good\nVerdict: Closed\n",
        0,
    );
    assert_eq!(
        kinds(&steps),
        [("blank", 1), ("blank", 3), ("blank", 5), ("blank", 7)]
    );
    for want in [
        "**Owner**: `Alice`",
        "Result: `200 OK`",
        "Notes go here `all good`",
        "**Verdict**: `Closed`",
    ] {
        let label = want.split([':', ' ']).next().unwrap_or_default();
        assert_eq!(
            visible(&line_with(&transcript, label)),
            format!("{want}{FROM_FILE}")
        );
    }
}

#[test]
fn emphasised_fill_ins_and_blanks_split_by_emphasis() {
    let (steps, transcript) = answered(
        r#"
        * [ ] Agree on the planned date for the release: _**RELEASE DATE**_
        * [ ] Pre-release announcement: _**LINK TO BLOG**_

        **Total changes today**: \_**\_  
        **Approved**: \_\_**
        "#,
        "release date: 2026-12-01\nannouncement: https://blog.example/x\nTotal changes: 3\nApproved: 2\n",
        0,
    );
    assert_eq!(
        kinds(&steps),
        [
            ("task", 1),
            ("blank", 1),
            ("task", 2),
            ("blank", 2),
            ("blank", 4),
            ("blank", 5)
        ]
    );
    let planned = visible(&line_with(&transcript, "planned date"));
    assert!(
        planned.starts_with("* [x] ")
            && planned.ends_with(&format!(
                "Agree on the planned date for the release: `2026-12-01`{FROM_FILE}"
            )),
        "{planned}"
    );
    assert_eq!(
        visible(&line_with(&transcript, "Total changes")),
        format!("**Total changes today**: `3`{FROM_FILE}  ")
    );
    assert_eq!(
        visible(&line_with(&transcript, "Approved")),
        format!("**Approved**: `2`{FROM_FILE}**")
    );
}

#[test]
fn empty_labelled_lines_of_a_form_are_blanks() {
    let (steps, transcript) = answered(
        r#"
        ## Change record

        - Ticket:
        - **Approver:**
        - Window: Saturday

        ## Notes

        - Prerequisites:
          - a laptop
        "#,
        "Ticket: CHG-42\nApprover: Dana\n",
        0,
    );
    assert_eq!(kinds(&steps), [("blank", 3), ("blank", 4)]);
    assert_eq!(
        visible(&line_with(&transcript, "Ticket")),
        format!("- Ticket: `CHG-42`{FROM_FILE}")
    );
    assert_eq!(
        visible(&line_with(&transcript, "Approver")),
        format!("- **Approver:** `Dana`{FROM_FILE}")
    );
}

#[test]
fn ballots_written_through_a_wrong_encoding_are_choices() {
    // `☐`, `✅` and `❌` as they read after UTF-8 went through Mac Roman.
    let doc = r#"
        # Go ‚Äì no-go

        **Decision:** ‚òê GO  ‚òê NO-GO (if NO-GO, reschedule)

        - [ ] **Batch 1 health:** ‚òê ‚úÖ Stable  ‚òê ‚ùå Rollback
        "#;
    let (steps, transcript) = answered(doc, "Decision: GO\nBatch 1 health: ✅ Stable\n", 0);
    assert_eq!(kinds(&steps), [("choice", 3), ("task", 5), ("choice", 5)]);
    assert_eq!(steps[2].2, "Batch 1 health: ☐ ✅ Stable ☐ ❌ Rollback");
    // Marked through the same misreading, so the file keeps one encoding.
    assert_eq!(
        visible(&line_with(&transcript, "Decision")),
        format!("**Decision:** ‚òí GO  ‚òê NO-GO{FROM_FILE} (if NO-GO, reschedule)")
    );
    assert!(
        visible(&line_with(&transcript, "Batch 1"))
            .ends_with(&format!("‚òí ‚úÖ Stable  ‚òê ‚ùå Rollback{FROM_FILE}")),
        "{transcript}"
    );
}

#[test]
fn bracketed_option_lists_are_choices() {
    let (steps, transcript) = answered(
        r#"
        Next step: [✅ Continue | ⏸ Hold | ❌ Stop]

        Ticket state: [Open | Ongoing | Closed]
        "#,
        "Next step: ✅ Continue\nTicket state: Closed\n",
        0,
    );
    assert_eq!(kinds(&steps), [("choice", 1), ("choice", 3)]);
    assert_eq!(
        visible(&line_with(&transcript, "Next step")),
        format!("Next step: `☒ ✅ Continue / ☐ ⏸ Hold / ☐ ❌ Stop`{FROM_FILE}")
    );
    assert_eq!(
        visible(&line_with(&transcript, "Ticket state")),
        format!("Ticket state: `☐ Open / ☐ Ongoing / ☒ Closed`{FROM_FILE}")
    );
}

#[test]
fn a_lone_box_in_a_table_row_is_a_task() {
    let (steps, transcript) = answered(
        r#"
        | Stakeholder | Notified |
        |---|---|
        | Support | ☐ |
        | Sales | ☐ |
        "#,
        "Support: done\nSales: skip\n",
        0,
    );
    assert_eq!(
        steps,
        [
            ("task".to_string(), 3, "Support · Notified".to_string()),
            ("task".to_string(), 4, "Sales · Notified".to_string()),
        ]
    );
    assert!(
        line_with(&transcript, "| Support |").starts_with("| Support | ☒ <!--rs:task "),
        "{transcript}"
    );
    assert!(
        line_with(&transcript, "| Sales |").starts_with("| Sales | ☐ <!--rs:task "),
        "{transcript}"
    );
}

#[test]
fn a_box_starting_a_list_item_is_a_task_that_owns_its_blanks() {
    let (steps, transcript) = answered(
        "- ☐ Backups checked\n- ☐ QA Lead: ______ (Date: __/__/____)\n",
        "Backups checked: done\nQA Lead: Quinn\nDate: 01/12/2026\n",
        0,
    );
    assert_eq!(
        steps,
        [
            ("task".to_string(), 1, "Backups checked".to_string()),
            // A task reads as Markdown shows it; its fields as written.
            (
                "task".to_string(),
                2,
                "QA Lead: ______ (Date: //____)".to_string()
            ),
            ("blank".to_string(), 2, "QA Lead: ______".to_string()),
            ("blank".to_string(), 2, "Date: __/__/____".to_string()),
        ]
    );
    let qa = visible(&line_with(&transcript, "QA Lead"));
    // Ticked unattended: a short label, explained in a footnote.
    assert!(
        qa.starts_with("- ☒ ✅ ") && qa.contains("[^rs-answered] · "),
        "{qa}"
    );
    assert!(
        qa.ends_with(&format!(
            "QA Lead: `Quinn`{FROM_FILE} (Date: `01/12/2026`{FROM_FILE})"
        )),
        "{qa}"
    );
}

#[test]
fn checkboxes_in_other_shown_fences_are_tasks() {
    let (steps, transcript) = answered(
        r#"
        ```yaml
        - [ ] rotate the signing key
        ```

        ```powershell
        # - [ ] restart the IIS pool
        ```
        "#,
        "rotate: done\nrestart the IIS: done\n",
        0,
    );
    assert_eq!(kinds(&steps), [("task", 2), ("task", 6)]);
    assert!(transcript.contains("- [x] rotate the signing key\n```\n<!--rs:boxes "));
    assert!(transcript.contains("# - [x] restart the IIS pool\n```\n<!--rs:boxes "));
}

#[test]
fn replace_me_values_inside_commands_are_placeholders() {
    let doc = r#"
        ```bash
        echo "tag vX.Y.Z, file backup-YYYYMMDD.sql, pin tool==1.2.x"
        [Command to restart the worker]
        echo POST https://hooks.example.com/services/YOUR/HOOK/PATH
        ```

        ```console
        echo node --security-revert=CVE-2024-XXXX
        ```
        "#;
    let (steps, transcript) = answered(
        doc,
        r#"
        vX.Y.Z: v1.4.0
        YYYYMMDD: "20261201"
        1.2.x: 1.2.3
        Command to restart the worker: echo restarted the worker
        YOUR/HOOK/PATH: T0/B0/X0
        XXXX: "1234"
        "#,
        0,
    );
    let tokens: Vec<&str> = steps
        .iter()
        .filter(|s| s.0 == "placeholder")
        .map(|s| s.2.as_str())
        .collect();
    assert_eq!(
        tokens,
        [
            "vX.Y.Z",
            "YYYYMMDD",
            "1.2.x",
            "[Command to restart the worker]",
            "YOUR/HOOK/PATH",
            "XXXX"
        ]
    );
    for want in [
        "tag v1.4.0, file backup-20261201.sql, pin tool==1.2.3\n",
        "restarted the worker\n",
        "POST https://hooks.example.com/services/T0/B0/X0\n",
        "node --security-revert=CVE-2024-1234\n",
    ] {
        assert!(transcript.contains(want), "no {want:?} in:\n{transcript}");
    }
}

#[test]
fn each_blank_is_asked_with_its_own_label() {
    let doc =
        "**Date:** `____` **Operator:** `____`\n\nOwner: \\_\\_\\_\\_ Reviewer: \\_\\_\\_\\_\n";
    let sandbox = sandbox(doc);
    let mut pty = run(&sandbox);
    pty.expect("  Date: `____`\n");
    pty.answer(VALUE, "2026-12-01");
    pty.expect("  Operator: `____`\n");
    pty.answer(VALUE, "alice");
    pty.expect("  Owner: ____\n");
    pty.answer(VALUE, "bob");
    pty.expect("  Reviewer: ____\n");
    pty.answer(VALUE, "carol");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    // Each fill replaces its whole blank: no `\_` left beside it.
    assert_eq!(
        visible(&line_with(&transcript, "Owner")),
        "Owner: `bob` Reviewer: `carol`"
    );
    strips_back(sandbox, doc);
}

#[test]
fn a_box_then_a_blank_in_one_line_is_asked_and_written_without_overlap() {
    // The crash: the lone box's option ran over the blank after it.
    let doc = "- ☐ QA Lead: ______\n\nSigned ☐ by: ______\n";
    let sandbox = sandbox(doc);
    let mut pty = run(&sandbox);
    pty.expect("QA Lead: ______");
    pty.answer(VALUE, "Quinn");
    pty.expect("1) yes");
    pty.answer(
        "Pick 1-2 (or type the option; empty to skip) · [q]uit / [b]ack / [g]o to",
        "yes",
    );
    pty.answer(VALUE, "Sam");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("panicked"), "{screen}");
    let transcript = sandbox.transcript();
    assert!(
        visible(&line_with(&transcript, "QA Lead")).ends_with("QA Lead: `Quinn`"),
        "{transcript}"
    );
    assert_eq!(
        visible(&line_with(&transcript, "Signed")),
        "Signed ☒ by: `Sam`"
    );
    strips_back(sandbox, doc);
}

#[test]
fn a_console_block_without_prompt_lines_runs_as_written_and_says_so() {
    let doc = "```console\necho from-console > ran.txt\n```\n";
    Test::new()
        .runbook(doc)
        .args(["plan", RUNBOOK])
        .stdout_contains("this `console` block has no `$ ` lines so all of it runs as a script")
        .run();
    let out = Test::new().runbook(doc).run_yes().run();
    assert_eq!(out.read("ran.txt"), "from-console\n", "it really ran");
    strips_back(out.sandbox, doc);
    // Output shown in a `console` block is not run, and never recorded as done.
    let doc = "```console\nerror[E0277]: the trait bound is not satisfied\n```\n";
    let (steps, _) = plan_steps(sandbox(doc));
    assert!(steps.is_empty(), "{steps:?}");
    Test::new()
        .runbook(doc)
        .args(["plan", RUNBOOK])
        .stdout_contains(
            "this `console` block has no `$ ` lines and reads as output, so it is shown, not run",
        )
        .run();
}

#[test]
fn a_comment_after_a_prompt_line_is_not_expected_output() {
    let doc = "```console\n$ echo hi\n# says hi to the operator\nhi\n```\n";
    let out = Test::new().runbook(doc).run_yes().run();
    let transcript = out.transcript();
    assert!(
        transcript.contains("how=example-matches"),
        "the comment was compared with the output:\n{transcript}"
    );
}

#[test]
fn what_is_not_a_step_stays_out() {
    let doc = unindent(
        r#"
        ```bash
        f=$(mktemp /tmp/x.XXXXXX)
        echo HI | tr '[A-Z]' '[a-z]'
        [[ -f "$f" ]] && echo yes
        a=(one two); echo "${a[0]}" "${a[@]}"
        cat <<EOF
        [ ] not a task [NOT A FIELD] <not-a-placeholder> XXXXXX ____
        EOF
        echo "[ ] also not a task"
        kubectl get pods -o go-template='{{ .status.phase }}' --set image={{ .Values.image }}
        echo "${{ secrets.DEPLOY_TOKEN }}"
        ```

        ```markdown
        - [ ] an example checkbox in an issue template
        Owner: ____
        ```

        ```md
        * [ ] another example
        ```

        ````
        - [ ] an example in four backticks
        ```bash
        echo nested
        ```
        ````
        "#,
    );
    let (steps, _) = plan_steps(sandbox(&doc));
    assert_eq!(kinds(&steps), [("command", 1)], "{steps:?}");
}

#[test]
fn a_task_prompt_for_a_box_in_a_list_item() {
    let doc = "- ☐ Rollback plan verified\n";
    let sandbox = sandbox(doc);
    let mut pty = run(&sandbox);
    pty.expect("Rollback plan verified");
    pty.answer(TASK, "d");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    assert!(
        line_with(&transcript, "Rollback plan").starts_with("- ☒ <!--rs:task "),
        "{transcript}"
    );
    strips_back(sandbox, doc);
}
