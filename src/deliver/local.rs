//! Local delivery of a spooled message: each pending recipient in a local domain goes to its
//! Maildir, and the outcome of each is recorded in the spool before anything else happens,
//! so a crash at any point leads to a retry (made harmless by idempotent Maildir names),
//! never to a lost message.

use crate::config::LocalConfig;
use crate::queue::{
    QueueId, QueuedMessage, RcptStatus, Recipient, Spool, SpoolError, UpdateOutcome, sync_files,
};
use crate::smtp::proto::mailbox;

use super::DeliveryError;
use super::maildir::{Delivered, Maildir, Staged, Written, maildir_name, maildir_path};

/// Seconds to wait before attempt `attempts + 1`: doubling from one minute, capped at an hour.
pub fn retry_delay(attempts: u32) -> u64 {
    60u64.saturating_mul(1u64 << attempts.min(6)).min(3600)
}

/// Splits a spooled recipient into (user, domain); `None` domain for `Postmaster`.
fn local_user(address: &str) -> Option<(String, Option<String>)> {
    if !address.contains('@') {
        return address
            .eq_ignore_ascii_case("postmaster")
            .then(|| ("postmaster".to_string(), None));
    }
    let (m, rest) = mailbox(address).ok()?;
    rest.is_empty()
        .then(|| (m.local_unquoted(), Some(m.domain.to_string())))
}

/// Delivers the message's due, pending, local recipients (those whose `next_attempt` is at or
/// before `now`, in unix seconds) and records the outcome in the spool. Recipients in other
/// domains are left pending for the relay delivery.
pub fn deliver_local(
    spool: &Spool,
    msg: &mut QueuedMessage,
    local: &LocalConfig,
    hostname: &str,
    now: u64,
) -> Result<UpdateOutcome, SpoolError> {
    deliver_local_batch(spool, std::slice::from_mut(msg), local, hostname, now)
        .pop()
        .unwrap_or(Ok(UpdateOutcome::Kept))
}

/// One recipient's delivery in flight.
struct Job {
    msg: usize,
    rcpt: usize,
    maildir: Maildir,
    staged: Option<Written>,
    outcome: Option<Result<Delivered, DeliveryError>>,
}

