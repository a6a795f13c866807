"""DEBUG against Redis 7.0: enable-debug-command gating, DIGEST / DIGEST-VALUE equality
after the same writes, OBJECT, PROTOCOL, ERROR, SLEEP and the other hooks."""
import re
import time

import pytest

from admin_util import ServerPair, call, value
from conftest import Pair
from resp import RawConn


@pytest.fixture(scope="module")
def debug_servers():
    p = ServerPair("--enable-debug-command", "yes")
    yield p
    p.cleanup()


@pytest.fixture
def dpair(debug_servers):
    ours, theirs = debug_servers.conns()
    ours.call("FLUSHALL")
    theirs.call("FLUSHALL")
    yield Pair(ours, theirs)
    ours.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    theirs.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    ours.close()
    theirs.close()


def supported(pair, *names):
    """Skip unless Rhea already implements every command named."""
    for n in names:
        if value(pair.ours.call("COMMAND", "INFO", n))[0] is None:
            pytest.skip("%s not implemented yet" % n)


@pytest.mark.parametrize("mode", ["no", "local", "yes"])
def test_gating(mode):
    p = ServerPair("--enable-debug-command", mode)
    try:
        ours, theirs = p.conns()
        pair = Pair(ours, theirs)
        pair.same("DEBUG", "HELP")
        pair.same("DEBUG", "DIGEST")
        pair.same("DEBUG")
        pair.same("MULTI")
        pair.same("DEBUG", "DIGEST")
        pair.same("EXEC")
        ours.close()
        theirs.close()
    finally:
        p.cleanup()


@pytest.mark.parametrize("args", [
    ("DEBUG", "HELP"),
    ("DEBUG", "FOO"),
    ("DEBUG", "foo", "bar"),
    ("DEBUG", "SLEEP"),
    ("DEBUG", "SLEEP", "0"),
    ("DEBUG", "SLEEP", "abc"),
    ("DEBUG", "ERROR", "foo bar"),
    ("DEBUG", "ERROR", "ERR custom"),
    ("DEBUG", "ERROR", "WRONGTYPE x"),
    ("DEBUG", "ERROR", "a", "b"),
    ("DEBUG", "LOG", "hello from the test"),
    ("DEBUG", "OBJECT", "nokey"),
    ("DEBUG", "OBJECT"),
    ("DEBUG", "DIGEST"),
    ("DEBUG", "DIGEST", "x"),
    ("DEBUG", "DIGEST-VALUE"),
    ("DEBUG", "DIGEST-VALUE", "nokey", "nokey2"),
    ("DEBUG", "CHANGE-REPL-ID"),
    ("DEBUG", "SET-ACTIVE-EXPIRE", "0"),
    ("DEBUG", "SET-ACTIVE-EXPIRE", "1"),
    ("DEBUG", "SET-ACTIVE-EXPIRE"),
    ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "10"),
    ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "5gb"),
    ("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "x"),
    ("DEBUG", "LISTPACK", "nokey"),
    ("DEBUG", "QUICKLIST", "nokey"),
    ("DEBUG", "PROTOCOL", "foo"),
    ("DEBUG", "POPULATE", "-1"),
    ("DEBUG", "POPULATE", "x"),
])
def test_fixed_replies(dpair, args):
    dpair.same(*args)


@pytest.mark.parametrize("proto", ["2", "3"])
def test_protocol(dpair, proto):
    dpair.both("HELLO", proto)
    for t in ["string", "integer", "double", "bignum", "null", "array", "set", "map",
              "attrib", "true", "false", "verbatim", "STRING"]:
        dpair.same("DEBUG", "PROTOCOL", t)
    if proto == "3":
        # A push, then the real reply.
        a, b = dpair.both("DEBUG", "PROTOCOL", "push")
        assert a == b == b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
        assert dpair.ours.read_reply() == dpair.theirs.read_reply()
    else:
        dpair.same("DEBUG", "PROTOCOL", "push")


