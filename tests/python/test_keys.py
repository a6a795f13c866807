"""Generic keyspace commands compared byte for byte with Redis 7.0: DEL/UNLINK/EXISTS/
TYPE/TOUCH, KEYS/SCAN/RANDOMKEY, RENAME(NX)/COPY/MOVE/SWAPDB, DBSIZE/FLUSHDB/FLUSHALL,
the EXPIRE/TTL family and OBJECT, in RESP2 and RESP3, with WATCH invalidation, keyspace
notifications, INFO hit/miss counters and dirty accounting.

Replies whose order depends on the hash table (KEYS, SCAN) are compared as sorted sets;
TTLs are compared as ranges, since the two servers run the command at different instants.
"""
import time

import pytest

from resp import RawConn, hello3, parse, unknown, value

# ===== helpers =====


def require(conn, *args):
    """Run a command another family provides; skip the test while it is missing."""
    r = conn.call(*args)
    if unknown(r):
        pytest.skip("%s not implemented in Rhea yet" % args[0])
    return r


def same_sorted(pair, *args):
    """KEYS-like replies: the same elements, in any order."""
    a, b = pair.both(*args)
    va, vb = parse(a)[0], parse(b)[0]
    assert isinstance(va, list), a
    assert sorted(va) == sorted(vb), (args, a, b)
    return sorted(va)


def info_field(conn, section, field):
    r = conn.call("INFO", section)
    if r.startswith(b"-"):
        pytest.skip("INFO %s not implemented in Rhea yet" % section)
    for line in parse(r)[0].split(b"\r\n"):
        if line.startswith(field.encode() + b":"):
            return int(line.split(b":")[1])
    pytest.skip("INFO has no %s yet" % field)


def config_set(pair, name, val):
    ours = pair.ours.call("CONFIG", "SET", name, val)
    theirs = pair.theirs.call("CONFIG", "SET", name, val)
    assert theirs == b"+OK\r\n"
    if ours != b"+OK\r\n":
        pytest.skip("CONFIG SET %s not supported by Rhea yet: %r" % (name, ours))


@pytest.fixture
def reset_config(pair):
    yield
    for name, val in [("maxmemory-policy", "noeviction"), ("notify-keyspace-events", ""),
                      ("maxmemory", "0")]:
        pair.ours.call("CONFIG", "SET", name, val)
        pair.theirs.call("CONFIG", "SET", name, val)


def fill(pair, n, prefix="key:"):
    args = []
    for i in range(n):
        args += [prefix + str(i), str(i)]
    pair.same("MSET", *args)


# ===== DEL, UNLINK, EXISTS, TYPE, TOUCH, DBSIZE =====


def test_del_unlink_exists(pair):
    pair.same("MSET", "a", "1", "b", "2", "c", "3")
    pair.same("EXISTS", "a")
    pair.same("EXISTS", "a", "a", "nosuch", "b")
    pair.same("DEL", "a", "nosuch", "a")
    pair.same("EXISTS", "a")
    pair.same("UNLINK", "b", "c", "d")
    pair.same("DBSIZE")
    pair.same("DEL")
    pair.same("UNLINK")
    pair.same("EXISTS")
    pair.same("DEL", "nothing")


def test_type_and_touch(pair):
    pair.same("SET", "s", "v")
    pair.same("TYPE", "s")
    pair.same("TYPE", "nosuch")
    pair.same("TYPE")
    pair.same("TYPE", "a", "b")
    pair.same("TOUCH", "s", "nosuch", "s")
    pair.same("TOUCH")
    if not unknown(pair.ours.call("RPUSH", "l", "x")):
        pair.theirs.call("RPUSH", "l", "x")
        pair.same("TYPE", "l")


def test_other_types(pair):
    """TYPE, OBJECT ENCODING, COPY and RENAME of the aggregate types other families own."""
    setups = [("RPUSH", "l", "a", "b"), ("HSET", "h", "f", "v"), ("SADD", "st", "1", "2"),
              ("SADD", "st2", "x"), ("ZADD", "z", "1", "m")]
    done = []
    for cmd in setups:
        if unknown(pair.ours.call(*cmd)):
            continue
        pair.theirs.call(*cmd)
        done.append(cmd[1])
    if not done:
        pytest.skip("no aggregate type implemented in Rhea yet")
    for k in done:
        pair.same("TYPE", k)
        pair.same("OBJECT", "ENCODING", k)
        pair.same("COPY", k, k + ":copy")
        pair.same("TYPE", k + ":copy")
        pair.same("RENAME", k, k + ":renamed")
        pair.same("EXISTS", k, k + ":renamed")
    same_sorted(pair, "KEYS", "*")
    for t in ["list", "hash", "set", "zset", "string"]:
        got = set()
        theirs = set()
        for conn, acc in ((pair.ours, got), (pair.theirs, theirs)):
            cursor = b"0"
            while True:
                c, keys = value(conn, "SCAN", cursor, "TYPE", t)
                acc.update(keys)
                cursor = c
                if c == b"0":
                    break
        assert got == theirs, t


