//! One host's executions → ONE POSIX sh script (sent on stdin of `sh -s`), and the script's
//! output → one verdict per execution.
//!
//! Executions are grouped by module (modules that read the same thing share one section, e.g.
//! `directory` rides on `file`'s stat); each section probes all its distinct subjects. Each section is framed by `@@DS:<nonce>:B:<n>` / `@@DS:<nonce>:E:<n>:<status>`
//! lines, so a missing or garbled section becomes `error` for exactly its checks. The files
//! that modules want read whole are read first by ONE shared `grep` ([`super::reads`]) in a
//! section of its own (`@@DS:<nonce>:B:R`); a module whose files it did not reach reports
//! that for exactly the checks concerned. The other sections then run in two concurrent
//! lanes ([`Layout`]).

mod frames;
mod layout;
#[cfg(test)]
mod tests;
mod verdict;

pub use layout::Layout;
pub use verdict::{Verdict, evaluate, expected_json};

use super::{Observation, Probe, Read, Reads, module};
use crate::model::{Execution, ModuleKind};
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};
use verdict::other_os_family;

/// The programs the script itself starts besides its modules' ([`super::Module::programs`]):
/// the lanes' forwarding `cat`, the shared read's `grep` and `head`.
pub const PROGRAMS: [&str; 3] = ["cat", "grep", "head"];

/// How a transport bounds the probe on the host (`<this> <seconds> sh -s`, coreutils or
/// busybox `timeout`): the process group is killed when the seconds pass, whoever is left to
/// notice. The process module does not count it as a host's process.
pub const REMOTE_TIMEOUT: &str = "timeout -s KILL";

/// The ssh transport's remote command, run as `sh -c '<this>'` (`sudo -n sh -c '<this>'` with
/// `become`): it reads the time limit in seconds from the first line of stdin, then runs the
/// rest of stdin, the probe script, under [`REMOTE_TIMEOUT`] (plain `sh -s` where the host has
/// no `timeout`). The transport opens it before a re-check needs it (a spare session): it
/// then waits in `read`, and stdin's end (driftscope gone) ends it. The process module does
/// not count it as a host's process. No single quote, backslash or `!` in it: any login shell
/// passes it on.
pub const REMOTE_READER: &str = "read -r ds_secs || exit 0; if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL \"$ds_secs\" sh -s; else exec sh -s; fi";

/// Script prologue: a predictable environment, nothing written anywhere. It first prints the
/// shell's pid and process group (`@@PID <pid> <pgid>`, outside any section) so a transport
/// whose deadline passes can end what the probe started on the host.
const PROLOGUE: &str = "LC_ALL=C; export LC_ALL\n\
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH\n\
umask 077\n\
ds_pg=; read -r ds_pg ds_pg ds_pg ds_pg ds_pg ds_x < /proc/$$/stat 2>/dev/null; echo \"@@PID $$ ${ds_pg:-$$}\"\n";

/// The script for one host plus what is needed to read its output back.
#[derive(Debug, Clone)]
pub struct ProbeScript {
    pub text: String,
    nonce: String,
    sections: Vec<Section>,
}

#[derive(Debug, Clone)]
struct Section {
    module: ModuleKind,
    probes: Vec<Probe>,
}

/// A nonce for section frames, unique to this process and moment.
pub fn fresh_nonce() -> String {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}{:x}", t as u64, std::process::id())
}

impl ProbeScript {
    /// Build the script for these executions (any order; duplicates share a probe).
    pub fn build(executions: &[Execution]) -> ProbeScript {
        Self::build_with_layout(executions, Layout::default())
    }

    /// [`ProbeScript::build`] with the sections laid out as `layout` says.
    pub fn build_with_layout(executions: &[Execution], layout: Layout) -> ProbeScript {
        Self::build_with(executions, fresh_nonce(), layout)
    }

    /// [`ProbeScript::build`] with a given frame nonce (from [`fresh_nonce`]): hosts of one
    /// run that share a nonce and their executions get byte-identical scripts, which a
    /// batch transport sends once for all of them.
    pub fn build_with_nonce(executions: &[Execution], nonce: String) -> ProbeScript {
        Self::build_with(executions, nonce, Layout::default())
    }

