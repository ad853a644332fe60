//! `open(path, mode)`: whole-file reads and writes for scripts run with `stackmail run`
//! (saving a pickled tasklet, reading test data). Text is UTF-8; no seeking, no buffering
//! subtleties: what is written goes to the file when it is closed (or the `with` ends).

use std::cell::RefCell;
use std::rc::Rc;

use super::error::{ExcKind, PResult, err, type_err, value_err};
use super::interp::Vm;
use super::value::*;

type Kw = [(Rc<str>, Value)];

struct File {
    path: String,
    binary: bool,
    /// Write mode: what to write on close; read mode: `None`.
    pending: RefCell<Option<Vec<u8>>>,
    append: bool,
    closed: std::cell::Cell<bool>,
}

use super::builtins::arg;

fn class(vm: &mut Vm) -> Ref {
    if let Some((_, c)) = vm
        .host_classes
        .iter()
        .find(|(n, _)| *n == "_io.TextIOWrapper")
    {
        return *c;
    }
    vm.host_class(
        "_io.TextIOWrapper",
        &[
            ("read", f_read),
            ("write", f_write),
            ("close", f_close),
            ("__enter__", f_enter),
            ("__exit__", f_exit),
        ],
        &[],
    )
}

fn os_error(path: &str, e: std::io::Error) -> PResult<Value> {
    let kind = if e.kind() == std::io::ErrorKind::NotFound {
        "No such file or directory"
    } else {
        "I/O error"
    };
    err(ExcKind::OSError, format!("[Errno] {kind}: '{path}' ({e})"))
}

pub(super) fn bi_open(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let Some(path) = vm.str_val(arg(args, 0)) else {
        return type_err("open() needs a path string");
    };
    let mode = kw
        .iter()
        .find(|k| &*k.0 == "mode")
        .map(|k| k.1)
        .unwrap_or_else(|| arg(args, 1));
    let mode = match mode {
        Value::None => Rc::from("r"),
        m => vm.str_val(m).ok_or_else(|| {
            super::error::Exc::New(ExcKind::TypeError, "mode must be a str".into())
        })?,
    };
    let binary = mode.contains('b');
    let (write, append) = match mode.replace('b', "").as_str() {
        "r" => (false, false),
        "w" => (true, false),
        "a" => (true, true),
        _ => return value_err(format!("invalid mode: '{mode}'")),
    };
    if !write && let Err(e) = std::fs::metadata(&*path) {
        return os_error(&path, e);
    }
    let f = File {
        path: path.to_string(),
        binary,
        pending: RefCell::new(write.then(Vec::new)),
        append,
        closed: std::cell::Cell::new(false),
    };
    let c = class(vm);
    Ok(vm.alloc(Obj::Host(c, Rc::new(f))))
}

fn this(vm: &Vm, v: Value) -> PResult<Rc<File>> {
    match v.as_ref().map(|r| vm.heap.get(r)) {
        Some(Obj::Host(_, d)) => d
            .clone()
            .downcast::<File>()
            .map_err(|_| super::error::Exc::New(ExcKind::TypeError, "not a file".into())),
        _ => type_err("not a file"),
    }
}

fn f_read(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let f = this(vm, arg(args, 0))?;
    if f.closed.get() || f.pending.borrow().is_some() {
        return value_err("file not open for reading");
    }
    let data = match std::fs::read(&f.path) {
        Ok(d) => d,
        Err(e) => return os_error(&f.path, e),
    };
    if f.binary {
        Ok(vm.alloc(Obj::Bytes(data.into())))
    } else {
        match String::from_utf8(data) {
            Ok(s) => Ok(vm.new_str(s)),
            Err(_) => err(
                ExcKind::UnicodeDecodeError,
                "'utf-8' codec can't decode the file",
            ),
        }
    }
}

fn f_write(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let f = this(vm, arg(args, 0))?;
    let v = arg(args, 1);
    let bytes: Vec<u8> = match (f.binary, v.as_ref().map(|r| vm.heap.get(r))) {
        (true, Some(Obj::Bytes(b))) => b.to_vec(),
        (false, Some(Obj::Str(s))) => s.as_bytes().to_vec(),
        (true, _) => return type_err("a bytes-like object is required"),
        (false, _) => return type_err("write() argument must be str"),
    };
    let n = if f.binary {
        bytes.len()
    } else {
        String::from_utf8_lossy(&bytes).chars().count()
    };
    match f.pending.borrow_mut().as_mut() {
        Some(p) if !f.closed.get() => p.extend_from_slice(&bytes),
        _ => return value_err("file not open for writing"),
    }
    Ok(Value::Int(n as i64))
}

fn f_close(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    let f = this(vm, arg(args, 0))?;
    if f.closed.replace(true) {
        return Ok(Value::None);
    }
    if let Some(data) = f.pending.borrow_mut().take() {
        let r = if f.append {
            use std::io::Write;
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&f.path)
                .and_then(|mut h| h.write_all(&data))
        } else {
            std::fs::write(&f.path, &data)
        };
        if let Err(e) = r {
            return os_error(&f.path, e);
        }
    }
    Ok(Value::None)
}

fn f_enter(_: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    Ok(arg(args, 0))
}

fn f_exit(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    f_close(vm, &args[..1.min(args.len())], &[])?;
    Ok(Value::Bool(false))
}
