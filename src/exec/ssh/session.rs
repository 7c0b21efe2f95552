//! A host's shell session: the session driver run over `ssh -T` through the
//! host's control master, fed one block at a time, its state snapshots sent
//! back after each block and kept in the run's private directory here.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use super::master::{Master, Messages, collect, said};
use crate::exec::BlockEnd;
use crate::exec::pipes::find;
use crate::exec::snapshot;
use crate::fsutil::write_private;

const RECEIVER: &str = include_str!("remote.sh");
const HOOKS: &str = include_str!("hooks.sh");

/// How long a new session may take to say it is ready.
const READY: Duration = Duration::from_secs(30);

/// How a block ended on the host, seen from here.
#[derive(Debug)]
pub enum Ended {
    /// The block's status came back.
    Block(BlockEnd, Vec<String>),
    /// The connection dropped while the block ran.
    Lost(String),
    /// The session was gone before the block could be sent.
    Unsent(String),
}

/// The remote shell of one host for the run.
pub struct Remote {
    child: Child,
    stdin: ChildStdin,
    output: Receiver<Vec<u8>>,
    messages: Messages,
    pending: Vec<u8>,
    tag: Vec<u8>,
    /// This host's private directory here: `base` and `state` snapshots.
    dir: PathBuf,
}

/// A frame the host sends, taken out of the output.
enum Frame {
    Ready,
    Status(crate::exec::status::Status),
    File(String, Vec<u8>),
    Exited(i32),
}

impl Remote {
    /// Starts the session through `master`; waits until it is ready.
    pub fn start(master: &Master, dir: &Path, nonce: &str) -> Result<Remote, String> {
        Remote::spawn(master.session(&command(nonce)), dir, nonce)
    }

