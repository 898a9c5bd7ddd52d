//! Loading inventory and check files (TOML) with file:line:col errors, and planning:
//! `for_each` expansion, `{var}` templating, target selection by tags.
//!
//! API contract used by the CLI and the TUI (the TUI plans narrow re-checks with `plan`).
//! Sources: `--inventory`/`--checks` when given, otherwise the embedded defaults
//! (inventory/local.toml = this machine, checks/*.toml = the shipped checks). Loading
//! validates everything a run could trip over, including a dry expansion of every check on
//! every targeted host, so `plan` of a loaded configuration only fails on a bad selection.

pub mod ansible;
mod check_build;
mod embedded;
mod expand;
mod inventory_file;
mod inventory_sources;
mod plan;
mod raw;
pub mod settings;
mod template;
mod untargeted;

pub use embedded::{EMBEDDED_CHECKS, EMBEDDED_INVENTORY};
pub use expand::{ExpandError, Field, expand, matrix_rows};
pub use inventory_sources::{load_environments, missing_tag_hint};
pub use plan::PlannedHosts;
pub use template::{placeholders, value_text};

use check_build::build_check;
use inventory_file::load_inventory;

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

/// `(check id, category)` of every check in the check files `sources` names, read without
/// validating or expanding anything: for shell completion, which must answer in milliseconds
/// (a full [`Loaded::load`] dry-runs every check on every host). Files that do not parse
/// contribute nothing.
pub fn check_ids_and_categories(sources: &Sources) -> Result<Vec<(String, String)>, ConfigError> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: String,
    }
    #[derive(serde::Deserialize)]
    struct FileIds {
        category: String,
        #[serde(default)]
        check: Vec<IdOnly>,
    }
    Ok(check_file_texts(sources)?
        .into_iter()
        .filter_map(|(_, text)| toml::from_str::<FileIds>(&text).ok())
        .flat_map(|f| {
            let category = f.category;
            f.check.into_iter().map(move |c| (c.id, category.clone()))
        })
        .collect())
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
