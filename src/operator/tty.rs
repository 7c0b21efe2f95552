//! Prompts for a person at a terminal: a letter and Enter for each question.

use std::io::Write as _;
use std::time::Duration;

use console::{Style, Term};

use super::letters::{
    ANSWER_FAILED, ANSWER_FAILED_ALSO, Also, COMMAND, FAILED, SETBACK, SETBACK_ALSO, TASK, picked,
    with_go_to,
};
use super::line::Ask;
use super::{
    AnswerChoice, CommandChoice, FailureChoice, Operator, Part, Prompting, Reply, Setback,
    TaskChoice, View, progress,
};
use crate::doc::model::Placeholder;
use crate::error::{Error, Result};

/// The operator of an interactive run.
pub struct Terminal {
    term: Term,
    bold: Style,
    dim: Style,
}

impl Default for Terminal {
    fn default() -> Self {
        Terminal {
            term: Term::stderr(),
            bold: Style::new().bold().for_stderr(),
            dim: Style::new().dim().for_stderr(),
        }
    }
}

impl Terminal {
    /// Asks until one of `keys` (first letters) is typed; returns its index.
    fn ask(&self, question: &str, options: &[&str]) -> Result<usize> {
        self.ask_with(question, options, &[])
    }

    /// Asks until the first letter or the whole name of one of `options`, or
    /// the number of one of `numbered`, is typed. Returns the option's index,
    /// or `options.len() + n` for the n-th (0-based) numbered item. A wrong
    /// answer is told which letters there are, and asked again.
    fn ask_with(&self, question: &str, options: &[&str], numbered: &[String]) -> Result<usize> {
        self.ask_also(question, options, &[], numbered)
    }

