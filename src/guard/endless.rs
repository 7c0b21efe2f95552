//! Blocks that do not end by themselves: a command that follows, watches or
//! forwards until someone stops it (`kubectl get pods -w`, `tail -f`,
//! `watch -n 5 …`). Runbooks hold them for a person to look at, and a person
//! ends them with Ctrl-C. Read as the guard reads a block, and on the side of
//! caution: a block that pipes into something that stops (`| head`,
//! `grep -m1`), wraps the command in `timeout`, or sends anything to the
//! background is taken to end.

use std::sync::OnceLock;

use regex::Regex;

use super::args::Args;
use super::shell::{self, Cmd};

/// Longest a command is named in what runsheet says about it.
const NAMED: usize = 60;

/// The first command of `script` that does not end by itself, as written
/// (its words joined, cut to a short line); `None` when every command ends,
/// or something in the block may end it.
pub fn endless(script: &str) -> Option<String> {
    if !names_a_watcher(script) || backgrounds(script) {
        return None;
    }
    let commands = shell::commands(script);
    if commands.iter().any(stops_what_it_reads) {
        return None;
    }
    let words = commands.iter().find_map(|c| {
        let words = unwrapped(&c.words)?;
        follows(words).then_some(words)
    })?;
    let named = words.join(" ");
    Some(if named.chars().count() > NAMED {
        let mut cut: String = named.chars().take(NAMED - 1).collect();
        cut.push('…');
        cut
    } else {
        named
    })
}

/// Whether `script` names a program that can follow (most blocks name
/// none, and are not parsed).
fn names_a_watcher(script: &str) -> bool {
    static NAMES: OnceLock<Regex> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            Regex::new(r"\b(?:watch|tail|kubectl|oc|journalctl|docker|docker-compose|podman|ping|ping6|stern)\b")
                .expect("a valid pattern")
        })
        .is_match(script)
}

/// Whether anything in `script` is sent to the background (`cmd &`,
/// `nohup`, `setsid`, `disown`): what follows may then run on and end.
fn backgrounds(script: &str) -> bool {
    static BACKGROUND: OnceLock<Regex> = OnceLock::new();
    BACKGROUND
        .get_or_init(|| {
            Regex::new(r"(?m)(?:[^&>|]&\s*(?:$|[;)#]|\S)|\b(?:nohup|setsid|disown)\b)")
                .expect("a valid pattern")
        })
        .find_iter(script)
        .any(|m| !m.as_str().contains("&&") && !m.as_str().contains("&>"))
}

/// A command that stops reading after a while, ending what pipes into it:
/// `head`, `grep -m1` / `grep -q`, `sed …q`, `timeout`.
fn stops_what_it_reads(cmd: &Cmd) -> bool {
    let Some(first) = cmd.words.first() else {
        return false;
    };
    let args = Args(&cmd.words[1..]);
    match base(first) {
        "head" | "timeout" | "gtimeout" => true,
        "grep" | "egrep" | "fgrep" | "rg" => {
            args.short('m') || args.short('q') || args.has("--max-count") || args.has("--quiet")
        }
        "awk" | "sed" => cmd.words[1..]
            .iter()
            .any(|w| w.contains("exit") || w.ends_with('q')),
        _ => false,
    }
}

/// `words` without the wrappers in front that run the rest as it is
/// (`sudo -u app`, `env A=1`, `time`, `nice`, `stdbuf -oL`, `command`,
/// `exec`); `None` when there is nothing left.
fn unwrapped(words: &[String]) -> Option<&[String]> {
    let mut rest = words;
    loop {
        let first = rest.first()?;
        let skip = match base(first) {
            "sudo" | "doas" | "env" | "time" | "nice" | "stdbuf" | "command" | "exec" => {
                let takes_value = ["-u", "-g", "-n", "-o", "-e", "-i", "-C", "--user"];
                let mut i = 1;
                while let Some(w) = rest.get(i) {
                    if takes_value.contains(&w.as_str()) {
                        i += 2;
                    } else if w.starts_with('-') || (base(first) == "env" && w.contains('=')) {
                        i += 1;
                    } else {
                        break;
                    }
                }
                i
            }
            _ => return Some(rest),
        };
        rest = rest.get(skip..)?;
    }
}

