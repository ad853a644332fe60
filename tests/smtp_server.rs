//! `stackmail serve` over 127.0.0.1 with real clients: Python's smtplib, swaks, Postfix's
//! smtp-source, raw sockets for the framing edge cases, and kill -9 under load.

mod common;
mod smtp_common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::have_peer;

struct Server {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl Server {
    /// Starts the server on a port of its choosing, with its spool and Maildirs under `dir`.
    fn start(dir: &Path, extra: &str) -> Server {
        Server::start_on(dir, 0, extra)
    }

    fn start_on(dir: &Path, port: u16, extra: &str) -> Server {
        let config = format!(
            r#"
[server]
hostname = "mx.test"
listen = ["127.0.0.1:{port}"]
threads = 2
max_message_size = 100000
max_recipients = 5
{extra}
[spool]
dir = "{spool}"
[local]
domains = ["localhost", "example.test"]
maildir = "{mail}/{{user}}"
[relay]
networks = ["192.0.2.0/24"]
"#,
            spool = dir.join("spool").display(),
            mail = dir.join("mail").display(),
        );
        let config_path = dir.join("stackmail.toml");
        std::fs::write(&config_path, config).unwrap();
        let (child, addr) = smtp_common::spawn_server(&config_path);
        Server {
            child,
            addr,
            dir: dir.to_path_buf(),
        }
    }

    fn maildir_files(&self, user: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(self.dir.join("mail").join(user).join("new"))
                .map(|d| d.map(|e| e.unwrap().path()).collect())
                .unwrap_or_default();
        files.sort();
        files
    }

    /// Waits until `user` has `n` messages (delivery follows the 250 asynchronously).
    fn wait_for_mail(&self, user: &str, n: usize) -> Vec<PathBuf> {
        let start = Instant::now();
        loop {
            let files = self.maildir_files(user);
            if files.len() >= n || start.elapsed() > Duration::from_secs(30) {
                return files;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A raw client: writes bytes as given and reads complete replies.
struct Raw {
    reader: BufReader<TcpStream>,
}

impl Raw {
    fn connect(addr: SocketAddr) -> Raw {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut raw = Raw {
            reader: BufReader::new(s),
        };
        assert!(raw.reply().starts_with("220 "));
        raw
    }

    fn send(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }

    /// One complete (possibly multi-line) reply.
    fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).unwrap_or(0) == 0 {
                return all;
            }
            all.push_str(&line);
            if line.as_bytes().get(3) == Some(&b' ') {
                return all;
            }
        }
    }

    fn codes(&mut self, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| self.reply().get(..9).unwrap_or("").to_string())
            .collect()
    }

    fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.reader.read(&mut b), Ok(0))
    }
}