    /// `ask_with`, taking the older whole words `also` gives for options too.
    fn ask_also(
        &self,
        question: &str,
        options: &[&str],
        also: &Also,
        numbered: &[String],
    ) -> Result<usize> {
        let keys: Vec<char> = options.iter().filter_map(|o| o.chars().next()).collect();
        let mut listed = options
            .iter()
            .map(|o| format!("[{}]{}", &o[..1], &o[1..]))
            .collect::<Vec<_>>()
            .join(" / ");
        for (n, item) in numbered.iter().enumerate() {
            listed.push_str(&format!(" · [{}] {item}", n + 1));
        }
        let count = numbered.len();
        let letters = keys
            .iter()
            .map(char::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let answer: String = Ask::new(&format!("{question} {listed}"))
            .check(move |input: &str| -> std::result::Result<(), String> {
                if picked(input, options, also, count).is_some() {
                    Ok(())
                } else if count > 0 {
                    Err(format!(
                        "type one of the letters ({letters}) or numbers in brackets, then Enter"
                    ))
                } else {
                    Err(format!(
                        "type one of the letters in brackets ({letters}), then Enter"
                    ))
                }
            })
            .read(&self.term)?;
        Ok(picked(&answer, options, also, count).unwrap_or(0))
    }

    /// The operator asked for the contingency sections at a prompt: lists
    /// them and asks which to start. `None`: back to the prompt.
    fn pick_contingency(&self, view: &View) -> Result<Option<usize>> {
        let _ = self
            .term
            .write_line("  Contingency sections of this runbook:");
        for (n, item) in view.contingency.iter().enumerate() {
            let _ = self.term.write_line(&format!("    [{}] {item}", n + 1));
        }
        let count = view.contingency.len();
        let answer: String = Ask::new(&format!("Start which? (1-{count}, empty to go back)"))
            .allow_empty()
            .check(move |input: &str| -> std::result::Result<(), String> {
                let t = input.trim();
                if t.is_empty() || t.parse::<usize>().is_ok_and(|n| (1..=count).contains(&n)) {
                    Ok(())
                } else {
                    Err(format!(
                        "type a number from 1 to {count}, or nothing to go back"
                    ))
                }
            })
            .read(&self.term)?;
        Ok(answer.trim().parse::<usize>().ok().map(|n| n - 1))
    }

    /// The operator asked to go to another step: lists the steps by number
    /// (a task's blocks, blanks and choices under it, `7.1`, `7.2`, when it
    /// holds several) and asks which. The step's index; `None`: back to the
    /// prompt.
    fn pick_step(&self, view: &View) -> Result<Option<usize>> {
        let _ = self.term.write_line("  Steps of this runbook:");
        // A part listed under its task is itself where the run is.
        let here = if view.steps.iter().any(|t| t.index == view.step.at()) {
            view.step.at()
        } else {
            view.here
        };
        for t in view.steps.iter() {
            let mark = if t.index == here { "  ← here" } else { "" };
            let indent = if t.part.is_some() { "  " } else { "" };
            let _ = self
                .term
                .write_line(&format!("    {indent}[{}] {}{mark}", t.number, t.text));
        }
        let count = view.steps.iter().filter(|t| t.part.is_none()).count();
        let mut kinds: Vec<Part> = view.steps.iter().filter_map(|t| t.part).collect();
        kinds.sort();
        kinds.dedup();
        let first = view.steps.iter().find(|t| t.part.is_some());
        let which = match first {
            Some(p) => format!("1-{count}, {} as {}", one_of(&kinds), p.number),
            None => format!("1-{count}"),
        };
        // One kind reads as before: `a block's number`.
        let listed = match kinds.as_slice() {
            [kind] => format!("a {}'s number as listed", kind.word()),
            _ => format!("the number of {} as listed", one_of(&kinds)),
        };
        let numbers: Vec<String> = view.steps.iter().map(|t| t.number.clone()).collect();
        let answer: String = Ask::new(&format!("Go to which step? ({which}, empty to stay)"))
            .allow_empty()
            .check(move |input: &str| -> std::result::Result<(), String> {
                let t = input.trim();
                if t.is_empty() || numbers.iter().any(|n| n == t) {
                    Ok(())
                } else if numbers.len() > count {
                    Err(format!(
                        "type a number from 1 to {count}, {listed}, or nothing to stay"
                    ))
                } else {
                    Err(format!(
                        "type a number from 1 to {count}, or nothing to stay"
                    ))
                }
            })
            .read(&self.term)?;
        let answer = answer.trim();
        Ok(view
            .steps
            .iter()
            .find(|t| !answer.is_empty() && t.number == answer)
            .map(|t| t.index))
    }

    /// `q`, `b` or `g` typed at a blank or choice: quit, back, or the step
    /// picked to go to. `None`: the operator went back to the question.
    fn navigate<T>(&self, view: &View, key: &str) -> Result<Option<Reply<T>>> {
        Ok(match key {
            "q" => Some(Reply::Quit),
            "b" => Some(Reply::Back),
            _ => self.pick_step(view)?.map(Reply::GoTo),
        })
    }

    fn show(&self, view: &View) {
        let _ = self.term.write_line("");
        let _ = self
            .term
            .write_line(&self.bold.apply_to(progress(view)).to_string());
        let _ = self.term.write_line(&format!("  {}", view.step.text));
    }
}

/// The parts `[g]o to` lists under tasks, as one may be named: `a block`,
/// `a block or blank`, `a block, blank or choice`.
fn one_of(kinds: &[Part]) -> String {
    let words: Vec<&str> = kinds.iter().map(|k| k.word()).collect();
    match words.split_last() {
        Some((last, [])) => format!("a {last}"),
        Some((last, rest)) => format!("a {} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Where `q`, `b` or `g` typed at a blank or choice goes, in words.
fn going(key: &str) -> Option<&'static str> {
    match key {
        "q" => Some("quit"),
        "b" => Some("back"),
        "g" => Some("go to"),
        _ => None,
    }
}

impl Operator for Terminal {
    fn attended(&self) -> bool {
        true
    }

    fn say(&mut self, text: &str) {
        let _ = self.term.write_line(text);
    }

    fn command(&mut self, view: &View) -> Result<CommandChoice> {
        let _prompt = Prompting::start();
        // The block itself, as it will run, and no summary of its first
        // line above it: after an edit, the edited first line heads it.
        let _ = self.term.write_line("");
        let _ = self
            .term
            .write_line(&self.bold.apply_to(progress(view)).to_string());
        for line in view.script.lines() {
            let _ = self
                .term
                .write_line(&format!("  {} {line}", self.dim.apply_to("│")));
        }
        let mut options = COMMAND.to_vec();
        if !view.contingency.is_empty() {
            options.push("contingency");
        }
        loop {
            return Ok(match options[self.ask("Run this block?", &options)?] {
                "run" => CommandChoice::Run,
                "skip" => CommandChoice::Skip,
                "edit" => CommandChoice::Edit,
                "back" => CommandChoice::Back,
                "go to" => match self.pick_step(view)? {
                    Some(i) => CommandChoice::GoTo(i),
                    None => continue,
                },
                "contingency" => match self.pick_contingency(view)? {
                    Some(k) => CommandChoice::Contingency(k),
                    None => continue,
                },
                _ => CommandChoice::Quit,
            });
        }
    }

    fn failed(&mut self, view: &View, reason: &str) -> Result<FailureChoice> {
        let _prompt = Prompting::start();
        let options = FAILED;
        let reason = crate::screen::alarm(reason);
        loop {
            return Ok(match self.ask_with(&reason, &options, &view.contingency)? {
                0 => FailureChoice::Retry,
                1 => FailureChoice::Edit,
                2 => FailureChoice::Ignore,
                3 => FailureChoice::Skip,
                4 => FailureChoice::Abort,
                5 => FailureChoice::Quit,
                6 => FailureChoice::Back,
                7 => match self.pick_step(view)? {
                    Some(i) => FailureChoice::GoTo(i),
                    None => continue,
                },
                n => FailureChoice::Contingency(n - options.len()),
            });
        }
    }

    fn answer_failed(&mut self, view: &View, reason: &str) -> Result<AnswerChoice> {
        let _prompt = Prompting::start();
        let options = with_go_to(&ANSWER_FAILED, view);
        loop {
            let n = self.ask_also(reason, &options, &ANSWER_FAILED_ALSO, &view.contingency)?;
            return Ok(match options.get(n).copied() {
                Some("continue") => AnswerChoice::Continue,
                Some("back") => AnswerChoice::Back,
                Some("abort") => AnswerChoice::Abort,
                Some(_) => match self.pick_step(view)? {
                    Some(i) => AnswerChoice::GoTo(i),
                    None => continue,
                },
                None => AnswerChoice::Contingency(n - options.len()),
            });
        }
    }

    fn task(&mut self, view: &View) -> Result<(TaskChoice, Option<String>)> {
        let _prompt = Prompting::start();
        self.show(view);
        let mut note: Option<String> = None;
        let mut options = TASK.to_vec();
        if !view.contingency.is_empty() {
            options.push("contingency");
        }
        loop {
            let choice = self.ask("Is it done?", &options)?;
            let answer = match options[choice] {
                "done" => TaskChoice::Done,
                "skip" => TaskChoice::Skip,
                "failed" => TaskChoice::Failed,
                "back" => TaskChoice::Back,
                "go to" => match self.pick_step(view)? {
                    Some(i) => TaskChoice::GoTo(i),
                    None => continue,
                },
                "contingency" => match self.pick_contingency(view)? {
                    Some(k) => TaskChoice::Contingency(k),
                    None => continue,
                },
                "note" => {
                    let text: String = Ask::new("Note").allow_empty().read(&self.term)?;
                    let text = text.trim().to_string();
                    note = (!text.is_empty()).then_some(text);
                    continue;
                }
                _ => TaskChoice::Quit,
            };
            return Ok((answer, note));
        }
    }

    fn blank(&mut self, view: &View) -> Result<Reply<String>> {
        let _prompt = Prompting::start();
        self.show(view);
        // Asked again, the value given before is shown (masked where it
        // holds a secret) and kept by Enter, not lost by it.
        let empty = match &view.before {
            Some(before) => {
                let _ = self.term.write_line(&format!("  Before: {}", before.shown));
                "empty keeps the value before"
            }
            None => "empty to skip",
        };
        let prompt =
            format!("Value (`now` for the current UTC time, {empty}) · [q]uit / [b]ack / [g]o to");
        loop {
            let value: String = Ask::new(&prompt).allow_empty().read(&self.term)?;
            let value = value.trim().to_string();
            // `q`, `b` or `g` alone could be the value itself: asked which.
            // Typing the same letter again goes.
            let key = value.to_ascii_lowercase();
            if let Some(going) = going(&key) {
                let question = format!("`{value}`: {going}, or is it the value?");
                let options = [going, "value"];
                if self.ask_with(&question, &options, &[])? == 1 {
                    return Ok(Reply::Value(value));
                }
                match self.navigate(view, &key)? {
                    Some(reply) => return Ok(reply),
                    None => continue,
                }
            }
            if let (true, Some(before)) = (value.is_empty(), &view.before) {
                let _ = self.term.write_line(&format!("  Kept: {}", before.shown));
                return Ok(Reply::Value(before.value.clone()));
            }
            return Ok(if value.is_empty() {
                Reply::Leave
            } else {
                Reply::Value(value)
            });
        }
    }

    fn choice(&mut self, view: &View, options: &[String]) -> Result<Reply<usize>> {
        let _prompt = Prompting::start();
        self.show(view);
        for (n, o) in options.iter().enumerate() {
            let _ = self.term.write_line(&format!("  {}) {o}", n + 1));
        }
        let count = options.len();
        let lower: Vec<String> = options.iter().map(|o| o.to_lowercase()).collect();
        // Asked again, the option picked before is shown and kept by Enter,
        // as a blank's value is (while the runbook still offers it).
        let before = view.before.as_ref().and_then(|b| {
            let i = options.iter().position(|o| *o == b.value)?;
            let _ = self.term.write_line(&format!("  Before: {}", b.shown));
            Some((i, b.shown.clone()))
        });
        let empty = if before.is_some() {
            "empty keeps the pick before"
        } else {
            "empty to skip"
        };
        loop {
            let check = lower.clone();
            let answer: String = Ask::new(&format!(
                "Pick 1-{count} (or type the option; {empty}) · [q]uit / [b]ack / [g]o to"
            ))
            .allow_empty()
            .check(move |input: &str| -> std::result::Result<(), String> {
                let t = input.trim().to_lowercase();
                let ok = t.is_empty()
                    || t == "q"
                    || t == "b"
                    || t == "g"
                    || t.parse::<usize>().is_ok_and(|n| (1..=count).contains(&n))
                    || check.contains(&t);
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "type a number from 1 to {count}, one of the options, or q, b or g"
                    ))
                }
            })
            .read(&self.term)?;
            let t = answer.trim().to_lowercase();
            let picked = t
                .parse::<usize>()
                .ok()
                .map(|n| n - 1)
                .or_else(|| lower.iter().position(|o| *o == t));
            // An option spelled `q`, `b` or `g` could be meant, or the way to
            // go: asked which, as at a blank.
            if let (Some(i), Some(going)) = (picked, going(&t)) {
                let question = format!("`{}`: {going}, or is it the option?", answer.trim());
                if self.ask_with(&question, &[going, "option"], &[])? == 1 {
                    return Ok(Reply::Value(i));
                }
                match self.navigate(view, &t)? {
                    Some(reply) => return Ok(reply),
                    None => continue,
                }
            }
            if let Some(i) = picked {
                return Ok(Reply::Value(i));
            }
            if let (true, Some((i, shown))) = (t.is_empty(), &before) {
                let _ = self.term.write_line(&format!("  Kept: {shown}"));
                return Ok(Reply::Value(*i));
            }
            if t.is_empty() {
                return Ok(Reply::Leave);
            }
            if let Some(reply) = self.navigate(view, &t)? {
                return Ok(reply);
            }
        }
    }

