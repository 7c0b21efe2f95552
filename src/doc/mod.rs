//! The document: parsing Markdown into steps, and the model they live in.

pub mod attrs;
pub mod fields;
pub mod model;
pub mod mojibake;
pub mod parse;

pub use model::{Command, Fence, Runbook, Runner, Span, Step, StepKind, Task};
pub use parse::{parse, parse_with};
