//! Property round trips (random datasets → writer → reader → equal, encodings included)
//! and the read-only legacy encodings (ziplist, zipmap, quicklist v1, ZSET v1), checked
//! against what real Redis 7.0.15 makes of the same file.

mod common;

use bytes::Bytes;
use common::*;
use proptest::prelude::*;
use rhea_keyspace::hash::Hash;
use rhea_keyspace::limits::EncodingLimits;
use rhea_keyspace::set::Set;
use rhea_keyspace::zset::ZSet;
use rhea_keyspace::{Db, Value};
use rhea_rdb::crc64::crc64;
use rhea_rdb::writer::push_string;
use rhea_rdb::{
    LoadOptions, PayloadError, WriteOptions, check, dump_payload, load, restore_payload, write_dbs,
};

#[derive(Clone, Debug)]
enum Gen {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    ZSet(Vec<(Vec<u8>, f64)>),
}

fn elem() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string().into_bytes()),
        (-200i64..200).prop_map(|i| i.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..30),
        prop::collection::vec(b'a'..=b'c', 0..120),
    ]
}

fn score() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        any::<i32>().prop_map(f64::from),
        any::<f64>().prop_filter("no NaN", |f| !f.is_nan()),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(0.1),
    ]
}

fn sized<T: std::fmt::Debug>(s: impl Strategy<Value = T> + Clone) -> impl Strategy<Value = Vec<T>> {
    prop_oneof![4 => prop::collection::vec(s.clone(), 1..12), 1 => prop::collection::vec(s, 100..700)]
}

fn gen_value() -> impl Strategy<Value = Gen> {
    prop_oneof![
        elem().prop_map(Gen::Str),
        sized(elem()).prop_map(Gen::List),
        sized(elem()).prop_map(Gen::Set),
        sized((elem(), elem())).prop_map(Gen::Hash),
        sized((elem(), score())).prop_map(Gen::ZSet),
    ]
}

fn build(g: Gen, limits: &EncodingLimits) -> Value {
    let b = Bytes::from;
    match g {
        Gen::Str(s) => Value::string(s),
        Gen::List(l) => {
            Value::list(l.into_iter().map(b).collect::<std::collections::VecDeque<_>>())
        }
        Gen::Set(m) => {
            let mut s = Set::new_for(&m[0]);
            for x in m {
                s.insert(b(x), limits);
            }
            Value::Set(s)
        }
        Gen::Hash(p) => {
            let mut h = Hash::new();
            for (f, v) in p {
                h.set(b(f), b(v), limits);
            }
            Value::Hash(h)
        }
        Gen::ZSet(p) => {
            let mut z = ZSet::new();
            for (m, s) in p {
                z.insert(b(m), s, limits);
            }
            Value::ZSet(z)
        }
    }
}

fn dataset() -> impl Strategy<Value = Vec<(u8, Vec<u8>, Gen, Option<i64>)>> {
    prop::collection::vec(
        (
            0u8..4,
            prop::collection::vec(any::<u8>(), 0..8),
            gen_value(),
            prop::option::of(any::<i64>()),
        ),
        0..12,
    )
}

