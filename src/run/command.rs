//! Command steps: the gate before a block runs (the operator's say, its
//! placeholders, the destructive-command guard), its attempts, and what
//! happens after one fails.

use super::{Flow, Run};
use crate::doc::attrs::OnFail;
use crate::doc::{Command, Step};
use crate::error::Result;
use crate::operator::{CommandChoice, FailureChoice};
use crate::record::{CONFIRMED_BY, HostStatus, Outcome, Reason, Status};

/// A block cleared to run: its text as it will run, and what the guard said.
pub(super) struct Cleared {
    /// The command as it runs: edits applied, placeholders filled.
    pub text: String,
    /// Whether `text` differs from the runbook's block.
    pub changed: bool,
    /// Whether the operator edited it (beyond filling placeholders).
    pub edited: bool,
    /// The placeholders filled in it, with their values as shown (a
    /// secret's as `•••`) and whether the answers file gave each, in the
    /// order they were filled.
    pub fills: Vec<(String, String, bool)>,
    /// What looks destructive in it (empty when nothing does).
    pub destructive: Vec<String>,
    /// Who typed `yes` for it.
    pub confirmed_by: Option<String>,
    /// On a fleet, the hosts it is refused on, each with why: its shell's
    /// directory is gone there, and nobody was at a terminal to confirm it.
    pub refused_hosts: Vec<(String, String)>,
}

impl Cleared {
    /// Records in `outcome` what the guard's say was, and how the command
    /// came to differ from the runbook's.
    pub fn note_in(&self, outcome: &mut Outcome) {
        if self.edited {
            outcome.add(Reason::Edited);
        }
        outcome.set_fills(&self.fills);
        if let Some(who) = &self.confirmed_by {
            outcome.add(Reason::Confirmed);
            outcome.note = Some(format!("{CONFIRMED_BY}{who}"));
        } else if !self.destructive.is_empty() {
            outcome.add(Reason::AllowedDestructive);
        }
    }
}

/// What the gate decided.
enum Gate {
    Run(Cleared),
    /// Not run; the walk goes on like this.
    Done(Flow),
}

