//! Group commit: one committer tasklet per thread. Sessions hand it their messages over a
//! channel; while one batch is being fsynced on the blocking pool, the sessions that finish
//! DATA queue up on the channel, and they all go into the next batch. Durable throughput is
//! then bounded by batches per second, not fsyncs per message.
//!
//! A batch is one blocking job, [`deliver_or_queue`]: messages for local mailboxes only are
//! delivered there and then (their Maildir copies are the commit), the others are spooled,
//! and only those spooled and not held get a delivery pass afterwards.

use std::sync::Arc;

use crate::deliver::{Accepted, Submission, deliver_or_queue};
use crate::queue::{PendingMessage, QueueId, SpoolError};
use crate::rt::{self, Channel};

use super::{Shared, delivery};

/// Most messages in one batch: bounds the latency one batch adds to its first message.
const MAX_BATCH: usize = 64;

type Outcome = Result<QueueId, SpoolError>;

struct Job {
    /// With `hold`, delivery is not started: the session still has post-queue work on it.
    sub: Submission,
    reply: Channel<Outcome>,
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
                tracing::debug!(messages = batch.len(), "commit batch");
                let (subs, replies): (Vec<_>, Vec<_>) = batch
                    .into_iter()
                    .map(|j| {
                        let hold = j.sub.hold;
                        (j.sub, (j.reply, hold))
                    })
                    .unzip();
                let job_shared = shared.clone();
                let outcomes = rt::blocking(move || {
                    let config = &job_shared.config;
                    deliver_or_queue(
                        &job_shared.spool,
                        &config.local,
                        &config.server.hostname,
                        subs,
                    )
                });
                let mut ids: Vec<QueueId> = Vec::new();
                for ((reply, hold), outcome) in replies.into_iter().zip(outcomes) {
                    let outcome = match outcome {
                        Ok(Accepted::Queued(id)) => {
                            if !hold {
                                ids.push(id.clone());
                            }
                            Ok(id)
                        }
                        Ok(Accepted::Delivered(id)) => Ok(id),
                        Err(e) => {
                            tracing::error!("commit failed: {e}");
                            Err(e)
                        }
                    };
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
                sub: Submission { msg, hold },
                reply: reply.clone(),
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
