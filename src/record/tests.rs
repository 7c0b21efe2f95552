//! The run record made from a run's outcomes.

use std::path::Path;

use super::*;
use crate::doc::parse;
use crate::source::Source;

#[test]
fn a_record_holds_every_step_with_what_became_of_it() {
    let source = Source::from_text(
        Path::new("d.md"),
        "# Deploy\n\n- [ ] Migrate\n  ```bash {name=migrate}\n  ./migrate\n  ```\n- [x] Announce\n- [ ] Smoke test\n"
            .into(),
    );
    let book = parse(&source);
    let mut outcomes = HashMap::new();
    let mut cmd = Outcome::new("migrate".into(), Status::Failed);
    cmd.at = "2026-11-21T05:11:05Z".into();
    cmd.exit = Some(1);
    cmd.ms = 2_000;
    cmd.output = "boom\n".into();
    outcomes.insert("migrate".into(), cmd);
    outcomes.insert(
        "s1".into(),
        Outcome::new("s1".into(), Status::Failed).because(Reason::Ignored),
    );
    let info = RunInfo {
        id: "r".into(),
        operator: "alice@ops".into(),
        mode: Mode::Unattended,
        ..RunInfo::default()
    };
    let record = RunRecord::new(info, &book, &outcomes);
    let ids: Vec<&str> = record.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["s1", "migrate", "s3", "s4"]);
    let migrate = record.step("migrate").unwrap();
    assert_eq!(migrate.kind, Kind::Command);
    assert_eq!(migrate.name.as_deref(), Some("migrate"));
    assert_eq!(migrate.parent.as_deref(), Some("s1"));
    assert_eq!(*migrate.heading, ["Deploy".to_string()]);
    assert_eq!(
        migrate.attempts,
        vec![Attempt {
            started: "2026-11-21T05:11:03Z".into(),
            finished: "2026-11-21T05:11:05Z".into(),
            duration_ms: 2_000,
            exit: Some(1),
            output: "boom\n".into(),
            ran: None,
            status: Some(Status::Failed),
            reasons: Vec::new(),
            answer: None,
            note: None,
            hosts: Vec::new(),
        }]
    );
    let announce = record.step("s3").unwrap();
    assert_eq!(
        (announce.status, announce.done_before),
        (Some(Status::Done), true)
    );
    assert_eq!(record.step("s4").unwrap().status, None);
    assert_eq!(record.step("s1").unwrap().reasons, vec![Reason::Ignored]);
    // The item and its block are one step, failed once.
    assert_eq!((record.counts.failed, record.counts.pending), (1, 1));
    assert_eq!(migrate.counts_as.as_deref(), Some("s1"));
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["run"]["mode"], "unattended");
    assert_eq!(json["steps"][0]["reasons"][0], "ignored");
    assert_eq!(json["steps"][3]["status"], serde_json::Value::Null);
}

#[test]
fn a_record_made_from_taken_outcomes_is_the_one_made_from_borrowed_ones() {
    // Two blocks named alike (an error plan reports) share one outcome.
    let source = Source::from_text(
        Path::new("d.md"),
        "# Deploy\n\n- [ ] Migrate\n  ```bash {name=migrate}\n  ./migrate\n  ```\n\
         - [x] Announce\n\n```bash {name=twice}\nfalse\n```\n\n```bash {name=twice}\ntrue\n```\n\
         - [ ] Confirm\n"
            .into(),
    );
    let book = parse(&source);
    let mut first = Outcome::new("migrate".into(), Status::Failed);
    (first.exit, first.ms, first.output) = (Some(1), 1_500, "no newline".into());
    first.at = "2026-11-21T05:11:01Z".into();
    let mut last = Outcome::new("migrate".into(), Status::Done).after(first);
    (last.exit, last.ms, last.output) = (Some(0), 61_000, "ok\n".into());
    last.at = "2026-11-21T05:12:03Z".into();
    last.ran = Some("./migrate --again".into());
    let mut twice = Outcome::new("twice".into(), Status::Done);
    twice.note = Some("by hand".into());
    let mut confirm = Outcome::new("s6".into(), Status::Done);
    confirm.value = Some("yes".into());
    let outcomes = HashMap::from([
        ("migrate".to_string(), last),
        ("twice".to_string(), twice),
        ("s6".to_string(), confirm),
    ]);
    let info = RunInfo {
        operator: "alice@ops".into(),
        ..RunInfo::default()
    };
    let borrowed = RunRecord::new(info.clone(), &book, &outcomes);
    let taken = RunRecord::of_outcomes(info, &book, outcomes);
    assert_eq!(taken, borrowed);
    assert_eq!(borrowed.step("migrate").unwrap().attempts.len(), 2);
    let shared: Vec<_> = borrowed.steps.iter().filter(|s| s.id == "twice").collect();
    assert_eq!(shared.len(), 2);
    assert!(shared.iter().all(|s| s.note.as_deref() == Some("by hand")));
}

#[test]
fn who_confirmed_comes_from_the_note_of_a_guarded_block() {
    let source = Source::from_text(Path::new("d.md"), "```bash\ndropdb x\n```\n".into());
    let book = parse(&source);
    let mut o = Outcome::new("s1".into(), Status::Done).because(Reason::Confirmed);
    o.note = Some(format!("{CONFIRMED_BY}bob@db-1"));
    let outcomes = HashMap::from([("s1".to_string(), o)]);
    let record = RunRecord::new(RunInfo::default(), &book, &outcomes);
    assert_eq!(record.steps[0].confirmed_by.as_deref(), Some("bob@db-1"));
    assert_eq!(record.steps[0].note, None);
}
