//! Which line of the file an author wrote each line of a rendering came from.
//!
//! A template's rendering has lost its front matter, repeats the lines of its
//! loops and leaves out those of conditions that did not hold.

use std::fmt::Write as _;
use std::sync::Arc;

/// For each line of a rendered text, the line of the template it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMap {
    /// The 1-based template line of each line of the text, in order: every
    /// line, the empty one after a final line feed included.
    lines: Vec<u32>,
}

impl LineMap {
    /// The map whose `n`-th line (1-based) came from `lines[n - 1]`.
    pub fn new(lines: Vec<u32>) -> LineMap {
        LineMap { lines }
    }

    /// How many lines of the text it maps.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether it maps no line.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The template line of the text's 1-based `line`. A line past the
    /// last one mapped (a text longer than the map says) goes on from it.
    pub fn line(&self, line: usize) -> usize {
        let line = line.max(1);
        match self.lines.get(line - 1) {
            Some(&l) => l as usize,
            None => self
                .lines
                .last()
                .map_or(line, |&l| l as usize + (line - self.lines.len())),
        }
    }

    /// The map as the run summary records it (its `lines` attribute): runs
    /// of lines that follow each other in the template, comma-separated,
    /// `A-B` for lines A to B and `A` for one line, each followed by `*N`
    /// when it comes N times in a row (a loop's body). `7-8,10*3,12-18`:
    /// the text's lines 1 and 2 are the template's 7 and 8, its lines 3 to
    /// 5 all come from line 10, and its lines 6 to 12 are lines 12 to 18.
    pub fn encode(&self) -> String {
        let mut runs: Vec<(u32, u32)> = Vec::new();
        for &l in &self.lines {
            match runs.last_mut() {
                Some((_, last)) if l == *last + 1 => *last = l,
                _ => runs.push((l, l)),
            }
        }
        let mut out = String::new();
        let mut i = 0;
        while i < runs.len() {
            let run = runs[i];
            let times = runs[i..].iter().take_while(|&&r| r == run).count();
            if !out.is_empty() {
                out.push(',');
            }
            let _ = write!(out, "{}", run.0);
            if run.1 > run.0 {
                let _ = write!(out, "-{}", run.1);
            }
            if times > 1 {
                let _ = write!(out, "*{times}");
            }
            i += times;
        }
        out
    }

    /// The map `encode` wrote, for a text of `lines` lines; `None` when it
    /// does not read as one or is not for a text of that many lines (the
    /// text was edited by hand since).
    pub fn decode(text: &str, lines: usize) -> Option<LineMap> {
        let mut out: Vec<u32> = Vec::with_capacity(lines);
        for item in text.split(',') {
            let (run, times) = match item.split_once('*') {
                Some((run, times)) => (run, times.parse::<usize>().ok()?),
                None => (item, 1),
            };
            let (first, last) = match run.split_once('-') {
                Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
                None => {
                    let a = run.parse::<u32>().ok()?;
                    (a, a)
                }
            };
            let len = usize::try_from(last.checked_sub(first)?).ok()? + 1;
            if first == 0 || out.len() + len.checked_mul(times)? > lines {
                return None;
            }
            for _ in 0..times {
                out.extend(first..=last);
            }
        }
        (out.len() == lines).then_some(LineMap { lines: out })
    }
}

/// Lines counted on from one line of a text, as the file it was made from
/// numbers them: bash numbers the lines of a block's script from 1, which
/// is the line after the block's fence.
#[derive(Debug, Clone, Default)]
pub struct LinesAfter {
    /// The line (of the text) counted from.
    pub from: usize,
    pub map: Option<Arc<LineMap>>,
}

impl LinesAfter {
    /// The file's line of the `n`-th line after `from`.
    pub fn line(&self, n: usize) -> usize {
        let line = self.from + n;
        self.map.as_ref().map_or(line, |m| m.line(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_repeats_are_written_short_and_read_back() {
        let cases: &[(&[u32], &str)] = &[
            (
                &[7, 8, 10, 10, 10, 12, 13, 14, 15, 16, 17, 18],
                "7-8,10*3,12-18",
            ),
            (&[1], "1"),
            (&[5, 6, 7, 5, 6, 7, 5, 6, 7, 9], "5-7*3,9"),
            (&[4, 3, 2, 2], "4,3,2*2"),
            (&[2, 2, 3], "2,2-3"),
        ];
        for &(lines, text) in cases {
            let map = LineMap::new(lines.to_vec());
            assert_eq!(map.encode(), text);
            assert_eq!(LineMap::decode(text, lines.len()), Some(map), "{text}");
        }
    }

    #[test]
    fn a_map_for_another_text_or_not_a_map_is_not_read() {
        for (text, lines) in [
            ("7-8,10*3", 4),
            ("7-8,10*3", 6),
            ("1-", 1),
            ("x", 1),
            ("", 1),
            ("0", 1),
            ("3-1", 3),
            ("1*99999999999", 3),
        ] {
            assert_eq!(LineMap::decode(text, lines), None, "{text}");
        }
    }

    #[test]
    fn lines_past_the_map_go_on_from_its_last() {
        let map = LineMap::new(vec![7, 10, 10]);
        assert_eq!((map.line(1), map.line(3), map.line(5)), (7, 10, 12));
        let after = LinesAfter {
            from: 1,
            map: Some(Arc::new(map)),
        };
        assert_eq!(after.line(1), 10);
        assert_eq!(LinesAfter { from: 1, map: None }.line(2), 3);
    }
}
