//! The library's one error type: what stops runsheet itself from going on.

use std::io::{self, Write as _};
use std::path::PathBuf;

use crate::diagnostic::Diagnostic;

/// Something runsheet cannot go on from. A failing command is not one of these:
/// it is an outcome recorded in the transcript.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{} is a directory; give the path of a Markdown file", path.display())]
    IsDirectory { path: PathBuf },
    #[error(
        "{} is not a regular file (a device, a pipe or a socket); give the path of a Markdown file",
        path.display()
    )]
    NotAFile { path: PathBuf },
    #[error(
        "{} is {len} bytes, more than the {max} bytes runsheet reads; a runbook that large is not one",
        path.display()
    )]
    TooLarge { path: PathBuf, len: u64, max: u64 },
    #[error("{}:{line}: this is binary data (a NUL byte), not a Markdown document", path.display())]
    Binary { path: PathBuf, line: usize },
    #[error(
        "{}:{line}:{column}: not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8 and run again",
        path.display()
    )]
    Encoding {
        path: PathBuf,
        line: usize,
        column: usize,
        byte: u8,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("{message}")]
    Usage { message: String },
    #[error("{}", render_all(.0))]
    Document(Vec<Diagnostic>),
    #[error("{}: {message}", path.display())]
    Transcript { path: PathBuf, message: String },
    /// A transcript whose markers do not add up, at a line.
    #[error("{}:{line}: {message}", path.display())]
    Damaged {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// One of runsheet's own page templates failed to render.
    #[error("cannot make the page: {0}")]
    Page(String),
    #[error("the shell session failed: {0}")]
    Session(String),
    #[error("interrupted")]
    Interrupted,
    /// Steps ran, then the transcript could not be written (a full disk):
    /// the journal holds what the transcript misses.
    #[error(
        "cannot write the transcript {}: {source}\n  \
         The run went on before this: {recorded} step record{s} {were} kept in its journal, {}.\n  \
         The transcript there is the last one saved, which misses what came after.\n  \
         Once it can be written (room on the disk, its directory there), `runsheet resume {}`\n  \
         writes it again from the journal.",
        path.display(),
        journal.display(),
        path.display(),
        s = if *recorded == 1 { "" } else { "s" },
        were = if *recorded == 1 { "is" } else { "are" },
    )]
    Unsaved {
        path: PathBuf,
        source: io::Error,
        journal: PathBuf,
        recorded: usize,
    },
}

/// The exit code of a run whose steps ran but whose transcript could not be
/// written in full.
pub const UNSAVED: i32 = 5;

fn render_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    /// The process exit code this error ends runsheet with: 130 when
    /// interrupted, 5 when steps ran but the transcript could not be
    /// written, else 2 (usage, document, I/O: nothing ran).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Interrupted => 130,
            Error::Unsaved { .. } => UNSAVED,
            _ => 2,
        }
    }

    /// Prints the error for the user: diagnostics as they render (they
    /// carry their own `error:` and location), anything else after `error:`.
    pub fn report(&self) {
        match self {
            Error::Interrupted => {}
            // Standard error may be a terminal that hung up: not a panic.
            Error::Document(diagnostics) => {
                for d in diagnostics {
                    let _ = writeln!(std::io::stderr(), "{d}");
                }
            }
            e => {
                let _ = writeln!(std::io::stderr(), "error: {e}");
            }
        }
    }

    /// Shorthand for a usage error with a message the user can act on.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
