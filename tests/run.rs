//! Unattended runs (`--yes`), `strip`, `resume` and `plan`, through the real binary.

use std::time::Duration;

use crate::common::{OUT, RUNBOOK, Sandbox, Test, line_with, mode, unindent, wait_for};

/// Asserts `stderr` holds exactly one `error:` line and that it names `name`.
fn one_error_naming(stderr: &str, name: &str) {
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "want one `error:` line:\n{stderr}");
    assert!(
        errors[0].contains(name),
        "the error does not name {name}:\n{stderr}"
    );
}

// --- The shell session ------------------------------------------------------

#[test]
fn shell_state_carries_between_blocks_in_different_sections() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            # Prepare

            ```bash
            mkdir -p sub && cd sub
            PLAIN=plain-value
            export EXPORTED=exported-value
            greet() { echo "hello $1"; }
            alias say='echo said'
            set -o noclobber
            ```

            # Use

            ## Later still

            ```bash
            pwd
            echo "$PLAIN"
            bash -c 'echo "child: ${EXPORTED:-unset} ${PLAIN:-unset}"'
            greet world
            say it
            [[ -o noclobber ]] && echo noclobber-on
            ```
            "#,
        ))
        .run_yes()
        .run();
    let work = out.work().canonicalize().unwrap();
    assert_eq!(
        out.outputs(),
        vec![format!(
            "{}/sub\nplain-value\nchild: exported-value unset\nhello world\nsaid it\nnoclobber-on\n",
            work.display()
        )],
        "{}",
        out.transcript()
    );
}

/// On one processor neither runsheet nor its shell looks for the other's next
/// message before waiting for it (it would only keep the other from running):
/// a run held on one processor by `taskset` still takes every block in turn in
/// one session.
#[test]
fn a_run_held_on_one_processor_keeps_its_state_from_block_to_block() {
    let sandbox = crate::common::sandbox(
        r#"
        ```bash
        nproc
        N=1
        ```

        ```bash
        N=$((N+1)); echo "$N"
        ```

        ```bash
        N=$((N+1)); echo "$N"
        ```
        "#,
    );
    let runsheet = sandbox.command();
    let mut held = std::process::Command::new("taskset");
    held.args(["-c", "0"])
        .arg(runsheet.get_program())
        .args(["run", "--yes", RUNBOOK, "-o", OUT])
        .current_dir(runsheet.get_current_dir().expect("the sandbox's directory"))
        .stdin(std::process::Stdio::null());
    for (key, value) in runsheet.get_envs() {
        match value {
            Some(value) => held.env(key, value),
            None => held.env_remove(key),
        };
    }
    let out = held
        .output()
        .expect("run runsheet under taskset (util-linux)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The blocks ran on the one processor they were given.
    assert_eq!(sandbox.outputs(), vec!["1\n", "2\n", "3\n"]);
}

#[test]
fn a_failing_command_fails_its_block_and_stops_the_run() {
    let runbook = unindent(
        r#"
        ```bash
        echo a; false; echo b
        ```

        ```bash
        touch later
        ```
        "#,
    );
    let out = Test::new().runbook(&runbook).run_yes().status(1).run();
    assert_eq!(out.outputs(), vec!["a\n".to_string()]);
    assert!(out.transcript().contains("status=failed"));
    assert!(!out.exists("later"), "a block after the failure ran");

    let out = Test::new()
        .runbook(&runbook)
        .args(["run", "--yes", "--keep-going", RUNBOOK, "-o", OUT])
        .status(1)
        .run();
    assert_eq!(out.outputs(), vec!["a\n".to_string()]);
    assert!(out.exists("later"), "--keep-going did not go on");
}

#[test]
fn exit_in_a_block_restarts_the_session_from_the_last_state() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            ```bash
            V=before; f() { echo "fn-$1"; }; mkdir -p sub && cd sub
            ```

            ```bash
            exit 7
            ```

            ```bash
            echo "$V"; f x; basename "$PWD"
            ```
            "#,
        ))
        .args(["run", "--yes", "--keep-going", RUNBOOK, "-o", OUT])
        .status(1)
        .run();
    let transcript = out.transcript();
    assert!(
        transcript.contains("status=failed") && transcript.contains("exit=7"),
        "{transcript}"
    );
    assert!(transcript.contains("❌ exit 7"), "{transcript}");
    assert!(
        transcript.contains("the shell ended; a new session went on"),
        "{transcript}"
    );
    assert_eq!(
        out.outputs(),
        vec!["before\nfn-x\nsub\n".to_string()],
        "{transcript}"
    );
}

