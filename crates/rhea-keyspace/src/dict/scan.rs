//! Walks that survive a rehash: SCAN's cursor (`dictScan`), sampling (`dictGetSomeKeys`)
//! and a random entry (`dictGetRandomKey`), each reading both tables while a rehash is in
//! progress.
//!
//! SCAN across two tables: the cursor is a bucket index of the *smaller* table. One
//! step emits that bucket, then every bucket of the larger table whose index ends with
//! the same low bits — the buckets its entries go to when the table grows, or come from
//! when it shrinks — incrementing the cursor's reversed high bits until they wrap. An
//! element present throughout is therefore seen whichever table holds it when its turn
//! comes.
//!
//! ```text
//!   small (4):  cursor v = 0b01  -> small[01]
//!   large (16):                   -> large[0001] large[1001] large[0101] large[1101]
//!   next cursor: reverse-binary increment of v over the small mask -> 0b11
//! ```

use std::hash::Hash;

use rand::Rng;

use super::Dict;
use super::table::{Link, Table};

/// Reverse-binary increment of `v` under `mask` (Pieter Noordhuis's algorithm): set the
/// unmasked high bits, reverse, add one, reverse back.
fn next_cursor(v: u64, mask: u64) -> u64 {
    (v | !mask).reverse_bits().wrapping_add(1).reverse_bits()
}

/// Every entry of a chain.
fn emit<K, V>(link: &Link<K, V>, visit: &mut impl FnMut(&K, &V)) {
    let mut cur = link.as_deref();
    while let Some(node) = cur {
        visit(&node.key, &node.val);
        cur = node.next.as_deref();
    }
}

impl<K: Hash + Eq + super::KeyTag, V> Dict<K, V> {
    /// One SCAN step: visit the bucket(s) the cursor names (every element in them) and
    /// return the next cursor, 0 when the iteration is complete. Every element present
    /// from the first call to the last is visited at least once, across resizes and
    /// rehashes; some may be visited more than once.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&K, &V)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        if !self.is_rehashing() {
            let table = &self.ht[0];
            let mask = table.mask() as u64;
            emit(table.bucket((cursor & mask) as usize), &mut visit);
            return next_cursor(cursor, mask);
        }
        let (small, large) = if self.ht[0].size <= self.ht[1].size {
            (&self.ht[0], &self.ht[1])
        } else {
            (&self.ht[1], &self.ht[0])
        };
        let (m0, m1) = (small.mask() as u64, large.mask() as u64);
        let mut v = cursor;
        emit(small.bucket((v & m0) as usize), &mut visit);
        // The larger table's buckets that expand the smaller one's: same low bits.
        loop {
            emit(large.bucket((v & m1) as usize), &mut visit);
            v = next_cursor(v, m1);
            if v & (m0 ^ m1) == 0 {
                return v;
            }
        }
    }

    /// Visit up to `count` entries found by walking the tables from a random bucket;
    /// returns how many were visited. Ported from Redis's `dictGetSomeKeys`, which
    /// eviction uses: consecutive buckets are cheap to read, and an approximation needs
    /// *some* keys, not independently uniform ones. A run of empty buckets longer than
    /// `count` (and at least 5) jumps to a new random bucket; the walk gives up after
    /// `10 * count` bucket indexes, so a sparse table may yield fewer entries. A bucket's
    /// whole chain is taken, and wrapping around a small table may visit an entry twice.
    /// While rehashing, each index is read in both tables, skipping the old table's
    /// buckets already moved.
    pub fn sample<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        count: usize,
        mut visit: impl FnMut(&K, &V),
    ) -> usize {
        let count = count.min(self.len());
        if count == 0 {
            return 0;
        }
        let tables: &[Table<K, V>] = if self.is_rehashing() { &self.ht } else { &self.ht[..1] };
        let rehash_idx = self.rehash_idx.unwrap_or(0);
        let maxmask = tables.iter().map(Table::mask).max().expect("one table at least");
        let mut i = rng.random_range(0..=maxmask);
        let mut empty_run = 0;
        let mut stored = 0;
        for _ in 0..count * 10 {
            for (t, table) in tables.iter().enumerate() {
                // Below rehash_idx the old table is empty; when the index is also past
                // the end of a smaller new table, neither holds anything until there.
                if t == 0 && i < rehash_idx && tables.len() == 2 {
                    if i >= self.ht[1].size {
                        i = rehash_idx;
                    } else {
                        continue;
                    }
                }
                if i >= table.size {
                    continue;
                }
                let mut link = table.bucket(i).as_deref();
                if link.is_none() {
                    empty_run += 1;
                    if empty_run >= 5 && empty_run > count {
                        i = rng.random_range(0..=maxmask);
                        empty_run = 0;
                    }
                    continue;
                }
                empty_run = 0;
                while let Some(node) = link {
                    visit(&node.key, &node.val);
                    stored += 1;
                    if stored == count {
                        return stored;
                    }
                    link = node.next.as_deref();
                }
            }
            i = (i + 1) & maxmask;
        }
        stored
    }

    /// A random entry (`dictGetRandomKey`): a random non-empty bucket among those that
    /// can hold entries (while rehashing: the old table's from `rehash_idx` on, and all
    /// of the new table's), then a random element of its chain.
    pub fn random<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(&K, &V)> {
        if self.is_empty() {
            return None;
        }
        let first = self.rehash_idx.unwrap_or(0);
        let (s0, slots) = (self.ht[0].size, self.bucket_count());
        let head = loop {
            let h = rng.random_range(first..slots);
            let link = if h >= s0 { self.ht[1].bucket(h - s0) } else { self.ht[0].bucket(h) };
            if let Some(node) = link.as_deref() {
                break node;
            }
        };
        let mut len = 0;
        let mut cur = Some(head);
        while let Some(n) = cur {
            len += 1;
            cur = n.next.as_deref();
        }
        let mut node = head;
        for _ in 0..rng.random_range(0..len) {
            node = node.next.as_deref().expect("within the chain");
        }
        Some((&node.key, &node.val))
    }
}
