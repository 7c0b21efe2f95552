//! Targets a document states for a value to fill in (`(target: < 500ms)`,
//! a table's Target column), and whether a typed value meets one.

use std::fmt;

use serde::Serialize;

/// How a value is compared with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

/// What a number filled into a blank should be, as the document says.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub op: Op,
    pub value: f64,
    /// The unit as written (`ms`, `%`, `min`), if any.
    pub unit: Option<String>,
    /// The target as the document writes it: `< 500ms`.
    pub text: String,
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Comparison words and signs, longest first; `None` where a number alone
/// means equal.
const OPS: &[(&str, Op)] = &[
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("==", Op::Eq),
    ("≤", Op::Le),
    ("≥", Op::Ge),
    ("<", Op::Lt),
    (">", Op::Gt),
    ("=", Op::Eq),
    ("at most", Op::Le),
    ("at least", Op::Ge),
    ("less than", Op::Lt),
    ("more than", Op::Gt),
    ("under", Op::Lt),
    ("below", Op::Lt),
    ("over", Op::Gt),
    ("above", Op::Gt),
];

/// `(target: < 500ms)`, `target 0`, `Target: > 99%` in a field's text.
pub fn in_text(text: &str) -> Option<Target> {
    let lower = text.to_lowercase();
    // Lower-casing keeps these offsets only for ASCII; find the word there.
    if lower.len() != text.len() {
        return None;
    }
    let at = lower
        .match_indices("target")
        .find(|(i, _)| *i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphanumeric())?
        .0;
    let rest = text[at + "target".len()..].trim_start();
    let rest = rest
        .strip_prefix(':')
        .or_else(|| rest.strip_prefix('='))
        .or_else(|| rest.strip_prefix("is "))
        .unwrap_or(rest);
    let end = rest.find([')', ';', ',', '|', '\n']).unwrap_or(rest.len());
    parse(&rest[..end])
}

/// A target written on its own: `< 60 min`, `0`, `100%`, `≥ 99.9 %`.
pub fn parse(text: &str) -> Option<Target> {
    let text = text.trim().trim_matches(['*', '_', '`']).trim();
    let lower = text.to_lowercase();
    let (op, rest) = OPS
        .iter()
        .find(|(word, _)| lower.starts_with(word))
        .map_or((Op::Eq, text), |(word, op)| (*op, &text[word.len()..]));
    let (value, unit, used) = quantity(rest)?;
    // Nothing but the number and its unit: `< 2 min (from the start)` is no target.
    if !rest[used..].trim().is_empty() {
        return None;
    }
    Some(Target {
        op,
        value,
        unit,
        text: text.to_string(),
    })
}

/// A number at the start of `text` (after spaces), with the unit right after
/// it: the value, the unit, and how many bytes they took.
pub fn quantity(text: &str) -> Option<(f64, Option<String>, usize)> {
    let start = text.len() - text.trim_start().len();
    let t = &text[start..];
    let num_len = t
        .char_indices()
        .take_while(|&(i, c)| c.is_ascii_digit() || c == '.' || c == ',' || (i == 0 && c == '-'))
        .map(|(i, c)| i + c.len_utf8())
        .last()?;
    let number: String = t[..num_len].chars().filter(|&c| c != ',').collect();
    let value: f64 = number.parse().ok()?;
    if !value.is_finite() {
        return None;
    }
    let after = &t[num_len..];
    let gap = after.len() - after.trim_start().len();
    let unit_len = after[gap..]
        .char_indices()
        .take_while(|&(_, c)| c.is_alphabetic() || c == '%')
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    let unit = (unit_len > 0).then(|| after[gap..gap + unit_len].to_string());
    let used = start + num_len + if unit_len > 0 { gap + unit_len } else { 0 };
    Some((value, unit, used))
}

