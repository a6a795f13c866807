"""Rhea's sentinel against real redis-sentinel 7.0.15 (started as `redis-server x.conf
--sentinel`, what the Debian redis-sentinel package runs), on loopback, monitoring real
redis-servers: the replies a client sees, byte for byte where nothing depends on time
or identity, then failovers: Rhea sentinels alone, and mixed with real ones."""
import os
import signal
import time

import pytest
import redis

from resp import RawConn, parse
from sentinel_util import (client, master_addr, print_logs, start_sentinel,
                           start_topology, wait_for)
from servers import start_redis

MYID_A = "a" * 40
MYID_B = "b" * 40

FAST = {"down-after-milliseconds": 1000, "failover-timeout": 3000}


@pytest.fixture
def topology():
    master, reps = start_topology()
    yield master, reps
    for p in [master] + reps:
        p.cleanup()


def raw(port, *args):
    c = RawConn(port)
    try:
        return c.call(*args)
    finally:
        c.close()


# Replies that depend neither on time nor on the sentinel's id: compared byte for byte.
STATIC = [
    ("PING",),
    ("ROLE",),
    ("SET", "a", "b"),
    ("CONFIG", "GET", "port"),
    ("PUBLISH", "foo", "bar"),
    ("SENTINEL", "foo"),
    ("SENTINEL", "MASTER", "nosuch"),
    ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"),
    ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"),
    ("SENTINEL", "CKQUORUM", "nosuch"),
    ("SENTINEL", "CKQUORUM", "mymaster"),
    ("SENTINEL", "MONITOR", "x", "127.0.0.1", "1", "0"),
    ("SENTINEL", "MONITOR", "mymaster", "127.0.0.1", "1", "2"),
    ("SENTINEL", "MONITOR", "x", "not-an-ip", "1", "2"),
    ("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "0", "*"),
    ("SENTINEL", "SET", "nosuch", "quorum", "2"),
    ("SENTINEL", "SIMULATE-FAILURE", "help"),
    ("SENTINEL", "REMOVE", "nosuch"),
    ("SENTINEL", "RESET", "nosuch*"),
    ("SENTINEL", "HELP"),
    ("SENTINEL", "DEBUG"),
    ("SENTINEL", "DEBUG", "nosuch", "1"),
    ("SENTINEL", "CONFIG", "GET", "*"),
    ("SENTINEL", "CONFIG", "GET", "resolve-hostnames"),
    ("SENTINEL", "CONFIG", "SET", "nosuch", "1"),
    ("SENTINEL", "SET", "mymaster", "notification-script", "/bin/true"),
    ("SENTINEL", "SET", "mymaster", "client-reconfig-script", "/bin/true"),
    ("SENTINEL", "SET", "mymaster", "down-after-milliseconds", "abc"),
    ("SENTINEL", "SET", "mymaster", "quorum", "0"),
    ("SENTINEL", "SET", "mymaster", "nosuch", "1"),
    ("SENTINEL", "INFO-CACHE", "nosuch"),
    ("SENTINEL", "PENDING-SCRIPTS"),
    ("SENTINEL", "FAILOVER", "nosuch"),
    ("SENTINEL", "SIMULATE-FAILURE", "nosuch"),
    ("SENTINEL", "MASTERS", "extra"),
    ("INFO", "nosuch"),
    ("PUBLISH", "__sentinel__:hello", "not,a,hello"),
]


def test_static_replies_match_real_sentinel(topology):
    master, _ = topology
    mon = [("mymaster", master.port, 2, {})]
    real = start_sentinel("redis", mon, myid=MYID_A)
    ours = start_sentinel("rhea", mon, myid=MYID_B)
    try:
        failed = [(cmd, raw(ours.port, *cmd), raw(real.port, *cmd)) for cmd in STATIC
                  if raw(ours.port, *cmd) != raw(real.port, *cmd)]
        assert not failed, "\n".join("%r\n  rhea:  %r\n  redis: %r" % f for f in failed)
    finally:
        real.cleanup()
        ours.cleanup()


def fields(port, *args):
    """The decoded reply, maps as flat lists (redis-py would turn SENTINEL replies into
    dicts and hide their order)."""
    return parse(raw(port, *args))[0]


def as_map(flat):
    return {flat[i].decode(): flat[i + 1].decode() for i in range(0, len(flat), 2)}


def test_master_replicas_and_info_fields_match_real_sentinel(topology):
    """Same field names in the same order; the values that describe the topology are
    equal once both have discovered the replicas."""
    master, reps = topology
    mon = [("mymaster", master.port, 2, {})]
    real = start_sentinel("redis", mon, myid=MYID_A)
    ours = start_sentinel("rhea", mon, myid=MYID_B)
    try:
        for s in (real, ours):
            wait_for(lambda: as_map(fields(s.port, "SENTINEL", "MASTER", "mymaster"))
                     ["num-slaves"] == "2", 20, "replicas discovered by " + s.name)
        a = fields(real.port, "SENTINEL", "MASTER", "mymaster")
        b = fields(ours.port, "SENTINEL", "MASTER", "mymaster")
        assert [k for k in a[::2]] == [k for k in b[::2]]
        for k in ("name", "ip", "port", "flags", "num-slaves", "quorum",
                  "down-after-milliseconds", "failover-timeout", "parallel-syncs",
                  "config-epoch", "role-reported", "runid"):
            assert as_map(a)[k] == as_map(b)[k], k
        ra = sorted(as_map(r)["name"] for r in fields(real.port, "SENTINEL", "REPLICAS",
                                                      "mymaster"))
        rb = sorted(as_map(r)["name"] for r in fields(ours.port, "SENTINEL", "REPLICAS",
                                                      "mymaster"))
        assert ra == rb == sorted("127.0.0.1:%d" % r.port for r in reps)
        ka = [k for k in fields(real.port, "SENTINEL", "REPLICAS", "mymaster")[0][::2]]
        kb = [k for k in fields(ours.port, "SENTINEL", "REPLICAS", "mymaster")[0][::2]]
        assert ka == kb
        ia = client(real.port).info()
        ib = client(ours.port).info()
        assert ia["redis_mode"] == ib["redis_mode"] == "sentinel"
        for k in ("sentinel_masters", "sentinel_tilt", "sentinel_running_scripts",
                  "sentinel_scripts_queue_length", "sentinel_simulate_failure_flags"):
            assert ia[k] == ib[k], k
        # Both see each other through hello messages on the master.
        for s in (real, ours):
            wait_for(lambda: as_map(fields(s.port, "SENTINEL", "MASTER", "mymaster"))
                     ["num-other-sentinels"] == "1", 20, "peer discovered by " + s.name)
    finally:
        real.cleanup()
        ours.cleanup()


def run_failover(kinds, topology):
    """Sentinels of `kinds` (quorum 2, down-after 1000) watch the topology; the master is
    killed; they must agree on one promoted replica and the other must follow it; the
    old master, restarted, must become a replica of the master they agree on. Every Rhea
    sentinel must see exactly one +switch-master. Returns seconds to the switch.

    Real sentinels get `SENTINEL DEBUG ping-period 500`: with down-after 1000 and
    Redis's default ping period (1000), redis-sentinel itself sometimes flags the new
    master +sdown right after +switch-master and, counting its peers' still-fresh "down"
    answers about the old address, fails over a second time (seen in this test:
    `+odown … #quorum 3/2` one second after the switch)."""
    master, reps = topology
    mon = [("mymaster", master.port, 2, FAST)]
    sentinels = [start_sentinel(k, mon) for k in kinds]
    for s, kind in zip(sentinels, kinds):
        if kind == "redis":
            client(s.port).execute_command("SENTINEL", "DEBUG", "ping-period", "500")
    try:
        for s in sentinels:
            wait_for(lambda: as_map(fields(s.port, "SENTINEL", "MASTER", "mymaster"))
                     ["num-other-sentinels"] == str(len(kinds) - 1), 30,
                     "every sentinel known to " + s.name)
            wait_for(lambda: as_map(fields(s.port, "SENTINEL", "MASTER", "mymaster"))
                     ["num-slaves"] == "2", 30, "replicas known to " + s.name)
        old = ("127.0.0.1", master.port)
        killed_at = time.time()
        master.stop(signal.SIGKILL)
        wait_for(lambda: all(master_addr(s.port) not in (None, old) for s in sentinels), 30,
                 "every sentinel switched")
        took = time.time() - killed_at
        new = master_addr(sentinels[0].port)
        assert all(master_addr(s.port) == new for s in sentinels)
        promoted = next(r for r in reps if r.port == new[1])
        other = next(r for r in reps if r.port != new[1])
        assert client(promoted.port).info("replication")["role"] == "master"
        wait_for(lambda: client(other.port).info("replication")["master_port"] == new[1], 30,
                 "the other replica re-pointed")
        client(promoted.port).set("after-failover", "1")
        wait_for(lambda: client(other.port).get("after-failover") == b"1", 10,
                 "the other replica follows the new master")
        # The old master comes back as a master and is converted to a replica.
        back = start_redis(port=master.port)
        try:
            wait_for(lambda: client(back.port).info("replication").get("master_port")
                     == master_addr(sentinels[0].port)[1], 40,
                     "old master converted to a replica")
            for s, kind in zip(sentinels, kinds):
                if kind == "rhea":
                    assert s.output().count("+switch-master ") == 1, s.output()
        except AssertionError:
            print_logs(sentinels + [back])
            raise
        finally:
            back.cleanup()
        return took
    finally:
        for s in sentinels:
            s.cleanup()


def test_three_rhea_sentinels_fail_over(topology):
    took = run_failover(["rhea", "rhea", "rhea"], topology)
    assert took < 10, took


def test_two_rhea_and_one_real_sentinel_fail_over(topology):
    took = run_failover(["rhea", "rhea", "redis"], topology)
    assert took < 10, took


def test_one_rhea_and_two_real_sentinels_fail_over(topology):
    took = run_failover(["redis", "redis", "rhea"], topology)
    assert took < 10, took


def test_redis_py_sentinel_client_discovers_and_follows(topology):
    master, reps = topology
    mon = [("mymaster", master.port, 2, FAST)]
    sentinels = [start_sentinel("rhea", mon) for _ in range(3)]
    try:
        for s in sentinels:
            wait_for(lambda: as_map(fields(s.port, "SENTINEL", "MASTER", "mymaster"))
                     ["num-other-sentinels"] == "2", 30, "peers")
        sc = redis.sentinel.Sentinel([("127.0.0.1", s.port) for s in sentinels],
                                     socket_timeout=1)
        assert sc.discover_master("mymaster") == ("127.0.0.1", master.port)
        assert sorted(sc.discover_slaves("mymaster")) == sorted(
            ("127.0.0.1", r.port) for r in reps)
        m = sc.master_for("mymaster", socket_timeout=1)
        m.set("k", "v1")
        master.stop(signal.SIGKILL)
        deadline = time.time() + 30
        while True:
            try:
                m.set("k", "v2")
                break
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                    redis.exceptions.ReadOnlyError):
                assert time.time() < deadline, "no write accepted after the failover"
                time.sleep(0.1)
        assert sc.discover_master("mymaster") != ("127.0.0.1", master.port)
        assert m.get("k") == b"v2"
    finally:
        for s in sentinels:
            s.cleanup()


