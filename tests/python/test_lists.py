"""List commands, compared byte for byte with Redis 7.0: every command, option and error
path in RESP2 and RESP3, keyspace notifications, WATCH, MULTI, and the blocking commands
with several raw connections per server.

Blocking scenarios run the same script against each server in turn and compare what every
client received. Clients are ordered by a short pause after each blocking send (both
servers see the same order); timeouts are short and read timeouts generous.
"""
import time

import pytest

from resp import RawConn, encode, hello3, parse, unknown, value
from blocking_util import conns, on_both, pending, send, settle

# ===== helpers =====


def require(conn, *args):
    """Run a command another family provides; skip the test while it is missing."""
    r = conn.call(*args)
    if unknown(r):
        pytest.skip("%s not implemented in Rhea yet" % args[0])
    return r


def make_string(pair, key):
    """A non-list key for WRONGTYPE paths (needs SET from the strings family)."""
    require(pair.ours, "SET", key, "str")
    pair.theirs.call("SET", key, "str")


# ===== metadata =====

LIST_COMMANDS = [
    "lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange", "lindex", "lset",
    "linsert", "lrem", "ltrim", "lpos", "lmove", "rpoplpush", "lmpop", "blpop", "brpop",
    "blmove", "brpoplpush", "blmpop",
]


@pytest.mark.parametrize("name", LIST_COMMANDS)
def test_command_info_basics(pair, name):
    """Arity, flags, legacy key spec and ACL categories as COMMAND INFO reports them."""
    ours = require(pair.ours, "COMMAND", "INFO", name)
    theirs = pair.theirs.call("COMMAND", "INFO", name)
    a, b = parse(ours)[0][0], parse(theirs)[0][0]
    assert a[:7] == b[:7]


@pytest.mark.parametrize("args", [
    ("LPUSH", "k"), ("RPUSH", "k"), ("LPUSHX", "k"), ("RPUSHX", "k"), ("LPOP",), ("RPOP",),
    ("LPOP", "k", "1", "2"), ("RPOP", "k", "1", "2"), ("LLEN",), ("LLEN", "a", "b"),
    ("LRANGE", "k", "0"), ("LINDEX", "k"), ("LSET", "k", "0"), ("LINSERT", "k", "before", "x"),
    ("LREM", "k", "0"), ("LTRIM", "k", "0"), ("LPOS", "k"), ("LMOVE", "a", "b", "left"),
    ("RPOPLPUSH", "a"), ("LMPOP", "1", "k"), ("BLPOP", "k"), ("BRPOP", "k"),
    ("BLMOVE", "a", "b", "left", "right"), ("BRPOPLPUSH", "a", "b"), ("BLMPOP", "0", "1", "k"),
])
def test_arity_errors(pair, args):
    pair.same(*args)


# ===== push / pop =====


def test_push_and_pushx(pair):
    pair.script([
        ("LPUSHX", "k", "a"), ("RPUSHX", "k", "a", "b"), ("LLEN", "k"),
        ("LPUSH", "k", "a", "b", "c"), ("RPUSH", "k", "d", "e"), ("LRANGE", "k", "0", "-1"),
        ("LPUSHX", "k", "x", "y"), ("RPUSHX", "k", "z"), ("LRANGE", "k", "0", "-1"),
        ("LPUSH", "k", ""), ("RPUSH", "k", "12345"), ("LRANGE", "k", "0", "-1"), ("LLEN", "k"),
        ("RPUSH", "bin", "\x00\xff\r\n"), ("LRANGE", "bin", "0", "-1"),
    ])


def test_pop_single_and_count(pair):
    pair.script([
        ("LPOP", "k"), ("RPOP", "k"), ("LPOP", "k", "0"), ("RPOP", "k", "3"),
        ("LPOP", "k", "-1"), ("LPOP", "k", "x"), ("RPOP", "k", "1.5"),
        ("RPUSH", "k", "a", "b", "c", "d", "e"),
        ("LPOP", "k"), ("RPOP", "k"), ("LPOP", "k", "0"), ("LPOP", "k", "-1"), ("RPOP", "k", "abc"),
        ("RPOP", "k", "2"), ("LRANGE", "k", "0", "-1"), ("LPOP", "k", "10"), ("LLEN", "k"),
        ("LPOP", "k"), ("LPOP", "k", "1"),
        ("RPUSH", "k", "a", "b"), ("LPOP", "k", "9223372036854775807"), ("LLEN", "k"),
        ("RPUSH", "k", "a"), ("RPOP", "k"), ("RPOP", "k"),
    ])


def test_pop_resp3(pair):
    hello3(pair)
    pair.script([
        ("LPOP", "k"), ("RPOP", "k"), ("LPOP", "k", "1"), ("RPOP", "k", "0"), ("LINDEX", "k", "0"),
        ("LPOS", "k", "a"), ("LPOS", "k", "a", "COUNT", "0"), ("LMPOP", "1", "k", "LEFT"),
        ("RPOPLPUSH", "k", "d"), ("LMOVE", "k", "d", "LEFT", "RIGHT"),
        ("RPUSH", "k", "a", "b", "c"), ("LPOP", "k", "0"), ("RPOP", "k", "2"), ("LPOP", "k"),
        ("LINDEX", "k", "5"), ("LPOS", "k", "zz"), ("LRANGE", "k", "0", "-1"),
        ("RPUSH", "k", "x", "y"), ("LMPOP", "1", "k", "RIGHT", "COUNT", "5"),
    ])


