//! Filter pipelines inside the running server: `stackmail serve` with `[[filter]]` stages,
//! driven by Python's smtplib over 127.0.0.1. Verdicts become SMTP replies at their phase,
//! edits reach the delivered copy, quarantine holds the message in the spool, and a stage
//! that raises gives 451 without losing anything.

mod common;
mod smtp_common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, filters: &[(&str, &str, &str)]) -> Server {
    start_with(dir, filters, 2, 30)
}

fn start_with(
    dir: &Path,
    filters: &[(&str, &str, &str)],
    threads: usize,
    retry_scan: u64,
) -> Server {
    let mut stages = String::new();
    for (name, src, extra) in filters {
        let path = dir.join(name);
        std::fs::write(&path, src).unwrap();
        stages.push_str(&format!(
            "[[filter]]\nscript = \"{}\"\n{extra}\n",
            path.display()
        ));
    }
    let config = format!(
        r#"
[server]
hostname = "mx.test"
listen = ["127.0.0.1:0"]
threads = {threads}
[spool]
dir = "{spool}"
retry_scan = {retry_scan}
[local]
domains = ["localhost", "example.test"]
maildir = "{mail}/{{user}}"
{stages}"#,
        spool = dir.join("spool").display(),
        mail = dir.join("mail").display(),
    );
    let config_path = dir.join("stackmail.toml");
    std::fs::write(&config_path, config).unwrap();
    let (child, addr) = smtp_common::spawn_server(&config_path);
    Server {
        child,
        port: addr.port(),
        dir: dir.to_path_buf(),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn wait_for(dir: &Path, n: usize) -> Vec<PathBuf> {
    let start = Instant::now();
    loop {
        let f = files(dir);
        if f.len() >= n || start.elapsed() > Duration::from_secs(20) {
            return f;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits (at most 20 s) for `dir` to be empty; false if it never was.
fn wait_empty(dir: &Path) -> bool {
    let start = Instant::now();
    while !files(dir).is_empty() {
        if start.elapsed() > Duration::from_secs(20) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

const POLICY: &str = r#"
import re
SPAM = re.compile(r"\b(lottery|viagra)\b", re.I)

def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "helo" and ev.client.helo == "spammer":
            ev.reject(550, "5.7.1 Go away")
            continue
        if ev.phase == "rcpt" and ev.rcpt.startswith("nobody@"):
            ev.reject(550, "5.1.1 No such user here")
            continue
        if ev.phase == "rcpt" and ev.rcpt in ev.rcpts[:-1]:
            ev.discard()
            continue
        if ev.phase == "data":
            if SPAM.search(ev.message.subject):
                ev.reject(554, "5.7.1 Message looks like spam")
                continue
            if "quarantine" in ev.message.subject:
                ev.quarantine("asked to")
                continue
            if "discard" in ev.message.subject:
                ev.discard()
                continue
            ev.message.add_header("X-Filtered", "yes")
        outbox.send(ev)
"#;

const FOOTER: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        ev.message.append_text("-- scanned")
        outbox.send(ev)
"#;

#[test]
fn verdicts_become_replies_and_edits_reach_the_mailbox() {
    if !common::have_peer("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            ("policy.py", POLICY, ""),
            ("footer.py", FOOTER, "phases = [\"data\"]"),
        ],
    );
    let out = smtp_common::python(&format!(
        r#"
import smtplib
port = {port}
def send(subject, rcpts, helo="client.test"):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.ehlo(helo)
        try:
            s.sendmail("a@client.test", rcpts, "Subject: %s\r\n\r\nhello\r\n" % subject)
            return "sent"
        except smtplib.SMTPRecipientsRefused as e:
            return "refused " + " ".join("%s=%d" % (r, c) for r, (c, t) in sorted(e.recipients.items()))
        except smtplib.SMTPDataError as e:
            return "data %d %s" % (e.smtp_code, e.smtp_error.decode())
        except smtplib.SMTPHeloError as e:
            return "helo %d" % e.smtp_code
print(send("plain", ["alice@localhost", "nobody@localhost"]))
print(send("win the lottery", ["alice@localhost"]))
print(send("please quarantine", ["alice@localhost"]))
print(send("please discard", ["alice@localhost"]))
print(send("only nobody", ["nobody@localhost"]))
# The second RCPT of the same address is discarded; the first one stays.
print(send("twice", ["bob@localhost", "bob@localhost"]))
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
print("helo", s.ehlo("spammer")[0])
# A greeting refused in the middle of a transaction leaves the transaction as it was.
s = smtplib.SMTP("127.0.0.1", port, timeout=10)
s.ehlo("client.test")
s.mail("a@client.test")
s.rcpt("alice@localhost")
print("again", s.ehlo("spammer")[0])
print("data", s.data("Subject: kept\r\n\r\nstill here\r\n")[0])
s.quit()
"#,
        port = server.port
    ));
    assert_eq!(
        out,
        "sent\ndata 554 5.7.1 Message looks like spam\nsent\nsent\nrefused nobody@localhost=550\nsent\nhelo 550\nagain 550\ndata 250\n"
    );
    let bob = wait_for(&server.dir.join("mail/bob/new"), 1);
    assert_eq!(bob.len(), 1, "one copy for the address given twice");
    let mail = wait_for(&server.dir.join("mail/alice/new"), 2);
    assert_eq!(
        mail.len(),
        2,
        "the plain message and the kept one are delivered"
    );
    let texts: Vec<String> = mail
        .iter()
        .map(|m| std::fs::read_to_string(m).unwrap())
        .collect();
    let text = texts.iter().find(|t| t.contains("Subject: plain")).unwrap();
    assert!(text.contains("X-Filtered: yes\r\n"), "{text}");
    assert!(text.contains("hello\r\n-- scanned"), "{text}");
    let kept = texts.iter().find(|t| t.contains("Subject: kept")).unwrap();
    assert!(kept.contains("still here\r\n"), "{kept}");
    let held = files(&server.dir.join("spool/quarantine"));
    assert_eq!(
        held.len(),
        1,
        "the quarantined message is held in the spool"
    );
    let held = std::fs::read_to_string(&held[0]).unwrap();
    assert!(held.contains("please quarantine"), "{held}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(files(&server.dir.join("mail/alice/new")).len(), 2);
}

const SLEEPER: &str = r#"
import time

def run(inbox, outbox):
    for ev in inbox:
        if "slow" in ev.message.subject:
            with open(MARK, "w") as f:
                f.write("asleep")
            time.sleep(5)
            ev.message.add_header("X-Slept", "yes")
        outbox.send(ev)
"#;

#[test]
fn a_filter_in_time_sleep_leaves_the_other_sessions_on_its_thread_running() {
    if !common::have_peer("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("asleep");
    let script = format!("MARK = {:?}\n{SLEEPER}", mark.display().to_string());
    // One scheduler thread: every session shares the thread of the sleeping filter.
    let server = start_with(
        dir.path(),
        &[(
            "sleeper.py",
            &script,
            "phases = [\"data\"]\nworkers = 2\ntimeout = 30",
        )],
        1,
        30,
    );
    let out = smtp_common::python(&format!(
        r#"
import os, smtplib, threading, time
port, mark = {port}, {mark:?}
order = []
def send(subject, rcpt):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.sendmail("a@client.test", [rcpt], "Subject: %s\r\n\r\nhello\r\n" % subject)
    order.append(subject)
slow = threading.Thread(target=send, args=("slow", "alice@localhost"))
slow.start()
deadline = time.time() + 20
while not os.path.exists(mark) and time.time() < deadline:
    time.sleep(0.01)
print("filter asleep", os.path.exists(mark))
send("quick", "bob@localhost")
slow.join()
print(" ".join(order))
"#,
        port = server.port,
        mark = mark.display().to_string(),
    ));
    // A sleep that stopped the thread would hold the quick session (even its greeting)
    // until the slow message's 250.
    assert_eq!(out, "filter asleep True\nquick slow\n");
    let slow = wait_for(&server.dir.join("mail/alice/new"), 1);
    let text = std::fs::read_to_string(&slow[0]).unwrap();
    assert!(text.contains("X-Slept: yes\r\n"), "{text}");
    assert_eq!(wait_for(&server.dir.join("mail/bob/new"), 1).len(), 1);
}

const FIFO_READER: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        if "slow" in ev.message.subject:
            with open(MARK, "w") as f:
                f.write("reading")
            with open(FIFO) as f:
                ev.message.add_header("X-Read", f.read().strip())
        outbox.send(ev)
"#;

#[test]
fn a_filter_waiting_on_a_file_leaves_the_other_sessions_on_its_thread_running() {
    if !common::have_peer("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mark, fifo) = (dir.path().join("reading"), dir.path().join("fifo"));
    let script = format!(
        "MARK = {:?}\nFIFO = {:?}\n{FIFO_READER}",
        mark.display().to_string(),
        fifo.display().to_string()
    );
    let server = start_with(
        dir.path(),
        &[(
            "reader.py",
            &script,
            "phases = [\"data\"]\nworkers = 2\ntimeout = 30",
        )],
        1,
        30,
    );
    // The read of the named pipe lasts until the client writes to it, after its quick
    // message: a read that stopped the thread would hold that message (even its greeting).
    let out = smtp_common::python(&format!(
        r#"
import os, smtplib, threading, time
port, mark, fifo = {port}, {mark:?}, {fifo:?}
os.mkfifo(fifo)
order = []
def send(subject, rcpt):
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
            s.sendmail("a@client.test", [rcpt], "Subject: %s\r\n\r\nhello\r\n" % subject)
        order.append(subject)
    except Exception as e:
        order.append("%s failed (%s)" % (subject, type(e).__name__))
slow = threading.Thread(target=send, args=("slow", "alice@localhost"))
slow.start()
deadline = time.time() + 20
while not os.path.exists(mark) and time.time() < deadline:
    time.sleep(0.01)
print("filter reading", os.path.exists(mark))
send("quick", "bob@localhost")
with open(fifo, "w") as f:
    f.write("from the pipe\n")
slow.join()
print(" ".join(order))
"#,
        port = server.port,
        mark = mark.display().to_string(),
        fifo = fifo.display().to_string(),
    ));
    assert_eq!(out, "filter reading True\nquick slow\n");
    let slow = wait_for(&server.dir.join("mail/alice/new"), 1);
    let text = std::fs::read_to_string(&slow[0]).unwrap();
    assert!(text.contains("X-Read: from the pipe\r\n"), "{text}");
}

const FLAKY_SCANNER: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        try:
            with open(MARK) as f:
                f.read()
        except OSError:
            with open(MARK, "w") as f:
                f.write("failed once")
            raise RuntimeError("scanner unavailable")
        ev.message.add_header("X-Scanned", "second try")
        outbox.send(ev)
"#;

#[test]
fn a_post_queue_stage_that_fails_leaves_the_message_held_until_a_retry_decides() {
    if !common::have_peer("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("failed-once");
    let script = format!("MARK = {:?}\n{FLAKY_SCANNER}", mark.display().to_string());
    let server = start_with(
        dir.path(),
        &[("scanner.py", &script, "phases = [\"queue\"]")],
        2,
        1,
    );
    smtp_common::send_message(
        server.port,
        "a@client.test",
        &["alice@localhost"],
        "Subject: scan me\r\n\r\nhello\r\n",
    );
    // The first run raised: the message was not delivered unscanned but stayed held, and a
    // later retry scan ran the stage again.
    let mail = wait_for(&server.dir.join("mail/alice/new"), 1);
    assert_eq!(mail.len(), 1);
    assert!(mark.exists(), "the stage failed once");
    let text = std::fs::read_to_string(&mail[0]).unwrap();
    assert!(text.contains("X-Scanned: second try\r\n"), "{text}");
    assert!(
        wait_empty(&server.dir.join("spool/msg")),
        "delivered, so removed"
    );
}

const DROP_ALL: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        for r in list(ev.rcpts):
            ev.remove_rcpt(r)
        outbox.send(ev)
"#;

#[test]
fn a_post_queue_stage_that_removes_every_recipient_drops_the_message() {
    if !common::have_peer("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[("drop_all.py", DROP_ALL, "phases = [\"queue\"]")],
    );
    smtp_common::send_message(
        server.port,
        "a@client.test",
        &["alice@localhost"],
        "Subject: nobody\r\n\r\nhello\r\n",
    );
    let spool = server.dir.join("spool");
    assert!(wait_empty(&spool.join("msg")), "the record is removed");
    assert!(
        files(&spool.join("corrupt")).is_empty(),
        "not kept as a bad record"
    );
    assert!(files(&server.dir.join("mail/alice/new")).is_empty());
}

const BROKEN: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        if ev.phase == "rcpt" and ev.rcpt.startswith("crash@"):
            raise KeyError("boom")
        outbox.send(ev)
"#;

#[test]
fn a_stage_that_raises_gives_451_and_the_next_message_goes_through() {
    if !common::have_peer("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[("broken.py", BROKEN, "")]);
    let out = smtp_common::python(&format!(
        r#"
import smtplib
with smtplib.SMTP("127.0.0.1", {port}, timeout=10) as s:
    s.ehlo("client.test")
    code, text = s.docmd("MAIL FROM:<a@client.test>")
    code, text = s.docmd("RCPT TO:<crash@localhost>")
    print(code, text.decode().split(" ")[0])
    s.rset()
    s.sendmail("a@client.test", ["bob@localhost"], "Subject: fine\r\n\r\nok\r\n")
print("sent")
"#,
        port = server.port
    ));
    assert_eq!(out, "451 4.7.0\nsent\n");
    assert_eq!(wait_for(&server.dir.join("mail/bob/new"), 1).len(), 1);
}

#[test]
fn a_filter_that_does_not_compile_stops_serve_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bad.py");
    std::fs::write(
        &script,
        "def run(inbox, outbox):\n    for ev in inbox\n        pass\n",
    )
    .unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = [\"127.0.0.1:0\"]\n[spool]\ndir = \"{}\"\n[[filter]]\nscript = \"{}\"\n",
            dir.path().join("spool").display(),
            script.display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_stackmail"))
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.py:2:"), "{err}");
}

const POST_QUEUE: &str = r#"
def run(inbox, outbox):
    for ev in inbox:
        if "drop me" in ev.message.subject:
            ev.discard()
            continue
        ev.message.add_header("X-Queue-Id", ev.queue_id)
        ev.add_rcpt("carol@localhost")
        outbox.send(ev)
"#;

#[test]
fn post_queue_stages_rewrite_the_spooled_copy_after_the_250() {
    if !common::have_peer("python3") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[("post.py", POST_QUEUE, "phases = [\"queue\"]")],
    );
    let out = smtp_common::python(&format!(
        r#"
import smtplib
with smtplib.SMTP("127.0.0.1", {port}, timeout=10) as s:
    s.ehlo("client.test")
    for subject in ("keep", "drop me"):
        s.mail("a@client.test")
        s.rcpt("dave@localhost")
        s.putcmd("DATA")
        s.getreply()
        s.send(("Subject: %s\r\n\r\nbody\r\n.\r\n" % subject).encode())
        code, text = s.getreply()
        print(code, text.decode().split(" queued as ")[0])
"#,
        port = server.port
    ));
    assert_eq!(out, "250 2.0.0 Ok:\n250 2.0.0 Ok:\n");
    let dave = wait_for(&server.dir.join("mail/dave/new"), 1);
    let carol = wait_for(&server.dir.join("mail/carol/new"), 1);
    assert_eq!((dave.len(), carol.len()), (1, 1));
    let text = std::fs::read_to_string(&dave[0]).unwrap();
    assert!(text.contains("X-Queue-Id: "), "{text}");
    assert!(text.contains("Subject: keep"), "{text}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        files(&server.dir.join("mail/dave/new")).len(),
        1,
        "the discarded one is gone"
    );
    assert!(
        files(&server.dir.join("spool/msg")).is_empty(),
        "nothing left in the queue"
    );
}

/// Takes a second over the message to drop, yielding all along (the instruction budget
/// preempts it), so the retry scan at start runs while the decision is pending.
const SLOW_POST_QUEUE: &str = r#"
import time

def run(inbox, outbox):
    for ev in inbox:
        if "drop me" in ev.message.subject:
            start = time.time()
            while time.time() - start < 1.0:
                pass
            ev.discard()
            continue
        ev.message.add_header("X-Post-Queue", ev.queue_id)
        outbox.send(ev)
"#;

/// Messages a crash left held (their post-queue filters had not decided, or their
/// quarantine was not done) get that work finished at start, not a delivery.
#[test]
fn held_messages_found_at_start_finish_their_work_instead_of_being_delivered() {
    use stackmail::queue::{Envelope, Hold, PendingMessage, Recipient, Spool};
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path().join("spool")).unwrap();
    let held = |subject: &str, hold: Hold| PendingMessage {
        envelope: Envelope {
            received: 1_764_094_000,
            client: Some("192.0.2.7".parse().unwrap()),
            helo: "client.test".into(),
            auth_user: None,
            from: "a@client.test".into(),
            rcpts: vec![Recipient::new("erin@localhost")],
            hold: Some(hold),
        },
        body: format!("Subject: {subject}\r\n\r\nbody\r\n").into_bytes(),
    };
    let ids: Vec<_> = [
        held("drop me", Hold::PostQueue),
        held("keep", Hold::PostQueue),
        held("infected", Hold::Quarantine("virus found".into())),
    ]
    .into_iter()
    .map(|m| spool.commit(m).unwrap())
    .collect();
    drop(spool);

    let server = start(
        dir.path(),
        &[("post.py", SLOW_POST_QUEUE, "phases = [\"queue\"]")],
    );
    let quarantined = wait_for(&server.dir.join("spool/quarantine"), 1);
    assert_eq!(quarantined.len(), 1);
    let text = std::fs::read_to_string(&quarantined[0]).unwrap();
    assert!(text.contains("Subject: infected"), "{text}");
    assert!(text.contains(ids[2].as_str()), "{text}");
    // Without its hold: an operator who moves it back to msg/ gets it delivered.
    assert!(!text.contains("\nhold "), "{text}");
    // Done once the queue is empty: the slow one discarded, the other delivered.
    let start = Instant::now();
    while !files(&server.dir.join("spool/msg")).is_empty()
        && start.elapsed() < Duration::from_secs(20)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(files(&server.dir.join("spool/msg")).is_empty());
    let mail = files(&server.dir.join("mail/erin/new"));
    assert_eq!(
        mail.len(),
        1,
        "only the kept message is delivered: {mail:?}"
    );
    let text = std::fs::read_to_string(&mail[0]).unwrap();
    assert!(text.contains("Subject: keep"), "{text}");
    assert!(
        text.contains(&format!("X-Post-Queue: {}", ids[1])),
        "the filters ran on it: {text}"
    );
}
