//! Example values in a command that its comment says to replace:
//! `ZONE_ID="Z1234567890ABC"  # Replace with actual hosted zone ID`.

use std::ops::Range;

/// A variable set to an example value, on a line whose trailing comment
/// says the value must be replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// The variable: what the operator and answers files call the value.
    pub name: String,
    /// The line as written in the script.
    pub line: String,
    /// 0-based line within the script.
    pub at: usize,
    /// The example value's bytes in `line`, inside its quotes.
    pub value: Range<usize>,
    /// The comment, without its `#`.
    pub comment: String,
}

impl Example {
    /// The example value as written.
    pub fn value(&self) -> &str {
        &self.line[self.value.clone()]
    }

    /// The line of `script` this example is on: line `at` if it is still
    /// as written, else the first line that is. `None`: no line is (the
    /// operator edited it).
    fn find(&self, script: &str) -> Option<Range<usize>> {
        let mut first = None;
        let mut start = 0;
        for (n, raw) in script.split_inclusive('\n').enumerate() {
            let line = raw.trim_end_matches('\n').trim_end_matches('\r');
            if line == self.line {
                if n == self.at {
                    return Some(start..start + line.len());
                }
                first.get_or_insert(start..start + line.len());
            }
            start += raw.len();
        }
        first
    }

    /// Whether `script` still holds this example's line.
    pub fn is_in(&self, script: &str) -> bool {
        self.find(script).is_some()
    }

    /// `script` with `value` in place of the example value, on its line
    /// only; unchanged if the line is no longer there.
    pub fn fill(&self, script: &str, value: &str) -> String {
        let Some(line) = self.find(script) else {
            return script.to_string();
        };
        let at = line.start + self.value.start..line.start + self.value.end;
        let mut out = String::with_capacity(script.len() + value.len());
        out.push_str(&script[..at.start]);
        out.push_str(value);
        out.push_str(&script[at.end..]);
        out
    }
}

/// What a comment says when the value before it must be replaced, lower
/// case, whole words. Narrow on purpose: a comment that explains a value
/// (`# seconds between retries`) leaves it as written.
const SAYS_REPLACE: &[&str] = &[
    "replace with actual",
    "replace with the actual",
    "replace with real",
    "replace with the real",
    "replace with your",
    "replace this",
    "replace me",
    "change this to",
    "change this before",
    "change me to",
    "change me before",
    "set to your",
    "set this to your",
    "changeme",
    "change_me",
    "change-me",
];

/// The example on `line` (line `at` of a shell script): `NAME=value` or
/// `export NAME=value`, the value bare or in quotes, then only a `#`
/// comment that says to replace it.
pub fn example(line: &str, at: usize) -> Option<Example> {
    let body = line.trim_start();
    let indent = line.len() - body.len();
    let (body, indent) = match body.strip_prefix("export ") {
        Some(rest) => {
            let rest_trimmed = rest.trim_start();
            (rest_trimmed, indent + (body.len() - rest_trimmed.len()))
        }
        None => (body, indent),
    };
    let eq = body.find('=')?;
    let name = &body[..eq];
    let starts_well = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !starts_well || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let after = &body[eq + 1..];
    let (value, len) = match after.chars().next()? {
        q @ ('"' | '\'') => {
            let close = after[1..].find(q)?;
            (1..1 + close, close + 2)
        }
        _ => {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (0..end, end)
        }
    };
    let text = &after[value.clone()];
    // Something the shell works out (`$(date)`, `$HOME`, `` `id` ``) is no
    // example to replace.
    if text.is_empty() || text.contains(['$', '`', '\\', '(', '#']) {
        return None;
    }
    let rest = &after[len..];
    let comment = rest.trim_start();
    if comment.len() == rest.len() {
        return None;
    }
    let comment = comment.strip_prefix('#')?;
    if !says_replace(comment) {
        return None;
    }
    let offset = indent + eq + 1;
    Some(Example {
        name: name.to_string(),
        line: line.to_string(),
        at,
        value: offset + value.start..offset + value.end,
        comment: comment.trim().to_string(),
    })
}

/// Whether `comment` says, in one of `SAYS_REPLACE`'s words, that the
/// value must be replaced.
fn says_replace(comment: &str) -> bool {
    let lower = comment
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    SAYS_REPLACE.iter().any(|phrase| {
        lower.match_indices(phrase).any(|(at, _)| {
            !word(lower[..at].chars().next_back())
                && !word(lower[at + phrase.len()..].chars().next())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(line: &str) -> Option<(String, String, String)> {
        example(line, 0).map(|e| (e.name.clone(), e.value().to_string(), e.comment))
    }

    #[test]
    fn assignments_whose_comment_says_to_replace_the_value() {
        for (line, name, value, comment) in [
            (
                r#"HOSTED_ZONE_ID="Z1234567890ABC"  # Replace with actual hosted zone ID"#,
                "HOSTED_ZONE_ID",
                "Z1234567890ABC",
                "Replace with actual hosted zone ID",
            ),
            (
                "  export BUCKET=my-bucket # replace with YOUR bucket",
                "BUCKET",
                "my-bucket",
                "replace with YOUR bucket",
            ),
            (
                "REGION='eu-west-1' # Change this to your region",
                "REGION",
                "eu-west-1",
                "Change this to your region",
            ),
            (
                "DB_PASS=hunter22 # CHANGEME",
                "DB_PASS",
                "hunter22",
                "CHANGEME",
            ),
            (
                "OWNER=alice\t#   set   to your  user name",
                "OWNER",
                "alice",
                "set   to your  user name",
            ),
            (
                "ACCOUNT=123456789012 # replace me",
                "ACCOUNT",
                "123456789012",
                "replace me",
            ),
        ] {
            assert_eq!(
                found(line),
                Some((name.into(), value.into(), comment.into())),
                "{line}"
            );
        }
    }

    #[test]
    fn what_is_not_an_example_to_replace() {
        for line in [
            "# Replace with your monitoring tool query",
            "curl https://x/api  # Replace with your monitoring tool query",
            "RETRIES=5  # seconds between retries",
            "TIMEOUT=30 # the real timeout is in the config",
            "NOW=$(date +%s) # replace with actual time",
            "HOME_DIR=$HOME # replace with your home",
            "FOO=bar make build # replace with your target",
            "KEY=value# replace me",
            "X=1 # irreplaceable me",
            "A B=1 # replace me",
            "1X=1 # replace me",
            "X= # replace me",
            "X=\"\" # replace with your value",
            "X=\"unclosed # replace me",
            "echo X=1 # replace me",
        ] {
            assert_eq!(found(line), None, "{line}");
        }
    }

    #[test]
    fn the_value_is_filled_on_its_own_line_only() {
        let script = "ID=\"E1ABC\"  # Replace with actual distribution ID\r\necho E1ABC\nID=\"E1ABC\"  # Replace with actual distribution ID\n";
        let line = script.lines().next().unwrap();
        let e = example(line, 2).unwrap();
        assert!(e.is_in(script));
        assert_eq!(
            e.fill(script, "E9REAL"),
            "ID=\"E1ABC\"  # Replace with actual distribution ID\r\necho E1ABC\nID=\"E9REAL\"  # Replace with actual distribution ID\n"
        );
        let moved = example(line, 7).unwrap();
        assert!(moved.fill(script, "E9").starts_with("ID=\"E9\""));
        assert!(!e.is_in("ID=\"E1ABC\"\n"));
        assert_eq!(e.fill("edited\n", "E9"), "edited\n");
    }
}
