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
//! Caveats: resizing rehashes in one go (Redis rehashes incrementally), so a resize of a
//! table with millions of entries is one pause proportional to its size.
//!
//! ## Copy-on-write segments (what replaces `fork()` for BGSAVE)
//! The bucket array is cut into segments of [`SEGMENT_BUCKETS`] buckets, each behind an
//! `Arc`. Cloning a `Dict` clones the segment pointers only (one reference count per 256
//! buckets), so a point-in-time snapshot of a million keys costs microseconds. The first
//! write to a segment that a snapshot still shares copies that segment (its chains, not
//! the values behind them when those are `Arc`s too) — the page-granular copy-on-write
//! of a forked Redis child, at 256-bucket granularity. Bytes copied that way are added
//! to [`crate::cow`] so the engine can report them and keep them out of maxmemory.

use std::borrow::Borrow;
use std::hash::Hash;
use std::sync::Arc;

use rand::Rng;

#[derive(Clone)]
struct Node<K, V> {
    key: K,
    val: V,
    next: Link<K, V>,
}

type Link<K, V> = Option<Box<Node<K, V>>>;

/// Buckets per copy-on-write segment: small enough that copying one on first write is a
/// few microseconds, large enough that a snapshot of a big table is a few thousand
/// reference counts.
pub const SEGMENT_BUCKETS: usize = 256;
const SEGMENT_BITS: u32 = SEGMENT_BUCKETS.trailing_zeros();

type Segment<K, V> = Vec<Link<K, V>>;

/// Minimum number of buckets once anything is stored.
const MIN_BUCKETS: usize = 4;

pub struct Dict<K, V> {
    segments: Vec<Arc<Segment<K, V>>>,
    /// Total buckets, a power of two (0 when empty).
    nbuckets: usize,
    len: usize,
    hasher: ahash::RandomState,
}

impl<K, V> Default for Dict<K, V> {
    fn default() -> Self {
        Dict { segments: Vec::new(), nbuckets: 0, len: 0, hasher: ahash::RandomState::new() }
    }
}

/// Segments for `nbuckets` empty buckets.
fn empty_segments<K, V>(nbuckets: usize) -> Vec<Arc<Segment<K, V>>> {
    let per = nbuckets.min(SEGMENT_BUCKETS);
    (0..nbuckets.div_ceil(per.max(1))).map(|_| Arc::new((0..per).map(|_| None).collect())).collect()
}

