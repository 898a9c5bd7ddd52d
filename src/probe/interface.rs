//! interface: a network interface of the host — `exists`, `mtu` (from
//! `/sys/class/net/NAME/mtu` through the shared read), `up` (operstate `up`, or `unknown` as
//! loopback reports) and `addresses` (CIDR, `192.0.2.2/24`, `fe80::1/64`) from ONE
//! `ip -o addr show` for all interfaces, run only when a check names `addresses`. Shell
//! builtins answer `exists`.
//!
//! Programs run on the host: `ip` (iproute2).

use super::quote::sh_quote;
use super::{Attributes, Module, Observation, Probe, Programs, Read, Reads, attr_error_key};
use crate::model::{ModuleKind, Value};

pub struct Interface;

/// Programs this module runs on the host.
pub const PROGRAMS: &[&str] = &["ip"];

fn sys(name: &str, file: &str) -> String {
    format!("/sys/class/net/{name}/{file}")
}

fn wants_addresses(probes: &[Probe]) -> bool {
    probes.iter().any(|p| p.wants("addresses"))
}

/// `NAME → [CIDR]` from `ip -o addr show` lines: `4: eth0    inet 192.0.2.2/24 brd … scope global eth0\ …`.
fn addresses(lines: &[String]) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut by_name: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for l in lines {
        let f: Vec<&str> = l.split_whitespace().collect();
        if let [_idx, name, family, cidr, ..] = f.as_slice()
            && (*family == "inet" || *family == "inet6")
        {
            // `eth0@if5` names the peer of a veth; the interface is `eth0`.
            let name = name.split('@').next().unwrap_or(name);
            by_name
                .entry(name.to_string())
                .or_default()
                .push(cidr.to_string());
        }
    }
    by_name
}

