//! The builtins module: the VM's initial state (types, exception classes, builtin functions)
//! and the constructors of the built-in types.

use std::collections::HashMap;
use std::rc::Rc;

use num_bigint::BigInt;
use num_traits::{Signed, Zero};

use super::dict::Dict;
use super::error::{ExcKind, PResult, err, type_err, value_err};
use super::heap::Heap;
use super::interp::Vm;
use super::ops::{Num, big_to_value};
use super::value::*;

type Kw = [(Rc<str>, Value)];

const TYPES: &[(BuiltinType, &str)] = &[
    (BuiltinType::Object, "object"),
    (BuiltinType::Type, "type"),
    (BuiltinType::NoneType, "NoneType"),
    (BuiltinType::Bool, "bool"),
    (BuiltinType::Int, "int"),
    (BuiltinType::Float, "float"),
    (BuiltinType::Str, "str"),
    (BuiltinType::Bytes, "bytes"),
    (BuiltinType::List, "list"),
    (BuiltinType::Tuple, "tuple"),
    (BuiltinType::Dict, "dict"),
    (BuiltinType::Set, "set"),
    (BuiltinType::FrozenSet, "frozenset"),
    (BuiltinType::Range, "range"),
    (BuiltinType::Slice, "slice"),
    (BuiltinType::Function, "function"),
    (BuiltinType::BuiltinFunction, "builtin_function_or_method"),
    (BuiltinType::Method, "method"),
    (BuiltinType::Generator, "generator"),
    (BuiltinType::Iterator, "iterator"),
    (BuiltinType::Module, "module"),
    (BuiltinType::Property, "property"),
    (BuiltinType::StaticMethod, "staticmethod"),
    (BuiltinType::ClassMethod, "classmethod"),
    (BuiltinType::Super, "super"),
    (BuiltinType::Cell, "cell"),
    (BuiltinType::NotImplementedType, "NotImplementedType"),
    (BuiltinType::Ellipsis, "ellipsis"),
    (BuiltinType::Host, "host"),
];

/// Types that scripts can name in the builtins module.
const EXPOSED: &[&str] = &[
    "object", "type", "bool", "int", "float", "str", "bytes", "list", "tuple", "dict", "set", "frozenset", "range",
    "slice", "property", "staticmethod", "classmethod", "super",
];

const FUNCS: &[(&str, NativeFn)] = &[
    ("print", bi_print),
    ("len", bi_len),
    ("repr", bi_repr),
    ("abs", bi_abs),
    ("isinstance", bi_isinstance),
    ("issubclass", bi_issubclass),
    ("hasattr", bi_hasattr),
    ("getattr", bi_getattr),
    ("setattr", bi_setattr),
    ("delattr", bi_delattr),
    ("callable", bi_callable),
    ("iter", bi_iter),
    ("next", bi_next),
    ("ord", bi_ord),
    ("chr", bi_chr),
    ("hex", bi_hex),
    ("oct", bi_oct),
    ("bin", bi_bin),
    ("hash", bi_hash),
    ("id", bi_id),
    ("sum", bi_sum),
    ("any", bi_any),
    ("all", bi_all),
    ("min", bi_min),
    ("max", bi_max),
    ("sorted", bi_sorted),
    ("reversed", bi_reversed),
    ("enumerate", bi_enumerate),
    ("zip", bi_zip),
    ("map", bi_map),
    ("filter", bi_filter),
    ("round", bi_round),
    ("divmod", bi_divmod),
    ("pow", bi_pow),
    ("format", bi_format),
    ("globals", bi_globals),
    ("vars", bi_vars),
];

