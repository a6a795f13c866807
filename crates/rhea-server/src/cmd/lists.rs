//! List commands (`t_list.c`): pushes, pops, ranges, LINSERT/LREM/LTRIM/LSET, LPOS,
//! LMOVE/RPOPLPUSH and LMPOP. The blocking variants live in [`super::lists_blocking`].
//!
//! A list is a `VecDeque<Bytes>`; OBJECT ENCODING reports `quicklist` as 7.0 always does.
//! Redis never keeps an empty list: every command that removes elements deletes the key
//! when the list runs dry (and announces `del`).
//!
//! Keys pushed to are signalled ready so clients blocked in BLPOP and friends are retried
//! after the command. Redis signals only on key creation (`dbAdd`); signalling on every
//! push is observably the same (a blocked client never waits on a non-empty list) and does
//! not rely on other families signalling lists they create.

use std::collections::VecDeque;

use bytes::Bytes;
use rhea_keyspace::Value;
use rhea_resp::Reply;

use super::args::{self, Mpop, SYNTAX_ERR, int_arg, is, ranged_arg};
use super::lists_blocking::{blmove, blmpop, blpop, brpop, brpoplpush};
use crate::engine::ctx::{Ctx, WRONGTYPE};
use crate::engine::table::{Command, flags::*};
use crate::tri;

const W: &[&str] = &["write", "list", "slow"];
const WF: &[&str] = &["write", "list", "fast"];
const R: &[&str] = &["read", "list", "slow"];
const WB: &[&str] = &["write", "list", "slow", "blocking"];

pub const COMMANDS: &[Command] = &[
    Command::new("lpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, lpush),
    Command::new("rpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, rpush),
    Command::new("lpushx", -3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, lpushx),
    Command::new("rpushx", -3, WRITE | DENYOOM | FAST, (1, 1, 1), WF, rpushx),
    Command::new("lpop", -2, WRITE | FAST, (1, 1, 1), WF, lpop),
    Command::new("rpop", -2, WRITE | FAST, (1, 1, 1), WF, rpop),
    Command::new("llen", 2, READONLY | FAST, (1, 1, 1), &["read", "list", "fast"], llen),
    Command::new("lrange", 4, READONLY, (1, 1, 1), R, lrange),
    Command::new("lindex", 3, READONLY, (1, 1, 1), R, lindex),
    Command::new("lset", 4, WRITE | DENYOOM, (1, 1, 1), W, lset),
    Command::new("linsert", 5, WRITE | DENYOOM, (1, 1, 1), W, linsert),
    Command::new("lrem", 4, WRITE, (1, 1, 1), W, lrem),
    Command::new("ltrim", 4, WRITE, (1, 1, 1), W, ltrim),
    Command::new("lpos", -3, READONLY, (1, 1, 1), R, lpos),
    Command::new("lmove", 5, WRITE | DENYOOM, (1, 2, 1), W, lmove),
    Command::new("rpoplpush", 3, WRITE | DENYOOM, (1, 2, 1), W, rpoplpush),
    Command::new("lmpop", -4, WRITE | MOVABLE_KEYS, (0, 0, 0), W, lmpop),
    Command::new("blpop", -3, WRITE | NOSCRIPT | BLOCKING, (1, -2, 1), WB, blpop),
    Command::new("brpop", -3, WRITE | NOSCRIPT | BLOCKING, (1, -2, 1), WB, brpop),
    Command::new("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, (1, 2, 1), WB, blmove),
    Command::new("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, (1, 2, 1), WB, brpoplpush),
    Command::new("blmpop", -5, WRITE | BLOCKING | MOVABLE_KEYS, (0, 0, 0), WB, blmpop),
];

// ===== helpers =====

/// An end of a list: `LIST_HEAD` (LEFT) or `LIST_TAIL` (RIGHT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

impl End {
    pub fn pop_event(self) -> &'static str {
        match self {
            End::Head => "lpop",
            End::Tail => "rpop",
        }
    }

    pub fn push_event(self) -> &'static str {
        match self {
            End::Head => "lpush",
            End::Tail => "rpush",
        }
    }
}

/// `getListPositionFromObjectOrReply`: LEFT or RIGHT, any case.
pub fn parse_end(a: &[u8]) -> Result<End, Reply> {
    if is(a, "left") {
        Ok(End::Head)
    } else if is(a, "right") {
        Ok(End::Tail)
    } else {
        Err(Reply::err(SYNTAX_ERR))
    }
}

/// LRANGE/LTRIM bounds: negative indexes count from the tail, then the range is clamped.
/// `None` when it selects nothing.
pub fn range_bounds(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    // `llen + negative` cannot overflow.
    let start = if start < 0 { (llen + start).max(0) } else { start };
    let end = if end < 0 { llen + end } else { end };
    if start > end || start >= llen {
        return None;
    }
    Some((start as usize, end.min(llen - 1) as usize))
}

/// LINDEX/LSET position: negative indexes count from the tail. `None` when out of range.
pub fn list_index(index: i64, len: usize) -> Option<usize> {
    let llen = len as i64;
    let i = if index < 0 { llen + index } else { index };
    (0..llen).contains(&i).then_some(i as usize)
}

/// The list under `key` for writing (`lookupKeyWrite` + `checkType`): `Ok(None)` when the
/// key is missing.
pub fn list_mut<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
) -> Result<Option<&'c mut VecDeque<Bytes>>, Reply> {
    match ctx.lookup(key) {
        None => Ok(None),
        Some(e) => match e.value_mut() {
            Value::List(l) => Ok(Some(l)),
            _ => Err(Reply::err(WRONGTYPE)),
        },
    }
}

