//! The per-thread scheduler: run queue, current tasklet, park/wake, kill, and the loop that
//! interleaves tasklets with IO readiness, timers and messages from other threads.
//!
//! The run queue holds the runnable tasklets other than the current one, in the order of
//! PyPy's `stackless` deque with the current tasklet left out: `schedule()` appends the
//! caller and resumes the head; waking "in front" puts a tasklet where it runs next.
#![allow(unsafe_code)]

use std::any::Any;
use std::cell::{Cell, OnceCell, RefCell};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::{Duration, Instant};

use corosensei::CoroutineResult;

use super::reactor::{Reactor, Remote, RemoteMessage, WAKER_TOKEN, Waiter};
use super::run_queue::RunQueue;
use super::script::ScriptStep;
use super::slab::{Key, Slab};
use super::stack::StackPool;
use super::task::{Coro, JoinHandle, KillError, State, Task, Tasklet, Wake};
use super::timer::Timers;

/// Resumptions between two non-blocking polls while tasklets are runnable.
const POLL_EVERY: u32 = 61;

thread_local! {
    static SCHED: Scheduler = const { Scheduler::new() };
}

/// Runs `f` with this thread's scheduler.
#[inline(always)]
pub(crate) fn with<R>(f: impl FnOnce(&Scheduler) -> R) -> R {
    // Only the address goes through `LocalKey::with`, so that the access inlines whatever
    // `f` is (the channel's hot path calls this once per operation).
    let s = SCHED.with(|s| s as *const Scheduler);
    // SAFETY: `LocalKey::with` returned, so the scheduler is initialized and not yet
    // destroyed; it is destroyed only when this thread exits, which cannot happen while
    // `f` runs on it.
    f(unsafe { &*s })
}

/// The panic payload that unwinds a tasklet which killed itself.
pub struct TaskletExit;

/// Why a tasklet could not park.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParkError {
    /// The caller is on the thread's own stack, not in a tasklet.
    NotInTasklet,
    /// The caller is being killed and is only running destructors.
    Dying,
}

pub(crate) struct Scheduler {
    runq: RunQueue,
    /// The tasklet running now, or null on the thread's own stack. A plain pointer because
    /// it is read on every channel operation; whoever sets it (`run_task`, `run_script`,
    /// `kill_task`) holds an `Rc` to that tasklet until it resets it, and if a tasklet's
    /// panic unwinds past `run_task`, the registry keeps it alive until `run_loop` resets it.
    current: Cell<*const Task>,
    /// Every tasklet not yet finished; what `shutdown` kills.
    registry: RefCell<Slab<Rc<Task>>>,
    pub(crate) stacks: RefCell<StackPool>,
    pub(crate) timers: RefCell<Timers<Waiter>>,
    /// None when the OS refused an epoll instance; IO then fails with that error.
    /// Made on first use, so that the thread-local scheduler has a const initializer (the
    /// cheapest thread-local access) and pure-channel threads never open an epoll instance.
    reactor: OnceCell<RefCell<Result<Reactor, io::ErrorKind>>>,
    /// Tasklets parked on blocking jobs, keyed by what the helper thread sends back.
    pub(crate) blocked_on_jobs: RefCell<Slab<Waiter>>,
    /// Blocking jobs whose completion message has not arrived yet.
    pub(crate) jobs_in_flight: Cell<usize>,
    next_id: Cell<u64>,
    /// The loop is on this thread's stack (guards against running it re-entrantly).
    looping: Cell<bool>,
    stop_requested: Cell<bool>,
    /// Turns run since IO was last polled (see `POLL_EVERY`); script hand-offs count too.
    since_poll: Cell<u32>,
    /// The script tasklet a turn was handed off to (`hand_off`), which runs now in place of
    /// the one `run_script` started; held here so that `current` stays valid.
    handed: Cell<Option<Rc<Task>>>,
}

