//! `ThinBytes` round trips and map behaviour (`src/thin.rs`).

use rhea_sys::ThinBytes;
use std::collections::HashMap;

#[test]
fn round_trips_every_small_length_and_is_pointer_sized() {
    assert_eq!(size_of::<ThinBytes>(), 8);
    assert_eq!(size_of::<Option<ThinBytes>>(), 8);
    for len in 0..300usize {
        let v: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
        let t = ThinBytes::from(&v[..]);
        assert_eq!((t.len(), &t[..]), (len, &v[..]));
        let c = t.clone();
        drop(t);
        assert_eq!(&c[..], &v[..]);
    }
    assert!(ThinBytes::default().is_empty());
}

#[test]
fn hashes_and_compares_as_its_slice() {
    let mut m: HashMap<ThinBytes, u32> = HashMap::new();
    m.insert(ThinBytes::from(&b"key:1"[..]), 1);
    m.insert(ThinBytes::from(b"key:2".to_vec()), 2);
    assert_eq!(m.get(&b"key:2"[..]), Some(&2));
    assert_eq!(m.get(&b"key:3"[..]), None);
    assert!(ThinBytes::from(&b"a"[..]) < ThinBytes::from(&b"b"[..]));
    assert_eq!(format!("{:?}", ThinBytes::from(&b"a\n"[..])), "\"a\\\\n\"");
}

/// Moved and read from another thread (it is `Send` and `Sync`).
#[test]
fn crosses_threads() {
    let t = ThinBytes::from(&b"shared"[..]);
    let r = std::thread::scope(|s| s.spawn(|| t.to_vec()).join().unwrap());
    assert_eq!(r, b"shared");
    let moved = std::thread::spawn(move || t.len()).join().unwrap();
    assert_eq!(moved, 6);
}

/// The tag lives in the pointer's spare bits: every tag value leaves the bytes, the
/// length, equality and hashing alone, a clone keeps it, and dropping a tagged string
/// frees the right block (the allocator would abort on a bad pointer).
#[test]
fn tag_is_kept_beside_the_bytes_and_ignored_by_comparisons() {
    use std::hash::BuildHasher;
    let hasher = std::collections::hash_map::RandomState::new();
    for len in [0usize, 1, 5, 40, 300] {
        let v: Vec<u8> = (0..len).map(|i| (i * 13 + 1) as u8).collect();
        let plain = ThinBytes::from(&v[..]);
        assert_eq!(plain.tag(), 0);
        for tag in [1u8, 0x2a, 0x7f, 0xff] {
            let mut t = ThinBytes::from(&v[..]);
            t.set_tag(tag);
            assert_eq!(t.tag(), tag & 0x7f);
            assert_eq!((t.len(), &t[..]), (len, &v[..]));
            assert_eq!(t, plain);
            assert_eq!(hasher.hash_one(&t), hasher.hash_one(&plain));
            let c = t.clone();
            assert_eq!((c.tag(), &c[..]), (tag & 0x7f, &v[..]));
            t.set_tag(3);
            assert_eq!((t.tag(), &t[..]), (3, &v[..]));
        }
    }
}
