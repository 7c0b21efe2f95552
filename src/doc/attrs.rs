//! Fence info strings: the language word and the `{key=value ...}` attributes after it.

use std::time::Duration;

use serde::Serialize;

/// What to do when a command fails, as set by `on_fail=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFail {
    Stop,
    Continue,
    Ask,
}

/// The attributes of one fence, parsed once into typed values.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Attrs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
    pub timeout: Option<Duration>,
    #[serde(skip_serializing_if = "is_zero")]
    pub retries: u32,
    #[serde(skip_serializing_if = "is_false")]
    pub skip: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub manual: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub confirm: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect_exit: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_fail: Option<OnFail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub danger: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
    /// For a `manual` block: how long doing it takes; a run counts it down,
    /// and an unattended run waits it out too.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
    pub wait: Option<Duration>,
    /// The hosts it runs on: `web-[1:3],!web-2`, a group, `local`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
    /// On a fleet: this many hosts (or this share of them) at a time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<Share>,
    /// On a fleet: the run stops when more hosts than this fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_fail: Option<Share>,
}

/// A number of hosts, or a share of them: `serial=5`, `max_fail=10%`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Share {
    Hosts(u32),
    Percent(u32),
}

impl Share {
    /// `5` or `25%`.
    pub fn parse(text: &str) -> Result<Share, String> {
        let (number, percent) = match text.strip_suffix('%') {
            Some(n) => (n, true),
            None => (text, false),
        };
        let n: u32 = number
            .parse()
            .map_err(|_| format!("`{text}` is not a number of hosts (5) or a share (25%)"))?;
        if percent && n > 100 {
            return Err(format!("`{text}` is more than all the hosts"));
        }
        Ok(if percent {
            Share::Percent(n)
        } else {
            Share::Hosts(n)
        })
    }

    /// How many of `total` hosts: a share rounds down.
    pub fn of(self, total: usize) -> usize {
        match self {
            Share::Hosts(n) => n as usize,
            Share::Percent(p) => total * p as usize / 100,
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
fn is_false(b: &bool) -> bool {
    !*b
}
fn secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_f64(d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// A problem in an info string, at a byte offset inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrError {
    pub offset: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// The attribute keys runsheet knows, for the "did you mean" hint.
pub const KEYS: &[&str] = &[
    "name",
    "timeout",
    "retries",
    "skip",
    "manual",
    "confirm",
    "expect",
    "expect_exit",
    "on_fail",
    "danger",
    "cwd",
    "runner",
    "wait",
    "on",
    "serial",
    "max_fail",
];

/// Splits an info string into its language and attributes.
///
/// Only what is inside `{...}` is runsheet's: other words after the language
/// (`title="app.js"`) belong to other tools and are left alone.
pub fn parse_info(info: &str) -> Result<(String, Attrs), AttrError> {
    let trimmed = info.trim_start();
    let lang_end = trimmed
        .find(|c: char| c.is_whitespace() || c == '{')
        .unwrap_or(trimmed.len());
    let lang = trimmed[..lang_end].to_ascii_lowercase();
    let mut attrs = Attrs::default();
    let Some(open) = info.find('{') else {
        return Ok((lang, attrs));
    };
    let Some(close_rel) = info[open..].rfind('}') else {
        return Err(AttrError {
            offset: open,
            message: "attribute list is not closed".into(),
            hint: Some("close it with `}`, as in ```bash {name=backup timeout=10m}".into()),
        });
    };
    let body_start = open + 1;
    let body = &info[body_start..open + close_rel];
    for (offset, key, value) in tokens(body).map_err(|(at, message)| AttrError {
        offset: body_start + at,
        message,
        hint: None,
    })? {
        apply(&mut attrs, key, value).map_err(|(message, hint)| AttrError {
            offset: body_start + offset,
            message,
            hint,
        })?;
    }
    Ok((lang, attrs))
}

type Token<'a> = (usize, &'a str, Option<String>);

fn tokens(body: &str) -> Result<Vec<Token<'_>>, (usize, String)> {
    let bytes = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() || bytes[i] == b',' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !matches!(bytes[i], b'=' | b',') && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        let key = &body[start..i];
        let key = key.strip_prefix('.').unwrap_or(key);
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            let (value, next) = value_at(body, i).map_err(|m| (start, m))?;
            out.push((start, key, Some(value)));
            i = next;
        } else {
            out.push((start, key, None));
        }
    }
    Ok(out)
}

