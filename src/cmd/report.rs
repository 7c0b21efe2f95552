//! `runsheet report`: a run's report (JSON or JUnit) from its transcript.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::record_of;
use crate::cli::ReportFormat;
use crate::error::Result;
use crate::report::{self, Format};
use crate::run::write_atomic;

/// Writes the report of the run whose transcript is at `path`.
pub fn report(path: &Path, format: ReportFormat, output: Option<&Path>) -> Result<i32> {
    let (record, _) = record_of(path)?;
    let format = format_of(format);
    match output {
        Some(out) => write_atomic(out, report::render(&record, format).as_bytes())?,
        None => {
            // Written as it is made, through a buffer: a closed pipe is not
            // an error (as for everything printed).
            let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let _ = report::write(&record, format, &mut out).and_then(|()| out.flush());
        }
    }
    // The process ends next: freeing ten thousand steps one by one is time
    // spent on nothing the operator sees.
    std::mem::forget(record);
    Ok(0)
}

fn format_of(format: ReportFormat) -> Format {
    match format {
        ReportFormat::Json => Format::Json,
        ReportFormat::Junit => Format::Junit,
    }
}
