//! Calls: binding arguments to parameters, pushing frames, constructing instances, and
//! resuming generators.

use std::rc::Rc;

use super::error::{Exc, ExcKind, PResult, err, type_err};
use super::interp::{Frame, Hook, Target, Transform, Vm};
use super::op::Code;
use super::value::*;

/// The most arguments [`Vm::call_from_stack`] hands a native without a vector.
pub(super) const NATIVE_ARGS: usize = 6;

impl Vm {
    pub fn make_function(
        &mut self,
        code: Rc<Code>,
        defaults: Value,
        kwdefaults: Value,
        closure: Value,
    ) -> PResult<Value> {
        let defaults = self.list_items(defaults);
        let mut kwd = Vec::new();
        if let Value::Obj(r) = kwdefaults
            && let Obj::Dict(d) = self.heap.get(r)
        {
            for (k, v) in d.iter() {
                if let Some(k) = self.str_val(k) {
                    kwd.push((k, v));
                }
            }
        }
        let closure: Vec<Ref> = self
            .list_items(closure)
            .iter()
            .filter_map(|v| v.as_ref())
            .collect();
        let globals = self.top().globals;
        Ok(self.alloc(Obj::Function(Box::new(Function {
            code,
            globals,
            defaults: defaults.into(),
            kwdefaults: kwd.into(),
            closure: closure.into(),
            class: None,
        }))))
    }

