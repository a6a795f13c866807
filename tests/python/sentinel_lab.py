"""The seed deployment in network namespaces (test_sentinel_netns.py and
scripts/bench_failover.py): node1..3 at 192.0.2.2..4, each running the seed's
redis-nodeN.conf and its own writable copy of the seed's sentinel.conf, with the
addresses rewritten (192.168.0.N -> 192.0.2.N) and nothing else changed unless the
caller asks for other sentinel timings. A fourth namespace, "client" (192.0.2.5), is
where every client of the lab runs (see netns.run_in). Each node's server and sentinel
are Rhea's or the real programs, chosen per node (see SentinelLab)."""
import os
import re
import shutil
import signal
import tempfile
import threading
import time

import redis
import redis.backoff
import redis.retry

import netns
from servers import ROOT, rhea_bin

SEED = os.path.join(ROOT, "..", "shared", "seed", "configs")
SEED_PASSWORD = "somepassword"
SEED_MASTER_NAME = "master"
SERVER_PORT, SENTINEL_PORT = 6379, 26379
LAB_ADDRS = {"node1": "192.0.2.2", "node2": "192.0.2.3", "node3": "192.0.2.4"}
_SEED_ADDRS = {"node1": "192.168.0.2", "node2": "192.168.0.3", "node3": "192.168.0.4"}


def seed_present():
    return all(os.path.exists(os.path.join(SEED, f)) for f in
               ("redis-node1.conf", "redis-node2.conf", "redis-node3.conf", "sentinel.conf"))


def _rewrite_addrs(text):
    out = text
    for n, seed_addr in _SEED_ADDRS.items():
        out = out.replace(seed_addr, LAB_ADDRS[n])
    assert "192.168." not in out and out.count("\n") == text.count("\n")
    return out


def _override_sentinel(text, overrides):
    """Change `sentinel <option> master <value>` in place for each option given."""
    for opt, value in overrides.items():
        pat = re.compile(r"^(sentinel %s %s) \S+$" % (re.escape(opt), SEED_MASTER_NAME), re.M)
        text, n = pat.subn(r"\g<1> %s" % value, text)
        assert n == 1, "seed sentinel.conf has no single line for %s" % opt
    return text


def as_map(flat):
    """A SENTINEL MASTER/REPLICAS/SENTINELS entry as {field: value}; redis-py already
    turns some of these replies into dicts (with typed values), others stay flat."""
    if isinstance(flat, dict):
        return flat
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


