//! Subscripts and slices: `x[i]`, `x[a:b:c]`, their assignment and deletion.

use num_traits::ToPrimitive;

use super::error::{ExcKind, PResult, err, type_err};
use super::interp::{Hook, Vm};
use super::value::*;

/// Resolved slice bounds over a sequence of length `len`, as `slice.indices` computes them.
pub fn slice_indices(
    lo: Option<i64>,
    hi: Option<i64>,
    step: Option<i64>,
    len: i64,
) -> PResult<(i64, i64, i64)> {
    let step = step.unwrap_or(1);
    if step == 0 {
        return err(ExcKind::ValueError, "slice step cannot be zero");
    }
    let clamp = |v: i64, lower: i64, upper: i64| v.max(lower).min(upper);
    let (def_lo, def_hi) = if step > 0 { (0, len) } else { (len - 1, -1) };
    let fix = |v: Option<i64>, def: i64| match v {
        None => def,
        Some(v) => {
            let v = if v < 0 { v + len } else { v };
            if step > 0 {
                clamp(v, 0, len)
            } else {
                clamp(v, -1, len - 1)
            }
        }
    };
    Ok((fix(lo, def_lo), fix(hi, def_hi), step))
}

pub fn slice_positions(lo: i64, hi: i64, step: i64) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = lo;
    while (step > 0 && i < hi) || (step < 0 && i > hi) {
        out.push(i as usize);
        i += step;
    }
    out
}

impl Vm {
    pub fn index_value(&mut self, v: Value) -> PResult<Option<i64>> {
        Ok(match v {
            Value::None => None,
            Value::Int(i) => Some(i),
            Value::Bool(b) => Some(b as i64),
            Value::Obj(r) => match self.heap.get(r) {
                Obj::BigInt(b) => Some(b.to_i64().unwrap_or(
                    if b.sign() == num_bigint::Sign::Minus {
                        i64::MIN / 2
                    } else {
                        i64::MAX / 2
                    },
                )),
                _ => {
                    return type_err(
                        "slice indices must be integers or None or have an __index__ method",
                    );
                }
            },
            _ => {
                return type_err(
                    "slice indices must be integers or None or have an __index__ method",
                );
            }
        })
    }

    fn slice_of(&mut self, s: Ref, len: usize) -> PResult<Vec<usize>> {
        let (lo, hi, st) = self.slice_bounds(s, len)?;
        Ok(slice_positions(lo, hi, st))
    }

    /// The slice object `s` resolved against a length: (start, stop, step).
    fn slice_bounds(&mut self, s: Ref, len: usize) -> PResult<(i64, i64, i64)> {
        let Obj::Slice(a, b, c) = self.heap.get(s) else {
            return Ok((0, 0, 1));
        };
        let (a, b, c) = (*a, *b, *c);
        let (a, b, c) = (
            self.index_value(a)?,
            self.index_value(b)?,
            self.index_value(c)?,
        );
        slice_indices(a, b, c, len as i64)
    }

    /// A contiguous slice (step 1) as a range of positions; None for other steps.
    fn contiguous(&mut self, s: Ref, len: usize) -> PResult<Option<std::ops::Range<usize>>> {
        let (lo, hi, st) = self.slice_bounds(s, len)?;
        Ok((st == 1).then(|| lo as usize..(hi.max(lo)) as usize))
    }

    fn seq_index(&mut self, k: Value, len: usize, what: &str) -> PResult<usize> {
        let i = match k {
            Value::Int(i) => i,
            Value::Bool(b) => b as i64,
            Value::Obj(r) if matches!(self.heap.get(r), Obj::BigInt(_)) => i64::MAX,
            _ => {
                let t = self.type_name(k);
                return type_err(format!(
                    "{what} indices must be integers or slices, not {t}"
                ));
            }
        };
        let j = if i < 0 { i + len as i64 } else { i };
        if j < 0 || j >= len as i64 {
            return err(ExcKind::IndexError, format!("{what} index out of range"));
        }
        Ok(j as usize)
    }

