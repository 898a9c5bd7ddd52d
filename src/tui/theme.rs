//! Themes: semantic roles (pass, fail, error, unreachable, timeout, muted, accent, selection,
//! border) mapped to terminal styles. Widgets ask for a role, never for a raw color.
//!
//! Embedded themes come from `themes/*.toml`; a user file `<XDG config>/driftscope/themes/
//! NAME.toml` overrides an embedded one of the same name; `--theme PATH` loads a file.
//! `NO_COLOR` (non-empty) strips colors but keeps bold/reverse so state stays visible.
//! Loading is the only IO here and happens outside the reducer.

use crate::model::Outcome;
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The embedded themes, by name, in display order.
pub const EMBEDDED: [(&str, &str); 3] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// A semantic role a widget can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Pass,
    Fail,
    Error,
    Unreachable,
    Timeout,
    Muted,
    Accent,
    Selection,
    Border,
}

/// Resolved styles for every role.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub pass: Style,
    pub fail: Style,
    pub error: Style,
    pub unreachable: Style,
    pub timeout: Style,
    pub muted: Style,
    pub accent: Style,
    pub selection: Style,
    pub border: Style,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ThemeError {
    #[error("theme {name:?}: no such embedded theme, user theme or file (embedded: {known})")]
    Unknown { name: String, known: String },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    #[serde(default)]
    roles: BTreeMap<String, RoleStyle>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RoleStyle {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reverse: bool,
}

impl RoleStyle {
    fn to_style(&self, origin: &str, role: &str) -> Result<Style, ThemeError> {
        let color = |c: &Option<String>| -> Result<Option<Color>, ThemeError> {
            match c {
                None => Ok(None),
                Some(s) => Color::from_str(s).map(Some).map_err(|_| ThemeError::Invalid {
                    origin: origin.to_string(),
                    message: format!("role {role}: {s:?} is not a color (try \"red\", \"#ff8800\" or \"208\")"),
                }),
            }
        };
        let mut style = Style::default();
        if let Some(c) = color(&self.fg)? {
            style = style.fg(c);
        }
        if let Some(c) = color(&self.bg)? {
            style = style.bg(c);
        }
        for (on, m) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underline, Modifier::UNDERLINED),
            (self.reverse, Modifier::REVERSED),
        ] {
            if on {
                style = style.add_modifier(m);
            }
        }
        Ok(style)
    }
}

const ROLE_NAMES: [&str; 9] = [
    "pass",
    "fail",
    "error",
    "unreachable",
    "timeout",
    "muted",
    "accent",
    "selection",
    "border",
];

impl Theme {
    /// A theme with no styling at all (the base every file is laid over).
    fn plain(name: &str) -> Theme {
        Theme {
            name: name.to_string(),
            pass: Style::default(),
            fail: Style::default(),
            error: Style::default(),
            unreachable: Style::default(),
            timeout: Style::default(),
            muted: Style::default(),
            accent: Style::default(),
            selection: Style::default().add_modifier(Modifier::REVERSED),
            border: Style::default(),
        }
    }

