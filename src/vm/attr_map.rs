//! Attribute namespaces of classes and instances. Most hold a handful of names, so they are
//! a vector searched in order, in insertion order as in CPython; past `INDEX_AT` names a
//! hash index is built beside it. Names are identifiers from code objects: a search first
//! compares pointers (the same site passes the same string) and then text.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use super::value::Value;

/// Past this many names, lookups go through a hash index.
const INDEX_AT: usize = 12;

#[derive(Clone, Default)]
pub struct AttrMap {
    items: Vec<(Rc<str>, Value)>,
    index: Option<HashMap<Rc<str>, usize, BuildHasherDefault<FxHasher>>>,
}

impl AttrMap {
    fn position(&self, name: &str) -> Option<usize> {
        if let Some(index) = &self.index {
            return index.get(name).copied();
        }
        self.items.iter().position(|(k, _)| {
            k.len() == name.len() && (std::ptr::eq(k.as_ptr(), name.as_ptr()) || **k == *name)
        })
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.position(name).map(|i| &self.items[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Binds `name`, returning what it was bound to.
    pub fn insert(&mut self, name: Rc<str>, v: Value) -> Option<Value> {
        if let Some(i) = self.position(&name) {
            return Some(std::mem::replace(&mut self.items[i].1, v));
        }
        if let Some(index) = &mut self.index {
            index.insert(name.clone(), self.items.len());
        }
        self.items.push((name, v));
        if self.index.is_none() && self.items.len() > INDEX_AT {
            self.reindex();
        }
        None
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self.position(name)?;
        let (_, v) = self.items.remove(i);
        if self.index.is_some() {
            self.reindex();
        }
        Some(v)
    }

    fn reindex(&mut self) {
        let index = self
            .items
            .iter()
            .enumerate()
            .map(|(i, (k, _))| (k.clone(), i))
            .collect();
        self.index = Some(index);
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Rc<str>, &Value)> {
        self.items.iter().map(|(k, v)| (k, v))
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.items.iter().map(|(_, v)| v)
    }
}

impl FromIterator<(Rc<str>, Value)> for AttrMap {
    fn from_iter<I: IntoIterator<Item = (Rc<str>, Value)>>(iter: I) -> Self {
        let mut m = AttrMap::default();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl<'a> IntoIterator for &'a AttrMap {
    type Item = (&'a Rc<str>, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Rc<str>, Value)>,
        fn(&'a (Rc<str>, Value)) -> (&'a Rc<str>, &'a Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter().map(|(k, v)| (k, v))
    }
}

/// Identifiers are short and not chosen by an attacker who could also watch timings, so a
/// cheap multiplicative hash serves the index.
#[derive(Default)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
