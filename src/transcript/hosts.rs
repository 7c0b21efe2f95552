//! A fleet block in the transcript: under its summary line (`3 hosts: 2 ✓
//! 1 ✗`), one part per host in inventory order, each a marked line with its
//! status, exit code and duration, then what it printed there.
//!
//! ````markdown
//! <!--rs:out id=s2 status=failed at=… exit=1 ms=212-->3 hosts: 2 ✓ 1 ✗ · 0.21s · 05:11:01Z
//! <!--rs:host host=web-1 status=done at=… exit=0 ms=20-->web-1 · ✅ exit 0 · 0.02s
//! ```text {rs=output}
//! ok
//! ```
//! <!--rs:host host=web-2 status=failed at=… exit=1 ms=212-->web-2 · ❌ exit 1 · 0.21s
//! <!--/rs:out-->
//! ````

use std::fmt::Write as _;

use super::marker::{self, Marker};
use super::write::{duration, fenced};
use crate::record::{CWD_GONE, HostOutcome, HostStatus, Outcome, Reason, clock, hosts_summary};

/// What a host line opens with.
pub const HOST: &str = "<!--rs:host ";

/// The summary line of a fleet block.
pub fn status_line(o: &Outcome) -> String {
    let mut line = format!(
        "{} · {} · {}",
        hosts_summary(&o.hosts),
        duration(o.ms),
        clock(&o.at)
    );
    if o.has(Reason::Interrupted) {
        line.push_str(" · interrupted");
    }
    line
}

/// Each host's part, after the summary line.
pub fn render(out: &mut String, prefix: &str, eol: &str, hosts: &[HostOutcome]) {
    for h in hosts {
        let mut attrs = vec![
            ("host", h.host.clone()),
            ("status", h.status.word().to_string()),
            ("at", h.at.clone()),
        ];
        if let Some(exit) = h.exit {
            attrs.push(("exit", exit.to_string()));
        }
        if h.ms > 0 {
            attrs.push(("ms", h.ms.to_string()));
        }
        if !h.reasons.is_empty() {
            let words: Vec<&str> = h.reasons.iter().map(|r| r.word()).collect();
            attrs.push(("how", words.join(",")));
        }
        if let Some(note) = &h.note {
            attrs.push(("note", note.clone()));
        }
        let _ = write!(
            out,
            "{prefix}{}{}{eol}",
            marker::open("host", &attrs),
            label(h)
        );
        if !h.output.is_empty() {
            fenced(out, prefix, "text {rs=output}", &h.output, eol);
        }
    }
}

/// `web-2 · ❌ exit 1 · 0.21s · 05:11:01Z`: text of an HTML line, so `<`
/// and `&` are written as entities.
fn label(h: &HostOutcome) -> String {
    let took = duration(h.ms);
    let time = clock(&h.at);
    let exit = h.exit.unwrap_or(0);
    let note = h.note.as_deref().unwrap_or("");
    let text = match h.status {
        HostStatus::Failed if h.has(Reason::Timeout) => {
            format!("⏱️ timed out after {took} · {time}")
        }
        HostStatus::Failed if h.has(Reason::Interrupted) => {
            format!("⚠️ interrupted after {took} · {time}")
        }
        HostStatus::Failed if h.has(Reason::Refused) => format!("⛔ refused · {note}"),
        HostStatus::Done => format!("✅ exit {exit} · {took} · {time}"),
        HostStatus::Failed => format!("❌ exit {exit} · {took} · {time}"),
        HostStatus::Lost => format!("⚠️ {note} · after {took} · {time}"),
        HostStatus::Unreachable => format!("⛔ unreachable · {note}"),
        HostStatus::Skipped | HostStatus::Stopped => format!("⏭️ not run · {note}"),
    };
    let mut line = format!("{} · {text}", h.host);
    if h.has(Reason::Restarted) {
        line.push_str(" · the shell ended; a new session went on from the last saved state");
    }
    if h.has(Reason::CwdGone) {
        line.push_str(" · ");
        line.push_str(CWD_GONE);
    }
    line.replace('&', "&amp;").replace('<', "&lt;")
}

