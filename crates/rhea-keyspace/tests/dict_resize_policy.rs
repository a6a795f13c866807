//! The process-wide resize policy (`dict_can_resize`): while resizing is avoided, a
//! table grows only past 5 entries per bucket and never shrinks. One test in its own
//! binary, because the policy is process-wide and other tests would see it change.

use rhea_keyspace::Dict;
use rhea_keyspace::dict::{FORCE_RESIZE_RATIO, resize_allowed, set_resize_allowed};

#[test]
fn avoided_resizing_waits_for_ratio_five_and_never_shrinks() {
    assert!(resize_allowed(), "allowed by default");
    let mut d: Dict<u32, ()> = Dict::new();
    for k in 0..64 {
        d.insert(k, ());
    }
    while d.rehash(100) {}
    assert_eq!(d.bucket_count(), 64);

    set_resize_allowed(false);
    // Full at 64, yet no growth until more than 5 entries per bucket: 64 * 6 = 384.
    let mut k = 64;
    while !d.is_rehashing() {
        d.insert(k, ());
        k += 1;
        assert!(k <= 64 * (FORCE_RESIZE_RATIO as u32 + 1) + 1, "no growth at {k} entries");
    }
    assert_eq!(k, 64 * (FORCE_RESIZE_RATIO as u32 + 1) + 1);
    // The forced growth is sized for the entries (the next power of two), and the
    // rehash it started still advances while resizing is avoided.
    assert_eq!(d.bucket_count(), 64 + 512);
    while d.rehash(100) {}
    assert_eq!(d.bucket_count(), 512);

    // No shrink, however sparse, while avoided...
    for k in 10..k {
        d.remove(&k);
    }
    assert!(!d.shrink_if_sparse());
    assert_eq!((d.len(), d.bucket_count(), d.is_rehashing()), (10, 512, false));
    // ...but an emptied table is released: nothing has to move.
    for k in 0..10 {
        d.remove(&k);
    }
    assert_eq!(d.bucket_count(), 0);

    set_resize_allowed(true);
    for k in 0..64 {
        d.insert(k, ());
    }
    while d.rehash(100) {}
    assert_eq!(d.bucket_count(), 64);
    d.insert(64, ());
    assert!(d.is_rehashing(), "full at one entry per bucket grows at once");
    assert_eq!(d.bucket_count(), 64 + 128);
    for k in 0..60 {
        d.remove(&k);
    }
    while d.rehash(100) {}
    assert!(d.shrink_if_sparse() || d.bucket_count() < 64, "shrinks again when allowed");
}
