//! http: a URL as seen FROM THE HOST — `status` (of the last response, redirects followed as
//! Goss does), `body` (the response body as text; match it with `{ matches = "re" }`) and
//! `headers` (the last response's header lines as `name: value`, names lower-cased; match one
//! with `{ matches = "^content-type: text/html" }`). One `curl` (else `wget`) per URL, 10 s
//! each; `not_applicable` when the host has neither. A URL that cannot be fetched (refused,
//! DNS, TLS) is observed with `status = null`, the tool's message shown next to it. Bodies
//! are read whole: point checks at health endpoints, not downloads.
//!
//! Output is length-prefixed (the command module's `@C`/`@E` records: body, then headers and
//! messages), so any body parses exactly.
//!
//! Programs run on the host: `curl` or `wget`.

use super::quote::sh_quote;
use super::{
    AttrVerdict, Attributes, Module, Observation, Probe, Programs, Reads, finish, not_applicable,
};
use crate::model::{Matcher, ModuleKind, Value};

pub struct Http;

/// Programs this module runs on the host (the first one present).
pub const PROGRAMS: &[&str] = &["curl", "wget"];

/// Seconds each request may take.
pub const TIMEOUT_SECS: u32 = 10;

/// Status and headers of the LAST response in curl's `-D` or wget's `-S` output.
fn last_response(headers: &str) -> Option<(u16, Vec<String>)> {
    let lines: Vec<&str> = headers.lines().map(|l| l.trim()).collect();
    let start = lines.iter().rposition(|l| l.starts_with("HTTP/"))?;
    let status = lines[start].split_whitespace().nth(1)?.parse().ok()?;
    let list = lines[start + 1..]
        .iter()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| format!("{}: {}", n.trim().to_ascii_lowercase(), v.trim()))
        .collect();
    Some((status, list))
}

