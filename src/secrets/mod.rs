//! Secrets: what counts as one, learning their values as a run goes, and
//! redacting them from everything runsheet writes or prints.

mod shapes;
mod stream;

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

pub use stream::Redactor;

/// Replaces a secret wherever runsheet writes or prints it.
pub const MASK: &str = "•••";

/// Values shorter than this are not treated as secrets (`KEY=1`).
const MIN_LEN: usize = 6;

/// The secrets of one run.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Known values, longest first so a longer secret is masked whole; a
    /// value of several lines also as a terminal shows it (`\r\n`).
    values: Vec<String>,
    /// Extra variable names (`--secret NAME`), upper-cased.
    names: Vec<String>,
    /// All the values in one pattern, made when first needed.
    known: OnceLock<Option<regex::bytes::Regex>>,
}

/// Whether a variable or placeholder name reads like a credential:
/// `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*PASSWD*`, `*CREDENTIAL*`,
/// `*PRIVATE*`, `*API_KEY*` / `*APIKEY*`, or a `KEY` word (`SSH_KEY`,
/// `deploy-keys`, `key_file`) but not `*KEY_ID` (`AWS_ACCESS_KEY_ID`). Case and
/// `-` or `_` do not matter. The one definition: placeholders, environment
/// variables and variables a block sets are all judged by it (how long a
/// value must be to count is judged where values are, in `Secrets::add`).
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase().replace('-', "_");
    [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "CREDENTIAL",
        "PRIVATE",
        "API_KEY",
        "APIKEY",
    ]
    .iter()
    .any(|w| n.contains(w))
        || (n
            .split('_')
            .any(|part| matches!(part, "KEY" | "SSHKEY" | "KEYS"))
            && !n.ends_with("KEY_ID")
            && !n.ends_with("KEYID"))
}

impl Secrets {
    /// Secrets for a run; `names` are extra variable or placeholder names to
    /// treat as secret.
    pub fn new(names: &[String]) -> Secrets {
        Secrets {
            values: Vec::new(),
            names: names.iter().map(|n| n.to_ascii_uppercase()).collect(),
            known: OnceLock::new(),
        }
    }

    /// Whether `name` is a secret's name, by its shape, `--secret` or a
    /// `[secrets] names` pattern (`*` matches any run of characters).
    pub fn is_secret(&self, name: &str) -> bool {
        let name = name.to_ascii_uppercase();
        is_secret_name(&name) || self.names.iter().any(|pattern| glob(pattern, &name))
    }

    /// Remembers a secret value (too-short values are ignored).
    pub fn add(&mut self, value: &str) {
        let value = value.trim_end_matches(['\n', '\r']);
        if value.chars().count() < MIN_LEN || self.values.iter().any(|v| v == value) {
            return;
        }
        self.values.push(value.to_string());
        // A terminal shows a line break as `\r\n` (and a value may have
        // come with them): both forms are the secret.
        let crlf = value.replace("\r\n", "\n").replace('\n', "\r\n");
        let lf = value.replace("\r\n", "\n");
        for form in [crlf, lf] {
            if form != value && !self.values.contains(&form) {
                self.values.push(form);
            }
        }
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        self.known = OnceLock::new();
    }

