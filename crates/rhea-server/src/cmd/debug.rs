//! DEBUG (`debug.c`): the subset of Redis 7.0's test hooks that makes sense without
//! persistence — SLEEP, SET-ACTIVE-EXPIRE, ERROR, LOG, OBJECT, DIGEST, DIGEST-VALUE,
//! POPULATE, PROTOCOL, CHANGE-REPL-ID, LISTPACK, QUICKLIST, QUICKLIST-PACKED-THRESHOLD.
//!
//! The command carries the PROTECTED flag, so dispatch refuses it unless
//! `enable-debug-command` allows the connection (as 7.0 does).
//!
//! ## Caveats
//! * SET-ACTIVE-EXPIRE only records the wish in [`active_expire_enabled`]; the engine's
//!   cron must consult it before running the active expiry cycle.
//! * OBJECT's `serializedlength` ignores LZF compression ([`super::objinfo`]), and its
//!   `Value at:` address is the address of our entry, meaningful only as an identity.
//! * RELOAD, LOADAOF, JMAP, the crash hooks and the allocator hooks are not implemented
//!   and answer like an unknown subcommand.

use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use rhea_keyspace::{Str, Value};
use rhea_resp::{Protocol, Reply};

use super::admin::{help, subcommand_syntax_error};
use super::digest;
use super::objinfo;
use super::sha1::hex;
use crate::engine::ctx::Ctx;
use crate::engine::lru;
use crate::engine::table::{Command, flags::*};

pub const COMMANDS: &[Command] = &[Command::new(
    "debug",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED,
    (0, 0, 0),
    &["admin", "slow", "dangerous"],
    debug,
)];

/// `server.active_expire_enabled`, toggled by DEBUG SET-ACTIVE-EXPIRE.
static ACTIVE_EXPIRE: AtomicBool = AtomicBool::new(true);

/// Whether the cron may run the active expiry cycle (DEBUG SET-ACTIVE-EXPIRE 0 stops it,
/// which tests use to observe lazy expiry alone).
pub fn active_expire_enabled() -> bool {
    ACTIVE_EXPIRE.load(Ordering::Relaxed)
}

