//! The executor the run loop talks to: a block goes to this machine's shell
//! or to the hosts of the fleet, as its `on=` (or `--hosts`) says.

use std::path::PathBuf;

use super::ssh::Fleet;
use super::{Block, BlockEnd, Executor, LocalShell, Sink, TakenBack, Targets};
use crate::error::Result;
use crate::linemap::LinesAfter;

/// This machine's shell, and the fleet.
pub struct Router {
    local: LocalShell,
    fleet: Fleet,
}

impl Router {
    /// Blocks go to `local` unless they name hosts of `fleet`.
    pub fn new(local: LocalShell, fleet: Fleet) -> Router {
        Router { local, fleet }
    }

    /// Whether the state an earlier part of the run saved (here or for a
    /// host) can be restored: `Err` names the snapshot file that is damaged.
    pub fn check_restore(&self) -> std::result::Result<(), PathBuf> {
        self.local.check_restore()?;
        self.fleet.check_restore()
    }

    /// Starts from fresh shells instead of restoring the saved state.
    pub fn skip_restore(&mut self) {
        self.local.skip_restore();
        self.fleet.skip_restore();
    }
}

impl Executor for Router {
    fn run(
        &mut self,
        block: &Block,
        stop: &dyn Fn() -> bool,
        sink: &mut dyn Sink,
    ) -> Result<BlockEnd> {
        if self.fleet.is_remote(block.on)? {
            self.fleet.run(block, stop, sink)
        } else {
            self.local.run(block, stop, sink)
        }
    }

    fn variables(&self) -> Vec<(String, String)> {
        let mut vars = self.local.variables();
        vars.extend(self.fleet.variables());
        vars
    }

    fn cwd(&self) -> Option<String> {
        self.local.cwd()
    }

    fn fresh_variables(&mut self) -> Vec<(String, String)> {
        let mut vars = self.local.fresh_variables();
        vars.extend(self.fleet.variables());
        vars
    }

    fn locate(&self, output: &str, runbook: &str, lines: &LinesAfter) -> String {
        // The block files on a host are named as here: one way to point at the runbook.
        self.local.locate(output, runbook, lines)
    }

    fn finish(&mut self) {
        self.local.finish();
        self.fleet.finish();
    }

    fn targets(&mut self, on: Option<&str>) -> Result<Option<Targets>> {
        self.fleet.targets(on)
    }

    fn take_back(
        &mut self,
        on: Option<&str>,
        skip: &[String],
        stop: &dyn Fn() -> bool,
    ) -> Result<TakenBack> {
        self.fleet.take_back(on, skip, stop)
    }
}
