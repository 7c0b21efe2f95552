//! `env` alone in a tag is the name of the environment (`{% if env == "prod"
//! %}`); `env.NAME` and `env["NAME"]` read the process environment. Before
//! the template is compiled, each bare `env` in a tag becomes `ALIAS`, a
//! global holding the name: the same length, so every column an error
//! points at stays where the author wrote it.

use super::strings::string_end;

/// What a bare `env` is written as for the engine: as long as `env`.
pub const ALIAS: &str = "_ev";

/// `text` with every bare `env` inside `{{ }}` and `{% %}` written as `ALIAS`;
/// borrowed when there is none.
pub fn rewrite(text: &str) -> std::borrow::Cow<'_, str> {
    let at = bare(text);
    if at.is_empty() {
        return text.into();
    }
    let mut out = text.to_string();
    for a in at {
        out.replace_range(a..a + 3, ALIAS);
    }
    out.into()
}

/// Where each bare `env` of a tag starts.
fn bare(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    // Tag by tag: `{{ … }}` and `{% … %}`, strings inside them skipped.
    // memchr's searches: `str::find` runs a scalar one, over the whole
    // template.
    while let Some(rel) = memchr::memchr(b'{', &bytes[at..]) {
        let open = at + rel;
        let close = match bytes.get(open + 1) {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            _ => {
                at = open + 1;
                continue;
            }
        };
        let inner = open + 2;
        let Some(len) = memchr::memmem::find(&bytes[inner..], close.as_bytes()) else {
            break;
        };
        let end = inner + len;
        if close == "%}"
            && text[inner..end]
                .trim()
                .trim_start_matches('-')
                .trim_start()
                .starts_with("raw")
        {
            // `{% raw %}` … `{% endraw %}` is text, not tags.
            at = text[end..].find("endraw").map_or(text.len(), |e| end + e);
            continue;
        }
        tag(text, inner, end, &mut found);
        at = end + 2;
    }
    found
}

/// The bare `env`s between `start` and `end` (the inside of one tag).
fn tag(text: &str, start: usize, end: usize, found: &mut Vec<usize>) {
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = start;
    while i < end {
        if let Some(after) = string_end(bytes, i, end) {
            i = after;
            continue;
        }
        if bytes[i..end].starts_with(b"env")
            && (i == start || !(word(bytes[i - 1]) || bytes[i - 1] == b'.'))
            && !bytes.get(i + 3).is_some_and(|&b| word(b))
        {
            let next = text[i + 3..end].trim_start().bytes().next();
            if !matches!(next, Some(b'.' | b'[' | b'(')) {
                found.push(i);
            }
            i += 3;
            continue;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bare_env_in_a_tag_is_the_name() {
        let cases = [
            ("{% if env == \"prod\" %}", "{% if _ev == \"prod\" %}"),
            ("{{ env }} and {{env|upper}}", "{{ _ev }} and {{_ev|upper}}"),
            (
                "{% if env in [\"a\", \"b\"] %}",
                "{% if _ev in [\"a\", \"b\"] %}",
            ),
            (
                "{{ env.HOME }} {{ env[\"X\"] }} {{ env . Y }}",
                "{{ env.HOME }} {{ env[\"X\"] }} {{ env . Y }}",
            ),
            (
                "{{ \"env\" }} {{ 'env ==' }} {{ environment }} {{ my_env }} {{ x.env }}",
                "{{ \"env\" }} {{ 'env ==' }} {{ environment }} {{ my_env }} {{ x.env }}",
            ),
            (
                "env in prose, { env }, {# env #}",
                "env in prose, { env }, {# env #}",
            ),
            (
                "{% raw %}{{ env }}{% endraw %} {{ env }}",
                "{% raw %}{{ env }}{% endraw %} {{ _ev }}",
            ),
            ("{{ env", "{{ env"),
        ];
        for (text, want) in cases {
            assert_eq!(rewrite(text), want, "{text}");
            assert_eq!(rewrite(text).len(), text.len());
        }
    }
}
