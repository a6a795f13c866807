//! Interoperability with the real Redis 7.0.15 programs:
//! real `SAVE` → our reader; our writer → real `redis-server` and `redis-check-rdb`.
//! The same dataset is compared through ordinary commands, OBJECT ENCODING and
//! DEBUG DIGEST.

mod common;

use std::process::Command;

use common::*;
use rhea_rdb::{Error, Event, WriteOptions, load, parse, write_dbs};

/// Far-future expiry so nothing expires during the test (2100-01-01).
const EXP: i64 = 4_102_444_800_000;

fn c(args: &[&[u8]]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.to_vec()).collect()
}

fn s(v: impl ToString) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// Commands that create every type in small and large encodings, with and without
/// expiry, across several dbs.
fn dataset() -> Vec<Vec<Vec<u8>>> {
    let mut cmds = Vec::new();
    for db in [0u32, 3, 15] {
        cmds.push(c(&[b"SELECT", &s(db)]));
        let p = |k: &str| format!("{k}:{db}").into_bytes();
        // strings
        cmds.push(c(&[b"SET", &p("s:int"), b"12345"]));
        cmds.push(c(&[b"SET", &p("s:neg"), b"-2"]));
        cmds.push(c(&[b"SET", &p("s:i32"), b"2000000000"]));
        cmds.push(c(&[b"SET", &p("s:i64"), b"123456789012"]));
        cmds.push(c(&[b"SET", &p("s:lead0"), b"007"]));
        cmds.push(c(&[b"SET", &p("s:small"), b"hello"]));
        cmds.push(c(&[b"SET", &p("s:empty"), b""]));
        cmds.push(c(&[b"SET", &p("s:bin"), &(0..=255u8).collect::<Vec<_>>()]));
        cmds.push(c(&[b"SET", &p("s:lzf"), &b"abcabcabc".repeat(300)]));
        cmds.push(c(&[
            b"SET",
            &p("s:random"),
            &(0..500u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<_>>(),
        ]));
        cmds.push(c(&[b"SET", &p("s:exp"), b"temp"]));
        cmds.push(c(&[b"PEXPIREAT", &p("s:exp"), &s(EXP)]));
        // lists
        cmds.push(c(&[
            b"RPUSH",
            &p("l:small"),
            b"a",
            b"1",
            b"-5",
            b"300",
            b"",
            b"9223372036854775807",
        ]));
        let mut big = c(&[b"RPUSH", &p("l:big")]);
        for i in 0..3000 {
            big.push(if i % 3 == 0 {
                s(i)
            } else {
                format!("element-{i}-{}", "x".repeat(i % 50)).into_bytes()
            });
        }
        cmds.push(big);
        cmds.push(c(&[b"RPUSH", &p("l:huge-elem"), b"x", &b"y".repeat(20000), b"z"]));
        cmds.push(c(&[b"PEXPIREAT", &p("l:big"), &s(EXP + 1)]));
        // sets
        cmds.push(c(&[b"SADD", &p("set:int16"), b"1", b"2", b"3", b"-7"]));
        cmds.push(c(&[b"SADD", &p("set:int64"), b"1", b"70000", b"-1099511627776"]));
        cmds.push(c(&[b"SADD", &p("set:str"), b"a", b"b", b"1", b"longer member"]));
        let mut bigset = c(&[b"SADD", &p("set:bigint")]);
        bigset.extend((0..1000).map(|i| s(i * 3)));
        cmds.push(bigset);
        cmds.push(c(&[b"PEXPIREAT", &p("set:int16"), &s(EXP + 2)]));
        // hashes
        cmds.push(c(&[
            b"HSET",
            &p("h:small"),
            b"f1",
            b"v1",
            b"n",
            b"42",
            b"neg",
            b"-300",
            b"e",
            b"",
        ]));
        cmds.push(c(&[b"HSET", &p("h:longval"), b"f", &b"v".repeat(100)]));
        let mut bighash = c(&[b"HSET", &p("h:big")]);
        for i in 0..300 {
            bighash.push(format!("field{i}").into_bytes());
            bighash.push(s(i * 11));
        }
        cmds.push(bighash);
        cmds.push(c(&[b"PEXPIREAT", &p("h:big"), &s(EXP + 3)]));
        // sorted sets
        cmds.push(c(&[
            b"ZADD",
            &p("z:small"),
            b"1",
            b"one",
            b"2.5",
            b"twohalf",
            b"-inf",
            b"minf",
            b"inf",
            b"pinf",
            b"1e20",
            b"big",
            b"-3",
            b"neg",
            b"0.1",
            b"tenth",
            b"4503599627370497",
            b"past52",
        ]));
        cmds.push(c(&[b"ZADD", &p("z:longmember"), b"1", &b"m".repeat(100)]));
        let mut bigz = c(&[b"ZADD", &p("z:big")]);
        for i in 0..500 {
            bigz.push(format!("{}", (i as f64) * 1.25 - 100.0).into_bytes());
            bigz.push(format!("member-{i}").into_bytes());
        }
        cmds.push(bigz);
        cmds.push(c(&[b"PEXPIREAT", &p("z:small"), &s(EXP + 4)]));
    }
    cmds.push(c(&[b"SELECT", b"0"]));
    cmds
}

fn check_rdb(path: &std::path::Path) {
    let out =
        Command::new("redis-check-rdb").arg(path).output().expect("redis-check-rdb installed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "redis-check-rdb failed:\n{text}");
    assert!(text.contains("RDB looks OK!"), "{text}");
}

fn digest(conn: &mut Conn) -> Vec<u8> {
    conn.cmd(&[b"DEBUG", b"DIGEST"]).bytes()
}

#[test]
fn real_save_reads_back_and_our_write_loads_in_real_redis() {
    let dir_a = tempfile::tempdir().unwrap();
    let a = RealRedis::start(dir_a.path(), "dump.rdb", &["--maxmemory-policy", "allkeys-lru"]);
    let mut ca = a.conn();
    ca.pipeline(&dataset());
    let want = server_model(&mut ca);
    let want_digest = digest(&mut ca);
    ca.cmd(&[b"SAVE"]);
    let data = std::fs::read(dir_a.path().join("dump.rdb")).unwrap();

    // Real → ours: same content, same encodings, every key carries LRU idle time.
    let loaded = load(&data, &real_opts(), 16, None).unwrap();
    assert_models_eq(&dbs_model(&loaded.dbs), &want);
    assert!(loaded.aux.iter().any(|(k, v)| &k[..] == b"redis-ver" && &v[..] == b"7.0.15"));
    let mut idle = 0;
    parse(&data, &real_opts(), |ev| {
        if let Event::Key(k) = ev {
            assert!(k.idle_s.is_some(), "LRU policy writes F8 for every key");
            idle += 1;
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(idle, loaded.keys_loaded);
    let report = rhea_rdb::check(&data);
    assert!(report.ok(), "{:?}", report.error);
    assert_eq!(report.total_keys(), loaded.keys_loaded);

    // Ours → real, with and without compression / checksum.
    for (compression, checksum) in [(true, true), (false, false)] {
        let dir_b = tempfile::tempdir().unwrap();
        let path = dir_b.path().join("ours.rdb");
        let opts = WriteOptions {
            compression,
            checksum,
            ctime: 1_700_000_000,
            used_mem: 1 << 20,
            repl: None,
        };
        write_dbs(std::fs::File::create(&path).unwrap(), &loaded.dbs, &opts).unwrap();
        check_rdb(&path);
        let ours = std::fs::read(&path).unwrap();
        assert!(rhea_rdb::check(&ours).ok());
        let b = RealRedis::start(dir_b.path(), "ours.rdb", &[]);
        let mut cb = b.conn();
        assert_models_eq(&server_model(&mut cb), &want);
        assert_eq!(digest(&mut cb), want_digest, "DEBUG DIGEST after loading our file");
        // Real Redis re-saves what it loaded from our file; that reads back the same.
        if compression && checksum {
            cb.cmd(&[b"SAVE"]);
            let resaved = load(&std::fs::read(&path).unwrap(), &real_opts(), 16, None).unwrap();
            assert_models_eq(&dbs_model(&resaved.dbs), &want);
        }
    }
}

#[test]
fn repl_aux_fields_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.rdb");
    let mut dbs: Vec<rhea_keyspace::Db> = (0..16).map(|_| rhea_keyspace::Db::new()).collect();
    dbs[2].set("k".into(), rhea_keyspace::Value::string("v"), 0, false);
    let opts = WriteOptions {
        repl: Some(rhea_rdb::ReplAux { stream_db: 2, repl_id: "a".repeat(40), offset: 12345 }),
        ..WriteOptions::default()
    };
    write_dbs(std::fs::File::create(&path).unwrap(), &dbs, &opts).unwrap();
    check_rdb(&path);
    let loaded = load(&std::fs::read(&path).unwrap(), &real_opts(), 16, None).unwrap();
    let aux: Vec<(String, String)> = loaded
        .aux
        .iter()
        .map(|(k, v)| (String::from_utf8_lossy(k).into(), String::from_utf8_lossy(v).into()))
        .collect();
    let keys: Vec<&str> = aux.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "redis-ver",
            "redis-bits",
            "ctime",
            "used-mem",
            "repl-stream-db",
            "repl-id",
            "repl-offset",
            "aof-base"
        ]
    );
    assert_eq!(aux[6].1, "12345");
    let r = RealRedis::start(dir.path(), "dump.rdb", &[]);
    let mut conn = r.conn();
    conn.cmd(&[b"SELECT", b"2"]);
    assert_eq!(conn.cmd(&[b"GET", b"k"]).bytes(), b"v");
}

#[test]
fn real_lfu_and_streams_and_functions() {
    let dir = tempfile::tempdir().unwrap();
    let r = RealRedis::start(dir.path(), "dump.rdb", &["--maxmemory-policy", "allkeys-lfu"]);
    let mut conn = r.conn();
    conn.cmd(&[b"SET", b"a", b"1"]);
    for _ in 0..20 {
        conn.cmd(&[b"GET", b"a"]);
    }
    conn.cmd(&[
        b"FUNCTION",
        b"LOAD",
        b"#!lua name=mylib\nredis.register_function('f', function() return 1 end)",
    ]);
    conn.cmd(&[b"SAVE"]);
    let data = std::fs::read(dir.path().join("dump.rdb")).unwrap();
    let mut freq = None;
    let mut functions = 0;
    parse(&data, &real_opts(), |ev| {
        match ev {
            Event::Key(k) => freq = k.lfu_freq,
            Event::Function(code) => {
                assert!(code.starts_with(b"#!lua name=mylib"));
                functions += 1;
            }
            _ => {}
        }
        Ok(())
    })
    .unwrap();
    assert!(freq.is_some_and(|f| f > 0), "LFU policy writes F9");
    assert_eq!(functions, 1);

    conn.cmd(&[b"XADD", b"stream", b"*", b"f", b"v"]);
    conn.cmd(&[b"SAVE"]);
    let data = std::fs::read(dir.path().join("dump.rdb")).unwrap();
    match load(&data, &real_opts(), 16, None) {
        Err(Error::Unsupported { what, .. }) => assert!(what.contains("type 19"), "{what}"),
        other => panic!("expected Unsupported, got {:?}", other.map(|l| l.keys_loaded)),
    }
    assert!(!rhea_rdb::check(&data).ok());
}

/// For values whose layout does not depend on hash-table order (strings, lists,
/// listpacks, intsets, one key per db), our file is byte-for-byte what `SAVE` writes.
#[test]
fn byte_identical_to_real_save_for_ordered_encodings() {
    let dir = tempfile::tempdir().unwrap();
    let r = RealRedis::start(dir.path(), "dump.rdb", &[]);
    let mut conn = r.conn();
    let lzf_text = "The quick brown fox jumps over the lazy dog. ".repeat(40);
    let mixed: Vec<u8> =
        (0..3000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 % 7 + b'a').collect();
    let mut cmds: Vec<Vec<Vec<u8>>> = vec![
        c(&[b"SET", b"int", b"12345"]),
        c(&[b"SET", b"lzf", lzf_text.as_bytes()]),
        c(&[b"SET", b"mixed", &mixed]),
        c(&[b"RPUSH", b"list", b"a", b"1", b"-5", b"300", lzf_text.as_bytes()]),
        c(&[b"SADD", b"iset", b"1", b"2", b"70000", b"-5"]),
        c(&[b"HSET", b"hash", b"f", b"v", b"n", b"-7000", b"long", &lzf_text.as_bytes()[..60]]),
        c(&[
            b"ZADD", b"zset", b"1", b"a", b"2.5", b"b", b"-inf", b"c", b"1e100", b"d", b"0.1", b"e",
        ]),
        c(&[b"PEXPIREAT", b"zset", &s(EXP)]),
    ];
    let mut big = c(&[b"RPUSH", b"biglist"]);
    big.extend((0..5000).map(|i| format!("item-{i}").into_bytes()));
    cmds.push(big);
    // Many LZF inputs of varied compressibility: nodes of a list of pseudo-random
    // phrases, and strings of one key per remaining db.
    let words = ["redis", "rhea", "list", "node", "x", "quick", "0123", "zz", "\x00\x01"];
    let mut seed = 0x9e37_79b9_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut phrases = c(&[b"RPUSH", b"phrases"]);
    for _ in 0..3000 {
        let n = 1 + next() % 12;
        let p: Vec<&str> = (0..n).map(|_| words[(next() % words.len() as u64) as usize]).collect();
        phrases.push(p.join(if next() % 2 == 0 { " " } else { "" }).into_bytes());
    }
    cmds.push(phrases);
    // One key per db, so key order is fixed.
    let mut per_db = Vec::new();
    for (i, cmd) in cmds.into_iter().enumerate() {
        let db = if cmd[0] == b"PEXPIREAT" { 6 } else { i.min(15) };
        let db = if i >= 8 { i } else { db };
        per_db.push(c(&[b"SELECT", &s(db)]));
        per_db.push(cmd);
    }
    conn.pipeline(&per_db);
    conn.cmd(&[b"SAVE"]);
    let real = std::fs::read(dir.path().join("dump.rdb")).unwrap();
    let loaded = load(&real, &real_opts(), 16, None).unwrap();
    let aux = |k: &[u8]| -> i64 {
        let v = &loaded.aux.iter().find(|(key, _)| &key[..] == k).unwrap().1;
        std::str::from_utf8(v).unwrap().parse().unwrap()
    };
    let opts = WriteOptions {
        ctime: aux(b"ctime"),
        used_mem: aux(b"used-mem"),
        ..WriteOptions::default()
    };
    let ours = write_dbs(Vec::new(), &loaded.dbs, &opts).unwrap();
    if let Some(at) = ours.iter().zip(&real).position(|(a, b)| a != b) {
        let lo = at.saturating_sub(16);
        panic!(
            "first difference at offset {at}:\n ours {:02x?}\n real {:02x?}",
            &ours[lo..(at + 16).min(ours.len())],
            &real[lo..(at + 16).min(real.len())]
        );
    }
    assert_eq!(ours.len(), real.len());
}

/// Real dumps with LZF-compressed quicklist nodes (`list-compress-depth`), PLAIN nodes
/// (a lowered packed threshold) and `rdbcompression no`.
#[test]
fn real_compressed_and_plain_quicklist_nodes() {
    for extra in [&["--list-compress-depth", "1"][..], &["--rdbcompression", "no"][..]] {
        let dir = tempfile::tempdir().unwrap();
        let r = RealRedis::start(dir.path(), "dump.rdb", extra);
        let mut conn = r.conn();
        conn.cmd(&[b"DEBUG", b"QUICKLIST-PACKED-THRESHOLD", b"100"]);
        let mut push = c(&[b"RPUSH", b"list"]);
        push.extend((0..4000).map(|i| format!("value-{i}-{}", "z".repeat(i % 40)).into_bytes()));
        push.push(b"P".repeat(300));
        push.push(b"tail".to_vec());
        conn.pipeline(&[push]);
        let want = server_model(&mut conn);
        conn.cmd(&[b"SAVE"]);
        let data = std::fs::read(dir.path().join("dump.rdb")).unwrap();
        let loaded = load(&data, &real_opts(), 16, None).unwrap();
        assert_models_eq(&dbs_model(&loaded.dbs), &want);
    }
}

/// A function library written with `write_function` loads into real Redis.
#[test]
fn function_libraries_load_in_real_redis() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.rdb");
    let mut w =
        rhea_rdb::RdbWriter::new(std::fs::File::create(&path).unwrap(), &WriteOptions::default())
            .unwrap();
    w.write_function(
        b"#!lua name=rhealib\nredis.register_function('rhea_one', function() return 1 end)",
    )
    .unwrap();
    w.finish().unwrap();
    check_rdb(&path);
    let r = RealRedis::start(dir.path(), "dump.rdb", &[]);
    let mut conn = r.conn();
    assert_eq!(conn.cmd(&[b"FCALL", b"rhea_one", b"0"]).int(), 1);
}
