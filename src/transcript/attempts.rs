//! A block's earlier attempts in the transcript: after the latest one, folded
//! in a `<details>` element, newest first, each a marked line with its status
//! and then what ran and what it printed.
//!
//! ````markdown
//! <!--rs:out id=s2 status=done at=… exit=0-->✅ exit 0 · 0.02s · 05:12:30Z · attempt 2
//! <!--rs:earlier count=1--><details><summary>1 earlier attempt</summary>
//! <!--rs:try id=s2 status=failed at=… exit=1 ms=20-->❌ exit 1 · 0.02s · 05:11:01Z
//! ```text {rs=output}
//! not ready
//! ```
//! <!--rs:earlier-end--></details>
//! <!--/rs:out-->
//! ````
//!
//! Every line starts with an HTML comment, so each is an HTML block of its own
//! line and no blank line is needed (a tight list stays tight); the
//! `<details>` opened on the first line holds the code blocks up to the last.

use std::fmt::Write as _;

use super::marker::{self, Marker};
use super::write::{fenced, outcome_attrs, status_line};
use crate::record::Outcome;

/// What an attempt line opens with.
pub const TRY: &str = "<!--rs:try ";
/// What the line that opens the fold starts with.
pub const EARLIER: &str = "<!--rs:earlier ";
/// The line that closes the fold.
pub const END: &str = "<!--rs:earlier-end--></details>";

/// The earlier attempts (newest first) after a block's latest one.
pub fn render(out: &mut String, prefix: &str, eol: &str, lang: &str, earlier: &[Outcome]) {
    if earlier.is_empty() {
        return;
    }
    let count = earlier.len();
    let plural = if count == 1 { "" } else { "s" };
    let _ = write!(
        out,
        "{prefix}{}<details><summary>{count} earlier attempt{plural}</summary>{eol}",
        marker::open("earlier", &[("count", count.to_string())]),
    );
    for (n, o) in earlier.iter().enumerate() {
        let mut attrs = outcome_attrs(o);
        if let Some(note) = &o.note {
            attrs.push(("note", note.clone()));
        }
        if let Some(fills) = super::write::fills_attr(o) {
            attrs.push(("fills", fills));
        }
        if let Some(tokens) = super::write::fills_from_file_attr(o) {
            attrs.push(("fills-from-file", tokens));
        }
        let line = if o.hosts.is_empty() {
            status_line(o)
        } else {
            super::hosts::status_line(o)
        };
        let label = format!("attempt {} · {line}", count - n);
        let _ = write!(
            out,
            "{prefix}{}{}{eol}",
            marker::open("try", &attrs),
            label.replace('&', "&amp;").replace('<', "&lt;")
        );
        if let Some(ran) = &o.ran {
            fenced(out, prefix, &format!("{lang} {{rs=ran}}"), ran, eol);
        }
        if !o.output.is_empty() {
            fenced(out, prefix, "text {rs=output}", &o.output, eol);
        }
        // A fleet block's attempt keeps each host's part, as the latest does.
        super::hosts::render(out, prefix, eol, &o.hosts);
    }
    let _ = write!(out, "{prefix}{END}{eol}");
}

/// The earlier attempt an attempt line's marker records, with what ran, what
/// it printed and (a fleet block) each host's part under it.
pub fn read(
    m: &Marker,
    ran: Option<String>,
    output: Option<String>,
    hosts: Vec<(Marker, Option<String>)>,
) -> Result<Outcome, String> {
    let mut o = super::attrs::outcome(m)?
        .ok_or_else(|| "an attempt line without id or status".to_string())?;
    o.note = m.get("note").map(str::to_string);
    (o.fills, o.fills_from_file) = super::attrs::fills(m);
    o.ran = ran;
    o.output = output.unwrap_or_default();
    for (h, out) in hosts {
        o.hosts.push(super::hosts::read(&h, out)?);
    }
    Ok(o)
}

/// The earlier attempts (newest first) of a step recorded inline, a task's
/// or a field's mark, as attributes of its marker: `tries` says how many,
/// and each is keyed by its place (`try1-status`, `try1-value`, ...), the
/// way a `boxes` marker keys each step it holds.
pub fn inline_attrs(earlier: &[Outcome]) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    if earlier.is_empty() {
        return attrs;
    }
    attrs.push(("tries".to_string(), earlier.len().to_string()));
    for (n, o) in earlier.iter().enumerate() {
        let key = |k: &str| format!("try{}-{k}", n + 1);
        attrs.push((key("status"), o.status.word().to_string()));
        attrs.push((key("at"), o.at.clone()));
        if o.ms > 0 {
            attrs.push((key("ms"), o.ms.to_string()));
        }
        if !o.reasons.is_empty() {
            let words: Vec<&str> = o.reasons.iter().map(|r| r.word()).collect();
            attrs.push((key("how"), words.join(",")));
        }
        if let Some(value) = &o.value {
            attrs.push((key("value"), value.clone()));
        }
        if let Some(note) = &o.note {
            attrs.push((key("note"), note.clone()));
        }
    }
    attrs
}

