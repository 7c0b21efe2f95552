//! Placeholders in a command: the parts an author meant to be replaced before
//! it runs (`<release-tag>`, `XXXXX`, `[SHA]`, `your-admin-token`, `vX.Y.Z`,
//! `YYYYMMDD`, `[Command to restart the worker]`).

use super::examples::{Example, example};
use super::fields::bracketed_caps;

/// A placeholder found in a command.
#[derive(Debug, Clone, PartialEq)]
pub struct Placeholder {
    /// The text as written: `<release-tag>`, `XXXXX`, `[SHA]`.
    pub token: String,
    /// What the operator and answers files call it: `release-tag`, `SHA`.
    pub name: String,
    /// 0-based line within the block.
    pub line: usize,
    /// Named like a credential (`secrets::is_secret_name`): asked without
    /// echo, redacted.
    pub secret: bool,
    /// A variable's example value that its comment says to replace; the
    /// placeholder is then named and written as the variable.
    pub example: Option<Box<Example>>,
}

const HTML_TAGS: &[&str] = &[
    "html", "head", "body", "div", "span", "p", "a", "b", "i", "u", "em", "strong", "br", "hr",
    "ul", "ol", "li", "table", "tr", "td", "th", "script", "style", "title", "meta", "link", "h1",
    "h2", "h3", "h4", "h5", "h6", "pre", "code", "img", "form", "input", "label", "button", "svg",
    "section", "header", "footer", "nav", "main", "details", "summary", "small", "sub", "sup",
];

/// Placeholders in a block's script, heredoc bodies and `mktemp` templates
/// excluded. `shell`: the block runs in the shell, where version and date
/// patterns (`vX.Y.Z`, `YYYYMMDD`) are values to give, not format strings.
pub fn placeholders(script: &str, shell: bool) -> Vec<Placeholder> {
    let mut out: Vec<Placeholder> = Vec::new();
    // An example to replace is said so in a `#` comment.
    if !(may_hold_one(script) || (shell && script.contains('#'))) {
        return out;
    }
    let mut heredoc_end: Option<String> = None;
    for (n, line) in script.lines().enumerate() {
        if let Some(end) = &heredoc_end {
            if line.trim() == end {
                heredoc_end = None;
            }
            continue;
        }
        let example = if shell { example(line, n) } else { None };
        let code = strip_comment(line);
        let masked;
        // `{{ .Values.image }}`, `${{ secrets.TOKEN }}`: another tool's
        // template, filled by that tool.
        let code = if code.contains("{{") {
            masked = mask_templates(code);
            masked.as_str()
        } else {
            code
        };
        let mut found: Vec<(String, String)> = angle_tokens(code)
            .into_iter()
            .chain(x_runs(code))
            .chain(bracket_tokens(code))
            .chain(your_tokens(code))
            .collect();
        if shell {
            // `<YYYY-MM-DD>` is one placeholder, not two.
            for (token, name) in version_tokens(code).into_iter().chain(date_tokens(code)) {
                if !found.iter().any(|(t, _)| t.contains(&token)) {
                    found.push((token, name));
                }
            }
        }
        // Asked in the order they come in the line.
        found.sort_by_key(|(token, _)| code.find(token.as_str()).unwrap_or(usize::MAX));
        for (token, name) in found {
            if !out.iter().any(|p| p.token == token) {
                let secret = crate::secrets::is_secret_name(&name);
                out.push(Placeholder {
                    token,
                    name,
                    line: n,
                    secret,
                    example: None,
                });
            }
        }
        // A value already written as a placeholder (`"<zone-id>"  # replace
        // with yours`) is asked as that placeholder.
        if let Some(e) = example.filter(|_| !out.iter().any(|p| p.line == n))
            && !out.iter().any(|p| p.token == e.name)
        {
            out.push(Placeholder {
                token: e.name.clone(),
                name: e.name.clone(),
                line: n,
                secret: crate::secrets::is_secret_name(&e.name),
                example: Some(Box::new(e)),
            });
        }
        heredoc_end = heredoc_delimiter(code);
    }
    out
}

