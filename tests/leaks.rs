//! Secret leak paths, end to end: each way a secret has been seen to reach the
//! terminal or the transcript is tried through the real binary, unattended
//! (output through a pipe) and interactive (through a pseudo-terminal), and
//! the live output and the transcript are checked for it separately.

use crate::common::{OUT, RUN, RUNBOOK, Sandbox, Test, unindent};

const FAILURE: &str = "[r]etry / [e]dit / [i]gnore / [s]kip / [a]bort / [q]uit / [b]ack / [g]o to";

/// One way a secret may leak.
struct LeakPath {
    /// What is tried, as the safety chapter names it.
    name: &'static str,
    /// The block that prints the secret; it never holds a secret literally.
    block: &'static str,
    /// Text a masked output shows, so the block is known to have printed it.
    shown: &'static str,
    /// Every fragment of the secret that must never be seen.
    secrets: &'static [&'static str],
}

/// Secrets the environment gives the run: `(name, value)`.
const ENV: &[(&str, &str)] = &[
    ("API_TOKEN", "env-tok-Zq81Lm27"),
    ("BINARY_TOKEN", "bin-tok-Wq55Er81"),
    ("DEPLOY_KEY", "first-line-Kx81qq\nsecond-line-Qz77ww"),
];

const PATHS: &[LeakPath] = &[
    LeakPath {
        name: "a known secret, echoed (stdout and stderr)",
        block: "echo \"tok=$API_TOKEN\"; echo \"err=$API_TOKEN\" >&2",
        shown: "err=•••",
        secrets: &["env-tok-Zq81Lm27"],
    },
    LeakPath {
        name: "`set -x`, then a secret set: the trace and the watch hook",
        block: "set -x\nexport DB_PASSWORD=$(printf 'hx-%s' 81726354)\necho \"pw set\"",
        shown: "DB_PASSWORD=•••",
        secrets: &["hx-81726354", "\\h\\x"],
    },
    LeakPath {
        name: "`set -x` carried into the next block, then turned off",
        block: "echo \"traced: $DB_PASSWORD\"\nset +x",
        shown: "traced: •••",
        secrets: &["hx-81726354"],
    },
    LeakPath {
        name: "output that is not valid UTF-8",
        block: "printf '%s \\xff\\n' \"$BINARY_TOKEN\"",
        shown: "••• ",
        secrets: &["bin-tok-Wq55Er81"],
    },
    LeakPath {
        name: "a known secret printed in two writes",
        block: "SESSION_TOKEN=$(printf 'st-%s' 55667788)\nprintf 'session %s' \"${SESSION_TOKEN:0:6}\"; sleep 0.3; printf '%s\\n' \"${SESSION_TOKEN:6}\"",
        shown: "session •••",
        secrets: &["st-55667788", "st-556"],
    },
    LeakPath {
        name: "a `ghp_` token shape printed in two writes",
        block: "printf 'gh: ghp_%s' Q9x7Lm2V; sleep 0.3; printf '%s%s\\n' b8Nc4Zr6Tt1Yw3Pk5 Hd0Sj2Fg7Ua9E",
        shown: "gh: •••",
        secrets: &["ghp_Q9x7Lm2Vb8Nc4Zr6Tt1Yw3Pk5Hd0Sj2Fg7Ua9E", "ghp_Q9x7Lm2V"],
    },
    LeakPath {
        name: "a URL password printed in two writes",
        block: "printf 'db: postgres://app:%s' s3c; sleep 0.3; printf 'ret%s@db/x\\n' pw-42",
        shown: "db: postgres://app:•••@db/x",
        secrets: &["s3cretpw-42", "app:s3c"],
    },
    LeakPath {
        name: "a JWT printed in two writes",
        block: "printf 'jwt eyJhbGci%s' OiJIUzI1; sleep 0.3; printf 'NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.%s%s\\n' SflKxwRJ SMeKKF2QT4fw",
        shown: "jwt •••",
        secrets: &["eyJhbGciOiJIUzI1", "SflKxwRJSMeKKF2QT4fw"],
    },
    LeakPath {
        name: "an AWS key id printed in two writes",
        block: "printf 'id AKIA%s' IOSF; sleep 0.3; printf 'ODNN7EXAMPL%s\\n' E",
        shown: "id •••",
        secrets: &["AKIAIOSFODNN7EXAMPLE", "AKIAIOSF"],
    },
    LeakPath {
        name: "a secret of two lines (a terminal shows `\\r\\n`)",
        block: "echo \"$DEPLOY_KEY\"",
        shown: "•••",
        secrets: &["first-line-Kx81qq", "second-line-Qz77ww"],
    },
    LeakPath {
        name: "a private key block",
        block: "printf -- '-----BEGIN RSA PRIVATE KEY-----\\n%s%s\\n%s%s\\n-----END RSA PRIVATE KEY-----\\n' MIIEowIBAAK CAQEA7x1Kb xyzBO DY2line",
        shown: "-----BEGIN RSA PRIVATE KEY-----\n•••\n-----END RSA PRIVATE KEY-----",
        secrets: &["MIIEowIBAAKCAQEA7x1Kb", "xyzBODY2line"],
    },
    LeakPath {
        name: "a private key block in a secret variable, through the hook",
        block: "SSH_PRIVATE_KEY=$(printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNz%s\\n-----END OPENSSH PRIVATE KEY-----' aC1rZXktdjE)\necho \"$SSH_PRIVATE_KEY\"",
        // Known whole, headers and all, by the time it is printed.
        shown: "•••",
        secrets: &["b3BlbnNzaC1rZXktdjE"],
    },
    LeakPath {
        name: "a URL with an empty user (`redis://:pw@host`)",
        block: "printf 'redis://:%s@127.0.0.1:6379\\n' \"$(printf 'rp-%s' 90817263)\"",
        shown: "redis://:•••@127.0.0.1:6379",
        secrets: &["rp-90817263"],
    },
    LeakPath {
        name: "`Authorization: Bearer` in curl's output",
        block: "printf '> GET / HTTP/1.1\\n> Authorization: Bearer %s\\n' \"$(printf 'sk-%s' abcdefgh12345)\"",
        shown: "> Authorization: Bearer •••",
        secrets: &["sk-abcdefgh12345"],
    },
    LeakPath {
        name: "a `.pgpass` line",
        block: "printf 'db.internal:5432:app:deploy:%s\\n' \"$(printf 'Pg-%s' pw-1234)\"",
        shown: "db.internal:5432:app:deploy:•••",
        secrets: &["Pg-pw-1234"],
    },
    LeakPath {
        name: "a YAML `password:`",
        block: "printf 'database:\\n  password: %s\\n' \"$(printf 'yml-%s' 55443322)\"",
        shown: "  password: •••",
        secrets: &["yml-55443322"],
    },
    LeakPath {
        name: "an INI `api_key=`",
        block: "printf '[default]\\napi_key=%s\\n' \"$(printf 'ini-%s' 11223344)\"",
        shown: "api_key=•••",
        secrets: &["ini-11223344"],
    },
    LeakPath {
        name: "`AWS_SECRET_ACCESS_KEY` in `env` output",
        block: "env -i AWS_SECRET_ACCESS_KEY=\"$(printf 'wJalrXUt%s' nFEMI-K7MDENG)\" env",
        shown: "AWS_SECRET_ACCESS_KEY=•••",
        secrets: &["wJalrXUtnFEMI-K7MDENG"],
    },
];

