//! A fleet of real OpenSSH servers for integration tests: N `/usr/sbin/sshd -D` processes on
//! 127.0.0.1 ephemeral ports, each with its own ssh-keygen host key and a clean HOME whose
//! `.bashrc` is Debian's stock one (optionally preceded by a per-host "login prelude", the
//! way a real host's slow or noisy login scripts would be), one client key, an
//! authorized_keys, a known_hosts and an ssh_config with one `Host` alias per host, all in a
//! temp dir. Everything is killed and removed on drop, also when the test panics.
//!
//! Include with `#[path = "support/sshd_fleet.rs"] mod sshd_fleet;`.
#![allow(dead_code)]

use driftscope::model::{Host, TransportKind, Value};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";
const STOCK_BASHRC: &str = "/usr/share/base-files/dot.bashrc";
/// A local user without sudo rights, created on first use (tests run as root).
pub const NOSUDO_USER: &str = "dsfleet";

/// How one fleet host differs from the others.
#[derive(Debug, Clone, Default)]
pub struct HostSpec {
    pub name: String,
    /// Shell lines run at the top of the host's `~/.bashrc` (bash sources it for every
    /// command sshd runs): a slow login (`sleep 30`), noise (`head -c 3000 /dev/urandom`) …
    pub login_prelude: Option<String>,
}

impl HostSpec {
    pub fn named(name: &str) -> HostSpec {
        HostSpec {
            name: name.to_string(),
            login_prelude: None,
        }
    }
    pub fn with_prelude(mut self, lines: &str) -> HostSpec {
        self.login_prelude = Some(lines.to_string());
        self
    }
}

pub struct FleetHost {
    pub name: String,
    pub port: u16,
    /// Per-host directory: sshd config, host key, log.
    pub dir: PathBuf,
    /// Per-host state a check can read (`{vars.hostdir}`).
    pub srv: PathBuf,
    sshd: Option<Child>,
}

impl FleetHost {
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("sshd.log")
    }
    pub fn is_up(&self) -> bool {
        self.sshd.is_some()
    }
}

pub struct Fleet {
    root: tempfile::TempDir,
    pub ssh_config: PathBuf,
    pub hosts: Vec<FleetHost>,
    user: String,
}

fn run_ok(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn keygen(path: &Path, comment: &str) {
    let _ = fs::remove_file(path);
    let _ = fs::remove_file(path.with_extension("pub"));
    run_ok(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
            .arg(path),
    );
}

fn pubkey(path: &Path) -> String {
    let text = fs::read_to_string(path.with_extension("pub")).expect("read public key");
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port")
}

pub fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("run id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// Create [`NOSUDO_USER`] (no sudo rule, password field `*` so sshd does not treat the
/// account as locked) if missing. Needs root; returns the user to log in as.
pub fn ensure_nosudo_user() -> String {
    let exists = || {
        Command::new("id")
            .arg(NOSUDO_USER)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !exists() {
        assert!(is_root(), "creating the test user {NOSUDO_USER} needs root");
        let _ = Command::new("useradd")
            .args(["--system", "--no-create-home", "--home-dir", "/nonexistent"])
            .args(["--shell", "/bin/sh", "--password", "*", NOSUDO_USER])
            .status();
        assert!(exists(), "could not create user {NOSUDO_USER}");
    }
    NOSUDO_USER.to_string()
}

// ---------------------------------------------------------------- /proc helpers

/// (pid, state, ppid) of every process.
fn proc_table() -> Vec<(u32, char, u32)> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // comm may contain spaces and parens: parse after the last ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let state = f.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid = f.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        out.push((pid, state, ppid));
    }
    out
}

fn descendants(root: u32) -> Vec<u32> {
    let table = proc_table();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        for (pid, _, ppid) in &table {
            if *ppid == parent && !found.contains(pid) {
                found.push(*pid);
            }
        }
        i += 1;
    }
    found
}

