//! THE parameter table, after Redis 7.0.15's `static_configs[]` (`config.c`): one row per
//! parameter with its name, alias, flags, type, bounds, default, where its value lives,
//! and whether Rhea supports it. redis.conf parsing, argv overrides, CONFIG GET, CONFIG SET
//! and CONFIG REWRITE all read this table and nothing else.
//!
//! The rows are in `static_configs[]` order, which is also the order CONFIG REWRITE
//! appends new lines in (Redis appends in its hash-table order, which varies).
//! `CONFIG GET *` lists exactly the names (and aliases) real 7.0.15 lists; the five
//! `HIDDEN` rows answer only to an exact name, as in Redis.

use std::time::Duration;

use super::checks;
use super::settings::{
    ClientsMemoryLimit, Config, LogLevel, MaxmemoryPolicy, PropagationErrorBehavior,
    ProtectedAction, ReplDisklessLoad, ShutdownFlags,
};

/// How far Rhea implements a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Parsed, validated, stored in a typed [`Config`] field and acted on (or about to be:
    /// persistence, replication and eviction parameters are stored for those features).
    Supported,
    /// Accepted with any valid value and echoed back, because no value can change what a
    /// Rhea server observably does (tuning knobs, features gated by a default-only switch).
    Inert,
    /// Only the default value is accepted; anything else is a fatal config error at
    /// start-up and an error from CONFIG SET, because Rhea does not implement it yet.
    DefaultOnly,
}

/// Flag bits, after Redis's `*_CONFIG` flags.
pub(crate) const MUTABLE: u8 = 0;
pub(crate) const IMMUTABLE: u8 = 1;
pub(crate) const SENSITIVE: u8 = 2;
pub(crate) const MULTI_ARG: u8 = 4;
pub(crate) const HIDDEN: u8 = 8;
pub(crate) const PROTECTED: u8 = 16;
pub(crate) const DENY_LOADING: u8 = 32;

/// One parameter.
pub struct Param {
    /// The canonical (lower-case) name.
    pub name: &'static str,
    /// The old name still accepted (`slaveof` for `replicaof`, …).
    pub alias: Option<&'static str>,
    pub support: Support,
    pub(crate) flags: u8,
    pub(crate) kind: Kind,
}

impl Param {
    /// Can CONFIG SET change it?
    pub fn is_mutable(&self) -> bool {
        self.flags & IMMUTABLE == 0
    }

    /// Is its value redacted from the slow log and MONITOR (`requirepass`, …)?
    pub fn is_sensitive(&self) -> bool {
        self.flags & SENSITIVE != 0
    }

    /// Does CONFIG SET refuse it unless `enable-protected-configs` allows the client?
    pub fn is_protected(&self) -> bool {
        self.flags & PROTECTED != 0
    }

    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Where a value lives: a typed [`Config`] field, or the side map of untyped values.
pub(crate) enum Slot<T: 'static> {
    Field(fn(&Config) -> T, fn(&mut Config, T)),
    Extra,
}

/// Redis's `is_valid_fn`: extra validation with an error text.
pub(crate) type BoolCheck = fn(bool) -> Result<(), &'static str>;
pub(crate) type EnumCheck = fn(u32) -> Result<(), &'static str>;
pub(crate) type StrCheck = fn(&[u8]) -> Result<(), &'static str>;

/// How numbers are written and read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumFmt {
    Int,
    Memory,
    MemoryPercent,
    Octal,
}

/// A numeric parameter: bounds and default in Redis's terms; `unsigned` reproduces the
/// C type's wrap-around before the bounds check.
pub(crate) struct NumSpec {
    pub min: i128,
    pub max: i128,
    pub default: i128,
    pub unsigned: bool,
    pub fmt: NumFmt,
}

/// A string parameter. `binary` strings (Redis's sds configs) keep NUL bytes; the others
/// are C strings. `empty_is_null` makes `""` mean "unset" (`EMPTY_STRING_IS_NULL`).
pub(crate) struct StrSpec {
    pub default: Option<&'static str>,
    pub empty_is_null: bool,
    pub binary: bool,
    pub check: Option<StrCheck>,
}

/// Parameters with their own syntax (`createSpecialConfig` in Redis).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Special {
    Dir,
    Save,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    NotifyKeyspaceEvents,
    Bind,
    ReplicaOf,
    LatencyPercentiles,
}

