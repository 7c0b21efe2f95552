//! `runsheet diff` through the real binary: two real runs of a runbook that
//! changed between them, in every format; noise, secrets, bad input, and git's
//! diff driver.

use std::path::Path;
use std::process::Command;

use crate::common::{OUT, RUNBOOK, Sandbox, Test, unindent};

/// A runbook whose second run can be made slower (`WARM`), failing (a file
/// `api-down`), printing something else (`DEPTH`) and answered differently.
const DEPLOY: &str = "
    # Deploy

    - [ ] Warm the cache
      ```bash {name=warm}
      sleep \"${WARM:-0}\"
      echo \"warmed at $(date -u +%Y-%m-%dT%H:%M:%SZ) by pid $$ in /tmp/tmp.$RANDOM\"
      ```
    - [ ] Check the API
      ```bash {name=api}
      if [ -e api-down ]; then echo 'api: 503 Service Unavailable'; exit 1; fi
      echo 'api: 200 OK'
      ```
    - [ ] Count the queue
      ```bash {name=queue}
      echo \"queue depth: ${DEPTH:-0}\"
      echo \"request $(cat /proc/sys/kernel/random/uuid) took $((RANDOM % 900))ms\"
      ```

    Migration duration: ________
    ";

/// Runs `DEPLOY` twice into `old.md` and `new.md`: the second time the
/// cache takes over a second, the API is down, the queue is 7 deep and the
/// migration took `45 s` instead of `4 s`.
fn two_runs() -> Sandbox {
    let keep_going = ["run", "--yes", "--keep-going", "--answers", "answers.yaml"];
    let out = Test::new()
        .runbook(unindent(DEPLOY))
        .file("answers.yaml", "Migration duration: 4 s\n")
        .args(keep_going)
        .args([RUNBOOK, "-o", "old.md"])
        .run();
    out.write("api-down", "");
    out.write("answers.yaml", "Migration duration: 45 s\n");
    out.then()
        .args(keep_going)
        .args([RUNBOOK, "-o", "new.md"])
        .env("WARM", "1.2")
        .env("DEPTH", "7")
        .status(1)
        .run()
        .sandbox
}

/// Where `needle` is in `text`; panics with the text when it is not.
fn at(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("no {needle:?} in:\n{text}"))
}

#[test]
fn a_slower_step_and_a_failure_are_reported_most_important_first() {
    let out = two_runs()
        .test()
        .args(["diff", "old.md", "new.md"])
        .status(1)
        .run();
    let text = &out.stdout;
    assert!(
        text.starts_with("4 steps differ: 1 failed, 1 answer, 1 output, 1 slower\n"),
        "{text}"
    );
    assert!(text.contains("--- old.md · `runbook.md`"), "{text}");
    assert!(text.contains("+++ new.md · `runbook.md`"), "{text}");
    let api = at(text, "failed   Deploy › Check the API › `api`");
    let task = at(text, "failed   Deploy › Check the API (line");
    let answer = at(text, "answer: `4 s` → `45 s`");
    let queue = at(text, "output   Deploy › Count the queue › `queue`");
    let slower = at(text, "slower   Deploy › Warm the cache › `warm`");
    assert!(task < answer && api < answer, "{text}");
    assert!(answer < queue && queue < slower, "{text}");
    assert!(text.contains("status: done → failed (exit 1)"), "{text}");
    assert!(text.contains("-api: 200 OK\n"), "{text}");
    assert!(text.contains("+api: 503 Service Unavailable\n"), "{text}");
    assert!(text.contains("-queue depth: 0\n"), "{text}");
    assert!(text.contains("+queue depth: 7\n"), "{text}");
    // The request line differs only in its id and duration: noise, shown
    // as context at most.
    assert!(
        !text.contains("-request") && !text.contains("+request"),
        "{text}"
    );
    assert!(!text.contains("warmed at"), "{text}");
    assert!(text.contains("slower: 0.0"), "{text}");
    assert!(
        !text.contains("\x1b["),
        "colour without a terminal:\n{text}"
    );
}

