//! `RankedList`: the ordered half of a `skiplist`-encoded sorted set. It is a sorted
//! sequence of `(member, score)` with O(log n) rank queries, built as a vector of sorted
//! chunks plus a Fenwick tree over the chunk lengths.
//!
//! ```text
//! chunks:  [a b c d] [e f g] [h i j k l] [m n]      each sorted, non-empty, ≤ max_chunk
//! fenwick: prefix sums of [4, 3, 5, 2]               rank(i) = prefix(chunk) + offset
//! ```
//!
//! Why not a skiplist: a pointer skiplist needs `unsafe` or an index arena with a free
//! list, per-node level vectors and span bookkeeping on every link; why not a
//! `BTreeSet`: it cannot answer "rank of x" or "element at rank r" without walking.
//! Chunks give the same bounds with plain `Vec`s and better locality:
//!
//! | operation                          | cost                                   |
//! |------------------------------------|----------------------------------------|
//! | find / rank of (score, member)     | O(log n): binary search on chunk tails, then in the chunk, then a Fenwick prefix |
//! | element at rank                    | O(log n): Fenwick descent              |
//! | first element where a monotone predicate fails (score / lex bounds) | O(log n) |
//! | insert / remove one                | O(log n + B) memmove inside one chunk  |
//! | iterate k from a rank              | O(log n + k), sequential memory        |
//! | remove a rank range of k           | O(k + n/B) (one Fenwick rebuild)       |
//!
//! A chunk that grows past `max_chunk` (B) splits in half; one that shrinks below B/4
//! merges into a neighbour if the result stays ≤ 3B/4; an empty one is dropped. Each
//! structural change rebuilds the Fenwick tree in O(n/B), and the thresholds guarantee
//! Θ(B) single-element operations between two changes to the same chunk, so the
//! rebuild costs O(n/B²) amortised per operation.
//!
//! Order is (score ascending, then member bytes ascending), compared with `<` and `==`
//! on the doubles as Redis's `zslInsert` does, so `-0.0` and `0.0` tie. Scores are
//! never NaN (callers guarantee it; Redis asserts it).

use std::cmp::Ordering;

use bytes::Bytes;

/// Chunk capacity B: big enough that the chunk vector and Fenwick tree stay tiny
/// (n/512 entries), small enough that a memmove inside a chunk (≤ 20 KB) is cheap.
pub(crate) const DEFAULT_MAX_CHUNK: usize = 512;

