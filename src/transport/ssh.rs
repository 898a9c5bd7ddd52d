//! SSH transport over the user's own OpenSSH (openssh crate, native-mux): one ControlMaster
//! per host, the whole script on stdin of `sh -s` (stub until the SSH work lands).

use super::{Limits, PhaseSink, ScriptOutput, Transport, TransportError};
use crate::model::Host;
use futures::future::BoxFuture;
use std::path::PathBuf;
use std::time::Duration;

/// CLI-level SSH settings.
#[derive(Debug, Clone, Default)]
pub struct SshOptions {
    /// `--ssh-config FILE` (else ~/.ssh/config applies as usual).
    pub config_file: Option<PathBuf>,
    /// `--accept-new-host-keys` (else strict).
    pub accept_new_host_keys: bool,
    /// Idle sessions are closed after this long.
    pub idle_timeout: Option<Duration>,
}

pub struct SshTransport {
    _opts: SshOptions,
}

impl SshTransport {
    pub fn new(opts: SshOptions) -> SshTransport {
        SshTransport { _opts: opts }
    }
}

impl Transport for SshTransport {
    fn run_script<'a>(
        &'a self,
        _host: &'a Host,
        _script: &'a str,
        _limits: Limits,
        _phase: PhaseSink<'a>,
    ) -> BoxFuture<'a, Result<ScriptOutput, TransportError>> {
        Box::pin(async {
            Err(TransportError::Unreachable(
                "ssh transport not built yet".into(),
            ))
        })
    }
}
