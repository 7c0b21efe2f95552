//! Templates: see `checks/template.rs`.
//!
//! The check itself is shared with `cargo test`, which replays the seeds and
//! every regression kept under `regressions/template/`.

#![no_main]

#[path = "../checks/template.rs"]
mod template;

libfuzzer_sys::fuzz_target!(|input: &[u8]| template::check(input));
