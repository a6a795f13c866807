"""A partition on the seed deployment in network namespaces (sentinel_lab, seed configs
and timing: quorum 2, down-after 3000, failover-timeout 6000): the master node
(node1: its server and its sentinel) is cut off the bridge, its veth's bridge end
taken down, so its packets are dropped silently; node2 and node3 and the client
namespace stay connected. Run with real redis-server + redis-sentinel 7.0.15 first (the
reference for the expectations below), then with Rhea for both.

Expected, as for the real programs:

* The majority (node2, node3) fails over: they agree on one of them, the other follows
  it, the client's redis-py Sentinel writer resumes on it; each logs one +switch-master.
* The isolated sentinel cannot get a majority and does not even try: while cut off it
  still names node1 as master (config-epoch 0, not s_down) and logs no +new-epoch,
  +try-failover, +elected-leader or +switch-master; node1's server stays a master and,
  without min-replicas-to-write in the seed configs, acknowledges the writes of a client
  in node1's own namespace.
* After healing: node1's server is converted to a replica of the new master
  (+convert-to-slave logged by a sentinel), the isolated sentinel takes the new
  configuration (+config-update-from, its one +switch-master, still never
  +elected-leader), all three sentinels agree and only one node reports role master.
* The writes node1 acknowledged while cut off are gone (as in Redis: the old master
  resynchronises from the new one); the writes acknowledged through Sentinel are not,
  beyond the in-flight allowance of sentinel_lab.check_acked_writes at the cut.
"""
import time

import pytest
import redis
import redis.backoff
import redis.retry

import netns
from sentinel_lab import (SEED_MASTER_NAME, SEED_MAX_OUTAGE, SEED_PASSWORD, SENTINEL_PORT,
                          SERVER_PORT, Writer, as_map, check_acked_writes, lab_fixture,
                          seed_present, switch_count, wait_promoted)

pytestmark = [
    pytest.mark.skipif(not netns.available(), reason="needs root and iproute2"),
    pytest.mark.skipif(not seed_present(), reason="seed configs not present"),
]

# Events a sentinel logs only when it takes part in a failover as a candidate/leader.
FAILOVER_ATTEMPT_EVENTS = ("+new-epoch", "+try-failover", "+elected-leader")
# How long the partition lasts after the majority's writes resumed: time for the
# isolated sentinel to try anything it would try.
EXTRA_PARTITION = 3.0


@pytest.fixture(params=["redis", "rhea"])
def lab(request):
    yield from lab_fixture(request.param)


def _fresh(node, port, password):
    """A new client of `node` (the lab's cached clients belong to the client namespace,
    cut off from node1 during the partition)."""
    return redis.Redis(host=node.addr, port=port, password=password, decode_responses=True,
                       socket_timeout=2, socket_connect_timeout=1,
                       retry=redis.retry.Retry(redis.backoff.NoBackoff(), 0))


def local_state(node):
    """Run inside `node`'s namespace: what its own sentinel and server say."""
    s, r = _fresh(node, SENTINEL_PORT, None), _fresh(node, SERVER_PORT, SEED_PASSWORD)
    try:
        m = as_map(s.execute_command("SENTINEL", "MASTER", SEED_MASTER_NAME))
        return {"master": (m["ip"], int(m["port"])), "flags": m["flags"],
                "config-epoch": int(m["config-epoch"]),
                "role": r.info("replication")["role"]}
    finally:
        s.close()
        r.close()


class DirectWriter(Writer):
    """Writes iso:w:N straight to one server (no Sentinel), as a client that sits on
    the isolated side would."""

    def __init__(self, node, **kw):
        super().__init__(**kw)
        self.r = _fresh(node, SERVER_PORT, SEED_PASSWORD)

    def write(self, key, value):
        return self.r.set("iso:" + key, value) is True


def start_in(lab, node, make):
    """Start the thread `make()` returns from inside `node`'s namespace (where it
    stays)."""
    def body():
        t = make()
        t.start()
        return t
    return netns.run_in(lab.lab.ns(node.name), body)


def scenario(lab):
    lab.start_all()
    old = lab["node1"]
    majority = [lab["node2"], lab["node3"]]
    writer = lab.start_writer()
    iso = None
    try:
        writer.wait_acks_after(time.time(), count=200, timeout=20)
        t_cut = time.time()
        lab.lab.set_connected(old.name, False)
        t_cut_done = time.time()
        iso = start_in(lab, old, lambda: DirectWriter(old, ns=lab.lab.ns(old.name)))
        lab.iso = iso

        new = wait_promoted(lab, majority, SEED_MAX_OUTAGE)
        t_switch = time.time()
        t_resume = writer.wait_acks_after(t_cut_done, count=20, timeout=SEED_MAX_OUTAGE)
        time.sleep(EXTRA_PARTITION)

        # The isolated side, seen from inside node1's namespace.
        state = netns.run_in(lab.lab.ns(old.name), local_state, old)
        assert state == {"master": (old.addr, SERVER_PORT), "flags": "master",
                         "config-epoch": 0, "role": "master"}, state
        log = old.sentinel_log()
        tried = [e for e in FAILOVER_ATTEMPT_EVENTS + ("+switch-master",) if e in log]
        assert not tried, (tried, log)
        iso.stop()
        iso_acked = [i for i, _ in iso.acked]
        assert iso_acked, ("the isolated master acknowledged no write", iso.errors[-5:])

        t_heal = time.time()
        lab.lab.set_connected(old.name, True)
        lab.wait_replicating(new, timeout=60)
        lab.wait_sentinels_agree(new, timeout=60)
        t_settled = time.time()
        writer.wait_acks_after(t_settled, count=20, timeout=10)

        masters = [n.name for n in lab.nodes.values() if n.repl()["role"] == "master"]
        assert masters == [new.name], masters
        logs = {n.name: n.sentinel_log() for n in lab.nodes.values()}
        converted = [n for n, text in logs.items()
                     if "+convert-to-slave slave %s:%d" % (old.addr, SERVER_PORT) in text]
        assert converted, "no sentinel logged +convert-to-slave for %s" % old.name
        assert {n.name: switch_count(n) for n in lab.nodes.values()} == {
            n: 1 for n in logs}
        assert "+config-update-from sentinel" in logs[old.name]
        assert not [e for e in FAILOVER_ATTEMPT_EVENTS[1:] if e in logs[old.name]], \
            logs[old.name]
        # The isolated master's writes did not survive the resynchronisation.
        kept = sum(n.r().exists("iso:w:%d" % i) for n in lab.nodes.values()
                   for i in iso_acked)
        assert kept == 0, kept
    finally:
        writer.stop()
        if iso is not None and iso.is_alive():
            iso.stop()

    lost, (lost_at_cut,) = check_acked_writes(lab, new, writer.acked, [t_cut])
    print("%s: cut %s -> %s promoted after %.2f s, writes resumed after %.2f s; healed "
          "after %.2f s, rejoined after %.2f s more (+convert-to-slave by %s); "
          "%d writes acknowledged through Sentinel, lost: %s; %d acknowledged by the "
          "isolated master, all gone"
          % (lab.program, old.name, new.name, t_switch - t_cut, t_resume - t_cut,
             t_heal - t_cut, t_settled - t_heal, converted, len(writer.acked),
             lost_at_cut, len(iso_acked)))


def test_isolated_master_is_demoted_and_the_majority_fails_over_once(lab):
    lab.run_scenario(scenario, threads=("writer", "iso"))
