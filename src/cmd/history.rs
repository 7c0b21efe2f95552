//! `runsheet history`: many transcripts read, filtered and shown side by side.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::print_out;
use crate::cli::{HistoryArgs, HistoryFormat};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::history::{self, Format, History, Loaded};
use crate::record::RunRecord;
use crate::run::write_atomic;
use crate::source::Source;
use crate::transcript;

/// Terminal width when standard output is not a terminal and `COLUMNS` is unset.
const PIPE_WIDTH: usize = 160;

/// Writes the history of the transcripts under `args.paths`: 0 written, 2 no
/// transcripts to show.
pub fn history(args: &HistoryArgs) -> Result<i32> {
    let files = files(&args.paths)?;
    if let Some(out) = &args.html {
        let reads: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        super::check_written(out, "--html", &reads)?;
    }
    let runs = once_each(read_all(&files));
    if runs.is_empty() {
        return Err(Error::usage(format!(
            "no runsheet transcripts in {} ({} Markdown {} looked at); \
             a transcript is what `runsheet run` writes",
            names(&args.paths),
            files.len(),
            if files.len() == 1 { "file" } else { "files" },
        )));
    }
    let runs: Vec<Loaded> = match &args.runbook {
        Some(name) => {
            let kept: Vec<Loaded> = runs
                .iter()
                .filter(|r| is_runbook(&r.record.run.source, &r.record.run.sha256, name))
                .cloned()
                .collect();
            if kept.is_empty() {
                return Err(Error::usage(format!(
                    "no run of a runbook named `{name}`; the transcripts are runs of {}",
                    runbooks(&history::group(runs))
                )));
            }
            kept
        }
        None => runs,
    };
    let mut groups = history::group(runs);
    if groups.len() > 1 {
        let which = runbooks(&groups);
        if args.html.is_some() {
            return Err(Error::usage(format!(
                "the transcripts are runs of {} runbooks: {which}; a page shows one: \
                 pick it with --runbook NAME",
                groups.len()
            )));
        }
        eprintln!(
            "note: the transcripts are runs of {} runbooks ({which}): each has its own table; \
             --runbook NAME shows one",
            groups.len()
        );
    }
    for (_, runs) in &mut groups {
        if let Some(since) = args.since {
            runs.retain(|r| {
                r.record
                    .run
                    .started
                    .parse::<jiff::Timestamp>()
                    .is_ok_and(|t| t >= since)
            });
        }
        if let Some(last) = args.last {
            let last = usize::try_from(last).unwrap_or(usize::MAX);
            let drop = runs.len().saturating_sub(last);
            runs.drain(..drop);
        }
    }
    groups.retain(|(_, runs)| !runs.is_empty());
    if groups.is_empty() {
        return Err(Error::usage(
            "no run started on or after --since; the history is empty",
        ));
    }
    let histories: Vec<History> = groups
        .into_iter()
        .map(|(runbook, runs)| {
            let mut h = history::build(&runbook, runs);
            if let Some(pattern) = &args.step {
                h.keep_steps(pattern);
            }
            h
        })
        .collect();
    if let Some(out) = &args.html {
        let Some(h) = histories.first() else {
            return Ok(2);
        };
        let page = history::html(h)?;
        write_atomic(out, page.as_bytes())?;
        eprintln!(
            "wrote {} ({}, {})",
            out.display(),
            crate::screen::plural(h.runs.len(), "run"),
            crate::screen::plural(h.rows.len(), "step")
        );
        return Ok(0);
    }
    let format = match args.format {
        HistoryFormat::Table => Format::Table { width: width() },
        HistoryFormat::Markdown => Format::Markdown,
        HistoryFormat::Json => Format::Json,
        HistoryFormat::Csv => Format::Csv,
    };
    print_out(history::render(&histories, format)?.as_bytes());
    Ok(0)
}

/// `COLUMNS` when set, else the terminal's width, else wide enough for a pipe.
fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .or_else(crate::operator::terminal_width)
        .unwrap_or(PIPE_WIDTH)
        .max(40)
}

