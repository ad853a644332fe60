//! Channels with Stackless semantics: unbuffered rendezvous, `balance`, `preference`,
//! `send_exception`, `close`, iteration and `send_sequence`.
//!
//! Waiters queue on the channel in arrival order; all of them wait in the same direction,
//! so `balance` is the queue length signed by that direction. A sender's value waits in the
//! channel's slot slab; a receiver's slot receives the value its sender delivers. Slots are
//! reused, so a steady exchange allocates nothing. Who runs after an exchange follows
//! PyPy's `stackless.py`: when `preference` favours the other side, the woken tasklet is
//! put first in the run queue and the caller yields; otherwise the woken tasklet goes to the
//! back and the caller continues.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

use super::sched;
use super::slab::{Key, Slab};
use super::task::{State, Task};

/// What a sender hands over: a value, an exception for the receiver, or the end of it all.
enum Message<T, X> {
    Empty,
    Value(T),
    Exception(X),
    Closed,
}

struct Waiting {
    task: Rc<Task>,
    seq: u32,
    slot: Key,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Send,
    Receive,
}

struct State_<T, X> {
    queue: VecDeque<Waiting>,
    direction: Direction,
    slots: Slab<Message<T, X>>,
    preference: i8,
    schedule_all: bool,
    closing: bool,
}

/// An unbuffered channel between tasklets of one thread. Clones refer to the same channel.
///
/// `X` is what `send_exception` carries: receivers get it as [`RecvError::Exception`].
pub struct Channel<T, X = String> {
    inner: Rc<RefCell<State_<T, X>>>,
}

impl<T, X> Clone for Channel<T, X> {
    fn clone(&self) -> Self {
        Channel { inner: self.inner.clone() }
    }
}

/// Why `receive` returned no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecvError<X> {
    /// The channel is closed and no sender is left waiting.
    Closed,
    /// A sender used `send_exception`.
    Exception(X),
    /// Nobody is sending and the caller is not a tasklet, so it cannot wait.
    WouldBlock,
}

enum Refusal {
    Closed,
    WouldBlock,
}

/// Why `send` did not deliver; the value is handed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError<T> {
    Closed(T),
    /// Nobody is receiving and the caller is not a tasklet, so it cannot wait.
    WouldBlock(T),
}

impl<X: fmt::Debug> fmt::Display for RecvError<X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("channel is closed"),
            RecvError::Exception(x) => write!(f, "exception sent over the channel: {x:?}"),
            RecvError::WouldBlock => f.write_str("receive would block outside a tasklet"),
        }
    }
}

impl<X: fmt::Debug> std::error::Error for RecvError<X> {}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Closed(_) => f.write_str("channel is closed"),
            SendError::WouldBlock(_) => f.write_str("send would block outside a tasklet"),
        }
    }
}

impl<T: fmt::Debug> std::error::Error for SendError<T> {}

impl<T, X> Default for Channel<T, X> {
    fn default() -> Self {
        Channel::new()
    }
}

impl<T, X> fmt::Debug for Channel<T, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.borrow();
        f.debug_struct("Channel")
            .field("balance", &balance_of(&st))
            .field("preference", &st.preference)
            .field("closing", &st.closing)
            .finish()
    }
}

fn balance_of<T, X>(st: &State_<T, X>) -> isize {
    let n = st.queue.len() as isize;
    match st.direction {
        Direction::Send => n,
        Direction::Receive => -n,
    }
}

impl<T, X> Channel<T, X> {
    pub fn new() -> Self {
        Channel {
            inner: Rc::new(RefCell::new(State_ {
                queue: VecDeque::new(),
                direction: Direction::Send,
                slots: Slab::new(),
                preference: -1,
                schedule_all: false,
                closing: false,
            })),
        }
    }

    /// Senders waiting (positive) or receivers waiting (negative).
    pub fn balance(&self) -> isize {
        balance_of(&self.inner.borrow())
    }

    /// -1 (the default): a woken receiver runs at once; 1: a woken sender runs at once;
    /// 0: the caller always continues. Values are clamped to that range.
    pub fn preference(&self) -> i8 {
        self.inner.borrow().preference
    }

