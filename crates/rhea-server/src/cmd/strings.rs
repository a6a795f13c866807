//! String commands (`t_string.c`): GET, SET and its variants, GETSET/GETDEL/GETEX,
//! MGET/MSET/MSETNX, APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE, the INCR family,
//! INCRBYFLOAT, and LCS (in [`super::lcs`]).
//!
//! Encodings follow `tryObjectEncoding`, because OBJECT ENCODING exposes them: values
//! stored whole are `int`/`embstr`/`raw` by content ([`Str::new`]), values edited in
//! place (APPEND, SETRANGE) become `raw`, INCR results are `int`, and INCRBYFLOAT
//! results are plain `embstr`/`raw`.

use bytes::Bytes;
use rhea_keyspace::{Entry, Str, Value};
use rhea_resp::Reply;
use rhea_resp::number::parse_i64;

use super::args::{NOT_FLOAT, NOT_INTEGER, SYNTAX_ERR, int_arg};
use super::expire::{Unit, absolute_ms, already_expired, cstr, invalid_expire_time};
use super::keys::{Read, lookup_read, lookup_write};
use super::lcs;
use super::longdouble::LongDouble;
use crate::engine::ctx::{Ctx, WRONGTYPE};
use crate::engine::table::{Command, flags::*};
use crate::tri;

const R_FAST: &[&str] = &["read", "string", "fast"];
const R_SLOW: &[&str] = &["read", "string", "slow"];
const W_FAST: &[&str] = &["write", "string", "fast"];
const W_SLOW: &[&str] = &["write", "string", "slow"];

pub const COMMANDS: &[Command] = &[
    Command::new("get", 2, READONLY | FAST, (1, 1, 1), R_FAST, get),
    Command::new("set", -3, WRITE | DENYOOM, (1, 1, 1), W_SLOW, set),
    Command::new("setnx", 3, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, setnx),
    Command::new("setex", 4, WRITE | DENYOOM, (1, 1, 1), W_SLOW, setex),
    Command::new("psetex", 4, WRITE | DENYOOM, (1, 1, 1), W_SLOW, psetex),
    Command::new("getset", 3, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, getset),
    Command::new("getdel", 2, WRITE | FAST, (1, 1, 1), W_FAST, getdel),
    Command::new("getex", -2, WRITE | FAST, (1, 1, 1), W_FAST, getex),
    Command::new("mget", -2, READONLY | FAST, (1, -1, 1), R_FAST, mget),
    Command::new("mset", -3, WRITE | DENYOOM, (1, -1, 2), W_SLOW, mset),
    Command::new("msetnx", -3, WRITE | DENYOOM, (1, -1, 2), W_SLOW, msetnx),
    Command::new("append", 3, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, append),
    Command::new("strlen", 2, READONLY | FAST, (1, 1, 1), R_FAST, strlen),
    Command::new("getrange", 4, READONLY, (1, 1, 1), R_SLOW, getrange),
    Command::new("substr", 4, READONLY, (1, 1, 1), R_SLOW, getrange),
    Command::new("setrange", 4, WRITE | DENYOOM, (1, 1, 1), W_SLOW, setrange),
    Command::new("incr", 2, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, incr),
    Command::new("decr", 2, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, decr),
    Command::new("incrby", 3, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, incrby),
    Command::new("decrby", 3, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, decrby),
    Command::new("incrbyfloat", 3, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, incrbyfloat),
    Command::new("lcs", -3, READONLY, (1, 2, 1), R_SLOW, lcs::lcs),
];

// ===== helpers =====

/// The string under an entry, or WRONGTYPE (`checkType`).
pub fn as_str(e: &Entry) -> Result<&Str, Reply> {
    match e.value() {
        Value::Str(s) => Ok(s),
        _ => Err(Reply::err(WRONGTYPE)),
    }
}

