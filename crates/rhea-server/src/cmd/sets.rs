//! Set commands (`t_set.c`): SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SPOP,
//! SRANDMEMBER, SMOVE and SSCAN. The multi-key algebra (SMEMBERS, SINTER, SINTERCARD,
//! SUNION, SDIFF and the STORE variants) lives in [`super::sets_algebra`].
//!
//! The value type ([`Set`]) owns the intset → hashtable rules. What handlers must get
//! right is *which* set a result lands in: SPOP with a large count rebuilds the key from
//! the survivors (`setTypeCreate` on the first one, so a hashtable set can come back as
//! an intset), and a whole-set SPOP replies through SUNION's fresh result set.
//!
//! Intset order (ascending) is observable and matches Redis; hashtable order differs.

use std::collections::HashSet;

use bytes::Bytes;
use rand::Rng;
use rand::rngs::SmallRng;
use rhea_keyspace::Value;
use rhea_keyspace::set::Set;
use rhea_resp::Reply;

use super::args::SYNTAX_ERR;
use super::hashes::{ScanOpts, add_key, empty_scan, random_count_arg, scan_reply};
use super::keys::{Read, lookup_read, lookup_write};
use super::scan::parse_cursor;
use super::sets_algebra::{
    sdiff, sdiffstore, sinter, sintercard, sinterstore, sunion, sunionstore,
};
use crate::engine::ctx::{Ctx, WRONGTYPE};
use crate::engine::table::{Command, flags::*};
use crate::tri;

const R_FAST: &[&str] = &["read", "set", "fast"];
const R_SLOW: &[&str] = &["read", "set", "slow"];
const W_FAST: &[&str] = &["write", "set", "fast"];
const W_SLOW: &[&str] = &["write", "set", "slow"];

pub const COMMANDS: &[Command] = &[
    Command::new("sadd", -3, WRITE | DENYOOM | FAST, (1, 1, 1), W_FAST, sadd),
    Command::new("srem", -3, WRITE | FAST, (1, 1, 1), W_FAST, srem),
    Command::new("scard", 2, READONLY | FAST, (1, 1, 1), R_FAST, scard),
    Command::new("sismember", 3, READONLY | FAST, (1, 1, 1), R_FAST, sismember),
    Command::new("smismember", -3, READONLY | FAST, (1, 1, 1), R_FAST, smismember),
    // 7.0 serves SMEMBERS with SINTER's code (one key).
    Command::new("smembers", 2, READONLY, (1, 1, 1), R_SLOW, sinter),
    Command::new("spop", -2, WRITE | FAST, (1, 1, 1), W_FAST, spop),
    Command::new("srandmember", -2, READONLY, (1, 1, 1), R_SLOW, srandmember),
    Command::new("smove", 4, WRITE | FAST, (1, 2, 1), W_FAST, smove),
    Command::new("sinter", -2, READONLY, (1, -1, 1), R_SLOW, sinter),
    Command::new("sintercard", -3, READONLY | MOVABLE_KEYS, (0, 0, 0), R_SLOW, sintercard),
    Command::new("sinterstore", -3, WRITE | DENYOOM, (1, -1, 1), W_SLOW, sinterstore),
    Command::new("sunion", -2, READONLY, (1, -1, 1), R_SLOW, sunion),
    Command::new("sunionstore", -3, WRITE | DENYOOM, (1, -1, 1), W_SLOW, sunionstore),
    Command::new("sdiff", -2, READONLY, (1, -1, 1), R_SLOW, sdiff),
    Command::new("sdiffstore", -3, WRITE | DENYOOM, (1, -1, 1), W_SLOW, sdiffstore),
    Command::new("sscan", -3, READONLY, (1, 1, 1), R_SLOW, sscan),
];

// ===== lookups =====

/// `lookupKeyRead` + `checkType(OBJ_SET)`.
pub fn read_set<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c Set>, Reply> {
    match lookup_read(ctx, key, Read::Normal).map(|e| e.value()) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(Reply::err(WRONGTYPE)),
    }
}

