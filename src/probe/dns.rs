//! dns: does a name resolve ON THE HOST, and to which addresses — `resolves`, `addresses`
//! (sorted, unique) — through the host's own resolver configuration (nsswitch, /etc/hosts,
//! DNS), with `getent ahosts NAME`, one process per name. `not_applicable` without `getent`.
//!
//! Programs run on the host: `getent`.

use super::quote::sh_quote;
use super::{Module, Observation, Probe, Programs, Reads, finish, not_applicable, observed};
use crate::model::{ModuleKind, Value};

pub struct Dns;

/// Programs this module runs on the host.
pub const PROGRAMS: &[&str] = &["getent"];

impl Module for Dns {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Dns
    }
    fn programs(&self) -> Programs {
        Programs::Only(PROGRAMS)
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["resolves", "addresses"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("resolves", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        let ok = !subject.is_empty()
            && subject.len() <= 253
            && !subject.starts_with(['-', '.'])
            && subject
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._:".contains(c));
        if !ok {
            return Err(format!(
                "not a host name: {subject:?} (expected letters, digits, `-`, `.`, e.g. db.internal)"
            ));
        }
        Ok(())
    }
    fn cost(&self, probes: &[Probe]) -> u32 {
        probes.len() as u32
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let mut s = String::from("if command -v getent >/dev/null 2>&1; then\n");
        for (i, p) in probes.iter().enumerate() {
            s.push_str(&format!(
                "getent ahosts {} 2>&1; echo \"@D {i} $?\"\n",
                sh_quote(&p.subject)
            ));
        }
        s.push_str("else echo '@@NA no getent on this host'; fi");
        s
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], _reads: &Reads) -> Vec<Observation> {
        if let Some(why) = not_applicable(output) {
            return vec![Observation::NotApplicable(why); probes.len()];
        }
        let mut slots: Vec<Option<Observation>> = vec![None; probes.len()];
        let mut addresses: Vec<String> = Vec::new();
        for line in super::lossy_lines(output) {
            let Some(rest) = line.strip_prefix("@D ") else {
                // `ADDRESS  STREAM|DGRAM|RAW  [name]`
                if let Some(addr) = line.split_whitespace().next()
                    && addr.parse::<std::net::IpAddr>().is_ok()
                {
                    addresses.push(addr.to_string());
                }
                continue;
            };
            let mut f = rest.split(' ');
            let (Some(i), Some(rc)) = (
                f.next().and_then(|i| i.parse::<usize>().ok()),
                f.next().and_then(|r| r.parse::<i32>().ok()),
            ) else {
                addresses.clear();
                continue;
            };
            let mut found = std::mem::take(&mut addresses);
            found.sort();
            found.dedup();
            let obs = match rc {
                // 2: not found; 0: resolved.
                0 | 2 => observed([
                    ("resolves", Value::Bool(rc == 0 && !found.is_empty())),
                    (
                        "addresses",
                        Value::Array(found.into_iter().map(Value::String).collect()),
                    ),
                ]),
                rc => Observation::Error(format!("getent ahosts failed (exit {rc})")),
            };
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(obs);
            }
        }
        finish(slots, "getent")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn real_getent_output() {
        // Captured on the build VM: localhost (from /etc/hosts), a name that does not exist,
        // and a name /etc/hosts gives two addresses.
        let out = include_bytes!("testdata/dns/getent.out");
        let p: Vec<Probe> = ["localhost", "nonexistent.invalid", "dual.test"]
            .iter()
            .map(|s| Probe::new(s, &["resolves"]))
            .collect();
        let obs = Dns.parse(out, &p);
        let get = |i, a| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(get(0, "resolves"), json!(true));
        assert_eq!(get(0, "addresses"), json!(["127.0.0.1"]));
        assert_eq!(get(1, "resolves"), json!(false));
        assert_eq!(get(1, "addresses"), json!([]));
        assert_eq!(get(2, "addresses"), json!(["192.0.2.7", "2001:db8::7"]));
        let na = Dns.parse(b"@@NA no getent on this host\n", &p);
        assert!(matches!(na[0], Observation::NotApplicable(_)));
        let cut = Dns.parse(b"127.0.0.1 STREAM localhost\n@D 0 0\n", &p);
        assert!(matches!(cut[1], Observation::Error(_)));
        assert!(Dns.validate_subject("db.internal").is_ok());
        assert!(Dns.validate_subject("-x").is_err());
        assert!(Dns.validate_subject("a b").is_err());
    }

    #[test]
    fn contract_names_and_failures() {
        crate::probe::test_support::assert_contract(
            ModuleKind::Dns,
            Programs::Only(&["getent"]),
            &["resolves", "addresses"],
            ("resolves", Value::Bool(true)),
        );
        let p: Vec<Probe> = ["a.test", "b.test", "c.test"]
            .iter()
            .map(|s| Probe::new(s, &["resolves"]))
            .collect();
        assert_eq!(Dns.cost(&p), 3, "one getent per name");
        let longest = format!("{}.test", "a".repeat(248));
        assert!(Dns.validate_subject(&longest).is_ok());
        for bad in ["", ".x", &format!("a{longest}"), "a/b"] {
            let e = Dns.validate_subject(bad).unwrap_err();
            assert!(e.contains("not a host name"), "{bad:?}: {e}");
        }
        let out = b"192.0.2.1 STREAM a.test\n@D x 0\n@D 0 0\n@D 1 0\nnoise\n@D 2 5\n";
        let obs = Dns.parse(out, &p);
        let get = |i, a| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(
            get(0, "resolves"),
            json!(false),
            "a garbled line drops what came before"
        );
        assert_eq!(get(1, "addresses"), json!([]));
        assert_eq!(
            obs[2],
            Observation::Error("getent ahosts failed (exit 5)".into())
        );
    }

    /// The real fragment with this machine's resolver (/etc/hosts).
    #[test]
    fn localhost_resolves_here() {
        use crate::probe::test_support::{exec, run_here};
        let v = run_here(&[exec(
            ModuleKind::Dns,
            "localhost",
            &[("addresses", json!({"contains": ["127.0.0.1"]}))],
        )]);
        assert_eq!(v[0].outcome, crate::model::Outcome::Pass, "{v:?}");
    }
}
