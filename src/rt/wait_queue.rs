//! A channel's wait queue: an intrusive list of entries that live where their tasklets wait.
//!
//! A native tasklet's entry is a local of the `send` or `receive` frame that parks it, so
//! queuing allocates nothing and a peer moves the message straight between the two stacks.
//! A script tasklet has no stack to park on: its entry is boxed and owned by the queue.
//!
//! The contract that makes the raw links sound: an entry is valid for as long as it is
//! linked. A native entry's frame stays parked until a peer unlinks the entry (`pop_live`,
//! `pop_any`), and the frame's guard unlinks it (`unlink_own`) if the frame ends first,
//! which happens when the waiter is killed and unwound; a boxed entry is freed only by
//! whoever unlinks it. No user code (a destructor of a message or a tasklet) runs while an
//! entry is half linked.
#![allow(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::ptr;
use std::rc::Rc;

use super::channel::Message;
use super::task::Task;

pub(crate) struct Entry<T, X> {
    prev: *mut Entry<T, X>,
    next: *mut Entry<T, X>,
    /// The waiting tasklet, taken by whoever unlinks the entry: None tells an unwinding
    /// waiter that a peer has already served it and it is no longer queued.
    task: Option<Rc<Task>>,
    /// The tasklet's park sequence when it queued; a script woken since is stale.
    seq: u32,
    slot: Slot<T, X>,
}

enum Slot<T, X> {
    /// A native tasklet's message cell, inside the entry on its stack.
    Inline(Message<T, X>),
    /// A script tasklet's cell, shared with its `ScriptCell`; only boxed entries have one.
    Shared(Rc<RefCell<Message<T, X>>>),
}

impl<T, X> Entry<T, X> {
    /// An entry for the current native tasklet, to be linked from its own frame.
    #[inline(always)]
    pub(crate) fn native(task: Rc<Task>, message: Message<T, X>) -> Entry<T, X> {
        Entry {
            prev: ptr::null_mut(),
            next: ptr::null_mut(),
            seq: task.seq.get(),
            task: Some(task),
            slot: Slot::Inline(message),
        }
    }

    /// After the tasklet that owns this entry was woken by a peer: its message cell.
    #[inline(always)]
    pub(crate) fn take_message(&mut self) -> Message<T, X> {
        match &mut self.slot {
            Slot::Inline(message) => std::mem::replace(message, Message::Empty),
            Slot::Shared(_) => Message::Empty,
        }
    }

    /// Still linked: no peer has taken it off the queue.
    #[inline(always)]
    pub(crate) fn is_queued(&self) -> bool {
        self.task.is_some()
    }

    /// Ends an entry that a peer served (its message taken or delivered and taken): nothing
    /// is left in it to drop.
    #[inline(always)]
    pub(crate) fn forget_served(self) {
        debug_assert!(self.task.is_none());
        debug_assert!(matches!(self.slot, Slot::Inline(Message::Empty)));
        std::mem::forget(self);
    }
}

/// A waiter just taken off the queue, not yet served. It must be served (`put` or `take`)
/// before anything else runs: its entry may be on the waiter's stack.
pub(crate) struct Peer<T, X> {
    entry: *mut Entry<T, X>,
    task: Rc<Task>,
    seq: u32,
}

impl<T, X> Peer<T, X> {
    /// Hands `message` to the waiter; returns the tasklet to wake and its park sequence.
    #[inline(always)]
    pub(crate) fn put(self, message: Message<T, X>) -> (Rc<Task>, u32) {
        self.put_keeping(message, None)
    }

    /// As `put`; a boxed entry is kept in `spare` (a script caller's) rather than freed.
    #[inline(always)]
    pub(crate) fn put_keeping(
        self,
        message: Message<T, X>,
        spare: Option<&SpareEntry<T, X>>,
    ) -> (Rc<Task>, u32) {
        let Peer { entry, task, seq } = self;
        // SAFETY: the entry was linked until just now, so it is valid (module contract);
        // its waiter cannot run before it is woken with what this returns.
        match unsafe { &mut (*entry).slot } {
            Slot::Inline(cell) => *cell = message,
            Slot::Shared(cell) => {
                *cell.borrow_mut() = message;
                // SAFETY: shared slots are only in boxed entries, which the queue owned and
                // handed over when it unlinked this one; `cell` is not used after this.
                recycle(unsafe { Box::from_raw(entry) }, spare);
            }
        }
        (task, seq)
    }

