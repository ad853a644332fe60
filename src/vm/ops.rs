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

use super::ast::{BinOp, UnaryOp};

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

pub fn to_big(n: &Num) -> BigInt {
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

    pub(super) fn is_user_instance(&self, v: Value) -> bool {
        matches!(v, Value::Obj(r) if matches!(self.heap.get(r), Obj::Instance(_)))
    }

    pub fn binary_op(&mut self, l: Value, r: Value, op: BinOp, inplace: bool) -> PResult<()> {
        if let (Value::Int(a), Value::Int(b)) = (l, r) {
            let fast = match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                BinOp::Mod if b > 0 && a >= 0 => Some(a % b),
                BinOp::FloorDiv if b > 0 && a >= 0 => Some(a / b),
                BinOp::BitAnd => Some(a & b),
                BinOp::BitOr => Some(a | b),
                _ => None,
            };
            if let Some(v) = fast {
                self.push(Value::Int(v));
                return Ok(());
            }
        }
        if self.is_user_instance(l) || self.is_user_instance(r) {
            let (f, rf, inf) = dunder(op);
            let retry = |reflected| Hook {
                target: Target::Push,
                transform: Transform::BinRetry(op, l, r, reflected),
            };
            if inplace
                && self.is_user_instance(l)
                && let Some(m) = self.has_attr(l, inf)?
            {
                return self.invoke(m, vec![r], Vec::new(), retry(false));
            }
            if self.is_user_instance(l)
                && let Some(m) = self.has_attr(l, f)?
            {
                return self.invoke(m, vec![r], Vec::new(), retry(false));
            }
            if self.is_user_instance(r)
                && let Some(m) = self.has_attr(r, rf)?
            {
                return self.invoke(m, vec![l], Vec::new(), retry(true));
            }
        }
        let v = self.binary_value(l, r, op, inplace)?;
        self.push(v);
        Ok(())
    }

    /// The left operand's dunder returned `NotImplemented` (or the right's, when
    /// `reflected`): try the reflected method, then the built-in operator.
    pub fn binary_retry(
        &mut self,
        op: BinOp,
        l: Value,
        r: Value,
        reflected: bool,
        target: Target,
    ) -> PResult<()> {
        if !reflected && self.is_user_instance(r) && !self.type_of(l).eq(&self.type_of(r)) {
            let (_, rf, _) = dunder(op);
            if let Some(m) = self.has_attr(r, rf)? {
                let h = Hook {
                    target,
                    transform: Transform::BinRetry(op, l, r, true),
                };
                return self.invoke(m, vec![l], Vec::new(), h);
            }
        }
        let v = self.binary_value(l, r, op, false)?;
        self.deliver(
            Hook {
                target,
                transform: Transform::None,
            },
            v,
        )
    }

    /// A binary operator from native code (`sum`, `math.prod`): dunders run nested, and a
    /// `NotImplemented` from the left operand falls back to the reflected method.
    pub fn binary_sync(&mut self, l: Value, r: Value, op: BinOp) -> PResult<Value> {
        if self.is_user_instance(l) || self.is_user_instance(r) {
            let (f, rf, _) = dunder(op);
            if self.is_user_instance(l)
                && let Some(m) = self.has_attr(l, f)?
            {
                let v = self.call_sync(m, vec![r], Vec::new())?;
                if !matches!(v, Value::NotImplemented) {
                    return Ok(v);
                }
            }
            if self.is_user_instance(r)
                && let Some(m) = self.has_attr(r, rf)?
            {
                let v = self.call_sync(m, vec![l], Vec::new())?;
                if !matches!(v, Value::NotImplemented) {
                    return Ok(v);
                }
            }
        }
        self.binary_value(l, r, op, false)
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
                    if self.heap.bytes.saturating_add(a.len() + b.len()) > self.heap.limit {
                        return Err(super::error::Exc::Fatal("MemoryError".into()));
                    }
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
                (
                    Obj::Set(a, fa),
                    Obj::Set(b, _),
                    BinOp::BitOr | BinOp::BitAnd | BinOp::Sub | BinOp::BitXor,
                ) => {
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
        let is_seq = |t: &str| matches!(t, "str" | "list" | "tuple" | "bytes");
        if op == BinOp::Mul && (is_seq(&a) || is_seq(&b)) {
            let other = if is_seq(&a) { &b } else { &a };
            return type_err(format!(
                "can't multiply sequence by non-int of type '{other}'"
            ));
        }
        if op == BinOp::Add && &*a == "str" {
            return type_err(format!("can only concatenate str (not \"{b}\") to str"));
        }
        if op == BinOp::Add && &*a == "list" {
            return type_err(format!("can only concatenate list (not \"{b}\") to list"));
        }
        type_err(format!(
            "unsupported operand type(s) for {}: '{a}' and '{b}'",
            binop_symbol(op)
        ))
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
        if unit
            .checked_mul(n)
            .is_none_or(|total| total > self.heap.limit)
        {
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
            if matches!(
                op,
                BinOp::LShift
                    | BinOp::RShift
                    | BinOp::BitAnd
                    | BinOp::BitOr
                    | BinOp::BitXor
                    | BinOp::MatMul
            ) {
                let (x, y) = (self.type_name(l), self.type_name(r));
                return type_err(format!(
                    "unsupported operand type(s) for {}: '{x}' and '{y}'",
                    binop_symbol(op)
                ));
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
                    if op == BinOp::FloorDiv {
                        x.checked_div_euclid(y).map(|_| Integer::div_floor(&x, &y))
                    } else {
                        x.checked_rem(y).map(|_| x.mod_floor(&y))
                    }
                }
                BinOp::Div => {
                    if y == 0 {
                        return err(ExcKind::ZeroDivisionError, "division by zero");
                    }
                    const EXACT: i64 = 1 << 53;
                    if x.abs() <= EXACT && y.abs() <= EXACT {
                        return Ok(Value::Float(x as f64 / y as f64));
                    }
                    return Ok(Value::Float(big_true_div(
                        &BigInt::from(x),
                        &BigInt::from(y),
                    )));
                }
                BinOp::Pow => {
                    if y < 0 {
                        if x == 0 {
                            return err(
                                ExcKind::ZeroDivisionError,
                                "0.0 cannot be raised to a negative power",
                            );
                        }
                        return Ok(Value::Float((x as f64).powf(y as f64)));
                    }
                    u32::try_from(y).ok().and_then(|e| x.checked_pow(e))
                }
                BinOp::LShift => {
                    if y < 0 {
                        return err(ExcKind::ValueError, "negative shift count");
                    }
                    if y < 63 && (x.abs() >> (62 - y)) == 0 {
                        Some(x << y)
                    } else {
                        None
                    }
                }
                BinOp::RShift => {
                    if y < 0 {
                        return err(ExcKind::ValueError, "negative shift count");
                    }
                    Some(if y >= 64 {
                        if x < 0 { -1 } else { 0 }
                    } else {
                        x >> y
                    })
                }
                BinOp::BitAnd => Some(x & y),
                BinOp::BitOr => Some(x | y),
                BinOp::BitXor => Some(x ^ y),
                BinOp::MatMul => {
                    return type_err("unsupported operand type(s) for @: 'int' and 'int'");
                }
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
                if op == BinOp::FloorDiv {
                    x.div_floor(&y)
                } else {
                    x.mod_floor(&y)
                }
            }
            BinOp::Div => {
                if y.is_zero() {
                    return err(ExcKind::ZeroDivisionError, "division by zero");
                }
                return Ok(Value::Float(big_true_div(&x, &y)));
            }
            BinOp::Pow => {
                if y.is_negative() {
                    return Ok(Value::Float(num_f64(&Num::B(x)).powf(num_f64(&Num::B(y)))));
                }
                let e = y
                    .to_u32()
                    .filter(|e| (x.bits() as u128) * (*e as u128) < 8 * 100_000_000);
                let Some(e) = e else {
                    return Err(super::error::Exc::Fatal("MemoryError".into()));
                };
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
                let items = if matches!(op, Op::SetAdd(_)) {
                    vec![v]
                } else {
                    self.iterate(v)?
                };
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
    if op == BinOp::Mod {
        "integer modulo by zero"
    } else {
        "integer division or modulo by zero"
    }
}

/// `int / int` for values past 2**53: scale so the integer quotient carries 64 significant
/// bits, then convert once, so the result is rounded like CPython's (almost always exactly).
fn big_true_div(a: &BigInt, b: &BigInt) -> f64 {
    let neg = a.is_negative() != b.is_negative();
    let (a, b) = (a.abs(), b.abs());
    let shift = (b.bits() as i64 - a.bits() as i64 + 64).max(0);
    let q = (a << shift as u64) / b;
    let (q, extra) = if q.bits() > 1000 {
        let e = q.bits() - 64;
        (q >> e, e as i64)
    } else {
        (q, 0)
    };
    let v = q.to_f64().unwrap_or(f64::INFINITY) * 2f64.powi((extra - shift) as i32);
    if neg { -v } else { v }
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
            if m != 0.0 && ((y < 0.0) != (m < 0.0)) {
                m + y
            } else {
                m
            }
        }
        BinOp::Pow => {
            if x == 0.0 && y < 0.0 {
                return err(
                    ExcKind::ZeroDivisionError,
                    "0.0 cannot be raised to a negative power",
                );
            }
            let r = x.powf(y);
            if r.is_infinite() && x.is_finite() && y.is_finite() {
                return err(
                    ExcKind::OverflowError,
                    "(34, 'Numerical result out of range')",
                );
            }
            r
        }
        _ => return type_err("unsupported operand type(s) for float"),
    })
}
