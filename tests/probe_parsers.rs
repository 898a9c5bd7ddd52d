//! No module parser panics on any output: arbitrary bytes, and every prefix of a real captured
//! output (a host that died mid-probe, also inside the shared read that follows a `@@READS`
//! line), and the framing lines of every module in any order. Each always returns one
//! observation per subject.

use driftscope::model::ModuleKind;
use driftscope::probe::{Probe, module};
use proptest::prelude::*;

fn probes(kind: ModuleKind) -> Vec<Probe> {
    let subjects: &[&str] = match kind {
        ModuleKind::File | ModuleKind::Directory | ModuleKind::Mount => {
            &["/tmp/ds-fixture/app.conf", "/", "/a b"]
        }
        ModuleKind::Port => &["22", "udp/123", "tcp/[::1]:5432"],
        ModuleKind::Process => &["sshd", "args:^sleep"],
        ModuleKind::Sysctl => &["kernel.ostype", "net.core.somaxconn"],
        ModuleKind::Http => &["http://127.0.0.1:47080/", "http://127.0.0.1:47080/missing"],
        ModuleKind::Dns => &["localhost", "nonexistent.invalid", "dual.test"],
        ModuleKind::Addr => &["127.0.0.1:47090", "127.0.0.1:47091"],
        ModuleKind::Interface => &["lo", "eth0", "wlan9"],
        ModuleKind::Os => &["release"],
        ModuleKind::X509 => &["/srv/tls/app.pem", "/srv/tls/gone.pem"],
        _ => &["root", "bash", "PermitRootLogin"],
    };
    let all = module(kind).attributes();
    subjects.iter().map(|s| Probe::new(s, all)).collect()
}

fn fixtures() -> Vec<(ModuleKind, &'static [u8])> {
    vec![
        (
            ModuleKind::Package,
            &include_bytes!("../src/probe/testdata/package/dpkg.out")[..],
        ),
        (
            ModuleKind::File,
            &include_bytes!("../src/probe/testdata/file/root.out")[..],
        ),
        (
            ModuleKind::Directory,
            &include_bytes!("../src/probe/testdata/directory/nobody.out")[..],
        ),
        (
            ModuleKind::User,
            &include_bytes!("../src/probe/testdata/user/getent.out")[..],
        ),
        (
            ModuleKind::Group,
            &include_bytes!("../src/probe/testdata/group/getent.out")[..],
        ),
        (
            ModuleKind::Mount,
            &include_bytes!("../src/probe/testdata/mount/mounts.out")[..],
        ),
        (
            ModuleKind::KernelModule,
            &include_bytes!("../src/probe/testdata/kernel_module/sys-only.out")[..],
        ),
        (
            ModuleKind::Port,
            &include_bytes!("../src/probe/testdata/port/ss.out")[..],
        ),
        (
            ModuleKind::Port,
            &include_bytes!("../src/probe/testdata/port/proc-net.out")[..],
        ),
        (
            ModuleKind::Process,
            &include_bytes!("../src/probe/testdata/process/ps.out")[..],
        ),
        (
            ModuleKind::Process,
            &include_bytes!("../src/probe/testdata/process/proc.out")[..],
        ),
        (
            ModuleKind::Process,
            &include_bytes!("../src/probe/testdata/process/proc-users.out")[..],
        ),
        (
            ModuleKind::Service,
            &include_bytes!("../src/probe/testdata/service/systemctl-show.out")[..],
        ),
        (
            ModuleKind::Command,
            &include_bytes!("../src/probe/testdata/command/nobody.out")[..],
        ),
        (
            ModuleKind::SshdConfig,
            &include_bytes!("../src/probe/testdata/sshd_config/fallback.out")[..],
        ),
        (
            ModuleKind::SshdConfig,
            &include_bytes!("../src/probe/testdata/sshd_config/sshd-T.out")[..],
        ),
        (
            ModuleKind::Sysctl,
            &include_bytes!("../src/probe/testdata/sysctl/proc-sys.out")[..],
        ),
        (
            ModuleKind::Http,
            &include_bytes!("../src/probe/testdata/http/curl.out")[..],
        ),
        (
            ModuleKind::Http,
            &include_bytes!("../src/probe/testdata/http/wget.out")[..],
        ),
        (
            ModuleKind::Dns,
            &include_bytes!("../src/probe/testdata/dns/getent.out")[..],
        ),
        (
            ModuleKind::Addr,
            &include_bytes!("../src/probe/testdata/addr/tcp.out")[..],
        ),
        (
            ModuleKind::Interface,
            &include_bytes!("../src/probe/testdata/interface/ip-addr.out")[..],
        ),
        (
            ModuleKind::Os,
            &include_bytes!("../src/probe/testdata/os/debian12.out")[..],
        ),
        (
            ModuleKind::Os,
            &include_bytes!("../src/probe/testdata/os/rocky9.out")[..],
        ),
        (
            ModuleKind::X509,
            &include_bytes!("../src/probe/testdata/x509/pem.out")[..],
        ),
    ]
}

