//! process: the host's processes from its shared read ([`super::reads`]) of
//! `/proc/<pid>/comm` and `/proc/<pid>/cmdline` — no `ps`. When a check names `users`, ONE
//! `grep` adds each process's `Uid:` status line, and the effective uids are named from
//! `/etc/passwd` (also in the shared read; a uid it does not list shows as the number).
//! Hosts without `/proc` fall back to ONE `ps`.
//!
//! Subject `name` matches the process name exactly (like `pgrep -x`: the kernel's 15-byte
//! `comm`, or the basename of argv[0] for longer names); subject `args:<regex>` matches the
//! full command line with a Rust regex (evaluated here, so the regex never reaches the host
//! and cannot match the probe itself).

use super::batch::{REMOTE_READER, REMOTE_TIMEOUT};
use super::reads::{OWN_GREP_ARGS, OWN_HEAD_ARGS};
use super::{Module, Observation, Probe, Programs, Read, Reads, lossy_lines, observed};
use crate::model::{ModuleKind, Value};
use regex::Regex;
use std::collections::BTreeMap;

pub struct Process;

const USER_W: usize = 32;
const COMM_W: usize = 16;
/// The process table's files in the shared read.
const COMM_GLOB: &str = "/proc/[0-9]*/comm";
const CMDLINE_GLOB: &str = "/proc/[0-9]*/cmdline";
const PASSWD: &str = "/etc/passwd";
/// How the probe's own `ps` and `Uid:` grep show up in a listing.
const OWN_PS_ARGS: &str = "ps -e -ww -o pid= -o user:32= -o comm:16= -o args=";
const OWN_UID_GREP_ARGS: &str = "grep -H -s -m 1 ^Uid: /proc/";

/// The `timeout -s KILL <seconds> sh -s` the ssh transport runs the probe under.
fn is_remote_timeout(args: &str) -> bool {
    args.strip_prefix(REMOTE_TIMEOUT)
        .and_then(|rest| rest.strip_suffix(" sh -s"))
        .is_some_and(|secs| secs.trim().parse::<u64>().is_ok() && secs.starts_with(' '))
}

/// The ssh transport's reader waiting for (or about to run) a probe: `sh -c <REMOTE_READER>`,
/// also under `sudo -n`.
fn is_remote_reader(args: &str) -> bool {
    let sh = args.strip_prefix("sudo -n ").unwrap_or(args);
    sh.strip_prefix("sh -c ") == Some(REMOTE_READER)
}

/// One process.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    pid: u32,
    /// Effective user; empty when not read.
    user: String,
    comm: String,
    args: String,
}

/// One fixed-width `ps` row (the fallback without /proc).
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

/// `/proc/<pid>/<file>` → (pid, file).
fn proc_file(path: &[u8]) -> Option<(u32, &[u8])> {
    let rest = path.strip_prefix(b"/proc/")?;
    let slash = rest.iter().position(|b| *b == b'/')?;
    let pid = std::str::from_utf8(&rest[..slash]).ok()?.parse().ok()?;
    Some((pid, &rest[slash + 1..]))
}

