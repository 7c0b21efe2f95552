//! Where a value lands inside a shell block: a small lexer that follows
//! quotes, comments, `$(...)`, `${...}`, `$((...))` and here-documents far
//! enough to say how a value written at an offset must be quoted.

/// The shell's reading at one offset of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Where a word may go: a quoted word is one argument.
    Word,
    /// Inside `'...'`.
    Single,
    /// Inside `"..."`.
    Double,
    /// Inside `$'...'`.
    AnsiC,
    /// In a `# comment`, up to the end of the line.
    Comment,
    /// In the body of a here-document whose delimiter was not quoted
    /// (`$`, `` ` `` and `\` are special there).
    Heredoc,
    /// In the body of a here-document with a quoted delimiter (`<<'EOF'`):
    /// nothing is special but the delimiter line.
    HeredocLiteral,
    /// Inside `${...}`, `$((...))` or backticks: no quoting is safe there.
    Expansion,
    /// Inside `$((...))`.
    Arithmetic,
}

/// A line of a here-document's body: the delimiter that ends the body, and
/// whether leading tabs are stripped before a line is compared with it
/// (`<<-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HereLine {
    pub delimiter: String,
    pub strip_tabs: bool,
    /// The line in the block's body, without its line feed.
    pub line: std::ops::Range<usize>,
}

impl HereLine {
    /// Whether `line`, this line as it will be written, ends the
    /// here-document.
    pub fn ends_it(&self, line: &str) -> bool {
        let line = line.trim_end_matches('\r');
        let line = if self.strip_tabs {
            line.trim_start_matches('\t')
        } else {
            line
        };
        line == self.delimiter
    }
}

/// Gives a context to the offsets up to an end: (from, to, context, out).
type Mark<'m> = dyn FnMut(usize, usize, Context, &mut Vec<Context>) + 'm;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Plain shell text; `depth` counts open `(` (subshells, `$(`).
    Plain {
        depth: usize,
        sub: bool,
    },
    Double,
    Backtick,
    Param,
    Arith {
        depth: usize,
    },
}

/// The context at each of `offsets` (ascending byte offsets into `body`). A
/// prompted block (`console`, or `$ ` lines) is read line by line: each `$ `
/// line starts afresh, and the other lines are shown output.
pub fn contexts(body: &str, offsets: &[usize], prompted: bool) -> Vec<Context> {
    if prompted {
        let mut out = Vec::with_capacity(offsets.len());
        let mut line_start = 0;
        for line in body.split_inclusive('\n') {
            let end = line_start + line.len();
            let here: Vec<usize> = offsets
                .iter()
                .filter(|&&o| o >= line_start && o < end)
                .map(|&o| o - line_start)
                .collect();
            if !here.is_empty() {
                out.extend(Lexer::new(line).run(&here));
            }
            line_start = end;
        }
        // Offsets at the very end of the body.
        while out.len() < offsets.len() {
            out.push(Context::Word);
        }
        return out;
    }
    Lexer::new(body).run(offsets)
}

/// For each of `offsets` (ascending byte offsets into `body`, a shell
/// block), the here-document line it is on, if any: a value there must not
/// make the line the delimiter, which would end the here-document early and
/// run the lines after it as commands.
pub fn here_lines(body: &str, offsets: &[usize], prompted: bool) -> Vec<Option<HereLine>> {
    // A prompted block's lines are read one by one: no here-document
    // body is in one of them.
    if prompted || !body.contains("<<") {
        return vec![None; offsets.len()];
    }
    let mut lexer = Lexer::new(body);
    lexer.here = Some(Vec::new());
    lexer.lex(offsets);
    let mut lines = vec![None; offsets.len()];
    for (marked, line) in lexer.here.unwrap_or_default() {
        for slot in lines.get_mut(marked).into_iter().flatten() {
            *slot = Some(line.clone());
        }
    }
    lines
}

/// The bytes that mean something to `Lexer::run` in plain shell text, and
/// inside double quotes; every other byte is passed over.
const PLAIN_SPECIAL: [bool; 256] = special(b"\\'$\"`()#<\n");
const DOUBLE_SPECIAL: [bool; 256] = special(b"\\\"`$");

