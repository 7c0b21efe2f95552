//! Timed steps: a step done by hand whose text states a wait ("Monitor for 5
//! minutes", "Wait 10 min", "Keep BLUE warm for 60 minutes"), or a `manual`
//! block with a `wait=` attribute.

use std::sync::OnceLock;
use std::time::Duration;

use regex::Regex;

use super::model::{Runbook, StepKind};
use crate::diagnostic::Severity;
use crate::source::Source;

/// How long a step done by hand takes, and what kind of wait it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wait {
    pub duration: Duration,
    /// Someone has to watch something meanwhile ("Monitor", "Watch",
    /// "Observe"): waiting alone does not do the step.
    pub watch: bool,
    /// The author said so with `wait=`: an unattended run waits too.
    pub attribute: bool,
}

/// The wait a step's text states, if it states one.
pub fn stated(text: &str) -> Option<Wait> {
    static WAIT: OnceLock<Regex> = OnceLock::new();
    let wait = WAIT.get_or_init(|| {
        Regex::new(
            r"(?ix)\b(wait|pause|sleep|allow|soak|bake|keep|leave|hold|let|monitor|watch|observe)\b
              [^.;!?\n]{0,60}?
              \b([0-9]+(?:\.[0-9]+)?)\s*(?:(?:-|–|to)\s*[0-9]+(?:\.[0-9]+)?\s*)?
              (seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\b",
        )
        .expect("a valid pattern")
    });
    // Most texts state no wait: finding that out takes no capture groups,
    // which cost several times a plain search.
    if !wait.is_match(text) {
        return None;
    }
    let found = wait.captures(text)?;
    let n: f64 = found[2].parse().ok()?;
    let unit = found[3].to_ascii_lowercase();
    let seconds = match unit.chars().next()? {
        's' => n,
        'm' => n * 60.0,
        _ => n * 3600.0,
    };
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 7.0 * 24.0 * 3600.0) {
        return None;
    }
    let verb = found[1].to_ascii_lowercase();
    Some(Wait {
        duration: Duration::from_secs_f64(seconds),
        watch: matches!(verb.as_str(), "monitor" | "watch" | "observe"),
        attribute: false,
    })
}

/// Gives every step done by hand the wait it states; a `wait=` on a block
/// that runs is an error (a block waits with `sleep`).
pub(super) fn find(source: &Source, book: &mut Runbook) {
    let mut misplaced = Vec::new();
    for step in &mut book.steps {
        step.wait = match &step.kind {
            StepKind::Task(t) if step.children.is_empty() && !t.checked => {
                stated(&step.text).map(Box::new)
            }
            StepKind::Command(c) => match c.attrs.wait {
                Some(duration) if c.attrs.manual => Some(Box::new(Wait {
                    duration,
                    watch: false,
                    attribute: true,
                })),
                Some(_) => {
                    misplaced.push(step.span().start);
                    None
                }
                None => None,
            },
            _ => None,
        };
    }
    for at in misplaced {
        book.diagnostics.push(source.diagnostic(
            Severity::Error,
            at,
            "`wait=` is for a `manual` block: a step done by hand that takes time",
            Some(
                "add `manual` ({manual wait=5m}), or wait in the block itself with `sleep`".into(),
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_stated_in_words() {
        let secs = |text: &str| stated(text).map(|w| (w.duration.as_secs(), w.watch));
        assert_eq!(secs("Monitor for 5 minutes"), Some((300, true)));
        assert_eq!(secs("Wait 10 min"), Some((600, false)));
        assert_eq!(secs("Keep BLUE warm for 60 minutes"), Some((3600, false)));
        assert_eq!(
            secs("**Leave BLUE running for 60 minutes** (do NOT terminate instances)"),
            Some((3600, false))
        );
        assert_eq!(secs("Monitor closely for 30 minutes"), Some((1800, true)));
        assert_eq!(
            secs("Watch error rates for 5–10 minutes"),
            Some((300, true))
        );
        assert_eq!(secs("Wait 3 seconds"), Some((3, false)));
        assert_eq!(secs("Let the canary soak for 2h"), Some((7200, false)));
        for text in [
            "Monitor each batch before proceeding",
            "Deploy to staging (can skip 24-hour wait)",
            "Error rate > 5% for 5+ minutes",
            "Keep the 3 replicas",
            "After 60 minutes and verification passed:",
            "Wait for it",
        ] {
            assert_eq!(stated(text), None, "{text}");
        }
    }
}
