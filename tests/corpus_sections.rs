//! The contingency sections and alternatives runsheet finds in every document
//! of the corpus, against what a review of each document found: sections meant
//! to run only when something goes wrong (by heading line and kind), what a
//! document exists to do (a rollback runbook rolls back), and groups of options
//! a run does one of (by the lines of their options). Only lines and kinds are
//! kept here: the shared corpus itself never enters the repository.
//!
//! The corpus is the one the corpus tests use: the shared corpus of other
//! teams' checklists where `RUNSHEET_CORPUS` names it (as CI does), else the
//! in-tree `tests/corpus/`. A document the review has not seen fails the test,
//! with what runsheet found, for someone to read and add.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;

use runsheet::doc::{Contingency, parse};
use runsheet::source::Source;

use crate::corpus::{corpus_dir, documents_in};

/// What the review found in one document.
struct Reviewed {
    /// Contingency sections not inside another: heading line and kind.
    sections: &'static [(usize, &'static str)],
    /// What the document exists to carry out (its main path).
    purpose: &'static [&'static str],
    /// Groups of alternatives: the lines of their options.
    groups: &'static [&'static [usize]],
}

const NONE: Reviewed = Reviewed {
    sections: &[],
    purpose: &[],
    groups: &[],
};

/// Each document of the shared corpus and of `tests/corpus/`, as reviewed by
/// reading it.
const REVIEW: &[(&str, Reviewed)] = &[
    // Zero-downtime deploy: the rollback plan after the deploy, the failure
    // modes with their remedies, and the quick rollback commands of the
    // appendix; two artifact items joined by OR (twice) and the two backend
    // deploy strategies. "Backup & rollback readiness" and "keep the old
    // stack warm for the rollback window" are preparation: main path.
    (
        "000_de760a1fdea5200b.md",
        Reviewed {
            sections: &[
                (680, "rollback"),
                (821, "troubleshooting"),
                (1025, "rollback"),
            ],
            purpose: &[],
            groups: &[&[33, 34], &[36, 37], &[290, 403]],
        },
    ),
    // Production deploy: rollback procedures (with three ways to do it), a
    // hotfix procedure for emergencies, and an appendix of common issues.
    (
        "001_deca567208548626.md",
        Reviewed {
            sections: &[
                (243, "rollback"),
                (418, "emergency"),
                (454, "troubleshooting"),
            ],
            purpose: &[],
            groups: &[&[256, 266, 275]],
        },
    ),
    // Phased deploy: the rollback decision points and their record.
    (
        "002_14ae320941f2eb32.md",
        Reviewed {
            sections: &[(395, "rollback")],
            purpose: &[],
            groups: &[],
        },
    ),
    ("01_MaterializeInc-materialize_release.md", NONE),
    // A rollback runbook: rolling back is its main path, three ways to
    // start it are alternatives; its common issues stay apart.
    (
        "02_Amichban-labels_lab_ROLLBACK.md",
        Reviewed {
            sections: &[(143, "troubleshooting")],
            purpose: &["rollback"],
            groups: &[&[33, 42, 51]],
        },
    ),
    ("05_stjude-rust-labs-tes_RELEASE.md", NONE),
    (
        "07_kubernetes-sigs-cluster-api_communications-README.md",
        NONE,
    ),
    // Developer onboarding, with a troubleshooting section at the end.
    (
        "08_swadloon-org-swadloon_onboarding-developer.md",
        Reviewed {
            sections: &[(220, "troubleshooting")],
            purpose: &[],
            groups: &[],
        },
    ),
    (
        "09_swadloon-org-swadloon_building-site-with-contentful.md",
        NONE,
    ),
    ("11_coreos-coreos-installer_release-checklist.md", NONE),
    // Release template: downgrading, for when the release went wrong.
    (
        "15_denoland-deno_release_doc_template.md",
        Reviewed {
            sections: &[(158, "rollback")],
            purpose: &[],
            groups: &[],
        },
    ),
    // An incident response playbook: containment and recovery are what it
    // is for.
    (
        "17_aws-samples-aws-incident-response-playbooks_IRP-Ransomware.md",
        Reviewed {
            sections: &[],
            purpose: &["emergency", "recovery", "rollback"],
            groups: &[],
        },
    ),
    ("18_tektoncd-pipeline_release-cheat-sheet.md", NONE),
    // Database maintenance, with emergency procedures for lockups and corruption.
    (
        "20_mchawda-codexos_database-maintenance.md",
        Reviewed {
            sections: &[(142, "emergency")],
            purpose: &[],
            groups: &[],
        },
    ),
    // A disaster recovery runbook: failing over is its main path;
    // troubleshooting stays apart.
    (
        "24_cedrickbyrd-securebase-app_DR_RUNBOOK.md",
        Reviewed {
            sections: &[(674, "troubleshooting")],
            purpose: &["recovery", "emergency"],
            groups: &[],
        },
    ),
    // Security release process: "when things go wrong". Adding a security
    // revert option to a release is forward work: main path.
    (
        "26_nodejs-node_security-release-process.md",
        Reviewed {
            sections: &[(277, "failure")],
            purpose: &[],
            groups: &[],
        },
    ),
    // Daily change checklist: the issues and rollback section (its issue
    // log included: it is kept under the same heading).
    (
        "27_almashooq1-alawael-erp_PHASE_4_DAILY_CHANGE_MANAGEMENT_CHECKLIST.md",
        Reviewed {
            sections: &[(153, "rollback")],
            purpose: &[],
            groups: &[],
        },
    ),
    ("29_nteract-bookstore_RELEASING.md", NONE),
    // Mobile deploy guide: its rollback strategy and troubleshooting.
    (
        "32_HolisticHealthcareLabs-holilabs_DEPLOYMENT.md",
        Reviewed {
            sections: &[(499, "rollback"), (520, "troubleshooting")],
            purpose: &[],
            groups: &[],
        },
    ),
    // The in-tree corpus. A blue/green deploy written to have them all: the
    // migration's own failure section, the rollback plan, a plan B marked by
    // a comment, troubleshooting; two image choices joined by OR and two
    // ways to switch traffic.
    (
        "deploy-api-blue-green.md",
        Reviewed {
            sections: &[
                (28, "failure"),
                (61, "rollback"),
                (76, "marked"),
                (88, "troubleshooting"),
            ],
            purpose: &[],
            groups: &[&[13, 14], &[37, 47]],
        },
    ),
    ("cert-rotation-bom.md", NONE),
    // A failover drill: recovering is what it is for.
    (
        "db-failover-crlf.md",
        Reviewed {
            sections: &[],
            purpose: &["recovery", "emergency"],
            groups: &[],
        },
    ),
    ("decommission-staging.md", NONE),
    ("deploy-web-canary.md", NONE),
    // An incident runbook: its mitigation is its main path.
    (
        "incident-queue-backlog.md",
        Reviewed {
            sections: &[],
            purpose: &["emergency", "recovery", "rollback"],
            groups: &[],
        },
    ),
    ("maintenance-window-mojibake.md", NONE),
    ("nightly-data-checks.md", NONE),
    ("onboarding-access.md", NONE),
    ("release-train.md", NONE),
    // A rollback runbook: rolling back is its main path.
    (
        "rollback-fences.md",
        Reviewed {
            sections: &[],
            purpose: &["rollback"],
            groups: &[],
        },
    ),
];

