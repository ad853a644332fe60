//! The run queue: a ring of tasklet references with a power-of-two capacity, so that the
//! operations every switch makes (pop the head, push at either end) are a mask and a
//! store, with growth out of line.
//!
//! It is a cell of its own rather than a `RefCell`: every switch goes through it, and no
//! operation can re-enter it. Each method is the only place its `&mut` exists, and none
//! runs foreign code meanwhile: tasklet references are moved in and out, never dropped
//! inside, since dropping the last one could run a tasklet's destructors.
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::rc::Rc;

use super::task::Task;

pub(crate) struct RunQueue {
    ring: UnsafeCell<Ring>,
}

struct Ring {
    /// Empty or a power of two long; the `len` slots from `head` (wrapping) are `Some`,
    /// the others `None`.
    slots: Vec<Option<Rc<Task>>>,
    head: usize,
    len: usize,
}

impl RunQueue {
    pub(crate) const fn new() -> RunQueue {
        RunQueue {
            ring: UnsafeCell::new(Ring {
                slots: Vec::new(),
                head: 0,
                len: 0,
            }),
        }
    }

    /// Runs `f` on the ring.
    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut Ring) -> R) -> R {
        // SAFETY: `RunQueue` is not `Sync`, and the `f`s passed here by this module's
        // methods neither call back into the queue nor run foreign code (see the module
        // doc), so this is the only reference to the ring while it lives.
        f(unsafe { &mut *self.ring.get() })
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.with(|r| r.len)
    }

    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline(always)]
    pub(crate) fn push_back(&self, task: Rc<Task>) {
        self.with(|r| {
            if r.len == r.slots.len() {
                r.grow();
            }
            let len = r.len;
            r.fill(len, task);
            r.len += 1;
        })
    }

    #[inline(always)]
    pub(crate) fn push_front(&self, task: Rc<Task>) {
        self.with(|r| {
            if r.len == r.slots.len() {
                r.grow();
            }
            r.head = r.head.wrapping_sub(1) & (r.slots.len() - 1);
            r.fill(0, task);
            r.len += 1;
        })
    }

    #[inline(always)]
    pub(crate) fn pop_front(&self) -> Option<Rc<Task>> {
        self.with(|r| {
            if r.len == 0 {
                return None;
            }
            let task = r.slot(0).take();
            r.head = r.head.wrapping_add(1) & (r.slots.len() - 1);
            r.len -= 1;
            task
        })
    }

    /// The script key of the tasklet at the head, if that is a runnable script tasklet.
    #[inline(always)]
    pub(crate) fn front_script_key(&self) -> Option<u64> {
        self.with(|r| {
            if r.len == 0 {
                return None;
            }
            let task = r.slot(0).as_ref()?;
            // Not an entry a kill left behind, which the scheduler's loop would skip.
            (task.is_script && task.state.get() == super::task::State::Runnable)
                .then(|| task.script_key.get())
        })
    }

    /// Takes `task` out, wherever it is, and hands back the queue's reference to it.
    pub(crate) fn remove(&self, task: &Rc<Task>) -> Option<Rc<Task>> {
        self.with(|r| {
            let at = (0..r.len).find(|&i| {
                r.slot(i)
                    .as_ref()
                    .is_some_and(|queued| Rc::ptr_eq(queued, task))
            })?;
            let removed = r.slot(at).take();
            // Close the gap by moving the ones behind it forward, keeping their order.
            for i in at..r.len - 1 {
                let next = r.slot(i + 1).take();
                *r.slot(i) = next;
            }
            r.len -= 1;
            removed
        })
    }
}

impl Ring {
    /// The slot `offset` places after the head.
    #[inline(always)]
    fn slot(&mut self, offset: usize) -> &mut Option<Rc<Task>> {
        debug_assert!(self.slots.len().is_power_of_two());
        let at = self.head.wrapping_add(offset) & (self.slots.len() - 1);
        // SAFETY: `slots` is not empty (callers check `len` against it first) and its
        // length is a power of two, so masking keeps `at` in bounds.
        unsafe { self.slots.get_unchecked_mut(at) }
    }

    /// Puts `task` in a free slot.
    #[inline(always)]
    fn fill(&mut self, offset: usize, task: Rc<Task>) {
        // A free slot holds None: nothing to drop.
        std::mem::forget(self.slot(offset).replace(task));
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let old = self.slots.len();
        let new = (old * 2).max(8);
        let mut slots: Vec<Option<Rc<Task>>> = Vec::with_capacity(new);
        for i in 0..self.len {
            slots.push(self.slot(i).take());
        }
        slots.resize(new, None);
        // Every slot of the old ring is None now: dropping it drops no tasklet.
        self.slots = slots;
        self.head = 0;
    }
}