// --- Tasks under --yes ------------------------------------------------------

#[test]
fn manual_task_is_not_ticked_when_nobody_confirms_it() {
    let out = Test::new()
        .runbook("# Deploy\n\n- [ ] Check the dashboard\n")
        .run_yes()
        .status(3)
        .stderr_contains("not confirmed")
        .run();
    let transcript = out.transcript();
    assert!(!transcript.contains("[x]"), "{transcript}");
    let line = transcript
        .lines()
        .find(|l| l.contains("Check the dashboard"))
        .unwrap();
    assert!(line.starts_with("- [ ] "), "{line}");
    assert!(line.contains("status=not-confirmed"), "{line}");
    assert!(line.contains("not confirmed"), "{line}");
}

#[test]
fn task_whose_commands_succeed_is_ticked() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            - [ ] Build
              ```bash
              echo built
              ```
            "#,
        ))
        .run_yes()
        .run();
    let transcript = out.transcript();
    let line = line_with(&transcript, "Build");
    assert!(line.starts_with("- [x] "), "{transcript}");
    assert!(line.contains("status=done"), "{transcript}");
    assert_eq!(out.outputs(), vec!["built\n".to_string()]);
}

#[test]
fn task_whose_command_fails_is_not_ticked() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            - [ ] Build
              ```bash
              false
              ```
            "#,
        ))
        .run_yes()
        .status(1)
        .run();
    let transcript = out.transcript();
    let line = line_with(&transcript, "Build");
    assert!(line.starts_with("- [ ] "), "{transcript}");
}

#[test]
fn already_ticked_items_are_neither_asked_nor_run() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            - [x] Already done
              ```bash
              touch should-not-exist
              ```
            - [ ] Still to do
            "#,
        ))
        .run_yes()
        .status(3)
        .run();
    assert!(
        !out.exists("should-not-exist"),
        "the command of a ticked item ran"
    );
    assert!(
        !out.stderr.contains("Already done"),
        "a ticked item was asked about:\n{}",
        out.stderr
    );
    assert!(
        out.transcript().contains("\n- [x] Already done\n"),
        "{}",
        out.transcript()
    );
}

#[test]
fn already_ticked_items_count_as_done() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            - [x] Already done
              ```bash
              touch should-not-exist
              ```

            ```bash
            echo hi
            ```
            "#,
        ))
        .run_yes()
        .run();
    assert!(!out.exists("should-not-exist"));
    assert!(
        !out.transcript().contains("not reached"),
        "{}",
        out.transcript()
    );
}

// --- strip ------------------------------------------------------------------

/// Runs `source` unattended (expecting `status`), checks `strip` gives it back
/// byte for byte, and returns the sandbox for more checks.
fn round_trip(source: &[u8], status: i32) -> Sandbox {
    let out = Test::new().runbook(source).run_yes().status(status).run();
    let transcript = out.read_bytes(OUT);
    assert_ne!(transcript, source, "nothing was recorded");
    let out = out.then().args(["strip", OUT]).run();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout_bytes),
        String::from_utf8_lossy(source),
        "strip is not the source"
    );
    assert_eq!(out.stdout_bytes, source, "strip is not byte for byte");
    out.sandbox
}

#[test]
fn strip_gives_back_crlf_documents() {
    let source =
        b"# Deploy\r\n\r\n- [ ] One\r\n  ```bash\r\n  echo one\r\n  ```\r\n- [ ] Manual\r\n";
    let sandbox = round_trip(source, 3);
    let transcript = sandbox.read_bytes(OUT);
    for (i, &b) in transcript.iter().enumerate() {
        if b == b'\n' {
            assert_eq!(
                transcript[i - 1],
                b'\r',
                "a bare LF at byte {i}:\n{}",
                String::from_utf8_lossy(&transcript)
            );
        }
    }
    assert_eq!(sandbox.outputs(), vec!["one\n".to_string()]);
}

