//! Resuming a transcript whose checklist was edited since the run began:
//! every record stays with the step it was written beside, whatever the
//! edit did to the numbering, and a record beside no step is dropped and
//! named, never given to another step.

use crate::common::{OUT, RUN, RUNBOOK, Sandbox, output_blocks};

/// The confirmation an edited transcript asks for before anything runs.
const CONFIRM: &str = "Type `yes` to run it, anything else to skip it";

/// Four blocks, each noting in `ran` that it ran; the third fails until
/// `fixed` exists.
const FOUR: &str = "# Deploy\n\n\
                    ```bash\necho one | tee -a ran\n```\n\n\
                    ```bash\necho two | tee -a ran\n```\n\n\
                    ```bash\ntest -f fixed\necho three | tee -a ran\n```\n\n\
                    ```bash\necho four | tee -a ran\n```\n";

/// A sandbox whose run of `FOUR` stopped at the third block; `fixed` made.
fn stopped_at_the_third() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write(RUNBOOK, FOUR);
    let out = sandbox.test().run_yes().status(1).run();
    assert_eq!(out.read("ran"), "one\ntwo\n");
    out.write("fixed", "");
    out.sandbox
}

/// The bytes of `transcript` from the fence of the block whose first line
/// is `line` to the end of the record written after it.
fn block_and_record(transcript: &str, line: &str) -> std::ops::Range<usize> {
    let start = transcript
        .find(&format!("```bash\n{line}"))
        .unwrap_or_else(|| panic!("no block {line:?} in:\n{transcript}"));
    let close = "<!--/rs:out-->\n";
    let end = start
        + transcript[start..]
            .find(close)
            .unwrap_or_else(|| panic!("no record after {line:?} in:\n{transcript}"))
        + close.len();
    start..end
}

/// The record written after the block whose first line is `line`.
fn record_of<'a>(transcript: &'a str, line: &str) -> &'a str {
    let range = block_and_record(transcript, line);
    let record = &transcript[range];
    &record[record.find("<!--rs:out").expect("an opening marker")..]
}

/// Resumes `OUT` on a terminal, confirms the edit, and runs every block
/// offered: `offered` are the first lines shown of the blocks, in order.
/// Returns the screen.
fn resume_confirmed(sandbox: &Sandbox, before_confirm: &[&str], offered: &[&str]) -> String {
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    for line in before_confirm {
        pty.expect(line);
    }
    pty.expect("it was edited since");
    pty.answer(CONFIRM, "yes");
    for block in offered {
        pty.expect(block);
        pty.answer(RUN, "r");
    }
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    screen
}

#[test]
fn a_block_added_above_runs_and_the_records_stay_with_their_blocks() {
    let sandbox = stopped_at_the_third();
    let edited = sandbox.transcript().replacen(
        "# Deploy\n",
        "# Deploy\n\n```bash\necho zero-added | tee -a ran\n```\n",
        1,
    );
    sandbox.write(OUT, &edited);
    let screen = resume_confirmed(
        &sandbox,
        &[],
        &["echo zero-added", "test -f fixed", "echo four"],
    );
    assert!(!screen.contains("Dropped"), "{screen}");
    // The new block ran, the failed one again, and nothing that was done.
    assert_eq!(sandbox.read("ran"), "one\ntwo\nzero-added\nthree\nfour\n");
    let t = sandbox.transcript();
    assert_eq!(
        output_blocks(&t),
        ["zero-added\n", "one\n", "two\n", "three\n", "four\n"],
        "{t}"
    );
    for (block, id) in [
        ("echo zero-added", "s1"),
        ("echo one", "s2"),
        ("echo two", "s3"),
        ("test -f fixed", "s4"),
        ("echo four", "s5"),
    ] {
        let record = record_of(&t, block);
        assert!(
            record.starts_with(&format!("<!--rs:out id={id} status=done")),
            "{block}: {record}"
        );
    }
    // The records of the first run are the ones it wrote, at their blocks.
    let first = t.find("echo one | tee").unwrap();
    assert!(
        t[..first].contains("zero-added\n```\n<!--/rs:out-->"),
        "{t}"
    );
    // The failure the first run recorded is the third block's earlier try.
    let third = record_of(&t, "test -f fixed");
    assert!(third.contains("exit 1"), "{third}");
    for block in ["echo zero-added", "echo one", "echo two", "echo four"] {
        assert!(
            !record_of(&t, block).contains("exit 1"),
            "{block} took the failure:\n{t}"
        );
    }
    assert!(!t.contains("Failed:"), "{t}");
}

