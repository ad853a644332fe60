//! The run queue: a ring of tasklet references with a power-of-two capacity, so that the
//! operations every switch makes (pop the head, push at either end) are a mask and a
//! store, with growth out of line.
#![allow(unsafe_code)]

use std::rc::Rc;

use super::task::Task;

pub(crate) struct RunQueue {
    /// Empty or a power of two long; the `len` slots from `head` (wrapping) are `Some`.
    slots: Vec<Option<Rc<Task>>>,
    head: usize,
    len: usize,
}

impl RunQueue {
    pub(crate) const fn new() -> RunQueue {
        RunQueue {
            slots: Vec::new(),
            head: 0,
            len: 0,
        }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot `offset` places after the head.
    #[inline(always)]
    fn slot(&mut self, offset: usize) -> &mut Option<Rc<Task>> {
        debug_assert!(self.slots.len().is_power_of_two());
        let at = self.head.wrapping_add(offset) & (self.slots.len() - 1);
        // SAFETY: `slots` is not empty (callers check `len` against it first) and its
        // length is a power of two, so masking keeps `at` in bounds.
        unsafe { self.slots.get_unchecked_mut(at) }
    }

    #[inline(always)]
    pub(crate) fn push_back(&mut self, task: Rc<Task>) {
        if self.len == self.slots.len() {
            self.grow();
        }
        let len = self.len;
        *self.slot(len) = Some(task);
        self.len += 1;
    }

    #[inline(always)]
    pub(crate) fn push_front(&mut self, task: Rc<Task>) {
        if self.len == self.slots.len() {
            self.grow();
        }
        self.head = self.head.wrapping_sub(1) & (self.slots.len() - 1);
        *self.slot(0) = Some(task);
        self.len += 1;
    }

    #[inline(always)]
    pub(crate) fn pop_front(&mut self) -> Option<Rc<Task>> {
        if self.len == 0 {
            return None;
        }
        let task = self.slot(0).take();
        self.head = self.head.wrapping_add(1) & (self.slots.len() - 1);
        self.len -= 1;
        task
    }

    /// Takes `task` out, wherever it is. False if it is not queued.
    pub(crate) fn remove(&mut self, task: &Rc<Task>) -> bool {
        let Some(at) = (0..self.len).find(|&i| {
            self.slot(i)
                .as_ref()
                .is_some_and(|queued| Rc::ptr_eq(queued, task))
        }) else {
            return false;
        };
        // Close the gap by moving the ones behind it forward, keeping their order.
        for i in at..self.len - 1 {
            let next = self.slot(i + 1).take();
            *self.slot(i) = next;
        }
        self.len -= 1;
        true
    }

    pub(crate) fn clear(&mut self) {
        while self.pop_front().is_some() {}
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
        self.slots = slots;
        self.head = 0;
    }
}
