//! `runsheet plan`: the steps runsheet finds, with warnings; runs nothing.

use std::path::Path;

use super::{load, print_out};
use crate::cli::Format;
use crate::config::Config;
use crate::doc;
use crate::error::Result;
use crate::template::Inputs;

/// Prints the plan of `file` (a template rendered with `inputs`); 0 when
/// clean, 1 when it found errors.
pub fn plan(file: &Path, format: Format, answers_template: bool, inputs: &Inputs) -> Result<i32> {
    // `plan` answers 0 or 1: a document it cannot read is an error found.
    let config = match Config::load(file) {
        Ok(config) => config,
        Err(e) => {
            e.report();
            return Ok(1);
        }
    };
    let loaded = match load(file, inputs, &config, &[]) {
        Ok(loaded) => loaded,
        Err(e) => {
            e.report();
            return Ok(1);
        }
    };
    let source = loaded.source;
    let mut book = doc::parse_with(&source, &config.runners);
    doc::configure(&mut book, &config.contingency);
    doc::decide::classify(&mut book, &config.choices);
    if let Some(r) = &loaded.rendered {
        // Where `|raw` wrote a value unquoted: listed with the warnings.
        book.diagnostics.extend(r.notes.iter().cloned());
    }
    let text = if answers_template {
        crate::operator::answers::template(&book)
    } else {
        match format {
            Format::Json => crate::plan::json(&book),
            Format::Text => crate::plan::text(&source.display_path(), &book),
        }
    };
    print_out(text.as_bytes());
    Ok(if book.has_errors() { 1 } else { 0 })
}
