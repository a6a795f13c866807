"""maxmemory and eviction (Redis 7.0 `evict.c`, the OOM step of `processCommand`).

Two kinds of tests:

* Differential, byte for byte against redis-server 7.0.15: the OOM refusal and which
  commands it hits (plain, in MULTI, at EXEC), the EXECABORT wording, CONFIG SET
  maxmemory evicting at once, `evicted` notifications, WATCH invalidation, OBJECT FREQ /
  IDLETIME. `maxmemory 1` puts either server over its limit whatever its baseline.
* Behavioural, per policy, run against Rhea *and* real Redis with the same thresholds:
  fill a server, set maxmemory to what it uses, add more keys, then check which keys
  went. Running them on Redis too shows the thresholds are ones the real sampled
  algorithm meets; each is chosen so that a policy picking keys at random (or the wrong
  kind of key) fails it by many standard deviations.
"""
import shutil
import tempfile
import time

import pytest

from admin_util import call, info_fields
from resp import RawConn, encode
from servers import start_redis, start_rhea

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
OOM_EXECABORT = (b"-EXECABORT Transaction discarded because of: OOM command not allowed "
                 b"when used memory > 'maxmemory'.\r\n")
VALUE = b"v" * 400


def reset(conn):
    for name, v in (("maxmemory", "0"), ("maxmemory-policy", "noeviction"),
                    ("maxmemory-eviction-tenacity", "10"), ("notify-keyspace-events", "")):
        assert conn.call("CONFIG", "SET", name, v) == b"+OK\r\n"
    conn.call("FLUSHALL")
    conn.call("CONFIG", "RESETSTAT")


@pytest.fixture
def pair(rhea_server, redis_server):
    """Override conftest's pair: both servers reset before and after (config included)."""
    from conftest import Pair
    ours, theirs = RawConn(rhea_server.port), RawConn(redis_server.port)
    for c in (ours, theirs):
        reset(c)
    yield Pair(ours, theirs)
    for c in (ours, theirs):
        reset(c)
        c.close()


@pytest.fixture(params=["rhea", "redis"])
def any_server(request, rhea_server, redis_server):
    """One connection to Rhea, then (second run) to real Redis, reset around the test."""
    srv = rhea_server if request.param == "rhea" else redis_server
    conn = RawConn(srv.port, timeout=30)
    reset(conn)
    yield conn
    reset(conn)
    conn.close()


def pipe(conn, cmds, chunk=500):
    """Send commands in pipelined chunks; return the raw replies."""
    out = []
    for i in range(0, len(cmds), chunk):
        part = cmds[i:i + chunk]
        conn.send_raw(b"".join(encode(*c) for c in part))
        out.extend(conn.read_reply() for _ in part)
    return out


def info(conn, section):
    return info_fields(call(conn, "INFO", section))


def used_memory(conn):
    return int(info(conn, "memory")["used_memory"])


def evicted(conn):
    return int(info(conn, "stats")["evicted_keys"])


def set_all(conn, keys, ttl=None):
    """SET every key to VALUE (EX ttl(key) when given); every reply must be +OK."""
    cmds = [("SET", k, VALUE) + (("EX", ttl(k)) if ttl else ()) for k in keys]
    replies = pipe(conn, cmds)
    assert all(r == b"+OK\r\n" for r in replies), set(replies)


def alive(conn, keys):
    """The subset of keys that still exist."""
    replies = pipe(conn, [("EXISTS", k) for k in keys])
    return {k for k, r in zip(keys, replies) if r == b":1\r\n"}


