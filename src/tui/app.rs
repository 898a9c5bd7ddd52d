//! The TUI state ([`App`]) and its reducer: every change goes through [`App::update`], which
//! takes a [`Msg`] (a key, an executor event, a clock tick …) and returns the [`Effect`]s the
//! event loop must perform (start or cancel a run, load a theme, quit). No IO happens here,
//! so every behaviour is testable without a terminal.

use super::command::{self, Command};
use super::keymap::{Action, InputMode, Keymap};
use super::rows::{ResultSet, RowId, SortOrder, ViewFilter, is_failure};
use super::theme::Theme;
use crate::config::Selection;
use crate::exec::Event;
use crate::model::{ExecKey, HostPhase, Outcome, OutcomeCounts, ProbeTarget, Scope};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

/// Everything the reducer reacts to.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key press (mapped through the keymap of the current mode).
    Key(KeyEvent),
    /// A bound action, as if its key had been pressed.
    Action(Action),
    /// Start the first run (sent once by the event loop).
    Start,
    /// An executor event of the current run.
    Exec(Event),
    /// The probe targets of the run being started, for the detail pane.
    Planned(Vec<(String, ExecKey, ProbeTarget)>),
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
}

/// What the event loop must do after an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    StartRun(RunRequest),
    CancelRun,
    LoadTheme(String),
}

/// A run to start: what to plan, and (for re-checks) which keys to keep.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRequest {
    pub selection: Selection,
    /// `(host, key)` pairs to keep after planning; `None` = the whole selection.
    pub only: Option<Vec<(String, ExecKey)>>,
}

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Hosts,
    Categories,
    Table,
    Detail,
}

/// Per-host or per-category counts (decremented when a re-check replaces a result).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub pass: u32,
    pub fail: u32,
    pub problem: u32,
    pub other: u32,
}

impl Tally {
    fn slot(&mut self, o: Outcome) -> &mut u32 {
        match o {
            Outcome::Pass => &mut self.pass,
            Outcome::Fail => &mut self.fail,
            Outcome::NotApplicable => &mut self.other,
            _ => &mut self.problem,
        }
    }
    pub fn add(&mut self, o: Outcome) {
        *self.slot(o) += 1;
    }
    pub fn remove(&mut self, o: Outcome) {
        let s = self.slot(o);
        *s = s.saturating_sub(1);
    }
    pub fn total(&self) -> u32 {
        self.pass + self.fail + self.problem + self.other
    }
}

/// Progress of the current (or last) run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStatus {
    pub run_id: String,
    pub scope: Scope,
    pub started: Instant,
    pub ended: Option<Instant>,
    pub hosts_total: usize,
    pub hosts_done: usize,
    pub executions: usize,
    pub results: u64,
    pub counts: OutcomeCounts,
    pub cancel_requested: bool,
    pub cancelled: bool,
}

impl RunStatus {
    pub fn running(&self) -> bool {
        self.ended.is_none()
    }
    pub fn elapsed(&self, now: Instant) -> Duration {
        self.ended
            .unwrap_or(now)
            .saturating_duration_since(self.started)
    }
}

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

