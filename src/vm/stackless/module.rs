//! `import stackless`: the module functions and the `tasklet`, `channel` and `atomic`
//! classes, following Stackless Python's API (and PyPy's `stackless.py` where they differ
//! on what scripts can observe).

use std::rc::Rc;

use super::{Classes, Resume};
use crate::rt::ScriptStep;
use crate::vm::error::{Exc, ExcKind, PResult, err, type_err};
use crate::vm::interp::{Frame, Vm};
use crate::vm::value::*;

type Kw = [(Rc<str>, Value)];

/// Channel methods that loop and may block on every item are plain Python.
const PRELUDE: &str = "\
def _send_sequence(self, seq):
    n = 0
    for item in seq:
        self.send(item)
        n += 1
    return n
";

use crate::vm::builtins::{arg, kw_or};

impl Vm {
    /// The classes of the module, made on first use (the main tasklet needs one before any
    /// script imports `stackless`).
    pub(super) fn stackless_classes(&mut self) -> Classes {
        if let Some(c) = self.tasklets.classes {
            return c;
        }
        let tasklet = self.host_class(
            "stackless.tasklet",
            &[
                ("__new__", t_new),
                ("__call__", t_setup),
                ("__repr__", t_repr),
                ("bind", t_bind),
                ("setup", t_setup),
                ("insert", t_insert),
                ("remove", t_remove),
                ("run", t_run),
                ("switch", t_switch),
                ("kill", t_kill),
                ("throw", t_throw),
                ("raise_exception", t_raise_exception),
            ],
            &[
                ("alive", t_alive),
                ("blocked", t_blocked),
                ("scheduled", t_scheduled),
                ("paused", t_paused),
                ("is_main", t_is_main),
                ("is_current", t_is_current),
                ("tempval", t_tempval),
            ],
        );
        let channel = self.host_class(
            "stackless.channel",
            &[
                ("__new__", c_new),
                ("__iter__", c_iter),
                ("__next__", c_next),
                ("send", c_send),
                ("receive", c_receive),
                ("send_exception", c_send_exception),
                ("close", c_close),
                ("open", c_open),
            ],
            &[
                ("balance", c_balance),
                ("preference", c_preference),
                ("schedule_all", c_schedule_all),
                ("closing", c_closing),
                ("closed", c_closed),
                ("queue", c_queue),
            ],
        );
        if let Obj::Class(c) = self.heap.get(channel) {
            let method = |n: &str| c.dict.get(n).copied().unwrap_or(Value::None);
            self.channel_methods = [method("send"), method("receive")];
        }
        // Pinned: the fast loop knows them by identity, which a collected and reused slot
        // must never fake.
        self.pinned.extend(self.channel_methods);
        let atomic = self.host_class(
            "stackless.atomic",
            &[
                ("__new__", a_new),
                ("__enter__", a_enter),
                ("__exit__", a_exit),
            ],
            &[],
        );
        self.add_setter(tasklet, "tempval", t_set_tempval);
        self.add_setter(channel, "preference", c_set_preference);
        self.add_setter(channel, "schedule_all", c_set_schedule_all);
        let base = self.exc_classes[ExcKind::Exception as usize];
        let exit = self.heap.alloc(Obj::Class(Box::new(Class {
            name: Rc::from("TaskletExit"),
            base: Some(base),
            dict: AttrMap::default(),
            builtin: None,
        })));
        let c = Classes {
            tasklet,
            channel,
            exit,
            atomic,
        };
        self.tasklets.classes = Some(c);
        super::pickle::register(self);
        c
    }

    /// A loaded host object was moved into its place in the graph (`me`): a tasklet's slot
    /// follows it, so `getcurrent()` returns the object the script holds.
    pub fn rehome_host(&mut self, me: Ref) {
        let slot = match self.heap.get(me) {
            Obj::Host(_, d) => d
                .clone()
                .downcast::<super::TaskletRef>()
                .ok()
                .and_then(|t| t.slot.get()),
            _ => None,
        };
        if let Some(i) = slot
            && let Some(s) = self
                .tasklets
                .slots
                .get_mut(i)
                .and_then(|s| s.as_deref_mut())
        {
            s.obj = Value::Obj(me);
        }
    }