#[test]
fn strip_gives_back_a_bom_and_front_matter_which_stay_first() {
    let source =
        "\u{feff}---\ntitle: Deploy\nlabels: [ops]\n---\n# Deploy\n\n```bash\necho x\n```\n";
    let sandbox = round_trip(source.as_bytes(), 0);
    let transcript = sandbox.transcript();
    assert!(
        transcript.starts_with("\u{feff}---\ntitle: Deploy\nlabels: [ops]\n---\n<!--rs:run "),
        "the summary is not right after the front matter:\n{transcript}"
    );

    let source = "---\nname: Bug report\nabout: Something broke\n---\n\n- [ ] Steps to reproduce\n";
    let sandbox = round_trip(source.as_bytes(), 3);
    let transcript = sandbox.transcript();
    assert!(
        transcript.starts_with("---\nname: Bug report\nabout: Something broke\n---\n"),
        "front matter is not first:\n{transcript}"
    );
}

#[test]
fn strip_gives_back_a_fence_in_a_blockquote_in_a_list() {
    let source = "- item\n  > ```bash\n  > echo quoted\n  > ```\n\nafter\n";
    let sandbox = round_trip(source.as_bytes(), 0);
    assert_eq!(sandbox.outputs(), vec!["quoted\n".to_string()]);
    assert!(
        sandbox
            .transcript()
            .contains("\n  > ```text {rs=output}\n  > quoted\n  > ```\n"),
        "{}",
        sandbox.transcript()
    );
}

#[test]
fn strip_gives_back_an_unclosed_fence_at_eof_without_newline() {
    let sandbox = round_trip(b"# T\n\n```bash\necho unclosed", 0);
    assert_eq!(sandbox.outputs(), vec!["unclosed\n".to_string()]);
}

#[test]
fn strip_gives_back_tab_indentation() {
    let sandbox = round_trip(
        b"- [ ] tabbed\n\t```bash\n\techo tab\n\t```\n\n\t\tindented code\n",
        0,
    );
    assert_eq!(sandbox.outputs(), vec!["tab\n".to_string()]);
    assert!(
        sandbox
            .transcript()
            .contains("\n\t```text {rs=output}\n\ttab\n"),
        "{}",
        sandbox.transcript()
    );
}

#[test]
fn running_a_transcript_again_does_not_stack_annotations() {
    let source = unindent(
        r#"
        # Deploy

        - [ ] Build
          ```bash
          echo built
          ```
        - [ ] Look at it
        "#,
    );
    let out = Test::new().runbook(&source).run_yes().status(3).run();
    let out = out
        .then()
        .args(["run", "--yes", OUT, "-o", "out2.md"])
        .status(3)
        .stderr_contains("is a transcript")
        .run();
    let second = out.read("out2.md");
    assert_eq!(second.matches("<!--rs:run").count(), 1, "{second}");
    assert_eq!(second.matches("<!--rs:out").count(), 1, "{second}");
    assert_eq!(second.matches("<!--rs:task").count(), 2, "{second}");
    assert_eq!(out.outputs_of("out2.md"), vec!["built\n".to_string()]);
    let out = out.then().args(["strip", "out2.md"]).run();
    assert_eq!(out.stdout, source);
}

// --- The transcript as the run goes ----------------------------------------

#[test]
fn transcript_exists_while_the_run_goes_and_is_rerendered_at_the_end() {
    let sandbox = Sandbox::new();
    sandbox.write(
        RUNBOOK,
        unindent(
            r#"
            ```bash
            echo first
            ```

            ```bash
            sleep 3
            ```

            ```bash
            echo last
            ```
            "#,
        ),
    );
    let mut child = sandbox
        .command()
        .args(["run", "--yes", RUNBOOK, "-o", OUT])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let seen = wait_for(Duration::from_millis(2500), || sandbox.exists(OUT));
    let still_running = child.try_wait().unwrap().is_none();
    assert!(seen, "no transcript while the run was going");
    assert!(still_running, "the run ended before the test looked");
    let during = sandbox.transcript();
    assert!(during.contains("state=running"), "{during}");
    assert!(!during.contains("echo last\n```\n<!--rs:out"), "{during}");

    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let after = sandbox.transcript();
    assert!(after.contains("state=complete"), "{after}");
    assert_eq!(
        sandbox.outputs(),
        vec!["first\n".to_string(), "last\n".to_string()]
    );
}

// --- Refusals ---------------------------------------------------------------

