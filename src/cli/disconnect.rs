//! `driftscope disconnect`: close every SSH connection kept by `--keep-connections` (this
//! user's kept directory) and remove their sockets. Exit 0 also when nothing was kept.

use super::history::out;
use crate::transport::ssh::keep;
use clap::Args;

#[derive(Debug, Args)]
pub struct DisconnectArgs {}

pub fn run(_args: DisconnectArgs) -> i32 {
    let root = keep::default_root();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return super::EXIT_USAGE;
        }
    };
    match runtime.block_on(keep::disconnect_all(&root)) {
        Ok(closed) => {
            let running: Vec<_> = closed.iter().filter(|c| c.pid.is_some()).collect();
            for c in &running {
                out!("closed {}", c.destination);
            }
            let stale = closed.len() - running.len();
            match (running.len(), stale) {
                (0, 0) => out!("no kept connections ({})", root.display()),
                (n, 0) => out!("{n} kept connection(s) closed"),
                (n, s) => out!("{n} kept connection(s) closed, {s} expired socket(s) removed"),
            }
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            super::EXIT_USAGE
        }
    }
}
