//! Hostile documents and damaged transcripts: each one gets a clear error
//! that names the file, or a correct run whose transcript strips back byte
//! for byte. Never a panic.

use std::time::{Duration, Instant};

use crate::common::{
    OUT, Output, RUN_ANSWERED, RUNBOOK, Sandbox, Test, assert_same_bytes, unindent,
};

/// `plan` reports the document as an error found (exit 1) and `run` refuses
/// it before anything runs (exit 2), both with an `error:` naming the file and
/// saying what is wrong with it.
fn refused(document: &[u8], reason: &str) {
    let out = Test::new()
        .runbook(document)
        .args(["plan", RUNBOOK])
        .status(1)
        .stderr_contains("error:")
        .stderr_contains(RUNBOOK)
        .stderr_contains(reason)
        .run();
    out.then()
        .run_yes()
        .status(2)
        .stderr_contains("error:")
        .stderr_contains(RUNBOOK)
        .stderr_contains(reason)
        .run();
}

/// Runs `document` unattended, expecting `status`, and checks that `strip`
/// gives the document back byte for byte.
fn runs_and_strips_back(document: &[u8], status: i32) -> Output {
    let out = Test::new().runbook(document).run_yes().status(status).run();
    let stripped = out.then().args(["strip", OUT]).run();
    assert_same_bytes(&stripped.stdout_bytes, document, "strip");
    stripped
}

// --- Bytes that are not a Markdown document ----------------------------------

#[test]
fn binary_data_is_refused() {
    refused(
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0",
        "binary data",
    );
    // Text first, then a NUL: the line of the NUL is named.
    refused(b"# Deploy\n\n- [ ] one\n\0\x01\x02\n", "runbook.md:4");
}

#[test]
fn utf16_is_refused_as_binary() {
    refused(b"\xff\xfe#\0 \0T\0\n\0", "binary data");
}

#[test]
fn invalid_utf8_is_refused_at_its_line_and_column() {
    refused(
        b"# Deploy\n\n- [ ] ok\n- [ ] \xff\xfe broken\n",
        "runbook.md:4:7: not valid UTF-8",
    );
}

#[test]
fn latin1_text_is_refused_at_the_first_accented_letter() {
    // "# Café\n\n- [ ] Vérifier\n" saved as ISO-8859-1.
    refused(
        b"# Caf\xe9\n\n- [ ] V\xe9rifier\n",
        "runbook.md:1:6: not valid UTF-8 (byte 0xe9)",
    );
}

// --- Line endings and byte-order marks ----------------------------------------

#[test]
fn a_byte_order_mark_stays_first_and_strips_back() {
    let document = "\u{feff}# Deploy\n\n- [ ] manual\n\n```bash\necho hi\n```\n";
    let out = runs_and_strips_back(document.as_bytes(), 3);
    let transcript = out.transcript();
    let after_bom = transcript
        .strip_prefix('\u{feff}')
        .expect("the BOM stays first");
    assert!(
        after_bom
            .trim_start_matches('\n')
            .starts_with("<!--rs:run "),
        "the run summary must follow the BOM:\n{transcript}"
    );
    assert_eq!(out.outputs(), vec!["hi\n".to_string()]);
}

#[test]
fn crlf_documents_get_crlf_annotations_and_strip_back() {
    let document = "# Deploy\r\n\r\n- [ ] First\r\n  ```bash\r\n  echo hi\r\n  ```\r\n";
    let out = runs_and_strips_back(document.as_bytes(), 0);
    let transcript = out.transcript();
    let bare = transcript
        .match_indices('\n')
        .filter(|&(i, _)| i == 0 || transcript.as_bytes()[i - 1] != b'\r')
        .count();
    assert_eq!(
        bare, 0,
        "lines runsheet added to a CRLF document end in a bare LF:\n{transcript:?}"
    );
    assert_eq!(out.outputs(), vec!["hi\n".to_string()]);
}

/// Classic Mac line endings: nothing may break, and the transcript strips back.
#[test]
fn carriage_return_only_documents_run_and_strip_back() {
    runs_and_strips_back(b"# Deploy\r\r- [ ] First\r\rSome text.\r", 3);
    runs_and_strips_back(b"# Deploy\r\r```bash\recho hi\r```\r\r- [ ] a\r", 3);
}

