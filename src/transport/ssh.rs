//! SSH transport over the user's own OpenSSH (openssh crate, native mux): one ControlMaster
//! per host, the host's whole probe script sent once on stdin of `sh -s` (`sudo -n sh -s`
//! with `become`). The user's ssh_config, agent, ProxyJump, certificates and KEX apply
//! unchanged; we only add a known-hosts policy, a connect timeout and our control socket.
//!
//! Masters are pooled per destination (address, user, port) so re-checks reuse them; a
//! master idle for `idle_timeout` is replaced (and exits by itself through
//! `ControlPersist`). [`Transport::close`] stops every master. Control sockets live in a
//! private 0700 directory (under `$XDG_RUNTIME_DIR`, else the temp dir) removed on drop.
//!
//! Must not interpret probe output: it returns raw bytes; the executor parses them. (One
//! exception: when the deadline passes, the `@@PID <pid> <pgid>` line the probe printed first
//! says which process group to kill on the host, over the still-open master, so a hung probe
//! does not outlive its `timeout` outcome there.)

mod control_dir;
mod failure;
mod master;

pub use failure::ConnectFailure;
pub use master::HostKeyPolicy;

use super::{Limits, PhaseSink, ScriptOutput, Transport, TransportError, sudo_refusal};
use crate::model::{Host, HostPhase};
use futures::future::BoxFuture;
use master::{Master, MasterSpec};
use openssh::{Session, Stdio};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, ReadBuf};

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
    /// Declared last: removed after every master in `slots` was stopped on drop.
    control_dir: control_dir::ControlDir,
}

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
        SshTransport {
            idle_timeout: opts.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT),
            opts,
            slots: Mutex::new(HashMap::new()),
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
        let control_dir = self.control_dir.get().map_err(TransportError::Failed)?;
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
        let Master { session, log } = master::open(&spec, control_dir, limits.deadline).await?;
        tracing::debug!(host = %host.name, "ssh master connected");
        let pooled = Arc::new(Pooled {
            session,
            log,
            last_used: Mutex::new(Instant::now()),
        });
        *guard = Some(pooled.clone());
        Ok((pooled, false))
    }

    /// Drop `which` from the pool if it is still the pooled master for `dest`.
    async fn evict(&self, dest: &Destination, which: &Arc<Pooled>) {
        let slot = self.slot(dest);
        let mut guard = slot.lock().await;
        if guard.as_ref().is_some_and(|p| Arc::ptr_eq(p, which)) {
            *guard = None;
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
        match run_on(&pooled, host, script, &limits).await {
            Ok(out) => Ok(out),
            Err(RunError::MasterGone(why)) if reused => {
                // The pooled master died since last use (host rebooted, ssh killed …).
                tracing::debug!(host = %host.name, %why, "pooled ssh master gone; reconnecting");
                self.evict(&dest, &pooled).await;
                drop(pooled);
                let (pooled, _) = self.master_for(host, &dest, &limits, true).await?;
                self.finish(&dest, &pooled, run_on(&pooled, host, script, &limits).await)
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

/// The remote command: `sh -s`, under `sudo -n` when the host asks for root.
fn remote_command(host: &Host) -> &'static str {
    if host.become_root && host.user.as_deref() != Some("root") {
        "sudo -n sh -s"
    } else {
        "sh -s"
    }
}

/// How much of a probe's first output is kept for [`probe_pids`].
const HEAD_MAX: usize = 256;

/// A reader that keeps a copy of the first [`HEAD_MAX`] bytes it reads.
struct Head<R> {
    inner: R,
    head: Arc<Mutex<Vec<u8>>>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Head<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled
            && let Ok(mut head) = self.head.lock()
            && head.len() < HEAD_MAX
        {
            let new = &buf.filled()[before..];
            let take = new.len().min(HEAD_MAX - head.len());
            head.extend_from_slice(&new[..take]);
        }
        polled
    }
}

/// The probe's `@@PID <pid> <pgid>` line (see the batch prologue), if it got that far.
fn probe_pids(head: &[u8]) -> Option<(u32, u32)> {
    let text = String::from_utf8_lossy(head);
    let line = text.lines().find_map(|l| l.strip_prefix("@@PID "))?;
    let mut ids = line.split_whitespace().map(|n| n.parse::<u32>().ok());
    let (pid, pgid) = (ids.next()??, ids.next()??);
    (pid > 1 && pgid > 1).then_some((pid, pgid))
}

/// The command that kills a timed-out probe on the host: its whole process group (the
/// shell, its lanes and whatever hangs under them), else the shell alone. One `sh -c` word,
/// so any login shell passes it on; as root through `sudo -n` when the probe ran so.
fn kill_command(host: &Host, pid: u32, pgid: u32) -> String {
    // `kill -KILL -N` (no `--`: dash's kill does not take it) signals process group N.
    let kill = format!("sh -c 'kill -KILL -{pgid} 2>/dev/null || kill -KILL {pid}'");
    if remote_command(host).starts_with("sudo") {
        format!("sudo -n {kill}")
    } else {
        kill
    }
}

/// After a timeout: kill what the probe started on the host, over the still-open master.
/// Best effort (a host that hangs in its login files never printed a pid; a process stuck
/// in the kernel, state D, cannot be killed by anyone).
async fn kill_remote(pooled: &Pooled, host: &Host, head: &Mutex<Vec<u8>>) {
    let Some((pid, pgid)) = head.lock().ok().and_then(|h| probe_pids(&h)) else {
        return;
    };
    let mut command = pooled.session.raw_command(kill_command(host, pid, pgid));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match tokio::time::timeout(Duration::from_secs(3), command.status()).await {
        Ok(Ok(_)) => tracing::debug!(host = %host.name, pid, pgid, "killed the timed-out probe"),
        other => tracing::debug!(host = %host.name, ?other, "could not kill the timed-out probe"),
    }
}

/// Run the script once over an established master.
async fn run_on(
    pooled: &Pooled,
    host: &Host,
    script: &str,
    limits: &Limits,
) -> Result<ScriptOutput, RunError> {
    let deadline: tokio::time::Instant = limits.deadline.into();
    let cmd = remote_command(host);
    let mut command = pooled.session.raw_command(cmd);
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
                "remote `{cmd}` not found (exit 127): {}",
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
            kill_remote(pooled, host, &head).await;
            return Err(timeout());
        }
    };
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
mod tests {
    use super::*;
    use crate::model::TransportKind;
    use std::collections::BTreeMap;

    fn host(user: Option<&str>, become_root: bool) -> Host {
        Host {
            name: "h".into(),
            address: "h".into(),
            transport: TransportKind::Ssh,
            user: user.map(str::to_string),
            port: None,
            become_root,
            tags: vec![],
            vars: BTreeMap::new(),
            salt: None,
        }
    }

    #[test]
    fn a_timed_out_probe_is_killed_by_its_process_group() {
        assert_eq!(
            probe_pids(b"@@PID 4242 4240\n\n@@DS:x:B:0\n"),
            Some((4242, 4240))
        );
        assert_eq!(probe_pids(b"junk\n@@PID 7 7\n"), Some((7, 7)));
        assert_eq!(probe_pids(b"@@PID 1 1\n"), None, "never init");
        assert_eq!(probe_pids(b"@@PID 12"), None);
        assert_eq!(probe_pids(b""), None);
        assert_eq!(
            kill_command(&host(None, false), 12, 10),
            "sh -c 'kill -KILL -10 2>/dev/null || kill -KILL 12'"
        );
        assert!(kill_command(&host(Some("deploy"), true), 12, 10).starts_with("sudo -n sh -c "));
    }

    #[test]
    fn sudo_only_when_become_and_not_already_root() {
        assert_eq!(remote_command(&host(None, false)), "sh -s");
        assert_eq!(remote_command(&host(None, true)), "sudo -n sh -s");
        assert_eq!(remote_command(&host(Some("deploy"), true)), "sudo -n sh -s");
        assert_eq!(remote_command(&host(Some("root"), true)), "sh -s");
    }

    #[tokio::test]
    async fn a_destination_that_looks_like_an_option_never_reaches_ssh() {
        let t = SshTransport::new(SshOptions::default());
        let mut h = host(None, false);
        h.address = "-oProxyCommand=touch /tmp/pwned".into();
        let limits = Limits {
            deadline: Instant::now() + Duration::from_secs(5),
            connect_timeout: Duration::from_secs(1),
            output_cap: 1024,
        };
        let err = t.run_script(&h, "true", limits, &|_| {}).await.unwrap_err();
        assert!(
            matches!(&err, TransportError::Unreachable(r) if r.contains("starts with '-'")),
            "{err:?}"
        );
    }
}
