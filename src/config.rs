//! `runsheet.toml`: settings found from the runbook's directory upward, or
//! in the user's config directory.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::doc::SectionRules;
use crate::doc::decide::ChoiceWords;
use crate::error::{Error, Result};
use crate::exec::runner::{self, Runners};
use crate::source::Lines;

/// The file name runsheet looks for.
pub const FILE_NAME: &str = "runsheet.toml";

/// Settings that change how documents are read and run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Fence language → command that runs a block of it, e.g.
    /// `sql = "psql \"$DATABASE_URL\" -f {file}"`. `{file}` is the block's
    /// file; without it the file is appended.
    #[serde(default)]
    pub runners: Runners,
    #[serde(default)]
    pub secrets: SecretNames,
    /// `[contingency]`: which sections run only when called for
    /// (`sections = ["Plan B*"]`) and which are the main path whatever
    /// their headings say (`main = ["Rollback readiness"]`).
    #[serde(default)]
    pub contingency: SectionRules,
    /// `[choices]`: options that pass or fail (`fail = ["Hold"]`), beyond
    /// the built-in `No`, `FAIL`, `NO-GO` and the like.
    #[serde(default)]
    pub choices: ChoiceWords,
    #[serde(default)]
    pub diff: DiffSettings,
}

/// `[secrets]`: more variable names whose values are secrets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretNames {
    /// Names or `*` patterns, e.g. `["*_DSN", "STRIPE_*"]`.
    #[serde(default)]
    pub names: Vec<String>,
}

/// `[diff]`: what `runsheet diff` treats as noise.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffSettings {
    /// Regular expressions whose matches in outputs, answers and notes are
    /// masked before comparing, like `--ignore`.
    #[serde(default)]
    pub ignore: Vec<String>,
}

/// The file `--config` names, for the whole process.
static GIVEN: OnceLock<PathBuf> = OnceLock::new();

/// Reads `path` instead of the runsheet.toml found from the runbook (`--config`).
pub fn use_file(path: &Path) -> Result<()> {
    if !path.is_file() {
        return Err(Error::usage(format!(
            "--config {}: no such file; give the path of a runsheet.toml",
            path.display()
        )));
    }
    let _ = GIVEN.set(path.to_path_buf());
    Ok(())
}

/// The runbook's own runsheet.toml: the one `--config` gives, else the
/// first found in the runbook's directory and then each directory above
/// it, up to the root of its git checkout (a directory holding `.git`) or
/// of the file system — as cargo and just look for theirs.
pub fn project_file(runbook: &Path) -> Option<PathBuf> {
    if let Some(given) = GIVEN.get() {
        return Some(given.clone());
    }
    let dir = runbook
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = std::path::absolute(dir).ok()?;
    for dir in dir.ancestors() {
        let file = dir.join(FILE_NAME);
        if file.is_file() {
            return Some(file);
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

impl Config {
    /// The user's config (`$XDG_CONFIG_HOME/runsheet/runsheet.toml` or
    /// `~/.config/runsheet/runsheet.toml`), then the runbook's own (see
    /// `project_file`), which wins where both set something.
    pub fn load(runbook: &Path) -> Result<Config> {
        let mut config = Config::default();
        for path in user_config().into_iter().chain(project_file(runbook)) {
            if path.is_file() {
                let found = Config::read(&path)?;
                config.runners.extend(found.runners);
                config.secrets.names.extend(found.secrets.names);
                config.contingency.extend(found.contingency);
                // The file beside the runbook is read last: its words go first.
                config.choices = found.choices.then(&config.choices);
                config.diff.ignore.extend(found.diff.ignore);
            }
        }
        config.runners = runner::configured(config.runners);
        Ok(config)
    }

    fn read(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.into(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let (line, column) = Lines::new(&text).position(&text, s.start);
                    format!(":{line}:{column}")
                })
                .unwrap_or_default();
            Error::usage(format!(
                "{}{at}: {}; runsheet.toml holds [runners] (e.g. sql = \"psql -f {{file}}\"), [secrets] (names = [\"*_DSN\"]), [contingency] (sections = [\"Plan B*\"], main = [\"Rollback readiness\"]), [choices] (fail = [\"Hold\"]) and [diff] (ignore = [\"build [0-9]+\"])",
                path.display(),
                e.message()
            ))
        })
    }
}

fn user_config() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("runsheet").join(FILE_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runbooks_own_file_is_looked_for_upward_to_the_checkout_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        let deep = root.join("ops").join("db");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir(root.join(".git")).unwrap();
        let runbook = deep.join("migrate.md");
        assert_eq!(project_file(&runbook), None);
        std::fs::write(dir.path().join(FILE_NAME), "").unwrap();
        assert_eq!(
            project_file(&runbook),
            None,
            "looked past the checkout root"
        );
        std::fs::write(root.join(FILE_NAME), "").unwrap();
        assert_eq!(project_file(&runbook), Some(root.join(FILE_NAME)));
        std::fs::write(deep.join(FILE_NAME), "").unwrap();
        assert_eq!(project_file(&runbook), Some(deep.join(FILE_NAME)));
    }

    #[test]
    fn runners_beside_the_runbook_and_errors_with_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let runbook = dir.path().join("deploy.md");
        std::fs::write(
            dir.path().join(FILE_NAME),
            "[runners]\nSQL = \"psql -f {file}\"\nempty = \"\"\n",
        )
        .unwrap();
        let config = Config::load(&runbook).unwrap();
        assert_eq!(
            config.runners.get("sql").map(String::as_str),
            Some("psql -f {file}")
        );
        assert!(!config.runners.contains_key("empty"));
        std::fs::write(
            dir.path().join(FILE_NAME),
            "[secrets]\nnames = [\"*_DSN\"]\n",
        )
        .unwrap();
        assert_eq!(Config::load(&runbook).unwrap().secrets.names, vec!["*_DSN"]);
        std::fs::write(
            dir.path().join(FILE_NAME),
            "[diff]\nignore = [\"request id [0-9]+\"]\n",
        )
        .unwrap();
        assert_eq!(
            Config::load(&runbook).unwrap().diff.ignore,
            vec!["request id [0-9]+"]
        );
        std::fs::write(dir.path().join(FILE_NAME), "[runners]\nsql = 1\n").unwrap();
        let err = Config::load(&runbook).unwrap_err().to_string();
        assert!(err.contains("runsheet.toml:2:7"), "{err}");
        std::fs::write(dir.path().join(FILE_NAME), "[runners]\n[other]\n").unwrap();
        let err = Config::load(&runbook).unwrap_err().to_string();
        assert!(
            err.contains("runsheet.toml:2:2: unknown field `other`"),
            "{err}"
        );
    }
}
