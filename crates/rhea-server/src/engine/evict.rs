//! Eviction under `maxmemory` (Redis's `evict.c`): before a command runs, delete keys
//! chosen by `maxmemory-policy` until used memory is back under the limit, or report
//! that nothing can be freed, so that commands which may grow memory get `-OOM`.
//!
//! ```text
//!  process_command ─▶ perform_evictions ─▶ used − not_counted > maxmemory? ─no─▶ Ok
//!                                            │ yes
//!                     noeviction ─▶ Fail ◀───┤
//!                                            ▼
//!        loop until the bytes freed reach (used − not_counted − maxmemory):
//!          pick a victim: the candidate pool (lru, lfu, ttl) or a random key of
//!          the next non-empty db (random policies); none left ─▶ Fail
//!          delete it, count `evicted_keys`, invalidate WATCH, notify `evicted`,
//!          propagate the deletion
//!          every 16 keys: over the tenacity time budget? ─▶ Running, and the event
//!          loop keeps calling us between events until memory is fine or nothing is left
//! ```
//!
//! The caller refuses a command on `Fail` only: while the background cycle is
//! `Running`, writes are still accepted, exactly as in Redis.
//!
//! ## Choosing a victim
//! LRU, LFU and volatile-ttl rank keys by a score Redis calls "idle" (higher = evict
//! first): milliseconds since the last access; 255 minus the LFU counter after decay;
//! `u64::MAX` minus the expire time. Every round samples `maxmemory-samples` keys of
//! every database ([`Dict::sample`], the walk of `dictGetSomeKeys`) into a pool of 16
//! candidates that persists across rounds, sorted by score; the best candidate that
//! still exists (and, for volatile policies, still has a TTL) is evicted. The random
//! policies take a random key of the next non-empty database, round-robin. Volatile
//! policies only ever look at keys with a TTL, so with none left they fail like
//! noeviction.
//!
//! ## Caveats
//! * Deletion is always synchronous; `lazyfree-lazy-eviction` only selects what the
//!   deletion will be propagated as (UNLINK instead of DEL).
//! * No latency-monitor samples (`eviction-cycle`, `eviction-del`): there is no latency
//!   monitor yet.
//! * Dicts grow in one step; Redis 7.0 refuses to grow a dict when the new table alone
//!   would cross `maxmemory` (`dictExpandAllowed`), we do not, so crossing a power of
//!   two of keys near the limit evicts the table's size worth of keys.
//! * The bytes freed by a deletion are measured on the process-wide counter, so
//!   allocations made meanwhile by the I/O threads blur the measure slightly (Redis has
//!   the same blur with I/O threads).
//!
//! [`Dict::sample`]: rhea_keyspace::Dict::sample

use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::rngs::SmallRng;
use rhea_keyspace::{Db, Entry};

use super::client::Client;
use super::settings::MaxmemoryPolicy;
use super::{Server, lru, unix_ms};

/// The refusal of a command that may grow memory while nothing can be evicted.
pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Candidates kept between rounds (`EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;

/// What [`perform_evictions`] achieved (`EVICT_OK`, `EVICT_RUNNING`, `EVICT_FAIL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evict {
    /// Memory is within the limit, or eviction must not run now.
    Ok,
    /// Still over the limit, and the event loop goes on evicting between events.
    Running,
    /// Over the limit and nothing left to evict: commands that may grow memory fail.
    Fail,
}

/// One eviction candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Higher = better to evict (idle ms, inverse frequency, or inverse expire time).
    pub idle: u64,
    pub db: usize,
    pub key: Bytes,
}

/// The eviction pool (`EvictionPoolLRU`): at most [`POOL_SIZE`] candidates in ascending
/// score order, so the best one is last. Entries are never refreshed; a candidate whose
/// key was deleted meanwhile is a "ghost" and is skipped when picked.
#[derive(Debug, Default)]
pub struct Pool {
    entries: Vec<Candidate>,
}