impl Scheduler {
    const fn new() -> Scheduler {
        Scheduler {
            runq: RunQueue::new(),
            current: Cell::new(std::ptr::null()),
            registry: RefCell::new(Slab::new()),
            stacks: RefCell::new(StackPool::new()),
            timers: RefCell::new(Timers::new()),
            reactor: OnceCell::new(),
            blocked_on_jobs: RefCell::new(Slab::new()),
            jobs_in_flight: Cell::new(0),
            next_id: Cell::new(1),
            looping: Cell::new(false),
            stop_requested: Cell::new(false),
            since_poll: Cell::new(0),
            handed: Cell::new(None),
        }
    }

    /// This thread's poller; None inside means the OS refused one and IO fails with that.
    pub(crate) fn reactor(&self) -> &RefCell<Result<Reactor, io::ErrorKind>> {
        self.reactor
            .get_or_init(|| RefCell::new(Reactor::new().map_err(|e| e.kind())))
    }

    pub(crate) fn current(&self) -> Option<Rc<Task>> {
        let task = self.current.get();
        if task.is_null() {
            return None;
        }
        // SAFETY: a non-null `current` points at a live Rc allocation (see the field), so
        // taking one more strong reference to it is sound.
        unsafe {
            Rc::increment_strong_count(task);
            Some(Rc::from_raw(task))
        }
    }

    /// On a native tasklet's stack (script tasklets have none to suspend).
    pub(crate) fn in_tasklet(&self) -> bool {
        // SAFETY: see `current`.
        !self.current.get().is_null() && unsafe { !(*self.current.get()).is_script }
    }

    pub(crate) fn remote(&self) -> io::Result<Remote> {
        match &*self.reactor().borrow() {
            Ok(reactor) => Ok(reactor.remote.clone()),
            Err(kind) => Err(io::Error::new(*kind, "this thread has no reactor")),
        }
    }

    pub(crate) fn runnable(&self) -> usize {
        self.runq.len()
    }

    pub(crate) fn alive(&self) -> usize {
        self.registry.borrow().len()
    }

    pub(crate) fn spawn<F, T>(
        &self,
        name: Option<Box<str>>,
        stack_size: Option<usize>,
        f: F,
    ) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + 'static,
        T: 'static,
    {
        let stack = {
            let mut stacks = self.stacks.borrow_mut();
            let size = stack_size.unwrap_or(stacks.default_size());
            stacks.get(size)?
        };
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let task = Task::new(id, name, false);
        let result = Rc::new(RefCell::new(None));
        let slot = result.clone();
        let coro = Coro::with_stack(stack, move |yielder, ()| {
            with(|s| {
                if let Some(me) = s.current() {
                    me.yielder.set(yielder);
                }
            });
            let value = f();
            *slot.borrow_mut() = Some(value);
        });
        *task.coro.borrow_mut() = Some(coro);
        task.registry_key
            .set(Some(self.registry.borrow_mut().insert(task.clone())));
        self.runq.push_back(task.clone());
        Ok(JoinHandle {
            tasklet: Tasklet { task },
            result,
        })
    }

    pub(crate) fn spawn_script(&self, body: Box<dyn super::script::ScriptBody>) -> Tasklet {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let task = Task::new(id, None, true);
        *task.script.borrow_mut() = Some(body);
        task.registry_key
            .set(Some(self.registry.borrow_mut().insert(task.clone())));
        self.runq.push_back(task.clone());
        Tasklet { task }
    }

