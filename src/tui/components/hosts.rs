//! Hosts pane (left, top): environments → hosts tree with per-host counts and connection
//! state. Owns the tree, its cursor, the expanded environment, and each host's phase and
//! tally. The cursor narrows the results table (on an environment: that environment; on a
//! host: that host).

use super::{
    Tally, TallyBook, cursor_style, justify, pane_block, step, styled, tally_spans, window,
};
use crate::model::{HostPhase, Outcome};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::collections::HashMap;

/// One environment of the hosts tree.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvEntry {
    pub name: String,
    pub hosts: Vec<String>,
}

/// An item of the hosts pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeItem {
    Env(usize),
    Host(usize, usize),
}

/// The hosts pane's state.
#[derive(Debug, Clone, Default)]
pub struct HostsPane {
    pub envs: Vec<EnvEntry>,
    pub cursor: usize,
    /// The environment expanded (the one the table shows).
    pub expanded_env: usize,
    /// Connection state per (environment, host) of the current run.
    pub phase: HashMap<(String, String), HostPhase>,
    tally: TallyBook,
}

impl HostsPane {
    pub fn new(envs: Vec<EnvEntry>) -> HostsPane {
        HostsPane {
            envs,
            ..Default::default()
        }
    }

    /// Items of the pane: every environment, the current one expanded.
    pub fn items(&self) -> Vec<TreeItem> {
        let current = self.current_env_index();
        let mut items = Vec::new();
        for (i, e) in self.envs.iter().enumerate() {
            items.push(TreeItem::Env(i));
            if Some(i) == current {
                items.extend((0..e.hosts.len()).map(|h| TreeItem::Host(i, h)));
            }
        }
        items
    }

    pub fn current_env_index(&self) -> Option<usize> {
        (self.expanded_env < self.envs.len()).then_some(self.expanded_env)
    }

    /// The environment shown (the one the cursor is in).
    pub fn current_env(&self) -> Option<&str> {
        self.current_env_index().map(|i| self.envs[i].name.as_str())
    }

    /// The host the cursor is on, if any.
    pub fn current_host(&self) -> Option<&str> {
        match self.items().get(self.cursor) {
            Some(TreeItem::Host(e, h)) => Some(self.envs[*e].hosts[*h].as_str()),
            _ => None,
        }
    }

    /// Expand environment `i` and put the cursor on `item` (in that environment).
    pub fn focus(&mut self, i: usize, item: TreeItem) {
        self.expanded_env = i;
        self.cursor = self.items().iter().position(|t| *t == item).unwrap_or(0);
    }

    /// Put the cursor on environment `name`; false when there is none.
    pub fn focus_env(&mut self, name: &str) -> bool {
        match self.envs.iter().position(|e| e.name == name) {
            Some(i) => {
                self.focus(i, TreeItem::Env(i));
                true
            }
            None => false,
        }
    }

    /// Put the cursor on host `name` (preferring the current environment); false when no
    /// environment has it.
    pub fn focus_host(&mut self, name: &str) -> bool {
        let current = self.current_env_index();
        let found = self
            .envs
            .iter()
            .enumerate()
            .filter_map(|(e, env)| env.hosts.iter().position(|h| *h == name).map(|h| (e, h)))
            .min_by_key(|(e, _)| Some(*e) != current);
        match found {
            Some((e, h)) => {
                self.focus(e, TreeItem::Host(e, h));
                true
            }
            None => false,
        }
    }

    /// Back to the whole current environment.
    pub fn focus_all_hosts(&mut self) {
        if let Some(i) = self.current_env_index() {
            self.focus(i, TreeItem::Env(i));
        }
    }

    /// Hosts of the current environment (completion of `:host`).
    pub fn current_hosts(&self) -> Vec<String> {
        self.current_env_index()
            .map(|i| self.envs[i].hosts.clone())
            .unwrap_or_default()
    }

    /// Move the cursor; `true` when it moved to another scope. When it lands on another
    /// environment, that one is expanded.
    pub fn handle(&mut self, action: Action, page: usize) -> bool {
        let Some(delta) = movement(action, page) else {
            return false;
        };
        let n = self.items().len();
        self.cursor = step(self.cursor, delta, n);
        if let Some(TreeItem::Env(i)) = self.items().get(self.cursor).copied()
            && i != self.expanded_env
        {
            self.focus(i, TreeItem::Env(i));
        }
        true
    }

