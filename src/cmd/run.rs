//! `runsheet run`: walk a checklist and write its transcript.

use std::path::{Path, PathBuf};

use super::{
    check_reports, finish_message, load, operator, parse_checked, rendering, settings,
    write_reports,
};
use crate::cli::{ModeArgs, PathArgs, ReportArgs};
use crate::config::Config;
use crate::doc::Runbook;
use crate::error::{Error, Result};
use crate::run::{PathSettings, Run};
use crate::template::Inputs;
use crate::transcript::sha256;

/// Runs `file` (a runbook, a template rendered with `inputs`, or a
/// transcript of a runbook), writing the transcript to `output` or a new
/// file beside it.
pub fn run(
    file: &Path,
    output: Option<PathBuf>,
    mode: &ModeArgs,
    inputs: &Inputs,
    path: &PathArgs,
    only: Only<'_>,
    reports: &ReportArgs,
) -> Result<i32> {
    if let Some(out) = &output {
        check_output(out, file)?;
    }
    let mut reads = vec![file];
    reads.extend(output.as_deref());
    check_reports(reports, &reads)?;
    let config = Config::load(file)?;
    let loaded = load(file, inputs, &config, &mode.secrets)?;
    let (source, read) = (loaded.source, loaded.read);
    if let Some(t) = read.info.as_ref().and_then(|i| i.template.as_ref()) {
        return Err(Error::usage(format!(
            "{} is the transcript of a templated run; run the template again (runsheet run {}{}), \
             or carry this run on with `runsheet resume`",
            file.display(),
            t.path,
            read.info
                .as_ref()
                .and_then(|i| i.env.as_ref())
                .map(|e| format!(" --env {e}"))
                .unwrap_or_default()
        )));
    }
    if let Some(info) = &read.info
        && sha256(&source.text) != info.sha256
    {
        eprintln!(
            "warning: {}: the checklist in this transcript was edited since its run; it runs as it reads now",
            file.display()
        );
    }
    let book = parse_checked(&source, &config, loaded.rendered.as_ref())?;
    let mut operator = operator(mode, &book)?;
    let transcript = output.unwrap_or_else(|| default_transcript(file));
    let mut settings = settings(mode, &config, transcript.clone())?;
    settings.rendering = loaded.rendered.as_ref().map(|r| rendering(r, file));
    settings.path = path_settings(&book, path, only, &file.to_string_lossy())?;
    if mode.yes {
        crate::run::choose_ahead(
            &book,
            &mut settings.path,
            &std::collections::HashMap::new(),
            operator.as_mut(),
        )?;
    }
    if read.info.is_some() {
        operator.say(&format!(
            "{} is a transcript: running the checklist it was made from.",
            file.display()
        ));
    }
    for d in &book.diagnostics {
        operator.say(&d.to_string());
    }
    operator.say(&format!("Transcript: {}", transcript.display()));
    let report = Run::start(source, book, settings, operator.as_mut())?.execute()?;
    write_reports(reports, &report.record)?;
    finish_message(operator.as_mut(), &transcript, &report);
    Ok(report.exit_code())
}

/// What `--only` and `--section` ask a run to be limited to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Only<'a> {
    /// `--section HEADING`.
    pub section: Option<&'a str>,
    /// `--only NAME...`: one section, or steps.
    pub named: &'a [String],
}

