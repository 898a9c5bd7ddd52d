//! The dedicated writer thread: executor events arrive on a bounded channel and are written in
//! batched transactions (every [`WriterOptions::batch_results`] results or
//! [`WriterOptions::flush_interval`], whichever comes first, and at the end of a run).
//!
//! Another process holding the write lock (a `prune --vacuum`, a second writer) never stalls
//! the executor and loses nothing while the run goes on: each commit waits only
//! [`LOCK_POLL`] for the lock; when it is still held, the batch stays pending, the writer keeps
//! taking events into it (up to [`MAX_PENDING`] results, then the sender waits) and retries
//! every [`LOCK_RETRY`]. Only when the stream has ended and the lock is still held after
//! [`WriterOptions::busy_timeout`] do the pending results count as lost.
//!
//! A batch that cannot be committed for any other reason (disk full …) is rolled back, its
//! results are counted as lost, the run is marked `incomplete` with that count, and the writer
//! keeps going with the next batch. A process killed mid-run loses at most the uncommitted
//! batch; the run is marked `incomplete` when the database is next opened.

use super::codec::{FastMap, FastSet, outcome_code, severity_code, stable_hash, to_ms};
use super::packed::{Msg, PackedResult};
use super::schema::{self, OpenMode};
use super::{DEFAULT_BUSY_TIMEOUT, StoreError};
use crate::exec::Event;
use crate::model::{Outcome, OutcomeCounts, RunMeta};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long one commit waits for another process's write lock before the writer goes back to
/// taking events (the batch stays pending).
pub const LOCK_POLL: Duration = Duration::from_millis(50);
/// How often a pending batch retries while the lock is held.
pub const LOCK_RETRY: Duration = Duration::from_millis(200);
/// Results kept pending behind a held lock before `send` waits (backpressure).
pub const MAX_PENDING: usize = 250_000;

/// Knobs of the writer; [`Default`] is what `driftscope run` uses.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// How long the end of a run waits for a write lock another process holds before the
    /// results still pending count as lost (opening the history waits as long).
    pub busy_timeout: Duration,
    /// Commit after this many results.
    pub batch_results: usize,
    /// Commit at least this often while results trickle in.
    pub flush_interval: Duration,
    /// Events queued between the executor and the writer thread before `send` waits.
    pub channel_capacity: usize,
    /// Cap the database at this many pages (`PRAGMA max_page_count`), a size quota; writes
    /// beyond it fail like a full disk.
    pub max_page_count: Option<u64>,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            batch_results: 1000,
            flush_interval: Duration::from_millis(100),
            channel_capacity: 16 * 1024,
            max_page_count: None,
        }
    }
}

/// What the writer did, reported when it finishes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub results_written: u64,
    /// Results received but not stored (disk full, lock timeout …); the CLI reports them.
    pub results_lost: u64,
    /// The distinct reasons batches failed, in order (empty when all went well).
    pub errors: Vec<String>,
}

/// A bounded hand-over queue between the executor and the writer thread. Unlike a channel,
/// the writer takes everything queued in one lock, so a busy run costs one lock per chunk of
/// events rather than a wake-up per event.
struct Queue {
    state: Mutex<QueueState>,
    not_empty: Condvar,
    not_full: Condvar,
    capacity: usize,
}

struct QueueState {
    events: Vec<Msg>,
    closed: bool,
}

enum Take {
    Events(Vec<Msg>),
    Timeout,
    Closed,
}

