"""Replication with real peers in both directions (issue 4, wire-spec §2).

Every topology is built from separate processes, each in its own directory: a real
redis-server 7.0 replica of a Rhea master, a Rhea replica of a real master, Rhea chains,
promotions with PSYNC2 re-pointing, the safety knobs (READONLY, MASTERDOWN, WAIT,
min-replicas-to-write) and Sentinel's reconfiguration transaction. After every step the
datasets must be equal on every node: `DEBUG DIGEST` (Rhea's digests are Redis's) and a
key-by-key comparison (type, absolute expiry, value) across all 16 databases, so that a
failure names the keys that differ.

Where a behaviour is compared with Redis (error texts, EXEC replies, INFO field names,
ROLE shapes), the same scenario runs against real Redis and the transcripts must match.
Each node's log tail is printed at teardown (pytest shows it when a test fails).
"""
import os
import random
import re
import shutil
import signal
import threading
import time

import pytest
import redis as redispy

from resp import RawConn, encode, parse
from servers import start_redis, start_rhea

BASE = ("--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0")
START = {"rhea": start_rhea, "redis": start_redis}
DBS = 16
HOST = "127.0.0.1"
ZERO_ID = "0" * 40


# ---------------------------------------------------------------------------------------
# Nodes


@pytest.fixture
def nodes():
    """`nodes(kind, *args)` starts "rhea" or "redis" in a fresh temp dir with DEBUG on and
    no diskless delay; every node is killed by pid and its directory removed at teardown
    (after printing the tail of its log)."""
    started = []

    def start(kind, *extra, config_text=None):
        p = START[kind](*BASE, *[str(a) for a in extra], config_text=config_text)
        p.kind = kind
        p.label = "%s:%d" % (kind, p.port)
        started.append(p)
        return p

    try:
        yield start
    finally:
        for p in started:
            try:
                p.stop(signal.SIGKILL)
                tail = p.output().splitlines()[-40:]
                print("----- log of %s (%s) -----\n%s" % (p.label, p.cwd, "\n".join(tail)))
            finally:
                shutil.rmtree(p.cwd, ignore_errors=True)


def call(p, *args):
    """One command on a fresh connection; the raw reply bytes."""
    c = RawConn(p.port)
    try:
        return c.call(*args)
    finally:
        c.close()


def info_fields(p, section="replication"):
    """INFO <section> as an ordered list of (name, value)."""
    raw = parse(call(p, "INFO", section))[0].decode()
    out = []
    for line in raw.split("\r\n"):
        if line and not line.startswith("#"):
            name, _, val = line.partition(":")
            out.append((name, val))
    return out


def info(p, section="replication"):
    return dict(info_fields(p, section))


def sync_stats(p):
    i = info(p, "stats")
    return {k: int(i[k]) for k in ("sync_full", "sync_partial_ok", "sync_partial_err")}


def wait_for(state, timeout=20.0, interval=0.05):
    """Poll `state()` until it returns None (done); otherwise it returns a description
    of what is still wrong, which becomes the failure message at the deadline."""
    deadline = time.time() + timeout
    while True:
        why = state()
        if why is None:
            return
        if time.time() > deadline:
            raise AssertionError("timed out after %.0fs: %s" % (timeout, why))
        time.sleep(interval)


def wait_synced(master, *replicas, timeout=20.0):
    """Wait until every replica's link is up and its `slave_repl_offset` equals the
    master's `master_repl_offset` (for a chain, the top master's: the offset is the same
    along the chain), every node reports that same `master_repl_offset`, and each
    replica's own master lists it as online."""
    by_port = {str(p.port): p for p in (master,) + replicas}

    def listed_online(upstream, r):
        lines = [v for k, v in info_fields(upstream) if re.fullmatch(r"slave\d+", k)]
        return any(",port=%d,state=online," % r.port in v for v in lines)

    def state():
        moff = info(master)["master_repl_offset"]
        bad = []
        for r in replicas:
            i = info(r)
            upstream = by_port.get(i.get("master_port"))
            if (i.get("role") != "slave" or i.get("master_link_status") != "up"
                    or i.get("slave_repl_offset") != moff or i.get("master_repl_offset") != moff
                    or upstream is None or not listed_online(upstream, r)):
                bad.append("%s role=%s master_port=%s link=%s slave_repl_offset=%s master_repl_offset=%s"
                           " listed online by its master=%s" % (
                               r.label, i.get("role"), i.get("master_port"), i.get("master_link_status"),
                               i.get("slave_repl_offset"), i.get("master_repl_offset"),
                               upstream is not None and listed_online(upstream, r)))
        if bad:
            return "master %s master_repl_offset=%s; %s" % (master.label, moff, "; ".join(bad))
        return None
    wait_for(state, timeout)


def replicaof(p, master):
    assert call(p, "REPLICAOF", HOST, master.port) == b"+OK\r\n"


# ---------------------------------------------------------------------------------------
# Datasets


