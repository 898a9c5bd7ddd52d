//! `driftscope run`: load, plan, execute, and feed the event stream to the reporter and
//! the history writer. Exit: 0 all pass, 1 drift, 3 no fail but error / timeout /
//! unreachable / sudo_denied, 2 usage or config error, 130 cancelled (Ctrl-C).

use super::common::{ExecArgs, SelectArgs, SourceArgs, StoreArgs};
use crate::exec::{Event, execute_stream};
use crate::model::RunMeta;
use crate::report::{Format, HostResultCounts, reporter};
use crate::store::StoreWriter;
use clap::Args;
use std::io::{IsTerminal, Write};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    #[command(flatten)]
    pub select: SelectArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of stdout, atomically (a temporary file renamed
    /// into place when the run ends), e.g. node_exporter's textfile directory.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub exec: ExecArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Exit code of a cancelled run.
pub const EXIT_CANCELLED: i32 = 130;

/// Colors only on a terminal, never with NO_COLOR set (to anything non-empty).
fn want_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub fn run(args: RunArgs) -> i32 {
    let (loaded, selection) = match args.select.load_selected(&args.sources) {
        Ok(ls) => ls,
        Err(code) => return code,
    };
    // Hosts are expanded one at a time as the executor gets to them.
    let plans = match loaded.plan_lazily(&selection) {
        Ok(p) => p,
        Err(e) => return super::common::config_error(&e),
    };
    drop(loaded.environments);
    if plans.host_count() == 0 {
        eprintln!(
            "error: nothing to run: no check of the selection targets any selected host (see `driftscope checks`)"
        );
        return super::EXIT_USAGE;
    }
    let meta = RunMeta::begin(
        selection.scope(None),
        loaded.checkset_hash.clone(),
        plans.host_count(),
        plans.execution_count,
    );
    let expected: HostResultCounts = plans
        .host_counts()
        .map(|(h, n)| (h.to_string(), n))
        .collect();
    let host_names: Vec<String> = plans.host_counts().map(|(h, _)| h.to_string()).collect();

    let store = match args.store.db_path() {
        None => None,
        Some(path) => match StoreWriter::spawn(&path) {
            Ok(w) => {
                super::common::use_history_salt(&path);
                Some(w)
            }
            // A database the user named must work; the default one is best effort.
            Err(e) if args.store.db_named() => {
                eprintln!("error: --db: {e}");
                return super::EXIT_USAGE;
            }
            Err(e) => {
                eprintln!("warning: history not recorded: {e}");
                None
            }
        },
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return super::EXIT_USAGE;
        }
    };
    let transports = args.exec.transports();
    let opts = args.exec.options();
    let cancel = CancellationToken::new();
    let (tx, mut rx) = mpsc::channel::<Event>(1024);
    let on_signal = cancel.clone();
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
            // A second Ctrl-C while shutting down leaves at once.
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(EXIT_CANCELLED);
            }
        }
    });
    let run = runtime.spawn(execute_stream(
        meta,
        host_names,
        plans,
        transports.clone(),
        opts,
        tx,
        cancel.clone(),
    ));

    // This thread is the consumer: reporter and history writer see the same events.
    let output = match args
        .output
        .as_deref()
        .map(super::output_file::AtomicOutput::create)
    {
        None => None,
        Some(Ok(o)) => Some(o),
        Some(Err(e)) => {
            eprintln!("error: --output: {e}");
            return super::EXIT_USAGE;
        }
    };
    let stdout = std::io::stdout();
    let (out, color): (Box<dyn Write>, bool) = match &output {
        Some(o) => match o.writer() {
            Ok(f) => (
                Box::new(std::io::BufWriter::with_capacity(64 * 1024, f)),
                false,
            ),
            Err(e) => {
                eprintln!("error: --output: {e}");
                return super::EXIT_USAGE;
            }
        },
        None => (
            Box::new(std::io::BufWriter::with_capacity(64 * 1024, stdout.lock())),
            want_color(),
        ),
    };
    let mut report = reporter(args.format, out, expected, color);
    let mut report_error = None;
    while let Some(event) = rx.blocking_recv() {
        if let Some(w) = &store {
            w.send(&event);
        }
        if report_error.is_none()
            && let Err(e) = report.event(&event)
        {
            report_error = Some(e);
        }
    }
    drop(report);
    let (counts, cancelled) = match runtime.block_on(run) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: the executor stopped: {e}");
            return 3;
        }
    };
    runtime.block_on(transports.close());
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    if let Some(w) = store {
        match w.finish() {
            Ok(r) if r.results_lost > 0 => eprintln!(
                "warning: {} of {} results were not recorded in the history",
                r.results_lost,
                r.results_lost + r.results_written
            ),
            Ok(_) => {}
            Err(e) => eprintln!("warning: history not recorded: {e}"),
        }
    }
    if let Some(e) = &report_error
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: writing the report: {e}");
    }
    if let Some(o) = output {
        if report_error.is_some() {
            eprintln!(
                "error: --output: the report was not written completely; the previous file is left as it was"
            );
        } else if let Err(e) = o.commit() {
            eprintln!("error: --output: {e}");
        }
    }
    if cancelled {
        eprintln!("driftscope: run cancelled");
        EXIT_CANCELLED
    } else {
        counts.exit_code()
    }
}
