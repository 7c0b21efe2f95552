//! Host inventories: a plain list of `[user@]host[:port]` lines, and the
//! common subset of Ansible's INI and YAML inventories (groups, `:children`,
//! `:vars`, `ansible_host`, `ansible_port`, `ansible_user`).

use std::collections::BTreeMap;
use std::path::Path;

use super::targets::expand;
use crate::error::{Error, Result};
use crate::yaml::{self, Mapping, Value};

/// One host: the name runsheet shows and targets, and how ssh reaches it
/// where the inventory says so (else ssh's own configuration decides).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostSpec {
    pub name: String,
    /// `ansible_host`: the address to connect to instead of the name.
    pub hostname: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
}

/// Connection settings a host or group sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Vars {
    hostname: Option<String>,
    port: Option<u16>,
    user: Option<String>,
}

impl Vars {
    /// Fills what `self` lacks from `other`.
    fn or(&mut self, other: &Vars) {
        if self.hostname.is_none() {
            self.hostname.clone_from(&other.hostname);
        }
        if self.port.is_none() {
            self.port = other.port;
        }
        if self.user.is_none() {
            self.user.clone_from(&other.user);
        }
    }
}

/// The hosts runsheet may target, in the order the inventory lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    hosts: Vec<HostSpec>,
    /// Group name to its hosts, children's included, in inventory order.
    groups: BTreeMap<String, Vec<String>>,
}

/// An inventory as read, before groups are resolved.
#[derive(Default)]
struct Draft {
    hosts: Vec<(String, Vars)>,
    /// Group: its own hosts, child groups, vars; in the order first seen.
    groups: Vec<(String, Vec<String>, Vec<String>, Vars)>,
}

impl Draft {
    fn host(&mut self, name: &str, vars: Vars) {
        match self.hosts.iter_mut().find(|(n, _)| n == name) {
            // A later line says more about a host listed before.
            Some((_, v)) => {
                let mut newer = vars;
                newer.or(v);
                *v = newer;
            }
            None => self.hosts.push((name.to_string(), vars)),
        }
    }

    fn group(&mut self, name: &str) -> &mut (String, Vec<String>, Vec<String>, Vars) {
        if let Some(i) = self.groups.iter().position(|g| g.0 == name) {
            return &mut self.groups[i];
        }
        self.groups
            .push((name.to_string(), Vec::new(), Vec::new(), Vars::default()));
        self.groups.last_mut().expect("just pushed")
    }

    /// Resolves children and group vars: a host's own settings win over its
    /// groups', a child group's over its parent's, and `all`'s come last.
    fn finish(self) -> std::result::Result<Inventory, String> {
        let index: BTreeMap<&str, usize> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.0.as_str(), i))
            .collect();
        for (name, _, children, _) in &self.groups {
            for child in children {
                if !index.contains_key(child.as_str()) {
                    return Err(format!(
                        "group `{name}` lists `{child}` as a child, but no group has that name"
                    ));
                }
            }
        }
        // Every group's hosts, its children's included (cycles stop).
        let members = |start: usize| -> Vec<String> {
            let mut seen = vec![start];
            let mut out: Vec<String> = Vec::new();
            let mut queue = vec![start];
            while let Some(g) = queue.pop() {
                for h in &self.groups[g].1 {
                    if !out.contains(h) {
                        out.push(h.clone());
                    }
                }
                for c in &self.groups[g].2 {
                    let c = index[c.as_str()];
                    if !seen.contains(&c) {
                        seen.push(c);
                        queue.push(c);
                    }
                }
            }
            out
        };
        // How deep each group is under the ones that list it.
        let mut depth = vec![0usize; self.groups.len()];
        for _ in 0..self.groups.len() {
            for (g, group) in self.groups.iter().enumerate() {
                for c in &group.2 {
                    let c = index[c.as_str()];
                    depth[c] = depth[c].max(depth[g] + 1).min(self.groups.len());
                }
            }
        }
        let mut by_depth: Vec<usize> = (0..self.groups.len()).collect();
        by_depth.sort_by_key(|&g| std::cmp::Reverse(depth[g]));
        let all_members: Vec<Vec<String>> = (0..self.groups.len()).map(members).collect();
        let mut hosts = Vec::with_capacity(self.hosts.len());
        for (name, own) in &self.hosts {
            let mut vars = own.clone();
            for &g in &by_depth {
                if self.groups[g].0 != "all" && all_members[g].contains(name) {
                    vars.or(&self.groups[g].3);
                }
            }
            if let Some(&all) = index.get("all") {
                vars.or(&self.groups[all].3);
            }
            hosts.push(HostSpec {
                name: name.clone(),
                hostname: vars.hostname,
                port: vars.port,
                user: vars.user,
            });
        }
        let order = |h: &String| hosts.iter().position(|s| &s.name == h);
        let mut groups = BTreeMap::new();
        for (g, group) in self.groups.iter().enumerate() {
            let mut list = all_members[g].clone();
            list.sort_by_key(order);
            groups.insert(group.0.clone(), list);
        }
        Ok(Inventory { hosts, groups })
    }
}

