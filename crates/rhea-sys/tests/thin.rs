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
