//! The run record as JSON, with the version of its schema.

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
    let report = Report {
        schema: SCHEMA,
        exit_code: record
            .counts
            .exit_code(record.run.state == RunState::Interrupted),
        record,
    };
    let mut out = serde_json::to_string_pretty(&report).expect("a run record serialises");
    out.push('\n');
    out
}