#[test]
fn python_smtplib_delivers_to_maildir() {
    if !have_peer("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "");
    let script = format!(
        r#"
import smtplib
ids = []
for i in range(10):
    with smtplib.SMTP("127.0.0.1", {port}) as s:
        s.ehlo("py.test")
        assert s.has_extn("pipelining") and s.has_extn("chunking") and s.has_extn("8bitmime")
        assert s.has_extn("smtputf8") and s.has_extn("enhancedstatuscodes")
        assert s.has_extn("size") and s.esmtp_features["size"] == "100000"
        msg = "Subject: test %d\r\n\r\n.leading dot\r\nline\r\n" % i
        s.sendmail("sender@py.test", ["alice@localhost", "Bob@Example.test"], msg)
        code, text = s.noop()
        assert code == 250
try:
    with smtplib.SMTP("127.0.0.1", {port}) as s:
        s.sendmail("sender@py.test", ["x@elsewhere.test"], "Subject: relay\r\n\r\nx\r\n")
    raise SystemExit("relay accepted")
except smtplib.SMTPRecipientsRefused as e:
    code, text = e.recipients["x@elsewhere.test"]
    assert code == 554 and text.startswith(b"5.7.1"), e.recipients
print("ok")
"#,
        port = server.addr.port()
    );
    smtp_common::python(&script);
    let alice = server.wait_for_mail("alice", 10);
    let bob = server.wait_for_mail("bob", 10);
    assert_eq!((alice.len(), bob.len()), (10, 10));
    let text = std::fs::read_to_string(&alice[0]).unwrap();
    assert!(
        text.starts_with(
            "Received: from py.test ([127.0.0.1])\r\n\tby mx.test (stackmail) with ESMTP;"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("Subject: test 0\r\n\r\n.leading dot\r\nline\r\n"),
        "{text}"
    );
    assert!(server.maildir_files("x").is_empty());
}

#[test]
fn raw_pipelining_bdat_limits_and_smuggling() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "");
    let mut c = Raw::connect(server.addr);
    // The whole transaction in one write (RFC 2920 pipelining).
    c.send(b"EHLO raw.test\r\nMAIL FROM:<a@raw.test>\r\nRCPT TO:<carol@localhost>\r\nDATA\r\nSubject: p\r\n\r\nbody\r\n.\r\nNOOP\r\n");
    let ehlo = c.reply();
    assert!(
        ehlo.contains("250-PIPELINING") && ehlo.contains("250 CHUNKING"),
        "{ehlo}"
    );
    assert!(
        !ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"),
        "{ehlo}"
    );
    assert_eq!(
        c.codes(5),
        [
            "250 2.1.0",
            "250 2.1.5",
            "354 End d",
            "250 2.0.0",
            "250 2.0.0"
        ]
    );
    // BDAT in two chunks, the first one holding what looks like a command.
    c.send(b"MAIL FROM:<a@raw.test>\r\nRCPT TO:<carol@localhost>\r\nBDAT 20\r\nSubject: b\r\n\r\nQUIT\r\nBDAT 6 LAST\r\nchunk\n");
    assert_eq!(
        c.codes(4),
        ["250 2.1.0", "250 2.1.5", "250 2.0.0", "250 2.0.0"]
    );
    // Smuggling: "\n.\r\n" must not end the message; the whole thing is refused.
    c.send(b"MAIL FROM:<a@raw.test>\r\nRCPT TO:<carol@localhost>\r\nDATA\r\n");
    assert_eq!(c.codes(3), ["250 2.1.0", "250 2.1.5", "354 End d"]);
    c.send(b"hello\n.\r\nMAIL FROM:<evil@raw.test>\r\nRCPT TO:<carol@localhost>\r\nDATA\r\nsmuggled\r\n.\r\n");
    assert_eq!(c.codes(1), ["550 5.5.2"]);
    // Nor a bare CR beside a "." on a line of its own.
    c.send(b"MAIL FROM:<a@raw.test>\r\nRCPT TO:<carol@localhost>\r\nDATA\r\n");
    assert_eq!(c.codes(3), ["250 2.1.0", "250 2.1.5", "354 End d"]);
    c.send(b"hello\r\n\r.\r\nMAIL FROM:<evil@raw.test>\r\nRCPT TO:<carol@localhost>\r\nDATA\r\nsmuggled\r\n.\r\nNOOP\r\n");
    assert_eq!(c.codes(2), ["550 5.5.2", "250 2.0.0"]);
    // Recipient limit (5), size limit (100000), relay denial.
    c.send(b"MAIL FROM:<a@raw.test> SIZE=100001\r\n");
    assert_eq!(c.codes(1), ["552 5.3.4"]);
    c.send(b"MAIL FROM:<a@raw.test>\r\n");
    for i in 0..6 {
        c.send(format!("RCPT TO:<u{i}@localhost>\r\n").as_bytes());
    }
    c.send(b"RCPT TO:<x@elsewhere.test>\r\nRSET\r\n");
    let codes = c.codes(9);
    assert_eq!(
        codes[..6],
        [
            "250 2.1.0",
            "250 2.1.5",
            "250 2.1.5",
            "250 2.1.5",
            "250 2.1.5",
            "250 2.1.5"
        ]
    );
    assert_eq!(codes[6..], ["452 4.5.3", "452 4.5.3", "250 2.0.0"]);
    let big = format!(
        "MAIL FROM:<a@raw.test>\r\nRCPT TO:<carol@localhost>\r\nDATA\r\n{}.\r\n",
        "0123456789012345678\r\n".repeat(6000)
    );
    c.send(big.as_bytes());
    assert_eq!(
        c.codes(4),
        ["250 2.1.0", "250 2.1.5", "354 End d", "552 5.3.4"]
    );
    c.send(b"QUIT\r\n");
    assert_eq!(c.codes(1), ["221 2.0.0"]);
    assert!(c.closed());
    let carol = server.wait_for_mail("carol", 2);
    assert_eq!(
        carol.len(),
        2,
        "only the plain and the BDAT message are delivered"
    );
    let bdat = carol
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .find(|t| t.contains("Subject: b"))
        .unwrap();
    assert!(
        bdat.ends_with("Subject: b\r\n\r\nQUIT\r\nchunk\n"),
        "{bdat:?}"
    );
}

