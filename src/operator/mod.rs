//! The operator: who answers runsheet's questions — a person at a terminal, or
//! nobody (`--yes`). One trait, so the run loop never asks which.

mod answered;
pub mod answers;
mod tty;
mod yes;

pub use answered::{ANSWERED_IN_FILE, Answered};
pub use answers::Answers;
pub use tty::Terminal;
pub use yes::Unattended;

use crate::doc::Step;
use crate::error::Result;
use crate::signals::Prompting;

/// What the operator is looking at when asked.
pub struct View<'a> {
    /// 1-based position among all steps, and how many there are.
    pub position: usize,
    pub total: usize,
    pub step: &'a Step,
    /// The script that will run, for commands.
    pub script: &'a str,
}

/// The answer for a command about to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandChoice {
    Run,
    Skip,
    Edit,
    Quit,
}

/// The answer after a command failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureChoice {
    Retry,
    Edit,
    /// Go on; the step stays recorded as failed.
    Ignore,
    Abort,
}

/// The answer for a task with nothing to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskChoice {
    Done,
    Skip,
    Failed,
    /// Nobody could confirm it (unattended).
    NotConfirmed,
    Quit,
}

/// Whoever answers the questions a run asks.
pub trait Operator {
    /// A person is there: their answers count as confirmation.
    fn attended(&self) -> bool;
    /// Shows a line of progress or information.
    fn say(&mut self, text: &str);
    /// A command is about to run.
    fn command(&mut self, view: &View) -> Result<CommandChoice>;
    /// A step failed, for `reason` ("The block failed (exit 1).").
    fn failed(&mut self, view: &View, reason: &str) -> Result<FailureChoice>;
    /// A task with nothing to run; an optional note comes with the answer.
    fn task(&mut self, view: &View) -> Result<(TaskChoice, Option<String>)>;
    /// Lets the operator change `script` for this run only.
    fn edit(&mut self, script: &str) -> Result<String>;
    /// A value for a blank; `None` leaves it (skipped, or nobody to ask).
    fn blank(&mut self, view: &View) -> Result<Option<String>>;
    /// One of `options`, by index; `None` leaves it.
    fn choice(&mut self, view: &View, options: &[String]) -> Result<Option<usize>>;
    /// A value for a placeholder in the command about to run; asked without
    /// echo when `secret`. `None`: nobody to ask.
    fn placeholder(&mut self, name: &str, token: &str, secret: bool) -> Result<Option<String>>;
    /// A typed confirmation (`yes`) for something that needs a person even
    /// under `--yes`. `None`: no person can be asked.
    fn confirm_typed(&mut self, question: &str) -> Result<Option<bool>>;
    /// After a command with an `Expected` hint ran: did the output match?
    /// `None`: nobody to say.
    fn verify(&mut self, hint: &str) -> Result<Option<bool>>;
}

/// Puts the terminal back as a prompt found it (cursor shown), before exiting.
pub fn restore_terminal() {
    let _ = console::Term::stderr().show_cursor();
}

/// `[12/87] Section › Subsection`: where the operator is.
pub fn progress(view: &View) -> String {
    let heading = view.step.heading_path();
    let mut line = format!("[{}/{}]", view.position, view.total);
    if !heading.is_empty() {
        line.push(' ');
        line.push_str(&heading);
    }
    line
}

/// The progress line followed by the step's text.
pub fn progress_with_text(view: &View) -> String {
    let head = progress(view);
    if view.step.heading.is_empty() {
        format!("{head} {}", view.step.text)
    } else {
        format!("{head} · {}", view.step.text)
    }
}