def test_startup_log_and_config_rewrite(topology):
    master, _ = topology
    ours = start_sentinel("rhea", [("mymaster", master.port, 2, {})])
    try:
        wait_for(lambda: "+monitor master mymaster" in ours.output(), 10, "+monitor logged")
        out = ours.output()
        assert ":X " in out and "Running mode=sentinel, port=%d." % ours.port in out
        assert "Sentinel ID is " in out
        with open(ours.conf_path) as f:
            text = f.read()
        assert "sentinel myid " in text and "sentinel current-epoch 0" in text
        myid = client(ours.port).execute_command("SENTINEL", "MYID").decode()
        assert "sentinel myid %s" % myid in text
    finally:
        ours.cleanup()


def test_sentinel_events_are_published(topology):
    master, _ = topology
    ours = start_sentinel("rhea", [("mymaster", master.port, 1, FAST)])
    try:
        p = client(ours.port).pubsub()
        p.psubscribe("*")
        wait_for(lambda: as_map(fields(ours.port, "SENTINEL", "MASTER", "mymaster"))
                 ["num-slaves"] == "2", 20, "replicas known")
        master.stop(signal.SIGKILL)
        seen = []
        deadline = time.time() + 20
        while time.time() < deadline and "+switch-master" not in seen:
            msg = p.get_message(timeout=0.5)
            if msg and msg["type"] == "pmessage":
                seen.append(msg["channel"].decode())
        for ev in ("+sdown", "+odown", "+try-failover", "+elected-leader",
                   "+selected-slave", "+promoted-slave", "+switch-master"):
            assert ev in seen, (ev, seen)
    finally:
        ours.cleanup()


