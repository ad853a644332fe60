//! Local delivery of spooled messages, on the blocking pool: right after a commit batch that
//! spooled some (most local mail skips the spool, see [`crate::deliver::deliver_or_queue`]),
//! when post-queue work releases a held one, and by a retry loop for the deferred ones and
//! those recovered at start.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::deliver::deliver_local_batch;
use crate::queue::{QueueId, SpoolError};
use crate::rt;

use super::commit::Committer;
use super::{PolicyCell, Shared, lock, post_queue};

/// Messages being delivered now: the spool allows one writer per record, and the retry
/// scan must not pick up a message whose first delivery is still running. A pass that finds
/// a message claimed leaves a note instead (it may come from a release whose delivery would
/// otherwise wait for the next scan), and the pass holding the claim goes over the message
/// again before it lets go.
///
/// It also knows the messages that no delivery pass has gone over yet since this process
/// committed them with a hold (every message, with post-queue filters): no copy of them can
/// be in a Maildir, so their first delivery need not look for one (which reads `cur/`).
#[derive(Default)]
pub(crate) struct InFlight {
    /// Claimed ids, each with its note: another pass asked for it meanwhile.
    claims: Mutex<HashMap<QueueId, bool>>,
    first_pass_ahead: Mutex<HashSet<QueueId>>,
}

impl InFlight {
    /// `id` was just committed with a hold: its first delivery pass is still ahead.
    pub(super) fn mark_first_pass(&self, id: &QueueId) {
        lock(&self.first_pass_ahead).insert(id.clone());
    }

    /// True the first time a pass goes over `id` after `mark_first_pass` (or the work that
    /// dropped or quarantined it asks, which leaves no pass ahead).
    pub(super) fn take_first_pass(&self, id: &QueueId) -> bool {
        lock(&self.first_pass_ahead).remove(id)
    }

    /// True if the caller now holds the claim; false (and a note left) if another pass does.
    fn claim(&self, id: &QueueId) -> bool {
        match lock(&self.claims).entry(id.clone()) {
            Entry::Occupied(mut again) => {
                *again.get_mut() = true;
                false
            }
            Entry::Vacant(v) => {
                v.insert(false);
                true
            }
        }
    }

    /// Lets go of the claim, unless another pass asked for the message meanwhile: then the
    /// caller keeps it, and gets true, to go over the message once more.
    fn release(&self, id: &QueueId) -> bool {
        let mut claims = lock(&self.claims);
        match claims.get_mut(id) {
            Some(again) if *again => {
                *again = false;
                true
            }
            _ => {
                claims.remove(id);
                false
            }
        }
    }
}

/// Delivers `ids` on a helper thread; the calling tasklet parks meanwhile. Returns those
/// it found held (post-queue work or a quarantine has them).
pub(super) fn deliver(shared: &Arc<Shared>, ids: Vec<QueueId>) -> Vec<QueueId> {
    let shared = shared.clone();
    rt::blocking(move || deliver_now(&shared, &ids))
}

/// Messages read and delivered together: a delivery pass shares its fsyncs among them, and
/// a retry scan over a large queue holds no more than this many bodies at once.
const CHUNK: usize = 256;

fn deliver_now(shared: &Shared, ids: &[QueueId]) -> Vec<QueueId> {
    let mut held = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let mut claimed: Vec<QueueId> = chunk
            .iter()
            .filter(|id| shared.deliveries.claim(id))
            .cloned()
            .collect();
        while !claimed.is_empty() {
            deliver_claimed(shared, &claimed, &mut held);
            claimed.retain(|id| shared.deliveries.release(id));
        }
    }
    held
}

/// One delivery pass over messages this pass has claimed; adds those held to `held`.
fn deliver_claimed(shared: &Shared, claimed: &[QueueId], held: &mut Vec<QueueId>) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut msgs = Vec::with_capacity(claimed.len());
    for id in claimed {
        match shared.spool.read_message(id) {
            // Post-queue work or a quarantine still has it (`post_queue`).
            Ok((msg, _)) if msg.envelope.hold.is_some() => held.push(msg.id),
            Ok((msg, body)) => {
                let seen = !shared.deliveries.take_first_pass(&msg.id);
                msgs.push((msg, body, seen));
            }
            // Delivered and removed by another pass between the listing and the claim.
            Err(SpoolError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            }
            Err(e) => tracing::error!(queue_id = %id, "delivery: {e}"),
        }
    }
    let (local, host) = (&shared.config.local, &shared.config.server.hostname);
    let results = deliver_local_batch(&shared.spool, &mut msgs, local, host, now);
    for ((msg, _, _), result) in msgs.iter().zip(results) {
        if let Err(e) = result {
            tracing::error!(queue_id = %msg.id, "delivery: {e}");
        }
    }
}

/// Every `spool.retry_scan` seconds, and once at start, tries every queued message that is
/// due, and starts again the work of held messages whose post-queue work ended without a
/// decision (a stage that failed, a spool write that did not go through), with this
/// thread's policy.
pub(super) fn retry_loop(shared: &Arc<Shared>, committer: &Committer, policy: &PolicyCell) {
    loop {
        let scan = shared.clone();
        let ids = rt::blocking(move || scan.spool.queued_ids());
        let held = match ids {
            Ok(ids) if !ids.is_empty() => deliver(shared, ids),
            Ok(_) => Vec::new(),
            Err(e) => {
                tracing::error!("retry scan: {e}");
                Vec::new()
            }
        };
        let stalled = shared.held.stalled(held);
        if !stalled.is_empty() {
            let policy = policy.borrow().clone();
            post_queue::finish_held(stalled, shared, committer, policy);
        }
        rt::sleep(shared.config.spool.retry_scan());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_that_finds_a_message_claimed_makes_the_holder_go_over_it_again() {
        let claims = InFlight::default();
        let id = QueueId::generate(SystemTime::now());
        assert!(claims.claim(&id));
        // A release's delivery comes while the retry scan holds the message.
        assert!(!claims.claim(&id));
        assert!(claims.release(&id), "the holder goes over it once more");
        assert!(!claims.release(&id), "then lets go");
        assert!(claims.claim(&id), "and the claim is free");
        assert!(!claims.release(&id));
    }

    #[test]
    fn only_the_first_pass_over_a_held_commit_skips_the_look_for_a_copy() {
        let claims = InFlight::default();
        let (held, other) = (
            QueueId::generate(SystemTime::now()),
            QueueId::generate(SystemTime::now()),
        );
        claims.mark_first_pass(&held);
        assert!(
            !claims.take_first_pass(&other),
            "recovered or deferred: look"
        );
        assert!(claims.take_first_pass(&held));
        assert!(!claims.take_first_pass(&held), "a later pass looks");
    }
}
