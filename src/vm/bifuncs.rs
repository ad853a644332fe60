//! The builtin functions (`print`, `len`, `sorted`, `min`, ...).

use std::rc::Rc;

use num_bigint::BigInt;
use num_traits::{Signed, Zero};

use super::builtins::{arg, kwarg, to_int};
use super::error::{ExcKind, PResult, err, type_err, value_err};
use super::interp::Vm;
use super::ops::{Num, big_to_value};
use super::value::*;

type Kw = [(Rc<str>, Value)];

pub(super) fn bi_print(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let sep = match kwarg(kw, "sep") {
        Some(Value::None) | None => " ".to_string(),
        Some(v) => vm.to_str(v)?,
    };
    let end = match kwarg(kw, "end") {
        Some(Value::None) | None => "\n".to_string(),
        Some(v) => vm.to_str(v)?,
    };
    let mut s = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            s.push_str(&sep);
        }
        s.push_str(&vm.to_str(*a)?);
    }
    s.push_str(&end);
    match kwarg(kw, "file") {
        Some(Value::None) | None => vm.write_out(s.as_bytes()),
        Some(f) => {
            let w = vm.get_attr(f, "write")?;
            let sv = vm.new_str(s);
            vm.call_sync(w, vec![sv], vec![])?;
        }
    }
    Ok(Value::None)
}

pub(super) fn bi_len(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = arg(args, 0);
    if let Value::Obj(r) = v {
        let n = match vm.heap.get(r) {
            Obj::Str(s) => {
                if s.is_ascii() {
                    s.len()
                } else {
                    s.chars().count()
                }
            }
            Obj::Bytes(b) => b.len(),
            Obj::List(l) => l.len(),
            Obj::Tuple(t) => t.len(),
            Obj::Dict(d) | Obj::Set(d, _) => d.len(),
            Obj::View(d, _) => match vm.heap.get(*d) {
                Obj::Dict(d) => d.len(),
                _ => 0,
            },
            Obj::Range(a, b, c) => super::ops::range_len(*a, *b, *c) as usize,
            Obj::Instance(_) => {
                if let Some(f) = vm.has_attr(v, "__len__")? {
                    let n = vm.call_sync(f, vec![], vec![])?;
                    if let Value::Int(i) = n
                        && i < 0
                    {
                        return value_err("__len__() should return >= 0");
                    }
                    return Ok(n);
                }
                usize::MAX
            }
            _ => usize::MAX,
        };
        if n != usize::MAX {
            return Ok(Value::Int(n as i64));
        }
    }
    let t = vm.type_name(v);
    type_err(format!("object of type '{t}' has no len()"))
}

pub(super) fn bi_repr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = vm.repr(arg(args, 0))?;
    Ok(vm.new_str(s))
}

/// `repr` with every non-ASCII character escaped, as `\xhh`, `\uhhhh` or `\Uhhhhhhhh`.
pub(super) fn bi_ascii(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = vm.repr(arg(args, 0))?;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            super::format::escape_code_point(&mut out, c);
        }
    }
    Ok(vm.new_str(out))
}

pub(super) fn bi_abs(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = arg(args, 0);
    Ok(match vm.num(v) {
        Some(Num::I(i)) => match i.checked_abs() {
            Some(a) => Value::Int(a),
            None => big_to_value(vm, BigInt::from(i).abs()),
        },
        Some(Num::B(b)) => big_to_value(vm, b.abs()),
        Some(Num::F(f)) => Value::Float(f.abs()),
        None => {
            if let Some(f) = vm.has_attr(v, "__abs__")? {
                return vm.call_sync(f, vec![], vec![]);
            }
            let t = vm.type_name(v);
            return type_err(format!("bad operand type for abs(): '{t}'"));
        }
    })
}

fn class_list(vm: &Vm, v: Value) -> PResult<Vec<Ref>> {
    match v.as_ref().map(|r| (r, vm.heap.get(r))) {
        Some((r, Obj::Class(_))) => Ok(vec![r]),
        Some((_, Obj::Tuple(t))) => {
            let mut out = Vec::new();
            for x in t.iter() {
                out.extend(class_list(vm, *x)?);
            }
            Ok(out)
        }
        _ => type_err("isinstance() arg 2 must be a type, a tuple of types, or a union"),
    }
}

