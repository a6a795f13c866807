use std::collections::HashSet;
use triomphe::Arc;

use super::*;

#[test]
fn insert_get_remove() {
    let mut d = Dict::new();
    for i in 0..1000u32 {
        assert!(d.insert(i, i * 2).is_none());
    }
    assert_eq!(d.len(), 1000);
    assert_eq!(d.get(&7), Some(&14));
    assert_eq!(d.insert(7, 1), Some(14));
    for i in 0..990u32 {
        assert!(d.remove(&i).is_some());
    }
    assert_eq!(d.len(), 10);
    // The shrink that started below 10% use is finished by the cron's batches, and the
    // cron's next check shrinks again.
    while d.rehash(100) {}
    d.shrink_if_sparse();
    while d.rehash(100) {}
    assert!(d.bucket_count() <= 32, "shrunk to {}", d.bucket_count());
    assert_eq!(d.iter().count(), 10);
}

#[test]
fn scan_survives_growth_and_shrink() {
    let mut d = Dict::new();
    for i in 0..500u32 {
        d.insert(i, ());
    }
    let mut seen = HashSet::new();
    let mut cursor = 0;
    let mut step = 0;
    loop {
        cursor = d.scan(cursor, |k, _| {
            seen.insert(*k);
        });
        step += 1;
        // Grow, then shrink, in the middle of the iteration.
        if step == 20 {
            for i in 10_000..14_000u32 {
                d.insert(i, ());
            }
        }
        if step == 200 {
            for i in 10_000..14_000u32 {
                d.remove(&i);
            }
        }
        if cursor == 0 {
            break;
        }
    }
    for i in 0..500u32 {
        assert!(seen.contains(&i), "element {i} present throughout was not returned");
    }
}

#[test]
fn sample_returns_members_and_covers_the_table() {
    let mut rng = rand::rng();
    let empty: Dict<u32, ()> = Dict::new();
    assert_eq!(empty.sample(&mut rng, 5, |_, _| panic!("nothing to visit")), 0);
    let mut d = Dict::new();
    for i in 0..1000u32 {
        d.insert(i, i * 3);
    }
    let mut seen = HashSet::new();
    for _ in 0..2000 {
        let mut got = Vec::new();
        let n = d.sample(&mut rng, 5, |k, v| {
            assert_eq!(*v, k * 3);
            got.push(*k);
        });
        assert_eq!(n, got.len());
        // A table at least a quarter full never runs out of steps before 5 entries.
        assert_eq!(n, 5);
        seen.extend(got);
    }
    // 10,000 draws from random starting buckets reach (nearly) every key. Not all of
    // them, by design: an entry deeper than `count` in a chain, or just after a long
    // chain, is seldom or never reached, as with Redis's dictGetSomeKeys. (At 990 this
    // failed about one run in fifteen, before incremental rehashing too.)
    assert!(seen.len() >= 970, "reached {} of 1000", seen.len());
    // Asking for more than there is asks for the table's size (entries may repeat
    // when the walk wraps around).
    let mut small = Dict::new();
    for i in 0..3u32 {
        small.insert(i, ());
    }
    for _ in 0..100 {
        assert_eq!(small.sample(&mut rng, 16, |k, _| assert!(*k < 3)), 3);
    }
}

#[test]
fn sample_survives_a_sparse_table() {
    // Shrinking happens below 10% use, so a table can be mostly empty buckets: the
    // walk must jump past empty runs instead of giving up with nothing.
    let mut d = Dict::new();
    for i in 0..10_000u32 {
        d.insert(i, ());
    }
    for i in 0..10_000u32 {
        if i % 6 != 0 {
            d.remove(&i);
        }
    }
    assert!(d.len() * 8 < d.bucket_count(), "{} in {}", d.len(), d.bucket_count());
    let mut rng = rand::rng();
    let counts: Vec<usize> =
        (0..1000).map(|_| d.sample(&mut rng, 5, |k, _| assert_eq!(k % 6, 0))).collect();
    // About one bucket in ten holds a key and the walk has 50 steps: most calls fill
    // up, some stop short or even come back empty (Redis's trade-off of bounded work
    // over a full sample; eviction simply samples again).
    let total: usize = counts.iter().sum();
    assert!(total > 3500, "sampled {total} of 5000 asked");
}