def test_wrongtype_everywhere(pair):
    make_string(pair, "s")
    pair.same("RPUSH", "l", "a", "b")
    pair.script([
        ("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"), ("RPUSHX", "s", "a"),
        ("LPOP", "s"), ("RPOP", "s", "2"), ("LLEN", "s"), ("LRANGE", "s", "0", "-1"),
        ("LINDEX", "s", "0"), ("LSET", "s", "0", "x"), ("LINSERT", "s", "BEFORE", "a", "b"),
        ("LREM", "s", "0", "a"), ("LTRIM", "s", "0", "1"), ("LPOS", "s", "a"),
        ("LMOVE", "s", "l", "LEFT", "LEFT"), ("LMOVE", "l", "s", "LEFT", "LEFT"),
        ("RPOPLPUSH", "s", "l"), ("RPOPLPUSH", "l", "s"), ("RPOPLPUSH", "nokey", "s"),
        ("LMPOP", "2", "nokey", "s", "LEFT"), ("LMPOP", "2", "l", "s", "LEFT"),
        ("BLPOP", "nokey", "s", "0"), ("BRPOP", "s", "l", "0"), ("BLMPOP", "0", "1", "s", "LEFT"),
        ("BLMOVE", "s", "l", "LEFT", "LEFT", "0"), ("BLMOVE", "l", "s", "LEFT", "LEFT", "0"),
        ("BRPOPLPUSH", "s", "l", "0"), ("LRANGE", "l", "0", "-1"),
        # Argument errors win over the type check where Redis parses first.
        ("LPOP", "s", "-1"), ("LRANGE", "s", "x", "0"), ("LINDEX", "s", "x"), ("LREM", "s", "x", "a"),
        ("LINSERT", "s", "middle", "a", "b"), ("LPOS", "s", "a", "RANK", "0"),
        ("LMOVE", "s", "l", "UP", "LEFT"), ("BLPOP", "s", "-1"),
    ])


# ===== reading =====


def test_lrange_and_llen(pair):
    pair.same("RPUSH", "k", *"abcdefghij")
    for start, end in [(0, -1), (0, 0), (-1, -1), (-3, -1), (2, 5), (5, 2), (-100, 100), (10, 20),
                       (0, -11), (-11, -10), (9, 9), (3, -3), ("-9223372036854775808", "9223372036854775807")]:
        pair.same("LRANGE", "k", start, end)
    pair.script([
        ("LRANGE", "k", "x", "1"), ("LRANGE", "k", "0", "1.0"), ("LRANGE", "k", "01", "2"),
        ("LRANGE", "nokey", "0", "-1"), ("LRANGE", "nokey", "a", "b"),
        ("LLEN", "k"), ("LLEN", "nokey"),
    ])


def test_lindex(pair):
    pair.same("RPUSH", "k", "a", "b", "c")
    for i in ["0", "1", "2", "3", "-1", "-3", "-4", "100", "-9223372036854775808",
              "9223372036854775807", "x", "1.5", " 1"]:
        pair.same("LINDEX", "k", i)
    pair.same("LINDEX", "nokey", "0")
    pair.same("LINDEX", "nokey", "x")


def test_lpos(pair):
    pair.same("RPUSH", "k", "a", "b", "c", "a", "b", "c", "a", "1", "2", "a")
    cases = [
        ("a",), ("c",), ("zz",), ("a", "RANK", "2"), ("a", "RANK", "-1"), ("a", "RANK", "-2"),
        ("a", "RANK", "5"), ("a", "RANK", "-5"), ("a", "rank", "9223372036854775807"),
        ("a", "RANK", "-9223372036854775808"), ("a", "RANK", "-9223372036854775808", "COUNT", "1"),
        ("a", "COUNT", "0"), ("a", "COUNT", "2"), ("a", "COUNT", "10"), ("zz", "COUNT", "0"),
        ("a", "RANK", "2", "COUNT", "2"), ("a", "RANK", "-2", "COUNT", "0"),
        ("a", "MAXLEN", "3"), ("a", "MAXLEN", "4", "COUNT", "0"), ("a", "RANK", "-1", "MAXLEN", "2"),
        ("a", "RANK", "-1", "MAXLEN", "1"), ("a", "MAXLEN", "0", "COUNT", "0"),
        ("a", "COUNT", "1", "COUNT", "0"), ("a", "RANK", "2", "RANK", "1"),
        ("a", "RANK", "0"), ("a", "RANK", "x"), ("a", "RANK", "1.5"), ("a", "COUNT", "-1"),
        ("a", "COUNT", "x"), ("a", "MAXLEN", "-1"), ("a", "MAXLEN", "x"), ("a", "FOO", "1"),
        ("a", "RANK"), ("a", "COUNT"), ("a", "MAXLEN"), ("a", "COUNT", "1", "extra"),
        ("1",), ("2", "COUNT", "0"),
    ]
    for c in cases:
        pair.same("LPOS", "k", *c)
        pair.same("LPOS", "nokey", *c)


# ===== in-place edits =====


def test_lset(pair):
    pair.script([
        ("LSET", "nokey", "0", "x"), ("LSET", "nokey", "x", "x"),
        ("RPUSH", "k", "a", "b", "c"), ("LSET", "k", "0", "A"), ("LSET", "k", "-1", "C"),
        ("LSET", "k", "3", "x"), ("LSET", "k", "-4", "x"), ("LSET", "k", "x", "x"),
        ("LSET", "k", "1", ""), ("LRANGE", "k", "0", "-1"),
    ])


def test_linsert(pair):
    pair.script([
        ("LINSERT", "nokey", "BEFORE", "a", "x"), ("LINSERT", "nokey", "middle", "a", "x"),
        ("RPUSH", "k", "a", "b", "a"), ("LINSERT", "k", "BEFORE", "a", "x"),
        ("LINSERT", "k", "after", "a", "y"), ("LINSERT", "k", "AfTeR", "b", "z"),
        ("LINSERT", "k", "before", "nope", "w"), ("LINSERT", "k", "sideways", "a", "w"),
        ("LRANGE", "k", "0", "-1"),
    ])


