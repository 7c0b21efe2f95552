//! Pairing the steps of two runs, level by level: the runbook's top-level
//! steps first, then inside each pair of tasks their own steps. Within a
//! level, by `name=`, else by heading path, text and ordinal; steps moved,
//! added or reworded found by a diff over those keys.

use std::collections::{HashMap, HashSet};

use similar::{Algorithm, DiffOp, TextDiff, capture_diff_slices};

use crate::record::{Kind, StepRecord};

/// One aligned pair: indices of a step of the old run, of the new run, or
/// of both, and where a paired step moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub old: Option<usize>,
    pub new: Option<usize>,
    pub moved: Option<Moved>,
}

/// Where a step that moved stood and stands among the steps beside it (the
/// runbook's top-level steps, or the steps of its task): its place there,
/// counted from 1, and the step before it there (an index into the run's
/// steps; `None` when it is first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub old_place: usize,
    pub new_place: usize,
    pub old_after: Option<usize>,
    pub new_after: Option<usize>,
}

/// How alike two step texts must be (0 to 1) to pair a reworded step that
/// shares a word with it (of three letters or more)...
const ALIKE: f32 = 0.6;
/// ... and to pair one that shares none (`Deplyo` → `Deploy`).
const ALIKE_WITHOUT_A_WORD: f32 = 0.8;
/// Past this many candidate comparisons in one changed stretch, reworded
/// steps there are left as gone and new rather than compared one by one.
const MAX_COMPARISONS: usize = 4_000;

/// The key a step is paired by: its name, or its kind, heading path, text and
/// how many steps before it among `at` have the same.
fn keys(steps: &[&StepRecord], at: &[usize]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    at.iter()
        .map(|&i| {
            let s = steps[i];
            if let Some(name) = &s.name {
                return format!("name\u{1f}{name}");
            }
            let base = format!(
                "{:?}\u{1f}{}\u{1f}{}",
                s.kind,
                s.heading.join("\u{1e}"),
                s.text
            );
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            format!("{base}\u{1f}{n}")
        })
        .collect()
}

/// The steps to compare: placeholders are filled as part of their command,
/// whose `ran` shows them.
fn comparable(steps: &[StepRecord]) -> Vec<usize> {
    (0..steps.len())
        .filter(|&i| steps[i].kind != Kind::Placeholder)
        .collect()
}

/// The steps of a run as a tree, by their place among the compared steps:
/// the top-level ones, and each one's own steps (a task's blocks, fields and
/// sub-items), in the run's order.
struct Tree {
    top: Vec<usize>,
    children: Vec<Vec<usize>>,
}

impl Tree {
    fn of(steps: &[&StepRecord]) -> Tree {
        let at: HashMap<&str, usize> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let mut tree = Tree {
            top: Vec::new(),
            children: vec![Vec::new(); steps.len()],
        };
        for (i, s) in steps.iter().enumerate() {
            match s.parent.as_deref().and_then(|p| at.get(p)) {
                Some(&p) if p != i => tree.children[p].push(i),
                _ => tree.top.push(i),
            }
        }
        tree
    }
}

