//! A block that took the shell's working directory away (removed, moved or
//! replaced it), here or on a host: said right after it, recorded on its
//! step, and, in an unattended run, no block runs in a directory that is
//! gone (here, or on that host) unless it moves out of it first.

use super::Run;
use crate::doc::{Command, Runner, Step};
use crate::error::Result;
use crate::exec::{BlockEnd, LostCwd};
use crate::record::{HostStatus, Outcome, Reason};

impl Run<'_> {
    /// After an attempt: what the block did to the shell's directory, here
    /// or on each host, said on the terminal and recorded in `outcome`.
    pub(super) fn note_lost_cwd(&mut self, step: &Step, end: &BlockEnd, outcome: &mut Outcome) {
        if end.hosts.is_empty() {
            let Some(lost) = self.now_lost(None, end.lost_cwd.as_ref()) else {
                return;
            };
            let place = self.place(step);
            outcome.add(Reason::CwdGone);
            push_note(&mut outcome.output, &self.secrets.redact(&note_line(&lost)));
            let next = match &lost {
                LostCwd::Gone(_) if self.settings.attended() => {
                    "The next blocks would run in a directory that is gone: start the next \
                     one with `cd` to where it should run (edit it at its prompt)."
                }
                LostCwd::Gone(_) => {
                    "The next blocks would run in a directory that is gone: this unattended \
                     run does not run one there unless it starts with `cd` (or has an \
                     absolute `cwd=`)."
                }
                LostCwd::Replaced(_) => {
                    "Relative paths in the next blocks act in the old directory: start the \
                     next one with `cd` to where it should run."
                }
            };
            let what = self.secrets.redact(&lost.describe());
            self.operator
                .say(&format!("warning: {place}: {what}. {next}"));
            return;
        }
        for (host, ended) in outcome.hosts.iter_mut().zip(&end.hosts) {
            if let Some(lost @ LostCwd::Gone(dir)) = &ended.lost_cwd {
                // Resuming, a host this block reached first: its directory
                // was found gone only now, as the up-front check did at once.
                let said = format!(
                    "warning: {}: on {}: the shell's working directory when the run stopped, \
                     {dir}, no longer exists (the host was first reached as this block \
                     started). {}",
                    self.place(step),
                    host.host,
                    next_on_host(lost, self.settings.attended())
                );
                let said = self.secrets.redact(&said);
                self.operator.say(&said);
                self.lost_cwd.insert(Some(host.host.clone()), lost.clone());
            }
            let crate::exec::Reach::Ran(e) = &ended.reach else {
                continue;
            };
            if host.status == HostStatus::Skipped {
                continue;
            }
            let Some(lost) = self.now_lost(Some(&host.host), e.lost_cwd.as_ref()) else {
                continue;
            };
            if !host.reasons.contains(&Reason::CwdGone) {
                host.reasons.push(Reason::CwdGone);
            }
            push_note(&mut host.output, &self.secrets.redact(&note_line(&lost)));
            let what = self.secrets.redact(&lost.describe());
            let place = self.place(step);
            let next = next_on_host(&lost, self.settings.attended());
            self.operator.say(&format!(
                "warning: {place}: on {}: {what}. {next}",
                host.host
            ));
        }
    }

    /// Resuming on a fleet, before a block is asked about: the shell state
    /// saved for each host it runs on is taken back there, and a host whose
    /// shell was in a directory that is gone now (a block removed it, or
    /// it went while the run was stopped) is one a block took it away
    /// from: refused there unattended, a reminder at a terminal. A host
    /// whose directory is there again goes on in it.
    pub(super) fn take_back_hosts(&mut self, step: &Step, command: &Command) -> Result<()> {
        if !self.resuming {
            return Ok(());
        }
        let skip = Self::hosts_to_skip(self.recorder.outcome(&step.id()), false);
        let interrupt = self.signals.interrupt.clone();
        let terminate = self.signals.terminate.clone();
        let stop = move || {
            terminate.load(std::sync::atomic::Ordering::SeqCst)
                || interrupt.load(std::sync::atomic::Ordering::SeqCst)
        };
        let back = self
            .exec
            .take_back(command.attrs.on.as_deref(), &skip, &stop)?;
        for line in &back.said {
            let line = self.secrets.redact(line);
            self.operator.say(&line);
        }
        for (host, lost) in back.lost {
            let LostCwd::Gone(dir) = &lost else {
                continue;
            };
            let said = format!(
                "warning: {}: on {host}: the shell's working directory when the run stopped, \
                 {dir}, no longer exists. {}",
                self.place(step),
                next_on_host(&lost, self.settings.attended())
            );
            let said = self.secrets.redact(&said);
            self.operator.say(&said);
            self.lost_cwd.insert(Some(host), lost);
        }
        Ok(())
    }

    /// Keeps what a block left of the shell's directory on `host`: the
    /// directory lost, when this block is the one that took it away (not
    /// when it was lost already, and the block did nothing about it).
    fn now_lost(&mut self, host: Option<&str>, after: Option<&LostCwd>) -> Option<LostCwd> {
        let Some(after) = after else {
            if !self.lost_cwd.is_empty() {
                self.lost_cwd.remove(&host.map(str::to_string));
            }
            return None;
        };
        let before = self
            .lost_cwd
            .insert(host.map(str::to_string), after.clone());
        (before.as_ref() != Some(after)).then(|| after.clone())
    }

    /// Before a block is asked about at a terminal: a reminder when it
    /// would run in a directory that is gone, here or on hosts.
    pub(super) fn remind_lost_cwd(&mut self, command: &Command) -> Result<()> {
        let lost = self.runs_in_lost_cwd(command)?;
        let said = match lost.as_slice() {
            [] => return Ok(()),
            [(None, dir)] => format!(
                "warning: this block would run in {dir}, which no longer exists; edit it to \
                 start with `cd` to where it should run, unless it does"
            ),
            hosts => format!(
                "warning: {}; edit it to start with `cd` to where it should run, unless it does",
                on_hosts(hosts, "this block would run in")
            ),
        };
        let said = self.secrets.redact(&said);
        self.operator.say(&said);
        Ok(())
    }

    /// Unattended, a block that would run in a directory that is gone and
    /// does not move out of it first (`text` is what would run): why it
    /// must be confirmed, as a CI step whose working directory is missing
    /// fails, and, on a fleet, the hosts it is refused on when nobody
    /// confirms it. In a contingency section it is only said: a rollback
    /// must not stop for it.
    pub(super) fn lost_cwd_to_confirm(
        &mut self,
        step: &Step,
        command: &Command,
        text: &str,
    ) -> Result<Option<LostGate>> {
        if self.settings.attended() || self.lost_cwd.is_empty() {
            return Ok(None);
        }
        let lost = self.runs_in_lost_cwd(command)?;
        if lost.is_empty() || moves_first(command, text) {
            return Ok(None);
        }
        if self.book.contingency_of(step.index as usize).is_some() {
            let where_ = match lost.as_slice() {
                [(None, dir)] => format!("this block runs in {dir}, which no longer exists"),
                hosts => on_hosts(hosts, "this block runs in"),
            };
            let said = self.secrets.redact(&format!(
                "warning: {}: {where_} (it is in a contingency section, which runs all the same)",
                self.place(step)
            ));
            self.operator.say(&said);
            return Ok(None);
        }
        let (what, hosts) = match lost.as_slice() {
            [(None, dir)] => (
                format!(
                    "It would run in {dir}, which no longer exists: an earlier block removed or \
                     moved the shell's working directory."
                ),
                Vec::new(),
            ),
            hosts => {
                let what = format!(
                    "{}: an earlier block removed or moved the shell's working directory there.",
                    capitalised(&on_hosts(hosts, "it would run in"))
                );
                let refused = hosts
                    .iter()
                    .filter_map(|(host, dir)| {
                        let note = format!(
                            "it would run in {dir}, which no longer exists (an earlier block \
                             removed or moved it); nobody was at a terminal to confirm it"
                        );
                        host.clone().map(|h| (h, self.secrets.redact(&note)))
                    })
                    .collect();
                (what, refused)
            }
        };
        Ok(Some(LostGate {
            what: self.secrets.redact(&what),
            hosts,
        }))
    }

    /// Where `command` would run in a directory that is gone: this
    /// machine (`None`) or each of its hosts still in the run, with the
    /// directory.
    fn runs_in_lost_cwd(&mut self, command: &Command) -> Result<Vec<(Option<String>, String)>> {
        if self.lost_cwd.is_empty() {
            return Ok(Vec::new());
        }
        let gone = |lost: Option<&LostCwd>| match lost {
            Some(LostCwd::Gone(dir)) => Some(dir.clone()),
            _ => None,
        };
        let Some(targets) = self.exec.targets(command.attrs.on.as_deref())? else {
            return Ok(gone(self.lost_cwd.get(&None))
                .map(|dir| (None, dir))
                .into_iter()
                .collect());
        };
        Ok(targets
            .hosts
            .into_iter()
            .filter_map(|host| {
                let dir = gone(self.lost_cwd.get(&Some(host.clone())))?;
                Some((Some(host), dir))
            })
            .collect())
    }
}

