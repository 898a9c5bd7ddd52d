//! `o`: a text (the SOP) in `$PAGER` (else `less`) while the TUI has handed the terminal
//! over. The event loop restores the terminal before and takes it back after; this module
//! only runs the pager.
//!
//! The pager runs in its own process group, made the terminal's foreground group while it
//! runs (as a shell does for a job): the keys that send signals — Ctrl-C, Ctrl-\ — reach the
//! pager alone, never driftscope (which would die and leave the terminal broken) nor the ssh
//! sessions of a run still streaming. When the pager exits, driftscope's group is the
//! foreground again. A pager that stops itself (Ctrl-Z in less) is resumed: driftscope
//! waits for it, there is no shell to bring it back.

use std::io::Write;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// Why the pager did not show the text.
#[derive(Debug, thiserror::Error)]
pub enum PagerError {
    #[error("cannot run the pager {pager:?}: {source}")]
    Spawn {
        pager: String,
        source: std::io::Error,
    },
    #[error("the pager {pager:?} failed: {source}")]
    Wait {
        pager: String,
        source: std::io::Error,
    },
    #[error("the pager {pager:?} exited with {code}")]
    Exit { pager: String, code: i32 },
    #[error("the pager did not finish: {0}")]
    Join(String),
}

/// The pager command: `$PAGER` when set and not blank, else `less`.
pub fn pager_command() -> String {
    std::env::var("PAGER")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "less".to_string())
}

/// Show `text` in the pager (on a blocking thread) and wait until it exits.
pub async fn show(text: String) -> Result<(), PagerError> {
    let pager = pager_command();
    tokio::task::spawn_blocking(move || run(&pager, &text))
        .await
        .unwrap_or_else(|e| Err(PagerError::Join(e.to_string())))
}

fn run(pager: &str, text: &str) -> Result<(), PagerError> {
    // The controlling terminal, if there is one (not under a test harness without a tty).
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok();
    let tty_fd = tty.as_ref().map(AsRawFd::as_raw_fd);
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(pager)
        .stdin(Stdio::piped())
        .process_group(0);
    if let Some(fd) = tty_fd {
        // SAFETY: between fork and exec the closure only makes async-signal-safe calls
        // (getpid, signal, tcsetpgrp) and allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                // The child takes the foreground itself too: whichever of the two runs
                // first, the pager never reads the terminal from a background group.
                make_foreground(fd, libc::getpid());
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().map_err(|source| PagerError::Spawn {
        pager: pager.to_string(),
        source,
    })?;
    let pid = child.id() as libc::pid_t;
    if let Some(fd) = tty_fd {
        make_foreground(fd, pid);
    }
    if let Some(mut stdin) = child.stdin.take() {
        // a pager quit before reading everything closes the pipe: not an error
        let _ = stdin.write_all(text.as_bytes());
    }
    let waited = wait_resuming(pid, tty_fd);
    if let Some(fd) = tty_fd {
        // SAFETY: getpgrp has no preconditions.
        make_foreground(fd, unsafe { libc::getpgrp() });
    }
    drop(tty);
    match waited {
        Err(source) => Err(PagerError::Wait {
            pager: pager.to_string(),
            source,
        }),
        // killed by a signal (Ctrl-C in a pager that does not catch it): back to the TUI
        Ok(None) | Ok(Some(0)) => Ok(()),
        Ok(Some(code)) => Err(PagerError::Exit {
            pager: pager.to_string(),
            code,
        }),
    }
}

/// Wait for the pager to exit (its exit code, `None` when a signal ended it); a pager that
/// stopped (Ctrl-Z) gets the foreground back and is continued.
fn wait_resuming(pid: libc::pid_t, tty_fd: Option<RawFd>) -> std::io::Result<Option<i32>> {
    loop {
        let mut status = 0;
        // SAFETY: `pid` is our own child, not yet reaped (std's `Child::wait` is not used).
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WUNTRACED) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if libc::WIFSTOPPED(status) {
            if let Some(fd) = tty_fd {
                make_foreground(fd, pid);
            }
            // SAFETY: signals the pager's own process group (led by our child).
            unsafe { libc::kill(-pid, libc::SIGCONT) };
            continue;
        }
        if libc::WIFEXITED(status) {
            return Ok(Some(libc::WEXITSTATUS(status)));
        }
        return Ok(None);
    }
}

/// Make `pgid` the terminal's foreground process group. SIGTTOU is ignored around the
/// call: a process outside the foreground group is stopped by it otherwise. Failures (the
/// pager already gone) are left alone: the foreground is set again when it exits.
fn make_foreground(fd: RawFd, pgid: libc::pid_t) {
    // SAFETY: plain system calls on a file descriptor we hold open; the previous SIGTTOU
    // disposition is put back.
    unsafe {
        let previous = libc::signal(libc::SIGTTOU, libc::SIG_IGN);
        libc::tcsetpgrp(fd, pgid);
        libc::signal(libc::SIGTTOU, previous);
    }
}