class LabNode:
    """One host of the seed deployment: its redis server and its sentinel, each "rhea"
    or "redis" (`kinds` = (server program, sentinel program))."""

    def __init__(self, lab, name, kinds, base_dir, sentinel_overrides):
        self.lab, self.name = lab, name
        self.server_program, self.sentinel_program = kinds
        self.addr = LAB_ADDRS[name]
        self.dir = os.path.join(base_dir, name)
        os.makedirs(self.dir)
        with open(os.path.join(SEED, "redis-%s.conf" % name)) as f:
            server_text = _rewrite_addrs(f.read())
        with open(os.path.join(SEED, "sentinel.conf")) as f:
            sentinel_text = _override_sentinel(_rewrite_addrs(f.read()), sentinel_overrides)
        self.server_conf = os.path.join(self.dir, "redis-%s.conf" % name)
        self.sentinel_conf = os.path.join(self.dir, "sentinel.conf")
        for path, text in ((self.server_conf, server_text), (self.sentinel_conf, sentinel_text)):
            with open(path, "w") as f:
                f.write(text)
        self.server = self.sentinel = None
        self.logs = []
        self._clients = {}

    def _spawn(self, what, argv):
        log = os.path.join(self.dir, "%s-%d.log" % (what, sum(
            1 for p in self.logs if os.path.basename(p).startswith(what)) + 1))
        self.logs.append(log)
        return self.lab.spawn(self.name, argv, log, cwd=self.dir)

    def start_server(self):
        prog = ["redis-server"] if self.server_program == "redis" else [rhea_bin(), "server"]
        self.server = self._spawn("server", prog + [self.server_conf])
        return self.server

    def start_sentinel(self):
        if self.sentinel_program == "redis":
            argv = ["redis-server", self.sentinel_conf, "--sentinel"]
        else:
            argv = [rhea_bin(), "sentinel", self.sentinel_conf]
        self.sentinel = self._spawn("sentinel", argv)
        return self.sentinel

    def sentinel_log(self):
        """The log of the sentinel started last."""
        with open([p for p in self.logs if os.path.basename(p).startswith("sentinel")][-1],
                  "rb") as f:
            return f.read().decode(errors="replace")

    def kill(self):
        """SIGKILL the server and then the sentinel, by pid; returns the time just before
        the first signal, and sets `dead_at` to the time both had been reaped (a reply
        the server wrote before it died can reach a client a little after the signal).
        Both must be running."""
        self._drop_clients()
        assert self.server.poll() is None and self.sentinel.poll() is None, \
            "%s: server %s, sentinel %s before the kill" % (
                self.name, self.server.poll(), self.sentinel.poll())
        t = time.time()
        self.server.send_signal(signal.SIGKILL)
        self.sentinel.send_signal(signal.SIGKILL)
        self.server.wait(10)
        self.sentinel.wait(10)
        self.dead_at = time.time()
        return t

    def _drop_clients(self):
        for c in self._clients.values():
            c.close()
        self._clients = {}

    def _client(self, port, password):
        if port not in self._clients:
            self._clients[port] = redis.Redis(
                host=self.addr, port=port, password=password, decode_responses=True,
                socket_timeout=2, socket_connect_timeout=1,
                retry=redis.retry.Retry(redis.backoff.NoBackoff(), 0))
        return self._clients[port]

    def r(self):
        """A client of this node's server (call from the client namespace)."""
        return self._client(SERVER_PORT, SEED_PASSWORD)

    def s(self):
        """A client of this node's sentinel (the seed's sentinels have no password)."""
        return self._client(SENTINEL_PORT, None)

    def repl(self):
        return self.r().info("replication")

    def view(self):
        """What this node's sentinel says about the master, its replicas and its peers."""
        s = self.s()
        m = as_map(s.execute_command("SENTINEL", "MASTER", SEED_MASTER_NAME))
        reps = [as_map(x) for x in s.execute_command("SENTINEL", "REPLICAS", SEED_MASTER_NAME)]
        peers = [as_map(x) for x in s.execute_command("SENTINEL", "SENTINELS", SEED_MASTER_NAME)]
        return {"master": (m["ip"], int(m["port"])), "flags": m["flags"],
                "config-epoch": int(m["config-epoch"]),
                "num-slaves": int(m["num-slaves"]),
                "num-other-sentinels": int(m["num-other-sentinels"]),
                "replicas": sorted((x["ip"], int(x["port"]), x["flags"]) for x in reps),
                "sentinels": sorted((x["ip"], int(x["port"]), x["flags"]) for x in peers)}


def lab_wait(what, cond, timeout=30, interval=0.1):
    """Poll `cond()` -> (ok, seen) until ok; Redis and socket errors count as not yet.
    Fails with the last thing seen."""
    deadline = time.time() + timeout
    seen = None
    while True:
        try:
            ok, seen = cond()
            if ok:
                return seen
        except (redis.exceptions.RedisError, OSError) as e:
            seen = repr(e)
        if time.time() >= deadline:
            raise AssertionError("timed out after %s s waiting for %s; last seen: %r"
                                 % (timeout, what, seen))
        time.sleep(interval)


def master_addr(node):
    """What `node`'s sentinel answers to get-master-addr-by-name, as (ip, port)."""
    got = node.s().execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SEED_MASTER_NAME)
    return None if got is None else (got[0], int(got[1]))


def switch_count(node):
    """How many +switch-master the node's current sentinel has logged."""
    return node.sentinel_log().count("+switch-master ")


