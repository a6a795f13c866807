"""`resolve-hostnames` and `announce-hostnames` against redis-sentinel 7.0.15, on
loopback, with `localhost` as the hostname: a master monitored by name and a replica
that announces itself by name (`replica-announce-ip localhost`). Each sentinel runs
alone against the same two real servers, one after the other, and what it shows
(SENTINEL MASTER / REPLICAS / GET-MASTER-ADDR-BY-NAME, the rewritten config) must be
the same for both."""
import socket

import pytest

from sentinel_util import client, start_sentinel, wait_for
from servers import start_redis

REWRITTEN = ("sentinel monitor", "sentinel known-replica", "sentinel resolve-hostnames",
             "sentinel announce-hostnames")


@pytest.fixture(scope="module")
def servers():
    assert socket.gethostbyname("localhost") == "127.0.0.1"
    master = start_redis()
    replica = start_redis("--replicaof", "127.0.0.1", str(master.port),
                          "--replica-announce-ip", "localhost")
    wait_for(lambda: client(master.port).info("replication")["connected_slaves"] == 1, 20,
             "the replica to attach")
    yield master, replica
    for s in (replica, master):
        s.cleanup()


def fields(reply):
    """A field/value reply (a RESP3 map or a RESP2 flat array) as a str dict."""
    if isinstance(reply, dict):
        return {k.decode(): v.decode() for k, v in reply.items()}
    return {reply[i].decode(): reply[i + 1].decode() for i in range(0, len(reply), 2)}


def observe(kind, master, resolve, announce, monitored_as):
    """Start a `kind` sentinel with the two settings, wait for its first INFO of the
    master, and return what it shows."""
    lines = ["sentinel resolve-hostnames %s" % resolve,
             "sentinel announce-hostnames %s" % announce,
             "sentinel monitor m %s %d 1" % (monitored_as, master.port)]
    s = start_sentinel(kind, [], extra_lines=lines)
    try:
        c = client(s.port)
        c.response_callbacks.clear()  # raw replies, compared as the server sent them
        # The run id comes from the master's INFO, and the replicas with it.
        wait_for(lambda: fields(c.execute_command("SENTINEL", "MASTER", "m"))["runid"], 10,
                 "the first INFO")
        if resolve == "yes":
            wait_for(lambda: c.execute_command("SENTINEL", "REPLICAS", "m"), 10,
                     "the replica to be discovered")
        m = fields(c.execute_command("SENTINEL", "MASTER", "m"))
        reps = [fields(r) for r in c.execute_command("SENTINEL", "REPLICAS", "m")]
        shown = {
            "master": (m["name"], m["ip"], m["port"]),
            "replicas": [(r["name"], r["ip"], r["port"]) for r in reps],
            "addr": c.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m"),
            "monitor by name": _error_text(c, "SENTINEL", "MONITOR", "m2", "localhost",
                                           str(master.port), "1"),
        }
        assert c.execute_command("SENTINEL", "FLUSHCONFIG") == b"OK"
        with open(s.conf_path) as f:
            shown["config"] = sorted(line for line in f.read().splitlines()
                                     if line.startswith(REWRITTEN))
        return shown
    finally:
        s.cleanup()


def _error_text(conn, *args):
    try:
        return ("ok", conn.execute_command(*args))
    except Exception as e:  # redis.ResponseError: compare the text
        return ("error", str(e))


@pytest.mark.parametrize("resolve,announce,monitored_as", [
    ("yes", "no", "localhost"),
    ("yes", "yes", "localhost"),
    ("no", "no", "127.0.0.1"),
    ("no", "yes", "127.0.0.1"),
])
def test_hostnames_shown_like_redis_sentinel(servers, resolve, announce, monitored_as):
    master = servers[0]
    theirs = observe("redis", master, resolve, announce, monitored_as)
    ours = observe("rhea", master, resolve, announce, monitored_as)
    assert ours == theirs, "\nrhea:  %r\nredis: %r" % (ours, theirs)
    # The cases differ from each other as the settings say, so the comparison is not
    # between two sentinels that ignore them.
    if resolve == "yes":
        expected = "localhost" if announce == "yes" else "127.0.0.1"
        assert theirs["master"][1] == expected
        rport = str(servers[1].port)
        assert theirs["replicas"] == [("%s:%s" % (expected, rport), expected, rport)]
    else:
        assert theirs["replicas"] == []
