//! `Dict`: a chained hash table with power-of-two buckets, shaped like Redis's `dict.c`
//! so that SCAN keeps Redis's guarantee and resizing never pauses the server.
//!
//! Why not `HashMap`: SCAN must return every element present for the whole iteration at
//! least once, across any number of resizes, with a cursor that is just a number. Redis
//! achieves that by iterating bucket indexes in *reverse-binary* order: when the table
//! doubles, bucket `i` splits into `i` and `i + size`, which the reversed increment visits
//! next to each other; when it halves they merge. An open-addressing map offers no such
//! property, and an insertion-ordered map with swap-remove would let an unvisited element
//! jump behind the cursor.
//!
//! ```text
//! buckets: [0] -> (k,v) -> (k,v)
//!          [1] -> ∅
//!          [2] -> (k,v)
//!          [3] -> ∅          mask = len - 1, bucket = hash & mask
//! ```
//!
//! ## Incremental rehashing
//! A resize allocates a second table and moves entries into it a bucket at a time: one
//! bucket per lookup, insert or delete made through `&mut self`, and batches from the
//! server's cron ([`Dict::rehash_for`]). Meanwhile lookups search both tables, inserts go
//! to the new one, and [`Dict::scan`] walks the smaller table's bucket together with
//! every bucket of the larger table that expands from it. See [`rehash`] for the policy
//! (including the process-wide switch that avoids resizing during a background save)
//! and [`scan`] for SCAN and sampling across two tables.
//!
//! ## Copy-on-write segments (what replaces `fork()` for BGSAVE)
//! Each table's bucket array is cut into segments of [`SEGMENT_BUCKETS`] buckets, each
//! behind an `Arc`. Cloning a `Dict` clones the segment pointers only (one reference
//! count per 256 buckets), so a point-in-time snapshot of a million keys costs
//! microseconds, even in the middle of a rehash. The first write to a segment that a
//! snapshot still shares copies that segment (its chains, not the values behind them when
//! those are `Arc`s too) — the page-granular copy-on-write of a forked Redis child, at
//! 256-bucket granularity. Moving a bucket during a rehash is such a write. Bytes copied
//! that way are added to [`crate::cow`] so the engine can report them and keep them out
//! of maxmemory.
//!
//! Caveats: lookups through `&self` ([`Dict::get`], [`Dict::sample`], [`Dict::random`])
//! do not advance a rehash, where Redis's `dictFind`, `dictGetSomeKeys` and
//! `dictGetRandomKey` do; only `&mut` operations and the cron move buckets. Tables
//! shrink when a delete leaves them under 10% full (Redis shrinks the keyspace from its
//! cron only, and sets, hashes and sorted sets after deletes as here).

use std::borrow::Borrow;
use std::hash::Hash;

pub mod rehash;
pub mod scan;
mod table;
#[cfg(test)]
mod tests;

pub use rehash::{FORCE_RESIZE_RATIO, resize_allowed, set_resize_allowed};

/// Heap bytes that cloning a key or value allocates beyond its inline size: what a
/// segment copy costs besides the nodes themselves, for [`crate::cow`]. Reference-counted
/// parts (`Bytes`, `Arc`s) cost nothing, they are shared with the snapshot.
pub trait CloneCost {
    fn clone_bytes(&self) -> usize {
        0
    }
}

impl CloneCost for bytes::Bytes {}

impl CloneCost for rhea_sys::ThinBytes {
    fn clone_bytes(&self) -> usize {
        self.len()
    }
}
impl CloneCost for () {}

/// A few bits of a key's hash kept beside the key where its type has room for them, so
/// chain walks pass other keys without reading them (see [`rhea_sys::ThinBytes`]'s tag;
/// the keyspace's keys are `ThinBytes`). Types without room keep the defaults: every
/// node matches and the key comparison decides.
pub trait KeyTag {
    fn set_tag_of(&mut self, _hash: u64) {}
    fn tag_matches(&self, _tag: u8) -> bool {
        true
    }
    /// The tag for a hash: its top bits (the bucket index uses the low ones).
    fn tag_of(hash: u64) -> u8 {
        (hash >> (u64::BITS - rhea_sys::thin::TAG_BITS)) as u8
    }
}

impl KeyTag for rhea_sys::ThinBytes {
    fn set_tag_of(&mut self, hash: u64) {
        self.set_tag(Self::tag_of(hash));
    }
    fn tag_matches(&self, tag: u8) -> bool {
        self.tag() == tag
    }
}
impl KeyTag for bytes::Bytes {}
impl KeyTag for u32 {}
impl CloneCost for u32 {}
impl CloneCost for i64 {}
impl CloneCost for f64 {}

