//! Safety properties, end to end: secrets stay out of everything runsheet
//! writes or prints, destructive commands need a person, signals and timeouts
//! stop what a block started, and an edited or trimmed transcript cannot make a
//! step run twice or run unseen.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

use crate::common::{OUT, RUN, RUNBOOK, Sandbox, Test, mode, unindent, wait_for};

const TYPE_YES: &str = "Type `yes` to run it, anything else to skip it";
const FAILURE: &str = "[r]etry / [e]dit / [i]gnore / [s]kip / [a]bort / [q]uit / [b]ack / [g]o to";

// --- Helpers ----------------------------------------------------------------

/// A `sleep` argument no other test (or other run of this suite) uses, so that
/// the processes a test looks for in /proc are its own: `1234.<pid>`.
fn nap(base: u32) -> String {
    format!("{base}.{}", std::process::id())
}

/// Live processes whose command line is exactly `sleep ARG`.
fn sleepers(arg: &str) -> Vec<u32> {
    let wanted = format!("sleep\0{arg}\0");
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == wanted.as_bytes())
        })
        .collect()
}

/// Waits up to `limit` for every `sleep ARG` process to be gone; panics naming
/// the survivors otherwise.
fn assert_no_sleepers(args: &[&str], limit: Duration, context: &str) {
    let gone = wait_for(limit, || args.iter().all(|a| sleepers(a).is_empty()));
    let left: Vec<(String, Vec<u32>)> = args
        .iter()
        .map(|a| (format!("sleep {a}"), sleepers(a)))
        .filter(|(_, p)| !p.is_empty())
        .collect();
    assert!(gone, "{context}: still running: {left:?}");
}

/// Kills, when dropped, whatever `sleep ARG` processes of this test are still
/// there, so that a failing assertion does not leave them behind.
struct Reaper(Vec<String>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for arg in &self.0 {
            for pid in sleepers(arg) {
                signal(pid, Signal::KILL);
            }
        }
    }
}

fn signal(pid: u32, sig: Signal) {
    if let Some(pid) = Pid::from_raw(pid as i32) {
        let _ = kill_process(pid, sig);
    }
}

/// `PATH` with `dir` first.
fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    )
}

/// Stand-ins for destructive tools, in `bin/` of the sandbox: each only
/// appends `NAME ARGS` to `calls.log`. Returns the `PATH` and `FAKE_LOG` to
/// run runsheet with.
fn fake_tools(sandbox: &Sandbox) -> (String, String) {
    for tool in [
        "dropdb",
        "psql",
        "rm",
        "kubectl",
        "helm",
        "terraform",
        "git",
        "aws",
    ] {
        sandbox.write_script(
            &format!("bin/{tool}"),
            &format!("#!/bin/sh\nprintf '%s\\n' \"{tool} $*\" >> \"$FAKE_LOG\"\n"),
        );
    }
    let log = sandbox.path("calls.log");
    (
        path_with(&sandbox.path("bin")),
        log.to_string_lossy().into_owned(),
    )
}

/// What the fake tools were called with, one call a line.
fn calls(sandbox: &Sandbox) -> String {
    fs::read_to_string(sandbox.path("calls.log")).unwrap_or_default()
}

