//! The value types a key can hold, and the encoding names OBJECT ENCODING reports.
//!
//! Encodings follow Redis 7.0's rules, because clients and tests observe them:
//! strings are `int` / `embstr` / `raw` by how they were created; lists are always
//! `quicklist` in 7.0; hashes, sets and sorted sets start compact (`listpack`, `intset`)
//! and convert once to `hashtable` / `skiplist` when a size limit is passed, never back.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use rhea_resp::number::parse_i64;
use rhea_sys::ThinBytes;

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

/// Strings at least this long are kept behind an `Arc`: a snapshot's segment copy then
/// shares them instead of copying them, and APPEND keeps the buffer's spare capacity.
/// Shorter ones are a bare `Box<[u8]>` (exactly the bytes, no header).
pub const SHARED_STR_MIN: usize = 1024;

/// A string value and the encoding Redis would have given it.
///
/// 16 bytes, the encoding packed beside the variant tag (so [`Value`] is 16 too, and a
/// keyspace [`Entry`] 24); a short string's bytes are one allocation with its length in
/// front ([`ThinBytes`]: a 100-byte value is one 112-byte jemalloc region, as Redis's
/// sds). `Bytes` (32 bytes inline, and a shared header allocated on its first clone) or
/// `Box<[u8]>` (16) would each push the dict node into a larger size class.
#[derive(Clone, Debug)]
pub struct Str(Buf);

#[derive(Clone, Debug)]
enum Buf {
    Owned(ThinBytes, StrEnc),
    Shared(Arc<Vec<u8>>, StrEnc),
}

impl Buf {
    /// The stored form of `v`: shared when large (an owned vector moves in uncopied),
    /// inline otherwise. Borrowed bytes are copied once, into that form.
    fn new(v: Cow<'_, [u8]>, enc: StrEnc) -> Buf {
        if v.len() >= SHARED_STR_MIN {
            Buf::Shared(Arc::new(v.into_owned()), enc)
        } else {
            Buf::Owned(ThinBytes::new(&v), enc)
        }
    }
}

/// A shared large string handed out as `Bytes` without copying it.
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.enc() == other.enc() && self.as_bytes() == other.as_bytes()
    }
}

impl Str {
    fn with(bytes: impl Into<Vec<u8>>, enc: StrEnc) -> Str {
        Str(Buf::new(Cow::Owned(bytes.into()), enc))
    }

    /// Encoding as `tryObjectEncoding` picks it for values stored by SET and friends.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Str {
        let bytes = bytes.into();
        let enc = Str::encoding_for(&bytes);
        Str::with(bytes, enc)
    }

    /// [`Str::new`] for bytes the caller keeps (a command's argument): copied once,
    /// into the stored form.
    pub fn from_slice(bytes: &[u8]) -> Str {
        Str(Buf::new(Cow::Borrowed(bytes), Str::encoding_for(bytes)))
    }

    fn encoding_for(bytes: &[u8]) -> StrEnc {
        if bytes.len() <= 20 && parse_i64(bytes).is_some() {
            StrEnc::Int
        } else if bytes.len() <= EMBSTR_LIMIT {
            StrEnc::Embstr
        } else {
            StrEnc::Raw
        }
    }

    /// A value modified in place (APPEND, SETRANGE): always `raw`.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Str {
        Str::with(bytes, StrEnc::Raw)
    }

    /// A value produced by INCR and friends: `int`.
    pub fn from_int(v: i64) -> Str {
        let mut b = itoa::Buffer::new();
        Str::with(b.format(v).as_bytes(), StrEnc::Int)
    }

    /// A value created from a plain string (INCRBYFLOAT's result): embstr or raw by size.
    pub fn plain(bytes: impl Into<Vec<u8>>) -> Str {
        let bytes = bytes.into();
        let enc = if bytes.len() <= EMBSTR_LIMIT { StrEnc::Embstr } else { StrEnc::Raw };
        Str::with(bytes, enc)
    }

    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Buf::Owned(b, _) => b,
            Buf::Shared(v, _) => v,
        }
    }

    pub fn enc(&self) -> StrEnc {
        match self.0 {
            Buf::Owned(_, enc) | Buf::Shared(_, enc) => enc,
        }
    }

    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes as `Bytes` (for a reply): a copy of a short string, a shared reference
    /// to a long one.
    pub fn to_bytes(&self) -> Bytes {
        match &self.0 {
            Buf::Owned(b, _) => Bytes::copy_from_slice(b),
            Buf::Shared(v, _) => Bytes::from_owner(SharedBytes(v.clone())),
        }
    }

    /// Edit the bytes in place (APPEND, SETRANGE), leaving a `raw` string. A long string
    /// a snapshot still shares is copied first, and counted in [`crate::cow`].
    pub fn edit(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        match &mut self.0 {
            Buf::Shared(v, enc) => {
                *enc = StrEnc::Raw;
                if Arc::get_mut(v).is_none() {
                    crate::cow::add(v.len() as u64);
                }
                f(Arc::make_mut(v));
            }
            Buf::Owned(b, _) => {
                let mut v = b.to_vec();
                f(&mut v);
                self.0 = Buf::new(Cow::Owned(v), StrEnc::Raw);
            }
        }
    }

    /// Heap bytes a clone of this string allocates (a long one is shared, not copied).
    pub fn clone_bytes(&self) -> usize {
        match &self.0 {
            Buf::Owned(b, _) => b.len(),
            Buf::Shared(..) => 0,
        }
    }

    /// Bytes of a long string that another owner (a snapshot) still holds.
    fn shared_bytes(&self) -> u64 {
        match &self.0 {
            Buf::Shared(v, _) if Arc::strong_count(v) > 1 => v.len() as u64,
            _ => 0,
        }
    }

    pub fn encoding_name(&self) -> &'static str {
        match self.enc() {
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
    /// Boxed: a bare `VecDeque` (32 bytes) would make every `Value` 32 bytes and push the
    /// keyspace node past 64 bytes.
    List(Box<VecDeque<Bytes>>),
    Hash(Hash),
    Set(Set),
    ZSet(ZSet),
}

