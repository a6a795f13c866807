"""Sentinels for the loopback tests: Rhea's (`rhea sentinel`) and the real one
(`redis-server --sentinel`, what the redis-sentinel package starts), each with its own
config file in a fresh directory, on a free loopback port; and a small topology of real
servers. The seed deployment in network namespaces is `sentinel_lab.py`."""
import os
import tempfile
import time

import redis

from servers import Proc, free_port, rhea_bin, start_redis


def start_sentinel(kind, monitors, extra_lines=(), myid=None, port=None):
    """Start a sentinel of `kind` ("rhea" or "redis"). `monitors` is a list of
    (name, port, quorum, {option: value}) for masters on 127.0.0.1."""
    port = free_port() if port is None else port
    cwd = tempfile.mkdtemp(prefix="sentinel-%s-" % kind)
    lines = ["port %d" % port, "bind 127.0.0.1", "dir %s" % cwd]
    if myid:
        lines.append("sentinel myid %s" % myid)
    for name, mport, quorum, opts in monitors:
        lines.append("sentinel monitor %s 127.0.0.1 %d %d" % (name, mport, quorum))
        for k, v in opts.items():
            lines.append("sentinel %s %s %s" % (k, name, v))
    lines += list(extra_lines)
    path = os.path.join(cwd, "sentinel.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    if kind == "rhea":
        argv = [rhea_bin(), "sentinel", path]
    else:
        argv = ["redis-server", path, "--sentinel"]
    proc = Proc(argv, port, cwd, "sentinel-" + kind).wait_ready(loaded=False)
    proc.conf_path = path
    return proc


def client(port, **kw):
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5, **kw)


def start_topology(replicas=2):
    """A real redis-server master on loopback and `replicas` real replicas of it, all in
    sync. Returns (master, [replicas])."""
    master = start_redis()
    reps = [start_redis("--replicaof", "127.0.0.1", str(master.port)) for _ in range(replicas)]
    wait_for(lambda: all(
        client(r.port).info("replication").get("master_link_status") == "up" for r in reps),
        20, "replicas in sync")
    return master, reps


def wait_for(cond, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if cond():
                return True
        except (redis.exceptions.RedisError, OSError):
            pass
        time.sleep(0.05)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


def master_addr(sentinel_port, name="mymaster"):
    got = client(sentinel_port).execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
    return None if got is None else (got[0].decode(), int(got[1]))