    /// Takes the waiter's message; returns it with the tasklet to wake and its sequence.
    #[inline(always)]
    pub(crate) fn take(self) -> (Message<T, X>, Rc<Task>, u32) {
        let Peer { entry, task, seq } = self;
        // SAFETY: as in `put`.
        let message = match unsafe { &mut (*entry).slot } {
            Slot::Inline(cell) => std::mem::replace(cell, Message::Empty),
            Slot::Shared(cell) => {
                let message = std::mem::replace(&mut *cell.borrow_mut(), Message::Empty);
                // SAFETY: as in `put`.
                recycle(unsafe { Box::from_raw(entry) }, None);
                message
            }
        };
        (message, task, seq)
    }

    /// As `take`, for a caller that only reads the value where it lies: `read` is given
    /// the value, and the message is then dropped in its cell. Anything but a value is
    /// taken out whole (`Err`). A boxed entry is kept in `spare` (a script caller's) rather
    /// than freed. Moving the message out copies it through the stack in
    /// pieces the store buffer cannot forward; a script's receive needs only a read.
    #[inline(always)]
    pub(crate) fn read_keeping<V>(
        self,
        spare: Option<&SpareEntry<T, X>>,
        read: impl FnOnce(&T) -> V,
    ) -> (Result<V, Message<T, X>>, Rc<Task>, u32) {
        let Peer { entry, task, seq } = self;
        // SAFETY: as in `put`.
        let got = match unsafe { &mut (*entry).slot } {
            Slot::Inline(cell) => read_message(cell, read),
            Slot::Shared(cell) => {
                let got = read_message(&mut cell.borrow_mut(), read);
                // SAFETY: as in `put`.
                recycle(unsafe { Box::from_raw(entry) }, spare);
                got
            }
        };
        (got, task, seq)
    }
}

/// `read` of the value in `cell`, which is left empty; anything else is taken out.
#[inline(always)]
fn read_message<T, X, V>(
    cell: &mut Message<T, X>,
    read: impl FnOnce(&T) -> V,
) -> Result<V, Message<T, X>> {
    match cell {
        Message::Value(t) => {
            let v = read(t);
            // Taken out and dropped as the value it is: an assignment would call the
            // message's whole destructor.
            if let Message::Value(t) = std::mem::replace(cell, Message::Empty) {
                drop(t);
            }
            Ok(v)
        }
        _ => Err(std::mem::replace(cell, Message::Empty)),
    }
}

/// A script's unused boxed entry, for its next `push_script`: a script that serves a parked
/// script and then parks itself (steady ping-pong) reuses the box, so it allocates nothing.
pub(crate) type SpareEntry<T, X> = Cell<Option<Box<Entry<T, X>>>>;

/// Frees an unlinked, served boxed entry, or keeps it in `spare`. Its slot lets go of the
/// waiter's cell either way, so a spare holds no message alive.
#[inline(always)]
fn recycle<T, X>(mut entry: Box<Entry<T, X>>, spare: Option<&SpareEntry<T, X>>) {
    match spare {
        Some(spare) => {
            entry.slot = Slot::Inline(Message::Empty);
            // A spare left there is dropped out of line: there is none as a rule (the
            // owner's last park took it), and the test is cheaper than the call.
            if let Some(old) = spare.replace(Some(entry)) {
                drop_entry(old);
            }
        }
        None => drop(entry),
    }
}

#[cold]
fn drop_entry<T, X>(entry: Box<Entry<T, X>>) {
    drop(entry);
}

pub(crate) struct WaitQueue<T, X> {
    head: *mut Entry<T, X>,
    tail: *mut Entry<T, X>,
    len: usize,
}

