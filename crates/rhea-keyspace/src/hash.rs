//! Hash values: a field → value map with Redis 7.0's two encodings.
//!
//! * `listpack`: a small vector of `(field, value)` pairs in insertion order. Lookups
//!   are linear, which is what Redis does too and is cheap at ≤ 128 short entries.
//!   Overwriting a field keeps its position (Redis replaces the value in place), so
//!   HGETALL order is observable and stable.
//! * `hashtable`: a [`Dict`], whose reverse-binary cursor gives HSCAN its guarantee.
//!
//! A hash starts as listpack and converts once, never back (mirrors `t_hash.c`):
//! * when a field or value longer than `hash-max-listpack-value` is about to be stored
//!   (`hashTypeSet` checks this itself, which is what catches HINCRBY*), or when a
//!   command's arguments contain one ([`Hash::try_conversion`], Redis's
//!   `hashTypeTryConversion`, which HSETNX runs even when it then stores nothing);
//! * when an insertion makes the count exceed `hash-max-listpack-entries`.
//!
//! Caveats: the listpack's 1 GB safety limit (`lpSafeToAdd`) is not modelled. Stored
//! `Bytes` are kept as given, so a caller passing a slice of a large read buffer pins
//! that buffer; pass compact copies.

use bytes::Bytes;
use rand::Rng;

use crate::dict::Dict;
use crate::limits::EncodingLimits;

#[derive(Clone, Debug)]
pub struct Hash(Box<Repr>);

