//! Tasklet slots and turns: how a parked frame stack becomes the VM's frame stack for one
//! turn of the scheduler, and back.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use super::{Reblock, Resume, Slot, TaskletRef, TurnBudget};
use crate::rt::{self, RecvError, ScriptBody, ScriptCell, ScriptStep};
use crate::vm::error::{Exc, ExcKind, PResult};
use crate::vm::interp::{Hook, RunOutcome, Target, Transform, Vm};
use crate::vm::op::Op;
use crate::vm::value::*;

/// What the scheduler resumes: a handle on the VM and on the tasklet's slot.
struct Body {
    vm: Weak<RefCell<Vm>>,
    handle: Rc<TaskletRef>,
}

impl ScriptBody for Body {
    fn resume(&mut self) -> ScriptStep {
        let (Some(vm), Some(idx)) = (self.vm.upgrade(), self.handle.slot.get()) else {
            return ScriptStep::Done;
        };
        // Turns never nest (natives cannot run the scheduler), so the VM is free here.
        let Ok(mut vm) = vm.try_borrow_mut() else {
            return ScriptStep::Yield;
        };
        vm.run_tasklet(idx)
    }

    /// Killed from Rust (`rt::Tasklet::kill`): TaskletExit is raised in it now, so that its
    /// `finally` blocks run before `kill` returns, as Stackless does.
    fn kill(&mut self) -> ScriptStep {
        let (Some(vm), Some(idx)) = (self.vm.upgrade(), self.handle.slot.get()) else {
            return ScriptStep::Done;
        };
        let Ok(mut vm) = vm.try_borrow_mut() else {
            return ScriptStep::Done;
        };
        let exc = vm.tasklet_exit();
        vm.prepare_throw(idx, exc);
        vm.run_tasklet(idx)
    }
}

/// What a parked tasklet resumes with when that is a value for its operand stack: the value
/// its native returns, or one a sender left in its cell (taken out, and kept as `tempval`).
#[inline(always)]
fn resume_value(s: &mut Slot) -> Option<Value> {
    match s.resume {
        Resume::Value(v) => Some(v),
        Resume::Receive(_) => {
            let v = s.cell.take_value()?.get();
            s.tempval = v;
            Some(v)
        }
        _ => None,
    }
}

impl Vm {
    /// A new tasklet slot bound to `func` and its Python object.
    pub(super) fn new_tasklet(&mut self, func: Value) -> (usize, Value) {
        let id = self.tasklets.next_id;
        self.tasklets.next_id += 1;
        let idx = match self.tasklets.free.pop() {
            Some(i) => i,
            None => {
                self.tasklets.slots.push(None);
                self.tasklets.slots.len() - 1
            }
        };
        let handle = Rc::new(TaskletRef {
            slot: Cell::new(Some(idx)),
            id,
            has_blocked: Cell::new(false),
        });
        let class = self.stackless_classes().tasklet;
        let obj = self.alloc(Obj::Host(class, handle.clone()));
        self.tasklets.slots[idx] = Some(Box::new(Slot {
            obj,
            rt: None,
            frames: Vec::new(),
            resume: if matches!(func, Value::None) {
                Resume::Nothing
            } else {
                Resume::Start(Box::new((func, Vec::new(), Vec::new())))
            },
            hook: Hook::NESTED,
            cell: ScriptCell::new(),
            blocked: 0,
            blocked_obj: Value::None,
            pending_frames: None,
            tempval: Value::None,
            atomic: 0,
            handle,
        }));
        (idx, obj)
    }

    /// Puts the slot's tasklet at the end of the run queue.
    pub(super) fn spawn_slot(&mut self, idx: usize) {
        let body = Box::new(Body {
            vm: self.tasklets.me.clone(),
            handle: self.slot_mut(idx).handle.clone(),
        });
        let t = rt::spawn_script(body);
        if self.tasklets.owner != 0 {
            t.set_script_key((u64::from(self.tasklets.owner) << 32) | idx as u64);
        }
        self.slot_mut(idx).rt = Some(t);
    }