/// A block that would run in a directory that is gone, unattended: what
/// to ask or refuse it for, and on a fleet the hosts concerned, each with
/// the note its line gets when the block is refused there.
pub(super) struct LostGate {
    pub what: String,
    pub hosts: Vec<(String, String)>,
}

/// What the next blocks on a host whose shell's directory is `lost` do.
fn next_on_host(lost: &LostCwd, attended: bool) -> &'static str {
    match lost {
        LostCwd::Gone(_) if attended => {
            "The next blocks on it would run in a directory that is gone: start the next one \
             with `cd` to where it should run (edit it at its prompt)."
        }
        LostCwd::Gone(_) => {
            "The next blocks on it would run in a directory that is gone: this unattended run \
             does not run one there unless it starts with `cd` (or has an absolute `cwd=`)."
        }
        LostCwd::Replaced(_) => {
            "Relative paths in the next blocks on it act in the old directory: start the next \
             one with `cd` to where it should run."
        }
    }
}

/// `on web-2, <lead> /srv/a, which no longer exists`, for each host.
fn on_hosts(hosts: &[(Option<String>, String)], lead: &str) -> String {
    let parts: Vec<String> = hosts
        .iter()
        .map(|(host, dir)| {
            format!(
                "on {}, {lead} {dir}, which no longer exists",
                host.as_deref().unwrap_or("this machine")
            )
        })
        .collect();
    parts.join("; ")
}

