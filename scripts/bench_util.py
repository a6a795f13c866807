"""What the benchmark scripts share: redis-cli calls and starting a server (real
redis-server or Rhea) on a free loopback port, waiting until it answers PING."""
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))
from servers import free_port  # noqa: E402  (the test suite's helper)

RHEA = os.path.join(ROOT, "target", "release", "rhea")


def cli(port, *args):
    out = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True)
    return out.stdout.strip()


def info(port, section="replication"):
    return dict(
        line.split(":", 1) for line in cli(port, "INFO", section).splitlines() if ":" in line
    )


def start(kind, cwd, *extra):
    """Start `kind` ("redis" or "rhea") with its files in `cwd`, no save points, DEBUG
    enabled, plus `extra` arguments. Returns (process, port)."""
    os.makedirs(cwd, exist_ok=True)
    port = free_port()
    log = open(os.path.join(cwd, "server.log"), "ab")
    argv = ([RHEA, "server"] if kind == "rhea" else ["redis-server"]) + [
        "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", cwd,
        "--enable-debug-command", "yes", *extra]
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    while cli(port, "PING") != "PONG":
        if p.poll() is not None:
            raise SystemExit("%s failed to start" % kind)
        time.sleep(0.02)
    return p, port
