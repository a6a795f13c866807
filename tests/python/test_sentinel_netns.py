"""The seed deployment under Sentinel, in network namespaces: three nodes, each running
its redis-nodeN.conf and its own copy of the seed's sentinel.conf (quorum 2,
down-after-milliseconds 3000, failover-timeout 6000, auth-pass), with only the addresses
rewritten (192.168.0.N -> 192.0.2.N); no timing is overridden here. A fourth namespace
(192.0.2.5) holds the client: redis-py's `redis.sentinel.Sentinel` over the three
sentinels, writing numbered keys one at a time and recording which were acknowledged.

Scenario, once with real redis-server + redis-sentinel 7.0.15 (`redis-server x.conf
--sentinel`) as the reference, then with Rhea for both:

1. Everything in sync; every sentinel names node1 as master with node2 and node3 as
   replicas and the two other sentinels as peers, all healthy and on one config epoch.
2. Twice: the master node's server and sentinel are SIGKILLed (by pid). The two
   surviving sentinels agree on a promoted replica, the third node follows it, the
   client's writes resume through Sentinel discovery. The killed node's server and
   sentinel are restarted on their files; the server is turned into a replica of the
   new master, and all three sentinels agree again (2 replicas, 2 peers, all healthy).
3. The writer stops; every node holds the same offset. Every acknowledged write must
   be on the final master with its value, or be counted as lost. Losses are reported
   (asynchronous replication: a write acknowledged just before the kill may not have
   reached any replica); each lost write must have been acknowledged within
   LOSS_WINDOW seconds before one of the kills, and at most MAX_LOST_PER_EVENT per kill
   (sentinel_lab.check_acked_writes).

Run with `-rP` to see the figures (outage per kill, writes acknowledged, lost) of a
passing run. On failure every log is printed and the lab's directory kept.
"""
import time

import pytest

import netns
from sentinel_lab import (SEED_MAX_OUTAGE, check_acked_writes, kill_and_fail_over,
                          lab_fixture, seed_present)

pytestmark = [
    pytest.mark.skipif(not netns.available(), reason="needs root and iproute2"),
    pytest.mark.skipif(not seed_present(), reason="seed configs not present"),
]


@pytest.fixture(params=["redis", "rhea"])
def lab(request):
    yield from lab_fixture(request.param)


def scenario(lab):
    lab.start_all()
    writer = lab.start_writer()
    try:
        writer.wait_acks_after(time.time(), count=200, timeout=20)
        master = lab["node1"]
        rounds = []
        for _ in range(2):
            master, rec = kill_and_fail_over(lab, writer, master, SEED_MAX_OUTAGE)
            rounds.append(rec)
        assert len({r["new master"] for r in rounds}) == 2  # two different promotions
    finally:
        writer.stop()

    lost, per_kill = check_acked_writes(lab, master, writer.acked,
                                        [r["t_event"] for r in rounds])
    print("%s: %d writes acknowledged, %d lost, %d failed attempts"
          % (lab.program, len(writer.acked), len(lost), len(writer.errors)))
    for r, lost_here in zip(rounds, per_kill):
        print("  kill %s -> %s promoted after %.2f s, writes resumed after %.2f s, "
              "rejoined after %.2f s; %d acked before the kill, lost: %s"
              % (r["killed"], r["new master"], r["switch after"], r["outage"],
                 r["rejoined after"], r["acked before"], lost_here))


def test_seed_deployment_fails_over_twice_without_losing_settled_writes(lab):
    lab.run_scenario(scenario)
