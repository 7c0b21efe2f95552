//! Diff and reports of fleet runs, host by host. The two transcripts are
//! written by runsheet's own transcript writer from what each host did, so
//! these run without sshd; `fleet::two_runs_of_a_fleet_differ_host_by_host`
//! makes them with real runs.

use std::collections::HashMap;
use std::path::Path;

use runsheet::record::{HostOutcome, HostStatus, Mode, Outcome, RunInfo, RunState, Status};
use runsheet::source::Source;

use crate::common::{Test, unindent};

const FLEET: &str = "
    # Deploy

    ## Restart

    ```bash {name=restart on=\"web-[1:4]\"}
    systemctl restart app && cat /etc/app/version
    ```

    ## Tell

    ```bash {name=tell}
    echo deployed
    ```
    ";

/// What a host did: its status, exit code and output.
type Host<'a> = (&'a str, HostStatus, &'a str);

/// A transcript of `FLEET` whose `restart` block did `hosts`.
fn transcript(hosts: &[Host], at: &str) -> String {
    transcript_of(restart(hosts, &format!("2026-11-{at}T05:11:02Z")), at)
}

/// The `restart` block's attempt that did `hosts`, ending at `end`.
fn restart(hosts: &[Host], end: &str) -> Outcome {
    let mut restart = Outcome::new("restart".into(), Status::Done);
    restart.at = end.to_string();
    restart.ms = 300;
    for &(name, status, output) in hosts {
        let mut h = HostOutcome::new(name, status);
        h.at = restart.at.clone();
        h.ms = 250;
        h.exit = match status {
            HostStatus::Done => Some(0),
            HostStatus::Failed => Some(1),
            _ => None,
        };
        h.output = output.into();
        if status == HostStatus::Unreachable {
            h.note = Some("ssh: connect to host 127.0.0.1 port 40022: Connection refused".into());
        }
        if status.is_failure() {
            restart.status = Status::Failed;
            restart.exit = h.exit.or(restart.exit);
        }
        restart.hosts.push(h);
    }
    restart
}

/// A transcript of `FLEET` run on day `at` whose `restart` block ended as
/// `restart` says.
fn transcript_of(restart: Outcome, at: &str) -> String {
    let text = unindent(FLEET);
    let source = Source::from_text(Path::new("deploy.md"), text.clone());
    let book = runsheet::doc::parse(&source);
    let mut tell = Outcome::new("tell".into(), Status::Done);
    tell.at = restart.at.clone();
    tell.exit = Some(0);
    tell.ms = 4;
    tell.output = "deployed\n".into();
    let outcomes = HashMap::from([("restart".to_string(), restart), ("tell".to_string(), tell)]);
    let info = RunInfo {
        id: format!("202611{at}T051100Z-4f2a"),
        source: "deploy.md".into(),
        sha256: runsheet::transcript::sha256(&text),
        operator: "alice@ops".into(),
        started: format!("2026-11-{at}T05:11:00Z"),
        finished: Some(format!("2026-11-{at}T05:11:03Z")),
        state: RunState::Complete,
        mode: Mode::Unattended,
        ..RunInfo::default()
    };
    runsheet::transcript::render(&source, &book, &outcomes, &info)
}

const OLD: &[Host] = &[
    ("web-1", HostStatus::Done, "v1 (pid 4242)\n"),
    ("web-2", HostStatus::Done, "v1\n"),
    ("web-3", HostStatus::Done, "v1\n"),
    ("web-4", HostStatus::Done, "v1\n"),
];
const NEW: &[Host] = &[
    ("web-1", HostStatus::Done, "v2 (pid 977)\n"),
    (
        "web-2",
        HostStatus::Failed,
        "restart: unit app.service failed\n",
    ),
    ("web-3", HostStatus::Unreachable, ""),
    ("web-5", HostStatus::Done, "v2\n"),
];

fn two_runs() -> Test {
    Test::new()
        .file("old.run.md", transcript(OLD, "21"))
        .file("new.run.md", transcript(NEW, "28"))
}

