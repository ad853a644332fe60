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
    slots: RefCell<Vec<Value>>,
    free: RefCell<Vec<usize>>,
}

impl PinTable {
    pub fn trace(&self, out: &mut Vec<Value>) {
        out.extend_from_slice(&self.slots.borrow());
    }
}

/// A value of one VM kept alive while it travels outside the VM's frames.
pub struct Pinned {
    table: Rc<PinTable>,
    key: usize,
}

impl Pinned {
    pub fn new(table: &Rc<PinTable>, v: Value) -> Pinned {
        let key = match table.free.borrow_mut().pop() {
            Some(k) => {
                table.slots.borrow_mut()[k] = v;
                k
            }
            None => {
                let mut slots = table.slots.borrow_mut();
                slots.push(v);
                slots.len() - 1
            }
        };
        Pinned {
            table: table.clone(),
            key,
        }
    }

    pub fn get(&self) -> Value {
        self.table
            .slots
            .borrow()
            .get(self.key)
            .copied()
            .unwrap_or(Value::None)
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        if let Some(slot) = self.table.slots.borrow_mut().get_mut(self.key) {
            *slot = Value::None;
            self.table.free.borrow_mut().push(self.key);
        }
    }
}

impl std::fmt::Debug for Pinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pinned({})", self.key)
    }
}
