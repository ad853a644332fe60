//! Channels with Stackless semantics: unbuffered rendezvous, `balance`, `preference`,
//! `send_exception`, `close`, iteration and `send_sequence`.
//!
//! Waiters queue on the channel in arrival order; all of them wait in the same direction,
//! so `balance` is the queue length signed by that direction. Each waiter's message cell
//! lives on its own stack, in the frame of `send` or `receive` that parks it: the peer moves
//! the message straight between the two stacks, and an exchange allocates nothing. Who runs after an exchange follows
//! PyPy's `stackless.py`: when `preference` favours the other side, the woken tasklet is
//! put first in the run queue and the caller yields; otherwise the woken tasklet goes to the
//! back and the caller continues.

#![allow(unsafe_code)]

use std::cell::{RefCell, RefMut};
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

use super::sched;
use super::script::{RecvOutcome, ScriptCell, SendOutcome};
use super::task::Task;

/// What a sender hands over: a value, an exception for the receiver, or the end of it all.
pub(crate) enum Message<T, X> {
    Empty,
    Value(T),
    Exception(X),
    Closed,
}

struct Waiting<T, X> {
    task: Rc<Task>,
    seq: u32,
    /// The waiter's message cell: a sender's message, or where a receiver wants one.
    slot: Slot<T, X>,
}

enum Slot<T, X> {
    /// A native tasklet's cell, on its stack. Valid while the entry is queued: the waiter
    /// stays parked in the frame that owns the cell until a peer pops the entry, and if it
    /// is unwound instead (killed), its `WaitGuard` removes the entry before the cell goes.
    Stack(*mut Message<T, X>),
    /// A script tasklet's cell, which this entry keeps alive too.
    Shared(Rc<RefCell<Message<T, X>>>),
}

impl<T, X> Slot<T, X> {
    /// Only for an entry that was queued until just now (see `Slot::Stack`).
    #[inline]
    fn put(&self, message: Message<T, X>) {
        match self {
            // SAFETY: per the contract above, the stack cell is alive and nobody else is
            // using it (its owner is parked).
            Slot::Stack(cell) => unsafe { **cell = message },
            Slot::Shared(cell) => *cell.borrow_mut() = message,
        }
    }

    /// Only for an entry that was queued until just now (see `Slot::Stack`).
    #[inline]
    fn take(&self) -> Message<T, X> {
        match self {
            // SAFETY: as in `put`.
            Slot::Stack(cell) => unsafe { std::mem::replace(&mut **cell, Message::Empty) },
            Slot::Shared(cell) => std::mem::replace(&mut *cell.borrow_mut(), Message::Empty),
        }
    }
}