/// A hash that went to `hashtable` because a value was once too long, then overwritten by
/// a short one, is saved as a plain hash and loads as a listpack again when it fits, as
/// in Redis's `rdbLoadObject`. Every other encoding survives the round trip.
fn encoding_after_load(km: &KeyModel, limits: &EncodingLimits) -> String {
    if let Model::Hash(h) = &km.value {
        let fits = h.len() <= limits.hash_max_listpack_entries
            && h.iter().all(|(f, v)| {
                f.len() <= limits.hash_max_listpack_value
                    && v.len() <= limits.hash_max_listpack_value
            });
        return if fits { "listpack" } else { "hashtable" }.to_string();
    }
    km.encoding.clone()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn write_then_read_is_identity(
        data in dataset(),
        compression in any::<bool>(),
        checksum in any::<bool>(),
        real in any::<bool>(),
    ) {
        let limits = if real { real_limits() } else { EncodingLimits::default() };
        let mut dbs: Vec<Db> = (0..4).map(|_| Db::new()).collect();
        for (db, key, g, exp) in data {
            let db = &mut dbs[db as usize];
            let key = Bytes::from(key);
            db.set(key.clone(), build(g, &limits), 0, false);
            if let Some(e) = exp {
                db.set_expire(&key, e);
            }
        }
        let opts = WriteOptions { compression, checksum, ..WriteOptions::default() };
        let bytes = write_dbs(Vec::new(), &dbs, &opts).unwrap();
        prop_assert!(check(&bytes).ok());
        let loaded = load(&bytes, &LoadOptions { limits, verify_checksum: true }, 4, None).unwrap();
        let (got, mut want) = (dbs_model(&loaded.dbs), dbs_model(&dbs));
        for km in want.values_mut().flat_map(|db| db.values_mut()) {
            km.encoding = encoding_after_load(km, &limits);
        }
        prop_assert!(got == want, "round trip differs:\n{:?}\n{:?}", got, want);
    }

    #[test]
    fn dump_then_restore_is_identity(g in gen_value(), compression in any::<bool>(), real in any::<bool>()) {
        let limits = if real { real_limits() } else { EncodingLimits::default() };
        let v = build(g, &limits);
        let payload = dump_payload(&v, compression);
        let back = restore_payload(&payload, &limits).unwrap();
        let km = |v: &Value| KeyModel {
            value: value_model(v),
            expire_ms: None,
            encoding: v.encoding_name().to_string(),
        };
        let (got, mut want) = (km(&back), km(&v));
        want.encoding = encoding_after_load(&want, &limits);
        prop_assert!(got == want, "round trip differs:\n{:?}\n{:?}", got, want);
        // What came back dumps to the same bytes, unless a hashtable's order is involved.
        if !matches!(v.encoding_name(), "hashtable") && v.encoding_name() == back.encoding_name() {
            prop_assert_eq!(dump_payload(&back, compression), payload);
        }
    }

    #[test]
    fn any_changed_byte_fails_the_footer(g in gen_value(), at in any::<prop::sample::Index>(), xor in 1u8..) {
        let mut payload = dump_payload(&build(g, &EncodingLimits::default()), true);
        let i = at.index(payload.len());
        payload[i] ^= xor;
        let r = restore_payload(&payload, &EncodingLimits::default());
        prop_assert!(matches!(r, Err(PayloadError::VersionOrChecksum)), "byte {} ^ {:#x}", i, xor);
    }

    #[test]
    fn resealed_mutants_never_panic(
        g in gen_value(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        garbage in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let limits = EncodingLimits::default();
        let payload = dump_payload(&build(g, &limits), true);
        let mut body = payload[..payload.len() - 10].to_vec();
        for (at, b) in edits {
            let i = at.index(body.len());
            body[i] = b;
        }
        let seal = |mut p: Vec<u8>| {
            p.extend_from_slice(&10u16.to_le_bytes());
            let crc = crc64(0, &p);
            p.extend_from_slice(&crc.to_le_bytes());
            p
        };
        let truncated = body[..cut.index(body.len() + 1)].to_vec();
        for p in [seal(body), seal(truncated), seal(garbage)] {
            if let Err(e) = restore_payload(&p, &limits) {
                prop_assert!(matches!(e, PayloadError::BadData(_)), "{}", e);
            }
        }
    }

    #[test]
    fn arbitrary_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut v = b"REDIS0010".to_vec();
        v.extend_from_slice(&body);
        let _ = load(&v, &LoadOptions { verify_checksum: false, ..LoadOptions::default() }, 16, None);
        let _ = check(&v);
    }
}

// ===== legacy encodings =====

fn zl_entry(out: &mut Vec<u8>, prev: &mut usize, e: &[u8]) {
    let start = out.len();
    if *prev < 254 {
        out.push(*prev as u8);
    } else {
        out.push(0xFE);
        out.extend_from_slice(&(*prev as u32).to_le_bytes());
    }
    let as_int = std::str::from_utf8(e)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|i| i.to_string().as_bytes() == e);
    match as_int {
        Some(v @ 0..=12) => out.push(0xF1 + v as u8),
        Some(v) if i8::try_from(v).is_ok() => out.extend_from_slice(&[0xFE, v as u8]),
        Some(v) if i16::try_from(v).is_ok() => {
            out.push(0xC0);
            out.extend_from_slice(&(v as i16).to_le_bytes());
        }
        Some(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
            out.push(0xF0);
            out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        }
        Some(v) if i32::try_from(v).is_ok() => {
            out.push(0xD0);
            out.extend_from_slice(&(v as i32).to_le_bytes());
        }
        Some(v) => {
            out.push(0xE0);
            out.extend_from_slice(&v.to_le_bytes());
        }
        None if e.len() < 64 => out.push(e.len() as u8),
        None if e.len() < 16384 => {
            out.extend_from_slice(&[0x40 | (e.len() >> 8) as u8, e.len() as u8])
        }
        None => {
            out.push(0x80);
            out.extend_from_slice(&(e.len() as u32).to_be_bytes());
        }
    }
    if as_int.is_none() {
        out.extend_from_slice(e);
    }
    *prev = out.len() - start;
}

