//! Reading a document from disk into text runsheet can parse, with line lookup.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use crate::diagnostic::{Diagnostic, Severity};
use crate::error::{Error, Result};
use crate::linemap::{LineMap, LinesAfter};

const BOM: &str = "\u{feff}";

/// A document as read from disk: its exact text, and where its lines start.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
    lines: Lines,
    /// For a template's rendering: which line of the template (the file
    /// at `path`) each line of `text` came from. Every line runsheet shows
    /// or records for the document is the template's.
    origin: Option<Arc<LineMap>>,
}

/// Where each line of a text starts: the one place a byte offset becomes a
/// line and a column.
#[derive(Debug)]
pub struct Lines {
    /// 32 bits each: a document is at most `MAX_LEN` bytes, and a large one
    /// has hundreds of thousands of lines.
    starts: Vec<u32>,
    /// The line (0-based) the last lookup found. The parser asks about
    /// offsets in document order, so the next answer is mostly that line or
    /// one a little further on: found without a search over every line.
    last: AtomicUsize,
}

impl Clone for Lines {
    fn clone(&self) -> Lines {
        Lines {
            starts: self.starts.clone(),
            last: AtomicUsize::new(0),
        }
    }
}

impl Lines {
    /// The lines of `text`, which end at line feeds (a CRLF line's carriage
    /// return is part of the line).
    pub fn new(text: &str) -> Lines {
        // One pass over the text, the table grown as it goes: at four bytes
        // a line, copying it as it grows costs less than a second pass to
        // count the lines first. A text longer than `u32::MAX`, which
        // `Source::read` never gives, has no line starts past it.
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(bytes.len() / 16 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', bytes).map_while(|i| u32::try_from(i + 1).ok()));
        Lines {
            starts,
            last: AtomicUsize::new(0),
        }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        // Past what 32 bits hold is past every line start.
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        let starts = &self.starts;
        let last = self.last.load(Ordering::Relaxed).min(starts.len() - 1);
        // The line is how many lines start at or before `offset`.
        let line = if starts[last] <= offset {
            // Those up to `last` do: look a few lines on, then search the rest.
            let mut line = last + 1;
            let near = (line + 8).min(starts.len());
            while line < near && starts[line] <= offset {
                line += 1;
            }
            if line == near {
                line += starts[line..].partition_point(|&s| s <= offset);
            }
            line
        } else {
            // Before it: look a few lines back (the walk steps back to the
            // start of a block it has read), then search the rest.
            let mut line = last;
            let near = last.saturating_sub(8);
            while line > near && starts[line - 1] > offset {
                line -= 1;
            }
            if line == near && line > 0 && starts[line - 1] > offset {
                line = starts[..line].partition_point(|&s| s <= offset);
            }
            line
        };
        self.last.store(line - 1, Ordering::Relaxed);
        line
    }

    /// Byte offset where the line holding `offset` starts.
    pub fn line_start(&self, offset: usize) -> usize {
        self.starts[self.line(offset) - 1] as usize
    }

    /// Byte range of 1-based `line` in a text `len` bytes long, line ending included.
    fn range(&self, line: usize, len: usize) -> std::ops::Range<usize> {
        let at = |line: usize| self.starts.get(line).map_or(len, |&s| s as usize);
        let (start, end) = (at(line - 1), at(line));
        start..end
    }

    /// 1-based line and column (in characters) of a byte offset in `text`,
    /// the text these lines were found in.
    pub fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line(offset);
        let start = self.starts[line - 1] as usize;
        let column = text[start..offset].chars().count() + 1;
        (line, column)
    }
}

/// The largest document runsheet reads: 256 MiB. Runbooks are a few
/// kilobytes; anything near this is not one.
pub const MAX_LEN: u64 = 256 << 20;

impl Source {
    /// Reads `path`, refusing directories, devices and pipes, files larger
    /// than `MAX_LEN`, binary data and text that is not UTF-8.
    pub fn read(path: &Path) -> Result<Source> {
        Ok(Source::from_text(path, Source::read_text(path)?))
    }