/// The steps of `old` and `new` paired, in the order of the new run, each
/// gone step where it stood in the old one.
///
/// A step inside a task pairs only with a step inside the task its own task
/// paired with: a task that is new or gone brings its steps with it. Blocks
/// with the same `name=` pair wherever they are.
pub fn align(old: &[StepRecord], new: &[StepRecord]) -> Vec<Pair> {
    let (old_at, new_at) = (comparable(old), comparable(new));
    let old_steps: Vec<&StepRecord> = old_at.iter().map(|&i| &old[i]).collect();
    let new_steps: Vec<&StepRecord> = new_at.iter().map(|&i| &new[i]).collect();
    let (old_tree, new_tree) = (Tree::of(&old_steps), Tree::of(&new_steps));

    let mut links = Links {
        to_new: vec![None; old_steps.len()],
        to_old: vec![None; new_steps.len()],
    };
    pair_names(&old_steps, &new_steps, &mut links);
    let mut moved: Vec<Option<Moved>> = vec![None; new_steps.len()];
    let mut levels = vec![(old_tree.top.clone(), new_tree.top.clone(), false)];
    let mut visited = HashSet::new();
    while let Some((olds, news, inner)) = levels.pop() {
        pair_level(&old_steps, (&olds, &news), &new_steps, inner, &mut links);
        for (n, m) in moves(&olds, &news, &links) {
            moved[n] = Some(Moved {
                old_after: m.old_after.map(|o| old_at[o]),
                new_after: m.new_after.map(|n| new_at[n]),
                ..m
            });
        }
        // Inside each pair, its own steps; a step paired by name from
        // elsewhere is looked inside once.
        for &n in &news {
            if let Some(o) = links.to_old[n]
                && visited.insert(n)
            {
                levels.push((
                    old_tree.children[o].clone(),
                    new_tree.children[n].clone(),
                    true,
                ));
            }
        }
    }

    // A gone step comes right after the step it followed in the old run
    // (after the last paired step before it), or first.
    let mut gone_after: HashMap<Option<usize>, Vec<usize>> = HashMap::new();
    let mut anchor = None;
    for (o, n) in links.to_new.iter().enumerate() {
        match n {
            Some(n) => anchor = Some(*n),
            None => gone_after.entry(anchor).or_default().push(o),
        }
    }
    let gone = |at: Option<usize>, pairs: &mut Vec<Pair>| {
        for &o in gone_after.get(&at).into_iter().flatten() {
            pairs.push(Pair {
                old: Some(old_at[o]),
                new: None,
                moved: None,
            });
        }
    };
    let mut pairs = Vec::with_capacity(old_steps.len().max(new_steps.len()));
    gone(None, &mut pairs);
    for (n, o) in links.to_old.iter().enumerate() {
        pairs.push(Pair {
            old: o.map(|o| old_at[o]),
            new: Some(new_at[n]),
            moved: moved[n],
        });
        gone(Some(n), &mut pairs);
    }
    pairs
}

/// Blocks with the same `name=` pair, wherever each stands.
fn pair_names(old: &[&StepRecord], new: &[&StepRecord], links: &mut Links) {
    let named: HashMap<&str, usize> = old
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((s.name.as_deref()?, i)))
        .collect();
    for (n, s) in new.iter().enumerate() {
        if let Some(&o) = s.name.as_deref().and_then(|name| named.get(name))
            && links.to_new[o].is_none()
        {
            links.pair(o, n);
        }
    }
}

/// Pairs the steps of one level: `olds` and `news` are the top-level steps
/// of each run, or (`inner`) the steps inside two paired tasks.
fn pair_level(
    old: &[&StepRecord],
    (olds, news): (&[usize], &[usize]),
    new: &[&StepRecord],
    inner: bool,
    links: &mut Links,
) {
    if olds.is_empty() || news.is_empty() {
        return;
    }
    let (old_keys, new_keys) = (keys(old, olds), keys(new, news));
    let ops = capture_diff_slices(Algorithm::Patience, &old_keys, &new_keys);
    let free =
        |links: &Links, o: usize, n: usize| links.to_new[o].is_none() && links.to_old[n].is_none();
    for op in &ops {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        {
            for k in 0..len {
                let (o, n) = (olds[old_index + k], news[new_index + k]);
                if free(links, o, n) {
                    links.pair(o, n);
                }
            }
        }
    }
    // Moved: the same key, elsewhere.
    let unpaired_old: HashMap<&str, usize> = (0..olds.len())
        .rev()
        .filter(|&k| links.to_new[olds[k]].is_none())
        .map(|k| (old_keys[k].as_str(), olds[k]))
        .collect();
    for (k, key) in new_keys.iter().enumerate() {
        if let Some(&o) = unpaired_old.get(key.as_str())
            && free(links, o, news[k])
        {
            links.pair(o, news[k]);
        }
    }
    // Reworded, or under a renamed heading: within each changed stretch.
    for op in &ops {
        let (_, at_old, at_new) = op.as_tag_tuple();
        let in_old: Vec<usize> = at_old
            .map(|k| olds[k])
            .filter(|&o| links.to_new[o].is_none())
            .collect();
        let in_new: Vec<usize> = at_new
            .map(|k| news[k])
            .filter(|&n| links.to_old[n].is_none())
            .collect();
        if in_old.is_empty() || in_new.is_empty() {
            continue;
        }
        for (o, n) in reworded(old, &in_old, new, &in_new) {
            links.pair(o, n);
        }
    }
    // Inside two paired tasks, the one step of a kind left on each side is
    // the task's step, edited (`echo b` → `echo b --verbose`).
    if inner {
        let left = |steps: &[&StepRecord], at: &[usize], paired: &[Option<usize>], kind| {
            at.iter()
                .copied()
                .filter(|&i| paired[i].is_none() && steps[i].kind == kind)
                .collect::<Vec<usize>>()
        };
        for kind in [Kind::Task, Kind::Command, Kind::Blank, Kind::Choice] {
            let in_old = left(old, olds, &links.to_new, kind);
            let in_new = left(new, news, &links.to_old, kind);
            if let ([o], [n]) = (in_old.as_slice(), in_new.as_slice()) {
                links.pair(*o, *n);
            }
        }
    }
    // Moved to another section: the same kind and text, anywhere, the
    // first left in the old run for the first in the new one.
    let mut left: HashMap<(Kind, &str), Vec<usize>> = HashMap::new();
    for &o in olds.iter().rev() {
        if links.to_new[o].is_none() {
            left.entry((old[o].kind, old[o].text.as_str()))
                .or_default()
                .push(o);
        }
    }
    for &n in news {
        if links.to_old[n].is_none()
            && let Some(o) = left
                .get_mut(&(new[n].kind, new[n].text.as_str()))
                .and_then(Vec::pop)
        {
            links.pair(o, n);
        }
    }
}

