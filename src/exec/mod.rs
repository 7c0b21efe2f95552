//! Running blocks: the executor seam the run loop talks to, the local bash
//! session behind it, its state snapshots, output capture and redaction, and
//! which fence languages run how.

pub mod capture;
pub mod editor;
pub mod local;
pub mod output;
mod pipes;
pub mod pty;
mod router;
pub mod runner;
pub mod session;
pub mod snapshot;
pub mod ssh;
pub mod status;
mod store;
pub mod tree;
mod watch;

use std::time::{Duration, SystemTime};

pub use local::LocalShell;
pub use router::Router;
pub use session::{BlockEnd, Session, SessionOptions};
pub use status::LostCwd;

use crate::doc::attrs::Share;
use crate::error::Result;
use crate::linemap::LinesAfter;
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
    /// On this machine, a retry of a block that moved the shell: the
    /// directory its first attempt started in, to start from again.
    pub start_in: Option<&'a str>,
    pub timeout: Option<Duration>,
    /// Secret-named variables the block mentions: new values they take while
    /// it runs are reported to the sink before what it prints next.
    pub watch: Vec<String>,
    /// The hosts it runs on (`on=`); `None`: the run's default.
    pub on: Option<&'a str>,
    /// On a fleet, how many hosts at a time (`serial=`); `None`: all at once.
    pub serial: Option<Share>,
    /// On a fleet, how many hosts may fail before the rollout stops (`max_fail=`).
    pub max_fail: Option<Share>,
    /// Hosts it must not run on: done there already (a resumed or retried
    /// block), or lost in an attempt retried without asking anyone.
    pub skip_hosts: Vec<String>,
    /// Hosts it must not run on, each with why: the run refused it there
    /// (its shell's directory is gone and nobody could confirm it).
    pub refuse_hosts: Vec<(String, String)>,
    /// Whether it may run where the shell's directory is gone: it moves out
    /// first (`cd`, an absolute `cwd=`), or is in a contingency section. A
    /// resumed host first reached as it starts, its directory gone, is
    /// refused otherwise (nobody was asked about it there).
    pub may_run_in_lost_cwd: bool,
    /// The exit code that counts as success (`expect_exit=`, else 0).
    pub expect_exit: i32,
    /// What the output must hold (`expect=`), for judging each host.
    pub expect: Option<&'a str>,
}

/// How a block ended on one host of a fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEnd {
    pub host: String,
    pub reach: Reach,
    pub started: SystemTime,
    pub duration: Duration,
    /// What the block printed there, as clean text (secrets not yet masked).
    pub output: String,
    /// What ssh said, or why it did not run.
    pub note: Option<String>,
    /// Resuming, when this block was the first to reach the host: the
    /// directory its shell was in when the run stopped, now gone.
    pub lost_cwd: Option<LostCwd>,
}

/// What happened on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// It ran to its end (the block's own end, a timeout, an interrupt).
    Ran(BlockEnd),
    /// The connection dropped while it ran.
    Lost,
    /// ssh could not reach the host before it started.
    Unreachable,
    /// Not run: the host left the run at an earlier step.
    Left,
    /// Not run: the rollout stopped before the host's batch.
    Stopped,
    /// Not run: done there already, as `Block::skip_hosts` says.
    Kept,
    /// Not run: refused there, as `Block::refuse_hosts` says.
    Refused,
}

/// Where a running block's output goes.
pub trait Sink {
    /// Bytes the block printed, as they come.
    fn output(&mut self, bytes: &[u8]);
    /// A secret value the block set: masked in whatever comes after.
    fn secret(&mut self, value: &str);
    /// Something the operator should know about the executor itself.
    fn notice(&mut self, text: &str);
    /// Lines to show as they come, not to capture: a fleet's output, each
    /// line marked with its host (each host's output is captured apart).
    fn live(&mut self, bytes: &[u8]);
    /// The secrets known so far: a capture is cut where it splits none.
    fn secrets(&self) -> &crate::secrets::Secrets;
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

    /// The directory this machine's shell is in, as its last snapshot has
    /// it; `None` before there is one.
    fn cwd(&self) -> Option<String> {
        None
    }

    /// The variables that are new or took another value since the last
    /// call (all of them at the first): what the run learns secrets from
    /// after each block, without going over every variable each time.
    fn fresh_variables(&mut self) -> Vec<(String, String)> {
        self.variables()
    }

    /// Output as the operator should read it: messages that name the
    /// executor's own files point at the runbook's `runbook:line` instead,
    /// `lines` numbering the block's lines from its fence.
    fn locate(&self, output: &str, runbook: &str, lines: &LinesAfter) -> String;

    /// Ends the session(s) and whatever they still run.
    fn finish(&mut self);

    /// The hosts a block with `on` targets now, in order; `None` when it
    /// runs on this machine.
    fn targets(&mut self, on: Option<&str>) -> Result<Option<Targets>> {
        let _ = on;
        Ok(None)
    }

    /// Resuming on a fleet: connects now to the hosts a block with `on`
    /// runs on (all but `skip`) whose saved shell state was not taken back
    /// yet, and takes it back, so that what became of the directory each
    /// shell was in is known before the block is asked about.
    fn take_back(
        &mut self,
        on: Option<&str>,
        skip: &[String],
        stop: &dyn Fn() -> bool,
    ) -> Result<TakenBack> {
        let _ = (on, skip, stop);
        Ok(TakenBack::default())
    }
}

/// What taking back the saved shells of hosts found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TakenBack {
    /// What was said on the way, each line marked with its host.
    pub said: Vec<String>,
    /// Each host whose shell was in a directory that is gone now, with it.
    pub lost: Vec<(String, LostCwd)>,
}

/// The hosts a block targets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    /// Those it runs on.
    pub hosts: Vec<String>,
    /// Those that left the run at an earlier step.
    pub left: Vec<String>,
}
