//! Warnings and errors about a document, rendered the way a compiler points at a line.

use std::fmt;

use serde::Serialize;

/// How serious a finding is: errors stop `run` and make `plan` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One finding about a document, with where it is and what to do.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The source line (around the column, when it is long), shown under the message.
    #[serde(skip)]
    pub excerpt: String,
    /// The 1-based column of the caret in `excerpt`.
    #[serde(skip)]
    pub caret: usize,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        writeln!(f, "{label}: {}", self.message)?;
        let gutter = " ".repeat(self.line.to_string().len());
        write!(f, "{gutter}--> {}:{}:{}", self.path, self.line, self.column)?;
        if !self.excerpt.is_empty() {
            let caret_pad: String = self
                .excerpt
                .chars()
                .take(self.caret.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n{gutter} |\n{} | {}\n{gutter} | {caret_pad}^",
                self.line, self.excerpt
            )?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n{gutter} = hint: {hint}")?;
        }
        Ok(())
    }
}
