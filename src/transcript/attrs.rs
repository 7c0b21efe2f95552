//! What marker attributes record: the run summary, a step's outcome, and
//! the format version, which this runsheet must be able to read.

use std::path::Path;

use super::FORMAT_VERSION;
use super::marker::{self, Marker};
use crate::error::{Error, Result};
use crate::record::{Outcome, Reason, RunInfo, Status, TemplateInfo};

/// A run summary written in a newer format than this runsheet reads is
/// refused as such, rather than misread as damaged.
pub fn check_version(path: &Path, m: &Marker) -> Result<()> {
    match m.get("v").and_then(|v| v.parse::<u32>().ok()) {
        Some(v) if v > FORMAT_VERSION => Err(Error::Transcript {
            path: path.into(),
            message: format!(
                "this transcript is in format version {v}, written by a newer runsheet; this one \
                 reads version {FORMAT_VERSION}: upgrade runsheet to read it"
            ),
        }),
        _ => Ok(()),
    }
}

/// The run summary a `run` marker holds.
pub fn run_info(m: &Marker) -> std::result::Result<RunInfo, String> {
    let get = |k: &str| m.get(k).unwrap_or_default().to_string();
    let vars = pairs(m.get("vars")).into_iter().collect();
    Ok(RunInfo {
        id: get("id"),
        source: get("source"),
        sha256: get("sha256"),
        operator: get("operator"),
        started: get("started"),
        finished: m.get("finished").map(str::to_string),
        resumed: m.get("resumed").map(str::to_string),
        state: m
            .get("state")
            .unwrap_or("running")
            .parse()
            .map_err(|e| format!("the run summary's state: {e}"))?,
        mode: m
            .get("mode")
            .unwrap_or("interactive")
            .parse()
            .map_err(|e| format!("the run summary's mode: {e}"))?,
        env: m.get("env").map(str::to_string),
        vars,
        template: m.get("template").map(|path| TemplateInfo {
            path: path.to_string(),
            sha256: get("template_sha256"),
            env_file: m.get("env_file").map(str::to_string),
            env_sha256: m.get("env_sha256").map(str::to_string),
            rendered: get("rendered"),
            secret_key: m.get("secret_key").map(str::to_string),
            secrets: pairs(m.get("secret_sha256")),
            lines: m.get("lines").map(str::to_string),
        }),
    })
}

/// `name=value` pairs, comma-separated, each side encoded on its own (a
/// run's `vars`, a command's `fills`).
pub fn pairs(list: Option<&str>) -> Vec<(String, String)> {
    list.unwrap_or_default()
        .split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (marker::decode(k), marker::decode(v))
        })
        .collect()
}

/// Items, comma-separated, each encoded on its own (a command's
/// `fills-from-file`).
pub fn list(list: Option<&str>) -> Vec<String> {
    list.unwrap_or_default()
        .split(',')
        .filter(|item| !item.is_empty())
        .map(marker::decode)
        .collect()
}

/// The outcome an `out`, `task` or `fill` marker records; `None` when it has
/// no id or status.
pub fn outcome(m: &Marker) -> std::result::Result<Option<Outcome>, String> {
    let (Some(id), Some(status)) = (m.get("id"), m.get("status")) else {
        return Ok(None);
    };
    let status: Status = status.parse().map_err(|e| format!("`{id}`: {e}"))?;
    let reasons = reasons(m.get("how"));
    let at = m.get("at").unwrap_or_default().to_string();
    let mut o = Outcome::stamped(id.to_string(), status, at);
    o.exit = m.get("exit").and_then(|e| e.parse().ok());
    o.ms = m.get("ms").and_then(|e| e.parse().ok()).unwrap_or(0);
    o.reasons = reasons;
    Ok(Some(o))
}

/// The `how` words a marker records. A word this runsheet does not know, one
/// a newer runsheet added within the same version, is passed over, as the
/// transcript format promises.
pub fn reasons(how: Option<&str>) -> Vec<Reason> {
    how.unwrap_or_default()
        .split(',')
        .filter_map(|w| w.parse().ok())
        .collect()
}
