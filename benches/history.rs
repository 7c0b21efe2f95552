//! Measures `runsheet history` of 1,000 transcripts of a 100-step runbook:
//! the terminal table, the JSON and the HTML page, against `runsheet strip`
//! of every one of the same transcripts (reading them back is the least a
//! history can do), checked against the budget: table < 2 s, page < 3 s and
//! < 5 MB.
//!
//! Run it with:
//!
//! ```text
//! cargo bench --bench history
//! ```
//!
//! Ten real unattended runs of a generated runbook make the transcripts
//! (one run in five fails a step); each is then copied a hundred times with
//! its run's start moved a day on each time, so that the thousand runs
//! cover a thousand days in order. A custom harness (`harness = false`), as
//! the other benches: every sample is a whole process.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Instant;

mod common;
use common::{
    Sample, load_average, ms, revision, runsheet_binary, sample_exit, sample_output, sampled,
    verdict,
};

/// Steps in the runbook: one block each.
const BLOCKS: usize = 100;
/// Real runs, and copies of each.
const REAL: usize = 10;
const COPIES: usize = 100;
/// Timed runs of each measurement.
const RUNS: usize = 3;

const BUDGET_TABLE_MS: f64 = 2_000.0;
const BUDGET_HTML_MS: f64 = 3_000.0;
const BUDGET_PAGE_BYTES: u64 = 5_000_000;

fn main() {
    let bin = runsheet_binary();
    let dir = tempfile::Builder::new()
        .prefix("runsheet-bench-history-")
        .tempdir()
        .expect("a temporary directory for the bench");
    let root = dir.path();
    for sub in ["home", "state", "runs"] {
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
    let mut names = Vec::new();
    for r in 0..REAL {
        let real = format!("real-{r}.md");
        let fail = r % 5 == 4;
        let mut cmd = command(
            &bin,
            root,
            &["run", "--yes", "--keep-going", "steps.md", "-o", &real],
        );
        if fail {
            cmd.env("FAIL", "1");
        }
        let status = cmd.status().expect("run runsheet");
        assert_eq!(status.code(), Some(i32::from(fail)), "run {r}: {status}");
        let text = fs::read_to_string(root.join(&real)).expect("the transcript");
        let at = text.find("started=").expect("a run summary") + "started=".len();
        let stamp = text[at..at + 20].to_string();
        for c in 0..COPIES {
            let day = c * REAL + r;
            let when = format!(
                "{:04}-{:02}-{:02}T05:{:02}:00Z",
                2020 + day / 336,
                day / 28 % 12 + 1,
                day % 28 + 1,
                r
            );
            let name = format!("runs/{:02}/run-{day:04}.md", c % 50);
            fs::create_dir_all(root.join(&name).parent().expect("a folder")).expect("mkdir");
            fs::write(root.join(&name), text.replacen(&stamp, &when, 1)).expect("write a copy");
            names.push(name);
        }
    }
    let bytes: u64 = names.iter().map(|n| size(&root.join(n))).sum();
    println!(
        "{} transcripts of {BLOCKS} steps ({:.1} MB) in {:.1} s",
        names.len(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    println!();

    let strip = median_of(|| {
        sampled(|| {
            for name in &names {
                let status = command(&bin, root, &["strip", name])
                    .status()
                    .expect("strip");
                assert!(status.success(), "strip {name}: {status}");
            }
        })
    });
    let table = median_of(|| {
        let (took, out) = timed_output(&bin, root, &["history", "runs"], 0);
        assert!(
            out.starts_with(&format!("steps.md · {} runs · ", REAL * COPIES)),
            "history says:\n{}",
            &out[..out.len().min(400)]
        );
        took
    });
    let json = median_of(|| timed(&bin, root, &["history", "--format", "json", "runs"], 0));
    let html = median_of(|| timed(&bin, root, &["history", "--html", "page.html", "runs"], 0));
    let page = size(&root.join("page.html"));

    println!("median of {RUNS} runs each (CPU: user + system, in 10 ms ticks):");
    println!("| measurement | wall time | against strip | CPU | against strip |");
    println!("|---|---:|---:|---:|---:|");
    let row = |name: &str, (wall, cpu): Sample| {
        println!(
            "| {name} | {:.0} ms | {:.2}× | {:.0} ms | {:.2}× |",
            ms(wall),
            ms(wall) / ms(strip.0).max(0.001),
            ms(cpu),
            ms(cpu) / ms(strip.1).max(0.001)
        );
    };
    row("strip of each of the 1,000 (baseline)", strip);
    row("history (table)", table);
    row("history --format json", json);
    row("history --html", html);
    println!();
    println!("| budget | measured | |");
    println!("|---|---|---|");
    println!(
        "| table of 1,000 runs < {BUDGET_TABLE_MS} ms | {:.0} ms | {} |",
        ms(table.0),
        verdict(ms(table.0) < BUDGET_TABLE_MS)
    );
    println!(
        "| page of 1,000 runs < {BUDGET_HTML_MS} ms | {:.0} ms | {} |",
        ms(html.0),
        verdict(ms(html.0) < BUDGET_HTML_MS)
    );
    println!(
        "| page < {:.0} MB | {:.2} MB | {} |",
        BUDGET_PAGE_BYTES as f64 / 1e6,
        page as f64 / 1e6,
        verdict(page < BUDGET_PAGE_BYTES)
    );
    println!();
    println!("load average at end: {}", load_average());
}

/// A runbook of `blocks` blocks under a heading every 10; block 50 fails
/// when `FAIL` is set.
fn runbook(blocks: usize) -> String {
    let mut text = String::from("# Steps\n\n");
    for n in 1..=blocks {
        if n % 10 == 1 {
            text.push_str(&format!("## Section {}\n\n", n / 10 + 1));
        }
        let fail = if n == 50 { "\n[ -z \"$FAIL\" ]" } else { "" };
        text.push_str(&format!(
            "- [ ] Step {n}\n  ```bash\n  echo \"step {n}\"{}\n  ```\n",
            fail.replace('\n', "\n  ")
        ));
    }
    text
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
        .env_remove("FAIL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
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

fn size(path: &Path) -> u64 {
    fs::metadata(path).map_or(0, |m| m.len())
}
