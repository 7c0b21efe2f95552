//! The `history --html` page opened in a real headless Chromium, looked at as
//! a person would: it loads with no console error and no request, its charts
//! have a mark a run, a failure is marked, a click on a run shows the run.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use headless_chrome::protocol::cdp::Network;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::{Browser, LaunchOptions};

use crate::common::{Sandbox, require_tool};
use crate::history::four_runs;

/// Where Debian puts Chromium.
const CHROMIUM: &str = "/usr/bin/chromium";

/// What the page did while it loaded and was used.
#[derive(Default)]
struct Seen {
    /// Console errors, uncaught exceptions and refused loads.
    errors: Vec<String>,
    /// Every URL it asked for.
    requests: Vec<String>,
}

/// Writes the history page of `runs/` in `sandbox` to `page.html`.
fn page(sandbox: Sandbox) -> Sandbox {
    sandbox
        .test()
        .args(["history", "--html", "page.html", "runs"])
        .stderr_contains("wrote page.html (4 runs, ")
        .run()
        .sandbox
}

/// Opens `path` in Chromium (`width` pixels wide) and hands `check` the tab.
fn open(path: &Path, width: u32, check: impl FnOnce(&headless_chrome::Tab, &Mutex<Seen>)) {
    require_tool("chromium");
    let options = LaunchOptions::default_builder()
        .path(Some(CHROMIUM.into()))
        .sandbox(false)
        .window_size(Some((width, 900)))
        .build()
        .expect("launch options");
    let browser = Browser::new(options).expect("chromium starts");
    let tab = browser.new_tab().expect("a tab");
    tab.set_default_timeout(Duration::from_secs(20));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let log = Arc::clone(&seen);
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let mut seen = log.lock().expect("the log");
        match event {
            Event::LogEntryAdded(e) => {
                let level = format!("{:?}", e.params.entry.level);
                if level == "Error" {
                    seen.errors.push(e.params.entry.text.clone());
                }
            }
            Event::RuntimeExceptionThrown(e) => {
                seen.errors
                    .push(format!("{:?}", e.params.exception_details.text));
            }
            Event::RuntimeConsoleAPICalled(e) => {
                let kind = format!("{:?}", e.params.Type);
                if kind == "Error" || kind == "Warning" {
                    seen.errors
                        .push(format!("console.{kind}: {:?}", e.params.args));
                }
            }
            Event::NetworkRequestWillBeSent(e) => {
                seen.requests.push(e.params.request.url.clone());
            }
            _ => {}
        }
    }))
    .expect("listen to the page");
    tab.enable_log().expect("log domain");
    tab.enable_runtime().expect("runtime domain");
    tab.call_method(Network::Enable {
        max_total_buffer_size: None,
        max_resource_buffer_size: None,
        max_post_data_size: None,
        report_direct_socket_traffic: None,
        enable_durable_messages: None,
    })
    .expect("network domain");
    let url = format!("file://{}", path.display());
    tab.navigate_to(&url)
        .expect("navigate")
        .wait_until_navigated()
        .expect("the page loads");
    check(&tab, &seen);
    let seen = seen.lock().expect("the log");
    assert_eq!(seen.errors, Vec::<String>::new(), "console errors");
    let others: Vec<&String> = seen.requests.iter().filter(|u| **u != url).collect();
    assert!(others.is_empty(), "the page asked for {others:?}");
}

