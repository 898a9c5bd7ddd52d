//! The issue-3 probe benchmark's workload: the 50-check mix of shared/bench/suite/test_fleet.py
//! (packages, files, sysctls, users, groups, ports, processes, commands) against this host,
//! two ways:
//!
//! - `batched`: driftscope's ONE script (`ProbeScript::build`) on `/bin/sh -s`, parsed and
//!   evaluated (`ProbeScript::interpret`);
//! - `per-check`: the testinfra way, one `sh -c` per checked attribute.
//!
//! `probe_bench --mode batched|sequential|per-check|both|all --iterations N` prints each way's
//! pass count, median wall time and CPU, and the speedups against per-check (`sequential` is
//! the batched script without its two concurrent lanes; `both` = batched and per-check, `all`
//! adds sequential). benches/probe_forks.sh runs it under strace to count forks.
//! Uses std::process (no tokio) so strace counts only probe processes, not runtime threads.

use driftscope::model::{
    CheckKind, ExecKey, Execution, Matcher, ModuleKind, Outcome, ProbeTarget, Severity,
};
use driftscope::probe::batch::{Layout, ProbeScript};
use serde_json::{Value, json};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a per-check command's result is judged.
enum Want {
    Ok,
    NotOk,
    Out(&'static str),
    OutOwned(String),
    Starts(&'static str),
    Has(String),
    Lacks(String),
    NumLt(f64),
    NumGe(f64),
}

struct Check {
    exec: Execution,
    /// testinfra's way: one shell command per attribute.
    per_attribute: Vec<(String, Want)>,
}

fn exec(module: &str, subject: &str, expect: Value) -> Execution {
    let module = ModuleKind::from_name(module).unwrap_or(ModuleKind::Command);
    let expect = expect
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Matcher::parse(v).ok().map(|m| (k.clone(), m)))
                .collect()
        })
        .unwrap_or_default();
    Execution {
        key: ExecKey(format!("{module}[{subject}]")),
        check_id: format!("bench.{module}"),
        title: subject.into(),
        category: "bench".into(),
        kind: CheckKind::Static,
        severity: Severity::Medium,
        target: ProbeTarget {
            module,
            subject: subject.into(),
        },
        expect,
        sop: None,
        timeout: None,
        secret: None,
        os_family: Vec::new(),
    }
}

fn q(s: &str) -> String {
    driftscope::probe::quote::sh_quote(s)
}

