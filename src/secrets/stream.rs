//! Redacting a stream as it comes: what can be shown now is shown masked, and
//! only a tail that may be the start of a secret is held back.

use std::ops::Range;

use super::{MASK, Secrets};

/// Held back at most this much: past it, what is held is shown with the
/// secret that may have begun masked to its end.
const HOLD_LIMIT: usize = 64 * 1024;

/// Context kept from the line being shown, so that a secret whose start was
/// already shown (`postgres://app` then `:pw@db`) is still recognised.
const LINE_LIMIT: usize = 4 * 1024;

/// Redacts one block's output as it comes. Works on bytes: output that is not
/// valid UTF-8 is masked all the same.
pub struct Redactor {
    secrets: Secrets,
    /// The part of the current line already shown, as it was printed.
    line: Vec<u8>,
    /// What came and is not shown yet.
    held: Vec<u8>,
}

impl Redactor {
    /// A redactor for one block's output, knowing the run's secrets so far.
    pub fn new(secrets: &Secrets) -> Redactor {
        Redactor {
            secrets: secrets.clone(),
            line: Vec::new(),
            held: Vec::new(),
        }
    }

    /// A secret value learnt while the block runs: masked from now on.
    pub fn add(&mut self, value: &str) {
        self.secrets.add(value);
    }

    /// The secrets masked: the run's, and those learnt since.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Takes more output; returns what may be shown now.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.held.extend_from_slice(bytes);
        self.release(false)
    }

    /// Whatever is still held back, at the end of the block.
    pub fn finish(&mut self) -> Vec<u8> {
        self.release(true)
    }

    fn release(&mut self, end: bool) -> Vec<u8> {
        let seen = self.line.len();
        let mut text = std::mem::take(&mut self.line);
        text.append(&mut self.held);
        let mut masks = Vec::new();
        let upto = if end {
            text.len()
        } else {
            let open = self.secrets.open_from(&text).map(|at| at.max(seen));
            match open {
                Some(at) if text.len() - at > HOLD_LIMIT => {
                    // Too long to be a secret still coming: show it, masked
                    // from where the secret would have begun.
                    masks.push(at..text.len());
                    text.len()
                }
                Some(at) => at,
                None => whole_characters(&text, seen),
            }
        };
        self.secrets.mask_ranges(&text, end, &mut masks);
        let shown = masked(&text, seen..upto, masks);
        // Keep the rest of the current line as context for what comes next.
        let line_start = text[..upto]
            .iter()
            .rposition(|&b| b == b'\n' || b == b'\r')
            .map_or(0, |i| i + 1)
            .max(upto.saturating_sub(LINE_LIMIT));
        self.held = text.split_off(upto);
        self.line = text.split_off(line_start);
        shown
    }
}

/// `text.len()`, or less so that a UTF-8 character cut by the read stays
/// whole for next time.
fn whole_characters(text: &[u8], floor: usize) -> usize {
    let len = text.len();
    let lead = (len.saturating_sub(3).max(floor)..len)
        .rev()
        .find(|&i| text[i] & 0xC0 != 0x80);
    match lead {
        Some(i) => {
            let need = match text[i] {
                b if b & 0xE0 == 0xC0 => 2,
                b if b & 0xF0 == 0xE0 => 3,
                b if b & 0xF8 == 0xF0 => 4,
                _ => 1,
            };
            if len - i < need { i } else { len }
        }
        None => len,
    }
}

