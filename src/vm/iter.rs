//! Iteration: `iter()`/`next()` for built-in containers in Rust, generators by resuming their
//! frame, and user classes through `__iter__`/`__next__`.

use std::rc::Rc;

use super::error::{Exc, ExcKind, PResult, type_err};
use super::interp::{Hook, Vm};
use super::value::*;

impl Vm {
    /// The iterator for `v`, or `None` when `v` needs a Python `__iter__` call.
    fn native_iter(&mut self, v: Value) -> PResult<Option<Value>> {
        let Value::Obj(r) = v else {
            let t = self.type_name(v);
            return type_err(format!("'{t}' object is not iterable"));
        };
        let st = match self.heap.get(r) {
            Obj::List(_) | Obj::Tuple(_) => IterState::Seq(v, 0),
            Obj::Str(s) => IterState::Str(s.clone(), 0),
            Obj::Bytes(b) => IterState::Bytes(b.clone(), 0),
            Obj::Range(a, b, c) => IterState::Range(*a, *b, *c),
            Obj::Dict(d) => IterState::Dict(r, 0, 0, d.len()),
            Obj::Set(d, _) => IterState::Snapshot(d.set_order().into(), 0),
            Obj::Iter(_) | Obj::Generator(_) => return Ok(Some(v)),
            Obj::View(d, k) => {
                let n = match self.heap.get(*d) {
                    Obj::Dict(x) => x.len(),
                    _ => 0,
                };
                IterState::Dict(*d, 0, *k, n)
            }
            // Host objects may define `__iter__` (`stackless.channel`).
            Obj::Instance(_) => return Ok(None),
            Obj::Host(c, _) if self.class_lookup(*c, "__iter__").is_some() => return Ok(None),
            _ => {
                let t = self.type_name(v);
                return type_err(format!("'{t}' object is not iterable"));
            }
        };
        Ok(Some(self.alloc(Obj::Iter(Box::new(st)))))
    }

    pub fn get_iter_op(&mut self, v: Value) -> PResult<()> {
        match self.native_iter(v)? {
            Some(it) => {
                self.push(it);
                Ok(())
            }
            None => {
                let f = self.user_iter_method(v)?;
                self.invoke(f, Vec::new(), Vec::new(), Hook::PUSH)
            }
        }
    }

    fn user_iter_method(&mut self, v: Value) -> PResult<Value> {
        match self.has_attr(v, "__iter__")? {
            Some(f) => Ok(f),
            None => {
                if self.has_attr(v, "__getitem__")?.is_some() {
                    // The old sequence protocol: index from 0 until IndexError.
                    let n = self.native_method("__iter__", seq_protocol_iter);
                    return Ok(self.alloc(Obj::BoundMethod(v, n)));
                }
                let t = self.type_name(v);
                type_err(format!("'{t}' object is not iterable"))
            }
        }
    }

    pub fn get_iter(&mut self, v: Value) -> PResult<Value> {
        match self.native_iter(v)? {
            Some(it) => Ok(it),
            None => {
                let f = self.user_iter_method(v)?;
                self.call_sync(f, Vec::new(), Vec::new())
            }
        }
    }

