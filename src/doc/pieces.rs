//! Reading a large document in pieces: the Markdown parser holds a tree of all
//! it is given, about six times the text, so a large runbook is cut before ATX
//! headings at the margin and read a piece at a time.

use std::ops::Range;
use std::sync::mpsc;
use std::thread;

use super::markdown::{self, Event, Options, Tag, TagEnd};

/// Documents at least this long are parsed in pieces.
const PIECES_FROM: usize = 1 << 20;
/// The least size of a piece. The events of a few pieces are held at once
/// (one walked, a couple read ahead), so this bounds what reading takes
/// beside the steps: smaller pieces cost a few more cuts, nothing more.
const PIECE: usize = 64 << 10;

/// The piece size a document of `len` bytes is read in: `None` reads it whole.
pub(super) fn piece_size(len: usize) -> Option<usize> {
    (len >= PIECES_FROM).then_some(PIECE)
}

/// Whether `body`, read with `options`, may be cut into pieces: a heading at
/// the margin ends every block but a fenced code block, an HTML block or front
/// matter, so a cut where none of those runs to the end of the piece reads the
/// same as the whole. With front matter the parser takes any later `---` line
/// that opens a block, up to the next such line, for metadata too, which a
/// cut could split; link and footnote definitions reach across the whole
/// document. Such documents are read whole.
pub(super) fn may_cut(body: &str, options: Options) -> bool {
    if has_definitions(body) {
        return false;
    }
    if !markdown::reads_front_matter(options) {
        return true;
    }
    // Cuts come after the front matter (see `pieces_at`); after it, a line
    // ending in `---` anywhere, in any container, might open metadata.
    let Some(end) = markdown::front_matter_end(body) else {
        return false;
    };
    !ends_a_line_with_dashes(&body.as_bytes()[end..])
}

/// Whether a line of `text` ends in `---` (spaces, tabs and carriage
/// returns after it aside). Only lines holding `---` are looked at: a
/// search for it runs over a large document many times faster than a
/// look at each of its lines.
fn ends_a_line_with_dashes(text: &[u8]) -> bool {
    let dashes = memchr::memmem::Finder::new(b"---");
    let mut at = 0;
    while let Some(i) = dashes.find(&text[at..]) {
        let line_end = memchr::memchr(b'\n', &text[at + i..]).map_or(text.len(), |j| at + i + j);
        // Trimmed at the right only: a line break stops the trim, so what
        // ends the trimmed text is this line's.
        let kept = text[..line_end]
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'))
            .map_or(0, |k| k + 1);
        if text[..kept].ends_with(b"---") {
            return true;
        }
        at = line_end + 1;
        if at >= text.len() {
            break;
        }
    }
    false
}

/// Events of one piece, with ranges within the piece.
pub(super) type PieceEvents<'a> = Vec<(Event<'a>, Range<usize>)>;

/// Gives `feed` the document's events piece by piece, with the offset each
/// piece starts at: the start, or an ATX heading at the margin.
pub(super) fn pieces<'a>(
    body: &'a str,
    options: Options,
    piece: usize,
    feed: impl FnMut(usize, &mut PieceEvents<'a>),
) {
    pieces_at(body, options, piece, &heading_lines(body), feed);
}

/// `pieces`, cut only at offsets of `cuts` (line starts, ascending) where
/// the cut is safe.
pub(super) fn pieces_at<'a>(
    body: &'a str,
    options: Options,
    piece: usize,
    cuts: &[usize],
    mut feed: impl FnMut(usize, &mut PieceEvents<'a>),
) {
    // Never cut inside front matter: a piece would not see it close.
    let first = if markdown::reads_front_matter(options) {
        markdown::front_matter_end(body).unwrap_or(body.len())
    } else {
        0
    };
    let cuts = &cuts[cuts.partition_point(|&c| c < first)..];
    let mut start = 0;
    // One buffer for every piece: a piece's events are fed, then dropped.
    let mut events: PieceEvents<'a> = Vec::new();
    while start < body.len() {
        // Where a cut is not safe, try one twice as far on: the work stays
        // in proportion to the document however few cuts are safe.
        let mut step = piece.max(1);
        loop {
            let end = cuts
                .get(cuts.partition_point(|&c| c < start + step))
                .copied()
                .unwrap_or(body.len());
            let text = &body[start..end];
            events.clear();
            events.extend(markdown::events_with(text, options));
            if end == body.len() || cut_is_safe(&events, text) {
                feed(start, &mut events);
                start = end;
                break;
            }
            step = step.saturating_mul(2);
        }
    }
}