class SentinelLab:
    """The three seed nodes plus a client namespace; `program` is "rhea" or "redis"
    (for both the servers and the sentinels), or when `kinds` maps every node to its
    (server program, sentinel program), only the lab's label in logs. Every process is
    started through the netns.Lab, so close() ends each by pid and removes the
    namespaces."""

    def __init__(self, program, sentinel_overrides=None, kinds=None):
        self.program = program
        self.overrides = dict(sentinel_overrides or {})
        kinds = kinds or {n: (program, program) for n in LAB_ADDRS}
        assert sorted(kinds) == sorted(LAB_ADDRS), kinds
        self.base = tempfile.mkdtemp(prefix="sentinel-lab-%s-" % program)
        self.lab = netns.Lab(list(LAB_ADDRS) + ["client"])
        try:
            for name, addr in LAB_ADDRS.items():
                assert self.lab.addr(name) == addr, (name, self.lab.addr(name))
            self.nodes = {n: LabNode(self.lab, n, kinds[n], self.base, self.overrides)
                          for n in LAB_ADDRS}
        except Exception:
            self.lab.close()
            shutil.rmtree(self.base, ignore_errors=True)
            raise

    def __getitem__(self, name):
        return self.nodes[name]

    def by_addr(self, addr):
        return next(n for n in self.nodes.values() if n.addr == addr)

    @property
    def client_ns(self):
        return self.lab.ns("client")

    def in_client(self, fn, *args):
        """Run fn(*args) in the client namespace (threads it starts stay there)."""
        return netns.run_in(self.lab.ns("client"), fn, *args)

    def sentinel_addrs(self):
        return [(n.addr, SENTINEL_PORT) for n in self.nodes.values()]

    def start_writer(self):
        """Start a redis-py Sentinel writer in the client namespace; kept as
        `self.writer` so that a failure report shows its state."""
        self.writer = SentinelPyWriter(self.sentinel_addrs(), ns=self.client_ns)
        self.writer.start()
        return self.writer

    def run_scenario(self, scenario, threads=("writer",)):
        """Run scenario(self) in the client namespace. On failure print the state of
        the writer threads named in `threads` (attributes of the lab) and the logs, and
        keep the lab's files (see lab_fixture)."""
        try:
            self.in_client(scenario, self)
        except BaseException:
            for name in threads:
                w = getattr(self, name, None)
                if w is not None:
                    print("%s: %d acked, last errors %s" % (name, w.acked_count(),
                                                            w.errors[-5:]))
            print(self.logs())
            raise
        self.failed = False

    def close(self, keep_files=False):
        for n in self.nodes.values():
            n._drop_clients()
        self.lab.close()  # every spawned process by pid, then the namespaces
        if keep_files:
            print("kept the lab's files: %s" % self.base)
        else:
            shutil.rmtree(self.base, ignore_errors=True)

    def logs(self, tail=8000):
        out = []
        for n in self.nodes.values():
            for log in n.logs:
                with open(log, "rb") as f:
                    text = f.read().decode(errors="replace")
                out.append("===== %s (server %s, sentinel %s) %s =====\n%s" % (
                    n.name, n.server_program, n.sentinel_program, os.path.basename(log),
                    text[-tail:]))
        return "\n".join(out)

    # --- waiting (from the client namespace) -------------------------------------------

    def wait_synced(self, master, timeout=30):
        """Both other nodes replicate `master` with the link up and equal offsets."""
        replicas = [n for n in self.nodes.values() if n is not master]

        def cond():
            info = master.repl()
            off = info["master_repl_offset"]
            seen = {master.name: (info["role"], info["connected_slaves"], off)}
            ok = info["role"] == "master"
            for rep in replicas:
                i = rep.repl()
                seen[rep.name] = (i["role"], i.get("master_host"), i.get("master_link_status"),
                                  i.get("slave_repl_offset"))
                ok = ok and seen[rep.name] == ("slave", master.addr, "up", off)
            return ok, seen
        return lab_wait("%s and its replicas in sync" % master.name, cond, timeout)

    def healthy_view(self, master):
        """What every sentinel reports once the deployment has settled on `master`."""
        others = sorted(n.addr for n in self.nodes.values() if n is not master)
        return {"master": (master.addr, SERVER_PORT), "flags": "master",
                "num-slaves": 2, "num-other-sentinels": 2,
                "replicas": [(a, SERVER_PORT, "slave") for a in others]}

    def wait_sentinels_agree(self, master, nodes=None, timeout=30):
        """Every sentinel of `nodes` (default all) reports `master` with both other nodes
        as healthy replicas, and each of its two peers as a healthy sentinel."""
        nodes = list(self.nodes.values()) if nodes is None else nodes
        want = self.healthy_view(master)

        def cond():
            seen = {}
            ok = True
            for n in nodes:
                v = n.view()
                peers = sorted(x.addr for x in self.nodes.values() if x is not n)
                seen[n.name] = v
                ok = ok and all(v[k] == want[k] for k in want) and v["sentinels"] == [
                    (a, SENTINEL_PORT, "sentinel") for a in peers]
            epochs = {v["config-epoch"] for v in seen.values()}
            return ok and len(epochs) == 1, seen
        return lab_wait("sentinels %s agreeing on %s" % ([n.name for n in nodes], master.name),
                        cond, timeout)

    def wait_replicating(self, master, timeout):
        """The two other nodes are replicas of `master` with the link up, and `master`
        lists both as online (offsets keep moving while a client writes)."""
        replicas = sorted(n.addr for n in self.nodes.values() if n is not master)

        def cond():
            info = master.repl()
            online = sorted(info["slave%d" % i]["ip"] for i in range(info["connected_slaves"])
                            if info["slave%d" % i]["state"] == "online")
            seen = {master.name: (info["role"], online)}
            ok = info["role"] == "master" and online == replicas
            for n in self.nodes.values():
                if n is not master:
                    i = n.repl()
                    seen[n.name] = (i["role"], i.get("master_host"),
                                    i.get("master_link_status"))
                    ok = ok and seen[n.name] == ("slave", master.addr, "up")
            return ok, seen
        return lab_wait("both replicas replicating from %s" % master.name, cond, timeout)

    def start_all(self, timeout=40):
        """Servers (node1 first, the seed's master), then the sentinels; returns when the
        replicas are in sync and every sentinel sees 2 replicas and 2 other sentinels."""
        for n in self.nodes.values():
            n.start_server()
        self.wait_synced(self["node1"], timeout)
        for n in self.nodes.values():
            n.start_sentinel()
        self.wait_sentinels_agree(self["node1"], timeout=timeout)


