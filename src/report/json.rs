//! The run record as JSON, with the version of its schema.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

use crate::record::{RunRecord, RunState};

/// The version of the report's JSON; documented in the book.
pub const SCHEMA: &str = "runsheet-report/1";

#[derive(Serialize)]
struct Report<'a> {
    schema: &'static str,
    /// The exit code `run` or `resume` ended (or would end) with.
    exit_code: i32,
    #[serde(flatten)]
    record: &'a RunRecord,
}

/// `record` as pretty-printed JSON, ending in a line feed.
pub fn json(record: &RunRecord) -> String {
    let mut out = Vec::new();
    write_json(record, &mut out).expect("a run record serialises");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// `json`, written to `out` as it is made: ten thousand steps need not be
/// held as text too.
pub fn write_json(record: &RunRecord, mut out: impl Write) -> io::Result<()> {
    let report = Report {
        schema: SCHEMA,
        exit_code: record
            .counts
            .exit_code(record.run.state == RunState::Interrupted),
        record,
    };
    let mut json = serde_json::Serializer::with_formatter(&mut out, Pretty::default());
    report.serialize(&mut json)?;
    out.write_all(b"\n")
}

/// A line break and the indentation after it, for up to `DEEPEST` levels.
const BREAKS: &[u8] = b",\n                                                                ";
const DEEPEST: usize = (BREAKS.len() - 2) / 2;

/// serde_json's `PrettyFormatter` (two spaces a level), byte for byte, with
/// each line break and its indentation written at once: a report of ten
/// thousand steps has a quarter of a million lines, and the pretty
/// formatter writes each level of each line's indentation apart.
#[derive(Default)]
struct Pretty {
    current_indent: usize,
    has_value: bool,
}

impl Pretty {
    /// A line break (after a comma unless `first`) and the indentation of
    /// the current level.
    fn line<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        let from = usize::from(first);
        if self.current_indent <= DEEPEST {
            w.write_all(&BREAKS[from..2 + 2 * self.current_indent])
        } else {
            w.write_all(&BREAKS[from..2])?;
            (0..self.current_indent).try_for_each(|_| w.write_all(b"  "))
        }
    }
}

impl Pretty {
    /// An array or object begins: one level deeper, nothing in it yet.
    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.current_indent += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// It ends: on a line of its own when it held anything.
    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.current_indent -= 1;
        if self.has_value {
            self.line(w, true)?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nested past the depth the breaks are written at once for, and empty
    /// arrays and objects at every level.
    fn nested(depth: usize) -> serde_json::Value {
        let mut v = serde_json::json!({"a": [], "b": {}, "c": "x\n\"y\"", "d": [1, null]});
        for n in 0..depth {
            v = serde_json::json!({"level": n, "inner": [{"v": v}], "e": []});
        }
        v
    }

    #[test]
    fn the_formatter_writes_what_the_pretty_formatter_writes() {
        for depth in [0, 1, 5, DEEPEST / 2 + 2] {
            let value = nested(depth);
            let mut ours = Vec::new();
            value
                .serialize(&mut serde_json::Serializer::with_formatter(
                    &mut ours,
                    Pretty::default(),
                ))
                .unwrap();
            let theirs = serde_json::to_vec_pretty(&value).unwrap();
            assert_eq!(String::from_utf8(ours), String::from_utf8(theirs));
        }
    }
}
