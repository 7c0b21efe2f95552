//! Faults and hostile surroundings: a state directory others can reach, a
//! damaged snapshot, two runs writing one transcript, documents that are not
//! files, and blocks that only a signal to the shell itself can stop.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{OUT, RUN, RUNBOOK, Sandbox, Test, unindent, wait_for};

/// A runbook whose first block sets shell state and whose second fails
/// until `fixed` exists: its state is kept for resume.
const STATEFUL: &str = r#"
    ```bash
    KEPT=from-the-first-block
    echo one >> counter
    ```

    ```bash
    test -f fixed
    echo "two:${KEPT:-gone}" >> counter
    ```
"#;

fn failed_stateful_run() -> Sandbox {
    let out = Test::new()
        .runbook(unindent(STATEFUL))
        .run_yes()
        .status(1)
        .run();
    assert_eq!(out.read("counter"), "one\n");
    out.sandbox
}

#[test]
fn a_state_directory_others_can_write_is_refused_before_anything_runs() {
    let sandbox = Sandbox::new();
    sandbox.write(RUNBOOK, "```bash\necho ran > ran\n```\n");
    let shared = sandbox.path("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
    let out = sandbox
        .test()
        .env("RUNSHEET_STATE_DIR", &shared)
        .run_yes()
        .status(2)
        .stderr_contains("others can write to it")
        .stderr_contains("RUNSHEET_STATE_DIR")
        .run();
    assert!(!out.exists("ran"), "a block ran with its state in the open");
}

#[test]
fn a_state_directory_that_is_a_symbolic_link_is_refused() {
    let sandbox = Sandbox::new();
    sandbox.write(RUNBOOK, "```bash\necho ran > ran\n```\n");
    let real = sandbox.path("real");
    fs::create_dir(&real).unwrap();
    let link = sandbox.path("link");
    symlink(&real, &link).unwrap();
    let out = sandbox
        .test()
        .env("RUNSHEET_STATE_DIR", &link)
        .run_yes()
        .status(2)
        .stderr_contains("symbolic link")
        .run();
    assert!(!out.exists("ran"));
}

/// The last snapshot of the failed run, cut short as a full disk cuts it.
fn damage_the_snapshot(sandbox: &Sandbox) -> std::path::PathBuf {
    let dirs = sandbox.state_dirs();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let state = dirs[0].join("state");
    let text = fs::read(&state).expect("a snapshot after the first block");
    fs::write(&state, &text[..text.len() / 2]).unwrap();
    state
}

#[test]
fn resume_refuses_a_damaged_snapshot_unattended_and_names_it() {
    let sandbox = failed_stateful_run();
    damage_the_snapshot(&sandbox);
    sandbox.write("fixed", "");
    let out = sandbox
        .test()
        .args(["resume", "--yes", OUT])
        .status(2)
        .stderr_contains("is damaged")
        .stderr_contains("/state")
        .stderr_contains("nothing was run")
        .run();
    assert_eq!(out.read("counter"), "one\n", "a block ran anyway");
}

#[test]
fn resume_on_a_terminal_offers_a_fresh_shell_when_the_snapshot_is_damaged() {
    let sandbox = failed_stateful_run();
    damage_the_snapshot(&sandbox);
    sandbox.write("fixed", "");
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.expect("is damaged");
    pty.answer("Type `yes` to run it, anything else to skip it", "yes");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    // The block ran in a fresh shell: what the first block set is gone.
    assert_eq!(sandbox.read("counter"), "one\ntwo:gone\n");
}

#[test]
fn a_block_that_loops_in_bash_alone_is_stopped_by_its_timeout() {
    let out = Test::new()
        .runbook(unindent(
            r#"
            ```bash {timeout=1s}
            while :; do :; done
            ```

            ```bash
            echo after
            ```
            "#,
        ))
        .args(["run", "--yes", "--keep-going", RUNBOOK, "-o", OUT])
        .status(1)
        .run();
    let transcript = out.transcript();
    assert!(transcript.contains("how=timeout"), "{transcript}");
    assert!(!transcript.contains("restarted"), "{transcript}");
    assert_eq!(out.outputs(), vec!["after\n".to_string()]);
}

#[test]
fn a_second_run_writing_the_same_transcript_is_refused_while_the_first_goes() {
    let sandbox = Sandbox::new();
    sandbox.write(
        RUNBOOK,
        "```bash\ntouch started\nwhile [ ! -e go ]; do sleep 0.05; done\necho first\n```\n",
    );
    let mut first = sandbox
        .command()
        .args(["run", "--yes", RUNBOOK, "-o", OUT])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the first run");
    assert!(
        wait_for(Duration::from_secs(10), || sandbox.exists("started")),
        "the first run did not start its block"
    );
    sandbox.write("other.md", "```bash\necho second\n```\n");
    let second = sandbox
        .command()
        .args(["run", "--yes", "other.md", "-o", OUT])
        .output()
        .expect("run the second");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("another runsheet is writing"), "{stderr}");
    sandbox.write("go", "");
    assert!(first.wait().expect("first run").success());
    assert_eq!(sandbox.outputs(), vec!["first\n".to_string()]);

    // Finished, it is still a transcript no new run replaces.
    let out = sandbox
        .test()
        .args(["run", "--yes", "other.md", "-o", OUT])
        .status(2)
        .stderr_contains("already holds the transcript")
        .stderr_contains("runsheet resume")
        .run();
    assert_eq!(out.outputs(), vec!["first\n".to_string()]);
}

