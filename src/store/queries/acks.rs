//! Acknowledgements of a known drift: storing one (`ack`), removing it (`unack`), and the
//! state of each (active / expired / lapsed with why / removed). The one place outside the
//! writer thread that writes: an acknowledgement is one small row a person asked for, not
//! part of a run's stream.
//!
//! An acknowledgement lapses when it expires, or when a run that started after it saw the
//! host×check with another outcome or another actual value (sticky: the same value coming
//! back later does not revive it).

use super::{RunRow, Store, parse_json};
use crate::model::{Acknowledgement, Outcome, Value, utc_minutes};
use crate::store::StoreError;
use crate::store::codec::{FastMap as HashMap, from_ms, outcome_from, to_ms};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// What `driftscope ack` (or `a` in the TUI) asks to store.
#[derive(Debug, Clone, PartialEq)]
pub struct AckRequest {
    pub env: Option<String>,
    pub host: String,
    /// A full key, or a check id with a single execution.
    pub check: String,
    pub reason: String,
    pub expires_at: DateTime<Utc>,
    pub user: String,
    /// The value to acknowledge (the TUI passes the row's); `None` = the latest stored
    /// result, which must be a failure.
    pub actual: Option<Value>,
}

/// Where an acknowledgement stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AckState {
    Active,
    Expired,
    /// A later run saw something else; `why` says what and when.
    Lapsed {
        why: String,
    },
    /// `unack`, or replaced by a newer acknowledgement of the same key.
    Removed {
        by: String,
        at: DateTime<Utc>,
    },
}

impl AckState {
    pub fn label(&self) -> &'static str {
        match self {
            AckState::Active => "active",
            AckState::Expired => "expired",
            AckState::Lapsed { .. } => "lapsed",
            AckState::Removed { .. } => "removed",
        }
    }
}

/// An acknowledgement with its state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AckStatus {
    #[serde(flatten)]
    pub ack: Acknowledgement,
    #[serde(flatten)]
    pub state: AckState,
}

struct AckRow {
    env_id: i64,
    host_id: i64,
    chk_id: i64,
    ack: Acknowledgement,
    removed: Option<(i64, String)>,
}

