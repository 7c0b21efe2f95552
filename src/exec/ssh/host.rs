//! One host of the fleet: its private directory here, its connection (made
//! when a block first needs it, made again after it was lost), and one block
//! run there.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

use super::master::{Master, SshCommand};
use super::session::{Ended, Remote};
use crate::exec::runner::{Runner, program_line};
use crate::exec::{Block, HostEnd, LostCwd, Reach};
use crate::fsutil::private_dir;

/// A host of the run.
pub struct Host {
    pub name: String,
    ssh: SshCommand,
    /// Private directory here: snapshots of the host's shell state.
    pub dir: PathBuf,
    socket: PathBuf,
    link: Option<(Master, Remote)>,
    /// Left the run: at which step, and why.
    pub left: Option<(String, String)>,
    /// Start from a fresh shell even where a snapshot was saved.
    pub fresh: bool,
    /// A connection was made in this process: the state saved for the
    /// host, if any, was taken back then.
    pub taken_back: bool,
}

/// What happens while a block runs on a host, for whoever shows it.
pub enum Event {
    Output(Vec<u8>),
    Notice(String),
    Secret(String),
}

impl Host {
    /// A host known as `name`, its files under `dir`, its control socket at `socket`.
    pub fn new(name: &str, ssh: SshCommand, dir: PathBuf, socket: PathBuf) -> Host {
        Host {
            name: name.to_string(),
            ssh,
            dir,
            socket,
            link: None,
            left: None,
            fresh: false,
            taken_back: false,
        }
    }

    /// Whether a connection is open.
    pub fn connected(&self) -> bool {
        self.link.is_some()
    }

    /// Opens the connection and the shell, taking back the state saved here:
    /// the directory the shell was in when that one is gone.
    pub fn connect(
        &mut self,
        nonce: &str,
        stop: &AtomicBool,
        events: &mut dyn FnMut(Event),
    ) -> Result<Option<LostCwd>, String> {
        private_dir(&self.dir).map_err(|e| e.to_string())?;
        let master = Master::connect(&self.ssh, &self.socket, &|| stop.load(Ordering::SeqCst))
            .map_err(|u| {
                let tries = if u.tries == 1 {
                    "1 try".into()
                } else {
                    format!("{} tries", u.tries)
                };
                format!("{} ({tries})", u.message)
            })?;
        let mut remote = match Remote::start(&master, &self.dir, nonce) {
            Ok(remote) => remote,
            Err(message) => {
                master.exit();
                return Err(message);
            }
        };
        crate::state::record_session(&self.dir, remote.pid());
        events(Event::Notice(format!("connected to {}", master.endpoint)));
        let mut lost = None;
        if self.fresh {
            self.fresh = false;
        } else if self.dir.join("state").exists() {
            match remote.restore() {
                Ok(Some(back)) => {
                    lost = back.lost_cwd;
                    events(Event::Notice(
                        "restored the shell state saved after its last block; background jobs cannot be restored"
                            .into(),
                    ));
                }
                Ok(None) => events(Event::Notice(
                    "the shell state saved for this host is damaged: it starts from a fresh shell"
                        .into(),
                )),
                Err(message) => {
                    remote.finish();
                    master.exit();
                    return Err(message);
                }
            }
        }
        self.link = Some((master, remote));
        self.taken_back = true;
        Ok(lost)
    }

    /// Ends the connection, if there is one.
    pub fn disconnect(&mut self) {
        if let Some((master, remote)) = self.link.take() {
            remote.finish();
            master.exit();
        }
    }

