//! A line typed at a prompt, read key by key with the terminal in raw mode
//! for as long as the prompt is open: the editing keys of a shell's line
//! (arrows, Home and End, Backspace and Delete, Ctrl-U, Ctrl-K, Ctrl-W), and
//! Ctrl-C, or Ctrl-D on nothing typed, ending the run at every prompt alike.
//! A hidden prompt (a secret's value) echoes nothing. Keys typed before the
//! prompt opened (while a block ran) are dropped, so they cannot answer it.

use std::sync::Mutex;
use std::time::Duration;

use console::{Term, measure_text_width};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::termios::{OptionalActions, Termios, tcgetattr, tcsetattr};

use crate::error::{Error, Result};

/// How long the rest of an escape sequence may take to come: an Escape key
/// alone sends nothing after it.
const SEQUENCE_GAP: Duration = Duration::from_millis(30);

/// The terminal's settings as the open prompt found them, for a stop signal
/// that ends the process at the prompt (`restore`).
static FOUND: Mutex<Option<Termios>> = Mutex::new(None);

/// A key typed at the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Enter,
    /// Ctrl-C.
    Interrupt,
    /// Ctrl-D: the end of input on nothing typed, Delete otherwise.
    CtrlD,
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    /// Ctrl-U: what is before the cursor goes.
    KillBack,
    /// Ctrl-K: what is after the cursor goes.
    KillForward,
    /// Ctrl-W: the word before the cursor goes.
    WordBack,
    Char(char),
    /// Any other key or sequence (Escape, Up, F1, Tab).
    Ignored,
}

/// The next key from `next`, which gives the next byte typed, waiting at
/// most the duration given (forever on `None`). `None`: input has ended.
fn key(next: &mut impl FnMut(Option<Duration>) -> Option<u8>) -> Option<Key> {
    let byte = next(None)?;
    Some(match byte {
        b'\r' | b'\n' => Key::Enter,
        0x03 => Key::Interrupt,
        0x04 => Key::CtrlD,
        0x7f | 0x08 => Key::Backspace,
        0x01 => Key::Home,
        0x05 => Key::End,
        0x02 => Key::Left,
        0x06 => Key::Right,
        0x15 => Key::KillBack,
        0x0b => Key::KillForward,
        0x17 => Key::WordBack,
        0x1b => escape(next),
        b if b < 0x20 => Key::Ignored,
        b if b < 0x80 => Key::Char(char::from(b)),
        b => {
            let len = match b {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf7 => 4,
                _ => return Some(Key::Ignored),
            };
            // The rest of a character comes with its first byte.
            let mut bytes = vec![b];
            for _ in 1..len {
                bytes.push(next(None)?);
            }
            std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| s.chars().next())
                .map_or(Key::Ignored, Key::Char)
        }
    })
}

/// The key an escape sequence stands for, its `ESC` read.
fn escape(next: &mut impl FnMut(Option<Duration>) -> Option<u8>) -> Key {
    match next(Some(SEQUENCE_GAP)) {
        Some(b'[') => {
            // Control sequence: parameters, intermediates, a final byte.
            let mut params = Vec::new();
            loop {
                match next(Some(SEQUENCE_GAP)) {
                    Some(b @ 0x20..=0x3f) => params.push(b),
                    Some(b'C') => return Key::Right,
                    Some(b'D') => return Key::Left,
                    Some(b'H') => return Key::Home,
                    Some(b'F') => return Key::End,
                    Some(b'~') => {
                        return match params.as_slice() {
                            b"1" | b"7" => Key::Home,
                            b"4" | b"8" => Key::End,
                            b"3" => Key::Delete,
                            _ => Key::Ignored,
                        };
                    }
                    _ => return Key::Ignored,
                }
            }
        }
        Some(b'O') => match next(Some(SEQUENCE_GAP)) {
            Some(b'C') => Key::Right,
            Some(b'D') => Key::Left,
            Some(b'H') => Key::Home,
            Some(b'F') => Key::End,
            _ => Key::Ignored,
        },
        _ => Key::Ignored,
    }
}

