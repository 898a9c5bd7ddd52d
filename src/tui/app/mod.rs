//! The TUI state ([`App`]) and its reducer: every change goes through [`App::update`], which
//! takes a [`Msg`] (a key, an executor event, a clock tick …) and returns the [`Effect`]s the
//! event loop must perform (start or cancel a run, load a theme, quit). No IO happens here,
//! so every behaviour is testable without a terminal.
//!
//! The state of each screen region lives in its component ([`crate::tui::components`]);
//! `App` composes them and holds only what spans regions (mode, focus, status line, clock).
//! - [`messages`]: `Msg` and `Effect`.
//! - [`input`]: keys → actions → component or app changes; `:` commands.
//! - [`run`]: executor events and run requests (re-check, re-run).
//! - [`view`]: settling the table before a frame, and drawing the screen.
//! - [`history`]: the history's answers (the stored state under the live rows, timeline,
//!   drift report).
//! - [`screens`]: the Runs screen, a past run, the run-vs-run diff and `:compare`.
//! - [`ack`]: the acknowledgement prompt (`a`) and the worker's answer.

mod ack;
mod history;
mod input;
mod messages;
mod run;
mod screens;
mod view;

pub use super::components::Tally;
pub use super::components::header::RunStatus;
pub use super::components::hosts::{EnvEntry, TreeItem};
pub use history::STALE_AFTER;
pub use messages::{Effect, Msg, RunRequest};

use super::components::ack::AckPrompt;
use super::components::categories::CategoriesPane;
use super::components::compare::CompareScreen;
use super::components::detail::DetailPane;
use super::components::diff::DiffScreen;
use super::components::drift::DriftScreen;
use super::components::footer::CommandPrompt;
use super::components::header::RunHeader;
use super::components::help::HelpOverlay;
use super::components::hosts::HostsPane;
use super::components::runs::RunsScreen;
use super::components::table::{ResultsTable, TableScope};
use super::keymap::{InputMode, Keymap};
use super::rows::RowId;
use super::theme::Theme;
use crate::config::Selection;
use std::collections::BTreeSet;
use std::time::Instant;

/// Which screen is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    /// Hosts, categories, results and detail (live, over the stored state).
    #[default]
    Live,
    /// Readiness, new since the previous run, failing with streaks, flapping (`D`).
    Drift,
    /// Stored runs of the environment (`H`, `:history`).
    Runs,
    /// A past run, read-only, in the results table's layout.
    PastRun,
    /// Run-vs-run transitions.
    Diff,
    /// `:compare ENV`.
    Compare,
}

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Hosts,
    Categories,
    Table,
    Detail,
}

/// The whole TUI state.
pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    pub theme_names: Vec<String>,
    pub initial: Selection,
    pub header: RunHeader,
    pub hosts: HostsPane,
    pub categories: CategoriesPane,
    pub table: ResultsTable,
    pub detail: DetailPane,
    pub drift: DriftScreen,
    pub runs: RunsScreen,
    pub diff: DiffScreen,
    pub compare: CompareScreen,
    /// A past run shown read-only (the live table parked inside).
    pub past: Option<screens::PastRun>,
    pub screen: Screen,
    pub help: HelpOverlay,
    pub prompt: CommandPrompt,
    pub ack: AckPrompt,
    pub focus: Focus,
    pub mode: InputMode,
    pub status: String,
    pub now: Instant,
    pub size: (u16, u16),
    pub quit: bool,
    /// Set when something visible changed since the last draw.
    pub dirty: bool,
    /// Draw one more frame after this one even if nothing changes (the detail pane waits
    /// for the cursor to rest before asking for a timeline).
    pub frame_again: bool,
    /// The SOPs and what fills them (loaded with the configuration).
    pub sops: std::sync::Arc<super::sops::SopBook>,
}

impl App {
    pub fn new(
        envs: Vec<EnvEntry>,
        categories: BTreeSet<String>,
        initial: Selection,
        keymap: Keymap,
        theme: Theme,
        db_label: String,
        now: Instant,
    ) -> App {
        let mut app = App {
            keymap,
            theme,
            theme_names: super::theme::EMBEDDED
                .iter()
                .map(|(n, _)| n.to_string())
                .collect(),
            initial,
            header: RunHeader {
                db_label,
                ..Default::default()
            },
            hosts: HostsPane::new(envs),
            categories: CategoriesPane::new(categories),
            table: ResultsTable::new(),
            detail: DetailPane::default(),
            drift: DriftScreen::default(),
            runs: RunsScreen::default(),
            diff: DiffScreen::default(),
            compare: CompareScreen::default(),
            past: None,
            screen: Screen::Live,
            help: HelpOverlay::default(),
            prompt: CommandPrompt::default(),
            ack: AckPrompt::default(),
            focus: Focus::Table,
            mode: InputMode::Normal,
            status: String::new(),
            now,
            size: (120, 40),
            quit: false,
            dirty: true,
            frame_again: false,
            sops: Default::default(),
        };
        if let Some(env) = app.initial.environment.clone() {
            app.hosts.focus_env(&env);
        }
        app.resized();
        app
    }