    /// Advances a native iterator. `Ok(None)`: exhausted. `Err(Exc::FramePushed)` never.
    fn native_next(&mut self, r: Ref) -> PResult<Option<Value>> {
        let Obj::Iter(st) = self.heap.get_mut(r) else {
            return Ok(None);
        };
        match &mut **st {
            IterState::Seq(src, i) => {
                let (src, idx) = (*src, *i);
                *i += 1;
                let Value::Obj(sr) = src else { return Ok(None) };
                Ok(match self.heap.get(sr) {
                    Obj::List(l) => l.get(idx).copied(),
                    Obj::Tuple(t) => t.get(idx).copied(),
                    _ => None,
                })
            }
            IterState::Str(s, pos) => {
                let Some(c) = s[*pos..].chars().next() else {
                    return Ok(None);
                };
                *pos += c.len_utf8();
                let v = self.new_str(c.to_string());
                Ok(Some(v))
            }
            IterState::Bytes(b, pos) => {
                let v = b.get(*pos).map(|x| Value::Int(*x as i64));
                *pos += 1;
                Ok(v)
            }
            IterState::Range(cur, stop, step) => {
                if (*step > 0 && *cur < *stop) || (*step < 0 && *cur > *stop) {
                    let v = *cur;
                    *cur = cur.saturating_add(*step);
                    Ok(Some(Value::Int(v)))
                } else {
                    Ok(None)
                }
            }
            IterState::Dict(d, _, kind, len0) => {
                let (d, kind, len0) = (*d, *kind, *len0);
                if matches!(self.heap.get(d), Obj::Dict(x) if x.len() != len0) {
                    return super::error::err(
                        ExcKind::RuntimeError,
                        "dictionary changed size during iteration",
                    );
                }
                loop {
                    let idx = {
                        let Obj::Iter(st) = self.heap.get_mut(r) else {
                            return Ok(None);
                        };
                        let IterState::Dict(_, i, _, _) = &mut **st else {
                            return Ok(None);
                        };
                        *i += 1;
                        *i - 1
                    };
                    let Obj::Dict(dict) = self.heap.get(d) else {
                        return Ok(None);
                    };
                    match dict.slot(idx) {
                        None => return Ok(None),
                        Some(None) => continue,
                        Some(Some((k, v))) => {
                            return Ok(Some(match kind {
                                0 => k,
                                1 => v,
                                _ => self.new_tuple(vec![k, v]),
                            }));
                        }
                    }
                }
            }
            IterState::Snapshot(items, i) => {
                let v = items.get(*i).copied();
                *i += 1;
                Ok(v)
            }
            IterState::Reversed(src, i) => {
                if *i == 0 {
                    return Ok(None);
                }
                *i -= 1;
                let (src, idx) = (*src, *i);
                let Value::Obj(sr) = src else { return Ok(None) };
                Ok(match self.heap.get(sr) {
                    Obj::List(l) => l.get(idx).copied(),
                    Obj::Tuple(t) => t.get(idx).copied(),
                    _ => None,
                })
            }
            IterState::Enumerate(it, n) => {
                let (it, k) = (*it, *n);
                *n += 1;
                match self.next_sync(it)? {
                    Some(v) => Ok(Some(self.new_tuple(vec![Value::Int(k), v]))),
                    None => Ok(None),
                }
            }
            IterState::Zip(its) => {
                if its.is_empty() {
                    return Ok(None);
                }
                let its = its.clone();
                let mut out = Vec::with_capacity(its.len());
                for it in its {
                    match self.next_sync(it)? {
                        Some(v) => out.push(v),
                        None => return Ok(None),
                    }
                }
                Ok(Some(self.new_tuple(out)))
            }
            IterState::Map(f, its) => {
                let (f, its) = (*f, its.clone());
                let mut args = Vec::with_capacity(its.len());
                for it in its {
                    match self.next_sync(it)? {
                        Some(v) => args.push(v),
                        None => return Ok(None),
                    }
                }
                Ok(Some(self.call_sync(f, args, Vec::new())?))
            }
            IterState::Filter(f, it) => {
                let (f, it) = (*f, *it);
                while let Some(v) = self.next_sync(it)? {
                    let keep = if matches!(f, Value::None) {
                        self.truthy(v)?
                    } else {
                        let r = self.call_sync(f, vec![v], Vec::new())?;
                        self.truthy(r)?
                    };
                    if keep {
                        return Ok(Some(v));
                    }
                }
                Ok(None)
            }
            IterState::Callable(f, sentinel) => {
                let (f, sentinel) = (*f, *sentinel);
                let v = self.call_sync(f, Vec::new(), Vec::new())?;
                if self.eq(v, sentinel)? {
                    Ok(None)
                } else {
                    Ok(Some(v))
                }
            }
        }
    }

