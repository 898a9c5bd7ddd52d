//! The settings of one invocation and where each came from: command-line flags over
//! `DRIFTSCOPE_*` environment variables over the config file
//! (`$XDG_CONFIG_HOME/driftscope/config.toml`, `--config`, `$DRIFTSCOPE_CONFIG`) over the
//! embedded defaults. `driftscope config` prints [`Settings::rows`].
//!
//! Pure: the caller passes the flags, a function reading the environment and the config
//! file's text; nothing here reads the process environment itself.

mod duration;
mod file;

pub use duration::{format_duration, parse_duration};
pub use file::{ConfigFile, expand_home};

use super::ConfigError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag, e.g. `--jobs`.
    Flag(&'static str),
    /// An environment variable, e.g. `DRIFTSCOPE_JOBS`.
    Env(&'static str),
    /// The config file, at the key's line and column.
    File {
        path: PathBuf,
        line: usize,
        col: usize,
    },
    /// Built into driftscope.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "flag {flag}"),
            Origin::Env(var) => write!(f, "env ${var}"),
            Origin::File { path, line, col } => write!(f, "file {}:{line}:{col}", path.display()),
            Origin::Default => f.write_str("default"),
        }
    }
}

/// A value and its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

/// The values one source (flags, environment or file) gives; `None` = not given there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layer {
    pub inventories: Option<Vec<PathBuf>>,
    pub inventory_cmds: Option<Vec<String>>,
    pub checks: Option<Vec<PathBuf>>,
    pub env: Option<String>,
    pub db: Option<PathBuf>,
    pub theme: Option<String>,
    pub jobs: Option<u32>,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub ssh_config: Option<PathBuf>,
    /// `Duration::ZERO` = off (a flag's `off` overrides the file's duration).
    pub keep_connections: Option<Duration>,
}

/// One setting's key in the config file, its flag and its environment variable.
pub struct Key {
    pub name: &'static str,
    pub flag: &'static str,
    pub env: &'static str,
}

/// Every setting, in the order `driftscope config` lists them.
pub const KEYS: [Key; 11] = [
    Key {
        name: "inventories",
        flag: "--inventory",
        env: "DRIFTSCOPE_INVENTORY",
    },
    Key {
        name: "inventory_cmd",
        flag: "--inventory-cmd",
        env: "DRIFTSCOPE_INVENTORY_CMD",
    },
    Key {
        name: "checks",
        flag: "--checks",
        env: "DRIFTSCOPE_CHECKS",
    },
    Key {
        name: "env",
        flag: "--env",
        env: "DRIFTSCOPE_ENV",
    },
    Key {
        name: "db",
        flag: "--db",
        env: "DRIFTSCOPE_DB",
    },
    Key {
        name: "theme",
        flag: "--theme",
        env: "DRIFTSCOPE_THEME",
    },
    Key {
        name: "jobs",
        flag: "--jobs",
        env: "DRIFTSCOPE_JOBS",
    },
    Key {
        name: "timeout",
        flag: "--timeout",
        env: "DRIFTSCOPE_TIMEOUT",
    },
    Key {
        name: "connect_timeout",
        flag: "--connect-timeout",
        env: "DRIFTSCOPE_CONNECT_TIMEOUT",
    },
    Key {
        name: "ssh_config",
        flag: "--ssh-config",
        env: "DRIFTSCOPE_SSH_CONFIG",
    },
    Key {
        name: "keep_connections",
        flag: "--keep-connections",
        env: "DRIFTSCOPE_KEEP_CONNECTIONS",
    },
];

fn key(name: &str) -> &'static Key {
    KEYS.iter().find(|k| k.name == name).unwrap_or(&KEYS[0])
}

/// The environment variable naming the config file.
pub const CONFIG_ENV: &str = "DRIFTSCOPE_CONFIG";

/// The embedded defaults that are not "nothing".
pub const DEFAULT_JOBS: u32 = 64;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_THEME: &str = "default";

/// Every setting of this invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The config file read, if any, and how it was chosen.
    pub config_file: Setting<Option<PathBuf>>,
    /// Empty = the embedded inventory (this machine).
    pub inventories: Setting<Vec<PathBuf>>,
    pub inventory_cmds: Setting<Vec<String>>,
    /// Empty = the embedded shipped checks.
    pub checks: Setting<Vec<PathBuf>>,
    pub env: Setting<Option<String>>,
    pub db: Setting<PathBuf>,
    pub theme: Setting<String>,
    pub jobs: Setting<u32>,
    pub timeout: Setting<Duration>,
    pub connect_timeout: Setting<Duration>,
    pub ssh_config: Setting<Option<PathBuf>>,
    /// `None` = connections close when driftscope exits.
    pub keep_connections: Setting<Option<Duration>>,
}