    /// Runs `block` here; what it prints and what runsheet says about it go
    /// to `events`. Unreachable means nothing was sent: ssh failed before
    /// the block started, after its own tries with backoff.
    pub fn run(
        &mut self,
        block: &Block,
        nonce: &str,
        stop: &AtomicBool,
        events: &mut dyn FnMut(Event),
    ) -> HostEnd {
        let started = SystemTime::now();
        let clock = Instant::now();
        let end = |reach: Reach, note: Option<String>| HostEnd {
            host: String::new(),
            reach,
            started,
            duration: clock.elapsed(),
            output: String::new(),
            note,
            lost_cwd: None,
        };
        // Resuming, a host first reached now (not when the run checked it
        // before the block was asked about): what became of its directory.
        let mut found = None;
        // A connection that died between blocks is made again: the block
        // has not started, so that is no risk.
        let mut tries = 0;
        let ended = loop {
            tries += 1;
            if let Some((master, _)) = &mut self.link
                && !master.alive()
            {
                let said = master.messages();
                self.disconnect();
                events(Event::Notice(format!(
                    "the connection had closed ({said}); connecting again"
                )));
            }
            if self.link.is_none() {
                let first = !self.taken_back;
                match self.connect(nonce, stop, events) {
                    Err(message) => return end(Reach::Unreachable, Some(message)),
                    Ok(Some(lost @ LostCwd::Gone(_))) if first => {
                        if !block.may_run_in_lost_cwd {
                            return HostEnd {
                                lost_cwd: Some(lost.clone()),
                                ..end(Reach::Refused, Some(refused_in(&lost)))
                            };
                        }
                        found = Some(lost);
                    }
                    Ok(_) => {}
                }
            }
            let (_, remote) = self.link.as_mut().expect("connected above");
            let result = match remote_text(block, remote) {
                Ok(text) => remote.run(
                    &text,
                    &block.watch,
                    block.timeout,
                    &|| stop.load(Ordering::SeqCst),
                    &mut |bytes| events(Event::Output(bytes.to_vec())),
                ),
                Err(message) => Ended::Unsent(message),
            };
            match result {
                Ended::Unsent(message) if tries < 2 => {
                    self.disconnect();
                    events(Event::Notice(format!(
                        "the session had closed ({message}); connecting again"
                    )));
                }
                other => break other,
            }
        };
        match ended {
            Ended::Block(mut block_end, seen) => {
                for value in seen {
                    events(Event::Secret(value));
                }
                if block.cwd.is_some()
                    && !block_end.session_restarted
                    && let Some((_, remote)) = self.link.as_mut()
                {
                    let back = remote.run(LostCwd::BACK, &[], None, &|| false, &mut |_| {});
                    // Where the next block runs is where `popd` went back
                    // to, or the directory it could not go back to is gone.
                    if let Ended::Block(back, _) = back {
                        block_end.lost_cwd = back.lost_cwd;
                    }
                }
                let mut e = end(Reach::Ran(block_end.clone()), None);
                e.duration = block_end.duration;
                e.lost_cwd = found;
                e
            }
            Ended::Lost(message) => {
                self.disconnect();
                end(Reach::Lost, Some(message))
            }
            Ended::Unsent(message) => {
                self.disconnect();
                end(Reach::Unreachable, Some(message))
            }
        }
    }
}

/// Why a block is not run on a resumed host first reached as it started,
/// whose shell was in a directory that is gone: nobody was asked about it.
fn refused_in(lost: &LostCwd) -> String {
    let dir = match lost {
        LostCwd::Gone(dir) | LostCwd::Replaced(dir) => dir,
    };
    format!(
        "it would run in {dir}, which no longer exists; the host was first reached as the \
         block started, after it was asked about, so nobody could check it there: start the \
         block with `cd` to where it should run"
    )
}

/// The text the host's shell sources for `block`: a program's code goes into
/// the host's private directory first; `cwd=` moves into a directory for
/// this block only.
fn remote_text(block: &Block, remote: &mut Remote) -> Result<String, String> {
    let mut text = match block.runner {
        Runner::Shell => block.script.to_string(),
        Runner::Program(program) => {
            remote.put("block.code", block.script.as_bytes())?;
            program_line(program, "\"$__rs_dir/block.code\"")
        }
    };
    if let Some(dir) = block.cwd {
        text = LostCwd::push(dir) + &text;
    }
    Ok(text)
}

/// A file name for host `name`: what is not a plain name character becomes
/// `_`, and a name so changed gets a short hash so two cannot meet.
pub fn safe_name(name: &str) -> String {
    let plain: String = name
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let plain = c.is_ascii_alphanumeric() || matches!(c, '_' | '-') || (c == '.' && i > 0);
            if plain { c } else { '_' }
        })
        .collect();
    if plain == name {
        plain
    } else {
        format!("{plain}-{}", &crate::source::sha256(name)[..8])
    }
}

#[cfg(test)]
mod tests {
    use super::safe_name;

    #[test]
    fn host_names_become_safe_file_names() {
        assert_eq!(safe_name("web-1.example.com"), "web-1.example.com");
        let odd = safe_name("deploy@10.0.0.1:22");
        assert!(odd.starts_with("deploy_10.0.0.1_22-"), "{odd}");
        assert_ne!(safe_name("a/b"), safe_name("a_b"));
        assert!(!safe_name("..").contains('/'));
        assert!(!safe_name("..").starts_with(".."));
    }
}