    /// Parse a theme file's text. Roles it leaves out keep the plain style.
    pub fn parse(text: &str, origin: &str) -> Result<Theme, ThemeError> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| ThemeError::Invalid {
            origin: origin.to_string(),
            message: e.to_string().trim().to_string(),
        })?;
        let mut theme = Theme::plain(file.name.as_deref().unwrap_or(origin));
        for (role, rs) in &file.roles {
            let style = rs.to_style(origin, role)?;
            match role.as_str() {
                "pass" => theme.pass = style,
                "fail" => theme.fail = style,
                "error" => theme.error = style,
                "unreachable" => theme.unreachable = style,
                "timeout" => theme.timeout = style,
                "muted" => theme.muted = style,
                "accent" => theme.accent = style,
                "selection" => theme.selection = style,
                "border" => theme.border = style,
                other => {
                    return Err(ThemeError::Invalid {
                        origin: origin.to_string(),
                        message: format!(
                            "unknown role {other:?} (roles: {})",
                            ROLE_NAMES.join(", ")
                        ),
                    });
                }
            }
        }
        Ok(theme)
    }

    /// An embedded theme by name.
    pub fn embedded(name: &str) -> Option<Theme> {
        EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(n, text)| Theme::parse(text, n).ok())
    }

    /// The embedded `default` theme (falls back to plain if the file were broken).
    pub fn default_theme() -> Theme {
        Theme::embedded("default").unwrap_or_else(|| Theme::plain("default"))
    }

    /// Resolve `--theme NAME|PATH`: a user theme file of that name, an embedded theme, or a
    /// path to a theme file. `None` = default.
    pub fn resolve(spec: Option<&str>, user_dir: Option<&Path>) -> Result<Theme, ThemeError> {
        let name = spec.unwrap_or("default");
        if let Some(dir) = user_dir {
            let p = dir.join(format!("{name}.toml"));
            if !name.contains('/') && p.is_file() {
                return Theme::from_path(&p);
            }
        }
        if let Some(t) = Theme::embedded(name) {
            return Ok(t);
        }
        let p = PathBuf::from(name);
        if p.is_file() {
            return Theme::from_path(&p);
        }
        Err(ThemeError::Unknown {
            name: name.to_string(),
            known: EMBEDDED.map(|(n, _)| n).join(", "),
        })
    }

    fn from_path(p: &Path) -> Result<Theme, ThemeError> {
        let origin = p.display().to_string();
        let text = std::fs::read_to_string(p).map_err(|e| ThemeError::Invalid {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        Theme::parse(&text, &origin)
    }

    /// `NO_COLOR`: drop every color, keep modifiers; the selection stays reversed.
    pub fn without_color(mut self) -> Theme {
        for s in [
            &mut self.pass,
            &mut self.fail,
            &mut self.error,
            &mut self.unreachable,
            &mut self.timeout,
            &mut self.muted,
            &mut self.accent,
            &mut self.selection,
            &mut self.border,
        ] {
            s.fg = None;
            s.bg = None;
        }
        self.selection = self.selection.add_modifier(Modifier::REVERSED);
        self.fail = self.fail.add_modifier(Modifier::BOLD);
        self
    }

    pub fn role(&self, role: Role) -> Style {
        match role {
            Role::Pass => self.pass,
            Role::Fail => self.fail,
            Role::Error => self.error,
            Role::Unreachable => self.unreachable,
            Role::Timeout => self.timeout,
            Role::Muted => self.muted,
            Role::Accent => self.accent,
            Role::Selection => self.selection,
            Role::Border => self.border,
        }
    }

    /// The style an outcome is shown in.
    pub fn outcome(&self, o: Outcome) -> Style {
        match o {
            Outcome::Pass => self.pass,
            Outcome::Fail => self.fail,
            Outcome::Error | Outcome::SudoDenied => self.error,
            Outcome::Unreachable => self.unreachable,
            Outcome::Timeout => self.timeout,
            Outcome::NotApplicable => self.muted,
        }
    }
}

/// `<XDG config>/driftscope/themes`, if the platform has a config dir.
pub fn user_theme_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "driftscope").map(|d| d.config_dir().join("themes"))
}

/// Whether `NO_COLOR` asks for no colors (set and non-empty, per no-color.org).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Names offered by `:theme` completion: embedded ones plus user theme files.
pub fn theme_names(user_dir: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = EMBEDDED.iter().map(|(n, _)| n.to_string()).collect();
    if let Some(dir) = user_dir
        && let Ok(rd) = std::fs::read_dir(dir)
    {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml")
                && let Some(stem) = p.file_stem().and_then(|s| s.to_str())
                && !names.iter().any(|n| n == stem)
            {
                names.push(stem.to_string());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_theme_parses_and_sets_every_role() {
        for (name, text) in EMBEDDED {
            let t = Theme::parse(text, name).unwrap();
            assert_eq!(t.name, name);
            let file: ThemeFile = toml::from_str(text).unwrap();
            for role in ROLE_NAMES {
                assert!(file.roles.contains_key(role), "{name} lacks role {role}");
            }
        }
    }

    #[test]
    fn bad_color_names_the_role_and_file() {
        let e = Theme::parse("[roles]\nfail = { fg = \"reddish\" }", "x.toml").unwrap_err();
        assert!(e.to_string().contains("x.toml: role fail"), "{e}");
    }

    #[test]
    fn unknown_role_is_an_error() {
        let e = Theme::parse("[roles]\nfial = { fg = \"red\" }", "x.toml").unwrap_err();
        assert!(e.to_string().contains("unknown role \"fial\""), "{e}");
    }

    #[test]
    fn resolve_by_name_path_and_unknown() {
        assert_eq!(Theme::resolve(Some("light"), None).unwrap().name, "light");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mine.toml");
        std::fs::write(&p, "name = \"mine\"\n[roles]\npass = { fg = \"blue\" }\n").unwrap();
        let t = Theme::resolve(p.to_str(), None).unwrap();
        assert_eq!(t.pass.fg, Some(Color::Blue));
        // user dir overrides by name
        let t = Theme::resolve(Some("mine"), Some(dir.path())).unwrap();
        assert_eq!(t.name, "mine");
        let e = Theme::resolve(Some("nope"), None).unwrap_err();
        assert!(e.to_string().contains("default, light, high-contrast"));
    }

    #[test]
    fn no_color_strips_colors_keeps_selection_visible() {
        let t = Theme::default_theme().without_color();
        assert_eq!(t.pass.fg, None);
        assert_eq!(t.selection.bg, None);
        assert!(t.selection.add_modifier.contains(Modifier::REVERSED));
    }
}