#[test]
fn without_a_terminal_and_without_yes_nothing_runs() {
    let out = Test::new()
        .runbook("```bash\ntouch ran\n```\n")
        .args(["run", RUNBOOK, "-o", OUT])
        .status(2)
        .stderr_contains("--yes")
        .run();
    assert!(!out.exists("ran"), "a block ran");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let out = Test::new()
        .args(["run", "--yes", "missing.md", "-o", OUT])
        .status(2)
        .run();
    one_error_naming(&out.stderr, "missing.md");
    // The same code from `plan`: 2 says there was nothing to look at, 1
    // that the document it looked at has errors.
    let out = out.then().args(["plan", "missing.md"]).status(2).run();
    one_error_naming(&out.stderr, "missing.md");
    let out = out.then().args(["strip", "missing.md"]).status(2).run();
    one_error_naming(&out.stderr, "missing.md");
}

#[test]
fn a_directory_is_an_error_naming_it() {
    let test = Test::new();
    std::fs::create_dir(test.sandbox().path("book.md")).unwrap();
    let out = test
        .args(["run", "--yes", "book.md", "-o", OUT])
        .status(2)
        .run();
    one_error_naming(&out.stderr, "book.md");
    let out = out.then().args(["plan", "book.md"]).status(2).run();
    one_error_naming(&out.stderr, "book.md");
}

#[test]
fn binary_data_is_an_error_naming_the_file() {
    let out = Test::new()
        .runbook(b"# T\n\nsome\0binary\n```bash\ntouch ran\n```\n")
        .run_yes()
        .status(2)
        .run();
    one_error_naming(&out.stderr, RUNBOOK);
    assert!(!out.exists("ran"));
}

#[test]
fn invalid_utf8_is_an_error_naming_the_file_and_line() {
    let out = Test::new()
        .runbook(b"# T\n\ncaf\xe9\n```bash\ntouch ran\n```\n")
        .run_yes()
        .status(2)
        .run();
    one_error_naming(&out.stderr, &format!("{RUNBOOK}:3"));
    assert!(!out.exists("ran"));
}

#[test]
fn an_empty_file_runs_to_a_transcript_that_says_it_has_no_steps() {
    let out = Test::new().runbook("").run_yes().run();
    assert!(
        out.transcript().contains("no steps"),
        "{}",
        out.transcript()
    );
}

#[test]
fn output_into_a_missing_directory_is_refused_before_anything_runs() {
    let out = Test::new()
        .runbook("```bash\ntouch ran\n```\n")
        .args(["run", "--yes", RUNBOOK, "-o", "nodir/out.md"])
        .status(2)
        .run();
    one_error_naming(&out.stderr, "nodir");
    assert!(!out.exists("ran"), "a block ran");
}

#[test]
fn output_onto_the_runbook_is_refused() {
    let source = "```bash\ntouch ran\n```\n";
    let out = Test::new()
        .runbook(source)
        .args(["run", "--yes", RUNBOOK, "-o", RUNBOOK])
        .status(2)
        .run();
    one_error_naming(&out.stderr, RUNBOOK);
    assert!(!out.exists("ran"), "a block ran");
    assert_eq!(out.read(RUNBOOK), source, "the runbook was changed");
    // Spelled differently, it is still the runbook.
    let out = out
        .then()
        .args(["run", "--yes", RUNBOOK, "-o", "./sub/../runbook.md"])
        .file("sub/.keep", "")
        .status(2)
        .run();
    assert_eq!(out.read(RUNBOOK), source, "the runbook was changed");
}

// --- resume -----------------------------------------------------------------

const RESUMABLE: &str = r#"
# Prepare

```bash
echo one >> counter
V=kept; export E=exported; h() { echo "fn:$1"; }
mkdir -p work && cd work
```

# Wait

```bash
test -f ../ready
```

```bash
echo "$V $E $(h x) $(basename "$PWD")"
echo two >> ../counter
```
"#;

