//! The commands: each subcommand in its own file turns validated arguments
//! into pipeline calls and an exit code. What several share is here.

mod plan;
mod repair;
mod resume;
mod run;
mod strip;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Parser as _;

use crate::cli::{Cli, Command, ModeArgs};
use crate::config::Config;
use crate::doc::{self, Runbook};
use crate::error::{Error, Result};
use crate::operator::{Answered, Answers, Operator, Terminal, Unattended};
use crate::record::Mode;
use crate::run::RunSettings;
use crate::source::Source;
use crate::transcript::{self, Transcript};

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
        Err(e) => {
            e.report();
            e.exit_code()
        }
    }
}

fn dispatch(command: Command) -> Result<i32> {
    match command {
        Command::Run { file, output, mode } => run::run(&file, output, &mode),
        Command::Resume { transcript, mode } => resume::resume(&transcript, &mode),
        Command::Plan {
            file,
            format,
            answers_template,
        } => plan::plan(&file, format, answers_template),
        Command::Strip {
            transcript,
            output,
            force,
        } => strip::strip(&transcript, output.as_deref(), force),
        Command::Repair { file, output } => repair::repair(&file, output.as_deref()),
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

/// The steps of `source`; a document with errors stops here.
fn parse_checked(source: &Source, config: &Config) -> Result<Runbook> {
    let book = doc::parse_with(source, &config.runners);
    if book.has_errors() {
        return Err(Error::Document(book.diagnostics));
    }
    Ok(book)
}

/// The settings of a run or resume writing to `transcript`: the one place
/// they are made from the command line, runsheet.toml and the environment.
fn settings(mode: &ModeArgs, config: &Config, transcript: PathBuf) -> Result<RunSettings> {
    Ok(RunSettings {
        transcript,
        mode: if mode.yes {
            Mode::Unattended
        } else {
            Mode::Interactive
        },
        allow_destructive: mode.allow_destructive,
        secret_names: mode
            .secrets
            .iter()
            .chain(&config.secrets.names)
            .cloned()
            .collect(),
        timeout: mode.timeout,
        cwd: std::env::current_dir()
            .map_err(|e| Error::usage(format!("cannot tell the current directory: {e}")))?,
    })
}

/// Who answers the run: the answers file first, then a person at the
/// terminal, or nobody under `--yes`.
fn operator(mode: &ModeArgs, book: &Runbook) -> Result<Box<dyn Operator>> {
    let answers = match &mode.answers {
        Some(path) => Answers::load(path, book)?,
        None => Answers::none(),
    };
    if mode.yes {
        let nobody = Unattended {
            keep_going: mode.keep_going,
        };
        return Ok(Box::new(Answered::new(answers, nobody)));
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(
            "standard input is not a terminal, so nobody can answer the prompts; \
             use --yes to run unattended (manual items are then recorded as not confirmed)",
        ));
    }
    Ok(Box::new(Answered::new(answers, Terminal::default())))
}

/// The closing lines of a run: counts and where the transcript is.
fn finish_message(operator: &mut dyn Operator, transcript: &Path, report: &crate::run::Report) {
    operator.say(&format!("\n{}", report.record.counts.tally()));
    operator.say(&format!("Transcript: {}", transcript.display()));
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print_out(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}
