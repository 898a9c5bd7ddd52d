//! Plain data shared by every layer: inventory (environments, hosts), checks and their
//! expanded executions, outcomes and result records, run metadata.
//!
//! Owns no IO and depends on nothing above it; `config` builds these values, `probe`/`exec`
//! produce results from them, `store`/`tui`/`report` consume them.

mod ack;
mod age;
mod duration;
mod matcher;
mod outcome;
pub mod regex_cache;
mod version;

pub use ack::{
    AckBook, AckInputError, Acknowledgement, DEFAULT_ACK_EXPIRY, ack_reason, exit_code_with_acks,
    os_user, parse_expiry, utc_minutes,
};
pub use age::parse_age;
pub use duration::{age_text, human_duration, human_duration_secs};
pub use matcher::{Matcher, MatcherError, describe_matcher};
pub use outcome::{Outcome, OutcomeCounts};
pub use version::{VersionSpec, compare_versions};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// A value from a `for_each` matrix or an inventory `vars` table.
pub type Value = serde_json::Value;

/// How driftscope reaches a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    /// Run `/bin/sh -s` on this machine.
    Local,
    /// Run `sh -s` over the user's OpenSSH (ControlMaster per host).
    #[default]
    Ssh,
    /// Run `sh -s` on a Salt minion through its master (`cmd.run_all`): one job for every
    /// host whose script is identical.
    Salt,
}

impl TransportKind {
    /// The name used in inventories (`transport = "…"`).
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Local => "local",
            TransportKind::Ssh => "ssh",
            TransportKind::Salt => "salt",
        }
    }
}

/// The master a salt host is reached through: `[defaults] salt = { … }` of its inventory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SaltMaster {
    /// The master's configuration directory, passed to the `salt` CLI as `-c`.
    pub config_dir: std::path::PathBuf,
    /// Salt's own job timeout (`salt -t`) in seconds.
    pub timeout_secs: u64,
    /// The `salt` executable (a name looked up on `PATH`, or a path).
    pub bin: String,
}

impl Default for SaltMaster {
    fn default() -> Self {
        SaltMaster {
            config_dir: "/etc/salt".into(),
            timeout_secs: 30,
            bin: "salt".into(),
        }
    }
}

/// How a salt host is addressed: its minion id and its master.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SaltTarget {
    /// The minion id (`minion = "…"`, default: the host name).
    pub minion: String,
    pub master: SaltMaster,
}

/// Severity of a check, most severe first (the derived order is used for sorting).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    High,
    #[default]
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a check reads configuration on disk or the running system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    #[default]
    Static,
    Runtime,
}

/// One host of an environment, with environment defaults already applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// Inventory name; unique within the environment; what results are keyed by.
    pub name: String,
    /// What to connect to (ssh destination); defaults to `name` so ssh_config can alias it.
    pub address: String,
    pub transport: TransportKind,
    /// Remote user; `None` lets ~/.ssh/config decide.
    pub user: Option<String>,
    /// Optional port; `None` lets ~/.ssh/config decide.
    pub port: Option<u16>,
    /// Run the probe script under `sudo -n`.
    pub become_root: bool,
    pub tags: Vec<String>,
    /// Environment vars overlaid with the host's own.
    pub vars: BTreeMap<String, Value>,
    /// Set exactly when `transport` is [`TransportKind::Salt`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<SaltTarget>,
}

impl Host {
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

/// A named set of hosts (one inventory file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub name: String,
    pub hosts: Vec<Host>,
}

/// The probe modules driftscope knows. Each has one file under `src/probe/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleKind {
    Package,
    File,
    Directory,
    Service,
    Process,
    Port,
    Sysctl,
    User,
    Group,
    Mount,
    KernelModule,
    Command,
    SshdConfig,
    Http,
    Dns,
    Addr,
    Interface,
    Os,
    X509,
}