    /// Starts the session with `cmd`, which runs `command(nonce)` on the host.
    fn spawn(mut cmd: std::process::Command, dir: &Path, nonce: &str) -> Result<Remote, String> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run ssh: {e}"))?;
        let stdin = child.stdin.take().expect("piped");
        let mut stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let (tx, rx) = mpsc::sync_channel(16);
        thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match stdout.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let messages = collect(stderr);
        let mut session = Remote {
            child,
            stdin,
            output: rx,
            messages,
            pending: Vec::new(),
            tag: format!("\x1eRS{nonce}").into_bytes(),
            dir: dir.to_path_buf(),
        };
        session.wait_ready()?;
        Ok(session)
    }

    /// Waits for the receiver's ready frame; what the login printed before
    /// it (rc files) is not any block's output.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY;
        loop {
            while let Some(frame) = self.next_frame(&mut |_| {}) {
                if matches!(frame, Frame::Ready) {
                    return Ok(());
                }
            }
            match self.output.recv_timeout(Duration::from_millis(50)) {
                Ok(chunk) => self.pending.extend_from_slice(&chunk),
                Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
                Err(_) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    thread::sleep(Duration::from_millis(20));
                    let mut said = self.messages();
                    let printed = String::from_utf8_lossy(&self.pending).trim().to_string();
                    if !printed.is_empty() {
                        said = format!("{said}; {printed}");
                    }
                    return Err(format!("the shell did not start on the host: {said}"));
                }
            }
        }
    }

    /// What ssh and the login said on stderr, as one line.
    pub fn messages(&self) -> String {
        said(&self.messages, "the connection closed")
    }

    /// The process id of the `ssh -T` running the session.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stdin.write_all(bytes)?;
        self.stdin.flush()
    }

    /// Writes a file of the host's private directory (`name` has no `/`).
    pub fn put(&mut self, name: &str, content: &[u8]) -> Result<(), String> {
        let mut frame = format!("F {name} {}\n", content.len()).into_bytes();
        frame.extend_from_slice(content);
        self.send(&frame).map_err(|_| self.messages())
    }

    /// Runs `script` on the host, watching the secret-named `watch`
    /// variables; streams what it prints to `sink`.
    pub fn run(
        &mut self,
        script: &str,
        watch: &[String],
        timeout: Option<Duration>,
        stop: &dyn Fn() -> bool,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Ended {
        let watch = watch.join("\n");
        let mut frame = format!("B {} {}\n", script.len(), watch.len()).into_bytes();
        frame.extend_from_slice(script.as_bytes());
        frame.extend_from_slice(watch.as_bytes());
        let started = Instant::now();
        if self.send(&frame).is_err() {
            return Ended::Unsent(self.messages());
        }
        let mut seen: Vec<String> = Vec::new();
        // The host sends the snapshot only when it changed.
        let mut new_state = false;
        let mut timed_out = false;
        let mut interrupted = false;
        let mut stopping: Option<(Instant, u32)> = None;
        loop {
            while let Some(frame) = self.next_frame(sink) {
                match frame {
                    Frame::Status(status) => {
                        let (exit, saved) = (status.exit, status.saved);
                        return Ended::Block(
                            BlockEnd {
                                exit: if timed_out {
                                    124
                                } else if interrupted {
                                    130
                                } else {
                                    exit
                                },
                                duration: started.elapsed(),
                                timed_out,
                                interrupted,
                                state_saved: saved && (!new_state || self.keep_state()),
                                lost_cwd: status.lost_cwd,
                                ..BlockEnd::default()
                            },
                            seen,
                        );
                    }
                    Frame::File(name, content) => {
                        new_state |= name == "state.new";
                        self.file(&name, content, &mut seen);
                    }
                    Frame::Exited(exit) => return self.restart(exit, started, seen),
                    Frame::Ready => {}
                }
            }
            match self.output.recv_timeout(Duration::from_millis(50)) {
                Ok(chunk) => self.pending.extend_from_slice(&chunk),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    sink(&std::mem::take(&mut self.pending));
                    let _ = self.child.wait();
                    return Ended::Lost(self.messages());
                }
            }
            if !timed_out && timeout.is_some_and(|t| started.elapsed() >= t) {
                timed_out = true;
            }
            if !interrupted && stop() {
                interrupted = true;
            }
            if timed_out || interrupted {
                // INT to the shell and TERM to what the block started, then
                // KILL every two seconds to whatever is still there.
                match stopping {
                    None => {
                        let _ = self.send(b"I\n");
                        stopping = Some((Instant::now(), 0));
                    }
                    Some((since, kills))
                        if since.elapsed() > Duration::from_secs(2 * (u64::from(kills) + 1)) =>
                    {
                        let _ = self.send(b"K\n");
                        stopping = Some((since, kills + 1));
                    }
                    Some(_) => {}
                }
            }
        }
    }

    /// A file the host sent back.
    fn file(&mut self, name: &str, content: Vec<u8>, seen: &mut Vec<String>) {
        match name {
            // The first session's base stays: what resume restores is the
            // difference from it.
            "base" if !self.dir.join("base").exists() => {
                let _ = write_private(&self.dir.join("base"), &content);
            }
            "state.new" => {
                let _ = write_private(&self.dir.join("state.new"), &content);
            }
            "seen" => seen.extend(
                content
                    .split(|&b| b == 0)
                    .filter(|v| !v.is_empty())
                    .map(|v| String::from_utf8_lossy(v).into_owned()),
            ),
            _ => {}
        }
    }

    /// The snapshot the block's status says was saved becomes the state.
    fn keep_state(&self) -> bool {
        std::fs::rename(self.dir.join("state.new"), self.dir.join("state")).is_ok()
    }

    /// The block ended the shell (`exit N`): a new one takes back the state.
    fn restart(&mut self, exit: i32, started: Instant, seen: Vec<String>) -> Ended {
        if self.send(b"S\n").is_err() {
            return Ended::Lost(self.messages());
        }
        let end = BlockEnd {
            exit,
            duration: started.elapsed(),
            session_restarted: true,
            state_saved: true,
            ..BlockEnd::default()
        };
        match self.restore() {
            // A directory gone is where the next block would run.
            Ok(back) => Ended::Block(
                BlockEnd {
                    lost_cwd: back.and_then(|b| b.lost_cwd),
                    ..end
                },
                seen,
            ),
            Err(message) => Ended::Lost(message),
        }
    }

    /// Puts back what the runbook changed on this host, per the snapshots
    /// kept here: how the restore ended (its `lost_cwd` says when the
    /// directory the shell was in is gone), `None` when there is nothing
    /// to restore.
    pub fn restore(&mut self) -> Result<Option<BlockEnd>, String> {
        let Some(script) = snapshot::restore_script_with(&self.dir, back_into) else {
            return Ok(None);
        };
        match self.run(&script, &[], None, &|| false, &mut |_| {}) {
            Ended::Block(end, _) => Ok(Some(end)),
            Ended::Lost(m) | Ended::Unsent(m) => Err(m),
        }
    }

    /// Takes the next frame out of what arrived; output before it goes to `sink`.
    fn next_frame(&mut self, sink: &mut dyn FnMut(&[u8])) -> Option<Frame> {
        let Some(at) = find(&self.pending, &self.tag) else {
            // Hold back only a tail that could be the start of a frame.
            let keep = (1..self.tag.len().min(self.pending.len() + 1))
                .rev()
                .find(|&n| self.pending.ends_with(&self.tag[..n]))
                .unwrap_or(0);
            let flush = self.pending.len() - keep;
            if flush > 0 {
                sink(&self.pending[..flush]);
                self.pending.drain(..flush);
            }
            return None;
        };
        if at > 0 {
            sink(&self.pending[..at]);
            self.pending.drain(..at);
        }
        let body = &self.pending[self.tag.len()..];
        let end = body.iter().position(|&b| b == 0x1e)?;
        let head = String::from_utf8_lossy(&body[..end]).into_owned();
        let mut used = self.tag.len() + end + 1;
        let frame = match head.as_bytes().first() {
            Some(b'R') => Frame::Ready,
            // `<exit>:<saved>:<jobs>:<cwd>`, as on this machine (the jobs
            // flag is for local sessions); the directory's bytes as sent.
            Some(b':') => Frame::Status(crate::exec::status::Status::parse(&body[1..end])),
            Some(b'X') => Frame::Exited(head[1..].parse().unwrap_or(1)),
            Some(b'F') => {
                let (name, len) = head[1..].split_once(' ').unwrap_or((&head[1..], "0"));
                let len: usize = len.parse().unwrap_or(0);
                if self.pending.len() < used + len {
                    return None;
                }
                let content = self.pending[used..used + len].to_vec();
                used += len;
                Frame::File(name.to_string(), content)
            }
            // Not a frame after all: the bytes are output.
            _ => {
                sink(&self.pending[..self.tag.len()]);
                self.pending.drain(..self.tag.len());
                return self.next_frame(sink);
            }
        };
        self.pending.drain(..used);
        Some(frame)
    }

    /// Ends the session: the host's shell ends once no block runs, stops
    /// what blocks left in the background, and removes its directory.
    pub fn finish(mut self) {
        drop(self.stdin);
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The line that takes a host's shell back to `dir`, the directory it was
/// in. When `dir` is gone (removed by a block, or since the run stopped),
/// the shell is left as the block that removed it left it: in a directory
/// that no longer exists, at that path. The missing part of the path is
/// made for a moment, entered and removed again, so that `pwd`, `$PWD`,
/// `cd ..` and runsheet's messages all name `dir`, and relative paths fail
/// as they would have, instead of acting in the login's home directory.
/// Where the path cannot be made (no permission, a read-only file system),
/// the shell goes into an empty directory made and removed in the private
/// directory instead, `$PWD` naming `dir`.
fn back_into(dir: &str) -> String {
    let dir = shell_words::quote(dir);
    format!(
        "builtin cd -- {dir} 2>/dev/null || {{ __rs_d={dir} __rs_made=(); \
         while [[ $__rs_d == /?* && ! -e $__rs_d && ! -L $__rs_d ]]; do \
         __rs_made=(\"$__rs_d\" \"${{__rs_made[@]}}\"); __rs_d=${{__rs_d%/*}}; done; \
         if ((${{#__rs_made[@]}})) && builtin command mkdir -- \"${{__rs_made[@]}}\" \
         2>/dev/null && builtin cd -- {dir} 2>/dev/null; then builtin :; fi; \
         for ((__rs_d=${{#__rs_made[@]}}-1; __rs_d>=0; __rs_d--)); do \
         builtin command rmdir -- \"${{__rs_made[__rs_d]}}\" 2>/dev/null || builtin :; done; \
         __rs_d=$__rs_dir/gone; \
         if [[ $PWD != {dir} ]] && builtin command mkdir -p -- \"$__rs_d\" 2>/dev/null \
         && builtin cd -- \"$__rs_d\" 2>/dev/null; then \
         builtin command rmdir -- \"$__rs_d\" 2>/dev/null || builtin :; fi; \
         PWD={dir}; builtin unset -v __rs_d __rs_made; }}\n"
    )
}

/// The command line the host's login shell runs: the receiver, given the
/// driver (with its remote hooks) and the run's nonce.
fn command(nonce: &str) -> String {
    let driver = format!("{HOOKS}{}", crate::exec::session::driver());
    format!(
        "exec bash --noprofile --norc -c {} runsheet-host {} {}",
        shell_words::quote(RECEIVER),
        shell_words::quote(&driver),
        nonce
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsutil::private_dir;

    /// The receiver and driver run by a local bash, as a host's login would.
    fn local() -> (tempfile::TempDir, Remote) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("host");
        private_dir(&dir).unwrap();
        let mut cmd = std::process::Command::new("bash");
        cmd.args(["-c", &command("n0nce")])
            .current_dir(tmp.path())
            .env("TMPDIR", tmp.path());
        let remote = Remote::spawn(cmd, &dir, "n0nce").unwrap();
        (tmp, remote)
    }

    fn run(remote: &mut Remote, script: &str) -> (i32, String) {
        let mut out = Vec::new();
        match remote.run(
            script,
            &[],
            Some(Duration::from_secs(20)),
            &|| false,
            &mut |b| out.extend_from_slice(b),
        ) {
            Ended::Block(end, _) => (end.exit, String::from_utf8(out).unwrap()),
            other => panic!("{other:?}"),
        }
    }

    /// `back_into` run by a local bash as the host's would, then `tail`.
    fn taken_back(private: &Path, dir: &Path, tail: &str) -> String {
        let script = format!(
            "__rs_dir={}\n{}{tail}",
            shell_words::quote(&private.display().to_string()),
            back_into(&dir.display().to_string())
        );
        let out = std::process::Command::new("bash")
            .args(["--noprofile", "--norc", "-c", &script])
            .current_dir(private)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn a_shell_taken_back_into_a_directory_that_is_gone_names_it_everywhere() {
        let tmp = tempfile::tempdir().unwrap();
        let private = tmp.path().join("private");
        private_dir(&private).unwrap();
        let up = tmp.path().join("releases");
        std::fs::create_dir(&up).unwrap();
        let gone = up.join("42");
        let tail = "pwd; echo \"$PWD\"; cd .. && pwd\n";
        let g = gone.display();
        assert_eq!(
            taken_back(&private, &gone, tail),
            format!("{g}\n{g}\n{}\n", up.display())
        );
        // It is not there: relative paths fail.
        assert_eq!(
            taken_back(
                &private,
                &gone,
                "pwd -P 2>/dev/null || echo gone; : >new 2>/dev/null || echo gone\n"
            ),
            "gone\ngone\n"
        );
        // Nothing made for a moment is left, there or in the private
        // directory; what was there stays.
        assert!(!gone.exists() && up.is_dir());
        assert_eq!(std::fs::read_dir(&private).unwrap().count(), 0);
        // Its parents gone too: only what was made is removed.
        let deeper = tmp.path().join("a/b/c");
        let d = deeper.display();
        assert_eq!(
            taken_back(&private, &deeper, "pwd; echo \"$PWD\"\n"),
            format!("{d}\n{d}\n")
        );
        assert!(!tmp.path().join("a").exists());
        // A directory that is there is gone back into, and left alone.
        std::fs::create_dir_all(&gone).unwrap();
        assert_eq!(
            taken_back(&private, &gone, "pwd -P\n"),
            format!("{}\n", gone.canonicalize().unwrap().display())
        );
        assert!(gone.is_dir());
    }

    #[test]
    fn state_carries_over_and_comes_back_here() {
        let (tmp, mut r) = local();
        assert_eq!(
            run(
                &mut r,
                "X='a b'; f() { echo \"f:$1\"; }; mkdir -p sub && cd sub; echo é\n"
            ),
            (0, "é\n".into())
        );
        assert_eq!(
            run(
                &mut r,
                "echo \"$X $(basename \"$PWD\")\"; f z; false; echo never\n"
            ),
            (1, "a b sub\nf:z\n".into())
        );
        let state = std::fs::read_to_string(tmp.path().join("host/state")).unwrap();
        assert!(state.contains("declare -- X=\"a b\""), "{state}");
        assert!(tmp.path().join("host/base").exists());
        r.finish();
        // The host's private directory went with the session.
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("runsheet."))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn exit_restarts_the_shell_with_its_state() {
        let (_tmp, mut r) = local();
        run(&mut r, "KEEP=kept; cd /\n");
        let mut out = Vec::new();
        let Ended::Block(end, _) = r.run("echo bye; exit 7\n", &[], None, &|| false, &mut |b| {
            out.extend_from_slice(b)
        }) else {
            panic!("no block end")
        };
        assert_eq!((end.exit, end.session_restarted), (7, true));
        assert_eq!(run(&mut r, "echo \"$KEEP $PWD\"\n"), (0, "kept /\n".into()));
        r.finish();
    }

    #[test]
    fn a_timeout_stops_what_the_block_started_and_spares_older_jobs() {
        let (_tmp, mut r) = local();
        run(&mut r, "sleep 300 & BG=$!\n");
        let Ended::Block(end, _) = r.run(
            "sleep 300; echo never\n",
            &[],
            Some(Duration::from_millis(300)),
            &|| false,
            &mut |_| {},
        ) else {
            panic!("no block end")
        };
        assert!(end.timed_out);
        assert_eq!(end.exit, 124);
        assert_eq!(
            run(&mut r, "kill -0 $BG && echo bg-alive; kill %1\n"),
            (0, "bg-alive\n".into())
        );
        r.finish();
    }

    #[test]
    fn secret_values_a_block_set_come_back() {
        let (_tmp, mut r) = local();
        let Ended::Block(_, seen) = r.run(
            "API_TOKEN=s3cr3t-value; echo done\n",
            &["API_TOKEN".to_string()],
            None,
            &|| false,
            &mut |_| {},
        ) else {
            panic!("no block end")
        };
        assert_eq!(seen, ["s3cr3t-value"]);
        r.finish();
    }
}