#[test]
fn retain_and_random() {
    let mut d = Dict::new();
    for i in 0..100u32 {
        d.insert(i, i);
    }
    d.retain(|k, _| k % 2 == 0);
    assert_eq!(d.len(), 50);
    let mut rng = rand::rng();
    for _ in 0..100 {
        let (k, _) = d.random(&mut rng).unwrap();
        assert_eq!(k % 2, 0);
    }
}

#[test]
fn snapshot_is_unchanged_by_later_writes() {
    let mut d = Dict::new();
    for i in 0..5000u32 {
        d.insert(i, i);
    }
    assert!(d.bucket_count() > SEGMENT_BUCKETS, "several segments are exercised");
    let snap = d.clone();
    for i in 0..5000u32 {
        if i % 3 == 0 {
            d.remove(&i);
        } else if i % 3 == 1 {
            *d.get_mut(&i).unwrap() += 1;
        }
    }
    for i in 5000..20_000u32 {
        d.insert(i, i); // grows the table while the snapshot holds the old one
    }
    assert_eq!(snap.len(), 5000);
    let mut seen: Vec<(u32, u32)> = snap.iter().map(|(k, v)| (*k, *v)).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..5000u32).map(|i| (i, i)).collect::<Vec<_>>());
    assert_eq!(d.len(), 20_000 - 1667);
    assert_eq!(d.get(&1), Some(&2));
    assert_eq!(d.get(&3), None);
    assert_eq!(d.iter().count(), d.len());
}

/// Addresses of every segment of both tables, to tell which ones a write copied.
fn segment_ptrs<K, V>(d: &Dict<K, V>) -> Vec<*const ()> {
    d.ht.iter().flat_map(|t| t.segments.iter().map(|s| Arc::as_ptr(s).cast::<()>())).collect()
}

#[test]
fn reads_and_misses_do_not_copy_shared_segments() {
    let mut d = Dict::new();
    for i in 0..2000u32 {
        d.insert(i, i);
    }
    while d.rehash(100) {}
    let snap = d.clone();
    let before = segment_ptrs(&d);
    assert!(d.get_mut(&999_999).is_none());
    assert!(d.remove(&999_999).is_none());
    assert_eq!(d.get(&5), Some(&5));
    assert_eq!(before, segment_ptrs(&d));
    d.insert(7, 70);
    let after = segment_ptrs(&d);
    let copied = after.iter().zip(segment_ptrs(&snap)).filter(|(a, b)| **a != *b);
    assert_eq!(copied.count(), 1, "one write copies exactly one segment");
}

/// Addresses of every node of both tables, by key.
fn node_ptrs(d: &Dict<u32, u32>) -> std::collections::HashMap<u32, *const Node<u32, u32>> {
    let mut out = std::collections::HashMap::new();
    for t in &d.ht {
        for i in 0..t.size {
            let mut cur = t.bucket(i).as_ref();
            while let Some(n) = cur {
                out.insert(n.key, triomphe::Arc::as_ptr(n));
                cur = n.next.as_ref();
            }
        }
    }
    out
}

/// A write while a snapshot is alive copies the segment's bucket array and the nodes on
/// the path to the key (those before it in its chain, and its own), never the rest: the
/// snapshot keeps the old value, every other entry stays shared.
#[test]
fn a_write_copies_only_its_path_not_the_segment() {
    let mut d = Dict::new();
    for i in 0..2000u32 {
        d.insert(i, i);
    }
    while d.rehash(100) {}
    let snap = d.clone();
    let (before, h) = (node_ptrs(&d), d.hash(&7));
    *d.get_mut(&7).unwrap() = 70;
    let after = node_ptrs(&d);
    let idx = h as usize & d.ht[0].mask();
    let mut path = Vec::new();
    let mut cur = d.ht[0].bucket(idx).as_ref();
    while let Some(n) = cur {
        path.push(n.key);
        if n.key == 7 {
            break;
        }
        cur = n.next.as_ref();
    }
    let copied: Vec<u32> = (0..2000).filter(|k| before[k] != after[k]).collect();
    path.sort_unstable();
    assert_eq!(copied, path, "only the path to key 7 is copied");
    assert_eq!((snap.get(&7), d.get(&7)), (Some(&7), Some(&70)));
}

// ===== incremental rehashing =====

