//! Comparing two runs: their steps aligned, noise masked, the changes ranked
//! and shown as text, Markdown or JSON.

pub mod align;
mod attempts;
mod compare;
mod hosts;
pub mod markdown;
mod mask;
mod model;
mod render;
mod warnings;

pub use attempts::tries;
pub use compare::compare;
pub use hosts::HostState;
pub use mask::Mask;
pub use model::{Category, Change, Comparison, Side, State, StepDiff, StepRef};
pub use render::{Format, Paint, describe, render};

/// How two runs are compared.
#[derive(Debug, Clone)]
pub struct Options {
    pub mask: Mask,
    /// A step is slower when it took at least this many times as long...
    pub slower: f64,
    /// ... and at least this many milliseconds longer.
    pub slower_by_ms: u64,
    /// Times in what ran are masked too: set when both runs were rendered
    /// from a template, whose `now()` writes the time of the run into it.
    pub times_in_commands: bool,
}

impl Options {
    /// The default threshold: twice as long, and at least a second longer.
    pub const SLOWER: f64 = 2.0;
    pub const SLOWER_BY_MS: u64 = 1_000;

    /// Whether a step that took `old_ms` and now `new_ms` got slower.
    pub fn slower(&self, old_ms: u64, new_ms: u64) -> bool {
        new_ms >= old_ms.saturating_add(self.slower_by_ms)
            && new_ms as f64 >= old_ms as f64 * self.slower
    }
}

#[cfg(test)]
impl Options {
    /// The defaults, with no `--ignore` patterns.
    pub(crate) fn plain() -> Options {
        Options {
            mask: Mask::new([]).expect("no patterns"),
            slower: Options::SLOWER,
            slower_by_ms: Options::SLOWER_BY_MS,
            times_in_commands: false,
        }
    }
}
