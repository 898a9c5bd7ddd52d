//! Kept connections (`--keep-connections 10m`, config `keep_connections = "10m"`): SSH
//! ControlMasters that outlive one driftscope launch, so the next launch of the same user
//! skips the handshake.
//!
//! Sockets live in one private per-user directory ([`default_root`]: `$XDG_RUNTIME_DIR/
//! driftscope`, else `<tmp>/driftscope-<uid>`, mode 0700, refused when another user owns it
//! or others can enter it), one 0700 subdirectory per connection named by a hash of what
//! decides the connection: destination, user, port, the ssh_config in use (its path and its
//! contents) and the host-key policy. A later launch with the same inputs finds the socket,
//! asks the master whether it is alive (a local round trip over the socket) and reuses it;
//! a dead socket is removed and a new master takes its place. A lock file per subdirectory
//! keeps two launches from starting two masters on one socket.
//!
//! [`disconnect_all`] closes every kept master (`driftscope disconnect`).
//!
//! Must not weaken anything: a kept master was started with the same options as any other
//! (strict host keys, `BatchMode`, the user's config); only its `ControlPersist` is the
//! keep duration.

use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::control_dir::private_mode;

/// Why kept connections could not be used or closed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KeepError {
    #[error("keep_connections: {0}")]
    BadDuration(String),
    #[error("cannot create the kept-connection directory {path}: {why}")]
    Create { path: PathBuf, why: String },
    #[error(
        "refusing to keep connections in {path}: it is {found}, but must be a directory of \
         this user with mode 0700 (control sockets give whoever reaches them a shell)"
    )]
    NotPrivate { path: PathBuf, found: String },
    #[error("cannot read the kept-connection directory {path}: {why}")]
    Read { path: PathBuf, why: String },
    #[error("another driftscope holds the connection lock {path} past the deadline")]
    LockTimeout { path: PathBuf },
}

/// Longest keep duration accepted (a day): a kept master is a live authenticated channel.
pub const MAX_KEEP: Duration = Duration::from_secs(86_400);

/// Parse a keep duration as the flag and the config key take it: `10m`, `1h`, `90s`;
/// `off` (or `0`) means do not keep (None). The one place the config file and the CLI share.
pub fn parse_keep_connections(text: &str) -> Result<Option<Duration>, KeepError> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("off") || t == "0" {
        return Ok(None);
    }
    let d = crate::model::parse_age(t).map_err(KeepError::BadDuration)?;
    if d.is_zero() {
        return Ok(None);
    }
    if d > MAX_KEEP {
        return Err(KeepError::BadDuration(format!(
            "{t:?} is longer than the maximum of 24h"
        )));
    }
    Ok(Some(d))
}

/// `$XDG_RUNTIME_DIR/driftscope` when the runtime dir is usable, else
/// `<temp dir>/driftscope-<uid>`.
pub fn default_root() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_dir())
    {
        Some(runtime) => runtime.join("driftscope"),
        None => std::env::temp_dir().join(format!("driftscope-{}", effective_uid())),
    }
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Create `dir` 0700 if missing; refuse it unless it is a directory of ours that nobody
/// else can enter.
fn ensure_private(dir: &Path) -> Result<(), KeepError> {
    match std::fs::DirBuilder::new()
        .mode(private_mode().mode())
        .create(dir)
    {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(KeepError::Create {
                path: dir.to_path_buf(),
                why: e.to_string(),
            });
        }
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|e| KeepError::Create {
        path: dir.to_path_buf(),
        why: e.to_string(),
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if !meta.is_dir() || meta.uid() != effective_uid() || mode & 0o077 != 0 {
        let kind = if meta.file_type().is_symlink() {
            "a symlink"
        } else if meta.is_dir() {
            "a directory"
        } else {
            "a file"
        };
        return Err(KeepError::NotPrivate {
            path: dir.to_path_buf(),
            found: format!("{kind} of uid {} with mode {mode:04o}", meta.uid()),
        });
    }
    Ok(())
}

/// What decides whether a kept master may serve a connection: anything that would make
/// a new `ssh` connect differently.
#[derive(Debug, Clone)]
pub struct KeepKey<'a> {
    pub address: &'a str,
    pub user: Option<&'a str>,
    pub port: Option<u16>,
    /// `--ssh-config FILE`; None = `~/.ssh/config` (whose contents count too).
    pub config_file: Option<&'a Path>,
    /// `StrictHostKeyChecking` value the master was started with.
    pub host_keys: &'a str,
}

