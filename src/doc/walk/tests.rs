//! The walk, on small documents.

use std::path::Path;

use crate::doc::model::{Runbook, Step};
use crate::doc::parse;
use crate::source::Source;

fn parse_str(text: &str) -> Runbook {
    parse(&Source::from_text(Path::new("t.md"), text.to_string()))
}

#[test]
fn a_task_marker_is_the_box_whatever_whitespace_comes_before_it() {
    for text in [
        "- \t[ ] a\n",
        "- a\n  - \t[ ] b\n",
        "-\t[x] c\n",
        "* \t\t[ ] d\n",
        "1. \t[ ] e\n",
        "> - \t[ ] f\n",
    ] {
        let book = parse_str(text);
        let task = book.steps.iter().rev().find_map(Step::task).expect(text);
        assert!(
            matches!(&text[task.marker()], "[ ]" | "[x]"),
            "{text:?}: marker {:?} is {:?}",
            task.marker,
            &text[task.marker()]
        );
    }
}

#[test]
fn tasks_own_their_commands_and_subtasks() {
    let book = parse_str(
        "# Deploy\n## DB\n- [ ] Migrate\n  ```bash\n  make migrate\n  ```\n  - [ ] Check tables\n- [x] Done before\n\n```sh\necho top\n```\n",
    );
    let kinds: Vec<_> = book
        .steps
        .iter()
        .map(|s| (s.kind_name(), s.text.as_str(), s.parent()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("task", "Migrate", None),
            ("command", "make migrate", Some(0)),
            ("task", "Check tables", Some(0)),
            ("task", "Done before", None),
            ("command", "echo top", None),
        ]
    );
    assert_eq!(book.steps[0].children[..], [1, 2]);
    assert_eq!(&*book.steps[1].heading, ["Deploy", "DB"]);
    assert_eq!(book.steps[1].line, 4);
    assert!(book.steps[3].task().unwrap().checked);
    assert!(book.diagnostics.is_empty());
}

#[test]
fn summary_goes_after_bom_and_front_matter() {
    let book = parse_str("\u{feff}---\nname: x\n---\n- [ ] a\n");
    assert_eq!(book.summary_at, "\u{feff}---\nname: x\n---\n".len());
    assert_eq!(book.steps[0].text, "a");
}

#[test]
fn loose_checkboxes_warn_and_heading_checkboxes_are_tasks() {
    let book = parse_str("[ ] not a list\n\n### [ ] Heading box\n\n```bash\necho under\n```\n");
    let loose = book
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("not in a list item"));
    assert_eq!(loose.count(), 1);
    assert_eq!(book.steps[0].kind_name(), "task");
    assert_eq!(book.steps[0].text, "Heading box");
    assert_eq!(&*book.steps[1].heading, ["Heading box"]);
    assert_eq!(
        book.steps[1].parent(),
        Some(0),
        "a heading task owns the steps under it"
    );
    let book = parse_str("# Deploy\n## Prepare\n### Notes\n## [ ] Ship\n```bash\nx\n```\n");
    assert_eq!(
        &*book.steps[0].heading,
        ["Deploy"],
        "a heading task sits under its parents"
    );
    assert_eq!(&*book.steps[1].heading, ["Deploy", "Ship"]);
}

#[test]
fn blanks_choices_and_placeholders_are_steps() {
    let text = "- [ ] Record start: ________ (UTC)\n- [ ] Decision: `GO / NO-GO`\n- X: ******\\_\\_\\_\\_******\n\n| Check | Result |\n|---|---|\n| CAB | ☐ Yes ☐ No |\n\n```bash\ncurl -H \"Bearer <api-token>\" x\n```\n**Expected**: `200 OK`\n";
    let book = parse_str(text);
    let kinds: Vec<_> = book
        .steps
        .iter()
        .map(|s| (s.kind_name(), s.parent()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("task", None),
            ("blank", Some(0)),
            ("task", None),
            ("choice", Some(2)),
            ("blank", None),
            ("choice", None),
            ("command", None),
            ("placeholder", Some(6)),
        ]
    );
    assert_eq!(&text[book.steps[4].span()], "\\_\\_\\_\\_");
    assert_eq!(book.steps[1].text, "Record start: ________ (UTC)");
    assert_eq!(book.steps[5].text, "CAB · Result: ☐ Yes ☐ No");
    assert_eq!(book.steps[5].field().unwrap().options, vec!["Yes", "No"]);
    assert_eq!(book.steps[6].command().unwrap().hint(), Some("`200 OK`"));
    assert!(book.steps[7].placeholder().unwrap().secret);
    let tight =
        parse_str("- [ ] Check\n  ```bash\n  curl x\n  ```\n  **Expected**: 200\n- [ ] Next\n");
    assert_eq!(tight.steps[1].command().unwrap().hint(), Some("200"));
}