    /// Builds the `stackless` module.
    pub fn stackless_module(&mut self) -> PResult<Value> {
        let c = self.stackless_classes();
        let (m, d) = self.new_module("stackless");
        for (n, v) in [
            ("tasklet", c.tasklet),
            ("channel", c.channel),
            ("atomic", c.atomic),
            ("TaskletExit", c.exit),
        ] {
            self.dict_set_str(d, &Rc::from(n), Value::Obj(v));
        }
        let fns: &[(&'static str, NativeFn)] = &[
            ("schedule", m_schedule),
            ("schedule_remove", m_schedule_remove),
            ("getcurrent", m_getcurrent),
            ("getmain", m_getmain),
            ("getruncount", m_getruncount),
            ("run", m_run),
            ("set_schedule_callback", m_set_schedule_callback),
            ("set_channel_callback", m_set_channel_callback),
        ];
        for (n, f) in fns {
            let v = self.native_method(n, *f);
            self.dict_set_str(d, &Rc::from(*n), v);
        }
        // As in Stackless Python, TaskletExit is a builtin too.
        let builtins = self.builtins;
        self.dict_set_str(builtins, &Rc::from("TaskletExit"), Value::Obj(c.exit));
        self.run_prelude(d)?;
        let send_seq = self.dict_get_str(d, &Rc::from("_send_sequence"));
        if let (Some(f), Obj::Class(k)) = (send_seq, self.heap.get_mut(c.channel)) {
            k.dict.insert(Rc::from("send_sequence"), f);
            self.class_cache.invalidate();
        }
        Ok(m)
    }

    fn run_prelude(&mut self, globals: Ref) -> PResult<()> {
        let code = crate::vm::compile_source(PRELUDE, "<stackless>")
            .map_err(|e| Exc::New(ExcKind::SyntaxErrorExc, e.msg))?;
        let base = self.frames.len();
        self.frames.push(Frame::module(code, globals));
        self.nested += 1;
        let r = self.run_loop(base, None);
        self.nested -= 1;
        r.map(|_| ())
    }

    pub(super) fn current_tasklet_obj(&self) -> Value {
        self.tasklets
            .current
            .map_or(Value::None, |i| self.slot_obj(i))
    }

    /// The slot of a tasklet argument that must be alive.
    fn live_slot(&self, t: Value, what: &str) -> PResult<usize> {
        self.tasklet_slot(t).ok_or_else(|| {
            Exc::New(
                ExcKind::RuntimeError,
                format!("You cannot {what} an unbound(dead) tasklet"),
            )
        })
    }

    fn is_scheduled(&self, idx: usize) -> bool {
        self.tasklets.current == Some(idx)
            || self
                .slot(idx)
                .and_then(|s| s.rt.as_ref())
                .is_some_and(|t| t.is_runnable())
    }

    /// Runs `target` now; the caller runs right after it (`tasklet.run`, `kill`, `throw`).
    fn switch_to_now(&mut self, target: usize, what: &str) -> PResult<Value> {
        if self.tasklets.current == Some(target) {
            return Ok(Value::None);
        }
        if !self.can_switch() {
            return Err(self.cannot_block(what));
        }
        self.make_runnable(target, true);
        Err(self.switch_out(ScriptStep::Defer, || Resume::Value(Value::None)))
    }

    /// Raises `exc` in the tasklet `t`: at once, or (`pending`) when it next runs in turn.
    fn throw_to(&mut self, t: Value, exc: Value, pending: bool, what: &str) -> PResult<Value> {
        let Some(idx) = self.tasklet_slot(t) else {
            return Ok(Value::None);
        };
        if self.tasklets.current == Some(idx) {
            return Err(Exc::Obj(exc));
        }
        if !pending && !self.can_switch() {
            return Err(self.cannot_block(what));
        }
        let started = self.slot(idx).is_some_and(|s| s.rt.is_some());
        if !started {
            // Never set up: nothing runs, it is simply dead.
            self.free_slot(idx);
            return Ok(Value::None);
        }
        self.prepare_throw(idx, exc);
        if pending {
            self.make_runnable(idx, false);
            Ok(Value::None)
        } else {
            self.switch_to_now(idx, what)
        }
    }

    /// Makes an exception instance from `throw`/`raise_exception` arguments.
    fn make_exception(&mut self, exc: Value, args: &[Value]) -> PResult<Value> {
        match exc {
            Value::Obj(r) if matches!(self.heap.get(r), Obj::Class(_)) => {
                if !self.class_is_exception(r) {
                    return type_err("exceptions must derive from BaseException");
                }
                self.call_sync(exc, args.to_vec(), Vec::new())
            }
            v if self.is_instance_of_kind(v, ExcKind::BaseException) => Ok(v),
            _ => type_err("exceptions must derive from BaseException"),
        }
    }
}

// ---- tasklet ----

fn t_new(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let func = kw_or(kw, "func", args, 0);
    if !matches!(func, Value::None) && !vm.is_callable(func) {
        return type_err("tasklet function must be a callable");
    }
    Ok(vm.new_tasklet(func).1)
}

fn t_repr(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let t = arg(args, 0);
    let id = vm.tasklet_id(t);
    let label = if vm
        .tasklets
        .main
        .is_some_and(|m| vm.tasklet_slot(t) == Some(m))
    {
        "main"
    } else {
        ""
    };
    Ok(vm.new_str(format!("<tasklet[{label}, {id}]>")))
}

fn t_bind(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let (t, func) = (arg(args, 0), arg(args, 1));
    if !vm.is_callable(func) {
        return type_err("tasklet function must be a callable");
    }
    match vm.tasklet_slot(t) {
        Some(idx) => {
            let s = vm.slot_mut(idx);
            if s.rt.is_some() {
                return err(ExcKind::RuntimeError, "tasklet is already bound to a frame");
            }
            s.resume = Resume::Start(Box::new((func, Vec::new(), Vec::new())));
        }
        None => {
            // A finished tasklet may be bound again, keeping its identity.
            let (idx, _) = vm.new_tasklet(func);
            let new_obj = vm.slot_obj(idx);
            let handle = vm.tasklet_ref(new_obj);
            if let (Some(old), Some(h)) = (vm.tasklet_ref(t), handle) {
                old.slot.set(h.slot.get());
                h.slot.set(None);
                let s = vm.slot_mut(idx);
                s.obj = t;
                s.handle = old;
            }
        }
    }
    Ok(t)
}

fn t_setup(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let t = arg(args, 0);
    let Some(idx) = vm.tasklet_slot(t) else {
        return type_err("cframe function must be callable");
    };
    let s = vm.slot_mut(idx);
    if s.rt.is_some() {
        return err(ExcKind::RuntimeError, "tasklet is already set up");
    }
    let func = match &s.resume {
        Resume::Start(b) => b.0,
        _ => return type_err("cframe function must be callable"),
    };
    s.resume = Resume::Start(Box::new((func, args[1..].to_vec(), kw.to_vec())));
    if vm.tasklets.me.upgrade().is_none() {
        return err(
            ExcKind::RuntimeError,
            "tasklets need the scheduler (run the script with `stackmail run`)",
        );
    }
    vm.spawn_slot(idx);
    Ok(t)
}

fn t_insert(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let idx = vm.live_slot(arg(args, 0), "run")?;
    let s = vm.slot_mut(idx);
    if s.is_blocked() {
        return err(ExcKind::RuntimeError, "You cannot run a blocked tasklet");
    }
    if s.rt.is_none() {
        return err(
            ExcKind::RuntimeError,
            "You cannot run an unbound(dead) tasklet",
        );
    }
    if vm.tasklets.current != Some(idx) {
        vm.make_runnable(idx, false);
    }
    Ok(Value::None)
}

fn t_remove(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let t = arg(args, 0);
    let Some(idx) = vm.tasklet_slot(t) else {
        return Ok(t);
    };
    if vm.slot_mut(idx).is_blocked() {
        return err(
            ExcKind::RuntimeError,
            "You cannot remove a blocked tasklet.",
        );
    }
    if vm.tasklets.current == Some(idx) {
        return err(
            ExcKind::RuntimeError,
            "The current tasklet cannot be removed.",
        );
    }
    if let Some(rt) = vm.slot_mut(idx).rt.clone() {
        rt.unready();
    }
    Ok(t)
}

fn t_run(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    t_insert(vm, args, &[])?;
    let idx = vm.live_slot(arg(args, 0), "run")?;
    vm.switch_to_now(idx, "tasklet.run()")
}

/// Stackless `switch`: runs the target now and pauses the caller (off the run queue).
fn t_switch(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    t_insert(vm, args, &[])?;
    let idx = vm.live_slot(arg(args, 0), "run")?;
    if vm.tasklets.current == Some(idx) {
        return Ok(Value::None);
    }
    if !vm.can_switch() {
        return Err(vm.cannot_block("tasklet.switch()"));
    }
    vm.make_runnable(idx, true);
    Err(vm.switch_out(ScriptStep::Park, || Resume::Value(Value::None)))
}

fn t_kill(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let pending = vm.truthy(kw_or(kw, "pending", args, 1))?;
    let exc = vm.tasklet_exit();
    vm.throw_to(arg(args, 0), exc, pending, "tasklet.kill()")
}

fn t_throw(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let t = arg(args, 0);
    let exc = kw_or(kw, "exc", args, 1);
    let val = kw_or(kw, "val", args, 2);
    let pending = vm.truthy(kw_or(kw, "pending", args, 4))?;
    let exc = if matches!(exc, Value::None) {
        vm.tasklet_exit()
    } else {
        let a: Vec<Value> = match val {
            Value::None => Vec::new(),
            v => vec![v],
        };
        vm.make_exception(exc, &a)?
    };
    vm.throw_to(t, exc, pending, "tasklet.throw()")
}

fn t_raise_exception(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let t = arg(args, 0);
    let exc = vm.make_exception(arg(args, 1), args.get(2..).unwrap_or(&[]))?;
    vm.throw_to(t, exc, false, "tasklet.raise_exception()")
}

fn t_alive(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let idx = vm.tasklet_slot(arg(args, 0));
    Ok(Value::Bool(idx.is_some_and(|i| {
        vm.tasklets.current == Some(i) || vm.slot(i).is_some_and(|s| s.rt.is_some())
    })))
}

/// As in PyPy: the direction it is blocked in (1 sending, -1 receiving), else 0.
fn t_blocked(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let t = arg(args, 0);
    let dir = vm
        .tasklet_slot(t)
        .and_then(|i| vm.slot(i))
        .map_or(0, |s| s.blocked);
    Ok(if vm.tasklet_ref(t).is_some_and(|r| r.has_blocked.get()) {
        Value::Int(dir as i64)
    } else {
        Value::Bool(false)
    })
}

fn t_scheduled(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let idx = vm.tasklet_slot(arg(args, 0));
    Ok(Value::Bool(idx.is_some_and(|i| vm.is_scheduled(i))))
}

fn t_paused(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let idx = vm.tasklet_slot(arg(args, 0));
    Ok(Value::Bool(idx.is_some_and(|i| {
        vm.slot(i)
            .is_some_and(|s| s.rt.is_some() && !s.is_blocked())
            && !vm.is_scheduled(i)
    })))
}

fn t_is_main(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let idx = vm.tasklet_slot(arg(args, 0));
    Ok(Value::Bool(idx.is_some() && idx == vm.tasklets.main))
}

fn t_is_current(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let idx = vm.tasklet_slot(arg(args, 0));
    Ok(Value::Bool(idx.is_some() && idx == vm.tasklets.current))
}

fn t_tempval(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let idx = vm.tasklet_slot(arg(args, 0));
    Ok(idx
        .and_then(|i| vm.slot(i))
        .map_or(Value::None, |s| s.tempval))
}

fn t_set_tempval(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    if let Some(i) = vm.tasklet_slot(arg(args, 0)) {
        vm.slot_mut(i).tempval = arg(args, 1);
    }
    Ok(Value::None)
}

// ---- channel ----

fn c_new(vm: &mut Vm, _: &[Value], _: &Kw) -> PResult<Value> {
    Ok(vm.channel_object(super::Chan::new()))
}

fn c_iter(_: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    Ok(arg(args, 0))
}

fn c_next(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    vm.channel_receive(arg(args, 0), true)
}

fn c_send(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let &[chan, v] = args else {
        return arity("send", 1, args);
    };
    vm.channel_send(chan, v, false)?;
    Ok(Value::None)
}

fn c_receive(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let &[chan] = args else {
        return arity("receive", 0, args);
    };
    vm.channel_receive(chan, false)
}

/// A method called with other than `takes` arguments besides its object.
#[cold]
fn arity(name: &str, takes: usize, args: &[Value]) -> PResult<Value> {
    let given = args.len().saturating_sub(1);
    type_err(format!(
        "{name}() takes {takes} argument{} ({given} given)",
        if takes == 1 { "" } else { "s" }
    ))
}

fn c_send_exception(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let hook = vm.pending_hook;
    let exc = vm.make_exception(arg(args, 1), args.get(2..).unwrap_or(&[]))?;
    vm.pending_hook = hook;
    vm.channel_send(arg(args, 0), exc, true)?;
    Ok(Value::None)
}

fn c_close(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    vm.chan_of(arg(args, 0))?.close();
    Ok(Value::None)
}

fn c_open(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    vm.chan_of(arg(args, 0))?.open();
    Ok(Value::None)
}

fn c_balance(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    Ok(Value::Int(vm.chan_of(arg(args, 0))?.balance() as i64))
}

fn c_preference(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    Ok(Value::Int(vm.chan_of(arg(args, 0))?.preference() as i64))
}

fn c_set_preference(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let ch = vm.chan_of(arg(args, 0))?;
    match arg(args, 1) {
        Value::Int(p) => ch.set_preference(p.clamp(-1, 1) as i8),
        Value::Bool(b) => ch.set_preference(b as i8),
        _ => return type_err("preference must be an integer"),
    }
    Ok(Value::None)
}

fn c_schedule_all(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    Ok(Value::Bool(vm.chan_of(arg(args, 0))?.schedule_all()))
}

fn c_set_schedule_all(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let ch = vm.chan_of(arg(args, 0))?;
    let on = vm.truthy(arg(args, 1))?;
    ch.set_schedule_all(on);
    Ok(Value::None)
}

fn c_closing(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    Ok(Value::Bool(vm.chan_of(arg(args, 0))?.is_closing()))
}

fn c_closed(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    Ok(Value::Bool(vm.chan_of(arg(args, 0))?.is_closed()))
}

fn c_queue(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let ch = vm.chan_of(arg(args, 0))?;
    let q = vm.channel_queue(&ch);
    Ok(vm.new_list(q))
}

// ---- atomic ----

fn a_new(vm: &mut Vm, _: &[Value], _: &Kw) -> PResult<Value> {
    let c = vm.stackless_classes().atomic;
    Ok(vm.alloc(Obj::Host(c, Rc::new(()))))
}

fn a_enter(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    if let Some(i) = vm.tasklets.current {
        vm.slot_mut(i).atomic += 1;
    }
    Ok(arg(args, 0))
}

fn a_exit(vm: &mut Vm, _: &[Value], _: &Kw) -> PResult<Value> {
    if let Some(i) = vm.tasklets.current {
        let s = vm.slot_mut(i);
        s.atomic = s.atomic.saturating_sub(1);
    }
    Ok(Value::Bool(false))
}

// ---- module functions ----

fn m_schedule(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let retval = match kw_or(kw, "retval", args, 0) {
        Value::None => vm.current_tasklet_obj(),
        v => v,
    };
    if !vm.can_switch() {
        return Err(vm.cannot_block("stackless.schedule()"));
    }
    Err(vm.switch_out(ScriptStep::Yield, move || Resume::Value(retval)))
}

fn m_schedule_remove(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let retval = match kw_or(kw, "retval", args, 0) {
        Value::None => vm.current_tasklet_obj(),
        v => v,
    };
    if !vm.can_switch() {
        return Err(vm.cannot_block("stackless.schedule_remove()"));
    }
    Err(vm.switch_out(ScriptStep::Park, move || Resume::Value(retval)))
}

fn m_getcurrent(vm: &mut Vm, _: &[Value], _: &Kw) -> PResult<Value> {
    Ok(vm.current_tasklet_obj())
}

fn m_getmain(vm: &mut Vm, _: &[Value], _: &Kw) -> PResult<Value> {
    Ok(match vm.tasklets.main {
        Some(m) => vm.slot_obj(m),
        None => vm.current_tasklet_obj(),
    })
}

fn m_getruncount(vm: &mut Vm, _: &[Value], _: &Kw) -> PResult<Value> {
    let running = vm.tasklets.current.is_some() as usize;
    Ok(Value::Int((crate::rt::stats().runnable + running) as i64))
}

/// `run()`: the caller steps aside until every other tasklet has finished or blocked;
/// `run(timeout=N)`: or until one runs N instructions without switching, which is returned.
fn m_run(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let timeout = match kw_or(kw, "timeout", args, 0) {
        Value::None => None,
        Value::Int(n) if n > 0 => Some(n as u64),
        Value::Int(_) => None,
        _ => return type_err("timeout must be an integer"),
    };
    let Some(cur) = vm.tasklets.current else {
        return err(ExcKind::RuntimeError, "run() needs a running tasklet");
    };
    if vm.tasklets.main != Some(cur) {
        // Only the main tasklet waits for the others; elsewhere this is a yield.
        return m_schedule(vm, &[], &[]);
    }
    if !vm.can_switch() {
        return Err(vm.cannot_block("stackless.run()"));
    }
    vm.tasklets.watchdog = timeout;
    vm.tasklets.run_caller = Some(cur);
    Err(vm.switch_out(ScriptStep::Park, || Resume::Value(Value::None)))
}

fn m_set_schedule_callback(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let cb = arg(args, 0);
    let old = std::mem::replace(
        &mut vm.tasklets.schedule_cb,
        (!matches!(cb, Value::None)).then_some(cb),
    );
    Ok(old.unwrap_or(Value::None))
}

fn m_set_channel_callback(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let cb = arg(args, 0);
    let old = std::mem::replace(
        &mut vm.tasklets.channel_cb,
        (!matches!(cb, Value::None)).then_some(cb),
    );
    Ok(old.unwrap_or(Value::None))
}
