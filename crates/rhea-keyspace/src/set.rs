//! Set values with Redis 7.0's two encodings (7.0 has no listpack sets; 7.2 added one).
//!
//! * `intset`: a sorted vector of `i64`, used while every member is an integer in the
//!   canonical form `string2ll` accepts ([`parse_i64`]: no `+`, no leading zeros, no
//!   `-0`, no spaces) and the count is ≤ `set-max-intset-entries`. It iterates in
//!   ascending numeric order, which SMEMBERS and SSCAN expose.
//! * `hashtable`: a [`Dict`] of member bytes.
//!
//! Conversion is one-way (mirrors `t_set.c`): adding a non-integer member, or an integer
//! that makes the count exceed the limit (capped at 2^30 as Redis caps it), converts.
//! A set created for a non-integer first member starts as hashtable (`setTypeCreate`).
//!
//! Intset members are numbers, not bytes, so elements come out as [`SetMember`]; the
//! caller formats an `Int` only when it writes a reply. Because only canonical strings
//! become integers, formatting one back gives the exact bytes the client sent.

use bytes::Bytes;
use rand::Rng;
use rhea_resp::number::parse_i64;

use crate::dict::Dict;
use crate::limits::EncodingLimits;

/// Redis caps the intset limit whatever the config says (`setTypeAdd`).
const INTSET_HARD_MAX: usize = 1 << 30;

#[derive(Clone, Debug)]
pub struct Set(Box<Repr>);

#[derive(Clone, Debug)]
enum Repr {
    /// Sorted ascending, no duplicates.
    Intset(Vec<i64>),
    Table(Dict<Bytes, ()>),
}

/// One member of a set, borrowed from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetMember<'a> {
    Int(i64),
    Str(&'a Bytes),
}

impl SetMember<'_> {
    /// The member's bytes (an integer in canonical decimal form).
    pub fn to_bytes(&self) -> Bytes {
        match self {
            SetMember::Int(v) => int_bytes(*v),
            SetMember::Str(b) => (*b).clone(),
        }
    }
}

fn int_bytes(v: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(v).as_bytes())
}

impl Default for Set {
    fn default() -> Self {
        Set::new_intset()
    }
}

impl Set {
    /// An empty intset. SINTERSTORE and friends build their results this way and let
    /// [`Set::insert`] convert as needed.
    pub fn new_intset() -> Set {
        Set(Box::new(Repr::Intset(Vec::new())))
    }

    /// An empty hashtable set (SPOP with count rebuilds a hashtable set this way).
    pub fn new_hashtable() -> Set {
        Set(Box::new(Repr::Table(Dict::new())))
    }

    /// The empty set SADD and SMOVE create for `first`, the member about to be added:
    /// intset if it is a canonical integer, else hashtable (`setTypeCreate`).
    pub fn new_for(first: &[u8]) -> Set {
        if parse_i64(first).is_some() { Set::new_intset() } else { Set::new_hashtable() }
    }

    pub fn len(&self) -> usize {
        match &*self.0 {
            Repr::Intset(v) => v.len(),
            Repr::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match &*self.0 {
            Repr::Intset(_) => "intset",
            Repr::Table(_) => "hashtable",
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match &*self.0 {
            Repr::Intset(v) => parse_i64(member).is_some_and(|i| v.binary_search(&i).is_ok()),
            Repr::Table(d) => d.contains_key(member),
        }
    }

    /// Membership test for a member taken from another set, without formatting an
    /// integer when both sides are intsets (SINTER's inner loop).
    pub fn contains_member(&self, member: SetMember<'_>) -> bool {
        match (&*self.0, member) {
            (Repr::Intset(v), SetMember::Int(i)) => v.binary_search(&i).is_ok(),
            (Repr::Table(d), SetMember::Int(i)) => {
                d.contains_key(itoa::Buffer::new().format(i).as_bytes())
            }
            (_, SetMember::Str(b)) => self.contains(b),
        }
    }

    /// Add `member`. Returns true if it was not already present. May convert to
    /// hashtable; mirrors `setTypeAdd`.
    pub fn insert(&mut self, member: Bytes, limits: &EncodingLimits) -> bool {
        match &mut *self.0 {
            Repr::Intset(v) => match parse_i64(&member) {
                Some(i) => match v.binary_search(&i) {
                    Ok(_) => false,
                    Err(pos) => {
                        v.insert(pos, i);
                        if v.len() > limits.set_max_intset_entries.min(INTSET_HARD_MAX) {
                            self.convert_to_table();
                        }
                        true
                    }
                },
                None => {
                    self.convert_to_table();
                    self.insert(member, limits)
                }
            },
            Repr::Table(d) => {
                if d.contains_key(&member[..]) {
                    false
                } else {
                    d.insert(member, ());
                    true
                }
            }
        }
    }

    /// Remove `member`. Returns whether it was present. Never converts back.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut *self.0 {
            Repr::Intset(v) => match parse_i64(member).and_then(|i| v.binary_search(&i).ok()) {
                Some(pos) => {
                    v.remove(pos);
                    true
                }
                None => false,
            },
            Repr::Table(d) => d.remove(member).is_some(),
        }
    }