/// The way through `book` the command line asks for: `--only`,
/// `--on-failure`, `--choose`, `--honour-waits`, checked against it.
pub(super) fn path_settings(
    book: &Runbook,
    path: &PathArgs,
    only: Only<'_>,
    file: &str,
) -> Result<PathSettings> {
    let name = Path::new(file)
        .file_name()
        .map_or_else(|| file.to_string(), |n| n.to_string_lossy().into_owned());
    let from = path
        .from
        .as_deref()
        .map(|q| {
            book.find_step(q, &name)
                .map_err(|e| Error::usage(format!("--from: {e}")))
        })
        .transpose()?;
    let find_steps = |names: &[String]| -> Result<Vec<usize>> {
        names
            .iter()
            .map(|q| {
                book.find_step(q, &name)
                    .map_err(|e| Error::usage(format!("--only: {e}")))
            })
            .collect()
    };
    let (only, only_steps) = match (only.section, only.named) {
        (Some(h), _) => {
            let s = book
                .find_section(h)
                .map_err(|e| Error::usage(format!("--section: {e}")))?;
            (Some(s), Vec::new())
        }
        (None, []) => (None, Vec::new()),
        // One name: a section's first, as `--only` always took it.
        (None, [one]) => match book.find_section(one) {
            Ok(s) => (Some(s), Vec::new()),
            Err(not_section) => match book.find_step(one, &name) {
                Ok(step) => (None, vec![step]),
                Err(not_step) => {
                    return Err(Error::usage(format!(
                        "--only: {not_section}; nor is it a step: {not_step}"
                    )));
                }
            },
        },
        (None, many) => (None, find_steps(many)?),
    };
    let on_failure = match &path.on_failure {
        None => None,
        Some(q) => {
            let s = book
                .find_section(q)
                .map_err(|e| Error::usage(format!("--on-failure: {e}")))?;
            if book.contingency_of_section(s).is_none() {
                let listed: Vec<String> = book
                    .contingency_sections()
                    .iter()
                    .map(|&c| format!("\"{}\"", book.sections[c].title))
                    .collect();
                return Err(Error::usage(format!(
                    "--on-failure {q:?}: \"{}\" (line {}) is on the main path, not a contingency section; {}",
                    book.sections[s].title,
                    book.sections[s].line,
                    if listed.is_empty() {
                        "this runbook has none (mark one with <!-- runsheet: contingency --> under its heading)".to_string()
                    } else {
                        format!("its contingency sections are {}", listed.join(", "))
                    }
                )));
            }
            Some(s)
        }
    };
    Ok(PathSettings {
        only,
        on_failure,
        chosen: crate::run::choices(book, &path.choose)?,
        honour_waits: path.honour_waits,
        from,
        retry_skipped: false,
        only_steps,
    })
}

/// `<stem>.run-<UTC time>.md` beside the runbook, never an existing file
/// (`deploy.md.j2` makes `deploy.run-...md`).
fn default_transcript(file: &Path) -> PathBuf {
    let mut stem = file
        .file_stem()
        .map_or_else(|| "runbook".into(), |s| s.to_string_lossy().into_owned());
    if crate::template::front::template_by_name(file)
        && let Some(inner) = stem.strip_suffix(".md")
    {
        stem = inner.to_string();
    }
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let dir = file.parent().unwrap_or(Path::new(""));
    let mut path = dir.join(format!("{stem}.run-{stamp}.md"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{stem}.run-{stamp}-{n}.md"));
        n += 1;
    }
    path
}

/// `-o` must be a file in a directory that exists, and not the runbook.
fn check_output(out: &Path, input: &Path) -> Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(Error::usage(format!(
            "cannot write the transcript to {}: the directory {} does not exist; create it or choose another -o",
            out.display(),
            parent.display()
        )));
    }
    if out.is_dir() {
        return Err(Error::usage(format!(
            "-o {} is a directory; give a file name",
            out.display()
        )));
    }
    // The transcript is saved by renaming a new file over it: over a device
    // (`/dev/null`, `/dev/full`) or a pipe that would replace the device.
    if out.exists() && !out.is_file() {
        return Err(Error::usage(format!(
            "-o {} is not a regular file (a device, a pipe or a socket); the transcript is \
             written as a file: give a file name",
            out.display()
        )));
    }
    if out.is_file()
        && let Ok(text) = std::fs::read_to_string(out)
        && let Ok(read) = crate::transcript::read(out, &text)
        && let Some(info) = read.info
    {
        // A run writing it right now says so first.
        drop(crate::state::lock_output(out)?);
        return Err(Error::usage(format!(
            "-o {} already holds the transcript of run {} ({}); runsheet never replaces a transcript: \
             `runsheet resume {}` continues that run, or choose another -o",
            out.display(),
            info.id,
            info.state,
            out.display()
        )));
    }
    let same = match (out.canonicalize(), input.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(Error::usage(format!(
            "-o {} is the runbook itself; runsheet never overwrites a runbook — choose another file",
            out.display()
        )));
    }
    // And its directory takes new files.
    super::check_written(out, "-o", &[])
}
