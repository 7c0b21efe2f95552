//! `runsheet resume`: carry on a stopped run from its transcript.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{
    check_reports, checked, finish_message, load_text, load_written, operator, parse_checked,
    rendering, settings, write_reports,
};
use crate::cli::{ModeArgs, PathArgs, ReportArgs};
use crate::config::Config;
use crate::doc::Runbook;
use crate::error::{Error, Result};
use crate::record::{RunInfo, RunRecord, RunState, Scope, TemplateInfo, settled};
use crate::run::{Run, Written};
use crate::secrets::{MASK, Secrets};
use crate::source::Source;
use crate::template::{self, Inputs, Rendered};
use crate::transcript::{self, Why, sha256};

/// Resumes the run whose transcript is at `path`, updating it in place. A
/// templated run is rendered again from its template with the variables
/// it recorded (and `inputs`: secrets the transcript masks).
pub fn resume(
    path: &Path,
    mode: &ModeArgs,
    inputs: &Inputs,
    way: &PathArgs,
    retry_skipped: bool,
    reports: &ReportArgs,
) -> Result<i32> {
    check_reports(reports, &[path])?;
    // Where its lines start is asked only of a text that is no transcript.
    let text = Source::read_text(path)?;
    // While this core reads the transcript, a second one parses the runbook
    // it names, if that is still the text the run began with. The text is
    // kept: the run's saves patch it rather than render it all again.
    let (loaded, early, digest) = std::thread::scope(|s| {
        let early = s.spawn(|| Early::of(path, &text));
        let digest = sha256(&text);
        // A transcript the run wrote itself is laid out as runsheet writes
        // it, and read by that layout without the Markdown parser.
        let loaded = if transcript::stamped(&text, &digest) {
            load_written(path, &text)
        } else {
            let raw = Source::from_text(path, text.clone());
            load_text(path, raw, &Inputs::default(), &Config::default(), &[])
        };
        (loaded, early.join().ok().flatten(), digest)
    });
    let loaded = loaded?;
    let (source, mut read) = (loaded.source, loaded.read);
    let Some(mut info) = read.info else {
        return Err(Error::Transcript {
            path: path.into(),
            message: "this is not a runsheet transcript (it has no run summary); use `runsheet run` to start a run".into(),
        });
    };
    // runsheet.toml belongs beside the runbook, wherever the transcript went.
    let (config, parsed) = match early {
        Some(early) if early.runbook == info.source => (early.config?, early.parsed),
        _ => {
            let runbook = PathBuf::from(&info.source);
            (
                Config::load(if runbook.is_file() { &runbook } else { path })?,
                None,
            )
        }
    };
    let rendered = match info.template.clone() {
        Some(t) => Some(render_again(
            path, &info, &t, &source, inputs, mode, &config,
        )?),
        None if inputs.any() => {
            return Err(Error::usage(format!(
                "{} is not the transcript of a templated run: --env, --var, --var-file and --dotenv have nothing to do",
                path.display()
            )));
        }
        None => None,
    };
    // The rendering the transcript holds is the one the template gives
    // again: numbered by the template's lines as that render says (a
    // transcript written before they were recorded has none).
    let source = match &rendered {
        Some(r) => source.with_origin(r.lines.clone()),
        None => source,
    };
    let book = match parsed {
        Some(early)
            if early.path == source.path
                && early.text == source.text
                && source.origin().is_none() =>
        {
            checked(early.book, &source, &config, rendered.as_ref())?
        }
        _ => parse_checked(&source, &config, rendered.as_ref())?,
    };
    // Steps are numbered by their place, so an edit renumbers those after
    // it: each record goes to the step it was written beside.
    let now_sha = sha256(&source.text);
    let edited = now_sha != info.sha256;
    let dropped = if edited {
        // A run cut off between saves left records in its journal, under
        // the old numbering, that its transcript lacks: they go in first,
        // each where the transcript has the same step's record. (A run
        // that stopped saved all it did; what its journal holds beyond the
        // transcript now was edited out of it.)
        if info.state == RunState::Running
            && let Some(journal) = crate::state::journal_of(&info.id)
        {
            transcript::journal::replay_into(&journal, &mut read.outcomes);
        }
        transcript::rekey(
            &book,
            &source.text,
            &text,
            &mut read.outcomes,
            &read.places,
            &read.spans,
            &read.repeats,
        )
    } else {
        Vec::new()
    };
    // Where the records were is of no more use: not kept through the run.
    drop(std::mem::take(&mut read.places));
    drop(std::mem::take(&mut read.repeats));
    let spans = std::mem::take(&mut read.spans);
    // From the end: a stopped run's unsettled steps are mostly its last.
    let finished = info.state == RunState::Complete && {
        let scope = Scope::of(&book, &read.outcomes);
        book.steps
            .iter()
            .rev()
            .all(|s| scope.off_path(s.at()) || settled(&book, s, &read.outcomes))
    };
    // Going back to a step, or to the skipped ones, is something to resume.
    if finished && way.from.is_none() && !retry_skipped {
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
        write_reports(reports, &RunRecord::new(info, &book, &read.outcomes))?;
        return Ok(0);
    }
    let mut operator = operator(mode, &book)?;
    if edited {
        let changed = "the checklist in this transcript is not the one the run began with: \
                       it was edited since (its sha256 differs)";
        let go_on = if mode.yes {
            None
        } else {
            let count = |why: Why| dropped.iter().filter(|u| u.why == why).count();
            for u in &dropped {
                operator.say(&match u.why {
                    Why::Dropped => format!("Dropped: the record {}", u.text),
                    Why::Copy => format!("Copy: {}:{}: {}", path.display(), u.line, u.text),
                    Why::Unsure => format!("Unsure: {}:{}: {}", path.display(), u.line, u.text),
                });
            }
            let mut said = match count(Why::Dropped) {
                0 => String::new(),
                1 => " The record listed above belongs to no step now and is dropped.".into(),
                n => {
                    format!(" The {n} records listed above belong to no step now and are dropped.")
                }
            };
            if count(Why::Copy) > 0 {
                said.push_str(
                    " A record copied with its block stays with the block that ran; \
                     the copy records no run, and its block runs when reached.",
                );
            }
            if count(Why::Unsure) > 0 {
                said.push_str(
                    " A record that stands beside several steps, with nothing to tell \
                     which one ran, is given to none of them: they all run when reached.",
                );
            }
            let dropped = said;
            operator.confirm_typed(&format!(
                "Careful: {changed}. Each step keeps the record written beside it in the transcript, \
                 wherever the edit moved it; a step added since has none and runs.{dropped} \
                 An edited command runs as it reads now."
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
    let mut settings = settings(mode, &config, path.to_path_buf())?;
    settings.rendering = rendered
        .as_ref()
        .zip(info.template.as_ref())
        .map(|(r, t)| rendering(r, Path::new(&t.path)));
    settings.path =
        super::run::path_settings(&book, way, super::run::Only::default(), &info.source)?;
    settings.path.retry_skipped = retry_skipped;
    if mode.yes {
        crate::run::choose_ahead(&book, &mut settings.path, &read.outcomes, operator.as_mut())?;
    }
    operator.say(&format!("Resuming {}", path.display()));
    let run = Run::resume(
        source,
        book,
        info,
        read.outcomes,
        settings,
        operator.as_mut(),
        Written {
            text,
            spans,
            sha256: digest,
            rekeyed: edited,
        },
    )?;
    let report = run.execute()?;
    write_reports(reports, &report.record)?;
    finish_message(operator.as_mut(), path, &report);
    let code = report.exit_code();
    // The process ends with this: the record (a string or more for every
    // step) goes with it instead of being freed a piece at a time.
    std::mem::forget(report);
    Ok(code)
}

/// What is worked out beside the reading of a transcript: the runsheet.toml
/// of the runbook its run summary names, and that runbook parsed with it.
struct Early {
    /// The runbook's name as the summary gives it.
    runbook: String,
    config: Result<Config>,
    parsed: Option<Parsed>,
}

/// A runbook parsed (not yet checked) with a config's runners.
struct Parsed {
    path: PathBuf,
    text: String,
    book: Runbook,
}

impl Early {
    /// For the transcript at `path` whose text is `text`: `None` if it
    /// names no runbook. The config is loaded as `resume` loads it; the
    /// runbook is parsed only if it is the text the run began with.
    fn of(path: &Path, text: &str) -> Option<Early> {
        let runbook = transcript::recorded_source(text)?;
        let file = PathBuf::from(&runbook);
        let config = Config::load(if file.is_file() { &file } else { path });
        let parsed = match &config {
            Ok(config) => transcript::unchanged_runbook(text).map(|source| Parsed {
                book: crate::doc::parse_with(&source, &config.runners),
                path: source.path,
                text: source.text,
            }),
            Err(_) => None,
        };
        Some(Early {
            runbook,
            config,
            parsed,
        })
    }
}

/// The template of a templated run, rendered again as the run rendered it:
/// refused when the template or its environment file changed, or when it
/// no longer gives the runbook the transcript holds.
fn render_again(
    path: &Path,
    info: &RunInfo,
    t: &TemplateInfo,
    recorded: &Source,
    inputs: &Inputs,
    mode: &ModeArgs,
    config: &Config,
) -> Result<Rendered> {
    let refuse = |message: String| Error::Transcript {
        path: path.into(),
        message: format!("{message}; nothing was run"),
    };
    if inputs.env.is_some() && inputs.env != info.env {
        return Err(refuse(format!(
            "this run was rendered for environment `{}`; a resumed run keeps it",
            info.env.as_deref().unwrap_or("(none)")
        )));
    }
    let template = Source::read(Path::new(&t.path)).map_err(|e| {
        refuse(format!(
            "the template this run was rendered from cannot be read ({e})"
        ))
    })?;
    if sha256(&template.text) != t.sha256 {
        return Err(refuse(format!(
            "the template {} changed since this run began (its sha256 differs), so the steps left \
             are not the ones the run began with. Start a new run with `runsheet run {}`",
            t.path, t.path
        )));
    }
    if let (Some(file), Some(sha)) = (&t.env_file, &t.env_sha256) {
        let now = std::fs::read_to_string(file)
            .map_err(|e| refuse(format!("the environment file {file} cannot be read ({e})")))?;
        if sha256(&now) != *sha {
            return Err(refuse(format!(
                "the environment file {file} changed since this run began (its sha256 differs), so the \
                 template would render other steps. Start a new run, or put the file back as it was"
            )));
        }
    }
    // The recorded values go in as --var; masked secrets must come again.
    let mut again = Inputs {
        env: info.env.clone(),
        vars: info
            .vars
            .iter()
            .filter(|(_, v)| v.as_str() != MASK)
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        var_files: inputs.var_files.clone(),
        dotenv: inputs.dotenv.clone(),
        forced: true,
    };
    again.vars.extend(inputs.vars.iter().cloned());
    let missing: Vec<&str> = info
        .vars
        .iter()
        .filter(|(k, v)| {
            v.as_str() == MASK
                && !inputs
                    .vars
                    .iter()
                    .any(|p| p.split('=').next() == Some(k.as_str()))
        })
        .map(|(k, _)| k.as_str())
        .collect();
    let secret_hint = || {
        if missing.is_empty() {
            String::new()
        } else {
            format!(
                ". The transcript masks the secret variables {}: if the run had them from --var, give them again (--var {}=...)",
                missing.join(", "),
                missing[0]
            )
        }
    };
    let names: Vec<String> = mode
        .secrets
        .iter()
        .chain(&config.secrets.names)
        .cloned()
        .collect();
    let rendered = template::render(
        &template,
        &again,
        &Secrets::new(&names),
        &config.runners,
        Some(&t.rendered),
        true,
    )
    .map_err(|e| {
        if missing.is_empty() {
            e
        } else {
            refuse(format!(
                "the template does not render again: {e}{}",
                secret_hint()
            ))
        }
    })?
    .ok_or_else(|| refuse(format!("{} is no longer a template", t.path)))?;
    // A masked secret not given again must come from a file, as it did.
    let unknown: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|name| {
            !matches!(
                rendered.variables.vars.get(*name).map(|v| &v.origin),
                Some(template::Origin::EnvFile(_) | template::Origin::VarFile(_))
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(refuse(format!(
            "this run was rendered with the secret variables {}, which the transcript masks; \
             give them again (--var {}=...)",
            unknown.join(", "),
            unknown[0]
        )));
    }
    // The masked text cannot tell one secret from another: the digests can.
    if let Some(key) = &t.secret_key {
        let now: BTreeMap<String, String> = rendered.secret_digests(key).into_iter().collect();
        for (name, then) in &t.secrets {
            if now.get(name).is_some_and(|d| d != then) {
                let how = match name.strip_prefix("env.") {
                    Some(var) => format!(
                        "give it the value the run had (the environment variable or .env entry {var})"
                    ),
                    None => format!("give it the value the run had (--var {name}=...)"),
                };
                return Err(refuse(format!(
                    "the secret `{name}` is not the one this run was rendered with (its digest \
                     differs), so the steps left would run with another value; {how}, or start a \
                     new run with `runsheet run {}`",
                    t.path
                )));
            }
        }
    }
    if rendered.masked() != recorded.text {
        let (line, now, then) = first_difference(rendered.masked(), &recorded.text);
        // Where in the template: the file to look at.
        let line = rendered.lines.as_ref().map_or(line, |m| m.line(line));
        return Err(refuse(format!(
            "rendered again with the variables this run recorded, the template gives another runbook \
             (its line {line} now gives `{now}` where the run's read `{then}`){}",
            secret_hint()
        )));
    }
    Ok(rendered)
}

/// The first line where `a` and `b` differ, with both lines.
fn first_difference(a: &str, b: &str) -> (usize, String, String) {
    let mut la = a.lines();
    let mut lb = b.lines();
    let mut n = 1;
    loop {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (x, y) => {
                return (n, x.unwrap_or("").to_string(), y.unwrap_or("").to_string());
            }
        }
    }
}
