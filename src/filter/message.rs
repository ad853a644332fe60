//! The script-visible `Message` and `Part` host classes.
//!
//! A `Message` value wraps the transaction's [`mail::Message`] as `Rc<RefCell<..>>`: every
//! script object for it shares the same bytes, so an edit made by one stage is what the next
//! stage reads and what Rust spools afterwards. Reads are views over the current bytes
//! (headers RFC 2047-decoded by `mail`); an edit the message model refuses becomes a
//! ValueError carrying its reason, and leaves the message unchanged.

use std::cell::RefCell;
use std::rc::Rc;

use crate::mail;
use crate::vm::error::{PResult, type_err, value_err};
use crate::vm::interp::Vm;
use crate::vm::value::{Obj, Value};

use super::{class_ref, host_data, opt_str, py_repr, str_arg, str_list};

type Kw = [(Rc<str>, Value)];

/// The transaction's message as Rust and scripts share it.
pub type SharedMessage = Rc<RefCell<mail::Message>>;

const MESSAGE: &str = "filter.Message";
const PART: &str = "filter.Part";

/// Wraps raw message bytes for sharing with scripts.
pub fn shared_message(raw: Vec<u8>) -> SharedMessage {
    Rc::new(RefCell::new(mail::Message::new(raw)))
}

/// A script `Message` object over `msg` (the same bytes, not a copy).
pub fn message_value(vm: &mut Vm, msg: &SharedMessage) -> Value {
    let class = class_ref(vm, MESSAGE);
    vm.alloc(Obj::Host(class, msg.clone()))
}

pub(super) fn register_classes(vm: &mut Vm) {
    vm.host_class(
        MESSAGE,
        &[
            ("header", header),
            ("headers", headers),
            ("header_names", header_names),
            ("add_header", add_header),
            ("set_header", set_header),
            ("remove_header", remove_header),
            ("append_text", append_text),
            ("__repr__", repr),
        ],
        &[
            ("subject", subject),
            ("text", text),
            ("html", html),
            ("raw", raw),
            ("size", size),
            ("parts", parts),
            ("attachments", attachments),
        ],
    );
    vm.host_class(
        PART,
        &[("__repr__", part_repr)],
        &[
            ("content_type", part_content_type),
            ("filename", part_filename),
            ("size", part_size),
            ("data", part_data),
            ("is_attachment", part_is_attachment),
        ],
    );
}

fn this(vm: &Vm, args: &[Value]) -> PResult<SharedMessage> {
    args.first()
        .and_then(|v| host_data::<RefCell<mail::Message>>(vm, *v))
        .map_or_else(|| type_err("descriptor requires a 'Message' object"), Ok)
}

fn subject(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = this(vm, args)?.borrow().subject();
    Ok(vm.new_str(s))
}

fn text(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = this(vm, args)?.borrow().text();
    Ok(vm.new_str(s))
}

fn html(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let s = this(vm, args)?.borrow().html();
    Ok(vm.new_str(s))
}

fn raw(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let b: Rc<[u8]> = Rc::from(this(vm, args)?.borrow().raw());
    Ok(vm.alloc(Obj::Bytes(b)))
}

fn size(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Int(this(vm, args)?.borrow().size() as i64))
}

fn part_values(vm: &mut Vm, parts: Vec<mail::Part>) -> Value {
    let class = class_ref(vm, PART);
    let items: Vec<Value> = parts
        .into_iter()
        .map(|p| vm.alloc(Obj::Host(class, Rc::new(p))))
        .collect();
    vm.new_list(items)
}

fn parts(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = this(vm, args)?.borrow().parts();
    Ok(part_values(vm, p))
}

fn attachments(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = this(vm, args)?.borrow().attachments();
    Ok(part_values(vm, p))
}

fn header(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let m = this(vm, args)?;
    let name = str_arg(vm, "header", args, kw, 1, "name")?;
    let v = m.borrow().header(&name);
    Ok(opt_str(vm, v.as_deref()))
}

fn headers(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let m = this(vm, args)?;
    let name = str_arg(vm, "headers", args, kw, 1, "name")?;
    let v = m.borrow().headers(&name);
    Ok(str_list(vm, &v))
}

fn header_names(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let v = this(vm, args)?.borrow().header_names();
    Ok(str_list(vm, &v))
}

fn edit_result(r: Result<(), mail::EditError>) -> PResult<Value> {
    match r {
        Ok(()) => Ok(Value::None),
        Err(e) => value_err(e.to_string()),
    }
}

fn add_header(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let m = this(vm, args)?;
    let name = str_arg(vm, "add_header", args, kw, 1, "name")?;
    let value = str_arg(vm, "add_header", args, kw, 2, "value")?;
    edit_result(m.borrow_mut().add_header(&name, &value))
}

fn set_header(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let m = this(vm, args)?;
    let name = str_arg(vm, "set_header", args, kw, 1, "name")?;
    let value = str_arg(vm, "set_header", args, kw, 2, "value")?;
    edit_result(m.borrow_mut().set_header(&name, &value))
}

/// Returns how many fields were removed.
fn remove_header(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let m = this(vm, args)?;
    let name = str_arg(vm, "remove_header", args, kw, 1, "name")?;
    Ok(Value::Int(m.borrow_mut().remove_header(&name) as i64))
}

fn append_text(vm: &mut Vm, args: &[Value], kw: &Kw) -> PResult<Value> {
    let m = this(vm, args)?;
    let footer = str_arg(vm, "append_text", args, kw, 1, "text")?;
    edit_result(m.borrow_mut().append_text(&footer))
}

fn repr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let m = this(vm, args)?;
    let (size, subject) = {
        let m = m.borrow();
        (m.size(), m.subject())
    };
    let r = format!("<Message {size} bytes, subject={}>", py_repr(vm, &subject));
    Ok(vm.new_str(r))
}

fn part(vm: &Vm, args: &[Value]) -> PResult<Rc<mail::Part>> {
    args.first()
        .and_then(|v| host_data::<mail::Part>(vm, *v))
        .map_or_else(|| type_err("descriptor requires a 'Part' object"), Ok)
}

fn part_content_type(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = part(vm, args)?;
    Ok(vm.new_str(p.content_type.as_str()))
}

fn part_filename(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = part(vm, args)?;
    Ok(opt_str(vm, p.filename.as_deref()))
}

fn part_size(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Int(part(vm, args)?.size() as i64))
}

fn part_data(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = part(vm, args)?;
    Ok(vm.alloc(Obj::Bytes(Rc::from(p.data.as_slice()))))
}

fn part_is_attachment(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    Ok(Value::Bool(part(vm, args)?.is_attachment))
}

fn part_repr(vm: &mut Vm, args: &[Value], _kw: &Kw) -> PResult<Value> {
    let p = part(vm, args)?;
    let filename = match p.filename.as_deref() {
        Some(f) => format!(", filename={}", py_repr(vm, f)),
        None => String::new(),
    };
    let r = format!("<Part {} {} bytes{filename}>", p.content_type, p.size());
    Ok(vm.new_str(r))
}
