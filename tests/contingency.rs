//! Contingency sections, alternatives and timed steps through the real
//! binary: a checklist is not a straight line. Commands go to a fake
//! `kubectl` on `PATH` that logs each call, so a test can say exactly which
//! ran.

use std::fs;
use std::time::{Duration, Instant};

use crate::common::{OUT, RUNBOOK, Sandbox, TASK, Test, line_with, unindent};

/// The deploy checklist of the tests: a rollback plan right after the
/// deploy, then a sign-off that is main path again, then troubleshooting.
const DEPLOY: &str = r#"
    # Deploy payments 2.0

    ## B) Pre-flight

    - [ ] Check the cluster
      ```bash
      kubectl get nodes
      ```

    ## D) Database migration

    - [ ] Migrate
      ```bash
      kubectl apply -f migrate-job.yaml
      ```

    ## E) Backend deploy

    - [ ] Route traffic to GREEN
      ```bash
      kubectl apply -f backend-traffic-green.yaml
      ```

    ## H) ROLLBACK PLAN

    ### Rollback procedure

    - [ ] Send all traffic back to BLUE
      ```bash
      kubectl apply -f backend-traffic-blue-only.yaml
      ```
    - [ ] Undo the backend rollout
      ```bash
      kubectl rollout undo deployment/backend
      ```

    ## I) Sign-off

    - [ ] Mark the deploy
      ```bash
      kubectl annotate deployment/backend deployed=yes
      ```

    ## J) Troubleshooting

    - [ ] Look at the logs
      ```bash
      kubectl logs deployment/backend
      ```
    "#;

/// What the fake `kubectl` is called with for each step of `DEPLOY`.
const NODES: &str = "kubectl get nodes";
const MIGRATE: &str = "kubectl apply -f migrate-job.yaml";
const GREEN: &str = "kubectl apply -f backend-traffic-green.yaml";
const BLUE_ONLY: &str = "kubectl apply -f backend-traffic-blue-only.yaml";
const UNDO: &str = "kubectl rollout undo deployment/backend";
const MARK: &str = "kubectl annotate deployment/backend deployed=yes";

/// A fake `kubectl` in `bin/` that appends its call to `kubectl.log`, and
/// fails (exit 1) when its arguments are a line of `fail.txt`.
fn with_fake_kubectl(sandbox: &Sandbox) -> String {
    let log = sandbox.path("kubectl.log");
    let fail = sandbox.path("fail.txt");
    sandbox.write_script(
        "bin/kubectl",
        &format!(
            "#!/bin/sh\nprintf 'kubectl %s\\n' \"$*\" >> '{}'\n\
             if [ -f '{}' ] && grep -qxF -- \"$*\" '{}'; then echo \"error: $*\" >&2; exit 1; fi\n\
             echo \"ok: $*\"\n",
            log.display(),
            fail.display(),
            fail.display()
        ),
    );
    format!(
        "{}:{}",
        sandbox.path("bin").display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    )
}