def squeeze(conn, new_keys, ttl=None):
    """Cap memory at what is used now, then add `new_keys`: everything they take must be
    evicted. Checks that eviction happened and memory stayed at the limit, then lifts
    the limit (so inspecting the keyspace evicts nothing more); returns the number of
    keys evicted (the statistics were reset with the test)."""
    assert evicted(conn) == 0
    limit = used_memory(conn)
    assert conn.call("CONFIG", "SET", "maxmemory", limit) == b"+OK\r\n"
    set_all(conn, new_keys, ttl)
    used = used_memory(conn)
    assert conn.call("CONFIG", "SET", "maxmemory", "0") == b"+OK\r\n"
    n = evicted(conn)
    # New keys the size of the old ones, so about as many keys had to go.
    assert n >= len(new_keys) // 2, (n, len(new_keys))
    # At most one command's growth above the limit, and no gross over-eviction.
    assert used <= limit + 64 * 1024, (used, limit)
    assert used >= limit * 3 // 4, (used, limit)
    return n


def cold_keys(n):
    return ["cold:%d" % i for i in range(n)]


# ===== the OOM refusal, differential =====

def test_oom_refusals_match_redis(pair):
    pair.script([
        ("SET", "s", "1"), ("RPUSH", "l", "a"), ("SADD", "set", "m"), ("SET", "gone", "x"),
        ("CONFIG", "SET", "maxmemory", "1"),
    ])
    # noeviction: over the limit, nothing evictable.
    assert pair.same("SET", "k", "v") == OOM
    for cmd in (("LPUSH", "l", "b"), ("SADD", "set", "n"), ("INCR", "s"),
                ("APPEND", "s", "x"), ("HSET", "h", "f", "v"), ("ZADD", "z", "1", "m"),
                ("SETRANGE", "s", "5", "x"), ("MSET", "a", "1"), ("GETSET", "s", "2"),
                ("RPUSHX", "l", "z"), ("SUNIONSTORE", "dst", "set"), ("COPY", "s", "s2")):
        assert pair.same(*cmd) == OOM, cmd
    # Commands that cannot grow memory still run: reads, deletes, TTL changes, admin.
    assert pair.same("GET", "s") == b"$1\r\n1\r\n"
    pair.same("LRANGE", "l", "0", "-1")
    pair.same("EXPIRE", "s", "100")
    pair.same("PERSIST", "s")
    pair.same("LPOP", "l")
    assert pair.same("DEL", "gone") == b":1\r\n"
    pair.same("UNLINK", "set")
    pair.same("DBSIZE")
    pair.same("PING")
    pair.same("EXISTS", "s", "l")
    # Counted as rejected calls and as OOM errors, as Redis counts them.
    for conn in (pair.ours, pair.theirs):
        assert conn.call("CONFIG", "SET", "maxmemory", "0") == b"+OK\r\n"
    a, b = (info(c, "errorstats") for c in (pair.ours, pair.theirs))
    assert a["errorstat_OOM"] == b["errorstat_OOM"] == "count=13"
    a, b = (info(c, "commandstats")["cmdstat_set"] for c in (pair.ours, pair.theirs))
    assert a.split(",")[-2:] == b.split(",")[-2:] == ["rejected_calls=1", "failed_calls=0"]


def test_oom_inside_multi_matches_redis(pair):
    pair.both("SET", "k", "v")
    pair.both("CONFIG", "SET", "maxmemory", "1")
    pair.script([
        # MULTI itself is allowed; inside it every command but EXEC/DISCARD is refused,
        # reads included (a queue can grow without bound), and EXEC then aborts.
        ("MULTI",), ("SET", "k", "w"), ("GET", "k"), ("EXEC",),
        ("MULTI",), ("GET", "k"), ("DISCARD",),
        ("MULTI",), ("EXEC",),
        ("GET", "k"),
    ])
    assert pair.same("MULTI") == b"+OK\r\n"
    assert pair.same("PING") == OOM
    pair.same("EXEC")


