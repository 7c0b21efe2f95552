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

/// The fenced code blocks of `text`, in document order. Blocks inside lists
/// and quotes are found too; indented code blocks are not fenced blocks. A
/// large text is read in pieces, as the parser reads a large runbook.
pub fn fenced_blocks(text: &str) -> Vec<FencedBlock> {
    let options = markdown::options(text);
    let mut blocks = Vec::new();
    let mut open = None;
    match pieces::piece_size(text.len()) {
        Some(piece) if pieces::may_cut(text, options) => {
            pieces::pieces(text, options, piece, |at, events| {
                for (event, range) in events.drain(..) {
                    block_event(
                        text,
                        &event,
                        range.start + at..range.end + at,
                        &mut open,
                        &mut blocks,
                    );
                }
            });
        }
        _ => {
            for (event, range) in markdown::events_with(text, options) {
                block_event(text, &event, range, &mut open, &mut blocks);
            }
        }
    }
    blocks
}

/// An opening fence read, until its block ends: info range, language, body
/// start, language end.
type Open = (Range<usize>, String, usize, usize);

fn block_event(
    text: &str,
    event: &Event<'_>,
    range: Range<usize>,
    open: &mut Option<Open>,
    blocks: &mut Vec<FencedBlock>,
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
            blocks.push(FencedBlock {
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
    fn runners_follow_the_parser() {
        let none = Runners::new();
        assert_eq!(runner_of("bash", &none), Some(Runner::Shell));
        assert_eq!(
            runner_of("python", &none),
            Some(Runner::Program("python3".into()))
        );
        assert_eq!(runner_of("yaml", &none), None);
        assert_eq!(runner_of("sql", &none), None);
        let sql = Runners::from([("sql".to_string(), "psql -f {file}".to_string())]);
        assert!(runner_of("sql", &sql).is_some());
    }
}