fn checks(d: &str, port: u16, uid: u32) -> Vec<Check> {
    let mut v = Vec::new();
    let mut add = |e: Execution, cmds: Vec<(String, Want)>| {
        v.push(Check {
            exec: e,
            per_attribute: cmds,
        })
    };
    // packages (10)
    for p in [
        "openssh-server",
        "openssh-client",
        "bash",
        "coreutils",
        "procps",
        "iproute2",
    ] {
        add(
            exec("package", p, json!({"installed": true})),
            vec![(
                format!("dpkg-query -f '${{Status}}' -W {p}"),
                Want::Has(" installed".into()),
            )],
        );
    }
    add(
        exec(
            "package",
            "openssh-server",
            json!({"version": {"matches": "^1:9\\.2p1"}}),
        ),
        vec![(
            "dpkg-query -f '${Version}' -W openssh-server".into(),
            Want::Starts("1:9.2p1"),
        )],
    );
    add(
        exec("package", "bash", json!({"version": {"matches": "^5\\.2"}})),
        vec![(
            "dpkg-query -f '${Version}' -W bash".into(),
            Want::Starts("5.2"),
        )],
    );
    for p in ["telnetd", "rsh-server"] {
        add(
            exec("package", p, json!({"installed": false})),
            vec![(format!("dpkg-query -f '${{Status}}' -W {p}"), Want::NotOk)],
        );
    }
    // per-host files (14)
    let conf = format!("{d}/etc/app/app.conf");
    let key = format!("{d}/etc/app/secret.key");
    let cron = format!("{d}/etc/cron.d/backup");
    let f = |e: Execution, cmds: Vec<(String, Want)>| (e, cmds);
    let files = vec![
        f(
            exec("file", &conf, json!({"type": "file"})),
            vec![(format!("test -f {}", q(&conf)), Want::Ok)],
        ),
        f(
            exec("file", &conf, json!({"owner": "root", "group": "root"})),
            vec![
                (format!("stat -c %U {}", q(&conf)), Want::Out("root")),
                (format!("stat -c %G {}", q(&conf)), Want::Out("root")),
            ],
        ),
        f(
            exec("file", &conf, json!({"mode": "0644"})),
            vec![(format!("stat -c %a {}", q(&conf)), Want::Out("644"))],
        ),
        f(
            exec(
                "file",
                &conf,
                json!({"contains": [format!("^listen_port={port}$")]}),
            ),
            vec![(
                format!("grep -qs -- '^listen_port={port}$' {}", q(&conf)),
                Want::Ok,
            )],
        ),
        f(
            exec("file", &conf, json!({"contains": ["^log_level=info$"]})),
            vec![(
                format!("grep -qs -- '^log_level=info$' {}", q(&conf)),
                Want::Ok,
            )],
        ),
        f(
            exec("file", &conf, json!({"contains": ["^host=bench$"]})),
            vec![(format!("grep -qs -- '^host=bench$' {}", q(&conf)), Want::Ok)],
        ),
        f(
            exec("file", &key, json!({"mode": "0600"})),
            vec![(format!("stat -c %a {}", q(&key)), Want::Out("600"))],
        ),
        f(
            exec("file", &key, json!({"owner": "root"})),
            vec![(format!("stat -c %U {}", q(&key)), Want::Out("root"))],
        ),
        f(
            exec(
                "file",
                &format!("{d}/etc/app/release"),
                json!({"contains": ["^2\\.4\\.1$"]}),
            ),
            vec![(
                format!("cat {}", q(&format!("{d}/etc/app/release"))),
                Want::Out("2.4.1"),
            )],
        ),
        f(
            exec(
                "directory",
                &format!("{d}/var/lib/app"),
                json!({"exists": true, "mode": "0750"}),
            ),
            vec![
                (
                    format!("test -d {}", q(&format!("{d}/var/lib/app"))),
                    Want::Ok,
                ),
                (
                    format!("stat -c %a {}", q(&format!("{d}/var/lib/app"))),
                    Want::Out("750"),
                ),
            ],
        ),
        f(
            exec(
                "directory",
                &format!("{d}/var/log/app"),
                json!({"exists": true}),
            ),
            vec![(
                format!("test -d {}", q(&format!("{d}/var/log/app"))),
                Want::Ok,
            )],
        ),
        f(
            exec("file", &cron, json!({"contains": ["^0 3 \\* \\* \\* "]})),
            vec![(
                format!("grep -qs -- '^0 3 \\* \\* \\* ' {}", q(&cron)),
                Want::Ok,
            )],
        ),
        f(
            exec("file", &cron, json!({"mode": "0644"})),
            vec![(format!("stat -c %a {}", q(&cron)), Want::Out("644"))],
        ),
        f(
            exec(
                "file",
                &format!("{d}/etc/hostname"),
                json!({"contains": ["^bench$"]}),
            ),
            vec![(
                format!("cat {}", q(&format!("{d}/etc/hostname"))),
                Want::Out("bench"),
            )],
        ),
    ];
    for (e, c) in files {
        add(e, c);
    }
    // shared files (5)
    add(
        exec(
            "file",
            "/etc/passwd",
            json!({"mode": "0644", "owner": "root"}),
        ),
        vec![
            ("stat -c %a /etc/passwd".into(), Want::Out("644")),
            ("stat -c %U /etc/passwd".into(), Want::Out("root")),
        ],
    );
    add(
        exec(
            "file",
            "/etc/shadow",
            json!({"mode": "0640", "group": "shadow"}),
        ),
        vec![
            ("stat -c %a /etc/shadow".into(), Want::Out("640")),
            ("stat -c %G /etc/shadow".into(), Want::Out("shadow")),
        ],
    );
    add(
        exec("file", "/etc/ssh/sshd_config", json!({"type": "file"})),
        vec![("test -f /etc/ssh/sshd_config".into(), Want::Ok)],
    );
    add(
        exec("file", "/usr/sbin/sshd", json!({"mode": "0755"})),
        vec![("stat -c %a /usr/sbin/sshd".into(), Want::Out("755"))],
    );
    add(
        exec("file", "/tmp", json!({"mode": "1777"})),
        vec![("stat -c %a /tmp".into(), Want::Out("1777"))],
    );
    // sysctl (5)
    for (k, val) in [
        ("kernel.randomize_va_space", "2"),
        ("net.ipv4.ip_forward", "0"),
        ("fs.protected_hardlinks", "1"),
        ("net.ipv4.tcp_syncookies", "1"),
    ] {
        add(
            exec("sysctl", k, json!({"value": val})),
            vec![(format!("sysctl -n {k}"), Want::Out(val))],
        );
    }
    add(
        exec(
            "sysctl",
            "net.core.somaxconn",
            json!({"value": {"ge": 128}}),
        ),
        vec![("sysctl -n net.core.somaxconn".into(), Want::NumGe(128.0))],
    );
    // users / groups (7)
    add(
        exec("user", "root", json!({"uid": 0, "home": "/root"})),
        vec![
            ("id -u root".into(), Want::Out("0")),
            ("getent passwd root".into(), Want::Has(":/root:".into())),
        ],
    );
    add(
        exec("user", "root", json!({"shell": "/bin/bash"})),
        vec![("getent passwd root".into(), Want::Has(":/bin/bash".into()))],
    );
    add(
        exec("user", "sshd", json!({"exists": true})),
        vec![("id sshd".into(), Want::Ok)],
    );
    add(
        exec("user", "nobody", json!({"uid": 65534})),
        vec![("id -u nobody".into(), Want::Out("65534"))],
    );
    add(
        exec("user", "daemon", json!({"uid": 1})),
        vec![("id -u daemon".into(), Want::Out("1"))],
    );
    add(
        exec("group", "root", json!({"gid": 0})),
        vec![("getent group root".into(), Want::Has(":0:".into()))],
    );
    add(
        exec("group", "shadow", json!({"exists": true})),
        vec![("getent group shadow".into(), Want::Ok)],
    );
    // sockets (2)
    add(
        exec(
            "port",
            &format!("tcp/127.0.0.1:{port}"),
            json!({"listening": true}),
        ),
        vec![(
            "ss --listening --tcp --numeric".into(),
            Want::Has(format!("127.0.0.1:{port} ")),
        )],
    );
    add(
        exec("port", "tcp/23", json!({"listening": false})),
        vec![(
            "ss --listening --tcp --numeric".into(),
            Want::Lacks(":23 ".into()),
        )],
    );
    // processes (3)
    add(
        exec("process", "sleep", json!({"running": true})),
        vec![("ps -A -o comm=".into(), Want::Has("sleep".into()))],
    );
    add(
        exec(
            "process",
            "args:^sleep 4242\\.5$",
            json!({"running": true, "count": 1}),
        ),
        vec![("ps -A -o args=".into(), Want::Has("sleep 4242.5".into()))],
    );
    add(
        exec(
            "process",
            "args:^sleep 4242\\.5$",
            json!({"users": {"contains": [whoami_name(uid)]}}),
        ),
        vec![(
            "ps -A -o user=,args=".into(),
            Want::Has("sleep 4242.5".into()),
        )],
    );
    // commands (4)
    // "kernel is Linux": driftscope reads it from /proc/sys (the testinfra suite runs uname).
    add(
        exec("sysctl", "kernel.ostype", json!({"value": "Linux"})),
        vec![("uname -s".into(), Want::Out("Linux"))],
    );
    add(
        exec("command", "id -u", json!({"stdout": uid.to_string()})),
        vec![("id -u".into(), Want::OutOwned(uid.to_string()))],
    );
    add(
        // driftscope matches df's output with a regex instead of an awk|tr pipeline.
        exec(
            "command",
            "df -P /",
            json!({"stdout": {"matches": " ([0-8]?[0-9]|9[0-4])% /$"}}),
        ),
        vec![(
            "df -P / | awk 'NR==2 {print $5}' | tr -d %".into(),
            Want::NumLt(95.0),
        )],
    );
    add(
        exec(
            "command",
            "echo $HOME",
            json!({"stdout": {"matches": "^/"}}),
        ),
        vec![("echo $HOME".into(), Want::Starts("/"))],
    );
    v
}

