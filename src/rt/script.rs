//! Script tasklets: tasklets with no native stack. Their state (for the VM, a frame stack)
//! lives in a [`ScriptBody`] that the scheduler resumes like a coroutine; it returns instead
//! of suspending. They share the run queue and the channels with native tasklets: a channel
//! operation that would block registers the script's [`ScriptCell`] with the channel and
//! reports [`Parked`](SendOutcome::Parked); the body then returns [`ScriptStep::Park`] and is
//! resumed once a peer has served the cell.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use super::channel::Message;
use super::task::Tasklet;
use super::wait_queue::SpareEntry;
use super::{JoinError, RecvError};

/// What a script body did with its turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptStep {
    /// It wants to run again later: its instruction budget ran out, it called `schedule()`,
    /// or a channel exchange favoured the peer. It goes to the back of the run queue.
    Yield,
    /// Like `Yield`, but it runs again right after the tasklet now at the head of the run
    /// queue, as the caller of Stackless `tasklet.run()` or `kill()` does.
    Defer,
    /// A channel operation returned `Parked`: it runs again once the channel serves it.
    Park,
    /// It finished (returned or raised).
    Done,
}

/// The state of a script tasklet, resumed by the scheduler.
pub trait ScriptBody {
    /// Runs until the script finishes, parks on a channel or yields. It must not call
    /// runtime functions that suspend a native tasklet (`sleep`, socket IO, `blocking`,
    /// `join`): a script tasklet has no stack to suspend; those behave as outside a tasklet.
    fn resume(&mut self) -> ScriptStep;

    /// The tasklet is killed while not running. The default drops the body at once; a VM
    /// may instead raise its TaskletExit so that the script's `finally` blocks run, and
    /// report how that turn ended (`Done` once the script has unwound).
    fn kill(&mut self) -> ScriptStep {
        ScriptStep::Done
    }
}

/// A script tasklet's side of a channel exchange: where its outgoing message waits, or its
/// incoming one is put, while it is parked. It lives on the heap, owned jointly by the
/// script and the channel's wait queue, so a killed script cannot leave a dangling entry.
pub struct ScriptCell<T, X = String> {
    pub(crate) message: Rc<RefCell<Message<T, X>>>,
    pub(crate) spare: SpareEntry<T, X>,
}

impl<T, X> Default for ScriptCell<T, X> {
    fn default() -> Self {
        ScriptCell::new()
    }
}

impl<T, X> ScriptCell<T, X> {
    pub fn new() -> Self {
        ScriptCell {
            message: Rc::new(RefCell::new(Message::Empty)),
            spare: SpareEntry::default(),
        }
    }

    /// After a receive parked and the script was resumed: the message a sender delivered.
    /// None if nothing has arrived (the script was resumed for another reason).
    pub fn take_received(&self) -> Option<Result<T, RecvError<X>>> {
        match std::mem::replace(&mut *self.message.borrow_mut(), Message::Empty) {
            Message::Empty => None,
            other => Some(super::channel::into_result(other)),
        }
    }

    /// As `take_received`, but only a value is taken: anything else stays in the cell.
    #[inline]
    pub fn take_value(&self) -> Option<T> {
        let mut message = self.message.borrow_mut();
        if !matches!(*message, Message::Value(_)) {
            return None;
        }
        match std::mem::replace(&mut *message, Message::Empty) {
            Message::Value(v) => Some(v),
            _ => None,
        }
    }

    /// After a send parked: the value still waiting in the cell, if a receiver has not
    /// taken it yet (a VM pickling a blocked sender reads it here).
    pub fn with_pending<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        match &*self.message.borrow() {
            Message::Value(v) => f(Some(v)),
            _ => f(None),
        }
    }

    /// After a send parked: true once a receiver has taken the message.
    pub fn is_delivered(&self) -> bool {
        matches!(*self.message.borrow(), Message::Empty)
    }
}