    /// One turn of a script tasklet, or several if its body hands the turn on (`hand_off`).
    fn run_script(&self, task: Rc<Task>) {
        let Some(mut body) = task.script.borrow_mut().take() else {
            return;
        };
        task.state.set(State::Running);
        let outer = self.current.replace(Rc::as_ptr(&task));
        let step = catch_unwind(AssertUnwindSafe(|| body.resume()));
        self.current.replace(outer);
        // The body goes back first: a tasklet whose turn was handed on has ended it already.
        *task.script.borrow_mut() = Some(body);
        let last = self.handed.take().unwrap_or(task);
        let step = match step {
            Ok(step) => step,
            Err(payload) => {
                record_panic(&last, &*payload);
                ScriptStep::Done
            }
        };
        // A script that killed itself during its turn ends now, whatever it reported.
        let step = if last.killed.get() {
            ScriptStep::Done
        } else {
            step
        };
        self.after_script_turn(&last, step);
    }

    /// Ends the running script tasklet's turn with `step` and makes the script tasklet at
    /// the head of the run queue the running one, if its key (`Tasklet::set_script_key`)
    /// has `owner` in its high half: the caller then runs that turn at once, without going
    /// back to the loop, and gets the low half of the key. Only for `Yield` and `Park`, and
    /// only while IO is not due for a poll, so the order of turns is the loop's own.
    pub(crate) fn hand_off(&self, step: ScriptStep, owner: u32) -> Option<u32> {
        if owner == 0
            || !matches!(step, ScriptStep::Yield | ScriptStep::Park)
            || self.since_poll.get() + 1 >= POLL_EVERY
        {
            return None;
        }
        // SAFETY: a non-null `current` is alive (see the field).
        let cur = unsafe { self.current.get().as_ref() }?;
        if !cur.is_script || cur.killed.get() {
            return None;
        }
        let key = self.runq.front_script_key()?;
        if (key >> 32) as u32 != owner {
            return None;
        }
        let next = self.runq.pop_front()?;
        if step == ScriptStep::Yield {
            cur.state.set(State::Runnable);
            self.runq.push_back(share(cur));
        } else {
            cur.state.set(State::Parked);
        }
        next.state.set(State::Running);
        self.current.set(Rc::as_ptr(&next));
        self.since_poll.set(self.since_poll.get() + 1);
        // The previous holder is alive elsewhere (the registry keeps every live tasklet).
        let prev = self.handed.replace(Some(next));
        drop(prev);
        Some(key as u32)
    }

    /// Accounts for a script turn that ended with `step`; the body is back in its tasklet.
    fn after_script_turn(&self, task: &Rc<Task>, step: ScriptStep) {
        match step {
            ScriptStep::Yield => {
                task.state.set(State::Runnable);
                self.runq.push_back(task.clone());
            }
            ScriptStep::Defer => {
                task.state.set(State::Runnable);
                // Second in the queue: right after the tasklet now at its head.
                let head = self.runq.pop_front();
                self.runq.push_front(task.clone());
                if let Some(head) = head {
                    self.runq.push_front(head);
                }
            }
            ScriptStep::Park => task.state.set(State::Parked),
            ScriptStep::Done => {
                drop(task.script.borrow_mut().take());
                self.finish_task(task);
            }
        }
    }

    /// Resumes one tasklet until it parks, yields or ends.
    #[inline(always)]
    fn run_task(&self, task: Rc<Task>) {
        if task.state.get() != State::Runnable {
            return;
        }
        if task.is_script {
            return self.run_script(task);
        }
        // The coroutine stays in place while it runs; its cell is borrowed meanwhile, which
        // is how `kill` recognises a tasklet that is on the stack (Busy).
        let Ok(mut slot) = task.coro.try_borrow_mut() else {
            return;
        };
        let Some(coro) = slot.as_mut() else { return };
        task.state.set(State::Running);
        // Only the loop resumes tasklets, and it runs on the thread's own stack, so there
        // is no outer tasklet to put back. A panic unwinds out of `resume` with `current`
        // still set, which is how `run_loop` knows whose it is.
        self.current.set(Rc::as_ptr(&task));
        let outcome = coro.resume(());
        self.current.set(std::ptr::null());
        if let CoroutineResult::Return(()) = outcome {
            drop(slot);
            self.finish_run(&task, None);
        }
    }

