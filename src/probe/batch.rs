//! One host's executions → ONE POSIX sh script (sent on stdin of `sh -s`), and the script's
//! output → one verdict per execution.
//!
//! Executions are grouped by module (modules that read the same thing share one section, e.g.
//! `directory` rides on `file`'s stat); each section probes all its distinct subjects. Each section is framed by `@@DS:<nonce>:B:<n>` / `@@DS:<nonce>:E:<n>:<status>`
//! lines, so a missing or garbled section becomes `error` for exactly its checks. The files
//! that modules want read whole are read first by ONE shared `grep` ([`super::reads`]) in a
//! section of its own (`@@DS:<nonce>:B:R`); a module whose files it did not reach reports
//! that for exactly the checks concerned. The other sections then run in two concurrent
//! lanes ([`lay_out`]).

use super::{EvalContext, Observation, Probe, Read, Reads, module, secret};
use crate::model::{Execution, ModuleKind, Outcome, Value};
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

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

/// The id of the shared-read section in its frame markers.
const READ_SECTION: &str = "R";

/// How a script runs its sections after the shared read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Two concurrent lanes balanced by cost ([`lay_out`]); what [`ProbeScript::build`] uses.
    #[default]
    Lanes,
    /// One after the other (the benchmark's comparison: less CPU, more wall clock).
    Sequential,
}

/// One framed section of the script and its estimated cost.
struct Part {
    text: String,
    cost: u32,
}

/// One section's fragment framed by its begin/end markers: a brace group (no subshell fork)
/// whose stderr joins stdout, so parsers see errors.
fn frame(nonce: &str, id: &str, fragment: &str) -> String {
    format!(
        "printf '\\n@@DS:{nonce}:B:{id}\\n'\n{{\n{fragment}\n}} 2>&1 </dev/null\nprintf '\\n@@DS:{nonce}:E:{id}:%s\\n' \"$?\"\n"
    )
}

/// Lay the sections out: the shared read first, on its own (the process table it reads then
/// holds none of the probe's lanes), then the sections in two lanes that run concurrently,
/// balanced by cost: the piped lane runs in a subshell whose output waits in a pipe; the
/// direct lane writes to stdout and then forwards the pipe with `cat`. A section's output is
/// never interleaved with another's. Fewer than two sections that start processes: one
/// lane, no pipe.
fn lay_out(parts: Vec<Part>, read: String, layout: Layout) -> String {
    let busy = parts.iter().filter(|p| p.cost > 0).count();
    if busy < 2 || layout == Layout::Sequential {
        return read + &parts.iter().map(|p| p.text.as_str()).collect::<String>();
    }
    let mut by_cost: Vec<usize> = (0..parts.len()).collect();
    by_cost.sort_by_key(|&i| std::cmp::Reverse(parts[i].cost));
    let (mut piped, mut direct) = (Vec::new(), Vec::new());
    let (mut piped_load, mut direct_load) = (0, 0);
    for i in by_cost {
        if piped_load <= direct_load {
            piped.push(i);
            piped_load += parts[i].cost;
        } else {
            direct.push(i);
            direct_load += parts[i].cost;
        }
    }
    piped.sort_unstable();
    direct.sort_unstable();
    let lane = |ids: &[usize]| -> String { ids.iter().map(|&i| parts[i].text.as_str()).collect() };
    format!(
        "{read}{{\n{}}} | {{\n{}cat\n}}\n",
        lane(&piped),
        lane(&direct)
    )
}

#[derive(Debug, Clone)]
struct Section {
    module: ModuleKind,
    probes: Vec<Probe>,
}

