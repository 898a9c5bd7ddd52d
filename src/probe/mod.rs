//! Probe modules: for each module, a shell fragment generator (one fragment for ALL subjects
//! of that module on a host), a parser of that fragment's output, and an evaluator of
//! observed attributes against matchers.
//!
//! Must not do IO: the fragments are run by a transport, the parsers see bytes.
//! Every string interpolated into shell text goes through [`quote::sh_quote`].
//!
//! Attributes whose name starts with `_` are internal to a module (file content, a service's
//! state, per-attribute errors under [`attr_error_key`]); `Module::attributes` never lists them,
//! so checks cannot name them and results never show them.

pub mod batch;
pub mod quote;
pub mod reads;
pub mod secret;

mod addr;
mod command;
mod directory;
mod dns;
mod file;
mod group;
mod http;
mod interface;
mod kernel_module;
mod mount;
mod os;
mod package;
mod port;
mod process;
mod service;
mod sshd_config;
mod sysctl;
#[cfg(test)]
mod test_support;
mod user;
mod x509;

use crate::model::{Matcher, ModuleKind, Value};
pub use reads::{Read, Reads};
use std::collections::{BTreeMap, BTreeSet};

/// Observed attributes of one subject, e.g. `{"exists": true, "mode": "0644", "owner": "root"}`.
pub type Attributes = BTreeMap<String, Value>;

/// What a module's parser learned about one subject.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// The probe answered. A subject that does not exist is `Observed` with
    /// `exists/installed/running = false`, not an error.
    Observed(Attributes),
    /// The module does not apply on this host (no dpkg/rpm, no systemd …), with why.
    NotApplicable(String),
    /// The probe could not answer for this subject (permission denied, garbled output …).
    Error(String),
}

/// Verdict on one attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrVerdict {
    pub ok: bool,
    /// The observed value to show as `actual` for this attribute.
    pub actual: Value,
}

/// One subject of a module as the batch asks for it: the subject plus the union of the
/// attributes that the host's executions on it name in `expect`. Modules use `wants` to skip
/// expensive reads (file contents, sha256, group lists) nobody asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub subject: String,
    pub wants: BTreeSet<String>,
    /// How long probing this subject may take (a `command` check's `timeout`). Executions
    /// of one subject with different timeouts are different probes.
    pub timeout: Option<std::time::Duration>,
}

impl Probe {
    pub fn new(subject: &str, wants: &[&str]) -> Probe {
        Probe {
            subject: subject.to_string(),
            wants: wants.iter().map(|w| w.to_string()).collect(),
            timeout: None,
        }
    }
    pub fn wants(&self, attribute: &str) -> bool {
        self.wants.contains(attribute)
    }
}

/// The programs a module's fragment may start: its declared allow-list (the read-only
/// contract). `tests/probe_injection.rs` runs every module's real fragment with a `PATH` of
/// recording stand-ins and fails when a program outside the list ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Programs {
    /// Exactly these program names (looked up on `PATH`); shell builtins (`[`, `echo`,
    /// `printf`, `read`, `command -v`) need no entry. `&[]` = builtins only.
    Only(&'static [&'static str]),
    /// The module runs the check's own command line (only `command`): read-only by
    /// convention, shown as `runs: user command` by `driftscope checks`.
    UserCommand,
}

/// What a module's evaluator may know about the execution besides the observation.
#[derive(Debug, Clone, Copy)]
pub struct EvalContext<'a> {
    /// The rendered subject (a path, a command line, …).
    pub subject: &'a str,
    /// The check's `secret` declaration ([`crate::model::Check::secret`]).
    pub secret: Option<bool>,
}

/// One probe module. Implementations are unit structs in `src/probe/<module>.rs`.
///
/// A new module declares at least: `kind`, `attributes`, `default_expect`, `programs` (the
/// allow-list of what its fragment runs; keep it to read-only tools like `stat`, `getent`,
/// `ss`, `systemctl show`), `fragment` and `parse_reads`; plus `content_attributes` when an
/// attribute is derived from what it reads (so `secret = true` redacts it).
pub trait Module: Sync {
    fn kind(&self) -> ModuleKind;

    /// The programs [`Module::fragment`] may start (its read-only allow-list). Required, so
    /// every module states it; the injection proptest enforces it.
    fn programs(&self) -> Programs;

