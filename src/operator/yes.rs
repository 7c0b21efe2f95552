//! `--yes`: nobody at the keyboard. Every command runs; nothing a person would
//! have to confirm is claimed.

use super::{
    AnswerChoice, CommandChoice, FailureChoice, Operator, Reply, Setback, TaskChoice, View,
    progress_with_text,
};
use std::io::IsTerminal;
use std::time::Duration;

use crate::doc::model::Placeholder;
use crate::error::{Error, Result};
use crate::screen::Verbosity;

/// `[7/9] Checks · Look at the dashboard — not confirmed (unattended)`, under `-v` only.
fn each_when_verbose(view: &View, what: &str) {
    if crate::screen::verbosity() == Verbosity::Verbose {
        line(&format!(
            "{} — {what} (unattended)",
            progress_with_text(view)
        ));
    }
}

/// Writes `text` and a line end to standard error in one write: standard
/// error is not buffered, and `eprintln!` writes each piece on its own.
fn line(text: &str) {
    use std::io::Write as _;
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(b'\n');
    let _ = std::io::stderr().write_all(&bytes);
}

/// The operator of an unattended run.
pub struct Unattended {
    pub keep_going: bool,
}

impl Operator for Unattended {
    fn attended(&self) -> bool {
        false
    }

    fn say(&mut self, text: &str) {
        line(text);
    }

    fn command(&mut self, view: &View) -> Result<CommandChoice> {
        if crate::screen::verbosity() > Verbosity::Quiet {
            line(&progress_with_text(view));
        }
        Ok(CommandChoice::Run)
    }

    fn failed(&mut self, _view: &View, _reason: &str) -> Result<FailureChoice> {
        Ok(if self.keep_going {
            FailureChoice::Ignore
        } else {
            FailureChoice::Abort
        })
    }

    fn answer_failed(&mut self, _view: &View, _reason: &str) -> Result<AnswerChoice> {
        Ok(if self.keep_going {
            AnswerChoice::Continue
        } else {
            AnswerChoice::Abort
        })
    }

    // Steps nobody can do or answer say nothing here: a large run has
    // hundreds of them, which would bury its failures. The closing summary
    // counts them and names the first few (`-v` shows each as it comes).
    fn task(&mut self, view: &View) -> Result<(TaskChoice, Option<String>)> {
        each_when_verbose(view, "not confirmed");
        Ok((TaskChoice::NotConfirmed, None))
    }

    fn blank(&mut self, view: &View) -> Result<Reply<String>> {
        each_when_verbose(view, "not answered");
        Ok(Reply::Leave)
    }

    fn choice(&mut self, view: &View, _options: &[String]) -> Result<Reply<usize>> {
        each_when_verbose(view, "not answered");
        Ok(Reply::Leave)
    }

    fn placeholder(&mut self, _placeholder: &Placeholder, _secret: bool) -> Result<Reply<String>> {
        Ok(Reply::Leave)
    }

    fn confirm_typed(&mut self, question: &str) -> Result<Option<bool>> {
        // Even unattended, a person at the terminal is asked.
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            return super::Terminal::default().confirm_typed(question);
        }
        Ok(None)
    }

    fn verify(&mut self, _hint: &str) -> Result<Option<bool>> {
        Ok(None)
    }

    fn edit(&mut self, _script: &str) -> Result<String> {
        Err(Error::usage("editing a block needs a person at a terminal"))
    }

    fn setback(&mut self, _view: &View, _what: &str) -> Result<Setback> {
        Ok(Setback::GoOn)
    }

    fn after_contingency(&mut self, _title: &str) -> Result<bool> {
        // An unattended run that went into a contingency section ends after it.
        Ok(false)
    }

    fn choose(&mut self, _view: &View, _options: &[String]) -> Result<Option<usize>> {
        Ok(None)
    }

    fn wait(&mut self, _view: &View, _wait: Duration) -> Result<Option<Duration>> {
        Ok(None)
    }
}