/// A dict holding `0..n`, inserted in order, then more keys from `n` on until an insert
/// starts a rehash; returns the dict and the first key not inserted.
fn growing(n: u32) -> (Dict<u32, u32>, u32) {
    let mut d = Dict::new();
    let mut k = 0;
    while k < n || !d.is_rehashing() {
        d.insert(k, k);
        k += 1;
    }
    (d, k)
}

/// Which table holds `key` (0 or 1), if any.
fn table_of<V>(d: &Dict<u32, V>, key: u32) -> Option<usize> {
    d.find_node(d.hash(&key), &key).map(|(t, _, _)| t)
}

/// Keys that carry a hash tag (the keyspace's `ThinBytes`): lookups, replacements and
/// removals stay exact through growth, shrinking and a snapshot that shares the nodes,
/// and every stored key carries its own hash's tag.
#[test]
fn tagged_keys_are_found_exactly_through_resizes_and_snapshots() {
    use super::KeyTag;
    use rhea_sys::ThinBytes;
    let key = |i: u32| ThinBytes::from(format!("key:{i}").into_bytes());
    let mut d: Dict<ThinBytes, u32> = Dict::new();
    for i in 0..20_000 {
        assert_eq!(d.insert(key(i), i), None);
    }
    let snapshot = d.clone();
    for i in (0..20_000).step_by(2) {
        assert_eq!(d.remove(&key(i)[..]).map(|(_, v)| v), Some(i));
    }
    for i in (1..20_000).step_by(4) {
        *d.get_mut(&key(i)[..]).expect("present") += 1_000_000;
    }
    for i in 0..20_000 {
        let want = match i % 4 {
            0 | 2 => None,
            1 => Some(i + 1_000_000),
            _ => Some(i),
        };
        assert_eq!(d.get(&key(i)[..]).copied(), want, "key {i}");
        assert_eq!(snapshot.get(&key(i)[..]), Some(&i), "snapshot key {i}");
        assert_eq!(d.get(&key(i + 20_000)[..]), None);
    }
    for (k, _) in d.iter() {
        assert!(k.tag_matches(ThinBytes::tag_of(d.hash(&k[..]))));
    }
}

#[test]
fn rehash_moves_buckets_on_writes_and_finishes_in_batches() {
    let (mut d, end) = growing(1000);
    assert_eq!(end, 1025, "growth starts when the 1025th key finds 1024 buckets full");
    assert_eq!((d.ht[0].size, d.ht[1].size), (1024, 2048));
    assert_eq!((d.ht[0].used, d.ht[1].used), (1024, 1));
    // Reads through &self move nothing; each &mut lookup moves a bucket.
    assert!((0..end).all(|k| d.get(&k) == Some(&k)));
    assert_eq!(d.ht[1].used, 1);
    for k in 0..10 {
        *d.get_mut(&k).unwrap() += 1;
    }
    assert!(d.ht[1].used > 10, "ten steps moved {} entries", d.ht[1].used - 1);
    assert_eq!(d.len(), 1025);
    // New keys go to the new table; a miss searches both.
    d.insert(5000, 5000);
    assert_eq!(table_of(&d, 5000), Some(1));
    assert!(d.get_mut(&6000).is_none());
    assert!(d.remove(&6000).is_none());
    assert!(d.is_rehashing());
    let clock = std::time::Instant::now;
    assert!(!d.rehash_for(std::time::Duration::from_secs(5), clock));
    assert!(!d.is_rehashing());
    assert_eq!((d.bucket_count(), d.len()), (2048, 1026));
    assert_eq!(d.iter().count(), 1026);
    assert!((10..end).all(|k| d.get(&k) == Some(&k)));
    assert!((0..10).all(|k| d.get(&k) == Some(&(k + 1))));
    // A zero budget still moves one batch.
    let (mut d, _) = growing(3000);
    let before = d.ht[0].used;
    assert!(d.rehash_for(std::time::Duration::ZERO, clock));
    assert!(d.ht[0].used < before);
}

