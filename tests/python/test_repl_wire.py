"""Golden facts about the replication stream of a REAL redis-server 7.0.15 master.

We act as a replica by hand (`repl_util.FakeReplica`: PING, REPLCONF, PSYNC ? -1), then
write on another connection and check the exact propagated bytes and offsets.
`crates/rhea-server/src/repl/feed.rs` documents and unit-tests the same stream; the
per-command forms are tabulated in `test_repl_forms.py`.
"""
import re
import time

from repl_util import FakeReplica
from resp import RawConn, encode
from servers import start_redis

MS = rb"\$13\r\n(\d{13})\r\n"


def cmd(*args):
    return re.escape(encode(*args))


def test_propagated_forms_match_redis_7_0():
    s = start_redis("--repl-diskless-sync", "no")
    try:
        c = RawConn(s.port)
        assert c.call("REPLCONF", "foo", "1") == b"-ERR Unrecognized REPLCONF option: foo\r\n"
        assert c.call("REPLCONF", "rdb-only", "2") == b"-ERR value is out of range, value must between 0 and 1\r\n"
        r = FakeReplica(s.port)  # PING, REPLCONF, PSYNC ? -1, the RDB ($<len>, no CRLF)
        assert r.offset == 0
        for args in [("SET", "foo", "bar"), ("set", "k", "v", "NX", "EX", "100"), ("expire", "foo", "100"),
                     ("SETEX", "s", "100", "v"), ("GETEX", "s", "PERSIST"), ("GETEX", "s"),
                     ("EXPIRE", "s", "-1"), ("SELECT", "3"), ("SET", "x", "1"), ("SELECT", "0"),
                     ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("EXEC",),
                     ("MULTI",), ("SET", "a", "1"), ("EXEC",), ("INCRBYFLOAT", "f", "1.5")]:
            c.call(*args)
        c.call("SET", "e", "1", "PX", "1")
        time.sleep(0.05)
        c.call("GET", "e")
        data = r.read_raw()
        want = b"".join([
            cmd("SELECT", "0"), cmd("SET", "foo", "bar"),
            rb"\*5\r\n\$3\r\nSET\r\n\$1\r\nk\r\n\$1\r\nv\r\n\$4\r\nPXAT\r\n" + MS,
            rb"\*3\r\n\$9\r\nPEXPIREAT\r\n\$3\r\nfoo\r\n" + MS,
            rb"\*5\r\n\$3\r\nSET\r\n\$1\r\ns\r\n\$1\r\nv\r\n\$4\r\nPXAT\r\n" + MS,
            cmd("PERSIST", "s"), cmd("DEL", "s"),
            cmd("SELECT", "3"), cmd("SET", "x", "1"), cmd("SELECT", "0"),
            cmd("MULTI"), cmd("SET", "a", "1"), cmd("INCR", "a"), cmd("EXEC"),
            cmd("SET", "a", "1"), cmd("SET", "f", "1.5", "KEEPTTL"),
            rb"\*5\r\n\$3\r\nSET\r\n\$1\r\ne\r\n\$1\r\n1\r\n\$4\r\nPXAT\r\n" + MS,
            cmd("DEL", "e"),
        ])
        assert re.fullmatch(want, data), data
        info = c.call("INFO", "replication")
        assert b"repl_backlog_first_byte_offset:1\r\n" in info
        assert b"master_repl_offset:%d\r\n" % len(data) in info
    finally:
        s.cleanup()
