//! The fence info-string parser: see `checks/attrs.rs`.
//!
//! The check itself is shared with `cargo test`, which replays the seeds and
//! every regression kept under `regressions/attrs/`.

#![no_main]

#[path = "../checks/attrs.rs"]
mod attrs;

libfuzzer_sys::fuzz_target!(|input: &[u8]| attrs::check(input));
