//! Placeholders: the values a command's `<release-tag>`-style tokens take,
//! asked once per run and put into the command before it runs.

use std::collections::HashMap;

use super::Run;
use crate::doc::Step;
use crate::error::Result;
use crate::operator::Reply;

/// A command with its placeholders filled in, and each token with its value
/// as the record may show it and whether the answers file gave it (the
/// operator typed it otherwise).
pub(super) type Filled = (String, Vec<(String, String, bool)>);

/// Placeholder values given so far in a run, by token, each with whether
/// the answers file gave it.
#[derive(Debug, Default)]
pub(super) struct Fills {
    values: HashMap<String, (String, bool)>,
}

impl Run<'_> {
    /// `script` with the placeholders of `step` filled in: from values given
    /// earlier in the run, else the operator (or the answers file); and each
    /// token filled with the value as the record may show it.
    /// `Ok(Err(token))` names the first one nobody gave a value for. Values
    /// of secret placeholders become secrets of the run.
    pub(super) fn fill_placeholders(
        &mut self,
        step: &Step,
        script: &str,
    ) -> Result<std::result::Result<Filled, String>> {
        let mut filled = script.to_string();
        let mut given = Vec::new();
        for &child in &step.children {
            let Some(p) = self.book.steps[child].placeholder().cloned() else {
                continue;
            };
            if !p.is_in(&filled) {
                continue;
            }
            // `--secret` and `[secrets] names` too, beyond the placeholder's own name.
            let secret = p.secret || self.secrets.is_secret(&p.name);
            let (value, in_file) = match self.fills.values.get(&p.token) {
                Some(v) => v.clone(),
                None => match self.operator.placeholder(&p, secret)? {
                    Reply::Value(v) => (v, false),
                    Reply::FromFile(v) => (v, true),
                    _ => return Ok(Err(p.token)),
                },
            };
            if secret {
                self.secrets.add(&value);
            }
            filled = p.fill(&filled, &value);
            // As the record shows it: a secret's value never.
            let shown = if secret {
                "•••".to_string()
            } else {
                self.secrets.redact(&value)
            };
            given.push((p.token.clone(), shown, in_file));
            self.fills.values.insert(p.token, (value, in_file));
        }
        Ok(Ok((filled, given)))
    }
}
