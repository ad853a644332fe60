//! Local delivery of a spooled message: each pending recipient in a local domain goes to its
//! Maildir, and the outcome of each is recorded in the spool before anything else happens,
//! so a crash at any point leads to a retry (made harmless by idempotent Maildir names),
//! never to a lost message.

use crate::config::LocalConfig;
use crate::queue::{
    Envelope, QueueId, QueuedMessage, RcptStatus, Recipient, Spool, SpoolError, UpdateOutcome,
    sync_files,
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

/// Whether every recipient is a mailbox of a local domain, so the message can be delivered
/// without ever being queued.
pub fn all_local(envelope: &Envelope, local: &LocalConfig) -> bool {
    envelope.rcpts.iter().all(|r| match local_user(&r.address) {
        Some((_, None)) => true,
        Some((_, Some(domain))) => local.is_local_domain(&domain),
        None => false,
    })
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
    let body = spool.read_body(&msg.id)?;
    let mut one = [(msg.clone(), body, true)];
    let result = deliver_local_batch(spool, &mut one, local, hostname, now).pop();
    let [(delivered, _, _)] = one;
    *msg = delivered;
    result.unwrap_or(Ok(UpdateOutcome::Kept))
}

/// [`deliver_local`] for many spooled messages (each with its body, and whether a delivery
/// pass may have gone over it before, see [`Local::spooled`]) with shared fsyncs:
/// [`deliver_to_maildirs`], then the spool records the outcomes.
pub fn deliver_local_batch(
    spool: &Spool,
    msgs: &mut [(QueuedMessage, Vec<u8>, bool)],
    local: &LocalConfig,
    hostname: &str,
    now: u64,
) -> Vec<Result<UpdateOutcome, SpoolError>> {
    let mut batch: Vec<Local<'_>> = msgs
        .iter_mut()
        .map(|(msg, body, seen)| Local {
            id: &msg.id,
            envelope: &mut msg.envelope,
            body,
            spooled: *seen,
        })
        .collect();
    let changed = deliver_to_maildirs(&mut batch, local, hostname, now);
    drop(batch);
    msgs.iter()
        .zip(changed)
        .map(|((msg, body, _), changed)| {
            // A record with nothing left to do (the direct path spools one whose recipients
            // all failed there) is removed even though this pass changed nothing.
            let finished = || {
                msg.envelope
                    .rcpts
                    .iter()
                    .all(|r| r.status != RcptStatus::Pending)
            };
            if changed || finished() {
                spool.update_with_body(msg, body)
            } else {
                Ok(UpdateOutcome::Kept)
            }
        })
        .collect()
}

/// One message's share of a batch delivery: its recipients' statuses are updated in place.
pub struct Local<'a> {
    pub id: &'a QueueId,
    pub envelope: &'a mut Envelope,
    pub body: &'a [u8],
    /// Read back from the spool, and a delivery pass may have gone over it before: a copy
    /// may be in the Maildir already (published before a crash or a failed record update
    /// left its recipient pending), perhaps moved to `cur/` by a reader since, so delivery
    /// looks for it first. A message fresh from DATA has a new queue id, so none can exist.
    pub spooled: bool,
}

/// One recipient's delivery in flight.
struct Job {
    msg: usize,
    rcpt: usize,
    /// Index into the batch's Maildirs.
    maildir: usize,
    staged: Option<Written>,
    outcome: Option<Result<Delivered, DeliveryError>>,
}

