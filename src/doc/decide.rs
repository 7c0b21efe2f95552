//! Which answers to a choice mean something went wrong (`No`, `FAIL`,
//! `NO-GO`, `Rollback`): built-in words, words a team sets in runsheet.toml,
//! and words a document sets for itself in a `<!-- runsheet: ... -->` comment.

use serde::Deserialize;

use super::model::{Runbook, StepKind};

/// Option words that pass or fail, beyond the built-in ones: runsheet.toml's
/// `[choices]`, or a document's `choice-pass=` / `choice-fail=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceWords {
    #[serde(default)]
    pub pass: Vec<String>,
    #[serde(default)]
    pub fail: Vec<String>,
}

impl ChoiceWords {
    /// `other`'s words after these (these win where both name an option).
    pub fn then(&self, other: &ChoiceWords) -> ChoiceWords {
        ChoiceWords {
            pass: self.pass.iter().chain(&other.pass).cloned().collect(),
            fail: self.fail.iter().chain(&other.fail).cloned().collect(),
        }
    }
}

/// Options that fail whatever the question: each matches an option that is
/// the word or starts with it (`Rollback required`, `No (hold)`).
const FAIL: &[&str] = &[
    "no",
    "no go",
    "nogo",
    "fail",
    "failed",
    "failing",
    "failure",
    "declined",
    "decline",
    "rejected",
    "reject",
    "denied",
    "invalid",
    "broken",
    "abort",
    "aborted",
    "rollback",
    "roll back",
    "rolled back",
    "revert",
    "reverted",
    "stop",
    "stopped",
    "halt",
    "hold",
    "on hold",
    "blocked",
    "not ok",
    "not okay",
    "nok",
    "down",
    "unhealthy",
    "not working",
    "not done",
    "incomplete",
    "cancel",
    "cancelled",
    "canceled",
    "not approved",
    "do not deploy",
    "deny",
    "unsafe",
    "unstable",
    "unavailable",
    "unreachable",
    "unresponsive",
    "unverified",
    "unapproved",
    "unsuccessful",
    "unresolved",
    "degraded",
    "error",
    "errors",
    "refused",
];

/// Words that open an option saying the opposite of something: `Not
/// ready`, `No Go`, `Do not proceed`, `Never`. Such an option fails.
const NEGATIONS: &[&str] = &[
    "no", "not", "do not", "don't", "dont", "does not", "doesn't", "never", "cannot", "can't",
    "won't", "nope",
];

/// Trouble a negated option may deny without failing: `No errors`.
const TROUBLE: &[&str] = &[
    "error",
    "errors",
    "issue",
    "issues",
    "problem",
    "problems",
    "incident",
    "incidents",
    "alert",
    "alerts",
    "regression",
    "regressions",
    "blocker",
    "blockers",
    "failures",
    "outage",
    "outages",
    "downtime",
    "leak",
    "leaks",
    "warnings",
    "vulnerabilities",
];
/// Words between a negation and the trouble it denies: `No new errors`.
const DENIAL_QUALIFIERS: &[&str] = &["new", "known", "open", "major", "critical", "other"];

/// What else a negated option may deny without failing: something bad (`No
/// errors`) or something that was not called for (`Not needed`).
const NOT_CALLED_FOR: &[&str] = &[
    "needed",
    "required",
    "necessary",
    "applicable",
    "relevant",
    "affected",
    "impacted",
];

/// Marks that make an option pass or fail whatever its words.
const FAIL_MARKS: &[char] = &['❌', '✗', '✘', '🔴', '⛔', '🛑', '❎'];
const PASS_MARKS: &[char] = &['✅', '✔', '☑', '🟢'];

/// Things a question may ask about that are bad when they happened
/// (`Rollback required?`, `Any errors in the logs?`): a `Yes` fails.
const BAD_THINGS: &[&str] = &[
    "rollback",
    "roll back",
    "rolled back",
    "revert",
    "error",
    "issue",
    "incident",
    "failure",
    "regression",
    "blocker",
    "problem",
    "outage",
    "breach",
    "data loss",
    "downtime",
    "violation",
    "vulnerabilit",
    "alert",
    "leak",
];
const HAPPENED: &[&str] = &[
    "required",
    "needed",
    "necessary",
    "performed",
    "executed",
    "triggered",
    "found",
    "detected",
    "observed",
    "seen",
    "reported",
    "present",
    "occurred",
    "firing",
    "any ",
    "new ",
];

