//! One test per rule that tells contingency sections and alternatives apart.

use std::path::Path;

use super::*;
use crate::doc::parse;

fn book_of(name: &str, text: &str) -> Runbook {
    parse(&Source::from_text(Path::new(name), text.to_string()))
}

fn book(text: &str) -> Runbook {
    book_of("deploy.md", text)
}

/// The contingency sections not inside another: (title, kind).
fn contingency(book: &Runbook) -> Vec<(String, Contingency)> {
    book.contingency_sections()
        .into_iter()
        .map(|i| {
            let s = &book.sections[i];
            (
                s.title.clone(),
                s.contingency.expect("a contingency section"),
            )
        })
        .collect()
}

/// The texts of the steps in contingency sections.
fn skipped_steps(book: &Runbook) -> Vec<&str> {
    book.steps
        .iter()
        .filter(|s| book.contingency_of(s.at()).is_some())
        .map(|s| s.text.as_str())
        .collect()
}

#[test]
fn headings_that_say_something_went_wrong_start_contingency_sections() {
    let b = book(
        "# Deploy\n\n## Ship\n- [ ] ship\n\n## Rollback plan\n- [ ] undo\n\n### Verify the undo\n- [ ] check\n\n## After\n- [ ] announce\n",
    );
    assert_eq!(
        contingency(&b),
        [("Rollback plan".to_string(), Contingency::Rollback)]
    );
    assert_eq!(
        skipped_steps(&b),
        ["undo", "check"],
        "sub-headings belong to the section"
    );
    for (heading, kind) in [
        ("Roll back", Contingency::Rollback),
        ("Backing out the release", Contingency::Rollback),
        ("Revert", Contingency::Rollback),
        ("Abort", Contingency::Abort),
        ("Emergency procedures", Contingency::Emergency),
        ("Troubleshooting", Contingency::Troubleshooting),
        ("Recovery", Contingency::Recovery),
        ("Disaster recovery", Contingency::Recovery),
        ("If the migration fails", Contingency::Failure),
        ("In case of a failed canary", Contingency::Failure),
    ] {
        for level in ["##", "####", "######"] {
            let b = book(&format!(
                "# Deploy\n\n## Ship\n- [ ] ship\n\n{level} {heading}\n- [ ] undo\n"
            ));
            assert_eq!(
                contingency(&b),
                [(heading.to_string(), kind)],
                "{level} {heading}"
            );
            assert_eq!(skipped_steps(&b), ["undo"], "{level} {heading}");
        }
    }
}

#[test]
fn a_setext_heading_and_a_heading_task_start_sections_too() {
    let b = book("Deploy\n======\n\n- [ ] ship\n\nRollback\n--------\n\n- [ ] undo\n");
    assert_eq!(
        contingency(&b),
        [("Rollback".to_string(), Contingency::Rollback)]
    );
    let b = book("# Deploy\n- [ ] ship\n## [ ] Roll back\n```bash\nundo\n```\n");
    assert_eq!(skipped_steps(&b), ["Roll back", "undo"]);
}

#[test]
fn preparing_for_a_rollback_is_on_the_main_path() {
    let b = book(
        "# Deploy\n\n## Backup & rollback readiness\n- [ ] backup\n\n## Keep BLUE warm for the rollback window\n- [ ] wait\n\n## Test the rollback\n- [ ] drill\n",
    );
    assert!(contingency(&b).is_empty(), "{:?}", contingency(&b));
}

#[test]
fn a_comment_under_the_heading_says_it_outright() {
    let b = book(
        "# Deploy\n\n## Plan B\n<!-- runsheet: contingency -->\n\n- [ ] other way\n\n## Rollback drill on staging\n\n<!--runsheet:main-->\n- [ ] practise\n\n## Rollback\n- [ ] undo\n",
    );
    assert_eq!(
        contingency(&b),
        [
            ("Plan B".to_string(), Contingency::Marked),
            ("Rollback".to_string(), Contingency::Rollback),
        ]
    );
    let plan_b = &b.sections[1];
    assert_eq!(
        (plan_b.comment, plan_b.because),
        (Some(Said::Contingency), Because::Comment)
    );
    let b = book(
        "# Deploy\n\n## Rollback\n<!-- runsheet: main -->\n- [ ] undo\n\n## Ship\n- [ ] ship\n",
    );
    assert!(contingency(&b).is_empty(), "main wins over the words");
    // Not right under the heading: the comment says nothing of it.
    let b = book("# Deploy\n\n## Plan B\nSome words.\n\n<!-- runsheet: contingency -->\n- [ ] x\n");
    assert!(contingency(&b).is_empty());
    // Inside a quote, the comment under the quoted heading counts.
    let b = book("- [ ] ship\n\n> ## Plan B\n> <!-- runsheet: contingency -->\n> - [ ] other\n");
    assert_eq!(
        contingency(&b),
        [("Plan B".to_string(), Contingency::Marked)]
    );
}