#[test]
fn markdown_json_and_stat_say_the_same() {
    let sandbox = two_runs();
    let md = sandbox
        .test()
        .args(["diff", "--format", "markdown", "old.md", "new.md"])
        .status(1)
        .run();
    let text = &md.stdout;
    assert!(
        text.starts_with(
            "### runsheet diff: 4 steps differ: 1 failed, 1 answer, 1 output, 1 slower\n"
        ),
        "{text}"
    );
    assert!(text.contains("| change | step | what changed |"), "{text}");
    assert!(text.contains("| ❌ failed | Deploy › Check the API › `api` | status: done → failed (exit 1); output differs |"), "{text}");
    assert!(
        text.contains("| 🐢 slower | Deploy › Warm the cache › `warm` | slower: "),
        "{text}"
    );
    assert_eq!(text.matches("<details>").count(), 5, "{text}");
    assert_eq!(text.matches("</details>").count(), 5, "{text}");
    assert!(
        text.contains(
            "```diff\n  @@ -1 +1 @@\n  -api: 200 OK\n  +api: 503 Service Unavailable\n  ```"
        ),
        "{text}"
    );

    let json = md
        .then()
        .args(["diff", "--format", "json", "old.md", "new.md"])
        .status(1)
        .run();
    let doc: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("diff --format json is JSON");
    assert_eq!(doc["schema"], "runsheet-diff/1");
    assert_eq!(doc["equivalent"], false);
    assert_eq!(
        doc["verdict"],
        "4 steps differ: 1 failed, 1 answer, 1 output, 1 slower"
    );
    // The failed task and its failed block are one step that differs.
    assert_eq!(doc["counts"]["failed"], 1);
    assert_eq!(doc["counts"]["slower"], 1);
    assert_eq!(doc["old"]["path"], "old.md");
    assert_eq!(doc["new"]["run"]["source"], "runbook.md");
    let steps = doc["steps"].as_array().expect("steps");
    // Every aligned pair, changed or not: 3 tasks, 3 commands, 1 blank.
    assert_eq!(steps.len(), 7, "{steps:#?}");
    let api = steps
        .iter()
        .find(|s| s["new"]["id"] == "api")
        .expect("the api step");
    assert_eq!(api["category"], "failed");
    assert_eq!(api["old"]["status"], "done");
    assert_eq!(api["changes"][0]["change"], "status");
    assert_eq!(api["changes"][0]["new"]["status"], "failed");
    assert_eq!(api["changes"][0]["new"]["exit"], 1);
    assert_eq!(api["changes"][1]["change"], "output");
    let unchanged = steps.iter().filter(|s| s["category"].is_null()).count();
    assert_eq!(unchanged, 2, "the warm task and the queue task: {steps:#?}");

    let stat = json
        .then()
        .args(["diff", "--stat", "old.md", "new.md"])
        .status(1)
        .run();
    let lines: Vec<&str> = stat.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", stat.stdout);
    assert_eq!(
        lines[0],
        "4 steps differ: 1 failed, 1 answer, 1 output, 1 slower"
    );
    assert!(
        lines[5].starts_with("slower   Deploy › Warm the cache › `warm`"),
        "{}",
        stat.stdout
    );
    assert!(lines[5].ends_with("(slower)"), "{}", stat.stdout);
    stat.then()
        .args(["diff", "--stat", "--format", "json", "old.md", "new.md"])
        .status(2)
        .stderr_contains("--stat is for the text and markdown formats")
        .run();
}

#[test]
fn a_higher_threshold_hides_the_slower_step_and_colour_can_be_forced() {
    let out = two_runs()
        .test()
        .args([
            "diff", "--slower", "500x", "--color", "always", "old.md", "new.md",
        ])
        .status(1)
        .run();
    assert!(!out.stdout.contains("slower"), "{}", out.stdout);
    assert!(
        out.stdout.starts_with("\x1b[1m3 steps differ"),
        "{:?}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\x1b[31m-api: 200 OK\x1b[0m"),
        "{:?}",
        out.stdout
    );
    out.then()
        .args(["diff", "--slower", "half", "old.md", "new.md"])
        .status(2)
        .stderr_contains("`half` is not a factor")
        .run();
}