/// `lookupKeyWrite` + `checkType(OBJ_SET)`.
fn write_set<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<Option<&'c mut Set>, Reply> {
    match lookup_write(ctx, key).map(|e| e.value_mut()) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(Reply::err(WRONGTYPE)),
    }
}

/// The set under `key` (already looked up) with the server's RNG beside it.
fn set_and_rng<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Option<(&'c mut Set, &'c mut SmallRng)> {
    let db = ctx.db_index();
    let srv = &mut *ctx.srv;
    match srv.dbs[db].dict.get_mut(key).map(|e| e.value_mut()) {
        Some(Value::Set(s)) => Some((s, &mut srv.rng)),
        _ => None,
    }
}

fn bulks(members: impl IntoIterator<Item = Bytes>) -> Vec<Reply> {
    members.into_iter().map(Reply::Bulk).collect()
}

// ===== single-key commands =====

fn sadd(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let limits = ctx.srv.settings.encoding;
    let add_all =
        |s: &mut Set| args[2..].iter().filter(|m| s.insert((*m).clone(), &limits)).count();
    let added = match tri!(write_set(ctx, key)) {
        Some(s) => add_all(s),
        None => {
            // `setTypeCreate`: the first member decides between intset and hashtable.
            let mut s = Set::new_for(&args[2]);
            let n = add_all(&mut s);
            add_key(ctx, key, Value::Set(s));
            n
        }
    };
    if added > 0 {
        ctx.modified(key);
        ctx.notify('s', "sadd", key);
    }
    ctx.dirty(added as u64);
    Reply::Int(added as i64)
}

fn srem(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let removed = match tri!(write_set(ctx, key)) {
        None => return Reply::Int(0),
        Some(s) => args[2..].iter().filter(|m| s.remove(m)).count(),
    };
    if removed > 0 {
        ctx.modified(key);
        ctx.notify('s', "srem", key);
        if ctx.delete_if_empty(key) {
            ctx.notify('g', "del", key);
        }
        ctx.dirty(removed as u64);
    }
    Reply::Int(removed as i64)
}

fn scard(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    Reply::Int(tri!(read_set(ctx, &args[1])).map_or(0, |s| s.len() as i64))
}

fn sismember(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    Reply::Int(tri!(read_set(ctx, &args[1])).is_some_and(|s| s.contains(&args[2])) as i64)
}

fn smismember(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let s = tri!(read_set(ctx, &args[1]));
    Reply::Array(
        args[2..].iter().map(|m| Reply::Int(s.is_some_and(|s| s.contains(m)) as i64)).collect(),
    )
}

/// SMOVE source destination member (`smoveCommand`): both keys are looked up first, a
/// missing source wins over a wrong-typed destination, and source == destination is a
/// membership test.
fn smove(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let (src, dst, member) = (&args[1], &args[2], &args[3]);
    let src_type = lookup_write(ctx, src).map(|e| matches!(e.value(), Value::Set(_)));
    let dst_type = lookup_write(ctx, dst).map(|e| matches!(e.value(), Value::Set(_)));
    let Some(src_is_set) = src_type else {
        return Reply::Int(0);
    };
    if !src_is_set || dst_type == Some(false) {
        return Reply::err(WRONGTYPE);
    }
    if src == dst {
        let found = set_and_rng(ctx, src).is_some_and(|(s, _)| s.contains(member));
        return Reply::Int(found as i64);
    }
    if !set_and_rng(ctx, src).is_some_and(|(s, _)| s.remove(member)) {
        return Reply::Int(0);
    }
    ctx.notify('s', "srem", src);
    if ctx.delete_if_empty(src) {
        ctx.notify('g', "del", src);
    }
    let limits = ctx.srv.settings.encoding;
    let added = match set_and_rng(ctx, dst) {
        Some((s, _)) => s.insert(member.clone(), &limits),
        None => {
            let mut s = Set::new_for(member);
            s.insert(member.clone(), &limits);
            add_key(ctx, dst, Value::Set(s));
            true
        }
    };
    ctx.modified(src);
    ctx.dirty(1);
    if added {
        ctx.dirty(1);
        ctx.modified(dst);
        ctx.notify('s', "sadd", dst);
    }
    Reply::Int(1)
}

