//! Hash commands (`t_hash.c`): HSET/HMSET/HSETNX, the readers (HGET, HMGET, HLEN,
//! HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL), HDEL, HINCRBY/HINCRBYFLOAT, HRANDFIELD and
//! HSCAN.
//!
//! The value type ([`Hash`]) owns the listpack → hashtable rules; handlers only decide
//! *when* Redis consults them: HSET/HMSET/HSETNX run `hashTypeTryConversion` over their
//! arguments first, every store runs `hashTypeSet`'s own length check.
//!
//! Listpack iteration order is insertion order and is observable (HGETALL, HSCAN,
//! HRANDFIELD with a count covering the whole hash), so it matches Redis exactly;
//! hashtable order depends on the hash function and differs, as allowed.
//!
//! Key creation goes through [`add_key`] (`Ctx::set_key` announces `new` as 7.0's
//! `dbAdd` does).

use bytes::Bytes;
use rand::Rng;
use rand::rngs::SmallRng;
use rhea_keyspace::hash::Hash;
use rhea_keyspace::{Value, glob_match};
use rhea_resp::number::parse_i64;
use rhea_resp::{Protocol, Reply};

use super::args::{NOT_FLOAT, SYNTAX_ERR, int_arg, is};
use super::keys::{Read, lookup_read, lookup_write};
use super::longdouble::LongDouble;
use super::scan::parse_cursor;
use crate::engine::ctx::{Ctx, WRONGTYPE};
use crate::engine::table::{Command, flags::*};
use crate::tri;

const R_FAST: &[&str] = &["read", "hash", "fast"];
const R_SLOW: &[&str] = &["read", "hash", "slow"];
const W_FAST: &[&str] = &["write", "hash", "fast"];

pub const COMMANDS: &[Command] = &[
    Command::new("hset", -4, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, hset),
    Command::new("hmset", -4, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, hset),
    Command::new("hsetnx", 4, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, hsetnx),
    Command::new("hget", 3, READONLY | FAST, (1, 1, 1), R_FAST, hget),
    Command::new("hmget", -3, READONLY | FAST, (1, 1, 1), R_FAST, hmget),
    Command::new("hdel", -3, WRITE | FAST, (1, 1, 1), W_FAST, hdel),
    Command::new("hlen", 2, READONLY | FAST, (1, 1, 1), R_FAST, hlen),
    Command::new("hstrlen", 3, READONLY | FAST, (1, 1, 1), R_FAST, hstrlen),
    Command::new("hexists", 3, READONLY | FAST, (1, 1, 1), R_FAST, hexists),
    Command::new("hkeys", 2, READONLY, (1, 1, 1), R_SLOW, hkeys),
    Command::new("hvals", 2, READONLY, (1, 1, 1), R_SLOW, hvals),
    Command::new("hgetall", 2, READONLY, (1, 1, 1), R_SLOW, hgetall),
    Command::new("hincrby", 4, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, hincrby),
    Command::new("hincrbyfloat", 4, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, hincrbyfloat),
    Command::new("hrandfield", -2, READONLY, (1, 1, 1), R_SLOW, hrandfield),
    Command::new("hscan", -3, READONLY, (1, 1, 1), R_SLOW, hscan),
];

// ===== helpers shared with the set family =====

/// `dbAdd`: store a new key (`Ctx::set_key` announces `new`). The caller has checked the
/// key is missing.
pub fn add_key(ctx: &mut Ctx<'_>, key: &Bytes, value: Value) {
    ctx.set_key(key, value, false);
}

/// `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)`: the count of HRANDFIELD and
/// SRANDMEMBER. `LONG_MIN` is refused because negating it overflows.
pub fn random_count_arg(a: &[u8]) -> Result<i64, Reply> {
    let v = int_arg(a)?;
    if v == i64::MIN {
        return Err(Reply::err(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        ));
    }
    Ok(v)
}

/// The options of HSCAN/SSCAN (`scanGenericCommand` with an object): COUNT and MATCH,
/// repeatable, the last one winning. TYPE is only for SCAN, so it is a syntax error.
pub struct ScanOpts {
    pub count: i64,
    /// `None` when absent or `*` (which Redis treats as "no pattern").
    pub pattern: Option<Bytes>,
}

