//! Answers files: prompts answered ahead of time, matched to steps before anything runs.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::doc::sections::pick;
use crate::doc::{Runbook, Step, StepKind};
use crate::error::{Error, Result};

/// Answers loaded from a file and matched to the steps of one runbook.
#[derive(Debug, Default)]
pub struct Answers {
    by_step: HashMap<usize, String>,
    by_placeholder: HashMap<String, String>,
    /// `choose:` — the options to take where the runbook offers alternatives.
    choose: Vec<String>,
    /// The key that gave each answer so far: a second key for the same step
    /// or placeholder is an error that names both.
    keys: HashMap<Target, String>,
}

/// What a key of the file answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target {
    /// The step with this index.
    Step(usize),
    /// The placeholder with this name, lowercased.
    Placeholder(String),
}

/// The entries of an answers file, in the order the file gives them, a key
/// given twice kept twice: a map would keep one of them without a word.
struct Entries(Vec<(String, crate::yaml::Value)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Entries, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> std::result::Result<Entries, M::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// Where the file gives each key: for each key, the lines it is given on,
/// in order. A line is a key's when, after blanks and a `{` or `,`, it
/// starts with the key (plain or quoted) and a colon; a key whose lines do
/// not add up to the times the file gives it (written across lines, in a
/// one-line JSON map with others) is given no line.
struct KeyLines(HashMap<String, Vec<usize>>);

impl KeyLines {
    fn new(text: &str, entries: &[(String, crate::yaml::Value)]) -> KeyLines {
        let mut times: HashMap<&str, usize> = HashMap::new();
        for (key, _) in entries {
            *times.entry(key.as_str()).or_default() += 1;
        }
        let mut lines: HashMap<String, Vec<usize>> = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line
                .trim_start()
                .trim_start_matches(['{', ','])
                .trim_start();
            let key = if let Some(rest) = line.strip_prefix('"') {
                rest.split_once('"')
            } else if let Some(rest) = line.strip_prefix('\'') {
                rest.split_once('\'')
            } else {
                // A plain key ends at a colon and a blank, or the line's end.
                line.find(": ")
                    .or_else(|| line.strip_suffix(':').map(str::len))
                    .map(|at| (line[..at].trim_end(), &line[at..]))
            };
            let Some((key, after)) = key else { continue };
            if after.trim_start().starts_with(':') && times.contains_key(key) {
                lines.entry(key.to_string()).or_default().push(n + 1);
            }
        }
        lines.retain(|key, at| times.get(key.as_str()) == Some(&at.len()));
        KeyLines(lines)
    }

    /// `` `key` (line 4) ``: a key the file gives once, with its line when
    /// known.
    fn name(&self, key: &str) -> String {
        match self.0.get(key).and_then(|at| at.first()) {
            Some(line) => format!("`{key}` (line {line})"),
            None => format!("`{key}`"),
        }
    }
}

/// The words that answer a task.
const TASK_WORDS: &[&str] = &["done", "skip", "fail"];

impl Answers {
    /// No answers: every prompt goes to the operator.
    pub fn none() -> Answers {
        Answers::default()
    }

