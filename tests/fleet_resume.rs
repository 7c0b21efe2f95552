//! Resuming a fleet run, against real OpenSSH servers on loopback: each
//! host's shell is taken back before a block is asked about, so a host
//! whose directory is gone is treated as the run treats one (refused
//! unattended, a reminder at a terminal), and a transcript edited since
//! keeps each host's results with their block. They need sshd, so a plain
//! `cargo test` leaves them out; CI runs them with `--ignored`.

use std::fs;

use runsheet::record::{HostStatus, Reason};

use crate::common::sshd::Hosts;
use crate::common::{OUT, RUN};
use crate::fleet::{output, record, removes_web_2s_directory, run_yes, statuses};

/// `(host, status)` pairs for web-1 and web-2.
fn both(one: HostStatus, two: HostStatus) -> Vec<(String, HostStatus)> {
    vec![("web-1".to_string(), one), ("web-2".to_string(), two)]
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn an_unattended_resume_refuses_the_block_again_where_the_directory_is_still_gone() {
    let hosts = Hosts::start(&["web-1", "web-2"], &[]);
    let shared = hosts.shared();
    let gone = format!("{}/web-2", shared.display());
    let out = run_yes(&hosts, &removes_web_2s_directory(&shared, "pwd"))
        .status(1)
        .stderr_contains("refused on web-2")
        .run();
    assert!(shared.join("web-1.ran").exists(), "{}", out.stderr);
    let out = out
        .then()
        .args(["resume", "--yes", "--ssh-config", &hosts.ssh_config(), OUT])
        .status(1)
        .stderr_contains(&format!(
            "on web-2: the shell's working directory when the run stopped, {gone}, no longer \
             exists. The next blocks on it would run in a directory that is gone: this \
             unattended run does not run one there unless it starts with `cd`"
        ))
        .stderr_contains(&format!(
            "refused on web-2: On web-2, it would run in {gone}, which no longer exists"
        ))
        .run();
    // Not run on web-2: not in its home directory either.
    assert!(
        !shared.join("web-2.ran").exists(),
        "the resumed block ran on web-2, whose directory is gone:\n{}",
        out.stderr
    );
    let record = record(&out);
    let third = &record.steps[2];
    assert_eq!(
        statuses(third),
        both(HostStatus::Done, HostStatus::Failed),
        "{}",
        out.stderr
    );
    assert_eq!(third.hosts[1].reasons, [Reason::Refused]);
    // web-1's result from the first run is kept as it was.
    assert_eq!(
        output(third, "web-1"),
        format!("{}/web-1\n", shared.display())
    );
}

#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn a_resume_goes_on_in_a_directory_made_again_since() {
    let hosts = Hosts::start(&["web-1", "web-2"], &[]);
    let shared = hosts.shared();
    let out = run_yes(&hosts, &removes_web_2s_directory(&shared, "pwd -P"))
        .status(1)
        .run();
    fs::create_dir(shared.join("web-2")).expect("make web-2's directory again");
    let out = out
        .then()
        .args(["resume", "--yes", "--ssh-config", &hosts.ssh_config(), OUT])
        .stderr_lacks("no longer exists")
        .stderr_lacks("refused")
        .run();
    assert!(shared.join("web-2.ran").exists(), "{}", out.stderr);
    let record = record(&out);
    let third = &record.steps[2];
    assert_eq!(statuses(third), both(HostStatus::Done, HostStatus::Done));
    // It ran there, in the directory the shell was in.
    let there = fs::canonicalize(shared.join("web-2")).expect("web-2's directory");
    assert_eq!(output(third, "web-2"), format!("{}\n", there.display()));
}