/// The first waiter still alive. Killed script tasklets leave their entries behind (they
/// have no stack guard to withdraw them); they are dropped here, as PyPy drops killed
/// tasklets when it meets them.
#[inline]
fn pop_live<T, X>(queue: &mut VecDeque<Waiting<T, X>>) -> Option<Waiting<T, X>> {
    loop {
        let w = queue.pop_front()?;
        // A script woken by other means since it queued (a VM threw into it) is stale too.
        if !w.task.is_done() && w.seq == w.task.seq.get() {
            return Some(w);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Send,
    Receive,
}

struct State_<T, X> {
    queue: VecDeque<Waiting<T, X>>,
    direction: Direction,
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
        Channel {
            inner: self.inner.clone(),
        }
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
        self.inner
            .borrow()
            .queue
            .iter()
            .map(|w| super::Tasklet {
                task: w.task.clone(),
            })
            .collect()
    }

    /// Withdraws `tasklet` from the channel's wait queue (a VM throwing an exception into a
    /// blocked script tasklet). A sender's message is dropped. False if it was not waiting.
    pub fn withdraw(&self, tasklet: &super::Tasklet) -> bool {
        let mut st = self.inner.borrow_mut();
        let before = st.queue.len();
        st.queue.retain(|w| !Rc::ptr_eq(&w.task, &tasklet.task));
        st.queue.len() != before
    }

    /// Stops the channel from taking new senders. Senders already waiting can still be
    /// received from; receivers waiting now can never be served, so they wake with `Closed`.
    pub fn close(&self) {
        let woken: Vec<Waiting<T, X>> = {
            let mut st = self.inner.borrow_mut();
            st.closing = true;
            if st.direction == Direction::Receive {
                st.queue.drain(..).collect()
            } else {
                Vec::new()
            }
        };
        for w in woken {
            w.slot.put(Message::Closed);
            sched::with(|s| s.wake(&w.task, w.seq, super::task::Wake::Normal, false));
        }
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
        self.send_with(value, Message::Value)
            .map_err(|(v, refusal)| match refusal {
                Refusal::Closed => SendError::Closed(v),
                Refusal::WouldBlock => SendError::WouldBlock(v),
            })
    }

    /// Makes the receiver's `receive` fail with `RecvError::Exception(x)`.
    pub fn send_exception(&self, x: X) -> Result<(), SendError<X>> {
        self.send_with(x, Message::Exception)
            .map_err(|(x, refusal)| match refusal {
                Refusal::Closed => SendError::Closed(x),
                Refusal::WouldBlock => SendError::WouldBlock(x),
            })
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

    /// Every refusal happens before `wrap`, so a refused value goes back untouched.
    fn send_with<V>(
        &self,
        value: V,
        wrap: impl FnOnce(V) -> Message<T, X>,
    ) -> Result<(), (V, Refusal)> {
        let mut st = self.inner.borrow_mut();
        if st.closing {
            return Err((value, Refusal::Closed));
        }
        if let Some((receiver, policy)) = take_peer(&mut st, Direction::Receive) {
            receiver.slot.put(wrap(value));
            drop(st);
            wake_peer(receiver, policy);
            return Ok(());
        }
        let Some(me) = sched::with(|s| s.current_parkable()) else {
            return Err((value, Refusal::WouldBlock));
        };
        let mut cell = wrap(value);
        // A receiver pops the entry and takes the message.
        self.wait(st, &me, Direction::Send, &mut cell);
        Ok(())
    }

    /// Queues `me` in `direction` with its message cell and parks it until a peer pops the
    /// entry (having taken or filled the cell).
    fn wait(
        &self,
        mut st: RefMut<'_, State_<T, X>>,
        me: &Rc<Task>,
        direction: Direction,
        cell: &mut Message<T, X>,
    ) {
        let slot: *mut Message<T, X> = cell;
        enqueue(&mut st, me.clone(), direction, Slot::Stack(slot));
        drop(st);
        let guard = WaitGuard {
            channel: &self.inner,
            slot,
        };
        sched::with(|s| s.park_task(me));
        std::mem::forget(guard);
    }

    /// Takes a value from a sender, waiting for one if none is waiting.
    pub fn receive(&self) -> Result<T, RecvError<X>> {
        let mut st = self.inner.borrow_mut();
        if let Some((sender, policy)) = take_peer(&mut st, Direction::Send) {
            let message = sender.slot.take();
            drop(st);
            wake_peer(sender, policy);
            return into_result(message);
        }
        if st.closing {
            return Err(RecvError::Closed);
        }
        let Some(me) = sched::with(|s| s.current_parkable()) else {
            return Err(RecvError::WouldBlock);
        };
        let mut cell: Message<T, X> = Message::Empty;
        // A sender (or close) pops the entry and fills the cell.
        self.wait(st, &me, Direction::Receive, &mut cell);
        into_result(cell)
    }

    /// A script tasklet's send: delivers to a waiting receiver, or leaves `value` in `cell`
    /// queued on the channel and reports `Parked`. Called from [`ScriptBody::resume`].
    ///
    /// [`ScriptBody::resume`]: super::ScriptBody::resume
    pub fn send_from_script(
        &self,
        value: T,
        cell: &ScriptCell<T, X>,
    ) -> Result<SendOutcome, SendError<T>> {
        self.script_send(value, Message::Value, cell)
    }

    /// `send_exception` from a script tasklet: as [`send_from_script`](Channel::send_from_script).
    pub fn send_exception_from_script(
        &self,
        x: X,
        cell: &ScriptCell<T, X>,
    ) -> Result<SendOutcome, SendError<X>> {
        self.script_send(x, Message::Exception, cell)
    }

    fn script_send<V>(
        &self,
        v: V,
        wrap: fn(V) -> Message<T, X>,
        cell: &ScriptCell<T, X>,
    ) -> Result<SendOutcome, SendError<V>> {
        let mut st = self.inner.borrow_mut();
        if st.closing {
            return Err(SendError::Closed(v));
        }
        if let Some((receiver, policy)) = take_peer(&mut st, Direction::Receive) {
            receiver.slot.put(wrap(v));
            drop(st);
            return Ok(SendOutcome::Sent {
                yield_now: wake_peer(receiver, policy),
            });
        }
        let Some(me) = current_script() else {
            return Err(SendError::WouldBlock(v));
        };
        *cell.message.borrow_mut() = wrap(v);
        enqueue(
            &mut st,
            me,
            Direction::Send,
            Slot::Shared(cell.message.clone()),
        );
        Ok(SendOutcome::Parked)
    }

    /// A script tasklet's receive: takes from a waiting sender, or queues `cell` on the
    /// channel and reports `Parked`; the value is in the cell when the script runs again.
    pub fn receive_from_script(
        &self,
        cell: &ScriptCell<T, X>,
    ) -> Result<RecvOutcome<T>, RecvError<X>> {
        let mut st = self.inner.borrow_mut();
        if let Some((sender, policy)) = take_peer(&mut st, Direction::Send) {
            let message = sender.slot.take();
            drop(st);
            let yield_now = wake_peer(sender, policy);
            return into_result(message).map(|value| RecvOutcome::Received { value, yield_now });
        }
        if st.closing {
            return Err(RecvError::Closed);
        }
        let Some(me) = current_script() else {
            return Err(RecvError::WouldBlock);
        };
        *cell.message.borrow_mut() = Message::Empty;
        enqueue(
            &mut st,
            me,
            Direction::Receive,
            Slot::Shared(cell.message.clone()),
        );
        Ok(RecvOutcome::Parked)
    }

    /// Receives until the channel is closed and drained. Exceptions sent with
    /// `send_exception` come through as `Err` items.
    pub fn iter(&self) -> Iter<'_, T, X> {
        Iter { channel: self }
    }
}

/// The first live waiter if it waits in direction `waiting`, with the exchange policy of
/// serving it.
#[inline]
fn take_peer<T, X>(st: &mut State_<T, X>, waiting: Direction) -> Option<(Waiting<T, X>, Policy)> {
    if st.direction != waiting {
        return None;
    }
    let peer = pop_live(&mut st.queue)?;
    // Serving a waiting receiver is a send (1); serving a waiting sender, a receive (-1).
    let dir = if waiting == Direction::Receive { 1 } else { -1 };
    Some((peer, exchange_policy(st, dir)))
}

#[inline]
fn enqueue<T, X>(st: &mut State_<T, X>, task: Rc<Task>, direction: Direction, slot: Slot<T, X>) {
    st.direction = direction;
    st.queue.push_back(Waiting {
        seq: task.seq.get(),
        task,
        slot,
    });
}

/// The running tasklet if it is a script (which parks by returning, not by suspending).
fn current_script() -> Option<Rc<Task>> {
    sched::with(|s| s.current())
        .filter(|t| t.is_script && t.state.get() != super::task::State::Dying)
}

pub(crate) fn into_result<T, X>(message: Message<T, X>) -> Result<T, RecvError<X>> {
    match message {
        Message::Value(v) => Ok(v),
        Message::Exception(x) => Err(RecvError::Exception(x)),
        Message::Closed | Message::Empty => Err(RecvError::Closed),
    }
}

/// Where the woken peer goes and whether the caller yields, for an exchange initiated in
/// direction `dir` (1 send, -1 receive): PyPy `_channel_action`.
#[inline]
fn exchange_policy<T, X>(st: &State_<T, X>, dir: i8) -> Policy {
    if st.schedule_all {
        (false, true)
    } else if st.preference == -dir {
        (true, true)
    } else {
        (false, false)
    }
}

/// (woken peer goes first in the run queue, caller yields)
type Policy = (bool, bool);

/// Wakes the peer and, if the policy says so, yields the caller: a native caller is
/// suspended here; a script caller is told to end its turn (the returned flag).
#[inline]
fn wake_peer<T, X>(peer: Waiting<T, X>, (front, yield_now): Policy) -> bool {
    sched::with(|s| {
        s.wake(&peer.task, peer.seq, super::task::Wake::Normal, front);
        if yield_now {
            s.schedule_current();
        }
    });
    yield_now
}

/// Removes a waiter whose tasklet is unwinding (killed) while it waits, before its message
/// cell goes away; a normal wake-up forgets the guard instead.
struct WaitGuard<'a, T, X> {
    channel: &'a Rc<RefCell<State_<T, X>>>,
    slot: *mut Message<T, X>,
}

impl<T, X> Drop for WaitGuard<'_, T, X> {
    fn drop(&mut self) {
        if let Ok(mut st) = self.channel.try_borrow_mut() {
            st.queue
                .retain(|w| !matches!(w.slot, Slot::Stack(p) if p == self.slot));
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
