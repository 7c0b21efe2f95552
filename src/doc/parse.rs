//! Markdown to `Runbook`: the document's events (read whole, or in pieces
//! when it is large) walked into steps, then checked as a whole.

use super::decide;
use super::lint;
use super::markdown;
use super::model::Runbook;
use super::pieces;
use super::walk::Walker;
pub use crate::exec::runner::Runners;
use crate::source::Source;

/// Parses a document into its steps with the built-in runners.
pub fn parse(source: &Source) -> Runbook {
    parse_with(source, &Runners::new())
}

/// Parses a small document of every kind of step once, so that what the
/// parser compiles the first time it needs it (the destructive-command
/// guard's patterns, the secret shapes, the section words) is built: for a
/// second core to do while the first reads something else.
pub fn warm_up() {
    const DOCUMENT: &str = "# Deploy\n\n- [ ] Ask `Yes / No`\n\n```bash\n\
        TOKEN=abcdefghijkl psql -c 'drop table t' <db-name>\n```\n\n\
        ## Rollback\n\nIf it fails, do this instead.\n";
    let source = Source::from_text(std::path::Path::new("warm-up.md"), DOCUMENT.into());
    let _ = parse(&source);
}

/// Parses a document into its steps. Pure: never fails; problems become diagnostics.
pub fn parse_with(original: &Source, runners: &Runners) -> Runbook {
    parse_pieces(original, runners, pieces::piece_size(original.text.len()))
}

/// `parse_with`, with the Markdown parser run on pieces of at least `piece`
/// bytes rather than on the whole document (`None`): see `pieces`. A document
/// that cannot be cut safely is read whole whatever `piece` says.
pub fn parse_pieces(original: &Source, runners: &Runners, piece: Option<usize>) -> Runbook {
    let converted = original.for_parser();
    let source: &Source = &converted;
    let base = source.body_offset();
    let body = &source.text[base..];
    let mut walk = Walker::new(source, runners, base);
    let options = markdown::options(body);
    let secrets = match piece {
        Some(piece) if pieces::may_cut(body, options) => {
            // A second thread reads the pieces (and then scans the text for
            // secrets) while this one walks the events of those it has read.
            pieces::read_aside(
                body,
                options,
                piece,
                |at, events| {
                    for (event, range) in events.drain(..) {
                        walk.event(event, range.start + base + at..range.end + base + at);
                    }
                },
                || crate::secrets::literal_secrets(&source.text),
            )
        }
        _ => {
            for (event, range) in markdown::events_with(body, options) {
                walk.event(event, range.start + base..range.end + base);
            }
            crate::secrets::literal_secrets(&source.text)
        }
    };
    let mut book = walk.finish();
    lint::check(source, &mut book, base, secrets);
    decide::classify(&mut book, &decide::ChoiceWords::default());
    book
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn bare_carriage_returns_end_lines_and_offsets_stay_the_sources() {
        let text = "# A\r- [ ] one\r```bash\r\r echo 1\r```\r";
        let book = parse(&Source::from_text(Path::new("t.md"), text.to_string()));
        let found: Vec<_> = book.steps.iter().map(|s| (s.kind_name(), s.line)).collect();
        assert_eq!(found, [("task", 2), ("command", 3)]);
        assert_eq!(&text[book.steps[0].span.clone()], "[ ]");
        assert_eq!(&*book.steps[1].heading, ["A"]);
    }
}
