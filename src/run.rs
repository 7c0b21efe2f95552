//! The run: walks the steps in order, asks the operator, runs blocks in the
//! session, and records every outcome in the journal and the transcript.

use std::collections::HashMap;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::doc::attrs::OnFail;
use crate::doc::{Command, Runbook, Runner, Step, StepKind};
use crate::error::{Error, Result};
use crate::exec::{Session, SessionOptions};
use crate::operator::{CommandChoice, FailureChoice, Operator, TaskChoice, View};
use crate::secrets::{Redactor, Secrets};
use crate::source::Source;
use crate::state::StateDir;
use crate::transcript::journal::{self, Journal};
use crate::transcript::write::{Counts, settled};
use crate::transcript::{Outcome, RunInfo, Status, now, render, sha256};

/// How often the transcript is re-rendered between prompts, at most.
const CHECKPOINT: Duration = Duration::from_secs(1);

/// Signals that ask runsheet to stop, shared with the signal handlers.
#[derive(Clone, Default)]
pub struct Signals {
    pub interrupt: Arc<AtomicBool>,
    pub terminate: Arc<AtomicBool>,
}

impl Signals {
    /// Installs handlers for SIGINT, SIGTERM and SIGHUP that set flags instead
    /// of killing runsheet, so it can save before it goes.
    pub fn install() -> Signals {
        let s = Signals::default();
        let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, s.interrupt.clone());
        let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, s.terminate.clone());
        let _ = signal_hook::flag::register(signal_hook::consts::SIGHUP, s.terminate.clone());
        // A prompt blocks in a read that the signal does not end; the transcript
        // is saved before every prompt, so there runsheet may simply go.
        let terminate = s.terminate.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(100));
                if terminate.load(Ordering::SeqCst)
                    && crate::operator::AT_PROMPT.load(Ordering::SeqCst)
                {
                    crate::operator::restore_terminal();
                    eprintln!(
                        "\nrunsheet: stopped by a signal at a prompt; the transcript is saved."
                    );
                    std::process::exit(130);
                }
            }
        });
        s
    }
}

/// Settings of one run or resume.
pub struct RunOptions {
    pub transcript: PathBuf,
    /// Destructive commands may run without a typed confirmation.
    pub allow_destructive: bool,
    /// Extra variable or placeholder names whose values are secrets.
    pub secret_names: Vec<String>,
    pub answers: crate::operator::Answers,
    pub timeout: Option<Duration>,
    pub mode: &'static str,
}

/// How a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    /// A failure stopped the run (abort, or `--yes` without `--keep-going`).
    Stop,
    /// The operator quit, or a signal asked runsheet to stop.
    Interrupted,
}

/// What a finished run reports, from which the exit code follows.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    pub counts: Counts,
    pub interrupted: bool,
}

impl Report {
    /// 0 all done or skipped; 1 a failure; 3 steps not confirmed; 130 interrupted.
    pub fn exit_code(&self) -> i32 {
        if self.interrupted {
            130
        } else if self.counts.failed > 0 {
            1
        } else if self.counts.not_confirmed > 0
            || self.counts.pending > 0
            || self.counts.unverified > 0
        {
            3
        } else {
            0
        }
    }
}

/// A run in progress.
pub struct Run<'a> {
    source: Source,
    book: Runbook,
    outcomes: HashMap<String, Outcome>,
    info: RunInfo,
    options: RunOptions,
    operator: &'a mut dyn Operator,
    signals: Signals,
    state: Option<StateDir>,
    journal: Journal,
    session: Option<Session>,
    last_render: Instant,
    restore_on_start: bool,
    /// Placeholder values given so far, by token: asked once per run.
    filled: HashMap<String, String>,
    secrets: Secrets,
}

/// The values a watched block's secret variables took, as the session
/// reports them (see `Session::watch_next`): NUL-terminated, appended.
struct Seen {
    path: PathBuf,
    watching: bool,
    /// Bytes of the file already taken.
    taken: usize,
    values: Vec<String>,
}

