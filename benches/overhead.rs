//! Measures what runsheet costs on top of bash: whole `runsheet run` processes
//! against the same commands in one bare `bash` script (the floor), against
//! the naive design (one `bash -c` per block, the state in a file) and against
//! runsheet's own session driver run by bash with no runsheet process (bash's
//! share of each block: sourcing it, the state snapshot, the status) and
//! driven by a controller that does nothing but send blocks and read their
//! output and snapshots (what any controller of that driver pays), a block
//! printing 1 GiB against `cat` reading the same, and `runsheet plan` on a
//! 10 MB runbook against a bare parse of it. Each figure is set against its
//! baseline measured in the same run, rounds interleaved, so that a busy
//! machine slows both alike: the ratios are what to read.
//!
//! Run it with:
//!
//! ```text
//! cargo bench --bench overhead
//! ```
//!
//! `RUNSHEET_BENCH_ONLY` picks parts, comma-separated: `runs` (the per-block
//! table, about three minutes), `plan`, `output` (the 1 GiB block); for
//! example `RUNSHEET_BENCH_ONLY=plan cargo bench --bench overhead`. Unset,
//! every part runs.
//!
//! This is a custom harness (`harness = false`), not criterion: every sample is a
//! whole process that runs hundreds of blocks for seconds, so criterion's
//! warm-up, hundreds of iterations and outlier statistics would only multiply the
//! run time. Each figure is the median of a few runs, and each `runsheet run` is
//! checked (exit 0, one `<!--rs:out` annotation per block, the last block saw the
//! variable every earlier block incremented) so the bench cannot time a run that
//! stopped early.
//!
//! The binary: `cargo bench` builds `runsheet` with the bench profile (which
//! inherits `release`) and hands its path to this bench in
//! `CARGO_BIN_EXE_runsheet`. Without it, the bench uses
//! `$CARGO_TARGET_DIR/release/runsheet` (default `target/` beside Cargo.toml),
//! and runs `cargo build --release` first if that file is missing.
//!
//! Everything is written to a temporary directory (under `$TMPDIR`); runsheet's
//! state directory and `HOME` point into it, so the bench leaves nothing behind.
//! runsheet writes a shell-state snapshot per block and the transcript with
//! fsync and rename, so the file system under `$TMPDIR` is part of what is
//! measured: the bench prints its type, and `TMPDIR=/dev/shm cargo bench --bench
//! overhead` shows the cost without a disk. The CPU column (user + system time
//! of runsheet and its shell) and the load averages printed before and after
//! help to read wall times taken on a busy machine.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

mod baselines;
mod common;
use common::{Env, children_cpu, load_average, median, ms, peak_rss, timed, verdict};

/// Runbook sizes (blocks) and how many timed runs each gets. The per-block
/// budget is stated on 1,000 and 10,000 blocks; 300 and 3,000 show the
/// scaling between.
const SIZES: [(usize, usize); 4] = [(300, 5), (1_000, 5), (3_000, 3), (10_000, 3)];
/// The naive design is timed up to this many blocks (it takes milliseconds a block).
const NAIVE_UP_TO: usize = 1_000;
const PLAN_BYTES: usize = 10 * 1024 * 1024;
const PLAN_RUNS: usize = 5;

const BUDGET_MS_PER_BLOCK: f64 = 0.15;
/// `plan` against a bare parse of the same file, read from disk.
const BUDGET_PLAN_PARSE_RATIO: f64 = 2.0;
const BUDGET_PLAN_MEMORY_FACTOR: f64 = 6.0;
/// runsheet's throughput against `cat`'s, on the same 1 GiB.
const BUDGET_THROUGHPUT_RATIO: f64 = 0.6;
const BIG_OUTPUT_RUNS: usize = 2;

fn main() {
    let env = Env::new();
    env.print_header();

    if wanted("runs") {
        let mut rows = Vec::new();
        for (blocks, runs) in SIZES {
            rows.push(measure_run(&env, blocks, runs));
        }
        print_run_table(&rows);
        println!();
    }
    if wanted("plan") {
        let plan = measure_plan(&env);
        print_plan(&plan);
        println!();
    }
    if wanted("output") {
        measure_big_output(&env);
        println!();
    }
    println!("load average at end: {}", load_average());
}