pub fn new_vm() -> Vm {
    let mut heap = Heap::new();
    let empty = heap.alloc(Obj::Tuple(Rc::from(Vec::new())));
    let builtins = heap.alloc(Obj::Dict(Dict::new()));
    let mut vm = Vm {
        heap,
        frames: Vec::new(),
        builtins,
        modules: Vec::new(),
        types: Vec::new(),
        exc_classes: Vec::new(),
        nested: 0,
        nested_result: None,
        recursion_limit: 100_000,
        out: Vec::new(),
        script_dir: std::path::PathBuf::from("."),
        argv: Vec::new(),
        pending_hook: super::interp::Hook::PUSH,
        reraising: false,
        sources: Vec::new(),
        pinned: Vec::new(),
        empty_tuple: Value::Obj(empty),
        host_classes: Vec::new(),
    };
    for (t, name) in TYPES {
        let base = if *t == BuiltinType::Object { None } else { Some(vm.types[0]) };
        let c = vm.heap.alloc(Obj::Class(Box::new(Class { name: Rc::from(*name), base, dict: HashMap::new(), builtin: Some(*t) })));
        vm.types.push(c);
    }
    // bool derives from int, which is created after it.
    let (b, i) = (vm.types[BuiltinType::Bool as usize], vm.types[BuiltinType::Int as usize]);
    if let Obj::Class(c) = vm.heap.get_mut(b) {
        c.base = Some(i);
    }
    for name in EXPOSED {
        let i = TYPES.iter().position(|t| t.1 == *name).unwrap_or(0);
        let c = Value::Obj(vm.types[i]);
        vm.dict_set_str(builtins, &Rc::from(*name), c);
    }
    let init = vm.native_method("__init__", exc_init);
    for (kind, name, base) in ExcKind::ALL {
        let base = base.map(|b| vm.exc_classes[b as usize]).or(Some(vm.types[0]));
        let mut dict = HashMap::new();
        if *kind == ExcKind::BaseException {
            dict.insert(Rc::from("__init__"), init);
        }
        let c = vm.heap.alloc(Obj::Class(Box::new(Class { name: Rc::from(*name), base, dict, builtin: None })));
        debug_assert_eq!(vm.exc_classes.len(), *kind as usize);
        vm.exc_classes.push(c);
        vm.dict_set_str(builtins, &Rc::from(*name), Value::Obj(c));
    }
    let aliases = [("EnvironmentError", ExcKind::OSError), ("IOError", ExcKind::OSError)];
    for (n, k) in aliases {
        let c = Value::Obj(vm.exc_classes[k as usize]);
        vm.dict_set_str(builtins, &Rc::from(n), c);
    }
    for (name, f) in FUNCS {
        let v = vm.native_method(name, *f);
        vm.dict_set_str(builtins, &Rc::from(*name), v);
    }
    vm.dict_set_str(builtins, &Rc::from("NotImplemented"), Value::NotImplemented);
    vm.dict_set_str(builtins, &Rc::from("Ellipsis"), Value::Ellipsis);
    vm
}

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).copied().unwrap_or(Value::None)
}

fn kwarg(kw: &Kw, name: &str) -> Option<Value> {
    kw.iter().find(|(k, _)| &**k == name).map(|(_, v)| *v)
}

fn exc_init(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let this = arg(args, 0);
    let rest = args.get(1..).unwrap_or(&[]).to_vec();
    if let Some(d) = vm.exc_data_mut(this) {
        d.args = rest;
    }
    Ok(Value::None)
}

pub fn property_setter(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let (p, f) = (arg(args, 0), arg(args, 1));
    let Some(Obj::Property(g, _, d)) = p.as_ref().map(|r| vm.heap.get(r)) else { return type_err("not a property") };
    let (g, d) = (*g, *d);
    Ok(vm.alloc(Obj::Property(g, f, d)))
}

