//! The dispatch loop.
//!
//! Python-to-Python calls push a heap `Frame` and the loop carries on: the Rust stack does not
//! grow with Python recursion, and the whole frame stack can be suspended between two
//! instructions (`run` with a budget returns `BudgetExhausted`; calling it again resumes).
//!
//! Native code that must call back into Python (`sorted(key=...)`, `print` of an object with
//! `__str__`, `map`, `min(key=...)`) runs a *nested* loop over the same frame stack with
//! `call_sync`. Nesting is bounded by `Vm::max_nested` (RecursionError past it) and the collector
//! is held off (`gc_inhibit`) while such a loop runs, because the native caller keeps values
//! in Rust locals that the roots do not see. The hot consumers of generators (`iterate`,
//! `any`, `all`, `next`) keep their values in `temp_roots` instead and let the collector run,
//! so `sum(f(x) for x in big)` runs in flat memory. Operator dunders, `__init__`, properties, `__iter__`/
//! `__next__` in `for` loops and generators do not nest: they push frames whose `Hook` says
//! where their result goes.

use std::rc::Rc;

use super::ast::{BinOp, CmpOp};
use super::error::{Exc, ExcKind, PResult};
use super::heap::Heap;
use super::op::{Code, Op, Receiver};
use super::stackless::{Unfinished, needs_look_ahead};
use super::value::*;

/// Default bound on native re-entries of the loop. Each level costs Rust stack (a few KB in
/// release builds, tens of KB in debug builds); 200 fits the 8 MB main-thread stack of
/// `stackmail run`. Script tasklets on small coroutine stacks must lower `Vm::max_nested`.
pub const MAX_NESTED: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Push onto the caller frame's stack.
    Push,
    /// Hand back to the native caller waiting in `call_sync`.
    Nested,
}

#[derive(Clone, Copy, Debug)]
pub enum Transform {
    None,
    /// `__init__` ran: check it returned None, deliver the instance instead.
    Init(Value),
    Not,
    Bool,
    /// A class body ran: build the class from its namespace. (bases tuple, name)
    MakeClass(Value, Value),
    /// An operator dunder ran for `l op r`; on `NotImplemented`, try the reflected method
    /// (unless `reflected` already), then the built-in operator (which raises TypeError).
    BinRetry(BinOp, Value, Value, bool),
    /// `__eq__` ran for `l == r` (negated for `!=`); on `NotImplemented`, try the other
    /// operand's `__eq__`, then identity.
    EqRetry(Value, Value, bool, bool),
}

#[derive(Clone, Copy, Debug)]
pub struct Hook {
    pub target: Target,
    pub transform: Transform,
}

impl Hook {
    pub const PUSH: Hook = Hook {
        target: Target::Push,
        transform: Transform::None,
    };
    pub const NESTED: Hook = Hook {
        target: Target::Nested,
        transform: Transform::None,
    };
}

#[derive(Clone, Copy, Debug)]
pub struct Block {
    pub handler: u32,
    pub depth: u32,
    pub handling: u32,
}

#[derive(Clone)]
pub struct Frame {
    pub code: Rc<Code>,
    pub ip: usize,
    pub stack: Vec<Value>,
    pub fast: Vec<Option<Value>>,
    pub cells: Vec<Ref>,
    pub globals: Ref,
    /// Class bodies only: the namespace dict the body fills.
    pub ns: Option<Ref>,
    pub blocks: Vec<Block>,
    /// Exceptions being handled by `except` blocks of this frame, innermost last.
    pub handling: Vec<Value>,
    pub func: Option<Ref>,
    pub hook: Hook,
    pub genr: Option<Ref>,
}

impl Frame {
    /// The frame of a module body: it runs in `globals` and hands its result back to the
    /// native that runs it.
    pub fn module(code: Rc<Code>, globals: Ref) -> Frame {
        Frame {
            code,
            ip: 0,
            stack: Vec::new(),
            fast: Vec::new(),
            cells: Vec::new(),
            globals,
            ns: None,
            blocks: Vec::new(),
            handling: Vec::new(),
            func: None,
            hook: Hook::NESTED,
            genr: None,
        }
    }

    /// The frame of a call to function `func`, with its arguments already in `fast`.
    pub fn call(
        code: Rc<Code>,
        (stack, fast): (Vec<Value>, Vec<Option<Value>>),
        cells: Vec<Ref>,
        globals: Ref,
        func: Ref,
        hook: Hook,
    ) -> Frame {
        Frame {
            code,
            ip: 0,
            stack,
            fast,
            cells,
            globals,
            ns: None,
            blocks: Vec::new(),
            handling: Vec::new(),
            func: Some(func),
            hook,
            genr: None,
        }
    }

    pub fn trace(&self, out: &mut Vec<Value>) {
        out.extend_from_slice(&self.stack);
        out.extend(self.fast.iter().flatten());
        out.extend(self.cells.iter().map(|c| Value::Obj(*c)));
        out.push(Value::Obj(self.globals));
        out.extend(self.ns.map(Value::Obj));
        out.extend_from_slice(&self.handling);
        out.extend(self.func.map(Value::Obj));
        out.extend(self.genr.map(Value::Obj));
        match self.hook.transform {
            Transform::Init(v) => out.push(v),
            Transform::MakeClass(a, b)
            | Transform::BinRetry(_, a, b, _)
            | Transform::EqRetry(a, b, _, _) => out.extend([a, b]),
            _ => {}
        }
        if let Some(c) = self.code.rt_consts.get() {
            out.extend_from_slice(c);
        }
    }

    pub fn line(&self) -> u32 {
        let i = self
            .ip
            .saturating_sub(1)
            .min(self.code.lines.len().saturating_sub(1));
        self.code
            .lines
            .get(i)
            .copied()
            .unwrap_or(self.code.first_line)
    }
}

/// How a `run` slice ended. Part 2 (script tasklets) adds `Blocked` for natives that must wait
/// on a channel or timer: such a native will park the tasklet and re-deliver its result
/// through the frame's `Hook` on resume, the same way `gen.send` delivers through a frame.
pub enum RunOutcome {
    Finished(Value),
    BudgetExhausted,
}