/// A CR-only document has the same steps as its LF twin.
#[test]
fn carriage_return_only_documents_find_the_steps_of_their_lf_twin() {
    let lf = "# Deploy\n\n```bash\necho hi\n```\n\n- [ ] a\n";
    let want = Test::new()
        .runbook(lf)
        .args(["plan", "--format", "json", RUNBOOK])
        .run()
        .stdout
        .matches("\"kind\"")
        .count();
    let cr = Test::new()
        .runbook(lf.replace('\n', "\r"))
        .args(["plan", "--format", "json", RUNBOOK])
        .run();
    let got = cr.stdout.matches("\"kind\"").count();
    assert!(
        got == want || cr.stderr.contains("line ending"),
        "the CR-only twin has {got} steps, the LF one {want}, and no word about line endings:\n{}\n{}",
        cr.stdout,
        cr.stderr
    );
}

// --- Size and depth -------------------------------------------------------------

/// 100 MB of paragraphs with a task and a command every megabyte. Measured
/// in a release build: `plan` takes about 0.8 s and 200 MB of memory on it
/// (2 s on a loaded machine), so the full size is kept.
#[test]
fn plan_finishes_on_a_100_mb_document() {
    const SIZE: usize = 100_000_000;
    let paragraph = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod \
                     tempor incididunt ut labore et dolore magna aliqua. "
        .repeat(3)
        + "\n\n";
    let mut document = String::with_capacity(SIZE + 1024);
    let mut sections = 0;
    while document.len() < SIZE {
        if document.len() / 1_000_000 >= sections {
            sections += 1;
            document.push_str(&format!(
                "## Section {sections}\n\n- [ ] task {sections}\n  ```bash\n  echo {sections}\n  ```\n\n"
            ));
        }
        document.push_str(&paragraph);
    }
    let started = Instant::now();
    let out = Test::new()
        .runbook(&document)
        .args(["plan", "--format", "json", RUNBOOK])
        .run();
    eprintln!(
        "plan of {} bytes took {:?}",
        document.len(),
        started.elapsed()
    );
    assert_eq!(
        out.stdout.matches("\"kind\": \"command\"").count()
            + out.stdout.matches("\"kind\":\"command\"").count(),
        sections,
        "every command is found"
    );
}

#[test]
fn a_list_nested_100_000_deep_on_one_line_runs_and_strips_back() {
    let document = format!("{}[ ] deep\n\nafter\n", "- ".repeat(100_000));
    runs_and_strips_back(document.as_bytes(), 3);
}

/// Each item on its own line, one level deeper than the one before; depth is
/// kept to 2,000 because the indentation grows the file quadratically (4 MB).
#[test]
fn a_list_nested_2_000_deep_by_indentation_runs_and_strips_back() {
    let mut document = String::new();
    for depth in 0..2_000 {
        document.push_str(&"  ".repeat(depth));
        document.push_str(if depth % 100 == 99 {
            "- [ ] task\n"
        } else {
            "- item\n"
        });
    }
    runs_and_strips_back(document.as_bytes(), 3);
}

#[test]
fn blockquotes_nested_100_000_deep_run_and_strip_back() {
    let document = format!("{}- [ ] deep\n", "> ".repeat(100_000));
    runs_and_strips_back(document.as_bytes(), 3);
    let document = format!("{} text with a blank ____\n", ">".repeat(100_000));
    runs_and_strips_back(document.as_bytes(), 3);
    let document = format!("{}[ ] mixed\n", "> - ".repeat(50_000));
    runs_and_strips_back(document.as_bytes(), 3);
}

#[test]
fn a_command_inside_100_000_blockquotes_runs_and_strips_back() {
    let quote = "> ".repeat(100_000);
    let document =
        format!("{quote}- [ ] deep\n{quote}  ```bash\n{quote}  echo deep\n{quote}  ```\n");
    runs_and_strips_back(document.as_bytes(), 0);
}

fn million_line_block(info: &str) -> String {
    let mut document = format!("# Big block\n\n```bash{info}\n");
    document.push_str(&"echo line\n".repeat(1_000_000));
    document.push_str("```\n");
    document
}

#[test]
fn plan_lists_a_million_line_block() {
    Test::new()
        .runbook(million_line_block(""))
        .args(["plan", RUNBOOK])
        .stdout_contains("1 command")
        .run();
}