impl ScanOpts {
    /// Parse `args[3..]`.
    pub fn parse(args: &[Bytes]) -> Result<ScanOpts, Reply> {
        let mut opts = ScanOpts { count: 10, pattern: None };
        let mut i = 3;
        while i < args.len() {
            let more = args.len() - i >= 2;
            if is(&args[i], "count") && more {
                opts.count = int_arg(&args[i + 1])?;
                if opts.count < 1 {
                    return Err(Reply::err(SYNTAX_ERR));
                }
            } else if is(&args[i], "match") && more {
                let p = &args[i + 1];
                opts.pattern = if &p[..] == b"*" { None } else { Some(p.clone()) };
            } else {
                return Err(Reply::err(SYNTAX_ERR));
            }
            i += 2;
        }
        Ok(opts)
    }

    pub fn matches(&self, element: &[u8]) -> bool {
        self.pattern.as_ref().is_none_or(|p| glob_match(p, element, false))
    }

    /// Redis stops a hashtable scan after `10 × count` further buckets even if few
    /// elements were found (sparse tables); `want` is the element target.
    pub fn walk(want: i64, mut step: impl FnMut() -> (u64, usize)) -> u64 {
        let mut budget = want.saturating_mul(10);
        loop {
            let (cursor, found) = step();
            if cursor == 0 || budget == 0 {
                return cursor;
            }
            budget -= 1;
            if found as i64 >= want {
                return cursor;
            }
        }
    }
}

/// The `[cursor, [elements…]]` reply of the SCAN family.
pub fn scan_reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::bulk(Bytes::from(cursor.to_string())), Reply::Array(items)])
}

/// The SCAN family's reply for a missing key (`shared.emptyscan`).
pub fn empty_scan() -> Reply {
    scan_reply(0, Vec::new())
}

// ===== lookups =====

/// `lookupKeyRead` + `checkType(OBJ_HASH)`.
fn read_hash<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c Hash>, Reply> {
    match lookup_read(ctx, key, Read::Normal).map(|e| e.value()) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(Reply::err(WRONGTYPE)),
    }
}

/// `lookupKeyWrite` + `checkType(OBJ_HASH)`.
fn write_hash<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut Hash>, Reply> {
    match lookup_write(ctx, key).map(|e| e.value_mut()) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(Reply::err(WRONGTYPE)),
    }
}

/// `hashTypeLookupWriteOrCreate` + an edit: run `edit` on the existing hash or on a new
/// empty one that is then added as the key (only if `edit` reports it stored something,
/// so a refused edit never leaves an empty hash behind). Signals WATCHers on a change.
fn edit_or_create<T>(
    ctx: &mut Ctx<'_>,
    key: &Bytes,
    edit: impl FnOnce(&mut Hash, &rhea_keyspace::limits::EncodingLimits) -> Result<(T, bool), Reply>,
) -> Result<T, Reply> {
    let limits = ctx.srv.settings.encoding;
    match write_hash(ctx, key)? {
        Some(h) => {
            let (out, changed) = edit(h, &limits)?;
            if changed {
                ctx.modified(key);
            }
            Ok(out)
        }
        None => {
            let mut h = Hash::new();
            let (out, changed) = edit(&mut h, &limits)?;
            if changed {
                add_key(ctx, key, Value::Hash(h));
            }
            Ok(out)
        }
    }
}

// ===== writers =====

/// HSET key field value [field value …] / HMSET: the same code, different replies.
fn hset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    // An odd argument count passes the table's arity check but not Redis's own.
    if args.len() % 2 == 1 {
        return Reply::err(format!("ERR wrong number of arguments for '{}' command", ctx.cmd.name));
    }
    let key = &args[1];
    let created = tri!(edit_or_create(ctx, key, |h, limits| {
        h.try_conversion(&args[2..], limits);
        let created =
            args[2..].chunks(2).filter(|p| h.set(p[0].clone(), p[1].clone(), limits)).count();
        Ok((created, true))
    }));
    ctx.notify('h', "hset", key);
    ctx.dirty((args.len() as u64 - 2) / 2);
    if ctx.cmd.name == "hset" { Reply::Int(created as i64) } else { Reply::ok() }
}

fn hsetnx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let stored = tri!(edit_or_create(ctx, key, |h, limits| {
        if h.contains(&args[2]) {
            return Ok((false, false));
        }
        h.try_conversion(&args[2..4], limits);
        h.set(args[2].clone(), args[3].clone(), limits);
        Ok((true, true))
    }));
    if !stored {
        return Reply::Int(0);
    }
    ctx.notify('h', "hset", key);
    ctx.dirty(1);
    Reply::Int(1)
}