#[test]
fn a_rehash_step_visits_at_most_ten_empty_buckets() {
    // A table of 4096 buckets emptied but for its last non-empty bucket.
    let (mut d, end) = growing(3000);
    while d.rehash(100) {}
    let mask = d.ht[0].mask();
    let last = (0..end).map(|k| d.hash(&k) as usize & mask).max().unwrap();
    assert!(last > 2000);
    let keep: Vec<u32> = (0..end).filter(|k| d.hash(k) as usize & mask == last).collect();
    d.retain(|k, _| keep.contains(k));
    assert!(d.is_rehashing(), "retain left the table sparse: it shrinks");
    assert_eq!((d.rehash_idx, d.ht[0].size, d.ht[1].size), (Some(0), 4096, 4));
    // One step walks 10 empty buckets and stops there; the bucket is not reached.
    assert!(d.rehash(1));
    assert_eq!(d.rehash_idx, Some(10));
    assert_eq!(d.ht[1].used, 0);
    let mut calls = 1;
    loop {
        calls += 1;
        if !d.rehash(1) {
            break;
        }
    }
    assert_eq!(calls, last / 10 + 1, "ten empty buckets per call, then the move");
    assert!(keep.iter().all(|k| d.get(k) == Some(k)));
}

/// SCAN from cursor 0 to 0, calling `between(dict, step)` before each step. Returns the
/// keys seen and how many steps ran while a rehash was in progress.
fn scan_with(
    d: &mut Dict<u32, u32>,
    mut between: impl FnMut(&mut Dict<u32, u32>, usize),
) -> (HashSet<u32>, usize) {
    let (mut seen, mut rehashing, mut cursor, mut step) = (HashSet::new(), 0, 0, 0);
    loop {
        between(d, step);
        rehashing += usize::from(d.is_rehashing());
        cursor = d.scan(cursor, |k, v| {
            assert_eq!(k, v, "keys map to themselves");
            seen.insert(*k);
        });
        step += 1;
        if cursor == 0 {
            return (seen, rehashing);
        }
    }
}

#[test]
fn scan_returns_every_element_present_throughout_a_growing_rehash() {
    use rand::{Rng, SeedableRng};
    for seed in 0..20 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let (mut d, end) = growing(rng.random_range(100..3000));
        let mut fresh = end..;
        let (seen, rehashing) = scan_with(&mut d, |d, _| {
            // Keys come and go around the stable ones; the table keeps growing.
            for _ in 0..rng.random_range(0..6) {
                let k = fresh.next().unwrap();
                d.insert(k, k);
            }
            if rng.random_bool(0.3) {
                let k = rng.random_range(end..end + 100);
                d.remove(&k);
            }
            if rng.random_bool(0.1) {
                d.rehash(rng.random_range(1..20));
            }
        });
        assert!(rehashing > 0, "seed {seed}: the scan ran during a rehash");
        let missing: Vec<u32> = (0..end).filter(|k| !seen.contains(k)).collect();
        assert!(missing.is_empty(), "seed {seed}: {} stable keys missed", missing.len());
    }
}

#[test]
fn scan_returns_every_element_present_throughout_a_shrinking_rehash() {
    use rand::{Rng, SeedableRng};
    for seed in 0..20 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let stable = rng.random_range(10..200);
        let mut d = Dict::new();
        for k in 0..stable * 40 {
            d.insert(k, k);
        }
        while d.rehash(100) {}
        let mut doomed: Vec<u32> = (stable..stable * 40).collect();
        let (seen, rehashing) = scan_with(&mut d, |d, step| {
            // Delete the volatile keys a few steps in: the table shrinks under the scan
            // (possibly twice), while a few keys are still being added.
            if step >= 3 {
                for _ in 0..rng.random_range(0..200).min(doomed.len()) {
                    let i = rng.random_range(0..doomed.len());
                    d.remove(&doomed.swap_remove(i));
                }
            }
            if rng.random_bool(0.2) {
                let k = 1_000_000 + step as u32;
                d.insert(k, k);
            }
        });
        assert!(rehashing > 0, "seed {seed}: the scan ran during a rehash");
        let missing: Vec<u32> = (0..stable).filter(|k| !seen.contains(k)).collect();
        assert!(missing.is_empty(), "seed {seed}: {} stable keys missed", missing.len());
    }
}