#[test]
fn a_skipped_million_line_block_runs_and_strips_back() {
    let document = million_line_block(" {skip}");
    let out = runs_and_strips_back(document.as_bytes(), 0);
    assert!(
        out.transcript().contains("status=skipped"),
        "the block is recorded as skipped"
    );
}

// --- Broken structure -------------------------------------------------------------

#[test]
fn an_unclosed_fence_runs_to_the_end_and_is_closed_before_its_output() {
    let document = "# Deploy\n\n```bash\necho one\necho two\n";
    Test::new()
        .runbook(document)
        .args(["plan", RUNBOOK])
        .stdout_contains("never closed")
        .run();
    let out = runs_and_strips_back(document.as_bytes(), 0);
    assert_eq!(out.outputs(), vec!["one\ntwo\n".to_string()]);
    // Without a newline at the end, too.
    let out = runs_and_strips_back(b"```bash\necho one", 0);
    assert_eq!(out.outputs(), vec!["one\n".to_string()]);
}

/// A fence left open above another block: the prose after it and the next
/// block's opening line would run as commands, until the next block's
/// closing fence closes it. The line that opens a block inside a block is an
/// error that names it; nothing runs. A fence shown inside a longer one, or
/// indented as a block's own text, is not that.
#[test]
fn a_block_left_open_above_another_block_is_an_error_and_nothing_runs() {
    let document = "# Ops\n\n## Cleanup\n\n```bash\ntouch cleaned\n\n## Rollback\n\n\
                    If it fails, run this:\n\n```bash\ntouch rolled-back\n```\n\n- [ ] Tell the team\n";
    let want = "error: this line opens a `bash` block inside the block that starts on line 5";
    let plan = Test::new()
        .runbook(document)
        .args(["plan", RUNBOOK])
        .status(1)
        .stdout_contains(want)
        .stdout_contains("runbook.md:12:1")
        .run();
    let out = plan
        .then()
        .args(["run", "--yes", RUNBOOK, "-o", OUT])
        .status(2)
        .stderr_contains(want)
        .run();
    assert!(!out.exists("cleaned") && !out.exists("rolled-back"));
    assert!(!out.exists(OUT), "a transcript was written");
    for fine in [
        "````bash\ncat > notes.md <<'EOF'\n```bash\nmake\n```\nEOF\ntouch ran\n````\n",
        "```bash\ncat > notes.md <<'EOF'\n    ```bash\n    make\nEOF\ntouch ran\n```\n",
    ] {
        let out = Test::new()
            .runbook(fine)
            .args(["run", "--yes", RUNBOOK, "-o", OUT])
            .run();
        assert!(out.exists("ran"), "{fine}");
    }
}

#[test]
fn front_matter_that_is_not_yaml_is_left_alone() {
    let document = "---\n: : [\n---\n# Deploy\n\n- [ ] manual\n\n```bash\necho hi\n```\n";
    Test::new()
        .runbook(document)
        .args(["plan", RUNBOOK])
        .stdout_contains("1 task")
        .run();
    let out = runs_and_strips_back(document.as_bytes(), 3);
    assert!(
        out.transcript().starts_with("---\n: : [\n---\n<!--rs:run "),
        "the run summary goes after the front matter:\n{}",
        out.transcript()
    );
}

#[test]
fn a_timeout_too_large_for_a_duration_is_a_plan_error() {
    let document = "```bash {timeout=99999999999999999999999}\necho hi\n```\n";
    Test::new()
        .runbook(document)
        .args(["plan", RUNBOOK])
        .status(1)
        .stdout_contains("runbook.md:1:")
        .stdout_contains("timeout")
        .run();
}

#[test]
fn a_timeout_option_too_large_for_a_duration_is_a_usage_error() {
    Test::new()
        .runbook("```bash\necho hi\n```\n")
        .args([
            "run",
            "--yes",
            "--timeout",
            "99999999999999999999999",
            RUNBOOK,
        ])
        .status(2)
        .stderr_contains("timeout")
        .run();
}

/// pulldown-cmark decodes entities in a fence's info string, so an offset
/// into the decoded text does not land on the same byte of the source: here
/// the caret for `nmae` would fall inside an `é`.
#[test]
fn a_misspelt_attribute_after_an_entity_is_a_plan_error() {
    Test::new()
        .runbook("```bash {expect=&quot;ééééé&quot; nmae=1}\necho\n```\n")
        .args(["plan", RUNBOOK])
        .status(1)
        .stdout_contains("unknown attribute `nmae`")
        .run();
}

