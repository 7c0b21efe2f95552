//! Bad input, all together: every hostile document through `plan`, `plan
//! --format json`, `run --yes` and `strip`, counted. Handled means it ended
//! on its own within the time allowed, with an exit code runsheet documents,
//! no panic and no signal, and a refusal says `error:`. The safety chapter
//! reports the count this test prints.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{Sandbox, wait_for};

/// Longer than any of these takes on a loaded machine.
const LIMIT: Duration = Duration::from_secs(60);

/// One bad input: its name, and how to put it at `bad.md` in the sandbox.
type Input = (&'static str, fn(&Sandbox));

fn write(sandbox: &Sandbox, text: impl AsRef<[u8]>) {
    sandbox.write("bad.md", text);
}

fn fence(body: &str) -> String {
    format!("```bash\n{body}\n```\n")
}

const INPUTS: &[Input] = &[
    ("/dev/zero", |s| {
        std::os::unix::fs::symlink("/dev/zero", s.path("bad.md")).expect("symlink");
    }),
    ("a FIFO nobody writes to", |s| {
        let made = std::process::Command::new("mkfifo")
            .arg(s.path("bad.md"))
            .status()
            .expect("mkfifo");
        assert!(made.success());
    }),
    ("a directory", |s| {
        std::fs::create_dir(s.path("bad.md")).expect("mkdir");
    }),
    ("a missing file", |_| {}),
    ("a file over 256 MiB", |s| {
        let f = std::fs::File::create(s.path("bad.md")).expect("create");
        f.set_len(300 << 20).expect("a sparse file");
    }),
    ("an empty file", |s| write(s, "")),
    ("binary data", |s| {
        write(s, b"\x7fELF\x02\x01\x01\0\0\0\0\0")
    }),
    ("invalid UTF-8", |s| {
        write(s, b"# Deploy\n\n- [ ] caf\xe9\n")
    }),
    ("UTF-16", |s| write(s, b"\xff\xfe#\0 \0D\0\n\0")),
    ("one line of 20,000 blanks", |s| {
        write(s, format!("Fill {}\n", ["________"; 20_000].join(" ")));
    }),
    ("lists nested 2,000 deep, 4 MB", |s| {
        let one: String = (0..2_000)
            .map(|i| format!("{}- item\n", "  ".repeat(i)))
            .collect();
        write(s, one.repeat(4_000_000 / one.len() + 1));
    }),
    ("tasks nested 10,000 deep", |s| {
        let text: String = (0..10_000)
            .map(|i| format!("{}- [ ] item {i}\n", "  ".repeat(i)))
            .collect();
        write(s, text);
    }),
    ("`- ` nested 10,000 deep on one line", |s| {
        write(s, format!("{}[ ] deep\n", "- ".repeat(10_000)));
    }),
    ("blockquotes nested 10,000 deep around a block", |s| {
        let q = "> ".repeat(10_000);
        write(s, format!("{q}```bash\n{q}echo deep\n{q}```\n"));
    }),
    ("`$(` nested 10,000 deep in a block", |s| {
        write(
            s,
            fence(&format!(
                "echo {}true{}",
                "$(".repeat(10_000),
                ")".repeat(10_000)
            )),
        );
    }),
    ("`if` nested 10,000 deep in a block", |s| {
        write(
            s,
            fence(&format!(
                "{}true; {}",
                "if true; then ".repeat(10_000),
                "fi; ".repeat(10_000)
            )),
        );
    }),
    ("a block of a million lines", |s| {
        write(
            s,
            format!("```bash {{skip}}\n{}```\n", "true\n".repeat(1_000_000)),
        );
    }),
    ("an unclosed fence", |s| {
        write(s, "- [ ] a\n  ```bash\n  echo a\n")
    }),
    ("HTML tags opened 10,000 deep", |s| {
        write(s, format!("{}\n\n- [ ] x\n", "<div>".repeat(10_000)));
    }),
    ("a forged output marker", |s| {
        write(
            s,
            "- [ ] a\n<!--rs:out id=s1 status=done-->\n```text\nok\n```\n<!--/rs:out-->\n",
        );
    }),
    ("a transcript from a newer format version", |s| {
        write(
            s,
            "<!--rs:run v=2 id=r source=bad.md sha256=00 state=complete-->\n<!--/rs:run-->\n- [ ] a\n",
        );
    }),
];

const COMMANDS: &[&[&str]] = &[
    &["plan", "bad.md"],
    &["plan", "--format", "json", "bad.md"],
    &["run", "--yes", "bad.md", "-o", "out.md"],
    &["strip", "bad.md"],
];

/// Why `args` on the input did not count as handled, if it did not.
fn unhandled(sandbox: &Sandbox, args: &[&str]) -> Option<String> {
    // A file, not a pipe: a pipe nobody reads while waiting could fill up.
    let errors = sandbox.root().join("stderr");
    let file = std::fs::File::create(&errors).expect("a stderr file");
    let mut child = sandbox
        .command()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::from(file))
        .spawn()
        .expect("runsheet starts");
    let started = Instant::now();
    let mut status = None;
    let ended = wait_for(LIMIT, || {
        status = child.try_wait().expect("try_wait");
        status.is_some()
    });
    if !ended {
        let _ = child.kill();
        let _ = child.wait();
        return Some(format!("still running after {:?}", started.elapsed()));
    }
    let stderr = String::from_utf8_lossy(&std::fs::read(&errors).unwrap_or_default()).into_owned();
    let code = status.and_then(|s| s.code());
    match code {
        None => Some(format!("killed by a signal: {status:?}")),
        Some(_) if stderr.contains("panicked") || stderr.contains("overflow") => {
            Some(format!("crashed: {stderr}"))
        }
        Some(0 | 1 | 3) => None,
        Some(2) if stderr.contains("error") => None,
        Some(c) => Some(format!("exit {c}: {stderr}")),
    }
}

#[test]
fn every_bad_input_is_handled_by_every_command() {
    let mut tried = 0;
    let mut failures = Vec::new();
    for (name, make) in INPUTS {
        for args in COMMANDS {
            let sandbox = Sandbox::new();
            make(&sandbox);
            tried += 1;
            if let Some(why) = unhandled(&sandbox, args) {
                failures.push(format!("{name}: runsheet {}: {why}", args.join(" ")));
            }
        }
    }
    let handled = tried - failures.len();
    println!(
        "bad inputs: {} documents × {} commands = {tried} tried; {handled} handled",
        INPUTS.len(),
        COMMANDS.len()
    );
    let book = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/book/src/safety.md"))
        .expect("the safety chapter");
    let stated = format!("{tried} tried, {handled} handled");
    assert!(
        book.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(&stated),
        "book/src/safety.md should say: {stated}"
    );
    assert!(failures.is_empty(), "{failures:#?}");
}