/// What is typed so far, and where the cursor is in it (in characters).
#[derive(Debug, Default)]
struct Edit {
    chars: Vec<char>,
    at: usize,
}

/// What a key did to the line.
#[derive(Debug, PartialEq, Eq)]
enum Done {
    Submit,
    Stop,
    Changed,
}

impl Edit {
    fn apply(&mut self, key: Key, hidden: bool) -> Done {
        match key {
            Key::Enter => return Done::Submit,
            Key::Interrupt => return Done::Stop,
            Key::CtrlD if self.chars.is_empty() => return Done::Stop,
            Key::Char(c) => {
                self.chars.insert(self.at, c);
                self.at += 1;
            }
            Key::Backspace if self.at > 0 => {
                self.at -= 1;
                self.chars.remove(self.at);
            }
            Key::KillBack => {
                self.chars.drain(..self.at);
                self.at = 0;
            }
            Key::WordBack => {
                let mut start = self.at;
                while start > 0 && self.chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                while start > 0 && !self.chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                self.chars.drain(start..self.at);
                self.at = start;
            }
            // A hidden value's cursor stays at its end: keys that move it or
            // act on what is after it would act unseen.
            _ if hidden => {}
            Key::CtrlD | Key::Delete if self.at < self.chars.len() => {
                self.chars.remove(self.at);
            }
            Key::Left if self.at > 0 => self.at -= 1,
            Key::Right if self.at < self.chars.len() => self.at += 1,
            Key::Home => self.at = 0,
            Key::End => self.at = self.chars.len(),
            Key::KillForward => self.chars.truncate(self.at),
            _ => {}
        }
        Done::Changed
    }

    fn text(&self) -> String {
        self.chars.iter().collect()
    }
}

/// Where the prompt is on the screen, for drawing it again in place.
#[derive(Default)]
struct Drawn {
    /// Rows from the prompt's first row down to the cursor's.
    rows_above_cursor: usize,
    /// Rows of an error line shown above the prompt.
    error_rows: usize,
}

/// The columns `text` takes on the terminal (escape sequences take none).
fn width(text: &str) -> usize {
    measure_text_width(text)
}

/// Rows that `columns` columns of text take on a terminal `cols` wide.
fn rows(columns: usize, cols: usize) -> usize {
    columns.div_ceil(cols).max(1)
}

impl Drawn {
    /// The escapes that take the cursor back to the first column of the
    /// prompt's first row (with `error`, of the error line's) and clear
    /// everything from there down.
    fn back_to_start(&self, out: &mut String, error: bool) {
        let up = self.rows_above_cursor + if error { self.error_rows } else { 0 };
        if up > 0 {
            out.push_str(&format!("\x1b[{up}A"));
        }
        out.push_str("\r\x1b[J");
    }

    /// The escapes that take the cursor from where it is in the line to the
    /// start of the row below the line's last.
    fn below(&self, out: &mut String, shown: &str, edit: &Edit, hidden: bool, cols: usize) {
        let (all, before) = Drawn::widths(shown, edit, hidden);
        let down = (all / cols).saturating_sub(before / cols);
        if down > 0 {
            out.push_str(&format!("\x1b[{down}B"));
        }
        out.push_str("\r\n");
    }

    /// The columns of the prompt and all of the line, and of the prompt and
    /// the line before the cursor (a hidden line takes none).
    fn widths(shown: &str, edit: &Edit, hidden: bool) -> (usize, usize) {
        let prompt = width(shown);
        if hidden {
            return (prompt, prompt);
        }
        let before: String = edit.chars[..edit.at].iter().collect();
        (prompt + width(&edit.text()), prompt + width(&before))
    }

