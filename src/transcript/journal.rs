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
/// torn last line (a crash mid-write) is ignored. Gives the outcome each
/// step it changed had before (`None`: none).
pub fn replay_into(
    path: &Path,
    outcomes: &mut HashMap<String, Outcome>,
) -> HashMap<String, Option<Outcome>> {
    let mut replaced = HashMap::new();
    // Read whole: a line of the journal is one outcome, and the steps it
    // names are mostly in `outcomes` already, so the map does not grow.
    let Ok(bytes) = std::fs::read(path) else {
        return replaced;
    };
    let mut known = Vec::new();
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if already_read(line, outcomes, &mut known) {
            continue;
        }
        if let Ok(o) = serde_json::from_slice::<Outcome>(line) {
            let id = o.id.clone();
            let was = outcomes.insert(id.clone(), o);
            replaced.entry(id).or_insert(was);
        }
    }
    replaced
}

/// Whether `line` is, byte for byte, the journal line of the outcome
/// `outcomes` already holds for its step: reading it would put back the
/// same outcome. Most lines are, on resume (the transcript was saved after
/// them), and writing an outcome costs a fraction of reading one. `buf`
/// is reused from line to line.
fn already_read(line: &[u8], outcomes: &HashMap<String, Outcome>, buf: &mut Vec<u8>) -> bool {
    // `append` writes the id first; one with anything to escape is read.
    let Some(rest) = line.strip_prefix(b"{\"id\":\"") else {
        return false;
    };
    let Some(end) = rest.iter().position(|&b| b == b'"' || b == b'\\') else {
        return false;
    };
    if rest[end] != b'"' {
        return false;
    }
    let Some(held) = std::str::from_utf8(&rest[..end])
        .ok()
        .and_then(|id| outcomes.get(id))
    else {
        return false;
    };
    buf.clear();
    serde_json::to_writer(&mut *buf, held).is_ok() && buf.as_slice() == line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Reason, Status};

    fn outcome(id: &str, output: &str) -> Outcome {
        let mut o = Outcome::stamped(id.into(), Status::Done, "2026-01-02T03:04:05Z".into());
        o.exit = Some(0);
        o.output = output.into();
        o.reasons.push(Reason::Verified);
        o
    }

    #[test]
    fn journal_lines_win_over_the_transcript_and_same_lines_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut journal = Journal::open(&path).unwrap();
        let same = outcome("s1", "one\n");
        let newer = outcome("s2", "two, again\n");
        let quoted = outcome("a \"quoted\" name", "three\n");
        let fresh = outcome("s4", "four\n");
        for o in [&same, &newer, &quoted, &fresh] {
            journal.append(o).unwrap();
        }
        // A torn last line is left out.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"id\":\"s5\",\"sta")
            .unwrap();
        let mut outcomes: HashMap<String, Outcome> = [
            same.clone(),
            outcome("s2", "two\n"),
            outcome("a \"quoted\" name", "3\n"),
        ]
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
        replay_into(&path, &mut outcomes);
        assert_eq!(outcomes.len(), 4);
        assert_eq!(outcomes["s1"], same);
        assert_eq!(outcomes["s2"], newer);
        assert_eq!(outcomes["a \"quoted\" name"], quoted);
        assert_eq!(outcomes["s4"], fresh);
    }

    #[test]
    fn only_the_line_of_the_outcome_held_counts_as_read() {
        let held = outcome("s1", "out\n");
        let outcomes: HashMap<String, Outcome> = [(held.id.clone(), held.clone())].into();
        let mut buf = Vec::new();
        let line = serde_json::to_vec(&held).unwrap();
        assert!(already_read(&line, &outcomes, &mut buf));
        let other = serde_json::to_vec(&outcome("s1", "other\n")).unwrap();
        assert!(!already_read(&other, &outcomes, &mut buf));
        let unknown = serde_json::to_vec(&outcome("s2", "out\n")).unwrap();
        assert!(!already_read(&unknown, &outcomes, &mut buf));
    }
}
