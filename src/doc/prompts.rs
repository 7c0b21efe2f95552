//! Reading a block written as a terminal session: which lines are commands
//! (`$ ` prompts and their continuations), and which are the output shown.

/// Whether a block is a terminal session, so that only its commands run. A
/// `console` block is one when any line holds a `$ ` prompt; a shell block
/// (`bash`, `sh`) only when its first command line does: a `$ ` line further
/// down, in a here-document or a string, is part of a script.
pub fn is_session(console: bool, code: &str) -> bool {
    // Most blocks hold no `$ ` at all: one fast search rules them out.
    if !code.contains("$ ") {
        return false;
    }
    if console {
        return code.lines().any(|l| l.trim_start().starts_with("$ "));
    }
    code.lines()
        .map(str::trim_start)
        .find(|l| !l.trim_end().is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with("$ "))
}

/// A session's commands, and the lines that are neither commands nor
/// comments: the output the author saw.
pub fn split(code: &str) -> (String, String) {
    let mut out = String::new();
    let mut example = String::new();
    // The command being read, while it is still open at the end of a line.
    let mut open: Option<Open> = None;
    for line in code.lines() {
        let trimmed = line.trim_start();
        if let Some(command) = open.as_mut() {
            match command.continues(line) {
                Some(rest) => {
                    out.push_str(rest);
                    out.push('\n');
                    command.shell.read(rest);
                    if !command.shell.is_open() {
                        open = None;
                    }
                    continue;
                }
                None => {
                    close_here_documents(&mut out, &command.shell);
                    open = None;
                }
            }
        }
        if let Some(cmd) = trimmed.strip_prefix("$ ") {
            out.push_str(cmd);
            out.push('\n');
            let mut shell = Shell::default();
            shell.read(cmd);
            if shell.is_open() {
                open = Some(Open { shell, ps2: None });
            }
        } else if trimmed.starts_with('#') {
            // A comment the author wrote between commands: neither a
            // command nor output to compare.
        } else {
            example.push_str(line);
            example.push('\n');
        }
    }
    if let Some(command) = &open {
        close_here_documents(&mut out, &command.shell);
    }
    (out, example)
}

/// Ends the here-documents a command left open, so that they cannot take
/// in the commands after it.
fn close_here_documents(out: &mut String, shell: &Shell) {
    for doc in &shell.here_documents {
        out.push_str(&doc.word);
        out.push('\n');
    }
}

/// A command still open at the end of its line.
struct Open {
    shell: Shell,
    /// Whether its continuation lines carry bash's `> ` prompt: decided by
    /// the first of them.
    ps2: Option<bool>,
}

impl Open {
    /// What of `line` continues the command (the `> ` prompt taken off), or
    /// `None` when the line is not part of it.
    fn continues<'a>(&mut self, line: &'a str) -> Option<&'a str> {
        let trimmed = line.trim_start();
        let prompted = trimmed
            .strip_prefix("> ")
            .or_else(|| (trimmed.trim_end() == ">").then_some(""));
        if self.shell.backslash {
            // Whatever follows a `\` is the same command, as ever.
            return Some(prompted.unwrap_or(line));
        }
        if !self.shell.here_documents.is_empty() || self.shell.quote.is_some() {
            // A here-document's body, or a string's next line: written with
            // `> ` prompts or without, as the first line of it shows. A `$ `
            // line in it is text, never a command.
            let ps2 = *self.ps2.get_or_insert(prompted.is_some());
            return match (ps2, prompted) {
                (true, Some(rest)) => Some(rest),
                (true, None) => None,
                (false, _) => Some(line),
            };
        }
        // An open `(`, `{` or `if`: only lines with the prompt go on with it,
        // others are its output.
        self.ps2 = Some(true);
        prompted
    }
}

/// A here-document still to be read: the word that ends it.
struct HereDocument {
    word: String,
    /// `<<-`: tabs before the word are allowed.
    tabs: bool,
}

/// What a command left open, read as the shell reads it, cheaply: quotes,
/// here-documents, brackets, compound commands (`if … fi`), a final `\`.
#[derive(Default)]
struct Shell {
    quote: Option<char>,
    brackets: usize,
    compounds: usize,
    here_documents: Vec<HereDocument>,
    /// Whether the here-documents' bodies have begun (the line that named
    /// them has ended).
    in_body: bool,
    backslash: bool,
}

