//! Whether a document opted in to being a template, and what the
//! `runsheet:` section of its front matter says (defaults, `.env`).

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;

use crate::diagnostic::Severity;
use crate::error::{Error, Result};
use crate::source::Source;

/// What a template's front matter says to runsheet.
#[derive(Debug, Clone, Default)]
pub struct Front {
    /// Default values of variables, with the byte offset each is set at.
    pub defaults: Vec<(String, serde_json::Value, usize)>,
    /// Read the `.env` file beside the runbook.
    pub dotenv: bool,
    /// Bytes of the source taken out before rendering: the `runsheet:`
    /// section (or the whole front matter when that is all it holds), so
    /// that the rendered runbook is a plain runbook.
    pub cut: Option<Range<usize>>,
}

/// The `runsheet:` section of front matter.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    #[serde(default)]
    template: Option<bool>,
    #[serde(default)]
    vars: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    dotenv: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Wrapper {
    runsheet: Option<Section>,
}

/// Whether `path` names a template by its extension (`.j2`, `.jinja`).
pub fn template_by_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("j2" | "jinja" | "jinja2")
    )
}

/// The front matter's `runsheet:` section of `source` when the document is a
/// template (it opted in, or `forced`); `None` for every other document,
/// which is then never rendered.
pub fn read(source: &Source, forced: bool) -> Result<Option<Front>> {
    let found = section(source)?;
    let by_name = template_by_name(&source.path);
    let (section, cut) = match found {
        Some((section, cut)) => (section, Some(cut)),
        None if forced || by_name => (Section::default(), None),
        None => return Ok(None),
    };
    let opted = match section.template {
        Some(explicit) => explicit,
        // Asking for defaults or for the `.env` file only means something
        // to a template.
        None => section.vars.is_some() || section.dotenv == Some(true) || by_name,
    };
    if !(opted || forced) {
        return Ok(None);
    }
    let mut defaults = Vec::new();
    if let Some(vars) = section.vars {
        let cut_at = cut.as_ref().map_or(0, |c| c.start);
        for (name, value) in vars {
            let at = key_offset(&source.text, cut_at, &name);
            defaults.push((name, value, at));
        }
    }
    Ok(Some(Front {
        defaults,
        dotenv: section.dotenv.unwrap_or(false),
        cut,
    }))
}

/// The front matter's `runsheet:` section, parsed, with the bytes to cut.
fn section(source: &Source) -> Result<Option<(Section, Range<usize>)>> {
    let text = &source.text;
    let base = source.body_offset();
    let body = &text[base..];
    let first_len = if body.starts_with("---\n") {
        4
    } else if body.starts_with("---\r\n") {
        5
    } else {
        return Ok(None);
    };
    // The front matter's lines, up to its closing `---` or `...`.
    let mut at = base + first_len;
    let mut close = None;
    let mut start = None;
    let mut end = None;
    for line in text[at..].split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare == "---" || bare == "..." {
            close = Some(at + line.len());
            if start.is_some() && end.is_none() {
                end = Some(at);
            }
            break;
        }
        let top_level = !bare.is_empty() && !bare.starts_with([' ', '\t', '#']);
        if start.is_some() && end.is_none() && top_level {
            end = Some(at);
        }
        if start.is_none() && (bare == "runsheet:" || bare.starts_with("runsheet:")) {
            start = Some(at);
        }
        at += line.len();
    }
    let (Some(close), Some(start)) = (close, start) else {
        return Ok(None);
    };
    let end = end.unwrap_or(close);
    let snippet = &text[start..end];
    let wrapper = match super::plain::read(snippet) {
        Some(plain) => Wrapper {
            runsheet: Some(Section {
                template: plain.template,
                vars: plain.vars,
                dotenv: plain.dotenv,
            }),
        },
        None => yaml(source, snippet, start)?,
    };
    let Some(section) = wrapper.runsheet else {
        return Ok(None);
    };
    // When the section is all the front matter holds, the whole block goes.
    let rest_blank = text[base + first_len..start]
        .lines()
        .chain(text[end..close].lines())
        .filter(|l| {
            let t = l.trim();
            !(t.is_empty() || t == "---" || t == "..." || t.starts_with('#'))
        })
        .count()
        == 0;
    let cut = if rest_blank { base..close } else { start..end };
    Ok(Some((section, cut)))
}

/// The section read by the YAML parser; an error points at `snippet`'s
/// place in the source (it starts at `start`).
fn yaml(source: &Source, snippet: &str, start: usize) -> Result<Wrapper> {
    serde_norway::from_str(snippet).map_err(|e| {
        let offset = e.location().map_or(start, |l| {
            let line_start = snippet
                .split_inclusive('\n')
                .take(l.line().saturating_sub(1))
                .map(str::len)
                .sum::<usize>();
            start + line_start + l.column().saturating_sub(1)
        });
        Error::Document(vec![
            source.diagnostic(
                Severity::Error,
                offset,
                format!(
                    "the front matter's `runsheet:` section does not read: {}",
                    first_sentence(&e.to_string())
                ),
                Some(
                    "it holds `template: true`, `vars:` (default values) and `dotenv: true`, \
                 as in `runsheet: {template: true, vars: {replicas: 2}}`"
                        .into(),
                ),
            ),
        ])
    })
}

/// Where `name` is set inside the section that starts at `from`.
fn key_offset(text: &str, from: usize, name: &str) -> usize {
    let rest = &text[from..];
    for pattern in [
        format!("{name}:"),
        format!("\"{name}\":"),
        format!("'{name}':"),
    ] {
        if let Some(i) = rest.find(&pattern) {
            return from + i;
        }
    }
    from
}

fn first_sentence(message: &str) -> String {
    message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn front(path: &str, text: &str) -> Option<Front> {
        read(&Source::from_text(Path::new(path), text.into()), false).unwrap()
    }

    #[test]
    fn only_documents_that_opted_in_are_templates() {
        assert!(front("d.md", "# Deploy {{ .Values.image }}\n").is_none());
        assert!(front("d.md", "---\ntitle: x\n---\n{{ x }}\n").is_none());
        assert!(
            front(
                "d.md",
                "---\nrunsheet: {template: false, vars: {a: 1}}\n---\n"
            )
            .is_none()
        );
        assert!(front("d.md.j2", "# x\n").is_some());
        let f = front("d.md", "---\ntitle: t\nrunsheet:\n  vars:\n    replicas: 2\n    hosts: [a, b]\nother: 1\n---\nbody\n").unwrap();
        let text = "---\ntitle: t\nrunsheet:\n  vars:\n    replicas: 2\n    hosts: [a, b]\nother: 1\n---\nbody\n";
        assert_eq!(
            &text[f.cut.clone().unwrap()],
            "runsheet:\n  vars:\n    replicas: 2\n    hosts: [a, b]\n"
        );
        assert_eq!(f.defaults[0].0, "hosts");
        assert_eq!(f.defaults[1].1, serde_json::json!(2));
        let only = "---\nrunsheet: {template: true}\n---\nbody\n";
        let f = front("d.md", only).unwrap();
        assert_eq!(
            &only[f.cut.unwrap()],
            "---\nrunsheet: {template: true}\n---\n"
        );
    }

    #[test]
    fn a_section_that_does_not_read_is_an_error_with_its_line() {
        let source = Source::from_text(
            Path::new("d.md"),
            "---\nt: 1\nrunsheet:\n  tempalte: true\n---\n".into(),
        );
        let err = read(&source, false).unwrap_err().to_string();
        assert!(err.contains("d.md:4:"), "{err}");
        assert!(err.contains("tempalte"), "{err}");
    }
}