    fn placeholder(&mut self, placeholder: &Placeholder, secret: bool) -> Result<Reply<String>> {
        let _prompt = Prompting::start();
        if let Some(e) = &placeholder.example {
            // A secret's example is not shown: it may be a real one.
            let value = if secret { "•••" } else { e.value() };
            let _ = self.term.write_line(&format!(
                "  {} is set to an example value, {value}, and the runbook says: {}",
                e.name, e.comment
            ));
        }
        let token = &placeholder.token;
        let prompt = format!("Value for {token}");
        let value = if secret {
            Ask::new(&format!("{prompt} (hidden)"))
                .hidden()
                .read(&self.term)?
        } else {
            Ask::new(&prompt).read(&self.term)?
        };
        Ok(Reply::Value(value))
    }

    fn confirm_typed(&mut self, question: &str) -> Result<Option<bool>> {
        let _prompt = Prompting::start();
        let _ = self
            .term
            .write_line(&format!("  {}", self.bold.apply_to(question)));
        let answer: String = Ask::new("Type `yes` to run it, anything else to skip it")
            .allow_empty()
            .read(&self.term)?;
        Ok(Some(answer.trim() == "yes"))
    }

    fn verify(&mut self, hint: &str) -> Result<Option<bool>> {
        let _prompt = Prompting::start();
        let _ = self.term.write_line(&format!("  Expected: {hint}"));
        Ok(Some(
            self.ask("Does the output match?", &["yes", "no"])? == 0,
        ))
    }

