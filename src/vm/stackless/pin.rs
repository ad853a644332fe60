//! Values in transit on channels.
//!
//! A value sent on a channel leaves every frame: it sits in a waiter's message cell, on a
//! native tasklet's stack or in a script tasklet's cell, where the collector cannot see it.
//! So channels carry [`Pinned`] values: while one exists, its value is a root. Dropping it
//! releases the root, wherever that happens (a receiver took it, a channel was dropped).

use std::cell::RefCell;
use std::rc::Rc;

use super::super::value::Value;

/// The roots held by pinned values, shared by the VM and every [`Pinned`].
#[derive(Default)]
pub struct PinTable {
    inner: RefCell<Table>,
}

#[derive(Default)]
struct Table {
    slots: Vec<Value>,
    free: Vec<usize>,
}

impl PinTable {
    pub fn trace(&self, out: &mut Vec<Value>) {
        out.extend_from_slice(&self.inner.borrow().slots);
    }
}

/// A value of one VM kept alive while it travels outside the VM's frames.
pub struct Pinned(Pin);

enum Pin {
    /// A value the heap does not hold (an int, None...): there is nothing to keep alive, so
    /// the commonest messages travel without touching the table.
    Inline(Value),
    Rooted(Root),
}

/// A slot of the table, released when dropped. A type of its own, so that dropping an
/// inline `Pinned` is only a test of its tag.
struct Root {
    table: Rc<PinTable>,
    key: usize,
}

impl Pinned {
    #[inline]
    pub fn new(table: &Rc<PinTable>, v: Value) -> Pinned {
        if !matches!(v, Value::Obj(_)) {
            return Pinned(Pin::Inline(v));
        }
        Pinned::rooted(table, v)
    }

    fn rooted(table: &Rc<PinTable>, v: Value) -> Pinned {
        let mut t = table.inner.borrow_mut();
        let key = match t.free.pop() {
            Some(k) => {
                t.slots[k] = v;
                k
            }
            None => {
                t.slots.push(v);
                t.slots.len() - 1
            }
        };
        drop(t);
        Pinned(Pin::Rooted(Root {
            table: table.clone(),
            key,
        }))
    }

    #[inline]
    pub fn get(&self) -> Value {
        match &self.0 {
            Pin::Inline(v) => *v,
            Pin::Rooted(r) => r
                .table
                .inner
                .borrow()
                .slots
                .get(r.key)
                .copied()
                .unwrap_or(Value::None),
        }
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let mut t = self.table.inner.borrow_mut();
        if let Some(slot) = t.slots.get_mut(self.key) {
            *slot = Value::None;
            t.free.push(self.key);
        }
    }
}

impl std::fmt::Debug for Pinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Pin::Inline(v) => write!(f, "Pinned({v:?})"),
            Pin::Rooted(r) => write!(f, "Pinned({})", r.key),
        }
    }
}