def test_lrem(pair):
    seed = ("RPUSH", "k", "a", "b", "a", "c", "a", "b", "a")
    pair.script([
        ("LREM", "nokey", "0", "a"), ("LREM", "nokey", "x", "a"),
        seed, ("LREM", "k", "2", "a"), ("LRANGE", "k", "0", "-1"),
        ("LREM", "k", "-1", "b"), ("LRANGE", "k", "0", "-1"),
        ("LREM", "k", "0", "zz"), ("LREM", "k", "x", "a"), ("LREM", "k", "1.0", "a"),
        ("LREM", "k", "0", "a"), ("LRANGE", "k", "0", "-1"),
        ("LREM", "k", "-9223372036854775808", "c"), ("LREM", "k", "0", "b"), ("LLEN", "k"),
        seed, ("LREM", "k", "-2", "a"), ("LRANGE", "k", "0", "-1"),
        ("LREM", "k", "100", "a"), ("LRANGE", "k", "0", "-1"),
    ])


def test_ltrim(pair):
    for start, end in [(0, -1), (1, -2), (-3, -1), (2, 1), (5, 100), (-100, 0), (0, -11),
                       ("-9223372036854775808", "9223372036854775807"), (20, 30)]:
        pair.same("LTRIM", "k", 1, 0)  # deletes the list
        pair.same("RPUSH", "k", *"abcdefghij")
        pair.same("LTRIM", "k", start, end)
        pair.same("LRANGE", "k", 0, -1)
        pair.same("LLEN", "k")
    pair.script([
        ("LTRIM", "nokey", "0", "1"), ("LTRIM", "nokey", "x", "1"), ("LTRIM", "k", "0", "y"),
    ])


# ===== moving =====


def test_lmove_and_rpoplpush(pair):
    pair.script([
        ("LMOVE", "a", "b", "LEFT", "RIGHT"), ("RPOPLPUSH", "a", "b"),
        ("LMOVE", "a", "b", "up", "down"), ("LMOVE", "a", "b", "left", "down"),
        ("RPUSH", "a", "1", "2", "3"),
        ("LMOVE", "a", "b", "LEFT", "RIGHT"), ("LMOVE", "a", "b", "right", "left"),
        ("LRANGE", "a", "0", "-1"), ("LRANGE", "b", "0", "-1"),
        ("RPOPLPUSH", "b", "a"), ("LRANGE", "a", "0", "-1"), ("LRANGE", "b", "0", "-1"),
        ("LMOVE", "a", "a", "LEFT", "RIGHT"), ("LRANGE", "a", "0", "-1"),
        ("RPOPLPUSH", "a", "a"), ("LRANGE", "a", "0", "-1"),
        ("LMOVE", "b", "b", "LEFT", "LEFT"), ("LRANGE", "b", "0", "-1"),
        ("LMOVE", "b", "c", "LEFT", "LEFT"), ("LLEN", "b"), ("LRANGE", "c", "0", "-1"),
        ("LMOVE", "b", "c", "LEFT", "LEFT"),
    ])


def test_lmpop(pair):
    pair.script([
        ("LMPOP", "0", "k", "LEFT"), ("LMPOP", "-1", "k", "LEFT"), ("LMPOP", "x", "k", "LEFT"),
        ("LMPOP", "9223372036854775807", "k", "LEFT"), ("LMPOP", "2", "k", "LEFT"),
        ("LMPOP", "1", "k", "MIDDLE"), ("LMPOP", "1", "k", "LEFT", "COUNT"),
        ("LMPOP", "1", "k", "LEFT", "COUNT", "0"), ("LMPOP", "1", "k", "LEFT", "COUNT", "-1"),
        ("LMPOP", "1", "k", "LEFT", "COUNT", "x"), ("LMPOP", "1", "k", "LEFT", "COUNT", "1", "COUNT", "1"),
        ("LMPOP", "1", "k", "LEFT", "FOO"), ("LMPOP", "1", "k", "LEFT"),
        ("RPUSH", "k2", "a", "b", "c", "d"), ("RPUSH", "k3", "x"),
        ("LMPOP", "3", "k1", "k2", "k3", "LEFT"), ("LMPOP", "3", "k1", "k2", "k3", "right", "count", "2"),
        ("LMPOP", "2", "k2", "k3", "LEFT", "COUNT", "10"), ("LMPOP", "2", "k2", "k3", "LEFT", "COUNT", "10"),
        ("LMPOP", "2", "k2", "k3", "LEFT"), ("LLEN", "k3"),
    ])


# ===== keyspace notifications, dirty, WATCH =====


def collect_events(port, actions):
    """Run `actions` on one connection while another records every keyspace event."""
    ctl, sub = RawConn(port), RawConn(port)
    assert ctl.call("CONFIG", "SET", "notify-keyspace-events", "KEA") == b"+OK\r\n"
    sub.call("PSUBSCRIBE", "__key*__:*")
    sub.call("SUBSCRIBE", "done")
    replies = [ctl.call(*a) for a in actions]
    ctl.call("PUBLISH", "done", "x")
    events = []
    while True:
        msg = parse(sub.read_reply())[0]
        if msg[0] == b"message":
            break
        events.append((msg[2], msg[3]))
    ctl.call("CONFIG", "SET", "notify-keyspace-events", "")
    ctl.close()
    sub.close()
    return replies, events