impl Inventory {
    /// Reads the inventory at `path`: YAML when it is named `.yml`/`.yaml`
    /// or reads as a YAML map, else INI or a plain list.
    pub fn load(path: &Path) -> Result<Inventory> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.into(),
            source,
        })?;
        Inventory::parse_text(&path.display().to_string(), &text)
    }

    /// Reads an inventory from `text`; `name` is its path, for messages.
    pub fn parse_text(name: &str, text: &str) -> Result<Inventory> {
        let yaml_name = name.ends_with(".yml") || name.ends_with(".yaml");
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'));
        let yaml_shape = first.is_some_and(|l| {
            l == "---" || (l.ends_with(':') && !l.starts_with('[') && !l.contains(' '))
        });
        let draft = if yaml_name || yaml_shape {
            yaml_inventory(text).map_err(|(line, message)| bad(name, line, message))?
        } else {
            ini_inventory(text).map_err(|(line, message)| bad(name, Some(line), message))?
        };
        draft.finish().map_err(|message| bad(name, None, message))
    }

    /// Whether it lists no host.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// Host names, in inventory order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.hosts.iter().map(|h| h.name.as_str())
    }

    /// Group names.
    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.groups.keys().map(String::as_str)
    }

    /// Where host `name` is in the inventory.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.hosts.iter().position(|h| h.name == name)
    }

    /// The host named `name`.
    pub fn host(&self, name: &str) -> Option<&HostSpec> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// The hosts of group `name`, its children's included.
    pub fn group(&self, name: &str) -> Option<Vec<String>> {
        self.groups.get(name).cloned()
    }
}

fn bad(name: &str, line: Option<usize>, message: String) -> Error {
    let at = line.map(|l| format!(":{l}")).unwrap_or_default();
    Error::usage(format!(
        "{name}{at}: {message} (see \"Inventories\" in the book for the formats runsheet reads)"
    ))
}

type Failure = (usize, String);

/// INI (Ansible's) or a plain list of `[user@]host[:port]` lines.
fn ini_inventory(text: &str) -> std::result::Result<Draft, Failure> {
    enum Section {
        Hosts(String),
        Children(String),
        Vars(String),
    }
    let mut draft = Draft::default();
    let mut section = Section::Hosts("ungrouped".into());
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(head) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']'))
            && !head.contains(['[', ']'])
        {
            let (group, kind) = head.split_once(':').unwrap_or((head, ""));
            let group = group.trim().to_string();
            if group.is_empty() {
                return Err((line_no, format!("`{line}` names no group")));
            }
            section = match kind.trim() {
                "" => Section::Hosts(group.clone()),
                "children" => Section::Children(group.clone()),
                "vars" => Section::Vars(group.clone()),
                other => {
                    return Err((
                        line_no,
                        format!(
                            "`[{head}]`: runsheet reads `:children` and `:vars` sections, not `:{other}`"
                        ),
                    ));
                }
            };
            draft.group(&group);
            continue;
        }
        match &section {
            Section::Hosts(group) => {
                let words = shell_words::split(line)
                    .map_err(|e| (line_no, format!("cannot split `{line}`: {e}")))?;
                let (entry, assignments) = words.split_first().expect("the line is not empty");
                let (names, mut vars) = entry_of(entry).map_err(|m| (line_no, m))?;
                let mut own = Vars::default();
                for a in assignments {
                    let (k, v) = a.split_once('=').ok_or_else(|| {
                        (line_no, format!("`{a}` is not a `key=value` host variable"))
                    })?;
                    set_var(&mut own, k, v).map_err(|m| (line_no, m))?;
                }
                own.or(&vars);
                vars = own;
                for name in names {
                    draft.host(&name, vars.clone());
                    let g = draft.group(group);
                    if !g.1.contains(&name) {
                        g.1.push(name);
                    }
                }
            }
            Section::Children(group) => {
                if line.contains(char::is_whitespace) {
                    return Err((line_no, format!("`{line}` is not one group name")));
                }
                draft.group(line);
                let g = draft.group(group);
                if !g.2.iter().any(|c| c == line) {
                    g.2.push(line.to_string());
                }
            }
            Section::Vars(group) => {
                let (k, v) = line.split_once('=').ok_or_else(|| {
                    (
                        line_no,
                        format!("`{line}` is not a `key=value` group variable"),
                    )
                })?;
                let v = v.trim().trim_matches(['"', '\'']);
                set_var(&mut draft.group(group).3, k.trim(), v).map_err(|m| (line_no, m))?;
            }
        }
    }
    Ok(draft)
}

