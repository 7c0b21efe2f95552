//! Measures what an operator waits for in an interactive run: the time from
//! Enter at a block's prompt to the next block's prompt, on a terminal (a
//! pseudo-terminal driven as a person types), at 300 and at 10,000 blocks.
//! It should not grow with the runbook: what the step costs is the block
//! (`true`), recording its outcome, and saving the transcript before the
//! next prompt.
//!
//! Run it with:
//!
//! ```text
//! cargo bench --bench interactive
//! ```
//!
//! Each run starts with `--from` near the end of the runbook, so that every
//! step before is recorded (skipped) and the transcript is as long as a run
//! that got there; the last `SAMPLE` blocks are then run one by one. The
//! latency is the median over every sampled step of every round, the two
//! sizes interleaved round by round. Before each Enter the bench waits for
//! the prompt to settle (as a person would take longer still), so the figure
//! is runsheet's and not the typing's. Every run is checked: exit 0, and one
//! output block a step in the transcript.
//!
//! Then whole runs: every block of a 1,000- and a 10,000-block runbook run at
//! its prompt, Enter typed as soon as the prompt has put the terminal in raw
//! mode. What is read is the CPU time of runsheet and its shell a step, at
//! 10,000 blocks against at 1,000: a run whose steps cost more as it grows
//! is not linear.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

mod common;
use common::{Env, Sample, load_average, median, ms, sampled, verdict};

const SIZES: [usize; 2] = [300, 10_000];
/// Runbooks run whole at the prompt.
const WHOLE: [usize; 2] = [1_000, 10_000];
/// A step of the larger whole run against one of the smaller: linear, with
/// room for the noise of a shared machine.
const BUDGET_WHOLE: f64 = 1.25;
/// Blocks run at the prompt in each run, at the end of the runbook.
const SAMPLE: usize = 30;
const ROUNDS: usize = 3;
/// Enter-to-next-prompt at 10,000 blocks against at 300.
const BUDGET_RATIO: f64 = 1.5;
/// The end of the prompt before a block runs.
const PROMPT: &[u8] = b"[g]o to: ";
/// The prompt once it took the answer `r`.
const TAKEN: &[u8] = b"[g]o to: r";
/// What a prompt may take to appear, at most, before the bench gives up.
const LIMIT: Duration = Duration::from_secs(60);

fn main() {
    let env = Env::new();
    env.print_header();
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); SIZES.len()];
    for size in SIZES.into_iter().chain(WHOLE) {
        let mut text = String::from("# Interactive benchmark\n\n");
        for i in 1..=size {
            let _ = write!(text, "Step {i}:\n\n```bash\ntrue\n```\n\n");
        }
        fs::write(env.root.join(format!("interactive-{size}.md")), text)
            .expect("write the runbook");
    }
    for round in 0..ROUNDS {
        for (i, &size) in SIZES.iter().enumerate() {
            eprintln!(
                "round {}: {size} blocks, {SAMPLE} at the prompt...",
                round + 1
            );
            samples[i].extend(one_run(&env, size));
        }
    }
    let medians: Vec<Duration> = samples.iter().map(|s| median(s.clone())).collect();
    println!(
        "runsheet run on a terminal: Enter at a block's prompt to the next prompt; medians of {} steps ({SAMPLE} at the end of each of {ROUNDS} runs)",
        SAMPLE * ROUNDS
    );
    println!(
        "{:>8} {:>12} {:>12} {:>12}",
        "blocks", "median ms", "fastest ms", "slowest ms"
    );
    for ((size, median), samples) in SIZES.iter().zip(&medians).zip(&samples) {
        let fastest = samples.iter().min().copied().unwrap_or_default();
        let slowest = samples.iter().max().copied().unwrap_or_default();
        println!(
            "{size:>8} {:>12.2} {:>12.2} {:>12.2}",
            ms(*median),
            ms(fastest),
            ms(slowest)
        );
    }
    let ratio = ms(medians[1]) / ms(medians[0]);
    println!();
    println!(
        "Enter to the next prompt at {} blocks: {ratio:.2}x that at {} (budget <= {BUDGET_RATIO}x): {}",
        SIZES[1],
        SIZES[0],
        verdict(ratio <= BUDGET_RATIO)
    );
    println!();
    let whole: Vec<Sample> = WHOLE
        .iter()
        .map(|&size| {
            eprintln!("a whole run of {size} blocks at the prompt...");
            whole_run(&env, size)
        })
        .collect();
    println!("whole interactive runs, every block run at its prompt (CPU: runsheet and its shell)");
    println!(
        "{:>8} {:>10} {:>10} {:>16}",
        "blocks", "wall s", "CPU s", "CPU ms a step"
    );
    let per_step: Vec<f64> = WHOLE
        .iter()
        .zip(&whole)
        .map(|(&size, &(wall, cpu))| {
            let each = ms(cpu) / size as f64;
            println!(
                "{size:>8} {:>10.2} {:>10.2} {each:>16.3}",
                wall.as_secs_f64(),
                cpu.as_secs_f64()
            );
            each
        })
        .collect();
    let growth = per_step[1] / per_step[0];
    println!();
    println!(
        "a step of the {}-block run: {growth:.2}x one of the {}-block run (linear: <= {BUDGET_WHOLE}x): {}",
        WHOLE[1],
        WHOLE[0],
        verdict(growth <= BUDGET_WHOLE)
    );
    println!();
    println!("load average at end: {}", load_average());
}