def populate(p):
    """Every type in small and large encodings, TTLs, three databases. The key names
    share the namespaces of `Load`, so the live stream also edits the large values."""
    c = RawConn(p.port)
    cmds = [
        ("SET", "s:0", "hello"), ("SET", "s:1", "12345"), ("SET", "s:2", "x" * 5000),
        ("SET", "s:3", "-17"), ("SET", "s:4", "3.25"), ("SET", "i:0", "100"),
        ("SET", "s:5", "with-ttl", "EX", "3600"), ("SET", "s:6", "pttl", "PX", "7200000"),
        ("RPUSH", "l:0", *["item%d" % i for i in range(600)]),
        ("RPUSH", "l:1", "a", "1", "-5", "300"),
        ("RPUSH", "l:2", *["%d" % (i * 1000) for i in range(200)]),
        ("EXPIRE", "l:1", "5000"),
        ("HSET", "h:0", *sum((["f%d" % i, "v%d" % i] for i in range(700)), [])),
        ("HSET", "h:1", "f1", "v1", "f2", "2", "cnt", "7", "flt", "1.5"),
        ("HSET", "h:2", "big", "y" * 100),
        ("PEXPIRE", "h:1", "9000000"),
        ("SADD", "t:0", *[str(i) for i in range(600)]),
        ("SADD", "t:1", "1", "2", "3", "-4"),
        ("SADD", "t:2", *["m%d" % i for i in range(300)]),
        ("SADD", "t:3", "a", "b", "c"),
        ("ZADD", "z:0", *sum(([str(i * 0.5), "m%d" % i] for i in range(300)), [])),
        ("ZADD", "z:1", "1.5", "a", "-2", "b", "inf", "c"),
        ("EXPIRE", "z:1", "4000"),
        ("SELECT", "3"),
        ("SET", "s:0", "three"), ("SET", "s:7", "db3-ttl", "EX", "2000"),
        ("RPUSH", "l:3", *["e%d" % i for i in range(150)]),
        ("HSET", "h:3", "k", "v"), ("SADD", "t:4", "7", "8"), ("ZADD", "z:3", "3", "x"),
        ("SELECT", "15"),
        ("HSET", "h:15", "k", "v"), ("SET", "s:15", "fifteen"),
        ("ZADD", "z:15", *sum(([str(i), "w%d" % i] for i in range(200)), [])),
        ("SELECT", "0"),
    ]
    for cmd in cmds:
        r = c.call(*cmd)
        assert not r.startswith(b"-"), (cmd, r)
    c.close()


