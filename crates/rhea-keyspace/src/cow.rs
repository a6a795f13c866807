//! Bytes copied because a snapshot shared them: the copy-on-write cost of a BGSAVE.
//!
//! A forked Redis child shares pages with its parent, and the kernel copies a page on its
//! first write; Redis reports that as `current_cow_size` and does not count the child in
//! the parent's `used_memory`. Rhea's snapshot shares `Dict` segments and values behind
//! `Arc`s instead; the engine side copies them on first write (and keeps the old ones
//! alive while the snapshot holds them). This counter estimates those bytes so the engine
//! can report them and leave them out of the maxmemory computation, as Redis leaves out
//! the child.
//!
//! It is process-wide, like the allocator statistics it complements: only the engine
//! thread mutates shared structures (snapshots are read-only), and it resets the counter
//! when the snapshot is dropped.

use std::sync::atomic::{AtomicU64, Ordering};

static COPIED: AtomicU64 = AtomicU64::new(0);

/// Record `bytes` copied (or kept alive only for a snapshot).
pub fn add(bytes: u64) {
    COPIED.fetch_add(bytes, Ordering::Relaxed);
}

/// Bytes recorded since the last [`reset`].
pub fn bytes() -> u64 {
    COPIED.load(Ordering::Relaxed)
}

/// The snapshot is gone: nothing is held for it any more.
pub fn reset() {
    COPIED.store(0, Ordering::Relaxed);
}