def test_keyspace_events(pair, rhea_server, redis_server):
    actions = [
        ("RPUSH", "k", "a", "b", "c", "d", "e"), ("LPUSH", "k", "z"), ("LPUSHX", "k", "y"),
        ("RPUSHX", "nokey", "y"), ("LPOP", "k"), ("RPOP", "k", "2"), ("LPOP", "k", "0"),
        ("LSET", "k", "0", "A"), ("LSET", "k", "9", "A"), ("LINSERT", "k", "AFTER", "A", "B"),
        ("LINSERT", "k", "AFTER", "nope", "B"), ("LREM", "k", "0", "zz"), ("LREM", "k", "1", "B"),
        ("LTRIM", "k", "0", "-1"), ("LTRIM", "k", "1", "-1"), ("LMOVE", "k", "d", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "d", "d"), ("LMOVE", "d", "k", "RIGHT", "LEFT"), ("LMPOP", "1", "k", "LEFT", "COUNT", "9"),
        ("RPUSH", "k", "1", "2"), ("LTRIM", "k", "5", "6"), ("RPUSH", "k", "1", "2"), ("LREM", "k", "0", "1"),
        ("LREM", "k", "0", "2"), ("LLEN", "nokey"), ("LRANGE", "nokey", "0", "1"), ("LINDEX", "nokey", "0"),
        ("LPOS", "nokey", "a"), ("RPUSH", "x", "1"), ("RPOP", "x"),
        ("RPUSH", "x", "1"), ("BLPOP", "x", "0"), ("RPUSH", "x", "1"), ("BLMOVE", "x", "y", "LEFT", "LEFT", "0"),
        ("BLMPOP", "0", "1", "y", "RIGHT", "COUNT", "3"),
    ]
    on_both(rhea_server, redis_server, lambda port: collect_events(port, actions))


def test_keymiss_events(pair, rhea_server, redis_server):
    def scenario(port):
        ctl, sub = RawConn(port), RawConn(port)
        ctl.call("CONFIG", "SET", "notify-keyspace-events", "Em")
        sub.call("SUBSCRIBE", "__keyevent@0__:keymiss", "done")
        sub.read_reply()
        for a in [("LLEN", "a"), ("LRANGE", "b", "0", "1"), ("LINDEX", "c", "0"), ("LPOS", "d", "x"),
                  ("LPOP", "e"), ("LSET", "f", "0", "x"), ("RPUSH", "g", "x"), ("LLEN", "g")]:
            ctl.call(*a)
        ctl.call("PUBLISH", "done", "x")
        out = []
        while True:
            msg = parse(sub.read_reply())[0]
            if msg[1] == b"done":
                break
            out.append(msg[2])
        ctl.call("CONFIG", "SET", "notify-keyspace-events", "")
        return out
    on_both(rhea_server, redis_server, scenario)


def dirty(conn):
    r = conn.call("INFO", "persistence")
    if r.startswith(b"-"):
        pytest.skip("INFO not implemented in Rhea yet")
    for line in parse(r)[0].decode().split("\r\n"):
        if line.startswith("rdb_changes_since_last_save:"):
            return int(line.split(":")[1])
    pytest.skip("rdb_changes_since_last_save missing")


def test_dirty_counts(pair):
    steps = [
        ("RPUSH", "k", "a", "b", "c"), ("LPUSH", "k", "x", "y"), ("LPUSHX", "nokey", "x"),
        ("LPOP", "k"), ("RPOP", "k", "2"), ("LPOP", "k", "0"), ("LSET", "k", "0", "q"),
        ("LINSERT", "k", "BEFORE", "q", "w"), ("LINSERT", "k", "BEFORE", "nope", "w"),
        ("RPUSH", "k", "w", "w", "w"), ("LREM", "k", "2", "w"), ("LTRIM", "k", "0", "-1"),
        ("LTRIM", "k", "1", "-2"), ("LMOVE", "k", "d", "LEFT", "LEFT"), ("RPOPLPUSH", "nokey", "d"),
        ("LMPOP", "2", "nokey", "k", "RIGHT", "COUNT", "5"), ("BLPOP", "d", "0"), ("LRANGE", "d", "0", "-1"),
    ]
    for s in steps:
        before = (dirty(pair.ours), dirty(pair.theirs))
        pair.same(*s)
        after = (dirty(pair.ours), dirty(pair.theirs))
        assert after[0] - before[0] == after[1] - before[1], s


def test_keyspace_hits_and_misses(pair):
    def stats(conn):
        r = conn.call("INFO", "stats")
        if r.startswith(b"-"):
            pytest.skip("INFO not implemented in Rhea yet")
        d = dict(line.split(":", 1) for line in parse(r)[0].decode().split("\r\n") if ":" in line)
        return int(d["keyspace_hits"]), int(d["keyspace_misses"])
    pair.same("RPUSH", "k", "a")
    for c in [("LLEN", "k"), ("LLEN", "no"), ("LRANGE", "k", "0", "1"), ("LRANGE", "no", "0", "1"),
              ("LINDEX", "k", "0"), ("LINDEX", "no", "0"), ("LPOS", "k", "a"), ("LPOS", "no", "a"),
              ("LPOP", "no"), ("RPUSH", "k", "b")]:
        b0 = (stats(pair.ours), stats(pair.theirs))
        pair.same(*c)
        b1 = (stats(pair.ours), stats(pair.theirs))
        assert [x - y for x, y in zip(b1[0], b0[0])] == [x - y for x, y in zip(b1[1], b0[1])], c