#[test]
fn garbage_and_long_lines_then_disconnect() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "max_bad_commands = 5");
    let mut c = Raw::connect(server.addr);
    c.send(format!("NOOP {}\r\n", "x".repeat(5000)).as_bytes());
    assert_eq!(c.codes(1), ["500 5.5.2"]);
    c.send(b"\xff\xfe\x00garbage\r\nHELO\r\nDATA\r\n");
    assert_eq!(c.codes(3), ["500 5.5.2", "501 5.5.4", "503 5.5.1"]);
    c.send(b"FOO\r\n");
    assert_eq!(c.codes(2), ["500 5.5.1", "421 4.7.0"]);
    assert!(c.closed());
    // The server is still fine.
    let mut c = Raw::connect(server.addr);
    c.send(b"NOOP\r\n");
    assert_eq!(c.codes(1), ["250 2.0.0"]);
}

#[test]
fn command_timeout_gives_421() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "command_timeout = 1");
    let mut c = Raw::connect(server.addr);
    let start = Instant::now();
    assert_eq!(c.codes(1), ["421 4.4.2"]);
    assert!(start.elapsed() >= Duration::from_millis(900));
    assert!(c.closed());
}

#[test]
fn per_ip_connection_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "max_connections_per_ip = 3");
    let held: Vec<Raw> = (0..3).map(|_| Raw::connect(server.addr)).collect();
    let mut refused = BufReader::new(TcpStream::connect(server.addr).unwrap());
    refused
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut line = String::new();
    refused.read_line(&mut line).unwrap();
    assert!(line.starts_with("421 4.7.0"), "{line}");
    // A place frees up when a connection ends.
    drop(held);
    let start = Instant::now();
    loop {
        let mut c = BufReader::new(TcpStream::connect(server.addr).unwrap());
        let mut line = String::new();
        c.read_line(&mut line).unwrap();
        if line.starts_with("220 ") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "slots were not released"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn swaks_pipelining_and_relay_denial() {
    if !have_peer("swaks") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "");
    let server_arg = format!("127.0.0.1:{}", server.addr.port());
    let ok = Command::new("swaks")
        .args([
            "--server",
            &server_arg,
            "--from",
            "s@swaks.test",
            "--to",
            "dave@localhost",
            "--pipeline",
            "--body",
            "hi",
        ])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let denied = Command::new("swaks")
        .args([
            "--server",
            &server_arg,
            "--from",
            "s@swaks.test",
            "--to",
            "x@elsewhere.test",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&denied.stdout);
    assert!(
        !denied.status.success() && out.contains("554 5.7.1"),
        "{out}"
    );
    // Over the size limit (100000 in the test config): SIZE= is refused at MAIL, and
    // without SIZE the data is refused at its end.
    let big = dir.path().join("big.txt");
    std::fs::write(
        &big,
        "0123456789012345678901234567890123456789\n".repeat(4000),
    )
    .unwrap();
    let body_arg = format!("@{}", big.display());
    let too_big = Command::new("swaks")
        .args([
            "--server",
            &server_arg,
            "--from",
            "s@swaks.test",
            "--to",
            "dave@localhost",
            "--body",
            &body_arg,
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&too_big.stdout);
    assert!(
        !too_big.status.success() && out.contains("552 5.3.4"),
        "{out}"
    );
    // Garbage smuggled in the HELO argument: answered, not obeyed (swaks reads our replies
    // out of step, so only the first error is checked).
    let garbage = Command::new("swaks")
        .args([
            "--server",
            &server_arg,
            "--quit-after",
            "EHLO",
            "--helo",
            "x\r\nXYZZY\r\nMAIL FROM:bad",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&garbage.stdout);
    assert!(out.contains("500 5.5.1"), "{out}");
    assert_eq!(server.wait_for_mail("dave", 1).len(), 1);
}

#[test]
fn smtp_source_2000_messages_over_50_sessions_exactly_once() {
    if !have_peer("smtp-source") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "max_connections_per_ip = 200");
    let status = Command::new("smtp-source")
        .args([
            "-s",
            "50",
            "-m",
            "2000",
            "-l",
            "1000",
            "-f",
            "src@source.test",
            "-t",
            "eve@localhost",
        ])
        .arg(format!("127.0.0.1:{}", server.addr.port()))
        .status()
        .unwrap();
    assert!(status.success());
    let files = server.wait_for_mail("eve", 2000);
    assert_eq!(files.len(), 2000);
    // Exactly once: every file is a distinct queue id.
    let ids: std::collections::HashSet<_> = files
        .iter()
        .map(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .split('.')
                .nth(1)
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2000);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        server.maildir_files("eve").len(),
        2000,
        "no duplicates arrive later"
    );
}

/// kill -9 while clients are sending, then restart: every message that got a 250 (with its
/// queue id) is delivered exactly once.
#[test]
fn kill_9_under_load_then_restart() {
    if !have_peer("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), "");
    let port = server.addr.port();
    let script = format!(
        r#"
import smtplib, sys, threading, time
end = time.time() + 60
lock = threading.Lock()
def worker(n):
    try:
        while time.time() < end:
            with smtplib.SMTP("127.0.0.1", {port}, timeout=10) as s:
                s.ehlo("kill.test")
                for i in range(5):
                    s.mail("k@kill.test")
                    s.rcpt("frank@localhost")
                    code, text = s.data(b"Subject: k\r\n\r\n" + (b"x" * 98 + b"\r\n") * 30)
                    if code == 250:
                        with lock:
                            sys.stdout.write(text.decode().split()[-1] + "\n")
                            sys.stdout.flush()
    except Exception:
        pass
ts = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
"#
    );
    let mut client = Command::new("python3")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(client.stdout.take().unwrap()).lines();
    let mut acked = Vec::new();
    while acked.len() < 150 {
        match lines.next() {
            Some(Ok(id)) => acked.push(id),
            _ => break,
        }
    }
    server.kill(); // SIGKILL, mid-stream
    for line in lines.map_while(Result::ok) {
        acked.push(line);
    }
    let _ = client.wait();
    assert!(
        acked.len() >= 150,
        "only {} messages were accepted",
        acked.len()
    );
    drop(server);

    let server = Server::start_on(dir.path(), port, "");
    // Messages committed but not yet answered when the kill came are delivered too, so
    // wait for the acknowledged ids themselves, not for a count.
    let delivered_ids = || -> Vec<String> {
        server
            .maildir_files("frank")
            .iter()
            .filter_map(|p| {
                p.file_name()?
                    .to_str()?
                    .split('.')
                    .nth(1)
                    .map(|u| u.trim_start_matches('Q').to_string())
            })
            .collect()
    };
    let start = Instant::now();
    let mut delivered = delivered_ids();
    while !acked
        .iter()
        .all(|id| delivered.iter().any(|d| d.starts_with(id.as_str())))
        && start.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(50));
        delivered = delivered_ids();
    }
    std::thread::sleep(Duration::from_millis(200));
    let delivered = delivered_ids();
    for id in &acked {
        let n = delivered
            .iter()
            .filter(|d| d.starts_with(id.as_str()))
            .count();
        assert_eq!(n, 1, "message {id} delivered {n} times");
    }
}