    /// The prompt and the line drawn again, the cursor put where it is in
    /// the line (a hidden line shows nothing).
    fn line(&mut self, out: &mut String, shown: &str, edit: &Edit, hidden: bool, cols: usize) {
        self.back_to_start(out, false);
        out.push_str(shown);
        if !hidden {
            out.push_str(&edit.text());
        }
        let (all, before) = Drawn::widths(shown, edit, hidden);
        // Text that ends at the last column leaves the cursor there: a line
        // end takes it to the next row, where the count below has it.
        if all % cols == 0 {
            out.push_str("\r\n");
        }
        let (end_row, row, col) = (all / cols, before / cols, before % cols);
        if end_row > row {
            out.push_str(&format!("\x1b[{}A", end_row - row));
        }
        out.push('\r');
        if col > 0 {
            out.push_str(&format!("\x1b[{col}C"));
        }
        self.rows_above_cursor = row;
    }
}

/// What refuses an answer, and why.
type Check<'a> = Box<dyn Fn(&str) -> std::result::Result<(), String> + 'a>;

/// A prompt for one line, asked on the terminal by `read`.
pub struct Ask<'a> {
    prompt: &'a str,
    empty: bool,
    hidden: bool,
    check: Option<Check<'a>>,
}

impl<'a> Ask<'a> {
    /// `prompt`, shown as `prompt: `. Enter on nothing typed asks again.
    pub fn new(prompt: &'a str) -> Ask<'a> {
        Ask {
            prompt,
            empty: false,
            hidden: false,
            check: None,
        }
    }

    /// Nothing typed is an answer.
    pub fn allow_empty(mut self) -> Self {
        self.empty = true;
        self
    }

    /// What is typed is not shown: the line reads `prompt: [hidden]` once
    /// answered.
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// An answer `check` refuses is shown as `error: <why>` above the prompt,
    /// which asks again.
    pub fn check(mut self, check: impl Fn(&str) -> std::result::Result<(), String> + 'a) -> Self {
        self.check = Some(Box::new(check));
        self
    }

    /// Asks on `term`, reading the keys from standard input (a terminal).
    /// Ctrl-C, Ctrl-D on nothing typed, the end of input or a read error (the
    /// terminal hung up) is `Interrupted`, as is a standard input that is not
    /// a terminal.
    pub fn read(self, term: &Term) -> Result<String> {
        let stdin = std::io::stdin();
        let original = tcgetattr(&stdin).map_err(|_| stopped())?;
        let mut raw = original.clone();
        raw.make_raw();
        // Line ends written while it waits still return the carriage.
        raw.output_modes = original.output_modes;
        let _restore = Restore::new(original);
        // Flush: what was typed before the question was shown is dropped.
        tcsetattr(&stdin, OptionalActions::Flush, &raw).map_err(|_| stopped())?;
        let mut next = |wait: Option<Duration>| next_byte(&stdin, wait);
        let shown = format!("{}: ", self.prompt);
        let cols = || usize::from(term.size().1).max(1);
        let mut drawn = Drawn::default();
        let mut edit = Edit::default();
        let mut out = String::new();
        drawn.line(&mut out, &shown, &edit, self.hidden, cols());
        let _ = term.write_str(&out);
        loop {
            let Some(key) = key(&mut next) else {
                return Err(self.stop(term, &drawn, &edit, &shown));
            };
            let appended = matches!(key, Key::Char(_)) && edit.at == edit.chars.len();
            match edit.apply(key, self.hidden) {
                Done::Stop => return Err(self.stop(term, &drawn, &edit, &shown)),
                // Nothing shown changes on a hidden line.
                Done::Changed if self.hidden => continue,
                // A character typed at the end that does not end a row is
                // only echoed, as a terminal would: no redraw.
                Done::Changed if appended => {
                    let (all, before) = Drawn::widths(&shown, &edit, false);
                    if all % cols() != 0 {
                        let _ = term.write_str(&edit.chars[edit.at - 1].to_string());
                        drawn.rows_above_cursor = before / cols();
                        continue;
                    }
                }
                Done::Changed => {}
                Done::Submit => {
                    let value = edit.text();
                    let refused = if value.is_empty() && !self.empty {
                        Some(None)
                    } else {
                        self.check
                            .as_ref()
                            .and_then(|check| check(&value).err())
                            .map(Some)
                    };
                    out.clear();
                    match refused {
                        None => {
                            drawn.back_to_start(&mut out, true);
                            let answer = if self.hidden { "[hidden]" } else { &value };
                            out.push_str(&format!("{shown}{answer}\r\n"));
                            let _ = term.write_str(&out);
                            return Ok(value);
                        }
                        // Nothing typed where something is needed: asked
                        // again, with no word.
                        Some(None) => {}
                        Some(Some(why)) => {
                            drawn.back_to_start(&mut out, true);
                            let line = format!("error: {why}");
                            drawn.error_rows = rows(width(&line), cols());
                            drawn.rows_above_cursor = 0;
                            out.push_str(&line);
                            out.push_str("\r\n");
                        }
                    }
                    edit = Edit::default();
                }
            }
            drawn.line(&mut out, &shown, &edit, self.hidden, cols());
            let _ = term.write_str(&out);
            out.clear();
        }
    }

    /// The prompt ended without an answer: the cursor goes below what was
    /// typed, so that what comes next starts on a fresh line.
    fn stop(&self, term: &Term, drawn: &Drawn, edit: &Edit, shown: &str) -> Error {
        let mut out = String::new();
        drawn.below(
            &mut out,
            shown,
            edit,
            self.hidden,
            usize::from(term.size().1).max(1),
        );
        // The terminal may be gone: the words may go nowhere.
        let _ = term.write_str(&out);
        Error::Interrupted
    }
}

/// The next byte on standard input, waiting at most `wait` (`None`: for as
/// long as it takes). `None`: nothing came in time, input ended, or the read
/// failed (the terminal hung up).
fn next_byte(stdin: &std::io::Stdin, wait: Option<Duration>) -> Option<u8> {
    loop {
        if let Some(wait) = wait {
            let mut fds = [PollFd::new(stdin, PollFlags::IN)];
            let timeout = Timespec {
                tv_sec: i64::try_from(wait.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(wait.subsec_nanos()),
            };
            match poll(&mut fds, Some(&timeout)) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) if e == rustix::io::Errno::INTR => continue,
                Err(_) => return None,
            }
        }
        let mut byte = [0u8; 1];
        match rustix::io::read(stdin, &mut byte) {
            Ok(1) => return Some(byte[0]),
            // A signal (the hook of a stop signal ends the process itself).
            Err(e) if e == rustix::io::Errno::INTR => continue,
            _ => return None,
        }
    }
}

