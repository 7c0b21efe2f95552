//! A block run on hosts of a fleet, as the run loop sees it: one outcome with
//! a part for each host, what a new attempt leaves alone, and what happens
//! when some hosts failed.

use std::time::SystemTime;

use super::Run;
use crate::doc::{Command, Step};
use crate::error::Result;
use crate::exec::{BlockEnd, HostEnd, Reach};
use crate::operator::FailureChoice;
use crate::record::{HostOutcome, HostStatus, Outcome, Reason, Status};

impl Run<'_> {
    /// The hosts a new attempt at a block must not run on, given its last
    /// outcome: those it is done on, and, when nobody decided to try again
    /// (`retries=`), those whose connection was lost or that were unreachable.
    pub(super) fn hosts_to_skip(last: Option<&Outcome>, automatic: bool) -> Vec<String> {
        last.map_or_else(Vec::new, |o| {
            o.hosts
                .iter()
                .filter(|h| {
                    h.status == HostStatus::Done
                        || (automatic
                            && matches!(h.status, HostStatus::Lost | HostStatus::Unreachable))
                })
                .map(|h| h.host.clone())
                .collect()
        })
    }

    /// Each host's part of the outcome of a block that ran on a fleet (what
    /// the last outcome holds for hosts not run again), and the block's status:
    /// done when it is done on every host.
    pub(super) fn host_outcomes(
        &self,
        step: &Step,
        command: &Command,
        end: &BlockEnd,
        last: Option<&Outcome>,
    ) -> (Vec<HostOutcome>, Status) {
        let runbook = self.recorder.source().display_path();
        let lines = self.recorder.source().lines_after(step.span().start);
        let hosts: Vec<HostOutcome> = end
            .hosts
            .iter()
            .map(|h| {
                if h.reach == Reach::Kept
                    && let Some(kept) = last.and_then(|o| o.hosts.iter().find(|k| k.host == h.host))
                {
                    return kept.clone();
                }
                let mut o = host_outcome(command, h);
                o.output = self
                    .secrets
                    .redact(&self.exec.locate(&o.output, &runbook, &lines));
                o
            })
            .collect();
        let status = if hosts.iter().all(|h| h.status == HostStatus::Done) {
            Status::Done
        } else {
            Status::Failed
        };
        (hosts, status)
    }

    /// Unattended, some hosts failed: go on without them, as Ansible does,
    /// unless the rollout stopped (`max_fail=`, a whole batch failed) or
    /// no host is left.
    pub(super) fn unattended_hosts_choice(&mut self, outcome: &Outcome) -> FailureChoice {
        let failed: Vec<&str> = outcome
            .hosts
            .iter()
            .filter(|h| h.status.is_failure())
            .map(|h| h.host.as_str())
            .collect();
        let stopped = outcome
            .hosts
            .iter()
            .find(|h| h.status == HostStatus::Stopped);
        let any_done = outcome.hosts.iter().any(|h| h.status == HostStatus::Done);
        if let Some(h) = stopped {
            self.operator.say(&format!(
                "{}; the run stops here.",
                h.note.as_deref().unwrap_or("the rollout stopped")
            ));
            return FailureChoice::Abort;
        }
        if !any_done {
            let refused = outcome.hosts.iter().all(|h| h.has(Reason::Refused));
            self.operator.say(if refused {
                "The block was refused on every host; the run stops here."
            } else {
                "The block failed on every host it ran on; the run stops here."
            });
            return FailureChoice::Abort;
        }
        self.operator.say(&format!(
            "Going on without {}: {} leave{} the run here.",
            failed.join(", "),
            if failed.len() == 1 { "it" } else { "they" },
            if failed.len() == 1 { "s" } else { "" }
        ));
        FailureChoice::Ignore
    }

    /// A fleet block with nothing new gone wrong, recorded: the hosts it did
    /// not run on left the run earlier. The run stops when none is left.
    pub(super) fn hosts_left_before(&mut self, outcome: Outcome) -> Result<super::Flow> {
        let none_ran = !outcome.hosts.iter().any(|h| h.status == HostStatus::Done);
        self.record(outcome, none_ran)?;
        if none_ran {
            self.operator.say(
                "No host is left to run this block on: each of its hosts left the run at an earlier step. The run stops here.",
            );
            return Ok(super::Flow::Stop);
        }
        Ok(super::Flow::Continue)
    }

    /// `On 3 hosts: web-1, web-2, web-3`, before a fleet block is asked
    /// about. `Some(flow)` when it has no host at all to run on (`--limit`
    /// left none of them): recorded as skipped.
    pub(super) fn say_hosts(
        &mut self,
        step: &Step,
        command: &Command,
    ) -> Result<Option<super::Flow>> {
        let Some(targets) = self.exec.targets(command.attrs.on.as_deref())? else {
            return Ok(None);
        };
        if targets.hosts.is_empty() && targets.left.is_empty() {
            let mut o = Outcome::new(step.id(), Status::Skipped);
            o.note = Some("no host to run on: --limit leaves none of its hosts".into());
            self.operator
                .say("No host to run this block on: --limit leaves none of its hosts.");
            self.record(o, false)?;
            return Ok(Some(super::Flow::Continue));
        }
        let mut line = format!(
            "{}: {}",
            on_hosts(targets.hosts.len()),
            targets.hosts.join(", ")
        );
        if !targets.left.is_empty() {
            line.push_str(&format!(
                " ({} left the run earlier)",
                targets.left.join(", ")
            ));
        }
        self.operator.say(&line);
        Ok(None)
    }
}

