//! Running one probe script over one session of an established master: the remote command
//! (a fixed reader, [`REMOTE_READER`]) and what it reads on stdin (the host-side time limit,
//! then the script), on a spare session ([`super::spare`]) or a new one; the deadline and
//! cancellation kill what the probe started on the host ([`super::probe_kill`]).

use super::probe_kill::{Head, kill_remote};
use super::spare::{self, Channel};
use super::{PendingKills, Pooled, master};
use crate::model::Host;
use crate::probe::batch::REMOTE_READER;
use crate::transport::{Limits, ScriptOutput, TransportError, sudo_refusal};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What went wrong running the script over an established master.
pub(super) enum RunError {
    /// The master was gone before the remote command started (safe to reconnect, retry).
    MasterGone(String),
    /// The spare session had ended before the script reached it (safe to retry on a new one).
    SpareDead(String),
    Transport(TransportError),
}

/// How long the host's side may outlive the deadline before its own `timeout` kills it. The
/// client kills a late probe at the deadline itself (over the master); this bound is for a
/// client that can no longer do so (SIGKILL, a lost connection), so it comes a little later.
pub const REMOTE_GRACE: Duration = Duration::from_secs(3);

/// Whether the probe runs through `sudo -n` (`become` for a user other than root).
pub(super) fn uses_sudo(host: &Host) -> bool {
    host.become_root && host.user.as_deref() != Some("root")
}

/// The remote command: the reader ([`REMOTE_READER`]) that takes the seconds left on the
/// first line of stdin and runs the rest, the script, with `sh -s` under the host's own
/// `timeout -s KILL <seconds>` (so nothing the probe started outlives the deadline on the
/// host, even when driftscope dies), plain `sh -s` where the host has no `timeout`; under
/// `sudo -n` when the host asks for root. One `sh -c` word, so any login shell passes it on.
/// It holds no time: a session may be opened long before its probe ([`spare`]).
pub(super) fn remote_command(host: &Host) -> String {
    let sh = format!("sh -c '{REMOTE_READER}'");
    if uses_sudo(host) {
        format!("sudo -n {sh}")
    } else {
        sh
    }
}

/// What the remote command reads on stdin: the host-side limit (`left + REMOTE_GRACE`, in
/// whole seconds) on the first line, then the script.
pub(super) fn remote_input(script: &str, left: Duration) -> String {
    let secs = crate::transport::bounded::limit_secs(left, REMOTE_GRACE);
    format!("{secs}\n{script}")
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

/// Run the script once over an established master: on `spare` when given, else on a new
/// session. A spare that turns out to have died before the script reached it gives
/// [`RunError::SpareDead`] (the caller retries on a new session), never an outcome.
pub(super) async fn run_on(
    pooled: &Arc<Pooled>,
    host: &Host,
    script: &str,
    limits: &Limits,
    pending: &PendingKills,
    spare: Option<Channel>,
) -> Result<ScriptOutput, RunError> {
    let from_spare = spare.is_some();
    let head = Arc::new(Mutex::new(Vec::new()));
    let result = run_channel(pooled, host, script, limits, pending, spare, &head).await;
    if !from_spare {
        return result;
    }
    let started = match &result {
        Ok(out) => spare::started(&out.stdout),
        // The deadline passed with the script out: a new session would not help.
        Err(RunError::Transport(TransportError::Timeout(_))) => true,
        Err(_) => head.lock().map(|h| spare::started(&h)).unwrap_or(true),
    };
    match result {
        Err(RunError::Transport(e)) if !started => Err(RunError::SpareDead(e.to_string())),
        Ok(out) if !started => Err(RunError::SpareDead(format!(
            "spare session ended with status {:?} before the script started: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
        other => other,
    }
}

/// [`run_on`] on one channel; `head` keeps the start of stdout (for the kill bookkeeping).
async fn run_channel(
    pooled: &Arc<Pooled>,
    host: &Host,
    script: &str,
    limits: &Limits,
    pending: &PendingKills,
    spare: Option<Channel>,
    head: &Arc<Mutex<Vec<u8>>>,
) -> Result<ScriptOutput, RunError> {
    let deadline: tokio::time::Instant = limits.deadline.into();
    let opened = match spare {
        Some(channel) => Ok(Ok(channel)),
        None => {
            let command = remote_command(host);
            let open = spare::open(pooled.session.clone(), &command);
            tokio::time::timeout_at(deadline, open).await
        }
    };
    let mut child = match opened {
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
    let left = limits.deadline.saturating_duration_since(Instant::now());
    let input = remote_input(script, left);
    let io = crate::transport::exchange(stdin, stdout, stderr, &input, limits.output_cap);
    let timeout = || {
        RunError::Transport(TransportError::Timeout(format!(
            "probe on {} did not finish before the deadline",
            host.name
        )))
    };
    let Ok((out, err)) = tokio::time::timeout_at(deadline, io).await else {
        cancelled.armed = false;
        kill_remote(pooled, host, head).await;
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
            kill_remote(pooled, host, head).await;
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