/// Whether the part `name` is to run: `RUNSHEET_BENCH_ONLY` unset, or naming it.
fn wanted(name: &str) -> bool {
    match std::env::var("RUNSHEET_BENCH_ONLY") {
        Ok(only) => only.split(',').any(|part| part.trim() == name),
        Err(_) => true,
    }
}

/// Budget for runsheet's peak memory while a block prints 1 GiB.
const BUDGET_BIG_OUTPUT_MB: f64 = 16.0;

/// One block printing 1 GiB, against `cat` reading the same output into
/// /dev/null (rounds interleaved, the best of each kept): runsheet's
/// throughput, its peak resident memory (it keeps a head and a tail of the
/// output), and the transcript must say how much it left out.
fn measure_big_output(env: &Env) {
    let runbook = env.root.join("big-output.md");
    let transcript = env.root.join("big-output.out.md");
    fs::write(
        &runbook,
        format!("```bash\n{}\n```\n", baselines::BIG_OUTPUT),
    )
    .expect("write the big-output runbook");
    eprintln!("1 GiB of output: {BIG_OUTPUT_RUNS} rounds of cat and runsheet...");
    let args = [
        OsStr::new("run"),
        OsStr::new("--yes"),
        runbook.as_os_str(),
        OsStr::new("-o"),
        transcript.as_os_str(),
    ];
    let (mut cat, mut runsheet, mut peak) = (Duration::MAX, Duration::MAX, None);
    for _ in 0..BIG_OUTPUT_RUNS {
        cat = cat.min(baselines::cat_floor(&env.root));
        let _ = fs::remove_file(&transcript);
        let started = Instant::now();
        peak = peak.max(peak_rss(&mut env.runsheet(&args)));
        runsheet = runsheet.min(started.elapsed());
    }
    let text = fs::read_to_string(&transcript).expect("the big-output transcript");
    assert!(
        text.contains("bytes omitted"),
        "the transcript should say what it left out"
    );
    let gib = 1024.0 * 1024.0 * 1024.0;
    let rate = |d: Duration| gib / d.as_secs_f64() / 1e6;
    let ratio = rate(runsheet) / rate(cat);
    println!(
        "1 GiB of output from one block: cat {:.0} MB/s, runsheet {:.0} MB/s = {ratio:.2}x cat (budget >= {BUDGET_THROUGHPUT_RATIO}x): {}",
        rate(cat),
        rate(runsheet),
        verdict(ratio >= BUDGET_THROUGHPUT_RATIO)
    );
    let mb = peak.map_or(f64::NAN, |b| b as f64 / (1024.0 * 1024.0));
    println!(
        "1 GiB of output from one block: peak RSS {mb:.1} MB (budget < {BUDGET_BIG_OUTPUT_MB} MB) {} · transcript {} KB",
        verdict(mb < BUDGET_BIG_OUTPUT_MB),
        text.len() / 1024
    );
}

/// One row of the run table.
struct RunRow {
    blocks: usize,
    runs: usize,
    baseline: Duration,
    /// One `bash -c` per block with the state in a file, when timed.
    naive: Option<Duration>,
    /// runsheet's session driver run by bash alone: bash's own share.
    driver: Duration,
    /// The driver driven by a controller that does nothing else: the floor
    /// for any controller of this driver.
    controlled: Duration,
    runsheet: Duration,
    /// CPU time (user + system) of runsheet and its shell.
    runsheet_cpu: Option<Duration>,
}

impl RunRow {
    fn overhead_ms_per_block(&self) -> f64 {
        self.per_block(self.runsheet)
    }

    /// What `time` costs a block over the bare script.
    fn per_block(&self, time: Duration) -> f64 {
        (ms(time) - ms(self.baseline)) / self.blocks as f64
    }
}

