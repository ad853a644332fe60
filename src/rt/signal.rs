//! A one-shot signal: one native tasklet waits for it, with a deadline; anyone sets it
//! without blocking, script tasklets included. How an SMTP session waits for a filter
//! stage to pass an event on or decide it, however long the stage takes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Instant;

use super::CancelTimer;
use super::sched;
use super::task::{Task, Wake};

#[derive(Default)]
struct Inner {
    set: Cell<bool>,
    waiter: RefCell<Option<(Rc<Task>, u32)>>,
}

/// Clones refer to the same signal.
#[derive(Clone, Default)]
pub struct Signal {
    inner: Rc<Inner>,
}

/// Why [`Signal::wait_until`] returned without the signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitError {
    TimedOut,
    /// Not in a native tasklet that may park (or it is being killed).
    CannotPark,
}

impl std::fmt::Debug for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signal")
            .field("set", &self.is_set())
            .finish()
    }
}

impl Signal {
    pub fn new() -> Signal {
        Signal::default()
    }

    pub fn is_set(&self) -> bool {
        self.inner.set.get()
    }

    /// Sets the signal and wakes the waiter, if any. Never blocks.
    pub fn set(&self) {
        if self.inner.set.replace(true) {
            return;
        }
        if let Some((task, seq)) = self.inner.waiter.borrow_mut().take() {
            sched::with(|s| s.wake(&task, seq, Wake::Normal, false));
        }
    }

    /// Parks the calling native tasklet until the signal is set or `deadline` passes.
    pub fn wait_until(&self, deadline: Option<Instant>) -> Result<(), WaitError> {
        if self.is_set() {
            return Ok(());
        }
        sched::with(|s| {
            let me = s.current_parkable().ok_or(WaitError::CannotPark)?;
            let seq = me.seq.get();
            *self.inner.waiter.borrow_mut() = Some((me.clone(), seq));
            let _cancel =
                deadline.map(|d| CancelTimer(s.timers.borrow_mut().insert(d, (me.clone(), seq))));
            s.park_task(&me);
            self.inner.waiter.borrow_mut().take();
            if self.is_set() {
                Ok(())
            } else {
                Err(WaitError::TimedOut)
            }
        })
    }
}
