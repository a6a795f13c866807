"""Hash commands compared with real Redis 7.0 byte for byte.

Listpack-encoded hashes iterate in insertion order on both servers, so their replies must
be identical; hashtable order depends on the hash function, so those replies are compared
sorted (same header, same elements). Random commands are checked by their rules.
"""
import pytest

from agg_helpers import (
    RMap, Err, collect_events, decode, flat_pairs, info_field, same_encoding, same_sorted,
    scan_all,
)
from resp import RawConn

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def fill(pair, key, n, prefix="f", value="v"):
    for start in range(0, n, 100):
        args = []
        for i in range(start, min(n, start + 100)):
            args += ["%s%d" % (prefix, i), "%s%d" % (value, i)]
        pair.same("HSET", key, *args)


@pytest.fixture
def resp3(pair):
    pair.both("HELLO", "3")
    yield pair
    pair.both("HELLO", "2")


# ===== basic reads and writes =====

def test_hset_hget_family(pair):
    pair.script([
        ("HSET", "h", "a", "1"),
        ("HSET", "h", "a", "2", "b", "3", "c", "x"),
        ("HSET", "h", "b", "3", "d", "", "d", "again"),
        ("HMSET", "h", "e", "5", "a", "6"),
        ("HGET", "h", "a"),
        ("HGET", "h", "d"),
        ("HGET", "h", "nope"),
        ("HGET", "nokey", "a"),
        ("HMGET", "h", "a", "nope", "b", "a"),
        ("HMGET", "nokey", "a", "b"),
        ("HLEN", "h"),
        ("HLEN", "nokey"),
        ("HEXISTS", "h", "a"),
        ("HEXISTS", "h", "nope"),
        ("HEXISTS", "nokey", "a"),
        ("HSTRLEN", "h", "a"),
        ("HSTRLEN", "h", "c"),
        ("HSTRLEN", "h", "nope"),
        ("HSTRLEN", "nokey", "a"),
        ("HGETALL", "h"),
        ("HKEYS", "h"),
        ("HVALS", "h"),
        ("HGETALL", "nokey"),
        ("HKEYS", "nokey"),
        ("HVALS", "nokey"),
        ("TYPE", "h"),
        ("OBJECT", "ENCODING", "h"),
    ])


def test_hstrlen_integer_like_values(pair):
    for v in ["0", "-1", "123456789", "9223372036854775807", "-9223372036854775808",
              "01", "+5", "1.5", " 7", "99999999999999999999"]:
        pair.same("HSET", "h", "f", v)
        pair.same("HSTRLEN", "h", "f")
        pair.same("HGET", "h", "f")


def test_hsetnx(pair):
    pair.script([
        ("HSETNX", "h", "a", "1"),
        ("HSETNX", "h", "a", "2"),
        ("HGET", "h", "a"),
        ("HSETNX", "h", "b", "3"),
        ("HGETALL", "h"),
        ("EXISTS", "h"),
    ])


def test_arity_and_syntax_errors(pair):
    pair.script([
        ("HSET", "h"),
        ("HSET", "h", "a"),
        ("HSET", "h", "a", "1", "b"),
        ("HMSET", "h", "a", "1", "b"),
        ("HMSET", "h", "a"),
        ("HSETNX", "h", "a"),
        ("HGET", "h"),
        ("HMGET", "h"),
        ("HDEL", "h"),
        ("HLEN",),
        ("HSTRLEN", "h"),
        ("HEXISTS", "h", "a", "b"),
        ("HKEYS", "h", "x"),
        ("HVALS",),
        ("HGETALL", "h", "x"),
        ("HINCRBY", "h", "a"),
        ("HINCRBYFLOAT", "h", "a", "1", "2"),
        ("HRANDFIELD",),
        ("HSCAN", "h"),
        ("EXISTS", "h"),
    ])