fn hdel(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let deleted = match tri!(write_hash(ctx, key)) {
        None => return Reply::Int(0),
        // Redis stops at the field that empties the hash; the rest cannot exist anyway.
        Some(h) => args[2..].iter().filter(|f| h.remove(f)).count(),
    };
    if deleted > 0 {
        ctx.modified(key);
        ctx.notify('h', "hdel", key);
        if ctx.delete_if_empty(key) {
            ctx.notify('g', "del", key);
        }
        ctx.dirty(deleted as u64);
    }
    Reply::Int(deleted as i64)
}

fn hincrby(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let incr = tri!(int_arg(&args[3]));
    let key = &args[1];
    let field = &args[2];
    let value = tri!(edit_or_create(ctx, key, |h, limits| {
        let old = match h.get(field) {
            None => 0,
            Some(v) => {
                parse_i64(v).ok_or_else(|| Reply::err("ERR hash value is not an integer"))?
            }
        };
        let new = old
            .checked_add(incr)
            .ok_or_else(|| Reply::err("ERR increment or decrement would overflow"))?;
        h.set(field.clone(), int_bytes(new), limits);
        Ok((new, true))
    }));
    ctx.notify('h', "hincrby", key);
    ctx.dirty(1);
    Reply::Int(value)
}

/// HINCRBYFLOAT computes in x87 `long double` and stores `%.17Lf` with the trailing
/// zeros cut, exactly as Redis, via [`LongDouble`].
fn hincrbyfloat(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let Some(incr) = LongDouble::parse(&args[3]) else {
        return Reply::err(NOT_FLOAT);
    };
    if !incr.is_finite() {
        return Reply::err("ERR value is NaN or Infinity");
    }
    let key = &args[1];
    let field = &args[2];
    let text = tri!(edit_or_create(ctx, key, |h, limits| {
        let old = match h.get(field) {
            None => LongDouble::from_i64(0),
            Some(v) => {
                LongDouble::parse(v).ok_or_else(|| Reply::err("ERR hash value is not a float"))?
            }
        };
        let new = old + incr;
        if !new.is_finite() {
            return Err(Reply::err("ERR increment would produce NaN or Infinity"));
        }
        let text = Bytes::from(new.to_human());
        h.set(field.clone(), text.clone(), limits);
        Ok((text, true))
    }));
    ctx.notify('h', "hincrbyfloat", key);
    ctx.dirty(1);
    Reply::Bulk(text)
}

fn int_bytes(v: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(v).as_bytes())
}

// ===== readers =====

fn hget(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    match tri!(read_hash(ctx, &args[1])).and_then(|h| h.get(&args[2])) {
        Some(v) => Reply::Bulk(v.clone()),
        None => Reply::Null,
    }
}

fn hmget(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let h = tri!(read_hash(ctx, &args[1]));
    let out = args[2..]
        .iter()
        .map(|f| h.and_then(|h| h.get(f)).map_or(Reply::Null, |v| Reply::Bulk(v.clone())))
        .collect();
    Reply::Array(out)
}

fn hlen(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    Reply::Int(tri!(read_hash(ctx, &args[1])).map_or(0, |h| h.len() as i64))
}

fn hstrlen(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let h = tri!(read_hash(ctx, &args[1]));
    Reply::Int(h.and_then(|h| h.get(&args[2])).map_or(0, |v| v.len() as i64))
}

fn hexists(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let h = tri!(read_hash(ctx, &args[1]));
    Reply::Int(h.is_some_and(|h| h.contains(&args[2])) as i64)
}

fn hkeys(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let h = tri!(read_hash(ctx, &args[1]));
    Reply::Array(
        h.map_or_else(Vec::new, |h| h.iter().map(|(f, _)| Reply::Bulk(f.clone())).collect()),
    )
}

fn hvals(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let h = tri!(read_hash(ctx, &args[1]));
    Reply::Array(
        h.map_or_else(Vec::new, |h| h.iter().map(|(_, v)| Reply::Bulk(v.clone())).collect()),
    )
}

/// HGETALL: a map in RESP3 (an empty map for a missing key), a flat array in RESP2.
fn hgetall(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let h = tri!(read_hash(ctx, &args[1]));
    Reply::Map(h.map_or_else(Vec::new, |h| {
        h.iter().map(|(f, v)| (Reply::Bulk(f.clone()), Reply::Bulk(v.clone()))).collect()
    }))
}

