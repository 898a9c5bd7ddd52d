//! file: existence, type, mode, owner, group (names; the number when there is none), uid,
//! gid (numbers), size, sha256, symlink target and content regexes for all paths of a host with few forks:
//!
//! - shell builtins (`[ -e ]`, `[ -L ]`, `[ -r ]`) classify every path (exists, broken link,
//!   missing, permission denied) — no fork;
//! - ONE `stat` (lstat) for all paths, plus ONE `stat -L` when some path is a symlink;
//! - the host's shared read ([`super::reads`], one capped `grep` for all modules) reads the
//!   paths whose checks name `contains` or `not_contains`; ONE `sha256sum -z` for those
//!   naming `sha256` — only when wanted.
//!
//! Records are NUL-separated and begin with the path exactly as given, so paths with spaces,
//! quotes or newlines parse unambiguously. Attributes describe the file a path resolves to
//! (like `test -f` and `cat`); `type` and `link_target` describe the path itself.

use super::{
    AttrVerdict, Attributes, EvalContext, Module, Observation, Probe, Programs, Read, Reads, secret,
};
use crate::model::{Matcher, ModuleKind, Value};

mod content;
mod fragment;
mod output;

use content::{evaluate_content, validate_regexes};
pub(crate) use fragment::stat_fragment;
use output::content_reads;
pub(crate) use output::parse_all;

pub struct File;

pub(super) const CONTENT_ATTRS: [&str; 2] = ["contains", "not_contains"];

pub(super) fn wants_content(p: &Probe) -> bool {
    CONTENT_ATTRS.iter().any(|a| p.wants(a))
}

/// `mode` compares as an octal number: "0644", "644" and 644 all mean rw-r--r--.
fn mode_value(v: &Value) -> Option<u32> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    u32::from_str_radix(s.trim().trim_start_matches("0o"), 8).ok()
}

/// The canonical text of a mode (`"0644"`) when the value reads as one, else the value.
fn canonical_mode(v: &Value) -> Value {
    match mode_value(v) {
        Some(m) => Value::String(format!("{m:04o}")),
        None => v.clone(),
    }
}

pub(crate) fn evaluate_mode(observed: &Attributes, matcher: &Matcher) -> AttrVerdict {
    let actual = observed.get("mode").cloned().unwrap_or(Value::Null);
    let ok = matcher
        .map_values(&canonical_mode)
        .matches(&canonical_mode(&actual));
    AttrVerdict { ok, actual }
}

impl Module for File {
    fn kind(&self) -> ModuleKind {
        ModuleKind::File
    }
    fn programs(&self) -> Programs {
        Programs::Only(&["stat", "sha256sum"])
    }
    fn content_attributes(&self) -> &'static [&'static str] {
        &["contains", "not_contains", "sha256"]
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "exists",
            "type",
            "mode",
            "owner",
            "group",
            "uid",
            "gid",
            "size",
            "sha256",
            "link_target",
            "contains",
            "not_contains",
        ]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("exists", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        validate_path(subject)
    }
    fn validate_expect(&self, attribute: &str, declared: &Value) -> Result<(), String> {
        match attribute {
            "contains" | "not_contains" => validate_regexes(declared),
            _ => Ok(()),
        }
    }
    fn cost(&self, probes: &[Probe]) -> u32 {
        1 + u32::from(probes.iter().any(|p| p.wants("sha256")))
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        stat_fragment(probes)
    }
    fn reads(&self, probes: &[Probe]) -> Vec<Read> {
        content_reads(probes)
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], reads: &Reads) -> Vec<Observation> {
        parse_all(output, probes, reads)
    }
    fn evaluate_in(
        &self,
        context: &EvalContext,
        observed: &Attributes,
        attribute: &str,
        matcher: &Matcher,
    ) -> AttrVerdict {
        match attribute {
            // Nearest lines: never from a secret, nor from a sensitive path unless the
            // check says `secret = false`.
            "contains" | "not_contains" => {
                let nearest = match context.secret {
                    Some(secret) => !secret,
                    None => !secret::sensitive_path(context.subject),
                };
                evaluate_content(observed, attribute, matcher, nearest)
            }
            _ => self.evaluate(observed, attribute, matcher),
        }
    }
    fn evaluate(&self, observed: &Attributes, attribute: &str, matcher: &Matcher) -> AttrVerdict {
        match attribute {
            "contains" | "not_contains" => evaluate_content(observed, attribute, matcher, true),
            "mode" => evaluate_mode(observed, matcher),
            _ => {
                let actual = observed.get(attribute).cloned().unwrap_or(Value::Null);
                AttrVerdict {
                    ok: matcher.matches(&actual),
                    actual,
                }
            }
        }
    }
}

pub(crate) fn validate_path(subject: &str) -> Result<(), String> {
    if !subject.starts_with('/') || subject.contains('\0') {
        return Err(format!(
            "not an absolute path: {subject:?} (expected a path starting with `/`)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
