//! Quoting a value for the block it lands in: one shell word, a Python
//! string literal, an SQL literal, whatever the code around it was doing.

use std::borrow::Cow;

use super::shell::{self, Context};

/// How a runnable block's values are quoted, by its language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quoting {
    /// bash, sh, zsh, console: one word.
    Shell,
    /// python: a string literal.
    Python,
    /// sql: a standard SQL string literal.
    Sql,
    /// A runnable language runsheet does not know how to quote for.
    Unknown(String),
}

impl Quoting {
    /// The quoting for blocks of `lang` (runnable ones).
    pub fn of(lang: &str) -> Quoting {
        match lang {
            "bash" | "sh" | "shell" | "console" | "shell-session" | "shellsession" | "zsh" => {
                Quoting::Shell
            }
            "python" | "python3" | "py" => Quoting::Python,
            "sql" | "psql" | "postgresql" | "postgres" | "sqlite" | "mysql" => Quoting::Sql,
            other => Quoting::Unknown(other.to_string()),
        }
    }
}

/// Where in a block's code a value lands, as the block's language reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Shell(Context),
    /// Python code: outside strings, in a comment, or in a string literal
    /// opened by this prefix and quote (`f"`, `'''`).
    PyCode,
    PyComment,
    PyString(String),
    SqlCode,
    SqlString,
    SqlOther,
    Unknown(String),
}

/// The place of each of `offsets` in `body`, a block quoted as `quoting`.
pub fn places(quoting: &Quoting, body: &str, offsets: &[usize], prompted: bool) -> Vec<Place> {
    match quoting {
        Quoting::Shell => shell::contexts(body, offsets, prompted)
            .into_iter()
            .map(Place::Shell)
            .collect(),
        Quoting::Python => python_places(body, offsets),
        Quoting::Sql => sql_places(body, offsets),
        Quoting::Unknown(lang) => offsets
            .iter()
            .map(|_| Place::Unknown(lang.clone()))
            .collect(),
    }
}

/// `value` written at `place`, or why it cannot be written there safely;
/// borrowed when it goes as it is (most values: a render writes tens of
/// thousands).
pub fn quote<'v>(value: &'v str, place: &Place) -> Result<Cow<'v, str>, String> {
    match place {
        Place::Shell(ctx) => quote_shell(value, *ctx),
        Place::PyCode | Place::PyComment => Ok(python_literal(value).into()),
        Place::PyString(opener) => {
            // Close the literal, add ours, open the same kind again: adjacent
            // literals are one string to Python.
            let (prefix, quote) = split_opener(opener);
            if prefix.contains(['b', 'B']) {
                return Err("this value lands inside a bytes literal (b\"...\"); write it outside the literal".into());
            }
            Ok(format!("{quote} {} {prefix}{quote}", python_literal(value)).into())
        }
        Place::SqlCode => sql_literal(value).map(|l| format!("'{l}'").into()),
        Place::SqlString => sql_literal(value).map(Cow::Owned),
        Place::SqlOther => Err("this value lands inside an SQL comment or quoted identifier; write it where a literal goes".into()),
        Place::Unknown(lang) => Err(format!(
            "runsheet does not know how to quote a value for a `{lang}` block, which it runs"
        )),
    }
}

/// Characters a shell word may hold unquoted and mean themselves in every
/// context: no globbing, braces, tildes, expansions or separators.
fn plain_word(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.,:/@%+=".contains(&b))
}

/// One shell word: as it is when it is plain, else single-quoted, or
/// `$'...'` when it holds control characters (a raw line break would end
/// the line, or the fence, it lands on).
pub fn shell_word(value: &str) -> String {
    if plain_word(value) {
        return value.to_string();
    }
    if value.chars().any(char::is_control) {
        let mut out = String::from("$'");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32 & 0xff)),
                c => out.push(c),
            }
        }
        out.push('\'');
        return out;
    }
    format!("'{}'", value.replace('\'', "'\\''"))
}

