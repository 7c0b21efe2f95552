//! Run reports for machines: the run record as JSON, and as JUnit XML for CI
//! systems. Both are made from a `RunRecord` and nothing else.

mod json;
mod junit;
mod xml;

pub use json::{SCHEMA, json, write_json, write_json_unfolded};
pub use junit::{junit, write_junit, write_junit_unfolded};

use std::io::{self, Write};

use crate::record::RunRecord;

/// What a report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Junit,
}

/// `record` written as `format`.
pub fn render(record: &RunRecord, format: Format) -> String {
    match format {
        Format::Json => json(record),
        Format::Junit => junit(record),
    }
}

/// `render`, written to `out` as it is made.
pub fn write(record: &RunRecord, format: Format, out: impl Write) -> io::Result<()> {
    match format {
        Format::Json => write_json(record, out),
        Format::Junit => write_junit(record, out),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::*;
    use crate::doc::parse;
    use crate::record::{Outcome, Reason, RunInfo, RunState, Status, Unfolded, section_id};
    use crate::source::Source;

    /// A run of a runbook with a task whose block is a step of its own, a
    /// block that failed after an earlier attempt, a field and a section
    /// passed over; or the same with no outcomes at all.
    fn run(reached: bool) -> (crate::doc::Runbook, RunInfo, HashMap<String, Outcome>) {
        let source = Source::from_text(
            Path::new("d.md"),
            "# Deploy\n\n- [ ] Check\n  ```bash\n  true\n  ```\n\n```bash\nexit 1\n```\n\n\
             Approved by: ________\n\n## Rollback\n\n- [ ] Undo\n"
                .into(),
        );
        let book = parse(&source);
        let info = RunInfo {
            id: "r".into(),
            source: "d.md".into(),
            operator: "alice@ops".into(),
            started: "2026-11-21T05:11:00Z".into(),
            finished: Some("2026-11-21T05:11:09Z".into()),
            state: RunState::Stopped,
            ..RunInfo::default()
        };
        let mut outcomes = HashMap::new();
        if reached {
            let mut first = Outcome::new("s3".into(), Status::Failed);
            (first.exit, first.ms, first.output) = (Some(2), 900, "once\n".into());
            first.at = "2026-11-30T05:11:02Z".into();
            let mut last = Outcome::new("s3".into(), Status::Failed).after(first);
            (last.exit, last.ms, last.output) = (Some(1), 1_200, "a <b> & \"c\"\nd".into());
            last.at = "2026-11-30T05:11:04Z".into();
            let mut field = Outcome::new("s4".into(), Status::Done);
            field.value = Some("bob".into());
            let mut check = Outcome::new("s2".into(), Status::Done);
            (check.exit, check.ms) = (Some(0), 10);
            for o in [last, field, check] {
                outcomes.insert(o.id.clone(), o);
            }
            let passed = Outcome::new(section_id(1), Status::Skipped).because(Reason::NotNeeded);
            outcomes.insert(passed.id.clone(), passed);
        }
        (book, info, outcomes)
    }

    /// Made a step at a time, each report is byte for byte the one of the
    /// whole record; the JUnit test cases sit under their suite.
    #[test]
    fn reports_made_a_step_at_a_time_are_those_of_the_whole_record() {
        for reached in [true, false] {
            let (book, info, outcomes) = run(reached);
            let record = RunRecord::new(info.clone(), &book, &outcomes);
            assert_eq!(record.sections.is_empty(), !reached);
            let unfolded = || Unfolded::new(info.clone(), &book, outcomes.clone());
            let mut json = Vec::new();
            write_json_unfolded(unfolded(), true, &mut json).unwrap();
            assert_eq!(
                String::from_utf8(json).unwrap(),
                render(&record, Format::Json)
            );
            let mut xml = Vec::new();
            write_junit_unfolded(unfolded(), true, &mut xml).unwrap();
            let xml = String::from_utf8(xml).unwrap();
            assert_eq!(xml, render(&record, Format::Junit));
            let lines: Vec<&str> = xml.lines().collect();
            assert!(lines[2].starts_with("  <testsuite name=\"d.md\""), "{xml}");
            assert_eq!(lines[3], "    <properties>", "{xml}");
            let cases: Vec<&&str> = lines.iter().filter(|l| l.contains("<testcase")).collect();
            assert_eq!(cases.len(), 4, "{xml}");
            assert!(
                cases.iter().all(|l| l.starts_with("    <testcase ")),
                "{xml}"
            );
            assert_eq!(
                lines[lines.len() - 2..],
                ["  </testsuite>", "</testsuites>"]
            );
        }
    }
}