/// Approximate heap bytes of a segment, for the copy-on-write statistics.
fn segment_bytes<K, V>(seg: &Segment<K, V>) -> u64 {
    let mut nodes = 0u64;
    for link in seg {
        let mut cur = link.as_deref();
        while let Some(n) = cur {
            nodes += 1;
            cur = n.next.as_deref();
        }
    }
    (seg.len() * size_of::<Link<K, V>>()) as u64 + nodes * size_of::<Node<K, V>>() as u64
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
        self.nbuckets * std::mem::size_of::<Link<K, V>>()
            + self.len * std::mem::size_of::<Node<K, V>>()
    }

    /// Number of buckets (Redis reports it in DEBUG HTSTATS-like places; SCAN uses it).
    pub fn bucket_count(&self) -> usize {
        self.nbuckets
    }

    fn bucket_of<Q: Hash + ?Sized>(&self, key: &Q) -> usize {
        (self.hasher.hash_one(key) as usize) & (self.nbuckets - 1)
    }

    fn bucket(&self, idx: usize) -> &Link<K, V> {
        &self.segments[idx >> SEGMENT_BITS][idx & (SEGMENT_BUCKETS - 1)]
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
        let mut link = self.bucket(self.bucket_of(key));
        while let Some(node) = link {
            if node.key.borrow() == key {
                return Some((&node.key, &node.val));
            }
            link = &node.next;
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

    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter { segments: &self.segments, idx: 0, cur: None }
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    /// One SCAN step: visit the bucket the cursor names (every element in it) and return
    /// the next cursor, 0 when the iteration is complete.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&K, &V)) -> u64 {
        if self.nbuckets == 0 {
            return 0;
        }
        let mask = (self.nbuckets - 1) as u64;
        let mut link = self.bucket((cursor & mask) as usize);
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
        let mask = self.nbuckets - 1;
        let mut i = rng.random_range(0..self.nbuckets);
        let mut empty_run = 0;
        let mut stored = 0;
        for _ in 0..count * 10 {
            let mut link = self.bucket(i);
            if link.is_none() {
                empty_run += 1;
                if empty_run >= 5 && empty_run > count {
                    i = rng.random_range(0..self.nbuckets);
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
            let idx = rng.random_range(0..self.nbuckets);
            let mut chain = Vec::new();
            let mut link = self.bucket(idx);
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

/// Mutation needs `Clone` entries: a segment shared with a snapshot is copied first.
impl<K: Hash + Eq + Clone, V: Clone> Dict<K, V> {
    /// The segment holding bucket `idx`, made private to this dict (copied if shared).
    fn segment_mut(&mut self, seg: usize) -> &mut Segment<K, V> {
        let arc = &mut self.segments[seg];
        if Arc::get_mut(arc).is_none() {
            crate::cow::add(segment_bytes(arc));
        }
        Arc::make_mut(arc)
    }

    fn bucket_mut(&mut self, idx: usize) -> &mut Link<K, V> {
        &mut self.segment_mut(idx >> SEGMENT_BITS)[idx & (SEGMENT_BUCKETS - 1)]
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
        // Only copy a shared segment when the key is really there.
        if Arc::strong_count(&self.segments[idx >> SEGMENT_BITS]) > 1 && !self.contains_key(key) {
            return None;
        }
        let mut link = self.bucket_mut(idx);
        while let Some(node) = link {
            if node.key.borrow() == key {
                return Some(&mut node.val);
            }
            link = &mut node.next;
        }
        None
    }

    /// Insert or replace. Returns the previous value; an existing key object is kept.
    pub fn insert(&mut self, key: K, val: V) -> Option<V> {
        if let Some(slot) = self.get_mut(&key) {
            return Some(std::mem::replace(slot, val));
        }
        self.insert_new(key, val);
        None
    }

    /// Insert `key` unless present (one walk of its bucket); gives `val` back if present.
    /// The RDB loader's path: it must reject duplicates and not pay for two lookups.
    pub fn try_insert(&mut self, key: K, val: V) -> Result<(), V> {
        if self.len >= self.nbuckets {
            self.resize((self.len + 1).next_power_of_two().max(MIN_BUCKETS) * 2);
        }
        let idx = self.bucket_of(&key);
        let link = self.bucket_mut(idx);
        let mut cur = link.as_deref();
        while let Some(node) = cur {
            if node.key == key {
                return Err(val);
            }
            cur = node.next.as_deref();
        }
        let next = link.take();
        *link = Some(Box::new(Node { key, val, next }));
        self.len += 1;
        Ok(())
    }

    /// Size the table for `n` entries up front (RESIZEDB), as `dictExpand` does.
    pub fn reserve(&mut self, n: usize) {
        let want = n.next_power_of_two().max(MIN_BUCKETS);
        if want > self.nbuckets {
            self.resize(want);
        }
    }

    /// Insert a key known to be absent; returns its value slot.
    fn insert_new(&mut self, key: K, val: V) -> &mut V {
        if self.len >= self.nbuckets {
            self.resize((self.len + 1).next_power_of_two().max(MIN_BUCKETS) * 2);
        }
        let idx = self.bucket_of(&key);
        self.len += 1;
        let link = self.bucket_mut(idx);
        let next = link.take();
        &mut link.insert(Box::new(Node { key, val, next })).val
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
        if !self.contains_key(key) {
            return None;
        }
        let idx = self.bucket_of(key);
        let mut link = self.bucket_mut(idx);
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
            self.clear();
        } else if self.nbuckets > MIN_BUCKETS && self.len * 10 < self.nbuckets {
            self.resize(self.len.next_power_of_two().max(MIN_BUCKETS));
        }
    }

    fn resize(&mut self, new_size: usize) {
        let old = std::mem::replace(&mut self.segments, empty_segments(new_size));
        self.nbuckets = new_size;
        for seg in old {
            // A segment a snapshot still holds is read, not taken apart.
            let seg = match Arc::try_unwrap(seg) {
                Ok(owned) => owned,
                Err(shared) => {
                    crate::cow::add(segment_bytes(&shared));
                    (*shared).clone()
                }
            };
            for mut link in seg {
                while let Some(mut node) = link {
                    link = node.next.take();
                    let idx = self.bucket_of(&node.key);
                    let slot = &mut Arc::get_mut(&mut self.segments[idx >> SEGMENT_BITS])
                        .expect("new segments are unshared")[idx & (SEGMENT_BUCKETS - 1)];
                    node.next = slot.take();
                    *slot = Some(node);
                }
            }
        }
    }

    pub fn clear(&mut self) {
        for seg in std::mem::take(&mut self.segments) {
            drop_segment(seg);
        }
        self.nbuckets = 0;
        self.len = 0;
    }

    /// Visit every value mutably.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(&K, &mut V)) {
        for s in 0..self.segments.len() {
            for link in self.segment_mut(s).iter_mut() {
                let mut cur = link.as_deref_mut();
                while let Some(node) = cur {
                    f(&node.key, &mut node.val);
                    cur = node.next.as_deref_mut();
                }
            }
        }
    }

    /// Remove the entries for which `keep` is false.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        let mut doomed = Vec::new();
        let mut removed = 0;
        for s in 0..self.segments.len() {
            for link in self.segment_mut(s).iter_mut() {
                let mut kept: Link<K, V> = None;
                let mut cur = link.take();
                while let Some(mut node) = cur {
                    cur = node.next.take();
                    if keep(&node.key, &mut node.val) {
                        node.next = kept;
                        kept = Some(node);
                    } else {
                        doomed.push(node);
                        removed += 1;
                    }
                }
                *link = kept;
            }
        }
        self.len -= removed;
        drop(doomed);
        self.maybe_shrink();
    }
}

/// Unlink chains iteratively when this was the last owner: dropping a long chain
/// recursively could overflow the stack.
fn drop_segment<K, V>(seg: Arc<Segment<K, V>>) {
    if let Ok(mut owned) = Arc::try_unwrap(seg) {
        for link in owned.iter_mut() {
            let mut cur = link.take();
            while let Some(mut node) = cur {
                cur = node.next.take();
            }
        }
    }
}

impl<K, V> Drop for Dict<K, V> {
    fn drop(&mut self) {
        for seg in std::mem::take(&mut self.segments) {
            drop_segment(seg);
        }
    }
}

pub struct Iter<'a, K, V> {
    segments: &'a [Arc<Segment<K, V>>],
    /// Next bucket index to visit.
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
            let seg = self.segments.get(self.idx >> SEGMENT_BITS)?;
            let link = seg.get(self.idx & (SEGMENT_BUCKETS - 1));
            match link {
                Some(link) => {
                    self.idx += 1;
                    self.cur = link.as_deref();
                }
                // A short single segment (tables under SEGMENT_BUCKETS buckets).
                None => return None,
            }
        }
    }
}

