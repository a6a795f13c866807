"""Clients connecting while the dump loads get -LOADING, as from real redis-server 7.0.15.

One large dump (written by the real server) is loaded by both programs; during the load
the same commands are sent to each and the replies compared byte for byte, then both
must end with the whole dataset. A SHUTDOWN during the load must not save (the dump on
disk is left exactly as it was)."""
import os
import shutil
import socket
import tempfile
import time

import pytest

from resp import RawConn
from servers import start_redis, start_rhea

KEYS = 1_500_000


@pytest.fixture(scope="module")
def big_dump():
    """A dump.rdb with KEYS keys, made by the real server."""
    srv = start_redis("--enable-debug-command", "yes")
    c = RawConn(srv.port)
    assert c.call("DEBUG", "POPULATE", str(KEYS), "key", "20") == b"+OK\r\n"
    assert c.call("SAVE") == b"+OK\r\n"
    c.close()
    d = tempfile.mkdtemp(prefix="bigdump-")
    shutil.copy(os.path.join(srv.cwd, "dump.rdb"), d)
    srv.cleanup()
    yield os.path.join(d, "dump.rdb")
    shutil.rmtree(d, ignore_errors=True)


def start_loading(start, dump):
    cwd = tempfile.mkdtemp(prefix="loading-")
    shutil.copy(dump, cwd)
    return start(cwd=cwd, loaded=False)


def connect_during_load(port):
    """A connection opened while the server is still loading (PING says so)."""
    for _ in range(200):
        try:
            c = RawConn(port)
        except OSError:
            time.sleep(0.005)
            continue
        if c.call("PING").startswith(b"-LOADING"):
            return c
        c.close()
        break
    pytest.fail("the server finished loading before the test could observe it")


def info_fields(reply):
    lines = reply.split(b"\r\n")[1:]
    return [ln.split(b":")[0] for ln in lines if ln and not ln.startswith(b"#")]


def observe_load(start, dump):
    srv = start_loading(start, dump)
    try:
        c = connect_during_load(srv.port)
        replies = {
            cmd: c.call(*cmd.split())
            for cmd in ("GET key:1", "SET a b", "DBSIZE", "BGSAVE", "KEYS *", "CONFIG GET maxmemory",
                        "SELECT 1", "MULTI")
        }
        replies["EXEC"] = c.call("EXEC")
        info = c.call("INFO", "persistence")
        fields = info_fields(info)
        assert b"loading:1" in info, info
        while True:
            r = c.call("PING")
            if r == b"+PONG\r\n":
                break
            assert r == b"-LOADING Redis is loading the dataset in memory\r\n", r
            time.sleep(0.01)
        assert c.call("SELECT", "0") == b"+OK\r\n"
        loaded = c.call("DBSIZE")
        after = info_fields(c.call("INFO", "persistence"))
        c.close()
        return replies, fields, loaded, after
    finally:
        srv.cleanup()


def test_loading_replies_match_redis(big_dump):
    ours = observe_load(start_rhea, big_dump)
    theirs = observe_load(start_redis, big_dump)
    assert ours[0] == theirs[0]
    assert ours[0][("GET key:1")] == b"-LOADING Redis is loading the dataset in memory\r\n"
    assert ours[1] == theirs[1], "INFO persistence fields during loading differ"
    assert b"loading_loaded_perc" in ours[1]
    assert ours[2] == theirs[2] == b":%d\r\n" % KEYS
    assert ours[3] == theirs[3]
    assert b"loading_loaded_perc" not in ours[3]


@pytest.mark.parametrize("start", [start_rhea, start_redis], ids=["rhea", "redis"])
def test_shutdown_while_loading_never_saves(big_dump, start):
    srv = start_loading(start, big_dump)
    path = os.path.join(srv.cwd, "dump.rdb")
    before = open(path, "rb").read()
    c = connect_during_load(srv.port)
    c.sock.sendall(b"SHUTDOWN SAVE\r\n")
    # The server exits without replying; the connection just closes.
    c.sock.settimeout(30)
    try:
        assert c.sock.recv(100) == b""
    except ConnectionResetError:
        pass
    assert srv.p.wait(30) == 0
    assert open(path, "rb").read() == before
    srv.cleanup()


def test_sigterm_while_loading_exits_without_saving(big_dump):
    srv = start_loading(start_rhea, big_dump)
    path = os.path.join(srv.cwd, "dump.rdb")
    before = os.stat(path)
    c = connect_during_load(srv.port)
    c.close()
    assert srv.stop() == 0
    after = os.stat(path)
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    assert "Received shutdown signal during loading" in srv.output()
    assert "Ready to accept connections" not in srv.output()
    shutil.rmtree(srv.cwd, ignore_errors=True)


def test_bad_dump_stops_the_server_after_binding(big_dump):
    """The port is open during the load, but a corrupt file still stops the server with
    an error and nothing served."""
    srv = start_loading(start_rhea, big_dump)
    srv.cleanup()
    cwd = tempfile.mkdtemp(prefix="loading-bad-")
    data = open(big_dump, "rb").read()
    with open(os.path.join(cwd, "dump.rdb"), "wb") as f:
        f.write(data[: len(data) * 3 // 4])
    srv = start_rhea(cwd=cwd, loaded=False)
    assert srv.p.wait(60) == 1
    out = srv.output()
    assert "Fatal error loading the DB from %s/dump.rdb" % cwd in out, out
    assert "Ready to accept connections" not in out
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
    srv.cleanup()
