//! `Dict`: a chained hash table with power-of-two buckets, shaped like Redis's `dict.c`
//! so that SCAN keeps Redis's guarantee.
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
//! Caveat: resizing rehashes in one go (Redis rehashes incrementally), so a resize of a
//! table with millions of entries is one pause proportional to its size.

use std::borrow::Borrow;
use std::hash::Hash;

use rand::Rng;

struct Node<K, V> {
    key: K,
    val: V,
    next: Link<K, V>,
}

type Link<K, V> = Option<Box<Node<K, V>>>;

/// Minimum number of buckets once anything is stored.
const MIN_BUCKETS: usize = 4;

pub struct Dict<K, V> {
    buckets: Vec<Link<K, V>>,
    len: usize,
    hasher: ahash::RandomState,
}

impl<K, V> Default for Dict<K, V> {
    fn default() -> Self {
        Dict { buckets: Vec::new(), len: 0, hasher: ahash::RandomState::new() }
    }
}

impl<K: Hash + Eq, V> Dict<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of the table's own structure: the bucket array and one node per entry,
    /// with key and value as stored inline (not what they point to). INFO's
    /// `used_memory_overhead` counts this, as Redis counts its dict entries and slots.
    pub fn table_bytes(&self) -> usize {
        self.buckets.capacity() * std::mem::size_of::<Link<K, V>>()
            + self.len * std::mem::size_of::<Node<K, V>>()
    }

    /// Number of buckets (Redis reports it in DEBUG HTSTATS-like places; SCAN uses it).
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    fn bucket_of<Q: Hash + ?Sized>(&self, key: &Q) -> usize {
        (self.hasher.hash_one(key) as usize) & (self.buckets.len() - 1)
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
        if self.len == 0 {
            return None;
        }
        let mut link = &self.buckets[self.bucket_of(key)];
        while let Some(node) = link {
            if node.key.borrow() == key {
                return Some((&node.key, &node.val));
            }
            link = &node.next;
        }
        None
    }

    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.len == 0 {
            return None;
        }
        let idx = self.bucket_of(key);
        let mut link = &mut self.buckets[idx];
        while let Some(node) = link {
            if node.key.borrow() == key {
                return Some(&mut node.val);
            }
            link = &mut node.next;
        }
        None
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get(key).is_some()
    }

    /// Insert or replace. Returns the previous value; an existing key object is kept.
    pub fn insert(&mut self, key: K, val: V) -> Option<V> {
        if let Some(slot) = self.get_mut(&key) {
            return Some(std::mem::replace(slot, val));
        }
        self.insert_new(key, val);
        None
    }

    /// Insert a key known to be absent; returns its value slot.
    fn insert_new(&mut self, key: K, val: V) -> &mut V {
        if self.len >= self.buckets.len() {
            self.resize((self.len + 1).next_power_of_two().max(MIN_BUCKETS) * 2);
        }
        let idx = self.bucket_of(&key);
        let next = self.buckets[idx].take();
        self.len += 1;
        &mut self.buckets[idx].insert(Box::new(Node { key, val, next })).val
    }

    /// Get the value for `key`, inserting `make()` first if absent.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        if self.contains_key(&key) {
            return self.get_mut(&key).expect("just checked");
        }
        self.insert_new(key, make())
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.len == 0 {
            return None;
        }
        let idx = self.bucket_of(key);
        let mut link = &mut self.buckets[idx];
        loop {
            if link.as_ref().is_some_and(|n| n.key.borrow() == key) {
                let mut node = link.take().expect("checked above");
                *link = node.next.take();
                self.len -= 1;
                self.maybe_shrink();
                return Some((node.key, node.val));
            }
            match link {
                None => return None,
                Some(node) => link = &mut node.next,
            }
        }
    }

    /// Redis shrinks when fewer than 10% of buckets are used.
    fn maybe_shrink(&mut self) {
        if self.len == 0 {
            self.buckets = Vec::new();
        } else if self.buckets.len() > MIN_BUCKETS && self.len * 10 < self.buckets.len() {
            self.resize(self.len.next_power_of_two().max(MIN_BUCKETS));
        }
    }

    fn resize(&mut self, new_size: usize) {
        let old = std::mem::replace(&mut self.buckets, (0..new_size).map(|_| None).collect());
        for mut link in old {
            while let Some(mut node) = link {
                link = node.next.take();
                let idx = self.bucket_of(&node.key);
                node.next = self.buckets[idx].take();
                self.buckets[idx] = Some(node);
            }
        }
    }

    pub fn clear(&mut self) {
        // Unlink iteratively: dropping a long chain recursively could overflow the stack.
        for link in self.buckets.iter_mut() {
            let mut cur = link.take();
            while let Some(mut node) = cur {
                cur = node.next.take();
            }
        }
        self.buckets = Vec::new();
        self.len = 0;
    }

    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter { buckets: &self.buckets, idx: 0, cur: None }
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    /// Visit every value mutably.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&K, &mut V)) {
        for link in self.buckets.iter_mut() {
            let mut cur = link.as_deref_mut();
            while let Some(node) = cur {
                f(&node.key, &mut node.val);
                cur = node.next.as_deref_mut();
            }
        }
    }

    /// Remove the entries for which `keep` is false.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let mut doomed = Vec::new();
        for link in self.buckets.iter_mut() {
            let mut kept: Link<K, V> = None;
            let mut cur = link.take();
            while let Some(mut node) = cur {
                cur = node.next.take();
                if keep(&node.key, &mut node.val) {
                    node.next = kept;
                    kept = Some(node);
                } else {
                    doomed.push(node);
                    self.len -= 1;
                }
            }
            *link = kept;
        }
        drop(doomed);
        self.maybe_shrink();
    }

    /// One SCAN step: visit the bucket the cursor names (every element in it) and return
    /// the next cursor, 0 when the iteration is complete.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&K, &V)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut link = &self.buckets[(cursor & mask) as usize];
        while let Some(node) = link {
            visit(&node.key, &node.val);
            link = &node.next;
        }
        // Reverse-binary increment of the masked cursor (Pieter Noordhuis's algorithm):
        // set the unmasked high bits, reverse, add one, reverse back.
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// Visit up to `count` entries found by walking the table from a random bucket; returns
    /// how many were visited. Ported from Redis's `dictGetSomeKeys`, which eviction uses:
    /// consecutive buckets are cheap to read, and an approximation needs *some* keys, not
    /// independently uniform ones. A run of empty buckets longer than `count` (and at
    /// least 5) jumps to a new random bucket; the walk gives up after `10 * count`
    /// buckets, so a sparse table may yield fewer entries. A bucket's whole chain is
    /// taken, and wrapping around a small table may visit an entry twice.
    pub fn sample<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        count: usize,
        mut visit: impl FnMut(&K, &V),
    ) -> usize {
        let count = count.min(self.len);
        if count == 0 {
            return 0;
        }
        let mask = self.buckets.len() - 1;
        let mut i = rng.random_range(0..self.buckets.len());
        let mut empty_run = 0;
        let mut stored = 0;
        for _ in 0..count * 10 {
            let mut link = &self.buckets[i];
            if link.is_none() {
                empty_run += 1;
                if empty_run >= 5 && empty_run > count {
                    i = rng.random_range(0..self.buckets.len());
                    empty_run = 0;
                }
            } else {
                empty_run = 0;
                while let Some(node) = link {
                    visit(&node.key, &node.val);
                    stored += 1;
                    if stored == count {
                        return stored;
                    }
                    link = &node.next;
                }
            }
            i = (i + 1) & mask;
        }
        stored
    }

    /// A random entry: a random non-empty bucket, then a random element of its chain.
    pub fn random<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(&K, &V)> {
        if self.len == 0 {
            return None;
        }
        loop {
            let idx = rng.random_range(0..self.buckets.len());
            let mut chain = Vec::new();
            let mut link = &self.buckets[idx];
            while let Some(node) = link {
                chain.push(node);
                link = &node.next;
            }
            if !chain.is_empty() {
                let n = chain[rng.random_range(0..chain.len())];
                return Some((&n.key, &n.val));
            }
        }
    }
}

