//! The harness for end-to-end tests: a private sandbox (working directory,
//! `HOME`, state directory) and a builder that runs the real binary in it.

#![allow(dead_code)]

use std::ffi::OsString;
use std::fs;
use std::ops::Deref;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub mod hangup;
pub mod sshd;
mod strip;
pub mod transcript;

use strip::{SandboxPaths, StripCheck};
pub use transcript::{assert_same_bytes, diff, mask};

/// Where the runbook of a test is written, inside the working directory.
pub const RUNBOOK: &str = "runbook.md";
/// Where tests ask for the transcript, inside the working directory.
pub const OUT: &str = "out.md";

/// The prompt before a block runs.
pub const RUN: &str = "Run this block? [r]un / [s]kip / [e]dit / [q]uit / [b]ack / [g]o to";

/// The prompt for a task with nothing to run.
pub const TASK: &str =
    "Is it done? [d]one / [s]kip / [f]ailed / [n]ote / [q]uit / [b]ack / [g]o to";

/// A sandbox holding `runbook` (unindented) as `RUNBOOK`.
pub fn sandbox(runbook: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write(RUNBOOK, unindent(runbook));
    sandbox
}

/// `runsheet run RUNBOOK -o OUT` on a terminal.
pub fn run(sandbox: &Sandbox) -> Pty {
    sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[])
}

/// Fails the test, saying what to install, unless `program` is on `PATH`. For
/// the `#[ignore]`d tests that need a tool beyond cargo and bash, which CI has
/// and runs with `cargo test --release -- --ignored`.
pub fn require_tool(program: &str) {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "this test needs `{program}` on PATH: install it (on Debian, `apt-get install {program}`), or leave this test out (it is #[ignore]d, so a plain `cargo test` does)"
    );
}

/// The id of the run a transcript records (its run summary's `id=`).
pub fn run_id(transcript: &str) -> String {
    transcript
        .split("<!--rs:run ")
        .nth(1)
        .and_then(|m| m.split_whitespace().find_map(|w| w.strip_prefix("id=")))
        .expect("the run id")
        .to_string()
}

/// The first line of `text` that mentions `needle`, the run summary's
/// lines but for its marker left out (the summary names failed steps).
pub fn line_with(text: &str, needle: &str) -> String {
    let mut in_summary = false;
    text.lines()
        .filter(|l| {
            if l.starts_with("<!--rs:run ") {
                in_summary = true;
                return true;
            }
            if l.starts_with("<!--/rs:run-->") {
                in_summary = false;
            }
            !in_summary || l.contains(" done · ")
        })
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
        .to_string()
}

/// The arguments of an unattended run answered from `answers.yaml`.
pub const RUN_ANSWERED: [&str; 7] = [
    "run",
    "--yes",
    "--answers",
    "answers.yaml",
    RUNBOOK,
    "-o",
    OUT,
];

