//! The history's answers: the stored latest state under the live table (rows marked as
//! stored with their age, the header's readiness verdict), and what to ask next. Nothing
//! here reads SQLite: questions leave as [`Effect::Query`], answers arrive as
//! [`Msg::History`](super::Msg::History).

use super::{App, Effect};
use crate::model::{ExecKey, ResultRecord};
use crate::store::{LatestEntry, LatestPart};
use crate::tui::components::detail::{RowKey, row_key};
use crate::tui::components::header::StoredState;
use crate::tui::components::timeline::TimelineView;
use crate::tui::queries::{HistoryAnswer, HistoryData, HistoryProblem, HistoryQuery};
use std::time::Duration;

/// Results older than this make the stored state STALE (as `driftscope status`'s default).
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

impl App {
    /// Ask for the stored state of the environment shown (first frame, environment change,
    /// after a run was stored).
    pub(super) fn ask_latest(&mut self, fx: &mut Vec<Effect>) {
        if let Some(env) = self.current_env() {
            fx.push(Effect::Query(HistoryQuery::Latest {
                env: env.to_string(),
            }));
        }
    }

    pub(super) fn on_history(&mut self, answer: HistoryAnswer, _fx: &mut Vec<Effect>) {
        let result = match self.on_screen_answer(&answer.query, answer.result) {
            Ok(()) => return,
            Err(r) => r,
        };
        match (answer.query, result) {
            (_, Ok(HistoryData::Latest(part))) => self.apply_latest(*part),
            (HistoryQuery::Timeline { env, host, key }, Ok(HistoryData::Timeline(tl, at))) => {
                self.set_timeline((env, host, key), TimelineView::Loaded(tl, at));
            }
            (HistoryQuery::Timeline { env, host, key }, Err(p)) => {
                let why = match p {
                    HistoryProblem::NoHistory => "no history yet".to_string(),
                    HistoryProblem::NotStored(_) => {
                        "not in the history yet (its first stored run will show here)".to_string()
                    }
                    HistoryProblem::Unreadable(why) => format!("history unreadable: {why}"),
                };
                self.set_timeline((env, host, key), TimelineView::Missing(why));
            }
            (HistoryQuery::Latest { env }, Err(p)) => {
                self.header.stored = None;
                self.header.history_note = Some(match &p {
                    HistoryProblem::NoHistory => "no history yet".to_string(),
                    HistoryProblem::NotStored(_) => format!("no history of {env} yet"),
                    HistoryProblem::Unreadable(_) => "history unreadable".to_string(),
                });
                if let HistoryProblem::Unreadable(why) = p {
                    self.status = format!("history: {why}");
                }
            }
            (HistoryQuery::Drift { env }, Ok(HistoryData::Drift(report))) => {
                if self.drift.env.as_deref() == Some(env.as_str()) {
                    self.drift.report = Some(report);
                    self.drift.missing = None;
                }
            }
            (HistoryQuery::Drift { env }, Err(p)) => {
                if self.drift.env.as_deref() == Some(env.as_str()) {
                    self.drift.report = None;
                    self.drift.missing = Some(match p {
                        HistoryProblem::NoHistory => "no history yet".to_string(),
                        HistoryProblem::NotStored(_) => {
                            format!("no history of {env} yet (its first stored run will show here)")
                        }
                        HistoryProblem::Unreadable(why) => format!("history unreadable: {why}"),
                    });
                }
            }
            (q, Ok(_)) => tracing::warn!("an answer of another kind for {q:?}"),
            (q, Err(p)) => tracing::debug!("no answer for {q:?}: {p:?}"),
        }
    }

    /// Show the Drift screen of the current environment and ask for its report.
    pub(super) fn open_drift(&mut self, fx: &mut Vec<Effect>) {
        let Some(env) = self.current_env().map(str::to_string) else {
            self.status = "no environment (no inventory loaded)".into();
            return;
        };
        self.drift.open(&env);
        self.screen = super::Screen::Drift;
        fx.push(Effect::Query(HistoryQuery::Drift { env }));
    }

    /// Open a host × check of the current environment in the live table, detail open (from
    /// the Drift screen): the scope widens to the environment, the filter is cleared.
    pub(super) fn reveal(&mut self, host: &str, key: &str) {
        let Some(env) = self.current_env().map(str::to_string) else {
            return;
        };
        self.close_past_run();
        self.screen = super::Screen::Live;
        let Some(id) = self.table.results.find(&env, host, key) else {
            self.status = format!("{host} {key} is not in the table");
            return;
        };
        self.hosts.focus_env(&env);
        self.categories.select(None);
        self.table.failures_only = false;
        self.table.filter.clear();
        self.table.scope_changed();
        self.table.reveal(id);
        self.focus = super::Focus::Table;
        self.set_detail_open(true);
    }

