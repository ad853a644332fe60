//! The builder: turns a parsed object table into heap objects. Every object is first
//! allocated as an empty placeholder of its final kind, so references (cycles included) can
//! be resolved in any order; then the contents are filled in and checked: kinds of referenced
//! objects, class hierarchies without cycles, frames that fit their code. Nothing here
//! recurses over the object graph.

use std::rc::Rc;

use super::super::dict::Dict;
use super::super::error::{Exc, PResult};
use super::super::interp::{Frame, Hook, Transform, Vm};
use super::super::op::{Code, CodeKind};
use super::super::value::*;
use super::read::{PFrame, PIter, PTransform, PVal, Parsed, Rec, Root};
use super::{binop_from, unpickling_error};

/// Deepest nesting of objects inside objects a pickle may have.
pub const MAX_DEPTH: usize = 10_000;
/// Deepest nesting of tuples and frozensets inside each other: hashing them recurses.
pub const MAX_HASH_DEPTH: usize = 200;

pub enum Built {
    Value(Value),
    Frames(Vec<Frame>, Vec<Value>),
}

pub struct Builder<'a> {
    vm: &'a mut Vm,
    refs: Vec<Ref>,
    codes: Vec<Rc<Code>>,
    /// Stack depths by instruction, per code table index, computed on first use.
    depths: Vec<Option<Vec<Option<u32>>>>,
    /// Records resolved to an object that already existed (a module-level class): not filled.
    existing: Vec<bool>,
}

fn bad<T>(vm: &mut Vm, msg: impl Into<String>) -> PResult<T> {
    Err(unpickling_error(
        vm,
        &format!("invalid data ({})", msg.into()),
    ))
}

pub fn build(vm: &mut Vm, p: Parsed) -> PResult<Built> {
    check_depth(vm, &p)?;
    let hash_order = hash_order(vm, &p.objs)?;
    let codes = locate_codes(vm, &p)?;
    let mut b = Builder {
        vm,
        refs: Vec::with_capacity(p.objs.len()),
        depths: vec![None; codes.len()],
        existing: vec![false; p.objs.len()],
        codes,
    };
    for (i, rec) in p.objs.iter().enumerate() {
        let r = match b.class_at_home(rec) {
            Some(r) => {
                b.existing[i] = true;
                r
            }
            None => b.placeholder(rec)?,
        };
        b.refs.push(r);
    }
    // Bound built-in methods need their receiver's object: those of host objects wait until
    // the hosts are made (their loaders get the other objects as placeholders).
    let on_host = |rec: &Rec| {
        matches!(rec, Rec::NativeBound(PVal::Obj(j), _)
            if matches!(p.objs[*j as usize], Rec::Host { .. }))
    };
    for (i, rec) in p.objs.iter().enumerate() {
        if !on_host(rec) {
            b.bind_native(i, rec, &p.objs)?;
        }
    }
    for (i, rec) in p.objs.iter().enumerate() {
        if let Rec::Host { .. } = rec {
            b.fill(i, rec)?;
        }
    }
    for (i, rec) in p.objs.iter().enumerate() {
        if on_host(rec) {
            b.bind_native(i, rec, &p.objs)?;
        }
    }
    // Classes first: filling instances asks whether their class is an exception class.
    for (i, rec) in p.objs.iter().enumerate() {
        if let Rec::Class { .. } = rec {
            b.fill(i, rec)?;
        }
    }
    b.check_classes(&p.objs)?;
    for (i, rec) in p.objs.iter().enumerate() {
        if !matches!(
            rec,
            Rec::Class { .. } | Rec::Dict(_) | Rec::Set(..) | Rec::Host { .. }
        ) {
            b.fill(i, rec)?;
        }
    }
    // Hashing reads contents: frozensets innermost first, then dicts and sets.
    for i in hash_order {
        b.fill(i, &p.objs[i])?;
    }
    for (i, rec) in p.objs.iter().enumerate() {
        if matches!(rec, Rec::Dict(_) | Rec::Set(false, _)) {
            b.fill(i, rec)?;
        }
    }
    Ok(match p.root {
        Root::Value(v) => Built::Value(b.val(v)),
        Root::Frames(frames, extra) => {
            let mut out = Vec::with_capacity(frames.len());
            for f in &frames {
                out.push(b.frame(f)?);
            }
            let extra = extra.iter().map(|v| b.val(*v)).collect();
            Built::Frames(out, extra)
        }
    })
}

