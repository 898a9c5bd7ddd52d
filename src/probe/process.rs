//! process: running processes from ONE `ps` for all subjects of the host.
//!
//! Subject `name` matches the process name exactly (like `pgrep -x`: the kernel's 15-byte
//! `comm`, or the basename of argv[0] for longer names); subject `args:<regex>` matches the
//! full command line with a Rust regex (evaluated here, so the regex never reaches the host
//! and cannot match the probe itself). `ps` prints fixed-width columns, so names with spaces
//! parse.

use super::{Module, Observation, Probe, lossy_lines, observed};
use crate::model::{ModuleKind, Value};
use regex::Regex;

pub struct Process;

const USER_W: usize = 32;
const COMM_W: usize = 16;
/// The process listing without users: one grep over /proc/<pid>/{comm,cmdline}.
const OWN_GREP: &str = "grep -a -H -s ''";
/// How our own grep shows up in its own output (cmdline, NULs as spaces).
const OWN_GREP_ARGS: &str = "grep -a -H -s  /proc/";
/// How our own `ps` shows up in its output.
const OWN_PS_ARGS: &str = "ps -e -ww -o pid= -o user:32= -o comm:16= -o args=";

/// One `ps` row.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    pid: u32,
    user: String,
    comm: String,
    args: String,
}

