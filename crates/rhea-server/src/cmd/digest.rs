//! The dataset fingerprint of DEBUG DIGEST / DIGEST-VALUE, computed exactly as Redis 7.0
//! `debug.c` does (`computeDatasetDigest`, `xorObjectDigest`), so the same data gives the
//! same 40 hex digits on Rhea and on Redis.
//!
//! Two combining steps, over 20-byte digests:
//! * `xor(d, data)`: d ^= SHA1(data). Order-free, for unordered things (keys of a
//!   database, members of sets, fields of hashes, members of sorted sets). Note that a
//!   sub-digest is folded in the same way, hashed again, not XORed raw.
//! * `mix(d, data)`: d = SHA1(d ^ SHA1(data)). Order-sensitive, for sequences (list
//!   elements, and the parts of one element such as a field and its value).
//!
//! ```text
//! final = 0
//! for each non-empty db j:  mix(final, be32(j))
//!   for each key:           d = 0; mix(d, key); mix(d, be32(type))
//!                           string: mix(d, bytes)   list: mix(d, e) per element
//!                           set: xor(d, m)   hash: e = 0; mix(e, f); mix(e, v); xor(d, e)
//!                           zset: e = 0; mix(e, m); mix(e, "%.17g" score); xor(d, e)
//!                           has TTL: xor(d, "!!expire!!")
//!                           xor(final, d)
//! ```
//! Only the presence of a TTL counts, not its value, and integers are digested as their
//! decimal text, so encodings never change a digest.

use rhea_keyspace::{Db, Value};
use rhea_resp::number::fmt_g17;

use super::sha1::{Sha1, sha1};

pub type Digest = [u8; 20];

/// Redis's object type numbers (`OBJ_STRING` … `OBJ_HASH`), which enter the digest.
fn type_code(v: &Value) -> u32 {
    match v {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
    }
}

