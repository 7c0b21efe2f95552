//! The baselines the overhead benchmark sets runsheet against, measured in the
//! same run: the naive design (one `bash -c` per block, the state carried in a
//! file), runsheet's session driver run by bash alone, `cat` reading the same
//! 1 GiB of output, and a bare pulldown-cmark parse of the runbook `plan`
//! reads.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One `bash -c` per block: before it, the state the block before left is
/// sourced (`declare -p` and `declare -f`, read-only variables failing
/// quietly); after it, the state is written again. The simplest way to run
/// blocks one by one and keep variables and functions, and what runsheet
/// would cost if it did that.
pub fn naive_script(blocks: usize) -> String {
    let block = "X=$((X+1))\necho line $X\n";
    let mut text = String::from("S=$PWD/naive.state\n: >\"$S\"\n");
    for _ in 0..blocks {
        text.push_str("bash --noprofile --norc -c '{ . \"$0\"; } 2>/dev/null\n");
        text.push_str(&block.replace('\'', "'\\''"));
        text.push_str("{ declare -p; declare -f; } >\"$0\"' \"$S\"\n");
    }
    text
}

/// runsheet's session driver, the very text a session runs, with no runsheet
/// process: a script that starts it on `blocks` commands read from a file,
/// the same block (`block`) in its directory for each, its snapshots thrown
/// away into /dev/null (its output and statuses go to stdout). What bash does by itself for each
/// block in runsheet's design (source the block, restore the driver's file
/// descriptors and traps, take the full state snapshot, write the status): a
/// floor under runsheet's per-block overhead, a little below it since writes
/// to /dev/null cost less than to a pipe.
pub fn driver_alone_script(root: &Path, blocks: usize, block: &str) -> String {
    let dir = root.join(format!("driver-{blocks}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).expect("create the driver's directory");
    fs::write(dir.join("block-0.sh"), block).expect("write the driver's block");
    let commands = dir.join("commands");
    fs::write(&commands, "\n".repeat(blocks)).expect("write the driver's commands");
    let driver = dir.join("driver.sh");
    fs::write(&driver, runsheet::exec::session::driver()).expect("write the driver");
    format!(
        "D=$(<'{}')\nexec bash --noprofile --norc -c \"$D\" runsheet '{}' 0 3<'{}' 5>/dev/null 6>/dev/null\n",
        driver.display(),
        dir.display(),
        commands.display()
    )
}

/// The command of a block printing 1 GiB of 100-byte lines, made by `yes`
/// (which writes far faster than either reader can read; `head` stopping
/// it is no failure under the session's `pipefail`).
pub const BIG_OUTPUT: &str = "(yes xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx || :) | head -c 1073741824";

/// The same output read by `cat` into /dev/null: the floor for reading it.
pub fn cat_floor(root: &Path) -> Duration {
    let started = Instant::now();
    let status = Command::new("bash")
        .args(["--noprofile", "--norc", "-c"])
        .arg(format!("{BIG_OUTPUT} | cat >/dev/null"))
        .current_dir(root)
        .stdin(Stdio::null())
        .status()
        .expect("run the cat baseline");
    assert!(status.success(), "the cat baseline failed: {status}");
    started.elapsed()
}

/// Median time of a bare pulldown-cmark parse of `path` (every event
/// taken, with the options runsheet parses with), and the events counted.
pub fn parse_only(path: &Path, runs: usize) -> (Duration, usize) {
    use pulldown_cmark::{Options, Parser};
    let options = Options::ENABLE_TASKLISTS
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES;
    let mut times = Vec::new();
    let mut events = 0;
    for _ in 0..runs {
        let started = Instant::now();
        // Read as `plan` reads it: the file is part of the work.
        let text = fs::read_to_string(path).expect("read the big runbook");
        events = Parser::new_ext(&text, options).count();
        times.push(started.elapsed());
    }
    times.sort();
    (times[times.len() / 2], events)
}