impl Seen {
    fn new(path: PathBuf, watching: bool) -> Seen {
        Seen {
            path,
            watching,
            taken: 0,
            values: Vec::new(),
        }
    }

    /// Values reported since the last call.
    fn new_values(&mut self) -> Vec<String> {
        if !self.watching {
            return Vec::new();
        }
        let grown = std::fs::metadata(&self.path).is_ok_and(|m| m.len() as usize > self.taken);
        let Some(bytes) = grown.then(|| std::fs::read(&self.path).ok()).flatten() else {
            return Vec::new();
        };
        let Some(end) = bytes
            .iter()
            .rposition(|&b| b == 0)
            .filter(|&e| e >= self.taken)
        else {
            return Vec::new();
        };
        let fresh: Vec<String> = bytes[self.taken..end]
            .split(|&b| b == 0)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        self.taken = end + 1;
        self.values.extend(fresh.iter().cloned());
        fresh
    }

    /// Every value reported; the file goes, as it holds them in the clear.
    fn finish(mut self) -> Vec<String> {
        self.new_values();
        if self.watching {
            let _ = std::fs::remove_file(&self.path);
        }
        self.values
    }
}

/// A new run id: the UTC start time and a few random hex digits.
pub fn new_run_id() -> String {
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{stamp}-{:04x}", (nanos ^ std::process::id()) & 0xffff)
}

