//! # rhea-sys: the one place allowed to use `unsafe`
//!
//! Owns the process-wide memory counter behind `used_memory` and `maxmemory`: a global
//! allocator ([`CountingAlloc`]) that wraps jemalloc and keeps the number of live heap
//! bytes in one atomic, as Redis's `zmalloc` keeps `used_memory`.
//!
//! ## Why jemalloc (as Redis)
//! With glibc malloc, measured on the BGSAVE-under-load benchmark (1M keys, 2 cores):
//! dropping a snapshot's nodes from the saver thread made the engine's next allocations
//! run `malloc_consolidate` (50–150 ms stalls), and heap growth took the address-space
//! lock in `mprotect`; SET p99 during the save was 7.7 ms, GET 5.9 ms, and the startup
//! load 1.57× Redis's time. With jemalloc (thread caches, no consolidation): 2.6 ms,
//! 2.4 ms and 1.26×. jemalloc is built with unprefixed symbols, so C code and
//! `malloc_usable_size` in this process all use it too.
//! The binary installs it with `#[global_allocator]`; the server reads [`allocated`].
//! Also: [`lower_thread_priority`] for the background saver, [`release_free_memory`]
//! after a snapshot, and [`ThinBytes`], a byte
//! string one pointer wide (its length inside the allocation), which keeps the
//! keyspace's dict node in the 48-byte size class (see `thin.rs`).
//!
//! Why `unsafe` is needed: implementing [`GlobalAlloc`] is an `unsafe impl` by definition
//! (the trait's contract cannot be checked by the compiler), and forwarding to
//! jemalloc and asking it for a block's usable size are `unsafe` calls. [`ThinBytes`]
//! allocates its own block (length header, then the bytes) and reads it back through raw
//! pointers. Those are the only places: the crate denies `unsafe_code` and allows it on
//! the allocator impl, the priority and purge calls and the `thin` module alone; the rest of the
//! workspace forbids it.
//!
//! ## What is counted
//! Every block is counted at its *usable* size (jemalloc's size class, computed with
//! `nallocx` from the request), not the size asked for, as Redis does (`zmalloc_size`): a 10-byte request
//! occupies a 16-byte block, and maxmemory must see the 16. RSS stays somewhat above
//! [`allocated`] (INFO reports the ratio as `mem_fragmentation_ratio`).
//!
//! ## Cost
//! One relaxed `fetch_add`/`fetch_sub` on a shared counter per allocation and free, plus
//! a size-class lookup: a table filled from `nallocx` for requests up to 4 KiB, `nallocx`
//! above (`malloc_usable_size` reads the block's metadata, and showed up at 3% of a
//! replica's profile, mostly cache misses on free).
//! Threads allocating concurrently (the engine and the I/O runtime) share the counter's
//! cache line. Measured with redis-benchmark against the same binary built without it
//! (50 clients, 2-core machine): within 1-2% without pipelining; with 32-command
//! pipelines 0-15% fewer requests per second, MSET (many allocations per command) at
//! the worst end. If that matters, per-thread counters summed on read are the next step.
//!
//! ## Caveats
//! * Memory obtained outside the global allocator (thread stacks, `mmap` by libraries,
//!   the binary's own pages) is not counted, as in Redis.
//! * [`is_installed`] turns true on the first allocation through [`CountingAlloc`]; in a
//!   process that never installed it (unit tests) [`allocated`] stays 0, and callers
//!   fall back to another measure (the server uses RSS).
//! * Linux only (the whole stack targets Linux). Building jemalloc needs a C compiler and
//!   `make`, and adds about a minute to a clean build.

#![deny(unsafe_code)]

pub mod thin;
pub use thin::ThinBytes;

use std::alloc::{GlobalAlloc, Layout};

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use tikv_jemallocator::Jemalloc;

