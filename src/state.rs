//! Where a run keeps its private state: shell snapshots, the journal, the lock.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil::{Open, open_private, private_dir, write_private};

/// The private directory of one run, locked while a runner uses it.
pub struct StateDir {
    pub path: PathBuf,
    _lock: File,
}

/// The directory that holds every run's state.
pub fn root() -> PathBuf {
    if let Some(dir) = std::env::var_os("RUNSHEET_STATE_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME") {
        return PathBuf::from(dir).join("runsheet");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/state/runsheet"),
        None => std::env::temp_dir().join("runsheet-state"),
    }
}

impl StateDir {
    /// Opens (creating) the state directory of run `id`, and locks it so a
    /// second `run`/`resume` of the same transcript cannot start.
    pub fn open(id: &str) -> Result<StateDir> {
        let path = root().join(id);
        private_dir(&path)?;
        let lock_path = path.join("lock");
        let lock = open_private(&lock_path, Open::Keep)?;
        if lock.try_lock().is_err() {
            return Err(Error::usage(format!(
                "another runsheet is running this transcript (its state in {} is locked); wait for it to finish",
                path.display()
            )));
        }
        if let Some(pid) = live_session(&path) {
            return Err(Error::usage(format!(
                "the shell of the previous run (pid {pid}) is still running the block it was given; \
                 wait for it to end (or stop it) before resuming, or that block could run twice"
            )));
        }
        Ok(StateDir { path, _lock: lock })
    }

    /// The journal file.
    pub fn journal(&self) -> PathBuf {
        self.path.join("journal.jsonl")
    }

    /// Removes the directory: the run completed and nobody will resume it.
    pub fn remove(self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Records the pid of the shell of the run whose state is in `dir`, so that
/// a later `resume` can tell whether it still lives.
pub fn record_session(dir: &Path, pid: u32) {
    let _ = write_private(&dir.join("session.pid"), pid.to_string().as_bytes());
}

/// The pid of an earlier session's shell that is still alive, if any.
fn live_session(dir: &Path) -> Option<u32> {
    let pid: u32 = fs::read_to_string(dir.join("session.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let needle = dir.as_os_str().as_encoded_bytes();
    cmdline
        .windows(needle.len())
        .any(|w| w == needle)
        .then_some(pid)
}
