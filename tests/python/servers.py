"""Start and stop Rhea and real redis-server processes on free loopback ports."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from resp import wait_port

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def rhea_bin():
    env = os.environ.get("RHEA_BIN")
    if env:
        return env
    # The most recently built profile wins, so a stale release build is never tested.
    built = [os.path.join(ROOT, "target", prof, "rhea") for prof in ("release", "debug")]
    built = [p for p in built if os.path.exists(p)]
    if not built:
        raise RuntimeError("build rhea first: cargo build --release")
    return max(built, key=os.path.getmtime)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Proc:
    """A server process; `stop()` ends it by pid and removes its directory."""

    def __init__(self, argv, port, cwd, name):
        self.port = port
        self.cwd = cwd
        self.name = name
        self.log_path = os.path.join(cwd, "%s-%d.log" % (name, port))
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen(argv, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.p.pid

    def wait_ready(self, timeout=10.0, loaded=True):
        """Wait for the port; with `loaded`, also until PING is no longer refused with
        -LOADING (both servers accept connections while they load the dump)."""
        if self.port and not wait_port(self.port, timeout):
            self.stop()
            raise RuntimeError("%s did not start; log:\n%s" % (self.name, self.output()))
        deadline = time.time() + 60
        while loaded and self.port and time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    s.sendall(b"PING\r\n")
                    if not s.recv(64).startswith(b"-LOADING"):
                        break
            except OSError:
                pass
            time.sleep(0.05)
        return self

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.p.poll() is None:
            os.kill(self.pid, sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()
        return self.p.returncode

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.cwd, ignore_errors=True)


def start_rhea(*extra, port=None, config_text=None, cwd=None, loaded=True):
    """Start `rhea server` with persistence off unless the caller overrides it. `cwd`
    (the default `dir`) may be reused to restart on the same dump."""
    port = free_port() if port is None else port
    cwd = cwd or tempfile.mkdtemp(prefix="rhea-")
    argv = [rhea_bin(), "server"]
    if config_text is not None:
        path = os.path.join(cwd, "redis.conf")
        with open(path, "w") as f:
            f.write(config_text)
        argv.append(path)
    argv += ["--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += [str(a) for a in extra]
    return Proc(argv, port, cwd, "rhea").wait_ready(loaded=loaded)


def start_redis(*extra, port=None, config_text=None, cwd=None, loaded=True):
    """Start the real redis-server 7.0 the same way."""
    port = free_port() if port is None else port
    cwd = cwd or tempfile.mkdtemp(prefix="redis-")
    argv = ["redis-server"]
    if config_text is not None:
        path = os.path.join(cwd, "redis.conf")
        with open(path, "w") as f:
            f.write(config_text)
        argv.append(path)
    argv += ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    argv += [str(a) for a in extra]
    return Proc(argv, port, cwd, "redis").wait_ready(loaded=loaded)