    /// `next()` from native code: `None` when exhausted.
    pub fn next_sync(&mut self, it: Value) -> PResult<Option<Value>> {
        self.next_checked(it, false)
    }

    /// `next_sync` for callers that keep every value they hold in `temp_roots` (or in
    /// frames): the collector may run while a generator produces the item.
    pub fn next_rooted(&mut self, it: Value) -> PResult<Option<Value>> {
        self.next_checked(it, true)
    }

    fn next_checked(&mut self, it: Value, rooted: bool) -> PResult<Option<Value>> {
        match self.next_impl(it, rooted) {
            Ok(v) => Ok(v),
            Err(Exc::New(ExcKind::StopIteration, _)) => Ok(None),
            Err(Exc::Obj(e)) if self.is_instance_of_kind(e, ExcKind::StopIteration) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Like `next_sync`, but a StopIteration raised by Python code (with its value) is
    /// passed on as is; `Ok(None)` only for exhausted native iterators.
    pub fn next_raw(&mut self, it: Value) -> PResult<Option<Value>> {
        self.next_impl(it, true)
    }

    fn next_impl(&mut self, it: Value, rooted: bool) -> PResult<Option<Value>> {
        let Value::Obj(r) = it else {
            let t = self.type_name(it);
            return type_err(format!("'{t}' object is not an iterator"));
        };
        let res = match self.heap.get(r) {
            Obj::Iter(_) => return self.native_next(r),
            Obj::Generator(_) => {
                let base = self.frames.len();
                if self.nested >= self.max_nested {
                    return super::error::err(
                        ExcKind::RecursionError,
                        "maximum recursion depth exceeded",
                    );
                }
                self.nested += 1;
                if !rooted {
                    self.gc_inhibit += 1;
                }
                let r = match self.gen_resume(r, Value::None, None, Hook::NESTED) {
                    Ok(()) => self.run_loop(base, None).map(|o| match o {
                        super::interp::RunOutcome::Finished(v) => v,
                        super::interp::RunOutcome::BudgetExhausted => Value::None,
                    }),
                    Err(e) => Err(e),
                };
                self.nested -= 1;
                if !rooted {
                    self.gc_inhibit -= 1;
                }
                r
            }
            _ => {
                let f = match self.has_attr(it, "__next__")? {
                    Some(f) => f,
                    None => {
                        let t = self.type_name(it);
                        return type_err(format!("'{t}' object is not an iterator"));
                    }
                };
                self.call_sync(f, Vec::new(), Vec::new())
            }
        };
        res.map(Some)
    }

    /// `ForIter`: pushes the next item or pops the iterator and jumps.
    pub fn for_iter(&mut self, it: Value, target: u32) -> PResult<()> {
        let Value::Obj(r) = it else {
            return type_err("not an iterator");
        };
        if let Obj::Iter(st) = self.heap.get_mut(r)
            && let IterState::Range(cur, stop, step) = &mut **st
        {
            if (*step > 0 && *cur < *stop) || (*step < 0 && *cur > *stop) {
                let v = *cur;
                *cur = cur.saturating_add(*step);
                self.push(Value::Int(v));
            } else {
                self.pop();
                self.top().ip = target as usize;
            }
            return Ok(());
        }
        match self.heap.get(r) {
            Obj::Iter(_) => match self.native_next(r)? {
                Some(v) => self.push(v),
                None => {
                    self.pop();
                    self.top().ip = target as usize;
                }
            },
            Obj::Generator(_) => self.gen_resume(r, Value::None, None, Hook::PUSH)?,
            _ => {
                let f = match self.has_attr(it, "__next__")? {
                    Some(f) => f,
                    None => {
                        let t = self.type_name(it);
                        return type_err(format!("'{t}' object is not an iterator"));
                    }
                };
                self.invoke(f, Vec::new(), Vec::new(), Hook::PUSH)?;
            }
        }
        Ok(())
    }

    /// `SendIter` for `yield from`.
    pub fn send_iter(&mut self, it: Value, v: Value, target: u32) -> PResult<()> {
        let Value::Obj(r) = it else {
            return type_err("not an iterator");
        };
        if let Obj::Generator(_) = self.heap.get(r) {
            self.pop();
            return self.gen_resume(r, v, None, Hook::PUSH);
        }
        self.pop();
        match self.next_sync(it)? {
            Some(x) => self.push(x),
            None => {
                self.pop();
                self.push(Value::None);
                self.top().ip = target as usize;
            }
        }
        Ok(())
    }

    /// All items of an iterable, for natives (`list(x)`, unpacking, `sorted`). The collector
    /// waits meanwhile, so the caller may hold values in Rust locals.
    pub fn iterate(&mut self, v: Value) -> PResult<Vec<Value>> {
        self.gc_inhibit += 1;
        let r = self.iterate_rooted(v);
        self.gc_inhibit -= 1;
        r
    }

    /// `iterate` for callers whose other live values are all rooted (their arguments, held
    /// by `invoke`): the collector may run while a generator produces the items, so
    /// `list(big_generator)` runs in bounded memory.
    pub fn iterate_rooted(&mut self, v: Value) -> PResult<Vec<Value>> {
        if let Value::Obj(r) = v {
            match self.heap.get(r) {
                Obj::List(l) => return Ok(l.clone()),
                Obj::Tuple(t) => return Ok(t.to_vec()),
                Obj::Dict(d) => return Ok(d.keys()),
                Obj::Set(d, _) => return Ok(d.set_order()),
                _ => {}
            }
        }
        let it = self.get_iter(v)?;
        // The iterator and the items so far live in `temp_roots`, so the collector may run
        // while a generator produces the rest.
        let mark = self.temp_roots.len();
        self.temp_roots.push(it);
        let r = loop {
            match self.next_rooted(it) {
                Ok(Some(x)) => {
                    self.temp_roots.push(x);
                    let n = self.temp_roots.len() - mark - 1;
                    if n.is_multiple_of(65536)
                        && let Err(e) = self.check_memory(n * 16)
                    {
                        break Err(e);
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        let out = self.temp_roots.split_off(mark + 1);
        self.temp_roots.truncate(mark);
        r.map(|()| out)
    }

    pub fn unpack(&mut self, v: Value, n: usize) -> PResult<Vec<Value>> {
        let items = self.iterate(v)?;
        if items.len() > n {
            return super::error::value_err(format!("too many values to unpack (expected {n})"));
        }
        if items.len() < n {
            return super::error::value_err(format!(
                "not enough values to unpack (expected {n}, got {})",
                items.len()
            ));
        }
        Ok(items)
    }

    pub fn check_memory(&mut self, extra: usize) -> PResult<()> {
        if self.heap.bytes.saturating_add(extra) > self.heap.limit {
            return Err(Exc::Fatal("MemoryError".into()));
        }
        Ok(())
    }
}

fn seq_protocol_iter(vm: &mut Vm, args: &[Value], _kw: &[(Rc<str>, Value)]) -> PResult<Value> {
    // Materializes the sequence: fine for the small classes that use this protocol.
    let obj = args[0];
    let getitem = vm.get_attr(obj, "__getitem__")?;
    let mut items = Vec::new();
    for i in 0.. {
        match vm.call_sync(getitem, vec![Value::Int(i)], Vec::new()) {
            Ok(v) => items.push(v),
            Err(Exc::New(ExcKind::IndexError, _)) => break,
            Err(Exc::Obj(e)) if vm.is_instance_of_kind(e, ExcKind::IndexError) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(vm.alloc(Obj::Iter(Box::new(IterState::Snapshot(items.into(), 0)))))
}
