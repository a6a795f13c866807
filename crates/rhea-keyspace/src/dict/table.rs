//! One hash table of a [`Dict`](super::Dict): a power-of-two bucket array cut into
//! copy-on-write segments, and its entry count (Redis's `ht_table[i]`, `ht_size_exp[i]`
//! and `ht_used[i]`).
//!
//! A segment is an `Arc`: cloning a table shares its segments, and the first write to a
//! segment that another table still shares copies it, counting the bytes in
//! [`crate::cow`]. A new table's segments all point at one empty template, so creating
//! a table of two million buckets costs a few thousand reference counts instead of
//! zeroing 16 MB in one pause (Redis gets the same from `calloc`'s lazily zeroed pages);
//! each segment gets its own buffer on its first write, which is not a snapshot copy and
//! is not counted.
//!
//! Chain nodes are reference-counted too (a `triomphe::Arc`: one 8-byte count, no weak
//! count, so a keyspace node still fills exactly one 64-byte jemalloc class). Copying a
//! shared segment therefore copies 256 pointers, and a write copies only the nodes on
//! the path to the key it changes ([`node_mut`]): under random writes during a save,
//! whole-segment copies duplicated every entry (the saved dataset twice over), where a
//! forked Redis duplicates the 4 KiB pages that were written.

use std::borrow::Borrow;
use triomphe::Arc;

use super::{CloneCost, KeyTag};

#[derive(Clone)]
pub(super) struct Node<K, V> {
    pub key: K,
    pub val: V,
    pub next: Link<K, V>,
}

pub(super) type Link<K, V> = Option<NodeRef<K, V>>;
pub(super) type NodeRef<K, V> = triomphe::Arc<Node<K, V>>;

/// The node behind `node`, made private to this table: a node a snapshot still shares is
/// copied (key, value and the pointer to the rest of its chain) and the copy counted in
/// [`crate::cow`]. The caller must also have made private every node before it in its
/// chain and the chain's segment, so that the copy is linked in.
pub(super) fn node_mut<K, V>(node: &mut NodeRef<K, V>) -> &mut Node<K, V>
where
    K: Clone + CloneCost,
    V: Clone + CloneCost,
{
    if !node.is_unique() {
        crate::cow::add(node_bytes(node) as u64);
    }
    triomphe::Arc::make_mut(node)
}

/// Take the node out of its `Arc`: moved when this table owned it alone, cloned when a
/// snapshot shares it (then counted in [`crate::cow`]).
pub(super) fn into_node<K, V>(node: NodeRef<K, V>) -> Node<K, V>
where
    K: Clone + CloneCost,
    V: Clone + CloneCost,
{
    triomphe::Arc::try_unwrap(node).unwrap_or_else(|shared| {
        crate::cow::add(node_bytes(&shared) as u64);
        Node::clone(&shared)
    })
}

fn node_bytes<K: CloneCost, V: CloneCost>(n: &Node<K, V>) -> usize {
    size_of::<Node<K, V>>() + n.key.clone_bytes() + n.val.clone_bytes()
}

/// Buckets per copy-on-write segment: small enough that copying one on first write is a
/// few microseconds, large enough that a snapshot of a big table is a few thousand
/// reference counts.
pub const SEGMENT_BUCKETS: usize = 256;
const SEGMENT_BITS: u32 = SEGMENT_BUCKETS.trailing_zeros();

/// A segment's buckets live inside its `Arc` allocation (`Arc<[_]>`, not `Arc<Vec<_>>`):
/// a bucket read is then one pointer chase from the segment list instead of two, which
/// shows on every dict lookup once the table outgrows the cache. The `Arc` is triomphe's,
/// like the nodes': without a weak count, checking that a segment is private (every
/// insert does) is one load, where std's `Arc::get_mut` is a locked compare-exchange —
/// measured at 3% of a replica applying SETs.
pub(super) type Segment<K, V> = [Link<K, V>];

pub(super) struct Table<K, V> {
    pub segments: Vec<Arc<Segment<K, V>>>,
    /// Buckets, a power of two (0 for the unallocated table).
    pub size: usize,
    /// Entries stored.
    pub used: usize,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table { segments: Vec::new(), size: 0, used: 0 }
    }
}

/// Shares every segment: the snapshot half of copy-on-write.
impl<K, V> Clone for Table<K, V> {
    fn clone(&self) -> Self {
        Table { segments: self.segments.clone(), size: self.size, used: self.used }
    }
}

impl<K, V> Table<K, V> {
    /// `size` empty buckets (a power of two), all segments sharing one empty template.
    pub fn with_size(size: usize) -> Self {
        if size == 0 {
            return Table::default();
        }
        let per = size.min(SEGMENT_BUCKETS);
        let template: Arc<Segment<K, V>> = (0..per).map(|_| None).collect::<Vec<_>>().into();
        Table { segments: vec![template; size / per], size, used: 0 }
    }

