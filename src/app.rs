//! The commands: each turns validated arguments into pipeline calls and an exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Parser as _;

use crate::cli::{Cli, Command, Format, ModeArgs};
use crate::config::Config;
use crate::doc::{self, Runbook};
use crate::error::{Error, Result};
use crate::operator::{Operator, Terminal, Unattended};
use crate::run::{Run, RunOptions, Signals, write_atomic};
use crate::source::Source;
use crate::transcript::{self, Transcript, sha256, write::Counts};

/// Runs the command line `args` and returns the process exit code.
pub fn main<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(Error::Interrupted) => 130,
        // Diagnostics carry their own `error:` and location.
        Err(Error::Document(diagnostics)) => {
            for d in diagnostics {
                eprintln!("{d}");
            }
            2
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn dispatch(command: Command) -> Result<i32> {
    match command {
        Command::Run { file, output, mode } => run(&file, output, &mode),
        Command::Resume { transcript, mode } => resume(&transcript, &mode),
        Command::Plan {
            file,
            format,
            answers_template,
        } => plan(&file, format, answers_template),
        Command::Strip {
            transcript,
            output,
            force,
        } => strip(&transcript, output.as_deref(), force),
        Command::Repair { file, output } => repair(&file, output.as_deref()),
    }
}

/// Reads a document; a transcript is read as the source it was made from.
fn load(path: &Path) -> Result<(Source, Transcript)> {
    let raw = Source::read(path)?;
    if !raw.text.contains(transcript::marker::OPEN) {
        // Not a transcript: no need to read it twice.
        return Ok((raw, Transcript::default()));
    }
    let read = transcript::read(path, &raw.text)?;
    if read.stray_markers {
        return Err(Error::Transcript {
            path: path.into(),
            message: "this holds runsheet markers (<!--rs:...-->) but no run summary, so it is neither a \
                      document nor a whole transcript; restore the summary at the top or take the markers out"
                .into(),
        });
    }

    // The text of a transcript is its runbook's: it keeps the runbook's name,
    // so a new run of it records where the checklist came from.
    let source = match &read.info {
        Some(info) if !info.source.is_empty() => {
            Source::from_text(Path::new(&info.source), read.source.clone())
        }
        Some(_) => Source::from_text(path, read.source.clone()),
        None => raw,
    };
    Ok((source, read))
}

fn parse_checked(source: &Source, config: &Config) -> Result<Runbook> {
    let book = doc::parse_with(source, &config.runners);
    if book.has_errors() {
        return Err(Error::Document(book.diagnostics));
    }
    Ok(book)
}

fn operator(mode: &ModeArgs) -> Result<Box<dyn Operator>> {
    if mode.yes {
        return Ok(Box::new(Unattended {
            keep_going: mode.keep_going,
        }));
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "standard input is not a terminal, so nobody can answer the prompts; \
             use --yes to run unattended (manual items are then recorded as not confirmed)",
        ));
    }
    Ok(Box::new(Terminal::default()))
}

/// `--secret` names and the `[secrets] names` of runsheet.toml.
fn secret_names(mode: &ModeArgs, config: &Config) -> Vec<String> {
    mode.secrets
        .iter()
        .chain(&config.secrets.names)
        .cloned()
        .collect()
}

fn answers(mode: &ModeArgs, book: &Runbook) -> Result<crate::operator::Answers> {
    match &mode.answers {
        Some(path) => crate::operator::Answers::load(path, book),
        None => Ok(crate::operator::Answers::none()),
    }
}

fn default_transcript(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map_or_else(|| "runbook".into(), |s| s.to_string_lossy().into_owned());
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
    Ok(())
}

fn run(file: &Path, output: Option<PathBuf>, mode: &ModeArgs) -> Result<i32> {
    if let Some(out) = &output {
        check_output(out, file)?;
    }
    let (source, read) = load(file)?;
    if let Some(info) = &read.info
        && sha256(&source.text) != info.sha256
    {
        eprintln!(
            "warning: {}: the checklist in this transcript was edited since its run; it runs as it reads now",
            file.display()
        );
    }
    let config = Config::load(file)?;
    let book = parse_checked(&source, &config)?;
    let answers = answers(mode, &book)?;
    let mut operator = operator(mode)?;
    let transcript = output.unwrap_or_else(|| default_transcript(file));
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
    let signals = Signals::install();
    let options = RunOptions {
        answers,
        secret_names: secret_names(mode, &config),
        allow_destructive: mode.allow_destructive,
        transcript: transcript.clone(),
        timeout: mode.timeout,
        mode: if mode.yes {
            "unattended"
        } else {
            "interactive"
        },
    };
    let report = Run::start(source, book, options, operator.as_mut(), signals)?.execute()?;
    finish_message(operator.as_mut(), &transcript, report.counts);
    Ok(report.exit_code())
}