def test_exec_of_a_queued_write_aborts_when_oom(pair, rhea_server, redis_server):
    """A write queued while memory was fine makes EXEC a denyoom command; EXEC is then
    rejected and the transaction discarded (`execCommandAbort`)."""
    pair.both("SET", "k", "v")
    pair.script([("MULTI",), ("SET", "k", "w"), ("GET", "k")])
    for srv in (rhea_server, redis_server):
        admin = RawConn(srv.port)
        admin.call("CONFIG", "SET", "maxmemory", "1")
        admin.close()
    assert pair.same("EXEC") == OOM_EXECABORT
    # Out of MULTI now, and nothing ran.
    assert pair.same("GET", "k") == b"$1\r\nv\r\n"
    pair.same("EXEC")
    # A queue of reads only still executes over the limit.
    pair.script([("MULTI",), ("GET", "k"), ("EXEC",)])
    a, b = (info(c, "errorstats") for c in (pair.ours, pair.theirs))
    assert a == b


def test_exec_arity_error_aborts_the_transaction(pair):
    """Any rejection of EXEC goes through execCommandAbort, even outside MULTI."""
    pair.script([("EXEC", "x"), ("MULTI",), ("SET", "a", "1"), ("EXEC", "x"), ("EXEC",),
                 ("GET", "a")])


# ===== eviction, differential (deterministic with maxmemory 1) =====

@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_config_set_maxmemory_evicts_everything_at_once(pair, rhea_server, redis_server,
                                                        policy):
    """CONFIG SET maxmemory evicts inside the CONFIG SET itself (`updateMaxmemory`):
    the `evicted` events arrive before any other command runs."""
    subs = []
    for srv, conn in ((rhea_server, pair.ours), (redis_server, pair.theirs)):
        pipe(conn, [("SET", "k%d" % i, "v") for i in range(100)])
        conn.call("CONFIG", "SET", "maxmemory-policy", policy)
        conn.call("CONFIG", "SET", "notify-keyspace-events", "Ee")
        sub = RawConn(srv.port)
        sub.call("SUBSCRIBE", "__keyevent@0__:evicted")
        subs.append(sub)
    pair.same("CONFIG", "SET", "maxmemory", "1")
    got = []
    for sub in subs:
        keys = set()
        for _ in range(100):
            msg = sub.read_reply()
            assert msg.startswith(b"*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:evicted\r\n")
            keys.add(msg.split(b"\r\n")[-2])
        got.append(keys)
        sub.close()
    assert got[0] == got[1] == {b"k%d" % i for i in range(100)}
    pair.same("DBSIZE")
    # Still over the limit with nothing left: writes are refused, as under noeviction.
    assert pair.same("SET", "x", "y") == OOM
    assert evicted(pair.ours) == evicted(pair.theirs) == 100


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl"])
def test_volatile_policies_only_evict_keys_with_a_ttl(pair, policy):
    for i in range(50):
        pair.both("SET", "ttl%d" % i, "v", "EX", 1000 + i)
        pair.both("SET", "keep%d" % i, "v")
    pair.both("CONFIG", "SET", "maxmemory-policy", policy)
    pair.same("CONFIG", "SET", "maxmemory", "1")
    assert pair.same("DBSIZE") == b":50\r\n"
    assert pair.same("EXISTS", *["keep%d" % i for i in range(50)]) == b":50\r\n"
    # Nothing evictable remains: a volatile policy fails like noeviction.
    assert pair.same("SET", "x", "y") == OOM
    assert pair.same("GET", "keep0") == b"$1\r\nv\r\n"
    assert evicted(pair.ours) == evicted(pair.theirs) == 50


def test_eviction_invalidates_watch(pair, rhea_server, redis_server):
    pair.both("SET", "k", "v")
    pair.script([("WATCH", "k")])
    for srv in (rhea_server, redis_server):
        admin = RawConn(srv.port)
        admin.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
        admin.call("CONFIG", "SET", "maxmemory", "1")
        admin.call("CONFIG", "SET", "maxmemory", "0")
        admin.close()
    pair.script([("EXISTS", "k"), ("MULTI",), ("PING",)])
    assert pair.same("EXEC") == b"*-1\r\n"