WATCH_CASES = [
    # (setup, command by another client) -> does EXEC abort?
    ([], ("LPUSH", "w", "a")),
    ([], ("LPUSHX", "w", "a")),
    ([("RPUSH", "w", "a")], ("RPUSHX", "w", "b")),
    ([], ("LPOP", "w")),
    ([("RPUSH", "w", "a", "b")], ("RPOP", "w")),
    ([("RPUSH", "w", "a", "b")], ("LPOP", "w", "0")),
    ([("RPUSH", "w", "a")], ("LSET", "w", "0", "a")),
    ([("RPUSH", "w", "a")], ("LSET", "w", "5", "a")),
    ([("RPUSH", "w", "a")], ("LINSERT", "w", "BEFORE", "a", "b")),
    ([("RPUSH", "w", "a")], ("LINSERT", "w", "BEFORE", "zz", "b")),
    ([("RPUSH", "w", "a")], ("LREM", "w", "0", "zz")),
    ([("RPUSH", "w", "a", "b")], ("LREM", "w", "0", "a")),
    ([("RPUSH", "w", "a")], ("LTRIM", "w", "0", "-1")),
    ([], ("LTRIM", "w", "0", "-1")),
    ([("RPUSH", "w", "a")], ("LMOVE", "w", "other", "LEFT", "LEFT")),
    ([("RPUSH", "other", "a")], ("LMOVE", "other", "w", "LEFT", "LEFT")),
    ([("RPUSH", "w", "a")], ("RPOPLPUSH", "w", "w")),
    ([("RPUSH", "w", "a")], ("LMPOP", "2", "x", "w", "LEFT")),
    ([("RPUSH", "w", "a")], ("BLPOP", "w", "0")),
    ([("RPUSH", "w", "a")], ("LLEN", "w")),
    ([("RPUSH", "w", "a")], ("LRANGE", "w", "0", "-1")),
]


@pytest.mark.parametrize("setup,cmd", WATCH_CASES)
def test_watch_invalidation(pair, rhea_server, redis_server, setup, cmd):
    def scenario(port):
        a, b = RawConn(port), RawConn(port)
        for s in setup:
            b.call(*s)
        a.call("WATCH", "w")
        r = b.call(*cmd)
        a.call("MULTI")
        a.call("PING")
        return r, a.call("EXEC")
    on_both(rhea_server, redis_server, scenario)


# ===== MULTI =====


def test_blocking_commands_inside_multi(pair):
    pair.same("RPUSH", "full", "v1", "v2", "v3", "v4")
    pair.script([
        ("MULTI",), ("BLPOP", "empty", "0"), ("BRPOP", "empty", "e2", "1"),
        ("BLMOVE", "empty", "d", "LEFT", "RIGHT", "0"), ("BRPOPLPUSH", "empty", "d", "0"),
        ("BLMPOP", "0", "2", "empty", "e2", "LEFT", "COUNT", "2"),
        ("BLPOP", "full", "0"), ("BRPOPLPUSH", "full", "d", "0"), ("BLMPOP", "0", "1", "full", "RIGHT"),
        ("BLMOVE", "full", "d", "LEFT", "LEFT", "0"), ("BLPOP", "full", "0"),
        ("BLPOP", "empty", "-1"), ("EXEC",),
        ("LRANGE", "d", "0", "-1"),
    ])
    hello3(pair)
    pair.script([
        ("MULTI",), ("BLPOP", "empty", "0"), ("BLMOVE", "empty", "d", "LEFT", "RIGHT", "0"),
        ("BLMPOP", "0", "1", "empty", "LEFT"), ("LPUSH", "empty", "x"), ("BLPOP", "empty", "0"), ("EXEC",),
    ])


# ===== blocking =====


def test_blocking_immediate_and_errors(pair):
    pair.script([
        ("RPUSH", "a", "1", "2", "3", "4", "5", "6"), ("BLPOP", "nokey", "a", "0"), ("BRPOP", "a", "nokey", "0"),
        ("BLMOVE", "a", "b", "RIGHT", "LEFT", "0"), ("BRPOPLPUSH", "b", "c", "0"),
        ("BLMPOP", "0", "2", "nokey", "a", "LEFT", "COUNT", "5"), ("LLEN", "a"), ("LRANGE", "c", "0", "-1"),
        ("BLPOP", "a", "-1"), ("BLPOP", "a", "x"), ("BLPOP", "a", "nan"), ("BLPOP", "a", " 1"),
        ("BRPOP", "a", "-0.5"), ("BLMOVE", "a", "b", "LEFT", "RIGHT", "x"),
        ("BLMOVE", "a", "b", "UP", "RIGHT", "x"), ("BLMOVE", "a", "b", "LEFT", "DOWN", "0"),
        ("BRPOPLPUSH", "a", "b", "-1"),
        ("BLMPOP", "x", "1", "a", "LEFT"), ("BLMPOP", "-1", "1", "a", "LEFT"),
        ("BLMPOP", "0", "0", "a", "LEFT"), ("BLMPOP", "x", "0", "a", "LEFT"),
        ("BLMPOP", "0", "1", "a", "LEFT", "COUNT", "0"), ("BLMPOP", "x", "1", "a", "UP"),
        ("BLMPOP", "0", "2", "a", "LEFT"), ("BLMPOP", "0", "1", "a", "LEFT", "BAR"),
        # Tiny timeouts round up to 1 ms and time out rather than blocking forever.
        ("BLPOP", "nokey", "0.0001"), ("BLMOVE", "nokey", "b", "LEFT", "LEFT", "0.0001"),
    ])


def test_timeouts(pair, rhea_server, redis_server):
    def scenario(port):
        c = RawConn(port)
        out = []
        for cmd in [("BLPOP", "k", "0.1"), ("BRPOP", "k1", "k2", "0.15"),
                    ("BLMOVE", "k", "d", "LEFT", "RIGHT", "0.1"), ("BRPOPLPUSH", "k", "d", ".1"),
                    ("BLMPOP", "0.1", "2", "k", "k2", "LEFT", "COUNT", "3")]:
            t0 = time.monotonic()
            out.append(c.call(*cmd))
            dt = time.monotonic() - t0
            assert 0.08 <= dt < 2.0, (cmd, dt)
        c.call("HELLO", "3")
        out.append(c.call("BLPOP", "k", "0.05"))
        out.append(c.call("BLMOVE", "k", "d", "LEFT", "RIGHT", "0.05"))
        out.append(c.call("BLMPOP", "0.05", "1", "k", "RIGHT"))
        out.append(c.call("LLEN", "d"))
        return out
    on_both(rhea_server, redis_server, scenario)