    fn build_with(executions: &[Execution], nonce: String, layout: Layout) -> ProbeScript {
        let mut by_module: BTreeMap<ModuleKind, Vec<Probe>> = BTreeMap::new();
        for e in executions {
            let section = module(e.target.module).section();
            let probes = by_module.entry(section).or_default();
            let idx = match probes
                .iter()
                .position(|p| p.subject == e.target.subject && p.timeout == e.timeout)
            {
                Some(i) => i,
                None => {
                    let mut probe = Probe::new(&e.target.subject, &[]);
                    probe.timeout = e.timeout;
                    probes.push(probe);
                    probes.len() - 1
                }
            };
            if let Some(p) = probes.get_mut(idx) {
                p.wants.extend(e.expect.iter().map(|(a, _)| a.clone()));
            }
        }
        // A check limited to an OS family needs the host's os-release: one `os` probe (no
        // process, the shared read's files), answered like an `os` check's.
        if executions.iter().any(|e| !e.os_family.is_empty()) {
            let probes = by_module.entry(ModuleKind::Os).or_default();
            if !probes
                .iter()
                .any(|p| p.subject == OS_SUBJECT && p.timeout.is_none())
            {
                probes.push(Probe::new(OS_SUBJECT, &[]));
            }
            if let Some(p) = probes
                .iter_mut()
                .find(|p| p.subject == OS_SUBJECT && p.timeout.is_none())
            {
                p.wants.extend(["id".to_string(), "id_like".to_string()]);
            }
        }
        let mut sections = Vec::new();
        let mut reads: Vec<Read> = Vec::new();
        let mut parts = Vec::new();
        for (n, (kind, probes)) in by_module.into_iter().enumerate() {
            let m = module(kind);
            parts.push(layout::Part {
                text: frames::frame(&nonce, &n.to_string(), &m.fragment(&probes)),
                cost: m.cost(&probes),
            });
            reads.extend(m.reads(&probes));
            sections.push(Section {
                module: kind,
                probes,
            });
        }
        let read = if reads.is_empty() {
            String::new()
        } else {
            frames::frame(
                &nonce,
                frames::READ_SECTION,
                &super::reads::fragment(&reads),
            )
        };
        let text = format!("{PROLOGUE}{}", layout::lay_out(parts, read, layout));
        ProbeScript {
            text,
            nonce,
            sections,
        }
    }

    /// Read the host's output back into one verdict per execution (same order).
    /// `stdout` may be truncated or garbled: affected checks get `error`, never a panic.
    pub fn interpret(&self, stdout: &[u8], executions: &[Execution]) -> Vec<Verdict> {
        let mut payloads = frames::split(&self.nonce, self.sections.len(), stdout);
        // A shared read that is missing or cut short parses as incomplete: modules report
        // the files it did not reach.
        let reads = payloads
            .pop()
            .flatten()
            .map(Reads::parse_lines)
            .unwrap_or_default();
        // (module, subject, timeout) → observation
        type ProbeKey<'k> = (ModuleKind, &'k str, Option<std::time::Duration>);
        let mut observed: BTreeMap<ProbeKey, Observation> = BTreeMap::new();
        for (section, payload) in self.sections.iter().zip(payloads) {
            let n = section.probes.len();
            let obs = match payload {
                Some(lines) => {
                    let joined = lines.join(&b'\n');
                    let mut v =
                        module(section.module).parse_reads(&joined, &section.probes, &reads);
                    v.resize(
                        n,
                        Observation::Error("module parser returned too few results".into()),
                    );
                    v
                }
                None => vec![
                    Observation::Error(format!(
                        "{} probe output missing or cut short",
                        section.module
                    ));
                    n
                ],
            };
            for (probe, o) in section.probes.iter().zip(obs) {
                observed.insert((section.module, probe.subject.as_str(), probe.timeout), o);
            }
        }
        let os = observed.get(&(ModuleKind::Os, OS_SUBJECT, None));
        executions
            .iter()
            .map(|e| {
                if let Some(why) = other_os_family(e, os) {
                    return evaluate(e, &Observation::NotApplicable(why));
                }
                // By reference: a file's observation may hold its content.
                let key = (
                    module(e.target.module).section(),
                    e.target.subject.as_str(),
                    e.timeout,
                );
                match observed.get(&key) {
                    Some(obs) => evaluate(e, obs),
                    None => evaluate(e, &Observation::Error("no probe ran for this check".into())),
                }
            })
            .collect()
    }
}

/// The `os` module's one subject.
const OS_SUBJECT: &str = "release";
