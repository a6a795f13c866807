"""Password-protected sentinels on loopback (quorum 2, down-after 1000): every sentinel
has `requirepass s3cret` and authenticates to its peers with `sentinel sentinel-pass`;
the real servers have requirepass/masterauth and the sentinels `sentinel auth-pass`.
Mixed sets of Rhea and real redis-sentinel 7.0.15.

A sentinel whose peers refuse it (-NOAUTH to its PINGs) sees them s_down after
down-after and gets no answer to is-master-down-by-addr: no ODOWN, no votes for itself.
The peers still reach it (its own requirepass is right), so it still answers them and
votes. The tests check each half: healthy peers everywhere with the right password,
votes crossing Rhea <-> real in a failover; and a sentinel with a wrong sentinel-pass,
Rhea's and then the real one in the same position, behaving the same.
"""
import signal
import time

import pytest

from resp import RawConn
from sentinel_util import (print_logs, sclient, sentinel_state, start_sentinels,
                           start_topology, wait_discovered, wait_for, wait_new_master)

DATA_PASS = "datapw"
SENTINEL_PASS = "s3cret"
FAST = {"down-after-milliseconds": 1000, "failover-timeout": 3000, "auth-pass": DATA_PASS}
MON = "mymaster"
# Replicas sync at once (redis-server waits 5 s by default for more replicas to join a
# diskless transfer).
NO_SYNC_DELAY = ("--repl-diskless-sync-delay", "0")


def auth_lines(sentinel_pass=SENTINEL_PASS):
    return ["requirepass %s" % SENTINEL_PASS, "sentinel sentinel-pass %s" % sentinel_pass]


@pytest.fixture
def topology():
    master, reps = start_topology(password=DATA_PASS, args=NO_SYNC_DELAY)
    yield master, reps
    for p in [master] + reps:
        p.cleanup()


def peer_flags(sentinel):
    """{peer port: flags} from SENTINEL SENTINELS."""
    return {int(p["port"]): p["flags"] for p in sentinel_state(sentinel, "SENTINELS")}


def settle_past_down_after():
    """Long enough after discovery that a peer answering every PING with -NOAUTH is
    s_down (down-after 1000 from its link's creation)."""
    time.sleep(2.0)


def myid(sentinel):
    return sclient(sentinel).execute_command("SENTINEL", "MYID")


def kill_master_and(master, sentinel):
    master.stop(signal.SIGKILL)
    sentinel.stop(signal.SIGKILL)


def raw(sentinel, *cmd):
    """One command on a fresh unauthenticated connection: the exact reply bytes."""
    c = RawConn(sentinel.port)
    try:
        return c.call(*cmd)
    finally:
        c.close()


def test_password_protected_mixed_sentinels_discover_and_fail_over(topology):
    """2 Rhea + 1 real: everyone sees two healthy peers; then the master and one Rhea
    sentinel are killed, so the remaining Rhea and real sentinel need each other's
    ODOWN opinion and vote: the leader's +odown says #quorum 2/2 and the other logs
    +vote-for-leader with the leader's id."""
    master, reps = topology
    sentinels = start_sentinels(["rhea", "rhea", "redis"], [(MON, master.port, 2, FAST)],
                                [auth_lines()] * 3)
    try:
        for s in sentinels:  # requirepass is on: an unauthenticated client is refused
            assert raw(s, "PING") == b"-NOAUTH Authentication required.\r\n", s.name
        wait_discovered(sentinels)
        settle_past_down_after()
        for s in sentinels:
            want = {p.port: "sentinel" for p in sentinels if p is not s}
            assert peer_flags(s) == want, (s.name, peer_flags(s))

        rhea, _, real = sentinels
        survivors = [rhea, real]
        ids = {s.name: myid(s) for s in survivors}
        kill_master_and(master, sentinels[1])
        wait_new_master(survivors, master.port, reps, MON, DATA_PASS)
        wait_for(lambda: all("+switch-master " in s.output() for s in survivors), 10,
                 "+switch-master logged by both")
        leaders = [s for s in survivors if "+elected-leader " in s.output()]
        assert len(leaders) == 1, [s.name for s in leaders]
        leader = leaders[0]
        voter = next(s for s in survivors if s is not leader)
        assert "#quorum 2/2" in leader.output()
        assert "+vote-for-leader %s " % ids[leader.name] in voter.output()
        assert rhea.output().count("+switch-master ") == 1
    except BaseException:
        print_logs(sentinels)
        raise
    finally:
        for s in sentinels:
            s.cleanup()


