//! Resizing a [`Dict`]: when to grow or shrink, and the incremental rehash that moves
//! entries from the old table to the new one a bucket at a time (Redis 7.0 `dict.c`:
//! `_dictExpandIfNeeded`, `dictExpand`, `dictResize`, `dictRehash`,
//! `dictRehashMilliseconds`).
//!
//! ```text
//!   ht[0] (old)                      ht[1] (new, 2x or smaller)
//!   [0] ∅  ┐ already moved
//!   [1] ∅  ┘                         lookups, deletes: ht[0] then ht[1]
//!   [2] -> a -> b   <- rehash_idx    inserts: ht[1] only
//!   [3] -> c                         each &mut lookup/insert/delete moves one bucket
//! ```
//!
//! When the last entry has left ht[0], ht[1] becomes ht[0]. A new resize never starts
//! while one is in progress.
//!
//! ## The resize policy
//! Like Redis's `dict_can_resize`, the policy is process-wide: while a snapshot for a
//! background save exists, every write that moves entries between tables copies
//! segments the snapshot shares, so resizing is avoided. A table then grows only once
//! it holds more than [`FORCE_RESIZE_RATIO`] entries per bucket, and never shrinks. A
//! rehash already in progress goes on (7.0's `dictRehash` does not consult the policy).

use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::Dict;
use super::table::Table;

/// Minimum number of buckets once anything is stored (`DICT_HT_INITIAL_SIZE`).
pub(super) const MIN_BUCKETS: usize = 4;

/// Entries per bucket past which a table grows even while resizing is avoided
/// (`dict_force_resize_ratio`).
pub const FORCE_RESIZE_RATIO: usize = 5;

/// Redis shrinks a table that is less than 10% full (`HASHTABLE_MIN_FILL`).
const MIN_FILL_PERCENT: usize = 10;

/// Buckets moved between two clock reads in [`Dict::rehash_for`].
const REHASH_BATCH: usize = 100;

static RESIZE_ALLOWED: AtomicBool = AtomicBool::new(true);

/// Allow or avoid resizing every `Dict` of the process (`dictEnableResize` /
/// `dictDisableResize`, which `updateDictResizePolicy` calls as a fork child starts and
/// ends). The server avoids resizing while a background save holds a snapshot.
pub fn set_resize_allowed(allowed: bool) {
    RESIZE_ALLOWED.store(allowed, Ordering::Relaxed);
}

/// The current policy (see [`set_resize_allowed`]).
pub fn resize_allowed() -> bool {
    RESIZE_ALLOWED.load(Ordering::Relaxed)
}

impl<K: Hash + Eq + super::KeyTag, V> Dict<K, V> {
    /// Is an incremental rehash in progress (two tables)?
    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }
}

impl<K: Hash + Eq + super::KeyTag + Clone + super::CloneCost, V: Clone + super::CloneCost>
    Dict<K, V>
{
    /// Start resizing to the smallest power of two holding `size` (`dictExpand`): the
    /// new table is filled by later rehash steps, or installed at once when the current
    /// one is empty. Refused (false) during a rehash, below the entry count, or when the
    /// size would not change.
    pub(super) fn expand(&mut self, size: usize) -> bool {
        if self.is_rehashing() || self.ht[0].used > size {
            return false;
        }
        let new_size = size.max(MIN_BUCKETS).next_power_of_two();
        if new_size == self.ht[0].size {
            return false;
        }
        let table = Table::with_size(new_size);
        if self.ht[0].used == 0 {
            self.ht[0] = table;
        } else {
            self.ht[1] = table;
            self.rehash_idx = Some(0);
        }
        true
    }

    /// Grow before an insert when the table is full (`_dictExpandIfNeeded`): at one entry
    /// per bucket normally, past [`FORCE_RESIZE_RATIO`] while resizing is avoided.
    pub(super) fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let (used, size) = (self.ht[0].used, self.ht[0].size);
        if size == 0 {
            self.expand(MIN_BUCKETS);
        } else if used >= size && (resize_allowed() || used / size > FORCE_RESIZE_RATIO) {
            self.expand(used + 1);
        }
    }

    /// Shrink a table less than 10% full to the smallest power of two holding its
    /// entries (`htNeedsResize` + `dictResize`). Not while rehashing, nor while resizing
    /// is avoided. An emptied table is released whatever the policy: nothing moves.
    /// Returns whether a shrink started.
    pub fn shrink_if_sparse(&mut self) -> bool {
        if self.is_empty() {
            if self.bucket_count() > 0 {
                self.clear();
            }
            return false;
        }
        let slots = self.bucket_count();
        if slots <= MIN_BUCKETS || self.len() * 100 / slots >= MIN_FILL_PERCENT {
            return false;
        }
        if !resize_allowed() || self.is_rehashing() {
            return false;
        }
        self.expand(self.ht[0].used)
    }

    /// Size the table for `n` entries up front (RESIZEDB, the RDB loader), as
    /// `dictExpand` does; nothing happens during a rehash.
    pub fn reserve(&mut self, n: usize) {
        if n > self.ht[0].size {
            self.expand(n);
        }
    }

    /// Move up to `n` buckets from the old table to the new one (`dictRehash`), visiting
    /// at most `10 * n` empty buckets so that one call stays short. Returns true while
    /// entries remain to move.
    ///
    /// Moving a bucket out of a segment a snapshot shares copies that segment first
    /// (counted in [`crate::cow`]), as does writing into a shared segment of the new
    /// table.
    pub fn rehash(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else { return false };
        let mut empty_visits = n * 10;
        for _ in 0..n {
            if self.ht[0].used == 0 {
                break;
            }
            // ht[0] still holds entries, so a non-empty bucket lies at or after idx.
            while self.ht[0].bucket(idx).is_none() {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            self.move_bucket(idx);
            idx += 1;
        }
        if self.ht[0].used == 0 {
            self.ht[0] = std::mem::take(&mut self.ht[1]);
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        true
    }

    /// Every entry of bucket `idx` of ht[0], moved into ht[1].
    fn move_bucket(&mut self, idx: usize) {
        let growing = self.ht[1].size > self.ht[0].size;
        let mask = self.ht[1].mask();
        let mut link = self.ht[0].bucket_mut(idx).take();
        while let Some(mut node_ref) = link {
            let node = super::table::node_mut(&mut node_ref);
            link = node.next.take();
            // Shrinking: the sizes are powers of two, so the small table's bucket is the
            // big one's index masked, with no need to hash again.
            let to = if growing { self.hash(&node.key) as usize & mask } else { idx & mask };
            self.ht[0].used -= 1;
            self.ht[1].push_ref(to, node_ref);
        }
    }

    /// One step on behalf of a lookup or update (`_dictRehashStep`).
    pub(super) fn rehash_step(&mut self) {
        if self.rehash_idx.is_some() {
            self.rehash(1);
        }
    }

    /// Rehash in batches of 100 buckets until done or until `budget` has passed
    /// (`dictRehashMilliseconds`, which the server's cron calls with 1 ms under
    /// `activerehashing`). The keyspace reads no clock: `now` is the caller's. Returns
    /// true while entries remain to move.
    pub fn rehash_for(&mut self, budget: Duration, now: impl Fn() -> Instant) -> bool {
        let start = now();
        while self.rehash(REHASH_BATCH) {
            if now().duration_since(start) >= budget {
                return true;
            }
        }
        false
    }
}
