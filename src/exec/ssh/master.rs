//! One host's ssh connection: a control master (`ssh -M -N`, runsheet's own
//! child, its socket in the run's private directory), retried with backoff
//! while the host cannot be reached, and torn down with `ssh -O exit`.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::FleetOptions;
use super::inventory::HostSpec;

/// Waits between tries to reach a host: three tries in all.
const BACKOFF: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(2)];

/// How long a try may take when ssh's configuration sets no `ConnectTimeout`.
const CONNECT_TIMEOUT: u64 = 10;

/// What ssh's own messages may hold at most, kept for the transcript.
const MESSAGES: usize = 4096;

/// What ssh (and the login) said on stderr: its last few kilobytes.
pub type Messages = Arc<Mutex<Vec<u8>>>;

/// Keeps the last of what `stream` says, read on a thread of its own.
pub fn collect(mut stream: impl Read + Send + 'static) -> Messages {
    let messages: Messages = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&messages);
    thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut m) = keep.lock() {
                m.extend_from_slice(&buf[..n]);
                let over = m.len().saturating_sub(MESSAGES);
                m.drain(..over);
            }
        }
    });
    messages
}

/// What `messages` holds, as one line (`otherwise` when it holds nothing).
pub fn said(messages: &Messages, otherwise: &str) -> String {
    let bytes = messages.lock().map(|m| m.clone()).unwrap_or_default();
    message(&bytes, otherwise)
}

/// How `ssh` is run for one host: the options the master and its sessions share.
#[derive(Debug, Clone)]
pub struct SshCommand {
    /// The host as runsheet names it (what ssh's configuration matches).
    pub name: String,
    args: Vec<OsString>,
}

impl SshCommand {
    /// The ssh options for `host` under `options`.
    pub fn new(host: &HostSpec, options: &FleetOptions) -> SshCommand {
        let mut args: Vec<OsString> = Vec::new();
        if let Some(config) = &options.ssh_config {
            args.push("-F".into());
            args.push(config.into());
        }
        let agent = if options.forward_agent { "yes" } else { "no" };
        for o in [
            // Nobody is there to type a password or accept a host key:
            // host-key checking stays as the user's configuration has it.
            "BatchMode=yes".to_string(),
            format!("ForwardAgent={agent}"),
            "ForwardX11=no".into(),
            "ClearAllForwardings=yes".into(),
            "PermitLocalCommand=no".into(),
        ] {
            args.push("-o".into());
            args.push(o.into());
        }
        if let Some(port) = host.port {
            args.push("-p".into());
            args.push(port.to_string().into());
        }
        if let Some(user) = &host.user {
            args.push("-l".into());
            args.push(user.into());
        }
        if let Some(hostname) = &host.hostname {
            args.push("-o".into());
            args.push(format!("HostName={hostname}").into());
        }
        SshCommand {
            name: host.name.clone(),
            args,
        }
    }

    /// `ssh` with these options and `extra` before the host name.
    pub fn command(&self, extra: &[&std::ffi::OsStr]) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.args(extra).args(&self.args).arg("--").arg(&self.name);
        // Its own process group: a Ctrl-C at runsheet's terminal is runsheet's
        // to handle, and must not cut the connection.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd
    }

    /// What `ssh -G` says this host resolves to: `user@hostname:port`, and
    /// whether the configuration sets a connect timeout.
    fn resolve(&self) -> Result<(String, bool), String> {
        let out = self
            .command(&["-G".as_ref()])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run ssh: {e}; runsheet needs OpenSSH's `ssh` on PATH"))?;
        if !out.status.success() {
            return Err(message(&out.stderr, "ssh -G failed"));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let get = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' ')))
                .unwrap_or("")
                .to_string()
        };
        let timeout = !matches!(get("connecttimeout").as_str(), "" | "none");
        Ok((
            format!("{}@{}:{}", get("user"), get("hostname"), get("port")),
            timeout,
        ))
    }
}

/// ssh's messages as one line for the transcript.
fn message(stderr: &[u8], otherwise: &str) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        otherwise.to_string()
    } else {
        lines.join("; ")
    }
}

