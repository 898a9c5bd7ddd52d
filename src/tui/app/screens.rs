//! The history screens besides Drift: Runs (`H`, `:history`), a past run opened read-only
//! in the live table's layout, the run-vs-run diff (mark + `enter`, `:diff A B`) and
//! `:compare ENV`. Opening one asks the history ([`Effect::Query`]); answers land here;
//! their keys are handled here before the live screen's.

use super::{App, Effect, Focus, Screen};
use crate::store::{LatestEntry, RunSummary};
use crate::tui::components::diff::DiffItem;
use crate::tui::components::table::ResultsTable;
use crate::tui::keymap::{Action, InputMode};
use crate::tui::queries::{HistoryData, HistoryProblem, HistoryQuery};

/// A past run shown read-only in the results table; the live table waits (and keeps
/// receiving the live run's results) until `esc`.
pub struct PastRun {
    pub run: RunSummary,
    pub live: ResultsTable,
}

impl App {
    /// The live results table, wherever it is while a past run is shown.
    pub(super) fn live_table(&mut self) -> &mut ResultsTable {
        match &mut self.past {
            Some(p) => &mut p.live,
            None => &mut self.table,
        }
    }

    /// Put the live table back (leaving a past run).
    pub(super) fn close_past_run(&mut self) {
        if let Some(p) = self.past.take() {
            self.table = p.live;
            self.detail.timeline = None;
            self.detail.sop = None;
        }
    }

    pub(super) fn open_runs(&mut self, fx: &mut Vec<Effect>) {
        let Some(env) = self.current_env().map(str::to_string) else {
            self.status = "no environment (no inventory loaded)".into();
            return;
        };
        self.runs.open(&env);
        self.screen = Screen::Runs;
        fx.push(Effect::Query(HistoryQuery::Runs { env }));
    }

    pub(super) fn open_diff(&mut self, a: &str, b: &str, fx: &mut Vec<Effect>) {
        self.diff.open(a, b);
        self.screen = Screen::Diff;
        fx.push(Effect::Query(HistoryQuery::Diff {
            a: a.to_string(),
            b: b.to_string(),
        }));
    }

    pub(super) fn open_compare(&mut self, other: &str, fx: &mut Vec<Effect>) {
        let Some(env) = self.current_env().map(str::to_string) else {
            self.status = "no environment (no inventory loaded)".into();
            return;
        };
        self.compare.open(&env, other);
        self.screen = Screen::Compare;
        fx.push(Effect::Query(HistoryQuery::Compare {
            env,
            other: other.to_string(),
        }));
    }

    /// Keys of the Runs, past-run, diff and compare screens; `true` when taken.
    pub(super) fn on_screen_action(&mut self, a: Action, fx: &mut Vec<Effect>) -> bool {
        if self.mode != InputMode::Normal {
            return false;
        }
        match self.screen {
            Screen::Runs => match a {
                Action::Mark => self.runs.toggle_mark(),
                Action::Filter => self.mode = InputMode::Filter,
                Action::Open => {
                    let Some(run) = self.runs.selected().cloned() else {
                        return true;
                    };
                    match self.runs.mark.clone() {
                        Some(m) if m != run.id => {
                            // older first: the list is newest first
                            let marked_newer = self
                                .runs
                                .visible()
                                .iter()
                                .position(|r| r.id == m)
                                .is_some_and(|p| p < self.runs.cursor);
                            let (older, newer) = if marked_newer {
                                (run.id.clone(), m)
                            } else {
                                (m, run.id.clone())
                            };
                            self.open_diff(&older, &newer, fx);
                        }
                        _ => {
                            self.status = format!("opening run {}…", run.id);
                            fx.push(Effect::Query(HistoryQuery::RunResults { run: run.id }));
                        }
                    }
                }
                Action::Back if !self.runs.filter.is_empty() => {
                    self.runs.filter.clear();
                    self.runs.cursor = 0;
                }
                Action::Back if self.runs.mark.is_some() => self.runs.mark = None,
                Action::Back => self.screen = Screen::Live,
                _ => return self.screen_keys_only(a),
            },
            Screen::PastRun => match a {
                Action::Back if self.detail.open => self.set_detail_open(false),
                Action::Back if self.table.clear_filter() => {}
                Action::Back => {
                    self.close_past_run();
                    self.screen = Screen::Runs;
                }
                Action::Mark | Action::Recheck | Action::Rerun => {
                    self.status = "a past run is read-only (esc goes back to the runs)".into();
                }
                Action::FocusNext | Action::FocusPrev => {
                    self.focus = match (self.focus, self.detail.open) {
                        (Focus::Table, true) => Focus::Detail,
                        _ => Focus::Table,
                    };
                }
                _ => return false, // the table's own keys
            },
            Screen::Diff => match a {
                Action::Open | Action::Mark => {
                    if let Some(DiffItem::Group(k)) = self.diff.selected(&self.theme) {
                        self.diff.toggle(k);
                    }
                }
                Action::Back => self.screen = Screen::Runs,
                _ => return self.screen_keys_only(a),
            },
            Screen::Compare => match a {
                Action::Back => self.screen = Screen::Live,
                _ => return self.screen_keys_only(a),
            },
            Screen::Live | Screen::Drift => return false,
        }
        true
    }

