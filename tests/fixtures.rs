//! The `fixtures/*/case.toml` cases (the format of `fixtures/README.md`) through a real
//! `stackmail serve` on 127.0.0.1: one server per case, with the case's stages as its
//! `[[filter]]` tables, a raw SMTP client speaking from the case's `client_ip`, and the
//! spool and Maildirs inspected once the queue is idle. `src/filter/tests/fixtures.rs` plays
//! the same cases in the VM without a server; this is the end-to-end check.

mod smtp_common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use socket2::{Domain, SockAddr, Socket, Type};
use stackmail::filter::fixture::{self, Case};

/// Cases running at once: each has its own server, and the machine may have few cores.
const PARALLEL: usize = 3;
/// How long a case waits for its queue to empty after the transaction.
const QUEUE_WAIT: Duration = Duration::from_secs(20);
/// How long the client waits for one reply (a stage's default timeout is 5 s).
const REPLY_WAIT: Duration = Duration::from_secs(15);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn is_2xx(code: u16) -> bool {
    (200..300).contains(&code)
}

/// A case failed: at which phase, and why.
struct Failure {
    phase: &'static str,
    why: String,
}

fn fail<T>(phase: &'static str, why: impl Into<String>) -> Result<T, Failure> {
    Err(Failure {
        phase,
        why: why.into(),
    })
}

/// Parses `case.toml` strictly and checks what the format requires beyond its keys.
fn load(dir: &Path) -> Result<Case, Failure> {
    Case::load(dir, root()).or_else(|why| fail("case.toml", why))
}

/// A value as a Python literal the VM's lexer reads back to the same value.
fn python_literal(value: &toml::Value) -> Option<String> {
    Some(match value {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) if f.is_nan() => "float(\"nan\")".into(),
        toml::Value::Float(f) if f.is_infinite() => {
            format!("float(\"{}inf\")", if *f < 0.0 { "-" } else { "" })
        }
        // Debug keeps the ".0" of whole numbers, so the literal stays a float.
        toml::Value::Float(f) => format!("{f:?}"),
        toml::Value::Boolean(b) => if *b { "True" } else { "False" }.into(),
        toml::Value::String(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    ' '..='~' => out.push(c),
                    _ => out.push_str(&format!("\\U{:08x}", u32::from(c))),
                }
            }
            out.push('"');
            out
        }
        _ => return None,
    })
}

/// The script configured for one stage: the stage itself, or, when the case sets knobs on
/// it, a copy with the assignments appended to the module body. The server has no knob
/// mechanism; assignments that run after the body have the meaning of the format's
/// `setattr(module, name, value)`.
fn stage_script(case: &Case, stage: &str, n: usize, tmp: &Path) -> Result<PathBuf, Failure> {
    let path = root().join(stage);
    let Some(knobs) = case.knobs.get(stage) else {
        return Ok(path);
    };
    let mut src = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => return fail("stages", format!("{stage}: {e}")),
    };
    if !src.ends_with('\n') {
        src.push('\n');
    }
    src.push_str("\n# knobs of the fixture case\n");
    for (name, value) in knobs {
        let Some(literal) = python_literal(value) else {
            return fail(
                "case.toml",
                format!("knob {name} = {value}: integers, floats, booleans or strings only"),
            );
        };
        src.push_str(&format!("{name} = {literal}\n"));
    }
    // Same file name, so the module, its log lines and tracebacks read as the stage's own.
    let dir = tmp.join(format!("stage{n}"));
    let copy = dir.join(path.file_name().unwrap_or_default());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&copy, src).unwrap();
    Ok(copy)
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

struct Server {
    child: Child,
    addr: SocketAddr,
    log: smtp_common::Log,
    spool: PathBuf,
    mail: PathBuf,
}

impl Server {
    fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(case: &Case, tmp: &Path) -> Result<Server, Failure> {
    let mut filters = String::new();
    for (n, stage) in case.stages.iter().enumerate() {
        let script = stage_script(case, stage, n, tmp)?;
        filters.push_str(&format!(
            "[[filter]]\nscript = {}\n",
            toml_str(&script.to_string_lossy())
        ));
    }
    // The delivered mailboxes must be local; example.test always is.
    let mut domains = BTreeSet::from(["example.test".to_string()]);
    for addr in &case.expect.delivered {
        if let Some((_, domain)) = addr.rsplit_once('@') {
            domains.insert(domain.to_lowercase());
        }
    }
    let domains: Vec<String> = domains.iter().map(|d| toml_str(d)).collect();
    let (spool, mail) = (tmp.join("spool"), tmp.join("mail"));
    // No relay networks: the client connects over loopback, but stands for the remote
    // client of client_ip, which the default (loopback may relay) would favour.
    let config = format!(
        "[server]\nhostname = \"mx.example.test\"\nlisten = [\"127.0.0.1:0\"]\nthreads = 1\n\
         [spool]\ndir = {}\n[local]\ndomains = [{}]\nmaildir = {}\n[relay]\nnetworks = []\n{filters}",
        toml_str(&spool.to_string_lossy()),
        domains.join(", "),
        toml_str(&format!("{}/{{user}}", mail.display())),
    );
    let path = tmp.join("stackmail.toml");
    std::fs::write(&path, config).unwrap();
    let (child, addr, log) = smtp_common::spawn_server_logged(&path);
    Ok(Server {
        child,
        addr,
        log,
        spool,
        mail,
    })
}

/// The SMTP client: writes commands, reads whole replies.
struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    /// Connects to `server` from `from` (any 127.0.0.0/8 address is ours on Linux).
    fn connect(from: IpAddr, server: SocketAddr) -> std::io::Result<Client> {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        socket.bind(&SockAddr::from(SocketAddr::new(from, 0)))?;
        socket.connect_timeout(&SockAddr::from(server), REPLY_WAIT)?;
        let stream = TcpStream::from(socket);
        stream.set_read_timeout(Some(REPLY_WAIT))?;
        Ok(Client {
            reader: BufReader::new(stream),
        })
    }