impl<'a> Run<'a> {
    /// Prepares a fresh run of `source`.
    pub fn start(
        source: Source,
        book: Runbook,
        options: RunOptions,
        operator: &'a mut dyn Operator,
        signals: Signals,
    ) -> Result<Run<'a>> {
        let info = RunInfo {
            id: new_run_id(),
            source: source.display_path(),
            sha256: sha256(&source.text),
            operator: operator_name(),
            started: now(),
            finished: None,
            state: "running".into(),
            mode: options.mode.into(),
        };
        let state = StateDir::open(&info.id)?;
        Run::new(
            source,
            book,
            info,
            HashMap::new(),
            options,
            operator,
            signals,
            state,
            false,
        )
    }

    /// Prepares to continue an earlier run from its transcript.
    pub fn resume(
        source: Source,
        book: Runbook,
        mut info: RunInfo,
        recorded: HashMap<String, Outcome>,
        options: RunOptions,
        operator: &'a mut dyn Operator,
        signals: Signals,
    ) -> Result<Run<'a>> {
        let state = StateDir::open(&info.id)?;
        let mut outcomes = recorded;
        outcomes.extend(journal::replay(&state.journal()));
        info.state = "running".into();
        info.finished = None;
        info.mode = options.mode.into();
        Run::new(
            source, book, info, outcomes, options, operator, signals, state, true,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn new(
        source: Source,
        book: Runbook,
        info: RunInfo,
        outcomes: HashMap<String, Outcome>,
        options: RunOptions,
        operator: &'a mut dyn Operator,
        signals: Signals,
        state: StateDir,
        restore_on_start: bool,
    ) -> Result<Run<'a>> {
        let journal = Journal::open(&state.journal())?;
        let secrets = Secrets::new(&options.secret_names);
        let mut run = Run {
            source,
            book,
            outcomes,
            info,
            options,
            operator,
            signals,
            state: Some(state),
            journal,
            session: None,
            last_render: Instant::now(),
            restore_on_start,
            filled: HashMap::new(),
            secrets,
        };
        run.learn_environment_secrets();
        Ok(run)
    }

    /// Walks the document and returns what happened.
    pub fn execute(mut self) -> Result<Report> {
        self.checkpoint(true)?;
        self.show_context();
        let roots: Vec<usize> = self.book.roots().collect();
        let flow = match self.walk(&roots) {
            Ok(flow) => flow,
            Err(Error::Interrupted) => Flow::Interrupted,
            Err(e) => {
                self.finish(Flow::Interrupted)?;
                return Err(e);
            }
        };
        self.finish(flow)
    }

    /// Where commands will land, before the first one runs.
    fn show_context(&mut self) {
        if let Ok(cwd) = std::env::current_dir() {
            self.operator
                .say(&format!("Commands run in {}", cwd.display()));
        }
        let over_ssh =
            std::env::var_os("SSH_CONNECTION").is_some() || std::env::var_os("SSH_TTY").is_some();
        let multiplexed = std::env::var_os("TMUX").is_some() || std::env::var_os("STY").is_some();
        if self.operator.attended() && over_ssh && !multiplexed {
            self.operator.say(
                "warning: this is an SSH session without tmux or screen; if the connection drops, \
                 the block in flight dies with it. `runsheet resume` picks up from the transcript.",
            );
        }
    }

    fn finish(&mut self, flow: Flow) -> Result<Report> {
        if let Some(session) = self.session.take() {
            session.finish();
        }
        let counts = Counts::of(&self.book, &self.outcomes);
        self.info.finished = Some(now());
        self.info.state = match flow {
            Flow::Continue => "complete",
            Flow::Stop => "stopped",
            Flow::Interrupted => "interrupted",
        }
        .into();
        self.checkpoint(true)?;
        let report = Report {
            counts,
            interrupted: flow == Flow::Interrupted,
        };
        let state = self.state.take();
        if let Some(state) = state {
            // Unverified outputs are settled: resuming cannot verify them.
            let all_settled =
                counts.failed == 0 && counts.not_confirmed == 0 && counts.pending == 0;
            if flow == Flow::Continue && all_settled {
                state.remove();
            } else {
                self.operator.say(&format!(
                    "Shell state kept for `runsheet resume {}`.",
                    self.options.transcript.display()
                ));
            }
        }
        Ok(report)
    }

    fn settled(&self, step: &Step) -> bool {
        settled(&self.book, step, &self.outcomes)
    }

    fn walk(&mut self, indices: &[usize]) -> Result<Flow> {
        for &index in indices {
            let flow = self.step(index)?;
            if flow != Flow::Continue {
                return Ok(flow);
            }
            if self.signals.terminate.load(Ordering::SeqCst) {
                return Ok(Flow::Interrupted);
            }
        }
        Ok(Flow::Continue)
    }

    fn step(&mut self, index: usize) -> Result<Flow> {
        let step = self.book.steps[index].clone();
        if self.settled(&step) {
            return Ok(Flow::Continue);
        }
        match &step.kind {
            StepKind::Task(_) if !step.children.is_empty() => self.parent_task(&step),
            StepKind::Task(_) => self.manual_task(&step),
            StepKind::Command(_) => self.command(&step),
            StepKind::Blank(_) | StepKind::Choice(_) => self.field(&step),
            StepKind::Placeholder(_) => Ok(Flow::Continue),
        }
    }

    fn view<'s>(&self, step: &'s Step, script: &'s str) -> View<'s> {
        View {
            position: step.index + 1,
            total: self.book.steps.len(),
            step,
            script,
        }
    }

    /// A task that owns commands or sub-tasks: ticked when they all succeed.
    fn parent_task(&mut self, step: &Step) -> Result<Flow> {
        let view = self.view(step, "");
        self.operator
            .say(&format!("\n{}", crate::operator::progress_with_text(&view)));
        let flow = self.walk(&step.children)?;
        if flow != Flow::Continue {
            // Stopped inside: the task failed if a step of it did; else it waits.
            let failed = step.children.iter().any(|&c| {
                let id = self.book.steps[c].id();
                self.outcomes
                    .get(&id)
                    .is_some_and(|o| o.status == Status::Failed)
            });
            if failed {
                self.record(Outcome::new(step.id(), Status::Failed), true)?;
            }
            return Ok(flow);
        }
        let statuses: Vec<Status> = step
            .children
            .iter()
            .map(|&c| {
                let child = &self.book.steps[c];
                if child.task().is_some_and(|t| t.checked) {
                    Status::Done
                } else {
                    self.outcomes
                        .get(&child.id())
                        .map_or(Status::NotConfirmed, |o| o.status)
                }
            })
            .collect();
        let status = if statuses.contains(&Status::Failed) {
            Status::Failed
        } else if statuses.contains(&Status::NotConfirmed) {
            Status::NotConfirmed
        } else if statuses.contains(&Status::Skipped) {
            Status::Skipped
        } else {
            Status::Done
        };
        let mut outcome = Outcome::new(step.id(), status);
        if status == Status::Done && !self.operator.attended() {
            outcome.how.push("auto".into());
        }
        self.record(outcome, false)?;
        Ok(Flow::Continue)
    }

    /// A blank to fill in or a choice to make: from the answers file, else the operator.
    fn field(&mut self, step: &Step) -> Result<Flow> {
        self.checkpoint(self.operator.attended())?;
        let view = self.view(step, "");
        let answer = match &step.kind {
            StepKind::Choice(field) => match self.options.answers.for_step(step) {
                Some(a) => Some(a),
                None => self
                    .operator
                    .choice(&view, &field.options)?
                    .map(|i| field.options[i].clone()),
            },
            _ => match self.options.answers.for_step(step) {
                Some(a) => Some(a),
                None => self.operator.blank(&view)?,
            },
        };
        let outcome = match answer {
            Some(value) => {
                let mut o = Outcome::new(step.id(), Status::Done);
                o.value = Some(if value.trim().eq_ignore_ascii_case("now") {
                    now()
                } else {
                    value
                });
                o
            }
            None if self.operator.attended() => Outcome::new(step.id(), Status::Skipped),
            None => Outcome::new(step.id(), Status::NotConfirmed),
        };
        self.record(outcome, false)?;
        Ok(Flow::Continue)
    }

    fn manual_task(&mut self, step: &Step) -> Result<Flow> {
        self.checkpoint(true)?;
        let view = self.view(step, "");
        let (choice, note) = match self
            .options
            .answers
            .for_step(step)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("done") => (
                TaskChoice::Done,
                Some("answered in the answers file".into()),
            ),
            Some("skip") => (
                TaskChoice::Skip,
                Some("answered in the answers file".into()),
            ),
            Some("fail") => (
                TaskChoice::Failed,
                Some("answered in the answers file".into()),
            ),
            _ => self.operator.task(&view)?,
        };
        let status = match choice {
            TaskChoice::Done => Status::Done,
            TaskChoice::Skip => Status::Skipped,
            TaskChoice::Failed => Status::Failed,
            TaskChoice::NotConfirmed => Status::NotConfirmed,
            TaskChoice::Quit => return Ok(Flow::Interrupted),
        };
        let mut outcome = Outcome::new(step.id(), status);
        outcome.note = note.map(|n| self.secrets.redact(&n));
        self.record(outcome, status == Status::Failed)?;
        if status == Status::Failed && !self.operator.attended() {
            return self.after_unattended_failure(step, "");
        }
        Ok(Flow::Continue)
    }

    fn command(&mut self, step: &Step) -> Result<Flow> {
        let command = step
            .command()
            .expect("command steps hold a command")
            .clone();
        let attrs = &command.attrs;
        if attrs.skip {
            let mut o = Outcome::new(step.id(), Status::Skipped);
            o.how.push("attribute".into());
            self.record(o, false)?;
            return Ok(Flow::Continue);
        }
        if attrs.manual {
            // Shown, not run: the operator does it by hand and says so.
            return self.manual_task(step);
        }
        let mut script = command.script();
        let mut edited = false;
        if self.operator.attended() {
            self.checkpoint(true)?;
        }
        loop {
            let view = self.view(step, &script);
            match self.operator.command(&view)? {
                CommandChoice::Run => break,
                CommandChoice::Skip => {
                    self.record(Outcome::new(step.id(), Status::Skipped), false)?;
                    return Ok(Flow::Continue);
                }
                CommandChoice::Edit => {
                    script = self.operator.edit(&script)?;
                    edited = true;
                }
                CommandChoice::Quit => return Ok(Flow::Interrupted),
            }
        }
        let filled = match self.fill_placeholders(step, &script)? {
            Ok(filled) => filled,
            Err(missing) => {
                self.operator.say(&format!(
                    "{}:{}: cannot run: no value for {missing}; give it in an answers file (--answers) or run interactively",
                    self.source.display_path(),
                    step.line
                ));
                let mut o = Outcome::new(step.id(), Status::Failed);
                o.how.push("unfilled".into());
                o.output = format!("[runsheet: no value for {missing}]\n");
                self.record(o, true)?;
                if self.operator.attended() {
                    return Ok(Flow::Continue);
                }
                return self.after_unattended_failure(step, &script);
            }
        };
        // The guard looks at what will run: edits and placeholder values included.
        let destructive = match attrs.danger {
            Some(false) => Vec::new(),
            Some(true) => command.destructive.clone(),
            None => crate::guard::destructive(&filled),
        };
        let guarded = !destructive.is_empty() && !self.options.allow_destructive;
        let mut confirmed_by = None;
        if attrs.confirm || guarded {
            let what = if guarded {
                format!("This block looks destructive ({}).", destructive.join(", "))
            } else {
                "This block is marked `confirm`.".to_string()
            };
            match self.operator.confirm_typed(&what)? {
                Some(true) => confirmed_by = Some(self.info.operator.clone()),
                Some(false) => {
                    let mut o = Outcome::new(step.id(), Status::Skipped);
                    o.how.push("declined".into());
                    self.record(o, false)?;
                    return Ok(Flow::Continue);
                }
                None => {
                    let hint = if guarded {
                        " use --allow-destructive if this unattended run may do it."
                    } else {
                        " run it interactively to confirm it."
                    };
                    self.operator.say(&format!(
                        "{}:{}: refused: {what} Nobody is at a terminal to confirm it;{hint}",
                        self.source.display_path(),
                        step.line,
                    ));
                    let mut o = Outcome::new(step.id(), Status::Failed);
                    o.how.push("refused".into());
                    o.note = Some(what);
                    self.record(o, true)?;
                    return self.after_unattended_failure(step, &script);
                }
            }
        }
        let placeholders_filled = filled != script;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let run_text = if placeholders_filled {
                filled.clone()
            } else {
                script.clone()
            };
            let mut outcome = self.execute_block(step, &command, &run_text)?;
            if edited || placeholders_filled {
                outcome.ran = Some(self.secrets.redact(&run_text));
            }
            if let Some(who) = &confirmed_by {
                outcome.how.push("confirmed".into());
                outcome.note = Some(format!("confirmed by {who}"));
            } else if !destructive.is_empty() {
                outcome.how.push("allowed-destructive".into());
            }
            let example = command.example_output();
            if !example.trim().is_empty() && !edited && !placeholders_filled {
                let same = normalise_output(&example) == normalise_output(&outcome.output);
                outcome.how.push(
                    if same {
                        "example-matches"
                    } else {
                        "example-differs"
                    }
                    .into(),
                );
            }
            if outcome.status == Status::Done
                && let Some(hint) = &command.hint
            {
                match self.operator.verify(hint)? {
                    Some(true) => outcome.how.push("verified".into()),
                    Some(false) => {
                        outcome.how.push("mismatch".into());
                        outcome.status = Status::Failed;
                    }
                    None => outcome.how.push("not-verified".into()),
                }
            }
            if outcome.status == Status::Done {
                self.record(outcome, false)?;
                return Ok(Flow::Continue);
            }
            let interrupted = outcome.has("interrupted");
            if self.signals.terminate.load(Ordering::SeqCst) {
                self.record(outcome, true)?;
                return Ok(Flow::Interrupted);
            }
            if !interrupted && attempts <= attrs.retries as usize {
                self.operator
                    .say(&format!("Retrying ({attempts} of {})", attrs.retries));
                continue;
            }
            let reason = failure_reason(&outcome, attrs.expect_exit.unwrap_or(0));
            self.record(outcome.clone(), true)?;
            let attended = self.operator.attended();
            let choice = match attrs.on_fail {
                Some(OnFail::Continue) if !interrupted => FailureChoice::Ignore,
                Some(OnFail::Stop) => FailureChoice::Abort,
                _ if !attended && interrupted => FailureChoice::Abort,
                _ => self.operator.failed(&self.view(step, &script), &reason)?,
            };
            match choice {
                FailureChoice::Retry => {}
                FailureChoice::Edit => {
                    script = self.operator.edit(&script)?;
                    edited = true;
                }
                FailureChoice::Ignore => {
                    if attended {
                        outcome.how.push("ignored".into());
                        self.record(outcome, false)?;
                    }
                    return Ok(Flow::Continue);
                }
                FailureChoice::Abort if interrupted && !attended => return Ok(Flow::Interrupted),
                FailureChoice::Abort => return Ok(Flow::Stop),
            }
        }
    }

    /// Puts the placeholders' values into `script`: from the answers file, else
    /// the operator. `Err(token)` names the first one nobody gave a value for.
    /// Also returns the secret values, to keep them out of the transcript.
    fn fill_placeholders(
        &mut self,
        step: &Step,
        script: &str,
    ) -> Result<std::result::Result<String, String>> {
        let mut filled = script.to_string();
        for &child in &step.children {
            let Some(p) = self.book.steps[child].placeholder().cloned() else {
                continue;
            };
            if !filled.contains(&p.token) {
                continue;
            }
            let value = match self.filled.get(&p.token) {
                Some(v) => Some(v.clone()),
                None => match self.options.answers.for_placeholder(&p.name) {
                    Some(v) => Some(v),
                    None => {
                        let hidden = p.secret || self.secrets.is_secret(&p.name);
                        self.operator.placeholder(&p.name, &p.token, hidden)?
                    }
                },
            };
            let Some(value) = value else {
                return Ok(Err(p.token));
            };
            if p.secret || self.secrets.is_secret(&p.name) {
                self.secrets.add(&value);
            }
            self.filled.insert(p.token.clone(), value.clone());
            filled = filled.replace(&p.token, &value);
        }
        Ok(Ok(filled))
    }

    /// Secrets in the environment runsheet started in, and (on resume) in the
    /// state the run left.
    fn learn_environment_secrets(&mut self) {
        let env: Vec<(String, String)> = std::env::vars().collect();
        self.secrets
            .learn(env.iter().map(|(k, v)| (k.as_str(), v.clone())));
        self.learn_secrets();
    }

    /// Values of secret-named variables the runbook set, from the last snapshot.
    fn learn_secrets(&mut self) {
        if let Some(state) = &self.state {
            let vars = crate::exec::snapshot::variables(&state.path);
            self.secrets
                .learn(vars.iter().map(|(k, v)| (k.as_str(), v.clone())));
        }
    }

    /// After a step failed with nobody to ask: go on under `--keep-going`, else stop.
    fn after_unattended_failure(&mut self, step: &Step, script: &str) -> Result<Flow> {
        Ok(
            match self
                .operator
                .failed(&self.view(step, script), "The step failed.")?
            {
                FailureChoice::Ignore => Flow::Continue,
                _ => Flow::Stop,
            },
        )
    }

    fn session(&mut self) -> Result<&mut Session> {
        if self.session.is_none() {
            let state = self
                .state
                .as_ref()
                .expect("a run holds its state dir until it finishes");
            let mut session = Session::start(SessionOptions {
                dir: state.path.clone(),
                cwd: std::env::current_dir().map_err(|e| Error::Session(e.to_string()))?,
                interactive: self.operator.attended(),
            })?;
            state.record_session(session.pid());
            if self.restore_on_start && session.restore()? {
                self.operator.say(
                    "Restored the shell state saved after the last block (variables, functions, aliases, options, directory); background jobs cannot be restored.",
                );
            }
            self.session = Some(session);
        }
        Ok(self.session.as_mut().expect("just started"))
    }

    fn execute_block(&mut self, step: &Step, command: &Command, script: &str) -> Result<Outcome> {
        let timeout = command.attrs.timeout.or(self.options.timeout);
        let mut text = match &command.runner {
            Runner::Shell => script.to_string(),
            Runner::Program(program) => {
                let dir = self.state.as_ref().expect("state held").path.clone();
                let file = dir.join(format!("{}.code", step.id()));
                crate::exec::session::write_private(&file, script.as_bytes())?;
                let quoted = shell_words::quote(&file.to_string_lossy()).into_owned();
                if program.contains("{file}") {
                    program.replace("{file}", &quoted)
                } else {
                    format!("{program} {quoted}")
                }
            }
        };
        if let Some(dir) = &command.attrs.cwd {
            // For this block only, like a CI step's working-directory.
            text = format!(
                "builtin pushd -- {} >/dev/null || builtin return 1\n{text}",
                shell_words::quote(dir)
            );
        }
        let interrupt = self.signals.interrupt.clone();
        interrupt.store(false, Ordering::SeqCst);
        let terminate = self.signals.terminate.clone();
        let int = interrupt.clone();
        // Ctrl-C, SIGTERM or SIGHUP: stop the block and whatever it started.
        let stop = move || terminate.load(Ordering::SeqCst) || int.load(Ordering::SeqCst);
        let mut capture = crate::exec::capture::Capture::default();
        let mut stdout = std::io::stdout();
        let mut redactor = Redactor::new(&self.secrets);
        // A secret the block sets is masked in what it prints after, live too.
        let watch = self.secrets.names_in(&text);
        let (end, seen) = {
            let session = self.session()?;
            let mut seen = Seen::new(session.seen_path(), !watch.is_empty());
            session.watch_next(watch);
            let end = session.run(&text, timeout, &stop, &mut |bytes| {
                // The value was written before the command that prints it ran.
                for value in seen.new_values() {
                    redactor.add(&value);
                }
                capture.push(bytes);
                let _ = stdout.write_all(&redactor.push(bytes));
                let _ = stdout.flush();
            })?;
            let _ = stdout.write_all(&redactor.finish());
            (end, seen)
        };
        for value in seen.finish() {
            self.secrets.add(&value);
        }
        self.learn_secrets();
        if end.session_restarted
            && let (Some(state), Some(session)) = (&self.state, &self.session)
        {
            state.record_session(session.pid());
        }
        let mut outcome = Outcome::new(step.id(), Status::Failed);
        outcome.exit = Some(end.exit);
        outcome.ms = end.duration.as_millis() as u64;
        let output = relocate(&capture.text(), &self.source.display_path(), step.line);
        outcome.output = self.secrets.redact(&output);
        if end.timed_out {
            outcome.how.push("timeout".into());
        }
        if end.interrupted || interrupt.swap(false, Ordering::SeqCst) || end.exit == 130 {
            outcome.how.push("interrupted".into());
        }
        if end.session_restarted {
            outcome.how.push("restarted".into());
        }
        if command.attrs.cwd.is_some() && !end.session_restarted {
            let session = self.session()?;
            session.run(
                "builtin popd >/dev/null 2>&1 || :\n",
                None,
                &|| false,
                &mut |_| {},
            )?;
        }
        let expected_exit = command.attrs.expect_exit.unwrap_or(0);
        let expectation = command
            .attrs
            .expect
            .as_deref()
            .map(|e| crate::doc::attrs::expectation_met(e, &outcome.output));
        outcome.status = match expectation {
            _ if end.timed_out || outcome.has("interrupted") => Status::Failed,
            _ if end.exit != expected_exit => {
                if command.attrs.expect_exit.is_some() {
                    outcome.how.push("unexpected-exit".into());
                }
                Status::Failed
            }
            Some(Err(message)) => {
                outcome
                    .output
                    .push_str(&format!("\n[runsheet: {message}]\n"));
                outcome.how.push("expect".into());
                Status::Failed
            }
            _ => Status::Done,
        };
        Ok(outcome)
    }

    /// Records an outcome: journal first (survives a kill), transcript at checkpoints.
    fn record(&mut self, outcome: Outcome, urgent: bool) -> Result<()> {
        self.journal.append(&outcome)?;
        self.outcomes.insert(outcome.id.clone(), outcome);
        self.checkpoint(urgent)
    }

    /// Re-renders the transcript atomically, now if `force`, else at most once a second.
    fn checkpoint(&mut self, force: bool) -> Result<()> {
        if !force && self.last_render.elapsed() < CHECKPOINT {
            return Ok(());
        }
        self.journal.sync()?;
        let text = render(&self.source, &self.book, &self.outcomes, &self.info);
        write_atomic(&self.options.transcript, text.as_bytes())?;
        self.last_render = Instant::now();
        Ok(())
    }
}

