//! Measures that every kind of step costs the same whatever the runbook's
//! length: manual tasks, blanks and choices answered from an answers file,
//! placeholders filled from one, and `resume` of a long transcript, each at
//! 1,000 and 10,000 steps. What is read is the 10k/1k ratio, linear at 10× or
//! less (less, since every run has a fixed cost), set against the same ratio
//! of `runsheet plan` on the same runbooks in the same run: reading the
//! runbook is the least a run does.
//!
//! Run it with:
//!
//! ```text
//! cargo bench --bench modes
//! ```
//!
//! A custom harness (`harness = false`), as the other benches: every sample
//! is a whole `runsheet` process, timed to its end, the median of a few
//! rounds with the two sizes and the baseline interleaved. Every run is
//! checked (exit code, one marker per step in the transcript) so that a run
//! that stopped early cannot pass for a fast one.
//!
//! `resume`: a run of N blocks and a last manual task is made once per size,
//! unattended, so that it stops with the task not confirmed; each round puts
//! its transcript and state back and times `runsheet resume --yes` with the
//! task answered in a file. Its fixed cost is that time less the same resume
//! of a one-block run, measured in the same rounds.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;
use common::{Env, load_average, median, ms, timed, verdict};

const SMALL: usize = 1_000;
const LARGE: usize = 10_000;
/// Timed rounds of each measurement.
const ROUNDS: usize = 3;
/// Linear: ten times the steps cost at most ten times the time.
const BUDGET_SCALING: f64 = 10.0;
/// What resuming a 10,000-block transcript may cost beyond a one-block one.
const BUDGET_RESUME_MS: f64 = 100.0;

fn main() {
    let env = Env::new();
    env.print_header();
    let mut rows = Vec::new();
    for mode in [Mode::Tasks, Mode::Fields, Mode::Placeholders] {
        rows.push(measure_mode(&env, mode));
    }
    let resume = measure_resume(&env);
    print_table(&rows, &resume);
    println!();
    println!("load average at end: {}", load_average());
}

#[derive(Clone, Copy)]
enum Mode {
    /// `- [ ] Task N`, unattended: each is recorded not confirmed.
    Tasks,
    /// A blank and a choice, half the steps each, answered from a file.
    Fields,
    /// One block with a placeholder every two steps, filled from a file.
    Placeholders,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Tasks => "manual tasks (--yes)",
            Mode::Fields => "blanks and choices (--answers)",
            Mode::Placeholders => "placeholders (--answers)",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Mode::Tasks => "tasks",
            Mode::Fields => "fields",
            Mode::Placeholders => "placeholders",
        }
    }

    /// The runbook of `steps` steps, and its answers file if it has one.
    fn files(self, steps: usize) -> (String, Option<String>) {
        let (mut text, mut answers) = (format!("# {} benchmark\n\n", self.slug()), String::new());
        match self {
            Mode::Tasks => {
                for i in 1..=steps {
                    let _ = writeln!(text, "- [ ] Task {i}");
                }
                return (text, None);
            }
            Mode::Fields => {
                for i in 1..=steps / 2 {
                    let _ = write!(text, "- Owner {i}: ____\n- Decision {i}: `GO / NO-GO`\n");
                    let _ = write!(answers, "\"Owner {i}:\": alice\n\"Decision {i}:\": GO\n");
                }
            }
            Mode::Placeholders => {
                for i in 1..=steps / 2 {
                    let _ = write!(text, "```bash\necho <value-{i}>\n```\n\n");
                    let _ = writeln!(answers, "value-{i}: v{i}");
                }
            }
        }
        (text, Some(answers))
    }

    /// The exit code a complete run has, and the marker each step leaves.
    fn expected(self) -> (i32, &'static str) {
        match self {
            // Nobody confirmed the tasks: exit 3.
            Mode::Tasks => (3, "<!--rs:task "),
            Mode::Fields => (0, "<!--rs:fill "),
            Mode::Placeholders => (0, "<!--rs:out "),
        }
    }

    /// How many markers a complete run of `steps` steps leaves.
    fn markers(self, steps: usize) -> usize {
        match self {
            Mode::Tasks | Mode::Fields => steps,
            // A placeholder is recorded in its block's marker.
            Mode::Placeholders => steps / 2,
        }
    }
}

/// One mode at both sizes, with `plan` of the same runbooks.
struct Row {
    mode: Mode,
    run: [Duration; 2],
    plan: [Duration; 2],
}