pub(super) fn bi_isinstance(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let cs = class_list(vm, arg(args, 1))?;
    let v = arg(args, 0);
    Ok(Value::Bool(cs.iter().any(|c| vm.isinstance(v, *c))))
}

pub(super) fn bi_issubclass(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let Some(c) = arg(args, 0)
        .as_ref()
        .filter(|r| matches!(vm.heap.get(*r), Obj::Class(_)))
    else {
        return type_err("issubclass() arg 1 must be a class");
    };
    let cs = class_list(vm, arg(args, 1))?;
    Ok(Value::Bool(cs.iter().any(|x| vm.is_subclass(c, *x))))
}

fn attr_name(vm: &Vm, v: Value) -> PResult<Rc<str>> {
    match vm.str_val(v) {
        Some(s) => Ok(s),
        None => type_err("attribute name must be string"),
    }
}

pub(super) fn bi_hasattr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let n = attr_name(vm, arg(args, 1))?;
    Ok(Value::Bool(vm.has_attr(arg(args, 0), &n)?.is_some()))
}

pub(super) fn bi_getattr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let n = attr_name(vm, arg(args, 1))?;
    if args.len() > 2 {
        return Ok(vm.has_attr(arg(args, 0), &n)?.unwrap_or(args[2]));
    }
    vm.get_attr(arg(args, 0), &n)
}

pub(super) fn bi_setattr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let n = attr_name(vm, arg(args, 1))?;
    vm.store_attr(arg(args, 0), &n, arg(args, 2))?;
    Ok(Value::None)
}

pub(super) fn bi_delattr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let n = attr_name(vm, arg(args, 1))?;
    vm.delete_attr(arg(args, 0), &n)?;
    Ok(Value::None)
}

pub(super) fn bi_callable(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Bool(vm.is_callable(arg(args, 0))))
}

impl Vm {
    pub fn is_callable(&self, v: Value) -> bool {
        match v.as_ref().map(|r| self.heap.get(r)) {
            Some(Obj::Function(_) | Obj::Native(_) | Obj::BoundMethod(..) | Obj::Class(_)) => true,
            Some(Obj::Instance(i)) => self.class_lookup(i.class, "__call__").is_some(),
            Some(Obj::Host(c, _)) => self.class_lookup(*c, "__call__").is_some(),
            _ => false,
        }
    }
}

pub(super) fn bi_iter(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    if args.len() == 2 {
        return Ok(vm.alloc(Obj::Iter(Box::new(IterState::Callable(args[0], args[1])))));
    }
    vm.get_iter(arg(args, 0))
}

pub(super) fn bi_next(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    if let Some(d) = args.get(1) {
        return Ok(vm.next_sync(arg(args, 0))?.unwrap_or(*d));
    }
    match vm.next_raw(arg(args, 0))? {
        Some(v) => Ok(v),
        None => err(ExcKind::StopIteration, ""),
    }
}

pub(super) fn bi_ord(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = arg(args, 0);
    if let Some(s) = vm.str_val(v) {
        let mut it = s.chars();
        if let (Some(c), None) = (it.next(), it.next()) {
            return Ok(Value::Int(c as i64));
        }
        return type_err(format!(
            "ord() expected a character, but string of length {} found",
            s.chars().count()
        ));
    }
    if let Some(Obj::Bytes(b)) = v.as_ref().map(|r| vm.heap.get(r))
        && b.len() == 1
    {
        return Ok(Value::Int(b[0] as i64));
    }
    let t = vm.type_name(v);
    type_err(format!("ord() expected string of length 1, but {t} found"))
}

pub(super) fn bi_chr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    match arg(args, 0) {
        Value::Int(i) => match u32::try_from(i).ok().and_then(char::from_u32) {
            Some(c) => Ok(vm.new_str(c.to_string())),
            None => value_err("chr() arg not in range(0x110000)"),
        },
        v => {
            let t = vm.type_name(v);
            type_err(format!("'{t}' object cannot be interpreted as an integer"))
        }
    }
}

fn radix(vm: &mut Vm, v: Value, r: u32, prefix: &str) -> PResult<Value> {
    let b = match vm.num(v) {
        Some(Num::I(i)) => BigInt::from(i),
        Some(Num::B(b)) => b,
        _ => {
            let t = vm.type_name(v);
            return type_err(format!("'{t}' object cannot be interpreted as an integer"));
        }
    };
    let s = if b.is_negative() {
        format!("-{prefix}{}", (-b).to_str_radix(r))
    } else {
        format!("{prefix}{}", b.to_str_radix(r))
    };
    Ok(vm.new_str(s))
}

