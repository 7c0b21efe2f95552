//! Measures rendering a templated runbook: a 1 MB template whose loop runs
//! 10,000 times, against the budget (under 50 ms, under 10× the template's
//! size in memory), and against `plan` on the rendered runbook. Beside it,
//! the render `plan`, `run` and `resume` make, which also works out which
//! line of the template each line of the rendering came from.
//!
//! Run it with:
//!
//! ```text
//! cargo bench --bench templates
//! ```
//!
//! A custom harness (`harness = false`): times come from calling the library
//! directly, each the median of several renders; memory is the peak resident
//! size of a `runsheet render` process on the same template, as the kernel
//! counts it for a child that has ended (`ru_maxrss`), next to that of one
//! rendering a tiny template, so the binary's own footprint shows. Sampling
//! `/proc/PID/status` instead misses most of a run that lasts a few
//! milliseconds, and gave the tiny render about half its real footprint.
//! Beside it, the peak heap of one render in this process, as a counting
//! allocator sees it: the bytes asked for (a buffer's whole capacity, touched
//! or not), above what was held before the render began. The counting
//! costs each allocation a few atomic operations, in the times too.
//!
//! The memory budget is judged on what the render takes: its peak heap with
//! the template it reads. The whole process's peak RSS is printed too, but
//! it also counts the binary's own footprint (about 8 MB, mostly its code
//! pages, for a tiny template as for a large one), which no template size
//! changes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use std::alloc::System;

use cap::Cap;
use nix::sys::resource::{UsageWho, getrusage};

use runsheet::doc::parse::Runners;
use runsheet::secrets::Secrets;
use runsheet::source::Source;
use runsheet::template::{self, Inputs};

/// Every allocation of this process, counted, with the most held at once.
#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

const TEMPLATE_BYTES: usize = 1024 * 1024;
const ITERATIONS: usize = 10_000;
const RUNS: usize = 9;
const BUDGET_MS: f64 = 50.0;
const BUDGET_MEMORY_FACTOR: f64 = 10.0;

