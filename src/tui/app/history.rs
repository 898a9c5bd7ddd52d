//! The history's answers: the stored latest state under the live table (rows marked as
//! stored with their age, the header's readiness verdict), and what to ask next. Nothing
//! here reads SQLite: questions leave as [`Effect::Query`], answers arrive as
//! [`Msg::History`](super::Msg::History).

use super::{App, Effect};
use crate::model::{ExecKey, ResultRecord};
use crate::store::{LatestEntry, LatestState};
use crate::tui::components::header::StoredState;
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
        match (answer.query, answer.result) {
            (_, Ok(HistoryData::Latest(state))) => self.apply_latest(state),
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
        }
    }

    /// Put the stored state under the live rows: rows this session already probed stay.
    fn apply_latest(&mut self, state: LatestState) {
        let (status, why, oldest) = state.readiness(STALE_AFTER.as_secs() as i64);
        let mut shown = 0;
        for e in &state.entries {
            let rec = stored_record(&state.environment, e);
            let (env, host, cat, outcome) = (
                rec.environment.clone(),
                rec.host.clone(),
                rec.category.clone(),
                rec.outcome,
            );
            let Some(old) = self.table.upsert_stored(rec, e.age_secs, self.now) else {
                continue; // probed live in this session: the live result stays
            };
            shown += 1;
            self.hosts.record(&env, &host, old, outcome);
            self.categories.record(&env, &cat, old, outcome);
        }
        tracing::info!(
            "stored state of {}: {} results, {shown} shown as stored",
            state.environment,
            state.entries.len()
        );
        self.header.history_note = None;
        self.header.stored = Some(StoredState {
            environment: state.environment,
            status,
            why,
            oldest_age_secs: oldest,
            loaded: self.now,
        });
    }
}

/// A stored result as a table row.
fn stored_record(env: &str, e: &LatestEntry) -> ResultRecord {
    ResultRecord {
        environment: env.to_string(),
        host: e.host.clone(),
        key: ExecKey(e.key.clone()),
        check_id: e.check_id.clone(),
        title: e.title.clone(),
        category: e.category.clone(),
        severity: e.severity,
        outcome: e.outcome,
        expected: e.expected.clone(),
        actual: e.actual.clone(),
        reason: e.reason.clone(),
        duration: Duration::ZERO,
        sop: e.sop.clone(),
    }
}
