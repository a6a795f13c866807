//! Multi-set commands (`sinterGenericCommand`, `sunionDiffGenericCommand`): SMEMBERS,
//! SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE.
//!
//! Every source is looked up as a read (keyspace hits and misses count, even for the
//! STORE variants, as in 7.0), in argument order, stopping at the first wrong type.
//!
//! Result encodings follow Redis because OBJECT ENCODING and reply order expose them:
//! * SINTER walks the smallest source (a stable sort by size, like glibc's `qsort` on
//!   these small arrays) and replies in its order; SINTERSTORE collects into a fresh
//!   intset that converts as needed.
//! * SUNION/SDIFF always build a fresh intset-first result and reply in *its* order. SDIFF
//!   picks Redis's algorithm by the same cost estimate, since the two can leave different
//!   encodings (algorithm 2 adds the whole first set before removing).

use bytes::Bytes;
use rhea_keyspace::limits::EncodingLimits;
use rhea_keyspace::set::Set;
use rhea_keyspace::{Entry, Value};
use rhea_resp::Reply;
use rhea_resp::number::parse_i64;

use super::args::{SYNTAX_ERR, is};
use super::hashes::add_key;
use super::keys::{Read, lookup_read, lookup_write};
use crate::engine::ctx::{Ctx, WRONGTYPE};
use crate::tri;

pub fn sinter(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    inter_generic(ctx, &args[1..], None, Inter::Members)
}

pub fn sinterstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    inter_generic(ctx, &args[2..], Some(&args[1]), Inter::Members)
}

/// SINTERCARD numkeys key [key …] [LIMIT limit].
pub fn sintercard(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let numkeys = match parse_i64(&args[1]) {
        Some(n) if n >= 1 => n as usize,
        _ => return Reply::err("ERR numkeys should be greater than 0"),
    };
    if numkeys > args.len() - 2 {
        return Reply::err("ERR Number of keys can't be greater than number of args");
    }
    let mut limit = 0;
    let mut j = 2 + numkeys;
    while j < args.len() {
        if is(&args[j], "limit") && j + 1 < args.len() {
            limit = match parse_i64(&args[j + 1]) {
                Some(v) if v >= 0 => v as u64,
                _ => return Reply::err("ERR LIMIT can't be negative"),
            };
            j += 2;
        } else {
            return Reply::err(SYNTAX_ERR);
        }
    }
    inter_generic(ctx, &args[2..2 + numkeys], None, Inter::Cardinality { limit })
}

pub fn sunion(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    union_diff_generic(ctx, &args[1..], None, Op::Union)
}

pub fn sunionstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    union_diff_generic(ctx, &args[2..], Some(&args[1]), Op::Union)
}

pub fn sdiff(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    union_diff_generic(ctx, &args[1..], None, Op::Diff)
}

pub fn sdiffstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    union_diff_generic(ctx, &args[2..], Some(&args[1]), Op::Diff)
}

// ===== shared steps =====

/// Look every source up as a read, in order. `Ok(missing)` lists which are absent; a
/// wrong type stops at once, as `checkType` does.
fn lookup_sources(ctx: &mut Ctx<'_>, keys: &[Bytes]) -> Result<Vec<bool>, Reply> {
    let mut present = Vec::with_capacity(keys.len());
    for k in keys {
        match lookup_read(ctx, k, Read::Normal).map(|e| matches!(e.value(), Value::Set(_))) {
            None => present.push(false),
            Some(true) => present.push(true),
            Some(false) => return Err(Reply::err(WRONGTYPE)),
        }
    }
    Ok(present)
}

/// Borrow the sources found by [`lookup_sources`] (`None` for missing ones).
fn sources<'c>(ctx: &'c Ctx<'_>, keys: &[Bytes], present: &[bool]) -> Vec<Option<&'c Set>> {
    let dict = &ctx.srv.dbs[ctx.client.db].dict;
    keys.iter()
        .zip(present)
        .map(|(k, &p)| match dict.get(&k[..]).map(Entry::value) {
            Some(Value::Set(s)) if p => Some(s),
            _ => None,
        })
        .collect()
}