pub(super) fn bi_hex(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    radix(vm, arg(args, 0), 16, "0x")
}
pub(super) fn bi_oct(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    radix(vm, arg(args, 0), 8, "0o")
}
pub(super) fn bi_bin(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    radix(vm, arg(args, 0), 2, "0b")
}

pub(super) fn bi_hash(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    use std::hash::{Hash, Hasher};
    let v = arg(args, 0);
    if let Value::Int(i) = v {
        return Ok(Value::Int(if i == -1 { -2 } else { i }));
    }
    if let Value::Bool(b) = v {
        return Ok(Value::Int(b as i64));
    }
    let k = vm.hash_key(v)?;
    if let super::dict::HashKey::Int(i) = k {
        return Ok(Value::Int(if i == -1 { -2 } else { i }));
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    k.hash(&mut h);
    Ok(Value::Int((h.finish() >> 2) as i64))
}

pub(super) fn bi_id(_vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Int(match arg(args, 0) {
        Value::Obj(r) => 0x7f00_0000_0000 + r.0 as i64 * 16,
        Value::Int(i) => 0x1000 + i.wrapping_mul(32),
        Value::None => 0x100,
        Value::Bool(b) => 0x200 + b as i64,
        _ => 0x300,
    }))
}

pub(super) fn bi_sum(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let items = vm.iterate_rooted(arg(args, 0))?;
    let mut acc = args
        .get(1)
        .copied()
        .or(kwarg(kw, "start"))
        .unwrap_or(Value::Int(0));
    if vm.str_val(acc).is_some() {
        return type_err("sum() can't sum strings [use ''.join(seq) instead]");
    }
    for x in items {
        acc = match (acc, x) {
            (Value::Int(a), Value::Int(b)) if a.checked_add(b).is_some() => Value::Int(a + b),
            _ => vm.binary_sync(acc, x, super::ast::BinOp::Add)?,
        };
    }
    Ok(acc)
}

pub(super) fn bi_any(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let it = vm.get_iter(arg(args, 0))?;
    vm.temp_roots.push(it);
    let r = (|| {
        while let Some(x) = vm.next_rooted(it)? {
            if vm.truthy(x)? {
                return Ok(Value::Bool(true));
            }
        }
        Ok(Value::Bool(false))
    })();
    vm.temp_roots.pop();
    r
}

pub(super) fn bi_all(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let it = vm.get_iter(arg(args, 0))?;
    vm.temp_roots.push(it);
    let r = (|| {
        while let Some(x) = vm.next_rooted(it)? {
            if !vm.truthy(x)? {
                return Ok(Value::Bool(false));
            }
        }
        Ok(Value::Bool(true))
    })();
    vm.temp_roots.pop();
    r
}

fn min_max(vm: &mut Vm, args: &[Value], kw: &Kw, is_max: bool) -> PResult<Value> {
    let name = if is_max { "max" } else { "min" };
    let items = if args.len() == 1 {
        vm.iterate_rooted(args[0])?
    } else {
        args.to_vec()
    };
    if args.is_empty() {
        return type_err(format!("{name} expected at least 1 argument, got 0"));
    }
    let key = kwarg(kw, "key").filter(|k| !matches!(k, Value::None));
    if items.is_empty() {
        return match kwarg(kw, "default") {
            Some(d) => Ok(d),
            None => value_err(format!("{name}() arg is an empty sequence")),
        };
    }
    let mut best = items[0];
    let mut best_key = match key {
        Some(k) => vm.call_sync(k, vec![best], vec![])?,
        None => best,
    };
    for x in items.into_iter().skip(1) {
        let kx = match key {
            Some(k) => vm.call_sync(k, vec![x], vec![])?,
            None => x,
        };
        let op = if is_max {
            super::ast::CmpOp::Gt
        } else {
            super::ast::CmpOp::Lt
        };
        let o = vm.cmp(kx, best_key, op)?;
        let better = match o {
            Some(o) => {
                if is_max {
                    o.is_gt()
                } else {
                    o.is_lt()
                }
            }
            None => false,
        };
        if better {
            best = x;
            best_key = kx;
        }
    }
    Ok(best)
}

pub(super) fn bi_min(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    min_max(vm, args, kw, false)
}
pub(super) fn bi_max(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    min_max(vm, args, kw, true)
}