    /// After a tasklet's body returned, or `panic` ended it.
    #[cold]
    fn finish_run(&self, task: &Rc<Task>, panic: Option<Box<dyn Any + Send>>) {
        let Some(coro) = task.coro.borrow_mut().take() else {
            return;
        };
        if let Some(payload) = panic {
            if payload.is::<TaskletExit>() {
                task.killed.set(true);
            } else {
                record_panic(task, &*payload);
            }
        }
        self.finish(task, coro);
    }

    fn finish(&self, task: &Rc<Task>, coro: Coro) {
        if coro.done() {
            self.stacks.borrow_mut().put(coro.into_stack());
        } else {
            // Unreachable in practice (finished or unwound coroutines are done); dropping it
            // unwinds whatever is left rather than reusing a stack that is still in use.
            self.stacks.borrow_mut().mapped -= 1;
            drop(coro);
        }
        self.finish_task(task);
    }

    /// Marks a tasklet done, forgets it and wakes whoever joins it.
    fn finish_task(&self, task: &Rc<Task>) {
        task.state.set(State::Done);
        if let Some(key) = task.registry_key.take() {
            self.registry.borrow_mut().remove(key);
        }
        let joiner = task
            .cold
            .borrow_mut()
            .as_mut()
            .and_then(|c| c.joiner.take());
        if let Some((joiner, seq)) = joiner {
            self.wake(&joiner, seq, Wake::Normal, false);
        }
    }

    /// The current native tasklet if it may park (it is not a script, not being killed).
    pub(crate) fn current_parkable(&self) -> Option<Rc<Task>> {
        self.current()
            .filter(|t| !t.is_script && t.state.get() != State::Dying)
    }

    /// As `current_parkable`, without taking a reference: for a caller that parks at once.
    ///
    /// # Safety
    /// The caller uses the reference only on the current tasklet's own stack. A tasklet is
    /// alive for as long as its stack has frames (it owns the coroutine, which owns the
    /// stack), so the reference stays valid there across suspensions.
    #[inline(always)]
    pub(crate) unsafe fn current_parkable_ref(&self) -> Option<&Task> {
        let task = self.current.get();
        // SAFETY: a non-null `current` points at a live tasklet (see the field), and the
        // caller keeps the reference only for as long as that tasklet lives (see above).
        let task = unsafe { task.as_ref()? };
        (!task.is_script && task.state.get() != State::Dying).then_some(task)
    }

    /// Parks `me`, which must be the current, parkable tasklet (see `current_parkable`).
    #[inline(always)]
    pub(crate) fn park_task(&self, me: &Task) -> Wake {
        me.state.set(State::Parked);
        suspend(me);
        me.wake.get()
    }

    /// Suspends the current tasklet until a waker holding its current sequence wakes it.
    pub(crate) fn park(&self) -> Result<Wake, ParkError> {
        let task = self
            .current()
            .filter(|t| !t.is_script)
            .ok_or(ParkError::NotInTasklet)?;
        if task.state.get() == State::Dying {
            return Err(ParkError::Dying);
        }
        task.state.set(State::Parked);
        suspend(&task);
        Ok(task.wake.get())
    }

    /// Makes a parked tasklet runnable, at the front or the back of the run queue. Returns
    /// false when `seq` is stale or the tasklet is not parked (another waker came first).
    pub(crate) fn wake(&self, task: &Rc<Task>, seq: u32, why: Wake, front: bool) -> bool {
        if task.state.get() != State::Parked || task.seq.get() != seq {
            return false;
        }
        self.make_runnable(task.clone(), seq, why, front);
        true
    }

    /// `wake` for a waker that owns a reference it no longer needs: the run queue takes it.
    #[inline(always)]
    pub(crate) fn wake_owned(&self, task: Rc<Task>, seq: u32, front: bool) -> bool {
        if task.state.get() != State::Parked || task.seq.get() != seq {
            return false;
        }
        self.make_runnable(task, seq, Wake::Normal, front);
        true
    }