/// Whether `script` has a byte some placeholder needs: `<`, `[`, a dot
/// (versions), `X` (`XXXX`, `X.Y.Z`), `Y` (`YYYY`) or a `y` (`your-`). Most
/// blocks have none, and are then not read line by line.
fn may_hold_one(script: &str) -> bool {
    let needed = |b: u8| matches!(b, b'<' | b'[' | b'.' | b'X' | b'Y' | b'y');
    // Every block is asked: eight bytes at a time, as one word.
    let mut chunks = script.as_bytes().chunks_exact(8);
    let found = chunks.any(|chunk| {
        let word = u64::from_le_bytes(chunk.try_into().expect("a chunk of eight bytes"));
        [b'<', b'[', b'.', b'X', b'Y', b'y']
            .into_iter()
            .any(|b| has_zero_byte(word ^ (u64::from(b) * 0x0101_0101_0101_0101)))
    });
    found || chunks.remainder().iter().any(|&b| needed(b))
}

/// Whether a byte of `word` is zero. Where none is, no byte borrows from
/// the next, and no top bit is set that was clear; where one is, the
/// lowest such one borrows and sets its top bit.
fn has_zero_byte(word: u64) -> bool {
    word.wrapping_sub(0x0101_0101_0101_0101) & !word & 0x8080_8080_8080_8080 != 0
}

fn strip_comment(line: &str) -> &str {
    let t = line.trim_start();
    if t.starts_with('#') { "" } else { line }
}

/// `line` with every `{{ ... }}` turned to spaces (same length).
fn mask_templates(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        out.push_str(&rest[..open]);
        out.extend(std::iter::repeat_n(' ', close + 2));
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    out
}

fn heredoc_delimiter(line: &str) -> Option<String> {
    let at = line.find("<<")?;
    let rest = line[at + 2..]
        .trim_start_matches('-')
        .trim_start_matches('~')
        .trim_start();
    let word: String = rest
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

fn angle_tokens(line: &str) -> Vec<(String, String)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(rel) = line[i..].find('<') {
        let at = i + rel;
        i = at + 1;
        // `<<` (a heredoc, a shift) is no placeholder: step past both.
        if b.get(at + 1) == Some(&b'<') {
            i = (at + 2).min(line.len());
            continue;
        }
        if at > 0 && b[at - 1] == b'<' {
            continue;
        }
        let Some(close) = line[at + 1..].find('>') else {
            break;
        };
        let inner = &line[at + 1..at + 1 + close];
        let ok = inner
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && inner
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | ' '))
            && !HTML_TAGS.contains(&inner.to_ascii_lowercase().as_str());
        if ok {
            out.push((line[at..at + close + 2].to_string(), inner.to_string()));
            i = at + close + 2;
        }
    }
    out
}

fn x_runs(line: &str) -> Vec<(String, String)> {
    if !line.contains("XXXX") || line.contains("mktemp") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut run = 0;
    for (i, c) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        if c == 'X' {
            run += 1;
            continue;
        }
        if run >= 4 {
            let token = line[i - run..i].to_string();
            out.push((token.clone(), token));
        }
        run = 0;
    }
    out
}

/// Whether a `[` after `before` opens a word of its own, rather than an
/// index (`${ARR[IDX]}`), a character class (`tr '[A-Z]'`), a test (`[[`).
fn opens_a_word(before: Option<u8>) -> bool {
    !before.is_some_and(|c| {
        c.is_ascii_alphanumeric()
            || matches!(c, b'_' | b'$' | b'{' | b'[' | b'\'' | b'"' | b'/' | b'=')
    })
}

fn bracket_tokens(line: &str) -> Vec<(String, String)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    for (at, _) in line.match_indices('[') {
        let before = at.checked_sub(1).map(|p| b[p]);
        if !opens_a_word(before) || b.get(at + 1) == Some(&b'[') {
            continue;
        }
        let len = bracketed_caps(&line[at..]).or_else(|| bracketed_phrase(&line[at..]));
        if let Some(len) = len {
            let token = &line[at..at + len];
            out.push((token.to_string(), token[1..token.len() - 1].to_string()));
        }
    }
    out
}

