//! The processes a block started: found through /proc, stopped with TERM then KILL.

use std::fs;

use rustix::process::{Pid, Signal, kill_process};

/// The direct children of `pid`: cheap (one small read per thread), taken
/// before every block to know which background jobs to spare.
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut out: Vec<u32> = tasks
        .flatten()
        .filter_map(|t| fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|s| {
            s.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Every live descendant of `root` outside the subtrees of `spared`.
pub fn descendants(root: u32, spared: &[u32]) -> Vec<u32> {
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for child in children(p) {
            if !spared.contains(&child) && !found.contains(&child) {
                found.push(child);
                frontier.push(child);
            }
        }
    }
    found
}

/// Sends TERM (or KILL when `hard`) to each of `pids` that is still alive.
pub fn signal(pids: &[u32], hard: bool) {
    let signal = if hard { Signal::KILL } else { Signal::TERM };
    for &pid in pids {
        if let Some(pid) = Pid::from_raw(pid as i32) {
            let _ = kill_process(pid, signal);
        }
    }
}

/// Signals the descendants of `root` that are not in the subtrees of `spared`
/// (background jobs that outlived earlier blocks): TERM, or KILL when `hard`.
pub fn stop_new(root: u32, spared: &[u32], hard: bool) {
    signal(&descendants(root, spared), hard);
}

/// Asks the shell `pid` to leave the block it runs: its INT trap returns
/// from the block, between commands, whatever the block does.
pub fn interrupt(pid: u32) {
    if let Some(pid) = Pid::from_raw(pid as i32) {
        let _ = kill_process(pid, Signal::INT);
    }
}
