//! Sorted set values: members with scores, ordered by (score, member), with Redis 7.0's
//! two encodings.
//!
//! * `listpack`: one sorted vector of `(member, score)`. Member lookups are linear and
//!   ranks are positions, as in Redis's listpack; fine at ≤ 128 entries.
//! * `skiplist`: a [`Dict`] member → score for O(1) ZSCORE, plus an order-statistic list
//!   for everything ordered. Despite the encoding name this is not a skiplist but a
//!   vector of sorted chunks (≤ 512 entries each) with a Fenwick tree over the chunk
//!   sizes: O(log n) rank, element-at-rank, and first element past a score or lex bound;
//!   O(log n + 512) insert and delete. It was chosen over an indexable skiplist in an
//!   arena because it needs no per-node level vectors, span bookkeeping or free list,
//!   and its iteration is sequential memory; over a `BTreeSet` because that cannot
//!   answer rank queries without walking. Costs and invariants are in `zset/ranked.rs`.
//!
//! Conversion (mirrors `t_zset.c`): adding a *new* member converts listpack → skiplist
//! when the count would exceed `zset-max-listpack-entries` or the member is longer than
//! `zset-max-listpack-value`; score updates never convert. Only
//! [`ZSet::convert_to_listpack_if_fits`] (ZUNIONSTORE, ZRANGESTORE…) goes back.
//!
//! Scores are never NaN (the command layer rejects NaN before calling in). `-0.0` and
//! `0.0` compare equal everywhere, as Redis's `<`/`==` comparisons do; a skiplist stores
//! the score it was given, but a listpack stores `-0.0` as the integer 0 (Redis's
//! `zzlInsertAt` uses `double2ll`, and `(long long)-0.0 == -0.0`), so ZSCORE then says
//! `0`. Both are reproduced. An update to a score that compares equal is a no-op.
//!
//! BYLEX queries assume equal scores (Redis documents the result as unspecified
//! otherwise). For listpacks the results match Redis even then, because the same linear
//! scans are used; for skiplists they come from binary searches, like Redis's skiplist
//! descent, and may differ from Redis's on mixed scores.
//!
//! Caveat: the listpack's 1 GB safety limit (`lpSafeToAdd`) is not modelled.

pub mod range;
mod ranked;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use rand::Rng;

use crate::dict::Dict;
use crate::limits::EncodingLimits;
pub use range::{LexBound, LexRange, ScoreRange, normalize_rank_range};
use ranked::{RangeIter, RankedList, cmp_elem};

#[derive(Clone, Debug)]
pub struct ZSet(Box<Repr>);

#[derive(Clone, Debug)]
enum Repr {
    /// Sorted by (score, member); members unique; no `-0.0` scores.
    Listpack(Vec<(Bytes, f64)>),
    /// `dict` and `order` hold the same (member, score) pairs; the `Bytes` are shared.
    Skiplist { dict: Dict<Bytes, f64>, order: RankedList },
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::new()
    }
}

/// The listpack stores an integral score as an integer, which turns `-0.0` into 0.
fn listpack_score(score: f64) -> f64 {
    if score == 0.0 { 0.0 } else { score }
}

impl ZSet {
    /// An empty listpack sorted set.
    pub fn new() -> ZSet {
        ZSet(Box::new(Repr::Listpack(Vec::new())))
    }

    /// An empty skiplist sorted set (ZUNIONSTORE and friends build into one, then call
    /// [`ZSet::convert_to_listpack_if_fits`]).
    pub fn new_skiplist() -> ZSet {
        ZSet(Box::new(Repr::Skiplist { dict: Dict::new(), order: RankedList::new() }))
    }

    /// An empty sorted set encoded for about `size_hint` members whose length is about
    /// `value_len_hint`: Redis's `zsetTypeCreate`.
    pub fn with_hint(size_hint: usize, value_len_hint: usize, limits: &EncodingLimits) -> ZSet {
        if size_hint <= limits.zset_max_listpack_entries
            && value_len_hint <= limits.zset_max_listpack_value
        {
            ZSet::new()
        } else {
            ZSet::new_skiplist()
        }
    }