def test_dbsize_flushdb_flushall(pair):
    fill(pair, 20)
    pair.same("DBSIZE")
    pair.same("SELECT", "1")
    pair.same("SET", "x", "1")
    pair.same("DBSIZE")
    pair.same("FLUSHDB")
    pair.same("DBSIZE")
    pair.same("SELECT", "0")
    pair.same("DBSIZE")
    pair.same("FLUSHDB", "ASYNC")
    pair.same("DBSIZE")
    fill(pair, 5)
    pair.same("FLUSHDB", "sync")
    pair.same("FLUSHDB", "now")
    pair.same("FLUSHDB", "sync", "async")
    pair.same("FLUSHALL", "x")
    pair.same("FLUSHALL", "SYNC", "SYNC")
    fill(pair, 5)
    pair.same("SELECT", "3")
    pair.same("SET", "y", "1")
    pair.same("FLUSHALL", "async")
    pair.same("DBSIZE")
    pair.same("SELECT", "0")
    pair.same("DBSIZE")
    pair.same("DBSIZE", "extra")


# ===== KEYS, SCAN, RANDOMKEY =====


def test_keys_patterns(pair):
    fill(pair, 30)
    pair.same("MSET", "foo", "1", "fao", "2", "f*o", "3", "bar", "4", "FOO", "5", "f\\o", "6")
    for pat in ["*", "key:*", "key:1?", "f?o", "f[a-o]o", "f[^o]o", "f\\*o", "FOO", "nomatch*",
                "key:[12]*", "*o", "f\\\\o", "", "[", "key:2[", "k*y*:*1"]:
        same_sorted(pair, "KEYS", pat)
    pair.same("KEYS")
    pair.same("KEYS", "a", "b")


def scan_all(conn, *opts):
    keys, cursor, calls = [], b"0", 0
    while True:
        reply = conn.call("SCAN", cursor, *opts)
        c, batch = parse(reply)[0]
        keys += batch
        cursor, calls = c, calls + 1
        if cursor == b"0":
            return keys, calls


@pytest.mark.parametrize("opts", [
    (), ("COUNT", "1"), ("COUNT", "7"), ("COUNT", "1000"), ("MATCH", "key:1*"),
    ("MATCH", "*"), ("MATCH", "key:1*", "COUNT", "3"), ("TYPE", "string"), ("type", "STRING"),
    ("TYPE", "list"), ("TYPE", "none"), ("MATCH", "nomatch*", "COUNT", "5"),
    ("COUNT", "2", "COUNT", "50"), ("MATCH", "x", "MATCH", "key:*"),
])
def test_scan_covers_all_keys(pair, opts):
    fill(pair, 300)
    ours, _ = scan_all(pair.ours, *opts)
    theirs, _ = scan_all(pair.theirs, *opts)
    assert sorted(set(ours)) == sorted(set(theirs))
    assert len(set(ours)) == len(set(theirs))


def test_scan_count_batches(rhea):
    """COUNT is a hint Redis honours roughly: big enough batches, every key returned."""
    args = []
    for i in range(1000):
        args += ["k%d" % i, "v"]
    rhea.call("MSET", *args)
    keys, calls = scan_all(rhea, "COUNT", "100")
    assert len(set(keys)) == 1000
    assert calls <= 20
    keys, calls = scan_all(rhea)
    assert len(set(keys)) == 1000
    c, batch = value(rhea, "SCAN", "0", "COUNT", "2000")
    assert c == b"0" and len(batch) == 1000