    /// `read`'s text alone, checked as `read` checks it, without finding
    /// where its lines start: for a transcript read only to be read back.
    pub fn read_text(path: &Path) -> Result<String> {
        use std::io::Read as _;
        let err = |source| Error::Read {
            path: path.into(),
            source,
        };
        use std::os::unix::fs::OpenOptionsExt as _;
        // Non-blocking, so that opening a pipe nobody writes does not hang;
        // it is refused as soon as it is seen to be one.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(path)
            .map_err(err)?;
        let meta = file.metadata().map_err(err)?;
        if meta.is_dir() {
            return Err(Error::IsDirectory { path: path.into() });
        }
        if !meta.is_file() {
            return Err(Error::NotAFile { path: path.into() });
        }
        if meta.len() > MAX_LEN {
            return Err(Error::TooLarge {
                path: path.into(),
                len: meta.len(),
                max: MAX_LEN,
            });
        }
        // The file may grow while it is read: read no more than the limit.
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(MAX_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(err)?;
        if bytes.len() as u64 > MAX_LEN {
            return Err(Error::TooLarge {
                path: path.into(),
                len: bytes.len() as u64,
                max: MAX_LEN,
            });
        }
        Source::text_of(path, bytes)
    }

    /// Builds a source from bytes already in memory (tests, stdin, strip output).
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Source> {
        Ok(Source::from_text(path, Source::text_of(path, bytes)?))
    }

    /// `bytes` as text: refused when binary or not UTF-8.
    fn text_of(path: &Path, bytes: Vec<u8>) -> Result<String> {
        // `contains` searches a byte slice with memchr; `position` only finds where.
        if let Some(at) = bytes
            .contains(&0)
            .then(|| bytes.iter().position(|&b| b == 0))
            .flatten()
        {
            // Lines are counted by their line feeds, which a lossy reading keeps.
            let before = String::from_utf8_lossy(&bytes[..at]);
            return Err(Error::Binary {
                path: path.into(),
                line: Lines::new(&before).line(before.len()),
            });
        }
        String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            // Valid up to `at`: the lossy reading is the text itself.
            let before = String::from_utf8_lossy(&bytes[..at]);
            let (line, column) = Lines::new(&before).position(&before, at);
            Error::Encoding {
                path: path.into(),
                line,
                column,
                byte: bytes[at],
            }
        })
    }

    /// Builds a source from text.
    pub fn from_text(path: &Path, text: String) -> Source {
        Source {
            path: path.into(),
            lines: Lines::new(&text),
            text,
            origin: None,
        }
    }

    /// The same source, its text made from the file at its path (a
    /// template) as `origin` says: `None` for a text that is the file's.
    pub fn with_origin(mut self, origin: Option<LineMap>) -> Source {
        self.origin = origin.map(Arc::new);
        self
    }

    /// Which line of the file each line of the text came from, when the
    /// text is a rendering of it.
    pub fn origin(&self) -> Option<&LineMap> {
        self.origin.as_deref()
    }

    /// How many lines the text has: one more than its line feeds.
    pub fn line_count(&self) -> usize {
        self.lines.starts.len()
    }

    /// The line of the file at `path` that 1-based `line` of the text came
    /// from: `line` itself, unless the text is a template's rendering.
    pub fn file_line(&self, line: usize) -> usize {
        self.origin.as_ref().map_or(line, |m| m.line(line))
    }

    /// The lines after the one holding `offset`, as the file numbers them.
    pub fn lines_after(&self, offset: usize) -> LinesAfter {
        LinesAfter {
            from: self.line_of(offset),
            map: self.origin.clone(),
        }
    }

    /// The bytes before the Markdown proper: a byte-order mark, if any.
    pub fn body_offset(&self) -> usize {
        if self.text.starts_with(BOM) {
            BOM.len()
        } else {
            0
        }
    }

    /// The document's own line ending, used for every line runsheet inserts.
    pub fn line_ending(&self) -> &'static str {
        match self.text.find('\n') {
            Some(i) if i > 0 && self.text.as_bytes()[i - 1] == b'\r' => "\r\n",
            None if self.text.contains('\r') => "\r",
            _ => "\n",
        }
    }

    /// Whether lines end with a bare carriage return (old Mac files).
    pub fn cr_only(&self) -> bool {
        !self.text.contains('\n') && self.text.contains('\r')
    }

    /// The text as Markdown parsers read it: bare carriage returns, which they
    /// do not all take for line ends, as line feeds. Same length, so every
    /// offset in it is an offset in the text.
    pub fn for_parser(&self) -> std::borrow::Cow<'_, Source> {
        if self.cr_only() {
            let mut converted = Source::from_text(&self.path, self.text.replace('\r', "\n"));
            converted.origin.clone_from(&self.origin);
            std::borrow::Cow::Owned(converted)
        } else {
            std::borrow::Cow::Borrowed(self)
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        self.lines.position(&self.text, offset)
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }

    /// Byte offset where the line holding `offset` starts.
    pub fn line_start(&self, offset: usize) -> usize {
        self.lines.line_start(offset)
    }

    /// Byte offset where the line holding `offset` starts as the Markdown
    /// parser reads lines: a lone carriage return ends a line for it too.
    pub fn parser_line_start(&self, offset: usize) -> usize {
        let start = self.line_start(offset);
        self.text[start..offset]
            .rfind('\r')
            .map_or(start, |i| start + i + 1)
    }

    /// Byte offset of the start of the line after the one holding `offset`,
    /// or the end of the text if that line is the last.
    pub fn next_line_start(&self, offset: usize) -> usize {
        self.lines.range(self.line_of(offset), self.text.len()).end
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_offset(&self, line: usize) -> usize {
        self.lines.range(line.max(1), self.text.len()).start
    }

    /// The text of 1-based `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        self.text[self.lines.range(line, self.text.len())].trim_end_matches(['\n', '\r'])
    }

    /// The path as the user gave it, for messages.
    pub fn display_path(&self) -> String {
        self.path.display().to_string()
    }

    /// A finding at `offset`, with the source line for context. Its line is
    /// the file's (a template's, for a rendering); the text shown under it
    /// and the column are the text's, which is what was read.
    pub fn diagnostic(
        &self,
        severity: Severity,
        offset: usize,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        let (line, column) = self.position(offset);
        let text = self.line_text(line);
        // A long line is shown around the column, so that many findings in
        // one huge line do not each copy all of it.
        const WIDTH: usize = 120;
        let (excerpt, caret) = if text.len() <= 2 * WIDTH {
            (text.to_string(), column)
        } else {
            let at = offset
                .saturating_sub(self.line_start(offset))
                .min(text.len());
            let floor = |mut i: usize| {
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            let from = floor(at.saturating_sub(WIDTH / 2));
            let to = floor((from + WIDTH).min(text.len()));
            let lead = if from > 0 { "…" } else { "" };
            let tail = if to < text.len() { "…" } else { "" };
            let caret = text[from..floor(at)].chars().count() + lead.chars().count() + 1;
            (format!("{lead}{}{tail}", &text[from..to]), caret)
        };
        Diagnostic {
            severity,
            path: self.display_path(),
            line: self.file_line(line),
            column,
            message: message.into(),
            hint,
            excerpt,
            caret,
        }
    }
}

