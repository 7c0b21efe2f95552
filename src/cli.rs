//! The command line: clap definitions, turned into the library's calls. Nothing
//! below this module knows about clap.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run the Markdown checklists you already have, and keep a filled-in transcript.
#[derive(Debug, Parser)]
#[command(
    name = "runsheet",
    version,
    about,
    after_help = "Examples:\n  runsheet plan deploy.md\n  runsheet run deploy.md\n  runsheet run --yes --keep-going deploy.md -o deploy.ci.md\n  runsheet resume deploy.run-20261121T051003Z.md\n  runsheet strip deploy.run-20261121T051003Z.md > deploy.md\n\nExit codes (run, resume): 0 every step done or skipped, 1 a step failed,\n2 usage or document error, 3 steps not confirmed, 130 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Walk a checklist: run its blocks, ask about its items, write a transcript.
    Run {
        /// The Markdown runbook (or an earlier transcript of it).
        file: PathBuf,
        /// Where to write the transcript [default: beside FILE, <stem>.run-<UTC time>.md].
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        #[command(flatten)]
        mode: ModeArgs,
    },
    /// Continue an interrupted or failed run from its transcript.
    Resume {
        /// The transcript of the earlier run; updated in place.
        transcript: PathBuf,
        #[command(flatten)]
        mode: ModeArgs,
    },
    /// List the steps runsheet finds, with warnings; runs nothing.
    Plan {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Print a skeleton answers file for the document instead.
        #[arg(long)]
        answers_template: bool,
    },
    /// Undo mojibake: text that was UTF-8, read as Mac Roman or Windows-1252 and
    /// saved again (`‚úÖ` for ✅). Rewrites FILE unless -o is given.
    Repair {
        file: PathBuf,
        /// Write the repaired text here instead of rewriting FILE.
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
    },
    /// Print the source a transcript was made from, byte for byte.
    Strip {
        transcript: PathBuf,
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        /// Give back the text even when it no longer matches the sha256 the
        /// run recorded (the transcript was edited or damaged).
        #[arg(long)]
        force: bool,
    },
}

/// How a run is answered.
#[derive(Debug, Args)]
pub struct ModeArgs {
    /// Unattended: run every command; manual items are recorded as not confirmed.
    #[arg(short, long)]
    pub yes: bool,
    /// With --yes: go on after a failed command instead of stopping.
    #[arg(long, requires = "yes")]
    pub keep_going: bool,
    /// Stop any block that runs longer than this (30s, 10m, 1h); a fence's
    /// `timeout=` wins.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Answers to prompts, ahead of time (YAML or JSON): keys name steps by
    /// `name=`, heading path or a piece of their text; placeholders by name.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Treat this variable or placeholder as a secret too (repeatable): its
    /// value is masked as ••• everywhere runsheet writes or prints.
    #[arg(long = "secret", value_name = "NAME")]
    pub secrets: Vec<String>,
    /// Let destructive commands (dropdb, rm -rf, kubectl delete, ...) run
    /// without a typed confirmation. Without it, an unattended run refuses them.
    #[arg(long)]
    pub allow_destructive: bool,
}

/// Output format of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::doc::attrs::duration(text)
}
