//! Where an answer came from: a blank or choice the answers file answered is
//! recorded as the file's (`how=answers-file` on its mark, and a note a
//! reader sees), in unattended and interactive runs and on resume; one typed
//! at the terminal is not. The transcript still strips back to the runbook.

use regex::Regex;

use crate::common::{OUT, RUN, RUNBOOK, Sandbox, Test, line_with, sandbox, unindent};
use crate::fields::{FROM_FILE, strips_back, visible};

const VALUE: &str =
    "Value (`now` for the current UTC time, empty to skip) · [q]uit / [b]ack / [g]o to";

/// The blank's prompt when it is asked again, with a value from before.
const VALUE_AGAIN: &str = "Value (`now` for the current UTC time, empty keeps the value before) · \
                           [q]uit / [b]ack / [g]o to";

/// Two blanks (`s1`, `s2`) and a choice (`s4`, in the task `s3`).
const RELEASE: &str = r"
    # Release

    Release manager: ____

    Rollback owner: ____

    - [ ] CAB decision: `GO / NO-GO`
    ";

/// `RELEASE` with a `manual` block after it.
const WITH_MANUAL: &str = r"
    # Release

    Release manager: ____

    Rollback owner: ____

    - [ ] CAB decision: `GO / NO-GO`

    ```bash {manual name=flip}
    echo flip the switch
    ```
    ";

/// The opening `fill` marker of step `id`.
fn fill_marker(transcript: &str, id: &str) -> String {
    let pattern = Regex::new(&format!(r"<!--rs:fill id={id} [^>]*-->")).expect("a valid pattern");
    pattern
        .find(transcript)
        .unwrap_or_else(|| panic!("no fill marker for {id} in:\n{transcript}"))
        .as_str()
        .to_string()
}

/// The `how` words of a marker, in order.
fn how(marker: &str) -> Vec<String> {
    marker
        .trim_end_matches("-->")
        .split(' ')
        .find_map(|w| w.strip_prefix("how="))
        .map(|h| h.split(',').map(str::to_string).collect())
        .unwrap_or_default()
}

