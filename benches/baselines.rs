//! The baselines the overhead benchmark sets runsheet against, measured in the
//! same run: the naive design (one `bash -c` per block, the state carried in a
//! file), runsheet's session driver run by bash alone and driven by a
//! controller that does nothing else, `cat` reading the same 1 GiB of output,
//! and a bare pulldown-cmark parse of the runbook `plan` reads.

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

/// runsheet's session driver driven the way runsheet drives it, by a
/// controller that does nothing else: `blocks` times it writes the command
/// line, reads what the block prints up to the status frame (looking for it
/// without sleeping for as long as runsheet does, the shell looking for the
/// next block as many times), and takes the snapshot the shell wrote into its
/// pipe, keeping none of it. No state file, no journal, no transcript, no
/// progress: what any controller of this driver pays for each block (taking
/// turns with the shell, the snapshot through a pipe) before it does any work
/// of its own. Timed from starting bash to its exit, as the other baselines
/// are; returns the time and the last block's output.
pub fn driver_controlled(root: &Path, blocks: usize, block: &str) -> (Duration, String) {
    use std::io::{Read, Write};
    use std::os::fd::OwnedFd;

    let dir = root.join(format!("controlled-{blocks}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).expect("create the controlled driver's directory");
    fs::write(dir.join("block-0.sh"), block).expect("write the controlled driver's block");
    let (cmd_read, mut cmd_write) = std::io::pipe().expect("a command pipe");
    let (mut state_read, state_write) = std::io::pipe().expect("a snapshot pipe");
    let (out_read, out_write) = std::io::pipe().expect("an output pipe");
    let spin = runsheet::exec::session::spinning();
    let look_for = if spin {
        runsheet::exec::session::SPIN
    } else {
        Duration::ZERO
    };
    let started = Instant::now();
    let mut command =
        runsheet::exec::session::driver_command(&dir, "0", spin, cmd_read, state_write)
            .expect("set up the controlled driver");
    command
        .current_dir(root)
        .env_remove("BASH_ENV")
        .env_remove("ENV")
        .stdin(Stdio::null())
        .stdout(Stdio::from(OwnedFd::from(out_write)))
        .stderr(Stdio::null());
    let mut child = command.spawn().expect("start the controlled driver");
    drop(command);
    let out_read = OwnedFd::from(out_read);
    let flags = rustix::fs::fcntl_getfl(&out_read).expect("the output pipe's flags");
    rustix::fs::fcntl_setfl(&out_read, flags | rustix::fs::OFlags::NONBLOCK)
        .expect("a non-blocking output pipe");
    let mut buf = vec![0; 64 * 1024];
    let mut output = Vec::new();
    let mut snapshot = Vec::new();
    let mut last = String::new();
    for _ in 0..blocks {
        cmd_write.write_all(b"\n").expect("send the driver a block");
        output.clear();
        // `\x1eRS0:<exit>:<saved>:<jobs>:<cwd>\x1e`: the status ends at its
        // second separator.
        let sent = Instant::now();
        let status_at = loop {
            let n = match rustix::io::read(&out_read, &mut buf[..]) {
                Ok(n) => n,
                Err(rustix::io::Errno::AGAIN) => {
                    if sent.elapsed() >= look_for {
                        let mut fds = [rustix::event::PollFd::new(
                            &out_read,
                            rustix::event::PollFlags::IN,
                        )];
                        rustix::event::poll(&mut fds, None).expect("wait for output");
                    } else {
                        std::hint::spin_loop();
                    }
                    continue;
                }
                Err(e) => panic!("read the block's output: {e}"),
            };
            assert!(n > 0, "the controlled driver stopped early");
            output.extend_from_slice(&buf[..n]);
            if let Some(at) = memchr::memmem::find(&output, b"\x1eRS0:")
                && output[at + 1..].contains(&0x1e)
            {
                break at;
            }
        };
        // The shell wrote the snapshot before its status: it is all there.
        snapshot.clear();
        while !snapshot.ends_with(b"\x1eend\n") {
            let n = state_read.read(&mut buf).expect("read the snapshot");
            assert!(n > 0, "the controlled driver's snapshot was cut short");
            snapshot.extend_from_slice(&buf[..n]);
        }
        last = String::from_utf8_lossy(&output[..status_at]).into_owned();
    }
    drop(cmd_write);
    let status = child.wait().expect("wait for the controlled driver");
    let time = started.elapsed();
    assert!(status.success(), "the controlled driver failed: {status}");
    (time, last)
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