    /// Calls `f`. Natives run now and their result is delivered through `hook`; Python
    /// functions get a frame pushed and deliver through `hook` when they return.
    pub fn invoke(
        &mut self,
        f: Value,
        mut args: Vec<Value>,
        kw: Vec<(Rc<str>, Value)>,
        hook: Hook,
    ) -> PResult<()> {
        let Value::Obj(r) = f else {
            let t = self.type_name(f);
            return type_err(format!("'{t}' object is not callable"));
        };
        match self.heap.get(r) {
            Obj::Function(_) => self.call_function(r, args, kw, hook),
            Obj::Native(n) => {
                let (func, bound) = (n.f, n.bound);
                if let Some(b) = bound {
                    args.insert(0, b);
                }
                self.pending_hook = hook;
                // The arguments left the VM stack: keep them alive while the native runs.
                let mark = self.temp_roots.len();
                self.temp_roots.extend_from_slice(&args);
                self.temp_roots.extend(kw.iter().map(|k| k.1));
                let r = func(self, &args, &kw);
                self.temp_roots.truncate(mark);
                match r {
                    Ok(v) => self.deliver(hook, v),
                    Err(Exc::FramePushed) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            Obj::BoundMethod(s, m) => {
                let (s, m) = (*s, *m);
                args.insert(0, s);
                self.invoke(m, args, kw, hook)
            }
            Obj::Class(c) => {
                if let Some(t) = c.builtin {
                    let mark = self.temp_roots.len();
                    self.temp_roots.extend_from_slice(&args);
                    self.temp_roots.extend(kw.iter().map(|k| k.1));
                    let v = super::builtins::construct(self, t, r, &args, &kw);
                    self.temp_roots.truncate(mark);
                    return self.deliver(hook, v?);
                }
                let (inst, init) = self.new_instance(r, &args);
                match init {
                    Some(init) => {
                        args.insert(0, inst);
                        let h = Hook {
                            target: hook.target,
                            transform: Transform::Init(inst),
                        };
                        match hook.transform {
                            Transform::None => self.invoke(init, args, kw, h),
                            // Rare (e.g. `not Cls()`): run __init__ nested, then apply the hook.
                            _ => {
                                self.call_sync(init, args, kw)?;
                                self.deliver(hook, inst)
                            }
                        }
                    }
                    None => {
                        if (!args.is_empty() || !kw.is_empty()) && !self.class_is_exception(r) {
                            let n = self.class_name(r);
                            return type_err(format!("{n}() takes no arguments"));
                        }
                        self.deliver(hook, inst)
                    }
                }
            }
            Obj::Instance(_) | Obj::Host(..) => {
                let class = match self.heap.get(r) {
                    Obj::Instance(i) => i.class,
                    Obj::Host(c, _) => *c,
                    _ => return type_err("not callable"),
                };
                match self.class_lookup(class, "__call__") {
                    Some(c) => {
                        args.insert(0, f);
                        self.invoke(c, args, kw, hook)
                    }
                    None => {
                        let t = self.class_name(class);
                        type_err(format!("'{t}' object is not callable"))
                    }
                }
            }
            _ => {
                let t = self.type_name(f);
                type_err(format!("'{t}' object is not callable"))
            }
        }
    }

    /// The common call, without an argument vector: the callee at `func_at` in the caller's
    /// stack is a Python function taking the positional arguments above it, a class whose
    /// `__init__` is one, or an unbound native. Moves those arguments straight into a new
    /// frame (or hands them to the native) and pops the caller's stack down to `drop_from`.
    /// None, with nothing changed, when the call needs the general path.
    #[inline]
    pub(super) fn call_from_stack(
        &mut self,
        func_at: usize,
        drop_from: usize,
    ) -> Option<PResult<()>> {
        let fi = self.frames.len() - 1;
        let caller = &self.frames[fi].stack;
        let Some(&Value::Obj(callee)) = caller.get(func_at) else {
            return None;
        };
        let nargs = caller.len() - func_at - 1;
        match self.heap.get(callee) {
            Obj::Native(n) if n.bound.is_none() && nargs <= NATIVE_ARGS => {
                Some(self.call_native_from_stack(n.f, func_at + 1, drop_from))
            }
            Obj::Function(_) => {
                if !self.takes_simply(callee, nargs) {
                    return None;
                }
                self.push_frame_from_stack(callee, func_at + 1, drop_from, Hook::PUSH);
                Some(Ok(()))
            }
            Obj::Class(c) if c.builtin.is_none() => {
                // `Cls(args)`: the instance takes the class's place as `self`, and the
                // frame's hook hands the instance back when `__init__` returns.
                let Some(Value::Obj(init)) = self.class_lookup(callee, "__init__") else {
                    return None;
                };
                if !self.takes_simply(init, nargs + 1) || self.class_is_exception(callee) {
                    return None;
                }
                let inst = self.alloc(Obj::Instance(Box::new(Instance {
                    class: callee,
                    dict: AttrMap::default(),
                    exc: None,
                })));
                self.frames[fi].stack[func_at] = inst;
                let hook = Hook {
                    target: Target::Push,
                    transform: Transform::Init(inst),
                };
                self.push_frame_from_stack(init, func_at, drop_from, hook);
                Some(Ok(()))
            }
            _ => None,
        }
    }

    /// Calls native `f` with the caller's stack from `args_from` up (at most
    /// [`NATIVE_ARGS`] values) as its arguments, then pops the stack down to `drop_from`
    /// and pushes the result. The arguments stay on the stack while it runs, which keeps
    /// them rooted.
    pub(super) fn call_native_from_stack(
        &mut self,
        f: NativeFn,
        args_from: usize,
        drop_from: usize,
    ) -> PResult<()> {
        let fi = self.frames.len() - 1;
        let mut buf = [Value::None; NATIVE_ARGS];
        let src = &self.frames[fi].stack[args_from..];
        let n = src.len();
        // Copied value by value up to the fixed bound: a copy of a run-time length would be
        // a call to memcpy, which costs more than these few.
        for i in 0..NATIVE_ARGS {
            if i < n {
                buf[i] = src[i];
            }
        }
        self.pending_hook = Hook::PUSH;
        let r = f(self, &buf[..n], &[]);
        // The caller's frame is where it was: natives push frames above it or run nested
        // loops that pop only their own, and a switch moves the frame stack away only
        // after this returns.
        if let Some(frame) = self.frames.get_mut(fi) {
            frame.stack.truncate(drop_from);
        }
        match r {
            Ok(v) => {
                self.push(v);
                Ok(())
            }
            Err(Exc::FramePushed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `f` is a Python function that `nargs` positional arguments bind to without keyword
    /// matching: defaults for the rest and possibly an empty `*args`, but no `**kw`,
    /// keyword-only arguments, cells or generator; and the call stays within the limit.
    fn takes_simply(&self, f: Ref, nargs: usize) -> bool {
        let Obj::Function(func) = self.heap.get(f) else {
            return false;
        };
        let code = &func.code;
        let argc = code.argcount as usize;
        nargs <= argc
            && nargs + func.defaults.len() >= argc
            && code.kwonlycount == 0
            && !code.flags.varkw
            && !code.flags.generator
            && code.cellvars.is_empty()
            && self.frames.len() < self.recursion_limit
    }

    /// Pushes the frame of `f` (checked by `takes_simply`) with the caller's stack from
    /// `args_from` up as its arguments, then pops the caller's stack down to `drop_from`.
    fn push_frame_from_stack(&mut self, f: Ref, args_from: usize, drop_from: usize, hook: Hook) {
        let Obj::Function(func) = self.heap.get(f) else {
            return;
        };
        let (code, globals, cells) = (func.code.clone(), func.globals, func.closure.to_vec());
        let defaults = &func.defaults;
        let fi = self.frames.len() - 1;
        let (stack, mut fast) = self.frame_pool.pop().unwrap_or_default();
        let caller = &mut self.frames[fi].stack;
        let nargs = caller.len() - args_from;
        fast.extend(caller[args_from..].iter().map(|v| Some(*v)));
        let first_default = code.argcount as usize - defaults.len();
        fast.extend(defaults[nargs - first_default..].iter().map(|v| Some(*v)));
        if code.flags.varargs {
            fast.push(Some(self.empty_tuple));
        }
        fast.resize(code.varnames.len(), None);
        caller.truncate(drop_from);
        let frame = Frame::call(code, (stack, fast), cells, globals, f, hook);
        self.frames.push(frame);
    }

    fn call_function(
        &mut self,
        fr: Ref,
        args: Vec<Value>,
        kw: Vec<(Rc<str>, Value)>,
        hook: Hook,
    ) -> PResult<()> {
        if self.frames.len() >= self.recursion_limit {
            return err(ExcKind::RecursionError, "maximum recursion depth exceeded");
        }
        let frame = self.bind_args(fr, args, kw, hook)?;
        if frame.code.flags.generator {
            let name = frame.code.name.clone();
            let g = self.alloc(Obj::Generator(Box::new(Generator {
                frame: Some(Box::new(frame)),
                running: false,
                finished: false,
                name,
            })));
            if let (Value::Obj(gr), Some(Obj::Generator(genr))) =
                (g, g.as_ref().map(|r| self.heap.get_mut(r)))
                && let Some(f) = &mut genr.frame
            {
                f.genr = Some(gr);
            }
            return self.deliver(hook, g);
        }
        self.frames.push(frame);
        Ok(())
    }

    fn bind_args(
        &mut self,
        fr: Ref,
        args: Vec<Value>,
        kw: Vec<(Rc<str>, Value)>,
        hook: Hook,
    ) -> PResult<Frame> {
        let Obj::Function(f) = self.heap.get(fr) else {
            return type_err("not a function");
        };
        let code = f.code.clone();
        let globals = f.globals;
        let defaults = f.defaults.clone();
        let kwdefaults = f.kwdefaults.clone();
        let closure = f.closure.clone();
        let name = code.qualname.clone();
        let argc = code.argcount as usize;
        let kwonly = code.kwonlycount as usize;
        let (stack, mut fast) = self.frame_pool.pop().unwrap_or_default();
        fast.resize(code.varnames.len(), None);
        let npos = args.len().min(argc);
        for (i, a) in args.iter().take(npos).enumerate() {
            fast[i] = Some(*a);
        }
        let mut extra = Vec::new();
        if args.len() > argc {
            if !code.flags.varargs {
                let given = args.len();
                let takes = if defaults.is_empty() {
                    format!("{argc}")
                } else {
                    format!("from {} to {}", argc - defaults.len(), argc)
                };
                return type_err(format!(
                    "{name}() takes {takes} positional argument{} but {given} {} given",
                    if argc == 1 && defaults.is_empty() {
                        ""
                    } else {
                        "s"
                    },
                    if given == 1 { "was" } else { "were" }
                ));
            }
            extra = args[argc..].to_vec();
        }
        let mut kwextra = Vec::new();
        for (k, v) in kw {
            match code.varnames[..argc + kwonly].iter().position(|n| *n == k) {
                Some(i) => {
                    if fast[i].is_some() {
                        return type_err(format!(
                            "{name}() got multiple values for argument '{k}'"
                        ));
                    }
                    fast[i] = Some(v);
                }
                None => {
                    if !code.flags.varkw {
                        return type_err(format!(
                            "{name}() got an unexpected keyword argument '{k}'"
                        ));
                    }
                    kwextra.push((k, v));
                }
            }
        }
        let first_default = argc - defaults.len();
        let mut missing = Vec::new();
        for i in 0..argc {
            if fast[i].is_none() {
                if i >= first_default {
                    fast[i] = Some(defaults[i - first_default]);
                } else {
                    missing.push(code.varnames[i].clone());
                }
            }
        }
        if !missing.is_empty() {
            let list = fmt_names(&missing);
            return type_err(format!(
                "{name}() missing {} required positional argument{}: {list}",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" }
            ));
        }
        for (slot, n) in fast[argc..argc + kwonly]
            .iter_mut()
            .zip(&code.varnames[argc..argc + kwonly])
        {
            if slot.is_none() {
                match kwdefaults.iter().find(|(k, _)| k == n) {
                    Some((_, v)) => *slot = Some(*v),
                    None => {
                        return type_err(format!(
                            "{name}() missing 1 required keyword-only argument: '{n}'"
                        ));
                    }
                }
            }
        }
        let mut next = argc + kwonly;
        if code.flags.varargs {
            fast[next] = Some(self.new_tuple(extra));
            next += 1;
        }
        if code.flags.varkw {
            let d = self.new_dict();
            if let Value::Obj(dr) = d {
                for (k, v) in kwextra {
                    self.dict_set_str(dr, &k, v);
                }
            }
            fast[next] = Some(d);
        }
        let mut cells: Vec<Ref> = Vec::with_capacity(code.cellvars.len() + closure.len());
        for _ in 0..code.cellvars.len() {
            cells.push(self.heap.alloc(Obj::Cell(None)));
        }
        for (ci, pi) in &code.cell_params {
            let v = fast[*pi as usize].take();
            *self.heap.get_mut(cells[*ci as usize]) = Obj::Cell(v);
        }
        cells.extend(closure.iter().copied());
        Ok(Frame::call(code, (stack, fast), cells, globals, fr, hook))
    }

    pub fn kwargs_from(&mut self, d: Value) -> PResult<Vec<(Rc<str>, Value)>> {
        let Value::Obj(r) = d else {
            return Ok(Vec::new());
        };
        let Obj::Dict(d) = self.heap.get(r) else {
            return type_err("argument after ** must be a mapping");
        };
        let mut out = Vec::new();
        for (k, v) in d.iter() {
            match self.str_val(k) {
                Some(k) => out.push((k, v)),
                None => return type_err("keywords must be strings"),
            }
        }
        Ok(out)
    }

    /// Resumes a generator: `Ok(())` once its frame is on the stack. `throw` raises `exc`
    /// inside it instead of sending a value.
    pub fn gen_resume(
        &mut self,
        g: Ref,
        send: Value,
        throw: Option<Value>,
        hook: Hook,
    ) -> PResult<()> {
        let Obj::Generator(genr) = self.heap.get_mut(g) else {
            return type_err("not a generator");
        };
        if genr.running {
            return err(ExcKind::ValueError, "generator already executing");
        }
        let Some(mut frame) = genr.frame.take() else {
            if let Some(e) = throw {
                return Err(Exc::Obj(e));
            }
            return match hook.target {
                Target::Push => self.stop_iteration_into_caller(),
                Target::Nested => err(ExcKind::StopIteration, ""),
            };
        };
        genr.running = true;
        if frame.ip == 0 {
            if !matches!(send, Value::None) && throw.is_none() {
                genr.frame = Some(frame);
                genr.running = false;
                return type_err("can't send non-None value to a just-started generator");
            }
        } else {
            frame.stack.push(send);
        }
        frame.hook = hook;
        if self.frames.len() >= self.recursion_limit {
            if let Obj::Generator(genr) = self.heap.get_mut(g) {
                genr.frame = Some(frame);
                genr.running = false;
            }
            return err(ExcKind::RecursionError, "maximum recursion depth exceeded");
        }
        self.frames.push(*frame);
        if let Some(e) = throw {
            return Err(Exc::Obj(e));
        }
        Ok(())
    }

    /// An exhausted generator resumed by an instruction: behaves as StopIteration there.
    fn stop_iteration_into_caller(&mut self) -> PResult<()> {
        err(ExcKind::StopIteration, "")
    }
}

fn fmt_names(names: &[Rc<str>]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match q.len() {
        1 => q[0].clone(),
        2 => format!("{} and {}", q[0], q[1]),
        _ => format!("{}, and {}", q[..q.len() - 1].join(", "), q[q.len() - 1]),
    }
}