/// Calls to the built-in types: `int("12", 16)`, `list(x)`, `dict(a=1)`...
pub fn construct(vm: &mut Vm, t: BuiltinType, cls: Ref, args: &[Value], kw: &Kw) -> PResult<Value> {
    let a0 = arg(args, 0);
    Ok(match t {
        BuiltinType::Object => {
            if cls != vm.types[0] {
                return type_err("cannot instantiate");
            }
            vm.alloc(Obj::Instance(Box::new(Instance { class: cls, dict: HashMap::new(), exc: None })))
        }
        BuiltinType::Type => {
            if args.len() == 1 {
                Value::Obj(vm.type_of(a0))
            } else {
                return type_err("type() takes 1 argument");
            }
        }
        BuiltinType::Bool => Value::Bool(if args.is_empty() { false } else { vm.truthy(a0)? }),
        BuiltinType::Int => {
            if args.is_empty() {
                return Ok(Value::Int(0));
            }
            let base = args.get(1).copied().or(kwarg(kw, "base"));
            to_int(vm, a0, base)?
        }
        BuiltinType::Float => {
            if args.is_empty() {
                return Ok(Value::Float(0.0));
            }
            if let Some(s) = vm.str_val(a0) {
                return parse_float(&s).map(Value::Float);
            }
            match vm.num(a0) {
                Some(n) => Value::Float(super::ops::num_f64(&n)),
                None => {
                    if let Some(f) = vm.has_attr(a0, "__float__")? {
                        return vm.call_sync(f, vec![], vec![]);
                    }
                    let t = vm.type_name(a0);
                    return type_err(format!("float() argument must be a string or a real number, not '{t}'"));
                }
            }
        }
        BuiltinType::Str => {
            if args.is_empty() {
                return Ok(vm.new_str(""));
            }
            if let (Some(Obj::Bytes(b)), true) = (a0.as_ref().map(|r| vm.heap.get(r)), args.len() > 1 || kwarg(kw, "encoding").is_some()) {
                let b = b.clone();
                return decode_bytes(vm, &b);
            }
            if vm.str_val(a0).is_some() {
                return Ok(a0);
            }
            let s = vm.to_str(a0)?;
            vm.new_str(s)
        }
        BuiltinType::Bytes => {
            if args.is_empty() {
                return Ok(vm.alloc(Obj::Bytes(Rc::from(Vec::new()))));
            }
            if let Some(s) = vm.str_val(a0) {
                return Ok(vm.alloc(Obj::Bytes(Rc::from(s.as_bytes()))));
            }
            if let Value::Int(n) = a0 {
                return Ok(vm.alloc(Obj::Bytes(Rc::from(vec![0u8; n.max(0) as usize]))));
            }
            let items = vm.iterate(a0)?;
            let mut out = Vec::new();
            for i in items {
                match i {
                    Value::Int(b) if (0..256).contains(&b) => out.push(b as u8),
                    _ => return value_err("bytes must be in range(0, 256)"),
                }
            }
            vm.alloc(Obj::Bytes(out.into()))
        }
        BuiltinType::List => {
            let items = if args.is_empty() { vec![] } else { vm.iterate(a0)? };
            vm.new_list(items)
        }
        BuiltinType::Tuple => {
            if let Some(Obj::Tuple(_)) = a0.as_ref().map(|r| vm.heap.get(r)) {
                return Ok(a0);
            }
            let items = if args.is_empty() { vec![] } else { vm.iterate(a0)? };
            vm.new_tuple(items)
        }
        BuiltinType::Dict => {
            let d = vm.new_dict();
            if !args.is_empty() {
                dict_update_from(vm, d, a0)?;
            }
            for (k, v) in kw {
                let k = vm.new_str(k.clone());
                vm.dict_set(d, k, *v)?;
            }
            d
        }
        BuiltinType::Set | BuiltinType::FrozenSet => {
            let items = if args.is_empty() { vec![] } else { vm.iterate(a0)? };
            vm.new_set(items, t == BuiltinType::FrozenSet)?
        }
        BuiltinType::Range => {
            let mut n = Vec::new();
            for a in args {
                match vm.num(*a) {
                    Some(Num::I(i)) => n.push(i),
                    _ => {
                        let t = vm.type_name(*a);
                        return type_err(format!("'{t}' object cannot be interpreted as an integer"));
                    }
                }
            }
            let (a, b, c) = match n.len() {
                1 => (0, n[0], 1),
                2 => (n[0], n[1], 1),
                3 => (n[0], n[1], n[2]),
                0 => return type_err("range expected at least 1 argument, got 0"),
                k => return type_err(format!("range expected at most 3 arguments, got {k}")),
            };
            if c == 0 {
                return value_err("range() arg 3 must not be zero");
            }
            vm.alloc(Obj::Range(a, b, c))
        }
        BuiltinType::Slice => {
            let (a, b, c) = match args.len() {
                1 => (Value::None, a0, Value::None),
                2 => (a0, arg(args, 1), Value::None),
                _ => (a0, arg(args, 1), arg(args, 2)),
            };
            vm.alloc(Obj::Slice(a, b, c))
        }
        BuiltinType::Property => {
            let fset = args.get(1).copied().or(kwarg(kw, "fset")).unwrap_or(Value::None);
            vm.alloc(Obj::Property(a0, fset, Value::None))
        }
        BuiltinType::StaticMethod => vm.alloc(Obj::StaticMethod(a0)),
        BuiltinType::ClassMethod => vm.alloc(Obj::ClassMethod(a0)),
        BuiltinType::Super => return make_super(vm, args),
        _ => {
            let n = vm.class_name(cls);
            return type_err(format!("cannot create '{n}' instances"));
        }
    })
}

