//! The destructive-command guard: finds commands that destroy data or
//! infrastructure, so a person confirms them. It reads a block as bash would
//! (continuations joined, quotes and comments understood, every command of a
//! pipeline, list and `$(…)` looked at) and SQL statement by statement.
//! Advisory, not a sandbox: an alias from another block, a variable or a
//! script defeats it.

mod args;
mod shell;
mod sql;
mod tools;

use std::sync::OnceLock;

use regex::Regex;

use args::Args;

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

/// Programs that take SQL in their arguments or on standard input.
const SQL_CLIENTS: &[&str] = &[
    "psql",
    "pgcli",
    "mysql",
    "mariadb",
    "mycli",
    "mysqlsh",
    "sqlite3",
    "sqlite",
    "duckdb",
    "sqlcmd",
    "osql",
    "isql",
    "clickhouse-client",
    "clickhouse",
    "cockroach",
    "cqlsh",
    "snowsql",
    "bq",
    "trino",
    "presto",
    "spark-sql",
    "beeline",
    "impala-shell",
    "vsql",
    "sqlplus",
    "usql",
    "db2",
    "yb-ctl",
    "ysqlsh",
    "tsql",
    "mssql-cli",
    "litecli",
];

/// Programs that run their arguments as a command, after their own flags:
/// `(name, its flags that take a value)`.
const WRAPPERS: &[(&str, &[&str])] = &[
    (
        "sudo",
        &[
            "-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group",
            "--chdir", "--prompt", "--host",
        ],
    ),
    ("doas", &["-u", "-C"]),
    ("nohup", &[]),
    ("time", &["-f", "-o", "--format", "--output"]),
    ("nice", &["-n", "--adjustment"]),
    ("ionice", &["-c", "-n", "-p", "--class", "--classdata"]),
    ("stdbuf", &["-i", "-o", "-e"]),
    ("timeout", &["-s", "-k", "--signal", "--kill-after"]),
    ("exec", &["-a"]),
    ("command", &[]),
    ("builtin", &[]),
    ("unbuffer", &[]),
    ("setsid", &[]),
    ("chroot", &["--userspec", "--groups"]),
    (
        "xargs",
        &[
            "-I",
            "-n",
            "-P",
            "-L",
            "-d",
            "-E",
            "-s",
            "-a",
            "--max-args",
            "--max-procs",
            "--delimiter",
            "--arg-file",
            "--replace",
            "--max-lines",
        ],
    ),
    ("env", &["-u", "-C", "--unset", "--chdir"]),
    ("flock", &["-w", "-E", "--timeout", "--conflict-exit-code"]),
    (
        "systemd-run",
        &[
            "-p",
            "--unit",
            "--property",
            "--uid",
            "--gid",
            "-E",
            "--setenv",
            "--working-directory",
        ],
    ),
    ("runuser", &["-u", "-g", "-G", "--user", "--group"]),
    ("chronic", &[]),
    ("torsocks", &[]),
    ("proxychains", &["-f"]),
    ("proxychains4", &["-f"]),
];

/// Flags of `docker run` (and `podman run`) that take a value.
const DOCKER_RUN_VALUES: &[&str] = &[
    "-v",
    "--volume",
    "-e",
    "--env",
    "--env-file",
    "-p",
    "--publish",
    "--name",
    "-w",
    "--workdir",
    "-u",
    "--user",
    "--entrypoint",
    "--network",
    "--net",
    "-l",
    "--label",
    "-m",
    "--memory",
    "--cpus",
    "--mount",
    "--platform",
    "--restart",
    "-h",
    "--hostname",
    "--add-host",
    "--device",
    "--log-driver",
    "--log-opt",
    "--pull",
    "--cap-add",
    "--cap-drop",
    "--security-opt",
    "--tmpfs",
    "--ulimit",
    "--volumes-from",
    "-a",
    "--attach",
    "--link",
    "--dns",
    "--gpus",
    "--ipc",
    "--pid",
    "--shm-size",
    "--stop-signal",
    "--stop-timeout",
    "--runtime",
    "--cidfile",
    "--label-file",
];

/// Runners that start a program named after a subcommand (`poetry run flask …`).
const RUNNERS: &[(&str, &str)] = &[
    ("poetry", "run"),
    ("pipenv", "run"),
    ("uv", "run"),
    ("pdm", "run"),
    ("rye", "run"),
    ("hatch", "run"),
    ("bundle", "exec"),
    ("pnpm", "exec"),
    ("pnpm", "dlx"),
    ("yarn", "dlx"),
    ("heroku", "run"),
    ("k3s", "kubectl"),
    ("microk8s", "kubectl"),
    ("docker", "exec"),
    ("podman", "exec"),
];

/// Flags of `ssh` that take a value.
const SSH_VALUES: &[&str] = &[
    "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q",
    "-R", "-S", "-W", "-w", "-B",
];

/// The findings so far, each named once.
#[derive(Default)]
struct Found(Vec<String>);

