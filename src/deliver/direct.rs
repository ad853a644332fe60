//! Delivery before queueing. When every recipient of a fresh message is a local mailbox and
//! nothing holds the message back (a post-queue filter, a quarantine), its Maildir copies,
//! fsynced, are as durable as a spool file: the server answers 250 once they are, and the
//! message never enters the spool. That saves a spool file's write, rename, read and unlink
//! per message, and a second trip through the helper pool per batch.
//!
//! Whatever cannot take that path is committed to the spool in the same call: held messages
//! (their envelope's `hold` is set), those with a remote or unusable recipient, and those whose direct delivery did not reach
//! every recipient (a Maildir that cannot be written). Their spool record keeps the recipients
//! already delivered marked as such and the queue id their Maildir names derive from, so a
//! retry delivers only the others, and a crash before the record is updated costs no second
//! copy either (Maildir names are idempotent).
//!
//! A crash before the 250 leaves at most an unnamed file the filesystem reclaims, a file in
//! a Maildir's `tmp/` where the system cannot write unnamed files (readers clean those, as
//! the Maildir spec says) or a copy already in `new/`; either way the client, unanswered,
//! sends the message again, exactly as when a crash falls between a spool commit and its 250.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::LocalConfig;
use crate::queue::{PendingMessage, QueueId, RcptStatus, Spool, SpoolError};

use super::local::{Local, all_local, deliver_to_maildirs};

/// Where an accepted message is, durably.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// In every recipient's Maildir; not in the spool.
    Delivered(QueueId),
    /// In the spool, with delivery still to do (or held).
    Queued(QueueId),
}

impl Accepted {
    pub fn id(&self) -> &QueueId {
        match self {
            Accepted::Delivered(id) | Accepted::Queued(id) => id,
        }
    }
}

/// Makes every message that finished DATA durable, in its recipients' Maildirs or, when
/// its envelope holds it or it cannot go there, in the spool; results in input order. `Ok` means the message may be answered 250. A failure affects only its own
/// message. Blocking: run it on the helper pool.
pub fn deliver_or_queue(
    spool: &Spool,
    local: &LocalConfig,
    hostname: &str,
    batch: Vec<PendingMessage>,
) -> Vec<Result<Accepted, SpoolError>> {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut results: Vec<Option<Result<Accepted, SpoolError>>> =
        batch.iter().map(|_| None).collect();
    let mut direct: Vec<(usize, QueueId, PendingMessage)> = Vec::new();
    let mut queue: Vec<(usize, Option<QueueId>, PendingMessage)> = Vec::new();
    for (i, msg) in batch.into_iter().enumerate() {
        if msg.envelope.hold.is_none() && all_local(&msg.envelope, local) {
            direct.push((i, QueueId::generate(now), msg));
        } else {
            queue.push((i, None, msg));
        }
    }

    if !direct.is_empty() {
        let mut items: Vec<Local<'_>> = direct
            .iter_mut()
            .map(|(_, id, msg)| Local {
                id,
                envelope: &mut msg.envelope,
                body: &msg.body,
                spooled: false,
            })
            .collect();
        deliver_to_maildirs(&mut items, local, hostname, secs);
        drop(items);
        for (i, id, msg) in direct {
            let everywhere = msg
                .envelope
                .rcpts
                .iter()
                .all(|r| r.status == RcptStatus::Delivered);
            match results.get_mut(i) {
                Some(slot) if everywhere => *slot = Some(Ok(Accepted::Delivered(id))),
                _ => queue.push((i, Some(id), msg)),
            }
        }
    }

    if !queue.is_empty() {
        let slots: Vec<usize> = queue.iter().map(|(i, _, _)| *i).collect();
        let committed =
            spool.commit_batch_as(queue.into_iter().map(|(_, id, m)| (id, m)).collect());
        for (i, outcome) in slots.into_iter().zip(committed) {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(outcome.map(Accepted::Queued));
            }
        }
    }

    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(SpoolError::Corrupt {
                    path: spool.root().to_path_buf(),
                    why: "internal: no commit result".into(),
                })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