def test_tilt_after_the_process_was_stopped(topology):
    """SIGSTOP for 3 s, then SIGCONT: the timer gap puts Sentinel in TILT (Redis logs
    `+tilt #tilt mode entered` and INFO says sentinel_tilt:1), as the real one does."""
    master, _ = topology
    mon = [("mymaster", master.port, 2, {})]
    for kind in ("redis", "rhea"):
        s = start_sentinel(kind, mon)
        try:
            wait_for(lambda: "+monitor" in s.output(), 10, "started")
            s.p.send_signal(signal.SIGSTOP)
            time.sleep(3)
            s.p.send_signal(signal.SIGCONT)
            wait_for(lambda: client(s.port).info("sentinel")["sentinel_tilt"] == 1, 10,
                     "TILT on " + kind)
            assert "# +tilt #tilt mode entered" in s.output(), kind
            assert client(s.port).info("sentinel")["sentinel_tilt_since_seconds"] >= 0
        finally:
            s.cleanup()


def test_shutdown_ends_the_sentinel_without_a_dump(topology):
    master, _ = topology
    s = start_sentinel("rhea", [("mymaster", master.port, 2, {})])
    try:
        client(s.port).shutdown()  # redis-py treats the closed connection as success
        assert s.p.wait(10) == 0
        assert not any(f.endswith(".rdb") for f in os.listdir(s.cwd))
        out = s.output()
        assert "# User requested shutdown..." in out
        assert out.rstrip().endswith("# Sentinel is now ready to exit, bye bye...")
        assert "Saving" not in out
    finally:
        s.cleanup()


