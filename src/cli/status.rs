//! `driftscope status` (stub).

use clap::Args;

#[derive(Debug, Args)]
pub struct StatusArgs {}

pub fn run(_args: StatusArgs) -> i32 {
    eprintln!("driftscope status: not implemented yet");
    super::EXIT_USAGE
}
