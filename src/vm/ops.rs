//! Operators: arithmetic with i64 fast paths that overflow into big ints, comparisons,
//! truthiness, equality, hashing and subscripts.
//!
//! Operator dunders of user classes (`__add__`, `__eq__`, `__lt__`, `__getitem__`, ...) are
//! invoked as frames with the result pushed by the hook; a `NotImplemented` result is not
//! retried with the reflected method (the reflected one is used only when the left operand
//! has no method at all).

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};

use super::ast::{BinOp, CmpOp, UnaryOp};
use super::dict::HashKey;
use super::error::{ExcKind, PResult, err, type_err};
use super::interp::{Hook, Target, Transform, Vm};
use super::op::Op;
use super::value::*;

#[derive(Clone, Debug)]
pub enum Num {
    I(i64),
    B(BigInt),
    F(f64),
}

pub fn big_to_value(vm: &mut Vm, b: BigInt) -> Value {
    match b.to_i64() {
        Some(i) => Value::Int(i),
        None => vm.alloc(Obj::BigInt(Box::new(b))),
    }
}

fn to_big(n: &Num) -> BigInt {
    match n {
        Num::I(i) => BigInt::from(*i),
        Num::B(b) => b.clone(),
        Num::F(f) => BigInt::from(*f as i64),
    }
}

pub fn num_f64(n: &Num) -> f64 {
    match n {
        Num::I(i) => *i as f64,
        Num::B(b) => b.to_f64().unwrap_or(f64::INFINITY),
        Num::F(f) => *f,
    }
}

fn binop_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::FloorDiv => "//",
        BinOp::Mod => "%",
        BinOp::Pow => "** or pow()",
        BinOp::LShift => "<<",
        BinOp::RShift => ">>",
        BinOp::BitAnd => "&",
        BinOp::BitOr => "|",
        BinOp::BitXor => "^",
        BinOp::MatMul => "@",
    }
}

fn dunder(op: BinOp) -> (&'static str, &'static str, &'static str) {
    match op {
        BinOp::Add => ("__add__", "__radd__", "__iadd__"),
        BinOp::Sub => ("__sub__", "__rsub__", "__isub__"),
        BinOp::Mul => ("__mul__", "__rmul__", "__imul__"),
        BinOp::Div => ("__truediv__", "__rtruediv__", "__itruediv__"),
        BinOp::FloorDiv => ("__floordiv__", "__rfloordiv__", "__ifloordiv__"),
        BinOp::Mod => ("__mod__", "__rmod__", "__imod__"),
        BinOp::Pow => ("__pow__", "__rpow__", "__ipow__"),
        BinOp::LShift => ("__lshift__", "__rlshift__", "__ilshift__"),
        BinOp::RShift => ("__rshift__", "__rrshift__", "__irshift__"),
        BinOp::BitAnd => ("__and__", "__rand__", "__iand__"),
        BinOp::BitOr => ("__or__", "__ror__", "__ior__"),
        BinOp::BitXor => ("__xor__", "__rxor__", "__ixor__"),
        BinOp::MatMul => ("__matmul__", "__rmatmul__", "__imatmul__"),
    }
}

impl Vm {
    pub fn num(&self, v: Value) -> Option<Num> {
        match v {
            Value::Int(i) => Some(Num::I(i)),
            Value::Bool(b) => Some(Num::I(b as i64)),
            Value::Float(f) => Some(Num::F(f)),
            Value::Obj(r) => match self.heap.get(r) {
                Obj::BigInt(b) => Some(Num::B((**b).clone())),
                _ => None,
            },
            _ => None,
        }
    }

    fn is_user_instance(&self, v: Value) -> bool {
        matches!(v, Value::Obj(r) if matches!(self.heap.get(r), Obj::Instance(_)))
    }

