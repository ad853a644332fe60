//! Tasklet records and the handles user code holds: [`Tasklet`], [`JoinHandle`], [`Builder`].

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::rc::Rc;

use corosensei::{Coroutine, Yielder};

use super::sched::{self, Scheduler};
use super::slab::Key;
use super::stack::PooledStack;

pub(crate) type Coro = Coroutine<(), (), (), PooledStack>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// In the run queue.
    Runnable,
    Running,
    /// Suspended until some waker calls [`Scheduler::wake`] with the current park sequence.
    Parked,
    /// Being force-unwound by `kill`: it may run destructors but can no longer block.
    Dying,
    Done,
}

/// Why a parked tasklet was woken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wake {
    Normal,
    Timeout,
}

#[derive(Default)]
pub(crate) struct Cold {
    pub(crate) name: Option<Box<str>>,
    pub(crate) panic_message: Option<String>,
    /// The tasklet waiting in `join`, with the park sequence it waits under.
    pub(crate) joiner: Option<(Rc<Task>, u32)>,
}

impl Task {
    pub(crate) fn name(&self) -> Option<String> {
        self.cold
            .borrow()
            .as_ref()
            .and_then(|c| c.name.as_deref().map(str::to_string))
    }

    /// The cold part, made on first use.
    pub(crate) fn cold_mut<R>(&self, f: impl FnOnce(&mut Cold) -> R) -> R {
        f(self.cold.borrow_mut().get_or_insert_with(Default::default))
    }
}

pub(crate) struct Task {
    pub(crate) id: u64,
    pub(crate) coro: RefCell<Option<Coro>>,
    /// Set instead of `coro` for a script tasklet: it has no stack and never suspends.
    pub(crate) script: RefCell<Option<Box<dyn super::script::ScriptBody>>>,
    pub(crate) is_script: bool,
    /// A script tasklet's key for `Scheduler::hand_off`: its owner in the high half.
    pub(crate) script_key: Cell<u64>,
    pub(crate) state: Cell<State>,
    /// Bumped on every wake, so a waker holding an older sequence (a timer that fired after
    /// the IO it guarded completed) cannot wake a later park.
    pub(crate) seq: Cell<u32>,
    pub(crate) wake: Cell<Wake>,
    /// Set by the coroutine's entry; valid for as long as the coroutine is alive, since the
    /// yielder lives at the bottom of the coroutine's own stack.
    pub(crate) yielder: Cell<*const Yielder<(), ()>>,
    pub(crate) killed: Cell<bool>,
    /// Key in the scheduler's registry of live tasklets.
    pub(crate) registry_key: Cell<Option<Key>>,
    /// What few tasklets ever need (a panic message, a joiner), out of line so that every
    /// tasklet stays small: a server parks one per connection and per script.
    pub(crate) cold: RefCell<Option<Box<Cold>>>,
    /// Private, so that tasks are made only by `new`, each in its own `Rc`: the scheduler
    /// turns a `&Task` back into an `Rc` (`sched::share`) without keeping one around.
    _in_rc: (),
}

impl Task {
    pub(crate) fn new(id: u64, name: Option<Box<str>>, is_script: bool) -> Rc<Task> {
        let task = Task {
            id,
            coro: RefCell::new(None),
            script: RefCell::new(None),
            is_script,
            script_key: Cell::new(0),
            state: Cell::new(State::Runnable),
            seq: Cell::new(0),
            wake: Cell::new(Wake::Normal),
            yielder: Cell::new(std::ptr::null()),
            killed: Cell::new(false),
            registry_key: Cell::new(None),
            cold: RefCell::new(None),
            _in_rc: (),
        };
        if name.is_some() {
            task.cold_mut(|c| c.name = name);
        }
        Rc::new(task)
    }

    pub(crate) fn is_done(&self) -> bool {
        self.state.get() == State::Done
    }

    /// Why a finished tasklet produced no result, if it did not: panicked, or killed.
    pub(crate) fn failure(&self) -> Option<JoinError> {
        let msg = self
            .cold
            .borrow()
            .as_ref()
            .and_then(|c| c.panic_message.clone());
        if let Some(msg) = msg {
            Some(JoinError::Panicked(msg))
        } else if self.killed.get() {
            Some(JoinError::Killed)
        } else {
            None
        }
    }
}