def test_scan_errors(pair):
    pair.same("SET", "k", "v")
    for args in [("SCAN", "abc"), ("SCAN", " 1"), ("SCAN", "1 "), ("SCAN", "-"), ("SCAN", "1.5"),
                 ("SCAN", "18446744073709551616"), ("SCAN", "0", "COUNT", "0"),
                 ("SCAN", "0", "COUNT", "-1"), ("SCAN", "0", "COUNT", "x"),
                 ("SCAN", "0", "COUNT"), ("SCAN", "0", "MATCH"), ("SCAN", "0", "TYPE"),
                 ("SCAN", "0", "FOO", "bar"), ("SCAN", "0", "COUNT", "1", "x"), ("SCAN",)]:
        pair.same(*args)
    # strtoul accepts these; the cursor values differ but the shape does not.
    for cur in ["", "+0", "-0", "00"]:
        a, b = pair.both("SCAN", cur, "COUNT", "100")
        assert parse(a)[0] == parse(b)[0], cur


def test_scan_skips_expired(pair):
    pair.same("MSET", "a", "1", "b", "2", "c", "3")
    pair.same("PEXPIRE", "b", "50")
    time.sleep(0.1)
    ours, _ = scan_all(pair.ours, "COUNT", "100")
    theirs, _ = scan_all(pair.theirs, "COUNT", "100")
    assert sorted(ours) == sorted(theirs) == [b"a", b"c"]


def test_randomkey(pair):
    pair.same("RANDOMKEY")
    pair.same("SET", "only", "1")
    pair.same("RANDOMKEY")
    pair.same("RANDOMKEY", "x")
    pair.same("PEXPIRE", "only", "30")
    time.sleep(0.06)
    pair.same("RANDOMKEY")
    fill(pair, 10)
    for _ in range(20):
        assert value(pair.ours, "RANDOMKEY").startswith(b"key:")


# ===== RENAME, COPY, MOVE, SWAPDB =====


def test_rename(pair):
    pair.same("RENAME", "nosuch", "x")
    pair.same("RENAMENX", "nosuch", "x")
    pair.same("SET", "a", "1")
    pair.same("RENAME", "a", "a")
    pair.same("RENAMENX", "a", "a")
    pair.same("RENAME", "a", "b")
    pair.same("EXISTS", "a", "b")
    pair.same("SET", "c", "3")
    pair.same("RENAMENX", "b", "c")
    pair.same("RENAMENX", "b", "d")
    pair.same("GET", "d")
    pair.same("PEXPIRE", "d", "100000")
    pair.same("RENAME", "d", "c")
    pair.same("GET", "c")
    for conn in (pair.ours, pair.theirs):
        assert 99000 < value(conn, "PTTL", "c") <= 100000
    pair.same("SET", "e", "x")
    pair.same("RENAME", "e", "c")
    pair.same("TTL", "c")
    pair.same("RENAME", "a")
    pair.same("RENAMENX", "a", "b", "c")


def test_copy(pair):
    pair.same("COPY", "nosuch", "x")
    pair.same("SET", "a", "123")
    pair.same("COPY", "a", "a")
    pair.same("COPY", "a", "b")
    pair.same("OBJECT", "ENCODING", "b")
    pair.same("COPY", "a", "b")
    pair.same("SET", "a", "x" * 50)
    pair.same("COPY", "a", "b", "REPLACE")
    pair.same("GET", "b")
    pair.same("OBJECT", "ENCODING", "b")
    pair.same("COPY", "a", "a", "DB", "1")
    pair.same("COPY", "a", "a", "DB", "0")
    pair.same("COPY", "a", "a", "db", "0", "replace")
    pair.same("SELECT", "1")
    pair.same("GET", "a")
    pair.same("SELECT", "0")
    pair.same("PEXPIRE", "a", "100000")
    pair.same("COPY", "a", "c")
    for conn in (pair.ours, pair.theirs):
        assert 99000 < value(conn, "PTTL", "c") <= 100000
    for bad in [("COPY", "a", "z", "DB"), ("COPY", "a", "z", "DB", "x"), ("COPY", "a", "z", "DB", "16"),
                ("COPY", "a", "z", "DB", "-1"), ("COPY", "a", "z", "DB", "99999999999"),
                ("COPY", "a", "z", "FOO"), ("COPY", "a", "z", "REPLACE", "x"), ("COPY", "a")]:
        pair.same(*bad)
    pair.same("EXISTS", "z")


def test_move(pair):
    pair.same("MOVE", "nosuch", "1")
    pair.same("SET", "a", "1")
    pair.same("MOVE", "a", "0")
    pair.same("MOVE", "a", "16")
    pair.same("MOVE", "a", "-1")
    pair.same("MOVE", "a", "abc")
    pair.same("MOVE", "a", "99999999999")
    pair.same("PEXPIRE", "a", "100000")
    pair.same("MOVE", "a", "1")
    pair.same("EXISTS", "a")
    pair.same("SET", "a", "again")
    pair.same("MOVE", "a", "1")
    pair.same("SELECT", "1")
    pair.same("GET", "a")
    for conn in (pair.ours, pair.theirs):
        assert 99000 < value(conn, "PTTL", "a") <= 100000
    pair.same("MOVE", "a")