def test_timeout_zero_waits_forever(pair, rhea_server, redis_server):
    def scenario(port):
        c, p = conns(port, 2)
        send(c, "BRPOP", "k", "0")
        still = pending(c, 0.4)
        p.call("RPUSH", "k", "v")
        return still, c.read_reply()
    on_both(rhea_server, redis_server, scenario)


def test_fifo_order_one_key(pair, rhea_server, redis_server):
    def scenario(port):
        clients = conns(port, 4)
        p = RawConn(port)
        for i, c in enumerate(clients):
            send(c, "BLPOP", "q", "0") if i % 2 == 0 else send(c, "BRPOP", "q", "5")
            settle()
        out = [p.call("RPUSH", "q", "a")]
        out.append(clients[0].read_reply())
        out.append([pending(c, 0.1) for c in clients[1:]])
        out.append(p.call("RPUSH", "q", "b", "c", "d", "e"))
        out += [c.read_reply() for c in clients[1:]]
        out.append(p.call("LRANGE", "q", "0", "-1"))
        return out
    on_both(rhea_server, redis_server, scenario)


def test_client_blocked_on_several_keys(pair, rhea_server, redis_server):
    def scenario(port):
        c, d, p = conns(port, 3)
        send(c, "BLPOP", "k1", "k2", "k3", "0")
        settle()
        send(d, "BLMPOP", "0", "3", "k3", "k2", "k1", "RIGHT", "COUNT", "2")
        settle()
        out = [p.call("RPUSH", "k2", "x", "y", "z")]
        out += [c.read_reply(), d.read_reply(), p.call("LRANGE", "k2", "0", "-1")]
        # Duplicate keys are harmless.
        send(c, "BRPOP", "k9", "k9", "k8", "k9", "0")
        settle()
        out += [p.call("LPUSH", "k9", "a", "b"), c.read_reply(), p.call("LRANGE", "k9", "0", "-1")]
        return out
    on_both(rhea_server, redis_server, scenario)


def test_blmove_chain_wakes_next_client(pair, rhea_server, redis_server):
    def scenario(port):
        c1, c2, c3, c4, p = conns(port, 5)
        send(c1, "BLMOVE", "a", "b", "LEFT", "RIGHT", "0")
        settle()
        send(c2, "BRPOPLPUSH", "b", "c", "0")
        settle()
        send(c3, "BLMPOP", "0", "1", "c", "LEFT", "COUNT", "5")
        settle()
        send(c4, "BLPOP", "a", "0")
        settle()
        out = [p.call("RPUSH", "a", "x", "y")]
        out += [c1.read_reply(), c2.read_reply(), c3.read_reply(), c4.read_reply()]
        out += [p.call("LRANGE", k, "0", "-1") for k in ("a", "b", "c")]
        # A rotation onto the same key wakes nobody else and keeps the element.
        send(c1, "BLMOVE", "r", "r", "LEFT", "RIGHT", "0")
        settle()
        out += [p.call("RPUSH", "r", "1", "2"), c1.read_reply(), p.call("LRANGE", "r", "0", "-1")]
        return out
    on_both(rhea_server, redis_server, scenario)


def test_pipeline_after_blocking_command_waits(pair, rhea_server, redis_server):
    def scenario(port):
        c, p = conns(port, 2)
        c.send_raw(encode("BLPOP", "k", "0") + encode("PING") + encode("LLEN", "k") +
                   encode("RPUSH", "k", "own") + encode("BLPOP", "k", "0"))
        still = pending(c, 0.3)
        out = [still, p.call("RPUSH", "k", "v1", "v2")]
        out += [c.read_reply() for _ in range(5)]
        out.append(p.call("LRANGE", "k", "0", "-1"))
        return out
    on_both(rhea_server, redis_server, scenario)


def test_blocked_client_timeout_then_pipeline(pair, rhea_server, redis_server):
    def scenario(port):
        c = RawConn(port)
        c.send_raw(encode("BLMOVE", "k", "d", "LEFT", "RIGHT", "0.15") + encode("PING", "after"))
        return [c.read_reply(), c.read_reply()]
    on_both(rhea_server, redis_server, scenario)


def test_blmove_to_wrong_type_destination(pair, rhea_server, redis_server):
    def scenario(port):
        c, p = conns(port, 2)
        if unknown(p.call("SET", "s", "str")):
            return "skip"
        send(c, "BLMOVE", "src", "s", "LEFT", "RIGHT", "0")
        settle()
        return [p.call("RPUSH", "src", "v"), c.read_reply(), p.call("LRANGE", "src", "0", "-1")]
    if on_both(rhea_server, redis_server, scenario) == "skip":
        pytest.skip("SET not implemented")


def test_key_turned_wrong_type_while_blocked(pair, rhea_server, redis_server):
    def scenario(port):
        c, p = conns(port, 2)
        send(c, "BLPOP", "k1", "k2", "0")
        settle()
        if unknown(p.call("SET", "k1", "str")):
            return "skip"
        return [p.call("RPUSH", "k2", "z"), c.read_reply()]
    if on_both(rhea_server, redis_server, scenario) == "skip":
        pytest.skip("SET not implemented")


