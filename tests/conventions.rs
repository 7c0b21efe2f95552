//! The command-line conventions users know from other tools: completions, a
//! man page, a version that names its commit, `runsheet.toml` looked for
//! upward, `--config`.

use crate::common::{OUT, RUNBOOK, Test};

#[test]
fn completions_for_every_shell_know_the_subcommands() {
    for (shell, mark) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef runsheet"),
        ("fish", "complete -c runsheet"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer"),
    ] {
        let out = Test::new()
            .args(["completions", shell])
            .stdout_contains(mark)
            .run();
        for word in ["resume", "keep-going"] {
            assert!(
                out.stdout.contains(word),
                "{shell}: no {word}:\n{}",
                out.stdout
            );
        }
    }
    Test::new()
        .args(["completions", "tcsh"])
        .status(2)
        .stderr_contains("invalid value 'tcsh'")
        .run();
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let out = Test::new()
        .args(["man"])
        .stdout_contains(".TH runsheet 1")
        .run();
    for word in ["resume", "completions", "\\-\\-color"] {
        assert!(out.stdout.contains(word), "no {word}:\n{}", out.stdout);
    }
}

#[test]
fn the_version_names_the_commit_and_the_build_date() {
    let out = Test::new().args(["--version"]).run();
    let line = out.stdout.trim();
    let inner = line
        .strip_prefix(&format!("runsheet {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|l| l.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{line}"));
    let (commit, date) = inner.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
    assert!(
        commit == "commit unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{line}"
    );
    let parts: Vec<&str> = date.split('-').collect();
    assert!(
        parts.len() == 3 && parts[0].len() == 4 && parts[0] >= "2024" && parts[1].len() == 2,
        "{line}"
    );
}

#[test]
fn runsheet_toml_is_found_above_the_runbook_and_config_names_another() {
    // A runner for `shout` blocks, two directories above the runbook.
    let test = Test::new()
        .file("runsheet.toml", "[runners]\nshout = \"tr a-z A-Z <\"\n")
        .file(
            "ops/db/runbook.md",
            "# Go\n\n```shout\nhello from above\n```\n",
        )
        .args(["run", "--yes", "ops/db/runbook.md", "-o", OUT])
        .stdout_contains("HELLO FROM ABOVE");
    let out = test.run();
    // `--config` wins over the one found.
    out.write("other.toml", "[runners]\nshout = \"rev <\"\n");
    let out = out
        .then()
        .args([
            "run",
            "--yes",
            "ops/db/runbook.md",
            "-o",
            "two.md",
            "--config",
            "other.toml",
        ])
        .stdout_contains("evoba morf olleh")
        .run();
    out.then()
        .args(["plan", RUNBOOK, "--config", "nowhere.toml"])
        .status(2)
        .stderr_contains("--config nowhere.toml: no such file")
        .run();
}

#[test]
fn the_search_for_runsheet_toml_stops_at_the_checkout_root() {
    let out = Test::new()
        .file("runsheet.toml", "[runners]\nshout = \"tr a-z A-Z <\"\n")
        .file("repo/.git/HEAD", "ref: refs/heads/main\n")
        .file("repo/runbook.md", "# Go\n\n```shout\nhello\n```\n")
        .args(["plan", "repo/runbook.md"])
        .run();
    let inside = out.stdout.clone();
    let outside = out
        .then()
        .args(["plan", "repo/runbook.md", "--config", "runsheet.toml"])
        .run();
    assert_ne!(
        inside, outside.stdout,
        "the runsheet.toml outside the checkout was read"
    );
}
