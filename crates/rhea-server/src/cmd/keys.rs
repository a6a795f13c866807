//! Generic keyspace commands (`db.c`, `object.c`): DEL, UNLINK, EXISTS, TYPE, TOUCH,
//! RENAME(NX), COPY, MOVE, SWAPDB, DBSIZE, FLUSHDB, FLUSHALL, OBJECT — and the command
//! table rows of the whole family, including those implemented in [`super::expire`]
//! (EXPIRE/TTL/PERSIST), [`super::scan`] (KEYS, SCAN, RANDOMKEY) and [`super::dump`]
//! (DUMP, RESTORE).
//!
//! Also home of the read-lookup helpers that mirror `lookupKeyRead*`: reads count
//! `keyspace_hits`/`keyspace_misses` and fire the `keymiss` event, writes do neither.

use bytes::Bytes;
use rhea_keyspace::{Entry, Key, Value};
use rhea_resp::Reply;

use super::args::{SYNTAX_ERR, is};
use super::{dump, expire, scan};
use crate::engine::ctx::Ctx;
use crate::engine::lru;
use crate::engine::table::{Command, flags::*};
use crate::tri;

const KR: &[&str] = &["keyspace", "read", "fast"];
const KR_SLOW: &[&str] = &["keyspace", "read", "slow"];
const KR_DANGER: &[&str] = &["keyspace", "read", "slow", "dangerous"];
const KW: &[&str] = &["keyspace", "write", "fast"];
const KW_SLOW: &[&str] = &["keyspace", "write", "slow"];
const KW_DANGER: &[&str] = &["keyspace", "write", "fast", "dangerous"];
const KW_SLOW_DANGER: &[&str] = &["keyspace", "write", "slow", "dangerous"];

pub const COMMANDS: &[Command] = &[
    Command::new("del", -2, WRITE, (1, -1, 1), KW_SLOW, del),
    Command::new("unlink", -2, WRITE | FAST, (1, -1, 1), KW, del),
    Command::new("exists", -2, READONLY | FAST, (1, -1, 1), KR, exists),
    Command::new("type", 2, READONLY | FAST, (1, 1, 1), KR, type_cmd),
    Command::new("touch", -2, READONLY | FAST, (1, -1, 1), KR, touch),
    Command::new("keys", 2, READONLY, (0, 0, 0), KR_DANGER, scan::keys),
    Command::new("scan", -2, READONLY, (0, 0, 0), KR_SLOW, scan::scan),
    Command::new("randomkey", 1, READONLY, (0, 0, 0), KR_SLOW, scan::randomkey),
    Command::new("rename", 3, WRITE, (1, 2, 1), KW_SLOW, rename),
    Command::new("renamenx", 3, WRITE | FAST, (1, 2, 1), KW, renamenx),
    Command::new("copy", -3, WRITE | DENYOOM, (1, 2, 1), KW_SLOW, copy),
    Command::new("move", 3, WRITE | FAST, (1, 1, 1), KW, move_cmd),
    Command::new("swapdb", 3, WRITE | FAST, (0, 0, 0), KW_DANGER, swapdb),
    Command::new("expire", -3, WRITE | FAST, (1, 1, 1), KW, expire::expire),
    Command::new("pexpire", -3, WRITE | FAST, (1, 1, 1), KW, expire::pexpire),
    Command::new("expireat", -3, WRITE | FAST, (1, 1, 1), KW, expire::expireat),
    Command::new("pexpireat", -3, WRITE | FAST, (1, 1, 1), KW, expire::pexpireat),
    Command::new("expiretime", 2, READONLY | FAST, (1, 1, 1), KR, expire::expiretime),
    Command::new("pexpiretime", 2, READONLY | FAST, (1, 1, 1), KR, expire::pexpiretime),
    Command::new("ttl", 2, READONLY | FAST, (1, 1, 1), KR, expire::ttl),
    Command::new("pttl", 2, READONLY | FAST, (1, 1, 1), KR, expire::pttl),
    Command::new("persist", 2, WRITE | FAST, (1, 1, 1), KW, expire::persist),
    Command::new("dbsize", 1, READONLY | FAST, (0, 0, 0), KR, dbsize),
    Command::new("flushdb", -1, WRITE, (0, 0, 0), KW_SLOW_DANGER, flushdb),
    Command::new("flushall", -1, WRITE, (0, 0, 0), KW_SLOW_DANGER, flushall),
    Command::new("dump", 2, READONLY, (1, 1, 1), KR_SLOW, dump::dump),
    Command::new("restore", -4, WRITE | DENYOOM, (1, 1, 1), KW_SLOW_DANGER, dump::restore),
    Command::new("restore-asking", -4, WRITE | DENYOOM, (1, 1, 1), KW_SLOW_DANGER, dump::restore),
    Command::container("object", -2, &["slow"], OBJECT_SUBCOMMANDS),
];

