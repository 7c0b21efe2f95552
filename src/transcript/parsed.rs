//! The first reading of a transcript: its markers are the HTML the Markdown
//! parser finds (see `read` for why there are two readings).

use std::ops::Range;
use std::path::Path;

use super::marker::{self, Marker};
use super::read::{Reading, Region, Transcript};
use crate::doc::markdown::{self, CodeBlockKind, Event, Tag, TagEnd};
use crate::error::Result;

/// The first reading: markers are the HTML the Markdown parser finds. A
/// large transcript is read in two halves at once where it can be cut (the
/// halves find what reading it whole finds; see `doc::in_halves`).
pub(super) fn by_parser(path: &Path, original: &str, text: &str) -> Result<Transcript> {
    // Parse as the document parser does: after a byte-order mark.
    let base = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = &text[base..];
    let options = markdown::options(body);
    let regions = marker::closing_markers(text);
    let halves = crate::doc::in_halves(body, options, |at, events| {
        // The first half's reading takes in the second's: room for all.
        // The second's needs room for its own only (an outcome is about
        // 300 bytes, and its slots are touched all over).
        let room = if at == 0 {
            regions
        } else {
            marker::closing_markers(&body[at..])
        };
        Walk::new(Reading::sized(path, text, room), base + at).walk(events)
    });
    match halves {
        // A region, mark or code block left open at the cut would be read
        // on across it: only a first half that closed all it opened may be
        // joined to the second.
        Some((Ok(first), second)) if first.settled() => {
            let second = second?.closed()?;
            let mut r = first.r;
            r.take(second);
            r.finish(original)
        }
        Some((Err(e), _)) => Err(e),
        _ => whole(path, original, text),
    }
}

/// `by_parser`, the transcript read whole on this thread.
fn whole(path: &Path, original: &str, text: &str) -> Result<Transcript> {
    let base = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = &text[base..];
    Walk::new(Reading::whole(path, text), base)
        .walk(&mut markdown::events(body))?
        .closed()?
        .finish(original)
}

/// A walk over the parser's events of (part of) a transcript, collecting
/// what its markers record.
struct Walk<'a> {
    r: Reading<'a>,
    /// Where the text the events' ranges are in starts in the transcript.
    base: usize,
    /// The region being read.
    open: Option<Region>,
    /// An inline mark whose closing marker is still to come.
    inline: Option<(Marker, usize)>,
    /// A code block inside a region being read: what its info string says
    /// it holds, and its text.
    code: Option<(Block, String)>,
}

impl<'a> Walk<'a> {
    fn new(r: Reading<'a>, base: usize) -> Self {
        Walk {
            r,
            base,
            open: None,
            inline: None,
            code: None,
        }
    }

    /// Takes in every event of `events`; stops at the first damaged marker.
    fn walk<'e>(
        mut self,
        events: &mut dyn Iterator<Item = (Event<'e>, Range<usize>)>,
    ) -> Result<Self> {
        for (event, range) in events {
            let range = range.start + self.base..range.end + self.base;
            self.event(event, range)?;
        }
        Ok(self)
    }

    /// Whether nothing the walk opened is still open.
    fn settled(&self) -> bool {
        self.open.is_none() && self.inline.is_none() && self.code.is_none()
    }

