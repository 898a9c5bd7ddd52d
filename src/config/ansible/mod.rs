//! Ansible inventories read directly: the INI and YAML inventory formats and the JSON that
//! `ansible-inventory --list` (or a dynamic inventory script) prints. Each format fills one
//! [`AnsibleInventory`] (groups with hosts, children and vars; host vars), which
//! [`AnsibleInventory::into_environment`] maps to an [`Environment`]:
//! groups and their parents → tags, vars host over group (deeper groups over their
//! parents, as Ansible sorts them) over `all`, and `ansible_host` / `ansible_port` /
//! `ansible_user` / `ansible_become` / `ansible_connection=local` → address, port, user,
//! become, transport. Errors carry the inventory's file:line:col.

mod ini;
mod json;
mod literal;
mod ranges;
mod yaml;

pub use json::{parse_list_output, run_inventory_cmd};
pub use ranges::{HostPattern, expand_pattern};

use super::ConfigError;
use crate::model::{Environment, Host, TransportKind, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Where in the inventory a host or a variable was written (1-based; 0 = unknown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Loc {
    pub line: usize,
    pub col: usize,
}

/// A variable's value and where it was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Var {
    pub value: Value,
    pub at: Loc,
}

type Vars = BTreeMap<String, Var>;

/// One group as written: its own hosts, child groups and vars.
#[derive(Debug, Clone, Default)]
pub struct Group {
    pub hosts: Vec<String>,
    pub children: Vec<String>,
    pub vars: Vars,
    pub at: Loc,
}

/// An inventory in Ansible's own terms, before it is mapped to driftscope's.
#[derive(Debug, Clone, Default)]
pub struct AnsibleInventory {
    /// Name shown in messages (the file, or the command).
    pub source: String,
    pub groups: BTreeMap<String, Group>,
    /// Hosts in the order they first appear.
    pub hosts: Vec<String>,
    pub host_vars: HashMap<String, Vars>,
    pub host_at: HashMap<String, Loc>,
    /// What Ansible would warn about and skip (`file:line:col: warning: …`).
    pub warnings: Vec<String>,
}

/// Which Ansible format a file is in, from its name: `.yml`/`.yaml` YAML, `.json` the
/// `ansible-inventory --list` JSON, `.toml` driftscope's own, anything else Ansible INI
/// (`hosts`, `*.ini`, `*.cfg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventoryFormat {
    Toml,
    AnsibleIni,
    AnsibleYaml,
    AnsibleJson,
}

impl InventoryFormat {
    pub fn of(path: &Path) -> InventoryFormat {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("toml") => InventoryFormat::Toml,
            Some("yml" | "yaml") => InventoryFormat::AnsibleYaml,
            Some("json") => InventoryFormat::AnsibleJson,
            _ => InventoryFormat::AnsibleIni,
        }
    }
}

/// Parse an Ansible inventory file's text in `format` (not `Toml`).
pub fn parse(
    format: InventoryFormat,
    source: &str,
    text: &str,
) -> Result<AnsibleInventory, ConfigError> {
    match format {
        InventoryFormat::AnsibleYaml => yaml::parse(source, text),
        InventoryFormat::AnsibleJson => json::parse_list_output(source, text),
        _ => ini::parse(source, text),
    }
}

/// The environment name of an Ansible inventory file: its file name without extension, or
/// for the generic names Ansible layouts use (`hosts`, `inventory`, `main`) the directory
/// it sits in (`inventories/prod/hosts.yml` → `prod`).
pub fn env_name_from_path(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if matches!(stem.as_str(), "hosts" | "inventory" | "main")
        && let Some(dir) = path
            .canonicalize()
            .ok()
            .as_deref()
            .and_then(Path::parent)
            .and_then(Path::file_name)
    {
        return dir.to_string_lossy().into_owned();
    }
    stem
}

const IMPLICIT: [&str; 2] = ["all", "ungrouped"];

impl AnsibleInventory {
    pub fn new(source: &str) -> AnsibleInventory {
        let mut inv = AnsibleInventory {
            source: source.to_string(),
            ..AnsibleInventory::default()
        };
        inv.add_group("all", Loc::default());
        inv.add_group("ungrouped", Loc::default());
        inv
    }

    pub(crate) fn warn(&mut self, at: Loc, message: impl std::fmt::Display) {
        self.warnings.push(format!(
            "{}:{}:{}: warning: {message}",
            self.source, at.line, at.col
        ));
    }

