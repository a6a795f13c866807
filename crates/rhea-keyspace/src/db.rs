//! One logical database: the key dictionary, the expiry index, lazy expiry on access and
//! the sampling step of Redis's active expiry cycle.
//!
//! Time is passed in ([`Access`]): the keyspace never reads a clock, so tests and
//! replicas control it.

use bytes::Bytes;
use rand::Rng;

use crate::dict::Dict;
use crate::value::{Entry, Value};

/// What a lookup needs to know about "now" and about the server's role.
#[derive(Clone, Copy, Debug, Default)]
pub struct Access {
    /// Milliseconds since the Unix epoch, fixed for the duration of one command.
    pub now_ms: i64,
    /// A replica never deletes expired keys itself: it waits for the master's DEL, but
    /// reports them as missing to ordinary clients.
    pub is_replica: bool,
    /// The master link sees keys even when they are logically expired.
    pub is_master_client: bool,
}

/// A key as the keyspace dictionary stores it: exactly its bytes, one pointer inline.
///
/// `Bytes` would be 32 bytes inline (plus a shared header allocated on its first clone)
/// and `Box<[u8]>` 16; the key sits in every dict node, and [`ThinBytes`](rhea_sys::ThinBytes) (length inside
/// the allocation, like an sds header) keeps the node at 48 bytes. Keys arrive as `Bytes`
/// from the protocol and are copied once, into an exact-size allocation, when inserted.
pub type Key = rhea_sys::ThinBytes;

/// Entries ever pushed to any [`Db::expired_log`] in this process. The engine drains the
/// logs after every command; comparing this number with the one it saw last tells it
/// whether any log can hold something without visiting every database (16 by default,
/// each on its own cache lines — twice per command, that was visible in profiles).
static EXPIRED_LOGGED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// See [`EXPIRED_LOGGED`]: unchanged since the caller's last look means every
/// `expired_log` the caller drained then is still empty.
pub fn expired_logged() -> u64 {
    EXPIRED_LOGGED.load(std::sync::atomic::Ordering::Relaxed)
}

#[derive(Clone, Default)]
pub struct Db {
    pub dict: Dict<Key, Entry>,
    pub expires: Dict<Bytes, i64>,
    /// Keys deleted by lazy or active expiry since the engine last drained this list;
    /// the engine propagates them as DEL and counts `expired_keys`.
    pub expired_log: Vec<Bytes>,
    /// Cursor of the active expiry cycle into `expires`.
    expire_cursor: u64,
    /// Running average TTL in ms, as INFO keyspace reports it (`avg_ttl`).
    pub avg_ttl: i64,
}

impl Db {
    pub fn new() -> Db {
        Db::default()
    }

    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    pub fn get_expire(&self, key: &[u8]) -> Option<i64> {
        self.expires.get(key).copied()
    }