/// The earlier attempts, newest first, that `inline_attrs` wrote on the
/// marker of step `id`.
pub fn read_inline(id: &str, m: &Marker) -> Result<Vec<Outcome>, String> {
    read_keyed(id, m, "")
}

/// `read_inline` for a step of a `boxes` marker, whose keys end in `-{id}`
/// (`tries-s3`, `try1-status-s3`).
pub fn read_held(id: &str, m: &Marker) -> Result<Vec<Outcome>, String> {
    read_keyed(id, m, &format!("-{id}"))
}

fn read_keyed(id: &str, m: &Marker, suffix: &str) -> Result<Vec<Outcome>, String> {
    let count: usize = m
        .get(&format!("tries{suffix}"))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut earlier = Vec::new();
    for n in 1..=count {
        let get = |k: &str| m.get(&format!("try{n}-{k}{suffix}"));
        let status = get("status")
            .and_then(|s| s.parse::<crate::record::Status>().ok())
            .ok_or_else(|| format!("`{id}`: earlier attempt {n} has no status"))?;
        let mut o = Outcome::stamped(id.to_string(), status, get("at").unwrap_or("").into());
        o.ms = get("ms").and_then(|v| v.parse().ok()).unwrap_or(0);
        o.reasons = super::attrs::reasons(get("how"));
        o.value = get("value").map(str::to_string);
        o.note = get("note").map(str::to_string);
        earlier.push(o);
    }
    Ok(earlier)
}

/// What a task's or a field's mark shows of its earlier attempts, newest
/// first (` · 1 earlier attempt: ❌ NO-GO 03:37:29Z`): the answer each gave,
/// else its status, time and note.
pub fn inline_label(earlier: &[Outcome]) -> String {
    use crate::record::{ANSWERED_IN_FILE, Reason, Status, clock};
    if earlier.is_empty() {
        return String::new();
    }
    let count = earlier.len();
    let plural = if count == 1 { "" } else { "s" };
    let each: Vec<String> = earlier
        .iter()
        .map(|o| {
            let (icon, word) = match o.status {
                Status::Done => ("✅", "done"),
                Status::Failed => ("❌", "failed"),
                Status::Skipped => ("⏭️", "skipped"),
                Status::NotConfirmed => ("⚠️", "not confirmed"),
            };
            let time = clock(&o.at);
            match (&o.value, &o.note) {
                // Where an answer came from shows as a task's note does.
                (Some(value), _) if o.has(Reason::AnswersFile) => format!(
                    "{icon} {} {time} — {ANSWERED_IN_FILE}",
                    super::write::escape_inline(value)
                ),
                (Some(value), _) => {
                    format!("{icon} {} {time}", super::write::escape_inline(value))
                }
                (None, Some(note)) => {
                    format!(
                        "{icon} {word} {time} — {}",
                        super::write::escape_inline(note)
                    )
                }
                (None, None) => format!("{icon} {word} {time}"),
            }
        })
        .collect();
    format!(" · {count} earlier attempt{plural}: {}", each.join("; "))
}

/// The marker of an attempt line (`text` starts with one), if it is one.
pub fn marker(text: &str) -> Option<Marker> {
    marker::parse_open(text).filter(|m| m.kind == "try")
}

