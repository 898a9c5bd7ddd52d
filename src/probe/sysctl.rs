//! sysctl: read `/proc/sys/<key with dots as slashes>` directly — no `sysctl` binary, and
//! no fork of its own: shell builtins classify each key, the host's shared read
//! ([`super::reads`]) reads the values with full-size reads.

use super::quote::sh_quote;
use super::{Attributes, Module, Observation, Probe, Programs, Read, Reads};
use crate::model::{ModuleKind, Value};

pub struct Sysctl;

/// `net.ipv4.ip_forward` → `/proc/sys/net/ipv4/ip_forward`, by procps's rule: when the first
/// separator is a `.`, every `.` and `/` swap (`net.ipv4.conf.eth0/100.rp_filter` →
/// `net/ipv4/conf/eth0.100/rp_filter`); when it is a `/`, the key is the path as written
/// (`net/ipv4/conf/eth0.100/rp_filter`, `kernel/ostype`).
fn proc_path(key: &str) -> String {
    let path: String = match key.find(['.', '/']) {
        Some(i) if key.as_bytes()[i] == b'.' => key
            .chars()
            .map(|c| match c {
                '.' => '/',
                '/' => '.',
                c => c,
            })
            .collect(),
        _ => key.to_string(),
    };
    format!("/proc/sys/{path}")
}

