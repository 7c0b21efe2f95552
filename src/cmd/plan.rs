//! `runsheet plan`: the steps runsheet finds, with warnings; runs nothing.

use std::io::Write;
use std::path::Path;

use super::{load, print_out};
use crate::cli::Format;
use crate::config::Config;
use crate::doc;
use crate::error::Result;
use crate::template::Inputs;

/// Prints the plan of `file` (a template rendered with `inputs`, the
/// variables `secret_names` names masked too); 0 when clean, 1 when it found errors, 2 (an `Err`) when there is no document to
/// look at: the file is missing, unreadable, a directory, not a file.
pub fn plan(
    file: &Path,
    format: Format,
    answers_template: bool,
    inputs: &Inputs,
    secret_names: &[String],
) -> Result<i32> {
    // A file that cannot be read at all is 2, as for `run`; what is wrong
    // in a document (or its runsheet.toml) is an error found: 1.
    let found = |e: crate::error::Error| -> Result<i32> {
        if unreadable(&e) {
            return Err(e);
        }
        e.report();
        Ok(1)
    };
    // The walk needs the guard's and the waits' patterns at the first block
    // and step, the secret scan its own after the parse: they are built on
    // another core while the file is read (a search of nothing builds each
    // pattern and readies it for searching).
    std::thread::spawn(|| {
        crate::guard::destructive("");
        crate::doc::waits::stated("");
        crate::secrets::literal_secrets("");
    });
    let config = match Config::load(file) {
        Ok(config) => config,
        Err(e) => return found(e),
    };
    let loaded = match load(file, inputs, &config, secret_names) {
        Ok(loaded) => loaded,
        Err(e) => return found(e),
    };
    let source = loaded.source;
    let mut book = doc::parse_with(&source, &config.runners);
    doc::configure(&mut book, &config.contingency);
    doc::decide::classify(&mut book, &config.choices);
    if let Some(r) = &loaded.rendered {
        // Where `|raw` wrote a value unquoted: listed with the warnings.
        book.diagnostics.extend(r.notes.iter().cloned());
    }
    // What follows reads the steps, not the text: the text (as large as the
    // document) is let go of before the plan is made, which is when the
    // most is held.
    let name = source.display_path();
    drop(source);
    if answers_template {
        print_out(crate::operator::answers::template(&book).as_bytes());
    } else if format == Format::Json {
        print_out(crate::plan::json(&book).as_bytes());
    } else {
        // Written as it is made: the plan of a large runbook is not held whole.
        let mut out = Streamed(std::io::BufWriter::new(std::io::stdout().lock()));
        let _ = crate::plan::write_text(&mut out, &name, &book);
        let _ = out.0.flush();
    }
    let code = if book.has_errors() { 1 } else { 0 };
    // The process ends next: freeing every step one by one is time spent on
    // nothing anyone sees.
    std::mem::forget(book);
    Ok(code)
}

/// Text written to `W` as it comes; a write that fails (a closed pipe) stops it.
struct Streamed<W: Write>(W);

impl<W: Write> std::fmt::Write for Streamed<W> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.write_all(s.as_bytes()).map_err(|_| std::fmt::Error)
    }
}

/// Whether `e` says there is no document to read (not what is in one).
fn unreadable(e: &crate::error::Error) -> bool {
    use crate::error::Error;
    matches!(
        e,
        Error::Read { .. }
            | Error::IsDirectory { .. }
            | Error::NotAFile { .. }
            | Error::TooLarge { .. }
    )
}
