//! A template's variables, in order of precedence: front-matter defaults <
//! environment file (`--env`) < `--var-file` < `--var`; and the environment
//! files a runbook has.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::front::Front;
use crate::error::{Error, Result};
use crate::secrets::{MASK, Secrets};
use crate::source::Source;

/// What the command line says about variables.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `--env NAME`.
    pub env: Option<String>,
    /// `--var key=value`, in the order given.
    pub vars: Vec<String>,
    /// `--var-file F`, in the order given.
    pub var_files: Vec<PathBuf>,
    /// `--dotenv F`.
    pub dotenv: Option<PathBuf>,
    /// Render even without an opt-in (`--template`).
    pub forced: bool,
}

impl Inputs {
    /// Whether anything here only makes sense for a template.
    pub fn any(&self) -> bool {
        self.env.is_some()
            || !self.vars.is_empty()
            || !self.var_files.is_empty()
            || self.dotenv.is_some()
            || self.forced
    }
}

/// Where a variable's value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    Default,
    EnvFile(PathBuf),
    VarFile(PathBuf),
    CommandLine,
}

/// One variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Var {
    pub value: Value,
    pub origin: Origin,
    /// Masked wherever runsheet writes or prints it.
    pub secret: bool,
    /// The value with what sits under a secret-named key (at any depth)
    /// masked, when anything does: `{db: {password: …}}`.
    pub shown: Option<Value>,
}

/// The environment file a render read.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvFile {
    pub name: String,
    pub path: PathBuf,
    pub sha256: String,
}

/// Where an environment or variables file sets a variable: its line, the
/// column its name starts at, and the line's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub text: String,
}

/// Every variable of one render.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    pub vars: BTreeMap<String, Var>,
    /// Where the last file that set each variable sets it, for a warning
    /// about a name the template never reads.
    pub places: BTreeMap<String, Place>,
    pub env: Option<EnvFile>,
    /// What a `.env` file set, seen through `env.NAME` after the process
    /// environment.
    pub dotenv: BTreeMap<String, String>,
}

impl Variables {
    /// `value` as the summary and `envs` show it: strings as they are,
    /// anything else as JSON; secrets, and tokens in any value, masked.
    pub fn display(var: &Var) -> String {
        if var.secret {
            return MASK.to_string();
        }
        Secrets::default().redact(&display_value(var.shown.as_ref().unwrap_or(&var.value)))
    }

    /// The secret values of the variables, for masking: every value of a
    /// secret variable, what sits under a secret-named key inside one, and
    /// the tokens (`ghp_…`, `AKIA…`, a JWT) any other value holds, as for
    /// `env.NAME`.
    pub fn secret_values(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut plain = Vec::new();
        for var in self.vars.values() {
            if var.secret {
                collect_strings(&var.value, &mut out);
                continue;
            }
            if let Some(shown) = &var.shown {
                hidden_strings(&var.value, shown, &mut out);
            }
            plain.clear();
            collect_strings(&var.value, &mut plain);
            for text in &plain {
                for token in crate::secrets::shaped_tokens(text) {
                    if !out.iter().any(|o| o == token) {
                        out.push(token.to_string());
                    }
                }
            }
        }
        out
    }

    /// The variables that hold a secret (whole or inside), by name: what a
    /// resumed run must be given the same of.
    pub fn secret_inputs(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.vars
            .iter()
            .filter(|(_, v)| v.secret || v.shown.is_some())
            .map(|(k, v)| (k.as_str(), &v.value))
    }
}

/// `value` with what sits under a secret-named key, at any depth, masked
/// (a list under such a key masked whole); `None` when nothing does.
pub fn masked_value(value: &Value, secrets: &Secrets) -> Option<Value> {
    has_secret_key(value, secrets).then(|| mask_keys(value, secrets))
}

/// Whether a map inside `value` has a secret-named key.
fn has_secret_key(value: &Value, secrets: &Secrets) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| secrets.is_secret(k) || has_secret_key(v, secrets)),
        Value::Array(items) => items.iter().any(|v| has_secret_key(v, secrets)),
        _ => false,
    }
}

fn mask_keys(value: &Value, secrets: &Secrets) -> Value {
    under_secret_keys(value, secrets, &|_| Value::String(MASK.to_string()))
}

