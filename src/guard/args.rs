//! A command's arguments as its program reads them: flags (`-rf` clusters,
//! `--name=value`), flag values, and the positional words in between.

/// Flags that take a value, for the tools the guard reads (`kubectl -n prod
/// delete`, `aws --profile p rds …`, `docker compose -p shop down`).
const VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "--context",
    "--cluster",
    "--kubeconfig",
    "--user",
    "-s",
    "--server",
    "--token",
    "--as",
    "--as-group",
    "--kube-context",
    "--kube-apiserver",
    "--kube-token",
    "--profile",
    "--region",
    "--output",
    "-o",
    "--endpoint-url",
    "--query",
    "--color",
    "--ca-bundle",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "-C",
    "-c",
    "--git-dir",
    "--work-tree",
    "-H",
    "--host",
    "-l",
    "--log-level",
    "--config",
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--project",
    "--project-directory",
    "--env-file",
    "--app",
    "-a",
    "--org",
    "--zone",
    "--resource-group",
    "-g",
    "--subscription",
    "--remote",
    "-r",
    "--stack",
    "-e",
    "--env",
    "--environment",
    "--account",
    "--format",
];

/// The arguments of one command (its name not included).
#[derive(Debug, Clone, Copy)]
pub struct Args<'a>(pub &'a [String]);

impl<'a> Args<'a> {
    /// Whether the long flag `--name` is there, alone or as `--name=value`.
    pub fn has(&self, long: &str) -> bool {
        self.0
            .iter()
            .any(|a| a == long || a.strip_prefix(long).is_some_and(|r| r.starts_with('=')))
    }

    /// Whether a long flag starting with `prefix` is there (`--delete` finds
    /// `--delete-after`).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.0.iter().any(|a| a.starts_with(prefix))
    }

    /// Whether the short flag `c` is there, alone or in a cluster (`-rf`).
    pub fn short(&self, c: char) -> bool {
        self.0.iter().any(|a| {
            a.strip_prefix('-').is_some_and(|rest| {
                !rest.starts_with('-')
                    && rest.chars().all(|d| d.is_ascii_alphanumeric())
                    && rest.contains(c)
            })
        })
    }

    /// The value of the first of `names` given: `--name=value`,
    /// `--name value`, `-x value` or `-xvalue`.
    pub fn value(&self, names: &[&str]) -> Option<&'a str> {
        for (i, a) in self.0.iter().enumerate() {
            for name in names {
                if a == name {
                    return self.0.get(i + 1).map(String::as_str);
                }
                if let Some(v) = a.strip_prefix(name) {
                    if let Some(v) = v.strip_prefix('=') {
                        return Some(v);
                    }
                    if !name.starts_with("--") && name.len() == 2 && !v.is_empty() {
                        return Some(v);
                    }
                }
            }
        }
        None
    }

    /// Whether any argument is `word`, in any case.
    pub fn word(&self, word: &str) -> bool {
        self.0.iter().any(|a| a.eq_ignore_ascii_case(word))
    }

    /// The words that are neither flags nor the values of flags that come
    /// before them.
    pub fn positionals(&self) -> Vec<&'a str> {
        let mut out = Vec::new();
        let mut skip = false;
        let mut after_dashes = false;
        for a in self.0 {
            if skip && !a.starts_with('-') {
                skip = false;
                continue;
            }
            skip = false;
            if after_dashes || !a.starts_with('-') || a == "-" {
                out.push(a.as_str());
            } else if a == "--" {
                after_dashes = true;
            } else if VALUE_FLAGS.contains(&a.as_str()) {
                skip = true;
            }
        }
        out
    }

    /// The words after a `--` that ends the flags, if any.
    pub fn after_dashes(&self) -> Option<&'a [String]> {
        let at = self.0.iter().position(|a| a == "--")?;
        let rest = &self.0[at + 1..];
        (!rest.is_empty()).then_some(rest)
    }

    /// Whether the command only says what it would do.
    pub fn dry_run(&self) -> bool {
        self.0.iter().any(|a| {
            a == "--dryrun"
                || a == "--what-if"
                || a == "--dry-run"
                || a.strip_prefix("--dry-run=")
                    .is_some_and(|v| v != "none" && v != "false")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn flags_values_and_positionals() {
        let a = args("-n prod --context=c delete pod api -rf --replicas=0");
        let a = Args(&a);
        assert_eq!(a.positionals(), ["delete", "pod", "api"]);
        assert!(a.short('r') && a.short('f') && !a.short('x'));
        assert!(a.has("--context") && !a.has("--cont"));
        assert_eq!(a.value(&["--replicas"]), Some("0"));
        assert_eq!(a.value(&["-n"]), Some("prod"));
        let b = args("--profile p rds delete-db-instance --dry-run=client");
        assert_eq!(Args(&b).positionals(), ["rds", "delete-db-instance"]);
        assert!(Args(&b).dry_run());
        let c = args("--dry-run=none");
        assert!(!Args(&c).dry_run());
    }
}
