//! The command line: clap definitions, turned into the library's calls. Nothing
//! below this module knows about clap.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `0.1.0 (3f2a9c1e0b4d 2026-11-29)`: the version, the commit and the day it was built.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("RUNSHEET_COMMIT"),
    " ",
    env!("RUNSHEET_BUILD_DATE"),
    ")"
);

/// Run the Markdown checklists you already have, and keep a filled-in transcript.
#[derive(Debug, Parser)]
#[command(
    name = "runsheet",
    version = VERSION,
    about,
    after_help = "Examples:\n  runsheet plan deploy.md\n  runsheet run deploy.md\n  runsheet run --yes --keep-going deploy.md -o deploy.ci.md\n  runsheet run --yes --on-failure rollback deploy.md\n  runsheet run deploy.md --only \"Rollback plan\"\n  runsheet resume deploy.run-20261121T051003Z.md\n  runsheet strip deploy.run-20261121T051003Z.md > deploy.md\n  runsheet render deploy.md --env prod\n  runsheet run deploy.md --env staging --var version=1.4.2\n  runsheet envs deploy.md\n  runsheet diff last-week.run.md today.run.md\n  runsheet history --html history.html runs/\n  runsheet run --yes deploy.md --junit runsheet.xml --report runsheet.json\n\nExit codes (run, resume): 0 every step done or skipped, 1 a step failed,\n2 usage or document error (nothing ran), 3 steps not confirmed, 4 some hosts\nunreachable, 5 steps ran but the transcript could not be written, 130 interrupted.\nExit codes (diff): 0 equivalent, 1 different, 2 error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Colour: auto (on a terminal, unless NO_COLOR is set; CLICOLOR_FORCE=1
    /// forces it), always or never.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,
    /// Say less: no progress or result lines, no status line; failures,
    /// prompts and the closing summary still show.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more: each step not confirmed in an unattended run as it comes,
    /// "still running" lines every 10 s instead of 30.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Read this runsheet.toml instead of the one found by looking in the
    /// runbook's directory and those above it.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
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
        /// Run only this: a section (as for --section), or a step named as
        /// for --from; repeat it for several steps. A name that is a
        /// section's is taken as the section.
        #[arg(long, value_name = "SECTION|STEP")]
        only: Vec<String>,
        /// Run only this section: its heading's text (or a piece of it, or a
        /// path `A › B`), or a contingency kind such as `rollback` for the
        /// first rollback section. A contingency section runs this way on
        /// purpose, days after the deploy say.
        #[arg(long, value_name = "HEADING", conflicts_with = "only")]
        section: Option<String>,
        #[command(flatten)]
        mode: ModeArgs,
        #[command(flatten)]
        template: TemplateArgs,
        #[command(flatten)]
        path: PathArgs,
        #[command(flatten)]
        reports: ReportArgs,
    },
    /// Continue an interrupted or failed run from its transcript. A templated
    /// run is rendered again with the variables it recorded (give secrets
    /// given with --var again).
    Resume {
        /// The transcript of the earlier run; updated in place.
        transcript: PathBuf,
        /// Offer again the steps the operator skipped (a fence's `skip`,
        /// options not chosen and sections not needed stay as they were).
        #[arg(long)]
        retry_skipped: bool,
        #[command(flatten)]
        mode: ModeArgs,
        #[command(flatten)]
        template: TemplateArgs,
        #[command(flatten)]
        path: PathArgs,
        #[command(flatten)]
        reports: ReportArgs,
    },
    /// List the steps runsheet finds, with warnings; runs nothing.
    Plan {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Print a skeleton answers file for the document instead.
        #[arg(long)]
        answers_template: bool,
        #[command(flatten)]
        template: TemplateArgs,
        /// Treat this variable as a secret too (repeatable): its value is
        /// shown as ••• in the plan.
        #[arg(long = "secret", value_name = "NAME")]
        secrets: Vec<String>,
    },
    /// Print a templated runbook rendered for an environment (secrets masked
    /// unless --show-secrets); any other document is printed as it is.
    #[command(
        after_help = "Examples:\n  runsheet render deploy.md --env prod\n  runsheet render deploy.md --env staging --var version=1.4.2 -o deploy.staging.md\n  runsheet render deploy.md.j2 --var-file local.yaml"
    )]
    Render {
        file: PathBuf,
        /// Write the rendered runbook here instead of standard output.
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        #[command(flatten)]
        template: TemplateArgs,
        /// Treat this variable as a secret too (repeatable).
        #[arg(long = "secret", value_name = "NAME")]
        secrets: Vec<String>,
        /// Write secret values as they are instead of •••.
        #[arg(long)]
        show_secrets: bool,
    },
    /// List the environments a templated runbook can be rendered for
    /// (envs/*.toml|yaml beside it, else runbooks/envs/) and what each sets,
    /// secrets masked.
    #[command(after_help = "Example:\n  runsheet envs runbooks/templated-deploy.md")]
    Envs { file: PathBuf },
    /// Undo mojibake: text that was UTF-8, read as Mac Roman or Windows-1252 and
    /// saved again (`‚úÖ` for ✅). Rewrites FILE unless -o is given.
    Repair {
        file: PathBuf,
        /// Write the repaired text here instead of rewriting FILE.
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
    },
    /// Compare two transcripts step by step: what failed, changed, got slower.
    /// Exit 0 equivalent, 1 different, 2 error.
    #[command(
        after_help = "Examples:\n  runsheet diff deploy.run-20261121T051003Z.md deploy.run-20261128T051500Z.md\n  runsheet diff --format markdown old.run.md new.run.md > comment.md\n  runsheet diff --stat --ignore 'request id [0-9a-f]+' old.run.md new.run.md\n\nAs a git diff driver (`.gitattributes`: `*.run.md diff=runsheet`):\n  git config diff.runsheet.command 'runsheet diff --git'"
    )]
    Diff(DiffArgs),
    /// Many runs of a runbook side by side: one row a step, one column a run
    /// (oldest first), each step's median, p90, slowest run and failures.
    #[command(
        after_help = "Examples:\n  runsheet history runs/\n  runsheet history --last 10 --step migrate runs/\n  runsheet history --runbook deploy.md --since 2026-11-01 --format csv runs/ > runs.csv\n  runsheet history --html history.html runbooks/history/\n\nExit codes: 0 the history was written, 2 no transcripts or a usage error."
    )]
    History(HistoryArgs),
    /// Write the report of a run from its transcript: the run record as JSON,
    /// or JUnit XML for CI.
    Report {
        transcript: PathBuf,
        #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
        format: ReportFormat,
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
    },
    /// Print a completion script for SHELL; see the book's Install section
    /// for where to put it.
    #[command(
        after_help = "Examples:\n  runsheet completions bash > ~/.local/share/bash-completion/completions/runsheet\n  runsheet completions zsh > ~/.zfunc/_runsheet\n  runsheet completions fish > ~/.config/fish/completions/runsheet.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print runsheet's man page (roff), for `man -l -` or a man directory.
    #[command(after_help = "Example:\n  runsheet man > ~/.local/share/man/man1/runsheet.1")]
    Man,
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
        /// For a templated run: print the template it was rendered from
        /// (read from its file, refused if it changed since) instead of the
        /// rendered runbook.
        #[arg(long)]
        template: bool,
    },
}