fn measure_run(env: &Env, blocks: usize, runs: usize) -> RunRow {
    let runbook = env.root.join(format!("blocks-{blocks}.md"));
    let script = env.root.join(format!("blocks-{blocks}.sh"));
    fs::write(&runbook, runbook_text(blocks)).expect("write the runbook");
    fs::write(&script, script_text(blocks)).expect("write the script");
    let naive_script = env.root.join(format!("naive-{blocks}.sh"));
    fs::write(&naive_script, baselines::naive_script(blocks)).expect("write the naive script");
    let naive_too = blocks <= NAIVE_UP_TO;
    let driver_script = env.root.join(format!("driver-{blocks}.sh"));
    let block = script_text(1);
    let driver_text = baselines::driver_alone_script(&env.root, blocks, &block);
    fs::write(&driver_script, driver_text).expect("write the driver script");
    eprintln!("{blocks} blocks: {runs} runs (+1 warm-up)...");

    // The warm-up run is checked but not timed: it pages in bash and runsheet.
    let mut baseline = Vec::new();
    let mut naive = Vec::new();
    let mut driver = Vec::new();
    let mut controlled = Vec::new();
    let mut runsheet = Vec::new();
    let mut cpu = Vec::new();
    for round in 0..=runs {
        let (time, status) = timed(&mut env.bash(&script));
        assert!(
            status.success(),
            "bash {} failed: {status}",
            script.display()
        );
        if round > 0 {
            baseline.push(time);
        }
        // The status after each block, on the driver's stdout too, ends in
        // \x1e.
        let driver_ran = |out: &str| out.contains(&format!("\x1eline {blocks}\n"));
        baseline_round(
            env,
            &driver_script,
            round,
            "the driver alone",
            driver_ran,
            &mut driver,
        );
        let (time, last) = baselines::driver_controlled(&env.root, blocks, &block);
        if round == 0 {
            assert_eq!(
                last,
                format!("line {blocks}\n"),
                "the controlled driver did not carry the state through every block"
            );
        } else {
            controlled.push(time);
        }
        if naive_too {
            let naive_ran = |out: &str| out.ends_with(&format!("line {blocks}\n"));
            baseline_round(
                env,
                &naive_script,
                round,
                "the naive script",
                naive_ran,
                &mut naive,
            );
        }

        let out = env.root.join(format!("blocks-{blocks}.run-{round}.md"));
        let args: [&OsStr; 5] = [
            "run".as_ref(),
            "--yes".as_ref(),
            runbook.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ];
        let cpu_before = children_cpu();
        let (time, status) = timed(&mut env.runsheet(&args));
        let cpu_used = cpu_before
            .zip(children_cpu())
            .map(|(a, b)| b.saturating_sub(a));
        check_run(env, &args, status, &out, blocks);
        fs::remove_file(&out).expect("remove the transcript");
        if round > 0 {
            runsheet.push(time);
            cpu.extend(cpu_used);
        }
    }
    RunRow {
        blocks,
        runs,
        baseline: median(baseline),
        naive: (!naive.is_empty()).then(|| median(naive)),
        driver: median(driver),
        controlled: median(controlled),
        runsheet: median(runsheet),
        runsheet_cpu: (!cpu.is_empty()).then(|| median(cpu)),
    }
}

/// A baseline script's round: the warm-up (round 0) is checked, not timed:
/// it must exit 0 and print what shows that every block ran in one shell
/// that kept `X` (`ran_all`); later rounds are timed into `times`.
fn baseline_round(
    env: &Env,
    script: &Path,
    round: usize,
    name: &str,
    ran_all: impl Fn(&str) -> bool,
    times: &mut Vec<Duration>,
) {
    if round == 0 {
        let output = env
            .bash(script)
            .stdout(Stdio::piped())
            .output()
            .unwrap_or_else(|e| panic!("run {name}: {e}"));
        let out = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && ran_all(&out),
            "{name} did not carry the state through every block: {}",
            output.status
        );
    } else {
        let (time, status) = timed(&mut env.bash(script));
        assert!(status.success(), "{name} failed: {status}");
        times.push(time);
    }
}