#[test]
fn a_removed_block_takes_its_record_away_and_one_left_behind_is_dropped_and_named() {
    let sandbox = stopped_at_the_third();
    let t = sandbox.transcript();
    // The second block deleted, its record left behind in the text.
    let second = "```bash\necho two | tee -a ran\n```\n";
    assert!(t.contains(second));
    sandbox.write(OUT, t.replacen(second, "", 1));
    let screen = resume_confirmed(
        &sandbox,
        &[
            "Dropped: the record `s2` (done",
            "it sits beside no block now",
        ],
        &["test -f fixed", "echo four"],
    );
    assert!(screen.contains("is dropped"), "{screen}");
    assert_eq!(screen.matches("Dropped:").count(), 1, "{screen}");
    // The failed block ran again, though the removal made it the second.
    assert_eq!(sandbox.read("ran"), "one\ntwo\nthree\nfour\n");
    let t = sandbox.transcript();
    assert_eq!(output_blocks(&t), ["one\n", "three\n", "four\n"], "{t}");
    assert!(record_of(&t, "echo one").starts_with("<!--rs:out id=s1 status=done"));
    let third = record_of(&t, "test -f fixed");
    assert!(third.starts_with("<!--rs:out id=s2 status=done"), "{third}");
    assert!(third.contains("exit 1"), "{third}");
    assert!(record_of(&t, "echo four").starts_with("<!--rs:out id=s3 status=done"));
    // Taken out: a record of a block no longer there.
    assert!(!t.contains("two\n```\n<!--/rs:out-->"), "{t}");
}

#[test]
fn a_removed_block_and_its_record_leave_the_failed_block_to_run_again() {
    let sandbox = stopped_at_the_third();
    let t = sandbox.transcript();
    let second = block_and_record(&t, "echo two");
    let mut edited = t.clone();
    edited.replace_range(second, "");
    sandbox.write(OUT, &edited);
    // Nothing dropped: the record went with its block.
    let screen = resume_confirmed(&sandbox, &[], &["test -f fixed", "echo four"]);
    assert!(!screen.contains("Dropped"), "{screen}");
    assert_eq!(sandbox.read("ran"), "one\ntwo\nthree\nfour\n");
    assert_eq!(
        output_blocks(&sandbox.transcript()),
        ["one\n", "three\n", "four\n"]
    );
}

#[test]
fn two_blocks_swapped_keep_their_own_records() {
    let sandbox = stopped_at_the_third();
    let t = sandbox.transcript();
    let (two, three) = (
        block_and_record(&t, "echo two"),
        block_and_record(&t, "test -f fixed"),
    );
    let edited = format!(
        "{}{}{}{}{}",
        &t[..two.start],
        &t[three.clone()],
        &t[two.end..three.start],
        &t[two.clone()],
        &t[three.end..]
    );
    sandbox.write(OUT, &edited);
    let screen = resume_confirmed(&sandbox, &[], &["test -f fixed", "echo four"]);
    assert!(!screen.contains("Dropped"), "{screen}");
    // The failed block, now the second, ran again; the done one did not.
    assert_eq!(sandbox.read("ran"), "one\ntwo\nthree\nfour\n");
    let t = sandbox.transcript();
    assert_eq!(
        output_blocks(&t),
        ["one\n", "three\n", "two\n", "four\n"],
        "{t}"
    );
    let third = record_of(&t, "test -f fixed");
    assert!(third.starts_with("<!--rs:out id=s2 status=done"), "{third}");
    assert!(third.contains("exit 1"), "{third}");
    let two = record_of(&t, "echo two");
    assert!(two.starts_with("<!--rs:out id=s3 status=done"), "{two}");
    assert!(!two.contains("exit 1"), "{two}");
}