impl Store {
    /// Store an acknowledgement of `req.host` × `req.check`; an earlier active one of the
    /// same key is replaced. Unknown host or check, or (without `req.actual`) a latest
    /// result that is not a failure, is [`StoreError::NotFound`] and nothing is written.
    pub fn acknowledge(&self, req: &AckRequest) -> Result<Acknowledgement, StoreError> {
        let (host_id, env_id, env) = self.resolve_host(req.env.as_deref(), &req.host)?;
        let chk_id = self.resolve_check(&req.check)?;
        let info = self.check(chk_id).map_err(|e| self.err(e))?;
        let actual = match &req.actual {
            Some(v) => v.clone(),
            None => {
                let runs = self.env_runs(env_id).map_err(|e| self.err(e))?;
                let latest = self
                    .latest_result(&runs, host_id, chk_id)
                    .map_err(|e| self.err(e))?;
                match latest {
                    None => {
                        return Err(StoreError::NotFound(format!(
                            "no stored result for {} × {} in {env}; run it first",
                            req.host, info.key
                        )));
                    }
                    Some((_, Outcome::Fail, actual)) => actual,
                    Some((run, o, _)) => {
                        return Err(StoreError::NotFound(format!(
                            "{} × {} is not failing (latest: {o} in run {}); only a failure \
                             can be acknowledged",
                            req.host, info.key, run.key
                        )));
                    }
                }
            }
        };
        let now = Utc::now();
        let actual_text = actual.to_string();
        let write = || -> rusqlite::Result<()> {
            let tx = self.conn.unchecked_transaction()?;
            tx.execute(
                "UPDATE acks SET removed_at = ?1, removed_by = ?2
                 WHERE host = ?3 AND chk = ?4 AND removed_at IS NULL",
                params![
                    to_ms(now),
                    format!("replaced by {}'s acknowledgement", req.user),
                    host_id,
                    chk_id
                ],
            )?;
            tx.execute(
                "INSERT INTO acks (env, host, chk, actual, reason, user, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    env_id,
                    host_id,
                    chk_id,
                    actual_text,
                    req.reason,
                    req.user,
                    to_ms(now),
                    to_ms(req.expires_at)
                ],
            )?;
            tx.commit()
        };
        write().map_err(|e| self.err(e))?;
        Ok(Acknowledgement {
            environment: env,
            host: req.host.clone(),
            key: info.key,
            actual,
            reason: req.reason.clone(),
            user: req.user.clone(),
            created_at: from_ms(to_ms(now)),
            expires_at: from_ms(to_ms(req.expires_at)),
        })
    }

    /// Remove the acknowledgement of a host×check (kept as `removed` for `acks --all`).
    /// Returns the one removed; none active is [`StoreError::NotFound`].
    pub fn unacknowledge(
        &self,
        env: Option<&str>,
        host: &str,
        check: &str,
        by: &str,
    ) -> Result<Acknowledgement, StoreError> {
        let (host_id, _, env_name) = self.resolve_host(env, host)?;
        let chk_id = self.resolve_check(check)?;
        let current = self
            .ack_rows(None)
            .map_err(|e| self.err(e))?
            .into_iter()
            .find(|r| r.host_id == host_id && r.chk_id == chk_id && r.removed.is_none());
        let Some(row) = current else {
            let key = self.check(chk_id).map(|c| c.key).unwrap_or_default();
            return Err(StoreError::NotFound(format!(
                "no acknowledgement of {host} × {key} in {env_name} to remove"
            )));
        };
        self.conn
            .execute(
                "UPDATE acks SET removed_at = ?1, removed_by = ?2
                 WHERE host = ?3 AND chk = ?4 AND removed_at IS NULL",
                params![to_ms(Utc::now()), by, host_id, chk_id],
            )
            .map_err(|e| self.err(e))?;
        Ok(row.ack)
    }

    /// Acknowledgements with their state, newest first: only active ones unless `all`.
    pub fn acknowledgements(
        &self,
        env: Option<&str>,
        all: bool,
    ) -> Result<Vec<AckStatus>, StoreError> {
        let env_id = env.map(|e| self.env_id(e)).transpose()?;
        self.acknowledgements_inner(env_id, all)
            .map_err(|e| self.err(e))
    }

    /// The acknowledgements a run applies now (active ones), for `AckBook`.
    pub fn active_acks(&self, env: Option<&str>) -> Result<Vec<Acknowledgement>, StoreError> {
        Ok(self
            .acknowledgements(env, false)?
            .into_iter()
            .map(|s| s.ack)
            .collect())
    }

    fn acknowledgements_inner(
        &self,
        env_id: Option<i64>,
        all: bool,
    ) -> rusqlite::Result<Vec<AckStatus>> {
        Ok(self
            .ack_states(env_id)?
            .into_iter()
            .filter(|(_, state)| all || *state == AckState::Active)
            .map(|(row, state)| AckStatus {
                ack: row.ack,
                state,
            })
            .collect())
    }

    /// Every acknowledgement (of `env_id`, or all) with its state, newest first.
    fn ack_states(&self, env_id: Option<i64>) -> rusqlite::Result<Vec<(AckRow, AckState)>> {
        let now = Utc::now();
        let mut runs_of: HashMap<i64, Vec<RunRow>> = HashMap::default();
        let mut out = Vec::new();
        for row in self.ack_rows(env_id)? {
            let state = if let Some((at, by)) = &row.removed {
                AckState::Removed {
                    by: by.clone(),
                    at: from_ms(*at),
                }
            } else if row.ack.expires_at <= now {
                AckState::Expired
            } else {
                let runs = match runs_of.entry(row.env_id) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(self.env_runs(row.env_id)?)
                    }
                };
                match self.lapse(runs, &row)? {
                    Some(why) => AckState::Lapsed { why },
                    None => AckState::Active,
                }
            };
            out.push((row, state));
        }
        Ok(out)
    }

    /// Why an acknowledgement lapsed: the newest run started after it that saw something
    /// other than the acknowledged failure.
    fn lapse(&self, runs: &[RunRow], row: &AckRow) -> rusqlite::Result<Option<String>> {
        let created = to_ms(row.ack.created_at);
        let newer: Vec<&RunRow> = runs.iter().filter(|r| r.started_at >= created).collect();
        let mut lookup = self.conn.prepare_cached(
            "SELECT r.outcome, v.actual FROM results r JOIN vals v ON v.id = r.val
             WHERE r.run = ?1 AND r.host = ?2 AND r.chk = ?3",
        )?;
        // Oldest first: the first change after the acknowledgement is the one to name.
        for run in newer.into_iter().rev() {
            let found: Option<(i64, String)> = lookup
                .query_row(params![run.id, row.host_id, row.chk_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            let Some((code, actual)) = found else {
                continue;
            };
            let outcome = outcome_from(code);
            let at = utc_minutes(from_ms(run.started_at));
            if outcome != Outcome::Fail {
                return Ok(Some(format!("now {outcome} (run {}, {at})", run.key)));
            }
            let actual = parse_json(&actual);
            if actual != row.ack.actual {
                return Ok(Some(format!(
                    "the value changed in run {} ({at}): was {}, now {}",
                    run.key, row.ack.actual, actual
                )));
            }
        }
        Ok(None)
    }

    /// The newest result of one host×check over `runs` (newest first): run, outcome, actual.
    fn latest_result<'r>(
        &self,
        runs: &'r [RunRow],
        host_id: i64,
        chk_id: i64,
    ) -> rusqlite::Result<Option<(&'r RunRow, Outcome, Value)>> {
        let mut lookup = self.conn.prepare_cached(
            "SELECT r.outcome, v.actual FROM results r JOIN vals v ON v.id = r.val
             WHERE r.run = ?1 AND r.host = ?2 AND r.chk = ?3",
        )?;
        for run in runs {
            let found: Option<(i64, String)> = lookup
                .query_row(params![run.id, host_id, chk_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((code, actual)) = found {
                return Ok(Some((run, outcome_from(code), parse_json(&actual))));
            }
        }
        Ok(None)
    }

    fn ack_rows(&self, env_id: Option<i64>) -> rusqlite::Result<Vec<AckRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.env, a.host, a.chk, e.name, h.name, c.key, a.actual, a.reason, a.user,
                    a.created_at, a.expires_at, a.removed_at, a.removed_by
             FROM acks a JOIN envs e ON e.id = a.env JOIN hosts h ON h.id = a.host
                  JOIN checks c ON c.id = a.chk
             WHERE ?1 IS NULL OR a.env = ?1
             ORDER BY a.created_at DESC, a.id DESC",
        )?;
        let rows = stmt.query_map([env_id], |r| {
            let removed_at: Option<i64> = r.get(11)?;
            let removed_by: Option<String> = r.get(12)?;
            Ok(AckRow {
                env_id: r.get(0)?,
                host_id: r.get(1)?,
                chk_id: r.get(2)?,
                ack: Acknowledgement {
                    environment: r.get(3)?,
                    host: r.get(4)?,
                    key: r.get(5)?,
                    actual: parse_json(&r.get::<_, String>(6)?),
                    reason: r.get(7)?,
                    user: r.get(8)?,
                    created_at: from_ms(r.get(9)?),
                    expires_at: from_ms(r.get(10)?),
                },
                removed: removed_at.map(|at| (at, removed_by.unwrap_or_default())),
            })
        })?;
        rows.collect()
    }

    /// Active acknowledgements of `env_id` by (host id, check id), for readiness and the
    /// latest state.
    pub(super) fn active_acks_by_id(
        &self,
        env_id: i64,
    ) -> rusqlite::Result<HashMap<(i64, i64), Acknowledgement>> {
        Ok(self
            .ack_states(Some(env_id))?
            .into_iter()
            .filter(|(_, state)| *state == AckState::Active)
            .map(|(row, _)| ((row.host_id, row.chk_id), row.ack))
            .collect())
    }
}