/// The runbook of every path, one block each.
fn runbook() -> String {
    let mut text = String::from("# Leak paths\n\n");
    for path in PATHS {
        text.push_str(&format!("```bash\n{}\n```\n\n", path.block));
    }
    for path in PATHS {
        for secret in path.secrets {
            assert!(
                !text.contains(secret),
                "the runbook holds {secret:?} literally"
            );
        }
    }
    text
}

/// What one run showed: paths tried, and the names of those that leaked
/// live, leaked into the transcript, or did not show their masked output.
struct Tally {
    tried: usize,
    live: Vec<&'static str>,
    transcript: Vec<&'static str>,
    not_shown: Vec<&'static str>,
}

fn tally(live: &str, transcript: &str) -> Tally {
    let outputs = crate::common::output_blocks(transcript).join("\n");
    let mut tally = Tally {
        tried: PATHS.len(),
        live: Vec::new(),
        transcript: Vec::new(),
        not_shown: Vec::new(),
    };
    for path in PATHS {
        if !(live.contains(path.shown) && outputs.contains(path.shown)) {
            tally.not_shown.push(path.name);
        }
        if path.secrets.iter().any(|s| live.contains(s)) {
            tally.live.push(path.name);
        }
        if path.secrets.iter().any(|s| transcript.contains(s)) {
            tally.transcript.push(path.name);
        }
    }
    tally
}

