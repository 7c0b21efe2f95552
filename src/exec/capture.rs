//! Captured output with bounded memory: a head, a tail, and a count of what was dropped.

use std::collections::VecDeque;

/// Bytes kept from the start of a block's output.
pub const HEAD: usize = 64 * 1024;
/// Bytes kept from the end of a block's output.
pub const TAIL: usize = 64 * 1024;

/// What a block printed, bounded: the first `HEAD` and last `TAIL` bytes.
#[derive(Debug, Default, Clone)]
pub struct Capture {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
}

impl Capture {
    /// Takes more output.
    pub fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        if self.head.len() < HEAD {
            let n = (HEAD - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        if bytes.len() >= TAIL {
            self.tail.clear();
            self.tail.extend(&bytes[bytes.len() - TAIL..]);
        } else {
            let overflow = (self.tail.len() + bytes.len()).saturating_sub(TAIL);
            self.tail.drain(..overflow);
            self.tail.extend(bytes);
        }
    }

    /// Total bytes printed, kept or not.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Bytes printed but not kept.
    pub fn omitted(&self) -> u64 {
        self.total - (self.head.len() + self.tail.len()) as u64
    }

    /// The kept output as clean text: escapes stripped, `\r` progress lines
    /// collapsed to their final state, with a marker where bytes were dropped.
    pub fn text(&self) -> String {
        let (tail_a, tail_b) = self.tail.as_slices();
        let mut tail = Vec::with_capacity(self.tail.len());
        tail.extend_from_slice(tail_a);
        tail.extend_from_slice(tail_b);
        let omitted = self.omitted();
        if omitted == 0 {
            let mut all = self.head.clone();
            all.extend_from_slice(&tail);
            return clean(&all);
        }
        format!(
            "{}\n[… {omitted} bytes omitted …]\n{}",
            clean(&self.head).trim_end_matches('\n'),
            clean(&tail)
        )
    }
}

/// Terminal output to plain text.
pub fn clean(bytes: &[u8]) -> String {
    let mut collapsed = Vec::with_capacity(bytes.len());
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            collapsed.push(b'\n');
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // A carriage return redraws the line: keep what was drawn last.
        let last = line
            .rsplit(|&b| b == b'\r')
            .find(|part| !part.is_empty())
            .unwrap_or(&[]);
        collapsed.extend_from_slice(last);
    }
    // The escape stripper drops tabs and lone control bytes: protect tabs, and
    // spell out what is not text before it runs.
    let text = escape_binary(&collapsed);
    let plain = strip_ansi_escapes::strip(text.as_bytes());
    String::from_utf8_lossy(&plain).replace(TAB_STANDIN, "\t")
}

/// Stands for a tab while escapes are stripped.
const TAB_STANDIN: char = '\u{E000}';

/// Text as it is; bytes that are not valid UTF-8, and control characters
/// other than tab, newline and the escape-sequence ones, as `\xNN`.
fn escape_binary(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\t' => out.push(TAB_STANDIN),
                '\n' | '\u{1b}' | '\u{07}' => out.push(c),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\x{b:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_escapes_and_progress() {
        assert_eq!(
            clean(b"\x1b[31mred\x1b[0m\r\n10%\r50%\r100%\ndone"),
            "red\n100%\ndone"
        );
    }

    #[test]
    fn binary_and_invalid_utf8_are_escaped() {
        assert_eq!(
            clean(b"ok\x00\xff\xfe\tt\x01\n"),
            "ok\\x00\\xff\\xfe\tt\\x01\n"
        );
        assert_eq!(clean(b"\x1b]0;title\x07a\tb\x1b[1mB\x1b[0m\n"), "a\tbB\n");
        assert_eq!(clean("héllo ✅\n".as_bytes()), "héllo ✅\n");
    }

    #[test]
    fn keeps_head_and_tail_and_counts_the_rest() {
        let mut c = Capture::default();
        for _ in 0..100 {
            c.push(&[b'a'; 4096]);
        }
        c.push(b"\nEND\n");
        assert_eq!(c.total(), 100 * 4096 + 5);
        assert_eq!(c.omitted(), c.total() - (HEAD + TAIL) as u64);
        let text = c.text();
        assert!(text.ends_with("\nEND\n"));
        assert!(text.contains(&format!("[… {} bytes omitted …]", c.omitted())));
    }
}
