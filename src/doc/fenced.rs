//! Where the fenced code blocks of a text are, without reading it into steps:
//! the template module asks this to know which values land inside a block.

use std::ops::Range;

use super::markdown::{self, CodeBlockKind, Event, Tag, TagEnd};
use super::pieces;
use crate::exec::runner::{Language, Runner, Runners, language};

/// One fenced code block of a text, by byte ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FencedBlock {
    /// The language word of the info string, lower case (`bash`, `python`).
    pub lang: String,
    /// The info string on the opening line, after the fence characters.
    pub info: Range<usize>,
    /// The block's content: from the line after the opening fence to the
    /// start of the closing fence line (or the end of the block if unclosed).
    pub body: Range<usize>,
    /// Where the language word ends (an offset in the text).
    pub lang_end: usize,
}

/// Texts at least this long are read in pieces of about `PIECE` bytes.
const PIECES_FROM: usize = 128 << 10;
const PIECE: usize = 32 << 10;

/// The fenced code blocks of `text`, in document order. Blocks inside lists
/// and quotes are found too; indented code blocks are not fenced blocks.
pub fn fenced_blocks(text: &str) -> Vec<FencedBlock> {
    let mut blocks = Vec::new();
    each_fenced_block(text, |b| blocks.push(b));
    blocks
}

/// Gives `found` the fenced code blocks of `text`, in document order. A
/// large text is read in pieces, cut before headings and list items at the
/// margin: the parser's tree of a piece is what is held, not the whole
/// text's, about six times its size.
pub fn each_fenced_block(text: &str, found: impl FnMut(FencedBlock)) {
    each_in_pieces(text, (text.len() >= PIECES_FROM).then_some(PIECE), found);
}

/// `each_fenced_block`, reading pieces of at least `piece` bytes, or the
/// whole text (`None`).
fn each_in_pieces(text: &str, piece: Option<usize>, mut found: impl FnMut(FencedBlock)) {
    let options = markdown::options(text);
    let mut open = None;
    if let Some(piece) = piece.filter(|_| pieces::may_cut(text, options)) {
        let cuts = pieces::block_lines(text);
        pieces::pieces_at(text, options, piece, &cuts, |at, events| {
            for (event, range) in events.drain(..) {
                block_event(
                    text,
                    &event,
                    range.start + at..range.end + at,
                    &mut open,
                    &mut found,
                );
            }
        });
    } else {
        for (event, range) in markdown::events_with(text, options) {
            block_event(text, &event, range, &mut open, &mut found);
        }
    }
}

/// An opening fence read, until its block ends: info range, language, body
/// start, language end.
type Open = (Range<usize>, String, usize, usize);

fn block_event(
    text: &str,
    event: &Event<'_>,
    range: Range<usize>,
    open: &mut Option<Open>,
    found: &mut impl FnMut(FencedBlock),
) {
    match event {
        Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
            let line_end = text[range.start..range.end]
                .find('\n')
                .map_or(range.end, |i| range.start + i);
            let opener = &text[range.start..line_end];
            let fence_char = opener.as_bytes().first().copied().unwrap_or(b'`');
            let marker = opener.bytes().take_while(|&b| b == fence_char).count();
            let info_start = range.start + marker;
            let info_end =
                line_end - usize::from(text[..line_end].ends_with('\r') && line_end > info_start);
            let trimmed = info.trim_start();
            let lang_len = trimmed
                .find(|c: char| c.is_whitespace() || c == '{')
                .unwrap_or(trimmed.len());
            let lang = trimmed[..lang_len].to_ascii_lowercase();
            let raw_info = &text[info_start..info_end];
            let lead = raw_info.len() - raw_info.trim_start().len();
            let lang_end = (info_start + lead + lang_len).min(info_end);
            let body_start = (line_end + 1).min(range.end);
            *open = Some((info_start..info_end, lang, body_start, lang_end));
        }
        Event::End(TagEnd::CodeBlock) => {
            let Some((info, lang, body_start, lang_end)) = open.take() else {
                return;
            };
            let last_start = text[..range.end]
                .trim_end_matches(['\n', '\r'])
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let last = text[last_start..range.end].trim();
            let closes = last.len() >= 3
                && (last.bytes().all(|b| b == b'`') || last.bytes().all(|b| b == b'~'))
                && last_start >= body_start;
            let body_end = if closes { last_start } else { range.end };
            found(FencedBlock {
                lang,
                info,
                body: body_start..body_end.max(body_start),
                lang_end,
            });
        }
        _ => {}
    }
}