    pub fn len(&self) -> usize {
        match &*self.0 {
            Repr::Listpack(v) => v.len(),
            Repr::Skiplist { order, .. } => order.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match &*self.0 {
            Repr::Listpack(_) => "listpack",
            Repr::Skiplist { .. } => "skiplist",
        }
    }

    // ===== single members =====

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &*self.0 {
            Repr::Listpack(v) => v.iter().find(|(m, _)| m[..] == *member).map(|(_, s)| *s),
            Repr::Skiplist { dict, .. } => dict.get(member).copied(),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        self.score(member).is_some()
    }

    /// Add `member` with `score`, or update the score of an existing member. Returns
    /// true if the member is new. Adding may convert to skiplist (`zsetAdd`).
    pub fn insert(&mut self, member: Bytes, score: f64, limits: &EncodingLimits) -> bool {
        debug_assert!(!score.is_nan(), "NaN scores are rejected by the caller");
        if self.contains(&member) {
            self.update_score(&member, score);
            return false;
        }
        if let Repr::Listpack(v) = &*self.0
            && (v.len() + 1 > limits.zset_max_listpack_entries
                || member.len() > limits.zset_max_listpack_value)
        {
            self.convert_to_skiplist();
        }
        match &mut *self.0 {
            Repr::Listpack(v) => listpack_insert(v, member, score),
            Repr::Skiplist { dict, order } => {
                order.insert(member.clone(), score);
                dict.insert(member, score);
            }
        }
        true
    }

    /// Set the score of an existing member. Returns true if the member exists and its
    /// score changed (`!=`, so `0` → `-0` is no change), i.e. whether ZADD counts it as
    /// updated. Never converts.
    pub fn update_score(&mut self, member: &[u8], score: f64) -> bool {
        debug_assert!(!score.is_nan(), "NaN scores are rejected by the caller");
        match &mut *self.0 {
            Repr::Listpack(v) => {
                let Some(i) = v.iter().position(|(m, _)| m[..] == *member) else {
                    return false;
                };
                if v[i].1 == score {
                    return false;
                }
                // Delete and re-insert, as Redis does, so the order stays sorted.
                let (m, _) = v.remove(i);
                listpack_insert(v, m, score);
                true
            }
            Repr::Skiplist { dict, order } => {
                let Some(slot) = dict.get_mut(member) else {
                    return false;
                };
                let old = *slot;
                if old == score {
                    return false;
                }
                *slot = score;
                let (m, _) = dict.get_key_value(member).expect("just found");
                let m = m.clone();
                order.remove(member, old);
                order.insert(m, score);
                true
            }
        }
    }

    /// Remove `member`. Returns whether it was present. Never converts back.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut *self.0 {
            Repr::Listpack(v) => match v.iter().position(|(m, _)| m[..] == *member) {
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            Repr::Skiplist { dict, order } => match dict.remove(member) {
                Some((m, s)) => {
                    order.remove(&m, s);
                    true
                }
                None => false,
            },
        }
    }

