//! The value types a key can hold, and the encoding names OBJECT ENCODING reports.
//!
//! Encodings follow Redis 7.0's rules, because clients and tests observe them:
//! strings are `int` / `embstr` / `raw` by how they were created; lists are always
//! `quicklist` in 7.0; hashes, sets and sorted sets start compact (`listpack`, `intset`)
//! and convert once to `hashtable` / `skiplist` when a size limit is passed, never back.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use rhea_resp::number::parse_i64;

use crate::hash::Hash;
use crate::set::Set;
use crate::zset::ZSet;

/// Longest string Redis 7.0 stores as `embstr` (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
pub const EMBSTR_LIMIT: usize = 44;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrEnc {
    Int,
    Embstr,
    Raw,
}

/// A string value and the encoding Redis would have given it.
#[derive(Clone, Debug, PartialEq)]
pub struct Str {
    pub bytes: Bytes,
    pub enc: StrEnc,
}

impl Str {
    /// Encoding as `tryObjectEncoding` picks it for values stored by SET and friends.
    pub fn new(bytes: Bytes) -> Str {
        let enc = if bytes.len() <= 20 && parse_i64(&bytes).is_some() {
            StrEnc::Int
        } else if bytes.len() <= EMBSTR_LIMIT {
            StrEnc::Embstr
        } else {
            StrEnc::Raw
        };
        Str { bytes, enc }
    }

    /// A value modified in place (APPEND, SETRANGE): always `raw`.
    pub fn raw(bytes: Bytes) -> Str {
        Str { bytes, enc: StrEnc::Raw }
    }

    /// A value produced by INCR and friends: `int`.
    pub fn from_int(v: i64) -> Str {
        let mut b = itoa::Buffer::new();
        Str { bytes: Bytes::copy_from_slice(b.format(v).as_bytes()), enc: StrEnc::Int }
    }

    /// A value created from a plain string (INCRBYFLOAT's result): embstr or raw by size.
    pub fn plain(bytes: Bytes) -> Str {
        let enc = if bytes.len() <= EMBSTR_LIMIT { StrEnc::Embstr } else { StrEnc::Raw };
        Str { bytes, enc }
    }

    pub fn encoding_name(&self) -> &'static str {
        match self.enc {
            StrEnc::Int => "int",
            StrEnc::Embstr => "embstr",
            StrEnc::Raw => "raw",
        }
    }
}

/// The value stored under a key.
#[derive(Clone, Debug)]
pub enum Value {
    Str(Str),
    List(VecDeque<Bytes>),
    Hash(Hash),
    Set(Set),
    ZSet(ZSet),
}

impl Value {
    pub fn string(b: impl Into<Bytes>) -> Value {
        Value::Str(Str::new(b.into()))
    }

    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding_name(),
            Value::List(_) => "quicklist",
            Value::Hash(h) => h.encoding_name(),
            Value::Set(s) => s.encoding_name(),
            Value::ZSet(z) => z.encoding_name(),
        }
    }

    /// An aggregate with no elements must not stay in the keyspace (Redis deletes it).
    pub fn is_empty_aggregate(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::ZSet(z) => z.is_empty(),
        }
    }

    /// Estimated heap bytes, sampling up to five elements of an aggregate the way
    /// MEMORY USAGE does by default. Used for copy-on-write accounting, so it must be
    /// cheap rather than exact.
    pub fn approx_bytes(&self) -> u64 {
        const SAMPLES: usize = 5;
        fn scaled(len: usize, sampled: usize, sample_bytes: usize, per_elem: usize) -> u64 {
            let avg = sample_bytes.checked_div(sampled).unwrap_or(0);
            (len * (avg + per_elem)) as u64
        }
        let (len, n, bytes, per) = match self {
            Value::Str(s) => return s.bytes.len() as u64 + 16,
            Value::List(l) => {
                let b = l.iter().take(SAMPLES).map(|e| e.len()).sum();
                (l.len(), l.len().min(SAMPLES), b, 40)
            }
            Value::Hash(h) => {
                let b = h.iter().take(SAMPLES).map(|(f, v)| f.len() + v.len()).sum();
                (h.len(), h.len().min(SAMPLES), b, 80)
            }
            Value::Set(s) => {
                let b = s.iter().take(SAMPLES).map(|m| m.to_bytes().len()).sum();
                (s.len(), s.len().min(SAMPLES), b, 48)
            }
            Value::ZSet(z) => {
                let b = z.iter().take(SAMPLES).map(|(m, _)| m.len()).sum();
                (z.len(), z.len().min(SAMPLES), b, 64)
            }
        };
        scaled(len, n, bytes, per)
    }
}

