//! The destructive-command guard: finds commands that destroy data or
//! infrastructure, so a person confirms them. Advisory, not a sandbox: an alias,
//! a variable or a script defeats it.

use std::sync::OnceLock;

use regex::{Regex, RegexSet};

/// `(pattern, what to call it)`; patterns apply to one line of a script, or to
/// the whole script for `(?s)` ones.
const PATTERNS: &[(&str, &str)] = &[
    (r"\bdropdb\b", "dropdb"),
    (
        r"(?i)\bdrop\s+(table|database|schema|user|role|index|view)\b",
        "DROP",
    ),
    (r"(?i)\btruncate\s+(table\s+)?[A-Za-z_\x22`]", "TRUNCATE"),
    (r"(?i)\bflush(all|db)\b", "FLUSHALL/FLUSHDB"),
    (r"\brm\s+(-[-\w]*\s+)*-[a-zA-Z]*[rR]", "rm -r"),
    (r"\brm\s+(-[-\w]*\s+)*--recursive\b", "rm --recursive"),
    (
        r"\bkubectl\s+(.*\s)?(delete|drain)\b",
        "kubectl delete/drain",
    ),
    (r"\bhelm\s+(.*\s)?(uninstall|delete)\b", "helm uninstall"),
    (r"\bterraform\s+(.*\s)?destroy\b", "terraform destroy"),
    (
        r"\bterraform\s+apply\s+.*-destroy\b",
        "terraform apply -destroy",
    ),
    (
        r"\bgit\s+push\s+(.*\s)?(--force\b|--force-with-lease\b|-f\b|\+\S)",
        "git push --force",
    ),
    (r"\bgit\s+reset\s+--hard\b", "git reset --hard"),
    (r"\bgit\s+clean\s+-\w*f", "git clean -f"),
    (
        r"\baws\s+s3\s+rm\s+.*--recursive\b",
        "aws s3 rm --recursive",
    ),
    (r"\baws\s+s3\s+rb\b", "aws s3 rb"),
    (r"\baws\s+s3\s+sync\s+.*--delete\b", "aws s3 sync --delete"),
    (
        r"\baws\s+\S+\s+(delete|terminate)-\S+",
        "aws delete/terminate",
    ),
    (r"\bgcloud\s+(.*\s)?delete\b", "gcloud delete"),
    (r"\baz\s+(.*\s)?delete\b", "az delete"),
    (
        r"\bdocker\s+(system\s+prune|volume\s+(rm|prune)|rm\s+-f)",
        "docker prune/rm",
    ),
    (r"\b(mkfs(\.\w+)?|wipefs|shred)\b", "disk wipe"),
    (r"\bdd\s+.*\bof=/dev/", "dd to a device"),
];

/// All the patterns at once: one pass over each line.
fn compiled() -> &'static RegexSet {
    static SET: OnceLock<RegexSet> = OnceLock::new();
    SET.get_or_init(|| RegexSet::new(PATTERNS.iter().map(|(p, _)| p)).expect("valid patterns"))
}

fn delete_without_where() -> &'static Regex {
    static DELETE: OnceLock<Regex> = OnceLock::new();
    DELETE.get_or_init(|| Regex::new(r"(?is)\bdelete\s+from\b[^;]*").expect("a valid pattern"))
}

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
pub fn destructive(script: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut note = |what: &str| {
        if !found.iter().any(|f| f == what) {
            found.push(what.to_string());
        }
    };
    let code: String = script
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    // Most blocks hold nothing destructive: one pass over the whole block
    // says so before any line is looked at alone.
    if compiled().is_match(&code) {
        for line in code.lines() {
            for i in compiled().matches(line) {
                note(PATTERNS[i].1);
            }
        }
    }
    for m in delete_without_where().find_iter(&code) {
        if !m.as_str().to_ascii_lowercase().contains("where") {
            note("DELETE without WHERE");
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(destructive(script), vec![what.to_string()], "{script}");
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
            "# rm -rf / (a comment)",
            "helm upgrade api ./chart",
            "echo 'deleted'",
        ] {
            assert!(destructive(script).is_empty(), "{script}");
        }
    }
}