/// `runsheet report` of the transcript: the `reasons` of each step of `ids`.
fn reasons(sandbox: Sandbox, ids: &[&str]) -> (Vec<Vec<String>>, Sandbox) {
    let out = Test::in_sandbox(sandbox).args(["report", OUT]).run();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let steps = report["steps"].as_array().expect("steps");
    let found = ids
        .iter()
        .map(|id| {
            let step = steps
                .iter()
                .find(|s| s["id"] == *id)
                .unwrap_or_else(|| panic!("no step {id} in the report"));
            step["reasons"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .map(|w| w.as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    (found, out.sandbox)
}

/// The blank `s1` and the choice `s4` are the file's; the blank `s2` was
/// typed at the terminal (`Sam`).
fn assert_owner_typed(sandbox: Sandbox, source: &str) {
    let transcript = sandbox.transcript();
    assert_eq!(how(&fill_marker(&transcript, "s1")), ["answers-file"]);
    assert_eq!(how(&fill_marker(&transcript, "s4")), ["answers-file"]);
    assert!(
        how(&fill_marker(&transcript, "s2")).is_empty(),
        "{transcript}"
    );
    // (On resume, each is followed by the attempt nobody answered.)
    let manager = visible(&line_with(&transcript, "Release manager"));
    assert!(
        manager.starts_with(&format!("Release manager: `Alice`{FROM_FILE}")),
        "{manager}"
    );
    let owner = visible(&line_with(&transcript, "Rollback owner"));
    assert!(
        owner.starts_with("Rollback owner: `Sam`") && !owner.contains("answers file"),
        "{owner}"
    );
    assert!(
        visible(&line_with(&transcript, "CAB decision"))
            .contains(&format!("CAB decision: `☒ GO / ☐ NO-GO`{FROM_FILE}")),
        "{transcript}"
    );
    let (found, sandbox) = reasons(sandbox, &["s1", "s2", "s4"]);
    assert_eq!(
        found,
        [
            vec!["answers-file".to_string()],
            vec![],
            vec!["answers-file".to_string()]
        ]
    );
    strips_back(sandbox, source);
}

#[test]
fn an_unattended_run_marks_the_blank_and_choice_the_answers_file_answered() {
    let source = unindent(WITH_MANUAL);
    let out = Test::new()
        .runbook(&source)
        .run_answered("Release manager: Alice\nRollback owner: Sam\nCAB decision: GO\nflip: done\n")
        .run();
    let transcript = out.transcript();
    for id in ["s1", "s2", "s4"] {
        assert_eq!(
            how(&fill_marker(&transcript, id)),
            ["answers-file"],
            "{transcript}"
        );
    }
    for (label, filled) in [
        ("Release manager", "Release manager: `Alice`"),
        ("Rollback owner", "Rollback owner: `Sam`"),
        ("CAB decision", "CAB decision: `☒ GO / ☐ NO-GO`"),
    ] {
        let seen = visible(&line_with(&transcript, label));
        assert!(seen.ends_with(&format!("{filled}{FROM_FILE}")), "{seen}");
    }
    // A `manual` block the file said was done says so where a reader looks.
    let flip = line_with(&transcript, "<!--rs:out id=flip ");
    assert!(flip.contains(" how=answers-file "), "{flip}");
    assert!(
        visible(&flip).ends_with(" · answered in the answers file"),
        "{flip}"
    );
    let (found, sandbox) = reasons(out.sandbox, &["s1", "s2", "s4", "flip"]);
    for words in found {
        assert_eq!(words, ["answers-file"]);
    }
    strips_back(sandbox, &source);
}

#[test]
fn a_failing_answer_from_the_file_says_both_why_it_failed_and_where_it_came_from() {
    let source = unindent(RELEASE);
    let out = Test::new()
        .runbook(&source)
        .run_answered("Release manager: Alice\nRollback owner: Sam\nCAB decision: NO-GO\n")
        .status(1)
        .run();
    let transcript = out.transcript();
    let marker = fill_marker(&transcript, "s4");
    assert_eq!(how(&marker), ["negative", "answers-file"], "{marker}");
    assert!(
        visible(&line_with(&transcript, "CAB decision"))
            .ends_with(&format!("❌ CAB decision: NO-GO{FROM_FILE}")),
        "{transcript}"
    );
    strips_back(out.sandbox, &source);
}

#[test]
fn a_blank_typed_at_the_terminal_is_not_marked_but_one_the_file_answered_is() {
    let source = unindent(RELEASE);
    let sandbox = sandbox(RELEASE);
    sandbox.write("answers.yaml", "Release manager: Alice\nCAB decision: GO\n");
    let mut pty = sandbox.pty(
        &["run", "--answers", "answers.yaml", RUNBOOK, "-o", OUT],
        &[],
    );
    pty.expect("Rollback owner: ____");
    pty.answer(VALUE, "Sam");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_owner_typed(sandbox, &source);
}

#[test]
fn resume_with_an_answers_file_marks_what_it_answered() {
    let source = unindent(RELEASE);
    let out = Test::new().runbook(&source).run_yes().status(3).run();
    let transcript = out.transcript();
    assert!(
        !transcript.contains("answers-file"),
        "nothing was answered yet:\n{transcript}"
    );
    let out = out
        .then()
        .file(
            "answers.yaml",
            "Release manager: Alice\nRollback owner: Sam\nCAB decision: GO\n",
        )
        .args(["resume", "--yes", "--answers", "answers.yaml", OUT])
        .run();
    let transcript = out.transcript();
    for id in ["s1", "s2", "s4"] {
        assert_eq!(
            how(&fill_marker(&transcript, id)),
            ["answers-file"],
            "{transcript}"
        );
    }
    let owner = visible(&line_with(&transcript, "Rollback owner"));
    assert!(
        owner.starts_with(&format!(
            "Rollback owner: `Sam`{FROM_FILE} · 1 earlier attempt"
        )),
        "{owner}"
    );
    strips_back(out.sandbox, &source);
}

#[test]
fn resume_at_a_terminal_marks_the_file_answers_and_not_the_typed_ones() {
    let source = unindent(RELEASE);
    let out = Test::new().runbook(&source).run_yes().status(3).run();
    let sandbox = out.sandbox;
    sandbox.write("answers.yaml", "Release manager: Alice\nCAB decision: GO\n");
    let mut pty = sandbox.pty(&["resume", "--answers", "answers.yaml", OUT], &[]);
    pty.expect("Rollback owner: ____");
    pty.answer(VALUE, "Sam");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_owner_typed(sandbox, &source);
}

#[test]
fn a_blank_the_file_answered_and_the_operator_answered_again_is_the_operators() {
    let source = unindent(RELEASE);
    let sandbox = sandbox(RELEASE);
    sandbox.write("answers.yaml", "Release manager: Alice\nCAB decision: GO\n");
    let mut pty = sandbox.pty(
        &["run", "--answers", "answers.yaml", RUNBOOK, "-o", OUT],
        &[],
    );
    pty.expect("Rollback owner: ____");
    // Back to the blank the file answered: now the operator answers it.
    pty.answer(VALUE, "b");
    pty.answer("`b`: back, or is it the value? [b]ack / [v]alue", "b");
    pty.expect("Release manager: ____");
    pty.expect("  Before: Alice\n");
    pty.answer(VALUE_AGAIN, "Bob");
    pty.answer(VALUE, "Sam");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    let marker = fill_marker(&transcript, "s1");
    assert!(how(&marker).is_empty(), "{marker}");
    // The file's answer is kept as an earlier one, still the file's.
    assert!(marker.contains(" try1-how=answers-file "), "{marker}");
    let manager = visible(&line_with(&transcript, "Release manager"));
    assert!(
        manager.starts_with("Release manager: `Bob` · 1 earlier attempt: ✅ Alice ")
            && manager.ends_with("Z — answered in the answers file"),
        "{manager}"
    );
    strips_back(sandbox, &source);
}

/// Two commands that use one placeholder, which is asked once a run.
const TAGGED: &str = r"
    # Release

    ```bash
    echo tagging <release-tag>
    ```

    ```bash
    echo pushing <release-tag>
    ```
    ";

/// A placeholder's value the answers file gave is recorded as the file's, on
/// every command that used it; one typed at the prompt is not.
#[test]
fn a_placeholder_value_from_the_answers_file_is_marked_and_a_typed_one_is_not() {
    let source = unindent(TAGGED);
    let out = Test::new()
        .runbook(&source)
        .run_answered("release-tag: v1.2.3\n")
        .stdout_contains("pushing v1.2.3")
        .run();
    let transcript = out.transcript();
    let ids: Vec<String> = Regex::new(r"<!--rs:out id=(\S+) ")
        .expect("a valid pattern")
        .captures_iter(&transcript)
        .map(|c| c[1].to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{transcript}");
    for (id, word) in ids.iter().zip(["tagging", "pushing"]) {
        let status = line_with(&transcript, &format!("<!--rs:out id={id} "));
        assert!(status.contains(" how=answers-file "), "{word}: {status}");
        assert!(
            visible(&status).contains(
                " · filled from the answers file: <code>&lt;release-tag></code> = <code>v1.2.3</code>"
            ),
            "{word}: {status}"
        );
        assert!(!visible(&status).contains("answered in"), "{status}");
    }
    let (found, answered) = reasons(out.sandbox, &[&ids[0], &ids[1]]);
    assert_eq!(found, [["answers-file"], ["answers-file"]]);
    strips_back(answered, &source);

    let sandbox = sandbox(TAGGED);
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[]);
    pty.answer(RUN, "r");
    pty.answer("Value for <release-tag>", "v1.2.4");
    pty.expect("With its placeholders filled in, it runs as:");
    pty.answer(RUN, "r");
    // The second command has the value already: not asked again.
    pty.answer(RUN, "r");
    pty.expect("With its placeholders filled in, it runs as:");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    let status = line_with(&transcript, &format!("<!--rs:out id={} ", ids[0]));
    assert!(!status.contains("answers-file"), "{status}");
    assert!(
        visible(&status).contains(" · filled: <code>&lt;release-tag></code> = <code>v1.2.4</code>"),
        "{status}"
    );
}

/// A command with two placeholders.
const DEPLOY: &str = r"
    # Deploy

    ```bash
    echo deploying to <host> on port <port>
    ```
    ";

/// The opening `out` marker of the first command in `transcript`.
fn out_marker(transcript: &str) -> String {
    Regex::new(r"<!--rs:out [^>]*-->")
        .expect("a valid pattern")
        .find(transcript)
        .unwrap_or_else(|| panic!("no output marker in:\n{transcript}"))
        .as_str()
        .to_string()
}

/// `runsheet report`'s `fills` of step `id`: placeholder, value, origin.
fn report_fills(sandbox: Sandbox, id: &str) -> (Vec<(String, String, String)>, Sandbox) {
    let out = Test::in_sandbox(sandbox).args(["report", OUT]).run();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let step = report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {}", out.stdout))
        .clone();
    let fills = step["fills"]
        .as_array()
        .unwrap_or_else(|| panic!("no fills in {step}"))
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("placeholder"), s("value"), s("from"))
        })
        .collect();
    (fills, out.sandbox)
}

fn fill(placeholder: &str, value: &str, from: &str) -> (String, String, String) {
    (placeholder.into(), value.into(), from.into())
}

/// Some of a command's values from the answers file and some typed: only
/// those the file gave are called the file's, on the status line, in the
/// marker and in the report; the command is not marked `answers-file`.
#[test]
fn a_command_filled_partly_from_the_answers_file_names_only_the_files_values() {
    let source = unindent(DEPLOY);
    let sandbox = sandbox(DEPLOY);
    sandbox.write("answers.yaml", "host: web-1\n");
    let mut pty = sandbox.pty(
        &["run", "--answers", "answers.yaml", RUNBOOK, "-o", OUT],
        &[],
    );
    pty.answer(RUN, "r");
    // The file gave `<host>`: only `<port>` is asked.
    pty.answer("Value for <port>", "8080");
    pty.expect("With its placeholders filled in, it runs as:");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("Value for <host>"), "{screen}");
    let transcript = sandbox.transcript();
    let marker = out_marker(&transcript);
    assert!(how(&marker).is_empty(), "not wholly the file's: {marker}");
    assert!(marker.contains(" fills-from-file=%3Chost%3E"), "{marker}");
    let status = visible(&line_with(&transcript, "<!--rs:out "));
    assert!(
        status.contains(
            " · filled: <code>&lt;port></code> = <code>8080</code> · filled from the answers file: <code>&lt;host></code> = <code>web-1</code> · it ran as:"
        ),
        "{status}"
    );
    assert!(
        transcript.contains("deploying to web-1 on port 8080"),
        "{transcript}"
    );
    let (found, sandbox) = reasons(sandbox, &["s1"]);
    assert_eq!(found, [Vec::<String>::new()]);
    let (fills, sandbox) = report_fills(sandbox, "s1");
    assert_eq!(
        fills,
        [
            fill("<host>", "web-1", "answers-file"),
            fill("<port>", "8080", "prompt")
        ]
    );
    strips_back(sandbox, &source);

    // Every value from the file: `answers-file`, and no list of tokens.
    let out = Test::new()
        .runbook(&source)
        .run_answered("host: web-1\nport: 8080\n")
        .run();
    let transcript = out.transcript();
    let marker = out_marker(&transcript);
    assert_eq!(how(&marker), ["answers-file"], "{marker}");
    assert!(!marker.contains("fills-from-file"), "{marker}");
    let status = visible(&line_with(&transcript, "<!--rs:out "));
    assert!(
        status.contains(
            " · filled from the answers file: <code>&lt;host></code> = <code>web-1</code>, <code>&lt;port></code> = <code>8080</code> · it ran as:"
        ) && !status.contains(" · filled: "),
        "{status}"
    );
    let (fills, _) = report_fills(out.sandbox, "s1");
    assert_eq!(
        fills,
        [
            fill("<host>", "web-1", "answers-file"),
            fill("<port>", "8080", "answers-file")
        ]
    );
}

