//! Lines about whole sections, once each, right under their headings: a
//! contingency section passed over or entered (and why), an option chosen
//! or not, the section a run was limited to.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::marker;
use crate::doc::Runbook;
use crate::record::{Outcome, Reason, clock, section_id};

/// What runsheet writes about a section recorded as `o`, as people read it.
fn label(o: &Outcome) -> String {
    let time = clock(&o.at);
    let because = o.value.as_deref().map(html_text);
    let mut text = if o.has(Reason::NotNeeded) {
        "⏭ contingency section, not needed in this run".to_string()
    } else if o.has(Reason::Only) {
        format!("▶ run on its own {time}")
    } else if o.has(Reason::Entered) {
        format!("▶ contingency section entered {time}")
    } else if o.has(Reason::Chosen) {
        format!("☑ option chosen {time}")
    } else if o.has(Reason::NotChosen) {
        "⏭ option not chosen in this run".to_string()
    } else {
        format!("{} {time}", o.status)
    };
    if let Some(because) = because {
        if o.has(Reason::Entered) || o.has(Reason::Only) {
            let _ = write!(text, " · started because: {because}");
        } else {
            let _ = write!(text, " · {because}");
        }
    }
    text
}

/// Text for a line that is raw HTML where Markdown renders it.
fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// The lines to insert, by offset, for every section `outcomes` records.
pub(super) fn marks(
    book: &Runbook,
    outcomes: &HashMap<String, Outcome>,
    eol: &str,
) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, section) in book.sections.iter().enumerate() {
        let Some(o) = outcomes.get(&section_id(i)) else {
            continue;
        };
        let mark = &section.mark;
        let prefix = mark.prefix.as_str();
        let pre = if mark.eol_first { eol } else { "" };
        let mut attrs = vec![
            ("id", o.id.clone()),
            ("status", o.status.word().to_string()),
            ("at", o.at.clone()),
        ];
        if !o.reasons.is_empty() {
            let words: Vec<&str> = o.reasons.iter().map(|r| r.word()).collect();
            attrs.push(("how", words.join(",")));
        }
        if let Some(value) = &o.value {
            attrs.push(("value", value.clone()));
        }
        if !pre.is_empty() {
            attrs.push(("pre", pre.len().to_string()));
        }
        let text = format!(
            "{pre}{prefix}{}{}{eol}{prefix}{}{eol}",
            marker::open("sec", &attrs),
            label(o),
            marker::close("sec")
        );
        found.push((mark.at, text));
    }
    found
}
