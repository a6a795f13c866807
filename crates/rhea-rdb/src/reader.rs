//! The RDB file walker: header, opcodes, keys, EOF and checksum.
//!
//! [`parse`] hands every record to a callback as it is decoded ([`Event`]), so a caller
//! can stream a large file into its databases; [`crate::load()`] is the convenience that builds
//! `rhea_keyspace::Db`s. Both work on the whole file in memory ([`read_all`] fills it
//! from any `std::io::Read`).

use std::io::Read;

use bytes::Bytes;
use rhea_keyspace::Value;
use rhea_keyspace::limits::EncodingLimits;

use crate::crc64::crc64;
use crate::cursor::Cursor;
use crate::error::{Error, Result};
use crate::load_value::{is_value_type, read_value};
use crate::types::*;

/// What the loader should do besides decoding.
#[derive(Clone, Copy, Debug)]
pub struct LoadOptions {
    /// Limits deciding the in-memory encodings (Redis's `*-max-*` configs).
    pub limits: EncodingLimits,
    /// Verify the CRC64 trailer (Redis's `rdbchecksum`). A stored 0 is never checked.
    pub verify_checksum: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { limits: EncodingLimits::default(), verify_checksum: true }
    }
}

/// One key as stored in the file.
#[derive(Clone, Debug)]
pub struct KeyRecord {
    /// Offset of the record's first byte (its FC/F8/F9 prefix or its type byte).
    pub offset: u64,
    pub db: u64,
    pub key: Bytes,
    pub value: Value,
    /// Absolute expiry, Unix milliseconds (FC, or FD converted from seconds).
    pub expire_ms: Option<i64>,
    /// Seconds idle (F8), written under LRU eviction policies.
    pub idle_s: Option<u64>,
    /// The LFU counter (F9), written under LFU eviction policies.
    pub lfu_freq: Option<u8>,
}

/// A record of the file, in file order.
#[derive(Clone, Debug)]
pub enum Event {
    /// An `FA` aux field (`redis-ver`, `ctime`, `repl-id`, …).
    Aux {
        key: Bytes,
        value: Bytes,
    },
    /// An `F5` function library's source code.
    Function(Bytes),
    /// `FE`: the following keys belong to this db.
    SelectDb {
        db: u64,
        offset: u64,
    },
    /// `FB`: size hints for the current db.
    ResizeDb {
        keys: u64,
        expires: u64,
    },
    Key(KeyRecord),
    /// A key whose aggregate value was empty; Redis skips these with a warning.
    EmptyKey {
        db: u64,
        key: Bytes,
    },
}

/// What the trailer said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub version: u32,
    /// The stored CRC64 (`None` before version 5; `Some(0)` means "not computed").
    pub stored_checksum: Option<u64>,
    /// Offset just past the EOF record; bytes after it are ignored.
    pub end: u64,
}

/// Read a whole RDB from `r` into memory.
pub fn read_all(mut r: impl Read) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    r.read_to_end(&mut v)?;
    Ok(v)
}

/// Parse the header: `REDIS` + 4 ASCII digits. Returns the version.
fn header(cur: &mut Cursor<'_>) -> Result<u32> {
    let magic = cur.take(9).map_err(|_| Error::BadMagic)?;
    if &magic[..5] != b"REDIS" || !magic[5..].iter().all(u8::is_ascii_digit) {
        return Err(Error::BadMagic);
    }
    let version = magic[5..].iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    if !(1..=10).contains(&version) {
        return Err(Error::UnsupportedVersion(version));
    }
    Ok(version)
}

/// Decode `data` (a whole RDB file), calling `sink` for every record. Stops at the
/// first error, from the file or from `sink`.
pub fn parse(
    data: &[u8],
    opts: &LoadOptions,
    mut sink: impl FnMut(Event) -> Result<()>,
) -> Result<Summary> {
    parse_with_offsets(data, opts, |ev, _| sink(ev))
}

/// As [`parse`], also passing the offset just past each record (what
/// `redis-check-rdb` prints).
pub fn parse_with_offsets(
    data: &[u8],
    opts: &LoadOptions,
    mut sink: impl FnMut(Event, u64) -> Result<()>,
) -> Result<Summary> {
    let mut cur = Cursor::new(data);
    let version = header(&mut cur)?;
    let mut db = 0u64;
    let mut expire_ms = None;
    let mut idle_s = None;
    let mut lfu_freq = None;
    let mut key_at = None;
    loop {
        let op_at = cur.pos();
        if key_at.is_none() {
            key_at = Some(op_at);
        }
        let op = cur.u8()?;
        match op {
            OP_EXPIRETIME_MS => expire_ms = Some(cur.i64_le()?),
            OP_EXPIRETIME => expire_ms = Some(i64::from(cur.i32_le()?) * 1000),
            OP_IDLE => idle_s = Some(cur.length()?),
            OP_FREQ => lfu_freq = Some(cur.u8()?),
            OP_SELECTDB => {
                db = cur.length()?;
                if db > u64::from(u32::MAX) {
                    return Err(cur.corrupt_at(op_at, format!("db index {db} out of range")));
                }
                sink(Event::SelectDb { db, offset: op_at as u64 }, cur.pos() as u64)?;
            }
            OP_RESIZEDB => {
                let keys = cur.length()?;
                let expires = cur.length()?;
                sink(Event::ResizeDb { keys, expires }, cur.pos() as u64)?;
            }
            OP_AUX => {
                let key = cur.string()?;
                let value = cur.string()?;
                sink(Event::Aux { key, value }, cur.pos() as u64)?;
            }
            OP_FUNCTION2 => {
                let code = cur.string()?;
                sink(Event::Function(code), cur.pos() as u64)?;
            }
            OP_FUNCTION => {
                return Err(Error::Unsupported {
                    offset: op_at as u64,
                    what: "pre-release function format (opcode F6)".into(),
                });
            }
            OP_MODULE_AUX => {
                return Err(Error::Unsupported {
                    offset: op_at as u64,
                    what: "module aux data (opcode F7): no modules are loaded".into(),
                });
            }
            OP_EOF => {
                let covered = cur.consumed();
                let stored_checksum = if version >= 5 {
                    let stored = cur.u64_le()?;
                    if opts.verify_checksum && stored != 0 {
                        let computed = crc64(0, covered);
                        if computed != stored {
                            return Err(Error::Checksum { expected: computed, got: stored });
                        }
                    }
                    Some(stored)
                } else {
                    None
                };
                return Ok(Summary { version, stored_checksum, end: cur.pos() as u64 });
            }
            ty if is_value_type(ty) => {
                let offset = key_at.take().unwrap_or(op_at) as u64;
                let key = cur.string()?;
                let value = read_value(&mut cur, ty, &opts.limits)?;
                let meta = (expire_ms.take(), idle_s.take(), lfu_freq.take());
                let end = cur.pos() as u64;
                sink(
                    match value {
                        Some(value) => Event::Key(KeyRecord {
                            offset,
                            db,
                            key,
                            value,
                            expire_ms: meta.0,
                            idle_s: meta.1,
                            lfu_freq: meta.2,
                        }),
                        None => Event::EmptyKey { db, key },
                    },
                    end,
                )?;
            }
            other => {
                return Err(cur.corrupt_at(op_at, format!("unknown opcode or value type {other}")));
            }
        }
        if !matches!(op, OP_EXPIRETIME_MS | OP_EXPIRETIME | OP_IDLE | OP_FREQ) {
            key_at = None;
        }
    }
}
