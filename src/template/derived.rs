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
use crate::secrets::Secrets;

/// Shorter values made from a secret are not masked, as shorter secrets are
/// not (`{{ token[:4] }}` shows four characters of it): masking every place
/// a few characters occur would mangle the output.
const MIN_LEN: usize = 6;

/// How long lining up the two renders' values may take before the values
/// past that point are compared one for one instead.
const DEADLINE: Duration = Duration::from_secs(1);

/// A stand-in for a secret string: as long, with the same kinds of
/// character where they are (so `|length`, `|int` and tests of emptiness
/// take the same path), every letter and digit another.
pub fn stand_in(secret: &str) -> String {
    secret
        .chars()
        .map(|c| match c {
            'a'..='y' | 'A'..='Y' | '0'..='8' => char::from(c as u8 + 1),
            'z' => 'a',
            'Z' => 'A',
            '9' => '0',
            other => other,
        })
        .collect()
}

/// `value` with a stand-in for every string and number in it.
fn stand_in_all(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(stand_in(s)),
        Value::Number(n) => serde_json::from_str(&stand_in(&n.to_string())).unwrap_or(Value::Null),
        Value::Array(items) => Value::Array(items.iter().map(stand_in_all).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), stand_in_all(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A variable's value for the second render: its secrets replaced (the
/// whole value, or what sits under a secret-named key in it).
pub fn var_value<'v>(var: &'v Var, secrets: &Secrets) -> Cow<'v, Value> {
    if var.secret {
        Cow::Owned(stand_in_all(&var.value))
    } else if var.shown.is_some() {
        Cow::Owned(super::vars::under_secret_keys(
            &var.value,
            secrets,
            &stand_in_all,
        ))
    } else {
        Cow::Borrowed(&var.value)
    }
}

/// What `env.NAME` gives in the second render, for the names whose values
/// hold a secret (`read`, as `super::env_secrets` found them): a secret
/// name's value replaced whole, another's tokens replaced where they are.
pub fn env_values(read: &BTreeMap<String, String>, secrets: &Secrets) -> BTreeMap<String, String> {
    read.iter()
        .map(|(name, value)| {
            let other = if secrets.is_secret(name) {
                stand_in(value)
            } else {
                let mut other = value.clone();
                for token in crate::secrets::shaped_tokens(value) {
                    other = other.replace(token, &stand_in(token));
                }
                other
            };
            (name.clone(), other)
        })
        .collect()
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
        assert_eq!(stand_in("Az9-tok_zz"), "Ba0-upl_aa");
        assert_eq!(stand_in("pässwörd"), "qättxöse");
        let s = stand_in("hunter2");
        assert_eq!(s.len(), "hunter2".len());
        assert_ne!(s, "hunter2");
    }

    #[test]
    fn a_number_gets_another_number() {
        let v = stand_in_all(&serde_json::json!({"pin": 123456, "f": 1.5}));
        assert_eq!(v, serde_json::json!({"pin": 234567, "f": 2.6}));
    }
}