/// An option as compared with words: marks and punctuation around it gone,
/// lower case, `-` and `_` as spaces, single spaces.
fn normalise(option: &str) -> String {
    let words: String = option
        .chars()
        .map(|c| match c {
            '-' | '_' | '/' => ' ',
            c => c,
        })
        .filter(|c| c.is_alphanumeric() || c.is_whitespace() || *c == '\'')
        .collect();
    words
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn matches_word(option: &str, word: &str) -> bool {
    let word = normalise(word);
    !word.is_empty()
        && (option == word
            || option
                .strip_prefix(word.as_str())
                .is_some_and(|r| r.starts_with(' ')))
}

/// Whether a choice labelled `label` asks whether something bad happened.
fn asks_about_trouble(label: &str) -> bool {
    let label = format!(" {}", label.to_lowercase());
    // `No memory leaks detected`: asked the other way round, `Yes` is good.
    let negated = [" no ", " without ", " zero ", " not "]
        .iter()
        .any(|n| label.contains(n));
    !negated
        && BAD_THINGS.iter().any(|b| label.contains(b))
        && HAPPENED.iter().any(|h| label.contains(h))
}

/// Whether a (normalised) option says the opposite of something other than
/// trouble: `Not ready`, `Don't proceed`, but not `No errors`, `Not needed`.
fn negates(option: &str) -> bool {
    NEGATIONS.iter().any(|n| matches_word(option, n)) && !denies_trouble(option)
}

/// Whether a (normalised) option denies trouble or need: `No errors`,
/// `No known issues`, `Not needed`. A bare `No` denies nothing, and nor
/// does `No (rollback)`, which answers and then says what follows.
fn denies_trouble(option: &str) -> bool {
    let Some(rest) = NEGATIONS
        .iter()
        .filter_map(|n| option.strip_prefix(n)?.strip_prefix(' '))
        .next()
    else {
        return false;
    };
    let mut words = rest
        .split(' ')
        .skip_while(|w| DENIAL_QUALIFIERS.contains(w));
    words
        .next()
        .is_some_and(|w| TROUBLE.contains(&w) || NOT_CALLED_FOR.contains(&w))
}

/// Indices of the options of a choice labelled `label` that fail, with
/// `words` (a document's, then runsheet.toml's) before the built-in words.
pub fn failing_options(label: &str, options: &[String], words: &ChoiceWords) -> Vec<usize> {
    let normal: Vec<String> = options.iter().map(|o| normalise(o)).collect();
    let yes_no = normal.iter().all(|o| o == "yes" || o == "no");
    let flip = yes_no && asks_about_trouble(label);
    let fails = |i: usize| -> bool {
        let option = &normal[i];
        if words.pass.iter().any(|w| matches_word(option, w)) {
            return false;
        }
        if words.fail.iter().any(|w| matches_word(option, w)) {
            return true;
        }
        if options[i].contains(FAIL_MARKS) {
            return true;
        }
        if options[i].contains(PASS_MARKS) {
            return false;
        }
        if flip {
            return option == "yes";
        }
        (FAIL.iter().any(|w| matches_word(option, w)) && !denies_trouble(option)) || negates(option)
    };
    (0..options.len()).filter(|&i| fails(i)).collect()
}

/// Decides, for every choice of `book`, which options fail: `words` (from
/// runsheet.toml) after the document's own.
pub fn classify(book: &mut Runbook, words: &ChoiceWords) {
    let words = book.choice_words.then(words);
    for step in &mut book.steps {
        if let StepKind::Choice(field) = &mut step.kind {
            field.fail = failing_options(&step.text, &field.options, &words);
        }
    }
}

/// The settings of a `<!-- runsheet: key=value key="two words" -->`
/// comment, in order; `None` when `html` is no such comment.
pub fn directive(html: &str) -> Option<Vec<(String, String)>> {
    let inner = html
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    let rest = inner.strip_prefix("runsheet:")?;
    let mut out = Vec::new();
    let mut chars = rest.trim().chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace() && *c != '=')).collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            if chars.next_if_eq(&'"').is_some() {
                value = std::iter::from_fn(|| chars.next_if(|c| *c != '"')).collect();
                chars.next();
            } else {
                value = std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())).collect();
            }
        }
        out.push((key, value));
    }
    Some(out)
}

