//! `driftscope run` (stub).

use clap::Args;

#[derive(Debug, Args)]
pub struct RunArgs {}

pub fn run(_args: RunArgs) -> i32 {
    eprintln!("driftscope run: not implemented yet");
    super::EXIT_USAGE
}