#[test]
fn an_edited_transcript_under_yes_runs_nothing() {
    let sandbox = stopped_at_the_third();
    let edited = sandbox.transcript().replacen(
        "# Deploy\n",
        "# Deploy\n\n```bash\necho zero-added | tee -a ran\n```\n",
        1,
    );
    sandbox.write(OUT, &edited);
    let out = sandbox
        .test()
        .args(["resume", "--yes", OUT])
        .status(2)
        .stderr_contains("nothing was run")
        .run();
    assert_eq!(out.read("ran"), "one\ntwo\n");
    assert_eq!(out.read(OUT), edited);
}

#[test]
fn records_are_saved_under_their_new_ids_and_a_later_resume_goes_on_from_them() {
    let sandbox = stopped_at_the_third();
    let edited = sandbox.transcript().replacen(
        "# Deploy\n",
        "# Deploy\n\n```bash\necho zero-added | tee -a ran\n```\n",
        1,
    );
    sandbox.write(OUT, &edited);
    let mut pty = sandbox.pty(&["resume", OUT], &[]);
    pty.expect("it was edited since");
    pty.answer(CONFIRM, "yes");
    pty.expect("echo zero-added");
    pty.answer(RUN, "q");
    let (code, screen) = pty.wait();
    assert_eq!(code, 130, "{screen}");
    assert_eq!(sandbox.read("ran"), "one\ntwo\n");
    // The summary's link to the failure goes to the block that failed.
    let t = sandbox.transcript();
    assert!(t.contains("Failed: [test -f fixed](#rs-s4)"), "{t}");
    let third = record_of(&t, "test -f fixed");
    assert!(
        third.starts_with("<!--rs:out id=s4 status=failed")
            && third.contains("<a id=\"rs-s4\"></a>"),
        "{t}"
    );
    assert!(!t.contains("id=\"rs-s3\""), "{t}");
    // Saved so, the transcript is its checklist again: an unattended
    // resume goes on, the journal's lines under the old ids not read again.
    let out = sandbox.test().args(["resume", "--yes", OUT]).run();
    assert_eq!(out.read("ran"), "one\ntwo\nzero-added\nthree\nfour\n");
    assert_eq!(
        output_blocks(&out.read(OUT)),
        ["zero-added\n", "one\n", "two\n", "three\n", "four\n"]
    );
}

/// A checklist with every kind of record: tasks, a blank, a choice, blocks
/// (one failing), boxes in a fence and a contingency section.
const EVERY_KIND: &str = "# Deploy\n\n\
    - [ ] Tell the channel\n\
    - [ ] Version deployed: ____\n\
    - [ ] Smoke test passed? Yes / No\n\n\
    ```bash\necho one\n```\n\n\
    ```text\n[ ] a box in a fence\n[ ] another\n```\n\n\
    ## Roll out\n\n\
    - [ ] Deploy\n  ```bash\n  echo two\n  ```\n\n\
    ```bash\nfalse\n```\n\n\
    ## Rollback\n\n\
    ```bash\necho rolled back\n```\n";