    fn setback(&mut self, view: &View, what: &str) -> Result<Setback> {
        let _prompt = Prompting::start();
        let options = with_go_to(&SETBACK, view);
        let question = format!("{what}. What next?");
        loop {
            let n = self.ask_also(&question, &options, &SETBACK_ALSO, &view.contingency)?;
            return Ok(match options.get(n).copied() {
                Some("continue") => Setback::GoOn,
                Some("stop") => Setback::Stop,
                Some(_) => match self.pick_step(view)? {
                    Some(i) => Setback::GoTo(i),
                    None => continue,
                },
                None => Setback::Contingency(n - options.len()),
            });
        }
    }

    fn after_contingency(&mut self, title: &str) -> Result<bool> {
        let _prompt = Prompting::start();
        let question = format!("\"{title}\" is done.");
        Ok(self.ask(&question, &["stop the run", "return to where it was"])? == 1)
    }

    fn choose(&mut self, view: &View, options: &[String]) -> Result<Option<usize>> {
        let _prompt = Prompting::start();
        self.show(view);
        let _ = self
            .term
            .write_line("  The runbook offers these as alternatives; a run does one:");
        for (n, o) in options.iter().enumerate() {
            let _ = self.term.write_line(&format!("    {}) {o}", n + 1));
        }
        let count = options.len();
        let answer: String = Ask::new(&format!("Which one? (1-{count}, q to quit)"))
            .check(move |input: &str| -> std::result::Result<(), String> {
                let t = input.trim();
                if t == "q" || t.parse::<usize>().is_ok_and(|n| (1..=count).contains(&n)) {
                    Ok(())
                } else {
                    Err(format!("type a number from 1 to {count}, or q to quit"))
                }
            })
            .read(&self.term)?;
        match answer.trim().parse::<usize>() {
            Ok(n) => Ok(Some(n - 1)),
            Err(_) => Err(Error::Interrupted),
        }
    }

