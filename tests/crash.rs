//! Crash safety: `kill -9` at arbitrary moments leaves a valid transcript that
//! `resume` completes, losing at most the step in flight.

use std::collections::HashMap;
use std::process::{Child, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::common::Sandbox;

const BLOCKS: usize = 100;
/// Kills, at moments from the start of a run to well into it.
const ROUNDS: usize = 30;

fn runbook() -> String {
    let mut text = String::from("# Many steps\n\n");
    for n in 1..=BLOCKS {
        text.push_str(&format!(
            "- [ ] Step {n}\n  ```bash\n  echo s{n} >> ran.txt; sleep 0.02\n  ```\n"
        ));
    }
    text
}

fn spawn(sandbox: &Sandbox, args: &[&str]) -> Child {
    sandbox
        .command()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn runsheet")
}

/// Resumes until runsheet agrees to (the killed run's shell may still be
/// finishing its block) and returns its exit code.
fn resume_to_end(sandbox: &Sandbox) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = sandbox
            .command()
            .args(["resume", "--yes", "out.md"])
            .output()
            .expect("resume");
        let code = out.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        if code == 2 && stderr.contains("still running") && Instant::now() < deadline {
            sleep(Duration::from_millis(50));
            continue;
        }
        return code;
    }
}

#[test]
fn kill_9_at_random_moments_loses_at_most_the_step_in_flight() {
    let sandbox = Sandbox::new();
    let source = runbook();
    sandbox.write("rb.md", &source);
    let mut rng = fastrand::Rng::with_seed(0x2545_f491_4f6c_dd1d);
    let mut kills = 0;
    for round in 0..ROUNDS {
        let wait = Duration::from_millis(rng.u64(..250));
        let mut child = if round == 0 || !sandbox.exists("out.md") {
            spawn(&sandbox, &["run", "--yes", "rb.md", "-o", "out.md"])
        } else {
            // Wait out the killed run's shell, then resume in the background.
            let mut child;
            loop {
                child = spawn(&sandbox, &["resume", "--yes", "out.md"]);
                sleep(Duration::from_millis(30));
                match child.try_wait().expect("try_wait") {
                    Some(status) if status.code() == Some(2) => continue,
                    _ => break,
                }
            }
            child
        };
        sleep(wait);
        if child.try_wait().expect("try_wait").is_some() {
            break; // finished before the kill
        }
        child.kill().expect("kill -9");
        child.wait().expect("reap");
        kills += 1;
        if sandbox.exists("out.md") {
            // Whatever moment it died at, the transcript is whole and valid.
            let strip = sandbox
                .command()
                .args(["strip", "out.md"])
                .output()
                .expect("strip");
            assert!(
                strip.status.success(),
                "{}",
                String::from_utf8_lossy(&strip.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&strip.stdout),
                source,
                "round {round}"
            );
        }
    }
    assert!(kills > 0, "the run should have been killed at least once");
    assert_eq!(resume_to_end(&sandbox), 0, "resume completes the run");
    // Each assertion below holds for every kill at once: all survived, or
    // the test fails.
    println!("kill -9 trials: {kills} run of up to {ROUNDS}; survived: {kills} (checked below)");
    let book = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/book/src/safety.md"))
        .expect("the safety chapter");
    let stated = format!("kills runsheet with `kill -9` at up to {ROUNDS} random moments");
    assert!(
        book.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(&stated),
        "book/src/safety.md should say: {stated}"
    );

    let ran = sandbox.read("ran.txt");
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for line in ran.lines() {
        *counts.entry(line).or_default() += 1;
    }
    for n in 1..=BLOCKS {
        let times = counts.get(format!("s{n}").as_str()).copied().unwrap_or(0);
        assert!(times >= 1, "step {n} never ran:\n{ran}");
    }
    // Each kill loses at most the step in flight, which the next run repeats
    // (a step killed in flight twice runs three times).
    let repeats: usize = counts.values().map(|c| c - 1).sum();
    assert!(
        repeats <= kills,
        "{repeats} repeated steps after {kills} kills:\n{ran}"
    );
    let transcript = sandbox.read("out.md");
    assert_eq!(
        transcript.matches("status=done").count(),
        2 * BLOCKS,
        "every task and command done"
    );
    // The completed run's state is gone. (A run killed before it had written
    // its transcript leaves its own, never resumed, behind.)
    let id = crate::common::run_id(&transcript);
    assert!(
        !sandbox.state_root().join(&id).exists(),
        "state removed once complete"
    );
}

/// At a prompt, the transcript is saved while the question is shown (not
/// before it), and the journal already holds every step: `kill -9` there
/// loses nothing, and `resume` runs only what is left.
#[test]
fn kill_9_at_a_prompt_loses_no_step_and_the_transcript_catches_up() {
    use crate::common::{OUT, RUN, run, sandbox, wait_for};
    let sandbox = sandbox(
        "```bash\necho one | tee -a ran.txt\n```\n\n```bash\necho two | tee -a ran.txt\n```\n",
    );
    let mut pty = run(&sandbox);
    pty.answer(RUN, "r");
    pty.expect_prompt(RUN);
    let saved = wait_for(Duration::from_secs(20), || {
        sandbox.exists(OUT) && sandbox.outputs() == vec!["one\n".to_string()]
    });
    assert!(
        saved,
        "the transcript did not catch up with the first block while the second was asked:\n{}",
        sandbox.read(OUT)
    );
    let pid = rustix::process::Pid::from_raw(pty.pid() as i32).expect("runsheet's pid");
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).expect("kill -9");
    drop(pty);
    assert_eq!(resume_to_end(&sandbox), 0, "resume completes the run");
    assert_eq!(sandbox.read("ran.txt"), "one\ntwo\n", "each block ran once");
    assert_eq!(
        sandbox.outputs(),
        vec!["one\n".to_string(), "two\n".to_string()]
    );
}