impl<K, V> Drop for Dict<K, V> {
    fn drop(&mut self) {
        for link in self.buckets.iter_mut() {
            let mut cur = link.take();
            while let Some(mut node) = cur {
                cur = node.next.take();
            }
        }
    }
}

pub struct Iter<'a, K, V> {
    buckets: &'a [Link<K, V>],
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
            let link = self.buckets.get(self.idx)?;
            self.idx += 1;
            self.cur = link.as_deref();
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Clone for Dict<K, V> {
    fn clone(&self) -> Self {
        let mut d = Dict { buckets: Vec::new(), len: 0, hasher: self.hasher.clone() };
        for (k, v) in self.iter() {
            d.insert_new(k.clone(), v.clone());
        }
        d
    }
}

impl<K: std::fmt::Debug + Hash + Eq, V: std::fmt::Debug> std::fmt::Debug for Dict<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn insert_get_remove() {
        let mut d = Dict::new();
        for i in 0..1000u32 {
            assert!(d.insert(i, i * 2).is_none());
        }
        assert_eq!(d.len(), 1000);
        assert_eq!(d.get(&7), Some(&14));
        assert_eq!(d.insert(7, 1), Some(14));
        for i in 0..990u32 {
            assert!(d.remove(&i).is_some());
        }
        assert_eq!(d.len(), 10);
        assert!(d.bucket_count() <= 32, "shrunk to {}", d.bucket_count());
        assert_eq!(d.iter().count(), 10);
    }

    #[test]
    fn scan_survives_growth_and_shrink() {
        let mut d = Dict::new();
        for i in 0..500u32 {
            d.insert(i, ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(*k);
            });
            step += 1;
            // Grow, then shrink, in the middle of the iteration.
            if step == 20 {
                for i in 10_000..14_000u32 {
                    d.insert(i, ());
                }
            }
            if step == 200 {
                for i in 10_000..14_000u32 {
                    d.remove(&i);
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500u32 {
            assert!(seen.contains(&i), "element {i} present throughout was not returned");
        }
    }

    #[test]
    fn sample_returns_members_and_covers_the_table() {
        let mut rng = rand::rng();
        let empty: Dict<u32, ()> = Dict::new();
        assert_eq!(empty.sample(&mut rng, 5, |_, _| panic!("nothing to visit")), 0);
        let mut d = Dict::new();
        for i in 0..1000u32 {
            d.insert(i, i * 3);
        }
        let mut seen = HashSet::new();
        for _ in 0..2000 {
            let mut got = Vec::new();
            let n = d.sample(&mut rng, 5, |k, v| {
                assert_eq!(*v, k * 3);
                got.push(*k);
            });
            assert_eq!(n, got.len());
            // A table at least a quarter full never runs out of steps before 5 entries.
            assert_eq!(n, 5);
            seen.extend(got);
        }
        // 10,000 draws from random starting buckets reach (nearly) every key. Not all of
        // them, by design: an entry deeper than `count` in a chain, or just after a long
        // chain, is seldom or never reached, as with Redis's dictGetSomeKeys.
        assert!(seen.len() >= 990, "reached {} of 1000", seen.len());
        // Asking for more than there is asks for the table's size (entries may repeat
        // when the walk wraps around).
        let mut small = Dict::new();
        for i in 0..3u32 {
            small.insert(i, ());
        }
        for _ in 0..100 {
            assert_eq!(small.sample(&mut rng, 16, |k, _| assert!(*k < 3)), 3);
        }
    }

    #[test]
    fn sample_survives_a_sparse_table() {
        // Shrinking happens below 10% use, so a table can be mostly empty buckets: the
        // walk must jump past empty runs instead of giving up with nothing.
        let mut d = Dict::new();
        for i in 0..10_000u32 {
            d.insert(i, ());
        }
        for i in 0..10_000u32 {
            if i % 3 != 0 {
                d.remove(&i);
            }
        }
        assert!(d.len() * 8 < d.bucket_count(), "{} in {}", d.len(), d.bucket_count());
        let mut rng = rand::rng();
        let counts: Vec<usize> =
            (0..1000).map(|_| d.sample(&mut rng, 5, |k, _| assert_eq!(k % 3, 0))).collect();
        // About one bucket in ten holds a key and the walk has 50 steps: most calls fill
        // up, some stop short or even come back empty (Redis's trade-off of bounded work
        // over a full sample; eviction simply samples again).
        let total: usize = counts.iter().sum();
        assert!(total > 3500, "sampled {total} of 5000 asked");
    }

    #[test]
    fn retain_and_random() {
        let mut d = Dict::new();
        for i in 0..100u32 {
            d.insert(i, i);
        }
        d.retain(|k, _| k % 2 == 0);
        assert_eq!(d.len(), 50);
        let mut rng = rand::rng();
        for _ in 0..100 {
            let (k, _) = d.random(&mut rng).unwrap();
            assert_eq!(k % 2, 0);
        }
    }
}
