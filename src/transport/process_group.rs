//! A child started in its own process group, and the guard that kills that whole group
//! (the child and everything it started) with SIGKILL unless it exited normally. Used by the
//! transports that start local processes (`sh` for local, the `salt` CLI for salt).

/// Kills a process group with SIGKILL when dropped, unless disarmed (the leader exited and
/// was reaped normally).
pub(crate) struct GroupKiller {
    pgid: Option<i32>,
}

impl GroupKiller {
    /// Guards the group led by the child with this pid (spawned with `process_group(0)`).
    pub(crate) fn new(leader: Option<u32>) -> GroupKiller {
        GroupKiller {
            pgid: leader.and_then(|p| i32::try_from(p).ok()),
        }
    }

    pub(crate) fn kill_now(&mut self) {
        if let Some(pgid) = self.pgid.take()
            && pgid > 1
        {
            // SAFETY: kill(2) has no memory-safety preconditions; a negative pid addresses
            // the process group we created for this child (its leader is still unreaped, so
            // the group id cannot have been reused).
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }

    pub(crate) fn disarm(&mut self) {
        self.pgid = None;
    }
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        self.kill_now();
    }
}
