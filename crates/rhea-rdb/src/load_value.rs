//! Decoding one value payload into a keyspace [`Value`], converting encodings the way
//! Redis 7.0's `rdbLoadObject` does: plain encodings become compact when they fit the
//! [`EncodingLimits`]; listpack/ziplist hashes and zsets convert only when their entry
//! count exceeds the limit (a long element stays in the listpack), zipmaps and intsets
//! by count and (zipmap) element length. Duplicate members and NaN scores are corruption,
//! as in Redis. `Ok(None)` is an empty aggregate, which Redis skips.

use std::collections::VecDeque;

use bytes::Bytes;
use rhea_keyspace::hash::Hash;
use rhea_keyspace::limits::EncodingLimits;
use rhea_keyspace::set::Set;
use rhea_keyspace::zset::ZSet;
use rhea_keyspace::{Str, Value};
use rhea_resp::number::parse_f64;

use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::listpack::{self, LpItem};
use crate::types::*;
use crate::{intset, legacy};

/// Is `ty` a value type this version of the format defines (7.0 knows 0..=19 minus 8)?
pub fn is_value_type(ty: u8) -> bool {
    ty <= T_STREAM_LISTPACKS_2 && ty != 8
}

/// Read the payload of a value of type `ty`.
pub fn read_value(cur: &mut Cursor<'_>, ty: u8, limits: &EncodingLimits) -> Result<Option<Value>> {
    let at = cur.pos();
    let v = match ty {
        T_STRING => Value::Str(Str::new(cur.string()?)),
        T_LIST => {
            let n = cur.count(1)?;
            let mut l = VecDeque::with_capacity(n as usize);
            for _ in 0..n {
                l.push_back(cur.string()?);
            }
            Value::list(l)
        }
        T_SET => {
            let n = cur.count(1)?;
            let mut s = if n as usize > limits.set_max_intset_entries {
                Set::new_hashtable()
            } else {
                Set::new_intset()
            };
            for _ in 0..n {
                let m = cur.string()?;
                if !s.insert(m, limits) {
                    return Err(cur.corrupt("Duplicate set members detected"));
                }
            }
            Value::Set(s)
        }
        T_ZSET | T_ZSET_2 => {
            let n = cur.count(2)?;
            let mut z = ZSet::new_skiplist();
            let mut max_len = 0;
            for _ in 0..n {
                let m = cur.string()?;
                let score = if ty == T_ZSET { text_double(cur)? } else { cur.f64_le()? };
                if score.is_nan() {
                    return Err(cur.corrupt("Zset with NAN score detected"));
                }
                max_len = max_len.max(m.len());
                if !z.insert(m, score, limits) {
                    return Err(cur.corrupt("Duplicate zset fields detected"));
                }
            }
            z.convert_to_listpack_if_fits_with(max_len, limits);
            Value::ZSet(z)
        }
        T_HASH => {
            let n = cur.count(2)?;
            let mut pairs = Vec::with_capacity(n as usize);
            for _ in 0..n {
                pairs.push((cur.string()?, cur.string()?));
            }
            Value::Hash(build_hash(cur, at, pairs, limits)?)
        }
        T_HASH_ZIPMAP => {
            let blob = cur.string()?;
            let pairs = legacy::zipmap_decode(&blob).map_err(|e| cur.corrupt_at(at, e))?;
            Value::Hash(build_hash(cur, at, pairs, limits)?)
        }
        T_LIST_ZIPLIST => {
            let blob = cur.string()?;
            let items = legacy::ziplist_decode(&blob).map_err(|e| cur.corrupt_at(at, e))?;
            Value::list(items)
        }
        T_SET_INTSET => {
            let blob = cur.string()?;
            let ints = intset::decode(&blob).map_err(|e| cur.corrupt_at(at, e))?;
            let mut s = Set::new_intset();
            for i in ints {
                s.insert(crate::cursor::int_bytes(i), limits);
            }
            Value::Set(s)
        }
        T_ZSET_ZIPLIST | T_ZSET_LISTPACK => {
            let blob = cur.string()?;
            let items: Vec<LpItem> = if ty == T_ZSET_LISTPACK {
                listpack::decode(&blob).map_err(|e| cur.corrupt_at(at, e))?
            } else {
                let items = legacy::ziplist_decode(&blob).map_err(|e| cur.corrupt_at(at, e))?;
                items.into_iter().map(LpItem::Str).collect()
            };
            if !items.len().is_multiple_of(2) {
                return Err(cur.corrupt_at(at, "sorted set blob has an odd number of entries"));
            }
            // Redis converts a loaded listpack/ziplist zset by its length only: long
            // members stay in the listpack (checked against real 7.0.15).
            let limits = &EncodingLimits { zset_max_listpack_value: usize::MAX, ..*limits };
            let mut z = ZSet::new();
            let mut it = items.into_iter();
            while let (Some(m), Some(s)) = (it.next(), it.next()) {
                let score = match s {
                    LpItem::Int(i) => i as f64,
                    LpItem::Str(b) => parse_f64(&b)
                        .filter(|f| !f.is_nan())
                        .ok_or_else(|| cur.corrupt_at(at, "invalid score in sorted set blob"))?,
                };
                if !z.insert(m.into_bytes(), score, limits) {
                    return Err(cur.corrupt_at(at, "Duplicate zset fields detected"));
                }
            }
            Value::ZSet(z)
        }
        T_HASH_ZIPLIST | T_HASH_LISTPACK => {
            let blob = cur.string()?;
            let items: Vec<Bytes> = if ty == T_HASH_LISTPACK {
                let items = listpack::decode(&blob).map_err(|e| cur.corrupt_at(at, e))?;
                items.into_iter().map(LpItem::into_bytes).collect()
            } else {
                legacy::ziplist_decode(&blob).map_err(|e| cur.corrupt_at(at, e))?
            };
            if !items.len().is_multiple_of(2) {
                return Err(cur.corrupt_at(at, "hash blob has an odd number of entries"));
            }
            let mut it = items.into_iter();
            let mut pairs = Vec::new();
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                pairs.push((f, v));
            }
            // As for zsets: only the field count converts a loaded listpack/ziplist
            // hash; a zipmap (below) is also converted for long values.
            let limits = &EncodingLimits { hash_max_listpack_value: usize::MAX, ..*limits };
            Value::Hash(build_hash(cur, at, pairs, limits)?)
        }
        T_LIST_QUICKLIST | T_LIST_QUICKLIST_2 => {
            let nodes = cur.count(2)?;
            let mut l = VecDeque::new();
            for _ in 0..nodes {
                let container = if ty == T_LIST_QUICKLIST_2 {
                    let c_at = cur.pos();
                    let c = cur.length()?;
                    if c != QUICKLIST_NODE_PLAIN && c != QUICKLIST_NODE_PACKED {
                        return Err(
                            cur.corrupt_at(c_at, format!("unknown quicklist container {c}"))
                        );
                    }
                    c
                } else {
                    QUICKLIST_NODE_PACKED
                };
                let node_at = cur.pos();
                let blob = cur.string()?;
                if container == QUICKLIST_NODE_PLAIN {
                    l.push_back(blob);
                } else if ty == T_LIST_QUICKLIST_2 {
                    let items = listpack::decode(&blob).map_err(|e| cur.corrupt_at(node_at, e))?;
                    l.extend(items.into_iter().map(LpItem::into_bytes));
                } else {
                    let items =
                        legacy::ziplist_decode(&blob).map_err(|e| cur.corrupt_at(node_at, e))?;
                    l.extend(items);
                }
            }
            Value::list(l)
        }
        T_STREAM_LISTPACKS | T_STREAM_LISTPACKS_2 => {
            return Err(Error::Unsupported {
                offset: at as u64,
                what: format!("stream values (RDB type {ty}) are not supported"),
            });
        }
        T_MODULE | T_MODULE_2 => {
            return Err(Error::Unsupported {
                offset: at as u64,
                what: format!("module values (RDB type {ty}) are not supported"),
            });
        }
        _ => return Err(cur.corrupt_at(at, format!("unknown value type {ty}"))),
    };
    Ok((!v.is_empty_aggregate()).then_some(v))
}

fn build_hash(
    cur: &Cursor<'_>,
    at: usize,
    pairs: Vec<(Bytes, Bytes)>,
    limits: &EncodingLimits,
) -> Result<Hash> {
    let mut h = Hash::new();
    for (f, v) in pairs {
        if !h.set(f, v, limits) {
            return Err(cur.corrupt_at(at, "Duplicate hash fields detected"));
        }
    }
    Ok(h)
}

/// The ZSET v1 score: `u8 len` + ASCII, or 253 NaN, 254 +inf, 255 -inf.
fn text_double(cur: &mut Cursor<'_>) -> Result<f64> {
    let at = cur.pos();
    match cur.u8()? {
        253 => Ok(f64::NAN),
        254 => Ok(f64::INFINITY),
        255 => Ok(f64::NEG_INFINITY),
        n => {
            let text = cur.take(u64::from(n))?;
            parse_f64(text).ok_or_else(|| cur.corrupt_at(at, "invalid text score"))
        }
    }
}
