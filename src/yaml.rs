//! YAML, read in one place: answers files and host inventories.

use serde::de::DeserializeOwned;

pub use serde_norway::{Mapping, Value};

/// What is wrong in a YAML text, and on which line when the parser knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Reads `text` (YAML, or JSON, which is YAML too) as a `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_norway::from_str(text).map_err(|e| YamlError {
        line: e.location().map(|l| l.line()),
        message: e.to_string(),
    })
}
