//! The per-VM object arena and its mark-sweep collector.
//!
//! Objects are addressed by index, so a `Value` is plain data: frames, containers and (later)
//! the serializer can copy it freely. The collector runs only at safe points of the dispatch
//! loop (between instructions, no native code on the stack), where every live object is
//! reachable from the roots the interpreter hands in.

use super::value::{Obj, Ref, Value};

pub struct Heap {
    slots: Vec<Option<Obj>>,
    marks: Vec<bool>,
    free: Vec<u32>,
    /// Allocations since the last collection; a collection is due when it passes `threshold`.
    pub since_gc: usize,
    pub threshold: usize,
    /// After a collection, `threshold = max(live * growth, min_threshold)`: collection stays
    /// amortized O(1) per allocation. Tests set both to collect after every allocation.
    pub min_threshold: usize,
    pub growth: usize,
    /// Approximate bytes held, against `limit` (the VM's memory budget).
    pub bytes: usize,
    pub limit: usize,
    /// Set by `alloc` when a collection is due or the budget is passed: the dispatch loop
    /// tests this one flag per instruction instead of both conditions.
    pub alarm: bool,
    /// Collections run so far (statistics).
    pub collections: u64,
}

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

impl Heap {
    pub fn new() -> Heap {
        Heap {
            slots: Vec::new(),
            marks: Vec::new(),
            free: Vec::new(),
            since_gc: 0,
            threshold: 10_000,
            min_threshold: 10_000,
            growth: 2,
            bytes: 0,
            limit: 1 << 30,
            alarm: false,
            collections: 0,
        }
    }

    pub fn alloc(&mut self, obj: Obj) -> Ref {
        self.since_gc += 1;
        self.bytes += obj.size();
        if self.since_gc >= self.threshold || self.bytes > self.limit {
            self.alarm = true;
        }
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(obj);
                Ref(i)
            }
            None => {
                self.slots.push(Some(obj));
                self.marks.push(false);
                Ref(self.slots.len() as u32 - 1)
            }
        }
    }

    #[inline]
    pub fn get(&self, r: Ref) -> &Obj {
        match self.slots.get(r.0 as usize) {
            Some(Some(o)) => o,
            // A dangling reference would be a collector bug; fail loudly but without UB.
            _ => dangling(r),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, r: Ref) -> &mut Obj {
        match self.slots.get_mut(r.0 as usize) {
            Some(Some(o)) => o,
            _ => dangling(r),
        }
    }

    pub fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn gc_due(&self) -> bool {
        self.since_gc >= self.threshold
    }

    /// Marks from `roots` and frees everything unmarked. Returns the number freed.
    pub fn collect(&mut self, roots: Vec<Value>) -> usize {
        let mut stack = roots;
        self.mark(&mut stack);
        self.sweep()
    }

    /// Marks everything reachable from `stack`, which it uses as the mark stack and leaves
    /// empty. Call it once per group of roots so the stack stays small, then `sweep`.
    pub fn mark(&mut self, stack: &mut Vec<Value>) {
        let mut children = Vec::new();
        while let Some(v) = stack.pop() {
            let Value::Obj(r) = v else { continue };
            let i = r.0 as usize;
            if i >= self.marks.len() || self.marks[i] {
                continue;
            }
            self.marks[i] = true;
            if let Some(o) = &self.slots[i] {
                o.trace(&mut children);
                stack.append(&mut children);
            }
        }
    }

    /// Frees what `mark` did not reach.
    pub fn sweep(&mut self) -> usize {
        let mut freed = 0;
        let mut bytes = 0;
        for i in 0..self.slots.len() {
            if self.marks[i] {
                self.marks[i] = false;
                if let Some(o) = &self.slots[i] {
                    bytes += o.size();
                }
            } else if self.slots[i].is_some() {
                self.slots[i] = None;
                self.free.push(i as u32);
                freed += 1;
            }
        }
        self.bytes = bytes;
        self.since_gc = 0;
        self.alarm = false;
        self.collections += 1;
        self.threshold = (self.live() * self.growth).max(self.min_threshold);
        freed
    }
}

/// Out of line, so that the accessors inline to a bounds check and a load.
#[cold]
#[inline(never)]
fn dangling(r: Ref) -> ! {
    panic!("dangling heap reference {r:?}")
}
