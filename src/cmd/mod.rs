//! The commands: each subcommand in its own file turns validated arguments
//! into pipeline calls and an exit code. What several share is here.

mod diff;
mod envs;
mod history;
mod plan;
mod render;
mod repair;
mod report;
mod resume;
mod run;
mod strip;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Parser as _;

use crate::cli::{Cli, Color, Command, FleetArgs, ModeArgs, ReportArgs};
use crate::config::Config;
use crate::doc::{self, Runbook};
use crate::error::{Error, Result};
use crate::exec::ssh::{FleetOptions, Inventory, Pattern};
use crate::linemap::LineMap;
use crate::operator::{Answered, Answers, Operator, Terminal, Unattended};
use crate::record::{Mode, RunRecord};
use crate::run::{Rendering, RunSettings};
use crate::screen::{ColorChoice, Verbosity};
use crate::secrets::Secrets;
use crate::source::Source;
use crate::template::{self, Inputs, Rendered};
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
    crate::screen::set_colour(match cli.color {
        Color::Auto => ColorChoice::Auto,
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
    });
    crate::screen::set_verbosity(if cli.quiet {
        Verbosity::Quiet
    } else if cli.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    });
    if let Some(path) = &cli.config
        && let Err(e) = crate::config::use_file(path)
    {
        e.report();
        return e.exit_code();
    }
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
        Command::Run {
            file,
            output,
            only,
            section,
            mode,
            template,
            path,
            reports,
        } => run::run(
            &file,
            output,
            &mode,
            &template.inputs(),
            &path,
            run::Only {
                section: section.as_deref(),
                named: &only,
            },
            &reports,
        ),
        Command::Resume {
            transcript,
            retry_skipped,
            mode,
            template,
            path,
            reports,
        } => resume::resume(
            &transcript,
            &mode,
            &template.inputs(),
            &path,
            retry_skipped,
            &reports,
        ),
        Command::Diff(args) => diff::diff(&args),
        Command::History(args) => history::history(&args),
        Command::Report {
            transcript,
            format,
            output,
        } => report::report(&transcript, format, output.as_deref()),
        Command::Plan {
            file,
            format,
            answers_template,
            template,
            secrets,
        } => plan::plan(
            &file,
            format,
            answers_template,
            &template.inputs(),
            &secrets,
        ),
        Command::Render {
            file,
            output,
            template,
            secrets,
            show_secrets,
        } => render::render(
            &file,
            output.as_deref(),
            &template.inputs(),
            &secrets,
            show_secrets,
        ),
        Command::Envs { file } => envs::envs(&file),
        Command::Strip {
            transcript,
            output,
            force,
            template,
        } => strip::strip(&transcript, output.as_deref(), force, template),
        Command::Repair { file, output } => repair::repair(&file, output.as_deref()),
        Command::Completions { shell } => {
            print_out(&crate::cli::completions(shell));
            Ok(0)
        }
        Command::Man => {
            let page = crate::cli::man_page().map_err(|source| Error::Write {
                path: "standard output".into(),
                source,
            })?;
            print_out(&page);
            Ok(0)
        }
    }
}

/// A document as runsheet reads it for a run or a plan.
struct Loaded {
    /// The text steps are read from: a runbook's, the source a transcript
    /// was made from, or a template's rendering with secrets masked.
    source: Source,
    read: Transcript,
    /// What a template rendered to; `None` for any other document.
    rendered: Option<Rendered>,
}

/// Reads a document: a transcript is read as the source it was made from,
/// and a template (one that opted in) is rendered with `inputs`.
fn load(path: &Path, inputs: &Inputs, config: &Config, secret_names: &[String]) -> Result<Loaded> {
    load_text(path, Source::read(path)?, inputs, config, secret_names)
}

