//! Transports run a host's probe script (`sh -s` with the script on stdin) and return its
//! raw output. They classify connection-level failures (unreachable, timeout, sudo denied);
//! they never interpret probe output.
//!
//! A transport that reaches many hosts through one engine (salt) also offers a batch form
//! ([`BatchTransport`]): several hosts and their scripts in, a stream of per-host outputs
//! back. The executor uses it when [`Transport::batch`] returns one; ssh and local keep the
//! per-host path.

mod bounded;
pub mod local;
mod process_group;
pub mod salt;
pub mod ssh;

use crate::model::{Host, HostPhase};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Default cap on one host's output (stdout+stderr).
pub const DEFAULT_OUTPUT_CAP: usize = 16 * 1024 * 1024;

/// Limits applied to one host's round trip.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The whole round trip (connect + probe) must end by then.
    pub deadline: Instant,
    pub connect_timeout: Duration,
    pub output_cap: usize,
}

/// Raw result of running the script.
#[derive(Debug, Clone, Default)]
pub struct ScriptOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Exit status of the remote `sh`; `None` when killed by a signal.
    pub status: Option<i32>,
}

/// Why a host produced no usable output. Each maps to one outcome for all its checks.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransportError {
    #[error("unreachable: {0}")]
    Unreachable(String),
    #[error("timeout: {0}")]
    Timeout(String),
    #[error("sudo denied: {0}")]
    SudoDenied(String),
    /// The connection worked but the round trip failed (session died, output over the cap…).
    #[error("{0}")]
    Failed(String),
}

/// Reports connection phases as they happen (for the TUI's host list).
pub type PhaseSink<'a> = &'a (dyn Fn(HostPhase) + Send + Sync);

/// Something that can run a probe script on a host.
pub trait Transport: Send + Sync {
    fn run_script<'a>(
        &'a self,
        host: &'a Host,
        script: &'a str,
        limits: Limits,
        phase: PhaseSink<'a>,
    ) -> BoxFuture<'a, Result<ScriptOutput, TransportError>>;

    /// Close pooled connections (no-op for local).
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    /// The batch form, when this transport has one (salt: one job for many minions).
    fn batch(&self) -> Option<&dyn BatchTransport> {
        None
    }
}

/// One host of a batch and the script it runs. Hosts whose scripts are identical share
/// one `Arc` (the usual case: a fleet with one check set), which a batch transport may use
/// to send them as one job.
#[derive(Debug, Clone)]
pub struct BatchItem {
    pub host: Host,
    pub script: Arc<str>,
}

/// One host's output (or why there is none), by index into the items of its batch.
pub type BatchOutput = (usize, Result<ScriptOutput, TransportError>);

/// Runs many hosts' scripts at once and streams each host's output back as it arrives.
pub trait BatchTransport: Send + Sync {
    /// Run every item; send one [`BatchOutput`] per item into `outputs` as soon as that
    /// host's output is known (the executor reports an item left without one as failed).
    /// `limits` apply to the whole batch. Dropping the future stops everything it started
    /// on this machine.
    fn run_batch<'a>(
        &'a self,
        items: &'a [BatchItem],
        limits: Limits,
        outputs: tokio::sync::mpsc::UnboundedSender<BatchOutput>,
    ) -> BoxFuture<'a, ()>;
}

/// Read a stream up to `cap` bytes; returns (bytes, exceeded).
pub(crate) async fn read_capped<R: AsyncRead + Unpin>(
    mut r: R,
    cap: usize,
) -> std::io::Result<(Vec<u8>, bool)> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut chunk).await?;
        if n == 0 {
            return Ok((buf, false));
        }
        if buf.len() + n > cap {
            let keep = cap.saturating_sub(buf.len());
            buf.extend_from_slice(&chunk[..keep]);
            return Ok((buf, true));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Cap on the stderr kept from one host's shell.
pub const STDERR_CAP: usize = 1024 * 1024;

/// What [`exchange`] collected: each stream's bytes and whether it hit its cap.
type Captured = std::io::Result<(Vec<u8>, bool)>;

/// The one round trip every transport makes with a started shell: write the script to its
/// stdin (a shell that exits early closes the pipe: not an error) while reading stdout (up to
/// `output_cap`) and stderr (up to [`STDERR_CAP`]) concurrently.
pub(crate) async fn exchange<W, O, E>(
    stdin: Option<W>,
    stdout: Option<O>,
    stderr: Option<E>,
    script: &str,
    output_cap: usize,
) -> (Captured, Captured)
where
    W: AsyncWrite + Unpin,
    O: AsyncRead + Unpin,
    E: AsyncRead + Unpin,
{
    let write = async {
        if let Some(mut w) = stdin {
            let _ = w.write_all(script.as_bytes()).await;
            let _ = w.shutdown().await;
        }
    };
    let out = async {
        match stdout {
            Some(r) => read_capped(r, output_cap).await,
            None => Ok((Vec::new(), false)),
        }
    };
    let err = async {
        match stderr {
            Some(r) => read_capped(r, STDERR_CAP).await,
            None => Ok((Vec::new(), false)),
        }
    };
    let ((), out, err) = tokio::join!(write, out, err);
    (out, err)
}

/// Recognize sudo's refusal in stderr (`sudo -n` with no NOPASSWD rule, or not in sudoers).
pub fn sudo_refusal(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    text.lines()
        .find(|l| {
            l.starts_with("sudo:")
                && (l.contains("password is required")
                    || l.contains("not in the sudoers")
                    || l.contains("not allowed to")
                    || l.contains("may not run sudo"))
        })
        .map(|l| l.trim().to_string())
}