#[test]
fn a_fleet_block_is_compared_host_by_host() {
    let out = two_runs()
        .args(["diff", "--color", "never", "old.run.md", "new.run.md"])
        .status(1)
        .run();
    let want = [
        "1 step differs: 1 failed\n",
        "failed   Deploy › Restart › `restart` (line 5)\n",
        "    status: done → failed (exit 1)\n",
        "    host web-1: output differs\n",
        "      -v1 (pid 4242)\n",
        "      +v2 (pid 977)\n",
        "    host web-2: done → failed (exit 1)\n",
        "    host web-2: output differs\n",
        "      +restart: unit app.service failed\n",
        "    host web-3: done → unreachable (ssh: connect to host 127.0.0.1 port 40022: Connection refused)\n",
        "    host web-5: new to the block (done)\n",
        "    host web-4: no longer in the block (was done)\n",
    ];
    let mut from = 0;
    for line in want {
        let at = out.stdout[from..]
            .find(line)
            .unwrap_or_else(|| panic!("no {line:?} after byte {from} in\n{}", out.stdout));
        from += at + line.len();
    }
    assert!(!out.stdout.contains("`tell`"), "{}", out.stdout);
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/diff-and-reports.md"),
    )
    .expect("the chapter");
    assert_eq!(
        crate::book::marked_block(&page, "diff-fleet"),
        out.stdout,
        "the chapter's fleet example is not what runsheet prints"
    );

    // The same run twice, or only noise apart, is equivalent.
    let same: Vec<Host> = OLD
        .iter()
        .map(|&(h, s, o)| (h, s, if h == "web-1" { "v1 (pid 5)\n" } else { o }))
        .collect();
    out.then()
        .file("again.run.md", transcript(&same, "22"))
        .args(["diff", "old.run.md", "again.run.md"])
        .stdout_contains("equivalent")
        .run();
}

#[test]
fn a_host_that_is_new_or_gone_alone_counts_as_hosts() {
    let moved: Vec<Host> = OLD
        .iter()
        .map(|&(h, s, o)| (if h == "web-4" { "web-6" } else { h }, s, o))
        .collect();
    let out = Test::new()
        .file("old.run.md", transcript(OLD, "21"))
        .file("new.run.md", transcript(&moved, "28"))
        .args(["diff", "--stat", "old.run.md", "new.run.md"])
        .status(1)
        .stdout_contains("1 step differs: 1 hosts\n")
        .stdout_contains("hosts    Deploy › Restart › `restart` (line 5)  (hosts, hosts)")
        .run();
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
}

#[test]
fn markdown_and_json_name_the_hosts() {
    let out = two_runs()
        .args(["diff", "--format", "markdown", "old.run.md", "new.run.md"])
        .status(1)
        .stdout_contains(
            "| ❌ failed | Deploy › Restart › `restart` | status: done → failed (exit 1); \
             host web-1: output differs; host web-2: done → failed (exit 1); host web-2: output differs; \
             host web-3: done → unreachable (ssh: connect to host 127.0.0.1 port 40022: Connection refused); \
             host web-5: new to the block (done); host web-4: no longer in the block (was done) |",
        )
        .stdout_contains("- host web-2: output differs\n\n  ```diff\n  @@ -1 +1 @@\n  -v1\n  +restart: unit app.service failed\n  ```\n")
        .run();
    let out = out
        .then()
        .args(["diff", "--format", "json", "old.run.md", "new.run.md"])
        .status(1)
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let restart = doc["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["new"]["id"] == "restart")
        .expect("the restart pair");
    let changes: Vec<serde_json::Value> = restart["changes"].as_array().expect("changes").clone();
    let host = |name: &str, kind: &str| -> serde_json::Value {
        changes
            .iter()
            .find(|c| c["host"] == name && c["change"] == kind)
            .unwrap_or_else(|| panic!("no {kind} change of {name} in {changes:#?}"))
            .clone()
    };
    assert_eq!(
        host("web-2", "host"),
        serde_json::json!({
            "change": "host", "host": "web-2",
            "old": {"status": "done"}, "new": {"status": "failed", "exit": 1}
        })
    );
    assert_eq!(host("web-3", "host")["new"]["status"], "unreachable");
    assert_eq!(host("web-5", "host")["old"], serde_json::Value::Null);
    assert_eq!(host("web-4", "host")["new"], serde_json::Value::Null);
    assert_eq!(
        host("web-1", "host-output")["diff"],
        "@@ -1 +1 @@\n-v1 (pid 4242)\n+v2 (pid 977)\n"
    );
    assert_eq!(doc["counts"], serde_json::json!({"failed": 1}));

    // The chapter's schema names what a host change holds.
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/diff-and-reports.md"),
    )
    .expect("the chapter");
    for field in ["`host`", "`host-output`", "`hosts`", "`note`"] {
        assert!(page.contains(field), "the chapter lacks {field}");
    }
}

#[test]
fn junit_has_a_test_case_a_host() {
    let out = two_runs()
        .args(["report", "--format", "junit", "new.run.md"])
        .run();
    let xml = &out.stdout;
    for want in [
        r#"<testsuite name="deploy.md" id="20261128T051100Z-4f2a""#,
        r#"tests="5" failures="1" errors="1" skipped="0""#,
        r#"name="systemctl restart app &amp;&amp; cat /etc/app/version [web-1]" time="0.250""#,
        r#"<failure message="exit 1 on web-2" type="exit">restart: unit app.service failed</failure>"#,
        r#"<error message="unreachable on web-3: ssh: connect to host 127.0.0.1 port 40022: Connection refused" type="unreachable"/>"#,
        r#"name="systemctl restart app &amp;&amp; cat /etc/app/version [web-5]""#,
        r#"name="echo deployed""#,
    ] {
        assert!(xml.contains(want), "no {want:?} in\n{xml}");
    }
    assert!(!xml.contains("[web-4]"), "{xml}");
}