/// Output that changes on every run, and nothing else. The container id is a
/// whole one, 64 hex digits, as `docker run -d` prints it: a 12-digit one is
/// all digits once in about 280 runs, and a plain number is not masked.
const NOISY: &str = "
    # Noise

    - [ ] Print what changes on every run
      ```bash
      date -u
      date -u +%Y-%m-%dT%H:%M:%S.%NZ
      date +%s
      cat /proc/sys/kernel/random/uuid
      echo \"container $(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \\n')\"
      mktemp -u
      echo \"worker pid $$ listening on 127.0.0.1:$((RANDOM % 20000 + 40000))\"
      echo \"done in $((RANDOM % 9)).$((RANDOM % 90 + 10))s\"
      echo \"token: $API_TOKEN\"
      ```
    ";

#[test]
fn runs_that_differ_only_in_when_they_ran_are_equivalent() {
    let out = Test::new()
        .runbook(unindent(NOISY))
        .env("API_TOKEN", "first-secret-value-1234")
        .args(["run", "--yes", RUNBOOK, "-o", "old.md"])
        .run();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = out
        .then()
        .env("API_TOKEN", "second-secret-value-5678")
        .args(["run", "--yes", RUNBOOK, "-o", "new.md"])
        .run();
    assert_ne!(out.read("old.md"), out.read("new.md"));
    // What is compared here is the output's noise; a loaded machine can make
    // the second run's block a second slower, which is a change of its own.
    let out = out
        .then()
        .args(["diff", "--slower", "1000x", "old.md", "new.md"])
        .run();
    assert!(out.stdout.starts_with("equivalent\n"), "{}", out.stdout);
    // The same file twice.
    out.then()
        .args(["diff", "old.md", "old.md"])
        .stdout_contains("equivalent")
        .run();
}

/// A template's `now()` writes the time of its run into the command; two
/// runs of it that differ in nothing else are equivalent. A time changed in
/// a plain runbook's command is a change: someone wrote it.
#[test]
fn templated_runs_whose_commands_differ_only_in_their_time_are_equivalent() {
    let template = "---\nrunsheet:\n  template: true\n---\n# Dump\n\n```bash\n\
                    echo \"dump at {{ now() | date(\"%Y-%m-%dT%H:%M:%SZ\") }}\" >/dev/null\n```\n";
    let out = Test::new()
        .runbook(template)
        .args(["run", "--yes", RUNBOOK, "-o", "old.md"])
        .run();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = out
        .then()
        .args(["run", "--yes", RUNBOOK, "-o", "new.md"])
        .run();
    assert_ne!(out.read("old.md"), out.read("new.md"));
    let out = out
        .then()
        .args(["diff", "--slower", "1000x", "old.md", "new.md"])
        .run();
    assert!(out.stdout.starts_with("equivalent\n"), "{}", out.stdout);

    let plain = |when: &str| format!("# Dump\n\n```bash\necho \"logs since {when}\"\n```\n");
    let out = out
        .then()
        .file("a.md", plain("2026-11-01T00:00:00Z"))
        .file("b.md", plain("2026-12-01T00:00:00Z"))
        .args(["run", "--yes", "a.md", "-o", "a.run.md"])
        .run()
        .then()
        .args(["run", "--yes", "b.md", "-o", "b.run.md"])
        .run();
    out.then()
        .args(["diff", "--slower", "1000x", "a.run.md", "b.run.md"])
        .status(1)
        .stdout_contains("command")
        .run();
}