    /// One whole reply: its code and its text (every line).
    fn reply(&mut self) -> Result<(u16, String), String> {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) => return Err(format!("connection closed; read so far: {text:?}")),
                Ok(_) => {}
                Err(e) => return Err(format!("no reply: {e}; read so far: {text:?}")),
            }
            text.push_str(&line);
            let bytes = line.as_bytes();
            if bytes.get(3) != Some(&b'-') {
                let code = line.get(..3).and_then(|c| c.parse().ok());
                return code
                    .map(|c| (c, text.trim_end().to_string()))
                    .ok_or_else(|| format!("not a reply: {text:?}"));
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.reader
            .get_mut()
            .write_all(bytes)
            .map_err(|e| format!("write: {e}"))
    }

    /// Sends `line` and checks the reply's code against `want`.
    fn step(&mut self, phase: &'static str, line: &str, want: u16) -> Result<u16, Failure> {
        if let Err(e) = self.send(format!("{line}\r\n").as_bytes()) {
            return fail(phase, format!("{line}: {e}"));
        }
        self.expect(phase, line, want)
    }

    fn expect(&mut self, phase: &'static str, sent: &str, want: u16) -> Result<u16, Failure> {
        match self.reply() {
            Ok((code, _)) if code == want => Ok(code),
            Ok((_, text)) => fail(phase, format!("{sent}: expected {want}, got {text:?}")),
            Err(e) => fail(phase, format!("{sent}: expected {want}, {e}")),
        }
    }
}

