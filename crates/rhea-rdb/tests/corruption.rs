//! Damaged and hostile input: every truncation of a real dump, seeded random byte flips,
//! bad checksums, bad headers and crafted absurd lengths must give errors, never panics.

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rhea_rdb::crc64::crc64;
use rhea_rdb::writer::{push_len, push_string};
use rhea_rdb::{Error, LoadOptions, check, load, parse};

fn small_real_dump() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let r = RealRedis::start(dir.path(), "dump.rdb", &[]);
    let mut c = r.conn();
    let long = "x".repeat(100);
    let cmds: Vec<Vec<&[u8]>> = vec![
        vec![b"SET", b"str", b"hello"],
        vec![b"SET", b"int", b"12345"],
        vec![b"SET", b"lzf", long.as_bytes()],
        vec![b"RPUSH", b"list", b"a", b"1", b"-5", b"300"],
        vec![b"SADD", b"iset", b"1", b"2", b"70000"],
        vec![b"SADD", b"sset", b"a", b"b"],
        vec![b"HSET", b"hash", b"f", b"v", b"n", b"1"],
        vec![b"HSET", b"bighash", b"f", long.as_bytes()],
        vec![b"ZADD", b"zset", b"1", b"a", b"2.5", b"b"],
        vec![b"ZADD", b"bigz", b"1", long.as_bytes()],
        vec![b"PEXPIREAT", b"str", b"4102444800000"],
        vec![b"SELECT", b"2"],
        vec![b"SET", b"other", b"db"],
    ];
    for cmd in cmds {
        c.cmd(&cmd);
    }
    c.cmd(&[b"SAVE"]);
    std::fs::read(dir.path().join("dump.rdb")).unwrap()
}

fn no_verify() -> LoadOptions {
    LoadOptions { verify_checksum: false, ..real_opts() }
}

#[test]
fn truncations_flips_and_checksums() {
    let data = small_real_dump();
    let full = load(&data, &real_opts(), 16, None).unwrap();
    assert_eq!(full.keys_loaded, 11);

    // Every truncation is an error, with and without checksum verification.
    for cut in 0..data.len() {
        assert!(load(&data[..cut], &real_opts(), 16, None).is_err(), "cut at {cut}");
        assert!(parse(&data[..cut], &no_verify(), |_| Ok(())).is_err(), "cut at {cut}");
        assert!(!check(&data[..cut]).ok());
    }

    // Seeded random flips: always an error with the checksum on; never a panic off.
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let mut decoded_anyway = 0;
    for _ in 0..4000 {
        let mut bad = data.clone();
        for _ in 0..rng.random_range(1..=3) {
            let i = rng.random_range(0..bad.len());
            bad[i] ^= rng.random_range(1..=255u8);
        }
        if bad == data {
            continue;
        }
        assert!(load(&bad, &real_opts(), 16, None).is_err());
        if load(&bad, &no_verify(), 16, None).is_ok() {
            decoded_anyway += 1;
        }
        let _ = check(&bad);
    }
    assert!(decoded_anyway < 4000);

    // A wrong checksum names both values; a stored 0 is not checked.
    let mut bad = data.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    match load(&bad, &real_opts(), 16, None) {
        Err(Error::Checksum { expected, got }) => {
            assert_ne!(expected, got);
            assert_eq!(expected, crc64(0, &data[..n - 8]));
            assert_eq!(got.to_le_bytes(), bad[n - 8..]);
        }
        other => panic!("expected checksum error, got {:?}", other.err()),
    }
    bad[n - 8..].fill(0);
    assert_eq!(load(&bad, &real_opts(), 16, None).unwrap().keys_loaded, 11);
}

#[test]
fn headers() {
    let msg = |d: &[u8]| load(d, &LoadOptions::default(), 16, None).err().unwrap().to_string();
    assert_eq!(msg(b"REDIS0011\xff"), "Can't handle RDB format version 11");
    assert!(matches!(
        load(b"REDIS0000\xff", &LoadOptions::default(), 16, None),
        Err(Error::UnsupportedVersion(0))
    ));
    assert!(matches!(
        load(b"REDIX0010\xff", &LoadOptions::default(), 16, None),
        Err(Error::BadMagic)
    ));
    assert!(matches!(load(b"REDIS", &LoadOptions::default(), 16, None), Err(Error::BadMagic)));
    assert!(matches!(load(b"", &LoadOptions::default(), 16, None), Err(Error::BadMagic)));
    // Old versions without a checksum trailer.
    let l =
        load(b"REDIS0004\xfe\x00\x00\x01k\x01v\xff", &LoadOptions::default(), 16, None).unwrap();
    assert_eq!(l.keys_loaded, 1);
    assert_eq!(l.summary.unwrap().stored_checksum, None);
}