/// Edited transcripts of every shape, read back and re-keyed: lines of a
/// real transcript cut, repeated, swapped or added (seeded, so every run
/// tries the same texts). Reading gives a transcript or an error, and
/// re-keying never gives a record to a step the checklist does not have,
/// nor crashes.
#[test]
fn edited_transcripts_of_any_shape_are_re_keyed_without_a_crash() {
    use runsheet::doc::parse;
    use runsheet::source::Source;
    use runsheet::transcript;
    use std::collections::HashSet;

    let sandbox = Sandbox::new();
    sandbox.write(RUNBOOK, EVERY_KIND);
    let out = sandbox
        .test()
        .run_yes()
        .args(["--keep-going"])
        .status(1)
        .run();
    let original = out.read(OUT);
    let lines: Vec<&str> = original.split_inclusive('\n').collect();
    let additions = [
        "```bash\necho added\n```\n",
        "- [ ] An added task\n",
        "## An added section\n",
        "\n",
        "- [ ] Added blank: ____\n",
    ];
    let path = std::path::Path::new("edited.md");
    let mut rng = fastrand::Rng::with_seed(7);
    let mut re_keyed = 0;
    for _ in 0..2000 {
        let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        for _ in 0..rng.usize(1..4) {
            let at = rng.usize(..edited.len());
            match rng.u8(..4) {
                0 => {
                    edited.remove(at);
                }
                1 => edited.insert(at, edited[at].clone()),
                2 => {
                    let other = rng.usize(..edited.len());
                    edited.swap(at, other);
                }
                _ => edited.insert(at, additions[rng.usize(..additions.len())].into()),
            }
            if edited.is_empty() {
                break;
            }
        }
        let text = edited.concat();
        let Ok(mut read) = transcript::read(path, &text) else {
            continue;
        };
        if read.info.is_none() {
            continue;
        }
        let source = Source::from_text(path, read.source.clone());
        let book = parse(&source);
        let dropped = transcript::rekey(
            &book,
            &source.text,
            &text,
            &mut read.outcomes,
            &read.places,
            &read.spans,
            &read.repeats,
        );
        assert!(dropped.iter().all(|d| !d.text.is_empty()), "{text}");
        let ids: HashSet<String> = book.steps.iter().map(|s| s.id().to_string()).collect();
        for id in read.outcomes.keys() {
            assert!(
                ids.contains(id) || id.starts_with('§'),
                "the record `{id}` went to no step of the edited checklist:\n{text}"
            );
        }
        re_keyed += 1;
    }
    // Most edits leave a transcript that reads: the test is not passing by
    // reading none.
    assert!(re_keyed > 1000, "only {re_keyed} of 2000 edits read back");
}