/// The transcript line holding the record of step `id`.
fn record(transcript: &str, id: &str) -> String {
    let needle = format!("<!--rs:out id={id} ");
    transcript
        .lines()
        .find(|l| l.contains(&needle))
        .unwrap_or_else(|| panic!("no record of {id} in:\n{transcript}"))
        .to_string()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

// --- Secrets ------------------------------------------------------------------

/// A GitHub token shape (`ghp_` and 36 characters), given through the environment.
fn github_token() -> String {
    format!("ghp_{}", "Q9x7Lm2Vb8Nc4Zr6Tt1Yw3Pk5Hd0Sj2Fg7Ua9E")
}
const DB_PASSWORD: &str = "Db-pw-Kx81mQ-zz";
/// Computed by the runbook: `printf 'tok-%s' 1234567890`.
const API_TOKEN: &str = "tok-1234567890";
/// Computed by the runbook, inside `postgres://app:…@db/x`.
const URL_PASSWORD: &str = "s3cretpw";
/// Computed by the runbook into `DSN`, a secret only through `--secret DSN`.
const DSN: &str = "dsn-55667788";
/// The value of the `<admin-password>` placeholder.
const ADMIN_PASSWORD: &str = "Adm1n-Pa55-xyz";
/// Computed, printed and replaced in one block: no snapshot ever holds it.
const OLD_TOKEN: &str = "old-99887766";

fn planted() -> Vec<String> {
    vec![
        github_token(),
        DB_PASSWORD.into(),
        API_TOKEN.into(),
        URL_PASSWORD.into(),
        DSN.into(),
        ADMIN_PASSWORD.into(),
        OLD_TOKEN.into(),
    ]
}

/// Sets secrets in one block and prints them (to stdout and stderr) there and
/// in later ones; nothing secret is written in it literally.
const SECRETS_RUNBOOK: &str = r#"
    # Rotate credentials

    ```bash
    API_TOKEN=$(printf 'tok-%s' 1234567890)
    echo "fresh: $API_TOKEN"
    SESSION_TOKEN=$(printf 'old-%s' 99887766)
    for i in 1; do echo "old: $SESSION_TOKEN" >&2; done
    SESSION_TOKEN=rotated
    DSN=$(printf 'dsn-%s' 55667788)
    echo "set them: $DSN"
    ```

    ```bash
    echo "gh=$GITHUB_TOKEN db=$DB_PASSWORD api=$API_TOKEN"
    echo "url=postgres://app:$(printf 's3cr%s' etpw)@db/x"
    echo "dsn=$DSN" >&2
    echo "to stderr: $GITHUB_TOKEN $API_TOKEN" >&2
    ```

    ```bash
    echo "admin=<admin-password>"
    ```
"#;

fn secrets_sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    let runbook = unindent(SECRETS_RUNBOOK);
    for value in planted() {
        assert!(
            !runbook.contains(&value),
            "the runbook must not hold {value:?} literally"
        );
    }
    sandbox.write(RUNBOOK, runbook);
    sandbox
}

/// No file under the sandbox's working directory, home or state directory holds
/// a planted value, except the inputs named in `inputs`.
fn assert_no_file_leaks(sandbox: &Sandbox, inputs: &[&str]) {
    let inputs: Vec<PathBuf> = inputs.iter().map(|i| sandbox.path(i)).collect();
    let mut seen = 0;
    for dir in [sandbox.work(), sandbox.home(), sandbox.state_root()] {
        for file in files_under(&dir) {
            if inputs.contains(&file) {
                continue;
            }
            seen += 1;
            let text = String::from_utf8_lossy(&fs::read(&file).unwrap_or_default()).into_owned();
            for value in planted() {
                assert!(
                    !text.contains(&value),
                    "{} holds the secret {value:?}:\n{text}",
                    file.display()
                );
            }
        }
    }
    assert!(seen > 0, "no file was checked");
}

/// The redacted output of the secrets runbook, as the transcript records it.
fn assert_masked_outputs(sandbox: &Sandbox) {
    let outputs = sandbox.outputs().join("");
    for shown in [
        "fresh: •••",
        "old: •••",
        "set them: •••",
        "gh=••• db=••• api=•••",
        "url=postgres://app:•••@db/x",
        "dsn=•••",
        "to stderr: ••• •••",
        "admin=•••",
    ] {
        assert!(outputs.contains(shown), "{shown:?} not in:\n{outputs}");
    }
}

#[test]
fn secrets_stay_out_of_the_transcript_the_terminal_and_every_file_left_behind() {
    let sandbox = secrets_sandbox();
    let out = sandbox
        .test()
        .file(
            "answers.yaml",
            format!("admin-password: {ADMIN_PASSWORD}\n"),
        )
        .env("GITHUB_TOKEN", github_token())
        .env("DB_PASSWORD", DB_PASSWORD)
        .args([
            "run",
            "--yes",
            "--answers",
            "answers.yaml",
            "--secret",
            "DSN",
            RUNBOOK,
            "-o",
            OUT,
        ])
        .run();
    for value in planted() {
        assert!(
            !out.stdout.contains(&value),
            "stdout shows {value:?}:\n{}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(&value),
            "stderr shows {value:?}:\n{}",
            out.stderr
        );
    }
    assert!(
        out.stdout.contains("gh=••• db=••• api=•••"),
        "{}",
        out.stdout
    );
    assert_masked_outputs(&out);
    assert!(
        out.transcript().contains("state=complete"),
        "{}",
        out.transcript()
    );
    assert!(
        out.state_dirs().is_empty(),
        "a completed run leaves no state behind: {:?}",
        files_under(&out.state_root())
    );
    let mut left: Vec<String> = files_under(&out.work())
        .iter()
        .map(|p| p.strip_prefix(out.work()).unwrap().display().to_string())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["answers.yaml", OUT, RUNBOOK],
        "files left in the working dir"
    );
    assert_no_file_leaks(&out, &["answers.yaml"]);
}

