//! Noise masked before two runs are compared: times, durations, ids, temp
//! paths, PIDs and ports, and whatever the user says to ignore.

use std::borrow::Cow;

use regex::{Captures, Regex};

use crate::error::{Error, Result};

/// What every run prints differently. One alternation, so that a text is
/// scanned once; `(?-u:\b)` keeps word boundaries ASCII, which the fast
/// matching engines handle. None of the patterns crosses a line ending, so a
/// masked text has the lines of the text it came from.
const NOISE: &str = r"(?x)
    (?P<uuid>(?-u:\b)[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?-u:\b))
  | (?P<time>
        # 2026-11-21T05:11:02.123Z, 2026-11-21 05:11:02 +01:00, 2026/11/21 05:11
        (?-u:\b)\d{4}[-/]\d{2}[-/]\d{2}
        (?:[T\x20]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)?
        (?:[\x20]?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?
        # Sat Nov 21 05:11:02 UTC 2026 (date), 21 Nov 2026, Nov 21, 2026
      | (?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?[\x20]+)?
        (?:
            (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?[\x20]+\d{1,2}(?-u:\b)
          | \d{1,2}[\x20]+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?(?-u:\b)
        )
        (?:,?[\x20]+\d{4}(?-u:\b))?
        (?:[\x20]+\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)?
        (?:[\x20]+(?:[A-Z]{3,4}|[+-]\d{4}))?
        (?:[\x20]+\d{4}(?-u:\b))?
        # 05:11:02, 5:11:02.123 PM
      | (?-u:\b)\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:[\x20]?(?:AM|PM|am|pm))?(?:[\x20]?(?:Z|UTC|GMT))?
        # Unix time in seconds or milliseconds, 2001 to 2286
      | (?-u:\b)1\d{9}(?:\d{3})?(?-u:\b)
    )
  | (?P<duration>
        (?-u:\b)\d+m\d+(?:\.\d+)?s(?-u:\b)
      | (?-u:\b)\d+(?:\.\d+)?[\x20]?(?:ns|µs|us|ms|s|sec|secs|seconds?|m|mins?|minutes?|h|hrs?|hours?)(?-u:\b)
    )
  | (?P<tmp>(?:/private)?(?:/tmp|/var/tmp|/var/folders|/dev/shm)/[^\s'`\x22:;,)\]>]*)
  | (?P<pid>(?-u:\b)(?i:pid|process)[\x20]*[:=\#]?[\x20]*\d+(?-u:\b)|\[\d{2,7}\])
  | (?P<port>:\d{5}(?-u:\b))
  | (?P<hex>(?-u:\b)[0-9a-fA-F]{7,}(?-u:\b))
";

/// Only times: what an answer or a note may hold that differs from run to
/// run (a blank filled with `now`), without hiding a changed duration.
const TIMES: &str = r"(?x)
    (?-u:\b)\d{4}[-/]\d{2}[-/]\d{2}
    (?:[T\x20]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)?
    (?:[\x20]?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?
  | (?-u:\b)\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:[\x20]?(?:Z|UTC|GMT))?
";

/// The masks of a comparison.
#[derive(Debug, Clone)]
pub struct Mask {
    noise: Regex,
    times: Regex,
    ignore: Vec<Regex>,
}

impl Mask {
    /// The built-in masks and `ignore`, each a regular expression (`^` and
    /// `$` match at line ends). `origin` says where a pattern came from, for
    /// the error about one that does not compile.
    pub fn new<'a>(ignore: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Mask> {
        let ignore = ignore
            .into_iter()
            .map(|(pattern, origin)| {
                regex::RegexBuilder::new(pattern)
                    .multi_line(true)
                    .build()
                    .map_err(|e| {
                        Error::usage(format!(
                            "{origin}: `{pattern}` is not a regular expression runsheet can use: {}",
                            first_line(&e.to_string())
                        ))
                    })
            })
            .collect::<Result<_>>()?;
        Ok(Mask {
            noise: Regex::new(NOISE).expect("the noise pattern compiles"),
            times: Regex::new(TIMES).expect("the times pattern compiles"),
            ignore,
        })
    }

    /// `text` (a block's output) with every kind of noise masked.
    pub fn output<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let masked = self.noise.replace_all(text, |c: &Captures| replacement(c));
        self.ignored(masked)
    }

    /// `text` (an answer, a note) with times and ignored text masked.
    pub fn value<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let masked = self.times.replace_all(text, "<time>");
        self.ignored(masked)
    }

    fn ignored<'t>(&self, mut text: Cow<'t, str>) -> Cow<'t, str> {
        for re in &self.ignore {
            if let Cow::Owned(changed) = re.replace_all(&text, "<ignored>") {
                text = Cow::Owned(changed);
            }
        }
        text
    }
}