#[test]
fn documents_that_are_not_regular_files_are_refused_without_reading_them() {
    let sandbox = Sandbox::new();
    Test::in_sandbox(sandbox)
        .args(["plan", "/dev/zero"])
        // The code `run` gives: there is no document to look at.
        .status(2)
        .stderr_contains("not a regular file")
        .run()
        .then()
        .args(["run", "--yes", "/dev/zero", "-o", OUT])
        .status(2)
        .stderr_contains("not a regular file")
        .run();
    let sandbox = Sandbox::new();
    let fifo = sandbox.path("pipe.md");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    // Nobody writes to the pipe: opening it must not wait for a writer.
    Test::in_sandbox(sandbox)
        .args(["run", "--yes", "pipe.md", "-o", OUT])
        .status(2)
        .stderr_contains("not a regular file")
        .run();
}

#[test]
fn a_hangup_of_the_terminal_during_an_interactive_block_is_an_interruption() {
    let sandbox = Sandbox::new();
    sandbox.write(
        RUNBOOK,
        unindent(
            r#"
            ```bash
            KEPT=yes
            touch started
            sleep 30
            ```

            ```bash
            echo never > never
            ```
            "#,
        ),
    );
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[]);
    pty.answer(RUN, "r");
    assert!(
        wait_for(Duration::from_secs(10), || sandbox.exists("started")),
        "the block did not start"
    );
    // The terminal hangs up: its whole foreground group gets SIGHUP.
    if let Some(group) = rustix::process::Pid::from_raw(pty.pid() as i32) {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::HUP);
    }
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    let transcript = sandbox.transcript();
    assert!(transcript.contains("state=interrupted"), "{transcript}");
    assert!(transcript.contains("how=interrupted"), "{transcript}");
    assert!(!transcript.contains("restarted"), "{transcript}");
    assert!(!sandbox.exists("never"));
}

#[test]
fn a_transcript_that_cannot_be_written_after_steps_ran_exits_5_and_names_the_journal() {
    // The second block takes the transcript's directory away, as a full
    // disk would refuse the next save: every later write of it fails.
    let out = Test::new()
        .runbook(unindent(
            r#"
            ```bash
            echo one >> ran
            ```

            ```bash
            mv keep moved && echo "not a directory" > keep
            ```
            "#,
        ))
        .file("keep/.placeholder", "")
        .args(["run", "--yes", RUNBOOK, "-o", "keep/out.md"])
        .status(5)
        .stderr_contains("error: cannot write the transcript keep/out.md: ")
        .stderr_contains("The run went on before this: 2 step records are kept in its journal, ")
        .stderr_contains("`runsheet resume keep/out.md`\n  writes it again from the journal")
        .run();
    assert_eq!(out.read("ran"), "one\n");
    // The transcript saved before is where the block moved it.
    assert!(out.read("moved/out.md").contains("<!--rs:run "));
    let journal = out
        .stderr
        .split("kept in its journal, ")
        .nth(1)
        .and_then(|rest| rest.split(".\n").next())
        .expect("the journal's path");
    let journal = fs::read_to_string(journal).expect("the journal is there");
    assert_eq!(journal.lines().count(), 2, "{journal}");
    // Nothing ran: the same failure is a usage error, 2.
    out.then()
        .args(["run", "--yes", RUNBOOK, "-o", "keep/out.md"])
        .status(2)
        .stderr_contains("keep/out.md")
        .run();
}

#[test]
fn a_transcript_is_never_renamed_over_a_device_or_a_pipe() {
    // Saving renames a new file over the old one: over `-o /dev/null` that
    // would replace the device itself. A pipe stands in for it here.
    let test = Test::new().runbook("```bash\necho one >> ran\n```\n");
    let fifo = test.sandbox().path("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let out = test
        .args(["run", "--yes", RUNBOOK, "-o", "pipe"])
        .status(2)
        .stderr_contains("-o pipe is not a regular file (a device, a pipe or a socket)")
        .run();
    assert!(!out.exists("ran"), "a step ran");
    let kept = fs::symlink_metadata(&fifo).expect("the pipe");
    assert!(!kept.is_file(), "the pipe was replaced by a file");
}