/// The bytes of `text` in `window`, with the parts of `masks` inside it
/// replaced by the mask (overlapping or touching ones by one mask).
pub(super) fn masked(text: &[u8], window: Range<usize>, mut masks: Vec<Range<usize>>) -> Vec<u8> {
    masks.sort_by_key(|m| m.start);
    let mut out = Vec::with_capacity(window.len());
    let mut at = window.start;
    let mut i = 0;
    while i < masks.len() {
        let (start, mut end) = (masks[i].start, masks[i].end);
        i += 1;
        while i < masks.len() && masks[i].start <= end {
            end = end.max(masks[i].end);
            i += 1;
        }
        let (start, end) = (start.max(at), end.min(window.end));
        if start >= end {
            continue;
        }
        out.extend_from_slice(&text[at..start]);
        out.extend_from_slice(MASK.as_bytes());
        at = end;
    }
    if at < window.end {
        out.extend_from_slice(&text[at..window.end]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes `chunks` one by one; what was shown in all.
    fn stream(secrets: &Secrets, chunks: &[&[u8]]) -> Vec<u8> {
        let mut r = Redactor::new(secrets);
        let mut shown = Vec::new();
        for chunk in chunks {
            shown.extend(r.push(chunk));
        }
        shown.extend(r.finish());
        shown
    }

    #[test]
    fn a_value_learnt_mid_stream_is_masked_from_then_on() {
        let mut r = Redactor::new(&Secrets::new(&[]));
        let mut shown = r.push(b"before ");
        r.add("freshly-set-token");
        shown.extend(r.push(b"freshly-set-token after\n"));
        shown.extend(r.finish());
        assert_eq!(String::from_utf8(shown).unwrap(), "before ••• after\n");
    }

    #[test]
    fn a_secret_split_across_reads_is_still_masked() {
        let mut s = Secrets::new(&[]);
        s.add("topsecretvalue");
        let shown = stream(&s, &[b"token is tops", b"ecret", b"value; done\n"]);
        assert_eq!(String::from_utf8(shown).unwrap(), "token is •••; done\n");
    }

    #[test]
    fn output_that_is_not_utf8_is_masked_too() {
        let mut s = Secrets::new(&[]);
        s.add("topsecretvalue");
        let shown = stream(
            &s,
            &[
                b"\xfftopsecretvalue \xff\n",
                b"ghp_Q9x7Lm2Vb8Nc4Zr6Tt1Yw3Pk5Hd0Sj2Fg7Ua9E\xfe\n",
            ],
        );
        let mut want = b"\xff".to_vec();
        want.extend(MASK.as_bytes());
        want.extend(b" \xff\n");
        want.extend(MASK.as_bytes());
        want.extend(b"\xfe\n");
        assert_eq!(shown, want);
    }

    #[test]
    fn token_shapes_split_across_reads_are_held_until_whole() {
        let s = Secrets::new(&[]);
        for (chunks, want) in [
            (
                vec![
                    &b"token: ghp_Q9x7"[..],
                    b"Lm2Vb8Nc4Zr6Tt1Yw3Pk5Hd0Sj2Fg7Ua9E\n",
                ],
                "token: •••\n",
            ),
            (
                vec![
                    &b"got: gh"[..],
                    b"p_Q9x7Lm2Vb8Nc4Zr6Tt1Yw3Pk5Hd0Sj2Fg7Ua9E\n",
                ],
                "got: gh•••\n",
            ),
            (
                vec![&b"db postgr"[..], b"es://app:", b"pw-123@db/x\n"],
                "db postgres://app:•••@db/x\n",
            ),
            (
                vec![&b"db postgres://app"[..], b":pw-123@db/x\n"],
                "db postgres://app:•••@db/x\n",
            ),
            (vec![&b"password: hun"[..], b"ter22\n"], "password: •••\n"),
            (vec![&b"passw"[..], b"ord: hunter22\n"], "password: •••\n"),
            (
                vec![
                    &b"-----BEGIN RSA PRIVATE KEY-----\nMIIEow"[..],
                    b"IBAAK\n-----END RSA PRIVATE KEY-----\n",
                ],
                "-----BEGIN RSA PRIVATE KEY-----\n•••\n-----END RSA PRIVATE KEY-----\n",
            ),
        ] {
            let shown = stream(&s, &chunks);
            assert_eq!(String::from_utf8_lossy(&shown), want, "{chunks:?}");
        }
    }

    #[test]
    fn a_multi_line_value_is_masked_through_a_terminal() {
        let mut s = Secrets::new(&[]);
        s.add("line-one-secret\nline-two-secret");
        let shown = stream(
            &s,
            &[
                b"key:\r\nline-one-secret\r\nline-",
                b"two-secret\r\nend\r\n",
            ],
        );
        assert_eq!(String::from_utf8_lossy(&shown), "key:\r\n•••\r\nend\r\n");
    }

    #[test]
    fn a_prompt_is_not_held_back() {
        let s = Secrets::new(&[]);
        let mut r = Redactor::new(&s);
        assert_eq!(r.push(b"Password: "), b"Password: ");
        assert_eq!(r.push(b"\nContinue? [y/N] "), b"\nContinue? [y/N] ");
        assert_eq!(r.push("caf\u{e9}".as_bytes()), "caf\u{e9}".as_bytes());
    }
}
