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
//!  Value ◄──► dump::{dump_payload, restore_payload} ◄──► DUMP payload (type, value, footer)
//! ```
//!
//! # Layout
//!
//! `reader` (header, opcodes, [`Event`]s) · `load_value` (one payload → `Value`) ·
//! `load` (events → `Db`s) · `writer` · `dump` (DUMP/RESTORE payloads) · `check` ·
//! `cursor` (bounds-checked input) · codecs: `lzf`, `crc64`, `listpack`, `intset`, `legacy` (ziplist, zipmap) · `types`.
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
//!   (same types, encodings, aux fields, quicklist node split and LZF bytes): for
//!   order-independent encodings the file is byte-identical to a real `SAVE`, and every
//!   output is accepted by real `redis-server` and `redis-check-rdb` (same DEBUG DIGEST
//!   after loading). All of this is tested against the real programs in `tests/`.
//! * A DUMP payload ([`dump_payload`]) holds the same value bytes the writer puts in a
//!   file, so the same holds for DUMP; [`restore_payload`] checks the footer (version,
//!   CRC-64) before decoding, with the loader's validation and encoding rules.
//!
//! # Caveats
//!
//! * Streams (types 15, 19), modules (6, 7, opcode F7) and the 7.0-rc function format
//!   (F6) are refused with [`Error::Unsupported`]; the keyspace has no stream type.
//! * The reader works on the whole file in memory ([`read_all`]).
//! * [`load()`] leaves each entry's LRU/LFU field 0; idle time and LFU counters are
//!   reported in [`KeyRecord`] for a caller that owns a clock.
//! * LZF output equals liblzf's except in the rare case where liblzf's uninitialised
//!   hash table yields a stale-slot match; both are valid LZF.
//! * List nodes are PACKED listpacks split as a run of RPUSHes would split them
//!   (`list-max-listpack-size -2`); a Redis list built otherwise may have other node
//!   boundaries. No PLAIN nodes are written (Redis writes them only for elements over
//!   `packed_threshold`, 1 GB). Node blobs follow the ordinary string rule (LZF when
//!   it saves ≥ 4 bytes), which is what Redis does with `list-compress-depth 0`.
//! * Hashtable sets and hashes are written in our dict's order; Redis's order depends
//!   on its per-process random hash seed, so two real servers differ there too. An
//!   intset is written at the narrowest width that holds its members; Redis never
//!   narrows an intset after removals.
//! * A stream payload is refused by [`restore_payload`] ([`PayloadError::BadData`])
//!   where Redis restores it.
//! * [`write_dbs`] writes no F8/F9 records; under LRU/LFU policies drive
//!   [`RdbWriter`] directly with [`KeyMeta`].
//! * On mutated DUMP payloads fuzzed against Redis 7.0.15 with `sanitize-dump-payload
//!   yes` (`tests/python/test_dump.py`), Rhea refuses and accepts alike, Redis's
//!   loader quirks included (a `11xxxxxx` byte read as a length, an LZF string of
//!   declared length 0, a non-canonical listpack backlen that decodes right). The
//!   exceptions: a listpack sorted set with a score that is not a number is refused
//!   (Redis reads its `strtod` prefix), one with entries out of order is sorted
//!   (Redis keeps that order), and streams (above).
//! * Duplicate members/fields are always rejected; Redis without
//!   `sanitize-dump-payload` lets some through into small listpacks, which our value
//!   types cannot represent.
//! * The encodings of loaded values follow the [`LoadOptions::limits`] passed in; pass
//!   the server's configured limits (Redis 7.0.15 defaults `hash-max-listpack-entries`
//!   to 512).

pub mod check;
pub mod crc64;
mod cursor;
pub mod dump;
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

pub use check::{CheckReport, check, check_at};
pub use dump::{PayloadError, dump_payload, restore_payload, verify_payload};
pub use error::{Error, Result};
pub use load::{Loaded, load, load_with_progress};
pub use reader::{Event, KeyRecord, LoadOptions, Summary, parse, parse_with_offsets, read_all};
pub use writer::{KeyMeta, RdbWriter, ReplAux, WriteOptions, write_dbs};
