//! The bounded hand-over queue between the executor and the writer thread.

use super::super::packed::Msg;
use std::sync::{Condvar, Mutex};
use std::time::Instant;

/// A bounded hand-over queue between the executor and the writer thread. Unlike a channel,
/// the writer takes everything queued in one lock, so a busy run costs one lock per chunk of
/// events rather than a wake-up per event.
pub(super) struct Queue {
    pub(super) state: Mutex<QueueState>,
    pub(super) not_empty: Condvar,
    pub(super) not_full: Condvar,
    pub(super) capacity: usize,
}

pub(super) struct QueueState {
    pub(super) events: Vec<Msg>,
    pub(super) closed: bool,
}

pub(super) enum Take {
    Events(Vec<Msg>),
    Timeout,
    Closed,
}

impl Queue {
    pub(super) fn new(capacity: usize) -> Queue {
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
    pub(super) fn push(&self, ev: Msg) -> Result<(), Msg> {
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
    pub(super) fn take(&self, deadline: Option<Instant>, spare: Vec<Msg>) -> Take {
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
    pub(super) fn close(&self) {
        if let Ok(mut st) = self.state.lock() {
            st.closed = true;
        }
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }
}