#[test]
fn secrets_typed_at_the_hidden_prompt_stay_off_the_screen_and_out_of_files() {
    let sandbox = secrets_sandbox();
    let token = github_token();
    let mut pty = sandbox.pty(
        &["run", "--secret", "DSN", RUNBOOK, "-o", OUT],
        &[
            ("GITHUB_TOKEN", token.as_str()),
            ("DB_PASSWORD", DB_PASSWORD),
        ],
    );
    pty.answer(RUN, "r");
    pty.expect("set them: •••");
    pty.answer(RUN, "r");
    pty.expect("gh=••• db=•••");
    pty.answer(RUN, "r");
    let hidden = "Value for <admin-password> (hidden)";
    pty.expect_prompt(hidden);
    pty.send(&format!("{ADMIN_PASSWORD}\r"));
    pty.expect(&format!("{hidden}: [hidden]\n"));
    // Shown as it will run, the secret masked, and asked about again.
    pty.expect("admin=•••");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    for value in planted() {
        assert!(
            !screen.contains(&value),
            "the terminal shows {value:?}:\n{screen}"
        );
    }
    assert!(screen.contains("admin=•••"), "{screen}");
    assert_masked_outputs(&sandbox);
    assert!(sandbox.state_dirs().is_empty(), "state left behind");
    assert_no_file_leaks(&sandbox, &[]);
}

#[test]
fn the_state_of_a_failed_run_is_private_even_under_umask_000() {
    let sandbox = Sandbox::new();
    sandbox.write(
        RUNBOOK,
        unindent(
            r#"
            ```bash
            API_TOKEN=$(printf 'tok-%s' 1234567890)
            umask 000
            echo first
            ```

            ```perl
            print "from perl\n";
            ```

            ```bash
            echo "api=$API_TOKEN"
            false
            ```
            "#,
        ),
    );
    // runsheet itself started with umask 000: its private files must not
    // depend on the umask it inherits.
    let inner = sandbox.command();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(inner.get_program())
        .args(["run", "--yes", RUNBOOK, "-o", OUT])
        .current_dir(inner.get_current_dir().expect("a working dir"))
        .stdin(Stdio::null());
    for (key, value) in inner.get_envs() {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    let out = cmd.output().expect("runsheet runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Shell state kept"), "{stderr}");
    let dirs = sandbox.state_dirs();
    assert_eq!(dirs.len(), 1, "one run, one state dir: {dirs:?}");
    let dir = &dirs[0];
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    let files = files_under(dir);
    assert!(
        files.iter().any(|f| f.ends_with("journal.jsonl")),
        "no journal in {files:?}"
    );
    assert!(files.len() >= 3, "{files:?}");
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    // The transcript is a document to share: still no secret in it.
    let transcript = sandbox.transcript();
    assert!(!transcript.contains(API_TOKEN), "{transcript}");
    assert!(transcript.contains("api=•••"), "{transcript}");
}

#[test]
fn plan_warns_about_a_secret_written_in_the_runbook() {
    let token = github_token();
    let out = Test::new()
        .runbook(format!(
            "# Setup\n\n```bash\nexport GITHUB_TOKEN={token}\n```\n"
        ))
        .args(["plan", RUNBOOK])
        .run();
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("a secret is written in the runbook itself"),
        "{all}"
    );
    assert!(all.contains("GITHUB_TOKEN=…"), "{all}");
    // A runbook that computes or reads its secrets gets no such warning.
    let out = out
        .then()
        .runbook(unindent(SECRETS_RUNBOOK))
        .args(["plan", RUNBOOK])
        .run();
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(!all.contains("secret is written"), "{all}");
}

