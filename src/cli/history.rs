//! `driftscope history` (stub).

use clap::Args;

#[derive(Debug, Args)]
pub struct HistoryArgs {}

pub fn run(_args: HistoryArgs) -> i32 {
    eprintln!("driftscope history: not implemented yet");
    super::EXIT_USAGE
}
