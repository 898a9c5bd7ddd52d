//! Interactive terminal UI: the live screen (environments/hosts tree, categories, streaming
//! results table, detail with expected vs actual), fuzzy filter, `:` commands, re-checks.
//!
//! Layout: [`app`] holds the state and the pure reducer and composes the [`components`]
//! (each owns its region's state and draws it; geometry is in [`layout`]); [`keymap`] and
//! [`theme`] are data (TOML); [`worker`] runs everything that can wait (starting runs,
//! themes) and [`queries`] asks the history on its own thread; `runtime` owns the terminal and the one `tokio::select!` loop (`frame_stats` keeps its frame and gap accounts). Entry point contract: the CLI loads config and calls [`main`] when
//! no subcommand is given.

pub mod app;
pub mod command;
pub mod components;
#[doc(hidden)]
pub mod fixture;
mod frame_stats;
pub mod keymap;
pub mod layout;
pub mod markdown;
mod pager;
pub mod queries;
pub mod reports;
pub mod rows;
mod runtime;
pub mod sops;
pub mod theme;
pub mod worker;

use crate::config::{Loaded, Selection};
use crate::exec::{ExecOptions, TransportSet};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

pub use crate::session::Planner;
pub use runtime::{DRAIN_BUDGET, FRAME};

/// Everything the TUI needs, prepared by the CLI.
pub struct TuiContext {
    pub loaded: Loaded,
    pub selection: Selection,
    pub transports: TransportSet,
    pub exec: ExecOptions,
    /// `None` = `--no-store`.
    pub db: Option<PathBuf>,
    /// `--theme NAME|PATH`.
    pub theme: Option<String>,
    /// `--no-run`: open on the stored state without probing.
    pub no_run: bool,
    /// The SOPs that go with the loaded checks.
    pub sops: crate::sop::SopLibrary,
}

/// Run the TUI until the user quits; returns the exit code (0, or 2 when it cannot start).
pub fn main(ctx: TuiContext) -> i32 {
    let planner = std::sync::Arc::new(ctx.loaded.clone());
    main_with(ctx, planner)
}

/// [`main`] with another planner (tests and demos plan hand-made hosts through it).
pub fn main_with(ctx: TuiContext, planner: std::sync::Arc<dyn Planner>) -> i32 {
    let _log = runtime::init_logging();
    let user_dir = theme::user_theme_dir();
    let mut theme = match theme::Theme::resolve(ctx.theme.as_deref(), user_dir.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("driftscope: {e}");
            return 2;
        }
    };
    if theme::no_color_requested() {
        theme = theme.without_color();
    }
    let (keymap, keymap_warning) = keymap::Keymap::load(keymap::user_keymap_path().as_deref());
    let mut app = new_app(
        &ctx.loaded,
        ctx.selection.clone(),
        keymap,
        theme,
        db_label(&ctx.db),
    );
    app.theme_names = theme::theme_names(user_dir.as_deref());
    app.sops = std::sync::Arc::new(sops::SopBook::new(ctx.sops.clone(), &ctx.loaded));
    if let Some(w) = keymap_warning {
        app.status = w;
    }
    for w in &ctx.loaded.warnings {
        tracing::warn!("config: {w}");
    }
    runtime::run(app, ctx, planner)
}

/// Build the initial state from the loaded configuration.
pub fn new_app(
    loaded: &Loaded,
    selection: Selection,
    keymap: keymap::Keymap,
    theme: theme::Theme,
    db_label: String,
) -> app::App {
    let envs = loaded
        .environments
        .iter()
        .map(|e| app::EnvEntry {
            name: e.name.clone(),
            hosts: e.hosts.iter().map(|h| h.name.clone()).collect(),
        })
        .collect();
    let categories: BTreeSet<String> = loaded.checks.iter().map(|c| c.category.clone()).collect();
    app::App::new(
        envs,
        categories,
        selection,
        keymap,
        theme,
        db_label,
        Instant::now(),
    )
}

/// The DB path as shown in the header (`~` for the home directory).
pub fn db_label(db: &Option<PathBuf>) -> String {
    match db {
        None => "off (--no-store)".to_string(),
        Some(p) => {
            let s = p.display().to_string();
            match directories::BaseDirs::new().map(|b| b.home_dir().display().to_string()) {
                Some(home) if !home.is_empty() && s.starts_with(&home) => {
                    format!("~{}", &s[home.len()..])
                }
                _ => s,
            }
        }
    }
}