/// `lookupKeyRead` + `checkType`: like [`list_mut`], and also counts keyspace hits and
/// misses and announces `keymiss`, as 7.0 does for read-only lookups.
fn list_read<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
) -> Result<Option<&'c mut VecDeque<Bytes>>, Reply> {
    if ctx.lookup(key).is_none() {
        ctx.srv.stats.keyspace_misses += 1;
        ctx.notify('m', "keymiss", key);
        return Ok(None);
    }
    ctx.srv.stats.keyspace_hits += 1;
    match ctx.peek(key).map(|e| e.value_mut()) {
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(Reply::err(WRONGTYPE)),
        None => Ok(None),
    }
}

fn pop_one(l: &mut VecDeque<Bytes>, end: End) -> Option<Bytes> {
    match end {
        End::Head => l.pop_front(),
        End::Tail => l.pop_back(),
    }
}

/// Pop up to `count` elements in pop order (for the tail: last element first).
pub fn pop_many(l: &mut VecDeque<Bytes>, end: End, count: usize) -> Vec<Bytes> {
    let n = count.min(l.len());
    match end {
        End::Head => l.drain(..n).collect(),
        End::Tail => {
            let mut v: Vec<Bytes> = l.drain(l.len() - n..).collect();
            v.reverse();
            v
        }
    }
}

/// `listElementsRemoved`: announce the pop, delete the key if the list is now empty,
/// signal WATCHers, count the change.
pub fn elements_removed(ctx: &mut Ctx<'_>, key: &[u8], end: End, count: usize) {
    ctx.notify('l', end.pop_event(), key);
    if ctx.delete_if_empty(key) {
        ctx.notify('g', "del", key);
    }
    ctx.modified(key);
    ctx.dirty(count as u64);
}

/// Push `values` one by one at `end` of the list under `key`, creating it when missing.
/// The caller has checked the type. Announces the push and wakes blocked clients; returns
/// the new length. Does not count dirty (callers differ).
pub fn push_values(ctx: &mut Ctx<'_>, key: &Bytes, end: End, values: &[Bytes]) -> usize {
    let len = match list_mut(ctx, key) {
        Ok(Some(l)) => {
            push_all(l, end, values);
            let len = l.len();
            ctx.modified(key);
            len
        }
        // Callers check the type first; a wrong-typed key is never overwritten.
        Err(_) => return 0,
        Ok(None) => {
            let mut l = VecDeque::with_capacity(values.len());
            push_all(&mut l, end, values);
            let len = l.len();
            ctx.set_key(key, Value::list(l), false);
            len
        }
    };
    ctx.ready(key);
    ctx.notify('l', end.push_event(), key);
    len
}

fn push_all(l: &mut VecDeque<Bytes>, end: End, values: &[Bytes]) {
    for v in values {
        match end {
            End::Head => l.push_front(v.clone()),
            End::Tail => l.push_back(v.clone()),
        }
    }
}