    fn wait(&mut self, view: &View, wait: Duration) -> Result<Option<Duration>> {
        let _prompt = Prompting::start();
        self.show(view);
        super::countdown::count_down(&self.term, wait).map(Some)
    }

    fn edit(&mut self, script: &str) -> Result<String> {
        let mut file = tempfile::Builder::new()
            .prefix("runsheet-block-")
            .suffix(".sh")
            .tempfile()
            .map_err(|source| Error::Write {
                path: std::env::temp_dir(),
                source,
            })?;
        file.write_all(script.as_bytes())
            .map_err(|source| Error::Write {
                path: file.path().into(),
                source,
            })?;
        crate::exec::editor::open(file.path())?;
        std::fs::read_to_string(file.path()).map_err(|source| Error::Read {
            path: file.path().into(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Part, one_of};

    #[test]
    fn the_parts_go_to_lists_are_named_in_one_phrase() {
        let cases: [(&[Part], &str); 4] = [
            (&[Part::Block], "a block"),
            (&[Part::Blank], "a blank"),
            (&[Part::Block, Part::Choice], "a block or choice"),
            (
                &[Part::Block, Part::Blank, Part::Choice],
                "a block, blank or choice",
            ),
        ];
        for (kinds, phrase) in cases {
            assert_eq!(one_of(kinds), phrase);
        }
    }
}
