//! The builtins module: the VM's initial state (types, exception classes, builtin functions)
//! and the constructors of the built-in types.

use std::rc::Rc;

use num_bigint::BigInt;

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
    (BuiltinType::DictKeys, "dict_keys"),
    (BuiltinType::DictValues, "dict_values"),
    (BuiltinType::DictItems, "dict_items"),
];

/// Types that scripts can name in the builtins module.
const EXPOSED: &[&str] = &[
    "object",
    "type",
    "bool",
    "int",
    "float",
    "str",
    "bytes",
    "list",
    "tuple",
    "dict",
    "set",
    "frozenset",
    "range",
    "slice",
    "property",
    "staticmethod",
    "classmethod",
    "super",
];

use super::bifuncs::*;

const FUNCS: &[(&str, NativeFn)] = &[
    ("print", bi_print),
    ("open", super::file::bi_open),
    ("len", bi_len),
    ("repr", bi_repr),
    ("ascii", bi_ascii),
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
    let marker = heap.alloc(Obj::Cell(None));
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
        method_marker: Value::Obj(marker),
        channel_methods: [Value::None; 2],
        host_classes: Vec::new(),
        tasklets: Default::default(),
        frame_pool: Vec::new(),
        stack_pool: Vec::new(),
        class_cache: Default::default(),
        unbound_methods: Default::default(),
        pickle_hosts: Vec::new(),
        gc_inhibit: 0,
        max_nested: super::interp::MAX_NESTED,
        temp_roots: Vec::new(),
    };
    for (t, name) in TYPES {
        let base = if *t == BuiltinType::Object {
            None
        } else {
            Some(vm.types[0])
        };
        let c = vm.heap.alloc(Obj::Class(Box::new(Class {
            name: Rc::from(*name),
            base,
            dict: AttrMap::default(),
            builtin: Some(*t),
        })));
        vm.types.push(c);
    }
    // bool derives from int, which is created after it.
    let (b, i) = (
        vm.types[BuiltinType::Bool as usize],
        vm.types[BuiltinType::Int as usize],
    );
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
        let base = base
            .map(|b| vm.exc_classes[b as usize])
            .or(Some(vm.types[0]));
        let mut dict = AttrMap::default();
        if *kind == ExcKind::BaseException {
            dict.insert(Rc::from("__init__"), init);
        }
        let c = vm.heap.alloc(Obj::Class(Box::new(Class {
            name: Rc::from(*name),
            base,
            dict,
            builtin: None,
        })));
        debug_assert_eq!(vm.exc_classes.len(), *kind as usize);
        vm.exc_classes.push(c);
        vm.dict_set_str(builtins, &Rc::from(*name), Value::Obj(c));
    }
    let aliases = [
        ("EnvironmentError", ExcKind::OSError),
        ("IOError", ExcKind::OSError),
    ];
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

pub(crate) fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).copied().unwrap_or(Value::None)
}

/// A parameter given by keyword `name` or in position `i`.
pub(crate) fn kw_or(kw: &Kw, name: &str, args: &[Value], i: usize) -> Value {
    kwarg(kw, name).unwrap_or_else(|| arg(args, i))
}

