//! The run record as JSON, with the version of its schema.

use std::cell::Cell;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

use crate::record::{
    Counts, RunInfo, RunRecord, RunState, SectionRecord, StepRecords, UNFINISHED, Unfolded,
};

/// The version of the report's JSON; documented in the book.
pub const SCHEMA: &str = "runsheet-report/1";

#[derive(Serialize)]
struct Report<'a> {
    schema: &'static str,
    /// The exit code `run` or `resume` ended (or would end) with.
    exit_code: i32,
    /// Whether the transcript read is the one its run wrote: false when
    /// what is left once the markers are taken out is not the runbook the
    /// run recorded (its sha256), so steps may be missing or altered.
    intact: bool,
    #[serde(flatten)]
    record: &'a RunRecord,
}

/// `record`, the record of a run as it ended, as pretty-printed JSON,
/// ending in a line feed.
pub fn json(record: &RunRecord) -> String {
    let mut out = Vec::new();
    write_json(record, &mut out).expect("a run record serialises");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// `json`, written to `out` as it is made: ten thousand steps need not be
/// held as text too. The record is the one its run made, so intact.
pub fn write_json(record: &RunRecord, out: impl Write) -> io::Result<()> {
    let report = Report {
        schema: SCHEMA,
        exit_code: exit_code(&record.run, &record.counts),
        intact: true,
        record,
    };
    serialize(&report, out)
}

/// `write_json` of the record `unfolded` makes: each step's record made,
/// written and dropped in turn, so that they are never all held at once.
/// `intact`: the transcript read is the one its run wrote (its sha256).
pub fn write_json_unfolded(unfolded: Unfolded, intact: bool, out: impl Write) -> io::Result<()> {
    let Unfolded {
        run,
        counts,
        sections,
        steps,
    } = unfolded;
    let report = Streamed {
        schema: SCHEMA,
        exit_code: exit_code(&run, &counts),
        intact,
        run: &run,
        counts: &counts,
        steps: Once(Cell::new(Some(steps))),
        sections: &sections,
    };
    serialize(&report, out)
}

/// The report of `Report` with its steps made as they are written: the
/// same fields in the same order (JSON writes a flattened struct as it
/// writes a struct).
#[derive(Serialize)]
struct Streamed<'a, 'b> {
    schema: &'static str,
    exit_code: i32,
    intact: bool,
    run: &'a RunInfo,
    counts: &'a Counts,
    steps: Once<StepRecords<'b>>,
    #[serde(skip_serializing_if = "no_sections")]
    sections: &'a [SectionRecord],
}

/// `RunRecord`'s test for leaving its sections out.
fn no_sections(sections: &&[SectionRecord]) -> bool {
    sections.is_empty()
}

/// A sequence written from an iterator, taken the one time it is written.
struct Once<I>(Cell<Option<I>>);

impl<I: Iterator<Item = T>, T: Serialize> Serialize for Once<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.take().into_iter().flatten())
    }
}

/// The exit code `run` or `resume` ended (or would end) with; for a run
/// that has not ended (a transcript copied while it ran, or left by a
/// runsheet that was killed), `UNFINISHED`: what its steps say so far is
/// not how it ended, and 0 or 3 would pass it as finished.
fn exit_code(run: &RunInfo, counts: &Counts) -> i32 {
    match run.state {
        RunState::Running => UNFINISHED,
        state => counts.exit_code(state == RunState::Interrupted),
    }
}

/// `report` as pretty-printed JSON and a line feed, written to `out`
/// through a buffer of its own: the serializer writes a few bytes at a
/// time, and `out` may be a `dyn Write` that cannot take them inline.
fn serialize(report: &impl Serialize, out: impl Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut json = serde_json::Serializer::with_formatter(&mut out, Pretty::default());
    report.serialize(&mut json)?;
    out.write_all(b"\n")?;
    out.flush()
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
