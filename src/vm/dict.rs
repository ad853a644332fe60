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
    index: HashMap<HashKey, usize>,
    entries: Vec<Option<(Value, Value)>>,
    live: usize,
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
        self.index.get(k).and_then(|i| self.entries[*i].map(|e| e.1))
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
                self.index.insert(hk, self.entries.len());
                self.entries.push(Some((k, v)));
                self.live += 1;
            }
        }
    }

    pub fn remove(&mut self, hk: &HashKey) -> Option<(Value, Value)> {
        let i = self.index.remove(hk)?;
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
        v.into_iter().filter_map(|(i, k)| self.entries[i].map(|(a, b)| (k.clone(), a, b))).collect()
    }

    pub fn keys(&self) -> Vec<Value> {
        self.iter().map(|e| e.0).collect()
    }

    /// The entry at a raw slot index, for iterators: `None` past the end, `Some(None)` a hole.
    pub fn slot(&self, i: usize) -> Option<Option<(Value, Value)>> {
        self.entries.get(i).copied()
    }

    pub fn pop_last(&mut self) -> Option<(Value, Value)> {
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
