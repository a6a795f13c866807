//! Size estimates behind DEBUG OBJECT: the length a value would take in an RDB file
//! (`rdbSavedObjectLen`) and the quicklist layout Redis would have given a list.
//!
//! Both are computed from Redis 7.0's encoding rules (listpack entry sizes, intset
//! widths, RDB length prefixes and integer encodings), so small values match Redis
//! exactly. Caveat: Redis LZF-compresses strings longer than 20 bytes when that saves
//! space (`rdbcompression yes`); we do not compress, so such values come out larger.

use rhea_keyspace::Value;
use rhea_resp::number::{fmt_g17, parse_i64};

/// `rdbSaveLen`: 1, 2, 5 or 9 bytes.
fn len_prefix(n: usize) -> usize {
    if n < 1 << 6 {
        1
    } else if n < 1 << 14 {
        2
    } else if n as u64 <= u64::from(u32::MAX) {
        5
    } else {
        9
    }
}

/// `rdbEncodeInteger`: the size of an integer-encoded RDB string, if it fits in 32 bits.
fn rdb_int_len(v: i64) -> Option<usize> {
    if i8::try_from(v).is_ok() {
        Some(2)
    } else if i16::try_from(v).is_ok() {
        Some(3)
    } else if i32::try_from(v).is_ok() {
        Some(5)
    } else {
        None
    }
}

/// `rdbSaveRawString`: short canonical integers are stored as integers, the rest as a
/// length-prefixed string.
fn rdb_string_len(s: &[u8]) -> usize {
    if s.len() <= 11
        && let Some(n) = parse_i64(s).and_then(rdb_int_len)
    {
        return n;
    }
    len_prefix(s.len()) + s.len()
}

/// Bytes of one listpack entry (encoding + data + back-length), `lpEncodeGetType`.
fn lp_entry_len(s: &[u8]) -> usize {
    let body = match parse_i64(s).filter(|_| s.len() <= 20) {
        Some(v) if (0..=127).contains(&v) => 1,
        Some(v) if (-4096..=4095).contains(&v) => 2,
        Some(v) if i16::try_from(v).is_ok() => 3,
        Some(v) if (-(1 << 23)..1 << 23).contains(&v) => 4,
        Some(v) if i32::try_from(v).is_ok() => 5,
        Some(_) => 9,
        None if s.len() < 64 => 1 + s.len(),
        None if s.len() < 4096 => 2 + s.len(),
        None => 5 + s.len(),
    };
    let backlen = match body {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    };
    body + backlen
}

/// A listpack's header (total bytes + count) and end marker.
const LP_OVERHEAD: usize = 7;

fn listpack_len<'a>(entries: impl Iterator<Item = &'a [u8]>) -> usize {
    LP_OVERHEAD + entries.map(lp_entry_len).sum::<usize>()
}

/// How a list would be split into quicklist nodes under `list-max-listpack-size`.
pub struct QuicklistShape {
    /// Uncompressed listpack size of each node.
    pub node_sizes: Vec<usize>,
}

/// Redis's byte limits for negative `list-max-listpack-size` (-1 … -5).
const SIZE_LIMITS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// `SIZE_SAFETY_LIMIT` and `SIZE_ESTIMATE_OVERHEAD` of `quicklist.c`.
const SAFETY_LIMIT: usize = 8192;
const ESTIMATE_OVERHEAD: usize = 8;

/// Simulate appending every element at the tail (`_quicklistNodeAllowInsert`). Lists
/// built by inserts in the middle may have been split differently by Redis.
pub fn quicklist_shape<'a>(elems: impl Iterator<Item = &'a [u8]>, fill: i64) -> QuicklistShape {
    let mut node_sizes: Vec<usize> = Vec::new();
    let mut count = 0usize;
    for e in elems {
        let allowed = node_sizes.last().is_some_and(|&sz| {
            let new_sz = sz + e.len() + ESTIMATE_OVERHEAD;
            if fill < 0 {
                let limit = SIZE_LIMITS[((-fill - 1) as usize).min(4)];
                new_sz <= limit
            } else {
                new_sz <= SAFETY_LIMIT && (count as i64) < fill
            }
        });
        if !allowed {
            node_sizes.push(LP_OVERHEAD);
            count = 0;
        }
        *node_sizes.last_mut().expect("a node") += lp_entry_len(e);
        count += 1;
    }
    QuicklistShape { node_sizes }
}

/// The score as a listpack stores it: integral scores become integers, others text.
fn score_text(score: f64) -> String {
    fmt_g17(score)
}