impl KeepKey<'_> {
    /// The subdirectory name: 16 hex digits of a SHA-256 over every input, the ssh_config's
    /// contents included (editing the config retires the kept masters it made).
    pub fn digest(&self) -> String {
        let config_path = self.config_file.map(Path::to_path_buf).or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".ssh").join("config"))
        });
        let config_text = config_path
            .as_deref()
            .and_then(|p| std::fs::read(p).ok())
            .unwrap_or_default();
        let mut h = Sha256::new();
        for part in [
            self.address.as_bytes(),
            self.user.unwrap_or("").as_bytes(),
            self.port
                .map(|p| p.to_string())
                .unwrap_or_default()
                .as_bytes(),
            self.config_file
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default()
                .as_bytes(),
            &config_text,
            self.host_keys.as_bytes(),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        let d = h.finalize();
        d[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `user@address:port` as the user would write it (for `disconnect`).
    pub fn describe(&self) -> String {
        let mut s = String::new();
        if let Some(u) = self.user {
            s.push_str(u);
            s.push('@');
        }
        s.push_str(self.address);
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        s
    }
}

/// The per-user directory of kept masters.
#[derive(Debug, Clone)]
pub struct KeptRoot {
    root: PathBuf,
}

/// One kept master's subdirectory: `master` (socket), `log`, `lock`, `destination`.
#[derive(Debug, Clone)]
pub struct KeptSlot {
    pub dir: PathBuf,
}

impl KeptRoot {
    pub fn new(root: PathBuf) -> KeptRoot {
        KeptRoot { root }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The slot for `key`, its directories created private.
    pub fn slot(&self, key: &KeepKey<'_>) -> Result<KeptSlot, KeepError> {
        ensure_private(&self.root)?;
        let dir = self.root.join(key.digest());
        ensure_private(&dir)?;
        let _ = std::fs::write(dir.join("destination"), key.describe());
        Ok(KeptSlot { dir })
    }
}

impl KeptSlot {
    pub fn socket(&self) -> PathBuf {
        self.dir.join("master")
    }
    pub fn log(&self) -> PathBuf {
        self.dir.join("log")
    }

    /// Take the slot's lock (another launch may be connecting the same destination), polling
    /// until `deadline`. Released when the returned file is dropped.
    pub async fn lock(&self, deadline: Instant) -> Result<File, KeepError> {
        let path = self.dir.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| KeepError::Create {
                path: path.clone(),
                why: e.to_string(),
            })?;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(KeepError::LockTimeout { path });
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(KeepError::Create {
                        path,
                        why: e.to_string(),
                    });
                }
            }
        }
    }
}

/// The pid of the master serving `socket`, if one answers there.
pub async fn alive(socket: &Path) -> Option<u32> {
    let mut conn = openssh_mux_client::Connection::connect(socket).await.ok()?;
    conn.send_alive_check().await.ok().map(|pid| pid.get())
}

/// What `disconnect` did with one kept master.
#[derive(Debug, Clone, PartialEq)]
pub struct Disconnected {
    /// `user@address:port` the master served.
    pub destination: String,
    /// Its pid when it was running; None when only a stale socket was left.
    pub pid: Option<u32>,
}

/// A process is gone when /proc no longer has it or it is a zombie nobody reaped yet.
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
    }
}

