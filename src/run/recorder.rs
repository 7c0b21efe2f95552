//! The recorder: every outcome goes to the journal at once and into the
//! transcript at checkpoints, so a killed run loses at most the step in flight.

use std::collections::HashMap;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::doc::{Runbook, Step};
use crate::error::{Error, Result};
use crate::record::{Outcome, Reason, RunInfo, RunRecord, RunState, Scope, now, settled};
use crate::source::Source;
use crate::state::{OutputLock, StateDir, lock_output};
use crate::transcript::journal::{self, Journal};
use crate::transcript::{Rendered, Span, Spliced, sha256};

use super::saver::{Inputs, Saver};

/// How often the transcript is re-rendered between prompts, at most.
const CHECKPOINT: Duration = Duration::from_secs(1);

/// A transcript's text as `resume` read it, with where runsheet's text is
/// in it (`Transcript::spans`) and the text's sha256.
pub struct Written {
    pub text: String,
    pub spans: Vec<Span>,
    pub sha256: String,
    /// The checklist was edited since the run began, and its records were
    /// given to the steps they sit beside, the journal's already among
    /// them: its lines, under the ids the steps had before, are not read
    /// again.
    pub rekeyed: bool,
}

/// Where a run's outcomes go.
pub struct Recorder {
    source: Source,
    transcript: PathBuf,
    info: RunInfo,
    outcomes: HashMap<String, Outcome>,
    state: StateDir,
    journal: Journal,
    last_render: Instant,
    /// The transcript as last rendered, kept as pieces so that the next
    /// render redoes only the steps recorded since; the saver's once it starts.
    rendered: Option<Rendered>,
    /// On resume, the transcript as this run's last save wrote it (its
    /// sha256 in the state says so), with where runsheet's text is in it:
    /// saves patch it (see `Spliced`) until one cannot; then the pieces.
    base: Option<(String, Vec<Span>)>,
    spliced: Option<Spliced>,
    /// While `base` or `spliced` is kept: the steps recorded since it was
    /// written, with the outcome each had then.
    was: HashMap<String, Option<Outcome>>,
    /// Saves the transcript before prompts, on its own thread; started at
    /// the first prompt.
    saver: Option<Saver>,
    /// The ids of the outcomes recorded since the transcript was last
    /// rendered (or, once the saver runs, since it last heard of any).
    unsaved: Vec<String>,
    /// How many outcomes this process recorded: steps ran when it is not 0.
    recorded: usize,
    /// Counts the outcomes recorded that may change the run's path (see
    /// `Scope::of`): a path worked out before stays right while it stays.
    path_changes: u64,
    /// A resumed run's first save, not made yet: made before anything
    /// that takes time (a block, a wait, a question to a person), or by the
    /// next save. Until then the transcript is the one the run last wrote,
    /// and the journal holds what was recorded since.
    first_save: bool,
    /// No other runner writes the transcript while this one does.
    _output: OutputLock,
}

impl Recorder {
    /// Records a run of `source` into `transcript`, its journal in `state`.
    /// `outcomes` are those of an earlier part of the run (on resume), to
    /// which the journal's are added: they are newer than the transcript's.
    /// `written` is the transcript's text as read, with where runsheet's
    /// text is in it: kept to be patched if this run's last save wrote it.
    pub fn open(
        source: Source,
        transcript: PathBuf,
        info: RunInfo,
        mut outcomes: HashMap<String, Outcome>,
        state: StateDir,
        written: Option<Written>,
    ) -> Result<Recorder> {
        let output = lock_output(&transcript)?;
        if written.as_ref().is_some_and(|w| w.rekeyed) {
            // Until the first save, the transcript keeps the records where
            // they were, and gives them to their steps again if need be.
            crate::fsutil::open_private(&state.journal(), crate::fsutil::Open::Truncate)?;
        }
        let was = journal::replay_into(&state.journal(), &mut outcomes);
        let stamp = std::fs::read_to_string(state.stamp()).unwrap_or_default();
        let base = written
            .filter(|w| !stamp.is_empty() && w.sha256 == stamp)
            .map(|w| (w.text, w.spans));
        let was = if base.is_some() { was } else { HashMap::new() };
        let journal = Journal::open(&state.journal())?;
        Ok(Recorder {
            source,
            transcript,
            info,
            outcomes,
            state,
            journal,
            last_render: Instant::now(),
            rendered: None,
            base,
            spliced: None,
            was,
            saver: None,
            unsaved: Vec::new(),
            recorded: 0,
            path_changes: 0,
            first_save: false,
            _output: output,
        })
    }