    /// Keep an answered timeline if it is still the row shown (a late answer for a row the
    /// cursor has left is dropped).
    fn set_timeline(&mut self, key: RowKey, view: TimelineView) {
        if self
            .detail
            .timeline
            .as_ref()
            .is_some_and(|(k, _)| *k == key)
        {
            self.detail.timeline = Some((key, view));
        }
    }

    /// What the screen needs from the history now that the view is settled: the timeline
    /// and SOP of the row the detail pane shows. Called once per frame (after
    /// [`App::settle`]). The timeline is asked for once the cursor rests: a row that is
    /// still the one of the previous frame (or the first one shown). While the cursor
    /// moves (a held `j`), nothing is asked; one more frame is drawn after the last move,
    /// which asks for the row it stopped on — at most a frame (16 ms) after it stopped.
    pub fn history_requests(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if !self.detail.open {
            self.detail.last_seen = None;
            return fx;
        }
        let Some(rec) = self.table.selected_record() else {
            return fx;
        };
        let key = row_key(&rec);
        if self.detail.sop.as_ref().is_none_or(|(k, _)| *k != key) {
            let md = self.sops.markdown(&rec);
            self.detail.sop = Some((key.clone(), md));
        }
        let moving = self.detail.last_seen.as_ref().is_some_and(|k| *k != key);
        self.detail.last_seen = Some(key.clone());
        if moving {
            self.frame_again = true; // one more frame: the cursor may rest there
            return fx;
        }
        if self.detail.timeline.as_ref().is_none_or(|(k, _)| *k != key) {
            self.detail.timeline = Some((key.clone(), TimelineView::Loading));
            let (env, host, key) = key;
            fx.push(Effect::Query(HistoryQuery::Timeline { env, host, key }));
        }
        fx
    }

    /// Put one part of the stored state under the live rows: rows this session already
    /// probed stay. The first part sets the verdict and the acknowledgements; the rows come
    /// worst first, so the first part fills the screen and the rest is merged in part by
    /// part, one part between two frames.
    fn apply_latest(&mut self, part: LatestPart) {
        let env = part.environment;
        if let Some(head) = part.head {
            let (status, why, oldest) = head.tally.readiness(STALE_AFTER.as_secs() as i64);
            self.table.replace_acks(&env, head.acks);
            self.header.history_note = None;
            self.header.stored = Some(StoredState {
                environment: env.clone(),
                status,
                why,
                oldest_age_secs: oldest,
                loaded: self.now,
                loading: None,
            });
            if head.total > part.entries.len() {
                self.set_stored_loading(&env, Some((part.entries.len(), head.total)));
            }
        }
        let mut shown = 0;
        let now = self.now;
        for e in part.entries {
            let age_secs = e.age_secs;
            let rec = stored_record_of(&env, e);
            let (host, cat, outcome) = (rec.host.clone(), rec.category.clone(), rec.outcome);
            let Some(old) = self.live_table().upsert_stored(rec, age_secs, now) else {
                continue; // probed live in this session: the live result stays
            };
            shown += 1;
            self.hosts.record(&env, &host, old, outcome);
            self.categories.record(&env, &cat, old, outcome);
        }
        let loading = (!part.last).then_some(part.delivered);
        self.set_stored_loading(&env, loading.map(|d| (d, 0)));
        tracing::debug!(
            "stored state of {env}: {} results delivered, {shown} more shown as stored{}",
            part.delivered,
            if part.last { " (last part)" } else { "" }
        );
    }

    /// Say in the header how much of the stored state of `env` is in (`None`: all of it).
    /// A total of 0 keeps the total known.
    fn set_stored_loading(&mut self, env: &str, loading: Option<(usize, usize)>) {
        if let Some(s) = self.header.stored.as_mut()
            && s.environment == env
        {
            s.loading = loading.map(|(done, total)| {
                let total = if total == 0 {
                    s.loading.map_or(done, |(_, t)| t)
                } else {
                    total
                };
                (done, total)
            });
        }
    }
}

/// A stored result as a table row (moved, not copied: the stored state can be 50k rows).
pub(super) fn stored_record_of(env: &str, e: LatestEntry) -> ResultRecord {
    ResultRecord {
        environment: env.to_string(),
        host: e.host,
        key: ExecKey(e.key),
        check_id: e.check_id,
        title: e.title,
        category: e.category,
        severity: e.severity,
        outcome: e.outcome,
        expected: e.expected,
        actual: e.actual,
        reason: e.reason,
        duration: Duration::ZERO,
        sop: e.sop,
    }
}
