//! Group commit: one committer tasklet per thread. Sessions hand it their messages over a
//! channel; while one batch is being fsynced on the blocking pool, the sessions that finish
//! DATA queue up on the channel, and they all go into the next batch. Durable throughput is
//! then bounded by batches per second, not fsyncs per message.

use std::sync::Arc;

use crate::queue::{PendingMessage, QueueId, SpoolError};
use crate::rt::{self, Channel};

use super::{Shared, delivery};

/// Most messages in one batch: bounds the latency one batch adds to its first message.
const MAX_BATCH: usize = 64;

type Outcome = Result<QueueId, SpoolError>;

struct Job {
    msg: PendingMessage,
    reply: Channel<Outcome>,
    /// Do not start delivery: the session still has post-queue work on it.
    hold: bool,
}

/// This thread's committer; cheap to clone (a channel handle).
#[derive(Clone)]
pub(super) struct Committer {
    jobs: Channel<Job>,
    /// Held messages whose post-queue work is done, batched into deliveries as commits are.
    released: Channel<QueueId>,
}

impl Committer {
    pub fn start(shared: Arc<Shared>) -> Committer {
        let release_shared = shared.clone();
        let jobs: Channel<Job> = Channel::new();
        let rx = jobs.clone();
        rt::spawn(move || {
            while let Ok(first) = rx.receive() {
                let mut batch = vec![first];
                // A positive balance counts senders parked on the channel: all of them
                // arrived while the previous batch was syncing.
                while rx.balance() > 0 && batch.len() < MAX_BATCH {
                    match rx.receive() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                let holds: Vec<bool> = batch.iter().map(|j| j.hold).collect();
                let (msgs, replies): (Vec<_>, Vec<_>) =
                    batch.into_iter().map(|j| (j.msg, j.reply)).unzip();
                let spool = shared.spool.clone();
                let outcomes = rt::blocking(move || spool.commit_batch(msgs));
                let ids: Vec<QueueId> = outcomes
                    .iter()
                    .zip(&holds)
                    .filter(|(_, hold)| !**hold)
                    .filter_map(|(o, _)| o.as_ref().ok().cloned())
                    .collect();
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    if let Err(e) = &outcome {
                        tracing::error!("commit failed: {e}");
                    }
                    let _ = reply.send(outcome);
                }
                if !ids.is_empty() {
                    let shared = shared.clone();
                    rt::spawn(move || delivery::deliver(&shared, ids));
                }
            }
        });
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
        Committer { jobs, released }
    }

    /// Starts delivery of a message committed with `hold`.
    pub fn release(&self, id: QueueId) {
        let _ = self.released.send(id);
    }

    /// Commits `msg` with whatever else is waiting; returns once it is durable (or failed).
    /// With `hold`, delivery is left to the caller.
    pub fn commit(&self, msg: PendingMessage, hold: bool) -> Outcome {
        let reply: Channel<Outcome> = Channel::new();
        if self
            .jobs
            .send(Job {
                msg,
                reply: reply.clone(),
                hold,
            })
            .is_err()
        {
            return Err(committer_gone());
        }
        reply.receive().unwrap_or_else(|_| Err(committer_gone()))
    }
}

fn committer_gone() -> SpoolError {
    SpoolError::Io {
        op: "commit",
        path: Default::default(),
        source: std::io::Error::other("the committer tasklet is gone"),
    }
}