/// `getGenericCommand`: the value (or nil) as a reply; WRONGTYPE as the error.
fn get_generic(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<Reply, Reply> {
    match lookup_read(ctx, key, Read::Normal) {
        None => Ok(Reply::Null),
        Some(e) => Ok(Reply::Bulk(as_str(e)?.to_bytes())),
    }
}

/// `setKey` after the caller's write lookup. A new key gets a fresh access time; an
/// overwritten key keeps the one its lookup just recorded — under LRU that is "now",
/// as for a new object, and under LFU Redis carries the counter over (`dbSetValue`).
fn store(ctx: &mut Ctx<'_>, key: &Bytes, value: Value, keep_ttl: bool) {
    ctx.set_key(key, value, keep_ttl);
}

/// The value under a key already looked up by this command, without touching its
/// access time a second time (under LFU every touch may bump the counter).
fn stored_value<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Option<&'c mut Value> {
    let idx = ctx.db_index();
    ctx.srv.dbs[idx].dict.get_mut(key).map(|e| e.value_mut())
}

/// `checkStringLength`: would a string of `size + append` bytes pass
/// `proto-max-bulk-len`? The master link is exempt (`mustObeyClient`): a replica must
/// apply whatever its master accepted.
fn check_string_length(ctx: &Ctx<'_>, size: i64, append: i64) -> Result<(), Reply> {
    if ctx.client.is_master {
        return Ok(());
    }
    let max = ctx.srv.shared.max_bulk_len.load(std::sync::atomic::Ordering::Relaxed);
    match size.checked_add(append) {
        Some(total) if total <= max => Ok(()),
        _ => Err(Reply::err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")),
    }
}

// ===== SET and its option grammar =====

/// Which expire form was given (`OBJ_EX`, `OBJ_PX`, `OBJ_EXAT`, `OBJ_PXAT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExpireKind {
    Ex,
    Px,
    ExAt,
    PxAt,
}

impl ExpireKind {
    fn unit(self) -> Unit {
        match self {
            ExpireKind::Ex | ExpireKind::ExAt => Unit::Seconds,
            ExpireKind::Px | ExpireKind::PxAt => Unit::Millis,
        }
    }

    fn named(opt: &[u8]) -> Option<ExpireKind> {
        [
            ("ex", ExpireKind::Ex),
            ("px", ExpireKind::Px),
            ("exat", ExpireKind::ExAt),
            ("pxat", ExpireKind::PxAt),
        ]
        .into_iter()
        .find(|(name, _)| opt.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, k)| k)
    }

    fn is_relative(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::Px)
    }
}

#[derive(Default, Debug, PartialEq, Eq)]
struct ExtOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, Bytes)>,
}

/// `parseExtendedStringArgumentsOrReply` for SET (`for_set`) or GETEX. Conflicting
/// options are a plain syntax error in 7.0; repeating the same expire form is allowed
/// (the last one wins).
fn parse_ext(opts: &[Bytes], for_set: bool) -> Result<ExtOpts, Reply> {
    let mut o = ExtOpts::default();
    let mut j = 0;
    while j < opts.len() {
        let opt = cstr(&opts[j]);
        let next = opts.get(j + 1);
        let kind = o.expire.as_ref().map(|(k, _)| *k);
        let other_kind = |mine: ExpireKind| kind.is_some_and(|k| k != mine);
        let eq = |s: &str| opt.eq_ignore_ascii_case(s.as_bytes());
        if eq("nx") && !o.xx && for_set {
            o.nx = true;
        } else if eq("xx") && !o.nx && for_set {
            o.xx = true;
        } else if eq("get") && for_set {
            o.get = true;
        } else if eq("keepttl") && !o.persist && kind.is_none() && for_set {
            o.keepttl = true;
        } else if eq("persist") && !for_set && kind.is_none() && !o.keepttl {
            o.persist = true;
        } else if let Some(k) = ExpireKind::named(opt)
            && !o.keepttl
            && !o.persist
            && !other_kind(k)
            && let Some(arg) = next
        {
            o.expire = Some((k, arg.clone()));
            j += 1;
        } else {
            return Err(Reply::err(SYNTAX_ERR));
        }
        j += 1;
    }
    Ok(o)
}

/// `getExpireMillisecondsOrReply`: a positive amount, converted to absolute Unix ms.
fn expire_ms(ctx: &Ctx<'_>, kind: ExpireKind, arg: &[u8]) -> Result<i64, Reply> {
    let v = int_arg(arg)?;
    let invalid = || invalid_expire_time(ctx.cmd.name);
    if v <= 0 {
        return Err(invalid());
    }
    let base = if kind.is_relative() { ctx.now_ms() } else { 0 };
    match absolute_ms(v, kind.unit(), base) {
        Some(ms) if ms > 0 => Ok(ms),
        _ => Err(invalid()),
    }
}