const fn special(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut k = 0;
    while k < bytes.len() {
        table[bytes[k] as usize] = true;
        k += 1;
    }
    table
}

/// Where the first byte of `table` at or after `from` is (or the end).
fn skip(t: &[u8], from: usize, table: &[bool; 256]) -> usize {
    t[from..]
        .iter()
        .position(|&b| table[usize::from(b)])
        .map_or(t.len(), |p| from + p)
}

struct Lexer<'a> {
    text: &'a [u8],
    stack: Vec<Frame>,
    /// Here-documents announced on the current line: (delimiter, quoted, strip tabs).
    pending: Vec<(String, bool, bool)>,
    /// When kept: the here-document lines offsets were on, as the indices
    /// of those offsets and the line.
    here: Option<Vec<(std::ops::Range<usize>, HereLine)>>,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer {
            text: text.as_bytes(),
            stack: vec![Frame::Plain {
                depth: 0,
                sub: false,
            }],
            pending: Vec::new(),
            here: None,
        }
    }

    fn frame(&self) -> Frame {
        *self.stack.last().unwrap_or(&Frame::Plain {
            depth: 0,
            sub: false,
        })
    }

    fn run(mut self, offsets: &[usize]) -> Vec<Context> {
        self.lex(offsets)
    }

    fn lex(&mut self, offsets: &[usize]) -> Vec<Context> {
        let mut out = Vec::with_capacity(offsets.len());
        let mut next = 0;
        let mut i = 0;
        let t = self.text;
        // The context given to every offset in [from, to).
        let mut mark = |_from: usize, to: usize, ctx: Context, out: &mut Vec<Context>| {
            while next < offsets.len() && offsets[next] < to {
                out.push(ctx);
                next += 1;
            }
        };
        // Once every offset has its context, the rest of the block does
        // not change any.
        while i < t.len() && out.len() < offsets.len() {
            let frame = self.frame();
            let c = t[i];
            match frame {
                Frame::Plain { .. } if !PLAIN_SPECIAL[usize::from(c)] => {
                    // A run of bytes that change nothing, passed at once.
                    let end = skip(t, i, &PLAIN_SPECIAL);
                    mark(i, end, Context::Word, &mut out);
                    i = end;
                }
                Frame::Double if !DOUBLE_SPECIAL[usize::from(c)] => {
                    let end = skip(t, i, &DOUBLE_SPECIAL);
                    mark(i, end, Context::Double, &mut out);
                    i = end;
                }
                Frame::Plain { depth, sub } => {
                    mark(i, i + 1, Context::Word, &mut out);
                    match c {
                        b'\\' => i += 2,
                        b'\'' => {
                            let end = find(t, i + 1, b'\'');
                            mark(i + 1, end, Context::Single, &mut out);
                            i = end + 1;
                        }
                        b'$' if t.get(i + 1) == Some(&b'\'') => {
                            let mut j = i + 2;
                            while j < t.len() && t[j] != b'\'' {
                                j += if t[j] == b'\\' { 2 } else { 1 };
                            }
                            let end = j.min(t.len());
                            mark(i + 2, end, Context::AnsiC, &mut out);
                            i = end + 1;
                        }
                        b'"' => {
                            self.stack.push(Frame::Double);
                            i += 1;
                        }
                        b'`' => {
                            self.stack.push(Frame::Backtick);
                            i += 1;
                        }
                        b'$' => i = self.dollar(i),
                        b'(' => {
                            self.set_depth(depth + 1, sub);
                            i += 1;
                        }
                        b')' => {
                            if depth == 0 && sub {
                                self.stack.pop();
                            } else {
                                self.set_depth(depth.saturating_sub(1), sub);
                            }
                            i += 1;
                        }
                        b'#' if word_start(t, i) => {
                            let end = find(t, i, b'\n');
                            mark(i, end, Context::Comment, &mut out);
                            i = end;
                        }
                        b'<' if t.get(i + 1) == Some(&b'<') && t.get(i + 2) != Some(&b'<') => {
                            i = self.heredoc_word(i + 2);
                        }
                        b'\n' => {
                            i += 1;
                            if !self.pending.is_empty() {
                                i = self.heredoc_bodies(
                                    i,
                                    &mut |from, to, ctx, out| mark(from, to, ctx, out),
                                    &mut out,
                                );
                            }
                        }
                        _ => i += 1,
                    }
                }
                Frame::Double => {
                    mark(i, i + 1, Context::Double, &mut out);
                    match c {
                        b'\\' => i += 2,
                        b'"' => {
                            self.stack.pop();
                            i += 1;
                        }
                        b'`' => {
                            self.stack.push(Frame::Backtick);
                            i += 1;
                        }
                        b'$' => i = self.dollar(i),
                        _ => i += 1,
                    }
                }
                Frame::Backtick => {
                    mark(i, i + 1, Context::Expansion, &mut out);
                    match c {
                        b'\\' => i += 2,
                        b'`' => {
                            self.stack.pop();
                            i += 1;
                        }
                        _ => i += 1,
                    }
                }
                Frame::Param => {
                    mark(i, i + 1, Context::Expansion, &mut out);
                    match c {
                        b'\\' => i += 2,
                        b'}' => {
                            self.stack.pop();
                            i += 1;
                        }
                        _ => i += 1,
                    }
                }
                Frame::Arith { depth } => {
                    mark(i, i + 1, Context::Arithmetic, &mut out);
                    match c {
                        b'(' => {
                            self.stack.pop();
                            self.stack.push(Frame::Arith { depth: depth + 1 });
                            i += 1;
                        }
                        b')' if depth == 0 && t.get(i + 1) == Some(&b')') => {
                            self.stack.pop();
                            i += 2;
                        }
                        b')' => {
                            self.stack.pop();
                            self.stack.push(Frame::Arith {
                                depth: depth.saturating_sub(1),
                            });
                            i += 1;
                        }
                        _ => i += 1,
                    }
                }
            }
        }
        let last = match self.frame() {
            Frame::Plain { .. } => Context::Word,
            Frame::Double => Context::Double,
            Frame::Arith { .. } => Context::Arithmetic,
            Frame::Backtick | Frame::Param => Context::Expansion,
        };
        mark(t.len(), usize::MAX, last, &mut out);
        out
    }

    fn set_depth(&mut self, depth: usize, sub: bool) {
        if let Some(f) = self.stack.last_mut() {
            *f = Frame::Plain { depth, sub };
        }
    }

    /// At a `$`: `$((`, `$(`, `${` open frames; returns where to go on.
    fn dollar(&mut self, i: usize) -> usize {
        let t = self.text;
        match (t.get(i + 1), t.get(i + 2)) {
            (Some(b'('), Some(b'(')) => {
                self.stack.push(Frame::Arith { depth: 0 });
                i + 3
            }
            (Some(b'('), _) => {
                self.stack.push(Frame::Plain {
                    depth: 0,
                    sub: true,
                });
                i + 2
            }
            (Some(b'{'), _) => {
                self.stack.push(Frame::Param);
                i + 2
            }
            _ => i + 1,
        }
    }

    /// After `<<`: reads the delimiter word and remembers the here-document.
    fn heredoc_word(&mut self, mut i: usize) -> usize {
        let t = self.text;
        let strip = t.get(i) == Some(&b'-');
        if strip {
            i += 1;
        }
        while t.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
            i += 1;
        }
        let mut word = String::new();
        let mut quoted = false;
        while let Some(&b) = t.get(i) {
            match b {
                b'\'' | b'"' => {
                    quoted = true;
                    let end = find(t, i + 1, b);
                    word.push_str(&String::from_utf8_lossy(&t[i + 1..end.min(t.len())]));
                    i = end + 1;
                }
                b'\\' => {
                    quoted = true;
                    if let Some(&n) = t.get(i + 1) {
                        word.push(n as char);
                    }
                    i += 2;
                }
                b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => break,
                _ => {
                    word.push(b as char);
                    i += 1;
                }
            }
        }
        if !word.is_empty() {
            self.pending.push((word, quoted, strip));
        }
        i
    }

    /// The bodies of the here-documents announced on the line that just
    /// ended, starting at `i`; returns where the shell text goes on.
    fn heredoc_bodies(
        &mut self,
        mut i: usize,
        mark: &mut Mark<'_>,
        out: &mut Vec<Context>,
    ) -> usize {
        let t = self.text;
        for (word, quoted, strip) in std::mem::take(&mut self.pending) {
            let ctx = if quoted {
                Context::HeredocLiteral
            } else {
                Context::Heredoc
            };
            while i < t.len() {
                let end = find(t, i, b'\n');
                let line = String::from_utf8_lossy(&t[i..end]);
                let line = line.trim_end_matches('\r');
                let line = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if line == word {
                    i = (end + 1).min(t.len());
                    break;
                }
                let before = out.len();
                mark(i, end + 1, ctx, out);
                if let Some(here) = &mut self.here
                    && out.len() > before
                {
                    here.push((
                        before..out.len(),
                        HereLine {
                            delimiter: word.clone(),
                            strip_tabs: strip,
                            line: i..end,
                        },
                    ));
                }
                i = (end + 1).min(t.len());
            }
        }
        i
    }
}

