//! A real Salt fleet on 127.0.0.1 for tests: one `salt-master` and N `salt-minion`s from the
//! virtualenv scripts/salt-venv.sh installs, each with its own root_dir (pki, sockets,
//! cache, logs) under a temp dir, unique publish/return ports, `auto_accept`. `start` waits
//! until every minion's key is accepted and `test.ping` answers; drop kills every daemon's
//! process group and checks nothing of the fleet is left. Include with
//! `#[path = "support/salt_fleet.rs"] mod salt_fleet;` (needs `sshd_fleet` for /proc helpers).
#![allow(dead_code)]

use crate::sshd_fleet::processes_mentioning;
use driftscope::model::{Host, SaltMaster, SaltTarget, TransportKind};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Set in every daemon's environment (inherited by the shells their jobs start), so /proc
/// tells what belongs to this fleet.
const MARK_VAR: &str = "DS_SALT_FLEET";

/// How long a fleet may take to come up on a loaded 2-core machine.
const START_PATIENCE: Duration = Duration::from_secs(150);

/// The directory holding `salt`, `salt-master`, `salt-minion`, `salt-key`: from
/// `$DRIFTSCOPE_SALT_VENV`, else `target/venvs/salt`, installed by scripts/salt-venv.sh
/// (under a lock, once) when missing.
pub fn salt_bin_dir() -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = std::env::var_os("DRIFTSCOPE_SALT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target/venvs/salt"));
    let bin = venv.join("bin");
    if !bin.join("salt").exists() {
        let lock = repo.join("target/venvs/.salt.lock");
        let _ = fs::create_dir_all(repo.join("target/venvs"));
        let status = Command::new("flock")
            .arg(&lock)
            .arg(repo.join("scripts/salt-venv.sh"))
            .env("DRIFTSCOPE_SALT_VENV", &venv)
            .stdout(Stdio::null())
            .status();
        assert!(
            status.is_ok_and(|s| s.success()) && bin.join("salt").exists(),
            "Salt is not installed at {} and scripts/salt-venv.sh could not install it",
            venv.display()
        );
    }
    bin
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port")
}

fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("run id -un");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// One daemon, leader of its own process group.
struct Daemon {
    child: Child,
}

impl Daemon {
    fn start(bin: &Path, config_dir: &Path, log: &Path, mark: &str) -> Daemon {
        use std::os::unix::process::CommandExt;
        let out = fs::File::create(log).expect("daemon console log");
        let err = out.try_clone().expect("daemon console log");
        let child = Command::new(bin)
            .arg(format!("--config-dir={}", config_dir.display()))
            .arg("--log-level=quiet")
            .env(MARK_VAR, mark)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        Daemon { child }
    }

    /// SIGKILL the whole group (salt daemons ignore SIGTERM for seconds) and reap the leader.
    fn kill(&mut self) {
        if let Ok(pgid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) on the process group this daemon leads; no memory is touched.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        let _ = self.child.wait();
    }
}

pub struct SaltFleet {
    dir: tempfile::TempDir,
    bin_dir: PathBuf,
    /// The master's config directory (what `salt -c` takes).
    pub master_config: PathBuf,
    master: Option<Daemon>,
    minions: Vec<(String, Option<Daemon>)>,
}

