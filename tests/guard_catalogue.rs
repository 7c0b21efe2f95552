//! The destructive-command guard measured on a catalogue of real-looking
//! commands (`tests/fixtures/guard-catalogue.md`): every destructive one
//! flagged by `plan`, no harmless one.

use serde_json::Value;

use crate::common::Test;

const CATALOGUE: &str = include_str!("fixtures/guard-catalogue.md");

/// The catalogue's blocks as `plan` sees them: `(section, class, text,
/// what the guard found)`.
fn planned() -> Vec<(String, String, String, Vec<String>)> {
    let out = Test::new()
        .runbook(CATALOGUE)
        // `sql` blocks run by a configured runner, so they are steps too.
        .file("runsheet.toml", "[runners]\nsql = \"psql -f {file}\"\n")
        .args(["plan", "--format", "json", "runbook.md"])
        .run();
    let plan: Value = serde_json::from_str(&out.stdout).expect("plan prints JSON");
    plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["kind"] == "command")
        .map(|s| {
            let heading: Vec<String> = s["heading"]
                .as_array()
                .map(|h| {
                    h.iter()
                        .filter_map(|p| p.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let found = s["destructive"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .filter_map(|p| p.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            (
                heading.get(1).cloned().unwrap_or_default(),
                heading.get(2).cloned().unwrap_or_default(),
                s["text"].as_str().unwrap_or("").to_string(),
                found,
            )
        })
        .collect()
}

#[test]
fn the_guard_catches_destructive_commands_and_leaves_harmless_ones() {
    let steps = planned();
    let destructive: Vec<_> = steps.iter().filter(|s| s.0 == "Destructive").collect();
    let harmless: Vec<_> = steps.iter().filter(|s| s.0 == "Harmless").collect();
    assert!(
        destructive.len() >= 100,
        "only {} destructive commands",
        destructive.len()
    );
    assert!(
        harmless.len() >= 50,
        "only {} harmless commands",
        harmless.len()
    );
    let missed: Vec<String> = destructive
        .iter()
        .filter(|s| s.3.is_empty())
        .map(|s| format!("{} · {}", s.1, s.2))
        .collect();
    let flagged: Vec<String> = harmless
        .iter()
        .filter(|s| !s.3.is_empty())
        .map(|s| format!("{} · {} ({})", s.1, s.2, s.3.join(", ")))
        .collect();
    let caught = destructive.len() - missed.len();
    let classes = {
        let mut c: Vec<&str> = destructive.iter().map(|s| s.1.as_str()).collect();
        c.dedup();
        c.len()
    };
    println!(
        "guard catalogue: caught {caught}/{} destructive commands ({:.1} %) in {classes} classes; \
         false positives {}/{} harmless commands ({:.1} %)",
        destructive.len(),
        100.0 * caught as f64 / destructive.len() as f64,
        flagged.len(),
        harmless.len(),
        100.0 * flagged.len() as f64 / harmless.len() as f64,
    );
    // The safety chapter states these figures: it must state what is measured.
    let book = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/book/src/safety.md"))
        .expect("the safety chapter");
    let book = book.split_whitespace().collect::<Vec<_>>().join(" ");
    let stated = format!(
        "`plan` flags {caught} of {} destructive commands and {} of {} harmless ones",
        destructive.len(),
        flagged.len(),
        harmless.len()
    );
    // Every place the chapter gives the figures gives these.
    assert!(
        book.contains(&stated)
            && book.matches("`plan` flags ").count() == book.matches(&stated).count(),
        "book/src/safety.md should say, wherever it gives the figures: {stated}"
    );
    for m in &missed {
        println!("  missed: {m}");
    }
    for f in &flagged {
        println!("  flagged: {f}");
    }
    assert!(
        caught * 100 >= destructive.len() * 98,
        "missed {} of {}:\n{}",
        missed.len(),
        destructive.len(),
        missed.join("\n")
    );
    assert!(
        flagged.len() * 100 <= harmless.len() * 2,
        "flagged {} of {} harmless:\n{}",
        flagged.len(),
        harmless.len(),
        flagged.join("\n")
    );
}

/// The attacks the guard was rebuilt for: destructive commands split over
/// lines (a `\` continuation, a flag on the next line, SQL over lines) run
/// unattended with stand-ins for the tools on `PATH`. Each is refused; none
/// of the stand-ins is called.
#[test]
fn commands_split_over_lines_are_refused_unattended() {
    let attacks = [
        "aws s3 rm s3://b \\\n  --recursive",
        "kubectl \\\n  delete namespace prod",
        "rm \\\n  --recursive /srv/data",
        "git push origin main \\\n  --force",
        "terraform \\\n  destroy -auto-approve",
        "dd if=/dev/zero \\\n  of=/dev/sdb bs=1M",
        "psql app <<'SQL'\nDROP\nTABLE users;\nSQL",
        "helm \\\n  uninstall api",
    ];
    let sandbox = crate::common::Sandbox::new();
    for tool in [
        "aws",
        "kubectl",
        "rm",
        "git",
        "terraform",
        "dd",
        "psql",
        "helm",
    ] {
        sandbox.write_script(
            &format!("bin/{tool}"),
            &format!("#!/bin/sh\nprintf '%s\\n' \"{tool} $*\" >> \"$FAKE_LOG\"\n"),
        );
    }
    let mut runbook = String::from("# Teardown\n\n");
    for attack in attacks {
        runbook.push_str(&format!("```bash\n{attack}\n```\n\n"));
    }
    let path = format!(
        "{}:{}",
        sandbox.path("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let log = sandbox.path("calls.log");
    let out = sandbox
        .test()
        .runbook(runbook)
        .env("PATH", path)
        .env("FAKE_LOG", &log)
        .args([
            "run",
            "--yes",
            "--keep-going",
            "runbook.md",
            "-o",
            crate::common::OUT,
        ])
        .status(1)
        .run();
    assert_eq!(
        std::fs::read_to_string(&log).unwrap_or_default(),
        "",
        "a destructive command ran"
    );
    let transcript = out.transcript();
    for n in 1..=attacks.len() {
        let needle = format!("<!--rs:out id=s{n} ");
        let line = transcript
            .lines()
            .find(|l| l.contains(&needle))
            .unwrap_or_else(|| panic!("no record of s{n}:\n{transcript}"));
        assert!(
            line.contains("how=refused"),
            "{:?} not refused: {line}",
            attacks[n - 1]
        );
    }
}