def test_object_freq_and_idletime_match_redis(pair):
    pair.script([
        ("SET", "k", "v"),
        ("OBJECT", "IDLETIME", "k"),
        ("OBJECT", "FREQ", "k"),
        ("OBJECT", "FREQ", "nosuch"),
        ("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"),
        ("OBJECT", "IDLETIME", "k"),
        ("OBJECT", "IDLETIME", "nosuch"),
        # A new key starts at LFU_INIT_VAL (5); OBJECT does not count as an access; the
        # first access always increments (p = 1 at or below the initial value).
        ("SET", "n", "v"),
        ("OBJECT", "FREQ", "n"),
        ("OBJECT", "FREQ", "n"),
        ("GET", "n"),
        ("OBJECT", "FREQ", "n"),
        # Overwriting touches the key and keeps its counter (dbSetValue), so a second
        # SET of a new key is also its first access.
        ("SET", "m", "v"), ("SET", "m", "w"), ("OBJECT", "FREQ", "m"),
        ("CONFIG", "SET", "maxmemory-policy", "volatile-lfu"),
        ("OBJECT", "FREQ", "n"),
        ("CONFIG", "SET", "maxmemory-policy", "volatile-ttl"),
        ("OBJECT", "FREQ", "n"),
    ])


def test_lfu_counter_grows_logarithmically(any_server):
    """Many accesses raise the counter, more slowly the higher it is; lfu-log-factor 0
    makes every access count."""
    c = any_server
    c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    c.call("SET", "k", "v")
    pipe(c, [("GET", "k")] * 1000)
    freq = call(c, "OBJECT", "FREQ", "k")
    # factor 10: about 1 + log-ish growth; 1000 hits land in the teens or low twenties.
    assert 10 <= freq <= 30, freq
    c.call("CONFIG", "SET", "lfu-log-factor", "0")
    try:
        c.call("SET", "j", "v")
        pipe(c, [("GET", "j")] * 100)
        assert call(c, "OBJECT", "FREQ", "j") == 105
    finally:
        c.call("CONFIG", "SET", "lfu-log-factor", "10")


# ===== eviction policies, behavioural (Rhea and Redis alike) =====

HOT_EVERY = 10


def fill_for_policy(c, policy):
    """3000 cold keys (with a TTL under volatile-*), plus 500 keys without one that a
    volatile policy must never evict. Returns (cold, keep, ttl)."""
    volatile = policy.startswith("volatile")
    ttl = (lambda k: 100_000) if volatile else None
    c.call("CONFIG", "SET", "maxmemory-policy", policy)
    cold = cold_keys(3000)
    set_all(c, cold, ttl)
    keep = ["keep:%d" % i for i in range(500)] if volatile else []
    set_all(c, keep)
    return cold, keep, ttl


@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-lru"])
def test_lru_keeps_recently_used_keys(any_server, policy):
    c = any_server
    cold, keep, ttl = fill_for_policy(c, policy)
    # The LRU clock ticks once a second: let the cold keys age, then touch the hot set.
    time.sleep(2.2)
    hot = cold[::HOT_EVERY]
    pipe(c, [("GET", k) for k in hot])
    n = squeeze(c, ["new:%d" % i for i in range(1500)], ttl)
    survived = len(alive(c, hot)) / len(hot)
    # Random eviction of ~n of the 4500 candidates would keep about 1 - n/4500 (~0.67)
    # of the hot keys, give or take 0.03; LRU has 2700 older keys to take first.
    assert survived >= 0.9, (survived, n)
    assert alive(c, keep) == set(keep), "keys without a TTL are never evicted"


@pytest.mark.parametrize("policy", ["allkeys-lfu", "volatile-lfu"])
def test_lfu_keeps_frequently_used_keys(any_server, policy):
    c = any_server
    cold, keep, ttl = fill_for_policy(c, policy)
    hot = cold[::HOT_EVERY]
    # Three accesses take a counter from 5 to at least 6 (the first is certain), above
    # every untouched key, even across a minute boundary (decay then lowers the others).
    pipe(c, [("GET", k) for k in hot] * 3)
    n = squeeze(c, ["new:%d" % i for i in range(1500)], ttl)
    survived = len(alive(c, hot)) / len(hot)
    assert survived >= 0.9, (survived, n)
    assert alive(c, keep) == set(keep), "keys without a TTL are never evicted"


