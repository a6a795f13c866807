#!/usr/bin/env python3
"""Failover figures: Rhea (server + sentinel) and real redis-server + redis-sentinel
7.0.15 side by side, on the seed deployment in network namespaces.

Each run builds a fresh lab (tests/python/sentinel_lab.SentinelLab): node1..3 at
192.0.2.2..4, each running the seed's redis-nodeN.conf and sentinel.conf with the
addresses rewritten and only `down-after-milliseconds` / `failover-timeout` changed to
the timing under test; a client namespace at 192.0.2.5. Once every sentinel sees 2
replicas and 2 peers, a client loop writes numbered keys: it asks the sentinels
`SENTINEL get-master-addr-by-name master` (each in turn until one answers), connects,
writes, and on any error drops the connection and starts over every 20 ms. node1's
server and sentinel are then SIGKILLed, and the run records

* first write: seconds from the kill to the first write acknowledged after it;
* switch: seconds from the kill to the first `+switch-master` in a surviving
  sentinel's log (log timestamps have millisecond resolution);
* switches: how many `+switch-master` a surviving sentinel logged during the run, kept
  going for `--observe` seconds after the first write (more than 1 means a second
  failover right after the first);
* lost: acknowledged writes missing from the master the sentinels name at the end.

The programs alternate run by run (redis, rhea, redis, …) so that background load hits
both alike. The table gives median and max per timing and program, and Rhea/Redis
ratios. Every run removes its namespaces and ends its processes by pid; with --keep
the directories (configs, logs) of runs with a second failover or lost writes are kept.

Usage: scripts/bench_failover.py [--runs 10] [--timings 1000:3000,3000:6000]
                                 [--programs redis,rhea] [--observe S]
Needs root (namespaces); run by scripts/bench.sh.
"""
import argparse
import os
import re
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_util import RHEA  # noqa: E402  (puts tests/python on sys.path)

if not os.environ.get("RHEA_BIN"):
    os.environ["RHEA_BIN"] = RHEA

import netns  # noqa: E402
from sentinel_lab import (DiscoveryWriter, SentinelLab, lost_writes,  # noqa: E402
                          seed_present)

SWITCH_RE = re.compile(r"^\d+:X (\d+ \w+ \d+ \d+:\d+:\d+\.\d+) . \+switch-master (.*)$", re.M)


def log_time(stamp):
    """'25 Nov 2026 12:07:13.104' (local time, as Redis logs it) -> epoch seconds."""
    base, ms = stamp.rsplit(".", 1)
    return time.mktime(time.strptime(base, "%d %b %Y %H:%M:%S")) + int(ms) / 1000.0


def switches(node, since):
    """(time, text) of every +switch-master in `node`'s sentinel logs after `since`."""
    out = []
    for log in node.logs:
        if os.path.basename(log).startswith("sentinel"):
            with open(log, errors="replace") as f:
                for m in SWITCH_RE.finditer(f.read()):
                    t = log_time(m.group(1))
                    if t >= since - 0.001:
                        out.append((t, m.group(2)))
    return sorted(out)