    pub(super) fn free_slot(&mut self, idx: usize) {
        if let Some(s) = self.tasklets.slots.get_mut(idx).and_then(Option::take) {
            s.handle.slot.set(None);
            self.tasklets.sleepers.remove(&idx);
            // The slot may be reused: its key must not reach it through the old tasklet.
            if let Some(t) = &s.rt {
                t.set_script_key(0);
            }
            self.tasklets.free.push(idx);
            if self.tasklets.run_caller == Some(idx) {
                self.tasklets.run_caller = None;
            }
        }
    }

    /// The slot of a Python tasklet object, while the tasklet has one.
    pub(super) fn tasklet_slot(&self, v: Value) -> Option<usize> {
        self.tasklet_ref(v)?.slot.get()
    }

    pub(super) fn tasklet_ref(&self, v: Value) -> Option<Rc<TaskletRef>> {
        match v.as_ref().map(|r| self.heap.get(r)) {
            Some(Obj::Host(_, d)) => d.clone().downcast::<TaskletRef>().ok(),
            _ => None,
        }
    }

    pub(super) fn tasklet_id(&self, v: Value) -> u64 {
        self.tasklet_ref(v).map_or(0, |t| t.id)
    }

    /// The Python object of the tasklet in `idx`.
    pub(super) fn slot_obj(&self, idx: usize) -> Value {
        self.slot(idx).map_or(Value::None, |s| s.obj)
    }

    pub(super) fn tasklet_exit(&mut self) -> Value {
        let c = self.stackless_classes().exit;
        let (inst, _) = self.new_instance(c, &[]);
        inst
    }

    /// Makes the (not running) tasklet in `idx` raise `exc` when it next runs: it leaves
    /// the channel it waits on. The caller decides where it goes in the run queue.
    pub(super) fn prepare_throw(&mut self, idx: usize, exc: Value) {
        let s = self.slot_mut(idx);
        if std::mem::take(&mut s.blocked) != 0 {
            let (obj, t) = (s.blocked_obj, s.rt.clone());
            if let (Some(ch), Some(t)) = (self.blocked_chan(obj), &t) {
                ch.withdraw(t);
            }
        }
        let s = self.slot_mut(idx);
        // An unstarted tasklet never runs its function: the exception ends it at once.
        s.resume = Resume::Raise(exc);
    }

    /// Moves the tasklet in `idx` to the front of the run queue (or the back).
    pub(super) fn make_runnable(&mut self, idx: usize, front: bool) {
        if let Some(t) = self.slot(idx).and_then(|s| s.rt.clone()) {
            if t.is_runnable() {
                if !front {
                    return;
                }
                t.unready();
            }
            t.ready(front);
        }
    }

    /// Turns of script tasklets, from the one in `idx`: as long as the scheduler hands the
    /// turn on to another tasklet of this VM (`rt::hand_off`), that one runs next, here.
    pub(super) fn run_tasklet(&mut self, mut idx: usize) -> ScriptStep {
        loop {
            let step = self.one_turn(idx);
            match rt::hand_off(step, self.tasklets.owner) {
                Some(next) => idx = next as usize,
                None => return step,
            }
        }
    }

