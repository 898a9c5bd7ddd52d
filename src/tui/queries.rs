//! History queries for the TUI, on their own thread with their own read-only connection:
//! the event loop asks ([`QueryThread::ask`]) and goes on; the answer comes back as a
//! [`Msg::History`]. The newest request of a kind replaces one of that kind not yet started
//! ([`LatestWins`]): holding `j` over 1000 rows asks for many timelines, but only the one
//! under the cursor when the thread gets to it is read. Every query that actually runs is
//! counted ([`QueryThread::executed`]) and logged with its time.
//!
//! The stored latest state (50k rows at the scale the benches use) is answered in parts,
//! worst rows first: the first part carries the verdict and a screenful of rows, the rest
//! follow in [`LATEST_PART_ROWS`] chunks, each applied between two frames; a newer
//! `Latest` request waiting stops the delivery.
//!
//! The history file is opened on the first query (read-only: the TUI never migrates or
//! recovers a file another process may be writing) and again after a failure, so a file a
//! live run creates later is picked up. A missing file is "no history yet", not an error.

use super::app::Msg;
pub use super::reports::{CompareReport, CompareRow, DriftReport, FLAP_RUNS, FLAP_SWITCHES};
use super::reports::{compare_report, drift_report};
use super::worker::{LatestWins, Reply};
use crate::store::{
    LatestEntry, LatestOrder, LatestPart, RunDiff, RunSummary, Store, StoreError, Timeline,
};
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::sync::mpsc;

/// How many runs the detail pane's timeline shows.
pub const TIMELINE_RUNS: usize = 30;

/// A question for the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryQuery {
    /// The latest stored state of an environment (first frame, and after each run).
    Latest { env: String },
    /// The Drift screen's report of an environment.
    Drift { env: String },
    /// The Runs screen: runs of an environment, newest first.
    Runs { env: String },
    /// Every result of one past run (opened read-only).
    RunResults { run: String },
    /// Run-vs-run transitions from `a` (older) to `b`.
    Diff { a: String, b: String },
    /// The latest state of `env` beside that of `other`, per check key.
    Compare { env: String, other: String },
    /// One host×check over its last runs (the detail pane).
    Timeline {
        env: String,
        host: String,
        key: String,
    },
}

/// Which requests replace each other: one pending request per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryKind {
    Latest,
    Timeline,
    Drift,
    Runs,
    RunResults,
    Diff,
    Compare,
}

impl HistoryQuery {
    pub fn kind(&self) -> QueryKind {
        match self {
            HistoryQuery::Latest { .. } => QueryKind::Latest,
            HistoryQuery::Timeline { .. } => QueryKind::Timeline,
            HistoryQuery::Drift { .. } => QueryKind::Drift,
            HistoryQuery::Runs { .. } => QueryKind::Runs,
            HistoryQuery::RunResults { .. } => QueryKind::RunResults,
            HistoryQuery::Diff { .. } => QueryKind::Diff,
            HistoryQuery::Compare { .. } => QueryKind::Compare,
        }
    }
}

/// Why a query has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryProblem {
    /// No history file yet (nothing was ever stored): not an error.
    NoHistory,
    /// The environment, host or check is not in the history.
    NotStored(String),
    /// The file cannot be read (corrupt, newer schema, locked …): said in the status line.
    Unreadable(String),
}

/// What a query returned.
#[derive(Debug, Clone)]
pub enum HistoryData {
    /// One part of the latest state (the first carries the verdict).
    Latest(Box<LatestPart>),
    /// A timeline and when it was read (its ages are relative to that).
    Timeline(Box<Timeline>, DateTime<Utc>),
    Drift(Box<DriftReport>),
    Runs(Vec<RunSummary>),
    RunResults(Box<RunSummary>, Vec<LatestEntry>),
    Diff(Box<RunDiff>),
    Compare(Box<CompareReport>),
}

/// Rows in the first part of the stored latest state: more than any screen shows.
pub const LATEST_FIRST_ROWS: usize = 500;
/// Rows in each further part: applying one takes a few ms, well inside a frame.
pub const LATEST_PART_ROWS: usize = 500;

/// How many runs the Runs screen lists.
pub const RUNS_LISTED: usize = 10_000;

/// A query and its answer.
#[derive(Debug, Clone)]
pub struct HistoryAnswer {
    pub query: HistoryQuery,
    pub result: Result<HistoryData, HistoryProblem>,
}

/// The query thread's handle (held by the event loop).
pub struct QueryThread {
    queue: Arc<LatestWins<QueryKind, HistoryQuery>>,
    executed: Arc<AtomicU64>,
}

