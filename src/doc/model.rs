//! The document model: steps with the byte spans they came from. Plain data, no I/O.

use std::ops::Range;

use serde::Serialize;

use super::attrs::Attrs;
use super::decide::ChoiceWords;
use super::sections::{Contingency, Group, Section};
use super::target::Target;
use super::waits::Wait;
use crate::diagnostic::Diagnostic;
pub use crate::exec::runner::Runner;

/// A byte range in the source text.
pub type Span = Range<usize>;

/// A byte range in the source in 32 bits, as a step keeps it: a document
/// has as many steps as it has lines, nearly, and a source's offsets fit
/// (see its line table).
pub type Span32 = Range<u32>;

/// `n` in 32 bits, as the model keeps offsets, lines and step indices.
pub fn to32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `span` in 32 bits.
pub fn narrow(span: Span) -> Span32 {
    to32(span.start)..to32(span.end)
}

/// `span` back in `usize`, to index the source with.
pub fn widen(span: &Span32) -> Span {
    span.start as usize..span.end as usize
}

/// An index into a runbook's steps or sections, 4 bytes with its absence
/// (`Option<Link>`): held one up, so that it is never zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Link(std::num::NonZeroU32);

impl Link {
    /// A link to index `i`.
    pub fn new(i: usize) -> Link {
        Link(std::num::NonZeroU32::MIN.saturating_add(to32(i)))
    }

    /// The index it links to.
    pub fn get(self) -> usize {
        self.0.get() as usize - 1
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.get(), f)
    }
}

/// A step's children: most steps have none or one (an item and its
/// block), held without an allocation of their own.
pub type Children = smallvec::SmallVec<[usize; 2]>;

/// A heading path, shared by every step under the same headings.
pub type Path = std::sync::Arc<[String]>;

/// A parsed document: its steps in document order, and what `plan` should say about it.
#[derive(Debug, Clone, Default)]
pub struct Runbook {
    pub steps: Vec<Step>,
    pub diagnostics: Vec<Diagnostic>,
    /// Where the run summary goes: after a byte-order mark and front matter.
    pub summary_at: usize,
    /// Every heading and the part of the document it starts, in order.
    pub sections: Vec<Section>,
    /// The alternatives the document offers, in order: a run does one of each.
    pub groups: Vec<Group>,
    /// The kinds of contingency the document exists to carry out (a
    /// rollback runbook's rollback): run on its main path.
    pub purpose: Vec<Contingency>,
    /// For each step, the groups and options it is part of (outermost
    /// first), so that looking it up does not go through every group; it
    /// ends at the last step that is part of one.
    pub options_at: Vec<Vec<(usize, usize)>>,
    /// Option words the document itself says pass or fail (`choice-pass=`).
    pub choice_words: ChoiceWords,
}

/// One thing the operator is walked through.
#[derive(Debug, Clone)]
pub struct Step {
    /// Position in document order; also the stable id `s{index+1}` when
    /// unnamed. This and the other numbers a step holds are 32 bits: a
    /// large runbook holds a step for about every three lines.
    pub index: u32,
    pub kind: StepKind,
    /// Read as `usize` through `span()`.
    pub span: Span32,
    pub line: u32,
    /// Headings above the step, outermost first.
    pub heading: Path,
    /// A one-line description: the item text, or a command's first line.
    pub text: String,
    /// Read as `usize` through `parent()`.
    pub parent: Option<Link>,
    pub children: Children,
    /// The innermost section (index into `Runbook::sections`) it is in.
    pub section: Option<Link>,
    /// For a step done by hand: how long its text (or `wait=`) says it
    /// takes. Boxed: few steps state one, and every step carries the field.
    pub wait: Option<Box<Wait>>,
}

/// What kind of step, with what that kind needs.
#[derive(Debug, Clone)]
pub enum StepKind {
    Task(Task),
    Command(Box<Command>),
    /// A value to type in: `____`, `[START TIME]`, a `____` code span.
    /// Boxed, as are choices and placeholders: a document holds mostly tasks
    /// and commands, and every step is as large as the largest kind.
    Blank(Box<Field>),
    /// One option to pick: `Yes / No` code span, `☐ GO ☐ NO-GO` ballot.
    Choice(Box<Field>),
    /// A value a command needs before it may run: `<release-tag>`.
    Placeholder(Box<Placeholder>),
}