/// `rdbSavedObjectLen` without compression. `fill` is `list-max-listpack-size`.
pub fn serialized_len(v: &Value, fill: i64) -> usize {
    match v {
        Value::Str(s) => {
            if s.encoding_name() == "int" {
                if let Some(n) = parse_i64(s.as_bytes()).and_then(rdb_int_len) {
                    return n;
                }
                return len_prefix(s.len()) + s.len();
            }
            rdb_string_len(s.as_bytes())
        }
        Value::List(l) => {
            let shape = quicklist_shape(l.iter().map(|b| &b[..]), fill);
            // Per node: container type (1 byte) + the listpack as a string.
            len_prefix(shape.node_sizes.len())
                + shape.node_sizes.iter().map(|&n| 1 + len_prefix(n) + n).sum::<usize>()
        }
        Value::Set(s) if s.encoding_name() == "intset" => {
            let ints: Vec<i64> = s.iter().filter_map(|m| parse_i64(&m.to_bytes())).collect();
            let width = if ints.iter().all(|&i| i16::try_from(i).is_ok()) {
                2
            } else if ints.iter().all(|&i| i32::try_from(i).is_ok()) {
                4
            } else {
                8
            };
            let blob = 8 + width * ints.len();
            len_prefix(blob) + blob
        }
        Value::Set(s) => {
            len_prefix(s.len()) + s.iter().map(|m| rdb_string_len(&m.to_bytes())).sum::<usize>()
        }
        Value::Hash(h) if h.encoding_name() == "listpack" => {
            let blob = listpack_len(h.iter().flat_map(|(f, v)| [&f[..], &v[..]]));
            len_prefix(blob) + blob
        }
        Value::Hash(h) => {
            len_prefix(h.len())
                + h.iter().map(|(f, v)| rdb_string_len(f) + rdb_string_len(v)).sum::<usize>()
        }
        Value::ZSet(z) if z.encoding_name() == "listpack" => {
            let scores: Vec<String> = z.iter().map(|(_, s)| score_text(s)).collect();
            let blob = LP_OVERHEAD
                + z.iter()
                    .zip(&scores)
                    .map(|((m, _), s)| lp_entry_len(m) + lp_entry_len(s.as_bytes()))
                    .sum::<usize>();
            len_prefix(blob) + blob
        }
        Value::ZSet(z) => {
            // RDB_TYPE_ZSET_2: each member as a string plus its score as a binary double.
            len_prefix(z.len()) + z.iter().map(|(m, _)| rdb_string_len(m) + 8).sum::<usize>()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use bytes::Bytes;
    use rhea_keyspace::hash::Hash;
    use rhea_keyspace::limits::EncodingLimits;
    use rhea_keyspace::zset::ZSet;

    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    /// Expected lengths are Redis 7.0.15's DEBUG OBJECT output for the same values.
    #[test]
    fn matches_redis_for_small_values() {
        assert_eq!(serialized_len(&Value::string("5"), -2), 2);
        assert_eq!(serialized_len(&Value::string("-100000"), -2), 5);
        assert_eq!(serialized_len(&Value::string("12345678901"), -2), 12);
        assert_eq!(serialized_len(&Value::string("hello"), -2), 6);
        let list: VecDeque<Bytes> =
            ["1", "200", "-5000", "70000", "x", "yy"].iter().map(|s| b(s)).collect();
        let shape = quicklist_shape(list.iter().map(|e| &e[..]), -2);
        assert_eq!(shape.node_sizes, vec![28]);
        assert_eq!(serialized_len(&Value::list(list), -2), 31);
        let lim = EncodingLimits::default();
        let mut h = Hash::new();
        h.set(b("f1"), b("v1"), &lim);
        h.set(b("f2"), b("12"), &lim);
        assert_eq!(serialized_len(&Value::Hash(h), -2), 22);
        let mut z = ZSet::new();
        z.insert(b("a"), 1.5, &lim);
        z.insert(b("b"), 2.0, &lim);
        z.insert(b("c"), -3.0, &lim);
        assert_eq!(serialized_len(&Value::ZSet(z), -2), 27);
    }

    #[test]
    fn long_lists_split_into_nodes() {
        let elems: Vec<Bytes> = (0..2000).map(|i| b(&format!("element-{i:06}"))).collect();
        let shape = quicklist_shape(elems.iter().map(|e| &e[..]), -2);
        assert!(shape.node_sizes.len() > 1);
        assert!(shape.node_sizes.iter().all(|&n| n <= 8192));
        let shape = quicklist_shape(elems.iter().map(|e| &e[..]), 128);
        assert_eq!(shape.node_sizes.len(), 2000usize.div_ceil(128));
    }
}
