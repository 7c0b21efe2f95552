//! Runs on fleets of remote hosts, against real OpenSSH servers on loopback
//! (one per fake host, see `common::sshd`). They need sshd, so a plain
//! `cargo test` leaves them out; CI installs openssh-server and runs them
//! with `--ignored`.

use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use runsheet::record::{HostStatus, RunRecord, StepRecord};

use crate::common::sshd::Hosts;
use crate::common::{OUT, RUNBOOK, Sandbox, Test, unindent, wait_for};

/// The run record of the transcript at `OUT`.
pub(crate) fn record(sandbox: &Sandbox) -> RunRecord {
    let path = sandbox.path(OUT);
    let text = sandbox.transcript();
    runsheet::transcript::record(&path, &text, &runsheet::config::Config::default())
        .expect("the transcript reads back")
        .1
}

/// The step whose code holds `needle`.
fn step<'a>(record: &'a RunRecord, needle: &str) -> &'a StepRecord {
    record
        .steps
        .iter()
        .find(|s| s.text.contains(needle))
        .unwrap_or_else(|| panic!("no step with {needle:?}"))
}

/// `host: status` for each host of a step, in order.
pub(crate) fn statuses(step: &StepRecord) -> Vec<(String, HostStatus)> {
    step.hosts
        .iter()
        .map(|h| (h.host.clone(), h.status))
        .collect()
}

/// A host's output in a step.
pub(crate) fn output<'a>(step: &'a StepRecord, host: &str) -> &'a str {
    &step
        .hosts
        .iter()
        .find(|h| h.host == host)
        .unwrap_or_else(|| panic!("no {host} in {:?}", step.hosts))
        .output
}

/// `run --yes --ssh-config CONFIG RUNBOOK -o OUT`.
pub(crate) fn run_yes(hosts: &Hosts, runbook: &str) -> Test {
    Test::new().runbook(unindent(runbook)).args([
        "run",
        "--yes",
        "--ssh-config",
        &hosts.ssh_config(),
        RUNBOOK,
        "-o",
        OUT,
    ])
}

fn web(state: HostStatus) -> Vec<(String, HostStatus)> {
    ["web-1", "web-2", "web-3"]
        .iter()
        .map(|h| (h.to_string(), state))
        .collect()
}

