//! `driftscope run`: load, start a run session (plan, history, executor) and feed its event
//! stream to the reporter. Exit: 0 all pass, 1 drift, 3 no fail but error / timeout /
//! unreachable / sudo_denied, 2 usage or config error, 130 cancelled (Ctrl-C).
//! Failures acknowledged in the history (`driftscope ack`) do not make it 1 unless
//! `--strict`.

use super::common::{ExecArgs, SelectArgs, SourceArgs, StoreArgs};
use crate::report::{Format, HostResultCounts, ReportAcks, reporter};
use crate::session::{History, RunRequest, RunSession, SessionConfig, SessionError};
use clap::Args;
use std::io::{IsTerminal, Write};
use std::sync::Arc;

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
    /// No progress line on stderr (it is shown only when stderr is a terminal).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Acknowledged failures (`driftscope ack`) count as failures for the exit code (they
    /// are shown as acknowledged either way).
    #[arg(long)]
    pub strict: bool,
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
    let acks = load_acks(args.store.db_path().as_deref(), args.strict);
    let history = match (args.store.db_path(), args.store.db_named()) {
        (None, _) => History::Off,
        // A database the user named must work; the default one is best effort.
        (Some(p), true) => History::Required(p),
        (Some(p), false) => History::BestEffort(p),
    };
    // Said only when nothing runs; cheap, and `loaded` moves into the session below.
    let no_host_hint = crate::config::missing_tag_hint(&loaded);
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
    // A report file that cannot be created is a usage error before anything runs.
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
    let transports = args.exec.transports();
    let config = SessionConfig {
        planner: Arc::new(loaded),
        transports: transports.clone(),
        exec: args.exec.options(),
        history,
    };
    let req = RunRequest {
        selection,
        only: None,
    };
    let mut session = match RunSession::start(&req, &config, runtime.handle(), None) {
        Ok(s) => s,
        Err(SessionError::Empty) => {
            eprintln!(
                "error: nothing to run: no check of the selection targets any selected host (see `driftscope checks`){no_host_hint}"
            );
            return super::EXIT_USAGE;
        }
        // a planning error is a configuration error (file:line:col)
        Err(e) => {
            eprintln!("error: {e}");
            return super::EXIT_USAGE;
        }
    };
    drop(config);
    if let Some(w) = &session.history_warning {
        eprintln!("warning: history not recorded: {w}");
    }
    if let Some(w) = &session.salt_warning {
        eprintln!(
            "warning: secret values are hashed with a per-run salt (cannot keep the history's salt: {w})"
        );
    }
    let expected: HostResultCounts = session.hosts.iter().cloned().collect();
    let on_signal = session.cancel_token();
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
            // A second Ctrl-C while shutting down leaves at once.
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(EXIT_CANCELLED);
            }
        }
    });

    // This thread is the front end: the session has already handed each event to the
    // history when it returns it.
    let mut progress = super::progress::RunProgress::start(session.hosts.len(), args.quiet);
    let stdout = match &progress {
        Some(p) => p.report_writer(std::io::stdout().lock()),
        None => super::progress::ReportWriter::plain(std::io::stdout().lock()),
    };
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
            Box::new(std::io::BufWriter::with_capacity(64 * 1024, stdout)),
            want_color(),
        ),
    };
    let mut report = reporter(args.format, out, expected, color, acks.clone());
    let mut report_error = None;
    let mut acks = acks;
    while let Some(event) = session.blocking_next() {
        if let crate::exec::Event::CheckResult(rec) = &event {
            acks.note(rec);
        }
        if let Some(p) = &mut progress {
            p.event(&event);
        }
        if report_error.is_none()
            && let Err(e) = report.event(&event)
        {
            report_error = Some(e);
        }
    }
    drop(report);
    if let Some(p) = progress {
        p.finish();
    }
    let end = session.finish(runtime.handle(), std::time::Duration::from_secs(30));
    runtime.block_on(transports.close());
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    if let Some(e) = &end.executor_error {
        eprintln!("error: the executor stopped: {e}");
        return 3;
    }
    if let Some(w) = end.history_problem() {
        eprintln!("warning: {w}");
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
    if end.cancelled {
        eprintln!("driftscope: run cancelled");
        EXIT_CANCELLED
    } else {
        acks.exit_code(&end.counts, false)
    }
}

/// The active acknowledgements of the history at `db` (none without a history, or with a
/// warning when it cannot be read: then every failure counts).
fn load_acks(db: Option<&std::path::Path>, strict: bool) -> ReportAcks {
    let book = match db.filter(|p| p.exists()) {
        None => Default::default(),
        Some(p) => match crate::store::Store::open_existing(p).and_then(|s| s.active_acks(None)) {
            Ok(list) => crate::model::AckBook::new(list),
            Err(e) => {
                eprintln!("warning: acknowledgements not read (every failure counts): {e}");
                Default::default()
            }
        },
    };
    ReportAcks::new(Arc::new(book), strict)
}
