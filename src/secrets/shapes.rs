//! Secrets known by their shape: token formats, passwords in URLs, credential
//! headers, private-key blocks, `.pgpass` lines and secret-named fields
//! (`password: …`, `API_KEY=…`); where they are in a text, and where one may
//! have begun in a text that is still arriving.

use std::ops::Range;
use std::sync::OnceLock;

use regex::bytes::{Regex, RegexSet};

/// Token formats: `(prefix, body bytes, least body length)`. The prefix makes
/// a token recognisable before it is whole, so a stream holds it back.
const TOKENS: &[(&str, &str, usize)] = &[
    ("gh[pousr]_", "A-Za-z0-9", 30),
    ("github_pat_", "A-Za-z0-9_", 22),
    ("xox[abprs]-", "A-Za-z0-9-", 10),
    ("[sr]k_(?:live|test)_", "A-Za-z0-9", 16),
    ("glpat-", "A-Za-z0-9_-", 20),
    ("npm_", "A-Za-z0-9", 36),
    ("AIza", "0-9A-Za-z_-", 35),
];

/// A regex that is known to be valid.
fn compiled(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid pattern")
}

/// Whole secrets: every match masks its first group that took part (or the
/// whole match when it has none).
fn complete_patterns() -> Vec<String> {
    let mut all: Vec<String> = TOKENS
        .iter()
        .map(|(prefix, body, least)| format!(r"\b{prefix}[{body}]{{{least},}}"))
        .collect();
    all.extend(
        [
            // JWTs: three base64url parts, the first two JSON objects.
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
            // The password of a URL; the user may be empty (`redis://:pw@h`).
            r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]*:([^@\s/]+)@",
            r"(?i)aws_secret_access_key\W{1,4}([A-Za-z0-9/+=]{40})",
            // `Authorization: Bearer …` as a header, in curl -v, in a trace.
            r"(?i)\bauthorization\s*[:=]\s*(?:(?:bearer|basic|token|bot|digest|negotiate)\s+)?([^\s'\x22,;]+)",
            r"(?i)\bbearer\s+([A-Za-z0-9._~+/-]{8,}=*)",
            // The body of a private key block, headers kept.
            r"(?s)-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(.*?)-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
            // `.pgpass`: host:port:database:user:password; a host has a
            // letter, a dot or is `*`, so times and MAC addresses are not it.
            r"(?m-u)^[ \t]*[^:\s#]*[A-Za-z.*][^:\s]*:(?:[0-9]+|\*):[^:\s]+:[^:\s]+:(\S+?)[ \t]*\r?$",
        ]
        .map(String::from),
    );
    all
}

/// A `:` or a `=`: searched for with SIMD, where a loop over every byte of a
/// block's output would cost more than all the shapes together.
fn separator() -> &'static Regex {
    static SEPARATOR: OnceLock<Regex> = OnceLock::new();
    SEPARATOR.get_or_init(|| compiled("[:=]"))
}

/// Where in `complete` the shapes are that need a `:` or a `=` (the
/// password of a URL, an `Authorization` header, a `.pgpass` line): the
/// others each need a fixed text, one of `anchors`.
const SEPARATED: [usize; 3] = [TOKENS.len() + 2, TOKENS.len() + 4, TOKENS.len() + 7];

/// The fixed texts every other shape of `complete` starts with or holds,
/// found in one pass: a text with none of them needs none of those shapes
/// searched for, one pass each.
fn anchors() -> &'static Regex {
    static ANCHORS: OnceLock<Regex> = OnceLock::new();
    ANCHORS.get_or_init(|| {
        let mut all: Vec<&str> = TOKENS.iter().map(|(prefix, _, _)| *prefix).collect();
        all.extend([
            "eyJ",
            "AKIA|ASIA",
            "(?i:aws_secret_access_key)",
            "(?i:bearer)",
            "-----BEGIN",
        ]);
        compiled(&all.join("|"))
    })
}