/// A transcript of a command filled partly from the file, as the previous
/// runsheet wrote it (`how=answers-file`, no list of tokens), still reads
/// as it did: each value the file's, as its status line says.
#[test]
fn a_transcript_without_the_list_of_the_files_values_reads_as_before() {
    let body = "\
<!--rs:run v=1 id=20261121T070301Z-0001 source=runbook.md sha256=0 operator=alice@ops started=2026-11-21T07:03:01Z finished=2026-11-21T07:03:02Z state=complete mode=interactive-->
> **runsheet** · `runbook.md` · alice@ops · 07:03:01Z–07:03:02Z UTC · 1 done
<!--/rs:run-->

# Deploy

```bash
echo deploying to <host> on port <port>
```
<!--rs:out id=s1 status=done at=2026-11-21T07:03:02Z exit=0 ms=4 how=answers-file fills=%253Chost%253E%3Dweb-1,%253Cport%253E%3D8080-->✅ exit 0 · 0.00s · 07:03:02Z · filled from the answers file: <code>&lt;host></code> = <code>web-1</code>, <code>&lt;port></code> = <code>8080</code> · it ran as:
```bash {rs=ran}
echo deploying to web-1 on port 8080
```
```text {rs=output}
deploying to web-1 on port 8080
```
<!--/rs:out-->
";
    let out = Test::new().file(OUT, body).args(["report", OUT]).run();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let step = &report["steps"][0];
    assert_eq!(
        step["reasons"],
        serde_json::json!(["answers-file"]),
        "{step}"
    );
    let (fills, _) = report_fills(out.sandbox, "s1");
    assert_eq!(
        fills,
        [
            fill("<host>", "web-1", "answers-file"),
            fill("<port>", "8080", "answers-file")
        ]
    );
}