fn debug(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    let argc = args.len();
    match (sub.as_str(), argc) {
        ("help", 2) => help(HELP),
        ("sleep", 3) => {
            let secs = strtod(&args[2]);
            if secs > 0.0 {
                // Blocks the engine thread on purpose: that is what DEBUG SLEEP is for.
                std::thread::sleep(std::time::Duration::from_micros((secs * 1e6) as u64));
            }
            Reply::ok()
        }
        ("set-active-expire", 3) => {
            ACTIVE_EXPIRE.store(atoi(&args[2]) != 0, Ordering::Relaxed);
            Reply::ok()
        }
        // The text is sent as it is, code and all (`DEBUG ERROR foo` replies `-foo`), and
        // Redis does not count it in errorstats or failed_calls: hence raw bytes.
        ("error", 3) => {
            let err = Reply::Error(String::from_utf8_lossy(&args[2]).into_owned());
            Reply::Raw(Bytes::from(err.to_resp2()))
        }
        ("log", 3) => {
            crate::warning!("DEBUG LOG: {}", String::from_utf8_lossy(&args[2]));
            Reply::ok()
        }
        ("object", 3) => object(ctx, &args[2]),
        ("digest", 2) => Reply::simple(hex(&digest::dataset_digest(&ctx.srv.dbs))),
        ("digest-value", _) => {
            let db = &ctx.srv.dbs[ctx.client.db];
            let list = args[2..].iter().map(|k| Reply::simple(hex(&digest::value_digest(db, k))));
            Reply::Array(list.collect())
        }
        ("populate", 3..=5) => populate(ctx, args),
        ("protocol", 3) => protocol(ctx, &args[2]),
        ("change-repl-id", 2) => {
            crate::warning!("Changing replication IDs after receiving DEBUG change-repl-id");
            Reply::ok()
        }
        ("listpack", 3) => inspect(ctx, &args[2], "listpack", "Listpack"),
        ("quicklist", 3 | 4) => inspect(ctx, &args[2], "quicklist", "Quicklist"),
        ("quicklist-packed-threshold", 3) => match memory_value(&args[2]) {
            Some(sz) if sz <= (1u64 << 32) - (1 << 20) => Reply::ok(),
            _ => {
                Reply::err("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
            }
        },
        _ => subcommand_syntax_error(args),
    }
}

/// `DEBUG OBJECT <key>`: the one-line low-level summary of a value.
fn object(ctx: &mut Ctx<'_>, key: &[u8]) -> Reply {
    let clock = ctx.srv.lru_clock();
    let fill = config_int(ctx, b"list-max-listpack-size", -2);
    let compress = config_int(ctx, b"list-compress-depth", 0);
    let policy = config_str(ctx, b"maxmemory-policy");
    let shared_ints =
        ctx.srv.settings.maxmemory == 0 || !(policy.contains("lru") || policy.contains("lfu"));
    // A logically expired key is still shown, as Redis looks in the dictionary directly.
    let Some(e) = ctx.srv.dbs[ctx.client.db].dict.get(key) else {
        return Reply::err("ERR no such key");
    };
    // Redis shares the objects for 0..9999 when no LRU/LFU policy needs per-key clocks.
    let refcount = match e.value() {
        Value::Str(s)
            if shared_ints
                && s.encoding_name() == "int"
                && rhea_resp::number::parse_i64(s.as_bytes())
                    .is_some_and(|v| (0..10_000).contains(&v)) =>
        {
            i32::MAX
        }
        _ => 1,
    };
    let mut extra = String::new();
    if let Value::List(l) = e.value() {
        let shape = objinfo::quicklist_shape(l.iter().map(|b| &b[..]), fill);
        let nodes = shape.node_sizes.len();
        let avg = if nodes == 0 { 0.0 } else { l.len() as f64 / nodes as f64 };
        extra = format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
            nodes,
            avg,
            fill,
            i32::from(compress != 0),
            shape.node_sizes.iter().sum::<usize>()
        );
    }
    Reply::simple(format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{}",
        e,
        refcount,
        e.value().encoding_name(),
        objinfo::serialized_len(e.value(), fill),
        e.lru,
        lru::idle_ms(e.lru, clock) / 1000,
        extra
    ))
}

/// DEBUG LISTPACK / QUICKLIST: Redis prints the structure on its stdout; we only check
/// the encoding and acknowledge.
fn inspect(ctx: &mut Ctx<'_>, key: &[u8], encoding: &str, title: &str) -> Reply {
    let Some(e) = ctx.peek(key) else {
        return Reply::err("ERR no such key");
    };
    if e.value().encoding_name() != encoding {
        return Reply::err(format!("ERR Not a {encoding} encoded object."));
    }
    Reply::simple(format!("{title} structure printed on stdout"))
}

/// `DEBUG POPULATE <count> [<prefix>] [<size>]`: string keys `prefix:N` = `value:N`,
/// padded with zero bytes (or cut) to `size`; existing keys are left alone.
fn populate(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    // getPositiveLongFromObjectOrReply: one message for non-numbers and negatives.
    let positive = |a: &[u8]| match rhea_resp::number::parse_i64(a) {
        Some(v) if v >= 0 => Ok(v as usize),
        _ => Err(Reply::err("ERR value is out of range, must be positive")),
    };
    let count = crate::tri!(positive(&args[2]));
    let size = match args.get(4) {
        Some(a) => crate::tri!(positive(a)),
        None => 0,
    };
    let prefix: &[u8] = args.get(3).map_or(b"key", |p| &p[..]);
    for j in 0..count {
        let mut key = prefix.to_vec();
        key.extend_from_slice(format!(":{j}").as_bytes());
        if ctx.peek(&key).is_some() {
            continue;
        }
        let mut val = format!("value:{j}").into_bytes();
        if size > 0 {
            val.resize(size, 0);
        }
        // createStringObject, not tryObjectEncoding: embstr or raw by size, never int.
        ctx.set_key(&key, Value::Str(Str::plain(Bytes::from(val))), false);
    }
    Reply::ok()
}

