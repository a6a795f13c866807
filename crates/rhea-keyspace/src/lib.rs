//! # rhea-keyspace: the data a Redis server holds, with no I/O and no clock
//!
//! Owns the databases ([`Db`]), the value types ([`Value`]) with Redis 7.0's encoding
//! rules, the hash table behind keys and large aggregates ([`Dict`], whose reverse-binary
//! cursor gives SCAN its guarantee), expiry (lazy on access, and the sampling step of the
//! active cycle), and glob matching.
//!
//! The engine thread in `rhea-server` is the only owner: nothing here is `Sync`-shared or
//! locked. Time comes in through [`Access`], so behaviour is deterministic under test.
//!
//! ## Memory per key
//! A string key costs one dict node of 64 bytes (a [`Key`], a boxed slice of 16 bytes;
//! an [`Entry`] of 40; the chain link), the key's bytes, the value's bytes (a 100-byte
//! value is one 112-byte allocation) and an 8-byte bucket: 200 bytes for `DEBUG POPULATE`
//! keys, where Redis 7.0 spends about 176 (dictEntry 24, key sds 16, robj 16, value sds
//! 112, bucket 8). Node and string sizes are chosen against jemalloc's size classes
//! (…, 48, 64, 80, 96, 112, …): a byte over a class boundary costs 16 per key, which is
//! what the size tests in [`value`] and [`dict`] guard. The price of keeping keys and
//! short strings without a reference count is paid during a save: the first write to a
//! segment a snapshot shares copies that segment's keys and short strings along with
//! its nodes (reads do not copy: [`Db::lookup_ref`]).
//!
//! ## Caveats
//! * [`Dict`] rehashes incrementally as Redis does, but only `&mut` operations and the
//!   server's cron ([`Dict::rehash_for`]) move buckets: reads through `&self` (`get`,
//!   `sample`, `random`) do not, where Redis's lookups do. The resize policy is
//!   process-wide ([`dict::set_resize_allowed`], Redis's `dict_can_resize`).
//! * Snapshots (`Db::clone`) share `Dict` segments and values (`Arc`) and copy them on
//!   first write; see [`dict`] and [`cow`]. A write to a large aggregate during a save
//!   copies the whole aggregate once, where a forked Redis would copy only the pages
//!   touched. Short strings (under [`value::SHARED_STR_MIN`]) are stored without a
//!   reference count, so a segment copy copies them with their nodes (counted too):
//!   that saves 16 bytes per key at rest and costs their bytes once per segment touched
//!   during a save.
//! * Sorted sets that outgrow the listpack use sorted chunks with a Fenwick tree of chunk
//!   sizes instead of a skiplist (O(log n) rank queries); see [`zset`] for the costs.

pub mod cow;
pub mod db;
pub mod dict;
pub mod glob;
pub mod hash;
pub mod limits;
pub mod set;
pub mod value;
pub mod zset;

pub use db::{Access, Db, Key};
pub use dict::Dict;
pub use glob::glob_match;
pub use value::{Entry, Str, StrEnc, Value};