// ===== push / pop =====

fn lpush(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    push_generic(ctx, args, End::Head, false)
}

fn rpush(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    push_generic(ctx, args, End::Tail, false)
}

fn lpushx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    push_generic(ctx, args, End::Head, true)
}

fn rpushx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    push_generic(ctx, args, End::Tail, true)
}

/// `pushGenericCommand` / `pushxGenericCommand`.
fn push_generic(ctx: &mut Ctx<'_>, args: &[Bytes], end: End, only_existing: bool) -> Reply {
    let exists = tri!(list_mut(ctx, &args[1])).is_some();
    if only_existing && !exists {
        return Reply::Int(0);
    }
    let values = &args[2..];
    let len = push_values(ctx, &args[1], end, values);
    ctx.dirty(values.len() as u64);
    Reply::Int(len as i64)
}

fn lpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    pop_generic(ctx, args, End::Head)
}

fn rpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    pop_generic(ctx, args, End::Tail)
}

/// `popGenericCommand`: one element as a bulk, or with COUNT an array (a missing key is
/// then a null *array*, which RESP2 tells apart from a null bulk).
fn pop_generic(ctx: &mut Ctx<'_>, args: &[Bytes], end: End) -> Reply {
    if args.len() > 3 {
        return Reply::err(format!("ERR wrong number of arguments for '{}' command", ctx.cmd.name));
    }
    let count = match args.get(2) {
        Some(a) => Some(tri!(ranged_arg(a, 0, "value is out of range, must be positive"))),
        None => None,
    };
    let key = &args[1];
    let Some(l) = tri!(list_mut(ctx, key)) else {
        return if count.is_some() { Reply::NullArray } else { Reply::Null };
    };
    match count {
        None => {
            let Some(v) = pop_one(l, end) else { return Reply::Null };
            elements_removed(ctx, key, end, 1);
            Reply::Bulk(v)
        }
        Some(0) => Reply::Array(vec![]),
        Some(n) => {
            let popped = pop_many(l, end, usize::try_from(n).unwrap_or(usize::MAX));
            elements_removed(ctx, key, end, popped.len());
            Reply::Array(popped.into_iter().map(Reply::Bulk).collect())
        }
    }
}

// ===== reading =====

fn llen(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    match tri!(list_read(ctx, &args[1])) {
        Some(l) => Reply::Int(l.len() as i64),
        None => Reply::Int(0),
    }
}

fn lrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let start = tri!(int_arg(&args[2]));
    let end = tri!(int_arg(&args[3]));
    let Some(l) = tri!(list_read(ctx, &args[1])) else { return Reply::Array(vec![]) };
    match range_bounds(start, end, l.len()) {
        Some((s, e)) => Reply::Array(l.range(s..=e).map(|v| Reply::Bulk(v.clone())).collect()),
        None => Reply::Array(vec![]),
    }
}

fn lindex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    // The key is looked up before the index is parsed, as in Redis.
    let Some(l) = tri!(list_read(ctx, &args[1])) else { return Reply::Null };
    let index = tri!(int_arg(&args[2]));
    match list_index(index, l.len()) {
        Some(i) => Reply::Bulk(l[i].clone()),
        None => Reply::Null,
    }
}

/// LPOS arguments after the element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LposOpts {
    /// Non-zero; negative searches from the tail.
    pub rank: i64,
    /// -1 when COUNT was not given; 0 means all matches.
    pub count: i64,
    /// 0 means no limit.
    pub maxlen: i64,
}

