//! A block's output as it runs: shown live with secrets masked and bash's
//! messages pointed at the runbook, beside the status line, and captured
//! (bounded) for the transcript.

use std::io::Write as _;

use super::Sink;
use super::capture::Capture;
use crate::linemap::LinesAfter;
use crate::screen::status::StatusLine;
use crate::secrets::{Redactor, Secrets};

/// What bash writes after the block file's name in its messages.
const TAG: &[u8] = b".sh: line ";

/// The sink of a block run locally in runsheet's terminal: writes what the
/// block prints to standard output as it comes, secrets masked, and keeps a
/// bounded copy.
pub struct Live {
    capture: Capture,
    redactor: Redactor,
    learnt: Vec<String>,
    stdout: std::io::Stdout,
    status: Option<StatusLine>,
    /// The runbook and its lines from the block's fence, for bash's messages.
    runbook: String,
    lines: LinesAfter,
    /// The start of a line not shown yet: it may be a bash message naming
    /// the block file, to be pointed at the runbook once whole.
    held: Vec<u8>,
    /// What was shown so far does not end a line.
    mid_line: bool,
}

impl Live {
    /// A sink that masks the run's `secrets` known so far, shows `status`
    /// while the block is quiet, and shows bash's messages about the block
    /// at `runbook` and the line `lines` gives theirs.
    pub fn new(secrets: &Secrets, status: StatusLine, runbook: String, lines: LinesAfter) -> Live {
        Live {
            capture: Capture::default(),
            redactor: Redactor::new(secrets),
            learnt: Vec::new(),
            stdout: std::io::stdout(),
            status: Some(status),
            runbook,
            lines,
            held: Vec::new(),
            mid_line: false,
        }
    }

    /// Shows what was held back, and gives the captured output (not yet
    /// cleaned of secrets) and the secret values the block set.
    pub fn finish(mut self) -> (Capture, Vec<String>) {
        let mut rest = std::mem::take(&mut self.held);
        rest.extend(self.redactor.finish());
        let rest = self.relocated(&rest);
        self.write(&rest);
        if let Some(status) = self.status.take() {
            status.finish();
        }
        (self.capture, self.learnt)
    }

    /// Shows `bytes` (secrets masked already): whole lines pointed at the
    /// runbook, the start of a line that may still become a message held.
    fn show(&mut self, bytes: Vec<u8>) {
        let mut data = std::mem::take(&mut self.held);
        if data.is_empty() {
            data = bytes;
        } else {
            data.extend(bytes);
        }
        let cut = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let at_line_start = cut > 0 || !self.mid_line;
        let hold = at_line_start && may_name_block_file(&data[cut..]);
        let shown = if hold { cut } else { data.len() };
        // Most output names no block file: shown as it came, not copied.
        if super::pipes::find(&data[..shown], TAG).is_none() {
            self.write(&data[..shown]);
        } else {
            let mut out = self.relocated(&data[..cut]);
            if !hold {
                out.extend(self.relocated(&data[cut..]));
            }
            self.write(&out);
        }
        if hold {
            self.held = data[cut..].to_vec();
        }
    }

    fn relocated(&self, lines: &[u8]) -> Vec<u8> {
        // A SIMD search: a window compared at every byte took most of the
        // time of a block printing a lot.
        if super::pipes::find(lines, TAG).is_none() {
            return lines.to_vec();
        }
        match std::str::from_utf8(lines) {
            Ok(text) => super::local::relocate(text, &self.runbook, &self.lines).into_bytes(),
            Err(_) => lines.to_vec(),
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.mid_line = !bytes.ends_with(b"\n");
        let stdout = &mut self.stdout;
        let mut put = |b: &[u8]| {
            let _ = stdout.write_all(b);
            let _ = stdout.flush();
        };
        match &self.status {
            Some(status) => status.write(bytes, put),
            None => put(bytes),
        }
    }
}

/// Whether `tail`, the start of a line, may be the start of bash's
/// `/…/block-3.sh: line 2:`, so that it waits for the rest of its line.
fn may_name_block_file(tail: &[u8]) -> bool {
    if !tail.starts_with(b"/") || tail.len() > 4096 {
        return false;
    }
    let Some(space) = tail.iter().position(|&b| b == b' ') else {
        return true;
    };
    let (path, rest) = tail.split_at(space);
    let named = path.ends_with(b".sh:")
        && path
            .rsplit(|&b| b == b'/')
            .next()
            .is_some_and(|f| f.starts_with(b"block-"));
    named
        && (b" line ".starts_with(rest)
            || rest
                .strip_prefix(b" line ".as_slice())
                .is_some_and(|n| n.iter().all(u8::is_ascii_digit)))
}

impl Sink for Live {
    fn output(&mut self, bytes: &[u8]) {
        self.capture.push(bytes);
        let shown = self.redactor.push(bytes);
        self.show(shown);
    }

    fn secret(&mut self, value: &str) {
        self.redactor.add(value);
        self.learnt.push(value.to_string());
    }

    fn notice(&mut self, text: &str) {
        let line = format!("{text}\n");
        match &self.status {
            Some(status) => status.write(line.as_bytes(), |b| {
                let _ = std::io::stderr().write_all(b);
            }),
            None => {
                let _ = std::io::stderr().write_all(line.as_bytes());
            }
        }
    }

    fn secrets(&self) -> &Secrets {
        self.redactor.secrets()
    }

    fn live(&mut self, bytes: &[u8]) {
        let shown = self.redactor.push(bytes);
        self.write(&shown);
    }
}

#[cfg(test)]
mod tests {
    use super::may_name_block_file;

    #[test]
    fn only_what_may_be_a_message_about_the_block_file_waits() {
        assert!(may_name_block_file(b"/home/op/.local/state/runsheet/R/blo"));
        assert!(may_name_block_file(b"/x/R/block-3.sh: li"));
        assert!(may_name_block_file(b"/x/R/block-3.sh: line 2"));
        assert!(!may_name_block_file(b"/x/R/block-3.sh: line 2:"));
        assert!(!may_name_block_file(b"Password: "));
        assert!(!may_name_block_file(b"/usr/bin/env: x"));
        assert!(!may_name_block_file(b"/x/other.sh: line 2"));
    }
}