def test_volatile_ttl_evicts_the_soonest_expiring_first(any_server):
    c = any_server
    c.call("CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
    ttl_keys = ["ttl:%d" % i for i in range(3000)]
    set_all(c, ttl_keys, lambda k: 100_000 + int(k.split(":")[1]))
    keep = ["keep:%d" % i for i in range(500)]
    set_all(c, keep)
    new = ["new:%d" % i for i in range(1000)]
    n = squeeze(c, new)
    gone = set(ttl_keys) - alive(c, ttl_keys)
    assert len(gone) == n, "only keys with a TTL may go"
    soonest = {"ttl:%d" % i for i in range(1500)}
    # Random eviction would take half of them from the later-expiring half.
    share = len(gone & soonest) / len(gone)
    assert share >= 0.95, (share, n)
    assert alive(c, keep + new) == set(keep + new)


def test_volatile_random_evicts_only_keys_with_a_ttl(any_server):
    c = any_server
    c.call("CONFIG", "SET", "maxmemory-policy", "volatile-random")
    ttl_keys = ["ttl:%d" % i for i in range(3000)]
    set_all(c, ttl_keys, lambda k: 100_000 + int(k.split(":")[1]))
    keep = ["keep:%d" % i for i in range(500)]
    set_all(c, keep)
    new = ["new:%d" % i for i in range(1000)]
    n = squeeze(c, new)
    gone = set(ttl_keys) - alive(c, ttl_keys)
    assert len(gone) == n
    assert alive(c, keep + new) == set(keep + new)
    # Not by TTL: both halves of the TTL range lose keys (volatile-ttl takes ~0 from the
    # later half).
    later = {"ttl:%d" % i for i in range(1500, 3000)}
    assert len(gone & later) >= n // 4, (len(gone & later), n)


def test_allkeys_random_evicts_keys_of_both_kinds(any_server):
    c = any_server
    c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    with_ttl = ["ttl:%d" % i for i in range(2000)]
    set_all(c, with_ttl, lambda k: 100_000)
    plain = ["plain:%d" % i for i in range(2000)]
    set_all(c, plain)
    n = squeeze(c, ["new:%d" % i for i in range(1500)])
    lost_ttl = len(with_ttl) - len(alive(c, with_ttl))
    lost_plain = len(plain) - len(alive(c, plain))
    # About n * 2000/5500 each; a volatile policy would lose no plain key.
    assert lost_ttl >= n // 5 and lost_plain >= n // 5, (lost_ttl, lost_plain, n)


def test_noeviction_refuses_writes_and_serves_reads(any_server):
    c = any_server
    set_all(c, cold_keys(500))
    limit = used_memory(c) + 512 * 1024
    assert c.call("CONFIG", "SET", "maxmemory", limit) == b"+OK\r\n"
    written = 0
    reply = b"+OK\r\n"
    while reply == b"+OK\r\n":
        reply = c.call("SET", "more:%d" % written, VALUE)
        written += 1
        assert written < 100_000, "never refused"
    assert reply == OOM
    used = used_memory(c)
    # Refused because it was over the limit; buffers may shrink a little since.
    assert limit - 64 * 1024 <= used <= limit + 64 * 1024, (used, limit)
    assert evicted(c) == 0
    # The refusal came at the limit give or take one command's buffers; lower the limit
    # so that what follows is clearly over it (noeviction evicts nothing meanwhile).
    limit = used - 128 * 1024
    assert c.call("CONFIG", "SET", "maxmemory", limit) == b"+OK\r\n"
    assert c.call("GET", "cold:0") == b"$400\r\n" + VALUE + b"\r\n"
    assert c.call("LPUSH", "list", "x") == OOM
    # Over the limit since the first refusal: INFO reports the time (ms) spent so.
    time.sleep(0.3)
    stats = info(c, "stats")
    assert int(stats["current_eviction_exceeded_time"]) >= 250
    assert int(stats["total_eviction_exceeded_time"]) >= int(
        stats["current_eviction_exceeded_time"])
    assert c.call("DEL", "cold:1") == b":1\r\n"
    # Freeing enough memory lets writes through again.
    pipe(c, [("DEL", k) for k in cold_keys(500)])
    assert c.call("SET", "after", "v") == b"+OK\r\n"
    assert info(c, "stats")["current_eviction_exceeded_time"] == "0"


@pytest.mark.parametrize("server", ["rhea", "redis"])
def test_eviction_continues_between_commands(server, rhea_server, redis_server):
    """With tenacity 0 a cycle stops after 16 keys and the event loop carries on
    (`evictionTimeProc`): without any further command the keyspace empties."""
    srv = rhea_server if server == "rhea" else redis_server
    c = RawConn(srv.port, timeout=30)
    reset(c)
    try:
        pipe(c, [("SET", "k%d" % i, "v") for i in range(20_000)])
        c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
        c.call("CONFIG", "SET", "maxmemory-eviction-tenacity", "0")
        c.call("CONFIG", "SET", "maxmemory", "1")
        time.sleep(1.0)
        # This DBSIZE's own cycle evicts at most 16 keys.
        assert c.call("DBSIZE") == b":0\r\n"
        assert evicted(c) == 20_000
    finally:
        reset(c)
        c.close()


# ===== INFO memory =====

def test_used_memory_counts_the_dataset(rhea_server):
    c = RawConn(rhea_server.port)
    reset(c)
    before = used_memory(c)
    set_all(c, cold_keys(2000))
    grown = used_memory(c) - before
    # 2000 values of 400 bytes plus keys and table: at least the payload, at most 2x.
    assert 800_000 <= grown <= 1_600_000, grown
    m = info(c, "memory")
    used, rss = int(m["used_memory"]), int(m["used_memory_rss"])
    assert int(m["used_memory_peak"]) >= used
    # Both figures come from one reading of each, so they agree exactly.
    assert m["mem_fragmentation_ratio"] == "%.2f" % (rss / used)
    assert int(m["mem_fragmentation_bytes"]) == rss - used
    assert m["mem_not_counted_for_evict"] == "0"
    assert int(m["used_memory_startup"]) < before
    assert int(m["used_memory_dataset"]) >= 800_000
    c.call("CONFIG", "SET", "maxmemory", "3mb")
    m = info(c, "memory")
    assert (m["maxmemory"], m["maxmemory_human"]) == ("3145728", "3.00M")
    c.call("FLUSHALL")
    assert used_memory(c) - before < 100_000
    reset(c)
    c.close()


def test_loaded_keys_start_with_fresh_access_data():
    """After a restart, a key's idle time starts at 0 and its LFU counter at the
    initial 5, as for a new key (our dumps, like Redis's under noeviction, carry no
    IDLE/FREQ records)."""
    got = []
    for start in (start_rhea, start_redis):
        d = tempfile.mkdtemp(prefix="evict-load-")
        s = start(cwd=d)
        c = RawConn(s.port)
        c.call("SET", "k", "v")
        assert c.call("SAVE") == b"+OK\r\n"
        c.close()
        s.stop()
        seen = []
        for policy in ("allkeys-lru", "allkeys-lfu"):
            s = start("--maxmemory-policy", policy, cwd=d)
            c = RawConn(s.port)
            seen.append(c.call("OBJECT", "IDLETIME" if policy.endswith("lru") else "FREQ",
                               "k"))
            c.close()
            s.stop()
        shutil.rmtree(d, ignore_errors=True)
        got.append(seen)
    assert got[0] == got[1] == [b":0\r\n", b":5\r\n"]