/// Bash names the private block file in its messages (`/…/block-3.sh: line 2:
/// foo: command not found`); point at the runbook line instead, and keep the
/// state directory out of the transcript.
fn relocate(output: &str, runbook: &str, fence_line: usize) -> String {
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
            out.push_str(&format!("{runbook}:{}", fence_line + n));
            rest = &rest[after..];
        } else {
            out.push_str(&rest[..at + TAG.len()]);
            rest = &rest[at + TAG.len()..];
        }
    }
    out.push_str(rest);
    out
}

/// Why a block failed, in the words the failure prompt opens with.
fn failure_reason(outcome: &Outcome, expected_exit: i32) -> String {
    let exit = outcome.exit.unwrap_or(1);
    if outcome.has("timeout") {
        "The block timed out.".into()
    } else if outcome.has("interrupted") {
        "The block was interrupted.".into()
    } else if outcome.has("mismatch") {
        "The step failed: you said its output was not what was expected.".into()
    } else if outcome.has("expect") {
        "The step failed: its output does not contain what `expect` asks for.".into()
    } else if exit != expected_exit && expected_exit != 0 {
        format!("The block exited {exit}, not the {expected_exit} that `expect_exit` asks for.")
    } else {
        format!("The block failed (exit {exit}).")
    }
}

/// Output lines without trailing spaces or blank lines, for comparing with an example.
fn normalise_output(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Writes `path` through a temp file in the same directory, fsync and rename,
/// so a reader (or a crash) sees the old file or the new one, never half.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let err = |source| Error::Write {
        path: path.into(),
        source,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".runsheet-")
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    // A temp file is created 0600; a transcript is a document to share, so it
    // keeps the mode of the file it replaces, or gets the usual 0644.
    let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode)).map_err(err)?;
    tmp.as_file().sync_data().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// `user@host`, for the audit record.
fn operator_name() -> String {
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| whoami::fallible::username().ok())
        .unwrap_or_else(|| "unknown".into());
    let host = whoami::fallible::hostname().unwrap_or_else(|_| "unknown-host".into());
    format!("{user}@{host}")
}

#[cfg(test)]
mod tests {
    use super::relocate;

    #[test]
    fn bash_messages_point_at_the_runbook() {
        let out = "ok\n/root/.local/state/runsheet/R/block-3.sh: line 2: foo: command not found\nmy.sh: line 1: x\n";
        assert_eq!(
            relocate(out, "deploy.md", 10),
            "ok\ndeploy.md:12: foo: command not found\nmy.sh: line 1: x\n"
        );
    }
}