/// `<<<` (a here-string with nothing after it, or a bare merge-conflict
/// marker) at the end of a line of a command, or before a multi-byte
/// character: looking for placeholders must not slice past the line.
#[test]
fn a_here_string_at_the_end_of_a_command_line_plans() {
    for line in ["cat <<<", "<<<<<<<", "echo <<<▸"] {
        Test::new()
            .runbook(format!("```bash\n{line}\n```\n"))
            .args(["plan", RUNBOOK])
            .stdout_contains("1 command")
            .run();
    }
}

/// An HTML comment opener in prose before a blank: a marker after the blank
/// would end that comment and swallow its own opening half.
#[test]
fn a_blank_after_an_unclosed_comment_opener_strips_back() {
    // The blank is left alone, so there is nothing to ask.
    runs_and_strips_back(b"Owner <!-- ___\n", 0);
}

/// The same with an HTML declaration opener (`<!` and a letter), which the
/// first `>` ends: the `-->` of the marker after the blank.
#[test]
fn a_blank_after_an_unclosed_declaration_opener_strips_back() {
    // A marker after the blank would end the declaration: the blank is left
    // alone, so nothing is asked.
    let out = Test::new()
        .runbook("Use <!DOCTYPE and fill ____\n")
        .run_yes()
        .status(0)
        .run();
    let stripped = out.then().args(["strip", OUT]).run();
    assert_same_bytes(
        &stripped.stdout_bytes,
        b"Use <!DOCTYPE and fill ____\n",
        "strip",
    );
}

/// A backtick in an answer, after a backtick the document left open earlier
/// in the line: what runsheet writes (the filled code span, the marker's
/// `value=`) must not pair with the stray one and swallow a marker. Either
/// the blank is left alone (then the answers key names no step: a clear
/// error) or the transcript strips back.
#[test]
fn an_answer_with_backticks_after_a_stray_backtick_strips_back() {
    let document = "Run `kubectl get pods and write the count: ____\n";
    let sandbox = Sandbox::new();
    sandbox.write(RUNBOOK, document);
    sandbox.write("answers.yaml", "count: \"`3` pods\"\n");
    let mut run = sandbox.command();
    run.args(RUN_ANSWERED);
    let run = assert_cmd::Command::from_std(run)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runsheet runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    match run.status.code() {
        Some(2) => assert!(stderr.contains("answers.yaml"), "{stderr}"),
        Some(0) => {
            let stripped = Test::in_sandbox(sandbox).args(["strip", OUT]).run();
            assert_same_bytes(&stripped.stdout_bytes, document.as_bytes(), "strip");
        }
        code => panic!("exit {code:?}:\n{stderr}"),
    }
}

/// A byte-order mark and then a fence indented three spaces: the lines
/// runsheet adds under it must line up with it, not one column further right
/// (four spaces would make them code).
#[test]
fn a_bom_then_a_fence_indented_three_spaces_strips_back() {
    runs_and_strips_back("\u{feff}   ```sh\n   echo hi\n   ```\n".as_bytes(), 0);
    runs_and_strips_back("\u{feff}   ```sh\n   echo hi\n".as_bytes(), 0);
}

/// A block quote without a space after `>` around a list item whose fence is
/// never closed: the lines runsheet adds must stay inside the same containers.
#[test]
fn a_fence_in_a_list_in_a_quote_without_a_space_strips_back() {
    runs_and_strips_back(b">* ```bash\n>  echo hi\n>  ```\n", 0);
}

/// A fence indented one space whose last line is indented four: that line
/// does not close it (at most three spaces may precede a closing fence), so
/// the fence runs to the end of the document.
#[test]
fn a_fence_indented_one_space_with_a_last_line_indented_four_strips_back() {
    runs_and_strips_back(b" ```bash\n echo hi\n    ```\n", 1);
}

/// Blanks shown in an indented code block are example text: either they are
/// left alone, or the markers that record them must still come out again.
#[test]
fn blanks_in_an_indented_code_block_strip_back() {
    runs_and_strips_back(
        b"# Deploy\n\nExample:\n\n    Started at [START TIME]\n    Owner: ______\n",
        0,
    );
}