/// `setGenericCommand`. `ok`/`abort` are the replies on success and when NX/XX stop
/// the write (SET: OK/nil, SETNX: 1/0); with GET the old value is the reply instead.
fn set_generic(
    ctx: &mut Ctx<'_>,
    key: &Bytes,
    val: &Bytes,
    o: &ExtOpts,
    ok: Reply,
    abort: Reply,
) -> Reply {
    let expire_at = match &o.expire {
        Some((kind, arg)) => Some(tri!(expire_ms(ctx, *kind, arg))),
        None => None,
    };
    let old = if o.get { Some(tri!(get_generic(ctx, key))) } else { None };
    let found = lookup_write(ctx, key).is_some();
    if (o.nx && found) || (o.xx && !found) {
        return old.unwrap_or(abort);
    }
    store(ctx, key, Value::Str(Str::from_slice(val)), o.keepttl);
    ctx.dirty(1);
    ctx.notify('$', "set", key);
    if let Some(when) = expire_at {
        ctx.db().set_expire(key, when);
        ctx.notify('g', "expire", key);
    }
    old.unwrap_or(ok)
}

fn get(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    get_generic(ctx, &args[1]).unwrap_or_else(|e| e)
}

fn set(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let o = tri!(parse_ext(&args[3..], true));
    set_generic(ctx, &args[1], &args[2], &o, Reply::ok(), Reply::Null)
}

fn setnx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let o = ExtOpts { nx: true, ..ExtOpts::default() };
    set_generic(ctx, &args[1], &args[2], &o, Reply::Int(1), Reply::Int(0))
}

fn setex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let o = ExtOpts { expire: Some((ExpireKind::Ex, args[2].clone())), ..ExtOpts::default() };
    set_generic(ctx, &args[1], &args[3], &o, Reply::ok(), Reply::Null)
}

fn psetex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let o = ExtOpts { expire: Some((ExpireKind::Px, args[2].clone())), ..ExtOpts::default() };
    set_generic(ctx, &args[1], &args[3], &o, Reply::ok(), Reply::Null)
}

// ===== GETSET, GETDEL, GETEX =====

fn getset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let old = tri!(get_generic(ctx, key));
    let _ = lookup_write(ctx, key);
    store(ctx, key, Value::Str(Str::from_slice(&args[2])), false);
    ctx.notify('$', "set", key);
    ctx.dirty(1);
    old
}

fn getdel(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let old = tri!(get_generic(ctx, key));
    if ctx.delete_key(key) {
        ctx.notify('g', "del", key);
        ctx.dirty(1);
    }
    old
}

/// `getexCommand`: the key is looked up and type-checked before the expire argument
/// is validated, so a missing key answers nil even to a bad time.
fn getex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let o = tri!(parse_ext(&args[2..], false));
    let key = &args[1];
    let Some(e) = lookup_read(ctx, key, Read::Normal) else {
        return Reply::Null;
    };
    let value = tri!(as_str(e)).to_bytes();
    if let Some((kind, arg)) = &o.expire {
        let when = tri!(expire_ms(ctx, *kind, arg));
        if !kind.is_relative() && already_expired(ctx, when) {
            ctx.delete_key(key);
            ctx.notify('g', "del", key);
        } else {
            ctx.db().set_expire(key, when);
            ctx.modified(key);
            ctx.notify('g', "expire", key);
        }
        ctx.dirty(1);
    } else if o.persist && ctx.db().persist(key) {
        ctx.modified(key);
        ctx.notify('g', "persist", key);
        ctx.dirty(1);
    }
    Reply::Bulk(value)
}

// ===== MGET, MSET, MSETNX =====

fn mget(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let out = args[1..]
        .iter()
        .map(|k| match lookup_read(ctx, k, Read::Normal).map(|e| e.value()) {
            Some(Value::Str(s)) => Reply::Bulk(s.to_bytes()),
            _ => Reply::Null,
        })
        .collect();
    Reply::Array(out)
}