// ===== SPOP =====

/// Use the "rebuild from the survivors" strategy when fewer than 1/5 of the elements
/// would remain (`SPOP_MOVE_STRATEGY_MUL`).
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;

fn spop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    match args.len() {
        3 => return spop_with_count(ctx, args),
        n if n > 3 => return Reply::err(SYNTAX_ERR),
        _ => {}
    }
    let key = &args[1];
    if tri!(write_set(ctx, key)).is_none() {
        return Reply::Null;
    }
    let Some(member) = set_and_rng(ctx, key).and_then(|(s, rng)| s.pop_random(rng)) else {
        return Reply::Null;
    };
    ctx.notify('s', "spop", key);
    if ctx.delete_if_empty(key) {
        ctx.notify('g', "del", key);
    }
    ctx.modified(key);
    ctx.dirty(1);
    Reply::Bulk(member)
}

/// SPOP key count (`spopWithCountCommand`); replies with a set (`~` in RESP3).
fn spop_with_count(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let count = match rhea_resp::number::parse_i64(&args[2]) {
        Some(v) if v >= 0 => v as u64,
        _ => return Reply::err("ERR value is out of range, must be positive"),
    };
    let Some(size) = tri!(write_set(ctx, key)).map(|s| s.len() as u64) else {
        return Reply::Set(Vec::new());
    };
    if count == 0 {
        return Reply::Set(Vec::new());
    }
    ctx.notify('s', "spop", key);
    ctx.dirty(count.min(size));
    if count >= size {
        // Redis replies through SUNION of the key alone: a second (read) lookup and a
        // fresh result set, whose encoding decides the reply order.
        let limits = ctx.srv.settings.encoding;
        let members = match lookup_read(ctx, key, Read::Normal).map(|e| e.value()) {
            Some(Value::Set(s)) => union_of([s], &limits).iter().map(|m| m.to_bytes()).collect(),
            _ => Vec::new(),
        };
        ctx.delete_key(key);
        ctx.notify('g', "del", key);
        return Reply::Set(bulks(members));
    }
    let limits = ctx.srv.settings.encoding;
    let Some((set, rng)) = set_and_rng(ctx, key) else {
        return Reply::Set(Vec::new());
    };
    let remaining = size - count;
    let popped = if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        (0..count).filter_map(|_| set.pop_random(rng)).collect()
    } else {
        // Move the survivors into a new set, hand the old one out, store the new one.
        let mut survivors: Option<Set> = None;
        for _ in 0..remaining {
            let Some(m) = set.pop_random(rng) else { break };
            survivors.get_or_insert_with(|| Set::new_for(&m)).insert(m, &limits);
        }
        let popped: Vec<Bytes> = set.iter().map(|m| m.to_bytes()).collect();
        *set = survivors.unwrap_or_default();
        popped
    };
    ctx.modified(key);
    Reply::Set(bulks(popped))
}

/// SUNION's result set for `sets`: a fresh intset that converts as members arrive.
pub fn union_of<'a>(
    sets: impl IntoIterator<Item = &'a Set>,
    limits: &rhea_keyspace::limits::EncodingLimits,
) -> Set {
    let mut out = Set::new_intset();
    for s in sets {
        for m in s.iter() {
            out.insert(m.to_bytes(), limits);
        }
    }
    out
}

// ===== SRANDMEMBER =====

/// Above this multiple of the requested count, picking at random beats copying the set
/// and removing elements (`SRANDMEMBER_SUB_STRATEGY_MUL`).
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;

fn srandmember(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    match args.len() {
        3 => return srandmember_with_count(ctx, args),
        n if n > 3 => return Reply::err(SYNTAX_ERR),
        _ => {}
    }
    let key = &args[1];
    if tri!(read_set(ctx, key)).is_none() {
        return Reply::Null;
    }
    let picked = set_and_rng(ctx, key).and_then(|(s, rng)| s.random(rng).map(|m| m.to_bytes()));
    picked.map_or(Reply::Null, Reply::Bulk)
}

