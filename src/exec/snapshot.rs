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
fn each_declaration<'a>(text: &'a str, take: impl FnMut(&'a str, &'a str, &'a str)) {
    each_declaration_from(text, 0, |_| true, take);
}

/// As `each_declaration`, from `from` (where a line starts) on; `go_on` is
/// told where each line it reads starts, before it is read, and stops it by
/// saying no. Where one starts depends only on the text before it.
fn each_declaration_from<'a>(
    text: &'a str,
    from: usize,
    mut go_on: impl FnMut(usize) -> bool,
    mut take: impl FnMut(&'a str, &'a str, &'a str),
) {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if !go_on(i) {
            break;
        }
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
    if let Some(variables) = variables_section(text.as_bytes()) {
        // Cut before a `\x1e`: still text.
        each_declaration(&text[..variables.len()], |name, flags, decl| {
            take_value(&mut out, name, flags, decl);
        });
    }
    out
}

/// The variables section of a whole snapshot.
fn variables_section(text: &[u8]) -> Option<&[u8]> {
    let text = text.strip_suffix(b"\x1eend\n")?;
    // The first `\x1e\n`: a search for the one byte, with nothing to set
    // up for each snapshot.
    memchr::memchr_iter(0x1e, text)
        .find(|&at| text.get(at + 1) == Some(&b'\n'))
        .map(|end| &text[..end])
}

/// Keeps what `declarations_in` gives: variables that are not arrays and
/// have a value.
fn take_value<'a>(out: &mut Vec<(&'a str, &'a str)>, name: &'a str, flags: &str, decl: &'a str) {
    if !flags.contains('a') && !flags.contains('A') && decl.contains('=') {
        out.push((name, decl));
    }
}

/// The variables section of the snapshot read before, and where each of
/// its lines starts: what `declarations_changed` compares the next one with.
#[derive(Debug, Default)]
pub struct ReadBefore {
    text: Vec<u8>,
    starts: Vec<usize>,
    /// Room for the next `starts`, kept from one snapshot to the next.
    spare: Vec<usize>,
}

/// What `declarations_in` gives of `text`, less the declarations that are
/// the same bytes, read the same way, as in the snapshot `before` holds;
/// `before` then holds this one. Only the lines from the last one that starts
/// before the first byte that differs are read, up to where the rest is the
/// same as the rest of the one before from a line that started there too:
/// a snapshot after a block that changed one variable is read a line or so,
/// not whole. A snapshot that is not whole, or not UTF-8, gives the same as
/// `declarations_in` (lossily) and is read whole next time.
pub fn declarations_changed(before: &mut ReadBefore, text: &[u8]) -> Vec<(String, String)> {
    let owned = |v: Vec<(&str, &str)>| {
        v.into_iter()
            .map(|(n, d)| (n.to_string(), d.to_string()))
            .collect()
    };
    let section = variables_section(text).and_then(|v| std::str::from_utf8(v).ok());
    let Some(section) = section else {
        before.text.clear();
        before.starts.clear();
        return owned(declarations_in(&String::from_utf8_lossy(text)));
    };
    let new = section.as_bytes();
    let old = before.text.as_slice();
    let (new_len, old_len) = (new.len(), old.len());
    if new == old {
        return Vec::new();
    }
    let prefix = common_prefix(new, old);
    let room = new_len.min(old_len) - prefix;
    let suffix = common_suffix(&new[new_len - room..], &old[old_len - room..]);
    // Lines before the one the first difference is in read the same.
    let kept = before
        .starts
        .partition_point(|&s| s <= prefix)
        .saturating_sub(1);
    let from = before.starts.get(kept).copied().unwrap_or(0);
    let mut starts = std::mem::take(&mut before.spare);
    starts.clear();
    starts.extend_from_slice(&before.starts[..kept]);
    let same_from = new_len - suffix;
    let mut rest = None;
    let mut out = Vec::new();
    each_declaration_from(
        section,
        from,
        |at| {
            // In the common tail, at a line that started at the same place
            // before: the rest reads as it did.
            if at >= same_from {
                let was = at + old_len - new_len;
                if let Ok(k) = before.starts.binary_search(&was) {
                    rest = Some(k);
                    return false;
                }
            }
            starts.push(at);
            true
        },
        |name, flags, decl| take_value(&mut out, name, flags, decl),
    );
    if let Some(k) = rest {
        starts.extend(before.starts[k..].iter().map(|&s| s + new_len - old_len));
    }
    let out = owned(out);
    before.text.clear();
    before.text.extend_from_slice(new);
    before.spare = std::mem::replace(&mut before.starts, starts);
    out
}

