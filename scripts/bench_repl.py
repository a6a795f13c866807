#!/usr/bin/env python3
"""Replication figures: real redis-server 7.0 and Rhea side by side (issue 4).

1. Full sync: a master with N keys (DEBUG POPULATE, 100-byte values); a replica of the
   same program is started and told REPLICAOF; the time until its INFO says
   master_link_status:up is printed for both, with the Rhea/Redis ratio. Both masters
   use repl-diskless-sync yes with delay 0 (7.0's default mode, without the 5 s wait).
2. SET throughput with two replicas attached: redis-benchmark SET against the master,
   while a sampler reads every replica's lag every 100 ms, two ways: as the master sees
   it (master_repl_offset minus the offset the replica last acknowledged — replicas
   acknowledge once a second, so this is about a second of stream at any rate — and
   the `lag=` seconds of INFO replication), and as applied (master_repl_offset read
   first, then each replica's own slave_repl_offset; converted to time at the run's
   stream rate). Prints requests/s, the ratio, and the worst lags seen.

Each measurement runs ROUNDS times, alternating the two programs (redis, rhea, redis,
rhea, …) so that background noise hits both alike; the median is reported.

Usage: scripts/bench_repl.py [keys] [requests]   (run by scripts/bench.sh)
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import redis

from bench_util import cli, info, start as start_server  # noqa: E402

KEYS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 300_000
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def start(kind, cwd, *extra):
    return start_server(kind, cwd, "--repl-diskless-sync", "yes",
                        "--repl-diskless-sync-delay", "0", *extra)


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_up(port, timeout=300):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if info(port).get("master_link_status") == "up":
            return time.time()
        time.sleep(0.01)
    raise SystemExit("replica on %d never came up" % port)


def full_sync(kind, tmp):
    master, mport = start(kind, os.path.join(tmp, kind + "-m"))
    replica, rport = start(kind, os.path.join(tmp, kind + "-r"))
    try:
        cli(mport, "DEBUG", "POPULATE", str(KEYS), "key", "100")
        t0 = time.time()
        cli(rport, "REPLICAOF", "127.0.0.1", str(mport))
        return wait_up(rport) - t0
    finally:
        stop([master, replica])


def throughput(kind, tmp):
    master, mport = start(kind, os.path.join(tmp, kind + "-tm"))
    reps = [start(kind, os.path.join(tmp, "%s-tr%d" % (kind, i))) for i in range(2)]
    procs = [master] + [p for p, _ in reps]
    try:
        for _, rport in reps:
            cli(rport, "REPLICAOF", "127.0.0.1", str(mport))
        for _, rport in reps:
            wait_up(rport)
        worst = {"bytes": 0, "secs": 0, "applied": 0}
        done = threading.Event()

        # One connection per server for the whole run: spawning redis-cli ten times a
        # second would itself take a good part of a core from the servers measured.
        conns = {port: redis.Redis(port=port) for port in [mport] + [p for _, p in reps]}

        def sample():
            while not done.is_set():
                i = conns[mport].info("replication")
                off = int(i.get("master_repl_offset", 0))
                for k, f in i.items():
                    if re.fullmatch(r"slave\d+", k):
                        worst["bytes"] = max(worst["bytes"], off - int(f["offset"]))
                        worst["secs"] = max(worst["secs"], int(f["lag"]))
                for _, rport in reps:
                    applied = int(conns[rport].info("replication").get("slave_repl_offset", 0))
                    worst["applied"] = max(worst["applied"], off - applied)
                time.sleep(0.1)

        t = threading.Thread(target=sample)
        t.start()
        off0, t0 = int(info(mport).get("master_repl_offset", 0)), time.time()
        out = subprocess.run(
            ["redis-benchmark", "-p", str(mport), "-n", str(REQUESTS), "-c", "50",
             "-r", "1000000", "-t", "set", "-q", "--csv"],
            capture_output=True, text=True).stdout
        rate = (int(info(mport).get("master_repl_offset", 0)) - off0) / (time.time() - t0)
        done.set()
        t.join()
        worst["applied_ms"] = worst["applied"] / rate * 1000
        rps = float(out.strip().splitlines()[-1].split(",")[1].strip('"'))
        return rps, worst
    finally:
        stop(procs)


def alternate(measure):
    """ROUNDS measurements of each program, interleaved."""
    out = {"redis": [], "rhea": []}
    for _ in range(ROUNDS):
        for k in ("redis", "rhea"):
            out[k].append(measure(k))
    return out


def fmt(values, spec):
    return " ".join(spec % v for v in values)


def main():
    tmp = tempfile.mkdtemp(prefix="rhea-bench-repl-")
    try:
        print("full sync of %d keys until master_link_status:up (diskless, delay 0), "
              "median of %d" % (KEYS, ROUNDS))
        runs = alternate(lambda k: full_sync(k, tmp))
        secs = {k: statistics.median(v) for k, v in runs.items()}
        for k in ("redis", "rhea"):
            print("%-8s %10.3f s   runs: %s" % (k, secs[k], fmt(runs[k], "%.3f")))
        print("ratio rhea/redis %.2f" % (secs["rhea"] / secs["redis"]))
        print("SET throughput with two replicas (%d requests, 50 clients), median of %d"
              % (REQUESTS, ROUNDS))
        runs = alternate(lambda k: throughput(k, tmp))
        rps = {}
        for k in ("redis", "rhea"):
            rps[k] = statistics.median(r for r, _ in runs[k])
            worst_bytes = max(w["bytes"] for _, w in runs[k])
            worst_secs = max(w["secs"] for _, w in runs[k])
            worst_applied = max(w["applied"] for _, w in runs[k])
            worst_ms = max(w["applied_ms"] for _, w in runs[k])
            print("%-8s %12.0f rps   runs: %s" % (k, rps[k], fmt([r for r, _ in runs[k]], "%.0f")))
            print("         worst lag seen by the master: %d bytes behind the last ack, lag=%d s;"
                  " worst applied lag: %d bytes (%.1f ms of stream)"
                  % (worst_bytes, worst_secs, worst_applied, worst_ms))
        print("ratio rhea/redis %.2f" % (rps["rhea"] / rps["redis"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