/// `[Command to restart the worker]`: words in brackets, a letter first,
/// at least two words: a description of what goes there. Its length.
fn bracketed_phrase(text: &str) -> Option<usize> {
    let inner_end = text[1..].find(']')? + 1;
    let inner = &text[1..inner_end];
    let words = inner.split(' ').filter(|w| !w.is_empty()).count();
    let ok = words >= 2
        && inner.len() <= 80
        && inner
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && inner.chars().any(|c| c.is_ascii_lowercase())
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '\''));
    ok.then_some(inner_end + 1)
}

fn your_tokens(line: &str) -> Vec<(String, String)> {
    // Most lines have no `your` in any case: not worth a lowercase copy.
    if !line
        .as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"your"))
    {
        return Vec::new();
    }
    let lower = line.to_ascii_lowercase();
    let b = line.as_bytes();
    let mut out = Vec::new();
    for (at, _) in lower.match_indices("your") {
        if at > 0 && (b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_') {
            continue;
        }
        let upper = &line[at..at + 4] == "YOUR";
        // `YOUR/SLACK/WEBHOOK`: a path of capitals is one placeholder.
        let joins = |c: u8| matches!(c, b'-' | b'_') || (upper && c == b'/');
        if !b.get(at + 4).copied().is_some_and(joins) {
            continue;
        }
        let end = line[at..]
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || (upper && c == '/'))
            })
            .map_or(line.len(), |e| at + e);
        let token = line[at..end].trim_end_matches(['/', '-', '_']);
        if token.len() > 6 {
            out.push((token.to_string(), token.to_string()));
        }
    }
    out
}

/// Maximal runs of `[A-Za-z0-9._-]` in `line`, with their offsets.
fn words(line: &str) -> impl Iterator<Item = (usize, &str)> {
    let word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + line[at..].find(word)?;
        let end = line[start..]
            .find(|c| !word(c))
            .map_or(line.len(), |e| start + e);
        at = end;
        Some((start, &line[start..end]))
    })
}

/// `vX.Y.Z`, `X.Y.Z`, `x.y.z`, `1.2.x`: a version to fill in. A release
/// series written with its `v` (`v1.7.x`) names that series, as branch and
/// tag names do: it is meant as written.
fn version_tokens(line: &str) -> Vec<(String, String)> {
    // Every version pattern has a dot in it.
    if !line.contains('.') {
        return Vec::new();
    }
    let b = line.as_bytes();
    let mut out = Vec::new();
    for (start, word) in words(line) {
        // `react@16.x`, `^1.2.x`: a version range, meant as written.
        if start > 0 && matches!(b[start - 1], b'@' | b'^' | b'~') {
            continue;
        }
        let word = word.trim_matches(['.', '-', '_']);
        let bare = word.strip_prefix(['v', 'V']).unwrap_or(word);
        let parts: Vec<&str> = bare.split('.').collect();
        let letters = |set: &[&str]| parts.len() >= 2 && parts.iter().zip(set).all(|(p, s)| p == s);
        let named = (letters(&["X", "Y", "Z"]) && parts.len() <= 3)
            || (parts.len() == 3 && letters(&["x", "y", "z"]));
        let wildcard = bare.len() == word.len()
            && parts.len() >= 2
            && parts.last().is_some_and(|p| matches!(*p, "x" | "X"))
            && parts[..parts.len() - 1]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
        if named || wildcard {
            out.push((word.to_string(), word.to_string()));
        }
    }
    out
}

/// The parts a date or version pattern is made of, longest first.
const DATE_PARTS: &[&str] = &[
    "YYYY", "PATCH", "MINOR", "MAJOR", "BUILD", "YY", "MM", "DD", "HH", "SS",
];

