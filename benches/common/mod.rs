//! What the benchmarks share: the binary they time, a private scratch
//! directory to run it in, timing and memory sampling, and the commit, load
//! and verdict words they report with.

// Each bench uses a part of this module.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The binary `cargo bench` built, or `target/release/runsheet` (built if missing).
pub fn runsheet_binary() -> PathBuf {
    if let Some(path) = option_env!("CARGO_BIN_EXE_runsheet") {
        let path = PathBuf::from(path);
        if path.is_file() {
            return path;
        }
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| manifest.join("target"), |dir| manifest.join(dir));
    let bin = target.join("release").join("runsheet");
    if !bin.is_file() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "--bin", "runsheet"])
            .current_dir(manifest)
            .status()
            .expect("cargo must be on PATH to build runsheet");
        assert!(status.success(), "cargo build --release failed: {status}");
    }
    bin
}

/// The commit the binary was built from, marked `dirty` when `src/` has
/// uncommitted changes; best effort, for the record only.
pub fn revision() -> String {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let git = |args: &[&str]| {
        Command::new("git")
            .args(["-C", manifest])
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(commit) => match git(&["status", "--porcelain", "--", "src", "Cargo.toml"]) {
            Some(changes) if !changes.is_empty() => format!("commit {commit}, src dirty"),
            _ => format!("commit {commit}"),
        },
        None => "commit unknown".into(),
    }
}

/// The three load averages, to judge how busy the machine was.
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

/// The binary under test and a private scratch directory (under `$TMPDIR`,
/// removed at the end): runsheet's state directory and `HOME` point into it,
/// so a bench leaves nothing behind.
pub struct Env {
    pub bin: PathBuf,
    pub root: PathBuf,
    pub home: PathBuf,
    pub state: PathBuf,
    _dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::Builder::new()
            .prefix("runsheet-bench-")
            .tempdir()
            .expect("a temporary directory for the bench");
        let root = dir.path().to_path_buf();
        let home = root.join("home");
        let state = root.join("state");
        fs::create_dir_all(&home).expect("create the bench HOME");
        fs::create_dir_all(&state).expect("create the bench state dir");
        Env {
            bin: runsheet_binary(),
            root,
            home,
            state,
            _dir: dir,
        }
    }

    /// `runsheet <args>` with a private state dir and HOME, no terminal, and
    /// nothing inherited that would change what bash does at start-up.
    pub fn runsheet<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .current_dir(&self.root)
            .env("RUNSHEET_STATE_DIR", &self.state)
            .env("HOME", &self.home)
            .env_remove("XDG_STATE_HOME")
            .env_remove("BASH_ENV")
            .env_remove("ENV")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    /// `bash --noprofile --norc script`, in the same surroundings.
    pub fn bash(&self, script: &Path) -> Command {
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc"])
            .arg(script)
            .current_dir(&self.root)
            .env("HOME", &self.home)
            .env_remove("BASH_ENV")
            .env_remove("ENV")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    /// The machine, the scratch file system and the load, printed first.
    pub fn print_header(&self) {
        println!("runsheet: {} ({})", self.bin.display(), revision());
        println!(
            "machine: {} cores, {}; scratch: {} ({})",
            cores(),
            std::env::consts::ARCH,
            self.root.display(),
            file_system(&self.root).unwrap_or_else(|| "file system unknown".into())
        );
        println!("load average at start: {}", load_average());
        println!();
    }
}

/// Runs `cmd` to the end and returns its wall time.
pub fn timed(cmd: &mut Command) -> (Duration, ExitStatus) {
    let started = Instant::now();
    let status = cmd.status().expect("spawn the command");
    (started.elapsed(), status)
}

/// Peak resident memory of `cmd`, which must succeed; see `peak_rss_of`.
pub fn peak_rss(cmd: &mut Command) -> Option<u64> {
    let (status, peak) = peak_rss_of(cmd);
    assert!(status.success(), "{cmd:?}: {status}");
    peak
}

/// How `cmd` exited, and its peak resident memory, read from the kernel's
/// high-water mark (`VmHWM`) while it runs; the last sample is at most a
/// millisecond before exit.
pub fn peak_rss_of(cmd: &mut Command) -> (ExitStatus, Option<u64>) {
    let mut child = cmd.spawn().expect("spawn the command");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = None;
    loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            return (status, peak);
        }
        if let Some(kib) = fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| vm_hwm_kib(&s))
        {
            peak = peak.max(Some(kib * 1024));
        }
        thread::sleep(Duration::from_millis(1));
    }
}

fn vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time (user + system) of this process's waited-for children and their
/// waited-for descendants, from `/proc/self/stat`; `None` off Linux.
pub fn children_cpu() -> Option<Duration> {
    // Linux reports these in USER_HZ ticks, which is 100 on every architecture.
    const TICKS_PER_SECOND: u64 = 100;
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which may hold spaces: cutime and cstime
    // are fields 16 and 17 of the whole line, 14 and 15 of this remainder.
    let mut rest = stat[stat.rfind(')')? + 2..].split(' ').skip(13);
    let user: u64 = rest.next()?.parse().ok()?;
    let system: u64 = rest.next()?.parse().ok()?;
    Some(Duration::from_millis(
        (user + system) * 1000 / TICKS_PER_SECOND,
    ))
}

/// The type of the file system holding `path` (transcripts and state are
/// written there, with fsync and rename, so it matters).
pub fn file_system(path: &Path) -> Option<String> {
    let mounts = fs::read_to_string("/proc/self/mounts").ok()?;
    let path = path.canonicalize().ok()?;
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            let (_, point, kind) = (fields.next()?, fields.next()?, fields.next()?);
            path.starts_with(point)
                .then(|| (point.len(), kind.to_owned()))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, kind)| kind)
}

/// Wall time and CPU time (user + system) of one sample.
pub type Sample = (Duration, Duration);

/// Times `run` (which runs and waits for child processes): wall time, and
/// the CPU time of the children it waited for.
pub fn sampled(run: impl FnOnce()) -> Sample {
    let (started, cpu) = (Instant::now(), children_cpu().unwrap_or_default());
    run();
    let cpu = children_cpu().unwrap_or_default().saturating_sub(cpu);
    (started.elapsed(), cpu)
}

/// Runs `cmd`, checks it exits with `exit`; its sample.
pub fn sample_exit(cmd: &mut Command, exit: i32) -> Sample {
    let mut status = None;
    let took = sampled(|| status = cmd.status().ok());
    assert_eq!(status.and_then(|s| s.code()), Some(exit), "{cmd:?}");
    took
}

/// Runs `cmd` with its output captured, checks it exits with `exit`; its
/// sample and what it printed.
pub fn sample_output(cmd: &mut Command, exit: i32) -> (Sample, String) {
    let mut out = None;
    let took = sampled(|| {
        out = Some(
            cmd.stdout(Stdio::piped())
                .output()
                .expect("run the command"),
        );
    });
    let out = out.expect("ran");
    assert_eq!(out.status.code(), Some(exit), "{cmd:?}");
    (took, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The median wall time and the median CPU time of `runs` samples.
pub fn median_of(runs: usize, mut sample: impl FnMut() -> Sample) -> Sample {
    let (walls, cpus): (Vec<Duration>, Vec<Duration>) = (0..runs).map(|_| sample()).unzip();
    (median(walls), median(cpus))
}

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub fn cores() -> usize {
    thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}