fn parse_row(line: &[u8]) -> Option<Row> {
    let start = line.iter().position(|b| *b != b' ')?;
    let digits = line[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let pid: u32 = std::str::from_utf8(&line[start..start + digits])
        .ok()?
        .parse()
        .ok()?;
    let rest = &line[start + digits..];
    // " " user(32) " " comm(16) " " args
    let user = rest.get(1..1 + USER_W)?;
    let comm = rest.get(2 + USER_W..2 + USER_W + COMM_W)?;
    let args = rest.get(3 + USER_W + COMM_W..).unwrap_or(&[]);
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim_end().to_string();
    Some(Row {
        pid,
        user: text(user),
        comm: text(comm),
        args: String::from_utf8_lossy(args).into_owned(),
    })
}

/// Rows from `grep -H ''` over /proc/<pid>/comm and /proc/<pid>/cmdline (NUL-separated
/// arguments; a newline inside an argument continues on the next output line, prefixed again).
fn proc_rows(lines: &[&[u8]]) -> Vec<Row> {
    let mut by_pid: std::collections::BTreeMap<u32, (String, Vec<u8>)> = Default::default();
    let mut last: Option<u32> = None;
    for line in lines {
        let parsed = line.strip_prefix(b"/proc/").and_then(|rest| {
            let slash = rest.iter().position(|b| *b == b'/')?;
            let pid: u32 = std::str::from_utf8(&rest[..slash]).ok()?.parse().ok()?;
            let rest = &rest[slash + 1..];
            if let Some(v) = rest.strip_prefix(b"comm:") {
                Some((pid, true, v))
            } else {
                rest.strip_prefix(b"cmdline:").map(|v| (pid, false, v))
            }
        });
        match parsed {
            Some((pid, true, v)) => {
                by_pid.entry(pid).or_default().0 = String::from_utf8_lossy(v).into_owned();
                last = None;
            }
            Some((pid, false, v)) => {
                let entry = by_pid.entry(pid).or_default();
                if last == Some(pid) {
                    // grep prefixes every line, also the rest of an argument after a newline.
                    entry.1.push(b'\n');
                    entry.1.extend_from_slice(v);
                } else {
                    entry.1 = v.to_vec();
                }
                last = Some(pid);
            }
            None => {
                if let Some(entry) = last.and_then(|p| by_pid.get_mut(&p)) {
                    entry.1.push(b'\n');
                    entry.1.extend_from_slice(line);
                }
            }
        }
    }
    by_pid
        .into_iter()
        .filter(|(_, (comm, _))| !comm.is_empty())
        .map(|(pid, (comm, cmdline))| {
            let args: Vec<u8> = cmdline
                .iter()
                .map(|b| if *b == 0 { b' ' } else { *b })
                .collect();
            let args = String::from_utf8_lossy(&args).trim_end().to_string();
            // Kernel threads have no command line; ps shows them as `[name]`.
            let args = if args.is_empty() {
                format!("[{comm}]")
            } else {
                args
            };
            Row {
                pid,
                user: String::new(),
                comm,
                args,
            }
        })
        .collect()
}

enum Selector {
    Name(String),
    Args(Regex),
}

fn selector(subject: &str) -> Result<Selector, String> {
    match subject.strip_prefix("args:") {
        Some(re) => Regex::new(re)
            .map(Selector::Args)
            .map_err(|e| format!("invalid regex in process subject {subject:?}: {e}")),
        None if subject.is_empty() || subject.contains('/') => Err(format!(
            "not a process name: {subject:?} (expected a name like `sshd`, or `args:<regex>` to match the command line)"
        )),
        None => Ok(Selector::Name(subject.to_string())),
    }
}

fn selects(sel: &Selector, r: &Row) -> bool {
    match sel {
        Selector::Args(re) => re.is_match(&r.args),
        Selector::Name(n) => {
            let argv0 = r.args.split(' ').next().unwrap_or("");
            let base = argv0.rsplit('/').next().unwrap_or(argv0);
            r.comm == *n
                || (n.len() > 15 && n.as_bytes().get(..15) == Some(r.comm.as_bytes()) && base == n)
        }
    }
}

impl Module for Process {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Process
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["running", "count", "users"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("running", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        selector(subject).map(|_| ())
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        if probes.iter().any(|p| p.wants("users")) {
            format!(
                "echo \"@@SELF $$\"; echo '@@PS'; ps -e -ww -o pid= -o user:{USER_W}= -o comm:{COMM_W}= -o args= 2>&1; echo \"@@RC $?\""
            )
        } else {
            // Without `users`, grep reads every comm and cmdline: a third of ps's CPU.
            format!(
                "echo \"@@SELF $$\"; echo '@@PROC'; {OWN_GREP} /proc/[0-9]*/comm /proc/[0-9]*/cmdline; echo \"@@RC $?\""
            )
        }
    }
    fn parse(&self, output: &[u8], probes: &[Probe]) -> Vec<Observation> {
        let raw: Vec<&[u8]> = output.split(|b| *b == b'\n').collect();
        let lines = lossy_lines(output);
        let Some(rc_at) = lines.iter().position(|l| l.starts_with("@@RC ")) else {
            return vec![Observation::Error("ps output cut short".into()); probes.len()];
        };
        let proc_mode = lines.iter().position(|l| l == "@@PROC");
        let start = lines
            .iter()
            .position(|l| l == "@@PS")
            .or(proc_mode)
            .map_or(0, |s| s + 1);
        let rc: i32 = lines[rc_at][5..].trim().parse().unwrap_or(-1);
        // grep -s still exits 2 when a process vanished between glob and read.
        let tolerated = if proc_mode.is_some() {
            rc <= 2 && rc_at > start
        } else {
            rc == 0
        };
        if !tolerated {
            let why = if rc == 127 {
                "ps (or grep) is not installed".to_string()
            } else {
                let msg: Vec<&str> = lines[start..rc_at]
                    .iter()
                    .map(|s| s.trim())
                    .take(2)
                    .collect();
                format!("ps failed (exit {rc}): {}", msg.join("; "))
            };
            return vec![Observation::Error(why); probes.len()];
        }
        // The probe's own shell and its ps are not the host's processes.
        let own_pid: Option<u32> = lines
            .iter()
            .find_map(|l| l.strip_prefix("@@SELF "))
            .and_then(|p| p.trim().parse().ok());
        let body = &raw[start..rc_at.min(raw.len())];
        let rows: Vec<Row> = if proc_mode.is_some() {
            proc_rows(body)
        } else {
            body.iter().filter_map(|l| parse_row(l)).collect()
        };
        let rows: Vec<Row> = rows
            .into_iter()
            .filter(|r| {
                Some(r.pid) != own_pid
                    && !r.args.starts_with(OWN_PS_ARGS)
                    && !r.args.starts_with(OWN_GREP_ARGS)
            })
            .collect();
        probes
            .iter()
            .map(|p| {
                let sel = match selector(&p.subject) {
                    Ok(s) => s,
                    Err(e) => return Observation::Error(e),
                };
                let hits: Vec<&Row> = rows.iter().filter(|r| selects(&sel, r)).collect();
                let mut users: Vec<String> = hits
                    .iter()
                    .filter(|r| !r.user.is_empty())
                    .map(|r| r.user.clone())
                    .collect();
                users.sort();
                users.dedup();
                observed([
                    ("running", Value::Bool(!hits.is_empty())),
                    ("count", Value::from(hits.len())),
                    (
                        "users",
                        if proc_mode.is_some() {
                            Value::Null // not asked for: not read
                        } else {
                            Value::Array(users.into_iter().map(Value::String).collect())
                        },
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

    #[test]
    fn real_ps_output_with_odd_names() {
        // Captured while `sh -c 'printf "we ird" > /proc/$$/comm; sleep 300'` ran as nobody.
        let out = include_bytes!("testdata/process/ps.out");
        let p: Vec<Probe> = [
            "we ird",
            "sleep",
            "args:^sleep 30[01]$",
            "kthreadd",
            "nosuchproc",
            "args:we ird",
        ]
        .iter()
        .map(|s| Probe::new(s, &["running"]))
        .collect();
        let obs = Process.parse(out, &p);
        let get = |i: usize, a: &str| match &obs[i] {
            Observation::Observed(m) => m[a].clone(),
            o => panic!("{o:?}"),
        };
        assert_eq!(get(0, "running"), json!(true), "comm with a space");
        assert_eq!(get(0, "users"), json!(["nobody"]));
        assert!(get(1, "count").as_u64().unwrap() >= 1);
        assert_eq!(get(2, "count"), json!(1));
        assert_eq!(get(3, "running"), json!(true));
        assert_eq!(get(4, "running"), json!(false));
        assert_eq!(get(4, "count"), json!(0));
        assert_eq!(get(5, "running"), json!(true));
    }

    #[test]
    fn real_proc_listing_without_ps() {
        // Captured while, as nobody, `sh -c 'printf "we ird" > /proc/$$/comm; sleep 300'` and
        // `sh -c 'sleep 301; :' "line\nbreak"` ran; no check wanted `users`.
        let out = include_bytes!("testdata/process/proc.out");
        let p: Vec<Probe> = [
            "we ird",
            "sleep",
            "args:^sleep 300$",
            "kthreadd",
            "args:^\\[kthreadd\\]$",
            "args:line\nbreak",
            "grep",
            "nosuchproc",
        ]
        .iter()
        .map(|s| Probe::new(s, &["running"]))
        .collect();
        let obs = Process.parse(out, &p);
        let get = |i: usize, a: &str| match &obs[i] {
            Observation::Observed(m) => m[a].clone(),
            o => panic!("{o:?}"),
        };
        assert_eq!(get(0, "running"), json!(true), "comm with a space");
        assert_eq!(get(0, "users"), Value::Null);
        assert!(get(1, "count").as_u64().unwrap() >= 2);
        assert_eq!(get(2, "count"), json!(1));
        assert_eq!(get(3, "running"), json!(true));
        assert_eq!(
            get(4, "running"),
            json!(true),
            "kernel threads look like ps shows them"
        );
        // runuser and the sh it started both carry the argument.
        assert_eq!(get(5, "count"), json!(2), "newline inside an argument");
        assert_eq!(
            get(6, "running"),
            json!(false),
            "the probe's own grep is not counted"
        );
        assert_eq!(get(7, "running"), json!(false));
        let frag = Process.fragment(&p);
        assert!(!frag.contains("ps -e"), "{frag}");
    }

    #[test]
    fn the_probe_itself_is_not_counted() {
        let out = b"@@SELF 41\n@@PS\n   41 root                             sh               sh -s\n   42 root                             ps               ps -e -ww -o pid= -o user:32= -o comm:16= -o args=\n   43 root                             sh               /bin/sh /usr/bin/x\n@@RC 0\n";
        let p = vec![Probe::new("sh", &["count"]), Probe::new("ps", &["count"])];
        let obs = Process.parse(out, &p);
        assert_eq!(
            obs[0],
            observed([
                ("running", json!(true)),
                ("count", json!(1)),
                ("users", json!(["root"]))
            ])
        );
        assert!(matches!(&obs[1], Observation::Observed(a) if a["count"] == json!(0)));
    }

    #[test]
    fn ps_failures_and_bad_subjects() {
        let p = vec![Probe::new("sshd", &[])];
        let obs = Process.parse(b"@@PS\nsh: 1: ps: not found\n@@RC 127\n", &p);
        assert!(matches!(&obs[0], Observation::Error(e) if e.contains("not installed")));
        let obs = Process.parse(b"@@PS\n    1 root", &p);
        assert!(matches!(&obs[0], Observation::Error(_)));
        let e = Process.validate_subject("args:(").unwrap_err();
        assert!(e.contains("invalid regex"), "{e}");
        assert!(
            Process
                .validate_subject("/usr/sbin/sshd")
                .unwrap_err()
                .contains("args:")
        );
    }
}
