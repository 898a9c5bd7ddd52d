//! Runs: asking for one (first run, re-check of marked rows, re-run of the scope) and
//! applying the executor's events (run progress, host states, results replacing rows).

use super::{App, Effect, RunRequest, RunStatus};
use crate::config::Selection;
use crate::exec::Event;
use crate::model::{ExecKey, OutcomeCounts};
use crate::tui::rows::RowId;
use std::collections::BTreeSet;

impl App {
    pub(super) fn rerun(&mut self, fx: &mut Vec<Effect>) {
        let selection = Selection {
            environment: self.current_env().map(str::to_string),
            hosts: self
                .current_host()
                .map(str::to_string)
                .into_iter()
                .collect(),
            categories: self
                .current_category()
                .map(str::to_string)
                .into_iter()
                .collect(),
            checks: Vec::new(),
        };
        self.request_run(
            RunRequest {
                selection,
                only: None,
            },
            fx,
        );
    }

    /// Re-check the marked rows, else the row under the cursor.
    pub(super) fn recheck(&mut self, fx: &mut Vec<Effect>) {
        let mut ids: Vec<RowId> = self.table.marks.iter().copied().collect();
        if ids.is_empty() {
            ids.extend(self.selected());
        }
        ids.sort_unstable();
        let rows = &self.table.results;
        let Some(first) = ids.first().and_then(|i| rows.row(*i)) else {
            self.status = "nothing to re-check".into();
            return;
        };
        let env = first.environment.to_string();
        let mut hosts = BTreeSet::new();
        let mut checks = BTreeSet::new();
        let mut only = Vec::new();
        for id in &ids {
            let Some(row) = rows.row(*id) else {
                continue;
            };
            if row.environment != env {
                continue;
            }
            hosts.insert(row.host.to_string());
            checks.insert(row.check_id.to_string());
            only.push((row.host.to_string(), ExecKey(row.key.to_string())));
        }
        let selection = Selection {
            environment: Some(env),
            hosts: hosts.into_iter().collect(),
            categories: Vec::new(),
            checks: checks.into_iter().collect(),
        };
        if self.request_run(
            RunRequest {
                selection,
                only: Some(only),
            },
            fx,
        ) {
            self.table.marks.clear();
        }
    }

    pub(super) fn request_run(&mut self, req: RunRequest, fx: &mut Vec<Effect>) -> bool {
        if self.running() || self.header.pending {
            self.status = "a run is in progress (ctrl-c cancels it)".into();
            return false;
        }
        if req.selection.environment.is_none() {
            self.status = "no environment to run (no inventory loaded)".into();
            return false;
        }
        self.header.pending = true;
        // the loop's clock stands still between runs: the next tick starts this one's
        self.header.pending_since = None;
        self.status = match &req.only {
            Some(only) => format!("re-checking {} result(s)…", only.len()),
            None => "starting run…".into(),
        };
        fx.push(Effect::StartRun(req));
        true
    }

    pub(super) fn on_exec(&mut self, ev: Event) {
        match ev {
            Event::RunStarted(meta) => {
                self.header.pending = false;
                let number = self.header.run.as_ref().map_or(0, |r| r.number) + 1;
                self.header.run = Some(RunStatus {
                    run_id: meta.id.clone(),
                    scope: meta.scope.clone(),
                    started: self.now,
                    started_at: meta.started_at,
                    took: None,
                    ended: None,
                    hosts_total: meta.host_count,
                    hosts_done: 0,
                    executions: meta.execution_count,
                    results: 0,
                    counts: OutcomeCounts::default(),
                    cancel_requested: false,
                    cancelled: false,
                    changed: 0,
                    number,
                });
                self.status = format!("running {}", meta.scope.describe());
            }
            Event::HostState { host, phase } => {
                let Some(run) = &mut self.header.run else {
                    return;
                };
                if self.hosts.set_phase(&run.scope.environment, host, phase) {
                    run.hosts_done = (run.hosts_done + 1).min(run.hosts_total);
                }
            }
            Event::CheckResult(rec) => {
                let outcome = rec.outcome;
                if let Some(run) = &mut self.header.run {
                    run.results += 1;
                    run.counts.add(outcome);
                }
                let old = self.live_table().upsert(&rec);
                if let (Some(run), Some(was)) = (&mut self.header.run, old)
                    && was != outcome
                {
                    run.changed += 1;
                }
                self.hosts.record(&rec.environment, &rec.host, old, outcome);
                self.categories
                    .record(&rec.environment, &rec.category, old, outcome);
            }
            Event::RunFinished {
                counts,
                cancelled,
                finished_at,
                ..
            } => {
                self.header.pending = false;
                if let Some(run) = &mut self.header.run {
                    run.ended = Some(self.now);
                    run.took = (finished_at - run.started_at).to_std().ok();
                    run.counts = counts;
                    run.cancelled = cancelled;
                    let took = crate::model::human_duration(run.elapsed(self.now));
                    // Which run, when, and what it changed: a re-run (`R`) whose counts
                    // are the same as before still shows that it happened.
                    let what = format!(
                        " · #{} {}{}",
                        run.number,
                        finished_at.format("%H:%M:%S"),
                        match run.changed {
                            0 => String::new(),
                            n => format!(" · {n} changed"),
                        }
                    );
                    self.status = if cancelled {
                        format!("run cancelled after {took}: {}{what}", counts.summary())
                    } else {
                        format!("run finished in {took}: {}{what}", counts.summary())
                    };
                }
            }
        }
    }
}