// --- Destructive commands ---------------------------------------------------

/// `(command, what the guard calls it)`.
const DESTRUCTIVE: &[(&str, &str)] = &[
    ("dropdb app_prod", "dropdb"),
    ("psql -c 'DROP TABLE users;'", "DROP"),
    ("psql -c 'TRUNCATE sessions;'", "TRUNCATE"),
    ("psql -c 'DELETE FROM audit;'", "DELETE without WHERE"),
    ("rm -rf /srv/app/data", "rm -r"),
    (
        "kubectl -n prod delete deployment api",
        "kubectl delete/drain",
    ),
    ("helm uninstall api", "helm uninstall"),
    ("terraform destroy -auto-approve", "terraform destroy"),
    ("git push --force origin main", "git push --force"),
    (
        "aws s3 rm s3://bucket/prefix --recursive",
        "aws s3 rm --recursive",
    ),
];

/// Every destructive command in a block of its own, then a harmless block.
fn destructive_runbook() -> String {
    let mut text = String::from("# Teardown\n\n");
    for (command, _) in DESTRUCTIVE {
        text.push_str(&format!("```bash\n{command}\n```\n\n"));
    }
    text.push_str("```bash\necho went-on > went-on\n```\n");
    text
}

fn destructive_test() -> Test {
    let sandbox = Sandbox::new();
    let (path, log) = fake_tools(&sandbox);
    sandbox
        .test()
        .runbook(destructive_runbook())
        .env("PATH", path)
        .env("FAKE_LOG", log)
}

#[test]
fn plan_lists_destructive_commands() {
    let out = Test::new()
        .runbook(format!(
            "{}\n```bash\npsql -c 'DELETE FROM audit WHERE id = 3;'\ngit push origin main\n```\n",
            destructive_runbook()
        ))
        .args(["plan", RUNBOOK])
        .run();
    for (command, what) in DESTRUCTIVE {
        let line = out
            .stdout
            .lines()
            .find(|l| l.contains(command))
            .unwrap_or_else(|| panic!("{command:?} not listed:\n{}", out.stdout));
        assert!(
            line.contains(&format!("destructive: {what}")),
            "{command:?} not flagged {what:?}: {line}"
        );
    }
    for harmless in ["echo went-on", "DELETE FROM audit WHERE"] {
        let line = out.stdout.lines().find(|l| l.contains(harmless)).unwrap();
        assert!(!line.contains("destructive"), "flagged: {line}");
    }
}

#[test]
fn unattended_run_refuses_the_first_destructive_command_and_stops() {
    let out = destructive_test()
        .run_yes()
        .status(1)
        .stderr_contains("refused")
        .stderr_contains("--allow-destructive")
        .run();
    assert_eq!(calls(&out), "", "a destructive command ran");
    let transcript = out.transcript();
    let first = record(&transcript, "s1");
    assert!(
        first.contains("status=failed") && first.contains("how=refused"),
        "{first}"
    );
    assert!(first.contains("refused"), "{first}");
    assert!(
        !transcript.contains("<!--rs:out id=s2 "),
        "the run went on:\n{transcript}"
    );
    assert!(!out.exists("went-on"), "the run went on");
}

#[test]
fn keep_going_refuses_each_destructive_command_and_goes_on() {
    let out = destructive_test()
        .args(["run", "--yes", "--keep-going", RUNBOOK, "-o", OUT])
        .status(1)
        .run();
    assert_eq!(calls(&out), "", "a destructive command ran");
    let transcript = out.transcript();
    for n in 1..=DESTRUCTIVE.len() {
        let line = record(&transcript, &format!("s{n}"));
        assert!(
            line.contains("status=failed") && line.contains("how=refused"),
            "{line}"
        );
    }
    assert_eq!(out.read("went-on"), "went-on\n", "the run did not go on");
    // Each said once why, then once in its result line.
    assert_eq!(
        out.stderr.matches("refused: ").count(),
        DESTRUCTIVE.len(),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.matches(" · refused\n").count(),
        DESTRUCTIVE.len() * 2,
        "a result line and a line of the closing list for each:\n{}",
        out.stderr
    );
}

