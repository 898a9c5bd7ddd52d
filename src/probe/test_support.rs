//! Test support for the probe modules' unit tests: an execution in one line, and a probe
//! script run by the real `/bin/sh` of this machine (what a `local` host does), so a
//! module's fragment, parser and evaluator are tested together on real files.

use super::Programs;
use super::batch::{ProbeScript, Verdict};
use crate::model::{
    CheckKind, ExecKey, Execution, Matcher, ModuleKind, ProbeTarget, Severity, Value,
};
use std::io::Write;
use std::process::{Command, Stdio};

/// A check of `module` on `subject` expecting each `(attribute, declared matcher)`.
pub(crate) fn exec(module: ModuleKind, subject: &str, expect: &[(&str, Value)]) -> Execution {
    Execution {
        key: ExecKey(format!("{module}[{subject}]")),
        check_id: module.to_string(),
        title: subject.into(),
        category: "test".into(),
        kind: CheckKind::Runtime,
        severity: Severity::Medium,
        target: ProbeTarget {
            module,
            subject: subject.into(),
        },
        expect: expect
            .iter()
            .map(|(a, m)| {
                let matcher = Matcher::parse(m).unwrap_or_else(|e| panic!("{m}: {e}"));
                (a.to_string(), matcher)
            })
            .collect(),
        sop: None,
        timeout: None,
        secret: None,
        os_family: Vec::new(),
    }
}

/// Build the probe script for `executions`, run it with `sh -s` here, read the verdicts back.
pub(crate) fn run_here(executions: &[Execution]) -> Vec<Verdict> {
    let script = ProbeScript::build(executions);
    let mut child = Command::new("sh")
        .arg("-s")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.text.as_bytes())
            .expect("script written");
    }
    let out = child.wait_with_output().expect("sh finishes");
    script.interpret(&out.stdout, executions)
}

/// What a module declares to the rest of driftscope, as `driftscope checks` and config
/// validation use it: its kind (which selects its section of the batch), the programs its
/// fragment may start (the read-only contract), the attributes a check may name (others are a
/// config error) and what a check without `expect` asserts.
pub(crate) fn assert_contract(
    kind: ModuleKind,
    programs: Programs,
    attributes: &[&str],
    default_expect: (&str, Value),
) {
    let m = super::module(kind);
    assert_eq!(m.kind(), kind);
    assert_eq!(m.programs(), programs, "{kind}: allow-list");
    assert_eq!(m.attributes(), attributes, "{kind}: attributes");
    assert_eq!(m.default_expect(), default_expect, "{kind}: default expect");
}
