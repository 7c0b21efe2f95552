//! Running blocks: the executor seam the run loop talks to, the local bash
//! session behind it, its state snapshots, output capture and redaction, and
//! which fence languages run how.

pub mod capture;
pub mod editor;
pub mod local;
pub mod output;
pub mod pty;
pub mod runner;
pub mod session;
pub mod snapshot;
pub mod tree;
mod watch;

use std::time::Duration;

pub use local::LocalShell;
pub use session::{BlockEnd, Session, SessionOptions};

use crate::error::Result;
use runner::Runner;

/// One block to run, as the run loop hands it over.
#[derive(Debug, Clone)]
pub struct Block<'a> {
    /// The step's id, for files the executor keeps about it.
    pub id: &'a str,
    /// What runs: the block's text, placeholders filled, edits applied.
    pub script: &'a str,
    pub runner: &'a Runner,
    /// A directory to run this block in (`cwd=`), only for this block.
    pub cwd: Option<&'a str>,
    pub timeout: Option<Duration>,
    /// Secret-named variables the block mentions: new values they take while
    /// it runs are reported to the sink before what it prints next.
    pub watch: Vec<String>,
}

/// Where a running block's output goes.
pub trait Sink {
    /// Bytes the block printed, as they come.
    fn output(&mut self, bytes: &[u8]);
    /// A secret value the block set: masked in whatever comes after.
    fn secret(&mut self, value: &str);
    /// Something the operator should know about the executor itself.
    fn notice(&mut self, text: &str);
}

/// Something that runs a block and streams its output: the local bash
/// session, or a session on a remote host.
pub trait Executor {
    /// Runs `block`, streaming what it prints to `sink`; returns when it
    /// ends. `stop` says when runsheet was asked to stop (Ctrl-C, a signal):
    /// then the block and what it started are stopped.
    fn run(
        &mut self,
        block: &Block,
        stop: &dyn Fn() -> bool,
        sink: &mut dyn Sink,
    ) -> Result<BlockEnd>;

    /// Variables the runbook set, as the session's last snapshot has them
    /// (to learn the values of secret-named ones).
    fn variables(&self) -> Vec<(String, String)>;

    /// Output as the operator should read it: messages that name the
    /// executor's own files point at the runbook's `runbook:line` instead.
    fn locate(&self, output: &str, runbook: &str, fence_line: usize) -> String;

    /// Ends the session(s) and whatever they still run.
    fn finish(&mut self);
}