/// How long any one runsheet process may take before the test gives up.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// A private directory tree for one test: `work/` (the working directory),
/// `home/` (`HOME`) and `state/` (`RUNSHEET_STATE_DIR`).
pub struct Sandbox {
    tmp: TempDir,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let tmp = tempfile::Builder::new()
            .prefix("runsheet-test-")
            .tempdir()
            .expect("a temp dir");
        for dir in ["work", "home", "state"] {
            fs::create_dir(tmp.path().join(dir)).expect("sandbox dirs");
        }
        Sandbox { tmp }
    }

    /// The directory holding `work/`, `home/` and `state/`.
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// The working directory of every runsheet started here.
    pub fn work(&self) -> PathBuf {
        self.tmp.path().join("work")
    }

    /// `HOME` of every runsheet started here.
    pub fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    /// `RUNSHEET_STATE_DIR` of every runsheet started here.
    pub fn state_root(&self) -> PathBuf {
        self.tmp.path().join("state")
    }

    /// A path relative to the working directory.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.work().join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("parent dirs");
        }
        fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Writes an executable script (for `EDITOR` and the like).
    pub fn write_script(&self, rel: &str, contents: &str) -> PathBuf {
        self.write(rel, contents);
        let path = self.path(rel);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    pub fn read(&self, rel: &str) -> String {
        let path = self.path(rel);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    pub fn read_bytes(&self, rel: &str) -> Vec<u8> {
        let path = self.path(rel);
        fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// The transcript at `OUT`.
    pub fn transcript(&self) -> String {
        self.read(OUT)
    }

    /// The bodies of the ```` ```text {rs=output} ```` blocks of transcript `rel`,
    /// container prefixes removed, in document order.
    pub fn outputs_of(&self, rel: &str) -> Vec<String> {
        output_blocks(&self.read(rel))
    }

    /// The captured outputs of the transcript at `OUT`.
    pub fn outputs(&self) -> Vec<String> {
        self.outputs_of(OUT)
    }

    /// The run directories under the state root.
    pub fn state_dirs(&self) -> Vec<PathBuf> {
        // `locks/` holds the locks of transcripts being written, not a run's state.
        let mut dirs: Vec<PathBuf> = fs::read_dir(self.state_root())
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| !p.ends_with("locks"))
                    .collect()
            })
            .unwrap_or_default();
        dirs.sort();
        dirs
    }

    /// The runsheet binary, set up to run in this sandbox: working directory,
    /// `HOME`, state directory, no colours, no editor, stdin from `/dev/null`.
    pub fn command(&self) -> std::process::Command {
        let mut cmd = self.bare_command();
        cmd.stdin(Stdio::null());
        cmd
    }

    /// `command` with stdin left alone, for the pseudo-terminal to take.
    fn bare_command(&self) -> std::process::Command {
        self.paths().bare_command()
    }

    /// Starts runsheet with `args` on a pseudo-terminal, as an operator would.
    pub fn pty(&self, args: &[&str], env: &[(&str, &str)]) -> Pty {
        let mut cmd = self.bare_command();
        cmd.args(args).env("TERM", "xterm");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let owned: Vec<OsString> = args.iter().map(OsString::from).collect();
        let strip_check =
            StripCheck::prepare(&self.paths(), &owned).map(|check| (self.paths(), check));
        let mut session = expectrl::Session::spawn(cmd).expect("spawn runsheet on a pty");
        // Wide enough that no prompt wraps.
        let _ = session.get_process_mut().set_window_size(200, 50);
        Pty {
            session,
            raw: Vec::new(),
            pos: 0,
            eof: false,
            strip_check,
        }
    }

    /// Where this sandbox's runsheet runs, for the strip check.
    fn paths(&self) -> SandboxPaths {
        SandboxPaths {
            work: self.work(),
            home: self.home(),
            state: self.state_root(),
        }
    }

    /// Starts a builder for another command in this same sandbox.
    pub fn test(self) -> Test {
        Test::in_sandbox(self)
    }
}

/// Extracts the bodies of ```` ```text {rs=output} ```` blocks.
pub fn output_blocks(transcript: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String, String)> = None; // prefix, fence, body
    for line in transcript.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match &mut current {
            None => {
                if let Some(at) = line.find("```") {
                    let rest = &line[at..];
                    let fence: String = rest.chars().take_while(|&c| c == '`').collect();
                    if rest[fence.len()..] == *"text {rs=output}" {
                        current = Some((line[..at].to_string(), fence, String::new()));
                    }
                }
            }
            Some((prefix, fence, body)) => {
                let inner = line
                    .strip_prefix(prefix.as_str())
                    .or_else(|| line.strip_prefix(prefix.trim_end()))
                    .unwrap_or(line);
                if inner == fence.as_str() {
                    blocks.push(std::mem::take(body));
                    current = None;
                } else {
                    body.push_str(inner);
                    body.push('\n');
                }
            }
        }
    }
    blocks
}

/// One runsheet invocation, built up then run; panics unless it ends as expected.
#[must_use]
pub struct Test {
    sandbox: Sandbox,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    status: i32,
    stdin: Vec<u8>,
    stdout_has: Vec<String>,
    stderr_has: Vec<String>,
    stderr_lacks: Vec<String>,
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    pub fn new() -> Test {
        Test::in_sandbox(Sandbox::new())
    }

    pub fn in_sandbox(sandbox: Sandbox) -> Test {
        Test {
            sandbox,
            args: Vec::new(),
            env: Vec::new(),
            status: 0,
            stdin: Vec::new(),
            stdout_has: Vec::new(),
            stderr_has: Vec::new(),
            stderr_lacks: vec!["panicked".into()],
        }
    }

    /// The runbook, written to `RUNBOOK` in the working directory.
    pub fn runbook(self, text: impl AsRef<[u8]>) -> Test {
        self.file(RUNBOOK, text)
    }