/// The calls the fake `kubectl` logged, in order.
fn calls(sandbox: &Sandbox) -> Vec<String> {
    fs::read_to_string(sandbox.path("kubectl.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Makes the fake fail for these calls (`kubectl ARGS` each).
fn failing(sandbox: &Sandbox, calls: &[&str]) {
    let args: Vec<&str> = calls
        .iter()
        .map(|c| c.strip_prefix("kubectl ").unwrap_or(c))
        .collect();
    sandbox.write("fail.txt", args.join("\n") + "\n");
}

/// A sandbox holding `runbook`, with the fake `kubectl`, and the PATH to use.
fn deploy_sandbox(runbook: &str) -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    sandbox.write(RUNBOOK, unindent(runbook));
    let path = with_fake_kubectl(&sandbox);
    (sandbox, path)
}

/// The 1-based line of the runbook holding `text`.
fn line_of(sandbox: &Sandbox, text: &str) -> usize {
    sandbox
        .read(RUNBOOK)
        .lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text:?} is not in the runbook"))
        + 1
}

/// `strip` gives the runbook back byte for byte.
fn strips_back(sandbox: Sandbox) -> Sandbox {
    let out = sandbox.test().args(["strip", OUT]).run();
    let runbook = out.read_bytes(RUNBOOK);
    assert!(
        out.stdout_bytes == runbook,
        "strip is not the runbook:\n{}",
        out.stdout
    );
    out.sandbox
}

#[test]
fn an_unattended_deploy_passes_over_its_rollback_plan_without_running_it() {
    let (sandbox, path) = deploy_sandbox(DEPLOY);
    let rollback_line = line_of(&sandbox, "## H) ROLLBACK PLAN");
    let out = sandbox
        .test()
        .env("PATH", &path)
        .run_yes()
        // The operator is told what was passed over, not only the transcript.
        .stderr_contains("⏭ 2 contingency sections passed over (nothing called for them):")
        .stderr_contains(&format!("{RUNBOOK}:{rollback_line}  H) ROLLBACK PLAN"))
        .run();
    assert_eq!(
        calls(&out),
        [NODES, MIGRATE, GREEN, MARK],
        "only the main path ran"
    );
    let transcript = out.transcript();
    assert_eq!(
        transcript
            .matches("⏭ contingency section, not needed in this run")
            .count(),
        2,
        "marked once per section, at its heading, not once per step:\n{transcript}"
    );
    let rollback = transcript
        .split("## H) ROLLBACK PLAN\n")
        .nth(1)
        .expect("the heading is there");
    assert!(
        rollback.starts_with("<!--rs:sec ")
            && rollback
                .lines()
                .next()
                .unwrap()
                .ends_with("not needed in this run"),
        "the mark sits right under the heading:\n{transcript}"
    );
    let summary = line_with(&transcript, " done · ");
    assert!(
        summary.contains("4 done · 0 skipped · 0 failed") && !summary.contains("not reached"),
        "the sections passed over are not counted: {summary}"
    );
    assert!(
        !transcript.contains("⏭️ skipped"),
        "no step is recorded skipped:\n{transcript}"
    );
    strips_back(out.sandbox);
}

#[test]
fn on_failure_rollback_runs_the_rollback_and_only_it_then_ends_the_run() {
    let (sandbox, path) = deploy_sandbox(DEPLOY);
    failing(&sandbox, &[MIGRATE]);
    let line = line_of(&sandbox, "kubectl apply -f migrate-job.yaml") - 1;
    let out = sandbox
        .test()
        .env("PATH", &path)
        .args([
            "run",
            "--yes",
            "--on-failure",
            "rollback",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .status(1)
        .run();
    assert_eq!(
        calls(&out),
        [NODES, MIGRATE, BLUE_ONLY, UNDO],
        "the rollback ran after the failure, and nothing else did"
    );
    let transcript = out.transcript();
    let because = format!("started because: Migrate failed (exit 1) at {RUNBOOK}:{line}");
    assert!(
        transcript.contains(&because),
        "{because:?} not in:\n{transcript}"
    );
    assert!(line_with(&transcript, "<!--rs:run").contains("state=stopped"));
    assert!(out.stderr.contains(&because), "{}", out.stderr);
    strips_back(out.sandbox);
}

#[test]
fn a_failure_without_on_failure_stops_and_names_the_way_back() {
    let (sandbox, path) = deploy_sandbox(DEPLOY);
    failing(&sandbox, &[MIGRATE]);
    let out = sandbox
        .test()
        .env("PATH", &path)
        .run_yes()
        .status(1)
        .stderr_contains(&format!(
            "to roll back: runsheet run {RUNBOOK} --only \"H) ROLLBACK PLAN\""
        ))
        .stderr_contains(&format!(
            "to troubleshoot: runsheet run {RUNBOOK} --only \"J) Troubleshooting\""
        ))
        .run();
    assert_eq!(calls(&out), [NODES, MIGRATE]);
}

#[test]
fn only_runs_a_contingency_section_on_its_own() {
    let (sandbox, path) = deploy_sandbox(DEPLOY);
    let out = sandbox
        .test()
        .env("PATH", &path)
        .args([
            "run",
            "--yes",
            "--only",
            "H) ROLLBACK PLAN",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .run();
    assert_eq!(calls(&out), [BLUE_ONLY, UNDO]);
    let transcript = out.transcript();
    assert!(transcript.contains("▶ run on its own"), "{transcript}");
    let summary = line_with(&transcript, " done · ");
    assert!(
        summary.contains("2 done") && !summary.contains("not reached"),
        "the rest of the runbook is not this run's: {summary}"
    );
    // `--section` is the same, and a sub-section runs alone too.
    let out = out
        .then()
        .env("PATH", &path)
        .args([
            "run",
            "--yes",
            "--section",
            "Rollback procedure",
            RUNBOOK,
            "-o",
            "sub.md",
        ])
        .run();
    assert_eq!(calls(&out)[2..], [BLUE_ONLY, UNDO]);
    // A run limited to a section stays limited to it when resumed.
    failing(&out, &[UNDO]);
    let out = out
        .then()
        .env("PATH", &path)
        .args([
            "run", "--yes", "--only", "rollback", RUNBOOK, "-o", "alone.md",
        ])
        .status(1)
        .run();
    assert_eq!(calls(&out)[4..], [BLUE_ONLY, UNDO]);
    failing(&out, &[]);
    let out = out
        .then()
        .env("PATH", &path)
        .args(["resume", "--yes", "alone.md"])
        .run();
    assert_eq!(calls(&out)[6..], [UNDO], "nothing outside the section");
}

#[test]
fn resume_of_a_run_that_went_into_the_rollback_continues_inside_it() {
    let (sandbox, path) = deploy_sandbox(DEPLOY);
    failing(&sandbox, &[MIGRATE, UNDO]);
    let out = sandbox
        .test()
        .env("PATH", &path)
        .args([
            "run",
            "--yes",
            "--on-failure",
            "rollback",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .status(1)
        .run();
    assert_eq!(calls(&out), [NODES, MIGRATE, BLUE_ONLY, UNDO]);
    // The rollback's own failure is fixed; the migration still fails.
    failing(&out, &[MIGRATE]);
    let out = out
        .then()
        .env("PATH", &path)
        .args(["resume", "--yes", OUT])
        .status(1)
        .stderr_contains("Continuing inside \"H) ROLLBACK PLAN\"")
        .run();
    assert_eq!(
        calls(&out)[4..],
        [UNDO],
        "the resumed run finished the rollback, and did not go back to the deploy"
    );
    let transcript = out.transcript();
    let undo = line_with(&transcript, "Undo the backend rollout");
    assert!(undo.starts_with("- [x]"), "{undo}");
}

#[test]
fn on_failure_must_name_a_contingency_section() {
    let (sandbox, path) = deploy_sandbox(DEPLOY);
    let out = sandbox
        .test()
        .env("PATH", &path)
        .args([
            "run",
            "--yes",
            "--on-failure",
            "Sign-off",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .status(2)
        .stderr_contains("is on the main path, not a contingency section")
        .stderr_contains("\"H) ROLLBACK PLAN\"")
        .run();
    let out = out
        .then()
        .args([
            "run",
            "--yes",
            "--only",
            "no such heading",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .status(2)
        .stderr_contains("--only: no section is called `no such heading`")
        .run();
    assert!(calls(&out).is_empty(), "nothing ran");
    assert!(!out.exists(OUT), "no transcript for a run that never began");
}

#[test]
fn plan_tells_the_main_path_from_the_contingency_sections() {
    let out = Test::new()
        .runbook(unindent(DEPLOY))
        .args(["plan", RUNBOOK])
        .stdout_contains("§ Deploy payments 2.0 › H) ROLLBACK PLAN  [contingency: rollback]")
        .stdout_contains(
            "§ Deploy payments 2.0 › J) Troubleshooting  [contingency: troubleshooting]",
        )
        .run();
    let out = out.then().args(["plan", "--format", "json", RUNBOOK]).run();
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
    let kinds: Vec<(String, serde_json::Value)> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["text"].as_str().unwrap().to_string(),
                s["contingency"].clone(),
            )
        })
        .collect();
    assert_eq!(
        kinds[2],
        ("Route traffic to GREEN".into(), serde_json::Value::Null)
    );
    assert_eq!(
        kinds[3],
        ("Send all traffic back to BLUE".into(), "rollback".into())
    );
    assert_eq!(plan["steps"][3]["children"][0]["contingency"], "rollback");
    assert_eq!(plan["contingency"][0]["title"], "H) ROLLBACK PLAN");
    assert_eq!(plan["contingency"][0]["because"], "heading");
    assert_eq!(plan["contingency"][1]["kind"], "troubleshooting");
}

#[test]
fn a_comment_and_runsheet_toml_say_which_sections_are_contingency() {
    let runbook = r#"
        # Release

        - [ ] Ship it
          ```bash
          kubectl apply -f release.yaml
          ```

        ## Plan B: by hand
        <!-- runsheet: contingency -->

        ```bash
        kubectl apply -f by-hand.yaml
        ```

        ## Fallback cluster

        ```bash
        kubectl apply -f fallback.yaml
        ```

        ## Rollback readiness, then rollback

        ```bash
        kubectl get deployments
        ```
        "#;
    let (sandbox, path) = deploy_sandbox(runbook);
    let out = sandbox.test().env("PATH", &path).run_yes().run();
    assert_eq!(
        calls(&out),
        [
            "kubectl apply -f release.yaml",
            "kubectl apply -f fallback.yaml",
            "kubectl get deployments",
        ]
    );
    fs::write(
        out.path("runsheet.toml"),
        "[contingency]\nsections = [\"fallback*\"]\nmain = [\"*readiness*\"]\n",
    )
    .unwrap();
    let out = out
        .then()
        .env("PATH", &path)
        .args(["run", "--yes", RUNBOOK, "-o", "second.md"])
        .run();
    assert_eq!(
        calls(&out)[3..],
        ["kubectl apply -f release.yaml", "kubectl get deployments"],
        "runsheet.toml made the fallback a contingency section"
    );
}

#[test]
fn a_rollback_runbook_runs_its_rollback() {
    let runbook = r#"
        # Rollback runbook: payments

        ## When to use
        When the error rate passes 5% after a deploy.

        ## Rollback steps
        ```bash
        kubectl rollout undo deployment/payments
        ```

        ## Troubleshooting
        ```bash
        kubectl describe deployment/payments
        ```
        "#;
    let (sandbox, path) = deploy_sandbox(runbook);
    let out = sandbox.test().env("PATH", &path).run_yes().run();
    assert_eq!(calls(&out), ["kubectl rollout undo deployment/payments"]);
}

/// Two ways to deploy, each its own section, and a check after either.
const OPTIONS: &str = r#"
    # Deploy

    ## Backend

    ### Option 1: Blue/green
    ```bash
    kubectl apply -f green.yaml
    ```

    ### Option 2: Rolling update
    ```bash
    kubectl rollout restart deployment/backend
    ```

    ### Verify (either way)
    ```bash
    kubectl get pods
    ```
    "#;

#[test]
fn alternatives_need_a_choice_before_an_unattended_run_begins() {
    let (sandbox, path) = deploy_sandbox(OPTIONS);
    let out = sandbox
        .test()
        .env("PATH", &path)
        .run_yes()
        .status(2)
        .stderr_contains("choose with --choose")
        .stderr_contains("Option 1: Blue/green | Option 2: Rolling update")
        .run();
    assert!(calls(&out).is_empty(), "nothing ran");
    assert!(!out.exists(OUT), "nothing was written");

    let out = out
        .then()
        .env("PATH", &path)
        .args(["run", "--yes", "--choose", "option 2", RUNBOOK, "-o", OUT])
        .run();
    assert_eq!(
        calls(&out),
        [
            "kubectl rollout restart deployment/backend",
            "kubectl get pods"
        ]
    );
    let transcript = out.transcript();
    let first = transcript
        .split("### Option 1: Blue/green\n")
        .nth(1)
        .unwrap();
    assert!(
        first
            .lines()
            .next()
            .unwrap()
            .ends_with("⏭ option not chosen in this run · \"Option 2: Rolling update\" was chosen"),
        "{transcript}"
    );
    let second = transcript
        .split("### Option 2: Rolling update\n")
        .nth(1)
        .unwrap();
    assert!(
        second.lines().next().unwrap().contains("☑ option chosen"),
        "{transcript}"
    );
    assert!(line_with(&transcript, " done · ").contains("2 done · 0 skipped"));
    let out = strips_back(out.sandbox)
        .test()
        .env("PATH", &path)
        .args([
            "run", "--yes", "--choose", "Option 3", RUNBOOK, "-o", "x.md",
        ])
        .status(2)
        .stderr_contains("names no option of the runbook")
        .run();
    let out = out
        .then()
        .env("PATH", &path)
        .file("answers.yaml", "choose: Option 1\n")
        .args([
            "run",
            "--yes",
            "--answers",
            "answers.yaml",
            RUNBOOK,
            "-o",
            "answered.md",
        ])
        .run();
    assert_eq!(
        calls(&out)[2..],
        ["kubectl apply -f green.yaml", "kubectl get pods"],
        "the answers file chose"
    );
}

#[test]
fn items_joined_by_or_are_chosen_between_and_plan_shows_the_groups() {
    let runbook = r#"
        - [ ] Restart the workers OR
          ```bash
          kubectl rollout restart deployment/workers
          ```
        - [ ] Scale them down and up
          ```bash
          kubectl scale deployment/workers --replicas=0
          ```
        - [ ] Check
          ```bash
          kubectl get pods
          ```
        "#;
    let (sandbox, path) = deploy_sandbox(runbook);
    let out = sandbox
        .test()
        .env("PATH", &path)
        .args(["plan", RUNBOOK])
        .stdout_contains("alternatives, of which a run does one")
        .stdout_contains("Restart the workers | Scale them down and up")
        .stdout_contains("[option 2 of 2]")
        .run();
    let out = out
        .then()
        .env("PATH", &path)
        // Scaling to zero is destructive: this run is allowed to.
        .args([
            "run",
            "--yes",
            "--allow-destructive",
            "--choose",
            "Scale them",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .run();
    assert_eq!(
        calls(&out),
        [
            "kubectl scale deployment/workers --replicas=0",
            "kubectl get pods"
        ]
    );
    let transcript = out.transcript();
    let restart = line_with(&transcript, "Restart the workers");
    assert!(
        restart.contains("option not chosen in this run"),
        "{restart}"
    );
}

#[test]
fn timed_steps_are_not_waited_out_unattended_unless_asked() {
    let runbook = "- [ ] Wait 30 seconds for the caches to warm\n";
    let start = Instant::now();
    let out = Test::new().runbook(runbook).run_yes().status(3).run();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "an unattended run must not sleep through a stated wait"
    );
    assert!(line_with(&out.transcript(), "Wait 30").contains("not confirmed"));

    let runbook =
        "- [ ] Wait 2 seconds for the caches to warm\n- [ ] Monitor the error rate for 1 second\n";
    let start = Instant::now();
    let out = Test::new()
        .runbook(runbook)
        .args(["run", "--yes", "--honour-waits", RUNBOOK, "-o", OUT])
        .status(3)
        .run();
    assert!(
        start.elapsed() >= Duration::from_secs(3),
        "both waits were waited out"
    );
    let transcript = out.transcript();
    let warm = line_with(&transcript, "caches to warm");
    assert!(
        warm.starts_with("- [x]") && warm.contains("how=waited") && warm.contains("· waited 2."),
        "waiting was the step: {warm}"
    );
    let watch = line_with(&transcript, "Monitor the error rate");
    assert!(
        watch.contains("not confirmed") && watch.contains("nobody watched"),
        "nobody watched: {watch}"
    );

    // The author can say an unattended run waits: `wait=` on a manual block.
    let out = Test::new()
        .runbook("```bash {manual wait=1s}\nlet the queue drain\n```\n")
        .run_yes()
        .run();
    assert!(
        out.transcript().contains("how=waited"),
        "{}",
        out.transcript()
    );
    Test::new()
        .runbook("```bash {wait=1s}\necho x\n```\n")
        .args(["plan", RUNBOOK])
        .status(1)
        .stdout_contains("`wait=` is for a `manual` block")
        .run();
}

#[test]
fn the_demo_passes_over_its_rollback_and_rolls_back_when_broken_on_purpose() {
    let demo = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks/demo.md"))
        .expect("the demo runbook");
    let demo_at = "runbooks/demo.md";
    let out = Test::new()
        .file(demo_at, &demo)
        .args(["run", "--yes", demo_at, "-o", OUT])
        .status(3)
        .run();
    let transcript = out.transcript();
    assert!(
        transcript.contains("⏭ contingency section, not needed in this run"),
        "{transcript}"
    );
    assert!(
        line_with(&transcript, " done · ")
            .contains("8 done · 0 skipped · 0 failed · 2 not confirmed")
    );
    assert!(
        !out.outputs().iter().any(|o| o.contains("rolled back")),
        "{transcript}"
    );
    // What the book says the second demo command does.
    let out = out
        .then()
        .env("HELLO_BROKEN", "1")
        .args([
            "run",
            "--yes",
            "--on-failure",
            "rollback",
            demo_at,
            "-o",
            "broken.md",
        ])
        .status(1)
        .run();
    let transcript = out.read("broken.md");
    assert!(
        transcript.contains(
            "started because: The service answers with the new version failed (exit 1) at runbooks/demo.md:75"
        ),
        "{transcript}"
    );
    assert!(
        out.outputs_of("broken.md")
            .last()
            .is_some_and(|o| o.ends_with("hello from hello-service 1.3.0\n")),
        "the rollback put the release before back: {transcript}"
    );
    let book = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/book/src/contingency.md"
    ))
    .expect("the chapter");
    assert!(
        book.contains("with the new version failed (exit 1) at runbooks/demo.md:75"),
        "the chapter quotes what the demo records"
    );
}

// --- At a terminal -------------------------------------------------------

/// The prompt before a block runs, in a runbook with contingency sections.
const RUN_C: &str =
    "Run this block? [r]un / [s]kip / [e]dit / [q]uit / [b]ack / [g]o to / [c]ontingency";

#[test]
fn at_a_terminal_a_failure_offers_the_rollback_which_records_what_started_it() {
    let (sandbox, path) = deploy_sandbox(DEPLOY);
    failing(&sandbox, &[MIGRATE]);
    let line = line_of(&sandbox, "kubectl apply -f migrate-job.yaml") - 1;
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[("PATH", &path)]);
    pty.answer(RUN_C, "r");
    pty.answer(RUN_C, "r");
    let failed = "The block failed (exit 1). [r]etry / [e]dit / [i]gnore / [s]kip / [a]bort / [q]uit / [b]ack / [g]o to \
                  · [1] rollback: H) ROLLBACK PLAN · [2] troubleshooting: J) Troubleshooting";
    pty.answer(failed, "1");
    pty.expect("started because: Migrate failed (exit 1)");
    pty.expect("Send all traffic back to BLUE");
    pty.answer(RUN_C, "r");
    pty.expect("Undo the backend rollout");
    pty.answer(RUN_C, "r");
    let after = "\"H) ROLLBACK PLAN\" is done. [s]top the run / [r]eturn to where it was";
    pty.answer(after, "r");
    // Back at the failure: this time, stop.
    pty.answer(failed, "a");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    assert_eq!(calls(&sandbox), [NODES, MIGRATE, BLUE_ONLY, UNDO]);
    let transcript = sandbox.transcript();
    let because = format!("started because: Migrate failed (exit 1) at {RUNBOOK}:{line}");
    assert!(
        transcript.contains(&because),
        "{because:?} not in:\n{transcript}"
    );
    assert!(line_with(&transcript, "Undo the backend rollout").starts_with("- [x]"));
}

#[test]
fn at_a_terminal_any_prompt_lists_the_contingency_sections_and_a_no_go_offers_them() {
    let runbook = r#"
        # Release

        - [ ] Tell the team

        Decision: `GO / NO-GO`

        - [ ] Publish
          ```bash
          kubectl apply -f publish.yaml
          ```

        ## Rollback
        ```bash
        kubectl rollout undo deployment/site
        ```
        "#;
    let (sandbox, path) = deploy_sandbox(runbook);
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[("PATH", &path)]);
    let task = format!("{TASK} / [c]ontingency");
    pty.expect("Tell the team");
    pty.answer(&task, "c");
    pty.expect("[1] rollback: Rollback");
    pty.answer("Start which? (1-1, empty to go back)", "1");
    // Inside the rollback there is no other section to offer.
    pty.answer(
        "Run this block? [r]un / [s]kip / [e]dit / [q]uit / [b]ack / [g]o to",
        "r",
    );
    pty.answer(
        "\"Rollback\" is done. [s]top the run / [r]eturn to where it was",
        "r",
    );
    pty.answer(&task, "d");
    pty.answer(
        "Pick 1-2 (or type the option; empty to skip) · [q]uit / [b]ack / [g]o to",
        "2",
    );
    pty.answer(
        "Decision: NO-GO: the step is recorded as failed. [c]ontinue / [b]ack / [a]bort / [g]o to · [1] rollback: Rollback",
        "a",
    );
    let (code, screen) = pty.wait();
    assert_eq!(
        code, 1,
        "stopped before Publish, the NO-GO failed: {screen}"
    );
    assert_eq!(calls(&sandbox), ["kubectl rollout undo deployment/site"]);
    let transcript = sandbox.transcript();
    assert!(
        transcript.contains("started because: the operator called for it at \"Tell the team\""),
        "{transcript}"
    );
}

#[test]
fn at_a_terminal_the_operator_picks_one_option() {
    let (sandbox, path) = deploy_sandbox(OPTIONS);
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[("PATH", &path)]);
    pty.expect("1) Option 1: Blue/green");
    pty.answer("Which one? (1-2, q to quit)", "2");
    pty.answer(
        "Run this block? [r]un / [s]kip / [e]dit / [q]uit / [b]ack / [g]o to",
        "r",
    );
    pty.answer(
        "Run this block? [r]un / [s]kip / [e]dit / [q]uit / [b]ack / [g]o to",
        "r",
    );
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(
        calls(&sandbox),
        [
            "kubectl rollout restart deployment/backend",
            "kubectl get pods"
        ]
    );
    assert!(sandbox.transcript().contains("☑ option chosen"));
}

#[test]
fn at_a_terminal_a_timed_step_counts_down_and_records_the_wait() {
    let sandbox = Sandbox::new();
    sandbox.write(
        RUNBOOK,
        "- [ ] Wait 2 seconds for the caches to warm\n- [ ] Monitor the error rate for 10 minutes\n",
    );
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[]);
    pty.expect("This takes 00:02");
    pty.expect("left");
    // Let it run out.
    pty.answer(TASK, "d");
    pty.expect("This takes 10:00");
    pty.expect("left");
    // Finish early.
    pty.send("f\r");
    pty.expect("waited 00:0");
    pty.answer(TASK, "d");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    let warm = line_with(&transcript, "caches to warm");
    assert!(warm.contains("· waited 2."), "{warm}");
    let monitor = line_with(&transcript, "Monitor the error rate");
    assert!(
        monitor.contains("· waited ") && !monitor.contains("waited 10m"),
        "{monitor}"
    );
}