/// Why `run_simple` stopped.
enum SimpleStop {
    /// Before an instruction it does not run, which `run_loop` runs.
    Op,
    /// A call allocated enough for a collection to fall due: `run_loop` goes round to it
    /// before the next instruction.
    Collect,
    /// `run_loop` returns this.
    Return(PResult<RunOutcome>),
}

/// What `run_simple_ops` reads of the VM that no call it makes changes: the builtins dict,
/// the marker of a method call, the channel natives `send` and `receive` (None until
/// `stackless` is imported, when the loop leaves channel calls to the general path).
#[derive(Clone, Copy)]
struct Fixed {
    builtins: Ref,
    marker: Option<Ref>,
    channel: [Option<Ref>; 2],
}

/// A call `run_simple_ops` stopped at, with the running frame's stack as `CallMethod` left
/// it: `[callee, self, args...]` from `at`.
enum SimpleCall {
    /// A cached native method: its function, and where the stack is cut back to (its
    /// arguments follow the callee there). Small, as `Unfinished` is: the loop hands it
    /// on through the stack.
    Native(NativeFn, u32),
    /// A channel exchange made by the loop that did not complete (the stack cut back).
    Unfinished(Unfinished),
}

/// A loaded source file: (filename, text, its module-level code when compiled in this VM).
pub type Source = (Rc<str>, Rc<str>, Option<Rc<Code>>);