impl Run<'_> {
    /// A fenced block: gate, then attempts until one succeeds or the
    /// operator (or `on_fail`, or `--yes`) decides otherwise.
    pub(super) fn command(&mut self, step: &Step, command: &Command) -> Result<Flow> {
        if command.attrs.skip {
            let o = Outcome::new(step.id(), Status::Skipped).because(Reason::Attribute);
            self.record(o, false)?;
            return Ok(Flow::Continue);
        }
        if command.attrs.manual {
            // Shown, not run: the operator does it by hand and says so.
            return self.manual_task(step);
        }
        let mut script = match self.ask_to_run(step, command)? {
            Ok(script) => script,
            Err(flow) => return Ok(flow),
        };
        if let Some(flow) = self.unwatched(step, command, &script)? {
            return Ok(flow);
        }
        let mut edited = script != command.script();
        let mut attempts = 0;
        // On a fleet, what the last attempt did on each host (from the
        // transcript, when resuming): a new one leaves the hosts done alone.
        let mut last = self.recorder.outcome(&step.id()).cloned();
        let mut automatic = false;
        // Where the shell was when the block was first tried: a retry (by
        // `retries=`, the operator, or after an edit) starts there again,
        // so that `cd build && make` does not look for build/build.
        let started_in = self.exec.cwd();
        loop {
            let cleared = match self.gate(step, command, &script, edited)? {
                Gate::Run(cleared) => cleared,
                Gate::Done(flow) => return Ok(flow),
            };
            loop {
                let start_in = started_in
                    .as_deref()
                    .filter(|dir| attempts > 0 && self.exec.cwd().as_deref() != Some(*dir));
                if let Some(dir) = start_in {
                    self.operator.say(&format!(
                        "Starting again in {dir}, where the first attempt started"
                    ));
                }
                attempts += 1;
                let outcome =
                    self.attempt(step, command, &cleared, last.as_ref(), automatic, start_in)?;
                last = Some(outcome.clone());
                if outcome.status == Status::Done {
                    self.record(outcome, false)?;
                    return Ok(Flow::Continue);
                }
                if outcome.only_hosts_left_before() {
                    return self.hosts_left_before(outcome);
                }
                let interrupted = outcome.has(Reason::Interrupted);
                if self.signals.terminating() {
                    self.record(outcome, true)?;
                    return Ok(Flow::Interrupted);
                }
                // On a fleet, `retries=` is for hosts where the block failed:
                // a lost connection is never retried without asking.
                let retriable = outcome.hosts.is_empty()
                    || outcome
                        .hosts
                        .iter()
                        .any(|h| h.status == HostStatus::Failed && !h.has(Reason::Refused));
                if !interrupted && retriable && attempts <= command.attrs.retries as usize {
                    // Each failed try stays in the record, retried or not.
                    self.record(outcome, false)?;
                    self.fail_tasks_above(step)?;
                    self.operator.say(&format!(
                        "Retrying ({attempts} of {})",
                        command.attrs.retries
                    ));
                    automatic = true;
                    continue;
                }
                automatic = false;
                let choice = self.after_failure(step, command, &cleared.text, outcome)?;
                if matches!(
                    choice,
                    FailureChoice::Retry | FailureChoice::Edit | FailureChoice::Skip
                ) {
                    self.fail_tasks_above(step)?;
                }
                match choice {
                    FailureChoice::Retry => {}
                    FailureChoice::Edit => {
                        // The edited block is shown and asked about, then
                        // goes through the gate again.
                        let changed = self.operator.edit(&script)?;
                        script = match self.offer(step, changed)? {
                            Ok(script) => script,
                            Err(flow) => return Ok(flow),
                        };
                        edited = script != command.script();
                        break;
                    }
                    FailureChoice::Skip => {
                        let o = Outcome::new(step.id(), Status::Skipped);
                        self.record(o, false)?;
                        return Ok(Flow::Continue);
                    }
                    FailureChoice::Quit => return Ok(Flow::Interrupted),
                    FailureChoice::Back => return Ok(self.back(step.at())),
                    FailureChoice::GoTo(target) => return Ok(self.go(step.at(), target)),
                    FailureChoice::Ignore => return Ok(Flow::Continue),
                    FailureChoice::Abort if interrupted && !self.settings.attended() => {
                        return Ok(Flow::Interrupted);
                    }
                    FailureChoice::Abort => return Ok(Flow::Stop),
                    // Asked for and run in `after_failure`, which never returns it.
                    FailureChoice::Contingency(_) => return Ok(Flow::Stop),
                }
            }
        }
    }

    /// Shows the block and asks to run it (edits allowed): the script to
    /// run, or where the walk goes when the operator skipped it (recorded)
    /// or quit.
    fn ask_to_run(
        &mut self,
        step: &Step,
        command: &Command,
    ) -> Result<std::result::Result<String, Flow>> {
        self.before_prompt()?;
        if let Some(flow) = self.say_hosts(step, command)? {
            return Ok(Err(flow));
        }
        self.take_back_hosts(step, command)?;
        // What the block did last time: before the prompt at a terminal,
        // after the block's heading when unattended.
        let earlier = self
            .recorder
            .outcome(&step.id())
            .and_then(crate::screen::last_time)
            .map(|said| self.secrets.redact(&said));
        if self.settings.attended() {
            self.remind_lost_cwd(command)?;
            if let Some(said) = &earlier {
                self.operator.say(said);
            }
            if let Some(what) = crate::guard::endless(&command.script()) {
                let how = if self.exec.targets(command.attrs.on.as_deref())?.is_some() {
                    "press Ctrl-C when you have seen enough"
                } else {
                    "press Ctrl-C when you have seen enough, and it is recorded as done"
                };
                let said = format!("This block does not end by itself (`{what}`): {how}.");
                self.operator.say(&self.secrets.redact(&said));
            }
        }
        let offered = self.offer(step, command.script())?;
        if let (false, Ok(_), Some(said)) = (self.settings.attended(), &offered, &earlier) {
            self.operator.say(said);
        }
        Ok(offered)
    }

    /// Unattended, a block that does not end by itself (`tail -f`,
    /// `kubectl get pods -w`) and has no timeout: nobody is there to stop
    /// it, so it is not run but left not confirmed, as a task for a person
    /// is, and the run goes on. With a timeout it runs for that long.
    fn unwatched(&mut self, step: &Step, command: &Command, script: &str) -> Result<Option<Flow>> {
        if self.settings.attended() || command.attrs.timeout.or(self.settings.timeout).is_some() {
            return Ok(None);
        }
        let Some(what) = crate::guard::endless(script) else {
            return Ok(None);
        };
        let said = format!(
            "{}: not run: `{what}` does not end by itself, and nobody is here to stop it; \
             give the block a timeout (```bash {{timeout=2m}}) or run with --timeout to watch it for that long",
            self.place(step)
        );
        self.operator.say(&self.secrets.redact(&said));
        let o = Outcome::new(step.id(), Status::NotConfirmed).because(Reason::Endless);
        self.record(o, false)?;
        Ok(Some(Flow::Continue))
    }

    /// Shows `script` as it will run and asks to run it; an edit is shown
    /// and asked about again. The script to run, or where the walk goes.
    fn offer(
        &mut self,
        step: &Step,
        mut script: String,
    ) -> Result<std::result::Result<String, Flow>> {
        loop {
            // A templated runbook's secrets run, but are not shown.
            let shown = self.secrets.redact(&script);
            let view = self.view(step, &shown);
            match self.operator.command(&view)? {
                CommandChoice::Run => return Ok(Ok(script)),
                CommandChoice::Skip => {
                    self.record(Outcome::new(step.id(), Status::Skipped), false)?;
                    return Ok(Err(Flow::Continue));
                }
                CommandChoice::Edit => script = self.operator.edit(&script)?,
                CommandChoice::Quit => return Ok(Err(Flow::Interrupted)),
                CommandChoice::Back => return Ok(Err(self.back(step.at()))),
                CommandChoice::GoTo(target) => return Ok(Err(self.go(step.at(), target))),
                CommandChoice::Contingency(k) => match self.start_asked(k, step)? {
                    Flow::Continue => self.before_prompt()?,
                    flow => return Ok(Err(flow)),
                },
            }
        }
    }

    /// Fills the placeholders of `script`, then lets the destructive-command
    /// guard and `confirm` look at what will run.
    fn gate(&mut self, step: &Step, command: &Command, script: &str, edited: bool) -> Result<Gate> {
        let place = self.place(step);
        let (text, fills) = match self.fill_placeholders(step, script)? {
            Ok(filled) => filled,
            Err(missing) => {
                self.operator.say(&format!(
                    "{place}: cannot run: no value for {missing}; give it in an answers file (--answers) or run interactively"
                ));
                let mut o = Outcome::new(step.id(), Status::Failed).because(Reason::Unfilled);
                o.output = format!("[runsheet: no value for {missing}]\n");
                self.record(o, true)?;
                if self.settings.attended() {
                    return Ok(Gate::Done(Flow::Continue));
                }
                return Ok(Gate::Done(self.after_unattended_failure(step, script)?));
            }
        };
        let mut edited = edited;
        let mut text = text;
        if self.settings.attended() && text != script {
            // What runs is shown, values filled in, before it runs.
            self.operator
                .say("  With its placeholders filled in, it runs as:");
            match self.offer(step, text.clone())? {
                Ok(asked) => {
                    edited |= asked != text;
                    text = asked;
                }
                Err(flow) => return Ok(Gate::Done(flow)),
            }
        }
        let lost_cwd = self.lost_cwd_to_confirm(step, command, &text)?;
        // The guard looks at what will run: edits and placeholder values included.
        let destructive = crate::guard::assess(command.attrs.danger, &text);
        let guarded = !destructive.is_empty() && !self.settings.allow_destructive;
        let changed = edited || text != script;
        let cleared = |confirmed_by| Cleared {
            text: text.clone(),
            changed,
            edited,
            fills: fills.clone(),
            destructive: destructive.clone(),
            confirmed_by,
            refused_hosts: Vec::new(),
        };
        if !command.attrs.confirm && !guarded && lost_cwd.is_none() {
            return Ok(Gate::Run(cleared(None)));
        }
        let mut what = if guarded {
            format!("This block looks destructive ({}).", destructive.join(", "))
        } else if command.attrs.confirm {
            "This block is marked `confirm`.".to_string()
        } else {
            String::new()
        };
        if let Some(lost) = &lost_cwd {
            if !what.is_empty() {
                what.push(' ');
            }
            what.push_str(&lost.what);
        }
        if let Some(t) = self.exec.targets(command.attrs.on.as_deref())? {
            what.push_str(&format!(
                " It runs on {} host{}: {}.",
                t.hosts.len(),
                if t.hosts.len() == 1 { "" } else { "s" },
                t.hosts.join(", ")
            ));
        }
        match self.operator.confirm_typed(&what)? {
            Some(true) => Ok(Gate::Run(cleared(Some(
                self.recorder.info().operator.clone(),
            )))),
            Some(false) => {
                let o = Outcome::new(step.id(), Status::Skipped).because(Reason::Declined);
                self.record(o, false)?;
                Ok(Gate::Done(Flow::Continue))
            }
            // Only the hosts whose directory is gone: refused there, as a
            // host the block fails on, and run on the others.
            None if !guarded
                && !command.attrs.confirm
                && lost_cwd.as_ref().is_some_and(|l| !l.hosts.is_empty()) =>
            {
                let lost = lost_cwd.expect("checked just above");
                let names: Vec<&str> = lost.hosts.iter().map(|(h, _)| h.as_str()).collect();
                self.operator.say(&format!(
                    "{place}: refused on {}: {} Nobody is at a terminal to confirm it; start \
                     the block with `cd` to where it should run.",
                    names.join(", "),
                    lost.what
                ));
                let mut cleared = cleared(None);
                cleared.refused_hosts = lost.hosts;
                Ok(Gate::Run(cleared))
            }
            None => {
                let hint = if lost_cwd.is_some() && guarded {
                    " start the block with `cd` to where it should run, and use \
                     --allow-destructive if this unattended run may do it."
                } else if lost_cwd.is_some() {
                    " start the block with `cd` to where it should run, or resume on a terminal."
                } else if guarded {
                    " use --allow-destructive if this unattended run may do it."
                } else {
                    " run it interactively to confirm it."
                };
                self.operator.say(&format!(
                    "{place}: refused: {what} Nobody is at a terminal to confirm it;{hint}"
                ));
                let mut o = Outcome::new(step.id(), Status::Failed).because(Reason::Refused);
                o.note = Some(what);
                self.record(o, true)?;
                Ok(Gate::Done(self.after_unattended_failure(step, script)?))
            }
        }
    }

    /// Records a failed attempt and asks what next: `on_fail` decides if the
    /// block says, else the operator (who, under `--yes`, stops or goes on).
    fn after_failure(
        &mut self,
        step: &Step,
        command: &Command,
        text: &str,
        mut outcome: Outcome,
    ) -> Result<FailureChoice> {
        let interrupted = outcome.has(Reason::Interrupted);
        let reason = failure_reason(&outcome, command.attrs.expect_exit.unwrap_or(0));
        self.record(outcome.clone(), true)?;
        let attended = self.settings.attended();
        let choice = match command.attrs.on_fail {
            Some(OnFail::Continue) if !interrupted => FailureChoice::Ignore,
            Some(OnFail::Stop) => FailureChoice::Abort,
            _ if !attended && interrupted => FailureChoice::Abort,
            _ if !attended && !outcome.hosts.is_empty() => self.unattended_hosts_choice(&outcome),
            _ => loop {
                let view = self.view(step, text);
                match self.operator.failed(&view, &reason)? {
                    // A contingency section, then back to this question or stop.
                    FailureChoice::Contingency(k) => match self.start_after_failure(k, step)? {
                        Flow::Continue | Flow::Goto(_) => self.before_prompt()?,
                        Flow::Interrupted => return Err(crate::error::Error::Interrupted),
                        Flow::Stop => break FailureChoice::Abort,
                    },
                    choice => break choice,
                }
            },
        };
        if choice == FailureChoice::Ignore && attended {
            outcome.add(Reason::Ignored);
            self.amend(outcome, false)?;
        }
        Ok(choice)
    }
}

/// Why a block failed, in the words the failure prompt opens with.
fn failure_reason(outcome: &Outcome, expected_exit: i32) -> String {
    let exit = outcome.exit.unwrap_or(1);
    if !outcome.hosts.is_empty() && !outcome.has(Reason::Mismatch) {
        super::hosts::failure_reason(outcome)
    } else if outcome.has(Reason::Timeout) {
        "The block timed out.".into()
    } else if outcome.has(Reason::Interrupted) {
        "The block was interrupted.".into()
    } else if outcome.has(Reason::Mismatch) {
        "The step failed: you said its output was not what was expected.".into()
    } else if outcome.has(Reason::Expect) {
        "The step failed: its output does not contain what `expect` asks for.".into()
    } else if exit != expected_exit && expected_exit != 0 {
        format!("The block exited {exit}, not the {expected_exit} that `expect_exit` asks for.")
    } else {
        format!("The block failed (exit {exit}).")
    }
}
