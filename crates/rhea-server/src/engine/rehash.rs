//! The hash-table half of Redis 7.0's `databasesCron`: each cron tick, shrink sparse
//! keyspace tables (`tryResizeHashTables`) and, under `activerehashing`, spend up to
//! 1 ms moving buckets of one table being resized (`incrementallyRehash`), so a resize
//! finishes even when the keys it holds are seldom written.
//!
//! Neither runs while a snapshot of the keyspace exists (a BGSAVE, a diskless full sync;
//! Redis skips both while a fork child exists): moving entries then copies segments the
//! snapshot shares. Rehashes
//! still advance a bucket per write meanwhile, and [`SnapshotHold`] makes every `Dict`
//! avoid new resizes (`updateDictResizePolicy`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rhea_keyspace::Db;
use rhea_keyspace::dict::set_resize_allowed;

use super::Server;

/// Databases visited per tick (`CRON_DBS_PER_CALL`).
const DBS_PER_CALL: usize = 16;

/// Time given to one table per tick (`dictRehashMilliseconds(d, 1)`).
const REHASH_BUDGET: Duration = Duration::from_millis(1);

/// Where the next tick resumes, so that every database gets its turn.
#[derive(Debug, Default)]
pub struct RehashCron {
    resize_db: usize,
    rehash_db: usize,
}

/// Snapshots alive. A counter, not a flag: a save abandoned by a failed shutdown may
/// still hold its snapshot when the next one starts.
static SNAPSHOTS: Mutex<usize> = Mutex::new(0);

/// Held for as long as a snapshot of the keyspace exists (BGSAVE, a diskless full sync):
/// every `Dict` avoids resizing meanwhile. Created on the engine thread as the snapshot
/// is taken and moved with it to the thread that serialises it, which drops both
/// together.
pub struct SnapshotHold(());

impl SnapshotHold {
    pub fn acquire() -> SnapshotHold {
        let mut n = SNAPSHOTS.lock().unwrap_or_else(|p| p.into_inner());
        *n += 1;
        set_resize_allowed(false);
        SnapshotHold(())
    }

    /// Does any snapshot exist (Redis's `hasActiveChildProcess`, for this purpose)?
    pub fn any() -> bool {
        *SNAPSHOTS.lock().unwrap_or_else(|p| p.into_inner()) > 0
    }
}

impl Drop for SnapshotHold {
    fn drop(&mut self) {
        let mut n = SNAPSHOTS.lock().unwrap_or_else(|p| p.into_inner());
        *n -= 1;
        if *n == 0 {
            set_resize_allowed(true);
        }
    }
}

/// Up to 1 ms of rehashing on the keys table, or else the expiry table, of `db`; false
/// if neither is being resized.
fn incrementally_rehash(db: &mut Db) -> bool {
    if db.dict.is_rehashing() {
        db.dict.rehash_for(REHASH_BUDGET, Instant::now);
        true
    } else if db.expires.is_rehashing() {
        db.expires.rehash_for(REHASH_BUDGET, Instant::now);
        true
    } else {
        false
    }
}

impl RehashCron {
    /// One tick over `dbs`: shrink up to 16 databases' sparse tables, then, if
    /// `active`, rehash the first of up to 16 databases that is being resized.
    fn tick(&mut self, dbs: &mut [Db], active: bool) {
        let n = dbs.len();
        let per_call = DBS_PER_CALL.min(n);
        for _ in 0..per_call {
            let db = &mut dbs[self.resize_db];
            db.dict.shrink_if_sparse();
            db.expires.shrink_if_sparse();
            self.resize_db = (self.resize_db + 1) % n;
        }
        if !active {
            return;
        }
        for _ in 0..per_call {
            // Work done: stop here, the same database continues next tick.
            if incrementally_rehash(&mut dbs[self.rehash_db]) {
                break;
            }
            self.rehash_db = (self.rehash_db + 1) % n;
        }
    }
}

impl Server {
    /// The cron's table maintenance, skipped while a snapshot exists.
    pub(super) fn rehash_cron(&mut self) {
        if !SnapshotHold::any() && !self.dbs.is_empty() {
            self.rehash.tick(&mut self.dbs, self.loaded.config.activerehashing);
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use rhea_keyspace::Value;

    use super::*;

    fn key(i: u32) -> Bytes {
        Bytes::from(format!("key:{i}"))
    }

    /// 20 databases, the 18th holding a keys table that has just started to grow.
    fn dbs_with_a_growing_table() -> (Vec<Db>, u32) {
        let mut dbs: Vec<Db> = (0..20).map(|_| Db::new()).collect();
        let db = &mut dbs[17];
        let mut i = 0;
        while !db.dict.is_rehashing() || i < 65_537 {
            db.set(key(i), Value::string("v"), 0, false);
            db.set_expire(&key(i), 1 << 40);
            i += 1;
        }
        (dbs, i)
    }

    #[test]
    fn the_cron_finishes_a_rehash_that_no_write_advances() {
        let (mut dbs, n) = dbs_with_a_growing_table();
        let mut cron = RehashCron::default();
        // Off: nothing moves (the expiry table started growing with the keys table).
        cron.tick(&mut dbs, false);
        assert!(dbs[17].dict.is_rehashing() && dbs[17].expires.is_rehashing());
        // The first tick's 16 databases do not include the 18th; the second reaches it
        // and gives it 1 ms; later ticks finish the keys table, then the expiry table.
        let mut ticks = 0;
        while dbs[17].dict.is_rehashing() || dbs[17].expires.is_rehashing() {
            cron.tick(&mut dbs, true);
            ticks += 1;
            assert!(ticks < 10_000, "the cron makes progress");
        }
        assert!(ticks >= 2);
        assert_eq!((dbs[17].dict.len(), dbs[17].expires.len()), (n as usize, n as usize));
        assert!((0..n).all(|i| dbs[17].dict.contains_key(&key(i)[..])));
        // Sparse after deletes: deletes start shrinking, the cron finishes it and shrinks
        // again until the table fits.
        for i in 0..n - 50 {
            dbs[17].delete(&key(i));
        }
        for _ in 0..1000 {
            cron.tick(&mut dbs, true);
        }
        for buckets in [dbs[17].dict.bucket_count(), dbs[17].expires.bucket_count()] {
            assert!(buckets <= 64, "{buckets} buckets for 50 keys");
        }
        assert!(!dbs[17].dict.is_rehashing() && !dbs[17].expires.is_rehashing());
    }

    #[test]
    fn snapshot_holds_nest() {
        let a = SnapshotHold::acquire();
        let b = SnapshotHold::acquire();
        assert!(SnapshotHold::any() && !rhea_keyspace::dict::resize_allowed());
        drop(a);
        assert!(!rhea_keyspace::dict::resize_allowed(), "b still holds a snapshot");
        drop(b);
        // Other tests in this process may hold one concurrently (a BGSAVE).
        if !SnapshotHold::any() {
            assert!(rhea_keyspace::dict::resize_allowed());
        }
    }
}
