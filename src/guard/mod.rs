//! The destructive-command guard: finds commands that destroy data or
//! infrastructure, so a person confirms them. It reads a block as bash would
//! (continuations joined, quotes and comments understood, every command of a
//! pipeline, list and `$(…)` looked at) and SQL statement by statement.
//! Advisory, not a sandbox: an alias from another block, a variable or a
//! script defeats it.

mod args;
mod command;
mod endless;
mod lenient;
mod shell;
mod sql;
mod tools;

use std::sync::OnceLock;

use regex::Regex;

use command::Found;
pub use endless::endless;

/// What the guard stops in a block whose fence says `danger` (`None` when it
/// says nothing): `danger=false` marks a reviewed block, `danger=true` forces
/// the guard, else what `destructive` finds.
pub fn assess(danger: Option<bool>, script: &str) -> Vec<String> {
    match danger {
        Some(false) => Vec::new(),
        Some(true) => vec!["marked danger".into()],
        None => destructive(script),
    }
}

/// What in `script` looks destructive, each named once, in order found.
/// `script` is a shell block, or SQL (a `sql` fence, a psql script).
pub fn destructive(script: &str) -> Vec<String> {
    if !mentions_any(script) {
        return Vec::new();
    }
    let mut found = Found::default();
    let commands = shell::commands(script);
    // SQL (a `sql` fence, a psql script), or an SQL statement written
    // straight into a shell block (`DROP TABLE x;`), is read as SQL; it is
    // read as shell too, which finds nothing in SQL (`truncate -s 0 f` is
    // shell that starts like SQL).
    if sql::looks_like(script)
        || commands.iter().any(|c| {
            c.words
                .first()
                .is_some_and(|w| sql::is_statement_keyword(w))
        })
    {
        found.sql(script);
    }
    let mut aliases: Vec<(String, Vec<String>)> = Vec::new();
    for cmd in &commands {
        let words = expand_alias(&cmd.words, &aliases);
        if words.first().is_some_and(|w| w == "alias") {
            aliases.extend(words[1..].iter().filter_map(|a| {
                let (name, value) = a.split_once('=')?;
                Some((name.to_string(), shell_words(value)))
            }));
        }
        found.command(&words, cmd.stdin.as_deref(), &cmd.writes, 0);
    }
    found.0
}

/// Whether `script` names anything a rule is about: a program, an SQL or
/// MongoDB keyword, a disk device. Most blocks name none, and are not parsed.
fn mentions_any(script: &str) -> bool {
    static WORDS: OnceLock<Regex> = OnceLock::new();
    let words = WORDS.get_or_init(|| {
        let mut all: Vec<String> = tools::names().map(regex::escape).collect();
        all.extend(
            [
                "drop",
                "truncate",
                "delete",
                "update",
                "alter",
                "deleteMany",
                "remove",
                "flushall",
                "dropDatabase",
                "dropCollection",
                "mongo",
                "mongosh",
                "flushdb",
                "del",
                "unlink",
                "flush",
                "reset_db",
                "sqlflush",
                "zero",
            ]
            .map(String::from),
        );
        Regex::new(&format!(r"(?i)\b(?:{})\b|/dev/", all.join("|"))).expect("a valid pattern")
    });
    words.is_match(script)
}

/// `words` with an alias the block defined earlier put in for its name.
fn expand_alias(words: &[String], aliases: &[(String, Vec<String>)]) -> Vec<String> {
    let Some(first) = words.first() else {
        return Vec::new();
    };
    match aliases.iter().rev().find(|(name, _)| name == first) {
        Some((_, value)) => value
            .iter()
            .cloned()
            .chain(words[1..].iter().cloned())
            .collect(),
        None => words.to_vec(),
    }
}