#[test]
fn runsheet_toml_patterns_say_it_for_a_whole_directory() {
    let mut b = book(
        "# Deploy\n\n## Ship\n- [ ] ship\n\n## Plan B: by hand\n- [ ] by hand\n\n## Rollback readiness and rollback\n- [ ] prepare\n",
    );
    assert!(contingency(&b).is_empty());
    let rules = SectionRules {
        sections: vec!["plan b*".into()],
        main: vec![],
    };
    configure(&mut b, &rules);
    assert_eq!(
        contingency(&b),
        [("Plan B: by hand".to_string(), Contingency::Marked)]
    );
    assert_eq!(b.sections[2].because, Because::Config);
    let mut b = book("# Deploy\n\n## Ship\n- [ ] ship\n\n## Rollback\n- [ ] undo\n");
    configure(
        &mut b,
        &SectionRules {
            sections: vec![],
            main: vec!["ROLLBACK".into()],
        },
    );
    assert!(
        contingency(&b).is_empty(),
        "main = [...] keeps it on the main path"
    );
    assert!(glob("*rollback*", "h) rollback plan"));
    assert!(
        !glob("rollback", "rollback plan"),
        "a pattern matches whole headings"
    );
}

#[test]
fn a_document_whose_title_is_the_rollback_runs_it_as_its_main_path() {
    let rollback = "# Rollback Runbook\n\n## When to use\nWhen it breaks.\n\n## Rollback steps\n### 1. Roll back\n```bash\nkubectl rollout undo deployment/app\n```\n\n## Troubleshooting\n- [ ] stuck\n";
    let b = book_of("ROLLBACK.md", rollback);
    assert_eq!(
        contingency(&b),
        [("Troubleshooting".to_string(), Contingency::Troubleshooting)],
        "its own kind is its main path; troubleshooting is still apart"
    );
    assert_eq!(b.purpose, [Contingency::Rollback]);
    let steps = &b.sections[2];
    assert_eq!((steps.contingency, steps.because), (None, Because::Purpose));
    // A DR runbook recovers, an incident playbook handles the emergency.
    let dr = book_of(
        "dr.md",
        "# Payments DR runbook\n\n## Failover\n- [ ] promote replica\n\n## Recovery\n- [ ] restore\n\n## Troubleshooting\n- [ ] check\n",
    );
    assert_eq!(
        contingency(&dr),
        [("Troubleshooting".to_string(), Contingency::Troubleshooting)]
    );
    let incident = book_of(
        "p.md",
        "# Incident playbook: database outage\n\n## Contain\n- [ ] isolate\n\n## Emergency procedures\n- [ ] fail over\n\n## Recover\n- [ ] restore\n",
    );
    assert!(contingency(&incident).is_empty());
    // Forward work in the title: a deploy guide with a rollback section.
    let both =
        book("# Deploy and rollback guide\n\n## Deploy\n- [ ] ship\n\n## Rollback\n- [ ] undo\n");
    assert_eq!(
        contingency(&both),
        [("Rollback".to_string(), Contingency::Rollback)]
    );
}

#[test]
fn without_a_title_the_file_name_says_the_purpose() {
    let b = book_of(
        "runbooks/ROLLBACK.md",
        "## Steps\n- [ ] one\n\n## Roll back\n- [ ] two\n",
    );
    assert!(contingency(&b).is_empty());
    let b = book_of(
        "runbooks/deploy.md",
        "## Steps\n- [ ] one\n\n## Roll back\n- [ ] two\n",
    );
    assert_eq!(contingency(&b).len(), 1);
}

