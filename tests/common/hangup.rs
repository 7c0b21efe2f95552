//! runsheet on a pseudo-terminal whose other side the test holds and can
//! close while runsheet runs, as a dropped SSH connection closes it: the
//! terminal hangs up (SIGHUP, then reads end and writes fail with EIO).

use std::io::{Read as _, Write as _};
use std::os::fd::OwnedFd;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::fs::{Mode, OFlags};
use rustix::pty::OpenptFlags;

use super::{PTY_TIMEOUT, Sandbox, strip_escapes};

/// runsheet on a terminal the test can drop.
pub struct Droppable {
    master: std::fs::File,
    child: Child,
    raw: Vec<u8>,
    /// How far into the screen text the last `expect` matched.
    pos: usize,
}

impl Sandbox {
    /// Starts runsheet with `args` on a new pseudo-terminal that is its
    /// controlling terminal, the test holding the other side.
    pub fn droppable_pty(&self, args: &[&str]) -> Droppable {
        // Close-on-exec, both sides: a process started meanwhile (runsheet
        // itself, another test's) that held the test's side would keep the
        // terminal from hanging up.
        let master =
            rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
                .expect("open a pseudo-terminal");
        rustix::pty::grantpt(&master).expect("grantpt");
        rustix::pty::unlockpt(&master).expect("unlockpt");
        let name = rustix::pty::ptsname(&master, Vec::new()).expect("ptsname");
        let slave: OwnedFd = rustix::fs::open(
            name.as_c_str(),
            OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .expect("open the terminal's side");
        let mut size = rustix::termios::tcgetwinsize(&slave).expect("window size");
        size.ws_col = 200;
        size.ws_row = 50;
        rustix::termios::tcsetwinsize(&slave, size).expect("set the window size");
        // runsheet in a session of its own, the terminal its controlling
        // terminal, as a login gives it one: `setsid --ctty` sets that up
        // before it starts runsheet in its place.
        let runsheet = self.bare_command();
        let mut cmd = std::process::Command::new("setsid");
        cmd.arg("--ctty")
            .arg(runsheet.get_program())
            .args(args)
            .env("TERM", "xterm");
        if let Some(dir) = runsheet.get_current_dir() {
            cmd.current_dir(dir);
        }
        for (key, value) in runsheet.get_envs() {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        cmd.stdin(Stdio::from(slave.try_clone().expect("dup")))
            .stdout(Stdio::from(slave.try_clone().expect("dup")))
            .stderr(Stdio::from(slave));
        let child = cmd
            .spawn()
            .expect("spawn runsheet on a terminal (with setsid, from util-linux)");
        Droppable {
            master: std::fs::File::from(master),
            child,
            raw: Vec::new(),
            pos: 0,
        }
    }
}

impl Droppable {
    /// Everything printed so far, escape sequences removed.
    pub fn screen(&self) -> String {
        strip_escapes(&String::from_utf8_lossy(&self.raw))
    }

    /// Waits until `needle` appears after the previous match; panics with
    /// the screen if it does not within `PTY_TIMEOUT`.
    pub fn expect(&mut self, needle: &str) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if let Some(at) = screen.get(self.pos..).and_then(|s| s.find(needle)) {
                self.pos += at + needle.len();
                return;
            }
            assert!(
                start.elapsed() < PTY_TIMEOUT,
                "waited for {needle:?}; screen after the last match:\n{}",
                screen.get(self.pos..).unwrap_or("")
            );
            let mut fds = [PollFd::new(&self.master, PollFlags::IN)];
            let tick = Timespec {
                tv_sec: 0,
                tv_nsec: 50_000_000,
            };
            if poll(&mut fds, Some(&tick)).unwrap_or(0) > 0 {
                let mut buf = [0u8; 4096];
                match self.master.read(&mut buf) {
                    Ok(n) if n > 0 => self.raw.extend_from_slice(&buf[..n]),
                    _ => panic!("the terminal closed; screen:\n{}", self.screen()),
                }
            }
        }
    }

    /// Waits for the prompt `prompt` (`prompt: `), and a moment for it to
    /// set the terminal up.
    pub fn expect_prompt(&mut self, prompt: &str) {
        self.expect(&format!("{prompt}: "));
        std::thread::sleep(Duration::from_millis(50));
    }

    /// Types `text`.
    pub fn send(&mut self, text: &str) {
        self.master
            .write_all(text.as_bytes())
            .expect("write to the terminal");
    }

    /// Closes the test's side of the terminal, as a dropped connection
    /// does, and returns runsheet's exit code; panics if it does not end
    /// within `PTY_TIMEOUT` (it is killed then) or ends by a signal.
    pub fn hang_up(self) -> i32 {
        let Droppable {
            master, mut child, ..
        } = self;
        drop(master);
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("wait for runsheet") {
                return status
                    .code()
                    .unwrap_or_else(|| panic!("runsheet ended by a signal: {status:?}"));
            }
            if start.elapsed() > PTY_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("runsheet did not end after its terminal hung up");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
