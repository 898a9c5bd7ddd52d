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
//!
//! - [`queue`]: the bounded hand-over queue between the executor and the writer thread.
//! - [`batching`]: the writer thread's loop: batches, commits, lock retries, losses.
//! - [`ingest`]: one batch written in one transaction (runs, results, counts).
//! - [`intern`]: environments, hosts, checks and values interned to small ids.

mod batching;
mod ingest;
mod intern;
mod queue;

use super::packed::Msg;
use super::schema::{self, OpenMode};
use super::{DEFAULT_BUSY_TIMEOUT, StoreError};
use crate::exec::Event;
use batching::Writer;
use ingest::WriterState;
use queue::Queue;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

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
