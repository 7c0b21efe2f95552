//! Reading a large document in pieces: the Markdown parser holds a tree of all
//! it is given, about six times the text, so a large runbook is cut before ATX
//! headings at the margin and read a piece at a time.

use std::ops::Range;

use super::markdown::{self, Event, Options, Tag};

/// Documents at least this long are parsed in pieces.
const PIECES_FROM: usize = 1 << 20;
/// The least size of a piece.
const PIECE: usize = 256 << 10;

/// The piece size a document of `len` bytes is read in: `None` reads it whole.
pub(super) fn piece_size(len: usize) -> Option<usize> {
    (len >= PIECES_FROM).then_some(PIECE)
}

/// Whether `body`, read with `options`, may be cut into pieces: a heading at
/// the margin ends every block but a fenced code block, an HTML block or front
/// matter, so a cut where none of those runs to the end of the piece reads the
/// same as the whole. With front matter the parser may take a later `---`
/// block for metadata too, which a cut could split; link and footnote
/// definitions reach across the whole document. Such documents are read whole.
pub(super) fn may_cut(body: &str, options: Options) -> bool {
    !markdown::reads_front_matter(options) && !has_definitions(body)
}

/// Events of one piece, with ranges within the piece.
pub(super) type PieceEvents<'a> = Vec<(Event<'a>, Range<usize>)>;

/// Gives `feed` the document's events piece by piece, with the offset each
/// piece starts at: the start, or an ATX heading at the margin.
pub(super) fn pieces<'a>(
    body: &'a str,
    options: Options,
    piece: usize,
    mut feed: impl FnMut(usize, &mut PieceEvents<'a>),
) {
    let cuts = heading_lines(body);
    let mut start = 0;
    // One buffer for every piece: a piece's events are fed, then dropped.
    let mut events: PieceEvents<'a> = Vec::new();
    while start < body.len() {
        // Where a cut is not safe, try one twice as far on: the work stays
        // in proportion to the document however few cuts are safe.
        let mut step = piece.max(1);
        loop {
            let end = cuts
                .iter()
                .copied()
                .find(|&c| c >= start + step)
                .unwrap_or(body.len());
            let text = &body[start..end];
            events.clear();
            events.extend(markdown::events_with(text, options));
            if end == body.len() || cut_is_safe(&events, text.len()) {
                feed(start, &mut events);
                start = end;
                break;
            }
            step = step.saturating_mul(2);
        }
    }
}

/// Starts of lines that open an ATX heading at the margin (`# `, `######`).
fn heading_lines(body: &str) -> Vec<usize> {
    let bytes = body.as_bytes();
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let hashes = bytes[at..].iter().take_while(|&&b| b == b'#').count();
        if (1..=6).contains(&hashes)
            && matches!(
                bytes.get(at + hashes),
                None | Some(b' ' | b'\t' | b'\r' | b'\n')
            )
            && at > 0
        {
            cuts.push(at);
        }
        match bytes[at..].iter().position(|&b| b == b'\n') {
            Some(i) => at += i + 1,
            None => break,
        }
    }
    cuts
}

/// Whether a heading right after a piece that gave `events` starts a new block
/// in the whole document too: no code block, HTML block or front matter runs
/// to the end of the piece (such a block would take the heading in).
fn cut_is_safe(events: &[(Event<'_>, Range<usize>)], len: usize) -> bool {
    !events.iter().any(|(event, range)| {
        range.end >= len
            && matches!(
                event,
                Event::Start(Tag::CodeBlock(_) | Tag::HtmlBlock | Tag::MetadataBlock(_))
                    | Event::Html(_)
            )
    })
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
    }
}