impl ModuleKind {
    pub const ALL: [ModuleKind; 19] = [
        ModuleKind::Package,
        ModuleKind::File,
        ModuleKind::Directory,
        ModuleKind::Service,
        ModuleKind::Process,
        ModuleKind::Port,
        ModuleKind::Sysctl,
        ModuleKind::User,
        ModuleKind::Group,
        ModuleKind::Mount,
        ModuleKind::KernelModule,
        ModuleKind::Command,
        ModuleKind::SshdConfig,
        ModuleKind::Http,
        ModuleKind::Dns,
        ModuleKind::Addr,
        ModuleKind::Interface,
        ModuleKind::Os,
        ModuleKind::X509,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleKind::Package => "package",
            ModuleKind::File => "file",
            ModuleKind::Directory => "directory",
            ModuleKind::Service => "service",
            ModuleKind::Process => "process",
            ModuleKind::Port => "port",
            ModuleKind::Sysctl => "sysctl",
            ModuleKind::User => "user",
            ModuleKind::Group => "group",
            ModuleKind::Mount => "mount",
            ModuleKind::KernelModule => "kernel_module",
            ModuleKind::Command => "command",
            ModuleKind::SshdConfig => "sshd_config",
            ModuleKind::Http => "http",
            ModuleKind::Dns => "dns",
            ModuleKind::Addr => "addr",
            ModuleKind::Interface => "interface",
            ModuleKind::Os => "os",
            ModuleKind::X509 => "x509",
        }
    }
    pub fn from_name(name: &str) -> Option<ModuleKind> {
        ModuleKind::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

impl fmt::Display for ModuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a probe looks at: the module and its rendered subject (a path, a package name, a
/// sysctl key, `tcp/22`, a command line …). For `process { args = "re" }` the subject is
/// `args:re`; for `process = "name"` it is the plain name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProbeTarget {
    pub module: ModuleKind,
    pub subject: String,
}

/// A logical check as written in checks/*.toml (templates not yet rendered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub id: String,
    pub title: String,
    pub category: String,
    pub kind: CheckKind,
    pub severity: Severity,
    /// Hosts must carry all of these tags; empty = every host.
    pub target_tags: Vec<String>,
    /// `for_each` matrix: name → values (values may be the template `{vars.KEY}` naming a list).
    pub for_each: BTreeMap<String, Vec<Value>>,
    pub module: ModuleKind,
    /// Subject template, e.g. `{vars.root}/etc/app.conf`.
    pub subject: String,
    /// attribute → matcher, templates inside string matchers not yet rendered.
    pub expect: BTreeMap<String, Value>,
    pub sop: Option<String>,
    /// `timeout = SECS` of a `command` check: how long the command may run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// `secret = …` as declared: `Some(true)` keeps content-derived values (contains hits,
    /// nearest lines, sha256, command output) out of every record, shown only as a salted
    /// hash; `Some(false)` lifts the sensitive-path guard on nearest lines; `None` = neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<bool>,
    /// `os_family = [..]`: the check applies only where the host's /etc/os-release `ID` or one
    /// of its `ID_LIKE` words is in this list (InSpec's `only_if { os.family … }`, decided on
    /// the host from the same probe, no tagging); elsewhere it is `not_applicable`. Empty: every
    /// host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub os_family: Vec<String>,
    /// Where the check is defined, for messages: `checks/ssh.toml:12:1`.
    pub origin: String,
}

/// The key the history tracks: check id plus matrix values, e.g.
/// `ssh.sshd-option[option=PermitRootLogin,value=no]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ExecKey(pub String);

impl ExecKey {
    pub fn new(check_id: &str, params: &BTreeMap<String, String>) -> ExecKey {
        if params.is_empty() {
            return ExecKey(check_id.to_string());
        }
        let inner: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        ExecKey(format!("{check_id}[{}]", inner.join(",")))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExecKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One check on one host with one set of matrix values: what gets probed and evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub key: ExecKey,
    pub check_id: String,
    pub title: String,
    pub category: String,
    pub kind: CheckKind,
    pub severity: Severity,
    pub target: ProbeTarget,
    /// attribute → matcher, rendered. Never empty: the planner fills the module default.
    pub expect: Vec<(String, Matcher)>,
    pub sop: Option<String>,
    /// How long the probe of this subject may run (`command` checks' `timeout`); `None`:
    /// only the host's deadline applies.
    pub timeout: Option<Duration>,
    /// The check's `secret` declaration ([`Check::secret`]).
    pub secret: Option<bool>,
    /// The check's `os_family` ([`Check::os_family`]); empty: every host.
    pub os_family: Vec<String>,
}

/// All executions planned for one host.
#[derive(Debug, Clone)]
pub struct HostPlan {
    pub environment: String,
    pub host: Host,
    pub executions: Vec<Execution>,
}

/// The result of one execution. `expected`/`actual` are JSON objects keyed by attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRecord {
    pub environment: String,
    pub host: String,
    pub key: ExecKey,
    pub check_id: String,
    pub title: String,
    pub category: String,
    pub severity: Severity,
    pub outcome: Outcome,
    pub expected: Value,
    pub actual: Value,
    /// Why, for every non-pass outcome (and optionally for pass).
    pub reason: Option<String>,
    /// Wall time of the host's probe round trip this result came from.
    #[serde(with = "duration_ms")]
    pub duration: Duration,
    pub sop: Option<String>,
}