#[test]
fn allow_destructive_runs_them_and_says_so() {
    let out = destructive_test()
        .args(["run", "--yes", "--allow-destructive", RUNBOOK, "-o", OUT])
        .run();
    let log = calls(&out);
    assert_eq!(log.lines().count(), DESTRUCTIVE.len(), "{log}");
    for tool in ["dropdb app_prod", "rm -rf /srv/app/data", "aws s3 rm"] {
        assert!(log.contains(tool), "{tool} was not called:\n{log}");
    }
    let transcript = out.transcript();
    for n in 1..=DESTRUCTIVE.len() {
        let line = record(&transcript, &format!("s{n}"));
        assert!(
            line.contains("status=done")
                && line.contains("destructive, allowed by --allow-destructive"),
            "{line}"
        );
    }
    assert!(out.exists("went-on"));
}

#[test]
fn danger_false_runs_a_reviewed_rm_rf_unattended() {
    let sandbox = Sandbox::new();
    let (path, log) = fake_tools(&sandbox);
    let out = sandbox
        .test()
        .runbook("```bash {danger=false}\nrm -rf dist/\n```\n")
        .env("PATH", path)
        .env("FAKE_LOG", log)
        .run_yes()
        .run();
    assert_eq!(calls(&out), "rm -rf dist/\n");
    let line = record(&out.transcript(), "s1");
    assert!(line.contains("status=done"), "{line}");
    assert!(!line.contains("destructive"), "{line}");
}

#[test]
fn danger_true_makes_a_harmless_block_need_a_person() {
    let out = Test::new()
        .runbook("```bash {danger=true}\necho ran > ran\n```\n")
        .run_yes()
        .status(1)
        .stderr_contains("refused")
        .run();
    assert!(!out.exists("ran"), "a danger=true block ran unattended");
    let line = record(&out.transcript(), "s1");
    assert!(line.contains("how=refused"), "{line}");
}

/// `dropdb` then `helm uninstall`, each in its own block.
const TWO_DESTRUCTIVE: &str = "```bash\ndropdb app_prod\n```\n\n```bash\nhelm uninstall api\n```\n";

/// The `user@host` a transcript says ran it.
fn operator_of(transcript: &str) -> String {
    let at = transcript.find(" operator=").expect("an operator") + " operator=".len();
    transcript[at..]
        .split_whitespace()
        .next()
        .expect("a value")
        .to_string()
}

#[test]
fn operator_types_yes_to_run_a_destructive_block_and_anything_else_skips_it() {
    let sandbox = Sandbox::new();
    let (path, log) = fake_tools(&sandbox);
    sandbox.write(RUNBOOK, TWO_DESTRUCTIVE);
    let mut pty = sandbox.pty(
        &["run", RUNBOOK, "-o", OUT],
        &[("PATH", &path), ("FAKE_LOG", &log), ("USER", "ops-alice")],
    );
    pty.answer(RUN, "r");
    pty.expect("This block looks destructive (dropdb)");
    pty.answer(TYPE_YES, "yes");
    pty.answer(RUN, "r");
    pty.expect("This block looks destructive (helm uninstall)");
    pty.answer(TYPE_YES, "y");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert_eq!(calls(&sandbox), "dropdb app_prod\n", "{screen}");
    let transcript = sandbox.transcript();
    let who = operator_of(&transcript);
    assert!(who.starts_with("ops-alice@"), "{who}");
    let ran = record(&transcript, "s1");
    assert!(
        ran.contains("status=done") && ran.contains(&format!("confirmed by {who}")),
        "{ran}"
    );
    let skipped = record(&transcript, "s2");
    assert!(
        skipped.contains("status=skipped") && skipped.contains("how=declined"),
        "{skipped}"
    );
}

