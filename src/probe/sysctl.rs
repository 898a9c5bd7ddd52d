//! sysctl: read `/proc/sys/<key with dots as slashes>` directly — no `sysctl` binary, and
//! no fork per key: the shell's `read` builtin reads each file.

use super::quote::sh_quote;
use super::{Attributes, Module, Observation, Probe};
use crate::model::{ModuleKind, Value};

pub struct Sysctl;

/// `net.ipv4.ip_forward` → `/proc/sys/net/ipv4/ip_forward`. As with sysctl(8), a key that
/// contains `/` uses `/` as the separator and `.` literally (`net.ipv4.conf.eth0/100.rp_filter`
/// is written `net/ipv4/conf/eth0.100/rp_filter`).
fn proc_path(key: &str) -> String {
    let path: String = if key.contains('/') {
        key.chars()
            .map(|c| match c {
                '.' => '/',
                '/' => '.',
                c => c,
            })
            .collect()
    } else {
        key.replace('.', "/")
    };
    format!("/proc/sys/{path}")
}

impl Module for Sysctl {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Sysctl
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["value", "exists"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("exists", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        if subject.is_empty() || subject.contains("..") || subject.starts_with('/') {
            return Err(format!(
                "not a sysctl key: {subject:?} (expected e.g. net.ipv4.ip_forward)"
            ));
        }
        Ok(())
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        // One line per key: `<index> ok <value>` or `<index> missing`. `read` joins nothing
        // and forks nothing; multi-line values (rare) keep their first line.
        let mut s = String::new();
        for (i, probe) in probes.iter().enumerate() {
            let p = sh_quote(&proc_path(&probe.subject));
            s.push_str(&format!(
                "v=; if {{ IFS= read -r v || [ -n \"$v\" ]; }} 2>/dev/null <{p}; then printf '{i} ok %s\\n' \"$v\"; \
                 elif [ -e {p} ]; then echo '{i} denied'; else echo '{i} missing'; fi\n"
            ));
        }
        s
    }
    fn parse(&self, output: &[u8], probes: &[Probe]) -> Vec<Observation> {
        let mut out = vec![None; probes.len()];
        for line in super::lossy_lines(output) {
            let mut parts = line.splitn(3, ' ');
            let (Some(idx), Some(status)) = (parts.next(), parts.next()) else {
                continue;
            };
            let Ok(idx) = idx.parse::<usize>() else {
                continue;
            };
            let Some(slot) = out.get_mut(idx) else {
                continue;
            };
            *slot = Some(match status {
                "ok" => {
                    // Multi-value sysctls use tabs; normalize to single spaces.
                    let v = parts
                        .next()
                        .unwrap_or("")
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    let mut a = Attributes::new();
                    a.insert("exists".into(), Value::Bool(true));
                    a.insert("value".into(), Value::String(v));
                    Observation::Observed(a)
                }
                "missing" => {
                    let mut a = Attributes::new();
                    a.insert("exists".into(), Value::Bool(false));
                    a.insert("value".into(), Value::Null);
                    Observation::Observed(a)
                }
                "denied" => Observation::Error(format!(
                    "permission denied reading {}",
                    proc_path(&probes[idx].subject)
                )),
                other => Observation::Error(format!("unexpected probe output {other:?}")),
            });
        }
        out.into_iter()
            .map(|o| o.unwrap_or_else(|| Observation::Error("no output for this key".into())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values_missing_and_garbage() {
        let out = b"0 ok 2\n1 missing\n2 ok 4096\t87380\t6291456\n3 denied\nzzz\n";
        let subs = [
            "kernel.randomize_va_space",
            "net.nope",
            "net.ipv4.tcp_rmem",
            "kernel.secret",
            "x.y",
        ];
        let probes: Vec<Probe> = subs.iter().map(|s| Probe::new(s, &["value"])).collect();
        let obs = Sysctl.parse(out, &probes);
        assert_eq!(
            obs[0],
            Observation::Observed(Attributes::from([
                ("exists".into(), Value::Bool(true)),
                ("value".into(), "2".into())
            ]))
        );
        assert!(matches!(&obs[1], Observation::Observed(a) if a["exists"] == Value::Bool(false)));
        assert!(matches!(&obs[2], Observation::Observed(a) if a["value"] == "4096 87380 6291456"));
        assert!(matches!(&obs[3], Observation::Error(e) if e.contains("permission denied")));
        assert!(matches!(&obs[4], Observation::Error(_)));
    }
}