/// `REDIS0010` + body + FF + CRC.
fn file(body: &[u8]) -> Vec<u8> {
    let mut v = b"REDIS0010".to_vec();
    v.extend_from_slice(body);
    v.push(0xFF);
    let crc = crc64(0, &v);
    v.extend_from_slice(&crc.to_le_bytes());
    v
}

fn err_of(body: &[u8]) -> Error {
    load(&file(body), &LoadOptions::default(), 16, None).err().expect("must fail")
}

#[test]
fn crafted_absurd_and_invalid_input() {
    // A list claiming 2^40 elements: rejected up front, no huge allocation.
    let mut body = vec![0xFE, 0, 1, 1, b'k'];
    body.push(0x81);
    body.extend_from_slice(&(1u64 << 40).to_be_bytes());
    assert!(matches!(err_of(&body), Error::Corrupt { offset: 14, .. }), "{:?}", err_of(&body));
    // A string claiming 4 GB.
    let body = [0, 1, b'k', 0x80, 0xFF, 0xFF, 0xFF, 0xFF, b'v'];
    assert!(matches!(err_of(&body), Error::Corrupt { .. }));
    // LZF claiming an impossible expansion.
    let mut body = vec![0, 1, b'k', 0xC3, 2];
    push_len(&mut body, 1 << 40);
    body.extend_from_slice(&[0x00, b'a']);
    assert!(matches!(err_of(&body), Error::Corrupt { .. }));
    // Unknown value type and unknown string encoding, with their offsets.
    assert!(matches!(err_of(&[8, 1, b'k']), Error::Corrupt { offset: 9, .. }));
    assert!(matches!(err_of(&[20, 1, b'k']), Error::Corrupt { offset: 9, .. }));
    assert!(matches!(err_of(&[0, 0xC5]), Error::Corrupt { offset: 10, .. }));
    // Module aux and module values are refused cleanly.
    assert!(matches!(err_of(&[0xF7, 1, 2]), Error::Unsupported { offset: 9, .. }));
    assert!(matches!(err_of(&[7, 1, b'k', 0]), Error::Unsupported { .. }));
    // Intset with a bad width, listpack with a bad total, zset with a NaN score.
    let mut body = vec![11, 1, b'k'];
    push_string(&mut body, &[3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0], false);
    assert!(matches!(err_of(&body), Error::Corrupt { offset: 12, .. }));
    let mut body = vec![16, 1, b'k'];
    push_string(&mut body, &[9, 0, 0, 0, 0, 0, 0xFF], false);
    assert!(matches!(err_of(&body), Error::Corrupt { .. }));
    let mut body = vec![5, 1, b'k', 1, 1, b'm'];
    body.extend_from_slice(&f64::NAN.to_le_bytes());
    assert!(err_of(&body).to_string().contains("NAN"));
    // Duplicates are fatal, as in Redis.
    let body = [2, 1, b'k', 2, 1, b'a', 1, b'a'];
    assert!(err_of(&body).to_string().contains("Duplicate set"));
    let body = [0, 1, b'k', 1, b'v', 0, 1, b'k', 1, b'w'];
    assert!(err_of(&body).to_string().contains("Duplicate key"));
    // A db index beyond `databases`.
    let body = [0xFE, 20, 0, 1, b'k', 1, b'v'];
    assert!(err_of(&body).to_string().contains("more than 16 databases"));
    // No databases at all: an error, not an index panic.
    assert!(load(&file(&[0, 1, b'k', 1, b'v']), &LoadOptions::default(), 0, None).is_err());
    // Empty aggregates are skipped.
    let l = load(&file(&[1, 1, b'k', 0]), &LoadOptions::default(), 16, None).unwrap();
    assert_eq!((l.keys_loaded, l.empty_skipped), (0, 1));
}

