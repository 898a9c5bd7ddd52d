//! Loading inventory and check files (TOML) with file:line:col errors, and planning:
//! `for_each` expansion, `{var}` templating, target selection by tags.
//!
//! API contract used by the CLI and the TUI (the TUI plans narrow re-checks with `plan`).
//! Sources: `--inventory`/`--checks` when given, otherwise the embedded defaults
//! (inventory/local.toml = this machine, checks/*.toml = the shipped checks). Loading
//! validates everything a run could trip over, including a dry expansion of every check on
//! every targeted host, so `plan` of a loaded configuration only fails on a bad selection.

pub mod ansible;
mod embedded;
mod expand;
mod inventory_sources;
mod raw;
pub mod settings;
mod template;
mod untargeted;

pub use embedded::{EMBEDDED_CHECKS, EMBEDDED_INVENTORY};
pub use expand::{ExpandError, Field, expand, matrix_rows};
pub use inventory_sources::{load_environments, missing_tag_hint};
pub use template::{placeholders, value_text};

use crate::model::{
    Check, Environment, Host, HostPlan, ModuleKind, SaltMaster, SaltTarget, TransportKind, Value,
};
use crate::probe::module;
use raw::{RawCheck, RawCheckFile, RawInventory};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A configuration error: `file:line:col: message` (exit code 2). `line == 0` means the
/// error concerns a whole file or a command-line selection and prints as `file: message`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.col, self.message
            )
        }
    }
}

impl ConfigError {
    fn whole(file: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.into(),
            line: 0,
            col: 0,
            message: message.into(),
        }
    }
}

/// Where to load from. Empty = the embedded default (this machine / shipped checks).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Inventory files: driftscope TOML, or Ansible INI / YAML / `--list` JSON by extension.
    pub inventories: Vec<PathBuf>,
    /// Commands printing Ansible `--list` JSON (`ansible-inventory -i … --list`).
    pub inventory_cmds: Vec<String>,
    /// Check files or directories of them.
    pub checks: Vec<PathBuf>,
    /// The chosen environment: names an Ansible inventory when it is the only one.
    pub env: Option<String>,
}

/// What a run is narrowed to. Empty lists = everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub environment: Option<String>,
    pub hosts: Vec<String>,
    pub categories: Vec<String>,
    pub checks: Vec<String>,
}

impl Selection {
    /// The run scope this selection stands for; `environment` fills in when the selection
    /// names none (a single loaded environment).
    pub fn scope(&self, environment: Option<&str>) -> crate::model::Scope {
        crate::model::Scope {
            environment: self
                .environment
                .clone()
                .or_else(|| environment.map(str::to_string))
                .unwrap_or_default(),
            hosts: self.hosts.clone(),
            categories: self.categories.clone(),
            checks: self.checks.clone(),
            inventories: Vec::new(),
        }
    }
}

/// Validated inventory + checks.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub environments: Vec<Environment>,
    pub checks: Vec<Check>,
    /// Stable hash of the check set (same files → same hash).
    pub checkset_hash: String,
    /// Non-fatal findings (e.g. a target tag no host has), each with file:line:col.
    pub warnings: Vec<String>,
    /// Per environment name, the inventory it came from and its SHA-256 (recorded with
    /// every run).
    pub inventory_files: inventory_sources::InventoryDigests,
}

impl Loaded {
    /// The inventory source(s) environment `env` came from (for a run's
    /// [`crate::model::Scope`]).
    pub fn inventory_files_of(&self, env: &str) -> Vec<crate::model::SourceDigest> {
        self.inventory_files
            .iter()
            .filter(|(e, _)| e == env)
            .map(|(_, d)| d.clone())
            .collect()
    }
}

/// One TOML file's name (as shown in messages) and text.
struct SourceFile {
    name: String,
    text: String,
}

