//! Templated runbooks: a document that opted in is rendered with minijinja
//! before it is parsed, every value quoted for the block it lands in. The
//! only module that knows minijinja.

mod derived;
mod engine;
mod envname;
mod errors;
pub mod front;
mod lines;
mod page;
mod plain;
mod quote;
mod shell;
mod splice;
mod strings;
mod tagline;
pub mod vars;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub use page::page;
pub use vars::{Inputs, Origin, Var, Variables, display_value, environments};

use crate::diagnostic::{Diagnostic, Severity};
use crate::doc::parse::Runners;
use crate::error::{Error, Result};
use crate::linemap::LineMap;
use crate::secrets::Secrets;
use crate::source::Source;

/// A rendered runbook and what went into it.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The runbook as it runs.
    pub text: String,
    /// The same with secret values masked, when any was: see `masked()`.
    pub masked: Option<String>,
    /// Where `|raw` wrote a value unquoted, as warnings for `plan`.
    pub notes: Vec<Diagnostic>,
    pub variables: Variables,
    /// Every secret value the rendering holds: the variables' (whole or
    /// under a secret-named key) and what `env.NAME` gave for a secret
    /// name or a token-shaped value. What the masked text hides, and what
    /// a run masks in output: the one set.
    pub secret_values: Vec<String>,
    /// The secret `env.NAME` values the template read, by name.
    pub env_secrets: BTreeMap<String, String>,
    /// sha256 of the template's text.
    pub sha256: String,
    /// What `now()` gave: the time of the first render of a run.
    pub rendered_at: String,
    /// Which line of the template each line of `masked()` came from, when
    /// it was asked for.
    pub lines: Option<LineMap>,
}

impl Rendered {
    /// The runbook with secret values masked: what transcripts, `plan` and
    /// `render` show.
    pub fn masked(&self) -> &str {
        self.masked.as_deref().unwrap_or(&self.text)
    }

    /// A keyed digest of each secret input, by name (`env.NAME` for the
    /// environment's): sha256 of `key` and the value, never the value, for
    /// `resume` to tell the same secret from another.
    pub fn secret_digests(&self, key: &str) -> Vec<(String, String)> {
        let digest =
            |name: &str, value: &str| crate::transcript::sha256(&format!("{key}\0{name}\0{value}"));
        let mut out: Vec<(String, String)> = self
            .variables
            .secret_inputs()
            .map(|(name, value)| (name.to_string(), digest(name, &value.to_string())))
            .collect();
        out.extend(self.env_secrets.iter().map(|(name, value)| {
            let name = format!("env.{name}");
            let d = digest(&name, value);
            (name, d)
        }));
        out
    }
}

/// The secret values among what `env.NAME` gave: a secret name's value
/// whole, and the tokens any other value holds.
fn env_secrets(
    read: &BTreeMap<String, String>,
    secrets: &Secrets,
) -> (Vec<String>, BTreeMap<String, String>) {
    let mut values = Vec::new();
    let mut named = BTreeMap::new();
    for (name, value) in read {
        if secrets.is_secret(name) && !value.is_empty() {
            values.push(value.clone());
            named.insert(name.clone(), value.clone());
        } else {
            let tokens = crate::secrets::shaped_tokens(value);
            if !tokens.is_empty() {
                values.extend(tokens.into_iter().map(str::to_string));
                named.insert(name.clone(), value.clone());
            }
        }
    }
    (values, named)
}