impl Pool {
    /// `evictionPoolPopulate`'s insertion: a candidate goes before the first entry with
    /// a score not below its own; in a full pool it pushes out the worst entry, or is
    /// dropped if it is worse than all of them. `key` is cloned only when kept.
    pub fn insert(&mut self, idle: u64, db: usize, key: &[u8]) {
        let k = self.entries.partition_point(|e| e.idle < idle);
        let key = || Bytes::copy_from_slice(key);
        if self.entries.len() < POOL_SIZE {
            self.entries.insert(k, Candidate { idle, db, key: key() });
        } else if k > 0 {
            self.entries.remove(0);
            self.entries.insert(k - 1, Candidate { idle, db, key: key() });
        }
    }

    /// Remove and return the best candidate.
    pub fn pop_best(&mut self) -> Option<Candidate> {
        self.entries.pop()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Candidates from worst to best.
    pub fn iter(&self) -> impl Iterator<Item = &Candidate> {
        self.entries.iter()
    }
}

/// Eviction state kept by the server between calls.
#[derive(Debug, Default)]
pub struct EvictState {
    pool: Pool,
    /// The random policies' round-robin database (`next_db`).
    next_db: usize,
    /// A cycle ran out of time while memory was still over the limit; the event loop
    /// calls [`run_pending`] until it is done (`isEvictionProcRunning`).
    pub proc_running: bool,
    /// Since when memory has been over the limit without being brought back
    /// (`stat_last_eviction_exceeded_time`).
    exceeded_since: Option<Instant>,
    /// Time over the limit in earlier episodes (`stat_total_eviction_exceeded_time`).
    exceeded_total: Duration,
}

impl EvictState {
    /// (`total_eviction_exceeded_time`, `current_eviction_exceeded_time`) for INFO: the
    /// total includes the current episode.
    pub fn exceeded_times(&self) -> (Duration, Duration) {
        let current = self.exceeded_since.map_or(Duration::ZERO, |t| t.elapsed());
        (self.exceeded_total + current, current)
    }

    /// CONFIG RESETSTAT.
    pub fn reset_stats(&mut self) {
        self.exceeded_total = Duration::ZERO;
        self.exceeded_since = None;
    }