/// Redis's element order: score with `<`/`==`, ties broken by `memcmp` then length
/// (which is exactly the lexicographic order of byte slices).
pub(crate) fn cmp_elem(a_member: &[u8], a_score: f64, b_member: &[u8], b_score: f64) -> Ordering {
    if a_score < b_score {
        Ordering::Less
    } else if a_score > b_score {
        Ordering::Greater
    } else {
        a_member.cmp(b_member)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct RankedList {
    /// Sorted across chunk boundaries; every chunk is non-empty.
    chunks: Vec<Vec<(Bytes, f64)>>,
    /// Fenwick tree over `chunks[i].len()`, 1-based (`fenwick[0]` is unused).
    fenwick: Vec<usize>,
    len: usize,
    max_chunk: usize,
}

impl RankedList {
    pub(crate) fn new() -> RankedList {
        RankedList::with_max_chunk(DEFAULT_MAX_CHUNK)
    }

    /// Tests use tiny chunks so that splits and merges happen constantly.
    pub(crate) fn with_max_chunk(max_chunk: usize) -> RankedList {
        RankedList { chunks: Vec::new(), fenwick: vec![0], len: 0, max_chunk: max_chunk.max(4) }
    }

    /// Build from elements already in order, in O(n). Chunks start half full so the
    /// first inserts do not split immediately.
    pub(crate) fn from_sorted(elems: Vec<(Bytes, f64)>) -> RankedList {
        let mut list = RankedList::new();
        let half = list.max_chunk / 2;
        list.len = elems.len();
        let mut it = elems.into_iter().peekable();
        while it.peek().is_some() {
            list.chunks.push(it.by_ref().take(half).collect());
        }
        list.rebuild();
        list
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    // ===== Fenwick tree =====

    fn rebuild(&mut self) {
        let n = self.chunks.len();
        self.fenwick.clear();
        self.fenwick.resize(n + 1, 0);
        for i in 1..=n {
            self.fenwick[i] += self.chunks[i - 1].len();
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                self.fenwick[parent] += self.fenwick[i];
            }
        }
    }

    fn fenwick_add(&mut self, chunk: usize, by: usize) {
        let mut i = chunk + 1;
        while i < self.fenwick.len() {
            self.fenwick[i] += by;
            i += i & i.wrapping_neg();
        }
    }

    fn fenwick_sub(&mut self, chunk: usize, by: usize) {
        let mut i = chunk + 1;
        while i < self.fenwick.len() {
            self.fenwick[i] -= by;
            i += i & i.wrapping_neg();
        }
    }

    /// Number of elements in `chunks[..chunk]`.
    fn prefix(&self, chunk: usize) -> usize {
        let mut i = chunk;
        let mut sum = 0;
        while i > 0 {
            sum += self.fenwick[i];
            i &= i - 1;
        }
        sum
    }

    /// (chunk, offset) of the element at `rank`; requires `rank < len`.
    fn locate(&self, mut rank: usize) -> (usize, usize) {
        debug_assert!(rank < self.len);
        let n = self.chunks.len();
        let mut pos = 0;
        let mut step = if n == 0 { 0 } else { 1 << n.ilog2() };
        while step > 0 {
            let next = pos + step;
            if next <= n && self.fenwick[next] <= rank {
                pos = next;
                rank -= self.fenwick[next];
            }
            step >>= 1;
        }
        (pos, rank)
    }

    // ===== queries =====

    /// (chunk, offset) where `(member, score)` is or would be inserted.
    fn seek(&self, member: &[u8], score: f64) -> (usize, usize) {
        let below = |e: &(Bytes, f64)| cmp_elem(&e.0, e.1, member, score) == Ordering::Less;
        let ci = self.chunks.partition_point(|c| below(c.last().expect("chunks are non-empty")));
        if ci == self.chunks.len() {
            // Past every element: the end of the last chunk.
            return match self.chunks.last() {
                Some(c) => (ci - 1, c.len()),
                None => (0, 0),
            };
        }
        (ci, self.chunks[ci].partition_point(below))
    }

    fn find(&self, member: &[u8], score: f64) -> Option<(usize, usize)> {
        let (ci, pos) = self.seek(member, score);
        let e = self.chunks.get(ci)?.get(pos)?;
        (e.1 == score && e.0[..] == *member).then_some((ci, pos))
    }

    /// 0-based rank of `(member, score)`, if present.
    pub(crate) fn rank_of(&self, member: &[u8], score: f64) -> Option<usize> {
        self.find(member, score).map(|(ci, pos)| self.prefix(ci) + pos)
    }

    pub(crate) fn get(&self, rank: usize) -> Option<(&Bytes, f64)> {
        if rank >= self.len {
            return None;
        }
        let (ci, off) = self.locate(rank);
        let (m, s) = &self.chunks[ci][off];
        Some((m, *s))
    }

    /// The first rank whose element fails `pred`, where `pred` holds for a prefix of the
    /// order (a lower bound on score or member); `len` if it holds for all.
    pub(crate) fn partition_point(&self, mut pred: impl FnMut(&Bytes, f64) -> bool) -> usize {
        let ci = self.chunks.partition_point(|c| {
            let (m, s) = c.last().expect("chunks are non-empty");
            pred(m, *s)
        });
        if ci == self.chunks.len() {
            return self.len;
        }
        self.prefix(ci) + self.chunks[ci].partition_point(|(m, s)| pred(m, *s))
    }

    /// Elements with rank in `lo..hi` (clamped to `len`), double-ended.
    pub(crate) fn range(&self, lo: usize, hi: usize) -> RangeIter<'_> {
        let hi = hi.min(self.len);
        if lo >= hi {
            return RangeIter { chunks: &self.chunks, front: (0, 0), back: (0, 0), remaining: 0 };
        }
        let front = self.locate(lo);
        let (bc, bo) = self.locate(hi - 1);
        RangeIter { chunks: &self.chunks, front, back: (bc, bo + 1), remaining: hi - lo }
    }

    // ===== mutation =====

    /// Insert an element that is not present (the caller checks its member dict).
    pub(crate) fn insert(&mut self, member: Bytes, score: f64) {
        self.len += 1;
        if self.chunks.is_empty() {
            self.chunks.push(vec![(member, score)]);
            self.rebuild();
            return;
        }
        let (ci, pos) = self.seek(&member, score);
        let chunk = &mut self.chunks[ci];
        chunk.insert(pos, (member, score));
        if chunk.len() > self.max_chunk {
            let tail = chunk.split_off(chunk.len() / 2);
            self.chunks.insert(ci + 1, tail);
            self.rebuild();
        } else {
            self.fenwick_add(ci, 1);
        }
    }

    /// Remove `(member, score)`; returns whether it was present.
    pub(crate) fn remove(&mut self, member: &[u8], score: f64) -> bool {
        let Some((ci, pos)) = self.find(member, score) else {
            return false;
        };
        self.chunks[ci].remove(pos);
        self.len -= 1;
        if self.chunks[ci].is_empty() {
            self.chunks.remove(ci);
            self.rebuild();
        } else if self.merge_if_small(ci) {
            self.rebuild();
        } else {
            self.fenwick_sub(ci, 1);
        }
        true
    }

    /// Remove and return the elements with rank in `lo..hi` (clamped), in order.
    pub(crate) fn remove_range(&mut self, lo: usize, hi: usize) -> Vec<(Bytes, f64)> {
        let hi = hi.min(self.len);
        if lo >= hi {
            return Vec::new();
        }
        let (first, mut off) = self.locate(lo);
        let mut left = hi - lo;
        let mut out = Vec::with_capacity(left);
        let mut ci = first;
        while left > 0 {
            let chunk = &mut self.chunks[ci];
            let take = (chunk.len() - off).min(left);
            out.extend(chunk.drain(off..off + take));
            left -= take;
            ci += 1;
            off = 0;
        }
        self.len -= out.len();
        let touched_one = ci == first + 1;
        if touched_one
            && !self.chunks[first].is_empty()
            && self.chunks[first].len() >= self.max_chunk / 4
        {
            self.fenwick_sub(first, out.len());
            return out;
        }
        // Drop the emptied chunks (only touched ones can be empty), then give the
        // partially drained survivors at the seam (now at `first` and `first + 1`) and
        // their left neighbour a chance to merge; highest index first, so a merge does
        // not shift the indexes still to be checked.
        self.chunks.retain(|c| !c.is_empty());
        for seam in [first + 1, first, first.wrapping_sub(1)] {
            if seam < self.chunks.len() {
                self.merge_if_small(seam);
            }
        }
        self.rebuild();
        out
    }

    /// Merge `chunks[ci]` into its smaller neighbour if it has fallen below B/4 and the
    /// result stays ≤ 3B/4. Returns whether it merged (the caller then rebuilds).
    fn merge_if_small(&mut self, ci: usize) -> bool {
        let len = self.chunks[ci].len();
        if len >= self.max_chunk / 4 {
            return false;
        }
        let fits = |other: usize| len + other <= self.max_chunk * 3 / 4;
        let left = ci.checked_sub(1).map(|l| self.chunks[l].len()).filter(|&l| fits(l));
        let right = self.chunks.get(ci + 1).map(|r| r.len()).filter(|&r| fits(r));
        match (left, right) {
            (Some(l), Some(r)) if r < l => self.merge_into_left(ci + 1),
            (Some(_), _) => self.merge_into_left(ci),
            (None, Some(_)) => self.merge_into_left(ci + 1),
            (None, None) => return false,
        }
        true
    }

    /// Append `chunks[ci]` to `chunks[ci - 1]`.
    fn merge_into_left(&mut self, ci: usize) {
        let moved = self.chunks.remove(ci);
        self.chunks[ci - 1].extend(moved);
    }

    /// Check every structural invariant (tests only).
    #[cfg(test)]
    pub(crate) fn check(&self) {
        let mut total = 0;
        let mut prev: Option<&(Bytes, f64)> = None;
        for (i, c) in self.chunks.iter().enumerate() {
            assert!(!c.is_empty(), "chunk {i} is empty");
            assert!(c.len() <= self.max_chunk, "chunk {i} has {} > {}", c.len(), self.max_chunk);
            assert_eq!(self.prefix(i), total, "fenwick prefix of chunk {i}");
            for e in c {
                if let Some(p) = prev {
                    assert_eq!(cmp_elem(&p.0, p.1, &e.0, e.1), Ordering::Less, "order");
                }
                prev = Some(e);
            }
            total += c.len();
        }
        assert_eq!(total, self.len);
        assert_eq!(self.fenwick.len(), self.chunks.len() + 1);
    }
}

/// Iterator over a rank range of a [`RankedList`].
#[derive(Clone, Debug)]
pub(crate) struct RangeIter<'a> {
    chunks: &'a [Vec<(Bytes, f64)>],
    /// Next element from the front.
    front: (usize, usize),
    /// One past the next element from the back (offset may equal the chunk length).
    back: (usize, usize),
    remaining: usize,
}

