//! Host patterns, as `on=`, `--hosts` and `--limit` write them: names, globs,
//! Ansible-style ranges, groups, `!` exclusions, `&` intersections, `local`.

use super::inventory::Inventory;

/// A parsed host pattern: `web-[1:3],db-*,!web-2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    terms: Vec<Term>,
    /// The text as written, for messages.
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Add,
    /// `!term`: taken out of what the terms before it chose.
    Remove,
    /// `&term`: only what the terms before it chose that this one names too.
    Keep,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    op: Op,
    /// The term with its ranges expanded: one word or glob each.
    words: Vec<String>,
}

/// The name that runs a block on runsheet's own machine.
pub const LOCAL: &str = "local";

/// Where a pattern points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// `local`: runsheet's own machine.
    Local,
    /// Host names, in inventory order (names the inventory lacks after those,
    /// in the order written).
    Hosts(Vec<String>),
}

impl Pattern {
    /// Parses `text`; an error says what is wrong in it.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let mut terms = Vec::new();
        for raw in split_terms(text)? {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            let (op, rest) = match raw.as_bytes()[0] {
                b'!' => (Op::Remove, &raw[1..]),
                b'&' => (Op::Keep, &raw[1..]),
                _ => (Op::Add, raw),
            };
            let rest = rest.trim();
            if rest.is_empty() {
                return Err(format!("`{raw}` names no host"));
            }
            if let Some(bad) = rest
                .chars()
                .find(|c| c.is_whitespace() || matches!(c, '!' | '&'))
            {
                return Err(format!(
                    "`{rest}` is not a host name (it holds `{bad}`); separate hosts with commas"
                ));
            }
            terms.push(Term {
                op,
                words: expand(rest)?,
            });
        }
        if terms.is_empty() {
            return Err("the pattern names no host".into());
        }
        if terms[0].op != Op::Add {
            // `!web-2` alone: every host but web-2, as Ansible reads it.
            terms.insert(
                0,
                Term {
                    op: Op::Add,
                    words: vec!["all".into()],
                },
            );
        }
        let local = terms.iter().any(|t| t.words.iter().any(|w| w == LOCAL));
        if local && (terms.len() > 1 || terms[0].words.len() > 1) {
            return Err(
                "`local` runs the block on this machine and cannot be combined with hosts".into(),
            );
        }
        Ok(Pattern {
            terms,
            text: text.trim().to_string(),
        })
    }

    /// The text as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether this is `local`.
    pub fn is_local(&self) -> bool {
        self.terms.len() == 1 && self.terms[0].words == [LOCAL]
    }

    /// The hosts this pattern names in `inventory`. A name the inventory does
    /// not know is a host of its own (ssh resolves it through its config),
    /// but a glob or a group must match something.
    pub fn select(&self, inventory: &Inventory) -> Result<Selection, String> {
        if self.is_local() {
            return Ok(Selection::Local);
        }
        // Inventory hosts by index, then names the inventory lacks.
        let mut chosen: Vec<String> = Vec::new();
        for term in &self.terms {
            let mut named: Vec<String> = Vec::new();
            for word in &term.words {
                let found = names(word, inventory);
                if found.is_empty() {
                    if is_glob(word) {
                        return Err(format!(
                            "`{word}` matches no host of the inventory{}",
                            if inventory.is_empty() {
                                " (there is none: give one with --inventory)"
                            } else {
                                ""
                            }
                        ));
                    }
                    named.push(word.clone());
                } else {
                    named.extend(found);
                }
            }
            match term.op {
                Op::Add => {
                    for n in named {
                        if !chosen.contains(&n) {
                            chosen.push(n);
                        }
                    }
                }
                Op::Remove => chosen.retain(|h| !named.contains(h)),
                Op::Keep => chosen.retain(|h| named.contains(h)),
            }
        }
        let position = |h: &String| inventory.position(h).unwrap_or(usize::MAX);
        // Stable: names outside the inventory keep the order they were written in.
        chosen.sort_by_key(position);
        Ok(Selection::Hosts(chosen))
    }
}

/// The inventory hosts `word` names: `all`/`*`, a group, a host, or a glob
/// over host names.
fn names(word: &str, inventory: &Inventory) -> Vec<String> {
    if word == "all" || word == "*" {
        return inventory.names().map(str::to_string).collect();
    }
    if let Some(hosts) = inventory.group(word) {
        return hosts;
    }
    if inventory.position(word).is_some() {
        return vec![word.to_string()];
    }
    if is_glob(word) {
        let mut found: Vec<String> = inventory
            .names()
            .filter(|h| glob(word, h))
            .map(str::to_string)
            .collect();
        for group in inventory.group_names().filter(|g| glob(word, g)) {
            for h in inventory.group(group).unwrap_or_default() {
                if !found.contains(&h) {
                    found.push(h);
                }
            }
        }
        return found;
    }
    Vec::new()
}

fn is_glob(word: &str) -> bool {
    word.contains(['*', '?'])
}

/// Shell-style matching of `*` and `?`.
pub fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Splits at commas outside `[...]`.
fn split_terms(text: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| format!("`{}` has a `]` without its `[`", text.trim()))?;
            }
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err(format!("`{}` has a `[` without its `]`", text.trim()));
    }
    out.push(&text[start..]);
    Ok(out)
}