/// A task moved with its block edited is one step whose command changed,
/// not one new and one gone.
#[test]
fn a_task_moved_with_its_block_edited_is_one_step_moved_and_changed() {
    let task = |name: &str, cmd: &str| format!("- [ ] Task {name}\n  ```bash\n  {cmd}\n  ```\n");
    let out = Test::new()
        .file(
            "v1.md",
            format!("# D\n\n{}{}", task("A", "echo a"), task("B", "echo b")),
        )
        .file(
            "v2.md",
            format!(
                "# D\n\n{}{}",
                task("B", "echo b --verbose"),
                task("A", "echo a")
            ),
        )
        .args(["run", "--yes", "v1.md", "-o", "1.md"])
        .run()
        .then()
        .args(["run", "--yes", "v2.md", "-o", "2.md"])
        .run();
    let out = out
        .then()
        .args(["diff", "--slower", "1000x", "1.md", "2.md"])
        .status(1)
        .run();
    // Task B now comes first: it moved, and its block was edited.
    assert!(
        out.stdout
            .starts_with("1 step differs: 1 moved, 1 command\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("gone"), "{}", out.stdout);
}

#[test]
fn ignore_patterns_from_the_command_line_and_runsheet_toml() {
    let runbook = "```bash\necho \"build $BUILD of the site\"\n```\n";
    let out = Test::new()
        .runbook(runbook)
        .env("BUILD", "17")
        .args(["run", "--yes", RUNBOOK, "-o", "old.md"])
        .run()
        .then()
        .env("BUILD", "18")
        .args(["run", "--yes", RUNBOOK, "-o", "new.md"])
        .run();
    let out = out
        .then()
        .args(["diff", "old.md", "new.md"])
        .status(1)
        .stdout_contains("-build 17 of the site")
        .stdout_contains("+build 18 of the site")
        .run();
    let out = out
        .then()
        .args(["diff", "--ignore", "build [0-9]+", "old.md", "new.md"])
        .stdout_contains("equivalent")
        .run();
    out.write("runsheet.toml", "[diff]\nignore = [\"^build .*$\"]\n");
    let out = out
        .then()
        .args(["diff", "old.md", "new.md"])
        .stdout_contains("equivalent")
        .run();
    out.then()
        .args(["diff", "--ignore", "build (", "old.md", "new.md"])
        .status(2)
        .stderr_contains("--ignore: `build (` is not a regular expression")
        .run();
}

#[test]
fn secrets_stay_masked_in_every_format() {
    const SECRET: &str = "hunter2-but-much-longer";
    let runbook = "```bash\nexport DB_PASSWORD=\"$PASS\"\necho \"connecting with $DB_PASSWORD as run $RUN\"\n```\n";
    let out = Test::new()
        .runbook(runbook)
        .env("PASS", SECRET)
        .env("RUN", "one")
        .args(["run", "--yes", RUNBOOK, "-o", "old.md"])
        .run()
        .then()
        .env("PASS", SECRET)
        .env("RUN", "two")
        .args(["run", "--yes", RUNBOOK, "-o", "new.md"])
        .run();
    assert!(!out.read("new.md").contains(SECRET));
    let mut out = out;
    for format in ["text", "markdown", "json"] {
        out = out
            .then()
            .args(["diff", "--format", format, "old.md", "new.md"])
            .status(1)
            .run();
        assert!(!out.stdout.contains(SECRET), "{format}:\n{}", out.stdout);
        assert!(
            out.stdout.contains("connecting with ••• as run two"),
            "{format}:\n{}",
            out.stdout
        );
    }
}

#[test]
fn an_edited_runbook_is_warned_about_and_its_steps_still_pair_up() {
    let before = "# Deploy\n\n- [ ] Freeze deploys\n- [ ] Run the migrations\n  ```bash\n  echo migrated\n  ```\n- [ ] Announce it\n";
    let after = "# Deploy\n\n- [ ] Page the on-call\n- [ ] Freeze deploys\n- [ ] Run the database migrations\n  ```bash\n  echo migrated\n  ```\n- [ ] Announce it\n";
    let answers = "Freeze deploys: done\nAnnounce it: done\n";
    let out = Test::new().runbook(before).run_answered(answers).run();
    std::fs::rename(out.path(OUT), out.path("old.md")).expect("move the transcript");
    out.write(RUNBOOK, after);
    let out = out
        .then()
        .run_answered(format!("{answers}Page the on-call: done\n"))
        .run();
    let out = out.then().args(["diff", "old.md", OUT]).status(1).run();
    let text = &out.stdout;
    assert!(
        text.starts_with("2 steps differ: 1 new, 1 reworded\n"),
        "{text}"
    );
    // The reworded task pairs with what it was, and says how it read.
    assert!(
        text.contains(
            "reworded Deploy › Run the database migrations (line 4 → 5)\n    reworded: `Run the migrations` → `Run the database migrations`\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "warning: the runbook `runbook.md` was edited between the two runs (its sha256 differs)"
        ),
        "{text}"
    );
    assert!(
        text.contains("new      Deploy › Page the on-call (line 3)"),
        "{text}"
    );
    assert!(
        !text.contains("gone"),
        "the reworded step was not paired:\n{text}"
    );
    let out = out
        .then()
        .args(["diff", "--stat", "old.md", OUT])
        .status(1)
        .stderr_contains("warning: the runbook `runbook.md` was edited")
        .run();
    assert!(!out.stdout.contains("warning"), "{}", out.stdout);
}

#[test]
fn runs_of_two_different_runbooks_are_compared_by_text_with_a_warning() {
    let out = Test::new()
        .file(
            "a.md",
            "- [ ] Check the disk\n  ```bash\n  echo ok\n  ```\n",
        )
        .file(
            "b.md",
            "- [ ] Check the disk\n  ```bash\n  echo full\n  ```\n",
        )
        .args(["run", "--yes", "a.md", "-o", "a.run.md"])
        .run()
        .then()
        .args(["run", "--yes", "b.md", "-o", "b.run.md"])
        .run();
    out.then()
        .args(["diff", "a.run.md", "b.run.md"])
        .status(1)
        .stdout_contains("warning: these are runs of two different runbooks (`a.md` in a.run.md, `b.md` in b.run.md)")
        .stdout_contains("+full")
        .run();
}

// --- Bad input -----------------------------------------------------------------

/// One finished transcript at `OUT`.
fn one_run() -> Sandbox {
    Test::new()
        .runbook("# Deploy\n\n- [ ] Migrate\n  ```bash\n  echo migrated\n  ```\n")
        .run_yes()
        .run()
        .sandbox
}

#[test]
fn a_plain_document_is_no_transcript() {
    let out = one_run();
    out.test()
        .args(["diff", RUNBOOK, OUT])
        .status(2)
        .stderr_contains("error: runbook.md: this is not a runsheet transcript")
        .run();
}

#[test]
fn damaged_markers_are_an_error_naming_the_line() {
    let out = one_run();
    let transcript = out.transcript();
    let line = transcript
        .lines()
        .position(|l| l.trim() == "<!--/rs:out-->")
        .expect("a closing marker")
        + 1;
    let damaged = transcript.replacen("<!--/rs:out-->", "<!--/rs:task-->", 1);
    out.write("damaged.md", damaged);
    out.test()
        .args(["diff", OUT, "damaged.md"])
        .status(2)
        .stderr_contains(&format!(
            "error: damaged.md:{line}: a region opened as `out` is closed as `task`"
        ))
        .stderr_contains("markers are damaged")
        .run();
}

/// Within a format version, a `how` word this runsheet does not know (one a
/// newer runsheet added) is passed over, as the format promises: the
/// transcript is still read, not called damaged.
#[test]
fn a_how_word_this_runsheet_does_not_know_is_passed_over() {
    let out = one_run();
    let transcript = out.transcript();
    assert!(transcript.contains("<!--rs:out id="), "{transcript}");
    let later = transcript.replacen("<!--rs:out id=", "<!--rs:out how=added-later id=", 1);
    out.write("later.md", later);
    let out = out
        .test()
        .args(["diff", OUT, "later.md"])
        .stderr_lacks("damaged")
        .run();
    let out = out
        .then()
        .args(["report", "later.md"])
        .stderr_lacks("damaged")
        .run();
    let later = out.then().args(["strip", "later.md"]).run();
    let stripped = later.stdout.clone();
    let original = later.then().args(["strip", OUT]).run().stdout;
    assert_eq!(stripped, original);
}

#[test]
fn a_newer_format_version_is_refused_plainly() {
    let out = one_run();
    let newer = out
        .transcript()
        .replacen("<!--rs:run v=1 ", "<!--rs:run v=99 ", 1);
    out.write("newer.md", newer);
    let out = out
        .test()
        .args(["diff", OUT, "newer.md"])
        .status(2)
        .stderr_contains(
            "newer.md: this transcript is in format version 99, written by a newer runsheet",
        )
        .stderr_contains("upgrade runsheet")
        .stderr_lacks("damaged")
        .run();
    out.then()
        .args(["strip", "newer.md"])
        .status(2)
        .stderr_contains("format version 99")
        .run();
}

#[test]
fn a_missing_file_or_a_wrong_number_of_files_is_an_error() {
    let out = one_run();
    let out = out
        .test()
        .args(["diff", OUT, "nowhere.md"])
        .status(2)
        .stderr_contains("cannot read nowhere.md")
        .run();
    out.then()
        .args(["diff", OUT, OUT, OUT])
        .status(2)
        .stderr_contains("diff compares two transcripts, OLD and NEW; 3 were given")
        .run();
}

// --- git's diff driver -------------------------------------------------------------

fn git(dir: &Path, home: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Alice")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "Alice")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com")
        .env("GIT_PAGER", "cat")
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("git {args:?} could not start (is git installed?): {e}"));
    assert!(
        out.status.success(),
        "git {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn git_diff_runs_through_the_driver() {
    let sandbox = two_runs();
    let (dir, home) = (sandbox.work(), sandbox.home());
    let bin = assert_cmd::cargo::cargo_bin!("runsheet");
    git(&dir, &home, &["init", "-q"]);
    sandbox.write(".gitattributes", "*.run.md diff=runsheet\n");
    git(
        &dir,
        &home,
        &[
            "config",
            "diff.runsheet.command",
            &format!("'{}' diff --git", bin.display()),
        ],
    );
    std::fs::copy(sandbox.path("old.md"), sandbox.path("deploy.run.md")).expect("copy");
    git(&dir, &home, &["add", ".gitattributes", "deploy.run.md"]);
    git(&dir, &home, &["commit", "-qm", "last week's deploy"]);
    std::fs::copy(sandbox.path("new.md"), sandbox.path("deploy.run.md")).expect("copy");
    let shown = git(&dir, &home, &["diff"]);
    assert!(
        shown
            .starts_with("runsheet diff a/deploy.run.md b/deploy.run.md\n4 steps differ: 1 failed"),
        "{shown}"
    );
    assert!(
        shown.contains("--- a/deploy.run.md · `runbook.md`"),
        "{shown}"
    );
    assert!(shown.contains("+api: 503 Service Unavailable"), "{shown}");
    // Committed, the two versions compare the same way in the history.
    git(&dir, &home, &["commit", "-qam", "today's deploy"]);
    // `git log` and `git show` use a diff driver when asked to.
    let log = git(&dir, &home, &["log", "-p", "--ext-diff", "--format=%s"]);
    assert!(log.contains("today's deploy\n"), "{log}");
    assert!(log.contains("4 steps differ: 1 failed"), "{log}");
    // Added in the first commit: shown as a new transcript.
    assert!(
        log.contains("new transcript b/deploy.run.md: `runbook.md`"),
        "{log}"
    );
    // The driver with the wrong arguments is a usage error.
    Test::in_sandbox(sandbox)
        .args(["diff", "--git", "a", "b"])
        .status(2)
        .stderr_contains("diff --git takes the seven arguments git hands a diff driver")
        .run();
}

#[test]
fn runs_of_a_template_for_two_environments_say_what_differed() {
    let sandbox = Sandbox::new();
    let runbooks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    sandbox.write(
        "runbooks/templated-deploy.md",
        std::fs::read(runbooks.join("templated-deploy.md")).expect("the example"),
    );
    for env in ["staging", "prod"] {
        sandbox.write(
            &format!("runbooks/envs/{env}.toml"),
            std::fs::read(runbooks.join(format!("envs/{env}.toml"))).expect("the env file"),
        );
    }
    let run = |sandbox: Sandbox, env: &str| {
        let out = Test::in_sandbox(sandbox)
            .args(["run", "--yes", "runbooks/templated-deploy.md", "--env", env])
            .args(["-o", &format!("{env}.run.md")])
            .status(3)
            .run();
        out.sandbox
    };
    let sandbox = run(run(sandbox, "staging"), "prod");
    let out = sandbox
        .test()
        .args(["diff", "staging.run.md", "prod.run.md"])
        .status(1)
        .stdout_contains(
            "warning: the runs were rendered for different environments: `staging` → `prod`",
        )
        .stdout_contains("warning: the runs used different variables: ")
        .stdout_contains(
            "warning: the template `runbooks/templated-deploy.md` is the same in both runs, but what it rendered differs",
        )
        .run();
    assert!(
        !out.stdout.contains("was edited"),
        "nobody edited the template:\n{}",
        out.stdout
    );
    // Each host's step pairs with the same host's step of the other run
    // (`stg-web-2` with `web-2`); what only prod has is new.
    let json = out
        .then()
        .args(["diff", "--format", "json", "staging.run.md", "prod.run.md"])
        .status(1)
        .run();
    let diff: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let text = |side: &serde_json::Value| side["text"].as_str().unwrap_or("-").to_string();
    let tasks: Vec<(String, String)> = diff["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| [&s["old"], &s["new"]].iter().any(|x| x["kind"] == "task"))
        .map(|s| (text(&s["old"]), text(&s["new"])))
        .collect();
    let want = [
        (
            "Make a scratch release directory",
            "Make a scratch release directory",
        ),
        ("-", "Announce the deploy of web 1.4.2 in #ops"),
        ("Deploy to stg-web-1", "Deploy to web-1"),
        ("Deploy to stg-web-2", "Deploy to web-2"),
        ("-", "Deploy to web-3"),
        (
            "Scale to 1 replicas and check every host",
            "Scale to 3 replicas and check every host",
        ),
        (
            "Tell #ops that web 1.4.2 is out on staging",
            "Tell #ops that web 1.4.2 is out on prod",
        ),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(o, n)| (o.to_string(), n.to_string()))
        .collect();
    assert_eq!(tasks, want, "{}", json.stdout);
}

#[test]
fn runs_that_took_other_sections_say_so() {
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
            "old.md",
        ])
        .run()
        .then()
        .args([
            "run",
            "--yes",
            "--choose",
            "canary",
            "--on-failure",
            "rollback",
        ])
        .args(["canary.md", "-o", "new.md"])
        .status(1)
        .run();
    let out = out
        .then()
        .args(["diff", "old.md", "new.md"])
        .status(1)
        .stdout_contains(
            "warning: the rollback section `Roll back` ran in the new run, not in the old one (started by: ",
        )
        .stdout_contains("warning: the section `Option 1: Canary` was not chosen (")
        .stdout_contains("in the old run and chosen (chosen with --choose) in the new one")
        .run();
    // The chapter shows these warnings as runsheet prints them.
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/diff-and-reports.md"),
    )
    .expect("the chapter");
    for line in crate::book::marked_block(&page, "diff-sections").lines() {
        assert!(
            out.stdout.contains(line),
            "the chapter shows {line:?}; runsheet printed:\n{}",
            out.stdout
        );
    }
    assert!(
        out.stdout.contains("status: off the run's path → done"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("status: done → off the run's path"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_transcript_cut_short_is_compared_with_a_warning_first() {
    let out = crate::report::cut_short()
        .then()
        .args(["diff", "--format", "json", OUT, "cut.md"])
        .status(1)
        .stderr_contains("warning: cut.md: this transcript is not the record its run wrote")
        .run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(doc["old"]["intact"], true, "{}", out.stdout);
    assert_eq!(doc["new"]["intact"], false, "{}", out.stdout);
    assert!(
        doc["warnings"][0]
            .as_str()
            .is_some_and(|w| w.starts_with("cut.md: this transcript is not the record")),
        "{}",
        out.stdout
    );
    let out = out
        .then()
        .args(["diff", "--format", "markdown", "cut.md", "cut.md"])
        .stderr_contains("warning: cut.md: this transcript is not the record its run wrote")
        .run();
    assert!(
        out.stdout
            .contains("> **Warning:** cut.md: this transcript is not the record its run wrote"),
        "{}",
        out.stdout
    );
}