/// A heading task written as a setext heading right after a plain fence
/// holding a checkbox: ticking the heading's box and recording the fence's
/// boxes are two edits at the same byte.
#[test]
fn a_setext_heading_task_right_after_a_fence_with_a_box_is_ticked() {
    let out = Test::new()
        .runbook("```\n[ ] a\n```\n[ ] Title\n---\n")
        .run_answered("Title: done\n")
        .status(3)
        .run();
    let stripped = out.then().args(["strip", OUT]).run();
    assert_same_bytes(
        &stripped.stdout_bytes,
        b"```\n[ ] a\n```\n[ ] Title\n---\n",
        "strip",
    );
}

/// Carriage returns, then a line feed: the line that holds the fence starts
/// after the last carriage return, not at the start of the file.
#[test]
fn carriage_returns_then_an_indented_fence_strip_back() {
    runs_and_strips_back(b"\r\r  ```sh\n  echo hi\n", 0);
}

/// Whitespace between a nested list marker and its box (`  - \t[ ]`), where
/// the parser's range for the box starts at the tab: ticking the box
/// replaces the box, not the tab before it.
#[test]
fn a_tab_before_a_ticked_box_strips_back() {
    let document = "- Deploy\n  - \t[ ] Say hi\n";
    let out = Test::new()
        .runbook(document)
        .run_answered("Say hi: done\n")
        .run();
    assert!(
        out.transcript().contains("  - \t[x] <!--rs:task"),
        "{}",
        out.transcript()
    );
    let stripped = out.then().args(["strip", OUT]).run();
    assert_same_bytes(&stripped.stdout_bytes, document.as_bytes(), "strip");
}

/// A list item, a lazy continuation line, then a fence indented into the
/// item that is never closed, and a checkbox after it at the margin.
#[test]
fn an_unclosed_fence_after_a_lazy_line_in_a_list_strips_back() {
    runs_and_strips_back(b"-\n  - [ ]\n.\n  ```\n[ ]", 3);
}

/// The same unclosed fence holding runsheet marker text of the document's
/// own: the run summary lists where that text is (`lit`), so reading the
/// transcript by layout leaves it in the document.
#[test]
fn marker_text_in_a_fence_the_parser_misreads_strips_back() {
    let document = b"-\n  - [ ]\n.\n  ```\n<!--rs:task id=s9 status=done-->x<!--/rs:task-->\n[ ]";
    let stripped = runs_and_strips_back(document, 3);
    let transcript = stripped.read(OUT);
    assert!(transcript.contains(" lit=18,51 len=70-->"), "{transcript}");
}

// --- Damaged and forged transcripts -------------------------------------------

/// A run that stopped at its second command, so there is something to resume.
const STOPPED: &str = "
    # Deploy

    - [ ] Prepare
      ```bash
      echo one
      ```
    - [ ] Check
      ```bash
      test -e flag
      ```
    - [ ] Last
      ```bash
      echo last >> log
      ```
    ";

/// Runs `STOPPED`, lets `damage` edit the transcript, then checks that both
/// `strip` and `resume` refuse it with an `error:` naming the transcript and
/// saying why, and that `resume` ran nothing and left the file alone.
fn damaged(damage: impl Fn(&str) -> String, reason: &str) {
    let out = Test::new()
        .runbook(unindent(STOPPED))
        .run_yes()
        .status(1)
        .run();
    let before = out.transcript();
    let after = damage(&before);
    assert_ne!(after, before, "the damage did not apply:\n{before}");
    out.write(OUT, &after);
    out.write("flag", "");
    let out = out
        .then()
        .args(["strip", OUT])
        .status(2)
        .stderr_contains("error:")
        .stderr_contains(OUT)
        .stderr_contains(reason)
        .run();
    assert!(
        out.stdout.is_empty(),
        "strip printed a source:\n{}",
        out.stdout
    );
    let out = out
        .then()
        .args(["resume", "--yes", OUT])
        .status(2)
        .stderr_contains("error:")
        .stderr_contains(OUT)
        .stderr_contains(reason)
        .run();
    assert!(
        !out.exists("log"),
        "resume ran a step of a damaged transcript"
    );
    assert_eq!(
        out.transcript(),
        after,
        "resume rewrote a damaged transcript"
    );
}

