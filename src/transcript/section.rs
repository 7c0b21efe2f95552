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
        found.push((mark.at(), text));
    }
    found
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use crate::doc::parse;
    use crate::record::{Outcome, Reason, RunInfo, RunState, Status, section_id};
    use crate::source::Source;
    use crate::transcript::{read, render, sha256};

    /// Every section recorded (one of each kind in turn), every step too:
    /// the transcript reads back as the document and the same records.
    fn round_trip(text: &str) {
        let source = Source::from_text(Path::new("t.md"), text.to_string());
        let book = parse(&source);
        let mut outcomes = HashMap::new();
        for step in book.steps.iter().filter(|s| s.placeholder().is_none()) {
            outcomes.insert(step.id(), Outcome::new(step.id(), Status::Done));
        }
        let kinds = [
            (Status::Skipped, Reason::NotNeeded, None),
            (
                Status::Done,
                Reason::Entered,
                Some("Migrate <db> failed (exit 1) at t.md:3 --> | `x`\nnext"),
            ),
            (
                Status::Done,
                Reason::Only,
                Some("run on its own with --only"),
            ),
            (Status::Done, Reason::Chosen, Some("chosen by alice@ops")),
            (Status::Skipped, Reason::NotChosen, Some("\"A\" was chosen")),
        ];
        for i in 0..book.sections.len() {
            let (status, reason, value) = kinds[i % kinds.len()];
            let mut o = Outcome::new(section_id(i), status).because(reason);
            o.value = value.map(str::to_string);
            outcomes.insert(section_id(i), o);
        }
        let info = RunInfo {
            id: "r".into(),
            source: "t.md".into(),
            sha256: sha256(text),
            state: RunState::Complete,
            ..RunInfo::default()
        };
        let rendered = render(&source, &book, &outcomes, &info);
        // Sections recorded one by one change the run's path as they come.
        crate::transcript::tests::pieces_match(&source, &book, &outcomes, &info, &rendered);
        let back = read(Path::new("t.md"), &rendered)
            .unwrap_or_else(|e| panic!("{e}\n{text:?}\n{rendered}"));
        assert_eq!(
            back.source, text,
            "not byte-exact for {text:?}:\n{rendered}"
        );
        for (id, want) in &outcomes {
            let got = back
                .outcomes
                .get(id)
                .unwrap_or_else(|| panic!("{id} lost for {text:?}:\n{rendered}"));
            assert_eq!(
                (got.status, &got.reasons, &got.value),
                (want.status, &want.reasons, &want.value),
                "{id} for {text:?}:\n{rendered}"
            );
        }
    }

    #[test]
    fn section_lines_strip_back_exactly() {
        for text in [
            "# Deploy\n- [ ] ship\n## Rollback\n- [ ] undo\n",
            "# Deploy\r\n- [ ] ship\r\n## Rollback\r\n- [ ] undo\r\n",
            "Deploy\n======\n\n- [ ] ship\n\nRollback\n--------\n- [ ] undo\n",
            "- [ ] ship\n\n> ## Rollback\n> - [ ] undo\n",
            "- ## Rollback\n  - [ ] undo\n",
            "# Deploy\n## Rollback",
            "# Deploy\n## Rollback\n",
            "## Rollback\n____ blank at the start of the line\n",
            "## [ ] Roll back\n```bash\nundo\n```\n",
            "## Rollback\n<!-- runsheet: contingency -->\n- [ ] x\n",
            "# A `stray\n## B\n- [ ] `x\n",
            "\u{feff}---\ntitle: t\n---\n# Deploy\n## Option 1\n- [ ] a\n## Option 2\n- [ ] b\n",
            "## Rollback\r- [ ] old mac\r",
        ] {
            round_trip(text);
        }
    }

    #[test]
    fn awkward_documents_with_sections_round_trip() {
        const FRAGMENTS: &[&str] = &[
            "# Heading\n",
            "## Rollback plan\n",
            "### Option 1\n",
            "Setext\n---\n",
            "> ## Quoted\n",
            "- [ ] task\n",
            "- [ ] A OR\n- [ ] B\n",
            "```bash\nls\n```\n",
            "`stray backtick\n",
            "text with `code`\n",
            "<!-- runsheet: contingency -->\n",
            "| a | ____ |\n|---|---|\n| x | y |\n",
            "\n",
            "#",
            "## Tail",
            "## Ŕollback ☐ or\n",
            "- [ ] ☐ OR\n- [ ] é ☐\n",
            "### Option Б: ✅\n",
            "## 🚨 Emergency — if it fails ☐\n",
        ];
        let mut rng = fastrand::Rng::with_seed(0x2545_f491_4f6c_dd1d);
        let mut next = move || rng.u64(..);
        for _ in 0..1500 {
            let n = 1 + next() % 7;
            let mut text = String::new();
            for _ in 0..n {
                text.push_str(FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize]);
            }
            if next() % 3 == 0 {
                text = text.replace('\n', "\r\n");
            }
            round_trip(&text);
        }
    }
}