class Load:
    """A deterministic mix of writes: every type, relative and absolute expiries (which
    the master rewrites), INCRBYFLOAT, SPOP, pops and moves, deletes, MULTI/EXEC blocks,
    SELECT across four databases, and short-lived `tmp:` keys that expire on the master
    (it must propagate their deletion)."""

    def __init__(self, seed, nkeys=40):
        self.rng = random.Random(seed)
        self.nkeys = nkeys
        self.db = 0
        self.tmp = set()  # (db, key) with a 20 ms TTL

    def k(self, ns):
        return "%s:%d" % (ns, self.rng.randrange(self.nkeys))

    def val(self):
        r = self.rng.random()
        if r < 0.3:
            return str(self.rng.randint(-1000, 100000))
        if r < 0.4:
            return "L" * self.rng.randint(60, 400)
        return "v%d" % self.rng.randrange(10 ** 6)

    def member(self):
        if self.rng.random() < 0.5:
            return str(self.rng.randint(0, 900))
        return "m%d" % self.rng.randrange(400)

    def simple(self):
        rng, k, val, member = self.rng, self.k, self.val, self.member
        now = int(time.time())
        choices = [
            lambda: ("SET", k("s"), val()),
            lambda: ("SET", k("s"), val(), "EX", str(rng.randint(100, 10000))),
            lambda: ("set", k("s"), val(), "px", str(rng.randint(100000, 900000))),
            lambda: ("SETEX", k("s"), "5000", val()),
            lambda: ("PSETEX", k("s"), "600000", val()),
            lambda: ("SET", k("s"), val(), "GET", "EX", "800"),
            lambda: ("GETEX", k("s"), "PX", "700000"),
            lambda: ("COPY", "s:%d" % rng.randrange(20), "s:%d" % rng.randrange(20, 40), "REPLACE"),
            lambda: ("SET", k("s"), val(), "KEEPTTL"),
            lambda: ("APPEND", k("s"), val()),
            lambda: ("SETRANGE", k("s"), str(rng.randint(0, 40)), "xyz"),
            lambda: ("GETDEL", k("s")),
            lambda: ("GETEX", k("s"), "EX", "900"),
            lambda: ("GETEX", k("s"), "PERSIST"),
            lambda: ("EXPIRE", k("s"), str(rng.randint(100, 5000))),
            lambda: ("expire", k("l"), "1000"),
            lambda: ("PEXPIRE", k("h"), "800000"),
            lambda: ("EXPIREAT", k("z"), str(now + 5000)),
            lambda: ("EXPIRE", k("s"), "-1"),
            lambda: ("PERSIST", k("s")),
            lambda: ("EXPIRE", k("h"), "3000", "NX"),
            lambda: ("PEXPIRE", k("t"), "900000", "GT"),
            lambda: ("DEL", k("s"), k("l")),
            lambda: ("UNLINK", k("z")),
            lambda: ("INCR", k("i")),
            lambda: ("INCRBY", k("i"), str(rng.randint(-100, 100))),
            lambda: ("DECR", k("i")),
            lambda: ("INCRBYFLOAT", k("f"), rng.choice(["1.5", "-0.25", "3.0e3", "0.1"])),
            lambda: ("RPUSH", k("l"), *[val() for _ in range(rng.randint(1, 6))]),
            lambda: ("LPUSH", k("l"), val(), val()),
            lambda: ("LPOP", k("l")),
            lambda: ("RPOP", k("l"), "2"),
            lambda: ("LMOVE", k("l"), k("l"), "LEFT", "RIGHT"),
            lambda: ("LTRIM", k("l"), "0", "400"),
            lambda: ("LREM", k("l"), "1", "item5"),
            lambda: ("LMPOP", "2", k("l"), k("l"), rng.choice(["LEFT", "RIGHT"]), "COUNT", "2"),
            lambda: ("HSET", k("h"), "f%d" % rng.randrange(50), val(), "f%d" % rng.randrange(900), val()),
            lambda: ("HDEL", k("h"), "f%d" % rng.randrange(50)),
            lambda: ("HINCRBY", k("h"), "cnt", str(rng.randint(-5, 5))),
            lambda: ("HINCRBYFLOAT", k("h"), "flt", "0.5"),
            lambda: ("SADD", k("t"), *[member() for _ in range(rng.randint(1, 5))]),
            lambda: ("SREM", k("t"), member()),
            lambda: ("SPOP", k("t")),
            lambda: ("SPOP", k("t"), "3"),
            lambda: ("SPOP", rng.choice(["t:0", "t:2"])),  # the large sets of db 0
            lambda: ("SMOVE", k("t"), k("t"), member()),
            lambda: ("SINTERSTORE", k("t"), k("t"), k("t")),
            lambda: ("ZADD", k("z"), str(rng.randint(-50, 50) / 4), member(), "1e3", member()),
            lambda: ("ZINCRBY", k("z"), "2.5", member()),
            lambda: ("ZREM", k("z"), member()),
            lambda: ("ZPOPMIN", k("z")),
            lambda: ("ZPOPMAX", k("z"), "2"),
            lambda: ("ZREMRANGEBYRANK", k("z"), "0", "1"),
            lambda: ("ZUNIONSTORE", k("z"), "2", k("z"), k("z")),
            lambda: ("ZMPOP", "1", k("z"), "MAX", "COUNT", "2"),
            lambda: ("ZRANGESTORE", k("z"), k("z"), "0", "2"),
        ]
        return rng.choice(choices)()

    def commands(self, n):
        out = []
        while len(out) < n:
            r = self.rng.random()
            if r < 0.04:
                self.db = self.rng.randrange(4)
                out.append(("SELECT", str(self.db)))
            elif r < 0.08:
                out.append(("MULTI",))
                out += [self.simple() for _ in range(self.rng.randint(1, 4))]
                out.append(("EXEC",))
            elif r < 0.10:
                key = "tmp:%d" % self.rng.randrange(10 ** 6)
                self.tmp.add((self.db, key))
                out.append(("SET", key, self.val(), "PX", "20"))
            else:
                out.append(self.simple())
        out.append(("SELECT", "0"))
        self.db = 0
        return out


def resp_errors(buf, pos, out):
    """Collect the error lines of one reply (also inside arrays); return the next pos."""
    t = buf[pos:pos + 1]
    eol = buf.index(b"\r\n", pos)
    head = buf[pos + 1:eol]
    nxt = eol + 2
    if t == b"-":
        out.append(head)
    elif t == b"$":
        n = int(head)
        if n >= 0:
            nxt += n + 2
    elif t == b"*":
        for _ in range(max(int(head), 0)):
            nxt = resp_errors(buf, nxt, out)
    return nxt


def run_load(p, n, seed, chunk=100):
    """Send `n`-odd Load commands pipelined in chunks; no reply may be an error. Then let
    the `tmp:` keys expire and touch them on the master (EXISTS must be 0), so their
    deletion is in the stream before the datasets are compared."""
    load = Load(seed)
    cmds = load.commands(n)
    c = RawConn(p.port, timeout=30)
    errors = []
    for i in range(0, len(cmds), chunk):
        part = cmds[i:i + chunk]
        c.send_raw(b"".join(encode(*cmd) for cmd in part))
        for cmd in part:
            reply = c.read_reply()
            errs = []
            resp_errors(reply, 0, errs)
            if errs:
                errors.append((cmd, reply[:200]))
    assert not errors, "write load on %s got errors: %r" % (p.label, errors[:5])
    time.sleep(0.05)
    by_db = {}
    for db, key in load.tmp:
        by_db.setdefault(db, []).append(key)
    for db, keys in sorted(by_db.items()):
        assert c.call("SELECT", db) == b"+OK\r\n"
        assert c.call("EXISTS", *keys) == b":0\r\n", "tmp keys did not expire on %s" % p.label
    assert c.call("SELECT", 0) == b"+OK\r\n"
    c.close()
    return len(cmds)