/// Renders `source` when it is a template (it opted in, or `--template`);
/// `None` for any other document, which is never rendered. `now` fixes
/// `now()` (a resumed run renders with its first render's time). `lines`:
/// also work out which line of the template each line of the rendering
/// came from (`Rendered::lines`), for what shows lines (`plan`, `run`,
/// `resume`); that render keeps where each piece of output came from, and
/// takes longer.
pub fn render(
    source: &Source,
    inputs: &Inputs,
    secrets: &Secrets,
    runners: &Runners,
    now: Option<&str>,
    lines: bool,
) -> Result<Option<Rendered>> {
    let Some(mut front) = front::read(source, inputs.forced)? else {
        if inputs.any() {
            return Err(Error::usage(format!(
                "{} is not a template, so --env, --var, --var-file and --dotenv have nothing to do; \
                 a runbook opts in with `runsheet: {{template: true}}` in its front matter, a name \
                 ending in .j2, or --template",
                source.display_path()
            )));
        }
        return Ok(None);
    };
    if let Some(at) = engine::reserved(&source.text) {
        return Err(Error::Document(vec![source.diagnostic(
            Severity::Error,
            at,
            "this holds the Unicode noncharacter U+FDD0 or U+FDD1, which runsheet keeps for itself in templates",
            None,
        )]));
    }
    let variables = vars::gather(source, &mut front, inputs, secrets)?;
    if variables.vars.contains_key("env") || variables.vars.contains_key(envname::ALIAS) {
        return Err(Error::usage(
            "a variable is named `env`, which templates keep for the environment's name \
             ({% if env == \"prod\" %}) and the process environment (env.HOME); name it \
             `environment` or something else",
        ));
    }
    // The defaults are in `variables` now; only the cut is needed again.
    let front::Front { cut, .. } = front;
    let name = source.display_path();
    let dir = source.path.parent().unwrap_or(Path::new("")).to_path_buf();
    let rendered_at = now.map_or_else(crate::record::now, str::to_string);
    let names: Vec<String> = variables.vars.keys().cloned().collect();
    let env_file = variables.env.as_ref().map(|e| e.path.display().to_string());
    let files_for = |included: &BTreeMap<String, String>, unset: &Unset| errors::Files {
        main: source,
        main_name: name.clone(),
        cut: cut.clone(),
        included: included.clone(),
        dir: dir.clone(),
        names: names.clone(),
        standing: unset.keys().cloned().collect(),
        env_file: env_file.clone(),
    };
    // The text, the compiled template and the context are made anew for
    // each render and gone when it returns, before the values are put back
    // into its output: the rendering, its values and the runbook being put
    // together are then all a render holds.
    // `stand_ins`: render with a stand-in for every secret instead (changed
    // as the `StandIn` says), and these for the `env.NAME` that hold one
    // (see `derived`).
    // `unset`: names given a stand-in that stands for anything (see
    // `every_unset`).
    let attempt = |spans: bool,
                   stand_ins: Option<(&BTreeMap<String, String>, derived::StandIn)>,
                   unset: &Unset| {
        let engine = |lead: &str, body: &str| {
            let body = envname::rewrite(body);
            engine::render(
                engine::Text {
                    name: &name,
                    lead,
                    body: &tagline::rewrite(&body),
                    dir: &dir,
                },
                context(&variables, stand_ins.map(|(_, how)| (secrets, how)), unset),
                &rendered_at,
                engine::Env {
                    dotenv: variables.dotenv.clone(),
                    stand_ins: stand_ins.map(|(env, _)| env.clone()).unwrap_or_default(),
                },
                spans,
            )
        };
        // The text after the cut rendered on its own, behind the plain text
        // before it: no copy of the runbook without its cut. Where an error
        // is in the author's file, and where output came from, are counted
        // in that copy: those renders make it.
        let split = split(source, cut.as_ref()).filter(|_| !spans);
        split
            .and_then(|(lead, rest)| engine(lead, rest).ok())
            .map_or_else(|| engine("", &body(source, cut.as_ref())), Ok)
            .map_err(|(e, files)| Box::new(errors::diagnostic(&e, &files_for(&files, unset))))
    };
    let render = |spans: bool, stand_ins: Option<(&BTreeMap<String, String>, derived::StandIn)>| {
        attempt(spans, stand_ins, &Unset::new()).map_err(|e| Error::Document(vec![e.0]))
    };
    let mut rendering = match attempt(lines, None, &Unset::new()) {
        Ok(rendering) => rendering,
        Err(e) => {
            let (shown, missing) = *e;
            return Err(Error::Document(every_unset(shown, missing, |unset| {
                attempt(false, None, unset).map(drop)
            })));
        }
    };
    let mut warnings = unread(&variables, &rendering.reads, source);
    let mut secret_values = variables.secret_values();
    let (from_env, env_secrets) = env_secrets(&rendering.env_read, secrets);
    secret_values.extend(from_env);
    if !secret_values.is_empty() {
        // Values made from a secret (`|upper`, a slice, joined to other
        // text): what a render with stand-ins writes differently. A render
        // that fails with them (a test of the secret's exact text) is tried
        // again with the secrets' first halves kept (a value cut from
        // those is the same in both renders: every value that is part of
        // a secret is masked then too); when that fails too, none are
        // found, and the operator is told so.
        let with_stand_ins = |how| {
            let env = derived::env_values(&env_secrets, secrets, how);
            render(false, Some((&env, how)))
                .ok()
                .map(|other| (other, how))
        };
        match with_stand_ins(derived::StandIn::Whole)
            .or_else(|| with_stand_ins(derived::StandIn::Tail))
        {
            Some((other, how)) => {
                let mut made = derived::values(&rendering.pieces, &other.pieces, &secret_values);
                if how == derived::StandIn::Tail {
                    made.extend(derived::parts(&rendering.pieces, &secret_values));
                }
                secret_values.extend(made);
            }
            None => warnings.push(derived::untraced(source)),
        }
    }
    let mut spliced = splice::splice(&rendering.text, &rendering.pieces, runners, &secret_values);
    if !lines && (spliced.is_err() || spliced.as_ref().is_ok_and(|s| !s.raw.is_empty())) {
        // Pointing at a value takes where each piece of output came from:
        // the same render again, with spans.
        rendering = render(true, None)?;
        spliced = splice::splice(&rendering.text, &rendering.pieces, runners, &secret_values);
    }
    let files = files_for(&rendering.files, &Unset::new());
    // Where in the author's files a place of the rendered text came from.
    let origin = |at: usize| -> (String, usize) {
        let k = rendering
            .spans
            .partition_point(|s| s.output_range().end <= at);
        match rendering.spans.get(k) {
            Some(s) if s.output_range().contains(&at) => {
                (s.name().to_string(), s.source_range().start)
            }
            _ => (name.clone(), 0),
        }
    };
    let spliced = spliced.map_err(|refusals| {
        Error::Document(
            refusals
                .into_iter()
                .map(|r| {
                    let (file, at) = origin(r.at);
                    files.at(&file, at, r.message, r.hint)
                })
                .collect(),
        )
    })?;
    let notes = warnings
        .into_iter()
        .chain(spliced.raw.iter().map(|&(at, ref lang)| {
            let (file, offset) = origin(at);
            let place = if lang.is_empty() {
                "into the text".to_string()
            } else {
                format!("into a `{lang}` block")
            };
            files.at_severity(
                Severity::Warning,
                &file,
                offset,
                format!("`|raw`: this value goes {place} as it is, unquoted"),
                Some("check that it can never hold something that runs".into()),
            )
        }))
        .collect();
    let lines = lines.then(|| {
        let template = lines::Template {
            source,
            name: &name,
            cut: cut.as_ref(),
        };
        lines::map(&rendering.text, &rendering.spans, &spliced.grown, &template)
    });
    drop(rendering);
    Ok(Some(Rendered {
        text: spliced.text,
        masked: spliced.masked,
        notes,
        variables,
        secret_values,
        env_secrets,
        sha256: crate::transcript::sha256(&source.text),
        rendered_at,
        lines,
    }))
}