fn value_at(body: &str, at: usize) -> Result<(String, usize), String> {
    let rest = &body[at..];
    match rest.chars().next() {
        Some(q @ ('"' | '\'')) => {
            let mut value = String::new();
            let mut chars = rest.char_indices().skip(1);
            while let Some((i, c)) = chars.next() {
                if c == q {
                    return Ok((value, at + i + 1));
                }
                if c == '\\' {
                    if let Some((_, n)) = chars.next() {
                        value.push(n);
                    }
                } else {
                    value.push(c);
                }
            }
            Err(format!("quoted value is not closed (missing {q})"))
        }
        _ => {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == ',')
                .unwrap_or(rest.len());
            Ok((rest[..end].to_string(), at + end))
        }
    }
}

fn apply(
    attrs: &mut Attrs,
    key: &str,
    value: Option<String>,
) -> Result<(), (String, Option<String>)> {
    let need = |v: Option<String>| {
        v.ok_or_else(|| (format!("`{key}` needs a value, as in {key}=..."), None))
    };
    match key {
        "name" => attrs.name = Some(need(value)?),
        "timeout" => {
            attrs.timeout = Some(
                duration(&need(value)?)
                    .map_err(|m| (m, Some("write it as 30s, 10m, 1h or 500ms".into())))?,
            )
        }
        "retries" => {
            let v = need(value)?;
            attrs.retries = v
                .parse()
                .map_err(|_| (format!("`retries={v}` is not a whole number"), None))?;
        }
        "skip" => attrs.skip = flag(key, value)?,
        "manual" => attrs.manual = flag(key, value)?,
        "confirm" => attrs.confirm = flag(key, value)?,
        "danger" => attrs.danger = Some(flag(key, value)?),
        "expect" => {
            let v = need(value)?;
            if let Some(pattern) = regex_of(&v) {
                regex::Regex::new(pattern).map_err(|e| {
                    (
                        format!("`expect=/{pattern}/` is not a valid regex: {e}"),
                        None,
                    )
                })?;
            }
            attrs.expect = Some(v);
        }
        "expect_exit" => {
            let v = need(value)?;
            attrs.expect_exit = Some(
                v.parse()
                    .map_err(|_| (format!("`expect_exit={v}` is not an exit code"), None))?,
            );
        }
        "on_fail" => {
            let v = need(value)?;
            attrs.on_fail = Some(match v.as_str() {
                "stop" => OnFail::Stop,
                "continue" => OnFail::Continue,
                "ask" => OnFail::Ask,
                _ => {
                    return Err((
                        format!("`on_fail={v}` is not one of stop, continue, ask"),
                        None,
                    ));
                }
            });
        }
        "cwd" => attrs.cwd = Some(need(value)?),
        "wait" => {
            attrs.wait = Some(
                duration(&need(value)?)
                    .map_err(|m| (m, Some("write it as 30s, 10m, 1h or 500ms".into())))?,
            )
        }
        "runner" => attrs.runner = Some(need(value)?),
        "on" => {
            let v = need(value)?;
            crate::exec::ssh::Pattern::parse(&v).map_err(|m| {
                let hint =
                    "write hosts as on=\"web-[1:3],db-1,!web-2\" (quoted when it has commas)";
                (format!("`on={v}`: {m}"), Some(hint.into()))
            })?;
            attrs.on = Some(v);
        }
        "serial" | "max_fail" => {
            let v = need(value)?;
            let share = Share::parse(&v).map_err(|m| (format!("`{key}={v}`: {m}"), None))?;
            if key == "serial" {
                if matches!(share, Share::Hosts(0) | Share::Percent(0)) {
                    return Err((format!("`serial={v}` runs no host at all"), None));
                }
                attrs.serial = Some(share);
            } else {
                attrs.max_fail = Some(share);
            }
        }
        _ => {
            let hint = KEYS
                .iter()
                .find(|k| close_to(k, key))
                .map(|k| format!("did you mean `{k}`?"))
                .or_else(|| Some(format!("known attributes: {}", KEYS.join(", "))));
            return Err((format!("unknown attribute `{key}`"), hint));
        }
    }
    Ok(())
}

fn flag(key: &str, value: Option<String>) -> Result<bool, (String, Option<String>)> {
    match value.as_deref() {
        None | Some("true" | "yes" | "1") => Ok(true),
        Some("false" | "no" | "0") => Ok(false),
        Some(v) => Err((format!("`{key}={v}` is not true or false"), None)),
    }
}

fn regex_of(expect: &str) -> Option<&str> {
    expect
        .strip_prefix('/')?
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
}

/// Checks an `expect=` value against a block's output: a substring, or `/regex/`.
pub fn expectation_met(expect: &str, output: &str) -> Result<(), String> {
    let found = match regex_of(expect) {
        Some(pattern) => regex::Regex::new(&format!("(?m){pattern}"))
            .map_err(|e| format!("expect=/{pattern}/ is not a valid regex: {e}"))?
            .is_match(output),
        None => output.contains(expect),
    };
    if found {
        Ok(())
    } else {
        Err(format!(
            "the output does not contain the expected `{expect}`"
        ))
    }
}

