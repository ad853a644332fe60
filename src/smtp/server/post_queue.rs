//! Work on a message after its 250: the post-queue filters, and quarantine. Such a message is
//! committed with a `hold` in its envelope, which keeps delivery (and the retry scan) away
//! from it until this work is done; the hold is cleared, in the spool, only when the message
//! is released to delivery. A restart finds the messages still held and finishes their work
//! ([`finish_held`]), so a crash never turns a filter's discard or quarantine into a
//! delivery; so does the retry scan for work that ended without a decision (a stage that
//! failed or timed out, a spool write that did not go through).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use crate::queue::{Hold, PendingMessage, QueueId, Recipient, Spool};
use crate::rt;

use super::commit::Committer;
use super::policy::{Decision, Outcome, Phase, Policy, Transaction};
use super::{Shared, lock};

/// A durable message held from delivery, and what is left to do with it.
pub(super) struct PostQueue {
    pub id: QueueId,
    pub msg: PendingMessage,
    /// The post-queue filters, when the hold is theirs.
    pub policy: Option<Rc<dyn Policy>>,
    /// The transaction as the filters see it at phase queue.
    pub txn: Transaction,
}

/// Which held messages have post-queue work running, and which the last retry scan found
/// held: a message held in two scans in a row, with no work running, was left held by work
/// that ended without a decision, and the scan starts that work again. (Two scans, so that
/// a message committed just before a scan is never taken from the work its session is
/// about to start.)
#[derive(Default)]
pub(crate) struct Held {
    running: Mutex<HashSet<QueueId>>,
    seen: Mutex<HashSet<QueueId>>,
}

impl Held {
    /// The scan found `held`: those of them it found last time too, with no work running.
    pub(super) fn stalled(&self, held: Vec<QueueId>) -> Vec<QueueId> {
        let now: HashSet<QueueId> = held.into_iter().collect();
        let before = std::mem::replace(&mut *lock(&self.seen), now.clone());
        let running = lock(&self.running);
        let mut stalled: Vec<QueueId> = now
            .into_iter()
            .filter(|id| before.contains(id) && !running.contains(id))
            .collect();
        stalled.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        stalled
    }
}

/// The mark of a message's post-queue work as running, until dropped however the work ends.
struct Running(Arc<Shared>, QueueId);

impl Running {
    /// None if the work on `id` is marked as running already.
    fn claim(shared: &Arc<Shared>, id: &QueueId) -> Option<Running> {
        lock(&shared.held.running)
            .insert(id.clone())
            .then(|| Running(shared.clone(), id.clone()))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        lock(&self.0.held.running).remove(&self.1);
    }
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
    /// Nothing is done if other work on the message is running.
    pub fn run(self, shared: &Arc<Shared>, committer: &Committer) {
        match Running::claim(shared, &self.id) {
            Some(running) => self.run_claimed(shared, committer, running),
            None => tracing::debug!(queue_id = %self.id, "post-queue work already running"),
        }
    }

