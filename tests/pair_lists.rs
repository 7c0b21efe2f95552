//! The lists a marker holds (a command's `fills` and `fills-from-file`, a
//! run's `vars`): each item encoded once, and transcripts written when
//! lists were encoded twice still read, resume, diff, report and go into
//! history the same.

use crate::common::{OUT, RUN_ANSWERED, Sandbox, Test, line_with, unindent};

/// A template whose variable and whose placeholder values hold every
/// character a list must keep inside an item: `,`, `=`, `%`, a `%25`
/// typed as text, spaces and dashes. Its second block fails until `go`
/// exists, so the run stops there for `resume`.
const RUNBOOK_TEXT: &str = r#"
    ---
    runsheet:
      vars:
        label: "a,b=c %25 --"
    ---
    # Release

    - [ ] Tag
      ```bash
      echo {{ label }} > label.txt; echo tagging <release-tag> with <note> > tag.txt
      ```
    - [ ] Check
      ```bash
      test -e go
      ```
    "#;

const ANSWERS: &str = "release-tag: v1.4.0\nnote: \"50%25 done, a=b --x\"\n";

/// The value of attribute `key` in the opening marker on the line holding
/// `needle`, as written.
fn written(transcript: &str, needle: &str, key: &str) -> String {
    let line = line_with(transcript, needle);
    let from = line
        .find(&format!(" {key}="))
        .unwrap_or_else(|| panic!("no {key} in {line}"))
        + key.len()
        + 2;
    let rest = &line[from..];
    // A value holds no space and no `-->`: it ends at the first of them.
    let end = [rest.find(' '), rest.find("-->")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    rest[..end].to_string()
}

/// `transcript` with the list attribute `key` on the line holding
/// `needle` written as the runsheet before wrote it: the list, its items
/// encoded, encoded again as a whole (`%` and the `=` between sides).
fn as_written_before(transcript: &str, needle: &str, key: &str) -> String {
    let once = written(transcript, needle, key);
    let twice = once.replace('%', "%25").replace('=', "%3D");
    let line = line_with(transcript, needle);
    let old = line.replace(&format!(" {key}={once}"), &format!(" {key}={twice}"));
    assert_ne!(line, old);
    transcript.replace(&line, &old)
}

/// Every command's fills, as `report` gives them: (placeholder, value).
fn report_fills(sandbox: Sandbox, path: &str) -> (Vec<(String, String)>, Sandbox) {
    let out = Test::in_sandbox(sandbox).args(["report", path]).run();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let fills = report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["fills"].as_array())
        .flatten()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("placeholder"), s("value"))
        })
        .collect();
    (fills, out.sandbox)
}

#[test]
fn lists_are_encoded_once_and_those_encoded_twice_read_the_same() {
    let source = unindent(RUNBOOK_TEXT);
    let out = Test::new()
        .runbook(&source)
        .file("answers.yaml", ANSWERS)
        .args(RUN_ANSWERED)
        .status(1)
        .run();
    assert_eq!(out.read("label.txt"), "a,b=c %25 --\n");
    assert_eq!(
        out.read("tag.txt"),
        "tagging v1.4.0 with 50%25 done, a=b --x\n"
    );
    let transcript = out.transcript();

    // Each side encoded once, `,` and `=` inside a side too; the `=`
    // between the sides and the `,` between pairs as they are.
    assert_eq!(
        written(&transcript, "<!--rs:out id=", "fills"),
        "%3Crelease-tag%3E=v1.4.0,%3Cnote%3E=50%2525%20done%2C%20a%3Db%20%2D-x"
    );
    assert_eq!(
        written(&transcript, "<!--rs:run ", "vars"),
        "label=a%2Cb%3Dc%20%2525%20%2D%2D"
    );
    let want = vec![
        ("<release-tag>".to_string(), "v1.4.0".to_string()),
        ("<note>".to_string(), "50%25 done, a=b --x".to_string()),
    ];
    let (fills, sandbox) = report_fills(out.sandbox, OUT);
    assert_eq!(fills, want);

    // The same run as the runsheet before wrote it.
    let before = as_written_before(&transcript, "<!--rs:out id=", "fills");
    let before = as_written_before(&before, "<!--rs:run ", "vars");
    assert!(
        before.contains("fills=%253Crelease-tag%253E%3Dv1.4.0,%253Cnote%253E%3D50%252525"),
        "{before}"
    );
    sandbox.write("before.md", &before);
    let (fills, sandbox) = report_fills(sandbox, "before.md");
    assert_eq!(fills, want, "an older transcript reports the same values");

    // diff finds nothing changed between the two writings of one run: not
    // the values filled in, not the variables.
    let out = Test::in_sandbox(sandbox)
        .args(["diff", "before.md", OUT])
        .run();
    assert!(!out.stdout.contains("label"), "{}", out.stdout);

    // history reads the same values from the older transcript.
    let out = Test::in_sandbox(out.sandbox)
        .args(["history", "before.md", "--format", "json"])
        .run();
    let history: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let answers: Vec<Vec<String>> = history[0]["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|run| {
            run["answers"]
                .as_array()
                .expect("answers")
                .iter()
                .map(|a| a["answer"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .collect();
    assert_eq!(answers, [["v1.4.0", "50%25 done, a=b --x"]], "{history}");

    // resume of the older transcript renders the template with the
    // variables as recorded (a misread value would render otherwise and be
    // refused), keeps the values filled in, and writes its lists once.
    let sandbox = out.sandbox;
    sandbox.write("go", "");
    let out = Test::in_sandbox(sandbox)
        .args(["resume", "--yes", "before.md"])
        .run();
    let resumed = out.read("before.md");
    assert_eq!(
        written(&resumed, "<!--rs:out id=", "fills"),
        written(&transcript, "<!--rs:out id=", "fills")
    );
    assert_eq!(
        written(&resumed, "<!--rs:run ", "vars"),
        written(&transcript, "<!--rs:run ", "vars")
    );
    let (fills, _) = report_fills(out.sandbox, "before.md");
    assert_eq!(fills, want);
}
