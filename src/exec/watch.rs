//! The secret watcher's report: values a watched block's secret-named
//! variables took, as the session appends them (NUL-terminated) to a file.

use std::path::PathBuf;

/// The values reported so far for the block that runs now.
pub struct Seen {
    path: PathBuf,
    watching: bool,
    /// Bytes of the file already taken.
    taken: usize,
}

impl Seen {
    /// Reads the report at `path`, if the block is `watching` anything.
    pub fn new(path: PathBuf, watching: bool) -> Seen {
        Seen {
            path,
            watching,
            taken: 0,
        }
    }

    /// Values reported since the last call.
    pub fn new_values(&mut self) -> Vec<String> {
        if !self.watching {
            return Vec::new();
        }
        let grown = std::fs::metadata(&self.path).is_ok_and(|m| m.len() as usize > self.taken);
        let Some(bytes) = grown.then(|| std::fs::read(&self.path).ok()).flatten() else {
            return Vec::new();
        };
        let Some(end) = bytes
            .iter()
            .rposition(|&b| b == 0)
            .filter(|&e| e >= self.taken)
        else {
            return Vec::new();
        };
        let fresh: Vec<String> = bytes[self.taken..end]
            .split(|&b| b == 0)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        self.taken = end + 1;
        fresh
    }

    /// The values not taken yet; the file goes, as it holds them in the clear.
    pub fn finish(mut self) -> Vec<String> {
        let rest = self.new_values();
        if self.watching {
            let _ = std::fs::remove_file(&self.path);
        }
        rest
    }
}