# ---------------------------------------------------------------------------------------
# A writer of numbered keys that records which writes were acknowledged.


def lab_fixture(*args, **kw):
    """The body of a pytest fixture: yields a SentinelLab(*args, **kw) and closes it,
    keeping its files unless run_scenario saw the scenario pass."""
    lab = SentinelLab(*args, **kw)
    lab.failed = True
    yield lab
    lab.close(keep_files=lab.failed)


class Writer(threading.Thread):
    """Writes w:1, w:2, … (value = the number) one at a time until stop(); an
    acknowledged write is appended to `acked` as (number, time). A failed attempt is
    not retried under the same number (its outcome is unknown). Subclasses implement
    write(key, value) -> True when the server acknowledged it."""

    def __init__(self, ns=None, pause=0.001, retry_every=0.02):
        super().__init__(daemon=True)
        self.ns = ns  # when given, the thread checks it runs inside that namespace
        self.pause, self.retry_every = pause, retry_every
        self.acked = []
        self.acked_by = []  # for each acknowledged write, target() when it was acked
        self.errors = []  # (time, repr) of failed attempts
        self.fatal = None
        self._stop_ev = threading.Event()

    def run(self):
        i = 0
        try:
            if self.ns is not None:
                netns.assert_in(self.ns)
            while not self._stop_ev.is_set():
                i += 1
                try:
                    ok = self.write("w:%d" % i, str(i))
                except (redis.exceptions.RedisError, OSError) as e:
                    ok = False
                    self.errors.append((time.time(), repr(e)))
                if ok:
                    self.acked.append((i, time.time()))
                    self.acked_by.append(self.target())
                    self._stop_ev.wait(self.pause)
                else:
                    self._stop_ev.wait(self.retry_every)
        except BaseException as e:  # reported by stop()
            self.fatal = e

    def target(self):
        """The server written to, when the writer knows it (None otherwise)."""
        return None

    def stop(self):
        self._stop_ev.set()
        self.join(30)
        assert not self.is_alive(), "writer did not stop"
        if self.fatal is not None:
            raise self.fatal

    def acked_count(self):
        return len(self.acked)

    def first_ack_after(self, t):
        """Time of the first write acknowledged after `t` (acks are in time order)."""
        acked = self.acked[:]
        lo, hi = 0, len(acked)
        while lo < hi:
            mid = (lo + hi) // 2
            if acked[mid][1] > t:
                hi = mid
            else:
                lo = mid + 1
        return acked[lo][1] if lo < len(acked) else None

    def wait_acks_after(self, t, count=20, timeout=60):
        def cond():
            first = self.first_ack_after(t)
            n = 0 if first is None else sum(1 for _, at in self.acked[-count:] if at > t)
            return n >= count, (n, self.errors[-3:])
        lab_wait("%d writes acknowledged after t=%.3f" % (count, t), cond, timeout, 0.02)
        return self.first_ack_after(t)