    pub fn set_preference(&self, preference: i8) {
        self.inner.borrow_mut().preference = preference.clamp(-1, 1);
    }

    /// When set, every exchange yields the caller to the back of the run queue, whatever the
    /// preference.
    pub fn schedule_all(&self) -> bool {
        self.inner.borrow().schedule_all
    }

    pub fn set_schedule_all(&self, on: bool) {
        self.inner.borrow_mut().schedule_all = on;
    }

    /// Tasklets waiting on the channel, first to be served first.
    pub fn queue(&self) -> Vec<super::Tasklet> {
        self.inner.borrow().queue.iter().map(|w| super::Tasklet { task: w.task.clone() }).collect()
    }

    /// Stops the channel from taking new senders. Senders already waiting can still be
    /// received from; receivers waiting now can never be served, so they wake with `Closed`.
    pub fn close(&self) {
        let woken: Vec<Waiting> = {
            let mut st = self.inner.borrow_mut();
            st.closing = true;
            if st.direction == Direction::Receive {
                let woken: Vec<_> = st.queue.drain(..).collect();
                for w in &woken {
                    if let Some(slot) = st.slots.get_mut(w.slot) {
                        *slot = Message::Closed;
                    }
                }
                woken
            } else {
                Vec::new()
            }
        };
        sched::with(|s| {
            for w in woken {
                s.wake(&w.task, w.seq, super::task::Wake::Normal, false);
            }
        });
    }

    /// Undoes `close`.
    pub fn open(&self) {
        self.inner.borrow_mut().closing = false;
    }

    /// `close` was called (senders may still be waiting).
    pub fn is_closing(&self) -> bool {
        self.inner.borrow().closing
    }

    /// Closing and drained: every receive from now on fails with `Closed`.
    pub fn is_closed(&self) -> bool {
        let st = self.inner.borrow();
        st.closing && st.queue.is_empty()
    }

    /// Hands `value` to a receiver, waiting for one if none is waiting.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.can_send() {
            Ok(()) => Ok(self.deliver(Message::Value(value))),
            Err(Refusal::Closed) => Err(SendError::Closed(value)),
            Err(Refusal::WouldBlock) => Err(SendError::WouldBlock(value)),
        }
    }

    /// Makes the receiver's `receive` fail with `RecvError::Exception(x)`.
    pub fn send_exception(&self, x: X) -> Result<(), SendError<X>> {
        match self.can_send() {
            Ok(()) => Ok(self.deliver(Message::Exception(x))),
            Err(Refusal::Closed) => Err(SendError::Closed(x)),
            Err(Refusal::WouldBlock) => Err(SendError::WouldBlock(x)),
        }
    }

    /// Sends every item in order; returns how many were sent.
    pub fn send_sequence(&self, items: impl IntoIterator<Item = T>) -> Result<usize, SendError<T>> {
        let mut sent = 0;
        for item in items {
            self.send(item)?;
            sent += 1;
        }
        Ok(sent)
    }

    /// Whether `deliver` can complete: the checks come first so that a refused value is
    /// handed back untouched.
    fn can_send(&self) -> Result<(), Refusal> {
        let st = self.inner.borrow();
        if st.closing {
            return Err(Refusal::Closed);
        }
        if st.direction == Direction::Receive && !st.queue.is_empty() {
            return Ok(());
        }
        match sched::with(|s| s.current()) {
            Some(me) if me.state.get() != State::Dying => Ok(()),
            _ => Err(Refusal::WouldBlock),
        }
    }

    fn deliver(&self, message: Message<T, X>) {
        let mut st = self.inner.borrow_mut();
        if st.direction == Direction::Receive {
            if let Some(receiver) = st.queue.pop_front() {
                if let Some(slot) = st.slots.get_mut(receiver.slot) {
                    *slot = message;
                }
                let (front, yield_now) = exchange_policy(&st, 1);
                drop(st);
                wake_peer(receiver, front, yield_now);
                return;
            }
        }
        let Some(me) = sched::with(|s| s.current()) else { return };
        let slot = st.slots.insert(message);
        st.direction = Direction::Send;
        st.queue.push_back(Waiting { task: me.clone(), seq: me.seq.get(), slot });
        drop(st);
        // Dropped during an unwind (the sender is killed while waiting) it withdraws the
        // message; after a normal wake-up the receiver has already taken it.
        let guard = WaitGuard { channel: &self.inner, slot, sending: true };
        let parked = sched::with(|s| s.park());
        if parked.is_ok() {
            std::mem::forget(guard);
        }
    }

    /// Takes a value from a sender, waiting for one if none is waiting.
    pub fn receive(&self) -> Result<T, RecvError<X>> {
        let mut st = self.inner.borrow_mut();
        if st.direction == Direction::Send && !st.queue.is_empty() {
            let Some(sender) = st.queue.pop_front() else { return Err(RecvError::WouldBlock) };
            let message = st.slots.remove(sender.slot).unwrap_or(Message::Empty);
            let (front, yield_now) = exchange_policy(&st, -1);
            drop(st);
            wake_peer(sender, front, yield_now);
            return into_result(message);
        }
        if st.closing {
            return Err(RecvError::Closed);
        }
        let Some(me) = sched::with(|s| s.current()) else { return Err(RecvError::WouldBlock) };
        if me.state.get() == State::Dying {
            return Err(RecvError::WouldBlock);
        }
        let slot = st.slots.insert(Message::Empty);
        st.direction = Direction::Receive;
        st.queue.push_back(Waiting { task: me.clone(), seq: me.seq.get(), slot });
        drop(st);
        let guard = WaitGuard { channel: &self.inner, slot, sending: false };
        let parked = sched::with(|s| s.park());
        std::mem::forget(guard);
        let message = self.inner.borrow_mut().slots.remove(slot).unwrap_or(Message::Empty);
        match parked {
            Ok(_) => into_result(message),
            Err(_) => {
                self.inner.borrow_mut().queue.retain(|w| w.slot != slot);
                Err(RecvError::WouldBlock)
            }
        }
    }

    /// Receives until the channel is closed and drained. Exceptions sent with
    /// `send_exception` come through as `Err` items.
    pub fn iter(&self) -> Iter<'_, T, X> {
        Iter { channel: self }
    }
}