/// The family a unit belongs to and its size in that family's base unit.
fn scale(unit: &str) -> Option<(&'static str, f64)> {
    let u = unit.to_lowercase();
    Some(match u.as_str() {
        "ms" | "msec" | "millisecond" | "milliseconds" => ("time", 0.001),
        "s" | "sec" | "secs" | "second" | "seconds" => ("time", 1.0),
        "m" | "min" | "mins" | "minute" | "minutes" => ("time", 60.0),
        "h" | "hr" | "hrs" | "hour" | "hours" => ("time", 3600.0),
        "d" | "day" | "days" => ("time", 86_400.0),
        "%" | "percent" | "pct" => ("percent", 1.0),
        "b" | "byte" | "bytes" => ("size", 1.0),
        "kb" => ("size", 1e3),
        "mb" => ("size", 1e6),
        "gb" => ("size", 1e9),
        "tb" => ("size", 1e12),
        "kib" => ("size", 1024.0),
        "mib" => ("size", 1_048_576.0),
        "gib" => ("size", 1_073_741_824.0),
        _ => return None,
    })
}

/// `value` in `unit` expressed in `to`'s unit, when the two can be compared.
fn convert(value: f64, unit: &str, to: &str) -> Option<f64> {
    if unit.eq_ignore_ascii_case(to)
        || unit
            .trim_end_matches('s')
            .eq_ignore_ascii_case(to.trim_end_matches('s'))
    {
        return Some(value);
    }
    let (family, from_scale) = scale(unit)?;
    let (to_family, to_scale) = scale(to)?;
    (family == to_family).then(|| value * from_scale / to_scale)
}

impl Target {
    /// Whether `typed` meets the target: `None` when it is not a number, or
    /// its unit cannot be compared with the target's. A number typed without
    /// a unit is taken in `unit` (the blank's own, `___ ms`), else the target's.
    pub fn met_by(&self, typed: &str, unit: Option<&str>) -> Option<bool> {
        let (value, typed_unit, used) = quantity(typed)?;
        if !typed[used..].trim().is_empty() {
            return None;
        }
        let value = match (typed_unit.as_deref().or(unit), self.unit.as_deref()) {
            (Some(from), Some(to)) => convert(value, from, to)?,
            _ => value,
        };
        let epsilon = 1e-9 * self.value.abs().max(1.0);
        Some(match self.op {
            Op::Lt => value < self.value,
            Op::Le => value <= self.value + epsilon,
            Op::Gt => value > self.value,
            Op::Ge => value >= self.value - epsilon,
            Op::Eq => (value - self.value).abs() <= epsilon,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_in_text() {
        let t = in_text("Latency p95: `____ ms` (target: < 500ms)").unwrap();
        assert_eq!(
            (t.op, t.value, t.unit.as_deref()),
            (Op::Lt, 500.0, Some("ms"))
        );
        assert_eq!(t.text, "< 500ms");
        assert_eq!(in_text("Errors: ____ (target: 0)").unwrap().op, Op::Eq);
        assert_eq!(in_text("Uptime ____ (Target: > 99%)").unwrap().value, 99.0);
        assert_eq!(in_text("target at least 3 pods").unwrap().op, Op::Ge);
        assert!(in_text("Retarget the load balancer: ____").is_none());
        assert!(in_text("(target: the staging cluster)").is_none());
        assert!(parse("< 2 min (from the start)").is_none());
        assert_eq!(parse("≤ 5 min").unwrap().op, Op::Le);
    }

    #[test]
    fn typed_values_against_targets() {
        let t = parse("< 500ms").unwrap();
        assert_eq!(t.met_by("420", None), Some(true));
        assert_eq!(t.met_by("750 ms", None), Some(false));
        assert_eq!(t.met_by("0.4s", None), Some(true));
        assert_eq!(t.met_by("1", Some("s")), Some(false));
        assert_eq!(t.met_by("fast", None), None);
        assert_eq!(t.met_by("3 GB", None), None);
        let zero = parse("0").unwrap();
        assert_eq!(zero.met_by("0", None), Some(true));
        assert_eq!(zero.met_by("2", None), Some(false));
        let pct = parse("> 99%").unwrap();
        assert_eq!(pct.met_by("99.5%", None), Some(true));
        assert_eq!(pct.met_by("98", None), Some(false));
        assert_eq!(
            parse("< 60 min").unwrap().met_by("1 hour", None),
            Some(false)
        );
        assert_eq!(
            parse("< 5 rules").unwrap().met_by("3 rules", None),
            Some(true)
        );
        assert_eq!(parse("100%").unwrap().met_by("1,000", None), Some(false));
    }
}