/// Whether the command `words` (wrappers taken off) follows until stopped.
fn follows(words: &[String]) -> bool {
    let Some(first) = words.first() else {
        return false;
    };
    let args = Args(&words[1..]);
    let follow = args.short('f') || args.has("--follow");
    let positionals = args.positionals();
    let sub = positionals.first().copied().unwrap_or("");
    match base(first) {
        "watch" => true,
        "tail" => follow || args.short('F'),
        "journalctl" => follow,
        // `-w` alone: `-owide` is a cluster of no `-w`.
        "kubectl" | "oc" => match sub {
            "get" | "events" => {
                words.iter().any(|w| w == "-w") || args.has("--watch") || args.has("--watch-only")
            }
            "logs" => follow,
            "port-forward" | "proxy" | "attach" => true,
            _ => false,
        },
        "docker" | "podman" => match sub {
            "logs" => follow,
            "events" => !args.has("--until"),
            "stats" => !args.has("--no-stream"),
            "compose" => positionals.get(1) == Some(&"logs") && follow,
            _ => false,
        },
        "docker-compose" => sub == "logs" && follow,
        "ping" | "ping6" => {
            !(args.short('c') || args.short('w') || args.has("--count") || args.has("--deadline"))
        }
        "stern" => !args.has("--no-follow"),
        _ => false,
    }
}

/// A program's name without its directory.
fn base(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::endless;

    #[test]
    fn commands_that_follow_until_stopped_are_found() {
        let cases = [
            (
                "kubectl get pods -n production -w",
                "kubectl get pods -n production -w",
            ),
            (
                "watch -n 5 'curl -s https://metrics.example.com/api'",
                "watch -n 5 curl -s https://metrics.example.com/api",
            ),
            (
                "kubectl logs -f deployment/app -n production --tail=100",
                "kubectl logs -f deployment/app -n production --tail=100",
            ),
            ("sudo tail -F /var/log/syslog", "tail -F /var/log/syslog"),
            ("journalctl -u app --follow", "journalctl -u app --follow"),
            ("docker compose logs -f web", "docker compose logs -f web"),
            (
                "echo watching\nkubectl --context prod get events --watch\n",
                "kubectl --context prod get events --watch",
            ),
            ("ping db.internal", "ping db.internal"),
            ("kubectl logs -f app | grep ERROR", "kubectl logs -f app"),
            (
                "kubectl port-forward svc/web 8080:80",
                "kubectl port-forward svc/web 8080:80",
            ),
        ];
        for (script, named) in cases {
            assert_eq!(endless(script).as_deref(), Some(named), "{script}");
        }
    }

    #[test]
    fn commands_that_end_or_may_be_ended_are_not() {
        for script in [
            "kubectl get pods -n production",
            "kubectl get pods -owide",
            "kubectl rollout status deployment/web",
            "tail -n 100 /var/log/syslog",
            "kubectl logs deployment/app --tail=100",
            "ping -c 3 db.internal",
            "kubectl get pods -w | grep -m1 Running",
            "tail -f app.log | head -n 20",
            "timeout 30 kubectl logs -f app",
            "kubectl port-forward svc/web 8080:80 &\ncurl localhost:8080",
            "nohup tail -f app.log > copy.log",
            "docker stats --no-stream",
            "echo 'watch out' && ls",
            "make && kubectl get pods",
            "# tail -f is how you would follow it\nls",
        ] {
            assert_eq!(endless(script), None, "{script}");
        }
    }

    #[test]
    fn a_long_command_is_named_cut() {
        let script = format!("kubectl logs -f {}", "x".repeat(100));
        let named = endless(&script).unwrap();
        assert_eq!(named.chars().count(), 60);
        assert!(named.ends_with('…'));
    }
}