fn make_super(vm: &mut Vm, args: &[Value]) -> PResult<Value> {
    if args.len() == 2 {
        let Some(c) = args[0].as_ref() else { return type_err("super() argument 1 must be a type") };
        return Ok(vm.alloc(Obj::Super(c, args[1])));
    }
    // Zero-argument form: the calling frame's function knows its class; `self` is its
    // first argument (possibly moved into a cell when a closure captured it).
    let Some(f) = vm.frames.last() else { return err(ExcKind::RuntimeError, "super(): no arguments") };
    let func = f.func;
    let code = f.code.clone();
    let mut this = f.fast.first().copied().flatten();
    if let Some((ci, _)) = code.cell_params.iter().find(|(_, pi)| *pi == 0) {
        let c = f.cells[*ci as usize];
        if let Obj::Cell(v) = vm.heap.get(c) {
            this = *v;
        }
    }
    let class = func.and_then(|fr| match vm.heap.get(fr) {
        Obj::Function(f) => f.class,
        _ => None,
    });
    match (class, this) {
        (Some(c), Some(t)) => Ok(vm.alloc(Obj::Super(c, t))),
        _ => err(ExcKind::RuntimeError, "super(): no arguments"),
    }
}

pub fn dict_update_from(vm: &mut Vm, d: Value, src: Value) -> PResult<()> {
    if let Some(Obj::Dict(s)) = src.as_ref().map(|r| vm.heap.get(r)) {
        let pairs: Vec<(Value, Value)> = s.iter().collect();
        for (k, v) in pairs {
            vm.dict_set(d, k, v)?;
        }
        return Ok(());
    }
    if let Some(keys) = vm.has_attr(src, "keys")?
        && matches!(src.as_ref().map(|r| vm.heap.get(r)), Some(Obj::Instance(_)))
    {
        let ks = vm.call_sync(keys, vec![], vec![])?;
        for k in vm.iterate(ks)? {
            let gi = vm.get_attr(src, "__getitem__")?;
            let v = vm.call_sync(gi, vec![k], vec![])?;
            vm.dict_set(d, k, v)?;
        }
        return Ok(());
    }
    for (i, item) in vm.iterate(src)?.into_iter().enumerate() {
        let kv = vm.iterate(item)?;
        if kv.len() != 2 {
            return value_err(format!(
                "dictionary update sequence element #{i} has length {}; 2 is required",
                kv.len()
            ));
        }
        vm.dict_set(d, kv[0], kv[1])?;
    }
    Ok(())
}