    /// 0-based rank of `member`, counted from the highest score if `reverse` (ZRANK,
    /// ZREVRANK).
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        let rank = match &*self.0 {
            Repr::Listpack(v) => v.iter().position(|(m, _)| m[..] == *member)?,
            Repr::Skiplist { dict, order } => order.rank_of(member, *dict.get(member)?)?,
        };
        Some(if reverse { self.len() - 1 - rank } else { rank })
    }

    /// A uniformly chosen member (ZRANDMEMBER without count), None when empty.
    pub fn random<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(&Bytes, f64)> {
        if self.is_empty() {
            return None;
        }
        self.at(rng.random_range(0..self.len()))
    }

    /// One ZSCAN step. A listpack is returned whole, in order, with next cursor 0
    /// whatever the cursor (as Redis does for compact encodings); a skiplist scans its
    /// member dict one bucket per call, with [`Dict::scan`]'s guarantee.
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&Bytes, f64)) -> u64 {
        match &*self.0 {
            Repr::Listpack(v) => {
                for (m, s) in v {
                    visit(m, *s);
                }
                0
            }
            Repr::Skiplist { dict, .. } => dict.scan(cursor, |m, s| visit(m, *s)),
        }
    }

    // ===== ordered access =====

    /// All members in ascending (score, member) order.
    pub fn iter(&self) -> ZIter<'_> {
        self.ranks(0, self.len(), false)
    }

    /// The member at ascending rank `rank`.
    fn at(&self, rank: usize) -> Option<(&Bytes, f64)> {
        match &*self.0 {
            Repr::Listpack(v) => v.get(rank).map(|(m, s)| (m, *s)),
            Repr::Skiplist { order, .. } => order.get(rank),
        }
    }

    /// Ascending ranks `lo..hi`, yielded backwards if `reverse`.
    fn ranks(&self, lo: usize, hi: usize, reverse: bool) -> ZIter<'_> {
        let hi = hi.min(self.len());
        let lo = lo.min(hi);
        let inner = match &*self.0 {
            Repr::Listpack(v) => Inner::Listpack(v[lo..hi].iter()),
            Repr::Skiplist { order, .. } => Inner::Skiplist(order.range(lo, hi)),
        };
        ZIter { inner, reverse }
    }

    /// First ascending rank whose element fails `pred`; `pred` must hold on a prefix.
    fn partition_point(&self, mut pred: impl FnMut(&Bytes, f64) -> bool) -> usize {
        match &*self.0 {
            Repr::Listpack(v) => v.partition_point(|(m, s)| pred(m, *s)),
            Repr::Skiplist { order, .. } => order.partition_point(pred),
        }
    }

    /// Members with rank `start..=end` (ZRANGE by index; ranks from the highest score if
    /// `reverse`). Take the bounds from [`normalize_rank_range`]; out-of-range parts are
    /// clamped away.
    pub fn range_by_rank(&self, start: usize, end: usize, reverse: bool) -> ZIter<'_> {
        let len = self.len();
        if start > end || start >= len {
            return self.ranks(0, 0, reverse);
        }
        let end = end.min(len - 1);
        if reverse {
            self.ranks(len - 1 - end, len - start, true)
        } else {
            self.ranks(start, end + 1, false)
        }
    }

    /// Ascending ranks `lo..hi` of the members whose score is in `range`.
    fn score_span(&self, range: &ScoreRange) -> (usize, usize) {
        let lo = self.partition_point(|_, s| !range.gte_min(s));
        let hi = self.partition_point(|_, s| range.lte_max(s));
        (lo, hi.max(lo))
    }

    /// Members with scores in `range`, ascending, or descending if `reverse`; then
    /// `offset` members are skipped and at most `limit` returned (ZRANGEBYSCORE's LIMIT;
    /// a negative Redis offset yields nothing and a negative count means no limit, both
    /// for the caller to map).
    pub fn range_by_score(
        &self,
        range: &ScoreRange,
        reverse: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> ZIter<'_> {
        let (lo, hi) = self.score_span(range);
        let (lo, hi) = window(lo, hi, reverse, offset, limit);
        self.ranks(lo, hi, reverse)
    }

    pub fn count_in_score_range(&self, range: &ScoreRange) -> usize {
        let (lo, hi) = self.score_span(range);
        hi - lo
    }

    /// Ascending ranks `lo..hi` of the members in `range`, found as Redis finds them:
    /// from the first member ≥ min forwards while ≤ max, or (`from_top`) from the last
    /// member ≤ max backwards while ≥ min. The two agree whenever scores are equal.
    fn lex_span(&self, range: &LexRange, from_top: bool) -> (usize, usize) {
        let len = self.len();
        match &*self.0 {
            Repr::Listpack(v) => {
                // zzlIsInLexRange, then the linear scans of zzl{First,Last}InLexRange.
                let (Some(first), Some(last)) = (v.first(), v.last()) else { return (0, 0) };
                if range.is_empty() || !range.gte_min(&last.0) || !range.lte_max(&first.0) {
                    return (0, 0);
                }
                if from_top {
                    let Some(top) = v.iter().rposition(|(m, _)| range.lte_max(m)) else {
                        return (0, 0);
                    };
                    let n = v[..=top].iter().rev().take_while(|(m, _)| range.gte_min(m)).count();
                    (top + 1 - n, top + 1)
                } else {
                    let Some(lo) = v.iter().position(|(m, _)| range.gte_min(m)) else {
                        return (0, 0);
                    };
                    let n = v[lo..].iter().take_while(|(m, _)| range.lte_max(m)).count();
                    (lo, lo + n)
                }
            }
            Repr::Skiplist { order, .. } => {
                if len == 0 || range.is_empty() {
                    return (0, 0);
                }
                let lo = order.partition_point(|m, _| !range.gte_min(m));
                let hi = order.partition_point(|m, _| range.lte_max(m));
                (lo, hi.max(lo))
            }
        }
    }

    /// Members in the lex `range` (ZRANGEBYLEX; meaningful when all scores are equal),
    /// ascending or descending, with `offset`/`limit` as in [`ZSet::range_by_score`].
    pub fn range_by_lex(
        &self,
        range: &LexRange,
        reverse: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> ZIter<'_> {
        let (lo, hi) = self.lex_span(range, reverse);
        let (lo, hi) = window(lo, hi, reverse, offset, limit);
        self.ranks(lo, hi, reverse)
    }

    pub fn count_in_lex_range(&self, range: &LexRange) -> usize {
        let (lo, hi) = self.lex_span(range, false);
        hi - lo
    }

    // ===== bulk removal =====

    /// Remove and return ascending ranks `lo..hi`.
    fn remove_ranks(&mut self, lo: usize, hi: usize) -> Vec<(Bytes, f64)> {
        let hi = hi.min(self.len());
        if lo >= hi {
            return Vec::new();
        }
        match &mut *self.0 {
            Repr::Listpack(v) => v.drain(lo..hi).collect(),
            Repr::Skiplist { dict, order } => {
                let removed = order.remove_range(lo, hi);
                for (m, _) in &removed {
                    dict.remove(&m[..]);
                }
                removed
            }
        }
    }

    /// ZREMRANGEBYRANK over ascending ranks `start..=end` (from
    /// [`normalize_rank_range`]). Returns the number removed.
    pub fn remove_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        if start > end {
            return 0;
        }
        self.remove_ranks(start, end.saturating_add(1)).len()
    }

    /// ZREMRANGEBYSCORE. Returns the number removed.
    pub fn remove_range_by_score(&mut self, range: &ScoreRange) -> usize {
        let (lo, hi) = self.score_span(range);
        self.remove_ranks(lo, hi).len()
    }

    /// ZREMRANGEBYLEX. Returns the number removed.
    pub fn remove_range_by_lex(&mut self, range: &LexRange) -> usize {
        let (lo, hi) = self.lex_span(range, false);
        self.remove_ranks(lo, hi).len()
    }

    /// Remove and return up to `count` lowest members, lowest first (ZPOPMIN).
    pub fn pop_min(&mut self, count: usize) -> Vec<(Bytes, f64)> {
        self.remove_ranks(0, count)
    }

    /// Remove and return up to `count` highest members, highest first (ZPOPMAX).
    pub fn pop_max(&mut self, count: usize) -> Vec<(Bytes, f64)> {
        let len = self.len();
        let mut popped = self.remove_ranks(len.saturating_sub(count), len);
        popped.reverse();
        popped
    }

    // ===== encoding conversion =====

    fn convert_to_skiplist(&mut self) {
        if let Repr::Listpack(v) = &mut *self.0 {
            let elems = std::mem::take(v);
            let mut dict = Dict::new();
            for (m, s) in &elems {
                dict.insert(m.clone(), *s);
            }
            *self.0 = Repr::Skiplist { dict, order: RankedList::from_sorted(elems) };
        }
    }

    /// Convert a skiplist back to listpack if it now fits the limits: Redis's
    /// `zsetConvertToListpackIfNeeded`, run at the end of ZUNIONSTORE, ZINTERSTORE,
    /// ZDIFFSTORE and ZRANGESTORE. A listpack is left alone.
    pub fn convert_to_listpack_if_fits(&mut self, limits: &EncodingLimits) {
        let max_len = match &*self.0 {
            Repr::Listpack(_) => return,
            Repr::Skiplist { dict, .. } => dict.keys().map(|m| m.len()).max().unwrap_or(0),
        };
        self.convert_to_listpack_if_fits_with(max_len, limits);
    }

    /// As [`ZSet::convert_to_listpack_if_fits`], with the longest member length supplied
    /// by the caller. Redis's callers pass a length tracked while building, which for
    /// ZDIFFSTORE can include members added and then removed; this reproduces that.
    pub fn convert_to_listpack_if_fits_with(
        &mut self,
        max_elem_len: usize,
        limits: &EncodingLimits,
    ) {
        let Repr::Skiplist { order, .. } = &*self.0 else { return };
        if order.len() > limits.zset_max_listpack_entries
            || max_elem_len > limits.zset_max_listpack_value
        {
            return;
        }
        let elems = order.range(0, order.len()).map(|(m, s)| (m.clone(), listpack_score(s)));
        *self.0 = Repr::Listpack(elems.collect());
    }
}

