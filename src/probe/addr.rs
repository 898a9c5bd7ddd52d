//! addr: is a TCP address reachable FROM THE HOST within 5 s — `reachable`. The subject is
//! `host:port` (`db.internal:5432`, `10.0.0.5:443`, `[2001:db8::5]:443`). All addresses of a
//! host are tried at once (background jobs, then `wait`), so N unreachable addresses cost 5 s,
//! not 5·N. Uses bash's `/dev/tcp` under `timeout` (both on every Debian and RHEL-family
//! host), else `nc -z -w 5`; `not_applicable` with neither.
//!
//! Programs run on the host: `timeout` and `bash`, or `nc`.

use super::quote::sh_quote;
use super::{
    AttrVerdict, Attributes, Module, Observation, Probe, Programs, Reads, finish, not_applicable,
};
use crate::model::{Matcher, ModuleKind, Value};

pub struct Addr;

/// Programs this module runs on the host (`timeout` + `bash`, else `nc`).
pub const PROGRAMS: &[&str] = &["timeout", "bash", "nc"];

/// Seconds a connection attempt may take.
pub const TIMEOUT_SECS: u32 = 5;

/// `(host, port)` of a subject.
pub fn parse_subject(subject: &str) -> Result<(String, u16), String> {
    let bad = || {
        format!(
            "not a TCP address: {subject:?} (expected host:port, e.g. db.internal:5432 or [2001:db8::5]:443)"
        )
    };
    let (host, port) = if let Some(rest) = subject.strip_prefix('[') {
        let (h, p) = rest.split_once("]:").ok_or_else(bad)?;
        h.parse::<std::net::Ipv6Addr>().map_err(|_| bad())?;
        (h, p)
    } else {
        subject.rsplit_once(':').ok_or_else(bad)?
    };
    let host_ok = !host.is_empty()
        && !host.starts_with('-')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:".contains(c));
    let port: u16 = port.parse().map_err(|_| bad())?;
    if !host_ok || port == 0 {
        return Err(bad());
    }
    Ok((host.to_string(), port))
}