    /// Attributes whose observed value is derived from content the probe read (file lines,
    /// a digest of them, command output): a `secret = true` check shows them only as a
    /// salted hash ([`secret::redact`]). Default: none.
    fn content_attributes(&self) -> &'static [&'static str] {
        &[]
    }

    /// Attributes a check may name in `expect` (config validation rejects others).
    fn attributes(&self) -> &'static [&'static str];

    /// The assertion a check without `expect` makes, e.g. `("installed", true)`.
    fn default_expect(&self) -> (&'static str, Value);

    /// Whether a check must say what it expects (`os`: no attribute is a sensible default);
    /// then a check without `expect` is a config error and `default_expect` is never used.
    fn requires_expect(&self) -> bool {
        false
    }

    /// Validate a rendered subject (e.g. port syntax `tcp/22`); `Err` is a config error
    /// saying what was expected.
    fn validate_subject(&self, _subject: &str) -> Result<(), String> {
        Ok(())
    }

    /// Validate the declared value of one `expect` attribute beyond matcher syntax (e.g. the
    /// regexes of file `contains`); `Err` is a config error.
    fn validate_expect(&self, _attribute: &str, _declared: &Value) -> Result<(), String> {
        Ok(())
    }

    /// The module whose section answers this module's subjects (its fragment and parser run
    /// once for both); this module then only evaluates. Default: its own.
    fn section(&self) -> ModuleKind {
        self.kind()
    }

    /// Roughly how many processes the fragment starts for these probes (0 for builtins
    /// only). The batch balances a host's sections over two concurrent lanes with it.
    fn cost(&self, _probes: &[Probe]) -> u32 {
        1
    }

    /// ONE POSIX sh fragment probing all `probes` (distinct subjects, in this order). It must
    /// be read-only, must quote every subject with `sh_quote`, and should fork as little as
    /// possible (one tool invocation for all subjects where the tool allows).
    fn fragment(&self, probes: &[Probe]) -> String;

    /// Files this module's probes need read whole (contents, /proc/sys values, the process
    /// table). The batch reads the files of ALL modules of a host with one capped `grep`
    /// ([`reads::fragment`]) and hands the result to [`Module::parse_reads`]. Default: none.
    fn reads(&self, _probes: &[Probe]) -> Vec<Read> {
        Vec::new()
    }

    /// Parse the fragment's output (stdout and stderr interleaved, as the batch framed it)
    /// with the host's shared read into one observation per probe, same order: what the batch
    /// calls. Must not panic on any input, including non-UTF-8 bytes and truncated output.
    fn parse_reads(&self, output: &[u8], probes: &[Probe], reads: &Reads) -> Vec<Observation>;

    /// Parse a standalone capture, the form of the test fixtures: the fragment's output,
    /// followed — for a module with [`Module::reads`] — by a [`reads::CAPTURE_SEPARATOR`]
    /// line and the shared read (see [`reads::split_capture`]).
    fn parse(&self, output: &[u8], probes: &[Probe]) -> Vec<Observation> {
        if self.reads(probes).is_empty() {
            return self.parse_reads(output, probes, &Reads::default());
        }
        let (own, reads) = reads::split_capture(output);
        self.parse_reads(own, probes, &reads)
    }

    /// Evaluate one attribute knowing the execution's subject and secrecy (what the batch
    /// calls). Default: [`Module::evaluate`].
    fn evaluate_in(
        &self,
        _context: &EvalContext,
        observed: &Attributes,
        attribute: &str,
        matcher: &Matcher,
    ) -> AttrVerdict {
        self.evaluate(observed, attribute, matcher)
    }

    /// Evaluate one attribute. Default: look the attribute up and apply the matcher.
    /// Modules with computed attributes (file `contains`) override this.
    fn evaluate(&self, observed: &Attributes, attribute: &str, matcher: &Matcher) -> AttrVerdict {
        let actual = observed.get(attribute).cloned().unwrap_or(Value::Null);
        AttrVerdict {
            ok: matcher.matches(&actual),
            actual,
        }
    }
}

/// The module implementation for a kind.
pub fn module(kind: ModuleKind) -> &'static dyn Module {
    match kind {
        ModuleKind::Package => &package::Package,
        ModuleKind::File => &file::File,
        ModuleKind::Directory => &directory::Directory,
        ModuleKind::Service => &service::Service,
        ModuleKind::Process => &process::Process,
        ModuleKind::Port => &port::Port,
        ModuleKind::Sysctl => &sysctl::Sysctl,
        ModuleKind::User => &user::User,
        ModuleKind::Group => &group::Group,
        ModuleKind::Mount => &mount::Mount,
        ModuleKind::KernelModule => &kernel_module::KernelModule,
        ModuleKind::Command => &command::Command,
        ModuleKind::SshdConfig => &sshd_config::SshdConfig,
        ModuleKind::Http => &http::Http,
        ModuleKind::Dns => &dns::Dns,
        ModuleKind::Addr => &addr::Addr,
        ModuleKind::Interface => &interface::Interface,
        ModuleKind::Os => &os::Os,
        ModuleKind::X509 => &x509::X509,
    }
}

