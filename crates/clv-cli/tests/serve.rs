//! `clv serve` as a process: every flag, the environment token, the refusal
//! to bind off loopback without a token, and a restart after the server was
//! killed in the middle of a job (kill -9: no chance to clean up).

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const TOKEN: &str = "serve-test-token-0123";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request; the status and the body.
fn http(port: u16, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status: u16 = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    // Chunked bodies: keep the JSON between the first '{' and the last '}'.
    let body = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) if b >= a => body[a..=b].to_string(),
        _ => body,
    };
    (status, body)
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &std::path::Path, env_token: bool) -> Server {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clv"));
    cmd.args([
        "serve",
        "--data",
        data.to_str().unwrap(),
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--max-upload-mb",
        "64",
        "--jobs",
        "1",
    ]);
    if env_token {
        cmd.env("CLV_TOKEN", TOKEN);
    } else {
        cmd.args(["--token", TOKEN]);
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, port }
}

fn wait_state(port: u16, id: &str, want: &[&str]) -> serde_json::Value {
    let t = Instant::now();
    loop {
        let (_, b) = http(port, "GET", &format!("/api/jobs/{id}"), b"");
        let j = json(&b);
        if want.contains(&j["state"].as_str().unwrap()) {
            return j;
        }
        assert!(t.elapsed() < Duration::from_secs(300), "job {id}: {j}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn without_a_token_only_loopback_exits_2() {
    let dir = scratch("serve-no-token");
    let out = clv(&[
        "serve",
        "--data",
        dir.to_str().unwrap(),
        "--bind",
        "0.0.0.0:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--token"), "{err}");
    let out = clv(&["serve", "--data", dir.to_str().unwrap(), "--jobs", "0"]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_server_killed_mid_job_restarts_with_its_results_and_the_job_marked_failed() {
    let dir = scratch("serve-restart");
    let data = dir.join("data");
    // A shop big enough that its analysis is still running when killed.
    let big = dir.join("big.csv");
    let out = clv(&[
        "simulate",
        "--customers",
        "150000",
        "--start",
        "2024-01-01",
        "--days",
        "365",
        "--params",
        "r=0.243,alpha=4.414,a=0.793,b=2.426",
        "--spend",
        "p=6.25,q=3.74,v=15.44",
        "--seed",
        "3",
        "--output",
        big.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut server = start(&data, true);
    let port = server.port;
    let (st, b) = http(
        port,
        "POST",
        "/api/datasets?name=cdnow",
        &std::fs::read(sample()).unwrap(),
    );
    assert_eq!(st, 201, "{b}");
    let (st, b) = http(
        port,
        "POST",
        "/api/analyses",
        br#"{"dataset":"cdnow","calibration_end":"1997-09-30"}"#,
    );
    assert_eq!(st, 202, "{b}");
    let done = json(&b)["id"].as_str().unwrap().to_string();
    wait_state(port, &done, &["done"]);
    let (st, b) = http(
        port,
        "POST",
        "/api/datasets?name=big",
        &std::fs::read(&big).unwrap(),
    );
    assert_eq!(st, 201, "{b}");
    let (st, b) = http(port, "POST", "/api/analyses", br#"{"dataset":"big"}"#);
    assert_eq!(st, 202, "{b}");
    let running = json(&b)["id"].as_str().unwrap().to_string();
    wait_state(port, &running, &["running"]);
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();

    let server = start(&data, false);
    let port = server.port;
    let j = wait_state(port, &running, &["failed"]);
    assert!(
        j["error"].as_str().unwrap().contains("server stopped"),
        "{j}"
    );
    let (st, b) = http(
        port,
        "GET",
        &format!("/api/analyses/{done}/customers/1981"),
        b"",
    );
    assert_eq!(st, 200, "{b}");
    assert_eq!(json(&b)["customer_id"], "1981");
    // No half-written results are left, and the dataset can be analysed again.
    let leftovers: Vec<_> = std::fs::read_dir(data.join("analyses"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!data.join("analyses").join(&running).exists());
    drop(server);
    std::fs::remove_dir_all(dir).ok();
}