/// `load`, the document at `path` already read as `raw`.
fn load_text(
    path: &Path,
    raw: Source,
    inputs: &Inputs,
    config: &Config,
    secret_names: &[String],
) -> Result<Loaded> {
    // A transcript is told by a run summary the reader finds where runsheet
    // writes it: marker-like text in a code span or a fenced block (a
    // runbook about runsheet, a `grep "<!--rs:run"`) does not make one.
    let read = if raw.text.contains(transcript::marker::OPEN) {
        Some(transcript::read(path, &raw.text)?)
    } else {
        None
    };
    let read = read.filter(|r| r.info.is_some() || r.stray_markers);
    let Some(read) = read else {
        let names: Vec<String> = secret_names
            .iter()
            .chain(&config.secrets.names)
            .cloned()
            .collect();
        let secrets = Secrets::new(&names);
        let rendered = template::render(&raw, inputs, &secrets, &config.runners, None, true)?;
        // Steps are read from the rendering, and numbered as the template's lines.
        let source = match &rendered {
            Some(r) => Source::from_text(path, r.masked().to_string()).with_origin(r.lines.clone()),
            None => raw,
        };
        return Ok(Loaded {
            source,
            read: Transcript::default(),
            rendered,
        });
    };
    if inputs.any() {
        return Err(Error::usage(format!(
            "{} is a transcript: its text is already rendered; --env, --var, --var-file, --dotenv and \
             --template go with the runbook or template itself",
            path.display()
        )));
    }
    let (source, read) = source_of(path, read, || raw)?;
    Ok(Loaded {
        source,
        read,
        rendered: None,
    })
}

/// `load_text` of `text`, a transcript that is byte for byte the text its
/// run last wrote (see `transcript::stamped`), read by its layout. The
/// text is borrowed: `resume` keeps it to patch.
fn load_written(path: &Path, text: &str) -> Result<Loaded> {
    let read = transcript::read_written(path, text)?;
    let (source, read) = source_of(path, read, || Source::from_text(path, text.to_string()))?;
    Ok(Loaded {
        source,
        read,
        rendered: None,
    })
}

/// The source a transcript `read` back gives (`raw`, the text as it is,
/// if it has no run summary).
fn source_of(
    path: &Path,
    mut read: Transcript,
    raw: impl FnOnce() -> Source,
) -> Result<(Source, Transcript)> {
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
    // Taken, not copied: what loads a transcript reads its source from here.
    let source = match &read.info {
        Some(info) => {
            let named = if info.source.is_empty() {
                path
            } else {
                Path::new(&info.source)
            };
            transcript::runbook_source(named, std::mem::take(&mut read.source), info)
        }
        None => raw(),
    };
    Ok((source, read))
}

/// The run record of the transcript at `path`, the runsheet.toml of its
/// runbook (beside the runbook when it is where the run found it, else
/// beside the transcript), and whether the transcript is intact (see
/// `transcript::Run::intact`).
fn record_of(path: &Path) -> Result<(RunRecord, Config, bool)> {
    let (run, config) = run_of(path)?;
    let intact = run.intact;
    let record = RunRecord::of_outcomes(run.info, &run.book, run.outcomes);
    Ok((record, config, intact))
}

/// What `report`, `diff` and `history` say of the transcript at `path`, a
/// run of `runbook`, when it is not the record its run wrote: what that
/// means, and what to do.
pub(crate) fn not_intact(path: &Path, runbook: &str) -> String {
    format!(
        "{shown}: this transcript is not the record its run wrote: what is left once runsheet's \
         markers are taken out is not the runbook the run recorded (its sha256 differs), so it was \
         edited, cut short or converted since the run, and steps may be missing or altered. \
         Do not take it for the run's result: find a whole copy, or see what changed with \
         `runsheet strip --force {shown} | diff {runbook} -`",
        shown = path.display(),
    )
}

/// `record_of` before the record is made (see `transcript::run_of`).
fn run_of(path: &Path) -> Result<(transcript::Run, Config)> {
    // Read back, not parsed as a document: where its lines start is never asked.
    let raw = Source::read_text(path)?;
    let runbook = transcript::recorded_source(&raw).map(PathBuf::from);
    let config = Config::load(match &runbook {
        Some(runbook) if runbook.is_file() => runbook,
        _ => path,
    })?;
    let run = transcript::run_of(path, &raw, &config)?;
    Ok((run, config))
}