/// The paired steps of one level that moved, by their index in the new
/// run's compared steps: those out of order, the fewest that, set aside,
/// leave the rest in the same order in both runs. A step whose section was
/// renamed or split off, its order kept, did not move.
fn moves(olds: &[usize], news: &[usize], links: &Links) -> Vec<(usize, Moved)> {
    let old_place: HashMap<usize, usize> = olds.iter().enumerate().map(|(k, &o)| (o, k)).collect();
    // The paired steps of this level, in the new run's order: (new place,
    // old place).
    let paired: Vec<(usize, usize)> = news
        .iter()
        .enumerate()
        .filter_map(|(k, &n)| Some((k, *old_place.get(&links.to_old[n]?)?)))
        .collect();
    let in_order = longest_increasing(&paired.iter().map(|&(_, o)| o).collect::<Vec<_>>());
    paired
        .iter()
        .enumerate()
        .filter(|(i, _)| !in_order.contains(i))
        .map(|(_, &(k, p))| {
            (
                news[k],
                Moved {
                    old_place: p + 1,
                    new_place: k + 1,
                    old_after: p.checked_sub(1).map(|p| olds[p]),
                    new_after: k.checked_sub(1).map(|k| news[k]),
                },
            )
        })
        .collect()
}

/// The positions in `seq` of one of its longest strictly increasing
/// subsequences.
fn longest_increasing(seq: &[usize]) -> HashSet<usize> {
    // tails[l]: the position of the smallest last value of an increasing
    // run of length l + 1 so far; before[i]: the position before i in its run.
    let mut tails: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = vec![None; seq.len()];
    for (i, &v) in seq.iter().enumerate() {
        let l = tails.partition_point(|&t| seq[t] < v);
        before[i] = l.checked_sub(1).map(|l| tails[l]);
        if l == tails.len() {
            tails.push(i);
        } else {
            tails[l] = i;
        }
    }
    let mut kept = HashSet::new();
    let mut at = tails.last().copied();
    while let Some(i) = at {
        kept.insert(i);
        at = before[i];
    }
    kept
}

/// Which steps are paired, both ways, by their place among the compared steps.
struct Links {
    to_new: Vec<Option<usize>>,
    to_old: Vec<Option<usize>>,
}

impl Links {
    fn pair(&mut self, old: usize, new: usize) {
        self.to_new[old] = Some(new);
        self.to_old[new] = Some(old);
    }
}

/// The words of a text, lowercased, of three letters or more.
fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect()
}

/// Whether a step's text was reworded only a little, and how alike the two
/// are: very alike; or alike and sharing a word; or one has all the words of
/// the other and more (`Tell #ops` → `Tell #ops and #support`). Headings are
/// not part of it, or the heading two unrelated steps share would make
/// their texts look alike (`Bravo` and `Xray` under `Deploy`).
fn alike(old: &str, new: &str) -> Option<f32> {
    let ratio = TextDiff::from_chars(old, new).ratio();
    let (old_words, new_words) = (words(old), words(new));
    let shared = !old_words.is_disjoint(&new_words);
    let grown = shared && (old_words.is_subset(&new_words) || new_words.is_subset(&old_words));
    let enough = ratio >= ALIKE_WITHOUT_A_WORD || (shared && ratio >= ALIKE) || grown;
    enough.then_some(ratio)
}