/// [`deliver_local`] for many messages with shared fsyncs: every Maildir file is written, then
/// all are fsynced together, then linked into `new/`, then each `new/` directory is fsynced
/// once, and only then does the spool record the outcomes.
pub fn deliver_local_batch(
    spool: &Spool,
    msgs: &mut [QueuedMessage],
    local: &LocalConfig,
    hostname: &str,
    now: u64,
) -> Vec<Result<UpdateOutcome, SpoolError>> {
    let mut results: Vec<Option<Result<UpdateOutcome, SpoolError>>> =
        (0..msgs.len()).map(|_| None).collect();
    let mut changed = vec![false; msgs.len()];
    let mut jobs: Vec<Job> = Vec::new();
    for (m, msg) in msgs.iter_mut().enumerate() {
        let mut body: Option<Vec<u8>> = None;
        for (r, rcpt) in msg.envelope.rcpts.iter_mut().enumerate() {
            if rcpt.status != RcptStatus::Pending || rcpt.next_attempt > now {
                continue;
            }
            let Some((user, domain)) = local_user(&rcpt.address) else {
                rcpt.status = RcptStatus::Failed;
                rcpt.last_error = Some("invalid recipient address in spool".into());
                changed[m] = true;
                continue;
            };
            if domain.as_deref().is_some_and(|d| !local.is_local_domain(d)) {
                continue;
            }
            if body.is_none() {
                match spool.read_body(&msg.id) {
                    Ok(b) => body = Some(b),
                    Err(e) => {
                        results[m] = Some(Err(e));
                        break;
                    }
                }
            }
            let data = body.as_deref().unwrap_or_default();
            let name = maildir_name(msg.envelope.received, msg.id.as_str(), r, hostname);
            let staged = maildir_path(&local.maildir, &user)
                .and_then(Maildir::open)
                .and_then(|md| md.stage(&name, data, rcpt.attempts > 0).map(|st| (md, st)));
            let job = match staged {
                Ok((maildir, Staged::Written(w))) => Job {
                    msg: m,
                    rcpt: r,
                    maildir,
                    staged: Some(w),
                    outcome: None,
                },
                Ok((maildir, Staged::AlreadyThere(p))) => Job {
                    msg: m,
                    rcpt: r,
                    maildir,
                    staged: None,
                    outcome: Some(Ok(Delivered::AlreadyThere(p))),
                },
                Err(e) => {
                    // No Maildir to stage into; record the failure directly.
                    apply(rcpt, &msg.id, Err(e), now);
                    changed[m] = true;
                    continue;
                }
            };
            jobs.push(job);
        }
    }

    // All staged files synced together, then linked.
    let files: Vec<&std::fs::File> = jobs
        .iter()
        .filter_map(|j| j.staged.as_ref().map(|w| &w.file))
        .collect();
    let synced = sync_files(&files);
    let mut synced = synced.into_iter();
    for job in jobs.iter_mut() {
        let Some(staged) = job.staged.take() else {
            continue;
        };
        job.outcome = Some(match synced.next() {
            Some(Ok(())) => job.maildir.publish(staged),
            Some(Err(e)) => Err(DeliveryError::Transient {
                op: "fsync",
                path: job.maildir.root().to_path_buf(),
                source: e,
            }),
            None => Err(DeliveryError::Permanent(
                "internal: fsync result missing".into(),
            )),
        });
    }
    // One fsync per new/ directory; a failure there makes its deliveries transient failures.
    let mut dirs: Vec<&Maildir> = jobs.iter().map(|j| &j.maildir).collect();
    dirs.sort_by(|a, b| a.root().cmp(b.root()));
    dirs.dedup_by(|a, b| a.root() == b.root());
    let failed_dirs: Vec<std::path::PathBuf> = dirs
        .iter()
        .filter(|md| md.sync_new().is_err())
        .map(|md| md.root().to_path_buf())
        .collect();

    for job in jobs {
        let Some(msg) = msgs.get_mut(job.msg) else {
            continue;
        };
        let Some(rcpt) = msg.envelope.rcpts.get_mut(job.rcpt) else {
            continue;
        };
        let mut outcome = job
            .outcome
            .unwrap_or_else(|| Err(DeliveryError::Permanent("internal: no outcome".into())));
        if outcome.is_ok() && failed_dirs.iter().any(|d| d == job.maildir.root()) {
            let path = job.maildir.root().join("new");
            outcome = Err(DeliveryError::Transient {
                op: "fsync",
                path,
                source: std::io::Error::other("directory fsync failed"),
            });
        }
        apply(rcpt, &msg.id, outcome, now);
        if let Some(c) = changed.get_mut(job.msg) {
            *c = true;
        }
    }

    msgs.iter()
        .zip(results)
        .zip(changed)
        .map(|((msg, result), changed)| match result {
            Some(r) => r,
            None if changed => spool.update(msg),
            None => Ok(UpdateOutcome::Kept),
        })
        .collect()
}

