//! STARTTLS and AUTH over 127.0.0.1 with Python's smtplib and ssl. The certificate is made
//! at test time with rcgen; users are added with `stackmail user add`.

mod common;
mod smtp_common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::have_peer;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &Path) -> (Server, u16) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    std::fs::write(dir.join("cert.pem"), ck.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), ck.signing_key.serialize_pem()).unwrap();
    let users = dir.join("users");
    let mut add = Command::new(env!("CARGO_BIN_EXE_stackmail"))
        .args(["user", "add", "bob", "--users-file"])
        .arg(&users)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"s3cret pass\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let config = format!(
        r#"
[server]
hostname = "mx.test"
listen = ["127.0.0.1:0"]
threads = 1
[spool]
dir = "{d}/spool"
[local]
domains = ["localhost"]
maildir = "{d}/mail/{{user}}"
[tls]
cert = "{d}/cert.pem"
key = "{d}/key.pem"
[auth]
users_file = "{d}/users"
[relay]
networks = []
"#,
        d = dir.display()
    );
    std::fs::write(dir.join("c.toml"), config).unwrap();
    let (child, addr) = smtp_common::spawn_server(&dir.join("c.toml"));
    let port = addr.port();
    (Server(child), port)
}

fn python(script: &str) {
    smtp_common::python(script);
}

#[test]
fn starttls_auth_and_relay_for_authenticated_users() {
    if !have_peer("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = start(dir.path());
    python(&format!(
        r#"
import smtplib, ssl
ctx = ssl.create_default_context(cafile="{d}/cert.pem")
with smtplib.SMTP("127.0.0.1", {port}) as s:
    s.ehlo("py.test")
    assert s.has_extn("starttls"), s.esmtp_features
    assert not s.has_extn("auth"), "AUTH offered in plaintext"
    # Relaying is refused before authentication.
    s.mail("bob@py.test")
    code, _ = s.rcpt("x@elsewhere.test")
    assert code == 554, code
    s.rset()
    s.starttls(context=ctx)
    s.ehlo("py.test")
    assert not s.has_extn("starttls")
    assert "PLAIN" in s.esmtp_features["auth"] and "LOGIN" in s.esmtp_features["auth"]
    try:
        s.login("bob", "wrong")
        raise SystemExit("bad password accepted")
    except smtplib.SMTPAuthenticationError as e:
        assert e.smtp_code == 535, e
    s.login("bob", "s3cret pass")
    refused = s.sendmail("bob@py.test", ["alice@localhost", "x@elsewhere.test"], "Subject: tls\r\n\r\nhi\r\n")
    assert refused == {{}}, refused
with smtplib.SMTP("127.0.0.1", {port}) as s:
    s.starttls(context=ctx)
    s.ehlo("py.test")
    s.user, s.password = "bob", "s3cret pass"
    code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
    assert code == 235, code
print("ok")
"#,
        d = dir.path().display()
    ));
    let new = dir.path().join("mail/alice/new");
    let t = Instant::now();
    let file = loop {
        if let Some(e) = std::fs::read_dir(&new).ok().and_then(|mut d| d.next()) {
            break e.unwrap().path();
        }
        assert!(t.elapsed() < Duration::from_secs(20), "no delivery");
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(file).unwrap();
    assert!(
        text.contains("with ESMTPSA (version=TLSv1_3 cipher=TLS13_"),
        "{text}"
    );
}

/// CVE-2011-0411 class: commands pipelined after STARTTLS in the same packet must not be
/// executed inside the TLS session.
#[test]
fn starttls_command_injection_is_discarded() {
    if !have_peer("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_server, port) = start(dir.path());
    python(&format!(
        r#"
import socket, ssl
ctx = ssl.create_default_context(cafile="{d}/cert.pem")
s = socket.create_connection(("127.0.0.1", {port}))
f = s.makefile("rb")
assert f.readline().startswith(b"220 ")
s.sendall(b"EHLO x\r\nSTARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n")
line = f.readline()
while line[3:4] == b"-":
    line = f.readline()
assert line.startswith(b"250 "), line
assert f.readline().startswith(b"220 2.0.0"), "no 220 for STARTTLS"
t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
tf = t.makefile("rb")
t.sendall(b"MAIL FROM:<a@b.test>\r\n")
reply = tf.readline()
# Had the injected MAIL run, this would be 503 (nested MAIL) or a second 250 would appear;
# after TLS the client must EHLO again, so MAIL is a bad sequence.
assert reply.startswith(b"503 5.5.1"), reply
t.sendall(b"EHLO x\r\n")
line = tf.readline()
assert line.startswith(b"250-mx.test"), line
print("ok")
"#,
        d = dir.path().display()
    ));
}
