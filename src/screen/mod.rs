//! What the operator sees between prompts: colours, how much is said, the
//! line that gives each step's result, and the closing summary of a run.

mod result;
pub mod status;

pub use result::{duration, last_time, result_line, summary, title};

use std::sync::atomic::{AtomicU8, Ordering};

use console::Style;

/// When to colour, as `--color` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// How much runsheet says while it runs (`-q`, `-v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Failures, prompts and the closing summary only.
    Quiet,
    Normal,
    /// Also every step not confirmed, as it happens, and more frequent
    /// "still running" lines.
    Verbose,
}

static VERBOSITY: AtomicU8 = AtomicU8::new(1);

/// Sets how much runsheet says, for the whole process.
/// `3 tasks`, `1 task`.
pub fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

pub fn set_verbosity(level: Verbosity) {
    VERBOSITY.store(level as u8, Ordering::Relaxed);
}

/// How much runsheet says.
pub fn verbosity() -> Verbosity {
    match VERBOSITY.load(Ordering::Relaxed) {
        0 => Verbosity::Quiet,
        1 => Verbosity::Normal,
        _ => Verbosity::Verbose,
    }
}

/// Whether to colour what goes to a stream that `terminal` says is (or is
/// not) a terminal: `--color always` and `never` decide; else `NO_COLOR`
/// (set, not empty) turns colour off, `CLICOLOR_FORCE` (set, not `0`) turns
/// it on, and otherwise a terminal that is not `dumb` gets colour.
pub fn decide(choice: ColorChoice, terminal: bool, env: impl Fn(&str) -> Option<String>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                false
            } else if env("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                true
            } else {
                terminal && env("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// Sets colour on or off for what runsheet prints, by `choice` and the
/// environment (see `decide`).
pub fn set_colour(choice: ColorChoice) {
    use std::io::IsTerminal as _;
    let env = |k: &str| std::env::var(k).ok();
    console::set_colors_enabled(decide(choice, std::io::stdout().is_terminal(), env));
    console::set_colors_enabled_stderr(decide(choice, std::io::stderr().is_terminal(), env));
}

/// Whether colour is on for standard output (`diff` prints there).
pub fn colour_on_stdout() -> bool {
    console::colors_enabled()
}

/// `text` in green on standard error, when colour is on.
pub fn green(text: &str) -> String {
    Style::new().green().for_stderr().apply_to(text).to_string()
}

/// `text` in red on standard error, when colour is on.
pub fn red(text: &str) -> String {
    Style::new().red().for_stderr().apply_to(text).to_string()
}

/// `text` in yellow on standard error, when colour is on.
pub fn yellow(text: &str) -> String {
    Style::new()
        .yellow()
        .for_stderr()
        .apply_to(text)
        .to_string()
}

/// `text` in bold red on standard error: something that stopped or failed.
pub fn alarm(text: &str) -> String {
    Style::new()
        .red()
        .bold()
        .for_stderr()
        .apply_to(text)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::{ColorChoice, decide};

    #[test]
    fn colour_follows_the_flag_then_no_color_then_clicolor_force_then_the_terminal() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(decide(ColorChoice::Auto, true, env(&[("TERM", "xterm")])));
        assert!(!decide(ColorChoice::Auto, false, env(&[])));
        assert!(!decide(ColorChoice::Auto, true, env(&[("TERM", "dumb")])));
        assert!(!decide(ColorChoice::Auto, true, env(&[("NO_COLOR", "1")])));
        assert!(decide(ColorChoice::Auto, true, env(&[("NO_COLOR", "")])));
        assert!(decide(
            ColorChoice::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
        assert!(!decide(
            ColorChoice::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "0")])
        ));
        assert!(!decide(
            ColorChoice::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])
        ));
        assert!(decide(
            ColorChoice::Always,
            false,
            env(&[("NO_COLOR", "1")])
        ));
        assert!(!decide(
            ColorChoice::Never,
            true,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
    }
}
