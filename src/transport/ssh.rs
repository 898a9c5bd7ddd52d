//! SSH transport over the user's own OpenSSH (openssh crate, native mux): one ControlMaster
//! per host, the host's whole probe script sent once on stdin of `sh -s` (`sudo -n` with
//! `become`), which runs under the host's own `timeout -s KILL <time left + REMOTE_GRACE>` so
//! nothing outlives the deadline on the host even when driftscope dies. The user's ssh_config, agent, ProxyJump, certificates and KEX apply
//! unchanged; we only add a known-hosts policy, a connect timeout and our control socket.
//!
//! Masters are pooled per destination (address, user, port) so re-checks reuse them; a
//! master idle for `idle_timeout` is replaced (and exits by itself through
//! `ControlPersist`). [`Transport::close`] stops every master. Control sockets live in a
//! private 0700 directory (under `$XDG_RUNTIME_DIR`, else the temp dir) removed on drop.
//! With `keep_connections` ([`keep`]) masters live in the per-user kept directory instead,
//! are resumed by the next launch and are left running at exit until their `ControlPersist`.
//!
//! Must not interpret probe output: it returns raw bytes; the executor parses them. (One
//! exception: when the deadline passes, the `@@PID <pid> <pgid>` line the probe printed first
//! says which process group to kill on the host, over the still-open master, so a hung probe
//! does not outlive its `timeout` outcome there.)

mod control_dir;
mod failure;
pub mod keep;
mod master;
mod probe_kill;

pub use failure::ConnectFailure;
pub use keep::{KeepError, parse_keep_connections};
pub use master::HostKeyPolicy;

use super::{Limits, PhaseSink, ScriptOutput, Transport, TransportError, sudo_refusal};
use crate::model::{Host, HostPhase};
use futures::future::BoxFuture;
use keep::{KeepKey, KeptRoot};
use master::{Master, MasterSpec, SocketPlace};
use openssh::{Session, Stdio};
use probe_kill::{Head, kill_remote};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use std::time::{Duration, Instant};

/// Default idle time after which a pooled master is closed.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// CLI-level SSH settings.
#[derive(Debug, Clone, Default)]
pub struct SshOptions {
    /// `--ssh-config FILE` (else ~/.ssh/config applies as usual).
    pub config_file: Option<PathBuf>,
    /// `--accept-new-host-keys` (else strict).
    pub accept_new_host_keys: bool,
    /// Idle sessions are closed after this long (default [`DEFAULT_IDLE_TIMEOUT`]).
    pub idle_timeout: Option<Duration>,
    /// Parent of our private control-socket directory (default `$XDG_RUNTIME_DIR`, else the
    /// system temp dir).
    pub control_dir: Option<PathBuf>,
    /// `--keep-connections` / `keep_connections`: leave masters running this long after
    /// their last use, for the next launch (None: close them at exit, the default).
    pub keep_connections: Option<Duration>,
    /// Where kept masters live (default [`keep::default_root`]).
    pub kept_root: Option<PathBuf>,
}

/// Where a host is reached; hosts with the same destination share one master.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Destination {
    address: String,
    user: Option<String>,
    port: Option<u16>,
}

impl Destination {
    fn of(host: &Host) -> Destination {
        Destination {
            address: host.address.clone(),
            user: host.user.clone(),
            port: host.port,
        }
    }
}

/// One live master and when it was last used.
struct Pooled {
    session: Session,
    log: PathBuf,
    last_used: Mutex<Instant>,
    /// A kept master: dropping the session leaves it running; a failed one is stopped.
    kept: bool,
}

impl Pooled {
    fn touch(&self) {
        if let Ok(mut t) = self.last_used.lock() {
            *t = Instant::now();
        }
    }
    fn idle_for(&self) -> Duration {
        self.last_used
            .lock()
            .map(|t| t.elapsed())
            .unwrap_or(Duration::MAX)
    }
}

/// A pool slot: its async lock serializes connecting to one destination.
type Slot = Arc<tokio::sync::Mutex<Option<Arc<Pooled>>>>;

/// The SSH transport. Cheap to share (`Arc`); every method takes `&self`.
pub struct SshTransport {
    opts: SshOptions,
    idle_timeout: Duration,
    slots: Mutex<HashMap<Destination, Slot>>,
    /// Set with `keep_connections`: masters live there and outlive this launch.
    kept: Option<KeptRoot>,
    /// Kills of cancelled probes still under way ([`KillOnDrop`]); `close` waits for them
    /// before it stops the masters they run over.
    pending_kills: PendingKills,
    /// Declared last: removed after every master in `slots` was stopped on drop.
    control_dir: control_dir::ControlDir,
}

type PendingKills = Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>;