/// Which config file to read: `--config`, else `$DRIFTSCOPE_CONFIG`, else the XDG one when
/// it exists. A file named by flag or variable must exist.
pub fn config_location(
    flag: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    xdg_default: Option<PathBuf>,
) -> Setting<Option<PathBuf>> {
    if let Some(p) = flag {
        return Setting {
            value: Some(p.to_path_buf()),
            origin: Origin::Flag("--config"),
        };
    }
    if let Some(p) = env(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Setting {
            value: Some(expand_home(&p)),
            origin: Origin::Env(CONFIG_ENV),
        };
    }
    Setting {
        value: xdg_default.filter(|p| p.is_file()),
        origin: Origin::Default,
    }
}

impl Layer {
    /// The `DRIFTSCOPE_*` variables `env` returns. Lists (`INVENTORY`, `CHECKS`) are
    /// `:`-separated like `PATH` and may hold globs; a bad value is an error naming the
    /// variable (exit 2).
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Layer, ConfigError> {
        let get = |name: &str| env(key(name).env).filter(|v| !v.trim().is_empty());
        let bad = |name: &str, message: String| ConfigError {
            file: format!("${}", key(name).env),
            line: 0,
            col: 0,
            message,
        };
        let paths = |name: &str| -> Result<Option<Vec<PathBuf>>, ConfigError> {
            let Some(v) = get(name) else { return Ok(None) };
            let mut out = Vec::new();
            for part in v.split(':').filter(|p| !p.is_empty()) {
                out.extend(file::expand_pattern(part, None).map_err(|e| bad(name, e))?);
            }
            Ok(Some(out))
        };
        let duration = |name: &str| -> Result<Option<Duration>, ConfigError> {
            get(name)
                .map(|v| parse_duration(&v).map_err(|e| bad(name, e)))
                .transpose()
        };
        Ok(Layer {
            inventories: paths("inventories")?,
            inventory_cmds: get("inventory_cmd").map(|c| vec![c]),
            checks: paths("checks")?,
            env: get("env"),
            db: get("db").map(|p| expand_home(&p)),
            theme: get("theme"),
            jobs: get("jobs")
                .map(|v| file::parse_jobs(v.trim().parse::<i64>().ok()).map_err(|e| bad("jobs", e)))
                .transpose()?,
            timeout: duration("timeout")?,
            connect_timeout: duration("connect_timeout")?,
            ssh_config: get("ssh_config").map(|p| expand_home(&p)),
            keep_connections: match get("keep_connections") {
                Some(v) if v.trim().eq_ignore_ascii_case("off") => Some(Duration::ZERO),
                _ => match duration("keep_connections")? {
                    Some(d) if d.as_secs() > 86_400 => {
                        return Err(bad(
                            "keep_connections",
                            format!("{} is longer than the maximum of 24h", format_duration(d)),
                        ));
                    }
                    d => d,
                },
            },
        })
    }
}

/// The first of flag, environment, file that gives a value; else the default.
fn pick<T: Clone>(
    name: &'static str,
    flag: &Option<T>,
    env: &Option<T>,
    file: Option<&ConfigFile>,
    from_file: impl Fn(&Layer) -> &Option<T>,
    default: T,
) -> Setting<T> {
    let k = key(name);
    if let Some(v) = flag {
        return Setting {
            value: v.clone(),
            origin: Origin::Flag(k.flag),
        };
    }
    if let Some(v) = env {
        return Setting {
            value: v.clone(),
            origin: Origin::Env(k.env),
        };
    }
    if let Some(f) = file
        && let Some(v) = from_file(&f.values)
    {
        let (line, col) = f.position(name);
        return Setting {
            value: v.clone(),
            origin: Origin::File {
                path: f.path.clone(),
                line,
                col,
            },
        };
    }
    Setting {
        value: default,
        origin: Origin::Default,
    }
}