/// One interactive run of the whole `size`-block runbook, every block run at
/// its prompt: its wall time and the CPU time of runsheet and its shell.
fn whole_run(env: &Env, size: usize) -> Sample {
    let runbook = env.root.join(format!("interactive-{size}.md"));
    let out = env.root.join(format!("interactive-{size}.whole.md"));
    let _ = fs::remove_file(&out);
    let args: [OsString; 4] = [
        "run".into(),
        runbook.into(),
        "-o".into(),
        out.clone().into(),
    ];
    let mut code = None;
    let sample = sampled(|| {
        let mut term = Terminal::spawn(runsheet_on_terminal(env, &args));
        for _ in 0..size {
            term.wait_for_prompt();
            term.wait_for_raw_mode();
            term.run_block();
        }
        term.wait_for_end();
        code = term.exit_code();
    });
    check_run(code, &out, size);
    sample
}

/// runsheet with `args`, set up to run on the bench's terminal.
fn runsheet_on_terminal(env: &Env, args: &[OsString]) -> Command {
    let mut cmd = Command::new(&env.bin);
    cmd.args(args)
        .current_dir(&env.root)
        .env("RUNSHEET_STATE_DIR", &env.state)
        .env("HOME", &env.home)
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env_remove("XDG_STATE_HOME")
        .env_remove("BASH_ENV")
        .env_remove("ENV");
    cmd
}

/// One interactive run of the `size`-block runbook from its last `SAMPLE`
/// blocks: the time from each Enter to the next prompt (or to the end).
fn one_run(env: &Env, size: usize) -> Vec<Duration> {
    let runbook = env.root.join(format!("interactive-{size}.md"));
    let out = env.root.join(format!("interactive-{size}.out.md"));
    let _ = fs::remove_file(&out);
    let from = format!("s{}", size - SAMPLE + 1);
    let args: [OsString; 6] = [
        "run".into(),
        runbook.into(),
        "-o".into(),
        out.clone().into(),
        "--from".into(),
        from.into(),
    ];
    let mut term = Terminal::spawn(runsheet_on_terminal(env, &args));
    term.wait_for_prompt();
    let mut times = Vec::with_capacity(SAMPLE);
    for step in 0..SAMPLE {
        // The prompt switches the terminal to raw mode after it is drawn.
        thread::sleep(Duration::from_millis(50));
        let started = Instant::now();
        term.run_block();
        if step + 1 < SAMPLE {
            term.wait_for_prompt();
        } else {
            term.wait_for_end();
        }
        times.push(started.elapsed());
    }
    let code = term.exit_code();
    check_run(code, &out, size);
    times
}