/// The prompt ended before it was drawn (no terminal): what comes next
/// starts on a fresh line.
fn stopped() -> Error {
    let _ = std::io::Write::write_all(&mut std::io::stderr(), b"\n");
    Error::Interrupted
}

/// Puts the terminal back as the prompt found it, however the prompt ends.
struct Restore(Termios);

impl Restore {
    fn new(found: Termios) -> Restore {
        if let Ok(mut slot) = FOUND.lock() {
            *slot = Some(found.clone());
        }
        Restore(found)
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Ok(mut slot) = FOUND.lock() {
            *slot = None;
        }
        // Gone with the terminal: nothing to put back.
        let _ = tcsetattr(std::io::stdin(), OptionalActions::Now, &self.0);
    }
}

/// Puts the terminal back as an open prompt found it: for a process that
/// ends at a prompt (a stop signal), which runs no `Drop`.
pub fn restore() {
    if let Ok(slot) = FOUND.lock()
        && let Some(found) = slot.as_ref()
    {
        let _ = tcsetattr(std::io::stdin(), OptionalActions::Now, found);
    }
}

#[cfg(test)]
mod tests {
    use super::{Done, Drawn, Edit, Key, key};
    use std::collections::VecDeque;

    fn keys(bytes: &[u8]) -> Vec<Key> {
        let mut input: VecDeque<u8> = bytes.iter().copied().collect();
        let mut next = |_| input.pop_front();
        std::iter::from_fn(|| key(&mut next)).collect()
    }

