//! Key bindings as data: `keymap.toml` (embedded) maps actions to keys per input mode; a user
//! file in the XDG config dir replaces the keys of the actions it names. The help screen and
//! the README key table are generated from the same map, so they cannot drift from the code.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The embedded default bindings.
pub const DEFAULT_KEYMAP: &str = include_str!("keymap.toml");

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
    fn index(self) -> usize {
        match self {
            InputMode::Normal => 0,
            InputMode::Filter => 1,
            InputMode::Command => 2,
            InputMode::Help => 3,
            InputMode::Ack => 4,
        }
    }
}

/// One key with its ctrl/alt modifiers (shift is part of the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl KeySpec {
    pub fn parse(s: &str) -> Option<KeySpec> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "delete" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') => KeyCode::F(f[1..].parse().ok()?),
            c => {
                let mut chars = c.chars();
                let ch = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCode::Char(ch)
            }
        };
        Some(KeySpec { code, ctrl, alt })
    }

    pub fn from_event(ev: &KeyEvent) -> KeySpec {
        let code = match ev.code {
            // Some terminals report ctrl-c as uppercase with shift.
            KeyCode::Char(c) if ev.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        KeySpec {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }
}

/// Bindings of one mode, in file order (the help keeps that order).
#[derive(Debug, Clone, Default)]
struct ModeMap {
    bindings: Vec<(Action, Vec<String>)>,
    lookup: HashMap<KeySpec, Action>,
}

impl ModeMap {
    fn rebuild_lookup(&mut self) {
        self.lookup.clear();
        for (action, keys) in &self.bindings {
            for k in keys {
                if let Some(spec) = KeySpec::parse(k) {
                    self.lookup.insert(spec, *action);
                }
            }
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{origin}: {message}")]
pub struct KeymapError {
    pub origin: String,
    pub message: String,
}

/// All modes' bindings.
#[derive(Debug, Clone)]
pub struct Keymap {
    modes: [ModeMap; 5],
}

type RawKeymap = BTreeMap<String, toml::Table>;
/// One mode's bindings as read from a file.
type ModeBindings = (InputMode, Vec<(Action, Vec<String>)>);

fn parse_raw(text: &str, origin: &str) -> Result<Vec<ModeBindings>, KeymapError> {
    let err = |message: String| KeymapError {
        origin: origin.to_string(),
        message,
    };
    let raw: RawKeymap = toml::from_str(text).map_err(|e| err(e.to_string().trim().to_string()))?;
    // Keep file order within a table: toml::Table preserves insertion order only with the
    // preserve_order feature, so re-read the order from the text.
    let mut out = Vec::new();
    for (mode_name, table) in &raw {
        let mode = InputMode::ALL
            .into_iter()
            .find(|m| m.name() == mode_name)
            .ok_or_else(|| {
                err(format!(
                    "unknown mode [{mode_name}] (modes: normal, filter, command, help, ack)"
                ))
            })?;
        let mut entries = Vec::new();
        for (action_name, keys) in table {
            let action = Action::from_name(action_name)
                .ok_or_else(|| err(format!("[{mode_name}] unknown action {action_name:?}")))?;
            let list: Vec<String> = match keys {
                toml::Value::String(s) => vec![s.clone()],
                toml::Value::Array(a) => a
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_string).ok_or_else(|| {
                            err(format!("[{mode_name}] {action_name}: keys must be strings"))
                        })
                    })
                    .collect::<Result<_, _>>()?,
                _ => {
                    return Err(err(format!(
                        "[{mode_name}] {action_name}: expected a key or a list of keys"
                    )));
                }
            };
            for k in &list {
                if KeySpec::parse(k).is_none() {
                    return Err(err(format!(
                        "[{mode_name}] {action_name}: {k:?} is not a key"
                    )));
                }
            }
            entries.push((action, list));
        }
        entries.sort_by_key(|(a, _)| file_position(text, mode_name, a.name()));
        out.push((mode, entries));
    }
    Ok(out)
}

/// Byte offset of `action =` inside `[mode]` in the text (for stable help order).
fn file_position(text: &str, mode: &str, action: &str) -> usize {
    let header = format!("[{mode}]");
    let start = text.find(&header).unwrap_or(0);
    text[start..]
        .lines()
        .scan(start, |pos, line| {
            let here = *pos;
            *pos += line.len() + 1;
            Some((here, line))
        })
        .find(|(_, line)| {
            line.trim_start()
                .strip_prefix(action)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|(p, _)| p)
        .unwrap_or(usize::MAX)
}

impl Keymap {
    /// The embedded defaults.
    pub fn embedded() -> Keymap {
        let mut km = Keymap {
            modes: Default::default(),
        };
        if let Ok(modes) = parse_raw(DEFAULT_KEYMAP, "keymap.toml") {
            for (mode, entries) in modes {
                km.modes[mode.index()].bindings = entries;
            }
        }
        for m in &mut km.modes {
            m.rebuild_lookup();
        }
        km
    }

    /// Defaults overlaid with a user file's text: each action the user names gets exactly the
    /// user's keys, and those keys are taken away from any other action of that mode.
    pub fn with_overrides(text: &str, origin: &str) -> Result<Keymap, KeymapError> {
        let mut km = Keymap::embedded();
        for (mode, entries) in parse_raw(text, origin)? {
            let mm = &mut km.modes[mode.index()];
            for (action, keys) in entries {
                for (_, other) in mm.bindings.iter_mut() {
                    other.retain(|k| !keys.contains(k));
                }
                match mm.bindings.iter_mut().find(|(a, _)| *a == action) {
                    Some((_, existing)) => *existing = keys,
                    None => mm.bindings.push((action, keys)),
                }
            }
            mm.rebuild_lookup();
        }
        Ok(km)
    }

    /// The user file if it exists, else the defaults. A broken user file is reported and
    /// the defaults are used.
    pub fn load(user_file: Option<&Path>) -> (Keymap, Option<String>) {
        let Some(path) = user_file.filter(|p| p.is_file()) else {
            return (Keymap::embedded(), None);
        };
        let origin = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => match Keymap::with_overrides(&text, &origin) {
                Ok(km) => (km, None),
                Err(e) => (Keymap::embedded(), Some(format!("{e}; using default keys"))),
            },
            Err(e) => (
                Keymap::embedded(),
                Some(format!("{origin}: {e}; using default keys")),
            ),
        }
    }

    /// What a key does in a mode.
    pub fn action(&self, mode: InputMode, key: &KeyEvent) -> Option<Action> {
        self.modes[mode.index()]
            .lookup
            .get(&KeySpec::from_event(key))
            .copied()
    }

    /// The first key bound to an action (for hints), e.g. `?`.
    pub fn first_key(&self, mode: InputMode, action: Action) -> Option<&str> {
        self.modes[mode.index()]
            .bindings
            .iter()
            .find(|(a, _)| *a == action)
            .and_then(|(_, k)| k.first())
            .map(String::as_str)
    }

    /// Help rows of a mode: (keys joined by " ", description), in file order.
    pub fn help_rows(&self, mode: InputMode) -> Vec<(String, &'static str)> {
        self.modes[mode.index()]
            .bindings
            .iter()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(a, keys)| (keys.join(" "), a.describe_in(mode)))
            .collect()
    }

    /// The README key table (Markdown), one section per mode.
    pub fn markdown_table(&self) -> String {
        let mut s = String::new();
        for mode in InputMode::ALL {
            s.push_str(&format!(
                "\n**{} mode**\n\n| keys | action |\n|---|---|\n",
                mode.name()
            ));
            for (keys, desc) in self.help_rows(mode) {
                let keys: Vec<String> = keys
                    .split(' ')
                    .map(|k| format!("`{}`", k.replace('|', "\\|")))
                    .collect();
                s.push_str(&format!("| {} | {} |\n", keys.join(" "), desc));
            }
        }
        s
    }
}

