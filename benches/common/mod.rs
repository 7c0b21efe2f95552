//! What the benchmarks share: the binary they time, and the commit, load and
//! verdict words they report with.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

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

/// The commit the binary was built from; best effort, for the record only.
pub fn revision() -> String {
    Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "rev-parse",
            "--short",
            "HEAD",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "commit unknown".into(),
            |o| format!("commit {}", String::from_utf8_lossy(&o.stdout).trim()),
        )
}

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
