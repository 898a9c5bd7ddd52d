//! Ending a probe that outlived its deadline on the host. The SSH mux protocol cannot signal
//! a remote process, so the probe prints `@@PID <pid> <pgid>` first; [`Head`] keeps the
//! start of its output, and [`kill_remote`] runs `kill -KILL -<pgid>` over the still-open
//! master (through `sudo -n` when the probe ran as root).

use super::Pooled;
use super::channel::uses_sudo;
use crate::model::Host;
use openssh::Stdio;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, ReadBuf};

/// How much of a probe's first output is kept for [`probe_pids`].
const HEAD_MAX: usize = 256;

/// A reader that keeps a copy of the first [`HEAD_MAX`] bytes it reads.
pub(super) struct Head<R> {
    pub(super) inner: R,
    pub(super) head: Arc<Mutex<Vec<u8>>>,
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
    if uses_sudo(host) {
        format!("sudo -n {kill}")
    } else {
        kill
    }
}

/// After a timeout: kill what the probe started on the host, over the still-open master.
/// Best effort (a host that hangs in its login files never printed a pid; a process stuck
/// in the kernel, state D, cannot be killed by anyone).
pub(super) async fn kill_remote(pooled: &Pooled, host: &Host, head: &Mutex<Vec<u8>>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::ssh::tests::host;

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
}
