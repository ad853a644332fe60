//! `import pickle`: serialization of VM values and of frame stacks to versioned, checked bytes.
//!
//! The format (see [`mod@format`]) is a header (magic `SMPK`, version, length, CRC-32) and a flat
//! table of objects that refer to each other by index, so sharing and cycles survive a round
//! trip and neither side recurses over the graph. What is stored how:
//! - Data (numbers, strings, containers, cells, ranges, slices, iterators) by value.
//! - User functions, classes, instances, bound methods, generators and frames by value. A
//!   class bound at module level under its own name loads as that class when its module is
//!   loaded in the loading VM (as CPython pickles classes by reference), else as a copy.
//!   Code objects are not encoded: a pickle carries the source text of each module involved
//!   and, per code object, its path of indices through nested code constants; loading
//!   recompiles the source (or reuses the loaded module's code if the text is the same).
//! - Modules and module globals by name (imported on load); built-in functions, types and
//!   exception classes by a stable name (looked up on load).
//! - Host objects (`re.Pattern`...) only through a [`HostPickler`] registered in
//!   `Vm::pickle_hosts`; without one they are refused, as CPython refuses what it cannot pickle.
//!
//! Loading checks the header first, then parses the whole table with every index and length
//! checked against the input, then builds the objects and checks that each reference has the
//! kind its slot needs and that frames fit their code. A corrupt or hostile pickle gives an
//! `UnpicklingError`, never a panic.
//!
//! Known limits: a frame's evaluation stack is checked for its depth (see `stack`), not for
//! the types the bytecode at `ip` expects (the interpreter raises TypeError on those); module
//! globals are stored by name, so a frame or function whose module is not loaded (or
//! importable) in the loading VM cannot be restored.

mod build;
pub mod format;
mod read;
mod stack;
mod write;

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod tests;

use std::any::Any;
use std::rc::Rc;

use super::ast::BinOp;
use super::error::{Exc, ExcKind, PResult};
use super::interp::{Frame, Vm};
use super::value::*;
use format::{HeaderError, Writer};

/// Built-in modules whose functions and classes are pickled by name.
pub const NATIVE_MODULES: &[&str] = &["math", "time", "json", "sys", "re", "pickle", "stackless"];

/// Save function of a host kind: given the host data, the values it holds (encoded as part of
/// the graph, so they may be shared or cyclic) and opaque bytes for the rest.
pub type HostSave = fn(&mut Vm, &Rc<dyn Any>) -> PResult<(Vec<Value>, Vec<u8>)>;

/// Load function of a host kind: given the bytes and the decoded values, the new object.
/// Hosts are made before other objects are filled in (so that methods bound to them can be
/// resolved): strings, bytes and numbers are complete, containers and instances are still
/// empty placeholders of their final kind. Keep the values; do not inspect their contents.
pub type HostLoad = fn(&mut Vm, &[u8], &[Value]) -> PResult<Value>;

/// How to pickle one kind of host object (`Obj::Host`), keyed by its host class name as
/// registered in `Vm::host_classes` (e.g. `"stackless.channel"`). Register it by pushing onto
/// `Vm::pickle_hosts` when the module that makes such objects is set up.
#[derive(Clone, Copy)]
pub struct HostPickler {
    pub class: &'static str,
    pub save: HostSave,
    pub load: HostLoad,
}

/// Serializes `v` and everything it reaches.
pub fn dumps(vm: &mut Vm, v: Value) -> PResult<Vec<u8>> {
    let mut enc = write::Encoder::new(vm);
    let mut root = Writer::default();
    root.u8(0);
    enc.value(&mut root, v);
    let payload = enc.finish(root)?;
    seal(vm, &payload)
}

/// The header stores the payload length in 32 bits.
fn seal(vm: &mut Vm, payload: &[u8]) -> PResult<Vec<u8>> {
    if u32::try_from(payload.len()).is_err() {
        return pickling_error(vm, "object too large to pickle (4 GiB or more)");
    }
    Ok(format::seal(payload))
}

/// Rebuilds a value from `dumps` output.
pub fn loads(vm: &mut Vm, bytes: &[u8]) -> PResult<Value> {
    match load_any(vm, bytes)? {
        build::Built::Value(v) => Ok(v),
        build::Built::Frames(..) => Err(unpickling_error(
            vm,
            "this pickle holds frames, not a value",
        )),
    }
}