    /// Any other file in the working directory.
    pub fn file(self, rel: &str, contents: impl AsRef<[u8]>) -> Test {
        self.sandbox.write(rel, contents);
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Test {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, A>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = A>,
        A: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// `run --yes RUNBOOK -o OUT`, the unattended run most tests want.
    pub fn run_yes(self) -> Test {
        self.args(["run", "--yes", RUNBOOK, "-o", OUT])
    }

    /// `run --yes --answers answers.yaml RUNBOOK -o OUT`, with `answers` written
    /// to `answers.yaml`.
    pub fn run_answered(self, answers: impl AsRef<[u8]>) -> Test {
        self.file("answers.yaml", answers).args(RUN_ANSWERED)
    }

    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Test {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The exit code expected (0 unless told).
    pub fn status(mut self, status: i32) -> Test {
        self.status = status;
        self
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Test {
        self.stdin = bytes.into();
        self
    }

    pub fn stdout_contains(mut self, text: &str) -> Test {
        self.stdout_has.push(text.into());
        self
    }

    pub fn stderr_contains(mut self, text: &str) -> Test {
        self.stderr_has.push(text.into());
        self
    }

    pub fn stderr_lacks(mut self, text: &str) -> Test {
        self.stderr_lacks.push(text.into());
        self
    }

    /// The sandbox, for setting things up before the run.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Runs the binary and checks the exit code and output expectations.
    pub fn run(self) -> Output {
        // A `run` or `resume` that writes a transcript must strip back to
        // its source; no test needs to opt out, since the check reads the
        // source before the run and leaves alone a resume of a transcript
        // that does not strip to begin with.
        let strip_check = StripCheck::prepare(&self.sandbox.paths(), &self.args);
        let mut cmd = self.sandbox.command();
        cmd.args(&self.args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut cmd = assert_cmd::Command::from_std(cmd);
        cmd.write_stdin(self.stdin.clone()).timeout(PROCESS_TIMEOUT);
        let out = cmd.output().expect("runsheet runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let status = out.status.code();
        let show = || {
            format!(
                "runsheet {:?}\n--- status: {status:?}\n--- stdout:\n{stdout}\n--- stderr:\n{stderr}",
                self.args
            )
        };
        assert_eq!(
            status,
            Some(self.status),
            "unexpected exit code\n{}",
            show()
        );
        for s in &self.stdout_has {
            assert!(
                stdout.contains(s.as_str()),
                "stdout lacks {s:?}\n{}",
                show()
            );
        }
        for s in &self.stderr_has {
            assert!(
                stderr.contains(s.as_str()),
                "stderr lacks {s:?}\n{}",
                show()
            );
        }
        for s in &self.stderr_lacks {
            assert!(!stderr.contains(s.as_str()), "stderr has {s:?}\n{}", show());
        }
        if let (Some(check), Some(code)) = (strip_check, status) {
            check.verify(&self.sandbox.paths(), code);
        }
        Output {
            sandbox: self.sandbox,
            stdout,
            stderr,
            stdout_bytes: out.stdout,
        }
    }
}

/// What a finished invocation printed; derefs to its sandbox.
pub struct Output {
    pub sandbox: Sandbox,
    pub stdout: String,
    pub stderr: String,
    /// stdout exactly as printed, for byte-for-byte comparisons.
    pub stdout_bytes: Vec<u8>,
}

impl Output {
    /// Another invocation in the same sandbox.
    pub fn then(self) -> Test {
        Test::in_sandbox(self.sandbox)
    }
}

impl Deref for Output {
    type Target = Sandbox;

    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// Polls `cond` every 50 ms until it holds or `limit` passes.
pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}

/// How long the pseudo-terminal waits for any expected text.
pub const PTY_TIMEOUT: Duration = Duration::from_secs(20);

/// runsheet on a pseudo-terminal: what it printed so far (escape sequences
/// removed), and a keyboard.
pub struct Pty {
    session: expectrl::Session,
    raw: Vec<u8>,
    /// How far into the cleaned screen text the last `expect` matched.
    pos: usize,
    eof: bool,
    /// Checked in `wait`, as `Test::run` does.
    strip_check: Option<(SandboxPaths, StripCheck)>,
}

impl Pty {
    /// The process id of runsheet on this terminal: it leads the terminal's
    /// session and process group.
    pub fn pid(&self) -> u32 {
        self.session.get_process().pid().as_raw() as u32
    }

    /// Turns the terminal's echo on, as a terminal emulator has it (the
    /// pseudo-terminal starts with it off): runsheet draws its status line
    /// only on a terminal a shell would leave that way.
    pub fn echo_like_a_terminal(&mut self) {
        self.session
            .get_process_mut()
            .set_echo(true, None)
            .expect("turn echo on");
    }

    /// Whether the terminal echoes what is typed: a terminal a program left
    /// in raw mode does not.
    pub fn echoes(&self) -> bool {
        self.session
            .get_process()
            .get_echo()
            .expect("read the terminal's modes")
    }

    /// Everything printed so far, as the terminal received it.
    pub fn raw(&mut self) -> &[u8] {
        while self.pump() {}
        &self.raw
    }

    /// What a 200×50 terminal shows after everything printed so far: the
    /// redraws applied, one string a row, trailing blanks trimmed.
    pub fn rows(&mut self) -> Vec<String> {
        let mut parser = vt100::Parser::new(50, 200, 0);
        parser.process(self.raw());
        parser
            .screen()
            .rows(0, 200)
            .map(|r| r.trim_end().to_string())
            .collect()
    }

    /// Everything printed so far, escape sequences removed.
    pub fn screen(&self) -> String {
        strip_escapes(&String::from_utf8_lossy(&self.raw))
    }

    /// Reads whatever is available; false when nothing was.
    fn pump(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        match self.session.try_read(&mut buf) {
            Ok(0) => {
                self.eof = true;
                false
            }
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => false,
            // EIO: the terminal's other side is closed, the process is gone.
            Err(_) => {
                self.eof = true;
                false
            }
        }
    }

    /// Waits until `needle` appears after the previous match; panics with the
    /// screen if it does not within `PTY_TIMEOUT`.
    pub fn expect(&mut self, needle: &str) {
        self.expect_within(needle, PTY_TIMEOUT);
    }

    pub fn expect_within(&mut self, needle: &str, limit: Duration) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if let Some(at) = screen.get(self.pos..).and_then(|s| s.find(needle)) {
                self.pos += at + needle.len();
                return;
            }
            if self.eof || start.elapsed() > limit {
                panic!(
                    "waited {:?} for {needle:?} (process ended: {}); screen after the last match:\n{}",
                    start.elapsed(),
                    self.eof,
                    screen.get(self.pos..).unwrap_or("")
                );
            }
            if !self.pump() {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Types `text` (no Enter).
    pub fn send(&mut self, text: &str) {
        self.session.send(text).expect("write to the terminal");
    }

    /// Waits for the input prompt `prompt` (`prompt: `), types `answer` and
    /// Enter, and waits until the prompt has taken it.
    pub fn answer(&mut self, prompt: &str, answer: &str) {
        self.expect_prompt(prompt);
        self.reply(prompt, answer);
    }

    /// Waits for the input prompt `prompt` (`prompt: `), within `PTY_TIMEOUT`.
    pub fn expect_prompt(&mut self, prompt: &str) {
        self.expect_prompt_within(prompt, PTY_TIMEOUT);
    }

    pub fn expect_prompt_within(&mut self, prompt: &str, limit: Duration) {
        self.expect_within(&format!("{prompt}: "), limit);
        // Let the prompt switch the terminal to raw mode first.
        std::thread::sleep(Duration::from_millis(50));
    }

    /// Types `answer` and Enter at the prompt `prompt` just seen, and waits
    /// until the prompt shows it took it (`prompt: answer` on a line of its
    /// own), so that a later `expect` cannot match this prompt again.
    pub fn reply(&mut self, prompt: &str, answer: &str) {
        self.send(&format!("{answer}\r"));
        self.expect(&format!("{prompt}: {answer}\n"));
    }

    /// Reads to the end and returns the exit code and the whole screen;
    /// panics if that takes longer than `PTY_TIMEOUT`.
    pub fn wait(mut self) -> (i32, String) {
        self.wait_here()
    }

    /// `wait`, keeping the terminal to look at afterwards (`rows`, `raw`).
    pub fn wait_here(&mut self) -> (i32, String) {
        let start = Instant::now();
        let status = loop {
            while self.pump() {}
            let status = self
                .session
                .get_process()
                .status()
                .expect("the status of runsheet");
            if status != expectrl::WaitStatus::StillAlive {
                break status;
            }
            if start.elapsed() > PTY_TIMEOUT {
                panic!("runsheet did not end; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        while self.pump() {}
        let screen = self.screen();
        match status {
            expectrl::WaitStatus::Exited(_, code) => {
                if let Some((paths, check)) = self.strip_check.take() {
                    check.verify(&paths, code);
                }
                (code, screen)
            }
            other => panic!("runsheet did not exit normally: {other:?}; screen:\n{screen}"),
        }
    }
}

/// Removes terminal escape sequences (CSI, OSC, and two-byte escapes) and
/// carriage returns.
pub fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\x07' {
                            break;
                        }
                        if c == '\x1b' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// The permission bits of `path`.
pub fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Removes the first newline and the indentation common to all non-blank
/// lines, so Markdown fixtures can sit indented in the test source.
pub fn unindent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(line.get(indent..).unwrap_or(line.trim_start_matches(' ')));
    }
    out
}