/// The verdict on one execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    /// `{attribute: declared matcher}`.
    pub expected: Value,
    /// `{attribute: observed value}` (empty object when nothing was observed).
    pub actual: Value,
    pub reason: Option<String>,
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
            parts.push(Part {
                text: frame(&nonce, &n.to_string(), &m.fragment(&probes)),
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
            frame(&nonce, READ_SECTION, &super::reads::fragment(&reads))
        };
        let text = format!("{PROLOGUE}{}", lay_out(parts, read, layout));
        ProbeScript {
            text,
            nonce,
            sections,
        }
    }

    /// Split output into per-section payloads, the shared read's last; `None` where a
    /// section never completed.
    fn split<'a>(&self, stdout: &'a [u8]) -> Vec<Option<Vec<&'a [u8]>>> {
        let begin = format!("@@DS:{}:B:", self.nonce);
        let end = format!("@@DS:{}:E:", self.nonce);
        let slots = self.sections.len() + 1;
        let slot = |id: &str| match id {
            READ_SECTION => Some(self.sections.len()),
            n => n.parse::<usize>().ok().filter(|n| *n < self.sections.len()),
        };
        let mut done: Vec<Option<Vec<&[u8]>>> = vec![None; slots];
        let mut current: Option<(usize, Vec<&[u8]>)> = None;
        for line in stdout.split(|b| *b == b'\n') {
            if let Some(rest) = line.strip_prefix(begin.as_bytes()) {
                current = std::str::from_utf8(rest)
                    .ok()
                    .and_then(slot)
                    .map(|n| (n, Vec::new()));
            } else if let Some(rest) = line.strip_prefix(end.as_bytes()) {
                let idx = std::str::from_utf8(rest)
                    .ok()
                    .and_then(|s| s.split(':').next())
                    .and_then(slot);
                if let Some((n, mut lines)) = current.take()
                    && idx == Some(n)
                {
                    // The end marker's leading newline leaves one artificial empty line.
                    if lines.last().is_some_and(|l| l.is_empty()) {
                        lines.pop();
                    }
                    done[n] = Some(lines);
                }
            } else if let Some((_, lines)) = current.as_mut() {
                lines.push(line);
            }
        }
        done
    }

    /// Read the host's output back into one verdict per execution (same order).
    /// `stdout` may be truncated or garbled: affected checks get `error`, never a panic.
    pub fn interpret(&self, stdout: &[u8], executions: &[Execution]) -> Vec<Verdict> {
        let mut payloads = self.split(stdout);
        // A shared read that is missing or cut short parses as incomplete: modules report
        // the files it did not reach.
        let reads = payloads
            .pop()
            .flatten()
            .map(|lines| Reads::parse(&lines.join(&b'\n')))
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

/// Why `e` does not apply to this host: its `os_family` names neither the host's os-release
/// `ID` nor any `ID_LIKE` word. `None` when it applies, and when the host's OS is unknown
/// (no os-release, output cut short): then the check runs and says what it finds.
fn other_os_family(e: &Execution, os: Option<&Observation>) -> Option<String> {
    if e.os_family.is_empty() {
        return None;
    }
    let Some(Observation::Observed(attrs)) = os else {
        return None;
    };
    let id = attrs.get("id").and_then(Value::as_str).unwrap_or("");
    let like: Vec<&str> = attrs
        .get("id_like")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if id.is_empty()
        || e.os_family
            .iter()
            .any(|f| f == id || like.contains(&f.as_str()))
    {
        return None;
    }
    let host = if like.is_empty() {
        id.to_string()
    } else {
        format!("{id} (like {})", like.join(" "))
    };
    Some(format!(
        "only for os_family {}: this host is {host}",
        e.os_family.join(", ")
    ))
}

/// The declared expectations of an execution as a JSON object.
pub fn expected_json(e: &Execution) -> Value {
    Value::Object(
        e.expect
            .iter()
            .map(|(attr, m)| (attr.clone(), m.to_json()))
            .collect(),
    )
}

/// Apply an execution's matchers to an observation. A `secret = true` execution's
/// content-derived values leave here only redacted ([`secret::redact`]).
pub fn evaluate(e: &Execution, obs: &Observation) -> Verdict {
    let mut verdict = evaluate_clear(e, obs);
    if e.secret == Some(true) {
        secret::redact(
            &mut verdict.actual,
            module(e.target.module).content_attributes(),
        );
    }
    verdict
}

fn evaluate_clear(e: &Execution, obs: &Observation) -> Verdict {
    let expected = expected_json(e);
    match obs {
        Observation::NotApplicable(why) => Verdict {
            outcome: Outcome::NotApplicable,
            expected,
            actual: Value::Object(Default::default()),
            reason: Some(why.clone()),
        },
        Observation::Error(why) => Verdict {
            outcome: Outcome::Error,
            expected,
            actual: Value::Object(Default::default()),
            reason: Some(why.clone()),
        },
        Observation::Observed(attrs) => {
            let m = module(e.target.module);
            let context = EvalContext {
                subject: &e.target.subject,
                secret: e.secret,
            };
            let mut actual = serde_json::Map::new();
            let mut failed = Vec::new();
            let mut errors = Vec::new();
            let waived = attrs
                .get(super::ERRORS_WAIVED_BY)
                .and_then(Value::as_str)
                .is_some_and(|w| e.expect.iter().any(|(a, _)| a == w));
            for (attr, matcher) in &e.expect {
                // A module may answer the subject but not one attribute (e.g. a file's
                // mode is known, its content unreadable): that check is an error.
                if !waived && let Some(why) = attrs.get(&super::attr_error_key(attr)) {
                    errors.push(why.as_str().unwrap_or("attribute unavailable").to_string());
                    continue;
                }
                let v = m.evaluate_in(&context, attrs, attr, matcher);
                if !v.ok {
                    failed.push(attr.as_str());
                }
                actual.insert(attr.clone(), v.actual);
            }
            let (outcome, reason) = if !errors.is_empty() {
                (Outcome::Error, Some(errors.join("; ")))
            } else if failed.is_empty() {
                (Outcome::Pass, None)
            } else {
                (
                    Outcome::Fail,
                    Some(format!("differs: {}", failed.join(", "))),
                )
            };
            Verdict {
                outcome,
                expected,
                actual: Value::Object(actual),
                reason,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CheckKind, ExecKey, Matcher, ProbeTarget, Severity};

    fn sysctl_exec(key: &str, want: &str) -> Execution {
        Execution {
            key: ExecKey(format!("sysctl[{key}]")),
            check_id: "sysctl".into(),
            title: key.into(),
            category: "kernel".into(),
            kind: CheckKind::Runtime,
            severity: Severity::Medium,
            target: ProbeTarget {
                module: ModuleKind::Sysctl,
                subject: key.into(),
            },
            expect: vec![("value".into(), Matcher::Equals(Value::String(want.into())))],
            sop: None,
            timeout: None,
            secret: None,
            os_family: Vec::new(),
        }
    }

    #[test]
    fn a_check_for_another_os_family_is_not_applicable_decided_on_the_host() {
        let only = |key: &str, families: &[&str]| {
            let mut e = sysctl_exec(key, "1");
            e.os_family = families.iter().map(|f| f.to_string()).collect();
            e
        };
        let execs = vec![
            only("a.b", &["rhel", "fedora"]),
            only("c.d", &["debian"]),
            sysctl_exec("e.f", "1"),
        ];
        let script = ProbeScript::build_with_nonce(&execs, "N".into());
        assert!(script.text.contains("'/etc/os-release'"), "{}", script.text);
        let frames = |os_release: &str| {
            format!(
                "\n@@DS:N:B:0\n@@END\n\n@@DS:N:E:0:0\n\n@@DS:N:B:1\n@@END\n\n@@DS:N:E:1:0\n\
                 \n@@DS:N:B:R\n/proc/sys/a/b\x001:1\n/proc/sys/c/d\x001:1\n/proc/sys/e/f\x001:1\n\
                 {os_release}/proc/sys/kernel/osrelease\x001:6.1.0\n\n@@READEND\n\n@@DS:N:E:R:0\n"
            )
        };
        // Ubuntu: ID=ubuntu, ID_LIKE=debian.
        let ubuntu =
            frames("/etc/os-release\x001:ID=ubuntu\n/etc/os-release\x002:ID_LIKE=debian\n");
        let v = script.interpret(ubuntu.as_bytes(), &execs);
        assert_eq!(v[0].outcome, Outcome::NotApplicable, "{v:?}");
        assert_eq!(
            v[0].reason.as_deref(),
            Some("only for os_family rhel, fedora: this host is ubuntu (like debian)")
        );
        assert_eq!(v[1].outcome, Outcome::Pass, "ID_LIKE matches: {v:?}");
        assert_eq!(v[2].outcome, Outcome::Pass, "{v:?}");
        // Rocky: ID=rocky, ID_LIKE="rhel centos fedora".
        let rocky = frames(
            "/etc/os-release\x001:ID=\"rocky\"\n/etc/os-release\x002:ID_LIKE=\"rhel centos fedora\"\n",
        );
        let v = script.interpret(rocky.as_bytes(), &execs);
        assert_eq!(v[0].outcome, Outcome::Pass, "{v:?}");
        assert_eq!(v[1].outcome, Outcome::NotApplicable, "{v:?}");
        // No os-release at all: the OS is unknown, every check runs.
        let v = script.interpret(frames("").as_bytes(), &execs);
        assert!(v.iter().all(|v| v.outcome == Outcome::Pass), "{v:?}");
        // Without an os_family anywhere, no os probe is added.
        let plain = ProbeScript::build_with_nonce(&execs[2..], "N".into());
        assert!(!plain.text.contains("os-release"), "{}", plain.text);
    }

    #[test]
    fn a_section_cut_short_is_error_for_its_checks_only() {
        let execs = vec![
            sysctl_exec("a.b", "1"),
            exec_on(ModuleKind::User, "root", "exists", Value::Bool(true)),
        ];
        let script = ProbeScript::build_with_nonce(&execs, "N".into());
        assert!(script.text.contains("@@DS:N:B:R"), "{}", script.text);
        let user = "\n@@DS:N:B:1\nroot:x:0:0:root:/root:/bin/sh\n@@RC 0\n\n@@DS:N:E:1:0\n";
        let sysctl = "\n@@DS:N:B:0\n@@END\n\n@@DS:N:E:0:0\n";
        let read = "\n@@DS:N:B:R\n/proc/sys/a/b\x001:1\n\n@@READEND\n\n@@DS:N:E:R:0\n";
        let ok = format!("{sysctl}{user}{read}");
        let v = script.interpret(ok.as_bytes(), &execs);
        assert_eq!(v[0].outcome, Outcome::Pass, "{v:?}");
        assert_eq!(v[1].outcome, Outcome::Pass, "{v:?}");
        // The sysctl section itself cut short.
        let cut = format!("{user}\n@@DS:N:B:0\n");
        let v = &script.interpret(cut.as_bytes(), &execs);
        assert_eq!(v[0].outcome, Outcome::Error);
        assert!(v[0].reason.as_deref().unwrap_or("").contains("cut short"));
        assert_eq!(v[1].outcome, Outcome::Pass);
        // The shared read cut short: only what needed it is an error.
        let cut = format!("{sysctl}{user}\n@@DS:N:B:R\n/proc/sys/a/b");
        let v = &script.interpret(cut.as_bytes(), &execs);
        assert_eq!(v[0].outcome, Outcome::Error);
        assert!(
            v[0].reason.as_deref().unwrap_or("").contains("cut short"),
            "{v:?}"
        );
        assert_eq!(v[1].outcome, Outcome::Pass);
        // A forged marker with another nonce is content, not framing.
        let forged = format!(
            "{sysctl}{user}\n@@DS:N:B:R\n@@DS:X:E:R:0\n/proc/sys/a/b\x001:2\n@@READEND\n\n@@DS:N:E:R:0\n"
        );
        assert_eq!(
            script.interpret(forged.as_bytes(), &execs)[0].outcome,
            Outcome::Fail
        );
    }

    #[test]
    fn sections_that_start_processes_run_in_two_lanes() {
        // Builtins only (sysctl) plus the shared read: one lane, no pipe.
        let one = ProbeScript::build(&[sysctl_exec("a.b", "1")]);
        assert!(!one.text.contains("} | {"), "{}", one.text);
        assert!(!one.text.contains("cat\n}"), "{}", one.text);
        // Sections that start processes: the read first and alone, then two lanes balanced
        // by cost, the forwarding cat at the end of the direct one.
        let execs = vec![
            sysctl_exec("a.b", "1"),
            exec_on(ModuleKind::User, "root", "exists", Value::Bool(true)),
            exec_on(ModuleKind::Group, "root", "exists", Value::Bool(true)),
            exec_on(ModuleKind::Package, "bash", "installed", Value::Bool(true)),
        ];
        let two = ProbeScript::build_with_nonce(&execs, "N".into());
        let (read, lanes) = two.text.split_once(":E:R:%s").expect("a shared read");
        assert!(
            read.contains("@@DS:N:B:R"),
            "the read first, alone:\n{}",
            two.text
        );
        assert_eq!(read.matches(":B:").count(), 1, "{read}");
        let (piped, direct) = lanes.split_once("} | {").expect("two lanes");
        assert!(direct.ends_with("cat\n}\n"), "{direct}");
        let count = |lane: &str| lane.matches(":B:").count();
        // user, group, package: 1 each; sysctl: 0 — two and two.
        assert_eq!((count(piped), count(direct)), (2, 2), "{lanes}");
        // The benchmark's sequential layout: the same sections, no pipe.
        let seq = ProbeScript::build_with_layout(&execs, Layout::Sequential);
        assert!(!seq.text.contains("} | {"), "{}", seq.text);
        assert_eq!(seq.text.matches(":B:").count(), 5);
    }

    #[test]
    fn same_subject_is_probed_once() {
        let execs = vec![sysctl_exec("a.b", "1"), sysctl_exec("a.b", "2")];
        let script = ProbeScript::build(&execs);
        assert_eq!(
            script.text.matches("/proc/sys/a/b").count(),
            2,
            "{}",
            script.text
        );
    }

    fn exec_on(module: ModuleKind, subject: &str, attr: &str, want: Value) -> Execution {
        let mut e = sysctl_exec("x", "1");
        e.target = ProbeTarget {
            module,
            subject: subject.into(),
        };
        e.expect = vec![(attr.into(), Matcher::Equals(want))];
        e
    }

    #[test]
    fn file_and_directory_share_one_stat_and_wants_are_merged() {
        let execs = vec![
            exec_on(ModuleKind::File, "/etc/app.conf", "mode", "0644".into()),
            exec_on(ModuleKind::Directory, "/var/lib/app", "mode", "0750".into()),
            exec_on(
                ModuleKind::File,
                "/etc/app.conf",
                "contains",
                "^a=1$".into(),
            ),
        ];
        let script = ProbeScript::build(&execs);
        assert_eq!(
            script.text.matches("stat --printf").count(),
            1,
            "{}",
            script.text
        );
        // contains is wanted for app.conf only: content is read for it alone.
        assert!(
            script
                .text
                .contains("grep -a -Z -H -n -m 20000 '' -- '/etc/app.conf' 2>/dev/null")
        );
        assert!(!script.text.contains("sha256sum"));
    }

    #[test]
    fn an_attribute_the_probe_could_not_read_is_error_for_that_check_only() {
        let mode = exec_on(ModuleKind::File, "/s", "mode", "0600".into());
        let content = exec_on(ModuleKind::File, "/s", "contains", "x".into());
        let mut attrs = super::super::Attributes::new();
        attrs.insert("exists".into(), Value::Bool(true));
        attrs.insert("mode".into(), "0600".into());
        attrs.insert(
            super::super::attr_error_key("contains"),
            "permission denied reading \"/s\"".into(),
        );
        let obs = Observation::Observed(attrs);
        assert_eq!(evaluate(&mode, &obs).outcome, Outcome::Pass);
        let v = evaluate(&content, &obs);
        assert_eq!(v.outcome, Outcome::Error);
        assert_eq!(
            v.reason.as_deref(),
            Some("permission denied reading \"/s\"")
        );
    }
}
