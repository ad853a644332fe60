//! The encoder: walks the object graph from the roots with a work list (no recursion),
//! numbering each heap object the first time it is seen, so shared objects and cycles are
//! written once and referred to by index.

use std::collections::HashMap;
use std::rc::Rc;

use super::super::error::{ExcKind, PResult, err};
use super::super::interp::{Frame, Target, Transform, Vm};
use super::super::op::Code;
use super::super::value::*;
use super::format::{Writer, tag};
use super::{NATIVE_MODULES, binop_index, pickling_error};

pub struct Encoder<'a> {
    vm: &'a mut Vm,
    /// Object table index of each heap object seen so far.
    memo: HashMap<Ref, u32>,
    /// Objects in index order; `next` is the first one whose record is not written yet.
    order: Vec<Ref>,
    next: usize,
    /// Built-in objects written by name: (namespace, name).
    named: HashMap<Ref, (Rc<str>, Rc<str>)>,
    /// Module dicts (function globals) by module name.
    module_dicts: HashMap<Ref, Rc<str>>,
    /// User classes bound at module level under their own name: (module, name).
    class_homes: HashMap<Ref, (Rc<str>, Rc<str>)>,
    /// Sources written (by position in `vm.sources`) and their index in the pickle.
    sources: Vec<usize>,
    /// Code objects written: address -> index in the code table.
    code_memo: HashMap<*const Code, u32>,
    codes: Writer,
    ncodes: u32,
    /// Per source (position in `vm.sources`): every code object's path from the top code.
    paths: HashMap<usize, HashMap<*const Code, Vec<u32>>>,
    /// True for `dump_frames`: a running generator's frame is among the frames written.
    pub allow_running: bool,
    objs: Writer,
}