    /// Learns the values of secret-named variables from `(name, value)` pairs.
    pub fn learn<'a>(&mut self, variables: impl IntoIterator<Item = (&'a str, String)>) {
        for (name, value) in variables {
            if self.is_secret(name) {
                self.add(&value);
            }
        }
    }

    /// The secret-named variables `script` mentions, each once: the ones a
    /// block may set and then print.
    pub fn names_in(&self, script: &str) -> Vec<String> {
        static WORD: OnceLock<Regex> = OnceLock::new();
        let word =
            WORD.get_or_init(|| Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").expect("a valid pattern"));
        let mut names: Vec<String> = Vec::new();
        for m in word.find_iter(script) {
            let name = m.as_str();
            if self.is_secret(name) && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        names
    }

    /// `text` with known values and secrets known by their shape masked:
    /// tokens, URL passwords, credential headers, private key blocks,
    /// `.pgpass` lines, secret-named fields (`password: …`, `API_KEY=…`).
    pub fn redact(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut masks = Vec::new();
        self.mask_ranges(bytes, true, &mut masks);
        if masks.is_empty() {
            return text.to_string();
        }
        let out = stream::masked(bytes, 0..bytes.len(), masks);
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Adds where `text` holds a known value or a secret by its shape to
    /// `out`; `whole` says no more of the text is coming.
    fn mask_ranges(&self, text: &[u8], whole: bool, out: &mut Vec<Range<usize>>) {
        if let Some(known) = self.known() {
            out.extend(known.find_iter(text).map(|m| m.range()));
        }
        shapes::ranges(text, whole, out);
    }

    /// Where a secret not yet whole may start in `text`, output that goes
    /// on past it: a known value begun, or a token, URL password, key block
    /// or field by its shape.
    fn open_from(&self, text: &[u8]) -> Option<usize> {
        let known = self.values.iter().filter_map(|v| {
            let v = v.as_bytes();
            (1..v.len().min(text.len() + 1))
                .rev()
                .find(|&n| text.ends_with(&v[..n]))
                .map(|n| text.len() - n)
        });
        known.chain(shapes::open_from(text)).min()
    }

    /// Where to end the part kept of `text`, the start of an output, so that
    /// no secret is cut in two: `cut`, or earlier, where a secret running
    /// across it starts. `text` should go on well past `cut` (as far as a
    /// secret may be long); `whole` says it is all of the output.
    pub fn head_cut(&self, text: &[u8], mut cut: usize, whole: bool) -> usize {
        let mut spans = Vec::new();
        self.mask_ranges(text, whole, &mut spans);
        if !whole && let Some(open) = self.open_from(text) {
            // A secret begun that goes on past what is here.
            spans.push(open..usize::MAX);
        }
        // Starting earlier may cut another secret: until none is.
        while let Some(start) = spans
            .iter()
            .filter(|s| s.start < cut && cut < s.end)
            .map(|s| s.start)
            .min()
        {
            cut = start;
        }
        cut
    }

    /// Where to start the part kept of `text`, the end of an output whose
    /// start was dropped, so that no secret is cut in two: `start`, or later,
    /// where a secret running across it ends. `text` should begin well before
    /// `start` (as far as a secret may be long).
    pub fn tail_start(&self, text: &[u8], mut start: usize) -> usize {
        let mut spans = Vec::new();
        self.mask_ranges(text, true, &mut spans);
        // The end of a known value whose start was dropped.
        for v in &self.values {
            let v = v.as_bytes();
            if let Some(n) = (1..v.len().min(text.len() + 1))
                .rev()
                .find(|&n| text.starts_with(&v[v.len() - n..]))
            {
                spans.push(0..n);
            }
        }
        while let Some(end) = spans
            .iter()
            .filter(|s| s.start < start && start < s.end)
            .map(|s| s.end)
            .max()
        {
            start = end;
        }
        start
    }

    /// The known values as one pattern, longest first.
    fn known(&self) -> Option<&regex::bytes::Regex> {
        self.known
            .get_or_init(|| {
                if self.values.is_empty() {
                    return None;
                }
                let alternatives: Vec<String> =
                    self.values.iter().map(|v| regex::escape(v)).collect();
                regex::bytes::RegexBuilder::new(&alternatives.join("|"))
                    .unicode(false)
                    .size_limit(64 << 20)
                    .build()
                    .ok()
            })
            .as_ref()
    }
}

/// `*`-only glob matching, on upper-cased text.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The tokens `text` holds that are secrets by their shape alone
/// (`ghp_…`, `AKIA…`, a JWT): a value that is one is masked whatever its
/// name.
pub fn shaped_tokens(text: &str) -> Vec<&str> {
    shapes::tokens(text).map(|(_, token)| token).collect()
}

/// Where a runbook writes a secret literally, which no transcript of it can
/// hide: `(byte offset, what)`. For `plan` to warn about.
pub fn literal_secrets(text: &str) -> Vec<(usize, String)> {
    static ASSIGN: OnceLock<Regex> = OnceLock::new();
    let assign = ASSIGN.get_or_init(|| {
        Regex::new(r#"(?m)\b([A-Za-z_][A-Za-z0-9_]*)=(["']?)([^\s"'$<`{(]{8,})"#)
            .expect("a valid pattern")
    });
    let mut found = Vec::new();
    let example = |v: &str| {
        let l = v.to_ascii_lowercase();
        l.contains("example")
            || l.contains("changeme")
            || l.starts_with("your")
            || v.chars().all(|c| "Xx*.•".contains(c))
    };
    for caps in assign.captures_iter(text) {
        let name = &caps[1];
        let value = &caps[3];
        let start = caps.get(0).map_or(0, |m| m.start());
        if text[..start].ends_with('-') {
            // `--secret=name` is a flag, not an assignment.
            continue;
        }
        if is_secret_name(name) && !example(value) {
            found.push((caps.get(0).map_or(0, |m| m.start()), format!("{name}=…")));
        }
    }
    for (at, token) in shapes::tokens(text).filter(|(_, t)| !example(t)) {
        let head: String = token.chars().take(4).collect();
        found.push((at, format!("a token that looks like `{head}…`")));
    }
    for (at, password) in shapes::url_passwords(text) {
        if !password.starts_with(['$', '<', '{'])
            && !password.eq_ignore_ascii_case("password")
            && !example(password)
        {
            found.push((at, "a password inside a URL".into()));
        }
    }
    found.sort_by_key(|f| f.0);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_secrets() {
        for name in [
            "GITHUB_TOKEN",
            "db_password",
            "API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "SSH_KEY",
            "PGPASSWD",
            "MY_CREDENTIALS",
            "private_ip",
            "deploy-keys",
            "key_file",
            "ssh-key-path",
            "valid-jwt-token",
            "x-api-key",
            "stripeapikey",
            "api-key-id",
            "license-key",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "AWS_ACCESS_KEY_ID",
            "KEYBOARD_LAYOUT",
            "MONKEY_COUNT",
            "PATH",
            "HOME",
            "release-tag",
            "hotkey",
            "keycloak-realm",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
        let s = Secrets::new(&["DSN".into(), "*_url".into(), "STRIPE_*_ID".into()]);
        assert!(s.is_secret("dsn"));
        assert!(s.is_secret("DATABASE_URL"));
        assert!(s.is_secret("STRIPE_ACCOUNT_ID"));
        assert!(!s.is_secret("DSN2"));
        assert!(!s.is_secret("URL_BASE"));
    }

    #[test]
    fn redacts_values_shapes_and_url_passwords() {
        let mut s = Secrets::new(&[]);
        s.add("hunter2hunter2");
        s.add("1");
        let text = "pw=hunter2hunter2 key=AKIAABCDEFGHIJKLMNOP url=postgres://app:s3cr3t@db:5432/x gh=ghp_0123456789abcdefghijABCDEFGHIJ012345 one=1";
        assert_eq!(
            s.redact(text),
            "pw=••• key=••• url=postgres://app:•••@db:5432/x gh=••• one=1"
        );
    }

    #[test]
    fn a_block_is_watched_for_the_secret_names_it_mentions() {
        let s = Secrets::new(&["DSN".into()]);
        let script =
            "API_TOKEN=$(vault read x)\necho \"$API_TOKEN $DSN $HOME\"\nread -rs DB_PASSWORD\n";
        assert_eq!(s.names_in(script), ["API_TOKEN", "DSN", "DB_PASSWORD"]);
        assert!(s.names_in("echo hello; ls -la").is_empty());
    }

    #[test]
    fn literal_secrets_in_a_runbook_are_found() {
        let text = "export GITHUB_TOKEN=ghp_0123456789abcdefghijABCDEFGHIJ012345\nAPI_KEY=<your-key>\nDB_PASSWORD=$(vault read x)\nPASSWORD=changeme123\nURL=postgres://u:realpass@h/db\n";
        let found: Vec<String> = literal_secrets(text).into_iter().map(|f| f.1).collect();
        assert_eq!(
            found,
            vec![
                "GITHUB_TOKEN=…",
                "a token that looks like `ghp_…`",
                "a password inside a URL"
            ]
        );
    }
}