/// Delivers the due, pending, local recipients of every message with shared fsyncs: every
/// Maildir file is written, then all are fsynced together, then moved into `new/`, then each
/// `new/` directory is fsynced once. On return each outcome is durable and recorded in its
/// envelope (not in the spool: that is the caller's business). Returns, per message, whether
/// any recipient's status changed.
pub fn deliver_to_maildirs(
    msgs: &mut [Local<'_>],
    local: &LocalConfig,
    hostname: &str,
    now: u64,
) -> Vec<bool> {
    let mut changed = vec![false; msgs.len()];
    let mut jobs: Vec<Job> = Vec::new();
    // (job, message, recipient): recipients delivered by an earlier job of their message.
    let mut followers: Vec<(usize, usize, usize)> = Vec::new();
    // One per mailbox in the batch (most of a batch often goes to a few), for one `new/`
    // fsync each.
    let mut maildirs: Vec<(std::path::PathBuf, Maildir)> = Vec::new();
    for (m, msg) in msgs.iter_mut().enumerate() {
        for (r, rcpt) in msg.envelope.rcpts.iter_mut().enumerate() {
            if rcpt.status != RcptStatus::Pending || rcpt.next_attempt > now {
                continue;
            }
            let Some((user, domain)) = local_user(&rcpt.address) else {
                tracing::warn!(queue_id = %msg.id, rcpt = ?rcpt.address, "delivery failed permanently: invalid recipient address");
                rcpt.status = RcptStatus::Failed;
                rcpt.last_error = Some("invalid recipient address in spool".into());
                changed[m] = true;
                continue;
            };
            if domain.as_deref().is_some_and(|d| !local.is_local_domain(d)) {
                continue;
            }
            let name = maildir_name(msg.envelope.received, msg.id.as_str(), r, hostname);
            let opened = maildir_path(&local.maildir, &user).map(|path| {
                if let Some(i) = maildirs.iter().position(|(p, _)| *p == path) {
                    return i;
                }
                let md = Maildir::at(&path);
                maildirs.push((path, md));
                maildirs.len() - 1
            });
            // The same mailbox twice in one message (`bob@` and `Bob@`, or one address
            // given twice): one copy, whose outcome the later recipient shares.
            if let Ok(i) = opened {
                let earlier = jobs
                    .iter()
                    .rev()
                    .take_while(|j| j.msg == m)
                    .position(|j| j.maildir == i);
                if let Some(back) = earlier {
                    followers.push((jobs.len() - 1 - back, m, r));
                    continue;
                }
            }
            let staged = opened.and_then(|i| {
                let md = &maildirs[i].1;
                md.stage(&name, msg.body, msg.spooled || rcpt.attempts > 0)
                    .map(|st| (i, st))
            });
            let (maildir, staged, outcome) = match staged {
                Ok((i, Staged::Written(w))) => (i, Some(w), None),
                Ok((i, Staged::AlreadyThere(p))) => (i, None, Some(Ok(Delivered::AlreadyThere(p)))),
                Err(e) => {
                    // No Maildir to stage into; record the failure directly.
                    apply(rcpt, msg.id, Err(e), now);
                    changed[m] = true;
                    continue;
                }
            };
            jobs.push(Job {
                msg: m,
                rcpt: r,
                maildir,
                staged,
                outcome,
            });
        }
    }

    // All staged files synced together, then moved into new/.
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
        let Some((_, maildir)) = maildirs.get(job.maildir) else {
            continue;
        };
        job.outcome = Some(match synced.next() {
            Some(Ok(())) => maildir.publish(staged),
            Some(Err(e)) => Err(DeliveryError::Transient {
                op: "fsync",
                path: maildir.root().to_path_buf(),
                source: e,
            }),
            None => Err(DeliveryError::Permanent(
                "internal: fsync result missing".into(),
            )),
        });
    }
    // One fsync per new/ directory; a failure there makes its deliveries transient failures.
    let dir_synced: Vec<bool> = maildirs
        .iter()
        .map(|(_, md)| md.sync_new().is_ok())
        .collect();

    let mut shared: Vec<(usize, usize, Result<Delivered, DeliveryError>)> = Vec::new();
    for (j, job) in jobs.into_iter().enumerate() {
        let Some(msg) = msgs.get_mut(job.msg) else {
            continue;
        };
        let id = msg.id;
        let Some(rcpt) = msg.envelope.rcpts.get_mut(job.rcpt) else {
            continue;
        };
        let mut outcome = job
            .outcome
            .unwrap_or_else(|| Err(DeliveryError::Permanent("internal: no outcome".into())));
        if outcome.is_ok() && !dir_synced.get(job.maildir).copied().unwrap_or(false) {
            let path = maildirs
                .get(job.maildir)
                .map(|(_, md)| md.root().join("new"))
                .unwrap_or_default();
            outcome = Err(DeliveryError::Transient {
                op: "fsync",
                path,
                source: std::io::Error::other("directory fsync failed"),
            });
        }
        for &(_, m, r) in followers.iter().filter(|f| f.0 == j) {
            shared.push((m, r, same_outcome(&outcome)));
        }
        apply(rcpt, id, outcome, now);
        if let Some(c) = changed.get_mut(job.msg) {
            *c = true;
        }
    }
    for (m, r, outcome) in shared {
        if let Some(msg) = msgs.get_mut(m)
            && let Some(rcpt) = msg.envelope.rcpts.get_mut(r)
        {
            apply(rcpt, msg.id, outcome, now);
        }
    }
    changed
}