    pub(crate) fn error(&self, at: Loc, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.source.clone(),
            line: at.line,
            col: at.col,
            message: message.into(),
        }
    }

    pub fn add_group(&mut self, name: &str, at: Loc) {
        self.groups
            .entry(name.to_string())
            .or_insert_with(|| Group {
                at,
                ..Group::default()
            });
    }

    pub fn add_host(&mut self, group: &str, host: &str, at: Loc) {
        self.add_group(group, at);
        if !self.host_at.contains_key(host) {
            self.hosts.push(host.to_string());
            self.host_at.insert(host.to_string(), at);
        }
        if let Some(g) = self.groups.get_mut(group)
            && !g.hosts.iter().any(|h| h == host)
        {
            g.hosts.push(host.to_string());
        }
    }

    pub fn add_child(&mut self, parent: &str, child: &str, at: Loc) {
        self.add_group(parent, at);
        self.add_group(child, at);
        if let Some(g) = self.groups.get_mut(parent)
            && !g.children.iter().any(|c| c == child)
        {
            g.children.push(child.to_string());
        }
    }

    pub fn set_group_var(&mut self, group: &str, key: &str, value: Value, at: Loc) {
        self.add_group(group, at);
        if let Some(g) = self.groups.get_mut(group) {
            g.vars.insert(key.to_string(), Var { value, at });
        }
    }

    pub fn set_host_var(&mut self, host: &str, key: &str, value: Value, at: Loc) {
        self.host_vars
            .entry(host.to_string())
            .or_default()
            .insert(key.to_string(), Var { value, at });
    }

    /// Depth of every group below `all` (the longest path, as Ansible keeps it); a cycle in
    /// `children` is an error.
    fn depths(&self) -> Result<HashMap<&str, usize>, ConfigError> {
        let mut depth: HashMap<&str, usize> = HashMap::new();
        fn visit<'a>(
            inv: &'a AnsibleInventory,
            name: &'a str,
            d: usize,
            path: &mut Vec<&'a str>,
            depth: &mut HashMap<&'a str, usize>,
        ) -> Result<(), ConfigError> {
            if path.contains(&name) {
                let at = inv.groups.get(name).map(|g| g.at).unwrap_or_default();
                return Err(inv.error(
                    at,
                    format!(
                        "group `{name}` is its own ancestor ({} → {name}): expected children without a cycle",
                        path.join(" → ")
                    ),
                ));
            }
            if depth.get(name).is_some_and(|x| *x >= d) {
                return Ok(());
            }
            depth.insert(name, d);
            path.push(name);
            if let Some(g) = inv.groups.get(name) {
                for c in &g.children {
                    visit(inv, c, d + 1, path, depth)?;
                }
            }
            path.pop();
            Ok(())
        }
        visit(self, "all", 0, &mut Vec::new(), &mut depth)?;
        Ok(depth)
    }

    /// Link what Ansible links implicitly: top-level groups under `all`, hosts in no group
    /// under `ungrouped`.
    fn complete(&mut self) {
        let has_parent: BTreeSet<String> = self
            .groups
            .values()
            .flat_map(|g| g.children.iter().cloned())
            .collect();
        let tops: Vec<String> = self
            .groups
            .keys()
            .filter(|g| g.as_str() != "all" && !has_parent.contains(*g))
            .cloned()
            .collect();
        for t in tops {
            self.add_child("all", &t, Loc::default());
        }
        let grouped: BTreeSet<String> = self
            .groups
            .iter()
            .filter(|(n, _)| n.as_str() != "all" && n.as_str() != "ungrouped")
            .flat_map(|(_, g)| g.hosts.iter().cloned())
            .collect();
        let loose: Vec<String> = self
            .hosts
            .iter()
            .filter(|h| !grouped.contains(*h))
            .cloned()
            .collect();
        for h in loose {
            let at = self.host_at.get(&h).copied().unwrap_or_default();
            self.add_host("ungrouped", &h, at);
        }
    }

    /// Map to driftscope's environment. Hosts Ansible reaches by other means than ssh or
    /// local (winrm, network_cli, …) are left out with a warning.
    pub fn into_environment(
        mut self,
        env_name: &str,
    ) -> Result<(Environment, Vec<String>), ConfigError> {
        self.complete();
        let mut warnings = std::mem::take(&mut self.warnings);
        let depths = self.depths()?;
        // Direct groups of each host, then their ancestors.
        let mut parents: HashMap<&str, Vec<&str>> = HashMap::new();
        for (name, g) in &self.groups {
            for c in &g.children {
                parents.entry(c.as_str()).or_default().push(name.as_str());
            }
        }
        let mut member_of: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for (name, g) in &self.groups {
            for h in &g.hosts {
                member_of
                    .entry(h.as_str())
                    .or_default()
                    .insert(name.as_str());
            }
        }
        // The implicit `linux` tag: every host gets it unless the inventory has a `linux`
        // group of its own (then membership says which hosts are Linux).
        let says_linux = self.groups.contains_key("linux");
        let mut hosts = Vec::new();
        for name in &self.hosts {
            let mut groups: BTreeSet<&str> = BTreeSet::new();
            let mut todo: Vec<&str> = member_of
                .get(name.as_str())
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default();
            while let Some(g) = todo.pop() {
                if groups.insert(g) {
                    todo.extend(parents.get(g).into_iter().flatten().copied());
                }
            }
            groups.insert("all");
            let mut ordered: Vec<&str> = groups.iter().copied().collect();
            let priority = |g: &str| -> i64 {
                self.groups
                    .get(g)
                    .and_then(|x| x.vars.get("ansible_group_priority"))
                    .and_then(|v| v.value.as_i64().or_else(|| v.value.as_str()?.parse().ok()))
                    .unwrap_or(1)
            };
            ordered.sort_by_key(|g| (depths.get(g).copied().unwrap_or(0), priority(g), *g));
            let mut vars: Vars = BTreeMap::new();
            for g in &ordered {
                if let Some(grp) = self.groups.get(*g) {
                    vars.extend(grp.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
            if let Some(hv) = self.host_vars.get(name) {
                vars.extend(hv.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            let at = self.host_at.get(name).copied().unwrap_or_default();
            let mut tags: Vec<String> = ordered
                .iter()
                .filter(|g| !IMPLICIT.contains(g))
                .map(|g| g.to_string())
                .collect();
            if !says_linux {
                tags.push("linux".to_string());
            }
            match self.host(name, at, &vars, tags)? {
                Some(h) => hosts.push(h),
                None => warnings.push(format!(
                    "{}:{}:{}: warning: host `{name}`: ansible_connection={} is not ssh or local; driftscope leaves it out",
                    self.source,
                    at.line,
                    at.col,
                    vars.get("ansible_connection")
                        .map(|v| plain(&v.value))
                        .unwrap_or_default()
                )),
            }
        }
        Ok((
            Environment {
                name: env_name.to_string(),
                hosts,
            },
            warnings,
        ))
    }

    /// One host from its merged vars; `None` for a connection driftscope cannot use.
    fn host(
        &self,
        name: &str,
        at: Loc,
        vars: &Vars,
        tags: Vec<String>,
    ) -> Result<Option<Host>, ConfigError> {
        let first = |keys: &[&str]| keys.iter().find_map(|k| vars.get(*k));
        let transport = match first(&["ansible_connection"]).map(|v| plain(&v.value)) {
            None => TransportKind::Ssh,
            Some(c) if c == "local" => TransportKind::Local,
            Some(c) if matches!(c.as_str(), "ssh" | "smart" | "paramiko" | "paramiko_ssh") => {
                TransportKind::Ssh
            }
            Some(_) => return Ok(None),
        };
        let address = match first(&["ansible_host", "ansible_ssh_host"]) {
            Some(v) => {
                let a = plain(&v.value);
                if a.trim().is_empty() {
                    return Err(self.error(
                        v.at,
                        format!("host `{name}`: ansible_host is empty: expected a host name or IP"),
                    ));
                }
                a
            }
            None => name.to_string(),
        };
        let port = match first(&["ansible_port", "ansible_ssh_port"]) {
            None => None,
            Some(v) => Some(
                plain(&v.value)
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| {
                        self.error(
                            v.at,
                            format!(
                                "host `{name}`: ansible_port: expected a port 1-65535, found {}",
                                v.value
                            ),
                        )
                    })?,
            ),
        };
        let user = first(&["ansible_user", "ansible_ssh_user"]).map(|v| plain(&v.value));
        let become_root = match first(&["ansible_become"]) {
            None => false,
            Some(v) => ansible_bool(&v.value).ok_or_else(|| {
                self.error(
                    v.at,
                    format!(
                        "host `{name}`: ansible_become: expected a boolean (true/false, yes/no), found {}",
                        v.value
                    ),
                )
            })?,
        };
        let _ = at;
        Ok(Some(Host {
            name: name.to_string(),
            address,
            transport,
            user,
            port,
            become_root,
            tags,
            vars: vars
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone()))
                .collect(),
            // Ansible reaches hosts over ssh or locally; salt minions come from TOML.
            salt: None,
        }))
    }
}

/// A scalar as text (strings without quotes).
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Ansible's `boolean()`: true/false, yes/no, on/off, 1/0, y/n, t/f, any case.
fn ansible_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().and_then(|i| match i {
            1 => Some(true),
            0 => Some(false),
            _ => None,
        }),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" | "y" | "t" | "1.0" => Some(true),
            "false" | "no" | "off" | "0" | "n" | "f" | "0.0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}