#[test]
fn no_secret_leaks_live_or_into_the_transcript() {
    // Unattended: output through a pipe.
    let out = Test::new()
        .runbook(runbook())
        .env(ENV[0].0, ENV[0].1)
        .env(ENV[1].0, ENV[1].1)
        .env(ENV[2].0, ENV[2].1)
        .run_yes()
        .run();
    let live = format!("{}{}", out.stdout, out.stderr);
    let piped = tally(&live, &out.transcript());

    // Interactive: output through a pseudo-terminal.
    let sandbox = Sandbox::new();
    sandbox.write(RUNBOOK, runbook());
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], ENV);
    for _ in PATHS {
        pty.answer(RUN, "r");
    }
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let terminal = tally(&screen, &sandbox.transcript());

    let tested = piped.tried + terminal.tried;
    let live_leaks = piped.live.len() + terminal.live.len();
    let transcript_leaks = piped.transcript.len() + terminal.transcript.len();
    println!(
        "secret leak paths: {tested} tested ({} through a pipe, {} through a terminal); \
         leaked live: {live_leaks}; leaked into the transcript: {transcript_leaks}",
        piped.tried, terminal.tried
    );
    // The safety chapter states these figures: it must state what is measured.
    let book = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/book/src/safety.md"))
        .expect("the safety chapter");
    let book = book.split_whitespace().collect::<Vec<_>>().join(" ");
    let stated = format!(
        "{tested} leak paths. Leaked live: {live_leaks}. Leaked into the transcript: {transcript_leaks}."
    );
    // Every place the chapter gives the figures gives these.
    assert!(
        book.contains(&stated)
            && book.matches(" leak paths. Leaked live: ").count() == book.matches(&stated).count(),
        "book/src/safety.md should say, wherever it gives the figures: {stated}"
    );
    assert!(
        live_leaks == 0 && transcript_leaks == 0,
        "leaked live through a pipe: {:?}\nleaked live through a terminal: {:?}\n\
         leaked into the transcript (pipe): {:?}\nleaked into the transcript (terminal): {:?}\n\
         live output:\n{live}\nterminal:\n{screen}",
        piped.live,
        terminal.live,
        piped.transcript,
        terminal.transcript
    );
    assert!(
        piped.not_shown.is_empty() && terminal.not_shown.is_empty(),
        "not shown masked through a pipe: {:?}\nthrough a terminal: {:?}\nlive output:\n{live}\nterminal:\n{screen}",
        piped.not_shown,
        terminal.not_shown
    );
}