    /// Reads `path` (YAML or JSON: a map of key to value) and matches every key
    /// to a step of `book`. A key naming no step, naming several steps of one
    /// kind, or giving a choice an option it does not have is an error.
    pub fn load(path: &Path, book: &Runbook) -> Result<Answers> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.into(),
            source,
        })?;
        let Entries(mut raw) = crate::yaml::from_str(&text)
            .map_err(|e| bad(path, format!("is not a YAML or JSON map of answers ({e})")))?;
        let lines = KeyLines::new(&text, &raw);
        // A key given twice: which one was meant is not for runsheet to guess.
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (key, _) in &raw {
            *seen.entry(key.as_str()).or_default() += 1;
        }
        if let Some((key, _)) = seen.iter().find(|(_, times)| **times > 1) {
            let at = match lines.0.get(*key) {
                Some(at) => format!(
                    " (lines {})",
                    at.iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => String::new(),
            };
            return Err(bad(
                path,
                format!("the key `{key}` is given more than once{at}; keep one of them"),
            ));
        }
        // Checked in sorted order: the first problem is the same whatever
        // the order of the file.
        raw.sort_by(|a, b| a.0.cmp(&b.0));
        let mut answers = Answers::default();
        let names = Names::new(book, raw.iter().map(|(k, _)| k.as_str()));
        for (key, value) in raw {
            if key == CHOOSE {
                answers.choose = choices(path, book, value)?;
                continue;
            }
            let value = match value {
                crate::yaml::Value::String(s) => s,
                crate::yaml::Value::Number(n) => n.to_string(),
                crate::yaml::Value::Bool(b) => {
                    if b {
                        "yes".into()
                    } else {
                        "no".into()
                    }
                }
                _ => {
                    return Err(bad(
                        path,
                        format!("the answer to `{key}` must be a single value"),
                    ));
                }
            };
            answers.add(path, &names, &lines, &key, value)?;
        }
        Ok(answers)
    }

    fn add(
        &mut self,
        path: &Path,
        names: &Names,
        lines: &KeyLines,
        key: &str,
        value: String,
    ) -> Result<()> {
        // A key that names a placeholder exactly (`release-tag`, `<release-tag>`)
        // is that placeholder's, whatever text elsewhere it also matches.
        if let Some(name) = names.placeholder(key) {
            let what = format!("the placeholder `{name}`");
            self.claim(
                path,
                lines,
                Target::Placeholder(name.to_owned()),
                key,
                &what,
            )?;
            self.by_placeholder.insert(name.to_owned(), value);
            return Ok(());
        }
        let task_word = TASK_WORDS.contains(&value.to_ascii_lowercase().as_str());
        let accepts = |s: &&Step| match &s.kind {
            // A task that owns steps is done when they are: it takes no answer.
            StepKind::Task(_) => task_word && s.children.is_empty(),
            // A `manual` block is done by hand: answered like a task.
            StepKind::Command(c) if c.attrs.manual => task_word,
            StepKind::Blank(_) | StepKind::Choice(_) => true,
            _ => false,
        };
        let matching = names.steps(key);
        let mut accepting: Vec<&Step> = matching.iter().copied().filter(accepts).collect();
        // A key that names a task and the one field inside it: the value decides.
        if accepting.len() > 1 && !task_word {
            accepting.retain(|s| s.field().is_some());
        }
        if accepting.len() > 1 && task_word {
            accepting.retain(|s| s.task().is_some());
        }
        match accepting.as_slice() {
            [] if matching.is_empty() => Err(bad(
                path,
                format!("`{key}` names no step, blank, choice or placeholder of the runbook"),
            )),
            [] => Err(bad(
                path,
                format!(
                    "`{key}: {value}` does not fit the step it names (line {}, a {}): {}",
                    matching[0].line,
                    matching[0].kind_name(),
                    match matching[0].kind {
                        StepKind::Command(_) => {
                            "a block that runs takes no answer; only `manual` ones take done, skip or fail"
                        }
                        StepKind::Task(_) if !matching[0].children.is_empty() => {
                            "a task that owns steps is done when they are: answer its steps instead"
                        }
                        _ => "tasks take done, skip or fail",
                    }
                ),
            )),
            [step] => {
                let what = format!("the {} on line {}", step.kind_name(), step.line);
                self.claim(path, lines, Target::Step(step.at()), key, &what)?;
                if let StepKind::Choice(field) = &step.kind {
                    let Some(option) = field
                        .options
                        .iter()
                        .find(|o| o.eq_ignore_ascii_case(&value))
                    else {
                        return Err(bad(
                            path,
                            format!(
                                "`{key}: {value}` is not an option of the choice on line {}: {}",
                                step.line,
                                field.options.join(", ")
                            ),
                        ));
                    };
                    self.by_step.insert(step.at(), option.clone());
                } else {
                    self.by_step.insert(step.at(), value);
                }
                Ok(())
            }
            many => Err(bad(
                path,
                format!(
                    "`{key}` matches several steps (lines {}); use a longer piece of the text, the heading path, or a name= attribute",
                    many.iter()
                        .map(|s| s.line.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    /// Notes that `key` answers `target` (`what`, in words): an error when
    /// another key of the file answers it already, in another case, by its
    /// id or by another piece of its text. Which of the two was meant is
    /// not for runsheet to guess.
    fn claim(
        &mut self,
        path: &Path,
        lines: &KeyLines,
        target: Target,
        key: &str,
        what: &str,
    ) -> Result<()> {
        if let Some(first) = self.keys.get(&target) {
            return Err(bad(
                path,
                format!(
                    "{} and {} both answer {what}; keep one of them",
                    lines.name(first),
                    lines.name(key)
                ),
            ));
        }
        self.keys.insert(target, key.to_owned());
        Ok(())
    }

    /// The answer for a task, blank or choice, if the file gave one.
    pub fn for_step(&self, step: &Step) -> Option<String> {
        self.by_step.get(&step.at()).cloned()
    }

    /// The value for a placeholder, by its name or token.
    pub fn for_placeholder(&self, name: &str) -> Option<String> {
        self.by_placeholder.get(&name.to_ascii_lowercase()).cloned()
    }

    /// The option the file's `choose:` takes among `options`, if one.
    pub fn choice_among(&self, options: &[String]) -> Option<usize> {
        self.choose.iter().find_map(|c| pick(options, c))
    }
}

/// The key that lists the options to take: `choose: "OPTION 1"`, or a list.
const CHOOSE: &str = "choose";

/// The options a `choose:` entry names; each must name an option the runbook offers.
fn choices(path: &Path, book: &Runbook, value: serde_norway::Value) -> Result<Vec<String>> {
    let values = match value {
        serde_norway::Value::String(s) => vec![s],
        serde_norway::Value::Sequence(items) => items
            .into_iter()
            .map(|v| match v {
                serde_norway::Value::String(s) => Ok(s),
                serde_norway::Value::Number(n) => Ok(n.to_string()),
                _ => Err(bad(path, "`choose:` takes option names".into())),
            })
            .collect::<Result<_>>()?,
        _ => {
            return Err(bad(
                path,
                "`choose:` takes an option name, or a list of them".into(),
            ));
        }
    };
    for wanted in &values {
        if !book
            .groups
            .iter()
            .any(|g| pick(&g.labels(), wanted).is_some())
        {
            let offered: Vec<String> = book.groups.iter().flat_map(|g| g.labels()).collect();
            return Err(bad(
                path,
                if offered.is_empty() {
                    format!("`choose: {wanted}`: the runbook offers no alternatives to choose from")
                } else {
                    format!(
                        "`choose: {wanted}` names no option of the runbook (one per group); the options are: {}",
                        offered.join(" | ")
                    )
                },
            ));
        }
    }
    Ok(values)
}

/// What keys are matched against, read from the runbook once for all the
/// file's keys: matching each key against every step made a long runbook
/// with a long answers file quadratic.
struct Names<'b> {
    book: &'b Runbook,
    /// A placeholder's name or token, ASCII-lowercased: its name, lowercased
    /// (the first placeholder that has it).
    placeholders: HashMap<String, String>,
    /// Steps by id (a command's `name=`, or `s<N>`), ASCII-lowercased.
    ids: HashMap<String, Vec<usize>>,
    /// Steps by heading path and text, normalised.
    paths: HashMap<String, Vec<usize>>,
    /// Steps whose text holds each key, lowercased, as a piece.
    pieces: HashMap<String, Vec<usize>>,
    /// Steps with text at all: what an empty key is a piece of.
    with_text: Vec<usize>,
}

impl<'b> Names<'b> {
    fn new<'k>(book: &'b Runbook, keys: impl Iterator<Item = &'k str>) -> Names<'b> {
        let mut placeholders = HashMap::new();
        for p in book.steps.iter().filter_map(Step::placeholder) {
            let name = p.name.to_ascii_lowercase();
            placeholders
                .entry(p.name.to_ascii_lowercase())
                .or_insert_with(|| name.clone());
            placeholders
                .entry(p.token.to_ascii_lowercase())
                .or_insert(name);
        }
        let keys: Vec<&str> = keys.collect();
        // Only what some key of the file names is kept: the file is looked
        // up by its own keys (`steps`), and most steps are named by none.
        let mut ids: HashMap<String, Vec<usize>> = keys
            .iter()
            .map(|k| (k.to_ascii_lowercase(), Vec::new()))
            .collect();
        let mut paths: HashMap<String, Vec<usize>> = keys
            .iter()
            .map(|k| (normalise_path(k), Vec::new()))
            .collect();
        let mut with_text = Vec::new();
        let named = book.steps.iter().filter(|s| s.placeholder().is_none());
        // Each step's id and path made in the same two buffers, not two
        // strings a step.
        let (mut id, mut path) = (String::new(), String::new());
        for step in named.clone() {
            step.id_onto(&mut id);
            id.make_ascii_lowercase();
            if let Some(steps) = ids.get_mut(&id) {
                steps.push(step.at());
            }
            step_path_onto(&mut path, step);
            if let Some(steps) = paths.get_mut(&path) {
                steps.push(step.at());
            }
            if !step.text.is_empty() {
                with_text.push(step.at());
            }
        }
        // Every key's pieces in one pass over the steps' text (Aho-Corasick),
        // instead of one pass a key.
        let wanted: Vec<String> = keys
            .iter()
            .map(|k| k.to_lowercase())
            .filter(|k| !k.is_empty())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut pieces: HashMap<String, Vec<usize>> = HashMap::new();
        // The keys are lowercase: ASCII text is searched as it is, without
        // a lowercased copy, other text lowercased.
        let search = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&wanted);
        if let Ok(search) = search {
            for step in named.filter(|s| !s.text.is_empty()) {
                let lowered;
                let text = if step.text.is_ascii() {
                    step.text.as_str()
                } else {
                    lowered = step.text.to_lowercase();
                    lowered.as_str()
                };
                for found in search.find_overlapping_iter(text) {
                    let steps = pieces
                        .entry(wanted[found.pattern().as_usize()].clone())
                        .or_default();
                    if steps.last() != Some(&step.at()) {
                        steps.push(step.at());
                    }
                }
            }
        } else {
            // Too many keys for the automaton's limits: one pass a key.
            for key in &wanted {
                let steps: Vec<usize> = with_text
                    .iter()
                    .copied()
                    .filter(|&i| book.steps[i].text.to_lowercase().contains(key))
                    .collect();
                pieces.insert(key.clone(), steps);
            }
        }
        Names {
            book,
            placeholders,
            ids,
            paths,
            pieces,
            with_text,
        }
    }

    /// The name of the placeholder `key` names exactly, by its name or token.
    fn placeholder(&self, key: &str) -> Option<&str> {
        self.placeholders
            .get(&key.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The steps `key` names by `name=`/id, heading path, or a piece of the
    /// text, in the runbook's order.
    fn steps(&self, key: &str) -> Vec<&'b Step> {
        let key_l = key.to_lowercase();
        let pieces = if key_l.is_empty() {
            &self.with_text
        } else {
            self.pieces.get(&key_l).map_or(&[][..], Vec::as_slice)
        };
        let by_id = self.ids.get(&key.to_ascii_lowercase());
        let by_path = self.paths.get(&normalise_path(key));
        let mut found: Vec<usize> = pieces
            .iter()
            .chain(by_id.into_iter().flatten())
            .chain(by_path.into_iter().flatten())
            .copied()
            .collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.book.steps[i]).collect()
    }
}

fn normalise_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    normalise_onto(&mut out, path);
    out
}

/// `normalise_path` of `Heading › Sub › text` for `step`: its headings' and
/// its text's parts, made for every step without that text being made; in
/// `out`, what it held before cleared.
fn step_path_onto(out: &mut String, step: &Step) {
    out.clear();
    for heading in step.heading.iter() {
        normalise_onto(out, heading);
    }
    normalise_onto(out, &step.text);
}

/// The parts of `path`, normalised, added after those `out` holds.
fn normalise_onto(out: &mut String, path: &str) {
    // Split on `›`, `>` and `/` by bytes: `›` is the only character whose
    // UTF-8 is E2 80 BA, and every separator starts at a character boundary.
    let bytes = path.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i <= bytes.len() {
        let sep = match bytes.get(i) {
            None => 1,
            Some(b'>' | b'/') => 1,
            Some(0xE2) if bytes.get(i + 1..i + 3) == Some(&[0x80, 0xBA]) => 3,
            Some(_) => {
                i += 1;
                continue;
            }
        };
        normalise_part(out, path[start..i].trim());
        i += sep;
        start = i;
    }
}

/// One part of a path, trimmed, lowercased after those `out` holds.
fn normalise_part(out: &mut String, part: &str) {
    if part.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push('/');
    }
    if part.is_ascii() {
        let from = out.len();
        out.push_str(part);
        out[from..].make_ascii_lowercase();
    } else {
        out.push_str(&part.to_lowercase());
    }
}

fn bad(path: &Path, message: String) -> Error {
    Error::Transcript {
        path: PathBuf::from(path),
        message,
    }
}

/// A skeleton answers file for `book`: one commented entry per thing to answer.
pub fn template(book: &Runbook) -> String {
    let mut out =
        String::from("# Answers for an unattended run: runsheet run --yes --answers FILE\n");
    let mut seen = std::collections::HashSet::new();
    let shared = |step: &Step| book.steps.iter().filter(|s| s.text == step.text).count() > 1;
    // Where `choose:` goes: before the first step of the first group.
    let first_option = book.groups.first().map_or(usize::MAX, |g| {
        g.options.iter().map(|o| o.steps.start).min().unwrap_or(0)
    });
    for step in &book.steps {
        if step.at() == first_option {
            let groups: Vec<String> = book.groups.iter().map(|g| g.labels().join(" | ")).collect();
            out.push_str(&format!(
                "# the options to take where the runbook offers alternatives, one per group: {}\n# {CHOOSE}: \n",
                groups.join("; ")
            ));
        }
        let (key, hint) = match &step.kind {
            StepKind::Placeholder(p) => (
                p.name.clone(),
                if p.secret {
                    "secret value (better given at a prompt)".to_string()
                } else {
                    "value".to_string()
                },
            ),
            StepKind::Choice(f) => (step.text.clone(), f.options.join(" | ")),
            StepKind::Blank(_) => (
                step.text.clone(),
                "value (now = the current UTC time)".into(),
            ),
            StepKind::Task(t) if step.children.is_empty() && !t.checked => {
                (step.text.clone(), "done | skip | fail".into())
            }
            StepKind::Command(c) if c.attrs.manual => (step.id(), "done | skip | fail".into()),
            _ => continue,
        };
        // Steps with the same text are told apart by their heading path.
        let key = match &step.kind {
            StepKind::Task(_) | StepKind::Blank(_) | StepKind::Choice(_)
                if shared(step) && !step.heading.is_empty() =>
            {
                format!("{} › {key}", step.heading_path())
            }
            _ => key,
        };
        if key.is_empty() || !seen.insert(key.clone()) {
            continue;
        }

        out.push_str(&format!(
            "# line {}: {hint}\n# {}: \n",
            step.line,
            quote_key(&key)
        ));
    }
    out
}

fn quote_key(key: &str) -> String {
    format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_steps_path_is_its_headings_and_text_normalised_together() {
        use crate::doc::parse;
        use crate::source::Source;
        let text = "# Deploy › Web\n\n## A/B > ΣΑΣ Ops\n\n- [ ] Check  the  ÉTAT / x\n\n\
                    ### \n\n- [ ] Σ end\n\n- [ ] \n\n```bash\necho\n```\n";
        let book = parse(&Source::from_text(
            std::path::Path::new("t.md"),
            text.into(),
        ));
        assert!(book.steps.len() >= 3);
        for step in &book.steps {
            let joined = format!("{} › {}", step.heading_path(), step.text);
            let old: Vec<String> = joined
                .split(['›', '>', '/'])
                .map(|p| p.trim().to_lowercase())
                .filter(|p| !p.is_empty())
                .collect();
            let mut path = String::from("left over");
            super::step_path_onto(&mut path, step);
            assert_eq!(path, old.join("/"), "{joined}");
            assert_eq!(super::normalise_path(&joined), old.join("/"));
        }
    }

    use super::*;
    use crate::source::Source;

    const RUNBOOK: &str =
        "# Étape\n\n- Owner 1: ____\n- Owner 10: ____\n- [ ] Ship it\n\n```bash\necho <tag>\n```\n";

    fn book() -> Runbook {
        crate::doc::parse(&Source::from_text(Path::new("r.md"), RUNBOOK.into()))
    }

    fn load(book: &Runbook, answers: &str) -> Result<Answers> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("answers.yaml");
        std::fs::write(&path, answers).expect("write the answers file");
        Answers::load(&path, book)
    }

    fn step<'b>(book: &'b Runbook, text: &str) -> &'b Step {
        book.steps
            .iter()
            .find(|s| s.text == text)
            .expect("the step")
    }

    #[test]
    fn keys_name_steps_by_a_piece_of_text_heading_path_id_or_placeholder_in_any_case() {
        let book = book();
        let ship = step(&book, "Ship it");
        let answers = format!(
            "\"OWNER 1:\": alice\n\"ÉTAPE / owner 10: ____\": bob\nS{}: done\n\"<TAG>\": v1\n",
            ship.index + 1
        );
        let a = load(&book, &answers).unwrap();
        // `owner 1:` is a piece of `Owner 1: ____` only, not of `Owner 10: ____`.
        assert_eq!(
            a.for_step(step(&book, "Owner 1: ____")).as_deref(),
            Some("alice")
        );
        assert_eq!(
            a.for_step(step(&book, "Owner 10: ____")).as_deref(),
            Some("bob")
        );
        assert_eq!(a.for_step(ship).as_deref(), Some("done"));
        assert_eq!(a.for_placeholder("tag").as_deref(), Some("v1"));
    }

    #[test]
    fn a_piece_of_several_steps_text_is_an_error_naming_their_lines() {
        let book = book();
        let e = load(&book, "\"wner 1\": alice\n").unwrap_err().to_string();
        assert!(e.contains("matches several steps (lines 3, 4)"), "{e}");
        let e = load(&book, "nobody: alice\n").unwrap_err().to_string();
        assert!(e.contains("`nobody` names no step"), "{e}");
    }

    #[test]
    fn a_path_is_split_on_its_separators_trimmed_and_lowercased() {
        // The same parts as a split on the three characters gives.
        fn by_chars(path: &str) -> String {
            let parts: Vec<String> = path
                .split(['›', '>', '/'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_lowercase)
                .collect();
            parts.join("/")
        }
        for path in [
            "",
            "/",
            "Deploy › Ship it",
            " ÉTAPE / owner 10: ____ ",
            "a>b>>c// d ›› E",
            "›",
            "x›",
            "€ costs › ‹ not a separator ›y",
            "Straße › İstanbul › ΣΑΣ",
            "\u{2039}\u{203a}\u{203b}",
        ] {
            assert_eq!(normalise_path(path), by_chars(path), "{path:?}");
        }
        let mut out = String::from("head");
        normalise_onto(&mut out, "Tail");
        assert_eq!(out, "head/tail");
    }
}