async fn wait_gone(pid: u32, patience: Duration) -> bool {
    let until = Instant::now() + patience;
    while Instant::now() < until {
        if process_gone(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    process_gone(pid)
}

/// Close one kept master: ask it to stop listening (it exits once its sessions end), wait
/// for it, and terminate it if it is still there (it told us its pid over its own socket).
async fn close_master(socket: &Path) -> Option<u32> {
    let pid = alive(socket).await?;
    if let Ok(mut conn) = openssh_mux_client::Connection::connect(socket).await {
        let _ = conn.request_stop_listening().await;
    }
    if !wait_gone(pid, Duration::from_secs(3)).await {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "ssh" {
            // SAFETY: plain kill(2) on a pid the master reported for itself.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
            wait_gone(pid, Duration::from_secs(2)).await;
        }
    }
    Some(pid)
}

/// Close every kept master under `root` and remove their directories (`driftscope
/// disconnect`). A root that does not exist means there is nothing to close.
pub async fn disconnect_all(root: &Path) -> Result<Vec<Disconnected>, KeepError> {
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(KeepError::Read {
                path: root.to_path_buf(),
                why: e.to_string(),
            });
        }
    };
    ensure_private(root)?;
    let mut closed = Vec::new();
    for entry in entries.flatten() {
        let dir = entry.path();
        if !dir.is_dir() {
            continue;
        }
        let destination = std::fs::read_to_string(dir.join("destination"))
            .unwrap_or_else(|_| entry.file_name().to_string_lossy().into_owned());
        let socket = dir.join("master");
        let pid = close_master(&socket).await;
        let _ = std::fs::remove_file(&socket);
        let _ = std::fs::remove_dir_all(&dir);
        closed.push(Disconnected { destination, pid });
    }
    closed.sort_by(|a, b| a.destination.cmp(&b.destination));
    Ok(closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(address: &'a str, config: Option<&'a Path>) -> KeepKey<'a> {
        KeepKey {
            address,
            user: Some("deploy"),
            port: Some(2222),
            config_file: config,
            host_keys: "yes",
        }
    }

    #[test]
    fn durations_parse_and_off_means_none() {
        assert_eq!(
            parse_keep_connections("10m"),
            Ok(Some(Duration::from_secs(600)))
        );
        assert_eq!(parse_keep_connections("off"), Ok(None));
        assert_eq!(parse_keep_connections("0"), Ok(None));
        assert!(parse_keep_connections("2d").is_err(), "over a day");
        assert!(parse_keep_connections("ten").is_err());
    }

    #[test]
    fn the_key_changes_with_every_input_and_the_config_contents() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = tmp.path().join("ssh_config");
        std::fs::write(&cfg, "Host *\n  User a\n").unwrap();
        let base = key("db-01", Some(&cfg)).digest();
        assert_eq!(base.len(), 16);
        assert_eq!(base, key("db-01", Some(&cfg)).digest(), "stable");
        assert_ne!(base, key("db-02", Some(&cfg)).digest());
        let mut other_user = key("db-01", Some(&cfg));
        other_user.user = None;
        assert_ne!(base, other_user.digest());
        let mut other_port = key("db-01", Some(&cfg));
        other_port.port = Some(22);
        assert_ne!(base, other_port.digest());
        let mut accept_new = key("db-01", Some(&cfg));
        accept_new.host_keys = "accept-new";
        assert_ne!(base, accept_new.digest());
        std::fs::write(&cfg, "Host *\n  User b\n").unwrap();
        assert_ne!(base, key("db-01", Some(&cfg)).digest(), "edited config");
        assert_eq!(key("db-01", None).describe(), "deploy@db-01:2222");
    }

    #[test]
    fn directories_are_private_and_a_shared_one_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = KeptRoot::new(tmp.path().join("driftscope"));
        let slot = root.slot(&key("h", None)).unwrap();
        for d in [root.path(), slot.dir.as_path()] {
            let mode = std::fs::metadata(d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = root.slot(&key("h", None)).unwrap_err();
        assert!(
            matches!(&err, KeepError::NotPrivate { found, .. } if found.contains("0755")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_slot_lock_waits_for_the_other_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let root = KeptRoot::new(tmp.path().join("driftscope"));
        let slot = root.slot(&key("h", None)).unwrap();
        let held = slot.lock(Instant::now()).await.unwrap();
        let err = slot
            .lock(Instant::now() + Duration::from_millis(60))
            .await
            .unwrap_err();
        assert!(matches!(err, KeepError::LockTimeout { .. }));
        drop(held);
        slot.lock(Instant::now()).await.unwrap();
    }

    #[tokio::test]
    async fn disconnect_without_a_directory_closes_nothing_and_removes_stale_sockets() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nothing-here");
        assert_eq!(disconnect_all(&missing).await.unwrap(), vec![]);
        let root = KeptRoot::new(tmp.path().join("driftscope"));
        let slot = root.slot(&key("h", None)).unwrap();
        std::fs::write(slot.socket(), "").unwrap(); // a socket nobody serves
        let closed = disconnect_all(root.path()).await.unwrap();
        assert_eq!(
            closed,
            vec![Disconnected {
                destination: "deploy@h:2222".into(),
                pid: None
            }]
        );
        assert!(!slot.dir.exists());
    }
}
