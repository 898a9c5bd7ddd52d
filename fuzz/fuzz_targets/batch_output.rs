//! The batch splitter and every module's output parser and evaluator behind it: whatever a
//! host sends back (garbled, cut short, hostile, forged frames), `ProbeScript::interpret`
//! returns one verdict per execution and never panics.
//!
//! Input: a first byte choosing the form. Even: the rest is the host's raw stdout. Odd: the
//! rest is split at 0xFF bytes into payloads, the k-th framed as the output of the k-th
//! section (the shared read included, by the script's own frame ids), so mutations reach
//! each module's parser directly.
#![no_main]

use driftscope::model::{CheckKind, ExecKey, Execution, ModuleKind, ProbeTarget, Severity};
use driftscope::model::Matcher;
use driftscope::probe::batch::ProbeScript;
use driftscope::probe::module;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const NONCE: &str = "fz";

fn subjects(kind: ModuleKind) -> &'static [&'static str] {
    match kind {
        ModuleKind::File | ModuleKind::Directory | ModuleKind::Mount => &["/etc/app.conf", "/", "/a b"],
        ModuleKind::Port => &["22", "udp/123", "tcp/[::1]:5432"],
        ModuleKind::Process => &["sshd", "args:^sleep"],
        ModuleKind::Sysctl => &["kernel.ostype", "net.core.somaxconn"],
        ModuleKind::Http => &["http://127.0.0.1:47080/", "https://h/x"],
        ModuleKind::Dns => &["localhost", "nonexistent.invalid"],
        ModuleKind::Addr => &["127.0.0.1:47090", "[::1]:22"],
        ModuleKind::Interface => &["lo", "eth0"],
        ModuleKind::Os => &["release"],
        ModuleKind::X509 => &["/srv/tls/app.pem", "/srv/tls/gone.pem"],
        ModuleKind::Command => &["echo hi", "id -u"],
        ModuleKind::Package => &["bash", "openssl:amd64"],
        ModuleKind::Service => &["ssh", "cron.service"],
        ModuleKind::SshdConfig => &["PermitRootLogin", "Ciphers"],
        ModuleKind::KernelModule => &["ext4", "usb_storage"],
        _ => &["root", "nobody"],
    }
}

/// One execution per (module, subject), wanting every attribute of its module.
fn executions() -> &'static (Vec<Execution>, ProbeScript, Vec<String>) {
    static PLAN: OnceLock<(Vec<Execution>, ProbeScript, Vec<String>)> = OnceLock::new();
    PLAN.get_or_init(|| {
        let mut ex = Vec::new();
        for kind in ModuleKind::ALL {
            for s in subjects(kind) {
                let expect = module(kind)
                    .attributes()
                    .iter()
                    .filter_map(|a| Some((a.to_string(), Matcher::parse(&"x".into()).ok()?)))
                    .collect();
                ex.push(Execution {
                    key: ExecKey(format!("{kind}.{s}")),
                    check_id: format!("fuzz.{kind}"),
                    title: "t".into(),
                    category: "fuzz".into(),
                    kind: CheckKind::Static,
                    severity: Severity::Medium,
                    target: ProbeTarget {
                        module: kind,
                        subject: s.to_string(),
                    },
                    expect,
                    sop: None,
                    timeout: None,
                    secret: None,
                    os_family: Vec::new(),
                });
            }
        }
        let script = ProbeScript::build_with_nonce(&ex, NONCE.into());
        let begin = format!("@@DS:{NONCE}:B:");
        let ids = script
            .text
            .split(&begin)
            .skip(1)
            .filter_map(|rest| rest.split('\\').next().map(str::to_string))
            .collect();
        (ex, script, ids)
    })
}

fuzz_target!(|data: &[u8]| {
    let (ex, script, ids) = executions();
    let Some((&form, rest)) = data.split_first() else {
        return;
    };
    let stdout = if form % 2 == 0 {
        rest.to_vec()
    } else {
        let mut out = b"@@PID 4242 4242\n".to_vec();
        for (k, payload) in rest.split(|b| *b == 0xff).enumerate() {
            let id = &ids[k % ids.len()];
            out.extend_from_slice(format!("\n@@DS:{NONCE}:B:{id}\n").as_bytes());
            out.extend_from_slice(payload);
            out.extend_from_slice(format!("\n@@DS:{NONCE}:E:{id}:0\n").as_bytes());
        }
        out
    };
    let verdicts = script.interpret(&stdout, ex);
    assert_eq!(verdicts.len(), ex.len());
});