const OBJ_ACL: &[&str] = &["keyspace", "read", "slow"];

const OBJECT_SUBCOMMANDS: &[Command] = &[
    Command::new("object|encoding", 3, READONLY, (2, 2, 1), OBJ_ACL, object_encoding),
    Command::new("object|freq", 3, READONLY, (2, 2, 1), OBJ_ACL, object_freq),
    Command::new("object|idletime", 3, READONLY, (2, 2, 1), OBJ_ACL, object_idletime),
    Command::new("object|refcount", 3, READONLY, (2, 2, 1), OBJ_ACL, object_refcount),
    Command::new("object|help", 2, LOADING | STALE, (0, 0, 0), &["keyspace", "slow"], object_help),
];

// ===== lookups =====

/// How a read lookup behaves (`LOOKUP_NOTOUCH` / `LOOKUP_NONOTIFY`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// `lookupKeyRead`: touch LRU/LFU, count stats, fire `keymiss`.
    Normal,
    /// `LOOKUP_NOTOUCH`: inspection commands (EXISTS, TYPE, TTL) leave the access time.
    NoTouch,
    /// `LOOKUP_NOTOUCH | LOOKUP_NONOTIFY`: OBJECT.
    Inspect,
}

/// Announce keys that lazy expiry just removed, before anything else this command
/// announces: Redis fires `expired` from inside the lookup, so it precedes the
/// command's own events (`keymiss`, `set`, `del`, …).
fn settle_expired(ctx: &mut Ctx<'_>) {
    ctx.srv.collect_expired(Some(&mut *ctx.client));
}

/// `lookupKeyWrite`: lazy expiry and the access-time touch, no statistics.
/// One dict lookup: the expiry check first, then the entry (settling an expired key's
/// propagation before returning None).
pub fn lookup_write<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Option<&'c mut Entry> {
    if ctx.expire_if_needed(key) {
        settle_expired(ctx);
        return None;
    }
    ctx.touch_existing(key)
}

/// `expireIfNeeded` alone: is the key live? (No touch, no statistics.)
pub fn is_live(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let live = ctx.peek(key).is_some();
    if !live {
        settle_expired(ctx);
    }
    live
}

/// `lookupKeyReadWithFlags`: lazy expiry, then keyspace hit/miss accounting.
pub fn lookup_read<'c>(ctx: &'c mut Ctx<'_>, key: &[u8], how: Read) -> Option<&'c Entry> {
    let found = match how {
        Read::Normal => ctx.lookup_for_read(key).is_some(),
        Read::NoTouch | Read::Inspect => ctx.peek_ref(key).is_some(),
    };
    if found {
        ctx.srv.stats.keyspace_hits += 1;
        let db = ctx.client.db;
        return ctx.srv.dbs[db].dict.get(key);
    }
    settle_expired(ctx);
    ctx.srv.stats.keyspace_misses += 1;
    if how != Read::Inspect {
        ctx.notify('m', "keymiss", key);
    }
    None
}

/// `lookupKeyWrite` in another database: Redis selects it for the duration, so do we
/// (lazy expiry and the access-time touch then behave exactly as in the current db).
fn lookup_write_in(ctx: &mut Ctx<'_>, db: usize, key: &[u8]) -> bool {
    let saved = ctx.client.db;
    ctx.client.db = db;
    let found = lookup_write(ctx, key).is_some();
    ctx.client.db = saved;
    found
}

/// `dbAdd` wakes clients blocked on the key when a list or sorted set arrives.
pub fn signal_if_blocking_type(ctx: &mut Ctx<'_>, db: usize, key: &[u8]) {
    let ready = ctx.srv.dbs[db]
        .dict
        .get(key)
        .is_some_and(|e| matches!(e.value(), Value::List(_) | Value::ZSet(_)));
    if ready {
        ctx.srv.signal_ready(db, key);
    }
}

