//! The letters of the prompts: which option a letter, a whole word or a
//! number typed at a question picks. One letter means one thing at every
//! prompt: `g` is go to, `b` is back.

use super::View;

/// Older whole words an option is still picked by, with the option's index.
pub type Also<'a> = [(&'a str, usize)];

/// What an answer to a question with `options` (each offered by its first
/// letter) and `numbered` further items picks: the option whose letter or
/// whole name was typed (`skip` as well as `s`, in any case), an option by
/// one of the older words `also` gives for it (a whole word, never a
/// letter), or `options.len() + n - 1` for the number `n` of a numbered
/// item. `None` for anything else.
pub fn picked(input: &str, options: &[&str], also: &Also, numbered: usize) -> Option<usize> {
    let typed = input.trim().to_lowercase();
    if let Ok(n) = typed.parse::<usize>() {
        return (1..=numbered).contains(&n).then(|| options.len() + n - 1);
    }
    let mut letters = typed.chars();
    if let (Some(c), None) = (letters.next(), letters.next()) {
        return options.iter().position(|o| o.starts_with(c));
    }
    let squeezed = |s: &str| s.split_whitespace().collect::<String>();
    options
        .iter()
        .position(|o| squeezed(o) == squeezed(&typed))
        .or_else(|| {
            also.iter()
                .find(|(word, _)| squeezed(word) == squeezed(&typed))
                .map(|&(_, i)| i)
        })
}

/// The options before a block runs (and `contingency` where there are
/// contingency sections).
pub const COMMAND: [&str; 6] = ["run", "skip", "edit", "quit", "back", "go to"];

/// The options after a block failed.
pub const FAILED: [&str; 8] = [
    "retry", "edit", "ignore", "skip", "abort", "quit", "back", "go to",
];

/// The options of a task with nothing to run (and `contingency` where there
/// are contingency sections).
pub const TASK: [&str; 7] = ["done", "skip", "failed", "note", "quit", "back", "go to"];

/// The options of the question after a task was answered failed: the old
/// `go on` still goes on, as a whole word (`g` is go to, at every prompt).
pub const SETBACK: [&str; 3] = ["continue", "stop", "go to"];
pub const SETBACK_ALSO: [(&str, usize); 1] = [("go on", 0)];

/// The options of the question after an answer came out on the failing
/// side: `back` asks it again; the old `go back` still does, as a whole word.
pub const ANSWER_FAILED: [&str; 4] = ["continue", "back", "abort", "go to"];
pub const ANSWER_FAILED_ALSO: [(&str, usize); 1] = [("go back", 1)];

/// The options of a question, without `go to` where there is nowhere
/// listed to go.
pub fn with_go_to<'o>(options: &[&'o str], view: &View) -> Vec<&'o str> {
    options
        .iter()
        .copied()
        .filter(|&o| o != "go to" || !view.steps.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{
        ANSWER_FAILED, ANSWER_FAILED_ALSO, Also, COMMAND, FAILED, SETBACK, SETBACK_ALSO, TASK,
        picked,
    };

    /// Every prompt's options with all it may add, and the older words it
    /// takes besides.
    fn prompts() -> Vec<(Vec<&'static str>, &'static Also<'static>)> {
        let with = |options: &[&'static str], more: &'static str| {
            let mut all = options.to_vec();
            all.push(more);
            all
        };
        vec![
            (with(&COMMAND, "contingency"), &[]),
            (FAILED.to_vec(), &[]),
            (with(&TASK, "contingency"), &[]),
            (SETBACK.to_vec(), &SETBACK_ALSO),
            (ANSWER_FAILED.to_vec(), &ANSWER_FAILED_ALSO),
        ]
    }

    #[test]
    fn no_two_options_of_a_prompt_share_a_letter() {
        for (options, _) in prompts() {
            let mut letters: Vec<char> = options.iter().filter_map(|o| o.chars().next()).collect();
            letters.sort_unstable();
            letters.dedup();
            assert_eq!(letters.len(), options.len(), "{options:?}");
        }
    }

    #[test]
    fn g_is_go_to_and_b_is_back_wherever_they_are_offered() {
        for (options, also) in prompts() {
            for (key, word) in [("g", "go to"), ("b", "back")] {
                if let Some(i) = picked(key, &options, also, 2) {
                    assert_eq!(options[i], word, "{key} at {options:?}");
                }
            }
        }
    }

    #[test]
    fn the_older_whole_words_still_pick_their_option() {
        let cases: [(&str, &[&str], &Also, Option<&str>); 8] = [
            ("go on", &SETBACK, &SETBACK_ALSO, Some("continue")),
            ("Go  On", &SETBACK, &SETBACK_ALSO, Some("continue")),
            ("c", &SETBACK, &SETBACK_ALSO, Some("continue")),
            ("g", &SETBACK, &SETBACK_ALSO, Some("go to")),
            ("go back", &ANSWER_FAILED, &ANSWER_FAILED_ALSO, Some("back")),
            ("b", &ANSWER_FAILED, &ANSWER_FAILED_ALSO, Some("back")),
            // Without `go to` offered, `g` is nothing at all.
            ("g", &ANSWER_FAILED[..3], &ANSWER_FAILED_ALSO, None),
            ("go on", &ANSWER_FAILED, &ANSWER_FAILED_ALSO, None),
        ];
        for (typed, options, also, want) in cases {
            let got = picked(typed, options, also, 0).map(|i| options[i]);
            assert_eq!(got, want, "{typed:?} at {options:?}");
        }
    }
}