/// A transcript of `FLEET` whose `restart` block failed on the hosts of
/// `failing` at its first attempt and was run again there (as `retries=`
/// does), the others keeping their first part, and was then done on every
/// host of `OLD`.
fn retried_on(failing: &[&str], at: &str) -> String {
    let first: Vec<Host> = OLD
        .iter()
        .map(|&(h, s, o)| {
            if failing.contains(&h) {
                (h, HostStatus::Failed, "restart: unit app.service failed\n")
            } else {
                (h, s, o)
            }
        })
        .collect();
    let first = restart(&first, &format!("2026-11-{at}T05:11:02Z"));
    let mut last = restart(OLD, &format!("2026-11-{at}T05:11:04Z"));
    // A host done at the first attempt is not run again: its part is kept.
    for h in &mut last.hosts {
        if let Some(kept) = first
            .hosts
            .iter()
            .find(|k| k.host == h.host && k.status == HostStatus::Done)
        {
            h.clone_from(kept);
        }
    }
    last.earlier = vec![first];
    transcript_of(last, at)
}

#[test]
fn a_retry_is_told_on_the_host_that_needed_it() {
    let out = Test::new()
        .file("old.run.md", transcript(OLD, "21"))
        .file("new.run.md", retried_on(&["web-2"], "28"))
        .args(["diff", "--color", "never", "old.run.md", "new.run.md"])
        .status(1)
        .run();
    let text = &out.stdout;
    assert!(text.starts_with("1 step differs: 1 attempts\n"), "{text}");
    assert!(
        text.contains(
            "    attempts: 1 → 2 (earlier in the new run: failed (exit 1))\n    \
             host web-2: attempts: 1 → 2 (earlier in the new run: failed (exit 1))\n"
        ),
        "{text}"
    );
    for other in ["web-1", "web-3", "web-4"] {
        assert!(
            !text.contains(other),
            "{other} was tried once in both:\n{text}"
        );
    }
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/diff-and-reports.md"),
    )
    .expect("the chapter");
    assert_eq!(
        crate::book::marked_block(&page, "diff-fleet-attempts"),
        out.stdout,
        "the chapter's example of a retry on one host is not what runsheet prints"
    );

    // As many attempts in both runs, on another host: the block as a whole
    // is tried alike, its hosts are not.
    let out = out
        .then()
        .file("web3.run.md", retried_on(&["web-3"], "29"))
        .args(["diff", "--color", "never", "web3.run.md", "new.run.md"])
        .status(1)
        .run();
    let text = &out.stdout;
    assert!(text.starts_with("1 step differs: 1 attempts\n"), "{text}");
    assert!(!text.contains("    attempts:"), "{text}");
    assert!(
        text.contains(
            "    host web-2: attempts: 1 → 2 (earlier in the new run: failed (exit 1))\n    \
             host web-3: attempts: 2 → 1 (earlier in the old run: failed (exit 1))\n"
        ),
        "{text}"
    );

    let out = out
        .then()
        .args(["diff", "--format", "markdown", "web3.run.md", "new.run.md"])
        .status(1)
        .stdout_contains(
            "host web-2: attempts: 1 → 2 (earlier in the new run: failed (exit 1)); \
             host web-3: attempts: 2 → 1 (earlier in the old run: failed (exit 1))",
        )
        .run();
    let out = out
        .then()
        .args(["diff", "--format", "json", "web3.run.md", "new.run.md"])
        .status(1)
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let changes: Vec<&serde_json::Value> = doc["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .flat_map(|s| s["changes"].as_array().expect("changes"))
        .collect();
    assert_eq!(
        changes,
        [
            &serde_json::json!({
                "change": "host-attempts", "host": "web-2", "old": 1, "new": 2,
                "old_earlier": [], "new_earlier": [{"status": "failed", "exit": 1}]
            }),
            &serde_json::json!({
                "change": "host-attempts", "host": "web-3", "old": 2, "new": 1,
                "old_earlier": [{"status": "failed", "exit": 1}], "new_earlier": []
            }),
        ],
        "{}",
        out.stdout
    );
    assert_eq!(doc["counts"], serde_json::json!({"attempts": 1}));

    // The report keeps each attempt's part on each host.
    let out = out.then().args(["report", "new.run.md"]).run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let restart = doc["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == "restart")
        .expect("the restart block");
    let first: Vec<(&str, &str)> = restart["attempts"][0]["hosts"]
        .as_array()
        .expect("the first attempt's hosts")
        .iter()
        .map(|h| {
            (
                h["host"].as_str().expect("host"),
                h["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        first,
        [
            ("web-1", "done"),
            ("web-2", "failed"),
            ("web-3", "done"),
            ("web-4", "done")
        ]
    );
    assert_eq!(restart["attempts"][1].get("hosts"), None, "{restart}");
}