#[test]
fn resume_continues_from_the_failed_step_with_the_shell_state() {
    let out = Test::new().runbook(RESUMABLE).run_yes().status(1).run();
    assert_eq!(out.read("counter"), "one\n");
    let dirs = out.state_dirs();
    assert_eq!(
        dirs.len(),
        1,
        "the state of the failed run is not kept: {dirs:?}"
    );
    assert_eq!(
        format!("{:o}", mode(&dirs[0])),
        "700",
        "the state directory is not private"
    );

    out.write("ready", "");
    let out = out
        .then()
        .args(["resume", "--yes", OUT])
        .stderr_contains("Restored the shell state")
        .run();
    assert_eq!(
        out.read("counter"),
        "one\ntwo\n",
        "a step before the failure ran again"
    );
    assert_eq!(out.outputs(), vec!["kept exported fn:x work\n".to_string()]);
    let transcript = out.transcript();
    assert!(transcript.contains("state=complete"), "{transcript}");
    // The failed attempt before the resume is kept, folded; the step is done.
    assert!(
        !transcript.contains("<!--rs:out id=s2 status=failed")
            && transcript.contains("<!--rs:try id=s2 status=failed"),
        "{transcript}"
    );
    assert_eq!(
        out.state_dirs(),
        Vec::<std::path::PathBuf>::new(),
        "state left after the run completed"
    );
}

/// A stopped run notes in its state the sha256 of the transcript it wrote:
/// a resume patches that text for what it records rather than render every
/// step again, and only that text. One edited by hand since is rendered in
/// full, as the run records it: what was written over goes.
#[test]
fn resume_patches_only_the_transcript_its_run_wrote() {
    use sha2::{Digest, Sha256};
    let out = Test::new().runbook(RESUMABLE).run_yes().status(1).run();
    let dirs = out.state_dirs();
    assert_eq!(dirs.len(), 1);
    let stamp = std::fs::read_to_string(dirs[0].join("transcript.sha256"))
        .expect("the run notes the sha256 of its transcript");
    let transcript = out.transcript();
    let sha: String = Sha256::digest(transcript.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stamp, sha, "not the sha256 of the transcript written");
    // The label of the first block, which the reading does not need.
    let label = line_with(&transcript, "<!--rs:out id=s1 ");
    let edited = transcript.replacen(&label, &format!("{label} EDITED BY HAND"), 1);
    out.write(OUT, &edited);
    out.write("ready", "");
    let out = out.then().args(["resume", "--yes", OUT]).run();
    let transcript = out.transcript();
    assert!(transcript.contains("state=complete"), "{transcript}");
    assert!(
        !transcript.contains("EDITED BY HAND"),
        "a transcript edited since the run wrote it was patched:\n{transcript}"
    );
}

#[test]
fn failed_run_keeps_its_state_files_private() {
    let out = Test::new().runbook(RESUMABLE).run_yes().status(1).run();
    let dirs = out.state_dirs();
    assert_eq!(dirs.len(), 1);
    assert_eq!(format!("{:o}", mode(&dirs[0])), "700");
    for entry in std::fs::read_dir(&dirs[0]).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(
            format!("{:o}", mode(&path)),
            "600",
            "{} is not private",
            path.display()
        );
    }
}

#[test]
fn resume_of_a_finished_transcript_says_so() {
    let out = Test::new()
        .runbook("```bash\necho once >> counter\n```\n")
        .run_yes()
        .run();
    assert!(
        out.state_dirs().is_empty(),
        "state left after the run completed"
    );
    let out = out
        .then()
        .args(["resume", "--yes", OUT])
        .stderr_contains("already finished")
        .run();
    assert_eq!(out.read("counter"), "once\n", "a finished step ran again");
}

#[test]
fn resume_of_a_finished_run_clears_the_state_a_kill_left_behind() {
    let out = Test::new()
        .runbook("```bash\necho once >> counter\n```\n")
        .run_yes()
        .run();
    // Killed after its last transcript, before its state went.
    let transcript = out.transcript();
    let id = crate::common::run_id(&transcript);
    std::fs::create_dir(out.state_root().join(&id)).unwrap();
    std::fs::write(out.state_root().join(&id).join("journal.jsonl"), "").unwrap();
    let out = out
        .then()
        .args(["resume", "--yes", OUT])
        .stderr_contains("already finished")
        .run();
    assert!(out.state_dirs().is_empty(), "{:?}", out.state_dirs());
}

#[test]
fn resume_refuses_a_transcript_whose_commands_were_edited() {
    let out = Test::new().runbook(RESUMABLE).run_yes().status(1).run();
    out.write("ready", "");
    let edited = out
        .transcript()
        .replace("echo two >> ../counter", "echo edited >> ../counter");
    out.write(OUT, &edited);
    let out = out.then().args(["resume", "--yes", OUT]).status(2).run();
    one_error_naming(&out.stderr, OUT);
    assert!(out.stderr.contains("edited"), "{}", out.stderr);
    assert_eq!(out.read("counter"), "one\n", "something ran");
    assert_eq!(out.transcript(), edited, "the transcript was changed");
}

