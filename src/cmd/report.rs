//! `runsheet report`: a run's report (JSON or JUnit) from its transcript.

use std::path::Path;

use super::{print_out, record_of};
use crate::cli::ReportFormat;
use crate::error::Result;
use crate::report::{self, Format};
use crate::run::write_atomic;

/// Writes the report of the run whose transcript is at `path`.
pub fn report(path: &Path, format: ReportFormat, output: Option<&Path>) -> Result<i32> {
    let (record, _) = record_of(path)?;
    let text = report::render(&record, format_of(format));
    match output {
        Some(out) => write_atomic(out, text.as_bytes())?,
        None => print_out(text.as_bytes()),
    }
    // The process ends next: freeing ten thousand steps one by one is time
    // spent on nothing the operator sees.
    std::mem::forget((record, text));
    Ok(0)
}

fn format_of(format: ReportFormat) -> Format {
    match format {
        ReportFormat::Json => Format::Json,
        ReportFormat::Junit => Format::Junit,
    }
}