/// The outcome of a recipient whose copy is another recipient's (the same mailbox).
fn same_outcome(outcome: &Result<Delivered, DeliveryError>) -> Result<Delivered, DeliveryError> {
    match outcome {
        Ok(Delivered::New(p) | Delivered::AlreadyThere(p)) => {
            Ok(Delivered::AlreadyThere(p.clone()))
        }
        Err(DeliveryError::Permanent(why)) => Err(DeliveryError::Permanent(why.clone())),
        Err(DeliveryError::Transient { op, path, source }) => Err(DeliveryError::Transient {
            op,
            path: path.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        }),
    }
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
    use crate::queue::PendingMessage;

    #[test]
    fn one_mailbox_named_twice_in_a_message_gets_one_copy() {
        let (dir, _spool, local) = super::super::test_setup();
        let id = QueueId::generate(std::time::SystemTime::now());
        let mut pending = PendingMessage::for_test(
            &[
                "bob@localhost",
                "alice@localhost",
                "Bob@localhost",
                "bob@localhost",
            ],
            b"Subject: t\r\n\r\nhello\r\n",
        );
        let mut msgs = vec![Local {
            id: &id,
            envelope: &mut pending.envelope,
            body: &pending.body,
            spooled: false,
        }];
        assert_eq!(
            deliver_to_maildirs(&mut msgs, &local, "mx.test", 100),
            [true]
        );
        let copies = |u: &str| {
            fs::read_dir(dir.path().join("mail").join(u).join("new"))
                .unwrap()
                .count()
        };
        assert_eq!((copies("bob"), copies("alice")), (1, 1));
        assert!(
            pending
                .envelope
                .rcpts
                .iter()
                .all(|r| r.status == RcptStatus::Delivered)
        );
    }

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
            .commit(PendingMessage::for_test(
                &rcpts,
                b"Subject: t\r\n\r\nhello\r\n",
            ))
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
    fn a_copy_published_before_a_crash_and_read_since_is_not_delivered_again() {
        let (dir, spool, local) = crate::deliver::test_setup();
        let id = spool
            .commit(PendingMessage::for_test(
                &["bob@localhost"],
                b"Subject: t\r\n\r\nhello\r\n",
            ))
            .unwrap();
        let mut msg = spool.load(&id).unwrap();
        // A pass published bob's copy, then the daemon died before the record said so (its
        // recipient is still pending, no attempt counted); bob's reader has since moved the
        // copy to cur/.
        let name = maildir_name(msg.envelope.received, id.as_str(), 0, "mx.test");
        let bob = dir.path().join("mail/bob");
        Maildir::open(&bob).unwrap();
        fs::write(bob.join("cur").join(format!("{name}:2,S")), b"read").unwrap();
        assert_eq!(msg.envelope.rcpts[0].attempts, 0);
        assert_eq!(
            deliver_local(&spool, &mut msg, &local, "mx.test", 1000).unwrap(),
            UpdateOutcome::Removed
        );
        assert_eq!(fs::read_dir(bob.join("new")).unwrap().count(), 0);
        assert_eq!(fs::read_dir(bob.join("cur")).unwrap().count(), 1);
    }

    #[test]
    fn a_record_with_every_recipient_done_leaves_the_spool() {
        let (_dir, spool, local) = crate::deliver::test_setup();
        // As the direct path spools a message whose only recipient failed there.
        let mut pending = PendingMessage::for_test(&["bob@localhost"], b"Subject: t\r\n\r\nx\r\n");
        pending.envelope.rcpts[0].status = RcptStatus::Failed;
        let id = spool.commit(pending).unwrap();
        let msg = spool.load(&id).unwrap();
        let body = spool.read_message(&id).unwrap().1;
        let mut batch = vec![(msg, body, true)];
        let outcome = deliver_local_batch(&spool, &mut batch, &local, "mx.test", 1000);
        assert_eq!(outcome.len(), 1);
        assert_eq!(outcome[0].as_ref().unwrap(), &UpdateOutcome::Removed);
        assert!(spool.recover().unwrap().messages.is_empty());
    }

    #[test]
    fn retry_delays_grow_and_cap() {
        assert_eq!(retry_delay(0), 60);
        assert_eq!(retry_delay(1), 120);
        assert_eq!(retry_delay(20), 3600);
    }
}