pub(crate) enum Kind {
    Bool {
        default: bool,
        slot: Slot<bool>,
        check: Option<BoolCheck>,
    },
    Num {
        spec: NumSpec,
        slot: Slot<i128>,
    },
    /// With `MULTI_ARG` the values are bit flags that combine (`shutdown-on-sigint`).
    Enum {
        values: &'static [(&'static str, u32)],
        default: u32,
        slot: Slot<u32>,
        check: Option<EnumCheck>,
    },
    Str {
        spec: StrSpec,
        slot: Slot<Option<Vec<u8>>>,
    },
    Special(Special),
}

// ===== row constructors =====

const I32_MIN: i128 = i32::MIN as i128;
const I32_MAX: i128 = i32::MAX as i128;
const U32_MAX: i128 = u32::MAX as i128;
const I64_MAX: i128 = i64::MAX as i128;
const U64_MAX: i128 = u64::MAX as i128;

const fn row(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    support: Support,
    kind: Kind,
) -> Param {
    Param { name, alias, support, flags, kind }
}

const fn boolean(default: bool, slot: Slot<bool>) -> Kind {
    Kind::Bool { default, slot, check: None }
}

const fn num(
    min: i128,
    max: i128,
    default: i128,
    unsigned: bool,
    fmt: NumFmt,
    slot: Slot<i128>,
) -> Kind {
    Kind::Num { spec: NumSpec { min, max, default, unsigned, fmt }, slot }
}

/// A signed integer (`int`, `long long`, `time_t`, …).
const fn int(min: i128, max: i128, default: i128, slot: Slot<i128>) -> Kind {
    num(min, max, default, false, NumFmt::Int, slot)
}

/// An unsigned integer (`unsigned int`, `size_t`).
const fn uint(min: i128, max: i128, default: i128, slot: Slot<i128>) -> Kind {
    num(min, max, default, true, NumFmt::Int, slot)
}

/// A signed memory value (`long long`, `off_t`).
const fn mem(min: i128, max: i128, default: i128, slot: Slot<i128>) -> Kind {
    num(min, max, default, false, NumFmt::Memory, slot)
}

/// An unsigned memory value (`size_t`, `unsigned long long`).
const fn umem(min: i128, max: i128, default: i128, slot: Slot<i128>) -> Kind {
    num(min, max, default, true, NumFmt::Memory, slot)
}

const fn enumeration(
    values: &'static [(&'static str, u32)],
    default: u32,
    slot: Slot<u32>,
) -> Kind {
    Kind::Enum { values, default, slot, check: None }
}

const fn string(
    default: Option<&'static str>,
    empty_is_null: bool,
    slot: Slot<Option<Vec<u8>>>,
) -> Kind {
    Kind::Str { spec: StrSpec { default, empty_is_null, binary: false, check: None }, slot }
}

const fn checked_string(
    default: &'static str,
    check: StrCheck,
    slot: Slot<Option<Vec<u8>>>,
) -> Kind {
    Kind::Str {
        spec: StrSpec {
            default: Some(default),
            empty_is_null: false,
            binary: false,
            check: Some(check),
        },
        slot,
    }
}

const fn special(s: Special) -> Kind {
    Kind::Special(s)
}

/// A copyable field of the same type as the slot.
macro_rules! field {
    ($f:ident) => {
        Slot::Field(|c| c.$f, |c, v| c.$f = v)
    };
}

/// An integer field, converted to and from the table's `i128`.
macro_rules! int_field {
    ($f:ident as $t:ty) => {
        Slot::Field(|c| c.$f as i128, |c, v| c.$f = v as $t)
    };
}

/// A [`Duration`] field written in seconds.
macro_rules! secs_field {
    ($f:ident) => {
        Slot::Field(|c| c.$f.as_secs() as i128, |c, v| c.$f = Duration::from_secs(v as u64))
    };
}

macro_rules! enum_field {
    ($f:ident: $t:ident) => {
        Slot::Field(|c| c.$f as u32, |c, v| c.$f = $t::from_u32(v))
    };
}

/// A `String` field that is never unset.
macro_rules! string_field {
    ($f:ident) => {
        Slot::Field(|c| Some(c.$f.clone().into_bytes()), |c, v| c.$f = lossy(v.unwrap_or_default()))
    };
}

/// An `Option<String>` field.
macro_rules! opt_string_field {
    ($f:ident) => {
        Slot::Field(|c| c.$f.clone().map(String::into_bytes), |c, v| c.$f = v.map(lossy))
    };
}

/// An `Option<Vec<u8>>` field.
macro_rules! bytes_field {
    ($f:ident) => {
        Slot::Field(|c| c.$f.clone(), |c, v| c.$f = v)
    };
}

