"""Process lifecycle of `rhea server`, next to real redis-server where it is comparable:
daemonize + pidfile + logfile, the Unix socket, a taken port, the `redis-server` name,
--help / -v, signals."""
import os
import re
import signal
import socket
import stat
import subprocess
import tempfile
import time

from resp import RawConn, wait_port
from servers import free_port, rhea_bin, start_redis


def wait_for(cond, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_daemonize_pidfile_logfile():
    d = tempfile.mkdtemp(prefix="rhea-daemon-")
    port = free_port()
    pidfile, logfile = os.path.join(d, "rhea.pid"), os.path.join(d, "rhea.log")
    r = subprocess.run([rhea_bin(), "server", "--port", str(port), "--bind", "127.0.0.1",
                        "--save", "", "--daemonize", "yes", "--pidfile", pidfile,
                        "--logfile", logfile, "--dir", d], timeout=10)
    assert r.returncode == 0, "the parent exits 0 at once"
    assert wait_for(lambda: os.path.exists(pidfile) and wait_port(port, 0.1))
    pid = int(open(pidfile).read())
    try:
        c = RawConn(port)
        assert c.call("PING") == b"+PONG\r\n"
        c.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
        c.read_all_until_close()
        assert wait_for(lambda: not pid_alive(pid))
        assert not os.path.exists(pidfile), "the pid file is removed on shutdown"
        log = open(logfile).read()
        assert "Ready to accept connections" in log
        assert re.search(r"^%d:M \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} # User requested shutdown\.\.\.$"
                         % pid, log, re.M), log
    finally:
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_unix_socket_with_permissions():
    d = tempfile.mkdtemp(prefix="rhea-unix-")
    path = os.path.join(d, "rhea.sock")
    p = subprocess.Popen([rhea_bin(), "server", "--port", "0", "--unixsocket", path,
                          "--unixsocketperm", "700", "--save", ""], stdout=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: os.path.exists(path))
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
        c = RawConn(None, unix=path)
        assert c.call("PING") == b"+PONG\r\n"
        info = c.call("CLIENT", "INFO")
        assert b"addr=%s:0 laddr=%s:0 " % (path.encode(), path.encode()) in info
        assert b" flags=U " in info
        c.close()
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 0
    assert not os.path.exists(path), "the socket file is removed on shutdown"


def test_port_in_use_fails_like_redis():
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        outs = []
        for argv in ([rhea_bin(), "server"], ["redis-server"]):
            r = subprocess.run(argv + ["--port", str(port), "--bind", "127.0.0.1", "--save", ""],
                               capture_output=True, text=True, timeout=10)
            assert r.returncode != 0
            lines = [l.split(" # ", 1)[1] for l in r.stdout.splitlines() if " # " in l]
            outs.append([l for l in lines if "listening" in l])
        assert outs[0] == outs[1] == [
            "Warning: Could not create server TCP listening socket 127.0.0.1:%d: bind: "
            "Address already in use" % port,
            "Failed listening on port %d (TCP), aborting." % port]
    finally:
        holder.close()


def test_redis_server_symlink_and_flags():
    d = tempfile.mkdtemp(prefix="rhea-argv0-")
    link = os.path.join(d, "redis-server")
    os.symlink(rhea_bin(), link)
    v = subprocess.run([link, "-v"], capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout.startswith("Redis server v=7.0.15 ")
    ours = subprocess.run([link, "--help"], capture_output=True, text=True)
    theirs = subprocess.run(["redis-server", "--help"], capture_output=True, text=True)
    assert (ours.returncode, ours.stderr.replace(link, "redis-server")) == \
        (theirs.returncode, theirs.stderr)
    top = subprocess.run([rhea_bin(), "--help"], capture_output=True, text=True)
    assert top.returncode == 0 and "rhea server" in top.stdout
    port = free_port()
    p = subprocess.Popen([link, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
                         stdout=subprocess.DEVNULL)
    try:
        assert wait_port(port)
        c = RawConn(port)
        assert c.call("CONFIG", "GET", "port") == b"*2\r\n$4\r\nport\r\n$%d\r\n%d\r\n" % (
            len(str(port)), port)
        c.close()
    finally:
        p.send_signal(signal.SIGINT)
        assert p.wait(10) == 0


def test_loglevel_warning_hides_notices():
    port = free_port()
    # A fresh directory: a dump.rdb left in the working directory would be loaded, and a
    # SIGTERM during loading is logged with other words.
    p = subprocess.Popen([rhea_bin(), "server", "--port", str(port), "--bind", "127.0.0.1",
                          "--save", "", "--loglevel", "warning"],
                         stdout=subprocess.PIPE, text=True,
                         cwd=tempfile.mkdtemp(prefix="rhea-loglevel-"))
    assert wait_port(port)
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=10)
    assert "Server initialized" in out
    assert "Ready to accept connections" not in out, "a notice line at loglevel warning"
    assert re.search(r"^\d+:signal-handler \(\d+\) Received SIGTERM scheduling shutdown\.\.\.$",
                     out, re.M)
