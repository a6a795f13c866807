//! [`ThinBytes`]: an immutable byte string behind one 8-byte pointer, its length stored in
//! front of the bytes (as Redis's sds keeps its header in front of the string).
//!
//! Why: the keyspace stores a key and a short string value in every dict node. As
//! `Box<[u8]>` each costs 16 bytes inline (pointer and length); as `ThinBytes` 8, and the
//! length costs 4 bytes inside the allocation, which for typical keys and values stays in
//! the same jemalloc size class (a 10-byte key: 14 → the 16-byte class either way; a
//! 100-byte value: 104 → 112). That takes the keyspace node from 64 to 48 bytes.
//!
//! Layout of the allocation (alignment 1): `[len: u32 native-endian][bytes]`; a length of
//! `u32::MAX` or more is written as `u32::MAX` followed by the real length as a `u64`,
//! so every length a `Vec` can hold is representable.
//!
//! ## The tag
//! The pointer's top [`TAG_BITS`] bits are free (user-space addresses fit in 57 bits even
//! with 5-level paging) and hold a small tag that the owner may set: the keyspace dict
//! stores there a few bits of the key's hash, so a chain walk can skip a node whose tag
//! differs without reading the key's allocation — on a large keyspace that read is a
//! cache miss per visited node, the single biggest cost of a lookup that misses. The tag
//! is not part of the value: equality, hashing and ordering ignore it; a clone keeps it.

#![allow(unsafe_code)]

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::ptr::NonNull;

const SHORT_HEADER: usize = size_of::<u32>();
const LONG_HEADER: usize = SHORT_HEADER + size_of::<u64>();
const LONG_MARK: u32 = u32::MAX;

/// Bits of tag kept in the pointer's top bits (see the module docs).
pub const TAG_BITS: u32 = 7;
const TAG_SHIFT: u32 = usize::BITS - TAG_BITS;
const ADDR_MASK: usize = usize::MAX >> TAG_BITS;

/// An owned, immutable `[u8]` that is one pointer wide.
pub struct ThinBytes {
    /// Points at the header, with the tag in the top [`TAG_BITS`] bits; the allocation
    /// was made with [`layout_for`] of the length.
    ptr: NonNull<u8>,
}

// SAFETY: ThinBytes owns its allocation exclusively (like `Box<[u8]>`) and never mutates
// it after construction, so moving it or sharing `&ThinBytes` across threads is sound.
unsafe impl Send for ThinBytes {}
// SAFETY: see `Send`; `&ThinBytes` only gives out `&[u8]`.
unsafe impl Sync for ThinBytes {}

fn header_for(len: usize) -> usize {
    if len < LONG_MARK as usize { SHORT_HEADER } else { LONG_HEADER }
}

fn layout_for(len: usize) -> Layout {
    let size = header_for(len).checked_add(len).expect("byte string length overflows usize");
    Layout::from_size_align(size, 1).expect("byte string too large to allocate")
}