/// A `Duration` field written in milliseconds.
macro_rules! millis_field {
    ($f:ident) => {
        Slot::Field(|c| c.$f.as_millis() as i128, |c, v| c.$f = Duration::from_millis(v as u64))
    };
}

/// `updateHZ`: Redis accepts any value and clamps it to 1..=500.
fn set_hz(c: &mut Config, v: i128) {
    c.hz = v.clamp(1, 500) as u32;
}

/// `maxmemory-clients` keeps a percentage as a negative number, as Redis does.
fn get_clients_limit(c: &Config) -> i128 {
    match c.maxmemory_clients {
        ClientsMemoryLimit::Bytes(b) => i128::from(b),
        ClientsMemoryLimit::Percent(p) => -i128::from(p),
    }
}

fn set_clients_limit(c: &mut Config, v: i128) {
    c.maxmemory_clients = if v < 0 {
        ClientsMemoryLimit::Percent(v.unsigned_abs() as u32)
    } else {
        ClientsMemoryLimit::Bytes(v as u64)
    };
}

/// `shutdown-on-sigint` / `shutdown-on-sigterm`: combinable flags.
const fn shutdown(slot: Slot<u32>) -> Kind {
    Kind::Enum {
        values: ShutdownFlags::NAMES,
        default: 0,
        slot,
        check: Some(checks::shutdown_flags),
    }
}

/// `masterauth`, `requirepass`: binary-safe, `""` unsets.
const SECRET: StrSpec = StrSpec { default: None, empty_is_null: true, binary: true, check: None };

/// `cluster-announce-hostname`.
const HOSTNAME: StrSpec =
    StrSpec { default: None, empty_is_null: true, binary: false, check: Some(checks::hostname) };

fn lossy(v: Vec<u8>) -> String {
    String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

use Support::{DefaultOnly, Inert, Supported};

const SUPERVISED: &[(&str, u32)] = &[("upstart", 3), ("systemd", 2), ("auto", 1), ("no", 0)];
const SYSLOG_FACILITY: &[(&str, u32)] = &[
    ("user", 8),
    ("local0", 128),
    ("local1", 136),
    ("local2", 144),
    ("local3", 152),
    ("local4", 160),
    ("local5", 168),
    ("local6", 176),
    ("local7", 184),
];
const APPENDFSYNC: &[(&str, u32)] = &[("everysec", 2), ("always", 1), ("no", 0)];
const OOM_SCORE_ADJ: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, u32)] = &[("allchannels", 1), ("resetchannels", 0)];
const SANITIZE_DUMP_PAYLOAD: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
const ENDPOINT_TYPE: &[(&str, u32)] = &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const TLS_AUTH_CLIENTS: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("optional", 2)];

