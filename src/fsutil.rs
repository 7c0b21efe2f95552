//! Files and directories only the user can read: every 0600 file and 0700
//! directory runsheet makes is made here.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
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

/// Opens `path` for writing, creating it readable by the user alone (0600),
/// never through a symbolic link. A file that already exists keeps its mode.
pub fn open_private(path: &Path, how: Open) -> Result<File> {
    let mut options = OpenOptions::new();
    options
        .create(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
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

/// Makes `dir` a private directory: creates it (0700) if it is not there —
/// `mkdir` fails rather than follow anything another user put there first —
/// and checks that what is there is a real directory of this user's that
/// nobody else can write; one that others could only read is tightened.
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
    let refuse = |why: &str| {
        Err(Error::usage(format!(
            "refusing to keep private files in {}: {why}; another user could read or change them. \
             Remove it, or set RUNSHEET_STATE_DIR to a directory of your own",
            dir.display()
        )))
    };
    if meta.file_type().is_symlink() {
        return refuse("it is a symbolic link");
    }
    if !meta.is_dir() {
        return refuse("it is not a directory");
    }
    if meta.uid() != uid {
        return refuse(&format!("it belongs to uid {}, not to you", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return refuse("others can write to it");
    }
    if meta.mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|source| {
            Error::Write {
                path: dir.into(),
                source,
            }
        })?;
    }
    Ok(())
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
        let state = dir.path().join("a");
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
        let link = state.join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(write_private(&link, b"x").is_err(), "wrote through a link");
        assert_eq!(fs::read(&file).unwrap(), b"23");
    }

    #[test]
    fn a_directory_others_can_write_or_that_is_a_link_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let fine = tmp.path().join("fine");
        private_dir(&fine).unwrap();
        // Ours and only readable by others: tightened, not refused.
        fs::set_permissions(&fine, fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&fine).unwrap();
        assert_eq!(mode(&fine), 0o700);
        let open = tmp.path().join("open");
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
        let e = private_dir(&open).unwrap_err().to_string();
        assert!(e.contains("others can write to it"), "{e}");
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&fine, &link).unwrap();
        let e = private_dir(&link).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        let file = tmp.path().join("file");
        fs::write(&file, "").unwrap();
        let e = private_dir(&file).unwrap_err().to_string();
        assert!(e.contains("not a directory"), "{e}");
    }
}