pub fn parse_float(s: &str) -> PResult<f64> {
    let t = s.trim();
    let l = t.to_ascii_lowercase();
    let v = match l.trim_start_matches(['+', '-']) {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = v {
        return Ok(if l.starts_with('-') { -v } else { v });
    }
    let cleaned: String = if t.contains('_') && !t.starts_with('_') && !t.ends_with('_') && !t.contains("__") { t.replace('_', "") } else { t.to_string() };
    if cleaned.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) && !cleaned.is_empty()
        && let Ok(f) = cleaned.parse::<f64>()
    {
        return Ok(f);
    }
    value_err(format!("could not convert string to float: {}", super::format::repr_str(s)))
}

pub fn to_int(vm: &mut Vm, v: Value, base: Option<Value>) -> PResult<Value> {
    if let Some(s) = vm.str_val(v) {
        let base = match base {
            Some(Value::Int(b)) => b as u32,
            _ => 10,
        };
        return parse_int(vm, &s, base);
    }
    if let Some(Obj::Bytes(b)) = v.as_ref().map(|r| vm.heap.get(r)) {
        let s = String::from_utf8_lossy(b).to_string();
        return parse_int(vm, &s, 10);
    }
    match vm.num(v) {
        Some(Num::I(i)) => Ok(Value::Int(i)),
        Some(Num::B(_)) => Ok(v),
        Some(Num::F(f)) => {
            if f.is_nan() {
                return value_err("cannot convert float NaN to integer");
            }
            if f.is_infinite() {
                return err(ExcKind::OverflowError, "cannot convert float infinity to integer");
            }
            let t = f.trunc();
            if t.abs() < 9.2e18 {
                Ok(Value::Int(t as i64))
            } else {
                let b = BigInt::from(t as i128);
                let b = if t.abs() < 1.7e38 { b } else { float_to_big(t) };
                Ok(big_to_value(vm, b))
            }
        }
        None => {
            if let Some(f) = vm.has_attr(v, "__int__")? {
                return vm.call_sync(f, vec![], vec![]);
            }
            let t = vm.type_name(v);
            type_err(format!("int() argument must be a string, a bytes-like object or a real number, not '{t}'"))
        }
    }
}

fn float_to_big(f: f64) -> BigInt {
    // Exact conversion via the float's decimal expansion (integral here).
    format!("{f:.0}").parse().unwrap_or_default()
}

pub fn parse_int(vm: &mut Vm, s: &str, base: u32) -> PResult<Value> {
    let t = s.trim();
    let bad = || value_err(format!("invalid literal for int() with base {base}: {}", super::format::repr_str(s)));
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let mut base = base;
    let mut body = body.to_string();
    let lower = body.to_ascii_lowercase();
    for (p, b) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if lower.starts_with(p) && (base == b || base == 0) {
            base = b;
            body = body[2..].to_string();
        }
    }
    if base == 0 {
        base = 10;
    }
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return bad();
    }
    let digits: String = body.chars().filter(|c| *c != '_').collect();
    if !(2..=36).contains(&base) {
        return value_err("int() base must be >= 2 and <= 36, or 0");
    }
    match BigInt::parse_bytes(digits.as_bytes(), base) {
        Some(b) if !digits.starts_with(['+', '-']) => {
            let b = if neg { -b } else { b };
            Ok(big_to_value(vm, b))
        }
        _ => bad(),
    }
}

pub fn decode_bytes(vm: &mut Vm, b: &[u8]) -> PResult<Value> {
    match std::str::from_utf8(b) {
        Ok(s) => Ok(vm.new_str(s)),
        Err(e) => {
            let pos = e.valid_up_to();
            err(
                ExcKind::UnicodeDecodeError,
                format!("'utf-8' codec can't decode byte 0x{:02x} in position {pos}: invalid start byte", b[pos]),
            )
        }
    }
}

// ---- builtin functions ----

