//! Where a run keeps its private state (shell snapshots, the journal, the
//! lock), in a directory only its user can reach, and the lock that lets one
//! runner at a time write a transcript.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::exec::session::write_private;

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
        Ok(StateDir {
            path,
            volatile,
            _lock: lock,
        })
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
    let key = crate::transcript::sha256(&dir.join(name).to_string_lossy());
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
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .map_err(|source| Error::Write {
            path: path.into(),
            source,
        })
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

/// Creates `dir` (0700) if it is not there — `mkdir` fails rather than
/// follow anything another user put there first — and checks that what is
/// there is a real directory of this user's that nobody else can write.
pub fn private_dir(dir: &Path) -> Result<()> {
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(source) => {
            return Err(Error::Write {
                path: dir.into(),
                source,
            });
        }
    }
    let meta = fs::symlink_metadata(dir).map_err(|source| Error::Read {
        path: dir.into(),
        source,
    })?;
    let uid = rustix::process::geteuid().as_raw();
    let unsafe_dir = |why: &str| {
        Err(Error::usage(format!(
            "refusing to keep a run's state in {}: {why}; another user could read or change it. \
             Remove it, or set RUNSHEET_STATE_DIR to a directory of your own",
            dir.display()
        )))
    };
    if meta.file_type().is_symlink() {
        return unsafe_dir("it is a symbolic link");
    }
    if !meta.is_dir() {
        return unsafe_dir("it is not a directory");
    }
    if meta.uid() != uid {
        return unsafe_dir(&format!("it belongs to uid {}, not to you", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return unsafe_dir("others can write to it");
    }
    if meta.mode() & 0o077 != 0 {
        // Ours, and only readable by others: tighten it.
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|source| {
            Error::Write {
                path: dir.into(),
                source,
            }
        })?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn a_state_directory_others_can_write_or_that_is_a_link_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let fine = tmp.path().join("fine");
        private_dir(&fine).unwrap();
        assert_eq!(
            fs::metadata(&fine).unwrap().permissions().mode() & 0o777,
            0o700
        );
        // Ours and only readable by others: tightened, not refused.
        fs::set_permissions(&fine, fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&fine).unwrap();
        assert_eq!(
            fs::metadata(&fine).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let open = tmp.path().join("open");
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
        let e = private_dir(&open).unwrap_err().to_string();
        assert!(e.contains("others can write to it"), "{e}");
        let link = tmp.path().join("link");
        symlink(&fine, &link).unwrap();
        let e = private_dir(&link).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        let file = tmp.path().join("file");
        fs::write(&file, "").unwrap();
        let e = private_dir(&file).unwrap_err().to_string();
        assert!(e.contains("not a directory"), "{e}");
    }
}