/// A blank or choice in the text, and how it is written there.
#[derive(Debug, Clone)]
pub struct Field {
    /// The bytes the answer replaces (or marks, for ballots).
    pub span: Span,
    pub form: FieldForm,
    /// The options of a choice; empty for a blank.
    pub options: Vec<String>,
    /// Indices of the options that mean something went wrong (`No`,
    /// `NO-GO`): picking one fails the task that owns the choice.
    pub fail: Vec<usize>,
    /// What a number typed into a blank should be, as the document says
    /// (`(target: < 500ms)`, a table's Target column).
    pub target: Option<Target>,
    /// The unit written beside a blank (`___ hours`, `____ ms`): a number
    /// typed without one is in it.
    pub unit: Option<String>,
    /// Inside a plain fence: filled in place as plain text, and recorded
    /// after the fence (a comment inside it would show as text).
    pub in_fence: Option<Box<Fence>>,
    /// In a table cell, where a `|` written into it would end the cell.
    pub in_cell: bool,
}

impl Field {
    /// A field of `form` at `span`; a choice when it has `options`.
    pub fn new(span: Span, form: FieldForm, options: Vec<String>) -> Field {
        Field {
            span,
            form,
            options,
            fail: Vec::new(),
            target: None,
            unit: None,
            in_fence: None,
            in_cell: false,
        }
    }
}

/// How a field is written in the source.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldForm {
    /// In prose or a table cell: underscores, `[START TIME]`, `[name]`,
    /// `_**DATE**_`, `[Open | Closed]`.
    Prose,
    /// Inside a code span; the span covers the backticks.
    CodeSpan,
    /// Ballot boxes: the byte offset of each `☐`, in option order.
    Ballot(Vec<usize>),
    /// Nothing written yet: a label (`Ticket:`) with the value to go after
    /// it; the span is empty, where the value goes.
    After,
}

/// A placeholder in a command; a child of that command's step.
#[derive(Debug, Clone)]
pub struct Placeholder {
    pub token: String,
    pub name: String,
    pub secret: bool,
    /// An example value to replace, on its own line: `token` is then the
    /// variable's name, and only that line's value is filled.
    pub example: Option<Box<super::examples::Example>>,
}

impl Placeholder {
    /// Whether `script` (the block as it will run) still holds it.
    pub fn is_in(&self, script: &str) -> bool {
        match &self.example {
            Some(e) => e.is_in(script),
            None => script.contains(&self.token),
        }
    }

    /// `script` with `value` in its place: every `token`, or an example's
    /// value on its line.
    pub fn fill(&self, script: &str, value: &str) -> String {
        match &self.example {
            Some(e) => e.fill(script, value),
            None => script.replace(&self.token, value),
        }
    }
}

/// A `- [ ]` item.
#[derive(Debug, Clone)]
pub struct Task {
    /// Already `[x]` in the source: done before the run began.
    pub checked: bool,
    /// The `[ ]` itself; read as `usize` through `marker()`.
    pub marker: Span32,
    /// A `[ ] item` line inside a plain fence: ticked in place, recorded after
    /// the fence (a comment inside it would show as text).
    pub in_fence: Option<Box<Fence>>,
}

impl Task {
    /// The `[ ]` itself.
    pub fn marker(&self) -> Span {
        widen(&self.marker)
    }
}

/// A fenced block runsheet can run.
#[derive(Debug, Clone)]
pub struct Command {
    /// Shared, as the attributes are, by the blocks whose info strings are
    /// the same: one pointer, as a shared `String` is.
    pub lang: std::sync::Arc<String>,
    pub runner: Runner,
    /// Shared by the blocks whose info strings are the same: most blocks
    /// repeat a few, and a copy each made every command several times larger.
    pub attrs: std::sync::Arc<Attrs>,
    /// The block's content as the parser gives it (container prefixes
    /// removed): boxed, no room to grow kept, as it does not change.
    pub code: Box<str>,
    /// What few blocks have: boxed, as every command carries the field.
    /// Read and set through `shown`, `hint` and `destructive`.
    pub rare: Option<Box<CommandRare>>,
    pub fence: Fence,
}

/// The parts of a command that few blocks have.
#[derive(Debug, Clone, Default)]
pub struct CommandRare {
    /// The block as the document shows it, when that is not what runs: a
    /// template's secrets are masked in the text, not in `code`.
    pub shown: Option<String>,
    /// What the document says the output should be (`**Expected**: ...`,
    /// `# Should output: ...`), for the operator to check.
    pub hint: Option<String>,
    /// What in it looks destructive (`kubectl delete`, `DROP TABLE`, ...), or
    /// "marked danger"; empty when `danger=false` marks a reviewed block.
    pub destructive: Vec<String>,
}

