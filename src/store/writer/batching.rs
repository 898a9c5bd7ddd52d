//! The writer thread's loop: takes queued events into a batch, commits every
//! `batch_results` results or `flush_interval`, retries a batch while another process holds
//! the write lock, and counts what could not be written as lost.

use super::ingest::{RunState, WriterState, apply};
use super::queue::{Queue, Take};
use super::{LOCK_RETRY, MAX_PENDING, WriteReport, WriterOptions};
use crate::model::OutcomeCounts;
use crate::store::StoreError;
use crate::store::packed::Msg;
use rusqlite::Connection;
use rusqlite::params;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The writer thread's side: the connection and what it remembers between batches.
pub(super) struct Writer {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
    pub(super) opts: WriterOptions,
    pub(super) state: WriterState,
}

impl Writer {
    pub(super) fn run(mut self, queue: Arc<Queue>) -> WriteReport {
        /// Whatever way this thread ends, senders must not wait on a full queue forever.
        struct CloseOnDrop(Arc<Queue>);
        impl Drop for CloseOnDrop {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let _close = CloseOnDrop(queue.clone());
        let mut batch: Vec<Msg> = Vec::with_capacity(self.opts.batch_results + 16);
        let mut batch_results = 0usize;
        let mut deadline: Option<Instant> = None;
        let mut spare = Vec::new();
        // Since when another process has held the write lock over a pending batch.
        let mut blocked: Option<Instant> = None;
        loop {
            if let Some(since) = blocked
                && batch_results >= MAX_PENDING
            {
                // Enough pending: the sender waits until the lock is ours again, or until the
                // busy timeout says the pending results are lost.
                std::thread::sleep(LOCK_RETRY);
                if self.flush(&mut batch) == Flush::Blocked
                    && since.elapsed() >= self.opts.busy_timeout
                {
                    self.drop_batch(&mut batch, None);
                }
                if batch.is_empty() {
                    (batch_results, deadline, blocked) = (0, None, None);
                }
                continue;
            }
            let events = match queue.take(deadline, spare) {
                Take::Events(events) => events,
                Take::Timeout => {
                    spare = Vec::new();
                    match self.flush(&mut batch) {
                        Flush::Done => (batch_results, deadline, blocked) = (0, None, None),
                        Flush::Blocked => {
                            blocked.get_or_insert_with(Instant::now);
                            deadline = Some(Instant::now() + LOCK_RETRY);
                        }
                    }
                    continue;
                }
                Take::Closed => {
                    // The stream ended: wait for a held lock up to the busy timeout.
                    let give_up = Instant::now() + self.opts.busy_timeout;
                    while self.flush(&mut batch) == Flush::Blocked && Instant::now() < give_up {
                        std::thread::sleep(LOCK_RETRY.min(give_up - Instant::now()));
                    }
                    if !batch.is_empty() {
                        self.drop_batch(&mut batch, None);
                    }
                    break;
                }
            };
            let mut events = events;
            for ev in events.drain(..) {
                // A run's row is committed on its own first, so that a later failure (disk
                // full) can still mark it incomplete with the count of lost results.
                let flush_now = matches!(ev, Msg::Finished { .. } | Msg::Started(_));
                if matches!(ev, Msg::Result(_)) {
                    batch_results += 1;
                }
                batch.push(ev);
                if deadline.is_none() {
                    deadline = Some(Instant::now() + self.opts.flush_interval);
                }
                // Behind a held lock, only the retry timer flushes.
                if blocked.is_none() && (batch_results >= self.opts.batch_results || flush_now) {
                    match self.flush(&mut batch) {
                        Flush::Done => (batch_results, deadline) = (0, None),
                        Flush::Blocked => {
                            blocked = Some(Instant::now());
                            deadline = Some(Instant::now() + LOCK_RETRY);
                        }
                    }
                }
            }
            spare = events;
        }
        queue.close();
        if let Some(run) = &self.state.run
            && !run.finished
        {
            // The executor's stream ended without RunFinished: the run is incomplete.
            if let Some(id) = run.db_id {
                let r = self.conn.execute(
                    "UPDATE runs SET status = 'incomplete', results_lost = ?2 WHERE id = ?1",
                    params![id, run.lost as i64],
                );
                if let Err(e) = r {
                    self.note_error(&e);
                }
            }
        }
        let _ = self.conn.execute_batch("PRAGMA optimize;");
        self.state.report
    }

    pub(super) fn note_error(&mut self, e: &rusqlite::Error) {
        let msg = StoreError::from_sqlite_ref(&self.path, self.opts.busy_timeout, e).to_string();
        if !self.state.report.errors.contains(&msg) {
            tracing::warn!(error = %msg, "store batch failed");
            self.state.report.errors.push(msg);
        }
    }

    /// Commit `batch` in one transaction. A write lock another process holds leaves the
    /// batch pending (`Blocked`, writer state as before the attempt); any other failure counts
    /// its results as lost.
    pub(super) fn flush(&mut self, batch: &mut Vec<Msg>) -> Flush {
        if batch.is_empty() {
            return Flush::Done;
        }
        let n_results = batch.iter().filter(|e| matches!(e, Msg::Result(_))).count() as u64;
        let before = self.state.run.clone();
        match apply(&self.conn, &mut self.state, batch) {
            Ok(orphans) => {
                self.state.report.results_written += n_results - orphans;
                self.state.report.results_lost += orphans;
                batch.clear();
                Flush::Done
            }
            Err(e) if is_locked(&e) => {
                self.forget_ids();
                self.state.run = before;
                Flush::Blocked
            }
            Err(e) => {
                self.drop_batch(batch, Some((&e, before)));
                Flush::Done
            }
        }
    }

    /// Ids handed out inside a rolled-back transaction are void.
    pub(super) fn forget_ids(&mut self) {
        self.state.envs.clear();
        self.state.last_env = None;
        self.state.hosts.clear();
        self.state.checks.clear();
        self.state.vals.clear();
    }

    /// Give up on `batch`: count its results as lost and mark the run incomplete. `failed`:
    /// the error of the attempt that was rolled back and the run state from before it (`None`
    /// when giving up on a batch a held lock kept pending: the state is already that).
    pub(super) fn drop_batch(
        &mut self,
        batch: &mut Vec<Msg>,
        failed: Option<(&rusqlite::Error, Option<RunState>)>,
    ) {
        let n_results = batch.iter().filter(|e| matches!(e, Msg::Result(_))).count() as u64;
        match failed {
            Some((e, before)) => {
                self.note_error(e);
                self.forget_ids();
                let run_before = before.map(|r| (r.key, r.db_id));
                if let Some(run) = &mut self.state.run {
                    run.envs_written.clear();
                    run.hosts_written.clear();
                    run.pending = OutcomeCounts::default();
                    run.finished = false;
                    if run_before.as_ref().map(|(k, _)| k) == Some(&run.key) {
                        run.db_id = run_before.and_then(|(_, id)| id);
                    } else {
                        run.db_id = None;
                    }
                }
            }
            None => {
                let e = rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    None,
                );
                self.note_error(&e);
            }
        }
        self.state.report.results_lost += n_results;
        if let Some(run) = &mut self.state.run {
            run.lost += n_results;
            if let Some(id) = run.db_id {
                // Best effort; if even this fails the next open marks it incomplete.
                let _ = self.conn.execute(
                    "UPDATE runs SET status = 'incomplete', results_lost = ?2 WHERE id = ?1",
                    params![id, run.lost as i64],
                );
            }
        }
        batch.clear();
    }
}

/// What became of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flush {
    Done,
    /// Another process holds the write lock: the batch is still pending.
    Blocked,
}

/// The write lock is held by another connection (or process).
pub(super) fn is_locked(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}
