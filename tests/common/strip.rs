//! The check every run in the suite gets for free: once `run` or `resume` has
//! written a transcript, `strip` must give back the runbook it ran, byte for
//! byte; for a run of a template, `strip --template` gives back the template
//! and `strip` (which checks the rendering against the sha256 the run
//! recorded) succeeds.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::transcript::assert_same_bytes;

/// Options of `run` and `resume` that take a value, so that the value is not
/// taken for the runbook.
const VALUE_OPTIONS: [&str; 14] = [
    "-o",
    "--output",
    "--answers",
    "--timeout",
    "--secret",
    "--env",
    "--var",
    "--var-file",
    "--dotenv",
    "--inventory",
    "--hosts",
    "--limit",
    "--forks",
    "--ssh-config",
];

/// Run exit codes after which a transcript must be there: done, failed, not
/// confirmed, hosts unreachable. (2 is refused before anything ran; 130 is
/// checked by the tests that interrupt on purpose.)
const WROTE_A_TRANSCRIPT: [i32; 4] = [0, 1, 3, 4];

/// Where a sandbox's runsheet runs: enough to start another one there.
#[derive(Clone)]
pub struct SandboxPaths {
    pub work: PathBuf,
    pub home: PathBuf,
    pub state: PathBuf,
}

impl SandboxPaths {
    /// The runsheet binary with the sandbox's working directory, `HOME` and
    /// state directory, no colours and no editor.
    pub fn bare_command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("runsheet"));
        cmd.current_dir(&self.work)
            .env("RUNSHEET_STATE_DIR", &self.state)
            .env("HOME", &self.home)
            .env("NO_COLOR", "1")
            .env_remove("XDG_STATE_HOME")
            .env_remove("EDITOR")
            .env_remove("VISUAL");
        cmd
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        self.work.join(path)
    }

    /// `runsheet strip TRANSCRIPT`: its exit code and what it printed.
    fn strip(&self, transcript: &Path) -> (Option<i32>, Vec<u8>, String) {
        self.strip_with(&[], transcript)
    }

    /// `runsheet strip --template TRANSCRIPT`.
    fn strip_template(&self, transcript: &Path) -> (Option<i32>, Vec<u8>, String) {
        self.strip_with(&["--template"], transcript)
    }

    fn strip_with(&self, options: &[&str], transcript: &Path) -> (Option<i32>, Vec<u8>, String) {
        let out = self
            .bare_command()
            .arg("strip")
            .args(options)
            .arg(transcript)
            .stdin(Stdio::null())
            .output()
            .expect("runsheet strip runs");
        (
            out.status.code(),
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// What a `run` or `resume` must `strip` back to, taken before it starts.
pub struct StripCheck {
    command: String,
    /// The runbook (for `run`) or the transcript (for `resume`) named on the
    /// command line.
    document: PathBuf,
    /// `-o`, when given.
    output: Option<PathBuf>,
    /// What `strip` must print afterwards; `None` when the document is a
    /// transcript that does not strip to begin with (damaged on purpose, for
    /// a run or resume that is expected to refuse it).
    source: Option<Vec<u8>>,
    /// Transcripts beside the runbook before the run, to find the one a run
    /// without `-o` names itself.
    earlier: BTreeSet<PathBuf>,
    /// A `run` of a template: `source` is the template, which `strip
    /// --template` gives back.
    template: bool,
}

impl StripCheck {
    /// `None` unless `args` is a `run` or `resume` of a regular file.
    pub fn prepare(paths: &SandboxPaths, args: &[OsString]) -> Option<StripCheck> {
        let command = args.first()?.to_str()?.to_owned();
        if command != "run" && command != "resume" {
            return None;
        }
        let mut document = None;
        let mut output = None;
        let mut template = false;
        let mut rest = args[1..].iter();
        while let Some(arg) = rest.next() {
            let text = arg.to_string_lossy();
            if ["--env", "--var", "--var-file", "--dotenv", "--template"].contains(&text.as_ref()) {
                template = true;
            }
            if VALUE_OPTIONS.contains(&text.as_ref()) {
                let value = rest.next();
                if text == "-o" || text == "--output" {
                    output = value.map(|v| paths.resolve(Path::new(v)));
                }
            } else if text.starts_with('-') && text != "-" {
                if let Some(value) = text.strip_prefix("--output=") {
                    output = Some(paths.resolve(Path::new(value)));
                }
            } else if document.is_none() {
                document = Some(paths.resolve(Path::new(arg)));
            }
        }
        let document = document?;
        // Only a regular file has a source to give back; reading a pipe or a
        // device (which tests hand runsheet to see it refused) could block
        // or never end.
        if !fs::metadata(&document).is_ok_and(|m| m.is_file()) {
            return None;
        }
        let source = if command == "run" {
            let bytes = fs::read(&document).ok()?;
            // Running a transcript again runs the runbook inside it; a
            // runbook that only mentions a marker strips to itself.
            let stripped = contains(&bytes, b"<!--rs:run")
                .then(|| paths.strip(&document))
                .filter(|(_, stdout, _)| *stdout != bytes);
            if let Some(stripped) = stripped {
                match stripped {
                    (Some(0), stdout, _) => Some(stdout),
                    _ => None,
                }
            } else {
                template |= is_template(&document, &bytes);
                Some(bytes)
            }
        } else {
            match paths.strip(&document) {
                (Some(0), stdout, _) => Some(stdout),
                _ => None,
            }
        };
        Some(StripCheck {
            template: template && command == "run",
            command,
            earlier: transcripts_beside(&document),
            document,
            output,
            source,
        })
    }

    /// After the process ended with `code`: every transcript it wrote strips
    /// back to the source.
    pub fn verify(self, paths: &SandboxPaths, code: i32) {
        if !WROTE_A_TRANSCRIPT.contains(&code) {
            return;
        }
        let Some(source) = &self.source else {
            return;
        };
        let transcripts: Vec<PathBuf> = match (&self.output, self.command.as_str()) {
            (Some(out), _) => vec![out.clone()],
            (None, "resume") => vec![self.document.clone()],
            (None, _) => transcripts_beside(&self.document)
                .difference(&self.earlier)
                .cloned()
                .collect(),
        };
        assert!(
            !transcripts.is_empty() && transcripts.iter().all(|t| t.is_file()),
            "`{}` of {} ended {code} but wrote no transcript ({transcripts:?})",
            self.command,
            self.document.display()
        );
        for transcript in transcripts {
            let (status, stdout, stderr) = paths.strip(&transcript);
            let (status, stdout, stderr) = if self.template {
                assert_eq!(
                    status,
                    Some(0),
                    "`strip {}` after `run` of the template {} failed:\n{stderr}",
                    transcript.display(),
                    self.document.display()
                );
                paths.strip_template(&transcript)
            } else {
                (status, stdout, stderr)
            };
            assert_eq!(
                status,
                Some(0),
                "`strip {}` after `{}` failed:\n{stderr}",
                transcript.display(),
                self.command
            );
            assert_same_bytes(
                &stdout,
                source,
                &format!(
                    "`strip {}` after `{}` of {}",
                    transcript.display(),
                    self.command,
                    self.document.display()
                ),
            );
        }
    }
}

/// Whether runsheet renders `document` (`bytes`) as a template: a `.j2` or
/// `.jinja` name, or front matter with a `runsheet:` section that opts in.
fn is_template(document: &Path, bytes: &[u8]) -> bool {
    let by_name = document
        .extension()
        .is_some_and(|e| e == "j2" || e == "jinja" || e == "jinja2");
    let text = String::from_utf8_lossy(bytes);
    let front = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split("\n---").next())
        .unwrap_or("");
    let opted = front.lines().any(|l| l.starts_with("runsheet:"))
        && (front.contains("template: true") || front.contains("vars:"))
        && !front.contains("template: false");
    by_name || opted
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The `*.run-*.md` files in the directory of `document`.
fn transcripts_beside(document: &Path) -> BTreeSet<PathBuf> {
    let dir = document.parent().unwrap_or(Path::new("."));
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().contains(".run-"))
                        && p.extension().is_some_and(|e| e == "md")
                })
                .collect()
        })
        .unwrap_or_default()
}
