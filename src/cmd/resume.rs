//! `runsheet resume`: carry on a stopped run from its transcript.

use std::path::{Path, PathBuf};

use super::{finish_message, load, operator, parse_checked, settings};
use crate::cli::ModeArgs;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::record::{RunState, settled};
use crate::run::Run;
use crate::transcript::sha256;

/// Resumes the run whose transcript is at `path`, updating it in place.
pub fn resume(path: &Path, mode: &ModeArgs) -> Result<i32> {
    let (source, read) = load(path)?;
    let Some(mut info) = read.info else {
        return Err(Error::Transcript {
            path: path.into(),
            message: "this is not a runsheet transcript (it has no run summary); use `runsheet run` to start a run".into(),
        });
    };
    // runsheet.toml belongs beside the runbook, wherever the transcript went.
    let runbook = PathBuf::from(&info.source);
    let config = Config::load(if runbook.is_file() { &runbook } else { path })?;
    let book = parse_checked(&source, &config)?;
    let finished = info.state == RunState::Complete
        && book.steps.iter().all(|s| settled(&book, s, &read.outcomes));
    if finished {
        // Nothing to ask, so no terminal needed to say so.
        eprintln!(
            "{}: this run is already finished; nothing to resume.",
            path.display()
        );
        // A run killed between its last transcript and removing its state
        // leaves the state behind: nothing will resume it now. (Kept if a
        // runner still holds it.)
        let left = crate::state::root().0.join(&info.id);
        if left.is_dir()
            && let Ok(state) = crate::state::StateDir::open(&info.id)
        {
            state.remove();
        }
        return Ok(0);
    }
    let mut operator = operator(mode, &book)?;
    let now_sha = sha256(&source.text);
    if now_sha != info.sha256 {
        let changed = "the checklist in this transcript is not the one the run began with: \
                       it was edited since (its sha256 differs)";
        let go_on = if mode.yes {
            None
        } else {
            operator.confirm_typed(&format!(
                "Careful: {changed}. Steps keep their records by id, and an edited command runs as it reads now."
            ))?
        };
        if go_on != Some(true) {
            return Err(Error::Transcript {
                path: path.into(),
                message: format!(
                    "{changed}; nothing was run. Resume it interactively to confirm, or start a new run with `runsheet run`"
                ),
            });
        }
        info.sha256 = now_sha;
    }
    let settings = settings(mode, &config, path.to_path_buf())?;
    operator.say(&format!("Resuming {}", path.display()));
    let run = Run::resume(
        source,
        book,
        info,
        read.outcomes,
        settings,
        operator.as_mut(),
    )?;
    let report = run.execute()?;
    finish_message(operator.as_mut(), path, &report);
    Ok(report.exit_code())
}