fn quote_shell(value: &str, ctx: Context) -> Result<Cow<'_, str>, String> {
    let line_break = || {
        Err(
            "the value holds a line break, which would end the line it lands on; \
             write it where a word goes"
                .to_string(),
        )
    };
    match ctx {
        Context::Word | Context::Comment | Context::Double | Context::Single
            if plain_word(value) =>
        {
            Ok(value.into())
        }
        Context::Word | Context::Comment => Ok(shell_word(value).into()),
        // Close the quotes, add one word, open them again: `"a "'b c'" d"`.
        Context::Double => Ok(format!("\"{}\"", shell_word(value)).into()),
        Context::Single => Ok(format!("'{}'", shell_word(value)).into()),
        Context::AnsiC => {
            let word = shell_word(value);
            Ok(format!("'{word}$'").into())
        }
        Context::Heredoc => {
            if value.contains(['\n', '\r']) {
                return line_break();
            }
            let mut out = String::with_capacity(value.len());
            for c in value.chars() {
                if matches!(c, '\\' | '$' | '`') {
                    out.push('\\');
                }
                out.push(c);
            }
            Ok(out.into())
        }
        Context::HeredocLiteral => {
            if value.contains(['\n', '\r']) {
                return line_break();
            }
            Ok(value.into())
        }
        Context::Arithmetic => {
            if value.trim().parse::<i64>().is_ok() {
                Ok(value.trim().into())
            } else {
                Err(format!(
                    "`{value}` lands inside $((...)), where only a whole number is safe"
                ))
            }
        }
        Context::Expansion => Err(
            "the value lands inside ${...} or `...`, where no quoting keeps it one word; \
             set a shell variable from it first (X={{ value }}) and use \"$X\" there"
                .into(),
        ),
    }
}

/// A Python string literal (JSON's escapes are Python's too).
fn python_literal(value: &str) -> String {
    serde_json::to_string(value).expect("a string always serializes")
}

/// `f'''` → (`f`, `'''`).
fn split_opener(opener: &str) -> (&str, &str) {
    let at = opener.find(['\'', '"']).unwrap_or(opener.len());
    opener.split_at(at)
}

/// The inside of a standard SQL literal: quotes doubled. Backslashes and
/// line breaks are refused: databases disagree about what they mean.
fn sql_literal(value: &str) -> Result<String, String> {
    if value.contains('\\') {
        return Err(
            "the value holds a backslash, which some databases read as an escape inside a literal"
                .into(),
        );
    }
    if value.chars().any(char::is_control) {
        return Err("the value holds a line break or control character".into());
    }
    Ok(value.replace('\'', "''"))
}

