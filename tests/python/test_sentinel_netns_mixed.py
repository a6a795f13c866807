"""Rhea and real redis-sentinel 7.0.15 in one sentinel set, on the seed deployment in
network namespaces (sentinel_lab: seed configs, seed timing: quorum 2, down-after 3000,
failover-timeout 6000), with a redis-py Sentinel client writing from a fourth namespace.

Three sets; node1 is the seed's master and is the node killed. In the two mixes the
two surviving sentinels are one Rhea and one real sentinel: the ODOWN quorum (2) needs
the other program's is-master-down-by-addr answer, and the election majority (2) its
vote. The third is a classic deployment's sentinels over Rhea's servers, the first step
of a migration that replaces the servers first.

* 2 Rhea sentinels (node1, node2) + 1 real (node3), over Rhea servers;
* 1 Rhea sentinel (node3) + 2 real (node1, node2), over real redis-servers;
* 3 real sentinels over Rhea servers.

node1's server and sentinel are SIGKILLed: the survivors must promote a replica (one
+switch-master each, not a second failover), the third node must follow it, both must
name it in get-master-addr-by-name; the restarted node1 must become its replica and all
three sentinels must agree; no acknowledged write may be lost beyond the in-flight
allowance of sentinel_lab.check_acked_writes. No timing is overridden, so the real
sentinels run with their default ping period (the flapping test_sentinel.py works
around only shows with down-after 1000).
"""
import time

import pytest

import netns
from sentinel_lab import (SEED_MAX_OUTAGE, check_acked_writes, kill_and_fail_over,
                          lab_fixture, seed_present, switch_count)

pytestmark = [
    pytest.mark.skipif(not netns.available(), reason="needs root and iproute2"),
    pytest.mark.skipif(not seed_present(), reason="seed configs not present"),
]

# node -> (server program, sentinel program)
MIXES = {
    "2rhea-1real-sentinels-rhea-servers": {
        "node1": ("rhea", "rhea"), "node2": ("rhea", "rhea"), "node3": ("rhea", "redis")},
    "1rhea-2real-sentinels-real-servers": {
        "node1": ("redis", "redis"), "node2": ("redis", "redis"), "node3": ("redis", "rhea")},
    "3real-sentinels-rhea-servers": {
        "node1": ("rhea", "redis"), "node2": ("rhea", "redis"), "node3": ("rhea", "redis")},
}


@pytest.fixture(params=sorted(MIXES))
def lab(request):
    yield from lab_fixture("mixed", kinds=MIXES[request.param])


def scenario(lab):
    lab.start_all()
    writer = lab.start_writer()
    try:
        writer.wait_acks_after(time.time(), count=200, timeout=20)
        old = lab["node1"]
        survivors = [n for n in lab.nodes.values() if n is not old]
        mixed = len({n.sentinel_program for n in lab.nodes.values()}) == 2
        assert not mixed or {n.sentinel_program for n in survivors} == {"rhea", "redis"}
        new, rec = kill_and_fail_over(lab, writer, old, SEED_MAX_OUTAGE)
        # One failover: once the old master has rejoined and all agree (the leader
        # logs +switch-master only when its failover ends), each survivor has switched
        # exactly once.
        switches = {n.name: switch_count(n) for n in survivors}
        assert switches == {n.name: 1 for n in survivors}, switches
        masters = [n.name for n in lab.nodes.values() if n.repl()["role"] == "master"]
        assert masters == [new.name], masters
    finally:
        writer.stop()
    lost, (lost_at_kill,) = check_acked_writes(lab, new, writer.acked, [rec["t_event"]])
    print("%s: kill node1 -> %s promoted after %.2f s, writes resumed after %.2f s, "
          "rejoined after %.2f s; %d writes acknowledged, lost: %s"
          % ({n.name: (n.server_program, n.sentinel_program) for n in lab.nodes.values()},
             rec["new master"], rec["switch after"], rec["outage"], rec["rejoined after"],
             len(writer.acked), lost_at_kill))


def test_mixed_sentinels_fail_over_and_the_old_master_rejoins(lab):
    lab.run_scenario(scenario)