fn names(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `deploy.md (12 runs), health-check.md (3 runs)`.
fn runbooks(groups: &[(String, Vec<Loaded>)]) -> String {
    groups
        .iter()
        .map(|(name, runs)| {
            let s = if runs.len() == 1 { "" } else { "s" };
            format!("{name} ({} run{s})", runs.len())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a run of `source` (sha256 `sha`) is of the runbook `name`: its
/// path, the end of it, or the start of its sha256 (at least 6 digits).
fn is_runbook(source: &str, sha: &str, name: &str) -> bool {
    let name = name.trim_start_matches("./");
    source == name
        || Path::new(source).ends_with(name)
        || (name.len() >= 6 && sha.starts_with(&name.to_ascii_lowercase()))
}

/// The Markdown files named, and those under the directories named.
fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(path, &mut found)?;
        } else {
            found.push(path.clone());
        }
    }
    Ok(found)
}

/// Every `.md` file under `dir`, in name order; hidden directories left out.
fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let read = std::fs::read_dir(dir).map_err(|source| Error::Read {
        path: dir.into(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if path.is_dir() {
            if !hidden {
                walk(&path, found)?;
            }
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
    Ok(())
}

/// What reading one file gave.
enum Read {
    Run(Box<Loaded>),
    NotATranscript,
    Damaged(Error),
}

/// Reads the transcripts among `files`, two or more at a time; says which
/// files were not transcripts and which were damaged, and goes on.
fn read_all(files: &[PathBuf]) -> Vec<Loaded> {
    let configs: Mutex<HashMap<PathBuf, Config>> = Mutex::new(HashMap::new());
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(files.len().max(1));
    let chunk = files.len().div_ceil(workers).max(1);
    let results: Vec<Read> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                let configs = &configs;
                s.spawn(move || {
                    part.iter()
                        .map(|f| read_one(f, configs))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut runs = Vec::new();
    for (file, read) in files.iter().zip(results) {
        match read {
            Read::Run(run) => runs.push(*run),
            Read::NotATranscript => {
                eprintln!(
                    "note: {}: not a runsheet transcript, skipped",
                    file.display()
                );
            }
            Read::Damaged(e) => {
                eprintln!("warning: {e}\n  (this transcript is skipped; the others are shown)");
            }
        }
    }
    runs
}

/// `runs` with each run once: copies of a transcript (one in `runs/ci/`,
/// one in `runs/archive/`, or a file named twice) record the same run id,
/// and counting each would count its steps and failures twice. The first
/// is kept, unless it is not intact and a later copy is; each left out is
/// named on standard error, and so is each kept that is not intact.
fn once_each(runs: Vec<Loaded>) -> Vec<Loaded> {
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<Loaded> = Vec::with_capacity(runs.len());
    for run in runs {
        let Some(&i) = at.get(&run.record.run.id) else {
            at.insert(run.record.run.id.clone(), kept.len());
            kept.push(run);
            continue;
        };
        let (left, other) = if run.intact && !kept[i].intact {
            (std::mem::replace(&mut kept[i], run), &kept[i])
        } else {
            (run, &kept[i])
        };
        eprintln!(
            "note: {}: the same run ({}) as {}, left out: a run counts once{}",
            left.path,
            left.record.run.id,
            other.path,
            if left.intact {
                ""
            } else {
                ", and this copy is not intact"
            }
        );
    }
    for run in kept.iter().filter(|r| !r.intact) {
        eprintln!(
            "warning: {}\n  (its run is shown as `edited`, not by what it says)",
            super::not_intact(Path::new(&run.path), &run.record.run.source)
        );
    }
    kept
}

fn read_one(path: &Path, configs: &Mutex<HashMap<PathBuf, Config>>) -> Read {
    let raw = match Source::read(path) {
        Ok(raw) => raw,
        Err(e) => return Read::Damaged(e),
    };
    let Some(runbook) = transcript::recorded_source(&raw.text) else {
        return Read::NotATranscript;
    };
    // The runbook's runsheet.toml when it is where the run found it, else
    // the one beside the transcript: read once a directory.
    let runbook = PathBuf::from(runbook);
    let at = if runbook.is_file() {
        runbook
    } else {
        path.to_path_buf()
    };
    let dir = at.parent().map(Path::to_path_buf).unwrap_or_default();
    let cached = configs.lock().ok().and_then(|c| c.get(&dir).cloned());
    let config = match cached {
        Some(c) => c,
        None => match Config::load(&at) {
            Ok(c) => {
                if let Ok(mut map) = configs.lock() {
                    map.insert(dir, c.clone());
                }
                c
            }
            Err(e) => return Read::Damaged(e),
        },
    };
    match transcript::run_of(path, &raw.text, &config) {
        Ok(run) => Read::Run(Box::new(Loaded {
            path: path.display().to_string(),
            intact: run.intact,
            record: RunRecord::of_outcomes(run.info, &run.book, run.outcomes),
        })),
        Err(e) => Read::Damaged(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runbook_is_named_by_path_end_or_sha() {
        let sha = "8158fd78284b53ecf9540ac81a1071b7";
        assert!(is_runbook("runbooks/deploy.md", sha, "runbooks/deploy.md"));
        assert!(is_runbook("/srv/runbooks/deploy.md", sha, "deploy.md"));
        assert!(is_runbook(
            "runbooks/deploy.md",
            sha,
            "./runbooks/deploy.md"
        ));
        assert!(is_runbook("runbooks/deploy.md", sha, "8158FD78"));
        assert!(!is_runbook("runbooks/deploy.md", sha, "8158"));
        assert!(!is_runbook("runbooks/redeploy.md", sha, "deploy.md"));
    }
}