fn bi_print(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
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

fn bi_len(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = arg(args, 0);
    if let Value::Obj(r) = v {
        let n = match vm.heap.get(r) {
            Obj::Str(s) => {
                if s.is_ascii() { s.len() } else { s.chars().count() }
            }
            Obj::Bytes(b) => b.len(),
            Obj::List(l) => l.len(),
            Obj::Tuple(t) => t.len(),
            Obj::Dict(d) | Obj::Set(d, _) => d.len(),
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

fn bi_repr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = vm.repr(arg(args, 0))?;
    Ok(vm.new_str(s))
}

fn bi_abs(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
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

fn bi_isinstance(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let cs = class_list(vm, arg(args, 1))?;
    let v = arg(args, 0);
    Ok(Value::Bool(cs.iter().any(|c| vm.isinstance(v, *c))))
}

fn bi_issubclass(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let Some(c) = arg(args, 0).as_ref().filter(|r| matches!(vm.heap.get(*r), Obj::Class(_))) else {
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

fn bi_hasattr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let n = attr_name(vm, arg(args, 1))?;
    Ok(Value::Bool(vm.has_attr(arg(args, 0), &n)?.is_some()))
}

fn bi_getattr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let n = attr_name(vm, arg(args, 1))?;
    if args.len() > 2 {
        return Ok(vm.has_attr(arg(args, 0), &n)?.unwrap_or(args[2]));
    }
    vm.get_attr(arg(args, 0), &n)
}

fn bi_setattr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let n = attr_name(vm, arg(args, 1))?;
    vm.store_attr(arg(args, 0), &n, arg(args, 2))?;
    Ok(Value::None)
}

fn bi_delattr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let n = attr_name(vm, arg(args, 1))?;
    vm.delete_attr(arg(args, 0), &n)?;
    Ok(Value::None)
}

fn bi_callable(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = arg(args, 0);
    let c = match v.as_ref().map(|r| vm.heap.get(r)) {
        Some(Obj::Function(_) | Obj::Native(_) | Obj::BoundMethod(..) | Obj::Class(_)) => true,
        Some(Obj::Instance(i)) => {
            let c = i.class;
            vm.class_lookup(c, "__call__").is_some()
        }
        _ => false,
    };
    Ok(Value::Bool(c))
}

fn bi_iter(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    if args.len() == 2 {
        return Ok(vm.alloc(Obj::Iter(Box::new(IterState::Callable(args[0], args[1])))));
    }
    vm.get_iter(arg(args, 0))
}

fn bi_next(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    if let Some(d) = args.get(1) {
        return Ok(vm.next_sync(arg(args, 0))?.unwrap_or(*d));
    }
    match vm.next_raw(arg(args, 0))? {
        Some(v) => Ok(v),
        None => err(ExcKind::StopIteration, ""),
    }
}

fn bi_ord(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = arg(args, 0);
    if let Some(s) = vm.str_val(v) {
        let mut it = s.chars();
        if let (Some(c), None) = (it.next(), it.next()) {
            return Ok(Value::Int(c as i64));
        }
        return type_err(format!("ord() expected a character, but string of length {} found", s.chars().count()));
    }
    if let Some(Obj::Bytes(b)) = v.as_ref().map(|r| vm.heap.get(r))
        && b.len() == 1
    {
        return Ok(Value::Int(b[0] as i64));
    }
    let t = vm.type_name(v);
    type_err(format!("ord() expected string of length 1, but {t} found"))
}

fn bi_chr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
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
    let s = if b.is_negative() { format!("-{prefix}{}", (-b).to_str_radix(r)) } else { format!("{prefix}{}", b.to_str_radix(r)) };
    Ok(vm.new_str(s))
}

fn bi_hex(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    radix(vm, arg(args, 0), 16, "0x")
}
fn bi_oct(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    radix(vm, arg(args, 0), 8, "0o")
}
fn bi_bin(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    radix(vm, arg(args, 0), 2, "0b")
}

fn bi_hash(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
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

fn bi_id(_vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Int(match arg(args, 0) {
        Value::Obj(r) => 0x7f00_0000_0000 + r.0 as i64 * 16,
        Value::Int(i) => 0x1000 + i.wrapping_mul(32),
        Value::None => 0x100,
        Value::Bool(b) => 0x200 + b as i64,
        _ => 0x300,
    }))
}

fn bi_sum(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let items = vm.iterate(arg(args, 0))?;
    let mut acc = args.get(1).copied().or(kwarg(kw, "start")).unwrap_or(Value::Int(0));
    if vm.str_val(acc).is_some() {
        return type_err("sum() can't sum strings [use ''.join(seq) instead]");
    }
    for x in items {
        acc = match (acc, x) {
            (Value::Int(a), Value::Int(b)) if a.checked_add(b).is_some() => Value::Int(a + b),
            _ => vm.binary_value(acc, x, super::ast::BinOp::Add, false)?,
        };
    }
    Ok(acc)
}

fn bi_any(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let it = vm.get_iter(arg(args, 0))?;
    while let Some(x) = vm.next_sync(it)? {
        if vm.truthy(x)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn bi_all(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let it = vm.get_iter(arg(args, 0))?;
    while let Some(x) = vm.next_sync(it)? {
        if !vm.truthy(x)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn min_max(vm: &mut Vm, args: &[Value], kw: &Kw, is_max: bool) -> PResult<Value> {
    let name = if is_max { "max" } else { "min" };
    let items = if args.len() == 1 { vm.iterate(args[0])? } else { args.to_vec() };
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
        let op = if is_max { super::ast::CmpOp::Gt } else { super::ast::CmpOp::Lt };
        let o = vm.cmp(kx, best_key, op)?;
        let better = match o {
            Some(o) => if is_max { o.is_gt() } else { o.is_lt() },
            None => false,
        };
        if better {
            best = x;
            best_key = kx;
        }
    }
    Ok(best)
}

fn bi_min(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    min_max(vm, args, kw, false)
}
fn bi_max(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    min_max(vm, args, kw, true)
}

/// Stable merge sort with a fallible comparison (comparisons may run Python code).
pub fn sort_values(vm: &mut Vm, items: Vec<Value>, key: Option<Value>, reverse: bool) -> PResult<Vec<Value>> {
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
        let mut keyed: Vec<(Rc<str>, (Value, Value))> = pairs.iter().map(|p| (vm.str_val(p.0).unwrap_or_default(), *p)).collect();
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
        let lt = vm.cmp(right[j].0, left[i].0, super::ast::CmpOp::Lt)?.is_some_and(|o| o.is_lt());
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

fn bi_sorted(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let items = vm.iterate(arg(args, 0))?;
    let key = kwarg(kw, "key").filter(|k| !matches!(k, Value::None));
    let rev = match kwarg(kw, "reverse") {
        Some(v) => vm.truthy(v)?,
        None => false,
    };
    let out = sort_values(vm, items, key, rev)?;
    Ok(vm.new_list(out))
}

fn bi_reversed(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
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
        Some(Obj::Str(_) | Obj::Range(..) | Obj::Bytes(_) | Obj::Dict(_)) | Some(Obj::Instance(_)) => {
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

fn bi_enumerate(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let it = vm.get_iter(arg(args, 0))?;
    let start = match args.get(1).copied().or(kwarg(kw, "start")) {
        Some(Value::Int(i)) => i,
        _ => 0,
    };
    Ok(vm.alloc(Obj::Iter(Box::new(IterState::Enumerate(it, start)))))
}

fn bi_zip(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let mut its = Vec::new();
    for a in args {
        its.push(vm.get_iter(*a)?);
    }
    Ok(vm.alloc(Obj::Iter(Box::new(IterState::Zip(its)))))
}

fn bi_map(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    if args.len() < 2 {
        return type_err("map() must have at least two arguments.");
    }
    let mut its = Vec::new();
    for a in &args[1..] {
        its.push(vm.get_iter(*a)?);
    }
    Ok(vm.alloc(Obj::Iter(Box::new(IterState::Map(args[0], its)))))
}

fn bi_filter(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let it = vm.get_iter(arg(args, 1))?;
    Ok(vm.alloc(Obj::Iter(Box::new(IterState::Filter(arg(args, 0), it)))))
}

fn bi_round(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let v = arg(args, 0);
    let nd = args.get(1).copied().or(kwarg(kw, "ndigits")).unwrap_or(Value::None);
    match (vm.num(v), nd) {
        (Some(Num::F(f)), Value::None) => {
            if f.is_nan() {
                return value_err("cannot convert float NaN to integer");
            }
            if f.is_infinite() {
                return err(ExcKind::OverflowError, "cannot convert float infinity to integer");
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
            let q = if r * 2 > p || (r * 2 == p && q % 2 != 0) { q + 1 } else { q };
            Ok(Value::Int(q.saturating_mul(p)))
        }
        (Some(Num::I(_) | Num::B(_)), _) => Ok(if let Value::Bool(b) = v { Value::Int(b as i64) } else { v }),
        _ => {
            if let Some(f) = vm.has_attr(v, "__round__")? {
                return vm.call_sync(f, args[1..].to_vec(), vec![]);
            }
            let t = vm.type_name(v);
            type_err(format!("type {t} doesn't define __round__ method"))
        }
    }
}

fn bi_divmod(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let (a, b) = (arg(args, 0), arg(args, 1));
    let q = vm.binary_value(a, b, super::ast::BinOp::FloorDiv, false)?;
    let r = vm.binary_value(a, b, super::ast::BinOp::Mod, false)?;
    Ok(vm.new_tuple(vec![q, r]))
}

fn bi_pow(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let (a, b) = (arg(args, 0), arg(args, 1));
    if let Some(m) = args.get(2).copied().filter(|m| !matches!(m, Value::None)) {
        let to_b = |n: Option<Num>| match n {
            Some(Num::I(i)) => Some(BigInt::from(i)),
            Some(Num::B(b)) => Some(b),
            _ => None,
        };
        let (Some(x), Some(e), Some(m)) = (to_b(vm.num(a)), to_b(vm.num(b)), to_b(vm.num(m))) else {
            return type_err("pow() 3rd argument not allowed unless all arguments are integers");
        };
        if m.is_zero() {
            return value_err("pow() 3rd argument cannot be 0");
        }
        if e.is_negative() {
            return value_err("base is not invertible for the given modulus");
        }
        let r = x.modpow(&e, &m);
        let r = if !r.is_zero() && r.is_negative() != m.is_negative() { r + &m } else { r };
        return Ok(big_to_value(vm, r));
    }
    vm.binary_value(a, b, super::ast::BinOp::Pow, false)
}

fn bi_format(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let spec = vm.str_val(arg(args, 1)).unwrap_or_else(|| Rc::from(""));
    let s = vm.format(arg(args, 0), &spec)?;
    Ok(vm.new_str(s))
}

fn bi_globals(vm: &mut Vm, _args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(vm.frames.last().map(|f| Value::Obj(f.globals)).unwrap_or(Value::None))
}

fn bi_vars(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    vm.get_attr(arg(args, 0), "__dict__")
}

impl Vm {
    pub fn write_out(&mut self, b: &[u8]) {
        use std::io::Write;
        self.out.extend_from_slice(b);
        if self.out.len() > 1 << 16 {
            let _ = std::io::stdout().write_all(&self.out);
            self.out.clear();
        }
    }

    pub fn flush_out(&mut self) {
        use std::io::Write;
        let mut so = std::io::stdout();
        let _ = so.write_all(&self.out);
        let _ = so.flush();
        self.out.clear();
    }
}