/// Serializes a frame stack (outermost first) and a few extra values: a parked tasklet.
/// Generators running on that stack are written with their `running` flag, their frame
/// being among `frames`.
pub fn dump_frames(vm: &mut Vm, frames: &[Frame], extra: &[Value]) -> PResult<Vec<u8>> {
    let mut enc = write::Encoder::new(vm);
    enc.allow_running = true;
    let mut root = Writer::default();
    root.u8(1);
    root.usize(frames.len());
    for f in frames {
        enc.frame(&mut root, f)?;
    }
    root.usize(extra.len());
    for v in extra {
        enc.value(&mut root, *v);
    }
    let payload = enc.finish(root)?;
    seal(vm, &payload)
}

/// Rebuilds what `dump_frames` wrote. The values are not rooted: push the frames (or root
/// the values) before anything can run the collector.
pub fn load_frames(vm: &mut Vm, bytes: &[u8]) -> PResult<(Vec<Frame>, Vec<Value>)> {
    match load_any(vm, bytes)? {
        build::Built::Frames(f, e) => Ok((f, e)),
        build::Built::Value(_) => Err(unpickling_error(
            vm,
            "this pickle holds a value, not frames",
        )),
    }
}

fn load_any(vm: &mut Vm, bytes: &[u8]) -> PResult<build::Built> {
    let payload = match format::unseal(bytes) {
        Ok(p) => p,
        Err(e) => {
            let msg = match e {
                HeaderError::Foreign => "not stackmail pickle data".to_string(),
                HeaderError::Version(v) => format!(
                    "unsupported format version {v} (this build reads {})",
                    format::VERSION
                ),
                HeaderError::Truncated => "truncated data".into(),
                HeaderError::Checksum => "data is corrupt (checksum mismatch)".into(),
                HeaderError::TrailingData => "data is corrupt (extra bytes after the end)".into(),
            };
            return Err(unpickling_error(vm, &msg));
        }
    };
    let parsed = match read::parse(payload) {
        Ok(p) => p,
        Err(e) => return Err(unpickling_error(vm, &String::from(e))),
    };
    // The objects being built are reachable from nowhere until the build returns.
    vm.gc_inhibit += 1;
    let r = build::build(vm, parsed);
    vm.gc_inhibit -= 1;
    r
}

/// An exception of the pickle module's class `name`, with `msg` as its argument.
fn pickle_exception(vm: &mut Vm, name: &str, msg: &str) -> Exc {
    let class = vm.import("pickle").ok().and_then(|m| match m {
        Value::Obj(r) => match vm.heap.get(r) {
            Obj::Module(_, d) => vm.dict_get_str(*d, &Rc::from(name)),
            _ => None,
        },
        _ => None,
    });
    let Some(Value::Obj(class)) = class else {
        return Exc::New(ExcKind::ValueError, msg.to_string());
    };
    let m = vm.new_str(msg);
    Exc::Obj(vm.alloc(Obj::Instance(Box::new(Instance {
        class,
        dict: AttrMap::default(),
        exc: Some(Box::new(ExcData {
            args: vec![m],
            ..Default::default()
        })),
    }))))
}

pub fn unpickling_error(vm: &mut Vm, msg: &str) -> Exc {
    pickle_exception(vm, "UnpicklingError", msg)
}

pub fn pickling_error<T>(vm: &mut Vm, msg: impl Into<String>) -> PResult<T> {
    let msg = msg.into();
    Err(pickle_exception(vm, "PicklingError", &msg))
}

