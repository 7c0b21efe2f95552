//! Measures `runsheet diff` on two 10,000-step transcripts with output under
//! every step, and `runsheet report` of one, each against `runsheet strip` of
//! the same transcripts (reading them back is the least either can do), and
//! checked against the budget in DESIGN.md.
//!
//! Run it with:
//!
//! ```text
//! cargo bench --bench diff
//! ```
//!
//! A custom harness (`harness = false`), as `benches/overhead.rs` is: every
//! sample is a whole process. The two transcripts are made by two real
//! unattended runs of a generated runbook (about half a minute together); the
//! second run is told to print something else in one block of a hundred and to
//! fail in one of a thousand, so the diff has real work to do. Each timed diff
//! is checked: exit 1 and the verdict the runs call for.
//!
//! The binary: `cargo bench` builds `runsheet` with the bench profile and hands
//! its path to this bench in `CARGO_BIN_EXE_runsheet`; without it, the bench
//! uses `target/release/runsheet` and builds it first if it is missing.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Instant;

mod common;
use common::{
    Sample, load_average, ms, revision, runsheet_binary, sample_exit, sample_output, verdict,
};

/// Steps in each transcript: one block each.
const BLOCKS: usize = 10_000;
/// Timed runs of each measurement.
const RUNS: usize = 7;

const BUDGET_DIFF_MS: f64 = 300.0;
const BUDGET_DIFF_MEMORY_FACTOR: f64 = 20.0;
const BUDGET_REPORT_MS: f64 = 100.0;

fn main() {
    let bin = runsheet_binary();
    let dir = tempfile::Builder::new()
        .prefix("runsheet-bench-diff-")
        .tempdir()
        .expect("a temporary directory for the bench");
    let root = dir.path();
    for sub in ["home", "state"] {
        fs::create_dir_all(root.join(sub)).expect("create the bench dirs");
    }
    println!("runsheet: {} ({})", bin.display(), revision());
    println!(
        "machine: {} cores, {}; load average at start: {}",
        thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        std::env::consts::ARCH,
        load_average()
    );

    fs::write(root.join("steps.md"), runbook(BLOCKS)).expect("write the runbook");
    let started = Instant::now();
    run(&bin, root, "old.md", &[]);
    run(&bin, root, "new.md", &[("CHANGED", "1")]);
    let (old_size, new_size) = (size(&root.join("old.md")), size(&root.join("new.md")));
    println!(
        "two runs of {BLOCKS} blocks in {:.1} s: old.md {:.2} MB, new.md {:.2} MB",
        started.elapsed().as_secs_f64(),
        old_size as f64 / 1e6,
        new_size as f64 / 1e6
    );
    println!();

    let strip_old = median_of(|| timed(&bin, root, &["strip", "old.md"], 0));
    let strip_new = median_of(|| timed(&bin, root, &["strip", "new.md"], 0));
    let baseline = (strip_old.0 + strip_new.0, strip_old.1 + strip_new.1);
    let diff = median_of(|| {
        let (took, stdout) = timed_output(&bin, root, &["diff", "old.md", "new.md"], 1);
        check_verdict(&stdout);
        took
    });
    let diff_json = median_of(|| {
        timed(
            &bin,
            root,
            &["diff", "--format", "json", "old.md", "new.md"],
            1,
        )
    });
    let diff_peak = peak_rss(&bin, root, &["diff", "old.md", "new.md"]);
    let strip_peak = peak_rss(&bin, root, &["strip", "new.md"]);
    let report_json = median_of(|| timed(&bin, root, &["report", "new.md"], 0));
    let report_junit =
        median_of(|| timed(&bin, root, &["report", "--format", "junit", "new.md"], 0));

    println!("median of {RUNS} runs each (CPU: user + system, in 10 ms ticks):");
    println!("| measurement | wall time | against strip | CPU | against strip |");
    println!("|---|---:|---:|---:|---:|");
    let row = |name: &str, (wall, cpu): Sample, (base_wall, base_cpu): Sample| {
        println!(
            "| {name} | {:.1} ms | {:.1}× | {:.0} ms | {:.1}× |",
            ms(wall),
            ms(wall) / ms(base_wall).max(0.001),
            ms(cpu),
            ms(cpu) / ms(base_cpu).max(0.001)
        );
    };
    row("strip old.md + strip new.md (baseline)", baseline, baseline);
    row("diff old.md new.md", diff, baseline);
    row("diff --format json", diff_json, baseline);
    row("strip new.md (baseline)", strip_new, strip_new);
    row("report new.md (JSON)", report_json, strip_new);
    row("report --format junit new.md", report_junit, strip_new);
    println!();
    let both = (old_size + new_size) as f64;
    println!(
        "peak RSS: diff {:.1} MB ({:.1}× the two transcripts, {:.2} MB); strip of one {:.1} MB",
        diff_peak as f64 / 1e6,
        diff_peak as f64 / both,
        both / 1e6,
        strip_peak as f64 / 1e6
    );
    println!();
    println!("| budget | measured | |");
    println!("|---|---|---|");
    println!(
        "| diff of two {BLOCKS}-step transcripts < {BUDGET_DIFF_MS} ms | {:.1} ms | {} |",
        ms(diff.0),
        verdict(ms(diff.0) < BUDGET_DIFF_MS)
    );
    println!(
        "| diff memory < {BUDGET_DIFF_MEMORY_FACTOR}× the transcripts | {:.1}× | {} |",
        diff_peak as f64 / both,
        verdict((diff_peak as f64 / both) < BUDGET_DIFF_MEMORY_FACTOR)
    );
    let report = report_json.0.max(report_junit.0);
    println!(
        "| report of a {BLOCKS}-step run < {BUDGET_REPORT_MS} ms | {:.1} ms | {} |",
        ms(report),
        verdict(ms(report) < BUDGET_REPORT_MS)
    );
    println!();
    println!("load average at end: {}", load_average());
}

