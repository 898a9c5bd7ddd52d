//! `driftscope inventory` (stub).

use clap::Args;

#[derive(Debug, Args)]
pub struct InventoryArgs {}

pub fn run(_args: InventoryArgs) -> i32 {
    eprintln!("driftscope inventory: not implemented yet");
    super::EXIT_USAGE
}
