//! What keys can do: the [`Action`]s a key is bound to (with their names in `keymap.toml` and
//! their help text) and the [`InputMode`]s that each have their own bindings. No parsing here.

use serde::Deserialize;

/// Everything a key can be bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    FocusNext,
    FocusPrev,
    Open,
    Back,
    Mark,
    Recheck,
    Rerun,
    FailuresOnly,
    CycleSort,
    Filter,
    Command,
    Help,
    Interrupt,
    Quit,
    Accept,
    Cancel,
    Complete,
    DeleteChar,
    Acknowledge,
    OpenSop,
    Drift,
    Runs,
}

impl Action {
    pub const ALL: [Action; 28] = [
        Action::Down,
        Action::Up,
        Action::PageDown,
        Action::PageUp,
        Action::Top,
        Action::Bottom,
        Action::FocusNext,
        Action::FocusPrev,
        Action::Open,
        Action::Back,
        Action::Mark,
        Action::Recheck,
        Action::Rerun,
        Action::FailuresOnly,
        Action::CycleSort,
        Action::Filter,
        Action::Command,
        Action::Help,
        Action::Interrupt,
        Action::Quit,
        Action::Accept,
        Action::Cancel,
        Action::Complete,
        Action::DeleteChar,
        Action::Acknowledge,
        Action::OpenSop,
        Action::Drift,
        Action::Runs,
    ];

    /// The name used in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Action::Down => "down",
            Action::Up => "up",
            Action::PageDown => "page_down",
            Action::PageUp => "page_up",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::FocusNext => "focus_next",
            Action::FocusPrev => "focus_prev",
            Action::Open => "open",
            Action::Back => "back",
            Action::Mark => "mark",
            Action::Recheck => "recheck",
            Action::Rerun => "rerun",
            Action::FailuresOnly => "failures_only",
            Action::CycleSort => "cycle_sort",
            Action::Filter => "filter",
            Action::Command => "command",
            Action::Help => "help",
            Action::Interrupt => "interrupt",
            Action::Quit => "quit",
            Action::Accept => "accept",
            Action::Cancel => "cancel",
            Action::Complete => "complete",
            Action::DeleteChar => "delete_char",
            Action::Acknowledge => "acknowledge",
            Action::OpenSop => "open_sop",
            Action::Drift => "drift",
            Action::Runs => "runs",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// One line of help for the action as bound in `mode` (help mode's `esc ? q` close
    /// the help; they do not clear a filter there).
    pub fn describe_in(self, mode: InputMode) -> &'static str {
        match (mode, self) {
            (InputMode::Help, Action::Back) => "close this help",
            (InputMode::Help, Action::Down) => "scroll down",
            (InputMode::Help, Action::Up) => "scroll up",
            (InputMode::Filter, Action::Down) => "move down without leaving the filter",
            (InputMode::Filter, Action::Up) => "move up without leaving the filter",
            (InputMode::Ack, Action::FocusNext) => "switch between reason and expiry",
            (InputMode::Ack, Action::Accept) => "acknowledge (a reason is required)",
            (InputMode::Ack, Action::Cancel) => "leave without acknowledging",
            _ => self.describe(),
        }
    }

    /// One line of help.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Down => "move down",
            Action::Up => "move up",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::Top => "first row",
            Action::Bottom => "last row",
            Action::FocusNext => "focus next pane (hosts, categories, results, detail)",
            Action::FocusPrev => "focus previous pane",
            Action::Open => "open the row's detail (in a list: select it)",
            Action::Back => "back: close detail or screen / clear filter",
            Action::Mark => "mark or unmark the row for re-check",
            Action::Recheck => "re-check marked rows, else the row under the cursor",
            Action::Rerun => "re-run the current scope (environment, host, category)",
            Action::FailuresOnly => "toggle failures only",
            Action::CycleSort => "cycle sort order (drift: group by host / check / category)",
            Action::Filter => "fuzzy filter over host, check, title, category",
            Action::Command => {
                "commands (:env :host :cat :run :recheck :drift :history :diff :compare …)"
            }
            Action::Help => "this help",
            Action::Interrupt => "cancel the running check run; again to quit",
            Action::Quit => "quit",
            Action::Accept => "apply and leave input",
            Action::Cancel => "leave input (filter: clear it)",
            Action::Complete => "complete the command or argument",
            Action::DeleteChar => "delete the last character",
            Action::Acknowledge => {
                "acknowledge the failing row: asks for a reason and an expiry (default 7d)"
            }
            Action::OpenSop => "open the row's SOP in $PAGER (else less)",
            Action::Drift => "drift screen: readiness, new failures, streaks, flapping",
            Action::Runs => "runs screen: past runs, open one, mark + enter diffs two",
        }
    }
}

/// The input modes, each with its own bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputMode {
    Normal,
    Filter,
    Command,
    Help,
    /// The acknowledgement prompt (reason, expiry).
    Ack,
}

impl InputMode {
    pub const ALL: [InputMode; 5] = [
        InputMode::Normal,
        InputMode::Filter,
        InputMode::Command,
        InputMode::Help,
        InputMode::Ack,
    ];
    pub fn name(self) -> &'static str {
        match self {
            InputMode::Normal => "normal",
            InputMode::Filter => "filter",
            InputMode::Command => "command",
            InputMode::Help => "help",
            InputMode::Ack => "ack",
        }
    }
    pub(super) fn index(self) -> usize {
        match self {
            InputMode::Normal => 0,
            InputMode::Filter => 1,
            InputMode::Command => 2,
            InputMode::Help => 3,
            InputMode::Ack => 4,
        }
    }
}