fn measure_mode(env: &Env, mode: Mode) -> Row {
    eprintln!("{}: {ROUNDS} rounds (+1 checked warm-up)...", mode.name());
    let mut cases = Vec::new();
    for steps in [SMALL, LARGE] {
        let runbook = env.root.join(format!("{}-{steps}.md", mode.slug()));
        let (text, answers) = mode.files(steps);
        fs::write(&runbook, text).expect("write the runbook");
        let answers = answers.map(|a| {
            let path = env.root.join(format!("{}-{steps}.yaml", mode.slug()));
            fs::write(&path, a).expect("write the answers file");
            path
        });
        cases.push((steps, runbook, answers));
    }
    let mut run = [Vec::new(), Vec::new()];
    let mut plan = [Vec::new(), Vec::new()];
    for round in 0..=ROUNDS {
        for (i, (steps, runbook, answers)) in cases.iter().enumerate() {
            let out = env.root.join(format!("{}-{steps}.out.md", mode.slug()));
            let mut args = vec![
                "run".as_ref(),
                "--yes".as_ref(),
                runbook.as_os_str(),
                "-o".as_ref(),
                out.as_os_str(),
            ];
            if let Some(answers) = answers {
                args.extend(["--answers".as_ref(), answers.as_os_str()]);
            }
            let (time, status) = timed(&mut env.runsheet(&args));
            let (code, marker) = mode.expected();
            assert_eq!(status.code(), Some(code), "runsheet {args:?}: {status}");
            let transcript = fs::read_to_string(&out).expect("read the transcript");
            let found = transcript.matches(marker).count();
            assert_eq!(
                found,
                mode.markers(*steps),
                "{} holds {found} `{marker}` markers",
                out.display()
            );
            fs::remove_file(&out).expect("remove the transcript");
            let (plan_time, status) =
                timed(&mut env.runsheet(&["plan".as_ref(), runbook.as_os_str()]));
            assert!(
                status.success(),
                "runsheet plan {}: {status}",
                runbook.display()
            );
            if round > 0 {
                run[i].push(time);
                plan[i].push(plan_time);
            }
        }
    }
    let [run_small, run_large] = run;
    let [plan_small, plan_large] = plan;
    Row {
        mode,
        run: [median(run_small), median(run_large)],
        plan: [median(plan_small), median(plan_large)],
    }
}

/// Resume at 1, 1,000 and 10,000 blocks.
struct Resume {
    blocks: [usize; 3],
    time: [Duration; 3],
}

fn measure_resume(env: &Env) -> Resume {
    let blocks = [1, SMALL, LARGE];
    let answers = env.root.join("sign-off.yaml");
    fs::write(&answers, "Sign off: done\n").expect("write the answers file");
    let stopped: Vec<Stopped> = blocks.iter().map(|&n| stopped_run(env, n)).collect();
    eprintln!("resume: {ROUNDS} rounds (+1 checked warm-up)...");
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    for round in 0..=ROUNDS {
        for (i, run) in stopped.iter().enumerate() {
            run.put_back();
            let (time, status) = timed(&mut env.runsheet(&[
                "resume".as_ref(),
                "--yes".as_ref(),
                run.transcript.as_os_str(),
                "--answers".as_ref(),
                answers.as_os_str(),
            ]));
            assert!(
                status.success(),
                "resume {}: {status}",
                run.transcript.display()
            );
            let text = fs::read_to_string(&run.transcript).expect("read the transcript");
            assert!(
                text.contains("state=complete")
                    && text.matches("<!--rs:out ").count() == run.blocks,
                "resume of {} did not complete the run",
                run.transcript.display()
            );
            if round > 0 {
                times[i].push(time);
            }
        }
    }
    let [a, b, c] = times;
    Resume {
        blocks,
        time: [median(a), median(b), median(c)],
    }
}

/// A run stopped before its last step, kept to be resumed again and again.
struct Stopped {
    blocks: usize,
    transcript: PathBuf,
    saved_transcript: PathBuf,
    /// The run's private state (shell snapshot, journal), and a copy.
    state: PathBuf,
    saved_state: PathBuf,
}

impl Stopped {
    /// The transcript and state as the run left them: a resume that
    /// completes the run changes the one and removes the other.
    fn put_back(&self) {
        let _ = fs::remove_dir_all(&self.state);
        copy_dir(&self.saved_state, &self.state);
        fs::copy(&self.saved_transcript, &self.transcript).expect("put the transcript back");
    }
}