/// A client trickling a byte at a time still meets the command timeout (a total for the
/// command, not per read).
#[test]
fn trickling_client_meets_the_command_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "command_timeout = 2");
    let mut c = Raw::connect(server.addr);
    let start = Instant::now();
    for b in b"NOOP NOOP NOOP NOOP NOOP" {
        // The server may already have closed: stop sending then.
        if c.reader.get_mut().write_all(&[*b]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
        if start.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    assert_eq!(c.codes(1), ["421 4.4.2"]);
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "took {:?}",
        start.elapsed()
    );
}

/// Mail for local mailboxes only is in the Maildir by the time of its 250 and never enters
/// the spool; when a Maildir cannot be written, the message is queued instead, still 250.
#[test]
fn local_mail_is_delivered_before_the_250() {
    let dir = tempfile::tempdir().unwrap();
    // hank's Maildir cannot be created: a file is in the way.
    std::fs::create_dir_all(dir.path().join("mail")).unwrap();
    std::fs::write(dir.path().join("mail/hank"), b"").unwrap();
    let server = Server::start(dir.path(), "");
    let spooled = || {
        std::fs::read_dir(dir.path().join("spool/msg"))
            .unwrap()
            .count()
    };
    let mut c = Raw::connect(server.addr);
    c.send(b"EHLO t.test\r\n");
    assert!(c.reply().starts_with("250"));
    for (rcpt, body) in [("gina", "one"), ("hank", "two")] {
        c.send(
            format!("MAIL FROM:<a@t.test>\r\nRCPT TO:<{rcpt}@localhost>\r\nDATA\r\n").as_bytes(),
        );
        assert_eq!(c.codes(3), ["250 2.1.0", "250 2.1.5", "354 End d"]);
        c.send(format!("Subject: {body}\r\n\r\n{body}\r\n.\r\n").as_bytes());
        assert!(c.reply().starts_with("250 "));
        if rcpt == "gina" {
            let files = server.maildir_files("gina");
            assert_eq!(files.len(), 1, "delivered by the time of the 250");
            assert!(
                std::fs::read_to_string(&files[0])
                    .unwrap()
                    .ends_with("one\r\n")
            );
            assert_eq!(spooled(), 0, "never queued");
        } else {
            assert_eq!(spooled(), 1, "queued for a retry");
        }
    }
}