fn srandmember_with_count(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let l = tri!(random_count_arg(&args[2]));
    let key = &args[1];
    if tri!(read_set(ctx, key)).is_none() {
        return Reply::Array(Vec::new());
    }
    let picked =
        set_and_rng(ctx, key).map(|(s, rng)| random_members(s, rng, l)).unwrap_or_default();
    Reply::Array(bulks(picked))
}

/// The members SRANDMEMBER replies with, in reply order (`srandmemberWithCountCommand`):
/// independent picks for a negative count (or 1), the whole set in encoding order when
/// the count covers it, else distinct random members.
fn random_members(s: &Set, rng: &mut SmallRng, l: i64) -> Vec<Bytes> {
    let count = l.unsigned_abs();
    let size = s.len() as u64;
    if count == 0 {
        return Vec::new();
    }
    if l < 0 || count == 1 {
        return (0..count).filter_map(|_| s.random(rng).map(|m| m.to_bytes())).collect();
    }
    if count >= size {
        return s.iter().map(|m| m.to_bytes()).collect();
    }
    if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        let mut all: Vec<Bytes> = s.iter().map(|m| m.to_bytes()).collect();
        while all.len() as u64 > count {
            let i = rng.random_range(0..all.len());
            all.swap_remove(i);
        }
        return all;
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(count as usize);
    while (out.len() as u64) < count {
        if let Some(m) = s.random(rng).map(|m| m.to_bytes())
            && seen.insert(m.clone())
        {
            out.push(m);
        }
    }
    out
}

// ===== SSCAN =====

/// SSCAN key cursor [MATCH pattern] [COUNT count]: an intset comes back whole (ascending)
/// with cursor 0; a hashtable is walked bucket by bucket.
fn sscan(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let Some(mut cursor) = parse_cursor(&args[2]) else {
        return Reply::err("ERR invalid cursor");
    };
    let Some(s) = tri!(read_set(ctx, &args[1])) else {
        return empty_scan();
    };
    let opts = tri!(ScanOpts::parse(args));
    let mut found = Vec::new();
    let cursor = ScanOpts::walk(opts.count, || {
        cursor = s.scan(cursor, |m| found.push(m.to_bytes()));
        (cursor, found.len())
    });
    let out = found.into_iter().filter(|m| opts.matches(m)).map(Reply::Bulk).collect();
    scan_reply(cursor, out)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rhea_keyspace::limits::EncodingLimits;

    use super::*;

    fn set_of(members: &[&str]) -> Set {
        let mut s = Set::new_for(members[0].as_bytes());
        for m in members {
            s.insert(Bytes::copy_from_slice(m.as_bytes()), &EncodingLimits::default());
        }
        s
    }

    #[test]
    fn union_result_encoding() {
        let limits = EncodingLimits::default();
        // A hashtable set holding only integers unions into an intset.
        let mut s = set_of(&["a", "3", "1", "2"]);
        s.remove(b"a");
        let u = union_of([&s], &limits);
        assert_eq!(u.encoding_name(), "intset");
        assert_eq!(u.iter().map(|m| m.to_bytes()).collect::<Vec<_>>(), ["1", "2", "3"]);
        let u = union_of([&s, &set_of(&["x"])], &limits);
        assert_eq!(u.encoding_name(), "hashtable");
        assert_eq!(u.len(), 4);
    }

    #[test]
    fn random_members_cases() {
        let mut rng = SmallRng::seed_from_u64(3);
        let s = set_of(&["5", "1", "3"]);
        assert_eq!(random_members(&s, &mut rng, 3), ["1", "3", "5"]);
        assert_eq!(random_members(&s, &mut rng, 10), ["1", "3", "5"]);
        assert!(random_members(&s, &mut rng, 0).is_empty());
        assert_eq!(random_members(&s, &mut rng, -7).len(), 7);
        let big: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
        let big = set_of(&big.iter().map(String::as_str).collect::<Vec<_>>());
        for count in [2, 10, 40, 99] {
            let mut got = random_members(&big, &mut rng, count);
            assert!(got.iter().all(|m| big.contains(m)));
            got.sort();
            got.dedup();
            assert_eq!(got.len(), count as usize);
        }
    }
}