/// A run that counts: it exited 0, and its transcript at `out` holds one
/// output block for each of the `size` blocks.
fn check_run(code: Option<i32>, out: &std::path::Path, size: usize) {
    assert_eq!(code, Some(0), "the run of {size} blocks exited {code:?}");
    let transcript = fs::read_to_string(out).expect("read the transcript");
    let outputs = transcript.matches("<!--rs:out ").count();
    assert_eq!(
        outputs,
        size,
        "{} holds {outputs} output blocks",
        out.display()
    );
}

/// runsheet on a pseudo-terminal.
struct Terminal {
    session: expectrl::Session,
    /// What it printed, escape sequences removed.
    seen: Vec<u8>,
    /// How far into `seen` the last wait matched.
    pos: usize,
    ended: bool,
}

impl Terminal {
    fn spawn(cmd: Command) -> Terminal {
        let mut session = expectrl::Session::spawn(cmd).expect("spawn runsheet on a pty");
        // Wide enough that no prompt wraps.
        let _ = session.get_process_mut().set_window_size(200, 50);
        Terminal {
            session,
            seen: Vec::new(),
            pos: 0,
            ended: false,
        }
    }

    /// Types `r` and Enter, and waits until the prompt has taken it (it
    /// shows the answer after itself).
    fn run_block(&mut self) {
        self.session.send(b"r\r").expect("type on the terminal");
        self.wait_for(TAKEN);
    }

    /// Reads until the next block's prompt has been printed.
    fn wait_for_prompt(&mut self) {
        self.wait_for(PROMPT);
    }

    /// Waits until the prompt has put the terminal in raw mode (echo off):
    /// what is typed from then on is read as keys.
    fn wait_for_raw_mode(&mut self) {
        let started = Instant::now();
        while self.session.get_process().get_echo().unwrap_or(false) {
            assert!(
                started.elapsed() < LIMIT,
                "the prompt never took the keyboard"
            );
            thread::sleep(Duration::from_micros(50));
        }
    }

    /// Reads until `needle` is printed after the last match.
    fn wait_for(&mut self, needle: &[u8]) {
        let started = Instant::now();
        loop {
            if let Some(at) = memchr::memmem::find(&self.seen[self.pos..], needle) {
                self.pos += at + needle.len();
                return;
            }
            assert!(
                !self.ended && started.elapsed() < LIMIT,
                "{} did not come; the terminal showed:\n{}",
                String::from_utf8_lossy(needle),
                String::from_utf8_lossy(&self.seen[self.pos..])
            );
            self.pump();
        }
    }

    /// Reads until runsheet closes the terminal.
    fn wait_for_end(&mut self) {
        let started = Instant::now();
        while !self.ended {
            assert!(started.elapsed() < LIMIT, "runsheet did not end");
            self.pump();
        }
    }

    /// Reads what is there, or waits a little for it.
    fn pump(&mut self) {
        let mut buf = [0u8; 65536];
        match self.session.try_read(&mut buf) {
            Ok(0) => self.ended = true,
            Ok(n) => self
                .seen
                .extend_from_slice(&strip_ansi_escapes::strip(&buf[..n])),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_micros(100));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // EIO: the other side of the terminal is closed.
            Err(_) => self.ended = true,
        }
    }

    fn exit_code(&mut self) -> Option<i32> {
        let started = Instant::now();
        loop {
            match self.session.get_process().status() {
                Ok(expectrl::WaitStatus::Exited(_, code)) => return Some(code),
                Ok(expectrl::WaitStatus::StillAlive) if started.elapsed() < LIMIT => {
                    self.pump();
                }
                _ => return None,
            }
        }
    }
}