/// `getIntFromObjectOrReply`: an `int`-range integer, with Redis's two error texts.
pub fn int32_arg(a: &[u8], msg: Option<&str>) -> Result<i64, Reply> {
    let not_int =
        || Reply::err(format!("ERR {}", msg.unwrap_or("value is not an integer or out of range")));
    let v = rhea_resp::number::parse_i64(a).ok_or_else(not_int)?;
    if v < i64::from(i32::MIN) || v > i64::from(i32::MAX) {
        return Err(match msg {
            Some(m) => Reply::err(format!("ERR {m}")),
            None => Reply::err(format!(
                "ERR value is out of range, value must between {} and {}",
                i32::MIN,
                i32::MAX
            )),
        });
    }
    Ok(v)
}

/// `selectDb`'s range check on an index parsed with [`int32_arg`].
fn db_index(ctx: &Ctx<'_>, v: i64) -> Result<usize, Reply> {
    if v < 0 || v as usize >= ctx.srv.dbs.len() {
        return Err(Reply::err("ERR DB index is out of range"));
    }
    Ok(v as usize)
}

const SAME_OBJECT: &str = "ERR source and destination objects are the same";

// ===== DEL, EXISTS, TYPE, TOUCH =====

/// DEL and UNLINK (`delGenericCommand`; freeing is never deferred here, so they match).
fn del(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let mut n = 0;
    for key in &args[1..] {
        // Expire first so an expired key counts as missing, as `expireIfNeeded` does.
        let _ = is_live(ctx, key);
        if ctx.delete_key(key) {
            ctx.notify('g', "del", key);
            ctx.dirty(1);
            n += 1;
        }
    }
    Reply::Int(n)
}

fn exists(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let mut n = 0;
    for key in &args[1..] {
        if lookup_read(ctx, key, Read::NoTouch).is_some() {
            n += 1;
        }
    }
    Reply::Int(n)
}

fn type_cmd(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let name = lookup_read(ctx, &args[1], Read::NoTouch).map_or("none", |e| e.value().type_name());
    Reply::Simple(name.into())
}

fn touch(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let mut n = 0;
    for key in &args[1..] {
        if lookup_read(ctx, key, Read::Normal).is_some() {
            n += 1;
        }
    }
    Reply::Int(n)
}

// ===== RENAME, COPY, MOVE, SWAPDB =====

fn rename(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    rename_generic(ctx, args, true)
}

/// `renameGenericCommand`. The value object moves with its access time and TTL.
fn rename_generic(ctx: &mut Ctx<'_>, args: &[Bytes], nx: bool) -> Reply {
    let (src, dst) = (&args[1], &args[2]);
    if lookup_write(ctx, src).is_none() {
        return Reply::err("ERR no such key");
    }
    if src == dst {
        return if nx { Reply::Int(0) } else { Reply::ok() };
    }
    if lookup_write(ctx, dst).is_some() {
        if nx {
            return Reply::Int(0);
        }
        ctx.db().delete(dst);
    }
    let (entry, ttl) = ctx.db().take(src).expect("looked up above");
    // `dbAdd` of the destination announces `new`.
    ctx.notify('n', "new", dst);
    ctx.db().dict.insert(Key::from(&dst[..]), entry);
    if let Some(when) = ttl {
        ctx.db().set_expire(dst, when);
    }
    let db = ctx.db_index();
    signal_if_blocking_type(ctx, db, dst);
    ctx.modified(src);
    ctx.modified(dst);
    ctx.notify('g', "rename_from", src);
    ctx.notify('g', "rename_to", dst);
    ctx.dirty(1);
    if nx { Reply::Int(1) } else { Reply::ok() }
}

