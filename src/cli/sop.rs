//! `driftscope sop` (stub).

use clap::Args;

#[derive(Debug, Args)]
pub struct SopArgs {}

pub fn run(_args: SopArgs) -> i32 {
    eprintln!("driftscope sop: not implemented yet");
    super::EXIT_USAGE
}
