//! `import`: built-in modules (`math`, `time`, `json`, `sys`), modules the embedder registers
//! (`Vm::register_module`), and `.py` files next to the running script.

use std::rc::Rc;

use num_traits::ToPrimitive;

use super::error::{Exc, ExcKind, PResult, err, type_err, value_err};
use super::interp::{Frame, Vm};
use super::ops::{Num, num_f64};
use super::value::*;

type Kw = [(Rc<str>, Value)];

impl Vm {
    pub fn module_name(&self, m: Value) -> Rc<str> {
        match m.as_ref().map(|r| self.heap.get(r)) {
            Some(Obj::Module(n, _)) => n.clone(),
            _ => Rc::from("?"),
        }
    }

    pub fn new_module(&mut self, name: &str) -> (Value, Ref) {
        let d = self.new_dict();
        let dr = d.as_ref().unwrap_or(self.builtins);
        let n = self.new_str(name);
        self.dict_set_str(dr, &Rc::from("__name__"), n);
        let m = self.alloc(Obj::Module(Rc::from(name), dr));
        self.modules.push((Rc::from(name), m));
        (m, dr)
    }

    /// Makes a module provided by the embedding program importable under `name` (the mail
    /// filters' `log`, for one). `build` fills the module's dict. The VM stays independent
    /// of its embedder: the module enters the same table `import` looks in first, so it
    /// shadows a built-in module or a `.py` file of that name.
    pub fn register_module(&mut self, name: &str, build: fn(&mut Vm, Ref)) -> Value {
        self.modules.retain(|(n, _)| &**n != name);
        let (m, d) = self.new_module(name);
        build(self, d);
        m
    }