/// Pairs among `olds` and `news` (unpaired steps of one changed stretch):
/// first the same kind and text under another heading, then texts alike.
fn reworded(
    old: &[&StepRecord],
    olds: &[usize],
    new: &[&StepRecord],
    news: &[usize],
) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let mut taken = vec![false; olds.len()];
    let mut left = Vec::new();
    for &n in news {
        let same = olds.iter().enumerate().position(|(i, &o)| {
            !taken[i] && old[o].kind == new[n].kind && old[o].text == new[n].text
        });
        match same {
            Some(i) => {
                taken[i] = true;
                pairs.push((olds[i], n));
            }
            None => left.push(n),
        }
    }
    if left.len() * olds.len() > MAX_COMPARISONS {
        return pairs;
    }
    // Every pair alike enough, the most alike taken first: taken in the
    // order of the new run, a step would take the best match of a later
    // one that is more like it, and leave that one new.
    let mut candidates: Vec<(f32, usize, usize)> = Vec::new();
    for (l, &n) in left.iter().enumerate() {
        for (i, &o) in olds.iter().enumerate() {
            if taken[i] || old[o].kind != new[n].kind {
                continue;
            }
            if let Some(ratio) = alike(&old[o].text, &new[n].text) {
                candidates.push((ratio, l, i));
            }
        }
    }
    // Most alike first; among equals, the earlier new step, then the
    // earlier old one, so that pairing does not depend on the sort.
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut placed = vec![false; left.len()];
    for (_, l, i) in candidates {
        if !placed[l] && !taken[i] {
            placed[l] = true;
            taken[i] = true;
            pairs.push((olds[i], left[l]));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(kind: Kind, heading: &str, text: &str, name: Option<&str>) -> StepRecord {
        StepRecord {
            id: String::new(),
            kind,
            line: 1,
            heading: heading
                .split('/')
                .filter(|h| !h.is_empty())
                .map(str::to_string)
                .collect(),
            text: text.into(),
            code: None,
            name: name.map(str::to_string),
            parent: None,
            counts_as: None,
            status: None,
            done_before: false,
            reasons: Vec::new(),
            attempts: Vec::new(),
            hosts: Vec::new(),
            answer: None,
            note: None,
            confirmed_by: None,
            host: None,
            section_role: None,
            section: None,
            contingency: None,
            option: None,
            off_path: false,
            fills: Vec::new(),
        }
    }

    fn task(heading: &str, text: &str) -> StepRecord {
        step(Kind::Task, heading, text, None)
    }

    /// Pairs as (old text, new text), `-` for none.
    fn texts(old: &[StepRecord], new: &[StepRecord]) -> Vec<(String, String)> {
        align(old, new)
            .into_iter()
            .map(|p| {
                let t = |s: Option<&StepRecord>| s.map_or("-".to_string(), |s| s.text.clone());
                (t(p.old.map(|i| &old[i])), t(p.new.map(|i| &new[i])))
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn added_removed_moved_and_reworded_steps_pair_up() {
        let old = vec![
            task("Deploy", "Freeze deploys"),
            task("Deploy", "Run the migrations"),
            task("Deploy", "Warm the cache"),
            task("Deploy", "Tell #ops"),
            task("Deploy", "Check the dashboards"),
        ];
        let new = vec![
            task("Deploy", "Tell #ops"),
            task("Deploy", "Freeze deploys"),
            task("Deploy", "Run the database migrations"),
            task("Deploy", "Check the dashboards"),
            task("Deploy", "Page the on-call"),
        ];
        assert_eq!(
            texts(&old, &new),
            pairs(&[
                ("Tell #ops", "Tell #ops"),
                ("Freeze deploys", "Freeze deploys"),
                ("Run the migrations", "Run the database migrations"),
                ("Warm the cache", "-"),
                ("Check the dashboards", "Check the dashboards"),
                ("-", "Page the on-call"),
            ])
        );
    }

    #[test]
    fn names_win_and_ordinals_tell_repeated_steps_apart() {
        let mut old = vec![
            step(Kind::Command, "A", "echo one", Some("first")),
            task("A", "Check"),
            task("A", "Check"),
        ];
        let mut new = vec![
            step(Kind::Command, "B", "echo changed", Some("first")),
            task("A", "Check"),
        ];
        old[2].note = Some("second".into());
        new[1].note = Some("kept".into());
        let got = align(&old, &new);
        assert_eq!(
            got,
            vec![
                Pair {
                    old: Some(0),
                    new: Some(0),
                    moved: None
                },
                Pair {
                    old: Some(1),
                    new: Some(1),
                    moved: None
                },
                Pair {
                    old: Some(2),
                    new: None,
                    moved: None
                },
            ]
        );
    }

    #[test]
    fn a_renamed_heading_keeps_its_steps_paired() {
        let old = vec![task("Deploy", "One"), task("Deploy", "Two")];
        let new = vec![task("Deploy to prod", "One"), task("Deploy to prod", "Two")];
        assert_eq!(texts(&old, &new), pairs(&[("One", "One"), ("Two", "Two")]));
    }

    #[test]
    fn the_most_alike_steps_pair_first() {
        // Two runs of one template for other hosts, the new one with a step
        // of its own first: taken in order, that step would take the old
        // `stg-web-2` step, whose own match would then show as new.
        let old = vec![
            task("Deploy web to staging › Roll out", "Deploy to stg-web-1"),
            task("Deploy web to staging › Roll out", "Deploy to stg-web-2"),
        ];
        let new = vec![
            task("Deploy web to prod › Window", "Announce the deploy of web"),
            task("Deploy web to prod › Roll out", "Deploy to web-1"),
            task("Deploy web to prod › Roll out", "Deploy to web-2"),
        ];
        assert_eq!(
            texts(&old, &new),
            pairs(&[
                ("-", "Announce the deploy of web"),
                ("Deploy to stg-web-1", "Deploy to web-1"),
                ("Deploy to stg-web-2", "Deploy to web-2"),
            ])
        );
    }

    #[test]
    fn unlike_steps_of_another_kind_stay_apart() {
        let old = vec![task("", "Restart the worker")];
        let new = vec![step(Kind::Blank, "", "Restart the worker", None)];
        assert_eq!(
            texts(&old, &new),
            pairs(&[("Restart the worker", "-"), ("-", "Restart the worker")])
        );
    }

    /// A task with one block under it, the block's id `<id>b`.
    fn with_block(id: &str, text: &str, code: &str) -> [StepRecord; 2] {
        let mut t = task("R", text);
        t.id = id.into();
        let mut b = step(Kind::Command, "R", code, None);
        b.id = format!("{id}b");
        b.parent = Some(id.into());
        [t, b]
    }

    #[test]
    fn a_block_pairs_only_inside_the_task_its_task_paired_with() {
        let old: Vec<StepRecord> = [
            with_block("s1", "Alpha", "echo \"Alpha\""),
            with_block("s3", "Bravo", "echo \"Bravo\""),
        ]
        .concat();
        let new: Vec<StepRecord> = [
            with_block("s1", "Alpha", "echo \"Alpha\""),
            with_block("s3", "Xray", "echo \"Xray\""),
        ]
        .concat();
        assert_eq!(
            texts(&old, &new),
            pairs(&[
                ("Alpha", "Alpha"),
                ("echo \"Alpha\"", "echo \"Alpha\""),
                ("Bravo", "-"),
                ("echo \"Bravo\"", "-"),
                ("-", "Xray"),
                ("-", "echo \"Xray\""),
            ])
        );
        // Under a task that paired, its one block edited pairs.
        let new = with_block("s9", "Bravo", "echo b --verbose");
        assert_eq!(
            texts(&old[2..], &new),
            pairs(&[("Bravo", "Bravo"), ("echo \"Bravo\"", "echo b --verbose")])
        );
    }

    #[test]
    fn texts_alike_only_with_their_heading_stay_apart() {
        let old = vec![task("Deploy", "Bravo"), task("Deploy", "Tell #ops")];
        let new = vec![
            task("Deploy", "Xray"),
            task("Deploy", "Tell #ops and #support"),
        ];
        assert_eq!(
            texts(&old, &new),
            pairs(&[
                ("Bravo", "-"),
                ("-", "Xray"),
                ("Tell #ops", "Tell #ops and #support"),
            ])
        );
    }

    #[test]
    fn steps_out_of_order_are_moved_the_fewest_of_them() {
        let old = vec![
            task("R", "Drain"),
            task("R", "Restart"),
            task("R", "Restore"),
        ];
        let new = vec![
            task("R", "Restart"),
            task("R", "Added"),
            task("R", "Drain"),
            task("R", "Restore"),
        ];
        let moved: Vec<(usize, Moved)> = align(&old, &new)
            .into_iter()
            .filter_map(|p| Some((p.new?, p.moved?)))
            .collect();
        assert_eq!(
            moved,
            vec![(
                0,
                Moved {
                    old_place: 2,
                    new_place: 1,
                    old_after: Some(0),
                    new_after: None,
                }
            )]
        );
        // Steps added or removed around others do not move them.
        let new = vec![task("R", "Added"), task("R", "Drain"), task("R", "Restore")];
        assert!(align(&old, &new).iter().all(|p| p.moved.is_none()));
    }
}
