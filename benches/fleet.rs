//! Measures remote blocks against real OpenSSH servers on loopback, checked
//! against the budget in DESIGN.md:
//!
//! * per-block overhead on a warm host session, against the same command sent
//!   through an already-open `ssh` control master (`ssh -S socket host true`);
//! * a trivial block fanned out to 20 hosts (20 sshd), against one host.
//!
//! Run it with:
//!
//! ```text
//! cargo bench --bench fleet
//! ```
//!
//! It needs OpenSSH's server (`sshd`, Debian's `openssh-server`) and client.
//! Each server is the same machine under another port, with keys made in a
//! temporary directory (see `tests/common/sshd.rs`, shared with the tests);
//! nothing listens or connects outside 127.0.0.1.
//!
//! A warm block's time is taken as the difference between a runbook of many
//! blocks and one of a single block on the same hosts, divided by the blocks
//! between: connecting, starting runsheet and the remote shells are left out.
//! Each figure is the median of several runs, and each run is checked (exit 0,
//! one output region a block) so the bench cannot time a run that stopped.
//! The remote login runs the account's shell rc files (see the book's chapter
//! "Remote hosts and fleets"): the master baseline pays for them on every
//! command, which is what sending a command through a master costs; the
//! second baseline, one persistent `bash` over the same master, does not.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../tests/common/sshd.rs"]
#[allow(dead_code)]
mod sshd;

const BLOCKS: usize = 200;
const FAN_BLOCKS: usize = 40;
const FAN_HOSTS: usize = 20;
const RUNS: usize = 5;
const BUDGET_OVERHEAD_MS: f64 = 1.0;
const BUDGET_FAN_RATIO: f64 = 2.0;