/// A value as `sysctl -n` prints it: lines joined by `\n`, runs of blanks within a line
/// (the tabs of `net.ipv4.tcp_rmem`) as one space.
fn value_text(lines: &super::reads::Lines) -> String {
    lines
        .iter()
        .map(|(_, l)| {
            String::from_utf8_lossy(l)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
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
        // "4".) A readable key whose first `read` gives nothing is either empty
        // (`vm.stat_refresh`) or fails to read (`stable_secret`: EIO): only for those one
        // `cat` tells which (`@<i> empty` or `@<i> failed <cat's error>`).
        let mut s = String::new();
        for (i, probe) in probes.iter().enumerate() {
            let p = sh_quote(&proc_path(&probe.subject));
            s.push_str(&format!(
                "ds_p={p}; if ! [ -r \"$ds_p\" ]; then \
                 if [ -e \"$ds_p\" ]; then echo '@{i} denied'; else echo '@{i} missing'; fi; \
                 else ds_l=; if ! read -r ds_l < \"$ds_p\" && [ -z \"$ds_l\" ]; then \
                 if ds_l=$(cat -- \"$ds_p\" 2>&1) && [ -z \"$ds_l\" ]; then echo '@{i} empty'; \
                 else printf '@{i} failed %s\\n' \"${{ds_l##*: }}\"; fi; fi; fi 2>/dev/null\n"
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
        let mut status: Vec<Option<(String, String)>> = vec![None; probes.len()];
        for (i, s, rest) in super::tagged_lines(output, probes.len()) {
            status[i] = Some((s, rest));
        }
        probes
            .iter()
            .zip(status)
            .map(|(probe, status)| {
                let path = proc_path(&probe.subject);
                let (status, detail) = status.unwrap_or_default();
                let mut a = Attributes::new();
                a.insert("exists".into(), Value::Bool(status != "missing"));
                // `exists` is known without the value: only checks naming `value` get `error`.
                let value = match status.as_str() {
                    "missing" => Ok(Value::Null),
                    "denied" => Err(format!(
                        "{path} is not readable (a write-only key, or not readable as this user)"
                    )),
                    "empty" => Ok(Value::String(String::new())),
                    "failed" => Err(format!("reading {path} failed: {}", detail.trim())),
                    _ => match reads.lines(&path) {
                        Some(lines) => Ok(Value::String(value_text(lines))),
                        None if !reads.complete() => {
                            Err(format!("{path} was not read (output cut short)"))
                        }
                        None => Err(format!("{path} exists but reading it gave no value")),
                    },
                };
                match value {
                    Ok(v) => {
                        a.insert("value".into(), v);
                    }
                    Err(why) => {
                        a.insert("value".into(), Value::Null);
                        a.insert(super::attr_error_key("value"), Value::String(why));
                    }
                }
                Observation::Observed(a)
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
        // Captured before `@<i> empty|failed` existed: a readable key without a value is
        // still known to exist; only its value is an error.
        assert_eq!(crate::probe::observed_attr(&obs, 4, "exists"), true);
        assert!(
            crate::probe::observed_attr(&obs, 4, &crate::probe::attr_error_key("value"))
                .as_str()
                .is_some_and(|e| e.contains("gave no value")),
            "{:?}",
            obs[4]
        );
        let cut = Sysctl.parse(b"/proc/sys/kernel/ostype:Linux\n", &probes);
        assert!(cut.iter().all(|o| matches!(o, Observation::Error(_))));
        // The section ran but the shared read never came back: readable keys exist and their
        // values are errors; what the builtins already answered stands.
        let (own, _) = crate::probe::reads::split_capture(out);
        let obs = Sysctl.parse(own, &probes);
        let why = crate::probe::observed_attr(&obs, 0, &crate::probe::attr_error_key("value"));
        assert!(
            why.as_str().is_some_and(|e| e.contains("cut short")),
            "{why}"
        );
        assert!(matches!(&obs[1], Observation::Observed(a) if a["exists"] == Value::Bool(false)));
    }

    #[test]
    fn empty_and_failed_values_and_multi_line_values() {
        let probes: Vec<Probe> = [
            "vm.stat_refresh",
            "net.ipv6.conf.all.stable_secret",
            "kernel.core_modes",
        ]
        .iter()
        .map(|s| Probe::new(s, &["value"]))
        .collect();
        let out = b"@0 empty\n@1 failed Input/output error\n@@END\n@@READS\n/proc/sys/kernel/core_modes\x001:file\n/proc/sys/kernel/core_modes\x002:pipe\t x\n@@READEND\n";
        let obs = Sysctl.parse(out, &probes);
        let get = |i, a: &str| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(get(0, "value"), "");
        assert_eq!(get(1, "exists"), true);
        assert_eq!(
            get(1, &crate::probe::attr_error_key("value")),
            "reading /proc/sys/net/ipv6/conf/all/stable_secret failed: Input/output error"
        );
        assert_eq!(get(2, "value"), "file\npipe x");
    }

    #[test]
    fn keys_with_slashes_follow_procps() {
        assert_eq!(
            proc_path("net.ipv4.conf.eth0/100.rp_filter"),
            "/proc/sys/net/ipv4/conf/eth0.100/rp_filter"
        );
        assert_eq!(
            proc_path("net/ipv4/conf/eth0.100/rp_filter"),
            "/proc/sys/net/ipv4/conf/eth0.100/rp_filter"
        );
        assert_eq!(proc_path("kernel/ostype"), "/proc/sys/kernel/ostype");
        assert_eq!(proc_path("vm.swappiness"), "/proc/sys/vm/swappiness");
        assert_eq!(proc_path("kernel"), "/proc/sys/kernel");
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

    #[test]
    fn values_read_by_the_real_shell_match_proc_sys() {
        use crate::model::Outcome;
        use crate::probe::test_support::{exec, run_here};
        let proc = |p: &str| {
            let text = std::fs::read_to_string(format!("/proc/sys/{p}")).unwrap();
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        let pid_max = proc("kernel/pid_max");
        let rmem = proc("net/ipv4/tcp_rmem");
        let execs = [
            exec(
                ModuleKind::Sysctl,
                "kernel.ostype",
                &[("value", "Linux".into())],
            ),
            exec(
                ModuleKind::Sysctl,
                "kernel/ostype",
                &[("value", "Linux".into())],
            ),
            exec(
                ModuleKind::Sysctl,
                "kernel.pid_max",
                &[("value", pid_max.into())],
            ),
            exec(
                ModuleKind::Sysctl,
                "net.ipv4.tcp_rmem",
                &[("value", rmem.into())],
            ),
            exec(ModuleKind::Sysctl, "net.nope", &[("exists", false.into())]),
            exec(ModuleKind::Sysctl, "net.nope", &[("value", "1".into())]),
            exec(
                ModuleKind::Sysctl,
                "kernel.ostype",
                &[("value", "BSD".into())],
            ),
        ];
        let v = run_here(&execs);
        let outcomes: Vec<Outcome> = v.iter().map(|v| v.outcome).collect();
        use Outcome::{Fail, Pass};
        assert_eq!(
            outcomes,
            [Pass, Pass, Pass, Pass, Pass, Fail, Fail],
            "{v:#?}"
        );
        assert_eq!(v[5].actual, serde_json::json!({"value": null}));
        assert_eq!(v[6].actual, serde_json::json!({"value": "Linux"}));
        assert_eq!(v[6].reason.as_deref(), Some("differs: value"));
    }

    #[test]
    fn the_fragment_classifies_each_key_with_builtins_only() {
        let probes = [
            Probe::new("kernel.ostype", &["value"]),
            Probe::new("a/b.c", &[]),
        ];
        let text = Sysctl.fragment(&probes);
        assert!(text.contains("ds_p='/proc/sys/kernel/ostype';"), "{text}");
        assert!(text.contains("ds_p='/proc/sys/a/b.c';"), "{text}");
        assert!(text.contains("echo '@1 missing'") && text.ends_with("echo '@@END'"));
        assert_eq!(Sysctl.cost(&probes), 0);
        assert_eq!(
            Sysctl.reads(&probes),
            [
                Read::System("/proc/sys/kernel/ostype".into()),
                Read::System("/proc/sys/a/b.c".into())
            ]
        );
        assert_eq!(Sysctl.default_expect(), ("exists", Value::Bool(true)));
        assert!(Sysctl.attributes().contains(&"value"));
    }

    #[test]
    fn keys_outside_the_sysctl_shape_are_refused() {
        for bad in [
            "",
            "net..ipv4",
            "net//ipv4",
            ".net",
            "/net",
            "net.ipv4;rm",
            "kernel.*",
        ] {
            assert!(Sysctl.validate_subject(bad).is_err(), "{bad:?}");
        }
        for ok in ["net.ipv4.ip_forward", "kernel/ostype", "a-b_c.d9"] {
            assert_eq!(Sysctl.validate_subject(ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn a_denied_key_is_an_error_for_its_value_only() {
        let probes = [Probe::new("vm.secret", &["value"])];
        let obs = Sysctl.parse(b"@0 denied\n@@END\n@@READS\n@@READEND\n", &probes);
        assert_eq!(crate::probe::observed_attr(&obs, 0, "exists"), true);
        assert_eq!(
            crate::probe::observed_attr(&obs, 0, &crate::probe::attr_error_key("value")),
            "/proc/sys/vm/secret is not readable (a write-only key, or not readable as this user)"
        );
    }
}