    /// The runbook being run.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The run's summary.
    pub fn info(&self) -> &RunInfo {
        &self.info
    }

    /// Whether a reboot loses the run's private state.
    pub fn state_is_volatile(&self) -> bool {
        self.state.volatile
    }

    /// Where the transcript goes.
    pub fn transcript(&self) -> &Path {
        &self.transcript
    }

    /// What became of step `id`, if anything did yet.
    pub fn outcome(&self, id: &str) -> Option<&Outcome> {
        self.outcomes.get(id)
    }

    /// The path the run has taken so far: what it left off on purpose.
    pub fn scope(&self, book: &Runbook) -> Scope {
        Scope::of(book, &self.outcomes)
    }

    /// Changes each time an outcome that may change `scope` is recorded.
    pub fn path_changes(&self) -> u64 {
        self.path_changes
    }

    /// What a failure to write the transcript means at this point of the run.
    pub fn saving(&self) -> Saving {
        Saving {
            transcript: self.transcript.clone(),
            journal: self.state.journal(),
            recorded: self.recorded,
        }
    }

    /// Done, skipped, ticked before the run, or filled with its command.
    pub fn settled(&self, book: &Runbook, step: &Step) -> bool {
        settled(book, step, &self.outcomes)
    }

    /// Records a new attempt at a step: its outcome so far, if any, becomes
    /// an earlier attempt. Journal first (survives a kill), transcript at
    /// checkpoints, or now if `urgent`.
    pub fn record(&mut self, book: &Runbook, outcome: Outcome, urgent: bool) -> Result<()> {
        self.note_path_change(&outcome);
        self.remember(&outcome.id);
        // A section's record is what became of it, not an attempt.
        let outcome = match self.outcomes.remove(&outcome.id) {
            Some(previous) if !outcome.id.starts_with('§') => outcome.after(previous),
            _ => outcome,
        };
        self.write(book, outcome, urgent)
    }

    /// Records what more is known of the step's latest attempt (the operator
    /// chose to go on after it failed): the same attempt, not a new one.
    pub fn amend(&mut self, book: &Runbook, mut outcome: Outcome, urgent: bool) -> Result<()> {
        self.note_path_change(&outcome);
        self.remember(&outcome.id);
        if let Some(previous) = self.outcomes.remove(&outcome.id) {
            outcome.earlier = previous.earlier;
        }
        self.write(book, outcome, urgent)
    }

    /// Counts `outcome` in `path_changes` when it may change the run's path,
    /// which follows from sections' records and options not chosen, and
    /// from nothing else (see `Scope::of`).
    fn note_path_change(&mut self, outcome: &Outcome) {
        let not_chosen = |o: &Outcome| o.has(Reason::NotChosen);
        if outcome.id.starts_with('§')
            || not_chosen(outcome)
            || self.outcomes.get(&outcome.id).is_some_and(not_chosen)
        {
            self.path_changes += 1;
        }
    }

    /// While a written transcript is kept to be patched: what step `id`
    /// was in it, unless that is known already.
    fn remember(&mut self, id: &str) {
        if (self.base.is_some() || self.spliced.is_some()) && !self.was.contains_key(id) {
            self.was
                .insert(id.to_string(), self.outcomes.get(id).cloned());
        }
    }

    /// Journal first, then the outcome in memory; each journal line holds the
    /// step's whole history, so replaying keeps the last line of each step.
    fn write(&mut self, book: &Runbook, outcome: Outcome, urgent: bool) -> Result<()> {
        self.journal.append(&outcome)?;
        self.unsaved.push(outcome.id.clone());
        // What became of a section is not a step that ran.
        if !outcome.id.starts_with('§') {
            self.recorded += 1;
        }
        self.outcomes.insert(outcome.id.clone(), outcome);
        self.checkpoint(book, urgent)
    }

    /// The run's first save: now, or for a resumed run (`later`) before
    /// the first thing that takes time (see `started`). A transcript that
    /// cannot be written fails here either way, before anything is recorded.
    pub fn begin(&mut self, book: &Runbook, later: bool) -> Result<()> {
        if !later {
            return self.checkpoint(book, true);
        }
        // What a save needs of the transcript's directory, tried now.
        let dir = self
            .transcript
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        tempfile::Builder::new()
            .prefix(".runsheet-")
            .tempfile_in(dir)
            .map_err(|source| Error::Write {
                path: self.transcript.clone(),
                source,
            })?;
        self.first_save = true;
        Ok(())
    }