fn complete() -> &'static [Regex] {
    static ALL: OnceLock<Vec<Regex>> = OnceLock::new();
    ALL.get_or_init(|| complete_patterns().iter().map(|p| compiled(p)).collect())
}

/// Tokens in `text` by their format: `(where, the token)`.
pub fn tokens(text: &str) -> impl Iterator<Item = (usize, &str)> {
    // The token patterns come first in `complete`, then JWTs and AWS key ids.
    complete()[..TOKENS.len() + 2].iter().flat_map(move |re| {
        re.find_iter(text.as_bytes())
            .filter_map(move |m| Some((m.start(), text.get(m.range())?)))
    })
}

/// Passwords inside URLs in `text`: `(where the URL starts, the password)`.
pub fn url_passwords(text: &str) -> impl Iterator<Item = (usize, &str)> {
    complete()[TOKENS.len() + 2]
        .captures_iter(text.as_bytes())
        .filter_map(move |caps| {
            let (url, password) = (caps.get(0)?, caps.get(1)?);
            Some((url.start(), text.get(password.range())?))
        })
}

/// `NAME=value`, `NAME: value`, `export NAME=value`, `+ NAME=value` (a
/// trace), `> Name: value` (curl -v) at the start of a line; groups: the
/// name, the value.
const FIELD: &str = r#"(?mR-u)^[ \t]*(?:[-+>*<]+[ \t]*)?(?:(?:export|declare[ \t]+-[A-Za-z]+|local|readonly|typeset|set)[ \t]+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?[ \t]*(?:=|:[ \t]|:$)[ \t]*("[^"\r\n]*"?|'[^'\r\n]*'?|[^ \t\r\n"'][^\r\n]*)"#;

/// `"name": "value"` anywhere (JSON); groups: the name, the value.
const JSON_FIELD: &str =
    r#"(?-u)"([A-Za-z_][A-Za-z0-9_.-]*)"[ \t]*:[ \t]*"((?:[^"\\\r\n]|\\.)*)"?"#;

fn field() -> &'static Regex {
    static FIELD_RE: OnceLock<Regex> = OnceLock::new();
    FIELD_RE.get_or_init(|| compiled(FIELD))
}

fn json_field() -> &'static Regex {
    static JSON: OnceLock<Regex> = OnceLock::new();
    JSON.get_or_init(|| compiled(JSON_FIELD))
}

/// Whether a field of this name holds a secret: named like one
/// (`super::is_secret_name`), but not a bare `key` (`- key: app` in a
/// Kubernetes selector) nor a name that says it holds something else about a
/// secret (`secretName`, `PASSWORD_FILE`, `TOKEN_TTL`).
pub fn is_secret_field(name: &str) -> bool {
    let n = name.to_ascii_uppercase().replace(['-', '.'], "_");
    const ABOUT: &[&str] = &[
        "NAME", "REF", "FILE", "PATH", "DIR", "TTL", "TYPE", "LENGTH", "LEN", "EXPIRY", "EXPIRES",
        "POLICY", "VERSION", "MODE", "FORMAT", "ENABLED", "SOURCE", "ID",
    ];
    !matches!(n.trim_matches('_'), "KEY" | "KEYS")
        && !ABOUT.iter().any(|a| n.ends_with(a))
        && super::is_secret_name(&n)
}

/// Values a secret-named field may hold that are not secrets themselves: a
/// reference to a variable, a placeholder, a template, an empty or masked
/// value, a YAML block or tag.
fn is_reference(value: &[u8]) -> bool {
    let v = value.trim_ascii();
    let lower = v.to_ascii_lowercase();
    v.is_empty()
        || v.starts_with(b"${")
        || v.starts_with(b"$(")
        || (v.first() == Some(&b'$') && v.get(1).is_some_and(|c| c.is_ascii_alphabetic()))
        || (v.first() == Some(&b'<') && v.last() == Some(&b'>'))
        || v.starts_with(b"{{")
        || v.starts_with(b"!")
        || matches!(v, b"|" | b"|-" | b">" | b">-" | b"~")
        || matches!(lower.as_slice(), b"null" | b"none" | b"true" | b"false")
        || v.starts_with(super::MASK.as_bytes())
        || v.iter().all(|c| *c == b'*')
}