    /// One turn of the tasklet in `idx`: its frames become the VM's frame stack, run until
    /// it finishes, blocks or yields, and go back into its slot. The loop may hand the turn
    /// on to other tasklets of this VM ([`Vm::hand_on`]); the step returned is the last one's.
    fn one_turn(&mut self, idx: usize) -> ScriptStep {
        if !self.frames.is_empty() || self.tasklets.current.is_some() {
            return ScriptStep::Yield;
        }
        let Some(first) = self.start_turn(idx) else {
            return ScriptStep::Done;
        };
        let mut r = self.continue_turn(first);
        // From here on, the tasklet concerned is the one running now, which the loop may
        // have handed the turn on to; none runs if a hand-on found its slot gone.
        let idx = loop {
            let Some(idx) = self.tasklets.current else {
                return ScriptStep::Done;
            };
            // `atomic()` blocks preemption, not switches the script asks for.
            if matches!(r, Ok(RunOutcome::BudgetExhausted))
                && self.slot(idx).is_some_and(|s| s.atomic > 0)
            {
                r = self.run_loop(0, self.tasklets.turn_budget());
            } else {
                break idx;
            }
        };
        let step = match r {
            Ok(RunOutcome::Finished(_)) => ScriptStep::Done,
            Ok(RunOutcome::BudgetExhausted) => {
                if self.tasklets.watchdog.is_some() && self.tasklets.main != Some(idx) {
                    self.watchdog_fired(idx)
                } else {
                    ScriptStep::Yield
                }
            }
            Err(Exc::Switch) => self.tasklets.switch.take().unwrap_or(ScriptStep::Yield),
            Err(e) => {
                let v = self.exception_value(e);
                if !self.is_tasklet_exit(v) {
                    self.pass_to_main(idx, v);
                }
                ScriptStep::Done
            }
        };
        self.end_turn(idx, step);
        step
    }

    /// Called by the loop when a native of the running tasklet ended its turn
    /// (`Exc::Switch`): if the scheduler hands the turn on to another tasklet of this VM
    /// (`rt::hand_off`), the running one is parked and the next one's turn begins here,
    /// without leaving the loop. Returns how its first step went (what the loop does with an
    /// error raised there; its instruction budget is `Tasklets::turn_budget`); None if the
    /// turn goes back to the scheduler, or if no tasklet runs now (the loop returns
    /// `Exc::Switch` either way).
    pub(crate) fn hand_on(&mut self) -> Option<PResult<()>> {
        let idx = self.tasklets.current?;
        let step = self.tasklets.switch.unwrap_or(ScriptStep::Yield);
        let next = rt::hand_off(step, self.tasklets.owner)?;
        self.tasklets.switch = None;
        self.end_turn(idx, step);
        self.start_turn(next as usize)
    }

    /// Makes the frames of the tasklet in `idx` the VM's frame stack and takes its first
    /// step: delivers what it resumes with. None if it has no slot.
    #[inline]
    fn start_turn(&mut self, idx: usize) -> Option<PResult<()>> {
        let t = &mut self.tasklets;
        let s = t.slots.get_mut(idx)?.as_mut()?;
        // The common turn, done here without the general bookkeeping: a started tasklet
        // resumes with a value for its operand stack, and there is no callback to call,
        // timer to disarm or loaded generator to unpack. `resume_value` comes last: it
        // takes a received value out of the cell.
        if t.schedule_cb.is_none()
            && t.sleepers.is_empty()
            && s.pending_frames.is_none()
            && !s.frames.is_empty()
            && matches!(s.hook.target, Target::Push)
            && matches!(s.hook.transform, Transform::None)
            && let Some(v) = resume_value(s)
        {
            std::mem::swap(&mut self.frames, &mut s.frames);
            s.blocked = 0;
            s.blocked_obj = Value::None;
            // A value or a receive: nothing to drop, which the compiler cannot tell here.
            std::mem::forget(std::mem::replace(&mut s.resume, Resume::Nothing));
            t.current = Some(idx);
            t.switch = None;
            t.turn_budget = TurnBudget::new(t.watchdog.or(t.budget));
            t.last = Some(s.obj);
            if let Some(f) = self.frames.last_mut() {
                if f.stack.capacity() == 0
                    && let Some(stack) = self.stack_pool.pop()
                {
                    f.stack = stack;
                }
                // A call statement drops the value it resumes with: its `Pop` is taken here
                // and counted, as the dispatch loop does after a call that did not switch.
                if f.code.ops.get(f.ip) == Some(&Op::Pop) && t.turn_budget.take_one() {
                    f.ip += 1;
                } else {
                    f.stack.push(v);
                }
            }
            return Some(Ok(()));
        }
        self.start_turn_slow(idx)
    }

