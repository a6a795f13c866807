//! The typed [`Config`] the rest of the server reads: one plain field per parameter the
//! server acts on, so the hot path never parses or looks anything up. Parameters Rhea only
//! has to accept and echo back (the inert and default-only rows of the table) live in a
//! small side map instead of a field each.
//!
//! Field docs name the redis.conf directive. Durations are [`Duration`]s; byte sizes are
//! `u64`/`usize`; values that keep Redis's sentinel meaning (`-1` disables, negative means
//! percent…) say so.

use std::collections::BTreeMap;
use std::time::Duration;

/// Declares a Redis enum parameter: the Rust enum, and the `(name, value)` table in
/// Redis's order (the order its "must be one of the following" error lists them in).
macro_rules! config_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $var),+
        }

        impl $name {
            /// Redis's names for the values, in its table order.
            pub(crate) const NAMES: &'static [(&'static str, u32)] =
                &[$(($text, $name::$var as u32)),+];

            /// The name CONFIG GET shows.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$var => $text),+
                }
            }

            pub(crate) fn from_u32(v: u32) -> $name {
                const ALL: &[$name] = &[$($name::$var),+];
                ALL.iter().copied().find(|x| *x as u32 == v).unwrap_or(ALL[0])
            }
        }
    };
}

config_enum! {
    /// `loglevel`.
    LogLevel { Debug = "debug", Verbose = "verbose", Notice = "notice", Warning = "warning" }
}

config_enum! {
    /// `maxmemory-policy`.
    MaxmemoryPolicy {
        VolatileLru = "volatile-lru",
        VolatileLfu = "volatile-lfu",
        VolatileRandom = "volatile-random",
        VolatileTtl = "volatile-ttl",
        AllkeysLru = "allkeys-lru",
        AllkeysLfu = "allkeys-lfu",
        AllkeysRandom = "allkeys-random",
        NoEviction = "noeviction",
    }
}

config_enum! {
    /// `enable-debug-command`, `enable-protected-configs`: who may use the feature
    /// (`local` = connections from loopback or the unix socket).
    ProtectedAction { No = "no", Yes = "yes", Local = "local" }
}

config_enum! {
    /// `repl-diskless-load`.
    ReplDisklessLoad { Disabled = "disabled", OnEmptyDb = "on-empty-db", Swapdb = "swapdb" }
}

config_enum! {
    /// `propagation-error-behavior`: what a replica does when a propagated command fails.
    PropagationErrorBehavior { Ignore = "ignore", Panic = "panic", PanicOnReplicas = "panic-on-replicas" }
}

/// `shutdown-on-sigint` / `shutdown-on-sigterm`: a set of SHUTDOWN flags (empty set is
/// `default`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ShutdownFlags(pub u32);

impl ShutdownFlags {
    pub const SAVE: u32 = 1;
    pub const NOSAVE: u32 = 2;
    pub const NOW: u32 = 4;
    pub const FORCE: u32 = 8;
    pub(crate) const NAMES: &'static [(&'static str, u32)] =
        &[("default", 0), ("save", 1), ("nosave", 2), ("now", 4), ("force", 8)];

    pub fn has(self, flag: u32) -> bool {
        self.0 & flag != 0
    }
}

/// One class of `client-output-buffer-limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObufLimit {
    /// Disconnect as soon as the output buffer exceeds this (0 = no limit).
    pub hard_bytes: u64,
    /// Disconnect when the buffer stays above this for `soft_seconds` (0 = no limit).
    pub soft_bytes: u64,
    pub soft_seconds: u64,
}

/// `client-output-buffer-limit`, per client class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOutputBufferLimits {
    pub normal: ObufLimit,
    pub replica: ObufLimit,
    pub pubsub: ObufLimit,
}

impl ClientOutputBufferLimits {
    pub(crate) fn class(&self, i: usize) -> &ObufLimit {
        [&self.normal, &self.replica, &self.pubsub][i]
    }

    pub(crate) fn class_mut(&mut self, i: usize) -> &mut ObufLimit {
        match i {
            0 => &mut self.normal,
            1 => &mut self.replica,
            _ => &mut self.pubsub,
        }
    }
}

impl Default for ClientOutputBufferLimits {
    fn default() -> Self {
        ClientOutputBufferLimits {
            normal: ObufLimit { hard_bytes: 0, soft_bytes: 0, soft_seconds: 0 },
            replica: ObufLimit { hard_bytes: 256 << 20, soft_bytes: 64 << 20, soft_seconds: 60 },
            pubsub: ObufLimit { hard_bytes: 32 << 20, soft_bytes: 8 << 20, soft_seconds: 60 },
        }
    }
}