    fn add_fns(&mut self, d: Ref, fns: &[(&'static str, NativeFn)]) {
        for (n, f) in fns {
            let v = self.native_method(n, *f);
            self.dict_set_str(d, &Rc::from(*n), v);
        }
    }

    pub fn import(&mut self, name: &str) -> PResult<Value> {
        if let Some((_, m)) = self.modules.iter().find(|(n, _)| &**n == name) {
            return Ok(*m);
        }
        match name {
            "math" => {
                let (m, d) = self.new_module("math");
                self.add_fns(d, MATH);
                for (n, v) in [
                    ("pi", std::f64::consts::PI),
                    ("e", std::f64::consts::E),
                    ("tau", std::f64::consts::TAU),
                    ("inf", f64::INFINITY),
                    ("nan", f64::NAN),
                ] {
                    self.dict_set_str(d, &Rc::from(n), Value::Float(v));
                }
                Ok(m)
            }
            "time" => {
                let (m, d) = self.new_module("time");
                self.add_fns(
                    d,
                    &[
                        ("time", time_time),
                        ("perf_counter", time_perf),
                        ("monotonic", time_perf),
                        ("sleep", time_sleep),
                    ],
                );
                Ok(m)
            }
            "json" => {
                let (m, d) = self.new_module("json");
                self.add_fns(
                    d,
                    &[("dumps", super::json::dumps), ("loads", super::json::loads)],
                );
                let je = Value::Obj(self.exc_classes[ExcKind::ValueError as usize]);
                self.dict_set_str(d, &Rc::from("JSONDecodeError"), je);
                Ok(m)
            }
            "sys" => {
                let (m, d) = self.new_module("sys");
                let argv: Vec<Value> = self
                    .argv
                    .clone()
                    .into_iter()
                    .map(|a| self.new_str(a))
                    .collect();
                let argv = self.new_list(argv);
                self.dict_set_str(d, &Rc::from("argv"), argv);
                self.dict_set_str(d, &Rc::from("maxsize"), Value::Int(i64::MAX));
                let stdout = self.stream("stdout", stdout_write);
                let stderr = self.stream("stderr", stderr_write);
                self.dict_set_str(d, &Rc::from("stdout"), stdout);
                self.dict_set_str(d, &Rc::from("stderr"), stderr);
                self.add_fns(
                    d,
                    &[
                        ("getrecursionlimit", sys_getrecursionlimit),
                        ("setrecursionlimit", sys_setrecursionlimit),
                        ("exit", sys_exit),
                    ],
                );
                let v = self.new_str("3.11.0 (stackmail)");
                self.dict_set_str(d, &Rc::from("version"), v);
                Ok(m)
            }
            "re" => Ok(super::re::make_module(self)),
            "stackless" => self.stackless_module(),
            "pickle" => Ok(super::pickle::make_module(self)),
            _ => self.import_file(name),
        }
    }

    fn stream(&mut self, name: &str, write: NativeFn) -> Value {
        let mut dict = AttrMap::default();
        dict.insert(Rc::from("write"), self.native_method("write", write));
        dict.insert(Rc::from("flush"), self.native_method("flush", stream_flush));
        let base = Some(self.types[0]);
        let c = self.heap.alloc(Obj::Class(Box::new(Class {
            name: Rc::from(name),
            base,
            dict,
            builtin: None,
        })));
        self.alloc(Obj::Instance(Box::new(Instance {
            class: c,
            dict: Default::default(),
            exc: None,
        })))
    }

    fn import_file(&mut self, name: &str) -> PResult<Value> {
        let path = self
            .script_dir
            .join(format!("{}.py", name.replace('.', "/")));
        let Ok(src) = std::fs::read_to_string(&path) else {
            return err(
                ExcKind::ModuleNotFoundError,
                format!("No module named '{name}'"),
            );
        };
        let filename = path.to_string_lossy().to_string();
        let code = match super::compile_source(&src, &filename) {
            Ok(c) => c,
            Err(e) => {
                return err(
                    ExcKind::SyntaxErrorExc,
                    format!("{} ({}, line {})", e.msg, filename, e.line),
                );
            }
        };
        self.sources.push((
            Rc::from(filename.as_str()),
            Rc::from(src.as_str()),
            Some(code.clone()),
        ));
        let (m, d) = self.new_module(name);
        let f = Frame::module(code, d);
        // Module bodies run to completion before `import` returns, as in CPython.
        let base = self.frames.len();
        self.frames.push(f);
        self.nested += 1;
        let r = self.run_loop(base, None);
        self.nested -= 1;
        if let Err(e) = r {
            self.modules.retain(|(n, _)| &**n != name);
            return Err(e);
        }
        Ok(m)
    }

    pub fn import_star(&mut self, m: Value) -> PResult<()> {
        let Some(Obj::Module(_, d)) = m.as_ref().map(|r| self.heap.get(r)) else {
            return type_err("not a module");
        };
        let pairs: Vec<(Value, Value)> = match self.heap.get(*d) {
            Obj::Dict(d) => d.iter().collect(),
            _ => vec![],
        };
        let g = self.top().globals;
        for (k, v) in pairs {
            if let Some(k) = self.str_val(k)
                && !k.starts_with('_')
            {
                self.dict_set_str(g, &k, v);
            }
        }
        Ok(())
    }
}

fn f(vm: &Vm, args: &[Value], i: usize) -> PResult<f64> {
    match args.get(i).and_then(|v| vm.num(*v)) {
        Some(n) => Ok(num_f64(&n)),
        None => {
            let t = args
                .get(i)
                .map(|v| vm.type_name(*v))
                .unwrap_or_else(|| Rc::from("NoneType"));
            type_err(format!("must be real number, not {t}"))
        }
    }
}

fn fl(v: f64) -> PResult<Value> {
    Ok(Value::Float(v))
}

fn domain(v: f64) -> PResult<Value> {
    if v.is_nan() {
        value_err("math domain error")
    } else {
        fl(v)
    }
}

macro_rules! math1 {
    ($name:ident, $e:expr) => {
        fn $name(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
            let x = f(vm, args, 0)?;
            let g: fn(f64) -> PResult<Value> = $e;
            g(x)
        }
    };
}

math1!(m_sqrt, |x| if x < 0.0 {
    value_err("math domain error")
} else {
    fl(x.sqrt())
});
math1!(m_exp, |x| {
    let r = x.exp();
    if r.is_infinite() {
        err(ExcKind::OverflowError, "math range error")
    } else {
        fl(r)
    }
});
math1!(m_sin, |x| domain(x.sin()));
math1!(m_cos, |x| domain(x.cos()));
math1!(m_tan, |x| domain(x.tan()));
math1!(m_asin, |x| domain(x.asin()));
math1!(m_acos, |x| domain(x.acos()));
math1!(m_atan, |x| fl(x.atan()));
math1!(m_fabs, |x| fl(x.abs()));
math1!(m_log10, |x| if x <= 0.0 {
    value_err("math domain error")
} else {
    fl(x.log10())
});
math1!(m_log2, |x| if x <= 0.0 {
    value_err("math domain error")
} else {
    fl(x.log2())
});
math1!(m_degrees, |x| fl(x.to_degrees()));
math1!(m_radians, |x| fl(x.to_radians()));
math1!(m_isnan, |x| Ok(Value::Bool(x.is_nan())));
math1!(m_isinf, |x| Ok(Value::Bool(x.is_infinite())));
math1!(m_isfinite, |x| Ok(Value::Bool(x.is_finite())));

fn m_log(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let x = match args.first().and_then(|v| vm.num(*v)) {
        Some(Num::B(b)) => {
            // Big ints past f64 range: log via bit length.
            let bits = b.bits() as f64;
            let shifted = (&b >> (b.bits().saturating_sub(53)))
                .to_f64()
                .unwrap_or(1.0);
            return fl(
                (shifted.ln() + (bits - 53.0).max(0.0) * std::f64::consts::LN_2)
                    / if args.len() > 1 {
                        f(vm, args, 1)?.ln()
                    } else {
                        1.0
                    },
            );
        }
        _ => f(vm, args, 0)?,
    };
    if x <= 0.0 {
        return value_err("math domain error");
    }
    if args.len() > 1 {
        let b = f(vm, args, 1)?;
        return fl(x.ln() / b.ln());
    }
    fl(x.ln())
}

fn m_pow(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    fl(f(vm, args, 0)?.powf(f(vm, args, 1)?))
}

fn m_atan2(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    fl(f(vm, args, 0)?.atan2(f(vm, args, 1)?))
}

fn m_hypot(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let mut s = 0.0f64;
    for i in 0..args.len() {
        let x = f(vm, args, i)?;
        s += x * x;
    }
    fl(s.sqrt())
}

fn int_result(vm: &mut Vm, args: &[Value], g: fn(f64) -> f64) -> PResult<Value> {
    match args.first().and_then(|v| vm.num(*v)) {
        Some(Num::I(i)) => Ok(Value::Int(i)),
        Some(Num::B(_)) => Ok(args[0]),
        _ => {
            let x = f(vm, args, 0)?;
            super::builtins::to_int(vm, Value::Float(g(x)), None)
        }
    }
}

fn m_floor(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    int_result(vm, args, f64::floor)
}
fn m_ceil(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    int_result(vm, args, f64::ceil)
}
fn m_trunc(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    int_result(vm, args, f64::trunc)
}

fn big(vm: &Vm, v: Value) -> PResult<num_bigint::BigInt> {
    match vm.num(v) {
        Some(Num::I(i)) => Ok(i.into()),
        Some(Num::B(b)) => Ok(b),
        _ => {
            let t = vm.type_name(v);
            type_err(format!("'{t}' object cannot be interpreted as an integer"))
        }
    }
}

fn m_gcd(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    use num_integer::Integer;
    let mut g = num_bigint::BigInt::from(0);
    for a in args {
        g = g.gcd(&big(vm, *a)?);
    }
    Ok(super::ops::big_to_value(vm, g))
}

fn m_factorial(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let n = big(vm, args.first().copied().unwrap_or(Value::None))?;
    let Some(n) = n.to_u64() else {
        return value_err("factorial() not defined for negative values");
    };
    if n > 100_000 {
        return Err(Exc::Fatal("MemoryError".into()));
    }
    let mut r = num_bigint::BigInt::from(1);
    for i in 2..=n {
        r *= i;
    }
    Ok(super::ops::big_to_value(vm, r))
}

fn m_isqrt(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let n = big(vm, args.first().copied().unwrap_or(Value::None))?;
    if n.sign() == num_bigint::Sign::Minus {
        return value_err("isqrt() argument must be nonnegative");
    }
    let r = n.sqrt();
    Ok(super::ops::big_to_value(vm, r))
}

fn m_isclose(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let (a, b) = (f(vm, args, 0)?, f(vm, args, 1)?);
    let mut rel = 1e-9;
    let mut abs = 0.0;
    for (k, v) in kw {
        let x = vm.num(*v).map(|n| num_f64(&n)).unwrap_or(0.0);
        match &**k {
            "rel_tol" => rel = x,
            "abs_tol" => abs = x,
            _ => {}
        }
    }
    Ok(Value::Bool(
        a == b || (a - b).abs() <= (rel * a.abs().max(b.abs())).max(abs),
    ))
}

fn m_copysign(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    fl(f(vm, args, 0)?.copysign(f(vm, args, 1)?))
}

fn m_fsum(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let items = vm.iterate(args.first().copied().unwrap_or(Value::None))?;
    // Neumaier summation: close to math.fsum's exactly rounded result for typical inputs.
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for x in items {
        let x = f(vm, &[x], 0)?;
        let t = s + x;
        if s.abs() >= x.abs() {
            c += (s - t) + x
        } else {
            c += (x - t) + s
        }
        s = t;
    }
    fl(s + c)
}

fn m_prod(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let items = vm.iterate(args.first().copied().unwrap_or(Value::None))?;
    let mut acc = Value::Int(1);
    for x in items {
        acc = vm.binary_sync(acc, x, super::ast::BinOp::Mul)?;
    }
    Ok(acc)
}

const MATH: &[(&str, NativeFn)] = &[
    ("sqrt", m_sqrt),
    ("exp", m_exp),
    ("sin", m_sin),
    ("cos", m_cos),
    ("tan", m_tan),
    ("asin", m_asin),
    ("acos", m_acos),
    ("atan", m_atan),
    ("atan2", m_atan2),
    ("fabs", m_fabs),
    ("log", m_log),
    ("log10", m_log10),
    ("log2", m_log2),
    ("pow", m_pow),
    ("hypot", m_hypot),
    ("floor", m_floor),
    ("ceil", m_ceil),
    ("trunc", m_trunc),
    ("gcd", m_gcd),
    ("factorial", m_factorial),
    ("isqrt", m_isqrt),
    ("isclose", m_isclose),
    ("isnan", m_isnan),
    ("isinf", m_isinf),
    ("isfinite", m_isfinite),
    ("degrees", m_degrees),
    ("radians", m_radians),
    ("copysign", m_copysign),
    ("fsum", m_fsum),
    ("prod", m_prod),
];

fn time_time(_vm: &mut Vm, _args: &[Value], _kw: &Kw) -> PResult<Value> {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    fl(d.as_secs_f64())
}

fn time_perf(_vm: &mut Vm, _args: &[Value], _kw: &Kw) -> PResult<Value> {
    thread_local! {
        static START: std::time::Instant = std::time::Instant::now();
    }
    fl(START.with(|s| s.elapsed().as_secs_f64()))
}

fn time_sleep(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = f(vm, args, 0)?;
    if s.is_nan() {
        return value_err("Invalid value NaN (not a number)");
    }
    if s < 0.0 {
        return value_err("sleep length must be non-negative");
    }
    if s > 9.2e9 {
        return super::error::err(
            ExcKind::OverflowError,
            "timestamp out of range for platform time_t",
        );
    }
    let d = std::time::Duration::from_secs_f64(s.min(3600.0));
    if let Some(switch) = vm.sleep_parked(d) {
        return Err(switch);
    }
    vm.flush_out();
    std::thread::sleep(d);
    Ok(Value::None)
}

fn stdout_write(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = vm.to_str(args.get(1).copied().unwrap_or(Value::None))?;
    vm.write_out(s.as_bytes());
    Ok(Value::Int(s.chars().count() as i64))
}

fn stderr_write(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = vm.to_str(args.get(1).copied().unwrap_or(Value::None))?;
    vm.flush_out();
    eprint!("{s}");
    Ok(Value::Int(s.chars().count() as i64))
}

fn stream_flush(vm: &mut Vm, _args: &[Value], _kw: &Kw) -> PResult<Value> {
    vm.flush_out();
    Ok(Value::None)
}

fn sys_getrecursionlimit(vm: &mut Vm, _args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Int(vm.recursion_limit as i64))
}

fn sys_setrecursionlimit(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    match args.first() {
        Some(Value::Int(n)) if *n > 0 => {
            vm.recursion_limit = (*n as usize).min(1_000_000);
            Ok(Value::None)
        }
        _ => value_err("recursion limit must be greater or equal than 1"),
    }
}

fn sys_exit(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let e = vm.new_exception(ExcKind::SystemExit, "");
    if let Some(d) = vm.exc_data_mut(e) {
        d.args = args.to_vec();
    }
    Err(Exc::Obj(e))
}