/// How a templated runbook is rendered.
#[derive(Debug, Clone, Default, Args)]
pub struct TemplateArgs {
    /// Render for this environment: envs/NAME.toml (or .yaml) beside the
    /// runbook, else runbooks/envs/NAME.toml.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Set a template variable (repeatable); wins over --var-file, the
    /// environment file and the front matter's defaults.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Read template variables from a TOML, YAML or JSON file (repeatable);
    /// a file named *secret* holds secrets.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Read this .env file for env.NAME (after the process environment).
    #[arg(long, value_name = "FILE")]
    pub dotenv: Option<PathBuf>,
    /// Render FILE as a template even though it does not opt in.
    #[arg(long = "template")]
    pub forced: bool,
}

impl TemplateArgs {
    /// What the template module needs from the command line.
    pub fn inputs(&self) -> crate::template::Inputs {
        crate::template::Inputs {
            env: self.env.clone(),
            vars: self.vars.clone(),
            var_files: self.var_files.clone(),
            dotenv: self.dotenv.clone(),
            forced: self.forced,
        }
    }
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
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// Where blocks run: remote hosts over OpenSSH.
#[derive(Debug, Args)]
#[command(next_help_heading = "Remote hosts")]
pub struct FleetArgs {
    /// The hosts blocks may target: a plain list of [user@]host[:port] lines,
    /// or an Ansible INI or YAML inventory (groups, :children,
    /// ansible_host/ansible_port/ansible_user).
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// Where blocks without `on=` run: hosts, groups, globs, ranges
    /// (web-[1:3]), !exclusions [default: this machine].
    #[arg(long, value_name = "PATTERN")]
    pub hosts: Option<String>,
    /// Only ever run on these hosts, whatever a block's `on=` says.
    #[arg(long, value_name = "PATTERN")]
    pub limit: Option<String>,
    /// How many hosts a block runs on at once.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub forks: u32,
    /// Use this ssh configuration file instead of ~/.ssh/config (ssh -F).
    #[arg(long, value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    /// Forward the ssh agent to the hosts (off by default: a host could use it).
    #[arg(long)]
    pub forward_agent: bool,
}

/// Which way through the runbook a run takes: its contingency sections,
/// alternatives and steps that take time.
#[derive(Debug, Args)]
pub struct PathArgs {
    /// With --yes: when a step fails, run this contingency section (its
    /// heading, or `rollback` for the first rollback section), then end the
    /// run (exit 1). Without it a failure ends the run and names the
    /// contingency sections there are.
    #[arg(
        long,
        value_name = "SECTION",
        requires = "yes",
        conflicts_with = "keep_going"
    )]
    pub on_failure: Option<String>,
    /// Take this option where the runbook offers alternatives (`Option 1` /
    /// `Option 2` sections, items joined by `OR`): its label, or a piece of
    /// it. Repeat for each group. An unattended run needs it wherever an
    /// option runs commands.
    #[arg(long, value_name = "OPTION")]
    pub choose: Vec<String>,
    /// With --yes: wait out steps that take time ("Monitor for 5 minutes")
    /// instead of leaving them not confirmed.
    #[arg(long, visible_alias = "honor-waits", requires = "yes")]
    pub honour_waits: bool,
    /// Start at this step: its `name=` (or id, `s12`), its line (`88` or
    /// `deploy.md:88`), a heading path (`Deploy › Migrate`), or a piece of its
    /// text; an ambiguous one is an error listing the candidates. `run`
    /// records the steps before it as skipped; `resume` leaves them as they
    /// are and runs this step again, even if it was done.
    #[arg(long, value_name = "STEP")]
    pub from: Option<String>,
}

