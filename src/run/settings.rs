//! The settings of one run or resume, built once from the command line,
//! runsheet.toml and the environment.

use std::path::PathBuf;
use std::time::Duration;

use super::PathSettings;
use crate::exec::ssh::FleetOptions;
use crate::record::{Mode, TemplateInfo};

/// How a run goes: everything the run loop needs to know that is not the
/// runbook, the operator or the shell.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Where the transcript is written (a new file, or the one resumed).
    pub transcript: PathBuf,
    /// Who answers: a person at a terminal, or nobody (`--yes`).
    pub mode: Mode,
    /// Destructive commands may run without a typed confirmation.
    pub allow_destructive: bool,
    /// Variable or placeholder names (or `*` patterns) whose values are
    /// secrets, beyond the built-in ones: `--secret` and `[secrets] names`.
    pub secret_names: Vec<String>,
    /// Stop a block that runs longer than this (a fence's `timeout=` wins).
    pub timeout: Option<Duration>,
    /// Where blocks start: the directory runsheet was started in.
    pub cwd: PathBuf,
    /// What the command line asked of the run's path through the runbook:
    /// `--only`, `--on-failure`, `--choose`, `--honour-waits`.
    pub path: PathSettings,
    /// What a templated runbook was rendered with, for the run summary.
    pub rendering: Option<Rendering>,
    /// The remote hosts blocks may run on (`--inventory`, `--hosts`, ...).
    pub fleet: FleetOptions,
}

/// What the run summary records of a templated runbook's rendering.
#[derive(Debug, Clone, Default)]
pub struct Rendering {
    /// The `--env` name.
    pub env: Option<String>,
    /// Every variable, secrets masked, as people read them.
    pub vars: std::collections::BTreeMap<String, String>,
    pub template: TemplateInfo,
    /// Secret values the runbook was rendered with: masked in output too.
    pub secret_values: Vec<String>,
}

impl RunSettings {
    /// Whether a person answers this run's questions.
    pub fn attended(&self) -> bool {
        self.mode == Mode::Interactive
    }
}