impl CloneCost for crate::value::Entry {
    fn clone_bytes(&self) -> usize {
        crate::value::Entry::clone_bytes(self)
    }
}
pub use table::SEGMENT_BUCKETS;
use table::{Link, Node, Table, into_node, node_mut};

pub struct Dict<K, V> {
    /// `ht[0]` holds everything except during a rehash, when entries move to `ht[1]`.
    ht: [Table<K, V>; 2],
    /// The next bucket of `ht[0]` to move, while rehashing (Redis's `rehashidx`).
    rehash_idx: Option<usize>,
    hasher: ahash::RandomState,
}

impl<K, V> Default for Dict<K, V> {
    fn default() -> Self {
        Dict { ht: Default::default(), rehash_idx: None, hasher: ahash::RandomState::new() }
    }
}

impl<K: Hash + Eq + KeyTag, V> Dict<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.ht[0].used + self.ht[1].used
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of the table's own structure: the bucket arrays and one node per entry,
    /// with key and value as stored inline (not what they point to). INFO's
    /// `used_memory_overhead` counts this, as Redis counts its dict entries and slots.
    pub fn table_bytes(&self) -> usize {
        self.ht[0].bucket_bytes() + self.ht[1].bucket_bytes() + self.len() * size_of::<Node<K, V>>()
    }

    /// Buckets of both tables (Redis's `dictSlots`).
    pub fn bucket_count(&self) -> usize {
        self.ht[0].size + self.ht[1].size
    }

    /// The hash of `key`, the same for both tables.
    fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The node holding `key`, the table it is in and its position in its chain:
    /// `ht[0]`, then `ht[1]` while rehashing (`dictFind`'s walk). Copies nothing.
    fn find_node<Q>(&self, h: u64, key: &Q) -> Option<(usize, usize, &Node<K, V>)>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let tables = if self.is_rehashing() { 2 } else { 1 };
        let tag = K::tag_of(h);
        (0..tables).find_map(|t| {
            let table = &self.ht[t];
            if table.size == 0 {
                return None;
            }
            table.find(h as usize & table.mask(), tag, key).map(|(pos, n)| (t, pos, n))
        })
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_key_value(key).map(|(_, v)| v)
    }

    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.find_node(self.hash(key), key).map(|(_, _, n)| (&n.key, &n.val))
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get(key).is_some()
    }

    /// Every entry: `ht[0]` in bucket order, then `ht[1]`.
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter { tables: [&self.ht[0], &self.ht[1]], table: 0, idx: 0, cur: None }
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }
}