/// `xorDigest`: digest ^= SHA1(data).
pub fn xor(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

/// `mixDigest`: digest = SHA1(digest ^ SHA1(data)).
pub fn mix(digest: &mut Digest, data: &[u8]) {
    xor(digest, data);
    let mut s = Sha1::new();
    s.update(&digest[..]);
    *digest = s.finish();
}

/// `xorObjectDigest`: fold one value (and the presence of its TTL) into `digest`.
pub fn object(digest: &mut Digest, value: &Value, has_ttl: bool) {
    mix(digest, &type_code(value).to_be_bytes());
    match value {
        Value::Str(s) => mix(digest, s.as_bytes()),
        Value::List(l) => {
            for e in l.iter() {
                mix(digest, e);
            }
        }
        Value::Set(s) => {
            for m in s.iter() {
                xor(digest, &m.to_bytes());
            }
        }
        Value::ZSet(z) => {
            for (m, score) in z.iter() {
                let mut e = [0u8; 20];
                mix(&mut e, m);
                mix(&mut e, fmt_g17(score).as_bytes());
                xor(digest, &e);
            }
        }
        Value::Hash(h) => {
            for (f, v) in h.iter() {
                let mut e = [0u8; 20];
                mix(&mut e, f);
                mix(&mut e, v);
                xor(digest, &e);
            }
        }
    }
    if has_ttl {
        xor(digest, b"!!expire!!");
    }
}

/// The digest of one key's value as DEBUG DIGEST-VALUE reports it (the key name itself
/// is not part of it). All zeros for a missing key. Logically expired keys still count:
/// like Redis, this looks at the dictionary directly.
pub fn value_digest(db: &Db, key: &[u8]) -> Digest {
    let mut d = [0u8; 20];
    if let Some(e) = db.dict.get(key) {
        object(&mut d, e.value(), db.expires.contains_key(key));
    }
    d
}

/// `computeDatasetDigest`: all zeros for an empty dataset.
pub fn dataset_digest(dbs: &[Db]) -> Digest {
    let mut fin = [0u8; 20];
    for (j, db) in dbs.iter().enumerate() {
        if db.dict.is_empty() {
            continue;
        }
        mix(&mut fin, &(j as u32).to_be_bytes());
        for (key, e) in db.dict.iter() {
            let mut d = [0u8; 20];
            mix(&mut d, key);
            object(&mut d, e.value(), db.expires.contains_key(&key[..]));
            xor(&mut fin, &d);
        }
    }
    fin
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use rhea_keyspace::hash::Hash;
    use rhea_keyspace::limits::EncodingLimits;
    use rhea_keyspace::set::Set;
    use rhea_keyspace::zset::ZSet;

    use super::*;
    use crate::cmd::sha1::hex;

    #[test]
    fn empty_dataset_is_zero() {
        let dbs = vec![Db::new(), Db::new()];
        assert_eq!(hex(&dataset_digest(&dbs)), "0".repeat(40));
        assert_eq!(hex(&value_digest(&dbs[0], b"nokey")), "0".repeat(40));
    }

    /// Values captured from Redis 7.0.15 (`SET a 1`, `SET b 2 EX 100`, DEBUG DIGEST).
    #[test]
    fn matches_redis_for_strings() {
        let mut db = Db::new();
        db.set(Bytes::from_static(b"a"), Value::string("1"), 0, false);
        db.set(Bytes::from_static(b"b"), Value::string("2"), 0, false);
        db.set_expire(b"b", i64::MAX);
        assert_eq!(hex(&dataset_digest(&[db])), "2a565ed44c86ad1d3853f38b8cbf0a4f8a0a14b5");
    }

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn digest_of(v: Value) -> String {
        let mut db = Db::new();
        db.set(b("k"), v, 0, false);
        hex(&value_digest(&db, b"k"))
    }

    /// DEBUG DIGEST-VALUE of the same values on Redis 7.0.15.
    #[test]
    fn value_digests_match_redis() {
        let lim = EncodingLimits::default();
        assert_eq!(digest_of(Value::string("5")), "f8c2498ca74cdde7d02de23246736a661485b50e");
        assert_eq!(digest_of(Value::string("-100000")), "a5bb26c985e5c2dc2e6f361339bca14a52294370");
        let list = ["1", "200", "-5000", "70000", "x", "yy"]
            .iter()
            .map(|s| b(s))
            .collect::<std::collections::VecDeque<_>>();
        assert_eq!(digest_of(Value::list(list)), "b86af59704cd3aca8bf242e5df84c58b599373ab");
        let mut h = Hash::new();
        h.set(b("f1"), b("v1"), &lim);
        h.set(b("f2"), b("12"), &lim);
        assert_eq!(digest_of(Value::Hash(h)), "a13693ce43cbc9cd63cff700952f60bd0290f1fd");
        let mut s = Set::new_for(b"a");
        s.insert(b("a"), &lim);
        s.insert(b("1"), &lim);
        assert_eq!(digest_of(Value::Set(s)), "012434e5fd10923eb5614823e20e4674a940a6f5");
        let mut z = ZSet::new();
        for (m, sc) in [("a", 1.5), ("b", 2.0), ("c", -3.0)] {
            z.insert(b(m), sc, &lim);
        }
        assert_eq!(digest_of(Value::ZSet(z)), "add5331972d6ca37e1c053ffb2901f1994fa3aba");
        let mut z = ZSet::new_skiplist();
        for (m, sc) in [("a", 1.5), ("bb", 2.0)] {
            z.insert(b(m), sc, &lim);
        }
        assert_eq!(digest_of(Value::ZSet(z)), "a0189e8c3324969c71ac594e279021c8cd5542c5");
    }

    /// `SET a 1` + `RPUSH l a b` on Redis 7.0.15 gives this DEBUG DIGEST.
    #[test]
    fn dataset_digest_matches_redis() {
        let mut db = Db::new();
        db.set(b("a"), Value::string("1"), 0, false);
        db.set(
            b("l"),
            Value::list([b("a"), b("b")].into_iter().collect::<std::collections::VecDeque<_>>()),
            0,
            false,
        );
        assert_eq!(hex(&dataset_digest(&[db])), "d05b986198ed9d2915480601f7f0a2b5f83ddc68");
    }
}
