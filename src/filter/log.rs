//! The `log` module of filter scripts: `log.debug/info/warning/error(msg, **fields)` write
//! through `tracing` (target `stackmail::filter::script`), with the script's file name as the
//! field `script` and the keyword arguments rendered as `key=value` pairs in the field
//! `fields` (tracing needs field names at compile time, scripts choose theirs at run time).

use std::fmt::Write;
use std::rc::Rc;

use crate::vm::error::PResult;
use crate::vm::interp::Vm;
use crate::vm::value::{Ref, Value};

type Kw = [(Rc<str>, Value)];

#[derive(Clone, Copy)]
enum Level {
    Debug,
    Info,
    Warning,
    Error,
}

/// Fills the `log` module's dict; registered by [`super::install`].
pub fn build_module(vm: &mut Vm, d: Ref) {
    for (name, f) in [
        ("debug", debug as crate::vm::value::NativeFn),
        ("info", info),
        ("warning", warning),
        ("error", error),
    ] {
        let v = vm.native_method(name, f);
        vm.dict_set_str(d, &Rc::from(name), v);
    }
}

fn debug(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    write(vm, Level::Debug, args, kw)
}

fn info(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    write(vm, Level::Info, args, kw)
}

fn warning(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    write(vm, Level::Warning, args, kw)
}

fn error(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    write(vm, Level::Error, args, kw)
}

fn write(vm: &mut Vm, level: Level, args: &[Value], kw: &Kw) -> PResult<Value> {
    // Positional arguments are joined with spaces, as print() would.
    let mut msg = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            msg.push(' ');
        }
        msg.push_str(&vm.to_str(*a)?);
    }
    let msg = one_line(&msg);
    let mut fields = String::new();
    for (k, v) in kw {
        let v = match vm.str_val(*v) {
            Some(s) => crate::filter::py_repr(vm, &s),
            None => vm.repr(*v)?,
        };
        if !fields.is_empty() {
            fields.push(' ');
        }
        let _ = write!(fields, "{k}={v}");
    }
    // A native runs with its caller's frame on top: that frame's file is the script.
    let script = vm
        .frames
        .last()
        .map(|f| f.code.filename.clone())
        .unwrap_or_else(|| Rc::from("?"));
    let script = &*script;
    match level {
        Level::Debug => {
            tracing::debug!(target: "stackmail::filter::script", script, fields, "{msg}")
        }
        Level::Info => tracing::info!(target: "stackmail::filter::script", script, fields, "{msg}"),
        Level::Warning => {
            tracing::warn!(target: "stackmail::filter::script", script, fields, "{msg}")
        }
        Level::Error => {
            tracing::error!(target: "stackmail::filter::script", script, fields, "{msg}")
        }
    }
    Ok(Value::None)
}

/// `text` with line breaks and other control characters escaped, as the fields are: a script
/// may log a header a client wrote, which must not forge log lines.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_logged_message_stays_on_one_line() {
        assert_eq!(
            super::one_line("Subject: hi\r\nX-Forged: yes\tend é"),
            "Subject: hi\\r\\nX-Forged: yes\\tend é"
        );
    }
}
