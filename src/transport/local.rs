//! Local transport: `/bin/sh -s` on this machine (`sudo -n /bin/sh -s` when the host has
//! `become = true` and we are not root). The shell runs in its own process group, and the
//! whole group (the shell and anything it started, e.g. a hung `stat` or `sleep`) is killed
//! when the deadline passes or the future is dropped (cancellation).

use super::process_group::GroupKiller;
use super::{Limits, PhaseSink, ScriptOutput, Transport, TransportError, sudo_refusal};
use crate::model::{Host, HostPhase};
use futures::future::BoxFuture;
use std::process::Stdio;
use tokio::process::Command;

#[derive(Debug, Default, Clone)]
pub struct LocalTransport;

/// The nice value of local probes run as background work (the TUI's). Under the kernel's
/// fair scheduler a nice-10 process weighs 110 against a nice-0 thread's 1024, so 64 probes
/// on two cores still leave the TUI's loop the share of a core it needs, when it needs it;
/// on idle cores the probes run as fast as before.
pub const BACKGROUND_PROBE_NICE: i32 = 10;

/// The local transport with its probes at a lower CPU priority: each probe's process group
/// gets nice value `nice` right after it starts (what it forks inherits it). The TUI's
/// choice: a probe on this machine is background work next to a screen that must keep
/// drawing (a thousand local "hosts" would otherwise hold both cores). Nothing changes on
/// a machine with idle cores; a `become` probe (run by root) keeps its priority.
#[derive(Debug, Clone)]
pub struct NicedLocalTransport {
    pub nice: i32,
}

fn is_root() -> bool {
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

impl Transport for LocalTransport {
    fn run_script<'a>(
        &'a self,
        host: &'a Host,
        script: &'a str,
        limits: Limits,
        phase: PhaseSink<'a>,
    ) -> BoxFuture<'a, Result<ScriptOutput, TransportError>> {
        Box::pin(run_local(host, script, limits, phase, 0))
    }
}

impl Transport for NicedLocalTransport {
    fn run_script<'a>(
        &'a self,
        host: &'a Host,
        script: &'a str,
        limits: Limits,
        phase: PhaseSink<'a>,
    ) -> BoxFuture<'a, Result<ScriptOutput, TransportError>> {
        Box::pin(run_local(host, script, limits, phase, self.nice))
    }
}

/// Lower the CPU priority of the process group `pgid` (ours: same user). Best effort: a
/// group that already exited, or one running as root, keeps what it has.
fn renice_group(pgid: Option<u32>, nice: i32) {
    if nice <= 0 {
        return;
    }
    if let Some(pgid) = pgid {
        // SAFETY: setpriority(2) takes plain integers; a failure only sets errno.
        unsafe {
            libc::setpriority(libc::PRIO_PGRP, pgid as libc::id_t, nice);
        }
    }
}

async fn run_local(
    host: &Host,
    script: &str,
    limits: Limits,
    phase: PhaseSink<'_>,
    nice: i32,
) -> Result<ScriptOutput, TransportError> {
    {
        let mut cmd = if host.become_root && !is_root() {
            let mut c = Command::new("sudo");
            c.args(["-n", "/bin/sh", "-s"]);
            c
        } else {
            let mut c = Command::new("/bin/sh");
            c.arg("-s");
            c
        };
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        phase(HostPhase::Probing);
        let mut child = cmd
            .spawn()
            .map_err(|e| TransportError::Unreachable(format!("cannot start /bin/sh: {e}")))?;
        renice_group(child.id(), nice);
        let mut group = GroupKiller::new(child.id());
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let work = super::exchange(stdin, stdout, stderr, script, limits.output_cap);
        let deadline = tokio::time::Instant::from_std(limits.deadline);
        let (out, err) = match tokio::time::timeout_at(deadline, work).await {
            Ok(v) => v,
            Err(_) => {
                group.kill_now();
                let _ = child.kill().await;
                return Err(TransportError::Timeout(
                    "probe did not finish before the deadline".into(),
                ));
            }
        };
        let (stdout, exceeded) =
            out.map_err(|e| TransportError::Failed(format!("reading output: {e}")))?;
        if exceeded {
            group.kill_now();
            let _ = child.kill().await;
            return Err(TransportError::Failed(format!(
                "output exceeded {} bytes",
                limits.output_cap
            )));
        }
        let (stderr, _) = err.unwrap_or_default();
        let status = match tokio::time::timeout_at(deadline, child.wait()).await {
            Ok(Ok(s)) => {
                group.disarm();
                s.code()
            }
            Ok(Err(e)) => return Err(TransportError::Failed(format!("waiting for sh: {e}"))),
            Err(_) => {
                group.kill_now();
                let _ = child.kill().await;
                return Err(TransportError::Timeout(
                    "probe did not exit before the deadline".into(),
                ));
            }
        };
        if host.become_root
            && let Some(why) = sudo_refusal(&stderr)
        {
            return Err(TransportError::SudoDenied(why));
        }
        Ok(ScriptOutput {
            stdout,
            stderr,
            status,
        })
    }
}