fn into_result<T, X>(message: Message<T, X>) -> Result<T, RecvError<X>> {
    match message {
        Message::Value(v) => Ok(v),
        Message::Exception(x) => Err(RecvError::Exception(x)),
        Message::Closed | Message::Empty => Err(RecvError::Closed),
    }
}

/// Where the woken peer goes and whether the caller yields, for an exchange initiated in
/// direction `dir` (1 send, -1 receive): PyPy `_channel_action`.
fn exchange_policy<T, X>(st: &State_<T, X>, dir: i8) -> (bool, bool) {
    if st.schedule_all {
        (false, true)
    } else if st.preference == -dir {
        (true, true)
    } else {
        (false, false)
    }
}

fn wake_peer(peer: Waiting, front: bool, yield_now: bool) {
    sched::with(|s| {
        s.wake(&peer.task, peer.seq, super::task::Wake::Normal, front);
        if yield_now {
            s.schedule_current();
        }
    });
}

/// Removes a waiter whose tasklet is unwinding (killed) while it waits; a normal wake-up
/// forgets the guard instead.
struct WaitGuard<'a, T, X> {
    channel: &'a Rc<RefCell<State_<T, X>>>,
    slot: Key,
    sending: bool,
}

impl<T, X> Drop for WaitGuard<'_, T, X> {
    fn drop(&mut self) {
        let Ok(mut st) = self.channel.try_borrow_mut() else { return };
        let before = st.queue.len();
        st.queue.retain(|w| w.slot != self.slot);
        let was_queued = st.queue.len() != before;
        // A receiver's slot is its own until it reads it; a sender's slot belongs to the
        // receiver once the sender left the queue.
        if was_queued || !self.sending {
            st.slots.remove(self.slot);
        }
    }
}

pub struct Iter<'a, T, X> {
    channel: &'a Channel<T, X>,
}

impl<T, X> Iterator for Iter<'_, T, X> {
    type Item = Result<T, X>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.channel.receive() {
            Ok(v) => Some(Ok(v)),
            Err(RecvError::Exception(x)) => Some(Err(x)),
            Err(RecvError::Closed | RecvError::WouldBlock) => None,
        }
    }
}
