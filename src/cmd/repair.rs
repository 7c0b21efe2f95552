//! `runsheet repair`: undo mojibake (UTF-8 once read as Mac Roman or cp1252).

use std::path::Path;

use crate::doc;
use crate::error::Result;
use crate::run::write_atomic;
use crate::source::Source;

/// Repairs `path` in place, or into `output`.
pub fn repair(path: &Path, output: Option<&Path>) -> Result<i32> {
    let source = Source::read(path)?;
    let Some(found) = doc::mojibake::detect(&source.text) else {
        eprintln!("{}: no mojibake found; nothing to repair.", path.display());
        return Ok(0);
    };
    let repaired = doc::mojibake::repair(&source.text);
    let target = output.unwrap_or(path);
    write_atomic(target, repaired.as_bytes())?;
    eprintln!(
        "{}: repaired {} places that had been read as {} (e.g. `{}` → `{}`); wrote {}",
        path.display(),
        found.count,
        found.kind,
        found.example.0,
        found.example.1,
        target.display()
    );
    Ok(0)
}
