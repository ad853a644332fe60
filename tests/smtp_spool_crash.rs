//! `kill -9` during commits: every message whose commit returned (the moment the server would
//! answer 250) must survive, intact, and recovery must not panic on what the crash left.
//!
//! The writer is this same test binary, re-run with `SPOOL_CRASH_CHILD` set: it commits
//! batches forever and prints each committed id; the parent kills it mid-stream.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use stackmail::queue::{Envelope, Hold, PendingMessage, QueueId, Recipient, Spool};

fn message(n: u64) -> PendingMessage {
    PendingMessage {
        envelope: Envelope {
            received: 1_764_094_000 + n,
            client: None,
            helo: "crash.test".into(),
            auth_user: None,
            from: format!("sender{n}@crash.test"),
            rcpts: vec![Recipient::new(format!("rcpt{n}@localhost"))],
            hold: None,
        },
        // Big enough that a kill can land in the middle of a body write.
        body: format!(
            "Subject: {n}\r\n\r\n{}\r\n",
            "x".repeat(20_000 + (n as usize % 1000))
        )
        .into_bytes(),
    }
}

/// The child's body; a no-op when run as an ordinary test.
#[test]
fn child_writer() {
    let Some(dir) = std::env::var_os("SPOOL_CRASH_CHILD") else {
        return;
    };
    let spool = Spool::open(dir).unwrap();
    let mut n = 0u64;
    loop {
        let batch: Vec<_> = (n..n + 4).map(message).collect();
        for (i, r) in spool.commit_batch(batch).into_iter().enumerate() {
            println!("{} {}", r.unwrap(), n + i as u64);
        }
        n += 4;
    }
}

/// Runs the child test `child` (its working directory passed in `env`), reads the
/// "ID N" lines it prints for each acknowledged message until `target` of them (or 60 s),
/// then kills it with SIGKILL. Returns what it acknowledged.
fn acked_then_killed(
    child: &str,
    env: (&str, &std::path::Path),
    target: usize,
) -> Vec<(QueueId, u64)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", child, "--nocapture", "--test-threads=1"])
        .env(env.0, env.1)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked: Vec<(QueueId, u64)> = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let start = Instant::now();
    while acked.len() < target && start.elapsed() < Duration::from_secs(60) {
        let Some(Ok(line)) = lines.next() else { break };
        let Some((id, n)) = line.split_once(' ') else {
            continue;
        };
        if let (Some(id), Ok(n)) = (QueueId::parse(id), n.parse()) {
            acked.push((id, n));
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    acked
}

#[test]
fn committed_messages_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let spool_dir = dir.path().join("spool");
    for round in 0..3 {
        // Kill at a different point each round.
        let target = 40 + round * 37;
        let acked = acked_then_killed("child_writer", ("SPOOL_CRASH_CHILD", &spool_dir), target);
        assert!(
            acked.len() >= target,
            "writer produced only {} commits",
            acked.len()
        );

        let spool = Spool::open(&spool_dir).unwrap();
        let recovery = spool.recover().unwrap();
        let live: std::collections::HashSet<_> =
            recovery.messages.iter().map(|m| m.id.clone()).collect();
        for (id, n) in &acked {
            assert!(live.contains(id), "round {round}: acknowledged {id} lost");
            let expected = message(*n);
            assert_eq!(spool.read_body(id).unwrap(), expected.body);
            assert_eq!(spool.load(id).unwrap().envelope, expected.envelope);
        }
        // Clean up so the next round starts from the recovered state only.
        for m in &recovery.messages {
            spool.remove(&m.id).unwrap();
        }
    }
}

fn local_config(root: &std::path::Path) -> stackmail::config::LocalConfig {
    stackmail::config::LocalConfig {
        domains: vec!["localhost".into()],
        maildir: root.join("mail/{user}").to_string_lossy().into_owned(),
    }
}

/// The child's body for delivery before queueing: batches to local mailboxes (so they skip
/// the spool) mixed with held ones (which take it), each acknowledged id printed.
#[test]
fn child_deliverer() {
    use stackmail::deliver::deliver_or_queue;
    let Some(dir) = std::env::var_os("DIRECT_CRASH_CHILD") else {
        return;
    };
    let root = std::path::PathBuf::from(dir);
    let spool = Spool::open(root.join("spool")).unwrap();
    let local = local_config(&root);
    let mut n = 0u64;
    loop {
        let batch: Vec<_> = (n..n + 4)
            .map(|n| {
                let mut msg = message(n);
                msg.envelope.hold = (n % 4 == 3).then_some(Hold::PostQueue);
                msg
            })
            .collect();
        for (i, r) in deliver_or_queue(&spool, &local, "mx.test", batch)
            .into_iter()
            .enumerate()
        {
            println!("{} {}", r.unwrap().id(), n + i as u64);
        }
        n += 4;
    }
}

/// `kill -9` during delivery before queueing: every acknowledged message is, intact, either
/// in its recipient's Maildir `new/` (exactly one copy) or in the spool; what the crash left
/// in the Maildirs' `tmp/` is never visible.
#[test]
fn delivered_before_queueing_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    for round in 0..3 {
        let target = 40 + round * 37;
        let acked = acked_then_killed("child_deliverer", ("DIRECT_CRASH_CHILD", &root), target);
        assert!(acked.len() >= target, "only {} acknowledged", acked.len());

        let spool = Spool::open(root.join("spool")).unwrap();
        let recovery = spool.recover().unwrap();
        let new_dir = |n: u64| root.join(format!("mail/rcpt{n}/new"));
        for (id, n) in &acked {
            let expected = message(*n);
            let copies: Vec<_> = std::fs::read_dir(new_dir(*n))
                .map(|d| d.map(|e| e.unwrap().path()).collect())
                .unwrap_or_default();
            let copies: Vec<_> = copies
                .iter()
                .filter(|p| p.to_string_lossy().contains(id.as_str()))
                .collect();
            if n % 4 == 3 {
                // Held: in the spool, not delivered.
                assert!(copies.is_empty(), "round {round}: held {id} was delivered");
                assert_eq!(spool.read_body(id).unwrap(), expected.body);
            } else {
                assert_eq!(copies.len(), 1, "round {round}: {id} has {copies:?}");
                assert_eq!(std::fs::read(copies[0]).unwrap(), expected.body);
                assert!(
                    spool.load(id).is_err(),
                    "round {round}: {id} was delivered and queued"
                );
            }
        }
        for m in &recovery.messages {
            spool.remove(&m.id).unwrap();
        }
    }
}