    pub fn subscr(&mut self, o: Value, k: Value) -> PResult<()> {
        let v = match self.subscr_value(o, k)? {
            Some(v) => v,
            None => {
                let f = match self.has_attr(o, "__getitem__")? {
                    Some(f) => f,
                    None => {
                        if let Value::Obj(r) = o
                            && matches!(self.heap.get(r), Obj::Class(_))
                        {
                            // `list[int]` style generic aliases: harmless to return the class.
                            self.push(o);
                            return Ok(());
                        }
                        let t = self.type_name(o);
                        return type_err(format!("'{t}' object is not subscriptable"));
                    }
                };
                return self.invoke(f, vec![k], Vec::new(), Hook::PUSH);
            }
        };
        self.push(v);
        Ok(())
    }

    /// Subscript of a built-in container; `None` when `o` is not one.
    pub fn subscr_value(&mut self, o: Value, k: Value) -> PResult<Option<Value>> {
        let Value::Obj(r) = o else { return Ok(None) };
        let is_slice = matches!(k, Value::Obj(kr) if matches!(self.heap.get(kr), Obj::Slice(..)));
        let v = match self.heap.get(r) {
            Obj::List(_) | Obj::Tuple(_) if is_slice => {
                let is_list = matches!(self.heap.get(r), Obj::List(_));
                let len = match self.heap.get(r) {
                    Obj::List(l) => l.len(),
                    Obj::Tuple(t) => t.len(),
                    _ => 0,
                };
                let kr = k.as_ref().unwrap_or(r);
                if let Some(range) = self.contiguous(kr, len)? {
                    let items = match self.heap.get(r) {
                        Obj::List(l) => l[range].to_vec(),
                        Obj::Tuple(t) => t[range].to_vec(),
                        _ => vec![],
                    };
                    return Ok(Some(if is_list {
                        self.new_list(items)
                    } else {
                        self.new_tuple(items)
                    }));
                }
                let pos = self.slice_of(kr, len)?;
                let items: Vec<Value> = match self.heap.get(r) {
                    Obj::List(l) => pos.iter().map(|i| l[*i]).collect(),
                    Obj::Tuple(t) => pos.iter().map(|i| t[*i]).collect(),
                    _ => vec![],
                };
                if is_list {
                    self.new_list(items)
                } else {
                    self.new_tuple(items)
                }
            }
            Obj::Tuple(t) => {
                let len = t.len();
                let what = "tuple";
                let i = self.seq_index(k, len, what)?;
                match self.heap.get(r) {
                    Obj::Tuple(t) => t[i],
                    _ => Value::None,
                }
            }
            Obj::List(l) => {
                let len = l.len();
                let i = self.seq_index(k, len, "list")?;
                match self.heap.get(r) {
                    Obj::List(l) => l[i],
                    _ => Value::None,
                }
            }
            Obj::Str(s) => {
                let s = s.clone();
                if is_slice && s.is_ascii() {
                    let kr = k.as_ref().unwrap_or(r);
                    if let Some(range) = self.contiguous(kr, s.len())? {
                        return Ok(Some(self.new_str(&s[range])));
                    }
                }
                if is_slice {
                    let chars: Vec<char> = s.chars().collect();
                    let pos = self.slice_of(k.as_ref().unwrap_or(r), chars.len())?;
                    let out: String = pos.iter().map(|i| chars[*i]).collect();
                    self.new_str(out)
                } else if s.is_ascii() {
                    let i = self.seq_index(k, s.len(), "string")?;
                    self.new_str(&s[i..i + 1])
                } else {
                    let n = s.chars().count();
                    let i = self.seq_index(k, n, "string")?;
                    let c = s.chars().nth(i).unwrap_or(' ');
                    self.new_str(c.to_string())
                }
            }
            Obj::Bytes(b) => {
                let b = b.clone();
                if is_slice {
                    let pos = self.slice_of(k.as_ref().unwrap_or(r), b.len())?;
                    let out: Vec<u8> = pos.iter().map(|i| b[*i]).collect();
                    self.alloc(Obj::Bytes(out.into()))
                } else {
                    let i = self.seq_index(k, b.len(), "index")?;
                    Value::Int(b[i] as i64)
                }
            }
            Obj::Range(a, b, c) => {
                let (a, b, c) = (*a, *b, *c);
                let len = super::ops::range_len(a, b, c) as usize;
                let i = self.seq_index(k, len, "range object")?;
                Value::Int(a + c * i as i64)
            }
            Obj::Dict(_) => {
                let hk = self.hash_key(k)?;
                let Obj::Dict(d) = self.heap.get(r) else {
                    return Ok(None);
                };
                match d.get(&hk) {
                    Some(v) => v,
                    None => {
                        let e = self.new_exception(ExcKind::KeyError, "");
                        if let Some(d) = self.exc_data_mut(e) {
                            d.args = vec![k];
                        }
                        return Err(super::error::Exc::Obj(e));
                    }
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(v))
    }

    pub fn store_subscr(&mut self, o: Value, k: Value, v: Value) -> PResult<()> {
        let Value::Obj(r) = o else {
            let t = self.type_name(o);
            return type_err(format!("'{t}' object does not support item assignment"));
        };
        let is_slice = matches!(k, Value::Obj(kr) if matches!(self.heap.get(kr), Obj::Slice(..)));
        match self.heap.get(r) {
            Obj::List(l) => {
                let len = l.len();
                if is_slice {
                    let items = self.iterate(v)?;
                    let Some(Obj::Slice(a, b, c)) = k.as_ref().map(|kr| self.heap.get(kr)) else {
                        return Ok(());
                    };
                    let (a, b, c) = (*a, *b, *c);
                    let (a, b, c) = (
                        self.index_value(a)?,
                        self.index_value(b)?,
                        self.index_value(c)?,
                    );
                    let (lo, hi, st) = slice_indices(a, b, c, len as i64)?;
                    if st == 1 {
                        let hi = hi.max(lo);
                        if let Obj::List(l) = self.heap.get_mut(r) {
                            l.splice(lo as usize..hi as usize, items);
                        }
                    } else {
                        let pos = slice_positions(lo, hi, st);
                        if pos.len() != items.len() {
                            return err(
                                ExcKind::ValueError,
                                format!(
                                    "attempt to assign sequence of size {} to extended slice of size {}",
                                    items.len(),
                                    pos.len()
                                ),
                            );
                        }
                        if let Obj::List(l) = self.heap.get_mut(r) {
                            for (p, x) in pos.into_iter().zip(items) {
                                l[p] = x;
                            }
                        }
                    }
                    return Ok(());
                }
                let i = self.seq_index(k, len, "list assignment")?;
                if let Obj::List(l) = self.heap.get_mut(r) {
                    l[i] = v;
                }
                Ok(())
            }
            Obj::Dict(_) => self.dict_set(o, k, v),
            Obj::Instance(_) => match self.has_attr(o, "__setitem__")? {
                Some(f) => {
                    self.call_sync(f, vec![k, v], Vec::new())?;
                    Ok(())
                }
                None => {
                    let t = self.type_name(o);
                    type_err(format!("'{t}' object does not support item assignment"))
                }
            },
            _ => {
                let t = self.type_name(o);
                type_err(format!("'{t}' object does not support item assignment"))
            }
        }
    }

    pub fn delete_subscr(&mut self, o: Value, k: Value) -> PResult<()> {
        let Value::Obj(r) = o else {
            return type_err("object does not support item deletion");
        };
        let is_slice = matches!(k, Value::Obj(kr) if matches!(self.heap.get(kr), Obj::Slice(..)));
        match self.heap.get(r) {
            Obj::List(l) => {
                let len = l.len();
                if is_slice {
                    let mut pos = self.slice_of(k.as_ref().unwrap_or(r), len)?;
                    pos.sort_unstable();
                    if let Obj::List(l) = self.heap.get_mut(r) {
                        for p in pos.into_iter().rev() {
                            l.remove(p);
                        }
                    }
                    return Ok(());
                }
                let i = self.seq_index(k, len, "list assignment")?;
                if let Obj::List(l) = self.heap.get_mut(r) {
                    l.remove(i);
                }
                Ok(())
            }
            Obj::Dict(_) => {
                let hk = self.hash_key(k)?;
                if let Obj::Dict(d) = self.heap.get_mut(r)
                    && d.remove(&hk).is_some()
                {
                    return Ok(());
                }
                let e = self.new_exception(ExcKind::KeyError, "");
                if let Some(d) = self.exc_data_mut(e) {
                    d.args = vec![k];
                }
                Err(super::error::Exc::Obj(e))
            }
            Obj::Instance(_) => match self.has_attr(o, "__delitem__")? {
                Some(f) => {
                    self.call_sync(f, vec![k], Vec::new())?;
                    Ok(())
                }
                None => type_err("object does not support item deletion"),
            },
            _ => {
                let t = self.type_name(o);
                type_err(format!("'{t}' object does not support item deletion"))
            }
        }
    }
}