#[test]
fn a_document_with_nothing_else_to_do_runs_its_contingency_section() {
    let b = book(
        "# Payments service\n\nNotes on the service.\n\n## Rollback\n```bash\nkubectl rollout undo deployment/payments\n```\n\n## Troubleshooting\n- [ ] logs\n",
    );
    assert!(contingency(&b).is_empty(), "{:?}", contingency(&b));
    assert!(
        b.sections
            .iter()
            .all(|s| s.because != Because::Heading || s.named.is_none())
    );
    // Ticked items are no work left: still nothing else to do.
    let b = book("# Service\n- [x] set up\n\n## Rollback\n- [ ] undo\n");
    assert!(contingency(&b).is_empty());
    // A comment that says so is kept, whatever else there is.
    let b = book("# Service\n\n## Rollback\n<!-- runsheet: contingency -->\n- [ ] undo\n");
    assert_eq!(contingency(&b).len(), 1);
}

#[test]
fn the_title_is_never_a_section_to_skip() {
    let b = book(
        "# Emergency deployment checklist\n\n## Ship\n- [ ] ship\n\n## Roll back\n- [ ] undo\n",
    );
    assert_eq!(
        contingency(&b),
        [("Roll back".to_string(), Contingency::Rollback)]
    );
}

#[test]
fn sections_know_their_steps_parents_and_where_a_transcript_marks_them() {
    let text = "# A\n- [ ] a\n## B\n- [ ] b\n### C\n- [ ] c\n## D\n> ## E\n> - [ ] e\n## F";
    let b = book(text);
    let titles: Vec<(&str, Option<usize>, std::ops::Range<usize>)> = b
        .sections
        .iter()
        .map(|s| (s.title.as_str(), s.parent(), s.steps.clone()))
        .collect();
    assert_eq!(
        titles,
        [
            ("A", None, 0..4),
            ("B", Some(0), 1..3),
            ("C", Some(1), 2..3),
            // A quoted `##` heading ends D like any other.
            ("D", Some(0), 3..3),
            ("E", Some(0), 3..4),
            ("F", Some(0), 4..4),
        ]
    );
    assert_eq!(b.steps[2].section.map(Link::get), Some(2));
    let c = &b.sections[2];
    assert_eq!(&text[c.mark.at()..c.mark.at() + 7], "- [ ] c");
    let e = &b.sections[4];
    assert_eq!(e.mark.prefix, "> ");
    let f = &b.sections[5];
    assert_eq!((f.mark.at(), f.mark.eol_first), (text.len(), true));
}

#[test]
fn find_section_by_heading_kind_or_piece() {
    let b = book(
        "# Deploy\n\n## Ship\n- [ ] ship\n\n## H) ROLLBACK PLAN\n### Frontend rollback\n- [ ] fe\n\n## Troubleshooting\n- [ ] t\n",
    );
    assert_eq!(b.find_section("h) rollback plan"), Ok(2));
    assert_eq!(
        b.find_section("rollback"),
        Ok(2),
        "the first rollback section"
    );
    assert_eq!(b.find_section("troubleshooting"), Ok(4));
    assert_eq!(b.find_section("Frontend"), Ok(3));
    assert_eq!(b.find_section("Deploy › Ship"), Ok(1));
    let err = b.find_section("nothing like it").unwrap_err();
    assert!(
        err.contains("\"H) ROLLBACK PLAN\" (line 6, rollback)"),
        "{err}"
    );
    let err = b.find_section("o").unwrap_err();
    assert!(err.contains("several sections"), "{err}");
}

#[test]
fn sibling_option_sections_are_alternatives() {
    let b = book(
        "# Deploy\n\n## Backend\n### Strategy\nPick one.\n### OPTION 1: BLUE/GREEN\n#### Step 1\n```bash\ngreen\n```\n### OPTION 2: ROLLING UPDATE\n```bash\nrolling\n```\n### Verification (either strategy)\n- [ ] verify\n",
    );
    assert_eq!(b.groups.len(), 1);
    let g = &b.groups[0];
    assert_eq!(
        g.labels(),
        ["OPTION 1: BLUE/GREEN", "OPTION 2: ROLLING UPDATE"]
    );
    assert!(g.runs_commands(&b));
    assert_eq!(
        b.alternatives_of(0),
        [(0, 0)],
        "a sub-section's step is in its option"
    );
    assert_eq!(b.alternatives_of(1), [(0, 1)]);
    assert!(
        b.alternatives_of(2).is_empty(),
        "what follows the options is not one"
    );
    for (text, labels) in [
        (
            "## Method 1\n- [ ] a\n## Method 2\n- [ ] b\n",
            vec!["Method 1", "Method 2"],
        ),
        (
            "## Option A: quick\n- [ ] a\n## Option B: slow\n- [ ] b\n## Option C\n- [ ] c\n",
            vec!["Option A: quick", "Option B: slow", "Option C"],
        ),
        (
            "## Deploy with Helm\n- [ ] helm\n## Alternative: kubectl apply\n- [ ] apply\n",
            vec!["Deploy with Helm", "Alternative: kubectl apply"],
        ),
    ] {
        let b = book(text);
        assert_eq!(b.groups.len(), 1, "{text}");
        assert_eq!(b.groups[0].labels(), labels, "{text}");
    }
    // One option alone, or options under different parents: no group.
    assert!(
        book("## Option 1\n- [ ] a\n## Notes\n- [ ] b\n")
            .groups
            .is_empty()
    );
    assert!(
        book("# A\n## Option 1\n- [ ] a\n# B\n## Option 2\n- [ ] b\n")
            .groups
            .is_empty()
    );
}