/// A line without its comment: `#` or `;` at its start, or ` #` after an entry.
fn strip_comment(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(at) => &line[..at],
        None => line,
    }
}

/// `[user@]host[:port]`, ranges expanded: the names and what the entry sets.
fn entry_of(entry: &str) -> std::result::Result<(Vec<String>, Vars), String> {
    let mut vars = Vars::default();
    let (user, rest) = match entry.rsplit_once('@') {
        Some((u, r)) if !u.is_empty() => (Some(u.to_string()), r),
        Some(_) => return Err(format!("`{entry}` has an empty user before `@`")),
        None => (None, entry),
    };
    vars.user = user;
    // `host:port`, but not a bare IPv6 address, whose colons are its own.
    let mut depth = 0i32;
    let outside = rest
        .chars()
        .filter(|&c| {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            }
            c == ':' && depth == 0
        })
        .count();
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if outside == 1 && !p.contains(']') => (h, Some(p)),
        _ => (rest, None),
    };
    if let Some(p) = port {
        vars.port = Some(port_of(p)?);
    }
    if host.is_empty() {
        return Err(format!("`{entry}` names no host"));
    }
    Ok((expand(host)?, vars))
}

fn port_of(text: &str) -> std::result::Result<u16, String> {
    text.trim()
        .parse::<u16>()
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| format!("`{text}` is not a port number"))
}

/// `ansible_host`, `ansible_port`, `ansible_user` (and their older `ssh_`
/// spellings); other variables belong to other tools and are left alone.
fn set_var(vars: &mut Vars, key: &str, value: &str) -> std::result::Result<(), String> {
    match key {
        "ansible_host" | "ansible_ssh_host" => vars.hostname = Some(value.to_string()),
        "ansible_port" | "ansible_ssh_port" => vars.port = Some(port_of(value)?),
        "ansible_user" | "ansible_ssh_user" => vars.user = Some(value.to_string()),
        _ => {}
    }
    Ok(())
}

/// Ansible's YAML inventory: groups with `hosts`, `children` and `vars`.
fn yaml_inventory(text: &str) -> std::result::Result<Draft, (Option<usize>, String)> {
    let top: Value = yaml::from_str(text).map_err(|e| (e.line, e.message))?;
    let top = match top {
        Value::Mapping(m) => m,
        Value::Null => Mapping::new(),
        _ => {
            return Err((
                None,
                "the top level must be a map of groups (`all:`)".into(),
            ));
        }
    };
    let mut draft = Draft::default();
    for (name, body) in &top {
        yaml_group(&mut draft, &key(name)?, body, &key(name)?)?;
    }
    Ok(draft)
}

fn key(value: &Value) -> std::result::Result<String, (Option<usize>, String)> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err((None, format!("`{value:?}` is not a name"))),
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The vars of a map (a host's, or a group's `vars`).
fn yaml_vars(map: &Mapping, at: &str) -> std::result::Result<Vars, (Option<usize>, String)> {
    let mut vars = Vars::default();
    for (k, v) in map {
        let k = key(k)?;
        if let Some(v) = scalar(v) {
            set_var(&mut vars, &k, &v).map_err(|m| (None, format!("{at}.{k}: {m}")))?;
        }
    }
    Ok(vars)
}