impl Queue {
    fn new(capacity: usize) -> Queue {
        Queue {
            state: Mutex::new(QueueState {
                events: Vec::new(),
                closed: false,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    /// Queue `ev`, waiting while the queue is full; gives it back when the writer is gone.
    fn push(&self, ev: Msg) -> Result<(), Msg> {
        let Ok(mut st) = self.state.lock() else {
            return Err(ev);
        };
        while st.events.len() >= self.capacity && !st.closed {
            st = match self.not_full.wait(st) {
                Ok(g) => g,
                Err(_) => return Err(ev),
            };
        }
        if st.closed {
            return Err(ev);
        }
        st.events.push(ev);
        if st.events.len() == 1 {
            self.not_empty.notify_one();
        }
        Ok(())
    }

    /// Take everything queued; wait until something arrives, `deadline` passes, or the
    /// sender side closes.
    fn take(&self, deadline: Option<Instant>, spare: Vec<Msg>) -> Take {
        let Ok(mut st) = self.state.lock() else {
            return Take::Closed;
        };
        loop {
            if !st.events.is_empty() {
                let events = std::mem::replace(&mut st.events, spare);
                self.not_full.notify_all();
                return Take::Events(events);
            }
            if st.closed {
                return Take::Closed;
            }
            match deadline {
                None => {
                    st = match self.not_empty.wait(st) {
                        Ok(g) => g,
                        Err(_) => return Take::Closed,
                    };
                }
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Take::Timeout;
                    }
                    st = match self.not_empty.wait_timeout(st, d - now) {
                        Ok((g, _)) => g,
                        Err(_) => return Take::Closed,
                    };
                }
            }
        }
    }

    /// Close from either side: the sender when it finishes, the writer if it stops.
    fn close(&self) {
        if let Ok(mut st) = self.state.lock() {
            st.closed = true;
        }
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }
}

/// The dedicated writer thread, fed with executor events.
pub struct StoreWriter {
    queue: Arc<Queue>,
    handle: Option<JoinHandle<WriteReport>>,
    /// Results that could not even be handed over (the writer thread is gone).
    lost_on_send: Arc<AtomicU64>,
    path: PathBuf,
}

impl StoreWriter {
    /// Open (or create) the history at `path` and start the writer thread. Errors (corrupt
    /// file, newer schema, lock held too long) are returned here, before any event is sent.
    pub fn spawn(path: &Path) -> Result<StoreWriter, StoreError> {
        StoreWriter::spawn_with(path, WriterOptions::default())
    }

    /// [`StoreWriter::spawn`] with explicit options.
    pub fn spawn_with(path: &Path, opts: WriterOptions) -> Result<StoreWriter, StoreError> {
        let conn = schema::open(path, OpenMode::Create, opts.busy_timeout)?;
        let err = |e| StoreError::from_sqlite(path, opts.busy_timeout, e);
        if let Some(pages) = opts.max_page_count {
            let _: i64 = conn
                .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
                    r.get(0)
                })
                .map_err(err)?;
        }
        conn.set_prepared_statement_cache_capacity(32);
        // Commits wait briefly and retry later, so a held lock never stalls the executor.
        conn.busy_timeout(LOCK_POLL).map_err(err)?;
        let queue = Arc::new(Queue::new(opts.channel_capacity));
        let rx = queue.clone();
        let writer = Writer {
            conn,
            path: path.to_path_buf(),
            opts,
            state: WriterState::default(),
        };
        let handle = std::thread::Builder::new()
            .name("driftscope-store".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| StoreError::Other(format!("cannot start the store writer: {e}")))?;
        Ok(StoreWriter {
            queue,
            handle: Some(handle),
            lost_on_send: Arc::new(AtomicU64::new(0)),
            path: path.to_path_buf(),
        })
    }