/// Live bytes handed out by [`CountingAlloc`] (usable sizes).
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
/// Set by the first allocation that goes through [`CountingAlloc`].
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Bytes currently allocated through [`CountingAlloc`] (Redis's `zmalloc_used_memory`).
/// 0 if it is not the global allocator of this process.
pub fn allocated() -> u64 {
    ALLOCATED.load(Ordering::Relaxed) as u64
}

/// Whether [`CountingAlloc`] is this process's global allocator (so [`allocated`] means
/// something).
pub fn is_installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// A global allocator that forwards to jemalloc and counts live bytes.
///
/// ```
/// #[global_allocator]
/// static ALLOC: rhea_sys::CountingAlloc = rhea_sys::CountingAlloc;
///
/// fn main() {
///     let v = vec![1u8; 1000];
///     assert!(rhea_sys::is_installed() && rhea_sys::allocated() >= 1000);
///     drop(v);
/// }
/// ```
pub struct CountingAlloc;

/// jemalloc's size class for a request of `size` bytes aligned to `align`: what
/// `malloc_usable_size` reports for such a block, computed from the request alone
/// (`nallocx`, a table lookup) instead of reading the block's metadata (a radix-tree walk
/// and a likely cache miss on every free). The flags mirror how `Jemalloc` itself
/// allocates (`MALLOCX_LG_ALIGN` only for alignments the small classes do not give).
fn class_size(size: usize, align: usize) -> usize {
    const MIN_ALIGN: usize = 16;
    let flags = if align <= MIN_ALIGN && align <= size { 0 } else { align.trailing_zeros() as i32 };
    if flags == 0 && size <= SMALL_TABLE_MAX {
        return small_class_size(size);
    }
    nallocx(size, flags)
}

fn nallocx(size: usize, flags: i32) -> usize {
    #[allow(unsafe_code)]
    // SAFETY: nallocx only computes a size; its one precondition, a non-zero size, holds.
    unsafe {
        tikv_jemalloc_sys::nallocx(size.max(1), flags)
    }
}

/// Requests up to this size take their class from [`SMALL_CLASSES`].
const SMALL_TABLE_MAX: usize = 4096;
/// jemalloc's size class for each 8-byte granule of request size up to
/// [`SMALL_TABLE_MAX`], filled on first use (0 = not yet asked). Every jemalloc class is
/// a multiple of 8, so a request and its size rounded up to 8 share a class. Why: `nallocx`
/// goes through jemalloc's thread-state lookup, and with two calls per allocation (alloc
/// and free) it was 7% of a replica's instructions applying SETs; this is one load.
static SMALL_CLASSES: [AtomicU16; SMALL_TABLE_MAX / 8 + 1] =
    [const { AtomicU16::new(0) }; SMALL_TABLE_MAX / 8 + 1];

fn small_class_size(size: usize) -> usize {
    let granule = size.div_ceil(8);
    let known = SMALL_CLASSES[granule].load(Ordering::Relaxed);
    if known != 0 {
        return known as usize;
    }
    let class = nallocx(size, 0);
    // Racing threads store the same value; classes up to 4096 fit in a u16.
    SMALL_CLASSES[granule].store(class as u16, Ordering::Relaxed);
    class
}

#[allow(unsafe_code)]
// SAFETY (for the whole impl): every method forwards to `Jemalloc` with the caller's
// arguments, so the caller's obligations under `GlobalAlloc` pass through unchanged. The
// counting only computes size classes from the layouts (`class_size`).
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { Jemalloc.alloc(layout) };
        if !p.is_null() {
            added(class_size(layout.size(), layout.align()));
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { Jemalloc.alloc_zeroed(layout) };
        if !p.is_null() {
            added(class_size(layout.size(), layout.align()));
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { Jemalloc.dealloc(ptr, layout) };
        ALLOCATED.fetch_sub(class_size(layout.size(), layout.align()), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { Jemalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // On failure the old block is still live and still counted.
            let old = class_size(layout.size(), layout.align());
            let new = class_size(new_size, layout.align());
            if new >= old {
                added(new - old);
            } else {
                ALLOCATED.fetch_sub(old - new, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Return jemalloc's free pages to the kernel now (`arena.<all>.purge`), rather than
/// after its dirty-page decay (10 s). Called when a snapshot is dropped: its
/// copy-on-write copies die inside this process, where a forked Redis child's copies
/// leave with the child, and the kernel takes them back at once. Returns false if
/// jemalloc refused (it is then harmless: the pages are reused or decay later).
pub fn release_free_memory() -> bool {
    // MALLCTL_ARENAS_ALL is 4096 in jemalloc 5.
    const NAME: &[u8] = b"arena.4096.purge\0";
    #[allow(unsafe_code)]
    // SAFETY: a NUL-terminated name, and null old/new pointers with zero lengths, which
    // is how a void mallctl is called.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            NAME.as_ptr().cast(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
    rc == 0
}

/// Count `n` new bytes, and note that the counting allocator is in use. The flag is read
/// before it is written so the common path stays a plain load, not a store per call.
#[inline]
fn added(n: usize) {
    ALLOCATED.fetch_add(n, Ordering::Relaxed);
    if !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
}

/// Lower the calling thread's scheduling priority to `nice` (0..=19), as a background
/// job (the BGSAVE serialiser) should yield the CPU to the engine and the I/O threads:
/// a forked Redis child competes with one thread, Rhea's saver with two. Best effort:
/// returns false if the kernel refused.
pub fn lower_thread_priority(nice: i32) -> bool {
    #[allow(unsafe_code)]
    // SAFETY: gettid has no preconditions; setpriority only reads its integer
    // arguments, and PRIO_PROCESS with a thread id applies to that thread on Linux.
    let rc = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice.clamp(0, 19))
    };
    rc == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test binary installs the allocator, so the test exercises the real path.
    #[global_allocator]
    static ALLOC: CountingAlloc = CountingAlloc;

    /// Other threads of the test harness allocate and free too, so deltas get a small
    /// margin either way.
    const NOISE: u64 = 64 * 1024;

    /// Tests that allocate megabytes take this, so that they do not run during
    /// `counts_live_bytes`, whose margins are kilobytes.
    static ALLOCATING: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn counts_live_bytes() {
        let _alone = ALLOCATING.lock().unwrap();
        assert!(is_installed());
        let before = allocated();
        let mut v: Vec<u8> = Vec::with_capacity(1 << 20);
        v.push(1);
        let grown = allocated() - before;
        assert!(grown.abs_diff(1 << 20) < NOISE, "{grown}");
        v.reserve_exact(4 << 20); // realloc to 4 MiB + 1: jemalloc's 5 MiB size class
        let grown = allocated() - before;
        assert!(grown.abs_diff(5 << 20) < NOISE, "{grown}");
        drop(v);
        assert!(allocated().abs_diff(before) < NOISE);
        // Many boxes, so that the harness's own allocations in other threads (a few KB)
        // do not move the average.
        let mut boxes: Vec<Box<[u8; 10]>> = Vec::with_capacity(50_000);
        let with_vec = allocated();
        boxes.extend((0..50_000).map(|_| Box::new([0u8; 10])));
        let per_box = (allocated() - with_vec) as f64 / 50_000.0;
        // jemalloc's size class for 10 bytes is 16, counted as such (not the 10 asked).
        assert!((per_box - 16.0).abs() < 0.5, "{per_box}");
        drop(boxes);
        assert!(allocated().abs_diff(before) < NOISE);
    }

    /// jemalloc accepts the purge of every arena (a wrong name or arena index would be
    /// refused with an error code).
    #[test]
    fn free_memory_is_released() {
        let _alone = ALLOCATING.lock().unwrap();
        let v: Vec<Vec<u8>> = (0..1000).map(|_| vec![1u8; 4096]).collect();
        drop(v);
        assert!(release_free_memory());
    }

    #[test]
    fn lowered_priority_shows_in_the_threads_nice_value() {
        let nice = std::thread::spawn(|| {
            assert!(super::lower_thread_priority(10));
            let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
            // Fields after the parenthesised command name; nice is field 19 overall.
            let rest = &stat[stat.rfind(')').unwrap() + 2..];
            rest.split(' ').nth(16).unwrap().parse::<i32>().unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(nice, 10);
    }
}

#[cfg(test)]
mod class_tests {
    use super::*;

    /// The table answers what `nallocx` answers, on first use and once filled, for
    /// every request size it covers and across its upper edge.
    #[test]
    fn small_class_table_matches_nallocx() {
        for _ in 0..2 {
            for size in 0..=SMALL_TABLE_MAX + 64 {
                for align in [1, 8, 16] {
                    let flags = if align <= size { 0 } else { align.trailing_zeros() as i32 };
                    assert_eq!(class_size(size, align), nallocx(size, flags), "size {size}");
                }
            }
        }
        assert_eq!(class_size(10, 8), 16);
        assert_eq!(class_size(40, 8), 48);
    }
}