/// A warning for each `--var` the template never reads (`--var replcas=5`
/// for `replicas`): a misspelt name would leave the default in its place.
/// The same for a name an environment or variables file sets, at its line
/// there, when the template reads one like it: such a file is often shared
/// by several runbooks, and a name only others read is no mistake.
fn unread(variables: &Variables, reads: &BTreeSet<String>, source: &Source) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, var) in &variables.vars {
        // `environment` is read through `env` too.
        if reads.contains(name) || name == "environment" {
            continue;
        }
        // A name that looks like a token was likely a value given as one.
        let masked = Secrets::default().redact(name);
        let shown = if masked == *name { name } else { &masked };
        let near = errors::did_you_mean(name, reads.iter().map(String::as_str));
        let file = match &var.origin {
            Origin::CommandLine => None,
            Origin::EnvFile(_) => Some("environment"),
            Origin::VarFile(_) => Some("variables"),
            Origin::Default => continue,
        };
        if let Some(file) = file {
            // A near name the same file sets too is one of a pair it means.
            let Some(near) = near.filter(|n| {
                variables
                    .vars
                    .get(*n)
                    .is_none_or(|other| other.origin != var.origin)
            }) else {
                continue;
            };
            let Some(place) = variables.places.get(name) else {
                continue;
            };
            out.push(Diagnostic {
                severity: Severity::Warning,
                path: place.path.display().to_string(),
                line: place.line,
                column: place.column,
                message: format!("the template never reads `{shown}`, which this {file} file sets"),
                hint: Some(format!(
                    "did you mean `{near}`? a misspelt name leaves the value it meant to change as it was"
                )),
                excerpt: place.text.clone(),
                caret: place.column,
            });
            continue;
        }
        let hint = match near {
            Some(near) => format!("did you mean `{near}`? "),
            None => String::new(),
        };
        out.push(Diagnostic {
            severity: Severity::Warning,
            path: source.display_path(),
            line: 1,
            column: 1,
            message: format!("--var {shown}=...: the template never reads `{shown}`"),
            hint: Some(format!(
                "{hint}a misspelt name leaves the value it meant to change as it was"
            )),
            excerpt: String::new(),
            caret: 0,
        });
    }
    out
}

