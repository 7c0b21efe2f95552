//! One command judged: what it destroys by the tool rules, and the commands
//! it runs in turn (wrappers like `sudo` and `xargs`, shells and `ssh` given a
//! script, `find -exec`, `kubectl exec --`), SQL given to database clients,
//! code given to the MongoDB shell.

use std::sync::OnceLock;

use regex::Regex;

use super::args::Args;
use super::{shell, sql, tools};

/// Programs that take SQL in their arguments or on standard input.
#[rustfmt::skip]
const SQL_CLIENTS: &[&str] = &[
    "psql", "pgcli", "mysql", "mariadb", "mycli", "mysqlsh", "sqlite3", "sqlite", "duckdb",
    "sqlcmd", "osql", "isql", "clickhouse-client", "clickhouse", "cockroach", "cqlsh", "snowsql",
    "bq", "trino", "presto", "spark-sql", "beeline", "impala-shell", "vsql", "sqlplus", "usql",
    "db2", "yb-ctl", "ysqlsh", "tsql", "mssql-cli", "litecli",
];

/// Programs that run their arguments as a command, after their own flags:
/// `(name, its flags that take a value)`.
#[rustfmt::skip]
const WRAPPERS: &[(&str, &[&str])] = &[
    ("sudo", &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group", "--chdir", "--prompt", "--host"]),
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
    ("xargs", &["-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a", "--max-args", "--max-procs", "--delimiter", "--arg-file", "--replace", "--max-lines"]),
    ("env", &["-u", "-C", "--unset", "--chdir"]),
    ("flock", &["-w", "-E", "--timeout", "--conflict-exit-code"]),
    ("systemd-run", &["-p", "--unit", "--property", "--uid", "--gid", "-E", "--setenv", "--working-directory"]),
    ("runuser", &["-u", "-g", "-G", "--user", "--group"]),
    ("chronic", &[]),
    ("torsocks", &[]),
    ("proxychains", &["-f"]),
    ("proxychains4", &["-f"]),
];

/// Flags of `docker run` (and `podman run`) that take a value.
#[rustfmt::skip]
const DOCKER_RUN_VALUES: &[&str] = &[
    "-v", "--volume", "-e", "--env", "--env-file", "-p", "--publish", "--name", "-w", "--workdir",
    "-u", "--user", "--entrypoint", "--network", "--net", "-l", "--label", "-m", "--memory",
    "--cpus", "--mount", "--platform", "--restart", "-h", "--hostname", "--add-host", "--device",
    "--log-driver", "--log-opt", "--pull", "--cap-add", "--cap-drop", "--security-opt", "--tmpfs",
    "--ulimit", "--volumes-from", "-a", "--attach", "--link", "--dns", "--gpus", "--ipc", "--pid",
    "--shm-size", "--stop-signal", "--stop-timeout", "--runtime", "--cidfile", "--label-file",
];

/// Runners that start a program named after a subcommand (`poetry run flask …`).
#[rustfmt::skip]
const RUNNERS: &[(&str, &str)] = &[
    ("poetry", "run"), ("pipenv", "run"), ("uv", "run"), ("pdm", "run"), ("rye", "run"),
    ("hatch", "run"), ("bundle", "exec"), ("pnpm", "exec"), ("pnpm", "dlx"), ("yarn", "dlx"),
    ("heroku", "run"), ("k3s", "kubectl"), ("microk8s", "kubectl"), ("docker", "exec"),
    ("podman", "exec"),
];

/// Flags of `ssh` that take a value.
const SSH_VALUES: &[&str] = &[
    "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q",
    "-R", "-S", "-W", "-w", "-B",
];

/// The findings so far, each named once.
#[derive(Default)]
pub struct Found(pub Vec<String>);

impl Found {
    pub fn note(&mut self, what: &str) {
        if !self.0.iter().any(|f| f == what) {
            self.0.push(what.to_string());
        }
    }

    pub fn sql(&mut self, text: &str) {
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
    pub fn command(
        &mut self,
        words: &[String],
        stdin: Option<&str>,
        writes: &[String],
        depth: usize,
    ) {
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