fn ziplist(items: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![0u8; 10];
    let mut prev = 0;
    let mut tail = 10;
    for it in items {
        tail = out.len();
        zl_entry(&mut out, &mut prev, it);
    }
    out.push(0xFF);
    let total = out.len() as u32;
    out[0..4].copy_from_slice(&total.to_le_bytes());
    out[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
    out[8..10].copy_from_slice(&(items.len() as u16).to_le_bytes());
    out
}

fn zipmap(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = vec![pairs.len() as u8];
    for (k, v) in pairs {
        out.push(k.len() as u8);
        out.extend_from_slice(k);
        out.push(v.len() as u8);
        out.push(1); // one byte of free space after the value
        out.extend_from_slice(v);
        out.push(0);
    }
    out.push(0xFF);
    out
}

fn key(out: &mut Vec<u8>, ty: u8, k: &str) {
    out.push(ty);
    push_string(out, k.as_bytes(), false);
}

#[test]
fn legacy_encodings_load_like_real_redis() {
    let big = vec![b'q'; 20000];
    let mid = vec![b'm'; 200];
    let mut f = b"REDIS0009".to_vec();
    f.extend_from_slice(&[0xFE, 0]);
    key(&mut f, 10, "zl:list");
    let items: Vec<&[u8]> =
        vec![b"a", b"7", b"-100", b"1000", b"100000", b"5000000000", b"-3000000", &big, &mid];
    push_string(&mut f, &ziplist(&items), true);
    key(&mut f, 13, "zl:hash");
    push_string(&mut f, &ziplist(&[b"f1", b"v1", b"f2", b"12"]), false);
    key(&mut f, 12, "zl:zset");
    push_string(&mut f, &ziplist(&[b"m3", b"-3", b"m1", b"1", b"m2", b"2.5"]), false);
    key(&mut f, 14, "ql:list");
    f.push(2);
    push_string(&mut f, &ziplist(&[b"x", b"1"]), false);
    push_string(&mut f, &ziplist(&[b"y", b"2"]), false);
    key(&mut f, 9, "zm:hash");
    push_string(&mut f, &zipmap(&[(b"k1", b"v1"), (b"k2", b"")]), false);
    key(&mut f, 3, "z1");
    f.push(3);
    for (m, s) in [(&b"a"[..], &b"\x031.5"[..]), (b"b", b"\xfe"), (b"c", b"\xff")] {
        push_string(&mut f, m, false);
        f.extend_from_slice(s);
    }
    key(&mut f, 1, "plain:list");
    f.push(2);
    push_string(&mut f, b"p", false);
    push_string(&mut f, b"99", false);
    key(&mut f, 4, "plain:hash");
    f.push(1);
    push_string(&mut f, b"hf", false);
    push_string(&mut f, b"hv", false);
    f.push(0xFF);
    let crc = crc64(0, &f);
    f.extend_from_slice(&crc.to_le_bytes());

    let loaded = load(&f, &real_opts(), 16, None).unwrap();
    let ours = dbs_model(&loaded.dbs);
    let db0 = &ours[&0];
    let list = |k: &str| match &db0[k.as_bytes()].value {
        Model::List(l) => l.clone(),
        other => panic!("{other:?}"),
    };
    let want: Vec<Vec<u8>> = items.iter().map(|i| i.to_vec()).collect();
    assert_eq!(list("zl:list"), want);
    assert_eq!(list("ql:list"), vec![b"x".to_vec(), b"1".to_vec(), b"y".to_vec(), b"2".to_vec()]);
    assert_eq!(
        db0[&b"z1"[..]].value,
        Model::ZSet(vec![
            (b"c".to_vec(), f64::NEG_INFINITY),
            (b"a".to_vec(), 1.5),
            (b"b".to_vec(), f64::INFINITY)
        ])
    );

    // Real Redis 7.0.15 loads the same file to the same content and encodings.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("legacy.rdb"), &f).unwrap();
    let r = RealRedis::start(dir.path(), "legacy.rdb", &[]);
    assert_models_eq(&ours, &server_model(&mut r.conn()));
}

/// Compact blobs that exceed the limits (written by a server with larger limits) are
/// converted on load exactly as real Redis converts them.
#[test]
fn oversized_compact_blobs_convert_like_real_redis() {
    use rhea_rdb::intset;
    use rhea_rdb::listpack::ListpackWriter;
    let long = vec![b'L'; 100];
    let mut f = b"REDIS0010".to_vec();
    f.extend_from_slice(&[0xFE, 0]);
    let blob = |f: &mut Vec<u8>, ty: u8, k: &str, b: Vec<u8>| {
        key(f, ty, k);
        push_string(f, &b, true);
    };
    let mut lp = ListpackWriter::new();
    lp.push(b"f");
    lp.push(&long);
    blob(&mut f, 16, "h:longval", lp.finish());
    let mut lp = ListpackWriter::new();
    for i in 0..600 {
        lp.push(format!("f{i}").as_bytes());
        lp.push_int(i);
    }
    blob(&mut f, 16, "h:many", lp.finish());
    let mut lp = ListpackWriter::new();
    lp.push(&long);
    lp.push_int(1);
    blob(&mut f, 17, "z:longmember", lp.finish());
    let mut lp = ListpackWriter::new();
    for i in 0..200 {
        lp.push(format!("m{i:03}").as_bytes());
        lp.push_int(i);
    }
    blob(&mut f, 17, "z:many", lp.finish());
    blob(&mut f, 11, "s:many", intset::encode(&(0..600).collect::<Vec<i64>>()));
    // Plain encodings that fit are made compact.
    key(&mut f, 4, "h:plain-small");
    f.push(1);
    push_string(&mut f, b"a", false);
    push_string(&mut f, b"b", false);
    key(&mut f, 5, "z:plain-small");
    f.push(1);
    push_string(&mut f, b"m", false);
    f.extend_from_slice(&2.5f64.to_le_bytes());
    blob(&mut f, 13, "hz:longval", ziplist(&[b"f", &long]));
    blob(&mut f, 12, "zz:longmember", ziplist(&[&long, b"1"]));
    let many: Vec<Vec<u8>> = (0..600).map(|i| format!("x{i}").into_bytes()).collect();
    blob(&mut f, 13, "hz:many", ziplist(&many.iter().map(|v| &v[..]).collect::<Vec<_>>()));
    blob(&mut f, 9, "zm:longval", zipmap(&[(b"k", &long)]));
    key(&mut f, 4, "h:plain-longval");
    f.push(1);
    push_string(&mut f, b"a", false);
    push_string(&mut f, &long, false);
    key(&mut f, 5, "z:plain-longmember");
    f.push(1);
    push_string(&mut f, &long, false);
    f.extend_from_slice(&1f64.to_le_bytes());
    key(&mut f, 1, "l:plain");
    f.push(1);
    push_string(&mut f, &long, true);
    key(&mut f, 2, "s:plain-many-ints");
    rhea_rdb::writer::push_len(&mut f, 600);
    for i in 0..600 {
        push_string(&mut f, i.to_string().as_bytes(), false);
    }
    key(&mut f, 2, "s:plain-ints");
    f.push(2);
    push_string(&mut f, b"5", false);
    push_string(&mut f, b"-1", false);
    f.push(0xFF);
    let crc = crc64(0, &f);
    f.extend_from_slice(&crc.to_le_bytes());

    let ours = dbs_model(&load(&f, &real_opts(), 16, None).unwrap().dbs);
    let encodings: Vec<(String, String)> = ours[&0]
        .iter()
        .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.encoding.clone()))
        .collect();
    assert!(encodings.contains(&("h:longval".into(), "listpack".into())));
    assert!(encodings.contains(&("z:plain-small".into(), "listpack".into())));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.rdb"), &f).unwrap();
    let r = RealRedis::start(dir.path(), "big.rdb", &[]);
    let real = server_model(&mut r.conn());
    assert_models_eq(&ours, &real);
}