impl Module for Interface {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Interface
    }
    fn programs(&self) -> Programs {
        Programs::Only(PROGRAMS)
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["exists", "mtu", "up", "addresses"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("exists", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        let ok = !subject.is_empty()
            && subject.len() <= 15
            && subject != "."
            && subject != ".."
            && subject
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c));
        if !ok {
            return Err(format!(
                "not an interface name: {subject:?} (expected at most 15 letters, digits, `-_.:@`, e.g. eth0)"
            ));
        }
        Ok(())
    }
    fn cost(&self, probes: &[Probe]) -> u32 {
        u32::from(wants_addresses(probes))
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let mut s = String::new();
        for (i, p) in probes.iter().enumerate() {
            s.push_str(&format!(
                "[ -d {} ] || echo '@{i} missing'\n",
                sh_quote(&format!("/sys/class/net/{}", p.subject))
            ));
        }
        if wants_addresses(probes) {
            s.push_str(
                "echo '@@IP'; if command -v ip >/dev/null 2>&1; then ip -o addr show 2>&1; echo \"@@IPRC $?\"; \
                 else echo '@@IPRC none'; fi\n",
            );
        }
        s.push_str("echo '@@END'");
        s
    }
    fn reads(&self, probes: &[Probe]) -> Vec<Read> {
        probes
            .iter()
            .flat_map(|p| {
                [
                    Read::System(sys(&p.subject, "mtu")),
                    Read::System(sys(&p.subject, "operstate")),
                ]
            })
            .collect()
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], reads: &Reads) -> Vec<Observation> {
        let lines = super::lossy_lines(output);
        if !lines.iter().any(|l| l == "@@END") {
            return vec![
                Observation::Error("interface probe output cut short".into());
                probes.len()
            ];
        }
        let mut missing = vec![false; probes.len()];
        for (i, s, _) in super::tagged_lines(output, probes.len()) {
            missing[i] = s == "missing";
        }
        let ip_start = lines.iter().position(|l| l == "@@IP");
        let ip_rc = lines
            .iter()
            .find_map(|l| l.strip_prefix("@@IPRC "))
            .map(str::to_string);
        let table = match (ip_start, &ip_rc) {
            (Some(s), Some(rc)) if rc == "0" => {
                let end = lines
                    .iter()
                    .position(|l| l.starts_with("@@IPRC"))
                    .unwrap_or(s);
                Ok(addresses(&lines[s + 1..end.max(s + 1)]))
            }
            (_, Some(rc)) if rc == "none" => Err("no `ip` command on this host".to_string()),
            (_, Some(rc)) => Err(format!("`ip -o addr show` failed (exit {rc})")),
            (_, None) => Err("`ip -o addr show` output cut short".to_string()),
        };
        let first = |path: &str| {
            reads
                .lines(path)
                .and_then(|l| l.first())
                .map(|(_, v)| String::from_utf8_lossy(v).trim().to_string())
        };
        probes
            .iter()
            .zip(missing)
            .map(|(p, missing)| {
                let mut a = Attributes::new();
                if missing {
                    a.insert("exists".into(), Value::Bool(false));
                    a.insert("up".into(), Value::Bool(false));
                    a.insert("addresses".into(), Value::Array(vec![]));
                    return Observation::Observed(a);
                }
                a.insert("exists".into(), Value::Bool(true));
                match first(&sys(&p.subject, "mtu")).and_then(|m| m.parse::<u64>().ok()) {
                    Some(mtu) => {
                        a.insert("mtu".into(), Value::from(mtu));
                    }
                    None => {
                        a.insert(
                            attr_error_key("mtu"),
                            Value::String(format!("{} was not read", sys(&p.subject, "mtu"))),
                        );
                    }
                }
                let state = first(&sys(&p.subject, "operstate")).unwrap_or_default();
                a.insert(
                    "up".into(),
                    Value::Bool(state == "up" || state == "unknown"),
                );
                if p.wants("addresses") {
                    match &table {
                        Ok(t) => {
                            let list = t.get(&p.subject).cloned().unwrap_or_default();
                            a.insert(
                                "addresses".into(),
                                Value::Array(list.into_iter().map(Value::String).collect()),
                            );
                        }
                        Err(e) => {
                            a.insert(attr_error_key("addresses"), Value::String(e.clone()));
                        }
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
    use serde_json::json;

    #[test]
    fn real_sys_and_ip_output() {
        // Captured on the build VM: lo, eth0 and an interface that does not exist.
        let out = include_bytes!("testdata/interface/ip-addr.out");
        let p: Vec<Probe> = ["lo", "eth0", "wlan9"]
            .iter()
            .map(|s| Probe::new(s, &["addresses"]))
            .collect();
        let obs = Interface.parse(out, &p);
        let get = |i, a| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(get(0, "exists"), json!(true));
        assert_eq!(get(0, "mtu"), json!(65536));
        assert_eq!(get(0, "up"), json!(true), "loopback says `unknown`");
        assert_eq!(get(0, "addresses"), json!(["127.0.0.1/8", "::1/128"]));
        assert_eq!(get(1, "mtu"), json!(1400));
        assert_eq!(
            get(1, "addresses"),
            json!(["192.0.2.2/24", "fd00::2/64", "fe80::fc:ff:fe00:1/64"])
        );
        assert_eq!(get(2, "exists"), json!(false));
        // Without `ip`, addresses is an error, the rest still answers.
        let no_ip = String::from_utf8_lossy(out).replace("@@IPRC 0", "@@IPRC none");
        let obs = Interface.parse(no_ip.as_bytes(), &p);
        assert!(matches!(&obs[0], Observation::Observed(a) if a.contains_key("_error:addresses")));
        assert!(Interface.validate_subject("eth0.100").is_ok());
        assert!(Interface.validate_subject("../etc").is_err());
        assert!(Interface.validate_subject("averyveryverylongname").is_err());
    }

    #[test]
    fn contract_names_and_cost() {
        crate::probe::test_support::assert_contract(
            ModuleKind::Interface,
            Programs::Only(&["ip"]),
            &["exists", "mtu", "up", "addresses"],
            ("exists", Value::Bool(true)),
        );
        let plain = [Probe::new("lo", &["mtu"])];
        let addrs = [
            Probe::new("lo", &["mtu"]),
            Probe::new("eth0", &["addresses"]),
        ];
        assert_eq!(Interface.cost(&plain), 0, "builtins and the shared read");
        assert_eq!(Interface.cost(&addrs), 1, "one ip");
        assert!(!Interface.fragment(&plain).contains("ip -o addr"));
        assert!(Interface.fragment(&addrs).contains("ip -o addr show"));
        for ok in ["lo", "eth0", "br-lan_1:0", "veth@x", "fifteen-chars15"] {
            assert!(Interface.validate_subject(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "sixteen-chars-16", "a/b", "a b"] {
            let e = Interface.validate_subject(bad).unwrap_err();
            assert!(e.contains("not an interface name"), "{bad:?}: {e}");
        }
    }

    /// Built from the fragment's markers and a shared read: operstate, an unreadable mtu,
    /// `ip` failing or cut short, veth peer names, a status line that is not `missing`.
    #[test]
    fn states_failures_and_veth_names() {
        let read = "@@READS\n\
            /sys/class/net/eth0/mtu\x001:1500\n/sys/class/net/eth0/operstate\x001:down\n\
            /sys/class/net/veth1/mtu\x001:x\n/sys/class/net/veth1/operstate\x001:up\n\
            @@READEND\n";
        let p: Vec<Probe> = ["eth0", "veth1"]
            .iter()
            .map(|s| Probe::new(s, &["addresses"]))
            .collect();
        let ip = "@@IP\n5: veth1@if4    inet 10.1.0.1/30 scope global veth1\n\
                  5: veth1@if4    link/ether 00:11\n@@IPRC 0\n";
        let obs = Interface.parse(format!("@0 other\n{ip}@@END\n{read}").as_bytes(), &p);
        let get = |o: &[Observation], i, a| crate::probe::observed_attr(o, i, a);
        assert_eq!(
            get(&obs, 0, "exists"),
            json!(true),
            "only `missing` means missing"
        );
        assert_eq!(get(&obs, 0, "up"), json!(false), "operstate down");
        assert_eq!(get(&obs, 0, "mtu"), json!(1500));
        assert_eq!(get(&obs, 0, "addresses"), json!([]));
        assert_eq!(get(&obs, 1, "up"), json!(true));
        assert_eq!(get(&obs, 1, "addresses"), json!(["10.1.0.1/30"]));
        assert_eq!(
            get(&obs, 1, "_error:mtu"),
            json!("/sys/class/net/veth1/mtu was not read")
        );
        let failed = Interface.parse(
            format!("@@IP\nDevice busy\n@@IPRC 2\n@@END\n{read}").as_bytes(),
            &p,
        );
        assert_eq!(
            get(&failed, 0, "_error:addresses"),
            json!("`ip -o addr show` failed (exit 2)")
        );
        let cut = Interface.parse(format!("@@IP\n@@END\n{read}").as_bytes(), &p);
        assert_eq!(
            get(&cut, 0, "_error:addresses"),
            json!("`ip -o addr show` output cut short")
        );
        let none = Interface.parse(b"@@END\n", &p);
        assert_eq!(
            get(&none, 0, "_error:mtu"),
            json!("/sys/class/net/eth0/mtu was not read")
        );
        assert_eq!(
            Interface.parse(b"@0 missing\n", &p),
            vec![Observation::Error("interface probe output cut short".into()); 2]
        );
    }

    /// This machine's loopback through the real probe script.
    #[test]
    fn the_real_loopback_here() {
        use crate::probe::test_support::{exec, run_here};
        let Ok(mtu) = std::fs::read_to_string("/sys/class/net/lo/mtu") else {
            return;
        };
        let mtu: u64 = mtu.trim().parse().unwrap();
        let v = run_here(&[
            exec(
                ModuleKind::Interface,
                "lo",
                &[("mtu", json!(mtu)), ("up", json!(true))],
            ),
            exec(
                ModuleKind::Interface,
                "ds-nope0",
                &[("exists", json!(false))],
            ),
        ]);
        for verdict in &v {
            assert_eq!(verdict.outcome, crate::model::Outcome::Pass, "{verdict:?}");
        }
    }
}