impl<T, X> WaitQueue<T, X> {
    pub(crate) const fn new() -> WaitQueue<T, X> {
        WaitQueue {
            head: ptr::null_mut(),
            tail: ptr::null_mut(),
            len: 0,
        }
    }

    /// Entries queued, stale ones included (as Stackless counts them in `balance`).
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Links the current native tasklet's entry, which lives in the caller's frame.
    ///
    /// # Safety
    /// `entry` must stay where it is, untouched, until it is unlinked: the caller parks
    /// right after (releasing the queue first) and calls `unlink_own` before the entry goes
    /// out of scope, in case no peer has unlinked it (the caller was unwound instead).
    #[inline(always)]
    pub(crate) unsafe fn push_native(&mut self, entry: *mut Entry<T, X>) {
        // SAFETY: forwarded from the caller; `entry` is valid now.
        unsafe { self.link_back(entry) }
    }

    /// Queues a script tasklet, whose entry the queue owns from now on: in the box `spare`
    /// holds, if any.
    // Inlined: a script that parks queues itself on every such operation.
    #[inline]
    pub(crate) fn push_script(
        &mut self,
        task: Rc<Task>,
        cell: Rc<RefCell<Message<T, X>>>,
        spare: &SpareEntry<T, X>,
    ) {
        let entry = match spare.take() {
            // Field by field (`link_back` sets the links): a whole new entry would be built
            // on the stack and copied into the box in pieces the store buffer cannot forward.
            Some(mut entry) => {
                // `recycle` left nothing in it to drop: no tasklet, an empty inline slot.
                debug_assert!(entry.task.is_none());
                entry.seq = task.seq.get();
                std::mem::forget(entry.task.replace(task));
                std::mem::forget(std::mem::replace(&mut entry.slot, Slot::Shared(cell)));
                entry
            }
            None => Box::new(Entry {
                prev: ptr::null_mut(),
                next: ptr::null_mut(),
                seq: task.seq.get(),
                task: Some(task),
                slot: Slot::Shared(cell),
            }),
        };
        // SAFETY: a fresh box, owned by the queue until it is unlinked.
        unsafe { self.link_back(Box::into_raw(entry)) }
    }

    /// # Safety
    /// `entry` is valid and not linked.
    #[inline(always)]
    unsafe fn link_back(&mut self, entry: *mut Entry<T, X>) {
        // SAFETY: `entry` is valid (caller) and so is the tail, if any (module contract).
        unsafe {
            (*entry).prev = self.tail;
            (*entry).next = ptr::null_mut();
            if self.tail.is_null() {
                self.head = entry;
            } else {
                (*self.tail).next = entry;
            }
        }
        self.tail = entry;
        self.len += 1;
    }

    /// # Safety
    /// `entry` is linked in this queue.
    #[inline(always)]
    unsafe fn unlink(&mut self, entry: *mut Entry<T, X>) {
        // SAFETY: `entry` and its neighbours are linked, hence valid (module contract).
        unsafe {
            let (prev, next) = ((*entry).prev, (*entry).next);
            if prev.is_null() {
                self.head = next;
            } else {
                (*prev).next = next;
            }
            if next.is_null() {
                self.tail = prev;
            } else {
                (*next).prev = prev;
            }
        }
        self.len -= 1;
    }

    /// Takes the first entry off the queue, stale or not.
    #[inline(always)]
    pub(crate) fn pop_any(&mut self) -> Option<Peer<T, X>> {
        let entry = self.head;
        if entry.is_null() {
            return None;
        }
        // SAFETY: the head is linked, so valid, and a linked entry has its tasklet.
        unsafe {
            self.unlink(entry);
            let task = (*entry).task.take()?;
            let seq = (*entry).seq;
            Some(Peer { entry, task, seq })
        }
    }