/// The 1-based line of `text` that byte `at` is on.
fn line_at(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

/// The line of `transcript` that the record after the `nth` (0-based)
/// block whose first line is `line` opens on.
fn record_line(transcript: &str, line: &str, nth: usize) -> usize {
    let fence = format!("```bash\n{line}");
    let start = transcript
        .match_indices(&fence)
        .nth(nth)
        .unwrap_or_else(|| panic!("no block {nth} {line:?} in:\n{transcript}"))
        .0;
    line_at(
        transcript,
        start + transcript[start..].find("<!--rs:out").unwrap(),
    )
}

#[test]
fn a_block_copied_with_its_record_below_keeps_the_record_where_it_ran_and_the_copy_runs() {
    let sandbox = stopped_at_the_third();
    let t = sandbox.transcript();
    let first = block_and_record(&t, "echo one");
    let original = record_of(&t, "echo one").to_string();
    // The first block and its record copied below the failed one, the
    // copy's output touched up by hand: not what the first block printed.
    let copy = t[first.clone()].replace("one\n```\n<!--/rs:out", "one (copied)\n```\n<!--/rs:out");
    assert_ne!(copy, t[first.clone()]);
    let four = t.find("```bash\necho four").unwrap();
    let edited = format!("{}{copy}\n{}", &t[..four], &t[four..]);
    sandbox.write(OUT, &edited);
    let (kept, copied) = (
        record_line(&edited, "echo one", 0),
        record_line(&edited, "echo one", 1),
    );
    let screen = resume_confirmed(
        &sandbox,
        &[&format!(
            "Copy: {OUT}:{copied}: this output annotation is a copy of the record `s1` (done"
        )],
        &["test -f fixed", "echo one", "echo four"],
    );
    assert!(
        screen.contains(&format!(
            "stays with the block it was written for (line {kept})"
        )),
        "{screen}"
    );
    assert!(
        screen.contains("which has not run and runs when reached"),
        "{screen}"
    );
    assert!(!screen.contains("Dropped"), "{screen}");
    assert!(!screen.contains("Unsure"), "{screen}");
    // The first block did not run again; its copy did, as a block of its own.
    assert_eq!(sandbox.read("ran"), "one\ntwo\nthree\none\nfour\n");
    let t = sandbox.transcript();
    assert_eq!(
        output_blocks(&t),
        ["one\n", "two\n", "three\n", "one\n", "four\n"],
        "{t}"
    );
    // The record of the block that ran is the one written for it, byte
    // for byte, not the copy's.
    assert_eq!(record_of(&t, "echo one"), original, "{t}");
    assert!(!t.contains("(copied)"), "{t}");
    let copy_at = t.match_indices("```bash\necho one").nth(1).unwrap().0;
    let copy_record = record_of(&t[copy_at..], "echo one");
    assert!(
        copy_record.starts_with("<!--rs:out id=s4 status=done"),
        "{copy_record}"
    );
    assert!(record_of(&t, "test -f fixed").starts_with("<!--rs:out id=s3 status=done"));
    assert!(record_of(&t, "echo four").starts_with("<!--rs:out id=s5 status=done"));
}

#[test]
fn a_block_copied_with_its_record_above_keeps_the_record_where_it_ran_and_the_copy_runs() {
    let sandbox = stopped_at_the_third();
    let t = sandbox.transcript();
    let second = block_and_record(&t, "echo two");
    let original = record_of(&t, "echo two").to_string();
    // The second block and its record copied to the top of the checklist.
    let one = t.find("```bash\necho one").unwrap();
    let edited = format!("{}{}\n{}", &t[..one], &t[second.clone()], &t[one..]);
    sandbox.write(OUT, &edited);
    let (copied, kept) = (
        record_line(&edited, "echo two", 0),
        record_line(&edited, "echo two", 1),
    );
    let screen = resume_confirmed(
        &sandbox,
        &[&format!(
            "Copy: {OUT}:{copied}: this output annotation is a copy of the record `s2` (done"
        )],
        &["echo two", "test -f fixed", "echo four"],
    );
    assert!(
        screen.contains(&format!(
            "stays with the block it was written for (line {kept})"
        )),
        "{screen}"
    );
    assert!(!screen.contains("Dropped"), "{screen}");
    assert!(!screen.contains("Unsure"), "{screen}");
    // The copy ran first, where it now stands; the block that ran did not.
    assert_eq!(sandbox.read("ran"), "one\ntwo\ntwo\nthree\nfour\n");
    let t = sandbox.transcript();
    assert_eq!(
        output_blocks(&t),
        ["two\n", "one\n", "two\n", "three\n", "four\n"],
        "{t}"
    );
    let copy_record = record_of(&t, "echo two");
    assert!(
        copy_record.starts_with("<!--rs:out id=s1 status=done"),
        "{copy_record}"
    );
    let kept_at = t.match_indices("```bash\necho two").nth(1).unwrap().0;
    assert_eq!(
        record_of(&t[kept_at..], "echo two"),
        original.replacen("id=s2 ", "id=s3 ", 1),
        "{t}"
    );
    let third = record_of(&t, "test -f fixed");
    assert!(third.starts_with("<!--rs:out id=s4 status=done"), "{third}");
    assert!(third.contains("exit 1"), "{third}");
}

#[test]
fn a_copy_right_beside_its_record_cannot_be_told_apart_so_both_blocks_run_and_it_is_said() {
    let sandbox = stopped_at_the_third();
    let t = sandbox.transcript();
    let second = block_and_record(&t, "echo two");
    // The copy right under the original: no other record between them,
    // and either could be the one the run wrote.
    let edited = format!(
        "{}\n{}{}",
        &t[..second.end],
        &t[second.clone()],
        &t[second.end..]
    );
    sandbox.write(OUT, &edited);
    let (a, b) = (
        record_line(&edited, "echo two", 0),
        record_line(&edited, "echo two", 1),
    );
    let screen = resume_confirmed(
        &sandbox,
        &[&format!("Unsure: {OUT}:{a}: the record `s2` (done")],
        &["echo two", "echo two", "test -f fixed", "echo four"],
    );
    assert!(screen.contains(&format!("(lines {a} and {b})")), "{screen}");
    assert!(
        screen.contains("each of them runs when reached"),
        "{screen}"
    );
    assert!(!screen.contains("Copy:"), "{screen}");
    // Nothing is claimed for either: both ran, the first block did not.
    assert_eq!(sandbox.read("ran"), "one\ntwo\ntwo\ntwo\nthree\nfour\n");
    let t = sandbox.transcript();
    assert_eq!(
        output_blocks(&t),
        ["one\n", "two\n", "two\n", "three\n", "four\n"],
        "{t}"
    );
    assert!(record_of(&t, "echo one").starts_with("<!--rs:out id=s1 status=done"));
    let third = record_of(&t, "test -f fixed");
    assert!(third.starts_with("<!--rs:out id=s4 status=done"), "{third}");
    assert!(third.contains("exit 1"), "{third}");
}