/// Insert a member known to be absent into a listpack, keeping the order.
fn listpack_insert(v: &mut Vec<(Bytes, f64)>, member: Bytes, score: f64) {
    let score = listpack_score(score);
    let pos = v.partition_point(|(m, s)| cmp_elem(m, *s, &member, score).is_lt());
    v.insert(pos, (member, score));
}

/// Apply LIMIT `offset`/`limit` to ascending span `lo..hi`, counting from the top when
/// `reverse`.
fn window(
    lo: usize,
    hi: usize,
    reverse: bool,
    offset: usize,
    limit: Option<usize>,
) -> (usize, usize) {
    let avail = hi - lo;
    let skip = offset.min(avail);
    let take = limit.map_or(avail - skip, |l| l.min(avail - skip));
    if reverse { (hi - skip - take, hi - skip) } else { (lo + skip, lo + skip + take) }
}

/// Iterator over `(member, score)` pairs of a sorted set, in the direction asked for.
pub struct ZIter<'a> {
    inner: Inner<'a>,
    reverse: bool,
}

enum Inner<'a> {
    Listpack(std::slice::Iter<'a, (Bytes, f64)>),
    Skiplist(RangeIter<'a>),
}

impl Inner<'_> {
    fn len(&self) -> usize {
        match self {
            Inner::Listpack(it) => it.len(),
            Inner::Skiplist(it) => it.len(),
        }
    }
}

impl<'a> Iterator for ZIter<'a> {
    type Item = (&'a Bytes, f64);

    fn next(&mut self) -> Option<Self::Item> {
        match (&mut self.inner, self.reverse) {
            (Inner::Listpack(it), false) => it.next().map(|(m, s)| (m, *s)),
            (Inner::Listpack(it), true) => it.next_back().map(|(m, s)| (m, *s)),
            (Inner::Skiplist(it), false) => it.next(),
            (Inner::Skiplist(it), true) => it.next_back(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.inner.len();
        (n, Some(n))
    }
}

impl DoubleEndedIterator for ZIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match (&mut self.inner, self.reverse) {
            (Inner::Listpack(it), false) => it.next_back().map(|(m, s)| (m, *s)),
            (Inner::Listpack(it), true) => it.next().map(|(m, s)| (m, *s)),
            (Inner::Skiplist(it), false) => it.next_back(),
            (Inner::Skiplist(it), true) => it.next(),
        }
    }
}

impl ExactSizeIterator for ZIter<'_> {}