fn whoami_name(uid: u32) -> String {
    if uid == 0 {
        "root".into()
    } else {
        std::env::var("USER").unwrap_or_default()
    }
}

fn current_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|u| u.parse().ok()))
        })
        .unwrap_or(u32::MAX)
}

/// The per-host tree of the fleet bench (shared/bench/fleet.sh), under `d`.
fn make_tree(d: &str, port: u16) -> std::io::Result<()> {
    for sub in ["etc/app", "etc/cron.d", "var/lib/app", "var/log/app"] {
        std::fs::create_dir_all(format!("{d}/{sub}"))?;
    }
    let write = |p: &str, body: &str, mode: u32| -> std::io::Result<()> {
        let path = format!("{d}/{p}");
        std::fs::write(&path, body)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
    };
    write(
        "etc/app/app.conf",
        &format!("listen_port={port}\nlog_level=info\nhost=bench\n"),
        0o644,
    )?;
    write("etc/app/secret.key", "s3cret\n", 0o600)?;
    write("etc/app/release", "2.4.1\n", 0o644)?;
    write(
        "etc/cron.d/backup",
        "0 3 * * * root /usr/local/bin/backup\n",
        0o644,
    )?;
    write("etc/hostname", "bench\n", 0o644)?;
    std::fs::set_permissions(
        format!("{d}/var/lib/app"),
        std::fs::Permissions::from_mode(0o750),
    )
}

