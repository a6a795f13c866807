//! Sorted set commands (`t_zset.c`): the command table of the whole family, the helpers
//! its files share (lookups, score parsing, reply shapes), and the single-key commands
//! ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT.
//!
//! The rest of the family lives beside this file:
//! * [`super::zsets_range`]: ZRANGE and its older spellings, ZRANGESTORE, ZREMRANGEBY*.
//! * [`super::zsets_algebra`]: ZUNION/ZINTER/ZDIFF, their STORE forms, ZINTERCARD.
//! * [`super::zsets_pop`]: ZPOPMIN/ZPOPMAX, ZMPOP and the blocking BZPOP*/BZMPOP.
//! * [`super::zsets_random`]: ZRANDMEMBER and ZSCAN.
//!
//! The value type and its encoding rules are `rhea_keyspace::zset`; the limits come from
//! `zset-max-listpack-*` through `ctx.srv.settings.encoding`.
//!
//! Reply shapes follow 7.0: a score is a `%.17g` bulk string in RESP2 and a `,` double
//! in RESP3; lists of members WITHSCORES are flat `[m, s, m, s…]` in RESP2 and nested
//! `[[m, s]…]` in RESP3 (ZRANGE, ZUNION, ZRANDMEMBER, ZPOP with a count…).
//!
//! Redis never keeps an empty sorted set: removals delete the key and announce `del`.
//! Keys that come into existence are signalled ready, so BZPOPMIN and friends blocked on
//! them are retried after the command.

use bytes::Bytes;
use rhea_keyspace::Value;
use rhea_keyspace::zset::{LexRange, ScoreRange, ZSet};
use rhea_resp::number::{is_decimal_float, parse_i64};
use rhea_resp::{Protocol, Reply};

use super::args::{NOT_FLOAT, NOT_INTEGER, SYNTAX_ERR, is};
use super::zsets_algebra::{
    zdiff, zdiffstore, zinter, zintercard, zinterstore, zunion, zunionstore,
};
use super::zsets_pop::{bzmpop, bzpopmax, bzpopmin, zmpop, zpopmax, zpopmin};
use super::zsets_random::{zrandmember, zscan};
use super::zsets_range::{
    zrange, zrangebylex, zrangebyscore, zrangestore, zremrangebylex, zremrangebyrank,
    zremrangebyscore, zrevrange, zrevrangebylex, zrevrangebyscore,
};
use crate::engine::ctx::{Ctx, WRONGTYPE};
use crate::engine::table::{Command, flags::*};
use crate::tri;

const WF: &[&str] = &["write", "sortedset", "fast"];
const WS: &[&str] = &["write", "sortedset", "slow"];
const RF: &[&str] = &["read", "sortedset", "fast"];
const RS: &[&str] = &["read", "sortedset", "slow"];

