//! Transports run a host's probe script (`sh -s` with the script on stdin) and return its
//! raw output. They classify connection-level failures (unreachable, timeout, sudo denied);
//! they never interpret probe output.

pub mod local;
pub mod ssh;

use crate::model::{Host, HostPhase};
use futures::future::BoxFuture;
use std::time::{Duration, Instant};

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
