//! `runsheet strip`: the runbook a transcript was made from, byte for byte.

use std::path::Path;

use super::print_out;
use crate::error::{Error, Result};
use crate::run::write_atomic;
use crate::source::Source;
use crate::transcript::{self, sha256};

/// Writes the source of the transcript at `path` to `output` or stdout;
/// refuses, unless `force`, when it is not the text the run recorded.
pub fn strip(path: &Path, output: Option<&Path>, force: bool) -> Result<i32> {
    let raw = Source::read(path)?;
    let read = transcript::read(path, &raw.text)?;
    if let Some(info) = &read.info
        && sha256(&read.source) != info.sha256
    {
        let what = "what is left once runsheet's markers are taken out is not the document the run \
                    recorded (its sha256 differs): the transcript was edited or its markers damaged";
        if !force {
            return Err(Error::Transcript {
                path: path.into(),
                message: format!(
                    "{what}; nothing was written. `strip --force` gives the text anyway"
                ),
            });
        }
        eprintln!("warning: {}: {what}", path.display());
    }
    match output {
        Some(out) => write_atomic(out, read.source.as_bytes())?,
        None => print_out(read.source.as_bytes()),
    }
    Ok(0)
}