#[test]
fn yes_on_a_terminal_still_asks_for_a_typed_yes() {
    let sandbox = Sandbox::new();
    let (path, log) = fake_tools(&sandbox);
    sandbox.write(RUNBOOK, TWO_DESTRUCTIVE);
    let mut pty = sandbox.pty(
        &["run", "--yes", RUNBOOK, "-o", OUT],
        &[("PATH", &path), ("FAKE_LOG", &log)],
    );
    pty.expect("This block looks destructive (dropdb)");
    pty.answer(TYPE_YES, "yes");
    pty.expect("This block looks destructive (helm uninstall)");
    pty.answer(TYPE_YES, "no");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    assert!(
        !screen.contains(RUN),
        "--yes asked to run a block:\n{screen}"
    );
    assert_eq!(calls(&sandbox), "dropdb app_prod\n", "{screen}");
    let transcript = sandbox.transcript();
    let ran = record(&transcript, "s1");
    assert!(
        ran.contains(&format!("confirmed by {}", operator_of(&transcript))),
        "{ran}"
    );
    assert!(record(&transcript, "s2").contains("how=declined"));
}

// --- Signals and time ---------------------------------------------------------

#[test]
fn ctrl_c_stops_the_block_and_everything_it_started() {
    let (bg, fg) = (nap(1234), nap(1235));
    let _reaper = Reaper(vec![bg.clone(), fg.clone()]);
    let sandbox = Sandbox::new();
    sandbox.write(
        RUNBOOK,
        format!("```bash\nsleep {bg} &\necho started\nsleep {fg}\necho \"never-$((1+1))\"\n```\n"),
    );
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[]);
    pty.answer(RUN, "r");
    pty.expect("started");
    assert!(
        wait_for(Duration::from_secs(10), || !sleepers(&bg).is_empty()
            && !sleepers(&fg).is_empty()),
        "the block's sleeps did not start"
    );
    let pressed = Instant::now();
    pty.send("\x03");
    pty.expect_prompt_within(FAILURE, Duration::from_secs(10));
    assert!(
        pressed.elapsed() < Duration::from_secs(5),
        "Ctrl-C took {:?} to stop the block",
        pressed.elapsed()
    );
    assert_no_sleepers(&[&bg, &fg], Duration::from_secs(5), "after Ctrl-C");
    pty.reply(FAILURE, "a");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    assert!(!screen.contains("never-2"), "{screen}");
    assert!(record(&sandbox.transcript(), "s1").contains("interrupted"));
}

/// A block that runs out of time, by `--timeout` or by its `timeout=`
/// attribute: it is stopped with everything it started (its background job
/// too) within moments, recorded as failed by a timeout with what it printed
/// so far, and the run does not go on to the next block.
fn a_timeout_stops_the_block_and_everything_it_started(base: u32, fence: &str, extra: &[&str]) {
    let (bg, fg) = (nap(base), nap(base + 1));
    let _reaper = Reaper(vec![bg.clone(), fg.clone()]);
    let started = Instant::now();
    let out = Test::new()
        .runbook(format!(
            "```bash{fence}\necho started\nsleep {bg} & sleep {fg}\necho \"never-$((1+1))\"\n```\n\n```bash\ntouch later\n```\n"
        ))
        .args(["run", "--yes"])
        .args(extra)
        .args([RUNBOOK, "-o", OUT])
        .status(1)
        .run();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    assert_no_sleepers(&[&bg, &fg], Duration::from_secs(3), "after the timeout");
    assert!(!out.stdout.contains("never-2"), "{}", out.stdout);
    assert!(!out.exists("later"), "the run went on after a timeout");
    let line = record(&out.transcript(), "s1");
    assert!(
        line.contains("status=failed")
            && line.contains("how=timeout")
            && line.contains("timed out"),
        "{line}"
    );
    // Whatever the shell says about the killed `sleep`, the block went no further.
    let output = out.outputs().concat();
    assert!(
        output.starts_with("started\n") && !output.contains("never-2"),
        "{output}"
    );
    assert_eq!(out.outputs().len(), 1, "the second block ran: {output}");
}

#[test]
fn timeout_flag_stops_the_block_and_everything_it_started() {
    a_timeout_stops_the_block_and_everything_it_started(1236, "", &["--timeout", "1s"]);
}

#[test]
fn timeout_attribute_stops_the_block_and_everything_it_started() {
    a_timeout_stops_the_block_and_everything_it_started(1238, " {timeout=1s}", &[]);
}

/// SIGTERM or SIGHUP to an unattended runsheet during a long block: it stops
/// the block, saves, exits 130, and `resume --yes` finishes the run.
/// Who a stop signal is sent to: runsheet alone, or its whole process group,
/// as a terminal that hangs up sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Runsheet,
    Group,
}

