//! runsheet: run the Markdown checklists teams already keep, and write a filled-in transcript.

pub mod diagnostic;
pub mod doc;
pub mod error;
pub mod source;

pub use error::{Error, Result};
pub mod exec;
pub mod transcript;
