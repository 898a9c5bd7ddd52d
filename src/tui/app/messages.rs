//! What the reducer reacts to ([`Msg`]) and what it asks the event loop to do ([`Effect`]).

use super::super::theme::Theme;
use crate::exec::Event;
use crate::model::{ExecKey, ProbeTarget};
pub use crate::session::RunRequest;
use ratatui::crossterm::event::KeyEvent;
use std::time::Instant;

/// Everything the reducer reacts to.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key press (mapped through the keymap of the current mode).
    Key(KeyEvent),
    /// A bound action, as if its key had been pressed.
    Action(super::super::keymap::Action),
    /// The screen is up: ask the history for the stored state (sent once by the event loop,
    /// before [`Msg::Start`]).
    Opened,
    /// Start the first run (sent once by the event loop; not with `--no-run`).
    Start,
    /// An executor event of the current run.
    Exec(Event),
    /// The probe targets of a host about to be probed, for the detail pane (the host named
    /// once: a thousand hosts × a thousand checks are a million targets).
    Planned {
        host: String,
        targets: Vec<(ExecKey, ProbeTarget)>,
    },
    /// A run could not start (planning failed, nothing in scope).
    RunRejected(String),
    /// A theme was loaded (`:theme`).
    ThemeLoaded(Theme),
    /// A message for the status line (store writer report, theme error …).
    Status(String),
    /// The clock, for elapsed time and checks/s.
    Tick(Instant),
    /// The terminal size.
    Resize(u16, u16),
    /// An answer of the history (query thread).
    History(crate::tui::queries::HistoryAnswer),
    /// A run's results are committed to the history (its session finished): time to
    /// re-read the stored state.
    RunStored,
    /// The worker stored an acknowledgement (or says why it could not).
    Acked(Result<crate::model::Acknowledgement, String>),
}

/// What the event loop must do after an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    StartRun(RunRequest),
    CancelRun,
    LoadTheme(String),
    /// Hand the terminal to `$PAGER` (else `less`) showing this text, then take it back.
    Pager(String),
    /// Ask the history (answered by a [`Msg::History`]).
    Query(crate::tui::queries::HistoryQuery),
    /// Store an acknowledgement (answered by a [`Msg::Acked`]).
    Acknowledge(crate::store::AckRequest),
}