class SentinelPyWriter(Writer):
    """Through redis-py's redis.sentinel.Sentinel: discovery, master_for, its reconnects."""

    def __init__(self, sentinel_addrs, **kw):
        super().__init__(**kw)
        from redis.sentinel import Sentinel
        no_retry = redis.retry.Retry(redis.backoff.NoBackoff(), 0)
        self.sentinel = Sentinel(sentinel_addrs, sentinel_kwargs=dict(
            socket_timeout=0.5, socket_connect_timeout=0.5, retry=no_retry))
        self.master = self.sentinel.master_for(
            SEED_MASTER_NAME, password=SEED_PASSWORD, socket_timeout=1,
            socket_connect_timeout=0.5, retry=no_retry)

    def write(self, key, value):
        return self.master.set(key, value) is True


class DiscoveryWriter(Writer):
    """The loop a plain client runs: SENTINEL get-master-addr-by-name on each sentinel in
    turn, connect to the answer, write; on any error drop the connection and start over
    (every `retry_every` seconds). `addr_of_ack` records which server acknowledged."""

    def __init__(self, sentinel_addrs, **kw):
        super().__init__(**kw)
        self.sentinel_addrs = list(sentinel_addrs)
        self.conn = None
        self.conn_addr = None
        self.switches = []  # (time, addr) whenever the write target changes

    def _discover(self):
        for host, port in self.sentinel_addrs:
            s = redis.Redis(host=host, port=port, socket_timeout=0.3,
                            socket_connect_timeout=0.3, decode_responses=True,
                            retry=redis.retry.Retry(redis.backoff.NoBackoff(), 0))
            try:
                got = s.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SEED_MASTER_NAME)
            except (redis.exceptions.RedisError, OSError):
                continue
            finally:
                s.close()
            if got:
                return got[0], int(got[1])
        return None

    def target(self):
        return self.conn_addr

    def first_ack_from_other_than(self, addr, after):
        """Time of the first write acknowledged after `after` by a server other than
        `addr`."""
        acked, by = self.acked[:], self.acked_by[:]
        for (_, at), a in zip(acked, by):
            if at > after and a is not None and a != addr:
                return at
        return None

    def write(self, key, value):
        if self.conn is None:
            addr = self._discover()
            if addr is None:
                return False
            self.conn = redis.Redis(host=addr[0], port=addr[1], password=SEED_PASSWORD,
                                    socket_timeout=0.5, socket_connect_timeout=0.3,
                                    retry=redis.retry.Retry(redis.backoff.NoBackoff(), 0))
            if addr != self.conn_addr:
                self.switches.append((time.time(), addr))
            self.conn_addr = addr
        try:
            return self.conn.set(key, value) is True
        except BaseException:
            self.conn.close()
            self.conn = None
            raise


def lost_writes(master, acked, batch=2000):
    """The acknowledged writes (number, time) whose key is missing on `master`'s server
    or holds another value."""
    lost = []
    r = master.r()
    for k in range(0, len(acked), batch):
        chunk = acked[k:k + batch]
        values = r.mget(["w:%d" % i for i, _ in chunk])
        lost += [(i, at) for (i, at), v in zip(chunk, values) if v != str(i)]
    return lost


# ---------------------------------------------------------------------------------------
# A failover round and the check of acknowledged writes, shared by the namespace tests.

