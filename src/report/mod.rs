//! Run reports for machines: the run record as JSON, and as JUnit XML for CI
//! systems. Both are made from a `RunRecord` and nothing else.

mod json;
mod junit;

pub use json::{SCHEMA, json};
pub use junit::junit;

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