def test_sleep_blocks_the_server(debug_servers):
    for srv in debug_servers.both():
        a, b = RawConn(srv.port), RawConn(srv.port)
        t0 = time.time()
        a.send_raw(b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.5\r\n")
        time.sleep(0.05)
        assert b.call("PING") == b"+PONG\r\n"
        assert time.time() - t0 >= 0.45, srv.name
        assert a.read_reply() == b"+OK\r\n"
        a.close()
        b.close()


def test_digest_empty(dpair):
    assert dpair.same("DEBUG", "DIGEST") == b"+" + b"0" * 40 + b"\r\n"


def digest_script(pair, script):
    for cmd in script:
        pair.both(*cmd)
    pair.same("DEBUG", "DIGEST")
    keys = sorted({c[1] for c in script if len(c) > 1 and c[0] not in ("SELECT",)})
    pair.same("DEBUG", "DIGEST-VALUE", *keys)


def test_digest_strings(dpair):
    supported(dpair, "set", "incr", "append")
    digest_script(dpair, [
        ("SET", "a", "1"), ("SET", "b", "2", "EX", "100"), ("SET", "c", "hello"),
        ("SET", "big", "x" * 100), ("INCR", "n"), ("APPEND", "c", " world"),
        ("SET", "neg", "-12345678901"),
    ])
    dpair.same("DEBUG", "DIGEST-VALUE", "a", "b", "nokey")


def test_digest_known_value(dpair):
    """The digest of Redis's own dataset `a=1, b=2 (with TTL)`, captured once."""
    supported(dpair, "set")
    dpair.both("SET", "a", "1")
    dpair.both("SET", "b", "2", "EX", "100")
    assert dpair.same("DEBUG", "DIGEST") == b"+2a565ed44c86ad1d3853f38b8cbf0a4f8a0a14b5\r\n"


def test_digest_databases(dpair):
    supported(dpair, "set", "select")
    digest_script(dpair, [("SET", "k", "v"), ("SELECT", "3"), ("SET", "k", "v")])
    dpair.both("SELECT", "0")
    dpair.same("DEBUG", "DIGEST")


def test_digest_lists(dpair):
    supported(dpair, "rpush", "lpush")
    digest_script(dpair, [
        ("RPUSH", "l", "1", "200", "-5000", "70000", "x", "yy"), ("LPUSH", "l2", "a", "b"),
        ("RPUSH", "l3", *[str(i) for i in range(300)]),
    ])


def test_digest_hashes(dpair):
    supported(dpair, "hset")
    digest_script(dpair, [
        ("HSET", "h", "f1", "v1", "f2", "12"),
        ("HSET", "big", *[x for i in range(200) for x in ("f%d" % i, "v%d" % i)]),
    ])


def test_digest_sets(dpair):
    supported(dpair, "sadd")
    digest_script(dpair, [
        ("SADD", "s", "1", "2", "3"), ("SADD", "s2", "a", "1"),
        ("SADD", "s3", *[str(i) for i in range(1000)]),
    ])


def test_digest_zsets(dpair):
    supported(dpair, "zadd")
    digest_script(dpair, [
        ("ZADD", "z", "1.5", "a", "2", "b", "-3", "c"),
        ("ZADD", "z2", "0.1", "x", "inf", "y", "-inf", "z", "1e300", "w"),
        ("ZADD", "z3", *[x for i in range(200) for x in (str(i / 7), "m%d" % i)]),
    ])


def test_digest_expiry_changes_it(dpair):
    supported(dpair, "set", "expire", "persist")
    dpair.both("SET", "k", "v")
    before = dpair.same("DEBUG", "DIGEST")
    dpair.both("EXPIRE", "k", "1000")
    with_ttl = dpair.same("DEBUG", "DIGEST")
    assert with_ttl != before
    dpair.both("PERSIST", "k")
    assert dpair.same("DEBUG", "DIGEST") == before


def test_populate(dpair):
    supported(dpair, "dbsize", "get")
    dpair.same("DEBUG", "POPULATE", "100")
    dpair.same("DEBUG", "POPULATE", "10", "pre", "20")
    dpair.same("DEBUG", "POPULATE", "5", "short", "3")
    dpair.same("DBSIZE")
    dpair.same("GET", "key:7")
    dpair.same("GET", "pre:3")
    dpair.same("GET", "short:1")
    dpair.same("DEBUG", "DIGEST")


OBJECT_RE = re.compile(r"Value at:0x[0-9a-f]+ refcount:(\d+) encoding:(\S+) serializedlength:(\d+) "
                       r"lru:\d+ lru_seconds_idle:\d+( ql_nodes:\d+ ql_avg_node:\d+\.\d\d "
                       r"ql_listpack_max:-?\d+ ql_compressed:\d ql_uncompressed_size:\d+)?")


def object_fields(conn, key):
    line = value(conn.call("DEBUG", "OBJECT", key))
    m = OBJECT_RE.fullmatch(line)
    assert m, line
    return m.group(1), m.group(2), m.group(3), re.sub(r"\d+$", "", m.group(4) or "")


def test_object(dpair):
    supported(dpair, "set", "rpush", "hset", "sadd", "zadd")
    for cmd in [("SET", "small", "5"), ("SET", "i", "12345"), ("SET", "s", "hello"),
                ("SET", "n11", "12345678901"), ("RPUSH", "l", "1", "200", "-5000", "x"),
                ("HSET", "h", "f1", "v1", "f2", "12"), ("SADD", "is", "1", "2", "3"),
                ("SADD", "hs", "a", "b"), ("ZADD", "z", "1.5", "a", "2", "b", "-3", "c")]:
        dpair.both(*cmd)
        key = cmd[1]
        assert object_fields(dpair.ours, key) == object_fields(dpair.theirs, key), key
    dpair.same("DEBUG", "LISTPACK", "s")
    dpair.same("DEBUG", "LISTPACK", "h")
    dpair.same("DEBUG", "QUICKLIST", "l")
    dpair.same("DEBUG", "QUICKLIST", "h")


def test_set_active_expire(dpair):
    supported(dpair, "set", "dbsize")
    dpair.same("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    dpair.same("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_error_is_not_counted(dpair):
    """DEBUG ERROR's reply counts neither in errorstats nor as a failed call."""
    dpair.same("CONFIG", "RESETSTAT")
    dpair.same("DEBUG", "ERROR", "MYCODE something")
    dpair.same("INFO", "errorstats")
    for conn in (dpair.ours, dpair.theirs):
        text = call(conn, "INFO", "commandstats").decode()
        assert "failed_calls=0" in text.split("cmdstat_debug:")[1].split("\r\n")[0]