/// `value` with what sits under a secret-named key, at any depth, replaced
/// by `replace` of it.
pub fn under_secret_keys(
    value: &Value,
    secrets: &Secrets,
    replace: &dyn Fn(&Value) -> Value,
) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let shown = if secrets.is_secret(k) {
                        replace(v)
                    } else {
                        under_secret_keys(v, secrets, replace)
                    };
                    (k.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| under_secret_keys(v, secrets, replace))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The strings of `value` that `shown`, its masked copy, hides.
fn hidden_strings(value: &Value, shown: &Value, out: &mut Vec<String>) {
    match (value, shown) {
        (Value::Object(map), Value::Object(shown)) => {
            for (k, v) in map {
                if let Some(s) = shown.get(k) {
                    hidden_strings(v, s, out);
                }
            }
        }
        (Value::Array(items), Value::Array(shown)) => {
            for (v, s) in items.iter().zip(shown) {
                hidden_strings(v, s, out);
            }
        }
        (_, Value::String(s)) if s == MASK && value != shown => collect_strings(value, out),
        _ => {}
    }
}

/// A value for people: strings bare, the rest as JSON.
pub fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if !s.is_empty() => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        Value::Number(n) => out.push(n.to_string()),
        _ => {}
    }
}

/// The variables of a render of `source`. The defaults' values are moved
/// out of `front` (a long host list is not copied); their names and places
/// stay, for messages.
pub fn gather(
    source: &Source,
    front: &mut Front,
    inputs: &Inputs,
    secrets: &Secrets,
) -> Result<Variables> {
    let mut vars: BTreeMap<String, Var> = BTreeMap::new();
    for (name, value, _) in &mut front.defaults {
        vars.insert(
            name.clone(),
            Var {
                shown: masked_value(value, secrets),
                value: std::mem::take(value),
                origin: Origin::Default,
                secret: secrets.is_secret(name),
            },
        );
    }
    let mut places = BTreeMap::new();
    let mut env = None;
    if let Some(name) = &inputs.env {
        let path = find_env(&source.path, name)?;
        let (map, text) = load_file(&path)?;
        if !map.contains_key("environment") {
            set(
                &mut vars,
                "environment",
                Value::String(name.clone()),
                Origin::EnvFile(path.clone()),
                secrets,
                false,
            );
        }
        for (key, value) in map {
            check_shape(source, front, &vars, &key, &value, &path, &text)?;
            places.insert(key.clone(), place(&path, &text, &key));
            set(
                &mut vars,
                &key,
                value,
                Origin::EnvFile(path.clone()),
                secrets,
                false,
            );
        }
        env = Some(EnvFile {
            name: name.clone(),
            sha256: crate::transcript::sha256(&text),
            path,
        });
    }
    for path in &inputs.var_files {
        let (map, text) = load_file(path)?;
        let secret_file = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().contains("secret"));
        for (key, value) in map {
            check_shape(source, front, &vars, &key, &value, path, &text)?;
            places.insert(key.clone(), place(path, &text, &key));
            set(
                &mut vars,
                &key,
                value,
                Origin::VarFile(path.clone()),
                secrets,
                secret_file,
            );
        }
    }
    for pair in &inputs.vars {
        let (key, value) = command_line_var(pair, &vars, secrets)?;
        set(&mut vars, &key, value, Origin::CommandLine, secrets, false);
    }
    let dotenv_path = match (&inputs.dotenv, front.dotenv) {
        (Some(path), _) => Some(path.clone()),
        (None, true) => Some(source.path.parent().unwrap_or(Path::new("")).join(".env")),
        (None, false) => None,
    };
    let dotenv = match dotenv_path {
        Some(path) => read_dotenv(&path, inputs.dotenv.is_none(), secrets)?,
        None => BTreeMap::new(),
    };
    Ok(Variables {
        vars,
        places,
        env,
        dotenv,
    })
}

/// Where file `path`, which reads `text`, sets `key`.
fn place(path: &Path, text: &str, key: &str) -> Place {
    let line = key_line(text, key);
    let text = text.lines().nth(line - 1).unwrap_or_default().to_string();
    let column = text
        .find(key)
        .map_or(1, |at| text[..at].chars().count() + 1);
    Place {
        path: path.to_path_buf(),
        line,
        column,
        text,
    }
}