/// Rows from the shared read of /proc/<pid>/comm and /proc/<pid>/cmdline (NUL-separated
/// arguments; a newline inside an argument continues on the next numbered line).
fn proc_rows(reads: &Reads) -> Vec<Row> {
    let mut by_pid: BTreeMap<u32, (String, Vec<u8>)> = BTreeMap::new();
    for (path, lines) in reads.under("/proc/") {
        let Some((pid, file)) = proc_file(path) else {
            continue;
        };
        match file {
            b"comm" => {
                if let Some((_, comm)) = lines.first() {
                    by_pid.entry(pid).or_default().0 = String::from_utf8_lossy(comm).into_owned();
                }
            }
            b"cmdline" => {
                let joined: Vec<&[u8]> = lines.iter().map(|(_, l)| l.as_slice()).collect();
                by_pid.entry(pid).or_default().1 = joined.join(&b'\n');
            }
            _ => {}
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

/// pid → effective uid from `/proc/<pid>/status:Uid:\t<real>\t<effective>\t…` lines.
fn effective_uids(lines: &[String]) -> BTreeMap<u32, u32> {
    lines
        .iter()
        .filter_map(|l| {
            let (path, rest) = l.split_once(":Uid:")?;
            let (pid, _) = proc_file(path.as_bytes())?;
            let euid = rest.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, euid))
        })
        .collect()
}

/// uid → name from /etc/passwd lines (the first entry of a uid wins, as for getpwuid).
fn passwd_names(reads: &Reads) -> BTreeMap<u32, String> {
    let mut names = BTreeMap::new();
    for (_, line) in reads.lines(PASSWD).map(Vec::as_slice).unwrap_or_default() {
        let line = String::from_utf8_lossy(line);
        let mut f = line.split(':');
        if let (Some(name), Some(_), Some(uid)) = (f.next(), f.next(), f.next())
            && let Ok(uid) = uid.parse::<u32>()
        {
            names.entry(uid).or_insert_with(|| name.to_string());
        }
    }
    names
}

enum Selector {
    Name(String),
    Args(Regex),
}

fn selector(subject: &str) -> Result<Selector, String> {
    match subject.strip_prefix("args:") {
        Some(re) => crate::model::regex_cache::compiled(re)
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
    fn programs(&self) -> Programs {
        Programs::Only(&["grep", "ps"])
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
    fn cost(&self, probes: &[Probe]) -> u32 {
        u32::from(probes.iter().any(|p| p.wants("users")))
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let uids = if probes.iter().any(|p| p.wants("users")) {
            "echo '@@UID'; grep -H -s -m 1 '^Uid:' /proc/[0-9]*/status; echo \"@@RC $?\""
        } else {
            "echo '@@RC 0'"
        };
        format!(
            "echo \"@@SELF $$\"\nif [ -r /proc/self/cmdline ]; then echo '@@PROC'; {uids}\n\
             else echo '@@PS'; ps -e -ww -o pid= -o user:{USER_W}= -o comm:{COMM_W}= -o args= 2>&1; echo \"@@RC $?\"; fi"
        )
    }
    fn reads(&self, probes: &[Probe]) -> Vec<Read> {
        let mut r = vec![Read::Glob(COMM_GLOB), Read::Glob(CMDLINE_GLOB)];
        if probes.iter().any(|p| p.wants("users")) {
            r.push(Read::System(PASSWD.into()));
        }
        r
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], reads: &Reads) -> Vec<Observation> {
        let raw: Vec<&[u8]> = output.split(|b| *b == b'\n').collect();
        let lines = lossy_lines(output);
        let error = |why: String| vec![Observation::Error(why); probes.len()];
        let Some(rc_at) = lines.iter().position(|l| l.starts_with("@@RC ")) else {
            return error("process probe output cut short".into());
        };
        let ps_at = lines.iter().position(|l| l == "@@PS");
        let rc: i32 = lines[rc_at][5..].trim().parse().unwrap_or(-1);
        let uid_at = lines.iter().position(|l| l == "@@UID");
        // grep -s still exits 2 when a process vanished between glob and read.
        let tolerated = match (ps_at, uid_at) {
            (Some(_), _) => rc == 0,
            (None, Some(at)) => rc <= 2 && rc_at > at + 1,
            (None, None) => rc == 0,
        };
        if !tolerated {
            let start = ps_at.or(uid_at).map_or(0, |s| s + 1);
            let why = if rc == 127 {
                "ps (or grep) is not installed".to_string()
            } else {
                let msg: Vec<&str> = lines[start.min(rc_at)..rc_at]
                    .iter()
                    .map(|s| s.trim())
                    .take(2)
                    .collect();
                format!("ps failed (exit {rc}): {}", msg.join("; "))
            };
            return error(why);
        }
        let rows: Vec<Row> = match ps_at {
            Some(at) => raw
                .get(at + 1..rc_at)
                .unwrap_or_default()
                .iter()
                .filter_map(|l| parse_row(l))
                .collect(),
            None if !reads.complete() => {
                return error("the process table was not read (output cut short)".into());
            }
            None if reads.cut().is_some_and(|p| p.starts_with(b"/proc/")) => {
                return error("the process table exceeded the read cap".into());
            }
            None => {
                let mut rows = proc_rows(reads);
                if let Some(at) = uid_at {
                    let uids = effective_uids(lines.get(at + 1..rc_at).unwrap_or_default());
                    let names = passwd_names(reads);
                    for r in &mut rows {
                        if let Some(uid) = uids.get(&r.pid) {
                            r.user = names.get(uid).cloned().unwrap_or_else(|| uid.to_string());
                        }
                    }
                }
                rows
            }
        };
        let users_read = ps_at.is_some() || uid_at.is_some();
        // The probe's own shell and its readers are not the host's processes.
        let own_pid: Option<u32> = lines
            .iter()
            .find_map(|l| l.strip_prefix("@@SELF "))
            .and_then(|p| p.trim().parse().ok());
        // Copies of the probe shell (same name and command line: the batch's concurrent
        // lanes, or another driftscope probe) are not counted either.
        let own_shell = rows
            .iter()
            .find(|r| Some(r.pid) == own_pid)
            .map(|r| (r.comm.clone(), r.args.clone()));
        let rows: Vec<Row> = rows
            .into_iter()
            .filter(|r| {
                Some(r.pid) != own_pid
                    && own_shell
                        .as_ref()
                        .is_none_or(|(comm, args)| r.comm != *comm || r.args != *args)
                    && ![OWN_PS_ARGS, OWN_UID_GREP_ARGS, OWN_GREP_ARGS, OWN_HEAD_ARGS]
                        .iter()
                        .any(|own| r.args.starts_with(own))
                    && !is_remote_timeout(&r.args)
                    && !is_remote_reader(&r.args)
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
                        if users_read {
                            Value::Array(users.into_iter().map(Value::String).collect())
                        } else {
                            Value::Null // not asked for: not read
                        },
                    ),
                ])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