impl Module for Http {
    fn kind(&self) -> ModuleKind {
        ModuleKind::Http
    }
    fn programs(&self) -> Programs {
        Programs::Only(PROGRAMS)
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["status", "body", "headers"]
    }
    fn content_attributes(&self) -> &'static [&'static str] {
        &["body", "headers"]
    }
    fn default_expect(&self) -> (&'static str, Value) {
        ("status", Value::from(200))
    }
    fn validate_subject(&self, subject: &str) -> Result<(), String> {
        let rest = subject
            .strip_prefix("http://")
            .or_else(|| subject.strip_prefix("https://"));
        let ok = rest.is_some_and(|r| !r.is_empty())
            && !subject.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err(format!(
                "not an http(s) URL: {subject:?} (expected e.g. http://127.0.0.1:8080/health)"
            ));
        }
        Ok(())
    }
    /// A failing `status` with no response shows why: `null: curl: (7) Failed to connect …`.
    fn evaluate(&self, observed: &Attributes, attribute: &str, matcher: &Matcher) -> AttrVerdict {
        super::evaluate_with_state(observed, attribute, matcher)
    }
    fn cost(&self, probes: &[Probe]) -> u32 {
        probes.len() as u32
    }
    fn fragment(&self, probes: &[Probe]) -> String {
        let t = TIMEOUT_SECS;
        let mut s = String::from(
            "if command -v curl >/dev/null 2>&1; then ds_http=curl; \
             elif command -v wget >/dev/null 2>&1; then ds_http=wget; \
             else ds_http=; echo '@@NA neither curl nor wget on this host'; fi\n\
             if [ -n \"$ds_http\" ]; then {\n",
        );
        for (i, p) in probes.iter().enumerate() {
            let url = sh_quote(&p.subject);
            // Body on stdout (captured), headers and messages on stderr (fd 4 → outer capture).
            s.push_str(&format!(
                "ds_e=$( {{ if [ \"$ds_http\" = curl ]; then \
                 ds_o=$(curl -sS -L --max-time {t} -D /dev/stderr -o - -- {url} 2>&4 4>&- 3>&-); ds_s=$?; \
                 else ds_o=$(wget -q -S --content-on-error -T {t} -t 1 -O - -- {url} 2>&4 4>&- 3>&-); ds_s=$?; fi; \
                 printf '@C {i} %s %s\\n%s\\n' \"$ds_s\" \"${{#ds_o}}\" \"$ds_o\" >&3; }} 4>&1 )\n\
                 printf '@E {i} %s\\n%s\\n' \"${{#ds_e}}\" \"$ds_e\"\n"
            ));
        }
        s.push_str("} 3>&1; fi");
        s
    }
    fn parse_reads(&self, output: &[u8], probes: &[Probe], _reads: &Reads) -> Vec<Observation> {
        if let Some(why) = not_applicable(output) {
            return vec![Observation::NotApplicable(why); probes.len()];
        }
        type Got = (Option<(i64, Vec<u8>)>, Option<Vec<u8>>);
        let mut got: Vec<Got> = vec![(None, None); probes.len()];
        for (kind, i, status, body) in super::command::records(output) {
            let Some(slot) = got.get_mut(i) else { continue };
            if kind == b'C' {
                slot.0 = Some((status, body));
            } else {
                slot.1 = Some(body);
            }
        }
        let slots = got
            .into_iter()
            .map(|(body, headers)| {
                let ((exit, body), headers) = (body?, headers?);
                let headers = String::from_utf8_lossy(&headers);
                let mut a = Attributes::new();
                match last_response(&headers) {
                    Some((status, list)) => {
                        a.insert("status".into(), Value::from(status));
                        a.insert(
                            "body".into(),
                            Value::String(String::from_utf8_lossy(&body).into_owned()),
                        );
                        a.insert(
                            "headers".into(),
                            Value::Array(list.into_iter().map(Value::String).collect()),
                        );
                    }
                    None => {
                        let why = headers
                            .lines()
                            .map(str::trim)
                            .rfind(|l| !l.is_empty())
                            .map_or_else(
                                || format!("no response (exit status {exit})"),
                                str::to_string,
                            );
                        a.insert("status".into(), Value::Null);
                        a.insert("body".into(), Value::Null);
                        a.insert("headers".into(), Value::Array(vec![]));
                        a.insert("_state".into(), Value::String(why));
                    }
                }
                Some(Observation::Observed(a))
            })
            .collect();
        finish(slots, "http")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn probes() -> Vec<Probe> {
        // A python http.server on 127.0.0.1:47080 serving a directory with `index.html`; port
        // 47081 closed.
        [
            "http://127.0.0.1:47080/",
            "http://127.0.0.1:47080/missing",
            "http://127.0.0.1:47080/dir",
            "http://127.0.0.1:47081/",
        ]
        .iter()
        .map(|s| Probe::new(s, &["status"]))
        .collect()
    }

    #[test]
    fn real_curl_and_wget_output() {
        for fixture in [
            &include_bytes!("testdata/http/curl.out")[..],
            &include_bytes!("testdata/http/wget.out")[..],
        ] {
            let obs = Http.parse(fixture, &probes());
            let get = |i, a| crate::probe::observed_attr(&obs, i, a);
            assert_eq!(get(0, "status"), json!(200));
            assert!(
                get(0, "body")
                    .as_str()
                    .unwrap()
                    .contains("<h1>driftscope</h1>")
            );
            let headers = get(0, "headers");
            assert!(
                Matcher::parse(&json!({"matches": "^content-type: text/html"}))
                    .unwrap()
                    .matches(&headers),
                "{headers}"
            );
            assert_eq!(get(1, "status"), json!(404));
            assert_eq!(
                get(2, "status"),
                json!(200),
                "the redirect to dir/ is followed"
            );
            assert_eq!(get(3, "status"), json!(null));
            let Observation::Observed(a) = &obs[3] else {
                panic!()
            };
            let v = Http.evaluate(a, "status", &Matcher::Equals(json!(200)));
            assert!(!v.ok);
            assert!(
                v.actual.as_str().unwrap().starts_with("null: "),
                "{:?}",
                v.actual
            );
        }
        let na = Http.parse(b"@@NA neither curl nor wget on this host\n", &probes());
        assert!(matches!(na[0], Observation::NotApplicable(_)));
        assert!(Http.validate_subject("ftp://x").is_err());
        assert!(Http.validate_subject("http://a b").is_err());
    }

    #[test]
    fn contract_urls_and_header_parsing() {
        crate::probe::test_support::assert_contract(
            ModuleKind::Http,
            Programs::Only(&["curl", "wget"]),
            &["status", "body", "headers"],
            ("status", Value::from(200)),
        );
        assert_eq!(Http.content_attributes(), ["body", "headers"]);
        assert_eq!(Http.cost(&probes()), 4, "one curl per URL");
        for ok in ["http://x", "https://x", "http://127.0.0.1:8080/health?a=1"] {
            assert!(Http.validate_subject(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://",
            "http://",
            "http:/x",
            "x",
            "http://a\tb",
            "http://a\u{7}",
        ] {
            let e = Http.validate_subject(bad).unwrap_err();
            assert!(e.contains("not an http(s) URL"), "{bad:?}: {e}");
        }
        // The last response after a redirect; header names lower-cased, values trimmed,
        // lines that are no header skipped.
        let (status, headers) = last_response(
            "HTTP/1.1 301 Moved\r\nLocation: /b\r\n\r\nHTTP/1.1 503 Busy\r\nRetry-After:  5 \r\nnot a header\r\n\r\nHTTP-ish: x\n",
        )
        .unwrap();
        assert_eq!(status, 503);
        assert_eq!(headers, ["retry-after: 5"]);
        assert_eq!(last_response("HTTP/1.1 abc\r\n"), None);
        // No response at all: the tool's exit status says why.
        let out = b"@C 0 7 0\n\n@E 0 0\n\n";
        let obs = Http.parse(out, &probes()[..1]);
        assert_eq!(
            crate::probe::observed_attr(&obs, 0, "_state"),
            json!("no response (exit status 7)")
        );
    }

    /// The real fragment against a server this test runs; a secret check shows the body and
    /// headers only hashed.
    #[test]
    fn a_server_this_test_runs() {
        use crate::model::Outcome;
        use crate::probe::test_support::{exec, run_here};
        use std::io::{Read, Write};
        let has = |tool: &str| {
            std::process::Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !has("curl") && !has("wget") {
            return;
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Token: s3cret\r\n\
                      Content-Length: 12\r\nConnection: close\r\n\r\nhello s3cret",
                );
            }
        });
        let url = format!("http://127.0.0.1:{port}/health");
        let mut secret = exec(
            ModuleKind::Http,
            &format!("{url}?secret"),
            &[
                ("body", json!({"matches": "^hello"})),
                ("status", json!(200)),
            ],
        );
        secret.secret = Some(true);
        let v = run_here(&[
            exec(
                ModuleKind::Http,
                &url,
                &[
                    ("status", json!(200)),
                    ("body", json!("hello s3cret")),
                    ("headers", json!({"contains": ["x-token: s3cret"]})),
                ],
            ),
            secret,
        ]);
        assert_eq!(v[0].outcome, Outcome::Pass, "{v:?}");
        assert_eq!(v[1].outcome, Outcome::Pass, "{v:?}");
        assert_eq!(v[1].actual["status"], json!(200));
        let shown = v[1].actual.to_string();
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