def start_as_nobody(kind, port, master_port):
    """A sentinel run as `nobody` (as root every file is writable), its directory owned by
    nobody so that it can start; the caller then makes it read-only."""
    import shutil
    import subprocess
    import tempfile
    from servers import Proc, rhea_bin
    d = tempfile.mkdtemp(prefix="sentinel-ro-")
    os.chmod(d, 0o755)
    conf = os.path.join(d, "s.conf")
    with open(conf, "w") as f:
        f.write("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %d 2\n"
                % (port, d, master_port))
    shutil.chown(d, "nobody")
    shutil.chown(conf, "nobody")
    exe = [rhea_bin(), "sentinel", conf] if kind == "rhea" else ["redis-server", conf,
                                                                  "--sentinel"]
    assert subprocess.run(["runuser", "-u", "nobody", "--", "true"]).returncode == 0
    return Proc(["runuser", "-u", "nobody", "--"] + exe, port, d, "ro-" + kind).wait_ready(
        loaded=False), d, conf


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a sentinel as nobody")
def test_read_only_config_is_reported_and_the_sentinel_keeps_working(topology):
    from servers import free_port
    master, _ = topology
    replies = {}
    for kind in ("redis", "rhea"):
        s, d, conf = start_as_nobody(kind, free_port(), master.port)
        try:
            wait_for(lambda: "+monitor" in s.output(), 10, "started")
            os.chmod(conf, 0o444)
            os.chmod(d, 0o555)
            replies[kind] = [raw(s.port, "SENTINEL", "SET", "mymaster", "quorum", "1"),
                             raw(s.port, "SENTINEL", "FLUSHCONFIG"),
                             raw(s.port, "PING")]
            assert as_map(fields(s.port, "SENTINEL", "MASTER", "mymaster"))["quorum"] == "1"
            assert ("# WARNING: Sentinel was not able to save the new configuration on "
                    "disk!!!: Permission denied") in s.output(), kind
        finally:
            os.chmod(d, 0o755)
            s.cleanup()
    assert replies["rhea"] == replies["redis"]
    assert replies["redis"][0] == b"-ERR Failed to save config file. Check server logs.\r\n"


