//! The minijinja environment a runbook is rendered in: strict undefined
//! values, includes from the runbook's folder only, `|raw`, `now()` and
//! `|date`, `env.NAME`; and every value written out as a numbered stand-in,
//! so that it is quoted once it is known where it landed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value, ValueKind};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, OutputSpan, UndefinedBehavior};

/// Opens a stand-in for a value in the rendered text (a Unicode
/// noncharacter: never in a document, refused if one is).
pub const OPEN: char = '\u{FDD0}';
/// Closes a stand-in.
pub const CLOSE: char = '\u{FDD1}';

/// Where `text` first holds OPEN or CLOSE. Both are encoded EF B7 9x: one
/// SIMD search for the two bytes they share. A search for either of two
/// chars decodes the text char by char, about 4 ms for a 1.9 MB rendering
/// against 0.1–0.3 ms, and a large template is searched before and after.
pub fn reserved(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, &[0xEF, 0xB7])
        .find(|&i| matches!(bytes.get(i + 2), Some(0x90 | 0x91)))
}

/// What `{{ ... }}` produced, kept aside until it is known where it landed.
#[derive(Debug, Clone, Copy)]
pub struct Piece<'p> {
    pub text: &'p str,
    /// Written through `|raw`: never quoted.
    pub raw: bool,
    /// A list or map rather than one value.
    pub compound: bool,
}

/// Every piece of a render, their texts end to end in one string: a render
/// writes tens of thousands of values, and one allocation each would cost
/// more than the rest of keeping them.
#[derive(Debug, Default)]
pub struct Pieces {
    text: String,
    /// End of each piece's text in `text`.
    ends: Vec<u32>,
    /// Each piece's `raw`/`compound` flags: apart from `ends`, which a
    /// tuple would pad to eight bytes a piece.
    flags: Vec<u8>,
}

const RAW: u8 = 1;
const COMPOUND: u8 = 2;

impl Pieces {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of all pieces' texts.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    pub fn get(&self, index: usize) -> Option<Piece<'_>> {
        let (&end, &flags) = self.ends.get(index).zip(self.flags.get(index))?;
        let start = index
            .checked_sub(1)
            .and_then(|i| self.ends.get(i))
            .map_or(0, |&end| end);
        Some(Piece {
            text: self.text.get(start as usize..end as usize)?,
            raw: flags & RAW != 0,
            compound: flags & COMPOUND != 0,
        })
    }

    /// Adds a piece; its index. `None` when the texts outgrow 4 GiB.
    fn push(&mut self, value: impl std::fmt::Display, raw: bool, compound: bool) -> Option<usize> {
        use std::fmt::Write as _;
        let _ = write!(self.text, "{value}");
        self.end(raw, compound)
    }

    /// `push` for a string, without the formatting machinery: most values
    /// are strings.
    pub(super) fn push_str(&mut self, text: &str, raw: bool, compound: bool) -> Option<usize> {
        self.text.push_str(text);
        self.end(raw, compound)
    }

    /// Ends the piece whose text was just written.
    fn end(&mut self, raw: bool, compound: bool) -> Option<usize> {
        let end = u32::try_from(self.text.len()).ok()?;
        self.ends.push(end);
        self.flags
            .push((u8::from(raw) * RAW) | (u8::from(compound) * COMPOUND));
        Some(self.ends.len() - 1)
    }
}

/// A render's output: the text with stand-ins, where each piece of output
/// came from, and the values.
pub struct Rendering {
    pub text: String,
    pub spans: Vec<OutputSpan>,
    pub pieces: Pieces,
    /// The text of every file read, by template name.
    pub files: BTreeMap<String, String>,
    /// What each `env.NAME` the template read gave, by name.
    pub env_read: BTreeMap<String, String>,
    /// The variables the template and the files it included read.
    pub reads: BTreeSet<String>,
}

/// A value written through `|raw`.
#[derive(Debug)]
struct Raw(String);

impl Object for Raw {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What stands in for a variable that is not set, in a render that only
/// looks for the next one that is not set either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// `Unset`, which stands for anything but a number.
    Anything,
    /// 0, for a name `Unset` could not stand for (`replicas + 1`).
    Number,
}

impl Missing {
    pub fn value(self) -> Value {
        match self {
            Missing::Anything => Unset::value(),
            Missing::Number => Value::from(0),
        }
    }
}

/// A stand-in for a variable that is not set, in a render that only looks
/// for the next one that is not set either: any key or item of it is
/// itself, it is false, it iterates as itself once (so that the body of a
/// loop over it, and `first` of it, are looked into too) and writes nothing.
#[derive(Debug)]
pub struct Unset;

impl Unset {
    pub fn value() -> Value {
        Value::from_object(Unset)
    }
}

