//! `runsheet report`: a run's report (JSON or JUnit) from its transcript.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::{check_written, not_intact, run_of};
use crate::cli::ReportFormat;
use crate::error::Result;
use crate::record::{RunState, UNFINISHED, Unfolded};
use crate::report;
use crate::run::write_atomic;

/// Writes the report of the run whose transcript is at `path`; says on
/// standard error when the transcript is not the one its run wrote, or its
/// run has not ended (the report says both too).
pub fn report(path: &Path, format: ReportFormat, output: Option<&Path>) -> Result<i32> {
    if let Some(out) = output {
        check_written(out, "-o", &[path])?;
    }
    let (run, _) = run_of(path)?;
    if !run.intact {
        eprintln!(
            "warning: {}\n  (the report says `intact: false`; its JUnit has an error for it)",
            not_intact(path, &run.info.source)
        );
    }
    if run.info.state == RunState::Running {
        eprintln!(
            "warning: {}: the run has not ended (its state is `running`): it was copied while it \
             ran, or the runsheet running it was killed. The report gives it exit_code {UNFINISHED} \
             and its JUnit an error; `runsheet resume` carries a stopped run on",
            path.display()
        );
    }
    let intact = run.intact;
    // Written a step at a time, each step's record made as it is written.
    let write = |out: &mut dyn Write| {
        let unfolded = Unfolded::new(run.info, &run.book, run.outcomes);
        match format {
            ReportFormat::Json => report::write_json_unfolded(unfolded, intact, out),
            ReportFormat::Junit => report::write_junit_unfolded(unfolded, intact, out),
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
    // The process ends next: freeing the runbook's steps one by one is
    // time spent on nothing the operator sees.
    std::mem::forget((run.book, run.source));
    Ok(0)
}
