//! The text a command step goes by: its first line of code that is not blank
//! or a comment, with the lines a final `\` continues it onto joined.

/// How long a name grows by joining continued lines; a first line longer
/// than this is kept whole, as it always was.
const MAX_JOINED: usize = 80;

/// The name of a block whose code is `code`: its first line that is not
/// blank or a `#` comment (else its first line that is not blank), trimmed.
/// When that line ends in a line-continuation `\`, the lines it continues
/// onto are joined to it with one space (`kubectl rollout restart
/// deployment/web`), up to `MAX_JOINED` characters; ` …` says more was cut.
/// A line that ends in no `\` keeps the name it always had.
pub(super) fn command_text(code: &str) -> String {
    let lines = || code.lines().map(str::trim);
    let Some(at) = lines()
        .position(|l| !l.is_empty() && !l.starts_with('#'))
        .or_else(|| lines().position(|l| !l.is_empty()))
    else {
        return String::new();
    };
    let mut rest = lines().skip(at);
    let first = rest.next().unwrap_or("");
    // A `\` in a comment continues nothing.
    let Some(head) = continued(first).filter(|_| !first.starts_with('#')) else {
        return first.to_string();
    };
    // A terminal session's continuation lines carry bash's `> ` prompt.
    let session = first.starts_with("$ ");
    let mut name = head.trim_end().to_string();
    for line in rest {
        let line = if session {
            line.strip_prefix("> ")
                .or_else(|| (line == ">").then_some(""))
                .unwrap_or(line)
                .trim()
        } else {
            line
        };
        // A blank line ends the command; so does a comment, to the shell.
        if line.is_empty() || line.starts_with('#') {
            break;
        }
        let (part, more) = match continued(line) {
            Some(head) => (head.trim_end(), true),
            None => (line, false),
        };
        if part.is_empty() {
            continue;
        }
        if !join(&mut name, part) {
            name.push_str(" …");
            return name;
        }
        if !more {
            break;
        }
    }
    // A string the last line opens goes on past it (`--policy '{`).
    if opens_a_quote(&name) {
        name.push_str(" …");
    }
    name
}

/// Adds `part` to `name` after a space, whole if it fits in `MAX_JOINED`
/// characters, else as many of its words as fit; whether all of it did.
fn join(name: &mut String, part: &str) -> bool {
    let mut len = name.chars().count();
    if len + 1 + part.chars().count() <= MAX_JOINED {
        name.push(' ');
        name.push_str(part);
        return true;
    }
    for word in part.split_whitespace() {
        len += 1 + word.chars().count();
        if len > MAX_JOINED {
            break;
        }
        name.push(' ');
        name.push_str(word);
    }
    false
}

/// Whether `text` ends inside a quoted string, read as the shell reads it.
fn opens_a_quote(text: &str) -> bool {
    let mut quote = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (None | Some('"'), '\\') => {
                chars.next();
            }
            (None, '\'' | '"') => quote = Some(c),
            _ => {}
        }
    }
    quote.is_some()
}

/// `line` without its final `\`, when that `\` continues it onto the next
/// line: an odd number of them at its end (`\\` is a backslash written out).
fn continued(line: &str) -> Option<&str> {
    let slashes = line.len() - line.trim_end_matches('\\').len();
    (slashes % 2 == 1).then(|| &line[..line.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::command_text;

    #[test]
    fn a_line_continued_with_a_backslash_is_named_with_the_lines_it_continues_onto() {
        let cases = [
            ("echo hi\n", "echo hi"),
            ("# set up\n\n  ls -l  \nmore\n", "ls -l"),
            (
                "kubectl rollout restart \\\n  deployment/web\n",
                "kubectl rollout restart deployment/web",
            ),
            (
                "# restart\nkubectl rollout restart \\\n  -n prod \\\n  deployment/web\necho done\n",
                "kubectl rollout restart -n prod deployment/web",
            ),
            // A backslash written out does not continue the line.
            ("echo a\\\\\necho b\n", "echo a\\\\"),
            // The block ends, or a blank line or comment ends the command.
            ("make \\\n", "make"),
            ("make \\\n\nmake install\n", "make"),
            ("make \\\n  # a comment\n  all\n", "make"),
            ("make\\\n\\\nall\n", "make all"),
            // A terminal session's `> ` prompts are not part of the command.
            (
                "$ kubectl rollout restart \\\n> deployment/web\nrestarted\n",
                "$ kubectl rollout restart deployment/web",
            ),
            // A string that goes on past the joined lines.
            (
                "aws s3api put-bucket-policy \\\n  --policy '{\n  \"a\": 1\n}'\n",
                "aws s3api put-bucket-policy --policy '{ …",
            ),
            (
                "echo \"it's\" 'a \"b\"' \\\n  \"c\\\"d\"\n",
                "echo \"it's\" 'a \"b\"' \"c\\\"d\"",
            ),
            // Only comments: the first of them, as ever.
            ("\n# nothing to run \\\n# here\n", "# nothing to run \\"),
            ("", ""),
        ];
        for (code, name) in cases {
            assert_eq!(command_text(code), name, "{code:?}");
        }
    }

    #[test]
    fn a_joined_name_is_cut_at_a_line_with_an_ellipsis_and_a_long_first_line_is_kept() {
        let code = "helm upgrade --install web ./chart \\\n  --namespace production \\\n  \
                    --set image.tag=v1.4.0 \\\n  --set replicas=12 \\\n  --wait\n";
        assert_eq!(
            command_text(code),
            "helm upgrade --install web ./chart --namespace production --set image.tag=v1.4.0 …"
        );
        assert!(command_text(code).chars().count() <= super::MAX_JOINED + 2);
        // A line too long to join whole gives the words that fit.
        let code = "aws rds restore-db-instance-to-point-in-time \\\n  \
                    --source-db-instance-identifier production-db \\\n  --multi-az\n";
        assert_eq!(
            command_text(code),
            "aws rds restore-db-instance-to-point-in-time --source-db-instance-identifier …"
        );
        let long = format!("echo {} \\\n  more\n", "x".repeat(100));
        assert_eq!(command_text(&long), format!("echo {} …", "x".repeat(100)));
        let plain = format!("echo {}\n", "x".repeat(100));
        assert_eq!(command_text(&plain), plain.trim_end());
    }
}