def wrong_pass_observations(kind, topology):
    """Rhea, Rhea and a sentinel of `kind` with a wrong sentinel-pass (its requirepass is
    right). Before the failure: how it and its peers see each other. Then the master and
    the second Rhea sentinel are killed: the remaining Rhea sentinel must fail over with
    the odd one's ODOWN answer and vote; returns which events the odd one logged."""
    master, reps = topology
    lines = [auth_lines(), auth_lines(), auth_lines("wrong")]
    sentinels = start_sentinels(["rhea", "rhea", kind], [(MON, master.port, 2, FAST)], lines)
    ok, other, odd = sentinels
    try:
        wait_discovered(sentinels)
        settle_past_down_after()
        seen = {"odd sees its peers": sorted(peer_flags(odd).values()),
                "peers see the odd one": sorted(peer_flags(s)[odd.port] for s in (ok, other))}
        ok_id = myid(ok)
        kill_master_and(master, other)
        wait_new_master([ok, odd], master.port, reps, MON, DATA_PASS)
        wait_for(lambda: all("+switch-master " in s.output() for s in (ok, odd)), 10,
                 "+switch-master logged by both (the leader's when its failover ends)")
        log = odd.output()
        for ev in ("+sdown master", "+odown", "+try-failover", "+elected-leader",
                   "+vote-for-leader %s " % ok_id, "+config-update-from", "+switch-master"):
            seen[ev.replace(ok_id, "<leader>")] = ev in log
        assert "+elected-leader " in ok.output()
        assert ok.output().count("+switch-master ") == 1
        return seen
    except BaseException:
        print_logs(sentinels)
        raise
    finally:
        for s in sentinels:
            s.cleanup()


@pytest.mark.parametrize("kind", ["redis", "rhea"])
def test_wrong_sentinel_pass_gets_no_peer_answers_but_still_votes(kind, topology):
    """The real sentinel in this position is the reference; Rhea's must match it."""
    seen = wrong_pass_observations(kind, topology)
    assert seen == {
        "odd sees its peers": ["s_down,sentinel", "s_down,sentinel"],
        "peers see the odd one": ["sentinel", "sentinel"],
        "+sdown master": True, "+odown": False, "+try-failover": False,
        "+elected-leader": False, "+vote-for-leader <leader> ": True,
        "+config-update-from": True, "+switch-master": True}, (kind, seen)


# Sent before AUTH to a sentinel with requirepass.
UNAUTHENTICATED = [("PING",), ("SENTINEL", "MASTERS"), ("HELLO",), ("HELLO", "3"),
                   ("HELLO", "2", "AUTH", "default", "wrong"), ("AUTH", "wrong"),
                   ("AUTH", "default", "wrong")]


def test_unauthenticated_replies_match_real_sentinel(topology):
    """What a client (or a peer with a wrong sentinel-pass) is told before it has
    authenticated, byte for byte."""
    master, _ = topology
    sentinels = start_sentinels(["redis", "rhea"], [(MON, master.port, 2, FAST)],
                                [auth_lines()] * 2)
    try:
        real, ours = sentinels
        failed = [(cmd, raw(ours, *cmd), raw(real, *cmd)) for cmd in UNAUTHENTICATED
                  if raw(ours, *cmd) != raw(real, *cmd)]
        assert not failed, "\n".join("%r\n  rhea:  %r\n  redis: %r" % f for f in failed)
    finally:
        for s in sentinels:
            s.cleanup()