class Background:
    """run_load in a thread (writes while a replica attaches); join() re-raises."""

    def __init__(self, p, n, seed):
        self.err = None
        self.t = threading.Thread(target=self.run, args=(p, n, seed))
        self.t.start()

    def run(self, p, n, seed):
        try:
            run_load(p, n, seed)
        except BaseException as e:  # noqa: B036 - re-raised in join
            self.err = e

    def join(self):
        self.t.join(60)
        assert not self.t.is_alive(), "background load did not finish"
        if self.err:
            raise self.err


def blocked_pops(p):
    """Clients blocked in BLPOP, BLMOVE, BZPOPMIN and BLMPOP are served by later pushes
    (the master must propagate the pops' effects, not the blocking commands), then
    BLPOP finds an element at once."""
    specs = [("BLPOP", "bl:1", "10"), ("BLMOVE", "bl:2", "l:1", "LEFT", "RIGHT", "10"),
             ("BZPOPMIN", "bz:1", "10"), ("BLMPOP", "10", "1", "bl:3", "RIGHT", "COUNT", "2")]
    waiters = []
    for spec in specs:
        w = RawConn(p.port)
        w.send_raw(encode(*spec))
        waiters.append(w)
    wait_for(lambda: None if info(p, "clients").get("blocked_clients") == "4" else info(p, "clients"))
    c = RawConn(p.port)
    for cmd in [("RPUSH", "bl:1", "a", "b"), ("RPUSH", "bl:2", "x"), ("ZADD", "bz:1", "1", "m", "2", "n"),
                ("RPUSH", "bl:3", "p", "q", "r")]:
        assert c.call(*cmd).startswith(b":")
    replies = [w.read_reply() for w in waiters]
    assert replies == [b"*2\r\n$4\r\nbl:1\r\n$1\r\na\r\n", b"$1\r\nx\r\n",
                       b"*3\r\n$4\r\nbz:1\r\n$1\r\nm\r\n$1\r\n1\r\n",
                       b"*2\r\n$4\r\nbl:3\r\n*2\r\n$1\r\nr\r\n$1\r\nq\r\n"], replies
    assert c.call("BLPOP", "bl:1", "1") == b"*2\r\n$4\r\nbl:1\r\n$1\r\nb\r\n"
    for w in waiters:
        w.close()
    c.close()


def snapshot(p):
    """{(db, key): (type, PEXPIRETIME, canonical value)} over all databases."""
    out = {}
    for db in range(DBS):
        c = redispy.Redis(host=HOST, port=p.port, db=db, socket_timeout=30)
        try:
            keys = c.execute_command("KEYS", "*")
            if not keys:
                continue
            pipe = c.pipeline(transaction=False)
            for k in keys:
                pipe.execute_command("TYPE", k)
                pipe.execute_command("PEXPIRETIME", k)
            meta = pipe.execute()
            pipe = c.pipeline(transaction=False)
            types = [t.decode() if isinstance(t, bytes) else t for t in meta[0::2]]
            for k, t in zip(keys, types):
                if t == "string":
                    pipe.execute_command("GET", k)
                elif t == "list":
                    pipe.execute_command("LRANGE", k, 0, -1)
                elif t == "hash":
                    pipe.execute_command("HGETALL", k)
                elif t == "set":
                    pipe.execute_command("SMEMBERS", k)
                elif t == "zset":
                    pipe.execute_command("ZRANGE", k, 0, -1, "WITHSCORES")
                else:
                    pipe.execute_command("DUMP", k)
            vals = pipe.execute()
            for k, t, ttl, v in zip(keys, types, meta[1::2], vals):
                if isinstance(v, dict):
                    v = sorted(v.items())
                elif isinstance(v, (set, frozenset)):
                    v = sorted(v)
                elif t == "set":
                    v = sorted(v)
                elif t == "hash" and isinstance(v, list):
                    v = sorted(zip(v[0::2], v[1::2]))
                out[(db, k)] = (t, ttl, v)
        finally:
            c.close()
    return out


def digest(p):
    d = call(p, "DEBUG", "DIGEST")
    assert re.fullmatch(rb"\+[0-9a-f]{40}\r\n", d), "%s DEBUG DIGEST: %r" % (p.label, d)
    return d[1:-2].decode()


def short(v, n=120):
    s = repr(v)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def assert_same_data(*ps):
    """All nodes hold the same dataset: key by key (for a readable failure) and by
    DEBUG DIGEST. The dataset must not be empty."""
    snaps = [snapshot(p) for p in ps]
    digests = [digest(p) for p in ps]
    ref, ref_snap = ps[0], snaps[0]
    assert ref_snap, "%s has no keys" % ref.label
    for p, snap in zip(ps[1:], snaps[1:]):
        problems = []
        for key in sorted(set(ref_snap) | set(snap), key=repr):
            a, b = ref_snap.get(key), snap.get(key)
            if a != b:
                problems.append("  db%d %r: %s=%s  %s=%s" % (
                    key[0], key[1], ref.label, short(a), p.label, short(b)))
        assert not problems, "%d keys differ between %s (%d keys) and %s (%d keys):\n%s" % (
            len(problems), ref.label, len(ref_snap), p.label, len(snap), "\n".join(problems[:15]))
    assert len(set(digests)) == 1, "DEBUG DIGEST differs: %r" % list(zip([p.label for p in ps], digests))
    assert digests[0] != ZERO_ID