/// `YYYYMMDD`, `YYYY-MM-DD`, `YY.MM.PATCH`: a date (or a dated version) to
/// fill in. Inside a longer name (`backup-YYYYMMDD.sql`) only the pattern.
fn date_tokens(line: &str) -> Vec<(String, String)> {
    // Only a run of parts that holds a year (`YY`) is kept.
    if !line.contains("YY") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (_, word) in words(line) {
        // Split at separators; keep the longest run of pattern parts that holds a year.
        let mut run: Option<(usize, usize)> = None;
        let mut best: Option<(usize, usize)> = None;
        let mut at = 0;
        for piece in word.split_inclusive(['.', '-', '_']) {
            let bare = piece.trim_end_matches(['.', '-', '_']);
            let end = at + bare.len();
            if is_date_pattern(bare) {
                run = Some((run.map_or(at, |r| r.0), end));
                if let Some((s, e)) = run
                    && word[s..e].contains("YY")
                    && best.is_none_or(|(bs, be)| e - s > be - bs)
                {
                    best = Some((s, e));
                }
            } else {
                run = None;
            }
            at += piece.len();
        }
        if let Some((s, e)) = best {
            let token = &word[s..e];
            out.push((token.to_string(), token.to_string()));
        }
    }
    out
}

/// Whether `piece` is made of `DATE_PARTS` only (`YYYYMMDD`, `HHMMSS`).
fn is_date_pattern(piece: &str) -> bool {
    let mut rest = piece;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        match DATE_PARTS.iter().find(|p| rest.starts_with(*p)) {
            Some(p) => rest = &rest[p.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each byte a placeholder needs is seen wherever it is, in the chunks
    /// read as words and after them, and no other byte is taken for one.
    #[test]
    fn may_hold_one_sees_each_needed_byte_anywhere() {
        for len in [1, 7, 8, 9, 16, 17, 23] {
            for at in 0..len {
                for b in 1..128u8 {
                    for fill in [b'a', 0x01, 0x7f, b'y' + 1, b'X' - 1] {
                        let mut bytes = vec![fill; len];
                        bytes[at] = b;
                        let text = String::from_utf8(bytes).unwrap();
                        let needed = |b: u8| matches!(b, b'<' | b'[' | b'.' | b'X' | b'Y' | b'y');
                        let want = text.bytes().any(needed);
                        assert_eq!(may_hold_one(&text), want, "{text:?}");
                    }
                }
            }
        }
        assert!(!may_hold_one(""));
        assert!(may_hold_one("é.é"));
        assert!(!may_hold_one("ééééé"));
    }

    fn names(script: &str) -> Vec<String> {
        placeholders(script, true)
            .into_iter()
            .map(|p| p.name)
            .collect()
    }

    #[test]
    fn runs_of_angle_brackets_never_panic() {
        for line in [
            "docker exe<<<<<",
            "|-<<<<<[<<<<<<<",
            "`GO / =<<<<<<<<<<<<<<<",
            "a <<<<<Ľ<<<< b",
            "<",
            "<<",
            "x<",
        ] {
            assert!(placeholders(line, true).is_empty(), "{line}");
        }
    }

    #[test]
    fn placeholders_in_commands() {
        let script = "curl -H \"Authorization: Bearer <valid-jwt-token>\" https://x/api\n\
                      git tag v<VERSION>-rc<N> && echo [SHA]\n\
                      export KEY=sk_live_XXXXXXXX your-production-admin-token\n\
                      sort < input.txt > out.txt 2>&1\n\
                      cat <<EOF > page.html\n<html><b>[NOT A FIELD]</b> <token></html>\nEOF\n\
                      f=$(mktemp /tmp/x.XXXXXX); tr '[A-Z]' '[a-z]'; [[ -f x ]]; echo ${ARR[IDX]}\n\
                      ssh -i <deploy-keys> admin@<private_ip>\n\
                      # <not-this>: comments are prose\n";
        let found: Vec<(String, bool)> = placeholders(script, true)
            .into_iter()
            .map(|p| (p.name, p.secret))
            .collect();
        assert_eq!(
            found,
            vec![
                ("valid-jwt-token".into(), true),
                ("VERSION".into(), false),
                ("N".into(), false),
                ("SHA".into(), false),
                ("XXXXXXXX".into(), false),
                ("your-production-admin-token".into(), true),
                ("deploy-keys".into(), true),
                ("private_ip".into(), true),
            ]
        );
    }

    #[test]
    fn versions_dates_and_described_commands_to_replace() {
        assert_eq!(
            names("git tag vX.Y.Z && git push origin vX.Y.Z"),
            ["vX.Y.Z"]
        );
        assert_eq!(names("helm upgrade app --version X.Y.Z"), ["X.Y.Z"]);
        assert_eq!(names("pip install 'tool==1.2.x'"), ["1.2.x"]);
        assert_eq!(
            names("RELEASE_TAG=v1.7.x make release-notes"),
            Vec::<String>::new()
        );
        assert_eq!(
            names("./weekly --since <YYYY-MM-DD> --until <YYYY-MM-DD>"),
            ["<YYYY-MM-DD>"].map(|t| t.trim_matches(['<', '>']).to_string())
        );
        assert_eq!(names("npm i react@16.x lodash@^4.x"), Vec::<String>::new());
        assert_eq!(names("pg_dump db > backup-YYYYMMDD.sql"), ["YYYYMMDD"]);
        assert_eq!(names("git tag release-YY.MM.PATCH"), ["YY.MM.PATCH"]);
        assert_eq!(names("date -d YYYY-MM-DD"), ["YYYY-MM-DD"]);
        assert_eq!(
            names("[Command to restart the worker]"),
            ["Command to restart the worker"]
        );
        assert_eq!(
            names("curl -X POST https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK \\"),
            ["YOUR/SLACK/WEBHOOK"]
        );
        assert_eq!(names("node --security-revert=CVE-2024-XXXX"), ["XXXX"]);
        // Only shell blocks: elsewhere these are format strings.
        assert!(placeholders("dayjs().format('YYYY-MM-DD')", false).is_empty());
    }

    #[test]
    fn example_values_a_comment_says_to_replace() {
        let script = "HOSTED_ZONE_ID=\"Z1234567890ABC\"  # Replace with actual hosted zone ID\n\
                      export DB_PASSWORD=hunter22 # CHANGEME\n\
                      # Replace with your monitoring tool query\n\
                      curl https://x/q  # Replace with your monitoring tool query\n\
                      RETRIES=3 # how many times\n\
                      ZONE=\"<zone-id>\" # replace with the real one\n\
                      cat <<EOF\nIN_DOC=1 # replace me\nEOF\n";
        let found: Vec<(String, String, bool, Option<String>)> = placeholders(script, true)
            .into_iter()
            .map(|p| {
                let example = p.example.map(|e| e.value().to_string());
                (p.token, p.name, p.secret, example)
            })
            .collect();
        let example = |name: &str, secret, value: &str| {
            (name.into(), name.into(), secret, Some(value.into()))
        };
        assert_eq!(
            found,
            vec![
                example("HOSTED_ZONE_ID", false, "Z1234567890ABC"),
                example("DB_PASSWORD", true, "hunter22"),
                ("<zone-id>".into(), "zone-id".into(), false, None),
            ]
        );
        // Only shell blocks set variables this way.
        assert!(placeholders("ID = 'x'  # replace me", false).is_empty());
        assert!(placeholders("ID='x'  # replace me", false).is_empty());
    }

    #[test]
    fn what_is_not_a_placeholder() {
        for line in [
            "f=$(mktemp /tmp/x.XXXXXX)",
            "tr '[A-Z]' '[a-z]'",
            "[[ -f /etc/x ]] && echo yes",
            "[ -f /etc/x ] && echo yes",
            "echo ${a[0]} ${ARR[IDX]}",
            "kubectl get pod -o go-template='{{ .Status.Phase }}' {{ .Values.image }}",
            "echo ${{ secrets.DEPLOY_TOKEN }}",
            "read -p 'Continue? [Y/n] ' answer",
            "echo \"[Step one of three]\"",
            "date +%Y%m%d",
        ] {
            assert!(names(line).is_empty(), "{line}: {:?}", names(line));
        }
    }
}
