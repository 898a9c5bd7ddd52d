//! port: listening TCP/UDP sockets of the host from `ss` (netlink), one run per protocol the
//! subjects name: `ss -H -n -t state listening` for TCP, `ss -H -n -u state unconnected` for
//! UDP. Asking for exactly that state matters: `ss -l` asks the kernel for LISTEN *and* CLOSE
//! sockets, and for TCP the CLOSE state makes the kernel walk its whole established-connection
//! hash table (~1.4 ms of system CPU per address family on the 2-core bench machine, more the
//! more memory a host has; LISTEN alone is answered from the listening table). Where ss is
//! missing or fails: ONE `grep` over `/proc/net/{tcp,tcp6,udp,udp6}` keeping only listening
//! rows (TCP state 0A LISTEN, UDP state 07 unconnected), which walks those tables too.
//!
//! Subjects: `tcp/22`, `udp/123`, a bare number (= tcp), or with an address:
//! `tcp/127.0.0.1:5432`, `tcp/[::1]:5432`. With an address, a wildcard listener of the same
//! family also counts: `0.0.0.0` covers IPv4 addresses only; `::` covers IPv6 addresses and,
//! when it is not v6-only (ss prints it as `*`), IPv4 ones too. The /proc fallback cannot see
//! v6-only and takes `::` as dual-stack (Linux's default, `net.ipv6.bindv6only = 0`).
//! Addresses are decoded as a little-endian host prints them (x86, arm64).