impl SourceFile {
    fn read(path: &Path) -> Result<SourceFile, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::whole(&name, format!("cannot read: {e}")))?;
        Ok(SourceFile { name, text })
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before.get(line_start..).unwrap_or("").chars().count() + 1;
        (line, col)
    }

    fn error(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let (line, col) = self.line_col(span.start);
        ConfigError {
            file: self.name.clone(),
            line,
            col,
            message: message.into(),
        }
    }

    fn location(&self, span: Range<usize>) -> String {
        let (line, col) = self.line_col(span.start);
        format!("{}:{line}:{col}", self.name)
    }

    fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::from_str(&self.text).map_err(|e| {
            let message = e.message().trim().to_string();
            match e.span() {
                Some(span) => self.error(span, message),
                None => ConfigError::whole(&self.name, message),
            }
        })
    }
}

/// Spans of one check's parts, kept while loading so dry-run errors point at the field.
struct CheckSpans {
    file: usize,
    whole: Range<usize>,
    title: Range<usize>,
    probe: Range<usize>,
    expect: BTreeMap<String, Range<usize>>,
    for_each: BTreeMap<String, Range<usize>>,
    tags: Option<Range<usize>>,
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a table".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::Null => "nothing".into(),
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

impl Loaded {
    /// Load and validate everything.
    pub fn load(sources: &Sources) -> Result<Loaded, ConfigError> {
        let (environments, inventory_warnings, inventory_files) =
            inventory_sources::load_environments_with_digests(sources)?;
        let check_files = if sources.checks.is_empty() {
            EMBEDDED_CHECKS
                .iter()
                .map(|(name, text)| SourceFile {
                    name: name.to_string(),
                    text: text.to_string(),
                })
                .collect()
        } else {
            let mut files = Vec::new();
            for dir in &sources.checks {
                files.extend(read_check_dir(dir)?);
            }
            files
        };
        let mut loaded = Self::load_checks(environments, check_files, sources.checks.is_empty())?;
        loaded.warnings.splice(0..0, inventory_warnings);
        loaded.inventory_files = inventory_files;
        Ok(loaded)
    }

    fn load_checks(
        environments: Vec<Environment>,
        check_files: Vec<SourceFile>,
        embedded_library: bool,
    ) -> Result<Loaded, ConfigError> {
        let mut checks = Vec::new();
        let mut spans = Vec::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut hasher = Sha256::new();
        for (fi, file) in check_files.iter().enumerate() {
            let base = Path::new(&file.name)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.name.clone());
            hasher.update(base.as_bytes());
            hasher.update([0u8]);
            hasher.update(file.text.as_bytes());
            hasher.update([0u8]);
            let raw: RawCheckFile = file.parse()?;
            if raw.category.trim().is_empty() {
                return Err(ConfigError::whole(
                    &file.name,
                    "`category` is empty: expected a category name like \"ssh\"",
                ));
            }
            for rc in raw.check {
                let (check, sp) = build_check(file, fi, &raw.category, raw.kind, rc)?;
                if let Some(first) = seen.get(&check.id) {
                    return Err(file.error(
                        sp.whole.clone(),
                        format!(
                            "duplicate check id `{}`: first defined at {first}; expected every id to be unique",
                            check.id
                        ),
                    ));
                }
                seen.insert(check.id.clone(), check.origin.clone());
                checks.push(check);
                spans.push(sp);
            }
        }
        let checkset_hash = format!("{:x}", hasher.finalize());

