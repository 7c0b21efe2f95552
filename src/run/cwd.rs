//! A block that took the shell's working directory away (removed, moved or
//! replaced it): said right after it, recorded on its step, and, in an
//! unattended run, no block runs in a directory that is gone unless it
//! moves out of it first.

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
            self.operator.say(&format!(
                "warning: {place}: on {}: {what}. The next blocks on it run there: start \
                 the next one with `cd` to where it should run.",
                host.host
            ));
        }
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
    /// would run in a directory that is gone.
    pub(super) fn remind_lost_cwd(&mut self, command: &Command) -> Result<()> {
        if let Some(LostCwd::Gone(dir)) = self.runs_in_lost_cwd(command)? {
            let said = self.secrets.redact(&format!(
                "warning: this block would run in {dir}, which no longer exists; edit it to \
                 start with `cd` to where it should run, unless it does"
            ));
            self.operator.say(&said);
        }
        Ok(())
    }

    /// Unattended, a block that would run in a directory that is gone and
    /// does not move out of it first (`text` is what would run): why it
    /// must be confirmed, as a CI step whose working directory is missing
    /// fails. In a contingency section it is only said: a rollback must
    /// not stop for it.
    pub(super) fn lost_cwd_to_confirm(
        &mut self,
        step: &Step,
        command: &Command,
        text: &str,
    ) -> Result<Option<String>> {
        if self.settings.attended() || self.lost_cwd.is_empty() {
            return Ok(None);
        }
        let Some(LostCwd::Gone(dir)) = self.runs_in_lost_cwd(command)? else {
            return Ok(None);
        };
        if moves_first(command, text) {
            return Ok(None);
        }
        if self.book.contingency_of(step.index as usize).is_some() {
            let said = self.secrets.redact(&format!(
                "warning: {}: this block runs in {dir}, which no longer exists (it is in \
                 a contingency section, which runs all the same)",
                self.place(step)
            ));
            self.operator.say(&said);
            return Ok(None);
        }
        Ok(Some(self.secrets.redact(&format!(
            "It would run in {dir}, which no longer exists: an earlier block removed or \
             moved the shell's working directory."
        ))))
    }

    /// The directory this machine's shell lost, when `command` runs on
    /// this machine.
    fn runs_in_lost_cwd(&mut self, command: &Command) -> Result<Option<LostCwd>> {
        let Some(lost) = self.lost_cwd.get(&None) else {
            return Ok(None);
        };
        let lost = lost.clone();
        if self.exec.targets(command.attrs.on.as_deref())?.is_some() {
            return Ok(None);
        }
        Ok(Some(lost))
    }
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
fn moves_first(command: &Command, text: &str) -> bool {
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