/// `msetGenericCommand`. With NX nothing is written if any key exists.
fn mset_generic(ctx: &mut Ctx<'_>, args: &[Bytes], nx: bool) -> Reply {
    if args.len().is_multiple_of(2) {
        return Reply::err(format!("ERR wrong number of arguments for '{}' command", ctx.cmd.name));
    }
    if nx {
        for pair in args[1..].chunks(2) {
            if lookup_write(ctx, &pair[0]).is_some() {
                return Reply::Int(0);
            }
        }
    }
    for pair in args[1..].chunks(2) {
        let _ = lookup_write(ctx, &pair[0]);
        store(ctx, &pair[0], Value::Str(Str::from_slice(&pair[1])), false);
        ctx.notify('$', "set", &pair[0]);
    }
    ctx.dirty((args.len() as u64 - 1) / 2);
    if nx { Reply::Int(1) } else { Reply::ok() }
}

fn mset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    mset_generic(ctx, args, false)
}

fn msetnx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    mset_generic(ctx, args, true)
}

// ===== APPEND, STRLEN, GETRANGE, SETRANGE =====

fn append(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let (key, tail) = (&args[1], &args[2]);
    let total = match lookup_write(ctx, key) {
        None => {
            store(ctx, key, Value::Str(Str::from_slice(tail)), false);
            tail.len()
        }
        Some(e) => {
            let old_len = tri!(as_str(e)).len();
            tri!(check_string_length(ctx, old_len as i64, tail.len() as i64));
            let Some(Value::Str(s)) = stored_value(ctx, key) else { unreachable!("checked above") };
            // Appending always leaves a private `raw` string (`dbUnshareStringValue`).
            s.edit(|buf| buf.extend_from_slice(tail));
            s.len()
        }
    };
    ctx.modified(key);
    ctx.notify('$', "append", key);
    ctx.dirty(1);
    Reply::Int(total as i64)
}

fn strlen(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    match lookup_read(ctx, &args[1], Read::Normal) {
        None => Reply::Int(0),
        Some(e) => Reply::Int(tri!(as_str(e)).len() as i64),
    }
}

/// The inclusive byte range GETRANGE returns, or `None` for an empty reply.
fn range_of(len: usize, mut start: i64, mut end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0).min(len - 1);
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

fn getrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let start = tri!(int_arg(&args[2]));
    let end = tri!(int_arg(&args[3]));
    let empty = Reply::Bulk(Bytes::new());
    let Some(e) = lookup_read(ctx, &args[1], Read::Normal) else {
        return empty;
    };
    let s = tri!(as_str(e)).as_bytes();
    match range_of(s.len(), start, end) {
        Some((a, b)) => Reply::Bulk(Bytes::copy_from_slice(&s[a..=b])),
        None => empty,
    }
}

fn setrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let offset = tri!(int_arg(&args[2]));
    if offset < 0 {
        return Reply::err("ERR offset is out of range");
    }
    let (key, patch) = (&args[1], &args[3]);
    let existing = match lookup_write(ctx, key) {
        None => None,
        Some(e) => Some(tri!(as_str(e)).len()),
    };
    // Writing nothing changes nothing: the reply is the current length.
    if patch.is_empty() {
        return Reply::Int(existing.unwrap_or(0) as i64);
    }
    tri!(check_string_length(ctx, offset, patch.len() as i64));
    let offset = offset as usize;
    let end = offset + patch.len();
    let new_len = match existing {
        None => {
            let mut buf = vec![0; end];
            buf[offset..].copy_from_slice(patch);
            store(ctx, key, Value::Str(Str::raw(buf)), false);
            end
        }
        Some(_) => {
            let Some(Value::Str(s)) = stored_value(ctx, key) else { unreachable!("checked above") };
            s.edit(|buf| {
                if buf.len() < end {
                    buf.resize(end, 0);
                }
                buf[offset..end].copy_from_slice(patch);
            });
            s.len()
        }
    };
    ctx.modified(key);
    ctx.notify('$', "setrange", key);
    ctx.dirty(1);
    Reply::Int(new_len as i64)
}

// ===== INCR family =====

