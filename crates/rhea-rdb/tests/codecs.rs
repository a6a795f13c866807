//! Codec vectors from the wire spec (§3.2, §3.5, §3.6, §3.8) and codec round trips.

use proptest::prelude::*;
use rhea_rdb::listpack::{self, LpItem};
use rhea_rdb::{crc64::crc64, intset, lzf, writer};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace() && *c != '|').collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn crc64_check_value() {
    assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    assert_eq!(crc64(crc64(0, b"1234"), b"56789"), 0xe9c6_d914_c4b8_d9ca);
    assert_eq!(crc64(0, b""), 0);
}

#[test]
fn lzf_vector_100_a() {
    let input = vec![b'a'; 100];
    let mut out = Vec::new();
    writer::push_string(&mut out, &input, true);
    assert_eq!(out, hex("C3 09 40 64 01 61 61 E0 57 00 01 61 61"));
    assert_eq!(lzf::decompress(&out[4..], 100).unwrap(), input);
}

#[test]
fn lzf_rejects_corrupt() {
    assert!(lzf::decompress(&[0x05, 1, 2], 6).is_err()); // literal past end
    assert!(lzf::decompress(&[0x20, 0x00], 3).is_err()); // ref before start
    assert!(lzf::decompress(&[0x00, b'a', 0xE0], 20).is_err()); // truncated ref
    assert!(lzf::decompress(&[0x00, b'a'], 2).is_err()); // too short
    assert!(lzf::decompress(&[0x01, b'a', b'b'], 1).is_err()); // too long
}

#[test]
fn lzf_incompressible_refused() {
    let data: Vec<u8> = (0..64u8).collect();
    assert!(lzf::compress(&data, data.len() - 4).is_none());
}

#[test]
fn string_encodings() {
    let enc = |s: &[u8]| {
        let mut o = Vec::new();
        writer::push_string(&mut o, s, true);
        o
    };
    assert_eq!(enc(b"12345"), hex("C1 39 30"));
    assert_eq!(enc(b"-2"), hex("C0 FE"));
    assert_eq!(enc(b"123456789012"), [&[12u8][..], b"123456789012"].concat());
    assert_eq!(enc(b"007"), hex("03 30 30 37"));
    assert_eq!(enc(b"100000"), hex("C2 A0 86 01 00"));
}

#[test]
fn length_encodings() {
    let enc = |n: u64| {
        let mut o = Vec::new();
        writer::push_len(&mut o, n);
        o
    };
    assert_eq!(enc(63), hex("3F"));
    assert_eq!(enc(64), hex("40 40"));
    assert_eq!(enc(16383), hex("7F FF"));
    assert_eq!(enc(16384), hex("80 00 00 40 00"));
    assert_eq!(enc(1 << 32), hex("81 00 00 00 01 00 00 00 00"));
}

#[test]
fn listpack_spec_vector() {
    let blob = listpack::encode([&b"a"[..], b"1", b"-5", b"300"]);
    assert_eq!(blob, hex("12000000 0400 | 81 61 02 | 01 01 | DF FB 02 | C1 2C 02 | FF"));
    let items = listpack::decode(&blob).unwrap();
    assert_eq!(
        items,
        vec![LpItem::Str("a".into()), LpItem::Int(1), LpItem::Int(-5), LpItem::Int(300)]
    );
}

#[test]
fn listpack_widths_round_trip() {
    let long = vec![b'x'; 5000];
    let mid = vec![b'y'; 300];
    let vals: Vec<Vec<u8>> = [
        "0",
        "127",
        "128",
        "-1",
        "-4096",
        "4095",
        "4096",
        "-32768",
        "32767",
        "40000",
        "-8388608",
        "8388607",
        "8388608",
        "2147483647",
        "-2147483648",
        "2147483648",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "01",
        "-0",
        "",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .chain([long, mid])
    .collect();
    let blob = listpack::encode(vals.iter().map(|v| &v[..]));
    let back: Vec<Vec<u8>> =
        listpack::decode(&blob).unwrap().into_iter().map(|i| i.into_bytes().to_vec()).collect();
    assert_eq!(back, vals);
}

#[test]
fn listpack_rejects_corrupt() {
    let blob = listpack::encode([&b"hello"[..], b"12"]);
    for cut in 0..blob.len() {
        assert!(listpack::decode(&blob[..cut]).is_err());
    }
    let mut bad = blob.clone();
    bad[4] = 3; // count
    assert!(listpack::decode(&bad).is_err());
    let mut bad = blob.clone();
    bad[6 + 6] = 9; // backlen of "hello"
    assert!(listpack::decode(&bad).is_err());
}

/// Real 7.0.15 (`RESTORE` with `sanitize-dump-payload yes`) accepts a backlen whose
/// continuation bit reaches back into the entry, when `lpDecodeBacklen` still reads the
/// entry's size: `F2 00 00 80` (the i24 -8388608) with backlen `84` instead of `04`
/// decodes 4 | (0x80 & 127) << 7 | 0 << 14 = 4.
#[test]
fn listpack_backlen_is_decoded_like_redis() {
    let good = listpack::encode([&b"x"[..], b"-8388608"]);
    assert_eq!(&good[9..14], &[0xF2, 0x00, 0x00, 0x80, 0x04]);
    let mut odd = good.clone();
    odd[13] = 0x84;
    assert_eq!(listpack::decode(&odd).unwrap(), listpack::decode(&good).unwrap());
    // A continuation that decodes to another size is still refused.
    let mut bad = good.clone();
    bad[13] = 0x85;
    assert!(listpack::decode(&bad).is_err());
}

#[test]
fn intset_spec_vector() {
    let blob = intset::encode(&[1, 2, 3]);
    assert_eq!(blob, hex("02000000 03000000 0100 0200 0300"));
    assert_eq!(intset::decode(&blob).unwrap(), vec![1, 2, 3]);
    assert_eq!(intset::encode(&[1, 70000])[0], 4);
    assert_eq!(intset::encode(&[1, 1 << 40])[0], 8);
    assert!(intset::decode(&hex("02000000 02000000 0200 0100")).is_err());
    assert!(intset::decode(&hex("03000000 01000000 010000")).is_err());
    assert!(intset::decode(&hex("02000000 00000000")).is_err());
    assert!(intset::decode(&hex("02000000 02000000 0100")).is_err());
}

proptest! {
    #[test]
    fn lzf_round_trip(data in prop::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), any::<u8>()], 0..3000)) {
        if let Some(c) = lzf::compress(&data, data.len() + 64) {
            prop_assert_eq!(lzf::decompress(&c, data.len()).unwrap(), data);
        }
    }

    #[test]
    fn lzf_decompress_never_panics(data in prop::collection::vec(any::<u8>(), 0..200), n in 0usize..2000) {
        let _ = lzf::decompress(&data, n);
    }

    #[test]
    fn listpack_round_trip(items in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 0..50)) {
        let blob = listpack::encode(items.iter().map(|v| &v[..]));
        let back: Vec<Vec<u8>> = listpack::decode(&blob).unwrap().into_iter().map(|i| i.into_bytes().to_vec()).collect();
        prop_assert_eq!(back, items);
    }

    #[test]
    fn intset_round_trip(mut v in prop::collection::vec(any::<i64>(), 1..50)) {
        v.sort();
        v.dedup();
        prop_assert_eq!(intset::decode(&intset::encode(&v)).unwrap(), v);
    }
}