    pub fn binary_op(&mut self, l: Value, r: Value, op: BinOp, inplace: bool) -> PResult<()> {
        if let (Value::Int(a), Value::Int(b)) = (l, r) {
            let fast = match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                _ => None,
            };
            if let Some(v) = fast {
                self.push(Value::Int(v));
                return Ok(());
            }
        }
        if self.is_user_instance(l) || self.is_user_instance(r) {
            let (f, rf, inf) = dunder(op);
            if inplace && self.is_user_instance(l)
                && let Some(m) = self.has_attr(l, inf)?
            {
                return self.invoke(m, vec![r], Vec::new(), Hook::PUSH);
            }
            if self.is_user_instance(l)
                && let Some(m) = self.has_attr(l, f)?
            {
                return self.invoke(m, vec![r], Vec::new(), Hook::PUSH);
            }
            if self.is_user_instance(r)
                && let Some(m) = self.has_attr(r, rf)?
            {
                return self.invoke(m, vec![l], Vec::new(), Hook::PUSH);
            }
        }
        let v = self.binary_value(l, r, op, inplace)?;
        self.push(v);
        Ok(())
    }

    /// Binary operators on built-in values.
    pub fn binary_value(&mut self, l: Value, r: Value, op: BinOp, inplace: bool) -> PResult<Value> {
        if let (Some(a), Some(b)) = (self.num(l), self.num(r)) {
            if matches!(op, BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor)
                && let (Value::Bool(x), Value::Bool(y)) = (l, r)
            {
                return Ok(Value::Bool(match op {
                    BinOp::BitAnd => x & y,
                    BinOp::BitOr => x | y,
                    _ => x ^ y,
                }));
            }
            return self.arith(a, b, op, l, r);
        }
        if op == BinOp::Mod
            && let Some(s) = self.str_val(l)
        {
            let out = super::format::percent_format(self, &s, r)?;
            return Ok(self.new_str(out));
        }
        if let (Value::Obj(lr), Value::Obj(rr)) = (l, r) {
            match (self.heap.get(lr), self.heap.get(rr), op) {
                (Obj::Str(a), Obj::Str(b), BinOp::Add) => {
                    let mut s = String::with_capacity(a.len() + b.len());
                    s.push_str(a);
                    s.push_str(b);
                    return Ok(self.new_str(s));
                }
                (Obj::Bytes(a), Obj::Bytes(b), BinOp::Add) => {
                    let v: Vec<u8> = a.iter().chain(b.iter()).copied().collect();
                    return Ok(self.alloc(Obj::Bytes(v.into())));
                }
                (Obj::List(a), Obj::List(b), BinOp::Add) => {
                    if inplace {
                        let b = b.clone();
                        if let Obj::List(a) = self.heap.get_mut(lr) {
                            a.extend(b);
                        }
                        return Ok(l);
                    }
                    let v: Vec<Value> = a.iter().chain(b.iter()).copied().collect();
                    return Ok(self.new_list(v));
                }
                (Obj::List(_), _, BinOp::Add) if inplace => {
                    let items = self.iterate(r)?;
                    if let Obj::List(a) = self.heap.get_mut(lr) {
                        a.extend(items);
                    }
                    return Ok(l);
                }
                (Obj::Tuple(a), Obj::Tuple(b), BinOp::Add) => {
                    let v: Vec<Value> = a.iter().chain(b.iter()).copied().collect();
                    return Ok(self.new_tuple(v));
                }
                (Obj::Set(a, fa), Obj::Set(b, _), BinOp::BitOr | BinOp::BitAnd | BinOp::Sub | BinOp::BitXor) => {
                    let frozen = *fa;
                    let mut out = super::dict::Dict::new();
                    let keep = |x: bool, y: bool| match op {
                        BinOp::BitOr => x || y,
                        BinOp::BitAnd => x && y,
                        BinOp::Sub => x && !y,
                        _ => x != y,
                    };
                    for (hk, k, _) in a.keyed() {
                        if keep(true, b.contains(&hk)) {
                            out.insert(hk, k, Value::None);
                        }
                    }
                    for (hk, k, _) in b.keyed() {
                        if !a.contains(&hk) && keep(false, true) {
                            out.insert(hk, k, Value::None);
                        }
                    }
                    if inplace && !frozen {
                        *self.heap.get_mut(lr) = Obj::Set(out, false);
                        return Ok(l);
                    }
                    return Ok(self.alloc(Obj::Set(out, frozen)));
                }
                (Obj::Dict(a), Obj::Dict(b), BinOp::BitOr) => {
                    let mut out = a.clone();
                    for (hk, k, v) in b.keyed() {
                        out.insert(hk, k, v);
                    }
                    if inplace {
                        *self.heap.get_mut(lr) = Obj::Dict(out);
                        return Ok(l);
                    }
                    return Ok(self.alloc(Obj::Dict(out)));
                }
                _ => {}
            }
        }
        if op == BinOp::Mul {
            if let Some(n) = self.repeat_count(r) {
                if let Some(v) = self.repeat(l, n, inplace)? {
                    return Ok(v);
                }
            } else if let Some(n) = self.repeat_count(l)
                && let Some(v) = self.repeat(r, n, false)?
            {
                return Ok(v);
            }
        }
        let (a, b) = (self.type_name(l), self.type_name(r));
        if op == BinOp::Add && &*a == "str" {
            return type_err(format!("can only concatenate str (not \"{b}\") to str"));
        }
        if op == BinOp::Add && &*a == "list" {
            return type_err(format!("can only concatenate list (not \"{b}\") to list"));
        }
        type_err(format!("unsupported operand type(s) for {}: '{a}' and '{b}'", binop_symbol(op)))
    }

    fn repeat_count(&self, v: Value) -> Option<i64> {
        match v {
            Value::Int(i) => Some(i),
            Value::Bool(b) => Some(b as i64),
            Value::Obj(r) => match self.heap.get(r) {
                Obj::BigInt(b) => Some(if b.is_negative() { 0 } else { i64::MAX }),
                _ => None,
            },
            _ => None,
        }
    }

    fn repeat(&mut self, seq: Value, n: i64, inplace: bool) -> PResult<Option<Value>> {
        let Value::Obj(r) = seq else { return Ok(None) };
        let n = n.max(0) as usize;
        let unit = match self.heap.get(r) {
            Obj::Str(s) => s.len(),
            Obj::Bytes(b) => b.len(),
            Obj::List(l) => l.len() * 16,
            Obj::Tuple(t) => t.len() * 16,
            _ => return Ok(None),
        };
        if unit.checked_mul(n).is_none_or(|total| total > self.heap.limit) {
            return Err(super::error::Exc::Fatal("MemoryError".into()));
        }
        self.check_memory(unit * n)?;
        Ok(Some(match self.heap.get(r) {
            Obj::Str(s) => {
                let s = s.repeat(n);
                self.new_str(s)
            }
            Obj::Bytes(b) => {
                let b = b.repeat(n);
                self.alloc(Obj::Bytes(b.into()))
            }
            Obj::List(l) => {
                let v = l.repeat(n);
                if inplace {
                    *self.heap.get_mut(r) = Obj::List(v);
                    seq
                } else {
                    self.new_list(v)
                }
            }
            Obj::Tuple(t) => {
                let v = t.repeat(n);
                self.new_tuple(v)
            }
            _ => return Ok(None),
        }))
    }

    fn arith(&mut self, a: Num, b: Num, op: BinOp, l: Value, r: Value) -> PResult<Value> {
        use Num::*;
        if let (F(_), _) | (_, F(_)) = (&a, &b) {
            if matches!(op, BinOp::LShift | BinOp::RShift | BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::MatMul) {
                let (x, y) = (self.type_name(l), self.type_name(r));
                return type_err(format!("unsupported operand type(s) for {}: '{x}' and '{y}'", binop_symbol(op)));
            }
            let (x, y) = (num_f64(&a), num_f64(&b));
            return Ok(Value::Float(float_op(x, y, op)?));
        }
        if let (I(x), I(y)) = (&a, &b) {
            let (x, y) = (*x, *y);
            let r = match op {
                BinOp::Add => x.checked_add(y),
                BinOp::Sub => x.checked_sub(y),
                BinOp::Mul => x.checked_mul(y),
                BinOp::FloorDiv | BinOp::Mod => {
                    if y == 0 {
                        return err(ExcKind::ZeroDivisionError, zero_div_msg(op));
                    }
                    if op == BinOp::FloorDiv { x.checked_div_euclid(y).map(|_| Integer::div_floor(&x, &y)) } else { x.checked_rem(y).map(|_| x.mod_floor(&y)) }
                }
                BinOp::Div => {
                    if y == 0 {
                        return err(ExcKind::ZeroDivisionError, "division by zero");
                    }
                    return Ok(Value::Float(x as f64 / y as f64));
                }
                BinOp::Pow => {
                    if y < 0 {
                        if x == 0 {
                            return err(ExcKind::ZeroDivisionError, "0.0 cannot be raised to a negative power");
                        }
                        return Ok(Value::Float((x as f64).powf(y as f64)));
                    }
                    u32::try_from(y).ok().and_then(|e| x.checked_pow(e))
                }
                BinOp::LShift => {
                    if y < 0 {
                        return err(ExcKind::ValueError, "negative shift count");
                    }
                    if y < 63 && (x.abs() >> (62 - y)) == 0 { Some(x << y) } else { None }
                }
                BinOp::RShift => {
                    if y < 0 {
                        return err(ExcKind::ValueError, "negative shift count");
                    }
                    Some(if y >= 64 { if x < 0 { -1 } else { 0 } } else { x >> y })
                }
                BinOp::BitAnd => Some(x & y),
                BinOp::BitOr => Some(x | y),
                BinOp::BitXor => Some(x ^ y),
                BinOp::MatMul => return type_err("unsupported operand type(s) for @: 'int' and 'int'"),
            };
            if let Some(v) = r {
                return Ok(Value::Int(v));
            }
        }
        let (x, y) = (to_big(&a), to_big(&b));
        let r = match op {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => {
                self.check_memory(((x.bits() + y.bits()) / 8) as usize)?;
                x * y
            }
            BinOp::FloorDiv | BinOp::Mod => {
                if y.is_zero() {
                    return err(ExcKind::ZeroDivisionError, zero_div_msg(op));
                }
                if op == BinOp::FloorDiv { x.div_floor(&y) } else { x.mod_floor(&y) }
            }
            BinOp::Div => {
                if y.is_zero() {
                    return err(ExcKind::ZeroDivisionError, "division by zero");
                }
                return Ok(Value::Float(num_f64(&Num::B(x)) / num_f64(&Num::B(y))));
            }
            BinOp::Pow => {
                if y.is_negative() {
                    return Ok(Value::Float(num_f64(&Num::B(x)).powf(num_f64(&Num::B(y)))));
                }
                let e = y.to_u32().filter(|e| (x.bits() as u128) * (*e as u128) < 8 * 100_000_000);
                let Some(e) = e else { return Err(super::error::Exc::Fatal("MemoryError".into())) };
                num_traits::Pow::pow(x, e)
            }
            BinOp::LShift => {
                let Some(s) = y.to_u32().filter(|s| *s < 1 << 28) else {
                    return err(ExcKind::OverflowError, "too many digits in integer");
                };
                x << s
            }
            BinOp::RShift => {
                let s = y.to_u64().unwrap_or(u64::MAX).min(1 << 32);
                x >> s
            }
            BinOp::BitAnd => x & y,
            BinOp::BitOr => x | y,
            BinOp::BitXor => x ^ y,
            BinOp::MatMul => return type_err("unsupported operand type(s) for @: 'int' and 'int'"),
        };
        Ok(big_to_value(self, r))
    }

    pub fn unary_op(&mut self, v: Value, op: UnaryOp) -> PResult<()> {
        let r = match (op, v) {
            (UnaryOp::Not, _) => Value::Bool(!self.truthy(v)?),
            (UnaryOp::Neg, Value::Int(i)) if i != i64::MIN => Value::Int(-i),
            (UnaryOp::Neg, Value::Float(f)) => Value::Float(-f),
            (UnaryOp::Pos, Value::Int(_) | Value::Float(_)) => v,
            (UnaryOp::Pos, Value::Bool(b)) => Value::Int(b as i64),
            (UnaryOp::Neg, Value::Bool(b)) => Value::Int(-(b as i64)),
            (UnaryOp::Invert, Value::Int(i)) => Value::Int(!i),
            (UnaryOp::Invert, Value::Bool(b)) => Value::Int(!(b as i64)),
            _ => {
                if let Some(n @ (Num::I(_) | Num::B(_))) = self.num(v) {
                    let b = to_big(&n);
                    let r = match op {
                        UnaryOp::Neg => -b,
                        UnaryOp::Invert => -b - 1,
                        _ => b,
                    };
                    let r = big_to_value(self, r);
                    self.push(r);
                    return Ok(());
                }
                let name = match op {
                    UnaryOp::Neg => "__neg__",
                    UnaryOp::Pos => "__pos__",
                    _ => "__invert__",
                };
                if self.is_user_instance(v)
                    && let Some(m) = self.has_attr(v, name)?
                {
                    return self.invoke(m, Vec::new(), Vec::new(), Hook::PUSH);
                }
                let sym = match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Pos => "+",
                    _ => "~",
                };
                let t = self.type_name(v);
                return type_err(format!("bad operand type for unary {sym}: '{t}'"));
            }
        };
        self.push(r);
        Ok(())
    }

    pub fn truthy(&mut self, v: Value) -> PResult<bool> {
        Ok(match v {
            Value::None => false,
            Value::Bool(b) => b,
            Value::Int(i) => i != 0,
            Value::Float(f) => f != 0.0,
            Value::NotImplemented | Value::Ellipsis => true,
            Value::Obj(r) => match self.heap.get(r) {
                Obj::Str(s) => !s.is_empty(),
                Obj::Bytes(b) => !b.is_empty(),
                Obj::BigInt(_) => true,
                Obj::List(l) => !l.is_empty(),
                Obj::Tuple(t) => !t.is_empty(),
                Obj::Dict(d) | Obj::Set(d, _) => !d.is_empty(),
                Obj::Range(a, b, c) => range_len(*a, *b, *c) > 0,
                Obj::Instance(_) => {
                    if let Some(f) = self.has_attr(v, "__bool__")? {
                        let r = self.call_sync(f, Vec::new(), Vec::new())?;
                        return Ok(matches!(r, Value::Bool(true)));
                    }
                    if let Some(f) = self.has_attr(v, "__len__")? {
                        let r = self.call_sync(f, Vec::new(), Vec::new())?;
                        return Ok(!matches!(r, Value::Int(0)));
                    }
                    true
                }
                _ => true,
            },
        })
    }

    /// `==` from native code (containers, `in`, `list.index`...).
    pub fn eq(&mut self, a: Value, b: Value) -> PResult<bool> {
        if a.is(b) && !matches!(a, Value::Float(f) if f.is_nan()) {
            return Ok(true);
        }
        if let (Some(x), Some(y)) = (self.num(a), self.num(b)) {
            return Ok(num_cmp(&x, &y) == Some(std::cmp::Ordering::Equal));
        }
        let (Value::Obj(ra), Value::Obj(rb)) = (a, b) else { return Ok(false) };
        match (self.heap.get(ra), self.heap.get(rb)) {
            (Obj::Str(x), Obj::Str(y)) => Ok(x == y),
            (Obj::Bytes(x), Obj::Bytes(y)) => Ok(x == y),
            (Obj::List(x), Obj::List(y)) => {
                let (x, y) = (x.clone(), y.clone());
                self.seq_eq(&x, &y)
            }
            (Obj::Tuple(x), Obj::Tuple(y)) => {
                let (x, y) = (x.clone(), y.clone());
                self.seq_eq(&x, &y)
            }
            (Obj::Dict(x), Obj::Dict(y)) => {
                if x.len() != y.len() {
                    return Ok(false);
                }
                let pairs: Vec<(Value, Option<Value>)> = x.keyed().into_iter().map(|(hk, _, v)| (v, y.get(&hk))).collect();
                for (v, w) in pairs {
                    match w {
                        Some(w) if self.eq(v, w)? => {}
                        _ => return Ok(false),
                    }
                }
                Ok(true)
            }
            (Obj::Set(x, _), Obj::Set(y, _)) => {
                if x.len() != y.len() {
                    return Ok(false);
                }
                Ok(x.keyed().iter().all(|(hk, _, _)| y.contains(hk)))
            }
            (Obj::Range(a1, b1, c1), Obj::Range(a2, b2, c2)) => Ok((a1, b1, c1) == (a2, b2, c2)),
            (Obj::Instance(_), _) | (_, Obj::Instance(_)) => {
                let (x, y) = if self.is_user_instance(a) { (a, b) } else { (b, a) };
                if let Some(f) = self.has_attr(x, "__eq__")? {
                    let r = self.call_sync(f, vec![y], Vec::new())?;
                    if !matches!(r, Value::NotImplemented) {
                        return self.truthy(r);
                    }
                }
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    fn seq_eq(&mut self, x: &[Value], y: &[Value]) -> PResult<bool> {
        if x.len() != y.len() {
            return Ok(false);
        }
        for (a, b) in x.iter().zip(y.iter()) {
            if !self.eq(*a, *b)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Ordering for `<` and friends, and for sorting. `None`: unordered (NaN).
    pub fn cmp(&mut self, a: Value, b: Value, op: CmpOp) -> PResult<Option<std::cmp::Ordering>> {
        if let (Some(x), Some(y)) = (self.num(a), self.num(b)) {
            return Ok(num_cmp(&x, &y));
        }
        if let (Value::Obj(ra), Value::Obj(rb)) = (a, b) {
            match (self.heap.get(ra), self.heap.get(rb)) {
                (Obj::Str(x), Obj::Str(y)) => return Ok(Some(x.cmp(y))),
                (Obj::Bytes(x), Obj::Bytes(y)) => return Ok(Some(x.cmp(y))),
                (Obj::List(x), Obj::List(y)) => {
                    let (x, y) = (x.clone(), y.clone());
                    return self.seq_cmp(&x, &y, op);
                }
                (Obj::Tuple(x), Obj::Tuple(y)) => {
                    let (x, y) = (x.clone(), y.clone());
                    return self.seq_cmp(&x, &y, op);
                }
                (Obj::Set(x, _), Obj::Set(y, _)) if matches!(op, CmpOp::Le | CmpOp::Lt | CmpOp::Ge | CmpOp::Gt) => {
                    let sub = |p: &super::dict::Dict, q: &super::dict::Dict| p.keyed().iter().all(|(h, _, _)| q.contains(h));
                    let (le, ge) = (sub(x, y), sub(y, x));
                    let r = match op {
                        CmpOp::Le => le,
                        CmpOp::Lt => le && !ge,
                        CmpOp::Ge => ge,
                        _ => ge && !le,
                    };
                    // Encode the subset answer as an ordering the caller maps back.
                    return Ok(Some(if r { ord_for(op) } else { ord_against(op) }));
                }
                _ => {}
            }
        }
        let (m, rm) = match op {
            CmpOp::Lt => ("__lt__", "__gt__"),
            CmpOp::Le => ("__le__", "__ge__"),
            CmpOp::Gt => ("__gt__", "__lt__"),
            _ => ("__ge__", "__le__"),
        };
        for (x, y, name) in [(a, b, m), (b, a, rm)] {
            if self.is_user_instance(x)
                && let Some(f) = self.has_attr(x, name)?
            {
                let r = self.call_sync(f, vec![y], Vec::new())?;
                if matches!(r, Value::NotImplemented) {
                    continue;
                }
                let t = self.truthy(r)?;
                let want = if x.is(a) { op } else { flip(op) };
                let _ = want;
                return Ok(Some(if t { ord_for(op) } else { ord_against(op) }));
            }
        }
        let sym = match op {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            _ => ">=",
        };
        let (x, y) = (self.type_name(a), self.type_name(b));
        type_err(format!("'{sym}' not supported between instances of '{x}' and '{y}'"))
    }

    fn seq_cmp(&mut self, x: &[Value], y: &[Value], op: CmpOp) -> PResult<Option<std::cmp::Ordering>> {
        for (a, b) in x.iter().zip(y.iter()) {
            if !self.eq(*a, *b)? {
                return self.cmp(*a, *b, op);
            }
        }
        Ok(Some(x.len().cmp(&y.len())))
    }

    pub fn compare_op(&mut self, l: Value, r: Value, op: CmpOp) -> PResult<()> {
        let res = match op {
            CmpOp::Is => l.is(r),
            CmpOp::IsNot => !l.is(r),
            CmpOp::Eq | CmpOp::Ne => {
                let ne = op == CmpOp::Ne;
                if self.is_user_instance(l) || self.is_user_instance(r) {
                    let (x, y) = if self.is_user_instance(l) { (l, r) } else { (r, l) };
                    let name = if ne { "__ne__" } else { "__eq__" };
                    if ne && let Some(f) = self.user_method(x, "__ne__")? {
                        let _ = name;
                        return self.invoke(f, vec![y], Vec::new(), Hook::PUSH);
                    }
                    if let Some(f) = self.user_method(x, "__eq__")? {
                        let t = if ne { Transform::Not } else { Transform::None };
                        return self.invoke(f, vec![y], Vec::new(), Hook { target: Target::Push, transform: t });
                    }
                    l.is(r) != ne
                } else {
                    self.eq(l, r)? != ne
                }
            }
            CmpOp::In | CmpOp::NotIn => {
                if self.is_user_instance(r)
                    && let Some(f) = self.has_attr(r, "__contains__")?
                {
                    let t = if op == CmpOp::NotIn { Transform::Not } else { Transform::Bool };
                    return self.invoke(f, vec![l], Vec::new(), Hook { target: Target::Push, transform: t });
                }
                self.contains(r, l)? == (op == CmpOp::In)
            }
            _ => {
                let o = self.cmp(l, r, op)?;
                match o {
                    None => false,
                    Some(o) => match op {
                        CmpOp::Lt => o.is_lt(),
                        CmpOp::Le => o.is_le(),
                        CmpOp::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    },
                }
            }
        };
        self.push(Value::Bool(res));
        Ok(())
    }

    /// A method defined by the user's class itself (not `object`'s defaults).
    fn user_method(&mut self, v: Value, name: &str) -> PResult<Option<Value>> {
        let c = self.type_of(v);
        if self.class_lookup(c, name).is_some() { self.has_attr(v, name) } else { Ok(None) }
    }

    pub fn contains(&mut self, container: Value, item: Value) -> PResult<bool> {
        if let Value::Obj(r) = container {
            match self.heap.get(r) {
                Obj::Str(s) => {
                    let s = s.clone();
                    return match self.str_val(item) {
                        Some(sub) => Ok(s.contains(&*sub)),
                        None => {
                            let t = self.type_name(item);
                            type_err(format!("'in <string>' requires string as left operand, not {t}"))
                        }
                    };
                }
                Obj::Bytes(b) => {
                    let b = b.clone();
                    return Ok(match item {
                        Value::Int(i) => b.contains(&(i as u8)),
                        _ => match item.as_ref().map(|r| self.heap.get(r)) {
                            Some(Obj::Bytes(sub)) => b.windows(sub.len().max(1)).any(|w| *w == **sub) || sub.is_empty(),
                            _ => false,
                        },
                    });
                }
                Obj::Dict(d) | Obj::Set(d, _) => {
                    let _ = d;
                    let hk = self.hash_key(item)?;
                    let (Obj::Dict(d) | Obj::Set(d, _)) = self.heap.get(r) else { return Ok(false) };
                    return Ok(d.contains(&hk));
                }
                Obj::Range(a, b, c) => {
                    let (a, b, c) = (*a, *b, *c);
                    return Ok(match item {
                        Value::Int(i) => {
                            let inr = if c > 0 { i >= a && i < b } else { i <= a && i > b };
                            inr && (i - a) % c == 0
                        }
                        _ => false,
                    });
                }
                _ => {}
            }
        }
        let items = self.iterate(container)?;
        for x in items {
            if self.eq(x, item)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub fn hash_key(&mut self, v: Value) -> PResult<HashKey> {
        Ok(match v {
            Value::None => HashKey::None,
            Value::Bool(b) => HashKey::Int(b as i64),
            Value::Int(i) => HashKey::Int(i),
            Value::Float(f) => {
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    HashKey::Int(f as i64)
                } else {
                    HashKey::Float(f.to_bits())
                }
            }
            Value::NotImplemented => HashKey::Singleton(0),
            Value::Ellipsis => HashKey::Singleton(1),
            Value::Obj(r) => match self.heap.get(r) {
                Obj::Str(s) => HashKey::Str(s.clone()),
                Obj::Bytes(b) => HashKey::Bytes(b.clone()),
                Obj::BigInt(b) => HashKey::Big((**b).clone()),
                Obj::Tuple(t) => {
                    let t = t.clone();
                    let mut ks = Vec::with_capacity(t.len());
                    for x in t.iter() {
                        ks.push(self.hash_key(*x)?);
                    }
                    HashKey::Tuple(ks)
                }
                Obj::Set(d, true) => {
                    let mut ks = Vec::new();
                    for k in d.keys() {
                        ks.push(self.hash_key(k)?);
                    }
                    ks.sort_by_key(|k| format!("{k:?}"));
                    HashKey::Tuple(ks)
                }
                Obj::List(_) | Obj::Dict(_) | Obj::Set(_, false) => {
                    let t = self.type_name(v);
                    return type_err(format!("unhashable type: '{t}'"));
                }
                Obj::Instance(i) => {
                    let c = i.class;
                    match self.class_lookup(c, "__hash__") {
                        Some(Value::None) => {
                            let t = self.class_name(c);
                            return type_err(format!("unhashable type: '{t}'"));
                        }
                        Some(f) if !self.is_exception_class_default(c) => {
                            // Instances with __hash__ hash by value; equal hashes must
                            // mean equal objects for them (documented limitation).
                            let b = self.alloc(Obj::BoundMethod(v, f));
                            let h = self.call_sync(b, Vec::new(), Vec::new())?;
                            match h {
                                Value::Int(i) => HashKey::Tuple(vec![HashKey::Id(c), HashKey::Int(i)]),
                                _ => return type_err("__hash__ method should return an integer"),
                            }
                        }
                        _ => {
                            if self.class_lookup(c, "__eq__").is_some() {
                                let t = self.class_name(c);
                                return type_err(format!("unhashable type: '{t}'"));
                            }
                            HashKey::Id(r)
                        }
                    }
                }
                _ => HashKey::Id(r),
            },
        })
    }

    fn is_exception_class_default(&self, _c: Ref) -> bool {
        false
    }

    pub fn container_add(&mut self, op: Op, c: Value, v: Value) -> PResult<()> {
        let Value::Obj(cr) = c else { return Ok(()) };
        match op {
            Op::ListAppend(_) => {
                if let Obj::List(l) = self.heap.get_mut(cr) {
                    l.push(v);
                }
            }
            Op::ListExtend(_) => {
                let items = self.iterate(v)?;
                if let Obj::List(l) = self.heap.get_mut(cr) {
                    l.extend(items);
                }
            }
            Op::SetAdd(_) | Op::SetUpdate(_) => {
                let items = if matches!(op, Op::SetAdd(_)) { vec![v] } else { self.iterate(v)? };
                for x in items {
                    let hk = self.hash_key(x)?;
                    if let Obj::Set(d, _) = self.heap.get_mut(cr) {
                        d.insert(hk, x, Value::None);
                    }
                }
            }
            Op::DictUpdate(_) => {
                let pairs: Vec<(Value, Value)> = match v.as_ref().map(|r| self.heap.get(r)) {
                    Some(Obj::Dict(d)) => d.iter().collect(),
                    _ => {
                        let t = self.type_name(v);
                        return type_err(format!("'{t}' object is not a mapping"));
                    }
                };
                for (k, x) in pairs {
                    self.dict_set(c, k, x)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn zero_div_msg(op: BinOp) -> &'static str {
    if op == BinOp::Mod { "integer modulo by zero" } else { "integer division or modulo by zero" }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Ge => CmpOp::Le,
        o => o,
    }
}

/// An ordering that makes `op` true / false.
fn ord_for(op: CmpOp) -> std::cmp::Ordering {
    match op {
        CmpOp::Lt | CmpOp::Le => std::cmp::Ordering::Less,
        _ => std::cmp::Ordering::Greater,
    }
}

fn ord_against(op: CmpOp) -> std::cmp::Ordering {
    match op {
        CmpOp::Lt | CmpOp::Le => std::cmp::Ordering::Greater,
        _ => std::cmp::Ordering::Less,
    }
}

pub fn num_cmp(a: &Num, b: &Num) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Num::I(x), Num::I(y)) => Some(x.cmp(y)),
        (Num::F(_), _) | (_, Num::F(_)) => num_f64(a).partial_cmp(&num_f64(b)),
        _ => Some(to_big(a).cmp(&to_big(b))),
    }
}

pub fn range_len(a: i64, b: i64, c: i64) -> i64 {
    if c > 0 && a < b {
        ((b as i128 - a as i128 - 1) / c as i128 + 1) as i64
    } else if c < 0 && a > b {
        ((a as i128 - b as i128 - 1) / (-(c as i128)) + 1) as i64
    } else {
        0
    }
}

fn float_op(x: f64, y: f64, op: BinOp) -> PResult<f64> {
    Ok(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => {
            if y == 0.0 {
                return err(ExcKind::ZeroDivisionError, "float division by zero");
            }
            x / y
        }
        BinOp::FloorDiv => {
            if y == 0.0 {
                return err(ExcKind::ZeroDivisionError, "float floor division by zero");
            }
            (x / y).floor()
        }
        BinOp::Mod => {
            if y == 0.0 {
                return err(ExcKind::ZeroDivisionError, "float modulo");
            }
            let m = x % y;
            if m != 0.0 && ((y < 0.0) != (m < 0.0)) { m + y } else { m }
        }
        BinOp::Pow => {
            if x == 0.0 && y < 0.0 {
                return err(ExcKind::ZeroDivisionError, "0.0 cannot be raised to a negative power");
            }
            let r = x.powf(y);
            if r.is_infinite() && x.is_finite() && y.is_finite() {
                return err(ExcKind::OverflowError, "(34, 'Numerical result out of range')");
            }
            r
        }
        _ => return type_err("unsupported operand type(s) for float"),
    })
}