/// `on 1 host`, `on 3 hosts`.
pub(super) fn on_hosts(n: usize) -> String {
    format!("On {n} host{}", if n == 1 { "" } else { "s" })
}

/// Why a fleet block failed, in the words the failure prompt opens with.
pub(super) fn failure_reason(outcome: &Outcome) -> String {
    let failed: Vec<String> = outcome
        .hosts
        .iter()
        .filter(|h| h.status.is_failure())
        .map(|h| match h.status {
            HostStatus::Failed if h.has(Reason::Timeout) => format!("{}: timed out", h.host),
            HostStatus::Failed if h.has(Reason::Refused) => format!("{}: refused", h.host),
            HostStatus::Failed => format!("{}: exit {}", h.host, h.exit.unwrap_or(1)),
            HostStatus::Lost => format!(
                "{}: connection lost, the block may have finished there",
                h.host
            ),
            _ => format!("{}: unreachable", h.host),
        })
        .collect();
    format!(
        "The block failed on {} of {} hosts ({}). Retry runs it again there; ignore goes on without them.",
        failed.len(),
        outcome.hosts.len(),
        failed.join("; ")
    )
}

/// One host's part, judged as a local block is: exit code, `expect=`.
fn host_outcome(command: &Command, end: &HostEnd) -> HostOutcome {
    let status = match &end.reach {
        Reach::Ran(_) => HostStatus::Failed,
        Reach::Lost => HostStatus::Lost,
        Reach::Unreachable => HostStatus::Unreachable,
        Reach::Left | Reach::Kept => HostStatus::Skipped,
        Reach::Stopped => HostStatus::Stopped,
        Reach::Refused => HostStatus::Failed,
    };
    let mut o = HostOutcome::new(&end.host, status);
    if end.reach == Reach::Refused {
        o.reasons.push(Reason::Refused);
    }
    let finished = end.started + end.duration;
    o.at = rfc3339(finished);
    o.ms = end.duration.as_millis() as u64;
    o.output.clone_from(&end.output);
    o.note.clone_from(&end.note);
    if end.reach == Reach::Lost {
        let said = end.note.as_deref().unwrap_or("the connection closed");
        o.note = Some(format!(
            "connection lost while the block ran ({said}); not retried: it may have finished there"
        ));
    }
    let Reach::Ran(e) = &end.reach else {
        return o;
    };
    o.exit = Some(e.exit);
    if e.timed_out {
        o.reasons.push(Reason::Timeout);
    }
    if e.interrupted {
        o.reasons.push(Reason::Interrupted);
    }
    if e.session_restarted {
        o.reasons.push(Reason::Restarted);
    }
    let attrs = &command.attrs;
    if e.timed_out || e.interrupted {
        return o;
    }
    if e.exit != attrs.expect_exit.unwrap_or(0) {
        if attrs.expect_exit.is_some() {
            o.reasons.push(Reason::UnexpectedExit);
        }
        return o;
    }
    if let Some(Err(message)) = attrs
        .expect
        .as_deref()
        .map(|x| crate::doc::attrs::expectation_met(x, &end.output))
    {
        o.output.push_str(&format!("\n[runsheet: {message}]\n"));
        o.reasons.push(Reason::Expect);
        return o;
    }
    o.status = HostStatus::Done;
    o
}

fn rfc3339(at: SystemTime) -> String {
    jiff::Timestamp::try_from(at)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| crate::record::now())
}
