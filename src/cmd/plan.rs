//! `runsheet plan`: the steps runsheet finds, with warnings; runs nothing.

use std::path::Path;

use super::{load, print_out};
use crate::cli::Format;
use crate::config::Config;
use crate::doc;
use crate::error::Result;

/// Prints the plan of `file`; 0 when clean, 1 when it found errors.
pub fn plan(file: &Path, format: Format, answers_template: bool) -> Result<i32> {
    // `plan` answers 0 or 1: a document it cannot read is an error found.
    let (source, _) = match load(file) {
        Ok(loaded) => loaded,
        Err(e) => {
            e.report();
            return Ok(1);
        }
    };
    let config = match Config::load(file) {
        Ok(config) => config,
        Err(e) => {
            e.report();
            return Ok(1);
        }
    };
    let book = doc::parse_with(&source, &config.runners);
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
