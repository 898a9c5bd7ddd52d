//! `driftscope drift` (stub).

use clap::Args;

#[derive(Debug, Args)]
pub struct DriftArgs {}

pub fn run(_args: DriftArgs) -> i32 {
    eprintln!("driftscope drift: not implemented yet");
    super::EXIT_USAGE
}