    #[inline(always)]
    fn make_runnable(&self, task: Rc<Task>, seq: u32, why: Wake, front: bool) {
        task.seq.set(seq.wrapping_add(1));
        task.wake.set(why);
        task.state.set(State::Runnable);
        if front {
            self.runq.push_front(task);
        } else {
            self.runq.push_back(task);
        }
    }

    /// Takes a runnable tasklet out of the run queue and parks it.
    pub(crate) fn unqueue(&self, task: &Rc<Task>) -> bool {
        if self.runq.remove(task).is_none() {
            return false;
        }
        task.state.set(State::Parked);
        true
    }

    /// Yields: the caller goes to the back of the run queue and the head runs.
    #[inline]
    pub(crate) fn schedule_current(&self) {
        // A script yields by ending its turn; a dying tasklet only runs destructors.
        // SAFETY: `task` is used below only to suspend from and resume on its own stack.
        let Some(task) = (unsafe { self.current_parkable_ref() }) else {
            return;
        };
        task.state.set(State::Runnable);
        self.runq.push_back(share(task));
        suspend(task);
    }

    /// The loop: runs tasklets, polls IO and fires timers until `done()` or, when
    /// `stop_when_idle`, until nothing is runnable and nothing is waited on.
    pub(crate) fn run_loop(&self, done: impl Fn() -> bool, stop_when_idle: bool) {
        if self.looping.get() || self.in_tasklet() {
            return;
        }
        self.looping.set(true);
        let _reset = ResetOnDrop(&self.looping);
        // Caught around the loop rather than around each resume, which keeps the cost of
        // `catch_unwind` off every switch; the loop is entered again after each panic.
        while let Err(payload) =
            catch_unwind(AssertUnwindSafe(|| self.turns(&done, stop_when_idle)))
        {
            let task = self.current.replace(std::ptr::null());
            // SAFETY: a non-null `current` is the tasklet whose `resume` unwound (nothing
            // else the loop calls sets it and unwinds), and the registry keeps that tasklet
            // alive until `finish_run` below.
            let Some(task) = (unsafe { task.as_ref() }) else {
                std::panic::resume_unwind(payload);
            };
            self.finish_run(&share(task), Some(payload));
        }
    }

    /// The body of `run_loop`; returns when the loop is done.
    fn turns(&self, done: &impl Fn() -> bool, stop_when_idle: bool) {
        loop {
            if done() {
                return;
            }
            let next = self.runq.pop_front();
            if let Some(task) = next {
                self.run_task(task);
                // A non-blocking look at IO every so many resumptions: tasklets that keep
                // yielding cannot starve sockets and timers, and a busy loop makes no syscall
                // per switch.
                let n = self.since_poll.get() + 1;
                self.since_poll.set(n);
                if n < POLL_EVERY {
                    continue;
                }
            }
            self.since_poll.set(0);
            if self.stop_requested.take() {
                return;
            }
            let runnable = !self.runq.is_empty();
            if !runnable && stop_when_idle && self.is_idle() {
                return;
            }
            if runnable && self.is_idle() && !self.has_remote_messages() {
                continue;
            }
            self.poll(runnable);
        }
    }

    fn has_remote_messages(&self) -> bool {
        self.reactor()
            .borrow()
            .as_ref()
            .is_ok_and(|r| r.remote.has_messages())
    }

    fn is_idle(&self) -> bool {
        let io_waiting = self.reactor().borrow().as_ref().map_or(0, |r| r.waiting);
        io_waiting == 0 && self.timers.borrow().is_empty() && self.jobs_in_flight.get() == 0
    }