fn set(
    vars: &mut BTreeMap<String, Var>,
    key: &str,
    value: Value,
    origin: Origin,
    secrets: &Secrets,
    secret_file: bool,
) {
    let was_secret = vars.get(key).is_some_and(|v| v.secret);
    vars.insert(
        key.to_string(),
        Var {
            shown: masked_value(&value, secrets),
            value,
            origin,
            secret: was_secret || secret_file || secrets.is_secret(key),
        },
    );
}

/// A list or map where the defaults have a single value, or the other way
/// round, is a mistake in the file that sets it.
fn check_shape(
    source: &Source,
    front: &Front,
    vars: &BTreeMap<String, Var>,
    key: &str,
    value: &Value,
    path: &Path,
    text: &str,
) -> Result<()> {
    let Some(before) = vars.get(key) else {
        return Ok(());
    };
    let (was, now) = (shape(&before.value), shape(value));
    if was == now || was == "nothing" || now == "nothing" {
        return Ok(());
    }
    let line = key_line(text, key);
    let whence = match &before.origin {
        Origin::Default => {
            let at = front
                .defaults
                .iter()
                .find(|(n, _, _)| n == key)
                .map_or(0, |d| d.2);
            format!(
                "the runbook's default ({}:{})",
                source.display_path(),
                source.line_of(at)
            )
        }
        Origin::EnvFile(p) | Origin::VarFile(p) => p.display().to_string(),
        Origin::CommandLine => "the command line".into(),
    };
    Err(Error::usage(format!(
        "{}:{line}: `{key}` is {now} here, but {was} in {whence}; give it the same kind of value",
        path.display()
    )))
}

fn shape(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
        Value::Null => "nothing",
        _ => "a single value",
    }
}

/// The 1-based line where `key` is set at the top of a TOML or YAML file;
/// else on an indented line (a JSON file's).
fn key_line(text: &str, key: &str) -> usize {
    let sets = |l: &str| {
        let l = l.trim_start_matches(['"', '\'']);
        l.strip_prefix(key).is_some_and(|rest| {
            let rest = rest.trim_start_matches(['"', '\'']).trim_start();
            rest.starts_with('=') || rest.starts_with(':')
        })
    };
    text.lines()
        .position(sets)
        .or_else(|| text.lines().position(|l| sets(l.trim_start())))
        .map_or(1, |i| i + 1)
}

/// `key=value` from the command line, typed like the value it replaces:
/// a number stays a number, a list or map is read as JSON, anything else
/// is the string as typed. An error shows no secret: not the value of a
/// secret variable, nor a value or name that looks like one.
fn command_line_var(
    pair: &str,
    vars: &BTreeMap<String, Var>,
    secrets: &Secrets,
) -> Result<(String, Value)> {
    let Some((key, text)) = pair.split_once('=') else {
        // Not a name: maybe a value given without one, shown only when no
        // secret by its shape.
        if is_name(pair) && !looks_secret(pair, secrets) {
            return Err(Error::usage(format!(
                "--var `{pair}` has no `=`: write it as --var {pair}=VALUE"
            )));
        }
        return Err(Error::usage(
            "--var: what was given has no `=` (not shown: it may be a secret); \
             write it as --var NAME=VALUE",
        ));
    };
    let key = key.trim();
    if !is_name(key) {
        let shown = if looks_secret(key, secrets) {
            MASK
        } else {
            key
        };
        return Err(Error::usage(format!(
            "--var `{shown}=...`: `{shown}` is not a variable name (letters, digits and _, not starting with a digit)"
        )));
    }
    let secret = secrets.is_secret(key)
        || vars.get(key).is_some_and(|v| v.secret)
        || looks_secret(text, secrets);
    let wrong = |kind: &str| {
        let given = if secret {
            "the value given is not one (not shown: it may be a secret)".to_string()
        } else {
            format!("`{text}` is not one")
        };
        Error::usage(format!(
            "--var {key}=...: `{key}` is {kind} in the runbook's variables, and {given}"
        ))
    };
    let value = match vars.get(key).map(|v| &v.value) {
        Some(Value::Number(_)) => {
            let n: serde_json::Number = text.trim().parse().map_err(|_| wrong("a number"))?;
            Value::Number(n)
        }
        Some(Value::Bool(_)) => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(wrong("true or false")),
        },
        Some(Value::Array(_)) => match serde_json::from_str(text) {
            Ok(v @ Value::Array(_)) => v,
            _ => return Err(wrong("a list (give it as JSON, [\"a\", \"b\"])")),
        },
        Some(Value::Object(_)) => match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => return Err(wrong("a map (give it as JSON, {\"k\": \"v\"})")),
        },
        _ => Value::String(text.to_string()),
    };
    Ok((key.to_string(), value))
}