impl Module for Addr {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Addr
    }
    fn programs(&self) -> Programs {
        Programs::Only(PROGRAMS)
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["reachable"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("reachable", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        parse_subject(subject).map(|_| ())
    }
    /// A failing `reachable` says how: `false: refused` / `false: timed out after 5 s`.
    fn evaluate(&self, observed: &Attributes, attribute: &str, matcher: &Matcher) -> AttrVerdict {
        super::evaluate_with_state(observed, attribute, matcher)
    }
    fn cost(&self, probes: &[Probe]) -> u32 {
        2 * probes.len() as u32
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let t = TIMEOUT_SECS;
        let mut s = String::from(
            "if command -v timeout >/dev/null 2>&1 && command -v bash >/dev/null 2>&1; then ds_tcp=bash; \
             elif command -v nc >/dev/null 2>&1; then ds_tcp=nc; \
             else ds_tcp=; echo '@@NA neither bash with timeout nor nc on this host'; fi\n\
             if [ -n \"$ds_tcp\" ]; then\n",
        );
        for (i, p) in probes.iter().enumerate() {
            let Ok((host, port)) = parse_subject(&p.subject) else {
                continue; // validated at load; unanswered slots become errors
            };
            let (h, pt) = (sh_quote(&host), sh_quote(&port.to_string()));
            s.push_str(&format!(
                "{{ if [ \"$ds_tcp\" = bash ]; then \
                 timeout {t} bash -c 'exec 3<>\"/dev/tcp/$1/$2\"' _ {h} {pt} >/dev/null 2>&1; \
                 else nc -z -w {t} {h} {pt} >/dev/null 2>&1; fi; echo \"@A {i} $?\"; }} &\n"
            ));
        }
        s.push_str("wait; fi");
        s
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], _reads: &Reads) -> Vec<Observation> {
        if let Some(why) = not_applicable(output) {
            return vec![Observation::NotApplicable(why); probes.len()];
        }
        let mut slots: Vec<Option<Observation>> = vec![None; probes.len()];
        for line in super::lossy_lines(output) {
            let mut f = line.split(' ');
            let (Some("@A"), Some(i), Some(rc)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            let (Ok(i), Ok(rc)) = (i.parse::<usize>(), rc.parse::<i32>()) else {
                continue;
            };
            let mut a = Attributes::new();
            a.insert("reachable".into(), Value::Bool(rc == 0));
            if rc != 0 {
                let why = if rc == 124 {
                    format!("timed out after {TIMEOUT_SECS} s")
                } else {
                    "refused or unresolvable".to_string()
                };
                a.insert("_state".into(), Value::String(why));
            }
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(Observation::Observed(a));
            }
        }
        finish(slots, "addr")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn real_output_reachable_refused_and_timed_out() {
        // Captured on the build VM: a listening port, a closed one, and 192.0.2.1 (no host
        // there on the VM's own subnet: unreachable) — the jobs finish in any order.
        let out = include_bytes!("testdata/addr/tcp.out");
        let p: Vec<Probe> = ["127.0.0.1:47090", "127.0.0.1:47091", "192.0.2.1:9"]
            .iter()
            .map(|s| Probe::new(s, &["reachable"]))
            .collect();
        let obs = Addr.parse(out, &p);
        let get = |i, a| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(get(0, "reachable"), json!(true));
        assert_eq!(get(1, "reachable"), json!(false));
        let Observation::Observed(a) = &obs[1] else {
            panic!()
        };
        let v = Addr.evaluate(a, "reachable", &Matcher::Equals(json!(true)));
        assert_eq!(v.actual, json!("false: refused or unresolvable"));
        assert_eq!(get(2, "reachable"), json!(false));
        assert!(matches!(
            &Addr.parse(b"@A 0 0\n", &p)[1],
            Observation::Error(_)
        ));
    }

    #[test]
    fn subjects() {
        assert_eq!(parse_subject("db:5432").unwrap(), ("db".into(), 5432));
        assert_eq!(parse_subject("[::1]:22").unwrap(), ("::1".into(), 22));
        for bad in [
            "db", "db:0", "db:x", ":22", "-x:22", "a b:1", "[nope]:1", "::1:22x",
        ] {
            assert!(parse_subject(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn contract_cost_and_what_a_failure_says() {
        crate::probe::test_support::assert_contract(
            ModuleKind::Addr,
            Programs::Only(&["timeout", "bash", "nc"]),
            &["reachable"],
            ("reachable", Value::Bool(true)),
        );
        let p: Vec<Probe> = ["a:1", "b:2", "c:3"]
            .iter()
            .map(|s| Probe::new(s, &["reachable"]))
            .collect();
        assert_eq!(Addr.cost(&p), 6, "timeout and bash per address");
        assert!(Addr.validate_subject("db:5432").is_ok());
        assert!(Addr.validate_subject("db").is_err());
        let obs = Addr.parse(b"@A 2 124\n@A 0 0\n@A x 0\n@A 9 0\n@B 1 0\n@A 1 1\n", &p);
        let state = |i: usize| crate::probe::observed_attr(&obs, i, "_state");
        assert_eq!(state(2), json!("timed out after 5 s"));
        assert_eq!(state(1), json!("refused or unresolvable"));
        assert_eq!(state(0), Value::Null, "reachable: no state");
        let na = Addr.parse(b"@@NA neither bash with timeout nor nc on this host\n", &p);
        assert!(matches!(&na[0], Observation::NotApplicable(_)));
    }

    /// The real fragment: a port this test listens on, and one it holds bound but not
    /// listening (refused, and no other program can take it meanwhile).
    #[test]
    fn ports_this_test_opened_and_closed() {
        use crate::model::Outcome;
        use crate::probe::test_support::{exec, run_here};
        use socket2::{Domain, Socket, Type};
        let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        closed.bind(&any.into()).unwrap();
        let o = open.local_addr().unwrap().port();
        let c = closed.local_addr().unwrap().as_socket().unwrap().port();
        let v = run_here(&[
            exec(
                ModuleKind::Addr,
                &format!("127.0.0.1:{o}"),
                &[("reachable", json!(true))],
            ),
            exec(
                ModuleKind::Addr,
                &format!("127.0.0.1:{c}"),
                &[("reachable", json!(true))],
            ),
        ]);
        assert_eq!(v[0].outcome, Outcome::Pass, "{v:?}");
        assert_eq!(v[1].outcome, Outcome::Fail, "{v:?}");
        assert_eq!(
            v[1].actual["reachable"],
            json!("false: refused or unresolvable")
        );
        drop((open, closed));
    }
}
