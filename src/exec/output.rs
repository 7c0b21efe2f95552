//! A block's output as it runs: shown live with secrets masked, and captured
//! (bounded) for the transcript.

use std::io::Write as _;

use super::Sink;
use super::capture::Capture;
use crate::secrets::{Redactor, Secrets};

/// The sink of a block run locally in runsheet's terminal: writes what the
/// block prints to standard output as it comes, secrets masked, and keeps a
/// bounded copy.
pub struct Live {
    capture: Capture,
    redactor: Redactor,
    learnt: Vec<String>,
    stdout: std::io::Stdout,
}

impl Live {
    /// A sink that masks the run's `secrets` known so far.
    pub fn new(secrets: &Secrets) -> Live {
        Live {
            capture: Capture::default(),
            redactor: Redactor::new(secrets),
            learnt: Vec::new(),
            stdout: std::io::stdout(),
        }
    }

    /// Shows what was held back, and gives the captured output (not yet
    /// cleaned of secrets) and the secret values the block set.
    pub fn finish(mut self) -> (Capture, Vec<String>) {
        let _ = self.stdout.write_all(&self.redactor.finish());
        let _ = self.stdout.flush();
        (self.capture, self.learnt)
    }
}

impl Sink for Live {
    fn output(&mut self, bytes: &[u8]) {
        self.capture.push(bytes);
        let _ = self.stdout.write_all(&self.redactor.push(bytes));
        let _ = self.stdout.flush();
    }

    fn secret(&mut self, value: &str) {
        self.redactor.add(value);
        self.learnt.push(value.to_string());
    }

    fn notice(&mut self, text: &str) {
        eprintln!("{text}");
    }

    fn live(&mut self, bytes: &[u8]) {
        let _ = self.stdout.write_all(&self.redactor.push(bytes));
        let _ = self.stdout.flush();
    }
}