/// Whether a `#` at `i` starts a comment: at the start of a word.
fn word_start(t: &[u8], i: usize) -> bool {
    i == 0
        || matches!(
            t[i - 1],
            b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')'
        )
}

/// The offset of the next `b` at or after `from`, or the end.
fn find(t: &[u8], from: usize, b: u8) -> usize {
    t.get(from..)
        .and_then(|rest| rest.iter().position(|&x| x == b))
        .map_or(t.len(), |p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(body: &str) -> Context {
        let at = body.find('@').expect("an @ marks the place");
        contexts(body, &[at], false)[0]
    }

    #[test]
    fn follows_quotes_comments_and_expansions() {
        assert_eq!(at("echo @ x"), Context::Word);
        assert_eq!(at("echo 'a @'"), Context::Single);
        assert_eq!(at("echo \"a @\""), Context::Double);
        assert_eq!(at("echo \"a \\\" @\""), Context::Double);
        assert_eq!(at("echo \"$(cat @)\""), Context::Word);
        assert_eq!(at("echo \"$(echo \"x @\")\""), Context::Double);
        assert_eq!(at("echo $'a @'"), Context::AnsiC);
        assert_eq!(at("echo x # note @"), Context::Comment);
        assert_eq!(at("echo x#y @"), Context::Word);
        assert_eq!(at("echo ${X:-@}"), Context::Expansion);
        assert_eq!(at("echo `@`"), Context::Expansion);
        assert_eq!(at("echo $(( 1 + @ ))"), Context::Arithmetic);
        assert_eq!(at("echo $(( (1) + 2 )) @"), Context::Word);
        assert_eq!(at("(cd x && echo @)"), Context::Word);
        assert_eq!(at("cat <<EOF\nhi @\nEOF\n"), Context::Heredoc);
        assert_eq!(at("cat <<'EOF'\nhi @\nEOF\n"), Context::HeredocLiteral);
        assert_eq!(
            at("cat <<-\"EOF\" | x\n\thi @\n\tEOF\n"),
            Context::HeredocLiteral
        );
        assert_eq!(at("cat <<EOF\nhi\nEOF\necho @\n"), Context::Word);
        assert_eq!(at("echo 'a'\necho \"@\""), Context::Double);
    }

    #[test]
    fn values_in_a_here_document_know_its_line_and_delimiter() {
        let body = "cat <<-'EOF' >x\n\tkey=@\nEOF\necho @\n";
        let offsets: Vec<usize> = body.match_indices('@').map(|(i, _)| i).collect();
        let lines = here_lines(body, &offsets, false);
        let first = lines[0].as_ref().expect("in the here-document");
        assert_eq!(first.delimiter, "EOF");
        assert!(first.strip_tabs);
        assert_eq!(&body[first.line.clone()], "\tkey=@");
        assert!(first.ends_it("\t\tEOF") && !first.ends_it("key=EOF"));
        assert_eq!(lines[1], None);
    }

    #[test]
    fn prompted_blocks_start_afresh_on_each_prompt_line() {
        let body = "$ echo 'x\nunbalanced ' output\n$ echo @\n";
        let at = body.find('@').unwrap();
        assert_eq!(contexts(body, &[at], true), vec![Context::Word]);
    }
}