fn python_places(body: &str, offsets: &[usize]) -> Vec<Place> {
    let t = body.as_bytes();
    let mut out = Vec::with_capacity(offsets.len());
    let mut next = 0;
    let mut mark = |to: usize, place: &Place, out: &mut Vec<Place>| {
        while next < offsets.len() && offsets[next] < to {
            out.push(place.clone());
            next += 1;
        }
    };
    let mut i = 0;
    while i < t.len() {
        mark(i + 1, &Place::PyCode, &mut out);
        match t[i] {
            b'#' => {
                let end = t[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(t.len(), |p| i + p);
                mark(end, &Place::PyComment, &mut out);
                i = end;
            }
            q @ (b'\'' | b'"') => {
                // The prefix letters just before the quote (r, f, b, rb...).
                let mut p = i;
                while p > 0 && t[p - 1].is_ascii_alphabetic() && i - p < 2 {
                    p -= 1;
                }
                let prefix = if p == 0 || !(t[p - 1].is_ascii_alphanumeric() || t[p - 1] == b'_') {
                    &body[p..i]
                } else {
                    ""
                };
                let triple = t.get(i + 1) == Some(&q) && t.get(i + 2) == Some(&q);
                let quote_len = if triple { 3 } else { 1 };
                let raw = prefix.contains(['r', 'R']);
                let mut j = i + quote_len;
                let end = loop {
                    if j >= t.len() {
                        break t.len();
                    }
                    if t[j] == b'\\' && !raw {
                        j += 2;
                        continue;
                    }
                    if t[j] == q
                        && (!triple || (t.get(j + 1) == Some(&q) && t.get(j + 2) == Some(&q)))
                    {
                        break j;
                    }
                    if t[j] == b'\n' && !triple {
                        break j;
                    }
                    j += 1;
                };
                let opener = format!("{prefix}{}", &body[i..i + quote_len]);
                mark(end, &Place::PyString(opener), &mut out);
                i = end + quote_len;
            }
            _ => i += 1,
        }
    }
    mark(usize::MAX, &Place::PyCode, &mut out);
    out
}

fn sql_places(body: &str, offsets: &[usize]) -> Vec<Place> {
    let t = body.as_bytes();
    let mut out = Vec::with_capacity(offsets.len());
    let mut next = 0;
    let mut mark = |to: usize, place: &Place, out: &mut Vec<Place>| {
        while next < offsets.len() && offsets[next] < to {
            out.push(place.clone());
            next += 1;
        }
    };
    let mut i = 0;
    while i < t.len() {
        mark(i + 1, &Place::SqlCode, &mut out);
        match t[i] {
            b'\'' => {
                let mut j = i + 1;
                while j < t.len() {
                    if t[j] == b'\'' {
                        if t.get(j + 1) == Some(&b'\'') {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j += 1;
                }
                mark(j, &Place::SqlString, &mut out);
                i = j + 1;
            }
            b'"' | b'`' => {
                let q = t[i];
                let end = t[i + 1..]
                    .iter()
                    .position(|&b| b == q)
                    .map_or(t.len(), |p| i + 1 + p);
                mark(end, &Place::SqlOther, &mut out);
                i = end + 1;
            }
            b'-' if t.get(i + 1) == Some(&b'-') => {
                let end = t[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(t.len(), |p| i + p);
                mark(end, &Place::SqlOther, &mut out);
                i = end;
            }
            b'/' if t.get(i + 1) == Some(&b'*') => {
                let end = body[i + 2..].find("*/").map_or(t.len(), |p| i + 2 + p + 2);
                mark(end, &Place::SqlOther, &mut out);
                i = end;
            }
            _ => i += 1,
        }
    }
    mark(usize::MAX, &Place::SqlCode, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(quoting: &Quoting, body: &str, value: &str) -> Result<String, String> {
        let at = body.find('@').unwrap();
        let place = places(quoting, body, &[at], false).remove(0);
        quote(value, &place).map(|q| body.replacen('@', &q, 1))
    }

    #[test]
    fn shell_values_stay_one_word_wherever_they_land() {
        let s = Quoting::Shell;
        assert_eq!(put(&s, "echo @", "nginx:1.25").unwrap(), "echo nginx:1.25");
        assert_eq!(
            put(&s, "echo @", "x; touch p").unwrap(),
            "echo 'x; touch p'"
        );
        assert_eq!(put(&s, "echo @", "it's").unwrap(), "echo 'it'\\''s'");
        assert_eq!(put(&s, "echo @", "{a,b}").unwrap(), "echo '{a,b}'");
        assert_eq!(put(&s, "echo @", "").unwrap(), "echo ''");
        assert_eq!(put(&s, "echo @", "a\nb").unwrap(), "echo $'a\\nb'");
        assert_eq!(
            put(&s, "echo \"deploying @ now\"", "$(touch p)").unwrap(),
            "echo \"deploying \"'$(touch p)'\" now\""
        );
        assert_eq!(put(&s, "echo 'a @'", "x y").unwrap(), "echo 'a ''x y'''");
        assert_eq!(
            put(&s, "cat <<EOF\n@\nEOF", "$HOME `x`").unwrap(),
            "cat <<EOF\n\\$HOME \\`x\\`\nEOF"
        );
        assert!(put(&s, "cat <<EOF\n@\nEOF", "a\nEOF\nrm").is_err());
        assert!(put(&s, "echo ${X:-@}", "y").is_err());
        assert_eq!(
            put(&s, "echo $(( @ + 1 ))", "3").unwrap(),
            "echo $(( 3 + 1 ))"
        );
        assert!(put(&s, "echo $(( @ + 1 ))", "a[$(id)]").is_err());
    }

    #[test]
    fn python_and_sql_literals() {
        let p = Quoting::Python;
        assert_eq!(
            put(&p, "print(@)", "a\"b\n").unwrap(),
            "print(\"a\\\"b\\n\")"
        );
        assert_eq!(
            put(&p, "print(\"hi @!\")", "x").unwrap(),
            "print(\"hi \" \"x\" \"!\")"
        );
        assert_eq!(
            put(&p, "print(f'''hi @''')", "x").unwrap(),
            "print(f'''hi ''' \"x\" f'''''')"
        );
        assert!(put(&p, "print(b'@')", "x").is_err());
        let q = Quoting::Sql;
        assert_eq!(
            put(&q, "select @;", "O'Brien").unwrap(),
            "select 'O''Brien';"
        );
        assert_eq!(put(&q, "select 'a @';", "O'B").unwrap(), "select 'a O''B';");
        assert!(put(&q, "select @;", "a\\b").is_err());
        assert!(put(&q, "-- @\nselect 1;", "x").is_err());
        assert!(put(&Quoting::Unknown("ruby".into()), "puts @", "x").is_err());
    }
}
