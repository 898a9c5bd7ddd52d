//! Starting one OpenSSH ControlMaster for a host: `ssh -M -f -N` with the user's own config,
//! our known-hosts policy, a connect timeout and a control socket in our private directory.
//!
//! We start the master ourselves instead of `openssh::SessionBuilder::connect_mux` because
//! the builder's `ssh` process is not killed when the connect future is dropped: a host that
//! accepts TCP but stalls in the handshake would leave an ssh process behind after our
//! deadline. Here the pre-fork `ssh` is `kill_on_drop`; once it forks (after auth) the master
//! belongs to the returned [`openssh::Session`], which stops it on close or drop.

use super::failure::describe;
use crate::transport::TransportError;
use openssh::Session;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::Command;

/// How to treat host keys that are not in known_hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyPolicy {
    /// `StrictHostKeyChecking=yes`: unknown and changed keys are refused.
    Strict,
    /// `StrictHostKeyChecking=accept-new`: unknown keys are recorded, changed keys refused.
    AcceptNew,
}

impl HostKeyPolicy {
    /// The `StrictHostKeyChecking` value.
    pub fn ssh_value(self) -> &'static str {
        match self {
            HostKeyPolicy::Strict => "yes",
            HostKeyPolicy::AcceptNew => "accept-new",
        }
    }
}

/// Everything needed to open one master.
#[derive(Debug, Clone)]
pub struct MasterSpec<'a> {
    pub destination: &'a str,
    pub user: Option<&'a str>,
    pub port: Option<u16>,
    pub config_file: Option<&'a Path>,
    pub host_keys: HostKeyPolicy,
    pub connect_timeout: Duration,
    /// `ControlPersist`: the master exits by itself after this long without sessions.
    pub persist: Duration,
}

/// Extra time we give ssh beyond its own `ConnectTimeout` (which covers TCP connect and the
/// banner, not the key exchange or authentication) before killing it.
const HANDSHAKE_GRACE: Duration = Duration::from_secs(5);

/// A started master and where its log is.
pub struct Master {
    pub session: Session,
    pub log: PathBuf,
}

fn whole_seconds_at_least_one(d: Duration) -> u64 {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    s.max(1)
}

/// The `ssh` arguments for a master whose socket is `socket` and log is `log`.
pub fn master_args(spec: &MasterSpec<'_>, socket: &Path, log: &Path) -> Vec<OsString> {
    let mut a: Vec<OsString> = vec![
        "-E".into(),
        log.into(),
        "-S".into(),
        socket.into(),
        "-M".into(),
        "-f".into(),
        "-N".into(),
    ];
    let host_keys = spec.host_keys.ssh_value();
    for opt in [
        format!(
            "ControlPersist={}s",
            whole_seconds_at_least_one(spec.persist)
        ),
        "BatchMode=yes".to_string(),
        format!("StrictHostKeyChecking={host_keys}"),
        format!(
            "ConnectTimeout={}",
            whole_seconds_at_least_one(spec.connect_timeout)
        ),
    ] {
        a.push("-o".into());
        a.push(opt.into());
    }
    if let Some(cfg) = spec.config_file {
        a.push("-F".into());
        a.push(cfg.into());
    }
    if let Some(port) = spec.port {
        a.push("-p".into());
        a.push(port.to_string().into());
    }
    if let Some(user) = spec.user {
        a.push("-l".into());
        a.push(user.into());
    }
    a.push("--".into());
    a.push(spec.destination.into());
    a
}

/// Reject destinations ssh would misread (an option) or that cannot be a host.
pub fn check_destination(d: &str) -> Result<(), String> {
    if d.is_empty() {
        return Err("empty ssh destination".into());
    }
    if d.starts_with('-') {
        return Err(format!("ssh destination {d:?} starts with '-'"));
    }
    if d.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("ssh destination {d:?} contains whitespace"));
    }
    Ok(())
}

/// Where a master's control socket lives, and so who stops it.
pub enum SocketPlace<'a> {
    /// A fresh private directory under this launch's control directory: the master stops
    /// when its [`Session`] is dropped or closed.
    Private(&'a Path),
    /// A kept slot (`--keep-connections`): the master outlives this launch until its
    /// `ControlPersist` runs out or `driftscope disconnect`.
    Kept { socket: PathBuf, log: PathBuf },
}

