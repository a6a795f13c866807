#!/usr/bin/env python3
"""BGSAVE under load and startup load time: real redis-server 7.0 and Rhea side by side.

For each server: DEBUG POPULATE N keys (100-byte values), then run redis-benchmark
(SET, then GET; 50 clients, random keys over the same range) once without a save and once
with a BGSAVE started half a second in. Printed per server: the benchmark's p99 with and
without the save, the save's duration (BGSAVE until rdb_bgsave_in_progress:0) and the
peak memory during the save (sum of PSS over the server and its children, sampled every
20 ms: a forked Redis child shares pages with its parent, and PSS splits shared pages
fairly, so the sum is the real footprint). Then each server is restarted on its dump and
the "DB loaded from disk: X seconds" of its log gives the load time.

Each figure is the median of BENCH_ROUNDS (default 3) rounds, alternating the programs.

Usage: scripts/bench_persist.py [keys] [requests]   (run by scripts/bench.sh)
"""
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from bench_util import RHEA, cli, start  # noqa: E402

KEYS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 400_000
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def stop(p, port):
    cli(port, "SHUTDOWN", "NOSAVE")
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()


def pss_total(pid):
    """PSS in bytes of `pid` and its direct children (Redis's fork child)."""
    pids = [pid]
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            pids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    total = 0
    for q in pids:
        try:
            with open("/proc/%d/smaps_rollup" % q) as f:
                m = re.search(r"^Pss:\s+(\d+) kB", f.read(), re.M)
                total += int(m.group(1)) * 1024 if m else 0
        except OSError:
            pass
    return total


def benchmark(port, test, result):
    out = subprocess.run(
        ["redis-benchmark", "-p", str(port), "-t", test, "-n", str(REQUESTS), "-c", "50",
         "-r", str(KEYS), "-d", "100", "--csv"], capture_output=True, text=True).stdout
    row = [r for r in out.splitlines() if r.startswith('"%s"' % test.upper())][-1]
    cols = [c.strip('"') for c in row.split(",")]
    result["rps"], result["p99"] = float(cols[1]), float(cols[6])


def run(port, pid, test, with_save):
    result = {}
    bench = threading.Thread(target=benchmark, args=(port, test, result))
    bench.start()
    save_secs, peak = None, 0
    if with_save:
        time.sleep(0.5)
        base = pss_total(pid)
        t0 = time.time()
        assert "started" in cli(port, "BGSAVE")
        while "rdb_bgsave_in_progress:1" in cli(port, "INFO", "persistence"):
            peak = max(peak, pss_total(pid))
            time.sleep(0.02)
        save_secs = time.time() - t0
        peak = max(peak, pss_total(pid))
        result["base"] = base
    bench.join()
    result["save_secs"], result["peak"] = save_secs, peak
    return result


def mb(n):
    return "%.0f MB" % (n / 1048576)


def measure(kind):
    """One round for one server: the four benchmark runs and the startup load time."""
    rows = {}
    cwd = tempfile.mkdtemp(prefix="bench-%s-" % kind)
    p, port = start(kind, cwd)
    try:
        cli(port, "DEBUG", "POPULATE", str(KEYS), "key", "100")
        for test in ("set", "get"):
            plain = run(port, p.pid, test, False)
            saving = run(port, p.pid, test, True)
            rows[test] = (plain, saving)
        cli(port, "SAVE")
    finally:
        stop(p, port)
    p, port = start(kind, cwd)
    stop(p, port)
    text = open(os.path.join(cwd, "server.log"), errors="replace").read()
    load = float(re.findall(r"DB loaded from disk: ([0-9.]+) seconds", text)[-1])
    shutil.rmtree(cwd, ignore_errors=True)
    return rows, load


def median_of(rounds, pick):
    return statistics.median(pick(r) for r in rounds)


def main():
    if not os.path.exists(RHEA):
        raise SystemExit("build first: cargo build --release")
    # Rounds alternate between the programs so that drift on the machine hits both.
    rounds = {"redis": [], "rhea": []}
    for _ in range(ROUNDS):
        for kind in ("redis", "rhea"):
            rounds[kind].append(measure(kind))
    print("BGSAVE of %d keys (100-byte values) during redis-benchmark -n %d -c 50 -r %d, "
          "median of %d rounds" % (KEYS, REQUESTS, KEYS, ROUNDS))
    print("%-6s %-6s %10s %10s %10s %9s %12s %12s" % (
        "test", "server", "rps", "p99 ms", "p99 save", "save s", "mem before", "peak in save"))
    med = {}
    for test in ("set", "get"):
        for kind in ("redis", "rhea"):
            rs = rounds[kind]
            m = {
                "rps": median_of(rs, lambda r: r[0][test][0]["rps"]),
                "p99": median_of(rs, lambda r: r[0][test][0]["p99"]),
                "p99_save": median_of(rs, lambda r: r[0][test][1]["p99"]),
                "save_secs": median_of(rs, lambda r: r[0][test][1]["save_secs"]),
                "base": median_of(rs, lambda r: r[0][test][1]["base"]),
                "peak": median_of(rs, lambda r: r[0][test][1]["peak"]),
            }
            med[(kind, test)] = m
            print("%-6s %-6s %10.0f %10.3f %10.3f %9.2f %12s %12s   p99 in save, runs: %s" % (
                test, kind, m["rps"], m["p99"], m["p99_save"], m["save_secs"], mb(m["base"]),
                mb(m["peak"]), " ".join("%.3f" % r[0][test][1]["p99"] for r in rs)))
        r, o = med[("redis", test)], med[("rhea", test)]
        print("%-6s ratio  p99 during save %.2f, peak memory %.2f, save time %.2f (rhea/redis)"
              % (test, o["p99_save"] / r["p99_save"], o["peak"] / r["peak"],
                 o["save_secs"] / r["save_secs"]))
    loads = {k: [r[1] for r in rounds[k]] for k in rounds}
    lr, lo = statistics.median(loads["redis"]), statistics.median(loads["rhea"])
    print("load at startup: redis %.3f s, rhea %.3f s, ratio %.2f   runs: redis %s, rhea %s"
          % (lr, lo, lo / lr, " ".join("%.3f" % x for x in loads["redis"]),
             " ".join("%.3f" % x for x in loads["rhea"])))


if __name__ == "__main__":
    main()
