"""The seed's three redis-server nodes in network namespaces (issue 4).

Node N runs ../shared/seed/configs/redis-nodeN.conf with only the addresses rewritten
(192.168.0.N → 192.0.2.N), from its own directory so dump.rdb lands there; the file
keeps requirepass/masterauth, protected-mode, bind, slaveof and maxmemory as written.
The one command-line option is `--enable-debug-command yes`, for DEBUG DIGEST.

The steps share one lab per program and run in order:

1. node2 and node3 replicate node1; a dataset of every type (TTLs, db 3, rewritten
   commands, keys that expire) reaches both; offsets and digests equal.
2. node3 is stopped with SIGTERM (`docker stop`), node1 takes more writes, node3 is
   restarted on its dump and continues with a partial resync (sync_partial_ok + 1,
   sync_full unchanged).
3. Failover as Sentinel does it: REPLICAOF NO ONE on node2, node3 re-pointed to node2
   (+CONTINUE thanks to PSYNC2), then node1 writes something node2 never sees, snapshots
   it and crashes (SIGKILL). node2 takes the new timeline's writes; node1 restarts on
   its dump, is pointed at node2, drops its stray write and holds everything node2 has.

Real redis-server 7.0.15 runs first and pins the expected behaviour; then Rhea. Every
process is started inside the lab and ended by pid; the namespaces are removed at
teardown. On failure each node's log is printed (and its directory kept).
"""
import contextlib
import ctypes
import os
import random
import shutil
import signal
import tempfile
import threading
import time

import pytest
import redis as redispy
from redis.backoff import NoBackoff
from redis.retry import Retry

import netns
from servers import ROOT, rhea_bin

SEED = os.path.join(ROOT, "..", "shared", "seed", "configs")
PASSWORD = "somepassword"
PORT = 6379
ADDRS = {"node1": "192.0.2.2", "node2": "192.0.2.3", "node3": "192.0.2.4"}
SEED_ADDRS = {"node1": "192.168.0.2", "node2": "192.168.0.3", "node3": "192.168.0.4"}
DBS = (0, 3)

pytestmark = [
    pytest.mark.skipif(not netns.available(), reason="needs root and iproute2"),
    pytest.mark.skipif(not os.path.exists(os.path.join(SEED, "redis-node1.conf")),
                       reason="seed configs not present"),
]


