//! Work on a message after its 250: the post-queue filters, and quarantine. Such a message is
//! committed with a `hold` in its envelope, which keeps delivery (and the retry scan) away
//! from it until this work is done; the hold is cleared, in the spool, only when the message
//! is released to delivery. A restart finds the messages still held and finishes their work
//! ([`finish_recovered`]), so a crash never turns a filter's discard or quarantine into a
//! delivery.

use std::net::{IpAddr, Ipv4Addr};
use std::rc::Rc;
use std::sync::Arc;

use crate::queue::{Hold, PendingMessage, QueueId, Recipient, Spool};
use crate::rt;

use super::Shared;
use super::commit::Committer;
use super::policy::{Decision, Outcome, Phase, Policy, Transaction};

/// A durable message held from delivery, and what is left to do with it.
pub(super) struct PostQueue {
    pub id: QueueId,
    pub msg: PendingMessage,
    /// The post-queue filters, when the hold is theirs.
    pub policy: Option<Rc<dyn Policy>>,
    /// The transaction as the filters see it at phase queue.
    pub txn: Transaction,
}

/// Applies a filter's edits (message, recipients) to the message to be spooled.
pub(super) fn apply_edits(msg: &mut PendingMessage, outcome: &Outcome) {
    if let Some(m) = &outcome.message {
        msg.body = m.clone();
    }
    msg.envelope.rcpts = spool_rcpts(&outcome.rcpts);
}

/// The policy's recipient list as the spool records it.
pub(super) fn spool_rcpts(rcpts: &[String]) -> Vec<Recipient> {
    rcpts.iter().map(|r| Recipient::new(r.clone())).collect()
}

impl PostQueue {
    /// Runs the post-queue filters if the hold is theirs, applies what they decided to the
    /// spooled copy, then quarantines the message, drops it, or clears its hold and releases
    /// it to delivery.
    pub fn run(self, shared: &Arc<Shared>, committer: &Committer) {
        let PostQueue {
            id,
            mut msg,
            policy,
            mut txn,
        } = self;
        if let (Some(p), Some(Hold::PostQueue)) = (&policy, &msg.envelope.hold) {
            txn.rcpts = msg
                .envelope
                .rcpts
                .iter()
                .map(|r| r.address.clone())
                .collect();
            txn.message = Some(msg.body.clone());
            let before = txn.rcpts.clone();
            let outcome = p.check(txn);
            match &outcome.decision {
                Decision::Discard => {
                    tracing::info!(queue_id = %id, "message discarded by a post-queue filter");
                    let removed = {
                        let id = id.clone();
                        on_pool(shared, move |spool| spool.remove(&id))
                    };
                    if let Err(e) = removed {
                        tracing::error!(queue_id = %id, "discard: {e}");
                    }
                    return;
                }
                Decision::Quarantine(reason) => {
                    msg.envelope.hold = Some(Hold::Quarantine(reason.clone()));
                }
                _ => {}
            }
            if outcome.message.is_some() || outcome.rcpts != before {
                apply_edits(&mut msg, &outcome);
            }
        }
        if let Some(Hold::Quarantine(reason)) = msg.envelope.hold.clone() {
            let quarantined = {
                let id = id.clone();
                on_pool(shared, move |spool| spool.quarantine(&id, &msg))
            };
            match quarantined {
                Ok(path) => tracing::info!(
                    queue_id = %id,
                    path = %path.display(),
                    reason = %reason,
                    "message quarantined"
                ),
                Err(e) => tracing::error!(queue_id = %id, "quarantine: {e}"),
            }
            return;
        }
        msg.envelope.hold = None;
        // The record is written again without its hold (and with any edits) before the
        // release: until then a restart would run the filters again, never deliver.
        let rewritten = {
            let id = id.clone();
            on_pool(shared, move |spool| spool.rewrite(&id, &msg))
        };
        match rewritten {
            Ok(()) => committer.release(id),
            Err(e) => tracing::error!(queue_id = %id, "post-queue rewrite: {e}; still held"),
        }
    }
}

/// Runs `f` on the spool on the helper pool: spool changes sync to disk, which must not stop
/// this scheduler thread.
fn on_pool<R: Send + 'static>(
    shared: &Arc<Shared>,
    f: impl FnOnce(&Spool) -> R + Send + 'static,
) -> R {
    let spool = shared.spool.clone();
    rt::blocking(move || f(&spool))
}

/// The transaction a recovered message's post-queue filters see, rebuilt from its envelope:
/// the client's port and TLS state are not recorded, so they read 0 and false.
fn recovered_transaction(id: &QueueId, msg: &PendingMessage) -> Transaction {
    let env = &msg.envelope;
    Transaction {
        phase: Phase::Queue,
        ip: env.client.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        port: 0,
        helo: Some(env.helo.clone()).filter(|h| !h.is_empty()),
        tls: false,
        auth_user: env.auth_user.clone(),
        mail_from: Some(env.from.clone()),
        rcpt: None,
        rcpts: Vec::new(),
        message: None,
        queue_id: Some(id.to_string()),
    }
}

/// Finishes the work of the messages a restart found held, with this thread's policy: a
/// quarantine is carried out, the post-queue filters run again (or, if the policy no longer
/// has any, the message is released as it is).
pub(super) fn finish_recovered(
    ids: Vec<QueueId>,
    shared: &Arc<Shared>,
    committer: &Committer,
    policy: Option<Rc<dyn Policy>>,
) {
    for id in ids {
        let read = {
            let id = id.clone();
            on_pool(shared, move |spool| spool.read_message(&id))
        };
        let (queued, body) = match read {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(queue_id = %id, "recovering held message: {e}");
                continue;
            }
        };
        let msg = PendingMessage {
            envelope: queued.envelope,
            body,
        };
        tracing::info!(queue_id = %id, hold = ?msg.envelope.hold, "finishing held message");
        let txn = recovered_transaction(&id, &msg);
        PostQueue {
            id,
            msg,
            policy: policy.clone().filter(|p| p.wants(Phase::Queue)),
            txn,
        }
        .run(shared, committer);
    }
}