fn run_batched(execs: &[Execution], layout: Layout) -> usize {
    let script = ProbeScript::build_with_layout(execs, layout);
    let child = Command::new("/bin/sh")
        .arg("-s")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else { return 0 };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(script.text.as_bytes());
    }
    let Ok(out) = child.wait_with_output() else {
        return 0;
    };
    let verdicts = script.interpret(&out.stdout, execs);
    for (e, v) in execs.iter().zip(&verdicts) {
        if v.outcome != Outcome::Pass && std::env::var_os("BENCH_VERBOSE").is_some() {
            eprintln!(
                "batched {} {}: {:?} {}",
                e.target.module, e.target.subject, v.outcome, v.actual
            );
        }
    }
    verdicts
        .iter()
        .filter(|v| v.outcome == Outcome::Pass)
        .count()
}

fn judge(want: &Want, ok: bool, out: &str) -> bool {
    let out = out.trim_end_matches('\n');
    match want {
        Want::Ok => ok,
        Want::NotOk => !ok,
        Want::Out(s) => ok && out == *s,
        Want::OutOwned(s) => ok && out == s,
        Want::Starts(s) => ok && out.starts_with(s),
        Want::Has(s) => ok && out.contains(s.as_str()),
        Want::Lacks(s) => ok && !out.contains(s.as_str()),
        Want::NumLt(n) => out.trim().parse::<f64>().is_ok_and(|v| v < *n),
        Want::NumGe(n) => out.trim().parse::<f64>().is_ok_and(|v| v >= *n),
    }
}

fn run_per_check(checks: &[Check]) -> usize {
    checks
        .iter()
        .filter(|c| {
            c.per_attribute.iter().all(|(cmd, want)| {
                match Command::new("/bin/sh")
                    .arg("-c")
                    .arg(cmd)
                    .stdin(Stdio::null())
                    .stderr(Stdio::null())
                    .output()
                {
                    Ok(o) => judge(
                        want,
                        o.status.success(),
                        &String::from_utf8_lossy(&o.stdout),
                    ),
                    Err(_) => false,
                }
            })
        })
        .count()
}