/// Whether `text`, a value or name given, holds a secret by its shape (a
/// token, a URL's password, `password: …`): it is then not shown in errors.
fn looks_secret(text: &str, secrets: &Secrets) -> bool {
    secrets.redact(text) != text
}

/// A name a template can use as a variable.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The folders environment files are looked for in: `envs/` beside the
/// runbook, then `runbooks/envs/` under the current directory.
fn env_dirs(runbook: &Path) -> Vec<PathBuf> {
    let beside = runbook.parent().unwrap_or(Path::new("")).join("envs");
    let mut dirs = vec![beside.clone()];
    let shared = PathBuf::from("runbooks").join("envs");
    let same = match (beside.canonicalize(), shared.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same {
        dirs.push(shared);
    }
    dirs
}

const ENV_EXTENSIONS: [&str; 3] = ["toml", "yaml", "yml"];

/// The environments a runbook has: names and files, sorted by name; one
/// beside the runbook hides one of the same name in `runbooks/envs/`. An
/// environment with more than one file (`prod.toml` and `prod.yaml`) has
/// them all, for `conflict` to refuse.
pub fn environments(runbook: &Path) -> Vec<(String, Vec<PathBuf>)> {
    let mut found: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for dir in env_dirs(runbook) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut here: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        here.sort();
        for path in here {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !path.is_file() || !ENV_EXTENSIONS.contains(&ext) {
                continue;
            }
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                found.entry(stem.to_string()).or_default().push(path);
            }
        }
        if !found.is_empty() {
            // The first folder that has any is the runbook's.
            break;
        }
    }
    found.into_iter().collect()
}

/// The file of environment `name`.
pub fn find_env(runbook: &Path, name: &str) -> Result<PathBuf> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(Error::usage(format!(
            "--env `{name}` is not an environment name; give a name like `prod` (its file is envs/prod.toml)"
        )));
    }
    for dir in env_dirs(runbook) {
        let mut files: Vec<PathBuf> = ENV_EXTENSIONS
            .iter()
            .map(|ext| dir.join(format!("{name}.{ext}")))
            .filter(|path| path.is_file())
            .collect();
        match files.len() {
            0 => {}
            1 => return Ok(files.remove(0)),
            _ => return Err(Error::usage(conflict(name, &files))),
        }
    }
    let known = environments(runbook);
    let where_ = env_dirs(runbook)
        .iter()
        .map(|d| format!("{}/", d.display()))
        .collect::<Vec<_>>()
        .join(" or ");
    if known.is_empty() {
        return Err(Error::usage(format!(
            "unknown environment `{name}`: there are no environment files in {where_}; \
             create {}/{name}.toml",
            env_dirs(runbook)[0].display()
        )));
    }
    let names: Vec<&str> = known.iter().map(|(n, _)| n.as_str()).collect();
    let hint = super::errors::did_you_mean(name, names.iter().copied())
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default();
    Err(Error::usage(format!(
        "unknown environment `{name}`: the known ones are {}{hint}",
        names.join(", ")
    )))
}

/// Why environment `name`, which has more than one file, is not read:
/// runsheet would have to pick one, and the other would be ignored.
pub fn conflict(name: &str, files: &[PathBuf]) -> String {
    let shown: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let (last, rest) = shown
        .split_last()
        .map_or(("", &[][..]), |(l, r)| (l.as_str(), r));
    let (count, what) = if files.len() == 2 {
        ("two".to_string(), "one of them")
    } else {
        (files.len().to_string(), "all but one")
    };
    format!(
        "environment `{name}` has {count} files, {} and {last}, and runsheet will not guess which \
         one is meant: remove or rename {what}",
        rest.join(", ")
    )
}