/// Mutation needs `Clone` entries: a segment shared with a snapshot is copied first.
/// Every lookup, insert and delete here first moves one bucket of a rehash in progress.
impl<K: Hash + Eq + KeyTag + Clone + CloneCost, V: Clone + CloneCost> Dict<K, V> {
    /// The node holding `key`, its segment made private. A miss copies nothing: the
    /// table holding the key is found first, read-only; the second walk to the node
    /// compares nothing (see [`Table::link_at_mut`]).
    fn find_mut<Q>(&mut self, h: u64, key: &Q) -> Option<&mut Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let (t, pos, _) = self.find_node(h, key)?;
        Some(self.node_at_mut(t, h, pos))
    }

    /// Node `pos` of the chain for hash `h` in table `t`, as [`Dict::find_node`] found it.
    fn node_at_mut(&mut self, t: usize, h: u64, pos: usize) -> &mut Node<K, V> {
        let table = &mut self.ht[t];
        let link = table.link_at_mut(h as usize & table.mask(), pos);
        node_mut(link.as_mut().expect("find_node saw the node here"))
    }

    /// Insert a key known to be absent, into `ht[1]` while rehashing (`dictAddRaw`).
    fn push_new(&mut self, h: u64, mut key: K, val: V) -> &mut V {
        key.set_tag_of(h);
        let table = &mut self.ht[usize::from(self.rehash_idx.is_some())];
        let idx = h as usize & table.mask();
        &mut table.push(idx, Node { key, val, next: None }).val
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = self.hash(key);
        self.find_mut(h, key).map(|n| &mut n.val)
    }

    /// What every insertion does first (`dictAddRaw`'s prelude): one rehash step, growth
    /// if the table is full, and the key's hash.
    fn prepare_insert(&mut self, key: &K) -> u64 {
        self.rehash_step();
        self.expand_if_needed();
        self.hash(key)
    }

    /// Insert or replace. Returns the previous value; an existing key object is kept.
    pub fn insert(&mut self, key: K, val: V) -> Option<V> {
        let h = self.prepare_insert(&key);
        if let Some(node) = self.find_mut(h, &key) {
            return Some(std::mem::replace(&mut node.val, val));
        }
        self.push_new(h, key, val);
        None
    }

    /// Insert `key` unless present (one walk of its buckets); gives both back if present.
    /// The RDB loader's path: it must reject duplicates and not pay for two lookups.
    pub fn try_insert(&mut self, key: K, val: V) -> Result<(), (K, V)> {
        let h = self.prepare_insert(&key);
        if self.find_node(h, &key).is_some() {
            return Err((key, val));
        }
        self.push_new(h, key, val);
        Ok(())
    }

    /// The value for `key`, or a new entry `make()` (key and value) inserted first; true
    /// when it was inserted. One hash and one walk of the key's buckets either way, so an
    /// upsert costs what `dictAddRaw` does, and the owned key is built only on a miss.
    pub fn find_or_insert_with<Q>(
        &mut self,
        key: &Q,
        make: impl FnOnce() -> (K, V),
    ) -> (&mut V, bool)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.rehash_step();
        self.expand_if_needed();
        let h = self.hash(key);
        if let Some((t, pos, _)) = self.find_node(h, key) {
            return (&mut self.node_at_mut(t, h, pos).val, false);
        }
        let (k, v) = make();
        (self.push_new(h, k, v), true)
    }

    /// Get the value for `key`, inserting `make()` first if absent.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let h = self.prepare_insert(&key);
        if let Some((t, pos, _)) = self.find_node(h, &key) {
            return &mut self.node_at_mut(t, h, pos).val;
        }
        self.push_new(h, key, make())
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = self.hash(key);
        let (t, pos, _) = self.find_node(h, key)?;
        let table = &mut self.ht[t];
        let link = table.link_at_mut(h as usize & table.mask(), pos);
        let mut node = into_node(link.take().expect("find_node saw the node here"));
        *link = node.next.take();
        table.used -= 1;
        self.shrink_if_sparse();
        Some((node.key, node.val))
    }

    pub fn clear(&mut self) {
        self.ht = Default::default();
        self.rehash_idx = None;
    }

    /// Visit every value mutably.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&K, &mut V)) {
        for table in &mut self.ht {
            table.for_each_bucket_mut(|link| {
                let mut cur = link.as_mut();
                while let Some(node) = cur {
                    let node = node_mut(node);
                    f(&node.key, &mut node.val);
                    cur = node.next.as_mut();
                }
            });
        }
    }

    /// Remove the entries for which `keep` is false.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let mut doomed = Vec::new();
        for table in &mut self.ht {
            let mut removed = 0;
            table.for_each_bucket_mut(|link| {
                let mut kept: Link<K, V> = None;
                let mut cur = link.take();
                while let Some(mut node_ref) = cur {
                    let node = node_mut(&mut node_ref);
                    cur = node.next.take();
                    if keep(&node.key, &mut node.val) {
                        node.next = kept;
                        kept = Some(node_ref);
                    } else {
                        doomed.push(node_ref);
                        removed += 1;
                    }
                }
                *link = kept;
            });
            table.used -= removed;
        }
        drop(doomed);
        self.shrink_if_sparse();
    }
}

pub struct Iter<'a, K, V> {
    tables: [&'a Table<K, V>; 2],
    /// Table and bucket index to visit next.
    table: usize,
    idx: usize,
    cur: Option<&'a Node<K, V>>,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(node) = self.cur {
                self.cur = node.next.as_deref();
                return Some((&node.key, &node.val));
            }
            let table = self.tables.get(self.table)?;
            if self.idx == table.size {
                self.table += 1;
                self.idx = 0;
                continue;
            }
            self.cur = table.bucket(self.idx).as_deref();
            self.idx += 1;
        }
    }
}

/// A point-in-time copy that shares every segment of both tables: O(buckets / 256).
impl<K, V> Clone for Dict<K, V> {
    fn clone(&self) -> Self {
        Dict { ht: self.ht.clone(), rehash_idx: self.rehash_idx, hasher: self.hasher.clone() }
    }
}

impl<K: std::fmt::Debug + Hash + Eq + KeyTag, V: std::fmt::Debug> std::fmt::Debug for Dict<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
