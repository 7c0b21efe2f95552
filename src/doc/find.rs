//! Finding the step an operator names on the command line (`--from`,
//! `--only`): by its `name=` or id, its line, its heading path, or its text.

use super::sections::normalise;
use super::{Runbook, Step};

impl Runbook {
    /// The index of the step `query` names, tried in this order: a step id
    /// (`migrate`, `s12`); a line, `88` or `deploy.md:88`; a heading path
    /// (`Deploy › Migrate`: the first step under it, or a step's heading path
    /// and text); a piece of a step's text. `file` is the runbook's name, for
    /// the candidates an ambiguous query lists.
    pub fn find_step(&self, query: &str, file: &str) -> Result<usize, String> {
        let steps = || self.steps.iter().filter(|s| s.placeholder().is_none());
        let q = query.trim();
        if q.is_empty() {
            return Err("no step named: give a step's name, line, heading or text".into());
        }
        if let Some(s) = steps().find(|s| s.id() == q) {
            return Ok(s.at());
        }
        if let Some(line) = line_of(q) {
            let on_line: Vec<&Step> = steps().filter(|s| s.line() == line).collect();
            // Steps one after another on one line (two blanks) start at the
            // first; a line that made steps apart from each other (a
            // template's loop, once a pass) names none of them.
            let apart = on_line.windows(2).any(|w| {
                steps()
                    .skip_while(|s| s.at() != w[0].at())
                    .nth(1)
                    .is_some_and(|next| next.at() != w[1].at())
            });
            if apart {
                return Err(format!(
                    "line {line} of {file} made {} steps (a template's loop, say); name one by its id:{}",
                    on_line.len(),
                    listing(&on_line, file)
                ));
            }
            return match on_line.first() {
                Some(s) => Ok(s.at()),
                None => {
                    let near: Vec<&Step> =
                        steps().filter(|s| s.line().abs_diff(line) <= 5).collect();
                    Err(if near.is_empty() {
                        format!("no step is on line {line} of {file}")
                    } else {
                        format!(
                            "no step is on line {line} of {file}; steps near it:{}",
                            listing(&near, file)
                        )
                    })
                }
            };
        }
        let wanted = normalise(q);
        let under_heading = |s: &&Step| {
            let path = normalise(&s.heading_path());
            path == wanted || (!path.is_empty() && path.ends_with(&format!("› {wanted}")))
        };
        if let Some(s) = steps().find(under_heading) {
            return Ok(s.at());
        }
        let with_text = |s: &&Step| {
            let own = normalise(&s.text);
            let full = normalise(&format!("{} › {}", s.heading_path(), s.text));
            own == wanted || full == wanted || full.ends_with(&format!("› {wanted}"))
        };
        let exact: Vec<&Step> = steps().filter(with_text).collect();
        if let [one] = exact.as_slice() {
            return Ok(one.at());
        }
        let found: Vec<&Step> = if exact.len() > 1 {
            exact
        } else {
            steps()
                .filter(|s| normalise(&s.text).contains(&wanted))
                .collect()
        };
        match found.as_slice() {
            [one] => Ok(one.at()),
            [] => self.under_heading_piece(&wanted, query, file),
            many => Err(format!(
                "`{query}` could be any of {} steps; name one by its line or id:{}",
                many.len(),
                listing(many, file)
            )),
        }
    }
}

impl Runbook {
    /// A piece of a heading (`pre-flight` for `1. Pre-flight`): the first
    /// step under it, when one heading holds the piece.
    fn under_heading_piece(&self, wanted: &str, query: &str, file: &str) -> Result<usize, String> {
        let mut firsts: Vec<&Step> = Vec::new();
        for s in self.steps.iter().filter(|s| s.placeholder().is_none()) {
            let holds = s
                .heading
                .last()
                .is_some_and(|h| normalise(h).contains(wanted));
            if holds && !firsts.iter().any(|f| f.heading == s.heading) {
                firsts.push(s);
            }
        }
        match firsts.as_slice() {
            [one] => Ok(one.at()),
            [] => Err(format!(
                "no step of {file} is named, on a line, under a heading or with text `{query}`"
            )),
            many => Err(format!(
                "`{query}` is in {} headings; name a step by its line or id, or give more of the heading:{}",
                many.len(),
                listing(many, file)
            )),
        }
    }
}

/// `88`, or `deploy.md:88`: the line a query names.
fn line_of(query: &str) -> Option<usize> {
    let digits = query.rsplit_once(':').map_or(query, |(_, l)| l);
    digits.parse().ok().filter(|&l| l > 0)
}

/// A step's first line, cut to 70 characters: how a list names it.
pub(crate) fn first_line(s: &Step) -> String {
    s.text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(70)
        .collect()
}

/// One candidate a line: `  deploy.md:88  migrate  Deploy › Migrate`.
fn listing(steps: &[&Step], file: &str) -> String {
    steps
        .iter()
        .map(|s| {
            let text = first_line(s);
            let heading = s.heading_path();
            let at = if heading.is_empty() {
                text
            } else {
                format!("{heading} › {text}")
            };
            format!("\n  {file}:{}  {}  {at}", s.line, s.id())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::doc::parse;
    use crate::source::Source;

    const DEPLOY: &str = "# Deploy\n\n- [ ] Back up the database\n  ```bash {name=backup}\n  pg_dump\n  ```\n- [ ] Migrate\n  ```bash\n  ./migrate\n  ```\n\n# Verify\n\n- [ ] Check the migrate log\n";

    fn find(query: &str) -> Result<String, String> {
        let book = parse(&Source::from_text(Path::new("deploy.md"), DEPLOY.into()));
        book.find_step(query, "deploy.md")
            .map(|i| book.steps[i].id())
    }

    #[test]
    fn a_step_is_found_by_name_line_heading_or_text() {
        assert_eq!(find("backup").unwrap(), "backup");
        assert_eq!(find("s3").unwrap(), "s3");
        assert_eq!(find("7").unwrap(), "s3");
        assert_eq!(find("deploy.md:8").unwrap(), "s4");
        assert_eq!(find("Verify").unwrap(), "s5");
        assert_eq!(find("deploy > migrate").unwrap(), "s3");
        assert_eq!(find("back up").unwrap(), "s1");
        // A piece of a heading: the first step under it.
        assert_eq!(find("verif").unwrap(), "s5");
    }

    #[test]
    fn an_ambiguous_or_unknown_step_is_an_error_listing_candidates() {
        // An exact text wins over pieces of other steps' text.
        assert_eq!(find("migrate").unwrap(), "s3");
        let e = find("migra").unwrap_err();
        assert!(e.contains("could be any of"), "{e}");
        assert!(e.contains("deploy.md:7  s3  Deploy › Migrate"), "{e}");
        assert!(
            e.contains("deploy.md:14  s5  Verify › Check the migrate log"),
            "{e}"
        );
        let e = find("2").unwrap_err();
        assert!(e.contains("no step is on line 2"), "{e}");
        assert!(find("nothing like it").is_err());
    }
}