/// Start and end times (seconds since the epoch) each host wrote to `dir`.
fn spans(dir: &Path, names: &[&str]) -> Vec<(f64, f64)> {
    names
        .iter()
        .map(|n| {
            let read = |what: &str| -> f64 {
                let file = dir.join(format!("{n}.{what}"));
                fs::read_to_string(&file)
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
                    .trim()
                    .parse()
                    .expect("a time")
            };
            (read("start"), read("end"))
        })
        .collect()
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn each_host_keeps_its_own_shell_state_from_block_to_block() {
    let hosts = Hosts::start(&["web-1", "web-2", "web-3"], &[]);
    let shared = hosts.shared();
    let out = run_yes(
        &hosts,
        &format!(
            r#"
            # Deploy

            ```bash {{on="web-[1:3]"}}
            ME=$FAKE_HOST
            mkdir -p {shared}/$FAKE_HOST && cd {shared}/$FAKE_HOST
            greet() {{ echo "hello from $ME in $(basename "$PWD")"; }}
            alias shout='echo LOUD'
            ```

            Then, on two of them:

            ```bash {{on="web-[1:3],!web-2"}}
            greet
            shout
            ```

            ```bash
            echo "here: ${{ME:-nothing}}"
            ```
            "#,
            shared = shared.display()
        ),
    )
    .run();
    assert!(
        out.stdout.contains("[web-1] hello from web-1 in web-1"),
        "{}",
        out.stdout
    );
    let record = record(&out);
    let second = &record.steps[1];
    assert_eq!(
        statuses(second),
        [
            ("web-1".to_string(), HostStatus::Done),
            ("web-3".to_string(), HostStatus::Done)
        ]
    );
    assert_eq!(output(second, "web-1"), "hello from web-1 in web-1\nLOUD\n");
    assert_eq!(output(second, "web-3"), "hello from web-3 in web-3\nLOUD\n");
    // The local shell is another session.
    assert_eq!(
        out.outputs().last().map(String::as_str),
        Some("here: nothing\n")
    );
    let transcript = out.transcript();
    assert!(transcript.contains("3 hosts: 3 ✓ 0 ✗"), "{transcript}");
    assert!(transcript.contains("2 hosts: 2 ✓ 0 ✗"), "{transcript}");
    let web1 = transcript
        .find("-->web-1 · ✅ exit 0")
        .expect("web-1's line");
    let web3 = transcript
        .find("-->web-3 · ✅ exit 0")
        .expect("web-3's line");
    assert!(web1 < web3, "hosts are in inventory order:\n{transcript}");
    // Torn down at the end: no master, no session left.
    assert!(
        wait_for(Duration::from_secs(5), || !ssh_running(&hosts.ssh_config())),
        "ssh processes outlive the run"
    );
}

/// Whether an ssh process started with `config` still runs.
fn ssh_running(config: &str) -> bool {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| fs::read(e.path().join("cmdline")).ok())
        .any(|cmdline| {
            let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
            args.first().is_some_and(|a| a.ends_with(b"ssh")) && args.contains(&config.as_bytes())
        })
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn a_block_runs_on_all_its_hosts_at_once() {
    let hosts = Hosts::start(&["web-1", "web-2", "web-3"], &[]);
    let shared = hosts.shared();
    // Each host marks that it started, then waits (up to 30 s) until all
    // three have: run one host after another, the first would wait alone
    // and see only itself. A barrier, not a stopwatch, so a loaded machine
    // cannot make it pass or fail by timing.
    let runbook = format!(
        r#"
        ```bash {{on="web-[1:3]"}}
        touch {dir}/$FAKE_HOST.started
        for i in $(seq 300); do
          [ "$(ls {dir}/*.started | wc -l)" -ge 3 ] && break
          sleep 0.1
        done
        ls {dir}/*.started | wc -l > {dir}/$FAKE_HOST.saw
        ```
        "#,
        dir = shared.display()
    );
    run_yes(&hosts, &runbook).run();
    for host in ["web-1", "web-2", "web-3"] {
        let saw = fs::read_to_string(shared.join(format!("{host}.saw")))
            .unwrap_or_else(|e| panic!("{host} did not run the block: {e}"));
        assert_eq!(
            saw.trim(),
            "3",
            "{host} waited for the others and saw only {} of 3 started",
            saw.trim()
        );
    }
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn serial_rolls_through_the_hosts_one_at_a_time_in_order() {
    let hosts = Hosts::start(&["web-1", "web-2", "web-3"], &[]);
    let shared = hosts.shared();
    let runbook = format!(
        r#"
        ```bash {{on="web-[1:3]" serial=1}}
        date +%s.%N > {dir}/$FAKE_HOST.start
        sleep 0.3
        date +%s.%N > {dir}/$FAKE_HOST.end
        ```
        "#,
        dir = shared.display()
    );
    run_yes(&hosts, &runbook).run();
    let spans = spans(&shared, &["web-1", "web-2", "web-3"]);
    for pair in spans.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "batches overlap: {spans:?}");
    }
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn a_host_that_is_down_is_tried_again_then_left_out_and_the_exit_code_says_so() {
    let hosts = Hosts::start(&["web-1", "web-2"], &["web-3"]);
    let out = run_yes(
        &hosts,
        r#"
        ```bash {on="web-[1:3]"}
        echo first on $FAKE_HOST
        ```

        ```bash {on="web-[1:3]"}
        echo second on $FAKE_HOST
        ```
        "#,
    )
    .status(4)
    .run();
    let record = record(&out);
    let first = step(&record, "echo first");
    assert_eq!(
        statuses(first),
        [
            ("web-1".to_string(), HostStatus::Done),
            ("web-2".to_string(), HostStatus::Done),
            ("web-3".to_string(), HostStatus::Unreachable)
        ]
    );
    let note = first.hosts[2].note.as_deref().unwrap_or("");
    assert!(
        note.contains("Connection refused") && note.contains("3 tries"),
        "{note}"
    );
    let second = step(&record, "echo second");
    assert_eq!(second.hosts[2].status, HostStatus::Skipped);
    assert!(
        second.hosts[2]
            .note
            .as_deref()
            .unwrap_or("")
            .contains("left the run at s1"),
        "{:?}",
        second.hosts[2]
    );
    assert_eq!(output(second, "web-2"), "second on web-2\n");
    assert_eq!(record.counts.unreachable, 1);
    assert!(out.stderr.contains("1 host unreachable"), "{}", out.stderr);
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn a_host_lost_in_the_middle_of_a_block_is_not_run_again() {
    let mut hosts = Hosts::start(&["web-1", "web-2", "web-3"], &[]);
    let shared = hosts.shared();
    let sandbox = Sandbox::new();
    sandbox.write(
        RUNBOOK,
        unindent(&format!(
            r#"
            ```bash {{on="web-[1:3]" retries=2}}
            echo "ran" >> {dir}/$FAKE_HOST.runs
            if [ "$FAKE_HOST" = web-2 ]; then touch {dir}/web-2.started; sleep 30; fi
            echo "done on $FAKE_HOST"
            ```

            ```bash {{on="web-[1:3]"}}
            echo after
            ```
            "#,
            dir = shared.display()
        )),
    );
    let child = sandbox
        .command()
        .args([
            "run",
            "--yes",
            "--ssh-config",
            &hosts.ssh_config(),
            RUNBOOK,
            "-o",
            OUT,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start runsheet");
    assert!(
        wait_for(Duration::from_secs(30), || shared
            .join("web-2.started")
            .exists()),
        "web-2 never started its block"
    );
    hosts.crash("web-2");
    let out = child.wait_with_output().expect("runsheet ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let record = record(&sandbox);
    let first = step(&record, "echo \"ran\"");
    assert_eq!(
        statuses(first),
        [
            ("web-1".to_string(), HostStatus::Done),
            ("web-2".to_string(), HostStatus::Lost),
            ("web-3".to_string(), HostStatus::Done)
        ]
    );
    assert!(
        first.hosts[1]
            .note
            .as_deref()
            .unwrap_or("")
            .contains("not retried"),
        "{:?}",
        first.hosts[1]
    );
    // `retries=2` did not send it again: the block ran once there.
    let runs = fs::read_to_string(shared.join("web-2.runs")).expect("web-2 ran");
    assert_eq!(runs, "ran\n");
    let second = step(&record, "echo after");
    assert_eq!(second.hosts[1].status, HostStatus::Skipped);
    assert_eq!(output(second, "web-3"), "after\n");
    let transcript = sandbox.transcript();
    assert!(transcript.contains("1 lost"), "{transcript}");
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn max_fail_stops_the_rollout_and_the_run() {
    let hosts = Hosts::start(&["web-1", "web-2", "web-3"], &[]);
    let out = run_yes(
        &hosts,
        r#"
        ```bash {on="web-[1:3]" serial=1 max_fail=0}
        [ "$FAKE_HOST" != web-2 ]
        ```

        ```bash
        echo never
        ```
        "#,
    )
    .status(1)
    .run();
    let record = record(&out);
    let first = &record.steps[0];
    assert_eq!(
        statuses(first),
        [
            ("web-1".to_string(), HostStatus::Done),
            ("web-2".to_string(), HostStatus::Failed),
            ("web-3".to_string(), HostStatus::Stopped)
        ]
    );
    assert!(
        first.hosts[2]
            .note
            .as_deref()
            .unwrap_or("")
            .contains("max_fail"),
        "{:?}",
        first.hosts[2]
    );
    assert_eq!(record.steps[1].status, None, "the run went on");
    assert!(out.stderr.contains("the run stops here"), "{}", out.stderr);
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn without_max_fail_the_run_goes_on_without_the_failed_host() {
    let hosts = Hosts::start(&["web-1", "web-2", "web-3"], &[]);
    let out = run_yes(
        &hosts,
        r#"
        ```bash {on="web-[1:3]"}
        [ "$FAKE_HOST" != web-2 ]
        ```

        ```bash {on="web-[1:3]"}
        echo still on $FAKE_HOST
        ```
        "#,
    )
    .status(1)
    .stderr_contains("Going on without web-2")
    .run();
    let record = record(&out);
    assert_eq!(record.steps[0].hosts[1].status, HostStatus::Failed);
    let second = &record.steps[1];
    assert_eq!(second.hosts[1].status, HostStatus::Skipped);
    assert_eq!(output(second, "web-1"), "still on web-1\n");
    assert_eq!((record.counts.failed, record.counts.partly), (1, 1));
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn resume_goes_on_on_each_host_where_it_stopped() {
    let hosts = Hosts::start(&["web-1", "web-2", "web-3"], &[]);
    let shared = hosts.shared();
    let runbook = format!(
        r#"
        ```bash {{on="web-[1:3]"}}
        SET_IN_FIRST="kept on $FAKE_HOST"
        echo one >> {dir}/$FAKE_HOST.runs
        ```

        ```bash {{on="web-[1:3]"}}
        echo two >> {dir}/$FAKE_HOST.runs
        test -e {dir}/$FAKE_HOST.ready
        ```

        ```bash {{on="web-[1:3]"}}
        echo three >> {dir}/$FAKE_HOST.runs
        echo "$SET_IN_FIRST"
        ```
        "#,
        dir = shared.display()
    );
    for h in ["web-1", "web-3"] {
        fs::write(shared.join(format!("{h}.ready")), "").expect("ready file");
    }
    let out = run_yes(&hosts, &runbook).status(1).run();
    fs::write(shared.join("web-2.ready"), "").expect("ready file");
    let out = out
        .then()
        .args(["resume", "--yes", "--ssh-config", &hosts.ssh_config(), OUT])
        .run();
    let runs = |h: &str| fs::read_to_string(shared.join(format!("{h}.runs"))).expect("runs");
    assert_eq!(runs("web-1"), "one\ntwo\nthree\n");
    assert_eq!(runs("web-2"), "one\ntwo\ntwo\nthree\n");
    let record = record(&out);
    let third = &record.steps[2];
    assert_eq!(statuses(third), web(HostStatus::Done));
    // The resumed shell on web-2 took back what the first block set there.
    assert_eq!(output(third, "web-2"), "kept on web-2\n");
    assert_eq!(output(third, "web-1"), "kept on web-1\n");
    assert_eq!(record.counts.failed, 0);
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn inventories_groups_hosts_and_limit() {
    let hosts = Hosts::start(&["web-1", "web-2", "db-1"], &[]);
    let inventory = "[web]\nweb-[1:2]\n\n[db]\ndb-1\n\n[prod:children]\nweb\ndb\n";
    let out = Test::new()
        .runbook(unindent(
            r#"
            ```bash
            echo default on $FAKE_HOST
            ```

            ```bash {on=db}
            echo db on $FAKE_HOST
            ```

            ```bash {on=local}
            echo "local: ${FAKE_HOST:-here}"
            ```

            ```bash {on=web-2}
            echo never
            ```
            "#,
        ))
        .file("inventory.ini", inventory)
        .args(["run", "--yes", "--ssh-config", &hosts.ssh_config()])
        .args([
            "--inventory",
            "inventory.ini",
            "--hosts",
            "prod",
            "--limit",
            "!web-2",
        ])
        .args([RUNBOOK, "-o", OUT])
        .run();
    let record = record(&out);
    assert_eq!(
        statuses(&record.steps[0]),
        [
            ("web-1".to_string(), HostStatus::Done),
            ("db-1".to_string(), HostStatus::Done)
        ]
    );
    assert_eq!(output(&record.steps[0], "db-1"), "default on db-1\n");
    assert_eq!(
        statuses(&record.steps[1]),
        [("db-1".to_string(), HostStatus::Done)]
    );
    assert!(record.steps[2].hosts.is_empty());
    assert_eq!(
        out.outputs().last().map(String::as_str),
        Some("local: here\n")
    );
    // --limit leaves the last block no host: skipped, and said so.
    assert_eq!(
        record.steps[3].status,
        Some(runsheet::record::Status::Skipped)
    );
    assert!(
        out.stderr.contains("No host to run this block on"),
        "{}",
        out.stderr
    );
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn a_pattern_that_matches_no_host_is_an_error_before_anything_runs() {
    let hosts = Hosts::start(&["web-1"], &[]);
    Test::new()
        .runbook("```bash\ntouch ran\n```\n\n```bash {on=\"cache-*\"}\necho x\n```\n")
        .file("hosts.txt", "web-1\n")
        .args(["run", "--yes", "--ssh-config", &hosts.ssh_config()])
        .args(["--inventory", "hosts.txt", RUNBOOK, "-o", OUT])
        .status(2)
        .stderr_contains("runbook.md:5: `cache-*` matches no host of the inventory")
        .run();
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn the_operator_is_asked_once_per_block_and_told_how_many_hosts() {
    let hosts = Hosts::start(&["web-1", "web-2", "web-3"], &[]);
    let shared = hosts.shared();
    let sandbox = crate::common::sandbox(&format!(
        r#"
        ```bash {{on="web-[1:3]"}}
        rm -rf {dir}/cache-$FAKE_HOST
        ```

        ```bash {{on="web-[1:3]"}}
        echo "try" >> {dir}/$FAKE_HOST.tries
        test -e {dir}/$FAKE_HOST.ready
        ```
        "#,
        dir = shared.display()
    ));
    for h in ["web-1", "web-3"] {
        fs::write(shared.join(format!("{h}.ready")), "").expect("ready file");
    }
    let config = hosts.ssh_config();
    let mut pty = sandbox.pty(&["run", "--ssh-config", &config, RUNBOOK, "-o", OUT], &[]);
    pty.expect("On 3 hosts: web-1, web-2, web-3");
    pty.answer(crate::common::RUN, "r");
    pty.expect("It runs on 3 hosts: web-1, web-2, web-3.");
    pty.answer("Type `yes` to run it, anything else to skip it", "yes");
    pty.expect("[web-3] ✓ exit 0");
    pty.answer(crate::common::RUN, "r");
    let failed = "The block failed on 1 of 3 hosts (web-2: exit 1). Retry runs it again there; \
                  ignore goes on without them. [r]etry / [e]dit / [i]gnore / [s]kip / [a]bort / [q]uit / [b]ack / [g]o to";
    pty.expect_prompt(failed);
    fs::write(shared.join("web-2.ready"), "").expect("ready file");
    pty.reply(failed, "r");
    pty.expect("[web-2] ✓ exit 0");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    // One prompt for each block, not one for each host (the terminal shows
    // each prompt twice: asked, then answered).
    assert_eq!(screen.matches("Run this block?").count(), 2 * 2, "{screen}");
    assert_eq!(screen.matches("Type `yes`").count(), 2, "{screen}");
    // The retry ran on web-2 alone.
    let tries = |h: &str| fs::read_to_string(shared.join(format!("{h}.tries"))).expect("tries");
    assert_eq!(
        (tries("web-1"), tries("web-2")),
        ("try\n".into(), "try\ntry\n".into())
    );
    let record = record(&sandbox);
    assert_eq!(statuses(&record.steps[1]), web(HostStatus::Done));
    assert!(record.steps[0].confirmed_by.is_some());
    // The failed attempt stays on record with each host's part.
    let transcript = sandbox.read(OUT);
    let earlier = transcript
        .find("attempt 1 · 3 hosts: 2 ✓ 1 ✗")
        .unwrap_or_else(|| panic!("no earlier attempt with its hosts:\n{transcript}"));
    assert!(
        transcript[earlier..].contains("-->web-2 · ❌ exit 1"),
        "web-2's failed part of the first attempt:\n{transcript}"
    );
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn the_demo_runbook_runs_on_its_inventory() {
    let hosts = Hosts::start(&["web-1", "web-2", "web-3"], &[]);
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let runbook = fs::read_to_string(repo.join("runbooks/fleet-demo.md")).expect("the demo");
    let inventory = fs::read_to_string(repo.join("runbooks/fleet-hosts.ini")).expect("its hosts");
    let out = Test::new()
        .runbook(runbook)
        .file("fleet-hosts.ini", inventory)
        .args(["run", "--yes", "--ssh-config", &hosts.ssh_config()])
        .args(["--inventory", "fleet-hosts.ini", RUNBOOK, "-o", OUT])
        .run();
    let record = record(&out);
    let commands: Vec<&StepRecord> = record
        .steps
        .iter()
        .filter(|s| !s.hosts.is_empty())
        .collect();
    assert_eq!(commands.len(), 5);
    let still = commands[2];
    assert_eq!(still.hosts.len(), 2);
    assert!(
        output(still, "web-3").starts_with("still in /"),
        "{:?}",
        still.hosts
    );
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn two_runs_of_a_fleet_differ_host_by_host() {
    let hosts = Hosts::start(&["web-1", "web-2", "web-3"], &[]);
    let shared = hosts.shared();
    let runbook = format!(
        r#"
        ```bash {{name=version on="web-[1:3]"}}
        cat {dir}/$FAKE_HOST.version 2>/dev/null || echo v1
        test ! -e {dir}/$FAKE_HOST.broken
        ```
        "#,
        dir = shared.display()
    );
    let out = run_yes(&hosts, &runbook).run();
    fs::write(shared.join("web-1.version"), "v2\n").expect("a new version on web-1");
    fs::write(shared.join("web-2.broken"), "").expect("web-2 broken");
    let config = hosts.ssh_config();
    let out = out
        .then()
        .args([
            "run",
            "--yes",
            "--ssh-config",
            &config,
            RUNBOOK,
            "-o",
            "new.md",
        ])
        .status(1)
        .run();
    let out = out
        .then()
        .args(["diff", OUT, "new.md"])
        .status(1)
        .stdout_contains("1 step differs: 1 failed\n")
        .stdout_contains("    host web-1: output differs\n")
        .stdout_contains("      -v1\n      +v2\n")
        .stdout_contains("    host web-2: done → failed (exit 1)\n")
        .run();
    assert!(!out.stdout.contains("web-3"), "{}", out.stdout);
    out.then()
        .args(["report", "--format", "junit", "new.md"])
        .stdout_contains(r#"<failure message="exit 1 on web-2" type="exit">"#)
        .stdout_contains("[web-3]")
        .run();
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn a_retry_on_one_host_is_told_on_that_host() {
    let hosts = Hosts::start(&["web-1", "web-2", "web-3"], &[]);
    let shared = hosts.shared();
    // A host with a `.flaky` file fails once, then is up.
    let runbook = format!(
        r#"
        ```bash {{name=restart on="web-[1:3]" retries=1}}
        if [ -e {dir}/$FAKE_HOST.flaky ]; then rm {dir}/$FAKE_HOST.flaky; echo "not up yet"; false; fi
        echo up
        ```
        "#,
        dir = shared.display()
    );
    let out = run_yes(&hosts, &runbook).run();
    fs::write(shared.join("web-2.flaky"), "").expect("web-2 flaky");
    let config = hosts.ssh_config();
    let out = out
        .then()
        .args([
            "run",
            "--yes",
            "--ssh-config",
            &config,
            RUNBOOK,
            "-o",
            "new.md",
        ])
        .run();
    assert!(!shared.join("web-2.flaky").exists(), "web-2 failed once");
    let out = out
        .then()
        .args(["diff", OUT, "new.md"])
        .status(1)
        .stdout_contains("1 step differs: 1 attempts\n")
        .stdout_contains("    attempts: 1 → 2 (earlier in the new run: failed (exit 1))\n")
        .stdout_contains(
            "    host web-2: attempts: 1 → 2 (earlier in the new run: failed (exit 1))\n",
        )
        .run();
    // web-1 and web-3 were done at the first attempt and not run again.
    for other in ["web-1", "web-3"] {
        assert!(!out.stdout.contains(other), "{}", out.stdout);
    }
}

/// A runbook on web-1 and web-2: each goes into its own directory, web-2's
/// is removed, then `next` runs and leaves `<host>.ran` in the shared
/// directory (an absolute path: it does not depend on where it runs).
pub(crate) fn removes_web_2s_directory(shared: &Path, next: &str) -> String {
    let next = next.replace('\n', "\n        ");
    format!(
        r#"
        # Deploy

        ```bash {{on="web-[1:2]"}}
        mkdir -p {shared}/$FAKE_HOST && cd {shared}/$FAKE_HOST
        ```

        ```bash {{on="web-[1:2]" danger=false}}
        if [ "$FAKE_HOST" = web-2 ]; then rm -rf "$PWD"; fi
        ```

        ```bash {{on="web-[1:2]"}}
        {next}
        touch {shared}/$FAKE_HOST.ran
        ```
        "#,
        shared = shared.display()
    )
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn a_block_that_removes_its_hosts_directory_is_said_and_the_next_is_refused_there() {
    let hosts = Hosts::start(&["web-1", "web-2"], &[]);
    let shared = hosts.shared();
    let gone = format!("{}/web-2", shared.display());
    let out = run_yes(
        &hosts,
        &removes_web_2s_directory(&shared, "echo \"on $FAKE_HOST\""),
    )
    .args(["--report", "r.json", "--junit", "j.xml"])
    .status(1)
    .stderr_contains(&format!(
        "{RUNBOOK}:7: on web-2: the shell's working directory, {gone}, no longer exists \
             (the block removed or moved it). The next blocks on it would run in a directory \
             that is gone: this unattended run does not run one there unless it starts with \
             `cd` (or has an absolute `cwd=`)."
    ))
    .stderr_contains(&format!(
        "{RUNBOOK}:11: refused on web-2: On web-2, it would run in {gone}, which no longer \
             exists: an earlier block removed or moved the shell's working directory there. \
             Nobody is at a terminal to confirm it; start the block with `cd`"
    ))
    .stderr_contains("Going on without web-2")
    .run();
    // Not run on web-2; run on web-1.
    assert!(shared.join("web-1.ran").exists(), "{}", out.stderr);
    assert!(
        !shared.join("web-2.ran").exists(),
        "the block ran on web-2, in a directory that is gone"
    );
    assert_eq!(out.stdout.matches("on web-").count(), 1, "{}", out.stdout);
    let record = record(&out);
    let removed = &record.steps[1];
    let how: Vec<(&str, bool)> = removed
        .hosts
        .iter()
        .map(|h| {
            (
                h.host.as_str(),
                h.reasons.contains(&runsheet::record::Reason::CwdGone),
            )
        })
        .collect();
    assert_eq!(how, [("web-1", false), ("web-2", true)]);
    assert!(output(removed, "web-2").contains("[runsheet: the shell's working directory"));
    let next = &record.steps[2];
    assert_eq!(
        statuses(next),
        [
            ("web-1".to_string(), HostStatus::Done),
            ("web-2".to_string(), HostStatus::Failed)
        ]
    );
    let web_2 = &next.hosts[1];
    assert_eq!(web_2.reasons, [runsheet::record::Reason::Refused]);
    assert_eq!(web_2.exit, None);
    assert!(web_2.output.is_empty(), "{:?}", web_2.output);
    // The transcript says why, on the host's line.
    let transcript = out.transcript();
    assert!(
        transcript.contains(&format!(
            "-->web-2 · ⛔ refused · it would run in {gone}, which no longer exists (an \
             earlier block removed or moved it); nobody was at a terminal to confirm it"
        )),
        "{transcript}"
    );
    assert!(
        transcript.contains("it took away the shell's working directory"),
        "{transcript}"
    );
    let report: serde_json::Value = serde_json::from_str(&out.read("r.json")).expect("JSON");
    let hosts_of_next = &report["steps"][2]["hosts"];
    assert_eq!(hosts_of_next[1]["status"], "failed", "{report}");
    assert_eq!(hosts_of_next[1]["reasons"][0], "refused", "{report}");
    assert!(
        out.read("j.xml")
            .contains(r#"<failure message="refused on web-2: it would run in"#),
        "{}",
        out.read("j.xml")
    );
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn a_block_that_starts_with_cd_runs_on_the_host_whose_directory_is_gone() {
    let hosts = Hosts::start(&["web-1", "web-2"], &[]);
    let shared = hosts.shared();
    let out = run_yes(&hosts, &removes_web_2s_directory(&shared, "cd /tmp\npwd"))
        .stderr_contains("on web-2: the shell's working directory")
        .stderr_lacks("refused")
        .run();
    assert!(shared.join("web-1.ran").exists(), "{}", out.stderr);
    assert!(shared.join("web-2.ran").exists(), "{}", out.stderr);
    let record = record(&out);
    assert_eq!(statuses(&record.steps[2]), web(HostStatus::Done)[..2]);
    assert_eq!(output(&record.steps[2], "web-2"), "/tmp\n");
}

/// A rollback on the hosts is not stopped because a host's directory is
/// gone: it runs there, and it is said.
#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn a_rollback_runs_on_a_host_whose_directory_is_gone_and_says_so() {
    let hosts = Hosts::start(&["web-1", "web-2"], &[]);
    let shared = hosts.shared();
    let out = run_yes(
        &hosts,
        &format!(
            r#"
            # Deploy

            ```bash {{on="web-[1:2]"}}
            mkdir -p {shared}/$FAKE_HOST && cd {shared}/$FAKE_HOST
            ```

            ```bash {{on="web-[1:2]" danger=false}}
            rm -rf "$PWD"
            ```

            ```bash
            false
            ```

            ## Rollback

            ```bash {{on="web-[1:2]"}}
            touch {shared}/$FAKE_HOST.rolled
            ```
            "#,
            shared = shared.display()
        ),
    )
    .args(["--on-failure", "rollback"])
    .status(1)
    .stderr_contains(&format!(
        "on web-1, this block runs in {shared}/web-1, which no longer exists; on web-2, this \
         block runs in {shared}/web-2, which no longer exists (it is in a contingency section, \
         which runs all the same)",
        shared = shared.display()
    ))
    .stderr_lacks("refused")
    .run();
    assert!(shared.join("web-1.rolled").exists(), "{}", out.stderr);
    assert!(shared.join("web-2.rolled").exists(), "{}", out.stderr);
}

/// At a terminal, the block is shown with a reminder of the hosts whose
/// directory is gone, and the operator decides.
#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn at_a_terminal_the_next_block_is_asked_about_with_the_hosts_whose_directory_is_gone() {
    let hosts = Hosts::start(&["web-1", "web-2"], &[]);
    let shared = hosts.shared();
    let sandbox = crate::common::sandbox(&removes_web_2s_directory(&shared, "ls"));
    let config = hosts.ssh_config();
    let mut pty = sandbox.pty(&["run", "--ssh-config", &config, RUNBOOK, "-o", OUT], &[]);
    pty.answer(crate::common::RUN, "r");
    pty.answer(crate::common::RUN, "r");
    pty.expect(&format!(
        "on web-2: the shell's working directory, {}/web-2, no longer exists",
        shared.display()
    ));
    pty.expect("start the next one with `cd` to where it should run (edit it at its prompt)");
    pty.expect(&format!(
        "warning: on web-2, this block would run in {}/web-2, which no longer exists; edit it \
         to start with `cd` to where it should run, unless it does",
        shared.display()
    ));
    pty.answer(crate::common::RUN, "s");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("refused"), "{screen}");
    assert!(!shared.join("web-1.ran").exists());
    assert!(!shared.join("web-2.ran").exists());
    let transcript = sandbox.transcript();
    assert!(transcript.contains("how=cwd-gone"), "{transcript}");
}
