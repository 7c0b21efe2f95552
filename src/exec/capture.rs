//! Captured output with bounded memory: a head, a tail, and a count of what was dropped.

use std::collections::VecDeque;

use crate::secrets::Secrets;

/// Bytes kept from the start of a block's output.
pub const HEAD: usize = 64 * 1024;
/// Bytes kept from the end of a block's output.
pub const TAIL: usize = 64 * 1024;
/// Bytes held past the head and before the tail, never kept themselves: a
/// secret running across a cut is seen whole there, so the cut is moved off
/// it rather than keeping a part of it in clear.
const MARGIN: usize = 64 * 1024;

// The output is whole in the tail's bytes whenever nothing is dropped, and
// both margins are full whenever something is.
const _: () = assert!(MARGIN >= HEAD && TAIL >= MARGIN);

/// What a block printed, bounded: the first `HEAD` and last `TAIL` bytes
/// (fewer where that would cut a secret).
#[derive(Debug, Default, Clone)]
pub struct Capture {
    /// The first `HEAD + MARGIN` bytes.
    head: Vec<u8>,
    /// The last `MARGIN + TAIL` bytes.
    tail: VecDeque<u8>,
    total: u64,
}

impl Capture {
    /// Takes more output.
    pub fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        if self.head.len() < HEAD + MARGIN {
            let n = (HEAD + MARGIN - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
        }
        let room = MARGIN + TAIL;
        if bytes.len() >= room {
            self.tail.clear();
            self.tail.extend(&bytes[bytes.len() - room..]);
        } else {
            let overflow = (self.tail.len() + bytes.len()).saturating_sub(room);
            self.tail.drain(..overflow);
            self.tail.extend(bytes);
        }
    }

    /// The kept output as clean text: escapes stripped, `\r` progress lines
    /// collapsed to their final state, with a marker where bytes were
    /// dropped. Where a cut would split one of `secrets` (a known value, or a
    /// secret by its shape), it is moved so that the secret is dropped whole:
    /// masking the text later cannot find a part of one.
    pub fn text(&self, secrets: &Secrets) -> String {
        let (tail_a, tail_b) = self.tail.as_slices();
        let mut tail = Vec::with_capacity(self.tail.len());
        tail.extend_from_slice(tail_a);
        tail.extend_from_slice(tail_b);
        if self.total <= (HEAD + TAIL) as u64 {
            return clean(&tail);
        }
        let head_end = secrets.head_cut(&self.head, HEAD, false);
        let tail_start = secrets.tail_start(&tail, MARGIN);
        let kept = head_end + (tail.len() - tail_start);
        let omitted = self.total - kept as u64;
        format!(
            "{}\n[… {omitted} bytes omitted …]\n{}",
            clean(&self.head[..head_end]).trim_end_matches('\n'),
            clean(&tail[tail_start..])
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
        let omitted = 100 * 4096 + 5 - (HEAD + TAIL);
        let text = c.text(&Secrets::default());
        assert!(text.ends_with("\nEND\n"));
        assert!(text.contains(&format!("[… {omitted} bytes omitted …]")));
        assert_eq!(
            text.len(),
            HEAD + TAIL + format!("\n[… {omitted} bytes omitted …]\n").len()
        );
    }

    #[test]
    fn a_short_output_is_kept_whole() {
        let mut c = Capture::default();
        for _ in 0..31 {
            c.push(&[b'x'; 4096]);
        }
        c.push(b"\n");
        assert_eq!(
            c.text(&Secrets::default()),
            format!("{}\n", "x".repeat(31 * 4096))
        );
    }

    #[test]
    fn no_cut_splits_a_secret() {
        let secret = "abcdefghijklmnop1234";
        let mut secrets = Secrets::default();
        secrets.add(secret);
        let total = 400 * 1024;
        // A secret across the head's end, then one across the tail's start:
        // the bytes kept from either end.
        for (at, head, tail) in [
            (HEAD - 7, HEAD - 7, TAIL),
            (total - TAIL - 5, HEAD, TAIL - 15),
        ] {
            let mut out = vec![b'.'; total];
            out[at..at + secret.len()].copy_from_slice(secret.as_bytes());
            let mut c = Capture::default();
            for chunk in out.chunks(1000) {
                c.push(chunk);
            }
            let text = c.text(&secrets);
            let omitted = total - head - tail;
            assert_eq!(
                text,
                format!(
                    "{}\n[… {omitted} bytes omitted …]\n{}",
                    ".".repeat(head),
                    ".".repeat(tail)
                )
            );
        }
    }
}
