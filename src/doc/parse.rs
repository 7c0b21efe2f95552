//! Markdown to `Runbook`: the document's events (read whole, or in pieces
//! when it is large) walked into steps, then checked as a whole.

use super::decide;
use super::lint;
use super::markdown;
use super::model::{Runbook, to32};
use super::pieces;
use super::walk::Walker;
pub use crate::exec::runner::Runners;
use crate::linemap::LineMap;
use crate::source::Source;

/// How much a parse works out besides the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// The steps and every check on them: what `plan`, `run` and `resume` use.
    Full,
    /// The same steps (ids, kinds, lines, headings, text, code, sections),
    /// without what only running or checking a document reads: the
    /// destructive-command guard's findings, the scan for secrets written
    /// in it and the checks over the whole document. Mojibake is still
    /// repaired, since that changes the steps' text. For reading what a
    /// run did back from its transcript.
    Steps,
}

/// Parses a document into its steps with the built-in runners.
pub fn parse(source: &Source) -> Runbook {
    parse_with(source, &Runners::new())
}

/// Parses a small document of every kind of step once, so that what the
/// parser compiles the first time it needs it (the destructive-command
/// guard's patterns, the secret shapes, the section words; as much of it as
/// a parse to `depth` uses) is built: for a second core to do while the
/// first reads something else.
pub fn warm_up(depth: Depth) {
    const DOCUMENT: &str = "# Deploy\n\n- [ ] Ask `Yes / No`\n\n```bash\n\
        TOKEN=abcdefghijkl psql -c 'drop table t' <db-name>\n```\n\n\
        ## Rollback\n\nIf it fails, do this instead.\n";
    let source = Source::from_text(std::path::Path::new("warm-up.md"), DOCUMENT.into());
    let _ = parse_in(&source, &Runners::new(), None, depth);
}

/// Parses a document into its steps. Pure: never fails; problems become diagnostics.
pub fn parse_with(original: &Source, runners: &Runners) -> Runbook {
    parse_to(original, runners, Depth::Full)
}

/// `parse_with`, working out as much as `depth` says.
pub fn parse_to(original: &Source, runners: &Runners, depth: Depth) -> Runbook {
    parse_in(
        original,
        runners,
        pieces::piece_size(original.text.len()),
        depth,
    )
}

/// `parse_with`, with the Markdown parser run on pieces of at least `piece`
/// bytes rather than on the whole document (`None`): see `pieces`. A document
/// that cannot be cut safely is read whole whatever `piece` says.
pub fn parse_pieces(original: &Source, runners: &Runners, piece: Option<usize>) -> Runbook {
    parse_in(original, runners, piece, Depth::Full)
}

/// `parse_pieces`, working out as much as `depth` says.
fn parse_in(original: &Source, runners: &Runners, piece: Option<usize>, depth: Depth) -> Runbook {
    let converted = original.for_parser();
    let source: &Source = &converted;
    let base = source.body_offset();
    let body = &source.text[base..];
    let walk = Walker::new(source, runners, base, depth);
    let scan = || match depth {
        Depth::Full => crate::secrets::literal_secrets(&source.text),
        Depth::Steps => Vec::new(),
    };
    let options = markdown::options(body);
    let (mut book, secrets) = match piece {
        Some(piece) if pieces::may_cut(body, options) => {
            // A second thread reads the pieces while this one walks the
            // events of those it has read; then the second scans the text
            // for secrets while this one works out what follows from the
            // steps.
            pieces::read_aside(
                body,
                options,
                piece,
                walk,
                |walk, at, events| {
                    for (event, range) in events.drain(..) {
                        walk.event(event, range.start + base + at..range.end + base + at);
                    }
                },
                scan,
                Walker::finish,
            )
        }
        _ => {
            let mut walk = walk;
            for (event, range) in markdown::events_with(body, options) {
                walk.event(event, range.start + base..range.end + base);
            }
            (walk.finish(), scan())
        }
    };
    // A template's rendering: from here on, lines are the template's (the
    // walk read lines of the text, the one place that needs them).
    if let Some(map) = original.origin() {
        relocate(&mut book, map);
    }
    match depth {
        Depth::Full => lint::check(source, &mut book, base, secrets),
        Depth::Steps => lint::repair(source, &mut book),
    }
    decide::classify(&mut book, &decide::ChoiceWords::default());
    book
}

/// Gives every line `book` holds as the file its text was made from
/// numbers it: `map` says which line each line of the text came from.
fn relocate(book: &mut Runbook, map: &LineMap) {
    for step in &mut book.steps {
        step.line = to32(map.line(step.line()));
    }
    for section in &mut book.sections {
        section.line = map.line(section.line);
    }
    for group in &mut book.groups {
        group.line = map.line(group.line);
        for option in &mut group.options {
            option.line = map.line(option.line);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::doc::StepKind;

    #[test]
    fn bare_carriage_returns_end_lines_and_offsets_stay_the_sources() {
        let text = "# A\r- [ ] one\r```bash\r\r echo 1\r```\r";
        let book = parse(&Source::from_text(Path::new("t.md"), text.to_string()));
        let found: Vec<_> = book.steps.iter().map(|s| (s.kind_name(), s.line)).collect();
        assert_eq!(found, [("task", 2), ("command", 3)]);
        assert_eq!(&text[book.steps[0].span()], "[ ]");
        assert_eq!(&*book.steps[1].heading, ["A"]);
    }

    #[test]
    fn a_parse_to_steps_gives_the_steps_a_full_parse_gives() {
        // A destructive block, a secret written in the text, a name used
        // twice, a choice, a placeholder, sections and mojibake.
        let text = "# Deploy\n\n- [ ] Ship it `Yes / No`\n\n  ```bash {name=a}\n  \
            TOKEN=abcdefghijkl psql -c 'drop table t' <db-name>\n  ```\n\n\
            ```bash {name=a}\nrm -rf /var/lib/app\n```\n\n\
            ## Rollback\n\nIf it fails, undo it.\n\n- [x] Close the cafÃ©\n";
        let source = Source::from_text(Path::new("t.md"), text.to_string());
        let runners = Runners::new();
        let full = parse_to(&source, &runners, Depth::Full);
        let steps = parse_to(&source, &runners, Depth::Steps);
        assert!(full.diagnostics.len() >= 3, "{:?}", full.diagnostics);
        let guarded: Vec<_> = full.steps.iter().filter_map(|s| s.command()).collect();
        assert!(guarded.iter().any(|c| !c.destructive().is_empty()));
        // The same steps, less what the guard found.
        let mut without_guard = full.steps.clone();
        for step in &mut without_guard {
            if let StepKind::Command(c) = &mut step.kind {
                c.set_destructive(Vec::new());
            }
        }
        assert_eq!(format!("{without_guard:?}"), format!("{:?}", steps.steps));
        assert!(steps.steps.iter().any(|s| s.text.contains("café")));
        assert_eq!(
            format!("{:?}", full.sections),
            format!("{:?}", steps.sections)
        );
        assert_eq!(format!("{:?}", full.groups), format!("{:?}", steps.groups));
    }
}