impl QueryThread {
    /// Start the thread over the history at `db` (`None`: `--no-store`, every answer is
    /// [`HistoryProblem::NoHistory`]). Answers go to `replies`.
    pub fn spawn(db: Option<PathBuf>, replies: mpsc::UnboundedSender<Reply>) -> QueryThread {
        let queue: Arc<LatestWins<QueryKind, HistoryQuery>> = Arc::default();
        let executed = Arc::new(AtomicU64::new(0));
        let (q, n) = (queue.clone(), executed.clone());
        let spawned = std::thread::Builder::new()
            .name("driftscope-queries".into())
            .spawn(move || {
                let mut reader = Reader { db, store: None };
                while let Some((_, query)) = q.take() {
                    n.fetch_add(1, Ordering::SeqCst);
                    let started = Instant::now();
                    let mut open = true;
                    let kind = query.kind();
                    let mut send = |answer: HistoryAnswer| {
                        open = open && replies.send(Reply::Msg(Msg::History(answer))).is_ok();
                        open && !q.waiting(&kind)
                    };
                    let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        reader.answer(query.clone(), &mut send)
                    }));
                    if answered.is_err() {
                        let _ = replies.send(Reply::Panicked);
                        return;
                    }
                    tracing::debug!(
                        "history query {:?} took {:?}",
                        query.kind(),
                        started.elapsed()
                    );
                    if !open {
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the history query thread: {e}");
        }
        QueryThread { queue, executed }
    }

    /// Ask; a request of the same kind still waiting is replaced.
    pub fn ask(&self, query: HistoryQuery) {
        self.queue.put(query.kind(), query);
    }

    /// How many queries have run (not counting the ones a newer request replaced).
    pub fn executed(&self) -> u64 {
        self.executed.load(Ordering::SeqCst)
    }
}

impl Drop for QueryThread {
    fn drop(&mut self) {
        tracing::info!("history queries run: {}", self.executed());
        self.queue.close();
    }
}

/// The thread's side: the path and the connection once open.
struct Reader {
    db: Option<PathBuf>,
    store: Option<Store>,
}

impl Reader {
    /// Answer `query` through `send` (once, or part by part for the latest state while
    /// `send` returns true).
    fn answer(&mut self, query: HistoryQuery, send: &mut dyn FnMut(HistoryAnswer) -> bool) {
        let result = match &query {
            HistoryQuery::Latest { env } => {
                let mut parts = |part: LatestPart| {
                    send(HistoryAnswer {
                        query: query.clone(),
                        result: Ok(HistoryData::Latest(Box::new(part))),
                    })
                };
                let streamed = self.store().map(|store| {
                    store.latest_state_in_parts(
                        env,
                        LatestOrder::WorstFirst,
                        LATEST_FIRST_ROWS,
                        LATEST_PART_ROWS,
                        &mut parts,
                    )
                });
                match streamed {
                    Ok(Ok(())) => return,
                    Ok(Err(e)) => Err(self.failed(e)),
                    Err(p) => Err(p),
                }
            }
            _ => self.run(&query),
        };
        send(HistoryAnswer { query, result });
    }

    /// The open connection (opened now if needed).
    fn store(&mut self) -> Result<&Store, HistoryProblem> {
        let Some(path) = &self.db else {
            return Err(HistoryProblem::NoHistory);
        };
        if self.store.is_none() {
            self.store = Some(Store::open_readonly(path).map_err(problem)?);
        }
        self.store.as_ref().ok_or(HistoryProblem::NoHistory)
    }

    /// A failed query: the connection is dropped (the file may have been replaced) unless
    /// it only did not find what was asked.
    fn failed(&mut self, e: StoreError) -> HistoryProblem {
        if !matches!(e, StoreError::NotFound(_)) {
            self.store = None;
        }
        problem(e)
    }

    fn run(&mut self, query: &HistoryQuery) -> Result<HistoryData, HistoryProblem> {
        let store = self.store()?;
        let result = match query {
            HistoryQuery::Latest { env } => Err(StoreError::NotFound(format!(
                "the latest state of {env} is answered in parts"
            ))),
            HistoryQuery::Drift { env } => drift_report(store, env).map(HistoryData::Drift),
            HistoryQuery::Runs { env } => store.runs(Some(env), RUNS_LISTED).map(HistoryData::Runs),
            HistoryQuery::RunResults { run } => store
                .run_results(run)
                .map(|(r, e)| HistoryData::RunResults(Box::new(r), e)),
            HistoryQuery::Diff { a, b } => store.diff(a, b).map(|d| HistoryData::Diff(Box::new(d))),
            HistoryQuery::Compare { env, other } => {
                compare_report(store, env, other).map(HistoryData::Compare)
            }
            HistoryQuery::Timeline { env, host, key } => store
                .timeline(Some(env), host, key, TIMELINE_RUNS)
                .map(|tl| HistoryData::Timeline(Box::new(tl), Utc::now())),
        };
        result.map_err(|e| self.failed(e))
    }
}

fn problem(e: StoreError) -> HistoryProblem {
    match e {
        StoreError::Missing { .. } => HistoryProblem::NoHistory,
        StoreError::NotFound(what) => HistoryProblem::NotStored(what),
        e => HistoryProblem::Unreadable(e.to_string()),
    }
}
