//! Building keyspace databases from an RDB, with Redis 7.0's loading rules: a db index
//! beyond `databases` and a duplicate key are fatal; a key already expired is dropped
//! when loading as a master and kept when loading as a replica (`rdbLoadRioWithLoadingCtx`).

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use rhea_keyspace::Db;

use crate::error::{Error, Result};
use crate::reader::{Event, LoadOptions, Summary, parse};

/// The result of [`load`].
#[derive(Default)]
pub struct Loaded {
    pub dbs: Vec<Db>,
    /// Aux fields in file order.
    pub aux: Vec<(Bytes, Bytes)>,
    /// Function library sources (F5), in file order.
    pub functions: Vec<Bytes>,
    pub keys_loaded: u64,
    /// Keys dropped because they had already expired (master loading only).
    pub expired_skipped: u64,
    /// Keys skipped because their aggregate was empty.
    pub empty_skipped: u64,
    pub summary: Option<Summary>,
}

/// Load `data` into `num_dbs` fresh databases. With `now_ms = Some(t)` keys expiring at
/// or before `t` are dropped (master); with `None` every key is kept (replica).
///
/// The entries' `lru` field is left 0: idle time and LFU counters are in the
/// [`crate::KeyRecord`]s for a caller that tracks a clock (use [`parse`] for that).
pub fn load(
    data: &[u8],
    opts: &LoadOptions,
    num_dbs: usize,
    now_ms: Option<i64>,
) -> Result<Loaded> {
    load_with_progress(data, opts, num_dbs, now_ms, 0, &AtomicU64::new(0))
}

/// [`load`], giving every entry `lru` as its LRU/LFU field and storing the offset reached
/// in `progress` after each key, so another thread can report loading progress
/// (INFO's `loading_loaded_bytes`).
pub fn load_with_progress(
    data: &[u8],
    opts: &LoadOptions,
    num_dbs: usize,
    now_ms: Option<i64>,
    lru: u32,
    progress: &AtomicU64,
) -> Result<Loaded> {
    let mut out = Loaded { dbs: (0..num_dbs).map(|_| Db::new()).collect(), ..Loaded::default() };
    let mut current_db = 0usize;
    let summary = parse(data, opts, |ev| {
        match ev {
            Event::Aux { key, value } => out.aux.push((key, value)),
            Event::Function(code) => out.functions.push(code),
            Event::SelectDb { db, offset } => {
                current_db = db as usize;
                if db >= num_dbs as u64 {
                    return Err(Error::Corrupt {
                        offset,
                        what: format!(
                            "FATAL: Data file was created with a Redis server configured to handle more than {num_dbs} databases"
                        ),
                    });
                }
            }
            Event::ResizeDb { keys, expires } => {
                // The current SELECTDB's database; sized once instead of doubling 20 times.
                // A hostile file may claim any size: no key record is under 3 bytes, so
                // the rest of the file bounds what can really come.
                let cap = data.len() as u64 / 3;
                if let Some(db) = out.dbs.get_mut(current_db) {
                    db.dict.reserve(keys.min(cap) as usize);
                    db.expires.reserve(expires.min(cap) as usize);
                }
            }
            Event::EmptyKey { .. } => out.empty_skipped += 1,
            Event::Key(rec) => {
                let Some(db) = out.dbs.get_mut(rec.db as usize) else {
                    return Err(Error::Corrupt {
                        offset: rec.offset,
                        what: format!("key for db {} but only {num_dbs} databases", rec.db),
                    });
                };
                if let (Some(now), Some(when)) = (now_ms, rec.expire_ms)
                    && when <= now
                {
                    out.expired_skipped += 1;
                    return Ok(());
                }
                progress.store(rec.offset, Ordering::Relaxed);
                if !db.insert_new(rec.key.clone(), rec.value, lru) {
                    return Err(Error::Corrupt {
                        offset: rec.offset,
                        what: format!(
                            "Duplicate key '{}' found in RDB file",
                            String::from_utf8_lossy(&rec.key)
                        ),
                    });
                }
                if let Some(when) = rec.expire_ms {
                    db.set_expire(&rec.key, when);
                }
                out.keys_loaded += 1;
            }
        }
        Ok(())
    })?;
    out.summary = Some(summary);
    Ok(out)
}
