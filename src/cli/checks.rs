//! `driftscope checks` (stub).

use clap::Args;

#[derive(Debug, Args)]
pub struct ChecksArgs {}

pub fn run(_args: ChecksArgs) -> i32 {
    eprintln!("driftscope checks: not implemented yet");
    super::EXIT_USAGE
}