/// Whether `text` is the line that opens or closes the fold.
pub fn is_fold(text: &str) -> bool {
    text.starts_with(EARLIER) || text.starts_with(END)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::super::{read, render};
    use crate::doc::parse;
    use crate::record::{HostOutcome, HostStatus, Outcome, Reason, RunInfo, Status};
    use crate::source::Source;

    fn attempt(status: Status, at: &str, exit: i32, output: &str) -> Outcome {
        let mut o = Outcome::new("s2".into(), status);
        o.at = at.into();
        o.exit = Some(exit);
        o.ms = 20;
        o.output = output.into();
        o
    }

    #[test]
    fn earlier_attempts_are_folded_newest_first_and_read_back() {
        let text = "- [ ] Deploy\n  ```bash\n  ./deploy <b>\n  ```\n- [ ] Next\n";
        let source = Source::from_text(Path::new("d.md"), text.into());
        let book = parse(&source);
        let first = attempt(Status::Failed, "2026-11-21T05:11:01Z", 1, "not ready\n");
        let mut second = attempt(Status::Failed, "2026-11-21T05:11:30Z", 130, "");
        second.add(Reason::Interrupted);
        second.ran = Some("./deploy --edited <b>\n".into());
        let second = second.after(first);
        let last = attempt(Status::Done, "2026-11-21T05:12:30Z", 0, "ok\n").after(second);
        let outcomes = HashMap::from([("s2".to_string(), last.clone())]);
        let info = RunInfo {
            id: "r".into(),
            ..RunInfo::default()
        };
        let out = render(&source, &book, &outcomes, &info);
        let region: Vec<&str> = out
            .lines()
            .skip_while(|l| !l.contains("<!--rs:out"))
            .take_while(|l| !l.contains("<!--/rs:out"))
            .collect();
        assert!(region[0].contains("status=done"), "{out}");
        assert_eq!(
            region[4],
            "  <!--rs:earlier count=2--><details><summary>2 earlier attempts</summary>"
        );
        assert!(region[5].contains("status=failed") && region[5].contains("how=interrupted"));
        assert!(region[5].contains("attempt 2 · ⚠️ interrupted"), "{out}");
        assert!(region[6].starts_with("  ```bash {rs=ran}"), "{out}");
        let first_try = region
            .iter()
            .position(|l| l.contains("attempt 1 · "))
            .unwrap();
        assert!(first_try > 6, "the older attempt comes second:\n{out}");
        assert_eq!(*region.last().unwrap(), "  <!--rs:earlier-end--></details>");
        // No blank line: the list stays tight.
        assert!(!out.contains("\n\n"), "{out}");

        let back = read(Path::new("d.md"), &out).unwrap();
        assert_eq!(back.source, text);
        let got = &back.outcomes["s2"];
        assert_eq!(got.earlier.len(), 2);
        assert_eq!(got.earlier[0].ran, last.earlier[0].ran);
        assert_eq!(got.earlier[0].reasons, vec![Reason::Interrupted]);
        assert_eq!(got.earlier[1].output, "not ready\n");
        assert_eq!(got.earlier[1].at, "2026-11-21T05:11:01Z");
        assert_eq!(got.output, "ok\n");
        // The reading by layout finds them too.
        let layout = super::super::read::by_layout(Path::new("d.md"), &out, &out).unwrap();
        assert_eq!(layout.source, text);
        assert_eq!(layout.outcomes["s2"].earlier, got.earlier);
    }

    fn host(name: &str, status: HostStatus, exit: i32, output: &str) -> HostOutcome {
        let mut h = HostOutcome::new(name, status);
        h.at = "2026-11-21T05:11:01Z".into();
        h.exit = Some(exit);
        h.ms = 30;
        h.output = output.into();
        h
    }

    #[test]
    fn a_fleet_blocks_earlier_attempt_keeps_every_hosts_part() {
        let text = "```bash {on=\"web-[1:2]\"}\n./restart\n```\n";
        let source = Source::from_text(Path::new("d.md"), text.into());
        let book = parse(&source);
        let id = book.steps[0].id().to_string();
        let mut first = attempt(Status::Failed, "2026-11-21T05:11:01Z", 1, "");
        first.id = id.clone();
        first.hosts = vec![
            host("web-1", HostStatus::Done, 0, "restarted\n"),
            host("web-2", HostStatus::Failed, 1, "port busy\n"),
        ];
        let mut last = attempt(Status::Done, "2026-11-21T05:12:30Z", 0, "");
        last.id = id.clone();
        last.hosts = vec![
            host("web-1", HostStatus::Done, 0, "restarted again\n"),
            host("web-2", HostStatus::Done, 0, "restarted\n"),
        ];
        let last = last.after(first.clone());
        let outcomes = HashMap::from([(id.clone(), last.clone())]);
        let info = RunInfo {
            id: "r".into(),
            ..RunInfo::default()
        };
        let out = render(&source, &book, &outcomes, &info);
        assert!(out.contains("attempt 1 · 2 hosts: 1 ✓ 1 ✗"), "{out}");
        assert!(
            out.contains("port busy"),
            "the failed host's output is kept:\n{out}"
        );

        let back = read(Path::new("d.md"), &out).unwrap();
        assert_eq!(back.source, text);
        let got = &back.outcomes[&id];
        assert_eq!(got.hosts, last.hosts, "{out}");
        assert_eq!(got.earlier.len(), 1);
        assert_eq!(got.earlier[0].hosts, first.hosts, "{out}");
        let layout = super::super::read::by_layout(Path::new("d.md"), &out, &out).unwrap();
        assert_eq!(layout.outcomes[&id].hosts, last.hosts);
        assert_eq!(layout.outcomes[&id].earlier, got.earlier);
    }
}
