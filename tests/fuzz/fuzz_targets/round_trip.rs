//! The run→strip round trip: see `checks/round_trip.rs`.
//!
//! The check itself is shared with `cargo test`, which replays the seeds and
//! every regression kept under `regressions/round_trip/`.

#![no_main]

#[path = "../checks/round_trip.rs"]
mod round_trip;

libfuzzer_sys::fuzz_target!(|input: &[u8]| round_trip::check(input));
