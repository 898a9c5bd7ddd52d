//! SSH transport over the user's own OpenSSH (openssh crate, native mux): one ControlMaster
//! per host; the remote command is a fixed reader ([`channel`], `sudo -n` with `become`) and
//! stdin brings the time limit and then the host's whole probe script, which runs under the
//! host's own `timeout -s KILL <time left + REMOTE_GRACE>` so nothing outlives the deadline
//! on the host even when driftscope dies. With `spare_sessions` ([`spare`]) the next session
//! is opened before it is needed, so a re-check costs one round trip. The user's ssh_config,
//! agent, ProxyJump, certificates and KEX apply unchanged; we only add a known-hosts policy,
//! a connect timeout and our control socket.
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

mod channel;
mod control_dir;
mod failure;
pub mod keep;
mod master;
mod probe_kill;
mod spare;

pub use channel::REMOTE_GRACE;
pub use failure::ConnectFailure;
pub use keep::{KeepError, parse_keep_connections};
pub use master::HostKeyPolicy;

use super::{Limits, PhaseSink, ScriptOutput, Transport, TransportError};
use crate::model::{Host, HostPhase};
use channel::{RunError, remote_command, run_on, uses_sudo};
use futures::future::BoxFuture;
use keep::{KeepKey, KeptRoot};
use master::{Master, MasterSpec, SocketPlace};
use openssh::Session;
use spare::{Channel, Refill, SpareSlot};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// Keep one session per host open and waiting for the next probe ([`spare`]), so a
    /// re-check costs one round trip instead of three. For long-lived front ends (the TUI);
    /// a single headless run has no next probe.
    pub spare_sessions: bool,
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
    /// Shared with the sessions opened ahead of use ([`spare`]).
    session: Arc<Session>,
    log: PathBuf,
    last_used: Mutex<Instant>,
    /// A kept master: dropping the session leaves it running; a failed one is stopped.
    kept: bool,
    /// The session waiting for the next probe, with `spare_sessions`.
    spare: SpareSlot,
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
    /// Probes under way ([`Busy`]), and the spares to open once there are none.
    in_flight: AtomicUsize,
    spares_due: Mutex<Vec<Refill>>,
    /// Declared last: removed after every master in `slots` was stopped on drop.
    control_dir: control_dir::ControlDir,
}

type PendingKills = Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>;

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
            in_flight: AtomicUsize::new(0),
            spares_due: Mutex::new(Vec::new()),
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
            session: Arc::new(session),
            log,
            last_used: Mutex::new(Instant::now()),
            kept: self.kept.is_some(),
            spare: SpareSlot::default(),
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
        which.spare.clear();
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
        let _busy = Busy::enter(self);
        let dest = Destination::of(host);
        let (pooled, reused) = self.master_for(host, &dest, &limits, false).await?;
        phase(HostPhase::Probing);
        let pending = &self.pending_kills;
        let first = match self.take_spare(&pooled, host, &limits).await {
            Some(channel) => {
                match run_on(&pooled, host, script, &limits, pending, Some(channel)).await {
                    Err(RunError::SpareDead(why)) => {
                        tracing::debug!(host = %host.name, %why, "spare ssh session gone; opening one");
                        run_on(&pooled, host, script, &limits, pending, None).await
                    }
                    other => other,
                }
            }
            None => run_on(&pooled, host, script, &limits, pending, None).await,
        };
        let (pooled, result) = match first {
            Err(RunError::MasterGone(why)) if reused => {
                // The pooled master died since last use (host rebooted, ssh killed …).
                tracing::debug!(host = %host.name, %why, "pooled ssh master gone; reconnecting");
                self.evict(&dest, &pooled).await;
                drop(pooled);
                let (pooled, _) = self.master_for(host, &dest, &limits, true).await?;
                let again = run_on(&pooled, host, script, &limits, pending, None).await;
                (pooled, again)
            }
            other => (pooled, other),
        };
        let result = self.finish(&dest, &pooled, result).await;
        if result.is_ok() {
            self.refill_spare(&dest, &pooled, host);
        }
        result
    }

    /// The spare session waiting on `pooled` for this host's kind of probe, if spares are on.
    async fn take_spare(&self, pooled: &Pooled, host: &Host, limits: &Limits) -> Option<Channel> {
        if !self.opts.spare_sessions {
            return None;
        }
        // One being opened is worth waiting for about as long as a connection.
        let until = limits.deadline.min(Instant::now() + limits.connect_timeout);
        pooled.spare.take(uses_sudo(host), until.into()).await
    }

    /// With `spare_sessions`: have the next session on `pooled` opened in the background, so
    /// the next probe of this host finds it waiting. Opening starts once no probe of this
    /// transport is under way ([`Busy`]): a full re-check's hosts do not compete for the CPU
    /// with the spares of those that finished first.
    fn refill_spare(&self, dest: &Destination, pooled: &Arc<Pooled>, host: &Host) {
        if !self.opts.spare_sessions {
            return;
        }
        let refill = Refill {
            slot: Arc::downgrade(&self.slot(dest)),
            pooled: Arc::downgrade(pooled),
            command: remote_command(host),
            sudo: uses_sudo(host),
            idle: self.idle_timeout.saturating_sub(IDLE_MARGIN),
        };
        if let Ok(mut due) = self.spares_due.lock() {
            due.push(refill);
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
            Err(RunError::MasterGone(why) | RunError::SpareDead(why)) => {
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
            // Kept masters stay for the next launch; ControlPersist ends them. Their spares
            // end here (dropping a spare closes its stdin: its reader exits).
            let slots: Vec<Slot> = match self.slots.lock() {
                Ok(mut s) => s.drain().map(|(_, v)| v).collect(),
                Err(_) => Vec::new(),
            };
            for slot in slots {
                if let Some(p) = slot.lock().await.take() {
                    p.spare.clear();
                }
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
                // A spare keeps a session open, which would keep the master from stopping.
                p.spare.clear();
                match Arc::try_unwrap(p).map(|p| Arc::try_unwrap(p.session)) {
                    Ok(Ok(session)) => {
                        if let Err(e) = session.close().await {
                            tracing::debug!("closing ssh master: {e}");
                        }
                    }
                    // Still used by a running probe (or a spare being opened): the last drop
                    // stops the master.
                    Ok(Err(session)) => drop(session),
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

/// One probe under way on an [`SshTransport`]; the last one to end starts the spares due.
struct Busy<'a>(&'a SshTransport);

impl<'a> Busy<'a> {
    fn enter(t: &'a SshTransport) -> Busy<'a> {
        t.in_flight.fetch_add(1, Ordering::SeqCst);
        Busy(t)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        let due: Vec<Refill> = match self.0.spares_due.lock() {
            Ok(mut d) => d.drain(..).collect(),
            Err(_) => return,
        };
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            for refill in due {
                rt.spawn(refill.run());
            }
        }
    }
}

/// How long before the idle timeout a spare is dropped and its master counts as stale.
const IDLE_MARGIN: Duration = Duration::from_secs(2);

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