/// Refuses report paths that cannot be written, before the run starts:
/// each as `check_written` says (`reads`: the runbook and the transcript of
/// the run), and the two reports in one file.
fn check_reports(reports: &ReportArgs, reads: &[&Path]) -> Result<()> {
    for (path, flag) in [(&reports.report, "--report"), (&reports.junit, "--junit")] {
        if let Some(path) = path {
            check_written(path, flag, reads)?;
        }
    }
    if let (Some(a), Some(b)) = (&reports.report, &reports.junit)
        && same_file(a, b)
    {
        return Err(Error::usage(format!(
            "--report and --junit both name {}; give each report a file of its own",
            a.display()
        )));
    }
    Ok(())
}

/// Refuses, before anything runs or is written, a path given to `flag` to
/// write to that names a directory, whose directory is missing or cannot be
/// written to, that is one of the files the command reads (`reads`), or
/// that holds a transcript: a run's record is never written over. A device
/// or a pipe (`/dev/stdout`) is fine: it is written into, not replaced.
pub(crate) fn check_written(path: &Path, flag: &str, reads: &[&Path]) -> Result<()> {
    let shown = path.display();
    if path.is_dir() {
        return Err(Error::usage(format!(
            "{flag} {shown} is a directory; give a file name"
        )));
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(Error::usage(format!(
            "cannot write {shown} ({flag}): the directory {} does not exist; create it or choose another path",
            parent.display()
        )));
    }
    let meta = std::fs::metadata(path).ok();
    if meta.as_ref().is_some_and(|m| !m.is_file()) {
        return Ok(());
    }
    if let Some(read) = reads.iter().find(|r| same_file(path, r)) {
        let which = if read.as_os_str() == path.as_os_str() {
            String::new()
        } else {
            format!(" (the same file as {})", read.display())
        };
        return Err(Error::usage(format!(
            "{flag} {shown}{which} is a file this command reads; runsheet never writes over what it \
             reads: choose another file"
        )));
    }
    if meta.is_some()
        && let Ok(text) = std::fs::read_to_string(path)
        && let Ok(read) = transcript::read(path, &text)
        && let Some(info) = read.info
    {
        return Err(Error::usage(format!(
            "{flag} {shown} holds the transcript of run {}; runsheet never replaces a transcript: \
             choose another file",
            info.id
        )));
    }
    // What is written goes through a new file beside it: one is made (and
    // removed) now, so that a directory that refuses it says so before
    // anything runs rather than after.
    tempfile::Builder::new()
        .prefix(".runsheet-")
        .tempfile_in(parent)
        .map(drop)
        .map_err(|e| {
            // Without the temp file's name, which the operator never asked for.
            let e = e.raw_os_error().map_or_else(
                || e.kind().to_string(),
                |code| std::io::Error::from_raw_os_error(code).to_string(),
            );
            Error::usage(format!(
                "cannot write {shown} ({flag}): {e} in {}; choose a directory you can write to",
                parent.display()
            ))
        })
}

/// Whether `a` and `b` name the same file: the same file once links are
/// followed, or the same absolute path for a file not there yet.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        (Err(_), Err(_)) => {
            matches!((std::path::absolute(a), std::path::absolute(b)), (Ok(a), Ok(b)) if a == b)
        }
        _ => false,
    }
}

/// Writes the reports asked for, from the record of the run that ended.
fn write_reports(reports: &ReportArgs, record: &RunRecord) -> Result<()> {
    if let Some(path) = &reports.report {
        crate::run::write_atomic(path, crate::report::json(record).as_bytes())?;
    }
    if let Some(path) = &reports.junit {
        crate::run::write_atomic(path, crate::report::junit(record).as_bytes())?;
    }
    Ok(())
}

/// The steps of `source`; a document with errors stops here. The steps of
/// a rendered template run with the secrets `source` shows masked.
fn parse_checked(source: &Source, config: &Config, rendered: Option<&Rendered>) -> Result<Runbook> {
    checked(
        doc::parse_with(source, &config.runners),
        source,
        config,
        rendered,
    )
}

/// `parse_checked` for `book`, `source` already parsed with `config`'s runners.
fn checked(
    mut book: Runbook,
    source: &Source,
    config: &Config,
    rendered: Option<&Rendered>,
) -> Result<Runbook> {
    doc::configure(&mut book, &config.contingency);
    doc::decide::classify(&mut book, &config.choices);
    if book.has_errors() {
        return Err(Error::Document(book.diagnostics));
    }
    if let Some(r) = rendered {
        book.diagnostics.extend(r.notes.iter().cloned());
        if r.text != source.text {
            unmask(&mut book, source, &r.text, config)?;
        }
    }
    Ok(book)
}

