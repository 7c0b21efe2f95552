//! The runner table: which fence languages run, and how (the bash session, a
//! program, a command set in runsheet.toml), and which are only shown.

use std::collections::BTreeMap;

/// How a block is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runner {
    /// Sourced into the run's one bash session.
    Shell,
    /// Written to a file and run by this program from inside the session.
    /// A boxed `String`, one pointer: every block carries a runner, most
    /// of them `Shell`, and the runner is then 8 bytes rather than 16.
    Program(Box<String>),
}

impl Runner {
    /// A block run by `program`.
    pub fn program(program: &str) -> Runner {
        Runner::Program(Box::new(program.to_string()))
    }
}

/// Fence languages with a configured command (`runsheet.toml`'s `[runners]`),
/// keyed by lower-case language.
pub type Runners = BTreeMap<String, String>;

/// How a fence language is treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Language {
    /// Run, this way.
    Run(Runner),
    /// Data or output being shown: never run, nothing to say.
    Shown,
    /// Code runsheet has no runner for: shown, with a warning.
    NoRunner,
}

/// How blocks of `lang` are treated: a configured command wins over the
/// built-in table, so a team can run `sql` with `psql` or `python` in a venv.
pub fn language(lang: &str, runners: &Runners) -> Language {
    if let Some(command) = runners.get(lang) {
        return Language::Run(Runner::program(command));
    }
    match lang {
        "bash" | "sh" | "shell" | "console" | "shell-session" | "shellsession" => {
            Language::Run(Runner::Shell)
        }
        "zsh" => Language::Run(Runner::program("zsh")),
        "python" | "python3" | "py" => Language::Run(Runner::program("python3")),
        "node" | "js" | "javascript" => Language::Run(Runner::program("node")),
        "ruby" | "rb" => Language::Run(Runner::program("ruby")),
        "perl" => Language::Run(Runner::program("perl")),
        "" | "text" | "txt" | "plaintext" | "plain" | "output" | "log" | "json" | "jsonc"
        | "yaml" | "yml" | "toml" | "ini" | "conf" | "cfg" | "env" | "properties" | "xml"
        | "html" | "css" | "markdown" | "md" | "diff" | "patch" | "csv" | "tsv" | "mermaid"
        | "dot" | "graphql" | "http" | "nginx" | "dockerfile" | "gitignore" | "csharp"
        | "proto" => Language::Shown,
        _ => Language::NoRunner,
    }
}

/// How a block runs: a `runner=` attribute on its fence wins over the table.
pub fn resolve(lang: &str, runner: Option<&str>, runners: &Runners) -> Language {
    match runner {
        Some(program) => Language::Run(Runner::program(program)),
        None => language(lang, runners),
    }
}

/// Whether blocks of `lang` are plain text, where a `[ ] item` line is a task.
pub fn is_plain_text(lang: &str) -> bool {
    matches!(lang, "" | "text" | "txt" | "plaintext" | "plain")
}

/// The configured `[runners]` as the table reads them: languages in lower
/// case, and an empty command taken as no command.
pub fn configured(runners: impl IntoIterator<Item = (String, String)>) -> Runners {
    runners
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .filter(|(_, v)| !v.trim().is_empty())
        .collect()
}

/// The shell line that runs a block written to `quoted_file` (already quoted
/// for the shell) with `program`: at its `{file}`, or appended.
pub fn program_line(program: &str, quoted_file: &str) -> String {
    if program.contains("{file}") {
        program.replace("{file}", quoted_file)
    } else {
        format!("{program} {quoted_file}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_says_how_each_language_runs() {
        let none = Runners::new();
        for (lang, want) in [
            ("bash", Language::Run(Runner::Shell)),
            ("console", Language::Run(Runner::Shell)),
            ("zsh", Language::Run(Runner::program("zsh"))),
            ("py", Language::Run(Runner::program("python3"))),
            ("js", Language::Run(Runner::program("node"))),
            ("rb", Language::Run(Runner::program("ruby"))),
            ("perl", Language::Run(Runner::program("perl"))),
            ("", Language::Shown),
            ("json", Language::Shown),
            ("sql", Language::NoRunner),
            ("Bash", Language::NoRunner),
        ] {
            assert_eq!(language(lang, &none), want, "{lang:?}");
        }
    }

    #[test]
    fn configured_commands_and_fence_runners_win() {
        let runners = configured([
            ("SQL".to_string(), "psql -f {file}".to_string()),
            ("bash".to_string(), "bash -x".to_string()),
            ("empty".to_string(), " ".to_string()),
        ]);
        assert_eq!(
            language("sql", &runners),
            Language::Run(Runner::program("psql -f {file}"))
        );
        assert_eq!(
            language("bash", &runners),
            Language::Run(Runner::program("bash -x"))
        );
        assert_eq!(language("empty", &runners), Language::NoRunner);
        assert_eq!(
            resolve("json", Some("jq ."), &runners),
            Language::Run(Runner::program("jq ."))
        );
        assert_eq!(resolve("json", None, &runners), Language::Shown);
    }

    #[test]
    fn a_program_gets_the_file_where_it_asks() {
        assert_eq!(
            program_line("psql -f {file} -q", "'/s/b.code'"),
            "psql -f '/s/b.code' -q"
        );
        assert_eq!(
            program_line("python3", "'/s/b.code'"),
            "python3 '/s/b.code'"
        );
    }
}