# A write acknowledged by the master can be missing from the promoted replica only if it
# was still on its way when the master died or was cut off: the replication stream
# leaves the master together with the reply, over a local bridge.
LOSS_WINDOW = 1.0
MAX_LOST_PER_EVENT = 10
# With the seed's timing, from losing the master to the first acknowledged write:
# down-after (3 s) + ODOWN, election, promotion (~1-2 s), plus room for one failed
# election (split vote), after which failover-timeout (6 s) makes Sentinel wait 2 x 6 s
# before trying again.
SEED_MAX_OUTAGE = 3 + 2 * 6 + 5


def wait_promoted(lab, survivors, timeout):
    """The `survivors`' sentinels agree on one of the survivors as master; that node
    reports role master having continued the old history, and the other survivor
    replicates it. Returns the new master node."""
    def promoted():
        addrs = [master_addr(n) for n in survivors]
        ok = (len(set(addrs)) == 1 and addrs[0] is not None
              and addrs[0] in [(n.addr, SERVER_PORT) for n in survivors])
        return ok, addrs
    addr = lab_wait("the sentinels of %s to agree on a promoted replica"
                    % [n.name for n in survivors], promoted, timeout)[0]
    new = lab.by_addr(addr[0])
    info = lab_wait("%s to report role master" % new.name,
                    lambda: (new.repl()["role"] == "master", new.repl()), 10)
    assert info["master_replid2"] != "0" * 40, info  # it continued the old history
    for third in survivors:
        if third is not new:
            def follows():
                i = third.repl()
                seen = (i["role"], i.get("master_host"), i.get("master_link_status"))
                return seen == ("slave", new.addr, "up"), seen
            lab_wait("%s to follow %s" % (third.name, new.name), follows, 30)
    return new


def kill_and_fail_over(lab, writer, old, max_outage):
    """Kill `old` (the master node), wait for the promotion and the resumed writes,
    restart `old` and wait until it is a replica and the sentinels agree again. Returns
    the new master and the round's figures."""
    survivors = [n for n in lab.nodes.values() if n is not old]
    acked_before = writer.acked_count()
    t_kill = old.kill()
    assert (old.server.returncode, old.sentinel.returncode) == (-9, -9)
    new = wait_promoted(lab, survivors, max_outage)
    t_switch = time.time()

    # Acknowledged after both processes were reaped: not a reply the old master sent.
    t_resume = writer.wait_acks_after(old.dead_at, count=20, timeout=max_outage)
    outage = t_resume - t_kill
    assert outage <= max_outage, outage

    old.start_server()
    old.start_sentinel()
    lab.wait_replicating(new, timeout=60)
    lab.wait_sentinels_agree(new, timeout=60)
    t_settled = time.time()
    writer.wait_acks_after(t_settled, count=20, timeout=10)
    return new, {"killed": old.name, "new master": new.name, "t_event": t_kill,
                 "switch after": round(t_switch - t_kill, 2), "outage": round(outage, 2),
                 "acked before": acked_before,
                 "rejoined after": round(t_settled - t_kill, 2)}


def check_acked_writes(lab, final, acked, event_times):
    """Once every node holds `final`'s offset: the acknowledged writes missing from
    `final` (or holding another value) must each have been acknowledged within
    LOSS_WINDOW before one of `event_times` (a kill, a partition), at most
    MAX_LOST_PER_EVENT per event, and the replicas must hold exactly what `final`
    holds. Returns (lost, lost per event). Also checks the check: a deleted key is
    reported."""
    lab.wait_synced(final, timeout=30)
    lost = lost_writes(final, acked)
    for n in lab.nodes.values():
        if n is not final:
            assert lost_writes(n, acked) == lost, n.name
            assert n.r().dbsize() == final.r().dbsize(), n.name
    per_event = [[i for i, at in lost if t - LOSS_WINDOW <= at <= t] for t in event_times]
    outside = [(i, at) for i, at in lost if not any(i in ev for ev in per_event)]
    assert not outside, ("acknowledged writes lost away from any event (at %s): %s"
                         % (event_times, outside[:20]))
    for t, ev in zip(event_times, per_event):
        assert len(ev) <= MAX_LOST_PER_EVENT, (t, ev)
    probe = acked[len(acked) // 2]
    final.r().delete("w:%d" % probe[0])
    assert lost_writes(final, acked) == sorted(lost + [probe])
    return lost, per_event
