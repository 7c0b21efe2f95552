//! The local executor: blocks run in one bash session on this machine,
//! started when the first block runs, restored from the last snapshot on resume.

use std::collections::HashMap;
use std::path::PathBuf;

use super::runner::Runner;
use super::watch::Seen;
use super::{Block, BlockEnd, Executor, LostCwd, Session, SessionOptions, Sink};
use crate::error::Result;
use crate::fsutil::write_private;
use crate::linemap::LinesAfter;

/// The run's bash session on this machine.
pub struct LocalShell {
    /// The run's private state directory.
    dir: PathBuf,
    cwd: PathBuf,
    interactive: bool,
    /// Resuming: restore the state the last snapshot holds when starting.
    restore: bool,
    session: Option<Session>,
    /// The variables of the first snapshot and of the later ones, once a
    /// block ran, by name: each one's declaration and value (the value
    /// unquoted only when the declaration is new). A variable a block
    /// unset stays: its value was seen.
    known: Option<HashMap<String, (String, String)>>,
    /// Variables new or changed since `fresh_variables` was last asked.
    fresh: Vec<(String, String)>,
    /// The session (its shell's pid) and its `generation` that `known` was read at.
    seen: (u32, u64),
    /// The snapshot `known` was last brought up to date with.
    read: super::snapshot::ReadBefore,
}

impl LocalShell {
    /// A shell keeping its state in `dir`, starting in `cwd`; blocks get a
    /// terminal when `interactive`. With `restore`, the shell first takes
    /// back the state an earlier part of the run left.
    pub fn new(dir: PathBuf, cwd: PathBuf, interactive: bool, restore: bool) -> LocalShell {
        LocalShell {
            dir,
            cwd,
            interactive,
            restore,
            session: None,
            known: None,
            fresh: Vec::new(),
            seen: (0, 0),
            read: Default::default(),
        }
    }

    /// Whether the state an earlier part of the run saved can be restored:
    /// `Err` names the snapshot file that is damaged.
    pub fn check_restore(&self) -> std::result::Result<(), PathBuf> {
        if !self.restore {
            return Ok(());
        }
        super::snapshot::check(&self.dir).map_err(|damaged| damaged.0)
    }

    /// Starts from a fresh shell instead of restoring the saved state.
    pub fn skip_restore(&mut self) {
        self.restore = false;
    }

    fn session(&mut self, sink: &mut dyn Sink) -> Result<&mut Session> {
        if self.session.is_none() {
            let mut session = Session::start(SessionOptions {
                dir: self.dir.clone(),
                cwd: self.cwd.clone(),
                interactive: self.interactive,
            })?;
            crate::state::record_session(&self.dir, session.pid());
            if self.restore && session.restore()? {
                sink.notice(
                    "Restored the shell state saved after the last block (variables, functions, aliases, options, directory); background jobs cannot be restored.",
                );
            }
            self.session = Some(session);
        }
        Ok(self.session.as_mut().expect("just started"))
    }

    /// The text the session sources for `block`: programs other than bash
    /// get the block as a private file; `cwd=` moves into a directory first.
    fn text(&self, block: &Block) -> Result<String> {
        let mut text = match block.runner {
            Runner::Shell => block.script.to_string(),
            Runner::Program(program) => {
                let file = self.dir.join(format!("{}.code", block.id));
                write_private(&file, block.script.as_bytes())?;
                let quoted = shell_words::quote(&file.to_string_lossy()).into_owned();
                super::runner::program_line(program, &quoted)
            }
        };
        if let Some(dir) = block.start_in {
            // On the block's first line, so that bash numbers its lines as
            // it numbered the first attempt's.
            text = format!(
                "builtin cd -- {} || builtin return 1; {text}",
                shell_words::quote(dir)
            );
        }
        if let Some(dir) = block.cwd {
            text = LostCwd::push(dir) + &text;
        }
        Ok(text)
    }
}

impl LocalShell {
    /// Takes in the variables of the session's last snapshot that changed.
    fn take_snapshot(&mut self) {
        let Some(session) = &self.session else {
            return;
        };
        let known = match &mut self.known {
            Some(known) => known,
            None => {
                let mut known = HashMap::new();
                let base = std::fs::read_to_string(self.dir.join("base")).unwrap_or_default();
                take_changes(&mut known, &mut self.fresh, &base);
                self.known.insert(known)
            }
        };
        // Only the declarations that differ from the snapshot read before:
        // the others are in `known` as they are.
        let changed = super::snapshot::declarations_changed(&mut self.read, session.snapshot());
        for (name, decl) in changed {
            take_change(known, &mut self.fresh, name, decl);
        }
    }
}

