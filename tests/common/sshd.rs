//! Fake hosts for the fleet tests: one real OpenSSH server per host on its own
//! loopback port, with host and user keys made in a temp dir, an ssh config
//! naming the hosts, and a known_hosts file holding their key (host-key
//! checking stays on). Nothing listens or connects outside 127.0.0.1.

use std::fmt::Write as _;
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Servers on loopback, one per host name.
pub struct Hosts {
    pub dir: tempfile::TempDir,
    servers: Vec<(String, u16, Option<Child>)>,
}

/// The sshd binary; the test fails saying what to install when there is none.
fn sshd() -> PathBuf {
    for candidate in ["/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd"] {
        if Path::new(candidate).is_file() {
            return candidate.into();
        }
    }
    let found = Command::new("sh")
        .args(["-c", "command -v sshd"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match found {
        Some(path) if !path.is_empty() => path.into(),
        _ => panic!(
            "this test needs OpenSSH's server: install it (on Debian, `apt-get install openssh-server`), \
             or leave this test out (it is #[ignore]d, so a plain `cargo test` does)"
        ),
    }
}

/// `sshd` in the foreground on the configuration `conf`, its logs dropped.
fn start(sshd: &Path, conf: &Path) -> Child {
    Command::new(sshd)
        .args(["-D", "-e", "-f"])
        .arg(conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sshd")
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on loopback")
}

fn user() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Hosts {
    /// Starts a server for each of `up`, and names each of `down` in the ssh
    /// config at a port nothing listens on.
    pub fn start(up: &[&str], down: &[&str]) -> Hosts {
        let sshd = sshd();
        // sshd running as root needs its privilege-separation directory,
        // which the system makes when it starts its own sshd.
        if is_root() && !Path::new("/run/sshd").exists() {
            fs::create_dir_all("/run/sshd").expect("create /run/sshd for sshd");
        }
        let dir = tempfile::Builder::new()
            .prefix("runsheet-sshd-")
            .tempdir()
            .expect("a temp dir");
        let d = dir.path();
        for key in ["host_key", "user_key"] {
            run(Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", "runsheet-test", "-f"])
                .arg(d.join(key)));
        }
        fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).expect("authorized_keys");
        let host_key = fs::read_to_string(d.join("host_key.pub")).expect("host key");
        let host_key: Vec<&str> = host_key.split_whitespace().take(2).collect();
        let mut known = String::new();
        let mut config = String::new();
        let mut servers = Vec::new();
        let user = user();
        for &name in up.iter().chain(down) {
            let port = free_port();
            let _ = writeln!(known, "[127.0.0.1]:{port} {}", host_key.join(" "));
            let _ = write!(
                config,
                "Host {name}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile {key}\n  \
                 IdentitiesOnly yes\n  UserKnownHostsFile {known}\n  GlobalKnownHostsFile /dev/null\n  \
                 StrictHostKeyChecking yes\n  ConnectTimeout 5\n",
                key = d.join("user_key").display(),
                known = d.join("known_hosts").display(),
            );
            let child = up.contains(&name).then(|| {
                let conf = d.join(format!("sshd-{name}.conf"));
                fs::write(
                    &conf,
                    format!(
                        "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nAuthorizedKeysFile {ak}\n\
                         StrictModes no\nUsePAM no\nPidFile none\nPasswordAuthentication no\n\
                         KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\n\
                         LogLevel ERROR\nSetEnv FAKE_HOST={name}\nMaxSessions 50\nMaxStartups 100\n",
                        hk = d.join("host_key").display(),
                        ak = d.join("authorized_keys").display(),
                    ),
                )
                .expect("sshd config");
                start(&sshd, &conf)
            });
            servers.push((name.to_string(), port, child));
        }
        fs::write(d.join("known_hosts"), known).expect("known_hosts");
        fs::write(d.join("ssh_config"), config).expect("ssh_config");
        let hosts = Hosts { dir, servers };
        for (name, port, child) in &hosts.servers {
            if child.is_some() {
                hosts.wait_listening(name, *port);
            }
        }
        hosts
    }

    fn wait_listening(&self, name: &str, port: u16) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("sshd for {name} does not listen on 127.0.0.1:{port}");
    }

    /// The ssh config that names the hosts (for `--ssh-config`).
    pub fn ssh_config(&self) -> String {
        self.dir.path().join("ssh_config").display().to_string()
    }

    /// A directory every host (they are this machine) and the test can reach.
    pub fn shared(&self) -> PathBuf {
        let shared = self.dir.path().join("shared");
        fs::create_dir_all(&shared).expect("shared dir");
        shared
    }

    /// Starts host `name`'s server again (after `crash`), on the same port
    /// with the same keys.
    pub fn restart(&mut self, name: &str) {
        let conf = self.dir.path().join(format!("sshd-{name}.conf"));
        let Some((_, port, slot)) = self.servers.iter_mut().find(|(n, _, _)| n == name) else {
            panic!("no host {name}");
        };
        assert!(slot.is_none(), "host {name} is running already");
        *slot = Some(start(&sshd(), &conf));
        let port = *port;
        self.wait_listening(name, port);
    }

    /// Kills host `name` as a crash would: its server and every session it
    /// serves, shells and what they run included.
    pub fn crash(&mut self, name: &str) {
        let Some((_, _, Some(child))) = self.servers.iter_mut().find(|(n, _, _)| n == name) else {
            panic!("no running host {name}");
        };
        let root = child.id();
        let mut doomed = descendants(root);
        doomed.push(root);
        for pid in doomed {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let _ = child.wait();
        if let Some((_, _, slot)) = self.servers.iter_mut().find(|(n, _, _)| n == name) {
            *slot = None;
        }
    }
}

/// Every process under `root`, from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some(after) = stat.rsplit_once(") ").map(|(_, a)| a) else {
            continue;
        };
        if let Some(ppid) = after.split(' ').nth(1).and_then(|p| p.parse().ok()) {
            parents.push((pid, ppid));
        }
    }
    let mut out = Vec::new();
    let mut queue = vec![root];
    while let Some(p) = queue.pop() {
        for &(child, parent) in &parents {
            if parent == p && !out.contains(&child) {
                out.push(child);
                queue.push(child);
            }
        }
    }
    out
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for (_, _, child) in &mut self.servers {
            if let Some(child) = child {
                let mut doomed = descendants(child.id());
                doomed.push(child.id());
                for pid in doomed {
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                }
                let _ = child.wait();
            }
        }
    }
}