    pub fn mask(&self) -> usize {
        self.size.wrapping_sub(1)
    }

    pub fn bucket(&self, idx: usize) -> &Link<K, V> {
        &self.segments[idx >> SEGMENT_BITS][idx & (SEGMENT_BUCKETS - 1)]
    }

    /// The node holding `key` in bucket `idx` and its position in the chain (0 = the
    /// head), without copying anything. `tag` is [`KeyTag::tag_of`] the key's hash: a
    /// node whose key carries another tag is passed without reading the key.
    pub fn find<Q>(&self, idx: usize, tag: u8, key: &Q) -> Option<(usize, &Node<K, V>)>
    where
        K: Borrow<Q> + KeyTag,
        Q: Eq + ?Sized,
    {
        let mut link = self.bucket(idx).as_deref();
        let mut pos = 0;
        while let Some(node) = link {
            if node.key.tag_matches(tag) && node.key.borrow() == key {
                return Some((pos, node));
            }
            link = node.next.as_deref();
            pos += 1;
        }
        None
    }

    /// Bytes of the bucket array (Redis's `dictSlots * sizeof(dictEntry*)`).
    pub fn bucket_bytes(&self) -> usize {
        self.size * size_of::<Link<K, V>>()
    }
}

impl<K: Clone + CloneCost, V: Clone + CloneCost> Table<K, V> {
    /// Segment `seg`, made private to this table: a segment holding entries that another
    /// table shares is copied (and counted in [`crate::cow`]); a shared empty one (the
    /// template, or empty in the snapshot too) is replaced by a fresh buffer.
    pub fn segment_mut(&mut self, seg: usize) -> &mut Segment<K, V> {
        let arc = &mut self.segments[seg];
        if Arc::get_mut(arc).is_none() {
            let private: Vec<Link<K, V>> = if arc.iter().all(Option::is_none) {
                (0..arc.len()).map(|_| None).collect()
            } else {
                crate::cow::add(segment_bytes(arc));
                arc.to_vec()
            };
            *arc = private.into();
        }
        Arc::get_mut(arc).expect("the segment was just made private")
    }

    pub fn bucket_mut(&mut self, idx: usize) -> &mut Link<K, V> {
        &mut self.segment_mut(idx >> SEGMENT_BITS)[idx & (SEGMENT_BUCKETS - 1)]
    }

    /// The link holding node `pos` of bucket `idx`'s chain (as [`Table::find`] numbered
    /// it), the segment and the nodes before it made private. Compares no keys: the
    /// lookup that gave `pos` already did, and read the nodes this walk follows again.
    pub fn link_at_mut(&mut self, idx: usize, pos: usize) -> &mut Link<K, V> {
        let mut link = self.bucket_mut(idx);
        for _ in 0..pos {
            let node = link.as_mut().expect("find counted this many nodes");
            link = &mut node_mut(node).next;
        }
        link
    }

    /// Push a node at the head of bucket `idx` (Redis inserts at the head too: recent
    /// keys are the likeliest to be read again).
    pub fn push(&mut self, idx: usize, node: Node<K, V>) -> &mut Node<K, V> {
        self.push_ref(idx, triomphe::Arc::new(node))
    }

    /// [`Table::push`] for a node already behind its `Arc` (a rehash moving it).
    pub fn push_ref(&mut self, idx: usize, mut node: NodeRef<K, V>) -> &mut Node<K, V> {
        self.used += 1;
        let slot = self.bucket_mut(idx);
        node_mut(&mut node).next = slot.take();
        node_mut(slot.insert(node))
    }

    /// Every bucket, in order, for whole-table rewrites (`retain`, `for_each_mut`):
    /// segments holding entries are made private, empty ones are skipped untouched.
    pub fn for_each_bucket_mut(&mut self, mut f: impl FnMut(&mut Link<K, V>)) {
        for s in 0..self.segments.len() {
            if self.segments[s].iter().all(Option::is_none) {
                continue;
            }
            self.segment_mut(s).iter_mut().for_each(&mut f);
        }
    }
}

/// Heap bytes of a segment's copy, for the copy-on-write statistics: its bucket array
/// (the nodes stay shared until written, see [`node_mut`]).
fn segment_bytes<K, V>(seg: &Segment<K, V>) -> u64 {
    std::mem::size_of_val(seg) as u64
}

/// Unlink chains iteratively when this table was a segment's last owner: dropping a long
/// chain recursively could overflow the stack. A node a snapshot still shares ends the
/// walk (dropping our reference only decrements it).
impl<K, V> Drop for Table<K, V> {
    fn drop(&mut self) {
        for mut seg in std::mem::take(&mut self.segments) {
            if let Some(owned) = Arc::get_mut(&mut seg) {
                for link in owned.iter_mut() {
                    let mut cur = link.take();
                    while let Some(node) = cur {
                        cur = triomphe::Arc::try_unwrap(node).ok().and_then(|mut n| n.next.take());
                    }
                }
            }
        }
    }
}
