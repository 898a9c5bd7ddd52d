//! `driftscope show` (stub).

use clap::Args;

#[derive(Debug, Args)]
pub struct ShowArgs {}

pub fn run(_args: ShowArgs) -> i32 {
    eprintln!("driftscope show: not implemented yet");
    super::EXIT_USAGE
}
