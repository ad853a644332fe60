//! Script tasklets and `import stackless`.
//!
//! A script tasklet is a frame stack parked in [`Tasklets`] plus a [`rt`] script tasklet
//! whose body swaps those frames into the VM and runs the loop until the script finishes,
//! blocks, yields or uses up its instruction budget. Python tasklets therefore share the run
//! queue and the channels ([`rt::Channel`] of [`Pinned`] values) with native tasklets.
//!
//! A native that must end the turn (a channel operation that blocks or favours the peer,
//! `schedule`, `kill`...) records the [`ScriptStep`] and what the script gets back when it
//! resumes, then returns [`Exc::Switch`]; the tasklet's outermost loop hands the turn back to
//! the scheduler with every frame in place, or, when the next tasklet in the run queue is a
//! script tasklet of this VM, runs that one's turn itself ([`rt::hand_off`]), which is the
//! order the scheduler would have run them in. Natives called back from native code (a
//! `sorted(key=...)` callback) cannot switch: there the operations that would block raise
//! RuntimeError instead, and the others do not yield.
//!
//! The VM must live in an `Rc<RefCell<Vm>>` registered with [`install`]: the scheduler
//! resumes tasklets through it, one turn at a time, never while another turn is running.

mod channel;
mod module;
mod pickle;
mod pin;
mod tasklet;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::error::{Exc, ExcKind, PResult};
use super::interp::{Frame, Hook, Vm};
use super::value::*;
use crate::rt::{self, ScriptCell, ScriptStep};

pub use channel::ScriptChannel;
pub(crate) use channel::{Unfinished, needs_look_ahead};
pub use pin::{PinTable, Pinned};

/// See [`Tasklets::on_failure`]: the VM, the failed tasklet, the exception.
pub type FailureHandler = Rc<dyn Fn(&mut Vm, &rt::Tasklet, Value)>;

/// The channel type scripts and native tasklets share.
pub type Chan = rt::Channel<Pinned, Pinned>;

/// A call to make: (function, args, keyword args).
type Call = (Value, Vec<Value>, Vec<(Rc<str>, Value)>);

/// Makes the value a tasklet gets from the result of its job on a helper thread.
type JobDone = Box<dyn FnOnce(&mut Vm) -> PResult<Value>>;

/// What a tasklet gets when it next runs.
enum Resume {
    /// Call this (function, args, keyword args): the tasklet has not started. Before
    /// `setup` (no scheduler tasklet yet) it holds the bound callable and no arguments.
    /// Boxed: a parked tasklet's slot stays small.
    Start(Box<Call>),
    /// Deliver this value through the hook of the native that switched.
    Value(Value),
    /// Take what a channel put in the tasklet's cell and deliver it (`true`: for an
    /// iteration, which a closed channel ends with StopIteration).
    Receive(bool),
    /// Raise this exception where the tasklet stopped.
    Raise(Value),
    /// A tasklet loaded from a pickle was blocked on a channel: do that operation again
    /// (receive, or send `value`), delivering through the hook as the original call would.
    Reblock(Box<Reblock>),
    /// A job on a helper thread has finished (`run_off_thread`): this makes the value to
    /// deliver from its result.
    Job(JobDone),
    /// Nothing to deliver.
    Nothing,
}

/// A loaded tasklet's channel operation, done again when it first runs.
struct Reblock {
    chan: Value,
    sending: bool,
    value: Value,
    iterating: bool,
}

/// One script tasklet's state while it does not run.
struct Slot {
    /// The Python `tasklet` object.
    obj: Value,
    /// The scheduler's tasklet, once set up.
    rt: Option<rt::Tasklet>,
    frames: Vec<Frame>,
    resume: Resume,
    /// Where the result of the native that switched goes.
    hook: Hook,
    cell: ScriptCell<Pinned, Pinned>,
    /// The direction it waits in on a channel while blocked (1 send, -1 receive), else 0.
    blocked: i8,
    /// While blocked: the Python channel object, which holds the channel (`blocked_chan`).
    blocked_obj: Value,
    /// Loaded from a pickle: its frames, one per (not running) generator object, taken out
    /// when it first runs (the loader fills the generators after making the tasklet).
    pending_frames: Option<Box<[Value]>>,
    tempval: Value,
    /// `stackless.atomic()` depth: no preemption while positive.
    atomic: u32,
    /// Cleared when the slot is freed, so the Python object knows it is dead.
    handle: Rc<TaskletRef>,
}