def test_swapdb(pair):
    pair.same("SET", "in0", "zero")
    pair.same("SELECT", "1")
    pair.same("SET", "in1", "one")
    pair.same("SWAPDB", "0", "1")
    pair.same("KEYS", "*")
    pair.same("SELECT", "0")
    pair.same("KEYS", "*")
    pair.same("SWAPDB", "0", "0")
    pair.same("KEYS", "*")
    for bad in [("SWAPDB", "a", "1"), ("SWAPDB", "1", "b"), ("SWAPDB", "0", "16"),
                ("SWAPDB", "-1", "0"), ("SWAPDB", "99999999999", "0"), ("SWAPDB", "0")]:
        pair.same(*bad)


# ===== EXPIRE family =====


def test_expire_options(pair):
    pair.same("SET", "k", "v")
    pair.same("EXPIRE", "nosuch", "100")
    pair.same("EXPIRE", "k", "100", "XX")
    pair.same("EXPIRE", "k", "100", "GT")
    pair.same("EXPIRE", "k", "100", "LT")
    pair.same("TTL", "k")
    pair.same("EXPIRE", "k", "200", "NX")
    pair.same("EXPIRE", "k", "200", "XX")
    pair.same("EXPIRE", "k", "300", "GT")
    pair.same("EXPIRE", "k", "250", "GT")
    pair.same("EXPIRE", "k", "400", "LT")
    pair.same("EXPIRE", "k", "100", "LT")
    pair.same("EXPIRE", "k", "150", "xx", "gt")
    pair.same("EXPIRE", "k", "120", "XX", "LT")
    pair.same("TTL", "k")
    pair.same("PERSIST", "k")
    pair.same("EXPIRE", "k", "100", "LT")
    pair.same("PERSIST", "k")
    for bad in [("NX", "XX"), ("NX", "GT"), ("NX", "LT"), ("GT", "LT"), ("XX", "GT", "LT"), ("FOO",),
                ("nx", "nx", "XX"), ("xx", "bar")]:
        pair.same("EXPIRE", "k", "100", *bad)
        pair.same("PEXPIRE", "k", "100", *bad)
    pair.same("EXPIRE", "k", "abc", "FOO")
    pair.same("EXPIRE", "k", "abc")
    pair.same("EXPIRE", "k", "1.5")
    pair.same("EXPIRE", "k")
    pair.same("TTL", "k")


def test_expire_overflow_errors(pair):
    pair.same("SET", "k", "v")
    big = str(2 ** 63 - 1)
    small = str(-(2 ** 63))
    for cmd in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"]:
        for v in [big, small, "9223372036854775", "9223372036854776", "-9223372036854775",
                  "-9223372036854776", "9223372036854775808"]:
            a, b = pair.both(cmd, "k", v)
            assert a == b, (cmd, v, a, b)
            pair.both("SET", "k", "v")


def test_expire_in_past_deletes(pair):
    for cmd, arg in [("EXPIRE", "-1"), ("PEXPIRE", "0"), ("EXPIREAT", "1"), ("PEXPIREAT", "1000"),
                     ("EXPIRE", "0"), ("EXPIREAT", "-100")]:
        pair.same("SET", "k", "v")
        pair.same(cmd, "k", arg)
        pair.same("EXISTS", "k")
    pair.same("SET", "k", "v")
    pair.same("EXPIRE", "k", "-5", "NX")
    pair.same("EXISTS", "k")
    pair.same("SET", "k", "v")
    pair.same("EXPIRE", "k", "100")
    pair.same("EXPIRE", "k", "-5", "GT")
    pair.same("EXPIRE", "k", "-5", "LT")
    pair.same("EXISTS", "k")


