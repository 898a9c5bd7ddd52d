//! `driftscope prune` (stub).

use clap::Args;

#[derive(Debug, Args)]
pub struct PruneArgs {}

pub fn run(_args: PruneArgs) -> i32 {
    eprintln!("driftscope prune: not implemented yet");
    super::EXIT_USAGE
}