fn yaml_group(
    draft: &mut Draft,
    name: &str,
    body: &Value,
    at: &str,
) -> std::result::Result<(), (Option<usize>, String)> {
    draft.group(name);
    let body = match body {
        Value::Mapping(m) => m,
        Value::Null => return Ok(()),
        _ => {
            return Err((
                None,
                format!("{at}: a group must be a map of `hosts`, `children`, `vars`"),
            ));
        }
    };
    for (section, value) in body {
        let section = key(section)?;
        let here = format!("{at}.{section}");
        let map = match value {
            Value::Mapping(m) => m.clone(),
            Value::Null => Mapping::new(),
            _ => return Err((None, format!("{here}: expected a map"))),
        };
        match section.as_str() {
            "hosts" => {
                for (host, settings) in &map {
                    let entry = key(host)?;
                    let (names, mut vars) =
                        entry_of(&entry).map_err(|m| (None, format!("{here}: {m}")))?;
                    if let Value::Mapping(m) = settings {
                        let mut own = yaml_vars(m, &format!("{here}.{entry}"))?;
                        own.or(&vars);
                        vars = own;
                    }
                    for n in names {
                        draft.host(&n, vars.clone());
                        let g = draft.group(name);
                        if !g.1.contains(&n) {
                            g.1.push(n);
                        }
                    }
                }
            }
            "children" => {
                for (child, child_body) in &map {
                    let child = key(child)?;
                    let g = draft.group(name);
                    if !g.2.contains(&child) {
                        g.2.push(child.clone());
                    }
                    yaml_group(draft, &child, child_body, &format!("{here}.{child}"))?;
                }
            }
            "vars" => {
                let vars = yaml_vars(&map, &here)?;
                let g = draft.group(name);
                let mut merged = vars;
                merged.or(&g.3);
                g.3 = merged;
            }
            other => {
                return Err((
                    None,
                    format!("{at}: `{other}` is not `hosts`, `children` or `vars`"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(inv: &Inventory, name: &str) -> (Option<String>, Option<u16>, Option<String>) {
        let h = inv.host(name).unwrap_or_else(|| panic!("no {name}"));
        (h.hostname.clone(), h.port, h.user.clone())
    }

    #[test]
    fn a_plain_list_with_users_ports_and_ranges() {
        let inv = Inventory::parse_text(
            "hosts.txt",
            "# the web tier\nweb-[1:2]\ndeploy@db-1:2222\n\n10.0.0.7  # by address\nfe80::1\n",
        )
        .unwrap();
        let names: Vec<&str> = inv.names().collect();
        assert_eq!(names, ["web-1", "web-2", "db-1", "10.0.0.7", "fe80::1"]);
        assert_eq!(
            spec(&inv, "db-1"),
            (None, Some(2222), Some("deploy".into()))
        );
        assert_eq!(spec(&inv, "fe80::1"), (None, None, None));
        assert_eq!(inv.group("ungrouped").unwrap().len(), 5);
    }

    #[test]
    fn ansible_ini_groups_children_and_vars() {
        let inv = Inventory::parse_text(
            "inventory.ini",
            "[web]\nweb-[1:3] ansible_user=app\nweb-9 ansible_host=10.0.0.9 ansible_port=2201\n\n\
             [db]\ndb-1 ansible_user=postgres\n\n[prod:children]\nweb\ndb\n\n[prod:vars]\nansible_user=ops\nansible_port=22\n\
             [all:vars]\nansible_port=2022\n",
        )
        .unwrap();
        assert_eq!(
            inv.group("prod").unwrap(),
            ["web-1", "web-2", "web-3", "web-9", "db-1"]
        );
        assert_eq!(spec(&inv, "web-2"), (None, Some(22), Some("app".into())));
        assert_eq!(
            spec(&inv, "web-9"),
            (Some("10.0.0.9".into()), Some(2201), Some("ops".into()))
        );
        assert_eq!(
            spec(&inv, "db-1"),
            (None, Some(22), Some("postgres".into()))
        );
    }

    #[test]
    fn ansible_yaml_inventories() {
        let text = "all:\n  hosts:\n    bastion:\n      ansible_host: 192.0.2.1\n  children:\n    web:\n      hosts:\n        web-[1:2]:\n      vars:\n        ansible_user: app\n    db:\n      hosts:\n        db-1:\n          ansible_port: 5022\n";
        let inv = Inventory::parse_text("hosts.yml", text).unwrap();
        let names: Vec<&str> = inv.names().collect();
        assert_eq!(names, ["bastion", "web-1", "web-2", "db-1"]);
        assert_eq!(inv.group("web").unwrap(), ["web-1", "web-2"]);
        assert_eq!(inv.group("all").unwrap().len(), 4);
        assert_eq!(spec(&inv, "web-1"), (None, None, Some("app".into())));
        assert_eq!(spec(&inv, "db-1"), (None, Some(5022), None));
        assert_eq!(
            spec(&inv, "bastion"),
            (Some("192.0.2.1".into()), None, None)
        );
        // Recognised by its shape too.
        assert!(Inventory::parse_text("inventory", text).is_ok());
    }

    #[test]
    fn mistakes_name_the_file_and_line() {
        let err =
            |name: &str, text: &str| Inventory::parse_text(name, text).unwrap_err().to_string();
        assert!(err("inv", "[web]\nweb-1 ansible_port=http\n").starts_with("inv:2: "));
        assert!(err("inv", "web-[1:3\n").starts_with("inv:1: "));
        assert!(err("inv", "[web:nope]\n").contains(":nope"));
        assert!(err("inv", "user@:22\n").contains("names no host"));
        assert!(err("inv.yml", "all:\n  hosts: [a, b]\n").contains("expected a map"));
        assert!(err("inv.yml", "all:\n  hosts:\n   - : :\n  x").starts_with("inv.yml:"));
    }
}