/// `copyCommand`: COPY source destination [DB destination-db] [REPLACE].
fn copy(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let src_db = ctx.db_index();
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        if is(&args[j], "replace") {
            replace = true;
        } else if is(&args[j], "db") && j + 1 < args.len() {
            let v = tri!(int32_arg(&args[j + 1], None));
            dst_db = tri!(db_index(ctx, v));
            j += 1;
        } else {
            return Reply::err(SYNTAX_ERR);
        }
        j += 1;
    }
    let (key, newkey) = (&args[1], &args[2]);
    if src_db == dst_db && key == newkey {
        return Reply::err(SAME_OBJECT);
    }
    let Some(e) = lookup_read(ctx, key, Read::Normal) else {
        return Reply::Int(0);
    };
    let value = e.value().clone();
    let ttl = ctx.db().get_expire(key);
    if lookup_write_in(ctx, dst_db, newkey) {
        if !replace {
            return Reply::Int(0);
        }
        ctx.srv.dbs[dst_db].delete(newkey);
    }
    // A copy is a new object: fresh access time, as `dupStringObject` & co. create it.
    let lru = ctx.srv.initial_lru();
    ctx.srv.notify_keyspace('n', "new", newkey, dst_db, Some(&mut *ctx.client));
    ctx.srv.dbs[dst_db].dict.insert(Key::from(&newkey[..]), Entry::new(value, lru));
    if let Some(when) = ttl {
        ctx.srv.dbs[dst_db].set_expire(newkey, when);
    }
    signal_if_blocking_type(ctx, dst_db, newkey);
    ctx.modified_in(dst_db, newkey);
    ctx.srv.notify_keyspace('g', "copy_to", newkey, dst_db, Some(&mut *ctx.client));
    ctx.dirty(1);
    Reply::Int(1)
}

/// `moveCommand`: MOVE key db.
fn move_cmd(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let src_db = ctx.db_index();
    let v = tri!(int32_arg(&args[2], None));
    let dst_db = tri!(db_index(ctx, v));
    if src_db == dst_db {
        return Reply::err(SAME_OBJECT);
    }
    let key = &args[1];
    if lookup_write(ctx, key).is_none() {
        return Reply::Int(0);
    }
    if lookup_write_in(ctx, dst_db, key) {
        return Reply::Int(0);
    }
    let (entry, ttl) = ctx.db().take(key).expect("looked up above");
    ctx.srv.notify_keyspace('n', "new", key, dst_db, Some(&mut *ctx.client));
    ctx.srv.dbs[dst_db].dict.insert(Key::from(&key[..]), entry);
    if let Some(when) = ttl {
        ctx.srv.dbs[dst_db].set_expire(key, when);
    }
    signal_if_blocking_type(ctx, dst_db, key);
    ctx.modified_in(src_db, key);
    ctx.modified_in(dst_db, key);
    ctx.notify('g', "move_from", key);
    ctx.srv.notify_keyspace('g', "move_to", key, dst_db, Some(&mut *ctx.client));
    ctx.dirty(1);
    Reply::Int(1)
}

/// `swapdbCommand` / `dbSwapDatabases`: clients keep their db index and see the other
/// data set; WATCHes on keys present on either side are invalidated first.
fn swapdb(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let a = tri!(int32_arg(&args[1], Some("invalid first DB index")));
    let b = tri!(int32_arg(&args[2], Some("invalid second DB index")));
    let n = ctx.srv.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Reply::err("ERR DB index is out of range");
    }
    let (a, b) = (a as usize, b as usize);
    ctx.srv.touch_watched_in_db(a, Some(b), ctx.client);
    ctx.srv.touch_watched_in_db(b, Some(a), ctx.client);
    ctx.srv.dbs.swap(a, b);
    // `scanDatabaseForReadyKeys`: blocked clients may now find a list under their key.
    let blocked: Vec<(usize, Bytes)> =
        ctx.srv.blocking_keys.keys().filter(|(db, _)| *db == a || *db == b).cloned().collect();
    for (db, key) in blocked {
        signal_if_blocking_type(ctx, db, &key);
    }
    ctx.dirty(1);
    Reply::ok()
}

// ===== DBSIZE, FLUSHDB, FLUSHALL =====

fn dbsize(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    Reply::Int(ctx.db().len() as i64)
}

/// `getFlushCommandFlags`: only a lone SYNC or ASYNC is accepted. Freeing is always
/// immediate here, so the two behave the same.
fn flush_flags_ok(args: &[Bytes]) -> bool {
    match args.len() {
        1 => true,
        2 => is(&args[1], "sync") || is(&args[1], "async"),
        _ => false,
    }
}

/// Empty one database (`emptyData` for one db): WATCH invalidation, then the removed
/// keys count as changes.
fn flush_db(ctx: &mut Ctx<'_>, db: usize) {
    ctx.srv.touch_watched_in_db(db, None, ctx.client);
    let removed = ctx.srv.dbs[db].len() as u64;
    ctx.srv.dbs[db].clear();
    ctx.dirty(removed);
}

