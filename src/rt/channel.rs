//! Channels with Stackless semantics: unbuffered rendezvous, `balance`, `preference`,
//! `send_exception`, `close`, iteration and `send_sequence`.
//!
//! Waiters queue on the channel in arrival order; all of them wait in the same direction,
//! so `balance` is the queue length signed by that direction. A native waiter's queue entry,
//! message cell included, lives on its own stack, in the frame of `send` or `receive` that
//! parks it (see `wait_queue`): the peer moves the message straight between the two stacks,
//! and an exchange allocates nothing. Who runs after an exchange follows PyPy's
//! `stackless.py`: when `preference` favours the other side, the woken tasklet is put first
//! in the run queue and the caller yields; otherwise the woken tasklet goes to the back and
//! the caller continues.

#![allow(unsafe_code)]

use std::cell::{RefCell, RefMut};
use std::fmt;
use std::rc::Rc;

use super::sched::{self, Scheduler};
use super::script::{RecvOutcome, ScriptCell, SendOutcome};
use super::task::Task;
use super::wait_queue::{Entry, Peer, WaitQueue};

/// What a sender hands over: a value, an exception for the receiver, or the end of it all.
pub(crate) enum Message<T, X> {
    Empty,
    Value(T),
    Exception(X),
    Closed,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Send,
    Receive,
}