/// ssh failed in a way another try will not mend.
fn lasting(message: &str) -> bool {
    [
        "Permission denied",
        "Host key verification failed",
        "REMOTE HOST IDENTIFICATION HAS CHANGED",
        "Could not resolve hostname",
        "Bad configuration option",
        "Bad owner or permissions",
        "cannot run ssh",
        "No such file or directory",
        "Too many authentication failures",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// A host that could not be reached, and what ssh said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    pub message: String,
    pub tries: usize,
}

/// A live control master.
pub struct Master {
    ssh: SshCommand,
    socket: PathBuf,
    child: Child,
    messages: Messages,
    /// `user@hostname:port`, as ssh resolved it.
    pub endpoint: String,
}

impl Master {
    /// Connects to the host, its control socket at `socket`, trying again
    /// (after 1 s, then 2 s) while the failure may pass; `stop` ends the tries.
    pub fn connect(
        ssh: &SshCommand,
        socket: &Path,
        stop: &dyn Fn() -> bool,
    ) -> Result<Master, Unreachable> {
        let (endpoint, has_timeout) = ssh
            .resolve()
            .map_err(|message| Unreachable { message, tries: 1 })?;
        let mut tries = 0;
        loop {
            tries += 1;
            match Master::try_once(ssh, socket, has_timeout, stop) {
                Ok((child, messages)) => {
                    return Ok(Master {
                        ssh: ssh.clone(),
                        socket: socket.to_path_buf(),
                        child,
                        messages,
                        endpoint,
                    });
                }
                Err(message) => {
                    let wait = BACKOFF.get(tries - 1);
                    if lasting(&message) || stop() || wait.is_none() {
                        return Err(Unreachable { message, tries });
                    }
                    let until = Instant::now() + *wait.expect("checked above");
                    while Instant::now() < until && !stop() {
                        thread::sleep(Duration::from_millis(20));
                    }
                }
            }
        }
    }

    fn try_once(
        ssh: &SshCommand,
        socket: &Path,
        has_timeout: bool,
        stop: &dyn Fn() -> bool,
    ) -> Result<(Child, Messages), String> {
        let _ = std::fs::remove_file(socket);
        let timeout = format!("ConnectTimeout={CONNECT_TIMEOUT}");
        let mut extra: Vec<&std::ffi::OsStr> = vec![
            "-M".as_ref(),
            "-N".as_ref(),
            "-S".as_ref(),
            socket.as_os_str(),
            "-o".as_ref(),
            "ControlPersist=no".as_ref(),
        ];
        if !has_timeout {
            extra.push("-o".as_ref());
            extra.push(timeout.as_ref());
        }
        let mut child = ssh
            .command(&extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run ssh: {e}; runsheet needs OpenSSH's `ssh` on PATH"))?;
        let messages = match child.stderr.take() {
            Some(stderr) => collect(stderr),
            None => Messages::default(),
        };
        // Past ssh's own connect timeout, authentication has this long.
        let deadline = Instant::now() + Duration::from_secs(CONNECT_TIMEOUT + 20);
        loop {
            if socket.exists() {
                return Ok((child, messages));
            }
            if let Ok(Some(status)) = child.try_wait() {
                // Let the reader take what ssh said last.
                thread::sleep(Duration::from_millis(20));
                let code = status.code().unwrap_or(255);
                return Err(said(&messages, &format!("ssh exited with {code}")));
            }
            if Instant::now() > deadline || stop() {
                let _ = child.kill();
                let _ = child.wait();
                return Err(if stop() {
                    "runsheet was asked to stop".into()
                } else {
                    "no connection after 30 s".into()
                });
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether the master still runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What ssh said since the master started, as one line.
    pub fn messages(&self) -> String {
        said(&self.messages, "the connection closed")
    }

    /// `ssh -T` through this master, running `remote` on the host.
    pub fn session(&self, remote: &str) -> Command {
        let mut cmd = self.ssh.command(&[
            "-T".as_ref(),
            "-S".as_ref(),
            self.socket.as_os_str(),
            "-o".as_ref(),
            "ControlMaster=no".as_ref(),
        ]);
        cmd.arg(remote);
        cmd
    }

    /// Ends the connection: `ssh -O exit`, then the master's own pid.
    pub fn exit(mut self) {
        if self.alive() {
            let _ = self
                .ssh
                .command(&[
                    "-S".as_ref(),
                    self.socket.as_os_str(),
                    "-O".as_ref(),
                    "exit".as_ref(),
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.alive() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        if self.alive() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// Ends the master listening on `socket`, left by a runsheet that was killed.
pub fn exit_stale(socket: &Path) {
    let _ = Command::new("ssh")
        .arg("-S")
        .arg(socket)
        .args(["-O", "exit", "--", "stale-master"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = std::fs::remove_file(socket);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_which_failures_last() {
        assert_eq!(
            message(
                b"ssh: connect to host x port 22: Connection refused\r\n",
                "x"
            ),
            "ssh: connect to host x port 22: Connection refused"
        );
        assert_eq!(message(b"\n", "nothing"), "nothing");
        assert!(lasting("root@h: Permission denied (publickey)."));
        assert!(!lasting(
            "ssh: connect to host h port 22: Connection refused"
        ));
    }

    #[test]
    fn options_come_from_the_inventory() {
        let host = HostSpec {
            name: "web-1".into(),
            hostname: Some("10.0.0.1".into()),
            port: Some(2222),
            user: Some("app".into()),
        };
        let ssh = SshCommand::new(&host, &FleetOptions::default());
        let cmd = ssh.command(&["-T".as_ref()]);
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let line = args.join(" ");
        assert!(
            line.starts_with("-T -o BatchMode=yes -o ForwardAgent=no"),
            "{line}"
        );
        assert!(
            line.contains("-p 2222 -l app -o HostName=10.0.0.1 -- web-1"),
            "{line}"
        );
    }
}