fn resume(path: &Path, mode: &ModeArgs) -> Result<i32> {
    let (source, read) = load(path)?;
    let Some(info) = read.info else {
        return Err(Error::Transcript {
            path: path.into(),
            message: "this is not a runsheet transcript (it has no run summary); use `runsheet run` to start a run".into(),
        });
    };
    // runsheet.toml belongs beside the runbook, wherever the transcript went.
    let runbook = PathBuf::from(&info.source);
    let config = Config::load(if runbook.is_file() { &runbook } else { path })?;
    let book = parse_checked(&source, &config)?;
    let finished = info.state == "complete"
        && book
            .steps
            .iter()
            .all(|s| transcript::write::settled(&book, s, &read.outcomes));
    if finished {
        // Nothing to ask, so no terminal needed to say so.
        eprintln!(
            "{}: this run is already finished; nothing to resume.",
            path.display()
        );
        return Ok(0);
    }
    let mut operator = operator(mode)?;
    let mut info = info;
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
    let signals = Signals::install();
    let options = RunOptions {
        answers: answers(mode, &book)?,
        secret_names: secret_names(mode, &config),
        allow_destructive: mode.allow_destructive,
        transcript: path.to_path_buf(),
        timeout: mode.timeout,
        mode: if mode.yes {
            "unattended"
        } else {
            "interactive"
        },
    };
    operator.say(&format!("Resuming {}", path.display()));
    let run = Run::resume(
        source,
        book,
        info,
        read.outcomes,
        options,
        operator.as_mut(),
        signals,
    )?;
    let report = run.execute()?;
    finish_message(operator.as_mut(), path, report.counts);
    Ok(report.exit_code())
}

fn finish_message(operator: &mut dyn Operator, transcript: &Path, c: Counts) {
    operator.say(&format!("\n{}", c.tally()));
    operator.say(&format!("Transcript: {}", transcript.display()));
}

fn plan(file: &Path, format: Format, answers_template: bool) -> Result<i32> {
    let (source, _) = match load(file) {
        Ok(loaded) => loaded,
        // `plan` answers 0 or 1: a document it cannot read is an error found.
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(1);
        }
    };
    let config = match Config::load(file) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(1);
        }
    };
    let book = doc::parse_with(&source, &config.runners);
    if answers_template {
        print_out(crate::operator::answers::template(&book).as_bytes());
        return Ok(if book.has_errors() { 1 } else { 0 });
    }
    let text = match format {
        Format::Json => crate::plan::json(&book),
        Format::Text => crate::plan::text(&source.display_path(), &book),
    };
    print_out(text.as_bytes());
    Ok(if book.has_errors() { 1 } else { 0 })
}

fn strip(path: &Path, output: Option<&Path>, force: bool) -> Result<i32> {
    let raw = Source::read(path)?;
    let read = transcript::read(path, &raw.text)?;
    if let Some(info) = &read.info
        && sha256(&read.source) != info.sha256
    {
        let what = "what is left once runsheet's markers are taken out is not the document the run \
                    recorded (its sha256 differs): the transcript was edited or its markers damaged";
        if !force {
            return Err(Error::Transcript {
                path: path.into(),
                message: format!(
                    "{what}; nothing was written. `strip --force` gives the text anyway"
                ),
            });
        }
        eprintln!("warning: {}: {what}", path.display());
    }
    match output {
        Some(out) => write_atomic(out, read.source.as_bytes())?,
        None => print_out(read.source.as_bytes()),
    }
    Ok(0)
}

fn repair(path: &Path, output: Option<&Path>) -> Result<i32> {
    let source = Source::read(path)?;
    let Some(found) = doc::mojibake::detect(&source.text) else {
        eprintln!("{}: no mojibake found; nothing to repair.", path.display());
        return Ok(0);
    };
    let repaired = doc::mojibake::repair(&source.text);
    let target = output.unwrap_or(path);
    write_atomic(target, repaired.as_bytes())?;
    eprintln!(
        "{}: repaired {} places that had been read as {} (e.g. `{}` → `{}`); wrote {}",
        path.display(),
        found.count,
        found.kind,
        found.example.0,
        found.example.1,
        target.display()
    );
    Ok(0)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print_out(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}
