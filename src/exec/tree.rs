//! The processes a block started: found through /proc, stopped with TERM then KILL.

use std::fs;

use rustix::process::{Pid, Signal, kill_process};

/// Every live descendant of `root`, children first.
pub fn descendants(root: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let parents: Vec<(u32, u32)> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, parent_of(pid)?)))
        .collect();
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for &(child, parent) in &parents {
            if parent == p && !found.contains(&child) {
                found.push(child);
                frontier.push(child);
            }
        }
    }
    found
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(1)?.parse().ok()
}

/// Signals the descendants of `root` that were not in `spared` (background jobs
/// that outlived earlier blocks): TERM, or KILL when `hard`.
pub fn stop_new(root: u32, spared: &[u32], hard: bool) {
    let signal = if hard { Signal::KILL } else { Signal::TERM };
    for pid in descendants(root) {
        if spared.contains(&pid) {
            continue;
        }
        if let Some(pid) = Pid::from_raw(pid as i32) {
            let _ = kill_process(pid, signal);
        }
    }
}
