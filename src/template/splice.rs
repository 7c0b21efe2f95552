//! Putting the values back into the rendered text, each quoted for where it
//! landed: inside a runnable block, in a fence's info string, or in prose.

use std::borrow::Cow;

use super::engine::{CLOSE, OPEN, Piece, Pieces};
use super::quote::{self, Quoting};
use super::shell::HereLine;
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
    /// Values written through `|raw`: where the stand-in was in the
    /// rendering (a value captured by `{% set %}` or a macro can be there
    /// any number of times, out of the order it was written in), and the
    /// block's language (empty in prose).
    pub raw: Vec<(usize, String)>,
    /// Values that add lines to the masked text, in order: where each
    /// stand-in was in the rendering, and how many line feeds its value
    /// wrote there.
    pub grown: Vec<(usize, usize)>,
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
    /// In a block that runs, and when in a here-document's body, its line.
    Runs(&'b FencedBlock, quote::Place, Option<Here<'b>>),
}

/// The here-document line a value is on: its text, stand-ins and all.
struct Here<'b> {
    text: &'b str,
    line: HereLine,
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
        real: String::with_capacity(spliced_len(text, pieces)),
        masked: String::with_capacity(if masking {
            spliced_len(text, pieces)
        } else {
            0
        }),
        raw: Vec::new(),
        grown: Vec::new(),
        refusals: Vec::new(),
        at: 0,
    };
    land(text, pieces.len(), runners, |s, landing| {
        out.put(s, &landing)
    });
    out.finish()
}

/// About how long `text` is with its stand-ins put back: each piece in
/// place of its stand-in, once. A value written more often, quoted, or
/// not at all makes it wrong, and `grow` makes room as it is needed.
fn spliced_len(text: &str, pieces: &Pieces) -> usize {
    let count = pieces.len();
    // The stand-ins' bytes: OPEN, the digits, CLOSE, for 0..count.
    let mut stand_ins = count * (OPEN.len_utf8() + CLOSE.len_utf8());
    let mut from = 0;
    let mut digits = 1;
    let mut to: usize = 10;
    while from < count {
        stand_ins += (count.min(to) - from) * digits;
        from = to;
        digits += 1;
        to = to.saturating_mul(10);
    }
    (text.len() + pieces.text_len()).saturating_sub(stand_ins)
}

/// Makes room in `out` for `more` bytes, with `left` bytes of the text
/// still to come: a runbook's output is megabytes, and doubling it, as
/// `push_str` would, could hold about twice what it needs.
fn grow(out: &mut String, more: usize, left: usize) {
    if out.capacity() - out.len() < more {
        out.reserve_exact(more + left.max(out.len() / 8));
    }
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
    grown: Vec<(usize, usize)>,
    refusals: Vec<Refusal>,
    /// How far `text` has been copied.
    at: usize,
}

