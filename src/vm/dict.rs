//! Insertion-ordered hash table for dicts and sets. Keys are reduced to a `HashKey` (their
//! value for numbers, strings, bytes and tuples of those; identity for other objects) so that
//! lookups never need to call back into Python.

use std::collections::HashMap;
use std::rc::Rc;

use num_bigint::BigInt;

use super::value::{Ref, Value};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum HashKey {
    None,
    Int(i64),
    Big(BigInt),
    Float(u64),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    Tuple(Vec<HashKey>),
    Id(Ref),
    Singleton(u8),
}

#[derive(Clone, Default)]
pub struct Dict {
    /// foldhash with a per-process random seed: several times faster than SipHash on the
    /// short keys scripts use, and still seeded against precomputed collision sets.
    index: HashMap<HashKey, usize, foldhash::fast::RandomState>,
    entries: Vec<Option<(Value, Value)>>,
    live: usize,
    /// Bumped whenever the set of keys or their slots change (not on value updates), so a
    /// cached slot index (global-name lookups) stays valid until it is bumped.
    pub version: u64,
}

impl Dict {
    pub fn new() -> Dict {
        Dict::default()
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    pub fn get(&self, k: &HashKey) -> Option<Value> {
        self.index
            .get(k)
            .and_then(|i| self.entries[*i].map(|e| e.1))
    }

    /// Replaces the value of an existing key; false when the key is absent.
    pub fn set_existing(&mut self, k: &HashKey, v: Value) -> bool {
        match self.index.get(k) {
            Some(&i) => match &mut self.entries[i] {
                Some(e) => {
                    e.1 = v;
                    true
                }
                None => false,
            },
            None => false,
        }
    }

    /// The slot of a key, for caches validated by `version`.
    pub fn slot_of(&self, k: &HashKey) -> Option<usize> {
        self.index.get(k).copied()
    }

    /// Rebinds the key at a cached slot; false if the slot is empty.
    pub fn set_at(&mut self, slot: usize, v: Value) -> bool {
        match self.entries.get_mut(slot) {
            Some(Some(e)) => {
                e.1 = v;
                true
            }
            _ => false,
        }
    }

    pub fn value_at(&self, slot: usize) -> Option<Value> {
        self.entries.get(slot).copied().flatten().map(|e| e.1)
    }

    pub fn get_entry(&self, k: &HashKey) -> Option<(Value, Value)> {
        self.index.get(k).and_then(|i| self.entries[*i])
    }

    pub fn contains(&self, k: &HashKey) -> bool {
        self.index.contains_key(k)
    }

    /// Keeps the original key object when the key is already present, as CPython does.
    pub fn insert(&mut self, hk: HashKey, k: Value, v: Value) {
        match self.index.get(&hk) {
            Some(&i) => {
                if let Some(e) = &mut self.entries[i] {
                    e.1 = v;
                }
            }
            None => {
                self.version += 1;
                self.index.insert(hk, self.entries.len());
                self.entries.push(Some((k, v)));
                self.live += 1;
            }
        }
    }

    pub fn remove(&mut self, hk: &HashKey) -> Option<(Value, Value)> {
        let i = self.index.remove(hk)?;
        self.version += 1;
        let e = self.entries[i].take();
        self.live -= 1;
        if self.entries.len() > 32 && self.live * 2 < self.entries.len() {
            self.compact();
        }
        e
    }

    /// Removing during iteration would shift indices; iterators tolerate it because they skip
    /// holes, and compaction only happens on removal, which CPython forbids mid-iteration.
    fn compact(&mut self) {
        self.version += 1;
        let old = std::mem::take(&mut self.entries);
        let mut keys: Vec<(HashKey, usize)> = self.index.drain().collect();
        keys.sort_by_key(|k| k.1);
        let mut remap = HashMap::new();
        for (i, e) in old.into_iter().enumerate() {
            if let Some(e) = e {
                remap.insert(i, self.entries.len());
                self.entries.push(Some(e));
            }
        }
        for (k, i) in keys {
            if let Some(n) = remap.get(&i) {
                self.index.insert(k, *n);
            }
        }
    }

    pub fn clear(&mut self) {
        self.version += 1;
        self.index.clear();
        self.entries.clear();
        self.live = 0;
    }

    pub fn iter(&self) -> impl Iterator<Item = (Value, Value)> + '_ {
        self.entries.iter().filter_map(|e| *e)
    }