fn signal_saves_and_resume_finishes(sig: Signal, base: u32) {
    signal_to_saves_and_resume_finishes(sig, base, Target::Runsheet);
}

fn signal_to_saves_and_resume_finishes(sig: Signal, base: u32, target: Target) {
    let long = nap(base);
    let _reaper = Reaper(vec![long.clone()]);
    let sandbox = Sandbox::new();
    sandbox.write("nap", &long);
    sandbox.write(
        RUNBOOK,
        unindent(
            r#"
            ```bash
            echo one >> counter
            ```

            ```bash
            sleep "$(cat nap)"
            echo two >> counter
            ```

            ```bash
            echo three >> counter
            ```
            "#,
        ),
    );
    let mut command = sandbox.command();
    command
        .args(["run", "--yes", RUNBOOK, "-o", OUT])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // A group of its own, as a job of a terminal's shell is.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().expect("spawn runsheet");
    assert!(
        wait_for(Duration::from_secs(10), || !sleepers(&long).is_empty()),
        "the long block did not start"
    );
    let sent = Instant::now();
    match target {
        Target::Runsheet => signal(child.id(), sig),
        Target::Group => {
            if let Some(group) = Pid::from_raw(child.id() as i32) {
                let _ = rustix::process::kill_process_group(group, sig);
            }
        }
    }
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if sent.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("runsheet did not stop within 10 s of {sig:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = sent.elapsed();
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status.code(), Some(130), "{sig:?}: {stderr}");
    assert!(took < Duration::from_secs(5), "{sig:?} took {took:?}");
    assert_no_sleepers(&[&long], Duration::from_secs(3), "after the signal");
    assert_eq!(sandbox.read("counter"), "one\n");
    let transcript = sandbox.transcript();
    assert!(transcript.contains("state=interrupted"), "{transcript}");
    let line = record(&transcript, "s2");
    assert!(line.contains("how=interrupted"), "{line}");
    // What happened, not a story: the shell did not end, nothing restarted.
    assert!(!line.contains("restarted"), "{line}");
    assert!(!transcript.contains("ended the shell"), "{transcript}");
    assert!(!transcript.contains("<!--rs:out id=s3 "), "{transcript}");

    sandbox.write("nap", "0");
    let out = sandbox.test().args(["resume", "--yes", OUT]).run();
    assert_eq!(out.read("counter"), "one\ntwo\nthree\n");
    let transcript = out.transcript();
    assert!(transcript.contains("state=complete"), "{transcript}");
    assert!(out.state_dirs().is_empty(), "state left after completing");
}

#[test]
fn sigterm_during_a_block_saves_exits_130_and_resume_finishes() {
    signal_saves_and_resume_finishes(Signal::TERM, 1240);
}

#[test]
fn sighup_during_a_block_saves_exits_130_and_resume_finishes() {
    signal_saves_and_resume_finishes(Signal::HUP, 1241);
}

#[test]
fn a_hangup_of_the_whole_terminal_is_recorded_as_an_interruption_and_resume_finishes() {
    signal_to_saves_and_resume_finishes(Signal::HUP, 1244, Target::Group);
}

#[test]
fn ctrl_c_to_the_whole_terminal_stops_an_unattended_run_and_resume_finishes() {
    signal_to_saves_and_resume_finishes(Signal::INT, 1245, Target::Group);
}

/// Starts a background job on purpose and checks on it in the next blocks.
fn background_job_runbook(long: &str) -> String {
    format!(
        "```bash\nsleep {long} &\necho $! > bg.pid\n```\n\n\
         ```bash\nkill -0 \"$(cat bg.pid)\" && echo alive-1\n```\n\n\
         ```bash\nkill -0 \"$(cat bg.pid)\" && echo alive-2\n```\n"
    )
}

#[test]
fn a_background_job_started_on_purpose_survives_the_next_blocks() {
    let long = nap(1242);
    let _reaper = Reaper(vec![long.clone()]);
    let out = Test::new()
        .runbook(background_job_runbook(&long))
        .run_yes()
        .run();
    assert_eq!(
        out.outputs(),
        vec!["alive-1\n".to_string(), "alive-2\n".to_string()],
        "{}",
        out.transcript()
    );
}