def test_disconnected_blocked_client_is_forgotten(pair, rhea_server, redis_server):
    def scenario(port):
        c, d, p = conns(port, 3)
        # PING first: see test_disconnect_when_first_command_blocks for why.
        c.call("PING")
        send(c, "BLPOP", "k", "0")
        settle()
        send(d, "BLPOP", "k", "0")
        settle()
        c.close()
        settle()
        return [p.call("RPUSH", "k", "a", "b"), d.read_reply(), p.call("LRANGE", "k", "0", "-1")]
    on_both(rhea_server, redis_server, scenario)


def test_blocking_is_per_database(pair, rhea_server, redis_server):
    def scenario(port):
        c, p = conns(port, 2)
        c.call("SELECT", "1")
        send(c, "BLPOP", "k", "0")
        settle()
        out = [p.call("RPUSH", "k", "db0"), pending(c, 0.2)]
        p.call("SELECT", "1")
        out += [p.call("RPUSH", "k", "db1"), c.read_reply()]
        p.call("SELECT", "0")
        out.append(p.call("LRANGE", "k", "0", "-1"))
        return out
    on_both(rhea_server, redis_server, scenario)


def test_push_inside_multi_serves_after_exec(pair, rhea_server, redis_server):
    def scenario(port):
        c, d, p = conns(port, 3)
        send(c, "BLPOP", "k", "0")
        settle()
        send(d, "BRPOP", "k", "0")
        settle()
        out = [p.call("MULTI"), p.call("RPUSH", "k", "a", "b", "c"), p.call("LPOP", "k"),
               p.call("LLEN", "k"), p.call("EXEC"), c.read_reply(), d.read_reply()]
        out.append(p.call("LRANGE", "k", "0", "-1"))
        # Pushed and emptied within one transaction: nobody is served, both stay blocked.
        send(c, "BLPOP", "k2", "0")
        settle()
        out += [p.call("MULTI"), p.call("RPUSH", "k2", "a"), p.call("RPOP", "k2"), p.call("EXEC"),
                pending(c, 0.2), p.call("RPUSH", "k2", "later"), c.read_reply()]
        return out
    on_both(rhea_server, redis_server, scenario)


def test_retry_keeps_original_deadline(pair, rhea_server, redis_server):
    """A blocked client woken for a key that is empty again blocks with its old deadline."""
    def scenario(port):
        c, p = conns(port, 2)
        t0 = time.monotonic()
        send(c, "BLPOP", "k", "1")
        time.sleep(0.5)
        p.call("MULTI")
        p.call("RPUSH", "k", "a")
        p.call("LPOP", "k")
        p.call("EXEC")
        r = c.read_reply()
        dt = time.monotonic() - t0
        assert 0.9 <= dt < 1.4, dt
        return r
    on_both(rhea_server, redis_server, scenario)


def test_blocked_resp3_replies(pair, rhea_server, redis_server):
    def scenario(port):
        c, d, e, p = conns(port, 4)
        for x in (c, d, e):
            x.call("HELLO", "3")
        send(c, "BLPOP", "k", "0")
        settle()
        send(d, "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2")
        settle()
        send(e, "BLMOVE", "k", "d", "LEFT", "LEFT", "0")
        settle()
        out = [p.call("RPUSH", "k", "1", "2", "3", "4")]
        out += [c.read_reply(), d.read_reply(), e.read_reply()]
        return out
    on_both(rhea_server, redis_server, scenario)


def test_keyspace_events_when_served(pair, rhea_server, redis_server):
    def scenario(port):
        c1, c2, c3, ctl, sub = conns(port, 5)
        ctl.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
        sub.call("PSUBSCRIBE", "__keyevent*")
        sub.call("SUBSCRIBE", "done")
        send(c1, "BLMOVE", "a", "b", "LEFT", "RIGHT", "0")
        settle()
        send(c2, "BLMPOP", "0", "1", "b", "RIGHT", "COUNT", "3")
        settle()
        send(c3, "BRPOP", "a", "0")
        settle()
        out = [ctl.call("RPUSH", "a", "x", "y", "z"), c1.read_reply(), c2.read_reply(), c3.read_reply()]
        ctl.call("PUBLISH", "done", "x")
        while True:
            msg = parse(sub.read_reply())[0]
            if msg[0] == b"message":
                break
            out.append((msg[2], msg[3]))
        ctl.call("CONFIG", "SET", "notify-keyspace-events", "")
        return out
    on_both(rhea_server, redis_server, scenario)


def test_client_unblock(pair, rhea_server, redis_server):
    def scenario(port):
        c, p = conns(port, 2)
        cid = value(c, "CLIENT", "ID")
        out = []
        for cmd in [("BLPOP", "k", "0"), ("BLMOVE", "k", "d", "LEFT", "LEFT", "0"),
                    ("BLMPOP", "0", "1", "k", "LEFT")]:
            for how in ("TIMEOUT", "ERROR"):
                send(c, *cmd)
                settle()
                out += [p.call("CLIENT", "UNBLOCK", str(cid), how), c.read_reply()]
        out.append(p.call("CLIENT", "UNBLOCK", str(cid)))
        return out
    if unknown(RawConn(rhea_server.port).call("CLIENT", "ID")):
        pytest.skip("CLIENT not implemented")
    on_both(rhea_server, redis_server, scenario)


def test_blocked_clients_in_info(pair, rhea_server, redis_server):
    def scenario(port):
        c, d, p = conns(port, 3)
        send(c, "BLPOP", "k", "x", "0")
        send(d, "BLMOVE", "x", "y", "LEFT", "LEFT", "0")
        settle()
        r = p.call("INFO", "clients")
        info = [x for x in parse(r)[0].decode().split("\r\n") if x.startswith("blocked_clients")]
        p.call("RPUSH", "x", "1", "2")
        c.read_reply()
        d.read_reply()
        r = p.call("INFO", "clients")
        info += [x for x in parse(r)[0].decode().split("\r\n") if x.startswith("blocked_clients")]
        return info
    if RawConn(rhea_server.port).call("INFO", "clients").startswith(b"-"):
        pytest.skip("INFO not implemented")
    on_both(rhea_server, redis_server, scenario)