        // Dry run: every check on every host it targets, so template, subject and matcher
        // errors surface now, at the line that causes them.
        let mut untargeted_checks = Vec::new();
        for (check, sp) in checks.iter().zip(&spans) {
            let file = &check_files[sp.file];
            let mut targeted = 0usize;
            for env in &environments {
                for host in env.hosts.iter().filter(|h| targets(check, h)) {
                    targeted += 1;
                    if let Err(e) = expand(check, &env.name, host) {
                        let span = match &e.field {
                            expand::Field::Title => sp.title.clone(),
                            expand::Field::Probe => sp.probe.clone(),
                            expand::Field::Expect(a) => {
                                sp.expect.get(a).cloned().unwrap_or(sp.whole.clone())
                            }
                            expand::Field::ForEach(n) => {
                                sp.for_each.get(n).cloned().unwrap_or(sp.whole.clone())
                            }
                        };
                        return Err(
                            file.error(span, format!("check `{}`: {}", check.id, e.message))
                        );
                    }
                }
            }
            if targeted == 0 && !check.target_tags.is_empty() {
                let missing: Vec<String> = check
                    .target_tags
                    .iter()
                    .filter(|t| {
                        !environments
                            .iter()
                            .any(|e| e.hosts.iter().any(|h| h.has_tag(t)))
                    })
                    .cloned()
                    .collect();
                let only_together = missing.is_empty();
                untargeted_checks.push(untargeted::Untargeted {
                    location: file.location(sp.tags.clone().unwrap_or(sp.whole.clone())),
                    check_id: check.id.clone(),
                    tags: if only_together {
                        check.target_tags.clone()
                    } else {
                        missing
                    },
                    only_together,
                });
            }
        }
        let warnings = untargeted::warnings(untargeted_checks, embedded_library);
        Ok(Loaded {
            environments,
            checks,
            checkset_hash,
            warnings,
            inventory_files: Vec::new(),
        })
    }

    /// Expand checks into per-host executions for the selection. Hosts with nothing to
    /// run are left out.
    pub fn plan(&self, selection: &Selection) -> Result<Vec<HostPlan>, ConfigError> {
        Ok(self.plan_lazily(selection)?.collect())
    }