/// Records one recipient's outcome in its envelope (the spool update follows).
fn apply(rcpt: &mut Recipient, id: &QueueId, outcome: Result<Delivered, DeliveryError>, now: u64) {
    rcpt.attempts = rcpt.attempts.saturating_add(1);
    match outcome {
        Ok(delivered) => {
            let path = match &delivered {
                Delivered::New(p) | Delivered::AlreadyThere(p) => p.display().to_string(),
            };
            tracing::info!(queue_id = %id, rcpt = %rcpt.address, path, "delivered to Maildir");
            rcpt.status = RcptStatus::Delivered;
            rcpt.last_error = None;
        }
        Err(e @ DeliveryError::Permanent(_)) => {
            tracing::warn!(queue_id = %id, rcpt = %rcpt.address, error = %e, "delivery failed permanently");
            rcpt.status = RcptStatus::Failed;
            rcpt.last_error = Some(e.to_string());
        }
        Err(e) => {
            let delay = retry_delay(rcpt.attempts - 1);
            tracing::warn!(queue_id = %id, rcpt = %rcpt.address, error = %e, retry_in = delay, "delivery deferred");
            rcpt.next_attempt = now + delay;
            rcpt.last_error = Some(e.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::queue::{Envelope, PendingMessage, Recipient};

    #[test]
    fn delivers_records_retries_and_removes() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path().join("spool")).unwrap();
        let local = LocalConfig {
            domains: vec!["localhost".into(), "example.test".into()],
            maildir: dir
                .path()
                .join("mail/{user}")
                .to_string_lossy()
                .into_owned(),
        };
        let rcpts = [
            "Bob@localhost",
            "carol@EXAMPLE.test",
            "\"dave\"@localhost",
            "x@remote.test",
            "Postmaster",
            "../evil@localhost",
        ];
        let id = spool
            .commit(PendingMessage {
                envelope: Envelope {
                    received: 100,
                    client: None,
                    helo: "h".into(),
                    auth_user: None,
                    from: "a@b.test".into(),
                    rcpts: rcpts.iter().map(|r| Recipient::new(*r)).collect(),
                },
                body: b"Subject: t\r\n\r\nhello\r\n".to_vec(),
            })
            .unwrap();
        // carol's Maildir cannot be created: a file is in the way.
        fs::create_dir_all(dir.path().join("mail")).unwrap();
        fs::write(dir.path().join("mail/carol"), b"").unwrap();

        let mut msg = spool.load(&id).unwrap();
        assert_eq!(
            deliver_local(&spool, &mut msg, &local, "mx.test", 1000).unwrap(),
            UpdateOutcome::Kept
        );
        let stored = spool.load(&id).unwrap();
        let status: Vec<_> = stored.envelope.rcpts.iter().map(|r| r.status).collect();
        use RcptStatus::*;
        assert_eq!(
            status,
            vec![Delivered, Pending, Delivered, Pending, Delivered, Failed]
        );
        assert_eq!(stored.envelope.rcpts[1].next_attempt, 1060);
        assert!(stored.envelope.rcpts[1].last_error.is_some());
        let new_count = |u: &str| {
            fs::read_dir(dir.path().join("mail").join(u).join("new")).map_or(0, |d| d.count())
        };
        assert_eq!(
            (new_count("bob"), new_count("dave"), new_count("postmaster")),
            (1, 1, 1)
        );

        // Not due yet: nothing happens.
        let mut msg = stored;
        deliver_local(&spool, &mut msg, &local, "mx.test", 1059).unwrap();
        assert_eq!(spool.load(&id).unwrap().envelope.rcpts[1].attempts, 1);

        // Fixed, due: carol gets exactly one copy; the remote recipient still holds the message.
        fs::remove_file(dir.path().join("mail/carol")).unwrap();
        deliver_local(&spool, &mut msg, &local, "mx.test", 2000).unwrap();
        assert_eq!(new_count("carol"), 1);
        assert_eq!(msg.envelope.rcpts[1].status, Delivered);
        assert_eq!(
            fs::read(
                dir.path()
                    .join("mail/carol/new")
                    .read_dir()
                    .unwrap()
                    .next()
                    .unwrap()
                    .unwrap()
                    .path()
            )
            .unwrap(),
            b"Subject: t\r\n\r\nhello\r\n"
        );

        // Once the last recipient is done, the message leaves the spool.
        msg.envelope.rcpts[3].status = Failed;
        assert_eq!(spool.update(&msg).unwrap(), UpdateOutcome::Removed);
        assert!(spool.recover().unwrap().messages.is_empty());
    }

    #[test]
    fn retry_delays_grow_and_cap() {
        assert_eq!(retry_delay(0), 60);
        assert_eq!(retry_delay(1), 120);
        assert_eq!(retry_delay(20), 3600);
    }
}