    /// The reading, once the whole text is walked: a region never closed
    /// is damage.
    fn closed(self) -> Result<Reading<'a>> {
        if let Some(o) = self.open {
            return Err(self.r.damaged(
                o.start,
                format!(
                    "the `{}` region that starts here is never closed",
                    o.marker.kind
                ),
            ));
        }
        Ok(self.r)
    }

    /// Takes in one event, whose range is in the transcript.
    fn event(&mut self, event: Event<'_>, range: Range<usize>) -> Result<()> {
        let r = &mut self.r;
        let text = r.text;
        match event {
            Event::Html(html) if marker::is_open(&html) && self.open.is_none() => {
                let m = marker::parse_open(&html)
                    .ok_or_else(|| r.damaged(range.start, "an unreadable marker".into()))?;
                let start = r.region_start(&m, range.start)?;
                self.open = Some(Region::new(m, start));
            }
            Event::Html(html) if html.starts_with(super::attempts::TRY) => {
                if let (Some(o), Some(m)) = (self.open.as_mut(), super::attempts::marker(&html)) {
                    o.tries.push((m, None, None, Vec::new()));
                }
            }
            Event::Html(html) if html.starts_with(super::hosts::HOST) => {
                if let (Some(o), Some(m)) = (self.open.as_mut(), super::hosts::marker(&html)) {
                    // After an attempt line, a host line is that attempt's.
                    match o.tries.last_mut() {
                        Some((_, _, _, hosts)) => hosts.push((m, None)),
                        None => o.hosts.push((m, None)),
                    }
                }
            }
            Event::Html(html) if marker::is_close(&html) => {
                let kind = marker::parse_close(&html).unwrap_or("");
                let Some(o) = self.open.take() else {
                    return Err(r.damaged(
                        range.start,
                        format!("a closing `{kind}` marker with no opening one"),
                    ));
                };
                if o.marker.kind != kind {
                    return Err(r.damaged(
                        range.start,
                        format!(
                            "a region opened as `{}` is closed as `{kind}`",
                            o.marker.kind
                        ),
                    ));
                }
                let end = text[range.start..]
                    .find('\n')
                    .map_or(text.len(), |i| range.start + i + 1);
                r.region(o, end)?;
            }
            Event::InlineHtml(html) if marker::is_open(&html) => {
                let m = marker::parse_open(&html)
                    .ok_or_else(|| r.damaged(range.start, "an unreadable marker".into()))?;
                self.inline = Some((m, range.start));
            }
            Event::InlineHtml(html) if marker::is_close(&html) => {
                let Some((m, start)) = self.inline.take() else {
                    return Err(
                        r.damaged(range.start, "a closing marker with no opening one".into())
                    );
                };
                r.inline(&m, start, range.end)?;
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) if self.open.is_some() => {
                // Its text comes a line at a time: room for the whole block
                // at once. Text kept by nobody is not collected.
                let block = Block::of(&info);
                let room = if block == Block::Other {
                    0
                } else {
                    range.len()
                };
                self.code = Some((block, String::with_capacity(room)));
            }
            Event::Text(t) if self.code.is_some() => {
                if let Some((block, body)) = self.code.as_mut()
                    && *block != Block::Other
                {
                    body.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let (Some((block, body)), Some(o)) = (self.code.take(), self.open.as_mut()) {
                    if let Some((_, ran, out, hosts)) = o.tries.last_mut() {
                        if block == Block::Output {
                            match hosts.last_mut() {
                                Some((_, host_out)) => *host_out = Some(body),
                                None => *out = Some(body),
                            }
                        } else if block == Block::Ran {
                            *ran = Some(body);
                        }
                    } else if block == Block::Output {
                        match o.hosts.last_mut() {
                            Some((_, out)) => *out = Some(body),
                            None => o.output = Some(body),
                        }
                    } else if block == Block::Ran {
                        o.ran = Some(body);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// What a code block inside a region holds, by its info string.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Output,
    Ran,
    Other,
}

impl Block {
    /// Told from the info string once, when the block opens, instead of
    /// keeping a copy of it.
    fn of(info: &str) -> Block {
        if info.contains("{rs=output}") {
            Block::Output
        } else if info.contains("{rs=ran}") {
            Block::Ran
        } else {
            Block::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::doc::parse;
    use crate::record::{Outcome, RunInfo, RunState, Status};
    use crate::source::Source;

    /// A transcript of `sections` sections of ten blocks each, every block
    /// with an outcome whose output holds `output`, some with an earlier
    /// attempt, a note or an edited command.
    fn transcript(sections: usize, output: &str) -> String {
        let mut doc = String::from("# Steps\n\n");
        for s in 0..sections {
            doc.push_str(&format!("## Section {s}\n\n- [ ] Check {s}\n\n"));
            for n in 0..10 {
                doc.push_str(&format!("```bash\necho {s}.{n}\n```\n\n"));
            }
        }
        let source = Source::from_text(Path::new("t.md"), doc);
        let book = parse(&source);
        let outcomes: HashMap<String, Outcome> = book
            .steps
            .iter()
            .enumerate()
            .map(|(n, step)| {
                let mut o = Outcome::new(step.id(), [Status::Done, Status::Failed][n % 2]);
                if step.command().is_some() {
                    o.exit = Some(n as i32 % 2);
                    o.ms = n as u64;
                    o.output = format!("{output}line {n}\n");
                    if n % 7 == 0 {
                        o.ran = Some(format!("echo edited {n}\n"));
                    }
                    if n % 5 == 0 {
                        let mut before = Outcome::new(step.id(), Status::Failed);
                        before.exit = Some(2);
                        before.output = format!("first try {n}\n");
                        o = o.after(before);
                    }
                } else {
                    o.note = Some(format!("note {n}"));
                }
                (step.id(), o)
            })
            .collect();
        let info = RunInfo {
            id: "r".into(),
            source: "t.md".into(),
            sha256: crate::source::sha256(&source.text),
            state: RunState::Complete,
            ..RunInfo::default()
        };
        super::super::render(&source, &book, &outcomes, &info)
    }

    /// Whether the halves of `text` can be read at once.
    fn cut(text: &str) -> bool {
        crate::doc::in_halves(text, markdown::options(text), |_, events| events.count()).is_some()
    }

    fn same(a: &Transcript, b: &Transcript) {
        assert_eq!(a.source, b.source);
        assert_eq!(a.info, b.info);
        assert_eq!(a.outcomes, b.outcomes);
        assert_eq!(a.stray_markers, b.stray_markers);
    }

    #[test]
    fn a_large_transcript_reads_the_same_in_halves_as_whole() {
        let path = Path::new("t.md");
        let text = transcript(800, "");
        assert!(text.len() > 1 << 20 && cut(&text));
        let halves = by_parser(path, &text, &text).unwrap();
        same(&halves, &whole(path, &text, &text).unwrap());
        assert_eq!(halves.outcomes.len(), 800 * 11);
        assert!(halves.info.is_some());
        // Outputs with heading-like lines at the margin: the first such line
        // past the middle is inside a code block, no place to cut.
        let text = transcript(800, "# not a heading\n");
        assert!(!cut(&text));
        same(
            &by_parser(path, &text, &text).unwrap(),
            &whole(path, &text, &text).unwrap(),
        );
    }

    #[test]
    fn damage_in_either_half_is_reported_where_reading_whole_reports_it() {
        let path = Path::new("t.md");
        let text = transcript(800, "");
        for at in [text.len() / 4, text.len() * 3 / 4] {
            let (close, _) = text
                .match_indices("<!--/rs:out-->")
                .find(|(i, _)| *i >= at)
                .unwrap();
            let mut damaged = text.clone();
            damaged.replace_range(close..close + 14, "<!--/rs:sec-->");
            let halves = by_parser(path, &damaged, &damaged).unwrap_err().to_string();
            assert!(halves.contains("closed as `sec`"), "{halves}");
            assert_eq!(
                halves,
                whole(path, &damaged, &damaged).unwrap_err().to_string()
            );
        }
    }
}