impl<'a> Iterator for RangeIter<'a> {
    type Item = (&'a Bytes, f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let (ci, off) = self.front;
        let chunk = &self.chunks[ci];
        self.front = if off + 1 == chunk.len() { (ci + 1, 0) } else { (ci, off + 1) };
        let (m, s) = &chunk[off];
        Some((m, *s))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for RangeIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        if self.back.1 == 0 {
            self.back.0 -= 1;
            self.back.1 = self.chunks[self.back.0].len();
        }
        self.back.1 -= 1;
        let (m, s) = &self.chunks[self.back.0][self.back.1];
        Some((m, *s))
    }
}

impl ExactSizeIterator for RangeIter<'_> {}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;

    fn b(s: impl AsRef<[u8]>) -> Bytes {
        Bytes::copy_from_slice(s.as_ref())
    }

    type Model = Vec<(Bytes, f64)>;

    fn model_insert(model: &mut Model, m: Bytes, s: f64) {
        let pos = model.partition_point(|e| cmp_elem(&e.0, e.1, &m, s) == Ordering::Less);
        model.insert(pos, (m, s));
    }

    fn contents(l: &RankedList) -> Model {
        l.range(0, l.len()).map(|(m, s)| (m.clone(), s)).collect()
    }

    #[test]
    fn random_operations_match_a_sorted_vec() {
        let mut rng = rand::rng();
        for max_chunk in [4, 8, 512] {
            let mut list = RankedList::with_max_chunk(max_chunk);
            let mut model: Model = Vec::new();
            for step in 0..6000 {
                let op = rng.random_range(0..10);
                if op < 6 || model.is_empty() {
                    let m = b(format!("m{}", rng.random_range(0..3000)));
                    if model.iter().any(|e| e.0 == m) {
                        continue;
                    }
                    let s = f64::from(rng.random_range(-50..50));
                    list.insert(m.clone(), s);
                    model_insert(&mut model, m, s);
                } else if op < 9 {
                    let (m, s) = model.remove(rng.random_range(0..model.len()));
                    assert!(list.remove(&m, s));
                    assert!(!list.remove(&m, s));
                } else {
                    let lo = rng.random_range(0..model.len());
                    let hi = (lo + rng.random_range(0..40)).min(model.len());
                    let got = list.remove_range(lo, hi);
                    let want: Model = model.drain(lo..hi).collect();
                    assert_eq!(got, want);
                }
                if step % 97 == 0 {
                    list.check();
                    assert_eq!(contents(&list), model);
                }
            }
            list.check();
            assert_eq!(contents(&list), model);
            for (r, (m, s)) in model.iter().enumerate() {
                assert_eq!(list.rank_of(m, *s), Some(r));
                assert_eq!(list.get(r), Some((m, *s)));
            }
            assert_eq!(list.get(model.len()), None);
        }
    }

    #[test]
    fn ranks_on_10k_elements_with_ties() {
        let mut list = RankedList::with_max_chunk(64);
        let mut model: Model = Vec::new();
        // Insert in a scrambled order; scores collide so ties are broken by member.
        for i in 0..10_000u32 {
            let k = (i * 7919) % 10_000;
            let m = b(format!("{:05}", k));
            let s = f64::from(k % 100);
            list.insert(m.clone(), s);
            model_insert(&mut model, m, s);
        }
        list.check();
        for (r, (m, s)) in model.iter().enumerate() {
            assert_eq!(list.rank_of(m, *s), Some(r));
        }
        assert_eq!(list.rank_of(b"00001", 2.0), None, "wrong score");
        let lo = list.partition_point(|_, s| s < 42.0);
        assert_eq!(lo, model.partition_point(|e| e.1 < 42.0));
        assert_eq!(list.get(lo).unwrap().1, 42.0);
        let mid: Vec<_> = list.range(5000, 5010).rev().map(|(m, _)| m.clone()).collect();
        let want: Vec<_> = model[5000..5010].iter().rev().map(|e| e.0.clone()).collect();
        assert_eq!(mid, want);
    }

    #[test]
    fn iterators_meet_in_the_middle() {
        let mut list = RankedList::with_max_chunk(4);
        for i in 0..50 {
            list.insert(b(format!("{i:02}")), 1.0);
        }
        let mut it = list.range(3, 40);
        assert_eq!(it.len(), 37);
        let mut seen = Vec::new();
        while let Some(front) = it.next() {
            seen.push(front.0.clone());
            if let Some(back) = it.next_back() {
                seen.push(back.0.clone());
            }
        }
        seen.sort();
        let want: Vec<_> = (3..40).map(|i| b(format!("{i:02}"))).collect();
        assert_eq!(seen, want);
        assert_eq!(list.range(10, 5).count(), 0);
        assert_eq!(list.range(45, 100).count(), 5);
    }

    #[test]
    fn negative_zero_ties_with_zero() {
        let mut list = RankedList::new();
        list.insert(b("b"), 0.0);
        list.insert(b("a"), -0.0);
        list.insert(b("c"), -0.0);
        let order: Vec<_> = list.range(0, 3).map(|(m, _)| m.clone()).collect();
        assert_eq!(order, vec![b("a"), b("b"), b("c")]);
        assert_eq!(list.rank_of(b"c", 0.0), Some(2), "0.0 == -0.0 finds the element");
    }

    #[test]
    fn from_sorted_then_mutate() {
        let elems: Model = (0..2000).map(|i| (b(format!("{i:04}")), f64::from(i))).collect();
        let mut list = RankedList::from_sorted(elems.clone());
        list.check();
        assert_eq!(contents(&list), elems);
        assert_eq!(list.remove_range(0, 1999).len(), 1999);
        list.check();
        assert_eq!(list.len(), 1);
        list.insert(b("x"), -1.0);
        list.check();
        assert_eq!(list.get(0).unwrap().0, &b("x"));
    }
}
