//! The transcript saver: renders and writes the transcript on a thread of its
//! own before a prompt, so that the operator's next question does not wait
//! for a rewrite of the whole document, however long the runbook.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::doc::Runbook;
use crate::error::{Error, Result};
use crate::record::{Outcome, RunInfo};
use crate::source::Source;
use crate::transcript::Rendered;
use crate::transcript::journal::Journal;

use super::recorder::{stamp, write_atomic};

/// What the saver needs to render the transcript, its own copy: the
/// runbook and source do not change during a run, and the outcomes are kept
/// up to date by the steps recorded since (`Save::changed`).
pub(super) struct Inputs {
    pub source: Source,
    pub book: Runbook,
    pub outcomes: HashMap<String, Outcome>,
    pub transcript: PathBuf,
    /// Where the sha256 of the transcript last written goes.
    pub stamp: PathBuf,
    /// The run's journal, forced to disk before each save.
    pub journal: Journal,
    /// The transcript as rendered so far, if it was: kept as pieces, so
    /// that a save renders again only the steps recorded since.
    pub rendered: Option<Rendered>,
}

/// How long a save before a prompt waits before it starts: the prompt is
/// drawn first, without the save competing for the processor, and what
/// else is recorded meanwhile goes into the same save. A person takes
/// longer than this to read the question.
const DEFER: Duration = Duration::from_millis(20);

/// One request: the outcomes recorded since the last, and the run's summary
/// to save the transcript with (none: only keep the copy up to date).
/// Someone waits for an urgent one: it is saved at once.
struct Save {
    changed: Vec<Outcome>,
    info: Option<RunInfo>,
    urgent: bool,
}

/// The saving thread, and what it answered.
pub(super) struct Saver {
    transcript: PathBuf,
    requests: Option<Sender<Save>>,
    /// One answer a request: the save's result on the last of a batch.
    answers: Receiver<Result<()>>,
    sent: usize,
    answered: usize,
    thread: Option<JoinHandle<()>>,
}

impl Saver {
    /// Starts the thread; `None` if the system would not start one.
    pub(super) fn start(inputs: Inputs) -> Option<Saver> {
        let transcript = inputs.transcript.clone();
        let (requests, inbox) = mpsc::channel();
        let (outbox, answers) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("transcript".into())
            .spawn(move || serve(inputs, &inbox, &outbox))
            .ok()?;
        Some(Saver {
            transcript,
            requests: Some(requests),
            answers,
            sent: 0,
            answered: 0,
            thread: Some(thread),
        })
    }

    /// Saves the transcript with `changed` recorded and `info` as the run's
    /// summary, in the background. A save that failed since is reported here.
    pub(super) fn save(&mut self, changed: Vec<Outcome>, info: RunInfo) -> Result<()> {
        self.collect()?;
        self.send(Save {
            changed,
            info: Some(info),
            urgent: false,
        })
    }

    /// Hands over `changed`, saves now with `info` if given, and waits
    /// until every save asked for is on disk, so that what the caller
    /// writes next is not overwritten by an older save. Reports a save
    /// that failed.
    pub(super) fn settle(&mut self, changed: Vec<Outcome>, info: Option<RunInfo>) -> Result<()> {
        self.send(Save {
            changed,
            info,
            urgent: true,
        })?;
        let mut result = Ok(());
        while self.answered < self.sent {
            let Ok(answer) = self.answers.recv() else {
                return Err(self.gone());
            };
            self.answered += 1;
            if answer.is_err() && result.is_ok() {
                result = answer;
            }
        }
        result
    }

    fn send(&mut self, save: Save) -> Result<()> {
        crate::signals::save_asked();
        if self.requests.as_ref().is_some_and(|r| r.send(save).is_ok()) {
            self.sent += 1;
            Ok(())
        } else {
            crate::signals::saves_done(1);
            Err(self.gone())
        }
    }

    /// The saving thread ended without being asked to (it panicked).
    fn gone(&self) -> Error {
        Error::Write {
            path: self.transcript.clone(),
            source: std::io::Error::other("the thread saving the transcript stopped"),
        }
    }

    /// The answers already there, without waiting.
    fn collect(&mut self) -> Result<()> {
        while let Ok(answer) = self.answers.try_recv() {
            self.answered += 1;
            answer?;
        }
        Ok(())
    }
}

impl Drop for Saver {
    /// Lets the thread finish the save in hand, so that no half-written
    /// temporary file is left behind.
    fn drop(&mut self) {
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread: takes every request waiting (a save before a prompt waits
/// `DEFER` for more), brings its copy up to date, and saves once for all of
/// them (the latest summary wins).
fn serve(mut inputs: Inputs, inbox: &Receiver<Save>, outbox: &Sender<Result<()>>) {
    let mut rendered = inputs.rendered.take();
    // Steps recorded since the pieces were last rendered.
    let mut dirty: Vec<String> = Vec::new();
    while let Ok(first) = inbox.recv() {
        let mut batch = vec![first];
        if !batch[0].urgent {
            let until = Instant::now() + DEFER;
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                match inbox.recv_timeout(left) {
                    Ok(save) => {
                        let urgent = save.urgent;
                        batch.push(save);
                        if urgent {
                            break;
                        }
                    }
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                }
            }
        }
        batch.extend(inbox.try_iter());
        let count = batch.len();
        let mut info = None;
        for save in batch {
            for outcome in save.changed {
                dirty.push(outcome.id.clone());
                inputs.outcomes.insert(outcome.id.clone(), outcome);
            }
            info = save.info.or(info);
        }
        let result = match info {
            Some(info) => {
                let Inputs {
                    source,
                    book,
                    outcomes,
                    ..
                } = &inputs;
                let pieces = match &mut rendered {
                    Some(pieces) => {
                        pieces.update(source, book, outcomes, dirty.iter().map(String::as_str));
                        pieces
                    }
                    None => rendered.insert(Rendered::new(source, book, outcomes)),
                };
                dirty.clear();
                let text = pieces.text(source, book, outcomes, &info);
                let saved = inputs
                    .journal
                    .sync()
                    .and_then(|()| write_atomic(&inputs.transcript, text.as_bytes()));
                if saved.is_ok() {
                    stamp(&inputs.stamp, &text);
                }
                saved
            }
            None => Ok(()),
        };
        crate::signals::saves_done(count);
        for _ in 1..count {
            let _ = outbox.send(Ok(()));
        }
        if outbox.send(result).is_err() {
            return;
        }
    }
}