    /// Is `key` past its expiry time?
    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        self.get_expire(key).is_some_and(|when| when <= now_ms)
    }

    /// Lazy expiry: true if the key must be treated as missing. On a master the key is
    /// deleted and logged; on a replica it is only hidden (mirrors `expireIfNeeded`).
    pub fn expire_if_needed(&mut self, key: &[u8], acc: &Access) -> bool {
        if !self.is_expired(key, acc.now_ms) {
            return false;
        }
        if acc.is_replica {
            return !acc.is_master_client;
        }
        self.remove_expired(key);
        true
    }

    fn remove_expired(&mut self, key: &[u8]) {
        if let Some((k, e)) = self.dict.remove(key) {
            e.note_dropped();
            self.expires.remove(key);
            self.expired_log.push(Bytes::copy_from_slice(&k));
            EXPIRED_LOGGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Look a key up for reading or writing, applying lazy expiry first.
    pub fn lookup(&mut self, key: &[u8], acc: &Access) -> Option<&mut Entry> {
        if self.expire_if_needed(key, acc) {
            return None;
        }
        self.dict.get_mut(key)
    }

    /// Look a key up for reading, applying lazy expiry first. Unlike [`Db::lookup`] this
    /// leaves the entry's segment alone: one a snapshot shares is not copied.
    pub fn lookup_ref(&mut self, key: &[u8], acc: &Access) -> Option<&Entry> {
        if self.expire_if_needed(key, acc) {
            return None;
        }
        self.dict.get(key)
    }

    /// Does the key exist (after lazy expiry)?
    pub fn exists(&mut self, key: &[u8], acc: &Access) -> bool {
        self.lookup(key, acc).is_some()
    }

    /// Store `value` under `key`, replacing any old value. The old TTL is dropped unless
    /// `keep_ttl` (SET's behaviour; `setKey` in Redis).
    pub fn set(&mut self, key: Bytes, value: Value, lru: u32, keep_ttl: bool) {
        self.upsert(&key, value, keep_ttl, |_| lru);
    }

    /// Store `value` under `key` with one lookup, giving it the LRU/LFU field
    /// `lru(previous field)` (`None` for a new key). Returns true when the key is new.
    pub fn upsert(
        &mut self,
        key: &[u8],
        value: Value,
        keep_ttl: bool,
        lru: impl Fn(Option<u32>) -> u32,
    ) -> bool {
        if !keep_ttl {
            self.expires.remove(key);
        }
        let mut value = Some(value);
        let (e, new) = self.dict.find_or_insert_with(key, || {
            (Key::from(key), Entry::new(value.take().expect("inserted once"), lru(None)))
        });
        if let Some(value) = value {
            e.lru = lru(Some(e.lru));
            e.set_value(value);
        }
        new
    }

    /// Add a key that must not exist yet (loading): false, and nothing changed, if it does.
    pub fn insert_new(&mut self, key: Bytes, value: Value, lru: u32) -> bool {
        self.insert_new_key(Key::from(&key[..]), value, lru).is_ok()
    }

    /// [`Db::insert_new`] for a key already in the keyspace's representation; gives the
    /// key back if it exists.
    pub fn insert_new_key(&mut self, key: Key, value: Value, lru: u32) -> Result<(), Key> {
        self.dict.try_insert(key, Entry::new(value, lru)).map_err(|(key, _)| key)
    }

    /// Remove a key. Returns whether it existed.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        if let Some((_, e)) = self.dict.remove(key) {
            e.note_dropped();
            self.expires.remove(key);
            true
        } else {
            false
        }
    }

    /// Remove a key and return its entry and TTL (RENAME, MOVE, GETDEL).
    pub fn take(&mut self, key: &[u8]) -> Option<(Entry, Option<i64>)> {
        let (_, e) = self.dict.remove(key)?;
        let ttl = self.expires.remove(key).map(|(_, t)| t);
        Some((e, ttl))
    }

    /// Set an absolute expiry time. The key must exist.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) {
        if self.dict.contains_key(key) {
            self.expires.insert(Bytes::copy_from_slice(key), when_ms);
        }
    }

    /// Remove the TTL. Returns whether there was one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.expires.remove(key).is_some()
    }

    /// A random live key, skipping expired ones like `dbRandomKey` (which gives up on a
    /// replica whose keys are all expired after 100 tries, returning one of them).
    pub fn random_key<R: Rng + ?Sized>(&mut self, rng: &mut R, acc: &Access) -> Option<Bytes> {
        let mut tries = 0;
        loop {
            let key = Bytes::copy_from_slice(self.dict.random(rng)?.0);
            if self.is_expired(&key, acc.now_ms) {
                if acc.is_replica {
                    tries += 1;
                    if tries >= 100 || self.expires.len() < self.dict.len() && tries > 10 {
                        return Some(key);
                    }
                    continue;
                }
                self.remove_expired(&key);
                continue;
            }
            return Some(key);
        }
    }

    /// One step of the active expiry cycle: walk up to `budget` keys of the expiry index
    /// from the saved cursor, deleting the expired ones. Returns (checked, expired).
    /// The caller repeats while more than 10% of the sample expired, as Redis does.
    pub fn active_expire_step(&mut self, now_ms: i64, budget: usize) -> (usize, usize) {
        if self.expires.is_empty() {
            return (0, 0);
        }
        let mut due = Vec::new();
        let mut checked = 0;
        let mut ttl_sum: i64 = 0;
        let mut ttl_samples: i64 = 0;
        // Redis samples buckets, not keys, so at least one bucket is always walked.
        loop {
            self.expire_cursor = self.expires.scan(self.expire_cursor, |k, &when| {
                checked += 1;
                if when <= now_ms {
                    due.push(k.clone());
                } else {
                    ttl_sum += when - now_ms;
                    ttl_samples += 1;
                }
            });
            if checked >= budget || self.expire_cursor == 0 {
                break;
            }
        }
        if ttl_samples > 0 {
            let avg = ttl_sum / ttl_samples;
            // Redis blends the sample into the running average with a 2% weight.
            self.avg_ttl =
                if self.avg_ttl == 0 { avg } else { (self.avg_ttl / 50) * 49 + avg / 50 };
        }
        let expired = due.len();
        for k in due {
            self.remove_expired(&k);
        }
        (checked, expired)
    }

    /// Drop everything.
    pub fn clear(&mut self) {
        for e in self.dict.values() {
            e.note_dropped();
        }
        self.dict.clear();
        self.expires.clear();
        self.avg_ttl = 0;
        self.expire_cursor = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn lazy_expiry_master_and_replica() {
        let mut db = Db::new();
        db.set(b("k"), Value::string("v"), 0, false);
        db.set_expire(b"k", 1000);
        let early = Access { now_ms: 999, ..Access::default() };
        assert!(db.lookup(b"k", &early).is_some());
        let replica = Access { now_ms: 1000, is_replica: true, is_master_client: false };
        assert!(db.lookup(b"k", &replica).is_none());
        assert_eq!(db.len(), 1, "a replica hides but keeps the key");
        let master = Access { now_ms: 1000, ..Access::default() };
        assert!(db.lookup(b"k", &master).is_none());
        assert_eq!(db.len(), 0);
        assert_eq!(db.expired_log, vec![b("k")]);
    }

    #[test]
    fn set_drops_ttl_unless_kept() {
        let mut db = Db::new();
        db.set(b("k"), Value::string("v"), 0, false);
        db.set_expire(b"k", 5000);
        db.set(b("k"), Value::string("w"), 0, true);
        assert_eq!(db.get_expire(b"k"), Some(5000));
        db.set(b("k"), Value::string("x"), 0, false);
        assert_eq!(db.get_expire(b"k"), None);
    }

    #[test]
    fn active_expiry_removes_due_keys() {
        let mut db = Db::new();
        for i in 0..100 {
            let k = b(&format!("k{i}"));
            db.set(k.clone(), Value::string("v"), 0, false);
            db.set_expire(&k, if i % 2 == 0 { 10 } else { 10_000 });
        }
        let mut total = 0;
        for _ in 0..100 {
            total += db.active_expire_step(100, 20).1;
        }
        assert_eq!(total, 50);
        assert_eq!(db.len(), 50);
    }

    /// A snapshot (`Db::clone`, what BGSAVE takes) keeps the old aggregate while the live
    /// one is mutated in place, and the copy made for the live side is counted.
    #[test]
    fn snapshot_sees_old_aggregate_and_counts_the_copy() {
        let acc = Access::default();
        let mut db = Db::new();
        let items =
            (0..100).map(|i| b(&format!("item{i}"))).collect::<std::collections::VecDeque<_>>();
        db.set(b("list"), Value::list(items), 0, false);
        db.set(b("s"), Value::string("short"), 0, false);
        let snap = db.clone();
        let before = crate::cow::bytes();
        match db.lookup(b"list", &acc).unwrap().value_mut() {
            Value::List(l) => l.push_back(b("new")),
            _ => unreachable!(),
        }
        let copied = crate::cow::bytes() - before;
        assert!(copied >= 100 * 5, "the list copy must be counted, got {copied}");
        match db.lookup(b"s", &acc).unwrap().value_mut() {
            Value::Str(s) => s.edit(|v| v.extend_from_slice(b"+tail")),
            _ => unreachable!(),
        }
        let len = |d: &Db, k: &[u8]| match d.dict.get(k).unwrap().value() {
            Value::List(l) => l.len(),
            Value::Str(s) => s.len(),
            _ => unreachable!(),
        };
        assert_eq!((len(&snap, b"list"), len(&db, b"list")), (100, 101));
        assert_eq!((len(&snap, b"s"), len(&db, b"s")), (5, 10));
    }

    /// A long string is shared with a snapshot, not copied with its segment; editing it
    /// copies it once and counts that copy.
    #[test]
    fn snapshot_shares_long_strings_until_edited() {
        let acc = Access::default();
        let mut db = Db::new();
        let long = vec![b'x'; crate::value::SHARED_STR_MIN * 4];
        db.set(b("big"), Value::Str(crate::Str::raw(long)), 0, false);
        let snap = db.clone();
        let before = crate::cow::bytes();
        match db.lookup(b"big", &acc).unwrap().value_mut() {
            Value::Str(s) => s.edit(|v| v[0] = b'y'),
            _ => unreachable!(),
        }
        assert!(crate::cow::bytes() - before >= 4 * crate::value::SHARED_STR_MIN as u64);
        let first = |d: &Db| match d.dict.get(&b"big"[..]).unwrap().value() {
            Value::Str(s) => s.as_bytes()[0],
            _ => unreachable!(),
        };
        assert_eq!((first(&snap), first(&db)), (b'x', b'y'));
    }
}
