//! SQL read for what destroys data: `DROP`, `TRUNCATE`, `ALTER … DROP`, and
//! `DELETE`/`UPDATE` without `WHERE`, statement by statement, over line
//! breaks, with comments and string literals left out.

use std::sync::OnceLock;

use regex::Regex;

/// Keywords a statement may start with, for telling SQL from shell.
const STATEMENTS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "DROP", "CREATE", "ALTER", "TRUNCATE", "GRANT",
    "REVOKE", "BEGIN", "COMMIT", "ROLLBACK", "WITH", "VACUUM", "REINDEX", "EXPLAIN", "MERGE",
    "UPSERT", "ANALYZE", "COMMENT",
];

/// psql's own commands, which SQL files for psql open with.
const PSQL_COMMANDS: &[&str] = &[
    "\\c",
    "\\connect",
    "\\set",
    "\\timing",
    "\\x",
    "\\echo",
    "\\i",
    "\\ir",
    "\\pset",
    "\\d",
    "\\dt",
    "\\l",
    "\\copy",
    "\\conninfo",
    "\\gset",
    "\\if",
    "\\unset",
    "\\q",
];

/// Whether `text` reads as SQL rather than shell: its first statement
/// starts with an SQL keyword (in any case) or a psql command.
pub fn looks_like(text: &str) -> bool {
    let code = without_comments(text);
    let first = code
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .find(|w| !w.is_empty())
        .unwrap_or("");
    STATEMENTS.iter().any(|k| first.eq_ignore_ascii_case(k)) || PSQL_COMMANDS.contains(&first)
}

/// Whether a shell command name is an SQL keyword as SQL is written
/// (`DROP`, `TRUNCATE`): an SQL statement in a shell block.
pub fn is_statement_keyword(word: &str) -> bool {
    word.len() > 2 && word.chars().all(|c| c.is_ascii_uppercase()) && STATEMENTS.contains(&word)
}

/// What in `sql` destroys data, each named once, in order found.
pub fn destructive(sql: &str, found: &mut Vec<&'static str>) {
    static RULES: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        [
            (
                r"\bDROP\s+(?:TABLE|DATABASE|SCHEMA|USER|ROLE|INDEX|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|FUNCTION|PROCEDURE|TRIGGER|TYPE|EXTENSION|COLLECTION|KEYSPACE|OWNED|TABLESPACE|POLICY|PUBLICATION|SUBSCRIPTION)\b",
                "DROP",
            ),
            (r"\bALTER\s+TABLE\b.*\bDROP\b", "ALTER … DROP"),
            (r"\bTRUNCATE\b(?:\s+TABLE)?\s+(?:ONLY\s+)?[A-Z_\x22`\[]", "TRUNCATE"),
        ]
        .into_iter()
        .map(|(p, what)| (Regex::new(p).expect("a valid pattern"), what))
        .collect()
    });
    static DELETE: OnceLock<Regex> = OnceLock::new();
    static UPDATE: OnceLock<Regex> = OnceLock::new();
    static WHERE: OnceLock<Regex> = OnceLock::new();
    let delete = DELETE.get_or_init(|| Regex::new(r"\bDELETE\s+FROM\b").expect("a valid pattern"));
    let update = UPDATE.get_or_init(|| {
        Regex::new(r"(?:^|[;(\s])UPDATE\s+\S+(?:\s+(?:AS\s+)?\w+)?\s+SET\b")
            .expect("a valid pattern")
    });
    let where_ = WHERE.get_or_init(|| Regex::new(r"\bWHERE\b").expect("a valid pattern"));
    let mut note = |what: &'static str| {
        if !found.contains(&what) {
            found.push(what);
        }
    };
    for statement in without_comments(sql).to_ascii_uppercase().split(';') {
        let statement = statement.split_whitespace().collect::<Vec<_>>().join(" ");
        for (rule, what) in rules {
            if rule.is_match(&statement) {
                note(what);
            }
        }
        let unguarded = !where_.is_match(&statement);
        if unguarded && delete.is_match(&statement) {
            note("DELETE without WHERE");
        }
        if unguarded && update.is_match(&statement) {
            note("UPDATE without WHERE");
        }
    }
}

/// `sql` without `--` and `/* */` comments and with string literals
/// emptied, so that neither can look like a statement.
fn without_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for d in chars.by_ref() {
                    if last == '*' && d == '/' {
                        break;
                    }
                    last = d;
                }
                out.push(' ');
            }
            '\'' => {
                // `''` inside a literal is a quote: the literal goes on.
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                        }
                        Some('\'') | None => break,
                        Some(_) => {}
                    }
                }
                out.push_str("''");
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(sql: &str) -> Vec<&'static str> {
        let mut f = Vec::new();
        destructive(sql, &mut f);
        f
    }

    #[test]
    fn statements_that_destroy_data() {
        assert_eq!(found("DROP\n  TABLE users;"), ["DROP"]);
        assert_eq!(found("drop database app"), ["DROP"]);
        assert_eq!(
            found("ALTER TABLE t\n DROP COLUMN email;"),
            ["ALTER … DROP"]
        );
        assert_eq!(found("TRUNCATE sessions"), ["TRUNCATE"]);
        assert_eq!(found("truncate table only \"audit\""), ["TRUNCATE"]);
        assert_eq!(found("DELETE FROM users;"), ["DELETE without WHERE"]);
        assert_eq!(
            found("update accounts set balance = 0"),
            ["UPDATE without WHERE"]
        );
        assert_eq!(
            found("DELETE FROM a WHERE id = 1; DELETE FROM b"),
            ["DELETE without WHERE"]
        );
    }

    #[test]
    fn statements_that_do_not() {
        for sql in [
            "DELETE FROM users WHERE id = 3;",
            "UPDATE users\nSET name = 'x'\nWHERE id = 3",
            "SELECT 'DROP TABLE users' AS note;",
            "-- DROP TABLE users;\nSELECT 1;",
            "/* TRUNCATE t */ SELECT count(*) FROM t",
            "INSERT INTO log VALUES ('it''s DELETE FROM x')",
            "CREATE TABLE drop_log (id int)",
            "SELECT * FROM truncated_rows",
        ] {
            assert!(found(sql).is_empty(), "{sql}");
        }
    }

    #[test]
    fn sql_is_told_from_shell() {
        assert!(looks_like("-- cleanup\nDELETE FROM t;"));
        assert!(looks_like("\\set ON_ERROR_STOP on\nDROP TABLE x;"));
        assert!(looks_like("select 1"));
        assert!(!looks_like("set -e\nrm -rf x"));
        assert!(!looks_like("\\rm -rf /tmp/x"));
        assert!(!looks_like("kubectl delete pod x"));
    }
}