/// Stable merge sort with a fallible comparison (comparisons may run Python code).
pub fn sort_values(
    vm: &mut Vm,
    items: Vec<Value>,
    key: Option<Value>,
    reverse: bool,
) -> PResult<Vec<Value>> {
    let mut pairs: Vec<(Value, Value)> = Vec::with_capacity(items.len());
    for x in items {
        let k = match key {
            Some(k) => vm.call_sync(k, vec![x], vec![])?,
            None => x,
        };
        pairs.push((k, x));
    }
    if reverse {
        pairs.reverse();
    }
    let all_int = pairs.iter().all(|p| matches!(p.0, Value::Int(_)));
    if all_int {
        pairs.sort_by_key(|p| match p.0 {
            Value::Int(i) => i,
            _ => 0,
        });
    } else if pairs.iter().all(|p| vm.str_val(p.0).is_some()) {
        let mut keyed: Vec<(Rc<str>, (Value, Value))> = pairs
            .iter()
            .map(|p| (vm.str_val(p.0).unwrap_or_default(), *p))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        pairs = keyed.into_iter().map(|k| k.1).collect();
    } else {
        pairs = merge_sort(vm, pairs)?;
    }
    if reverse {
        pairs.reverse();
    }
    Ok(pairs.into_iter().map(|p| p.1).collect())
}