/// Open a master at `place`. Fails with `Unreachable` (with ssh's words) when ssh cannot
/// connect, with `Timeout` when `deadline` comes first.
pub async fn open(
    spec: &MasterSpec<'_>,
    place: SocketPlace<'_>,
    deadline: Instant,
) -> Result<Master, TransportError> {
    check_destination(spec.destination).map_err(TransportError::Unreachable)?;
    match place {
        SocketPlace::Private(control_dir) => {
            // A short name keeps the socket path far below the 108-byte sun_path limit.
            let dir = tempfile::Builder::new()
                .prefix("m")
                .permissions(super::control_dir::private_mode())
                .tempdir_in(control_dir)
                .map_err(|e| {
                    TransportError::Failed(format!(
                        "cannot create a control socket directory in {}: {e}",
                        control_dir.display()
                    ))
                })?;
            // `Session::new_native_mux` expects the socket at `<dir>/master`.
            let socket = dir.path().join("master");
            let log = dir.path().join("log");
            start(spec, &socket, &log, deadline).await?;
            Ok(Master {
                session: Session::new_native_mux(dir),
                log,
            })
        }
        SocketPlace::Kept { socket, log } => {
            // A socket file nobody serves would make ssh run without multiplexing.
            let _ = std::fs::remove_file(&socket);
            // The log is read to name a failure: never with an earlier master's words.
            let _ = std::fs::remove_file(&log);
            start(spec, &socket, &log, deadline).await?;
            Ok(Master {
                session: Session::resume_mux(socket.into(), Some(log.clone().into())),
                log,
            })
        }
    }
}

/// Run `ssh -M -f -N` until it forked into the background (connected and authenticated).
async fn start(
    spec: &MasterSpec<'_>,
    socket: &Path,
    log: &Path,
    deadline: Instant,
) -> Result<(), TransportError> {
    let mut cmd = Command::new("ssh");
    cmd.args(master_args(spec, socket, log))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        // Everything ssh says goes to the -E log (given first, so even option errors do);
        // no pipe: the forked master would hold it open for its whole life.
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| {
        TransportError::Unreachable(format!("cannot run the ssh client (`ssh`): {e}"))
    })?;
    let patience = spec.connect_timeout + HANDSHAKE_GRACE;
    let connect_by = Instant::now() + patience;
    let limit = connect_by.min(deadline);
    let status = match tokio::time::timeout_at(limit.into(), child.wait()).await {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => {
            return Err(TransportError::Unreachable(format!(
                "waiting for ssh failed: {e}"
            )));
        }
        Err(_) => {
            let _ = child.kill().await;
            return Err(if deadline <= connect_by {
                TransportError::Timeout("deadline reached while connecting".into())
            } else {
                TransportError::Unreachable(format!(
                    "connect timeout: no SSH session within {} s",
                    patience.as_secs()
                ))
            });
        }
    };
    if status.success() {
        return Ok(());
    }
    let text = std::fs::read(log).unwrap_or_default();
    Err(TransportError::Unreachable(describe(
        &String::from_utf8_lossy(&text),
        status.code(),
    )))
}

/// Tail of a master's log (ssh's words when the connection dies later), for reasons.
pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read(log).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let tail: Vec<&str> = text.lines().rev().take(4).collect::<Vec<_>>();
    let joined: Vec<&str> = tail.into_iter().rev().collect();
    super::failure::verbatim(&joined.join("\n"), 600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_put_the_destination_after_double_dash_and_round_timeouts_up() {
        let spec = MasterSpec {
            destination: "db-01",
            user: Some("deploy"),
            port: Some(2222),
            config_file: Some(Path::new("/etc/ds/ssh_config")),
            host_keys: HostKeyPolicy::Strict,
            connect_timeout: Duration::from_millis(2500),
            persist: Duration::from_secs(300),
        };
        let a: Vec<String> = master_args(&spec, Path::new("/c/s"), Path::new("/c/log"))
            .into_iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        let joined = a.join(" ");
        assert!(joined.contains("-o StrictHostKeyChecking=yes"), "{joined}");
        assert!(joined.contains("-o ConnectTimeout=3"), "{joined}");
        assert!(joined.contains("-o ControlPersist=300s"), "{joined}");
        assert!(
            joined.contains("-F /etc/ds/ssh_config -p 2222 -l deploy"),
            "{joined}"
        );
        assert!(joined.ends_with("-- db-01"), "{joined}");
        assert!(
            !joined.contains("KexAlgorithms"),
            "never touch the user's KEX"
        );
    }

    #[test]
    fn destinations_that_look_like_options_are_refused() {
        assert!(check_destination("-oProxyCommand=sh").is_err());
        assert!(check_destination("a b").is_err());
        assert!(check_destination("").is_err());
        assert!(check_destination("db-01.prod").is_ok());
        assert!(check_destination("10.0.4.11").is_ok());
    }
}
