//! One attempt at a block: run it through the executor, then judge the
//! outcome by its exit code, `expect`, the example output, and the operator's
//! check of an `Expected` hint.

use std::sync::atomic::Ordering;

use super::Run;
use super::command::Cleared;
use crate::doc::{Command, Step};
use crate::error::Result;
use crate::exec::Block;
use crate::exec::output::Live;
use crate::record::{Outcome, Reason, Status};
use crate::screen::status::StatusLine;

impl Run<'_> {
    /// Runs `cleared` once and returns its outcome (not yet recorded). On a
    /// fleet, `last` is the block's previous outcome, whose hosts done (and,
    /// when the retry is `automatic`, lost) are not run again. `start_in`:
    /// the directory a retry starts in again (see `Block::start_in`).
    pub(super) fn attempt(
        &mut self,
        step: &Step,
        command: &Command,
        cleared: &Cleared,
        last: Option<&Outcome>,
        automatic: bool,
        start_in: Option<&str>,
    ) -> Result<Outcome> {
        // A block takes time: what the run holds is saved first.
        self.started()?;
        let id = step.id();
        let block = Block {
            id: &id,
            script: &cleared.text,
            runner: &command.runner,
            cwd: command.attrs.cwd.as_deref(),
            start_in,
            timeout: command.attrs.timeout.or(self.settings.timeout),
            // A secret the block sets is masked in what it prints after, live too.
            watch: self.secrets.names_in(&cleared.text),
            on: command.attrs.on.as_deref(),
            serial: command.attrs.serial,
            max_fail: command.attrs.max_fail,
            skip_hosts: Self::hosts_to_skip(last, automatic),
            refuse_hosts: cleared.refused_hosts.clone(),
            may_run_in_lost_cwd: super::cwd::moves_first(command, &cleared.text)
                || self.book.contingency_of(step.index as usize).is_some(),
            expect_exit: command.attrs.expect_exit.unwrap_or(0),
            expect: command.attrs.expect.as_deref(),
        };
        let interrupt = self.signals.interrupt.clone();
        interrupt.store(false, Ordering::SeqCst);
        let terminate = self.signals.terminate.clone();
        let int = interrupt.clone();
        // Ctrl-C, SIGTERM or SIGHUP: stop the block and whatever it started.
        let stop = move || terminate.load(Ordering::SeqCst) || int.load(Ordering::SeqCst);
        let runbook = self.recorder.source().display_path();
        let status = StatusLine::start(self.status_label(step));
        // bash numbers the block's lines from the line after its fence.
        let lines = self.recorder.source().lines_after(step.span().start);
        let mut live = Live::new(&self.secrets, status, runbook.clone(), lines.clone());
        let end = self.exec.run(&block, &stop, &mut live)?;
        let (capture, learnt) = live.finish();
        for value in &learnt {
            self.secrets.add(value);
        }
        let vars = self.exec.fresh_variables();
        self.secrets
            .learn(vars.iter().map(|(k, v)| (k.as_str(), v.clone())));

        let mut outcome = Outcome::new(id, Status::Failed);
        outcome.exit = Some(end.exit);
        outcome.ms = end.duration.as_millis() as u64;
        let output = self
            .exec
            .locate(&capture.text(&self.secrets), &runbook, &lines);
        outcome.output = self.secrets.redact(&output);
        let by_hand = interrupt.swap(false, Ordering::SeqCst);
        let terminating = self.signals.terminating();
        // A block that does not end by itself ends as it is meant to when
        // its timeout stops it, or the operator at the terminal presses
        // Ctrl-C (not a hang-up, nor a TERM: those stop the run).
        let watched = end.hosts.is_empty()
            && !end.session_restarted
            && (end.timed_out || (by_hand && !terminating && self.settings.attended()))
            && crate::guard::endless(&cleared.text).is_some();
        if watched {
            outcome.add(Reason::Endless);
        } else {
            if end.timed_out {
                outcome.add(Reason::Timeout);
            }
            if end.interrupted || by_hand || terminating || end.exit == 130 {
                outcome.add(Reason::Interrupted);
            }
        }
        if end.session_restarted {
            outcome.add(Reason::Restarted);
        }
        if !end.state_saved {
            self.operator.say(
                "warning: the shell state after this block could not be saved (is the disk full?); \
                 a resume would restore the state saved after the block before",
            );
        }
        if watched {
            outcome.status = Status::Done;
        } else if end.hosts.is_empty() {
            outcome.status = judge(command, &end, &mut outcome);
        } else {
            (outcome.hosts, outcome.status) = self.host_outcomes(step, command, &end, last);
        }
        if cleared.changed {
            outcome.ran = Some(self.secrets.redact(&cleared.text));
        }
        cleared.note_in(&mut outcome);
        let example = command.example_output();
        if !example.trim().is_empty() && !cleared.changed && outcome.hosts.is_empty() {
            let same = normalise_output(&example) == normalise_output(&outcome.output);
            outcome.add(if same {
                Reason::ExampleMatches
            } else {
                Reason::ExampleDiffers
            });
        }
        // Said once the output is judged: the note it adds is runsheet's.
        self.note_lost_cwd(step, &end, &mut outcome);
        if outcome.status == Status::Done
            && let Some(hint) = command.hint()
        {
            match self.operator.verify(hint)? {
                Some(true) => outcome.add(Reason::Verified),
                Some(false) => {
                    outcome.add(Reason::Mismatch);
                    outcome.status = Status::Failed;
                }
                None => outcome.add(Reason::NotVerified),
            }
        }
        Ok(outcome)
    }
}

/// Done or failed, by the exit code the block should have and `expect=`.
fn judge(command: &Command, end: &crate::exec::BlockEnd, outcome: &mut Outcome) -> Status {
    let attrs = &command.attrs;
    if end.timed_out || outcome.has(Reason::Interrupted) {
        return Status::Failed;
    }
    if end.exit != attrs.expect_exit.unwrap_or(0) {
        if attrs.expect_exit.is_some() {
            outcome.add(Reason::UnexpectedExit);
        }
        return Status::Failed;
    }
    let expectation = attrs
        .expect
        .as_deref()
        .map(|e| crate::doc::attrs::expectation_met(e, &outcome.output));
    if let Some(Err(message)) = expectation {
        outcome
            .output
            .push_str(&format!("\n[runsheet: {message}]\n"));
        outcome.add(Reason::Expect);
        return Status::Failed;
    }
    Status::Done
}

/// Output lines without trailing spaces or blank lines, for comparing with an example.
fn normalise_output(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect()
}
