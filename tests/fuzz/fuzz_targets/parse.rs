//! The document parser: see `checks/parse.rs`.
//!
//! The check itself is shared with `cargo test`, which replays the seeds and
//! every regression kept under `regressions/parse/`.

#![no_main]

#[path = "../checks/parse.rs"]
mod parse;

libfuzzer_sys::fuzz_target!(|input: &[u8]| parse::check(input));
