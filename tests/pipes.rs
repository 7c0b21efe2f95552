//! A value with a `|` in it, typed into a blank: the transcript shows it as
//! typed, in prose as in a table cell.

use crate::common::{line_with, run, sandbox};

const VALUE: &str =
    "Value (`now` for the current UTC time, empty to skip) · [q]uit / [b]ack / [g]o to";

#[test]
fn a_typed_pipe_shows_as_typed_in_prose_and_stays_inside_its_table_cell() {
    let sandbox = sandbox(
        "
        # Change record

        Approvers: ____

        | Check | Result |
        |---|---|
        | Gates passed | ____ |
        ",
    );
    let mut pty = run(&sandbox);
    pty.answer(VALUE, "alice | bob");
    pty.answer(VALUE, "lint | tests");
    let (code, screen) = pty.wait();
    assert_eq!(code, 0, "{screen}");
    let transcript = sandbox.transcript();
    // In prose a code span shows a backslash as it is: the value is
    // written without one.
    let prose = line_with(&transcript, "Approvers:");
    assert!(
        prose.starts_with("Approvers: `alice | bob`<!--rs:fill"),
        "{prose}"
    );
    // In a table cell the `|` is escaped, so the row keeps its two cells.
    let row = line_with(&transcript, "Gates passed");
    assert!(
        row.starts_with("| Gates passed | `lint \\| tests`<!--rs:fill"),
        "{row}"
    );
    let unescaped_pipes = row.matches('|').count() - row.matches("\\|").count();
    assert_eq!(unescaped_pipes, 3, "{row}");
    // Both values read back as typed.
    let report = sandbox
        .test()
        .args(["report", crate::common::OUT])
        .run()
        .stdout;
    assert!(report.contains("\"alice | bob\""), "{report}");
    assert!(report.contains("\"lint | tests\""), "{report}");
}
