//! Starting `stackmail serve` for the SMTP integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

/// Spawns `stackmail serve --config CONFIG` and returns it with the address it listens on,
/// read from its "listening" log line. Letting the server pick its port (port 0 in the
/// config) avoids the race of choosing a free port first, which parallel tests lose.
pub fn spawn_server(config: &Path) -> (Child, SocketAddr) {
    let (child, addr, _) = spawn_server_logged(config);
    (child, addr)
}

/// [`spawn_server`], also keeping every line the server logs (to stderr) from then on.
pub fn spawn_server_logged(config: &Path) -> (Child, SocketAddr, Arc<Mutex<Vec<String>>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stackmail"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn,stackmail::smtp::server=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let log = Arc::new(Mutex::new(Vec::new()));
    let lines = log.clone();
    // Keeps draining the log, so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = listening_addr(&line) {
                let _ = tx.send(addr);
            }
            lines.lock().unwrap().push(line);
        }
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(addr) => (child, addr, log),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("server did not start");
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
