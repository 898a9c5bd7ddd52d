//! The blocking worker: everything that can wait runs here, never in the `select!` loop —
//! starting a run (planning, opening the history writer, which may wait for the busy
//! timeout), reading theme files, and history queries. Results come back as [`Reply`]s.
//!
//! Jobs that must all happen (start a run, load a theme) run in order on one thread. History
//! queries run on another ([`crate::tui::queries`]) through [`LatestWins`]: the newest
//! request of a kind replaces one not yet started, so holding `j` over 1000 rows asks for
//! many timelines but only the one under the cursor when the thread gets to it is read.

use super::app::{Msg, RunRequest};
use super::theme::Theme;
use crate::session::{RunSession, SessionConfig};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use tokio::sync::mpsc;

/// Work that must be done, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    StartRun(RunRequest),
    LoadTheme(String),
    /// Store an acknowledgement in the history (read-write; may wait the busy timeout).
    Acknowledge(crate::store::AckRequest),
}

/// What the worker sends back to the event loop.
pub enum Reply {
    /// A run started: its events are the loop's to consume.
    Started(Box<RunSession>),
    /// A message for the reducer.
    Msg(Msg),
    /// A job panicked (the panic hook has already restored the terminal and printed it).
    Panicked,
}

/// Newest-wins slots: one pending request per kind; a new one replaces the one waiting.
pub struct LatestWins<K, T> {
    state: Mutex<(VecDeque<(K, T)>, bool)>,
    ready: Condvar,
}

impl<K: PartialEq, T> Default for LatestWins<K, T> {
    fn default() -> Self {
        LatestWins {
            state: Mutex::new((VecDeque::new(), false)),
            ready: Condvar::new(),
        }
    }
}

impl<K: PartialEq, T> LatestWins<K, T> {
    /// Queue `item` under `kind`, replacing a request of the same kind still waiting.
    /// Returns whether one was replaced.
    pub fn put(&self, kind: K, item: T) -> bool {
        let Ok(mut st) = self.state.lock() else {
            return false;
        };
        let replaced = match st.0.iter_mut().find(|(k, _)| *k == kind) {
            Some(slot) => {
                slot.1 = item;
                true
            }
            None => {
                st.0.push_back((kind, item));
                false
            }
        };
        self.ready.notify_one();
        replaced
    }

    /// The oldest waiting request (blocks); `None` once closed and drained.
    pub fn take(&self) -> Option<(K, T)> {
        let mut st = self.state.lock().ok()?;
        loop {
            if let Some(item) = st.0.pop_front() {
                return Some(item);
            }
            if st.1 {
                return None;
            }
            st = self.ready.wait(st).ok()?;
        }
    }

    /// Whether a request of `kind` is waiting (a long answer delivered in parts stops
    /// when a newer request of its kind is waiting).
    pub fn waiting(&self, kind: &K) -> bool {
        self.state
            .lock()
            .is_ok_and(|st| st.0.iter().any(|(k, _)| k == kind))
    }

    /// No more requests: `take` returns `None` once the queue is empty.
    pub fn close(&self) {
        if let Ok(mut st) = self.state.lock() {
            st.1 = true;
            self.ready.notify_all();
        }
    }
}

/// The worker's handle, held by the event loop.
pub struct Worker {
    jobs: mpsc::UnboundedSender<Job>,
}

/// What the worker needs to start runs and load themes.
pub struct WorkerContext {
    pub session: SessionConfig,
    pub user_theme_dir: Option<PathBuf>,
    pub runtime: tokio::runtime::Handle,
}

impl Worker {
    /// Start the worker thread; replies go to `replies`.
    pub fn spawn(ctx: WorkerContext, replies: mpsc::UnboundedSender<Reply>) -> Worker {
        let (jobs, mut rx) = mpsc::unbounded_channel::<Job>();
        let ctx = Arc::new(ctx);
        let spawned = std::thread::Builder::new()
            .name("driftscope-worker".into())
            .spawn(move || {
                while let Some(job) = rx.blocking_recv() {
                    let ctx = ctx.clone();
                    let tx = replies.clone();
                    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        perform(job, &ctx, &tx)
                    }));
                    if done.is_err() {
                        let _ = replies.send(Reply::Panicked);
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the worker thread: {e}");
        }
        Worker { jobs }
    }

    pub fn submit(&self, job: Job) {
        let _ = self.jobs.send(job);
    }
}

fn perform(job: Job, ctx: &WorkerContext, tx: &mpsc::UnboundedSender<Reply>) {
    match job {
        Job::Acknowledge(req) => {
            let db = match &ctx.session.history {
                crate::session::History::BestEffort(p) | crate::session::History::Required(p) => {
                    Some(p)
                }
                crate::session::History::Off => None,
            };
            let result = match db {
                None => Err(
                    "acknowledgements live in the history, which is off (--no-store)".to_string(),
                ),
                Some(p) => crate::store::Store::open_existing(p)
                    .and_then(|s| s.acknowledge(&req))
                    .map_err(|e| e.to_string()),
            };
            let _ = tx.send(Reply::Msg(Msg::Acked(result)));
        }
        Job::LoadTheme(name) => {
            let msg = match Theme::resolve(Some(&name), ctx.user_theme_dir.as_deref()) {
                Ok(t) if super::theme::no_color_requested() => Msg::ThemeLoaded(t.without_color()),
                Ok(t) => Msg::ThemeLoaded(t),
                Err(e) => Msg::Status(e.to_string()),
            };
            let _ = tx.send(Reply::Msg(msg));
        }
        Job::StartRun(req) => {
            let planned = tx.clone();
            let on_host = Box::new(move |p: &crate::model::HostPlan| {
                let targets = p
                    .executions
                    .iter()
                    .map(|e| (e.key.clone(), e.target.clone()))
                    .collect();
                let _ = planned.send(Reply::Msg(Msg::Planned {
                    host: p.host.name.clone(),
                    targets,
                }));
            });
            match RunSession::start(&req, &ctx.session, &ctx.runtime, Some(on_host)) {
                Ok(session) => {
                    if let Some(w) = &session.salt_warning {
                        // never eprintln: the terminal is the TUI's
                        tracing::warn!("secret values hashed with a per-run salt: {w}");
                    }
                    if let Some(w) = &session.history_warning {
                        let _ = tx.send(Reply::Msg(Msg::Status(format!(
                            "history disabled for this run: {w}"
                        ))));
                    }
                    let _ = tx.send(Reply::Started(Box::new(session)));
                }
                Err(e) => {
                    let why = match e {
                        crate::session::SessionError::Plan(p) => {
                            format!("cannot plan the run: {p}")
                        }
                        e => e.to_string(),
                    };
                    let _ = tx.send(Reply::Msg(Msg::RunRejected(why)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_request_of_a_kind_replaces_the_waiting_one() {
        let q: LatestWins<&str, u32> = LatestWins::default();
        for i in 0..1000 {
            q.put("timeline", i);
        }
        q.put("runs", 7);
        q.close();
        assert_eq!(q.take(), Some(("timeline", 999)));
        assert_eq!(q.take(), Some(("runs", 7)));
        assert_eq!(q.take(), None);
    }
}