/// Finds a built-in object written by name (see `write::Encoder::new` for the namespaces).
fn lookup_named(vm: &mut Vm, ns: &str, name: &str) -> PResult<Ref> {
    let found = match ns {
        "vm" if name == "method_marker" => vm.method_marker.as_ref(),
        "type" => vm
            .types
            .iter()
            .copied()
            .find(|c| &*vm.class_name(*c) == name),
        "host" => host_class(vm, name),
        m if m.starts_with("method:") => {
            let ty = vm
                .types
                .iter()
                .copied()
                .find(|c| *vm.class_name(*c) == m[7..]);
            let t = ty.and_then(|c| match vm.heap.get(c) {
                Obj::Class(k) => k.builtin,
                _ => None,
            });
            t.and_then(|t| vm.unbound_builtin(t, name))
                .and_then(|v| v.as_ref())
        }
        m if m.starts_with("host:") => {
            let class = host_class(vm, &m[5..]);
            match class.map(|c| vm.heap.get(c)) {
                Some(Obj::Class(k)) => match k.dict.get(name) {
                    Some(Value::Obj(r)) => Some(*r),
                    _ => None,
                },
                _ => None,
            }
        }
        "builtins" => match vm.dict_get_str(vm.builtins, &Rc::from(name)) {
            Some(Value::Obj(r)) => Some(r),
            _ => None,
        },
        m if NATIVE_MODULES.contains(&m) => match vm.import(m) {
            Ok(Value::Obj(mr)) => match vm.heap.get(mr) {
                Obj::Module(_, d) => match vm.dict_get_str(*d, &Rc::from(name)) {
                    Some(Value::Obj(r)) => Some(r),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    match found {
        Some(r)
            if matches!(vm.heap.get(r), Obj::Native(_) | Obj::Class(_))
                || Value::Obj(r).is(vm.method_marker) =>
        {
            Ok(r)
        }
        _ => Err(unpickling_error(
            vm,
            &format!("cannot find built-in '{ns}.{name}' in this VM"),
        )),
    }
}

/// A host class by its registered name, importing its module if that is built in.
fn host_class(vm: &mut Vm, name: &str) -> Option<Ref> {
    let find = |vm: &Vm| vm.host_classes.iter().find(|h| h.0 == name).map(|h| h.1);
    if find(vm).is_none()
        && let Some((module, _)) = name.split_once('.')
        && NATIVE_MODULES.contains(&module)
    {
        let _ = vm.import(module);
    }
    find(vm)
}

const BINOPS: [BinOp; 13] = [
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
    BinOp::FloorDiv,
    BinOp::Mod,
    BinOp::Pow,
    BinOp::LShift,
    BinOp::RShift,
    BinOp::BitAnd,
    BinOp::BitOr,
    BinOp::BitXor,
    BinOp::MatMul,
];

fn binop_index(op: BinOp) -> u8 {
    BINOPS.iter().position(|o| *o == op).unwrap_or(0) as u8
}

fn binop_from(i: u8) -> Option<BinOp> {
    BINOPS.get(i as usize).copied()
}

type Kw = [(Rc<str>, Value)];

fn py_dumps(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = args.first().copied().unwrap_or(Value::None);
    let b = dumps(vm, v)?;
    Ok(vm.alloc(Obj::Bytes(b.into())))
}

fn py_loads(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = args.first().copied().unwrap_or(Value::None);
    let data = match v.as_ref().map(|r| vm.heap.get(r)) {
        Some(Obj::Bytes(b)) => b.clone(),
        _ => {
            let t = vm.type_name(v);
            return super::error::type_err(format!("a bytes-like object is required, not '{t}'"));
        }
    };
    loads(vm, &data)
}

/// Makes the `pickle` module: `dumps`, `loads` and the exception classes.
pub fn make_module(vm: &mut Vm) -> Value {
    let (m, d) = vm.new_module("pickle");
    for (n, f) in [
        ("dumps", py_dumps as NativeFn),
        ("loads", py_loads as NativeFn),
    ] {
        let v = vm.native_method(n, f);
        vm.dict_set_str(d, &Rc::from(n), v);
    }
    let exception = vm.exc_classes[ExcKind::Exception as usize];
    let base = new_class(vm, "PickleError", exception);
    vm.dict_set_str(d, &Rc::from("PickleError"), Value::Obj(base));
    for n in ["PicklingError", "UnpicklingError"] {
        let c = new_class(vm, n, base);
        vm.dict_set_str(d, &Rc::from(n), Value::Obj(c));
    }
    vm.dict_set_str(d, &Rc::from("HIGHEST_PROTOCOL"), Value::Int(5));
    vm.dict_set_str(d, &Rc::from("DEFAULT_PROTOCOL"), Value::Int(4));
    m
}

fn new_class(vm: &mut Vm, name: &str, base: Ref) -> Ref {
    vm.heap.alloc(Obj::Class(Box::new(Class {
        name: Rc::from(name),
        base: Some(base),
        dict: AttrMap::default(),
        builtin: None,
    })))
}
