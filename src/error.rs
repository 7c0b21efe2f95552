//! The library's one error type: what stops runsheet itself from going on.

use std::io;
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
}

fn render_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    /// The process exit code this error ends runsheet with: 130 when
    /// interrupted, else 2 (usage, document, I/O).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Interrupted => 130,
            _ => 2,
        }
    }

    /// Prints the error for the user: diagnostics as they render (they
    /// carry their own `error:` and location), anything else after `error:`.
    pub fn report(&self) {
        match self {
            Error::Interrupted => {}
            Error::Document(diagnostics) => {
                for d in diagnostics {
                    eprintln!("{d}");
                }
            }
            e => eprintln!("error: {e}"),
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
