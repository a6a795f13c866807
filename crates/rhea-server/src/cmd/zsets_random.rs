//! ZRANDMEMBER and ZSCAN (`t_zset.c` `zrandmemberWithCountCommand`, `db.c`
//! `scanGenericCommand`): the sorted-set commands whose output depends on randomness or
//! on hash-table order.
//!
//! ZRANDMEMBER with a count follows Redis's four cases, which clients can tell apart:
//! 1. a negative count (or 1): that many independent draws, repeats allowed;
//! 2. a count ≥ the size: the whole set, from the highest score down;
//! 3. a count more than a third of the size: distinct members in random order;
//! 4. otherwise distinct members, in listpack order for a listpack (as
//!    `lpRandomPairsUnique` returns them) and draw order for a skiplist.
//!
//! ZSCAN returns a listpack whole with cursor 0. A skiplist is scanned through its
//! member dict, one bucket per step, up to COUNT×10 steps, so the cursor sequence is
//! ours, not Redis's: only the SCAN guarantees carry over. Scores are text: a listpack
//! gives the form it stores (an integral score within ±2^62 as an integer, otherwise
//! `%.17g`), a skiplist `%.17g`, as 7.0 does.

use std::collections::HashSet;

use bytes::Bytes;
use rand::Rng;
use rhea_keyspace::zset::ZSet;
use rhea_keyspace::{Value, glob_match};
use rhea_resp::Reply;
use rhea_resp::number::{fmt_g17, parse_i64};

use super::args::{NOT_INTEGER, SYNTAX_ERR, is};
use super::zsets::{is_c_space, long_arg, scored_reply, zset_read};
use crate::engine::ctx::Ctx;
use crate::tri;

// ===== ZRANDMEMBER =====

/// `ZRANDMEMBER key [count [WITHSCORES]]`. The count is checked before the key is looked
/// up: it must not be `LONG_MIN`, and with WITHSCORES its double must not overflow.
pub fn zrandmember(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    if args.len() >= 3 {
        let Some(l) = parse_i64(&args[2]) else { return Reply::err(NOT_INTEGER) };
        if l == i64::MIN {
            return Reply::err(
                "ERR value is out of range, value must between -9223372036854775807 and \
                 9223372036854775807",
            );
        }
        if args.len() > 4 || (args.len() == 4 && !is(&args[3], "withscores")) {
            return Reply::err(SYNTAX_ERR);
        }
        let withscores = args.len() == 4;
        if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            return Reply::err("ERR value is out of range");
        }
        return with_count(ctx, &args[1], l, withscores);
    }
    let key = &args[1];
    if tri!(zset_read(ctx, key)).is_none() {
        return Reply::Null;
    }
    let (z, rng) = zset_and_rng(ctx, key);
    match z.and_then(|z| z.random(rng)) {
        Some((m, _)) => Reply::Bulk(m.clone()),
        None => Reply::Null,
    }
}

/// The sorted set under `key` (already looked up and type-checked) together with the
/// server's RNG: two disjoint borrows of the server.
fn zset_and_rng<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
) -> (Option<&'c ZSet>, &'c mut rand::rngs::SmallRng) {
    let db = ctx.client.db;
    let srv = &mut *ctx.srv;
    let z = match srv.dbs[db].dict.get(key).map(|e| e.value()) {
        Some(Value::ZSet(z)) => Some(z),
        _ => None,
    };
    (z, &mut srv.rng)
}

/// `zrandmemberWithCountCommand`.
fn with_count(ctx: &mut Ctx<'_>, key: &Bytes, l: i64, withscores: bool) -> Reply {
    let proto = ctx.proto();
    if tri!(zset_read(ctx, key)).is_none() {
        return Reply::Array(vec![]);
    }
    let (Some(z), rng) = zset_and_rng(ctx, key) else { return Reply::Array(vec![]) };
    let uniq = l >= 0;
    let count = usize::try_from(l.unsigned_abs()).unwrap_or(usize::MAX);
    if count == 0 {
        return Reply::Array(vec![]);
    }
    let size = z.len();
    let at = |r: usize| z.range_by_rank(r, r, false).next().map(|(m, s)| (m.clone(), s));
    let items: Vec<(Bytes, f64)> = if !uniq || count == 1 {
        (0..count).filter_map(|_| z.random(rng).map(|(m, s)| (m.clone(), s))).collect()
    } else if count >= size {
        z.iter().rev().map(|(m, s)| (m.clone(), s)).collect()
    } else {
        let mut ranks = distinct_ranks(rng, size, count);
        if count * 3 <= size && z.encoding_name() == "listpack" {
            ranks.sort_unstable();
        }
        ranks.into_iter().filter_map(at).collect()
    };
    scored_reply(proto, items, withscores)
}

