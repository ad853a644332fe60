//! Starting `stackmail serve` for the SMTP integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

/// The server's log lines, kept by [`spawn_server_logged`] for failure messages.
pub type Log = Arc<Mutex<Vec<String>>>;

/// Spawns `stackmail serve --config CONFIG` and returns it with the address it listens on,
/// read from its "listening" log line. Letting the server pick its port (port 0 in the
/// config) avoids the race of choosing a free port first, which parallel tests lose.
pub fn spawn_server(config: &Path) -> (Child, SocketAddr) {
    let (child, addr, _) = spawn(config, "warn,stackmail::smtp::server=info", None);
    (child, addr)
}

/// [`spawn_server`], keeping every log line (filter scripts' included), to show when a test
/// fails. A server that does not start panics with its log.
pub fn spawn_server_logged(config: &Path) -> (Child, SocketAddr, Log) {
    let log = Log::default();
    let (child, addr, _) = spawn(
        config,
        "warn,stackmail::smtp::server=info,stackmail::filter=info",
        Some(log.clone()),
    );
    (child, addr, log)
}

fn spawn(config: &Path, rust_log: &str, keep: Option<Log>) -> (Child, SocketAddr, Option<Log>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stackmail"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", rust_log)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let log = keep.clone();
    // Keeps draining the log, so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = listening_addr(&line) {
                let _ = tx.send(addr);
            }
            if let Some(log) = &log {
                log.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(addr) => (child, addr, keep),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            let lines = keep
                .map(|l| l.lock().unwrap_or_else(|e| e.into_inner()).join("\n"))
                .unwrap_or_default();
            panic!("server did not start\n{lines}");
        }
    }
}

/// `addr=127.0.0.1:PORT` from a "listening" line, ANSI colours removed.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip "ESC [ ... m".
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    if !plain.contains("listening") {
        return None;
    }
    let rest = &plain[plain.find("addr=")? + 5..];
    rest.split_whitespace().next()?.parse().ok()
}

/// Runs `python3 -c script` (the tests' smtplib clients) and returns its stdout; a failure
/// panics with the script's output.
pub fn python(script: &str) -> String {
    let out = Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Sends one message with Python's smtplib to the server on 127.0.0.1:`port`; panics unless
/// every recipient is accepted and the message answered 250. Strings are ASCII, written out
/// as Python literals.
pub fn send_message(port: u16, from: &str, rcpts: &[&str], message: &str) {
    let rcpts: Vec<String> = rcpts.iter().map(|r| format!("{r:?}")).collect();
    let out = python(&format!(
        r#"
import smtplib
with smtplib.SMTP("127.0.0.1", {port}, timeout=10) as s:
    s.sendmail({from:?}, [{rcpts}], {message:?})
print("sent")
"#,
        rcpts = rcpts.join(", ")
    ));
    assert_eq!(out, "sent\n");
}