impl Value {
    pub fn string(b: impl Into<Vec<u8>>) -> Value {
        Value::Str(Str::new(b))
    }

    pub fn list(items: impl Into<VecDeque<Bytes>>) -> Value {
        Value::List(Box::new(items.into()))
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
            Value::Str(s) => return s.len() as u64 + 16,
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
/// A snapshot (BGSAVE, full sync) clones the dictionary's nodes when it copies a segment,
/// so an entry's clone must be cheap. Strings are stored in the entry itself: a short
/// one is copied (its exact bytes, no more than the node), a long one
/// ([`SHARED_STR_MIN`]) is shared and copied only if edited ([`Str::edit`]).
/// Aggregates sit behind an `Arc`, shared with a snapshot and copied on the first write
/// after it ([`Entry::value_mut`]). Keeping strings out of an `Arc` saves a 64-byte
/// allocation per string key.
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
    /// an aggregate or a long string, its memory is now the snapshot's alone.
    pub fn note_dropped(&self) {
        match &self.slot {
            Slot::Shared(v) if Arc::strong_count(v) > 1 => crate::cow::add(v.approx_bytes()),
            Slot::Inline(Value::Str(s)) => crate::cow::add(s.shared_bytes()),
            _ => {}
        }
    }

    /// Heap bytes a clone allocates: a short string's bytes; shared parts cost nothing.
    pub fn clone_bytes(&self) -> usize {
        match &self.slot {
            Slot::Inline(Value::Str(s)) => s.clone_bytes(),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every key pays for one `Value` in its entry: aggregates keep their representation
    /// boxed (a list's `VecDeque` too, which would be 32 bytes inline) so a string key
    /// does not pay for more, a string is a bare boxed slice, and the entry's
    /// inline/shared choice fits in the value's own tag. A 24-byte entry, an 8-byte key,
    /// the chain link and the node's reference count make 48 bytes, a jemalloc size class.
    #[test]
    fn value_stays_small() {
        assert!(size_of::<super::Value>() <= 16, "Value is {} bytes", size_of::<super::Value>());
        assert!(size_of::<super::Entry>() <= 24, "Entry is {} bytes", size_of::<super::Entry>());
        assert!(size_of::<super::Str>() <= 16, "Str is {} bytes", size_of::<super::Str>());
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
        assert!(matches!(snap.value(), Value::Str(x) if x.as_bytes() == b"old"));
        let mut l = Entry::new(Value::list(vec![Bytes::from_static(b"a")]), 0);
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