/// A keyspace entry: the value plus Redis's 24-bit LRU clock or LFU data.
///
/// A snapshot (BGSAVE, full sync) clones the dictionary's nodes, so an entry's clone
/// must be cheap. Strings are stored in the entry itself: cloning one only bumps the
/// reference count of its `Bytes`, and a write replaces the `Bytes` rather than editing
/// them, so the snapshot keeps the old ones. Aggregates sit behind an `Arc`, shared with
/// a snapshot and copied on the first write after it ([`Entry::value_mut`]). Keeping
/// strings out of an `Arc` saves a 64-byte allocation per string key.
#[derive(Clone, Debug)]
pub struct Entry {
    slot: Slot,
    /// LRU clock (seconds, 24 bits) under LRU policies; under LFU the high 16 bits are
    /// the last decrement time in minutes and the low 8 bits the logarithmic counter.
    pub lru: u32,
}

#[derive(Clone, Debug)]
enum Slot {
    Inline(Value),
    Shared(Arc<Value>),
}

impl Slot {
    fn new(value: Value) -> Slot {
        match value {
            Value::Str(_) => Slot::Inline(value),
            _ => Slot::Shared(Arc::new(value)),
        }
    }
}

impl Entry {
    pub fn new(value: Value, lru: u32) -> Entry {
        Entry { slot: Slot::new(value), lru }
    }

    pub fn value(&self) -> &Value {
        match &self.slot {
            Slot::Inline(v) => v,
            Slot::Shared(v) => v,
        }
    }

    /// The value for writing; an aggregate a snapshot still shares is copied first.
    pub fn value_mut(&mut self) -> &mut Value {
        match &mut self.slot {
            Slot::Inline(v) => v,
            Slot::Shared(v) => {
                if Arc::get_mut(v).is_none() {
                    crate::cow::add(v.approx_bytes());
                }
                Arc::make_mut(v)
            }
        }
    }

    /// Replace the value (the old one lives on only if a snapshot holds it).
    pub fn set_value(&mut self, value: Value) {
        self.note_dropped();
        self.slot = Slot::new(value);
    }

    /// Take the value out, copying it only if a snapshot shares it.
    pub fn into_value(self) -> Value {
        match self.slot {
            Slot::Inline(v) => v,
            Slot::Shared(v) => Arc::unwrap_or_clone(v),
        }
    }

    /// Called when the engine lets go of this entry's value: if a snapshot still holds
    /// an aggregate, its memory is now the snapshot's alone. (A string's bytes shared
    /// with a snapshot are not counted: `Bytes` does not expose its reference count.)
    pub fn note_dropped(&self) {
        if let Slot::Shared(v) = &self.slot
            && Arc::strong_count(v) > 1
        {
            crate::cow::add(v.approx_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every key pays for one `Value` in its entry: aggregates keep their representation
    /// boxed so a string key does not pay for the largest variant, and the entry's
    /// inline/shared choice fits in the value's own tag.
    #[test]
    fn value_stays_small() {
        assert!(size_of::<super::Value>() <= 40, "Value is {} bytes", size_of::<super::Value>());
        assert!(size_of::<super::Entry>() <= 48, "Entry is {} bytes", size_of::<super::Entry>());
    }

    /// A snapshot (a clone) keeps the old value of a string and of an aggregate while the
    /// live entry changes; copying the shared aggregate is counted as copy-on-write.
    #[test]
    fn snapshot_keeps_old_values_and_counts_the_copy() {
        use super::{Entry, Value};
        use bytes::Bytes;
        let mut s = Entry::new(Value::string(Bytes::from_static(b"old")), 0);
        let snap = s.clone();
        s.set_value(Value::string(Bytes::from_static(b"new")));
        assert!(matches!(snap.value(), Value::Str(x) if &x.bytes[..] == b"old"));
        let mut l = Entry::new(Value::List(vec![Bytes::from_static(b"a")].into()), 0);
        let snap = l.clone();
        let before = crate::cow::bytes();
        if let Value::List(items) = l.value_mut() {
            items.push_back(Bytes::from_static(b"b"));
        }
        assert!(crate::cow::bytes() > before, "the shared list's copy must be counted");
        assert!(matches!(snap.value(), Value::List(x) if x.len() == 1));
        assert!(matches!(l.value(), Value::List(x) if x.len() == 2));
    }
}
