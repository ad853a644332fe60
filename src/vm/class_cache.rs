//! A direct-mapped cache of class-chain lookups (`class_lookup`), so that an attribute
//! access or a call to a method does not hash its name once per class on the way to
//! `object`. Entries carry the epoch they were made in; the epoch moves on whenever a
//! class's namespace may have changed (an attribute set on a class, an object replaced by
//! the unpickler) and after every collection (a freed class's slot may be reused by a new
//! class), which empties the cache at once.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::value::{Ref, Value};

const SIZE: usize = 512;

#[derive(Clone)]
struct Entry {
    epoch: u64,
    class: Ref,
    name: Rc<str>,
    found: Option<Value>,
}

pub struct ClassCache {
    entries: RefCell<Vec<Entry>>,
    epoch: Cell<u64>,
}

impl Default for ClassCache {
    fn default() -> Self {
        ClassCache {
            entries: RefCell::new(Vec::new()),
            epoch: Cell::new(1),
        }
    }
}

/// Callers mostly pass the same name string (the code object's) for the same site, so its
/// address is a good and cheap hash; a different address with the same text just misses.
fn slot(class: Ref, name: &str) -> usize {
    let h = (class.0 as usize).wrapping_mul(0x9E37_79B9) ^ ((name.as_ptr() as usize) >> 3);
    (h ^ (h >> 11) ^ name.len()) % SIZE
}

impl ClassCache {
    /// `Some(found)` when the lookup of `name` on `class` is cached.
    pub fn get(&self, class: Ref, name: &str) -> Option<Option<Value>> {
        let entries = self.entries.borrow();
        let e = entries.get(slot(class, name))?;
        (e.epoch == self.epoch.get() && e.class == class && *e.name == *name).then_some(e.found)
    }

    pub fn put(&self, class: Ref, name: &str, found: Option<Value>) {
        let mut entries = self.entries.borrow_mut();
        if entries.is_empty() {
            entries.resize(
                SIZE,
                Entry {
                    epoch: 0,
                    class: Ref(0),
                    name: Rc::from(""),
                    found: None,
                },
            );
        }
        let e = &mut entries[slot(class, name)];
        if *e.name != *name {
            e.name = Rc::from(name);
        }
        e.epoch = self.epoch.get();
        e.class = class;
        e.found = found;
    }

    /// The current epoch: entries made in an earlier one are stale.
    pub fn epoch(&self) -> u64 {
        self.epoch.get()
    }

    /// Forgets every entry: some class namespace may have changed.
    pub fn invalidate(&self) {
        self.epoch.set(self.epoch.get() + 1);
    }
}