impl Found {
    fn note(&mut self, what: &str) {
        if !self.0.iter().any(|f| f == what) {
            self.0.push(what.to_string());
        }
    }

    fn sql(&mut self, text: &str) {
        let mut found = Vec::new();
        sql::destructive(text, &mut found);
        for what in found {
            self.note(what);
        }
    }

    /// A script run by another program (`bash -c`, `ssh host '…'`).
    fn script(&mut self, text: &str, depth: usize) {
        for cmd in shell::commands(text) {
            self.command(&cmd.words, cmd.stdin.as_deref(), &cmd.writes, depth + 1);
        }
    }

    /// One simple command: its words, what it reads, where it writes.
    fn command(&mut self, words: &[String], stdin: Option<&str>, writes: &[String], depth: usize) {
        if writes.iter().any(|w| tools::is_device(w)) {
            self.note("write to a disk device");
        }
        // Nesting deeper than any real block goes: a guard against loops.
        let Some(first) = words.first().filter(|_| depth < 8) else {
            return;
        };
        let name = first.rsplit('/').next().unwrap_or(first).to_string();
        let args = Args(&words[1..]);
        if args.dry_run() {
            return;
        }
        if let Some(inner) = self.unwrap(&name, args, stdin, depth) {
            self.command(inner, stdin, &[], depth + 1);
            return;
        }
        if SQL_CLIENTS.contains(&name.as_str()) {
            for a in args.0 {
                self.sql(a);
            }
            if let Some(text) = stdin {
                self.sql(text);
            }
        }
        if matches!(name.as_str(), "mongo" | "mongosh") {
            let js = args.0.iter().map(String::as_str).chain(stdin);
            if js.into_iter().any(|t| mongo_drop().is_match(t)) {
                self.note("MongoDB drop/delete");
            }
        }
        if name == "redis-cli"
            && stdin.is_some_and(|t| {
                t.split_whitespace().any(|w| {
                    w.eq_ignore_ascii_case("flushall") || w.eq_ignore_ascii_case("flushdb")
                })
            })
        {
            self.note("FLUSHALL/FLUSHDB");
        }
        if name == "find" {
            self.find_exec(args, depth);
        }
        if matches!(name.as_str(), "python" | "python3")
            && args.0.first().is_some_and(|s| s.ends_with("manage.py"))
        {
            self.django(Args(&args.0[1..]));
        }
        if name == "manage.py" {
            self.django(args);
        }
        let mut note = |what: &str| self.note(what);
        tools::check(&name, args, &mut note);
        // `kubectl exec pod -- cmd`, `aws-vault exec p -- cmd`: a command
        // after `--` runs too.
        if matches!(
            name.as_str(),
            "kubectl"
                | "oc"
                | "aws-vault"
                | "op"
                | "doppler"
                | "chamber"
                | "dotenvx"
                | "infisical"
                | "tsh"
                | "npx"
        ) && let Some(rest) = args.after_dashes()
        {
            self.command(rest, stdin, &[], depth + 1);
        }
    }