def test_wrongtype(pair):
    pair.same("SET", "s", "x")
    pair.same("SADD", "set", "1")
    for key in ("s", "set"):
        for cmd in [
            ("HSET", key, "a", "1"), ("HMSET", key, "a", "1"), ("HSETNX", key, "a", "1"),
            ("HGET", key, "a"), ("HMGET", key, "a"), ("HDEL", key, "a"), ("HLEN", key),
            ("HSTRLEN", key, "a"), ("HEXISTS", key, "a"), ("HKEYS", key), ("HVALS", key),
            ("HGETALL", key), ("HINCRBY", key, "a", "1"), ("HINCRBYFLOAT", key, "a", "1"),
            ("HRANDFIELD", key), ("HRANDFIELD", key, "2"), ("HRANDFIELD", key, "-2", "WITHVALUES"),
            ("HSCAN", key, "0"),
        ]:
            assert pair.same(*cmd) == WRONGTYPE, cmd
    # Argument errors come before the type check where Redis parses first.
    pair.same("HINCRBY", "s", "a", "x")
    pair.same("HINCRBYFLOAT", "s", "a", "x")
    pair.same("HINCRBYFLOAT", "s", "a", "inf")
    pair.same("HRANDFIELD", "s", "x")
    pair.same("HRANDFIELD", "s", "1", "foo")
    pair.same("HSCAN", "s", "x")
    pair.same("HSET", "s", "a", "1", "b")


def test_resp3_shapes(resp3):
    pair = resp3
    pair.script([
        ("HSET", "h", "a", "1", "b", "2"),
        ("HGETALL", "h"),
        ("HGETALL", "nokey"),
        ("HGET", "h", "nope"),
        ("HGET", "nokey", "a"),
        ("HMGET", "h", "a", "nope"),
        ("HKEYS", "h"),
        ("HVALS", "nokey"),
        ("HRANDFIELD", "nokey"),
        ("HRANDFIELD", "nokey", "3"),
        ("HRANDFIELD", "h", "0", "WITHVALUES"),
        ("HRANDFIELD", "h", "5", "WITHVALUES"),
        ("HRANDFIELD", "h", "2", "WITHVALUES"),
        ("HRANDFIELD", "h", "5"),
        ("HSCAN", "h", "0"),
        ("HSCAN", "nokey", "0"),
        ("HINCRBYFLOAT", "h", "f", "1.5"),
        ("HINCRBY", "h", "a", "10"),
    ])


# ===== listpack order and encodings =====

def test_listpack_keeps_insertion_order(pair):
    pair.script([
        ("HSET", "h", "c", "1", "a", "2", "b", "3", "d", "4"),
        ("HSET", "h", "a", "22"),
        ("HDEL", "h", "b"),
        ("HSET", "h", "b", "33", "e", "5"),
        ("HINCRBY", "h", "z", "1"),
        ("HINCRBYFLOAT", "h", "c", "0.5"),
        ("HSETNX", "h", "y", "9"),
        ("HGETALL", "h"),
        ("HKEYS", "h"),
        ("HVALS", "h"),
        ("HSCAN", "h", "0"),
        ("HSCAN", "h", "0", "MATCH", "[a-c]"),
        ("HRANDFIELD", "h", "100"),
        ("HRANDFIELD", "h", "100", "WITHVALUES"),
        ("OBJECT", "ENCODING", "h"),
    ])


def test_default_limits_match(pair):
    pair.same("CONFIG", "GET", "hash-max-listpack-entries")
    pair.same("CONFIG", "GET", "hash-max-listpack-value")
    pair.same("CONFIG", "GET", "hash-max-ziplist-entries")


def test_entry_limit_conversion(pair):
    limit = int(decode(pair.same("CONFIG", "GET", "hash-max-listpack-entries"))[1])
    fill(pair, "h", limit)
    assert same_encoding(pair, "h") == b"$8\r\nlistpack\r\n"
    pair.same("HSET", "h", "f0", "overwrite")
    same_encoding(pair, "h")
    pair.same("HSET", "h", "extra", "1")
    assert same_encoding(pair, "h") == b"$9\r\nhashtable\r\n"
    pair.same("HLEN", "h")
    same_sorted(pair, "HGETALL", "h", pairs=True)
    same_sorted(pair, "HKEYS", "h")
    same_sorted(pair, "HVALS", "h")
    # Conversion is one-way.
    for i in range(limit):
        pair.same("HDEL", "h", "f%d" % i)
    pair.same("HGETALL", "h")
    same_encoding(pair, "h")