    fn run_claimed(self, shared: &Arc<Shared>, committer: &Committer, _running: Running) {
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
                    return discard(shared, &id, "discarded by a post-queue filter");
                }
                Decision::Quarantine(reason) => {
                    msg.envelope.hold = Some(Hold::Quarantine(reason.clone()));
                }
                // A stage that raised or timed out (`on_error = "tempfail"`; scripts cannot
                // refuse at this phase): the message stays held, and the retry scan runs the
                // stages again.
                Decision::Tempfail(_, text) | Decision::Reject(_, text) => {
                    tracing::warn!(queue_id = %id, reason = %text, "post-queue filters did not decide; message stays held for the next retry scan");
                    return;
                }
                Decision::Continue | Decision::Accept => {}
            }
            if outcome.message.is_some() || outcome.rcpts != before {
                apply_edits(&mut msg, &outcome);
            }
            if msg.envelope.rcpts.is_empty() {
                return discard(shared, &id, "no recipients left after post-queue filtering");
            }
        }
        if let Some(Hold::Quarantine(reason)) = msg.envelope.hold.clone() {
            let quarantined = {
                let id = id.clone();
                on_pool(shared, move |spool| spool.quarantine(&id, &msg))
            };
            match quarantined {
                Ok(path) => {
                    shared.deliveries.take_first_pass(&id);
                    tracing::info!(
                        queue_id = %id,
                        path = %path.display(),
                        reason = %reason,
                        "message quarantined"
                    )
                }
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

/// Drops a held message from the spool, with a log line saying why.
fn discard(shared: &Arc<Shared>, id: &QueueId, why: &str) {
    tracing::info!(queue_id = %id, "message {why}");
    let removed = {
        let id = id.clone();
        on_pool(shared, move |spool| spool.remove(&id))
    };
    match removed {
        Ok(()) => {
            shared.deliveries.take_first_pass(id);
        }
        Err(e) => tracing::error!(queue_id = %id, "discard: {e}"),
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

/// Finishes the work of held messages (found by a restart, or left held by work that did
/// not decide) with this thread's policy: a quarantine is carried out, the post-queue
/// filters run again (or, if the config no longer has any, the message is released as it
/// is; if it has some but this thread could not load them, it stays held).
pub(super) fn finish_held(
    ids: Vec<QueueId>,
    shared: &Arc<Shared>,
    committer: &Committer,
    policy: Option<Rc<dyn Policy>>,
) {
    // Each message in a tasklet of its own, as a session starts it, so that a stage that
    // takes its whole timeout holds up only that message; at most `MAX_HELD_RUNS` at once,
    // each reading its message when it starts, which bounds the bodies held in memory.
    let active = Rc::new(std::cell::Cell::new(0usize));
    let freed: rt::Channel<()> = rt::Channel::new();
    for id in ids {
        while active.get() >= MAX_HELD_RUNS {
            let _ = freed.receive();
        }
        // Work that started since the scan found it held is left alone.
        let Some(running) = Running::claim(shared, &id) else {
            continue;
        };
        active.set(active.get() + 1);
        let (shared, committer, policy) = (shared.clone(), committer.clone(), policy.clone());
        let (active, freed) = (active.clone(), freed.clone());
        rt::spawn(move || {
            finish_one(id, running, &shared, &committer, policy);
            active.set(active.get() - 1);
            if freed.balance() < 0 {
                let _ = freed.send(());
            }
        });
    }
}

/// Post-queue work started again at once by [`finish_held`].
const MAX_HELD_RUNS: usize = 16;

fn finish_one(
    id: QueueId,
    running: Running,
    shared: &Arc<Shared>,
    committer: &Committer,
    policy: Option<Rc<dyn Policy>>,
) {
    let read = {
        let id = id.clone();
        on_pool(shared, move |spool| spool.read_message(&id))
    };
    let (queued, body) = match read {
        Ok(m) => m,
        // Discarded or quarantined since the scan found it.
        Err(crate::queue::SpoolError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            return;
        }
        Err(e) => {
            tracing::error!(queue_id = %id, "held message: {e}");
            return;
        }
    };
    let msg = PendingMessage {
        envelope: queued.envelope,
        body,
    };
    // Released since the scan found it held: its work is done, and delivery has it.
    if msg.envelope.hold.is_none() {
        return;
    }
    let stages = policy.filter(|p| p.wants(Phase::Queue));
    if msg.envelope.hold == Some(Hold::PostQueue) && stages.is_none() && configured(shared) {
        tracing::error!(queue_id = %id, "post-queue filters are configured but not loaded on this thread; message stays held");
        return;
    }
    tracing::info!(queue_id = %id, hold = ?msg.envelope.hold, "finishing held message");
    let txn = recovered_transaction(&id, &msg);
    PostQueue {
        id,
        msg,
        policy: stages,
        txn,
    }
    .run_claimed(shared, committer, running);
}

/// Whether the filter set in force has post-queue stages.
fn configured(shared: &Shared) -> bool {
    shared
        .queue_stages
        .load(std::sync::atomic::Ordering::Relaxed)
}
