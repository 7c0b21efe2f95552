//! Putting the values back into the rendered text, each quoted for where it
//! landed: inside a runnable block, in a fence's info string, or in prose.

use std::borrow::Cow;
use std::collections::HashMap;

use super::engine::{CLOSE, OPEN, Piece, Pieces};
use super::quote::{self, Quoting};
use crate::doc::fenced::{FencedBlock, each_fenced_block, runner_of};
use crate::doc::parse::Runners;
use crate::secrets::MASK;

/// The rendered runbook, twice: as it runs, and with secrets masked (what
/// the transcript, `plan` and the terminal show).
#[derive(Debug, Clone)]
pub struct Spliced {
    pub text: String,
    /// `None` when nothing was masked: the same as `text`.
    pub masked: Option<String>,
    /// Values written through `|raw`: piece index and the block's language
    /// (empty in prose).
    pub raw: Vec<(usize, String)>,
}

/// A value that cannot be written where it landed: the piece, and why.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The stand-in's offset in the rendered text.
    pub at: usize,
    pub message: String,
    pub hint: Option<String>,
}

struct StandIn {
    start: usize,
    end: usize,
    piece: usize,
}

/// Where a stand-in is, with respect to the fenced blocks.
enum Landing<'b> {
    Prose,
    /// In the language word itself.
    Lang,
    Info(&'b FencedBlock),
    Shown,
    Runs(&'b FencedBlock, quote::Place),
}

/// Replaces every stand-in of `text` with its piece, quoted for where it is.
pub fn splice(
    text: &str,
    pieces: &Pieces,
    runners: &Runners,
    secrets: &[String],
) -> Result<Spliced, Vec<Refusal>> {
    let mut secrets: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    // Without secrets the masked text is the real one: not built at all.
    let masking = !secrets.is_empty();
    let mut out = Out {
        text,
        pieces,
        secrets,
        masking,
        real: String::with_capacity(text.len()),
        masked: String::with_capacity(if masking { text.len() } else { 0 }),
        raw: Vec::new(),
        refusals: Vec::new(),
        at: 0,
    };
    land(text, pieces.len(), runners, |s, landing| {
        out.put(s, &landing)
    });
    out.finish()
}

/// The rendered text being put together, stand-in by stand-in.
struct Out<'t> {
    text: &'t str,
    pieces: &'t Pieces,
    /// Secret values, longest first.
    secrets: Vec<&'t String>,
    masking: bool,
    real: String,
    masked: String,
    raw: Vec<(usize, String)>,
    refusals: Vec<Refusal>,
    /// How far `text` has been copied.
    at: usize,
}

impl Out<'_> {
    fn put(&mut self, s: &StandIn, landing: &Landing<'_>) {
        let text = self.text;
        self.real.push_str(&text[self.at..s.start]);
        if self.masking {
            self.masked.push_str(&text[self.at..s.start]);
        }
        self.at = s.end;
        let Some(piece) = self.pieces.get(s.piece) else {
            self.refusals.push(Refusal {
                at: s.start,
                message: "a filter changed the text around a value (runsheet's stand-in for it was altered)".into(),
                hint: Some("apply string filters to values, not to the output of macros or {% filter %} blocks".into()),
            });
            return;
        };
        // Without secrets nothing is hidden: no masked copy of each value.
        let hidden = if self.masking {
            Cow::Owned(mask(piece.text, &self.secrets))
        } else {
            Cow::Borrowed(piece.text)
        };
        match write(&piece, &hidden, landing, self.masking) {
            Ok((r, m)) => {
                self.real.push_str(&r);
                if let Some(m) = m {
                    self.masked.push_str(&m);
                }
                if piece.raw {
                    let lang = match landing {
                        Landing::Runs(b, _) | Landing::Info(b) => b.lang.clone(),
                        _ => String::new(),
                    };
                    self.raw.push((s.piece, lang));
                }
            }
            Err((message, hint)) => self.refusals.push(Refusal {
                at: s.start,
                message,
                hint,
            }),
        }
    }

    fn finish(mut self) -> Result<Spliced, Vec<Refusal>> {
        let rest = &self.text[self.at..];
        self.real.push_str(rest);
        if !self.refusals.is_empty() {
            return Err(self.refusals);
        }
        if let Some(at) = super::engine::reserved(&self.real) {
            return Err(vec![Refusal {
                at,
                message:
                    "a filter changed the text around a value (runsheet's stand-in for it was altered)"
                        .into(),
                hint: None,
            }]);
        }
        let masked = if self.masking {
            self.masked.push_str(rest);
            Some(self.masked).filter(|m| *m != self.real)
        } else {
            None
        };
        Ok(Spliced {
            text: self.real,
            masked,
            raw: self.raw,
        })
    }
}

/// The stand-ins of a text, in order, found as they are asked for: a
/// render writes tens of thousands, and a list of them all would be held
/// beside two copies of the text.
struct StandIns<'t> {
    text: &'t str,
    /// The number of pieces: a stand-in whose digits do not read is
    /// given this one, which does not exist.
    count: usize,
    /// How far `text` has been searched.
    at: usize,
}

impl Iterator for StandIns<'_> {
    type Item = StandIn;

    fn next(&mut self) -> Option<StandIn> {
        loop {
            let start = self.at + self.text[self.at..].find(OPEN)?;
            let rest = &self.text[start + OPEN.len_utf8()..];
            self.at = start + OPEN.len_utf8();
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if !rest[digits..].starts_with(CLOSE) {
                continue;
            }
            let end = self.at + digits + CLOSE.len_utf8();
            self.at = end;
            return Some(StandIn {
                start,
                end,
                piece: rest[..digits].parse().unwrap_or(self.count),
            });
        }
    }
}

