//! How `runsheet diff` and `runsheet history` pair the steps of two runs of a
//! runbook edited between them: unrelated steps are new and gone with their
//! blocks, reordered steps are moved, and every kind of entry is counted.

use crate::common::{RUNBOOK, Sandbox, Test};

/// A runbook of one task a text, each with a block that echoes the text.
fn tasks(texts: &[&str]) -> String {
    let mut out = String::from("# R\n\n");
    for t in texts {
        out.push_str(&format!("- [ ] {t}\n  ```bash\n  echo \"{t}\"\n  ```\n"));
    }
    out
}

/// `before` run into `1.run.md`, then the runbook rewritten as `after` and
/// run into `2.run.md`.
fn two_runs(before: &str, after: &str) -> Sandbox {
    let out = Test::new()
        .runbook(before)
        .args(["run", "--yes", RUNBOOK, "-o", "1.run.md"])
        .run();
    out.write(RUNBOOK, after);
    out.then()
        .args(["run", "--yes", RUNBOOK, "-o", "2.run.md"])
        .run()
        .sandbox
}

/// `runsheet diff --format json 1.run.md 2.run.md` (`--slower 1000x`, so
/// that timing never adds an entry), parsed.
fn diff_json(sandbox: Sandbox, status: i32) -> (Sandbox, serde_json::Value) {
    let out = sandbox
        .test()
        .args(["diff", "--slower", "1000x", "--format", "json"])
        .args(["1.run.md", "2.run.md"])
        .status(status)
        .run();
    let json = serde_json::from_str(&out.stdout).expect("diff writes JSON");
    (out.sandbox, json)
}

/// The text of a step of a `steps` entry on one side, or `-`.
fn text_of(step: &serde_json::Value, side: &str) -> String {
    step[side]["text"].as_str().unwrap_or("-").to_string()
}

/// The pairs of the JSON's `steps` as (old text, new text).
fn pairs(json: &serde_json::Value) -> Vec<(String, String)> {
    json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| (text_of(s, "old"), text_of(s, "new")))
        .collect()
}

#[test]
fn a_replaced_task_is_new_and_gone_with_its_block_never_a_changed_command() {
    let sandbox = two_runs(
        &tasks(&[
            "Restart the database",
            "Check replication lag",
            "Notify team",
        ]),
        &tasks(&[
            "Restart the database",
            "Drop the old replica",
            "Notify team",
        ]),
    );
    let (sandbox, json) = diff_json(sandbox, 1);
    assert_eq!(json["verdict"], "2 steps differ: 1 new, 1 gone", "{json:#}");
    let got = pairs(&json);
    for (old, new) in [
        ("-", "Drop the old replica"),
        ("-", "echo \"Drop the old replica\""),
        ("Check replication lag", "-"),
        ("echo \"Check replication lag\"", "-"),
    ] {
        assert!(
            got.contains(&(old.to_string(), new.to_string())),
            "no pair {old:?} / {new:?} in {got:?}"
        );
    }
    let text = sandbox
        .test()
        .args(["diff", "--slower", "1000x", "1.run.md", "2.run.md"])
        .status(1)
        .run()
        .stdout;
    assert!(!text.contains("command"), "{text}");

    // One word tasks, alike only in the heading above them.
    let sandbox = two_runs(
        &tasks(&["Alpha", "Bravo", "Charlie"]),
        &tasks(&["Alpha", "Xray", "Charlie"]),
    );
    let (_, json) = diff_json(sandbox, 1);
    assert_eq!(json["verdict"], "2 steps differ: 1 new, 1 gone", "{json:#}");
    assert!(
        !pairs(&json).contains(&("echo \"Bravo\"".into(), "echo \"Xray\"".into())),
        "{json:#}"
    );
}

#[test]
fn history_leaves_a_run_blank_where_its_runbook_had_no_such_step() {
    let sandbox = two_runs(
        &tasks(&[
            "Restart the database",
            "Check replication lag",
            "Notify team",
        ]),
        &tasks(&[
            "Restart the database",
            "Drop the old replica",
            "Notify team",
        ]),
    );
    let out = sandbox
        .test()
        .args(["history", "--format", "json", "1.run.md", "2.run.md"])
        .run();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let rows = json[0]["rows"].as_array().expect("rows");
    let cells = |label: &str| -> Vec<bool> {
        let row = rows
            .iter()
            .find(|r| r["label"] == label)
            .unwrap_or_else(|| panic!("no row {label:?} in {json:#}"));
        row["cells"]
            .as_array()
            .expect("cells")
            .iter()
            .map(|c| !c.is_null())
            .collect()
    };
    assert_eq!(
        cells("R › Check replication lag"),
        [true, false],
        "{json:#}"
    );
    assert_eq!(cells("R › Drop the old replica"), [false, true], "{json:#}");
    assert_eq!(cells("R › Notify team"), [true, true], "{json:#}");
}

