//! The probe bounded on the host's side: `sh -s` under coreutils' `timeout -s KILL <secs>`
//! (which kills the probe's whole process group), plain `sh -s` where the host has no
//! `timeout`. Used by the transports whose client cannot always end the probe itself: ssh
//! (a driftscope killed with SIGKILL, a lost connection) and salt (a job's children cannot be
//! signalled from the client). The process module recognises this exact shape
//! (`probe::batch::REMOTE_TIMEOUT`) so a host's probe never counts itself.

use crate::probe::batch::REMOTE_TIMEOUT;
use std::time::Duration;

/// Shell text running the script on stdin under `timeout -s KILL`, for `left + grace`
/// rounded up to whole seconds (at least 1).
pub(crate) fn bounded_sh(left: Duration, grace: Duration) -> String {
    let secs = limit_secs(left, grace);
    format!(
        "if command -v timeout >/dev/null 2>&1; then exec {REMOTE_TIMEOUT} {secs} sh -s; else exec sh -s; fi"
    )
}

/// `left + grace` rounded up to whole seconds, at least 1: the host-side bound.
pub(crate) fn limit_secs(left: Duration, grace: Duration) -> u64 {
    let limit = left + grace;
    (limit.as_secs() + u64::from(limit.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_seconds_rounded_up_and_never_zero() {
        let secs = |l: u64, g: u64| {
            bounded_sh(Duration::from_millis(l), Duration::from_millis(g))
                .split_whitespace()
                .find_map(|w| w.parse::<u64>().ok())
        };
        assert_eq!(secs(29_500, 1_000), Some(31));
        assert_eq!(secs(30_000, 1_000), Some(31));
        assert_eq!(secs(5_000, 3_000), Some(8));
        assert_eq!(secs(0, 0), Some(1));
    }
}
