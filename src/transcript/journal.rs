//! The append-only journal of outcomes beside the state file: one JSON line per
//! step, written as each step ends, so a killed run loses at most the step in flight.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil::{Open, open_private};
use crate::record::Outcome;

/// An open journal.
pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Opens (creating, 0600) the journal at `path` for appending.
    pub fn open(path: &Path) -> Result<Journal> {
        let file = open_private(path, Open::Append)?;
        Ok(Journal {
            path: path.into(),
            file,
        })
    }

    /// Appends one outcome. A single `write` of a whole line: a `kill -9` after
    /// it returns cannot lose it.
    pub fn append(&mut self, outcome: &Outcome) -> Result<()> {
        let mut line = serde_json::to_string(outcome).expect("outcomes always serialize");
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .map_err(|source| Error::Write {
                path: self.path.clone(),
                source,
            })
    }

    /// The same journal through another handle, for a thread to force to disk.
    pub fn try_clone(&self) -> Result<Journal> {
        let file = self.file.try_clone().map_err(|source| Error::Write {
            path: self.path.clone(),
            source,
        })?;
        Ok(Journal {
            path: self.path.clone(),
            file,
        })
    }

    /// Forces what was appended to disk (at checkpoints, not every step).
    pub fn sync(&self) -> Result<()> {
        self.file.sync_data().map_err(|source| Error::Write {
            path: self.path.clone(),
            source,
        })
    }
}

/// Replays a journal into `outcomes` (those of the transcript, on resume):
/// the last outcome of each step wins, the journal's over the transcript's. A
/// torn last line (a crash mid-write) is ignored.
pub fn replay_into(path: &Path, outcomes: &mut HashMap<String, Outcome>) {
    // Read whole: a line of the journal is one outcome, and the steps it
    // names are mostly in `outcomes` already, so the map does not grow.
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Ok(o) = serde_json::from_slice::<Outcome>(line) {
            outcomes.insert(o.id.clone(), o);
        }
    }
}
