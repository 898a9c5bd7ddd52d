//! Input: a key maps through the keymap of the current mode to an [`Action`]; movement goes
//! to the focused component, everything else changes the app (mode, focus, scope) or asks
//! for an effect. `:` commands are parsed by [`crate::tui::command`] and applied here.

use super::{App, Effect, Focus, Screen};
use crate::tui::command::{self, Command};
use crate::tui::components::drift::Grouping;
use crate::tui::keymap::{Action, InputMode};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        if let Some(a) = self.keymap.action(self.mode, &key) {
            self.on_action(a, fx);
            return;
        }
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        if let (KeyCode::Char(c), true) = (key.code, plain) {
            match self.mode {
                InputMode::Filter if self.screen == Screen::Runs => self.runs.push_filter(c),
                InputMode::Filter => self.table.push_filter(c),
                InputMode::Command => self.prompt.push(c),
                InputMode::Ack => self.ack.push(c),
                InputMode::Normal | InputMode::Help => {}
            }
        }
    }

    /// Movement goes to the overlay or the focused pane.
    fn move_focused(&mut self, a: Action) -> bool {
        let page = self.table.page();
        if self.mode == InputMode::Help {
            return self.help.handle(a, page);
        }
        let normal = self.mode == InputMode::Normal;
        match self.screen {
            Screen::Drift => return normal && self.drift.handle(a, &self.theme),
            Screen::Runs => return self.mode != InputMode::Command && self.runs.handle(a),
            Screen::Diff => return normal && self.diff.handle(a, &self.theme),
            Screen::Compare => return normal && self.compare.handle(a),
            Screen::Live | Screen::PastRun => {}
        }
        match self.focus {
            Focus::Hosts => {
                let moved = self.hosts.handle(a, page);
                if moved {
                    self.table.scope_changed();
                }
                moved
            }
            Focus::Categories => {
                let moved = self.categories.handle(a, page);
                if moved {
                    self.table.scope_changed();
                }
                moved
            }
            Focus::Detail => self.detail.handle(a, page),
            Focus::Table => {
                let moved = self.table.handle(a);
                if moved {
                    self.detail.scroll = 0;
                }
                moved
            }
        }
    }

    pub(super) fn set_detail_open(&mut self, open: bool) {
        self.detail.open = open;
        if open {
            self.detail.scroll = 0;
        } else if self.focus == Focus::Detail {
            self.focus = Focus::Table;
        }
        self.resized();
    }

    pub(super) fn on_action(&mut self, a: Action, fx: &mut Vec<Effect>) {
        if self.mode == InputMode::Ack {
            self.on_ack_action(a, fx);
            return;
        }
        if self.move_focused(a) {
            return;
        }
        if self.on_screen_action(a, fx) {
            return;
        }
        if self.screen == Screen::Runs && self.mode == InputMode::Filter {
            match a {
                Action::Accept => self.mode = InputMode::Normal,
                Action::Cancel => {
                    self.runs.filter.clear();
                    self.mode = InputMode::Normal;
                }
                Action::DeleteChar => self.runs.pop_filter(),
                _ => {}
            }
            if a != Action::Interrupt {
                return;
            }
        }
        if self.screen == Screen::Drift && self.mode == InputMode::Normal {
            match a {
                Action::Open => {
                    if let Some((host, key)) = self.drift.selected(&self.theme) {
                        self.reveal(&host, &key);
                    }
                    return;
                }
                Action::Back => {
                    self.screen = Screen::Live;
                    return;
                }
                Action::CycleSort => {
                    self.drift.grouping = self.drift.grouping.next();
                    self.drift.cursor = 0;
                    self.status = format!("drift: grouped by {}", self.drift.grouping.label());
                    return;
                }
                Action::Mark
                | Action::Recheck
                | Action::FailuresOnly
                | Action::Filter
                | Action::FocusNext
                | Action::FocusPrev
                | Action::OpenSop => return, // live-screen keys
                _ => {}
            }
        }
        match a {
            // movements the focused pane did not take
            Action::Down
            | Action::Up
            | Action::PageDown
            | Action::PageUp
            | Action::Top
            | Action::Bottom => {}
            Action::FocusNext | Action::FocusPrev => {
                let mut order = vec![Focus::Hosts, Focus::Categories, Focus::Table];
                if self.detail.open {
                    order.push(Focus::Detail);
                }
                let i = order.iter().position(|f| *f == self.focus).unwrap_or(2);
                let n = order.len();
                let j = if a == Action::FocusNext {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.focus = order[j];
            }
            Action::Open => match self.focus {
                Focus::Table | Focus::Detail => {
                    if self.selected().is_some() {
                        self.set_detail_open(true);
                    }
                }
                Focus::Hosts | Focus::Categories => self.focus = Focus::Table,
            },
            Action::Back => match self.mode {
                InputMode::Help => self.mode = InputMode::Normal,
                _ if self.detail.open => self.set_detail_open(false),
                _ if self.table.clear_filter() => self.status = "filter cleared".into(),
                _ if !self.table.marks.is_empty() => {
                    self.table.marks.clear();
                    self.status = "marks cleared".into();
                }
                _ => {}
            },
            Action::Mark => self.table.toggle_mark(),
            Action::Acknowledge => self.open_ack_prompt(),
            Action::Drift => {
                self.close_past_run();
                self.open_drift(fx);
            }
            Action::Runs => {
                self.close_past_run();
                self.open_runs(fx);
            }
            Action::OpenSop => match self.table.selected_record() {
                Some(rec) => match self.sops.markdown(&rec) {
                    Ok(md) => fx.push(Effect::Pager(md)),
                    Err(why) => self.status = why,
                },
                None => self.status = "no row selected".into(),
            },
            Action::Recheck => self.recheck(fx),
            Action::Rerun => self.rerun(fx),
            Action::FailuresOnly => {
                self.table.failures_only = !self.table.failures_only;
                self.status = if self.table.failures_only {
                    "failures only"
                } else {
                    "all results"
                }
                .into();
                self.table.scope_changed();
            }
            Action::CycleSort => {
                self.table.sort = self.table.sort.next();
                self.status = format!("sort: {}", self.table.sort.label());
                self.table.resort();
            }
            Action::Filter => {
                self.mode = InputMode::Filter;
                self.focus = Focus::Table;
            }
            Action::Command => {
                self.mode = InputMode::Command;
                self.prompt.clear();
            }
            Action::Help => {
                self.mode = InputMode::Help;
                self.help.scroll = 0;
            }
            Action::Interrupt => match &mut self.header.run {
                Some(r) if r.running() && !r.cancel_requested => {
                    r.cancel_requested = true;
                    self.status = "cancelling the run… (ctrl-c again quits)".into();
                    fx.push(Effect::CancelRun);
                }
                _ => self.do_quit(fx),
            },
            Action::Quit => self.do_quit(fx),
            Action::Accept => match self.mode {
                InputMode::Filter => self.mode = InputMode::Normal,
                InputMode::Command => {
                    self.mode = InputMode::Normal;
                    let line = self.prompt.take();
                    match command::parse(&line) {
                        Ok(c) => self.run_command(c, fx),
                        Err(e) => self.status = e,
                    }
                }
                _ => {}
            },
            Action::Cancel => {
                if self.mode == InputMode::Filter {
                    self.table.clear_filter();
                }
                self.mode = InputMode::Normal;
                self.prompt.clear();
            }
            Action::Complete => {
                if self.mode == InputMode::Command {
                    let hosts = self.hosts.current_hosts();
                    let envs: Vec<String> =
                        self.hosts.envs.iter().map(|e| e.name.clone()).collect();
                    let cats: Vec<String> = self.categories.names.iter().cloned().collect();
                    let themes = self.theme_names.clone();
                    let args = move |cmd: &str| match cmd {
                        "env" => envs.clone(),
                        "host" => hosts.clone(),
                        "cat" | "category" => cats.clone(),
                        "theme" => themes.clone(),
                        _ => Vec::new(),
                    };
                    self.prompt.complete(&args);
                }
            }
            Action::DeleteChar => match self.mode {
                InputMode::Filter => self.table.pop_filter(),
                InputMode::Command if !self.prompt.pop() => self.mode = InputMode::Normal,
                _ => {}
            },
        }
    }

    pub(super) fn do_quit(&mut self, fx: &mut Vec<Effect>) {
        self.quit = true;
        if self.running() {
            fx.push(Effect::CancelRun);
        }
        fx.push(Effect::Quit);
    }

    fn run_command(&mut self, c: Command, fx: &mut Vec<Effect>) {
        match c {
            Command::Env(name) => {
                if self.hosts.focus_env(&name) {
                    self.status = format!("environment {name}");
                    self.table.scope_changed();
                } else {
                    self.status = format!("no environment {name:?}");
                }
            }
            Command::Host(None) => {
                self.hosts.focus_all_hosts();
                self.status = "all hosts".into();
                self.table.scope_changed();
            }
            Command::Host(Some(name)) => {
                if self.hosts.focus_host(&name) {
                    self.status = format!("host {name}");
                    self.table.scope_changed();
                } else {
                    self.status = format!("no host {name:?}");
                }
            }
            Command::Cat(name) => {
                if self.categories.select(name.as_deref()) {
                    self.status = match &name {
                        None => "all categories".into(),
                        Some(n) => format!("category {n}"),
                    };
                    self.table.scope_changed();
                } else {
                    self.status = format!("no category {:?}", name.unwrap_or_default());
                }
            }
            Command::Run => self.on_action(Action::Rerun, fx),
            Command::Recheck => self.on_action(Action::Recheck, fx),
            Command::Failures => self.on_action(Action::FailuresOnly, fx),
            Command::Theme(name) => fx.push(Effect::LoadTheme(name)),
            Command::Drift(by) => {
                if let Some(by) = by {
                    match Grouping::parse(&by) {
                        Some(g) => self.drift.grouping = g,
                        None => {
                            self.status =
                                format!(":drift groups by host, check or category, not {by:?}");
                            return;
                        }
                    }
                }
                self.close_past_run();
                self.open_drift(fx);
            }
            Command::History => {
                self.close_past_run();
                self.open_runs(fx);
            }
            Command::Diff(a, b) => {
                self.close_past_run();
                self.open_diff(&a, &b, fx);
            }
            Command::Compare(other) => {
                self.close_past_run();
                self.open_compare(&other, fx);
            }
            Command::Quit => self.do_quit(fx),
        }
    }
}
