//! The config file (`config.toml`): strict TOML (unknown keys rejected), every value
//! validated with the key's line:col, `~` expanded, relative paths taken from the file's
//! directory, and globs in `inventories` / `checks` expanded (a pattern that matches
//! nothing is an error, so a typo never silently empties the fleet).

use super::{Layer, parse_duration};
use crate::config::{ConfigError, SourceFile};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// A parsed config file: its values and where each key was written.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub values: Layer,
    positions: BTreeMap<&'static str, (usize, usize)>,
}

/// A string or a list of strings (`inventories = "a.toml"` is accepted for one).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// Seconds as a number, or a duration string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Seconds {
    Number(f64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    inventories: Option<Spanned<OneOrMany>>,
    inventory_cmd: Option<Spanned<OneOrMany>>,
    checks: Option<Spanned<OneOrMany>>,
    env: Option<Spanned<String>>,
    db: Option<Spanned<String>>,
    theme: Option<Spanned<String>>,
    jobs: Option<Spanned<i64>>,
    timeout: Option<Spanned<Seconds>>,
    connect_timeout: Option<Spanned<Seconds>>,
    ssh_config: Option<Spanned<String>>,
    keep_connections: Option<Spanned<Seconds>>,
}

/// `~/x` → `$HOME/x`.
pub fn expand_home(p: &str) -> PathBuf {
    if let Some(rest) = p
        .strip_prefix("~/")
        .or(if p == "~" { Some("") } else { None })
        && let Some(home) = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf())
    {
        return home.join(rest);
    }
    PathBuf::from(p)
}

/// `~`, then relative to `base` (the config file's directory), then globs.
pub(super) fn expand_pattern(p: &str, base: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    let mut path = expand_home(p);
    if let Some(base) = base
        && path.is_relative()
    {
        path = base.join(path);
    }
    let text = path.to_string_lossy().into_owned();
    if !text.contains(['*', '?', '[']) {
        return Ok(vec![path]);
    }
    let mut found: Vec<PathBuf> = glob::glob(&text)
        .map_err(|e| format!("bad pattern {p:?}: {e}"))?
        .filter_map(Result::ok)
        .collect();
    found.sort();
    if found.is_empty() {
        return Err(format!("{p:?} matches no file"));
    }
    Ok(found)
}

pub(super) fn parse_jobs(v: Option<i64>) -> Result<u32, String> {
    match v {
        Some(n) if (1..=4096).contains(&n) => Ok(n as u32),
        Some(n) => Err(format!(
            "expected a number of hosts between 1 and 4096, found {n}"
        )),
        None => Err("expected a number of hosts between 1 and 4096".into()),
    }
}

fn seconds(v: &Seconds, max: Option<f64>) -> Result<Duration, String> {
    let d = match v {
        Seconds::Number(n) if n.is_finite() && *n >= 0.0 => Duration::from_secs_f64(*n),
        Seconds::Number(n) => {
            return Err(format!("expected a positive number of seconds, found {n}"));
        }
        Seconds::Text(t) => parse_duration(t)?,
    };
    if let Some(max) = max
        && (d.is_zero() || d.as_secs_f64() > max)
    {
        return Err(format!("expected more than 0 and at most {max} seconds"));
    }
    Ok(d)
}

impl ConfigFile {
    /// Line and column of `key` in the file (1, 1 when unknown).
    pub fn position(&self, key: &str) -> (usize, usize) {
        self.positions.get(key).copied().unwrap_or((1, 1))
    }

    /// Read and validate the file at `path`.
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let file = SourceFile::read(path)?;
        Self::parse(path, &file)
    }

    /// Validate `text` as the config file at `path`.
    pub fn from_text(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
        let file = SourceFile {
            name: path.display().to_string(),
            text: text.to_string(),
        };
        Self::parse(path, &file)
    }

    fn parse(path: &Path, file: &SourceFile) -> Result<ConfigFile, ConfigError> {
        let raw: RawConfig = file.parse()?;
        let base = path.parent().map(Path::to_path_buf);
        let mut positions = BTreeMap::new();
        let mut values = Layer::default();
        let mut mark = |key: &'static str, span: std::ops::Range<usize>| {
            positions.insert(key, file.line_col(span.start));
        };
        let paths = |v: Spanned<OneOrMany>, key: &str| -> Result<Vec<PathBuf>, ConfigError> {
            let span = v.span();
            let mut out = Vec::new();
            for p in v.into_inner().into_vec() {
                out.extend(
                    expand_pattern(&p, base.as_deref())
                        .map_err(|e| file.error(span.clone(), format!("{key}: {e}")))?,
                );
            }
            Ok(out)
        };
        let one_path = |p: &str| {
            let path = expand_home(p);
            match &base {
                Some(b) if path.is_relative() => b.join(path),
                _ => path,
            }
        };
        if let Some(v) = raw.inventories {
            mark("inventories", v.span());
            values.inventories = Some(paths(v, "inventories")?);
        }
        if let Some(v) = raw.inventory_cmd {
            mark("inventory_cmd", v.span());
            values.inventory_cmds = Some(v.into_inner().into_vec());
        }
        if let Some(v) = raw.checks {
            mark("checks", v.span());
            values.checks = Some(paths(v, "checks")?);
        }
        if let Some(v) = raw.env {
            if v.get_ref().trim().is_empty() {
                return Err(file.error(
                    v.span(),
                    "env is empty: expected an environment name like \"prod\"",
                ));
            }
            mark("env", v.span());
            values.env = Some(v.into_inner());
        }
        if let Some(v) = raw.db {
            mark("db", v.span());
            values.db = Some(one_path(v.get_ref()));
        }
        if let Some(v) = raw.theme {
            if v.get_ref().trim().is_empty() {
                return Err(file.error(v.span(), "theme is empty: expected a theme name (default, light, high-contrast) or a path"));
            }
            mark("theme", v.span());
            values.theme = Some(v.into_inner());
        }
        if let Some(v) = raw.jobs {
            let n = parse_jobs(Some(*v.get_ref()))
                .map_err(|e| file.error(v.span(), format!("jobs: {e}")))?;
            mark("jobs", v.span());
            values.jobs = Some(n);
        }
        for (key, v) in [
            ("timeout", raw.timeout),
            ("connect_timeout", raw.connect_timeout),
        ] {
            if let Some(v) = v {
                let d = seconds(v.get_ref(), Some(86_400.0))
                    .map_err(|e| file.error(v.span(), format!("{key}: {e}")))?;
                mark(key, v.span());
                if key == "timeout" {
                    values.timeout = Some(d);
                } else {
                    values.connect_timeout = Some(d);
                }
            }
        }
        if let Some(v) = raw.ssh_config {
            mark("ssh_config", v.span());
            values.ssh_config = Some(one_path(v.get_ref()));
        }
        if let Some(v) = raw.keep_connections {
            let d = match v.get_ref() {
                Seconds::Text(t) if t.trim().eq_ignore_ascii_case("off") => Ok(Duration::ZERO),
                Seconds::Number(n) if *n == 0.0 => Ok(Duration::ZERO),
                other => seconds(other, Some(86_400.0)),
            }
            .map_err(|e| file.error(v.span(), format!("keep_connections: {e} (or \"off\")")))?;
            mark("keep_connections", v.span());
            values.keep_connections = Some(d);
        }
        Ok(ConfigFile {
            path: path.to_path_buf(),
            values,
            positions,
        })
    }
}