/// The objects a record refers to, for the depth check.
fn children(rec: &Rec, out: &mut Vec<u32>) {
    let mut v = |p: &PVal| {
        if let PVal::Obj(i) = p {
            out.push(*i)
        }
    };
    match rec {
        Rec::List(xs) | Rec::Tuple(xs) | Rec::Set(_, xs) => xs.iter().for_each(&mut v),
        Rec::Dict(kv) => kv.iter().for_each(|(a, b)| {
            v(a);
            v(b)
        }),
        Rec::Slice(a, b, c) | Rec::Property(a, b, c) => [a, b, c].into_iter().for_each(v),
        Rec::Cell(x) => x.iter().for_each(v),
        Rec::BoundMethod(a, b) => [a, b].into_iter().for_each(v),
        Rec::NativeBound(a, _) | Rec::StaticMethod(a) | Rec::ClassMethod(a) => v(a),
        Rec::Class { dict, .. } | Rec::Instance { dict, .. } => dict.iter().for_each(|(_, x)| v(x)),
        Rec::Function { defaults, .. } => defaults.iter().for_each(v),
        Rec::Host { children, .. } => children.iter().for_each(v),
        Rec::Generator { frame: Some(f), .. } => {
            f.stack.iter().for_each(&mut v);
            f.fast.iter().flatten().for_each(v);
        }
        _ => {}
    }
}

/// Refuses object graphs nested deeper than `MAX_DEPTH` (walked with an explicit stack).
fn check_depth(vm: &mut Vm, p: &Parsed) -> PResult<()> {
    let n = p.objs.len();
    let mut seen = vec![false; n];
    let mut kids = Vec::new();
    for start in 0..n {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        // (children of a node, position of the next one to visit)
        let mut stack: Vec<(Vec<u32>, usize)> = Vec::new();
        kids.clear();
        children(&p.objs[start], &mut kids);
        stack.push((kids.clone(), 0));
        while let Some((ks, pos)) = stack.last_mut() {
            let Some(&c) = ks.get(*pos) else {
                stack.pop();
                continue;
            };
            *pos += 1;
            if seen[c as usize] {
                continue;
            }
            seen[c as usize] = true;
            if stack.len() >= MAX_DEPTH {
                return Err(unpickling_error(vm, "objects nested too deeply"));
            }
            kids.clear();
            children(&p.objs[c as usize], &mut kids);
            stack.push((kids.clone(), 0));
        }
    }
    Ok(())
}

