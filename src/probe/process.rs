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
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn real_ps_output_with_odd_names() {
        // Captured by scripts/capture-process-fixtures.sh in a fresh PID namespace.
        let out = include_bytes!("testdata/process/ps.out");
        let p: Vec<Probe> = [
            "we ird",
            "sleep",
            "args:^sleep 30[01]$",
            "ds-zombie",
            "nosuchproc",
            "args:we ird",
        ]
        .iter()
        .map(|s| Probe::new(s, &["running"]))
        .collect();
        let obs = Process.parse(out, &p);
        let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(get(0, "running"), json!(true), "comm with a space");
        assert_eq!(get(0, "users"), json!(["nobody"]));
        assert_eq!(get(1, "count"), json!(2));
        assert_eq!(get(2, "count"), json!(2));
        assert_eq!(get(3, "running"), json!(true), "a zombie is listed");
        assert_eq!(get(4, "running"), json!(false));
        assert_eq!(get(4, "count"), json!(0));
        assert_eq!(get(5, "running"), json!(true));
    }

    #[test]
    fn real_proc_listing_without_ps() {
        // Captured (scripts/capture-process-fixtures.sh) while, as nobody, `sh -c 'printf
        // "we ird" > /proc/$$/comm; sleep 300'` and `sh -c 'sleep 301; :' "line\nbreak"` ran,
        // and a root zombie `ds-zombie`; no check wanted `users`.
        let out = include_bytes!("testdata/process/proc.out");
        let p: Vec<Probe> = [
            "we ird",
            "sleep",
            "args:^sleep 300$",
            "ds-zombie",
            "args:^\\[ds-zombie\\]$",
            "args:line\nbreak",
            "grep",
            "nosuchproc",
        ]
        .iter()
        .map(|s| Probe::new(s, &["running"]))
        .collect();
        let obs = Process.parse(out, &p);
        let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(get(0, "running"), json!(true), "comm with a space");
        assert_eq!(get(0, "users"), Value::Null);
        assert!(get(1, "count").as_u64().unwrap() >= 2);
        assert_eq!(get(2, "count"), json!(1));
        assert_eq!(get(3, "running"), json!(true));
        assert_eq!(
            get(4, "running"),
            json!(true),
            "an empty cmdline (kernel threads, zombies) looks like ps shows it"
        );
        // runuser and the sh it started both carry the argument.
        assert_eq!(get(5, "count"), json!(2), "newline inside an argument");
        assert_eq!(
            get(6, "running"),
            json!(false),
            "the probe's own grep is not counted"
        );
        assert_eq!(get(7, "running"), json!(false));
        // Nobody wants `users`: neither the status lines nor /etc/passwd are read.
        assert!(!Process.fragment(&p).contains("status"));
        assert!(!Process.reads(&p).contains(&Read::System(PASSWD.into())));
    }

    #[test]
    fn real_proc_listing_with_users() {
        // Captured as nobody while, besides the processes above, `setpriv --reuid=4242 sleep
        // 302` ran (uid 4242 is not in the capture's /etc/passwd); checks wanted `users`.
        let out = include_bytes!("testdata/process/proc-users.out");
        let p: Vec<Probe> = [
            "we ird",
            "sleep",
            "args:^sleep 302$",
            "ds-zombie",
            "grep",
            "head",
        ]
        .iter()
        .map(|s| Probe::new(s, &["users"]))
        .collect();
        let obs = Process.parse(out, &p);
        let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(get(0, "users"), json!(["nobody"]));
        assert_eq!(get(1, "count"), json!(3));
        assert_eq!(
            get(1, "users"),
            json!(["4242", "nobody"]),
            "a uid /etc/passwd does not list shows as the number"
        );
        assert_eq!(get(2, "users"), json!(["4242"]));
        assert_eq!(
            get(3, "users"),
            json!(["root"]),
            "the zombie keeps its owner"
        );
        assert_eq!(get(4, "running"), json!(false), "the shared read's grep");
        assert_eq!(get(5, "running"), json!(false), "the shared read's head");
        // Without the shared read, or with it cut short, nothing is guessed.
        let (own, _) = super::super::reads::split_capture(out);
        let obs = Process.parse(own, &p);
        assert!(
            matches!(&obs[0], Observation::Error(e) if e.contains("not read")),
            "{:?}",
            obs[0]
        );
    }

    #[test]
    fn the_probe_itself_is_not_counted() {
        // 44 is a lane of the probe (a fork of its shell): ps runs inside one.
        let out = b"@@SELF 41\n@@PS\n   41 root                             sh               sh -s\n   42 root                             ps               ps -e -ww -o pid= -o user:32= -o comm:16= -o args=\n   43 root                             sh               /bin/sh /usr/bin/x\n   44 root                             sh               sh -s\n@@RC 0\n";
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
        // Markers out of order (garbled output) are an answer, never a panic.
        for garbled in [
            &b"@@RC 0\n@@PS\n"[..],
            b"@@RC 1\n@@PROC\n@@UID\n",
            b"@@PROC\n@@RC 0\n@@UID\n",
        ] {
            assert_eq!(Process.parse(garbled, &p).len(), 1);
        }
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

    #[test]
    fn the_transports_remote_timeout_is_not_a_host_process() {
        assert!(is_remote_timeout("timeout -s KILL 9 sh -s"));
        assert!(is_remote_timeout("timeout -s KILL 3600 sh -s"));
        for other in [
            "timeout -s KILL 9 sh -s -x",
            "timeout -s KILL sh -s",
            "timeout -s KILL 9x sh -s",
            "timeout 9 sh -s",
            "timeout -s KILL9 sh -s",
            "sh -s",
        ] {
            assert!(!is_remote_timeout(other), "{other}");
        }
    }

    #[test]
    fn the_ssh_transports_waiting_reader_is_not_a_host_process() {
        let reader = format!("sh -c {REMOTE_READER}");
        assert!(is_remote_reader(&reader));
        assert!(is_remote_reader(&format!("sudo -n {reader}")));
        assert!(REMOTE_READER.contains(REMOTE_TIMEOUT));
        for other in [
            "sh -c read -r x",
            "bash -c read -r ds_secs",
            "sh -s",
            &format!("{reader} extra"),
            &format!("sudo {reader}"),
        ] {
            assert!(!is_remote_reader(other), "{other}");
        }
    }

    #[test]
    fn contract_and_cost() {
        crate::probe::test_support::assert_contract(
            ModuleKind::Process,
            Programs::Only(&["grep", "ps"]),
            &["running", "count", "users"],
            ("running", Value::Bool(true)),
        );
        let plain = [Probe::new("sshd", &["running"])];
        let users = [
            Probe::new("sshd", &["running"]),
            Probe::new("cron", &["users"]),
        ];
        assert_eq!(Process.cost(&plain), 0, "the shared read only");
        assert_eq!(Process.cost(&users), 1, "one grep of the Uid: lines");
        assert!(Process.reads(&users).contains(&Read::System(PASSWD.into())));
        assert!(Process.validate_subject("").is_err());
        assert!(Process.validate_subject("sshd").is_ok());
    }

    fn ps_line(pid: u32, user: &str, comm: &str, args: &str) -> String {
        format!("{pid:>5} {user:<32} {comm:<16} {args}\n")
    }

    /// Like `pgrep -x`: a name longer than the kernel's 15-byte comm matches by the basename
    /// of argv[0]; a name that only shares the first 15 bytes does not.
    #[test]
    fn long_names_match_by_argv0() {
        let out = format!(
            "@@SELF 1\n@@PS\n{}{}{}@@RC 0\n",
            ps_line(
                10,
                "root",
                "systemd-journal",
                "/lib/systemd/systemd-journald"
            ),
            ps_line(11, "app", "averyveryverylo", "averyveryverylongname --x"),
            ps_line(12, "web", "averyveryverylo", "/opt/averyveryverylongother"),
        );
        let p: Vec<Probe> = [
            "systemd-journald",
            "systemd-journal",
            "systemd-journalX",
            "averyveryverylongname",
            "averyveryverylo",
        ]
        .iter()
        .map(|s| Probe::new(s, &["count"]))
        .collect();
        let obs = Process.parse(out.as_bytes(), &p);
        let get = |i: usize, a: &str| crate::probe::observed_attr(&obs, i, a);
        assert_eq!(get(0, "count"), json!(1));
        assert_eq!(get(1, "count"), json!(1), "the comm itself");
        assert_eq!(get(2, "count"), json!(0));
        assert_eq!(get(3, "count"), json!(1));
        assert_eq!(get(3, "users"), json!(["app"]));
        assert_eq!(get(4, "count"), json!(2));
        assert_eq!(get(4, "users"), json!(["app", "web"]));
    }

    #[test]
    fn a_failing_ps_says_why() {
        let p = vec![Probe::new("sshd", &[])];
        let obs = Process.parse(
            b"@@SELF 5\n@@PS\n ps: bad option \nusage: ps\nmore\n@@RC 1\n",
            &p,
        );
        assert_eq!(
            obs,
            vec![Observation::Error(
                "ps failed (exit 1): ps: bad option; usage: ps".into()
            )]
        );
        let obs = Process.parse(b"@@SELF 5\n@@PS\n@@RC x\n", &p);
        assert_eq!(
            obs,
            vec![Observation::Error("ps failed (exit -1): ".into())]
        );
    }

    /// The real fragment and shared read of this machine, on a process this test starts.
    #[test]
    fn a_process_this_test_started_is_seen_by_the_real_probe() {
        use crate::model::Outcome;
        use crate::probe::test_support::{exec, run_here};
        let mut child = std::process::Command::new("sleep")
            .arg("3141.5926")
            .spawn()
            .unwrap();
        let me = std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap();
        let me = String::from_utf8_lossy(&me.stdout).trim().to_string();
        let proc = |subject: &str, attr: &str, want: Value| {
            exec(ModuleKind::Process, subject, &[(attr, want)])
        };
        let v = run_here(&[
            proc(r"args:^sleep 3141\.5926$", "count", json!(1)),
            proc(r"args:^sleep 3141\.5926$", "users", json!([me])),
            proc("sleep", "running", json!(true)),
            proc("ds-no-such-process-14", "running", json!(false)),
        ]);
        child.kill().unwrap();
        child.wait().unwrap();
        for verdict in &v {
            assert_eq!(verdict.outcome, Outcome::Pass, "{v:#?}");
        }
    }
}
