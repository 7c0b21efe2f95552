//! The Markdown parser runsheet reads with: the only module that names
//! pulldown-cmark. Others get its events, each with its byte range, here.

use std::ops::Range;

use pulldown_cmark::Parser;
pub use pulldown_cmark::{CodeBlockKind, Event, Options, Tag, TagEnd};

/// The parser options runsheet reads `text` with, everywhere. Front matter is
/// only front matter at the very start: elsewhere `---` is a thematic break.
pub fn options(text: &str) -> Options {
    let base = Options::ENABLE_TASKLISTS
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !(text.starts_with("---\n") || text.starts_with("---\r\n")) {
        return base;
    }
    // With the option on, the parser also takes `---` blocks further down for
    // metadata; keep it only when the document really opens with front matter.
    let with = base | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    // The parser reads every block when it is made: give it the text up to
    // the first line that can close front matter, which decides as the
    // whole would (the parser looks no further than the first closing line).
    let head = &text[..front_matter_end(text).unwrap_or(text.len())];
    match Parser::new_ext(head, with).next() {
        Some(Event::Start(Tag::MetadataBlock(_))) => with,
        _ => base,
    }
}

/// The end of the first line after the opening one that is `---` or `...`
/// with nothing but spaces after it: a line the parser takes as closing
/// front matter (it takes some others too, such as one ending in a bare
/// carriage return; a text with none of these is read whole).
pub(super) fn front_matter_end(text: &str) -> Option<usize> {
    let mut at = text.find('\n')? + 1;
    while at < text.len() {
        let line_end = text[at..].find('\n').map(|i| at + i + 1)?;
        let line = text[at..line_end].trim_end_matches('\n');
        let line = line.strip_suffix('\r').unwrap_or(line);
        let closes = (line.starts_with("---") || line.starts_with("..."))
            && line[3..].bytes().all(|b| b == b' ');
        if closes {
            return Some(line_end);
        }
        at = line_end;
    }
    None
}

/// Whether `options` read front matter: the text they were made for opens with it.
pub fn reads_front_matter(options: Options) -> bool {
    options.contains(Options::ENABLE_YAML_STYLE_METADATA_BLOCKS)
}

/// The events of `text` read with `options`, each with its byte range in `text`.
pub fn events_with(
    text: &str,
    options: Options,
) -> impl Iterator<Item = (Event<'_>, Range<usize>)> {
    Parser::new_ext(text, options).into_offset_iter()
}

/// The events of `text` read as runsheet reads a document (with `options(text)`),
/// each with its byte range in `text`.
pub fn events(text: &str) -> impl Iterator<Item = (Event<'_>, Range<usize>)> {
    events_with(text, options(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_only_at_the_start() {
        assert!(reads_front_matter(options("---\na: 1\n---\n# x\n")));
        assert!(reads_front_matter(options(
            "\u{feff}---\r\na: 1\r\n---\r\n"
        )));
        assert!(!reads_front_matter(options("# x\n---\na: 1\n---\n")));
        // A thematic break, not an opening: nothing to read as metadata.
        assert!(!reads_front_matter(options("---\n\n# x\n")));
    }

    #[test]
    fn front_matter_is_decided_as_the_whole_text_would_decide_it() {
        let texts = [
            "---\na: 1\n---\n# x\n",
            "---\na: 1\n...\n# x\n",
            "---\na: 1\n---   \n# x\n---\n",
            "---\r\na: 1\r\n---\r\n# x\r\n",
            "---\na: 1\n----\nb: 2\n---\n",
            "---\na: 1\n--- x\nb: 2\n---\n",
            "---\n\na: 1\n---\n",
            "---\n---\n# x\n",
            "---\na: 1\n",
            "---\na: 1\n---",
            "---\na: 1\r---\r# x\r",
        ];
        let with = Options::ENABLE_TASKLISTS
            | Options::ENABLE_TABLES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_FOOTNOTES
            | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
        for text in texts {
            let whole = matches!(
                Parser::new_ext(text, with).next(),
                Some(Event::Start(Tag::MetadataBlock(_)))
            );
            assert_eq!(reads_front_matter(options(text)), whole, "{text:?}");
        }
    }

    #[test]
    fn events_carry_byte_ranges_of_the_text() {
        let text = "# T\n\n- [ ] a\n";
        let marker = events(text)
            .find(|(e, _)| matches!(e, Event::TaskListMarker(_)))
            .map(|(_, r)| &text[r]);
        assert_eq!(marker, Some("[ ]"));
    }
}