/// The strings of the array `expression` makes in the page.
fn strings(tab: &headless_chrome::Tab, expression: &str) -> Vec<String> {
    let json = eval(tab, &format!("JSON.stringify({expression})"));
    let value: serde_json::Value =
        serde_json::from_str(json.as_str().unwrap_or_default()).expect("JSON");
    value
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The value of `expression` in the page, as JSON.
/// Run `n` opened by a click on its row: the text it shows.
fn opened(tab: &headless_chrome::Tab, n: usize) -> String {
    tab.find_element(&format!("#row-{n}"))
        .expect("the run's row")
        .click()
        .expect("click it");
    let text = eval(
        tab,
        &format!("document.getElementById('run-{n}').innerText"),
    );
    text.as_str().unwrap_or_default().to_string()
}

fn eval(tab: &headless_chrome::Tab, expression: &str) -> serde_json::Value {
    tab.evaluate(expression, false)
        .expect("evaluate")
        .value
        .unwrap_or(serde_json::Value::Null)
}

#[test]
#[ignore = "needs chromium; CI installs it and runs --ignored"]
fn the_page_loads_alone_and_shows_every_run() {
    let sandbox = page(four_runs());
    open(&sandbox.path("page.html"), 1280, |tab, _| {
        assert_eq!(
            eval(tab, "document.querySelector('h1').textContent"),
            "runbook.md"
        );
        assert_eq!(
            eval(tab, "document.querySelectorAll('#run-chart .mark').length"),
            4
        );
        // The two runs with the API down, marked in both charts.
        assert_eq!(
            eval(
                tab,
                "document.querySelectorAll('#run-chart .mark.failed').length"
            ),
            2
        );
        assert_eq!(
            eval(
                tab,
                "document.querySelectorAll('#step-chart rect.fail').length"
            ),
            2
        );
        let failed_title = eval(
            tab,
            "document.querySelector('#step-chart rect.fail title').textContent",
        );
        assert!(
            failed_title
                .as_str()
                .is_some_and(|t| t.contains("`api`") && t.contains("failed")),
            "{failed_title}"
        );
        assert_eq!(
            eval(tab, "document.querySelectorAll('#runs tr.run').length"),
            4
        );
        // Every chart says what it is to a screen reader.
        assert_eq!(
            eval(
                tab,
                "[...document.querySelectorAll('svg')].every(s => s.querySelector('title') && s.querySelector('desc'))"
            ),
            true
        );
        // A run's section is hidden until its row is clicked.
        assert_eq!(eval(tab, "document.getElementById('run-3').hidden"), true);
        tab.find_element("#row-3")
            .expect("the third run's row")
            .click()
            .expect("click it");
        assert_eq!(eval(tab, "document.getElementById('run-3').hidden"), false);
        let text = eval(tab, "document.getElementById('run-3').innerText");
        let text = text.as_str().unwrap_or_default();
        assert!(
            text.contains("Failed: Deploy › Check the API › `api` (exit 1)"),
            "{text}"
        );
        assert!(text.contains("api: 503 Service Unavailable"), "{text}");
        assert!(
            text.contains("Deploy › Warm the cache › `warm` — done"),
            "{text}"
        );
        // The rest stay closed.
        assert_eq!(eval(tab, "document.getElementById('run-2').hidden"), true);
        // Every step is shown: nothing says some are left out.
        assert_eq!(
            eval(tab, "document.getElementById('narrowed') === null"),
            true
        );
    });
}

#[test]
#[ignore = "needs chromium; CI installs it and runs --ignored"]
fn the_page_fits_a_phone() {
    let sandbox = page(four_runs());
    open(&sandbox.path("page.html"), 390, |tab, _| {
        // Nothing wider than the screen but the scrolling chart boxes.
        let wide = eval(
            tab,
            "document.documentElement.scrollWidth <= window.innerWidth + 1",
        );
        assert_eq!(wide, true, "the page scrolls sideways on a phone");
        let chart = eval(
            tab,
            "document.getElementById('run-chart').getBoundingClientRect().width <= window.innerWidth",
        );
        assert_eq!(chart, true);
    });
}

#[test]
#[ignore = "needs chromium; CI installs it and runs --ignored"]
fn the_page_shows_which_steps_took_more_than_one_attempt_and_how() {
    let sandbox = page(crate::history::retried_runs());
    open(&sandbox.path("page.html"), 1280, |tab, _| {
        let earlier = "failed (exit 1), failed (exit 1)";
        // The run's line counts its retried steps.
        let runs = strings(
            tab,
            "[...document.querySelectorAll('#runs tr.run')].map(r => r.innerText)",
        );
        assert_eq!(runs.len(), 4, "{runs:?}");
        assert!(!runs[0].contains("retried"), "{runs:?}");
        assert!(runs[1].contains("1 step retried (+2 attempts)"), "{runs:?}");
        assert!(!runs[2].contains("retried"), "{runs:?}");
        assert!(runs[3].contains("1 step retried (+4 attempts)"), "{runs:?}");
        // The steps' trends count the runs a step was retried in.
        assert_eq!(
            eval(
                tab,
                "[...document.querySelectorAll('#trends thead th')].pop().textContent"
            ),
            "retried"
        );
        assert_eq!(
            eval(
                tab,
                "[...document.querySelectorAll('#trends tbody tr')].find(r => r.innerText.includes('`up`')).lastElementChild.textContent"
            ),
            "2"
        );
        let listed = eval(tab, "document.getElementById('retried').innerText");
        assert!(
            listed
                .as_str()
                .is_some_and(|t| t.contains(&format!("#2: 3 attempts (earlier: {earlier})"))),
            "{listed}"
        );
        let titles = strings(
            tab,
            "[...document.querySelectorAll('#step-chart rect title')].map(t => t.textContent).filter(t => t.includes('attempts'))",
        );
        assert_eq!(titles.len(), 2, "{titles:?}");
        assert!(
            titles[0].starts_with("#2 ") && titles[0].ends_with(" · 3 attempts"),
            "{titles:?}"
        );
        assert!(
            titles[1].starts_with("#4 ") && titles[1].ends_with(" · 5 attempts"),
            "{titles:?}"
        );
        // A run opened says how many attempts each step took, and how the
        // earlier ones ended.
        let text = opened(tab, 2);
        assert!(
            text.contains(&format!(" · 3 attempts (earlier: {earlier})")),
            "{text}"
        );
        assert!(text.contains("Deploy › Tell #ops — done"), "{text}");
        assert!(!text.contains("Tell #ops — done ·"), "{text}");
    });
}

#[test]
#[ignore = "needs chromium; CI installs it and runs --ignored"]
fn the_page_of_some_steps_counts_a_runs_retries_among_them() {
    let sandbox = crate::history::two_retried_runs()
        .test()
        .args(["history", "--step", "up", "--html", "page.html", "runs"])
        .stderr_contains("wrote page.html (2 runs, 1 step)")
        .run()
        .sandbox;
    open(&sandbox.path("page.html"), 1280, |tab, _| {
        let descs = eval(
            tab,
            "[...document.querySelectorAll('svg desc')].map(d => d.textContent).join('\\n')",
        );
        let descs = descs.as_str().unwrap_or_default();
        assert!(descs.contains("1 step by 2 runs;"), "{descs}");
        let runs = strings(
            tab,
            "[...document.querySelectorAll('#runs tr.run')].map(r => r.innerText)",
        );
        assert_eq!(runs.len(), 2, "{runs:?}");
        // `warm` was retried in both runs too, but is not shown.
        assert!(runs[0].contains("1 step retried (+2 attempts)"), "{runs:?}");
        assert!(!runs[1].contains("retried"), "{runs:?}");
        let listed = eval(tab, "document.getElementById('retried').innerText");
        let listed = listed.as_str().unwrap_or_default();
        assert!(listed.contains("`up` (#1: 3 attempts"), "{listed}");
        assert!(!listed.contains("`warm`"), "{listed}");
    });
}

#[test]
#[ignore = "needs chromium; CI installs it and runs --ignored"]
fn the_page_of_some_steps_lists_a_runs_failures_among_them() {
    let sandbox = four_runs()
        .test()
        .args(["history", "--step", "warm", "--html", "warm.html", "runs"])
        .stderr_contains("wrote warm.html (4 runs, 1 step)")
        .run()
        .then()
        .args(["history", "--step", "api", "--html", "api.html", "runs"])
        .run()
        .sandbox;
    // The third run failed at `api`: not a step of this page.
    open(&sandbox.path("warm.html"), 1280, |tab, _| {
        let said = eval(tab, "document.getElementById('narrowed').textContent");
        assert_eq!(
            said,
            "Only the steps whose label contains \"warm\": a run's failures and retried \
             steps are of these steps; its result and counts are the whole run's."
        );
        let text = opened(tab, 3);
        assert!(text.contains("`warm` — done"), "{text}");
        assert!(!text.contains("Failed:"), "{text}");
        assert!(!text.contains("503"), "{text}");
        let runs = strings(
            tab,
            "[...document.querySelectorAll('#runs tr.run')].map(r => r.innerText)",
        );
        assert!(runs[2].contains("failed"), "{runs:?}");
    });
    // The page of `api` lists its failure.
    open(&sandbox.path("api.html"), 1280, |tab, _| {
        let text = opened(tab, 3);
        assert!(
            text.contains("Failed: Deploy › Check the API › `api` (exit 1)"),
            "{text}"
        );
        assert!(text.contains("api: 503 Service Unavailable"), "{text}");
    });
}