    /// Takes the first waiter that can still be served off the queue. Stale entries in
    /// front of it (scripts killed while they waited, which have no guard to withdraw
    /// them) are dropped, as PyPy drops killed tasklets when it meets them.
    #[inline(always)]
    pub(crate) fn pop_live(&mut self) -> Option<Peer<T, X>> {
        loop {
            let peer = self.pop_any()?;
            if !peer.task.is_done() && peer.task.seq.get() == peer.seq {
                return Some(peer);
            }
            drop_stale(peer);
        }
    }

    /// Unlinks the entry of a native waiter that is unwinding (killed) while it may still
    /// be queued; does nothing if a peer has already taken it off.
    ///
    /// # Safety
    /// `entry` is the caller's own entry, once passed to `push_native` on this queue.
    pub(crate) unsafe fn unlink_own(&mut self, entry: *mut Entry<T, X>) {
        // SAFETY: the entry is the caller's local, so valid; it is linked iff it still has
        // its tasklet (whoever unlinks an entry takes the tasklet).
        unsafe {
            if (*entry).task.is_some() {
                self.unlink(entry);
                (*entry).task = None;
            }
        }
    }

    /// Tasklets waiting, first to be served first, stale entries included.
    pub(crate) fn tasks(&self) -> Vec<Rc<Task>> {
        let mut tasks = Vec::with_capacity(self.len);
        let mut entry = self.head;
        while !entry.is_null() {
            // SAFETY: linked entries are valid.
            unsafe {
                tasks.extend((*entry).task.clone());
                entry = (*entry).next;
            }
        }
        tasks
    }

    /// Unlinks every entry of `task`. What goes is returned, for the caller to drop once it
    /// has released the queue (a sender's message may have a destructor that uses it).
    pub(crate) fn remove_task(&mut self, task: &Rc<Task>) -> Vec<Removed<T, X>> {
        let mut removed = Vec::new();
        let mut entry = self.head;
        while !entry.is_null() {
            // SAFETY: linked entries are valid; `next` is read before `entry` is unlinked.
            unsafe {
                let next = (*entry).next;
                if (*entry).task.as_ref().is_some_and(|t| Rc::ptr_eq(t, task)) {
                    self.unlink(entry);
                    removed.push(Removed::take(entry));
                }
                entry = next;
            }
        }
        removed
    }
}

/// An entry taken off the queue without being served, kept only to be dropped: a boxed
/// entry with whatever message it holds, or a native waiter's tasklet reference (the
/// waiter stays parked).
pub(crate) struct Removed<T, X> {
    _boxed: Option<Box<Entry<T, X>>>,
    _task: Option<Rc<Task>>,
}

impl<T, X> Removed<T, X> {
    /// # Safety
    /// `entry` was just unlinked, and `task` is what it held.
    unsafe fn new(entry: *mut Entry<T, X>, task: Option<Rc<Task>>) -> Removed<T, X> {
        // SAFETY: an entry just unlinked is valid; a shared slot means the queue owned it.
        let boxed =
            unsafe { matches!((*entry).slot, Slot::Shared(_)).then(|| Box::from_raw(entry)) };
        Removed {
            _boxed: boxed,
            _task: task,
        }
    }

    /// # Safety
    /// `entry` was just unlinked and still holds its tasklet.
    unsafe fn take(entry: *mut Entry<T, X>) -> Removed<T, X> {
        // SAFETY: forwarded.
        unsafe { Removed::new(entry, (*entry).task.take()) }
    }
}

/// Drops a waiter taken off the queue that can no longer be served: a boxed entry is freed,
/// a native one (never stale in practice: its guard withdraws it) is left where it is.
#[cold]
#[inline(never)]
fn drop_stale<T, X>(peer: Peer<T, X>) {
    // SAFETY: `pop_any` just unlinked the entry and took its tasklet out.
    drop(unsafe { Removed::new(peer.entry, Some(peer.task)) });
}

impl<T, X> Drop for WaitQueue<T, X> {
    fn drop(&mut self) {
        // Only script entries can be left: a native waiter's frame keeps the channel alive.
        while let Some(peer) = self.pop_any() {
            drop_stale(peer);
        }
    }
}