#[test]
fn every_prefix_of_real_output_parses() {
    for (kind, out) in fixtures() {
        let p = probes(kind);
        let step = (out.len() / 400).max(1);
        for cut in (0..=out.len()).step_by(step) {
            let obs = module(kind).parse(&out[..cut], &p);
            assert_eq!(obs.len(), p.len(), "{kind} cut at {cut}");
        }
    }
}

/// The lines fragments frame their output with, plus a few of each module's data lines:
/// shuffled, repeated or missing, they are what a garbled or hostile output looks like to a
/// parser that searches for markers.
const MARKER_LINES: &[&str] = &[
    "@@RC 0",
    "@@RC 1",
    "@@RC 2",
    "@@RC 127",
    "@@PS",
    "@@PROC",
    "@@UID",
    "@@SELF 1",
    "@@END",
    "@@STAT",
    "@@STATL",
    "@@SHA",
    "@@TOOL dpkg",
    "@@TOOL dpkg-status",
    "@@TOOL rpm",
    "@@NA x",
    "@@SS",
    "@@SSRC 0",
    "@@T",
    "@@TRC 0",
    "@@NOSSHD",
    "@@READS",
    "@@READEND",
    "@@READCAP",
    "@@IP",
    "@@IPRC 0",
    "@@IPRC none",
    "@D 0 0",
    "@D 1 2",
    "@A 0 0",
    "@A 1 124",
    "@0 missing",
    "@1 denied",
    "HTTP/1.1 200 OK",
    "@0 E",
    "@0 M",
    "@1 R",
    "@0 missing",
    "@C 0 0 3",
    "@E 0 0",
    "/proc/1/status:Uid:\t0\t0\t0\t0",
    "/proc/1/comm\x001:sshd",
    "/etc/passwd\x001:root:x:0:0::/root:/bin/sh",
    "/proc/sys/kernel/ostype\x001:Linux",
    "    1 root                             sshd             sshd",
    "root:x:0:0:root:/root:/bin/bash",
    "tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:*",
    "",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn markers_in_any_order_never_panic(picks in prop::collection::vec(0usize..MARKER_LINES.len(), 0..40)) {
        let out: Vec<u8> = picks
            .iter()
            .flat_map(|i| format!("{}\n", MARKER_LINES[*i]).into_bytes())
            .collect();
        for kind in ModuleKind::ALL {
            let p = probes(kind);
            prop_assert_eq!(module(kind).parse(&out, &p).len(), p.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), seed in 0usize..1000) {
        for kind in ModuleKind::ALL {
            let p = probes(kind);
            prop_assert_eq!(module(kind).parse(&bytes, &p).len(), p.len());
            // Also a real fixture with garbage spliced in.
            let fx = fixtures();
            let (_, out) = fx[seed % fx.len()];
            let at = seed % (out.len() + 1);
            let mut spliced = out[..at].to_vec();
            spliced.extend_from_slice(&bytes);
            spliced.extend_from_slice(&out[at..]);
            prop_assert_eq!(module(kind).parse(&spliced, &p).len(), p.len());
        }
    }
}