/// `DEBUG PROTOCOL <type>`: one sample of each reply type.
fn protocol(ctx: &mut Ctx<'_>, kind: &[u8]) -> Reply {
    let r3 = ctx.proto() == Protocol::Resp3;
    let bulk = |s: &str| Reply::bulk_str(s);
    match String::from_utf8_lossy(kind).to_ascii_lowercase().as_str() {
        "string" => bulk("Hello World"),
        "integer" => Reply::Int(12345),
        // The literal Redis sends, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        "double" => Reply::Double(3.141),
        "bignum" => {
            let n = "1234567999999999999999999999999999999";
            if r3 { Reply::Raw(Bytes::from(format!("({n}\r\n"))) } else { bulk(n) }
        }
        "null" => Reply::Null,
        "array" => Reply::Array((0..3).map(Reply::Int).collect()),
        "set" => Reply::Set((0..3).map(Reply::Int).collect()),
        "map" => Reply::Map((0..3).map(|j| (Reply::Int(j), Reply::Bool(j == 1))).collect()),
        "attrib" => {
            let real = bulk("Some real reply following the attribute");
            if !r3 {
                return real;
            }
            let mut out = b"|1\r\n".to_vec();
            bulk("key-popularity").encode(Protocol::Resp3, &mut out);
            Reply::Array(vec![bulk("key:123"), Reply::Int(90)]).encode(Protocol::Resp3, &mut out);
            real.encode(Protocol::Resp3, &mut out);
            Reply::Raw(Bytes::from(out))
        }
        "push" => {
            if !r3 {
                return Reply::err("ERR RESP2 is not supported by this command");
            }
            ctx.client.push(&Reply::Push(vec![bulk("server-cpu-usage"), Reply::Int(42)]));
            bulk("Some real reply following the push reply")
        }
        "true" => Reply::Bool(true),
        "false" => Reply::Bool(false),
        "verbatim" => Reply::Verbatim("txt", Bytes::from_static(b"This is a verbatim\nstring")),
        _ => Reply::err(
            "ERR Wrong protocol type name. Please use one of the following: \
             string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
        ),
    }
}

/// A config parameter's current value as CONFIG GET shows it ("" if unknown).
pub fn config_str(ctx: &Ctx<'_>, name: &[u8]) -> String {
    let pairs = ctx.srv.loaded.config.get(&[name]);
    // Values are bytes or text depending on the table's version; both are ASCII here.
    pairs
        .into_iter()
        .next()
        .map(|(_, v)| String::from_utf8_lossy(AsRef::<[u8]>::as_ref(&v)).into_owned())
        .unwrap_or_default()
}

/// An integer config parameter's current value, via the config table.
fn config_int(ctx: &Ctx<'_>, name: &[u8], default: i64) -> i64 {
    config_str(ctx, name).parse().unwrap_or(default)
}

/// C `strtod` on the longest numeric prefix; 0 when there is none.
fn strtod(a: &[u8]) -> f64 {
    let s = String::from_utf8_lossy(a);
    let s = s.trim_start();
    (1..=s.len())
        .rev()
        .filter(|&n| s.is_char_boundary(n))
        .find_map(|n| s[..n].parse().ok())
        .unwrap_or(0.0)
}

/// C `atoi`: optional sign and leading digits; 0 when there are none.
fn atoi(a: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(a);
    let s = s.trim_start();
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).take(18).collect();
    let v: i64 = digits.parse().unwrap_or(0);
    if neg { -v } else { v }
}

/// `memtoull`: a byte count with an optional k/kb/m/mb/g/gb suffix; 0 means the default.
fn memory_value(a: &[u8]) -> Option<u64> {
    let s = String::from_utf8_lossy(a).to_ascii_lowercase();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    num.parse::<u64>().ok()?.checked_mul(mul)
}

const HELP: &[&str] = &[
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "MALLCTL <key> [<val>]",
    "    Get or set a malloc tuning integer.",
    "MALLCTL-STR <key> [<val>]",
    "    Get or set a malloc tuning string.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
    "HELP",
    "    Prints this help.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_number_parsing() {
        assert_eq!(strtod(b"1.5abc"), 1.5);
        assert_eq!(strtod(b"abc"), 0.0);
        assert_eq!(strtod(b" 0.25"), 0.25);
        assert_eq!(atoi(b"12x"), 12);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(memory_value(b"10"), Some(10));
        assert_eq!(memory_value(b"1kb"), Some(1024));
        assert_eq!(memory_value(b"1x"), None);
    }
}