fn read_nul_list(path: String) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// Live (non-zombie) processes, other than us, whose command line or environment
/// mentions `needle`: `(pid, comm, cmdline)`.
pub fn processes_mentioning(needle: &str) -> Vec<(u32, String, String)> {
    let me = std::process::id();
    proc_table()
        .into_iter()
        .filter(|(pid, state, _)| *pid != me && *state != 'Z' && *state != 'X')
        .filter_map(|(pid, _, _)| {
            let cmdline = read_nul_list(format!("/proc/{pid}/cmdline"));
            let environ = read_nul_list(format!("/proc/{pid}/environ"));
            (cmdline.contains(needle) || environ.contains(needle)).then(|| {
                let comm = fs::read_to_string(format!("/proc/{pid}/comm"))
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                (pid, comm, cmdline)
            })
        })
        .collect()
}

/// Poll until `f` holds, for `patience` at most; whether it held.
pub fn eventually(patience: Duration, mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + patience;
    while !f() {
        if Instant::now() > until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

fn kill9(pids: &[u32]) {
    for &pid in pids {
        if let Ok(pid) = i32::try_from(pid) {
            // SAFETY: kill(2) with a pid we found in /proc; no memory is touched.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

// ---------------------------------------------------------------- the fleet

impl Fleet {
    /// `n` plain hosts named `h01`, `h02` …
    pub fn uniform(n: usize) -> Fleet {
        Fleet::start(
            (1..=n)
                .map(|i| HostSpec::named(&format!("h{i:02}")))
                .collect(),
        )
    }

    pub fn start(specs: Vec<HostSpec>) -> Fleet {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} missing: install openssh-server (scripts/test.sh does)"
        );
        // sshd's privilege separation directory.
        if !Path::new("/run/sshd").is_dir() && is_root() {
            let _ = fs::create_dir_all("/run/sshd");
        }
        let root = tempfile::Builder::new()
            .prefix("ds-fleet-")
            .tempdir()
            .expect("create fleet temp dir");
        let r = root.path().to_path_buf();
        keygen(&r.join("client_key"), "driftscope-test-client");
        fs::write(
            r.join("authorized_keys"),
            pubkey(&r.join("client_key")) + "\n",
        )
        .expect("write authorized_keys");
        let user = current_user();
        let mut fleet = Fleet {
            ssh_config: r.join("ssh_config"),
            root,
            hosts: Vec::new(),
            user,
        };
        for spec in specs {
            let dir = r.join("hosts").join(&spec.name);
            let srv = dir.join("srv");
            let home = dir.join("home");
            fs::create_dir_all(&srv).expect("create host srv dir");
            fs::create_dir_all(&home).expect("create host home");
            let stock = fs::read_to_string(STOCK_BASHRC).unwrap_or_default();
            let bashrc = match &spec.login_prelude {
                Some(p) => format!("{p}\n{stock}"),
                None => stock,
            };
            fs::write(home.join(".bashrc"), bashrc).expect("write .bashrc");
            keygen(&dir.join("host_key"), &spec.name);
            fleet.hosts.push(FleetHost {
                name: spec.name,
                port: 0,
                dir,
                srv,
                sshd: None,
            });
        }
        for i in 0..fleet.hosts.len() {
            fleet.launch(i);
        }
        fleet.write_client_files();
        fleet
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// A string that every process of this fleet mentions (config paths, `DS_FLEET=`).
    pub fn marker(&self) -> String {
        self.root.path().to_string_lossy().into_owned()
    }

    fn index(&self, name: &str) -> usize {
        self.hosts
            .iter()
            .position(|h| h.name == name)
            .unwrap_or_else(|| panic!("no fleet host {name}"))
    }

    pub fn get(&self, name: &str) -> &FleetHost {
        &self.hosts[self.index(name)]
    }

    fn sshd_config(&self, h: &FleetHost, port: u16) -> String {
        let r = self.root.path().display();
        let d = h.dir.display();
        format!(
            "# driftscope test fleet host {name}\n\
             Port {port}\n\
             ListenAddress 127.0.0.1\n\
             AddressFamily inet\n\
             HostKey {d}/host_key\n\
             PidFile none\n\
             AuthorizedKeysFile {r}/authorized_keys\n\
             PubkeyAuthentication yes\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\n\
             UsePAM no\n\
             StrictModes no\n\
             MaxStartups 100\n\
             MaxSessions 100\n\
             UseDNS no\n\
             PrintMotd no\n\
             PrintLastLog no\n\
             X11Forwarding no\n\
             LogLevel VERBOSE\n\
             SetEnv HOME={d}/home DS_FLEET={r} FLEET_HOST={name}\n",
            name = h.name,
        )
    }

    /// Start host `i`'s sshd on a fresh ephemeral port (or its old port when it had one),
    /// retrying when another process takes the port first.
    fn launch(&mut self, i: usize) {
        let mut last_log = String::new();
        for attempt in 0..8 {
            let port = if self.hosts[i].port != 0 && attempt == 0 {
                self.hosts[i].port
            } else {
                free_port()
            };
            let cfg_path = self.hosts[i].dir.join("sshd_config");
            fs::write(&cfg_path, self.sshd_config(&self.hosts[i], port)).expect("sshd_config");
            let log_path = self.hosts[i].log_path();
            let log = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)
                .expect("open sshd log");
            let start_len = fs::metadata(&log_path).map(|m| m.len()).unwrap_or(0) as usize;
            let mut child = Command::new(SSHD)
                .args(["-D", "-e", "-f"])
                .arg(&cfg_path)
                .env("DS_FLEET", self.root.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start sshd");
            let listening = format!("Server listening on 127.0.0.1 port {port}.");
            let until = Instant::now() + Duration::from_secs(15);
            loop {
                let text = fs::read(&log_path).unwrap_or_default();
                let new = String::from_utf8_lossy(&text[start_len.min(text.len())..]).into_owned();
                if new.contains(&listening) {
                    self.hosts[i].port = port;
                    self.hosts[i].sshd = Some(child);
                    return;
                }
                if let Ok(Some(_)) = child.try_wait() {
                    last_log = new;
                    break; // e.g. "Bind to port … failed: Address already in use"
                }
                if Instant::now() > until {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("sshd for {} did not start: {new}", self.hosts[i].name);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("sshd for {} kept failing: {last_log}", self.hosts[i].name);
    }

    /// ssh_config (one alias per host, pinned by `HostKeyAlias`) and known_hosts.
    fn write_client_files(&self) {
        let r = self.root.path().display();
        let mut cfg = String::new();
        let mut known = String::new();
        for h in &self.hosts {
            cfg.push_str(&format!(
                "Host {name}\n  HostName 127.0.0.1\n  Port {port}\n  HostKeyAlias {name}\n",
                name = h.name,
                port = h.port
            ));
            known.push_str(&format!("{} {}\n", h.name, pubkey(&h.dir.join("host_key"))));
        }
        cfg.push_str(&format!(
            "Host *\n  User {user}\n  IdentityFile {r}/client_key\n  IdentitiesOnly yes\n  \
             UserKnownHostsFile {r}/known_hosts\n  GlobalKnownHostsFile /dev/null\n  \
             StrictHostKeyChecking yes\n  CheckHostIP no\n  BatchMode yes\n  LogLevel ERROR\n",
            user = self.user
        ));
        fs::write(&self.ssh_config, cfg).expect("write ssh_config");
        fs::write(self.root.path().join("known_hosts"), known).expect("write known_hosts");
    }

    /// The inventory host for fleet host `name` (address = its ssh_config alias).
    pub fn host(&self, name: &str) -> Host {
        let h = self.get(name);
        let mut vars = BTreeMap::new();
        vars.insert(
            "hostdir".to_string(),
            Value::String(h.srv.to_string_lossy().into_owned()),
        );
        Host {
            name: name.to_string(),
            address: name.to_string(),
            transport: TransportKind::Ssh,
            user: None,
            port: None,
            become_root: false,
            tags: vec!["fleet".into()],
            vars,
            salt: None,
        }
    }

    pub fn all_hosts(&self) -> Vec<Host> {
        self.hosts.iter().map(|h| self.host(&h.name)).collect()
    }

    /// SIGKILL host `name`'s sshd and every process below it (its connections and their
    /// sessions): the host is down, open connections drop.
    pub fn kill_host(&mut self, name: &str) {
        let i = self.index(name);
        if let Some(mut child) = self.hosts[i].sshd.take() {
            kill9(&descendants(child.id()));
            let _ = child.wait();
        }
    }

    /// Start a stopped host again on the same port.
    pub fn restart_host(&mut self, name: &str) {
        let i = self.index(name);
        self.kill_host(name);
        self.launch(i);
        self.write_client_files();
    }

    /// Give host `name` a new host key (as after a reinstall) and restart it; known_hosts
    /// keeps the old key.
    pub fn replace_host_key(&mut self, name: &str) {
        let i = self.index(name);
        let known = fs::read_to_string(self.root.path().join("known_hosts")).unwrap_or_default();
        self.kill_host(name);
        keygen(&self.hosts[i].dir.join("host_key"), name);
        self.launch(i);
        self.write_client_files();
        // Put the old key back: the client still remembers it.
        fs::write(self.root.path().join("known_hosts"), known).expect("restore known_hosts");
    }

    /// Remove host `name` from known_hosts (first contact with an unknown key).
    pub fn forget_host_key(&self, name: &str) {
        let path = self.root.path().join("known_hosts");
        let known = fs::read_to_string(&path).unwrap_or_default();
        let kept: String = known
            .lines()
            .filter(|l| l.split_whitespace().next() != Some(name))
            .map(|l| format!("{l}\n"))
            .collect();
        fs::write(&path, kept).expect("rewrite known_hosts");
    }

    /// What host `name`'s sshd logged.
    pub fn log(&self, name: &str) -> String {
        String::from_utf8_lossy(&fs::read(self.get(name).log_path()).unwrap_or_default())
            .into_owned()
    }

    /// How many times a client authenticated to host `name` (each is one SSH connection).
    pub fn logins(&self, name: &str) -> usize {
        self.log(name).matches("Accepted publickey for").count()
    }

    /// How many remote commands host `name` started (sessions on its connections).
    pub fn sessions(&self, name: &str) -> usize {
        self.log(name).matches("Starting session:").count()
    }

    /// Live processes of host `name` (remote shells and what they started).
    pub fn processes_of(&self, name: &str) -> Vec<(u32, String, String)> {
        let me = format!("FLEET_HOST={name} ");
        processes_mentioning(&self.marker())
            .into_iter()
            .filter(|(pid, _, _)| read_nul_list(format!("/proc/{pid}/environ")).contains(&me))
            .collect()
    }

    /// Pids of the spare sessions' readers waiting on host `name` (driftscope's
    /// `REMOTE_READER`, opened ahead of the next probe with `spare_sessions`).
    pub fn spare_readers(&self, name: &str) -> Vec<u32> {
        self.processes_of(name)
            .into_iter()
            .filter(|(_, _, cmdline)| cmdline.contains("read -r ds_secs"))
            .map(|p| p.0)
            .collect()
    }

    /// Write a file under host `name`'s srv dir.
    pub fn write_srv(&self, name: &str, rel: &str, content: &str) -> PathBuf {
        let p = self.get(name).srv.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("create srv subdir");
        }
        let mut f = fs::File::create(&p).expect("create srv file");
        f.write_all(content.as_bytes()).expect("write srv file");
        p
    }

    /// Processes still alive that belong to this fleet or to clients pointed at it
    /// (ssh masters run with `-F <fleet>/ssh_config`).
    pub fn leftovers(&self) -> Vec<(u32, String, String)> {
        processes_mentioning(&self.marker())
    }

    /// ssh client processes (masters) still pointed at this fleet, waiting up to
    /// `patience` for exiting ones to go.
    pub fn ssh_clients_after(&self, patience: Duration) -> Vec<(u32, String, String)> {
        let until = Instant::now() + patience;
        loop {
            let left: Vec<_> = self
                .leftovers()
                .into_iter()
                .filter(|p| p.1 == "ssh")
                .collect();
            if left.is_empty() || Instant::now() > until {
                return left;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stop everything of this fleet now (also what drop does).
    pub fn shutdown(&mut self) {
        let names: Vec<String> = self.hosts.iter().map(|h| h.name.clone()).collect();
        for n in names {
            self.kill_host(&n);
        }
        // Remote shells orphaned by a dropped connection still carry DS_FLEET=<root>.
        for _ in 0..3 {
            let left: Vec<u32> = self.leftovers().into_iter().map(|p| p.0).collect();
            if left.is_empty() {
                break;
            }
            kill9(&left);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.shutdown();
    }
}