/// `set -x` in a block: runsheet's own code is never traced (no hook, no
/// status nonce, no state directory), and the block's tracing carries over to
/// the next block as it would in one terminal.
#[test]
fn set_x_traces_the_blocks_and_never_runsheet_itself() {
    let runbook = unindent(
        r#"
        ```bash
        set -x
        export DB_PASSWORD=$(printf 'hx-%s' 81726354)
        echo "first"
        ```

        ```bash
        echo "second"
        false
        ```

        ```bash
        set +x
        echo "third"
        ```
        "#,
    );
    let check = |live: &str, transcript: &str, state: &str, how: &str| {
        for text in [live, transcript] {
            for internal in [
                "__rs_",
                "builtin ",
                "\\h\\x",
                "hx-81726354",
                state,
                "\u{1e}RS",
            ] {
                assert!(!text.contains(internal), "{how}: {internal:?} in:\n{text}");
            }
        }
        let outputs = crate::common::output_blocks(transcript);
        assert!(outputs[0].contains("+ echo first"), "{how}: {outputs:?}");
        assert!(outputs[1].contains("+ echo second"), "{how}: {outputs:?}");
        assert!(outputs[1].contains("+ false"), "{how}: {outputs:?}");
        assert!(!outputs[2].contains("echo third"), "{how}: {outputs:?}");
    };
    let out = Test::new()
        .runbook(runbook.clone())
        .args(["run", "--yes", "--keep-going", RUNBOOK, "-o", OUT])
        .status(1)
        .run();
    let state = out.state_root().display().to_string();
    check(
        &format!("{}{}", out.stdout, out.stderr),
        &out.transcript(),
        &state,
        "pipe",
    );

    let sandbox = Sandbox::new();
    sandbox.write(RUNBOOK, runbook);
    let mut pty = sandbox.pty(&["run", RUNBOOK, "-o", OUT], &[]);
    pty.answer(RUN, "r");
    pty.answer(RUN, "r");
    pty.answer(FAILURE, "i");
    pty.answer(RUN, "r");
    let (code, screen) = pty.wait();
    assert_eq!(code, 1, "{screen}");
    let state = sandbox.state_root().display().to_string();
    check(&screen, &sandbox.transcript(), &state, "terminal");
}

#[test]
fn plan_warns_about_a_password_in_a_url_with_an_empty_user() {
    let out = Test::new()
        .runbook("```bash\nredis-cli -u redis://:hunter2hunter2@127.0.0.1:6379 ping\n```\n")
        .args(["plan", RUNBOOK])
        .run();
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(all.contains("a password inside a URL"), "{all}");
}

/// A secret printed across a point where a long output is cut for the
/// transcript (its first and last 64 KiB kept) is dropped whole: no start of
/// it before the cut, no end of it after, in the transcript, the JSON report
/// or the journal.
#[test]
fn no_part_of_a_secret_is_kept_where_a_long_output_is_cut() {
    let secret = "Zq81Lm27-tok-Xy90Wv";
    let runbook = unindent(
        r#"
        ```bash
        fill() { head -c "$2" /dev/zero | tr '\0' "$1"; }
        fill a 65530; printf '%s\n' "$API_TOKEN"; fill b 200000; echo
        ```

        ```bash
        fill() { head -c "$2" /dev/zero | tr '\0' "$1"; }
        fill d 200000; echo; printf '%s' "$API_TOKEN"; fill c 65530; echo
        ```

        ```bash
        exit 3
        ```
        "#,
    );
    let out = Test::new()
        .runbook(runbook)
        .env("API_TOKEN", secret)
        .args(["run", "--yes", "--report", "r.json", RUNBOOK, "-o", OUT])
        .status(1)
        .run();
    let live = format!("{}{}", out.stdout, out.stderr);
    assert!(live.contains("aaa•••\nbbb") && live.contains("ddd\n•••ccc"));
    let journals: Vec<String> = out
        .sandbox
        .state_dirs()
        .iter()
        .map(|dir| std::fs::read_to_string(dir.join("journal.jsonl")).unwrap_or_default())
        .collect();
    let journal = journals.concat();
    assert!(
        journal.contains("bytes omitted"),
        "no journal: {journals:?}"
    );
    let transcript = out.transcript();
    let json = out.read("r.json");
    for (what, text) in [
        ("the transcript", &transcript),
        ("the JSON report", &json),
        ("the journal", &journal),
    ] {
        assert_eq!(text.matches("bytes omitted").count(), 2, "{what}");
        for k in 1..=secret.len() {
            let (start, end) = (&secret[..k], &secret[secret.len() - k..]);
            assert!(
                !text.contains(&format!("a{start}")) && !text.contains(&format!("{end}c")),
                "{what} keeps a part of the secret at a cut: {start:?} or {end:?}"
            );
        }
    }
}