/// At a terminal the operator is reminded, and a block run all the same
/// runs where the shell was, in the directory that is gone, as it would
/// have in the run: not in the login's home directory.
#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn at_a_terminal_a_resume_reminds_of_the_hosts_whose_directory_is_gone() {
    let hosts = Hosts::start(&["web-1", "web-2"], &[]);
    let shared = hosts.shared();
    let gone = format!("{}/web-2", shared.display());
    let config = hosts.ssh_config();
    let out = run_yes(&hosts, &removes_web_2s_directory(&shared, "pwd -P"))
        .status(1)
        .run();
    let mut pty = out
        .sandbox
        .pty(&["resume", "--ssh-config", &config, OUT], &[]);
    pty.expect("[web-2] restored the shell state saved after its last block");
    pty.expect(&format!(
        "on web-2: the shell's working directory when the run stopped, {gone}, no longer exists. \
         The next blocks on it would run in a directory that is gone: start the next one with \
         `cd` to where it should run (edit it at its prompt)."
    ));
    pty.expect(&format!(
        "warning: on web-2, this block would run in {gone}, which no longer exists; edit it to \
         start with `cd` to where it should run, unless it does"
    ));
    pty.answer(RUN, "r");
    let failed = "The block failed on 1 of 2 hosts (web-2: exit 1). Retry runs it again there; \
                  ignore goes on without them. [r]etry / [e]dit / [i]gnore / [s]kip / [a]bort / \
                  [q]uit / [b]ack / [g]o to";
    pty.answer(failed, "a");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    assert!(!shared.join("web-2.ran").exists(), "{screen}");
    let record = record(&out.sandbox);
    let third = &record.steps[2];
    assert_eq!(statuses(third), both(HostStatus::Done, HostStatus::Failed));
    // `pwd -P` in a directory that is gone fails; in the home directory it
    // would not.
    assert!(
        output(third, "web-2").contains("No such file or directory"),
        "{:?}",
        output(third, "web-2")
    );
}

/// A fleet run stopped on web-2 at its second block; a block is added
/// above the first in the transcript, and the run resumed at a terminal.
#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn a_block_added_above_runs_on_every_host_and_each_hosts_results_stay_with_their_block() {
    let hosts = Hosts::start(&["web-1", "web-2"], &[]);
    let shared = hosts.shared();
    let dir = shared.display();
    let block = |word: &str, more: &str| {
        format!(
            "```bash {{on=\"web-[1:2]\"}}\necho \"{word} on $FAKE_HOST\" | tee -a {dir}/$FAKE_HOST.runs\n{more}```\n"
        )
    };
    let runbook = format!(
        "# Deploy\n\n{}\n{}\n{}",
        block("one", ""),
        block("two", &format!("test -e {dir}/$FAKE_HOST.ready\n")),
        block("three", "")
    );
    fs::write(shared.join("web-1.ready"), "").expect("ready file");
    let out = run_yes(&hosts, &runbook)
        .status(1)
        .stderr_contains("Going on without web-2")
        .run();
    fs::write(shared.join("web-2.ready"), "").expect("ready file");
    let edited = out.sandbox.transcript().replacen(
        "# Deploy\n",
        &format!("# Deploy\n\n{}", block("zero", "")),
        1,
    );
    out.sandbox.write(OUT, &edited);
    let config = hosts.ssh_config();
    let mut pty = out
        .sandbox
        .pty(&["resume", "--ssh-config", &config, OUT], &[]);
    pty.expect("it was edited since");
    pty.answer("Type `yes` to run it, anything else to skip it", "yes");
    for (word, on) in [
        ("zero", "On 2 hosts: web-1, web-2"),
        ("two", "On 2 hosts: web-1, web-2"),
        ("three", "On 2 hosts: web-1, web-2"),
    ] {
        pty.expect(on);
        pty.expect(&format!("echo \"{word} on $FAKE_HOST\""));
        pty.answer(RUN, "r");
    }
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("Dropped"), "{screen}");
    let runs = |h: &str| fs::read_to_string(shared.join(format!("{h}.runs"))).expect("runs");
    // The new block ran on both hosts; on web-2, the two it had not done.
    assert_eq!(
        runs("web-1"),
        "one on web-1\ntwo on web-1\nthree on web-1\nzero on web-1\n"
    );
    assert_eq!(
        runs("web-2"),
        "one on web-2\ntwo on web-2\nzero on web-2\ntwo on web-2\nthree on web-2\n"
    );
    let record = record(&out.sandbox);
    let texts: Vec<&str> = record.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(record.steps.len(), 4, "{texts:?}");
    for (at, word) in ["zero", "one", "two", "three"].iter().enumerate() {
        let step = &record.steps[at];
        assert!(step.text.contains(&format!("{word} on")), "{texts:?}");
        assert_eq!(
            statuses(step),
            both(HostStatus::Done, HostStatus::Done),
            "{word}"
        );
        for host in ["web-1", "web-2"] {
            assert_eq!(
                output(step, host),
                format!("{word} on {host}\n"),
                "{word} on {host}"
            );
        }
    }
    // The first run's attempts at the two blocks web-2 did not finish stay
    // with them, each host's part of them too; the others have none.
    for at in [2, 3] {
        let attempts = &record.steps[at].attempts;
        assert_eq!(attempts.len(), 2, "{:?}", record.steps[at]);
        assert_eq!(attempts[0].status, Some(runsheet::record::Status::Failed));
    }
    for at in [0, 1] {
        assert!(
            record.steps[at].attempts.len() < 2,
            "{:?}",
            record.steps[at]
        );
    }
    let transcript = out.sandbox.transcript();
    let second = transcript.find("echo \"two on").expect("the second block");
    let third = transcript.find("echo \"three on").expect("the third block");
    let earlier = transcript[second..]
        .find("attempt 1 · 2 hosts: 1 ✓ 1 ✗")
        .map(|at| second + at)
        .unwrap_or_else(|| panic!("no earlier attempt with its hosts:\n{transcript}"));
    assert!(earlier < third, "{transcript}");
    assert!(
        transcript[earlier..third].contains("-->web-2 · ❌ exit 1"),
        "web-2's failed part of the second block's first attempt:\n{transcript}"
    );
}