/// CPU time (user + system) of all waited-for children so far (getrusage: microseconds,
/// not the 10 ms clock ticks of /proc/self/stat).
fn children_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn main() {
    let mut mode = "both".to_string();
    let mut iterations = 11usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--mode" => mode = args.next().unwrap_or(mode),
            "--iterations" => {
                iterations = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(iterations)
            }
            other => {
                eprintln!(
                    "unknown argument {other:?}; usage: probe_bench [--mode batched|sequential|per-check|both|all|setup|script] [--iterations N]"
                );
                std::process::exit(2);
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("ds-bench-{}", std::process::id()));
    let d = dir.to_string_lossy().to_string();
    let listener = match std::net::TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bind: {e}");
            std::process::exit(1);
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    if let Err(e) = make_tree(&d, port) {
        eprintln!("creating {d}: {e}");
        std::process::exit(1);
    }
    let agent = Command::new("sleep").arg("4242.5").spawn();
    let checks = checks(&d, port, current_uid());
    let execs: Vec<Execution> = checks.iter().map(|c| c.exec.clone()).collect();
    let commands: usize = checks.iter().map(|c| c.per_attribute.len()).sum();
    if mode == "script" {
        // The batched script itself, for strace/hyperfine: `probe_bench --mode script
        // --iterations 300 > s.sh &` keeps the tree, listener and agent for 300 s.
        print!("{}", ProbeScript::build(&execs).text);
        let _ = std::io::stdout().flush();
        std::thread::sleep(Duration::from_secs(iterations as u64));
        if let Ok(mut a) = agent {
            let _ = a.kill();
            let _ = a.wait();
        }
        let _ = std::fs::remove_dir_all(&dir);
        return;
    } else {
        println!("checks: {} (per-check commands: {commands})", checks.len());
    }
    // `setup` measures nothing: strace subtracts its processes (the agent) from the others.
    // Runs alternate between the two ways so both see the same machine load.
    let ways: Vec<&str> = match mode.as_str() {
        "both" => vec!["batched", "per-check"],
        "all" => vec!["batched", "sequential", "per-check"],
        "batched" | "sequential" | "per-check" => vec![mode.as_str()],
        _ => vec![],
    };
    let mut times = vec![Vec::new(); ways.len()];
    let mut cpu = vec![Duration::ZERO; ways.len()];
    let mut passed = vec![0usize; ways.len()];
    for _ in 0..iterations {
        for (w, way) in ways.iter().enumerate() {
            let cpu0 = children_cpu();
            let t = Instant::now();
            passed[w] = match *way {
                "batched" => run_batched(&execs, Layout::Lanes),
                "sequential" => run_batched(&execs, Layout::Sequential),
                _ => run_per_check(&checks),
            };
            times[w].push(t.elapsed());
            cpu[w] += children_cpu() - cpu0;
        }
    }
    let rows: Vec<(&str, usize, Duration, Duration)> = ways
        .iter()
        .enumerate()
        .map(|(w, way)| {
            (
                *way,
                passed[w],
                median(std::mem::take(&mut times[w])),
                cpu[w] / iterations.max(1) as u32,
            )
        })
        .collect();
    println!(
        "| mode | pass | median wall (ms) over {iterations} runs | mean CPU of the probe processes (ms) |"
    );
    println!("|---|---|---|---|");
    for (m, p, t, cpu) in &rows {
        println!(
            "| {m} | {p}/{} | {:.1} | {:.1} |",
            checks.len(),
            t.as_secs_f64() * 1000.0,
            cpu.as_secs_f64() * 1000.0
        );
    }
    if let Some((_, _, p, pc)) = rows.iter().find(|r| r.0 == "per-check") {
        for (m, _, b, bc) in rows.iter().filter(|r| r.0 != "per-check") {
            println!(
                "speedup (per-check / {m}): wall {:.1}x, CPU {:.1}x",
                p.as_secs_f64() / b.as_secs_f64().max(1e-9),
                pc.as_secs_f64() / bc.as_secs_f64().max(1e-9)
            );
        }
    }
    if let Ok(mut a) = agent {
        let _ = a.kill();
        let _ = a.wait();
    }
    drop(listener);
    let _ = std::fs::remove_dir_all(&dir);
}
