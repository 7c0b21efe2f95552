//! The operator: who answers runsheet's questions — a person at a terminal, or
//! nobody (`--yes`). One trait, so the run loop never asks which.

mod answered;
pub mod answers;
mod countdown;
mod letters;
mod line;
mod tty;
mod yes;

pub use answered::{ANSWERED_IN_FILE, Answered};
pub use answers::Answers;
pub use tty::Terminal;
pub use yes::Unattended;

use std::sync::Arc;
use std::time::Duration;

use crate::doc::Step;
use crate::doc::model::Placeholder;
use crate::error::Result;
use crate::signals::Prompting;

/// What the operator is looking at when asked.
pub struct View<'a> {
    /// 1-based number of the step (as a person counts them) on the run's
    /// path, and how many there are: a block inside an item has the item's.
    pub position: usize,
    pub total: usize,
    /// A block or field inside an item: part of the step the item's line
    /// numbered, not a step of its own.
    pub part: bool,
    pub step: &'a Step,
    /// The script that will run, for commands.
    pub script: &'a str,
    /// The contingency sections the operator may start from here
    /// (`rollback: H) ROLLBACK PLAN`); empty when the runbook has none.
    pub contingency: Arc<[String]>,
    /// The steps `[g]o to` lists, the blocks, blanks and choices of a task
    /// that holds several under it; empty where going elsewhere is not
    /// offered.
    pub steps: Arc<[Target]>,
    /// The index `steps` gives the step asked about, marked `← here`: for a
    /// part of an item, the item's (a block, blank or choice listed under
    /// its task is marked itself).
    pub here: usize,
    /// A blank asked again (gone back to, or answered off its target): the
    /// value it was given before, which Enter on nothing typed keeps.
    pub before: Option<Before>,
}

/// The value a blank was given before it was asked again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Before {
    /// The value itself: what keeping it records.
    pub value: String,
    /// How the screen shows it: secrets in it masked.
    pub shown: String,
}

/// A step `[g]o to` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The step's index.
    pub index: usize,
    /// What the operator types to go there: the step's number (`7`), or,
    /// for a part of a task that holds several, the task's number and the
    /// part's, in document order (`7.2`).
    pub number: String,
    /// How it reads: `deploy.md:88 Deploy › Migrate`.
    pub text: String,
    /// What part of its task it is; `None` for a step.
    pub part: Option<Part>,
}

/// What a part of a task `[g]o to` lists under the task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// A block: going there runs it alone again.
    Block,
    /// A blank: going there asks for its value again.
    Blank,
    /// A choice: going there asks it again.
    Choice,
}

impl Part {
    /// The word for it in a question: `block`.
    pub fn word(self) -> &'static str {
        match self {
            Part::Block => "block",
            Part::Blank => "blank",
            Part::Choice => "choice",
        }
    }
}

/// The answer for a command about to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandChoice {
    Run,
    Skip,
    Edit,
    Quit,
    /// Back to the step before.
    Back,
    /// To the step with this index.
    GoTo(usize),
    /// Start the contingency section at this index of `View::contingency`.
    Contingency(usize),
}

/// The answer to a blank or a choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<T> {
    /// The value typed, or the option picked.
    Value(T),
    /// The answer the answers file gave ahead of time: recorded as the
    /// file's, not as typed at the prompt.
    FromFile(T),
    /// Left as it is: skipped, or nobody to ask.
    Leave,
    /// Stop here, to be resumed later (the step is not answered).
    Quit,
    /// Back to the step before.
    Back,
    /// To the step with this index.
    GoTo(usize),
}

impl<T> From<Option<T>> for Reply<T> {
    fn from(value: Option<T>) -> Reply<T> {
        value.map_or(Reply::Leave, Reply::Value)
    }
}