    /// Every member: ascending for intset, bucket order for hashtable.
    pub fn iter(&self) -> SetIter<'_> {
        match &*self.0 {
            Repr::Intset(v) => SetIter::Intset(v.iter()),
            Repr::Table(d) => SetIter::Table(d.iter()),
        }
    }

    /// A uniformly chosen member (SRANDMEMBER without count), None when empty.
    pub fn random<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<SetMember<'_>> {
        match &*self.0 {
            Repr::Intset(v) if v.is_empty() => None,
            Repr::Intset(v) => Some(SetMember::Int(v[rng.random_range(0..v.len())])),
            Repr::Table(d) => d.random(rng).map(|(k, _)| SetMember::Str(k)),
        }
    }

    /// Remove and return a random member (SPOP without count).
    pub fn pop_random<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Option<Bytes> {
        let member = self.random(rng)?.to_bytes();
        self.remove(&member);
        Some(member)
    }

    /// One SSCAN step. An intset is returned whole, in ascending order, with next cursor
    /// 0 whatever the cursor (as Redis does for compact encodings); a hashtable visits one
    /// bucket per call via [`Dict::scan`].
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(SetMember<'_>)) -> u64 {
        match &*self.0 {
            Repr::Intset(v) => {
                for &i in v {
                    visit(SetMember::Int(i));
                }
                0
            }
            Repr::Table(d) => d.scan(cursor, |k, _| visit(SetMember::Str(k))),
        }
    }

    fn convert_to_table(&mut self) {
        if let Repr::Intset(v) = &mut *self.0 {
            let mut d = Dict::new();
            for &i in v.iter() {
                d.insert(int_bytes(i), ());
            }
            *self.0 = Repr::Table(d);
        }
    }
}