    /// For a program that runs another (a wrapper, a shell, ssh), the
    /// command it runs, when that is given as words; a command given as one
    /// string is looked at here.
    fn unwrap<'a>(
        &mut self,
        name: &str,
        args: Args<'a>,
        stdin: Option<&str>,
        depth: usize,
    ) -> Option<&'a [String]> {
        let a = args.0;
        match name {
            "bash" | "sh" | "zsh" | "dash" | "ksh" | "ash" => {
                match args.value(&["-c"]) {
                    Some(script) => self.script(script, depth),
                    None if a.iter().all(|w| w.starts_with('-')) => {
                        if let Some(text) = stdin {
                            self.script(text, depth);
                        }
                    }
                    None => {}
                }
                None
            }
            "eval" | "watch" => {
                let start = a
                    .iter()
                    .position(|w| !w.starts_with('-'))
                    .unwrap_or(a.len());
                let start =
                    if name == "watch" && a.get(start.wrapping_sub(1)).is_some_and(|f| f == "-n") {
                        start + 1
                    } else {
                        start
                    };
                self.script(&a.get(start..).unwrap_or(&[]).join(" "), depth);
                None
            }
            "su" => {
                if let Some(script) = args.value(&["-c", "--command"]) {
                    self.script(script, depth);
                }
                None
            }
            "ssh" => {
                let mut i = 0;
                while i < a.len() && a[i].starts_with('-') {
                    i += if SSH_VALUES.contains(&a[i].as_str()) {
                        2
                    } else {
                        1
                    };
                }
                // The host, then the remote command; none: it reads stdin.
                match a.get(i + 1..).filter(|rest| !rest.is_empty()) {
                    Some(rest) => self.script(&rest.join(" "), depth),
                    None => {
                        if let Some(text) = stdin {
                            self.script(text, depth);
                        }
                    }
                }
                None
            }
            "flock" if args.value(&["-c", "--command"]).is_some() => {
                if let Some(script) = args.value(&["-c", "--command"]) {
                    self.script(script, depth);
                }
                None
            }
            _ if WRAPPERS.iter().any(|(w, _)| *w == name) => {
                let values = WRAPPERS
                    .iter()
                    .find(|(w, _)| *w == name)
                    .map_or(&[][..], |(_, v)| v);
                let mut i = 0;
                while i < a.len() {
                    let w = a[i].as_str();
                    if w == "--" {
                        i += 1;
                        break;
                    }
                    let assignment = name == "env" && w.contains('=') && !w.starts_with('-');
                    if !w.starts_with('-') && !assignment {
                        break;
                    }
                    i += if values.contains(&w) { 2 } else { 1 };
                }
                // What comes first after the flags of these is not the
                // command: the duration, the root, the lock file.
                if matches!(name, "timeout" | "chroot" | "flock") {
                    i += 1;
                }
                a.get(i..).filter(|rest| !rest.is_empty())
            }
            "npx" | "bunx" | "pnpx" => {
                let mut i = 0;
                while i < a.len() && a[i].starts_with('-') {
                    i += if matches!(a[i].as_str(), "-p" | "--package") {
                        2
                    } else {
                        1
                    };
                }
                a.get(i..).filter(|rest| !rest.is_empty())
            }
            "docker" | "podman" if args.positionals().first() == Some(&"run") => {
                // `docker run [flags] IMAGE cmd…`
                let at = a.iter().position(|w| w == "run")? + 1;
                let rest = &a[at..];
                let mut i = 0;
                while i < rest.len() && rest[i].starts_with('-') {
                    i += if DOCKER_RUN_VALUES.contains(&rest[i].as_str()) {
                        2
                    } else {
                        1
                    };
                }
                rest.get(i + 1..).filter(|r| !r.is_empty())
            }
            "docker" | "podman" | "docker-compose"
                if matches!(
                    args.positionals().as_slice(),
                    ["compose", "exec" | "run", ..] | ["exec" | "run", ..]
                ) && (name == "docker-compose" || args.positionals()[0] == "compose") =>
            {
                // `docker compose exec [flags] SERVICE cmd…`
                let at = a.iter().position(|w| w == "exec" || w == "run")? + 1;
                let rest = &a[at..];
                let mut i = 0;
                while i < rest.len() && rest[i].starts_with('-') {
                    let takes = matches!(
                        rest[i].as_str(),
                        "-e" | "--env"
                            | "-u"
                            | "--user"
                            | "-w"
                            | "--workdir"
                            | "--index"
                            | "--entrypoint"
                            | "-v"
                            | "--volume"
                            | "-p"
                            | "--publish"
                            | "--name"
                            | "-l"
                            | "--label"
                    );
                    i += if takes { 2 } else { 1 };
                }
                rest.get(i + 1..).filter(|r| !r.is_empty())
            }
            _ => {
                let (_, sub) = RUNNERS.iter().find(|(tool, _)| *tool == name)?;
                let positionals = args.positionals();
                if positionals.first() != Some(sub) {
                    return None;
                }
                let at = a.iter().position(|w| w == sub)? + 1;
                let mut rest = &a[at..];
                if matches!(name, "docker" | "podman") {
                    // `docker exec [flags] CONTAINER cmd…`
                    let mut i = 0;
                    while i < rest.len() && rest[i].starts_with('-') {
                        let takes = matches!(
                            rest[i].as_str(),
                            "-e" | "--env"
                                | "-u"
                                | "--user"
                                | "-w"
                                | "--workdir"
                                | "--env-file"
                                | "--detach-keys"
                        );
                        i += if takes { 2 } else { 1 };
                    }
                    rest = rest.get(i + 1..)?;
                }
                (!rest.is_empty()).then_some(rest)
            }
        }
    }

    /// `find … -exec cmd {} ;`: the command it runs on what it finds.
    fn find_exec(&mut self, args: Args, depth: usize) {
        let a = args.0;
        let mut i = 0;
        while i < a.len() {
            if matches!(a[i].as_str(), "-exec" | "-execdir" | "-ok" | "-okdir") {
                let end = a[i + 1..]
                    .iter()
                    .position(|w| w == ";" || w == "+")
                    .map_or(a.len(), |n| i + 1 + n);
                self.command(&a[i + 1..end], None, &[], depth + 1);
                i = end;
            }
            i += 1;
        }
    }

    fn django(&mut self, args: Args) {
        let p = args.positionals();
        match p.first().copied() {
            Some("flush" | "reset_db" | "sqlflush") => self.note("django flush"),
            Some("migrate") if p.get(2) == Some(&"zero") => self.note("migration downgrade/reset"),
            _ => {}
        }
    }
}

/// MongoDB shell code that drops or empties a database or collection.
fn mongo_drop() -> &'static Regex {
    static DROP: OnceLock<Regex> = OnceLock::new();
    DROP.get_or_init(|| {
        Regex::new(r"dropDatabase\s*\(|\.drop\s*\(|dropCollection\s*\(|\.(?:deleteMany|remove)\s*\(\s*\{\s*\}\s*\)")
            .expect("a valid pattern")
    })
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