def test_small_entry_limit(pair):
    try:
        pair.same("CONFIG", "SET", "hash-max-listpack-entries", "4")
        pair.same("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4")
        same_encoding(pair, "h")
        pair.same("HSETNX", "h", "e", "5")
        same_encoding(pair, "h")
        pair.same("HSET", "g", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
        same_encoding(pair, "g")
        pair.same("HSET", "k", "a", "1", "b", "2", "c", "3", "d", "4")
        pair.same("HINCRBY", "k", "n", "1")
        same_encoding(pair, "k")
        pair.same("HSET", "j", "a", "1", "b", "2", "c", "3", "d", "4")
        pair.same("HINCRBYFLOAT", "j", "n", "1.5")
        same_encoding(pair, "j")
        pair.same("CONFIG", "SET", "hash-max-listpack-entries", "0")
        pair.same("HSET", "z", "a", "1")
        same_encoding(pair, "z")
    finally:
        pair.both("CONFIG", "SET", "hash-max-listpack-entries", "512")


def test_value_length_conversion(pair):
    pair.same("HSET", "h", "f", "x" * 64, "k" * 64, "v")
    assert same_encoding(pair, "h") == b"$8\r\nlistpack\r\n"
    pair.same("HSET", "h", "g", "y" * 65)
    assert same_encoding(pair, "h") == b"$9\r\nhashtable\r\n"
    # A long field converts too.
    pair.same("HSET", "h2", "k" * 65, "v")
    same_encoding(pair, "h2")
    # HSETNX converts only when it stores; an existing field refuses first.
    pair.same("HSET", "h3", "a", "1")
    pair.same("HSETNX", "h3", "a", "z" * 100)
    same_encoding(pair, "h3")
    pair.same("HSETNX", "h3", "b", "z" * 100)
    same_encoding(pair, "h3")
    # HSET converts for any long argument before storing, even one that is overwritten.
    pair.same("HSET", "h4", "a", "z" * 100, "a", "1")
    same_encoding(pair, "h4")
    # HINCRBYFLOAT results longer than the limit convert (hashTypeSet's own check).
    pair.same("HINCRBYFLOAT", "h5", "a", "1e100")
    same_encoding(pair, "h5")
    pair.same("HGET", "h5", "a")


def test_small_value_limit(pair):
    try:
        pair.same("CONFIG", "SET", "hash-max-listpack-value", "3")
        pair.same("HSET", "h", "a", "123")
        same_encoding(pair, "h")
        pair.same("HINCRBY", "h", "a", "1000")
        same_encoding(pair, "h")
        pair.same("HGETALL", "h")
    finally:
        pair.both("CONFIG", "SET", "hash-max-listpack-value", "64")


def test_binary_fields_and_values(pair):
    f, v = b"\x00\xff\r\n field", b"val\x00ue\r\n"
    pair.same("HSET", "h", f, v, b"", b"")
    pair.same("HGET", "h", f)
    pair.same("HGET", "h", b"")
    pair.same("HGETALL", "h")
    pair.same("HSTRLEN", "h", f)
    pair.same("HSCAN", "h", "0", "MATCH", b"\x00*")


# ===== HDEL =====

def test_hdel(pair):
    pair.script([
        ("HSET", "h", "a", "1", "b", "2", "c", "3"),
        ("HDEL", "h", "nope"),
        ("HDEL", "h", "a", "a", "nope"),
        ("HGETALL", "h"),
        ("HDEL", "nokey", "a"),
        ("HDEL", "h", "b", "c", "d"),
        ("EXISTS", "h"),
        ("HLEN", "h"),
    ])


def test_hdel_hashtable(pair):
    fill(pair, "h", 600)
    args = ["f%d" % i for i in range(0, 600, 2)]
    pair.same("HDEL", "h", *args)
    pair.same("HLEN", "h")
    same_sorted(pair, "HKEYS", "h")
    pair.same("HDEL", "h", *["f%d" % i for i in range(600)])
    pair.same("EXISTS", "h")


# ===== HINCRBY / HINCRBYFLOAT =====

def test_hincrby(pair):
    pair.script([
        ("HINCRBY", "h", "a", "1"),
        ("HINCRBY", "h", "a", "-10"),
        ("HINCRBY", "h", "a", "0"),
        ("HSET", "h", "s", "abc", "big", "9223372036854775807", "neg", "-9223372036854775808",
         "lead", "010", "plus", "+1", "sp", " 1", "empty", ""),
        ("HINCRBY", "h", "s", "1"),
        ("HINCRBY", "h", "big", "1"),
        ("HINCRBY", "h", "big", "-1"),
        ("HINCRBY", "h", "neg", "-1"),
        ("HINCRBY", "h", "neg", "1"),
        ("HINCRBY", "h", "lead", "1"),
        ("HINCRBY", "h", "plus", "1"),
        ("HINCRBY", "h", "sp", "1"),
        ("HINCRBY", "h", "empty", "1"),
        ("HINCRBY", "h", "a", "x"),
        ("HINCRBY", "h", "a", "1.5"),
        ("HINCRBY", "h", "a", "9223372036854775808"),
        ("HINCRBY", "h", "a", ""),
        ("HINCRBY", "h", "t", "-9223372036854775808"),
        ("HINCRBY", "h", "t", "-1"),
        ("HINCRBY", "h2", "x", "5"),
        ("HGETALL", "h"),
        ("HGETALL", "h2"),
        ("HINCRBY", "nokey", "f", "x"),
        ("EXISTS", "nokey"),
    ])


HINCRBYFLOAT_CASES = [
    ("a", "0.1"), ("a", "0.2"), ("b", "10.5"), ("b", "0.1"), ("c", "12345678.9"),
    ("c", "0.1"), ("d", "1e308"), ("d", "1e308"), ("e", "1e20"), ("f", "1.5e-10"),
    ("g", "3.0e3"), ("g", "17179869184"), ("i", "5"), ("i", "-5"), ("j", "-0.0"),
    ("k", "0x10"), ("k", "1e400"), ("l", "1e-400"), ("m", "1.1e-4940"),
    ("v", "1.23456789012345678901234"), ("w", "0.3333333333333333333333"), ("x", "100"),
    ("x", "0.0000001"), ("y", "2.5"), ("y", "-2.5"), ("z", "-1e-10"), ("n", "+.5"),
    ("n", "5."), ("n", "1E2"), ("o", "-3"), ("o", "0.00000000000000001"),
    ("p", "0.000000000000000005"), ("q", "18446744073709551617"), ("r", "0x1p-2"),
]


def test_hincrbyfloat_values(pair):
    for field, incr in HINCRBYFLOAT_CASES:
        pair.same("HINCRBYFLOAT", "h", field, incr)
    # Long results turned the hash into a hashtable.
    same_encoding(pair, "h")
    same_sorted(pair, "HGETALL", "h", pairs=True)


def test_hincrbyfloat_errors(pair):
    pair.script([
        ("HSET", "h", "s", "abc", "sp", " 1", "tr", "1 ", "inf", "inf", "huge", "1e5000",
         "int", "7", "lead", "010", "hex", "0x1A"),
        ("HINCRBYFLOAT", "h", "s", "1"),
        ("HINCRBYFLOAT", "h", "sp", "1"),
        ("HINCRBYFLOAT", "h", "tr", "1"),
        ("HINCRBYFLOAT", "h", "inf", "1"),
        ("HINCRBYFLOAT", "h", "huge", "1"),
        ("HINCRBYFLOAT", "h", "int", "1.25"),
        ("HINCRBYFLOAT", "h", "lead", "1"),
        ("HINCRBYFLOAT", "h", "hex", "1"),
        ("HINCRBYFLOAT", "h", "x", "nan"),
        ("HINCRBYFLOAT", "h", "x", "inf"),
        ("HINCRBYFLOAT", "h", "x", "-infinity"),
        ("HINCRBYFLOAT", "h", "x", " 1"),
        ("HINCRBYFLOAT", "h", "x", "1 "),
        ("HINCRBYFLOAT", "h", "x", ""),
        ("HINCRBYFLOAT", "h", "x", "1e5000"),
        ("HINCRBYFLOAT", "h", "x", "1e-5000"),
        ("HINCRBYFLOAT", "h", "x", "abc"),
        ("HINCRBYFLOAT", "h", "x", "1e"),
        ("HINCRBYFLOAT", "h", "big", "1e4932"),
        ("HINCRBYFLOAT", "h", "big", "1e4932"),
        ("HINCRBYFLOAT", "nokey", "x", "inf"),
        ("HINCRBYFLOAT", "nokey", "x", "nan"),
        ("EXISTS", "nokey"),
    ])
    same_encoding(pair, "h")
    same_sorted(pair, "HGETALL", "h", pairs=True)


# ===== HRANDFIELD =====

def test_hrandfield_errors(pair):
    pair.same("HSET", "h", "a", "1", "b", "2")
    for args in [
        ("x",), ("1.5",), ("-9223372036854775808",), ("1", "foo"), ("1", "withvalues", "x"),
        ("4611686018427387904", "foo"), ("4611686018427387904", "WITHVALUES"),
        ("-4611686018427387904", "withvalues"), ("x", "withvalues"),
    ]:
        pair.same("HRANDFIELD", "h", *args)
        pair.same("HRANDFIELD", "nokey", *args)
    pair.same("HRANDFIELD", "h", "4611686018427387904")
    pair.same("HRANDFIELD", "h", "4611686018427387903", "withvalues")
    pair.same("HRANDFIELD", "nokey")
    pair.same("HRANDFIELD", "nokey", "0")
    pair.same("HRANDFIELD", "nokey", "-5", "WITHVALUES")
    pair.same("HRANDFIELD", "h", "0")
    pair.same("HRANDFIELD", "h", "0", "withvalues")


@pytest.mark.parametrize("size", [10, 700])
@pytest.mark.parametrize("proto", [2, 3])
def test_hrandfield_rules(pair, size, proto):
    fill(pair, "h", size)
    pair.both("HELLO", str(proto))
    try:
        h = dict(("f%d" % i, "v%d" % i) for i in range(size))
        for conn in (pair.ours, pair.theirs):
            one = decode(conn.call("HRANDFIELD", "h"))
            assert one.decode() in h
            for count in (1, 2, 3, 5, size // 2, size - 1, size, size + 5):
                for withvalues in (False, True):
                    args = ["HRANDFIELD", "h", str(count)] + (["WITHVALUES"] if withvalues else [])
                    got = decode(conn.call(*args))
                    if withvalues:
                        got = [tuple(p) for p in got] if proto == 3 else flat_pairs(got)
                        assert all(h[f.decode()] == v.decode() for f, v in got)
                        fields = [f for f, _ in got]
                    else:
                        fields = got
                    assert len(fields) == min(count, size), args
                    assert len(set(fields)) == len(fields), "distinct"
                    assert all(f.decode() in h for f in fields)
            for count in (-1, -3, -(size * 2)):
                got = decode(conn.call("HRANDFIELD", "h", str(count), "WITHVALUES"))
                got = [tuple(p) for p in got] if proto == 3 else flat_pairs(got)
                assert len(got) == -count
                assert all(h[f.decode()] == v.decode() for f, v in got)
                fields = decode(conn.call("HRANDFIELD", "h", str(count)))
                assert len(fields) == -count and all(f.decode() in h for f in fields)
        # The whole hash, in encoding order: identical for a listpack.
        if size <= 128:
            pair.same("HRANDFIELD", "h", str(size))
            pair.same("HRANDFIELD", "h", str(size + 1), "WITHVALUES")
        else:
            same_sorted(pair, "HRANDFIELD", "h", str(size))
    finally:
        pair.both("HELLO", "2")


def test_hrandfield_is_random(pair):
    fill(pair, "h", 20)
    for conn in (pair.ours, pair.theirs):
        seen = set()
        for _ in range(200):
            seen.add(decode(conn.call("HRANDFIELD", "h")))
        assert len(seen) > 10
        repeats = decode(conn.call("HRANDFIELD", "h", "-200"))
        assert len(set(repeats)) > 10


# ===== HSCAN =====

def test_hscan_listpack(pair):
    fill(pair, "h", 20)
    pair.script([
        ("HSCAN", "h", "0"),
        ("HSCAN", "h", "123"),
        ("HSCAN", "h", "0", "COUNT", "1"),
        ("HSCAN", "h", "0", "MATCH", "f1*"),
        ("HSCAN", "h", "0", "match", "f1*", "count", "3", "MATCH", "*"),
        ("HSCAN", "h", "0", "MATCH", "v*"),
        ("HSCAN", "h", "", "MATCH", "f?"),
        ("HSCAN", "h", "-1"),
        ("HSCAN", "h", "+0"),
        ("HSCAN", "h", "18446744073709551615"),
    ])


def test_hscan_errors(pair):
    pair.same("HSET", "h", "a", "1")
    for cursor in ["x", " 1", "1 ", "18446744073709551616", "1.5", "-", "0x1"]:
        pair.same("HSCAN", "h", cursor)
        pair.same("HSCAN", "nokey", cursor)
    for opts in [("COUNT", "0"), ("COUNT", "-1"), ("COUNT", "x"), ("COUNT",), ("MATCH",),
                 ("FOO", "bar"), ("TYPE", "hash"), ("NOVALUES",), ("COUNT", "1", "MATCH")]:
        pair.same("HSCAN", "h", "0", *opts)
        # Options are parsed after the key lookup: a missing key never sees them.
        pair.same("HSCAN", "nokey", "0", *opts)


def test_hscan_hashtable_covers_everything(pair):
    fill(pair, "h", 1000)
    expected = sorted((("f%d" % i).encode(), ("v%d" % i).encode()) for i in range(1000))
    for conn in (pair.ours, pair.theirs):
        items, calls = scan_all(conn, "HSCAN", "h")
        assert sorted(set(flat_pairs(items))) == expected
        assert calls > 1
        items, _ = scan_all(conn, "HSCAN", "h", "COUNT", "200", "MATCH", "f1*")
        got = sorted(set(flat_pairs(items)))
        assert got == [p for p in expected if p[0].startswith(b"f1")]
        # COUNT bounds the work of one call, not a guarantee: a large COUNT finishes
        # the table in one call on both servers.
        reply = decode(conn.call("HSCAN", "h", "0", "COUNT", "100000"))
        assert reply[0] == b"0" and len(reply[1]) == 2000


# ===== side effects: events, dirty, stats, WATCH =====

EVENT_SCRIPT = [
    ("HSET", "h", "a", "1", "b", "2"),
    ("HSET", "h", "a", "1"),
    ("HMSET", "h", "c", "3"),
    ("HSETNX", "h", "a", "9"),
    ("HSETNX", "h", "d", "4"),
    ("HSETNX", "new", "d", "4"),
    ("HINCRBY", "h", "n", "5"),
    ("HINCRBY", "h2", "n", "5"),
    ("HINCRBY", "h", "a", "x"),
    ("HINCRBYFLOAT", "h", "f", "1.5"),
    ("HINCRBYFLOAT", "h3", "f", "1.5"),
    ("HINCRBYFLOAT", "h", "a", "inf"),
    ("HDEL", "h", "nope"),
    ("HDEL", "h", "a", "b"),
    ("HDEL", "h2", "n"),
    ("HGET", "nokey", "a"),
    ("HGET", "h", "c"),
    ("HMGET", "nokey", "a"),
    ("HLEN", "nokey"),
    ("HGETALL", "nokey"),
    ("HRANDFIELD", "nokey"),
    ("HSCAN", "nokey", "0"),
    ("HEXISTS", "nokey", "a"),
    ("HSTRLEN", "nokey", "a"),
]


def test_keyspace_events(pair, rhea_server, redis_server):
    pair.both("CONFIG", "SET", "notify-keyspace-events", "KEAnm")
    subs = []
    try:
        for srv in (rhea_server, redis_server):
            s = RawConn(srv.port)
            s.call("PSUBSCRIBE", "__key*__:*")
            subs.append(s)
        pair.script(EVENT_SCRIPT)
        pair.same("PING")
        events = [collect_events(s) for s in subs]
        assert events[0] == events[1]
        assert (b"__keyevent@0__:new", b"h") in events[1]
    finally:
        pair.both("CONFIG", "SET", "notify-keyspace-events", "")
        for s in subs:
            s.close()


def test_dirty_counts(pair):
    for cmd in EVENT_SCRIPT:
        before = [info_field(c, "persistence", "rdb_changes_since_last_save")
                  for c in (pair.ours, pair.theirs)]
        pair.same(*cmd)
        after = [info_field(c, "persistence", "rdb_changes_since_last_save")
                 for c in (pair.ours, pair.theirs)]
        assert after[0] - before[0] == after[1] - before[1], cmd


def test_keyspace_hits_and_misses(pair):
    pair.same("HSET", "h", "a", "1")
    for cmd in EVENT_SCRIPT + [("HRANDFIELD", "h", "2"), ("HSCAN", "h", "0", "COUNT", "0")]:
        pair.both("CONFIG", "RESETSTAT")
        pair.both(*cmd)
        for field in ("keyspace_hits", "keyspace_misses"):
            got = [info_field(c, "stats", field) for c in (pair.ours, pair.theirs)]
            assert got[0] == got[1], (cmd, field, got)


@pytest.mark.parametrize("cmd,touches", [
    (("HSET", "h", "a", "1"), True),
    (("HSET", "h", "a", "old"), True),
    (("HSETNX", "h", "a", "x"), False),
    (("HSETNX", "h", "z", "x"), True),
    (("HDEL", "h", "nope"), False),
    (("HDEL", "h", "a"), True),
    (("HINCRBY", "h", "n", "1"), True),
    (("HINCRBY", "h", "a", "1"), False),
    (("HINCRBYFLOAT", "h", "n", "1"), True),
    (("HGET", "h", "a"), False),
    (("HGETALL", "h"), False),
])
def test_watch(pair, rhea_server, redis_server, cmd, touches):
    pair.same("HSET", "h", "a", "old")
    others = [RawConn(s.port) for s in (rhea_server, redis_server)]
    try:
        pair.same("WATCH", "h")
        pair.same("MULTI")
        pair.same("PING")
        a, b = (o.call(*cmd) for o in others)
        assert a == b
        reply = pair.same("EXEC")
        assert (reply == b"*-1\r\n") == touches
    finally:
        for o in others:
            o.close()


def test_inside_multi(pair):
    pair.script([
        ("MULTI",),
        ("HSET", "h", "a", "1"),
        ("HINCRBYFLOAT", "h", "a", "0.1"),
        ("HGETALL", "h"),
        ("HGET", "h", "a", "extra"),
        ("EXEC",),
        ("MULTI",),
        ("HSET", "h", "a", "1", "b"),
        ("HGET", "h", "a"),
        ("EXEC",),
    ])


def test_expired_hash_is_gone(pair):
    pair.same("HSET", "h", "a", "1")
    pair.same("PEXPIRE", "h", "1")
    import time
    time.sleep(0.05)
    pair.script([
        ("HGET", "h", "a"),
        ("HSETNX", "h", "b", "2"),
        ("HGETALL", "h"),
        ("TTL", "h"),
    ])


def test_err_type_is_exception_free():
    # agg_helpers sanity: decode errors and maps.
    assert decode(b"-ERR x\r\n") == Err("ERR x")
    assert isinstance(decode(b"%1\r\n$1\r\na\r\n:1\r\n"), RMap)
