//! The value types a key can hold, and the encoding names OBJECT ENCODING reports.
//!
//! Encodings follow Redis 7.0's rules, because clients and tests observe them:
//! strings are `int` / `embstr` / `raw` by how they were created; lists are always
//! `quicklist` in 7.0; hashes, sets and sorted sets start compact (`listpack`, `intset`)
//! and convert once to `hashtable` / `skiplist` when a size limit is passed, never back.

use std::collections::VecDeque;

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
}

/// A keyspace entry: the value plus Redis's 24-bit LRU clock or LFU data.
#[derive(Clone, Debug)]
pub struct Entry {
    pub value: Value,
    /// LRU clock (seconds, 24 bits) under LRU policies; under LFU the high 16 bits are
    /// the last decrement time in minutes and the low 8 bits the logarithmic counter.
    pub lru: u32,
}

impl Entry {
    pub fn new(value: Value, lru: u32) -> Entry {
        Entry { value, lru }
    }
}
