//! Shell state snapshots: what the runbook changed, turned back into a script.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Variables that belong to bash or to this login, never to the runbook.
fn is_internal(name: &str) -> bool {
    name.starts_with("BASH")
        || name.starts_with("__rs_")
        || name.starts_with("COMP_")
        || matches!(
            name,
            "EUID"
                | "PPID"
                | "UID"
                | "SHLVL"
                | "PWD"
                | "OLDPWD"
                | "_"
                | "PIPESTATUS"
                | "FUNCNAME"
                | "GROUPS"
                | "DIRSTACK"
                | "RANDOM"
                | "SRANDOM"
                | "SECONDS"
                | "LINENO"
                | "HISTCMD"
                | "EPOCHREALTIME"
                | "EPOCHSECONDS"
                | "SHELLOPTS"
                | "OPTIND"
                | "OPTERR"
                | "HOSTNAME"
                | "HOSTTYPE"
                | "MACHTYPE"
                | "OSTYPE"
                | "IFS"
                | "PS4"
                | "COLUMNS"
                | "LINES"
        )
}

/// The sections of a snapshot file, as the driver writes them.
struct Snapshot<'a> {
    variables: BTreeMap<&'a str, (&'a str, &'a str)>,
    functions: &'a str,
    aliases: &'a str,
    options: &'a str,
    umask: &'a str,
    cwd: &'a str,
}

/// The sections of a whole snapshot; `None` when it was cut short (it ends
/// in the driver's end mark) or is not one.
fn split(text: &str) -> Option<Snapshot<'_>> {
    let text = text.strip_suffix("\x1eend\n")?;
    let mut parts = text.split("\x1e\n");
    let variables = declarations(parts.next()?);
    let functions = parts.next()?;
    let aliases = parts.next()?;
    let options = parts.next()?;
    let mut tail = parts.next()?.lines();
    let umask = tail.next()?;
    let cwd = tail.next()?;
    if parts.next().is_some() {
        return None;
    }
    Some(Snapshot {
        variables,
        functions,
        aliases,
        options,
        umask,
        cwd,
    })
}

/// `declare -p` output: name -> (flags, whole declaration text).
fn declarations(text: &str) -> BTreeMap<&str, (&str, &str)> {
    let mut out = BTreeMap::new();
    each_declaration(text, |name, flags, decl| {
        out.insert(name, (flags, decl));
    });
    out
}

/// Calls `take` with the name, flags and whole text of each declaration of
/// `declare -p` output, in order.
fn each_declaration<'a>(text: &'a str, mut take: impl FnMut(&'a str, &'a str, &'a str)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let Some(rest) = text[i..].strip_prefix("declare -") else {
            // Not a declaration start: skip the line.
            i = text[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
            continue;
        };
        let Some(flags_end) = rest.find(' ') else {
            // A declaration cut short: nothing after it to read.
            break;
        };
        let flags = &rest[..flags_end];
        let mut j = start + "declare -".len() + flags_end + 1;
        let name_start = j;
        while j < bytes.len() && bytes[j] != b'=' && bytes[j] != b'\n' {
            j += 1;
        }
        let name = &text[name_start..j];
        if j < bytes.len() && bytes[j] == b'=' {
            j = value_end(bytes, j + 1);
        }
        let end = text[j..].find('\n').map_or(bytes.len(), |n| j + n);
        take(name, flags, &text[start..end]);
        i = (end + 1).min(bytes.len());
    }
}

