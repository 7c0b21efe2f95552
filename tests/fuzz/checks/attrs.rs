//! Fence info strings: `parse_info` must never panic, and what it accepts
//! must be consistent.

use runsheet::doc::attrs::{duration, parse_info};

/// Checks one input; panics where the info-string parser breaks a promise.
pub fn check(bytes: &[u8]) {
    let Ok(info) = std::str::from_utf8(bytes) else {
        return;
    };
    match parse_info(info) {
        Ok((lang, _)) => assert!(!lang.chars().any(char::is_whitespace), "{lang:?}"),
        // The offset places a caret in the document: it must fall on a character.
        Err(e) => assert!(
            info.is_char_boundary(e.offset),
            "error offset {} is not a character boundary of {info:?}",
            e.offset
        ),
    }
    let _ = duration(info);
}
