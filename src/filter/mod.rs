//! Filter pipelines: what scripts see of an SMTP transaction and what they decide about it.
//!
//! - [`event`]: the `Event` a stage receives per SMTP phase, its [`Verdict`] and envelope
//!   edits, shared with Rust as `Rc<RefCell<EventState>>`.
//! - [`message`]: the `Message` host class over [`crate::mail::Message`].
//! - [`log`]: the `log` module scripts import to write to the daemon's log.
//! - [`check`]: compiles configured filter scripts and checks they define `run(inbox, outbox)`.
//! - [`offline`]: `stackmail filter test`, a transaction played through a pipeline without a
//!   server.
//! - [`fixture`]: the fixture case format (`fixtures/README.md`) the test runners share.
//!
//! [`install`] prepares a VM for filter scripts: it registers `log` and the host classes. The
//! stage tasklets, channels and the pipeline runner live elsewhere; what they need from here is
//! [`event::event_value`] to hand an event to a script and [`EventState`] to read back what the
//! script decided.

pub mod check;
pub mod event;
pub mod fixture;
pub mod log;
pub mod message;
pub mod offline;
pub mod pipeline;
mod smtp_policy;

#[cfg(test)]
mod tests;

use std::rc::Rc;

use crate::vm::interp::Vm;
use crate::vm::value::{Obj, Ref, Value};

pub use check::{CheckError, check_filters, check_script, check_source};
pub use event::{Client, EnvelopeEdit, EventState, Phase, Verdict, event_value};
pub use message::{SharedMessage, message_value, shared_message};
pub use pipeline::{LoadError, Pipeline};
pub use smtp_policy::policy_factory;

/// Prepares a VM to run filter scripts: `import log` works and the `Event`, `Message` and
/// `Part` classes exist. Call once per VM, before starting the script modules.
pub fn install(vm: &mut Vm) {
    vm.register_module("log", log::build_module);
    message::register_classes(vm);
    event::register_classes(vm);
}

/// The class registered under `name`; `install` must have run.
fn class_ref(vm: &mut Vm, name: &'static str) -> Ref {
    if let Some((_, r)) = vm.host_classes.iter().find(|(n, _)| *n == name) {
        return *r;
    }
    install(vm);
    vm.host_classes
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, r)| *r)
        .unwrap_or(vm.types[0])
}

/// The Rust data of a host object, when it is a `T`.
fn host_data<T: 'static>(vm: &Vm, v: Value) -> Option<Rc<T>> {
    match v.as_ref().map(|r| vm.heap.get(r)) {
        Some(Obj::Host(_, d)) => d.clone().downcast::<T>().ok(),
        _ => None,
    }
}

/// Positional argument `i`, or the keyword `name`.
fn arg_or_kw(args: &[Value], kw: &[(Rc<str>, Value)], i: usize, name: &str) -> Option<Value> {
    args.get(i)
        .copied()
        .or_else(|| kw.iter().find(|(k, _)| &**k == name).map(|(_, v)| *v))
}

fn opt_str(vm: &mut Vm, s: Option<&str>) -> Value {
    match s {
        Some(s) => vm.new_str(s),
        None => Value::None,
    }
}

fn str_list(vm: &mut Vm, items: &[String]) -> Value {
    let items: Vec<Value> = items.iter().map(|s| vm.new_str(s.as_str())).collect();
    vm.new_list(items)
}

/// Argument `i` (or keyword `name`) of `method` as a string; a TypeError otherwise.
fn str_arg(
    vm: &mut Vm,
    method: &str,
    args: &[Value],
    kw: &[(Rc<str>, Value)],
    i: usize,
    name: &str,
) -> crate::vm::error::PResult<Rc<str>> {
    let v = arg_or_kw(args, kw, i, name);
    match v.and_then(|v| vm.str_val(v)) {
        Some(s) => Ok(s),
        None => {
            let t = v.map_or_else(|| Rc::from("nothing"), |v| vm.type_name(v));
            crate::vm::error::type_err(format!("{method}() argument '{name}' must be str, not {t}"))
        }
    }
}

/// `repr(s)` as Python writes it.
fn py_repr(vm: &mut Vm, s: &str) -> String {
    let v = vm.new_str(s);
    vm.repr(v).unwrap_or_default()
}