fn flushdb(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if !flush_flags_ok(args) {
        return Reply::err(SYNTAX_ERR);
    }
    let db = ctx.db_index();
    flush_db(ctx, db);
    Reply::ok()
}

fn flushall(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if !flush_flags_ok(args) {
        return Reply::err(SYNTAX_ERR);
    }
    for db in 0..ctx.srv.dbs.len() {
        flush_db(ctx, db);
    }
    Reply::ok()
}

// ===== OBJECT =====

const LFU_SELECTED: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// Redis shares the integer objects 0..9999 (`OBJ_SHARED_INTEGERS`) unless maxmemory
/// runs an LRU/LFU policy, which needs a private access time per object.
const SHARED_INTEGERS: i64 = 10_000;
/// `OBJ_SHARED_REFCOUNT`: the refcount a shared object reports.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

fn object_encoding(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    match lookup_read(ctx, &args[2], Read::Inspect) {
        Some(e) => Reply::bulk_str(e.value().encoding_name()),
        None => Reply::Null,
    }
}

fn object_refcount(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    // `MAXMEMORY_FLAG_NO_SHARED_INTEGERS`: the LRU and LFU policies.
    let policy = ctx.srv.settings.maxmemory_policy;
    let sharing =
        ctx.srv.settings.maxmemory == 0 || !(policy.is_lfu() || policy.as_str().ends_with("lru"));
    let Some(e) = lookup_read(ctx, &args[2], Read::Inspect) else {
        return Reply::Null;
    };
    let shared = match e.value() {
        Value::Str(s) if s.enc() == rhea_keyspace::StrEnc::Int => {
            sharing
                && rhea_resp::number::parse_i64(s.as_bytes())
                    .is_some_and(|v| (0..SHARED_INTEGERS).contains(&v))
        }
        _ => false,
    };
    Reply::Int(if shared { SHARED_REFCOUNT } else { 1 })
}

fn object_idletime(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let lfu = ctx.srv.settings.maxmemory_policy.is_lfu();
    let clock = ctx.srv.lru_clock();
    let Some(e) = lookup_read(ctx, &args[2], Read::Inspect) else {
        return Reply::Null;
    };
    if lfu {
        return Reply::err(LFU_SELECTED);
    }
    Reply::Int((lru::idle_ms(e.lru, clock) / 1000) as i64)
}

fn object_freq(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let lfu = ctx.srv.settings.maxmemory_policy.is_lfu();
    let now_min = (ctx.now_ms() / 60_000) as u32;
    let decay = ctx.srv.settings.lfu_decay_time;
    let Some(e) = lookup_read(ctx, &args[2], Read::Inspect) else {
        return Reply::Null;
    };
    if !lfu {
        return Reply::err(LFU_NOT_SELECTED);
    }
    Reply::Int(i64::from(lru::lfu_decayed(e.lru, now_min, decay)))
}

/// `addReplyHelp`: a header naming the command, the lines, then HELP's own entry.
pub fn help_reply(cmd: &str, lines: &[&str]) -> Reply {
    let mut out = vec![Reply::simple(format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ))];
    out.extend(lines.iter().map(|l| Reply::simple(l.to_string())));
    out.push(Reply::Simple("HELP".into()));
    out.push(Reply::Simple("    Prints this help.".into()));
    Reply::Array(out)
}

fn object_help(_: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    help_reply(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int32_arg_errors() {
        assert_eq!(int32_arg(b"5", None), Ok(5));
        assert_eq!(
            int32_arg(b"x", None),
            Err(Reply::err("ERR value is not an integer or out of range"))
        );
        assert_eq!(
            int32_arg(b"99999999999", None),
            Err(Reply::err(
                "ERR value is out of range, value must between -2147483648 and 2147483647"
            ))
        );
        assert_eq!(
            int32_arg(b"99999999999", Some("invalid first DB index")),
            Err(Reply::err("ERR invalid first DB index"))
        );
    }

    #[test]
    fn flush_options() {
        let b =
            |v: &[&str]| v.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect::<Vec<_>>();
        assert!(flush_flags_ok(&b(&["flushall"])));
        assert!(flush_flags_ok(&b(&["flushall", "ASYNC"])));
        assert!(flush_flags_ok(&b(&["flushall", "sync"])));
        assert!(!flush_flags_ok(&b(&["flushall", "sync", "async"])));
        assert!(!flush_flags_ok(&b(&["flushall", "now"])));
    }
}