/// Expands Ansible-style ranges in a host name: `web-[1:3]`, `db[01:10]`,
/// `rack-[a:c]`, `n[0:10:5]`; several ranges give every combination.
pub fn expand(name: &str) -> Result<Vec<String>, String> {
    let Some(open) = name.find('[') else {
        if name.contains(']') {
            return Err(format!("`{name}` has a `]` without its `[`"));
        }
        return Ok(vec![name.to_string()]);
    };
    let close = name[open..]
        .find(']')
        .map(|i| open + i)
        .ok_or_else(|| format!("`{name}` has a `[` without its `]`"))?;
    let (head, range, tail) = (&name[..open], &name[open + 1..close], &name[close + 1..]);
    let values = range_values(range).map_err(|m| format!("`{name}`: {m}"))?;
    let rests = expand(tail)?;
    let mut out = Vec::with_capacity(values.len() * rests.len());
    for v in &values {
        for rest in &rests {
            out.push(format!("{head}{v}{rest}"));
        }
    }
    Ok(out)
}

/// The values of one range body: `1:3`, `01:10`, `a:f`, with an optional step.
fn range_values(range: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = range.split(':').collect();
    let (from, to, step) = match parts.as_slice() {
        [from, to] => (*from, *to, "1"),
        [from, to, step] => (*from, *to, *step),
        _ => {
            return Err(format!(
                "`[{range}]` is not a range; write it as [1:3], [01:10] or [a:f]"
            ));
        }
    };
    let step: usize = step
        .parse()
        .ok()
        .filter(|&s| s > 0)
        .ok_or_else(|| format!("the step of `[{range}]` is not a positive whole number"))?;
    let letters = |s: &str| s.len() == 1 && s.bytes().all(|b| b.is_ascii_alphabetic());
    if letters(from) && letters(to) {
        let (a, b) = (from.as_bytes()[0], to.as_bytes()[0]);
        if a > b {
            return Err(format!("`[{range}]` runs backwards"));
        }
        return Ok((a..=b)
            .step_by(step)
            .map(|c| char::from(c).to_string())
            .collect());
    }
    let number = |s: &str| -> Result<u64, String> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "`[{range}]` is not a range; write it as [1:3], [01:10] or [a:f]"
            ));
        }
        s.parse().map_err(|_| format!("`{s}` is too large"))
    };
    let (a, b) = (number(from)?, number(to)?);
    if a > b {
        return Err(format!("`[{range}]` runs backwards"));
    }
    if (b - a) / step as u64 >= 10_000 {
        return Err(format!("`[{range}]` names more than 10,000 hosts"));
    }
    // A leading zero pads every number to the width written: [01:10].
    let width = if from.len() > 1 && from.starts_with('0') {
        from.len()
    } else {
        0
    };
    Ok((a..=b)
        .step_by(step)
        .map(|n| format!("{n:0width$}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory() -> Inventory {
        Inventory::parse_text(
            "inv",
            "[web]\nweb-[1:4]\n[db]\ndb-1\ndb-2\n[prod:children]\nweb\ndb\n",
        )
        .unwrap()
    }

    fn hosts(pattern: &str) -> Vec<String> {
        match Pattern::parse(pattern)
            .unwrap()
            .select(&inventory())
            .unwrap()
        {
            Selection::Hosts(h) => h,
            Selection::Local => vec!["<local>".into()],
        }
    }

    #[test]
    fn ranges_expand_like_ansible() {
        assert_eq!(expand("web-[1:3]").unwrap(), ["web-1", "web-2", "web-3"]);
        assert_eq!(expand("db[08:10]").unwrap(), ["db08", "db09", "db10"]);
        assert_eq!(expand("r-[a:c]").unwrap(), ["r-a", "r-b", "r-c"]);
        assert_eq!(expand("n[0:10:5]").unwrap(), ["n0", "n5", "n10"]);
        assert_eq!(
            expand("[a:b]-[1:2].x").unwrap(),
            ["a-1.x", "a-2.x", "b-1.x", "b-2.x"]
        );
        for bad in [
            "web-[1-3]",
            "web-[3:1]",
            "web-[1:3",
            "web-1]",
            "web-[1:x]",
            "[0:1:0]",
        ] {
            assert!(expand(bad).is_err(), "{bad}");
        }
        assert!(expand("n[0:99999]").is_err());
    }

    #[test]
    fn patterns_choose_hosts_in_inventory_order() {
        assert_eq!(hosts("web-[1:3],db-1,!web-2"), ["web-1", "web-3", "db-1"]);
        assert_eq!(hosts("db-1,web-2"), ["web-2", "db-1"]);
        assert_eq!(hosts("web-*,!web-[2:4]"), ["web-1"]);
        assert_eq!(hosts("db"), ["db-1", "db-2"]);
        assert_eq!(hosts("prod,&db"), ["db-1", "db-2"]);
        assert_eq!(hosts("all,!web"), ["db-1", "db-2"]);
        assert_eq!(hosts("cache-9,web-1"), ["web-1", "cache-9"]);
        assert_eq!(hosts("local"), ["<local>"]);
        assert_eq!(hosts("w?b-1"), ["web-1"]);
        assert_eq!(hosts("!web"), ["db-1", "db-2"]);
    }

    #[test]
    fn bad_patterns_say_what_is_wrong() {
        let err = |p: &str| Pattern::parse(p).unwrap_err();
        assert!(err("local,web-1").contains("cannot be combined"));
        assert!(err("web 1").contains("separate hosts with commas"));
        assert!(err(",").contains("names no host"));
        assert!(err("web-[1:3").contains("without its `]`"));
        let unmatched = Pattern::parse("cache-*")
            .unwrap()
            .select(&inventory())
            .unwrap_err();
        assert!(unmatched.contains("matches no host"), "{unmatched}");
    }

    #[test]
    fn globs() {
        assert!(glob("web-*", "web-12"));
        assert!(glob("*-1", "db-1"));
        assert!(glob("w*b*", "web-b"));
        assert!(!glob("web-?", "web-12"));
        assert!(glob("*", ""));
    }
}