# ---------------------------------------------------------------------------------------
# Clients inside a namespace: the socket is created by a thread that first joined the
# namespace (setns applies to the calling thread only), so traffic stays on the lab's
# bridge and the test process itself never leaves its own namespace.

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def in_netns(ns, fn):
    out = {}

    def run():
        try:
            fd = os.open(os.path.join("/var/run/netns", ns), os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, "setns(%s): %s" % (ns, os.strerror(err)))
            finally:
                os.close(fd)
            out["value"] = fn()
        except BaseException as e:  # re-raised in the caller's thread
            out["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


class NsConnection(redispy.Connection):
    def __init__(self, *args, netns_name=None, **kwargs):
        self.netns_name = netns_name
        super().__init__(*args, **kwargs)

    def _connect(self):
        connect = super()._connect
        return in_netns(self.netns_name, connect)


# ---------------------------------------------------------------------------------------
# Nodes


class Node:
    def __init__(self, lab, name, program):
        self.lab, self.name, self.program = lab, name, program
        self.addr = ADDRS[name]
        self.dir = tempfile.mkdtemp(prefix="repl-%s-%s-" % (program, name))
        with open(os.path.join(SEED, "redis-%s.conf" % name)) as f:
            original = f.read()
        text = original
        for n, seed_addr in SEED_ADDRS.items():
            text = text.replace(seed_addr, ADDRS[n])
        assert "192.168." not in text and text.count("\n") == original.count("\n")
        self.conf = os.path.join(self.dir, "redis-%s.conf" % name)
        with open(self.conf, "w") as f:
            f.write(text)
        self.proc = None
        self.logs = []
        self.clients = {}

    def start(self):
        log = os.path.join(self.dir, "server-%d.log" % (len(self.logs) + 1))
        self.logs.append(log)
        prog = ["redis-server"] if self.program == "redis" else [rhea_bin(), "server"]
        argv = prog + [self.conf, "--enable-debug-command", "yes"]
        self.proc = self.lab.spawn(self.name, argv, log, cwd=self.dir)
        self.clients = {}
        self.wait_ready()

    def stop(self, sig):
        """Signal the server by pid and wait for it to exit; returns the exit status."""
        for c in self.clients.values():
            c.close()
        self.clients = {}
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(20)
        except Exception:
            raise AssertionError("%s did not exit within 20 s of signal %s"
                                 % (self.name, signal.Signals(sig).name))

    def r(self, db=0):
        if db not in self.clients:
            pool = redispy.ConnectionPool(
                connection_class=NsConnection, netns_name=self.lab.ns(self.name),
                host=self.addr, port=PORT, db=db, password=PASSWORD,
                socket_timeout=30, socket_connect_timeout=5, retry=Retry(NoBackoff(), 0))
            self.clients[db] = redispy.Redis(connection_pool=pool)
        return self.clients[db]

    def wait_ready(self, timeout=30):
        """Until PING answers +PONG (not -LOADING, not refused)."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited with status %s at startup"
                                     % (self.name, self.proc.returncode))
            try:
                if self.r().ping():
                    return
            except (redispy.ConnectionError, redispy.BusyLoadingError, OSError) as e:
                last = e
                self.clients = {}
            time.sleep(0.05)
        raise AssertionError("%s not ready after %d s: %r" % (self.name, timeout, last))

    def repl(self):
        return self.r().info("replication")

    def stats(self):
        return self.r().info("stats")

    def digest(self):
        return self.r().execute_command("DEBUG", "DIGEST")

    def snapshot(self):
        """{(db, key): (type, pttl, value)} over the databases the test writes."""
        out = {}
        for db in DBS:
            r = self.r(db)
            for key in r.scan_iter(count=1000):
                t = r.type(key)
                value = {b"string": lambda: r.get(key),
                         b"hash": lambda: sorted(r.hgetall(key).items()),
                         b"list": lambda: r.lrange(key, 0, -1),
                         b"set": lambda: sorted(r.smembers(key)),
                         b"zset": lambda: r.zrange(key, 0, -1, withscores=True)}[t]()
                out[(db, key)] = (t, r.pttl(key), value)
        return out


class Cluster:
    def __init__(self, program):
        self.program = program
        self.lab = netns.Lab(list(ADDRS))
        self.failed = False
        self.done = 0
        try:
            for name, addr in ADDRS.items():
                assert self.lab.addr(name) == addr
            self.nodes = {n: Node(self.lab, n, program) for n in ADDRS}
        except Exception:
            self.lab.close()
            raise

    def __getitem__(self, name):
        return self.nodes[name]

    def close(self):
        for node in self.nodes.values():
            for c in node.clients.values():
                c.close()
        self.lab.close()  # every spawned process by pid, then the namespaces
        for node in self.nodes.values():
            if self.failed:
                print("kept %s's directory: %s" % (node.name, node.dir))
            else:
                shutil.rmtree(node.dir, ignore_errors=True)

    def print_logs(self):
        for node in self.nodes.values():
            for log in node.logs:
                with open(log, "rb") as f:
                    text = f.read().decode(errors="replace")
                print("===== %s (%s) %s =====" % (node.name, self.program, log))
                print(text[-12000:])

    @contextlib.contextmanager
    def step(self, n):
        """Run step `n` after step n-1 succeeded; on failure print every server's log."""
        assert self.done == n - 1, "step %d did not pass, step %d cannot run" % (self.done + 1, n)
        try:
            yield
        except BaseException:
            self.failed = True
            for node in self.nodes.values():
                if node.proc is not None and node.proc.poll() is None:
                    try:
                        print("%s INFO replication: %r" % (node.name, node.repl()))
                    except Exception as e:
                        print("%s INFO replication failed: %r" % (node.name, e))
            self.print_logs()
            raise
        self.done = n


@pytest.fixture(scope="module", params=["redis", "rhea"])
def cluster(request):
    c = Cluster(request.param)
    yield c
    c.close()


# ---------------------------------------------------------------------------------------
# Waiting and comparing


def wait_for(what, cond, timeout=30):
    """Poll `cond()` -> (ok, seen) until ok; fail with the last thing seen."""
    deadline = time.time() + timeout
    seen = None
    while time.time() < deadline:
        ok, seen = cond()
        if ok:
            return seen
        time.sleep(0.1)
    raise AssertionError("timed out after %d s waiting for %s; last seen: %r"
                         % (timeout, what, seen))


def wait_synced(master, replicas, timeout=30):
    """Every replica's link to `master` is up and its offset is the master's."""
    def cond():
        m = master.repl()["master_repl_offset"]
        seen = {master.name: m}
        ok = True
        for rep in replicas:
            i = rep.repl()
            seen[rep.name] = (i.get("master_host"), i.get("master_link_status"),
                              i.get("slave_repl_offset"))
            ok = ok and seen[rep.name] == (master.addr, "up", m)
        return ok and master.repl()["master_repl_offset"] == m, seen
    return wait_for("%s in sync with %s" % ([r.name for r in replicas], master.name),
                    cond, timeout)


def assert_same_data(nodes):
    """DEBUG DIGEST equal everywhere; when not, name the keys that differ."""
    digests = {n.name: n.digest() for n in nodes}
    if len(set(digests.values())) == 1:
        return
    ref = nodes[0].snapshot()
    lines = ["digests differ: %r" % digests]
    for n in nodes[1:]:
        other = n.snapshot()
        only_ref = sorted(set(ref) - set(other))
        only_other = sorted(set(other) - set(ref))
        changed = sorted(k for k in set(ref) & set(other)
                         if ref[k][0] != other[k][0] or ref[k][2] != other[k][2]
                         or (ref[k][1] < 0) != (other[k][1] < 0))
        lines.append("%s vs %s: %d keys, %d keys; only on %s %r; only on %s %r; "
                     "%d different %r" % (nodes[0].name, n.name, len(ref), len(other),
                                          nodes[0].name, only_ref[:10], n.name,
                                          only_other[:10], len(changed), changed[:10]))
        for k in changed[:3]:
            lines.append("  %r on %s: %.300r" % (k, nodes[0].name, ref[k]))
            lines.append("  %r on %s: %.300r" % (k, n.name, other[k]))
    raise AssertionError("\n".join(lines))


# ---------------------------------------------------------------------------------------
# Writes


def write_dataset(node, tag, n, rng):
    """About `n` keys of every type on `node` (a master): plain and TTL keys, commands
    that Redis rewrites before propagating, a transaction, db 3, and keys that expire."""
    r = node.r()
    p = r.pipeline(transaction=False)
    for i in range(n):
        kind = i % 6
        key = "%s:%d" % (tag, i)
        if kind == 0:
            p.set(key + ":s", rng.choice(["x" * rng.randint(1, 300), str(rng.randint(-10**9, 10**9))]))
        elif kind == 1:
            p.hset(key + ":h", mapping={"f%d" % j: rng.randint(0, 10**6)
                                        for j in range(rng.choice([3, 20, 200]))})
        elif kind == 2:
            p.rpush(key + ":l", *[rng.randint(0, 999) for _ in range(rng.choice([1, 10, 200]))])
        elif kind == 3:
            p.sadd(key + ":set", *rng.sample(range(10**6), rng.choice([2, 20, 600])))
        elif kind == 4:
            p.zadd(key + ":z", {"m%d" % j: rng.random() * 100 for j in range(rng.choice([5, 200]))})
        else:
            p.set(key + ":ttl", "v", ex=3600 + i)         # SET … PXAT on the stream
            p.expire("%s:%d:s" % (tag, i - 5), 7200)       # PEXPIREAT
            p.expire(key + ":s", 7200)                     # no such key: nothing propagated
        if i % 50 == 0:
            p.set("%s:f:%d" % (tag, i), "1.5")
            p.incrbyfloat("%s:f:%d" % (tag, i), 2.25)  # SET … KEEPTTL
            p.execute_command("SETEX", "%s:ex:%d" % (tag, i), 5000, "e")
            p.getex("%s:ex:%d" % (tag, i), persist=True)
        if i % 100 == 0:
            p.set("%s:short:%d" % (tag, i), "gone", px=200)  # expires: DEL on the stream
    p.execute()
    p = r.pipeline(transaction=False)
    for i in range(3, n, 6 * 17):
        p.spop("%s:%d:set" % (tag, i), 2)  # propagated as what it removed
        p.spop("%s:%d:set" % (tag, i))
    p.execute()
    with r.pipeline(transaction=True) as t:  # MULTI … EXEC
        t.incr("%s:counter" % tag)
        t.lpush("%s:txlist" % tag, "a", "b")
        t.pexpire("%s:txlist" % tag, 900000)
        t.execute()
    r3 = node.r(3)
    p = r3.pipeline(transaction=False)
    for i in range(n // 10):
        p.set("%s:db3:%d" % (tag, i), i)
    p.execute()


def expire_short_keys(node, tag, n):
    """After their 200 ms, touch the short keys on the master so each is deleted there
    (and the DEL propagated) even if the active expiry cycle has not reached it yet."""
    time.sleep(0.3)
    r = node.r()
    keys = ["%s:short:%d" % (tag, i) for i in range(0, n, 100)]
    assert r.exists(*keys) == 0


# ---------------------------------------------------------------------------------------
# The scenario


def test_1_replicas_sync(cluster):
    n1, n2, n3 = cluster["node1"], cluster["node2"], cluster["node3"]
    with cluster.step(1):
        for node in (n1, n2, n3):
            node.start()
        wait_synced(n1, [n2, n3])
        info = n1.repl()
        assert info["role"] == "master" and info["connected_slaves"] == 2, info
        slaves = sorted((info["slave%d" % i]["ip"], info["slave%d" % i]["port"],
                         info["slave%d" % i]["state"]) for i in range(2))
        assert slaves == [(ADDRS["node2"], PORT, "online"), (ADDRS["node3"], PORT, "online")]
        for rep in (n2, n3):
            i = rep.repl()
            assert (i["role"], i["master_host"], i["master_port"]) == ("slave", ADDRS["node1"], PORT)
            assert i["master_replid"] == info["master_replid"]

        write_dataset(n1, "one", 3000, random.Random(1))
        expire_short_keys(n1, "one", 3000)
        wait_synced(n1, [n2, n3])
        assert n1.r().dbsize() > 3000
        assert_same_data([n1, n2, n3])
        with pytest.raises(redispy.ReadOnlyError):
            n2.r().set("one:0:s", "nope")
        st = n1.stats()
        assert (st["sync_full"], st["sync_partial_ok"], st["sync_partial_err"]) == (2, 0, 0), st


def test_2_stopped_replica_resyncs_partially(cluster):
    n1, n2, n3 = cluster["node1"], cluster["node2"], cluster["node3"]
    with cluster.step(2):
        before = n1.stats()
        assert n3.stop(signal.SIGTERM) == 0
        assert os.path.exists(os.path.join(n3.dir, "dump.rdb")), \
            "node3 saved no dump.rdb on SIGTERM (the seed config keeps the default save points)"
        wait_for("node1 to see node3 gone", lambda: (n1.repl()["connected_slaves"] == 1,
                                                    n1.repl()["connected_slaves"]))

        write_dataset(n1, "two", 600, random.Random(2))
        r = n1.r()
        r.delete(*["one:%d:s" % i for i in range(0, 600, 6)])
        r.incrby("one:counter", 41)
        r.rpush("one:2:l", "after-stop")
        expire_short_keys(n1, "two", 600)
        wait_synced(n1, [n2])

        n3.start()
        wait_synced(n1, [n2, n3])
        after = n1.stats()
        assert after["sync_partial_ok"] == before["sync_partial_ok"] + 1, (before, after)
        assert after["sync_full"] == before["sync_full"], (before, after)
        assert n3.r().get("one:counter") == b"42"
        assert n3.r().lrange("one:2:l", -1, -1) == [b"after-stop"]
        assert n3.r().exists("one:0:s") == 0
        assert_same_data([n1, n2, n3])


def test_3_promoted_replica_and_old_master_rejoins(cluster):
    n1, n2, n3 = cluster["node1"], cluster["node2"], cluster["node3"]
    with cluster.step(3):
        wait_synced(n1, [n2, n3])
        old_replid = n1.repl()["master_replid"]

        # Sentinel's failover: promote node2, re-point node3 at it.
        assert n2.r().execute_command("REPLICAOF", "NO", "ONE") in (b"OK", True)
        assert n3.r().execute_command("REPLICAOF", ADDRS["node2"], str(PORT)) in (b"OK", True)
        promoted = n2.repl()
        assert promoted["role"] == "master"
        assert promoted["master_replid2"] == old_replid, promoted
        assert promoted["master_replid"] != old_replid
        wait_synced(n2, [n3])
        st2 = n2.stats()
        assert (st2["sync_full"], st2["sync_partial_ok"]) == (0, 1), st2  # node3: +CONTINUE

        # node1, cut off, takes a write nobody else sees, snapshots it, and crashes.
        assert n1.repl()["connected_slaves"] == 0
        n1.r().set("stray:old-master", "must disappear")
        n1.r().save()
        n1.stop(signal.SIGKILL)

        # The new timeline on node2.
        write_dataset(n2, "three", 600, random.Random(3))
        r = n2.r()
        r.set("one:counter", "new-timeline")
        r.delete(*["one:%d:h" % i for i in range(1, 600, 6)])
        expire_short_keys(n2, "three", 600)
        wait_synced(n2, [n3])

        # node1 restarts on its own config (a master with a dump) and is re-pointed.
        n1.start()
        assert n1.r().get("stray:old-master") == b"must disappear"  # its snapshot loaded
        assert n1.r().execute_command("REPLICAOF", ADDRS["node2"], str(PORT)) in (b"OK", True)
        wait_synced(n2, [n1, n3], timeout=40)
        info = n2.repl()
        assert info["connected_slaves"] == 2, info
        assert n1.r().exists("stray:old-master") == 0
        assert n1.r().get("one:counter") == b"new-timeline"

        # The stream keeps flowing to both.
        r.set("three:after-rejoin", "yes")
        r.incr("three:counter")
        wait_synced(n2, [n1, n3])
        for node in (n1, n3):
            assert node.r().get("three:after-rejoin") == b"yes"
            assert node.r().get("three:counter") == b"2"
            assert node.r().exists("one:1:h") == 0
            assert node.r(3).get("three:db3:7") == b"7"
        assert_same_data([n2, n1, n3])
        st2 = n2.stats()
        assert (st2["sync_full"], st2["sync_partial_ok"]) == (1, 1), st2
