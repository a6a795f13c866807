//! Keyspace iteration (`db.c`): KEYS, SCAN and RANDOMKEY.
//!
//! SCAN walks the key [`Dict`](rhea_keyspace::Dict) bucket by bucket with its
//! reverse-binary cursor, so every key present for the whole iteration is returned at
//! least once. Cursor values depend on the table size and hash seed, so they differ from
//! real Redis's; only the guarantees are the same.

use bytes::Bytes;
use rhea_keyspace::glob_match;
use rhea_resp::Reply;

use super::args::{SYNTAX_ERR, int_arg, is};
use super::expire::cstr;
use super::keys::{Read, is_live, lookup_read};
use crate::engine::ctx::Ctx;
use crate::tri;

/// KEYS pattern: every live key matching (expired keys are skipped, not deleted).
pub fn keys(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let pattern = &args[1][..];
    let all = pattern == b"*";
    let now = ctx.now_ms();
    let db = ctx.db();
    let out = db
        .dict
        .keys()
        .filter(|k| (all || glob_match(pattern, k, false)) && !db.is_expired(k, now))
        .map(|k| Reply::Bulk(Bytes::copy_from_slice(k)))
        .collect();
    Reply::Array(out)
}

/// `parseScanCursorOrReply`: `strtoul` over the whole (C) string, no leading space.
/// Like `strtoul`, a `-` negates modulo 2^64 and an empty string is cursor 0.
pub fn parse_cursor(a: &[u8]) -> Option<u64> {
    let s = cstr(a);
    if s.is_empty() {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = digits
        .iter()
        .try_fold(0u64, |acc, &c| acc.checked_mul(10)?.checked_add(u64::from(c - b'0')))?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] (`scanGenericCommand`).
pub fn scan(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Reply {
    let Some(mut cursor) = parse_cursor(&args[1]) else {
        return Reply::err("ERR invalid cursor");
    };
    let mut count: i64 = 10;
    let mut pattern: Option<Bytes> = None;
    let mut type_name: Option<Bytes> = None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i >= 2;
        if is(&args[i], "count") && more {
            count = tri!(int_arg(&args[i + 1]));
            if count < 1 {
                return Reply::err(SYNTAX_ERR);
            }
        } else if is(&args[i], "match") && more {
            let p = &args[i + 1];
            pattern = if &p[..] == b"*" { None } else { Some(p.clone()) };
        } else if is(&args[i], "type") && more {
            type_name = Some(args[i + 1].clone());
        } else {
            return Reply::err(SYNTAX_ERR);
        }
        i += 2;
    }

    // Visit buckets until enough keys were collected, the iteration ended, or ten
    // times `count` extra buckets were visited (sparse tables).
    let mut found: Vec<Bytes> = Vec::new();
    let mut budget = count.saturating_mul(10);
    let want = count as usize;
    {
        let dict = &ctx.db().dict;
        loop {
            cursor = dict.scan(cursor, |k, _| found.push(Bytes::copy_from_slice(k)));
            if cursor == 0 || budget == 0 {
                break;
            }
            budget -= 1;
            if found.len() >= want {
                break;
            }
        }
    }

    let mut keys = Vec::with_capacity(found.len());
    for k in found {
        if pattern.as_ref().is_some_and(|p| !glob_match(p, &k, false)) {
            continue;
        }
        if let Some(t) = &type_name {
            // Redis looks the key up as a read here, so stats and `keymiss` count.
            let actual =
                lookup_read(ctx, &k, Read::NoTouch).map_or("none", |e| e.value().type_name());
            if !cstr(t).eq_ignore_ascii_case(actual.as_bytes()) {
                continue;
            }
        }
        if !is_live(ctx, &k) {
            continue;
        }
        keys.push(Reply::Bulk(k));
    }
    Reply::Array(vec![Reply::bulk(Bytes::from(cursor.to_string())), Reply::Array(keys)])
}

/// RANDOMKEY: a random live key (expired ones met on the way are deleted), or nil.
pub fn randomkey(ctx: &mut Ctx<'_>, _: &[Bytes]) -> Reply {
    let acc = ctx.access();
    let idx = ctx.db_index();
    let srv = &mut *ctx.srv;
    match srv.dbs[idx].random_key(&mut srv.rng, &acc) {
        Some(k) => Reply::Bulk(k),
        None => Reply::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+7"), Some(7));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        for bad in [&b" 1"[..], b"1 ", b"x", b"-", b"1.5", b"0x10"] {
            assert_eq!(parse_cursor(bad), None, "{bad:?}");
        }
    }
}
