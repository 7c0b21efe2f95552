//! Secrets: what counts as one, learning their values as a run goes, and
//! redacting them from everything runsheet writes or prints.

use std::sync::OnceLock;

use regex::Regex;

/// Replaces a secret wherever runsheet writes or prints it.
pub const MASK: &str = "•••";

/// Values shorter than this are not treated as secrets (`KEY=1`).
const MIN_LEN: usize = 6;

/// The secrets of one run.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Known values, longest first so a longer secret is masked whole.
    values: Vec<String>,
    /// Extra variable names (`--secret NAME`), upper-cased.
    names: Vec<String>,
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
        if value.chars().count() >= MIN_LEN && !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_string());
            self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
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

    /// The longest known value, in bytes.
    pub fn longest(&self) -> usize {
        self.values.first().map_or(0, String::len)
    }

    /// `text` with known values, well-known token shapes and URL passwords masked.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), MASK);
            }
        }
        redact_shapes(&out)
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

fn shapes() -> &'static Regex {
    static SHAPES: OnceLock<Regex> = OnceLock::new();
    SHAPES.get_or_init(|| {
        Regex::new(concat!(
            r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
            r"|\bgh[pousr]_[A-Za-z0-9]{30,}",
            r"|\bgithub_pat_[A-Za-z0-9_]{22,}",
            r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
            r"|\bxox[abprs]-[A-Za-z0-9-]{10,}",
            r"|\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}",
            r"|\bglpat-[A-Za-z0-9_-]{20,}",
        ))
        .expect("a valid pattern")
    })
}

fn url_password() -> &'static Regex {
    static URL: OnceLock<Regex> = OnceLock::new();
    URL.get_or_init(|| {
        Regex::new(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)@").expect("a valid pattern")
    })
}

fn aws_secret() -> &'static Regex {
    static AWS: OnceLock<Regex> = OnceLock::new();
    AWS.get_or_init(|| {
        Regex::new(r"(?i)(aws_secret_access_key\W{1,4})([A-Za-z0-9/+=]{40})")
            .expect("a valid pattern")
    })
}

fn redact_shapes(text: &str) -> String {
    let out = shapes().replace_all(text, MASK);
    let out = url_password().replace_all(&out, format!("${{1}}{MASK}@"));
    aws_secret()
        .replace_all(&out, format!("${{1}}{MASK}"))
        .into_owned()
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
    for m in shapes().find_iter(text).filter(|m| !example(m.as_str())) {
        found.push((
            m.start(),
            format!(
                "a token that looks like `{}…`",
                &m.as_str()[..4.min(m.len())]
            ),
        ));
    }
    for caps in url_password().captures_iter(text) {
        let password = &caps[2];
        if !password.starts_with(['$', '<', '{'])
            && !password.eq_ignore_ascii_case("password")
            && !example(password)
        {
            found.push((
                caps.get(0).map_or(0, |m| m.start()),
                "a password inside a URL".into(),
            ));
        }
    }
    found.sort_by_key(|f| f.0);
    found
}

/// Redacts a stream as it comes: masks what it can now, and holds back only a
/// tail that could be the start of a known secret, so a secret split across
/// two reads is still masked.
pub struct Redactor {
    secrets: Secrets,
    held: Vec<u8>,
}

impl Redactor {
    /// A redactor for one block's output, knowing the run's secrets so far.
    pub fn new(secrets: &Secrets) -> Redactor {
        Redactor {
            secrets: secrets.clone(),
            held: Vec::new(),
        }
    }

    /// A secret value learnt while the block runs: masked from now on.
    pub fn add(&mut self, value: &str) {
        self.secrets.add(value);
    }

    /// Takes more output; returns what may be shown now.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.held.extend_from_slice(bytes);
        if self.secrets.values.is_empty() {
            return self.flush_to(self.held.len());
        }
        // Hold back a tail that could start a known secret.
        let held = &self.held;
        let keep = self
            .secrets
            .values
            .iter()
            .flat_map(|v| {
                (1..v.len().min(held.len() + 1))
                    .filter(move |&n| held.ends_with(&v.as_bytes()[..n]))
            })
            .max()
            .unwrap_or(0);
        let upto = self.held.len() - keep;
        self.flush_to(upto)
    }

    /// Whatever is still held back, at the end of the block.
    pub fn finish(&mut self) -> Vec<u8> {
        self.flush_to(self.held.len())
    }

    fn flush_to(&mut self, upto: usize) -> Vec<u8> {
        // Never cut a UTF-8 character in two.
        let mut upto = upto;
        while upto > 0 && upto < self.held.len() && (self.held[upto] & 0xC0) == 0x80 {
            upto -= 1;
        }
        let out: Vec<u8> = self.held.drain(..upto).collect();
        match std::str::from_utf8(&out) {
            Ok(text) => self.secrets.redact(text).into_bytes(),
            Err(_) => out,
        }
    }
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
    fn a_value_learnt_mid_stream_is_masked_from_then_on() {
        let mut r = Redactor::new(&Secrets::new(&[]));
        let mut shown = r.push(b"before ");
        r.add("freshly-set-token");
        shown.extend(r.push(b"freshly-set-token after\n"));
        shown.extend(r.finish());
        assert_eq!(String::from_utf8(shown).unwrap(), "before ••• after\n");
    }

    #[test]
    fn a_secret_split_across_reads_is_still_masked() {
        let mut s = Secrets::new(&[]);
        s.add("topsecretvalue");
        let mut r = Redactor::new(&s);
        let mut shown = Vec::new();
        for chunk in ["token is tops", "ecret", "value; done\n"] {
            shown.extend(r.push(chunk.as_bytes()));
        }
        shown.extend(r.finish());
        assert_eq!(String::from_utf8(shown).unwrap(), "token is •••; done\n");
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
