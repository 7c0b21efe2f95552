//! `runsheet render`: a templated runbook rendered for an environment.

use std::path::Path;

use super::{check_written, print_out};
use crate::config::Config;
use crate::error::Result;
use crate::run::write_atomic;
use crate::secrets::Secrets;
use crate::source::Source;
use crate::template::{self, Inputs};

/// Prints (or writes to `output`) `file` rendered with `inputs`; a document
/// that is not a template comes out as it is, byte for byte.
pub fn render(
    file: &Path,
    output: Option<&Path>,
    inputs: &Inputs,
    secret_names: &[String],
    show_secrets: bool,
) -> Result<i32> {
    if let Some(out) = output {
        check_written(out, "-o", &[file])?;
    }
    let config = Config::load(file)?;
    let source = Source::read(file)?;
    let names: Vec<String> = secret_names
        .iter()
        .chain(&config.secrets.names)
        .cloned()
        .collect();
    let rendered = template::render(
        &source,
        inputs,
        &Secrets::new(&names),
        &config.runners,
        None,
        false,
    )?;
    let text = match &rendered {
        Some(r) if show_secrets => &r.text,
        Some(r) => r.masked(),
        None => &source.text,
    };
    if let Some(r) = &rendered {
        for note in &r.notes {
            eprintln!("{note}");
        }
        if !show_secrets && r.masked.is_some() {
            eprintln!("note: secret values are shown as •••; --show-secrets writes them");
        }
    }
    match output {
        Some(out) => write_atomic(out, text.as_bytes())?,
        None => print_out(text.as_bytes()),
    }
    Ok(0)
}
