//! Values made from a secret: `{{ token | upper }}`, `{{ "Bearer " ~ token }}`,
//! `{{ password[2:] }}` hold no copy of the secret as it was given, so masking
//! the given value misses them. A template with secrets is rendered a second
//! time with a stand-in for each secret value; every value written that comes
//! out different was made from a secret, and is masked as one.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};

use super::engine::Pieces;
use super::vars::Var;
use crate::diagnostic::{Diagnostic, Severity};
use crate::secrets::Secrets;

/// Shorter values made from a secret are not masked, as shorter secrets are
/// not (`{{ token[:4] }}` shows four characters of it): masking every place
/// a few characters occur would mangle the output.
const MIN_LEN: usize = 6;

/// How long lining up the two renders' values may take before the values
/// past that point are compared one for one instead.
const DEADLINE: Duration = Duration::from_secs(1);

/// How much of a secret its stand-in changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StandIn {
    /// Every letter and digit.
    Whole,
    /// Those of its second half only, for a template that the first fails:
    /// one that checks how a secret starts (`token[:4] == "ghp_"`) takes the
    /// same path with it, and what is made from the whole secret still
    /// comes out different.
    Tail,
}

/// A stand-in for a secret string: as long, with the same kinds of
/// character where they are (so `|length`, `|int` and tests of emptiness
/// take the same path), every letter and digit another (past the first
/// half, for `StandIn::Tail`).
pub fn stand_in(secret: &str, how: StandIn) -> String {
    let kept = match how {
        StandIn::Whole => 0,
        StandIn::Tail => secret.chars().count().div_ceil(2),
    };
    secret
        .chars()
        .enumerate()
        .map(|(i, c)| match c {
            _ if i < kept => c,
            'a'..='y' | 'A'..='Y' | '0'..='8' => char::from(c as u8 + 1),
            'z' => 'a',
            'Z' => 'A',
            '9' => '0',
            other => other,
        })
        .collect()
}

/// `value` with a stand-in for every string and number in it.
fn stand_in_all(value: &Value, how: StandIn) -> Value {
    match value {
        Value::String(s) => Value::String(stand_in(s, how)),
        Value::Number(n) => {
            serde_json::from_str(&stand_in(&n.to_string(), how)).unwrap_or(Value::Null)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| stand_in_all(v, how)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), stand_in_all(v, how)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A variable's value for the second render: its secrets replaced (the
/// whole value, or what sits under a secret-named key in it).
pub fn var_value<'v>(var: &'v Var, secrets: &Secrets, how: StandIn) -> Cow<'v, Value> {
    if var.secret {
        Cow::Owned(stand_in_all(&var.value, how))
    } else if var.shown.is_some() {
        Cow::Owned(super::vars::under_secret_keys(&var.value, secrets, &|v| {
            stand_in_all(v, how)
        }))
    } else {
        Cow::Borrowed(&var.value)
    }
}

/// What `env.NAME` gives in the second render, for the names whose values
/// hold a secret (`read`, as `super::env_secrets` found them): a secret
/// name's value replaced whole, another's tokens replaced where they are.
pub fn env_values(
    read: &BTreeMap<String, String>,
    secrets: &Secrets,
    how: StandIn,
) -> BTreeMap<String, String> {
    read.iter()
        .map(|(name, value)| {
            let other = if secrets.is_secret(name) {
                stand_in(value, how)
            } else {
                let mut other = value.clone();
                for token in crate::secrets::shaped_tokens(value) {
                    other = other.replace(token, &stand_in(token, how));
                }
                other
            };
            (name.clone(), other)
        })
        .collect()
}

/// The warning when the render with stand-ins fails: values made from a
/// secret cannot be told from the others, and are shown. What failed is not
/// said: the message of that render could quote a stand-in, which gives
/// the secret back.
pub fn untraced(source: &crate::source::Source) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        path: source.display_path(),
        line: 1,
        column: 1,
        message: "values made from a secret, such as `{{ token | upper }}`, are not masked: \
                  the template fails with other values for its secrets, so runsheet cannot \
                  tell which values were made from them (the secrets themselves are masked)"
            .into(),
        hint: Some(
            "the template tests a secret's exact text (`{% if token == ... %}`): check \
             the secret outside the template, or keep values made from it out of the runbook"
                .into(),
        ),
        excerpt: String::new(),
        caret: 0,
    }
}

/// The values `real` wrote, as long as `MIN_LEN` or longer, that are part
/// of what `StandIn::Tail` keeps of one of `secrets` (a slice of its first
/// half): the same in both renders, so `values` cannot tell them.
pub fn parts(real: &Pieces, secrets: &[String]) -> Vec<String> {
    let kept: Vec<String> = secrets
        .iter()
        .map(|s| s.chars().take(s.chars().count().div_ceil(2)).collect())
        .collect();
    let mut out: Vec<String> = Vec::new();
    for piece in (0..real.len()).filter_map(|i| real.get(i)) {
        let text = piece.text;
        if text.chars().count() >= MIN_LEN
            && kept.iter().any(|k| k.contains(text))
            && !secrets.iter().any(|s| s == text)
            && !out.iter().any(|o| o == text)
        {
            out.push(text.to_string());
        }
    }
    out
}

/// The values `real` wrote that the render with stand-ins (`other`) did not
/// write alike: the ones made from a secret. Those shorter than `MIN_LEN`
/// and those in `known` are left out.
pub fn values(real: &Pieces, other: &Pieces, known: &[String]) -> Vec<String> {
    let texts = |p: &Pieces| -> Vec<String> {
        (0..p.len())
            .filter_map(|i| p.get(i).map(|piece| piece.text.to_string()))
            .collect()
    };
    let (a, b) = (texts(real), texts(other));
    let mut differ: Vec<&str> = Vec::new();
    if a.len() == b.len() {
        // The same path through the template, as a stand-in takes: value
        // for value.
        differ.extend(
            a.iter()
                .zip(&b)
                .filter(|(x, y)| x != y)
                .map(|(x, _)| x.as_str()),
        );
    } else {
        // A test of a secret's own text took another path: the values
        // lined up first, and those of `real` not matched are its.
        let ops =
            capture_diff_slices_deadline(Algorithm::Myers, &a, &b, Some(Instant::now() + DEADLINE));
        for op in ops {
            if !matches!(op, DiffOp::Equal { .. }) {
                differ.extend(a[op.old_range()].iter().map(String::as_str));
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for text in differ {
        if text.chars().count() >= MIN_LEN
            && !known.iter().any(|k| k == text)
            && !out.iter().any(|o| o == text)
        {
            out.push(text.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stand_in_keeps_the_length_and_kinds_of_character() {
        assert_eq!(stand_in("Az9-tok_zz", StandIn::Whole), "Ba0-upl_aa");
        assert_eq!(stand_in("pässwörd", StandIn::Whole), "qättxöse");
        let s = stand_in("hunter2", StandIn::Whole);
        assert_eq!(s.len(), "hunter2".len());
        assert_ne!(s, "hunter2");
    }

    #[test]
    fn a_number_gets_another_number() {
        let v = stand_in_all(
            &serde_json::json!({"pin": 123456, "f": 1.5}),
            StandIn::Whole,
        );
        assert_eq!(v, serde_json::json!({"pin": 234567, "f": 2.6}));
    }

    #[test]
    fn a_tail_stand_in_keeps_the_first_half() {
        assert_eq!(stand_in("ghp_abcd", StandIn::Tail), "ghp_bcde");
        assert_eq!(stand_in("AKIA123", StandIn::Tail), "AKIA234");
    }
}