/// What `diff` compares, and how it shows it.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// OLD and NEW transcripts. With --git, the seven arguments git hands a
    /// diff driver (path old-file old-hex old-mode new-file new-hex new-mode).
    #[arg(value_name = "FILE", required = true, num_args = 2..)]
    pub files: Vec<PathBuf>,
    /// text for a terminal, markdown for a pull-request comment, json for tools.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Mask matches of this regular expression before comparing (repeatable);
    /// `[diff] ignore = [...]` in runsheet.toml adds more.
    #[arg(long = "ignore", value_name = "REGEX")]
    pub ignore: Vec<String>,
    /// Print only the verdict and one line a changed step.
    #[arg(long)]
    pub stat: bool,
    /// A step is slower when it took this many times as long (and at
    /// least a second longer).
    #[arg(long, value_name = "FACTOR", default_value = "2x", value_parser = parse_factor)]
    pub slower: f64,
    /// Called by git as a diff driver: take git's arguments, always exit 0
    /// once the transcripts are compared (git stops at a driver that fails).
    #[arg(long)]
    pub git: bool,
}

/// What `history` reads, which runs and steps it keeps, and how it writes them.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Transcripts, or directories to search (recursively) for them.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Only runs of this runbook: its path as the runs recorded it (or the
    /// end of it, such as its file name), or the start of its sha256.
    #[arg(long, value_name = "NAME")]
    pub runbook: Option<String>,
    /// Only runs that started on or after this day (2026-11-01) or time
    /// (2026-11-01T09:00:00Z).
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<jiff::Timestamp>,
    /// Only the latest N runs.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub last: Option<u64>,
    /// Only steps whose label contains this text (any case).
    #[arg(long, value_name = "PATTERN")]
    pub step: Option<String>,
    /// table for a terminal (as wide as it is), markdown, json, or csv with
    /// one line a step of a run.
    #[arg(long, value_enum, default_value_t = HistoryFormat::Table)]
    pub format: HistoryFormat,
    /// Write a self-contained HTML page (charts, every run) here instead.
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
}

/// Output format of `history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Table,
    Markdown,
    Json,
    Csv,
}

/// Reports a run writes as it ends.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Also write the run record as JSON here when the run ends.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// Also write a JUnit XML report here when the run ends (one test case a step).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
}

/// Output format of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}

/// Output format of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Json,
    Junit,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

/// Output format of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `2x`, `1.5x` or `3`: a factor of at least 1.
fn parse_factor(text: &str) -> Result<f64, String> {
    let number = text.strip_suffix(['x', 'X', '×']).unwrap_or(text);
    match number.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 1.0 => Ok(f),
        _ => Err(format!(
            "`{text}` is not a factor of 1 or more; write it like `2x` or `1.5x`"
        )),
    }
}

/// A day (`2026-11-01`, from midnight UTC) or a time (RFC 3339).
fn parse_since(text: &str) -> Result<jiff::Timestamp, String> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    text.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            format!(
                "`{text}` is not a day or a time; write it like 2026-11-01 or 2026-11-01T09:00:00Z"
            )
        })
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::doc::attrs::duration(text)
}

/// The completion script for `shell`, generated from these definitions.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "runsheet",
        &mut out,
    );
    out
}

/// The man page, generated from these definitions.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out)?;
    Ok(out)
}
