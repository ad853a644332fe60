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
pub struct Pinned {
    table: Rc<PinTable>,
    key: usize,
}

impl Pinned {
    pub fn new(table: &Rc<PinTable>, v: Value) -> Pinned {
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
        Pinned {
            table: table.clone(),
            key,
        }
    }

    pub fn get(&self) -> Value {
        self.table
            .inner
            .borrow()
            .slots
            .get(self.key)
            .copied()
            .unwrap_or(Value::None)
    }
}

impl Drop for Pinned {
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
        write!(f, "Pinned({})", self.key)
    }
}