/// The message as it goes on the wire: every line ended by CRLF, leading dots doubled.
fn wire(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 40 + 8);
    let mut lines: Vec<&[u8]> = message.split(|b| *b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The transaction of `[envelope]`, each reply checked against `[expect]`.
fn transaction(case: &Case, dir: &Path, server: &Server) -> Result<(), Failure> {
    let (env, expect) = (&case.envelope, &case.expect);
    let mut c = match Client::connect(env.client_ip, server.addr) {
        Ok(c) => c,
        Err(e) => return fail("connect", format!("from {}: {e}", env.client_ip)),
    };
    let greeting = c.expect("connect", "(greeting)", expect.connect)?;
    if !is_2xx(greeting) {
        // A refused connection is closed by the server: nothing more to say.
        return Ok(());
    }
    c.step("helo", &format!("EHLO {}", env.helo), expect.helo)?;
    let utf8 = !env.mail_from.is_ascii() || env.rcpt.iter().any(|r| !r.is_ascii());
    let params = if utf8 { " SMTPUTF8" } else { "" };
    c.step(
        "mail",
        &format!("MAIL FROM:<{}>{params}", env.mail_from),
        expect.mail,
    )?;
    let mut accepted = false;
    for (rcpt, want) in env.rcpt.iter().zip(&expect.rcpt) {
        accepted |= is_2xx(c.step("rcpt", &format!("RCPT TO:<{rcpt}>"), *want)?);
    }
    if let (true, Some(want)) = (accepted, expect.data) {
        let message = match std::fs::read(dir.join(&case.message)) {
            Ok(m) => m,
            Err(e) => return fail("data", format!("{}: {e}", case.message.display())),
        };
        c.step("data", "DATA", 354)?;
        let mut body = wire(&message);
        body.extend_from_slice(b".\r\n");
        if let Err(e) = c.send(&body) {
            return fail("data", format!("the message: {e}"));
        }
        c.expect("data", "(end of data)", want)?;
    }
    // The transaction is over; how QUIT goes does not matter to the case.
    let _ = c.send(b"QUIT\r\n");
    let _ = c.reply();
    Ok(())
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Waits until nothing is queued: every message delivered, quarantined or dropped.
fn wait_idle(server: &Server) -> Result<(), Failure> {
    let start = Instant::now();
    loop {
        let queued: Vec<PathBuf> = ["msg", "tmp"]
            .iter()
            .flat_map(|d| files(&server.spool.join(d)))
            .collect();
        if queued.is_empty() {
            return Ok(());
        }
        if start.elapsed() > QUEUE_WAIT {
            return fail(
                "delivery",
                format!("still queued after {QUEUE_WAIT:?}: {queued:?}"),
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The header block's fields, unfolded, names lowercased.
fn header_fields(raw: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(raw);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_lowercase(), value.trim().to_string()));
        }
    }
    fields
}

/// What the spool and the Maildirs hold, against `delivered`, `quarantined` and the
/// header and body checks.
fn outcome(case: &Case, server: &Server) -> Result<(), Failure> {
    wait_idle(server)?;
    let expect = &case.expect;
    let held = files(&server.spool.join("quarantine"));
    if held.is_empty() == expect.quarantined {
        return fail(
            "quarantine",
            format!(
                "expected quarantined = {}, the spool's quarantine holds {held:?}",
                expect.quarantined
            ),
        );
    }
    // Every Maildir that got something, by user (the Maildir template is mail/{user}).
    let mut got: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for maildir in files(&server.mail) {
        let copies = files(&maildir.join("new"));
        if !copies.is_empty() {
            let user = maildir.file_name().unwrap().to_string_lossy().to_string();
            got.insert(user, copies);
        }
    }
    let want: BTreeSet<String> = expect
        .delivered
        .iter()
        .map(|a| {
            a.rsplit_once('@')
                .map_or(a.as_str(), |(l, _)| l)
                .to_lowercase()
        })
        .collect();
    let got_users: BTreeSet<String> = got.keys().cloned().collect();
    if want != got_users {
        return fail(
            "delivery",
            format!("expected Maildirs {want:?}, got {got:?}"),
        );
    }
    for (user, copies) in &got {
        if copies.len() != 1 {
            return fail("delivery", format!("{user} got {} copies", copies.len()));
        }
        let raw = std::fs::read(&copies[0]).unwrap();
        let fields = header_fields(&raw);
        // The runner's own check that the server saw the client at client_ip.
        let seen = format!("[{}]", case.envelope.client_ip);
        if !fields
            .iter()
            .any(|(n, v)| n == "received" && v.contains(&seen))
        {
            return fail(
                "delivery",
                format!("{user}'s copy has no Received from {seen}: {fields:?}"),
            );
        }
        let has = |name: &str| fields.iter().any(|(n, _)| *n == name.to_lowercase());
        for h in &expect.headers_present {
            if !has(h) {
                return fail("headers", format!("{user}'s copy lacks {h}: {fields:?}"));
            }
        }
        for h in &expect.headers_absent {
            if has(h) {
                return fail("headers", format!("{user}'s copy has {h}: {fields:?}"));
            }
        }
        let text = stackmail::mail::Message::new(raw).text();
        for b in &expect.body_contains {
            if !text.contains(b.as_str()) {
                return fail("body", format!("{user}'s copy lacks {b:?} in:\n{text}"));
            }
        }
    }
    Ok(())
}

/// Runs one case; the error names the case and the phase, with the server's log.
fn run_case(dir: &Path) -> Result<(), String> {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let report = |f: Failure, log: Option<String>| {
        let mut s = format!("fixture {name}: {}: {}", f.phase, f.why);
        if let Some(log) = log {
            s.push_str(&format!("\n--- server log ---\n{log}\n--- end of log ---"));
        }
        s
    };
    let case = load(dir).map_err(|f| report(f, None))?;
    let tmp = tempfile::tempdir().unwrap();
    let server = start(&case, tmp.path()).map_err(|f| report(f, None))?;
    transaction(&case, dir, &server)
        .and_then(|()| outcome(&case, &server))
        .map_err(|f| report(f, Some(server.log())))
}

#[test]
fn fixture_cases_through_the_server() {
    let dirs = fixture::case_dirs(&root().join("fixtures")).expect("fixtures/");
    assert!(dirs.len() >= 8, "{} fixture cases", dirs.len());
    let queue = Mutex::new(dirs.clone());
    let failures = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| {
                loop {
                    let Some(dir) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    let t = Instant::now();
                    // A panic (a server that does not start) fails this case, not the others.
                    let result = std::panic::catch_unwind(|| run_case(&dir)).unwrap_or_else(|p| {
                        let why = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        Err(format!("fixture {}: panicked: {why}", dir.display()))
                    });
                    eprintln!(
                        "fixture {}: {} in {:?}",
                        dir.file_name().unwrap().to_string_lossy(),
                        if result.is_ok() { "ok" } else { "FAILED" },
                        t.elapsed()
                    );
                    if let Err(e) = result {
                        failures.lock().unwrap().push(e);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    eprintln!("{} fixture cases in {:?}", dirs.len(), start.elapsed());
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}