/// What went wrong running the script over an established master.
enum RunError {
    /// The master was gone before the remote command started (safe to reconnect, retry).
    MasterGone(String),
    Transport(TransportError),
}

impl SshTransport {
    pub fn new(opts: SshOptions) -> SshTransport {
        let parent = opts
            .control_dir
            .clone()
            .unwrap_or_else(control_dir::default_parent);
        let kept = opts
            .keep_connections
            .map(|_| KeptRoot::new(opts.kept_root.clone().unwrap_or_else(keep::default_root)));
        SshTransport {
            idle_timeout: opts
                .keep_connections
                .or(opts.idle_timeout)
                .unwrap_or(DEFAULT_IDLE_TIMEOUT),
            kept,
            opts,
            slots: Mutex::new(HashMap::new()),
            pending_kills: PendingKills::default(),
            control_dir: control_dir::ControlDir::new(parent),
        }
    }

    /// The private directory holding the control sockets, once the first connection
    /// created it (for diagnostics and tests).
    pub fn control_dir(&self) -> Option<&Path> {
        self.control_dir.created()
    }

    /// Number of masters currently pooled.
    pub fn pooled(&self) -> usize {
        let slots: Vec<Slot> = match self.slots.lock() {
            Ok(s) => s.values().cloned().collect(),
            Err(_) => return 0,
        };
        slots
            .iter()
            .filter(|s| s.try_lock().map(|g| g.is_some()).unwrap_or(true))
            .count()
    }

    fn slot(&self, dest: &Destination) -> Slot {
        match self.slots.lock() {
            Ok(mut slots) => slots.entry(dest.clone()).or_default().clone(),
            // A poisoned map only means another thread panicked mid-insert; use a fresh slot.
            Err(_) => Slot::default(),
        }
    }

    /// A live master for `dest`: the pooled one unless idle too long, else a new one.
    async fn master_for(
        &self,
        host: &Host,
        dest: &Destination,
        limits: &Limits,
        fresh: bool,
    ) -> Result<(Arc<Pooled>, bool), TransportError> {
        let slot = self.slot(dest);
        let mut guard = match tokio::time::timeout_at(limits.deadline.into(), slot.lock()).await {
            Ok(g) => g,
            Err(_) => {
                return Err(TransportError::Timeout(
                    "deadline reached waiting for the host's connection".into(),
                ));
            }
        };
        if let Some(p) = guard.as_ref() {
            // ControlPersist stops the master at idle_timeout; do not race it.
            let stale = p.idle_for() + Duration::from_secs(2) >= self.idle_timeout;
            if !fresh && !stale {
                p.touch();
                return Ok((p.clone(), true));
            }
            *guard = None; // dropping the last Arc stops that master
        }
        let spec = MasterSpec {
            destination: &dest.address,
            user: dest.user.as_deref(),
            port: dest.port,
            config_file: self.opts.config_file.as_deref(),
            host_keys: if self.opts.accept_new_host_keys {
                HostKeyPolicy::AcceptNew
            } else {
                HostKeyPolicy::Strict
            },
            connect_timeout: limits.connect_timeout,
            persist: self.idle_timeout,
        };
        let (Master { session, log }, reused) = match &self.kept {
            Some(root) => kept_master(root, &spec, limits.deadline).await?,
            None => {
                let control_dir = self.control_dir.get().map_err(TransportError::Failed)?;
                let place = SocketPlace::Private(control_dir);
                (master::open(&spec, place, limits.deadline).await?, false)
            }
        };
        tracing::debug!(host = %host.name, reused, "ssh master ready");
        let pooled = Arc::new(Pooled {
            session,
            log,
            last_used: Mutex::new(Instant::now()),
            kept: self.kept.is_some(),
        });
        *guard = Some(pooled.clone());
        Ok((pooled, reused))
    }

    /// Drop `which` from the pool if it is still the pooled master for `dest`.
    async fn evict(&self, dest: &Destination, which: &Arc<Pooled>) {
        let slot = self.slot(dest);
        let mut guard = slot.lock().await;
        if guard.as_ref().is_some_and(|p| Arc::ptr_eq(p, which)) {
            *guard = None;
        }
        drop(guard);
        if which.kept {
            // Nobody else would stop it: the next launch must not resume a wedged master.
            let socket = which.session.control_socket().to_path_buf();
            let _ = Session::resume_mux(socket.into(), None).close().await;
        }
    }