/// sha256 of a document's text, hex: recorded when a run begins, so that a
/// transcript's text can be checked against the document it was made from.
pub fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> Source {
        Source::from_text(Path::new("t.md"), text.to_string())
    }

    #[test]
    fn positions_are_one_based_in_characters() {
        let s = src("ab\nçd\r\nx");
        assert_eq!(s.position(0), (1, 1));
        assert_eq!(s.position(3), (2, 1));
        assert_eq!(s.position(5), (2, 2));
        assert_eq!(s.line_text(2), "çd");
        assert_eq!(s.line_ending(), "\n");
        assert_eq!(src("a\r\nb").line_ending(), "\r\n");
    }

    #[test]
    fn line_starts_as_the_parser_reads_lines_and_the_next_line() {
        let s = src("a\r\nb\rc\nd");
        assert_eq!(s.line_start(5), 3);
        assert_eq!(
            s.parser_line_start(5),
            5,
            "a lone CR ends a line for the parser"
        );
        assert_eq!(s.parser_line_start(3), 3, "a CRLF line starts after the LF");
        assert_eq!(s.next_line_start(0), 3);
        assert_eq!(s.next_line_start(3), 7);
        assert_eq!(s.next_line_start(7), 8);
        assert_eq!(s.next_line_start(8), 8);
        assert_eq!(s.line_of(7), 3);
    }

    #[test]
    fn refuses_binary_and_bad_utf8_with_line() {
        let err = Source::from_bytes(Path::new("b.md"), b"a\nb\0".to_vec()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "b.md:2: this is binary data (a NUL byte), not a Markdown document"
        );
        let err = Source::from_bytes(Path::new("e.md"), b"ok\nab\xffc".to_vec()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("e.md:2:3: not valid UTF-8 (byte 0xff)"),
            "{err}"
        );
    }

    #[test]
    fn lines_are_found_in_any_order_of_lookups() {
        let text: String = (0..200).map(|i| "x".repeat(i % 7) + "\n").collect();
        let lines = Lines::new(&text);
        let plain = |offset: usize| text[..offset].matches('\n').count() + 1;
        // Forward in small and large steps, backward, and around the ends.
        let mut offsets: Vec<usize> = (0..=text.len()).collect();
        offsets.extend((0..=text.len()).rev().step_by(3));
        offsets.extend((0..=text.len()).step_by(97));
        offsets.extend([0, text.len(), 5, text.len() - 1, 1]);
        for offset in offsets {
            assert_eq!(lines.line(offset), plain(offset), "offset {offset}");
        }
        assert_eq!(
            lines.line(text.len() + 10),
            201,
            "past the end: the last line"
        );
    }

    #[test]
    fn bom_is_outside_the_body() {
        assert_eq!(src("\u{feff}# x").body_offset(), 3);
        assert_eq!(src("# x").body_offset(), 0);
    }
}