    /// The environment shown (the one the hosts cursor is in).
    pub fn current_env(&self) -> Option<&str> {
        self.hosts.current_env()
    }

    /// The host the hosts cursor is on, if any.
    pub fn current_host(&self) -> Option<&str> {
        self.hosts.current_host()
    }

    pub fn current_category(&self) -> Option<&str> {
        self.categories.current()
    }

    /// What the hosts and categories panes narrow the table to.
    pub fn table_scope(&self) -> TableScope {
        TableScope {
            environment: self.current_env().map(str::to_string),
            host: self.current_host().map(str::to_string),
            category: self.current_category().map(str::to_string),
        }
    }

    /// The row under the table cursor.
    pub fn selected(&self) -> Option<RowId> {
        self.table.selected()
    }

    /// Rows of the results table that fit on screen (header and borders excluded).
    pub fn table_height(&self) -> usize {
        self.table.height
    }

    pub fn host_tally(&self, env: &str, host: &str) -> Tally {
        self.hosts.tally(env, host)
    }

    pub fn cat_tally(&self, env: &str, cat: &str) -> Tally {
        self.categories.tally(env, cat)
    }

    pub fn running(&self) -> bool {
        self.header.running()
    }

    /// Whether the result in a row counts as a failure (for the failures-only toggle).
    pub fn row_is_failure(&self, id: RowId) -> bool {
        self.table.row_is_failure(id)
    }

    /// Apply one message. The view is rebuilt lazily by [`App::settle`].
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut fx = Vec::new();
        let env_before = self.current_env().map(str::to_string);
        match msg {
            Msg::Tick(now) => {
                self.now = now;
                if self.header.pending && self.header.pending_since.is_none() {
                    self.header.pending_since = Some(now);
                }
                if self.running() || self.header.pending {
                    self.dirty = true;
                }
                return fx;
            }
            Msg::Key(key) => self.on_key(key, &mut fx),
            Msg::Action(a) => self.on_action(a, &mut fx),
            Msg::Start => {
                let mut selection = self.initial.clone();
                if selection.environment.is_none() {
                    selection.environment = self.current_env().map(str::to_string);
                }
                self.request_run(
                    RunRequest {
                        selection,
                        only: None,
                    },
                    &mut fx,
                );
            }
            Msg::Exec(ev) => self.on_exec(ev),
            Msg::Planned { host, targets } => {
                self.detail.probes.insert_host(&host, targets);
                return fx;
            }
            Msg::RunRejected(why) => {
                self.header.pending = false;
                self.status = why;
            }
            Msg::ThemeLoaded(t) => {
                self.status = format!("theme {}", t.name);
                self.theme = t;
            }
            Msg::Status(s) => self.status = s,
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.resized();
            }
            Msg::Opened => self.ask_latest(&mut fx),
            Msg::History(answer) => self.on_history(answer, &mut fx),
            Msg::RunStored => {
                // the stored state, the timeline and the drift report now include the run
                self.detail.timeline = None;
                self.ask_latest(&mut fx);
                match self.screen {
                    Screen::Drift => self.open_drift(&mut fx),
                    Screen::Runs => self.open_runs(&mut fx),
                    _ => {}
                }
            }
            Msg::Acked(result) => self.on_acked(result, &mut fx),
        }
        if self.current_env() != env_before.as_deref() {
            self.ask_latest(&mut fx);
        }
        self.dirty = true;
        fx
    }

    /// The table's height follows the terminal and whether the detail pane is open.
    fn resized(&mut self) {
        self.table.height =
            super::layout::table_rows(self.size.0, self.size.1, self.detail.open).max(1);
        let body = super::layout::body_rows(self.size.0, self.size.1).max(1);
        self.drift.height = body;
        self.runs.height = body;
        self.diff.height = body;
        self.compare.height = body;
    }
}