/// The words of a `choice-pass=` or `choice-fail=` value: comma-separated.
pub fn word_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails(label: &str, options: &[&str]) -> Vec<String> {
        let options: Vec<String> = options.iter().map(|o| o.to_string()).collect();
        failing_options(label, &options, &ChoiceWords::default())
            .into_iter()
            .map(|i| options[i].clone())
            .collect()
    }

    #[test]
    fn the_negative_side_of_a_choice() {
        assert_eq!(fails("All smoke tests passed", &["Yes", "No"]), ["No"]);
        assert_eq!(fails("Decision", &["GO", "NO-GO"]), ["NO-GO"]);
        assert_eq!(fails("Sign-off", &["Approved", "Declined"]), ["Declined"]);
        assert_eq!(fails("Creds", &["Valid", "Invalid"]), ["Invalid"]);
        assert_eq!(fails("PagerDuty", &["Working", "Broken"]), ["Broken"]);
        assert_eq!(fails("Smoke", &["PASS", "FAIL"]), ["FAIL"]);
        assert_eq!(
            fails(
                "Status",
                &["STABLE", "NEEDS ATTENTION", "ROLLBACK REQUIRED"]
            ),
            ["ROLLBACK REQUIRED"]
        );
        assert_eq!(
            fails("Next", &["✅ Continue", "⏸ Hold", "❌ Stop"]),
            ["⏸ Hold", "❌ Stop"]
        );
        assert_eq!(
            fails("Batch 1", &["✅ Stable", "❌ Rollback"]),
            ["❌ Rollback"]
        );
        assert_eq!(
            fails("Trend", &["Stable", "Increasing", "Decreasing"]),
            Vec::<String>::new()
        );
        assert_eq!(
            fails("Impact", &["None", "Minor", "Significant"]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn an_option_that_negates_fails() {
        for option in [
            "Not ready",
            "Not healthy",
            "Not safe",
            "Not passed",
            "Not verified",
            "Do not proceed",
            "Don't proceed",
            "Not Go",
            "No Go",
            "NOT OK",
            "Never",
            "Deny",
            "Unsafe",
            "Unstable",
            "Degraded",
            "Error",
        ] {
            assert_eq!(fails("Status", &["Ready", option]), [option], "{option:?}");
        }
        assert_eq!(fails("Deployed", &["Yes", "No"]), ["No"]);
        assert_eq!(fails("Status", &["Ready", "Noted"]), Vec::<String>::new());
        assert_eq!(
            fails("Proceed", &["Yes", "No (rollback)"]),
            ["No (rollback)"]
        );
    }

    #[test]
    fn an_option_that_denies_trouble_passes() {
        for option in [
            "No errors",
            "No issues found",
            "Not needed",
            "Not required",
            "N/A",
        ] {
            assert_eq!(
                fails("Check", &["Clean", option]),
                Vec::<String>::new(),
                "{option:?}"
            );
        }
        assert_eq!(
            fails("Rollback", &["Not needed", "Executed"]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_question_about_trouble_fails_on_yes() {
        assert_eq!(fails("Rollback Required:", &["Yes", "No"]), ["Yes"]);
        assert_eq!(fails("Any errors in the logs?", &["Yes", "No"]), ["Yes"]);
        assert_eq!(fails("Rollback tested in staging:", &["Yes", "No"]), ["No"]);
        assert_eq!(fails("Rollback plan reviewed", &["yes", "no"]), ["no"]);
        assert_eq!(fails("Memory leaks detected", &["Yes", "No"]), ["Yes"]);
        assert_eq!(fails("No memory leaks detected", &["Yes", "No"]), ["No"]);
    }

    #[test]
    fn words_a_team_or_document_sets_win() {
        let words = ChoiceWords {
            pass: vec!["Hold".into()],
            fail: vec!["Executed".into(), "needs attention".into()],
        };
        let options: Vec<String> = ["Not needed", "Executed", "Hold", "Needs Attention"]
            .iter()
            .map(|o| o.to_string())
            .collect();
        assert_eq!(failing_options("Rollback", &options, &words), [1, 3]);
    }

    #[test]
    fn directives_in_comments() {
        assert_eq!(
            directive(
                "<!-- runsheet: choice-fail=Executed,Critical choice-pass=\"Not needed, None\" -->"
            ),
            Some(vec![
                ("choice-fail".into(), "Executed,Critical".into()),
                ("choice-pass".into(), "Not needed, None".into()),
            ])
        );
        assert_eq!(
            directive("<!-- runsheet: contingency -->"),
            Some(vec![("contingency".into(), String::new())])
        );
        assert_eq!(directive("<!-- a comment -->"), None);
        assert_eq!(word_list("Not needed, None,,"), ["Not needed", "None"]);
    }
}
