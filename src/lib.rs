//! runsheet: run the Markdown checklists teams already keep, and write a filled-in transcript.

pub mod cli;
pub mod cmd;
pub mod config;
pub mod diagnostic;
pub mod diff;
pub mod doc;
pub mod error;
pub mod exec;
pub mod fsutil;
pub mod guard;
pub mod history;
pub mod linemap;
pub mod operator;
pub mod plan;
pub mod record;
pub mod report;
pub mod run;
pub mod screen;
pub mod secrets;
pub mod signals;
pub mod source;
pub mod state;
pub mod template;
pub mod transcript;
pub mod yaml;

pub use error::{Error, Result};