/// A runbook of `blocks` blocks under a heading every 100, each printing a
/// line with the time (noise) and a value that `CHANGED` alters in one block
/// of a hundred; one block of a thousand fails when `CHANGED` is set.
fn runbook(blocks: usize) -> String {
    let mut text = String::from("# Steps\n\n");
    for n in 1..=blocks {
        if n % 100 == 1 {
            text.push_str(&format!("## Section {}\n\n", n / 100 + 1));
        }
        let value = if n % 100 == 0 {
            "${CHANGED:+changed }value"
        } else {
            "value"
        };
        let fail = if n % 1000 == 0 {
            "\n[ -z \"$CHANGED\" ]"
        } else {
            ""
        };
        text.push_str(&format!(
            "```bash\nprintf 'step {n} at %(%H:%M:%S)T\\n' -1\necho \"{value} {n}\"{fail}\n```\n\n"
        ));
    }
    text
}

/// The verdict two runs of `runbook` call for: the failing blocks, and the
/// others of one in a hundred that print something else.
fn check_verdict(stdout: &str) {
    let failed = BLOCKS / 1000;
    let output = BLOCKS / 100 - failed;
    let want = format!(
        "{} steps differ: {failed} failed, {output} output\n",
        failed + output
    );
    assert!(
        stdout.starts_with(&want),
        "diff says:\n{}",
        &stdout[..stdout.len().min(500)]
    );
}

fn command(bin: &Path, root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .current_dir(root)
        .env("RUNSHEET_STATE_DIR", root.join("state"))
        .env("HOME", root.join("home"))
        .env("NO_COLOR", "1")
        .env_remove("XDG_STATE_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("CHANGED")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// An unattended run of `steps.md` into `out`, going on after failures.
fn run(bin: &Path, root: &Path, out: &str, env: &[(&str, &str)]) {
    let mut cmd = command(
        bin,
        root,
        &["run", "--yes", "--keep-going", "steps.md", "-o", out],
    );
    cmd.envs(env.iter().copied());
    let status = cmd.status().expect("run runsheet");
    let want = if env.is_empty() { 0 } else { 1 };
    assert_eq!(
        status.code(),
        Some(want),
        "runsheet run into {out}: {status}"
    );
}

fn timed(bin: &Path, root: &Path, args: &[&str], exit: i32) -> Sample {
    sample_exit(&mut command(bin, root, args), exit)
}

fn timed_output(bin: &Path, root: &Path, args: &[&str], exit: i32) -> (Sample, String) {
    sample_output(&mut command(bin, root, args), exit)
}

/// The median wall time and the median CPU time of `RUNS` samples.
fn median_of(sample: impl FnMut() -> Sample) -> Sample {
    common::median_of(RUNS, sample)
}

/// Peak resident memory of `runsheet args`, from the kernel's high-water mark
/// (`VmHWM`), sampled every millisecond while it runs.
fn peak_rss(bin: &Path, root: &Path, args: &[&str]) -> u64 {
    common::peak_rss_of(&mut command(bin, root, args))
        .1
        .unwrap_or(0)
}

fn size(path: &Path) -> u64 {
    fs::metadata(path).map_or(0, |m| m.len())
}