def assert_sync_mode(master, replica, diskless):
    """The full sync used the configured transfer (checked in a real peer's log, or in
    the Rhea master's log, which uses Redis's lines)."""
    if replica.kind == "redis":
        log = replica.output()
        if diskless == "yes":
            assert "receiving streamed RDB from master with EOF" in log, log[-3000:]
        else:
            assert re.search(r"receiving \d+ bytes from master to disk", log), log[-3000:]
    else:
        log = master.output()
        target = "replicas sockets" if diskless == "yes" else "disk"
        assert "Starting BGSAVE for SYNC with target: %s" % target in log, log[-3000:]


# ---------------------------------------------------------------------------------------
# 1, 2: real Redis replica of a Rhea master, Rhea replica of a real master


@pytest.mark.parametrize("diskless", ["yes", "no"], ids=["diskless", "disk"])
@pytest.mark.parametrize("mkind,rkind", [("rhea", "redis"), ("redis", "rhea")],
                         ids=["redis-replica-of-rhea", "rhea-replica-of-redis"])
def test_full_sync_stream_and_partial_resync(nodes, mkind, rkind, diskless):
    m = nodes(mkind, "--repl-diskless-sync", diskless)
    populate(m)
    # Full sync of a dataset written before the replica attaches, with writes going on
    # while it attaches.
    bg = Background(m, 1000, seed=1)
    r = nodes(rkind, "--replicaof", HOST, m.port)
    bg.join()
    wait_synced(m, r)
    assert_sync_mode(m, r, diskless)
    assert_same_data(m, r)
    assert sync_stats(m) == {"sync_full": 1, "sync_partial_ok": 0, "sync_partial_err": 0}

    # The live stream under write load, and pops served to blocked clients.
    run_load(m, 3000, seed=2)
    blocked_pops(m)
    wait_synced(m, r)
    assert_same_data(m, r)

    # Kill the link (from the replica's side with diskless, from the master's with disk
    # so both ends' CLIENT KILL are exercised), write while it is down: +CONTINUE.
    if diskless == "yes":
        assert call(r, "CLIENT", "KILL", "TYPE", "master") == b":1\r\n"
    else:
        assert call(m, "CLIENT", "KILL", "TYPE", "replica") == b":1\r\n"
    run_load(m, 500, seed=3)
    wait_synced(m, r)
    assert_same_data(m, r)
    assert sync_stats(m) == {"sync_full": 1, "sync_partial_ok": 1, "sync_partial_err": 0}
    i = info(r)
    assert i["master_replid"] == info(m)["master_replid"]
    assert int(info(m)["connected_slaves"]) == 1


# ---------------------------------------------------------------------------------------
# 3: Rhea replica of a Rhea master, and chains


@pytest.mark.parametrize("kinds", [("rhea", "rhea", "rhea"), ("redis", "rhea", "redis")],
                         ids=["rhea-rhea-rhea", "redis-rhea-redis"])
def test_chained_replicas(nodes, kinds):
    m = nodes(kinds[0])
    populate(m)
    r1 = nodes(kinds[1], "--replicaof", HOST, m.port)
    r2 = nodes(kinds[2], "--replicaof", HOST, r1.port)
    wait_synced(m, r1, r2)
    assert_same_data(m, r1, r2)

    run_load(m, 2000, seed=4)
    wait_synced(m, r1, r2)
    assert_same_data(m, r1, r2)
    i1, i2 = info(r1), info(r2)
    assert i1["master_port"] == str(m.port) and i2["master_port"] == str(r1.port)
    assert i1["connected_slaves"] == "1"
    assert re.fullmatch(r"ip=127\.0\.0\.1,port=%d,state=online,offset=\d+,lag=\d+" % r2.port,
                        i1["slave0"]), i1["slave0"]
    assert i1["master_replid"] == i2["master_replid"] == info(m)["master_replid"]

    # The end of the chain loses its link to the middle: it continues from the middle
    # node's backlog.
    assert call(r2, "CLIENT", "KILL", "TYPE", "master") == b":1\r\n"
    run_load(m, 300, seed=5)
    wait_synced(m, r1, r2)
    assert_same_data(m, r1, r2)
    assert sync_stats(r1) == {"sync_full": 1, "sync_partial_ok": 1, "sync_partial_err": 0}
    assert sync_stats(m) == {"sync_full": 1, "sync_partial_ok": 0, "sync_partial_err": 0}


# ---------------------------------------------------------------------------------------
# 4: PSYNC2 across promotion

