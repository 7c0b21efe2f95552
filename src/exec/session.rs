//! The run's one bash session: blocks are sourced into it so shell state carries over.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use command_fds::{CommandFdExt, FdMapping};

use super::pipes::{Pipes, Tag, Waited};
use super::pty;
use super::snapshot;
use super::status::{LostCwd, Status};
use super::store::StateFile;
use super::tree;
use crate::error::{Error, Result};
use crate::fsutil::{Open, open_private, write_private};

/// The block the shell sources next, in the session's directory: one file
/// written over for each block (bash names it in its messages).
const BLOCK_FILE: &str = "block-0.sh";
/// The last snapshot ends so; one cut short does not.
const SNAPSHOT_END: &[u8] = b"\x1eend\n";
/// With more than one processor: how long runsheet keeps looking for a
/// block's output before it sleeps, and how many times the shell looks for
/// the next block before it does (see `Pipes::wait` and the driver). Both
/// cover a short block and what runsheet does between two blocks. Public for
/// the overhead benchmark's controller, which drives the driver alike.
pub const SPIN: Duration = Duration::from_micros(200);
pub const SHELL_SPIN: &str = "30";

const DRIVER: &str = include_str!("driver.sh");
/// The commands that take a snapshot of the shell state.
const SNAPSHOT: &str = include_str!("snapshot.sh");

/// The driver's text, the snapshot's commands written in where it takes one:
/// bash parses them once with the loop, not at every block. Public for the
/// overhead benchmark, which runs it without runsheet to show bash's own share.
pub fn driver() -> String {
    DRIVER.replace("@SNAPSHOT@", &format!("\n{SNAPSHOT}"))
}

/// Whether runsheet and the shell look for each other's messages before
/// waiting: only with more than one processor to run on, where looking would
/// not keep the other side from running.
pub fn spinning() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
}

/// `bash` set to run the driver on the session directory `dir` with the
/// run's `nonce`: blocks are sent on `commands` (its fd 3) and snapshots come
/// back on `snapshots` (its fd 6); `spin` has the shell look for each next
/// block before it waits. Where its output goes is the caller's to set.
/// Public for the overhead benchmark, which drives it as runsheet does.
pub fn driver_command(
    dir: &Path,
    nonce: &str,
    spin: bool,
    commands: io::PipeReader,
    snapshots: io::PipeWriter,
) -> Result<Command> {
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-c", &driver(), "runsheet"])
        .arg(dir)
        .arg(nonce)
        .arg(if spin { SHELL_SPIN } else { "0" });
    command
        .fd_mappings(vec![
            FdMapping {
                parent_fd: OwnedFd::from(commands),
                child_fd: 3,
            },
            FdMapping {
                parent_fd: OwnedFd::from(snapshots),
                child_fd: 6,
            },
        ])
        .map_err(|e| Error::Session(e.to_string()))?;
    Ok(command)
}

/// How a session is started.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Private directory (0700) for block scripts and state snapshots.
    pub dir: PathBuf,
    /// Working directory the session starts in.
    pub cwd: PathBuf,
    /// A person is there: blocks get the terminal as stdin and write to a
    /// pseudo-terminal. Otherwise stdin is /dev/null and output a pipe.
    pub interactive: bool,
}

/// What one block did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockEnd {
    /// Exit status; 130 when interrupted, 124 when timed out.
    pub exit: i32,
    pub duration: Duration,
    /// The shell ended, by the block's `exit N`, or before the block, which
    /// then ran in the new session started from the last snapshot.
    pub session_restarted: bool,
    pub timed_out: bool,
    /// Stopped because runsheet was asked to stop (Ctrl-C, SIGTERM, SIGHUP).
    pub interrupted: bool,
    /// The shell state after the block was saved. When it could not be (a
    /// full disk), the state saved after the block before stays.
    pub state_saved: bool,
    /// On a fleet: how it ended on each host, in inventory order.
    pub hosts: Vec<super::HostEnd>,
    /// The shell's working directory after the block, when the block took
    /// it away (removed, moved or replaced it).
    pub lost_cwd: Option<LostCwd>,
}