def test_ttl_values(pair):
    pair.same("TTL", "nosuch")
    pair.same("PTTL", "nosuch")
    pair.same("EXPIRETIME", "nosuch")
    pair.same("PEXPIRETIME", "nosuch")
    pair.same("SET", "k", "v")
    pair.same("TTL", "k")
    pair.same("PTTL", "k")
    pair.same("EXPIRETIME", "k")
    pair.same("PEXPIRETIME", "k")
    pair.same("EXPIREAT", "k", "33177117420")
    pair.same("EXPIRETIME", "k")
    pair.same("PEXPIRETIME", "k")
    pair.same("PEXPIREAT", "k", "33177117420499")
    pair.same("EXPIRETIME", "k")
    pair.same("PEXPIREAT", "k", "33177117420500")
    pair.same("EXPIRETIME", "k")
    pair.same("PEXPIRETIME", "k")
    for when in ["9223372036854775807", "9223372036854775300", "9223372036854775499"]:
        pair.same("PEXPIREAT", "k", when)
        pair.same("EXPIRETIME", "k")
        pair.same("PEXPIRETIME", "k")
    for conn in (pair.ours, pair.theirs):
        conn.call("PEXPIRE", "k", "10600")
        assert value(conn, "TTL", "k") == 11
        assert 10000 < value(conn, "PTTL", "k") <= 10600
        conn.call("PEXPIRE", "k", "10400")
        assert value(conn, "TTL", "k") == 10
        conn.call("EXPIRE", "k", "100")
        assert 99000 < value(conn, "PTTL", "k") <= 100000
        now_ms = int(time.time() * 1000)
        assert abs(value(conn, "PEXPIRETIME", "k") - (now_ms + 100000)) < 2000
    pair.same("TTL")
    pair.same("PTTL", "a", "b")


def test_expiry_timing(pair):
    pair.same("SET", "k", "v")
    pair.same("PEXPIRE", "k", "100")
    pair.same("GET", "k")
    pair.same("SET", "k2", "v", "PX", "100")
    pair.same("SETEX", "k3", "1", "v")
    time.sleep(0.2)
    pair.same("GET", "k")
    pair.same("EXISTS", "k", "k2")
    pair.same("TTL", "k")
    pair.same("GET", "k3")
    time.sleep(1.0)
    pair.same("GET", "k3")
    pair.same("DBSIZE")


def test_active_expiry(pair):
    """Keys nobody touches are removed by the cron cycle."""
    args = []
    for i in range(50):
        args += ["e%d" % i, "v"]
    pair.same("MSET", *args)
    for i in range(50):
        pair.same("PEXPIRE", "e%d" % i, "50")
    time.sleep(1.5)
    pair.same("DBSIZE")


def test_persist(pair):
    pair.same("PERSIST", "nosuch")
    pair.same("SET", "k", "v")
    pair.same("PERSIST", "k")
    pair.same("EXPIRE", "k", "100")
    pair.same("PERSIST", "k")
    pair.same("TTL", "k")
    pair.same("PERSIST", "k")
    pair.same("PERSIST")


# ===== OBJECT =====


def test_object(pair):
    pair.same("OBJECT", "HELP")
    pair.same("OBJECT", "help")
    pair.same("OBJECT")
    pair.same("OBJECT", "FOO")
    pair.same("OBJECT", "HELP", "x")
    pair.same("OBJECT", "ENCODING")
    pair.same("OBJECT", "ENCODING", "a", "b")
    pair.same("OBJECT", "ENCODING", "nosuch")
    pair.same("OBJECT", "REFCOUNT", "nosuch")
    pair.same("OBJECT", "IDLETIME", "nosuch")
    pair.same("OBJECT", "FREQ", "nosuch")
    pair.same("SET", "k", "v")
    pair.same("OBJECT", "IDLETIME", "k")
    pair.same("OBJECT", "FREQ", "k")
    pair.same("OBJECT", "REFCOUNT", "k")
    for v in ["1", "9999", "10000", "-1", "0"]:
        pair.same("SET", "n", v)
        pair.same("OBJECT", "REFCOUNT", "n")
        pair.same("OBJECT", "ENCODING", "n")


def test_object_idletime_not_touched(pair):
    pair.same("SET", "k", "v")
    time.sleep(2.1)
    for conn in (pair.ours, pair.theirs):
        assert value(conn, "OBJECT", "IDLETIME", "k") >= 2
        conn.call("TYPE", "k")
        conn.call("EXISTS", "k")
        conn.call("TTL", "k")
        assert value(conn, "OBJECT", "IDLETIME", "k") >= 2, "inspection must not touch"
        conn.call("GET", "k")
        # 1 s clock resolution: a second boundary may fall between the two commands.
        assert value(conn, "OBJECT", "IDLETIME", "k") <= 1