    /// Validate the selection and count executions now; expand each host when iterated.
    pub fn plan_lazily(&self, selection: &Selection) -> Result<PlannedHosts, ConfigError> {
        let envs: Vec<&Environment> = match &selection.environment {
            Some(name) => match self.environments.iter().find(|e| &e.name == name) {
                Some(e) => vec![e],
                None => {
                    return Err(ConfigError::whole(
                        "--env",
                        format!(
                            "unknown environment `{name}`: expected one of {}",
                            self.environments
                                .iter()
                                .map(|e| e.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            },
            None => self.environments.iter().collect(),
        };
        for h in &selection.hosts {
            if !envs.iter().any(|e| e.hosts.iter().any(|x| &x.name == h)) {
                return Err(ConfigError::whole(
                    "--host",
                    format!(
                        "unknown host `{h}`: expected one of {}",
                        list_some(
                            envs.iter()
                                .flat_map(|e| e.hosts.iter().map(|x| x.name.as_str()))
                        )
                    ),
                ));
            }
        }
        for c in &selection.categories {
            if !self.checks.iter().any(|x| &x.category == c) {
                let cats: BTreeSet<&str> =
                    self.checks.iter().map(|x| x.category.as_str()).collect();
                return Err(ConfigError::whole(
                    "--category",
                    format!(
                        "unknown category `{c}`: expected one of {}",
                        list_some(cats.into_iter())
                    ),
                ));
            }
        }
        for c in &selection.checks {
            if !self.checks.iter().any(|x| &x.id == c) {
                return Err(ConfigError::whole(
                    "--check",
                    format!(
                        "unknown check id `{c}`: expected one of {}",
                        list_some(self.checks.iter().map(|x| x.id.as_str()))
                    ),
                ));
            }
        }
        let chosen: Vec<Check> = self
            .checks
            .iter()
            .filter(|c| {
                selection.categories.is_empty() || selection.categories.contains(&c.category)
            })
            .filter(|c| selection.checks.is_empty() || selection.checks.contains(&c.id))
            .cloned()
            .collect();
        let mut hosts = Vec::new();
        let mut execution_count = 0;
        for env in envs {
            for host in &env.hosts {
                if !selection.hosts.is_empty() && !selection.hosts.contains(&host.name) {
                    continue;
                }
                // Count (and validate) without keeping the executions.
                let mut n = 0;
                for check in chosen.iter().filter(|c| targets(c, host)) {
                    n += expand(check, &env.name, host)
                        .map_err(|e| expand_error(check, e))?
                        .len();
                }
                if n > 0 {
                    execution_count += n;
                    hosts.push((env.name.clone(), host.clone(), n));
                }
            }
        }
        Ok(PlannedHosts {
            checks: chosen,
            hosts: hosts.into(),
            execution_count,
        })
    }
}

fn expand_error(check: &Check, e: ExpandError) -> ConfigError {
    ConfigError {
        file: check.origin.clone(),
        line: 0,
        col: 0,
        message: format!("check `{}`: {}", check.id, e.message),
    }
}

/// A validated plan that expands each host's executions only when asked for the next host,
/// so a run over a large fleet holds the executions of the hosts in flight, not all of them.
/// Iterating yields the same `HostPlan`s, in the same order, as [`Loaded::plan`].
#[derive(Debug, Clone)]
pub struct PlannedHosts {
    checks: Vec<Check>,
    /// (environment, host, execution count), hosts with nothing to run left out.
    hosts: std::collections::VecDeque<(String, Host, usize)>,
    /// Executions over all hosts.
    pub execution_count: usize,
}

impl PlannedHosts {
    /// `(host name, executions)` of every host still to come, in order.
    pub fn host_counts(&self) -> impl Iterator<Item = (&str, usize)> {
        self.hosts.iter().map(|(_, h, n)| (h.name.as_str(), *n))
    }
    pub fn host_count(&self) -> usize {
        self.hosts.len()
    }
}

impl Iterator for PlannedHosts {
    type Item = HostPlan;
    fn next(&mut self) -> Option<HostPlan> {
        let (environment, host, n) = self.hosts.pop_front()?;
        let mut executions = Vec::with_capacity(n);
        for check in self.checks.iter().filter(|c| targets(c, &host)) {
            // Validated when the plan was made; an error here cannot happen, and if it
            // did, the check is left out rather than the run aborted.
            if let Ok(ex) = expand(check, &environment, &host) {
                executions.extend(ex);
            }
        }
        Some(HostPlan {
            environment,
            host,
            executions,
        })
    }
}

/// `(name shown in messages, text)` of every check file `sources` names (the embedded library
/// without `--checks`), in the order loading reads them: what `checks --lint` looks at as
/// written.
pub fn check_file_texts(sources: &Sources) -> Result<Vec<(String, String)>, ConfigError> {
    if sources.checks.is_empty() {
        return Ok(EMBEDDED_CHECKS
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect());
    }
    let mut files = Vec::new();
    for dir in &sources.checks {
        files.extend(read_check_dir(dir)?);
    }
    Ok(files.into_iter().map(|f| (f.name, f.text)).collect())
}

/// Load and validate only the inventories (the embedded one when none is given).
pub fn load_inventories(sources: &Sources) -> Result<Vec<Environment>, ConfigError> {
    Ok(load_environments(sources)?.0)
}

/// Does the check target this host (host carries all target tags)?
pub fn targets(check: &Check, host: &Host) -> bool {
    check.target_tags.iter().all(|t| host.has_tag(t))
}

fn list_some<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let all: Vec<&str> = items.collect();
    if all.is_empty() {
        return "nothing (none loaded)".into();
    }
    let mut s = all.iter().take(12).copied().collect::<Vec<_>>().join(", ");
    if all.len() > 12 {
        s.push_str(&format!(", … ({} in all)", all.len()));
    }
    s
}

fn read_check_dir(dir: &Path) -> Result<Vec<SourceFile>, ConfigError> {
    if dir.is_file() {
        return Ok(vec![SourceFile::read(dir)?]);
    }
    let name = dir.display().to_string();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ConfigError::whole(&name, format!("cannot read checks directory: {e}")))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(ConfigError::whole(
            &name,
            "no check files: expected at least one *.toml file in this directory",
        ));
    }
    paths.iter().map(|p| SourceFile::read(p)).collect()
}

fn this_hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

fn load_inventory(file: &SourceFile) -> Result<(Environment, String), ConfigError> {
    let raw: RawInventory = file.parse()?;
    let env_name = raw.environment.name.get_ref().trim().to_string();
    if env_name.is_empty() {
        return Err(file.error(
            raw.environment.name.span(),
            "environment name is empty: expected a name like \"prod\"",
        ));
    }
    let d = raw.defaults;
    let salt_master = salt_master(file, d.salt.as_ref())?;
    let mut hosts: Vec<Host> = Vec::new();
    for rh in raw.host {
        let span = rh.span();
        let h = rh.into_inner();
        let mut name = h.name.get_ref().trim().to_string();
        if name == "{hostname}" {
            name = this_hostname();
        }
        if name.is_empty() {
            return Err(file.error(h.name.span(), "host name is empty: expected e.g. \"db-01\""));
        }
        if hosts.iter().any(|x| x.name == name) {
            return Err(file.error(
                h.name.span(),
                format!("duplicate host `{name}` in environment `{env_name}`: expected unique host names"),
            ));
        }
        let mut tags = d.tags.clone();
        for t in h.tags {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let mut vars = d.vars.clone();
        vars.extend(h.vars);
        let transport = h.transport.or(d.transport).unwrap_or(TransportKind::Ssh);
        let address = match h.address {
            Some(a) if a == "{hostname}" => this_hostname(),
            Some(a) if !a.trim().is_empty() => a,
            Some(_) => {
                return Err(file.error(
                    span,
                    "host address is empty: expected a host name or IP, or leave it out",
                ));
            }
            None => name.clone(),
        };
        let become_root = h.become_root.or(d.become_root).unwrap_or(false);
        let salt = match (transport, h.minion) {
            (TransportKind::Salt, _) if become_root => {
                return Err(file.error(
                    span,
                    format!("host `{name}`: become = true does not apply to transport = \"salt\" (minions run their jobs as root): expected become = false or no become for this host"),
                ));
            }
            (TransportKind::Salt, minion) => {
                let minion = match minion {
                    Some(m) if m.get_ref().trim().is_empty() => {
                        return Err(file.error(
                            m.span(),
                            "minion id is empty: expected the minion's id, or leave it out (default: the host name)",
                        ));
                    }
                    Some(m)
                        if m.get_ref()
                            .contains(|c: char| c == ',' || c.is_whitespace()) =>
                    {
                        return Err(file.error(
                            m.span(),
                            format!("minion id {:?} has a comma or whitespace: expected a Salt minion id such as \"web-01.prod\"", m.get_ref()),
                        ));
                    }
                    Some(m) => m.into_inner(),
                    None if name.contains(|c: char| c == ',' || c.is_whitespace()) => {
                        return Err(file.error(
                            h.name.span(),
                            format!("host `{name}` cannot be a minion id (comma or whitespace): expected minion = \"…\""),
                        ));
                    }
                    None => name.clone(),
                };
                Some(SaltTarget {
                    minion,
                    master: salt_master.clone(),
                })
            }
            (_, Some(m)) => {
                return Err(file.error(
                    m.span(),
                    format!("host `{name}`: `minion` applies to transport = \"salt\" only, this host uses {}", transport.as_str()),
                ));
            }
            (_, None) => None,
        };
        hosts.push(Host {
            name,
            address,
            transport,
            user: h.user.or(d.user.clone()),
            port: h.port.or(d.port),
            become_root,
            tags,
            vars,
            salt,
        });
    }
    Ok((
        Environment {
            name: env_name,
            hosts,
        },
        file.name.clone(),
    ))
}

/// The master of an inventory's salt hosts: `[defaults] salt = { … }` over the defaults.
fn salt_master(
    file: &SourceFile,
    raw: Option<&Spanned<raw::RawSalt>>,
) -> Result<SaltMaster, ConfigError> {
    let mut master = SaltMaster::default();
    let Some(raw) = raw else {
        return Ok(master);
    };
    let span = raw.span();
    let raw = raw.get_ref();
    if let Some(dir) = &raw.config_dir {
        if dir.trim().is_empty() {
            return Err(file.error(
                span,
                "salt.config_dir is empty: expected the master's config directory, e.g. \"/etc/salt\"",
            ));
        }
        master.config_dir = dir.into();
    }
    if let Some(t) = raw.timeout {
        if t == 0 || t > 86_400 {
            return Err(file.error(
                span,
                format!("salt.timeout is {t}: expected seconds between 1 and 86400"),
            ));
        }
        master.timeout_secs = t;
    }
    if let Some(bin) = &raw.bin {
        if bin.trim().is_empty() {
            return Err(file.error(
                span,
                "salt.bin is empty: expected the salt executable, e.g. \"salt\" or a path",
            ));
        }
        master.bin = bin.clone();
    }
    Ok(master)
}

fn build_check(
    file: &SourceFile,
    file_index: usize,
    category: &str,
    file_kind: crate::model::CheckKind,
    rc: Spanned<RawCheck>,
) -> Result<(Check, CheckSpans), ConfigError> {
    let whole = rc.span();
    let rc = rc.into_inner();
    let id = rc.id.get_ref().clone();
    if !valid_id(&id) {
        return Err(file.error(
            rc.id.span(),
            format!("bad check id {id:?}: expected letters, digits, `.`, `-` or `_`, like \"ssh.root-login\""),
        ));
    }
    let probe_span = rc.probe.span();
    let probe = rc.probe.into_inner();
    if probe.len() != 1 {
        return Err(file.error(
            probe_span,
            format!(
                "check `{id}`: probe names exactly one module, found {}; expected e.g. probe = {{ file = \"/etc/passwd\" }}",
                probe.len()
            ),
        ));
    }
    let Some((module_name, subject_v)) = probe.into_iter().next() else {
        return Err(file.error(probe_span, format!("check `{id}`: probe is empty")));
    };
    let Some(kind) = ModuleKind::from_name(&module_name) else {
        return Err(file.error(
            probe_span,
            format!(
                "check `{id}`: unknown module `{module_name}`: expected one of {}",
                ModuleKind::ALL.map(|m| m.as_str()).join(", ")
            ),
        ));
    };
    let subject_span = subject_v.span();
    let subject = match subject_v.into_inner() {
        Value::String(s) if !s.is_empty() => s,
        Value::Number(n) if n.is_u64() => n.to_string(),
        Value::Object(map)
            if kind == ModuleKind::Process
                && map.len() == 1
                && map.get("args").is_some_and(Value::is_string) =>
        {
            format!(
                "args:{}",
                map.get("args").and_then(Value::as_str).unwrap_or("")
            )
        }
        other => {
            let hint = if kind == ModuleKind::Process {
                "a process name or { args = \"regex\" }"
            } else {
                "a non-empty string"
            };
            return Err(file.error(
                subject_span,
                format!(
                    "check `{id}`: {kind} subject: expected {hint}, found {}",
                    describe_value(&other)
                ),
            ));
        }
    };
    let m = module(kind);
    let mut expect = BTreeMap::new();
    let mut expect_spans = BTreeMap::new();
    for (attr, v) in rc.expect {
        let span = v.span();
        if !m.attributes().contains(&attr.as_str()) {
            return Err(file.error(
                span,
                format!(
                    "check `{id}`: unknown attribute `{attr}` for module {kind}: expected one of {}",
                    m.attributes().join(", ")
                ),
            ));
        }
        let v = v.into_inner();
        // Matchers without placeholders are checked now; templated ones in the dry run.
        if !value_has_placeholder(&v) {
            if let Err(e) = crate::model::Matcher::parse(&v) {
                return Err(
                    file.error(span, format!("check `{id}`: bad matcher for `{attr}`: {e}"))
                );
            }
            if let Err(e) = m.validate_expect(&attr, &v) {
                return Err(file.error(
                    span,
                    format!("check `{id}`: bad expectation for `{attr}`: {e}"),
                ));
            }
        }
        expect_spans.insert(attr.clone(), span);
        expect.insert(attr, v);
    }
    if expect.is_empty() && m.requires_expect() {
        return Err(file.error(
            whole.clone(),
            format!(
                "check `{id}`: module {kind} has no default: expected `expect = {{ … }}` naming one of {}",
                m.attributes().join(", ")
            ),
        ));
    }
    let mut for_each = BTreeMap::new();
    let mut for_each_spans = BTreeMap::new();
    for (name, v) in rc.for_each {
        let span = v.span();
        let values = match v.into_inner() {
            Value::Array(items) => items,
            Value::String(s) if s.starts_with("{vars.") && s.ends_with('}') => {
                vec![Value::String(s)]
            }
            other => {
                return Err(file.error(
                    span,
                    format!(
                        "check `{id}`: for_each `{name}`: expected a list of values or \"{{vars.KEY}}\" naming a list var, found {}",
                        describe_value(&other)
                    ),
                ));
            }
        };
        if name == "host" || name == "env" || name == "vars" {
            return Err(file.error(
                span,
                format!("check `{id}`: for_each name `{name}` is reserved: expected another name"),
            ));
        }
        for_each_spans.insert(name.clone(), span);
        for_each.insert(name, values);
    }
    // Placeholders that can never resolve (not a matrix name, not vars.*, not a builtin).
    let mut templated: Vec<(Range<usize>, String)> = vec![
        (rc.title.span(), rc.title.get_ref().clone()),
        (subject_span.clone(), subject.clone()),
    ];
    for (attr, v) in &expect {
        if let Some(span) = expect_spans.get(attr) {
            collect_strings(v, &mut |s| templated.push((span.clone(), s.to_string())));
        }
    }
    for (span, s) in &templated {
        for p in template::placeholders(s) {
            if p.starts_with("vars.") || p == "host" || p == "env" || for_each.contains_key(&p) {
                continue;
            }
            let names: Vec<&str> = for_each.keys().map(String::as_str).collect();
            return Err(file.error(
                span.clone(),
                format!(
                    "check `{id}`: `{{{p}}}` is not defined: expected a for_each name{}, `{{vars.KEY}}`, `{{host}}` or `{{env}}`",
                    if names.is_empty() {
                        " (this check has no for_each)".to_string()
                    } else {
                        format!(" ({})", names.join(", "))
                    }
                ),
            ));
        }
    }
    let timeout = match rc.timeout {
        None => None,
        Some(t) => {
            let (span, secs) = (t.span(), *t.get_ref());
            if kind != ModuleKind::Command {
                return Err(file.error(
                    span,
                    format!("check `{id}`: `timeout` applies to command checks only, this one probes {kind}"),
                ));
            }
            if !(secs > 0.0 && secs <= 86_400.0) {
                return Err(file.error(
                    span,
                    format!("check `{id}`: timeout {secs}: expected seconds between 0 and 86400, e.g. timeout = 5"),
                ));
            }
            Some(std::time::Duration::from_secs_f64(secs))
        }
    };
    let (target_tags, tags_span) = match rc.targets.tags {
        Some(t) => {
            let span = t.span();
            (t.into_inner(), Some(span))
        }
        None => (Vec::new(), None),
    };
    let check = Check {
        id,
        title: rc.title.get_ref().clone(),
        category: category.to_string(),
        kind: rc.kind.unwrap_or(file_kind),
        severity: rc.severity,
        target_tags,
        for_each,
        module: kind,
        subject,
        expect,
        sop: rc.sop,
        timeout,
        secret: rc.secret,
        origin: file.location(whole.clone()),
    };
    let spans = CheckSpans {
        file: file_index,
        whole,
        title: rc.title.span(),
        probe: subject_span,
        expect: expect_spans,
        for_each: for_each_spans,
        tags: tags_span,
    };
    Ok((check, spans))
}

fn collect_strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, f)),
        Value::Object(m) => m.values().for_each(|x| collect_strings(x, f)),
        _ => {}
    }
}

/// A placeholder or a `{{`/`}}` escape anywhere in the value: it is checked once rendered.
fn value_has_placeholder(v: &Value) -> bool {
    let mut found = false;
    collect_strings(v, &mut |s| found |= template::is_template(s));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_load() {
        let l = Loaded::load(&Sources::default()).unwrap();
        assert_eq!(l.environments.len(), 1);
        assert_eq!(l.environments[0].name, "local");
        assert_eq!(l.environments[0].hosts[0].transport, TransportKind::Local);
        assert!(!l.checks.is_empty());
        assert_eq!(l.checkset_hash.len(), 64);
        let plans = l.plan(&Selection::default()).unwrap();
        assert_eq!(plans.len(), 1);
    }
}