impl Object for Unset {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }
    fn get_value(self: &Arc<Self>, _key: &Value) -> Option<Value> {
        Some(Unset::value())
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(vec![Unset::value()])
    }
    fn is_true(self: &Arc<Self>) -> bool {
        false
    }
    fn render(self: &Arc<Self>, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

/// `env.NAME`: the process environment, then what a `.env` file set; what
/// was read is kept, for masking the secrets among it. Stand-ins for some
/// names come first (see `Env::stand_ins`).
#[derive(Debug)]
struct Environ(
    BTreeMap<String, String>,
    Arc<Mutex<BTreeMap<String, String>>>,
    BTreeMap<String, String>,
);

impl Object for Environ {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        let value = self
            .2
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
            .or_else(|| self.0.get(name).cloned())?;
        self.1
            .lock()
            .expect("the env list is never poisoned")
            .insert(name.to_string(), value.clone());
        Some(Value::from(value))
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::NonEnumerable
    }
}

/// Why a loader refused a name; read back by the error module.
pub const OUTSIDE: &str = "outside the runbook's folder";

/// The runbook's text as a render takes it: `body` (named `name`), its
/// output after `lead` (text that holds no template syntax, written as it
/// is). Includes are read from `dir` and below.
pub struct Text<'a> {
    pub name: &'a str,
    pub lead: &'a str,
    pub body: &'a str,
    pub dir: &'a Path,
}

/// What `env.NAME` gives in a render.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// What a `.env` file set, seen after the process environment.
    pub dotenv: BTreeMap<String, String>,
    /// Values given instead of the real ones: the stand-ins for secrets of
    /// a second render that finds where they went (see `super::derived`).
    pub stand_ins: BTreeMap<String, String>,
}

/// Renders `text` with `context`. `now` is what `now()` gives. `spans`:
/// also say where each piece of output came from (slower, and only needed
/// to point at a value that cannot be written).
pub fn render(
    text: Text<'_>,
    context: Value,
    now: &str,
    environ: Env,
    spans: bool,
) -> Result<Rendering, (Error, BTreeMap<String, String>)> {
    let Text {
        name,
        lead,
        body,
        dir,
    } = text;
    let pieces: Arc<Mutex<Pieces>> = Arc::default();
    let files: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // No `trim_blocks` or `lstrip_blocks`: they act on every block tag,
    // also one that shares its line with text; a line of only tags is
    // taken out before (see `tagline`).
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    // A custom mode, so captured output (macros, `{% filter %}`) comes back
    // marked safe: it is template text with stand-ins, already handled.
    env.set_auto_escape_callback(|_| AutoEscape::Custom("runsheet".into()));
    let sink = pieces.clone();
    env.set_formatter(move |out, _state, value| {
        if value.is_safe() {
            return out.write_str(value.as_str().unwrap_or_default()).map_err(Error::from);
        }
        let mut all = sink.lock().expect("the piece list is never poisoned");
        let index = if let Some(raw) = value.downcast_object_ref::<Raw>() {
            all.push_str(&raw.0, true, false)
        } else {
            match value.kind() {
                // A string's text is what it displays as.
                ValueKind::String => all.push_str(value.as_str().unwrap_or_default(), false, false),
                ValueKind::None => {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "this value is null (nothing was set); runsheet never writes an empty value silently",
                    ));
                }
                ValueKind::Undefined => {
                    return Err(Error::new(ErrorKind::UndefinedError, "undefined value"));
                }
                kind => all.push(
                    value,
                    false,
                    matches!(kind, ValueKind::Seq | ValueKind::Map | ValueKind::Iterable),
                ),
            }
        };
        drop(all);
        let Some(index) = index else {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "the values written add up to more than 4 GiB",
            ));
        };
        stand_in(out, index)
    });
    // The folder must be absolute and real for the "never outside" check:
    // a runbook named without a folder lives in the current one.
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let root = dir.canonicalize().map_err(|e| {
        (
            Error::new(
                ErrorKind::InvalidOperation,
                format!("cannot read the runbook's folder {}: {e}", dir.display()),
            ),
            BTreeMap::new(),
        )
    })?;
    let read = files.clone();
    env.set_loader(move |name| load(&root, name, &read));
    env.add_filter("raw", |value: Value| {
        Value::from_object(Raw(value.to_string()))
    });
    env.add_filter("safe", |_: Value| -> Result<Value, Error> {
        Err(Error::new(
            ErrorKind::InvalidOperation,
            "`|safe` is HTML's notion and does nothing for a runbook; runsheet quotes values \
             for the block they land in, and `|raw` writes one unquoted",
        ))
    });
    env.add_filter("tojson", |value: Value| -> Result<Value, Error> {
        serde_json::to_string(&value)
            .map(Value::from)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
    });
    env.add_filter("date", date);
    let now = now.to_string();
    env.add_function("now", move || now.clone());
    let env_read: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    env.add_global(
        "env",
        Value::from_object(Environ(environ.dotenv, env_read.clone(), environ.stand_ins)),
    );

    let mut reads = BTreeSet::new();
    let result = env.template_from_named_str(name, body).and_then(|t| {
        reads.extend(t.undeclared_variables(false));
        if spans {
            t.render_with_spans(context)
        } else {
            t.render(context).map(|text| (text, Vec::new()))
        }
    });
    let files = files.lock().expect("never poisoned").clone();
    // What the files it included read too (each is loaded already).
    for included in files.keys() {
        if let Ok(t) = env.get_template(included) {
            reads.extend(t.undeclared_variables(false));
        }
    }
    match result {
        Ok((mut text, spans)) => {
            text.insert_str(0, lead);
            // The output grew by doubling; what is kept is read to the end.
            text.shrink_to_fit();
            let pieces = std::mem::take(&mut *pieces.lock().expect("never poisoned"));
            let env_read = std::mem::take(&mut *env_read.lock().expect("never poisoned"));
            Ok(Rendering {
                text,
                spans,
                pieces,
                files,
                env_read,
                reads,
            })
        }
        Err(e) => Err((e, files)),
    }
}