/// The host part a host line's marker records, with the output under it.
pub fn read(m: &Marker, output: Option<String>) -> Result<HostOutcome, String> {
    let host = m
        .get("host")
        .ok_or_else(|| "a host line without a host".to_string())?;
    let status: HostStatus = m
        .get("status")
        .unwrap_or_default()
        .parse()
        .map_err(|e| format!("host `{host}`: {e}"))?;
    let mut o = HostOutcome::new(host, status);
    o.at = m.get("at").unwrap_or_default().to_string();
    o.exit = m.get("exit").and_then(|e| e.parse().ok());
    o.ms = m.get("ms").and_then(|e| e.parse().ok()).unwrap_or(0);
    // Reasons a newer version wrote are left out rather than failing the read.
    o.reasons = m
        .get("how")
        .unwrap_or_default()
        .split(',')
        .filter_map(|w| w.parse().ok())
        .collect();
    o.note = m.get("note").map(str::to_string);
    o.output = output.unwrap_or_default();
    Ok(o)
}

/// The marker of a host line (`text` starts with one), if it is one.
pub fn marker(text: &str) -> Option<Marker> {
    marker::parse_open(text).filter(|m| m.kind == "host")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::super::{read, render};
    use crate::doc::parse;
    use crate::record::{HostOutcome, HostStatus, Outcome, Reason, RunInfo, Status};
    use crate::source::Source;

    fn host(name: &str, status: HostStatus, output: &str) -> HostOutcome {
        let mut h = HostOutcome::new(name, status);
        h.at = "2026-11-21T05:11:01Z".into();
        h.ms = 212;
        h.exit = matches!(status, HostStatus::Done | HostStatus::Failed)
            .then_some(i32::from(status == HostStatus::Failed));
        h.output = output.into();
        h
    }

    #[test]
    fn hosts_round_trip_by_parser_and_by_layout() {
        for text in [
            "# Deploy\n\n- [ ] Restart\n  ```bash {on=\"web-[1:3]\"}\n  systemctl restart app\n  ```\n- [ ] After\n",
            "> ```bash {on=web-1}\r\n> x\r\n> ```\r\n",
            "```bash {on=web-1}\nunclosed at the end",
        ] {
            let source = Source::from_text(Path::new("d.md"), text.into());
            let book = parse(&source);
            let cmd = book.steps.iter().find(|s| s.command().is_some()).unwrap();
            let mut o = Outcome::new(cmd.id(), Status::Failed);
            o.exit = Some(1);
            o.ms = 250;
            o.hosts = vec![
                host(
                    "web-1",
                    HostStatus::Done,
                    "ok\n```\n<!--rs:host host=x status=done-->\n",
                ),
                host("web-2", HostStatus::Failed, ""),
                host("web-3", HostStatus::Lost, "started\n"),
                host("web-4", HostStatus::Unreachable, ""),
                host("web-5", HostStatus::Skipped, ""),
            ];
            o.hosts[1].reasons = vec![Reason::Timeout];
            o.hosts[2].note = Some("connection lost --> <gone> & more".into());
            o.hosts[3].note =
                Some("ssh: connect to host 127.0.0.1 port 9: Connection refused (3 tries)".into());
            let outcomes = HashMap::from([(cmd.id(), o.clone())]);
            let info = RunInfo {
                id: "r".into(),
                source: "d.md".into(),
                sha256: crate::transcript::sha256(text),
                ..RunInfo::default()
            };
            let rendered = render(&source, &book, &outcomes, &info);
            assert!(
                rendered.contains("5 hosts: 1 ✓ 4 ✗ · 1 lost · 1 unreachable · 1 skipped"),
                "{rendered}"
            );
            // Text on an HTML line: no tag can open in it.
            assert!(rendered.contains("&lt;gone> &amp; more"), "{rendered}");
            let by_parser = read(Path::new("d.md"), &rendered).unwrap();
            let by_layout = super::super::read::by_layout(Path::new("d.md"), &rendered, &rendered)
                .expect("read by layout");
            for back in [by_parser, by_layout] {
                assert_eq!(back.source, text, "{rendered}");
                let got = &back.outcomes[&cmd.id()].hosts;
                assert_eq!(got.len(), 5, "{rendered}");
                for (g, want) in got.iter().zip(&o.hosts) {
                    assert_eq!(
                        (
                            &g.host,
                            g.status,
                            g.exit,
                            g.ms,
                            &g.reasons,
                            &g.note,
                            g.output.trim_end()
                        ),
                        (
                            &want.host,
                            want.status,
                            want.exit,
                            want.ms,
                            &want.reasons,
                            &want.note,
                            want.output.trim_end()
                        ),
                        "{rendered}"
                    );
                }
            }
        }
    }
}
