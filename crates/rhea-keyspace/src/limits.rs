//! The size limits that decide when a hash, set or sorted set leaves its compact
//! encoding: Redis 7.0's `hash-max-listpack-*`, `set-max-intset-entries` and
//! `zset-max-listpack-*` configs.
//!
//! The config table owns the values; the value types only read them, at the moment a
//! mutation might convert (conversion is one-way, so a later CONFIG SET never converts
//! an existing value back, exactly as in Redis).

/// Compact-encoding limits, one field per Redis config parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodingLimits {
    /// `hash-max-listpack-entries`: most fields a listpack hash may hold.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value`: longest field or value (bytes) a listpack hash may hold.
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries`: most members an intset may hold.
    pub set_max_intset_entries: usize,
    /// `zset-max-listpack-entries`: most members a listpack sorted set may hold.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value`: longest member (bytes) a listpack sorted set may hold.
    pub zset_max_listpack_value: usize,
}

impl Default for EncodingLimits {
    /// Redis 7.0's compiled-in defaults (`config.c`; the shipped redis.conf lowers
    /// `hash-max-listpack-entries` to 128).
    fn default() -> Self {
        EncodingLimits {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
        }
    }
}