def scripted_failover(kind):
    """One sentinel of `kind` (quorum 1) with a notification script and a
    client-reconfig script that record their arguments; a failover of a fresh topology.
    Returns the two recordings with the ports replaced by names."""
    import tempfile
    master, reps = start_topology()
    d = tempfile.mkdtemp(prefix="scripts-")
    scripts = {}
    for name in ("notify", "reconfig"):
        path = os.path.join(d, name + ".sh")
        with open(path, "w") as f:
            f.write('#!/bin/sh\necho "$@" >> %s/%s.out\n' % (d, name))
        os.chmod(path, 0o755)
        scripts[name] = path
    opts = dict(FAST, **{"notification-script": scripts["notify"],
                         "client-reconfig-script": scripts["reconfig"]})
    s = start_sentinel(kind, [("mymaster", master.port, 1, opts)])
    try:
        wait_for(lambda: as_map(fields(s.port, "SENTINEL", "MASTER", "mymaster"))
                 ["num-slaves"] == "2", 20, "replicas known")
        master.stop(signal.SIGKILL)
        wait_for(lambda: master_addr(s.port) != ("127.0.0.1", master.port), 30, "switch")
        new_port = master_addr(s.port)[1]
        wait_for(lambda: os.path.exists(os.path.join(d, "reconfig.out")), 10, "reconfig ran")

        def notified():
            with open(os.path.join(d, "notify.out")) as f:
                return "+failover-end " in f.read()
        wait_for(notified, 15, "+failover-end notified")
        time.sleep(0.5)  # scripts run asynchronously: let the last ones finish
        myid = client(s.port).execute_command("SENTINEL", "MYID").decode()
        names = {str(master.port): "OLD", str(new_port): "NEW", myid: "SELF"}
        names.update({str(r.port): "OTHER" for r in reps if r.port != new_port})

        def read(name):
            with open(os.path.join(d, name + ".out")) as f:
                lines = f.read().splitlines()
            return [" ".join(names.get(w, w) for w in line.replace(":", " ").split())
                    for line in lines]
        return read("notify"), read("reconfig")
    finally:
        s.cleanup()
        for p in [master] + reps:
            p.cleanup()


def test_scripts_get_redis_arguments():
    real_notify, real_reconfig = scripted_failover("redis")
    ours_notify, ours_reconfig = scripted_failover("rhea")
    assert ours_reconfig == real_reconfig
    assert real_reconfig and real_reconfig[0].startswith("mymaster leader start 127.0.0.1 OLD")
    # The same warning-level events with the same arguments (scripts run concurrently,
    # so the order in which they append is not the events' order, in either program).
    missing = sorted(set(real_notify) - set(ours_notify))
    extra = sorted(set(ours_notify) - set(real_notify))
    assert not missing and not extra, "missing: %s\nextra: %s" % (missing, extra)
    assert sorted(ours_notify) == sorted(real_notify)
