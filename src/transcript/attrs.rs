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
    let vars = pairs(m, "vars").into_iter().collect();
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
            secrets: pairs(m, "secret_sha256"),
            lines: m.get("lines").map(str::to_string),
        }),
    })
}

/// The `name=value` pairs of a [list](marker::LISTS) attribute (a run's
/// `vars`, a command's `fills`), comma-separated, each side encoded on its
/// own.
///
/// A transcript written before lists were written so encoded each list
/// once more as a whole, `=` between the sides included: a pair with no
/// `=` as written is one of those, decoded as a whole before it is split.
/// A pair written since always has its `=` as it is, and one written
/// before never does (encoding a list as a whole left no `=` in it), so
/// the two cannot be mistaken for each other, whatever the values hold
/// (`%25`, `%3D` or `,` typed as text included).
pub fn pairs(m: &Marker, key: &str) -> Vec<(String, String)> {
    m.written(key)
        .unwrap_or_default()
        .split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (marker::decode(k), marker::decode(v)),
            None => {
                let once = marker::decode(pair);
                let (k, v) = once.split_once('=').unwrap_or((&once, ""));
                (marker::decode(k), marker::decode(v))
            }
        })
        .collect()
}

/// A command's `fills` and `fills-from-file`. The tokens of
/// `fills-from-file` are encoded as the `fills` beside them are: once, or,
/// in a transcript written before lists were encoded once, twice (see
/// `pairs`).
pub fn fills(m: &Marker) -> (Vec<(String, String)>, Vec<String>) {
    let twice = m.written("fills").is_some_and(|f| !f.contains('='));
    let tokens = m
        .written("fills-from-file")
        .unwrap_or_default()
        .split(',')
        .filter(|item| !item.is_empty())
        .map(|item| {
            let once = marker::decode(item);
            if twice { marker::decode(&once) } else { once }
        })
        .collect();
    (pairs(m, "fills"), tokens)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(words: &str) -> Marker {
        marker::parse_open(&format!("<!--rs:out id=s1 status=done {words}-->")).expect("a marker")
    }

    /// A list written once and the same list written twice read the same,
    /// values holding `%25`, `%3D`, `=` and `,` as text included.
    #[test]
    fn pairs_written_once_or_twice_read_the_same() {
        let values = [
            ("<tag>", "v1.4.0"),
            ("<note>", "a,b=c"),
            ("<pct>", "%25"),
            ("<enc>", "%3D%2C %"),
            ("<empty>", ""),
            ("[SHA]", "a--"),
        ];
        let once: Vec<String> = values
            .iter()
            .map(|(k, v)| format!("{}={}", marker::item(k), marker::item(v)))
            .collect();
        let once = once.join(",");
        let twice = marker::encode(&once);
        assert!(!twice.contains('='), "{twice}");
        let want: Vec<(String, String)> = values
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        for list in [&once, &twice] {
            let m = marker(&format!("fills={list}"));
            assert_eq!(pairs(&m, "fills"), want, "{list}");
        }
        let tokens = format!("{},{}", marker::item("<pct>"), marker::item("[SHA]"));
        for (list, from_file) in [(&once, tokens.clone()), (&twice, marker::encode(&tokens))] {
            let m = marker(&format!("fills={list} fills-from-file={from_file}"));
            assert_eq!(fills(&m).1, ["<pct>", "[SHA]"], "{from_file}");
        }
    }
}
