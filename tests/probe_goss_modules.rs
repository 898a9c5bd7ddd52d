//! The modules Goss users expect — http, dns, addr, interface, os, x509 — probing THIS
//! machine through the real batched script and `/bin/sh`: a python http.server and a TCP
//! listener on free ports, a certificate made by openssl in a temp dir, /etc/hosts names, the
//! loopback interface and /etc/os-release.

#[path = "support/local_probe.rs"]
mod local_probe;

use driftscope::model::Outcome::{Fail, Pass};
use local_probe::{exec, expect_outcomes};
use serde_json::json;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

/// A free 127.0.0.1 port: bound, then released.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_server(dir: &std::path::Path) -> (Server, u16) {
    let port = free_port();
    let server = Server(
        Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3"),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (server, port);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("http.server did not start");
}

#[test]
fn http_status_body_and_headers_as_seen_from_the_host() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("health"), "status: ok\n").unwrap();
    let (_server, port) = http_server(dir.path());
    let base = format!("http://127.0.0.1:{port}");
    let closed = format!("http://127.0.0.1:{}/", free_port());
    expect_outcomes(&[
        (
            exec("http", &format!("{base}/health"), json!({"status": 200})),
            Pass,
        ),
        (
            exec(
                "http",
                &format!("{base}/health"),
                json!({"body": {"matches": "^status: ok"}, "headers": {"matches": "^content-length: 11$"}}),
            ),
            Pass,
        ),
        // Drift: the page is gone, and a down service.
        (
            exec("http", &format!("{base}/gone"), json!({"status": 200})),
            Fail,
        ),
        (exec("http", &closed, json!({"status": 200})), Fail),
    ]);
}

#[test]
fn addr_reachable_and_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap().port();
    let closed = free_port();
    let v = expect_outcomes(&[
        (
            exec(
                "addr",
                &format!("127.0.0.1:{open}"),
                json!({"reachable": true}),
            ),
            Pass,
        ),
        (
            exec(
                "addr",
                &format!("127.0.0.1:{closed}"),
                json!({"reachable": true}),
            ),
            Fail,
        ),
    ]);
    assert_eq!(
        v[1].actual["reachable"],
        json!("false: refused or unresolvable")
    );
}

#[test]
fn dns_resolves_on_the_host() {
    expect_outcomes(&[
        (exec("dns", "localhost", json!({"resolves": true})), Pass),
        (
            exec(
                "dns",
                "localhost",
                json!({"addresses": {"contains": ["127.0.0.1"]}}),
            ),
            Pass,
        ),
        (
            exec("dns", "no-such-name.invalid", json!({"resolves": true})),
            Fail,
        ),
    ]);
}

#[test]
fn interface_and_os() {
    let os = std::fs::read_to_string("/etc/os-release").unwrap();
    let id = os
        .lines()
        .find_map(|l| l.strip_prefix("ID="))
        .unwrap()
        .trim_matches('"')
        .to_string();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    expect_outcomes(&[
        (
            exec("interface", "lo", json!({"exists": true, "mtu": 65536})),
            Pass,
        ),
        (
            exec(
                "interface",
                "lo",
                json!({"addresses": {"contains": ["127.0.0.1/8"]}}),
            ),
            Pass,
        ),
        (exec("interface", "nosuch9", json!({"exists": true})), Fail),
        (
            exec("os", "release", json!({"id": id, "kernel": kernel.trim()})),
            Pass,
        ),
        (exec("os", "release", json!({"id": "plan9"})), Fail),
    ]);
}

#[test]
fn x509_validity_expiry_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("site.pem");
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-days", "10", "-nodes", "-subj", "/CN=site.test"])
        .args(["-addext", "subjectAltName=DNS:site.test,DNS:www.site.test"])
        .arg("-keyout")
        .arg(dir.path().join("key.pem"))
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(ok.success());
    let path = cert.to_str().unwrap();
    let missing = dir.path().join("none.pem");
    let v = expect_outcomes(&[
        (exec("x509", path, json!({"valid": true})), Pass),
        (
            exec(
                "x509",
                path,
                json!({"sans": {"contains": ["www.site.test"]}, "subject": {"matches": "CN=site.test"}}),
            ),
            Pass,
        ),
        // Drift: expires within 30 days; a certificate that is not there.
        (exec("x509", path, json!({"days_left": {"ge": 30}})), Fail),
        (
            exec("x509", missing.to_str().unwrap(), json!({"valid": true})),
            Fail,
        ),
    ]);
    // 10 days from issue, minus the seconds since (9 once one second has passed).
    let left = v[2].actual["days_left"].as_i64().unwrap();
    assert!((9..=10).contains(&left), "{left}");
}
