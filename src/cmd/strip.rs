//! `runsheet strip`: the runbook a transcript was made from, byte for byte.

use std::path::Path;

use super::{check_written, print_out};
use crate::error::{Error, Result};
use crate::run::write_atomic;
use crate::source::Source;
use crate::transcript::{self, sha256};

/// Writes the source of the transcript at `path` to `output` or stdout;
/// refuses, unless `force`, when it is not the text the run recorded. With
/// `template`, the template a templated run was rendered from.
pub fn strip(path: &Path, output: Option<&Path>, force: bool, template: bool) -> Result<i32> {
    if let Some(out) = output {
        check_written(out, "-o", &[path])?;
    }
    let raw = Source::read(path)?;
    let read = transcript::read(path, &raw.text)?;
    if template {
        let text = template_source(path, read.info.as_ref(), force)?;
        match output {
            Some(out) => write_atomic(out, text.as_bytes())?,
            None => print_out(text.as_bytes()),
        }
        return Ok(0);
    }
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

/// The text of the template a templated run was rendered from, read from
/// its file; refused, unless `force`, when the file changed since the run.
fn template_source(
    path: &Path,
    info: Option<&crate::record::RunInfo>,
    force: bool,
) -> Result<String> {
    let Some(t) = info.and_then(|i| i.template.as_ref()) else {
        return Err(Error::Transcript {
            path: path.into(),
            message: "this is not the transcript of a templated run, so there is no template to give back; \
                      `runsheet strip` without --template gives its runbook"
                .into(),
        });
    };
    let text = Source::read(Path::new(&t.path))
        .map_err(|e| Error::Transcript {
            path: path.into(),
            message: format!("the run's template cannot be read: {e}"),
        })?
        .text;
    if sha256(&text) != t.sha256 {
        let what = format!(
            "{} is not the template this run was rendered from: it changed since (its sha256 differs)",
            t.path
        );
        if !force {
            return Err(Error::Transcript {
                path: path.into(),
                message: format!(
                    "{what}; nothing was written. `strip --template --force` gives it anyway"
                ),
            });
        }
        eprintln!("warning: {}: {what}", path.display());
    }
    Ok(text)
}