    async fn run(
        &self,
        host: &Host,
        script: &str,
        limits: Limits,
        phase: PhaseSink<'_>,
    ) -> Result<ScriptOutput, TransportError> {
        let dest = Destination::of(host);
        let (pooled, reused) = self.master_for(host, &dest, &limits, false).await?;
        phase(HostPhase::Probing);
        match run_on(&pooled, host, script, &limits, &self.pending_kills).await {
            Ok(out) => Ok(out),
            Err(RunError::MasterGone(why)) if reused => {
                // The pooled master died since last use (host rebooted, ssh killed …).
                tracing::debug!(host = %host.name, %why, "pooled ssh master gone; reconnecting");
                self.evict(&dest, &pooled).await;
                drop(pooled);
                let (pooled, _) = self.master_for(host, &dest, &limits, true).await?;
                self.finish(
                    &dest,
                    &pooled,
                    run_on(&pooled, host, script, &limits, &self.pending_kills).await,
                )
                .await
            }
            other => self.finish(&dest, &pooled, other).await,
        }
    }

    /// Map a run result; a master that failed us leaves the pool.
    async fn finish(
        &self,
        dest: &Destination,
        pooled: &Arc<Pooled>,
        result: Result<ScriptOutput, RunError>,
    ) -> Result<ScriptOutput, TransportError> {
        match result {
            Ok(out) => {
                pooled.touch();
                Ok(out)
            }
            Err(RunError::MasterGone(why)) => {
                self.evict(dest, pooled).await;
                Err(TransportError::Failed(why))
            }
            Err(RunError::Transport(e)) => {
                // A timeout or lost connection may leave the master wedged; start afresh.
                if matches!(e, TransportError::Timeout(_) | TransportError::Failed(_)) {
                    self.evict(dest, pooled).await;
                }
                Err(e)
            }
        }
    }

    async fn close_all(&self) {
        let kills: Vec<_> = match self.pending_kills.lock() {
            Ok(mut k) => k.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        for kill in kills {
            let _ = tokio::time::timeout(Duration::from_secs(4), kill).await;
        }
        if self.kept.is_some() {
            // Kept masters stay for the next launch; ControlPersist ends them.
            if let Ok(mut s) = self.slots.lock() {
                s.clear();
            }
            return;
        }
        let slots: Vec<Slot> = match self.slots.lock() {
            Ok(mut s) => s.drain().map(|(_, v)| v).collect(),
            Err(_) => Vec::new(),
        };
        let closes = slots.into_iter().map(|slot| async move {
            let taken = slot.lock().await.take();
            if let Some(p) = taken {
                match Arc::try_unwrap(p) {
                    Ok(p) => {
                        if let Err(e) = p.session.close().await {
                            tracing::debug!("closing ssh master: {e}");
                        }
                    }
                    // Still used by a running probe: its drop stops the master.
                    Err(p) => drop(p),
                }
            }
        });
        futures::future::join_all(closes).await;
    }
}

/// A kept master for `spec`: the one a previous launch left at the slot when it still
/// answers, else a new one there. The slot's lock keeps two launches from both starting one.
async fn kept_master(
    root: &KeptRoot,
    spec: &MasterSpec<'_>,
    deadline: Instant,
) -> Result<(Master, bool), TransportError> {
    let key = KeepKey {
        address: spec.destination,
        user: spec.user,
        port: spec.port,
        config_file: spec.config_file,
        host_keys: spec.host_keys.ssh_value(),
    };
    let slot = root
        .slot(&key)
        .map_err(|e| TransportError::Failed(e.to_string()))?;
    let _lock = slot
        .lock(deadline)
        .await
        .map_err(|e| TransportError::Timeout(e.to_string()))?;
    let (socket, log) = (slot.socket(), slot.log());
    if keep::alive(&socket).await.is_some() {
        let session = Session::resume_mux(socket.into(), Some(log.clone().into()));
        return Ok((Master { session, log }, true));
    }
    let place = SocketPlace::Kept { socket, log };
    Ok((master::open(spec, place, deadline).await?, false))
}

/// How long the host's side may outlive the deadline before its own `timeout` kills it. The
/// client kills a late probe at the deadline itself (over the master); this bound is for a
/// client that can no longer do so (SIGKILL, a lost connection), so it comes a little later.
pub const REMOTE_GRACE: Duration = Duration::from_secs(3);

/// Whether the probe runs through `sudo -n` (`become` for a user other than root).
fn uses_sudo(host: &Host) -> bool {
    host.become_root && host.user.as_deref() != Some("root")
}

/// The remote command: `sh -s` under the host's own `timeout -s KILL <left + grace>` (so
/// nothing the probe started outlives the deadline on the host, even when driftscope dies),
/// plain `sh -s` where the host has no `timeout`; under `sudo -n` when the host asks for
/// root. One `sh -c` word, so any login shell passes it on.
fn remote_command(host: &Host, left: Duration) -> String {
    let sh = format!("sh -c '{}'", super::bounded::bounded_sh(left, REMOTE_GRACE));
    if uses_sudo(host) {
        format!("sudo -n {sh}")
    } else {
        sh
    }
}

/// While armed, dropping this (the run was cancelled: Ctrl-C, the executor's own deadline)
/// kills what the probe started on the host, over the still-open master, from a task of its
/// own, as the deadline path does in line.
struct KillOnDrop {
    armed: bool,
    pooled: Arc<Pooled>,
    host: Host,
    head: Arc<Mutex<Vec<u8>>>,
    pending: PendingKills,
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (pooled, host, head) = (self.pooled.clone(), self.host.clone(), self.head.clone());
        let task = rt.spawn(async move { kill_remote(&pooled, &host, &head).await });
        if let Ok(mut pending) = self.pending.lock() {
            pending.retain(|t| !t.is_finished());
            pending.push(task);
        }
    }
}