impl Out<'_> {
    fn put(&mut self, s: &StandIn, landing: &Landing<'_>) {
        let text = self.text;
        let left = text.len() - s.end;
        let before = &text[self.at..s.start];
        grow(&mut self.real, before.len(), left);
        self.real.push_str(before);
        if self.masking {
            grow(&mut self.masked, before.len(), left);
            self.masked.push_str(before);
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
        if let Landing::Runs(_, quote::Place::Shell(ctx), Some(here)) = landing
            && !piece.raw
            && self.ends_here_document(here, *ctx)
        {
            let delimiter = &here.line.delimiter;
            self.refusals.push(Refusal {
                at: s.start,
                message: format!(
                    "this value, `{hidden}`, makes a line of the here-document read `{delimiter}`, \
                     the word that ends it: the lines after it would run as commands"
                ),
                hint: Some(
                    "end the here-document with a word no value can be (<<'END_OF_DATA'), \
                     or check the value"
                        .into(),
                ),
            });
            return;
        }
        match write(&piece, &hidden, landing, self.masking) {
            Ok((r, m)) => {
                grow(&mut self.real, r.len(), left);
                self.real.push_str(&r);
                // The lines a value adds to the text that is read for steps.
                let feeds =
                    memchr::memchr_iter(b'\n', m.as_deref().unwrap_or(&r).as_bytes()).count();
                if feeds > 0 {
                    self.grown.push((s.start, feeds));
                }
                if let Some(m) = m {
                    grow(&mut self.masked, m.len(), left);
                    self.masked.push_str(&m);
                }
                if piece.raw {
                    let lang = match landing {
                        Landing::Runs(b, ..) | Landing::Info(b) => b.lang.clone(),
                        _ => String::new(),
                    };
                    self.raw.push((s.start, lang));
                }
            }
            Err((message, hint)) => self.refusals.push(Refusal {
                at: s.start,
                message,
                hint,
            }),
        }
    }

    /// Whether `here`, a here-document line, with each value on it written
    /// as it would be (quoted for `ctx`, or as it is through `|raw`), is the
    /// line that ends the here-document.
    fn ends_here_document(&self, here: &Here<'_>, ctx: super::shell::Context) -> bool {
        let place = quote::Place::Shell(ctx);
        let mut line = String::with_capacity(here.text.len());
        let mut at = 0;
        for s in StandIns::new(here.text, self.pieces.len()) {
            line.push_str(&here.text[at..s.start]);
            if let Some(piece) = self.pieces.get(s.piece) {
                match quote::quote(piece.text, &place) {
                    Ok(written) if !piece.raw => line.push_str(&written),
                    _ => line.push_str(piece.text),
                }
            }
            at = s.end;
        }
        line.push_str(&here.text[at..]);
        here.line.ends_it(&line)
    }

    fn finish(mut self) -> Result<Spliced, Vec<Refusal>> {
        let rest = &self.text[self.at..];
        grow(&mut self.real, rest.len(), 0);
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
            grow(&mut self.masked, rest.len(), 0);
            self.masked.push_str(rest);
            Some(self.masked).filter(|m| *m != self.real)
        } else {
            None
        };
        Ok(Spliced {
            text: self.real,
            masked,
            raw: self.raw,
            grown: self.grown,
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

const OPEN_UTF8: [u8; 3] = utf8(OPEN);
const CLOSE_UTF8: [u8; 3] = utf8(CLOSE);

/// A character of three bytes, encoded.
const fn utf8(c: char) -> [u8; 3] {
    let mut b = [0; 3];
    c.encode_utf8(&mut b);
    b
}

impl<'t> StandIns<'t> {
    fn new(text: &'t str, count: usize) -> Self {
        StandIns { text, count, at: 0 }
    }
}

impl Iterator for StandIns<'_> {
    type Item = StandIn;

    fn next(&mut self) -> Option<StandIn> {
        loop {
            // memchr's SIMD search for OPEN's first byte, which starts no
            // ASCII text: `str::find` of a char runs a scalar search, and a
            // substring search costs more to start than the few bytes to
            // the next stand-in, restarted at each of tens of thousands.
            let bytes = self.text.as_bytes();
            let mut from = self.at;
            let start = loop {
                let i = from + memchr::memchr(OPEN_UTF8[0], &bytes[from..])?;
                if bytes[i..].starts_with(&OPEN_UTF8) {
                    break i;
                }
                from = i + 1;
            };
            let rest = &self.text.as_bytes()[start + OPEN.len_utf8()..];
            self.at = start + OPEN.len_utf8();
            // The digits read as they are counted; too many for a number
            // make a piece that does not exist.
            let mut piece: Option<usize> = Some(0);
            let mut digits = 0;
            for &b in rest.iter().take_while(|b| b.is_ascii_digit()) {
                piece = piece
                    .and_then(|p| p.checked_mul(10))
                    .and_then(|p| p.checked_add(usize::from(b - b'0')));
                digits += 1;
            }
            if !rest[digits..].starts_with(&CLOSE_UTF8) {
                continue;
            }
            if digits == 0 {
                piece = None;
            }
            let end = self.at + digits + CLOSE.len_utf8();
            self.at = end;
            return Some(StandIn {
                start,
                end,
                piece: piece.unwrap_or(self.count),
            });
        }
    }
}

/// Gives `put` each stand-in of `text` (for `count` pieces), in order, with
/// where it landed. The blocks are read one at a time as the parser finds
/// them, never all held.
fn land(text: &str, count: usize, runners: &Runners, mut put: impl FnMut(&StandIn, Landing<'_>)) {
    let mut stand_ins = StandIns::new(text, count).peekable();
    if stand_ins.peek().is_none() {
        return;
    }
    // Whether blocks of a language run, for the few languages of a runbook:
    // looked up in a short list, not hashed for each of thousands of blocks.
    let mut cache: Vec<(String, bool)> = Vec::new();
    // The stand-ins of one block's body, read together, and their offsets
    // in it: buffers shared by every block.
    let mut in_body: Vec<StandIn> = Vec::new();
    let mut offsets: Vec<usize> = Vec::new();
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
                || match cache.iter().find(|(lang, _)| *lang == block.lang) {
                    Some(&(_, runs)) => runs,
                    None => {
                        let runs = runner_of(&block.lang, runners).is_some();
                        cache.push((block.lang.clone(), runs));
                        runs
                    }
                };
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
            offsets.clear();
            offsets.extend(in_body.iter().map(|s| s.start - block.body.start));
            // The block as it runs: without the list item's indentation or
            // the quote's `>` that its lines carry in the file, so that
            // what ends a here-document is seen where the shell sees it.
            let body = content(
                &text[block.body.clone()],
                fence_prefix(text, &block),
                &mut offsets,
            );
            let body = body.as_ref();
            // Only shell blocks read prompts, and a shell block only when
            // the parser reads it as a session: a `$ ` line in a script's
            // here-document or string leaves the script one whole.
            let prompted = quoting == Quoting::Shell
                && (matches!(
                    block.lang.as_str(),
                    "console" | "shell-session" | "shellsession"
                ) || crate::doc::prompts::is_session(false, body));
            let places = quote::places(&quoting, body, &offsets, prompted);
            let here_lines = if quoting == Quoting::Shell {
                super::shell::here_lines(body, &offsets, prompted)
            } else {
                vec![None; offsets.len()]
            };
            for ((s, place), line) in in_body.iter().zip(places).zip(here_lines) {
                let here = line.map(|line| Here {
                    text: &body[line.line.clone()],
                    line,
                });
                put(s, Landing::Runs(&block, place, here));
            }
        }
    });
    for s in stand_ins {
        put(&s, Landing::Prose);
    }
}

