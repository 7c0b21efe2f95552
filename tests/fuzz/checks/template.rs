//! A document rendered as a template: rendering must give a runbook or an
//! error, never a panic; an error points inside the document (a line it
//! has, a column on that line); and what a render gives parses as a
//! runbook whose lines each map back to a line of the template.
//!
//! The input is the template's text, then optionally a NUL and `key=value`
//! lines given as `--var`s.

use std::path::Path;

use runsheet::Error;
use runsheet::doc::parse;
use runsheet::doc::parse::Runners;
use runsheet::secrets::Secrets;
use runsheet::source::Source;
use runsheet::template::{self, Inputs};

/// Checks one input; panics where rendering breaks a promise.
pub fn check(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let (body, vars) = text.split_once('\0').unwrap_or((text, ""));
    let inputs = Inputs {
        vars: vars
            .lines()
            .filter(|l| l.contains('='))
            .map(str::to_string)
            .collect(),
        forced: true,
        ..Inputs::default()
    };
    let source = Source::from_text(Path::new("fuzz.md"), body.to_string());
    let lines = body.split_inclusive('\n').count().max(1);
    let runners = Runners::new();
    let now = Some("2026-01-02T03:04:05Z");
    for keep_lines in [false, true] {
        match template::render(
            &source,
            &inputs,
            &Secrets::default(),
            &runners,
            now,
            keep_lines,
        ) {
            Ok(Some(rendered)) => {
                let out = Source::from_text(Path::new("fuzz.md"), rendered.masked().to_string());
                let _ = parse(&out);
                if let Some(map) = &rendered.lines {
                    let shown = rendered.masked().split_inclusive('\n').count();
                    assert!(
                        map.len() >= shown,
                        "{} lines mapped for {shown} rendered lines of {body:?}",
                        map.len()
                    );
                    for n in 1..=shown {
                        let from = map.line(n);
                        assert!(
                            // The empty line after a last line feed is one too.
                            (1..=lines + 1).contains(&from),
                            "rendered line {n} maps to line {from} of a {lines}-line template {body:?}"
                        );
                    }
                }
            }
            Ok(None) => panic!("a forced render gave no rendering for {body:?}"),
            Err(Error::Document(diagnostics)) => {
                for d in diagnostics.iter().filter(|d| d.path == "fuzz.md") {
                    assert!(
                        (1..=lines).contains(&d.line),
                        "an error at line {} of a {lines}-line template: {} ({body:?})",
                        d.line,
                        d.message
                    );
                    let line = body.split_inclusive('\n').nth(d.line - 1).unwrap_or("");
                    assert!(
                        d.column >= 1 && d.column <= line.chars().count() + 1,
                        "an error at column {} of a {}-character line: {} ({body:?})",
                        d.column,
                        line.chars().count(),
                        d.message
                    );
                }
            }
            Err(_) => {}
        }
    }
}