/// A variables file (TOML, or YAML/JSON) as a map, with its text.
pub fn load_file(path: &Path) -> Result<(serde_json::Map<String, Value>, String)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.into(),
        source,
    })?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let value: Value = if ext == "toml" {
        let table: toml::Table = toml::from_str(&text).map_err(|e| {
            let at = e.span().map_or(String::new(), |s| {
                let (line, column) = line_col(&text, s.start);
                format!(":{line}:{column}")
            });
            Error::usage(format!(
                "{}{at}: this is not valid TOML: {}",
                path.display(),
                e.message()
            ))
        })?;
        serde_json::to_value(table).map_err(|e| Error::usage(format!("{}: {e}", path.display())))?
    } else {
        serde_norway::from_str(&text).map_err(|e| {
            let at = e
                .location()
                .map_or(String::new(), |l| format!(":{}:{}", l.line(), l.column()));
            Error::usage(format!(
                "{}{at}: this is not valid YAML or JSON: {}",
                path.display(),
                e.to_string().split(" at line ").next().unwrap_or_default()
            ))
        })?
    };
    match value {
        Value::Object(map) => {
            if let Some(bad) = map.keys().find(|k| !is_name(k)) {
                return Err(Error::usage(format!(
                    "{}:{}: `{bad}` is not a variable name (letters, digits and _)",
                    path.display(),
                    key_line(&text, bad)
                )));
            }
            Ok((map, text))
        }
        Value::Null => Ok((serde_json::Map::new(), text)),
        _ => Err(Error::usage(format!(
            "{}:1: a variables file holds `name = value` pairs (TOML) or `name: value` (YAML) at the top",
            path.display()
        ))),
    }
}

fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// The `KEY=value` pairs of a `.env` file. `required`: the document asked
/// for the one beside it, which must then be there.
fn read_dotenv(path: &Path, required: bool, secrets: &Secrets) -> Result<BTreeMap<String, String>> {
    if !path.is_file() {
        let why = if required {
            "the runbook asks for it (`runsheet: {dotenv: true}`)"
        } else {
            "--dotenv names it"
        };
        return Err(Error::usage(format!(
            "{}: there is no such file, and {why}; create it or leave it out",
            path.display()
        )));
    }
    let iter = dotenvy::from_path_iter(path)
        .map_err(|e| Error::usage(format!("{}: {e}", path.display())))?;
    let mut out = BTreeMap::new();
    for item in iter {
        match item {
            Ok((k, v)) => {
                out.insert(k, v);
            }
            Err(dotenvy::Error::LineParse(line, _)) => {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                let n = text
                    .lines()
                    .position(|l| l == line || l.contains(line.as_str()))
                    .map_or(1, |i| i + 1);
                // A line that names a secret or holds one is not shown.
                let shown = if secrets.names_in(&line).is_empty() && !looks_secret(&line, secrets) {
                    format!(": {line}")
                } else {
                    " (not shown: it may hold a secret)".to_string()
                };
                return Err(Error::usage(format!(
                    "{}:{n}: this line is not KEY=value{shown}",
                    path.display()
                )));
            }
            Err(e) => return Err(Error::usage(format!("{}: {e}", path.display()))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_values_take_the_type_of_what_they_replace() {
        let mut vars = BTreeMap::new();
        for (k, v) in [
            ("replicas", serde_json::json!(2)),
            ("hosts", serde_json::json!(["a"])),
            ("debug", serde_json::json!(false)),
        ] {
            vars.insert(
                k.to_string(),
                Var {
                    value: v,
                    origin: Origin::Default,
                    secret: false,
                    shown: None,
                },
            );
        }
        let secrets = Secrets::default();
        assert_eq!(
            command_line_var("replicas=3", &vars, &secrets).unwrap().1,
            serde_json::json!(3)
        );
        assert_eq!(
            command_line_var("hosts=[\"x\",\"y\"]", &vars, &secrets)
                .unwrap()
                .1,
            serde_json::json!(["x", "y"])
        );
        assert_eq!(
            command_line_var("debug=true", &vars, &secrets).unwrap().1,
            serde_json::json!(true)
        );
        assert_eq!(
            command_line_var("version=1.10", &vars, &secrets).unwrap().1,
            serde_json::json!("1.10")
        );
        assert!(
            command_line_var("replicas=many", &vars, &secrets)
                .unwrap_err()
                .to_string()
                .contains("is a number")
        );
        assert!(
            command_line_var("replicas", &vars, &secrets)
                .unwrap_err()
                .to_string()
                .contains("has no `=`")
        );
        assert!(command_line_var("9x=1", &vars, &secrets).is_err());
    }
}