    /// On a full-body screen, the live screen's keys do nothing (quit, help, `:` and the
    /// screen keys still work).
    fn screen_keys_only(&self, a: Action) -> bool {
        !matches!(
            a,
            Action::Quit
                | Action::Interrupt
                | Action::Help
                | Action::Command
                | Action::Drift
                | Action::Runs
        )
    }

    /// Answers for the Runs, past-run, diff and compare screens; `false` when not theirs.
    pub(super) fn on_screen_answer(
        &mut self,
        q: &HistoryQuery,
        result: Result<HistoryData, HistoryProblem>,
    ) -> Result<(), Result<HistoryData, HistoryProblem>> {
        let why = |p: &HistoryProblem| match p {
            HistoryProblem::NoHistory => "no history yet".to_string(),
            HistoryProblem::NotStored(w) | HistoryProblem::Unreadable(w) => w.clone(),
        };
        match (q, result) {
            (HistoryQuery::Runs { env }, r) if self.runs.env.as_deref() == Some(env.as_str()) => {
                match r {
                    Ok(HistoryData::Runs(list)) => {
                        self.runs.runs = Some((list, chrono::Utc::now()));
                    }
                    Err(p) => self.runs.missing = Some(why(&p)),
                    Ok(_) => {}
                }
            }
            (HistoryQuery::RunResults { .. }, r) => match r {
                Ok(HistoryData::RunResults(run, entries)) => self.show_past_run(*run, entries),
                Err(p) => self.status = format!("cannot open the run: {}", why(&p)),
                Ok(_) => {}
            },
            (HistoryQuery::Diff { a, b }, r) if self.diff.runs == Some((a.clone(), b.clone())) => {
                match r {
                    Ok(HistoryData::Diff(d)) => self.diff.diff = Some(d),
                    Err(p) => self.diff.missing = Some(why(&p)),
                    Ok(_) => {}
                }
            }
            (HistoryQuery::Compare { env, other }, r)
                if self.compare.envs == Some((env.clone(), other.clone())) =>
            {
                match r {
                    Ok(HistoryData::Compare(rep)) => self.compare.report = Some(rep),
                    Err(p) => self.compare.missing = Some(why(&p)),
                    Ok(_) => {}
                }
            }
            (HistoryQuery::Runs { .. }, _)
            | (HistoryQuery::Diff { .. }, _)
            | (HistoryQuery::Compare { .. }, _) => {} // an answer for a screen since left
            (_, r) => return Err(r),
        }
        Ok(())
    }

    /// Show a past run's results in the table (the live table is parked).
    fn show_past_run(&mut self, run: RunSummary, entries: Vec<LatestEntry>) {
        self.close_past_run();
        let mut table = ResultsTable::new();
        table.height = self.table.height;
        let count = entries.len();
        for e in entries {
            let age = e.age_secs;
            let rec = super::history::stored_record_of(&run.environment, e);
            table.upsert_stored(rec, age, self.now);
        }
        let live = std::mem::replace(&mut self.table, table);
        self.status = format!(
            "run {} of {} UTC: {} results (read-only)",
            run.id,
            run.started_at.format("%Y-%m-%d %H:%M"),
            count
        );
        self.past = Some(PastRun { run, live });
        self.screen = Screen::PastRun;
        self.focus = Focus::Table;
        self.detail.timeline = None;
        self.detail.sop = None;
    }
}
