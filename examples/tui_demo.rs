//! Open the TUI on a hand-made local inventory (sysctl checks on this machine), without the
//! config loader: `cargo run --example tui_demo [-- HOSTS]`.

use driftscope::exec::{ExecOptions, TransportSet};
use driftscope::tui::fixture::{DemoPlanner, demo_loaded};
use driftscope::tui::{TuiContext, main_with};
use std::sync::Arc;

fn main() {
    let hosts = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let loaded = demo_loaded(hosts);
    let ctx = TuiContext {
        loaded: loaded.clone(),
        selection: Default::default(),
        transports: TransportSet::local_only(),
        exec: ExecOptions::default(),
        db: std::env::var_os("DRIFTSCOPE_DB").map(Into::into),
        theme: std::env::var("DRIFTSCOPE_THEME").ok(),
    };
    std::process::exit(main_with(ctx, Arc::new(DemoPlanner(loaded))));
}