/// `<XDG config>/driftscope/keymap.toml`.
pub fn user_keymap_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "driftscope").map(|d| d.config_dir().join("keymap.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEventKind;

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: m,
            kind: KeyEventKind::Press,
            state: ratatui::crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn embedded_keymap_parses_completely() {
        let modes = parse_raw(DEFAULT_KEYMAP, "keymap.toml").unwrap();
        assert_eq!(modes.len(), 5);
    }

    #[test]
    fn default_bindings_resolve() {
        let km = Keymap::embedded();
        let n = InputMode::Normal;
        assert_eq!(
            km.action(n, &key(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action(n, &key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(n, &key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Interrupt)
        );
        assert_eq!(
            km.action(n, &key(KeyCode::Char(' '), KeyModifiers::NONE)),
            Some(Action::Mark)
        );
        assert_eq!(
            km.action(n, &key(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::FocusPrev)
        );
        assert_eq!(
            km.action(n, &key(KeyCode::Char('x'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            km.action(
                InputMode::Filter,
                &key(KeyCode::Char('q'), KeyModifiers::NONE)
            ),
            None,
            "q types into the filter"
        );
    }

    #[test]
    fn user_override_replaces_and_steals_keys() {
        let km = Keymap::with_overrides("[normal]\nquit = [\"x\", \"j\"]\n", "user.toml").unwrap();
        let n = InputMode::Normal;
        assert_eq!(
            km.action(n, &key(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action(n, &key(KeyCode::Char('q'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            km.action(n, &key(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action(n, &key(KeyCode::Down, KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert!(
            km.help_rows(n)
                .iter()
                .any(|(k, d)| k == "x j" && *d == "quit")
        );
    }

    #[test]
    fn bad_user_files_say_where_and_what() {
        let e = Keymap::with_overrides("[normal]\nqiut = [\"q\"]\n", "u.toml").unwrap_err();
        assert_eq!(e.to_string(), "u.toml: [normal] unknown action \"qiut\"");
        let e = Keymap::with_overrides("[normal]\nquit = [\"ctrl-\"]\n", "u.toml").unwrap_err();
        assert!(e.to_string().contains("is not a key"), "{e}");
        let e = Keymap::with_overrides("[visual]\nquit = [\"q\"]\n", "u.toml").unwrap_err();
        assert!(e.to_string().contains("unknown mode [visual]"), "{e}");
    }

    #[test]
    fn help_keeps_file_order() {
        let rows = Keymap::embedded().help_rows(InputMode::Normal);
        assert_eq!(rows[0].0, "j down");
        assert_eq!(rows.last().unwrap().0, "q");
    }
}

#[cfg(test)]
mod help_label_tests {
    use super::*;

    #[test]
    fn help_mode_keys_say_what_they_do_there() {
        let km = Keymap::embedded();
        let help = km.help_rows(InputMode::Help);
        assert!(
            help.contains(&("esc ? q".to_string(), "close this help")),
            "{help:?}"
        );
        let normal = km.help_rows(InputMode::Normal);
        assert!(
            normal
                .iter()
                .any(|(k, d)| k == "esc" && *d == "back: close detail or screen / clear filter")
        );
    }
}