def test_object_lfu(pair, reset_config):
    config_set(pair, "maxmemory-policy", "allkeys-lfu")
    pair.same("SET", "k", "v")
    pair.same("OBJECT", "FREQ", "k")
    pair.same("OBJECT", "IDLETIME", "k")
    pair.same("OBJECT", "FREQ", "nosuch")
    for _ in range(3):
        pair.same("GET", "k")
    for conn in (pair.ours, pair.theirs):
        assert 5 <= value(conn, "OBJECT", "FREQ", "k") <= 8
    config_set(pair, "maxmemory-policy", "allkeys-lru")
    pair.same("OBJECT", "FREQ", "k")


LFU_SCRIPT = [
    ("SET", "k", "1"), ("GET", "k"), ("SET", "k", "2"), ("EXISTS", "k"), ("TYPE", "k"),
    ("TTL", "k"), ("OBJECT", "ENCODING", "k"), ("TOUCH", "k"), ("APPEND", "k", "3"),
    ("INCR", "k"), ("INCRBYFLOAT", "k", "0.5"), ("GETSET", "k", "4"), ("MSET", "k", "5"),
    ("STRLEN", "k"), ("GETRANGE", "k", "0", "1"), ("SETRANGE", "k", "0", "6"),
    ("GETEX", "k", "EX", "100"), ("EXPIRE", "k", "200"), ("PERSIST", "k"),
    ("SCAN", "0", "TYPE", "string"), ("RENAME", "k", "j"), ("COPY", "j", "k"), ("MGET", "j", "k"),
    ("SET", "j", "x", "GET"), ("LCS", "j", "k"), ("MOVE", "j", "1"), ("SETNX", "k", "7"),
    ("DECRBY", "k", "2"), ("GETDEL", "j"), ("SET", "k", "v", "XX", "KEEPTTL"),
]


def test_lfu_touch_counts(pair, reset_config):
    """With lfu-log-factor 0 every access bumps the counter, so OBJECT FREQ counts touches.
    maxmemory is set so that small integers are not Redis's shared objects, whose single
    access counter every key holding the same number would bump."""
    config_set(pair, "maxmemory", "1000000000")
    config_set(pair, "maxmemory-policy", "allkeys-lfu")
    config_set(pair, "lfu-log-factor", "0")
    config_set(pair, "lfu-decay-time", "0")
    try:
        for cmd in LFU_SCRIPT:
            pair.both(*cmd)
            pair.same("OBJECT", "FREQ", "k")
    finally:
        pair.both("CONFIG", "SET", "lfu-log-factor", "10")
        pair.both("CONFIG", "SET", "lfu-decay-time", "1")


def test_object_refcount_without_sharing(pair, reset_config):
    config_set(pair, "maxmemory", "1000000000")
    config_set(pair, "maxmemory-policy", "allkeys-lru")
    pair.same("SET", "n", "5")
    pair.same("OBJECT", "REFCOUNT", "n")
    config_set(pair, "maxmemory-policy", "volatile-ttl")
    pair.same("SET", "n", "5")
    pair.same("OBJECT", "REFCOUNT", "n")


# ===== RESP3 =====


def test_resp3_replies(pair):
    hello3(pair)
    pair.same("RANDOMKEY")
    pair.same("OBJECT", "ENCODING", "nosuch")
    pair.same("OBJECT", "HELP")
    pair.same("SET", "k", "v")
    pair.same("TYPE", "k")
    pair.same("KEYS", "*")
    pair.same("SCAN", "0")
    pair.same("RANDOMKEY")
    pair.same("TTL", "k")
    pair.same("EXPIRE", "k", "10", "NX", "XX")
    pair.same("DBSIZE")


# ===== MULTI, WATCH, notifications, stats =====


def watch_case(srv, setup, action, other_db=False):
    """WATCH k on one connection, run `action` on another, report whether EXEC aborted."""
    a, b = RawConn(srv.port), RawConn(srv.port)
    try:
        for cmd in setup:
            b.call(*cmd)
        a.call("WATCH", "k")
        for cmd in action:
            b.call(*cmd)
        a.call("MULTI")
        a.call("PING")
        return a.call("EXEC")
    finally:
        b.call("FLUSHALL")
        a.close()
        b.close()