/// `maxmemory-clients`: a byte count or a percentage of `maxmemory` (0 = no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientsMemoryLimit {
    Bytes(u64),
    Percent(u32),
}

/// Storage for the parameters Rhea accepts but does not act on (see `Support` in the
/// parameter table); absent means "still the default".
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Raw {
    Bool(bool),
    Num(i128),
    Enum(u32),
    Str(Option<Vec<u8>>),
}

/// Every configuration value of a Rhea server. Built by [`crate::config::load`], changed by
/// [`Config::set`], read directly by the engine and the network layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    // ===== network =====
    /// `port` (0 = no TCP listener).
    pub port: u16,
    /// `bind`: addresses to listen on; a leading `-` marks an optional address.
    pub bind: Vec<String>,
    /// `bind-source-addr`: source address of outgoing (replication) connections.
    pub bind_source_addr: Option<String>,
    /// `unixsocket`.
    pub unixsocket: Option<String>,
    /// `unixsocketperm` (octal in the file; 0 = leave the umask's choice).
    pub unixsocketperm: u32,
    /// `protected-mode`.
    pub protected_mode: bool,
    /// `tcp-keepalive` (zero = off).
    pub tcp_keepalive: Duration,
    /// `timeout`: close idle clients after this long (zero = never).
    pub timeout: Duration,
    /// `maxclients`.
    pub maxclients: u32,

    // ===== general =====
    /// `databases`.
    pub databases: usize,
    /// `hz`, already clamped to 1..=500 as Redis does.
    pub hz: u32,
    /// `daemonize`.
    pub daemonize: bool,
    /// `pidfile`.
    pub pidfile: Option<String>,
    /// `loglevel`.
    pub loglevel: LogLevel,
    /// `logfile` (empty = standard output).
    pub logfile: String,
    /// `always-show-logo`.
    pub always_show_logo: bool,
    /// `enable-debug-command`.
    pub enable_debug_command: ProtectedAction,
    /// `enable-protected-configs`: who may CONFIG SET `dir` and `dbfilename`.
    pub enable_protected_configs: ProtectedAction,
    /// `shutdown-on-sigint`.
    pub shutdown_on_sigint: ShutdownFlags,
    /// `shutdown-on-sigterm`.
    pub shutdown_on_sigterm: ShutdownFlags,
    /// `shutdown-timeout`: how long SHUTDOWN waits for replicas to catch up.
    pub shutdown_timeout: Duration,

    // ===== clients and commands =====
    /// `requirepass` (the default user's password).
    pub requirepass: Option<Vec<u8>>,
    /// `proto-max-bulk-len`.
    pub proto_max_bulk_len: u64,
    /// `client-query-buffer-limit`.
    pub client_query_buffer_limit: u64,
    /// `client-output-buffer-limit`.
    pub client_output_buffer_limit: ClientOutputBufferLimits,
    /// `notify-keyspace-events` as Redis's `NOTIFY_*` bits (K=1, E=2, g=4, $=8, l=16,
    /// s=32, h=64, z=128, x=256, e=512, t=1024, m=2048, d=8192, n=16384).
    pub notify_keyspace_events: u32,
    /// `slowlog-log-slower-than` in microseconds (-1 disables, 0 logs everything).
    pub slowlog_log_slower_than: i64,
    /// `slowlog-max-len`.
    pub slowlog_max_len: u64,
    /// `latency-monitor-threshold` (zero = monitor off).
    pub latency_monitor_threshold: Duration,
    /// `acllog-max-len`.
    pub acllog_max_len: u64,

    // ===== persistence =====
    /// `save`: (seconds, changes) pairs; empty = no automatic snapshots. `changes` keeps
    /// Redis's `int` truncation of what was written.
    pub save_points: Vec<(u64, i64)>,
    /// `dir`, as an absolute path. The process changes into it at start-up and after
    /// CONFIG SET dir (Redis `chdir`s while parsing; we only validate and store).
    pub dir: String,
    /// `dbfilename`.
    pub dbfilename: String,
    /// `rdbcompression`.
    pub rdbcompression: bool,
    /// `rdbchecksum`.
    pub rdbchecksum: bool,
    /// `rdb-del-sync-files`.
    pub rdb_del_sync_files: bool,
    /// `rdb-save-incremental-fsync`.
    pub rdb_save_incremental_fsync: bool,
    /// `stop-writes-on-bgsave-error`.
    pub stop_writes_on_bgsave_error: bool,

    // ===== replication =====
    /// `replicaof` / `slaveof`: the master to replicate from.
    pub replicaof: Option<(String, u16)>,
    /// `masterauth`.
    pub masterauth: Option<Vec<u8>>,
    /// `masteruser`.
    pub masteruser: Option<String>,
    /// `replica-serve-stale-data`.
    pub replica_serve_stale_data: bool,
    /// `replica-read-only`.
    pub replica_read_only: bool,
    /// `replica-ignore-maxmemory`.
    pub replica_ignore_maxmemory: bool,
    /// `replica-ignore-disk-write-errors`.
    pub replica_ignore_disk_write_errors: bool,
    /// `replica-announced`.
    pub replica_announced: bool,
    /// `replica-priority`.
    pub replica_priority: u32,
    /// `replica-announce-ip`.
    pub replica_announce_ip: Option<String>,
    /// `replica-announce-port` (0 = the real port).
    pub replica_announce_port: u16,
    /// `repl-ping-replica-period`.
    pub repl_ping_replica_period: Duration,
    /// `repl-timeout`.
    pub repl_timeout: Duration,
    /// `repl-backlog-size` in bytes.
    pub repl_backlog_size: u64,
    /// `repl-backlog-ttl` (zero = never free the backlog).
    pub repl_backlog_ttl: Duration,
    /// `repl-disable-tcp-nodelay`.
    pub repl_disable_tcp_nodelay: bool,
    /// `repl-diskless-sync`.
    pub repl_diskless_sync: bool,
    /// `repl-diskless-sync-delay`.
    pub repl_diskless_sync_delay: Duration,
    /// `repl-diskless-sync-max-replicas` (0 = no maximum).
    pub repl_diskless_sync_max_replicas: u32,
    /// `repl-diskless-load`.
    pub repl_diskless_load: ReplDisklessLoad,
    /// `min-replicas-to-write`.
    pub min_replicas_to_write: u32,
    /// `min-replicas-max-lag`.
    pub min_replicas_max_lag: Duration,
    /// `propagation-error-behavior`.
    pub propagation_error_behavior: PropagationErrorBehavior,

    // ===== memory and eviction =====
    /// `maxmemory` in bytes (0 = no limit).
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub maxmemory_policy: MaxmemoryPolicy,
    /// `maxmemory-samples`.
    pub maxmemory_samples: u32,
    /// `maxmemory-eviction-tenacity`.
    pub maxmemory_eviction_tenacity: u32,
    /// `maxmemory-clients`.
    pub maxmemory_clients: ClientsMemoryLimit,
    /// `lfu-log-factor`.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time` in minutes.
    pub lfu_decay_time: u32,
    /// `active-expire-effort` (1..=10).
    pub active_expire_effort: u32,
    /// `activerehashing`: the cron spends up to 1 ms per tick moving buckets of a
    /// keyspace table being resized.
    pub activerehashing: bool,
    /// `lazyfree-lazy-eviction` (inert: we always free synchronously).
    pub lazyfree_lazy_eviction: bool,
    /// `lazyfree-lazy-expire` (inert).
    pub lazyfree_lazy_expire: bool,
    /// `lazyfree-lazy-server-del` (inert).
    pub lazyfree_lazy_server_del: bool,
    /// `lazyfree-lazy-user-del` (inert).
    pub lazyfree_lazy_user_del: bool,
    /// `lazyfree-lazy-user-flush` (inert).
    pub lazyfree_lazy_user_flush: bool,
    /// `replica-lazy-flush` (inert).
    pub replica_lazy_flush: bool,

    // ===== encodings =====
    /// `hash-max-listpack-entries`.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value`.
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// `zset-max-listpack-entries`.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value`.
    pub zset_max_listpack_value: usize,
    /// `list-max-listpack-size` (negative = a size class: -1 is 4 KB … -5 is 64 KB).
    pub list_max_listpack_size: i32,
    /// `hll-sparse-max-bytes`.
    pub hll_sparse_max_bytes: usize,

    // ===== inert multi-value parameters =====
    /// `oom-score-adj-values` (inert: `oom-score-adj` is default-only).
    pub oom_score_adj_values: [i32; 3],
    /// `latency-tracking-info-percentiles` (inert).
    pub latency_tracking_info_percentiles: Vec<f64>,

    /// Values of the table's inert and default-only rows that differ from the default.
    pub(crate) extra: BTreeMap<&'static str, Raw>,
    /// `rename-command <from> <to>` lines in file order, already checked against the
    /// command table; the engine applies them to its table (`to` empty = removed).
    pub renamed_commands: Vec<(Vec<u8>, Vec<u8>)>,
    /// `user <name> <rules…>` lines (name first), applied when the server starts.
    pub user_lines: Vec<Vec<Vec<u8>>>,
    /// The `user` lines CONFIG REWRITE writes: the engine's users, set by the engine
    /// before rewriting (empty: the unrestricted default user `requirepass` implies).
    pub acl_rewrite_lines: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        let dir =
            std::env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
        Config {
            port: 6379,
            bind: vec!["*".into(), "-::*".into()],
            bind_source_addr: None,
            unixsocket: None,
            unixsocketperm: 0,
            protected_mode: true,
            tcp_keepalive: Duration::from_secs(300),
            timeout: Duration::ZERO,
            maxclients: 10000,
            databases: 16,
            hz: 10,
            daemonize: false,
            pidfile: None,
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            always_show_logo: false,
            enable_debug_command: ProtectedAction::No,
            enable_protected_configs: ProtectedAction::No,
            shutdown_on_sigint: ShutdownFlags::default(),
            shutdown_on_sigterm: ShutdownFlags::default(),
            shutdown_timeout: Duration::from_secs(10),
            requirepass: None,
            proto_max_bulk_len: 512 << 20,
            client_query_buffer_limit: 1 << 30,
            client_output_buffer_limit: ClientOutputBufferLimits::default(),
            notify_keyspace_events: 0,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: Duration::ZERO,
            acllog_max_len: 128,
            save_points: vec![(3600, 1), (300, 100), (60, 10000)],
            dir,
            dbfilename: "dump.rdb".into(),
            rdbcompression: true,
            rdbchecksum: true,
            rdb_del_sync_files: false,
            rdb_save_incremental_fsync: true,
            stop_writes_on_bgsave_error: true,
            replicaof: None,
            masterauth: None,
            masteruser: None,
            replica_serve_stale_data: true,
            replica_read_only: true,
            replica_ignore_maxmemory: true,
            replica_ignore_disk_write_errors: false,
            replica_announced: true,
            replica_priority: 100,
            replica_announce_ip: None,
            replica_announce_port: 0,
            repl_ping_replica_period: Duration::from_secs(10),
            repl_timeout: Duration::from_secs(60),
            repl_backlog_size: 1 << 20,
            repl_backlog_ttl: Duration::from_secs(3600),
            repl_disable_tcp_nodelay: false,
            repl_diskless_sync: true,
            repl_diskless_sync_delay: Duration::from_secs(5),
            repl_diskless_sync_max_replicas: 0,
            repl_diskless_load: ReplDisklessLoad::Disabled,
            min_replicas_to_write: 0,
            min_replicas_max_lag: Duration::from_secs(10),
            propagation_error_behavior: PropagationErrorBehavior::Ignore,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            maxmemory_clients: ClientsMemoryLimit::Bytes(0),
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            active_expire_effort: 1,
            activerehashing: true,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            replica_lazy_flush: false,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            hll_sparse_max_bytes: 3000,
            oom_score_adj_values: [0, 200, 800],
            latency_tracking_info_percentiles: vec![50.0, 99.0, 99.9],
            extra: BTreeMap::new(),
            renamed_commands: Vec::new(),
            user_lines: Vec::new(),
            acl_rewrite_lines: Vec::new(),
        }
    }
}

impl Config {
    /// `aclfile`, if one is set.
    pub fn aclfile(&self) -> Option<String> {
        match self.extra.get("aclfile") {
            Some(Raw::Str(Some(v))) if !v.is_empty() => {
                Some(String::from_utf8_lossy(v).into_owned())
            }
            _ => None,
        }
    }

    /// `acl-pubsub-default allchannels`?
    pub fn acl_pubsub_all(&self) -> bool {
        matches!(self.extra.get("acl-pubsub-default"), Some(Raw::Enum(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_tables_follow_redis_order() {
        let names: Vec<_> = MaxmemoryPolicy::NAMES.iter().map(|(n, _)| *n).collect();
        assert_eq!(names[0], "volatile-lru");
        assert_eq!(names[7], "noeviction");
        assert_eq!(MaxmemoryPolicy::from_u32(4), MaxmemoryPolicy::AllkeysLru);
        assert_eq!(ProtectedAction::Local.as_str(), "local");
    }
}