def test_ttl_kept_by_in_place_edits(pair):
    pair.same("RPUSH", "k", "a", "b", "c", "d")
    require(pair.ours, "EXPIRE", "k", "100")
    pair.theirs.call("EXPIRE", "k", "100")
    for cmd in [("LPUSH", "k", "x"), ("RPUSHX", "k", "y"), ("LPOP", "k"), ("RPOP", "k", "1"),
                ("LSET", "k", "0", "z"), ("LINSERT", "k", "AFTER", "z", "w"), ("LREM", "k", "1", "w"),
                ("LTRIM", "k", "0", "-1"), ("RPOPLPUSH", "k", "k"), ("LMOVE", "other", "k", "LEFT", "LEFT"),
                ("RPUSH", "other", "o"), ("LMOVE", "other", "k", "LEFT", "LEFT"),
                ("LMOVE", "k", "fresh", "LEFT", "LEFT"), ("LMPOP", "1", "k", "LEFT")]:
        pair.same(*cmd)
        pair.same("TTL", "k")
    pair.same("TTL", "fresh")
    # A list that expired is gone for every list command.
    pair.same("RPUSH", "e", "a")
    pair.same("PEXPIRE", "e", "1")
    time.sleep(0.02)
    pair.script([("LPUSHX", "e", "b"), ("LLEN", "e"), ("LPOP", "e"), ("RPUSH", "e", "c"), ("TTL", "e"),
                 ("LRANGE", "e", "0", "-1")])


def test_large_lists(pair):
    vals = [str(i) for i in range(2000)]
    pair.same("RPUSH", "big", *vals)
    pair.same("LPUSH", "big", *vals[:500])
    pair.script([
        ("LLEN", "big"), ("LRANGE", "big", "100", "2300"), ("LINDEX", "big", "-1500"),
        ("LPOS", "big", "77", "COUNT", "0"), ("LREM", "big", "-1", "5"), ("LINSERT", "big", "AFTER", "1999", "end"),
        ("LTRIM", "big", "10", "-10"), ("RPOP", "big", "300"), ("LPOP", "big", "300"),
        ("LMPOP", "1", "big", "RIGHT", "COUNT", "1000"), ("LRANGE", "big", "0", "-1"),
    ])


# ===== known divergences of the retry model (engine) =====


def test_reblocked_client_keeps_its_place(pair, rhea_server, redis_server):
    def scenario(port):
        c_first, b_multi, a_last, p = conns(port, 4)
        send(c_first, "BLPOP", "k", "0")
        settle()
        send(b_multi, "BLPOP", "k", "k2", "0")
        settle()
        send(a_last, "BLPOP", "k2", "0")
        settle()
        out = [p.call("RPUSH", "k", "x"), c_first.read_reply()]
        out += [p.call("RPUSH", "k2", "y"), pending(b_multi, 0.2), pending(a_last, 0.2)]
        p.call("RPUSH", "k2", "z")
        return out
    on_both(rhea_server, redis_server, scenario)


def test_served_from_first_ready_key(pair, rhea_server, redis_server):
    def scenario(port):
        c, p = conns(port, 2)
        send(c, "BLPOP", "k1", "k2", "0")
        settle()
        p.call("MULTI")
        p.call("RPUSH", "k2", "a")
        p.call("RPUSH", "k1", "b")
        p.call("EXEC")
        return c.read_reply()
    on_both(rhea_server, redis_server, scenario)


@pytest.mark.parametrize("timeout", ["inf", "-inf", "1e300", "9223372036854775807", "-0.0001", "0x10"])
def test_timeout_parsing_edges(pair, timeout):
    # Inside MULTI a valid timeout gives the null reply at once instead of blocking.
    pair.same("MULTI")
    pair.same("BLPOP", "k", timeout)
    pair.same("EXEC")


def test_served_command_counted_once(pair, rhea_server, redis_server):
    def scenario(port):
        c, p, m = conns(port, 3)
        require(p, "CONFIG", "RESETSTAT")
        m.call("MONITOR")
        send(c, "BLPOP", "mk", "0")
        settle()
        p.call("RPUSH", "mk", "v")
        c.read_reply()
        p.call("PING")
        seen = []
        while True:
            line = m.read_reply()
            if b'"PING"' in line:
                break
            seen.append(line.split(b"]", 1)[1])
        stats = parse(p.call("INFO", "commandstats"))[0].decode().split("\r\n")
        calls = [x.split(",usec=")[0] for x in stats if x.startswith("cmdstat_blpop")]
        return seen, calls
    on_both(rhea_server, redis_server, scenario)


def test_disconnect_when_first_command_blocks(pair, rhea_server, redis_server):
    def scenario(port):
        p = RawConn(port)
        out = []
        for _ in range(3):
            c = RawConn(port)
            send(c, "BLPOP", "k", "0")  # the very first bytes on this connection
            settle()
            d = RawConn(port)
            d.call("PING")
            send(d, "BLPOP", "k", "0")
            settle()
            c.close()
            time.sleep(0.2)
            out += [p.call("RPUSH", "k", "a", "b"), d.read_reply(), p.call("LPOP", "k")]
            d.close()
        return out
    on_both(rhea_server, redis_server, scenario)


def test_object_encoding_is_quicklist(pair):
    pair.same("RPUSH", "k", "1", "a" * 100)
    require(pair.ours, "OBJECT", "ENCODING", "k")
    pair.same("OBJECT", "ENCODING", "k")
    pair.same("TYPE", "k")