/// Every parameter of Redis 7.0.15.
#[rustfmt::skip]
pub(crate) static PARAMS: &[Param] = &[
    // ===== booleans =====
    row("rdbchecksum", None, IMMUTABLE, Supported, boolean(true, field!(rdbchecksum))),
    row("daemonize", None, IMMUTABLE, Supported, boolean(false, field!(daemonize))),
    row("io-threads-do-reads", None, IMMUTABLE, DefaultOnly, boolean(false, Slot::Extra)),
    row("always-show-logo", None, IMMUTABLE, Supported, boolean(false, field!(always_show_logo))),
    row("protected-mode", None, MUTABLE, Supported, boolean(true, field!(protected_mode))),
    row("rdbcompression", None, MUTABLE, Supported, boolean(true, field!(rdbcompression))),
    row("rdb-del-sync-files", None, MUTABLE, Supported, boolean(false, field!(rdb_del_sync_files))),
    row("activerehashing", None, MUTABLE, Supported, boolean(true, field!(activerehashing))),
    row("stop-writes-on-bgsave-error", None, MUTABLE, Supported, boolean(true, field!(stop_writes_on_bgsave_error))),
    row("set-proc-title", None, IMMUTABLE, Inert, boolean(true, Slot::Extra)),
    row("dynamic-hz", None, MUTABLE, Inert, boolean(true, Slot::Extra)),
    row("lazyfree-lazy-eviction", None, MUTABLE, Inert, boolean(false, field!(lazyfree_lazy_eviction))),
    row("lazyfree-lazy-expire", None, MUTABLE, Inert, boolean(false, field!(lazyfree_lazy_expire))),
    row("lazyfree-lazy-server-del", None, MUTABLE, Inert, boolean(false, field!(lazyfree_lazy_server_del))),
    row("lazyfree-lazy-user-del", None, MUTABLE, Inert, boolean(false, field!(lazyfree_lazy_user_del))),
    row("lazyfree-lazy-user-flush", None, MUTABLE, Inert, boolean(false, field!(lazyfree_lazy_user_flush))),
    row("repl-disable-tcp-nodelay", None, MUTABLE, Supported, boolean(false, field!(repl_disable_tcp_nodelay))),
    row("repl-diskless-sync", None, MUTABLE, Supported, boolean(true, field!(repl_diskless_sync))),
    row("aof-rewrite-incremental-fsync", None, MUTABLE, Inert, boolean(true, Slot::Extra)),
    row("no-appendfsync-on-rewrite", None, MUTABLE, Inert, boolean(false, Slot::Extra)),
    row("cluster-require-full-coverage", None, MUTABLE, Inert, boolean(true, Slot::Extra)),
    row("rdb-save-incremental-fsync", None, MUTABLE, Supported, boolean(true, field!(rdb_save_incremental_fsync))),
    row("aof-load-truncated", None, MUTABLE, Inert, boolean(true, Slot::Extra)),
    row("aof-use-rdb-preamble", None, MUTABLE, Inert, boolean(true, Slot::Extra)),
    row("aof-timestamp-enabled", None, MUTABLE, Inert, boolean(false, Slot::Extra)),
    row("cluster-replica-no-failover", Some("cluster-slave-no-failover"), MUTABLE, Inert, boolean(false, Slot::Extra)),
    row("replica-lazy-flush", Some("slave-lazy-flush"), MUTABLE, Inert, boolean(false, field!(replica_lazy_flush))),
    row("replica-serve-stale-data", Some("slave-serve-stale-data"), MUTABLE, Supported, boolean(true, field!(replica_serve_stale_data))),
    row("replica-read-only", Some("slave-read-only"), MUTABLE, Supported, boolean(true, field!(replica_read_only))),
    row("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), MUTABLE, Supported, boolean(true, field!(replica_ignore_maxmemory))),
    row("jemalloc-bg-thread", None, MUTABLE, Inert, boolean(true, Slot::Extra)),
    row("activedefrag", None, MUTABLE, Inert, Kind::Bool { default: false, slot: Slot::Extra, check: Some(checks::active_defrag) }),
    row("syslog-enabled", None, IMMUTABLE, DefaultOnly, boolean(false, Slot::Extra)),
    row("cluster-enabled", None, IMMUTABLE, DefaultOnly, boolean(false, Slot::Extra)),
    row("appendonly", None, DENY_LOADING, DefaultOnly, boolean(false, Slot::Extra)),
    row("cluster-allow-reads-when-down", None, MUTABLE, Inert, boolean(false, Slot::Extra)),
    row("cluster-allow-pubsubshard-when-down", None, MUTABLE, Inert, boolean(true, Slot::Extra)),
    row("crash-log-enabled", None, MUTABLE, Inert, boolean(true, Slot::Extra)),
    row("crash-memcheck-enabled", None, MUTABLE, Inert, boolean(true, Slot::Extra)),
    row("use-exit-on-panic", None, HIDDEN, Inert, boolean(false, Slot::Extra)),
    row("disable-thp", None, IMMUTABLE, Inert, boolean(true, Slot::Extra)),
    row("cluster-allow-replica-migration", None, MUTABLE, Inert, boolean(true, Slot::Extra)),
    row("replica-announced", None, MUTABLE, Supported, boolean(true, field!(replica_announced))),
    row("latency-tracking", None, MUTABLE, Inert, boolean(true, Slot::Extra)),
    row("aof-disable-auto-gc", None, MUTABLE, Inert, boolean(false, Slot::Extra)),
    row("replica-ignore-disk-write-errors", None, MUTABLE, Supported, boolean(false, field!(replica_ignore_disk_write_errors))),
    // ===== strings =====
    row("aclfile", None, IMMUTABLE, Supported, string(Some(""), false, Slot::Extra)),
    row("unixsocket", None, IMMUTABLE, Supported, string(None, true, opt_string_field!(unixsocket))),
    row("pidfile", None, IMMUTABLE, Supported, string(None, true, opt_string_field!(pidfile))),
    row("replica-announce-ip", Some("slave-announce-ip"), MUTABLE, Supported, string(None, true, opt_string_field!(replica_announce_ip))),
    row("masteruser", None, SENSITIVE, Supported, string(None, true, opt_string_field!(masteruser))),
    row("cluster-announce-ip", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    row("cluster-config-file", None, IMMUTABLE, Inert, string(Some("nodes.conf"), false, Slot::Extra)),
    row("cluster-announce-hostname", None, MUTABLE, Inert, Kind::Str { spec: HOSTNAME, slot: Slot::Extra }),
    row("syslog-ident", None, IMMUTABLE, Inert, string(Some("redis"), false, Slot::Extra)),
    row("dbfilename", None, PROTECTED, Supported, checked_string("dump.rdb", checks::dbfilename, string_field!(dbfilename))),
    row("appendfilename", None, IMMUTABLE, Inert, checked_string("appendonly.aof", checks::appendfilename, Slot::Extra)),
    row("appenddirname", None, IMMUTABLE, Inert, checked_string("appendonlydir", checks::appenddirname, Slot::Extra)),
    row("server_cpulist", None, IMMUTABLE, DefaultOnly, string(None, true, Slot::Extra)),
    row("bio_cpulist", None, IMMUTABLE, DefaultOnly, string(None, true, Slot::Extra)),
    row("aof_rewrite_cpulist", None, IMMUTABLE, DefaultOnly, string(None, true, Slot::Extra)),
    row("bgsave_cpulist", None, IMMUTABLE, DefaultOnly, string(None, true, Slot::Extra)),
    row("ignore-warnings", None, MUTABLE, Inert, string(Some(""), false, Slot::Extra)),
    row("proc-title-template", None, MUTABLE, Inert, checked_string("{title} {listen-addr} {server-mode}", checks::proc_title_template, Slot::Extra)),
    row("bind-source-addr", None, MUTABLE, Supported, string(None, true, opt_string_field!(bind_source_addr))),
    row("logfile", None, IMMUTABLE, Supported, string(Some(""), false, string_field!(logfile))),
    row("masterauth", None, SENSITIVE, Supported, Kind::Str { spec: SECRET, slot: bytes_field!(masterauth) }),
    row("requirepass", None, SENSITIVE, Supported, Kind::Str { spec: SECRET, slot: bytes_field!(requirepass) }),
    // ===== enums =====
    row("supervised", None, IMMUTABLE, DefaultOnly, enumeration(SUPERVISED, 0, Slot::Extra)),
    row("syslog-facility", None, IMMUTABLE, Inert, enumeration(SYSLOG_FACILITY, 128, Slot::Extra)),
    row("repl-diskless-load", None, DENY_LOADING, Supported, enumeration(ReplDisklessLoad::NAMES, 0, enum_field!(repl_diskless_load: ReplDisklessLoad))),
    row("loglevel", None, MUTABLE, Supported, enumeration(LogLevel::NAMES, 2, enum_field!(loglevel: LogLevel))),
    row("maxmemory-policy", None, MUTABLE, Supported, enumeration(MaxmemoryPolicy::NAMES, 7, enum_field!(maxmemory_policy: MaxmemoryPolicy))),
    row("appendfsync", None, MUTABLE, Inert, enumeration(APPENDFSYNC, 2, Slot::Extra)),
    row("oom-score-adj", None, MUTABLE, DefaultOnly, enumeration(OOM_SCORE_ADJ, 0, Slot::Extra)),
    row("acl-pubsub-default", None, MUTABLE, Inert, enumeration(ACL_PUBSUB_DEFAULT, 0, Slot::Extra)),
    // RESTORE (and loading) always validates deeply, as Redis does with `yes`.
    row("sanitize-dump-payload", None, MUTABLE, Inert, enumeration(SANITIZE_DUMP_PAYLOAD, 0, Slot::Extra)),
    row("enable-protected-configs", None, IMMUTABLE, Supported, enumeration(ProtectedAction::NAMES, 0, enum_field!(enable_protected_configs: ProtectedAction))),
    row("enable-debug-command", None, IMMUTABLE, Supported, enumeration(ProtectedAction::NAMES, 0, enum_field!(enable_debug_command: ProtectedAction))),
    row("enable-module-command", None, IMMUTABLE, DefaultOnly, enumeration(ProtectedAction::NAMES, 0, Slot::Extra)),
    row("cluster-preferred-endpoint-type", None, MUTABLE, Inert, enumeration(ENDPOINT_TYPE, 0, Slot::Extra)),
    row("propagation-error-behavior", None, MUTABLE, Supported, enumeration(PropagationErrorBehavior::NAMES, 0, enum_field!(propagation_error_behavior: PropagationErrorBehavior))),
    row("shutdown-on-sigint", None, MULTI_ARG, Supported, shutdown(Slot::Field(|c| c.shutdown_on_sigint.0, |c, v| c.shutdown_on_sigint = ShutdownFlags(v)))),
    row("shutdown-on-sigterm", None, MULTI_ARG, Supported, shutdown(Slot::Field(|c| c.shutdown_on_sigterm.0, |c, v| c.shutdown_on_sigterm = ShutdownFlags(v)))),
    // ===== integers =====
    row("databases", None, IMMUTABLE, Supported, int(1, I32_MAX, 16, int_field!(databases as usize))),
    row("port", None, MUTABLE, Supported, int(0, 65535, 6379, int_field!(port as u16))),
    row("io-threads", None, IMMUTABLE, Inert, int(1, 128, 1, Slot::Extra)),
    row("auto-aof-rewrite-percentage", None, MUTABLE, Inert, int(0, I32_MAX, 100, Slot::Extra)),
    row("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), MUTABLE, Inert, int(0, I32_MAX, 10, Slot::Extra)),
    row("list-max-listpack-size", Some("list-max-ziplist-size"), MUTABLE, Supported, int(I32_MIN, I32_MAX, -2, int_field!(list_max_listpack_size as i32))),
    row("tcp-keepalive", None, MUTABLE, Supported, int(0, I32_MAX, 300, secs_field!(tcp_keepalive))),
    row("cluster-migration-barrier", None, MUTABLE, Inert, int(0, I32_MAX, 1, Slot::Extra)),
    row("active-defrag-cycle-min", None, MUTABLE, Inert, int(1, 99, 1, Slot::Extra)),
    row("active-defrag-cycle-max", None, MUTABLE, Inert, int(1, 99, 25, Slot::Extra)),
    row("active-defrag-threshold-lower", None, MUTABLE, Inert, int(0, 1000, 10, Slot::Extra)),
    row("active-defrag-threshold-upper", None, MUTABLE, Inert, int(0, 1000, 100, Slot::Extra)),
    row("lfu-log-factor", None, MUTABLE, Supported, int(0, I32_MAX, 10, int_field!(lfu_log_factor as u32))),
    row("lfu-decay-time", None, MUTABLE, Supported, int(0, I32_MAX, 1, int_field!(lfu_decay_time as u32))),
    row("replica-priority", Some("slave-priority"), MUTABLE, Supported, int(0, I32_MAX, 100, int_field!(replica_priority as u32))),
    row("repl-diskless-sync-delay", None, MUTABLE, Supported, int(0, I32_MAX, 5, secs_field!(repl_diskless_sync_delay))),
    row("maxmemory-samples", None, MUTABLE, Supported, int(1, I32_MAX, 5, int_field!(maxmemory_samples as u32))),
    row("maxmemory-eviction-tenacity", None, MUTABLE, Supported, int(0, 100, 10, int_field!(maxmemory_eviction_tenacity as u32))),
    row("timeout", None, MUTABLE, Supported, int(0, I32_MAX, 0, secs_field!(timeout))),
    row("replica-announce-port", Some("slave-announce-port"), MUTABLE, Supported, int(0, 65535, 0, int_field!(replica_announce_port as u16))),
    row("tcp-backlog", None, IMMUTABLE, Inert, int(0, I32_MAX, 511, Slot::Extra)),
    row("cluster-port", None, IMMUTABLE, Inert, int(0, 65535, 0, Slot::Extra)),
    row("cluster-announce-bus-port", None, MUTABLE, Inert, int(0, 65535, 0, Slot::Extra)),
    row("cluster-announce-port", None, MUTABLE, Inert, int(0, 65535, 0, Slot::Extra)),
    row("cluster-announce-tls-port", None, MUTABLE, Inert, int(0, 65535, 0, Slot::Extra)),
    row("repl-timeout", None, MUTABLE, Supported, int(1, I32_MAX, 60, secs_field!(repl_timeout))),
    row("repl-ping-replica-period", Some("repl-ping-slave-period"), MUTABLE, Supported, int(1, I32_MAX, 10, secs_field!(repl_ping_replica_period))),
    row("list-compress-depth", None, MUTABLE, Inert, int(0, I32_MAX, 0, Slot::Extra)),
    row("rdb-key-save-delay", None, HIDDEN, DefaultOnly, int(I32_MIN, I32_MAX, 0, Slot::Extra)),
    row("key-load-delay", None, HIDDEN, DefaultOnly, int(I32_MIN, I32_MAX, 0, Slot::Extra)),
    row("active-expire-effort", None, MUTABLE, Supported, int(1, 10, 1, int_field!(active_expire_effort as u32))),
    row("hz", None, MUTABLE, Supported, int(0, I32_MAX, 10, Slot::Field(|c| c.hz as i128, set_hz))),
    row("min-replicas-to-write", Some("min-slaves-to-write"), MUTABLE, Supported, int(0, I32_MAX, 0, int_field!(min_replicas_to_write as u32))),
    row("min-replicas-max-lag", Some("min-slaves-max-lag"), MUTABLE, Supported, int(0, I32_MAX, 10, secs_field!(min_replicas_max_lag))),
    row("watchdog-period", None, HIDDEN, DefaultOnly, int(0, I32_MAX, 0, Slot::Extra)),
    row("shutdown-timeout", None, MUTABLE, Supported, int(0, I32_MAX, 10, secs_field!(shutdown_timeout))),
    row("repl-diskless-sync-max-replicas", None, MUTABLE, Supported, int(0, I32_MAX, 0, int_field!(repl_diskless_sync_max_replicas as u32))),
    row("maxclients", None, MUTABLE, Supported, uint(1, U32_MAX, 10000, int_field!(maxclients as u32))),
    row("unixsocketperm", None, IMMUTABLE, Supported, num(0, 0o777, 0, true, NumFmt::Octal, int_field!(unixsocketperm as u32))),
    row("socket-mark-id", None, IMMUTABLE, DefaultOnly, uint(0, U32_MAX, 0, Slot::Extra)),
    row("active-defrag-max-scan-fields", None, MUTABLE, Inert, int(1, I64_MAX, 1000, Slot::Extra)),
    row("slowlog-max-len", None, MUTABLE, Supported, int(0, I64_MAX, 128, int_field!(slowlog_max_len as u64))),
    row("acllog-max-len", None, MUTABLE, Supported, int(0, I64_MAX, 128, int_field!(acllog_max_len as u64))),
    row("busy-reply-threshold", Some("lua-time-limit"), MUTABLE, Inert, int(0, I64_MAX, 5000, Slot::Extra)),
    row("cluster-node-timeout", None, MUTABLE, Inert, int(0, I64_MAX, 15000, Slot::Extra)),
    row("slowlog-log-slower-than", None, MUTABLE, Supported, int(-1, I64_MAX, 10000, int_field!(slowlog_log_slower_than as i64))),
    row("latency-monitor-threshold", None, MUTABLE, Supported, int(0, I64_MAX, 0, millis_field!(latency_monitor_threshold))),
    row("proto-max-bulk-len", None, MUTABLE, Supported, mem(1 << 20, I64_MAX, 512 << 20, int_field!(proto_max_bulk_len as u64))),
    row("stream-node-max-entries", None, MUTABLE, Inert, int(0, I64_MAX, 100, Slot::Extra)),
    row("repl-backlog-size", None, MUTABLE, Supported, mem(1, I64_MAX, 1 << 20, int_field!(repl_backlog_size as u64))),
    row("maxmemory", None, MUTABLE, Supported, umem(0, U64_MAX, 0, int_field!(maxmemory as u64))),
    row("cluster-link-sendbuf-limit", None, MUTABLE, Inert, umem(0, U64_MAX, 0, Slot::Extra)),
    row("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), MUTABLE, Supported, uint(0, I64_MAX, 512, int_field!(hash_max_listpack_entries as usize))),
    row("set-max-intset-entries", None, MUTABLE, Supported, uint(0, I64_MAX, 512, int_field!(set_max_intset_entries as usize))),
    row("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), MUTABLE, Supported, uint(0, I64_MAX, 128, int_field!(zset_max_listpack_entries as usize))),
    row("active-defrag-ignore-bytes", None, MUTABLE, Inert, umem(1, I64_MAX, 100 << 20, Slot::Extra)),
    row("hash-max-listpack-value", Some("hash-max-ziplist-value"), MUTABLE, Supported, umem(0, I64_MAX, 64, int_field!(hash_max_listpack_value as usize))),
    row("stream-node-max-bytes", None, MUTABLE, Inert, umem(0, I64_MAX, 4096, Slot::Extra)),
    row("zset-max-listpack-value", Some("zset-max-ziplist-value"), MUTABLE, Supported, umem(0, I64_MAX, 64, int_field!(zset_max_listpack_value as usize))),
    row("hll-sparse-max-bytes", None, MUTABLE, Supported, umem(0, I64_MAX, 3000, int_field!(hll_sparse_max_bytes as usize))),
    row("tracking-table-max-keys", None, MUTABLE, Inert, uint(0, I64_MAX, 1_000_000, Slot::Extra)),
    row("client-query-buffer-limit", None, MUTABLE, Supported, umem(1 << 20, I64_MAX, 1 << 30, int_field!(client_query_buffer_limit as u64))),
    row("maxmemory-clients", None, MUTABLE, Supported, num(-100, I64_MAX, 0, false, NumFmt::MemoryPercent, Slot::Field(get_clients_limit, set_clients_limit))),
    row("repl-backlog-ttl", None, MUTABLE, Supported, int(0, I64_MAX, 3600, secs_field!(repl_backlog_ttl))),
    row("auto-aof-rewrite-min-size", None, MUTABLE, Inert, mem(0, I64_MAX, 64 << 20, Slot::Extra)),
    row("loading-process-events-interval-bytes", None, HIDDEN, Inert, int(1024, I32_MAX, 2 << 20, Slot::Extra)),
    // ===== TLS (Rhea has no TLS: the switches are default-only, the rest inert) =====
    row("tls-port", None, MUTABLE, DefaultOnly, int(0, 65535, 0, Slot::Extra)),
    row("tls-session-cache-size", None, MUTABLE, Inert, int(0, I32_MAX, 20 * 1024, Slot::Extra)),
    row("tls-session-cache-timeout", None, MUTABLE, Inert, int(0, I32_MAX, 300, Slot::Extra)),
    row("tls-cluster", None, MUTABLE, DefaultOnly, boolean(false, Slot::Extra)),
    row("tls-replication", None, MUTABLE, DefaultOnly, boolean(false, Slot::Extra)),
    row("tls-auth-clients", None, MUTABLE, Inert, enumeration(TLS_AUTH_CLIENTS, 1, Slot::Extra)),
    row("tls-prefer-server-ciphers", None, MUTABLE, Inert, boolean(false, Slot::Extra)),
    row("tls-session-caching", None, MUTABLE, Inert, boolean(true, Slot::Extra)),
    row("tls-cert-file", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    row("tls-key-file", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    row("tls-key-file-pass", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    row("tls-client-cert-file", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    row("tls-client-key-file", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    row("tls-client-key-file-pass", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    row("tls-dh-params-file", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    row("tls-ca-cert-file", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    row("tls-ca-cert-dir", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    row("tls-protocols", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    row("tls-ciphers", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    row("tls-ciphersuites", None, MUTABLE, Inert, string(None, true, Slot::Extra)),
    // ===== special syntax =====
    row("dir", None, PROTECTED | DENY_LOADING, Supported, special(Special::Dir)),
    row("save", None, MULTI_ARG, Supported, special(Special::Save)),
    row("client-output-buffer-limit", None, MULTI_ARG, Supported, special(Special::ClientOutputBufferLimit)),
    row("oom-score-adj-values", None, MULTI_ARG, Inert, special(Special::OomScoreAdjValues)),
    row("notify-keyspace-events", None, MUTABLE, Supported, special(Special::NotifyKeyspaceEvents)),
    row("bind", None, MULTI_ARG, Supported, special(Special::Bind)),
    row("replicaof", Some("slaveof"), IMMUTABLE | MULTI_ARG, Supported, special(Special::ReplicaOf)),
    row("latency-tracking-info-percentiles", None, MULTI_ARG, Inert, special(Special::LatencyPercentiles)),
];

/// The table, for documentation and tooling (every row, hidden ones included).
pub fn params() -> &'static [Param] {
    PARAMS
}

/// Find a parameter by name or alias, ignoring case (Redis's config dict is
/// case-insensitive). Returns the row and whether `name` was the alias.
pub fn lookup(name: &[u8]) -> Option<(&'static Param, bool)> {
    PARAMS.iter().find_map(|p| {
        if p.name.as_bytes().eq_ignore_ascii_case(name) {
            Some((p, false))
        } else if p.alias.is_some_and(|a| a.as_bytes().eq_ignore_ascii_case(name)) {
            Some((p, true))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lowercase() {
        let mut seen = std::collections::HashSet::new();
        for p in PARAMS {
            for n in std::iter::once(p.name).chain(p.alias) {
                assert_eq!(n, n.to_ascii_lowercase());
                assert!(seen.insert(n), "duplicate {n}");
            }
        }
        // 173 visible parameters + 5 hidden ones in 7.0.15, plus 19 aliases.
        assert_eq!(PARAMS.len(), 178);
        assert_eq!(PARAMS.iter().filter_map(|p| p.alias).count(), 19);
    }

    #[test]
    fn lookup_by_alias_ignores_case() {
        let (p, alias) = lookup(b"SLAVEOF").unwrap();
        assert_eq!((p.name, alias), ("replicaof", true));
        assert!(lookup(b"no-such-thing").is_none());
    }
}
