//! Pairing the steps of two runs: by `name=`, else by heading path, text and
//! ordinal; steps moved, added or reworded found by a diff over those keys.

use std::collections::HashMap;

use similar::{Algorithm, DiffOp, TextDiff, capture_diff_slices};

use crate::record::{Kind, StepRecord};

/// One aligned pair: indices of a step of the old run, of the new run, or
/// of both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub old: Option<usize>,
    pub new: Option<usize>,
}

/// How alike two step texts must be (0 to 1) to pair a reworded step.
const ALIKE: f32 = 0.6;
/// Past this many candidate comparisons in one changed stretch, reworded
/// steps there are left as gone and new rather than compared one by one.
const MAX_COMPARISONS: usize = 4_000;

/// The key a step is paired by: its name, or its kind, heading path, text and
/// how many steps before it under the same heading have the same text.
fn keys(steps: &[&StepRecord]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    steps
        .iter()
        .map(|s| {
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

/// The steps of `old` and `new` paired, in the order of the new run, each
/// gone step where it stood in the old one.
pub fn align(old: &[StepRecord], new: &[StepRecord]) -> Vec<Pair> {
    let (old_at, new_at) = (comparable(old), comparable(new));
    let old_steps: Vec<&StepRecord> = old_at.iter().map(|&i| &old[i]).collect();
    let new_steps: Vec<&StepRecord> = new_at.iter().map(|&i| &new[i]).collect();
    let (old_keys, new_keys) = (keys(&old_steps), keys(&new_steps));
    let ops = capture_diff_slices(Algorithm::Patience, &old_keys, &new_keys);

    // Which new step each old one is paired with, and back.
    let mut links = Links {
        to_new: vec![None; old_keys.len()],
        to_old: vec![None; new_keys.len()],
    };
    for op in &ops {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        {
            for k in 0..len {
                links.pair(old_index + k, new_index + k);
            }
        }
    }
    // Moved: the same key, elsewhere.
    let unpaired_old: HashMap<&str, usize> = (0..old_keys.len())
        .filter(|&o| links.to_new[o].is_none())
        .map(|o| (old_keys[o].as_str(), o))
        .collect();
    for (n, key) in new_keys.iter().enumerate() {
        if links.to_old[n].is_none()
            && let Some(&o) = unpaired_old.get(key.as_str())
            && links.to_new[o].is_none()
        {
            links.pair(o, n);
        }
    }
    // Reworded, or under a renamed heading: within each changed stretch.
    for op in &ops {
        let (_, olds, news) = op.as_tag_tuple();
        let olds: Vec<usize> = olds.filter(|&o| links.to_new[o].is_none()).collect();
        let news: Vec<usize> = news.filter(|&n| links.to_old[n].is_none()).collect();
        if olds.is_empty() || news.is_empty() {
            continue;
        }
        for (o, n) in reworded(&old_steps, &olds, &new_steps, &news) {
            links.pair(o, n);
        }
    }
    inside_paired(&old_steps, &new_steps, &mut links);

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
            });
        }
    };
    let mut pairs = Vec::with_capacity(old_keys.len().max(new_keys.len()));
    gone(None, &mut pairs);
    for (n, o) in links.to_old.iter().enumerate() {
        pairs.push(Pair {
            old: o.map(|o| old_at[o]),
            new: Some(new_at[n]),
        });
        gone(Some(n), &mut pairs);
    }
    pairs
}

/// Moved with its task and edited there: a step inside a task (the block of
/// an item) left unpaired pairs with the one step of its kind left unpaired
/// inside the task its own task was paired with, when there is one each.
fn inside_paired(old: &[&StepRecord], new: &[&StepRecord], links: &mut Links) {
    let unpaired_inside = |steps: &[&StepRecord], paired: &[Option<usize>]| {
        let mut by_parent: HashMap<(String, Kind), Vec<usize>> = HashMap::new();
        for (i, s) in steps.iter().enumerate() {
            if paired[i].is_none()
                && let Some(parent) = &s.counts_as
            {
                by_parent
                    .entry((parent.clone(), s.kind))
                    .or_default()
                    .push(i);
            }
        }
        by_parent
    };
    let olds = unpaired_inside(old, &links.to_new);
    if olds.is_empty() {
        return;
    }
    let news = unpaired_inside(new, &links.to_old);
    let new_at: HashMap<&str, usize> = new
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    for ((parent, kind), ns) in news {
        let Some(po) = new_at.get(parent.as_str()).and_then(|&p| links.to_old[p]) else {
            continue;
        };
        if let ([n], Some([o])) = (
            ns.as_slice(),
            olds.get(&(old[po].id.clone(), kind)).map(Vec::as_slice),
        ) {
            links.pair(*o, *n);
        }
    }
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
    let label = |s: &StepRecord| format!("{} › {}", s.heading.join(" › "), s.text);
    let old_labels: Vec<String> = olds.iter().map(|&o| label(old[o])).collect();
    let mut alike: Vec<(f32, usize, usize)> = Vec::new();
    for (l, &n) in left.iter().enumerate() {
        let want = label(new[n]);
        for (i, &o) in olds.iter().enumerate() {
            if taken[i] || old[o].kind != new[n].kind {
                continue;
            }
            let ratio = TextDiff::from_chars(old_labels[i].as_str(), want.as_str()).ratio();
            if ratio >= ALIKE {
                alike.push((ratio, l, i));
            }
        }
    }
    // Most alike first; among equals, the earlier new step, then the
    // earlier old one, so that pairing does not depend on the sort.
    alike.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut placed = vec![false; left.len()];
    for (_, l, i) in alike {
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
                    new: Some(0)
                },
                Pair {
                    old: Some(1),
                    new: Some(1)
                },
                Pair {
                    old: Some(2),
                    new: None
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
}
