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


def start_topology(replicas=2, password=None, conf=None, args=(), start=start_redis):
    """A master on loopback and `replicas` replicas of it, all in sync: real
    redis-servers, or Rhea's with `start=start_rhea`; `args` go to every server's
    command line. Returns (master, [replicas]). With
    `password`, every server has it as
    requirepass and masterauth. With `conf` (config file text for every server), each
    runs from a config file (`conf_path`) holding its replicaof line, so that CONFIG
    REWRITE has a file to rewrite."""
    auth = () if password is None else ("--requirepass", password, "--masterauth", password)
    auth += tuple(args)
    master = start(*auth, config_text=conf)
    if conf is None:
        reps = [start("--replicaof", "127.0.0.1", str(master.port), *auth)
                for _ in range(replicas)]
    else:
        reps = [start(*auth, config_text=conf + "\nreplicaof 127.0.0.1 %d\n"
                      % master.port) for _ in range(replicas)]
    for p in [master] + reps:
        p.conf_path = os.path.join(p.cwd, "redis.conf")
    wait_for(lambda: all(client(r.port, password=password).info("replication")
                         .get("master_link_status") == "up" for r in reps),
             20, "replicas in sync")
    return master, reps


def start_sentinels(kinds, monitors, extra_lines=None):
    """One sentinel per kind, `extra_lines[i]` (default none) added to the i-th one's
    config. Real ones get `SENTINEL DEBUG ping-period 500`: with down-after 1000 and
    the default 1000 ms ping period, redis-sentinel 7.0.15 itself sometimes fails over
    a second time right after the first (see test_sentinel.run_failover). A sentinel
    whose lines hold `requirepass <pw>` keeps it as `password` for sclient()."""
    extra_lines = extra_lines or [()] * len(kinds)
    out = []
    try:
        for kind, lines in zip(kinds, extra_lines):
            s = start_sentinel(kind, monitors, lines)
            s.kind = kind
            s.password = next((ln.split()[1] for ln in lines
                               if ln.startswith("requirepass ")), None)
            out.append(s)
            if kind == "redis":
                sclient(s).execute_command("SENTINEL", "DEBUG", "ping-period", "500")
    except BaseException:
        for s in out:
            s.cleanup()
        raise
    return out


def sentinel_master_addr(sentinel, name="mymaster"):
    """GET-MASTER-ADDR-BY-NAME from a sentinel started by start_sentinels (with its
    password): (ip, port), or None."""
    got = sclient(sentinel).execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
    return None if got is None else (got[0], int(got[1]))


def wait_new_master(sentinels, old_port, reps, name="mymaster", password=None):
    """Every sentinel of `sentinels` names the same replica of `reps` as the master of
    `name` instead of 127.0.0.1:`old_port`; that replica reports role master and the
    other replicas follow it. Returns the promoted replica."""
    old = ("127.0.0.1", old_port)

    def switched():
        seen = {sentinel_master_addr(s, name) for s in sentinels}
        return len(seen) == 1 and seen.pop() not in (None, old)
    wait_for(switched, 30, "the sentinels switched to one new master")
    new_port = sentinel_master_addr(sentinels[0], name)[1]
    promoted = next(r for r in reps if r.port == new_port)
    others = [r for r in reps if r is not promoted]
    wait_for(lambda: client(promoted.port, password=password).info("replication")["role"]
             == "master", 10, "the promoted replica reports role master")
    wait_for(lambda: all(client(r.port, password=password).info("replication")["master_port"]
                         == new_port for r in others), 30, "the other replicas re-pointed")
    return promoted


def print_logs(procs):
    """Print each process's log (sentinels, servers), for a failing test's report."""
    for p in procs:
        print("==== %s log\n%s" % (p.name, p.output()))


def sclient(sentinel):
    """A decoding client of a sentinel started by start_sentinels (with its password)."""
    return client(sentinel.port, password=sentinel.password, decode_responses=True)


def sentinel_state(sentinel, what, name="mymaster"):
    """SENTINEL MASTER `name` as {field: value}, or SENTINEL SENTINELS / REPLICAS `name`
    as a list of them."""
    reply = sclient(sentinel).execute_command("SENTINEL", what, name)

    def as_map(entry):  # redis-py turns some of these into dicts with typed values
        if isinstance(entry, dict):
            return {k: v if isinstance(v, str) else str(v) for k, v in entry.items()}
        return {entry[i]: entry[i + 1] for i in range(0, len(entry), 2)}
    return as_map(reply) if what.upper() == "MASTER" else [as_map(x) for x in reply]


def wait_discovered(sentinels, replicas=2, timeout=30):
    """Every sentinel knows all the others (through hello messages) and `replicas`
    replicas."""
    for s in sentinels:
        wait_for(lambda: (sentinel_state(s, "MASTER")["num-other-sentinels"],
                          sentinel_state(s, "MASTER")["num-slaves"])
                 == (str(len(sentinels) - 1), str(replicas)),
                 timeout, "peers and replicas known to " + s.name)


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
