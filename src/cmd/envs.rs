//! `runsheet envs`: the environments a templated runbook can be rendered for.

use std::fmt::Write as _;
use std::path::Path;

use super::print_out;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::secrets::{MASK, Secrets};
use crate::template::vars::{conflict, load_file, masked_value};
use crate::template::{display_value, environments};

/// Lists each environment of `file` and what it sets, secrets masked.
pub fn envs(file: &Path) -> Result<i32> {
    if !file.is_file() {
        return Err(Error::Read {
            path: file.into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let config = Config::load(file)?;
    let secrets = Secrets::new(&config.secrets.names);
    let found = environments(file);
    if found.is_empty() {
        return Err(Error::usage(format!(
            "{} has no environments: put envs/NAME.toml (or .yaml) beside it, or in runbooks/envs/",
            file.display()
        )));
    }
    let mut out = String::new();
    let mut conflicts = Vec::new();
    for (name, files) in found {
        let [path] = files.as_slice() else {
            // Shown, with every file, and refused once the rest is listed.
            let shown: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
            let _ = writeln!(
                out,
                "{name}  ({}: refused, more than one file)",
                shown.join(", ")
            );
            conflicts.push(conflict(&name, &files));
            continue;
        };
        let (vars, _) = load_file(path)?;
        let _ = writeln!(out, "{name}  ({})", path.display());
        for (key, value) in vars {
            let shown = if secrets.is_secret(&key) {
                MASK.to_string()
            } else {
                display_value(masked_value(&value, &secrets).as_ref().unwrap_or(&value))
            };
            let _ = writeln!(out, "  {key} = {shown}");
        }
    }
    print_out(out.as_bytes());
    if !conflicts.is_empty() {
        return Err(Error::usage(conflicts.join("; ")));
    }
    Ok(0)
}