/// Parses `30s`, `10m`, `1h`, `500ms` or a plain number of seconds.
pub fn duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration"))?;
    let seconds = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{text}` has an unknown unit `{unit}`")),
    };
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(format!("`{text}` must be a positive duration"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is too long a duration"))
}

fn close_to(known: &str, typed: &str) -> bool {
    let typed = typed.to_ascii_lowercase().replace('-', "_");
    let shared = known
        .chars()
        .zip(typed.chars())
        .take_while(|(a, b)| a == b)
        .count();
    strsim::damerau_levenshtein(known, &typed) <= 2
        || shared >= 4
        || (known.len() > 3 && (known.starts_with(&typed) || typed.starts_with(known)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_and_attributes() {
        let (lang, a) = parse_info(
            "bash {name=backup timeout=10m retries=2 skip on_fail=continue expect=\"ok done\"}",
        )
        .unwrap();
        assert_eq!(lang, "bash");
        assert_eq!(a.name.as_deref(), Some("backup"));
        assert_eq!(a.timeout, Some(Duration::from_secs(600)));
        assert_eq!(a.retries, 2);
        assert!(a.skip);
        assert_eq!(a.on_fail, Some(OnFail::Continue));
        assert_eq!(a.expect.as_deref(), Some("ok done"));
    }

    #[test]
    fn words_outside_braces_belong_to_other_tools() {
        let (lang, a) = parse_info("js title=\"app.js\"").unwrap();
        assert_eq!(lang, "js");
        assert_eq!(a, Attrs::default());
        assert_eq!(parse_info("Bash{manual}").unwrap().0, "bash");
    }

    #[test]
    fn unknown_and_bad_values_are_errors_with_offsets() {
        let e = parse_info("bash {nmae=x}").unwrap_err();
        assert_eq!(e.message, "unknown attribute `nmae`");
        assert_eq!(e.offset, 6);
        let e = parse_info("bash {timeout=ten}").unwrap_err();
        assert!(e.message.contains("not a duration"), "{}", e.message);
        let e = parse_info("bash {on_fail=maybe}").unwrap_err();
        assert!(e.message.contains("stop, continue, ask"));
        let e = parse_info("bash {expect=\"x}").unwrap_err();
        assert!(e.message.contains("not closed"));
        assert!(parse_info("bash {name=x").is_err());
        assert_eq!(
            parse_info("bash {timeout_sec=1}")
                .unwrap_err()
                .hint
                .as_deref(),
            Some("did you mean `timeout`?")
        );
        let hint = |info: &str| parse_info(info).unwrap_err().hint;
        assert_eq!(
            hint("bash {nmae=x}").as_deref(),
            Some("did you mean `name`?")
        );
        assert_eq!(
            hint("bash {on-fail=stop}").as_deref(),
            Some("did you mean `on_fail`?")
        );
        assert_eq!(
            hint("bash {retry=2}").as_deref(),
            Some("did you mean `retries`?")
        );
    }

    #[test]
    fn expectations_are_substrings_or_regexes() {
        assert!(expectation_met("200 OK", "HTTP/1.1 200 OK").is_ok());
        assert!(expectation_met("/^v[0-9]+$/", "v12").is_ok());
        assert!(expectation_met("/^v[0-9]+$/", "version 12").is_err());
        assert!(
            expectation_met("/^/usr$/", "/usr\n").is_ok(),
            "lines, not the whole output"
        );
        assert!(
            parse_info("bash {expect=/([/}")
                .unwrap_err()
                .message
                .contains("not a valid regex")
        );
    }

    #[test]
    fn hosts_serial_and_max_fail() {
        let (_, a) = parse_info("bash {on=\"web-[1:3],!web-2\" serial=25% max_fail=0}").unwrap();
        assert_eq!(a.on.as_deref(), Some("web-[1:3],!web-2"));
        assert_eq!(a.serial, Some(Share::Percent(25)));
        assert_eq!(a.max_fail, Some(Share::Hosts(0)));
        assert_eq!(Share::Percent(25).of(10), 2);
        let err = |info: &str| parse_info(info).unwrap_err();
        assert!(
            err("bash {on=\"web-[1:3\"}")
                .message
                .contains("without its `]`")
        );
        assert!(err("bash {on=\"local,web-1\"}").hint.is_some());
        assert!(err("bash {serial=0}").message.contains("runs no host"));
        assert!(
            err("bash {max_fail=120%}")
                .message
                .contains("more than all")
        );
        assert!(
            err("bash {serial=some}")
                .message
                .contains("not a number of hosts")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(duration("1h").unwrap(), Duration::from_secs(3600));
        assert!(duration("0").is_err());
        assert!(duration("5y").is_err());
        assert!(duration("99999999999999999999999h").is_err());
    }
}
