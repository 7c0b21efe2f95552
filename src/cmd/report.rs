//! `runsheet report`: a run's report (JSON or JUnit) from its transcript.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::run_of;
use crate::cli::ReportFormat;
use crate::error::Result;
use crate::record::{RunRecord, Unfolded};
use crate::report;
use crate::run::write_atomic;

/// Writes the report of the run whose transcript is at `path`.
pub fn report(path: &Path, format: ReportFormat, output: Option<&Path>) -> Result<i32> {
    let (run, _) = run_of(path)?;
    // The JSON is written a step at a time as each step's record is made;
    // JUnit counts the failures first, so it needs the whole record.
    let write = |out: &mut dyn Write| match format {
        ReportFormat::Json => {
            let unfolded = Unfolded::new(run.info, &run.book, run.outcomes);
            report::write_json_unfolded(unfolded, out)
        }
        ReportFormat::Junit => {
            let record = RunRecord::of_outcomes(run.info, &run.book, run.outcomes);
            let written = report::write_junit(&record, out);
            // The process ends next: freeing ten thousand steps one by one
            // is time spent on nothing the operator sees.
            std::mem::forget(record);
            written
        }
    };
    match output {
        Some(out) => {
            let mut text = Vec::new();
            write(&mut text).expect("a report is written to memory");
            write_atomic(out, &text)?;
        }
        None => {
            // Written as it is made, through a buffer: a closed pipe is not
            // an error (as for everything printed).
            let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let _ = write(&mut out).and_then(|()| out.flush());
        }
    }
    // Nor the runbook's steps and text.
    std::mem::forget((run.book, run.source));
    Ok(0)
}
