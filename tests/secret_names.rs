//! One definition of a secret's name: what `plan --format json` calls secret
//! is what a run masks.

use crate::common::{RUNBOOK, Test, unindent};

/// Placeholders named like credentials in different ways, and some that are not.
const NAMES: [&str; 8] = [
    "deploy-keys",
    "private_ip",
    "key_file",
    "db-password",
    "stripeapikey",
    "release-tag",
    "AWS_ACCESS_KEY_ID",
    "region",
];

#[test]
fn plan_calls_secret_exactly_the_placeholders_a_run_masks() {
    let script: String = NAMES
        .iter()
        .map(|name| format!("echo \"{name}=<{name}>\"\n"))
        .collect();
    let runbook = unindent(&format!("```bash\n{script}```\n"));
    // Each value long enough to count as a secret, and found nowhere else.
    let value = |name: &str| format!("value-of-{}", name.to_ascii_lowercase());
    let answers: String = NAMES
        .iter()
        .map(|name| format!("{name}: {}\n", value(name)))
        .collect();

    let plan = Test::new()
        .runbook(&runbook)
        .args(["plan", "--format", "json", RUNBOOK])
        .run();
    let plan_json = plan.stdout.clone();
    let json: serde_json::Value = serde_json::from_str(&plan_json).expect("plan JSON");
    let placeholders = json["steps"][0]["children"]
        .as_array()
        .expect("the command's placeholders");
    let secret_in_plan = |name: &str| {
        placeholders
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no placeholder {name} in {plan_json}"))["secret"]
            .as_bool()
            .expect("a placeholder says whether it is secret")
    };

    let run = plan.then().run_answered(answers).run();
    let output = run.outputs().concat();
    let transcript = run.transcript();
    for name in NAMES {
        let masked = output.contains(&format!("{name}=•••"));
        let shown = output.contains(&format!("{name}={}", value(name)));
        assert!(
            masked != shown,
            "{name}: neither masked nor shown in\n{output}"
        );
        assert_eq!(
            secret_in_plan(name),
            masked,
            "{name}: plan says secret={}, the run {} it\n{output}",
            secret_in_plan(name),
            if masked { "masks" } else { "shows" }
        );
        if masked {
            assert!(!transcript.contains(&value(name)), "{transcript}");
        }
    }
    // The names this definition settles: a `KEY` word anywhere, `PRIVATE`.
    for name in [
        "deploy-keys",
        "private_ip",
        "key_file",
        "db-password",
        "stripeapikey",
    ] {
        assert!(secret_in_plan(name), "{name}");
    }
    for name in ["release-tag", "AWS_ACCESS_KEY_ID", "region"] {
        assert!(!secret_in_plan(name), "{name}");
    }
}
