//! Building keyspace databases from an RDB, with Redis 7.0's loading rules: a db index
//! beyond `databases` and a duplicate key are fatal; a key already expired is dropped
//! when loading as a master and kept when loading as a replica (`rdbLoadRioWithLoadingCtx`).

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use rhea_keyspace::Db;

use crate::error::{Error, Result};
use crate::reader::{Event, KeyRecord, LoadOptions, Summary, parse};
use rhea_keyspace::Key;

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

/// Records handed from the parsing thread to the inserting one at a time: large enough
/// that the channel costs nothing per key, small enough to keep both threads busy.
const BATCH: usize = 512;

/// [`load`], giving every entry `lru` as its LRU/LFU field and storing the offset reached
/// in `progress` after each key, so another thread can report loading progress
/// (INFO's `loading_loaded_bytes`).
///
/// Two threads: one parses (and decompresses) records, the calling one inserts them.
/// Parsing and inserting cost about the same, so a million keys load in a bit more than
/// half the time of one thread doing both (Redis loads on one thread; this is what keeps
/// Rhea's startup load at or under Redis's). The first error in file order wins: an
/// insertion error (a duplicate key) stops the parser; a parse error arrives after
/// every record before it was inserted.
pub fn load_with_progress(
    data: &[u8],
    opts: &LoadOptions,
    num_dbs: usize,
    now_ms: Option<i64>,
    lru: u32,
    progress: &AtomicU64,
) -> Result<Loaded> {
    let mut out = Loaded { dbs: (0..num_dbs).map(|_| Db::new()).collect(), ..Loaded::default() };
    let mut inserter = Inserter {
        out: &mut out,
        current_db: 0,
        num_dbs,
        now_ms,
        lru,
        progress,
        file_len: data.len(),
    };
    let summary = std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(4);
        let parser = std::thread::Builder::new()
            .name("rhea-rdb-parse".into())
            .spawn_scoped(s, move || {
                let mut batch = Vec::with_capacity(BATCH);
                let summary = parse(data, opts, |ev| {
                    batch.push(Parsed::from(ev));
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        // A closed channel means the inserter failed; its error is the
                        // one reported, this one is never seen.
                        tx.send(full)
                            .map_err(|_| Error::Corrupt { offset: 0, what: "stopped".into() })?;
                    }
                    Ok(())
                })?;
                let _ = tx.send(batch);
                Ok(summary)
            })
            .map_err(Error::Io)?;
        let inserted = rx.into_iter().flatten().try_for_each(|p| inserter.apply(p));
        let parsed = parser.join().expect("the RDB parser thread panicked");
        inserted.and(parsed)
    })?;
    out.summary = Some(summary);
    Ok(out)
}

/// An event as the parsing thread hands it over: a key record comes with its key already
/// in the keyspace's representation, so that allocation and copy happen on the parsing
/// side and the inserting thread only links entries in.
enum Parsed {
    Key(Key, KeyRecord),
    Other(Event),
}

impl From<Event> for Parsed {
    fn from(ev: Event) -> Parsed {
        match ev {
            Event::Key(mut rec) => {
                let key = Key::from(&rec.key[..]);
                rec.key = Bytes::new();
                Parsed::Key(key, rec)
            }
            other => Parsed::Other(other),
        }
    }
}

/// The inserting half of [`load_with_progress`].
struct Inserter<'a> {
    out: &'a mut Loaded,
    current_db: usize,
    num_dbs: usize,
    now_ms: Option<i64>,
    lru: u32,
    progress: &'a AtomicU64,
    file_len: usize,
}

impl Inserter<'_> {
    fn apply(&mut self, parsed: Parsed) -> Result<()> {
        let (out, num_dbs) = (&mut *self.out, self.num_dbs);
        let ev = match parsed {
            Parsed::Key(key, rec) => return self.insert(key, rec),
            Parsed::Other(ev) => ev,
        };
        match ev {
            Event::Aux { key, value } => out.aux.push((key, value)),
            Event::Function(code) => out.functions.push(code),
            Event::SelectDb { db, offset } => {
                self.current_db = db as usize;
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
                let cap = self.file_len as u64 / 3;
                if let Some(db) = out.dbs.get_mut(self.current_db) {
                    db.dict.reserve(keys.min(cap) as usize);
                    db.expires.reserve(expires.min(cap) as usize);
                }
            }
            Event::EmptyKey { .. } => out.empty_skipped += 1,
            Event::Key(_) => unreachable!("key records arrive as Parsed::Key"),
        }
        Ok(())
    }

    fn insert(&mut self, key: Key, rec: KeyRecord) -> Result<()> {
        let (out, num_dbs) = (&mut *self.out, self.num_dbs);
        let Some(db) = out.dbs.get_mut(rec.db as usize) else {
            return Err(Error::Corrupt {
                offset: rec.offset,
                what: format!("key for db {} but only {num_dbs} databases", rec.db),
            });
        };
        if let (Some(now), Some(when)) = (self.now_ms, rec.expire_ms)
            && when <= now
        {
            out.expired_skipped += 1;
            return Ok(());
        }
        self.progress.store(rec.offset, Ordering::Relaxed);
        let expire = rec.expire_ms.map(|when| (Key::clone(&key), when));
        if let Err(key) = db.insert_new_key(key, rec.value, self.lru) {
            return Err(Error::Corrupt {
                offset: rec.offset,
                what: format!(
                    "Duplicate key '{}' found in RDB file",
                    String::from_utf8_lossy(&key)
                ),
            });
        }
        if let Some((key, when)) = expire {
            db.set_expire(&key, when);
        }
        out.keys_loaded += 1;
        Ok(())
    }
}
