//! Text that does not parse as bash, read as a shell would as far as it can:
//! a tokenizer that finds the simple commands for the guard all the same.

use super::shell::Cmd;

/// Reads text that does not parse as bash (an unclosed quote, a
/// `<placeholder>`, another language) as a shell would as far as it can:
/// continuations joined, comments dropped, quotes kept together, commands
/// split at `;`, `&`, `|`, newlines and parentheses, here-documents taken as
/// standard input, `<name>` kept as a word.
pub(super) fn lenient(script: &str, out: &mut Vec<Cmd>) {
    let text = script.replace("\\\r\n", "").replace("\\\n", "");
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        at: 0,
        cmd: Cmd::default(),
        word: None,
        target: None,
        heredocs: Vec::new(),
        out,
    };
    lexer.run();
}

/// Where the word being read goes.
#[derive(Clone, Copy)]
enum Target {
    /// A file written to (`> file`).
    Writes,
    /// A file read from, or a file descriptor: not an argument.
    Ignored,
    /// The delimiter of a here-document.
    Delimiter,
}

struct Lexer<'a> {
    chars: Vec<char>,
    at: usize,
    cmd: Cmd,
    word: Option<String>,
    target: Option<Target>,
    /// Delimiters of here-documents announced on the current line.
    heredocs: Vec<String>,
    out: &'a mut Vec<Cmd>,
}

/// Words that open or close a compound command: the command starts after them.
const RESERVED: &[&str] = &[
    "{", "}", "!", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "case",
    "esac", "time",
];

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn push_char(&mut self, c: char) {
        self.word.get_or_insert_with(String::new).push(c);
    }

    fn end_word(&mut self) {
        let Some(word) = self.word.take() else {
            return;
        };
        match self.target.take() {
            Some(Target::Writes) => self.cmd.writes.push(word),
            Some(Target::Ignored) => {}
            Some(Target::Delimiter) => self.heredocs.push(word),
            None if self.cmd.words.is_empty() && RESERVED.contains(&word.as_str()) => {}
            None => self.cmd.words.push(word),
        }
    }

    fn end_command(&mut self) {
        self.end_word();
        let cmd = std::mem::take(&mut self.cmd);
        if !cmd.words.is_empty() {
            self.out.push(cmd);
        }
    }

    /// The bodies of the here-documents announced on the line just ended.
    fn read_heredocs(&mut self) {
        let mut body = String::new();
        for delimiter in std::mem::take(&mut self.heredocs) {
            while self.at < self.chars.len() {
                let end = self.chars[self.at..]
                    .iter()
                    .position(|&d| d == '\n')
                    .map_or(self.chars.len(), |n| self.at + n);
                let line: String = self.chars[self.at..end].iter().collect();
                self.at = end + 1;
                if line.trim() == delimiter {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
        }
        self.cmd.stdin = Some(body);
    }

    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            self.at += 1;
            match c {
                '\'' | '"' => {
                    // An unclosed quote ends with its line.
                    let word = self.word.get_or_insert_with(String::new);
                    while let Some(d) = self.chars.get(self.at).copied() {
                        if d == '\n' {
                            break;
                        }
                        self.at += 1;
                        if d == c {
                            break;
                        }
                        word.push(d);
                    }
                }
                '\\' => {
                    if let Some(d) = self.peek(0) {
                        self.at += 1;
                        self.push_char(d);
                    }
                }
                '#' if self.word.is_none() => {
                    while self.peek(0).is_some_and(|d| d != '\n') {
                        self.at += 1;
                    }
                }
                '<' if self.peek(0) == Some('<') => {
                    self.end_word();
                    self.at += 1;
                    if self.peek(0) == Some('<') {
                        // A here-string: the next word is read as an argument.
                        self.at += 1;
                        continue;
                    }
                    if self.peek(0) == Some('-') {
                        self.at += 1;
                    }
                    while self.peek(0) == Some(' ') {
                        self.at += 1;
                    }
                    self.target = Some(Target::Delimiter);
                }
                '<' if self.word.is_none() && self.placeholder() => {}
                '<' => {
                    self.end_word();
                    self.target = Some(Target::Ignored);
                }
                '>' => {
                    if self
                        .word
                        .as_deref()
                        .is_some_and(|w| w.chars().all(|d| d.is_ascii_digit()))
                    {
                        self.word = None; // `2>`: a file descriptor
                    }
                    self.end_word();
                    while matches!(self.peek(0), Some('>' | '|')) {
                        self.at += 1;
                    }
                    if self.peek(0) == Some('&') {
                        self.at += 1;
                        self.target = Some(Target::Ignored);
                    } else {
                        self.target = Some(Target::Writes);
                    }
                }
                ' ' | '\t' | '\r' => self.end_word(),
                '\n' => {
                    self.end_word();
                    if !self.heredocs.is_empty() {
                        self.read_heredocs();
                    }
                    self.end_command();
                }
                '$' if self.peek(0) == Some('(') => {
                    self.end_command();
                    self.at += 1;
                }
                ';' | '&' | '|' | '(' | ')' | '`' => self.end_command(),
                c => self.push_char(c),
            }
        }
        self.end_command();
    }

    /// At `<` (already taken): reads a `<name>` placeholder as a word.
    fn placeholder(&mut self) -> bool {
        let rest = &self.chars[self.at..];
        let Some(n) = rest.iter().position(|&d| d == '>' || d == '\n' || d == '<') else {
            return false;
        };
        if n == 0 || rest[n] != '>' || !rest[0].is_alphanumeric() {
            return false;
        }
        let word: String = std::iter::once('<')
            .chain(rest[..=n].iter().copied())
            .collect();
        self.word = Some(word);
        self.at += n + 1;
        true
    }
}
