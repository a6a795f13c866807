//! The runtime settings the engine reads on every command, copied out of the parameter
//! table at startup and after each CONFIG SET (so the hot path reads plain fields).

use rhea_keyspace::limits::EncodingLimits;

/// `enable-debug-command` / `enable-protected-configs`: who may run protected commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    No,
    Local,
    Yes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvictionPolicy {
    NoEviction,
    AllKeysLru,
    VolatileLru,
    AllKeysLfu,
    VolatileLfu,
    AllKeysRandom,
    VolatileRandom,
    VolatileTtl,
}

impl EvictionPolicy {
    pub fn is_lfu(self) -> bool {
        matches!(self, EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu)
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub port: u16,
    pub databases: usize,
    pub requirepass: Option<Vec<u8>>,
    pub protected_mode: bool,
    pub hz: u32,
    /// Idle client timeout in seconds (0 = never).
    pub timeout: u64,
    pub maxclients: usize,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: usize,
    pub latency_monitor_threshold: u64,
    pub enable_debug_command: Protection,
    pub maxmemory: u64,
    pub maxmemory_policy: EvictionPolicy,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub active_expire_effort: u32,
    pub notify_keyspace_events: u32,
    pub encoding: EncodingLimits,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            port: 6379,
            databases: 16,
            requirepass: None,
            protected_mode: true,
            hz: 10,
            timeout: 0,
            maxclients: 10000,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            enable_debug_command: Protection::No,
            maxmemory: 0,
            maxmemory_policy: EvictionPolicy::NoEviction,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            active_expire_effort: 1,
            notify_keyspace_events: 0,
            encoding: EncodingLimits::default(),
        }
    }
}