/// `count` distinct ranks below `size`, in random order. Shuffles a prefix of all ranks
/// when most are wanted, draws with rejection when few are.
pub fn distinct_ranks<R: Rng + ?Sized>(rng: &mut R, size: usize, count: usize) -> Vec<usize> {
    let count = count.min(size);
    if count * 3 > size {
        let mut ranks: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = rng.random_range(i..size);
            ranks.swap(i, j);
        }
        ranks.truncate(count);
        return ranks;
    }
    let mut seen = HashSet::with_capacity(count);
    let mut ranks = Vec::with_capacity(count);
    while ranks.len() < count {
        let r = rng.random_range(0..size);
        if seen.insert(r) {
            ranks.push(r);
        }
    }
    ranks
}

// ===== ZSCAN =====

/// `parseScanCursorOrReply`: `strtoul` base 10 over the C string, refusing a leading
/// space, trailing garbage and overflow. Its quirks are observable and kept: an empty
/// cursor is 0 and a negative one wraps (`-1` is 2^64-1).
pub fn parse_cursor(a: &[u8]) -> Option<u64> {
    let s = match a.iter().position(|&c| c == 0) {
        Some(n) => &a[..n],
        None => a,
    };
    let Some(&first) = s.first() else { return Some(0) };
    if is_c_space(first) {
        return None;
    }
    let (neg, digits) = match first {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// How a listpack holds a score, hence how ZSCAN prints it: `zzlInsertAt` stores a
/// score that `double2ll` accepts (integral, within ±LLONG_MAX/2) as an integer, any
/// other as its `%.17g` text.
pub fn listpack_score_text(s: f64) -> String {
    let bound = (i64::MAX / 2) as f64;
    if s.is_finite() && s.fract() == 0.0 && (-bound..=bound).contains(&s) {
        itoa::Buffer::new().format(s as i64).to_string()
    } else {
        fmt_g17(s)
    }
}

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`: the cursor is parsed first, then the
/// key is looked up (a missing key answers an empty scan without reading the options),
/// then the options.
pub fn zscan(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let Some(cursor) = parse_cursor(&args[2]) else { return Reply::err("ERR invalid cursor") };
    let empty = || Reply::Array(vec![Reply::bulk_str("0"), Reply::Array(vec![])]);
    let Some(z) = tri!(zset_read(ctx, &args[1])) else { return empty() };
    let mut count: i64 = 10;
    let mut pattern: Option<&Bytes> = None;
    let mut j = 3;
    while j < args.len() {
        let more = args.len() - j >= 2;
        if is(&args[j], "count") && more {
            count = tri!(long_arg(&args[j + 1]));
            if count < 1 {
                return Reply::err(SYNTAX_ERR);
            }
        } else if is(&args[j], "match") && more {
            pattern = Some(&args[j + 1]).filter(|p| p[..] != b"*"[..]);
        } else {
            return Reply::err(SYNTAX_ERR);
        }
        j += 2;
    }
    let listpack = z.encoding_name() == "listpack";
    let mut found: Vec<(Bytes, f64)> = Vec::new();
    let next = if listpack {
        z.scan(0, |m, s| found.push((m.clone(), s)))
    } else {
        let mut cur = cursor;
        let mut steps = count.saturating_mul(10);
        loop {
            cur = z.scan(cur, |m, s| found.push((m.clone(), s)));
            let go_on = cur != 0 && steps != 0 && (found.len() as i64) < count;
            steps -= 1;
            if !go_on {
                break cur;
            }
        }
    };
    let mut items = Vec::with_capacity(found.len() * 2);
    for (m, s) in found {
        if pattern.is_some_and(|p| !glob_match(p, &m, false)) {
            continue;
        }
        let text = if listpack { listpack_score_text(s) } else { fmt_g17(s) };
        items.push(Reply::Bulk(m));
        items.push(Reply::Bulk(Bytes::from(text)));
    }
    let cursor_text = itoa::Buffer::new().format(next).to_string();
    Reply::Array(vec![Reply::Bulk(Bytes::from(cursor_text)), Reply::Array(items)])
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn cursors_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+5"), Some(5));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"7\0junk"), Some(7));
        for bad in [&b" 1"[..], b"1 ", b"x", b"-", b"0x10", b"18446744073709551616"] {
            assert_eq!(parse_cursor(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn listpack_score_forms() {
        assert_eq!(listpack_score_text(3.0), "3");
        assert_eq!(listpack_score_text(-0.0), "0");
        assert_eq!(listpack_score_text(1e18), "1000000000000000000");
        assert_eq!(listpack_score_text(1e19), "1e+19");
        assert_eq!(listpack_score_text(0.1), "0.10000000000000001");
        assert_eq!(listpack_score_text(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn distinct_ranks_are_distinct_and_in_range() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        for (size, count) in [(10, 9), (10, 3), (1000, 5), (5, 5)] {
            let r = distinct_ranks(&mut rng, size, count);
            assert_eq!(r.len(), count);
            assert_eq!(r.iter().collect::<HashSet<_>>().len(), count);
            assert!(r.iter().all(|&x| x < size));
        }
    }
}