/// Bytes compared at once where two snapshots are most likely the same.
const RUN: usize = 64;

/// How many bytes `a` and `b` begin with alike: a run at a time, then byte
/// by byte in the run that differs.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut at = 0;
    while at + RUN <= n && a[at..at + RUN] == b[at..at + RUN] {
        at += RUN;
    }
    at + a[at..n]
        .iter()
        .zip(&b[at..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// How many bytes `a` and `b` end with alike.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut len = 0;
    while len + RUN <= n && a[n - len - RUN..n - len] == b[n - len - RUN..n - len] {
        len += RUN;
    }
    len + a[..n - len]
        .iter()
        .rev()
        .zip(b[..n - len].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
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

/// The global declaration that gives a variable of `declare -p` output
/// (`flags`, its whole declaration `decl`) its value and attributes again in
/// a new shell, read-only ones included. A variable that is not exported is
/// declared `+x`: the new shell may have it from its environment, exported,
/// where the runbook had it un-exported (`export -n`). A name reference is
/// left as it is, as `+x` would go to the variable it names.
fn redeclare(flags: &str, decl: &str) -> String {
    // `declare -- A="1"`: the flags are `-`, i.e. none.
    let rest = decl
        .get("declare -".len() + flags.len()..)
        .unwrap_or_default();
    let flags = flags.trim_start_matches('-');
    let unexport = if flags.contains(['x', 'n', 'a', 'A']) {
        ""
    } else {
        " +x"
    };
    // `declare` at the top level of a sourced file is global; -g says so
    // anyway. Not `builtin declare`, which bash would not let assign an
    // array: the runbook's functions and aliases come after.
    format!("declare -g{flags}{unexport}{rest}")
}

/// A script that puts back what the runbook changed since the session began:
/// variables it set or unset, its functions, aliases, options, umask and cwd.
/// `None` when there is no whole snapshot to restore (see `check`).
pub fn restore_script(dir: &Path) -> Option<String> {
    restore_script_with(dir, |cwd| {
        format!("builtin cd -- {}\n", shell_words::quote(cwd))
    })
}

/// As `restore_script`, the directory put back by the line `cd` gives.
pub fn restore_script_with(dir: &Path, cd: impl Fn(&str) -> String) -> Option<String> {
    let base_text = fs::read_to_string(dir.join("base")).ok()?;
    let state_text = fs::read_to_string(dir.join("state")).ok()?;
    let base = split(&base_text)?;
    let state = split(&state_text)?;
    let mut script = String::new();
    for (name, (flags, decl)) in &state.variables {
        let before = base.variables.get(name);
        // Read-only in a shell that had run no block: bash's own (`PPID`,
        // `BASHOPTS`, ...), which a new shell sets itself and refuses to
        // have declared again. The runbook's own read-only variables are
        // declared so again.
        let the_shells = before.is_some_and(|(f, _)| f.contains('r'));
        if is_internal(name) || the_shells || before.map(|(_, d)| d) == Some(decl) {
            continue;
        }
        script.push_str(&redeclare(flags, decl));
        script.push('\n');
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
    script.push_str(&cd(state.cwd));
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

    /// A whole snapshot of these declarations.
    fn snapshot(decls: &[&str]) -> Vec<u8> {
        let mut text = decls.join("\n");
        text.push_str("\n\x1e\n\x1e\n\x1e\n\x1e\n0022\n/tmp\n\x1eend\n");
        text.into_bytes()
    }

    #[test]
    fn common_ends_are_counted_to_the_byte_across_runs() {
        let base: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
        let slow_prefix = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let slow_suffix = |a: &[u8], b: &[u8]| {
            a.iter()
                .rev()
                .zip(b.iter().rev())
                .take_while(|(x, y)| x == y)
                .count()
        };
        for len in [0, 1, 63, 64, 65, 128, 200, 300] {
            let a = &base[..len];
            for cut in [0, 1, 64, 130, 300] {
                let b = &base[..cut.min(len)];
                assert_eq!(common_prefix(a, b), slow_prefix(a, b), "{len} {cut}");
                let b = &base[len - cut.min(len)..len];
                assert_eq!(common_suffix(a, b), slow_suffix(a, b), "{len} {cut}");
            }
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 1;
                assert_eq!(common_prefix(a, &b), at);
                assert_eq!(common_suffix(a, &b), len - at - 1);
                b.insert(0, 7);
                assert_eq!(common_suffix(a, &b), len - at - 1);
            }
        }
    }

    #[test]
    fn only_what_changed_since_the_snapshot_before_is_read_again() {
        let sets: &[&[&str]] = &[
            &[
                "declare -- A=\"1\"",
                "declare -x B=\"é\"",
                "declare -- Z=\"z\"",
            ],
            &[
                "declare -- A=\"1\"",
                "declare -x B=\"é\"",
                "declare -- Z=\"z\"",
            ],
            &[
                "declare -- A=\"2\"",
                "declare -x B=\"é\"",
                "declare -- Z=\"z\"",
            ],
            &[
                "declare -- A=\"2\"",
                "declare -x B=\"éé\"",
                "declare -- Z=\"z\"",
            ],
            // A value that holds lines looking like declarations.
            &[
                "declare -- A=\"2\"",
                "declare -x B=\"x\ndeclare -- Q=\\\"1\\\"\"",
                "declare -- Z=\"z\"",
            ],
            &[
                "declare -- A=\"2\"",
                "declare -x B=\"x\ndeclare -- Q=\\\"2\\\"\"",
                "declare -- Z=\"z\"",
            ],
            &["declare -- A=\"2\"", "declare -- Z=\"z\""],
            &[
                "declare -a L=([0]=\"1\")",
                "declare -- A=\"2\"",
                "declare -- Z=\"y\"",
            ],
            &[
                "declare -- A=\"2\"",
                "declare -- N",
                "declare -- Z=\"y\"",
                "declare -- ZZ=\"new\"",
            ],
            &[
                "declare -- A=\"3\"",
                "declare -- N",
                "declare -- Z=\"y\"",
                "declare -- ZZ=\"new\"",
            ],
        ];
        let mut before = ReadBefore::default();
        let mut previous: Vec<(String, String)> = Vec::new();
        for (n, set) in sets.iter().enumerate() {
            let text = snapshot(set);
            let all: Vec<(String, String)> = declarations_in(std::str::from_utf8(&text).unwrap())
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            let changed = declarations_changed(&mut before, &text);
            // Every declaration that is new or other than before is there,
            // and nothing the snapshot does not declare.
            for decl in &all {
                assert!(
                    previous.contains(decl) || changed.contains(decl),
                    "set {n}: {decl:?}"
                );
            }
            for decl in &changed {
                assert!(all.contains(decl), "set {n}: {decl:?}");
            }
            if n == 1 {
                assert!(changed.is_empty());
            }
            if n == 2 {
                assert!(changed.len() < all.len(), "set {n}: read whole");
            }
            previous = all;
        }
        // One cut short, then one whole: read whole again.
        assert!(declarations_changed(&mut before, b"declare -- A=\"1\"\n").is_empty());
        let text = snapshot(sets[0]);
        assert_eq!(declarations_changed(&mut before, &text).len(), 3);
    }

    /// The restore script of a run whose first snapshot declared `base`
    /// and whose last one `state`.
    fn restore_of(base: &[&str], state: &[&str]) -> String {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("base"), snapshot(base)).unwrap();
        fs::write(dir.path().join("state"), snapshot(state)).unwrap();
        restore_script(dir.path()).unwrap()
    }

    #[test]
    fn the_runbooks_read_only_variables_are_restored_read_only_and_bashs_own_are_not() {
        let base = [
            "declare -r BASHOPTS=\"checkwinsize\"",
            "declare -ir PPID=\"10\"",
            "declare -r SHELLOPTS=\"braceexpand\"",
            "declare -x HOME=\"/root\"",
            // Read-only before any block, by a name runsheet does not know.
            "declare -r LATER_BASH_OWN=\"1\"",
        ];
        let state = [
            "declare -r BASHOPTS=\"checkwinsize:nullglob\"",
            "declare -ar BASH_VERSINFO=([0]=\"5\")",
            "declare -ir EUID=\"0\"",
            "declare -ir PPID=\"11\"",
            "declare -r SHELLOPTS=\"braceexpand:noclobber\"",
            "declare -ir UID=\"0\"",
            "declare -x HOME=\"/root\"",
            "declare -r LATER_BASH_OWN=\"2\"",
            "declare -r KUBE_CONTEXT=\"staging-cluster\"",
            "declare -rx EXPORTED=\"e\"",
            "declare -ar LIST=([0]=\"a\" [1]=\"b\")",
            "declare -ir N=\"3\"",
            "declare -r EMPTY",
        ];
        let script = restore_of(&base, &state);
        for line in [
            "declare -gr +x KUBE_CONTEXT=\"staging-cluster\"\n",
            "declare -grx EXPORTED=\"e\"\n",
            "declare -gar LIST=([0]=\"a\" [1]=\"b\")\n",
            "declare -gir +x N=\"3\"\n",
            "declare -gr +x EMPTY\n",
            "builtin shopt -s nullglob\n",
            "builtin set -o noclobber\n",
        ] {
            assert!(script.contains(line), "{line:?} not in {script}");
        }
        for name in [
            "BASHOPTS",
            "BASH_VERSINFO",
            "EUID",
            "PPID",
            "SHELLOPTS",
            "UID",
            "HOME",
            "LATER_BASH_OWN",
        ] {
            assert!(!script.contains(&format!(" {name}")), "{name} in {script}");
        }
    }

    #[test]
    fn functions_are_restored_with_their_read_only_and_export_marks() {
        // `declare -f` writes a function's attributes after its body.
        let functions =
            "f () \n{ \n    echo one\n}\ndeclare -fr f\ng () \n{ \n    :\n}\ndeclare -fx g\n";
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("base"), snapshot(&[])).unwrap();
        let state = format!("\n\x1e\n{functions}\x1e\n\x1e\n\x1e\n0022\n/tmp\n\x1eend\n");
        fs::write(dir.path().join("state"), state).unwrap();
        let script = restore_script(dir.path()).unwrap();
        assert!(script.contains(functions), "{script}");
    }

    #[test]
    fn a_variable_un_exported_is_restored_un_exported_and_values_are_kept_whole() {
        let script = restore_of(
            &["declare -x NAMESPACE=\"payments\""],
            &[
                "declare -- NAMESPACE=\"payments\"",
                "declare -x FLAG=\"a-g-b\"",
                "declare -- PLAIN=\"-g-\"",
                "declare -n REF=\"PLAIN\"",
            ],
        );
        for line in [
            "declare -g +x NAMESPACE=\"payments\"\n",
            "declare -gx FLAG=\"a-g-b\"\n",
            "declare -g +x PLAIN=\"-g-\"\n",
            "declare -gn REF=\"PLAIN\"\n",
        ] {
            assert!(script.contains(line), "{line:?} not in {script}");
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
