//! A block read as bash reads it: the simple commands it runs, each with its
//! words unquoted, what it reads on standard input (a here-document, a
//! here-string, or what `echo` pipes into it) and where it writes. Parsed by
//! brush-parser; text that does not parse is read by a lenient tokenizer.

use brush_parser::ast;
use brush_parser::word::WordPiece;

use super::lenient::lenient;

/// One simple command, as it will run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cmd {
    /// The command name and its arguments, quotes and escapes removed.
    pub words: Vec<String>,
    /// What it reads on standard input, when the block says.
    pub stdin: Option<String>,
    /// Files its output is redirected to.
    pub writes: Vec<String>,
}

/// The simple commands `script` runs, in order: each command of a pipeline,
/// of an `&&`/`||`/`;` list, of a compound command or a function body, and
/// of every `$(…)`, `` `…` `` and `<(…)` inside them.
pub fn commands(script: &str) -> Vec<Cmd> {
    let mut out = Vec::new();
    // The parser recurses once a level: text nested deeper than any real
    // block is read by the lenient tokenizer, which does not.
    let parsed = (nesting(script) <= MAX_NESTING)
        .then(|| parse(script))
        .flatten();
    match parsed {
        Some(program) => {
            for list in &program.complete_commands {
                walk_list(list, &mut out);
            }
        }
        None => lenient(script, &mut out),
    }
    out
}

/// How deep a block may nest groups, substitutions and compound commands
/// to be parsed as bash.
const MAX_NESTING: usize = 64;

/// How deep `script` nests, at most: `(`, `{` and the words that open a
/// compound command, against what closes them (quotes not taken into
/// account, so this may count too many, never too few).
fn nesting(script: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for word in script.split(|c: char| c.is_whitespace() || c == ';') {
        let opens = word.matches(['(', '{']).count()
            + usize::from(matches!(
                word,
                "if" | "case" | "for" | "while" | "until" | "select"
            ));
        let closes =
            word.matches([')', '}']).count() + usize::from(matches!(word, "fi" | "esac" | "done"));
        depth += opens;
        deepest = deepest.max(depth);
        depth = depth.saturating_sub(closes);
    }
    deepest
}

fn options() -> brush_parser::ParserOptions {
    brush_parser::ParserOptions::default()
}

fn parse(script: &str) -> Option<ast::Program> {
    let mut parser = brush_parser::Parser::new(
        std::io::BufReader::new(script.as_bytes()),
        &options(),
        &brush_parser::SourceInfo::default(),
    );
    parser.parse_program().ok()
}

fn walk_list(list: &ast::CompoundList, out: &mut Vec<Cmd>) {
    for ast::CompoundListItem(and_or, _) in &list.0 {
        walk_pipeline(&and_or.first, out);
        for next in &and_or.additional {
            match next {
                ast::AndOr::And(p) | ast::AndOr::Or(p) => walk_pipeline(p, out),
            }
        }
    }
}

fn walk_pipeline(pipeline: &ast::Pipeline, out: &mut Vec<Cmd>) {
    // What the command before in the pipeline prints, when the block says.
    let mut piped: Option<String> = None;
    for command in &pipeline.seq {
        match command {
            ast::Command::Simple(simple) => {
                let mut cmd = simple_command(simple, out);
                if cmd.stdin.is_none() {
                    cmd.stdin = piped.take();
                }
                piped = printed(&cmd);
                out.push(cmd);
            }
            ast::Command::Compound(compound, redirects) => {
                walk_compound(compound, out);
                if let Some(list) = redirects {
                    for r in &list.0 {
                        redirect(r, &mut Cmd::default(), out);
                    }
                }
                piped = None;
            }
            ast::Command::Function(function) => {
                walk_compound(&function.body.0, out);
                piped = None;
            }
            ast::Command::ExtendedTest(_) => piped = None,
        }
    }
}

/// What a command prints that is written in the block itself: `echo` and
/// `printf` arguments, `cat` of a here-document.
fn printed(cmd: &Cmd) -> Option<String> {
    let name = cmd.words.first()?;
    match name.as_str() {
        "echo" | "printf" => Some(cmd.words[1..].join(" ")),
        "cat" => cmd.stdin.clone(),
        _ => None,
    }
}