#[test]
fn a_background_job_ends_when_the_run_ends() {
    let long = nap(1243);
    let _reaper = Reaper(vec![long.clone()]);
    let out = Test::new()
        .runbook(background_job_runbook(&long))
        .run_yes()
        .run();
    assert_eq!(out.outputs().len(), 2, "{}", out.transcript());
    assert_no_sleepers(&[&long], Duration::from_secs(3), "after the run ended");
}

// --- Untrusted transcripts ------------------------------------------------------

/// One block that succeeds, one that fails until `fixed` exists.
const COUNTED: &str = r#"
    ```bash
    echo a >> counter
    ```

    ```bash
    test -f fixed
    echo b >> counter
    ```
"#;

/// A failed run of `COUNTED`: its state (and journal) kept for resume.
fn failed_counted_run() -> Sandbox {
    let out = Test::new()
        .runbook(unindent(COUNTED))
        .run_yes()
        .status(1)
        .run();
    assert_eq!(out.read("counter"), "a\n");
    assert_eq!(out.state_dirs().len(), 1, "state kept for resume");
    out.sandbox
}

#[test]
fn deleting_a_done_steps_record_does_not_make_it_run_again() {
    let sandbox = failed_counted_run();
    let transcript = sandbox.transcript();
    let start = transcript.find("<!--rs:out id=s1 ").expect("s1's record");
    let close = "<!--/rs:out-->\n";
    let end = start + transcript[start..].find(close).expect("its end") + close.len();
    let trimmed = format!("{}{}", &transcript[..start], &transcript[end..]);
    assert!(!trimmed.contains("id=s1 "), "{trimmed}");
    sandbox.write(OUT, &trimmed);
    sandbox.write("fixed", "");
    let out = sandbox.test().args(["resume", "--yes", OUT]).run();
    assert_eq!(
        out.read("counter"),
        "a\nb\n",
        "a step the journal records as done ran again"
    );
    let transcript = out.transcript();
    assert!(transcript.contains("state=complete"), "{transcript}");
    // Its record comes back from the journal.
    assert!(
        record(&transcript, "s1").contains("status=done"),
        "{transcript}"
    );
}

#[test]
fn resume_unattended_refuses_a_transcript_whose_command_was_edited() {
    let sandbox = failed_counted_run();
    let edited = sandbox.transcript().replace("test -f fixed", "true");
    sandbox.write(OUT, &edited);
    let out = sandbox
        .test()
        .args(["resume", "--yes", OUT])
        .status(2)
        .stderr_contains("edited")
        .stderr_contains("nothing was run")
        .run();
    assert_eq!(out.read("counter"), "a\n", "something ran");
    assert_eq!(out.read(OUT), edited, "the transcript was changed");
}

#[test]
fn resume_on_a_terminal_asks_for_a_typed_yes_before_running_an_edited_transcript() {
    let sandbox = failed_counted_run();
    let edited = sandbox.transcript().replace("test -f fixed", "true");
    sandbox.write(OUT, &edited);
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.expect("edited");
    pty.answer(TYPE_YES, "no");
    let (code, screen) = pty.wait();
    assert_eq!(code, 2, "{screen}");
    assert!(screen.contains("nothing was run"), "{screen}");
    assert!(!screen.contains(RUN), "asked to run a block:\n{screen}");
    assert_eq!(sandbox.read("counter"), "a\n", "something ran");
    assert_eq!(sandbox.read(OUT), edited, "the transcript was changed");
}

#[test]
fn a_placeholder_filled_with_a_destructive_command_is_refused_unattended() {
    let sandbox = Sandbox::new();
    let (path, log) = fake_tools(&sandbox);
    let out = sandbox
        .test()
        .runbook("```bash\n<cleanup-command> /var/lib/app\n```\n")
        .env("PATH", path)
        .env("FAKE_LOG", log)
        .run_answered("cleanup-command: rm -rf\n")
        .status(1)
        .stderr_contains("looks destructive (rm -r)")
        .run();
    assert_eq!(calls(&out), "", "the filled-in command ran");
    assert!(record(&out.transcript(), "s1").contains("how=refused"));
}
