//! The fuzz targets' checks, replayed on every seed and every input fuzzing
//! has found (`tests/fuzz/regressions/<target>/`), so that a fault found once
//! stays fixed without a nightly toolchain.

use std::fs;
use std::path::{Path, PathBuf};

#[path = "fuzz/checks/attrs.rs"]
mod attrs;
#[path = "fuzz/checks/parse.rs"]
mod parse;
#[path = "fuzz/checks/round_trip.rs"]
mod round_trip;

/// The seeds and kept regressions of one target, by path.
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut found = Vec::new();
    for entry in fs::read_dir(fuzz.join("corpus").join(target)).expect("the seeds directory") {
        let path = entry.expect("a seed").path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
        {
            found.push(path);
        }
    }
    if let Ok(dir) = fs::read_dir(fuzz.join("regressions").join(target)) {
        found.extend(dir.map(|e| e.expect("a regression").path()));
    }
    found.sort();
    found
}

/// Runs `check` on every input of `target`; a panic names the input.
fn replay(target: &str, check: fn(&[u8])) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "no inputs for {target}");
    for path in inputs {
        let bytes = fs::read(&path).expect("readable input");
        let outcome = std::panic::catch_unwind(|| check(&bytes));
        assert!(
            outcome.is_ok(),
            "{target}: {} fails the check",
            path.display()
        );
    }
}

#[test]
fn round_trip_inputs_strip_back_exactly() {
    replay("round_trip", round_trip::check);
}

#[test]
fn parse_inputs_parse_without_panicking() {
    replay("parse", parse::check);
}

#[test]
fn attrs_inputs_keep_the_info_string_promises() {
    replay("attrs", attrs::check);
}
