//! What a field asks, in a few words: its label without the field itself
//! (`Smoke tests passed`), for messages and the transcript's notes.

use super::Step;

/// The question `step` asks, read from `source`, the runbook's text its
/// field's span is in: the label without the field and the colon before it;
/// the step's text when it is not a field or nothing else is left.
pub fn question(source: &str, step: &Step) -> String {
    let Some(field) = step.field() else {
        return step.text.clone();
    };
    // As the label has it: on one line, single spaces.
    let written = source
        .get(field.span.clone())
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let written = written.as_str();
    let text = match step.text.find(written).filter(|_| !written.is_empty()) {
        Some(at) => format!("{}{}", &step.text[..at], &step.text[at + written.len()..]),
        None => step.text.clone(),
    };
    let text = text
        .split(" (target")
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches([':', '：', '-', '—'])
        .trim();
    if text.is_empty() {
        step.text.clone()
    } else {
        text.to_string()
    }
}