/// The whole TUI state.
pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    pub theme_names: Vec<String>,
    /// Shown in the header: the history DB path, or "no history".
    pub db_label: String,
    pub envs: Vec<EnvEntry>,
    /// Categories known from the checks (results may add more).
    pub categories: BTreeSet<String>,
    pub initial: Selection,
    pub results: ResultSet,
    /// Filtered, sorted row ids (rebuilt by [`App::settle`]).
    pub view: Vec<RowId>,
    view_dirty: bool,
    /// Rows added / replaced since the last settle (merged in without a full rebuild).
    fresh: Vec<RowId>,
    touched: Vec<RowId>,
    pub cursor: usize,
    pub offset: usize,
    pub marks: HashSet<RowId>,
    pub focus: Focus,
    pub tree_cursor: usize,
    /// The environment expanded in the hosts pane (the one the table shows).
    pub expanded_env: usize,
    /// 0 = all categories, else index+1 into the category list.
    pub cat_cursor: usize,
    pub failures_only: bool,
    pub sort: SortOrder,
    pub mode: InputMode,
    pub filter: String,
    pub command_line: String,
    pub completions: Vec<String>,
    completion_presses: usize,
    pub detail_open: bool,
    pub detail_scroll: u16,
    pub help_scroll: u16,
    pub status: String,
    pub run: Option<RunStatus>,
    run_pending: bool,
    pub host_phase: HashMap<(String, String), HostPhase>,
    pub host_tally: HashMap<(String, String), Tally>,
    pub cat_tally: HashMap<(String, String), Tally>,
    pub probes: HashMap<(String, ExecKey), ProbeTarget>,
    pub now: Instant,
    pub size: (u16, u16),
    pub quit: bool,
    /// Set when something visible changed since the last draw.
    pub dirty: bool,
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
            db_label,
            envs,
            categories,
            initial,
            results: ResultSet::default(),
            view: Vec::new(),
            view_dirty: true,
            fresh: Vec::new(),
            touched: Vec::new(),
            cursor: 0,
            offset: 0,
            marks: HashSet::new(),
            focus: Focus::Table,
            tree_cursor: 0,
            expanded_env: 0,
            cat_cursor: 0,
            failures_only: false,
            sort: SortOrder::default(),
            mode: InputMode::Normal,
            filter: String::new(),
            command_line: String::new(),
            completions: Vec::new(),
            completion_presses: 0,
            detail_open: false,
            detail_scroll: 0,
            help_scroll: 0,
            status: String::new(),
            run: None,
            run_pending: false,
            host_phase: HashMap::new(),
            host_tally: HashMap::new(),
            cat_tally: HashMap::new(),
            probes: HashMap::new(),
            now,
            size: (120, 40),
            quit: false,
            dirty: true,
        };
        if let Some(env) = &app.initial.environment
            && let Some(i) = app.envs.iter().position(|e| &e.name == env)
        {
            app.focus_tree(i, TreeItem::Env(i));
        }
        app
    }

    // ---- derived state (read by draw) -------------------------------------------------

    /// Items of the hosts pane: every environment, the current one expanded.
    pub fn tree_items(&self) -> Vec<TreeItem> {
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

    fn current_env_index(&self) -> Option<usize> {
        (self.expanded_env < self.envs.len()).then_some(self.expanded_env)
    }

    fn tree_position(&self, item: TreeItem) -> usize {
        self.tree_items()
            .iter()
            .position(|t| *t == item)
            .unwrap_or(0)
    }

    /// Expand environment `i` and put the hosts cursor on `item` (in that environment).
    fn focus_tree(&mut self, i: usize, item: TreeItem) {
        self.expanded_env = i;
        self.tree_cursor = self.tree_position(item);
    }

    /// The environment shown (the one the hosts cursor is in).
    pub fn current_env(&self) -> Option<&str> {
        self.current_env_index().map(|i| self.envs[i].name.as_str())
    }

    /// The host the hosts cursor is on, if any.
    pub fn current_host(&self) -> Option<&str> {
        match self.tree_items().get(self.tree_cursor) {
            Some(TreeItem::Host(e, h)) => Some(self.envs[*e].hosts[*h].as_str()),
            _ => None,
        }
    }

    /// Category names in the categories pane (after "all").
    pub fn category_list(&self) -> Vec<&String> {
        self.categories.iter().collect()
    }

    pub fn current_category(&self) -> Option<&str> {
        if self.cat_cursor == 0 {
            None
        } else {
            self.categories
                .iter()
                .nth(self.cat_cursor - 1)
                .map(String::as_str)
        }
    }

    pub fn view_filter(&self) -> ViewFilter {
        ViewFilter {
            environment: self.current_env().map(str::to_string),
            host: self.current_host().map(str::to_string),
            category: self.current_category().map(str::to_string),
            failures_only: self.failures_only,
            pattern: self.filter.clone(),
        }
    }

    /// The row under the table cursor.
    pub fn selected(&self) -> Option<RowId> {
        self.view.get(self.cursor).copied()
    }

    /// Rows of the results table that fit on screen (header and borders excluded).
    pub fn table_height(&self) -> usize {
        super::ui::table_rows(self.size.0, self.size.1, self.detail_open).max(1)
    }

    fn page(&self) -> usize {
        self.table_height().saturating_sub(1).max(1)
    }

    /// Tally of a host in the current env.
    pub fn host_tally(&self, env: &str, host: &str) -> Tally {
        self.host_tally
            .get(&(env.to_string(), host.to_string()))
            .copied()
            .unwrap_or_default()
    }

    pub fn cat_tally(&self, env: &str, cat: &str) -> Tally {
        self.cat_tally
            .get(&(env.to_string(), cat.to_string()))
            .copied()
            .unwrap_or_default()
    }

    pub fn running(&self) -> bool {
        self.run.as_ref().is_some_and(RunStatus::running)
    }

    // ---- the reducer ------------------------------------------------------------------

    /// Apply one message. The view is rebuilt lazily by [`App::settle`].
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut fx = Vec::new();
        match msg {
            Msg::Tick(now) => {
                self.now = now;
                if self.running() {
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
            Msg::Planned(targets) => {
                for (host, key, t) in targets {
                    self.probes.insert((host, key), t);
                }
                return fx;
            }
            Msg::RunRejected(why) => {
                self.run_pending = false;
                self.status = why;
            }
            Msg::ThemeLoaded(t) => {
                self.status = format!("theme {}", t.name);
                self.theme = t;
            }
            Msg::Status(s) => self.status = s,
            Msg::Resize(w, h) => self.size = (w, h),
        }
        self.dirty = true;
        fx
    }

    /// Rebuild the view if needed and keep the cursor on its row and on screen. The event
    /// loop calls this once per burst of messages, before drawing.
    pub fn settle(&mut self) {
        /// Above this many replaced rows a full rebuild is cheaper than moving each one.
        const MAX_MOVES: usize = 64;
        let keep = if self.cursor == 0 {
            None
        } else {
            self.selected()
        };
        let changed = self.view_dirty || !self.fresh.is_empty() || !self.touched.is_empty();
        if self.view_dirty || self.touched.len() > MAX_MOVES {
            self.results.set_pattern(&self.filter);
            self.view = self.results.view(&self.view_filter(), self.sort);
        } else if changed {
            let f = self.view_filter();
            if !self.touched.is_empty() {
                let moved: HashSet<RowId> = self.touched.iter().copied().collect();
                self.view.retain(|id| !moved.contains(id));
            }
            let mut seen = HashSet::new();
            let mut add: Vec<RowId> = self
                .fresh
                .drain(..)
                .chain(self.touched.iter().copied())
                .filter(|id| seen.insert(*id))
                .collect();
            add.retain(|id| self.results.keeps(*id, &f));
            if !add.is_empty() {
                self.view = self.results.merge_into(&self.view, add, self.sort);
            }
        }
        self.fresh.clear();
        self.touched.clear();
        self.view_dirty = false;
        if changed
            && let Some(id) = keep
            && let Some(pos) = self.view.iter().position(|r| *r == id)
        {
            self.cursor = pos;
        }
        self.cursor = self.cursor.min(self.view.len().saturating_sub(1));
        let h = self.table_height();
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + h {
            self.offset = self.cursor + 1 - h;
        }
        self.offset = self.offset.min(self.view.len().saturating_sub(h));
    }

    fn on_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        if let Some(a) = self.keymap.action(self.mode, &key) {
            self.on_action(a, fx);
            return;
        }
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        if let (KeyCode::Char(c), true) = (key.code, plain) {
            match self.mode {
                InputMode::Filter => {
                    self.filter.push(c);
                    self.filter_changed();
                }
                InputMode::Command => {
                    self.command_line.push(c);
                    self.completions.clear();
                    self.completion_presses = 0;
                }
                InputMode::Normal | InputMode::Help => {}
            }
        }
    }

    fn filter_changed(&mut self) {
        self.view_dirty = true;
        self.cursor = 0;
        self.offset = 0;
    }

    fn scope_changed(&mut self) {
        self.view_dirty = true;
        self.cursor = 0;
        self.offset = 0;
    }

    fn move_by(&mut self, delta: isize) {
        match (self.mode, self.focus) {
            (InputMode::Help, _) => {
                self.help_scroll = (self.help_scroll as isize + delta).max(0) as u16;
            }
            (_, Focus::Hosts) => {
                let n = self.tree_items().len();
                self.tree_cursor = step(self.tree_cursor, delta, n);
                self.follow_env();
                self.scope_changed();
            }
            (_, Focus::Categories) => {
                let n = self.categories.len() + 1;
                self.cat_cursor = step(self.cat_cursor, delta, n);
                self.scope_changed();
            }
            (_, Focus::Detail) => {
                self.detail_scroll = (self.detail_scroll as isize + delta).max(0) as u16;
            }
            (_, Focus::Table) => {
                self.cursor = step(self.cursor, delta, self.view.len());
                self.detail_scroll = 0;
            }
        }
    }

    /// When the cursor moves onto another environment, expand that one.
    fn follow_env(&mut self) {
        if let Some(TreeItem::Env(i)) = self.tree_items().get(self.tree_cursor).copied()
            && i != self.expanded_env
        {
            self.focus_tree(i, TreeItem::Env(i));
        }
    }

    fn on_action(&mut self, a: Action, fx: &mut Vec<Effect>) {
        match a {
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::PageDown => self.move_by(self.page() as isize),
            Action::PageUp => self.move_by(-(self.page() as isize)),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::FocusNext | Action::FocusPrev => {
                let mut order = vec![Focus::Hosts, Focus::Categories, Focus::Table];
                if self.detail_open {
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
                        self.detail_open = true;
                        self.detail_scroll = 0;
                    }
                }
                Focus::Hosts | Focus::Categories => self.focus = Focus::Table,
            },
            Action::Back => match self.mode {
                InputMode::Help => self.mode = InputMode::Normal,
                _ if self.detail_open => {
                    self.detail_open = false;
                    if self.focus == Focus::Detail {
                        self.focus = Focus::Table;
                    }
                }
                _ if !self.filter.is_empty() => {
                    self.filter.clear();
                    self.filter_changed();
                    self.status = "filter cleared".into();
                }
                _ if !self.marks.is_empty() => {
                    self.marks.clear();
                    self.status = "marks cleared".into();
                }
                _ => {}
            },
            Action::Mark => {
                if let Some(id) = self.selected() {
                    if !self.marks.remove(&id) {
                        self.marks.insert(id);
                    }
                    self.cursor = step(self.cursor, 1, self.view.len());
                }
            }
            Action::Recheck => self.recheck(fx),
            Action::Rerun => {
                let selection = Selection {
                    environment: self.current_env().map(str::to_string),
                    hosts: self
                        .current_host()
                        .map(str::to_string)
                        .into_iter()
                        .collect(),
                    categories: self
                        .current_category()
                        .map(str::to_string)
                        .into_iter()
                        .collect(),
                    checks: Vec::new(),
                };
                self.request_run(
                    RunRequest {
                        selection,
                        only: None,
                    },
                    fx,
                );
            }
            Action::FailuresOnly => {
                self.failures_only = !self.failures_only;
                self.status = if self.failures_only {
                    "failures only"
                } else {
                    "all results"
                }
                .into();
                self.scope_changed();
            }
            Action::CycleSort => {
                self.sort = self.sort.next();
                self.status = format!("sort: {}", self.sort.label());
                self.view_dirty = true;
            }
            Action::Filter => {
                self.mode = InputMode::Filter;
                self.focus = Focus::Table;
            }
            Action::Command => {
                self.mode = InputMode::Command;
                self.command_line.clear();
                self.completions.clear();
            }
            Action::Help => {
                self.mode = InputMode::Help;
                self.help_scroll = 0;
            }
            Action::Interrupt => match &mut self.run {
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
                    let line = std::mem::take(&mut self.command_line);
                    self.completions.clear();
                    match command::parse(&line) {
                        Ok(c) => self.run_command(c, fx),
                        Err(e) => self.status = e,
                    }
                }
                _ => {}
            },
            Action::Cancel => {
                if self.mode == InputMode::Filter && !self.filter.is_empty() {
                    self.filter.clear();
                    self.filter_changed();
                }
                self.mode = InputMode::Normal;
                self.command_line.clear();
                self.completions.clear();
            }
            Action::Complete => {
                if self.mode == InputMode::Command {
                    let args = |cmd: &str| self.completion_args(cmd);
                    let c = command::complete(&self.command_line, &args, self.completion_presses);
                    self.completion_presses += 1;
                    self.command_line = c.line;
                    self.completions = c.candidates;
                }
            }
            Action::DeleteChar => match self.mode {
                InputMode::Filter => {
                    self.filter.pop();
                    self.filter_changed();
                }
                InputMode::Command => {
                    if self.command_line.pop().is_none() {
                        self.mode = InputMode::Normal;
                    }
                    self.completions.clear();
                    self.completion_presses = 0;
                }
                _ => {}
            },
        }
    }

    fn do_quit(&mut self, fx: &mut Vec<Effect>) {
        self.quit = true;
        if self.running() {
            fx.push(Effect::CancelRun);
        }
        fx.push(Effect::Quit);
    }

    fn completion_args(&self, cmd: &str) -> Vec<String> {
        match cmd {
            "env" => self.envs.iter().map(|e| e.name.clone()).collect(),
            "host" => self
                .current_env_index()
                .map(|i| self.envs[i].hosts.clone())
                .unwrap_or_default(),
            "cat" | "category" => self.categories.iter().cloned().collect(),
            "theme" => self.theme_names.clone(),
            _ => Vec::new(),
        }
    }

    fn run_command(&mut self, c: Command, fx: &mut Vec<Effect>) {
        match c {
            Command::Env(name) => match self.envs.iter().position(|e| e.name == name) {
                Some(i) => {
                    self.focus_tree(i, TreeItem::Env(i));
                    self.status = format!("environment {name}");
                    self.scope_changed();
                }
                None => self.status = format!("no environment {name:?}"),
            },
            Command::Host(None) => {
                if let Some(i) = self.current_env_index() {
                    self.focus_tree(i, TreeItem::Env(i));
                }
                self.status = "all hosts".into();
                self.scope_changed();
            }
            Command::Host(Some(name)) => {
                let found = self
                    .envs
                    .iter()
                    .enumerate()
                    .filter_map(|(e, env)| {
                        env.hosts.iter().position(|h| *h == name).map(|h| (e, h))
                    })
                    .min_by_key(|(e, _)| Some(*e) != self.current_env_index());
                match found {
                    Some((e, h)) => {
                        self.focus_tree(e, TreeItem::Host(e, h));
                        self.status = format!("host {name}");
                        self.scope_changed();
                    }
                    None => self.status = format!("no host {name:?}"),
                }
            }
            Command::Cat(None) => {
                self.cat_cursor = 0;
                self.status = "all categories".into();
                self.scope_changed();
            }
            Command::Cat(Some(name)) => match self.categories.iter().position(|c| *c == name) {
                Some(i) => {
                    self.cat_cursor = i + 1;
                    self.status = format!("category {name}");
                    self.scope_changed();
                }
                None => self.status = format!("no category {name:?}"),
            },
            Command::Run => self.on_action(Action::Rerun, fx),
            Command::Recheck => self.on_action(Action::Recheck, fx),
            Command::Failures => self.on_action(Action::FailuresOnly, fx),
            Command::Theme(name) => fx.push(Effect::LoadTheme(name)),
            Command::Quit => self.do_quit(fx),
        }
    }

    fn recheck(&mut self, fx: &mut Vec<Effect>) {
        let mut ids: Vec<RowId> = self.marks.iter().copied().collect();
        if ids.is_empty() {
            ids.extend(self.selected());
        }
        ids.sort_unstable();
        let Some(first) = ids.first().and_then(|i| self.results.rows.get(*i as usize)) else {
            self.status = "nothing to re-check".into();
            return;
        };
        let env = first.rec.environment.clone();
        let mut hosts = BTreeSet::new();
        let mut checks = BTreeSet::new();
        let mut only = Vec::new();
        for id in &ids {
            let Some(row) = self.results.rows.get(*id as usize) else {
                continue;
            };
            if row.rec.environment != env {
                continue;
            }
            hosts.insert(row.rec.host.clone());
            checks.insert(row.rec.check_id.clone());
            only.push((row.rec.host.clone(), row.rec.key.clone()));
        }
        let selection = Selection {
            environment: Some(env),
            hosts: hosts.into_iter().collect(),
            categories: Vec::new(),
            checks: checks.into_iter().collect(),
        };
        if self.request_run(
            RunRequest {
                selection,
                only: Some(only),
            },
            fx,
        ) {
            self.marks.clear();
        }
    }

    fn request_run(&mut self, req: RunRequest, fx: &mut Vec<Effect>) -> bool {
        if self.running() || self.run_pending {
            self.status = "a run is in progress (ctrl-c cancels it)".into();
            return false;
        }
        if req.selection.environment.is_none() {
            self.status = "no environment to run (no inventory loaded)".into();
            return false;
        }
        self.run_pending = true;
        self.status = match &req.only {
            Some(only) => format!("re-checking {} result(s)…", only.len()),
            None => "starting run…".into(),
        };
        fx.push(Effect::StartRun(req));
        true
    }

    fn on_exec(&mut self, ev: Event) {
        match ev {
            Event::RunStarted(meta) => {
                self.run_pending = false;
                self.run = Some(RunStatus {
                    run_id: meta.id.clone(),
                    scope: meta.scope.clone(),
                    started: self.now,
                    ended: None,
                    hosts_total: meta.host_count,
                    hosts_done: 0,
                    executions: meta.execution_count,
                    results: 0,
                    counts: OutcomeCounts::default(),
                    cancel_requested: false,
                    cancelled: false,
                });
                let scope = meta.scope.describe();
                self.status = format!("running {scope}");
            }
            Event::HostState { host, phase } => {
                let Some(run) = &mut self.run else { return };
                let key = (run.scope.environment.clone(), host);
                let terminal = |p: &HostPhase| matches!(p, HostPhase::Done | HostPhase::Failed(_));
                let was_terminal = self.host_phase.get(&key).is_some_and(terminal);
                if terminal(&phase) && !was_terminal {
                    run.hosts_done = (run.hosts_done + 1).min(run.hosts_total);
                }
                self.host_phase.insert(key, phase);
            }
            Event::CheckResult(rec) => {
                let rec = *rec;
                let outcome = rec.outcome;
                if let Some(run) = &mut self.run {
                    run.results += 1;
                    run.counts.add(outcome);
                }
                if !self.categories.contains(&rec.category) {
                    self.categories.insert(rec.category.clone());
                }
                let host_key = (rec.environment.clone(), rec.host.clone());
                let cat_key = (rec.environment.clone(), rec.category.clone());
                if !self.host_tally.contains_key(&host_key) {
                    // first result of this host: make sure the tree lists it
                    match self.envs.iter_mut().find(|e| e.name == host_key.0) {
                        Some(e) if !e.hosts.contains(&host_key.1) => {
                            e.hosts.push(host_key.1.clone())
                        }
                        Some(_) => {}
                        None => self.envs.push(EnvEntry {
                            name: host_key.0.clone(),
                            hosts: vec![host_key.1.clone()],
                        }),
                    }
                }
                let (id, old) = self.results.upsert(rec);
                if !self.view_dirty {
                    match old {
                        None => self.fresh.push(id),
                        Some(_) => self.touched.push(id),
                    }
                }
                let ht = self.host_tally.entry(host_key).or_default();
                if let Some(o) = old {
                    ht.remove(o);
                }
                ht.add(outcome);
                let ct = self.cat_tally.entry(cat_key).or_default();
                if let Some(o) = old {
                    ct.remove(o);
                }
                ct.add(outcome);
            }
            Event::RunFinished {
                counts, cancelled, ..
            } => {
                self.run_pending = false;
                if let Some(run) = &mut self.run {
                    run.ended = Some(self.now);
                    run.counts = counts;
                    run.cancelled = cancelled;
                    let took = crate::model::human_duration(run.elapsed(self.now));
                    self.status = if cancelled {
                        format!("run cancelled after {took}: {}", counts.summary())
                    } else {
                        format!("run finished in {took}: {}", counts.summary())
                    };
                }
            }
        }
    }

    /// Whether the last result in a row counts as a failure (for the failures-only toggle).
    pub fn row_is_failure(&self, id: RowId) -> bool {
        self.results
            .rows
            .get(id as usize)
            .is_some_and(|r| is_failure(r.rec.outcome))
    }
}

fn step(cur: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (cur as isize)
        .saturating_add(delta)
        .clamp(0, len as isize - 1) as usize
}