/// Frozensets in an order where each comes after the tuples' and frozensets' it holds;
/// refuses cycles among them and nesting past `MAX_HASH_DEPTH`.
fn hash_order(vm: &mut Vm, objs: &[Rec]) -> PResult<Vec<usize>> {
    let hashable = |i: u32| matches!(objs[i as usize], Rec::Tuple(_) | Rec::Set(true, _));
    let items = |i: usize| -> &[PVal] {
        match &objs[i] {
            Rec::Tuple(x) | Rec::Set(true, x) => x,
            _ => &[],
        }
    };
    // 0 unvisited, 1 on the current path, 2 done.
    let mut state = vec![0u8; objs.len()];
    let mut order = Vec::new();
    for start in 0..objs.len() {
        if state[start] != 0 || !hashable(start as u32) {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some((node, pos)) = stack.last_mut() {
            let node = *node;
            let next = items(node)[*pos..]
                .iter()
                .enumerate()
                .find_map(|(k, v)| match v {
                    PVal::Obj(c) if hashable(*c) && state[*c as usize] != 2 => Some((k, *c)),
                    _ => None,
                });
            match next {
                None => {
                    state[node] = 2;
                    if matches!(objs[node], Rec::Set(true, _)) {
                        order.push(node);
                    }
                    stack.pop();
                }
                Some((k, c)) => {
                    *pos += k + 1;
                    if state[c as usize] == 1 {
                        return bad(vm, "a tuple or frozenset contains itself");
                    }
                    if stack.len() >= MAX_HASH_DEPTH {
                        return Err(unpickling_error(vm, "tuples nested too deeply"));
                    }
                    state[c as usize] = 1;
                    stack.push((c as usize, 0));
                }
            }
        }
    }
    Ok(order)
}

/// Compiles each source once (or reuses the loaded module's code when the text is the same)
/// and finds each code object by its path.
fn locate_codes(vm: &mut Vm, p: &Parsed) -> PResult<Vec<Rc<Code>>> {
    let mut tops = Vec::new();
    for (file, text) in &p.sources {
        let known = vm
            .sources
            .iter()
            .find(|(f, s, c)| f == file && s == text && c.is_some())
            .and_then(|s| s.2.clone());
        let top = match known {
            Some(c) => c,
            None => match super::super::compile_source(text, file) {
                Ok(c) => {
                    vm.sources
                        .push((file.clone(), text.clone(), Some(c.clone())));
                    c
                }
                Err(e) => {
                    return Err(unpickling_error(
                        vm,
                        &format!("cannot compile '{file}': {} (line {})", e.msg, e.line),
                    ));
                }
            },
        };
        tops.push(top);
    }
    let mut out = Vec::with_capacity(p.codes.len());
    for (si, path, name) in &p.codes {
        let mut c = tops[*si].clone();
        for i in path {
            let Some(next) = c.codes.get(*i as usize).cloned() else {
                return bad(vm, "code path leads nowhere");
            };
            c = next;
        }
        if c.name != *name {
            return Err(unpickling_error(
                vm,
                &format!(
                    "code object '{name}' not found in '{}' (the source changed?)",
                    c.filename
                ),
            ));
        }
        out.push(c);
    }
    Ok(out)
}

impl Builder<'_> {
    fn val(&self, v: PVal) -> Value {
        match v {
            PVal::None => Value::None,
            PVal::Bool(b) => Value::Bool(b),
            PVal::Int(i) => Value::Int(i),
            PVal::Float(f) => Value::Float(f),
            PVal::NotImplemented => Value::NotImplemented,
            PVal::Ellipsis => Value::Ellipsis,
            PVal::Obj(i) => Value::Obj(self.refs[i as usize]),
        }
    }

    fn vals(&self, vs: &[PVal]) -> Vec<Value> {
        vs.iter().map(|v| self.val(*v)).collect()
    }

    /// The object at index `i`, which must be of the kind `ok` accepts.
    fn typed(&mut self, i: u32, what: &str, ok: fn(&Obj) -> bool) -> PResult<Ref> {
        let r = self.refs[i as usize];
        if ok(self.vm.heap.get(r)) {
            Ok(r)
        } else {
            bad(self.vm, format!("expected {what}"))
        }
    }

    fn placeholder(&mut self, rec: &Rec) -> PResult<Ref> {
        let vm = &mut *self.vm;
        let obj_ = Value::Obj(vm.types[0]);
        let obj = match rec {
            Rec::Str(s) => Obj::Str(s.clone()),
            Rec::Bytes(b) => Obj::Bytes(b.clone()),
            Rec::BigInt(b) => Obj::BigInt(Box::new(b.clone())),
            Rec::List(_) => Obj::List(Vec::new()),
            Rec::Tuple(_) => Obj::Tuple(Rc::from(Vec::new())),
            Rec::Dict(_) => Obj::Dict(Dict::new()),
            Rec::Set(frozen, _) => Obj::Set(Dict::new(), *frozen),
            Rec::Range(a, b, c) => {
                if *c == 0 {
                    return bad(vm, "range step is zero");
                }
                Obj::Range(*a, *b, *c)
            }
            Rec::Slice(..) => Obj::Slice(Value::None, Value::None, Value::None),
            Rec::Cell(_) => Obj::Cell(None),
            Rec::Function { code, .. } => Obj::Function(Box::new(Function {
                code: self.codes[*code as usize].clone(),
                globals: vm.builtins,
                defaults: Rc::from(Vec::new()),
                kwdefaults: Rc::from(Vec::new()),
                closure: Rc::from(Vec::new()),
                class: None,
            })),
            Rec::Class { name, .. } => Obj::Class(Box::new(Class {
                name: name.clone(),
                base: Some(vm.types[0]),
                dict: AttrMap::default(),
                builtin: None,
            })),
            Rec::Instance { .. } => Obj::Instance(Box::new(Instance {
                class: vm.types[0],
                dict: AttrMap::default(),
                exc: None,
            })),
            Rec::BoundMethod(..) => Obj::BoundMethod(Value::None, Value::None),
            Rec::Module(name) | Rec::ModuleDict(name) => {
                let m = match vm.import(name) {
                    Ok(m) => m,
                    Err(_) => {
                        return Err(unpickling_error(
                            vm,
                            &format!("cannot import module '{name}'"),
                        ));
                    }
                };
                let Some(Obj::Module(_, d)) = m.as_ref().map(|r| vm.heap.get(r)) else {
                    return bad(vm, "not a module");
                };
                return Ok(match rec {
                    Rec::Module(_) => m.as_ref().unwrap_or(*d),
                    _ => *d,
                });
            }
            Rec::Named(ns, name) => return super::lookup_named(vm, ns, name),
            // Resolved once every placeholder exists.
            Rec::NativeBound(..) => Obj::Cell(None),
            Rec::Generator {
                name,
                running,
                finished,
                ..
            } => Obj::Generator(Box::new(Generator {
                frame: None,
                running: *running,
                finished: *finished,
                name: name.clone(),
            })),
            Rec::Property(..) => Obj::Property(Value::None, Value::None, Value::None),
            Rec::StaticMethod(_) => Obj::StaticMethod(Value::None),
            Rec::ClassMethod(_) => Obj::ClassMethod(Value::None),
            Rec::Host { .. } => Obj::Cell(None),
            Rec::Iter(_) => Obj::Iter(Box::new(IterState::Range(0, 0, 1))),
            Rec::View(..) => Obj::View(vm.builtins, 0),
            Rec::Super(..) => Obj::Super(vm.types[0], obj_),
        };
        Ok(vm.heap.alloc(obj))
    }

    fn attrs(&self, a: &[(Rc<str>, PVal)]) -> AttrMap {
        a.iter().map(|(k, v)| (k.clone(), self.val(*v))).collect()
    }

    /// A class defined at module level is the same class after loading when its module is
    /// loaded in this VM and still binds that name to a class of that name (as in CPython,
    /// which pickles classes by reference); otherwise it is rebuilt from the pickle.
    fn class_at_home(&self, rec: &Rec) -> Option<Ref> {
        let Rec::Class {
            home: Some((module, global)),
            name,
            ..
        } = rec
        else {
            return None;
        };
        let vm = &*self.vm;
        let m = vm.modules.iter().find(|(n, _)| n == module)?.1;
        let Some(Obj::Module(_, d)) = m.as_ref().map(|r| vm.heap.get(r)) else {
            return None;
        };
        match vm.dict_get_str(*d, global)? {
            Value::Obj(r) if matches!(vm.heap.get(r), Obj::Class(c) if c.builtin.is_none() && c.name == *name) => {
                Some(r)
            }
            _ => None,
        }
    }

    /// Resolves a method of a built-in type bound to its receiver (`[].append`).
    fn bind_native(&mut self, i: usize, rec: &Rec, objs: &[Rec]) -> PResult<()> {
        let Rec::NativeBound(recv, name) = rec else {
            return Ok(());
        };
        if let PVal::Obj(j) = recv
            && matches!(objs[*j as usize], Rec::NativeBound(..))
        {
            return bad(self.vm, "method bound to a method");
        }
        let recv = self.val(*recv);
        let m = self.vm.get_attr(recv, name).map_err(|_| {
            unpickling_error(self.vm, &format!("cannot find built-in method '{name}'"))
        })?;
        match m {
            Value::Obj(r) if matches!(self.vm.heap.get(r), Obj::Native(_)) => {
                self.refs[i] = r;
                Ok(())
            }
            _ => bad(self.vm, format!("'{name}' is not a built-in method")),
        }
    }

    fn fill(&mut self, i: usize, rec: &Rec) -> PResult<()> {
        if self.existing[i] {
            return Ok(());
        }
        let me = self.refs[i];
        let obj = match rec {
            Rec::List(xs) => Obj::List(self.vals(xs)),
            Rec::Tuple(xs) => Obj::Tuple(self.vals(xs).into()),
            Rec::Dict(kv) => {
                let mut d = Dict::new();
                for (k, v) in kv {
                    let (k, v) = (self.val(*k), self.val(*v));
                    let hk = self.hash(k)?;
                    d.insert(hk, k, v);
                }
                Obj::Dict(d)
            }
            Rec::Set(frozen, xs) => {
                let mut d = Dict::new();
                for k in xs {
                    let k = self.val(*k);
                    let hk = self.hash(k)?;
                    d.insert(hk, k, Value::None);
                }
                Obj::Set(d, *frozen)
            }
            Rec::Slice(a, b, c) => Obj::Slice(self.val(*a), self.val(*b), self.val(*c)),
            Rec::Cell(v) => Obj::Cell(v.map(|v| self.val(v))),
            Rec::Function {
                code,
                globals,
                defaults,
                kwdefaults,
                closure,
                class,
            } => {
                let code = self.codes[*code as usize].clone();
                if code.kind == CodeKind::Module
                    || closure.len() != code.freevars.len()
                    || defaults.len() > code.argcount as usize
                {
                    return bad(
                        self.vm,
                        format!("function '{}' does not fit its code", code.name),
                    );
                }
                let globals = self.typed(*globals, "a dict", |o| matches!(o, Obj::Dict(_)))?;
                let mut cl = Vec::with_capacity(closure.len());
                for c in closure {
                    cl.push(self.typed(*c, "a cell", |o| matches!(o, Obj::Cell(_)))?);
                }
                let class = match class {
                    Some(c) => Some(self.typed(*c, "a class", |o| matches!(o, Obj::Class(_)))?),
                    None => None,
                };
                let kwd: Vec<(Rc<str>, Value)> = kwdefaults
                    .iter()
                    .map(|(k, v)| (k.clone(), self.val(*v)))
                    .collect();
                Obj::Function(Box::new(Function {
                    code,
                    globals,
                    defaults: self.vals(defaults).into(),
                    kwdefaults: kwd.into(),
                    closure: cl.into(),
                    class,
                }))
            }
            Rec::Class {
                name, base, dict, ..
            } => {
                let base = match base {
                    Some(b) => Some(self.typed(*b, "a class", |o| {
                        matches!(o, Obj::Class(c) if matches!(c.builtin, None | Some(BuiltinType::Object)))
                    })?),
                    None => return bad(self.vm, "class without a base"),
                };
                Obj::Class(Box::new(Class {
                    name: name.clone(),
                    base,
                    dict: self.attrs(dict),
                    builtin: None,
                }))
            }
            Rec::Instance { class, dict, exc } => {
                let class = self.typed(*class, "a class", |o| {
                    matches!(o, Obj::Class(c) if matches!(c.builtin, None | Some(BuiltinType::Object)))
                })?;
                let is_exc = self.vm.class_is_exception(class);
                let exc = match (exc, is_exc) {
                    (Some(e), true) => Some(Box::new(ExcData {
                        args: self.vals(&e.args),
                        traceback: e.traceback.clone(),
                        cause: e.cause.map(|v| self.val(v)),
                        context: e.context.map(|v| self.val(v)),
                        suppress_context: e.suppress,
                    })),
                    (None, false) => None,
                    _ => return bad(self.vm, "exception data does not match the class"),
                };
                Obj::Instance(Box::new(Instance {
                    class,
                    dict: self.attrs(dict),
                    exc,
                }))
            }
            Rec::BoundMethod(a, b) => Obj::BoundMethod(self.val(*a), self.val(*b)),
            Rec::Generator {
                frame,
                running,
                finished,
                name,
            } => {
                let frame = match frame {
                    Some(f) => {
                        // A finished generator never runs again; one that still holds a
                        // frame of its own is how a tasklet's frames travel (see
                        // `stackless::pickle`), and that frame is no generator's.
                        let holder = *finished && f.genr.is_none();
                        if *running
                            || (!holder
                                && (f.genr != Some(i as u32) || {
                                    let c = &self.codes[f.code as usize];
                                    !c.flags.generator
                                }))
                        {
                            return bad(self.vm, "generator frame does not fit");
                        }
                        Some(Box::new(self.frame(f)?))
                    }
                    None => None,
                };
                Obj::Generator(Box::new(Generator {
                    frame,
                    running: *running,
                    finished: *finished,
                    name: name.clone(),
                }))
            }
            Rec::Property(a, b, c) => Obj::Property(self.val(*a), self.val(*b), self.val(*c)),
            Rec::StaticMethod(v) => Obj::StaticMethod(self.val(*v)),
            Rec::ClassMethod(v) => Obj::ClassMethod(self.val(*v)),
            Rec::Iter(it) => Obj::Iter(Box::new(self.iter(it)?)),
            Rec::View(d, k) => {
                let d = self.typed(*d, "a dict", |o| matches!(o, Obj::Dict(_)))?;
                Obj::View(d, *k)
            }
            Rec::Super(c, v) => {
                let c = self.typed(*c, "a class", |o| matches!(o, Obj::Class(_)))?;
                Obj::Super(c, self.val(*v))
            }
            Rec::Host {
                class,
                data,
                children,
            } => {
                // The built-in module that makes these objects registers their loader: set
                // it up if the script has not imported it (only these, never a file).
                if let Some((module @ ("re" | "stackless"), _)) = class.split_once('.')
                    && !self.vm.pickle_hosts.iter().any(|h| *h.class == **class)
                {
                    self.vm.import(module)?;
                }
                let Some(load) = self
                    .vm
                    .pickle_hosts
                    .iter()
                    .find(|h| *h.class == **class)
                    .map(|h| h.load)
                else {
                    return Err(unpickling_error(
                        self.vm,
                        &format!("no loader for '{class}' objects in this VM"),
                    ));
                };
                let kids = self.vals(children);
                let v = load(self.vm, data, &kids)?;
                let Value::Obj(r) = v else {
                    return bad(self.vm, format!("the '{class}' loader made no object"));
                };
                std::mem::replace(self.vm.heap.get_mut(r), Obj::Cell(None))
            }
            // Complete from the start (or resolved by name).
            _ => return Ok(()),
        };
        let host = matches!(obj, Obj::Host(..));
        *self.vm.heap.get_mut(me) = obj;
        self.vm.class_cache.invalidate();
        if host {
            self.vm.rehome_host(me);
        }
        Ok(())
    }

    fn hash(&mut self, k: Value) -> PResult<super::super::dict::HashKey> {
        match self.vm.hash_key(k) {
            Ok(h) => Ok(h),
            Err(Exc::Fatal(m)) => Err(Exc::Fatal(m)),
            Err(e) => {
                let v = self.vm.exception_value(e);
                let line = self.vm.exception_line(v);
                bad(self.vm, format!("dict key: {line}"))
            }
        }
    }

    /// Class bases must end at `object` without a cycle (the VM walks them in loops).
    fn check_classes(&mut self, objs: &[Rec]) -> PResult<()> {
        for (i, rec) in objs.iter().enumerate() {
            if !matches!(rec, Rec::Class { .. }) {
                continue;
            }
            let mut c = Some(self.refs[i]);
            let mut steps = 0;
            while let Some(r) = c {
                steps += 1;
                if steps > objs.len() + self.vm.types.len() + self.vm.exc_classes.len() + 8 {
                    return bad(self.vm, "class hierarchy has a cycle");
                }
                c = match self.vm.heap.get(r) {
                    Obj::Class(k) => k.base,
                    _ => None,
                };
            }
        }
        Ok(())
    }

    fn iter(&mut self, it: &PIter) -> PResult<IterState> {
        // Positions are bounded well below overflow: the iterators step them with `+ 1`.
        let pos_ok = |i: usize| i <= u32::MAX as usize;
        let seq = |b: &mut Self, v: &PVal| -> PResult<Value> {
            let v = b.val(*v);
            match v.as_ref().map(|r| b.vm.heap.get(r)) {
                Some(Obj::List(_) | Obj::Tuple(_)) => Ok(v),
                _ => bad(b.vm, "iterator over a non-sequence"),
            }
        };
        Ok(match it {
            PIter::Seq(v, i) if pos_ok(*i) => IterState::Seq(seq(self, v)?, *i),
            PIter::Reversed(v, i) if pos_ok(*i) => IterState::Reversed(seq(self, v)?, *i),
            PIter::Str(s, i) if *i <= s.len() && s.is_char_boundary(*i) => {
                IterState::Str(s.clone(), *i)
            }
            PIter::Bytes(b, i) if pos_ok(*i) => IterState::Bytes(b.clone(), *i),
            PIter::Range(a, b, c) if *c != 0 => IterState::Range(*a, *b, *c),
            PIter::Dict(d, i, k, n) if pos_ok(*i) => {
                let d = self.typed(*d, "a dict", |o| matches!(o, Obj::Dict(_)))?;
                IterState::Dict(d, *i, *k, *n)
            }
            PIter::Snapshot(v, i) if pos_ok(*i) => IterState::Snapshot(self.vals(v).into(), *i),
            PIter::Enumerate(v, i) if i.unsigned_abs() < 1 << 62 => {
                IterState::Enumerate(self.val(*v), *i)
            }
            PIter::Zip(v) => IterState::Zip(self.vals(v)),
            PIter::Map(f, v) => IterState::Map(self.val(*f), self.vals(v)),
            PIter::Filter(a, b) => IterState::Filter(self.val(*a), self.val(*b)),
            PIter::Callable(a, b) => IterState::Callable(self.val(*a), self.val(*b)),
            _ => return bad(self.vm, "iterator state out of range"),
        })
    }

    /// A frame, checked against its code so the dispatch loop cannot index out of bounds.
    pub fn frame(&mut self, f: &PFrame) -> PResult<Frame> {
        let code = self.codes[f.code as usize].clone();
        if f.ip > code.ops.len() {
            return bad(self.vm, "frame position past the end of its code");
        }
        if f.fast.len() > code.varnames.len()
            || f.cells.len() != code.cellvars.len() + code.freevars.len()
        {
            return bad(self.vm, "frame locals do not fit its code");
        }
        if f.blocks.iter().any(|b| b.handler as usize > code.ops.len()) {
            return bad(self.vm, "exception handler past the end of its code");
        }
        // A frame stopped between two instructions has the depth the next one expects; one
        // waiting for a call (or a generator at a yield) is one short: the result comes later.
        let depths =
            self.depths[f.code as usize].get_or_insert_with(|| super::stack::depths(&code).0);
        match depths[f.ip] {
            Some(d) if f.stack.len() == d as usize || f.stack.len() + 1 == d as usize => {}
            _ => return bad(self.vm, "frame stack does not fit its position in the code"),
        }
        let mut fast: Vec<Option<Value>> = f.fast.iter().map(|v| v.map(|v| self.val(v))).collect();
        // Locals that were never bound read as unbound, which the loop reports cleanly.
        fast.resize(code.varnames.len(), None);
        let mut cells = Vec::with_capacity(f.cells.len());
        for c in &f.cells {
            cells.push(self.typed(*c, "a cell", |o| matches!(o, Obj::Cell(_)))?);
        }
        let globals = self.typed(f.globals, "a dict", |o| matches!(o, Obj::Dict(_)))?;
        let ns = match f.ns {
            Some(n) => Some(self.typed(n, "a dict", |o| matches!(o, Obj::Dict(_)))?),
            None => None,
        };
        let func = match f.func {
            Some(n) => Some(self.typed(n, "a function", |o| matches!(o, Obj::Function(_)))?),
            None => None,
        };
        let genr = match f.genr {
            Some(n) => Some(self.typed(n, "a generator", |o| matches!(o, Obj::Generator(_)))?),
            None => None,
        };
        let transform = match &f.transform {
            PTransform::None => Transform::None,
            PTransform::Init(v) => Transform::Init(self.val(*v)),
            PTransform::Not => Transform::Not,
            PTransform::Bool => Transform::Bool,
            PTransform::MakeClass(a, b) => Transform::MakeClass(self.val(*a), self.val(*b)),
            PTransform::BinRetry(op, a, b, r) => {
                let Some(op) = binop_from(*op) else {
                    return bad(self.vm, "bad operator");
                };
                Transform::BinRetry(op, self.val(*a), self.val(*b), *r)
            }
            PTransform::EqRetry(a, b, n, r) => {
                Transform::EqRetry(self.val(*a), self.val(*b), *n, *r)
            }
        };
        Ok(Frame {
            code,
            ip: f.ip,
            stack: self.vals(&f.stack),
            fast,
            cells,
            globals,
            ns,
            blocks: f.blocks.clone(),
            handling: self.vals(&f.handling),
            func,
            hook: Hook {
                target: f.target,
                transform,
            },
            genr,
        })
    }
}