/// The answer after a command failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureChoice {
    Retry,
    Edit,
    /// Go on; the step stays recorded as failed.
    Ignore,
    /// Go on, the step recorded as skipped (its failed attempt kept).
    Skip,
    /// Stop here, to be resumed later (the step is not settled).
    Quit,
    /// Back to the step before (this one stays recorded as failed).
    Back,
    /// To the step with this index.
    GoTo(usize),
    Abort,
    /// Start the contingency section at this index of `View::contingency`.
    Contingency(usize),
}

/// The answer after something went wrong that is not a failed command (a
/// task marked failed, a decision answered NO-GO).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setback {
    /// Go on with the checklist.
    GoOn,
    /// Stop the run here.
    Stop,
    /// To the step with this index (this one stays recorded as failed).
    GoTo(usize),
    /// Start the contingency section at this index of `View::contingency`.
    Contingency(usize),
}

/// The answer after an answer came out on the failing side: a choice
/// answered `No` or `NO-GO`, a number that misses its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerChoice {
    /// Go on; the step stays recorded as failed.
    Continue,
    /// Answer it again.
    Back,
    /// To the step with this index (this one stays recorded as failed).
    GoTo(usize),
    Abort,
    /// Start the contingency section at this index of `View::contingency`.
    Contingency(usize),
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
    /// Back to the step before.
    Back,
    /// To the step with this index.
    GoTo(usize),
    /// Start the contingency section at this index of `View::contingency`.
    Contingency(usize),
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
    /// A value for a blank, or where to go instead.
    fn blank(&mut self, view: &View) -> Result<Reply<String>>;
    /// One of `options`, by index, or where to go instead.
    fn choice(&mut self, view: &View, options: &[String]) -> Result<Reply<usize>>;
    /// An answer came out on the failing side, for `reason`.
    fn answer_failed(&mut self, view: &View, reason: &str) -> Result<AnswerChoice>;
    /// A value for a placeholder in the command about to run; asked without
    /// echo when `secret`. `Value` typed, `FromFile` from the answers file,
    /// `Leave`: nobody to ask.
    fn placeholder(&mut self, placeholder: &Placeholder, secret: bool) -> Result<Reply<String>>;
    /// A typed confirmation (`yes`) for something that needs a person even
    /// under `--yes`. `None`: no person can be asked.
    fn confirm_typed(&mut self, question: &str) -> Result<Option<bool>>;
    /// After a command with an `Expected` hint ran: did the output match?
    /// `None`: nobody to say.
    fn verify(&mut self, hint: &str) -> Result<Option<bool>>;
    /// Something went wrong (`what`: "Smoke test failed"): go on, stop, go
    /// to another step, or start one of `view.contingency`.
    fn setback(&mut self, view: &View, what: &str) -> Result<Setback>;
    /// A contingency section (`title`) is done: `true` returns to where the
    /// run was, `false` stops it.
    fn after_contingency(&mut self, title: &str) -> Result<bool>;
    /// One of a group of alternatives (`options`, their labels), by index.
    /// `None`: nobody to choose.
    fn choose(&mut self, view: &View, options: &[String]) -> Result<Option<usize>>;
    /// A step done by hand takes `wait`: count it down. How long the
    /// operator actually waited; `None`: nobody to wait.
    fn wait(&mut self, view: &View, wait: Duration) -> Result<Option<Duration>>;
}

/// How many columns the terminal standard output goes to has, when it is one.
pub fn terminal_width() -> Option<usize> {
    console::Term::stdout()
        .size_checked()
        .map(|(_, cols)| usize::from(cols))
}

/// Puts the terminal back as a prompt found it (its modes, the cursor shown),
/// before exiting.
pub fn restore_terminal() {
    line::restore();
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

/// The progress line followed by the step's text; for a part of an item
/// (whose line said where the run is), the part's text alone, indented.
pub fn progress_with_text(view: &View) -> String {
    if view.part {
        return format!("  {}", view.step.text);
    }
    let head = progress(view);
    if view.step.heading.is_empty() {
        format!("{head} {}", view.step.text)
    } else {
        format!("{head} · {}", view.step.text)
    }
}