impl Executor for LocalShell {
    fn run(
        &mut self,
        block: &Block,
        stop: &dyn Fn() -> bool,
        sink: &mut dyn Sink,
    ) -> Result<BlockEnd> {
        let text = self.text(block)?;
        let read_at = self.seen;
        let session = self.session(sink)?;
        let mut seen = Seen::new(session.seen_path(), !block.watch.is_empty());
        session.watch_next(block.watch.clone());
        let end = session.run(&text, block.timeout, stop, &mut |bytes| {
            // A value is reported before the command that prints it runs.
            for value in seen.new_values() {
                sink.secret(&value);
            }
            sink.output(bytes);
        })?;
        for value in seen.finish() {
            sink.secret(&value);
        }
        if end.session_restarted {
            crate::state::record_session(session.dir(), session.pid());
        }
        let mut end = end;
        if block.cwd.is_some() && !end.session_restarted {
            let back = session.run(LostCwd::BACK, None, &|| false, &mut |_| {})?;
            // Where the next block runs is where `popd` went back to, or
            // the directory it could not go back to is gone.
            end.lost_cwd = back.lost_cwd;
        }
        let now = (session.pid(), session.generation());
        if now != read_at {
            self.seen = now;
            self.take_snapshot();
        }
        Ok(end)
    }

    fn variables(&self) -> Vec<(String, String)> {
        match &self.known {
            Some(known) => known
                .iter()
                .map(|(name, (_, value))| (name.clone(), value.clone()))
                .collect(),
            None => super::snapshot::variables(&self.dir),
        }
    }

    fn cwd(&self) -> Option<String> {
        match &self.known {
            Some(known) => known.get("PWD").map(|(_, value)| value.clone()),
            // Before the first block: where the run's shell starts (the
            // saved state's directory on a resume).
            None => super::snapshot::variables(&self.dir)
                .into_iter()
                .find_map(|(name, value)| (name == "PWD").then_some(value))
                .or_else(|| Some(self.cwd.to_string_lossy().into_owned())),
        }
    }

    fn fresh_variables(&mut self) -> Vec<(String, String)> {
        if self.known.is_none() {
            return self.variables();
        }
        std::mem::take(&mut self.fresh)
    }

    fn locate(&self, output: &str, runbook: &str, lines: &LinesAfter) -> String {
        relocate(output, runbook, lines)
    }

    fn finish(&mut self) {
        if let Some(session) = self.session.take() {
            session.finish();
        }
    }
}

/// Adds to `known` the variables of the snapshot `text` that are new or
/// declared otherwise than there, and to `fresh` their values.
fn take_changes(
    known: &mut HashMap<String, (String, String)>,
    fresh: &mut Vec<(String, String)>,
    text: &str,
) {
    for (name, decl) in super::snapshot::declarations_in(text) {
        take_change(known, fresh, name.to_string(), decl.to_string());
    }
}

/// Adds one declaration to `known` and its value to `fresh`, unless `known`
/// has it so already.
fn take_change(
    known: &mut HashMap<String, (String, String)>,
    fresh: &mut Vec<(String, String)>,
    name: String,
    decl: String,
) {
    if known.get(&name).is_some_and(|(d, _)| *d == decl) {
        return;
    }
    let value = super::snapshot::value_of(&decl);
    fresh.push((name.clone(), value.clone()));
    known.insert(name, (decl, value));
}

/// Bash names the private block file in its messages (`/…/block-3.sh: line 2:
/// foo: command not found`); point at the runbook line instead (`lines`
/// numbers the block's lines from its fence), and keep the state directory
/// out of the transcript.
pub(crate) fn relocate(output: &str, runbook: &str, lines: &LinesAfter) -> String {
    const TAG: &str = ".sh: line ";
    let mut out = String::with_capacity(output.len());
    let mut rest = output;
    while let Some(at) = rest.find(TAG) {
        let start = rest[..at]
            .rfind(|c: char| c.is_whitespace())
            .map_or(0, |i| i + 1);
        let path = &rest[start..at];
        let digits = rest[at + TAG.len()..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(0, |n| n);
        let after = at + TAG.len() + digits;
        let is_block = path.starts_with('/')
            && path
                .rsplit('/')
                .next()
                .is_some_and(|f| f.starts_with("block-"))
            && digits > 0
            && rest[after..].starts_with(':');
        if is_block {
            let n: usize = rest[at + TAG.len()..after].parse().unwrap_or(0);
            out.push_str(&rest[..start]);
            out.push_str(&format!("{runbook}:{}", lines.line(n)));
            rest = &rest[after..];
        } else {
            out.push_str(&rest[..at + TAG.len()]);
            rest = &rest[at + TAG.len()..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::relocate;
    use crate::linemap::{LineMap, LinesAfter};

    #[test]
    fn bash_messages_point_at_the_runbook() {
        let out = "ok\n/root/.local/state/runsheet/R/block-3.sh: line 2: foo: command not found\nmy.sh: line 1: x\n";
        let lines = LinesAfter {
            from: 10,
            map: None,
        };
        assert_eq!(
            relocate(out, "deploy.md", &lines),
            "ok\ndeploy.md:12: foo: command not found\nmy.sh: line 1: x\n"
        );
        // A template's block: the template's line.
        let map = LineMap::new((1..=12).map(|l| l + 20).collect());
        let lines = LinesAfter {
            from: 10,
            map: Some(Arc::new(map)),
        };
        assert!(relocate(out, "deploy.md", &lines).contains("deploy.md:32: foo"));
    }
}
