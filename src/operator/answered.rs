//! An operator that answers from an answers file first, and hands every
//! question the file does not answer to the operator it wraps.

use std::collections::HashSet;
use std::time::Duration;

use super::{
    AnswerChoice, Answers, CommandChoice, FailureChoice, Operator, Reply, Setback, TaskChoice, View,
};
use crate::doc::model::Placeholder;
use crate::error::Result;

pub use crate::record::ANSWERED_IN_FILE;

/// The answers file in front of another operator.
pub struct Answered<O> {
    answers: Answers,
    inner: O,
    /// Blanks and choices the file answered: asked again (the operator went
    /// back to one whose answer failed it), they go to the operator.
    given: HashSet<String>,
}

impl<O: Operator> Answered<O> {
    /// `inner` answers whatever `answers` does not.
    pub fn new(answers: Answers, inner: O) -> Answered<O> {
        Answered {
            answers,
            inner,
            given: HashSet::new(),
        }
    }
}

impl<O> Answered<O> {
    /// The file's answer for the blank or choice in `view`, the first time it is asked.
    fn file_answer(&mut self, view: &View) -> Option<String> {
        let answer = self.answers.for_step(view.step)?;
        self.given.insert(view.step.id()).then_some(answer)
    }
}

impl<O: Operator> Operator for Answered<O> {
    fn attended(&self) -> bool {
        self.inner.attended()
    }

    fn say(&mut self, text: &str) {
        self.inner.say(text);
    }

    fn command(&mut self, view: &View) -> Result<CommandChoice> {
        self.inner.command(view)
    }

    fn failed(&mut self, view: &View, reason: &str) -> Result<FailureChoice> {
        self.inner.failed(view, reason)
    }

    fn answer_failed(&mut self, view: &View, reason: &str) -> Result<AnswerChoice> {
        self.inner.answer_failed(view, reason)
    }

    fn task(&mut self, view: &View) -> Result<(TaskChoice, Option<String>)> {
        let answer = self
            .answers
            .for_step(view.step)
            .map(|a| a.to_ascii_lowercase());
        let choice = match answer.as_deref() {
            Some("done") => TaskChoice::Done,
            Some("skip") => TaskChoice::Skip,
            Some("fail") => TaskChoice::Failed,
            _ => return self.inner.task(view),
        };
        Ok((choice, Some(ANSWERED_IN_FILE.into())))
    }

    fn edit(&mut self, script: &str) -> Result<String> {
        self.inner.edit(script)
    }

    fn blank(&mut self, view: &View) -> Result<Reply<String>> {
        match self.file_answer(view) {
            Some(value) => Ok(Reply::FromFile(value)),
            None => self.inner.blank(view),
        }
    }

    fn choice(&mut self, view: &View, options: &[String]) -> Result<Reply<usize>> {
        // The file's answer was checked against the options when it was read.
        match self
            .file_answer(view)
            .and_then(|a| options.iter().position(|o| *o == a))
        {
            Some(index) => Ok(Reply::FromFile(index)),
            None => self.inner.choice(view, options),
        }
    }

    fn placeholder(&mut self, placeholder: &Placeholder, secret: bool) -> Result<Reply<String>> {
        match self.answers.for_placeholder(&placeholder.name) {
            Some(value) => Ok(Reply::FromFile(value)),
            None => self.inner.placeholder(placeholder, secret),
        }
    }

    fn confirm_typed(&mut self, question: &str) -> Result<Option<bool>> {
        self.inner.confirm_typed(question)
    }

    fn verify(&mut self, hint: &str) -> Result<Option<bool>> {
        self.inner.verify(hint)
    }

    fn setback(&mut self, view: &View, what: &str) -> Result<Setback> {
        self.inner.setback(view, what)
    }

    fn after_contingency(&mut self, title: &str) -> Result<bool> {
        self.inner.after_contingency(title)
    }

    fn choose(&mut self, view: &View, options: &[String]) -> Result<Option<usize>> {
        match self.answers.choice_among(options) {
            Some(index) => Ok(Some(index)),
            None => self.inner.choose(view, options),
        }
    }

    fn wait(&mut self, view: &View, wait: Duration) -> Result<Option<Duration>> {
        self.inner.wait(view, wait)
    }
}