    /// Hand one event to the writer. Blocks only while the bounded channel is full, i.e. while
    /// the writer is more than a channel's worth of events behind.
    pub fn send(&self, event: &Event) {
        let Some(msg) = Msg::from_event(event) else {
            return;
        };
        if let Err(Msg::Result(_)) = self.queue.push(msg) {
            self.lost_on_send.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Flush, close, and say what was written.
    pub fn finish(mut self) -> Result<WriteReport, StoreError> {
        self.queue.close();
        let handle = self.handle.take();
        let mut report = match handle.map(|h| h.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => {
                return Err(StoreError::Other(format!(
                    "{}: the store writer thread crashed",
                    self.path.display()
                )));
            }
            None => WriteReport::default(),
        };
        let lost = self.lost_on_send.load(Ordering::Relaxed);
        if lost > 0 {
            report.results_lost += lost;
            report
                .errors
                .push(format!("{lost} results arrived after the writer stopped"));
        }
        Ok(report)
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        // Dropped without finish(): still flush what was sent.
        self.queue.close();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The writer thread's side: the connection and what it remembers between batches.
struct Writer {
    conn: Connection,
    path: PathBuf,
    opts: WriterOptions,
    state: WriterState,
}

/// Interning caches and the run being written.
#[derive(Default)]
struct WriterState {
    envs: FastMap<String, i64>,
    /// The last environment interned (results of a run nearly always share it).
    last_env: Option<(String, i64)>,
    hosts: FastMap<i64, FastMap<String, i64>>,
    checks: FastMap<String, CheckRow>,
    /// Value key (expected, actual, reason as packed) → id.
    vals: FastMap<Box<str>, i64>,
    /// Bumped for every run: a check definition is compared once per run, not per result.
    generation: u64,
    run: Option<RunState>,
    report: WriteReport,
}

#[derive(Clone, PartialEq)]
struct CheckRow {
    id: i64,
    /// The run generation in which the stored definition was last confirmed.
    generation: u64,
    check_id: String,
    title: String,
    category: String,
    severity: i64,
    sop: Option<String>,
}

#[derive(Clone)]
struct RunState {
    key: String,
    meta: Arc<RunMeta>,
    /// `None` until the `runs` row is committed (or after the batch holding it failed).
    db_id: Option<i64>,
    envs_written: FastSet<i64>,
    hosts_written: FastSet<i64>,
    /// Counts of results in the current batch, added to the run row at commit.
    pending: OutcomeCounts,
    lost: u64,
    finished: bool,
}

/// Keep the value cache bounded (values are mostly repeated, so it rarely fills).
const VAL_CACHE_MAX: usize = 200_000;

impl Writer {
    fn run(mut self, queue: Arc<Queue>) -> WriteReport {
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

    fn note_error(&mut self, e: &rusqlite::Error) {
        let msg = StoreError::from_sqlite_ref(&self.path, self.opts.busy_timeout, e).to_string();
        if !self.state.report.errors.contains(&msg) {
            tracing::warn!(error = %msg, "store batch failed");
            self.state.report.errors.push(msg);
        }
    }

    /// Commit `batch` in one transaction. A write lock another process holds leaves the
    /// batch pending (`Blocked`, writer state as before the attempt); any other failure counts
    /// its results as lost.
    fn flush(&mut self, batch: &mut Vec<Msg>) -> Flush {
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
    fn forget_ids(&mut self) {
        self.state.envs.clear();
        self.state.last_env = None;
        self.state.hosts.clear();
        self.state.checks.clear();
        self.state.vals.clear();
    }

    /// Give up on `batch`: count its results as lost and mark the run incomplete. `failed`:
    /// the error of the attempt that was rolled back and the run state from before it (`None`
    /// when giving up on a batch a held lock kept pending: the state is already that).
    fn drop_batch(
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
enum Flush {
    Done,
    /// Another process holds the write lock: the batch is still pending.
    Blocked,
}

/// The write lock is held by another connection (or process).
fn is_locked(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// Write one batch in one transaction. Returns the number of results that had no run to
/// belong to (sent before any `RunStarted`), which are dropped and counted as lost.
fn apply(conn: &Connection, st: &mut WriterState, batch: &[Msg]) -> rusqlite::Result<u64> {
    let tx = conn.unchecked_transaction()?;
    let mut orphans = 0u64;
    for ev in batch {
        match ev {
            Msg::Started(meta) => {
                if let Some(prev) = st.run.take() {
                    close_unfinished(&tx, prev)?;
                }
                start_run(&tx, st, meta)?;
            }
            Msg::HostFailed { host, reason } => {
                let Some((run_id, env)) = st
                    .run
                    .as_ref()
                    .and_then(|r| r.db_id.map(|id| (id, r.meta.scope.environment.clone())))
                else {
                    continue;
                };
                let env_id = intern_env(&tx, st, &env)?;
                let host_id = intern_host(&tx, st, env_id, host)?;
                tx.prepare_cached(
                    "INSERT INTO run_hosts (run, host, failure) VALUES (?1, ?2, ?3)
                     ON CONFLICT (run, host) DO UPDATE SET failure = excluded.failure",
                )?
                .execute(params![run_id, host_id, reason])?;
            }
            Msg::Result(rec) => {
                // The run's row was lost with a failed batch: write it again first.
                if let Some(meta) = st
                    .run
                    .as_ref()
                    .filter(|r| r.db_id.is_none())
                    .map(|r| r.meta.clone())
                {
                    start_run(&tx, st, &meta)?;
                }
                if !write_result(&tx, st, rec)? {
                    orphans += 1;
                }
            }
            Msg::Finished {
                run_id,
                finished_at,
                cancelled,
            } => {
                let Some(run) = st.run.as_mut().filter(|r| &r.key == run_id) else {
                    continue;
                };
                flush_counts(&tx, run)?;
                if let Some(id) = run.db_id {
                    let status = if run.lost > 0 {
                        "incomplete"
                    } else if *cancelled {
                        "cancelled"
                    } else {
                        "complete"
                    };
                    tx.execute(
                        "UPDATE runs SET finished_at = ?2, status = ?3, results_lost = ?4
                         WHERE id = ?1",
                        params![id, to_ms(*finished_at), status, run.lost as i64],
                    )?;
                }
                run.finished = true;
            }
        }
    }
    if let Some(run) = st.run.as_mut() {
        flush_counts(&tx, run)?;
    }
    tx.commit()?;
    Ok(orphans)
}

/// A new run started while the previous one never finished: the previous one is incomplete.
fn close_unfinished(tx: &Connection, mut prev: RunState) -> rusqlite::Result<()> {
    flush_counts(tx, &mut prev)?;
    if !prev.finished
        && let Some(id) = prev.db_id
    {
        tx.execute(
            "UPDATE runs SET status = 'incomplete', results_lost = ?2 WHERE id = ?1",
            params![id, prev.lost as i64],
        )?;
    }
    Ok(())
}

fn start_run(tx: &Connection, st: &mut WriterState, meta: &Arc<RunMeta>) -> rusqlite::Result<()> {
    // Known before the row is written: if the insert fails, later results still know their
    // run and the next batch writes the row again.
    let lost = st
        .run
        .as_ref()
        .filter(|r| r.key == meta.id)
        .map_or(0, |r| r.lost);
    st.run = Some(RunState {
        key: meta.id.clone(),
        meta: meta.clone(),
        db_id: None,
        envs_written: FastSet::default(),
        hosts_written: FastSet::default(),
        pending: OutcomeCounts::default(),
        lost,
        finished: false,
    });
    let env_id = intern_env(tx, st, &meta.scope.environment)?;
    let scope = serde_json::to_string(&meta.scope)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    // A run id seen before (a writer restarted for the same run) continues that row.
    let existing: Option<i64> = tx
        .prepare_cached("SELECT id FROM runs WHERE run_key = ?1")?
        .query_row([&meta.id], |r| r.get(0))
        .optional()?;
    let id = match existing {
        Some(id) => {
            tx.execute(
                "UPDATE runs SET status = 'running', writer_host = ?2, writer_pid = ?3
                 WHERE id = ?1",
                params![id, schema::client_host(), i64::from(std::process::id())],
            )?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO runs (run_key, env, started_at, status, full_scope, scope, version,
                     user, client_host, writer_host, writer_pid, checkset_hash, host_count,
                     execution_count)
                 VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    meta.id,
                    env_id,
                    to_ms(meta.started_at),
                    meta.scope.is_full(),
                    scope,
                    meta.driftscope_version,
                    meta.user,
                    meta.client_host,
                    schema::client_host(),
                    i64::from(std::process::id()),
                    meta.checkset_hash,
                    meta.host_count as i64,
                    meta.execution_count as i64,
                ],
            )?;
            tx.last_insert_rowid()
        }
    };
    tx.prepare_cached("INSERT OR IGNORE INTO run_envs (env, run) VALUES (?1, ?2)")?
        .execute(params![env_id, id])?;
    st.generation += 1;
    if let Some(run) = st.run.as_mut() {
        run.db_id = Some(id);
        run.envs_written.insert(env_id);
    }
    Ok(())
}

fn flush_counts(tx: &Connection, run: &mut RunState) -> rusqlite::Result<()> {
    let c = std::mem::take(&mut run.pending);
    if c.total() == 0 {
        return Ok(());
    }
    let Some(id) = run.db_id else { return Ok(()) };
    tx.prepare_cached(
        "UPDATE runs SET n_pass = n_pass + ?2, n_fail = n_fail + ?3, n_error = n_error + ?4,
             n_unreachable = n_unreachable + ?5, n_timeout = n_timeout + ?6,
             n_sudo_denied = n_sudo_denied + ?7, n_not_applicable = n_not_applicable + ?8
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        c.pass as i64,
        c.fail as i64,
        c.error as i64,
        c.unreachable as i64,
        c.timeout as i64,
        c.sudo_denied as i64,
        c.not_applicable as i64
    ])?;
    Ok(())
}

/// Store one result; `false` when there is no run to attach it to.
fn write_result(
    tx: &Connection,
    st: &mut WriterState,
    rec: &PackedResult,
) -> rusqlite::Result<bool> {
    let Some(run_id) = st.run.as_ref().and_then(|r| r.db_id) else {
        return Ok(false);
    };
    let env_id = intern_env(tx, st, rec.environment())?;
    let host_id = intern_host(tx, st, env_id, rec.host())?;
    let chk_id = intern_check(tx, st, rec)?;
    let val_id = intern_val(tx, st, rec)?;
    let Some(run) = st.run.as_mut() else {
        return Ok(false);
    };
    if run.envs_written.insert(env_id) {
        tx.prepare_cached("INSERT OR IGNORE INTO run_envs (env, run) VALUES (?1, ?2)")?
            .execute(params![env_id, run_id])?;
    }
    if run.hosts_written.insert(host_id) {
        tx.prepare_cached(
            "INSERT INTO run_hosts (run, host, duration_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (run, host) DO UPDATE SET duration_ms = excluded.duration_ms",
        )?
        .execute(params![run_id, host_id, rec.duration_ms])?;
    }
    let changed = tx
        .prepare_cached(
            "INSERT INTO results (run, host, chk, outcome, val) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (run, host, chk) DO UPDATE SET outcome = excluded.outcome,
                 val = excluded.val",
        )?
        .execute(params![
            run_id,
            host_id,
            chk_id,
            outcome_code(rec.outcome),
            val_id
        ])?;
    if changed > 0 {
        add_count(&mut run.pending, rec.outcome);
    }
    Ok(true)
}

fn add_count(c: &mut OutcomeCounts, o: Outcome) {
    c.add(o);
}

fn intern_env(tx: &Connection, st: &mut WriterState, name: &str) -> rusqlite::Result<i64> {
    if let Some((last, id)) = &st.last_env
        && last == name
    {
        return Ok(*id);
    }
    if let Some(id) = st.envs.get(name) {
        st.last_env = Some((name.to_string(), *id));
        return Ok(*id);
    }
    let found: Option<i64> = tx
        .prepare_cached("SELECT id FROM envs WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    let id = match found {
        Some(id) => id,
        None => {
            tx.prepare_cached("INSERT INTO envs (name) VALUES (?1)")?
                .execute([name])?;
            tx.last_insert_rowid()
        }
    };
    st.envs.insert(name.to_string(), id);
    st.last_env = Some((name.to_string(), id));
    Ok(id)
}

fn intern_host(
    tx: &Connection,
    st: &mut WriterState,
    env: i64,
    name: &str,
) -> rusqlite::Result<i64> {
    if let Some(id) = st.hosts.get(&env).and_then(|m| m.get(name)) {
        return Ok(*id);
    }
    let found: Option<i64> = tx
        .prepare_cached("SELECT id FROM hosts WHERE env = ?1 AND name = ?2")?
        .query_row(params![env, name], |r| r.get(0))
        .optional()?;
    let id = match found {
        Some(id) => id,
        None => {
            tx.prepare_cached("INSERT INTO hosts (env, name) VALUES (?1, ?2)")?
                .execute(params![env, name])?;
            tx.last_insert_rowid()
        }
    };
    st.hosts
        .entry(env)
        .or_default()
        .insert(name.to_string(), id);
    Ok(id)
}

fn intern_check(
    tx: &Connection,
    st: &mut WriterState,
    rec: &PackedResult,
) -> rusqlite::Result<i64> {
    let key = rec.key();
    let sev = severity_code(rec.severity);
    let generation = st.generation;
    if let Some(row) = st.checks.get_mut(key)
        && (row.generation == generation
            || (row.check_id == rec.check_id()
                && row.title == rec.title()
                && row.category == rec.category()
                && row.severity == sev
                && row.sop.as_deref() == rec.sop()))
    {
        row.generation = generation;
        return Ok(row.id);
    }
    // Unknown here, or its definition changed (title, severity …): the newest one wins.
    let found: Option<i64> = tx
        .prepare_cached("SELECT id FROM checks WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    let fields = params![
        key,
        rec.check_id(),
        rec.title(),
        rec.category(),
        sev,
        rec.sop()
    ];
    let id = match found {
        Some(id) => {
            tx.prepare_cached(
                "UPDATE checks SET check_id = ?2, title = ?3, category = ?4, severity = ?5,
                     sop = ?6 WHERE key = ?1 AND (check_id, title, category, severity, sop)
                     IS NOT (?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(fields)?;
            id
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO checks (key, check_id, title, category, severity, sop)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(fields)?;
            tx.last_insert_rowid()
        }
    };
    st.checks.insert(
        key.to_string(),
        CheckRow {
            id,
            generation,
            check_id: rec.check_id().to_string(),
            title: rec.title().to_string(),
            category: rec.category().to_string(),
            severity: sev,
            sop: rec.sop().map(str::to_string),
        },
    );
    Ok(id)
}

fn intern_val(tx: &Connection, st: &mut WriterState, rec: &PackedResult) -> rusqlite::Result<i64> {
    let vkey = rec.value_key();
    if let Some(id) = st.vals.get(vkey) {
        return Ok(*id);
    }
    let (expected, actual, reason) = (rec.expected_json(), rec.actual_json(), rec.reason());
    let reason_bytes: &[u8] = reason.map(str::as_bytes).unwrap_or(b"\0");
    let hash = stable_hash(&[expected.as_bytes(), actual.as_bytes(), reason_bytes]);
    let mut found = None;
    {
        let mut stmt =
            tx.prepare_cached("SELECT id, expected, actual, reason FROM vals WHERE hash = ?1")?;
        let mut rows = stmt.query([hash])?;
        while let Some(r) = rows.next()? {
            let e: &str = r.get_ref(1)?.as_str()?;
            let a: &str = r.get_ref(2)?.as_str()?;
            let rs: Option<&str> = r.get_ref(3)?.as_str_or_null()?;
            if e == expected && a == actual && rs == reason {
                found = Some(r.get::<_, i64>(0)?);
                break;
            }
        }
    }
    let id = match found {
        Some(id) => id,
        None => {
            tx.prepare_cached(
                "INSERT INTO vals (hash, expected, actual, reason) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![hash, expected, actual, reason])?;
            tx.last_insert_rowid()
        }
    };
    if st.vals.len() >= VAL_CACHE_MAX {
        st.vals.clear();
    }
    st.vals.insert(vkey.into(), id);
    Ok(id)
}