/// `pieces`, with the Markdown parser on a second thread: `feed` gets each
/// piece's events on this one, in order, with `state`, while the next
/// pieces are read. When the pieces are read, the second thread does `then`
/// while this one does `finish` with the state; both results are returned.
/// Where no thread can be started, all is done here.
pub(super) fn read_aside<'a, S, T: Send, R>(
    body: &'a str,
    options: Options,
    piece: usize,
    mut state: S,
    mut feed: impl FnMut(&mut S, usize, &mut PieceEvents<'a>),
    then: impl Fn() -> T + Sync,
    finish: impl FnOnce(S) -> R,
) -> (R, T) {
    // A few pieces read ahead at most: the parser's memory stays bounded.
    const AHEAD: usize = 2;
    std::thread::scope(|scope| {
        let (full, read) = mpsc::sync_channel::<(usize, PieceEvents<'a>)>(AHEAD);
        // Emptied buffers go back, so that the pieces share a few of them.
        let (empty, emptied) = mpsc::channel::<PieceEvents<'a>>();
        let then = &then;
        let reader = thread::Builder::new()
            .name("pieces".into())
            .spawn_scoped(scope, move || {
                pieces(body, options, piece, |at, events| {
                    let spare = emptied.try_recv().unwrap_or_default();
                    // An error means nobody reads on (the walk panicked):
                    // the pieces left are read and dropped.
                    let _ = full.send((at, std::mem::replace(events, spare)));
                });
                then()
            });
        let Ok(reader) = reader else {
            pieces(body, options, piece, |at, events| {
                feed(&mut state, at, events)
            });
            return (finish(state), then());
        };
        for (at, mut events) in read {
            feed(&mut state, at, &mut events);
            events.clear();
            let _ = empty.send(events);
        }
        let finished = finish(state);
        match reader.join() {
            Ok(found) => (finished, found),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Starts of lines that open an ATX heading at the margin (`# `, `######`).
fn heading_lines(body: &str) -> Vec<usize> {
    let bytes = body.as_bytes();
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if at > 0 && is_heading(&bytes[at..]) {
            cuts.push(at);
        }
        match memchr::memchr(b'\n', &bytes[at..]) {
            Some(i) => at += i + 1,
            None => break,
        }
    }
    cuts
}

/// Starts of lines that open a block at the margin whatever came before:
/// an ATX heading, or a bullet list item with text (`- [ ] step`), which
/// ends a paragraph, a quote and any list item less indented than itself.
/// Cutting before a list item splits a list in two, so only readers that
/// look at code blocks, not at lists, cut there.
pub(super) fn block_lines(body: &str) -> Vec<usize> {
    let bytes = body.as_bytes();
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let line = &bytes[at..];
        let item = matches!(line[0], b'-' | b'*' | b'+')
            && line.get(1) == Some(&b' ')
            // Not a thematic break (`- - -`), not an empty item.
            && line.get(2).is_some_and(|b| !b"-*_ \t\r\n".contains(b));
        if at > 0 && (item || is_heading(line)) {
            cuts.push(at);
        }
        match memchr::memchr(b'\n', &bytes[at..]) {
            Some(i) => at += i + 1,
            None => break,
        }
    }
    cuts
}

/// Whether `line` opens an ATX heading: one to six `#` and a space or the end.
fn is_heading(line: &[u8]) -> bool {
    let hashes = line.iter().take_while(|&&b| b == b'#').count();
    (1..=6).contains(&hashes)
        && matches!(line.get(hashes), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

/// Whether a heading or list item at the margin right after a piece that
/// gave `events` starts a new block in the whole document too: no unclosed
/// code block, no HTML block, table or front matter runs to the end of the
/// piece (such a block would take the line in).
fn cut_is_safe(events: &[(Event<'_>, Range<usize>)], text: &str) -> bool {
    let mut check = CutCheck::default();
    for (event, range) in events {
        check.see(event, range, text);
    }
    check.safe()
}

/// `cut_is_safe`, judged one event at a time, so that the events need not
/// be kept.
#[derive(Default)]
struct CutCheck {
    /// The end of the last text inside the code block being read.
    text_end: Option<usize>,
    open_at: Option<Range<usize>>,
    /// A block reaches the end of the piece.
    runs_on: bool,
}

impl CutCheck {
    /// Takes in the next event of the piece `text`.
    fn see(&mut self, event: &Event<'_>, range: &Range<usize>, text: &str) {
        let len = text.len();
        match event {
            Event::Start(Tag::CodeBlock(_)) => {
                self.open_at = Some(range.clone());
                self.text_end = None;
            }
            Event::Text(_) if self.open_at.is_some() => self.text_end = Some(range.end),
            Event::End(TagEnd::CodeBlock) => {
                let Some(block) = self.open_at.take() else {
                    return;
                };
                // A block that reaches the end of the piece is closed when a
                // line (its closing fence) follows its last text, or, empty,
                // when it is more than its opening line.
                let closed = match self.text_end {
                    Some(end) => end < block.end,
                    None => text[block.clone()].trim_end_matches('\n').contains('\n'),
                };
                if block.end >= len && !closed {
                    self.runs_on = true;
                }
            }
            Event::Start(Tag::HtmlBlock | Tag::MetadataBlock(_) | Tag::Table(_))
            | Event::Html(_)
                if range.end >= len =>
            {
                self.runs_on = true;
            }
            _ => {}
        }
    }

    /// Whether the cut after the events seen is safe.
    fn safe(&self) -> bool {
        !self.runs_on && self.open_at.is_none()
    }
}

/// The events of one half of a document, with ranges within the half.
pub type HalfEvents<'h, 'a> = &'h mut dyn Iterator<Item = (Event<'a>, Range<usize>)>;

/// Reads a large `body` (with `options`) in two halves at once, cut before
/// the first ATX heading at the margin past its middle: `walk` is given the
/// offset a half starts at in `body` and its events, the first half's on
/// this thread while a second thread walks the second half's. Both results
/// are returned, the first half's first. `None` (and nothing to use) when
/// the body is small, may not be cut (see `may_cut`), has no heading to cut
/// at, or its first half's last block runs on past the cut: then the caller
/// reads it whole, which these halves read the same as where it is `Some`.
pub fn in_halves<'a, T: Send>(
    body: &'a str,
    options: Options,
    walk: impl Fn(usize, HalfEvents<'_, 'a>) -> T + Sync,
) -> Option<(T, T)> {
    if piece_size(body.len()).is_none() || !may_cut(body, options) {
        return None;
    }
    // Never cut inside front matter (see `pieces_at`).
    let first = if markdown::reads_front_matter(options) {
        markdown::front_matter_end(body)?
    } else {
        0
    };
    let cut = heading_after(body, (body.len() / 2).max(first))?;
    let (head, tail) = body.split_at(cut);
    let walk = &walk;
    thread::scope(|scope| {
        let second = thread::Builder::new()
            .name("half".into())
            .spawn_scoped(scope, move || {
                walk(cut, &mut markdown::events_with(tail, options))
            })
            .ok()?;
        let mut check = CutCheck::default();
        let mut events =
            markdown::events_with(head, options).inspect(|(e, r)| check.see(e, r, head));
        let first = walk(0, &mut events);
        // What `walk` left unread (it stopped at an error) still decides
        // whether the cut is safe.
        events.for_each(drop);
        let second = match second.join() {
            Ok(found) => found,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        check.safe().then_some((first, second))
    })
}

/// The start of the first line after the one `from` is on that opens an
/// ATX heading at the margin.
fn heading_after(body: &str, from: usize) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut at = from + memchr::memchr(b'\n', bytes.get(from..)?)? + 1;
    while at < bytes.len() {
        if is_heading(&bytes[at..]) {
            return Some(at);
        }
        at += memchr::memchr(b'\n', &bytes[at..])? + 1;
    }
    None
}

/// Whether the text may define link references or footnotes (`[x]: ...`,
/// in any container), which apply across the whole document.
fn has_definitions(body: &str) -> bool {
    body.contains("]:")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::doc::parse::{Runners, parse_pieces};
    use crate::source::Source;

    /// The search for lines ending in `---` finds what a look at every
    /// line finds.
    #[test]
    fn lines_ending_in_dashes_are_found_as_line_by_line() {
        const BITS: &[&str] = &["-", "--", "---", " ", "\t", "\r", "\n", "x", "# "];
        let mut rng = fastrand::Rng::with_seed(0x5eed_da5e_2026_1130);
        for _ in 0..20_000 {
            let text: String = (0..rng.usize(0..12))
                .map(|_| BITS[rng.usize(..BITS.len())])
                .collect();
            let by_line = text
                .split('\n')
                .any(|line| line.trim_end_matches([' ', '\t', '\r']).ends_with("---"));
            assert_eq!(
                ends_a_line_with_dashes(text.as_bytes()),
                by_line,
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_document_reads_the_same_in_pieces_as_whole() {
        for text in [
            "# A\n- [ ] one\n  ```bash\n  echo 1\n  ```\n# B\n- [ ] two\n",
            "# A\n```bash\nunclosed\n# not a heading\n```\n# B\n- [ ] b\n",
            "# A\n<div>\n# inside html\n</div>\n\n# B\n- [ ] b\n",
            "# A\n- item\n  ```sh\n  in the item\n# B ends it\n- [ ] b\n",
            "> - [ ] quoted\n# B\n> lazy? no\n",
            "# A\n<!--\n# in a comment\n-->\n# B\n- [ ] b: `____`\n",
            "# A\n[ref]\n# B\n[ref]: https://example.com\n- [ ] b\n",
            "---\ntitle: t\n---\n# A\n---\n# inside?\n---\n- [ ] a\n",
            "# A\r\n- [ ] crlf\r\n#B not a heading\r\n# C\r\n- [ ] c\r\n",
            "Para\n# A\n    indented\n# B\n| a | b |\n|---|---|\n| ____ | x |\n# C\n",
            "---\ntitle: t\n# yaml comment\n---\n# A\n```bash\nx\n```\n# B\n- [ ] b\n",
            "---\ntitle: t\n---\n# A\n```bash\nunclosed\n# B\n```\n# C\n- [ ] c\n",
            "# A\n```bash\n```\n# B\n- [ ] b\n  ```bash\n  x\n  ```\n# C\n- [ ] c\n",
        ] {
            let source = Source::from_text(Path::new("t.md"), text.to_string());
            let runners = Runners::new();
            assert_eq!(
                format!("{:?}", parse_pieces(&source, &runners, None)),
                format!("{:?}", parse_pieces(&source, &runners, Some(1))),
                "{text:?}"
            );
        }
        let cuts = heading_lines("# A\ntext\n## B\n#C\n####### D\n###\n");
        assert_eq!(cuts, [9, 27]);
        let text = "- [ ] a\n# B\n- - -\n* x\n-\n+ y\n  - [ ] nested\n-- no\n";
        let cuts: Vec<&str> = block_lines(text)
            .iter()
            .map(|&at| text[at..].lines().next().unwrap_or(""))
            .collect();
        assert_eq!(cuts, ["# B", "* x", "+ y"]);
    }

    /// Seeded random documents of lines that open and close every kind of
    /// block (lists, quotes, fences of every kind, HTML, front matter,
    /// contingency sections), cut before every heading a cut may go (or
    /// into pieces of 64 bytes and more): read in pieces on a second
    /// thread, each reads exactly as it does whole.
    #[test]
    fn generated_documents_read_the_same_in_pieces_as_whole() {
        const LINES: &[&str] = &[
            "# Deploy",
            "## Rollback",
            "### [ ] Heading task",
            "## Emergency: if the deploy fails",
            "If it fails, do this instead.",
            "- [ ] Check `Yes / No`",
            "- [x] Done already: ____",
            "  - [ ] nested <release-tag>",
            "1. [ ] First",
            "> - [ ] quoted",
            "> ```bash",
            "```bash",
            "```bash {timeout=30s name=up}",
            "```bash {bogus=1}",
            "```console",
            "```text",
            "```yaml",
            "```cobol",
            "````markdown",
            "````",
            "  ```bash",
            "  ```",
            "~~~sh",
            "~~~",
            "```",
            "$ kubectl delete pod <pod-name>",
            "echo \"$PART\" && psql -c 'drop table t'",
            "[ ] box in a fence",
            "error: output",
            "<div>",
            "</div>",
            "<!--",
            "-->",
            "<!-- runsheet: contingency -->",
            "| a | b |",
            "|---|---|",
            "    indented",
            "---",
            "",
            "**Expected**: ok",
            "Then: ____ ms",
        ];
        let mut rng = fastrand::Rng::with_seed(0x5eed_f00d_2026_0014);
        let runners = Runners::new();
        for _ in 0..2000 {
            let mut text = String::new();
            if rng.u8(..4) == 0 {
                text.push_str("---\ntitle: t\n---\n");
            }
            for _ in 0..rng.usize(4..40) {
                text.push_str(LINES[rng.usize(..LINES.len())]);
                text.push('\n');
            }
            let source = Source::from_text(Path::new("t.md"), text.clone());
            let whole = format!("{:?}", parse_pieces(&source, &runners, None));
            for piece in [1, 64] {
                let cut = format!("{:?}", parse_pieces(&source, &runners, Some(piece)));
                assert_eq!(whole, cut, "piece {piece}: {text:?}");
            }
        }
    }
}