@pytest.mark.parametrize("setup,action", [
    ([("SET", "k", "v")], [("DEL", "k")]),
    ([], [("DEL", "k")]),
    ([("SET", "k", "v")], [("EXPIRE", "k", "100")]),
    ([("SET", "k", "v")], [("EXPIRE", "k", "100", "NX"), ("EXPIRE", "k", "200", "NX")]),
    ([("SET", "k", "v", "EX", "100")], [("PERSIST", "k")]),
    ([("SET", "k", "v")], [("PERSIST", "k")]),
    ([("SET", "k", "v")], [("RENAME", "k", "j")]),
    ([("SET", "j", "v")], [("RENAME", "j", "k")]),
    ([("SET", "j", "v")], [("COPY", "j", "k")]),
    ([("SET", "k", "v")], [("MOVE", "k", "1")]),
    ([("SET", "k", "v")], [("FLUSHALL",)]),
    ([], [("FLUSHALL",)]),
    ([("SET", "k", "v")], [("FLUSHDB",)]),
    ([("SET", "k", "v")], [("SELECT", "1"), ("FLUSHDB",)]),
    ([("SET", "k", "v")], [("SWAPDB", "0", "1")]),
    ([("SELECT", "1"), ("SET", "k", "v"), ("SELECT", "0")], [("SWAPDB", "0", "1")]),
    ([], [("SWAPDB", "0", "1")]),
    ([("SET", "k", "v")], [("TOUCH", "k"), ("EXISTS", "k"), ("TYPE", "k")]),
    ([("SET", "k", "v")], [("OBJECT", "ENCODING", "k")]),
    ([("SET", "k", "v")], [("UNLINK", "k")]),
])
def test_watch_invalidation(rhea_server, redis_server, setup, action):
    ours = watch_case(rhea_server, setup, action)
    theirs = watch_case(redis_server, setup, action)
    assert ours == theirs, (setup, action, ours, theirs)


def test_multi_exec(pair):
    pair.same("MULTI")
    pair.same("SET", "a", "1")
    pair.same("EXPIRE", "a", "100")
    pair.same("RENAME", "a", "b")
    pair.same("EXISTS", "a", "b")
    pair.same("COPY", "b", "c", "FOO")
    pair.same("EXPIRE", "b", "100", "NX", "XX")
    pair.same("DEL", "c")
    pair.same("EXEC")


def collect_events(srv, commands, pattern="__key*__:*"):
    sub, cli = RawConn(srv.port), RawConn(srv.port)
    try:
        sub.call("PSUBSCRIBE", pattern)
        sub.call("SUBSCRIBE", "__end__")
        for cmd in commands:
            cli.call(*cmd)
        cli.call("PUBLISH", "__end__", "x")
        events = []
        while True:
            msg = parse(sub.read_reply())[0]
            if msg[0] == b"message" and msg[1] == b"__end__":
                break
            if msg[0] == b"pmessage":
                events.append((msg[2], msg[3]))
        return events
    finally:
        sub.close()
        cli.close()


def test_keyspace_notifications(pair, rhea_server, redis_server, reset_config):
    config_set(pair, "notify-keyspace-events", "KEA")
    commands = [
        ("SET", "a", "1"), ("DEL", "a", "nosuch"), ("SET", "a", "1"), ("EXPIRE", "a", "100"),
        ("EXPIRE", "a", "10", "GT"), ("PERSIST", "a"), ("RENAME", "a", "b"), ("RENAMENX", "b", "b"),
        ("COPY", "b", "c"), ("COPY", "b", "c", "DB", "2", "REPLACE"), ("MOVE", "c", "1"),
        ("UNLINK", "b"), ("SET", "d", "1"), ("PEXPIRE", "d", "-1"), ("EXPIRE", "nosuch", "1"),
        ("SET", "e", "1"), ("PEXPIREAT", "e", "1"), ("SWAPDB", "0", "1"), ("FLUSHDB",),
    ]
    ours = collect_events(rhea_server, commands)
    theirs = collect_events(redis_server, commands)
    assert ours == theirs


def test_keymiss_and_expired_events(pair, rhea_server, redis_server, reset_config):
    config_set(pair, "notify-keyspace-events", "KEAm")
    commands = [
        ("GET", "nosuch"), ("EXISTS", "nosuch"), ("TYPE", "nosuch"), ("TTL", "nosuch"),
        ("OBJECT", "ENCODING", "nosuch"), ("SET", "k", "v", "PX", "20"), ("DEBUG", "SLEEP", "0.05"),
        ("GET", "k"),
    ]
    if unknown(pair.ours.call("DEBUG", "SLEEP", "0")):
        commands.remove(("DEBUG", "SLEEP", "0.05"))
        commands.insert(-1, ("PEXPIRE", "k", "-1"))
    ours = collect_events(rhea_server, commands)
    theirs = collect_events(redis_server, commands)
    assert ours == theirs


