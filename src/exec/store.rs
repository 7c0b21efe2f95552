//! The shell state after the last block, on disk: replaced in one step, and
//! only when it changed.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use rustix::fs::{CWD, RenameFlags, renameat_with};

use crate::fsutil::{Open, open_private};

/// `state` in the session's directory, always a whole snapshot (a process
/// killed while writing one leaves the one before), written through
/// `state.new`.
pub struct StateFile {
    state: PathBuf,
    new: PathBuf,
    /// Open on what is named `state.new` now, to be written next, and its
    /// length (`u64::MAX` when not known).
    spare: Option<(File, u64)>,
    /// Open on what is named `state` now, and its length.
    current: Option<(File, u64)>,
    /// What `state` holds, when this session wrote it.
    last: Vec<u8>,
}

impl StateFile {
    pub fn new(dir: PathBuf) -> StateFile {
        StateFile {
            state: dir.join("state"),
            new: dir.join("state.new"),
            spare: None,
            current: None,
            last: Vec::new(),
        }
    }

    /// What `state` holds, when this session wrote it.
    pub fn last(&self) -> &[u8] {
        &self.last
    }

    /// Makes `snapshot` the state; `Ok(false)` when it is the state already.
    /// A snapshot kept is taken out of `snapshot`, which is left holding
    /// the one before (a buffer for the next, with its room).
    ///
    /// The snapshot is written over the spare file in place and the two names
    /// are then swapped in one `rename`: no file is created, emptied or
    /// deleted per block, which on ext4 would also start writing the data
    /// out at once (its `auto_da_alloc`).
    pub fn store(&mut self, snapshot: &mut Vec<u8>) -> io::Result<bool> {
        if *snapshot == self.last {
            return Ok(false);
        }
        let (spare, spare_len) = match self.spare.take() {
            Some(spare) => spare,
            None => (
                open_private(&self.new, Open::Keep).map_err(io::Error::other)?,
                u64::MAX,
            ),
        };
        spare.write_all_at(snapshot, 0)?;
        let len = snapshot.len() as u64;
        // Cut only what is left of a longer one: on ext4 a truncate costs
        // even when it changes nothing.
        if len < spare_len {
            spare.set_len(len)?;
        }
        let swapped = self.current.is_some()
            && renameat_with(CWD, &self.new, CWD, &self.state, RenameFlags::EXCHANGE).is_ok();
        if swapped {
            self.spare = self.current.take();
        } else {
            // The first time, or a file system that cannot swap names.
            std::fs::rename(&self.new, &self.state)?;
        }
        self.current = Some((spare, len));
        std::mem::swap(&mut self.last, snapshot);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_each_snapshot_whole_and_unchanged_ones_are_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = StateFile::new(dir.path().to_path_buf());
        let read = || std::fs::read_to_string(dir.path().join("state")).unwrap();
        let store = |file: &mut StateFile, text: &[u8]| file.store(&mut text.to_vec());
        assert!(store(&mut file, b"first, a long one\n").unwrap());
        assert_eq!(read(), "first, a long one\n");
        assert!(store(&mut file, b"second\n").unwrap());
        assert_eq!(read(), "second\n");
        assert!(!store(&mut file, b"second\n").unwrap());
        assert!(store(&mut file, b"third, longer than the others\n").unwrap());
        assert_eq!(read(), "third, longer than the others\n");
        assert!(store(&mut file, b"4\n").unwrap());
        assert_eq!(read(), "4\n");
        // A new session (a resume) takes over the files a killed one left.
        let mut again = StateFile::new(dir.path().to_path_buf());
        assert!(store(&mut again, b"5\n").unwrap());
        assert!(store(&mut again, b"6\n").unwrap());
        assert_eq!(read(), "6\n");
    }
}
