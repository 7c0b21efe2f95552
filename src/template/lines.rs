//! Which line of the template each line of a rendering came from.
//!
//! Read from where the render says each piece of its output came from: every
//! copy of a loop's body is on the body's lines, and text under a condition
//! that did not hold, or in the front matter, is on none.

use std::ops::Range;

use minijinja::{OutputSpan, OutputSpanKind};

use crate::linemap::LineMap;
use crate::source::Source;

/// The template a rendering was made from.
pub struct Template<'a> {
    /// The runbook as read from disk.
    pub source: &'a Source,
    /// The name it was rendered under: spans of other names are included files.
    pub name: &'a str,
    /// Bytes taken out of it before rendering (the front matter's section).
    pub cut: Option<&'a Range<usize>>,
}

/// The lines of the text a render made from `template`: `text` with its
/// stand-ins, `spans` where each piece of it came from, and `grown` the
/// stand-ins whose values wrote line feeds (see `splice::Spliced::grown`).
/// A line is the template's line of where it begins; a line that a value
/// broke off is the line of that value's tag; text from an included file
/// is the line of the include.
pub fn map(
    text: &str,
    spans: &[OutputSpan],
    grown: &[(usize, usize)],
    template: &Template<'_>,
) -> LineMap {
    let mut walk = Walk {
        spans,
        next: 0,
        name: template.name,
        last: 0,
    };
    let file_line = |at: usize| {
        let at = match template.cut {
            Some(cut) if at >= cut.start => at + cut.len(),
            _ => at,
        };
        u32::try_from(template.source.line_of(at)).unwrap_or(u32::MAX)
    };
    let mut lines = Vec::new();
    let mut grown = grown.iter().peekable();
    let starts =
        std::iter::once(0).chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
    let mut starts = starts.peekable();
    while let Some(start) = starts.next() {
        lines.push(file_line(walk.source_at(start)));
        let end = starts.peek().copied().unwrap_or(usize::MAX);
        while let Some(&&(at, feeds)) = grown.peek() {
            if at >= end {
                break;
            }
            let line = file_line(walk.source_at(at));
            lines.extend(std::iter::repeat_n(line, feeds));
            grown.next();
        }
    }
    LineMap::new(lines)
}

/// A walk through a render's spans, for places of its output in order.
struct Walk<'s> {
    spans: &'s [OutputSpan],
    /// The first span that does not end before the place last asked about.
    next: usize,
    /// The template's name.
    name: &'s str,
    /// Where in the template the last span of its own that was passed ends.
    last: usize,
}

impl Walk<'_> {
    /// Where in the template (an offset of the text it was rendered from)
    /// the output at `at` came from. Asked in order of `at`.
    fn source_at(&mut self, at: usize) -> usize {
        while let Some(span) = self.spans.get(self.next) {
            if span.output_range().end > at {
                break;
            }
            if span.name() == self.name {
                self.last = span.source_range().end;
            }
            self.next += 1;
        }
        match self.spans.get(self.next) {
            Some(span) if span.output_range().start <= at && span.name() == self.name => {
                let source = span.source_range();
                match span.kind() {
                    // Written as it is in the template: offset for offset.
                    OutputSpanKind::Raw => {
                        (source.start + (at - span.output_range().start)).min(source.end)
                    }
                    _ => source.start,
                }
            }
            // An included file's text, or the end of the output: where the
            // template's own text last stopped (at the include's tag).
            _ => self.last,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::doc::parse::Runners;
    use crate::secrets::Secrets;
    use crate::source::Source;
    use crate::template::{Inputs, render};

    /// The template line of each line of `text`'s rendering.
    fn lines(text: &str) -> Vec<usize> {
        let source = Source::from_text(Path::new("t.md"), text.to_string());
        let r = render(
            &source,
            &Inputs::default(),
            &Secrets::new(&[]),
            &Runners::new(),
            Some("2026-11-21T05:10:03Z"),
            true,
        )
        .unwrap()
        .unwrap();
        let map = r.lines.as_ref().expect("the lines were asked for");
        let count = r.masked().matches('\n').count() + 1;
        assert_eq!(map.len(), count, "{:?}", r.masked());
        (1..=count).map(|l| map.line(l)).collect()
    }

    #[test]
    fn front_matter_loops_and_conditions_keep_the_template_lines() {
        let text = "---\nrunsheet:\n  vars:\n    host: web1\n    n: 3\n---\n\
                    # Deploy {{ host }}\n\n{% for i in range(n) %}\n- [ ] check {{ i }}\n{% endfor %}\n\n\
                    ```bash\necho hi {{ host }}\nfalse\n```\n\nStatus: ____\n";
        assert_eq!(
            lines(text),
            [7, 8, 10, 10, 10, 12, 13, 14, 15, 16, 17, 18, 19]
        );
        let text = "---\nrunsheet: {vars: {prod: false}}\n---\n# A\n{% if prod %}\n- [ ] a\n- [ ] b\n{% endif %}\n- [ ] c\n";
        assert_eq!(lines(text), [4, 9, 10]);
    }

    #[test]
    fn kept_front_matter_and_whitespace_control() {
        let text = "---\ntitle: t\nrunsheet:\n  vars:\n    who: ops\n---\n# Hi {{ who }}\n  {%- if who %}\nx\n{% endif %}\ny\n";
        // `---`, `title: t`, `---`, `# Hi opsx` (`{%-` joins the lines), `y`.
        assert_eq!(lines(text), [1, 2, 6, 7, 11, 12]);
    }

    #[test]
    fn a_value_with_line_feeds_and_a_macro_keep_their_tags_line() {
        let text = "---\nrunsheet:\n  vars:\n    notes: \"one\\ntwo\\nthree\"\n---\n\
                    {% macro item(x) %}\n- [ ] {{ x }}\n- [ ] after {{ x }}\n{% endmacro %}\n\
                    Notes: {{ notes }}\nend\n{{ item(\"a\") }}\nlast\n";
        // The macro's two lines and the line feed after its call.
        assert_eq!(lines(text), [10, 10, 10, 11, 12, 12, 12, 13, 14]);
    }
}