    /// Waits for IO, timers or remote messages (not at all when `runnable`), then wakes
    /// whoever they concern.
    fn poll(&self, runnable: bool) {
        let now = Instant::now();
        let timeout = if runnable {
            Some(Duration::ZERO)
        } else {
            self.timers
                .borrow_mut()
                .next_deadline()
                .map(|d| d.saturating_duration_since(now))
        };
        let mut messages = Vec::new();
        {
            let mut reactor = self.reactor().borrow_mut();
            match &mut *reactor {
                Ok(r) => {
                    let Reactor {
                        poll,
                        events,
                        io,
                        waiting,
                        remote,
                    } = r;
                    if let Err(e) = poll.poll(events, timeout)
                        && e.kind() != io::ErrorKind::Interrupted
                    {
                        tracing::error!("poll failed: {e}");
                    }
                    for event in events.iter() {
                        if event.token() == WAKER_TOKEN {
                            continue;
                        }
                        let Some(entry) = io.get_mut(Key::from_u64(event.token().0 as u64)) else {
                            continue;
                        };
                        let failed = event.is_error();
                        if (event.is_readable() || event.is_read_closed() || failed)
                            && let Some((task, seq)) = entry.reader.take()
                        {
                            *waiting -= 1;
                            self.wake(&task, seq, Wake::Normal, false);
                        }
                        if (event.is_writable() || event.is_write_closed() || failed)
                            && let Some((task, seq)) = entry.writer.take()
                        {
                            *waiting -= 1;
                            self.wake(&task, seq, Wake::Normal, false);
                        }
                    }
                    // Read the flag rather than trust the waker's edge alone: a message posted
                    // while the inbox was already non-empty makes no new edge.
                    if remote.has_messages() {
                        messages = remote.take_all();
                    }
                }
                Err(_) => {
                    if let Some(t) = timeout {
                        std::thread::sleep(t);
                    }
                }
            }
        }
        for message in messages {
            self.receive(message);
        }
        let now = Instant::now();
        loop {
            let expired = self.timers.borrow_mut().pop_expired(now);
            let Some((task, seq)) = expired else { break };
            self.wake(&task, seq, Wake::Timeout, false);
        }
    }

    fn receive(&self, message: RemoteMessage) {
        match message {
            RemoteMessage::Spawn(f) => {
                if let Err(e) = self.spawn(None, None, f) {
                    tracing::error!("cannot spawn a tasklet handed over by another thread: {e}");
                }
            }
            RemoteMessage::Wake(key) => {
                self.jobs_in_flight
                    .set(self.jobs_in_flight.get().saturating_sub(1));
                let waiter = self.blocked_on_jobs.borrow_mut().remove(Key::from_u64(key));
                if let Some((task, seq)) = waiter {
                    self.wake(&task, seq, Wake::Normal, false);
                }
            }
            RemoteMessage::Stop => self.stop_requested.set(true),
        }
    }

    /// Kills every tasklet still alive and refuses further remote work. Called when a
    /// runtime thread ends, while this thread's scheduler is still reachable.
    pub(crate) fn shutdown(&self) {
        if let Ok(reactor) = &*self.reactor().borrow() {
            drop(reactor.remote.close());
        }
        loop {
            let tasks = self.registry.borrow_mut().drain();
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                let _ = kill_task(self, &task);
            }
        }
        while let Some(task) = self.runq.pop_front() {
            drop(task);
        }
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        // Tasklets still parked when the thread ends are leaked, not unwound: their
        // destructors would need this scheduler, which is being destroyed.
        for task in self.registry.get_mut().drain() {
            if let Some(coro) = task.coro.try_borrow_mut().ok().and_then(|mut c| c.take()) {
                std::mem::forget(coro);
            }
        }
    }
}

struct ResetOnDrop<'a>(&'a Cell<bool>);

impl Drop for ResetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// Another reference to `task`.
#[inline(always)]
pub(crate) fn share(task: &Task) -> Rc<Task> {
    // SAFETY: every `Task` lives in an `Rc` of its own (`Task::new` is the only way to make
    // one), and the borrow proves that allocation is alive, so it holds a reference already.
    unsafe {
        Rc::increment_strong_count(task);
        Rc::from_raw(task)
    }
}

