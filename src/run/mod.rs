//! The run loop: walks the steps in order and hands each to the part that
//! knows its kind. It orchestrates only: asking is the operator's, running
//! the executor's, recording the recorder's.

mod attempt;
mod choose;
mod command;
mod contingency;
mod cwd;
mod field;
mod fills;
mod hosts;
mod navigate;
mod recorder;
mod saver;
mod settings;
mod task;
mod wait;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

pub use choose::{choices, choose_ahead};
pub use contingency::PathSettings;
pub use recorder::{Recorder, Written, write_atomic};
pub use settings::{Rendering, RunSettings};

use crate::doc::{Runbook, Step, StepKind};
use crate::error::{Error, Result};
use crate::exec::Executor;
use crate::operator::{Operator, View};
use crate::record::{Outcome, Places, Reason, RunInfo, RunRecord, RunState, Status, Units, now};
use crate::secrets::Secrets;
use crate::signals::Signals;
use crate::source::Source;
use crate::state::StateDir;
use fills::Fills;

/// Where the walk goes after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    /// The operator asked to go to this step (back, or elsewhere).
    Goto(usize),
    /// A failure stopped the run (abort, or `--yes` without `--keep-going`).
    Stop,
    /// The operator quit, or a signal asked runsheet to stop.
    Interrupted,
}

/// What a finished run reports: its record, from which the exit code follows.
#[derive(Debug, Clone)]
pub struct Report {
    pub record: RunRecord,
    pub interrupted: bool,
}

impl Report {
    /// 0 all done or skipped; 1 a failure; 3 steps not confirmed; 130 interrupted.
    pub fn exit_code(&self) -> i32 {
        self.record.counts.exit_code(self.interrupted)
    }
}

/// A run in progress.
pub struct Run<'a> {
    book: Runbook,
    settings: RunSettings,
    operator: &'a mut dyn Operator,
    exec: Box<dyn Executor + 'a>,
    recorder: Recorder,
    secrets: Secrets,
    signals: Signals,
    /// Placeholder values given so far: asked once per run.
    fills: Fills,
    /// Where the run is in the document's shape: contingency sections gone
    /// into, alternatives decided.
    path: contingency::PathState,
    /// `--from`, or a step gone to, until the walk reaches it; and whether
    /// the steps passed over on the way are recorded as skipped.
    from: Option<(usize, bool)>,
    /// A step gone to at a prompt: walked again even if it was settled.
    revisit: Option<usize>,
    /// The steps walked so far, latest last: where `[b]ack` goes.
    history: Vec<usize>,
    /// What `[g]o to` lists (nothing in an unattended run).
    step_list: std::sync::Arc<[crate::operator::Target]>,
    /// The steps as a person counts them: what `[n/N]` numbers.
    units: Units,
    /// The last result line shown: (step id, status, ms, exit).
    announced: Option<(String, Status, u64, Option<i32>)>,
    /// Resuming: the directory the run's shell was in, where it goes on.
    restored_cwd: Option<String>,
    /// Resuming: the directory the run's shell was in, gone since.
    gone_cwd: Option<String>,
    /// The directory a shell is in, when a block took it away, by host
    /// (`None`: this machine's shell): where the next block there would
    /// run. Each is said once, after the block that took it away.
    lost_cwd: HashMap<Option<String>, crate::exec::LostCwd>,
    /// Each step's index by its id: outcomes name their step by id, and a
    /// scan of every step per outcome made long runbooks quadratic.
    ids: HashMap<String, usize>,
    /// Every step's `[n/N]`, and the recorder's `path_changes` it holds for.
    places: RefCell<Option<(u64, Places)>>,
    /// A resumed run: its transcript is the one its run last wrote.
    resuming: bool,
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

/// The summary of a new run of `source`.
pub fn new_run_info(source: &Source, settings: &RunSettings) -> RunInfo {
    RunInfo {
        id: new_run_id(),
        source: source.display_path(),
        sha256: crate::transcript::sha256(&source.text),
        operator: operator_name(),
        started: now(),
        finished: None,
        resumed: None,
        state: RunState::Running,
        mode: settings.mode,
        env: settings.rendering.as_ref().and_then(|r| r.env.clone()),
        vars: settings
            .rendering
            .as_ref()
            .map(|r| r.vars.clone())
            .unwrap_or_default(),
        template: settings.rendering.as_ref().map(|r| r.template.clone()),
    }
}