/// How a script's send went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// A receiver took it; when `yield_now`, the receiver was put first in the run queue and
    /// the script should end its turn with [`ScriptStep::Yield`].
    Sent { yield_now: bool },
    /// No receiver: the message waits in the cell; end the turn with [`ScriptStep::Park`].
    Parked,
}

/// How a script's receive went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecvOutcome<T> {
    /// A sender was waiting; `yield_now` as for [`SendOutcome::Sent`].
    Received { value: T, yield_now: bool },
    /// Nobody is sending: end the turn with [`ScriptStep::Park`] and read the cell with
    /// [`ScriptCell::take_received`] when resumed.
    Parked,
}

impl Tasklet {
    /// Makes a parked script tasklet runnable, first or last in the run queue: how a VM
    /// resumes a script it paused (`remove`), or one whose channel wait it withdrew to throw
    /// an exception into it. False if it is not a parked script.
    pub fn ready(&self, front: bool) -> bool {
        if !self.task.is_script {
            return false;
        }
        let seq = self.task.seq.get();
        super::sched::with(|s| s.wake(&self.task, seq, super::task::Wake::Normal, front))
    }

    /// Takes a runnable script tasklet out of the run queue; it stays parked until
    /// [`ready`](Tasklet::ready). False if it is not a runnable script.
    pub fn unready(&self) -> bool {
        if !self.task.is_script || self.task.state.get() != super::task::State::Runnable {
            return false;
        }
        super::sched::with(|s| s.unqueue(&self.task))
    }

    /// Sets a script tasklet's key: who owns it (the high half, never 0) and which of its
    /// tasklets it is (the low half), for [`hand_off`]. 0, the initial key, matches no owner.
    pub fn set_script_key(&self, key: u64) {
        self.task.script_key.set(key);
    }

    /// True while it waits in the run queue.
    pub fn is_runnable(&self) -> bool {
        self.task.state.get() == super::task::State::Runnable
    }
}

/// Spawns a script tasklet at the end of this thread's run queue.
pub fn spawn_script(body: Box<dyn ScriptBody>) -> Tasklet {
    super::sched::with(|s| s.spawn_script(body))
}

/// The outcome of a script tasklet as `join` would see it.
pub fn script_result(tasklet: &Tasklet) -> Option<Result<(), JoinError>> {
    if tasklet.is_alive() {
        return None;
    }
    Some(tasklet.task.failure().map_or(Ok(()), Err))
}

/// Called by the running script tasklet's body, whose turn ends with `step`: if the next
/// tasklet to run is a script tasklet whose key has `owner` in its high half, it becomes the
/// running tasklet and the low half of its key is returned; the body runs that tasklet's
/// turn in place of returning `step`, and returns the step of the last turn it runs. Saves
/// the trip through the scheduler loop between two turns of one VM. None (and nothing
/// changed) otherwise: the body returns `step` as usual.
pub fn hand_off(step: ScriptStep, owner: u32) -> Option<u32> {
    super::sched::with(|s| s.hand_off(step, owner))
}

/// A timer armed by [`wake_at`]; dropping it disarms the timer if it has not fired.
pub struct ScriptTimer {
    _cancel: super::CancelTimer,
}

/// Arms a timer that makes the running script tasklet runnable at `deadline` if it is then
/// still parked: how a script sleeps without stopping the thread. The body ends its turn
/// with [`ScriptStep::Park`] right after, and drops the guard when the tasklet next runs
/// (woken by the timer or by anything else). None outside a script tasklet.
pub fn wake_at(deadline: Instant) -> Option<ScriptTimer> {
    super::sched::with(|s| {
        let me = s.current().filter(|t| t.is_script)?;
        let seq = me.seq.get();
        let key = s.timers.borrow_mut().insert(deadline, (me, seq));
        Some(ScriptTimer {
            _cancel: super::CancelTimer(key),
        })
    })
}