// ===== HRANDFIELD =====

/// Above this multiple of the requested count, picking at random beats copying the hash
/// and removing elements (`HRANDFIELD_SUB_STRATEGY_MUL`).
const SUB_STRATEGY_MUL: u64 = 3;

/// HRANDFIELD key [count [WITHVALUES]].
fn hrandfield(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() >= 3 {
        let l = tri!(random_count_arg(&args[2]));
        if args.len() > 4 || (args.len() == 4 && !is(&args[3], "withvalues")) {
            return Reply::err(SYNTAX_ERR);
        }
        let withvalues = args.len() == 4;
        // 7.0.15 refuses counts whose doubled RESP2 reply length could overflow.
        if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Reply::err("ERR value is out of range");
        }
        return hrandfield_with_count(ctx, &args[1], l, withvalues);
    }
    let picked = tri!(with_hash_rng(ctx, &args[1], |h, rng| h.random(rng).map(|(f, _)| f.clone())));
    picked.flatten().map_or(Reply::Null, Reply::Bulk)
}

fn hrandfield_with_count(ctx: &mut Ctx<'_>, key: &[u8], l: i64, withvalues: bool) -> Reply {
    let resp3 = ctx.proto() == Protocol::Resp3;
    let Some(pairs) = tri!(with_hash_rng(ctx, key, |h, rng| random_pairs(h, rng, l))) else {
        return Reply::Array(Vec::new());
    };
    let mut out = Vec::with_capacity(pairs.len() * if withvalues && !resp3 { 2 } else { 1 });
    for (f, v) in pairs {
        match (withvalues, resp3) {
            (false, _) => out.push(Reply::Bulk(f)),
            // RESP3 nests each pair; RESP2 flattens them.
            (true, true) => out.push(Reply::Array(vec![Reply::Bulk(f), Reply::Bulk(v)])),
            (true, false) => out.extend([Reply::Bulk(f), Reply::Bulk(v)]),
        }
    }
    Reply::Array(out)
}

/// `lookupKeyRead` + `checkType`, then `f` with the hash and the server's RNG.
fn with_hash_rng<T>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    f: impl FnOnce(&Hash, &mut SmallRng) -> T,
) -> Result<Option<T>, Reply> {
    if read_hash(ctx, key)?.is_none() {
        return Ok(None);
    }
    let db = ctx.db_index();
    let srv = &mut *ctx.srv;
    match srv.dbs[db].dict.get(key).map(|e| e.value()) {
        Some(Value::Hash(h)) => Ok(Some(f(h, &mut srv.rng))),
        _ => Ok(None),
    }
}