/// Where a `declare -p` value that starts at `i` ends.
fn value_end(bytes: &[u8], mut i: usize) -> usize {
    let quoted = |bytes: &[u8], mut i: usize, q: u8, escapes: bool| {
        i += 1;
        while i < bytes.len() && bytes[i] != q {
            if escapes && bytes[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        (i + 1).min(bytes.len())
    };
    match bytes.get(i) {
        Some(b'"') => quoted(bytes, i, b'"', true),
        Some(b'$') if bytes.get(i + 1) == Some(&b'\'') => quoted(bytes, i + 1, b'\'', true),
        Some(b'\'') => quoted(bytes, i, b'\'', false),
        Some(b'(') => {
            i += 1;
            while i < bytes.len() && bytes[i] != b')' {
                i = match bytes[i] {
                    b'"' => quoted(bytes, i, b'"', true),
                    b'$' if bytes.get(i + 1) == Some(&b'\'') => quoted(bytes, i + 1, b'\'', true),
                    b'\'' => quoted(bytes, i, b'\'', false),
                    _ => i + 1,
                };
            }
            (i + 1).min(bytes.len())
        }
        _ => i,
    }
}

/// The variables of the latest snapshot (or the first one), with their values
/// unquoted: what `Secrets::learn` looks at. Arrays are left out.
pub fn variables(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for file in ["base", "state"] {
        if let Ok(text) = fs::read_to_string(dir.join(file)) {
            out.extend(variables_in(&text));
        }
    }
    out
}

/// The variables of one snapshot's text, as `variables` gives them.
pub fn variables_in(text: &str) -> Vec<(String, String)> {
    declarations_in(text)
        .into_iter()
        .map(|(name, decl)| (name.to_string(), value_of(decl)))
        .collect()
}

/// The variables of one snapshot's text that are not arrays, each with its
/// whole declaration (`declare -x A="1"`): two snapshots that declare a
/// variable alike give it the same value.
/// Reads the variables section alone (this is asked after every block that
/// changed the state), of a whole snapshot only.
pub fn declarations_in(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let variables = text
        .strip_suffix("\x1eend\n")
        .and_then(|t| t.find("\x1e\n").map(|end| &t[..end]));
    if let Some(variables) = variables {
        each_declaration(variables, |name, flags, decl| {
            if !flags.contains('a') && !flags.contains('A') && decl.contains('=') {
                out.push((name, decl));
            }
        });
    }
    out
}

/// The value a declaration from `declarations_in` gives, unquoted.
pub fn value_of(decl: &str) -> String {
    decl.split_once('=')
        .map(|(_, v)| unquote(v))
        .unwrap_or_default()
}

/// A `declare -p` value, as the shell would see it.
fn unquote(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some(n @ ('"' | '\\' | '$' | '`')) => out.push(n),
                    Some(n) => {
                        out.push('\\');
                        out.push(n);
                    }
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        return out;
    }
    if let Some(inner) = value.strip_prefix("$'").and_then(|v| v.strip_suffix('\'')) {
        return inner
            .replace("\\n", "\n")
            .replace("\\t", "\t")
            .replace("\\'", "'")
            .replace("\\\\", "\\");
    }
    value.to_string()
}

/// `set -o`/`shopt -s` lines for the options a runbook turned on or off, read
/// from the colon lists bash keeps in `SHELLOPTS` and `BASHOPTS`.
fn option_changes(base: &Snapshot, state: &Snapshot, var: &str, on: &str, off: &str) -> String {
    let list = |s: &Snapshot| -> Vec<String> {
        s.variables
            .get(var)
            .and_then(|(_, decl)| decl.split_once('=').map(|(_, v)| unquote(v)))
            .map(|v| v.split(':').map(str::to_string).collect())
            .unwrap_or_default()
    };
    let (before, after) = (list(base), list(state));
    let mut out = String::new();
    for o in after
        .iter()
        .filter(|o| !before.contains(o) && !o.is_empty())
    {
        out.push_str(&format!("builtin {on} {o}\n"));
    }
    for o in before
        .iter()
        .filter(|o| !after.contains(o) && !o.is_empty())
    {
        out.push_str(&format!("builtin {off} {o}\n"));
    }
    out
}

/// A snapshot file that is there but cannot be read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged(pub PathBuf);

/// Whether the snapshots a resume would restore are whole: `Err` names the
/// first one that is there but damaged (cut short, not UTF-8, not one).
pub fn check(dir: &Path) -> Result<(), Damaged> {
    for name in ["base", "state"] {
        let path = dir.join(name);
        match fs::read(&path) {
            Err(_) => {}
            Ok(bytes) => {
                let whole = std::str::from_utf8(&bytes).ok().and_then(split).is_some();
                if !whole {
                    return Err(Damaged(path));
                }
            }
        }
    }
    Ok(())
}

/// The working directory the last whole snapshot in `dir` holds: where a
/// resumed run's commands go on.
pub fn saved_cwd(dir: &Path) -> Option<String> {
    let state_text = fs::read_to_string(dir.join("state")).ok()?;
    split(&state_text).map(|s| s.cwd.to_string())
}

/// A script that puts back what the runbook changed since the session began:
/// variables it set or unset, its functions, aliases, options, umask and cwd.
/// `None` when there is no whole snapshot to restore (see `check`).
pub fn restore_script(dir: &Path) -> Option<String> {
    let base_text = fs::read_to_string(dir.join("base")).ok()?;
    let state_text = fs::read_to_string(dir.join("state")).ok()?;
    let base = split(&base_text)?;
    let state = split(&state_text)?;
    let mut script = String::new();
    for (name, (flags, decl)) in &state.variables {
        if is_internal(name) || flags.contains('r') {
            continue;
        }
        if base.variables.get(name).map(|(_, d)| d) != Some(decl) {
            // `declare` at the top level of a sourced file is global; -g says so anyway.
            script.push_str(
                &decl
                    .replacen("declare -", "declare -g", 1)
                    .replace("-g-", "-g"),
            );
            script.push('\n');
        }
    }
    for name in base.variables.keys() {
        if !is_internal(name) && !state.variables.contains_key(name) {
            script.push_str(&format!("builtin unset -v {name}\n"));
        }
    }
    script.push_str(state.functions);
    script.push_str(state.aliases);
    script.push_str(state.options);
    script.push_str(&option_changes(
        &base,
        &state,
        "SHELLOPTS",
        "set -o",
        "set +o",
    ));
    script.push_str(&option_changes(
        &base, &state, "BASHOPTS", "shopt -s", "shopt -u",
    ));
    script.push_str(&format!("builtin umask {}\n", state.umask));
    script.push_str(&format!(
        "builtin cd -- {}\n",
        shell_words::quote(state.cwd)
    ));
    Some(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot as the driver writes it.
    const WHOLE: &str = "declare -- A=\"1\"\ndeclare -x B=\"é\"\n\x1e\nf () \n{ \n    :\n}\n\x1e\nalias k='echo'\n\x1e\n\x1e\n0022\n/tmp/x\n\x1eend\n";

    #[test]
    fn a_snapshot_cut_anywhere_is_damaged_and_never_panics() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("base"), WHOLE).unwrap();
        fs::write(dir.path().join("state"), WHOLE).unwrap();
        assert_eq!(check(dir.path()), Ok(()));
        assert!(restore_script(dir.path()).is_some());
        for cut in 0..WHOLE.len() {
            let bytes = &WHOLE.as_bytes()[..cut];
            fs::write(dir.path().join("state"), bytes).unwrap();
            assert_eq!(
                check(dir.path()),
                Err(Damaged(dir.path().join("state"))),
                "cut at {cut}"
            );
            assert_eq!(restore_script(dir.path()), None, "cut at {cut}");
            let _ = variables(dir.path());
            if let Ok(text) = std::str::from_utf8(bytes) {
                let _ = declarations(text);
            }
        }
    }

    #[test]
    fn values_are_unquoted() {
        assert_eq!(unquote("\"a \\\"b\\\" \\$c\""), "a \"b\" $c");
        assert_eq!(unquote("$'x\\ny'"), "x\ny");
        assert_eq!(unquote("plain"), "plain");
    }

    #[test]
    fn declarations_survive_newlines_quotes_and_arrays() {
        let text = "declare -- A=\"x\ny \\\"q\\\"\"\ndeclare -a B=([0]=\"1\" [1]=\"a)b\")\ndeclare -x C=$'t\\'\\n'\ndeclare -ir D=\"3\"\ndeclare -- E\n";
        let d = declarations(text);
        assert_eq!(d["A"].1, "declare -- A=\"x\ny \\\"q\\\"\"");
        assert_eq!(d["B"].1, "declare -a B=([0]=\"1\" [1]=\"a)b\")");
        assert_eq!(d["C"].1, "declare -x C=$'t\\'\\n'");
        assert_eq!(d["D"].0, "ir");
        assert_eq!(d["E"].1, "declare -- E");
        assert_eq!(d.len(), 5);
    }
}