#[test]
fn the_verdict_and_counts_name_every_kind_of_entry_listed() {
    let sandbox = two_runs(
        &tasks(&["Alpha", "Bravo", "Charlie", "Delta"]),
        &tasks(&["Alpha", "Bravo", "Echo", "Delta"]),
    );
    let (_, json) = diff_json(sandbox, 1);
    assert_eq!(json["verdict"], "2 steps differ: 1 new, 1 gone", "{json:#}");
    assert_eq!(json["counts"], serde_json::json!({"new": 1, "gone": 1}));
    assert_eq!(json["changed"], 2);
    // Whatever the entries, each kind listed is counted.
    for step in json["steps"].as_array().expect("steps") {
        if let Some(kind) = step["category"].as_str() {
            assert!(json["counts"][kind].as_u64() >= Some(1), "{kind}: {json:#}");
        }
    }

    // A task that gained a block and whose other block printed something
    // else is one step, counted under both kinds of its entries.
    let block = |code: &str| format!("  ```bash\n  {code}\n  ```\n");
    let out = Test::new()
        .runbook(format!("# R\n\n- [ ] Check\n{}", block("echo \"$WORD\"")))
        .env("WORD", "one")
        .args(["run", "--yes", RUNBOOK, "-o", "1.run.md"])
        .run();
    out.write(
        RUNBOOK,
        format!(
            "# R\n\n- [ ] Check\n{}{}",
            block("echo \"$WORD\""),
            block("echo extra")
        ),
    );
    let out = out
        .then()
        .env("WORD", "two")
        .args(["run", "--yes", RUNBOOK, "-o", "2.run.md"])
        .run();
    let (_, json) = diff_json(out.sandbox, 1);
    assert_eq!(
        json["verdict"], "1 step differs: 1 new, 1 output",
        "{json:#}"
    );
    assert_eq!(json["counts"], serde_json::json!({"new": 1, "output": 1}));
}

#[test]
fn reordered_steps_are_moved_and_the_runs_differ() {
    let sandbox = two_runs(
        &tasks(&["Drain traffic", "Restart service", "Restore traffic"]),
        &tasks(&["Restart service", "Drain traffic", "Restore traffic"]),
    );
    let text = sandbox
        .test()
        .args(["diff", "--slower", "1000x", "1.run.md", "2.run.md"])
        .status(1)
        .run();
    assert!(
        text.stdout.starts_with("1 step differs: 1 moved\n"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("moved    R › Restart service (line 7 → 3)\n    moved: was step 2, after R › Drain traffic; now step 1, first\n"),
        "{}",
        text.stdout
    );
    let (_, json) = diff_json(text.sandbox, 1);
    let moved: Vec<&serde_json::Value> = json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .flat_map(|s| s["changes"].as_array().expect("changes"))
        .filter(|c| c["change"] == "moved")
        .collect();
    assert_eq!(
        moved,
        [&serde_json::json!({
            "change": "moved",
            "old_place": 2,
            "new_place": 1,
            "old_after": "R › Drain traffic",
            "new_after": null,
        })],
        "{json:#}"
    );
    assert_eq!(json["counts"], serde_json::json!({"moved": 1}));
}

#[test]
fn a_task_moved_to_another_section_pairs_with_itself_and_is_moved() {
    let sections = |prepare: &[&str], work: &[&str]| {
        let body = |texts: &[&str]| tasks(texts).replace("# R\n\n", "");
        format!(
            "# R\n\n## Prepare\n\n{}\n## Work\n\n{}",
            body(prepare),
            body(work)
        )
    };
    let sandbox = two_runs(
        &sections(
            &["Drain traffic", "Snapshot the disk"],
            &["Restart service", "Restore traffic"],
        ),
        &sections(
            &["Snapshot the disk"],
            &["Restart service", "Drain traffic", "Restore traffic"],
        ),
    );
    let (_, json) = diff_json(sandbox, 1);
    assert_eq!(json["verdict"], "1 step differs: 1 moved", "{json:#}");
    let got = pairs(&json);
    assert!(
        got.contains(&("Drain traffic".into(), "Drain traffic".into())),
        "{got:?}"
    );
    assert!(!got.iter().any(|(o, n)| o == "-" || n == "-"), "{got:?}");
}

#[test]
fn a_block_pairs_only_inside_the_task_its_task_paired_with() {
    // The task reworded past recognition, its command the same: the task is
    // new and gone, and so is its block; a `name=` keeps the block paired.
    let task = |text: &str, attrs: &str| {
        format!("# R\n\n- [ ] {text}\n  ```bash{attrs}\n  echo lag\n  ```\n")
    };
    let sandbox = two_runs(
        &task("Check replication lag", ""),
        &task("Look at the standby", ""),
    );
    let (_, json) = diff_json(sandbox, 1);
    assert_eq!(json["verdict"], "2 steps differ: 1 new, 1 gone", "{json:#}");
    assert!(
        pairs(&json).contains(&("-".into(), "echo lag".into())),
        "{json:#}"
    );

    let sandbox = two_runs(
        &task("Check replication lag", " {name=lag}"),
        &task("Look at the standby", " {name=lag}"),
    );
    let (_, json) = diff_json(sandbox, 1);
    assert!(
        pairs(&json).contains(&("echo lag".into(), "echo lag".into())),
        "{json:#}"
    );

    // Reworded a little, the task and its edited block still pair.
    let sandbox = two_runs(
        &tasks(&["Run the migrations"]),
        &tasks(&["Run the database migrations"]),
    );
    let (_, json) = diff_json(sandbox, 1);
    assert_eq!(
        json["verdict"], "1 step differs: 1 reworded, 1 command",
        "{json:#}"
    );
}
