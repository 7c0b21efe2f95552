//! The name a command step goes by, through the real binary: a first line
//! continued with `\` is named with the lines it continues onto, in `plan`,
//! the progress lines, the transcript, the reports, `diff` and `history`;
//! and a transcript written while names kept the ` \` still pairs.

use crate::common::{OUT, RUNBOOK, Test};

/// Two continued commands, the second failing (there is no `./config`).
const RESTART: &str = include_str!("fixtures/names/restart.md");

/// A run of `RESTART` made by runsheet before names were joined: its
/// summary names the failed step `test -e ./config \`.
const RESTART_OLD_RUN: &str = include_str!("fixtures/names/restart.old.run.md");

const RESTART_NAME: &str = "echo kubectl rollout restart deployment/web";
const CONFIG_NAME: &str = "test -e ./config -o -e ./config.d";

/// The `text` of every step in a `plan --format json` or report document.
fn texts(json: &str, key: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(json).expect("JSON");
    doc[key]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["text"].as_str().expect("text").to_string())
        .collect()
}

#[test]
fn a_continued_command_is_named_with_the_lines_it_continues_onto() {
    let long = "\n```bash\nhelm upgrade --install web ./chart \\\n  --namespace production \\\n  \
                --set image.tag=v1.4.0 \\\n  --set replicas=12 \\\n  --wait\n```\n";
    let out = Test::new()
        .runbook(format!("{RESTART}{long}"))
        .args(["plan", "--format", "json", RUNBOOK])
        .run();
    assert_eq!(
        texts(&out.stdout, "steps"),
        [
            RESTART_NAME,
            CONFIG_NAME,
            "helm upgrade --install web ./chart --namespace production --set image.tag=v1.4.0 …",
        ],
        "{}",
        out.stdout
    );
    let out = out
        .then()
        .args(["plan", RUNBOOK])
        .stdout_contains(&format!("bash$ {RESTART_NAME}"))
        .run();
    assert!(!out.stdout.contains(" \\\n"), "{}", out.stdout);

    // The run: the progress lines, the transcript's summary, the reports.
    let run = out
        .then()
        .runbook(RESTART)
        .args(["run", "--yes", "--keep-going", RUNBOOK, "-o", OUT])
        .args(["--report", "r.json", "--junit", "r.xml"])
        .status(1)
        .stderr_contains(&format!("✓ {RESTART_NAME} · "))
        .stderr_contains(&format!("✗ {CONFIG_NAME} · exit 1"))
        .stderr_contains(&format!("runbook.md:8  {CONFIG_NAME} · exit 1"))
        .run();
    let transcript = run.transcript();
    assert!(
        transcript.contains(&format!("Failed: [{CONFIG_NAME}](#rs-s2) (runbook.md:8)")),
        "{transcript}"
    );
    assert!(
        transcript.contains(&format!("the last at {CONFIG_NAME} (runbook.md:8)")),
        "{transcript}"
    );
    assert_eq!(
        texts(&run.read("r.json"), "steps"),
        [RESTART_NAME, CONFIG_NAME]
    );
    let junit = run.read("r.xml");
    assert!(
        junit.contains(&format!("name=\"{CONFIG_NAME}\"")),
        "{junit}"
    );
    // `report` reads the same names back from the transcript.
    let report = run.then().args(["report", OUT]).run();
    assert_eq!(texts(&report.stdout, "steps"), [RESTART_NAME, CONFIG_NAME]);
}

#[test]
fn a_transcript_written_before_names_were_joined_pairs_with_a_new_one() {
    assert!(
        RESTART_OLD_RUN.contains("Failed: [test -e ./config \\\\](#rs-s2)"),
        "the fixture is a transcript written with the old names"
    );
    let run = Test::new()
        .runbook(RESTART)
        .file("old.run.md", RESTART_OLD_RUN)
        .args(["run", "--yes", "--keep-going", RUNBOOK, "-o", "new.run.md"])
        .status(1)
        .run();
    // The old transcript reads with the names of today.
    let report = run.then().args(["report", "old.run.md"]).run();
    assert_eq!(texts(&report.stdout, "steps"), [RESTART_NAME, CONFIG_NAME]);
    // Each step pairs with itself: nothing new, nothing gone.
    let diff = report
        .then()
        .args(["diff", "--format", "json", "old.run.md", "new.run.md"])
        .run();
    let doc: serde_json::Value = serde_json::from_str(&diff.stdout).expect("JSON");
    assert_eq!(doc["verdict"], "equivalent", "{}", diff.stdout);
    // One row a step in a history of both, with a cell in each run.
    let history = diff
        .then()
        .args(["history", "--format", "json", "old.run.md", "new.run.md"])
        .run();
    let doc: serde_json::Value = serde_json::from_str(&history.stdout).expect("JSON");
    let rows = doc[0]["rows"].as_array().expect("rows");
    let labels: Vec<&str> = rows.iter().filter_map(|r| r["label"].as_str()).collect();
    assert_eq!(
        labels,
        [
            format!("Restart › `{RESTART_NAME}`"),
            format!("Restart › `{CONFIG_NAME}`")
        ],
        "{}",
        history.stdout
    );
    for row in rows {
        let cells = row["cells"].as_array().expect("cells");
        assert!(cells.iter().all(|c| !c.is_null()), "{}", history.stdout);
    }
    // `--step` finds a step by a piece of a line it continues onto.
    let one = history
        .then()
        .args(["history", "--format", "json", "--step", "config.d"])
        .args(["old.run.md", "new.run.md"])
        .run();
    let doc: serde_json::Value = serde_json::from_str(&one.stdout).expect("JSON");
    assert_eq!(doc[0]["rows"].as_array().expect("rows").len(), 1);
}