#[test]
fn items_joined_by_a_trailing_or_are_alternatives() {
    let b = book(
        "- [ ] Artifact:\n  - [ ] Docker image tag: `backend:mvp` OR\n  - [ ] Git SHA: `7057cb0`\n  - [ ] Not an option\n- [ ] Restart the pod or\n  ```bash\n  kubectl delete pod x\n  ```\n- [ ] Redeploy\n",
    );
    let groups: Vec<Vec<String>> = b.groups.iter().map(Group::labels).collect();
    assert_eq!(
        groups,
        [
            vec![
                "Docker image tag: `backend:mvp`".to_string(),
                "Git SHA: `7057cb0`".into()
            ],
            vec!["Restart the pod".to_string(), "Redeploy".into()],
        ]
    );
    assert!(!b.groups[0].runs_commands(&b), "manual options");
    assert!(b.groups[1].runs_commands(&b));
    assert_eq!(
        b.groups[1].options[0].steps,
        4..6,
        "an item's option holds what is under it"
    );
    assert!(book("- [ ] only one OR\n").groups.is_empty());
    assert!(
        book("- [ ] A OR\n\n# Elsewhere\n- [ ] B\n")
            .groups
            .is_empty()
    );
}

#[test]
fn options_inside_a_contingency_section_stay_alternatives() {
    let b = book(
        "# Deploy\n- [ ] ship\n## Rollback procedures\n### Option 1: script\n```bash\n./rollback.sh\n```\n### Option 2: by hand\n- [ ] click\n",
    );
    assert_eq!(contingency(&b).len(), 1);
    assert_eq!(b.groups.len(), 1);
    assert_eq!(b.contingency_of(1), Some(1));
}

/// Each step is in the innermost section whose heading is the last before
/// it, whatever the steps before it were in: the count of headings up to a
/// step is found from the last step's, or searched for afresh.
#[test]
fn steps_are_in_the_section_of_the_last_heading_before_them() {
    let text = "- [ ] before any heading\n\n# Top\n\n- [ ] a\n- [ ] b\n\n## One\n\n## Two\n\n\
                ## Three\n\n- [ ] c\n  ```bash\n  echo <name>\n  ```\n\n### Deep\n\n- [ ] d\n\n\
                # Next\n\n- [ ] e\n";
    let book = book(text);
    for step in &book.steps {
        let at = step.span().start;
        let mut inner = book.sections.iter().rposition(|s| s.heading.start <= at);
        while let Some(s) = inner.filter(|&s| book.sections[s].end as usize <= at) {
            inner = book.sections[s].parent.map(Link::get);
        }
        assert_eq!(step.section.map(Link::get), inner, "{}", step.text);
    }
    let titles: Vec<&str> = book
        .steps
        .iter()
        .map(|s| {
            s.section
                .map_or("", |i| book.sections[i.get()].title.as_str())
        })
        .collect();
    assert_eq!(titles[0], "");
    assert_eq!(titles.last().copied(), Some("Next"));
    assert!(titles.contains(&"Deep") && titles.contains(&"Three"));
    for (s, section) in book.sections.iter().enumerate() {
        for i in 0..=book.sections.len() + 1 {
            for at in [
                section.heading.start,
                section.heading.start + 1,
                section.end as usize,
            ] {
                let want = book.sections.partition_point(|x| x.heading.start <= at);
                assert_eq!(headings_up_to(&book.sections, at, i), want, "{s} {at} {i}");
            }
        }
    }
}