impl ThinBytes {
    pub fn new(bytes: &[u8]) -> ThinBytes {
        let len = bytes.len();
        let layout = layout_for(len);
        // SAFETY: `layout` has a non-zero size (the header is at least 4 bytes).
        let raw = unsafe { alloc(layout) };
        let Some(ptr) = NonNull::new(raw) else { handle_alloc_error(layout) };
        // A tag must never alter the address; no Linux user-space address reaches here.
        assert!(raw.addr() & !ADDR_MASK == 0, "allocation above the 57-bit address space");
        let header = header_for(len);
        // SAFETY: the allocation is `header + len` bytes; the header writes stay within
        // its first `header` bytes and the copy fills exactly the following `len`;
        // `bytes` cannot overlap a block we just allocated.
        unsafe {
            if header == SHORT_HEADER {
                raw.cast::<[u8; 4]>().write((len as u32).to_ne_bytes());
            } else {
                raw.cast::<[u8; 4]>().write(LONG_MARK.to_ne_bytes());
                raw.add(SHORT_HEADER).cast::<[u8; 8]>().write((len as u64).to_ne_bytes());
            }
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), raw.add(header), len);
        }
        ThinBytes { ptr }
    }

    /// The allocation's address, the tag stripped.
    fn raw(&self) -> *mut u8 {
        self.ptr.as_ptr().map_addr(|a| a & ADDR_MASK)
    }

    /// The tag (0 until [`ThinBytes::set_tag`]).
    pub fn tag(&self) -> u8 {
        (self.ptr.as_ptr().addr() >> TAG_SHIFT) as u8
    }

    /// Keep `tag`'s low [`TAG_BITS`] bits in the pointer.
    pub fn set_tag(&mut self, tag: u8) {
        let tag = (tag as usize & ((1 << TAG_BITS) - 1)) << TAG_SHIFT;
        let raw = self.raw().map_addr(|a| a | tag);
        // SAFETY: `raw` is the allocation's non-null address (`new` asserted that it
        // leaves the tag bits clear) with bits added, so it is non-null too.
        self.ptr = unsafe { NonNull::new_unchecked(raw) };
    }

    pub fn len(&self) -> usize {
        // SAFETY: every ThinBytes starts with a 4-byte header, and a long one with 12;
        // both were written in `new` before the pointer escaped.
        unsafe {
            let short = u32::from_ne_bytes(self.raw().cast::<[u8; 4]>().read());
            if short != LONG_MARK {
                return short as usize;
            }
            u64::from_ne_bytes(self.raw().add(SHORT_HEADER).cast::<[u8; 8]>().read()) as usize
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn as_slice(&self) -> &[u8] {
        let len = self.len();
        // SAFETY: the `len` bytes after the header were initialised in `new`, live as
        // long as `self`, and are never written again.
        unsafe { std::slice::from_raw_parts(self.raw().add(header_for(len)), len) }
    }
}

impl Drop for ThinBytes {
    fn drop(&mut self) {
        // SAFETY: the block was allocated in `new` with exactly this layout (the length,
        // and so the layout, never changes) and is freed only here.
        unsafe { dealloc(self.raw(), layout_for(self.len())) }
    }
}

impl Clone for ThinBytes {
    fn clone(&self) -> ThinBytes {
        let mut copy = ThinBytes::new(self.as_slice());
        copy.set_tag(self.tag());
        copy
    }
}

impl Default for ThinBytes {
    fn default() -> ThinBytes {
        ThinBytes::new(&[])
    }
}

impl Deref for ThinBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for ThinBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

/// Lookups by `&[u8]` in maps keyed by `ThinBytes` require the same `Eq` and `Hash` as
/// the slice's, which the impls below delegate to.
impl Borrow<[u8]> for ThinBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for ThinBytes {
    fn eq(&self, other: &ThinBytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for ThinBytes {}

impl Hash for ThinBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl PartialOrd for ThinBytes {
    fn partial_cmp(&self, other: &ThinBytes) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ThinBytes {
    fn cmp(&self, other: &ThinBytes) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl std::fmt::Debug for ThinBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_slice().escape_ascii().to_string())
    }
}

impl From<&[u8]> for ThinBytes {
    fn from(bytes: &[u8]) -> ThinBytes {
        ThinBytes::new(bytes)
    }
}

impl From<Vec<u8>> for ThinBytes {
    fn from(bytes: Vec<u8>) -> ThinBytes {
        ThinBytes::new(&bytes)
    }
}

/// The header arithmetic only; round trips and map behaviour are in `tests/thin.rs` (a
/// separate test binary, so its allocations do not disturb the allocator-counting test).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_header_is_used_from_u32_max() {
        // A real 4 GiB string is too big for a test; check the header logic directly.
        assert_eq!(header_for(u32::MAX as usize - 1), SHORT_HEADER);
        assert_eq!(header_for(u32::MAX as usize), LONG_HEADER);
        assert_eq!(layout_for(10).size(), 14);
    }
}
