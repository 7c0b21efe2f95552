//! Where a run keeps its private state (shell snapshots, the journal, the
//! lock), in a directory only its user can reach, and the lock that lets one
//! runner at a time write a transcript.

use std::fs::{self, DirBuilder, File};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil::{Open, open_private, private_dir, write_private};

/// The private directory of one run, locked while a runner uses it.
pub struct StateDir {
    pub path: PathBuf,
    /// The state is where a reboot loses it (no home directory to keep it in).
    pub volatile: bool,
    _lock: File,
}

/// The directory that holds every run's state, and whether a reboot loses it.
///
/// `$RUNSHEET_STATE_DIR`, else `$XDG_STATE_HOME/runsheet`, else
/// `~/.local/state/runsheet`: state must survive a reboot, since `resume`
/// after a crashed machine needs the journal. Only without a home directory
/// does it go to `$XDG_RUNTIME_DIR/runsheet` or `/tmp/runsheet-<uid>`.
pub fn root() -> (PathBuf, bool) {
    if let Some(dir) = std::env::var_os("RUNSHEET_STATE_DIR").filter(|d| !d.is_empty()) {
        return (PathBuf::from(dir), false);
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return (PathBuf::from(dir).join("runsheet"), false);
    }
    if let Some(home) = std::env::home_dir().filter(|h| !h.as_os_str().is_empty()) {
        return (home.join(".local/state/runsheet"), false);
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return (PathBuf::from(dir).join("runsheet"), true);
    }
    let uid = rustix::process::geteuid().as_raw();
    (PathBuf::from(format!("/tmp/runsheet-{uid}")), true)
}

/// Where the run `id` notes the sha256 of the transcript it last wrote
/// (see `StateDir::stamp`); `None` for an id runsheet does not write.
pub fn stamp_of(id: &str) -> Option<PathBuf> {
    let bad = id.is_empty() || id.contains(['/', '\0']) || id == "." || id == "..";
    (!bad).then(|| root().0.join(id).join(STAMP))
}

/// Where the run `id` keeps its journal (see `StateDir::journal`), found
/// without making its state directory; `None` for an id runsheet does not
/// write.
pub fn journal_of(id: &str) -> Option<PathBuf> {
    stamp_of(id).map(|stamp| stamp.with_file_name(JOURNAL))
}

/// The name of a run's journal in its state directory.
const JOURNAL: &str = "journal.jsonl";

/// The name of a run's transcript stamp in its state directory.
const STAMP: &str = "transcript.sha256";

impl StateDir {
    /// Opens (creating) the state directory of run `id`, and locks it so a
    /// second `run`/`resume` of the same transcript cannot start.
    pub fn open(id: &str) -> Result<StateDir> {
        if id.is_empty() || id.contains(['/', '\0']) || id == "." || id == ".." {
            return Err(Error::usage(format!(
                "`{id}` is not a run id runsheet writes; the transcript's run summary is damaged"
            )));
        }
        let (root, volatile) = root();
        private_root(&root)?;
        let path = root.join(id);
        private_dir(&path)?;
        let lock = lock_file(&path.join("lock"))?;
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
        // A remote host's session: its ssh lives while the block it was
        // given runs there.
        for host in fs::read_dir(path.join("hosts"))
            .into_iter()
            .flatten()
            .flatten()
        {
            if let Some(pid) = live_session(&host.path()) {
                return Err(Error::usage(format!(
                    "the ssh session to {} of the previous run (pid {pid}) is still open: the host \
                     still runs the block it was given; wait for it to end (or stop it) before \
                     resuming, or that block could run twice",
                    host.file_name().to_string_lossy()
                )));
            }
        }
        Ok(StateDir {
            path,
            volatile,
            _lock: lock,
        })
    }

    /// The journal file.
    pub fn journal(&self) -> PathBuf {
        self.path.join(JOURNAL)
    }

    /// The sha256 of the transcript the run last wrote.
    pub fn stamp(&self) -> PathBuf {
        self.path.join(STAMP)
    }

    /// Removes the directory: the run completed and nobody will resume it.
    pub fn remove(self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A transcript path one runner writes: held for the whole run.
pub struct OutputLock {
    path: PathBuf,
    file: File,
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Gone before it is unlocked: whoever opened it meanwhile sees on
        // locking that the path no longer names it, and tries again.
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Locks the transcript at `path` for this runner. Another live run (or
/// resume) writing the same file holds it already: that is an error, so two
/// runs never write one transcript in turn.
pub fn lock_output(path: &Path) -> Result<OutputLock> {
    let (root, _) = root();
    private_root(&root)?;
    let locks = root.join("locks");
    private_dir(&locks)?;
    let name = path.file_name().map(Path::new).unwrap_or(path);
    let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => p.canonicalize(),
        None => std::env::current_dir(),
    }
    .map_err(|source| Error::Read {
        path: path.into(),
        source,
    })?;
    let key = crate::source::sha256(&dir.join(name).to_string_lossy());
    let lock_path = locks.join(&key[..32]);
    loop {
        let file = lock_file(&lock_path)?;
        if file.try_lock().is_err() {
            return Err(Error::usage(format!(
                "another runsheet is writing {} right now; wait for it to finish, or choose another -o",
                path.display()
            )));
        }
        let same = match (file.metadata(), fs::symlink_metadata(&lock_path)) {
            (Ok(held), Ok(named)) => held.ino() == named.ino() && held.dev() == named.dev(),
            _ => false,
        };
        if same {
            return Ok(OutputLock {
                path: lock_path,
                file,
            });
        }
    }
}

/// Opens (creating, 0600) a lock file, never through a symlink.
fn lock_file(path: &Path) -> Result<File> {
    open_private(path, Open::Keep)
}

/// Makes sure the root of all runs' state is a directory of this user's
/// that nobody else can write, creating it (0700) with its parents.
fn private_root(root: &Path) -> Result<()> {
    if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.exists()
    {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|source| Error::Write {
                path: parent.into(),
                source,
            })?;
    }
    private_dir(root)
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
