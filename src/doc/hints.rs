//! What a document says a block's output should be: `# Expected: ...` inside
//! the block, `**Expected**: ...` in the paragraph right after it.

/// `# Expected: 200 OK`, `# Should output: ...` inside a block.
pub(super) fn comment_hint(code: &str) -> Option<String> {
    // Most blocks hold no comment at all: one fast search says so.
    if !code.contains('#') {
        return None;
    }
    code.lines().find_map(|line| {
        let t = line.trim_start().strip_prefix('#')?.trim_start();
        let lower = t.to_ascii_lowercase();
        [
            "expected output:",
            "expected:",
            "should output:",
            "should show:",
            "should print:",
            "should return:",
        ]
        .iter()
        .find(|p| lower.starts_with(*p))
        .map(|p| t[p.len()..].trim().to_string())
        .filter(|h| !h.is_empty())
    })
}

/// `**Expected**: ...` (or `Expected output:`) as the paragraph right after a block.
pub(super) fn prose_hint(text: &str) -> Option<String> {
    let t = text.trim_start_matches(['*', '_', ' ']);
    let lower = t.to_ascii_lowercase();
    for p in [
        "expected output",
        "expected result",
        "expected",
        "should output",
        "should show",
    ] {
        if let Some(rest) = lower.strip_prefix(p) {
            let rest_at = t.len() - rest.len();
            let rest = t[rest_at..].trim_start_matches(['*', '_', ' ']);
            if let Some(hint) = rest.strip_prefix(':') {
                let hint = hint.trim_start_matches(['*', '_', ' ']).trim();
                return (!hint.is_empty()).then(|| hint.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_in_comments() {
        for (code, want) in [
            ("curl x\n# Expected: 200 OK\n", Some("200 OK")),
            ("  #   should output:  ready \n", Some("ready")),
            ("# Expected output: a\n# Expected: b\n", Some("a")),
            ("# Expected:\n", None),
            ("echo '# Expected: no'\n", None),
            ("# expectations: none\n", None),
        ] {
            assert_eq!(comment_hint(code).as_deref(), want, "{code:?}");
        }
    }

    #[test]
    fn hints_in_prose() {
        for (text, want) in [
            ("**Expected**: `200 OK`", Some("`200 OK`")),
            ("Expected output: three pods", Some("three pods")),
            ("_Should show_ : ready", Some("ready")),
            ("**Expected:** done", Some("done")),
            ("Expected", None),
            ("Expected:", None),
            ("We expected: nothing", None),
        ] {
            assert_eq!(prose_hint(text).as_deref(), want, "{text:?}");
        }
    }
}
