//! A comparison as Markdown for a pull-request comment: the verdict, a
//! summary table, then a collapsible section per changed step.

use std::fmt::Write as _;

use super::model::{Category, Comparison, StepDiff};
use super::render::{diff_of, side_line, summary, where_};

/// The comparison as Markdown; `stat` stops after the summary table.
pub fn render(c: &Comparison, stat: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### runsheet diff: {}\n", c.verdict());
    let _ = writeln!(out, "| | run |\n|---|---|");
    let _ = writeln!(out, "| old | {} |", cell(&side_line(&c.old)));
    let _ = writeln!(out, "| new | {} |", cell(&side_line(&c.new)));
    for w in &c.warnings {
        let _ = writeln!(out, "\n> **Warning:** {}", inline(w));
    }
    let changed = c.changed();
    if changed.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\n| change | step | what changed |\n|---|---|---|");
    for step in &changed {
        let what: Vec<String> = step.changes.iter().map(summary).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            badge(step),
            cell(&step.step().label()),
            cell(&what.join("; "))
        );
    }
    if stat {
        return out;
    }
    for step in changed {
        details(&mut out, step);
    }
    out
}

fn badge(step: &StepDiff) -> String {
    let Some(c) = step.category else {
        return String::new();
    };
    let icon = match c {
        Category::Failed => "❌",
        Category::Status => "🔁",
        Category::Attempts => "🔂",
        Category::New => "➕",
        Category::Gone => "➖",
        Category::Moved => "↕️",
        Category::Reworded => "🔤",
        Category::Hosts => "🖥️",
        Category::Answer => "✏️",
        Category::Command => "⌨️",
        Category::Output => "📄",
        Category::Slower => "🐢",
        Category::Note => "📝",
    };
    format!("{icon} {}", c.word())
}

/// One changed step, folded: what changed, with its diffs.
fn details(out: &mut String, step: &StepDiff) {
    let _ = writeln!(
        out,
        "\n<details>\n<summary>{} <b>{}</b> {}</summary>\n",
        badge(step),
        code_spans(&step.step().label()),
        html(&where_(step))
    );
    for change in &step.changes {
        let _ = writeln!(out, "- {}", inline(&summary(change)));
        if let Some(diff) = diff_of(change) {
            let fence = fence_for(diff);
            let _ = writeln!(out, "\n  {fence}diff");
            for line in diff.lines() {
                let _ = writeln!(out, "  {line}");
            }
            let _ = writeln!(out, "  {fence}");
        }
    }
    let _ = writeln!(out, "\n</details>");
}

/// A fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// Text for a table cell: one line, no `|` to end the cell, no raw HTML.
/// Also what `history --format markdown` writes a transcript's text with.
pub fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

/// Text for one line of Markdown: no line breaks, no raw HTML.
pub fn inline(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text inside an HTML element, its `code spans` as `<code>`, since Markdown
/// is not read there.
fn code_spans(text: &str) -> String {
    if text.matches('`').count() % 2 == 1 {
        return html(text);
    }
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{}</code>", html(part))
            } else {
                html(part)
            }
        })
        .collect()
}

/// Text inside an HTML element.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_fences_cannot_be_broken_out_of() {
        assert_eq!(cell("a | b\nc <x>"), "a \\| b c &lt;x&gt;");
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("```` inside"), "`````");
        assert_eq!(html("a & <b>"), "a &amp; &lt;b&gt;");
        assert_eq!(code_spans("A › `x<y`"), "A › <code>x&lt;y</code>");
        assert_eq!(code_spans("odd ` tick"), "odd ` tick");
    }
}