/// A template of about `TEMPLATE_BYTES`: front matter with `ITERATIONS`
/// hosts, one loop making a task and a bash block per host, and sections of
/// prose, tasks and blocks with values until the size is reached.
fn template() -> String {
    let mut t = String::from(
        "---\ntitle: Fleet restart\nrunsheet:\n  vars:\n    service: web\n    version: \"1.4.2\"\n    hosts:\n",
    );
    for i in 0..ITERATIONS {
        t.push_str(&format!("      - host-{i:05}\n"));
    }
    t.push_str("---\n# Restart {{ service }} {{ version }}\n\n");
    t.push_str(
        "{% for host in hosts %}\n- [ ] Restart {{ host }}\n  ```bash {name=restart-{{ host }}}\n  echo restarting {{ service }} on {{ host }} \"at {{ version }}\"\n  ```\n{% endfor %}\n",
    );
    let mut n = 0;
    while t.len() < TEMPLATE_BYTES {
        n += 1;
        t.push_str(&format!(
            "\n## Section {n}\n\nCheck that {{{{ service }}}} answers before going on; the dashboards show \
             the error rate and latency of every host in this group.\n\n- [ ] Look at the dashboard of group {n}\n\
             - [ ] Drain group {n}\n  ```bash\n  echo draining group {n} of {{{{ service }}}} --version {{{{ version }}}}\n  ```\n"
        ));
    }
    t
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let text = template();
    let size = text.len();
    // Memory first, while this process is small: a child starts as a copy
    // of it, and the kernel counts that copy in the child's peak too.
    let dir = tempfile::Builder::new()
        .prefix("runsheet-bench-")
        .tempdir()
        .expect("a temporary directory");
    let big = dir.path().join("fleet.md");
    std::fs::write(&big, &text).expect("write the template");
    let tiny = dir.path().join("tiny.md");
    std::fs::write(&tiny, "---\nrunsheet: {vars: {x: 1}}\n---\n{{ x }}\n").expect("write");
    let own = own_peak_rss();
    let bin = runsheet_binary();
    // The tiny one first: the kernel gives the largest of the ended children.
    let baseline = peak_rss(&bin, &tiny);
    let peak = peak_rss(&bin, &big);
    assert!(
        baseline > own && peak > baseline,
        "peaks: this process {own} bytes, tiny render {baseline}, large render {peak}: \
         each must be above the one before to be its own"
    );

    let source = Source::from_text(Path::new("fleet.md"), text);
    let inputs = Inputs::default();
    let secrets = Secrets::new(&[]);
    let runners = Runners::new();
    let render_with = |lines: bool| {
        template::render(
            &source,
            &inputs,
            &secrets,
            &runners,
            Some("2026-11-21T05:10:03Z"),
            lines,
        )
        .expect("the bench template renders")
        .expect("the bench template is a template")
    };
    let render = || render_with(false);

    // The first render's peak is the largest this process has held: what
    // it held before, and its peak, give what the render itself took.
    let held = HEAP.allocated();
    let highest_before = HEAP.max_allocated();
    let first = render();
    let heap_peak = HEAP.max_allocated();
    assert!(
        heap_peak > highest_before,
        "the render's peak heap ({heap_peak} bytes) must be above any before it ({highest_before})"
    );
    let render_heap = heap_peak - held;
    let rendered = Source::from_text(Path::new("fleet.md"), first.text.clone());
    let book = runsheet::doc::parse(&rendered);
    let restarts = book
        .steps
        .iter()
        .filter(|s| s.id().starts_with("restart-host-"))
        .count();
    assert_eq!(restarts, ITERATIONS, "one named block per loop iteration");
    drop(book);

    let mut times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let r = render();
        times.push(start.elapsed());
        drop(r);
    }
    let render_time = median(times);

    // The render `plan` and `run` make: with the template's lines.
    let mapped = render_with(true).lines.map_or(0, |m| m.len());
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let r = render_with(true);
        times.push(start.elapsed());
        drop(r);
    }
    let lines_time = median(times);

    let mut times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let book = runsheet::doc::parse(&rendered);
        let plan = runsheet::plan::text("fleet.md", &book);
        times.push(start.elapsed());
        drop((book, plan));
    }
    let plan_time = median(times);

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let factor = peak as f64 / size as f64;
    let above = peak.saturating_sub(baseline) as f64 / size as f64;
    println!(
        "template: {size} bytes, {ITERATIONS} loop iterations; rendered: {} bytes, {} steps",
        first.text.len(),
        runsheet::doc::parse(&rendered).steps.len()
    );
    println!("render (median of {RUNS}): {:.1} ms", ms(render_time));
    println!(
        "render with the template's lines, as plan, run and resume make it (median of {RUNS}): {:.1} ms, \
         {mapped} lines mapped",
        ms(lines_time)
    );
    println!(
        "`runsheet render` peak RSS: {:.1} MB, {factor:.1}× the template ({:.1} MB for a tiny template; {above:.1}× above that)",
        peak as f64 / 1e6,
        baseline as f64 / 1e6
    );
    println!(
        "render's peak heap in this process: {:.1} MB above the {:.1} MB held before it (the template, its line table and the bench's own), {:.1}× the template",
        render_heap as f64 / 1e6,
        held as f64 / 1e6,
        render_heap as f64 / size as f64
    );
    println!(
        "plan on the rendered runbook (median of {RUNS}): {:.1} ms; render / plan = {:.2}",
        ms(plan_time),
        ms(render_time) / ms(plan_time)
    );
    let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
    // What the render takes is its peak heap with the template it reads;
    // the process's whole RSS also counts the binary's own footprint (the
    // tiny render's), the same for a template of any size.
    let own = (render_heap + size) as f64 / size as f64;
    println!(
        "budget: render < {BUDGET_MS} ms: {}; memory < {BUDGET_MEMORY_FACTOR}× the template: {} by what the \
         render takes (peak heap with the template, {own:.1}×; RSS above the tiny render, {above:.1}×: {}); \
         the whole process's RSS with the binary's own footprint is {factor:.1}×",
        verdict(ms(render_time) < BUDGET_MS),
        verdict(own < BUDGET_MEMORY_FACTOR),
        verdict(above < BUDGET_MEMORY_FACTOR)
    );
}

/// The release binary: the one `cargo bench` built, else target/release.
fn runsheet_binary() -> PathBuf {
    if let Some(path) = option_env!("CARGO_BIN_EXE_runsheet") {
        return PathBuf::from(path);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/runsheet")
}

/// This process's peak resident memory so far (`VmHWM`).
fn own_peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .expect("VmHWM in /proc/self/status")
        * 1024
}

/// Peak resident memory of `runsheet render FILE`: the kernel's high-water
/// mark (`ru_maxrss`) of the children this process has waited for, the
/// largest of them, so a smaller one must be measured before a larger one.
fn peak_rss(bin: &Path, file: &Path) -> u64 {
    let status = Command::new(bin)
        .args(["render", "--show-secrets"])
        .arg(file)
        .stdout(Stdio::null())
        .status()
        .expect("run runsheet render");
    assert!(
        status.success(),
        "runsheet render {}: {status}",
        file.display()
    );
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("the resource usage of children");
    // Kilobytes on Linux.
    u64::try_from(usage.max_rss()).expect("a size") * 1024
}