impl Settings {
    /// Resolve every setting: `flags` over `env` over `file` over the defaults.
    /// `default_db` is the XDG data path (`<data dir>/driftscope/history.db`).
    pub fn resolve(
        config_file: Setting<Option<PathBuf>>,
        flags: &Layer,
        env: &Layer,
        file: Option<&ConfigFile>,
        default_db: PathBuf,
    ) -> Settings {
        let some = |o: &Option<String>| o.clone().map(Some);
        let some_p = |o: &Option<PathBuf>| o.clone().map(Some);
        // Zero means "off": resolved, it is no duration at all.
        let some_d = |o: &Option<Duration>| o.map(|d| Some(d).filter(|d| !d.is_zero()));
        Settings {
            config_file,
            inventories: pick(
                "inventories",
                &flags.inventories,
                &env.inventories,
                file,
                |l| &l.inventories,
                Vec::new(),
            ),
            inventory_cmds: pick(
                "inventory_cmd",
                &flags.inventory_cmds,
                &env.inventory_cmds,
                file,
                |l| &l.inventory_cmds,
                Vec::new(),
            ),
            checks: pick(
                "checks",
                &flags.checks,
                &env.checks,
                file,
                |l| &l.checks,
                Vec::new(),
            ),
            env: pick_opt("env", some(&flags.env), some(&env.env), file, |l| {
                some(&l.env)
            }),
            db: pick("db", &flags.db, &env.db, file, |l| &l.db, default_db),
            theme: pick(
                "theme",
                &flags.theme,
                &env.theme,
                file,
                |l| &l.theme,
                DEFAULT_THEME.to_string(),
            ),
            jobs: pick(
                "jobs",
                &flags.jobs,
                &env.jobs,
                file,
                |l| &l.jobs,
                DEFAULT_JOBS,
            ),
            timeout: pick(
                "timeout",
                &flags.timeout,
                &env.timeout,
                file,
                |l| &l.timeout,
                DEFAULT_TIMEOUT,
            ),
            connect_timeout: pick(
                "connect_timeout",
                &flags.connect_timeout,
                &env.connect_timeout,
                file,
                |l| &l.connect_timeout,
                DEFAULT_CONNECT_TIMEOUT,
            ),
            ssh_config: pick_opt(
                "ssh_config",
                some_p(&flags.ssh_config),
                some_p(&env.ssh_config),
                file,
                |l| some_p(&l.ssh_config),
            ),
            keep_connections: pick_opt(
                "keep_connections",
                some_d(&flags.keep_connections),
                some_d(&env.keep_connections),
                file,
                |l| some_d(&l.keep_connections),
            ),
        }
    }

    /// `(key, value, origin)` for every setting, as `driftscope config` prints them.
    pub fn rows(&self) -> Vec<(&'static str, String, String)> {
        fn list<T: AsRef<Path>>(v: &[T], empty: &str) -> String {
            if v.is_empty() {
                empty.to_string()
            } else {
                v.iter()
                    .map(|p| p.as_ref().display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
        let none = |s: &Option<String>, empty: &str| s.clone().unwrap_or_else(|| empty.to_string());
        vec![
            (
                "config_file",
                self.config_file
                    .value
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "(none)".into()),
                self.config_file.origin.to_string(),
            ),
            (
                "inventories",
                list(&self.inventories.value, "(embedded: this machine)"),
                self.inventories.origin.to_string(),
            ),
            (
                "inventory_cmd",
                if self.inventory_cmds.value.is_empty() {
                    "(none)".into()
                } else {
                    self.inventory_cmds.value.join(" ; ")
                },
                self.inventory_cmds.origin.to_string(),
            ),
            (
                "checks",
                list(&self.checks.value, "(embedded: the shipped checks)"),
                self.checks.origin.to_string(),
            ),
            (
                "env",
                none(&self.env.value, "(the only one loaded)"),
                self.env.origin.to_string(),
            ),
            (
                "db",
                self.db.value.display().to_string(),
                self.db.origin.to_string(),
            ),
            (
                "theme",
                self.theme.value.clone(),
                self.theme.origin.to_string(),
            ),
            (
                "jobs",
                self.jobs.value.to_string(),
                self.jobs.origin.to_string(),
            ),
            (
                "timeout",
                format_duration(self.timeout.value),
                self.timeout.origin.to_string(),
            ),
            (
                "connect_timeout",
                format_duration(self.connect_timeout.value),
                self.connect_timeout.origin.to_string(),
            ),
            (
                "ssh_config",
                self.ssh_config
                    .value
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "(ssh's own: ~/.ssh/config)".into()),
                self.ssh_config.origin.to_string(),
            ),
            (
                "keep_connections",
                self.keep_connections
                    .value
                    .map(format_duration)
                    .unwrap_or_else(|| "off".into()),
                self.keep_connections.origin.to_string(),
            ),
        ]
    }
}

fn pick_opt<T: Clone>(
    name: &'static str,
    flag: Option<Option<T>>,
    env: Option<Option<T>>,
    file: Option<&ConfigFile>,
    from_file: impl Fn(&Layer) -> Option<Option<T>>,
) -> Setting<Option<T>> {
    let file_value = file.and_then(|f| from_file(&f.values));
    let k = key(name);
    if let Some(v) = flag {
        return Setting {
            value: v,
            origin: Origin::Flag(k.flag),
        };
    }
    if let Some(v) = env {
        return Setting {
            value: v,
            origin: Origin::Env(k.env),
        };
    }
    if let (Some(f), Some(v)) = (file, file_value) {
        let (line, col) = f.position(name);
        return Setting {
            value: v,
            origin: Origin::File {
                path: f.path.clone(),
                line,
                col,
            },
        };
    }
    Setting {
        value: None,
        origin: Origin::Default,
    }
}

#[cfg(test)]
mod tests;