/// The data of a Python `tasklet` object: which slot holds its state, while it has one.
pub(crate) struct TaskletRef {
    slot: std::cell::Cell<Option<usize>>,
    id: u64,
    /// It has waited on a channel: PyPy's `blocked` turns from False into a direction.
    has_blocked: std::cell::Cell<bool>,
}

/// A turn's instruction budget in one word, u64::MAX for none. Not an `Option`: the loop
/// reads it right after a turn begins, and a two-word read of what was just stored as two
/// words stalls the store buffer.
#[derive(Clone, Copy)]
struct TurnBudget(u64);

impl TurnBudget {
    #[inline]
    fn new(b: Option<u64>) -> TurnBudget {
        TurnBudget(b.unwrap_or(u64::MAX))
    }

    /// Counts an instruction taken outside the loop; false if none is left.
    #[inline]
    fn take_one(&mut self) -> bool {
        match self.0 {
            0 => false,
            u64::MAX => true,
            _ => {
                self.0 -= 1;
                true
            }
        }
    }
}

impl Default for TurnBudget {
    fn default() -> TurnBudget {
        TurnBudget(u64::MAX)
    }
}

/// The script tasklets of one VM.
#[derive(Default)]
pub struct Tasklets {
    /// Boxed: the vector grows by doubling, and most of it is parked tasklets.
    slots: Vec<Option<Box<Slot>>>,
    free: Vec<usize>,
    /// The slot of the tasklet running now.
    current: Option<usize>,
    /// The tasklet of `stackmail run`'s main module.
    main: Option<usize>,
    me: Weak<RefCell<Vm>>,
    /// This VM's tag in its tasklets' scheduler keys (see `rt::hand_off`); 0 until
    /// `install`, and then unique in the process.
    owner: u32,
    pins: Rc<PinTable>,
    /// Set by a native returning `Exc::Switch`: how the turn ends.
    switch: Option<ScriptStep>,
    /// Instructions per turn for every tasklet (the daemon's budget); `None`: unlimited.
    pub budget: Option<u64>,
    /// The thread serves other work (the daemon): `time.sleep()` in a tasklet parks it on a
    /// timer, and file IO parks it on a helper-thread job, instead of stopping the thread.
    /// Off for `stackmail run`, where they stop the thread as in CPython.
    pub shares_thread: bool,
    /// The timers of tasklets parked in `time.sleep()`, by slot; a tasklet's is dropped
    /// (disarmed) when it next runs, however it was woken.
    sleepers: std::collections::HashMap<usize, rt::ScriptTimer>,
    /// `run(timeout=N)` is pending: the per-turn budget of the watchdog.
    watchdog: Option<u64>,
    /// The budget of the running turn, fixed when it began.
    turn_budget: TurnBudget,
    /// The tasklet waiting in `stackless.run()`.
    run_caller: Option<usize>,
    schedule_cb: Option<Value>,
    channel_cb: Option<Value>,
    /// The tasklet that ran last, for the schedule callback.
    last: Option<Value>,
    /// An exception no tasklet caught, when there was no main tasklet to pass it to and no
    /// `on_failure` handler.
    pub uncaught: Vec<Value>,
    /// Called when a tasklet ends with an exception and there is no main tasklet (the
    /// daemon): the embedder logs it and recovers (a filter pipeline restarts the stage).
    pub on_failure: Option<FailureHandler>,
    next_id: u64,
    classes: Option<Classes>,
}

#[derive(Clone, Copy)]
struct Classes {
    tasklet: Ref,
    channel: Ref,
    exit: Ref,
    atomic: Ref,
}

impl Tasklets {
    /// Marks everything parked tasklets hold, and the values in transit, one tasklet at a
    /// time with `buf` as the mark stack.
    pub fn mark(&self, heap: &mut super::heap::Heap, mut buf: Vec<Value>) {
        for s in self.slots.iter().flatten() {
            s.trace(&mut buf);
            heap.mark(&mut buf);
        }
        self.trace_shared(&mut buf);
        heap.mark(&mut buf);
    }