fn walk_compound(compound: &ast::CompoundCommand, out: &mut Vec<Cmd>) {
    use ast::CompoundCommand as C;
    match compound {
        C::Arithmetic(_) => {}
        C::ArithmeticForClause(f) => walk_list(&f.body.list, out),
        C::BraceGroup(g) => walk_list(&g.list, out),
        C::Subshell(s) => walk_list(&s.list, out),
        C::ForClause(f) => {
            for w in f.values.iter().flatten() {
                substitutions(&w.value, out);
            }
            walk_list(&f.body.list, out);
        }
        C::CaseClause(c) => {
            for item in &c.cases {
                if let Some(list) = &item.cmd {
                    walk_list(list, out);
                }
            }
        }
        C::IfClause(i) => {
            walk_list(&i.condition, out);
            walk_list(&i.then, out);
            for e in i.elses.iter().flatten() {
                if let Some(c) = &e.condition {
                    walk_list(c, out);
                }
                walk_list(&e.body, out);
            }
        }
        C::WhileClause(w) | C::UntilClause(w) => {
            walk_list(&w.0, out);
            walk_list(&w.1.list, out);
        }
    }
}

fn simple_command(simple: &ast::SimpleCommand, out: &mut Vec<Cmd>) -> Cmd {
    let mut cmd = Cmd::default();
    let items = simple
        .prefix
        .iter()
        .flat_map(|p| p.0.iter())
        .map(Some)
        .chain(std::iter::once(None))
        .chain(simple.suffix.iter().flat_map(|s| s.0.iter()).map(Some));
    for item in items {
        let Some(item) = item else {
            if let Some(name) = &simple.word_or_name {
                substitutions(&name.value, out);
                cmd.words.push(unquote(&name.value));
            }
            continue;
        };
        use ast::CommandPrefixOrSuffixItem as I;
        match item {
            I::Word(w) => {
                substitutions(&w.value, out);
                cmd.words.push(unquote(&w.value));
            }
            I::AssignmentWord(assignment, word) => {
                substitutions(&word.value, out);
                if let ast::AssignmentValue::Array(values) = &assignment.value {
                    for (_, v) in values {
                        substitutions(&v.value, out);
                    }
                }
                // `declare X=1`, `local X=$(…)`: an argument; before the
                // name, an assignment for the command's environment.
                if !cmd.words.is_empty() {
                    cmd.words.push(unquote(&word.value));
                }
            }
            I::IoRedirect(r) => redirect(r, &mut cmd, out),
            I::ProcessSubstitution(_, sub) => walk_list(&sub.list, out),
        }
    }
    cmd
}

fn redirect(r: &ast::IoRedirect, cmd: &mut Cmd, out: &mut Vec<Cmd>) {
    use ast::IoFileRedirectKind as K;
    match r {
        ast::IoRedirect::File(_, kind, target) => match target {
            ast::IoFileRedirectTarget::Filename(w) => {
                if matches!(kind, K::Write | K::Append | K::Clobber | K::ReadAndWrite) {
                    cmd.writes.push(unquote(&w.value));
                }
            }
            ast::IoFileRedirectTarget::ProcessSubstitution(_, sub) => walk_list(&sub.list, out),
            _ => {}
        },
        ast::IoRedirect::HereDocument(_, doc) => {
            if doc.requires_expansion {
                substitutions(&doc.doc.value, out);
            }
            cmd.stdin = Some(doc.doc.value.clone());
        }
        ast::IoRedirect::HereString(_, w) => {
            substitutions(&w.value, out);
            cmd.stdin = Some(unquote(&w.value));
        }
        ast::IoRedirect::OutputAndError(w, _) => cmd.writes.push(unquote(&w.value)),
    }
}

/// A word as the command will get it: quotes and escapes removed, quotes
/// inside other quotes kept (`'psql -c "DROP …"'`), expansions left as
/// written.
fn unquote(word: &str) -> String {
    match brush_parser::word::parse(word, &options()) {
        Ok(pieces) => {
            let mut out = String::with_capacity(word.len());
            for p in &pieces {
                unquoted(word, p, &mut out);
            }
            out
        }
        Err(_) => brush_parser::unquote_str(word),
    }
}

fn unquoted(word: &str, p: &brush_parser::word::WordPieceWithSource, out: &mut String) {
    match &p.piece {
        WordPiece::Text(t) | WordPiece::SingleQuotedText(t) | WordPiece::AnsiCQuotedText(t) => {
            out.push_str(t);
        }
        WordPiece::EscapeSequence(e) => out.push_str(e.strip_prefix('\\').unwrap_or(e)),
        WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
            for p in inner {
                unquoted(word, p, out);
            }
        }
        _ => out.push_str(word.get(p.start_index..p.end_index).unwrap_or("")),
    }
}