/// One file a run's configuration came from and the SHA-256 of its bytes as loaded (audit:
/// which inventory, exactly, a run's hosts came from).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceDigest {
    /// As given on the command line, or `embedded:<name>` for a built-in default.
    pub path: String,
    pub sha256: String,
}

impl SourceDigest {
    pub fn of(path: &str, bytes: &[u8]) -> SourceDigest {
        use sha2::{Digest, Sha256};
        SourceDigest {
            path: path.to_string(),
            sha256: format!("{:x}", Sha256::digest(bytes)),
        }
    }
}

/// What a run covered (what the user narrowed it to) and the inventory it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub environment: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    /// The inventory file(s) that defined the environment, with their SHA-256 (audit; not
    /// part of what `describe` and `is_full` consider).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inventories: Vec<SourceDigest>,
}

impl Scope {
    /// Short human form: `prod`, `prod host=db-01 cat=ssh`.
    pub fn describe(&self) -> String {
        let mut s = self.environment.clone();
        for (label, list) in [
            ("host", &self.hosts),
            ("cat", &self.categories),
            ("check", &self.checks),
        ] {
            if !list.is_empty() {
                s.push_str(&format!(" {label}={}", list.join(",")));
            }
        }
        s
    }
    pub fn is_full(&self) -> bool {
        self.hosts.is_empty() && self.categories.is_empty() && self.checks.is_empty()
    }
}

/// Metadata of one run, known when it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    pub id: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub scope: Scope,
    pub driftscope_version: String,
    pub user: String,
    pub client_host: String,
    /// Hash of the loaded check set (same checks → same hash).
    pub checkset_hash: String,
    pub host_count: usize,
    pub execution_count: usize,
}

impl RunMeta {
    /// Metadata of a run starting now on this machine: a new id, this driftscope's version,
    /// the local user and host name.
    pub fn begin(
        scope: Scope,
        checkset_hash: String,
        host_count: usize,
        execution_count: usize,
    ) -> RunMeta {
        let now = chrono::Utc::now();
        RunMeta {
            id: RunMeta::new_id(now),
            started_at: now,
            scope,
            driftscope_version: env!("CARGO_PKG_VERSION").to_string(),
            user: whoami::username().unwrap_or_else(|_| "unknown".into()),
            client_host: gethostname::gethostname().to_string_lossy().into_owned(),
            checkset_hash,
            host_count,
            execution_count,
        }
    }

    /// A new run id: sortable UTC timestamp plus a random suffix.
    pub fn new_id(now: chrono::DateTime<chrono::Utc>) -> String {
        let nanos = now.timestamp_subsec_nanos();
        let salt = std::process::id() ^ nanos;
        format!(
            "{}-{:06x}",
            now.format("%Y%m%dT%H%M%S%.3fZ"),
            salt & 0xff_ffff
        )
    }
}

/// Connection/probe state of one host during a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum HostPhase {
    Queued,
    Connecting,
    Probing,
    Done,
    /// Unreachable, timeout, sudo denied …: the reason is shown verbatim.
    Failed(String),
}

/// Serialize a Duration as fractional milliseconds.
pub mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64((d.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(d)?;
        Ok(Duration::from_secs_f64(ms.max(0.0) / 1000.0))
    }
}