    fn trace_shared(&self, out: &mut Vec<Value>) {
        out.extend(self.schedule_cb);
        out.extend(self.channel_cb);
        out.extend(self.last);
        out.extend_from_slice(&self.uncaught);
        if let Some(c) = self.classes {
            out.extend([c.tasklet, c.channel, c.exit, c.atomic].map(Value::Obj));
        }
        self.pins.trace(out);
    }

    /// The instruction budget of the running turn, fixed when it began.
    #[inline]
    pub(crate) fn turn_budget(&self) -> Option<u64> {
        let TurnBudget(b) = self.turn_budget;
        (b != u64::MAX).then_some(b)
    }

    pub fn pins(&self) -> &Rc<PinTable> {
        &self.pins
    }
}

impl Slot {
    /// Waiting on a channel, or on a file job on a helper thread (whose result it must get:
    /// run or switch to early, it would not have it).
    fn is_blocked(&self) -> bool {
        self.blocked != 0 || matches!(self.resume, Resume::Job(_))
    }

    fn trace(&self, out: &mut Vec<Value>) {
        let s = self;
        out.push(s.obj);
        out.push(s.tempval);
        out.push(s.blocked_obj);
        out.extend(s.pending_frames.iter().flat_map(|g| g.iter().copied()));
        s.cell.with_pending(|p| out.extend(p.map(Pinned::get)));
        for f in &s.frames {
            f.trace(out);
        }
        match &s.resume {
            Resume::Start(start) => {
                let (f, a, kw) = &**start;
                out.push(*f);
                out.extend_from_slice(a);
                out.extend(kw.iter().map(|k| k.1));
            }
            Resume::Value(v) | Resume::Raise(v) => out.push(*v),
            Resume::Reblock(r) => out.extend([r.chan, r.value]),
            // Holds no VM values (see `run_off_thread`).
            Resume::Job(_) | Resume::Receive(_) | Resume::Nothing => {}
        }
        hook_trace(&s.hook, out);
    }
}

fn hook_trace(h: &Hook, out: &mut Vec<Value>) {
    use super::interp::Transform;
    match h.transform {
        Transform::Init(v) => out.push(v),
        Transform::MakeClass(a, b)
        | Transform::BinRetry(_, a, b, _)
        | Transform::EqRetry(a, b, _, _) => out.extend([a, b]),
        _ => {}
    }
}

