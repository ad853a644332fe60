//! SIGHUP reloads the filter pipeline of a running `stackmail serve`: new connections get
//! the new scripts, and a set that fails to compile is logged and changes nothing.

mod smtp_common;

use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn hangup(&self) {
        // The shell's own `kill`: no procps needed, and no unsafe `libc::kill` in tests.
        let status = Command::new("sh")
            .args(["-c", "kill -HUP \"$0\"", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -HUP failed");
    }

    fn log_has(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.log.lock().unwrap().iter().any(|l| pred(l))
    }

    fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

fn rejects(who: char) -> String {
    format!(
        r#"
def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "rcpt" and ev.rcpt.startswith("{who}@"):
            ev.reject(550, "5.1.1 No {who} here")
            continue
        outbox.send(ev)
"#
    )
}

/// Writes `dir/stackmail.toml`: a server with its spool and Maildirs in `dir`, scanning the
/// spool every second, and `filters` (`[[filter]]` tables).
fn write_config(dir: &Path, filters: &str) -> std::path::PathBuf {
    let config = format!(
        r#"
[server]
hostname = "mx.test"
listen = ["127.0.0.1:0"]
threads = 2
[spool]
dir = "{spool}"
retry_scan = 1
[local]
domains = ["example.test"]
maildir = "{mail}/{{user}}"
{filters}"#,
        spool = dir.join("spool").display(),
        mail = dir.join("mail").display(),
    );
    let config_path = dir.join("stackmail.toml");
    std::fs::write(&config_path, config).unwrap();
    config_path
}

fn stage(script: &Path, phase: &str) -> String {
    format!(
        "[[filter]]\nscript = \"{}\"\nphases = [\"{phase}\"]\n",
        script.display()
    )
}

fn serve(config_path: &Path) -> Server {
    let (child, addr, log) = smtp_common::spawn_server_logged(config_path);
    Server {
        child,
        port: addr.port(),
        log,
    }
}

fn start(dir: &Path, script: &Path) -> Server {
    serve(&write_config(dir, &stage(script, "rcpt")))
}

/// Opens `n` connections one after the other; for each, the RCPT codes of a@ and b@.
fn rcpt_codes(port: u16, n: usize) -> Vec<(u16, u16)> {
    let script = format!(
        r#"
import smtplib
for _ in range({n}):
    s = smtplib.SMTP("127.0.0.1", {port}, timeout=10)
    s.ehlo("client.test")
    s.mail("sender@example.org")
    a = s.rcpt("a@example.test")[0]
    b = s.rcpt("b@example.test")[0]
    s.quit()
    print(a, b)
"#
    );
    smtp_common::python(&script)
        .lines()
        .map(|l| {
            let (a, b) = l.split_once(' ').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect()
}

/// Polls (for up to 10 s) until a run of new connections, enough to reach every thread,
/// all get `want`.
fn wait_for_codes(server: &Server, want: (u16, u16)) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = rcpt_codes(server.port, 6);
        if got.iter().all(|c| *c == want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still {got:?}, not {want:?}, 10 s after SIGHUP\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sighup_swaps_in_new_scripts_and_keeps_the_old_ones_when_the_new_fail() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("rcpt.py");
    std::fs::write(&script, rejects('a')).unwrap();
    let server = start(dir.path(), &script);
    assert!(
        rcpt_codes(server.port, 4).iter().all(|c| *c == (550, 250)),
        "{}",
        server.log_text()
    );

    // A session that is open across the reload keeps the pipeline it started with.
    let mut open = Command::new("python3")
        .args([
            "-c",
            &format!(
                r#"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", {port}, timeout=20)
s.ehlo("client.test")
s.mail("sender@example.org")
print("ready", flush=True)
sys.stdin.readline()
print(s.rcpt("a@example.test")[0], s.rcpt("b@example.test")[0], flush=True)
s.quit()
"#,
                port = server.port
            ),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(open.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert_eq!(line.trim(), "ready");

    std::fs::write(&script, rejects('b')).unwrap();
    server.hangup();
    wait_for_codes(&server, (250, 550));

    {
        use std::io::Write;
        let mut stdin = open.stdin.take().unwrap();
        writeln!(stdin).unwrap();
    }
    line.clear();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert_eq!(line.trim(), "550 250", "the open session kept its pipeline");
    assert!(open.wait().unwrap().success());

    // A script that does not compile: the error names the file and line, nothing changes.
    std::fs::write(&script, "def run(inbox, outbox):\n    for ev in inbox\n").unwrap();
    server.hangup();
    let deadline = Instant::now() + Duration::from_secs(10);
    let position = format!("{}:2:", script.display());
    while !server.log_has(|l| l.contains(&position)) {
        assert!(
            Instant::now() < deadline,
            "no error naming {position} in the log:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        server.log_has(|l| l.contains("the running filters stay")),
        "{}",
        server.log_text()
    );
    assert!(
        rcpt_codes(server.port, 6).iter().all(|c| *c == (250, 550)),
        "the old pipeline keeps serving\n{}",
        server.log_text()
    );

    // Only the filters change on a reload; other changed sections are named in a warning.
    let config = dir.path().join("stackmail.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("mx.test", "mx2.test")).unwrap();
    std::fs::write(&script, rejects('a')).unwrap();
    server.hangup();
    wait_for_codes(&server, (550, 250));
    assert!(
        server.log_has(|l| l.contains("need a restart") && l.contains("[server]")),
        "{}",
        server.log_text()
    );
}

#[test]
fn a_message_held_by_a_failing_post_queue_stage_is_released_once_a_reload_removes_the_stage() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("queue.py");
    std::fs::write(
        &script,
        "def run(inbox, outbox):\n    for ev in inbox:\n        raise RuntimeError('stage broken')\n",
    )
    .unwrap();
    let config_path = write_config(dir.path(), &stage(&script, "queue"));
    let server = serve(&config_path);
    smtp_common::send_message(
        server.port,
        "sender@example.org",
        &["a@example.test"],
        "Subject: held\r\n\r\nbody\r\n",
    );
    // The stage fails on every try: the message stays held, through several scans.
    std::thread::sleep(Duration::from_secs(3));
    let inbox = dir.path().join("mail/a/new");
    let count = || std::fs::read_dir(&inbox).map_or(0, |d| d.count());
    assert_eq!(count(), 0, "{}", server.log_text());

    // The reload drops the stage: the next scans release the message as it is.
    write_config(dir.path(), "");
    server.hangup();
    let deadline = Instant::now() + Duration::from_secs(15);
    while count() == 0 {
        assert!(
            Instant::now() < deadline,
            "still held 15 s after the reload:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(count(), 1);
}