    /// `start_turn` in general.
    #[inline(never)]
    fn start_turn_slow(&mut self, idx: usize) -> Option<PResult<()>> {
        let s = self.tasklets.slots.get_mut(idx).and_then(Option::as_mut)?;
        let pending = s.pending_frames.take();
        if !self.tasklets.sleepers.is_empty() {
            self.tasklets.sleepers.remove(&idx);
        }
        // Swapped, not moved: both vectors keep their buffers.
        std::mem::swap(&mut self.frames, &mut s.frames);
        s.blocked = 0;
        s.blocked_obj = Value::None;
        let resume = std::mem::replace(&mut s.resume, Resume::Nothing);
        let hook = s.hook;
        let obj = s.obj;
        for &g in pending.iter().flatten() {
            if let Value::Obj(r) = g
                && let Obj::Generator(genr) = self.heap.get_mut(r)
                && let Some(f) = genr.frame.take()
            {
                genr.finished = true;
                self.frames.push(*f);
            }
        }
        self.tasklets.current = Some(idx);
        self.tasklets.switch = None;
        let t = &mut self.tasklets;
        t.turn_budget = TurnBudget::new(t.watchdog.or(t.budget));
        // The running frame's operand stack was given up when it parked (`end_turn`).
        if let Some(f) = self.frames.last_mut()
            && f.stack.capacity() == 0
            && let Some(stack) = self.stack_pool.pop()
        {
            f.stack = stack;
        }
        let callback = self.schedule_callback(obj);
        // Set only now: the callback is told which tasklet ran before.
        self.tasklets.last = Some(obj);
        Some(callback.and_then(|()| self.begin_turn(idx, resume, hook)))
    }

    /// Ends the turn of the tasklet in `idx` with `step`: its frames go back into its slot,
    /// or, when it is done, the slot is freed.
    fn end_turn(&mut self, idx: usize, step: ScriptStep) {
        self.tasklets.current = None;
        if step == ScriptStep::Done {
            self.frames.clear();
            self.free_slot(idx);
        } else if let Some(s) = self.tasklets.slots.get_mut(idx).and_then(Option::as_mut) {
            std::mem::swap(&mut self.frames, &mut s.frames);
            let frames = &mut s.frames;
            // A parked tasklet keeps only what it holds: a Vec grows by doubling from four
            // frames, several hundred bytes a frame. Steady switching does not reallocate.
            if frames.capacity() > frames.len() {
                frames.shrink_to_fit();
            }
            // Likewise an empty operand stack (a tasklet parked in a call statement): kept
            // for the next tasklet that runs, so steady switching does not allocate.
            for f in frames.iter_mut().filter(|f| f.stack.is_empty()) {
                let stack = std::mem::take(&mut f.stack);
                if self.stack_pool.len() < 64 && stack.capacity() > 0 {
                    self.stack_pool.push(stack);
                }
            }
        }
    }

    fn begin_turn(&mut self, idx: usize, resume: Resume, hook: Hook) -> PResult<()> {
        match resume {
            Resume::Start(start) => {
                let (f, args, kw) = *start;
                self.invoke(f, args, kw, Hook::NESTED)
            }
            Resume::Value(v) => self.deliver(hook, v),
            Resume::Raise(e) => Err(Exc::Obj(e)),
            Resume::Job(done) => {
                let v = done(self)?;
                self.deliver(hook, v)
            }
            Resume::Nothing => Ok(()),
            Resume::Reblock(r) => {
                let Reblock {
                    chan,
                    sending,
                    value,
                    iterating,
                } = *r;
                self.pending_hook = hook;
                if sending {
                    self.channel_send(chan, value, false)?;
                    self.deliver(hook, Value::None)
                } else {
                    let v = self.channel_receive(chan, iterating)?;
                    self.deliver(hook, v)
                }
            }
            Resume::Receive(iterating) => {
                let got = self.slot_mut(idx).cell.take_received();
                match got {
                    Some(Ok(p)) => {
                        let v = p.get();
                        self.slot_mut(idx).tempval = v;
                        self.deliver(hook, v)
                    }
                    Some(Err(RecvError::Exception(p))) => Err(self.exception_from(p.get())),
                    Some(Err(_)) => Err(super::channel::closed_error(iterating)),
                    None => self.deliver(hook, Value::None),
                }
            }
        }
    }