    /// `update_metrics`: time spent over the limit, from the first Running/Fail until
    /// the next Ok.
    fn record(&mut self, result: Evict) {
        match result {
            Evict::Running | Evict::Fail => {
                self.exceeded_since.get_or_insert_with(Instant::now);
            }
            Evict::Ok => {
                if let Some(t) = self.exceeded_since.take() {
                    self.exceeded_total += t.elapsed();
                }
            }
        }
    }
}

/// `getMaxmemoryState`: the bytes to free to get back under `maxmemory`, or `None`
/// when within it. Memory registered as not counted for eviction is left out.
pub fn to_free(srv: &Server) -> Option<u64> {
    let max = srv.settings.maxmemory;
    if max == 0 {
        return None;
    }
    let used = srv.counted_memory();
    (used > max).then(|| used - max)
}

/// `isPerformEvictions`: a replica mirrors its master (by default), and while clients
/// are paused the dataset must stay still, evictions included.
fn may_evict(srv: &Server) -> bool {
    if srv.is_replica && srv.settings.replica_ignore_maxmemory {
        return false;
    }
    srv.pause.is_none_or(|p| unix_ms() >= p.until_ms)
}

/// `evictionTimeLimitUs`: tenacity 0..=10 maps linearly to 0..=500 µs, then grows 15% a
/// step (about two minutes at 99); 100 means no limit.
pub fn time_limit(tenacity: u32) -> Option<Duration> {
    match tenacity {
        0..=10 => Some(Duration::from_micros(50 * u64::from(tenacity))),
        11..=99 => Some(Duration::from_micros((500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64)),
        _ => None,
    }
}

/// `performEvictions`: evict until memory is within `maxmemory` or the time budget is
/// spent. `running` is the client whose command is about to run (it is outside the
/// client map, but may WATCH or subscribe to the keys evicted).
pub fn perform_evictions(srv: &mut Server, running: Option<&mut Client>) -> Evict {
    if !may_evict(srv) {
        // Not an Ok on the metrics either: eviction was skipped, not satisfied.
        return Evict::Ok;
    }
    let result = evict_until_within(srv, running);
    srv.evict.record(result);
    result
}

fn evict_until_within(srv: &mut Server, mut running: Option<&mut Client>) -> Evict {
    let Some(to_free) = to_free(srv) else { return Evict::Ok };
    if srv.settings.maxmemory_policy == MaxmemoryPolicy::NoEviction {
        return Evict::Fail;
    }
    let limit = time_limit(srv.settings.maxmemory_eviction_tenacity);
    let lazy = srv.settings.lazyfree_lazy_eviction;
    let start = Instant::now();
    // Signed: a deletion can shrink a table, allocating before it frees.
    let mut freed: i64 = 0;
    let mut keys_freed: u64 = 0;
    while freed < to_free as i64 {
        let Some((db, key)) = pick_victim(srv) else { return Evict::Fail };
        // `key` is a private copy, so the deletion frees the stored key too and the
        // measure covers only what the deletion releases (as `performEvictions` times
        // `dbSyncDelete` alone).
        // Counted memory: a value the BGSAVE snapshot still holds is not freed, but it
        // moves to the snapshot's side of the ledger.
        let before = srv.counted_memory() as i64;
        srv.dbs[db].delete(&key);
        freed += before - srv.counted_memory() as i64;
        srv.stats.evicted_keys += 1;
        srv.touch_watched_key(db, &key, running.as_deref_mut());
        srv.notify_keyspace('e', "evicted", &key, db, running.as_deref_mut());
        srv.propagate_deletion(db, &key, lazy);
        keys_freed += 1;
        // Checking the clock every 16 keys keeps its cost out of the loop.
        if keys_freed.is_multiple_of(16) && limit.is_some_and(|l| start.elapsed() > l) {
            srv.evict.proc_running = true;
            break;
        }
    }
    if srv.evict.proc_running { Evict::Running } else { Evict::Ok }
}

/// The event loop's continuation of a cycle that ran out of time (`evictionTimeProc`):
/// one more cycle per loop turn until memory is fine or nothing is left to evict.
pub fn run_pending(srv: &mut Server) {
    if !srv.evict.proc_running {
        return;
    }
    srv.cmd_time_ms = unix_ms();
    if perform_evictions(srv, None) != Evict::Running {
        srv.evict.proc_running = false;
    }
}

/// CONFIG SET maxmemory's apply hook (`updateMaxmemory`): warn when the new limit is
/// already exceeded, and evict at once rather than wait for the next command.
pub fn maxmemory_changed(srv: &mut Server, running: &mut Client) {
    let max = srv.settings.maxmemory;
    if max == 0 {
        return;
    }
    let used = srv.counted_memory();
    if max < used {
        crate::warning!(
            "WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the \
             current memory usage ({}). This will result in key eviction and/or the \
             inability to accept new write commands depending on the maxmemory-policy.",
            max,
            used
        );
    }
    perform_evictions(srv, Some(running));
}

// ===== choosing a victim =====

/// The key to evict next and its database, as a fresh copy of the key.
fn pick_victim(srv: &mut Server) -> Option<(usize, Bytes)> {
    let policy = srv.settings.maxmemory_policy;
    let allkeys = policy.is_allkeys();
    if matches!(policy, MaxmemoryPolicy::AllkeysRandom | MaxmemoryPolicy::VolatileRandom) {
        let n = srv.dbs.len();
        for _ in 0..n {
            srv.evict.next_db = (srv.evict.next_db + 1) % n;
            let j = srv.evict.next_db;
            let db = &srv.dbs[j];
            let key = if allkeys {
                db.dict.random(&mut srv.rng).map(|(k, _)| &k[..])
            } else {
                db.expires.random(&mut srv.rng).map(|(k, _)| &k[..])
            };
            if let Some(k) = key {
                return Some((j, Bytes::copy_from_slice(k)));
            }
        }
        return None;
    }
    let score = Scorer::new(srv);
    let samples = srv.settings.maxmemory_samples.max(1);
    // A sample can come back empty from a sparse table; rounds repeat until the pool
    // yields a live key. The bound only guards against a broken dict/expires invariant.
    for _ in 0..10_000 {
        let mut total = 0;
        for (i, db) in srv.dbs.iter().enumerate() {
            let keys = if allkeys { db.dict.len() } else { db.expires.len() };
            if keys > 0 {
                populate(&mut srv.evict.pool, &mut srv.rng, i, db, allkeys, samples, &score);
                total += keys;
            }
        }
        if total == 0 {
            return None;
        }
        while let Some(c) = srv.evict.pool.pop_best() {
            let db = &srv.dbs[c.db];
            let live = if allkeys {
                db.dict.contains_key(&c.key[..])
            } else {
                db.expires.contains_key(&c.key[..])
            };
            if live {
                return Some((c.db, Bytes::copy_from_slice(&c.key)));
            }
        }
    }
    None
}

/// `evictionPoolPopulate`: sample keys of one database into the pool.
fn populate(
    pool: &mut Pool,
    rng: &mut SmallRng,
    index: usize,
    db: &Db,
    allkeys: bool,
    samples: usize,
    score: &Scorer,
) {
    if allkeys {
        db.dict.sample(rng, samples, |k, e| pool.insert(score.entry(e), index, k));
        return;
    }
    db.expires.sample(rng, samples, |k, &when| {
        let idle = if score.policy == MaxmemoryPolicy::VolatileTtl {
            // The sooner the expiry, the better the candidate.
            u64::MAX.wrapping_sub(when as u64)
        } else {
            match db.dict.get(&k[..]) {
                Some(e) => score.entry(e),
                None => return,
            }
        };
        pool.insert(idle, index, k);
    });
}

/// The clock readings a round of scoring needs, taken once.
struct Scorer {
    policy: MaxmemoryPolicy,
    lru_clock: u32,
    now_min: u32,
    decay: u32,
}

impl Scorer {
    fn new(srv: &Server) -> Scorer {
        Scorer {
            policy: srv.settings.maxmemory_policy,
            lru_clock: srv.lru_clock(),
            now_min: (srv.cmd_time_ms / 60_000) as u32,
            decay: srv.settings.lfu_decay_time,
        }
    }

    /// The score of a key under an LRU or LFU policy.
    fn entry(&self, e: &Entry) -> u64 {
        if self.policy.is_lfu() {
            // Decay is applied to the reading only; the key's field changes on access.
            255 - u64::from(lru::lfu_decayed(e.lru, self.now_min, self.decay))
        } else {
            lru::idle_ms(e.lru, self.lru_clock)
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rhea_keyspace::Value;

    use super::*;

    fn key(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn idles(p: &Pool) -> Vec<u64> {
        p.iter().map(|c| c.idle).collect()
    }

    #[test]
    fn pool_keeps_the_best_sixteen_in_order() {
        let mut p = Pool::default();
        for (i, idle) in [50u64, 10, 30, 30, 70].iter().enumerate() {
            p.insert(*idle, 0, &key(&format!("k{i}")));
        }
        assert_eq!(idles(&p), [10, 30, 30, 50, 70]);
        // An equal score goes before the entries it ties with (Redis scans for the
        // first entry that is not smaller).
        p.insert(30, 1, &key("tie"));
        assert_eq!(p.iter().position(|c| c.key == "tie"), Some(1));
        for idle in 100..111u64 {
            p.insert(idle, 0, &key(&format!("n{idle}")));
        }
        assert_eq!(p.len(), POOL_SIZE);
        // Full: a worse candidate than every entry is dropped...
        p.insert(5, 0, &key("worse"));
        assert!(p.iter().all(|c| c.key != "worse"));
        // ...a better one pushes out the worst, keeping the order.
        p.insert(60, 2, &key("mid"));
        assert_eq!(p.len(), POOL_SIZE);
        assert_eq!(p.iter().next().map(|c| c.idle), Some(30));
        let v = idles(&p);
        assert!(v.windows(2).all(|w| w[0] <= w[1]), "{v:?}");
        assert!(p.iter().any(|c| c.key == "mid" && c.db == 2));
        // The best comes out first.
        assert_eq!(p.pop_best().map(|c| c.idle), Some(110));
        assert_eq!(p.pop_best().map(|c| c.idle), Some(109));
    }

    #[test]
    fn pool_fed_by_samples_converges_on_the_oldest_keys() {
        // 1000 keys with idle times 0..1000 ms; each round samples 5 keys into the pool
        // and evicts its best, as performEvictions does. Evicting 100 keys this way must
        // take almost only keys from the oldest few hundred: a random pick would take a
        // key from the oldest 300 only 30% of the time.
        let mut db = Db::new();
        for i in 0..1000u32 {
            db.set(key(&format!("k{i}")), Value::string("v"), i, false);
        }
        let clock = 1000;
        let score =
            Scorer { policy: MaxmemoryPolicy::AllkeysLru, lru_clock: clock, now_min: 0, decay: 1 };
        let mut rng = SmallRng::seed_from_u64(7);
        let mut pool = Pool::default();
        let mut evicted = Vec::new();
        while evicted.len() < 100 {
            populate(&mut pool, &mut rng, 0, &db, true, 5, &score);
            while let Some(c) = pool.pop_best() {
                if let Some(e) = db.dict.get(&c.key[..]) {
                    evicted.push(e.lru);
                    db.delete(&c.key);
                    break;
                }
            }
        }
        let old = evicted.iter().filter(|&&lru| lru < 300).count();
        assert!(old >= 90, "{old} of 100 evicted keys were among the oldest 300");
    }

    #[test]
    fn volatile_ttl_prefers_the_soonest_expiry() {
        let mut db = Db::new();
        for i in 0..10u32 {
            let k = key(&format!("k{i}"));
            db.set(k.clone(), Value::string("v"), 0, false);
            db.set_expire(&k, 1_000_000 + i64::from(i) * 1000);
        }
        db.set(key("persistent"), Value::string("v"), 0, false);
        let score =
            Scorer { policy: MaxmemoryPolicy::VolatileTtl, lru_clock: 0, now_min: 0, decay: 1 };
        let mut rng = SmallRng::seed_from_u64(1);
        let mut pool = Pool::default();
        // Samples of 10 from a 10-key expires table see every key at least once over a
        // few rounds; the pool then holds them all, soonest expiry last.
        for _ in 0..20 {
            populate(&mut pool, &mut rng, 0, &db, false, 10, &score);
        }
        assert!(pool.iter().all(|c| c.key != "persistent"));
        assert_eq!(pool.pop_best().map(|c| c.key), Some(key("k0")));
    }

    #[test]
    fn lfu_scores_by_decayed_counter() {
        let score =
            Scorer { policy: MaxmemoryPolicy::AllkeysLfu, lru_clock: 0, now_min: 100, decay: 1 };
        let fresh = Entry::new(Value::string("v"), (100 << 8) | 20);
        let stale = Entry::new(Value::string("v"), (90 << 8) | 20);
        assert_eq!(score.entry(&fresh), 255 - 20);
        assert_eq!(score.entry(&stale), 255 - 10, "ten minutes of decay at 1/min");
    }

    #[test]
    fn tenacity_time_limits() {
        assert_eq!(time_limit(0), Some(Duration::ZERO));
        assert_eq!(time_limit(10), Some(Duration::from_micros(500)));
        assert_eq!(time_limit(11), Some(Duration::from_micros(575)));
        assert!(time_limit(99).is_some_and(|d| d > Duration::from_secs(100)));
        assert_eq!(time_limit(100), None);
    }
}