/// Registers the VM with its tasklet layer: script tasklets resume through this handle.
pub fn install(vm: &Rc<RefCell<Vm>>) {
    static OWNERS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let mut v = vm.borrow_mut();
    v.tasklets.me = Rc::downgrade(vm);
    if v.tasklets.owner == 0 {
        v.tasklets.owner = OWNERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Runs a compiled module as the main tasklet of this thread until it finishes, running the
/// other tasklets whenever it waits (as `stackmail run` does). Returns the module's outcome:
/// `Err` holds an exception nobody caught.
pub fn run_main(vm: &Rc<RefCell<Vm>>) -> PResult<()> {
    install(vm);
    let (main, main_rt) = {
        let mut v = vm.borrow_mut();
        let frames = std::mem::take(&mut v.frames);
        let (idx, _) = v.new_tasklet(Value::None);
        let s = v.slot_mut(idx);
        s.frames = frames;
        s.resume = Resume::Nothing;
        v.tasklets.main = Some(idx);
        v.spawn_slot(idx);
        let t = v.slot_mut(idx).rt.clone().expect("spawned");
        (idx, t)
    };
    loop {
        // The program ends with its main tasklet, as under Stackless: tasklets still
        // runnable then never run.
        rt::run_until(|| !main_rt.is_alive());
        if !main_rt.is_alive() {
            break;
        }
        let mut v = vm.borrow_mut();
        let Some(s) = v.tasklets.slots.get_mut(main).and_then(|s| s.as_mut()) else {
            break;
        };
        // Everything else is blocked or done: main goes on, out of `run()` or with a
        // deadlock error if it is itself blocked on a channel.
        let t = s.rt.clone();
        if std::mem::take(&mut s.blocked) != 0 {
            let obj = s.blocked_obj;
            if let (Some(ch), Some(t)) = (v.blocked_chan(obj), &t) {
                ch.withdraw(t);
            }
            let e = v.new_exception(
                ExcKind::RuntimeError,
                "Deadlock: the last runnable tasklet cannot be blocked.",
            );
            v.slot_mut(main).resume = Resume::Raise(e);
        }
        v.tasklets.watchdog = None;
        v.tasklets.run_caller = None;
        drop(v);
        match t {
            Some(t) if t.ready(true) => {}
            _ => break,
        }
    }
    let mut v = vm.borrow_mut();
    v.tasklets.main = None;
    match v.tasklets.uncaught.pop() {
        Some(e) => Err(Exc::Obj(e)),
        None => Ok(()),
    }
}

/// The slot of the running tasklet (`Tasklets::current`), from the fields a caller holding
/// other parts of the VM has in hand.
#[inline(always)]
fn running_slot(slots: &mut [Option<Box<Slot>>], current: Option<usize>) -> Option<&mut Slot> {
    slots.get_mut(current?)?.as_deref_mut()
}

/// Ends the running tasklet's turn (the caller returns `Exc::Switch`): `resume` makes
/// what it gets back when it runs again, through `hook`. Takes the running tasklet's slot
/// (None outside a tasklet) and the `switch` field, so that callers holding other parts of
/// the VM (the channel exchanges) can call it. Inlined: every channel operation that blocks
/// ends with it.
// `resume` is made only once the slot is in hand, and swapped in rather than assigned:
// made before (or assigned around the old one's drop), it was built on the stack and
// copied over in pieces the store buffer cannot forward.
#[inline(always)]
fn switch_out(
    slot: Option<&mut Slot>,
    switch: &mut Option<ScriptStep>,
    hook: Hook,
    step: ScriptStep,
    resume: impl FnOnce() -> Resume,
) {
    if let Some(s) = slot {
        let old = std::mem::replace(&mut s.resume, resume());
        s.hook = hook;
        // Nothing, as a rule (the turn took what it resumed with), and then no drop call.
        if let Resume::Nothing = old {
            std::mem::forget(old);
        } else {
            drop(old);
        }
    }
    *switch = Some(step);
}

impl Vm {
    #[inline]
    fn slot_mut(&mut self, idx: usize) -> &mut Slot {
        self.tasklets.slots[idx]
            .as_mut()
            .expect("a live tasklet slot")
    }

    fn slot(&self, idx: usize) -> Option<&Slot> {
        self.tasklets.slots.get(idx).and_then(|s| s.as_deref())
    }

    /// Can the running native end the tasklet's turn? Only from the tasklet's outermost
    /// loop: inside a callback from native code, the Rust stack holds the caller.
    #[inline]
    fn can_switch(&self) -> bool {
        self.tasklets.current.is_some() && self.nested == 0
    }

    fn cannot_block(&self, what: &str) -> Exc {
        let why = if self.tasklets.current.is_none() {
            "outside a tasklet"
        } else {
            "while native code is on the stack (in a callback such as sorted(key=...))"
        };
        Exc::New(
            ExcKind::RuntimeError,
            format!("{what} would block {why}; the tasklet cannot switch here"),
        )
    }

    /// A native's blocking `work` (file IO), run on a helper thread when the running tasklet
    /// may park meanwhile (see [`Tasklets::shares_thread`]): its turn ends, and when it runs
    /// again `then` makes the native's result from `work`'s. Otherwise both run here, now.
    /// `then` must hold no VM values: the collector does not see it while the tasklet waits.
    pub(crate) fn run_off_thread<R: Send + 'static>(
        &mut self,
        work: impl FnOnce() -> R + Send + 'static,
        then: impl FnOnce(&mut Vm, R) -> PResult<Value> + 'static,
    ) -> PResult<Value> {
        if !self.tasklets.shares_thread || !self.can_switch() {
            return then(self, work());
        }
        match rt::start_for_script(work) {
            Ok(job) => {
                let done = move |vm: &mut Vm| match job.take() {
                    Some(Ok(r)) => then(vm, r),
                    _ => super::error::err(
                        ExcKind::RuntimeError,
                        "a file operation on a helper thread failed",
                    ),
                };
                Err(self.switch_out(ScriptStep::Park, move || Resume::Job(Box::new(done))))
            }
            Err(work) => then(self, work()),
        }
    }

    /// `time.sleep(d)` in the running tasklet when it parks instead (see
    /// [`Tasklets::shares_thread`]): ends its turn until the deadline. None: sleep the
    /// thread, as outside a tasklet, or while native code is on the stack.
    pub(crate) fn sleep_parked(&mut self, d: std::time::Duration) -> Option<Exc> {
        if !self.tasklets.shares_thread || !self.can_switch() {
            return None;
        }
        let idx = self.tasklets.current?;
        let deadline = rt::timer::deadline_after(std::time::Instant::now(), d);
        let timer = rt::wake_at(deadline)?;
        self.tasklets.sleepers.insert(idx, timer);
        Some(self.switch_out(ScriptStep::Park, || Resume::Value(Value::None)))
    }

    /// Ends the running tasklet's turn: `resume` makes what it gets back when it runs again.
    #[inline(always)]
    fn switch_out(&mut self, step: ScriptStep, resume: impl FnOnce() -> Resume) -> Exc {
        let t = &mut self.tasklets;
        let slot = running_slot(&mut t.slots, t.current);
        switch_out(slot, &mut t.switch, self.pending_hook, step, resume);
        Exc::Switch
    }

    fn exit_class(&self) -> Option<Ref> {
        self.tasklets.classes.map(|c| c.exit)
    }

    fn is_tasklet_exit(&self, e: Value) -> bool {
        match (self.exit_class(), e) {
            (Some(c), Value::Obj(r)) => match self.heap.get(r) {
                Obj::Instance(i) => self.is_subclass(i.class, c),
                _ => false,
            },
            _ => false,
        }
    }
}

/// Starts `f(*args)` as a script tasklet at the end of the run queue: how Rust code (a
/// filter pipeline) runs script functions that talk to native tasklets over channels.
pub fn spawn_call(vm: &Rc<RefCell<Vm>>, f: Value, args: Vec<Value>) -> rt::Tasklet {
    install(vm);
    vm.borrow_mut().spawn_tasklet(f, args)
}

impl Vm {
    /// Raises TaskletExit in the tasklet `t` when it next runs, which is soon: it leaves any
    /// channel and goes first in the run queue. Unlike `rt::Tasklet::kill`, nothing runs on
    /// the caller's stack (a native tasklet's stack is small). False if `t` is not a script
    /// tasklet of this VM.
    pub fn kill_tasklet_soon(&mut self, t: &rt::Tasklet) -> bool {
        let Some(idx) = self.slot_of(t) else {
            return false;
        };
        if self.tasklets.current == Some(idx) {
            return false;
        }
        let exc = self.tasklet_exit();
        self.prepare_throw(idx, exc);
        self.make_runnable(idx, true);
        true
    }

    /// The value the script tasklet `t` last received on a channel (Stackless `tempval`),
    /// while it has a slot: during an `on_failure` handler, what it was working on.
    pub fn tasklet_tempval(&self, t: &rt::Tasklet) -> Option<Value> {
        self.slot(self.slot_of(t)?).map(|s| s.tempval)
    }

    fn slot_of(&self, t: &rt::Tasklet) -> Option<usize> {
        self.tasklets
            .slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| s.rt.as_ref() == Some(t)))
    }

    /// [`spawn_call`] for code that already holds the VM (an `on_failure` handler). The VM
    /// must have been [`install`]ed.
    pub fn spawn_tasklet(&mut self, f: Value, args: Vec<Value>) -> rt::Tasklet {
        let (idx, _) = self.new_tasklet(Value::None);
        self.slot_mut(idx).resume = Resume::Start(Box::new((f, args, Vec::new())));
        self.spawn_slot(idx);
        self.slot_mut(idx)
            .rt
            .clone()
            .expect("spawn_slot sets the tasklet")
    }
}
