//! Comparisons, equality, truthiness, membership and hashing.

use super::ast::CmpOp;
use super::dict::HashKey;
use super::error::{PResult, type_err};
use super::interp::{Hook, Target, Transform, Vm};
use super::ops::{Num, num_f64, range_len, to_big};
use super::value::*;

impl Vm {
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
                Obj::View(d, _) => !matches!(self.heap.get(*d), Obj::Dict(x) if x.is_empty()),
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
        if self.is_user_instance(a) || self.is_user_instance(b) {
            let (x, y) = if self.is_user_instance(a) {
                (a, b)
            } else {
                (b, a)
            };
            if let Some(f) = self.has_attr(x, "__eq__")? {
                let r = self.call_sync(f, vec![y], Vec::new())?;
                if !matches!(r, Value::NotImplemented) {
                    return self.truthy(r);
                }
            }
            return Ok(false);
        }
        let (Value::Obj(ra), Value::Obj(rb)) = (a, b) else {
            return Ok(false);
        };
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
                let pairs: Vec<(Value, Option<Value>)> = x
                    .keyed()
                    .into_iter()
                    .map(|(hk, _, v)| (v, y.get(&hk)))
                    .collect();
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
            // Instances were answered above, through their `__eq__`.
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
                (Obj::Set(x, _), Obj::Set(y, _))
                    if matches!(op, CmpOp::Le | CmpOp::Lt | CmpOp::Ge | CmpOp::Gt) =>
                {
                    let sub = |p: &super::dict::Dict, q: &super::dict::Dict| {
                        p.keyed().iter().all(|(h, _, _)| q.contains(h))
                    };
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
        type_err(format!(
            "'{sym}' not supported between instances of '{x}' and '{y}'"
        ))
    }

    fn seq_cmp(
        &mut self,
        x: &[Value],
        y: &[Value],
        op: CmpOp,
    ) -> PResult<Option<std::cmp::Ordering>> {
        for (a, b) in x.iter().zip(y.iter()) {
            if !self.eq(*a, *b)? {
                return self.cmp(*a, *b, op);
            }
        }
        Ok(Some(x.len().cmp(&y.len())))
    }

    pub fn compare_op(&mut self, l: Value, r: Value, op: CmpOp) -> PResult<()> {
        if let (Value::Int(a), Value::Int(b)) = (l, r) {
            let res = match op {
                CmpOp::Lt => Some(a < b),
                CmpOp::Le => Some(a <= b),
                CmpOp::Gt => Some(a > b),
                CmpOp::Ge => Some(a >= b),
                CmpOp::Eq | CmpOp::Is => Some(a == b),
                CmpOp::Ne | CmpOp::IsNot => Some(a != b),
                _ => None,
            };
            if let Some(res) = res {
                self.push(Value::Bool(res));
                return Ok(());
            }
        }
        let res = match op {
            CmpOp::Is => l.is(r),
            CmpOp::IsNot => !l.is(r),
            CmpOp::Eq | CmpOp::Ne => {
                let ne = op == CmpOp::Ne;
                if self.is_user_instance(l) || self.is_user_instance(r) {
                    let (x, y) = if self.is_user_instance(l) {
                        (l, r)
                    } else {
                        (r, l)
                    };
                    if ne && let Some(f) = self.user_method(x, "__ne__")? {
                        return self.invoke(f, vec![y], Vec::new(), Hook::PUSH);
                    }
                    if let Some(f) = self.user_method(x, "__eq__")? {
                        let t = Transform::EqRetry(x, y, ne, false);
                        return self.invoke(
                            f,
                            vec![y],
                            Vec::new(),
                            Hook {
                                target: Target::Push,
                                transform: t,
                            },
                        );
                    }
                    return self.eq_retry(x, y, ne, false, Target::Push);
                } else {
                    self.eq(l, r)? != ne
                }
            }
            CmpOp::In | CmpOp::NotIn => {
                if self.is_user_instance(r)
                    && let Some(f) = self.has_attr(r, "__contains__")?
                {
                    let t = if op == CmpOp::NotIn {
                        Transform::Not
                    } else {
                        Transform::Bool
                    };
                    return self.invoke(
                        f,
                        vec![l],
                        Vec::new(),
                        Hook {
                            target: Target::Push,
                            transform: t,
                        },
                    );
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

    /// `x.__eq__(y)` gave `NotImplemented` (or did not exist): ask `y`, then use identity.
    pub fn eq_retry(
        &mut self,
        x: Value,
        y: Value,
        negate: bool,
        reflected: bool,
        target: Target,
    ) -> PResult<()> {
        if !reflected
            && self.is_user_instance(y)
            && let Some(f) = self.user_method(y, "__eq__")?
        {
            let h = Hook {
                target,
                transform: Transform::EqRetry(y, x, negate, true),
            };
            return self.invoke(f, vec![x], Vec::new(), h);
        }
        let same = if reflected || !self.is_user_instance(y) {
            x.is(y) || self.eq_builtin_fallback(x, y)?
        } else {
            x.is(y)
        };
        self.deliver(
            Hook {
                target,
                transform: Transform::None,
            },
            Value::Bool(same != negate),
        )
    }

    /// Equality when no `__eq__` answered: identity, except that built-in values compare
    /// by value among themselves.
    fn eq_builtin_fallback(&mut self, x: Value, y: Value) -> PResult<bool> {
        if self.is_user_instance(x) || self.is_user_instance(y) {
            Ok(false)
        } else {
            self.eq(x, y)
        }
    }

    /// A method defined by the user's class itself (not `object`'s defaults).
    fn user_method(&mut self, v: Value, name: &str) -> PResult<Option<Value>> {
        let c = self.type_of(v);
        if self.class_lookup(c, name).is_some() {
            self.has_attr(v, name)
        } else {
            Ok(None)
        }
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
                            type_err(format!(
                                "'in <string>' requires string as left operand, not {t}"
                            ))
                        }
                    };
                }
                Obj::Bytes(b) => {
                    let b = b.clone();
                    return Ok(match item {
                        Value::Int(i) => b.contains(&(i as u8)),
                        _ => match item.as_ref().map(|r| self.heap.get(r)) {
                            Some(Obj::Bytes(sub)) => {
                                b.windows(sub.len().max(1)).any(|w| *w == **sub) || sub.is_empty()
                            }
                            _ => false,
                        },
                    });
                }
                Obj::Dict(d) | Obj::Set(d, _) => {
                    let _ = d;
                    let hk = self.hash_key(item)?;
                    let (Obj::Dict(d) | Obj::Set(d, _)) = self.heap.get(r) else {
                        return Ok(false);
                    };
                    return Ok(d.contains(&hk));
                }
                Obj::View(d, 0) => {
                    let d = *d;
                    return self.contains(Value::Obj(d), item);
                }
                Obj::Range(a, b, c) => {
                    let (a, b, c) = (*a, *b, *c);
                    return Ok(match item {
                        Value::Int(i) => {
                            let inr = if c > 0 {
                                i >= a && i < b
                            } else {
                                i <= a && i > b
                            };
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
                                Value::Int(i) => {
                                    HashKey::Tuple(vec![HashKey::Id(c), HashKey::Int(i)])
                                }
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