pub(super) fn kwarg(kw: &Kw, name: &str) -> Option<Value> {
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
    let Some(Obj::Property(g, _, d)) = p.as_ref().map(|r| vm.heap.get(r)) else {
        return type_err("not a property");
    };
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
            vm.alloc(Obj::Instance(Box::new(Instance {
                class: cls,
                dict: AttrMap::default(),
                exc: None,
            })))
        }
        BuiltinType::Type => match args {
            [_] => Value::Obj(vm.type_of(a0)),
            // type(name, bases, namespace): a class made as a class statement makes one.
            &[name, bases, ns] => {
                let is = |vm: &Vm, v: Value, f: fn(&Obj) -> bool| {
                    v.as_ref().is_some_and(|r| f(vm.heap.get(r)))
                };
                for (i, (v, ok, want)) in [
                    (name, vm.str_val(name).is_some(), "str"),
                    (
                        bases,
                        is(vm, bases, |o| matches!(o, Obj::Tuple(_))),
                        "tuple",
                    ),
                    (ns, is(vm, ns, |o| matches!(o, Obj::Dict(_))), "dict"),
                ]
                .into_iter()
                .enumerate()
                {
                    if !ok {
                        let t = vm.type_name(v);
                        return type_err(format!(
                            "type.__new__() argument {} must be {want}, not {t}",
                            i + 1
                        ));
                    }
                }
                return vm.finish_class(ns.as_ref(), bases, name);
            }
            _ => return type_err("type() takes 1 or 3 arguments"),
        },
        BuiltinType::Bool => Value::Bool(if args.is_empty() {
            false
        } else {
            vm.truthy(a0)?
        }),
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
                    return type_err(format!(
                        "float() argument must be a string or a real number, not '{t}'"
                    ));
                }
            }
        }
        BuiltinType::Str => {
            if args.is_empty() {
                return Ok(vm.new_str(""));
            }
            if let (Some(Obj::Bytes(b)), true) = (
                a0.as_ref().map(|r| vm.heap.get(r)),
                args.len() > 1 || kwarg(kw, "encoding").is_some(),
            ) {
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
            let items = if args.is_empty() {
                vec![]
            } else {
                vm.iterate_rooted(a0)?
            };
            vm.new_list(items)
        }
        BuiltinType::Tuple => {
            if let Some(Obj::Tuple(_)) = a0.as_ref().map(|r| vm.heap.get(r)) {
                return Ok(a0);
            }
            let items = if args.is_empty() {
                vec![]
            } else {
                vm.iterate_rooted(a0)?
            };
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
            let items = if args.is_empty() {
                vec![]
            } else {
                vm.iterate_rooted(a0)?
            };
            vm.new_set(items, t == BuiltinType::FrozenSet)?
        }
        BuiltinType::Range => {
            let mut n = Vec::new();
            for a in args {
                match vm.num(*a) {
                    Some(Num::I(i)) => n.push(i),
                    _ => {
                        let t = vm.type_name(*a);
                        return type_err(format!(
                            "'{t}' object cannot be interpreted as an integer"
                        ));
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
            let fset = args
                .get(1)
                .copied()
                .or(kwarg(kw, "fset"))
                .unwrap_or(Value::None);
            vm.alloc(Obj::Property(a0, fset, Value::None))
        }
        BuiltinType::StaticMethod => vm.alloc(Obj::StaticMethod(a0)),
        BuiltinType::ClassMethod => vm.alloc(Obj::ClassMethod(a0)),
        BuiltinType::Super => return make_super(vm, args),
        // A host class made constructible by its module (`stackless.tasklet(f)`).
        BuiltinType::Host if vm.class_lookup(cls, "__new__").is_some() => {
            let new = vm.class_lookup(cls, "__new__").unwrap_or(Value::None);
            return vm.call_sync(new, args.to_vec(), kw.to_vec());
        }
        _ => {
            let n = vm.class_name(cls);
            return type_err(format!("cannot create '{n}' instances"));
        }
    })
}

fn make_super(vm: &mut Vm, args: &[Value]) -> PResult<Value> {
    if args.len() == 2 {
        let Some(c) = args[0].as_ref() else {
            return type_err("super() argument 1 must be a type");
        };
        return Ok(vm.alloc(Obj::Super(c, args[1])));
    }
    // Zero-argument form: the calling frame's function knows its class; `self` is its
    // first argument (possibly moved into a cell when a closure captured it).
    let Some(f) = vm.frames.last() else {
        return err(ExcKind::RuntimeError, "super(): no arguments");
    };
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
    let ascii = super::unicode::ascii_digits(s);
    let t = ascii.as_deref().unwrap_or(s).trim();
    let l = t.to_ascii_lowercase();
    let v = match l.trim_start_matches(['+', '-']) {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = v {
        return Ok(if l.starts_with('-') { -v } else { v });
    }
    let cleaned: String =
        if t.contains('_') && !t.starts_with('_') && !t.ends_with('_') && !t.contains("__") {
            t.replace('_', "")
        } else {
            t.to_string()
        };
    if cleaned
        .chars()
        .all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
        && !cleaned.is_empty()
        && let Ok(f) = cleaned.parse::<f64>()
    {
        return Ok(f);
    }
    value_err(format!(
        "could not convert string to float: {}",
        super::format::repr_str(s)
    ))
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
                return err(
                    ExcKind::OverflowError,
                    "cannot convert float infinity to integer",
                );
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
            type_err(format!(
                "int() argument must be a string, a bytes-like object or a real number, not '{t}'"
            ))
        }
    }
}

fn float_to_big(f: f64) -> BigInt {
    // Exact conversion via the float's decimal expansion (integral here).
    format!("{f:.0}").parse().unwrap_or_default()
}

pub fn parse_int(vm: &mut Vm, s: &str, base: u32) -> PResult<Value> {
    let ascii = super::unicode::ascii_digits(s);
    let t = ascii.as_deref().unwrap_or(s).trim();
    let bad = || {
        value_err(format!(
            "invalid literal for int() with base {base}: {}",
            super::format::repr_str(s)
        ))
    };
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
    if base == 10 && digits.len() > 4300 {
        return value_err(format!(
            "Exceeds the limit (4300 digits) for integer string conversion: value has {} digits; use sys.set_int_max_str_digits() to increase the limit",
            digits.len()
        ));
    }
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
                format!(
                    "'utf-8' codec can't decode byte 0x{:02x} in position {pos}: invalid start byte",
                    b[pos]
                ),
            )
        }
    }
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
