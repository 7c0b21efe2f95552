//! Fields inside text a parser span gave: blanks (`____`, `[START TIME]`),
//! choices (`Yes / No` code spans, `☐ GO ☐ NO-GO` ballots) and placeholders in
//! commands (`<release-tag>`, `XXXXX`, `[SHA]`, `your-admin-token`).

use std::ops::Range;

/// The empty ballot box, and the one a pick is marked with.
pub const BALLOT: char = '☐';
pub const BALLOT_MARKED: char = '☒';

/// Blanks in a run of prose (source text of consecutive text events): byte ranges.
pub fn blanks(text: &str) -> Vec<Range<usize>> {
    // Every blank holds an underscore or starts with a bracket.
    if !text.contains(['_', '[']) {
        return Vec::new();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // Underscore runs, escaped or not: `____`, `\_\_\_`.
        let start = i;
        let mut underscores = 0;
        let mut j = i;
        loop {
            if bytes.get(j) == Some(&b'_') {
                underscores += 1;
                j += 1;
            } else if bytes.get(j) == Some(&b'\\') && bytes.get(j + 1) == Some(&b'_') {
                underscores += 1;
                j += 2;
            } else {
                break;
            }
        }
        let escaped = j - start > underscores;
        if underscores >= 3 || (escaped && underscores >= 2) {
            out.push(start..j);
            i = j;
            continue;
        }
        if bytes[i] == b'['
            && let Some(len) = bracketed_caps(&text[i..])
        {
            let after = bytes.get(i + len).copied();
            let before = i.checked_sub(1).map(|b| bytes[b]);
            let link = matches!(after, Some(b'(' | b'[' | b':'));
            let nested = before == Some(b']') || before == Some(b'!');
            if !link && !nested {
                out.push(i..i + len);
                i += len;
                continue;
            }
        }
        i = j.max(i + 1);
        while i < bytes.len() && !text.is_char_boundary(i) {
            i += 1;
        }
    }
    out
}

/// `[START TIME]`, `[SHA]`: the length of a bracketed run of capitals at the
/// start of `text`, if there is one.
fn bracketed_caps(text: &str) -> Option<usize> {
    let inner_end = text[1..].find(']')? + 1;
    let inner = &text[1..inner_end];
    let ok = inner.len() >= 2
        && inner.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && inner
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && inner.chars().all(|c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, ' ' | '_' | '-' | '/')
        })
        && inner.chars().filter(|c| c.is_ascii_uppercase()).count() >= 2
        && !is_char_class(inner);
    ok.then_some(inner_end + 1)
}

/// `A-Z`, `0-9A-F`: a character class, not a field.
fn is_char_class(inner: &str) -> bool {
    let b = inner.as_bytes();
    b.len() >= 3 && b.chunks(3).all(|c| c.len() == 3 && c[1] == b'-')
}

/// The options of a code span like `Yes / No` or `GO / NO-GO`.
pub fn code_choice(code: &str) -> Option<Vec<String>> {
    if !code.contains(" / ") {
        return None;
    }
    let options: Vec<String> = code.split(" / ").map(|o| o.trim().to_string()).collect();
    let plausible = |o: &String| {
        !o.is_empty()
            && o.len() <= 30
            && o.chars().next().is_some_and(char::is_alphanumeric)
            && o.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '\''))
    };
    (options.len() >= 2 && options.iter().all(plausible)).then_some(options)
}

/// A run of ballot boxes in prose: `☐ Approved ☐ Pending`, or a lone `☐`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ballot {
    /// From the first box to the end of the last option.
    pub span: Range<usize>,
    /// Where each box is (its byte offset), in order.
    pub boxes: Vec<usize>,
    /// The text after each box; empty for a lone box.
    pub options: Vec<String>,
}

/// Ballot runs in a run of prose.
pub fn ballots(text: &str) -> Vec<Ballot> {
    let boxes: Vec<usize> = text.match_indices(BALLOT).map(|(i, _)| i).collect();
    let mut out: Vec<Ballot> = Vec::new();
    for (n, &at) in boxes.iter().enumerate() {
        let option_start = at + BALLOT.len_utf8();
        let limit = boxes.get(n + 1).copied().unwrap_or(text.len());
        let raw = &text[option_start..limit];
        // An option ends at a line end, a `|`, an opening parenthesis or a wide gap.
        let end = raw
            .find(['\n', '\r', '|', '('])
            .into_iter()
            .chain(
                raw.trim_start()
                    .find("  ")
                    .map(|g| g + raw.len() - raw.trim_start().len()),
            )
            .min()
            .unwrap_or(raw.len());
        let option = raw[..end].trim().to_string();
        let option_end = option_start + raw[..end].trim_end().len();
        let joins = out.last().is_some_and(|b: &Ballot| {
            let gap = &text[b.span.end..at];
            gap.chars().all(|c| c == ' ' || c == '\t')
        });
        if joins {
            let b = out.last_mut().expect("checked above");
            b.boxes.push(at);
            b.options.push(option);
            b.span.end = option_end.max(at + BALLOT.len_utf8());
        } else {
            out.push(Ballot {
                span: at..option_end.max(at + BALLOT.len_utf8()),
                boxes: vec![at],
                options: vec![option],
            });
        }
    }
    out
}

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
}