impl<'a> Run<'a> {
    /// Prepares a fresh run of `book` (from `source`).
    pub fn start(
        source: Source,
        book: Runbook,
        settings: RunSettings,
        operator: &'a mut dyn Operator,
    ) -> Result<Run<'a>> {
        let info = new_run_info(&source, &settings);
        Run::new(source, book, info, HashMap::new(), settings, operator, None)
    }

    /// Prepares to continue an earlier run with the summary `info`, whose
    /// transcript recorded `outcomes`: the shell takes back the state the
    /// run left, and the journal adds what the transcript missed.
    /// `written` is the transcript's text, with where runsheet's text is in
    /// it: saves patch it if the run wrote it so.
    pub fn resume(
        source: Source,
        book: Runbook,
        info: RunInfo,
        outcomes: HashMap<String, Outcome>,
        settings: RunSettings,
        operator: &'a mut dyn Operator,
        written: Written,
    ) -> Result<Run<'a>> {
        Run::new(
            source,
            book,
            info,
            outcomes,
            settings,
            operator,
            Some(written),
        )
    }

    fn new(
        source: Source,
        book: Runbook,
        mut info: RunInfo,
        outcomes: HashMap<String, Outcome>,
        settings: RunSettings,
        operator: &'a mut dyn Operator,
        written: Option<Written>,
    ) -> Result<Run<'a>> {
        let resuming = written.is_some();
        info.state = RunState::Running;
        info.finished = None;
        if resuming {
            info.resumed = Some(now());
        }
        info.mode = settings.mode;
        let state = StateDir::open(&info.id)?;
        let local = crate::exec::LocalShell::new(
            state.path.clone(),
            settings.cwd.clone(),
            settings.attended(),
            resuming,
        );
        let fleet = crate::exec::ssh::Fleet::new(settings.fleet.clone(), state.path.clone());
        let mut exec = crate::exec::Router::new(local, fleet);
        check_targets(&source, &book, &mut exec)?;
        let mut restoring = resuming;
        if let Err(damaged) = exec.check_restore() {
            let what = format!(
                "the shell state the run saved ({}) is damaged, so variables, functions and the \
                 directory the earlier blocks set cannot be restored",
                damaged.display()
            );
            let go_on = if settings.attended() {
                operator.confirm_typed(&format!(
                    "Careful: {what}. Go on in a fresh shell without them?"
                ))?
            } else {
                None
            };
            if go_on != Some(true) {
                return Err(Error::usage(format!(
                    "{what}; nothing was run. Resume interactively to go on without them"
                )));
            }
            exec.skip_restore();
            restoring = false;
        }
        // A resumed run goes on where its shell was, not where runsheet starts.
        let mut restored_cwd = restoring
            .then(|| crate::exec::snapshot::saved_cwd(&state.path))
            .flatten();
        // A directory removed since: the shell cannot go back there, and its
        // commands would run where `resume` was started instead.
        let gone_cwd = restored_cwd.take_if(|dir| !Path::new(dir.as_str()).is_dir());
        if let Some(gone) = &gone_cwd {
            let what = format!(
                "{}: the directory the run's shell was in, {gone}, no longer exists, so the \
                 commands after it would run in {} instead",
                settings.transcript.display(),
                settings.cwd.display()
            );
            let go_on = if settings.attended() {
                operator.confirm_typed(&format!("Careful: {what}. Go on there?"))?
            } else {
                None
            };
            if go_on != Some(true) {
                return Err(Error::usage(format!(
                    "{what}; nothing was run. Create it again (`mkdir -p {}`) and resume, or \
                     resume on a terminal, from the directory to go on in, and answer `yes`",
                    shell_words::quote(gone)
                )));
            }
        }
        let recorder = Recorder::open(
            source,
            settings.transcript.clone(),
            info,
            outcomes,
            state,
            written,
        )?;
        let mut secrets = Secrets::new(&settings.secret_names);
        for value in settings.rendering.iter().flat_map(|r| &r.secret_values) {
            secrets.add(value);
        }
        let env: Vec<(String, String)> = std::env::vars().collect();
        secrets.learn(env.iter().map(|(k, v)| (k.as_str(), v.clone())));
        let vars = exec.variables();
        secrets.learn(vars.iter().map(|(k, v)| (k.as_str(), v.clone())));
        let from = settings.path.from.map(|f| (f, !resuming));
        let units = Units::of(&book);
        // Only a person at a prompt goes to a step from the list.
        let step_list = if settings.attended() {
            navigate::step_list(&book, &units, &recorder.source().display_path())
        } else {
            std::sync::Arc::from([])
        };
        // Resuming, `[b]ack` goes to the step the run answered last.
        let history = if resuming && settings.attended() {
            navigate::walked_before(&book, &recorder)
        } else {
            Vec::new()
        };
        let mut ids = HashMap::with_capacity(book.steps.len());
        for step in &book.steps {
            // As a scan would: the first step of an id is the one it names.
            ids.entry(step.id()).or_insert(step.at());
        }
        Ok(Run {
            book,
            settings,
            operator,
            exec: Box::new(exec),
            recorder,
            secrets,
            signals: Signals::install(),
            from,
            revisit: None,
            history,
            step_list,
            units,
            fills: Fills::default(),
            path: contingency::PathState::default(),
            announced: None,
            restored_cwd,
            gone_cwd,
            lost_cwd: HashMap::new(),
            ids,
            places: RefCell::new(None),
            resuming,
        })
    }

    /// Walks the document and returns what happened.
    pub fn execute(mut self) -> Result<Report> {
        // A resumed run's transcript is the one its run wrote: rewritten
        // (state, resumed time) before anything takes time, or at the end.
        let later = self.resuming;
        self.recorder.begin(&self.book, later)?;
        self.show_context();
        let flow = match self.walk_path() {
            Ok(flow) => flow,
            Err(Error::Interrupted) => Flow::Interrupted,
            Err(e) => {
                let e = self.recorder.saving().error(e);
                // Saving the transcript fails again when the disk is full:
                // the first error is the one to report.
                let saved = self.finish(Flow::Interrupted);
                if !matches!(e, Error::Unsaved { .. }) {
                    saved?;
                }
                return Err(e);
            }
        };
        self.finish(flow)
    }

    /// Where commands will land, before the first one runs.
    fn show_context(&mut self) {
        let line = match (&self.restored_cwd, &self.gone_cwd) {
            (Some(dir), _) => {
                format!("Commands run in {dir} (where the run's shell was, restored)")
            }
            (None, Some(gone)) => format!(
                "Commands run in {} (the run's shell was in {gone}, which no longer exists)",
                self.settings.cwd.display()
            ),
            (None, None) => format!("Commands run in {}", self.settings.cwd.display()),
        };
        self.operator.say(&line);
        let over_ssh =
            std::env::var_os("SSH_CONNECTION").is_some() || std::env::var_os("SSH_TTY").is_some();
        let multiplexed = std::env::var_os("TMUX").is_some() || std::env::var_os("STY").is_some();
        if self.settings.attended() && over_ssh && !multiplexed {
            self.operator.say(
                "warning: this is an SSH session without tmux or screen; if the connection drops, \
                 the block in flight dies with it. `runsheet resume` picks up from the transcript.",
            );
        }
    }

    fn finish(mut self, flow: Flow) -> Result<Report> {
        self.exec.finish();
        let state = match flow {
            Flow::Continue | Flow::Goto(_) => RunState::Complete,
            Flow::Stop => RunState::Stopped,
            Flow::Interrupted => RunState::Interrupted,
        };
        let transcript = self.recorder.transcript().to_path_buf();
        let volatile = self.recorder.state_is_volatile();
        let saving = self.recorder.saving();
        let (record, kept) = self
            .recorder
            .finish(&self.book, state)
            .map_err(|e| saving.error(e))?;
        if kept {
            let lost = if volatile {
                " (there is no home directory to keep it in, so a reboot loses it)"
            } else {
                ""
            };
            self.operator.say(&format!(
                "Shell state kept for `runsheet resume {}`{lost}.",
                transcript.display()
            ));
        }
        Ok(Report {
            record,
            interrupted: flow == Flow::Interrupted,
        })
    }

    fn walk(&mut self, indices: &[usize]) -> Result<Flow> {
        let mut at = 0;
        while let Some(&index) = indices.get(at) {
            let flow = self.step(index)?;
            if let Flow::Goto(target) = flow
                && let Some(to) = self.go_to(indices, target)
            {
                at = to;
                continue;
            }
            if flow != Flow::Continue {
                return Ok(flow);
            }
            if self.signals.terminating() {
                return Ok(Flow::Interrupted);
            }
            at += 1;
        }
        Ok(Flow::Continue)
    }

    fn step(&mut self, index: usize) -> Result<Flow> {
        if let Some(flow) = self.before_from(index)? {
            return Ok(flow);
        }
        if let Some(flow) = self.outside_only(index)? {
            return Ok(flow);
        }
        // A step gone to stays one to walk again, with what is inside it,
        // until the operator goes elsewhere: the walk passes it once.
        if !self.again(index) && self.recorder.settled(&self.book, &self.book.steps[index]) {
            return Ok(Flow::Continue);
        }
        // A copy only for a step to walk: a resumed run passes thousands.
        let step = self.book.steps[index].clone();
        if let Some(flow) = self.skip_off_path(index)? {
            return Ok(flow);
        }
        if step.children.is_empty() || step.command().is_some() {
            self.history.push(index);
        }
        match &step.kind {
            StepKind::Task(_) if !step.children.is_empty() => self.parent_task(&step),
            StepKind::Task(_) => self.manual_task(&step),
            StepKind::Command(command) => self.command(&step, command),
            StepKind::Blank(_) | StepKind::Choice(_) => self.field(&step),
            // Filled as part of its command.
            StepKind::Placeholder(_) => Ok(Flow::Continue),
        }
    }

    fn view<'s>(&self, step: &'s Step, script: &'s str) -> View<'s> {
        let (position, total) = self.number(step.at());
        let unit = self.units.unit(step.at()).unwrap_or(step.at());
        View {
            position,
            total,
            part: unit != step.at(),
            step,
            script,
            contingency: self.path.labels.clone(),
            steps: self.step_list.clone(),
            here: unit,
            before: None,
        }
    }

    /// `[n/N]` for step `index` on the run's path so far: worked out over
    /// the whole runbook only when the path changed, not for every step.
    fn number(&self, index: usize) -> (usize, usize) {
        let changes = self.recorder.path_changes();
        let mut places = self.places.borrow_mut();
        let fresh = match &*places {
            Some((at, _)) => *at != changes,
            None => true,
        };
        if fresh {
            let scope = self.recorder.scope(&self.book);
            *places = Some((changes, self.units.places(|i| scope.off_path(i))));
        }
        places
            .as_ref()
            .map_or((1, 1), |(_, places)| places.place(index))
    }

    /// Records an outcome (see `Recorder::record`), and tells the operator
    /// how the step ended.
    fn record(&mut self, outcome: Outcome, urgent: bool) -> Result<()> {
        self.note_failure(&outcome);
        self.announce(&outcome);
        self.recorder.record(&self.book, outcome, urgent)
    }

    /// Records more about the step's latest attempt (see `Recorder::amend`).
    fn amend(&mut self, outcome: Outcome, urgent: bool) -> Result<()> {
        self.note_failure(&outcome);
        self.recorder.amend(&self.book, outcome, urgent)
    }

    /// The result line of a step (`✓ Migrate · 41.2 s`), once for each
    /// attempt: recording the same outcome again (a failure the operator
    /// chose to go on from) says nothing new.
    fn announce(&mut self, outcome: &Outcome) {
        if outcome.id.starts_with('§') || outcome.has(Reason::Ignored) {
            return;
        }
        let Some(step) = self.step_of(&outcome.id) else {
            return;
        };
        let key = (outcome.id.clone(), outcome.status, outcome.ms, outcome.exit);
        if self.announced.as_ref() == Some(&key) {
            return;
        }
        let attended = self.settings.attended();
        if let Some(line) = crate::screen::result_line(&self.book, step, outcome, attended) {
            self.operator.say(&line);
        }
        self.announced = Some(key);
    }

    /// The step whose id is `id`.
    fn step_of(&self, id: &str) -> Option<&Step> {
        self.ids.get(id).map(|&index| &self.book.steps[index])
    }

    /// `[12/40] Deploy › Migrate`: the status line's text while `step` runs.
    fn status_label(&self, step: &Step) -> String {
        let view = self.view(step, "");
        let title = crate::screen::title(&self.book, step);
        let place = crate::operator::progress(&view);
        if step.heading.is_empty() {
            format!("{place} {title}")
        } else {
            format!("{place} › {title}")
        }
    }

    /// Saves the transcript before a person is asked something (while the
    /// question is shown: see `Recorder::save_before_prompt`).
    fn before_prompt(&mut self) -> Result<()> {
        if self.settings.attended() {
            self.recorder.save_before_prompt(&self.book)?;
        }
        Ok(())
    }

    /// Before something that takes time: the first save, if still to be made.
    fn started(&mut self) -> Result<()> {
        self.recorder.started(&self.book)
    }
}

/// Every block's hosts, before anything runs: a pattern that matches no host
/// is an error at its line.
fn check_targets(source: &Source, book: &Runbook, exec: &mut dyn Executor) -> Result<()> {
    exec.targets(None)
        .map_err(|e| Error::usage(format!("--hosts: {e}")))?;
    for step in &book.steps {
        if let Some(on) = step.command().and_then(|c| c.attrs.on.as_deref()) {
            exec.targets(Some(on)).map_err(|e| {
                Error::usage(format!("{}:{}: {e}", source.display_path(), step.line))
            })?;
        }
    }
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