/// What a match of `NOISE` becomes.
fn replacement(c: &Captures) -> String {
    const KINDS: [&str; 7] = ["uuid", "time", "duration", "tmp", "pid", "port", "hex"];
    let kind = KINDS
        .into_iter()
        .find(|k| c.name(k).is_some())
        .unwrap_or("noise");
    let whole = &c[0];
    match kind {
        // An id has letters and digits both; a word (`defaced`) or a plain
        // number (a count, a size) is not one.
        "hex"
            if !(whole.bytes().any(|b| b.is_ascii_digit())
                && whole.bytes().any(|b| b.is_ascii_alphabetic())) =>
        {
            whole.to_string()
        }
        // Keep the word (`pid 4242` → `pid <pid>`), mask the number.
        "pid" => {
            let digits = whole.trim_end_matches(|c: char| c.is_ascii_digit() || c == ']');
            let close = if whole.ends_with(']') { "]" } else { "" };
            format!("{digits}<pid>{close}")
        }
        "port" => ":<port>".to_string(),
        _ => format!("<{kind}>"),
    }
}

/// The gist of a regex error, which spans several lines.
fn first_line(text: &str) -> &str {
    text.lines()
        .find_map(|l| l.strip_prefix("error: "))
        .or_else(|| text.lines().last())
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask() -> Mask {
        Mask::new([("request id [0-9]+", "--ignore")]).unwrap()
    }

    #[test]
    fn noise_is_masked_and_the_rest_kept() {
        let m = mask();
        for (text, want) in [
            ("started 2026-11-21T05:11:02.123Z ok", "started <time> ok"),
            ("at 2026-11-21 05:11:02 +01:00", "at <time>"),
            ("Sat Nov 21 05:11:02 UTC 2026", "<time>"),
            (
                "Nov 21 05:11:02 web-1 nginx[3124]: up",
                "<time> web-1 nginx[<pid>]: up",
            ),
            ("21 Nov 2026 done", "<time> done"),
            ("05:11:02 PM", "<time>"),
            ("epoch 1795237862", "epoch <time>"),
            ("took 4.2s", "took <duration>"),
            ("real\t0m0.003s", "real\t<duration>"),
            ("in 350 ms, 3 minutes", "in <duration>, <duration>"),
            ("id 123e4567-e89b-12d3-a456-426614174000.", "id <uuid>."),
            ("image sha256:9f86d081884c7d65", "image sha256:<hex>"),
            ("commit 4f2a9c1 done", "commit <hex> done"),
            ("defaced cafe 1234567", "defaced cafe 1234567"),
            ("wrote /tmp/tmp.Xa9fQ2/out.log", "wrote <tmp>"),
            ("pid 4242 PID: 99", "pid <pid> PID: <pid>"),
            (
                "listening on 127.0.0.1:43127",
                "listening on 127.0.0.1:<port>",
            ),
            ("postgres on :5432", "postgres on :5432"),
            ("request id 991 failed", "<ignored> failed"),
            ("3 hosts, 2 shards", "3 hosts, 2 shards"),
            ("password: •••", "password: •••"),
        ] {
            assert_eq!(m.output(text), want, "{text}");
        }
    }

    #[test]
    fn answers_keep_their_durations() {
        let m = mask();
        assert_eq!(m.value("45 s"), "45 s");
        assert_eq!(m.value("2026-11-21T05:12:44Z"), "<time>");
        assert_eq!(m.value("05:12:44"), "<time>");
    }

    #[test]
    fn masking_keeps_the_lines() {
        let m = mask();
        let text = "a 05:11:02\n\nb /tmp/x y\nc\n";
        assert_eq!(m.output(text).lines().count(), text.lines().count());
    }

    #[test]
    fn a_bad_pattern_is_an_error_naming_it() {
        let e = Mask::new([("(unclosed", "runsheet.toml")]).unwrap_err();
        let e = e.to_string();
        assert!(e.contains("runsheet.toml: `(unclosed`"), "{e}");
    }
}
