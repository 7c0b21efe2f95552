//! Run reports for machines: the run record as JSON, and as JUnit XML for CI
//! systems. Both are made from a `RunRecord` and nothing else.

mod json;
mod junit;

pub use json::{SCHEMA, json, write_json, write_json_unfolded};
pub use junit::{junit, write_junit, write_junit_unfolded};

use std::io::{self, Write};

use crate::record::RunRecord;

/// What a report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Junit,
}

/// `record` written as `format`.
pub fn render(record: &RunRecord, format: Format) -> String {
    match format {
        Format::Json => json(record),
        Format::Junit => junit(record),
    }
}

/// `render`, written to `out` as it is made.
pub fn write(record: &RunRecord, format: Format, out: impl Write) -> io::Result<()> {
    match format {
        Format::Json => write_json(record, out),
        Format::Junit => write_junit(record, out),
    }
}