def test_keyspace_hit_miss_stats(pair):
    script = [
        ("SET", "a", "1"), ("EXISTS", "a", "b"), ("TYPE", "a"), ("TYPE", "b"),
        ("OBJECT", "ENCODING", "a"), ("OBJECT", "ENCODING", "b"), ("TTL", "a"), ("PTTL", "b"),
        ("TOUCH", "a", "b"), ("SCAN", "0", "TYPE", "string"), ("KEYS", "*"), ("COPY", "a", "c"),
        ("COPY", "b", "d"), ("RENAME", "c", "e"), ("EXPIRE", "e", "100"), ("PERSIST", "e"),
        ("RANDOMKEY",), ("MOVE", "e", "1"), ("DEL", "e"), ("EXPIRETIME", "a"),
    ]
    base = {}
    for name, conn in (("ours", pair.ours), ("theirs", pair.theirs)):
        conn.call("CONFIG", "RESETSTAT")
        base[name] = (info_field(conn, "stats", "keyspace_hits"), info_field(conn, "stats", "keyspace_misses"))
    for cmd in script:
        pair.both(*cmd)
    got = {}
    for name, conn in (("ours", pair.ours), ("theirs", pair.theirs)):
        hits = info_field(conn, "stats", "keyspace_hits") - base[name][0]
        misses = info_field(conn, "stats", "keyspace_misses") - base[name][1]
        got[name] = (hits, misses)
    assert got["ours"] == got["theirs"]


def test_dirty_accounting(pair):
    steps = [
        ("FLUSHALL",), ("MSET", "a", "1", "b", "2", "c", "3"), ("FLUSHDB",),
        ("MSET", "a", "1", "b", "2", "c", "3"), ("SELECT", "1"), ("SET", "x", "1"), ("SELECT", "0"),
        ("FLUSHALL",), ("SWAPDB", "0", "1"), ("SET", "k", "v"), ("EXPIRE", "k", "100"),
        ("EXPIRE", "k", "100", "NX"), ("EXPIRE", "k", "-1"), ("SET", "k", "v"), ("DEL", "k", "k", "z"),
        ("SET", "k", "v"), ("COPY", "k", "k2"), ("RENAME", "k", "k2"), ("RENAME", "nosuch", "x"),
        ("MOVE", "k2", "3"), ("PERSIST", "nosuch"), ("FLUSHALL", "ASYNC"),
    ]
    for cmd in steps:
        pair.both(*cmd)
        a = info_field(pair.ours, "persistence", "rdb_changes_since_last_save")
        b = info_field(pair.theirs, "persistence", "rdb_changes_since_last_save")
        if cmd == steps[0]:
            base = (a, b)
        assert a - base[0] == b - base[1], cmd


def blocked_case(srv, setup, action):
    """A client BLPOPs on k (db 0); another runs `action`: what does the blocked one get?"""
    blocker, other = RawConn(srv.port), RawConn(srv.port)
    try:
        for cmd in setup:
            other.call(*cmd)
        blocker.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$3\r\n0.5\r\n")
        time.sleep(0.1)
        for cmd in action:
            other.call(*cmd)
        return blocker.read_reply(), other.call("DBSIZE")
    finally:
        other.call("FLUSHALL")
        blocker.close()
        other.close()


@pytest.mark.parametrize("setup,action", [
    ([("RPUSH", "src", "a")], [("RENAME", "src", "k")]),
    ([("RPUSH", "src", "a")], [("RENAMENX", "src", "k")]),
    ([("RPUSH", "src", "a")], [("COPY", "src", "k")]),
    ([("SELECT", "1"), ("RPUSH", "k", "a")], [("SELECT", "1"), ("MOVE", "k", "0")]),
    ([("SELECT", "1"), ("RPUSH", "k", "a"), ("SELECT", "0")], [("SWAPDB", "0", "1")]),
    ([("SET", "src", "a")], [("RENAME", "src", "k")]),
])
def test_blocked_clients_woken(pair, rhea_server, redis_server, setup, action):
    if unknown(pair.ours.call("BLPOP", "nosuch", "0.01")):
        pytest.skip("BLPOP not implemented in Rhea yet")
    ours = blocked_case(rhea_server, setup, action)
    theirs = blocked_case(redis_server, setup, action)
    assert ours == theirs, (setup, action)
