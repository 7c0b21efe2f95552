//! The document: parsing Markdown into steps, and the model they live in.

pub mod attrs;
pub mod decide;
pub mod examples;
mod fence;
pub mod fenced;
pub mod fields;
mod find;
pub(crate) use find::first_line;
mod form;
mod hints;
mod lint;
pub mod markdown;
pub mod model;
pub mod mojibake;
mod name;
pub mod parse;
mod pieces;
pub mod placeholders;
pub mod prompts;
pub mod question;
pub mod sections;
pub mod target;
mod tidy;
pub mod waits;
mod walk;

pub use model::{Command, Fence, Runbook, Runner, Span, Step, StepKind, Task};
pub use parse::{Depth, parse, parse_to, parse_with, warm_up};
pub use pieces::{HalfEvents, in_halves};
pub use sections::{Contingency, SectionRules, configure};