struct State_<T, X> {
    queue: WaitQueue<T, X>,
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
                queue: WaitQueue::new(),
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
        let tasks = self.inner.borrow().queue.tasks();
        tasks
            .into_iter()
            .map(|task| super::Tasklet { task })
            .collect()
    }

    /// Withdraws `tasklet` from the channel's wait queue (a VM throwing an exception into a
    /// blocked script tasklet). A sender's message is dropped. False if it was not waiting.
    pub fn withdraw(&self, tasklet: &super::Tasklet) -> bool {
        let removed = self.inner.borrow_mut().queue.remove_task(&tasklet.task);
        // Dropped only now: a message's destructor may use the channel.
        !removed.is_empty()
    }

    /// Stops the channel from taking new senders. Senders already waiting can still be
    /// received from; receivers waiting now can never be served, so they wake with `Closed`.
    pub fn close(&self) {
        let mut woken = Vec::new();
        {
            let mut st = self.inner.borrow_mut();
            st.closing = true;
            if st.direction == Direction::Receive {
                while let Some(receiver) = st.queue.pop_any() {
                    woken.push(receiver.put(Message::Closed));
                }
            }
        }
        for (task, seq) in woken {
            sched::with(|s| s.wake_owned(task, seq, false));
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
    // Inlined into the caller: see `receive`.
    #[inline(always)]
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
    #[inline(always)]
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
            drop(st);
            let (task, seq) = receiver.put(wrap(value));
            sched::with(
                #[inline(always)]
                move |s| serve(s, task, seq, policy),
            );
            return Ok(());
        }
        sched::with(
            #[inline(always)]
            move |s| {
                // SAFETY: `me` is used only in this frame, on its own stack.
                let Some(me) = (unsafe { s.current_parkable_ref() }) else {
                    return Err((value, Refusal::WouldBlock));
                };
                let mut entry = Entry::native(sched::share(me), wrap(value));
                // A receiver takes the entry off the queue and the message out of it.
                self.wait(s, st, me, Direction::Send, &mut entry);
                entry.forget_served();
                Ok(())
            },
        )
    }

    /// Queues `me` in `direction` with its `entry` and parks it until a peer takes the
    /// entry off the queue, having taken or filled its message cell.
    #[inline(always)]
    fn wait(
        &self,
        s: &Scheduler,
        mut st: RefMut<'_, State_<T, X>>,
        me: &Task,
        direction: Direction,
        entry: &mut Entry<T, X>,
    ) {
        let at: *mut Entry<T, X> = entry;
        // SAFETY: the caller's `entry` is borrowed for this whole call, so it stays put and
        // untouched, and the guard below unlinks it (if no peer has) before the call ends,
        // whether it returns or unwinds.
        unsafe { st.queue.push_native(at) };
        st.direction = direction;
        drop(st);
        let _unqueue = Unqueue {
            channel: &self.inner,
            entry: at,
        };
        s.park_task(me);
    }

    /// Takes a value from a sender, waiting for one if none is waiting.
    // Inlined into the caller, like `send`: a call would cost about as much as the exchange,
    // since a function that may switch stacks saves every callee-saved register.
    #[inline(always)]
    pub fn receive(&self) -> Result<T, RecvError<X>> {
        let mut st = self.inner.borrow_mut();
        if let Some((sender, policy)) = take_peer(&mut st, Direction::Send) {
            drop(st);
            let (message, task, seq) = sender.take();
            sched::with(
                #[inline(always)]
                move |s| serve(s, task, seq, policy),
            );
            return into_result(message);
        }
        if st.closing {
            return Err(RecvError::Closed);
        }
        sched::with(
            #[inline(always)]
            move |s| {
                // SAFETY: `me` is used only in this frame, on its own stack.
                let Some(me) = (unsafe { s.current_parkable_ref() }) else {
                    return Err(RecvError::WouldBlock);
                };
                let mut entry = Entry::native(sched::share(me), Message::Empty);
                // A sender (or close) takes the entry off the queue and fills the cell.
                self.wait(s, st, me, Direction::Receive, &mut entry);
                let message = entry.take_message();
                entry.forget_served();
                into_result(message)
            },
        )
    }

    /// A script tasklet's send: delivers `make(v)` to a waiting receiver, or leaves it in
    /// `cell` queued on the channel and reports `Parked`. Called from
    /// [`ScriptBody::resume`]. A refused send hands `v` back.
    ///
    /// [`ScriptBody::resume`]: super::ScriptBody::resume
    // Inlined into the VM's send, its one caller: a call costs as much as a good part of
    // the exchange. The value is made only where it goes (`make`): one made before and
    // moved there went through the stack in pieces the store buffer cannot forward.
    #[inline]
    pub fn send_from_script<V>(
        &self,
        v: V,
        make: impl FnOnce(V) -> T,
        cell: &ScriptCell<T, X>,
    ) -> Result<SendOutcome, SendError<V>> {
        self.script_send(v, |v| Message::Value(make(v)), cell)
    }

    /// `send_exception` from a script tasklet: as [`send_from_script`](Channel::send_from_script).
    pub fn send_exception_from_script<V>(
        &self,
        v: V,
        make: impl FnOnce(V) -> X,
        cell: &ScriptCell<T, X>,
    ) -> Result<SendOutcome, SendError<V>> {
        self.script_send(v, |v| Message::Exception(make(v)), cell)
    }

    /// Generic over `wrap` rather than taking a function pointer: the wrapping then inlines
    /// instead of being an indirect call on every send.
    fn script_send<V>(
        &self,
        v: V,
        wrap: impl FnOnce(V) -> Message<T, X>,
        cell: &ScriptCell<T, X>,
    ) -> Result<SendOutcome, SendError<V>> {
        let mut st = self.inner.borrow_mut();
        if st.closing {
            return Err(SendError::Closed(v));
        }
        if let Some((receiver, policy)) = take_peer(&mut st, Direction::Receive) {
            drop(st);
            let (task, seq) = receiver.put_keeping(wrap(v), Some(&cell.spare));
            sched::with(|s| serve(s, task, seq, policy));
            return Ok(SendOutcome::Sent {
                yield_now: policy.1,
            });
        }
        let Some(me) = current_script() else {
            return Err(SendError::WouldBlock(v));
        };
        // Swapped in rather than assigned: an assignment builds the message on the stack
        // around the old one's drop and copies it over in pieces the store buffer cannot
        // forward, which showed as the dearest instructions of a send.
        let old = std::mem::replace(&mut *cell.message.borrow_mut(), wrap(v));
        // Empty, as a rule (the message of its last wait was taken), and then no drop call.
        if let Message::Empty = old {
            std::mem::forget(old);
        } else {
            drop(old);
        }
        st.direction = Direction::Send;
        st.queue.push_script(me, cell.message.clone(), &cell.spare);
        Ok(SendOutcome::Parked)
    }

    /// A script tasklet's receive: takes from a waiting sender, or queues `cell` on the
    /// channel and reports `Parked`; the value is in the cell when the script runs again.
    /// A value taken at once is read where it lies by `read`, whose result is returned,
    /// and dropped.
    // Inlined into the VM's receive, as `send_from_script`. `read` spares the copies of a
    // message moved out whole (see `Peer::read_keeping`).
    #[inline]
    pub fn receive_from_script<V>(
        &self,
        cell: &ScriptCell<T, X>,
        read: impl FnOnce(&T) -> V,
    ) -> Result<RecvOutcome<V>, RecvError<X>> {
        let mut st = self.inner.borrow_mut();
        if let Some((sender, policy)) = take_peer(&mut st, Direction::Send) {
            drop(st);
            let (got, task, seq) = sender.read_keeping(Some(&cell.spare), read);
            sched::with(|s| serve(s, task, seq, policy));
            let yield_now = policy.1;
            return match got {
                Ok(value) => Ok(RecvOutcome::Received { value, yield_now }),
                Err(other) => Err(into_error(other)),
            };
        }
        if st.closing {
            return Err(RecvError::Closed);
        }
        let Some(me) = current_script() else {
            return Err(RecvError::WouldBlock);
        };
        *cell.message.borrow_mut() = Message::Empty;
        st.direction = Direction::Receive;
        st.queue.push_script(me, cell.message.clone(), &cell.spare);
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
#[inline(always)]
fn take_peer<T, X>(st: &mut State_<T, X>, waiting: Direction) -> Option<(Peer<T, X>, Policy)> {
    if st.direction != waiting {
        return None;
    }
    let peer = st.queue.pop_live()?;
    // Serving a waiting receiver is a send (1); serving a waiting sender, a receive (-1).
    let dir = if waiting == Direction::Receive { 1 } else { -1 };
    Some((peer, exchange_policy(st, dir)))
}

/// The running tasklet if it is a script (which parks by returning, not by suspending).
fn current_script() -> Option<Rc<Task>> {
    sched::with(|s| s.current())
        .filter(|t| t.is_script && t.state.get() != super::task::State::Dying)
}

#[inline(always)]
pub(crate) fn into_result<T, X>(message: Message<T, X>) -> Result<T, RecvError<X>> {
    // A value is what almost every receive gets: one test, the rest out of line.
    match message {
        Message::Value(v) => Ok(v),
        other => Err(into_error(other)),
    }
}

#[cold]
fn into_error<T, X>(message: Message<T, X>) -> RecvError<X> {
    match message {
        Message::Exception(x) => RecvError::Exception(x),
        Message::Value(_) | Message::Closed | Message::Empty => RecvError::Closed,
    }
}

/// Where the woken peer goes and whether the caller yields, for an exchange initiated in
/// direction `dir` (1 send, -1 receive): PyPy `_channel_action`.
#[inline(always)]
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

/// Wakes the peer just served and, if the policy says so, yields the caller: a native
/// caller is suspended here; a script caller is told to end its turn (`policy.1`).
#[inline(always)]
fn serve(s: &Scheduler, peer: Rc<Task>, seq: u32, (front, yield_now): Policy) {
    s.wake_owned(peer, seq, front);
    if yield_now {
        s.schedule_current();
    }
}

/// Takes a waiter's entry off the queue, before the entry goes away, if the waiter leaves
/// its frame without having been served: when it is unwound (killed) while it waits.
struct Unqueue<'a, T, X> {
    channel: &'a Rc<RefCell<State_<T, X>>>,
    entry: *mut Entry<T, X>,
}

impl<T, X> Drop for Unqueue<'_, T, X> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `entry` is the frame's own, linked by `push_native` on this channel's
        // queue; only this thread touches it, and it is running this.
        if unsafe { (*self.entry).is_queued() } {
            self.unqueue();
        }
    }
}

impl<T, X> Unqueue<'_, T, X> {
    #[cold]
    fn unqueue(&self) {
        let Ok(mut st) = self.channel.try_borrow_mut() else {
            // Busy only if a destructor that a channel method runs under the borrow (a
            // stale script entry's) kills this tasklet. Going on would leave the entry
            // queued after its frame is gone.
            std::process::abort();
        };
        // SAFETY: as in `drop`.
        unsafe { st.queue.unlink_own(self.entry) };
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