/// Split output into lines, lossily decoded, for text parsers.
pub fn lossy_lines(output: &[u8]) -> Vec<String> {
    output
        .split(|b| *b == b'\n')
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect()
}

/// Parse the common `@<index> <status> [rest]` line protocol many fragments print with shell
/// builtins: returns `(index, status, rest)` for each well-formed line whose index is below
/// `count`; other lines are ignored.
pub(crate) fn tagged_lines(output: &[u8], count: usize) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for line in output.split(|b| *b == b'\n') {
        let Some(rest) = line.strip_prefix(b"@") else {
            continue;
        };
        let text = String::from_utf8_lossy(rest);
        let mut parts = text.splitn(3, ' ');
        let (Some(idx), Some(status)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Ok(idx) = idx.parse::<usize>() else {
            continue;
        };
        if idx < count {
            out.push((
                idx,
                status.to_string(),
                parts.next().unwrap_or("").to_string(),
            ));
        }
    }
    out
}

/// The key under which an observation records why one attribute could not be observed
/// (the rest of the subject was): `_error:<attribute>`. Checks naming it become `error`.
pub fn attr_error_key(attribute: &str) -> String {
    format!("_error:{attribute}")
}

/// The key under which an observation names the attribute that waives its per-attribute
/// errors: a check naming that attribute gets every attribute observed (a command's exit
/// status 127 is the answer for a check naming `exit_status`, an error for the others).
pub const ERRORS_WAIVED_BY: &str = "_errors_waived_by";

/// Apply `matcher` to `attribute`; when it fails and the observation says why in `_state`
/// (a unit's state, a refused connection, a fetch error), show that next to the value:
/// `false: failed (failed)`, `null: curl: (7) Failed to connect …`.
pub(crate) fn evaluate_with_state(
    observed: &Attributes,
    attribute: &str,
    matcher: &Matcher,
) -> AttrVerdict {
    let actual = observed.get(attribute).cloned().unwrap_or(Value::Null);
    let ok = matcher.matches(&actual);
    let actual = match (ok, observed.get("_state").and_then(Value::as_str)) {
        (false, Some(why)) => Value::String(format!("{actual}: {why}")),
        _ => actual,
    };
    AttrVerdict { ok, actual }
}

/// Build an observation from `(attribute, value)` pairs.
pub(crate) fn observed<const N: usize>(pairs: [(&str, Value); N]) -> Observation {
    Observation::Observed(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Test helper: attribute `attribute` of observation `i`, which must be `Observed`.
#[cfg(test)]
pub(crate) fn observed_attr(obs: &[Observation], i: usize, attribute: &str) -> Value {
    match &obs[i] {
        Observation::Observed(m) => m.get(attribute).cloned().unwrap_or(Value::Null),
        o => panic!("subject {i} was not observed: {o:?}"),
    }
}

/// Fill unanswered slots with an error naming the subject.
pub(crate) fn finish(slots: Vec<Option<Observation>>, what: &str) -> Vec<Observation> {
    slots
        .into_iter()
        .map(|o| {
            o.unwrap_or_else(|| {
                Observation::Error(format!(
                    "no {what} output for this subject (probe output garbled or cut short)"
                ))
            })
        })
        .collect()
}

/// The reason of the `@@NA <reason>` line a fragment prints when the module does not fit the host.
pub(crate) fn not_applicable(output: &[u8]) -> Option<String> {
    lossy_lines(output)
        .iter()
        .find_map(|l| l.strip_prefix("@@NA ").map(|r| r.trim().to_string()))
}

/// The lines of a whole-table fragment (mounts, modules, sockets) that ends with `@@END`, or
/// the observation every subject gets when the table is not there: `not_applicable` for an
/// `@@NA` line, `error` ("<what> output cut short") when `@@END` never came.
pub(crate) fn table_lines(
    output: &[u8],
    subjects: usize,
    what: &str,
) -> Result<Vec<String>, Vec<Observation>> {
    if let Some(why) = not_applicable(output) {
        return Err(vec![Observation::NotApplicable(why); subjects]);
    }
    let lines = lossy_lines(output);
    if !lines.iter().any(|l| l == "@@END") {
        return Err(vec![
            Observation::Error(format!("{what} output cut short"));
            subjects
        ]);
    }
    Ok(lines)
}
