//! A block that takes the shell's working directory away (removes, moves or
//! replaces it) is said right after it, on the terminal, in the transcript
//! and in the report; an unattended run runs no block in a directory that
//! is gone unless the block moves out of it first.

use crate::common::{OUT, RUN, RUNBOOK, Sandbox, Test};

/// A runbook that goes into `rel`, takes it away with `gone` (a block that
/// the guard is told is reviewed), then runs `next` and notes where.
fn runbook(sandbox: &Sandbox, gone: &str, next: &str) -> String {
    let rel = sandbox.work().join("rel");
    format!(
        "# Release\n\n- [ ] Build\n  ```bash\n  mkdir -p {rel} && cd {rel} && echo built > out.txt\n  ```\n\
         - [ ] Clean up\n  ```bash {{danger=false}}\n  {gone}\n  ```\n\
         - [ ] Check\n  ```bash\n  {next}\n  pwd -L > {w}/where\n  ```\n",
        rel = rel.display(),
        w = sandbox.work().display(),
    )
}

#[test]
fn an_unattended_run_says_so_and_runs_no_block_in_a_directory_that_is_gone() {
    let sandbox = Sandbox::new();
    let rel = sandbox.work().join("rel");
    sandbox.write(RUNBOOK, runbook(&sandbox, "rm -rf \"$PWD\"", "ls"));
    let out = sandbox
        .test()
        .args(["run", "--yes", RUNBOOK, "-o", OUT, "--report", "r.json"])
        .status(1)
        .stderr_contains(&format!(
            "warning: {RUNBOOK}:8: the shell's working directory, {}, no longer exists \
             (the block removed or moved it). The next blocks would run in a directory \
             that is gone: this unattended run does not run one there unless it starts \
             with `cd`",
            rel.display()
        ))
        .stderr_contains(&format!(
            "{RUNBOOK}:12: refused: It would run in {}, which no longer exists",
            rel.display()
        ))
        .run();
    assert!(
        !out.exists("where"),
        "the block ran in a directory that is gone"
    );
    let transcript = out.transcript();
    let clean_up = line_after(&transcript, "rm -rf \"$PWD\"", "<!--rs:out");
    assert!(
        clean_up.contains("status=done") && clean_up.contains("how=cwd-gone"),
        "{transcript}"
    );
    assert!(
        clean_up.ends_with("· it took away the shell's working directory"),
        "{clean_up}"
    );
    let note = format!(
        "  [runsheet: the shell's working directory, {}, no longer exists (the block \
         removed or moved it)]\n",
        rel.display()
    );
    assert!(transcript.contains(&note), "{transcript}");
    let check = line_after(&transcript, "  ls\n", "<!--rs:out");
    assert!(
        check.contains("status=failed") && check.contains("how=refused"),
        "{transcript}"
    );
    assert!(check.contains("⛔ refused"), "{check}");
    // The report has it among the step's reasons.
    let report: serde_json::Value = serde_json::from_str(&out.read("r.json")).unwrap();
    let reasons = |id: &str| -> Vec<String> {
        report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .and_then(|s| s["reasons"].as_array())
            .map(|r| r.iter().map(|w| w.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(reasons("s4"), ["cwd-gone"]);
    assert_eq!(reasons("s6"), ["refused"]);
}

#[test]
fn a_block_that_starts_by_leaving_the_directory_runs_and_nothing_more_is_said() {
    let sandbox = Sandbox::new();
    let work = sandbox.work();
    let next = format!("set -euo pipefail\n  cd {}", work.display());
    sandbox.write(RUNBOOK, runbook(&sandbox, "mv \"$PWD\" ../moved", &next));
    let out = sandbox
        .test()
        .run_yes()
        .stderr_contains("no longer exists (the block removed or moved it)")
        .run();
    assert_eq!(out.read("where"), format!("{}\n", work.display()));
    let transcript = out.transcript();
    assert_eq!(
        transcript.matches("how=cwd-gone").count(),
        1,
        "{transcript}"
    );
    assert_eq!(out.stderr.matches("warning:").count(), 1, "{}", out.stderr);
}

#[test]
fn a_directory_made_again_is_said_once_and_the_run_goes_on() {
    let sandbox = Sandbox::new();
    let rel = sandbox.work().join("rel");
    sandbox.write(
        RUNBOOK,
        runbook(&sandbox, "rm -rf \"$PWD\" && mkdir \"$PWD\"", "echo next"),
    );
    let out = sandbox
        .test()
        .run_yes()
        .stderr_contains(&format!(
            "the shell's working directory, {}, is no longer the directory the shell is in",
            rel.display()
        ))
        .run();
    // The shell is still in the removed one: it cannot even name it.
    assert!(out.exists("where"));
    let transcript = out.transcript();
    assert_eq!(
        transcript.matches("how=cwd-gone").count(),
        1,
        "{transcript}"
    );
}

#[test]
fn a_block_whose_cwd_attribute_is_removed_leaves_the_shell_where_it_was() {
    let out = Test::new()
        .runbook(
            "```bash\nmkdir -p tmpdir\n```\n\n```bash {cwd=tmpdir danger=false}\nrm -rf \"$PWD\"\n```\n\n```bash\ntouch after\n```\n",
        )
        .run_yes()
        .run();
    assert!(out.exists("after"));
    assert!(!out.transcript().contains("cwd-gone"));
    assert!(!out.stderr.contains("warning:"), "{}", out.stderr);
}

#[test]
fn at_a_terminal_the_next_block_is_asked_about_with_a_reminder() {
    let sandbox = Sandbox::new();
    let rel = sandbox.work().join("rel");
    sandbox.write(
        RUNBOOK,
        format!(
            "```bash\nmkdir -p {rel} && cd {rel}\n```\n\n```bash {{danger=false}}\nrm -rf \"$PWD\"\n```\n\n```bash\nls\n```\n",
            rel = rel.display()
        ),
    );
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[]);
    pty.answer(RUN, "r");
    pty.answer(RUN, "r");
    pty.expect(&format!(
        "the shell's working directory, {}, no longer exists",
        rel.display()
    ));
    pty.expect(&format!(
        "warning: this block would run in {}, which no longer exists",
        rel.display()
    ));
    pty.answer(RUN, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    assert!(sandbox.transcript().contains("how=cwd-gone"));
}

/// The first line holding `marker` after the first place `after` is found.
fn line_after(text: &str, after: &str, marker: &str) -> String {
    let from = text.find(after).unwrap_or_else(|| panic!("no {after:?}"));
    text[from..]
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no {marker:?} after {after:?}"))
        .trim()
        .to_string()
}

/// A `cwd=` block that removes the directory the shell came from: `popd`
/// cannot go back, so the shell has lost its directory as surely as when a
/// block removes its own, and the next block is not run in the `cwd=` one.
#[test]
fn a_cwd_block_that_removes_the_directory_it_came_from_is_said_and_the_next_is_refused() {
    let sandbox = Sandbox::new();
    let rel = sandbox.work().join("rel");
    let other = sandbox.work().join("other");
    sandbox.write(
        RUNBOOK,
        format!(
            "```bash\nmkdir -p {rel} {other} && cd {rel}\n```\n\n\
             ```bash {{cwd={other} danger=false}}\nset -x\nrm -rf {rel}\n```\n\n\
             ```bash\ntouch ran-here\n```\n",
            rel = rel.display(),
            other = other.display()
        ),
    );
    let out = sandbox
        .test()
        .run_yes()
        .status(1)
        .stderr_contains(&format!(
            "the shell's working directory, {}, no longer exists",
            rel.display()
        ))
        .stderr_contains(&format!(
            "refused: It would run in {}, which no longer exists",
            rel.display()
        ))
        .run();
    assert!(
        !other.join("ran-here").exists(),
        "ran in the cwd= directory"
    );
    let transcript = out.transcript();
    let removal = line_after(&transcript, "rm -rf", "<!--rs:out");
    assert!(removal.contains("how=cwd-gone"), "{transcript}");
    // The shell state kept for a resume names the directory that is gone:
    // an unattended resume does not go on in the `cwd=` one either.
    out.then()
        .args(["resume", "--yes", OUT])
        .status(2)
        .stderr_contains(&format!(
            "the directory the run's shell was in, {}, no longer exists",
            rel.display()
        ))
        .run();
    assert!(!other.join("ran-here").exists(), "resumed in the cwd= one");
}

/// A rollback is not stopped because the directory is gone: its blocks
/// run, and it is said.
#[test]
fn a_rollback_runs_in_a_directory_that_is_gone_and_says_so() {
    let sandbox = Sandbox::new();
    let rel = sandbox.work().join("rel");
    let w = sandbox.work();
    sandbox.write(
        RUNBOOK,
        format!(
            "# Deploy\n\n```bash\nmkdir -p {rel} && cd {rel}\n```\n\n\
             ```bash {{danger=false}}\nrm -rf \"$PWD\"\nfalse\n```\n\n\
             ## Rollback\n\n```bash\necho rolled back > {w}/rolled\n```\n",
            rel = rel.display(),
            w = w.display()
        ),
    );
    let out = sandbox
        .test()
        .args([
            "run",
            "--yes",
            RUNBOOK,
            "-o",
            OUT,
            "--on-failure",
            "rollback",
        ])
        .status(1)
        .stderr_contains(&format!(
            "this block runs in {}, which no longer exists (it is in a contingency section",
            rel.display()
        ))
        .stderr_lacks("refused")
        .run();
    assert_eq!(out.read("rolled"), "rolled back\n");
}

/// Output that does not end a line keeps its last line: the note about the
/// directory comes on a line of its own.
#[test]
fn the_note_about_the_directory_is_a_line_of_its_own() {
    let sandbox = Sandbox::new();
    let rel = sandbox.work().join("rel");
    sandbox.write(
        RUNBOOK,
        format!(
            "```bash\nmkdir -p {rel} && cd {rel}\n```\n\n\
             ```bash {{danger=false}}\nprintf done; rm -rf \"$PWD\"\n```\n",
            rel = rel.display()
        ),
    );
    let out = sandbox.test().run_yes().run();
    let transcript = out.transcript();
    assert!(
        transcript.contains("done\n[runsheet: the shell's working directory"),
        "{transcript}"
    );
}

/// `--yes` with a person at the terminal: the block that would run in the
/// directory that is gone is asked about as the guard asks, and a typed
/// `yes` is recorded with who typed it.
#[test]
fn a_yes_run_at_a_terminal_asks_and_records_who_typed_yes() {
    let sandbox = Sandbox::new();
    let rel = sandbox.work().join("rel");
    sandbox.write(RUNBOOK, runbook(&sandbox, "rm -rf \"$PWD\"", "ls"));
    let mut pty = sandbox.pty(&["run", "--yes", RUNBOOK, "-o", OUT], &[]);
    pty.expect(&format!(
        "It would run in {}, which no longer exists",
        rel.display()
    ));
    pty.answer("Type `yes` to run it, anything else to skip it", "yes");
    let (code, screen) = pty.wait();
    // `ls` in a directory that is gone fails: the block ran.
    assert_ne!(code, 130, "{screen}");
    assert!(sandbox.exists("where"), "{screen}");
    let transcript = sandbox.transcript();
    let check = line_after(&transcript, "  ls\n", "<!--rs:out");
    assert!(check.contains("confirmed by "), "{check}");
}
