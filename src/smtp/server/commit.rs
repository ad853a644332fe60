//! Group commit, one for the whole server: sessions on every scheduler thread hand their
//! messages to one [`Batcher`]; while its thread makes one batch durable, the messages that
//! finish DATA meanwhile, on any thread, gather into the next. Durable throughput is then
//! bounded by batches per second, not fsyncs per message, and the threads share each
//! batch's syncs instead of paying one set per thread (a per-thread committer made twice the
//! batches, each half as large, on a two-thread server).
//!
//! A batch is one call of [`deliver_or_queue`]: messages for local mailboxes only are
//! delivered there and then (their Maildir copies are the commit), the others are spooled,
//! and only those spooled and not held get a delivery pass afterwards, from the thread of
//! the session that submitted them.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::deliver::{Accepted, deliver_or_queue};
use crate::queue::{PendingMessage, QueueId, SpoolError};
use crate::rt::{self, Batcher, Channel};

use super::{Shared, delivery};

/// Most messages in one batch: bounds the latency one batch adds to its first message.
const MAX_BATCH: usize = 128;

/// Under steady load (messages came while the batch before was being made durable), how
/// long a batch waits for more before its syncs: on the development machine a sync costs
/// ~0.1 ms of CPU and a batch makes two, and the wait halved the batches under
/// `bench/smtp.sh` (2,288 to 1,266 for 20,000 messages). A message that finds the commit
/// thread idle never waits.
const COMMIT_LINGER: Duration = Duration::from_millis(1);

type Outcome = Result<QueueId, SpoolError>;

/// The server's one group commit; each scheduler thread's [`Committer`] submits to it.
pub(super) type Commits = Batcher<PendingMessage, Result<Accepted, SpoolError>>;

/// Starts nothing yet: the batch thread starts with the first message.
pub(super) fn group_commit(shared: Arc<Shared>) -> Arc<Commits> {
    Arc::new(
        Batcher::new("stackmail-commit", MAX_BATCH, move |batch| {
            let config = &shared.config;
            deliver_or_queue(&shared.spool, &config.local, &config.server.hostname, batch)
        })
        .linger(COMMIT_LINGER),
    )
}

/// This thread's handle on the group commit; cheap to clone.
#[derive(Clone)]
pub(super) struct Committer {
    commits: Arc<Commits>,
    shared: Arc<Shared>,
    /// Spooled messages waiting for this thread's next delivery pass: the sessions a batch
    /// wakes add theirs, and one tasklet takes them all.
    to_deliver: Rc<RefCell<Vec<QueueId>>>,
    /// Held messages whose post-queue work is done, batched into deliveries as commits are.
    released: Channel<QueueId>,
}

impl Committer {
    pub fn start(shared: Arc<Shared>, commits: Arc<Commits>) -> Committer {
        let release_shared = shared.clone();
        let released: Channel<QueueId> = Channel::new();
        let rx = released.clone();
        rt::spawn(move || {
            while let Ok(first) = rx.receive() {
                let mut ids = vec![first];
                while rx.balance() > 0 && ids.len() < MAX_BATCH {
                    match rx.receive() {
                        Ok(id) => ids.push(id),
                        Err(_) => break,
                    }
                }
                delivery::deliver(&release_shared, ids);
            }
        });
        Committer {
            commits,
            shared,
            to_deliver: Rc::new(RefCell::new(Vec::new())),
            released,
        }
    }

    /// Starts delivery of a message committed with `hold`.
    pub fn release(&self, id: QueueId) {
        let _ = self.released.send(id);
    }

    /// Commits `msg` with whatever else is waiting; returns once it is durable (or failed).
    /// When its envelope holds it, delivery is left to the caller.
    pub fn commit(&self, msg: PendingMessage) -> Outcome {
        let hold = msg.envelope.hold.is_some();
        match self.commits.submit(msg) {
            Ok(Accepted::Queued(id)) => {
                if hold {
                    self.shared.deliveries.mark_first_pass(&id);
                } else {
                    self.deliver_later(id.clone());
                }
                Ok(id)
            }
            Ok(Accepted::Delivered(id)) => Ok(id),
            Err(e) => {
                tracing::error!("commit failed: {e}");
                Err(e)
            }
        }
    }

    /// Queues `id` for a delivery pass on this thread, started by the first id queued.
    fn deliver_later(&self, id: QueueId) {
        let mut pending = self.to_deliver.borrow_mut();
        pending.push(id);
        if pending.len() == 1 {
            let (shared, pending) = (self.shared.clone(), self.to_deliver.clone());
            // Runs after the sessions woken with this one have added theirs.
            rt::spawn(move || {
                let ids = std::mem::take(&mut *pending.borrow_mut());
                delivery::deliver(&shared, ids);
            });
        }
    }
}
