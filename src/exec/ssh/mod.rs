//! Blocks on remote hosts over OpenSSH: inventories, host patterns, a control
//! master and a shell session per host, and the fleet that runs a block on
//! its hosts in parallel.

mod fleet;
mod host;
mod inventory;
mod master;
mod session;
mod targets;

use std::path::PathBuf;

pub use fleet::Fleet;
pub use inventory::{HostSpec, Inventory};
pub use targets::{LOCAL, Pattern, Selection, expand};

/// How many hosts a block runs on at once when `--forks` does not say.
pub const DEFAULT_FORKS: usize = 10;

/// How a run reaches remote hosts, as the command line says.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    pub inventory: Inventory,
    /// Where blocks without `on=` run (`--hosts`); `None`: this machine.
    pub hosts: Option<Pattern>,
    /// Only these hosts, whatever a block says (`--limit`).
    pub limit: Option<Pattern>,
    /// Hosts a block runs on at once.
    pub forks: usize,
    /// An ssh configuration file to use instead of the user's (`-F`).
    pub ssh_config: Option<PathBuf>,
    /// Forward the ssh agent to the hosts (off unless asked).
    pub forward_agent: bool,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            inventory: Inventory::default(),
            hosts: None,
            limit: None,
            forks: DEFAULT_FORKS,
            ssh_config: None,
            forward_agent: false,
        }
    }
}

impl FleetOptions {
    /// Whether a block without `on=` runs on remote hosts.
    pub fn has_default_hosts(&self) -> bool {
        self.hosts.as_ref().is_some_and(|p| !p.is_local())
    }
}