/// The text of `source` without what the front matter's `cut` takes out:
/// a slice when the cut is the whole front matter, as it is when it holds
/// nothing else.
fn body<'s>(source: &'s Source, cut: Option<&std::ops::Range<usize>>) -> Cow<'s, str> {
    match cut {
        None => source.text.as_str().into(),
        Some(cut) if cut.start == 0 => source.text[cut.end..].into(),
        Some(cut) => {
            let mut body = source.text.clone();
            body.replace_range(cut.clone(), "");
            body.into()
        }
    }
}

/// The text of `source` before and after the cut, when what is before it
/// (front matter the runbook keeps) holds nothing a template engine reads,
/// and nothing at the start of what is after it could strip it (`{%-`):
/// the rendering is then that text followed by the rest's.
fn split<'s>(
    source: &'s Source,
    cut: Option<&std::ops::Range<usize>>,
) -> Option<(&'s str, &'s str)> {
    let cut = cut.filter(|c| c.start > 0)?;
    let (lead, rest) = (&source.text[..cut.start], &source.text[cut.end..]);
    let plain = !lead.contains('{') && !rest.trim_start().starts_with('{');
    plain.then_some((lead, rest))
}

/// The variables as the template sees them; `env` alone is the
/// environment's name (see envname): the name `--env` chose, which an
/// environment file's `environment` (often a longer name to show) never
/// changes, else the variable `environment`. With `stand_ins` (the run's
/// secrets), a stand-in for every secret value (see `derived`).
/// How many variables that are not set one failed render names at most.
const UNSET_SHOWN: usize = 20;

/// What to show of a render that stopped at `first`. When that is a
/// variable that is not set (`missing`), the render is tried again with a
/// stand-in for it, and so on, so that every variable this environment
/// lacks is named at once rather than one per try. The stand-in stands for
/// anything (see `engine::Unset`); the first error that is of another kind
/// ends the search, as it may be the stand-in's doing.
fn every_unset(
    first: Diagnostic,
    missing: Option<String>,
    attempt: impl Fn(&Unset) -> Tried,
) -> Vec<Diagnostic> {
    let mut shown = vec![first];
    let mut unset = Unset::new();
    let mut next = missing;
    while let Some(name) = next.take()
        && shown.len() < UNSET_SHOWN
        && !unset.contains_key(&name)
    {
        unset.insert(name.clone(), engine::Missing::Anything);
        // An error that names no new variable may be the stand-in's doing:
        // one for anything does no arithmetic (`replicas + 1`), so the
        // render is tried once more with a number standing in for it.
        let new = |tried: &Tried, unset: &Unset| {
            tried
                .as_ref()
                .err()
                .and_then(|e| e.1.as_ref())
                .is_some_and(|name| !unset.contains_key(name))
        };
        let mut tried = attempt(&unset);
        if tried.is_err() && !new(&tried, &unset) {
            unset.insert(name, engine::Missing::Number);
            tried = attempt(&unset);
        }
        if new(&tried, &unset)
            && let Err(e) = tried
        {
            let (more, missing) = *e;
            shown.push(more);
            next = missing;
        }
    }
    shown
}

/// The names given a stand-in while looking for every variable that is not
/// set, and what stands in for each.
type Unset = BTreeMap<String, engine::Missing>;

/// A render tried with stand-ins: the first error, and the variable it
/// found not set, if that is what it was.
type Tried = std::result::Result<(), Box<(Diagnostic, Option<String>)>>;