#[derive(Clone, Debug)]
enum Repr {
    /// Insertion-ordered pairs; no duplicate fields.
    Listpack(Vec<(Bytes, Bytes)>),
    Table(Dict<Bytes, Bytes>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl Hash {
    /// An empty hash, listpack-encoded (Redis's `createHashObject`). Redis never keeps an
    /// empty hash in the keyspace; the caller inserts right away.
    pub fn new() -> Hash {
        Hash(Box::new(Repr::Listpack(Vec::new())))
    }

    pub fn len(&self) -> usize {
        match &*self.0 {
            Repr::Listpack(v) => v.len(),
            Repr::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match &*self.0 {
            Repr::Listpack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&Bytes> {
        match &*self.0 {
            Repr::Listpack(v) => v.iter().find(|(f, _)| f[..] == *field).map(|(_, val)| val),
            Repr::Table(d) => d.get(field),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Convert to `hashtable` if any of `args` (fields and values of one command) is
    /// longer than the listpack allows: Redis's `hashTypeTryConversion`, run by HSET,
    /// HMSET and HSETNX before they store anything.
    pub fn try_conversion(&mut self, args: &[Bytes], limits: &EncodingLimits) {
        if matches!(*self.0, Repr::Listpack(_))
            && args.iter().any(|a| a.len() > limits.hash_max_listpack_value)
        {
            self.convert_to_table();
        }
    }

    /// Store `value` under `field`. Returns true if the field is new, false if an
    /// existing value was replaced (HSET counts the former). May convert to `hashtable`;
    /// mirrors `hashTypeSet`.
    pub fn set(&mut self, field: Bytes, value: Bytes, limits: &EncodingLimits) -> bool {
        let max_value = limits.hash_max_listpack_value;
        if matches!(*self.0, Repr::Listpack(_))
            && (field.len() > max_value || value.len() > max_value)
        {
            self.convert_to_table();
        }
        match &mut *self.0 {
            Repr::Listpack(v) => {
                if let Some(slot) = v.iter_mut().find(|(f, _)| *f == field) {
                    slot.1 = value;
                    return false;
                }
                v.push((field, value));
                if v.len() > limits.hash_max_listpack_entries {
                    self.convert_to_table();
                }
                true
            }
            Repr::Table(d) => d.insert(field, value).is_none(),
        }
    }

    /// Remove `field`. Returns whether it existed. Never converts back to listpack.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut *self.0 {
            Repr::Listpack(v) => match v.iter().position(|(f, _)| f[..] == *field) {
                // `remove`, not `swap_remove`: the listpack keeps the others in order.
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            Repr::Table(d) => d.remove(field).is_some(),
        }
    }

    /// Every pair: insertion order for listpack, bucket order for hashtable.
    pub fn iter(&self) -> HashIter<'_> {
        match &*self.0 {
            Repr::Listpack(v) => HashIter::Listpack(v.iter()),
            Repr::Table(d) => HashIter::Table(d.iter()),
        }
    }

    /// A uniformly chosen pair (HRANDFIELD without count), None when empty.
    pub fn random<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(&Bytes, &Bytes)> {
        match &*self.0 {
            Repr::Listpack(v) if v.is_empty() => None,
            Repr::Listpack(v) => {
                let (f, val) = &v[rng.random_range(0..v.len())];
                Some((f, val))
            }
            Repr::Table(d) => d.random(rng),
        }
    }

    /// One HSCAN step. A listpack hash is returned whole in a single call with next
    /// cursor 0, whatever the cursor (Redis's `scanGenericCommand` does the same for
    /// compact encodings); a hashtable visits one bucket per call via [`Dict::scan`].
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(&Bytes, &Bytes)) -> u64 {
        match &*self.0 {
            Repr::Listpack(v) => {
                for (f, val) in v {
                    visit(f, val);
                }
                0
            }
            Repr::Table(d) => d.scan(cursor, visit),
        }
    }

    fn convert_to_table(&mut self) {
        if let Repr::Listpack(v) = &mut *self.0 {
            let mut d = Dict::new();
            for (f, val) in std::mem::take(v) {
                d.insert(f, val);
            }
            *self.0 = Repr::Table(d);
        }
    }
}

/// Iterator over a hash's `(field, value)` pairs in encoding order.
pub enum HashIter<'a> {
    Listpack(std::slice::Iter<'a, (Bytes, Bytes)>),
    Table(crate::dict::Iter<'a, Bytes, Bytes>),
}

impl<'a> Iterator for HashIter<'a> {
    type Item = (&'a Bytes, &'a Bytes);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            HashIter::Listpack(it) => it.next().map(|(f, v)| (f, v)),
            HashIter::Table(it) => it.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn b(s: impl AsRef<[u8]>) -> Bytes {
        Bytes::copy_from_slice(s.as_ref())
    }

    fn lim() -> EncodingLimits {
        EncodingLimits::default()
    }

    fn fields(h: &Hash) -> Vec<Bytes> {
        h.iter().map(|(f, _)| f.clone()).collect()
    }

    #[test]
    fn entries_limit_is_inclusive_and_the_next_field_converts() {
        let mut h = Hash::new();
        let n = lim().hash_max_listpack_entries;
        for i in 0..n {
            assert!(h.set(b(format!("f{i}")), b("v"), &lim()));
        }
        assert_eq!(h.encoding_name(), "listpack");
        // Overwriting at the limit does not convert.
        assert!(!h.set(b("f0"), b("w"), &lim()));
        assert_eq!(h.encoding_name(), "listpack");
        assert!(h.set(b(format!("f{n}")), b("v"), &lim()));
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), n + 1);
        assert_eq!(h.get(b"f0"), Some(&b("w")));
        assert_eq!(h.get(format!("f{n}").as_bytes()), Some(&b("v")));
    }

    #[test]
    fn value_and_field_length_limits() {
        let mut h = Hash::new();
        h.set(b("f"), b([b'x'; 64]), &lim());
        h.set(b([b'k'; 64]), b("v"), &lim());
        assert_eq!(h.encoding_name(), "listpack");

        let mut long_value = h.clone();
        long_value.set(b("g"), b([b'x'; 65]), &lim());
        assert_eq!(long_value.encoding_name(), "hashtable");

        let mut long_field = h.clone();
        long_field.set(b([b'k'; 65]), b("v"), &lim());
        assert_eq!(long_field.encoding_name(), "hashtable");

        // Overwriting an existing field with a long value converts too (HINCRBYFLOAT).
        let mut overwrite = h.clone();
        assert!(!overwrite.set(b("f"), b([b'y'; 65]), &lim()));
        assert_eq!(overwrite.encoding_name(), "hashtable");
        assert_eq!(overwrite.len(), 2);
    }

    #[test]
    fn first_field_too_long_goes_straight_to_hashtable() {
        let mut h = Hash::new();
        h.set(b("f"), b([b'x'; 100]), &lim());
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn try_conversion_converts_without_storing() {
        let mut h = Hash::new();
        h.set(b("f"), b("v"), &lim());
        h.try_conversion(&[b("f"), b("short")], &lim());
        assert_eq!(h.encoding_name(), "listpack");
        h.try_conversion(&[b("f"), b([b'x'; 65])], &lim());
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.get(b"f"), Some(&b("v")));
    }

    #[test]
    fn conversion_is_one_way() {
        let mut h = Hash::new();
        let n = lim().hash_max_listpack_entries + 72;
        for i in 0..n {
            h.set(b(format!("f{i}")), b("v"), &lim());
        }
        for i in 0..n - 1 {
            assert!(h.remove(format!("f{i}").as_bytes()));
        }
        assert_eq!(h.len(), 1);
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn listpack_keeps_insertion_order_through_overwrite_and_delete() {
        let mut h = Hash::new();
        for f in ["c", "a", "b", "d"] {
            h.set(b(f), b("1"), &lim());
        }
        assert!(!h.set(b("a"), b("2"), &lim()));
        assert_eq!(fields(&h), vec![b("c"), b("a"), b("b"), b("d")]);
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        h.set(b("b"), b("3"), &lim());
        assert_eq!(fields(&h), vec![b("c"), b("a"), b("d"), b("b")]);
        let pairs: Vec<_> = h.iter().map(|(f, v)| (f.clone(), v.clone())).collect();
        assert_eq!(pairs[1], (b("a"), b("2")));
    }

    #[test]
    fn get_remove_and_contains_on_both_encodings() {
        for n in [10, 300] {
            let mut h = Hash::new();
            for i in 0..n {
                h.set(b(format!("f{i}")), b(format!("v{i}")), &lim());
            }
            assert_eq!(h.get(b"f7"), Some(&b("v7")));
            assert!(h.contains(b"f9"));
            assert!(!h.contains(b"nope"));
            assert!(h.remove(b"f7"));
            assert!(!h.contains(b"f7"));
            assert_eq!(h.len(), n - 1);
            assert_eq!(h.iter().count(), n - 1);
        }
    }

    #[test]
    fn scan_returns_everything() {
        let mut small = Hash::new();
        for i in 0..5 {
            small.set(b(format!("f{i}")), b("v"), &lim());
        }
        let mut seen = Vec::new();
        assert_eq!(small.scan(12345, |f, _| seen.push(f.clone())), 0);
        assert_eq!(seen, fields(&small));

        let mut big = Hash::new();
        for i in 0..1000 {
            big.set(b(format!("f{i}")), b(format!("{i}")), &lim());
        }
        let mut seen = HashMap::new();
        let mut cursor = 0;
        loop {
            cursor = big.scan(cursor, |f, v| {
                seen.insert(f.clone(), v.clone());
            });
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
        assert_eq!(seen[&b("f42")], b("42"));
    }

    #[test]
    fn random_covers_all_fields() {
        let mut rng = rand::rng();
        assert!(Hash::new().random(&mut rng).is_none());
        for n in [4, 200] {
            let mut h = Hash::new();
            for i in 0..n {
                h.set(b(format!("f{i}")), b("v"), &lim());
            }
            let mut seen = HashSet::new();
            for _ in 0..n * 40 {
                seen.insert(h.random(&mut rng).unwrap().0.clone());
            }
            assert_eq!(seen.len(), n);
        }
    }

    #[test]
    fn zero_entry_limit_means_always_hashtable() {
        let limits = EncodingLimits { hash_max_listpack_entries: 0, ..lim() };
        let mut h = Hash::new();
        h.set(b("f"), b("v"), &limits);
        assert_eq!(h.encoding_name(), "hashtable");
    }
}