/// Fails the bench unless the run did every block: a run that stopped early
/// would otherwise look fast.
fn check_run(env: &Env, args: &[&OsStr], status: ExitStatus, transcript: &Path, blocks: usize) {
    if !status.success() {
        // Run it again with stderr kept, to show why.
        let output = env
            .runsheet(args)
            .stderr(Stdio::piped())
            .output()
            .expect("rerun runsheet");
        panic!(
            "runsheet {args:?} exited with {status}; a second try said:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = fs::read_to_string(transcript).expect("read the transcript");
    let outputs = text.matches("<!--rs:out").count();
    assert_eq!(
        outputs,
        blocks,
        "{} holds {outputs} output blocks, expected {blocks}",
        transcript.display()
    );
    assert!(
        text.contains(&format!("line {blocks}\n")),
        "{} lacks `line {blocks}`: the shell state did not carry through every block",
        transcript.display()
    );
}

/// A checklist: one `- [ ]` item per block, each block two trivial commands
/// that depend on the block before (the session must keep `X`).
fn runbook_text(blocks: usize) -> String {
    let mut text = String::from("# Overhead benchmark\n\n");
    for i in 1..=blocks {
        let _ = write!(
            text,
            "- [ ] Step {i}\n\n  ```bash\n  X=$((X+1))\n  echo line $X\n  ```\n\n"
        );
    }
    text
}

/// The same commands, one after another, as a plain script.
fn script_text(blocks: usize) -> String {
    "X=$((X+1))\necho line $X\n".repeat(blocks)
}

fn print_run_table(rows: &[RunRow]) {
    println!(
        "runsheet run --yes  vs  bash --noprofile --norc (floor), one bash -c per block (naive), runsheet's driver run by bash alone (driver) and driven by a controller that does nothing else (controlled); medians, wall time unless marked CPU"
    );
    println!(
        "{:>7} {:>5} {:>9} {:>10} {:>10} {:>14} {:>12} {:>12} {:>13} {:>17} {:>15} {:>13}",
        "blocks",
        "runs",
        "bash ms",
        "naive ms",
        "driver ms",
        "controlled ms",
        "runsheet ms",
        "naive/block",
        "driver/block",
        "controlled/block",
        "runsheet/block",
        "runsheet CPU"
    );
    for row in rows {
        let cpu = row
            .runsheet_cpu
            .map_or_else(|| "n/a".to_owned(), |d| format!("{:.0} ms", ms(d)));
        let naive = row
            .naive
            .map_or_else(|| "-".to_owned(), |d| format!("{:.1}", ms(d)));
        let naive_block = row
            .naive
            .map_or_else(|| "-".to_owned(), |d| format!("{:.2} ms", row.per_block(d)));
        println!(
            "{:>7} {:>5} {:>9.1} {:>10} {:>10.1} {:>14.1} {:>12.1} {:>12} {:>10.3} ms {:>14.3} ms {:>12.3} ms {:>13}",
            row.blocks,
            row.runs,
            ms(row.baseline),
            naive,
            ms(row.driver),
            ms(row.controlled),
            ms(row.runsheet),
            naive_block,
            row.per_block(row.driver),
            row.per_block(row.controlled),
            row.overhead_ms_per_block(),
            cpu,
        );
    }
    for row in rows {
        let over = row.overhead_ms_per_block();
        let against_naive = row.naive.map_or_else(String::new, |d| {
            format!(
                "; the naive design costs {:.0}x that",
                row.per_block(d) / over
            )
        });
        println!(
            "overhead at {} blocks: {over:.3} ms/block (budget <= {BUDGET_MS_PER_BLOCK} ms): {}; bash's own share (the driver alone) {:.3} ms/block; the driver with a controller that does nothing else {:.3} ms/block{against_naive}",
            row.blocks,
            verdict(over <= BUDGET_MS_PER_BLOCK),
            row.per_block(row.driver),
            row.per_block(row.controlled),
        );
    }
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    let scaling = ms(last.runsheet) / ms(first.runsheet);
    let bash_scaling = ms(last.baseline) / ms(first.baseline);
    // Linear: the time grows no faster than the number of blocks.
    let linear = last.blocks as f64 / first.blocks as f64;
    println!(
        "scaling runsheet {}/{} blocks: {scaling:.1}x (budget <= {linear:.1}x, linear; bash alone {bash_scaling:.1}x): {}",
        last.blocks,
        first.blocks,
        verdict(scaling <= linear)
    );
}

struct PlanResult {
    bytes: usize,
    steps: usize,
    runs: usize,
    time: Duration,
    /// A bare pulldown-cmark parse of the same file, read in this process.
    parse: Duration,
    peak_rss: Option<u64>,
}

fn measure_plan(env: &Env) -> PlanResult {
    let (text, steps) = big_runbook(PLAN_BYTES);
    let path = env.root.join("big.md");
    fs::write(&path, &text).expect("write the big runbook");
    let args: [&OsStr; 2] = ["plan".as_ref(), path.as_os_str()];
    eprintln!(
        "plan: {} bytes, {PLAN_RUNS} runs (+1 checked warm-up)...",
        text.len()
    );

    // The warm-up keeps stdout to check that plan found every step.
    let output = env
        .runsheet(&args)
        .stdout(Stdio::piped())
        .output()
        .expect("run runsheet plan");
    assert!(output.status.success(), "runsheet plan: {}", output.status);
    let head = String::from_utf8_lossy(&output.stdout[..output.stdout.len().min(200)]).into_owned();
    assert!(
        head.contains(&format!(": {steps} steps")),
        "plan found a different number of steps than the {steps} generated: {head}"
    );

    let mut times = Vec::new();
    let mut parse = Vec::new();
    for _ in 0..PLAN_RUNS {
        parse.push(baselines::parse_only(&path, 1).0);
        let (time, status) = timed(&mut env.runsheet(&args));
        assert!(status.success(), "runsheet plan: {status}");
        times.push(time);
    }
    // Memory gets a run of its own: sampling /proc would disturb the timing.
    let peak_rss = peak_rss(&mut env.runsheet(&args));
    PlanResult {
        bytes: text.len(),
        steps,
        runs: PLAN_RUNS,
        time: median(times),
        parse: median(parse),
        peak_rss,
    }
}

/// A runbook of at least `bytes`, in sections shaped like a real checklist:
/// heading, prose with inline markup, tasks holding blocks, a manual task.
/// Returns the text and how many steps it holds.
fn big_runbook(bytes: usize) -> (String, usize) {
    let mut text = String::from("# A very long runbook\n\nGenerated for the plan benchmark.\n\n");
    let mut sections = 0;
    while text.len() < bytes {
        sections += 1;
        let i = sections;
        let _ = write!(
            text,
            "## {i}. Section {i}\n\n\
             Some prose that says why part {i} exists, with `code`, *emphasis* and a\n\
             [link](https://example.com/{i}) for the parser to walk through.\n\n\
             - [ ] Prepare part {i}\n  ```bash\n  export PART={i}\n  echo \"preparing $PART\"\n  ```\n\
             - [ ] Check part {i}\n  ```bash {{timeout=30s}}\n  test \"$PART\" = {i} && echo ok\n  ```\n\
             - [ ] Tell the team that part {i} is done\n\n"
        );
    }
    // Three tasks a section; a task with its block counts as one step, as
    // `plan` counts them.
    (text, sections * 3)
}

fn print_plan(plan: &PlanResult) {
    let mb = plan.bytes as f64 / (1024.0 * 1024.0);
    let ratio = ms(plan.time) / ms(plan.parse);
    println!(
        "runsheet plan on a {mb:.1} MB runbook ({} bytes, {} steps): median of {} runs {:.1} ms; bare parse {:.1} ms; {ratio:.2}x the parse (budget <= {BUDGET_PLAN_PARSE_RATIO}x): {}",
        plan.bytes,
        plan.steps,
        plan.runs,
        ms(plan.time),
        ms(plan.parse),
        verdict(ratio <= BUDGET_PLAN_PARSE_RATIO)
    );
    match plan.peak_rss {
        Some(rss) => {
            let factor = rss as f64 / plan.bytes as f64;
            println!(
                "runsheet plan peak RSS: {:.1} MB = {factor:.1}x the file (budget < {BUDGET_PLAN_MEMORY_FACTOR}x): {}",
                rss as f64 / (1024.0 * 1024.0),
                verdict(factor < BUDGET_PLAN_MEMORY_FACTOR)
            );
        }
        None => println!("runsheet plan peak RSS: not available (no /proc)"),
    }
}
