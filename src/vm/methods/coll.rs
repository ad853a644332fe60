//! Methods of list, tuple, dict, set, generators and numbers.

use std::rc::Rc;

use super::super::error::{Exc, ExcKind, PResult, err, type_err, value_err};
use super::super::interp::Vm;
use super::super::value::*;

type Kw = [(Rc<str>, Value)];

pub const LIST: &[(&str, NativeFn)] = &[
    ("append", list_append),
    ("extend", list_extend),
    ("insert", list_insert),
    ("pop", list_pop),
    ("remove", list_remove),
    ("index", seq_index),
    ("count", seq_count),
    ("sort", list_sort),
    ("reverse", list_reverse),
    ("clear", list_clear),
    ("copy", list_copy),
];

pub const TUPLE: &[(&str, NativeFn)] = &[("index", seq_index), ("count", seq_count)];

pub const DICT: &[(&str, NativeFn)] = &[
    ("get", dict_get),
    ("keys", dict_keys),
    ("values", dict_values),
    ("items", dict_items),
    ("setdefault", dict_setdefault),
    ("pop", dict_pop),
    ("popitem", dict_popitem),
    ("update", dict_update),
    ("clear", dict_clear),
    ("copy", dict_copy),
    ("fromkeys", dict_fromkeys),
];

pub const SET: &[(&str, NativeFn)] = &[
    ("add", set_add),
    ("remove", set_remove),
    ("discard", set_discard),
    ("pop", set_pop),
    ("clear", set_clear),
    ("copy", set_copy),
    ("update", set_update),
    ("union", set_union),
    ("intersection", set_intersection),
    ("difference", set_difference),
    ("symmetric_difference", set_symdiff),
    ("issubset", set_issubset),
    ("issuperset", set_issuperset),
    ("isdisjoint", set_isdisjoint),
    ("intersection_update", set_intersection_update),
    ("difference_update", set_difference_update),
];

pub const GENERATOR: &[(&str, NativeFn)] = &[
    ("send", gen_send),
    ("throw", gen_throw),
    ("close", gen_close),
    ("__next__", gen_next),
];

pub const INT: &[(&str, NativeFn)] = &[("bit_length", int_bit_length), ("conjugate", num_self)];

pub const FLOAT: &[(&str, NativeFn)] = &[("is_integer", float_is_integer), ("conjugate", num_self)];

pub const OBJECT: &[(&str, NativeFn)] = &[
    ("__init__", object_init),
    ("__setattr__", object_setattr),
    ("__getattribute__", object_getattribute),
];

fn a(args: &[Value], i: usize) -> Value {
    args.get(i).copied().unwrap_or(Value::None)
}

fn self_ref(args: &[Value]) -> PResult<Ref> {
    args.first()
        .and_then(|v| v.as_ref())
        .ok_or_else(|| Exc::New(ExcKind::TypeError, "method needs an object".into()))
}

fn with_list<T>(vm: &mut Vm, args: &[Value], f: impl FnOnce(&mut Vec<Value>) -> T) -> PResult<T> {
    let r = self_ref(args)?;
    match vm.heap.get_mut(r) {
        Obj::List(l) => Ok(f(l)),
        _ => type_err("descriptor requires a 'list' object"),
    }
}

fn list_append(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = a(args, 1);
    with_list(vm, args, |l| l.push(v))?;
    Ok(Value::None)
}

fn list_extend(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let items = vm.iterate(a(args, 1))?;
    with_list(vm, args, |l| l.extend(items))?;
    Ok(Value::None)
}

fn list_insert(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let Value::Int(i) = a(args, 1) else {
        return type_err("'insert' index must be an integer");
    };
    let v = a(args, 2);
    with_list(vm, args, |l| {
        let n = l.len() as i64;
        let i = if i < 0 { (i + n).max(0) } else { i.min(n) };
        l.insert(i as usize, v);
    })?;
    Ok(Value::None)
}

fn list_pop(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let idx = match a(args, 1) {
        Value::None => -1,
        Value::Int(i) => i,
        _ => return type_err("'pop' index must be an integer"),
    };
    let r = with_list(vm, args, |l| {
        if l.is_empty() {
            return Err("pop from empty list");
        }
        let n = l.len() as i64;
        let i = if idx < 0 { idx + n } else { idx };
        if i < 0 || i >= n {
            return Err("pop index out of range");
        }
        Ok(l.remove(i as usize))
    })?;
    r.or_else(|m| err(ExcKind::IndexError, m))
}

fn list_remove(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let items = vm.list_items(a(args, 0));
    let x = a(args, 1);
    for (i, v) in items.iter().enumerate() {
        if vm.eq(*v, x)? {
            with_list(vm, args, |l| {
                if i < l.len() {
                    l.remove(i);
                }
            })?;
            return Ok(Value::None);
        }
    }
    value_err("list.remove(x): x not in list")
}

