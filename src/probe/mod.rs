//! Probe modules: for each module, a shell fragment generator (one fragment for ALL subjects
//! of that module on a host), a parser of that fragment's output, and an evaluator of
//! observed attributes against matchers.
//!
//! Must not do IO: the fragments are run by a transport, the parsers see bytes.
//! Every string interpolated into shell text goes through [`quote::sh_quote`].

pub mod batch;
pub mod quote;

mod command;
mod directory;
mod file;
mod group;
mod kernel_module;
mod mount;
mod package;
mod port;
mod process;
mod service;
mod sshd_config;
mod sysctl;
mod user;

use crate::model::{Matcher, ModuleKind, Value};
use std::collections::BTreeMap;

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

/// One probe module. Implementations are unit structs in `src/probe/<module>.rs`.
pub trait Module: Sync {
    fn kind(&self) -> ModuleKind;

    /// Attributes a check may name in `expect` (config validation rejects others).
    fn attributes(&self) -> &'static [&'static str];

    /// The assertion a check without `expect` makes, e.g. `("installed", true)`.
    fn default_expect(&self) -> (&'static str, Value);

    /// Validate a rendered subject (e.g. port syntax `tcp/22`); `Err` is a config error.
    fn validate_subject(&self, _subject: &str) -> Result<(), String> {
        Ok(())
    }

    /// ONE POSIX sh fragment probing all `subjects` (distinct, in this order). It must be
    /// read-only, must quote every subject with `sh_quote`, and should fork as little as
    /// possible (one tool invocation for all subjects where the tool allows).
    fn fragment(&self, subjects: &[&str]) -> String;

    /// Parse the fragment's output (stdout and stderr interleaved, as the batch framed
    /// it) into one observation per subject, same order as `subjects`. Must not panic on
    /// any input, including non-UTF-8 bytes and truncated output.
    fn parse(&self, output: &[u8], subjects: &[&str]) -> Vec<Observation>;

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
    }
}

/// Split framed per-subject output: lines `\x1e<index>\x1f<payload>`-style helpers are up to
/// each module; this helper splits output into lines lossily for text parsers.
pub fn lossy_lines(output: &[u8]) -> Vec<String> {
    output
        .split(|b| *b == b'\n')
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect()
}