/// Runs `blocks` blocks and a manual task unattended: the task is left not
/// confirmed, and the run's state kept for `resume`.
fn stopped_run(env: &Env, blocks: usize) -> Stopped {
    eprintln!("resume: making a stopped run of {blocks} blocks...");
    let runbook = env.root.join(format!("resume-{blocks}.md"));
    let mut text = String::from("# Resume benchmark\n\n");
    for _ in 0..blocks {
        text.push_str("```bash\nX=$((X+1))\necho line $X\n```\n\n");
    }
    text.push_str("- [ ] Sign off\n");
    fs::write(&runbook, text).expect("write the runbook");
    let transcript = env.root.join(format!("resume-{blocks}.out.md"));
    let before = run_dirs(&env.state);
    let args = [
        "run".as_ref(),
        "--yes".as_ref(),
        runbook.as_os_str(),
        "-o".as_ref(),
        transcript.as_os_str(),
    ];
    let (_, status) = timed(&mut env.runsheet(&args));
    assert_eq!(status.code(), Some(3), "the run to resume: {status}");
    let state = run_dirs(&env.state)
        .into_iter()
        .find(|d| !before.contains(d))
        .expect("the stopped run keeps its state");
    let saved_state = env.root.join(format!("saved-state-{blocks}"));
    copy_dir(&state, &saved_state);
    let saved_transcript = env.root.join(format!("saved-resume-{blocks}.md"));
    fs::copy(&transcript, &saved_transcript).expect("keep the transcript");
    Stopped {
        blocks,
        transcript,
        saved_transcript,
        state,
        saved_state,
    }
}

/// The runs' private directories under the state dir.
fn run_dirs(state: &Path) -> Vec<PathBuf> {
    fs::read_dir(state)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "locks"))
                .collect()
        })
        .unwrap_or_default()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create a copy of the state");
    for entry in fs::read_dir(from).expect("read the state") {
        let entry = entry.expect("read the state");
        fs::copy(entry.path(), to.join(entry.file_name())).expect("copy the state");
    }
}

fn print_table(rows: &[Row], resume: &Resume) {
    println!(
        "runsheet run --yes at {SMALL} and {LARGE} steps, against runsheet plan of the same runbooks; medians of {ROUNDS} rounds, wall time"
    );
    println!(
        "{:<32} {:>10} {:>10} {:>8} {:>12} {:>12} {:>8}",
        "mode", "1k ms", "10k ms", "10k/1k", "plan 1k ms", "plan 10k ms", "10k/1k"
    );
    for row in rows {
        println!(
            "{:<32} {:>10.1} {:>10.1} {:>7.1}x {:>12.1} {:>12.1} {:>7.1}x",
            row.mode.name(),
            ms(row.run[0]),
            ms(row.run[1]),
            ratio(row.run),
            ms(row.plan[0]),
            ms(row.plan[1]),
            ratio(row.plan),
        );
    }
    let [one, small, large] = resume.time;
    println!(
        "{:<32} {:>10.1} {:>10.1} {:>7.1}x {:>12} {:>12}",
        "resume (blocks)",
        ms(small),
        ms(large),
        ratio([small, large]),
        format!("1 block {:.1}", ms(one)),
        "",
    );
    println!();
    for row in rows {
        let r = ratio(row.run);
        println!(
            "{}: {r:.1}x from {SMALL} to {LARGE} steps (budget <= {BUDGET_SCALING}x; plan {:.1}x): {}",
            row.mode.name(),
            ratio(row.plan),
            verdict(r <= BUDGET_SCALING)
        );
    }
    let r = ratio([small, large]);
    println!(
        "resume: {r:.1}x from {} to {} blocks (budget <= {BUDGET_SCALING}x): {}",
        resume.blocks[1],
        resume.blocks[2],
        verdict(r <= BUDGET_SCALING)
    );
    let fixed = ms(large) - ms(one);
    println!(
        "resume of {} blocks: {:.1} ms, {fixed:.1} ms more than of {} block (budget <= {BUDGET_RESUME_MS} ms more): {}",
        resume.blocks[2],
        ms(large),
        resume.blocks[0],
        verdict(fixed <= BUDGET_RESUME_MS)
    );
}

fn ratio([small, large]: [Duration; 2]) -> f64 {
    ms(large) / ms(small)
}