const OPENS: &[&str] = &["if", "case", "for", "while", "until", "select"];
const CLOSES: &[&str] = &["fi", "esac", "done"];
/// Words after which a command name comes again.
const LEADS: &[&str] = &[
    "then", "do", "else", "elif", "if", "while", "until", "!", "time", "{", "(",
];

impl Shell {
    fn is_open(&self) -> bool {
        self.backslash
            || self.quote.is_some()
            || self.brackets > 0
            || self.compounds > 0
            || !self.here_documents.is_empty()
    }

    /// Reads one line of the command.
    fn read(&mut self, line: &str) {
        self.backslash = false;
        if self.in_body {
            let Some(doc) = self.here_documents.first() else {
                self.in_body = false;
                return self.read(line);
            };
            let end = if doc.tabs {
                line.trim_start_matches('\t')
            } else {
                line
            };
            if end.trim_end_matches('\r') == doc.word {
                self.here_documents.remove(0);
                self.in_body = !self.here_documents.is_empty();
            }
            return;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        // Whether a word here would be a command's name.
        let mut command = true;
        // Whether the last character seen ends a word.
        let mut word_start = true;
        while i < chars.len() {
            let c = chars[i];
            if let Some(q) = self.quote {
                match c {
                    '\\' if q != '\'' => i += 1,
                    c if c == q => self.quote = None,
                    _ => {}
                }
                i += 1;
                word_start = false;
                continue;
            }
            match c {
                '\\' => {
                    if i + 1 == chars.len() {
                        self.backslash = true;
                    }
                    i += 2;
                    word_start = false;
                    command = false;
                    continue;
                }
                '\'' | '"' | '`' => {
                    self.quote = Some(c);
                    word_start = false;
                    command = false;
                }
                '#' if word_start => break,
                ';' | '&' | '|' => {
                    command = true;
                    word_start = true;
                }
                '(' => {
                    self.brackets += 1;
                    command = true;
                    word_start = true;
                }
                ')' => {
                    self.brackets = self.brackets.saturating_sub(1);
                    word_start = true;
                }
                '<' if chars.get(i + 1) == Some(&'<') => {
                    // `<<<` gives a word, not a here-document.
                    i = if chars.get(i + 2) == Some(&'<') {
                        i + 3
                    } else {
                        self.here_document(&chars, i + 2)
                    };
                    word_start = true;
                    continue;
                }
                c if c.is_whitespace() => word_start = true,
                _ if word_start => {
                    let end = chars[i..]
                        .iter()
                        .position(|c| c.is_whitespace() || matches!(c, ';' | '&' | '|' | ')'))
                        .map_or(chars.len(), |n| i + n);
                    let word: String = chars[i..end].iter().collect();
                    if command {
                        match word.as_str() {
                            "{" => self.brackets += 1,
                            "}" => self.brackets = self.brackets.saturating_sub(1),
                            w if OPENS.contains(&w) => self.compounds += 1,
                            w if CLOSES.contains(&w) => {
                                self.compounds = self.compounds.saturating_sub(1);
                            }
                            _ => {}
                        }
                        command = LEADS.contains(&word.as_str());
                    }
                    // Quotes and `$(` in the word are read one by one.
                    if word
                        .chars()
                        .any(|c| matches!(c, '\'' | '"' | '`' | '\\' | '(' | '<'))
                    {
                        word_start = false;
                    } else {
                        i = end;
                        word_start = false;
                        continue;
                    }
                }
                _ => word_start = false,
            }
            i += 1;
        }
        if !self.here_documents.is_empty() {
            self.in_body = true;
        }
    }

    /// Reads the word after `<<` (or `<<-`) starting at `i`; returns where
    /// reading goes on.
    fn here_document(&mut self, chars: &[char], mut i: usize) -> usize {
        let tabs = chars.get(i) == Some(&'-');
        if tabs {
            i += 1;
        }
        while chars.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
            i += 1;
        }
        let mut word = String::new();
        let mut quote = None;
        while let Some(&c) = chars.get(i) {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), c) => word.push(c),
                (None, '\'' | '"') => quote = Some(c),
                (None, '\\') => {}
                (None, c)
                    if c.is_whitespace() || matches!(c, ';' | '&' | '|' | '<' | '>' | ')') =>
                {
                    break;
                }
                (None, c) => word.push(c),
            }
            i += 1;
        }
        if !word.is_empty() {
            self.here_documents.push(HereDocument { word, tabs });
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shell_block_is_a_session_only_when_it_starts_with_a_prompt() {
        assert!(is_session(false, "# list\n$ ls\nfile\n"));
        assert!(!is_session(
            false,
            "cat > notes <<'EOF'\n$ rm -rf /tmp/x\nEOF\necho done\n"
        ));
        assert!(!is_session(false, "echo \"one\n$ two\"\n"));
        assert!(is_session(true, "some output\n$ ls\n"));
        assert!(!is_session(true, "ls\n"));
    }

    #[test]
    fn continuation_prompts_join_their_command() {
        let (run, shown) = split("$ echo one && \\\n> echo two\none\ntwo\n");
        assert_eq!(run, "echo one && \\\necho two\n");
        assert_eq!(shown, "one\ntwo\n");
    }

    #[test]
    fn a_here_document_with_prompts_ends_where_its_word_does() {
        let (run, shown) = split("$ cat <<EOF > file\n> hello\n> EOF\n$ cat file\nhello\n");
        assert_eq!(run, "cat <<EOF > file\nhello\nEOF\ncat file\n");
        assert_eq!(shown, "hello\n");
        let (run, _) = split("$ cat <<-'END' > f\n> \tx\n> \tEND\n$ ls\n");
        assert_eq!(run, "cat <<-'END' > f\n\tx\n\tEND\nls\n");
    }

    #[test]
    fn a_here_document_without_prompts_holds_its_dollar_lines() {
        let (run, shown) = split("$ cat > n <<EOF\n$ rm -rf x\nEOF\n$ echo ok\nok\n");
        assert_eq!(run, "cat > n <<EOF\n$ rm -rf x\nEOF\necho ok\n");
        assert_eq!(shown, "ok\n");
    }

    #[test]
    fn a_here_document_left_open_is_closed_before_the_next_command() {
        let (run, _) = split("$ cat <<EOF > f\n> hello\n$ echo next\n");
        assert_eq!(run, "cat <<EOF > f\nhello\nEOF\necho next\n");
    }

    #[test]
    fn strings_brackets_and_compounds_take_their_prompted_lines() {
        let (run, _) = split("$ echo \"one\n> two\"\none\ntwo\n");
        assert_eq!(run, "echo \"one\ntwo\"\n");
        let (run, shown) = split("$ for i in 1 2; do\n> echo $i\n> done\n1\n2\n");
        assert_eq!(run, "for i in 1 2; do\necho $i\ndone\n");
        assert_eq!(shown, "1\n2\n");
        let (run, _) = split("$ f() {\n> echo hi\n> }\n$ f\nhi\n");
        assert_eq!(run, "f() {\necho hi\n}\nf\n");
        let (run, shown) = split("$ (cd /tmp\n> ls)\nfile\n");
        assert_eq!(run, "(cd /tmp\nls)\n");
        assert_eq!(shown, "file\n");
    }

    #[test]
    fn output_starting_with_a_quote_mark_after_a_complete_command_is_output() {
        let (run, shown) = split("$ git log -1\n> quoted line\n$ echo 'it''s' # don't\n");
        assert_eq!(run, "git log -1\necho 'it''s' # don't\n");
        assert_eq!(shown, "> quoted line\n");
        let (run, shown) = split("$ echo ${HOME} $(date) <<< word\n> x\n");
        assert_eq!(run, "echo ${HOME} $(date) <<< word\n");
        assert_eq!(shown, "> x\n");
    }

    #[test]
    fn keywords_count_only_as_command_names() {
        let (run, shown) = split("$ echo if done\n> out\n");
        assert_eq!(run, "echo if done\n");
        assert_eq!(shown, "> out\n");
    }
}