const HTML_TAGS: &[&str] = &[
    "html", "head", "body", "div", "span", "p", "a", "b", "i", "u", "em", "strong", "br", "hr",
    "ul", "ol", "li", "table", "tr", "td", "th", "script", "style", "title", "meta", "link", "h1",
    "h2", "h3", "h4", "h5", "h6", "pre", "code", "img", "form", "input", "label", "button", "svg",
    "section", "header", "footer", "nav", "main", "details", "summary", "small", "sub", "sup",
];

/// Placeholders in a block's script, heredoc bodies and `mktemp` templates excluded.
pub fn placeholders(script: &str) -> Vec<Placeholder> {
    let mut out: Vec<Placeholder> = Vec::new();
    // Each kind needs one of these: `<name>`, `[NAME]`, `XXXX`, `your-name`.
    let may_hold = script.contains(['<', '['])
        || script.contains("XXXX")
        || script
            .as_bytes()
            .windows(4)
            .any(|w| w.eq_ignore_ascii_case(b"your"));
    if !may_hold {
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
        let code = strip_comment(line);
        for (token, name) in angle_tokens(code)
            .into_iter()
            .chain(x_runs(code))
            .chain(bracket_tokens(code))
            .chain(your_tokens(code))
        {
            if !out.iter().any(|p| p.token == token) {
                let secret = crate::secrets::is_secret_name(&name);
                out.push(Placeholder {
                    token,
                    name,
                    line: n,
                    secret,
                });
            }
        }
        heredoc_end = heredoc_delimiter(code);
    }
    out
}

fn strip_comment(line: &str) -> &str {
    let t = line.trim_start();
    if t.starts_with('#') { "" } else { line }
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
    if line.contains("mktemp") {
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

fn bracket_tokens(line: &str) -> Vec<(String, String)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    for (at, _) in line.match_indices('[') {
        let before = at.checked_sub(1).map(|p| b[p]);
        if before.is_some_and(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'{' | b'[' | b'\'' | b'"')
        }) {
            continue;
        }
        if b.get(at + 1) == Some(&b'[') {
            continue;
        }
        if let Some(len) = bracketed_caps(&line[at..]) {
            let token = &line[at..at + len];
            out.push((token.to_string(), token[1..token.len() - 1].to_string()));
        }
    }
    out
}

fn your_tokens(line: &str) -> Vec<(String, String)> {
    let lower = line.to_ascii_lowercase();
    let b = line.as_bytes();
    let mut out = Vec::new();
    for (at, _) in lower.match_indices("your") {
        if at > 0 && (b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_') {
            continue;
        }
        if !matches!(b.get(at + 4), Some(b'-' | b'_')) {
            continue;
        }
        let end = line[at..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map_or(line.len(), |e| at + e);
        if end > at + 6 {
            let token = line[at..end].to_string();
            out.push((token.clone(), token));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, ranges: &[Range<usize>]) -> Vec<String> {
        ranges.iter().map(|r| text[r.clone()].to_string()).collect()
    }

    #[test]
    fn blanks_in_prose() {
        let t =
            "Start: ________ (UTC) by [OPERATOR NAME], sha [SHA] \\_\\_ [link](x) [ ] [A-Z] [x]";
        assert_eq!(
            texts(t, &blanks(t)),
            vec!["________", "[OPERATOR NAME]", "[SHA]", "\\_\\_"]
        );
        assert!(blanks("snake_case __init__ a__b").is_empty());
        assert!(blanks("[TODO]: http://x").is_empty());
    }

    #[test]
    fn choices_in_code_spans() {
        assert_eq!(code_choice("Yes / No").unwrap(), vec!["Yes", "No"]);
        assert_eq!(
            code_choice("STABLE / NEEDS ATTENTION / ROLLBACK REQUIRED")
                .unwrap()
                .len(),
            3
        );
        assert!(code_choice("src/main.rs").is_none());
        assert!(code_choice("a / $(rm -rf x)").is_none());
    }

    #[test]
    fn ballot_runs() {
        let t = "☐ GO  ☐ NO-GO";
        let b = ballots(t);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].options, vec!["GO", "NO-GO"]);
        assert_eq!(&t[b[0].span.clone()], t);
        let t = "| ☐ Yes ☐ No (Hold if not complete) | ☐ |";
        let b = ballots(t);
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].options, vec!["Yes", "No"]);
        assert_eq!(b[1].options, vec![""]);
        let b = ballots("☐ ✅ Yes  ☐ ❌ No");
        assert_eq!(b[0].options, vec!["✅ Yes", "❌ No"]);
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
            assert!(placeholders(line).is_empty(), "{line}");
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
        let found: Vec<(String, bool)> = placeholders(script)
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
}