/// How many bytes stand before the opening fence on its line: the
/// indentation and markers of the list items and quotes the block is in.
fn fence_prefix(text: &str, block: &FencedBlock) -> usize {
    let before = &text[..block.info.start];
    let fence = before.trim_end_matches(['`', '~']);
    let line_start = fence.rfind('\n').map_or(0, |i| i + 1);
    fence.len() - line_start
}

/// `body` with up to `prefix` bytes of indentation and quote markers taken
/// from the start of each line, as the Markdown parser takes them; `offsets`
/// (into `body`) are moved to match. Borrowed when there is nothing to take.
fn content<'b>(body: &'b str, prefix: usize, offsets: &mut [usize]) -> Cow<'b, str> {
    if prefix == 0 {
        return Cow::Borrowed(body);
    }
    let mut out = String::with_capacity(body.len());
    // Offsets are in order: `next` is the first not yet moved.
    let mut next = 0;
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        let taken = line
            .bytes()
            .take(prefix)
            .take_while(|b| matches!(b, b' ' | b'\t' | b'>'))
            .count();
        let end = at + line.len();
        while next < offsets.len() && offsets[next] < end {
            let o = offsets[next];
            offsets[next] = out.len() + o.saturating_sub(at + taken);
            next += 1;
        }
        out.push_str(&line[taken..]);
        at = end;
    }
    for o in &mut offsets[next..] {
        *o = out.len();
    }
    Cow::Owned(out)
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
        Landing::Runs(block, place, _) => {
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
                // A refusal that quotes the value shows it masked.
                let m = if masking && !piece.text.is_empty() {
                    m.replace(piece.text, hidden)
                } else {
                    m
                };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Where each value is written once, as it is, the room made for the
    /// output is what it takes.
    #[test]
    fn the_room_made_for_the_output_is_its_length() {
        for count in [0, 1, 9, 10, 11, 99, 100, 101, 1234] {
            let mut pieces = Pieces::default();
            let mut text = String::from("# T\n\n");
            for i in 0..count {
                let value = "v".repeat(i % 7);
                let index = pieces.push_str(&value, false, false).unwrap();
                text.push_str(&format!("a {OPEN}{index}{CLOSE} b\n"));
            }
            let out = splice(&text, &pieces, &Runners::new(), &[]).unwrap();
            assert_eq!(spliced_len(&text, &pieces), out.text.len(), "{count}");
            assert_eq!(out.text.capacity(), out.text.len(), "{count}");
        }
    }

    #[test]
    fn a_block_is_read_without_the_indentation_and_markers_of_its_container() {
        let body = "  cat <<E\n  x @\n  E\n>   > y @\n";
        let mut offsets: Vec<usize> = body.match_indices('@').map(|(i, _)| i).collect();
        let text = content(body, 2, &mut offsets);
        assert_eq!(text, "cat <<E\nx @\nE\n  > y @\n");
        let at: Vec<usize> = text.match_indices('@').map(|(i, _)| i).collect();
        assert_eq!(offsets, at);
        assert_eq!(content(body, 0, &mut [3]), body);
    }

    #[test]
    fn stand_ins_read_their_number_or_one_that_does_not_exist() {
        let text = "a\u{FDD0}12\u{FDD1}b\u{FDD0}\u{FDD1}c\u{FDD0}99999999999999999999999\u{FDD1}\
                    d\u{FDD0}7x\u{FDD0}007\u{FDD1}";
        let found: Vec<(usize, usize, usize)> = StandIns::new(text, 40)
            .map(|s| (s.start, s.end, s.piece))
            .collect();
        let at = |needle: &str| text.find(needle).unwrap();
        assert_eq!(
            found,
            vec![
                (1, 1 + 3 + 2 + 3, 12),
                (at("b") + 1, at("c"), 40),
                (at("c") + 1, at("d"), 40),
                (at("7x") + 2, text.len(), 7),
            ]
        );
    }
}