    /// Makes the first save if it is still to be made: the run is about to
    /// do something that takes time.
    pub fn started(&mut self, book: &Runbook) -> Result<()> {
        if self.first_save {
            self.checkpoint(book, true)?;
        }
        Ok(())
    }

    /// Re-renders the transcript atomically, now if `force`, else at most once a second.
    pub fn checkpoint(&mut self, book: &Runbook, force: bool) -> Result<()> {
        if !force && self.last_render.elapsed() < CHECKPOINT {
            return Ok(());
        }
        self.first_save = false;
        if self.saver.is_some() {
            let changed = self.take_unsaved();
            if let Some(saver) = &mut self.saver {
                saver.settle(changed, Some(self.info.clone()))?;
            }
        } else if self.patch(book) {
            let text = self.spliced.as_ref().map_or("", Spliced::text);
            self.journal.sync()?;
            write_atomic(&self.transcript, text.as_bytes())?;
            stamp(&self.state.stamp(), text);
        } else {
            let text = self.render(book);
            self.journal.sync()?;
            write_atomic(&self.transcript, text.as_bytes())?;
            stamp(&self.state.stamp(), &text);
        }
        self.last_render = Instant::now();
        Ok(())
    }

    /// Patches the transcript last written for what was recorded since,
    /// if it is kept and can be: `false` if it must be rendered in full.
    fn patch(&mut self, book: &Runbook) -> bool {
        if let Some((text, spans)) = self.base.take() {
            self.spliced = Some(Spliced::new(
                text,
                spans,
                &self.source,
                book,
                &self.outcomes,
            ));
        }
        let Some(spliced) = &mut self.spliced else {
            return false;
        };
        let changed: Vec<String> = self.was.keys().cloned().collect();
        let patched = spliced.patch(
            &self.source,
            book,
            &self.was,
            &self.outcomes,
            &changed,
            &self.info,
        );
        self.was.clear();
        if patched {
            // The pieces, if ever made, start from the outcomes as they are.
            self.unsaved.clear();
        } else {
            self.spliced = None;
        }
        patched
    }

    /// The transcript's text now: the pieces brought up to date.
    fn render(&mut self, book: &Runbook) -> String {
        let unsaved = std::mem::take(&mut self.unsaved);
        let (source, outcomes) = (&self.source, &self.outcomes);
        let rendered = match &mut self.rendered {
            Some(rendered) => {
                rendered.update(source, book, outcomes, unsaved.iter().map(String::as_str));
                rendered
            }
            None => self.rendered.insert(Rendered::new(source, book, outcomes)),
        };
        rendered.text(source, book, outcomes, &self.info)
    }

    /// The outcomes recorded since the saver last heard of any, once each.
    fn take_unsaved(&mut self) -> Vec<Outcome> {
        let mut ids = std::mem::take(&mut self.unsaved);
        ids.sort_unstable();
        ids.dedup();
        ids.iter()
            .filter_map(|id| self.outcomes.get(id).cloned())
            .collect()
    }

    /// Saves the transcript before a prompt: on the saver's thread, so that
    /// the prompt does not wait for a rewrite of the whole document (the
    /// journal already holds every step, and the saver forces it to disk
    /// first). Done now instead if no thread can be started.
    pub fn save_before_prompt(&mut self, book: &Runbook) -> Result<()> {
        if self.saver.is_none() {
            // The saver keeps pieces: what was written is no longer patched.
            self.base = None;
            self.spliced = None;
            self.was.clear();
            let journal = self.journal.try_clone()?;
            // The saver starts from the pieces as they stand now.
            if let Some(rendered) = &mut self.rendered {
                let unsaved = std::mem::take(&mut self.unsaved);
                rendered.update(
                    &self.source,
                    book,
                    &self.outcomes,
                    unsaved.iter().map(String::as_str),
                );
            }
            self.unsaved.clear();
            self.saver = Saver::start(Inputs {
                source: self.source.clone(),
                book: book.clone(),
                outcomes: self.outcomes.clone(),
                transcript: self.transcript.clone(),
                stamp: self.state.stamp(),
                journal,
                rendered: self.rendered.take(),
            });
        }
        if self.saver.is_none() {
            return self.checkpoint(book, true);
        }
        let changed = self.take_unsaved();
        if let Some(saver) = &mut self.saver {
            saver.save(changed, self.info.clone())?;
        }
        self.first_save = false;
        self.last_render = Instant::now();
        Ok(())
    }

