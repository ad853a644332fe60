//! `open(path, mode)`: whole-file reads and writes for scripts (saving a pickled tasklet,
//! reading test data or a list a filter uses). Text is UTF-8; no seeking, no buffering
//! subtleties: what is written goes to the file when it is closed (or the `with` ends).
//! In the daemon the file system calls run on a helper thread while the calling tasklet
//! waits (`Vm::run_off_thread`), so a slow disk does not stop the SMTP sessions.

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
    let f = File {
        path: path.to_string(),
        binary,
        pending: RefCell::new(write.then(Vec::new)),
        append,
        closed: std::cell::Cell::new(false),
    };
    let opened = move |vm: &mut Vm| {
        let c = class(vm);
        Ok(vm.alloc(Obj::Host(c, Rc::new(f))))
    };
    if write {
        return opened(vm);
    }
    // As CPython's, a read-mode open fails at once when the file is not there.
    let p = path.to_string();
    vm.run_off_thread(
        move || std::fs::metadata(&p).map(|_| ()),
        move |vm, found| match found {
            Ok(()) => opened(vm),
            Err(e) => os_error(&path, e),
        },
    )
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
    let path = f.path.clone();
    vm.run_off_thread(
        move || std::fs::read(&path),
        move |vm, read| {
            let data = match read {
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
        },
    )
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
    let Some(data) = f.pending.borrow_mut().take() else {
        return Ok(Value::None);
    };
    let (path, append) = (f.path.clone(), f.append);
    vm.run_off_thread(
        move || {
            if append {
                use std::io::Write;
                std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&path)
                    .and_then(|mut h| h.write_all(&data))
            } else {
                std::fs::write(&path, &data)
            }
        },
        move |_, written| match written {
            Ok(()) => Ok(Value::None),
            Err(e) => os_error(&f.path, e),
        },
    )
}

fn f_enter(_: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    Ok(arg(args, 0))
}

fn f_exit(vm: &mut Vm, args: &[Value], _: &Kw) -> PResult<Value> {
    f_close(vm, &args[..1.min(args.len())], &[])?;
    Ok(Value::Bool(false))
}
