//! Memory accounting: what `used_memory` is, and the figures kept around it (the startup
//! baseline, the peak, and memory that does not count against `maxmemory`).
//!
//! `used_memory` is the live byte count of the counting allocator in `rhea-sys`, which
//! the binary installs as the global allocator: every heap block of the process, keys
//! and values as well as client buffers and the I/O runtime's allocations, as Redis's
//! `zmalloc_used_memory` counts every zmalloc. Eviction compares it with `maxmemory`.
//!
//! ## Caveats
//! * A process without the counting allocator (unit tests of this crate) falls back to
//!   the resident set size, so INFO stays plausible; RSS rarely shrinks after frees, so
//!   eviction under that fallback would be far too eager. Only the binary enforces
//!   `maxmemory` meaningfully.
//! * The RSS is read from `/proc` when asked (Redis samples it in `serverCron`).

/// The memory figures the engine tracks over time.
#[derive(Clone, Debug, Default)]
pub struct Memory {
    /// `used_memory` once the server was initialised, before loading data
    /// (`used_memory_startup`, Redis's `initial_memory_usage`).
    pub startup: u64,
    /// The highest `used_memory` seen by the cron or by INFO (`used_memory_peak`).
    pub peak: u64,
    /// Bytes included in `used_memory` that must not drive eviction
    /// (`mem_not_counted_for_evict`, Redis's `freeMemoryGetNotCountedMemory`: replica
    /// output buffers beyond the backlog and the AOF buffer). A subsystem whose memory
    /// is transient and must not evict keys adds its bytes here and subtracts them when
    /// done. The BGSAVE snapshot's copy-on-write bytes are added on top by
    /// [`Server::mem_not_counted_for_evict`] (a forked child's memory is not in Redis's
    /// parent either).
    pub not_counted_for_evict: u64,
}

impl Memory {
    /// Start tracking from the current usage.
    pub fn new() -> Memory {
        let now = used();
        Memory { startup: now, peak: now, not_counted_for_evict: 0 }
    }

    /// Raise the peak to the current usage, as `serverCron` and INFO do; returns the
    /// current usage.
    pub fn update_peak(&mut self) -> u64 {
        let now = used();
        self.peak = self.peak.max(now);
        now
    }
}

/// `used_memory`: live heap bytes, or the RSS where the counting allocator is absent.
pub fn used() -> u64 {
    if rhea_sys::is_installed() { rhea_sys::allocated() } else { rss() }
}

/// Resident set size in bytes (`used_memory_rss`).
pub fn rss() -> u64 {
    proc_kb("/proc/self/status", "VmRSS:") * 1024
}

/// A `Name:   123 kB` line of a /proc file, in kB (0 if absent).
pub fn proc_kb(path: &str, field: &str) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

impl super::Server {
    /// `mem_not_counted_for_evict`: the registered bytes plus, during a BGSAVE, what the
    /// engine copied or let go of while the snapshot shares it ([`rhea_keyspace::cow`]).
    pub fn mem_not_counted_for_evict(&self) -> u64 {
        let cow = if self.persist.bgsave.is_some() { rhea_keyspace::cow::bytes() } else { 0 };
        self.memory.not_counted_for_evict + cow
    }

    /// The memory that counts against `maxmemory`.
    pub fn counted_memory(&self) -> u64 {
        used().saturating_sub(self.mem_not_counted_for_evict())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_rss_without_the_counting_allocator() {
        assert!(!rhea_sys::is_installed(), "unit tests run on the system allocator");
        let r = rss();
        assert!(r > 1 << 20, "a test process has at least 1 MiB resident: {r}");
        let u = used();
        assert!(u.abs_diff(r) < 16 << 20, "used {u} should be the RSS {r}");
        let mut m = Memory::new();
        assert!(m.peak >= m.startup && m.not_counted_for_evict == 0);
        m.peak = 0;
        assert!(m.update_peak() > 0 && m.peak > 0);
    }
}