    /// Entries in order with their hash keys, so set algebra need not hash again.
    pub fn keyed(&self) -> Vec<(HashKey, Value, Value)> {
        let mut v: Vec<(usize, &HashKey)> = self.index.iter().map(|(k, i)| (*i, k)).collect();
        v.sort_unstable_by_key(|e| e.0);
        v.into_iter()
            .filter_map(|(i, k)| self.entries[i].map(|(a, b)| (k.clone(), a, b)))
            .collect()
    }

    /// Iteration order of a set. Sets of ints iterate in the order CPython's hash table
    /// gives them (ints hash to themselves, so scripts can and do observe it); other sets
    /// keep insertion order (CPython's order for strings depends on a random hash seed).
    pub fn set_order(&self) -> Vec<Value> {
        let keyed = self.keyed();
        let mut hashes = Vec::with_capacity(keyed.len());
        for (k, _, _) in &keyed {
            match k {
                HashKey::Int(i) => hashes.push(cpython_int_hash(*i)),
                _ => return keyed.into_iter().map(|e| e.1).collect(),
            }
        }
        let slots = simulate_set_table(&hashes);
        slots.into_iter().map(|i| keyed[i].1).collect()
    }

    pub fn keys(&self) -> Vec<Value> {
        self.iter().map(|e| e.0).collect()
    }

    /// The entry at a raw slot index, for iterators: `None` past the end, `Some(None)` a hole.
    pub fn slot(&self, i: usize) -> Option<Option<(Value, Value)>> {
        self.entries.get(i).copied()
    }

    pub fn pop_last(&mut self) -> Option<(Value, Value)> {
        self.version += 1;
        while let Some(e) = self.entries.pop() {
            if let Some(e) = e {
                self.index.retain(|_, i| *i < self.entries.len());
                self.live -= 1;
                return Some(e);
            }
        }
        None
    }

    pub fn trace(&self, out: &mut Vec<Value>) {
        for (k, v) in self.iter() {
            out.push(k);
            out.push(v);
        }
    }
}

fn cpython_int_hash(i: i64) -> u64 {
    const P: i128 = (1 << 61) - 1;
    let v = i as i128;
    let h = if v >= 0 { v % P } else { -((-v) % P) };
    let h = if h == -1 { -2 } else { h };
    h as i64 as u64
}

/// Replays CPython 3.11's `set_add_entry` / `set_table_resize` for the given hashes (in
/// insertion order, all distinct) and returns the indices in table order.
fn simulate_set_table(hashes: &[u64]) -> Vec<usize> {
    const LINEAR_PROBES: usize = 9;
    fn insert(table: &mut [Option<usize>], hashes: &[u64], idx: usize) {
        let mask = table.len() - 1;
        let h = hashes[idx];
        let mut perturb = h;
        let mut i = (h as usize) & mask;
        loop {
            if table[i].is_none() {
                table[i] = Some(idx);
                return;
            }
            if i + LINEAR_PROBES <= mask {
                for j in 1..=LINEAR_PROBES {
                    if table[i + j].is_none() {
                        table[i + j] = Some(idx);
                        return;
                    }
                }
            }
            perturb >>= 5;
            i = (i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize))
                & mask;
        }
    }
    let mut table: Vec<Option<usize>> = vec![None; 8];
    let mut used = 0usize;
    for idx in 0..hashes.len() {
        insert(&mut table, hashes, idx);
        used += 1;
        let mask = table.len() - 1;
        if used * 5 >= mask * 3 {
            let minused = if used > 50_000 { used * 2 } else { used * 4 };
            let mut size = 8;
            while size <= minused {
                size <<= 1;
            }
            let old = std::mem::replace(&mut table, vec![None; size]);
            for e in old.into_iter().flatten() {
                insert(&mut table, hashes, e);
            }
        }
    }
    table.into_iter().flatten().collect()
}