pub const COMMANDS: &[Command] = &[
    Command::new("zadd", -4, WRITE | DENYOOM | FAST, (1, 1, 1), WF, zadd),
    Command::new("zincrby", 4, WRITE | DENYOOM | FAST, (1, 1, 1), WF, zincrby),
    Command::new("zrem", -3, WRITE | FAST, (1, 1, 1), WF, zrem),
    Command::new("zcard", 2, READONLY | FAST, (1, 1, 1), RF, zcard),
    Command::new("zscore", 3, READONLY | FAST, (1, 1, 1), RF, zscore),
    Command::new("zmscore", -3, READONLY | FAST, (1, 1, 1), RF, zmscore),
    Command::new("zcount", 4, READONLY | FAST, (1, 1, 1), RF, zcount),
    Command::new("zlexcount", 4, READONLY | FAST, (1, 1, 1), RF, zlexcount),
    Command::new("zrank", 3, READONLY | FAST, (1, 1, 1), RF, zrank),
    Command::new("zrevrank", 3, READONLY | FAST, (1, 1, 1), RF, zrevrank),
    Command::new("zrange", -4, READONLY, (1, 1, 1), RS, zrange),
    Command::new("zrangestore", -5, WRITE | DENYOOM, (1, 2, 1), WS, zrangestore),
    Command::new("zrangebyscore", -4, READONLY, (1, 1, 1), RS, zrangebyscore),
    Command::new("zrevrangebyscore", -4, READONLY, (1, 1, 1), RS, zrevrangebyscore),
    Command::new("zrangebylex", -4, READONLY, (1, 1, 1), RS, zrangebylex),
    Command::new("zrevrangebylex", -4, READONLY, (1, 1, 1), RS, zrevrangebylex),
    Command::new("zrevrange", -4, READONLY, (1, 1, 1), RS, zrevrange),
    Command::new("zremrangebyrank", 4, WRITE, (1, 1, 1), WS, zremrangebyrank),
    Command::new("zremrangebyscore", 4, WRITE, (1, 1, 1), WS, zremrangebyscore),
    Command::new("zremrangebylex", 4, WRITE, (1, 1, 1), WS, zremrangebylex),
    Command::new("zpopmin", -2, WRITE | FAST, (1, 1, 1), WF, zpopmin),
    Command::new("zpopmax", -2, WRITE | FAST, (1, 1, 1), WF, zpopmax),
    Command::new(
        "bzpopmin",
        -3,
        WRITE | NOSCRIPT | BLOCKING | FAST,
        (1, -2, 1),
        &["write", "sortedset", "fast", "blocking"],
        bzpopmin,
    ),
    Command::new(
        "bzpopmax",
        -3,
        WRITE | NOSCRIPT | BLOCKING | FAST,
        (1, -2, 1),
        &["write", "sortedset", "fast", "blocking"],
        bzpopmax,
    ),
    Command::new("zmpop", -4, WRITE | MOVABLE_KEYS, (0, 0, 0), WS, zmpop),
    Command::new(
        "bzmpop",
        -5,
        WRITE | BLOCKING | MOVABLE_KEYS,
        (0, 0, 0),
        &["write", "sortedset", "slow", "blocking"],
        bzmpop,
    ),
    Command::new("zunionstore", -4, WRITE | DENYOOM | MOVABLE_KEYS, (1, 1, 1), WS, zunionstore),
    Command::new("zinterstore", -4, WRITE | DENYOOM | MOVABLE_KEYS, (1, 1, 1), WS, zinterstore),
    Command::new("zdiffstore", -4, WRITE | DENYOOM | MOVABLE_KEYS, (1, 1, 1), WS, zdiffstore),
    Command::new("zunion", -3, READONLY | MOVABLE_KEYS, (0, 0, 0), RS, zunion),
    Command::new("zinter", -3, READONLY | MOVABLE_KEYS, (0, 0, 0), RS, zinter),
    Command::new("zdiff", -3, READONLY | MOVABLE_KEYS, (0, 0, 0), RS, zdiff),
    Command::new("zintercard", -3, READONLY | MOVABLE_KEYS, (0, 0, 0), RS, zintercard),
    Command::new("zrandmember", -2, READONLY, (1, 1, 1), RS, zrandmember),
    Command::new("zscan", -3, READONLY, (1, 1, 1), RS, zscan),
];

// ===== shared helpers =====

/// The sorted set under `key` for writing (`lookupKeyWrite` + `checkType`): no keyspace
/// statistics. `Ok(None)` when the key is missing.
pub fn zset_write<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut ZSet>, Reply> {
    match ctx.lookup(key).map(|e| e.value_mut()) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(Reply::err(WRONGTYPE)),
    }
}

/// `lookupKeyRead` + `checkType`: like [`zset_write`], and also counts keyspace hits and
/// misses and announces `keymiss`, as 7.0 does for read lookups.
pub fn zset_read<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut ZSet>, Reply> {
    if !read_lookup(ctx, key) {
        return Ok(None);
    }
    match ctx.peek(key).map(|e| e.value_mut()) {
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(Reply::err(WRONGTYPE)),
        None => Ok(None),
    }
}

/// The accounting half of `lookupKeyRead`: returns whether the key exists.
pub fn read_lookup(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    if ctx.lookup(key).is_none() {
        ctx.srv.stats.keyspace_misses += 1;
        ctx.notify('m', "keymiss", key);
        return false;
    }
    ctx.srv.stats.keyspace_hits += 1;
    true
}

/// After removing members from `key`: delete it if it became empty (announcing `del`).
/// Returns whether it was deleted.
pub fn drop_if_empty(ctx: &mut Ctx<'_>, key: &[u8]) -> bool {
    let deleted = ctx.delete_if_empty(key);
    if deleted {
        ctx.notify('g', "del", key);
    }
    deleted
}