/// The pairs HRANDFIELD replies with, in reply order (`hrandfieldWithCountCommand`):
/// * negative count (or 1): independent picks, repeats allowed;
/// * count ≥ size: the whole hash in encoding order;
/// * count close to size: a copy with random elements removed;
/// * otherwise distinct random picks (for a listpack, in listpack order, as
///   `lpRandomPairsUnique` samples in one pass).
fn random_pairs(h: &Hash, rng: &mut SmallRng, l: i64) -> Vec<(Bytes, Bytes)> {
    let count = l.unsigned_abs();
    let size = h.len() as u64;
    let own = |(f, v): (&Bytes, &Bytes)| (f.clone(), v.clone());
    if count == 0 {
        return Vec::new();
    }
    if l < 0 || count == 1 {
        return (0..count).filter_map(|_| h.random(rng).map(own)).collect();
    }
    if count >= size {
        return h.iter().map(own).collect();
    }
    if count.saturating_mul(SUB_STRATEGY_MUL) > size {
        let mut all: Vec<_> = h.iter().map(own).collect();
        while all.len() as u64 > count {
            let i = rng.random_range(0..all.len());
            all.swap_remove(i);
        }
        return all;
    }
    if h.encoding_name() == "listpack" {
        return selection_sample(h.iter().map(own), size, count, rng);
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(count as usize);
    while (out.len() as u64) < count {
        if let Some((f, v)) = h.random(rng)
            && seen.insert(f.clone())
        {
            out.push((f.clone(), v.clone()));
        }
    }
    out
}

/// Knuth's selection sampling: `count` distinct items of `items` (of length `size`),
/// each subset equally likely, in their original order.
pub fn selection_sample<T>(
    items: impl Iterator<Item = T>,
    size: u64,
    count: u64,
    rng: &mut SmallRng,
) -> Vec<T> {
    let mut out = Vec::with_capacity(count.min(size) as usize);
    let mut left = size;
    for item in items {
        let need = count - out.len() as u64;
        if need == 0 {
            break;
        }
        if rng.random_range(0..left) < need {
            out.push(item);
        }
        left -= 1;
    }
    out
}

// ===== HSCAN =====

/// HSCAN key cursor [MATCH pattern] [COUNT count]: a listpack hash comes back whole
/// with cursor 0; a hashtable is walked bucket by bucket. MATCH filters on fields.
fn hscan(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let Some(mut cursor) = parse_cursor(&args[2]) else {
        return Reply::err("ERR invalid cursor");
    };
    let Some(h) = tri!(read_hash(ctx, &args[1])) else {
        return empty_scan();
    };
    let opts = tri!(ScanOpts::parse(args));
    let mut pairs = Vec::new();
    // Fields and values both count towards COUNT, as Redis doubles it for hashes.
    let cursor = ScanOpts::walk(opts.count.saturating_mul(2), || {
        cursor = h.scan(cursor, |f, v| pairs.push((f.clone(), v.clone())));
        (cursor, pairs.len() * 2)
    });
    let mut out = Vec::with_capacity(pairs.len() * 2);
    for (f, v) in pairs {
        if opts.matches(&f) {
            out.extend([Reply::Bulk(f), Reply::Bulk(v)]);
        }
    }
    scan_reply(cursor, out)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn hash(n: usize) -> Hash {
        let mut h = Hash::new();
        let limits = rhea_keyspace::limits::EncodingLimits::default();
        for i in 0..n {
            h.set(b(&format!("f{i}")), b(&format!("v{i}")), &limits);
        }
        h
    }

    #[test]
    fn random_count_range() {
        assert_eq!(random_count_arg(b"-9223372036854775807"), Ok(-i64::MAX));
        assert!(random_count_arg(b"-9223372036854775808").is_err());
        assert!(random_count_arg(b"x").is_err());
    }

    #[test]
    fn random_pairs_cases() {
        let mut rng = SmallRng::seed_from_u64(7);
        let h = hash(10);
        // Whole hash, in listpack order.
        let all: Vec<_> = random_pairs(&h, &mut rng, 10).into_iter().map(|p| p.0).collect();
        assert_eq!(all, (0..10).map(|i| b(&format!("f{i}"))).collect::<Vec<_>>());
        assert_eq!(random_pairs(&h, &mut rng, 100).len(), 10);
        assert!(random_pairs(&h, &mut rng, 0).is_empty());
        // Repeats allowed, exact length.
        assert_eq!(random_pairs(&h, &mut rng, -25).len(), 25);
        for (count, h) in [(2, hash(10)), (4, hash(10)), (5, hash(300))] {
            let got = random_pairs(&h, &mut rng, count);
            let mut fields: Vec<_> = got.iter().map(|p| p.0.clone()).collect();
            assert_eq!(fields.len(), count as usize);
            for (f, v) in &got {
                assert_eq!(h.get(f), Some(v));
            }
            fields.sort();
            fields.dedup();
            assert_eq!(fields.len(), count as usize, "distinct");
        }
    }

    #[test]
    fn selection_sample_keeps_order_and_size() {
        let mut rng = SmallRng::seed_from_u64(1);
        for count in 0..=10 {
            let got = selection_sample(0..10u32, 10, count, &mut rng);
            assert_eq!(got.len(), count as usize);
            assert!(got.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn scan_options() {
        let args = |v: &[&str]| v.iter().map(|s| b(s)).collect::<Vec<_>>();
        let o =
            ScanOpts::parse(&args(&["hscan", "k", "0", "match", "a*", "COUNT", "5", "match", "*"]))
                .unwrap();
        assert_eq!(o.count, 5);
        assert!(o.pattern.is_none());
        for bad in [&["count", "0"][..], &["count"], &["type", "hash"], &["count", "x"]] {
            let mut v = vec!["hscan", "k", "0"];
            v.extend_from_slice(bad);
            assert!(ScanOpts::parse(&args(&v)).is_err(), "{bad:?}");
        }
    }
}