    pub fn tally(&self, env: &str, host: &str) -> Tally {
        self.tally.get(env, host)
    }

    /// A result for `host` arrived (replacing one with outcome `old`); the first result of a
    /// host the tree does not list adds it.
    pub fn record(&mut self, env: &str, host: &str, old: Option<Outcome>, new: Outcome) {
        if !self.tally.contains(env, host) {
            match self.envs.iter_mut().find(|e| e.name == env) {
                Some(e) if !e.hosts.iter().any(|h| h == host) => e.hosts.push(host.to_string()),
                Some(_) => {}
                None => self.envs.push(EnvEntry {
                    name: env.to_string(),
                    hosts: vec![host.to_string()],
                }),
            }
        }
        self.tally.record(env, host, old, new);
    }

    /// A host's connection state changed; `true` when it just reached a final state.
    pub fn set_phase(&mut self, env: &str, host: String, phase: HostPhase) -> bool {
        let key = (env.to_string(), host);
        let terminal = |p: &HostPhase| matches!(p, HostPhase::Done | HostPhase::Failed(_));
        let was_terminal = self.phase.get(&key).is_some_and(terminal);
        let now_terminal = terminal(&phase);
        self.phase.insert(key, phase);
        now_terminal && !was_terminal
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme, focused: bool) {
        let block = pane_block("Hosts", focused, t);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let items = self.items();
        let height = inner.height as usize;
        let width = inner.width as usize;
        let start = window(self.cursor, items.len(), height);
        let mut lines = Vec::new();
        for (i, item) in items.iter().enumerate().skip(start).take(height) {
            let line = match *item {
                TreeItem::Env(e) => {
                    let env = &self.envs[e];
                    let tally = env.hosts.iter().fold(Tally::default(), |acc, h| {
                        acc.plus(self.tally(&env.name, h))
                    });
                    let arrow = if Some(env.name.as_str()) == self.current_env() {
                        "▾ "
                    } else {
                        "▸ "
                    };
                    justify(
                        vec![styled(arrow, t.muted), styled(env.name.clone(), t.accent)],
                        tally_spans(tally, t),
                        width,
                    )
                }
                TreeItem::Host(e, h) => {
                    let env = &self.envs[e];
                    let name = &env.hosts[h];
                    let key = (env.name.clone(), name.clone());
                    let tally = self.tally(&env.name, name);
                    let phase = self.phase.get(&key);
                    let (icon, note) = phase_span(phase, tally, t);
                    let mut left = vec![
                        Span::raw("  "),
                        icon,
                        Span::raw(" "),
                        Span::raw(name.clone()),
                    ];
                    let right = match note {
                        Some(n)
                            if tally.total() == 0
                                || matches!(phase, Some(HostPhase::Failed(_))) =>
                        {
                            left.push(styled(format!(" {n}"), t.muted));
                            if tally.total() == 0 {
                                vec![]
                            } else {
                                tally_spans(tally, t)
                            }
                        }
                        _ => tally_spans(tally, t),
                    };
                    justify(left, right, width)
                }
            };
            lines.push(cursor_style(line, i == self.cursor, focused, t));
        }
        if items.is_empty() {
            lines.push(Line::from(styled("no environments loaded", t.muted)));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// How far a movement action moves a cursor (`None`: not a movement).
pub fn movement(action: Action, page: usize) -> Option<isize> {
    Some(match action {
        Action::Down => 1,
        Action::Up => -1,
        Action::PageDown => page as isize,
        Action::PageUp => -(page as isize),
        Action::Top => isize::MIN / 2,
        Action::Bottom => isize::MAX / 2,
        _ => return None,
    })
}

fn phase_span(
    phase: Option<&HostPhase>,
    tally: Tally,
    t: &Theme,
) -> (Span<'static>, Option<String>) {
    match phase {
        None => (styled("·", t.muted), None),
        Some(HostPhase::Queued) => (styled("·", t.muted), Some("queued".into())),
        Some(HostPhase::Connecting) => (styled("◌", t.accent), Some("connecting".into())),
        Some(HostPhase::Probing) => (styled("◐", t.accent), Some("probing".into())),
        Some(HostPhase::Done) => {
            let style = if tally.fail > 0 {
                t.fail
            } else if tally.problem > 0 {
                t.error
            } else {
                t.pass
            };
            (styled("●", style), None)
        }
        Some(HostPhase::Failed(reason)) => (styled("✗", t.unreachable), Some(reason.clone())),
    }
}