/// A point-in-time copy that shares every segment: O(buckets / SEGMENT_BUCKETS).
impl<K, V> Clone for Dict<K, V> {
    fn clone(&self) -> Self {
        Dict {
            segments: self.segments.clone(),
            nbuckets: self.nbuckets,
            len: self.len,
            hasher: self.hasher.clone(),
        }
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

    #[test]
    fn snapshot_is_unchanged_by_later_writes() {
        let mut d = Dict::new();
        for i in 0..5000u32 {
            d.insert(i, i);
        }
        assert!(d.bucket_count() > SEGMENT_BUCKETS, "several segments are exercised");
        let snap = d.clone();
        for i in 0..5000u32 {
            if i % 3 == 0 {
                d.remove(&i);
            } else if i % 3 == 1 {
                *d.get_mut(&i).unwrap() += 1;
            }
        }
        for i in 5000..20_000u32 {
            d.insert(i, i); // grows the table while the snapshot holds the old one
        }
        assert_eq!(snap.len(), 5000);
        let mut seen: Vec<(u32, u32)> = snap.iter().map(|(k, v)| (*k, *v)).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..5000u32).map(|i| (i, i)).collect::<Vec<_>>());
        assert_eq!(d.len(), 20_000 - 1667);
        assert_eq!(d.get(&1), Some(&2));
        assert_eq!(d.get(&3), None);
        assert_eq!(d.iter().count(), d.len());
    }

    #[test]
    fn reads_and_misses_do_not_copy_shared_segments() {
        let mut d = Dict::new();
        for i in 0..2000u32 {
            d.insert(i, i);
        }
        let snap = d.clone();
        let before: Vec<*const Segment<u32, u32>> = d.segments.iter().map(Arc::as_ptr).collect();
        assert!(d.get_mut(&999_999).is_none());
        assert!(d.remove(&999_999).is_none());
        assert_eq!(d.get(&5), Some(&5));
        let after: Vec<*const Segment<u32, u32>> = d.segments.iter().map(Arc::as_ptr).collect();
        assert_eq!(before, after);
        d.insert(7, 70);
        let copied = d.segments.iter().zip(&snap.segments).filter(|(a, b)| !Arc::ptr_eq(a, b));
        assert_eq!(copied.count(), 1, "one write copies exactly one segment");
    }
}
