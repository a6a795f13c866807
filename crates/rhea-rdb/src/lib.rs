//! RDB v10 (Redis 7.0) persistence: reading and writing `dump.rdb`, plus the small
//! codecs it is built from (LZF, CRC-64/Jones, listpack, intset, legacy ziplist and
//! zipmap).
//!
//! # What it owns
//!
//! ```text
//!  bytes ──► reader::parse ──Event──► caller (or load::load ──► Vec<rhea_keyspace::Db>)
//!            (cursor, load_value, listpack/intset/legacy, lzf, crc64)
//!  Db / Value ──► writer::RdbWriter (listpack, intset, lzf, crc64) ──► io::Write
//!  bytes ──► check::check ──► CheckReport (first fault and its offset)
//! ```
//!
//! # Guarantees
//!
//! * The reader accepts versions 1..=10 and every opcode of 7.0 (F5..FF) and value
//!   types 0-5 and 9-18, with int- and LZF-encoded strings in any string slot.
//!   Encodings are converted per [`rhea_keyspace::limits::EncodingLimits`] exactly as
//!   Redis 7.0's loader does (compact while it fits, else hashtable/skiplist).
//! * Corrupt input never panics and never triggers an allocation larger than a small
//!   multiple of the remaining input: counts are checked against the bytes left, and
//!   every blob is validated before use. Faults carry the byte offset
//!   ([`Error::Corrupt`]).
//! * The writer produces what Redis 7.0.15's `SAVE` produces for the same data
//!   (same types, encodings and aux fields), accepted by real `redis-server` and
//!   `redis-check-rdb` (tested against them in `tests/interop.rs`).
//!
//! # Caveats
//!
//! * Streams (types 15, 19), modules (6, 7, opcode F7) and the 7.0-rc function format
//!   (F6) are refused with [`Error::Unsupported`]; the keyspace has no stream type.
//! * The reader works on the whole file in memory ([`read_all`]).
//! * [`load`] leaves each entry's LRU/LFU field 0; idle time and LFU counters are
//!   reported in [`KeyRecord`] for a caller that owns a clock.
//! * The LZF compressor is our own; its output is valid liblzf data but may differ
//!   byte-for-byte from Redis's for some inputs (the 100×`a` vector matches).
//! * List nodes are always PACKED listpacks ≤ 8 KB (no PLAIN nodes for ≥ 1 GB
//!   elements, no node compression, as with `list-compress-depth 0`).

pub mod check;
pub mod crc64;
mod cursor;
pub mod error;
pub mod intset;
pub mod legacy;
pub mod listpack;
pub mod load;
mod load_value;
pub mod lzf;
pub mod reader;
pub mod types;
pub mod writer;

pub use check::{CheckReport, check};
pub use error::{Error, Result};
pub use load::{Loaded, load};
pub use reader::{Event, KeyRecord, LoadOptions, Summary, parse, read_all};
pub use writer::{KeyMeta, RdbWriter, ReplAux, WriteOptions, write_dbs};