/// How a block of `lang` runs (the built-in table and runsheet.toml's
/// `[runners]`); `None` when such a block is shown, not run.
pub fn runner_of(lang: &str, runners: &Runners) -> Option<Runner> {
    match language(lang, runners) {
        Language::Run(runner) => Some(runner),
        Language::Shown | Language::NoRunner => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_with_their_info_and_body() {
        let text = "# T\n\n```bash {name=a}\necho 1\n```\n\n- [ ] x\n  ~~~python\n  print(1)\n  ~~~\n\n```\nplain\n";
        let blocks = fenced_blocks(text);
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0].lang, "bash");
        assert_eq!(&text[blocks[0].info.clone()], "bash {name=a}");
        assert_eq!(&text[blocks[0].body.clone()], "echo 1\n");
        assert_eq!(&text[blocks[0].info.start..blocks[0].lang_end], "bash");
        assert_eq!(blocks[1].lang, "python");
        assert_eq!(&text[blocks[1].body.clone()], "  print(1)\n");
        assert_eq!(blocks[2].lang, "");
        assert_eq!(&text[blocks[2].body.clone()], "plain\n");
    }

    #[test]
    fn blocks_read_in_pieces_are_those_read_whole() {
        for text in [
            "# A\n- [ ] one\n  ```bash\n  echo 1\n  ```\n- [ ] two\n  ```bash\n  echo 2\n  ```\n# B\n",
            "- [ ] a\n  ```bash\n  unclosed\n- [ ] b\n  ```\n  x\n  ```\n",
            "- [ ] a\n  ````bash\n  ```\n- [ ] in the fence? no: the item ends it\n  ```\n",
            "```bash\nunclosed\n- not an item\n# not a heading\n",
            "````\n```\n- inside\n````\n- [ ] after\n  ```sh\n  x\n  ```\n",
            "<div>\n- in html\n```bash\nx\n```\n</div>\n\n- [ ] out\n  ```bash\n  y\n  ```\n",
            "> quote\n- [ ] item\n  ```bash\n  z\n  ```\n> ```bash\n- lazy?\n",
            "| a | b |\n|---|---|\n- [ ] row?\n  ```bash\n  t\n  ```\n",
            "para\n- [ ] interrupts\n  ```bash\n  p\n  ```\n- - -\n* * *\n+ x\n  ~~~python\n  q\n  ~~~\n",
            "---\ntitle: t\n# yaml comment\n- list: in yaml\n---\n- [ ] a\n  ```bash\n  a\n  ```\n# B\n```bash\nb\n```\n",
            "---\ntitle: t\n---\n- [ ] a\n  ```bash\n  a\n  ```\n---\n- [ ] b\n  ```bash\n  b\n  ```\n---\n",
            "- [ ] a\n  ```bash\n  ```\n- [ ] b\n  ```bash\n- [ ] c\n",
        ] {
            let mut whole = Vec::new();
            each_in_pieces(text, None, |b| whole.push(b));
            let mut cut = Vec::new();
            each_in_pieces(text, Some(1), |b| cut.push(b));
            assert_eq!(whole, cut, "{text:?}");
        }
    }

    /// Documents made of lines that open, close and continue blocks in
    /// every way a cut could get wrong, read in pieces and whole.
    #[test]
    fn random_documents_read_the_same_in_pieces() {
        const LINES: &[&str] = &[
            "- [ ] step",
            "  ```bash",
            "  ```",
            "```bash",
            "```",
            "````",
            "~~~python",
            "~~~",
            "# Heading",
            "## Sub",
            "text",
            "",
            "> quote",
            "> ```sh",
            "<div>",
            "</div>",
            "<!--",
            "-->",
            "| a | b |",
            "|---|---|",
            "    indented",
            "---",
            "* item",
            "+ item",
            "1. item",
            "   ```",
            "      ```",
            "  - [ ] nested",
            "    ```bash",
            "- - -",
        ];
        let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
        let mut next = move || rng.u64(..);
        for _ in 0..3000 {
            let lines = 4 + next() % 24;
            let mut text = String::new();
            if next() % 4 == 0 {
                text.push_str("---\ntitle: t\n---\n");
            }
            for _ in 0..lines {
                text.push_str(LINES[(next() % LINES.len() as u64) as usize]);
                text.push('\n');
            }
            let mut whole = Vec::new();
            each_in_pieces(&text, None, |b| whole.push(b));
            let mut cut = Vec::new();
            each_in_pieces(&text, Some(1), |b| cut.push(b));
            assert_eq!(whole, cut, "{text:?}");
        }
    }

    #[test]
    fn runners_follow_the_parser() {
        let none = Runners::new();
        assert_eq!(runner_of("bash", &none), Some(Runner::Shell));
        assert_eq!(runner_of("python", &none), Some(Runner::program("python3")));
        assert_eq!(runner_of("yaml", &none), None);
        assert_eq!(runner_of("sql", &none), None);
        let sql = Runners::from([("sql".to_string(), "psql -f {file}".to_string())]);
        assert!(runner_of("sql", &sql).is_some());
    }
}