/// The part of `range` of `text` inside quotes and without surrounding spaces.
fn trimmed(text: &[u8], range: Range<usize>) -> Range<usize> {
    let (mut start, mut end) = (range.start, range.end);
    while start < end && text[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && text[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    if start < end && matches!(text[start], b'"' | b'\'') {
        let quote = text[start];
        start += 1;
        if end > start && text[end - 1] == quote {
            end -= 1;
        }
    }
    start..end
}

/// Adds the byte ranges of `text` that are secrets by their shape to `out`.
/// `whole` says the text is complete: a private key block with no end line
/// is then masked to the end.
pub fn ranges(text: &[u8], whole: bool, out: &mut Vec<Range<usize>>) {
    // Shapes that start with a fixed text are searched for fast; those that
    // need a `:` or a `=` (fields, `.pgpass`) only where there is one.
    let separated = separator().is_match(text);
    let anchored = anchors().is_match(text);
    for (i, re) in complete().iter().enumerate() {
        let needed = if SEPARATED.contains(&i) {
            separated
        } else {
            anchored
        };
        if !needed {
            continue;
        }
        for caps in re.captures_iter(text) {
            let m = caps
                .iter()
                .skip(1)
                .flatten()
                .next()
                .or_else(|| caps.get(0))
                .expect("a match has a whole range");
            let r = trimmed(text, m.range());
            if !r.is_empty() {
                out.push(r);
            }
        }
    }
    let fields: &[&Regex] = if separated {
        &[field(), json_field()]
    } else {
        &[]
    };
    for re in fields {
        for caps in re.captures_iter(text) {
            let (Some(name), Some(value)) = (caps.get(1), caps.get(2)) else {
                continue;
            };
            let name = String::from_utf8_lossy(name.as_bytes());
            if is_secret_field(&name) && !is_reference(value.as_bytes()) {
                let r = trimmed(text, value.range());
                if !r.is_empty() && !is_reference(&text[r.clone()]) {
                    out.push(r);
                }
            }
        }
    }
    if whole && let Some(body) = dangling_key(text) {
        out.push(trimmed(text, body..text.len()));
    }
}

/// Where the body of a private key block starts whose end line has not come
/// (yet).
fn dangling_key(text: &[u8]) -> Option<usize> {
    static BEGIN: OnceLock<Regex> = OnceLock::new();
    static END: OnceLock<Regex> = OnceLock::new();
    let begin = BEGIN.get_or_init(|| compiled(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"));
    let end = END.get_or_init(|| compiled(r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"));
    let last = begin.find_iter(text).last()?;
    (!end.is_match(&text[last.end()..])).then_some(last.end())
}

/// Where the header of a private key block starts whose end line has not
/// come yet: everything from there may be key.
fn open_key(text: &[u8]) -> Option<usize> {
    static HEADER: OnceLock<Regex> = OnceLock::new();
    let header = HEADER.get_or_init(|| compiled(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY"));
    dangling_key(text)?;
    header.find_iter(text).last().map(|m| m.start())
}

/// Token prefixes with as much of their body as has come, up to the end.
fn open_tokens() -> &'static RegexSet {
    static OPEN: OnceLock<RegexSet> = OnceLock::new();
    OPEN.get_or_init(|| {
        let mut patterns: Vec<String> = TOKENS
            .iter()
            .map(|(prefix, body, _)| format!(r"^{prefix}[{body}]*\z"))
            .collect();
        patterns.push(r"^eyJ[A-Za-z0-9_.-]*\z".into());
        patterns.push(r"^(?:AKIA|ASIA)[0-9A-Z]*\z".into());
        // A URL whose password is coming: `scheme://user:pa`.
        patterns.push(r"(?i)^[a-z][a-z0-9+.-]*://[^/\s:@]*:[^@\s/]*\z".into());
        RegexSet::new(patterns).expect("valid patterns")
    })
}

/// A line still coming whose end may be a secret: group 1 is where it starts.
fn open_lines() -> &'static [Regex] {
    static OPEN: OnceLock<Vec<Regex>> = OnceLock::new();
    OPEN.get_or_init(|| {
        vec![
            compiled(
                r"(?i)\bauthorization\s*[:=]\s*(?:(?:bearer|basic|token|bot|digest|negotiate)\s+)?([^\s'\x22,;]*)\z",
            ),
            compiled(r"(?i)\bbearer\s+([A-Za-z0-9._~+/-]*=*)\z"),
            compiled(r"(?-u)^[ \t]*[^:\s#]*[A-Za-z.*][^:\s]*:(?:[0-9]+|\*):[^:\s]+:[^:\s]+:(\S*)\z"),
            compiled(r"(?i)aws_secret_access_key\W{1,4}([A-Za-z0-9/+=]*)\z"),
        ]
    })
}

/// Whether a byte can be part of a word, as regex `\b` sees it.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// How far back a stream looks for the start of a secret still coming.
const LOOK_BACK: usize = 16 * 1024;

/// Where in `text`, a stream's output so far, a secret may have begun that
/// is not whole yet (its end may still be coming): the stream holds back
/// everything from there. `None` when nothing may be.
pub fn open_from(text: &[u8]) -> Option<usize> {
    let floor = text.len().saturating_sub(LOOK_BACK);
    let mut from: Option<usize> = open_key(text).filter(|&at| at >= floor);
    let mut note = |at: usize| from = Some(from.map_or(at, |f| f.min(at)));
    // Tokens and URLs: in the last run of non-space bytes, from a word start.
    let run = text[floor..]
        .iter()
        .rposition(u8::is_ascii_whitespace)
        .map_or(floor, |i| floor + i + 1);
    for p in run..text.len() {
        let starts_word = is_word(text[p]) && (p == run || !is_word(text[p - 1]));
        if starts_word && open_tokens().is_match(&text[p..]) {
            note(p);
            break;
        }
    }
    // Fields, headers and .pgpass lines: in the line still coming.
    let line = text[floor..]
        .iter()
        .rposition(|&b| b == b'\n' || b == b'\r')
        .map_or(floor, |i| floor + i + 1);
    let partial = &text[line..];
    if partial.is_empty() {
        // Output that ends a line (most of it) leaves no field coming.
        return from;
    }
    for re in open_lines() {
        if let Some(g) = re.captures(partial).and_then(|c| c.get(1)) {
            note(line + g.start());
        }
    }
    for re in [field(), json_field()] {
        for caps in re.captures_iter(partial) {
            let (Some(name), Some(value)) = (caps.get(1), caps.get(2)) else {
                continue;
            };
            let still_coming = value.end() == partial.len();
            if still_coming && is_secret_field(&String::from_utf8_lossy(name.as_bytes())) {
                note(line + value.start());
            }
        }
    }
    from
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        let mut r = Vec::new();
        ranges(text.as_bytes(), true, &mut r);
        r.sort_by_key(|r| r.start);
        let mut out = String::new();
        let mut at = 0;
        for range in r {
            if range.start < at {
                at = at.max(range.end);
                continue;
            }
            out.push_str(&text[at..range.start]);
            out.push_str(super::super::MASK);
            at = range.end;
        }
        out.push_str(&text[at..]);
        out
    }

    #[test]
    fn shapes_are_masked() {
        let cases = [
            (
                "redis://:pa55word@127.0.0.1:6379",
                "redis://:•••@127.0.0.1:6379",
            ),
            (
                "url=postgres://app:s3cr3t@db:5432/x",
                "url=postgres://app:•••@db:5432/x",
            ),
            (
                "> Authorization: Bearer abc.def-123456",
                "> Authorization: Bearer •••",
            ),
            (
                "curl -H 'authorization: token Zx81mQzz90'",
                "curl -H 'authorization: token •••'",
            ),
            (
                "db.example.com:5432:app:deploy:pg-Pw-991",
                "db.example.com:5432:app:deploy:•••",
            ),
            ("*:*:*:postgres:hunter22", "*:*:*:postgres:•••"),
            ("password: hunter22", "password: •••"),
            ("  db_password: \"hunter 22\"", "  db_password: \"•••\""),
            ("api_key = AbCdEf123456", "api_key = •••"),
            (
                "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz",
                "AWS_SECRET_ACCESS_KEY=•••",
            ),
            (
                "++ export DB_PASSWORD=hunter22",
                "++ export DB_PASSWORD=•••",
            ),
            (
                "declare -x API_TOKEN=\"tok-123456\"",
                "declare -x API_TOKEN=\"•••\"",
            ),
            (
                "{\"user\":\"app\",\"password\":\"hunter22\"}",
                "{\"user\":\"app\",\"password\":\"•••\"}",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\ndef==\n-----END RSA PRIVATE KEY-----\n",
                "-----BEGIN RSA PRIVATE KEY-----\n•••\n-----END RSA PRIVATE KEY-----\n",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\r\nb3Blbn\r\nNzaC1\r\n",
                "-----BEGIN OPENSSH PRIVATE KEY-----\r\n•••\r\n",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(masked(text), want, "{text}");
        }
    }

    #[test]
    fn every_shape_is_searched_for_where_its_fixed_text_or_separator_is() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlMTIz";
        let samples = [
            format!("got ghp_{}", "A".repeat(36)),
            format!("got github_pat_{}", "B".repeat(30)),
            "xoxb-1234567890-abcdef sent".to_string(),
            format!("key sk_live_{}", "C".repeat(24)),
            format!("glpat-{} here", "D".repeat(20)),
            format!("npm_{}", "E".repeat(36)),
            format!("AIza{}", "F".repeat(35)),
            format!("token {jwt}"),
            "id AKIAIOSFODNN7EXAMPLE".to_string(),
            "Aws_Secret_Access_Key  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".to_string(),
            "BEARER abcdef.123456".to_string(),
            "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----".to_string(),
            "redis://:pa55word@127.0.0.1:6379".to_string(),
            "authorization=Zx81mQzz90".to_string(),
            "db.example.com:5432:app:deploy:pg-Pw-991".to_string(),
        ];
        for sample in &samples {
            let text = sample.as_bytes();
            let mut found = Vec::new();
            ranges(text, false, &mut found);
            assert!(!found.is_empty(), "{sample}: nothing masked");
            for (i, re) in complete().iter().enumerate() {
                if !re.is_match(text) {
                    continue;
                }
                let gate = if SEPARATED.contains(&i) {
                    separator()
                } else {
                    anchors()
                };
                assert!(gate.is_match(text), "{sample}: shape {i} would be skipped");
            }
        }
    }

    #[test]
    fn look_alikes_are_not() {
        for text in [
            "- key: app",
            "secretName: tls-cert",
            "PASSWORD_FILE=/run/secrets/db",
            "password: ${DB_PASSWORD}",
            "API_TOKEN=$(vault read -field=token x)",
            "password: <db-password>",
            "12:30:45:10:20",
            "00:11:22:33:44:55",
            "https://example.com:8443/path",
            "token expires at 12:00",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "keyboard: us",
        ] {
            assert_eq!(masked(text), text, "{text}");
        }
    }

    #[test]
    fn a_secret_still_coming_is_found_where_it_starts() {
        let cases: [(&str, Option<usize>); 9] = [
            ("token: ghp_Q9x7", Some(7)),
            ("got: gh", None),
            ("url postgres://app:s3", Some(4)),
            ("url postgres://app", None),
            ("Authorization: Bearer eyJhb", Some(22)),
            ("password: hun", Some(10)),
            ("password: hunter22\nnext", None),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIE", Some(0)),
            ("db:5432:app:user:pa", Some(17)),
        ];
        for (text, want) in cases {
            assert_eq!(open_from(text.as_bytes()), want, "{text}");
        }
    }
}