/// The commands inside `$(…)` and `` `…` `` of a word.
fn substitutions(word: &str, out: &mut Vec<Cmd>) {
    if !word.contains("$(") && !word.contains('`') {
        return;
    }
    match brush_parser::word::parse(word, &options()) {
        Ok(pieces) => {
            for p in pieces {
                piece(&p.piece, out);
            }
        }
        Err(_) => lenient(word, out),
    }
}

fn piece(p: &WordPiece, out: &mut Vec<Cmd>) {
    match p {
        WordPiece::CommandSubstitution(s) | WordPiece::BackquotedCommandSubstitution(s) => {
            out.extend(commands(s));
        }
        WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
            for p in inner {
                piece(&p.piece, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(script: &str) -> Vec<Vec<String>> {
        commands(script).into_iter().map(|c| c.words).collect()
    }

    fn w(list: &[&[&str]]) -> Vec<Vec<String>> {
        list.iter()
            .map(|c| c.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn commands_are_read_as_bash_reads_them() {
        assert_eq!(
            words(
                "aws s3 rm s3://b \\\n  --recursive # rm -rf /\necho \"rm -rf\" && grep 'DROP TABLE' x | wc -l"
            ),
            w(&[
                &["aws", "s3", "rm", "s3://b", "--recursive"],
                &["echo", "rm -rf"],
                &["grep", "DROP TABLE", "x"],
                &["wc", "-l"],
            ])
        );
        assert_eq!(
            words("for p in $(kubectl get pods -o name); do kubectl delete \"$p\"; done"),
            w(&[
                &["kubectl", "get", "pods", "-o", "name"],
                &["kubectl", "delete", "$p"]
            ])
        );
        assert_eq!(
            words("X=1 sudo -u postgres dropdb app; f() { rm -rf /data; }"),
            w(&[
                &["sudo", "-u", "postgres", "dropdb", "app"],
                &["rm", "-rf", "/data"]
            ])
        );
    }

    #[test]
    fn words_are_unquoted_as_bash_does() {
        for (word, want) in [
            (
                "'psql -c \"DROP DATABASE x\"'",
                "psql -c \"DROP DATABASE x\"",
            ),
            ("\"a $B ${C:-d} $(date) c\"", "a $B ${C:-d} $(date) c"),
            ("--to=\\'x\\'", "--to='x'"),
            ("$'a\\tb'", "a\\tb"),
        ] {
            assert_eq!(unquote(word), want, "{word}");
        }
    }

    #[test]
    fn here_documents_and_pipes_are_standard_input() {
        let c = commands("psql <<'SQL'\nDROP\nTABLE users;\nSQL\necho 'FLUSHALL' | redis-cli");
        assert_eq!(c[0].stdin.as_deref(), Some("DROP\nTABLE users;\n"));
        assert_eq!(c[2].words, ["redis-cli"]);
        assert_eq!(c[2].stdin.as_deref(), Some("FLUSHALL"));
        let c = commands("dd if=img of=/dev/sdb; cat /dev/zero > /dev/sdc");
        assert_eq!(c[1].writes, ["/dev/sdc"]);
    }

    #[test]
    fn text_nested_too_deep_to_parse_is_read_leniently() {
        for script in [
            format!("{}rm -rf /x; {}", "{ ".repeat(5000), "} ".repeat(5000)),
            format!(
                "{}rm -rf /x; {}",
                "if true; then ".repeat(5000),
                "fi; ".repeat(5000)
            ),
            format!("echo {}rm -rf /x{}", "$(".repeat(5000), ")".repeat(5000)),
            format!("{}rm -rf /x{}", "(".repeat(5000), ")".repeat(5000)),
        ] {
            let found = commands(&script);
            assert!(
                found
                    .iter()
                    .any(|c| c.words.first().is_some_and(|w| w == "rm")),
                "{:?}",
                &script[..40]
            );
        }
    }

    #[test]
    fn text_that_does_not_parse_is_read_leniently() {
        assert_eq!(
            words(
                "kubectl delete pod <pod-name> -n <namespace>\necho 'unclosed\nrm -rf /srv # gone"
            ),
            w(&[
                &[
                    "kubectl",
                    "delete",
                    "pod",
                    "<pod-name>",
                    "-n",
                    "<namespace>"
                ],
                &["echo", "unclosed"],
                &["rm", "-rf", "/srv"],
            ])
        );
        let c = commands(
            "mysql -e \"DROP TABLE <table>\" && psql <<EOF\nDELETE FROM t;\nEOF\nls <dir>",
        );
        assert_eq!(c[0].words, ["mysql", "-e", "DROP TABLE <table>"]);
        assert_eq!(c[1].stdin.as_deref(), Some("DELETE FROM t;\n"));
        assert_eq!(c[2].words, ["ls", "<dir>"]);
    }
}