fn main() {
    let bin = runsheet_binary();
    let names: Vec<String> = (1..=FAN_HOSTS).map(|i| format!("web-{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    println!("runsheet: {}", bin.display());
    println!(
        "machine: {} cores; load average at start: {}",
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        load_average()
    );
    let hosts = sshd::Hosts::start(&refs, &[]);
    let config = hosts.ssh_config();
    let work = hosts.dir.path().join("bench");
    fs::create_dir_all(work.join("state")).expect("bench dirs");

    println!("\n== per block on a warm session (web-1, {BLOCKS} blocks of `true`)");
    let per_block = warm_block(&bin, &work, &config, "web-1", BLOCKS);
    let (master, persistent) = baselines(&config, &work);
    println!(
        "runsheet, a block:                               {:8.2} ms",
        ms(per_block)
    );
    println!(
        "`ssh -S master web-1 true`, a command:           {:8.2} ms",
        ms(master)
    );
    println!(
        "`true` through one bash over the master:         {:8.2} ms",
        ms(persistent)
    );
    let overhead = ms(per_block) - ms(master);
    println!(
        "overhead over the master baseline: {overhead:+.2} ms (budget ≤ {BUDGET_OVERHEAD_MS} ms): {}",
        verdict(overhead <= BUDGET_OVERHEAD_MS)
    );
    println!(
        "over one persistent bash: {:+.2} ms (the state snapshot sent back, framing, the journal)",
        ms(per_block) - ms(persistent)
    );

    println!(
        "\n== fan-out: {FAN_BLOCKS} blocks of `true` on {FAN_HOSTS} hosts, --forks {FAN_HOSTS}"
    );
    let cpu = children_cpu();
    let one = warm_block(&bin, &work, &config, "web-1", FAN_BLOCKS);
    let cpu_one = children_cpu() - cpu;
    let all = warm_block(
        &bin,
        &work,
        &config,
        &format!("web-[1:{FAN_HOSTS}]"),
        FAN_BLOCKS,
    );
    let cpu_all = children_cpu() - cpu - cpu_one;
    let ratio = all.as_secs_f64() / one.as_secs_f64();
    println!("one host, a block:        {:8.2} ms", ms(one));
    println!("{FAN_HOSTS} hosts, a block:       {:8.2} ms", ms(all));
    // CPU of runsheet and its ssh clients (the servers are not theirs),
    // over all runs of each measurement, connections included.
    println!(
        "CPU here (runsheet and ssh, all {} runs): one host {:.2} s, {FAN_HOSTS} hosts {:.2} s",
        2 * RUNS,
        cpu_one,
        cpu_all
    );
    println!(
        "ratio: {ratio:.2}× (budget ≤ {BUDGET_FAN_RATIO}×): {}",
        verdict(ratio <= BUDGET_FAN_RATIO)
    );

    println!("\n== fan-out of `sleep 1` to {FAN_HOSTS} hosts (connections included)");
    let runbook = work.join("sleep.md");
    fs::write(
        &runbook,
        block_text(&format!("web-[1:{FAN_HOSTS}]"), "sleep 1", 1),
    )
    .expect("runbook");
    let took = timed_run(&bin, &work, &config, &runbook, 1);
    println!("whole run: {:.2} s", took.as_secs_f64());
    println!("\nload average at the end: {}", load_average());
}

/// The time of one warm block on `on`: (many blocks − one block) / (n − 1),
/// median of `RUNS`.
fn warm_block(bin: &Path, work: &Path, config: &str, on: &str, n: usize) -> Duration {
    let many = work.join("many.md");
    let single = work.join("single.md");
    fs::write(&many, block_text(on, "true", n)).expect("runbook");
    fs::write(&single, block_text(on, "true", 1)).expect("runbook");
    let mut samples = Vec::new();
    for _ in 0..RUNS {
        let t_many = timed_run(bin, work, config, &many, n);
        let t_one = timed_run(bin, work, config, &single, 1);
        samples.push(t_many.saturating_sub(t_one) / (n as u32 - 1));
    }
    median(samples)
}

fn block_text(on: &str, code: &str, n: usize) -> String {
    (0..n)
        .map(|_| format!("```bash {{on=\"{on}\" danger=false}}\n{code}\n```\n\n"))
        .collect()
}

/// Runs `runbook` unattended with `--forks` as large as the fleet; checks it
/// ran every block.
fn timed_run(bin: &Path, work: &Path, config: &str, runbook: &Path, blocks: usize) -> Duration {
    let out = work.join("out.md");
    let _ = fs::remove_file(&out);
    let start = Instant::now();
    let status = Command::new(bin)
        .args([
            "run",
            "--yes",
            "--forks",
            &FAN_HOSTS.to_string(),
            "--ssh-config",
            config,
        ])
        .arg(runbook)
        .arg("-o")
        .arg(&out)
        .current_dir(work)
        .env("RUNSHEET_STATE_DIR", work.join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run runsheet");
    let took = start.elapsed();
    assert!(
        status.success(),
        "runsheet run {} failed: {status}",
        runbook.display()
    );
    let transcript = fs::read_to_string(&out).expect("the transcript");
    assert_eq!(
        transcript.matches("<!--rs:out ").count(),
        blocks,
        "not every block ran"
    );
    took
}

/// The same command through an open master (a new channel and remote login
/// each time), and through one persistent bash over that master.
fn baselines(config: &str, work: &Path) -> (Duration, Duration) {
    let socket = work.join("m");
    let mut master = Command::new("ssh")
        .args(["-F", config, "-M", "-N", "-o", "ControlPersist=no", "-S"])
        .arg(&socket)
        .arg("web-1")
        .stdin(Stdio::null())
        .spawn()
        .expect("start an ssh master");
    let start = Instant::now();
    while !socket.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the master never came up"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let ssh = |extra: &[&str]| {
        let mut cmd = Command::new("ssh");
        cmd.args(["-F", config, "-S"]).arg(&socket).args(extra);
        cmd
    };
    let mut samples = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let status = ssh(&["web-1", "true"])
            .stdin(Stdio::null())
            .status()
            .expect("ssh through the master");
        assert!(status.success());
        samples.push(t.elapsed());
    }
    let through_master = median(samples);
    let mut shell = ssh(&["-T", "web-1", "exec bash --noprofile --norc"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("a persistent shell");
    let mut input = shell.stdin.take().expect("piped");
    let mut output = shell.stdout.take().expect("piped");
    let mut round_trip = || {
        let t = Instant::now();
        input.write_all(b"true; echo __done\n").expect("write");
        input.flush().expect("flush");
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        while !got.ends_with(b"__done\n") {
            let n = output.read(&mut buf).expect("read");
            assert!(n > 0, "the shell ended");
            got.extend_from_slice(&buf[..n]);
        }
        t.elapsed()
    };
    round_trip();
    let persistent = median((0..BLOCKS).map(|_| round_trip()).collect());
    drop(input);
    let _ = shell.wait();
    let _ = ssh(&["-O", "exit", "web-1"]).stderr(Stdio::null()).status();
    let _ = master.wait();
    (through_master, persistent)
}

fn runsheet_binary() -> PathBuf {
    if let Some(path) = option_env!("CARGO_BIN_EXE_runsheet") {
        let path = PathBuf::from(path);
        if path.is_file() {
            return path;
        }
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = manifest.join("target/release/runsheet");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build --release` first",
        bin.display()
    );
    bin
}

/// User and system seconds of the children this process waited for
/// (runsheet, and the ssh processes it waited for), from /proc/self/stat.
fn children_cpu() -> f64 {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map_or(vec![], |(_, rest)| rest.split(' ').collect());
    // cutime and cstime: fields 16 and 17, in clock ticks (100 a second on Linux).
    let ticks: f64 = [13, 14]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "OVER BUDGET" }
}