def one_run(program, down_after, failover_timeout, observe):
    lab = SentinelLab(program, {"down-after-milliseconds": down_after,
                                "failover-timeout": failover_timeout})
    result = {"program": program}
    keep = False
    try:
        def body():
            lab.start_all(timeout=60)
            writer = DiscoveryWriter(lab.sentinel_addrs(), ns=lab.client_ns)
            writer.start()
            try:
                writer.wait_acks_after(time.time(), count=200, timeout=20)
                old = (lab["node1"].addr, 6379)
                t_kill = lab["node1"].kill()
                writer.wait_acks_after(lab["node1"].dead_at, count=1, timeout=120)
                # The first write another server acknowledged (one the old master answered
                # just before it died may arrive after the signal).
                t_first = writer.first_ack_from_other_than(old, t_kill)
                assert t_first is not None, "no write acknowledged by a new master"
                time.sleep(observe)
            finally:
                writer.stop()
            survivors = [lab["node2"], lab["node3"]]
            addrs = {n.name: tuple(n.s().execute_command(
                "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "master")) for n in survivors}
            final = lab.by_addr(addrs["node2"][0])
            sw = {n.name: switches(n, t_kill) for n in survivors}
            first_switch = min(t for n in sw.values() for t, _ in n) if any(sw.values()) else None
            result.update({
                "first write": t_first - t_kill,
                "switch": None if first_switch is None else first_switch - t_kill,
                "switches": max(len(v) for v in sw.values()),
                "switch log": sw,
                "agree": len(set(addrs.values())) == 1,
                "acked": writer.acked_count(),
                "lost": len(lost_writes(final, writer.acked)),
                "errors": len(writer.errors),
                "target switches": [(round(t - t_kill, 3), a) for t, a in writer.switches],
            })
        lab.in_client(body)
        keep = result["switches"] != 1 or result["lost"] > 0 or not result["agree"]
        if keep:
            result["dir"] = lab.base
        return result
    except BaseException:
        keep = True
        print("run failed; logs follow (directory %s kept)" % lab.base, file=sys.stderr)
        print(lab.logs(4000), file=sys.stderr)
        raise
    finally:
        lab.close(keep_files=keep and ARGS.keep)


def fmt(x, nd=2):
    return "-" if x is None else ("%.*f" % (nd, x))


def summary(rows):
    fw = [r["first write"] for r in rows]
    sw = [r["switch"] for r in rows if r["switch"] is not None]
    return {"n": len(rows),
            "fw_med": statistics.median(fw), "fw_max": max(fw),
            "sw_med": statistics.median(sw) if sw else None, "sw_max": max(sw) if sw else None,
            "lost": sum(r["lost"] for r in rows), "lost_max": max(r["lost"] for r in rows),
            "acked": sum(r["acked"] for r in rows),
            "extra": sum(1 for r in rows if r["switches"] > 1),
            "noswitch": sum(1 for r in rows if r["switches"] == 0)}


def ratio(a, b):
    return "-" if a is None or b in (None, 0) else "%.2f" % (a / b)


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10, help="runs per timing and program")
    ap.add_argument("--timings", default="1000:3000,3000:6000",
                    help="down-after-ms:failover-timeout-ms pairs, comma separated")
    ap.add_argument("--programs", default="redis,rhea")
    ap.add_argument("--observe", type=float, default=None,
                    help="seconds to keep writing after the first write (default: "
                         "2 x down-after + 2 s, to catch a second failover)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the directories of runs that lost writes or failed over twice")
    ARGS = ap.parse_args()
    if not netns.available():
        print("bench_failover: skipped (needs root and iproute2 for network namespaces)")
        return
    if not seed_present():
        print("bench_failover: skipped (seed configs not present)")
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so every lab is closed
    timings = [tuple(int(x) for x in t.split(":")) for t in ARGS.timings.split(",")]
    programs = ARGS.programs.split(",")
    print("failover figures: %d runs per timing and program; rhea = %s" % (
        ARGS.runs, os.environ["RHEA_BIN"]))
    results = {}
    for da, ft in timings:
        observe = ARGS.observe if ARGS.observe is not None else 2 * da / 1000.0 + 2
        for k in range(ARGS.runs):
            for program in programs:
                r = one_run(program, da, ft, observe)
                results.setdefault((da, ft, program), []).append(r)
                print("  %4d/%-5d %-5s run %2d: first write %6.3f s, switch %6s s, "
                      "switches %d, acked %6d, lost %d%s%s" % (
                          da, ft, program, k + 1, r["first write"], fmt(r["switch"], 3),
                          r["switches"], r["acked"], r["lost"],
                          "" if r["agree"] else ", SENTINELS DISAGREE",
                          (" (kept %s)" % r["dir"]) if "dir" in r and ARGS.keep else ""),
                      flush=True)
                if r["switches"] != 1:
                    for name, evs in r["switch log"].items():
                        for t, text in evs:
                            print("      %s +switch-master %s" % (name, text))
                    print("      client write target changes (s after kill, addr): %s"
                          % r["target switches"])

    print()
    print("%-11s %-6s %4s %12s %9s %11s %9s %8s %9s %11s" % (
        "down/fo ms", "prog", "runs", "1st write md", "max", "switch md", "max",
        "lost", "lost max", "2nd fover"))
    for da, ft in timings:
        sums = {}
        for program in programs:
            s = sums[program] = summary(results[(da, ft, program)])
            print("%-11s %-6s %4d %12s %9s %11s %9s %8s %9s %11s" % (
                "%d/%d" % (da, ft), program, s["n"], fmt(s["fw_med"]), fmt(s["fw_max"]),
                fmt(s["sw_med"]), fmt(s["sw_max"]), "%d/%d" % (s["lost"], s["acked"]),
                s["lost_max"], "%d" % s["extra"]))
        if "rhea" in sums and "redis" in sums:
            a, b = sums["rhea"], sums["redis"]
            print("%-11s %-6s %4s %12s %9s %11s %9s" % (
                "", "ratio", "", ratio(a["fw_med"], b["fw_med"]), ratio(a["fw_max"], b["fw_max"]),
                ratio(a["sw_med"], b["sw_med"]), ratio(a["sw_max"], b["sw_max"])))
    print("(1st write: kill -> first write acknowledged through sentinel discovery; switch: "
          "kill -> first +switch-master logged; lost: acknowledged writes missing on the "
          "final master / acknowledged; 2nd fover: runs with more than one +switch-master; "
          "ratio: rhea/redis)")


ARGS = None

if __name__ == "__main__":
    main()