/// Words of a command written in one string (an alias, `watch 'cmd'`).
fn shell_words(text: &str) -> Vec<String> {
    shell::commands(text)
        .into_iter()
        .next()
        .map(|c| c.words)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(script: &str) -> Vec<String> {
        destructive(script)
    }

    #[test]
    fn destructive_commands_are_found() {
        let cases = [
            ("dropdb brinkadata", "dropdb"),
            ("psql -c 'DROP TABLE users;'", "DROP"),
            ("psql -c \"truncate sessions\"", "TRUNCATE"),
            ("psql -c 'DELETE FROM users;'", "DELETE without WHERE"),
            ("rm -rf /var/lib/app", "rm -r"),
            ("rm -fr dist", "rm -r"),
            ("sudo rm -r -f x", "rm -r"),
            ("kubectl -n prod delete pod api-1", "kubectl delete/drain"),
            ("helm uninstall api", "helm uninstall"),
            ("terraform destroy -auto-approve", "terraform destroy"),
            ("git push --force origin main", "git push --force"),
            ("git push origin +main", "git push --force"),
            ("aws s3 rm s3://bucket --recursive", "aws s3 rm --recursive"),
            ("redis-cli FLUSHALL", "FLUSHALL/FLUSHDB"),
        ];
        for (script, what) in cases {
            assert_eq!(found(script), vec![what.to_string()], "{script}");
        }
    }

    /// The attacks of the issue this guard was rebuilt for: a command split
    /// over lines, or SQL over lines, is still one command.
    #[test]
    fn commands_split_over_lines_are_one_command() {
        let cases = [
            (
                "aws s3 rm s3://b \\\n  --recursive",
                "aws s3 rm --recursive",
            ),
            ("kubectl \\\n  delete ns prod", "kubectl delete/drain"),
            ("rm \\\n  --recursive /srv/data", "rm -r"),
            ("git push \\\n  --force origin main", "git push --force"),
            ("terraform \\\n  destroy", "terraform destroy"),
            ("dd if=/dev/zero \\\n  of=/dev/sdb bs=1M", "dd to a device"),
            ("psql <<SQL\nDROP\nTABLE users;\nSQL", "DROP"),
            ("DROP\nTABLE users;", "DROP"),
        ];
        for (script, what) in cases {
            assert_eq!(found(script), vec![what.to_string()], "{script}");
        }
    }

    #[test]
    fn the_danger_attribute_decides_before_the_script() {
        assert!(assess(Some(false), "rm -rf dist/").is_empty());
        assert_eq!(assess(Some(true), "ls"), vec!["marked danger".to_string()]);
        assert_eq!(assess(None, "dropdb x"), vec!["dropdb".to_string()]);
        assert!(assess(None, "ls").is_empty());
    }

    #[test]
    fn ordinary_commands_are_not() {
        for script in [
            "psql -c 'DELETE FROM users WHERE id = 3;'",
            "rm file.txt",
            "kubectl get pods",
            "git push origin main",
            "ls # rm -rf / (a comment)",
            "helm upgrade api ./chart",
            "echo 'deleted'",
            "echo \"rm -rf\"",
            "grep 'DROP TABLE' migrations/*.sql",
            "helm list --filter delete-me",
            "kubectl delete pod api --dry-run=client",
            "terraform plan -destroy",
            "cat > cleanup.sql <<'EOF'\nDELETE FROM sessions;\nEOF",
        ] {
            assert!(found(script).is_empty(), "{script}: {:?}", found(script));
        }
    }

    #[test]
    fn commands_run_by_other_commands_are_looked_at() {
        let cases = [
            ("ssh db1 'sudo -u postgres dropdb app'", "dropdb"),
            ("bash -c \"rm -rf /srv/app\"", "rm -r"),
            (
                "kubectl exec -it db-0 -- psql -c 'DROP DATABASE app'",
                "DROP",
            ),
            (
                "docker exec -i pg psql -U app <<EOF\nTRUNCATE t;\nEOF",
                "TRUNCATE",
            ),
            ("find /backups -mtime +7 -exec rm -rf {} \\;", "rm -r"),
            (
                "kubectl get pods -o name | xargs kubectl delete",
                "kubectl delete/drain",
            ),
            ("echo 'FLUSHALL' | redis-cli -h cache", "FLUSHALL/FLUSHDB"),
            (
                "for ns in a b; do kubectl delete ns $ns; done",
                "kubectl delete/drain",
            ),
            ("poetry run flask db downgrade", "migration downgrade/reset"),
            ("alias k=kubectl\nk delete pod x", "kubectl delete/drain"),
            ("x=$(git reset --hard origin/main)", "git reset --hard"),
            (
                "kubectl delete pod <pod-name> -n <namespace>",
                "kubectl delete/drain",
            ),
        ];
        for (script, what) in cases {
            assert!(
                found(script).contains(&what.to_string()),
                "{script}: {:?}",
                found(script)
            );
        }
    }
}
