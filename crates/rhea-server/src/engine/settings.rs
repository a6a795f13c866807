//! The runtime settings the engine reads on every command, derived from the parameter
//! table ([`crate::config::Config`]) at startup and after each CONFIG SET, so the hot path
//! reads plain integers instead of durations and strings.

use rhea_keyspace::limits::EncodingLimits;

use crate::config::Config;
pub use crate::config::{MaxmemoryPolicy, ProtectedAction};

impl MaxmemoryPolicy {
    pub fn is_lfu(self) -> bool {
        matches!(self, MaxmemoryPolicy::AllkeysLfu | MaxmemoryPolicy::VolatileLfu)
    }

    /// `MAXMEMORY_FLAG_ALLKEYS`: candidates come from every key, not only keys with a TTL.
    pub fn is_allkeys(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::AllkeysLru
                | MaxmemoryPolicy::AllkeysLfu
                | MaxmemoryPolicy::AllkeysRandom
        )
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
    /// Milliseconds; 0 = latency monitor off.
    pub latency_monitor_threshold: u64,
    pub enable_debug_command: ProtectedAction,
    pub maxmemory: u64,
    pub maxmemory_policy: MaxmemoryPolicy,
    /// Keys sampled per database for each eviction (`maxmemory-samples`).
    pub maxmemory_samples: usize,
    /// `maxmemory-eviction-tenacity` (0..=100): how long one eviction cycle may run.
    pub maxmemory_eviction_tenacity: u32,
    /// A replica leaves eviction to its master (`replica-ignore-maxmemory`).
    pub replica_ignore_maxmemory: bool,
    /// `lazyfree-lazy-eviction`: only changes how the deletion is propagated (UNLINK);
    /// memory is always freed synchronously.
    pub lazyfree_lazy_eviction: bool,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub active_expire_effort: u32,
    pub notify_keyspace_events: u32,
    pub proto_max_bulk_len: i64,
    pub encoding: EncodingLimits,
}

impl Settings {
    pub fn from_config(c: &Config) -> Settings {
        Settings {
            port: c.port,
            databases: c.databases,
            requirepass: c.requirepass.clone(),
            protected_mode: c.protected_mode,
            hz: c.hz.max(1),
            timeout: c.timeout.as_secs(),
            maxclients: c.maxclients as usize,
            slowlog_log_slower_than: c.slowlog_log_slower_than,
            slowlog_max_len: c.slowlog_max_len as usize,
            latency_monitor_threshold: c.latency_monitor_threshold.as_millis() as u64,
            enable_debug_command: c.enable_debug_command,
            maxmemory: c.maxmemory,
            maxmemory_policy: c.maxmemory_policy,
            maxmemory_samples: c.maxmemory_samples as usize,
            maxmemory_eviction_tenacity: c.maxmemory_eviction_tenacity,
            replica_ignore_maxmemory: c.replica_ignore_maxmemory,
            lazyfree_lazy_eviction: c.lazyfree_lazy_eviction,
            lfu_log_factor: c.lfu_log_factor,
            lfu_decay_time: c.lfu_decay_time,
            active_expire_effort: c.active_expire_effort,
            notify_keyspace_events: c.notify_keyspace_events,
            proto_max_bulk_len: c.proto_max_bulk_len.min(i64::MAX as u64) as i64,
            encoding: EncodingLimits {
                hash_max_listpack_entries: c.hash_max_listpack_entries,
                hash_max_listpack_value: c.hash_max_listpack_value,
                set_max_intset_entries: c.set_max_intset_entries,
                zset_max_listpack_entries: c.zset_max_listpack_entries,
                zset_max_listpack_value: c.zset_max_listpack_value,
            },
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings::from_config(&Config::default())
    }
}
