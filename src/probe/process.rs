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
    fn fragment(&self, _probes: &[Probe]) -> String {
        format!(
            "echo '@@PS'; ps -e -ww -o pid= -o user:{USER_W}= -o comm:{COMM_W}= -o args= 2>&1; echo \"@@RC $?\""
        )
    }
    fn parse(&self, output: &[u8], probes: &[Probe]) -> Vec<Observation> {
        let raw: Vec<&[u8]> = output.split(|b| *b == b'\n').collect();
        let lines = lossy_lines(output);
        let Some(rc_at) = lines.iter().position(|l| l.starts_with("@@RC ")) else {
            return vec![Observation::Error("ps output cut short".into()); probes.len()];
        };
        let start = lines.iter().position(|l| l == "@@PS").map_or(0, |s| s + 1);
        let rc: i32 = lines[rc_at][5..].trim().parse().unwrap_or(-1);
        if rc != 0 {
            let why = if rc == 127 {
                "ps is not installed".to_string()
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
        let rows: Vec<Row> = raw[start..rc_at.min(raw.len())]
            .iter()
            .filter_map(|l| parse_row(l))
            .collect();
        probes
            .iter()
            .map(|p| {
                let sel = match selector(&p.subject) {
                    Ok(s) => s,
                    Err(e) => return Observation::Error(e),
                };
                let hits: Vec<&Row> = rows.iter().filter(|r| selects(&sel, r)).collect();
                let mut users: Vec<String> = hits.iter().map(|r| r.user.clone()).collect();
                users.sort();
                users.dedup();
                observed([
                    ("running", Value::Bool(!hits.is_empty())),
                    ("count", Value::from(hits.len())),
                    (
                        "users",
                        Value::Array(users.into_iter().map(Value::String).collect()),
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