/// Iterator over a set's members in encoding order.
pub enum SetIter<'a> {
    Intset(std::slice::Iter<'a, i64>),
    Table(crate::dict::Iter<'a, Bytes, ()>),
}

impl<'a> Iterator for SetIter<'a> {
    type Item = SetMember<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            SetIter::Intset(it) => it.next().map(|&i| SetMember::Int(i)),
            SetIter::Table(it) => it.next().map(|(k, _)| SetMember::Str(k)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn b(s: impl AsRef<[u8]>) -> Bytes {
        Bytes::copy_from_slice(s.as_ref())
    }

    fn lim() -> EncodingLimits {
        EncodingLimits::default()
    }

    fn members(s: &Set) -> Vec<Bytes> {
        s.iter().map(|m| m.to_bytes()).collect()
    }

    #[test]
    fn intset_iterates_ascending() {
        let mut s = Set::new_for(b"5");
        for m in ["5", "-3", "100", "0", "-9223372036854775808", "9223372036854775807"] {
            assert!(s.insert(b(m), &lim()));
        }
        assert!(!s.insert(b("100"), &lim()));
        assert_eq!(s.encoding_name(), "intset");
        assert_eq!(
            members(&s),
            ["-9223372036854775808", "-3", "0", "5", "100", "9223372036854775807"].map(b).to_vec()
        );
    }

    #[test]
    fn intset_limit_is_inclusive_and_the_next_member_converts() {
        let mut s = Set::new_intset();
        for i in 0..512 {
            assert!(s.insert(b(i.to_string()), &lim()));
        }
        assert_eq!(s.encoding_name(), "intset");
        assert!(!s.insert(b("7"), &lim()), "a duplicate does not convert");
        assert_eq!(s.encoding_name(), "intset");
        assert!(s.insert(b("512"), &lim()));
        assert_eq!(s.encoding_name(), "hashtable");
        assert_eq!(s.len(), 513);
        assert!(s.contains(b"0") && s.contains(b"512"));
    }

    #[test]
    fn non_canonical_integers_convert() {
        for m in ["abc", "01", "+1", "-0", " 1", "1 ", "1.0", "", "9223372036854775808"] {
            let mut s = Set::new_intset();
            s.insert(b("1"), &lim());
            assert!(s.insert(b(m), &lim()), "{m:?} is new");
            assert_eq!(s.encoding_name(), "hashtable", "{m:?} must convert");
            assert!(s.contains(b"1"));
            assert!(s.contains(m.as_bytes()));
            assert_eq!(s.len(), 2);
        }
    }

    #[test]
    fn new_for_picks_the_encoding_from_the_first_member() {
        assert_eq!(Set::new_for(b"42").encoding_name(), "intset");
        assert_eq!(Set::new_for(b"-7").encoding_name(), "intset");
        assert_eq!(Set::new_for(b"x").encoding_name(), "hashtable");
        assert_eq!(Set::new_for(b"007").encoding_name(), "hashtable");
        let mut s = Set::new_for(b"x");
        s.insert(b("1"), &lim());
        assert_eq!(s.encoding_name(), "hashtable");
    }

    #[test]
    fn conversion_is_one_way() {
        let mut s = Set::new_intset();
        s.insert(b("1"), &lim());
        s.insert(b("a"), &lim());
        assert!(s.remove(b"a"));
        assert_eq!(s.encoding_name(), "hashtable");
        assert_eq!(members(&s), vec![b("1")]);
    }

    #[test]
    fn contains_and_remove_on_intset_reject_non_integers() {
        let mut s = Set::new_intset();
        s.insert(b("10"), &lim());
        assert!(!s.contains(b"010"));
        assert!(!s.contains(b"ten"));
        assert!(!s.remove(b"+10"));
        assert!(s.remove(b"10"));
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn contains_member_across_encodings() {
        let mut ints = Set::new_intset();
        let mut table = Set::new_hashtable();
        for m in ["1", "2", "3"] {
            ints.insert(b(m), &lim());
            table.insert(b(m), &lim());
        }
        table.insert(b("x"), &lim());
        for m in table.iter() {
            let expect = m != SetMember::Str(&b("x"));
            assert_eq!(ints.contains_member(m), expect, "{m:?}");
        }
        for m in ints.iter() {
            assert!(table.contains_member(m));
        }
    }

    #[test]
    fn scan_returns_everything() {
        let mut s = Set::new_intset();
        for i in [3, 1, 2] {
            s.insert(b(i.to_string()), &lim());
        }
        let mut seen = Vec::new();
        assert_eq!(s.scan(99, |m| seen.push(m.to_bytes())), 0);
        assert_eq!(seen, vec![b("1"), b("2"), b("3")]);

        let mut big = Set::new_hashtable();
        for i in 0..2000 {
            big.insert(b(format!("m{i}")), &lim());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = big.scan(cursor, |m| {
                seen.insert(m.to_bytes());
            });
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 2000);
    }

    #[test]
    fn random_and_pop_random() {
        let mut rng = rand::rng();
        assert!(Set::new_intset().random(&mut rng).is_none());
        for (n, prefix) in [(5, ""), (300, "m")] {
            let mut s = Set::new_intset();
            for i in 0..n {
                s.insert(b(format!("{prefix}{i}")), &lim());
            }
            let mut seen = HashSet::new();
            for _ in 0..n * 40 {
                seen.insert(s.random(&mut rng).unwrap().to_bytes());
            }
            assert_eq!(seen.len(), n);
            let mut popped = HashSet::new();
            while let Some(m) = s.pop_random(&mut rng) {
                assert!(popped.insert(m));
            }
            assert_eq!(popped, seen);
            assert_eq!(s.len(), 0);
        }
    }

    #[test]
    fn zero_limit_means_always_hashtable() {
        let limits = EncodingLimits { set_max_intset_entries: 0, ..lim() };
        let mut s = Set::new_for(b"1");
        s.insert(b("1"), &limits);
        assert_eq!(s.encoding_name(), "hashtable");
    }
}