/// Run the script once over an established master.
async fn run_on(
    pooled: &Arc<Pooled>,
    host: &Host,
    script: &str,
    limits: &Limits,
    pending: &PendingKills,
) -> Result<ScriptOutput, RunError> {
    let deadline: tokio::time::Instant = limits.deadline.into();
    let cmd = remote_command(
        host,
        limits.deadline.saturating_duration_since(Instant::now()),
    );
    let mut command = pooled.session.raw_command(&cmd);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match tokio::time::timeout_at(deadline, command.spawn()).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            let tail = master::log_tail(&pooled.log);
            let why = if tail.is_empty() {
                format!("connection lost: {e}")
            } else {
                format!("connection lost: {e}: {tail}")
            };
            return Err(RunError::MasterGone(why));
        }
        Err(_) => {
            return Err(RunError::Transport(TransportError::Timeout(
                "deadline reached starting the remote shell".into(),
            )));
        }
    };
    let head = Arc::new(Mutex::new(Vec::new()));
    let mut cancelled = KillOnDrop {
        armed: true,
        pooled: pooled.clone(),
        host: host.clone(),
        head: head.clone(),
        pending: pending.clone(),
    };
    let stdin = child.stdin().take();
    let stdout = child.stdout().take().map(|inner| Head {
        inner,
        head: head.clone(),
    });
    let stderr = child.stderr().take();
    let io = super::exchange(stdin, stdout, stderr, script, limits.output_cap);
    let timeout = || {
        RunError::Transport(TransportError::Timeout(format!(
            "probe on {} did not finish before the deadline",
            host.name
        )))
    };
    let Ok((out, err)) = tokio::time::timeout_at(deadline, io).await else {
        cancelled.armed = false;
        kill_remote(pooled, host, &head).await;
        return Err(timeout());
    };
    let (stdout, exceeded) = out
        .map_err(|e| RunError::Transport(TransportError::Failed(format!("reading output: {e}"))))?;
    if exceeded {
        return Err(RunError::Transport(TransportError::Failed(format!(
            "output exceeded {} bytes",
            limits.output_cap
        ))));
    }
    let (stderr, _) = err.unwrap_or_default();
    let status = match tokio::time::timeout_at(deadline, child.wait()).await {
        Ok(Ok(s)) => s.code(),
        Ok(Err(openssh::Error::Remote(e))) if e.kind() == std::io::ErrorKind::NotFound => {
            // Exit 127: the remote could not find `sh` (or `sudo`).
            return Err(RunError::Transport(TransportError::Failed(format!(
                "remote `{}` not found (exit 127): {}",
                if uses_sudo(host) { "sudo -n sh" } else { "sh" },
                String::from_utf8_lossy(&stderr).trim()
            ))));
        }
        Ok(Err(e)) => {
            let tail = master::log_tail(&pooled.log);
            let alive = pooled.session.check().await.is_ok();
            let why = match (alive, tail.is_empty()) {
                (true, _) => format!("remote shell ended without an exit status: {e}"),
                (false, true) => format!("connection lost during the probe: {e}"),
                (false, false) => format!("connection lost during the probe: {e}: {tail}"),
            };
            return Err(RunError::Transport(TransportError::Failed(why)));
        }
        Err(_) => {
            cancelled.armed = false;
            kill_remote(pooled, host, &head).await;
            return Err(timeout());
        }
    };
    cancelled.armed = false;
    if host.become_root
        && let Some(why) = sudo_refusal(&stderr)
    {
        return Err(RunError::Transport(TransportError::SudoDenied(why)));
    }
    Ok(ScriptOutput {
        stdout,
        stderr,
        status,
    })
}

impl Transport for SshTransport {
    fn run_script<'a>(
        &'a self,
        host: &'a Host,
        script: &'a str,
        limits: Limits,
        phase: PhaseSink<'a>,
    ) -> BoxFuture<'a, Result<ScriptOutput, TransportError>> {
        Box::pin(self.run(host, script, limits, phase))
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.close_all())
    }
}

#[cfg(test)]
mod tests;