/// Why a tasklet did not produce its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinError {
    /// It panicked; the panic was contained and logged. Holds the panic message.
    Panicked(String),
    /// It was killed before it finished.
    Killed,
    /// `join` was called outside any tasklet and the scheduler ran out of work before the
    /// tasklet finished: it is blocked forever (a deadlock).
    Deadlock,
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Panicked(msg) => write!(f, "tasklet panicked: {msg}"),
            JoinError::Killed => f.write_str("tasklet was killed"),
            JoinError::Deadlock => f.write_str("tasklet can never finish: no other work is left"),
        }
    }
}

impl std::error::Error for JoinError {}

/// Why `kill` did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillError {
    /// The tasklet had already finished.
    Finished,
    /// The tasklet belongs to a scheduler that is not running on this thread's stack right
    /// now (it is itself in the middle of killing or resuming the caller).
    Busy,
}

impl fmt::Display for KillError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KillError::Finished => f.write_str("tasklet has already finished"),
            KillError::Busy => f.write_str("tasklet is busy resuming the caller"),
        }
    }
}

impl std::error::Error for KillError {}

/// A reference to a tasklet: its identity, and the power to kill it.
#[derive(Clone)]
pub struct Tasklet {
    pub(crate) task: Rc<Task>,
}

impl Tasklet {
    /// A number unique among the tasklets of this thread.
    pub fn id(&self) -> u64 {
        self.task.id
    }

    pub fn name(&self) -> Option<String> {
        self.task.name()
    }

    /// True until the tasklet has returned, panicked or been killed.
    pub fn is_alive(&self) -> bool {
        !self.task.is_done()
    }

    /// True while it waits on a channel, a socket, a timer or a helper thread.
    pub fn is_blocked(&self) -> bool {
        self.task.state.get() == State::Parked
    }

    /// Unwinds the tasklet now, running its destructors, as Stackless `kill` does; then the
    /// caller continues. Killing the current tasklet unwinds the caller itself.
    pub fn kill(&self) -> Result<(), KillError> {
        sched::kill(&self.task)
    }
}

impl PartialEq for Tasklet {
    fn eq(&self, other: &Tasklet) -> bool {
        Rc::ptr_eq(&self.task, &other.task)
    }
}

impl fmt::Debug for Tasklet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tasklet")
            .field("id", &self.task.id)
            .field("name", &self.task.name())
            .field("state", &self.task.state.get())
            .finish()
    }
}

/// Owns the result of a spawned tasklet.
pub struct JoinHandle<T> {
    pub(crate) tasklet: Tasklet,
    pub(crate) result: Rc<RefCell<Option<T>>>,
}

impl<T> JoinHandle<T> {
    pub fn tasklet(&self) -> &Tasklet {
        &self.tasklet
    }

    pub fn is_finished(&self) -> bool {
        self.tasklet.task.is_done()
    }

    /// Waits for the tasklet and returns its result. Inside a tasklet this parks the caller;
    /// outside any tasklet it runs this thread's scheduler until the tasklet is done.
    pub fn join(self) -> Result<T, JoinError> {
        let task = &self.tasklet.task;
        if !task.is_done() {
            sched::wait_for(task);
        }
        if !task.is_done() {
            return Err(JoinError::Deadlock);
        }
        if let Some(value) = self.result.borrow_mut().take() {
            return Ok(value);
        }
        // No result and no recorded panic: it was unwound before it could return.
        Err(task.failure().unwrap_or(JoinError::Killed))
    }
}

/// Spawns tasklets with a name or a stack size other than the default.
#[derive(Default)]
pub struct Builder {
    name: Option<Box<str>>,
    stack_size: Option<usize>,
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into().into_boxed_str());
        self
    }

    /// Usable stack bytes; stacks of the thread's default size are pooled and reused.
    pub fn stack_size(mut self, size: usize) -> Builder {
        self.stack_size = Some(size);
        self
    }

    /// Spawns the tasklet at the end of this thread's run queue. Fails only when the OS
    /// refuses memory for its stack.
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        sched::with(|s: &Scheduler| s.spawn(self.name, self.stack_size, f))
    }
}