/// Writes the stand-in of piece `index`: OPEN, its decimal digits, CLOSE.
/// Three writes of text that is known to be UTF-8: a render writes tens of
/// thousands, and a buffer checked as UTF-8 each time cost a third of the
/// formatter's time.
fn stand_in(out: &mut minijinja::Output<'_>, index: usize) -> Result<(), Error> {
    const OPEN_STR: &str = "\u{FDD0}";
    const CLOSE_STR: &str = "\u{FDD1}";
    const _: () = assert!(OPEN_STR.as_bytes()[2] == 0x90 && CLOSE_STR.as_bytes()[2] == 0x91);
    out.write_str(OPEN_STR)?;
    out.write_str(itoa::Buffer::new().format(index))?;
    out.write_str(CLOSE_STR).map_err(Error::from)
}

/// Reads an included file: relative to the runbook's folder, and never
/// outside it.
fn load(
    root: &Path,
    name: &str,
    files: &Mutex<BTreeMap<String, String>>,
) -> Result<Option<String>, Error> {
    let rel = PathBuf::from(name);
    if rel.is_absolute() {
        return Err(Error::new(ErrorKind::InvalidOperation, OUTSIDE));
    }
    let path = root.join(&rel);
    let Ok(real) = path.canonicalize() else {
        return Ok(None);
    };
    if !real.starts_with(root) {
        return Err(Error::new(ErrorKind::InvalidOperation, OUTSIDE));
    }
    let text = std::fs::read_to_string(&real).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    if reserved(&text).is_some() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "this file holds Unicode noncharacters U+FDD0/U+FDD1, which runsheet keeps for itself",
        ));
    }
    let compiled = super::tagline::rewrite(&super::envname::rewrite(&text)).into_owned();
    files
        .lock()
        .expect("never poisoned")
        .insert(name.to_string(), text);
    Ok(Some(compiled))
}

/// `{{ now() | date("%Y-%m-%d") }}`: a timestamp or date, formatted.
fn date(value: Value, format: Option<String>) -> Result<Value, Error> {
    let format = format.unwrap_or_else(|| "%Y-%m-%d".into());
    let text = value.to_string();
    let formatted = if let Ok(t) = text.parse::<jiff::Timestamp>() {
        t.strftime(&format).to_string()
    } else if let Ok(d) = text.parse::<jiff::civil::DateTime>() {
        d.strftime(&format).to_string()
    } else if let Ok(d) = text.parse::<jiff::civil::Date>() {
        d.strftime(&format).to_string()
    } else {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "`{text}` is not a date or time (write it as 2026-11-21 or 2026-11-21T05:10:00Z)"
            ),
        ));
    };
    Ok(Value::from(formatted))
}

/// A JSON value as a template value.
pub fn value_of(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::from)
            .or_else(|| n.as_u64().map(Value::from))
            .unwrap_or_else(|| Value::from(n.as_f64().unwrap_or(0.0))),
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => {
            Value::from(items.iter().map(value_of).collect::<Vec<_>>())
        }
        serde_json::Value::Object(map) => Value::from(
            map.iter()
                .map(|(k, v)| (k.clone(), value_of(v)))
                .collect::<BTreeMap<String, Value>>(),
        ),
    }
}

/// The names the formatter and filters add, for "did you mean".
pub const FILTERS: &[&str] = &[
    "raw",
    "date",
    "tojson",
    "abs",
    "attr",
    "batch",
    "bool",
    "capitalize",
    "count",
    "default",
    "d",
    "dictsort",
    "escape",
    "e",
    "first",
    "float",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "lines",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "pprint",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "select",
    "selectattr",
    "slice",
    "sort",
    "split",
    "string",
    "sum",
    "title",
    "trim",
    "unique",
    "upper",
    "urlencode",
    "chain",
    "zip",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_found_where_a_char_search_finds_them() {
        for text in [
            "",
            "plain text",
            "\u{FDD0}",
            "a\u{FDD1}b",
            // Same first two bytes, other characters: not reserved.
            "\u{FDC0}\u{FDCF}\u{FDD2}\u{FDEF} then \u{FDD1}",
            "é\u{FDD2}x\u{FDD0}",
            "\u{FDEF}",
        ] {
            assert_eq!(reserved(text), text.find([OPEN, CLOSE]), "{text:?}");
        }
    }
}