fn seq_index(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let items = vm.list_items(a(args, 0));
    let x = a(args, 1);
    let n = items.len() as i64;
    let fix = |v: Value, d: i64| match v {
        Value::Int(i) => {
            if i < 0 {
                (i + n).max(0)
            } else {
                i.min(n)
            }
        }
        _ => d,
    };
    let (lo, hi) = (fix(a(args, 2), 0), fix(a(args, 3), n));
    for i in lo..hi {
        if vm.eq(items[i as usize], x)? {
            return Ok(Value::Int(i));
        }
    }
    let is_list = matches!(
        a(args, 0).as_ref().map(|r| vm.heap.get(r)),
        Some(Obj::List(_))
    );
    if is_list {
        let r = vm.repr(x)?;
        value_err(format!("{r} is not in list"))
    } else {
        value_err("tuple.index(x): x not in tuple")
    }
}

fn seq_count(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let items = vm.list_items(a(args, 0));
    let mut n = 0;
    for v in items {
        if vm.eq(v, a(args, 1))? {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

fn list_sort(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let items = vm.list_items(a(args, 0));
    let key = kw
        .iter()
        .find(|k| &*k.0 == "key")
        .map(|k| k.1)
        .filter(|k| !matches!(k, Value::None));
    let rev = match kw.iter().find(|k| &*k.0 == "reverse") {
        Some((_, v)) => vm.truthy(*v)?,
        None => false,
    };
    let sorted = super::super::bifuncs::sort_values(vm, items, key, rev)?;
    with_list(vm, args, |l| *l = sorted)?;
    Ok(Value::None)
}

fn list_reverse(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    with_list(vm, args, |l| l.reverse())?;
    Ok(Value::None)
}

fn list_clear(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    with_list(vm, args, |l| l.clear())?;
    Ok(Value::None)
}

fn list_copy(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let items = vm.list_items(a(args, 0));
    Ok(vm.new_list(items))
}

fn dict_ref(vm: &Vm, args: &[Value]) -> PResult<Ref> {
    let r = self_ref(args)?;
    match vm.heap.get(r) {
        Obj::Dict(_) => Ok(r),
        _ => type_err("descriptor requires a 'dict' object"),
    }
}

fn dict_lookup(vm: &mut Vm, d: Ref, k: Value) -> PResult<Option<Value>> {
    let hk = vm.hash_key(k)?;
    Ok(match vm.heap.get(d) {
        Obj::Dict(d) => d.get(&hk),
        _ => None,
    })
}

fn dict_get(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let d = dict_ref(vm, args)?;
    Ok(dict_lookup(vm, d, a(args, 1))?.unwrap_or(a(args, 2)))
}

fn dict_view(vm: &mut Vm, args: &[Value], kind: u8) -> PResult<Value> {
    let d = dict_ref(vm, args)?;
    Ok(vm.alloc(Obj::View(d, kind)))
}

fn dict_keys(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    dict_view(vm, args, 0)
}
fn dict_values(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    dict_view(vm, args, 1)
}
fn dict_items(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    dict_view(vm, args, 2)
}

fn dict_setdefault(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let d = dict_ref(vm, args)?;
    if let Some(v) = dict_lookup(vm, d, a(args, 1))? {
        return Ok(v);
    }
    vm.dict_set(Value::Obj(d), a(args, 1), a(args, 2))?;
    Ok(a(args, 2))
}

fn key_error(vm: &mut Vm, k: Value) -> Exc {
    let e = vm.new_exception(ExcKind::KeyError, "");
    if let Some(d) = vm.exc_data_mut(e) {
        d.args = vec![k];
    }
    Exc::Obj(e)
}

fn dict_pop(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let d = dict_ref(vm, args)?;
    let hk = vm.hash_key(a(args, 1))?;
    let r = match vm.heap.get_mut(d) {
        Obj::Dict(d) => d.remove(&hk),
        _ => None,
    };
    match r {
        Some((_, v)) => Ok(v),
        None if args.len() > 2 => Ok(args[2]),
        None => Err(key_error(vm, a(args, 1))),
    }
}

fn dict_popitem(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let d = dict_ref(vm, args)?;
    let r = match vm.heap.get_mut(d) {
        Obj::Dict(d) => d.pop_last(),
        _ => None,
    };
    match r {
        Some((k, v)) => Ok(vm.new_tuple(vec![k, v])),
        None => err(ExcKind::KeyError, "popitem(): dictionary is empty"),
    }
}

fn dict_update(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let d = dict_ref(vm, args)?;
    if args.len() > 1 {
        super::super::builtins::dict_update_from(vm, Value::Obj(d), args[1])?;
    }
    for (k, v) in kw {
        let k = vm.new_str(k.clone());
        vm.dict_set(Value::Obj(d), k, *v)?;
    }
    Ok(Value::None)
}

fn dict_clear(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let d = dict_ref(vm, args)?;
    if let Obj::Dict(d) = vm.heap.get_mut(d) {
        d.clear();
    }
    Ok(Value::None)
}

fn dict_copy(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let d = dict_ref(vm, args)?;
    let c = match vm.heap.get(d) {
        Obj::Dict(d) => d.clone(),
        _ => return Ok(Value::None),
    };
    Ok(vm.alloc(Obj::Dict(c)))
}

fn dict_fromkeys(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    // Called through the class (`dict.fromkeys(keys, v)`), so there is no self.
    let keys = vm.iterate(a(args, 0))?;
    let d = vm.new_dict();
    for k in keys {
        vm.dict_set(d, k, a(args, 1))?;
    }
    Ok(d)
}

fn set_ref(vm: &Vm, args: &[Value]) -> PResult<Ref> {
    let r = self_ref(args)?;
    match vm.heap.get(r) {
        Obj::Set(..) => Ok(r),
        _ => type_err("descriptor requires a 'set' object"),
    }
}

fn set_add(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = set_ref(vm, args)?;
    let v = a(args, 1);
    let hk = vm.hash_key(v)?;
    if let Obj::Set(d, _) = vm.heap.get_mut(s) {
        d.insert(hk, v, Value::None);
    }
    Ok(Value::None)
}

fn set_remove_impl(vm: &mut Vm, args: &[Value], strict: bool) -> PResult<Value> {
    let s = set_ref(vm, args)?;
    let v = a(args, 1);
    let hk = vm.hash_key(v)?;
    let removed = match vm.heap.get_mut(s) {
        Obj::Set(d, _) => d.remove(&hk).is_some(),
        _ => false,
    };
    if strict && !removed {
        return Err(key_error(vm, v));
    }
    Ok(Value::None)
}

fn set_remove(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    set_remove_impl(vm, args, true)
}
fn set_discard(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    set_remove_impl(vm, args, false)
}

fn set_pop(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = set_ref(vm, args)?;
    let first = match vm.heap.get(s) {
        Obj::Set(d, _) => d.iter().next(),
        _ => None,
    };
    match first {
        Some((k, _)) => {
            let hk = vm.hash_key(k)?;
            if let Obj::Set(d, _) = vm.heap.get_mut(s) {
                d.remove(&hk);
            }
            Ok(k)
        }
        None => err(ExcKind::KeyError, "pop from an empty set"),
    }
}

fn set_clear(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = set_ref(vm, args)?;
    if let Obj::Set(d, _) = vm.heap.get_mut(s) {
        d.clear();
    }
    Ok(Value::None)
}

fn set_copy(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = set_ref(vm, args)?;
    let (d, f) = match vm.heap.get(s) {
        Obj::Set(d, f) => (d.clone(), *f),
        _ => return Ok(Value::None),
    };
    Ok(vm.alloc(Obj::Set(d, f)))
}

fn set_update(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = set_ref(vm, args)?;
    for other in &args[1..] {
        for v in vm.iterate(*other)? {
            let hk = vm.hash_key(v)?;
            if let Obj::Set(d, _) = vm.heap.get_mut(s) {
                d.insert(hk, v, Value::None);
            }
        }
    }
    Ok(Value::None)
}

/// Applies a set operator between self and each argument (any iterable).
fn set_binop(vm: &mut Vm, args: &[Value], op: super::super::ast::BinOp) -> PResult<Value> {
    let mut acc = args[0];
    for other in &args[1..] {
        let items = vm.iterate(*other)?;
        let o = vm.new_set(items, false)?;
        acc = vm.binary_value(acc, o, op, false)?;
    }
    if args.len() == 1 {
        return set_copy(vm, args, &[]);
    }
    Ok(acc)
}

fn set_union(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    set_binop(vm, args, super::super::ast::BinOp::BitOr)
}
fn set_intersection(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    set_binop(vm, args, super::super::ast::BinOp::BitAnd)
}
fn set_difference(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    set_binop(vm, args, super::super::ast::BinOp::Sub)
}
fn set_symdiff(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    set_binop(vm, args, super::super::ast::BinOp::BitXor)
}

fn set_inplace(vm: &mut Vm, args: &[Value], op: super::super::ast::BinOp) -> PResult<Value> {
    let s = set_ref(vm, args)?;
    let r = set_binop(vm, args, op)?;
    let d = match r.as_ref().map(|x| vm.heap.get(x)) {
        Some(Obj::Set(d, _)) => d.clone(),
        _ => return Ok(Value::None),
    };
    if let Obj::Set(old, _) = vm.heap.get_mut(s) {
        *old = d;
    }
    Ok(Value::None)
}

fn set_intersection_update(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    set_inplace(vm, args, super::super::ast::BinOp::BitAnd)
}
fn set_difference_update(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    set_inplace(vm, args, super::super::ast::BinOp::Sub)
}

fn subset(vm: &mut Vm, x: Value, y: Value) -> PResult<bool> {
    for k in vm.iterate(x)? {
        if !vm.contains(y, k)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn set_issubset(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let items = vm.iterate(a(args, 1))?;
    let o = vm.new_set(items, false)?;
    Ok(Value::Bool(subset(vm, a(args, 0), o)?))
}
fn set_issuperset(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Bool(subset(vm, a(args, 1), a(args, 0))?))
}
fn set_isdisjoint(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    for k in vm.iterate(a(args, 1))? {
        if vm.contains(a(args, 0), k)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn gen_ref(vm: &Vm, args: &[Value]) -> PResult<Ref> {
    let r = self_ref(args)?;
    match vm.heap.get(r) {
        Obj::Generator(_) => Ok(r),
        _ => type_err("descriptor requires a 'generator' object"),
    }
}

/// `genr.send(v)` resumes the generator's frame on the frame stack: its next yield becomes
/// this call's result (delivered by the hook of the call that invoked `send`).
fn gen_send(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let g = gen_ref(vm, args)?;
    let hook = vm.pending_hook;
    vm.gen_resume(g, a(args, 1), None, hook)?;
    Err(Exc::FramePushed)
}

fn gen_next(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let g = gen_ref(vm, args)?;
    let hook = vm.pending_hook;
    vm.gen_resume(g, Value::None, None, hook)?;
    Err(Exc::FramePushed)
}

fn gen_throw(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    // Read first: instantiating the exception below runs calls that reset it.
    let hook = vm.pending_hook;
    let g = gen_ref(vm, args)?;
    let mut e = a(args, 1);
    if let Value::Obj(r) = e
        && matches!(vm.heap.get(r), Obj::Class(_))
    {
        let extra: Vec<Value> = args.get(2).copied().into_iter().collect();
        e = vm.call_sync(e, extra, vec![])?;
    }
    if vm.exc_data(e).is_none() {
        return type_err("exceptions must derive from BaseException");
    }
    vm.gen_resume(g, Value::None, Some(e), hook)?;
    Err(Exc::FramePushed)
}

fn gen_close(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let g = gen_ref(vm, args)?;
    let started = match vm.heap.get(g) {
        Obj::Generator(genr) => genr.frame.as_ref().is_some_and(|f| f.ip > 0),
        _ => false,
    };
    if !started {
        if let Obj::Generator(genr) = vm.heap.get_mut(g) {
            genr.frame = None;
            genr.finished = true;
        }
        return Ok(Value::None);
    }
    let exit = vm.new_exception(ExcKind::GeneratorExit, "");
    let throw = vm.native_method("throw", gen_throw);
    let bound = vm.alloc(Obj::BoundMethod(Value::Obj(g), throw));
    match vm.call_sync(bound, vec![exit], vec![]) {
        Ok(_) => err(ExcKind::RuntimeError, "generator ignored GeneratorExit"),
        Err(Exc::Obj(e))
            if vm.is_instance_of_kind(e, ExcKind::GeneratorExit)
                || vm.is_instance_of_kind(e, ExcKind::StopIteration) =>
        {
            Ok(Value::None)
        }
        Err(Exc::New(ExcKind::StopIteration | ExcKind::GeneratorExit, _)) => Ok(Value::None),
        Err(e) => Err(e),
    }
}

fn int_bit_length(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Int(match vm.num(a(args, 0)) {
        Some(super::super::ops::Num::I(i)) => 64 - i.unsigned_abs().leading_zeros() as i64,
        Some(super::super::ops::Num::B(b)) => b.bits() as i64,
        _ => 0,
    }))
}

fn num_self(_vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(a(args, 0))
}

fn float_is_integer(_vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Bool(
        matches!(a(args, 0), Value::Float(f) if f.is_finite() && f.fract() == 0.0),
    ))
}

fn object_init(_vm: &mut Vm, _args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::None)
}

/// `object.__setattr__(self, name, value)`: the plain instance-dict store that a user
/// `__setattr__` delegates to.
fn object_setattr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let Some(name) = vm.str_val(a(args, 1)) else {
        return type_err("attribute name must be string");
    };
    match a(args, 0).as_ref().map(|r| vm.heap.get_mut(r)) {
        Some(Obj::Instance(i)) => {
            i.dict.insert(name, a(args, 2));
            Ok(Value::None)
        }
        _ => type_err("object.__setattr__ needs an instance"),
    }
}

fn object_getattribute(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let Some(name) = vm.str_val(a(args, 1)) else {
        return type_err("attribute name must be string");
    };
    vm.get_attr(a(args, 0), &name)
}
