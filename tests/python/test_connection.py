"""Connection commands and protocol edge cases, compared byte for byte with Redis 7.0."""
import re
import socket
import time

import pytest

from resp import RawConn


def test_ping_echo(pair):
    pair.same("PING")
    pair.same("PING", "hello")
    pair.same("ping", "a", "b")
    pair.same("ECHO", "x\r\ny")
    pair.same("ECHO")


def test_unknown_commands(pair):
    pair.same("FOO")
    pair.same("FOO", "bar", "baz")
    pair.same("FOO", "x" * 200, "y")
    pair.same("PUBSUB", "nosuch")
    pair.same("PUBSUB")


def test_select(pair):
    pair.same("SELECT", "15")
    pair.same("SELECT", "16")
    pair.same("SELECT", "-1")
    pair.same("SELECT", "abc")
    pair.same("SELECT", "0")


def mask_id(reply):
    return re.sub(rb"id\r\n:\d+\r\n", b"id\r\n:N\r\n", reply)


def test_hello(pair):
    pair.same("HELLO", "4")
    pair.same("HELLO", "x")
    pair.same("HELLO", "2", "FOO")
    pair.same("HELLO", "2", "SETNAME", "bad name")
    # Client ids differ between the two servers; everything else must match.
    a, b = pair.both("HELLO", "3")
    assert mask_id(a) == mask_id(b)
    pair.same("PING")
    a, b = pair.both("HELLO", "2", "AUTH", "default", "x")
    assert mask_id(a) == mask_id(b)


def test_auth_without_password(pair):
    pair.same("AUTH", "x")
    pair.same("AUTH", "default", "x")
    pair.same("AUTH", "nobody", "x")
    pair.same("AUTH", "a", "b", "c")


@pytest.mark.parametrize("raw", [
    b"*1\r\n$4\r\nPING\r\n*x\r\n",
    b"*1\r\nx\r\n",
    b"*1\r\n$-5\r\n",
    b"PING\r\n\"unbalanced\r\n",
    b"*3000000000\r\n",
])
def test_protocol_errors_close(rhea_server, redis_server, raw):
    outs = []
    for srv in (rhea_server, redis_server):
        c = RawConn(srv.port)
        c.send_raw(raw)
        data, closed = c.read_all_until_close()
        outs.append((data, closed))
        c.close()
    assert outs[0] == outs[1]
    assert outs[0][1], "connection must be closed"


def test_inline_and_pipelining(rhea_server, redis_server):
    outs = []
    for srv in (rhea_server, redis_server):
        c = RawConn(srv.port)
        c.send_raw(b"PING\r\n\r\nECHO \"a\\x41\\n\" 'b'\nSET k v\r\nGET k\r\n*1\r\n$4\r\nPING\r\nQUIT\r\n")
        data, closed = c.read_all_until_close()
        outs.append(data)
        c.close()
    assert outs[0] == outs[1]


def connected_clients(srv):
    c = RawConn(srv.port)
    try:
        text = c.call("INFO", "clients").decode()
    finally:
        c.close()
    return int(re.search(r"connected_clients:(\d+)", text).group(1))


def test_half_closed_client_gets_replies_and_is_freed(rhea_server, redis_server):
    """A client that sends commands and shuts down its sending side at once (`printf …
    | nc`) still gets every reply, and its connection is freed, not leaked."""
    outs = []
    for srv in (rhea_server, redis_server):
        before = connected_clients(srv)
        for _ in range(20):
            c = RawConn(srv.port)
            c.send_raw(b"PING\r\nECHO hi\r\n")
            c.sock.shutdown(socket.SHUT_WR)
            data, closed = c.read_all_until_close()
            c.close()
        outs.append((data, closed))
        deadline = time.time() + 5
        while connected_clients(srv) > before and time.time() < deadline:
            time.sleep(0.05)
        assert connected_clients(srv) == before
    assert outs[0] == outs[1] == (b"+PONG\r\n$2\r\nhi\r\n", True)


def test_quit_after_a_large_unread_reply(rhea_server, redis_server):
    """QUIT behind a reply larger than the socket buffers: the whole reply still arrives
    before the connection closes (Redis's close-after-reply waits for the write)."""
    big = b"x" * (8 << 20)
    outs = []
    for srv in (rhea_server, redis_server):
        setter = RawConn(srv.port)
        setter.send_raw(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n" % (len(big), big))
        assert setter.read_reply() == b"+OK\r\n"
        setter.close()
        c = RawConn(srv.port, timeout=10)
        c.send_raw(b"GET big\r\nQUIT\r\n")
        time.sleep(0.5)  # let the server fill the socket buffers and block
        data, closed = c.read_all_until_close()
        c.close()
        outs.append((len(data), data[-5:], closed))
    assert outs[0] == outs[1] == (len(b"$%d\r\n" % len(big)) + len(big) + 2 + 5, b"+OK\r\n", True)


def test_multi_exec(pair):
    pair.same("MULTI")
    pair.same("SET", "a", "1")
    pair.same("MULTI")
    pair.same("EXEC")
    pair.same("EXEC")
    pair.same("DISCARD")
    pair.same("MULTI")
    pair.same("NOSUCH")
    pair.same("PING")
    pair.same("EXEC")
    pair.same("MULTI")
    pair.same("GET")
    pair.same("EXEC")
    pair.same("MULTI")
    pair.same("WATCH", "x")
    pair.same("DISCARD")


def test_watch_aborts_exec(rhea_server, redis_server):
    for srv in (rhea_server, redis_server):
        a, b = RawConn(srv.port), RawConn(srv.port)
        assert a.call("WATCH", "k") == b"+OK\r\n"
        b.call("SET", "k", "changed")
        a.call("MULTI")
        a.call("PING")
        assert a.call("EXEC") == b"*-1\r\n", srv.name
        a.close()
        b.close()


def test_pubsub_resp2(rhea_server, redis_server):
    outs = []
    for srv in (rhea_server, redis_server):
        sub, pub = RawConn(srv.port), RawConn(srv.port)
        got = [sub.call("SUBSCRIBE", "ch1")]
        sub.send_raw(b"*3\r\n$10\r\nPSUBSCRIBE\r\n$2\r\nc*\r\n$2\r\nx*\r\n")
        got += [sub.read_reply(), sub.read_reply()]
        got.append(pub.call("PUBLISH", "ch1", "hi"))
        got += [sub.read_reply(), sub.read_reply()]
        got.append(sub.call("GET", "x"))
        got.append(sub.call("PING"))
        got.append(pub.call("PUBSUB", "NUMSUB", "ch1", "nope"))
        got.append(pub.call("PUBSUB", "NUMPAT"))
        got.append(pub.call("PUBSUB", "CHANNELS"))
        sub.send_raw(b"*1\r\n$11\r\nUNSUBSCRIBE\r\n")
        got.append(sub.read_reply())
        got.append(sub.call("PUNSUBSCRIBE", "x*"))
        got.append(sub.call("RESET"))
        outs.append(got)
        sub.close()
        pub.close()
    assert outs[0] == outs[1]