/// Members, optionally with scores, as ZRANGE and friends reply: RESP2 flat
/// `[m, s, m, s…]`, RESP3 nested `[[m, s]…]` (7.0 `zrangeResultBeginClient`).
pub fn scored_reply(proto: Protocol, items: Vec<(Bytes, f64)>, withscores: bool) -> Reply {
    if !withscores {
        return Reply::Array(items.into_iter().map(|(m, _)| Reply::Bulk(m)).collect());
    }
    match proto {
        Protocol::Resp2 => Reply::Array(
            items.into_iter().flat_map(|(m, s)| [Reply::Bulk(m), Reply::Double(s)]).collect(),
        ),
        Protocol::Resp3 => Reply::Array(
            items
                .into_iter()
                .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
                .collect(),
        ),
    }
}

/// Owned copies of the pairs an iterator yields (member `Bytes` are shared, not copied).
pub fn collect_pairs<'a>(it: impl Iterator<Item = (&'a Bytes, f64)>) -> Vec<(Bytes, f64)> {
    it.map(|(m, s)| (m.clone(), s)).collect()
}

/// `getLongFromObjectOrReply` without a message.
pub fn long_arg(a: &[u8]) -> Result<i64, Reply> {
    parse_i64(a).ok_or_else(|| Reply::err(NOT_INTEGER))
}

pub fn score_range_arg(min: &[u8], max: &[u8]) -> Result<ScoreRange, Reply> {
    ScoreRange::parse(min, max).ok_or_else(|| Reply::err("ERR min or max is not a float"))
}

pub fn lex_range_arg(min: &[u8], max: &[u8]) -> Result<LexRange, Reply> {
    LexRange::parse(min, max)
        .ok_or_else(|| Reply::err("ERR min or max not valid string range item"))
}

// ===== score parsing =====

/// Parse a score or weight as Redis's `getDoubleFromObject` / `string2d` does: the whole
/// argument in `strtod` syntax (decimal, hexadecimal `0x1.8p3`, `inf`, `infinity`), no
/// leading space, not NaN, and not out of range — `strtod` reports `ERANGE` on overflow
/// (`1e400`) and on underflow to zero (`1e-400`), which `string2d` rejects (a denormal
/// result is kept).
pub fn parse_score(a: &[u8]) -> Option<f64> {
    let first = *a.first()?;
    if is_c_space(first) {
        return None;
    }
    let (neg, body) = match first {
        b'-' => (true, &a[1..]),
        b'+' => (false, &a[1..]),
        _ => (false, a),
    };
    let v = if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        f64::INFINITY
    } else if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        parse_hex_float(&body[2..])?
    } else {
        if !is_decimal_float(body) {
            return None;
        }
        // The grammar check leaves only ASCII digits, '.', 'e' and exponent signs.
        let v: f64 = std::str::from_utf8(body).ok()?.parse().ok()?;
        let mantissa = body.split(|&c| c == b'e' || c == b'E').next().unwrap_or_default();
        if v.is_infinite() || (v == 0.0 && mantissa.iter().any(|c| (b'1'..=b'9').contains(c))) {
            return None;
        }
        v
    };
    Some(if neg { -v } else { v })
}