/// `incrDecrCommand`: the TTL survives, the result is an `int` string.
fn incr_decr(ctx: &mut Ctx<'_>, key: &Bytes, by: i64) -> Reply {
    let current = match lookup_write(ctx, key) {
        None => 0,
        Some(e) => match parse_i64(tri!(as_str(e)).as_bytes()) {
            Some(v) => v,
            None => return Reply::err(NOT_INTEGER),
        },
    };
    let Some(v) = current.checked_add(by) else {
        return Reply::err("ERR increment or decrement would overflow");
    };
    store(ctx, key, Value::Str(Str::from_int(v)), true);
    ctx.notify('$', "incrby", key);
    ctx.dirty(1);
    Reply::Int(v)
}

fn incr(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    incr_decr(ctx, &args[1], 1)
}

fn decr(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    incr_decr(ctx, &args[1], -1)
}

fn incrby(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let by = tri!(int_arg(&args[2]));
    incr_decr(ctx, &args[1], by)
}

fn decrby(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let by = tri!(int_arg(&args[2]));
    // Negating i64::MIN would overflow before the addition is even tried.
    if by == i64::MIN {
        return Reply::err("ERR decrement would overflow");
    }
    incr_decr(ctx, &args[1], -by)
}

/// `incrbyfloatCommand`: computed in (emulated) `long double`, stored and replied as
/// `%.17Lf` with trailing zeros trimmed; the TTL survives.
fn incrbyfloat(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let current = match lookup_write(ctx, key) {
        None => LongDouble::from_i64(0),
        Some(e) => {
            let s = tri!(as_str(e));
            let parsed = match s.enc() {
                rhea_keyspace::StrEnc::Int => parse_i64(s.as_bytes()).map(LongDouble::from_i64),
                _ => LongDouble::parse(s.as_bytes()),
            };
            match parsed {
                Some(v) => v,
                None => return Reply::err(NOT_FLOAT),
            }
        }
    };
    let Some(by) = LongDouble::parse(&args[2]) else {
        return Reply::err(NOT_FLOAT);
    };
    let sum = current.add(by);
    if !sum.is_finite() {
        return Reply::err("ERR increment would produce NaN or Infinity");
    }
    let text = Bytes::from(sum.to_human());
    store(ctx, key, Value::Str(Str::plain(text.clone())), true);
    ctx.notify('$', "incrbyfloat", key);
    ctx.dirty(1);
    Reply::Bulk(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(v: &[&str]) -> Vec<Bytes> {
        v.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
    }

    #[test]
    fn set_option_conflicts() {
        assert!(parse_ext(&opts(&["nx", "xx"]), true).is_err());
        assert!(parse_ext(&opts(&["ex", "1", "px", "1"]), true).is_err());
        assert!(parse_ext(&opts(&["keepttl", "ex", "1"]), true).is_err());
        assert!(parse_ext(&opts(&["ex", "1", "keepttl"]), true).is_err());
        assert!(parse_ext(&opts(&["ex"]), true).is_err());
        assert!(parse_ext(&opts(&["persist"]), true).is_err());
        assert!(parse_ext(&opts(&["nx"]), false).is_err());
        let o = parse_ext(&opts(&["EX", "1", "ex", "2", "nx", "GET"]), true).unwrap();
        assert_eq!(o.expire, Some((ExpireKind::Ex, Bytes::from_static(b"2"))));
        assert!(o.nx && o.get);
        let o = parse_ext(&opts(&["persist"]), false).unwrap();
        assert!(o.persist);
        assert!(parse_ext(&opts(&["persist", "exat", "5"]), false).is_err());
    }

    #[test]
    fn getrange_bounds() {
        assert_eq!(range_of(5, 0, -1), Some((0, 4)));
        assert_eq!(range_of(5, -3, -1), Some((2, 4)));
        assert_eq!(range_of(5, -1, -3), None);
        assert_eq!(range_of(5, 3, 100), Some((3, 4)));
        assert_eq!(range_of(5, 10, 20), None);
        assert_eq!(range_of(0, 0, -1), None);
        assert_eq!(range_of(5, -100, 0), Some((0, 0)));
        assert_eq!(range_of(5, i64::MIN, i64::MAX), Some((0, 4)));
    }
}