/// The STORE ending shared by the three commands: store a non-empty result (announcing
/// `event`), or delete the destination for an empty one.
fn store_result(ctx: &mut Ctx<'_>, dst: &Bytes, result: Set, event: &str) -> Reply {
    if result.is_empty() {
        return delete_destination(ctx, dst);
    }
    let len = result.len() as i64;
    // `setKey`: overwrite (dropping any TTL) or add, the latter announcing `new`.
    if lookup_write(ctx, dst).is_some() {
        ctx.set_key(dst, Value::Set(result), false);
    } else {
        add_key(ctx, dst, Value::Set(result));
    }
    ctx.notify('s', event, dst);
    ctx.dirty(1);
    Reply::Int(len)
}

/// An empty result deletes the destination (`dbDelete`, even if it holds another type).
fn delete_destination(ctx: &mut Ctx<'_>, dst: &Bytes) -> Reply {
    if ctx.delete_key(dst) {
        ctx.notify('g', "del", dst);
        ctx.dirty(1);
    }
    Reply::Int(0)
}

// ===== intersection =====

#[derive(Clone, Copy)]
enum Inter {
    /// SINTER / SMEMBERS / SINTERSTORE.
    Members,
    /// SINTERCARD; 0 means no limit.
    Cardinality { limit: u64 },
}

fn inter_generic(ctx: &mut Ctx<'_>, keys: &[Bytes], dst: Option<&Bytes>, mode: Inter) -> Reply {
    let present = tri!(lookup_sources(ctx, keys));
    // Intersecting with an empty (missing) set is empty: answer before any work.
    if present.contains(&false) {
        return match (dst, mode) {
            (Some(dst), _) => delete_destination(ctx, dst),
            (None, Inter::Cardinality { .. }) => Reply::Int(0),
            (None, Inter::Members) => Reply::Set(Vec::new()),
        };
    }
    let limits = ctx.srv.settings.encoding;
    let (members, stored, card) = {
        let sets: Vec<&Set> = sources(ctx, keys, &present).into_iter().flatten().collect();
        intersect(keys, &sets, dst.is_some(), mode, &limits)
    };
    match (dst, mode) {
        (Some(dst), _) => store_result(ctx, dst, stored, "sinterstore"),
        (None, Inter::Cardinality { .. }) => Reply::Int(card as i64),
        (None, Inter::Members) => Reply::Set(members.into_iter().map(Reply::Bulk).collect()),
    }
}

/// The intersection of `sets` (one per key, none missing). Returns the members in reply
/// order, the set to store (when `store`), and the cardinality.
fn intersect(
    keys: &[Bytes],
    sets: &[&Set],
    store: bool,
    mode: Inter,
    limits: &EncodingLimits,
) -> (Vec<Bytes>, Set, u64) {
    let mut order: Vec<usize> = (0..sets.len()).collect();
    order.sort_by_key(|&i| sets[i].len());
    let first = order[0];
    let mut members = Vec::new();
    let mut stored = Set::new_intset();
    let mut card = 0u64;
    for m in sets[first].iter() {
        // The same key given twice is the same set: skip it, as Redis compares objects.
        let everywhere =
            order[1..].iter().all(|&j| keys[j] == keys[first] || sets[j].contains_member(m));
        if !everywhere {
            continue;
        }
        card += 1;
        match mode {
            Inter::Cardinality { limit } => {
                if limit != 0 && card >= limit {
                    break;
                }
            }
            Inter::Members if store => {
                stored.insert(m.to_bytes(), limits);
            }
            Inter::Members => members.push(m.to_bytes()),
        }
    }
    (members, stored, card)
}

// ===== union and difference =====

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Diff,
}

fn union_diff_generic(ctx: &mut Ctx<'_>, keys: &[Bytes], dst: Option<&Bytes>, op: Op) -> Reply {
    let present = tri!(lookup_sources(ctx, keys));
    let limits = ctx.srv.settings.encoding;
    let result = {
        let sets = sources(ctx, keys, &present);
        match op {
            Op::Union => super::sets::union_of(sets.iter().flatten().copied(), &limits),
            Op::Diff => difference(keys, &sets, &limits),
        }
    };
    match dst {
        Some(dst) => store_result(
            ctx,
            dst,
            result,
            if op == Op::Union { "sunionstore" } else { "sdiffstore" },
        ),
        None => Reply::Set(result.iter().map(|m| Reply::Bulk(m.to_bytes())).collect()),
    }
}