#[test]
fn sample_and_random_during_a_rehash_return_live_entries_from_both_tables() {
    let mut rng = rand::rng();
    for shrinking in [false, true] {
        let mut d = if shrinking {
            let mut d = Dict::new();
            for k in 0..8192u32 {
                d.insert(k, k);
            }
            while d.rehash(100) {}
            // Down to a sparse table: the shrink starts and a few deletes advance it.
            for k in 400..8192u32 {
                d.remove(&k);
            }
            assert!(d.ht[1].size < d.ht[0].size);
            d
        } else {
            growing(2000).0
        };
        for k in 0..300u32 {
            if k % 2 == 1 {
                d.remove(&k);
            }
        }
        assert!(d.is_rehashing() && d.ht[0].used > 0 && d.ht[1].used > 0);
        let live = |k: &u32, v: &u32| k == v && (*k >= 300 || k.is_multiple_of(2));
        let (mut tables, mut sampled) = ([0; 2], 0);
        for _ in 0..2000 {
            let (k, v) = d.random(&mut rng).expect("not empty");
            assert!(live(k, v), "random returned {k}");
            tables[table_of(&d, *k).unwrap()] += 1;
            sampled += d.sample(&mut rng, 5, |k, v| {
                assert!(live(k, v), "sample returned {k}");
                assert!(d.get(k).is_some());
            });
        }
        assert!(tables[0] > 0 && tables[1] > 0, "shrinking={shrinking}: drew {tables:?}");
        // The shrinking table is sparse (3% full): walks may end short, as in Redis.
        assert!(sampled > 2000, "shrinking={shrinking}: sampled {sampled}");
    }
}

#[test]
fn a_snapshot_taken_mid_rehash_keeps_its_contents() {
    let (mut d, end) = growing(4000);
    for k in 0..50 {
        d.get_mut(&k);
    }
    assert!(d.is_rehashing());
    let snap = d.clone();
    let frozen: Vec<(u32, u32)> = {
        let mut v: Vec<(u32, u32)> = snap.iter().map(|(k, v)| (*k, *v)).collect();
        v.sort_unstable();
        v
    };
    assert_eq!(frozen, (0..end).map(|k| (k, k)).collect::<Vec<_>>());
    let cow_before = crate::cow::bytes();
    // The original rehashes to the end (moving entries out of shared segments), grows
    // again, loses keys and changes values.
    for k in 0..end {
        match k % 3 {
            0 => drop(d.remove(&k)),
            1 => *d.get_mut(&k).unwrap() += 1,
            _ => {}
        }
    }
    for k in end..end + 20_000 {
        d.insert(k, k);
    }
    while d.rehash(100) {}
    assert!(crate::cow::bytes() > cow_before, "moving shared buckets is counted");
    assert!(snap.is_rehashing(), "the snapshot is frozen mid-rehash");
    let mut now: Vec<(u32, u32)> = snap.iter().map(|(k, v)| (*k, *v)).collect();
    now.sort_unstable();
    assert_eq!(now, frozen);
    assert!((0..end).all(|k| snap.get(&k) == Some(&k)));
    let mut scanned = HashSet::new();
    let mut cursor = 0;
    loop {
        cursor = snap.scan(cursor, |k, _| {
            scanned.insert(*k);
        });
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(scanned.len(), end as usize);
    // And the original is right too.
    assert_eq!(d.len(), (end - end.div_ceil(3) + 20_000) as usize);
    assert!((0..end).all(|k| d.get(&k).copied() == [None, Some(k + 1), Some(k)][k as usize % 3]));
}

/// The keyspace's node (thin key, entry, chain link) behind its reference count fills a
/// 48-byte jemalloc size class exactly: each byte more would cost 16 per key.
#[test]
fn keyspace_node_is_48_bytes() {
    let size = size_of::<super::table::Node<crate::Key, crate::Entry>>() + size_of::<usize>();
    assert!(size <= 48, "keyspace dict node and its count are {size} bytes");
}

/// A read through `Db::lookup_ref` leaves every segment shared with a snapshot; a
/// lookup for writing makes the key's segment private.
#[test]
fn read_lookup_copies_no_segment() {
    use crate::{Access, Db, Value};
    let acc = Access::default();
    let mut db = Db::new();
    for i in 0..2000 {
        db.set(bytes::Bytes::from(format!("k{i}")), Value::string("v"), 0, false);
    }
    let snap = db.clone();
    for i in 0..2000 {
        assert!(db.lookup_ref(format!("k{i}").as_bytes(), &acc).is_some());
    }
    assert_eq!(segment_ptrs(&db.dict), segment_ptrs(&snap.dict));
    assert!(db.lookup(b"k7", &acc).is_some());
    assert_ne!(segment_ptrs(&db.dict), segment_ptrs(&snap.dict));
}