NO_PING = ("--repl-ping-replica-period", "3600")  # offsets move only with our writes


@pytest.mark.parametrize("kinds", [("rhea", "rhea", "rhea"), ("rhea", "redis", "redis"),
                                   ("redis", "rhea", "redis")],
                         ids=["all-rhea", "rhea-master-redis-replicas", "rhea-replica-promoted"])
def test_promotion_and_repointing_continue(nodes, kinds):
    m = nodes(kinds[0], *NO_PING)
    populate(m)
    r1 = nodes(kinds[1], *NO_PING, "--replicaof", HOST, m.port)
    r2 = nodes(kinds[2], *NO_PING, "--replicaof", HOST, m.port)
    run_load(m, 1000, seed=6)
    wait_synced(m, r1, r2)
    assert_same_data(m, r1, r2)
    old = info(m)
    old_id, old_off = old["master_replid"], int(old["master_repl_offset"])

    assert call(r1, "REPLICAOF", "NO", "ONE") == b"+OK\r\n"
    p = info(r1)
    assert p["role"] == "master"
    assert p["master_replid2"] == old_id, p
    assert p["second_repl_offset"] == str(old_off + 1), p
    assert re.fullmatch("[0-9a-f]{40}", p["master_replid"]) and p["master_replid"] != old_id, p
    assert p["master_repl_offset"] == str(old_off), p
    new_id = p["master_replid"]

    # The other replica, then the old master, follow the promoted node: both continue.
    replicaof(r2, r1)
    wait_synced(r1, r2)
    replicaof(m, r1)
    wait_synced(r1, r2, m)
    assert sync_stats(r1) == {"sync_full": 0, "sync_partial_ok": 2, "sync_partial_err": 0}
    for n in (r2, m):
        i = info(n)
        assert (i["master_replid"], i["master_replid2"]) == (new_id, old_id), (n.label, i)
        assert i["second_repl_offset"] == str(old_off + 1), (n.label, i)
    assert_same_data(r1, r2, m)
    assert call(m, "SET", "s:0", "x").startswith(b"-READONLY ")

    run_load(r1, 1000, seed=7)
    wait_synced(r1, r2, m)
    assert_same_data(r1, r2, m)
    assert sync_stats(r1) == {"sync_full": 0, "sync_partial_ok": 2, "sync_partial_err": 0}


@pytest.mark.parametrize("mkind,r1kind", [("rhea", "rhea"), ("rhea", "redis"), ("redis", "rhea")],
                         ids=["all-rhea", "rhea-old-master", "rhea-promoted"])
def test_old_master_discards_writes_the_new_master_never_saw(nodes, mkind, r1kind):
    m = nodes(mkind, *NO_PING)
    populate(m)
    r1 = nodes(r1kind, *NO_PING, "--replicaof", HOST, m.port)
    run_load(m, 500, seed=8)
    wait_synced(m, r1)
    assert_same_data(m, r1)
    old_off = int(info(m)["master_repl_offset"])

    assert call(r1, "REPLICAOF", "NO", "ONE") == b"+OK\r\n"
    # The old master keeps taking writes the new one never sees...
    c = RawConn(m.port)
    for cmd in [("SET", "only-old", "1"), ("SET", "s:0", "old-timeline"), ("DEL", "h:0"),
                ("RPUSH", "l:0", "old"), ("SELECT", "3"), ("SET", "old3", "x"), ("SELECT", "0")]:
        assert not c.call(*cmd).startswith(b"-")
    c.close()
    assert int(info(m)["master_repl_offset"]) > old_off
    # ...while the new master moves on.
    for cmd in [("SET", "only-new", "1"), ("SET", "s:1", "new-timeline")]:
        assert call(r1, *cmd) == b"+OK\r\n"

    replicaof(m, r1)
    wait_synced(r1, m)
    assert_same_data(r1, m)
    assert call(m, "EXISTS", "only-old") == b":0\r\n"
    assert call(m, "GET", "s:1") == b"$12\r\nnew-timeline\r\n"
    assert call(m, "EXISTS", "h:0") == b":1\r\n"
    # Its history went past the point where the timelines split: no +CONTINUE.
    assert sync_stats(r1) == {"sync_full": 1, "sync_partial_ok": 0, "sync_partial_err": 1}


# ---------------------------------------------------------------------------------------
# 5: READONLY, MASTERDOWN, WAIT, min-replicas-to-write, compared with real Redis