/// Gives the commands of `book` (read from the masked rendering) the text
/// they run with: the same steps, read from the real one.
fn unmask(book: &mut Runbook, source: &Source, real: &str, config: &Config) -> Result<()> {
    let real = doc::parse_with(
        &Source::from_text(&source.path, real.to_string()),
        &config.runners,
    );
    let same = real.steps.len() == book.steps.len()
        && real
            .steps
            .iter()
            .zip(&book.steps)
            .all(|(a, b)| a.kind_name() == b.kind_name() && a.id() == b.id());
    if !same {
        return Err(Error::usage(format!(
            "{}: a secret value changes the shape of the rendered runbook (it reads as other steps \
             once masked); keep secrets out of text that makes steps, or pass them through the environment",
            source.display_path()
        )));
    }
    for (step, real) in book.steps.iter_mut().zip(real.steps) {
        if let (doc::StepKind::Command(masked), doc::StepKind::Command(real)) =
            (&mut step.kind, real.kind)
        {
            masked.rare_mut().shown = Some(std::mem::replace(&mut masked.code, real.code).into());
        }
    }
    Ok(())
}

/// What the run summary records of `rendered`, a rendering of `template`.
fn rendering(rendered: &Rendered, template: &Path) -> Rendering {
    let vars = &rendered.variables;
    let key = secret_key();
    let secrets = rendered.secret_digests(&key);
    Rendering {
        env: vars.env.as_ref().map(|e| e.name.clone()),
        vars: vars
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), template::Variables::display(v)))
            .collect(),
        template: crate::record::TemplateInfo {
            path: template.display().to_string(),
            sha256: rendered.sha256.clone(),
            env_file: vars.env.as_ref().map(|e| e.path.display().to_string()),
            env_sha256: vars.env.as_ref().map(|e| e.sha256.clone()),
            rendered: rendered.rendered_at.clone(),
            secret_key: (!secrets.is_empty()).then_some(key),
            secrets,
            lines: rendered.lines.as_ref().map(LineMap::encode),
        },
        secret_values: rendered.secret_values.clone(),
    }
}

/// A random key for a run's digests of its secrets, so that a transcript's
/// digest cannot be looked up in a table made beforehand.
fn secret_key() -> String {
    use std::io::Read as _;
    let mut bytes = [0u8; 16];
    let random = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if random.is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = crate::transcript::sha256(&format!("{nanos}-{}", std::process::id()));
        return seed[..32].to_string();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
        rendering: None,
        path: Default::default(),
        fleet: fleet(&mode.fleet)?,
    })
}

/// The remote hosts of a run, from `--inventory`, `--hosts`, `--limit`,
/// `--forks`, `--ssh-config`, `--forward-agent`.
fn fleet(args: &FleetArgs) -> Result<FleetOptions> {
    let pattern = |flag: &str, text: &Option<String>| -> Result<Option<Pattern>> {
        text.as_deref()
            .map(|t| Pattern::parse(t).map_err(|e| Error::usage(format!("{flag} {t}: {e}"))))
            .transpose()
    };
    if let Some(config) = &args.ssh_config
        && !config.is_file()
    {
        return Err(Error::usage(format!(
            "--ssh-config {}: no such file",
            config.display()
        )));
    }
    Ok(FleetOptions {
        inventory: match &args.inventory {
            Some(path) => Inventory::load(path)?,
            None => Inventory::default(),
        },
        hosts: pattern("--hosts", &args.hosts)?,
        limit: pattern("--limit", &args.limit)?,
        forks: args.forks as usize,
        ssh_config: args.ssh_config.clone(),
        forward_agent: args.forward_agent,
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

/// The closing lines of a run: the steps that failed and those nobody
/// confirmed, the counts, and where the transcript is.
fn finish_message(operator: &mut dyn Operator, transcript: &Path, report: &crate::run::Report) {
    operator.say("");
    for line in crate::screen::summary(&report.record) {
        operator.say(&line);
    }
    operator.say(&report.record.counts.tally());
    operator.say(&format!("Transcript: {}", transcript.display()));
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print_out(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}
