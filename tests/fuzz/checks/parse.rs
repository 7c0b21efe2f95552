//! Any bytes as a document: reading them must give a document or an error,
//! and parsing any text (and printing its plan) must not panic.

use std::path::Path;

use runsheet::doc::parse::{Runners, parse_pieces};
use runsheet::doc::{mojibake, parse};
use runsheet::plan;
use runsheet::source::Source;

/// Checks one input; panics where the parser breaks a promise.
pub fn check(bytes: &[u8]) {
    let path = Path::new("fuzz.md");
    let _ = Source::from_bytes(path, bytes.to_vec());
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let source = Source::from_text(path, text.to_string());
    let book = parse(&source);
    // Large documents are parsed in pieces cut before headings; with pieces as
    // small as can be, cutting before every heading it may, the document must
    // read exactly as it does whole.
    let runners = Runners::new();
    let whole = format!("{:?}", parse_pieces(&source, &runners, None));
    let pieces = format!("{:?}", parse_pieces(&source, &runners, Some(1)));
    assert!(
        whole == pieces,
        "parsed in pieces, the document reads differently:\n{text:?}\nwhole:  {whole}\npieces: {pieces}"
    );
    for step in &book.steps {
        assert!(
            step.span.start <= step.span.end && step.span().end <= text.len(),
            "step {} span {:?} outside a {}-byte document",
            step.id(),
            step.span,
            text.len()
        );
        let _ = source.position(step.span().start);
        if let Some(command) = step.command() {
            let _ = command.script();
        }
    }
    let _ = plan::text("fuzz.md", &book);
    let _ = plan::json(&book);
    let _ = mojibake::repair(text);
}