#[test]
fn expired_keys_dropped_only_on_master_load() {
    let mut body = vec![0xFC];
    body.extend_from_slice(&1000i64.to_le_bytes());
    body.extend_from_slice(&[0, 1, b'a', 1, b'v', 0, 1, b'b', 1, b'w']);
    let data = file(&body);
    let master = load(&data, &LoadOptions::default(), 16, Some(5000)).unwrap();
    assert_eq!((master.keys_loaded, master.expired_skipped), (1, 1));
    let replica = load(&data, &LoadOptions::default(), 16, None).unwrap();
    assert_eq!(replica.keys_loaded, 2);
    assert_eq!(replica.dbs[0].get_expire(b"a"), Some(1000));
    // Old FD (seconds) expiry.
    let mut body = vec![0xFD];
    body.extend_from_slice(&7i32.to_le_bytes());
    body.extend_from_slice(&[0, 1, b'a', 1, b'v']);
    let l = load(&file(&body), &LoadOptions::default(), 16, None).unwrap();
    assert_eq!(l.dbs[0].get_expire(b"a"), Some(7000));
}

/// The rendered report follows redis-check-rdb's lines for a real dump and its damage.
#[test]
fn check_report_matches_redis_check_rdb_lines() {
    let data = small_real_dump();
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("ok.rdb", &data[..]), ("cut.rdb", &data[..60])] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let real = std::process::Command::new("redis-check-rdb").arg(&path).output().unwrap();
        let real = String::from_utf8_lossy(&real.stdout).into_owned();
        let ours = check(bytes).render(&path.display().to_string());
        let strip = |s: &str| -> Vec<String> {
            s.lines()
                .filter(|l| !l.starts_with("[additional info]") && !l.contains("ERROR DETECTED"))
                .map(|l| {
                    if l.contains("Unexpected EOF") || l.contains("unexpected end") {
                        l.split(']').next().unwrap().to_string()
                    } else {
                        l.to_string()
                    }
                })
                .collect()
        };
        assert_eq!(strip(&ours), strip(&real), "ours:\n{ours}\nreal:\n{real}");
    }
}

/// Seeded damage to a file holding every encoding our writer produces (LZF'd list
/// nodes, listpacks, intsets, hashtables, skiplists), decoded without the checksum so
/// the damage reaches every decoder: errors or values, never a panic.
#[test]
fn damaged_writer_output_never_panics() {
    use bytes::Bytes;
    use rhea_keyspace::limits::EncodingLimits;
    use rhea_keyspace::{Db, Value, hash::Hash, set::Set, zset::ZSet};
    let limits = EncodingLimits::default();
    let mut db = Db::new();
    let b = |s: String| Bytes::from(s);
    db.set(b("s".into()), Value::string("abc".repeat(30)), 0, false);
    db.set(
        b("l".into()),
        Value::list(
            (0..3000).map(|i| b(format!("e{}", i % 97))).collect::<std::collections::VecDeque<_>>(),
        ),
        0,
        false,
    );
    for (name, n) in [("ints", 10), ("bigints", 700), ("strs", 10)] {
        let mut s = Set::new_intset();
        for i in 0..n {
            s.insert(
                if name == "strs" { b(format!("m{i}")) } else { b((i * 7).to_string()) },
                &limits,
            );
        }
        db.set(b(name.into()), Value::Set(s), 0, false);
    }
    for (name, n) in [("h", 5), ("bigh", 300)] {
        let mut h = Hash::new();
        let mut z = ZSet::new();
        for i in 0..n {
            h.set(b(format!("f{i}")), b(format!("{}", i * 3)), &limits);
            z.insert(b(format!("m{i}")), f64::from(i) / 3.0, &limits);
        }
        db.set(b(name.into()), Value::Hash(h), 0, false);
        db.set(b(format!("z{name}")), Value::ZSet(z), 0, false);
    }
    db.set_expire(b"s", 123);
    let data = rhea_rdb::write_dbs(Vec::new(), &[db], &rhea_rdb::WriteOptions::default()).unwrap();
    assert_eq!(load(&data, &LoadOptions::default(), 16, None).unwrap().keys_loaded, 9);
    let opts = LoadOptions { verify_checksum: false, ..LoadOptions::default() };
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..3000 {
        let mut bad = data.clone();
        for _ in 0..rng.random_range(1..=4) {
            let i = rng.random_range(9..bad.len());
            bad[i] = rng.random();
        }
        let _ = load(&bad, &opts, 16, None);
    }
    for cut in (0..data.len()).step_by(5) {
        assert!(load(&data[..cut], &opts, 16, None).is_err());
    }
}
