"""Renamed commands on loopback: servers (real redis-servers, and Rhea's for the all-Rhea
failover) with `rename-command CONFIG xconfig`, `rename-command SLAVEOF xslaveof` and
`rename-command REPLICAOF xreplicaof`, running from config files; sentinels with
`sentinel rename-command mymaster CONFIG xconfig` and `... SLAVEOF xslaveof`, the two
commands of these three that redis-sentinel sends (it reconfigures with SLAVEOF, never
REPLICAOF, inside MULTI/EXEC with CONFIG REWRITE and CLIENT KILL).

An unrenamed SLAVEOF or CONFIG queued in the transaction is an unknown command, so the
EXEC aborts and nothing changes: the failover completes only if the sentinel maps both.
CONFIG REWRITE is checked on the files: the promoted replica's has no replicaof line
left, the re-pointed replica's and the converted old master's name the new master.
"""
import signal

import pytest
import redis

from servers import start_redis, start_rhea
from sentinel_util import (client, print_logs, start_sentinels, start_topology,
                           wait_discovered, wait_for, wait_new_master)

RENAMES = {"CONFIG": "xconfig", "SLAVEOF": "xslaveof", "REPLICAOF": "xreplicaof"}
SERVER_CONF = "\n".join("rename-command %s %s" % kv for kv in RENAMES.items()) + \
    "\nrepl-diskless-sync-delay 0\n"
FAST = {"down-after-milliseconds": 1000, "failover-timeout": 3000}
SENTINEL_LINES = ["sentinel rename-command mymaster %s %s" % (c, RENAMES[c])
                  for c in ("CONFIG", "SLAVEOF")]


SERVERS = {"redis": start_redis, "rhea": start_rhea}


@pytest.fixture(params=["redis"])
def topology(request):
    master, reps = start_topology(conf=SERVER_CONF, start=SERVERS[request.param])
    master.start = SERVERS[request.param]
    yield master, reps
    for p in [master] + reps:
        p.cleanup()


def replicaof_lines(server):
    with open(server.conf_path) as f:
        return [ln for ln in f.read().splitlines() if ln.startswith(("replicaof", "slaveof"))]


def check_renamed(server):
    """The plain commands are really gone (else the test could not fail); sent without
    arguments, so that they would fail harmlessly (arity) if they were not."""
    for cmd in RENAMES:
        with pytest.raises(redis.exceptions.ResponseError, match="unknown command"):
            client(server.port).execute_command(cmd)


def wait_reconfigured(sentinels, old_port, reps):
    """All sentinels name one replica; it is master with no replicaof line in its file,
    the other replica follows it and its file says so. Returns the promoted one."""
    promoted = wait_new_master(sentinels, old_port, reps)
    new_port = promoted.port
    other = next(r for r in reps if r is not promoted)
    wait_for(lambda: replicaof_lines(other) == ["replicaof 127.0.0.1 %d" % new_port], 10,
             "the other replica's config file rewritten")
    assert replicaof_lines(promoted) == [], replicaof_lines(promoted)
    return promoted


@pytest.mark.parametrize("topology", ["redis", "rhea"], indirect=True)
def test_rhea_sentinels_fail_over_with_renamed_commands(topology):
    """Three Rhea sentinels; the master is killed, then restarted on its file: it must be
    converted to a replica (+convert-to-slave, xslaveof + xconfig rewrite)."""
    master, reps = topology
    for s in [master] + reps:
        check_renamed(s)
    sentinels = start_sentinels(["rhea"] * 3, [("mymaster", master.port, 2, FAST)],
                                [SENTINEL_LINES] * 3)
    back = None
    try:
        wait_discovered(sentinels)
        master.stop(signal.SIGKILL)
        promoted = wait_reconfigured(sentinels, master.port, reps)
        back = master.start(port=master.port, config_text=SERVER_CONF, cwd=master.cwd)
        wait_for(lambda: client(back.port).info("replication").get("master_port")
                 == promoted.port, 40, "old master converted to a replica")
        wait_for(lambda: replicaof_lines(master) == ["replicaof 127.0.0.1 %d"
                                                     % promoted.port],
                 10, "the old master's config file rewritten")
        assert any("+convert-to-slave " in s.output() for s in sentinels)
        for s in sentinels:
            assert s.output().count("+switch-master ") == 1, s.name
    except BaseException:
        print_logs(sentinels + reps + ([back] if back else []))
        raise
    finally:
        if back is not None:
            back.stop()
        for s in sentinels:
            s.cleanup()


def test_mixed_sentinels_follow_a_rhea_failover_with_renamed_commands(topology):
    """One Rhea and two real sentinels; SENTINEL FAILOVER on the Rhea one makes it the
    leader that sends the renamed commands; the real ones take its new configuration."""
    master, reps = topology
    sentinels = start_sentinels(["rhea", "redis", "redis"],
                                [("mymaster", master.port, 2, FAST)], [SENTINEL_LINES] * 3)
    try:
        wait_discovered(sentinels)
        assert client(sentinels[0].port).execute_command(
            "SENTINEL", "FAILOVER", "mymaster") in (b"OK", True)
        wait_reconfigured(sentinels, master.port, reps)
        wait_for(lambda: "+failover-end " in sentinels[0].output(), 10,
                 "the Rhea sentinel's failover ended")
        assert "+elected-leader " in sentinels[0].output()
    except BaseException:
        print_logs(sentinels + [master] + reps)
        raise
    finally:
        for s in sentinels:
            s.cleanup()