/// C `isspace`.
pub fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The part of a C99 hexadecimal float after `0x`: `hexdigits [. hexdigits] [p [+|-]
/// digits]`. Digits past the 16th significant one only move the exponent (their value is
/// below the last bit kept, except in exact-tie rounding cases, which are not modelled).
fn parse_hex_float(s: &[u8]) -> Option<f64> {
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut any = false;
    let mut nonzero = false;
    let mut i = 0;
    let mut seen_dot = false;
    while i < s.len() {
        let c = s[i];
        if c == b'.' && !seen_dot {
            seen_dot = true;
            i += 1;
            continue;
        }
        let Some(d) = (c as char).to_digit(16) else { break };
        any = true;
        nonzero |= d != 0;
        if mant >> 60 == 0 {
            mant = mant << 4 | u64::from(d);
            if seen_dot {
                exp -= 4;
            }
        } else if !seen_dot {
            exp += 4;
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if i < s.len() {
        if s[i] | 0x20 != b'p' {
            return None;
        }
        let rest = &s[i + 1..];
        let (neg, digits) = match rest.first() {
            Some(b'-') => (true, &rest[1..]),
            Some(b'+') => (false, &rest[1..]),
            _ => (false, rest),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        // Saturate: anything this large over- or underflows anyway.
        let e: i64 = std::str::from_utf8(digits).ok()?.parse().unwrap_or(100_000).min(100_000);
        exp += if neg { -e } else { e };
    }
    let v = ldexp(mant as f64, exp);
    if v.is_infinite() || (v == 0.0 && nonzero) {
        return None;
    }
    Some(v)
}

/// `x * 2^e` without overflowing the intermediate power.
fn ldexp(mut x: f64, mut e: i64) -> f64 {
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    x * 2f64.powi(e as i32)
}

// ===== ZADD / ZINCRBY =====

/// ZADD's option words, as `zaddGenericCommand` collects them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddFlags {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
    pub ch: bool,
    pub incr: bool,
}

/// What `zsetAdd` did with one score-member pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AddOutcome {
    Added(f64),
    Updated(f64),
    /// Processed, but the score compares equal to the old one.
    Unchanged(f64),
    /// Skipped by NX, XX, GT or LT.
    Nop,
    /// INCR produced NaN (`+inf` plus `-inf`); nothing changed.
    Nan,
}

/// `zsetAdd` for one pair: NX/XX/GT/LT/INCR decide whether `member` is added or its score
/// updated. Adding may convert the encoding; updating never does.
pub fn zset_add(
    z: &mut ZSet,
    score: f64,
    member: &Bytes,
    f: AddFlags,
    limits: &rhea_keyspace::limits::EncodingLimits,
) -> AddOutcome {
    match z.score(member) {
        Some(cur) => {
            if f.nx {
                return AddOutcome::Nop;
            }
            let mut score = score;
            if f.incr {
                score += cur;
                if score.is_nan() {
                    return AddOutcome::Nan;
                }
            }
            if (f.lt && score >= cur) || (f.gt && score <= cur) {
                return AddOutcome::Nop;
            }
            if score != cur {
                z.update_score(member, score);
                AddOutcome::Updated(score)
            } else {
                AddOutcome::Unchanged(score)
            }
        }
        None if f.xx => AddOutcome::Nop,
        None => {
            z.insert(member.clone(), score, limits);
            AddOutcome::Added(score)
        }
    }
}

/// Parse the leading option words of ZADD (ZINCRBY runs the same loop, as in Redis, so
/// `ZINCRBY k nx m` is a syntax error rather than a bad float). Returns the flags and the
/// index of the first score.
pub fn parse_add_flags(args: &[Bytes], incr: bool) -> (AddFlags, usize) {
    let mut f = AddFlags { incr, ..AddFlags::default() };
    let mut idx = 2;
    while idx < args.len() {
        let a = &args[idx];
        if is(a, "nx") {
            f.nx = true;
        } else if is(a, "xx") {
            f.xx = true;
        } else if is(a, "ch") {
            f.ch = true;
        } else if is(a, "incr") {
            f.incr = true;
        } else if is(a, "gt") {
            f.gt = true;
        } else if is(a, "lt") {
            f.lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    (f, idx)
}

/// The argument checks of `zaddGenericCommand`, in its order: pair count, option
/// conflicts, then every score (so nothing is applied when one is bad).
pub fn check_add_args(args: &[Bytes], f: AddFlags, first: usize) -> Result<Vec<f64>, Reply> {
    let elements = args.len() - first;
    if !elements.is_multiple_of(2) || elements == 0 {
        return Err(Reply::err(SYNTAX_ERR));
    }
    if f.nx && f.xx {
        return Err(Reply::err("ERR XX and NX options at the same time are not compatible"));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(Reply::err(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && elements > 2 {
        return Err(Reply::err("ERR INCR option supports a single increment-element pair"));
    }
    args[first..]
        .iter()
        .step_by(2)
        .map(|a| parse_score(a).ok_or_else(|| Reply::err(NOT_FLOAT)))
        .collect()
}

fn zadd(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    zadd_generic(ctx, args, false)
}

fn zincrby(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    zadd_generic(ctx, args, true)
}

/// `zaddGenericCommand`. A missing key is created (unless XX) before any pair is
/// applied, as a skiplist when the first member is already too long for a listpack; an
/// INCR that yields NaN stops the command with an error, keeping earlier changes.
fn zadd_generic(ctx: &mut Ctx<'_>, args: &[Bytes], incr: bool) -> Reply {
    let (f, first) = parse_add_flags(args, incr);
    let scores = tri!(check_add_args(args, f, first));
    let key = &args[1];
    let limits = ctx.srv.settings.encoding;
    let exists = tri!(zset_write(ctx, key)).is_some();
    if !exists {
        if f.xx {
            return add_reply(f, 0, 0, None);
        }
        let z = if limits.zset_max_listpack_entries == 0
            || limits.zset_max_listpack_value < args[first + 1].len()
        {
            ZSet::new_skiplist()
        } else {
            ZSet::new()
        };
        ctx.set_key(key, Value::ZSet(z), false);
        ctx.ready(key);
    }
    let Ok(Some(z)) = zset_write(ctx, key) else { return Reply::err(WRONGTYPE) };
    let (mut added, mut updated) = (0, 0);
    let mut last = None;
    let mut nan = false;
    for (j, &score) in scores.iter().enumerate() {
        let member = &args[first + 1 + 2 * j];
        match zset_add(z, score, member, f, &limits) {
            AddOutcome::Added(s) => {
                added += 1;
                last = Some(s);
            }
            AddOutcome::Updated(s) => {
                updated += 1;
                last = Some(s);
            }
            AddOutcome::Unchanged(s) => last = Some(s),
            AddOutcome::Nop => {}
            AddOutcome::Nan => {
                nan = true;
                break;
            }
        }
    }
    if added + updated > 0 {
        ctx.modified(key);
        ctx.notify('z', if f.incr { "zincr" } else { "zadd" }, key);
    }
    if nan {
        return Reply::err("ERR resulting score is not a number (NaN)");
    }
    ctx.dirty((added + updated) as u64);
    add_reply(f, added, updated, last)
}

/// ZADD replies with a count (added, or added + updated with CH); with INCR, the new
/// score, or null when the pair was skipped.
fn add_reply(f: AddFlags, added: i64, updated: i64, last: Option<f64>) -> Reply {
    if f.incr {
        last.map_or(Reply::Null, Reply::Double)
    } else {
        Reply::Int(if f.ch { added + updated } else { added })
    }
}

// ===== ZREM / single-member reads =====

fn zrem(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let Some(z) = tri!(zset_write(ctx, key)) else { return Reply::Int(0) };
    let mut deleted = 0;
    // Redis stops at the member that empties the set and deletes the key there.
    for m in &args[2..] {
        if z.remove(m) {
            deleted += 1;
        }
        if z.is_empty() {
            break;
        }
    }
    if deleted > 0 {
        ctx.notify('z', "zrem", key);
        drop_if_empty(ctx, key);
        ctx.modified(key);
        ctx.dirty(deleted);
    }
    Reply::Int(deleted as i64)
}

fn zcard(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    match tri!(zset_read(ctx, &args[1])) {
        Some(z) => Reply::Int(z.len() as i64),
        None => Reply::Int(0),
    }
}

fn zscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    match tri!(zset_read(ctx, &args[1])).and_then(|z| z.score(&args[2])) {
        Some(s) => Reply::Double(s),
        None => Reply::Null,
    }
}

/// ZMSCORE: a missing key answers like an empty set, one null per member.
fn zmscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let z = tri!(zset_read(ctx, &args[1]));
    let score = |m: &Bytes| z.as_ref().and_then(|z| z.score(m));
    Reply::Array(args[2..].iter().map(|m| score(m).map_or(Reply::Null, Reply::Double)).collect())
}

fn zrank(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    rank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    rank_generic(ctx, args, true)
}

fn rank_generic(ctx: &mut Ctx<'_>, args: &[Bytes], reverse: bool) -> Reply {
    match tri!(zset_read(ctx, &args[1])).and_then(|z| z.rank(&args[2], reverse)) {
        Some(r) => Reply::Int(r as i64),
        None => Reply::Null,
    }
}

/// ZCOUNT: the range is parsed before the key is looked up.
fn zcount(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let range = tri!(score_range_arg(&args[2], &args[3]));
    match tri!(zset_read(ctx, &args[1])) {
        Some(z) => Reply::Int(z.count_in_score_range(&range) as i64),
        None => Reply::Int(0),
    }
}

fn zlexcount(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let range = tri!(lex_range_arg(&args[2], &args[3]));
    match tri!(zset_read(ctx, &args[1])) {
        Some(z) => Reply::Int(z.count_in_lex_range(&range) as i64),
        None => Reply::Int(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<Bytes> {
        s.split(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect()
    }

    #[test]
    fn scores_like_string2d() {
        let ok = |s: &str, v: f64| assert_eq!(parse_score(s.as_bytes()), Some(v), "{s:?}");
        ok("1", 1.0);
        ok("-2.5", -2.5);
        ok("+.5", 0.5);
        ok("5.", 5.0);
        ok("1e3", 1000.0);
        ok("1E-3", 0.001);
        ok("inf", f64::INFINITY);
        ok("-Infinity", f64::NEG_INFINITY);
        ok("+INF", f64::INFINITY);
        ok("0e999999", 0.0);
        ok("4.9e-324", 4.9e-324);
        ok("0x10", 16.0);
        ok("-0X1.8p1", -3.0);
        ok("0x.8", 0.5);
        ok("0x1P-2", 0.25);
        assert!(parse_score(b"-0").unwrap().is_sign_negative());
        for bad in [
            "",
            " 1",
            "1 ",
            "abc",
            "nan",
            "-nan",
            "1e",
            "1e+",
            ".",
            "-",
            "+",
            "--1",
            "1e400",
            "-1e400",
            "1e-400",
            "0x",
            "0x1p",
            "0xg",
            "0x1p99999",
            "1\0",
            "inf1",
            "1_0",
        ] {
            assert_eq!(parse_score(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn zadd_argument_checks_in_redis_order() {
        let check = |s: &str| {
            let a = argv(s);
            let (f, first) = parse_add_flags(&a, false);
            check_add_args(&a, f, first)
        };
        assert_eq!(check("ZADD k 1 a 2 b"), Ok(vec![1.0, 2.0]));
        assert_eq!(check("ZADD k NX XX 1"), Err(Reply::err(SYNTAX_ERR)));
        assert_eq!(check("ZADD k NX"), Err(Reply::err(SYNTAX_ERR)));
        assert_eq!(
            check("ZADD k nx xx 1 a"),
            Err(Reply::err("ERR XX and NX options at the same time are not compatible"))
        );
        assert_eq!(
            check("ZADD k GT LT 1 a"),
            Err(Reply::err("ERR GT, LT, and/or NX options at the same time are not compatible"))
        );
        assert_eq!(
            check("ZADD k INCR 1 a 2 b"),
            Err(Reply::err("ERR INCR option supports a single increment-element pair"))
        );
        assert_eq!(check("ZADD k 1 a x b"), Err(Reply::err(NOT_FLOAT)));
        let a = argv("ZINCRBY k nx m");
        let (f, first) = parse_add_flags(&a, true);
        assert_eq!(check_add_args(&a, f, first), Err(Reply::err(SYNTAX_ERR)));
    }

    #[test]
    fn zadd_flag_semantics() {
        let limits = rhea_keyspace::limits::EncodingLimits::default();
        let m = Bytes::from_static(b"m");
        let mut z = ZSet::new();
        let f = AddFlags::default();
        assert_eq!(zset_add(&mut z, 1.0, &m, f, &limits), AddOutcome::Added(1.0));
        assert_eq!(zset_add(&mut z, 1.0, &m, f, &limits), AddOutcome::Unchanged(1.0));
        let gt = AddFlags { gt: true, ..f };
        assert_eq!(zset_add(&mut z, 0.5, &m, gt, &limits), AddOutcome::Nop);
        assert_eq!(zset_add(&mut z, 2.0, &m, gt, &limits), AddOutcome::Updated(2.0));
        let incr = AddFlags { incr: true, ..f };
        assert_eq!(zset_add(&mut z, 3.0, &m, incr, &limits), AddOutcome::Updated(5.0));
        assert_eq!(
            zset_add(&mut z, f64::INFINITY, &m, incr, &limits),
            AddOutcome::Updated(f64::INFINITY)
        );
        assert_eq!(zset_add(&mut z, f64::NEG_INFINITY, &m, incr, &limits), AddOutcome::Nan);
        let xx = AddFlags { xx: true, ..f };
        assert_eq!(zset_add(&mut z, 1.0, &Bytes::from_static(b"n"), xx, &limits), AddOutcome::Nop);
        let nx = AddFlags { nx: true, ..f };
        assert_eq!(zset_add(&mut z, 1.0, &m, nx, &limits), AddOutcome::Nop);
        assert_eq!(z.len(), 1);
    }

    #[test]
    fn scored_reply_shapes() {
        let items = vec![(Bytes::from_static(b"a"), 1.5)];
        assert_eq!(
            scored_reply(Protocol::Resp2, items.clone(), true).to_resp2(),
            b"*2\r\n$1\r\na\r\n$3\r\n1.5\r\n"
        );
        let mut out = Vec::new();
        scored_reply(Protocol::Resp3, items.clone(), true).encode(Protocol::Resp3, &mut out);
        assert_eq!(out, b"*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n");
        assert_eq!(scored_reply(Protocol::Resp3, items, false).to_resp2(), b"*1\r\n$1\r\na\r\n");
    }
}