// --- plan -------------------------------------------------------------------

const PLANNED: &str = r#"
# Deploy

## Build

- [ ] Compile
  ```bash {name=build}
  make
  ```
- [x] Done before

```bash
echo top
```
"#;

#[test]
fn plan_lists_steps_as_json_with_the_commands_tasks_own() {
    let out = Test::new()
        .runbook(unindent(PLANNED))
        .args(["plan", "--format", "json", RUNBOOK])
        .run();
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan JSON");
    let steps = plan["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 3, "{plan:#}");
    let task = &steps[0];
    assert_eq!(task["kind"], "task");
    assert_eq!(task["line"], 5);
    assert_eq!(task["heading"], serde_json::json!(["Deploy", "Build"]));
    assert_eq!(task["text"], "Compile");
    let children = task["children"].as_array().expect("children");
    assert_eq!(children.len(), 1, "{plan:#}");
    assert_eq!(children[0]["kind"], "command");
    assert_eq!(children[0]["line"], 6);
    assert_eq!(children[0]["text"], "make");
    assert_eq!(children[0]["attrs"]["name"], "build");
    assert_eq!(steps[1]["kind"], "task");
    assert_eq!(steps[1]["text"], "Done before");
    assert_eq!(steps[1]["checked"], true);
    assert_eq!(steps[2]["kind"], "command");
    assert_eq!(steps[2]["children"], serde_json::json!([]));
    assert_eq!(plan["diagnostics"], serde_json::json!([]));
}

#[test]
fn plan_lists_steps_as_text() {
    let out = Test::new()
        .runbook(unindent(PLANNED))
        .args(["plan", RUNBOOK])
        .run();
    // The task with its block is one step; the block on its own another.
    assert!(
        out.stdout
            .starts_with("runbook.md: 3 steps (2 tasks, 1 command; inside them 1 command)\n"),
        "{}",
        out.stdout
    );
    let compile = out
        .stdout
        .lines()
        .find(|l| l.contains("Compile"))
        .expect("the task");
    assert!(
        compile.contains("task") && compile.contains("[ ]"),
        "{}",
        out.stdout
    );
    let make = out
        .stdout
        .lines()
        .find(|l| l.contains("make"))
        .expect("the command");
    assert!(make.contains("command"), "{}", out.stdout);
    assert!(out.stdout.contains("Deploy › Build"), "{}", out.stdout);
}

#[test]
fn plan_counts_one_step_in_the_singular() {
    let out = Test::new()
        .runbook("- [ ] Only this\n")
        .args(["plan", RUNBOOK])
        .run();
    assert!(out.stdout.contains(": 1 step (1 task)"), "{}", out.stdout);
}

const MISSPELT: &str = "# T\n\n```bash\necho ok\n```\n\n```bash {nmae=x}\ntouch ran\n```\n";

#[test]
fn plan_points_at_an_unknown_attribute() {
    let out = Test::new()
        .runbook(MISSPELT)
        .args(["plan", RUNBOOK])
        .status(1)
        .run();
    assert!(
        out.stdout.contains("unknown attribute `nmae`"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("{RUNBOOK}:7:10")),
        "{}",
        out.stdout
    );
    let out = out
        .then()
        .args(["plan", "--format", "json", RUNBOOK])
        .status(1)
        .run();
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan JSON");
    let d = &plan["diagnostics"][0];
    assert_eq!(
        (
            d["severity"].as_str(),
            d["line"].as_u64(),
            d["column"].as_u64()
        ),
        (Some("error"), Some(7), Some(10))
    );
    // And `run` refuses it before anything runs.
    let out = out.then().run_yes().status(2).stderr_contains("nmae").run();
    assert!(!out.exists("ran"));
    assert!(!out.exists(OUT));
}

#[test]
fn plan_suggests_the_attribute_meant() {
    let out = Test::new()
        .runbook(MISSPELT)
        .args(["plan", RUNBOOK])
        .status(1)
        .run();
    assert!(out.stdout.contains("did you mean `name`"), "{}", out.stdout);
}

#[test]
fn run_reports_a_document_error_with_one_prefix() {
    let out = Test::new().runbook(MISSPELT).run_yes().status(2).run();
    assert!(
        out.stderr.starts_with("error: unknown attribute `nmae`"),
        "{}",
        out.stderr
    );
}
