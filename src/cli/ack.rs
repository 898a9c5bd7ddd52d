//! `driftscope ack HOST CHECK --reason … [--expires …]`, `driftscope acks [ENV] [--all]` and
//! `driftscope unack HOST CHECK`: acknowledging a known drift in the history. Bad input (no
//! reason, an expiry in the past, an unknown host or check, a check that is not failing) is
//! exit 2 with nothing stored.

use super::history::{Format, StoreOpts, fail, out, print_json, print_table};
use crate::model::{ack_reason, os_user, parse_expiry, utc_minutes};
use crate::store::{AckRequest, AckState};
use clap::Args;
use clap_complete::ArgValueCandidates;

#[derive(Debug, Args)]
pub struct AckArgs {
    /// Host (inventory name).
    #[arg(value_name = "HOST", add = ArgValueCandidates::new(super::completions::host_names))]
    pub host: String,
    /// Check key (`ssh.sshd-option[option=PermitRootLogin,value=no]`) or a check id with a
    /// single execution.
    #[arg(value_name = "CHECK", add = ArgValueCandidates::new(super::completions::check_ids))]
    pub check: String,
    /// Why this drift is known and owned (required).
    #[arg(long, short = 'm', value_name = "TEXT")]
    pub reason: String,
    /// When the acknowledgement ends: a duration (`3d`, `12h`, `2w`) or a UTC date
    /// (`2026-12-24`, `2026-12-24T18:00`) [default: 7d].
    #[arg(long, value_name = "WHEN", default_value = "7d")]
    pub expires: String,
    /// Environment, when the host name exists in several.
    #[arg(long, short = 'e', value_name = "ENV", add = ArgValueCandidates::new(super::completions::env_names))]
    pub env: Option<String>,
    #[command(flatten)]
    pub store: StoreOpts,
}

#[derive(Debug, Args)]
pub struct AcksArgs {
    /// Environment [default: every environment].
    #[arg(value_name = "ENV", add = ArgValueCandidates::new(super::completions::env_names))]
    pub env: Option<String>,
    /// Also list expired, lapsed and removed acknowledgements, with why.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub store: StoreOpts,
}

#[derive(Debug, Args)]
pub struct UnackArgs {
    /// Host (inventory name).
    #[arg(value_name = "HOST", add = ArgValueCandidates::new(super::completions::host_names))]
    pub host: String,
    /// Check key or a check id with a single execution.
    #[arg(value_name = "CHECK", add = ArgValueCandidates::new(super::completions::check_ids))]
    pub check: String,
    /// Environment, when the host name exists in several.
    #[arg(long, short = 'e', value_name = "ENV", add = ArgValueCandidates::new(super::completions::env_names))]
    pub env: Option<String>,
    #[command(flatten)]
    pub store: StoreOpts,
}

pub fn ack(args: AckArgs) -> i32 {
    // Input first: nothing is opened or stored when it is wrong.
    let reason = match ack_reason(&args.reason) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let expires_at = match parse_expiry(&args.expires, chrono::Utc::now()) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let store = match args.store.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let req = AckRequest {
        env: args.env.clone(),
        host: args.host.clone(),
        check: args.check.clone(),
        reason,
        expires_at,
        user: os_user(),
        actual: None,
    };
    let ack = match store.acknowledge(&req) {
        Ok(a) => a,
        Err(e) => return fail(&e),
    };
    if args.store.format == Format::Json {
        return print_json(&ack);
    }
    out!(
        "acknowledged {} × {} ({}) until {}",
        ack.host,
        ack.key,
        ack.environment,
        utc_minutes(ack.expires_at)
    );
    out!("value:  {}", crate::report::attrs_inline(&ack.actual));
    out!("reason: {}", ack.reason);
    out!("it lapses when it expires or when the observed value changes");
    0
}

pub fn acks(args: AcksArgs) -> i32 {
    let store = match args.store.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let list = match store.acknowledgements(args.env.as_deref(), args.all) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    if args.store.format == Format::Json {
        return print_json(&list);
    }
    if list.is_empty() {
        out!(
            "no {}acknowledgements{}",
            if args.all { "" } else { "active " },
            if args.all {
                ""
            } else {
                " (--all lists expired and lapsed ones)"
            }
        );
        return 0;
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            let why = match &s.state {
                AckState::Active => s.ack.reason.clone(),
                AckState::Expired => format!("expired · {}", s.ack.reason),
                AckState::Lapsed { why } => why.clone(),
                AckState::Removed { by, at } => {
                    format!("removed by {by} at {}", utc_minutes(*at))
                }
            };
            vec![
                s.state.label().to_string(),
                s.ack.environment.clone(),
                s.ack.host.clone(),
                s.ack.key.clone(),
                s.ack.user.clone(),
                utc_minutes(s.ack.expires_at),
                why,
            ]
        })
        .collect();
    print_table(
        &[
            "STATE",
            "ENV",
            "HOST",
            "CHECK",
            "BY",
            "EXPIRES",
            "REASON / WHY",
        ],
        &rows,
    );
    0
}

pub fn unack(args: UnackArgs) -> i32 {
    let store = match args.store.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    match store.unacknowledge(args.env.as_deref(), &args.host, &args.check, &os_user()) {
        Ok(a) => {
            out!(
                "removed the acknowledgement of {} × {} ({}): {}",
                a.host,
                a.key,
                a.environment,
                a.reason
            );
            0
        }
        Err(e) => fail(&e),
    }
}
