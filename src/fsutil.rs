//! Files and directories only the user can read: every 0600 file and 0700
//! directory runsheet makes is made here.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::error::{Error, Result};

/// How a private file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// Created or emptied, for writing from the start.
    Truncate,
    /// Created if missing, written at its end (a journal).
    Append,
    /// Created if missing, its content kept (a lock file).
    Keep,
}

/// Opens `path` for writing, creating it readable by the user alone (0600).
/// A file that already exists keeps its mode.
pub fn open_private(path: &Path, how: Open) -> Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).mode(0o600);
    match how {
        Open::Truncate => options.write(true).truncate(true),
        Open::Append => options.append(true),
        Open::Keep => options.write(true).truncate(false),
    };
    options.open(path).map_err(|source| Error::Write {
        path: path.into(),
        source,
    })
}

/// Writes a file only the user can read.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    open_private(path, Open::Truncate)?
        .write_all(bytes)
        .map_err(|source| Error::Write {
            path: path.into(),
            source,
        })
}

/// Makes a private directory (0700), and its parents as needed.
pub fn private_dir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|source| Error::Write {
        path: path.into(),
        source,
    })?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(|source| Error::Write {
        path: path.into(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_are_0600_and_directories_0700() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("a/b");
        private_dir(&state).unwrap();
        assert_eq!(mode(&state), 0o700);
        let file = state.join("f");
        write_private(&file, b"one").unwrap();
        assert_eq!(mode(&file), 0o600);
        write_private(&file, b"2").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"2", "truncated");
        open_private(&file, Open::Append)
            .unwrap()
            .write_all(b"3")
            .unwrap();
        let mut kept = String::new();
        open_private(&file, Open::Keep).unwrap();
        File::open(&file)
            .unwrap()
            .read_to_string(&mut kept)
            .unwrap();
        assert_eq!(kept, "23", "appended, then kept");
        let journal = state.join("journal");
        open_private(&journal, Open::Append).unwrap();
        assert_eq!(mode(&journal), 0o600);
        let err = write_private(&dir.path().join("missing/f"), b"").unwrap_err();
        assert!(err.to_string().contains("missing/f"), "{err}");
    }
}