fn words(kinds: &[Contingency]) -> Vec<String> {
    kinds.iter().map(|k| k.word().to_string()).collect()
}

#[test]
fn every_corpus_document_has_the_contingency_sections_its_review_found() {
    let documents = documents_in(&corpus_dir());
    let review: BTreeMap<&str, &Reviewed> = REVIEW.iter().map(|(n, r)| (*n, r)).collect();
    let mut problems = String::new();
    for path in &documents {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = fs::read(path).expect("a readable document");
        let source = Source::from_bytes(path, bytes).expect("a document runsheet reads");
        let book = parse(&source);
        let sections: Vec<(usize, String)> = book
            .contingency_sections()
            .into_iter()
            .map(|i| {
                let s = &book.sections[i];
                (
                    s.line,
                    s.contingency
                        .expect("a contingency section")
                        .word()
                        .to_string(),
                )
            })
            .collect();
        let groups: Vec<Vec<usize>> = book
            .groups
            .iter()
            .map(|g| g.options.iter().map(|o| o.line).collect())
            .collect();
        let purpose = words(&book.purpose);
        let Some(want) = review.get(name.as_str()) else {
            let _ = writeln!(
                problems,
                "{name}: not reviewed yet; runsheet finds sections {sections:?}, purpose {purpose:?}, groups {groups:?}"
            );
            continue;
        };
        let want_sections: Vec<(usize, String)> = want
            .sections
            .iter()
            .map(|(l, k)| (*l, k.to_string()))
            .collect();
        let want_groups: Vec<Vec<usize>> = want.groups.iter().map(|g| g.to_vec()).collect();
        if sections != want_sections || purpose != want.purpose || groups != want_groups {
            let _ = writeln!(
                problems,
                "{name}:\n  sections {sections:?}, reviewed {want_sections:?}\n  purpose {purpose:?}, reviewed {:?}\n  groups {groups:?}, reviewed {want_groups:?}",
                want.purpose
            );
        }
    }
    assert!(problems.is_empty(), "{problems}");
}