/// Where a fence sits, so output can be inserted right under it.
#[derive(Debug, Clone)]
pub struct Fence {
    /// Byte offset of the start of the line after the block: 32 bits, as
    /// a source's line starts are (a document is read only up to its
    /// limit, far below 4 GiB).
    pub insert_at: u32,
    /// Whether the closing fence is there; if not, output must close it first.
    pub closed: bool,
    /// The opening fence characters, e.g. "```" or "~~~~".
    pub marker: FenceText,
    /// What starts each continuation line of the block's container (`> `, indentation).
    pub prefix: FenceText,
    /// The document ends right after the block without a line ending.
    pub at_eof_without_newline: bool,
}

/// A fence's marker or its container's prefix: nearly always a run of one
/// character (```` ``` ````, two spaces), shared from a table rather than
/// allocated for each of a document's blocks. Shared rather than borrowed:
/// a block carries two, and a shared `String` is one pointer, 8 bytes, where
/// a maybe-borrowed text is 24.
#[derive(Clone, PartialEq, Eq)]
pub struct FenceText(std::sync::Arc<String>);

impl FenceText {
    pub fn new(text: &str) -> FenceText {
        const RUNS: [&str; 4] = [
            "````````````````",
            "~~~~~~~~~~~~~~~~",
            "                ",
            "\t\t\t\t\t\t\t\t",
        ];
        /// Every start of every run: that of run `r`, `n` bytes long, at
        /// `r * 17 + n`.
        static SHARED: std::sync::LazyLock<Vec<std::sync::Arc<String>>> =
            std::sync::LazyLock::new(|| {
                RUNS.iter()
                    .flat_map(|run| {
                        (0..=16)
                            .map(|n| std::sync::Arc::new(run.get(..n).unwrap_or(run).to_string()))
                    })
                    .collect()
            });
        // A run is one character repeated: `text` is one when it starts it.
        match RUNS.iter().position(|run| run.starts_with(text)) {
            Some(r) => FenceText(SHARED[r * 17 + text.len()].clone()),
            None => FenceText(std::sync::Arc::new(text.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for FenceText {
    fn default() -> FenceText {
        FenceText::new("")
    }
}

impl std::ops::Deref for FenceText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for FenceText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for FenceText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl PartialEq<&str> for FenceText {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl Step {
    /// A step not yet in a runbook: `Runbook::push` gives it its index and
    /// its place under a parent.
    pub fn new(kind: StepKind, span: Span, line: usize, heading: Path, text: String) -> Step {
        Step {
            index: 0,
            kind,
            span: narrow(span),
            line: to32(line),
            heading,
            text,
            parent: None,
            children: Children::new(),
            section: None,
            wait: None,
        }
    }

    /// Its position in document order.
    pub fn at(&self) -> usize {
        self.index as usize
    }

    /// The bytes it came from.
    pub fn span(&self) -> Span {
        widen(&self.span)
    }

    /// Its line, 1-based.
    pub fn line(&self) -> usize {
        self.line as usize
    }

    /// The step it is under, if any.
    pub fn parent(&self) -> Option<usize> {
        self.parent.map(Link::get)
    }

    /// The stable id used in transcripts: the `name=` attribute, else `s{n}`.
    pub fn id(&self) -> String {
        let mut id = String::new();
        self.id_onto(&mut id);
        id
    }

    /// `id`, written into `out` (what it held before cleared): a caller
    /// that goes through every step makes them all in one buffer.
    pub fn id_onto(&self, out: &mut String) {
        out.clear();
        match self.command().and_then(|c| c.attrs.name.as_deref()) {
            Some(name) => out.push_str(name),
            // Made for every step at every save and lookup: without the
            // formatter, which costs several times the allocation.
            None => {
                out.push('s');
                out.push_str(itoa::Buffer::new().format(self.at() + 1));
            }
        }
    }

    /// The command, if this step is one.
    pub fn command(&self) -> Option<&Command> {
        match &self.kind {
            StepKind::Command(c) => Some(c),
            _ => None,
        }
    }

    /// The task, if this step is one.
    pub fn task(&self) -> Option<&Task> {
        match &self.kind {
            StepKind::Task(t) => Some(t),
            _ => None,
        }
    }

    /// The name of the kind, as `plan --format json` prints it.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            StepKind::Task(_) => "task",
            StepKind::Command(_) => "command",
            StepKind::Blank(_) => "blank",
            StepKind::Choice(_) => "choice",
            StepKind::Placeholder(_) => "placeholder",
        }
    }

    /// The blank or choice, if this step is one.
    pub fn field(&self) -> Option<&Field> {
        match &self.kind {
            StepKind::Blank(f) | StepKind::Choice(f) => Some(f.as_ref()),
            _ => None,
        }
    }

    /// The placeholder, if this step is one.
    pub fn placeholder(&self) -> Option<&Placeholder> {
        match &self.kind {
            StepKind::Placeholder(p) => Some(p.as_ref()),
            _ => None,
        }
    }

    /// `Section › Subsection`, or empty at the top of the document.
    pub fn heading_path(&self) -> String {
        self.heading.join(" › ")
    }
}

impl Command {
    /// The block as the document shows it, when that is not what runs.
    pub fn shown(&self) -> Option<&str> {
        self.rare.as_deref().and_then(|r| r.shown.as_deref())
    }

    /// What the document says the output should be.
    pub fn hint(&self) -> Option<&str> {
        self.rare.as_deref().and_then(|r| r.hint.as_deref())
    }

    /// What in it looks destructive; empty for most blocks.
    pub fn destructive(&self) -> &[String] {
        self.rare.as_deref().map_or(&[], |r| &r.destructive)
    }

    /// The rare parts, made when one is first set.
    pub fn rare_mut(&mut self) -> &mut CommandRare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Sets what looks destructive, boxing nothing when nothing does.
    pub fn set_destructive(&mut self, found: Vec<String>) {
        if !found.is_empty() || self.rare.is_some() {
            self.rare_mut().destructive = found;
            self.drop_empty_rare();
        }
    }

    /// Sets the hint, boxing nothing when there is none.
    pub fn set_hint(&mut self, hint: Option<String>) {
        if hint.is_some() || self.rare.is_some() {
            self.rare_mut().hint = hint;
            self.drop_empty_rare();
        }
    }

    /// No box for rare parts that are all unset: a command is the same
    /// whichever way it came to have none.
    fn drop_empty_rare(&mut self) {
        if let Some(r) = &self.rare
            && r.shown.is_none()
            && r.hint.is_none()
            && r.destructive.is_empty()
        {
            self.rare = None;
        }
    }

    /// The script that runs: `$ `-prompt blocks run only their prompt lines
    /// (and their `\` continuations); everything else runs as written.
    pub fn script(&self) -> String {
        self.split_prompted().0
    }

    /// `script`, borrowed from the block when it runs as written.
    pub fn script_text(&self) -> std::borrow::Cow<'_, str> {
        if self.prompted() {
            std::borrow::Cow::Owned(self.split_prompted().0)
        } else {
            std::borrow::Cow::Borrowed(&self.code)
        }
    }

    /// The lines of a `$ `-prompt block that are not commands: the output the
    /// author saw, to compare with what runs now. Empty for other blocks.
    pub fn example_output(&self) -> String {
        self.split_prompted().1
    }

    /// Whether only its `$ `-prompt lines run: a `console` block with a
    /// `$ ` line, or a shell block whose first command has the prompt. A
    /// `console` block with no `$ ` line at all is commands written without
    /// prompts: it runs as written (`plan` says so).
    fn prompted(&self) -> bool {
        let console = &*self.lang == "console" || &*self.lang == "shell-session";
        (console || self.runner == Runner::Shell) && super::prompts::is_session(console, &self.code)
    }

    fn split_prompted(&self) -> (String, String) {
        if !self.prompted() {
            return (self.code.to_string(), String::new());
        }
        super::prompts::split(&self.code)
    }
}

/// JSON shape of one step in `plan --format json`: a stable, documented schema.
#[derive(Debug, Serialize)]
pub struct PlanStep {
    pub id: String,
    pub kind: &'static str,
    pub line: usize,
    pub heading: Vec<String>,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attrs: Option<Attrs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// For choices: the options that fail the task when picked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail: Option<Vec<String>>,
    /// For blanks: the target a number typed in must meet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// For placeholders: the name an answers file gives a value under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<bool>,
    /// For commands the guard stops: what looks destructive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destructive: Option<Vec<String>>,
    /// In a contingency section: what kind (`rollback`, `emergency`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contingency: Option<Contingency>,
    /// Part of one option of a group of alternatives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative: Option<PlanOption>,
    /// For a step done by hand that takes time: seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<f64>,
    pub children: Vec<PlanStep>,
}

/// Which option of which group a step belongs to, in `plan --format json`.
#[derive(Debug, Serialize)]
pub struct PlanOption {
    /// 1-based group number, in document order.
    pub group: usize,
    /// 1-based option number within the group.
    pub option: usize,
    pub label: String,
}

impl Runbook {
    /// Adds `step` at the end, under `parent` (a step added before it), and
    /// returns its index: the one place indices, parents and children are set.
    pub fn push(&mut self, mut step: Step, parent: Option<usize>) -> usize {
        let index = self.steps.len();
        step.index = to32(index);
        step.parent = parent.map(Link::new);
        step.children.clear();
        if let Some(p) = parent {
            self.steps[p].children.push(index);
        }
        self.steps.push(step);
        index
    }

    /// Indices of the top-level steps, in document order.
    pub fn roots(&self) -> impl Iterator<Item = usize> + '_ {
        self.steps
            .iter()
            .filter(|s| s.parent.is_none())
            .map(Step::at)
    }

    /// The steps as a tree, for `plan --format json`.
    pub fn plan_tree(&self) -> Vec<PlanStep> {
        self.roots().map(|i| self.plan_step(i)).collect()
    }

    fn plan_step(&self, index: usize) -> PlanStep {
        let step = &self.steps[index];
        PlanStep {
            id: step.id(),
            kind: step.kind_name(),
            line: step.line(),
            heading: step.heading.to_vec(),
            text: step.text.clone(),
            lang: step.command().map(|c| c.lang.to_string()),
            checked: step.task().map(|t| t.checked),
            attrs: step
                .command()
                .map(|c| Attrs::clone(&c.attrs))
                .filter(|a| *a != Attrs::default()),
            options: match &step.kind {
                StepKind::Choice(f) => Some(f.options.clone()),
                _ => None,
            },
            fail: match &step.kind {
                StepKind::Choice(f) if !f.fail.is_empty() => {
                    Some(f.fail.iter().map(|&i| f.options[i].clone()).collect())
                }
                _ => None,
            },
            target: step.field().and_then(|f| f.target.clone()),
            name: step.placeholder().map(|p| p.name.clone()),
            secret: step.placeholder().map(|p| p.secret),
            destructive: step
                .command()
                .map(|c| c.destructive().to_vec())
                .filter(|d| !d.is_empty()),
            contingency: self
                .contingency_of(index)
                .and_then(|s| self.sections[s].contingency),
            alternative: self
                .alternatives_of(index)
                .last()
                .map(|&(g, o)| PlanOption {
                    group: g + 1,
                    option: o + 1,
                    label: self.groups[g].options[o].label.clone(),
                }),
            wait: step.wait.as_deref().map(|w| w.duration.as_secs_f64()),
            children: step.children.iter().map(|&c| self.plan_step(c)).collect(),
        }
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::diagnostic::Severity::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(line: usize) -> Step {
        let kind = StepKind::Task(Task {
            checked: false,
            marker: 0..3,
            in_fence: None,
        });
        Step::new(kind, 0..3, line, Path::default(), format!("t{line}"))
    }

    #[test]
    fn steps_commands_and_sections_stay_small() {
        // A large runbook holds one of these for about every three lines,
        // every other item and every dozen lines: `plan`'s memory budget
        // rests on their sizes.
        assert!(std::mem::size_of::<Step>() <= 120);
        assert!(std::mem::size_of::<Command>() <= 72);
        assert!(std::mem::size_of::<Section>() <= 96);
        assert_eq!(std::mem::size_of::<Option<Link>>(), 4);
    }

    #[test]
    fn push_numbers_steps_in_order_and_wires_parents_to_children() {
        let mut book = Runbook::default();
        let a = book.push(task(1), None);
        let b = book.push(task(2), Some(a));
        let c = book.push(task(3), Some(b));
        let d = book.push(task(4), Some(a));
        let e = book.push(task(5), None);
        assert_eq!([a, b, c, d, e], [0, 1, 2, 3, 4]);
        for (i, step) in book.steps.iter().enumerate() {
            assert_eq!(step.at(), i, "an index is the position");
            for &child in &step.children {
                assert!(child > i, "children come after their parent");
                assert_eq!(book.steps[child].parent(), Some(i));
            }
            if let Some(p) = step.parent() {
                assert!(book.steps[p].children.contains(&i));
            }
        }
        assert_eq!(book.steps[a].children[..], [b, d]);
        assert_eq!(book.roots().collect::<Vec<_>>(), [a, e]);
        assert_eq!(book.steps[e].id(), "s5");
    }
}