#[inline(always)]
fn suspend(task: &Task) {
    let yielder = task.yielder.get();
    debug_assert!(!yielder.is_null());
    // SAFETY: `task` is the tasklet running now (callers take it from `current`), so its
    // coroutine is alive and the yielder it stored at entry lives at the bottom of that
    // coroutine's stack, which is the stack we are on.
    unsafe { (*yielder).suspend(()) }
}

pub(crate) fn kill(task: &Rc<Task>) -> Result<(), KillError> {
    with(|s| kill_task(s, task))
}

fn kill_task(s: &Scheduler, task: &Rc<Task>) -> Result<(), KillError> {
    if task.is_done() {
        return Err(KillError::Finished);
    }
    if std::ptr::eq(s.current.get(), Rc::as_ptr(task)) {
        task.killed.set(true);
        if task.is_script {
            // Its turn ends as soon as the body returns; there is no stack to unwind.
            return Ok(());
        }
        std::panic::resume_unwind(Box::new(TaskletExit));
    }
    if task.is_script {
        return kill_script(s, task);
    }
    let Some(mut coro) = task.coro.try_borrow_mut().ok().and_then(|mut c| c.take()) else {
        return Err(KillError::Busy);
    };
    task.killed.set(true);
    task.state.set(State::Dying);
    // The victim's destructors run on its own stack but see it as current, so anything they
    // try that would block refuses (it is Dying) instead of suspending the killer.
    let outer = s.current.replace(Rc::as_ptr(task));
    let unwound = catch_unwind(AssertUnwindSafe(|| coro.force_unwind()));
    s.current.replace(outer);
    if let Err(payload) = unwound {
        tracing::error!(
            tasklet = task.id,
            "destructor panicked while the tasklet was killed: {}",
            panic_message(&*payload)
        );
    }
    s.finish(task, coro);
    Ok(())
}

fn kill_script(s: &Scheduler, task: &Rc<Task>) -> Result<(), KillError> {
    // A tasklet running by hand-off has its body in place: it is busy all the same.
    if task.state.get() == State::Running {
        return Err(KillError::Busy);
    }
    let Some(mut body) = task.script.try_borrow_mut().ok().and_then(|mut b| b.take()) else {
        return Err(KillError::Busy);
    };
    task.killed.set(true);
    let outer = s.current.replace(Rc::as_ptr(task));
    let step = catch_unwind(AssertUnwindSafe(|| body.kill())).unwrap_or(ScriptStep::Done);
    s.current.replace(outer);
    // A script may survive a kill (it caught TaskletExit and carried on) as in Stackless.
    if step != ScriptStep::Done {
        task.killed.set(false);
    }
    *task.script.borrow_mut() = Some(body);
    s.after_script_turn(task, step);
    Ok(())
}

/// Parks the caller until `task` is done; outside a tasklet, runs the loop until then.
pub(crate) fn wait_for(task: &Rc<Task>) {
    // Script and dying tasklets cannot park: they fall to the second arm, where the loop
    // (already running them) refuses to nest, and `join` reports the task as unfinished.
    with(|s| match s.current_parkable() {
        Some(me) => {
            if Rc::ptr_eq(&me, task) {
                return;
            }
            task.cold_mut(|c| c.joiner = Some((me.clone(), me.seq.get())));
            let _ = s.park();
        }
        None => s.run_loop(|| task.is_done(), true),
    })
}

/// Logs a contained panic and keeps its message for `join`.
fn record_panic(task: &Task, payload: &(dyn std::any::Any + Send)) {
    let msg = panic_message(payload);
    tracing::error!(
        tasklet = task.id,
        name = task.name().as_deref(),
        script = task.is_script,
        "tasklet panicked: {msg}"
    );
    task.cold_mut(|c| c.panic_message = Some(msg));
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}
