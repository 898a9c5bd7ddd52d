//! Spare sessions ([`SshOptions::spare_sessions`](super::SshOptions), for long-lived front
//! ends such as the TUI): when a probe on a host has ended, the next session on its master is
//! opened at once, running the remote reader ([`REMOTE_READER`](crate::probe::batch::REMOTE_READER))
//! that waits for the time limit and the script on stdin. sshd confirms a session channel
//! with a window of 0 and opens it only once `exec` has started the command, so a new
//! session costs two round trips before the script can leave (channel open; exec and window);
//! over a spare, a re-check is the script out and the output back: one round trip.
//!
//! Nothing of ours stays on a host because of it: the spare's stdin is a pipe whose writing
//! end only this process holds, so when driftscope exits or is killed the master sends EOF and
//! the reader's `read` ends (`exit 0`); a spare unused for the idle time is dropped the same
//! way. A spare found dead when used (the host rebooted, sshd closed it) is never an outcome:
//! the probe runs on a new session instead ([`started`] tells the two apart).

use super::Pooled;
use openssh::{Session, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// A session on a master, its stdin, stdout and stderr piped.
pub(super) type Channel = openssh::Child<Arc<Session>>;

/// How long opening a spare may take before it is given up (the master is alive, so this
/// is one round trip plus the host's login shell).
pub(super) const OPEN_PATIENCE: Duration = Duration::from_secs(15);

struct Spare {
    channel: Channel,
    /// Opened through `sudo -n` (a host's `become`); used only for a probe that wants the same.
    sudo: bool,
    generation: u64,
}

/// At most one spare per master.
#[derive(Default)]
pub(super) struct SpareSlot {
    /// Locked while a spare is being opened, so a probe starting meanwhile waits for it
    /// (at most the rest of one round trip) instead of opening a session of its own.
    spare: tokio::sync::Mutex<Option<Spare>>,
    /// Spares opened so far: the idle reaper drops only the one it was started for.
    opened: AtomicU64,
}

impl SpareSlot {
    /// The waiting spare, if there is one for this kind of probe. Waits for one being opened
    /// until `until` at most.
    pub(super) async fn take(&self, sudo: bool, until: tokio::time::Instant) -> Option<Channel> {
        let mut guard = tokio::time::timeout_at(until, self.spare.lock())
            .await
            .ok()?;
        let spare = guard.take()?;
        (spare.sudo == sudo).then_some(spare.channel)
    }

    /// Open a spare with `command` on `session` unless one is waiting already. Returns its
    /// generation once it waits, `None` when there was one or the session did not open.
    pub(super) async fn fill(
        &self,
        session: Arc<Session>,
        command: &str,
        sudo: bool,
    ) -> Option<u64> {
        let mut guard = self.spare.lock().await;
        if guard.is_some() {
            return None;
        }
        let channel = tokio::time::timeout(OPEN_PATIENCE, open(session, command))
            .await
            .ok()?
            .map_err(|e| tracing::debug!("opening a spare ssh session: {e}"))
            .ok()?;
        let generation = self.opened.fetch_add(1, Ordering::Relaxed) + 1;
        *guard = Some(Spare {
            channel,
            sudo,
            generation,
        });
        Some(generation)
    }

    /// Drop the spare of `generation` if it is still waiting; true when it was.
    pub(super) async fn drop_unused(&self, generation: u64) -> bool {
        let mut guard = self.spare.lock().await;
        if guard.as_ref().is_some_and(|s| s.generation == generation) {
            *guard = None;
            return true;
        }
        false
    }

    /// Drop whatever spare waits (closing the pool), without waiting for one being opened.
    pub(super) fn clear(&self) {
        if let Ok(mut guard) = self.spare.try_lock() {
            *guard = None;
        }
    }
}

/// A spare to open on a pooled master (queued until no probe is under way).
pub(super) struct Refill {
    /// The pool slot of the master's destination, and the master itself.
    pub(super) slot: Weak<tokio::sync::Mutex<Option<Arc<Pooled>>>>,
    pub(super) pooled: Weak<Pooled>,
    pub(super) command: String,
    pub(super) sudo: bool,
    /// How long the spare may wait unused.
    pub(super) idle: Duration,
}

impl Refill {
    /// Open the spare; drop it when unused for `idle`, and then stop its master too when that
    /// has been idle as long (what ControlPersist would have done without the spare's session).
    pub(super) async fn run(self) {
        let Refill {
            slot,
            pooled,
            command,
            sudo,
            idle,
        } = self;
        let generation = match pooled.upgrade() {
            Some(p) => p.spare.fill(p.session.clone(), &command, sudo).await,
            None => None,
        };
        let Some(generation) = generation else {
            return;
        };
        let still_pooled = |guard: &Option<Arc<Pooled>>| {
            guard
                .as_ref()
                .is_some_and(|p| std::ptr::eq(Arc::as_ptr(p), pooled.as_ptr()))
        };
        // Closed or evicted while it opened: nobody will take it.
        let pooled_now = match slot.upgrade() {
            Some(s) => still_pooled(&*s.lock().await),
            None => false,
        };
        if !pooled_now {
            if let Some(p) = pooled.upgrade() {
                p.spare.drop_unused(generation).await;
            }
            return;
        }
        tokio::time::sleep(idle).await;
        let Some(p) = pooled.upgrade() else {
            return;
        };
        if !p.spare.drop_unused(generation).await || p.kept || p.idle_for() < idle {
            return;
        }
        if let Some(s) = slot.upgrade() {
            let mut guard = s.lock().await;
            if still_pooled(&guard) {
                *guard = None;
            }
        }
    }
}

/// Start `command` in a new session on `session`'s master, stdin, stdout and stderr piped.
pub(super) async fn open(session: Arc<Session>, command: &str) -> Result<Channel, openssh::Error> {
    let mut cmd = session.arc_raw_command(command);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().await
}

/// Whether the probe script started on the host: its first line is `@@PID <pid> <pgid>`
/// (anything a login shell printed may come before it). A spare whose output lacks it had
/// died before the script reached it.
pub(super) fn started(stdout: &[u8]) -> bool {
    stdout
        .split(|b| *b == b'\n')
        .any(|line| line.starts_with(b"@@PID "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_started_when_its_pid_line_came_back() {
        assert!(started(b"@@PID 12 12\n@@DS:x:B:R\n"));
        assert!(started(b"welcome to the host\n@@PID 12 12\n"));
        assert!(!started(b""));
        assert!(!started(b"sudo: a password is required\n"));
        assert!(!started(b"x@@PID 12 12\n"));
    }
}
