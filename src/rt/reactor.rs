//! The per-thread mio poller, the readiness waiters of its sockets, and the inbox through
//! which other threads hand work to this thread's scheduler.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use mio::{Events, Poll, Token, Waker};

use super::slab::Slab;
use super::task::Task;

/// The token of the cross-thread waker; socket tokens are slab keys, which never reach it.
pub(crate) const WAKER_TOKEN: Token = Token(usize::MAX);

/// A tasklet parked on something, with the park sequence it parked under.
pub(crate) type Waiter = (Rc<Task>, u32);

/// The tasklets waiting for one socket to become readable or writable.
#[derive(Default)]
pub(crate) struct IoEntry {
    pub(crate) reader: Option<Waiter>,
    pub(crate) writer: Option<Waiter>,
}

pub(crate) struct Reactor {
    pub(crate) poll: Poll,
    pub(crate) events: Events,
    pub(crate) io: Slab<IoEntry>,
    /// How many readers and writers are parked in `io`: the scheduler is not idle while any is.
    pub(crate) waiting: usize,
    pub(crate) remote: Remote,
}

impl Reactor {
    pub(crate) fn new() -> std::io::Result<Reactor> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER_TOKEN)?;
        let remote = Remote {
            inner: Arc::new(RemoteInner {
                inbox: Mutex::new(Inbox {
                    messages: Vec::new(),
                    closed: false,
                }),
                pending: AtomicBool::new(false),
                waker,
            }),
        };
        Ok(Reactor {
            poll,
            events: Events::with_capacity(1024),
            io: Slab::new(),
            waiting: 0,
            remote,
        })
    }
}

pub(crate) enum RemoteMessage {
    Spawn(Box<dyn FnOnce() + Send>),
    /// A blocking job finished: wake the tasklet parked under this key.
    Wake(u64),
    Stop,
}

struct Inbox {
    messages: Vec<RemoteMessage>,
    /// Set when the scheduler's thread ends, so senders learn that nobody will read.
    closed: bool,
}

struct RemoteInner {
    inbox: Mutex<Inbox>,
    /// Set with each post and cleared by `take_all`: lets a busy scheduler see new work
    /// without taking the lock or making a syscall.
    pending: AtomicBool,
    waker: Waker,
}

/// A handle to one scheduler that any thread may hold: it hands work to that scheduler.
#[derive(Clone)]
pub struct Remote {
    inner: Arc<RemoteInner>,
}

/// The scheduler a [`Remote`] points at has shut down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerGone;

impl std::fmt::Display for SchedulerGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the scheduler has shut down")
    }
}

impl std::error::Error for SchedulerGone {}

impl Remote {
    /// Spawns `f` as a tasklet on the scheduler this handle points at.
    pub fn spawn(&self, f: impl FnOnce() + Send + 'static) -> Result<(), SchedulerGone> {
        self.post(RemoteMessage::Spawn(Box::new(f)))
    }

    /// Asks the scheduler's loop to return; tasklets still alive are then killed.
    pub fn stop(&self) -> Result<(), SchedulerGone> {
        self.post(RemoteMessage::Stop)
    }

    pub(crate) fn post(&self, message: RemoteMessage) -> Result<(), SchedulerGone> {
        let was_empty = {
            let mut inbox = self.inner.inbox.lock().unwrap_or_else(|e| e.into_inner());
            if inbox.closed {
                return Err(SchedulerGone);
            }
            inbox.messages.push(message);
            self.inner.pending.store(true, Ordering::Release);
            inbox.messages.len() == 1
        };
        // One wake per batch: the scheduler drains the whole inbox when it wakes.
        if was_empty {
            let _ = self.inner.waker.wake();
        }
        Ok(())
    }

    pub(crate) fn has_messages(&self) -> bool {
        self.inner.pending.load(Ordering::Acquire)
    }

    pub(crate) fn take_all(&self) -> Vec<RemoteMessage> {
        let mut inbox = self.inner.inbox.lock().unwrap_or_else(|e| e.into_inner());
        self.inner.pending.store(false, Ordering::Release);
        std::mem::take(&mut inbox.messages)
    }

    pub(crate) fn close(&self) -> Vec<RemoteMessage> {
        let mut inbox = self.inner.inbox.lock().unwrap_or_else(|e| e.into_inner());
        inbox.closed = true;
        std::mem::take(&mut inbox.messages)
    }
}
