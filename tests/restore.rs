//! The shell state a new shell is given back, on `resume` and when a block
//! ended the shell: read-only and un-exported variables as they were, and a
//! working directory that is gone said so, never taken for another one.

use std::fs;

use crate::common::{OUT, RUN, RUNBOOK, Sandbox, Test, unindent};

/// The read-only variables of the first block, in every form, and one
/// variable un-exported; the last block writes what it sees to `seen`.
const SET: &str = r#"
    ```bash
    readonly KUBE_CONTEXT=staging-cluster
    export NAMESPACE=payments
    declare -r DR=1
    readonly -a RA=(a b)
    declare -rx XR=xr
    export UNEXPORTED=u
    export -n UNEXPORTED
    context() { echo "context: $KUBE_CONTEXT"; }
    readonly -f context
    ```
"#;

const SEE: &str = r#"
    ```bash
    echo "kubectl --context=$KUBE_CONTEXT -n $NAMESPACE $DR ${RA[1]} $XR" > seen
    declare -p KUBE_CONTEXT DR RA XR >> seen
    bash -c 'echo "child: ${UNEXPORTED-unset} ${XR-unset}"' >> seen
    { context() { echo redefined; }; } 2>/dev/null || echo "context is read-only" >> seen
    context >> seen
    ```
"#;

const SEEN: &str = "kubectl --context=staging-cluster -n payments 1 b xr\n\
                    declare -r KUBE_CONTEXT=\"staging-cluster\"\n\
                    declare -r DR=\"1\"\n\
                    declare -ar RA=([0]=\"a\" [1]=\"b\")\n\
                    declare -rx XR=\"xr\"\n\
                    child: unset xr\n\
                    context is read-only\n\
                    context: staging-cluster\n";

#[test]
fn read_only_variables_outlive_a_block_that_ends_the_shell() {
    let runbook = format!(
        "{}\n```bash\necho \"a helper script exited\"; exit 2\n```\n{}",
        unindent(SET),
        unindent(SEE)
    );
    let out = Test::new()
        .runbook(runbook)
        .args(["run", "--yes", "--keep-going", RUNBOOK, "-o", OUT])
        .status(1)
        .run();
    assert_eq!(out.read("seen"), SEEN);
}

#[test]
fn read_only_and_un_exported_variables_are_restored_on_resume() {
    let runbook = format!(
        "{}\n```bash\ntest -f fixed\n```\n{}",
        unindent(SET),
        unindent(SEE)
    );
    // The environment resume starts in has it exported: un-exported it stays.
    let out = Test::new()
        .runbook(runbook)
        .run_yes()
        .env("UNEXPORTED", "from-the-environment")
        .status(1)
        .run();
    assert!(!out.exists("seen"));
    out.write("fixed", "");
    let out = out
        .then()
        .args(["resume", "--yes", OUT])
        .env("UNEXPORTED", "from-the-environment")
        .run();
    assert_eq!(out.read("seen"), SEEN);
}

#[test]
fn a_read_only_function_is_read_only_again_on_resume() {
    // The same block after the function was made read-only, in one run and
    // resumed after a stop: it fails alike, at the same line.
    let runbook = "```bash\nnotify() { echo \"first: $1\"; }\nreadonly -f notify\n```\n\n\
                   ```bash\ntest -f fixed\n```\n\n\
                   ```bash\nnotify deploy\nnotify() { echo \"second: $1\"; }\necho redefined > redefined\n```\n";
    let once = Test::new()
        .runbook(runbook)
        .file("fixed", "")
        .run_yes()
        .status(1)
        .run();
    assert!(!once.exists("redefined"));
    let failed_once = once.outputs().last().cloned().unwrap();
    assert!(
        failed_once.contains("notify: readonly function"),
        "{failed_once}"
    );
    let out = Test::new().runbook(runbook).run_yes().status(1).run();
    assert!(!out.exists("redefined"));
    out.write("fixed", "");
    let out = out
        .then()
        .args(["resume", "--yes", OUT])
        .status(1)
        .stderr_contains("Restored the shell state")
        .run();
    assert!(!out.exists("redefined"), "the function was not read-only");
    assert_eq!(out.outputs().last(), Some(&failed_once));
}

/// A run whose first block went into `wd` and whose second failed until
/// `ready` exists; that block notes where it ran in `where`.
fn run_that_went_into_a_directory() -> Sandbox {
    let sandbox = Sandbox::new();
    let work = sandbox.work();
    let runbook = format!(
        "```bash\nmkdir -p wd && cd wd\n```\n\n```bash\ntest -e {w}/ready\npwd > {w}/where\n```\n",
        w = work.display()
    );
    sandbox.write(RUNBOOK, runbook);
    let out = sandbox.test().run_yes().status(1).run();
    assert!(!out.exists("where"));
    out.write("ready", "");
    fs::remove_dir_all(out.work().join("wd")).unwrap();
    out.sandbox
}

#[test]
fn an_unattended_resume_whose_directory_is_gone_runs_nothing_and_says_what_to_do() {
    let sandbox = run_that_went_into_a_directory();
    let gone = sandbox.work().join("wd");
    let out = sandbox
        .test()
        .args(["resume", "--yes", OUT])
        .status(2)
        .stderr_contains(&format!(
            "{OUT}: the directory the run's shell was in, {}, no longer exists",
            gone.display()
        ))
        .stderr_contains("nothing was run")
        .stderr_contains(&format!("mkdir -p {}", gone.display()))
        .stderr_lacks("(where the run's shell was, restored)")
        .run();
    assert!(!out.exists("where"), "a block ran elsewhere");
    // Made again, the run goes on there.
    fs::create_dir(&gone).unwrap();
    let out = out
        .then()
        .args(["resume", "--yes", OUT])
        .stderr_contains("(where the run's shell was, restored)")
        .run();
    assert_eq!(out.read("where"), format!("{}\n", gone.display()));
}

#[test]
fn resume_on_a_terminal_asks_before_going_on_elsewhere_when_the_directory_is_gone() {
    let sandbox = run_that_went_into_a_directory();
    let work = sandbox.work();
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.expect("no longer exists");
    pty.answer("Type `yes` to run it, anything else to skip it", "yes");
    pty.expect(&format!(
        "Commands run in {} (the run's shell was in {}, which no longer exists)",
        work.display(),
        work.join("wd").display()
    ));
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(sandbox.read("where"), format!("{}\n", work.display()));
}

#[test]
fn resume_on_a_terminal_runs_nothing_when_going_on_elsewhere_is_declined() {
    let sandbox = run_that_went_into_a_directory();
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.expect("no longer exists");
    pty.answer("Type `yes` to run it, anything else to skip it", "no");
    let (code, screen) = pty.wait();
    assert_eq!(code, 2, "{screen}");
    assert!(!sandbox.exists("where"), "a block ran elsewhere");
}