/// `text` without the first (or last) line that is `line` once trimmed.
fn without_line(text: &str, line: &str, from_end: bool) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut at = lines.iter().enumerate().filter(|(_, l)| l.trim() == line);
    let at = if from_end { at.next_back() } else { at.next() }
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no line {line:?} in\n{text}"));
    lines
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != at)
        .map(|(_, l)| *l)
        .collect()
}

#[test]
fn a_transcript_missing_its_last_closing_marker_is_refused() {
    damaged(
        |t| without_line(t, "<!--/rs:out-->", true),
        "is never closed",
    );
}

#[test]
fn a_transcript_missing_a_closing_marker_in_the_middle_is_refused() {
    damaged(
        |t| without_line(t, "<!--/rs:out-->", false),
        "markers are damaged",
    );
}

#[test]
fn a_closing_marker_alone_is_refused() {
    damaged(
        |t| format!("{t}<!--/rs:out-->\n"),
        "closing `out` marker with no opening one",
    );
    damaged(
        |t| t.replacen("# Deploy\n", "# Deploy\n\nText <!--/rs:task--> here.\n", 1),
        "closing marker with no opening one",
    );
}

#[test]
fn a_ticked_box_edited_back_to_unticked_is_refused() {
    damaged(
        |t| {
            let ticked = t.find("- [x] <!--rs:task ").expect("a ticked task");
            assert!(t[ticked..].split('\n').next().unwrap().contains("tick=1"));
            format!("{}- [ ]{}", &t[..ticked], &t[ticked + 5..])
        },
        "ticked box is no longer `[x]`",
    );
}

#[test]
fn a_marker_whose_pre_runs_past_the_start_is_refused() {
    damaged(
        |t| t.replacen("exit=1", "exit=1 pre=999999", 1),
        "`pre` runs past the start",
    );
}

#[test]
fn a_forged_output_marker_in_a_plain_document_is_refused() {
    // Someone pastes a "done" marker under a step to make resume skip it.
    let forged = unindent(STOPPED).replace(
        "  test -e flag\n  ```\n",
        "  test -e flag\n  ```\n  <!--rs:out id=s4 status=done-->\n",
    );
    let out = Test::new()
        .runbook(&forged)
        .args(["strip", RUNBOOK])
        .status(2)
        .stderr_contains("error:")
        .stderr_contains(RUNBOOK)
        .stderr_contains("never closed")
        .run();
    out.then()
        .args(["resume", "--yes", RUNBOOK])
        .status(2)
        .stderr_contains("error:")
        .stderr_contains(RUNBOOK)
        .run();
}

/// A `pre` that still lands inside the document takes real bytes with it;
/// `resume` and `strip` notice through the recorded sha256.
#[test]
fn a_marker_whose_pre_eats_document_bytes_is_refused_by_strip() {
    let out = Test::new()
        .runbook(unindent(STOPPED))
        .run_yes()
        .status(1)
        .run();
    let damaged = out.transcript().replacen("exit=1", "exit=1 pre=6", 1);
    out.write(OUT, &damaged);
    out.then()
        .args(["resume", "--yes", OUT])
        .status(2)
        .stderr_contains(OUT)
        .run()
        .then()
        .args(["strip", OUT])
        .status(2)
        .stderr_contains("error:")
        .stderr_contains(OUT)
        .run();
}

/// Markers without the run summary (a transcript whose header was cut off, or
/// a page that quotes them): `run` reads the document as it stands, and its
/// transcript must still strip back to it.
#[test]
fn markers_without_a_run_summary_strip_back_or_are_refused() {
    let document =
        "- [x] <!--rs:task id=s1 status=done tick=1-->done <!--/rs:task-->Deploy\n- [ ] Next\n";
    let sandbox = Sandbox::new();
    sandbox.write(RUNBOOK, document);
    let mut run = sandbox.command();
    run.args(["run", "--yes", RUNBOOK, "-o", OUT]);
    let run = assert_cmd::Command::from_std(run)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runsheet runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    match run.status.code() {
        Some(2) => assert!(stderr.contains(RUNBOOK), "{stderr}"),
        Some(0 | 1 | 3) => {
            let stripped = Test::in_sandbox(sandbox).args(["strip", OUT]).run();
            assert_same_bytes(&stripped.stdout_bytes, document.as_bytes(), "strip");
        }
        code => panic!("exit {code:?}:\n{stderr}"),
    }
}