/// A host that cannot be reached when the resume checks it before the
/// prompt is tried again as the block starts; found then in a directory
/// that is gone, it is checked as it would have been up front: the block,
/// which nobody was asked about there, is not run on it.
#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn a_host_first_reached_as_the_block_starts_is_checked_for_its_directory() {
    let mut hosts = Hosts::start(&["web-1", "web-2"], &[]);
    let shared = hosts.shared();
    let gone = format!("{}/web-2", shared.display());
    let config = hosts.ssh_config();
    let out = run_yes(&hosts, &removes_web_2s_directory(&shared, "pwd"))
        .status(1)
        .run();
    hosts.crash("web-2");
    let mut pty = out
        .sandbox
        .pty(&["resume", "--ssh-config", &config, OUT], &[]);
    pty.expect("[web-2] not reached to take back its shell state");
    hosts.restart("web-2");
    pty.answer(RUN, "r");
    pty.expect(&format!(
        "on web-2: the shell's working directory when the run stopped, {gone}, no longer exists \
         (the host was first reached as this block started). The next blocks on it would run in \
         a directory that is gone"
    ));
    let failed = "The block failed on 1 of 2 hosts (web-2: refused). Retry runs it again there; \
                  ignore goes on without them. [r]etry / [e]dit / [i]gnore / [s]kip / [a]bort / \
                  [q]uit / [b]ack / [g]o to";
    pty.answer(failed, "a");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    assert!(
        !shared.join("web-2.ran").exists(),
        "the block ran on web-2 unchecked:\n{screen}"
    );
    let record = record(&out.sandbox);
    let third = &record.steps[2];
    assert_eq!(statuses(third), both(HostStatus::Done, HostStatus::Failed));
    assert_eq!(third.hosts[1].reasons, [Reason::Refused]);
    assert!(
        third.hosts[1]
            .note
            .as_deref()
            .is_some_and(|n| n.contains(&format!("it would run in {gone}, which no longer exists"))),
        "{:?}",
        third.hosts[1]
    );
}

/// A block run all the same on a resumed host whose directory is gone sees
/// that directory as the shell's, by `pwd` as by `$PWD`, as a block after
/// the one that removed it would have in the run; and nothing is left at
/// its path.
#[test]
#[ignore = "needs openssh-server (sshd); CI installs it and runs --ignored"]
fn on_a_resumed_host_pwd_and_pwd_variable_name_the_directory_that_is_gone() {
    let hosts = Hosts::start(&["web-1", "web-2"], &[]);
    let shared = hosts.shared();
    let gone = format!("{}/web-2", shared.display());
    let config = hosts.ssh_config();
    let out = run_yes(
        &hosts,
        &removes_web_2s_directory(&shared, "pwd\necho \"$PWD\""),
    )
    .status(1)
    .run();
    let mut pty = out
        .sandbox
        .pty(&["resume", "--ssh-config", &config, OUT], &[]);
    pty.expect(&format!(
        "warning: on web-2, this block would run in {gone}, which no longer exists"
    ));
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(shared.join("web-2.ran").exists(), "{screen}");
    assert!(!shared.join("web-2").exists(), "{screen}");
    let record = record(&out.sandbox);
    let third = &record.steps[2];
    assert_eq!(statuses(third), both(HostStatus::Done, HostStatus::Done));
    assert_eq!(output(third, "web-2"), format!("{gone}\n{gone}\n"));
}