/// `text` with its first letter in capitals.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The line the output of a block that took the shell's directory away
/// ends in: the transcript's record of which directory.
fn note_line(lost: &LostCwd) -> String {
    format!("[runsheet: {}]\n", lost.describe())
}

/// `note` added to `output` on a line of its own.
fn push_note(output: &mut String, note: &str) {
    if !output.is_empty() && !output.ends_with('\n') {
        output.push('\n');
    }
    output.push_str(note);
}

/// Whether a block leaves the shell's directory before anything else: an
/// absolute `cwd=`, or a shell block whose first command (after `set`
/// lines and comments) is `cd` or `pushd`.
pub(super) fn moves_first(command: &Command, text: &str) -> bool {
    match command.attrs.cwd.as_deref() {
        Some(dir) if dir.starts_with('/') => return true,
        // `pushd` into it, from the directory that is gone, before the text.
        Some(_) => return false,
        None => {}
    }
    if !matches!(command.runner, Runner::Shell) {
        return false;
    }
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !is_set(l));
    let Some(first) = first else {
        return false;
    };
    let first = first.strip_prefix("builtin ").unwrap_or(first).trim_start();
    let word = first
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|'))
        .next()
        .unwrap_or_default();
    matches!(word, "cd" | "pushd")
}

/// `set -euo pipefail` and the like: options, not a command that runs
/// anywhere.
fn is_set(line: &str) -> bool {
    line == "set" || (line.starts_with("set ") && !line.contains([';', '&', '|']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_that_moves_first_is_told_apart() {
        let text = "```bash\nx\n```\n\n```bash {cwd=/srv}\nx\n```\n\n```bash {cwd=rel}\nx\n```\n\n```python\nx\n```\n";
        let book = crate::doc::parse(&crate::source::Source::from_text(
            std::path::Path::new("t.md"),
            text.to_string(),
        ));
        let commands: Vec<&Command> = book.steps.iter().filter_map(Step::command).collect();
        let (plain, absolute, relative, python) =
            (commands[0], commands[1], commands[2], commands[3]);
        for text in [
            "cd /srv/app\n./deploy",
            "  cd\n",
            "# go home first\n\nset -euo pipefail\ncd ~ && ls",
            "pushd /tmp >/dev/null",
            "builtin cd -- \"$WORKDIR\"",
            "cd;ls",
        ] {
            assert!(moves_first(plain, text), "{text:?}");
        }
        for text in [
            "ls && cd /srv",
            "cdk deploy",
            "set -e; ls",
            "echo cd",
            "",
            "# cd /srv",
        ] {
            assert!(!moves_first(plain, text), "{text:?}");
        }
        assert!(moves_first(absolute, "ls"));
        assert!(!moves_first(relative, "ls"));
        assert!(!moves_first(relative, "cd /srv"));
        assert!(!moves_first(python, "cd /srv"));
    }
}