fn context(
    variables: &Variables,
    stand_ins: Option<(&Secrets, derived::StandIn)>,
    unset: &Unset,
) -> minijinja::Value {
    let mut context: BTreeMap<String, minijinja::Value> = variables
        .vars
        .iter()
        .map(|(k, v)| {
            let value = if let Some((secrets, how)) = stand_ins {
                engine::value_of(&derived::var_value(v, secrets, how))
            } else {
                engine::value_of(&v.value)
            };
            (k.clone(), value)
        })
        .collect();
    let name = match &variables.env {
        Some(env) => Some(minijinja::Value::from(env.name.as_str())),
        None => context.get("environment").cloned(),
    };
    if let Some(name) = name {
        context.insert(envname::ALIAS.to_string(), name);
    }
    for (name, missing) in unset {
        context.insert(name.clone(), missing.value());
    }
    minijinja::Value::from(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_str(text: &str, vars: &[&str]) -> Result<Option<Rendered>> {
        let source = Source::from_text(Path::new("t.md"), text.to_string());
        let inputs = Inputs {
            vars: vars.iter().map(|s| s.to_string()).collect(),
            ..Inputs::default()
        };
        render(
            &source,
            &inputs,
            &Secrets::new(&[]),
            &Runners::new(),
            Some("2026-11-21T05:10:03Z"),
            false,
        )
    }

    #[test]
    fn a_document_that_did_not_opt_in_is_not_rendered() {
        let text = "# {{ .Values.image }} ${{ secrets.TOKEN }} {% raw %}\n";
        assert!(render_str(text, &[]).unwrap().is_none());
        assert!(render_str(text, &["a=1"]).is_err());
    }

    #[test]
    fn values_are_quoted_in_blocks_and_left_alone_in_prose() {
        let text = "---\nrunsheet:\n  vars:\n    name: world\n---\n# Hello {{ name }}\n\n```bash\necho {{ name }}\n```\n\n```yaml\nk: {{ name }}\n```\n";
        let r = render_str(text, &["name=x; touch p"]).unwrap().unwrap();
        assert_eq!(
            r.text,
            "# Hello x; touch p\n\n```bash\necho 'x; touch p'\n```\n\n```yaml\nk: x; touch p\n```\n"
        );
    }

    /// The text after a kept front matter is rendered on its own only when
    /// that gives what rendering the runbook without its section gives.
    #[test]
    fn a_kept_front_matter_renders_as_part_of_the_runbook() {
        let section = "runsheet:\n  vars:\n    who: ops\n";
        let cases = [
            (
                "title: t\n",
                "---\n# Hi {{ who }}\n",
                "---\ntitle: t\n---\n# Hi ops\n",
            ),
            (
                "title: {{ who }}\n",
                "---\n# Hi\n",
                "---\ntitle: ops\n---\n# Hi\n",
            ),
            (
                "title: t\n",
                "---\n{%- if who %}\nx\n{% endif %}",
                "---\ntitle: t\n---x\n",
            ),
            (
                "title: t\n",
                "---\n  {% if who %}\nx\n{% endif %}",
                "---\ntitle: t\n---\nx\n",
            ),
            (
                "title: t\n",
                "---\n{%- if who %}\nx\n{% endif %}\n",
                "---\ntitle: t\n---x\n",
            ),
        ];
        for (kept, rest, want) in cases {
            let text = format!("---\n{kept}{section}{rest}");
            let source = Source::from_text(Path::new("t.md"), text.clone());
            let cut = front::read(&source, false).unwrap().unwrap().cut;
            let split = split(&source, cut.as_ref()).is_some();
            assert_eq!(split, !kept.contains('{'), "{text:?}");
            let r = render_str(&text, &[]).unwrap().unwrap();
            assert_eq!(r.text, want, "{text:?}");
        }
        // An error in the text after the section points into the file.
        let text = format!("---\ntitle: t\n{section}---\n\n{{{{ nope }}}}\n");
        let err = render_str(&text, &[]).unwrap_err().to_string();
        assert!(err.contains("t.md:8:4"), "{err}");
    }

    #[test]
    fn undefined_variables_point_at_the_source_line() {
        let text = "---\nrunsheet:\n  vars:\n    replica_count: 2\n---\n\n```bash\nkubectl scale --replicas={{ replicas }}\n```\n";
        let err = render_str(text, &[]).unwrap_err().to_string();
        assert!(err.contains("undefined variable `replicas`"), "{err}");
        assert!(err.contains("t.md:8:29"), "{err}");
        assert!(err.contains("did you mean `replica_count`?"), "{err}");
    }

    #[test]
    fn an_undefined_name_in_a_statement_is_the_one_pointed_at() {
        let text = "---\nrunsheet: {template: true}\n---\n{% if env == \"prod\" %}x{% endif %}\n";
        let err = render_str(text, &[]).unwrap_err().to_string();
        assert!(err.contains("t.md:4:7"), "{err}");
        assert!(
            err.contains("`env` alone is the name of the environment"),
            "{err}"
        );
        let text = "---\nrunsheet: {template: true, vars: {hosts: [a]}}\n---\n\
                    {% for host in hosts %}{% if host == \"a\" and replica > 1 %}x{% endif %}{% endfor %}\n";
        let err = render_str(text, &[]).unwrap_err().to_string();
        assert!(err.contains("undefined variable `replica`"), "{err}");
        assert!(err.contains("t.md:4:46"), "{err}");
    }
}