/// Gives `put` each stand-in of `text` (for `count` pieces), in order, with
/// where it landed. The blocks are read one at a time as the parser finds
/// them, never all held.
fn land(text: &str, count: usize, runners: &Runners, mut put: impl FnMut(&StandIn, Landing<'_>)) {
    let mut stand_ins = StandIns { text, count, at: 0 }.peekable();
    if stand_ins.peek().is_none() {
        return;
    }
    let mut cache: HashMap<String, bool> = HashMap::new();
    // The stand-ins of one block's body, read together.
    let mut in_body: Vec<StandIn> = Vec::new();
    each_fenced_block(text, |block| {
        let reach = block.body.end.max(block.info.end);
        while let Some(s) = stand_ins.next_if(|s| s.start < reach) {
            let at = s.start;
            if at >= block.info.start && at < block.lang_end {
                put(&s, Landing::Lang);
                continue;
            }
            if block.info.contains(&at) || (at >= block.info.end && at < block.body.start) {
                put(&s, Landing::Info(&block));
                continue;
            }
            if !block.body.contains(&at) {
                put(&s, Landing::Prose);
                continue;
            }
            let info = &text[block.info.clone()];
            let runs = info.contains("runner=")
                || *cache
                    .entry(block.lang.clone())
                    .or_insert_with(|| runner_of(&block.lang, runners).is_some());
            in_body.clear();
            in_body.push(s);
            while let Some(s) = stand_ins.next_if(|s| block.body.contains(&s.start)) {
                in_body.push(s);
            }
            if !runs {
                for s in &in_body {
                    put(s, Landing::Shown);
                }
                continue;
            }
            let quoting = Quoting::of(&block.lang);
            let body = &text[block.body.clone()];
            let offsets: Vec<usize> = in_body.iter().map(|s| s.start - block.body.start).collect();
            let prompted = matches!(
                block.lang.as_str(),
                "console" | "shell-session" | "shellsession"
            ) || body.lines().any(|l| l.trim_start().starts_with("$ "));
            let places = quote::places(&quoting, body, &offsets, prompted);
            for (s, place) in in_body.iter().zip(places) {
                put(s, Landing::Runs(&block, place));
            }
        }
    });
    for s in stand_ins {
        put(&s, Landing::Prose);
    }
}

/// A value as it runs, and masked (when masking).
type Written<'a> = (Cow<'a, str>, Option<Cow<'a, str>>);

/// `piece` written at `landing`: as it runs, and masked (when `masking`).
fn write<'a>(
    piece: &Piece<'a>,
    hidden: &'a str,
    landing: &Landing<'_>,
    masking: bool,
) -> Result<Written<'a>, (String, Option<String>)> {
    // Most values hold neither character: no substring search set up.
    let fence = |text: &str| {
        text.bytes().any(|b| b == b'`' || b == b'~')
            && (text.contains("```") || text.contains("~~~"))
    };
    let hidden_copy = || masking.then_some(Cow::Borrowed(hidden));
    match landing {
        _ if piece.raw => Ok((Cow::Borrowed(piece.text), hidden_copy())),
        Landing::Prose | Landing::Shown => {
            if fence(piece.text) {
                return Err((
                    "this value holds a code fence (``` or ~~~), which would start or end a block of the runbook".into(),
                    Some("values may not add blocks to a runbook; if this one must, write it with |raw".into()),
                ));
            }
            Ok((Cow::Borrowed(piece.text), hidden_copy()))
        }
        Landing::Lang => Err((
            "a fence's language cannot come from a value: it decides whether and how the block runs".into(),
            Some("write the language in the runbook, and use {% if %} to choose between blocks".into()),
        )),
        Landing::Info(_) => {
            let attr_safe = |t: &str| {
                !t.is_empty()
                    && t.chars()
                        .all(|c| c.is_alphanumeric() || "_-.:/@+".contains(c))
            };
            if !attr_safe(piece.text) {
                return Err((
                    format!(
                        "`{hidden}` cannot go into a fence's info string: only letters, digits and _-.:/@+ can"
                    ),
                    Some("values there become attributes such as name=; keep them to plain words".into()),
                ));
            }
            Ok((Cow::Borrowed(piece.text), hidden_copy()))
        }
        Landing::Runs(block, place) => {
            if piece.compound {
                return Err((
                    format!(
                        "this value is a list or map, which cannot be written into a `{}` block as one value",
                        block.lang
                    ),
                    Some("loop over it ({% for h in hosts %}...{% endfor %}) or join it (|join(\" \"))".into()),
                ));
            }
            let real = quote::quote(piece.text, place).map_err(|m| {
                (
                    m,
                    Some(
                        "runsheet quotes values inside runnable blocks; if you have checked this one is safe to run as written, use |raw"
                            .to_string(),
                    ),
                )
            })?;
            let masked = if !masking {
                None
            } else if hidden == piece.text {
                Some(real.clone())
            } else {
                Some(quote::quote(hidden, place).unwrap_or(Cow::Borrowed(hidden)))
            };
            Ok((real, masked))
        }
    }
}

/// `text` with every secret value in it masked.
fn mask(text: &str, secrets: &[&String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    out
}