pub struct Vm {
    pub heap: Heap,
    pub frames: Vec<Frame>,
    pub builtins: Ref,
    pub modules: Vec<(Rc<str>, Value)>,
    pub types: Vec<Ref>,
    pub exc_classes: Vec<Ref>,
    pub nested: usize,
    pub nested_result: Option<Value>,
    pub recursion_limit: usize,
    pub out: Vec<u8>,
    pub script_dir: std::path::PathBuf,
    pub argv: Vec<String>,
    /// Hook for the frame a native pushes when it returns `Exc::FramePushed`.
    pub pending_hook: Hook,
    /// The exception object of a bare `raise`/re-raise: its traceback already has this frame.
    pub reraising: bool,
    /// Source text by filename, for tracebacks, with the module's top-level code where it
    /// was compiled in this VM (pickle finds code objects by their path from it).
    pub sources: Vec<Source>,
    /// Values that must never be collected (interned names, module code constants).
    pub pinned: Vec<Value>,
    pub empty_tuple: Value,
    /// Pushed by `LoadMethod` when it found a plain attribute rather than a method.
    pub method_marker: Value,
    /// `stackless.channel`'s `send` and `receive` natives once the module is loaded (pinned),
    /// which the fast loop calls directly: see [`SimpleCall`].
    pub channel_methods: [Value; 2],
    /// How deep native code may re-enter the loop: see `MAX_NESTED`.
    pub max_nested: usize,
    /// While non-zero the collector waits: a native on the Rust stack holds values the roots
    /// do not show. Natives that keep their values in `temp_roots` run nested without it.
    pub gc_inhibit: usize,
    /// Values held by running natives (their arguments, partial results), as GC roots.
    pub temp_roots: Vec<Value>,
    /// Classes of host objects made by built-in modules (`re.Pattern`...), by name.
    pub host_classes: Vec<(&'static str, Ref)>,
    /// Script tasklets: their parked frame stacks and what the running one is doing.
    pub tasklets: super::stackless::Tasklets,
    /// The operand stacks and local slots of returned frames, emptied, for the next calls:
    /// a call then allocates nothing for them.
    pub frame_pool: Vec<(Vec<Value>, Vec<Option<Value>>)>,
    /// Empty operand stacks that parked tasklets gave up, for the next one that runs.
    pub stack_pool: Vec<Vec<Value>>,
    /// Recent class-chain lookups (see `class_cache`).
    pub class_cache: super::class_cache::ClassCache,
    /// Built-in types' methods as unbound natives, by (type, name): see `unbound_builtin`.
    pub unbound_methods: std::collections::HashMap<
        (u8, usize),
        (BuiltinType, &'static str, Value),
        foldhash::fast::RandomState,
    >,
    /// How to pickle host objects, by host class name: see `pickle::HostPickler`.
    pub pickle_hosts: Vec<super::pickle::HostPickler>,
}

impl Vm {
    pub fn alloc(&mut self, obj: Obj) -> Value {
        Value::Obj(self.heap.alloc(obj))
    }

    #[inline(always)]
    pub fn top(&mut self) -> &mut Frame {
        let n = self.frames.len() - 1;
        &mut self.frames[n]
    }

    #[inline(always)]
    pub fn push(&mut self, v: Value) {
        self.top().stack.push(v);
    }

    #[inline(always)]
    pub fn pop(&mut self) -> Value {
        self.top().stack.pop().unwrap_or(Value::None)
    }

    fn peek(&mut self, n: usize) -> Value {
        let s = &self.top().stack;
        s.get(s.len().wrapping_sub(1 + n))
            .copied()
            .unwrap_or(Value::None)
    }

    pub(super) fn popn(&mut self, n: usize) -> Vec<Value> {
        let s = &mut self.top().stack;
        let at = s.len().saturating_sub(n);
        s.split_off(at)
    }

    fn roots(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for f in &self.frames {
            f.trace(&mut out);
        }
        out.push(Value::Obj(self.builtins));
        out.extend(self.modules.iter().map(|m| m.1));
        out.extend(self.types.iter().map(|r| Value::Obj(*r)));
        out.extend(self.exc_classes.iter().map(|r| Value::Obj(*r)));
        out.extend(self.nested_result);
        out.extend_from_slice(&self.pinned);
        out.push(self.empty_tuple);
        out.push(self.method_marker);
        out.extend(self.host_classes.iter().map(|c| Value::Obj(c.1)));
        out.extend_from_slice(&self.temp_roots);
        out
    }

    pub fn collect_garbage(&mut self) -> usize {
        let mut roots = self.roots();
        self.heap.mark(&mut roots);
        // Parked tasklets may be many: marked one by one, so no roots vector holds them all.
        self.tasklets.mark(&mut self.heap, roots);
        self.class_cache.invalidate();
        self.heap.sweep()
    }

    /// Delivers a finished call's result where its hook says.
    #[inline]
    pub fn deliver(&mut self, hook: Hook, v: Value) -> PResult<()> {
        match (hook.transform, hook.target) {
            (Transform::None, Target::Push) => {
                self.push(v);
                Ok(())
            }
            _ => self.deliver_transformed(hook, v),
        }
    }

    fn deliver_transformed(&mut self, hook: Hook, v: Value) -> PResult<()> {
        let v = match hook.transform {
            Transform::None => v,
            Transform::Init(inst) => {
                if !matches!(v, Value::None) {
                    let t = self.type_name(v);
                    return super::error::type_err(format!(
                        "__init__() should return None, not '{t}'"
                    ));
                }
                inst
            }
            Transform::Not => Value::Bool(!self.truthy(v)?),
            Transform::Bool => Value::Bool(self.truthy(v)?),
            Transform::MakeClass(..) => v,
            Transform::BinRetry(op, l, r, reflected) => {
                if !matches!(v, Value::NotImplemented) {
                    v
                } else {
                    return self.binary_retry(op, l, r, reflected, hook.target);
                }
            }
            Transform::EqRetry(l, r, negate, reflected) => {
                if matches!(v, Value::NotImplemented) {
                    return self.eq_retry(l, r, negate, reflected, hook.target);
                }
                if negate {
                    Value::Bool(!self.truthy(v)?)
                } else {
                    v
                }
            }
        };
        match hook.target {
            Target::Push => self.push(v),
            Target::Nested => self.nested_result = Some(v),
        }
        Ok(())
    }

    /// Calls `f` from native code and runs the loop until it returns.
    pub fn call_sync(
        &mut self,
        f: Value,
        args: Vec<Value>,
        kw: Vec<(Rc<str>, Value)>,
    ) -> PResult<Value> {
        if self.nested >= self.max_nested {
            return super::error::err(ExcKind::RecursionError, "maximum recursion depth exceeded");
        }
        let base = self.frames.len();
        self.nested += 1;
        self.gc_inhibit += 1;
        let r = match self.invoke(f, args, kw, Hook::NESTED) {
            Ok(()) if self.frames.len() > base => self.run_loop(base, None).map(|o| match o {
                RunOutcome::Finished(v) => v,
                RunOutcome::BudgetExhausted => Value::None,
            }),
            Ok(()) => Ok(self.nested_result.take().unwrap_or(Value::None)),
            // A frame was pushed and then an exception thrown into it (`genr.throw`).
            Err(e) if self.frames.len() > base => match self.unwind(e, base) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => self.run_loop(base, None).map(|o| match o {
                    RunOutcome::Finished(v) => v,
                    RunOutcome::BudgetExhausted => Value::None,
                }),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        self.nested -= 1;
        self.gc_inhibit -= 1;
        r
    }

    /// Runs the frame stack until the frame at index `base` returns (its result is handed
    /// back), or the budget of instructions runs out.
    pub fn run_loop(&mut self, base: usize, mut budget: Option<u64>) -> PResult<RunOutcome> {
        loop {
            if self.heap.alarm && self.gc_inhibit == 0 {
                self.collect_garbage();
                if self.heap.bytes > self.heap.limit {
                    return Err(Exc::Fatal("MemoryError: memory budget exhausted".into()));
                }
            }
            let r = match self.run_simple(&mut budget, base) {
                Ok(SimpleStop::Collect) => continue,
                Ok(SimpleStop::Return(r)) => return r,
                Ok(SimpleStop::Op) => {
                    if let Some(b) = &mut budget {
                        if *b == 0 {
                            return Ok(RunOutcome::BudgetExhausted);
                        }
                        *b -= 1;
                    }
                    let fi = self.frames.len() - 1;
                    let f = &mut self.frames[fi];
                    let op = match f.code.ops.get(f.ip) {
                        Some(op) => *op,
                        None => Op::Return,
                    };
                    f.ip += 1;
                    // A fused instruction counts as the two it stands for.
                    if let (Op::LoadFastMethod(..), Some(b)) = (op, &mut budget) {
                        *b = b.saturating_sub(1);
                    }
                    self.step(op, base)
                }
                Err(e) => Err(e),
            };
            let mut r = r;
            loop {
                match r {
                    Ok(None) => break,
                    Ok(Some(v)) => return Ok(RunOutcome::Finished(v)),
                    // The turn of the running tasklet ended; another tasklet's may begin here.
                    Err(Exc::Switch) if base == 0 => {
                        let Some(first) = self.hand_on() else {
                            return Err(Exc::Switch);
                        };
                        budget = self.tasklets.turn_budget();
                        if first.is_ok() && self.frames.is_empty() {
                            let v = self.nested_result.take().unwrap_or(Value::None);
                            return Ok(RunOutcome::Finished(v));
                        }
                        r = first.map(|()| None);
                    }
                    Err(e) => {
                        if self.frames.len() <= base {
                            return Err(e);
                        }
                        if let Some(v) = self.unwind(e, base)? {
                            return Ok(RunOutcome::Finished(v));
                        }
                        break;
                    }
                }
            }
        }
    }

    /// Runs the top frame's simple instructions (locals, constants, cached globals, jumps,
    /// range and list loops, small-int arithmetic and comparisons) in a tight loop that keeps
    /// the frame in hand, and stops before the first one that needs the whole VM: another
    /// type, an error to raise, an allocation, a call. Every instruction it runs counts
    /// against `budget` as in `run_loop`. It never allocates, so no collection falls due.
    ///
    /// Calls of cached native methods (`ch.send(x)`) are made from here too, as `step`
    /// would make them, and the loop goes on after them: leaving and entering the loop
    /// around each one cost more than the call. The error of such a call is returned for
    /// `run_loop` to handle. When such a call ends a tasklet's turn in its outermost loop
    /// (`base` 0) and the next tasklet's turn begins in place (`hand_on`), the loop goes on
    /// with the new frames, as `run_loop` would.
    #[inline(never)]
    fn run_simple(&mut self, budget: &mut Option<u64>, base: usize) -> PResult<SimpleStop> {
        // The same for every entry into the loop: read once, not after every call.
        let fixed = Fixed {
            builtins: self.builtins,
            marker: self.method_marker.as_ref(),
            channel: self.channel_methods.map(Value::as_ref),
        };
        loop {
            let Some(call) = self.run_simple_ops(budget, &fixed) else {
                return Ok(SimpleStop::Op);
            };
            // Whether the call ended the running tasklet's turn. Told apart without making
            // an `Exc` of it: a switch is what most channel calls end in.
            let switched = match call {
                SimpleCall::Unfinished(Unfinished::Switch) => true,
                SimpleCall::Unfinished(u) => return Err(self.unfinished(u, false)),
                SimpleCall::Native(f, at) => {
                    let at = at as usize;
                    match self.call_native_from_stack(f, at + 1, at) {
                        Ok(()) => false,
                        Err(Exc::Switch) => true,
                        Err(e) => return Err(e),
                    }
                }
            };
            if switched {
                if base != 0 {
                    return Err(Exc::Switch);
                }
                let Some(first) = self.hand_on() else {
                    return Ok(SimpleStop::Return(Err(Exc::Switch)));
                };
                *budget = self.tasklets.turn_budget();
                first?;
                if self.frames.is_empty() {
                    let v = self.nested_result.take().unwrap_or(Value::None);
                    return Ok(SimpleStop::Return(Ok(RunOutcome::Finished(v))));
                }
            }
            if self.heap.alarm {
                return Ok(SimpleStop::Collect);
            }
        }
    }

    /// The loop of `run_simple`; stops before an instruction it does not run, or after a
    /// `CallMethod` of a cached native method, which it returns for `run_simple` to call.
    #[inline(always)]
    fn run_simple_ops(&mut self, budget: &mut Option<u64>, fixed: &Fixed) -> Option<SimpleCall> {
        let Fixed {
            builtins,
            marker,
            channel: [send, receive],
        } = *fixed;
        let epoch = self.class_cache.epoch();
        let heap = &mut self.heap;
        let f = self.frames.last_mut()?;
        let code = &*f.code;
        // Constants are made on their first load; until then `LoadConst` takes the general
        // path, which makes them.
        let consts = code.rt_consts.get().map_or(&[][..], |c| &c[..]);
        let (stack, fast) = (&mut f.stack, &mut f.fast);
        let mut ip = f.ip;
        let mut left = budget.unwrap_or(u64::MAX);
        let mut call = None;
        while left > 0 {
            let Some(&op) = code.ops.get(ip) else { break };
            match op {
                Op::LoadFast(i) => match fast.get(i as usize) {
                    Some(Some(v)) => stack.push(*v),
                    _ => break,
                },
                // Counted as the two instructions it stands for.
                Op::LoadFastMethod(v, m) if left > 1 => {
                    let Some(&Some(obj)) = fast.get(v as usize) else {
                        break;
                    };
                    match Vm::method_hit(heap, code, epoch, obj, u32::from(m)) {
                        Some(f) => {
                            stack.push(f);
                            stack.push(obj);
                        }
                        None => break,
                    }
                    left -= 1;
                }
                Op::StoreFast(i) => match (stack.last(), fast.get_mut(i as usize)) {
                    (Some(v), Some(slot)) => {
                        *slot = Some(*v);
                        stack.pop();
                    }
                    _ => break,
                },
                Op::LoadConst(i) => match consts.get(i as usize) {
                    Some(v) => stack.push(*v),
                    None => break,
                },
                Op::LoadGlobal(i) => {
                    let cached = code.global_slot(i);
                    let version = |d: Ref| match heap.get(d) {
                        Obj::Dict(d) => d.version,
                        _ => 0,
                    };
                    match cached {
                        Some((r, gv, bv, holder, slot))
                            if r == f.globals && gv == version(r) && bv == version(builtins) =>
                        {
                            match heap.get(holder) {
                                Obj::Dict(d) => match d.value_at(slot) {
                                    Some(v) => stack.push(v),
                                    None => break,
                                },
                                _ => break,
                            }
                        }
                        _ => break,
                    }
                }
                Op::StoreGlobal(i) => {
                    let Some((r, gv, _, holder, slot)) = code.global_slot(i) else {
                        break;
                    };
                    let Some(&v) = stack.last() else { break };
                    if r != f.globals || holder != r {
                        break;
                    }
                    match heap.get_mut(holder) {
                        Obj::Dict(d) if d.version == gv => {
                            if !d.set_at(slot, v) {
                                break;
                            }
                            stack.pop();
                        }
                        _ => break,
                    }
                }
                Op::Pop => {
                    if stack.pop().is_none() {
                        break;
                    }
                }
                // A method found on the object's class before (`cached_method`).
                Op::LoadMethod(i) => {
                    let Some(&obj) = stack.last() else { break };
                    match Vm::method_hit(heap, code, epoch, obj, i) {
                        Some(f) => {
                            if let Some(top) = stack.last_mut() {
                                *top = f;
                            }
                            stack.push(obj);
                        }
                        None => break,
                    }
                }
                Op::Jump(t) => {
                    ip = t as usize;
                    left -= 1;
                    continue;
                }
                Op::PopJumpIfFalse(t) | Op::PopJumpIfTrue(t) => {
                    let b = match stack.last() {
                        Some(Value::Bool(b)) => *b,
                        Some(Value::Int(n)) => *n != 0,
                        Some(Value::None) => false,
                        _ => break,
                    };
                    stack.pop();
                    if b == matches!(op, Op::PopJumpIfTrue(_)) {
                        ip = t as usize;
                        left -= 1;
                        continue;
                    }
                }
                Op::Compare(c) => {
                    let n = stack.len();
                    let (Some(Value::Int(x)), Some(Value::Int(y))) =
                        (stack.get(n.wrapping_sub(2)), stack.get(n.wrapping_sub(1)))
                    else {
                        break;
                    };
                    let v = match c {
                        CmpOp::Lt => x < y,
                        CmpOp::Le => x <= y,
                        CmpOp::Gt => x > y,
                        CmpOp::Ge => x >= y,
                        CmpOp::Eq => x == y,
                        CmpOp::Ne => x != y,
                        _ => break,
                    };
                    stack.truncate(n - 2);
                    stack.push(Value::Bool(v));
                }
                Op::Binary(b) | Op::Inplace(b) => {
                    let n = stack.len();
                    let (Some(Value::Int(x)), Some(Value::Int(y))) =
                        (stack.get(n.wrapping_sub(2)), stack.get(n.wrapping_sub(1)))
                    else {
                        break;
                    };
                    let Some(v) = small_int_op(b, *x, *y) else {
                        break;
                    };
                    stack.truncate(n - 2);
                    stack.push(Value::Int(v));
                }
                Op::ForIter(t) => {
                    let Some(Value::Obj(it)) = stack.last() else {
                        break;
                    };
                    let Obj::Iter(st) = heap.get(*it) else {
                        break;
                    };
                    let next = match **st {
                        IterState::Range(cur, stop, step) => {
                            if (step > 0 && cur < stop) || (step < 0 && cur > stop) {
                                Some((Value::Int(cur), cur.saturating_add(step)))
                            } else {
                                None
                            }
                        }
                        IterState::Seq(Value::Obj(seq), i) => {
                            let item = match heap.get(seq) {
                                Obj::List(v) => v.get(i),
                                Obj::Tuple(v) => v.get(i),
                                _ => break,
                            };
                            item.map(|v| (*v, i as i64 + 1))
                        }
                        _ => break,
                    };
                    let it = *it;
                    match next {
                        Some((v, advanced)) => {
                            if let Obj::Iter(st) = heap.get_mut(it) {
                                match &mut **st {
                                    IterState::Range(cur, ..) => *cur = advanced,
                                    IterState::Seq(_, i) => *i = advanced as usize,
                                    _ => {}
                                }
                            }
                            // `for local in ...`: the item goes straight to the local, one
                            // dispatch for the pair (counted as two instructions).
                            if left > 1
                                && let Some(&Op::StoreFast(j)) = code.ops.get(ip + 1)
                                && let Some(slot) = fast.get_mut(j as usize)
                            {
                                *slot = Some(v);
                                ip += 2;
                                left -= 2;
                                continue;
                            }
                            stack.push(v);
                        }
                        None => {
                            stack.pop();
                            ip = t as usize;
                            left -= 1;
                            continue;
                        }
                    }
                }
                // `[method, self, args...]` of a native method `LoadMethod` found cached.
                Op::CallMethod(n) => {
                    let n = n as usize;
                    let Some(at) = stack.len().checked_sub(n + 2) else {
                        break;
                    };
                    let Some(&Value::Obj(c)) = stack.get(at) else {
                        break;
                    };
                    // Channel traffic, the switching a script does most, is made here (the
                    // two natives are known), and the loop goes on after an exchange that
                    // does not switch: the receive of a ping-pong finds its sender waiting.
                    // One that needs a look ahead (a callback) takes the general path.
                    let exchange = (n == 1 && Some(c) == send) || (n == 0 && Some(c) == receive);
                    if exchange {
                        if needs_look_ahead(&self.tasklets, self.nested) {
                            break;
                        }
                        let Some(&chan) = stack.get(at + 1) else {
                            break;
                        };
                        let r = if n == 1 {
                            let Some(&v) = stack.get(at + 2) else {
                                break;
                            };
                            self.tasklets
                                .send_exchange(&*heap, Hook::PUSH, chan, v, false, true)
                                .map(|()| Value::None)
                        } else {
                            self.tasklets
                                .receive_exchange(&*heap, Hook::PUSH, chan, false, true)
                        };
                        // Cut back only now: a sent value stays rooted while it is sent.
                        stack.truncate(at);
                        ip += 1;
                        left -= 1;
                        match r {
                            // A call statement's result is dropped as it comes: the `Pop`
                            // after it is taken here, and counted.
                            Ok(_) if left > 0 && code.ops.get(ip) == Some(&Op::Pop) => {
                                ip += 1;
                                left -= 1;
                                continue;
                            }
                            Ok(v) => {
                                stack.push(v);
                                continue;
                            }
                            Err(u) => {
                                call = Some(SimpleCall::Unfinished(u));
                                break;
                            }
                        }
                    }
                    if n + 1 > super::call::NATIVE_ARGS || Some(c) == marker {
                        break;
                    }
                    let Obj::Native(native) = heap.get(c) else {
                        break;
                    };
                    if native.bound.is_some() {
                        break;
                    }
                    let Ok(at) = u32::try_from(at) else { break };
                    call = Some(SimpleCall::Native(native.f, at));
                    ip += 1;
                    left -= 1;
                    break;
                }
                _ => break,
            }
            ip += 1;
            left -= 1;
        }
        f.ip = ip;
        if let Some(b) = budget {
            *b = left;
        }
        call
    }

    #[cold]
    fn unbound_local(&mut self, i: u32) -> Exc {
        let name = self.top().code.varnames[i as usize].clone();
        Exc::New(
            ExcKind::UnboundLocalError,
            format!(
                "cannot access local variable '{name}' where it is not associated with a value"
            ),
        )
    }

    /// `LoadMethod(i)` on the object on top of the stack.
    #[inline]
    fn load_method(&mut self, i: u32) -> PResult<()> {
        let obj = self.pop();
        if let Some(f) = self.cached_method(obj, i) {
            self.push(f);
            self.push(obj);
            return Ok(());
        }
        let name = self.top().code.names[i as usize].clone();
        if let Some(t) = obj.as_ref().and_then(|r| self.builtin_kind(r))
            && let Some(f) = self.unbound_builtin(t, &name)
        {
            // Cached as a class's method is: the next call finds it in the fast loop.
            if let Value::Obj(fr) = f {
                let epoch = self.class_cache.epoch();
                let slot = (Receiver::Builtin(t), epoch, fr);
                self.top().code.set_method_slot(i, slot);
            }
            self.push(f);
            self.push(obj);
            return Ok(());
        }
        match self.plain_method(obj, &name) {
            Some(f) => {
                if let (Some(c), Value::Obj(fr)) = (self.class_of_plain(obj), f) {
                    let epoch = self.class_cache.epoch();
                    let slot = (Receiver::Class(c), epoch, fr);
                    self.top().code.set_method_slot(i, slot);
                }
                self.push(f);
                self.push(obj);
            }
            None => {
                // Marker first: a property getter's result arrives on the stack later.
                let m = self.method_marker;
                self.push(m);
                self.load_attr(obj, &name)?;
            }
        }
        Ok(())
    }

    /// Executes one instruction. `Ok(Some(v))`: the frame at `base` returned `v`.
    #[inline(always)]
    fn step(&mut self, op: Op, base: usize) -> PResult<Option<Value>> {
        match op {
            Op::Nop => {}
            Op::LoadConst(i) => {
                let v = self.load_const(i as usize);
                self.push(v);
            }
            Op::LoadFast(i) => match self.top().fast[i as usize] {
                Some(v) => self.push(v),
                None => return Err(self.unbound_local(i)),
            },
            Op::LoadFastMethod(v, m) => match self.top().fast[v as usize] {
                Some(obj) => {
                    self.push(obj);
                    self.load_method(u32::from(m))?;
                }
                None => return Err(self.unbound_local(u32::from(v))),
            },
            Op::StoreFast(i) => {
                let v = self.pop();
                self.top().fast[i as usize] = Some(v);
            }
            Op::DeleteFast(i) => {
                if self.top().fast[i as usize].take().is_none() {
                    let name = self.top().code.varnames[i as usize].clone();
                    return super::error::err(
                        ExcKind::UnboundLocalError,
                        format!(
                            "cannot access local variable '{name}' where it is not associated with a value"
                        ),
                    );
                }
            }
            Op::LoadDeref(i) => {
                let c = self.top().cells[i as usize];
                match self.heap.get(c) {
                    Obj::Cell(Some(v)) => {
                        let v = *v;
                        self.push(v)
                    }
                    _ => {
                        let name = self.deref_name(i);
                        return super::error::err(
                            ExcKind::NameError,
                            format!(
                                "free variable '{name}' referenced before assignment in enclosing scope"
                            ),
                        );
                    }
                }
            }
            Op::StoreDeref(i) => {
                let v = self.pop();
                let c = self.top().cells[i as usize];
                *self.heap.get_mut(c) = Obj::Cell(Some(v));
            }
            Op::DeleteDeref(i) => {
                let c = self.top().cells[i as usize];
                *self.heap.get_mut(c) = Obj::Cell(None);
            }
            Op::LoadClosure(i) => {
                let c = self.top().cells[i as usize];
                self.push(Value::Obj(c));
            }
            Op::LoadGlobal(i) => {
                let g = self.top().globals;
                // A cache hit is served by `run_simple`; here the name is looked up and the
                // cache refreshed.
                let versions = (self.dict_version(g), self.dict_version(self.builtins));
                let name = self.top().code.names[i as usize].clone();
                let v = self.load_global(g, &name)?;
                let key = super::dict::HashKey::Str(name);
                let found = [g, self.builtins]
                    .into_iter()
                    .find_map(|d| match self.heap.get(d) {
                        Obj::Dict(x) => x.slot_of(&key).map(|s| (d, s)),
                        _ => None,
                    });
                if let Some((holder, slot)) = found {
                    let code = self.top().code.clone();
                    code.set_global_slot(i, (g, versions.0, versions.1, holder, slot));
                }
                self.push(v);
            }
            Op::StoreGlobal(i) => {
                let name = self.top().code.names[i as usize].clone();
                let v = self.pop();
                let g = self.top().globals;
                self.dict_set_str(g, &name, v);
                // Cache the slot, so that the next store to this name (a loop variable at
                // module level) is done in `run_simple`.
                let slot = match self.heap.get(g) {
                    Obj::Dict(d) => d.slot_of(&super::dict::HashKey::Str(name)),
                    _ => None,
                };
                if let Some(slot) = slot {
                    let versions = (self.dict_version(g), self.dict_version(self.builtins));
                    let code = self.top().code.clone();
                    code.set_global_slot(i, (g, versions.0, versions.1, g, slot));
                }
            }
            Op::DeleteGlobal(i) => {
                let name = self.top().code.names[i as usize].clone();
                let g = self.top().globals;
                if !self.dict_del_str(g, &name) {
                    return super::error::err(
                        ExcKind::NameError,
                        format!("name '{name}' is not defined"),
                    );
                }
            }
            Op::LoadName(i) => {
                let name = self.top().code.names[i as usize].clone();
                let ns = self.top().ns;
                if let Some(v) = ns.and_then(|ns| self.dict_get_str(ns, &name)) {
                    self.push(v);
                } else {
                    let g = self.top().globals;
                    let v = self.load_global(g, &name)?;
                    self.push(v);
                }
            }
            Op::StoreName(i) => {
                let name = self.top().code.names[i as usize].clone();
                let v = self.pop();
                let ns = self.top().ns.unwrap_or(self.top().globals);
                self.dict_set_str(ns, &name, v);
            }
            Op::DeleteName(i) => {
                let name = self.top().code.names[i as usize].clone();
                let ns = self.top().ns.unwrap_or(self.top().globals);
                if !self.dict_del_str(ns, &name) {
                    return super::error::err(
                        ExcKind::NameError,
                        format!("name '{name}' is not defined"),
                    );
                }
            }
            Op::LoadAttr(i) => {
                let name = self.top().code.names[i as usize].clone();
                let obj = self.pop();
                if !self.load_instance_attr(obj, &name) {
                    self.load_attr(obj, &name)?;
                }
            }
            Op::LoadMethod(i) => self.load_method(i)?,
            Op::CallMethod(n) => {
                let n = n as usize;
                let s = &self.top().stack;
                let len = s.len();
                let marker = s.get(len.wrapping_sub(n + 2)).copied();
                let done = match marker {
                    // [marker, callable, args...]
                    Some(m) if m.is(self.method_marker) => {
                        self.call_from_stack(len - n - 1, len - n - 2)
                    }
                    // [function, self, args...]
                    Some(_) => self.call_from_stack(len - n - 2, len - n - 2),
                    None => None,
                };
                if let Some(r) = done {
                    r?;
                    return Ok(None);
                }
                let mut args = self.popn(n + 1);
                let b = args.remove(0);
                let a = self.pop();
                if a.is(self.method_marker) {
                    self.invoke(b, args, Vec::new(), Hook::PUSH)?;
                } else {
                    args.insert(0, b);
                    self.invoke(a, args, Vec::new(), Hook::PUSH)?;
                }
            }
            Op::StoreAttr(i) => {
                let name = self.top().code.names[i as usize].clone();
                let obj = self.pop();
                let v = self.pop();
                self.store_attr(obj, &name, v)?;
            }
            Op::DeleteAttr(i) => {
                let name = self.top().code.names[i as usize].clone();
                let obj = self.pop();
                self.delete_attr(obj, &name)?;
            }
            Op::Subscr => {
                let k = self.pop();
                let o = self.pop();
                self.subscr(o, k)?;
            }
            Op::StoreSubscr => {
                let k = self.pop();
                let o = self.pop();
                let v = self.pop();
                self.store_subscr(o, k, v)?;
            }
            Op::DeleteSubscr => {
                let k = self.pop();
                let o = self.pop();
                self.delete_subscr(o, k)?;
            }
            Op::Pop => {
                self.pop();
            }
            Op::Dup => {
                let v = self.peek(0);
                self.push(v);
            }
            Op::Dup2 => {
                let a = self.peek(1);
                let b = self.peek(0);
                self.push(a);
                self.push(b);
            }
            Op::Rot2 => {
                let s = &mut self.top().stack;
                let n = s.len();
                s.swap(n - 1, n - 2);
            }
            Op::Rot3 => {
                let v = self.pop();
                let s = &mut self.top().stack;
                let n = s.len();
                s.insert(n - 2, v);
            }
            Op::Binary(b) | Op::Inplace(b) => {
                let r = self.pop();
                let l = self.pop();
                // The commonest case inline; everything else (overflow included) in ops.rs.
                if let (Value::Int(x), Value::Int(y)) = (l, r) {
                    let v = match b {
                        BinOp::Add => x.checked_add(y),
                        BinOp::Sub => x.checked_sub(y),
                        _ => None,
                    };
                    if let Some(v) = v {
                        self.push(Value::Int(v));
                        return Ok(None);
                    }
                }
                self.binary_op(l, r, b, matches!(op, Op::Inplace(_)))?;
            }
            Op::Unary(u) => {
                let v = self.pop();
                self.unary_op(v, u)?;
            }
            Op::Compare(c) => {
                let r = self.pop();
                let l = self.pop();
                if let (Value::Int(x), Value::Int(y)) = (l, r) {
                    let v = match c {
                        CmpOp::Lt => Some(x < y),
                        CmpOp::Le => Some(x <= y),
                        CmpOp::Gt => Some(x > y),
                        CmpOp::Ge => Some(x >= y),
                        CmpOp::Eq => Some(x == y),
                        CmpOp::Ne => Some(x != y),
                        _ => None,
                    };
                    if let Some(v) = v {
                        self.push(Value::Bool(v));
                        return Ok(None);
                    }
                }
                self.compare_op(l, r, c)?;
            }
            Op::Jump(t) => self.top().ip = t as usize,
            Op::PopJumpIfFalse(t) | Op::PopJumpIfTrue(t) => {
                let v = self.pop();
                let b = self.truthy(v)?;
                if b == matches!(op, Op::PopJumpIfTrue(_)) {
                    self.top().ip = t as usize;
                }
            }
            Op::JumpIfFalseOrPop(t) | Op::JumpIfTrueOrPop(t) => {
                let v = self.peek(0);
                let b = self.truthy(v)?;
                if b == matches!(op, Op::JumpIfTrueOrPop(_)) {
                    self.top().ip = t as usize;
                } else {
                    self.pop();
                }
            }
            Op::GetIter => {
                let v = self.pop();
                self.get_iter_op(v)?;
            }
            Op::ForIter(t) => {
                let it = self.peek(0);
                self.for_iter(it, t)?;
            }
            Op::SendIter(t) => {
                let v = self.peek(0);
                let it = self.peek(1);
                self.send_iter(it, v, t)?;
            }
            Op::BuildTuple(n) => {
                let items = self.popn(n as usize);
                let t = self.new_tuple(items);
                self.push(t);
            }
            Op::BuildList(n) => {
                let items = self.popn(n as usize);
                let l = self.alloc(Obj::List(items));
                self.push(l);
            }
            Op::BuildSet(n) => {
                let items = self.popn(n as usize);
                let s = self.new_set(items, false)?;
                self.push(s);
            }
            Op::BuildMap(n) => {
                let items = self.popn(2 * n as usize);
                let d = self.new_dict();
                for kv in items.chunks(2) {
                    self.dict_set(d, kv[0], kv[1])?;
                }
                self.push(d);
            }
            Op::BuildSlice(n) => {
                let step = if n == 3 { self.pop() } else { Value::None };
                let hi = self.pop();
                let lo = self.pop();
                let s = self.alloc(Obj::Slice(lo, hi, step));
                self.push(s);
            }
            Op::BuildString(n) => {
                let items = self.popn(n as usize);
                let mut s = String::new();
                for v in items {
                    if let Some(p) = self.str_val(v) {
                        s.push_str(&p);
                    }
                }
                let v = self.new_str(s);
                self.push(v);
            }
            Op::ListAppend(n)
            | Op::ListExtend(n)
            | Op::SetAdd(n)
            | Op::SetUpdate(n)
            | Op::DictUpdate(n) => {
                let v = self.pop();
                let c = self.peek(n as usize - 1);
                self.container_add(op, c, v)?;
            }
            Op::MapAdd(n) => {
                let v = self.pop();
                let k = self.pop();
                let d = self.peek(n as usize - 1);
                self.dict_set(d, k, v)?;
            }
            Op::ListToTuple => {
                let l = self.pop();
                let items = self.list_items(l);
                let t = self.new_tuple(items);
                self.push(t);
            }
            Op::FormatValue(conv, has_spec) => {
                let spec = if has_spec { self.pop() } else { Value::None };
                let v = self.pop();
                let s = self.format_value(v, conv, spec)?;
                let s = self.new_str(s);
                self.push(s);
            }
            Op::UnpackSequence(n) => {
                let v = self.pop();
                let items = self.unpack(v, n as usize)?;
                for x in items.into_iter().rev() {
                    self.push(x);
                }
            }
            Op::UnpackEx(before, after) => {
                let v = self.pop();
                let items = self.iterate(v)?;
                let (b, a) = (before as usize, after as usize);
                if items.len() < b + a {
                    return super::error::value_err(format!(
                        "not enough values to unpack (expected at least {}, got {})",
                        b + a,
                        items.len()
                    ));
                }
                let mid = self.alloc(Obj::List(items[b..items.len() - a].to_vec()));
                for x in items[items.len() - a..].iter().rev() {
                    self.push(*x);
                }
                self.push(mid);
                for x in items[..b].iter().rev() {
                    self.push(*x);
                }
            }
            Op::Call(n) => {
                let len = self.top().stack.len();
                if let Some(at) = len.checked_sub(n as usize + 1)
                    && let Some(r) = self.call_from_stack(at, at)
                {
                    r?;
                    return Ok(None);
                }
                let args = self.popn(n as usize);
                let f = self.pop();
                self.invoke(f, args, Vec::new(), Hook::PUSH)?;
            }
            Op::CallKw(n) => {
                let names = self.pop();
                let names = self.tuple_items(names);
                let mut args = self.popn(n as usize);
                let f = self.pop();
                let kwv = args.split_off(args.len() - names.len());
                let kw = names
                    .iter()
                    .zip(kwv)
                    .map(|(k, v)| (self.str_val(*k).unwrap_or_default(), v))
                    .collect();
                self.invoke(f, args, kw, Hook::PUSH)?;
            }
            Op::CallEx => {
                let kwargs = self.pop();
                let args = self.pop();
                let f = self.pop();
                let args = self.tuple_items(args).to_vec();
                let kw = self.kwargs_from(kwargs)?;
                self.invoke(f, args, kw, Hook::PUSH)?;
            }
            Op::MakeFunction(idx, flags) => {
                let closure = if flags & 4 != 0 {
                    self.pop()
                } else {
                    Value::None
                };
                let kwdefaults = if flags & 2 != 0 {
                    self.pop()
                } else {
                    Value::None
                };
                let defaults = if flags & 1 != 0 {
                    self.pop()
                } else {
                    Value::None
                };
                let code = self.top().code.codes[idx as usize].clone();
                let f = self.make_function(code, defaults, kwdefaults, closure)?;
                self.push(f);
            }
            Op::BuildClass => {
                let name = self.pop();
                let bases = self.pop();
                let body = self.pop();
                self.start_class_body(body, bases, name)?;
            }
            Op::Return => {
                let v = self.pop();
                return self.return_value(v, base);
            }
            Op::Yield => {
                let v = self.pop();
                return self.yield_value(v, base);
            }
            Op::SetupExcept(t) => {
                let f = self.top();
                let b = Block {
                    handler: t,
                    depth: f.stack.len() as u32,
                    handling: f.handling.len() as u32,
                };
                f.blocks.push(b);
            }
            Op::PopBlock => {
                self.top().blocks.pop();
            }
            Op::PopExcept => {
                self.top().handling.pop();
            }
            Op::Raise(n) => return Err(self.raise_op(n)?),
            Op::Reraise => {
                let e = self.pop();
                self.top().handling.pop();
                self.reraising = true;
                return Err(Exc::Obj(e));
            }
            Op::ExcMatch => {
                let t = self.pop();
                let e = self.peek(0);
                let m = self.exc_matches(e, t)?;
                self.push(Value::Bool(m));
            }
            Op::WithEnter => {
                let cm = self.pop();
                let exit = self.get_attr(cm, "__exit__")?;
                let enter = self.get_attr(cm, "__enter__")?;
                self.push(exit);
                self.invoke(enter, Vec::new(), Vec::new(), Hook::PUSH)?;
            }
            Op::WithExit => {
                let e = self.peek(0);
                let exit = self.peek(1);
                let t = self.type_of(e);
                self.invoke(
                    exit,
                    vec![Value::Obj(t), e, Value::None],
                    Vec::new(),
                    Hook::PUSH,
                )?;
            }
            Op::Import(i) => {
                let name = self.top().code.names[i as usize].clone();
                let m = self.import(&name)?;
                self.push(m);
            }
            Op::ImportFrom(i) => {
                let name = self.top().code.names[i as usize].clone();
                let m = self.peek(0);
                match self.get_attr(m, &name) {
                    Ok(v) => self.push(v),
                    Err(_) => {
                        let mname = self.module_name(m);
                        return super::error::err(
                            ExcKind::ImportError,
                            format!("cannot import name '{name}' from '{mname}'"),
                        );
                    }
                }
            }
            Op::ImportStar => {
                let m = self.pop();
                self.import_star(m)?;
            }
            Op::LoadAssertionError => {
                let c = self.exc_classes[ExcKind::AssertionError as usize];
                self.push(Value::Obj(c));
            }
        }
        Ok(None)
    }

    fn deref_name(&mut self, i: u32) -> Rc<str> {
        let c = &self.top().code;
        let i = i as usize;
        if i < c.cellvars.len() {
            c.cellvars[i].clone()
        } else {
            c.freevars[i - c.cellvars.len()].clone()
        }
    }

    pub fn load_const(&mut self, i: usize) -> Value {
        if let Some(v) = self.top().code.rt_consts.get().and_then(|c| c.get(i)) {
            return *v;
        }
        let code = self.top().code.clone();
        if code.rt_consts.get().is_none() {
            let vals: Vec<Value> = code.consts.iter().map(|c| self.const_value(c)).collect();
            let _ = code.rt_consts.set(vals);
        }
        code.rt_consts
            .get()
            .and_then(|c| c.get(i).copied())
            .unwrap_or(Value::None)
    }
}

/// Python's int arithmetic on two i64s, or None when the result needs the general path
/// (overflow into a big int, a zero divisor, a float result, an unusual operator).
#[inline(always)]
fn small_int_op(op: BinOp, x: i64, y: i64) -> Option<i64> {
    match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        BinOp::FloorDiv => {
            let q = x.checked_div(y)?;
            Some(if (x % y != 0) && ((x < 0) != (y < 0)) {
                q - 1
            } else {
                q
            })
        }
        BinOp::Mod => {
            let r = x.checked_rem(y)?;
            Some(if r != 0 && ((r < 0) != (y < 0)) {
                r + y
            } else {
                r
            })
        }
        BinOp::BitAnd => Some(x & y),
        BinOp::BitOr => Some(x | y),
        BinOp::BitXor => Some(x ^ y),
        _ => None,
    }
}
