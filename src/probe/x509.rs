//! x509: a PEM certificate file on the host — `exists`, `valid` (not_before ≤ now <
//! not_after), `not_before`, `not_after` (RFC 3339, UTC), `days_left` (whole days until
//! not_after, negative once expired), `subject`, `issuer` (RFC 4514 form: `CN=…, O=…`) and
//! `sans` (DNS names, IP addresses, e-mails and URIs of the subjectAltName, bare). The subject
//! is an absolute path; the first `CERTIFICATE` block of the file is the one checked (a
//! chain file lists the leaf first).
//!
//! The file comes through the host's shared read ([`super::reads`]) and is parsed here with
//! the `x509-parser` crate: no `openssl` process per certificate. Shell builtins classify
//! each path (missing, unreadable). Programs run on the host: none.
//!
//! `valid` and `days_left` are computed when the output is parsed (seconds after the probe
//! ran), against this machine's clock.

use super::quote::sh_quote;
use super::{Attributes, Module, Observation, Probe, Programs, Read, Reads};
use crate::model::{ModuleKind, Value};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

pub struct X509;

/// Programs this module runs on the host (the shared read's `grep` aside).
pub const PROGRAMS: &[&str] = &[];

fn rfc3339(ts: i64) -> Value {
    chrono::DateTime::from_timestamp(ts, 0).map_or(Value::Null, |d| {
        Value::String(d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    })
}

fn san_text(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(s) | GeneralName::RFC822Name(s) | GeneralName::URI(s) => {
            Some(s.to_string())
        }
        GeneralName::IPAddress(b) => match b.len() {
            4 => <[u8; 4]>::try_from(*b)
                .ok()
                .map(|a| std::net::Ipv4Addr::from(a).to_string()),
            16 => <[u8; 16]>::try_from(*b)
                .ok()
                .map(|a| std::net::Ipv6Addr::from(a).to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// The attributes of the first certificate in PEM text, as of `now` (unix seconds).
pub(crate) fn certificate_attributes(pem_text: &[u8], now: i64) -> Result<Attributes, String> {
    let pem = x509_parser::pem::Pem::iter_from_buffer(pem_text)
        .filter_map(Result::ok)
        .find(|p| p.label == "CERTIFICATE")
        .ok_or("no PEM CERTIFICATE block in the file (expected -----BEGIN CERTIFICATE-----)")?;
    let (_, cert) = X509Certificate::from_der(&pem.contents)
        .map_err(|e| format!("the certificate does not parse: {e}"))?;
    let v = cert.validity();
    let (nb, na) = (v.not_before.timestamp(), v.not_after.timestamp());
    let sans: Vec<Value> = match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext
            .value
            .general_names
            .iter()
            .filter_map(san_text)
            .map(Value::String)
            .collect(),
        _ => Vec::new(),
    };
    let mut a = Attributes::new();
    a.insert("exists".into(), Value::Bool(true));
    a.insert("valid".into(), Value::Bool(nb <= now && now < na));
    a.insert("not_before".into(), rfc3339(nb));
    a.insert("not_after".into(), rfc3339(na));
    a.insert(
        "days_left".into(),
        Value::from((na - now).div_euclid(86_400)),
    );
    a.insert("subject".into(), Value::String(cert.subject().to_string()));
    a.insert("issuer".into(), Value::String(cert.issuer().to_string()));
    a.insert("sans".into(), Value::Array(sans));
    Ok(a)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Module for X509 {
    fn kind(&self) -> ModuleKind {
        ModuleKind::X509
    }
    fn programs(&self) -> Programs {
        Programs::Only(PROGRAMS)
    }
    fn attributes(&self) -> &'static [&'static str] {
        &[
            "exists",
            "valid",
            "not_before",
            "not_after",
            "days_left",
            "subject",
            "issuer",
            "sans",
        ]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("valid", Value::Bool(true))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        if !subject.starts_with('/') {
            return Err(format!(
                "not an absolute path: {subject:?} (expected the PEM file, e.g. /etc/ssl/certs/site.pem)"
            ));
        }
        Ok(())
    }
    fn cost(&self, _probes: &[Probe]) -> u32 {
        0
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let mut s = String::new();
        for (i, probe) in probes.iter().enumerate() {
            let p = sh_quote(&probe.subject);
            s.push_str(&format!(
                "if ! [ -r {p} ]; then if [ -e {p} ]; then echo '@{i} denied'; else echo '@{i} missing'; fi; fi\n"
            ));
        }
        s.push_str("echo '@@END'");
        s
    }
    fn reads(&self, probes: &[Probe]) -> Vec<Read> {
        probes
            .iter()
            .map(|p| Read::Content(p.subject.clone()))
            .collect()
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], reads: &Reads) -> Vec<Observation> {
        self.parse_at(output, probes, reads, now())
    }
}

impl X509 {
    fn parse_at(
        &self,
        output: &[u8],
        probes: &[Probe],
        reads: &Reads,
        now: i64,
    ) -> Vec<Observation> {
        if !super::lossy_lines(output).iter().any(|l| l == "@@END") {
            return vec![Observation::Error("x509 probe output cut short".into()); probes.len()];
        }
        let mut status: Vec<Option<String>> = vec![None; probes.len()];
        for (i, s, _) in super::tagged_lines(output, probes.len()) {
            status[i] = Some(s);
        }
        probes
            .iter()
            .zip(status)
            .map(|(probe, status)| match status.as_deref() {
                Some("missing") => {
                    let mut a = Attributes::new();
                    a.insert("exists".into(), Value::Bool(false));
                    a.insert("valid".into(), Value::Bool(false));
                    Observation::Observed(a)
                }
                Some(_) => Observation::Error(format!(
                    "permission denied reading {} (run with become = true?)",
                    probe.subject
                )),
                None => match reads.lines(&probe.subject) {
                    None if !reads.complete() => Observation::Error(format!(
                        "{} was not read (output cut short)",
                        probe.subject
                    )),
                    None => Observation::Error(format!("{} is empty", probe.subject)),
                    Some(lines) => {
                        let text: Vec<u8> = lines
                            .iter()
                            .flat_map(|(_, l)| l.iter().copied().chain([b'\n']))
                            .collect();
                        match certificate_attributes(&text, now) {
                            Ok(a) => Observation::Observed(a),
                            Err(e) => Observation::Error(format!("{}: {e}", probe.subject)),
                        }
                    }
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_real_certificate_its_dates_names_and_expiry() {
        // Captured: the shared read of a certificate made with
        // `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 30
        //  -subj /CN=app.example.test/O=driftscope -addext subjectAltName=DNS:app.example.test,IP:127.0.0.1`,
        // a missing path, and a file that is not a certificate.
        let out = include_bytes!("testdata/x509/pem.out");
        let p: Vec<Probe> = ["/srv/tls/app.pem", "/srv/tls/gone.pem", "/etc/hostname"]
            .iter()
            .map(|s| Probe::new(s, &["valid"]))
            .collect();
        let (own, reads) = crate::probe::reads::split_capture(out);
        let a = X509.parse_at(own, &p, &reads, 0);
        let nb = crate::probe::observed_attr(&a, 0, "not_before");
        let nb = chrono::DateTime::parse_from_rfc3339(nb.as_str().unwrap())
            .unwrap()
            .timestamp();
        let at = |t: i64| X509.parse_at(own, &p, &reads, t);
        let get = |o: &[Observation], a: &str| crate::probe::observed_attr(o, 0, a);
        let fresh = at(nb + 1);
        assert_eq!(get(&fresh, "valid"), json!(true));
        assert_eq!(
            get(&fresh, "days_left"),
            json!(29),
            "30 days minus one second"
        );
        assert!(
            get(&fresh, "subject")
                .as_str()
                .unwrap()
                .contains("CN=app.example.test")
        );
        assert_eq!(
            get(&fresh, "sans"),
            json!(["app.example.test", "127.0.0.1"])
        );
        assert_eq!(get(&fresh, "issuer"), get(&fresh, "subject"), "self-signed");
        let expired = at(nb + 31 * 86_400);
        assert_eq!(get(&expired, "valid"), json!(false));
        assert_eq!(get(&expired, "days_left"), json!(-1));
        assert_eq!(get(&at(nb - 10), "valid"), json!(false), "not yet valid");
        assert_eq!(
            crate::probe::observed_attr(&fresh, 1, "exists"),
            json!(false)
        );
        assert!(matches!(&fresh[2], Observation::Error(e) if e.contains("no PEM CERTIFICATE")));
    }

    #[test]
    fn contract_no_process_and_path_subjects() {
        crate::probe::test_support::assert_contract(
            ModuleKind::X509,
            Programs::Only(&[]),
            &[
                "exists",
                "valid",
                "not_before",
                "not_after",
                "days_left",
                "subject",
                "issuer",
                "sans",
            ],
            ("valid", Value::Bool(true)),
        );
        assert_eq!(
            X509.cost(&[Probe::new("/a.pem", &["valid"])]),
            0,
            "builtins only"
        );
        assert!(X509.validate_subject("/etc/ssl/a.pem").is_ok());
        let e = X509.validate_subject("a.pem").unwrap_err();
        assert!(e.contains("not an absolute path"), "{e}");
    }

    /// DNS names, IPv4 and IPv6 addresses, e-mails and URIs are shown bare, in the
    /// certificate's order; a directory name is not shown. Valid up to, not at, not_after.
    #[test]
    fn every_kind_of_subject_alt_name_and_the_expiry_instant() {
        let pem = include_bytes!("testdata/x509/sans.pem");
        let a = certificate_attributes(pem, 0).unwrap();
        assert_eq!(
            a["sans"],
            json!([
                "sans.example.test",
                "192.0.2.7",
                "2001:db8::7",
                "ops@example.test",
                "https://sans.example.test/"
            ])
        );
        assert_eq!(a["subject"], json!("CN=sans.example.test, O=driftscope"));
        let na = chrono::DateTime::parse_from_rfc3339(a["not_after"].as_str().unwrap())
            .unwrap()
            .timestamp();
        let last = certificate_attributes(pem, na - 1).unwrap();
        assert_eq!(
            (&last["valid"], &last["days_left"]),
            (&json!(true), &json!(0))
        );
        let at = certificate_attributes(pem, na).unwrap();
        assert_eq!((&at["valid"], &at["days_left"]), (&json!(false), &json!(0)));
        assert_eq!(
            certificate_attributes(pem, na + 1).unwrap()["days_left"],
            json!(-1)
        );
    }

    /// The real fragment and shared read on files this test writes; `days_left` counts from
    /// this machine's clock.
    #[test]
    fn certificates_this_test_wrote_are_read_by_the_real_probe() {
        use crate::model::Outcome;
        use crate::probe::test_support::{exec, run_here};
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let pem = format!("{d}/site.pem");
        std::fs::write(&pem, include_bytes!("testdata/x509/sans.pem")).unwrap();
        std::fs::write(format!("{d}/empty.pem"), b"").unwrap();
        let x =
            |path: String, attr: &str, want: Value| exec(ModuleKind::X509, &path, &[(attr, want)]);
        let days = |t: i64| {
            let na = certificate_attributes(include_bytes!("testdata/x509/sans.pem"), 0).unwrap()
                ["not_after"]
                .clone();
            let na = chrono::DateTime::parse_from_rfc3339(na.as_str().unwrap()).unwrap();
            (na.timestamp() - t).div_euclid(86_400)
        };
        let before = days(chrono::Utc::now().timestamp());
        let v = run_here(&[
            x(pem.clone(), "sans", json!({"contains": ["2001:db8::7"]})),
            x(pem, "days_left", json!({"gt": 0})),
            x(format!("{d}/gone.pem"), "exists", json!(false)),
            x(format!("{d}/empty.pem"), "exists", json!(true)),
        ]);
        let after = days(chrono::Utc::now().timestamp());
        assert_eq!(v[0].outcome, Outcome::Pass, "{v:?}");
        let shown = v[1].actual["days_left"].as_i64().unwrap();
        assert!(shown == before || shown == after, "{shown} vs {before}");
        assert_eq!(v[2].outcome, Outcome::Pass, "{v:?}");
        assert_eq!(v[3].outcome, Outcome::Error);
        assert_eq!(
            v[3].reason.as_deref(),
            Some(format!("{d}/empty.pem is empty").as_str())
        );
        let no_end = X509.parse_at(
            b"@0 missing\n",
            &[Probe::new("/a.pem", &["valid"])],
            &Reads::default(),
            0,
        );
        assert_eq!(
            no_end,
            vec![Observation::Error("x509 probe output cut short".into())]
        );
        let cut = X509.parse_at(
            b"@@END\n",
            &[Probe::new("/a.pem", &["valid"])],
            &Reads::default(),
            0,
        );
        assert_eq!(
            cut,
            vec![Observation::Error(
                "/a.pem was not read (output cut short)".into()
            )]
        );
    }
}