    /// Ends the run in `state`, writes the transcript a last time, and gives
    /// the run's record. When nothing is left for `resume` the private state
    /// goes; otherwise it stays, and `true` says so.
    pub fn finish(mut self, book: &Runbook, state: RunState) -> Result<(RunRecord, bool)> {
        self.info.finished = Some(now());
        self.info.state = state;
        let record = if self.saver.is_some() {
            self.checkpoint(book, true)?;
            // The recorder is done with: what the outcomes hold moves into the record.
            let outcomes = std::mem::take(&mut self.outcomes);
            RunRecord::of_outcomes(self.info, book, outcomes)
        } else {
            // The record is built while the last save waits for the disk.
            let full = if self.patch(book) {
                None
            } else {
                Some(self.render(book))
            };
            let text = match &full {
                Some(text) => text.as_str(),
                None => self.spliced.as_ref().map_or("", Spliced::text),
            };
            let outcomes = std::mem::take(&mut self.outcomes);
            let (journal, transcript) = (&self.journal, &self.transcript);
            let save = || -> Result<()> {
                journal.sync()?;
                write_atomic(transcript, text.as_bytes())
            };
            let info = self.info;
            let record = std::thread::scope(|s| {
                match std::thread::Builder::new()
                    .name("transcript".into())
                    .spawn_scoped(s, save)
                {
                    Ok(saving) => {
                        let record = RunRecord::of_outcomes(info, book, outcomes);
                        let saved = saving
                            .join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                        saved.map(|()| record)
                    }
                    // No thread to be had: one after the other.
                    Err(_) => save().map(|()| RunRecord::of_outcomes(info, book, outcomes)),
                }
            })?;
            // Only a run kept for `resume` needs to know the text is its own.
            if state != RunState::Complete || !record.counts.all_settled() {
                stamp(&self.state.stamp(), text);
            }
            record
        };
        // Unverified outputs are settled: resuming cannot verify them.
        let done_with = state == RunState::Complete && record.counts.all_settled();
        if done_with {
            self.state.remove();
        }
        // A finished run is the end of the process: the pieces (a string
        // for every step recorded) go with it instead of being freed one at
        // a time.
        std::mem::forget(self.rendered.take());
        std::mem::forget(self.spliced.take());
        Ok((record, !done_with))
    }
}

/// Where a run stands for saving its transcript: see `Saving::error`.
pub struct Saving {
    transcript: PathBuf,
    journal: PathBuf,
    recorded: usize,
}

impl Saving {
    /// `error` as it stands: once steps were recorded, a transcript that
    /// could not be written is `Error::Unsaved` (the journal has what it
    /// misses); anything else, or with nothing recorded yet, as it is.
    pub fn error(&self, error: Error) -> Error {
        match error {
            Error::Write { path, source } if self.recorded > 0 && path == self.transcript => {
                Error::Unsaved {
                    path,
                    source,
                    journal: self.journal.clone(),
                    recorded: self.recorded,
                }
            }
            e => e,
        }
    }
}

/// Notes in `path` (the run's state) the sha256 of the transcript just
/// written, `text`: a resumed run patches a transcript only if it is
/// byte for byte what a save of the run wrote. Not forced to disk: a
/// stamp lost or stale is only a transcript rendered in full.
pub(super) fn stamp(path: &Path, text: &str) {
    let _ = crate::fsutil::write_private(path, sha256(text).as_bytes());
}

/// Writes `path` through a temp file in the same directory, fsync and rename,
/// so a reader (or a crash) sees the old file or the new one, never half.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let err = |source| Error::Write {
        path: path.into(),
        source,
    };
    // A device or a pipe (`/dev/stdout`, a FIFO) is written into: a rename
    // would put a file in its place.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(err)?;
        return file.write_all(bytes).map_err(err);
    }
    // A link is followed: the file it names is replaced, the link stays.
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => path.canonicalize().ok(),
        _ => None,
    };
    let path = target.as_deref().unwrap_or(path);
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
