//! Key bindings as data: `keymap.toml` (embedded) maps actions to keys per input mode; a user
//! file in the XDG config dir replaces the keys of the actions it names. The help screen and
//! the README key table are generated from the same map, so they cannot drift from the code.

//!
//! Split by responsibility: [`action`] (what a key does), [`keys`] (how a key is written),
//! this file (reading the files, lookup, help).

mod action;
mod keys;
#[cfg(test)]
mod tests;

pub use action::{Action, InputMode};
pub use keys::KeySpec;
use ratatui::crossterm::event::KeyEvent;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The embedded default bindings.
pub const DEFAULT_KEYMAP: &str = include_str!("../keymap.toml");

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