impl<'a> Encoder<'a> {
    pub fn new(vm: &'a mut Vm) -> Encoder<'a> {
        let mut named = HashMap::new();
        let mut module_dicts = HashMap::new();
        let put = |named: &mut HashMap<Ref, (Rc<str>, Rc<str>)>, r: Ref, ns: &str, n: Rc<str>| {
            named.entry(r).or_insert_with(|| (Rc::from(ns), n));
        };
        for &c in &vm.types {
            put(&mut named, c, "type", vm.class_name(c));
        }
        if let Some(r) = vm.method_marker.as_ref() {
            put(&mut named, r, "vm", Rc::from("method_marker"));
        }
        for (n, c) in &vm.host_classes {
            put(&mut named, *c, "host", Rc::from(*n));
            // Their methods live in the class dict as unbound natives.
            if let Obj::Class(k) = vm.heap.get(*c) {
                for (key, v) in &k.dict {
                    if let Value::Obj(r) = v
                        && matches!(vm.heap.get(*r), Obj::Native(_))
                    {
                        put(&mut named, *r, &format!("host:{n}"), key.clone());
                    }
                }
            }
        }
        // Methods of built-in types held unbound on a suspended frame's stack (`s.upper()`
        // between its load and its call), by type and name.
        for (t, n, v) in vm.unbound_methods.values() {
            if let (Value::Obj(r), Some(ty)) = (v, vm.types.get(*t as usize)) {
                put(
                    &mut named,
                    *r,
                    &format!("method:{}", vm.class_name(*ty)),
                    Rc::from(*n),
                );
            }
        }
        let mut spaces: Vec<(Rc<str>, Ref)> = vec![(Rc::from("builtins"), vm.builtins)];
        let mut class_homes = HashMap::new();
        for (n, m) in &vm.modules {
            if let Some(Obj::Module(_, d)) = m.as_ref().map(|r| vm.heap.get(r)) {
                module_dicts.entry(*d).or_insert_with(|| n.clone());
                if NATIVE_MODULES.contains(&&**n) {
                    spaces.push((n.clone(), *d));
                } else if let Obj::Dict(dict) = vm.heap.get(*d) {
                    for (k, v) in dict.iter() {
                        if let (Some(k), Value::Obj(r)) = (vm.str_val(k), v)
                            && let Obj::Class(c) = vm.heap.get(r)
                            && c.builtin.is_none()
                            && c.name == k
                        {
                            class_homes.entry(r).or_insert_with(|| (n.clone(), k));
                        }
                    }
                }
            }
        }
        for (ns, d) in spaces {
            if let Obj::Dict(dict) = vm.heap.get(d) {
                for (k, v) in dict.iter() {
                    let (Some(k), Value::Obj(r)) = (vm.str_val(k), v) else {
                        continue;
                    };
                    if matches!(vm.heap.get(r), Obj::Native(_) | Obj::Class(_)) {
                        put(&mut named, r, &ns, k);
                    }
                }
            }
        }
        Encoder {
            vm,
            memo: HashMap::new(),
            order: Vec::new(),
            next: 0,
            named,
            module_dicts,
            class_homes,
            sources: Vec::new(),
            code_memo: HashMap::new(),
            codes: Writer::default(),
            ncodes: 0,
            paths: HashMap::new(),
            allow_running: false,
            objs: Writer::default(),
        }
    }

    /// Writes a value; heap objects are numbered and queued for `finish`.
    pub fn value(&mut self, w: &mut Writer, v: Value) {
        match v {
            Value::None => w.u8(0),
            Value::Bool(false) => w.u8(1),
            Value::Bool(true) => w.u8(2),
            Value::Int(i) => {
                w.u8(3);
                w.i64(i);
            }
            Value::Float(f) => {
                w.u8(4);
                w.f64(f);
            }
            Value::NotImplemented => w.u8(5),
            Value::Ellipsis => w.u8(6),
            Value::Obj(r) => {
                w.u8(7);
                let i = self.index(r);
                w.varint(i as u64);
            }
        }
    }

    fn index(&mut self, r: Ref) -> u32 {
        if let Some(i) = self.memo.get(&r) {
            return *i;
        }
        let i = self.order.len() as u32;
        self.memo.insert(r, i);
        self.order.push(r);
        i
    }

    fn obj_ref(&mut self, w: &mut Writer, r: Ref) {
        let i = self.index(r);
        w.varint(i as u64);
    }

    fn opt_ref(&mut self, w: &mut Writer, r: Option<Ref>) {
        match r {
            None => w.u8(0),
            Some(r) => {
                w.u8(1);
                self.obj_ref(w, r);
            }
        }
    }

    fn values(&mut self, w: &mut Writer, vs: &[Value]) {
        w.usize(vs.len());
        for v in vs {
            self.value(w, *v);
        }
    }

    fn attrs(&mut self, w: &mut Writer, d: &AttrMap) {
        // Sorted, so equal graphs give equal bytes.
        let mut items: Vec<(Rc<str>, Value)> = d.iter().map(|(k, v)| (k.clone(), *v)).collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        w.usize(items.len());
        for (k, v) in items {
            w.str(&k);
            self.value(w, v);
        }
    }

    /// The index of a code object in the code table, writing its source and path on first use.
    fn code(&mut self, w: &mut Writer, code: &Rc<Code>) -> PResult<()> {
        let key = Rc::as_ptr(code);
        if let Some(i) = self.code_memo.get(&key) {
            w.varint(*i as u64);
            return Ok(());
        }
        let mut found = None;
        for si in 0..self.vm.sources.len() {
            if self.vm.sources[si].0 != code.filename {
                continue;
            }
            let Some(top) = self.vm.sources[si].2.clone() else {
                continue;
            };
            let paths = self.paths.entry(si).or_insert_with(|| code_paths(&top));
            if let Some(p) = paths.get(&key) {
                found = Some((si, p.clone()));
                break;
            }
        }
        let Some((si, path)) = found else {
            return pickling_error(
                self.vm,
                format!("cannot locate the source of code object '{}'", code.name),
            );
        };
        let src_index = match self.sources.iter().position(|s| *s == si) {
            Some(i) => i,
            None => {
                self.sources.push(si);
                self.sources.len() - 1
            }
        };
        self.codes.usize(src_index);
        self.codes.usize(path.len());
        for p in &path {
            self.codes.varint(*p as u64);
        }
        self.codes.str(&code.name);
        let i = self.ncodes;
        self.ncodes += 1;
        self.code_memo.insert(key, i);
        w.varint(i as u64);
        Ok(())
    }

    pub fn frame(&mut self, w: &mut Writer, f: &Frame) -> PResult<()> {
        self.code(w, &f.code)?;
        w.usize(f.ip);
        self.values(w, &f.stack);
        w.usize(f.fast.len());
        for v in &f.fast {
            match v {
                None => w.u8(0),
                Some(v) => {
                    w.u8(1);
                    self.value(w, *v);
                }
            }
        }
        w.usize(f.cells.len());
        for c in &f.cells {
            self.obj_ref(w, *c);
        }
        self.obj_ref(w, f.globals);
        self.opt_ref(w, f.ns);
        w.usize(f.blocks.len());
        for b in &f.blocks {
            w.varint(b.handler as u64);
            w.varint(b.depth as u64);
            w.varint(b.handling as u64);
        }
        self.values(w, &f.handling);
        self.opt_ref(w, f.func);
        w.u8(match f.hook.target {
            Target::Push => 0,
            Target::Nested => 1,
        });
        match f.hook.transform {
            Transform::None => w.u8(0),
            Transform::Init(v) => {
                w.u8(1);
                self.value(w, v);
            }
            Transform::Not => w.u8(2),
            Transform::Bool => w.u8(3),
            Transform::MakeClass(a, b) => {
                w.u8(4);
                self.value(w, a);
                self.value(w, b);
            }
            Transform::BinRetry(op, a, b, refl) => {
                w.u8(5);
                w.u8(binop_index(op));
                self.value(w, a);
                self.value(w, b);
                w.u8(refl as u8);
            }
            Transform::EqRetry(a, b, neg, refl) => {
                w.u8(6);
                self.value(w, a);
                self.value(w, b);
                w.u8(neg as u8);
                w.u8(refl as u8);
            }
        }
        self.opt_ref(w, f.genr);
        Ok(())
    }

    /// Writes the record of every queued object (and of those they reveal).
    fn drain(&mut self) -> PResult<()> {
        while self.next < self.order.len() {
            let r = self.order[self.next];
            self.next += 1;
            let mut w = std::mem::take(&mut self.objs);
            let res = self.record(&mut w, r);
            self.objs = w;
            res?;
        }
        Ok(())
    }

    fn record(&mut self, w: &mut Writer, r: Ref) -> PResult<()> {
        if let Some((ns, n)) = self.named.get(&r).cloned() {
            w.u8(tag::NAMED);
            w.str(&ns);
            w.str(&n);
            return Ok(());
        }
        if let Some(n) = self.module_dicts.get(&r).cloned() {
            w.u8(tag::MODULE_DICT);
            w.str(&n);
            return Ok(());
        }
        let vm = &*self.vm;
        match vm.heap.get(r) {
            Obj::Str(s) => {
                w.u8(tag::STR);
                w.str(s);
            }
            Obj::Bytes(b) => {
                w.u8(tag::BYTES);
                w.bytes(b);
            }
            Obj::BigInt(b) => {
                w.u8(tag::BIGINT);
                let (sign, mag) = b.to_bytes_le();
                w.u8(matches!(sign, num_bigint::Sign::Minus) as u8);
                w.bytes(&mag);
            }
            Obj::List(v) => {
                let v = v.clone();
                w.u8(tag::LIST);
                self.values(w, &v);
            }
            Obj::Tuple(v) => {
                let v = v.clone();
                w.u8(tag::TUPLE);
                self.values(w, &v);
            }
            Obj::Dict(d) => {
                let items: Vec<(Value, Value)> = d.iter().collect();
                w.u8(tag::DICT);
                w.usize(items.len());
                for (k, v) in items {
                    self.value(w, k);
                    self.value(w, v);
                }
            }
            Obj::Set(d, frozen) => {
                let (keys, frozen) = (d.keys(), *frozen);
                w.u8(tag::SET);
                w.u8(frozen as u8);
                self.values(w, &keys);
            }
            Obj::Range(a, b, c) => {
                w.u8(tag::RANGE);
                w.i64(*a);
                w.i64(*b);
                w.i64(*c);
            }
            Obj::Slice(a, b, c) => {
                let (a, b, c) = (*a, *b, *c);
                w.u8(tag::SLICE);
                self.values(w, &[a, b, c]);
            }
            Obj::Cell(v) => {
                let v = *v;
                w.u8(tag::CELL);
                match v {
                    None => w.u8(0),
                    Some(v) => {
                        w.u8(1);
                        self.value(w, v);
                    }
                }
            }
            Obj::Function(f) => {
                let (code, globals, class) = (f.code.clone(), f.globals, f.class);
                let (defaults, kwd, closure) =
                    (f.defaults.clone(), f.kwdefaults.clone(), f.closure.clone());
                w.u8(tag::FUNCTION);
                self.code(w, &code)?;
                self.obj_ref(w, globals);
                self.values(w, &defaults);
                w.usize(kwd.len());
                for (k, v) in kwd.iter() {
                    w.str(k);
                    self.value(w, *v);
                }
                w.usize(closure.len());
                for c in closure.iter() {
                    self.obj_ref(w, *c);
                }
                self.opt_ref(w, class);
            }
            Obj::Native(n) => {
                let (name, bound) = (n.name, n.bound);
                let Some(recv) = bound else {
                    return pickling_error(
                        self.vm,
                        format!(
                            "cannot pickle built-in function '{name}': it has no importable name"
                        ),
                    );
                };
                w.u8(tag::NATIVE_BOUND);
                self.value(w, recv);
                w.str(name);
            }
            Obj::BoundMethod(a, b) => {
                let (a, b) = (*a, *b);
                w.u8(tag::BOUND_METHOD);
                self.value(w, a);
                self.value(w, b);
            }
            Obj::Class(c) => {
                if c.builtin.is_some() {
                    let n = c.name.clone();
                    return pickling_error(self.vm, format!("cannot pickle built-in class '{n}'"));
                }
                let (name, base, dict) = (c.name.clone(), c.base, c.dict.clone());
                w.u8(tag::CLASS);
                match self.class_homes.get(&r) {
                    Some((m, n)) => {
                        w.u8(1);
                        w.str(m);
                        w.str(n);
                    }
                    None => w.u8(0),
                }
                w.str(&name);
                self.opt_ref(w, base);
                self.attrs(w, &dict);
            }
            Obj::Instance(i) => {
                let (class, dict) = (i.class, i.dict.clone());
                let exc = i.exc.as_ref().map(|e| {
                    (
                        e.args.clone(),
                        e.traceback.clone(),
                        e.cause,
                        e.context,
                        e.suppress_context,
                    )
                });
                w.u8(tag::INSTANCE);
                self.obj_ref(w, class);
                self.attrs(w, &dict);
                match exc {
                    None => w.u8(0),
                    Some((args, tb, cause, context, suppress)) => {
                        w.u8(1);
                        self.values(w, &args);
                        w.usize(tb.len());
                        for (file, name, line) in &tb {
                            w.str(file);
                            w.str(name);
                            w.varint(*line as u64);
                        }
                        for v in [cause, context] {
                            match v {
                                None => w.u8(0),
                                Some(v) => {
                                    w.u8(1);
                                    self.value(w, v);
                                }
                            }
                        }
                        w.u8(suppress as u8);
                    }
                }
            }
            Obj::Module(n, _) => {
                let n = n.clone();
                w.u8(tag::MODULE);
                w.str(&n);
            }
            Obj::Generator(g) => {
                if g.running && !self.allow_running {
                    return pickling_error(self.vm, "cannot pickle a running generator");
                }
                let (name, running, finished) = (g.name.clone(), g.running, g.finished);
                w.u8(tag::GENERATOR);
                w.str(&name);
                w.u8(running as u8);
                w.u8(finished as u8);
                // The frame is moved out while encoding (encoding only reads it) and put back.
                let frame = match self.vm.heap.get_mut(r) {
                    Obj::Generator(g) => g.frame.take(),
                    _ => None,
                };
                let res = match &frame {
                    None => {
                        w.u8(0);
                        Ok(())
                    }
                    Some(f) => {
                        w.u8(1);
                        self.frame(w, f)
                    }
                };
                if let Obj::Generator(g) = self.vm.heap.get_mut(r) {
                    g.frame = frame;
                }
                res?;
            }
            Obj::Iter(it) => {
                let it = (**it).clone();
                w.u8(tag::ITER);
                self.iter_state(w, it);
            }
            Obj::Property(a, b, c) => {
                let (a, b, c) = (*a, *b, *c);
                w.u8(tag::PROPERTY);
                self.values(w, &[a, b, c]);
            }
            Obj::StaticMethod(v) => {
                let v = *v;
                w.u8(tag::STATIC_METHOD);
                self.value(w, v);
            }
            Obj::ClassMethod(v) => {
                let v = *v;
                w.u8(tag::CLASS_METHOD);
                self.value(w, v);
            }
            Obj::Super(c, v) => {
                let (c, v) = (*c, *v);
                w.u8(tag::SUPER);
                self.obj_ref(w, c);
                self.value(w, v);
            }
            Obj::View(d, k) => {
                let (d, k) = (*d, *k);
                w.u8(tag::VIEW);
                self.obj_ref(w, d);
                w.u8(k);
            }
            Obj::Host(c, data) => {
                let (c, data) = (*c, data.clone());
                let name = vm
                    .host_classes
                    .iter()
                    .find(|h| h.1 == c)
                    .map(|h| Rc::from(h.0))
                    .unwrap_or_else(|| vm.class_name(c));
                let Some(hp) = vm.pickle_hosts.iter().find(|h| *h.class == *name) else {
                    return err(ExcKind::TypeError, format!("cannot pickle '{name}' object"));
                };
                let save = hp.save;
                let (children, bytes) = save(self.vm, &data)?;
                w.u8(tag::HOST);
                w.str(&name);
                w.bytes(&bytes);
                self.values(w, &children);
            }
        }
        Ok(())
    }

    fn iter_state(&mut self, w: &mut Writer, it: IterState) {
        match it {
            IterState::Seq(v, i) => {
                w.u8(0);
                self.value(w, v);
                w.usize(i);
            }
            IterState::Str(s, i) => {
                w.u8(1);
                w.str(&s);
                w.usize(i);
            }
            IterState::Bytes(b, i) => {
                w.u8(2);
                w.bytes(&b);
                w.usize(i);
            }
            IterState::Range(a, b, c) => {
                w.u8(3);
                w.i64(a);
                w.i64(b);
                w.i64(c);
            }
            IterState::Dict(d, i, k, n) => {
                w.u8(4);
                self.obj_ref(w, d);
                w.usize(i);
                w.u8(k);
                w.usize(n);
            }
            IterState::Snapshot(v, i) => {
                w.u8(5);
                self.values(w, &v);
                w.usize(i);
            }
            IterState::Reversed(v, i) => {
                w.u8(6);
                self.value(w, v);
                w.usize(i);
            }
            IterState::Enumerate(v, i) => {
                w.u8(7);
                self.value(w, v);
                w.i64(i);
            }
            IterState::Zip(v) => {
                w.u8(8);
                self.values(w, &v);
            }
            IterState::Map(f, v) => {
                w.u8(9);
                self.value(w, f);
                self.values(w, &v);
            }
            IterState::Filter(a, b) => {
                w.u8(10);
                self.value(w, a);
                self.value(w, b);
            }
            IterState::Callable(a, b) => {
                w.u8(11);
                self.value(w, a);
                self.value(w, b);
            }
        }
    }

    /// Completes the payload: sources, codes, objects, then the root section `root`.
    pub fn finish(mut self, root: Writer) -> PResult<Vec<u8>> {
        self.drain()?;
        let mut out = Writer::default();
        out.usize(self.sources.len());
        for si in &self.sources {
            let (f, s, _) = &self.vm.sources[*si];
            out.str(f);
            out.str(s);
        }
        out.varint(self.ncodes as u64);
        out.buf.extend_from_slice(&self.codes.buf);
        out.usize(self.order.len());
        out.buf.extend_from_slice(&self.objs.buf);
        out.buf.extend_from_slice(&root.buf);
        Ok(out.buf)
    }
}

/// Paths of indices through `codes` from `top` to every nested code object.
pub fn code_paths(top: &Rc<Code>) -> HashMap<*const Code, Vec<u32>> {
    let mut out = HashMap::new();
    let mut work: Vec<(Rc<Code>, Vec<u32>)> = vec![(top.clone(), Vec::new())];
    while let Some((c, path)) = work.pop() {
        for (i, sub) in c.codes.iter().enumerate() {
            let mut p = path.clone();
            p.push(i as u32);
            work.push((sub.clone(), p));
        }
        out.insert(Rc::as_ptr(&c), path);
    }
    out
}
