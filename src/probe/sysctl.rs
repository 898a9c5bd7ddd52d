//! sysctl: read `/proc/sys/<key with dots as slashes>` directly — no `sysctl` binary, and
//! no fork of its own: shell builtins classify each key, the host's shared read
//! ([`super::reads`]) reads the values with full-size reads.

use super::quote::sh_quote;
use super::{Attributes, Module, Observation, Probe, Programs, Read, Reads};
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
    fn programs(&self) -> Programs {
        Programs::Only(&[])
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["value", "exists"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("exists", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        let charset_ok = subject
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c));
        if subject.is_empty()
            || !charset_ok
            || subject.contains("..")
            || subject.contains("//")
            || subject.starts_with(['/', '.'])
        {
            return Err(format!(
                "not a sysctl key: {subject:?} (expected dot-separated names of letters, digits, `_`, `-`, e.g. net.ipv4.ip_forward)"
            ));
        }
        Ok(())
    }
    fn cost(&self, _probes: &[Probe]) -> u32 {
        0 // builtins; the values come from the shared read
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        // Builtins classify each key (`@<i> denied|missing`); the shared read reads every
        // readable file with a full-size read. (The shell's `read` builtin reads one byte at
        // a time, and integer sysctls answer a read at offset > 0 with EOF: "4096" reads as
        // "4".)
        let mut s = String::new();
        for (i, probe) in probes.iter().enumerate() {
            let p = sh_quote(&proc_path(&probe.subject));
            s.push_str(&format!(
                "if ! [ -r {p} ]; then if [ -e {p} ]; then echo '@{i} denied'; else echo '@{i} missing'; fi; fi\n"
            ));
        }
        s.push_str("echo '@@END'");
        s
    }
    fn reads(&self, probes: &[Probe]) -> Vec<Read> {
        probes
            .iter()
            .map(|p| Read::System(proc_path(&p.subject)))
            .collect()
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], reads: &Reads) -> Vec<Observation> {
        let lines = super::lossy_lines(output);
        if !lines.iter().any(|l| l == "@@END") {
            return vec![Observation::Error("sysctl probe output cut short".into()); probes.len()];
        }
        let mut status: Vec<Option<String>> = vec![None; probes.len()];
        for (i, s, _) in super::tagged_lines(output, probes.len()) {
            status[i] = Some(s);
        }
        probes
            .iter()
            .zip(status)
            .map(|(probe, status)| {
                let path = proc_path(&probe.subject);
                let mut a = Attributes::new();
                match status.as_deref() {
                    Some("missing") => {
                        a.insert("exists".into(), Value::Bool(false));
                        a.insert("value".into(), Value::Null);
                        return Observation::Observed(a);
                    }
                    Some(_) => {
                        return Observation::Error(format!("permission denied reading {path}"));
                    }
                    None => {}
                }
                // Multi-line values keep the first line; multi-value sysctls (tabs) are
                // normalized to single spaces.
                match reads.lines(&path).and_then(|l| l.first()) {
                    Some((_, value)) => {
                        let value = String::from_utf8_lossy(value);
                        let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
                        a.insert("exists".into(), Value::Bool(true));
                        a.insert("value".into(), Value::String(v));
                        Observation::Observed(a)
                    }
                    None if !reads.complete() => {
                        Observation::Error(format!("{path} was not read (output cut short)"))
                    }
                    None => Observation::Error(format!(
                        "{path} exists but reading it gave no value (write-only?)"
                    )),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_output_values_missing_and_multi_value() {
        // Captured as root; `vm.stat_refresh` is mode 0200 (write-only), `kernel.secret` absent.
        let out = include_bytes!("testdata/sysctl/proc-sys.out");
        let subs = [
            "net.core.somaxconn",
            "net.nope",
            "net.ipv4.tcp_rmem",
            "kernel.ostype",
            "vm.stat_refresh",
        ];
        let probes: Vec<Probe> = subs.iter().map(|s| Probe::new(s, &["value"])).collect();
        let obs = Sysctl.parse(out, &probes);
        assert_eq!(
            obs[0],
            Observation::Observed(Attributes::from([
                ("exists".into(), Value::Bool(true)),
                ("value".into(), "4096".into())
            ])),
            "a multi-digit value is read whole"
        );
        assert!(matches!(&obs[1], Observation::Observed(a) if a["exists"] == Value::Bool(false)));
        assert!(
            matches!(&obs[2], Observation::Observed(a) if a["value"].as_str().unwrap().split(' ').count() == 3)
        );
        assert!(matches!(&obs[3], Observation::Observed(a) if a["value"] == "Linux"));
        assert!(
            matches!(&obs[4], Observation::Error(e) if e.contains("write-only")),
            "{:?}",
            obs[4]
        );
        let cut = Sysctl.parse(b"/proc/sys/kernel/ostype:Linux\n", &probes);
        assert!(cut.iter().all(|o| matches!(o, Observation::Error(_))));
        // The section ran but the shared read never came back: readable keys are errors,
        // what the builtins already answered stands.
        let (own, _) = crate::probe::reads::split_capture(out);
        let obs = Sysctl.parse(own, &probes);
        assert!(matches!(&obs[0], Observation::Error(e) if e.contains("cut short")));
        assert!(matches!(&obs[1], Observation::Observed(a) if a["exists"] == Value::Bool(false)));
    }

    #[test]
    fn keys_with_slashes_swap_separators() {
        assert_eq!(
            proc_path("net.ipv4.conf.eth0/100.rp_filter"),
            "/proc/sys/net/ipv4/conf/eth0.100/rp_filter"
        );
        assert!(Sysctl.validate_subject("/etc/passwd").is_err());
        assert!(
            Sysctl
                .validate_subject("net.ipv4.conf.eth0/100.rp_filter")
                .is_ok()
        );
        let e = Sysctl.validate_subject("kernel.x:y").unwrap_err();
        assert!(e.contains("e.g. net.ipv4.ip_forward"), "{e}");
        assert!(Sysctl.validate_subject("a b").is_err());
    }
}
