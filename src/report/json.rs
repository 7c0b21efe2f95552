//! The run record as JSON, with the version of its schema.

use std::io::{self, Write};

use serde::Serialize;

use crate::record::{RunRecord, RunState};

/// The version of the report's JSON; documented in the book.
pub const SCHEMA: &str = "runsheet-report/1";

#[derive(Serialize)]
struct Report<'a> {
    schema: &'static str,
    /// The exit code `run` or `resume` ended (or would end) with.
    exit_code: i32,
    #[serde(flatten)]
    record: &'a RunRecord,
}

/// `record` as pretty-printed JSON, ending in a line feed.
pub fn json(record: &RunRecord) -> String {
    let mut out = Vec::new();
    write_json(record, &mut out).expect("a run record serialises");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// `json`, written to `out` as it is made: ten thousand steps need not be
/// held as text too.
pub fn write_json(record: &RunRecord, mut out: impl Write) -> io::Result<()> {
    let report = Report {
        schema: SCHEMA,
        exit_code: record
            .counts
            .exit_code(record.run.state == RunState::Interrupted),
        record,
    };
    serde_json::to_writer_pretty(&mut out, &report)?;
    out.write_all(b"\n")
}
