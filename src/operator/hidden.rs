//! A prompt whose answer is not echoed (a secret placeholder's value), read
//! key by key so that Ctrl-C and Ctrl-D end it as they end the other prompts.

use std::io::Write as _;

use console::Term;
use rustix::termios::{OptionalActions, Termios, tcgetattr, tcsetattr};

use crate::error::{Error, Result};

/// What a key typed at the prompt does.
#[derive(Debug, PartialEq, Eq)]
enum Key {
    /// Enter: the value as typed.
    Enter,
    /// Ctrl-C, or Ctrl-D on nothing typed (end of input): the run stops.
    Stop,
    /// Backspace: one character less.
    Erase,
    /// Ctrl-U: nothing typed.
    Clear,
    /// A byte of the value.
    Byte(u8),
    /// Another control key: ignored, as the visible prompts ignore it.
    Ignored,
}

fn key(byte: u8, empty: bool) -> Key {
    match byte {
        b'\r' | b'\n' => Key::Enter,
        0x03 => Key::Stop,
        0x04 if empty => Key::Stop,
        0x7f | 0x08 => Key::Erase,
        0x15 => Key::Clear,
        b if b < 0x20 => Key::Ignored,
        b => Key::Byte(b),
    }
}

/// Drops the last character (all of its UTF-8 bytes) of `value`.
fn erase(value: &mut Vec<u8>) {
    while let Some(b) = value.pop() {
        if b & 0xc0 != 0x80 {
            break;
        }
    }
}

/// Puts the terminal back as the prompt found it, however the prompt ends.
struct Restore(Termios);

impl Drop for Restore {
    fn drop(&mut self) {
        // Gone with the terminal: nothing to put back.
        let _ = tcsetattr(std::io::stdin(), OptionalActions::Now, &self.0);
    }
}

/// Asks `prompt` on `term` and reads a value without echo from standard
/// input (a terminal). Empty asks again. Ctrl-C, Ctrl-D on nothing typed, the
/// end of input or a read error (the terminal hung up) is `Interrupted`.
pub fn ask(term: &Term, prompt: &str) -> Result<String> {
    let stdin = std::io::stdin();
    let original = tcgetattr(&stdin).map_err(|_| stopped())?;
    let mut raw = original.clone();
    raw.make_raw();
    // Line ends written while it waits still return the carriage.
    raw.output_modes = original.output_modes;
    let _restore = Restore(original);
    tcsetattr(&stdin, OptionalActions::Flush, &raw).map_err(|_| stopped())?;
    let shown = format!("{prompt}: ");
    let _ = term.write_str(&shown);
    let mut value: Vec<u8> = Vec::new();
    loop {
        let mut byte = [0u8; 1];
        match rustix::io::read(&stdin, &mut byte) {
            Ok(1) => {}
            // A signal (the hook of a stop signal ends the process itself).
            Err(e) if e == rustix::io::Errno::INTR => continue,
            // End of input or an error: the terminal is gone.
            _ => return Err(stopped()),
        }
        match key(byte[0], value.is_empty()) {
            Key::Enter if value.is_empty() => {
                let _ = term.clear_line();
                let _ = term.write_str(&shown);
            }
            Key::Enter => break,
            Key::Stop => return Err(stopped()),
            Key::Erase => erase(&mut value),
            Key::Clear => value.clear(),
            Key::Byte(b) => value.push(b),
            Key::Ignored => {}
        }
    }
    let _ = term.clear_line();
    let _ = term.write_line(&format!("{prompt}: [hidden]"));
    Ok(String::from_utf8_lossy(&value).into_owned())
}

/// The prompt ended without a value: what comes next starts on a fresh line.
fn stopped() -> Error {
    let _ = std::io::stderr().write_all(b"\n");
    Error::Interrupted
}

#[cfg(test)]
mod tests {
    use super::{Key, erase, key};

    #[test]
    fn keys_at_the_hidden_prompt() {
        assert_eq!(key(b'\r', false), Key::Enter);
        assert_eq!(key(0x03, false), Key::Stop);
        assert_eq!(key(0x04, true), Key::Stop);
        assert_eq!(key(0x04, false), Key::Ignored);
        assert_eq!(key(0x7f, false), Key::Erase);
        assert_eq!(key(b'x', true), Key::Byte(b'x'));
        let mut v = "aé".as_bytes().to_vec();
        erase(&mut v);
        assert_eq!(v, b"a");
        erase(&mut v);
        erase(&mut v);
        assert!(v.is_empty());
    }
}
