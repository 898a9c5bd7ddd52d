//! The settings of this invocation, resolved once in `main` from the subcommand's flags,
//! the `DRIFTSCOPE_*` variables and the config file (`config::settings`), and read by the
//! flag groups in `common` (sources, executor, store) instead of their own defaults.

use crate::config::ConfigError;
use crate::config::settings::{ConfigFile, Layer, Settings, config_location};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// `$XDG_CONFIG_HOME/driftscope/config.toml` (usually `~/.config/driftscope/config.toml`).
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "driftscope").map(|d| d.config_dir().join("config.toml"))
}

/// `<XDG data dir>/driftscope/history.db`.
fn default_db_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "driftscope")
        .map(|d| d.data_dir().join("history.db"))
        .unwrap_or_else(|| PathBuf::from("driftscope-history.db"))
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Resolve the settings for `flags` (the subcommand's) and keep them for this process.
pub fn init(config_flag: Option<&Path>, flags: Layer) -> Result<&'static Settings, ConfigError> {
    let location = config_location(config_flag, &process_env, default_config_path());
    let file = match &location.value {
        Some(p) => Some(ConfigFile::load(p)?),
        None => None,
    };
    let env = Layer::from_env(&process_env)?;
    let settings = Settings::resolve(location, &flags, &env, file.as_ref(), default_db_path());
    Ok(SETTINGS.get_or_init(|| settings))
}

/// The resolved settings; the embedded defaults when `init` was not called (library tests,
/// subcommands that read no setting).
pub fn current() -> &'static Settings {
    SETTINGS.get_or_init(|| {
        Settings::resolve(
            config_location(None, &|_| None, None),
            &Layer::default(),
            &Layer::default(),
            None,
            default_db_path(),
        )
    })
}
