"""Hostile clients: garbage, truncated frames, absurd lengths, slow writers.

The server must answer exactly as Redis does (the bytes and the close), and it must stay
up for everyone else afterwards.
"""
import random
import socket
import time

import pytest

from resp import RawConn


def exchange(port, payload, timeout=1.0):
    c = RawConn(port)
    c.send_raw(payload)
    data, closed = c.read_all_until_close(timeout)
    c.close()
    return data, closed


CASES = [
    b"*2\r\n$3\r\nGET\r\n$99999999999\r\n",           # bulk length over the limit
    b"*2\r\n$3\r\nGET\r\n$536870913\r\n",             # 512MB + 1
    b"*1\r\n$3\r\nPING\r\n",                           # bad length vs payload (Redis skips 2 bytes)
    b"*-5\r\nPING\r\n",
    b"*0\r\n*1\r\n$4\r\nPING\r\n",
    b"*1\r\n$4\r\nPING\r\n*1\r\n$\r\n",
    b"*1\r\n$+4\r\nPING\r\n",
    b"*01\r\n$4\r\nPING\r\n",
    b"\x00\x01\x02\r\n",
    b"'\r\n",
    b"SET a \"b\"c\r\n",
    b"\r\n\r\n\n\nPING\n",
]


@pytest.mark.parametrize("payload", CASES)
def test_malformed_frames_like_redis(rhea_server, redis_server, payload):
    ours = exchange(rhea_server.port, payload)
    theirs = exchange(redis_server.port, payload)
    assert ours == theirs, "%r\n rhea:  %r\n redis: %r" % (payload, ours, theirs)


def test_random_garbage_never_kills_the_server(rhea_server):
    rng = random.Random(20261125)
    alphabet = b"*$\r\n:+-0123456789abcPINGSET\"' \x00\xff"
    for i in range(300):
        n = rng.randint(1, 400)
        if i % 2:
            payload = bytes(rng.choice(alphabet) for _ in range(n))
        else:
            payload = bytes(rng.randrange(256) for _ in range(n))
        try:
            exchange(rhea_server.port, payload, timeout=0.05)
        except (ConnectionError, OSError):
            pass
    c = RawConn(rhea_server.port)
    assert c.call("PING") == b"+PONG\r\n"
    c.close()


def test_split_writes_byte_by_byte(rhea_server, redis_server):
    payload = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n"
    outs = []
    for srv in (rhea_server, redis_server):
        s = socket.create_connection(("127.0.0.1", srv.port))
        for b in payload:
            s.sendall(bytes([b]))
            time.sleep(0.001)
        s.settimeout(2)
        got = b""
        while got.count(b"\r\n") < 4:
            got += s.recv(1024)
        outs.append(got)
        s.close()
    assert outs[0] == outs[1] == b"+OK\r\n$5\r\nhello\r\n+PONG\r\n"


def test_many_connections_abandoned_mid_frame(rhea_server):
    socks = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", rhea_server.port))
        s.sendall(b"*3\r\n$3\r\nSET\r\n$9\r\nabandoned\r\n$100\r\nabc")
        socks.append(s)
    for s in socks:
        s.close()
    c = RawConn(rhea_server.port)
    assert c.call("PING") == b"+PONG\r\n"
    assert c.call("EXISTS", "abandoned") == b":0\r\n"
    c.close()


def test_unauthenticated_limits(tmp_path):
    from servers import start_redis, start_rhea
    ours = start_rhea("--requirepass", "pw")
    theirs = start_redis("--requirepass", "pw")
    try:
        for payload in (b"*11\r\n", b"*2\r\n$4\r\nAUTH\r\n$16385\r\n",
                        b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$4\r\nECHO\r\n$20000\r\n" + b"x" * 20000 + b"\r\n"):
            a = exchange(ours.port, payload)
            b = exchange(theirs.port, payload)
            assert a == b, "%r\n%r\n%r" % (payload[:40], a[0][:200], b[0][:200])
    finally:
        ours.cleanup()
        theirs.cleanup()