/// One persistent `bash --noprofile --norc` for a whole run.
pub struct Session {
    options: SessionOptions,
    child: Child,
    commands: File,
    pipes: Pipes,
    /// The status frame's tag, with the run's nonce.
    tag: Tag,
    block: File,
    /// How long the block file is: `u64::MAX` until this session wrote it.
    block_len: u64,
    state: StateFile,
    /// How many times the saved state changed.
    generation: u64,
    /// A block started a background job: what runs under the shell before a
    /// block is listed, to spare it when the block is stopped.
    jobs: bool,
    /// Secret-named variables the next block is watched for.
    watch: Vec<String>,
}

impl Session {
    /// Starts bash with the driver loop.
    pub fn start(options: SessionOptions) -> Result<Session> {
        let nonce = format!("{:016x}", rand_u64());
        // The driver writes snapshots with `>|` into files made private here:
        // a block may have set `umask 000`.
        if !options.dir.join("base").exists() {
            write_private(&options.dir.join("base"), b"")?;
        }
        let block = open_private(&options.dir.join(BLOCK_FILE), Open::Keep)?;
        let (cmd_read, cmd_write) = io::pipe().map_err(session_err)?;
        let (state_read, state_write) = io::pipe().map_err(session_err)?;
        // Interactive sessions write to a pseudo-terminal so programs behave as
        // in a terminal; unattended ones write to a pipe.
        let (out_read, out_write): (OwnedFd, OwnedFd) = if options.interactive {
            let pty = pty::open_pty().map_err(session_err)?;
            (OwnedFd::from(pty.master), pty.slave)
        } else {
            let (r, w) = io::pipe().map_err(session_err)?;
            (OwnedFd::from(r), OwnedFd::from(w))
        };
        let out_err = out_write.try_clone().map_err(session_err)?;
        let spin = spinning();
        let mut command = driver_command(&options.dir, &nonce, spin, cmd_read, state_write)?;
        if !options.interactive {
            // Its own process group: a Ctrl-C or hangup at a terminal reaches
            // runsheet, which stops the block and saves. Interactive sessions
            // share the terminal's, so a block can read from it (`sudo`, a
            // password prompt); the driver outlives a hangup there.
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
        }
        command
            .current_dir(&options.cwd)
            .stdout(Stdio::from(out_write))
            .stderr(Stdio::from(out_err))
            .stdin(if options.interactive {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        let child = command.spawn().map_err(|e| {
            Error::Session(format!(
                "cannot start bash: {e}; runsheet needs bash on PATH"
            ))
        })?;
        drop(command);
        // Read here, between blocks of output handed on: a block printing
        // gigabytes waits for runsheet to keep up instead of piling its
        // output up in memory.
        let spin = if spin { SPIN } else { Duration::ZERO };
        let pipes = Pipes::new(out_read, OwnedFd::from(state_read), spin).map_err(session_err)?;
        let state = StateFile::new(options.dir.clone());
        Ok(Session {
            options,
            child,
            commands: File::from(OwnedFd::from(cmd_write)),
            pipes,
            tag: Tag::new(format!("\x1eRS{nonce}:").as_bytes()),
            block,
            block_len: u64::MAX,
            state,
            generation: 0,
            jobs: false,
            watch: Vec::new(),
        })
    }

    /// The process id of the session's shell.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The private directory this session keeps its state in.
    pub fn dir(&self) -> &Path {
        &self.options.dir
    }

    /// The shell state saved after the last block, when this session saved it.
    pub fn snapshot(&self) -> &[u8] {
        self.state.last()
    }

    /// Counts the changes of the saved state: what was read from
    /// `snapshot` is still right while it stays the same.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Has the next block report, before each of its commands, a new value of
    /// any of these variables to the file at `seen_path`.
    pub fn watch_next(&mut self, names: Vec<String>) {
        self.watch = names;
    }

    /// Values the watched variables took in the block that runs now: each one
    /// followed by a NUL, appended before the next command runs.
    pub fn seen_path(&self) -> PathBuf {
        self.options.dir.join("seen")
    }

    /// Sources `script` into the session; streams what it prints to `sink` as it
    /// comes. Returns when the block's status arrives, not when output stops.
    pub fn run(
        &mut self,
        script: &str,
        timeout: Option<Duration>,
        stop: &dyn Fn() -> bool,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<BlockEnd> {
        self.run_in(script, timeout, stop, sink, true)
    }

    /// `run`; `renew` starts a new session when the shell is found gone
    /// before the block (done once: a shell gone again is reported so).
    fn run_in(
        &mut self,
        script: &str,
        timeout: Option<Duration>,
        stop: &dyn Fn() -> bool,
        sink: &mut dyn FnMut(&[u8]),
        renew: bool,
    ) -> Result<BlockEnd> {
        let path = self.options.dir.join(BLOCK_FILE);
        // Written over in place: on ext4, emptying a file that the shell then
        // opens and closes would start writing it out at once.
        // Cut only when shorter than the block before: on ext4 a truncate
        // costs even when it changes nothing.
        let len = script.len() as u64;
        let wrote = self
            .block
            .write_all_at(script.as_bytes(), 0)
            .and_then(|()| {
                if len < self.block_len {
                    self.block.set_len(len)?;
                }
                self.block_len = len;
                Ok(())
            });
        wrote.map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        let watch_names = std::mem::take(&mut self.watch);
        let line: &[u8] = if watch_names.is_empty() {
            b"\n"
        } else {
            write_private(&self.seen_path(), b"")?;
            write_private(
                &path.with_extension("sh.watch"),
                watch_names.join("\n").as_bytes(),
            )?;
            b"w\n"
        };
        // Only a shell that ever started a background job has children
        // between blocks.
        let before = if self.jobs {
            tree::children(self.child.id())
        } else {
            Vec::new()
        };
        self.pipes.snapshot.clear();
        let started = Instant::now();
        if self.commands.write_all(line).is_err() {
            if renew {
                // The shell ended between blocks (killed from outside, say):
                // this block has not run. It runs in a new session, started
                // from the last snapshot, and is marked as restarted.
                self.child.wait().map_err(session_err)?;
                self.take_last_output(sink);
                self.start_again()?;
                self.watch = watch_names;
                let mut end = self.run_in(script, timeout, stop, sink, false)?;
                end.session_restarted = true;
                return Ok(end);
            }
            return self.restart_after_exit(started, sink);
        }
        self.pipes.sent();
        let mut timed_out = false;
        let mut interrupted = false;
        let mut stopping_since: Option<Instant> = None;
        let end = loop {
            if let Some(rc) = self.take_status(sink) {
                break Some(rc);
            }
            let wait = timeout
                .map(|t| t.saturating_sub(started.elapsed()))
                .unwrap_or(Duration::from_millis(100))
                .clamp(Duration::from_millis(1), Duration::from_millis(100));
            match self.pipes.wait(wait) {
                Waited::Data => {}
                Waited::Idle => {
                    // The shell may be gone while what it started still
                    // holds the output open.
                    if matches!(self.child.try_wait(), Ok(Some(_))) {
                        break None;
                    }
                }
                Waited::Closed => break None,
            }
            if !timed_out && timeout.is_some_and(|t| started.elapsed() >= t) {
                timed_out = true;
            }
            if !interrupted && stop() {
                interrupted = true;
            }
            if timed_out || interrupted {
                // Stop the block and what it started, never the session
                // itself: INT to the shell (its trap leaves the block), TERM
                // to what the block started, KILL to whatever is still there
                // two seconds later.
                if stopping_since.is_none() {
                    tree::interrupt(self.child.id());
                }
                let since = *stopping_since.get_or_insert_with(Instant::now);
                let hard = since.elapsed() > Duration::from_secs(2);
                tree::stop_new(self.child.id(), &before, hard);
            }
        };
        match end {
            Some(Status {
                exit,
                saved,
                lost_cwd,
                ..
            }) => {
                // The shell wrote the snapshot before its status: all of it is
                // in the pipe now.
                self.pipes.drain_state();
                let snapshot = &mut self.pipes.snapshot;
                let state_saved = saved
                    && snapshot.ends_with(SNAPSHOT_END)
                    && match self.state.store(snapshot) {
                        Ok(changed) => {
                            self.generation += u64::from(changed);
                            true
                        }
                        Err(_) => false,
                    };
                Ok(BlockEnd {
                    exit: if timed_out {
                        124
                    } else if interrupted {
                        130
                    } else {
                        exit
                    },
                    duration: started.elapsed(),
                    session_restarted: false,
                    timed_out,
                    interrupted,
                    state_saved,
                    hosts: Vec::new(),
                    lost_cwd,
                })
            }
            None => self.restart_after_exit(started, sink),
        }
    }

    /// Pulls the block's output out of `pending` up to its status sentinel:
    /// the block's exit status, and what the driver said with it.
    fn take_status(&mut self, sink: &mut dyn FnMut(&[u8])) -> Option<Status> {
        let pending = &mut self.pipes.pending;
        let tag_len = self.tag.bytes().len();
        if let Some(at) = self.tag.find(pending) {
            let rest = &pending[at + tag_len..];
            if let Some(end) = rest.iter().position(|&b| b == 0x1e) {
                // `<exit>:<saved>:<jobs>:<cwd>`, the directory last: a path
                // may hold `:` and bytes that are not UTF-8.
                let status = Status::parse(&rest[..end]);
                self.jobs |= status.jobs;
                sink(&pending[..at]);
                let consumed = at + tag_len + end + 1;
                pending.drain(..consumed);
                return Some(status);
            }
            return None;
        }
        // Hold back only a tail that could be the start of the sentinel.
        let flush = pending.len() - self.tag.held(pending);
        if flush > 0 {
            sink(&pending[..flush]);
            pending.drain(..flush);
        }
        None
    }

    /// The block ended the shell (`exit N`): record N and start again from the
    /// last snapshot.
    fn restart_after_exit(
        &mut self,
        started: Instant,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<BlockEnd> {
        let status = self.child.wait().map_err(session_err)?;
        self.take_last_output(sink);
        let exit = status.code().unwrap_or(1);
        let duration = started.elapsed();
        self.start_again()?;
        Ok(BlockEnd {
            exit,
            duration,
            session_restarted: true,
            timed_out: false,
            interrupted: false,
            state_saved: true,
            hosts: Vec::new(),
            lost_cwd: None,
        })
    }

    /// What the ended shell printed last; what it left running may hold the
    /// pipe open.
    fn take_last_output(&mut self, sink: &mut dyn FnMut(&[u8])) {
        while self.pipes.read_output() > 0 {
            sink(&self.pipes.pending);
            self.pipes.pending.clear();
        }
        sink(&self.pipes.pending);
        self.pipes.pending.clear();
    }

    /// A new session in place of this one, whose shell has ended, with the
    /// state of the last snapshot.
    fn start_again(&mut self) -> Result<()> {
        let fresh = Session::start(self.options.clone())?;
        let _ = std::mem::replace(self, fresh);
        self.restore()?;
        Ok(())
    }

    /// Restores what the runbook changed (per the last snapshot) into this session.
    pub fn restore(&mut self) -> Result<bool> {
        let Some(script) = snapshot::restore_script(&self.options.dir) else {
            return Ok(false);
        };
        let mut ignore = |_: &[u8]| {};
        self.run(&script, None, &|| false, &mut ignore)?;
        Ok(true)
    }

    /// Ends the session and whatever it still runs in the background.
    pub fn finish(mut self) {
        // Background jobs outlive a non-interactive shell: note them while they
        // are still its children, and stop them once it is gone, as a terminal
        // closing would.
        let leftovers = tree::descendants(self.child.id(), &[]);
        drop(std::mem::replace(&mut self.commands, devnull()));
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            thread::sleep(Duration::from_millis(5));
        }
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if !leftovers.is_empty() {
            tree::signal(&leftovers, false);
            thread::sleep(Duration::from_millis(200));
            tree::signal(&leftovers, true);
        }
    }
}

fn devnull() -> File {
    File::open("/dev/null").expect("/dev/null exists on every Unix")
}

fn session_err(e: io::Error) -> Error {
    Error::Session(e.to_string())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsutil::private_dir;

    fn session() -> (tempfile::TempDir, Session) {
        session_with(false)
    }

    fn session_with(interactive: bool) -> (tempfile::TempDir, Session) {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        private_dir(&state).unwrap();
        let s = Session::start(SessionOptions {
            dir: state,
            cwd: dir.path().to_path_buf(),
            interactive,
        })
        .unwrap();
        (dir, s)
    }

    fn run(s: &mut Session, script: &str) -> (i32, String) {
        let mut out = Vec::new();
        let end = s
            .run(script, Some(Duration::from_secs(20)), &|| false, &mut |b| {
                out.extend_from_slice(b)
            })
            .unwrap();
        (end.exit, String::from_utf8(out).unwrap())
    }

    #[test]
    fn state_carries_from_block_to_block() {
        let (_d, mut s) = session();
        assert_eq!(run(&mut s, "X=1; export Y=2; f() { echo \"f:$1\"; }; alias k='echo alias'; mkdir -p sub && cd sub; umask 027; set -o noclobber\n").0, 0);
        let (rc, out) = run(
            &mut s,
            "echo \"$X $Y $(basename \"$PWD\") $(umask)\"; f a; k; [[ -o noclobber ]] && echo noclobber\n",
        );
        assert_eq!(
            (rc, out.as_str()),
            (0, "1 2 sub 0027\nf:a\nalias\nnoclobber\n")
        );
        s.finish();
    }

    #[test]
    fn interactive_sessions_write_to_a_terminal() {
        let (_d, mut s) = session_with(true);
        let (rc, out) = run(
            &mut s,
            "[ -t 1 ] && echo out-is-tty; [ -t 2 ] && echo err-is-tty >&2\n",
        );
        assert_eq!(rc, 0);
        assert_eq!(out.replace('\r', ""), "out-is-tty\nerr-is-tty\n");
        let (_d, mut s) = session_with(false);
        assert_eq!(run(&mut s, "[ -t 1 ] || echo pipe\n"), (0, "pipe\n".into()));
    }

    #[test]
    fn strict_mode_stops_the_block_not_the_session() {
        let (_d, mut s) = session();
        assert_eq!(
            run(&mut s, "echo a; false; echo never\n"),
            (1, "a\n".into())
        );
        assert_eq!(run(&mut s, "false | true; echo never\n").0, 1);
        assert_eq!(
            run(&mut s, "g() { false; echo never; }; g; echo never\n"),
            (1, String::new())
        );
        assert_eq!(run(&mut s, "set -e; false\n").0, 1);
        assert_eq!(
            run(
                &mut s,
                "false || echo handled; if false; then :; fi; echo ok\n"
            ),
            (0, "handled\nok\n".into())
        );
        assert_eq!(
            run(
                &mut s,
                "set -- a b; echo \"$#\"; exec 3</dev/null; printf() { echo hijacked; }\n"
            ),
            (0, "2\n".into())
        );
        assert_eq!(run(&mut s, "echo alive\n"), (0, "alive\n".into()));
        s.finish();
    }

    #[test]
    fn exit_restarts_the_session_from_its_last_state() {
        let (_d, mut s) = session();
        run(
            &mut s,
            "KEEP=kept; h() { echo fn; }; mkdir -p d; cd d; set -o noclobber; shopt -s nullglob\n",
        );
        let mut out = Vec::new();
        let end = s
            .run("echo bye; exit 7\n", None, &|| false, &mut |b| {
                out.extend_from_slice(b)
            })
            .unwrap();
        assert_eq!((end.exit, end.session_restarted), (7, true));
        assert_eq!(out, b"bye\n");
        let (rc, out) = run(
            &mut s,
            "echo \"$KEEP $(basename \"$PWD\")\"; h; [[ -o noclobber ]] && shopt -q nullglob && echo opts\n",
        );
        assert_eq!((rc, out.as_str()), (0, "kept d\nfn\nopts\n"));
        s.finish();
    }

    #[test]
    fn read_only_and_un_exported_variables_are_restored_as_they_were() {
        let (_d, mut s) = session();
        let set = "readonly KUBE_CONTEXT=staging-cluster; declare -r DR=1; readonly -a RA=(a b); \
                   declare -rx XR=xr; export NAMESPACE=payments; export -n PATH; \
                   h() { echo fn; }; mkdir -p d; cd d\n";
        assert_eq!(run(&mut s, set), (0, String::new()));
        let check = "echo \"$KUBE_CONTEXT $DR ${RA[1]} $XR $NAMESPACE\"; \
                     declare -p KUBE_CONTEXT DR RA XR; p=$(declare -p PATH); echo \"${p:0:11}\"; \
                     h; echo \"${PWD##*/}\"\n";
        let want = "staging-cluster 1 b xr payments\n\
                    declare -r KUBE_CONTEXT=\"staging-cluster\"\n\
                    declare -r DR=\"1\"\n\
                    declare -ar RA=([0]=\"a\" [1]=\"b\")\n\
                    declare -rx XR=\"xr\"\n\
                    declare -- \nfn\nd\n";
        assert_eq!(run(&mut s, check), (0, want.to_string()));
        // Twice: the second new shell is restored from a state that the
        // first restore saved, its read-only variables included.
        for _ in 0..2 {
            let end = s.run("exit 2\n", None, &|| false, &mut |_| {}).unwrap();
            assert_eq!((end.exit, end.session_restarted), (2, true));
            assert_eq!(run(&mut s, check), (0, want.to_string()));
        }
        s.finish();
    }

    #[test]
    fn read_only_functions_are_restored_read_only() {
        let (_d, mut s) = session();
        let set = "f() { echo one; }; readonly -f f; g() { :; }; declare -fx g; h() { :; }\n";
        assert_eq!(run(&mut s, set), (0, String::new()));
        let check = "{ f() { echo two; }; } 2>/dev/null || echo refused; f; declare -F f g h\n";
        let want = "refused\none\nf\ng\nh\n";
        assert_eq!(run(&mut s, check), (0, want.to_string()));
        let attrs = "declare -pf f g h | grep '^declare'\n";
        let marks = "declare -fr f\ndeclare -fx g\n";
        assert_eq!(run(&mut s, attrs), (0, marks.to_string()));
        let end = s.run("exit 3\n", None, &|| false, &mut |_| {}).unwrap();
        assert!(end.session_restarted);
        assert_eq!(run(&mut s, check), (0, want.to_string()));
        assert_eq!(run(&mut s, attrs), (0, marks.to_string()));
        s.finish();
    }

    #[test]
    fn a_timeout_for_reads_does_not_end_the_session_between_blocks() {
        let (_d, mut s) = session();
        // Hardened hosts export a read-only TMOUT; a block may set one too.
        run(&mut s, "sleep 300 & BG=$!; TMOUT=1\n");
        std::thread::sleep(Duration::from_millis(1500));
        let end = s
            .run(
                "kill -0 $BG && echo alive; kill $BG\n",
                None,
                &|| false,
                &mut |_| {},
            )
            .unwrap();
        assert!(!end.session_restarted, "the shell's wait timed out");
        s.finish();
    }

    #[test]
    fn a_shell_gone_between_blocks_is_started_again_and_the_block_runs_in_it() {
        let (_d, mut s) = session();
        // Killed from outside a moment after the block.
        run(&mut s, "KEEP=kept; (sleep 0.2; kill -9 $$) &\n");
        std::thread::sleep(Duration::from_millis(800));
        let mut out = Vec::new();
        let end = s
            .run("echo \"ran $KEEP\"\n", None, &|| false, &mut |b| {
                out.extend_from_slice(b)
            })
            .unwrap();
        assert_eq!(
            (end.exit, end.session_restarted, out.as_slice()),
            (0, true, b"ran kept\n".as_slice())
        );
        assert_eq!(run(&mut s, "echo \"$KEEP\"\n"), (0, "kept\n".into()));
        s.finish();
    }

    #[test]
    fn a_state_larger_than_the_pipe_holds_is_saved_whole_and_restored() {
        let (_d, mut s) = session();
        // Several times what the snapshot pipe holds before the shell waits.
        let set = "BIG=$(head -c 3000000 /dev/zero | tr '\\0' a); f() { :; }\n";
        assert_eq!(run(&mut s, set), (0, String::new()));
        assert_eq!(run(&mut s, "echo ${#BIG}\n"), (0, "3000000\n".into()));
        let state = std::fs::read(s.dir().join("state")).unwrap();
        assert!(state.len() > 3_000_000 && state.ends_with(SNAPSHOT_END));
        let end = s.run("exit 0\n", None, &|| false, &mut |_| {}).unwrap();
        assert!(end.session_restarted);
        assert_eq!(run(&mut s, "echo ${#BIG}; f\n"), (0, "3000000\n".into()));
        s.finish();
    }

    /// The directory the shell is left in after `script`, as the status says.
    fn lost_after(s: &mut Session, script: &str) -> Option<LostCwd> {
        s.run(
            script,
            Some(Duration::from_secs(20)),
            &|| false,
            &mut |_| {},
        )
        .unwrap()
        .lost_cwd
    }

    #[test]
    fn a_block_that_takes_the_shells_directory_away_is_told_apart() {
        let (d, mut s) = session();
        let here = d.path().display().to_string();
        assert_eq!(lost_after(&mut s, "mkdir -p a b c && cd a\n"), None);
        // Removed: gone, and still gone after a block that does nothing.
        let gone = Some(LostCwd::Gone(format!("{here}/a")));
        assert_eq!(lost_after(&mut s, "rm -rf \"$PWD\"\n"), gone);
        assert_eq!(lost_after(&mut s, "echo still\n"), gone);
        // Leaving it is the fix.
        assert_eq!(lost_after(&mut s, "cd ..\n"), None);
        // Moved away: gone from where the shell says it is.
        let moved = Some(LostCwd::Gone(format!("{here}/b")));
        assert_eq!(lost_after(&mut s, "cd b && mv \"$PWD\" ../moved\n"), moved);
        // Removed and made again: another directory by that name.
        let replaced = Some(LostCwd::Replaced(format!("{here}/c")));
        assert_eq!(
            lost_after(&mut s, "cd ../c && rm -rf \"$PWD\" && mkdir \"$PWD\"\n"),
            replaced
        );
        // A failing block says it too; a link to the same place is fine.
        assert_eq!(
            lost_after(
                &mut s,
                "cd \"$PWD\" && ln -s c ../link && cd ../link && false\n"
            ),
            None
        );
        s.finish();
    }

    #[test]
    fn an_unchanged_state_is_not_written_again() {
        let (_d, mut s) = session();
        run(&mut s, "X=1\n");
        let first = s.generation();
        run(&mut s, "echo same\n");
        assert_eq!(s.generation(), first);
        run(&mut s, "X=2\n");
        assert_eq!(s.generation(), first + 1);
        s.finish();
    }

    #[test]
    fn timeout_stops_what_the_block_started_and_spares_older_jobs() {
        let (_d, mut s) = session();
        run(&mut s, "sleep 300 & BG=$!\n");
        let end = s
            .run(
                "sleep 300; echo never\n",
                Some(Duration::from_millis(300)),
                &|| false,
                &mut |_| {},
            )
            .unwrap();
        assert!(end.timed_out);
        assert_eq!(end.exit, 124);
        let (rc, out) = run(&mut s, "kill -0 $BG && echo bg-alive; kill %1\n");
        assert_eq!((rc, out.as_str()), (0, "bg-alive\n"));
        s.finish();
    }
}