fn parse_lpos(args: &[Bytes]) -> Result<LposOpts, Reply> {
    let mut o = LposOpts { rank: 1, count: -1, maxlen: 0 };
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        if is(&args[j], "rank") && more {
            o.rank = int_arg(&args[j + 1])?;
            if o.rank == 0 {
                return Err(Reply::err(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if is(&args[j], "count") && more {
            o.count = ranged_arg(&args[j + 1], 0, "COUNT can't be negative")?;
        } else if is(&args[j], "maxlen") && more {
            o.maxlen = ranged_arg(&args[j + 1], 0, "MAXLEN can't be negative")?;
        } else {
            return Err(Reply::err(SYNTAX_ERR));
        }
        j += 2;
    }
    Ok(o)
}

/// The matching indexes LPOS reports (at most one without COUNT). Arithmetic wraps where
/// Redis's C does, so `RANK -9223372036854775808` behaves as it does there.
pub fn lpos_search(l: &VecDeque<Bytes>, ele: &[u8], o: LposOpts) -> Vec<i64> {
    let from_tail = o.rank < 0;
    let rank = if from_tail { o.rank.wrapping_neg() } else { o.rank };
    let llen = l.len() as i64;
    let mut matches: i64 = 0;
    let mut out = Vec::new();
    let items: Box<dyn Iterator<Item = &Bytes>> =
        if from_tail { Box::new(l.iter().rev()) } else { Box::new(l.iter()) };
    for (index, item) in items.enumerate() {
        let index = index as i64;
        if o.maxlen != 0 && index >= o.maxlen {
            break;
        }
        if item[..] != *ele {
            continue;
        }
        matches += 1;
        if matches < rank {
            continue;
        }
        out.push(if from_tail { llen - index - 1 } else { index });
        if o.count == -1 || (o.count != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= o.count)
        {
            break;
        }
    }
    out
}

fn lpos(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let o = tri!(parse_lpos(args));
    let Some(l) = tri!(list_read(ctx, &args[1])) else {
        return if o.count != -1 { Reply::Array(vec![]) } else { Reply::Null };
    };
    let found = lpos_search(l, &args[2], o);
    if o.count != -1 {
        Reply::Array(found.into_iter().map(Reply::Int).collect())
    } else {
        found.first().map_or(Reply::Null, |&i| Reply::Int(i))
    }
}

// ===== in-place edits =====

fn lset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let Some(l) = tri!(list_mut(ctx, key)) else { return Reply::err("ERR no such key") };
    let index = tri!(int_arg(&args[2]));
    let Some(i) = list_index(index, l.len()) else { return Reply::err("ERR index out of range") };
    l[i] = args[3].clone();
    ctx.modified(key);
    ctx.notify('l', "lset", key);
    ctx.dirty(1);
    Reply::ok()
}

fn linsert(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let after = if is(&args[2], "after") {
        true
    } else if is(&args[2], "before") {
        false
    } else {
        return Reply::err(SYNTAX_ERR);
    };
    let key = &args[1];
    let Some(l) = tri!(list_mut(ctx, key)) else { return Reply::Int(0) };
    let Some(pos) = l.iter().position(|v| v[..] == args[3][..]) else { return Reply::Int(-1) };
    l.insert(if after { pos + 1 } else { pos }, args[4].clone());
    let len = l.len();
    ctx.modified(key);
    ctx.notify('l', "linsert", key);
    ctx.dirty(1);
    Reply::Int(len as i64)
}

/// Remove up to |count| elements equal to `ele`, from the head for count > 0, from the tail
/// for count < 0, all of them for 0. Returns how many were removed.
pub fn remove_matches(l: &mut VecDeque<Bytes>, ele: &[u8], count: i64) -> usize {
    let limit = if count == 0 {
        usize::MAX
    } else {
        usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
    };
    let n = l.len();
    let mut drop = vec![false; n];
    let mut removed = 0;
    let mut mark = |i: usize| {
        if removed < limit && l[i][..] == *ele {
            drop[i] = true;
            removed += 1;
        }
    };
    if count >= 0 {
        (0..n).for_each(&mut mark);
    } else {
        (0..n).rev().for_each(&mut mark);
    }
    if removed > 0 {
        let mut i = 0;
        l.retain(|_| {
            i += 1;
            !drop[i - 1]
        });
    }
    removed
}

fn lrem(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let count = tri!(int_arg(&args[2]));
    let key = &args[1];
    let Some(l) = tri!(list_mut(ctx, key)) else { return Reply::Int(0) };
    let removed = remove_matches(l, &args[3], count);
    if removed > 0 {
        ctx.modified(key);
        ctx.notify('l', "lrem", key);
        ctx.dirty(removed as u64);
    }
    if ctx.delete_if_empty(key) {
        ctx.notify('g', "del", key);
    }
    Reply::Int(removed as i64)
}

fn ltrim(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let start = tri!(int_arg(&args[2]));
    let end = tri!(int_arg(&args[3]));
    let key = &args[1];
    let Some(l) = tri!(list_mut(ctx, key)) else { return Reply::ok() };
    let before = l.len();
    match range_bounds(start, end, before) {
        Some((s, e)) => {
            l.truncate(e + 1);
            l.drain(..s);
        }
        None => l.clear(),
    }
    let removed = before - l.len();
    // LTRIM announces and signals even when it removed nothing, as Redis does.
    ctx.notify('l', "ltrim", key);
    if ctx.delete_if_empty(key) {
        ctx.notify('g', "del", key);
    }
    ctx.modified(key);
    ctx.dirty(removed as u64);
    Reply::ok()
}

// ===== moving =====

fn lmove(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let from = tri!(parse_end(&args[3]));
    let to = tri!(parse_end(&args[4]));
    lmove_generic(ctx, &args[1], &args[2], from, to)
}

fn rpoplpush(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    lmove_generic(ctx, &args[1], &args[2], End::Tail, End::Head)
}

/// `lmoveGenericCommand`: pop from `src`, push to `dst` (which may be `src`), reply with
/// the element. The destination's type is checked before anything is popped.
pub fn lmove_generic(ctx: &mut Ctx<'_>, src: &Bytes, dst: &Bytes, from: End, to: End) -> Reply {
    if tri!(list_mut(ctx, src)).is_none() {
        return Reply::Null;
    }
    tri!(list_mut(ctx, dst));
    // Both lookups succeeded, so the source is still a list here.
    let Some(v) = tri!(list_mut(ctx, src)).and_then(|l| pop_one(l, from)) else {
        return Reply::Null;
    };
    // The source is still in the keyspace (possibly empty) so a rotation onto itself
    // refills it before the emptiness check below.
    push_values(ctx, dst, to, std::slice::from_ref(&v));
    ctx.notify('l', from.pop_event(), src);
    if ctx.delete_if_empty(src) {
        ctx.notify('g', "del", src);
    }
    ctx.modified(src);
    ctx.dirty(1);
    Reply::Bulk(v)
}

// ===== LMPOP =====

/// LMPOP/BLMPOP arguments: the shared MPOP grammar with LEFT|RIGHT.
pub fn parse_mpop(args: &[Bytes], numkeys_idx: usize) -> Result<Mpop<End>, Reply> {
    args::parse_mpop(args, numkeys_idx, parse_end)
}

/// Pop from the first non-empty list among `keys`: `Some(reply)` when one was found or a
/// key had the wrong type (unless `skip_wrongtype`), `None` when all are empty.
pub fn mpop_generic(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    end: End,
    count: i64,
    skip_wrongtype: bool,
) -> Option<Reply> {
    for key in keys {
        let l = match list_mut(ctx, key) {
            Ok(Some(l)) if !l.is_empty() => l,
            Ok(_) => continue,
            Err(_) if skip_wrongtype => continue,
            Err(e) => return Some(e),
        };
        let popped = pop_many(l, end, usize::try_from(count).unwrap_or(usize::MAX));
        elements_removed(ctx, key, end, popped.len());
        let items = Reply::Array(popped.into_iter().map(Reply::Bulk).collect());
        return Some(Reply::Array(vec![Reply::Bulk(key.clone()), items]));
    }
    None
}

fn lmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let m = tri!(parse_mpop(args, 1));
    let keys = &args[m.first_key..m.first_key + m.numkeys];
    mpop_generic(ctx, keys, m.end, m.count, false).unwrap_or(Reply::NullArray)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> VecDeque<Bytes> {
        items.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
    }

    fn strs(l: &VecDeque<Bytes>) -> Vec<&str> {
        l.iter().map(|b| std::str::from_utf8(b).unwrap()).collect()
    }

    #[test]
    fn range_bounds_like_lrange() {
        assert_eq!(range_bounds(0, -1, 5), Some((0, 4)));
        assert_eq!(range_bounds(-2, -1, 5), Some((3, 4)));
        assert_eq!(range_bounds(-100, 1, 5), Some((0, 1)));
        assert_eq!(range_bounds(2, 100, 5), Some((2, 4)));
        assert_eq!(range_bounds(3, 2, 5), None);
        assert_eq!(range_bounds(5, 10, 5), None);
        assert_eq!(range_bounds(0, -6, 5), None);
        assert_eq!(range_bounds(0, 0, 0), None);
        assert_eq!(range_bounds(i64::MIN, i64::MAX, 3), Some((0, 2)));
    }

    #[test]
    fn index_normalisation() {
        assert_eq!(list_index(0, 3), Some(0));
        assert_eq!(list_index(-1, 3), Some(2));
        assert_eq!(list_index(-3, 3), Some(0));
        assert_eq!(list_index(-4, 3), None);
        assert_eq!(list_index(3, 3), None);
        assert_eq!(list_index(i64::MIN, 3), None);
        assert_eq!(list_index(i64::MAX, 3), None);
        assert_eq!(list_index(0, 0), None);
    }

    #[test]
    fn remove_matches_by_direction() {
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(remove_matches(&mut l, b"a", 2), 2);
        assert_eq!(strs(&l), ["b", "c", "a"]);
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(remove_matches(&mut l, b"a", -2), 2);
        assert_eq!(strs(&l), ["a", "b", "c"]);
        let mut l = list(&["a", "b", "a"]);
        assert_eq!(remove_matches(&mut l, b"a", 0), 2);
        assert_eq!(strs(&l), ["b"]);
        let mut l = list(&["a", "a"]);
        assert_eq!(remove_matches(&mut l, b"a", i64::MIN), 2);
        assert!(l.is_empty());
    }

    #[test]
    fn pop_many_orders() {
        let mut l = list(&["a", "b", "c"]);
        assert_eq!(pop_many(&mut l, End::Tail, 2), vec![Bytes::from("c"), Bytes::from("b")]);
        assert_eq!(pop_many(&mut l, End::Head, 5), vec![Bytes::from("a")]);
        assert!(l.is_empty());
    }

    #[test]
    fn lpos_ranks_counts_maxlen() {
        let l = list(&["a", "b", "c", "a", "b", "c", "a"]);
        let o = |rank, count, maxlen| LposOpts { rank, count, maxlen };
        assert_eq!(lpos_search(&l, b"a", o(1, -1, 0)), vec![0]);
        assert_eq!(lpos_search(&l, b"a", o(-1, -1, 0)), vec![6]);
        assert_eq!(lpos_search(&l, b"a", o(2, 0, 0)), vec![3, 6]);
        assert_eq!(lpos_search(&l, b"a", o(-2, 0, 5)), vec![3]);
        assert_eq!(lpos_search(&l, b"a", o(2, 2, 4)), vec![3]);
        assert_eq!(lpos_search(&l, b"a", o(i64::MAX, -1, 0)), Vec::<i64>::new());
        // Redis's wrapping arithmetic: every match, from the tail.
        assert_eq!(lpos_search(&l, b"a", o(i64::MIN, 1, 0)), vec![6, 3, 0]);
        assert_eq!(lpos_search(&l, b"x", o(1, 0, 0)), Vec::<i64>::new());
    }

    #[test]
    fn mpop_parsing() {
        let argv = |s: &str| {
            s.split(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect::<Vec<_>>()
        };
        let m = parse_mpop(&argv("LMPOP 2 a b RIGHT COUNT 3"), 1).unwrap();
        assert_eq!(m, Mpop { first_key: 2, numkeys: 2, end: End::Tail, count: 3 });
        let m = parse_mpop(&argv("BLMPOP 0 1 a left"), 2).unwrap();
        assert_eq!(m, Mpop { first_key: 3, numkeys: 1, end: End::Head, count: 1 });
        let err = |s: &str| parse_mpop(&argv(s), 1).unwrap_err();
        assert_eq!(err("LMPOP 0 a LEFT"), Reply::err("ERR numkeys should be greater than 0"));
        assert_eq!(err("LMPOP 9223372036854775807 a LEFT"), Reply::err(SYNTAX_ERR));
        assert_eq!(err("LMPOP 1 a UP"), Reply::err(SYNTAX_ERR));
        assert_eq!(err("LMPOP 1 a LEFT COUNT 0"), Reply::err("ERR count should be greater than 0"));
        assert_eq!(err("LMPOP 1 a LEFT COUNT 1 COUNT 1"), Reply::err(SYNTAX_ERR));
        assert_eq!(err("LMPOP 1 a LEFT COUNT"), Reply::err(SYNTAX_ERR));
    }
}