def safety_transcript(nodes, kind):
    """The same steps against a `kind` master and a `kind` replica; a list of
    (step, reply) that must be identical for Rhea and Redis."""
    out = []
    m = nodes(kind, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10")
    c = RawConn(m.port)

    def rec(step, reply):
        out.append((step, reply))

    def good_line(p):
        return [(k, v) for k, v in info_fields(p) if k == "min_slaves_good_slaves"]

    rec("master alone: SET", c.call("SET", "k", "v"))
    rec("master alone: GET", c.call("GET", "k"))
    rec("master alone: MULTI", c.call("MULTI"))
    rec("master alone: SET in MULTI", c.call("SET", "k", "v"))
    rec("master alone: EXEC", c.call("EXEC"))
    rec("master alone: WAIT 0 0", c.call("WAIT", "0", "0"))
    rec("master alone: INFO min_slaves_good_slaves", good_line(m))

    r = nodes(kind, "--replicaof", HOST, m.port, "--replica-serve-stale-data", "no")
    wait_synced(m, r)
    deadline = time.time() + 5
    while c.call("SET", "k", "v") != b"+OK\r\n" and time.time() < deadline:
        time.sleep(0.05)
    # The offset has moved since the sync: the replica is receiving the stream (after a
    # diskless sync Redis starts it only on the replica's next ACK, up to 1 s later).
    wait_synced(m, r)
    rec("with a replica: SET", c.call("SET", "k", "v"))
    rec("with a replica: INFO min_slaves_good_slaves", good_line(m))
    rec("WAIT 1 100", c.call("WAIT", "1", "100"))
    c.call("SET", "k2", "v2")
    t0 = time.time()
    rec("WAIT 2 200", c.call("WAIT", "2", "200"))
    rec("WAIT 2 200 waited the timeout", time.time() - t0 >= 0.19)
    c.call("INCR", "n")
    rec("WAIT 1 0", c.call("WAIT", "1", "0"))
    rec("MULTI", c.call("MULTI"))
    rec("INCR in MULTI", c.call("INCR", "n"))
    rec("WAIT in MULTI", c.call("WAIT", "5", "3000"))
    t0 = time.time()
    reply = c.call("EXEC")
    rec("EXEC with WAIT: shape", re.sub(rb":\d+\r\n$", b":<n>\r\n", reply))
    rec("EXEC with WAIT did not block", time.time() - t0 < 1.0)

    rc = RawConn(r.port)
    wait_synced(m, r)
    rec("replica: GET", rc.call("GET", "k2"))
    rec("replica: SET", rc.call("SET", "x", "1"))
    rec("replica: DEL", rc.call("DEL", "k"))
    rec("replica: INCR", rc.call("INCR", "n"))
    rec("replica: WAIT", rc.call("WAIT", "1", "100"))
    rec("replica: MULTI", rc.call("MULTI"))
    rec("replica: SET in MULTI", rc.call("SET", "x", "1"))
    rec("replica: EXEC", rc.call("EXEC"))
    rec("replica: READONLY mode GET", rc.call("GET", "k"))

    m.stop(signal.SIGKILL)
    wait_for(lambda: None if info(r).get("master_link_status") == "down" else "link still up")
    for args in [("GET", "k"), ("SET", "x", "1"), ("DBSIZE",), ("PING",), ("ECHO", "hi"),
                 ("WAIT", "1", "100"), ("CONFIG", "GET", "replica-serve-stale-data"),
                 ("MULTI",), ("GET", "k"), ("EXEC",)]:
        rec("replica, master down, stale-data no: %s" % " ".join(args), rc.call(*args))
    rec("replica, master down: INFO replication first line",
        rc.call("INFO", "replication").split(b"\r\n")[1])
    assert call(r, "CONFIG", "SET", "replica-serve-stale-data", "yes") == b"+OK\r\n"
    rec("replica, master down, stale-data yes: GET", rc.call("GET", "k"))
    c.close()
    rc.close()
    return out


def test_readonly_masterdown_wait_min_replicas_like_redis(nodes):
    ours = safety_transcript(nodes, "rhea")
    theirs = safety_transcript(nodes, "redis")
    diffs = ["%s:\n    rhea:  %r\n    redis: %r" % (a[0], a[1], b[1])
             for a, b in zip(ours, theirs) if a != b]
    assert [s for s, _ in ours] == [s for s, _ in theirs]
    assert not diffs, "replies differ from Redis:\n" + "\n".join(diffs)
    # The oracle itself, so the comparison cannot pass on two empty transcripts.
    got = dict(theirs)
    assert got["master alone: SET"] == b"-NOREPLICAS Not enough good replicas to write.\r\n"
    assert got["with a replica: SET"] == b"+OK\r\n"
    assert got["WAIT 1 100"] == b":1\r\n" and got["WAIT 2 200"] == b":1\r\n"
    assert got["replica: SET"].startswith(b"-READONLY")
    assert got["replica, master down, stale-data no: GET k"].startswith(b"-MASTERDOWN")


# ---------------------------------------------------------------------------------------
# 6: Sentinel's reconfiguration transaction


def reconfigure(nodes, kind, master):
    """A `kind` server started from a config file, holding its own data, is turned into
    a replica of `master` the way Sentinel does it. Returns (node, EXEC reply, the reply
    to a PING on the same connection afterwards, whether another client was closed)."""
    x = nodes(kind, config_text="appendonly no\nenable-debug-command yes\n")
    assert call(x, "SET", "stale", "1") == b"+OK\r\n"
    other = RawConn(x.port)
    assert other.call("PING") == b"+PONG\r\n"
    c = RawConn(x.port)
    replies = [c.call("MULTI"), c.call("REPLICAOF", HOST, master.port),
               c.call("CONFIG", "REWRITE"), c.call("CLIENT", "KILL", "TYPE", "normal")]
    assert replies == [b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n"], (kind, replies)
    exec_reply = c.call("EXEC")
    after = c.call("PING")  # CLIENT KILL skips the caller (SKIPME yes)
    _, other_closed = other.read_all_until_close(2.0)
    c.close()
    other.close()
    return x, exec_reply, after, other_closed


def test_sentinel_reconfiguration_transaction(nodes):
    master = nodes("redis")
    populate(master)
    ours = reconfigure(nodes, "rhea", master)
    theirs = reconfigure(nodes, "redis", master)
    assert ours[1:] == theirs[1:], "EXEC reply, PING after, other client closed\n  rhea:  %r\n  redis: %r" % (
        ours[1:], theirs[1:])
    assert theirs[1:] == (b"*3\r\n+OK\r\n+OK\r\n:1\r\n", b"+PONG\r\n", True)
    x, y = ours[0], theirs[0]
    wait_synced(master, x, y)
    assert_same_data(master, x, y)
    assert call(x, "EXISTS", "stale") == b":0\r\n"
    for n in (x, y):
        with open(os.path.join(n.cwd, "redis.conf")) as f:
            conf = f.read()
        assert re.search(r"^replicaof 127\.0\.0\.1 %d$" % master.port, conf, re.M), (n.label, conf)
        assert "enable-debug-command yes" in conf, (n.label, conf)


# ---------------------------------------------------------------------------------------
# 7: INFO replication field names and order, ROLE shapes


def role_shape(raw, ports):
    """ROLE's reply as nested (type, value): strings kept, known ports named, other
    numbers (offsets, in bulk or integer form) replaced by <n>."""
    def walk(pos):
        t = raw[pos:pos + 1]
        eol = raw.index(b"\r\n", pos)
        head = raw[pos + 1:eol]
        nxt = eol + 2
        if t == b"*":
            items = []
            for _ in range(int(head)):
                v, nxt = walk(nxt)
                items.append(v)
            return ("*", items), nxt
        if t == b"$":
            n = int(head)
            s = raw[nxt:nxt + n].decode()
            nxt += n + 2
        else:
            s = head.decode()
        if s in ports:
            s = ports[s]
        elif re.fullmatch(r"-?\d+", s):
            s = "<n>"
        return (t.decode(), s), nxt
    v, end = walk(0)
    assert end == len(raw)
    return v


def topology_shapes(nodes, kind):
    m = nodes(kind)
    r = nodes(kind, "--replicaof", HOST, m.port)
    wait_synced(m, r)
    wait_for(lambda: None if "state=online" in info(m).get("slave0", "") else info(m))
    ports = {str(m.port): "<master-port>", str(r.port): "<replica-port>"}
    mi = info_fields(m)
    shapes = {
        "master INFO names": [k for k, _ in mi],
        "master slave0 fields": [kv.split("=")[0] for kv in dict(mi)["slave0"].split(",")],
        "replica INFO names": [k for k, _ in info_fields(r)],
        "master ROLE": role_shape(call(m, "ROLE"), ports),
        "replica ROLE": role_shape(call(r, "ROLE"), ports),
    }
    m.stop(signal.SIGKILL)
    wait_for(lambda: None if info(r).get("master_link_status") == "down" else "link still up")
    shapes["replica with master down INFO names"] = [k for k, _ in info_fields(r)]
    shape = role_shape(call(r, "ROLE"), ports)
    assert shape[1][3][1] in ("connect", "connecting"), shape
    shape[1][3] = ("$", "<connect|connecting>")
    shapes["replica with master down ROLE"] = shape
    return shapes


def test_info_replication_and_role_shapes_like_redis(nodes):
    ours = topology_shapes(nodes, "rhea")
    theirs = topology_shapes(nodes, "redis")
    for name in theirs:
        assert ours[name] == theirs[name], "%s\n  rhea:  %r\n  redis: %r" % (name, ours[name], theirs[name])
    assert theirs["master ROLE"] == ("*", [("$", "master"), (":", "<n>"), ("*", [
        ("*", [("$", "127.0.0.1"), ("$", "<replica-port>"), ("$", "<n>")])])])


@pytest.mark.parametrize("mkind", ["rhea", "redis"])
def test_replica_announce_ip_and_port(nodes, mkind):
    """`replica-announce-ip/port` of a Rhea replica reach the master as REPLCONF: its
    INFO slave line and ROLE show the announced address, not the connection's."""
    master = nodes(mkind)
    replica = nodes("rhea", "--replica-announce-ip", "10.11.12.13",
                    "--replica-announce-port", "4321")
    replicaof(replica, master)

    def listed():
        lines = [v for k, v in info_fields(master) if re.fullmatch(r"slave\d+", k)]
        if not any(v.startswith("ip=10.11.12.13,port=4321,state=online,") for v in lines):
            return "slave lines: %r" % lines
        return None
    wait_for(listed)
    role = parse(call(master, "ROLE"))[0]
    assert role[2] == [[b"10.11.12.13", b"4321", role[2][0][2]]]