impl SaltFleet {
    /// A master and minions `m1` … `mN`, every key accepted and every minion answering.
    pub fn start(n: usize) -> SaltFleet {
        let bin_dir = salt_bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("ds-salt-")
            .tempdir()
            .expect("temp dir");
        let root = dir.path();
        let (publish, ret) = (free_port(), free_port());
        let user = current_user();
        let master_config = root.join("master");
        fs::create_dir_all(&master_config).expect("master dir");
        fs::write(
            master_config.join("master"),
            format!(
                "root_dir: {root}/master/root\n\
                 interface: 127.0.0.1\n\
                 publish_port: {publish}\n\
                 ret_port: {ret}\n\
                 auto_accept: True\n\
                 user: {user}\n\
                 worker_threads: 3\n\
                 gather_job_timeout: 3\n\
                 log_file: {root}/master/master.log\n\
                 log_level_logfile: info\n",
                root = root.display()
            ),
        )
        .expect("master config");
        let mut fleet = SaltFleet {
            bin_dir,
            master_config,
            master: None,
            minions: Vec::new(),
            dir,
        };
        fleet.start_master();
        for i in 1..=n {
            let id = format!("m{i}");
            let conf = fleet.root().join(&id);
            fs::create_dir_all(&conf).expect("minion dir");
            fs::write(
                conf.join("minion"),
                format!(
                    "id: {id}\n\
                     root_dir: {root}/{id}/root\n\
                     master: 127.0.0.1\n\
                     master_port: {ret}\n\
                     publish_port: {publish}\n\
                     user: {user}\n\
                     multiprocessing: False\n\
                     acceptance_wait_time: 1\n\
                     log_file: {root}/{id}/minion.log\n\
                     log_level_logfile: info\n",
                    root = fleet.root().display()
                ),
            )
            .expect("minion config");
            fleet.minions.push((id.clone(), None));
            fleet.start_minion(&id);
        }
        fleet.wait_ready();
        fleet
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn bin(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// The master's settings as an inventory would give them.
    pub fn master(&self) -> SaltMaster {
        SaltMaster {
            config_dir: self.master_config.clone(),
            timeout_secs: 5,
            bin: self.bin("salt").display().to_string(),
        }
    }

    pub fn minion_ids(&self) -> Vec<String> {
        self.minions.iter().map(|(id, _)| id.clone()).collect()
    }

    /// A salt host named `name` that is minion `minion` of this fleet.
    pub fn host(&self, name: &str, minion: &str) -> Host {
        Host {
            name: name.into(),
            address: name.into(),
            transport: TransportKind::Salt,
            user: None,
            port: None,
            become_root: false,
            tags: vec!["linux".into()],
            vars: BTreeMap::new(),
            salt: Some(SaltTarget {
                minion: minion.into(),
                master: self.master(),
            }),
        }
    }

    /// One host per minion, named after it.
    pub fn hosts(&self) -> Vec<Host> {
        self.minion_ids()
            .iter()
            .map(|id| self.host(id, id))
            .collect()
    }

    fn start_master(&mut self) {
        let log = self.root().join("master/console.log");
        self.master = Some(Daemon::start(
            &self.bin("salt-master"),
            &self.master_config,
            &log,
            &self.marker(),
        ));
    }

    fn start_minion(&mut self, id: &str) {
        let conf = self.root().join(id);
        let daemon = Daemon::start(
            &self.bin("salt-minion"),
            &conf,
            &conf.join("console.log"),
            &self.marker(),
        );
        if let Some(slot) = self.minions.iter_mut().find(|(m, _)| m == id) {
            slot.1 = Some(daemon);
        }
    }

    /// What every process of this fleet mentions (its temp dir).
    pub fn marker(&self) -> String {
        self.root().display().to_string()
    }

    /// Run the salt CLI against this master (test helpers only).
    pub fn salt(&self, args: &[&str]) -> std::process::Output {
        Command::new(self.bin("salt"))
            .arg(format!("--config-dir={}", self.master_config.display()))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run salt")
    }

    /// Wait until every minion's key is accepted and every minion answers `test.ping`.
    fn wait_ready(&self) {
        let until = Instant::now() + START_PATIENCE;
        let keys = self.root().join("master/root/etc/salt/pki/master/minions");
        let ids = self.minion_ids();
        while !ids.iter().all(|id| keys.join(id).exists()) {
            assert!(
                Instant::now() < until,
                "minion keys not accepted in time; master log:\n{}",
                self.master_log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        loop {
            let out = self.salt(&[
                "--out=json",
                "--out-indent=-1",
                "--timeout=5",
                "--list",
                &ids.join(","),
                "test.ping",
            ]);
            let text = String::from_utf8_lossy(&out.stdout);
            let up = ids
                .iter()
                .filter(|id| text.contains(&format!("{{\"{id}\": true}}")))
                .count();
            if up == ids.len() {
                return;
            }
            assert!(
                Instant::now() < until,
                "minions did not answer test.ping in time: {text}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    pub fn master_log(&self) -> String {
        fs::read_to_string(self.root().join("master/master.log")).unwrap_or_default()
    }

    /// Stop one minion (its whole process tree) and wait until the master's transport sees it
    /// gone is not needed: the next job simply gets no return from it.
    pub fn stop_minion(&mut self, id: &str) {
        if let Some((_, Some(d))) = self.minions.iter_mut().find(|(m, _)| m == id) {
            d.kill();
        }
        if let Some(slot) = self.minions.iter_mut().find(|(m, _)| m == id) {
            slot.1 = None;
        }
    }

    pub fn stop_master(&mut self) {
        if let Some(mut d) = self.master.take() {
            d.kill();
        }
    }

    /// Live processes of this fleet (daemons and the shells their jobs started).
    pub fn leftovers(&self) -> Vec<(u32, String, String)> {
        processes_mentioning(&self.marker())
    }

    /// Stop everything; returns what was still alive after the groups were killed.
    pub fn shutdown(&mut self) -> Vec<(u32, String, String)> {
        for (_, d) in self.minions.iter_mut() {
            if let Some(mut d) = d.take() {
                d.kill();
            }
        }
        self.stop_master();
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            let left = self.leftovers();
            if left.is_empty() || Instant::now() > until {
                return left;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for SaltFleet {
    fn drop(&mut self) {
        let left = self.shutdown();
        // Never leave daemons behind, even when the assertion below fails a test.
        for (pid, _, _) in &left {
            if let Ok(pid) = i32::try_from(*pid) {
                // SAFETY: kill(2) on a pid found in /proc; no memory is touched.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
        if !std::thread::panicking() {
            assert!(left.is_empty(), "salt fleet processes left: {left:?}");
        }
    }
}
