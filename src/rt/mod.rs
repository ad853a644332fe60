//! The microthread runtime: tasklets, Stackless channels, the mio reactor, timers, sockets,
//! a helper pool for blocking work, and one scheduler per thread.
//!
//! Everything here is per thread: a tasklet, a channel or a socket belongs to the thread
//! that made it (none of them is `Send`). Threads talk only through [`Remote`] handles.
//!
//! ```
//! use stackmail::rt::{self, Channel};
//!
//! let ch: Channel<u32> = Channel::new();
//! let rx = ch.clone();
//! let sum = rt::spawn(move || rx.iter().map(|v| v.unwrap()).sum::<u32>());
//! rt::spawn(move || {
//!     ch.send_sequence([1, 2, 3]).unwrap();
//!     ch.close();
//! });
//! assert_eq!(sum.join().unwrap(), 6);
//! ```

mod batch;
mod blocking;
mod channel;
pub mod net;
mod reactor;
mod run_queue;
mod runtime;
mod sched;
mod script;
mod signal;
mod slab;
mod stack;
pub mod sys;
mod task;
pub mod timer;
mod wait_queue;

use std::time::{Duration, Instant};

pub use batch::Batcher;
pub use blocking::{ScriptJob, blocking, set_blocking_threads, start_for_script};
pub use channel::{Channel, Iter, RecvError, SendError};
pub use reactor::{Remote, SchedulerGone};
pub use runtime::{FIRST_STACK, Runtime, RuntimeHandle};
pub use sched::TaskletExit;
pub use script::{
    RecvOutcome, ScriptBody, ScriptCell, ScriptStep, ScriptTimer, SendOutcome, hand_off,
    script_result, spawn_script, wake_at,
};
pub use signal::{Signal, WaitError};
pub use stack::DEFAULT_STACK_SIZE;
pub use task::{Builder, JoinError, JoinHandle, KillError, Tasklet};

/// Spawns `f` as a tasklet at the end of this thread's run queue.
///
/// # Panics
/// If the OS refuses memory for the tasklet's stack; [`Builder::spawn`] returns that error.
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + 'static,
    T: 'static,
{
    match Builder::new().spawn(f) {
        Ok(handle) => handle,
        Err(e) => panic!("cannot map a tasklet stack: {e}"),
    }
}

/// Yields: the caller goes to the back of the run queue. Outside a tasklet it does nothing.
pub fn schedule() {
    sched::with(|s| s.schedule_current());
}

/// The tasklet running now, or None on the thread's own stack.
pub fn current() -> Option<Tasklet> {
    sched::with(|s| s.current()).map(|task| Tasklet { task })
}

/// Runs this thread's tasklets until none is runnable and none waits on IO, a timer or a
/// helper thread. Tasklets blocked on channels nobody will serve are left blocked, as
/// Stackless `run()` leaves them. Called from a tasklet, it does nothing.
pub fn run() {
    sched::with(|s| s.run_loop(|| false, true));
}

/// [`run`], but returns as soon as `done()` holds, checked between tasklet turns (how a
/// program ends when its main tasklet does, leaving the others unrun).
pub fn run_until(done: impl Fn() -> bool) {
    sched::with(|s| s.run_loop(done, true));
}

/// Suspends the calling tasklet for `duration`; outside a tasklet, sleeps the thread.
pub fn sleep(duration: Duration) {
    sleep_until(timer::deadline_after(Instant::now(), duration));
}

/// Suspends the calling tasklet until `deadline`; outside a tasklet, sleeps the thread.
pub fn sleep_until(deadline: Instant) {
    sched::with(|s| {
        let Some(me) = s.current().filter(|t| !t.is_script) else {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            return;
        };
        let key = s
            .timers
            .borrow_mut()
            .insert(deadline, (me.clone(), me.seq.get()));
        let _cancel = CancelTimer(key);
        let _ = s.park();
    });
}

/// Disarms a timer when the wait it guards ends for any reason, including a kill.
pub(crate) struct CancelTimer(pub(crate) timer::TimerKey);

impl Drop for CancelTimer {
    fn drop(&mut self) {
        sched::with(|s| {
            if let Ok(mut timers) = s.timers.try_borrow_mut() {
                timers.cancel(self.0);
            }
        });
    }
}

/// Sets the usable stack size of tasklets spawned on this thread from now on.
pub fn set_default_stack_size(size: usize) {
    sched::with(|s| s.stacks.borrow_mut().set_default_size(size));
}

/// A handle through which other threads can hand work to this thread's scheduler.
pub fn remote() -> std::io::Result<Remote> {
    sched::with(|s| s.remote())
}

/// Counters of this thread's scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Tasklets spawned and not yet finished.
    pub alive: usize,
    /// Tasklets in the run queue.
    pub runnable: usize,
    /// Stacks mapped by this thread, in use or pooled.
    pub stacks_mapped: usize,
    /// Free stacks kept for reuse.
    pub stacks_pooled: usize,
}

pub fn stats() -> Stats {
    sched::with(|s| {
        let stacks = s.stacks.borrow();
        Stats {
            alive: s.alive(),
            runnable: s.runnable(),
            stacks_mapped: stacks.mapped,
            stacks_pooled: stacks.pooled(),
        }
    })
}