use super::{Module, Observation, Probe, Programs, Reads, observed};
use crate::model::{ModuleKind, Value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub struct Port;

/// A parsed port subject.
#[derive(Debug, Clone, PartialEq)]
pub struct PortSpec {
    pub udp: bool,
    pub port: u16,
    pub address: Option<IpAddr>,
}

pub fn parse_subject(subject: &str) -> Result<PortSpec, String> {
    let bad = || {
        format!(
            "not a port: {subject:?} (expected `tcp/22`, `udp/123`, a bare number for tcp, \
             or with an address `tcp/127.0.0.1:22`, `tcp/[::1]:22`)"
        )
    };
    let (proto, rest) = match subject.split_once('/') {
        Some((p, r)) => (p, r),
        None => ("tcp", subject),
    };
    let udp = match proto {
        "tcp" => false,
        "udp" => true,
        _ => return Err(bad()),
    };
    let (address, port) = if let Some(r) = rest.strip_prefix('[') {
        let (a, p) = r.split_once("]:").ok_or_else(bad)?;
        (Some(IpAddr::V6(a.parse().map_err(|_| bad())?)), p)
    } else if let Some((a, p)) = rest.rsplit_once(':') {
        (Some(IpAddr::V4(a.parse().map_err(|_| bad())?)), p)
    } else {
        (None, rest)
    };
    let port: u16 = port.parse().map_err(|_| bad())?;
    if port == 0 {
        return Err(bad());
    }
    Ok(PortSpec { udp, port, address })
}

fn decode_addr(hex: &str) -> Option<IpAddr> {
    match hex.len() {
        8 => {
            let v = u32::from_str_radix(hex, 16).ok()?;
            Some(IpAddr::V4(Ipv4Addr::from(v.to_le_bytes())))
        }
        32 => {
            let mut bytes = [0u8; 16];
            for w in 0..4 {
                let v = u32::from_str_radix(hex.get(w * 8..w * 8 + 8)?, 16).ok()?;
                bytes[w * 4..w * 4 + 4].copy_from_slice(&v.to_le_bytes());
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

/// One listening socket.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Listener {
    udp: bool,
    address: IpAddr,
    port: u16,
    /// An IPv6 wildcard that also accepts IPv4 (not v6-only).
    dual_stack: bool,
}

impl Listener {
    fn new(udp: bool, address: IpAddr, port: u16, dual_stack: bool) -> Listener {
        Listener {
            udp,
            address,
            port,
            dual_stack: dual_stack && address == IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }

    /// Does this socket accept connections to `want`?
    fn serves(&self, want: IpAddr) -> bool {
        match (self.address, want) {
            (a, w) if a == w => true,
            (IpAddr::V4(a), IpAddr::V4(_)) => a.is_unspecified(),
            (IpAddr::V6(a), IpAddr::V6(_)) => a.is_unspecified(),
            (IpAddr::V6(_), IpAddr::V4(_)) => self.dual_stack,
            (IpAddr::V4(_), IpAddr::V6(_)) => false,
        }
    }
}

/// Every listening row of /proc/net/{tcp,tcp6,udp,udp6} (`::` taken as dual-stack).
fn listeners(lines: &[String]) -> Vec<Listener> {
    lines
        .iter()
        .filter_map(|l| {
            let (file, row) = l.split_once(':')?;
            let udp = file.starts_with("/proc/net/udp");
            let mut f = row.split_whitespace();
            let _sl = f.next()?;
            let local = f.next()?;
            let _remote = f.next()?;
            let state = f.next()?;
            let want = if udp { "07" } else { "0A" };
            if state != want {
                return None;
            }
            let (a, p) = local.split_once(':')?;
            Some(Listener::new(
                udp,
                decode_addr(a)?,
                u16::from_str_radix(p, 16).ok()?,
                true,
            ))
        })
        .collect()
}

/// The ss rows of one protocol: `0 4096 127.0.0.1:22 0.0.0.0:*` (with one protocol and one
/// state, ss leaves out its Netid and State columns; any version that prints them anyway
/// parses the same, as the local address is always the next-to-last field). ss prints an IPv6
/// wildcard that is not v6-only as `*`, a v6-only one as `[::]`.
fn ss_listeners(lines: &[String], udp: bool) -> Vec<Listener> {
    lines
        .iter()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let local = f.len().checked_sub(2).and_then(|i| f.get(i))?;
            if f.len() < 4 {
                return None;
            }
            let (addr, port) = local.rsplit_once(':')?;
            let addr = addr.trim_start_matches('[').trim_end_matches(']');
            let addr = addr.split('%').next().unwrap_or(addr);
            let (ip, dual_stack) = if addr == "*" {
                (IpAddr::V6(Ipv6Addr::UNSPECIFIED), true)
            } else {
                (addr.parse().ok()?, false)
            };
            Some(Listener::new(udp, ip, port.parse().ok()?, dual_stack))
        })
        .collect()
}

/// The marker line before each protocol's ss rows.
const SS_TCP: &str = "@@SS tcp";
const SS_UDP: &str = "@@SS udp";

/// Every listener ss printed: the rows after [`SS_TCP`] are TCP, after [`SS_UDP`] UDP, up to
/// the `@@SSRC` line.
fn ss_sections(lines: &[String]) -> Vec<Listener> {
    let mut all = Vec::new();
    let mut udp = None;
    let mut rows: Vec<String> = Vec::new();
    for l in lines {
        let next = match l.as_str() {
            SS_TCP => Some(false),
            SS_UDP => Some(true),
            _ if l.starts_with("@@") => None,
            _ => {
                rows.push(l.clone());
                continue;
            }
        };
        if let Some(u) = udp {
            all.extend(ss_listeners(&rows, u));
        }
        rows.clear();
        if l.starts_with("@@SSRC") {
            break;
        }
        udp = next;
    }
    all
}

impl Module for Port {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Port
    }
    fn programs(&self) -> Programs {
        Programs::Only(&["ss", "grep"])
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["listening", "addresses"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("listening", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        parse_subject(subject).map(|_| ())
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        // Only the protocols the subjects name: an answer depends on its own protocol's
        // listeners only. A subject that does not parse gets its error from the parser.
        let udp: Vec<bool> = probes
            .iter()
            .filter_map(|p| parse_subject(&p.subject).ok().map(|s| s.udp))
            .collect();
        let mut s = String::from("ds_rc=0\n");
        if udp.iter().any(|u| !u) || udp.is_empty() {
            s.push_str(&format!(
                "echo '{SS_TCP}'; ss -H -n -t state listening 2>/dev/null || ds_rc=$?\n"
            ));
        }
        if udp.iter().any(|u| *u) {
            s.push_str(&format!(
                "echo '{SS_UDP}'; ss -H -n -u state unconnected 2>/dev/null || ds_rc=$?\n"
            ));
        }
        s.push_str(
            "echo \"@@SSRC $ds_rc\"\n\
             if [ \"$ds_rc\" != 0 ]; then \
             if [ -r /proc/net/tcp ]; then echo '@@PROC'; \
             grep -H -E '^ *[0-9]+: [0-9A-F]+:[0-9A-F]{4} [0-9A-F]+:[0-9A-F]{4} (0A|07) ' \
             /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null; \
             else echo '@@NA no ss and /proc/net/tcp is not readable (not Linux?)'; fi; fi\n\
             echo '@@END'",
        );
        s
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], _reads: &Reads) -> Vec<Observation> {
        let lines = match super::table_lines(output, probes.len(), "listening sockets") {
            Ok(lines) => lines,
            Err(observations) => return observations,
        };
        let all = if lines.iter().any(|l| l == "@@SSRC 0") {
            ss_sections(&lines)
        } else {
            listeners(&lines)
        };
        probes
            .iter()
            .map(|p| {
                let spec = match parse_subject(&p.subject) {
                    Ok(s) => s,
                    Err(e) => return Observation::Error(e),
                };
                let on_port: Vec<&Listener> = all
                    .iter()
                    .filter(|l| l.udp == spec.udp && l.port == spec.port)
                    .collect();
                let mut addrs: Vec<IpAddr> = on_port.iter().map(|l| l.address).collect();
                addrs.sort();
                addrs.dedup();
                let listening = match spec.address {
                    None => !on_port.is_empty(),
                    Some(want) => on_port.iter().any(|l| l.serves(want)),
                };
                observed([
                    ("listening", Value::Bool(listening)),
                    (
                        "addresses",
                        Value::Array(addrs.iter().map(|a| Value::from(a.to_string())).collect()),
                    ),
                ])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(rows: &[&str]) -> Vec<String> {
        rows.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ss_wildcards_know_their_family() {
        let rows = lines(&[
            "0 128 0.0.0.0:22 0.0.0.0:*",
            "0 128 [::]:22 [::]:*",
            "0 128 *:8080 *:*",
            // An ss that prints Netid and State anyway: the same local address.
            "tcp LISTEN 0 128 *:8081 *:*",
        ]);
        let l = ss_listeners(&rows, false);
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let v6: IpAddr = "::1".parse().unwrap();
        assert!(l[0].serves(v4) && !l[0].serves(v6), "0.0.0.0 is IPv4 only");
        assert!(!l[1].serves(v4) && l[1].serves(v6), "[::] is v6-only");
        assert!(l[2].serves(v4) && l[2].serves(v6), "* is dual-stack");
        assert_eq!((l[3].port, l[3].dual_stack), (8081, true));
    }

    #[test]
    fn subject_syntax() {
        assert_eq!(
            parse_subject("22").unwrap(),
            PortSpec {
                udp: false,
                port: 22,
                address: None
            }
        );
        assert!(parse_subject("udp/123").unwrap().udp);
        assert_eq!(
            parse_subject("tcp/[::1]:5432").unwrap().address,
            Some("::1".parse().unwrap())
        );
        assert_eq!(
            parse_subject("tcp/127.0.0.1:22").unwrap().address,
            Some("127.0.0.1".parse().unwrap())
        );
        for bad in [
            "sctp/22",
            "tcp/",
            "tcp/70000",
            "tcp/ssh",
            "0",
            "tcp/1.2.3:22",
            "tcp/[::1]22",
        ] {
            let e = parse_subject(bad).unwrap_err();
            assert!(e.contains("expected `tcp/22`"), "{bad}: {e}");
        }
    }

    #[test]
    fn real_proc_net_output() {
        // Captured while python held: tcp 0.0.0.0:47001, tcp6 [::1]:47002, udp 0.0.0.0:47003,
        // and a connected-only udp socket on 47004 (not listening); once with ss, once with
        // ss failing (the /proc/net fallback).
        for fixture in [
            &include_bytes!("testdata/port/ss.out")[..],
            &include_bytes!("testdata/port/proc-net.out")[..],
        ] {
            check_fixture(fixture);
        }
    }

    fn check_fixture(out: &[u8]) {
        let p: Vec<Probe> = [
            "47001",
            "tcp/[::1]:47002",
            "udp/47003",
            "udp/47004",
            "tcp/47003",
            "tcp/127.0.0.1:47001",
            "tcp/127.0.0.1:47002",
        ]
        .iter()
        .map(|s| Probe::new(s, &["listening"]))
        .collect();
        let obs = Port.parse(out, &p);
        let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(get(0, "listening"), json!(true));
        assert_eq!(get(0, "addresses"), json!(["0.0.0.0"]));
        assert_eq!(get(1, "addresses"), json!(["::1"]));
        assert_eq!(get(1, "listening"), json!(true));
        assert_eq!(get(2, "listening"), json!(true));
        assert_eq!(get(3, "listening"), json!(false));
        assert_eq!(
            get(4, "listening"),
            json!(false),
            "udp port is not a tcp listener"
        );
        assert_eq!(
            get(5, "listening"),
            json!(true),
            "wildcard covers 127.0.0.1"
        );
        assert_eq!(get(6, "listening"), json!(false), "::1 is not 127.0.0.1");
        let cut = Port.parse(b"/proc/net/tcp:   0: 0100007F:9B43", &p);
        assert!(matches!(&cut[0], Observation::Error(_)));
    }

    #[test]
    fn sockets_this_test_holds_are_seen_by_the_real_probe() {
        use crate::model::Outcome;
        use crate::probe::test_support::{exec, run_here};
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let (t, u) = (
            tcp.local_addr().unwrap().port(),
            udp.local_addr().unwrap().port(),
        );
        // Only what this test holds is asserted: any other port may be another program's.
        let port = |subject: String, attr: &str, want: Value| {
            exec(ModuleKind::Port, &subject, &[(attr, want)])
        };
        let execs = [
            port(format!("tcp/{t}"), "listening", true.into()),
            port(format!("{t}"), "addresses", json!(["127.0.0.1"])),
            port(format!("tcp/127.0.0.1:{t}"), "listening", true.into()),
            port(format!("udp/{u}"), "listening", true.into()),
            port(format!("tcp/{t}"), "listening", false.into()),
        ];
        let v = run_here(&execs);
        let outcomes: Vec<Outcome> = v.iter().map(|v| v.outcome).collect();
        use Outcome::{Fail, Pass};
        assert_eq!(outcomes, [Pass, Pass, Pass, Pass, Fail], "{v:#?}");
        assert_eq!(v[4].actual, json!({"listening": true}));
        drop((tcp, udp));
    }

    #[test]
    fn ss_sections_say_the_protocol_and_scoped_addresses_lose_their_scope() {
        let rows = lines(&[
            "ds_rc=0",
            SS_TCP,
            "0 128 10.0.0.5:443 0.0.0.0:*",
            "0 128",
            SS_UDP,
            "0 0 [fe80::1%eth0]:546 [::]:*",
            "@@SSRC 0",
            "0 0 10.0.0.7:9 0.0.0.0:*",
            "@@END",
        ]);
        let l = ss_sections(&rows);
        assert_eq!(l.len(), 2, "{l:?}");
        assert_eq!((l[1].udp, l[1].port), (true, 546));
        assert_eq!(l[1].address, "fe80::1".parse::<IpAddr>().unwrap());
        assert_eq!((l[0].udp, l[0].port), (false, 443));
        let other: IpAddr = "10.0.0.6".parse().unwrap();
        assert!(!l[0].serves(other) && l[0].serves("10.0.0.5".parse().unwrap()));
        assert!(!l[1].serves("10.0.0.5".parse().unwrap()), "v6 is not v4");
        assert!(!l[0].serves("::1".parse().unwrap()), "v4 is not v6");
    }

    #[test]
    fn ss_runs_once_per_protocol_the_subjects_name_and_never_asks_for_close_sockets() {
        let frag = |subjects: &[&str]| {
            let p: Vec<Probe> = subjects.iter().map(|s| Probe::new(s, &[])).collect();
            Port.fragment(&p)
        };
        let tcp = "ss -H -n -t state listening";
        let udp = "ss -H -n -u state unconnected";
        let f = frag(&["22", "tcp/[::1]:5432"]);
        assert!(f.contains(tcp) && !f.contains(udp), "{f}");
        let f = frag(&["udp/123"]);
        assert!(!f.contains(tcp) && f.contains(udp), "{f}");
        let f = frag(&["udp/123", "tcp/22"]);
        assert!(f.contains(tcp) && f.contains(udp), "{f}");
        assert!(!f.contains(" -l"), "-l adds the CLOSE state: {f}");
    }

    #[test]
    fn proc_net_addresses_decode_as_a_little_endian_host_prints_them() {
        assert_eq!(decode_addr("0100007F"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(
            decode_addr("B80D01200000000000000000AB000000"),
            Some("2001:db8::ab".parse().unwrap())
        );
        assert_eq!(decode_addr("0100007"), None);
        assert_eq!(decode_addr("ZZ00007F"), None);
        let rows = lines(&[
            "/proc/net/tcp:   0: 0100007F:0016 00000000:0000 0A 0",
            "/proc/net/tcp:   1: 0100007F:0017 0100007F:9C40 01 0",
            "/proc/net/udp6:  2: 00000000000000000000000000000000:0223 00000000000000000000000000000000:0000 07 0",
            "/proc/net/udp:   3: 00000000:0224 00000000:0000 0A 0",
        ]);
        let l = listeners(&rows);
        assert_eq!(
            l.len(),
            2,
            "only LISTEN tcp and unconnected udp rows: {l:?}"
        );
        assert_eq!((l[0].udp, l[0].port), (false, 22));
        assert_eq!((l[1].udp, l[1].port, l[1].dual_stack), (true, 547, true));
        assert!(
            l[1].serves("192.0.2.1".parse().unwrap()),
            "`::` taken as dual-stack"
        );
    }

    #[test]
    fn the_module_declares_what_it_runs_and_answers() {
        assert_eq!(Port.programs(), Programs::Only(&["ss", "grep"]));
        assert_eq!(Port.attributes(), ["listening", "addresses"]);
        assert_eq!(Port.default_expect(), ("listening", Value::Bool(true)));
        assert!(Port.validate_subject("tcp/22").is_ok() && Port.validate_subject("x").is_err());
        let f = Port.fragment(&[]);
        assert!(f.contains("ss -H -n -t state listening") && f.ends_with("echo '@@END'"));
    }
}
