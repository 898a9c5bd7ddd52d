//! The TOML shapes of inventory and check files, exactly as written (serde, spans kept,
//! unknown fields rejected). Nothing here interprets values; `load` does.

use crate::model::{CheckKind, Severity, TransportKind, Value};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// `inventory/<env>.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInventory {
    pub environment: RawEnvironment,
    #[serde(default)]
    pub defaults: RawDefaults,
    #[serde(default)]
    pub host: Vec<Spanned<RawHost>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnvironment {
    pub name: Spanned<String>,
    /// Documentation only; accepted so files can describe themselves.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
}

/// `[defaults]`: applied to every host that does not set the field itself.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    pub transport: Option<TransportKind>,
    pub user: Option<String>,
    pub port: Option<u16>,
    #[serde(rename = "become")]
    pub become_root: Option<bool>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub vars: BTreeMap<String, Value>,
    /// `salt = { config_dir, timeout, bin }`: the master salt hosts are reached through.
    pub salt: Option<Spanned<RawSalt>>,
}

/// `[defaults] salt = { … }`; every field optional (see [`crate::model::SaltMaster`]).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSalt {
    pub config_dir: Option<String>,
    pub timeout: Option<u64>,
    pub bin: Option<String>,
}

/// One `[[host]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHost {
    pub name: Spanned<String>,
    pub address: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub transport: Option<TransportKind>,
    /// The salt minion id (transport = "salt" only); default: the host name.
    pub minion: Option<Spanned<String>>,
    #[serde(rename = "become")]
    pub become_root: Option<bool>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub vars: BTreeMap<String, Value>,
}

/// `checks/<category>.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheckFile {
    pub category: String,
    #[serde(default)]
    pub kind: CheckKind,
    /// Documentation only; accepted so files can describe themselves.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
    #[serde(default)]
    pub check: Vec<Spanned<RawCheck>>,
}

/// One `[[check]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheck {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    #[serde(default)]
    pub severity: Severity,
    /// Overrides the file's `kind`.
    pub kind: Option<CheckKind>,
    #[serde(default)]
    pub targets: RawTargets,
    /// name → list of values, or a string `"{vars.KEY}"` naming a list var.
    #[serde(default)]
    pub for_each: BTreeMap<String, Spanned<Value>>,
    pub probe: Spanned<BTreeMap<String, Spanned<Value>>>,
    #[serde(default)]
    pub expect: BTreeMap<String, Spanned<Value>>,
    pub sop: Option<String>,
    /// Seconds a `command` check may run before it is `error` "timed out after N s".
    pub timeout: Option<Spanned<f64>>,
    /// `secret = true`: content-derived values are stored and shown only redacted;
    /// `secret = false`: not secret even on a sensitive path (see [`crate::model::Check::secret`]).
    pub secret: Option<bool>,
    /// `os_family = ["rhel", "fedora"]`: the check applies only to hosts whose /etc/os-release
    /// `ID` or `ID_LIKE` names one of these (see [`crate::model::Check::os_family`]).
    pub os_family: Option<Spanned<Vec<String>>>,
    /// Documentation only; accepted so files can describe themselves.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
}

/// `targets = { tags = [..] }`: hosts must carry all of these tags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTargets {
    #[serde(default)]
    pub tags: Option<Spanned<Vec<String>>>,
}
