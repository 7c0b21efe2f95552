//! Run reports through the real binary: `run --report/--junit`, the same from
//! `runsheet report` after the fact, and the JUnit XML read back as a CI
//! system would.

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::common::{OUT, RUNBOOK, Test, unindent};

/// Every kind of ending a step can have in an unattended run.
const EVERYTHING: &str = "
    # Release

    ## Build

    - [ ] Compile
      ```bash {name=compile}
      echo compiled
      printf 'no newline at the end'
      ```
    - [ ] Tag the release
      ```bash
      echo \"tagging <release-tag> with $API_TOKEN\"
      ```
    - [ ] Run the flaky suite
      ```bash {name=suite}
      for i in $(seq 1 30); do echo \"test $i ok\"; done
      echo 'test 31 FAILED: expected 200, got 503' >&2
      exit 3
      ```

    ## Ship

    ```bash {skip}
    echo never
    ```

    ```bash {confirm}
    echo needs a person
    ```

    - [ ] Announce the release in #ops
    - [x] Changelog written

    Go / No-Go: `GO / NO-GO`

    Release notes reviewed by: ________

    ```
    [ ] Home page loads
    [ ] Login works
    ```
    ";

const SECRET: &str = "tok-0123456789abcdef-secret";

/// A run of `EVERYTHING` with `--report r.json --junit r.xml`.
fn reported_run() -> crate::common::Output {
    Test::new()
        .runbook(unindent(EVERYTHING))
        .env("API_TOKEN", SECRET)
        .file(
            "answers.yaml",
            "release-tag: v2.1.0\nGo / No-Go: GO\nHome page loads: done\n",
        )
        .args([
            "run",
            "--yes",
            "--keep-going",
            "--answers",
            "answers.yaml",
            "--report",
            "r.json",
            "--junit",
            "r.xml",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .status(1)
        .run()
}

#[test]
fn the_reports_a_run_writes_equal_those_of_its_transcript() {
    let out = reported_run();
    let json = out.read("r.json");
    let junit = out.read("r.xml");
    assert!(!json.contains(SECRET) && !junit.contains(SECRET), "{json}");
    let out = out.then().args(["report", OUT]).run();
    assert_eq!(out.stdout, json, "`report` differs from `run --report`");
    let out = out.then().args(["report", "--format", "junit", OUT]).run();
    assert_eq!(
        out.stdout, junit,
        "`report --format junit` differs from `run --junit`"
    );
    let out = out
        .then()
        .args(["report", "--format", "junit", OUT, "-o", "again.xml"])
        .run();
    assert_eq!(out.read("again.xml"), junit);
}

#[test]
fn the_json_report_holds_every_step_with_a_schema_version() {
    let out = reported_run();
    let doc: serde_json::Value = serde_json::from_str(&out.read("r.json")).expect("JSON");
    assert_eq!(doc["schema"], "runsheet-report/1");
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["run"]["source"], "runbook.md");
    assert_eq!(doc["run"]["mode"], "unattended");
    assert_eq!(doc["run"]["state"], "complete");
    let steps = doc["steps"].as_array().expect("steps");
    let step = |id: &str| {
        steps
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no step {id} in {steps:#?}"))
    };
    let compile = step("compile");
    assert_eq!(compile["kind"], "command");
    assert_eq!(compile["heading"], serde_json::json!(["Release", "Build"]));
    assert_eq!(compile["status"], "done");
    assert_eq!(compile["attempts"][0]["exit"], 0);
    assert!(compile["attempts"][0]["duration_ms"].is_u64());
    assert!(
        compile["attempts"][0]["started"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z'))
    );
    assert_eq!(
        compile["code"],
        "echo compiled\nprintf 'no newline at the end'\n"
    );
    let suite = step("suite");
    assert_eq!(suite["status"], "failed");
    assert_eq!(suite["attempts"][0]["exit"], 3);
    let tag = steps
        .iter()
        .find(|s| {
            s["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("echo \"tagging"))
        })
        .expect("the tag command");
    assert_eq!(
        tag["attempts"][0]["ran"],
        "echo \"tagging v2.1.0 with $API_TOKEN\"\n"
    );
    assert!(
        tag["attempts"][0]["output"]
            .as_str()
            .is_some_and(|o| o.contains("tagging v2.1.0 with •••")),
        "{tag:#}"
    );
    let go = steps
        .iter()
        .find(|s| s["kind"] == "choice")
        .expect("the choice");
    assert_eq!(go["answer"], "GO");
    let confirm = steps
        .iter()
        .find(|s| s["text"] == "echo needs a person")
        .expect("the confirm block");
    assert_eq!(confirm["reasons"], serde_json::json!(["refused"]));
    let changelog = steps
        .iter()
        .find(|s| s["text"] == "Changelog written")
        .expect("the ticked item");
    assert_eq!(changelog["done_before"], true);

    assert_undocumented_none(&doc);
}

/// Every field of `doc` is a row of a schema table in the book.
fn assert_undocumented_none(doc: &serde_json::Value) {
    let chapter = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/diff-and-reports.md"),
    )
    .expect("the chapter");
    let mut fields = Vec::new();
    let mut todo = vec![doc];
    while let Some(v) = todo.pop() {
        match v {
            serde_json::Value::Object(map) => {
                fields.extend(map.keys().cloned());
                // The names of `vars` are the runbook's, not the schema's.
                todo.extend(map.iter().filter(|(k, _)| *k != "vars").map(|(_, v)| v));
            }
            serde_json::Value::Array(items) => todo.extend(items),
            _ => {}
        }
    }
    fields.retain(|f| !chapter.contains(&format!("| `{f}` |")));
    assert!(fields.is_empty(), "not in the report schema: {fields:?}");
}

/// A testcase read back: its attributes, and its child element, if any.
#[derive(Debug, Default)]
struct Case {
    classname: String,
    name: String,
    time: String,
    outcome: Option<(String, String, String)>, // element, message, text
}

/// The testcases of a JUnit document, and the suite's counts, parsed with a
/// real XML reader (which also checks the document is well-formed).
fn parse_junit(xml: &str) -> (Vec<Case>, [usize; 4]) {
    let mut reader = Reader::from_str(xml);
    let mut cases: Vec<Case> = Vec::new();
    let mut counts = [0; 4];
    let mut in_outcome: Option<String> = None;
    loop {
        let event = reader.read_event().expect("well-formed XML");
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let attr = |key: &str| {
                    e.try_get_attribute(key)
                        .expect("a readable attribute")
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                                .expect("escaped")
                                .into_owned()
                        })
                        .unwrap_or_default()
                };
                match e.name().as_ref() {
                    "testsuite" => {
                        for (i, key) in ["tests", "failures", "errors", "skipped"]
                            .iter()
                            .enumerate()
                        {
                            counts[i] = attr(key).parse().expect("a count");
                        }
                    }
                    "testcase" => cases.push(Case {
                        classname: attr("classname"),
                        name: attr("name"),
                        time: attr("time"),
                        outcome: None,
                    }),
                    tag @ ("failure" | "error" | "skipped") => {
                        let tag = tag.to_string();
                        let case = cases.last_mut().expect("inside a testcase");
                        case.outcome = Some((tag.clone(), attr("message"), String::new()));
                        if matches!(event, Event::Start(_)) {
                            in_outcome = Some(tag);
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_outcome.is_some() => {
                // Entities come as references of their own.
                let text = t.xml10_content().into_owned();
                if let Some((_, _, body)) = cases.last_mut().and_then(|c| c.outcome.as_mut()) {
                    body.push_str(&text);
                }
            }
            Event::GeneralRef(r) if in_outcome.is_some() => {
                let name: &str = r;
                let text = quick_xml::escape::unescape(&format!("&{name};"))
                    .expect("a known entity")
                    .into_owned();
                if let Some((_, _, body)) = cases.last_mut().and_then(|c| c.outcome.as_mut()) {
                    body.push_str(&text);
                }
            }
            Event::End(e) if in_outcome.as_deref() == Some(e.name().as_ref()) => {
                in_outcome = None;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (cases, counts)
}

#[test]
fn the_junit_report_has_a_test_case_a_step() {
    let out = reported_run();
    let (cases, [tests, failures, errors, skipped]) = parse_junit(&out.read("r.xml"));
    assert_eq!(tests, cases.len());
    let count = |tag: &str| {
        cases
            .iter()
            .filter(|c| c.outcome.as_ref().is_some_and(|o| o.0 == tag))
            .count()
    };
    assert_eq!(
        (failures, errors, skipped),
        (count("failure"), count("error"), count("skipped"))
    );
    // The suite's block failed; its task is not a test case of its own.
    assert_eq!(failures, 1, "the suite's block: {cases:#?}");
    assert_eq!(errors, 1, "the refused block: {cases:#?}");
    for c in &cases {
        assert!(c.time.parse::<f64>().is_ok(), "time {:?} of {c:?}", c.time);
        assert!(!c.classname.is_empty() && !c.name.is_empty(), "{c:?}");
    }
    let case = |name: &str| {
        cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no testcase {name:?} in {cases:#?}"))
    };
    let suite = case("for i in $(seq 1 30); do echo \"test $i ok\"; done");
    assert_eq!(suite.classname, "Release › Build");
    let (tag, message, body) = suite.outcome.as_ref().expect("a failure");
    assert_eq!((tag.as_str(), message.as_str()), ("failure", "exit 3"));
    assert!(
        body.starts_with("[… 11 lines before]\ntest 12 ok\n"),
        "{body}"
    );
    assert!(
        body.ends_with("test 31 FAILED: expected 200, got 503"),
        "{body}"
    );
    let refused = case("echo needs a person");
    assert_eq!(refused.classname, "Release › Ship");
    let (tag, message, _) = refused.outcome.as_ref().expect("an error");
    assert_eq!(tag, "error");
    assert!(message.starts_with("refused:"), "{message}");
    let never = case("echo never");
    assert_eq!(
        never.outcome.as_ref().map(|o| (o.0.as_str(), o.1.as_str())),
        Some(("skipped", "skipped: its fence says `skip`"))
    );
    let announce = case("Announce the release in #ops");
    assert_eq!(
        announce.outcome.as_ref().map(|o| o.1.as_str()),
        Some("not confirmed (unattended run)")
    );
    let reviewer = cases
        .iter()
        .find(|c| c.name.starts_with("Release notes reviewed by"))
        .expect("the blank");
    assert_eq!(
        reviewer.outcome.as_ref().map(|o| o.1.as_str()),
        Some("not answered (unattended run)")
    );
    assert_eq!(case("Home page loads").outcome, None);
    // A task whose blocks are test cases is not one more: a failure counts once.
    assert!(
        !cases
            .iter()
            .any(|c| c.name == "Compile" || c.name == "Run the flaky suite"),
        "{cases:#?}"
    );
    assert!(case("echo compiled").time.parse::<f64>().is_ok());
    // The summary's times are whole seconds; the suite still takes at least
    // as long as its cases together.
    let sum: f64 = cases
        .iter()
        .map(|c| c.time.parse::<f64>().unwrap_or(0.0))
        .sum();
    let suite = suite_time(&out.read("r.xml"));
    assert!(
        sum > 0.0 && suite + 0.0005 >= sum,
        "suite {suite} s, cases {sum} s"
    );
}

/// The `time` of the document's testsuite, in seconds.
fn suite_time(xml: &str) -> f64 {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) if e.name().as_ref() == "testsuite" => {
                let time = e
                    .try_get_attribute("time")
                    .expect("readable")
                    .expect("a time");
                return time.value.parse().expect("seconds");
            }
            Event::Eof => panic!("no testsuite in {xml}"),
            _ => {}
        }
    }
}

#[test]
fn resume_writes_the_report_of_the_whole_run() {
    let runbook = "- [ ] First\n  ```bash\n  echo one\n  ```\n- [ ] Second\n  ```bash\n  test -e ready\n  ```\n";
    let out = Test::new()
        .runbook(runbook)
        .args(["run", "--yes", RUNBOOK, "-o", OUT, "--junit", "first.xml"])
        .status(1)
        .run();
    let (_, [tests, failures, ..]) = parse_junit(&out.read("first.xml"));
    // One test case a block: the tasks holding them are not more.
    assert_eq!((tests, failures), (2, 1));
    out.write("ready", "");
    let out = out
        .then()
        .args([
            "resume", "--yes", OUT, "--report", "r.json", "--junit", "r.xml",
        ])
        .run();
    let (_, [tests, failures, errors, skipped]) = parse_junit(&out.read("r.xml"));
    assert_eq!((tests, failures, errors, skipped), (2, 0, 0, 0));
    let report = out.read("r.json");
    let out = out.then().args(["report", OUT]).run();
    assert_eq!(out.stdout, report);
    // Resuming a finished run still writes the report asked for.
    let out = out
        .then()
        .args(["resume", "--yes", OUT, "--report", "again.json"])
        .stderr_contains("already finished")
        .run();
    assert_eq!(out.read("again.json"), report);
}

#[test]
fn report_paths_are_checked_before_anything_runs() {
    let out = Test::new()
        .runbook("```bash\ntouch ran\n```\n")
        .args([
            "run",
            "--yes",
            RUNBOOK,
            "-o",
            OUT,
            "--report",
            "no/such/dir/r.json",
        ])
        .status(2)
        .stderr_contains("the directory no/such/dir does not exist")
        .run();
    assert!(!out.exists("ran"), "the run went ahead");
    out.then()
        .args(["report", RUNBOOK])
        .status(2)
        .stderr_contains("runbook.md: this is not a runsheet transcript")
        .run();
}

/// No output flag writes over what the command reads or over a transcript,
/// and each says so before anything runs; a device is written into, and a
/// link's file is replaced with the link kept.
#[test]
fn no_output_replaces_the_runbook_a_transcript_or_a_device() {
    let runbook = "```bash\ntouch ran\n```\n";
    let refused = |args: &[&str], says: &str| {
        let out = Test::new()
            .runbook(runbook)
            .file("old.run.md", "")
            .args(args.iter().copied())
            .status(2)
            .stderr_contains(says)
            .run();
        assert!(!out.exists("ran"), "{args:?}: the run went ahead");
        assert_eq!(
            out.read(RUNBOOK),
            runbook,
            "{args:?}: the runbook was written"
        );
    };
    let reads = "is a file this command reads";
    refused(
        &["run", "--yes", RUNBOOK, "-o", OUT, "--report", RUNBOOK],
        reads,
    );
    refused(&["run", "--yes", RUNBOOK, "-o", OUT, "--junit", OUT], reads);
    refused(&["render", RUNBOOK, "-o", RUNBOOK], reads);
    refused(
        &[
            "run", "--yes", RUNBOOK, "-o", OUT, "--report", "r", "--junit", "r",
        ],
        "--report and --junit both name r",
    );
    // A file nothing can be made in, whoever runs the tests.
    refused(
        &[
            "run",
            "--yes",
            RUNBOOK,
            "-o",
            OUT,
            "--report",
            "/proc/r.json",
        ],
        "cannot write /proc/r.json (--report)",
    );

    let mut first = Test::new().runbook(runbook).run_yes().run();
    let transcript = first.read(OUT);
    for args in [
        ["report", OUT, "-o", OUT].as_slice(),
        &["history", OUT, "--html", OUT],
        &["strip", OUT, "-o", OUT],
    ] {
        first = first
            .then()
            .args(args.iter().copied())
            .status(2)
            .stderr_contains(reads)
            .run();
    }
    let again = first
        .then()
        .args(["run", "--yes", RUNBOOK, "-o", "second.md", "--junit", OUT])
        .status(2)
        .stderr_contains("holds the transcript of run")
        .run();
    assert_eq!(again.read(OUT), transcript, "a transcript was written over");

    // Into a device: the report comes out on stdout, and /dev/stdout stays.
    let out = again
        .then()
        .args(["report", OUT, "--format", "junit", "-o", "/dev/stdout"])
        .stdout_contains("<testsuites")
        .run();
    assert!(std::fs::symlink_metadata("/dev/stdout").is_ok_and(|m| !m.is_file()));
    // Through a link: the link stays, its file holds the report.
    std::os::unix::fs::symlink("target.json", out.sandbox.path("link.json")).expect("a link");
    out.write("target.json", "{}");
    let out = out.then().args(["report", OUT, "-o", "link.json"]).run();
    assert!(
        out.sandbox.path("link.json").is_symlink(),
        "the link was replaced"
    );
    assert!(out.read("target.json").contains("runsheet-report/1"));
}

#[test]
fn a_templated_run_reports_its_secrets_masked() {
    const TOKEN: &str = "tok-9f8e7d6c5b4a-never-shown";
    let template = "---\nrunsheet: {template: true}\n---\n# Deploy\n\n- [ ] Call the API\n  ```bash\n  echo \"calling with {{ api_token }}\" | sed 's/calling/called/'\n  ```\n";
    let out = Test::new()
        .runbook(template)
        .args([
            "run",
            "--yes",
            "--var",
            &format!("api_token={TOKEN}"),
            "--report",
            "r.json",
            "--junit",
            "r.xml",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .run();
    let (json, junit) = (out.read("r.json"), out.read("r.xml"));
    assert!(!json.contains(TOKEN), "{json}");
    assert!(!junit.contains(TOKEN), "{junit}");
    assert!(json.contains("called with •••"), "{json}");
    assert!(
        junit.contains(r#"<property name="runsheet.template" value="runbook.md"/>"#),
        "{junit}"
    );
    let out = out.then().args(["report", OUT]).run();
    assert_eq!(out.stdout, json);
    let out = out.then().args(["report", "--format", "junit", OUT]).run();
    assert_eq!(out.stdout, junit);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(doc["run"]["template"]["path"], "runbook.md");
    assert_undocumented_none(&doc);
}

#[test]
fn steps_left_off_the_path_are_skipped_saying_why() {
    let canary = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/examples/canary.md"),
    )
    .expect("the canary example");
    let out = Test::new()
        .file("canary.md", canary)
        .args([
            "run",
            "--yes",
            "--choose",
            "everything",
            "canary.md",
            "-o",
            OUT,
        ])
        .args(["--junit", "r.xml", "--report", "r.json"])
        .run();
    let (cases, [tests, failures, errors, skipped]) = parse_junit(&out.read("r.xml"));
    assert_eq!((tests, failures, errors), (cases.len(), 0, 0));
    let message = |name: &str| {
        cases
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.outcome.as_ref())
            .map(|o| o.1.clone())
            .unwrap_or_else(|| panic!("no skipped {name:?} in {cases:#?}"))
    };
    assert_eq!(
        message("echo \"old=95 new=5\" > \"$CONFIG/weights\""),
        "off the run's path: the option `Option 1: Canary` was not taken"
    );
    assert_eq!(
        message("CONFIG=${CONFIG:-$(mktemp -d)}"),
        "off the run's path: the contingency section `Roll back` was not called for"
    );
    assert!(skipped >= 2, "{cases:#?}");
    let doc: serde_json::Value = serde_json::from_str(&out.read("r.json")).expect("JSON");
    assert!(!doc["sections"].as_array().expect("sections").is_empty());
    assert_undocumented_none(&doc);
    let out = out.then().args(["report", "--format", "junit", OUT]).run();
    assert_eq!(out.stdout, out.read("r.xml"));
}

/// A runbook whose second section fails; `hold` makes its first block wait
/// for a file `go`, so a run can be caught while it goes on.
const TWO_PARTS: &str = "
    # Nightly

    ## Capacity

    ```bash {name=warm}
    echo warmed
    if [ -n \"${HOLD:-}\" ]; then touch reached; while [ ! -e go ]; do sleep 0.05; done; fi
    ```

    ## Service

    ```bash {name=api}
    echo 'api: 503'; exit 1
    ```
    ";

#[test]
fn a_transcript_copied_while_its_run_goes_on_is_not_reported_as_finished() {
    let sandbox = crate::common::sandbox(TWO_PARTS);
    let mut child = sandbox
        .command()
        .args(["run", "--yes", "--keep-going", RUNBOOK, "-o", OUT])
        .env("HOLD", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("runsheet starts");
    let reached = crate::common::wait_for(std::time::Duration::from_secs(30), || {
        sandbox.exists("reached")
    });
    // The copy an operator would take while the run goes on.
    let copy = reached.then(|| sandbox.read(OUT));
    sandbox.write("go", "");
    let status = child.wait().expect("the run ends");
    assert_eq!(status.code(), Some(1));
    let copy = copy.expect("the first block started");
    assert!(copy.contains("state=running"), "{copy}");
    sandbox.write("copy.md", &copy);

    let out = Test::in_sandbox(sandbox)
        .args(["report", "copy.md"])
        .stderr_contains("warning: copy.md: the run has not ended (its state is `running`)")
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["run"]["state"], "running", "{}", out.stdout);
    assert_eq!(doc["counts"]["failed"], 0, "{}", out.stdout);
    assert_eq!(doc["exit_code"], 6, "{}", out.stdout);
    assert_eq!(doc["intact"], true, "{}", out.stdout);

    let out = out
        .then()
        .args(["report", "--format", "junit", "copy.md"])
        .run();
    let (cases, [_, failures, errors, _]) = parse_junit(&out.stdout);
    assert_eq!((failures, errors), (0, 1), "{}", out.stdout);
    let run = cases
        .iter()
        .find(|c| c.name == "the run")
        .expect("the run's case");
    let (element, message, _) = run.outcome.as_ref().expect("an error");
    assert_eq!(element, "error");
    assert!(message.starts_with("the run has not ended"), "{message}");

    // The run itself, ended, is reported as it ended.
    let out = out
        .then()
        .args(["report", OUT])
        .stderr_lacks("warning")
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["exit_code"], 1, "{}", out.stdout);
}

/// `TWO_PARTS` run, its failing section then cut off the transcript as a
/// truncated copy or a careless edit would: `cut.md`.
pub fn cut_short() -> crate::common::Output {
    let out = Test::new()
        .runbook(unindent(TWO_PARTS))
        .args(["run", "--yes", "--keep-going", RUNBOOK, "-o", OUT])
        .status(1)
        .run();
    let whole = out.read(OUT);
    let at = whole.find("\n## Service").expect("the second section");
    out.write("cut.md", &whole[..at + 1]);
    out
}

#[test]
fn a_transcript_cut_short_is_never_reported_as_a_clean_pass() {
    let out = cut_short()
        .then()
        .args(["report", "cut.md"])
        .stderr_contains("warning: cut.md: this transcript is not the record its run wrote")
        .stderr_contains("`runsheet strip --force cut.md | diff runbook.md -`")
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["intact"], false, "{}", out.stdout);
    assert_eq!(doc["counts"]["failed"], 0, "{}", out.stdout);

    let out = out
        .then()
        .args(["report", "--format", "junit", "cut.md"])
        .stderr_contains("warning: cut.md: this transcript is not the record its run wrote")
        .run();
    let (cases, [_, failures, errors, _]) = parse_junit(&out.stdout);
    assert_eq!((failures, errors), (0, 1), "{}", out.stdout);
    let edited = cases
        .iter()
        .find(|c| c.name == "the transcript")
        .expect("the transcript's case");
    let (element, message, _) = edited.outcome.as_ref().expect("an error");
    assert_eq!(element, "error");
    assert!(message.contains("its sha256 differs"), "{message}");

    // The whole transcript is intact, with no error of the kind.
    let out = out
        .then()
        .args(["report", OUT])
        .stderr_lacks("warning")
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(
        (doc["intact"].clone(), doc["exit_code"].clone()),
        (true.into(), 1.into())
    );
}