    /// Runs the loop after the turn's first step, which may already have finished it.
    fn continue_turn(&mut self, first: PResult<()>) -> PResult<RunOutcome> {
        let budget = self.tasklets.turn_budget();
        match first {
            Ok(()) if self.frames.is_empty() => Ok(RunOutcome::Finished(
                self.nested_result.take().unwrap_or(Value::None),
            )),
            Ok(()) => self.run_loop(0, budget),
            Err(Exc::Switch) => Err(Exc::Switch),
            Err(e) if self.frames.is_empty() => Err(e),
            Err(e) => match self.unwind(e, 0)? {
                Some(v) => Ok(RunOutcome::Finished(v)),
                None => self.run_loop(0, budget),
            },
        }
    }

    /// Calls `set_schedule_callback`'s function when another tasklet than the last one runs.
    /// The check is inlined into every turn; the call is not.
    #[inline(always)]
    fn schedule_callback(&mut self, next: Value) -> PResult<()> {
        match self.tasklets.schedule_cb {
            None => Ok(()),
            Some(cb) => self.call_schedule_callback(cb, next),
        }
    }

    fn call_schedule_callback(&mut self, cb: Value, next: Value) -> PResult<()> {
        let prev = self.tasklets.last.unwrap_or(Value::None);
        if prev.is(next) {
            return Ok(());
        }
        self.call_sync(cb, vec![prev, next], Vec::new()).map(|_| ())
    }

    /// `run(timeout=N)`: the tasklet in `idx` ran N instructions without switching. It is
    /// taken off the run queue and handed to the tasklet waiting in `run`.
    fn watchdog_fired(&mut self, idx: usize) -> ScriptStep {
        self.tasklets.watchdog = None;
        let obj = self.slot_obj(idx);
        if let Some(caller) = self.tasklets.run_caller.take() {
            self.slot_mut(caller).resume = Resume::Value(obj);
            self.make_runnable(caller, true);
        }
        ScriptStep::Park
    }

    /// An exception ended the tasklet in `idx`: as in Stackless it is raised in the main
    /// tasklet, which runs next. Without a main tasklet (the daemon) it is kept for the
    /// embedder in `Tasklets::uncaught`.
    fn pass_to_main(&mut self, idx: usize, exc: Value) {
        match self.tasklets.main {
            Some(m) if m != idx && self.slot(m).is_some() => {
                if self.tasklets.run_caller == Some(m) {
                    self.tasklets.run_caller = None;
                    self.tasklets.watchdog = None;
                }
                self.prepare_throw(m, exc);
                self.make_runnable(m, true);
            }
            _ => {
                let handler = self.tasklets.on_failure.clone();
                let t = self.slot(idx).and_then(|s| s.rt.clone());
                match (handler, t) {
                    (Some(h), Some(t)) => h(self, &t, exc),
                    _ => self.tasklets.uncaught.push(exc),
                }
            }
        }
    }

    /// What `send_exception` sent, as the exception to raise: an instance as is, a class
    /// instantiated.
    pub(super) fn exception_from(&mut self, v: Value) -> Exc {
        if let Value::Obj(r) = v
            && let Obj::Class(_) = self.heap.get(r)
            && self.class_is_exception(r)
        {
            let (inst, _) = self.new_instance(r, &[]);
            return Exc::Obj(inst);
        }
        if self.is_instance_of_kind(v, ExcKind::BaseException) {
            Exc::Obj(v)
        } else {
            Exc::New(
                ExcKind::TypeError,
                "exceptions must derive from BaseException".into(),
            )
        }
    }
}