fn merge_sort(vm: &mut Vm, v: Vec<(Value, Value)>) -> PResult<Vec<(Value, Value)>> {
    if v.len() <= 1 {
        return Ok(v);
    }
    let mut v = v;
    let right = v.split_off(v.len() / 2);
    let left = merge_sort(vm, v)?;
    let right = merge_sort(vm, right)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        // Take from the right only when strictly less: keeps the sort stable.
        let lt = vm
            .cmp(right[j].0, left[i].0, super::ast::CmpOp::Lt)?
            .is_some_and(|o| o.is_lt());
        if lt {
            out.push(right[j]);
            j += 1;
        } else {
            out.push(left[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&left[i..]);
    out.extend_from_slice(&right[j..]);
    Ok(out)
}

pub(super) fn bi_sorted(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let items = vm.iterate_rooted(arg(args, 0))?;
    let key = kwarg(kw, "key").filter(|k| !matches!(k, Value::None));
    let rev = match kwarg(kw, "reverse") {
        Some(v) => vm.truthy(v)?,
        None => false,
    };
    let out = sort_values(vm, items, key, rev)?;
    Ok(vm.new_list(out))
}

pub(super) fn bi_reversed(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = arg(args, 0);
    if let Some(Obj::Instance(_)) = v.as_ref().map(|r| vm.heap.get(r))
        && let Some(f) = vm.has_attr(v, "__reversed__")?
    {
        return vm.call_sync(f, vec![], vec![]);
    }
    match v.as_ref().map(|r| vm.heap.get(r)) {
        Some(Obj::List(l)) => {
            let n = l.len();
            Ok(vm.alloc(Obj::Iter(Box::new(IterState::Reversed(v, n)))))
        }
        Some(Obj::Tuple(t)) => {
            let n = t.len();
            Ok(vm.alloc(Obj::Iter(Box::new(IterState::Reversed(v, n)))))
        }
        Some(Obj::Str(_) | Obj::Range(..) | Obj::Bytes(_) | Obj::Dict(_))
        | Some(Obj::Instance(_)) => {
            let mut items = vm.iterate(v)?;
            items.reverse();
            Ok(vm.alloc(Obj::Iter(Box::new(IterState::Snapshot(items.into(), 0)))))
        }
        _ => {
            let t = vm.type_name(v);
            type_err(format!("'{t}' object is not reversible"))
        }
    }
}

pub(super) fn bi_enumerate(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let it = vm.get_iter(arg(args, 0))?;
    let start = match args.get(1).copied().or(kwarg(kw, "start")) {
        Some(Value::Int(i)) => i,
        _ => 0,
    };
    Ok(vm.alloc(Obj::Iter(Box::new(IterState::Enumerate(it, start)))))
}

pub(super) fn bi_zip(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let mut its = Vec::new();
    for a in args {
        its.push(vm.get_iter(*a)?);
    }
    Ok(vm.alloc(Obj::Iter(Box::new(IterState::Zip(its)))))
}

pub(super) fn bi_map(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    if args.len() < 2 {
        return type_err("map() must have at least two arguments.");
    }
    let mut its = Vec::new();
    for a in &args[1..] {
        its.push(vm.get_iter(*a)?);
    }
    Ok(vm.alloc(Obj::Iter(Box::new(IterState::Map(args[0], its)))))
}

pub(super) fn bi_filter(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let it = vm.get_iter(arg(args, 1))?;
    Ok(vm.alloc(Obj::Iter(Box::new(IterState::Filter(arg(args, 0), it)))))
}

pub(super) fn bi_round(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let v = arg(args, 0);
    let nd = args
        .get(1)
        .copied()
        .or(kwarg(kw, "ndigits"))
        .unwrap_or(Value::None);
    match (vm.num(v), nd) {
        (Some(Num::F(f)), Value::None) => {
            if f.is_nan() {
                return value_err("cannot convert float NaN to integer");
            }
            if f.is_infinite() {
                return err(
                    ExcKind::OverflowError,
                    "cannot convert float infinity to integer",
                );
            }
            to_int(vm, Value::Float(f.round_ties_even()), None)
        }
        (Some(Num::F(f)), Value::Int(n)) => {
            if !f.is_finite() {
                return Ok(Value::Float(f));
            }
            if n >= 0 {
                let s = format!("{:.*}", n.min(300) as usize, f);
                Ok(Value::Float(s.parse().unwrap_or(f)))
            } else {
                let p = 10f64.powi((-n) as i32);
                Ok(Value::Float((f / p).round_ties_even() * p))
            }
        }
        (Some(Num::I(i)), Value::Int(n)) if n < 0 => {
            let p = 10i64.checked_pow((-n) as u32).unwrap_or(i64::MAX);
            let q = i.div_euclid(p);
            let r = i.rem_euclid(p);
            let q = if r * 2 > p || (r * 2 == p && q % 2 != 0) {
                q + 1
            } else {
                q
            };
            Ok(Value::Int(q.saturating_mul(p)))
        }
        (Some(Num::I(_) | Num::B(_)), _) => Ok(if let Value::Bool(b) = v {
            Value::Int(b as i64)
        } else {
            v
        }),
        _ => {
            if let Some(f) = vm.has_attr(v, "__round__")? {
                return vm.call_sync(f, args[1..].to_vec(), vec![]);
            }
            let t = vm.type_name(v);
            type_err(format!("type {t} doesn't define __round__ method"))
        }
    }
}

pub(super) fn bi_divmod(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let (a, b) = (arg(args, 0), arg(args, 1));
    let q = vm.binary_value(a, b, super::ast::BinOp::FloorDiv, false)?;
    let r = vm.binary_value(a, b, super::ast::BinOp::Mod, false)?;
    Ok(vm.new_tuple(vec![q, r]))
}

pub(super) fn bi_pow(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let (a, b) = (arg(args, 0), arg(args, 1));
    if let Some(m) = args.get(2).copied().filter(|m| !matches!(m, Value::None)) {
        let to_b = |n: Option<Num>| match n {
            Some(Num::I(i)) => Some(BigInt::from(i)),
            Some(Num::B(b)) => Some(b),
            _ => None,
        };
        let (Some(x), Some(e), Some(m)) = (to_b(vm.num(a)), to_b(vm.num(b)), to_b(vm.num(m)))
        else {
            return type_err("pow() 3rd argument not allowed unless all arguments are integers");
        };
        if m.is_zero() {
            return value_err("pow() 3rd argument cannot be 0");
        }
        if e.is_negative() {
            return value_err("base is not invertible for the given modulus");
        }
        let r = x.modpow(&e, &m);
        let r = if !r.is_zero() && r.is_negative() != m.is_negative() {
            r + &m
        } else {
            r
        };
        return Ok(big_to_value(vm, r));
    }
    vm.binary_value(a, b, super::ast::BinOp::Pow, false)
}

pub(super) fn bi_format(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let spec = vm.str_val(arg(args, 1)).unwrap_or_else(|| Rc::from(""));
    let s = vm.format(arg(args, 0), &spec)?;
    Ok(vm.new_str(s))
}

pub(super) fn bi_globals(vm: &mut Vm, _args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(vm
        .frames
        .last()
        .map(|f| Value::Obj(f.globals))
        .unwrap_or(Value::None))
}

pub(super) fn bi_vars(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    vm.get_attr(arg(args, 0), "__dict__")
}