    fn typed(bytes: &[u8], hidden: bool) -> (String, usize, Option<Done>) {
        let mut edit = Edit::default();
        let mut last = None;
        for k in keys(bytes) {
            last = Some(edit.apply(k, hidden));
            if last != Some(Done::Changed) {
                break;
            }
        }
        (edit.text(), edit.at, last)
    }

    #[test]
    fn keys_and_sequences() {
        assert_eq!(
            keys(b"a\x1b[D\x1b[C\x1b[H\x1b[F\x1b[3~\x1bOH\x1b[1~\x1b[4~\x1b[A\r\x1b"),
            vec![
                Key::Char('a'),
                Key::Left,
                Key::Right,
                Key::Home,
                Key::End,
                Key::Delete,
                Key::Home,
                Key::Home,
                Key::End,
                Key::Ignored,
                Key::Enter,
                Key::Ignored,
            ]
        );
        assert_eq!(keys("é€".as_bytes()), vec![Key::Char('é'), Key::Char('€')]);
        assert_eq!(
            keys(b"\x03\x04\t"),
            vec![Key::Interrupt, Key::CtrlD, Key::Ignored]
        );
        // A sequence cut short by the end of input is no key.
        assert_eq!(keys(b"\xc3"), vec![]);
    }

    #[test]
    fn editing_the_line() {
        assert_eq!(
            typed(b"helo\x1b[Dl\r", false),
            ("hello".into(), 4, Some(Done::Submit))
        );
        assert_eq!(typed(b"abc\x1b[H\x1b[3~\r", false).0, "bc");
        assert_eq!(typed(b"abc\x02\x02\x04\r", false).0, "ac");
        assert_eq!(typed(b"one two\x17\r", false).0, "one ");
        assert_eq!(typed(b"one two\x02\x02\x02\x15\r", false).0, "two");
        assert_eq!(typed(b"one two\x01\x06\x0b\r", false).0, "o");
        assert_eq!(typed("aé\x7f\x7fb\r".as_bytes(), false).0, "b");
    }

    #[test]
    fn ctrl_c_or_ctrl_d_on_nothing_stops() {
        assert_eq!(typed(b"\x04", false).2, Some(Done::Stop));
        assert_eq!(typed(b"abc\x03", false).2, Some(Done::Stop));
        assert_eq!(typed(b"x\x04", false).2, Some(Done::Changed));
        assert_eq!(typed(b"x\x7f\x04", true).2, Some(Done::Stop));
    }

    #[test]
    fn a_hidden_line_keeps_its_cursor_at_the_end() {
        assert_eq!(typed(b"secret\x1b[D\x1b[DX\r", true).0, "secretX");
        assert_eq!(typed(b"secret\x01\x0b\r", true).0, "secret");
    }

    #[test]
    fn the_cursor_is_put_back_on_the_right_row_of_a_wrapped_line() {
        let mut drawn = Drawn::default();
        let mut out = String::new();
        let edit = Edit {
            chars: "abcdefghij".chars().collect(),
            at: 2,
        };
        // `p: ` and 10 characters on 6 columns: rows `p: abc`, `defghi`, `j`.
        drawn.line(&mut out, "p: ", &edit, false, 6);
        assert_eq!(out, "\r\x1b[Jp: abcdefghij\x1b[2A\r\x1b[5C");
        assert_eq!(drawn.rows_above_cursor, 0);
        out.clear();
        let edit = Edit {
            chars: "abcdefghi".chars().collect(),
            at: 9,
        };
        // Ends at the last column: a line end, and the cursor on the row below.
        drawn.line(&mut out, "p: ", &edit, false, 6);
        assert_eq!(out, "\r\x1b[Jp: abcdefghi\r\n\r");
        assert_eq!(drawn.rows_above_cursor, 2);
        out.clear();
        drawn.line(&mut out, "p: ", &Edit::default(), false, 6);
        assert!(out.starts_with("\x1b[2A\r\x1b[J"), "{out:?}");
    }
}
