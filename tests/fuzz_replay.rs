//! The fuzz targets' checks, replayed on every seed and every input fuzzing
//! has found (`tests/fuzz/regressions/<target>/`), so that a fault found once
//! stays fixed without a nightly toolchain.

use std::fs;
use std::path::{Path, PathBuf};

#[path = "fuzz/checks/attrs.rs"]
mod attrs;
#[path = "fuzz/checks/parse.rs"]
mod parse;
#[path = "fuzz/checks/round_trip.rs"]
mod round_trip;
#[path = "fuzz/checks/template.rs"]
mod template;

/// The seeds and kept regressions of one target, by path.
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut found = Vec::new();
    for entry in fs::read_dir(fuzz.join("corpus").join(target)).expect("the seeds directory") {
        let path = entry.expect("a seed").path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
        {
            found.push(path);
        }
    }
    if let Ok(dir) = fs::read_dir(fuzz.join("regressions").join(target)) {
        found.extend(dir.map(|e| e.expect("a regression").path()));
    }
    found.sort();
    found
}

/// Runs `check` on every input of `target`; a panic names the input.
fn replay(target: &str, check: fn(&[u8])) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "no inputs for {target}");
    for path in inputs {
        let bytes = fs::read(&path).expect("readable input");
        let outcome = std::panic::catch_unwind(|| check(&bytes));
        assert!(
            outcome.is_ok(),
            "{target}: {} fails the check",
            path.display()
        );
    }
}

#[test]
fn round_trip_inputs_strip_back_exactly() {
    replay("round_trip", round_trip::check);
}

#[test]
fn parse_inputs_parse_without_panicking() {
    replay("parse", parse::check);
}

#[test]
fn attrs_inputs_keep_the_info_string_promises() {
    replay("attrs", attrs::check);
}

#[test]
fn template_inputs_render_or_fail_at_their_place() {
    replay("template", template::check);
}

/// What the mutations below put into a template: its tags half and whole,
/// the Markdown a runbook is made of, and characters wider than a byte.
const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{%-",
    "-%}",
    "{{ x }}",
    "{{ env }}",
    "{% if x %}",
    "{% endif %}",
    "{% for h in hosts %}",
    "{% endfor %}",
    "{% raw %}",
    "{% endraw %}",
    "{% set y = 1 %}",
    "{{ h | shell }}",
    "{{ x | raw }}",
    "\n",
    "\r\n",
    "```bash\n",
    "```\n",
    "- [ ] ",
    "# ",
    "---\n",
    "runsheet:\n",
    "  vars: {x: 1}\n",
    "<<EOF\n",
    "EOF\n",
    "\"",
    "'",
    "\\",
    "é",
    "𝄞",
    "\t",
    "${{ a }}",
    "${#a[@]}",
    " ",
];

/// The `template` seeds, each changed a few thousand times over by
/// inserting fragments, cutting and repeating pieces, run through the
/// target's check: a deterministic stand-in for fuzzing on the stable
/// toolchain.
#[test]
fn mutated_templates_render_or_fail_at_their_place() {
    let seeds: Vec<String> = inputs("template")
        .iter()
        .filter_map(|p| fs::read_to_string(p).ok())
        .collect();
    assert!(!seeds.is_empty(), "no template seeds");
    let mut rng = fastrand::Rng::with_seed(14);
    for round in 0..20000 {
        let mut text = seeds[round % seeds.len()].clone();
        for _ in 0..rng.usize(1..5) {
            let cuts: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            let n = rng.usize(..cuts.len());
            let at = cuts[n];
            // A piece from `at` of up to a few dozen characters.
            let to = cuts[rng.usize(n..cuts.len().min(n + 40))];
            match rng.u8(..3) {
                0 => text.insert_str(at, FRAGMENTS[rng.usize(..FRAGMENTS.len())]),
                1 => text.replace_range(at..to, ""),
                _ => {
                    let piece = text[at..to].to_string();
                    text.insert_str(to, &piece);
                }
            }
        }
        let outcome = std::panic::catch_unwind(|| template::check(text.as_bytes()));
        assert!(outcome.is_ok(), "template: {text:?} fails the check");
    }
}