/// `sets[0]` minus the others, with the algorithm Redis would choose for these sizes.
fn difference(keys: &[Bytes], sets: &[Option<&Set>], limits: &EncodingLimits) -> Set {
    let mut out = Set::new_intset();
    let Some(first) = sets[0] else {
        return out;
    };
    // Algorithm 1 costs |first| per source, halved for its better constants;
    // algorithm 2 costs the total size of all sources.
    let present = sets.iter().flatten();
    let one: u64 = present.clone().map(|_| first.len() as u64).sum::<u64>() / 2;
    let two: u64 = present.map(|s| s.len() as u64).sum();
    if one <= two {
        // Keep each member of the first set found in no other source.
        for m in first.iter() {
            let elsewhere = sets
                .iter()
                .zip(keys)
                .skip(1)
                .any(|(s, k)| s.is_some_and(|s| *k == keys[0] || s.contains_member(m)));
            if !elsewhere {
                out.insert(m.to_bytes(), limits);
            }
        }
    } else {
        // Add the whole first set, then remove every other source's members.
        for m in first.iter() {
            out.insert(m.to_bytes(), limits);
        }
        for s in sets[1..].iter().flatten() {
            if out.is_empty() {
                break;
            }
            for m in s.iter() {
                out.remove(&m.to_bytes());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn set_of(members: &[&str]) -> Set {
        let mut s = Set::new_for(members[0].as_bytes());
        for m in members {
            s.insert(b(m), &EncodingLimits::default());
        }
        s
    }

    fn names(s: &Set) -> Vec<Bytes> {
        s.iter().map(|m| m.to_bytes()).collect()
    }

    #[test]
    fn intersect_walks_the_smallest_set() {
        let lim = EncodingLimits::default();
        let keys = [b("a"), b("b")];
        let a = set_of(&["x", "3", "1", "2"]);
        let b2 = set_of(&["3", "1", "9"]);
        let (members, _, card) = intersect(&keys, &[&a, &b2], false, Inter::Members, &lim);
        // b is smaller and an intset: ascending order.
        assert_eq!(members, vec![b("1"), b("3")]);
        assert_eq!(card, 2);
        let (_, stored, _) = intersect(&keys, &[&a, &b2], true, Inter::Members, &lim);
        assert_eq!(stored.encoding_name(), "intset");
        let (_, _, card) =
            intersect(&keys, &[&a, &b2], false, Inter::Cardinality { limit: 1 }, &lim);
        assert_eq!(card, 1);
        // The same key twice intersects with itself.
        let same = [b("a"), b("a")];
        let (_, _, card) = intersect(&same, &[&a, &a], false, Inter::Members, &lim);
        assert_eq!(card, 4);
    }

    #[test]
    fn difference_algorithms_and_encodings() {
        let lim = EncodingLimits::default();
        let keys = [b("a"), b("b"), b("c")];
        let a = set_of(&["1", "2", "3", "x"]);
        let b2 = set_of(&["x"]);
        // Small subtrahends: algorithm 1 only adds survivors, so the result is an intset.
        let d = difference(&keys[..2], &[Some(&a), Some(&b2)], &lim);
        assert_eq!(names(&d), vec![b("1"), b("2"), b("3")]);
        assert_eq!(d.encoding_name(), "intset");
        // A large first set and several small ones: algorithm 2 copies the first set
        // (converting on "x") before removing, so the all-integer result stays a
        // hashtable where algorithm 1 would have built an intset.
        let big: Vec<String> = (1..=10).map(|i| i.to_string()).chain(["x".into()]).collect();
        let big = set_of(&big.iter().map(String::as_str).collect::<Vec<_>>());
        let keys4 = [b("a"), b("b"), b("c"), b("d")];
        let d = difference(&keys4, &[Some(&big), Some(&b2), Some(&b2), Some(&b2)], &lim);
        assert_eq!(d.len(), 10);
        assert_eq!(d.encoding_name(), "hashtable");
        let d = difference(&keys4[..2], &[Some(&big), Some(&b2)], &lim);
        assert_eq!(d.encoding_name(), "intset");
        // Missing sources are empty; a missing first set gives nothing.
        assert_eq!(difference(&keys, &[Some(&a), None, Some(&b2)], &lim).len(), 3);
        assert!(difference(&keys[..2], &[None, Some(&a)], &lim).is_empty());
        // The first key repeated removes everything.
        let same = [b("a"), b("a")];
        assert!(difference(&same, &[Some(&a), Some(&a)], &lim).is_empty());
    }
}
