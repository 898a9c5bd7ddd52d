//! Unit tests of the keymap: the embedded file, default bindings, user overrides and their
//! errors, the help's order and labels.

use super::*;
use ratatui::crossterm::event::KeyEventKind;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
